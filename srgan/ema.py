"""An exponential moving average of the generator's weights (not in the paper).

Phase 2 moves G along with a discriminator that keeps changing its mind: the colour cast, speckle
and lattice of neighbouring checkpoints 100 steps apart differ by more than the recipes being
compared, while the mean of a run's last checkpoints scores better than most of them on all three at
once (measured in weights/experiments/issue23/README.md). An average over the last few hundred
steps keeps the texture the updates agree on and drops the step-to-step noise they do not.
ESRGAN's code (BasicSR) keeps one with decay 0.999; the trainer validates, keeps and releases
the average when `cfg.train.ema_decay` > 0.

    ema = WeightAverage(generator, decay=0.998)
    ...optimizer step...
    ema.update(generator)   # after every step
    ema.network             # a Generator with the averaged weights (eval mode)
"""

from __future__ import annotations

import paddle
from paddle import nn


class WeightAverage:
    """Keeps `network`, a copy of a generator whose weights follow the trained one's as
    avg <- decay * avg + (1 - decay) * current. Every entry of the state dict is averaged, BatchNorm's
    running statistics too: they are themselves averages over recent batches, and the post-hoc
    averages of checkpoints this was chosen on averaged them (weights/experiments/issue23/README.md).

    Args:
        generator: the network being trained (a models.Generator, not its DataParallel wrapper).
        decay: in [0, 1): the weight of the past per update; the average spans about
            1 / (1 - decay) updates (0.998: 500).
    """

    def __init__(self, generator: nn.Layer, decay: float):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay!r}")
        self.decay = decay
        self.network = type(generator).from_config(generator.config)
        self.network.set_state_dict(generator.state_dict())
        self.network.eval()
        for parameter in self.network.parameters():
            parameter.stop_gradient = True  # the average is never trained

    @paddle.no_grad()
    def update(self, generator: nn.Layer) -> None:
        """Move the average one step towards `generator`'s current weights."""
        current = generator.state_dict()
        for name, averaged in self.network.state_dict().items():
            averaged.set_value(averaged * self.decay + current[name].detach() * (1.0 - self.decay))

    def state_dict(self) -> dict:
        return self.network.state_dict()

    def set_state_dict(self, state: dict) -> None:
        self.network.set_state_dict(state)
