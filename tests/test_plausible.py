"""Back-projection and the plausible crops of chapter 4: same LR image, different sharp HR images."""

from __future__ import annotations

import numpy as np
import pytest

from srgan.imresize import imresize
from srgan.plausible import back_project, plausible_crops


def textured(size=64, seed=0):
    """A smooth random texture (values 20..235), so that shifts change it but clipping does not bite."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(20, 235, (size // 4, size // 4, 3))
    return np.clip(imresize(coarse, scale=4) + rng.normal(0, 5, (size, size, 3)), 0, 255)


def test_back_projection_matches_the_target_lr():
    hr, other = textured(seed=0), textured(seed=1)
    lr = imresize(hr, scale=0.25)
    fixed = back_project(other, lr, scale=4, iterations=30)
    before = np.abs(imresize(other, scale=0.25) - lr).mean()
    after = np.abs(imresize(fixed, scale=0.25) - lr).mean()
    assert before > 10 and after < 0.05 * before
    assert fixed.min() >= 0 and fixed.max() <= 255


def test_plausible_crops_share_one_lr_image_and_differ_from_each_other():
    image = textured(size=80)
    crops = plausible_crops(image, top=8, left=8, size=64, shift=1)
    assert len(crops) == 9 and all(c.shape == (64, 64, 3) for c in crops)
    np.testing.assert_allclose(crops[4], image[8:72, 8:72], atol=1e-6)  # the unshifted crop is already consistent
    lr = imresize(image[8:72, 8:72], scale=0.25)
    assert max(np.abs(imresize(c, scale=0.25) - lr).max() for c in crops) < 1.0
    assert min(np.abs(c - crops[4]).mean() for i, c in enumerate(crops) if i != 4) > 1.0


def test_a_shift_that_leaves_the_image_is_an_error():
    with pytest.raises(ValueError, match="leaves the 80x80 image"):
        plausible_crops(textured(size=80), top=0, left=8, size=64, shift=1)
