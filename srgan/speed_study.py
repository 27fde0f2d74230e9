"""Where the generator's inference time goes (chapter 8 of the book): two rewritten copies of a
generator that test explanations of the engines' speed differences, and a fair timer.

- `fold_batch_norm`: every conv + BN pair merged into one conv, as inference engines do. If BN
  were a real cost, the folded copy would run faster than the original.
- `with_stock_tail`: the 9x9 output conv run by Paddle's standard conv2d kernel instead of the
  package's `models.TailConv` (a transposed convolution on the CPU in dygraph), which is what an
  exported static graph runs.
- `tail_unfold_bytes`, `bench_side_that_fits`: Paddle's plain CPU conv kernel unfolds (im2col)
  its input before a matrix product, and for the 9x9 tail conv at HR resolution that buffer is
  most of the memory the engine table needs (5.4 GB at a 128 px LR input, 22 GB at 256): the
  chapter sizes its benchmark input so that the buffer fits in the memory available.
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


def tail_unfold_bytes(generator: Generator, side: int) -> int:
    """Bytes of the buffer a plain CPU conv kernel (Paddle's own, no oneDNN) unfolds the
    generator's tail conv into for a side x side LR input: one float32 column of
    kernel² x input channels per output pixel. The "stock tail conv" and "plain kernels" rows of
    chapter 8's engine table each hold it once, on top of what the process already uses
    (measured with the shipped SRResNet x4 at side 128: peak RSS 1.9 GB -> 7.3 GB, the buffer
    5.4 GB).

    Args:
        generator: a models.Generator (its `tail` conv and `scale` are read).
        side: the LR input's side in pixels.
    """
    tail = generator.tail
    return 4 * int(np.prod(tail._kernel_size)) * tail._in_channels * (generator.scale * side) ** 2


def bench_side_that_fits(generator: Generator, largest: int, available: int | None, *, share: float = 0.5,
                         multiple: int = 16) -> int:
    """The largest LR side, a multiple of `multiple` and at most `largest`, whose unfolded tail
    conv (`tail_unfold_bytes`) takes at most `share` of the `available` bytes; at least `multiple`.
    `available` None (unknown, or a GPU, where the kernels do not unfold on the host): `largest`.

    Args:
        generator: the network the engine table runs.
        largest: the side wanted when memory allows it (chapter 8: 128 on a CPU).
        available: bytes of memory the process can still get (`srgan.infer.available_memory()`).
        share: the part of it the buffer may take (the rest: the process's other allocations,
            other jobs on the machine).
        multiple: sides are rounded down to a multiple of this.
    """
    if available is None:
        return largest
    side = largest - largest % multiple if largest >= multiple else largest
    while side > multiple and tail_unfold_bytes(generator, side) > share * available:
        side -= multiple
    return side


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
