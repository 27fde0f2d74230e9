"""MATLAB-compatible bicubic resize: hand-computed values, dtypes, shapes, and bit-exact
reproduction of the benchmark LR files (which were made with MATLAB's imresize)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from srgan.imresize import contributions, cubic, imresize


def test_cubic_kernel_values():
    x = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, -0.5])
    # Keys, a = -0.5: 1 at 0, 0.5625 at 0.5, 0 at the integers, -0.0625 at 1.5, 0 outside [-2, 2].
    np.testing.assert_allclose(cubic(x), [1.0, 0.5625, 0.0, -0.0625, 0.0, 0.0, 0.5625])


def test_contribution_rows_sum_to_one_and_indices_in_range():
    for in_len, out_len, scale in [(96, 24, 0.25), (7, 28, 4.0), (10, 5, 0.5), (3, 1, 1 / 3)]:
        weights, indices = contributions(in_len, out_len, scale)
        assert weights.shape == indices.shape and weights.shape[0] == out_len
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert indices.min() >= 0 and indices.max() <= in_len - 1


def test_upscale_matches_hand_computed_values():
    # One row [10, 50] upscaled x4 to (4, 8). Along columns, output pixel 0 sits at input
    # coordinate u = 0.625 (1-based); its taps at distances 1.625, 0.625, -0.375, -1.375 have
    # cubic weights -0.0439453125, 0.3896484375, 0.7275390625, -0.0732421875; the first three
    # fall on (clamped) pixel 1 = 10, the last on pixel 2 = 50:
    #   10 * 1.0732421875 + 50 * -0.0732421875 = 7.0703125.
    # Output pixel 3 (u = 1.375) takes 0.345703125 of pixel 2: 10 + 40 * 0.345703125 = 23.828125.
    image = np.array([[10.0, 50.0]])
    out = imresize(image, scale=4)
    assert out.shape == (4, 8) and out.dtype == np.float64
    np.testing.assert_allclose(out[:, 0], 7.0703125, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out[:, 3], 23.828125, rtol=0, atol=1e-12)
    # Mirror symmetry of the kernel: the right half mirrors the left half around 30.
    np.testing.assert_allclose(out[0] + out[0, ::-1], 60.0, rtol=0, atol=1e-12)
    # uint8 input: the same values rounded (halves away from zero) and kept uint8.
    out8 = imresize(image.astype(np.uint8), scale=4)
    assert out8.dtype == np.uint8
    assert out8[0, 0] == 7 and out8[0, 3] == 24 and out8[0, 7] == 53


def test_uint8_clips_overshoot_and_float_does_not():
    # A sharp 0 -> 255 step overshoots on both sides with the cubic kernel.
    image = np.zeros((4, 4), np.float32)
    image[:, 2:] = 255
    out = imresize(image, scale=4)
    assert out.dtype == np.float32
    assert out.min() < 0 and out.max() > 255
    out8 = imresize(image.astype(np.uint8), scale=4)
    assert out8.dtype == np.uint8 and out8.min() == 0 and out8.max() == 255


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_constant_image_stays_constant(dtype):
    image = np.full((13, 17, 3), 77, dtype)
    for kwargs in [dict(scale=0.25), dict(scale=4), dict(output_shape=(5, 30))]:
        out = imresize(image, **kwargs)
        assert out.dtype == dtype
        np.testing.assert_allclose(out.astype(np.float64), 77.0, rtol=0, atol=1e-9)


def test_shapes():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)
    assert imresize(rgb, scale=0.25).shape == (24, 24, 3)
    assert imresize(rgb, scale=4).shape == (384, 384, 3)
    gray = rng.integers(0, 256, (10, 7), dtype=np.uint8)
    assert imresize(gray, scale=0.5).shape == (5, 4)  # ceil(3.5) = 4, as MATLAB
    assert imresize(gray, output_shape=(5, 9)).shape == (5, 9)
    # Channels are resized independently: a 3-channel image equals its channels done alone.
    np.testing.assert_array_equal(imresize(rgb, scale=0.25)[:, :, 1], imresize(rgb[:, :, 1], scale=0.25))


def test_bad_arguments_raise_clear_errors():
    image = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match="exactly one"):
        imresize(image)
    with pytest.raises(ValueError, match="exactly one"):
        imresize(image, scale=0.5, output_shape=(4, 4))
    with pytest.raises(ValueError, match="positive"):
        imresize(image, scale=0)
    with pytest.raises(TypeError, match="uint8 and floating"):
        imresize(image.astype(np.int32), scale=0.5)
    with pytest.raises(ValueError, match="shape"):
        imresize(np.zeros((2, 2, 2, 2), np.uint8), scale=0.5)


def test_reproduces_benchmark_lr_files_bit_exactly(benchmarks_dir):
    """Every LR_bicubic_x4 file is MATLAB's imresize(HR, 1/4): we must get 0 differing pixels.
    Set14 img_003 is single-channel, so the (H, W) path is exercised on real data too."""
    checked = 0
    for lr_dir in sorted(benchmarks_dir.glob("*/LR_bicubic_x4")):
        for lr_path in sorted(lr_dir.glob("*.png")):
            hr_path = lr_dir.parent / "HR" / lr_path.name
            hr = np.asarray(Image.open(hr_path))
            lr = np.asarray(Image.open(lr_path))
            out = imresize(hr, scale=0.25)
            assert out.shape == lr.shape, lr_path
            differing = int(np.count_nonzero(out != lr))
            assert differing == 0, f"{lr_path}: {differing} pixels differ from MATLAB's imresize"
            checked += 1
    assert checked >= 19, f"expected Set5 + Set14 (19 images) under {benchmarks_dir}, found {checked}"
