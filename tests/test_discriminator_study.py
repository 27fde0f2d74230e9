"""The discriminator experiment of chapter 3: its crops, its accuracy, and that a D trained by it learns."""

from __future__ import annotations

import numpy as np
import pytest

from srgan.discriminator_study import MODES, accuracy, real_and_upscaled, train_discriminator
from srgan.imresize import imresize

from tiny import images


def test_accuracy_is_balanced_over_both_kinds():
    # 1 of 2 real crops called real, 2 of 2 upscaled called upscaled: (0.5 + 1) / 2
    assert accuracy(np.array([2.0, -1.0]), np.array([-3.0, -0.5])) == 0.75
    assert accuracy(np.array([-1.0]), np.array([1.0])) == 0.0  # everything the wrong way round


def test_real_and_upscaled_pairs_a_crop_with_its_bicubic_version():
    real, fake = real_and_upscaled(images(), crop=16, seed=0, n=3)
    assert real.shape == fake.shape == [3, 3, 16, 16]
    hr = np.round((real.numpy()[1].transpose(1, 2, 0) + 1) * 127.5).astype(np.uint8)
    expected = imresize(imresize(hr, scale=0.25), scale=4).astype(np.float32) / 127.5 - 1
    np.testing.assert_allclose(fake.numpy()[1].transpose(1, 2, 0), expected, atol=1e-6)
    again, _ = real_and_upscaled(images(), crop=16, seed=0, n=3)
    other, _ = real_and_upscaled(images(), crop=16, seed=1, n=3)
    assert np.array_equal(real.numpy(), again.numpy()) and not np.array_equal(real.numpy(), other.numpy())


def test_a_d_trained_on_noise_against_its_blur_learns_it():
    # Random-noise photos lose almost everything to a bicubic x4 round trip: an easy task, which a
    # D whose loss, labels or optimizer step were wrong would still fail.
    real, fake = real_and_upscaled(images(), crop=16, seed=0, n=160)
    test_real, test_fake = real_and_upscaled(images(), crop=16, seed=1, n=16)
    curve = train_discriminator(real, fake, test_real, test_fake, one_batch=True, seed=0, channels=4,
                                steps=40, batch_size=4, lr=2e-3, measure_every=15)
    assert [step for step, _ in curve] == [15, 30, 40]
    assert set(curve[-1][1]) == set(MODES)
    assert curve[-1][1]["eval mode"] >= 0.9 and curve[-1][1]["train mode, one batch"] >= 0.9


def test_too_few_crops_is_an_error():
    real, fake = real_and_upscaled(images(), crop=16, seed=0, n=4)
    with pytest.raises(ValueError, match="need 8 crops"):
        train_discriminator(real, fake, real, fake, one_batch=False, seed=0, steps=2, batch_size=4)


def test_a_d_without_batch_norm_judges_each_crop_alone():
    """norm="spectral" (chapter 3's exercise 5): no batch norm, so a crop's verdict is the same
    whatever else is in its batch; with the paper's BN it is not."""
    real, fake = real_and_upscaled(images(), crop=16, seed=0, n=32)
    test_real, test_fake = real_and_upscaled(images(), crop=16, seed=1, n=16)
    curves = {norm: train_discriminator(real, fake, test_real, test_fake, one_batch=False, seed=0, channels=4, steps=8,
                                        batch_size=4, lr=2e-3, measure_every=8, norm=norm) for norm in ("batch", "spectral")}
    spectral = curves["spectral"][-1][1]
    assert len(set(round(v, 6) for v in spectral.values())) == 1, spectral  # eval, one batch, two calls agree
    assert len(set(round(v, 6) for v in curves["batch"][-1][1].values())) > 1, curves["batch"]
