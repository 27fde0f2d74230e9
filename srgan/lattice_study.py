"""Where phase 2's period-4 lattice comes from (chapter 6 of the book): how much of each loss
gradient that G receives lies on the pixel-shuffle lattice.

A 4x generator writes each output pixel from one of 16 channel groups chosen by the pixel's
position modulo 4, so a gradient whose 16 pixel phases differ on average pushes those groups
apart: a lattice. `lattice_share` measures that part of any image or gradient: the share of its
energy (around each window's mean) at the window's 15 non-zero period-4 frequencies. White
noise puts `lattice_share_chance` there; a pure period-4 pattern puts everything there.
`loss_gradients` gives dL/dSR of a phase-2 trainer's content and adversarial losses.

    from srgan.lattice_study import lattice_share, loss_gradients
    grads = loss_gradients(trainer, lr, hr)     # {"content": array, "adversarial": array}
    print({name: lattice_share(g) for name, g in grads.items()})
"""

from __future__ import annotations

import copy

import numpy as np
import paddle

from .losses import generator_adversarial_loss, lattice_energy


def lattice_share(x, period: int = 4, window: int = 32) -> float:
    """Share of x's energy around each window's mean that lies at the window's period-`period`
    frequencies except DC, pooled over all windows, channels and images (0 to 1).

    Args:
        x: (N, C, H, W) array or tensor (an image batch or a gradient).
        period: the lattice period in pixels (4 for a 4x generator).
        window: window side in pixels, a multiple of `period` (as losses.lattice_energy).
    """
    x = paddle.to_tensor(np.asarray(x, dtype=np.float64)) if not isinstance(x, paddle.Tensor) else x.astype("float64")
    n, c, h, w = x.shape
    win = min(window, min(h, w) // period * period)
    rows, cols = h // win, w // win
    lattice = float(lattice_energy(x, period=period, window=win).sum())
    blocks = x[:, :, : rows * win, : cols * win].reshape([n, c, rows, win, cols, win])
    total = float(((blocks - blocks.mean(axis=[3, 5], keepdim=True)) ** 2).mean(axis=[3, 5]).sum())
    return lattice / total if total > 0 else 0.0


def lattice_share_chance(period: int = 4, window: int = 32) -> float:
    """lattice_share of white noise: its energy spreads evenly over the window's window^2 - 1
    non-DC frequencies, period^2 - 1 of which are the lattice's."""
    return (period**2 - 1) / (window**2 - 1)


def loss_gradients(trainer, lr, hr) -> dict[str, np.ndarray]:
    """dL/dSR at SR = G(lr) for a phase-2 trainer's content loss and adversarial loss.

    G runs in eval mode under no_grad (its output is the point where the gradients are taken);
    D runs in train mode, as in `Trainer.gan_step`, on a copy, so that the trainer's D (its
    batch-norm statistics and gradients) is left as it was.

    Args:
        trainer: a srgan.train.Trainer of phase "gan".
        lr: (N, 3, h, w) tensor in [0, 1]; hr: (N, 3, s*h, s*w) tensor in [-1, 1].

    Returns:
        {"content": array, "adversarial": array}, each (N, 3, s*h, s*w).
    """
    if trainer.discriminator is None:
        raise ValueError("loss_gradients needs a phase-2 ('gan') trainer with a discriminator")
    was_training = trainer.generator.training
    trainer.generator.eval()
    with paddle.no_grad():
        sr = trainer.generator(lr).numpy()
    if was_training:
        trainer.generator.train()
    critic = copy.deepcopy(trainer.discriminator)
    critic.train()
    losses = {"content": lambda s: trainer.content_loss(s, hr), "adversarial": lambda s: generator_adversarial_loss(critic(s))}
    grads = {}
    for name, loss in losses.items():
        leaf = paddle.to_tensor(sr, stop_gradient=False)
        loss(leaf).backward()
        grads[name] = leaf.grad.numpy()
    return grads
