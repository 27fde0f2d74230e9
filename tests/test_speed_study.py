import numpy as np
import paddle
import pytest

from srgan.predict import DygraphPredictor
from srgan.models import Generator
from srgan.speed_study import fastest_time, fastest_times, fold_batch_norm, with_stock_tail


def _generator_with_real_bn_statistics():
    """A tiny generator whose BN layers have non-trivial running statistics (a few train-mode passes)."""
    paddle.seed(0)
    g = Generator(scale=4, num_blocks=2, channels=8)
    g.train()
    with paddle.no_grad():
        for i in range(5):
            g(paddle.to_tensor(np.random.default_rng(i).random((2, 3, 12, 12), dtype=np.float32) * 3))
    g.eval()
    return g


def test_folded_generator_computes_the_same_function_without_batch_norm():
    g = _generator_with_real_bn_statistics()
    assert float(np.abs(g.body_bn._mean.numpy()).max()) > 1e-3  # the statistics are not the identity
    folded = fold_batch_norm(g)
    x = np.random.default_rng(9).random((1, 3, 10, 10), dtype=np.float32)
    np.testing.assert_allclose(DygraphPredictor(folded)(x), DygraphPredictor(g)(x), atol=1e-4)
    assert not any(isinstance(m, paddle.nn.BatchNorm2D) for m in folded.sublayers())
    assert any(isinstance(m, paddle.nn.BatchNorm2D) for m in g.sublayers())  # the original is untouched


def test_stock_tail_is_a_plain_conv_with_the_same_output():
    g = _generator_with_real_bn_statistics()
    stock = with_stock_tail(g)
    assert type(stock.tail) is paddle.nn.Conv2D and type(g.tail) is not paddle.nn.Conv2D
    x = np.random.default_rng(3).random((1, 3, 10, 10), dtype=np.float32)
    np.testing.assert_allclose(DygraphPredictor(stock)(x), DygraphPredictor(g)(x), atol=1e-4)


def test_fastest_time_is_the_minimum_and_skips_the_warm_up():
    import time

    calls = []

    def run(x):
        calls.append(len(calls))
        time.sleep(0.05 if len(calls) in (1, 2) else 0.0)  # a slow warm-up and a slow first timed call
        return x * 2

    seconds, out = fastest_time(run, np.ones(3), repeats=3)
    assert len(calls) == 4 and seconds < 0.04 and np.array_equal(out, np.full(3, 2.0))
    with pytest.raises(ValueError, match="repeats"):
        fastest_time(run, np.ones(3), repeats=0)


def test_fastest_times_takes_turns_and_keeps_each_engines_minimum():
    import time

    order = []

    def engine(name, delay):
        def run(x):
            order.append(name)
            time.sleep(delay)
            return x + len(name)
        return run

    best, outputs = fastest_times({"a": engine("a", 0.0), "bb": engine("bb", 0.03)}, np.zeros(2), repeats=2)
    assert order == ["a", "bb", "a", "bb", "a", "bb"]  # warm-ups, then rounds in turn
    assert best["a"] < 0.02 <= best["bb"] and np.array_equal(outputs["bb"], np.full(2, 2.0))
