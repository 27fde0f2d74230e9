import numpy as np
import paddle
import pytest

from srgan.predict import DygraphPredictor
from srgan.models import Generator
from srgan.speed_study import (bench_side_that_fits, fastest_time, fastest_times, fold_batch_norm, tail_unfold_bytes,
                                with_stock_tail)


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


def test_the_tail_convs_unfolded_buffer_is_what_chapter_8_measured():
    g = Generator(scale=4, num_blocks=1, channels=64)  # the tail: 9x9 from 64 channels, as the shipped SRResNet
    assert tail_unfold_bytes(g, 128) == 4 * 81 * 64 * 512 * 512  # 5.4 GB: the measured peak-RSS rise at 128 px
    assert tail_unfold_bytes(g, 256) == 4 * tail_unfold_bytes(g, 128)
    assert tail_unfold_bytes(with_stock_tail(g), 128) == tail_unfold_bytes(g, 128)
    assert tail_unfold_bytes(Generator(scale=2, num_blocks=1, channels=8), 10) == 4 * 81 * 8 * 20 * 20


def test_the_benchmark_side_shrinks_until_the_buffer_fits_in_half_the_free_memory():
    g = Generator(scale=4, num_blocks=1, channels=64)
    assert bench_side_that_fits(g, 128, None) == 128  # unknown memory (or a GPU): as asked
    assert bench_side_that_fits(g, 128, 20e9) == 128
    for free in (8e9, 5e9, 2e9):
        side = bench_side_that_fits(g, 128, free)
        assert side % 16 == 0 and tail_unfold_bytes(g, side) <= free / 2 < tail_unfold_bytes(g, side + 16)
    assert bench_side_that_fits(g, 128, 8e9) == 96 and bench_side_that_fits(g, 128, 5e9) == 80
    assert bench_side_that_fits(g, 128, 1e6) == 16  # never below one step
    assert bench_side_that_fits(g, 64, 20e9) == 64  # quick mode's side is kept
