"""What a discriminator learns from real HR crops against bicubic-upscaled ones, and how batch
normalisation makes its answer depend on the way crops are batched (chapter 3 of the book).

A D is trained with the loss of Eq. 2 on real crops against the same crops shrunk by 4 and
enlarged again with bicubic (the paper's baseline), either as one mixed batch per update or as
two calls, one batch of each kind (how `srgan.train.Trainer` calls D). Its held-out accuracy is
then measured three ways, because batch norm answers differently in each:

- "eval mode": batch norm uses its running statistics, so every crop is judged on its own;
- "train mode, two calls": a batch of real crops and a batch of upscaled crops, separately;
- "train mode, one batch": real and upscaled crops mixed in one batch.

    from srgan.discriminator_study import real_and_upscaled, train_discriminator
    real, fake = real_and_upscaled(images, crop=48, seed=0, n=1200)
    test_real, test_fake = real_and_upscaled(images, crop=48, seed=1, n=64)
    curve = train_discriminator(real, fake, test_real, test_fake, one_batch=False, seed=0)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import paddle

from .data import TrainCrops, hr_to_tensor
from .imresize import imresize
from .losses import discriminator_loss
from .models import Discriminator

MODES = ("eval mode", "train mode, two calls", "train mode, one batch")


def real_and_upscaled(images: Sequence[tuple[str, np.ndarray]], *, crop: int, seed: int, n: int,
                      scale: int = 4) -> tuple[paddle.Tensor, paddle.Tensor]:
    """`n` real HR crops and the same crops after bicubic down and up by `scale`.

    Args:
        images: (name, uint8 RGB image) pairs, e.g. from srgan.data.load_training_images.
        crop: HR crop side in pixels (a multiple of `scale`).
        seed: picks the crops (srgan.data.TrainCrops: crop i depends only on seed and i), so two
            seeds give two different streams, e.g. a training and a held-out set.
        n: number of crops.
        scale: the degradation factor.

    Returns:
        (real, upscaled), both float32 tensors (n, 3, crop, crop) in [-1, 1], row i of both
        made from the same crop.
    """
    crops = TrainCrops(images, hr_size=crop, scale=scale, augment=True, seed=seed)
    pairs = [crops.crop(i) for i in range(n)]
    real = np.stack([hr_to_tensor(hr) for _, hr in pairs])
    upscaled = np.stack([hr_to_tensor(imresize(lr, scale=scale)) for lr, _ in pairs])
    return paddle.to_tensor(real), paddle.to_tensor(upscaled)


def accuracy(real_logits: np.ndarray, fake_logits: np.ndarray) -> float:
    """Balanced accuracy: the mean of the share of real crops called real (logit > 0) and the
    share of upscaled crops called upscaled (logit < 0). 0.5 is chance."""
    return float(((np.asarray(real_logits) > 0).mean() + (np.asarray(fake_logits) < 0).mean()) / 2)


def held_out_accuracies(net: Discriminator, real: paddle.Tensor, fake: paddle.Tensor) -> dict[str, float]:
    """The accuracy of `net` on (real, fake) in each of MODES; `net` is left in train mode.

    Running the net in train mode updates batch norm's running statistics a little; the
    training that follows uses batch statistics only, so that does not change its course.
    """
    with paddle.no_grad():
        net.eval()
        scores = {MODES[0]: accuracy(net(real).numpy(), net(fake).numpy())}
        net.train()
        scores[MODES[1]] = accuracy(net(real).numpy(), net(fake).numpy())
        both = net(paddle.concat([real, fake])).numpy()
        scores[MODES[2]] = accuracy(both[: len(real)], both[len(real):])
    return scores


def train_discriminator(real: paddle.Tensor, fake: paddle.Tensor, test_real: paddle.Tensor, test_fake: paddle.Tensor,
                        *, one_batch: bool, seed: int, channels: int = 8, steps: int = 150, batch_size: int = 8,
                        lr: float = 2e-4, measure_every: int = 25, norm: str = "batch") -> list[tuple[int, dict[str, float]]]:
    """Train a fresh Discriminator on real vs upscaled crops and measure it as it learns.

    Args:
        real, fake: training crops (N, 3, S, S) in [-1, 1], N >= steps * batch_size (each crop
            is seen once).
        test_real, test_fake: held-out crops, measured every `measure_every` updates.
        one_batch: True: real and upscaled crops go through D as one batch per update; False:
            as two calls, one batch of each (the trainer's way).
        seed: initial weights and the order of the crops.
        channels: D's width (the paper's is 64).
        steps: D updates.
        batch_size: crops of each kind per update.
        lr: Adam learning rate (beta1 0.9, the paper's).
        measure_every: updates between two measurements; the last update is always measured.
        norm: D's normalisation, models.Discriminator's: "batch" (the paper's) or "spectral"
            (no batch norm, so nothing in D depends on the rest of the batch).

    Returns:
        [(update, held_out_accuracies), ...] in update order.
    """
    if len(real) < steps * batch_size or len(fake) != len(real):
        raise ValueError(f"train_discriminator: {steps} steps of {batch_size} need {steps * batch_size} crops of each "
                         f"kind, got {len(real)} real and {len(fake)} upscaled")
    paddle.seed(seed)
    net = Discriminator(channels=channels, image_size=real.shape[-1], norm=norm)
    optimizer = paddle.optimizer.Adam(learning_rate=lr, beta1=0.9, parameters=net.parameters())
    order = np.random.default_rng(seed).permutation(len(real))
    curve = []
    for step in range(steps):
        net.train()
        index = paddle.to_tensor(order[step * batch_size:(step + 1) * batch_size])
        real_batch, fake_batch = real[index], fake[index]
        if one_batch:  # batch norm normalises real and upscaled crops together
            logits = net(paddle.concat([real_batch, fake_batch]))
            loss = discriminator_loss(logits[:batch_size], logits[batch_size:])
        else:  # each call is normalised with the statistics of one kind of crop
            loss = discriminator_loss(net(real_batch), net(fake_batch))
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()
        if (step + 1) % measure_every == 0 or step + 1 == steps:
            curve.append((step + 1, held_out_accuracies(net, test_real, test_fake)))
    return curve
