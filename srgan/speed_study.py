"""Where the generator's inference time goes (chapter 8 of the book): two rewritten copies of a
generator that test explanations of the engines' speed differences, and a fair timer.

- `fold_batch_norm`: every conv + BN pair merged into one conv, as inference engines do. If BN
  were a real cost, the folded copy would run faster than the original.
- `with_stock_tail`: the 9x9 output conv run by Paddle's standard conv2d kernel instead of the
  package's `models.TailConv` (a transposed convolution on the CPU in dygraph), which is what an
  exported static graph runs.
- `fastest_times`: the fastest of several timed runs of each engine after a warm-up, the engines
  taking turns (other jobs on a shared machine only ever add time, and a burst of load then hits
  every engine rather than the one that happened to be running).

    from srgan.speed_study import fastest_times, fold_batch_norm
    seconds, outputs = fastest_times({"folded": DygraphPredictor(fold_batch_norm(generator))}, lr, repeats=5)
"""

from __future__ import annotations

import copy
import time
from typing import Callable, Mapping

import numpy as np
import paddle

from .models import Generator


def _conv_bn_pairs(net: Generator):
    """(owner, conv attribute, BN attribute) for every conv followed by a BN in the generator."""
    pairs = [(block, "conv1", "bn1") for block in net.body] + [(block, "conv2", "bn2") for block in net.body]
    return pairs + [(net, "body_conv", "body_bn")]


def fold_batch_norm(generator: Generator) -> Generator:
    """A copy of `generator` with every eval-mode BN merged into the conv before it.

    BN in eval mode is an affine map per channel, y = (x - mu) * gamma / sigma + beta with
    sigma = sqrt(var + eps), so the conv before it can absorb it: w' = w * gamma / sigma,
    b' = (b - mu) * gamma / sigma + beta. The BN layer is then replaced by an identity. The copy
    computes the same function as the original in eval mode (to float rounding); in train mode it
    does not (BN would use batch statistics), so use the copy for inference only.

    Args:
        generator: a models.Generator; left unchanged.
    """
    net = copy.deepcopy(generator)
    for owner, conv_name, bn_name in _conv_bn_pairs(net):
        conv, bn = getattr(owner, conv_name), getattr(owner, bn_name)
        scale = bn.weight.numpy() / np.sqrt(bn._variance.numpy() + bn._epsilon)  # gamma / sigma per channel
        conv.weight.set_value(conv.weight.numpy() * scale[:, None, None, None])
        conv.bias.set_value((conv.bias.numpy() - bn._mean.numpy()) * scale + bn.bias.numpy())
        setattr(owner, bn_name, paddle.nn.Identity())
    return net


def with_stock_tail(generator: Generator) -> Generator:
    """A copy of `generator` whose 9x9 tail conv is a plain paddle.nn.Conv2D with the same weights.

    Args:
        generator: a models.Generator; left unchanged.
    """
    net = copy.deepcopy(generator)
    old = net.tail
    tail = paddle.nn.Conv2D(old._in_channels, old._out_channels, old._kernel_size, padding=old._padding)
    tail.weight.set_value(old.weight.numpy())
    tail.bias.set_value(old.bias.numpy())
    net.tail = tail
    return net


def fastest_time(run: Callable[[np.ndarray], np.ndarray], x: np.ndarray, repeats: int = 3) -> tuple[float, np.ndarray]:
    """(fastest wall time in seconds of `repeats` calls run(x), the output of the warm-up call).

    The first call is a warm-up and is not timed: engines choose or compile kernels then.

    Args:
        run: a predictor, `run(x) -> output` (predict.DygraphPredictor, InferencePredictor, ...).
        x: its input.
        repeats: timed calls, at least 1.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    output = run(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(x)
        times.append(time.perf_counter() - start)
    return min(times), output


def fastest_times(engines: Mapping[str, Callable[[np.ndarray], np.ndarray]], x: np.ndarray,
                  repeats: int = 3) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """({name: fastest wall time in seconds}, {name: output of its warm-up call}) for several engines.

    Every engine is warmed up first; then `repeats` rounds time each engine once in turn, so
    that load from other jobs spreads over all engines instead of biasing one.

    Args:
        engines: name -> predictor, `run(x) -> output`.
        x: their common input.
        repeats: timed rounds, at least 1.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    outputs = {name: run(x) for name, run in engines.items()}
    best = dict.fromkeys(engines, float("inf"))
    for _ in range(repeats):
        for name, run in engines.items():
            start = time.perf_counter()
            run(x)
            best[name] = min(best[name], time.perf_counter() - start)
    return best, outputs
