"""Metrics on inputs with known answers (no shared data needed)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from srgan.metrics import crop_border, daala_gaussian_kernel, psnr, rgb_to_y, ssim_daala, ssim_matlab


def _image(shape=(40, 48, 3), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_rgb_to_y_known_colours():
    colours = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    y = rgb_to_y(colours)
    assert y.dtype == np.float64 and y.shape == (1, 5)
    # Studio range: white 235, black 16; primaries 16 + coefficient (65.481, 128.553, 24.966).
    np.testing.assert_allclose(y[0], [235.0, 16.0, 81.481, 144.553, 40.966], rtol=0, atol=1e-9)


def test_rgb_to_y_uses_gray_image_directly():
    gray = np.array([[0, 128, 255]], np.uint8)
    np.testing.assert_array_equal(rgb_to_y(gray), [[0.0, 128.0, 255.0]])
    with pytest.raises(ValueError, match="RGB"):
        rgb_to_y(np.zeros((4, 4, 4), np.uint8))


def test_crop_border():
    image = _image((10, 12, 3))
    assert crop_border(image, 4).shape == (2, 4, 3)
    np.testing.assert_array_equal(crop_border(image, 2), image[2:8, 2:10])
    assert crop_border(image, 0) is image
    with pytest.raises(ValueError, match="10x12"):
        crop_border(image, 5)


def test_psnr_identical_is_inf_without_warnings():
    image = _image()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a divide-by-zero RuntimeWarning would fail here
        assert psnr(image, image) == math.inf
        assert psnr(image, image, y_channel=False) == math.inf


@pytest.mark.parametrize("d", [1, 3, 10])
def test_psnr_of_uniform_error_is_20log10_255_over_d(d):
    hr = np.full((20, 20), 100, np.uint8)  # gray: Y is the image itself
    sr = hr + np.uint8(d)
    assert psnr(sr, hr) == pytest.approx(20 * math.log10(255 / d), rel=1e-12)
    # On RGB without Y conversion, an error of d on every channel gives the same.
    hr_rgb = np.full((20, 20, 3), 100, np.uint8)
    assert psnr(hr_rgb + np.uint8(d), hr_rgb, y_channel=False) == pytest.approx(20 * math.log10(255 / d), rel=1e-12)
    # On the Y channel, an error of d on R, G and B is an error of 219/255 * d in Y.
    assert psnr(hr_rgb + np.uint8(d), hr_rgb) == pytest.approx(20 * math.log10(255 / (d * 219 / 255)), rel=1e-12)


def test_psnr_ignores_the_cropped_border():
    hr = _image((30, 30, 3))
    sr = hr.copy()
    sr[:4] = 0  # damage only the top 4 rows
    assert psnr(sr, hr, crop_border=4) == math.inf
    assert psnr(sr, hr, crop_border=0) < 40


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="differ in shape"):
        psnr(_image((20, 20, 3)), _image((20, 24, 3)))


@pytest.mark.parametrize("ssim", [ssim_matlab, ssim_daala])
def test_ssim_identical_is_one_and_decreases_with_noise(ssim):
    hr = _image((64, 64, 3))
    assert ssim(hr, hr) == pytest.approx(1.0, abs=1e-12)
    rng = np.random.default_rng(1)
    values = []
    for sigma in (2, 8, 32):
        noisy = np.clip(hr + rng.normal(0, sigma, hr.shape), 0, 255).astype(np.uint8)
        values.append(ssim(noisy, hr))
    assert 1 > values[0] > values[1] > values[2] > 0


def test_daala_kernel_matches_dump_ssim_construction():
    # sigma = 1.5 * 256 / 256 = 1.5 for a 256-pixel-high image. Half-length:
    # floor(1.5 * sqrt(-2 ln(sqrt(pi/2) * 1.5 / 256))) = floor(4.71) = 4.
    k = daala_gaussian_kernel(1.5, max_len=256)
    assert k.shape == (9,) and k.sum() == 256 and np.all(k == k[::-1])
    expected_side = [np.floor(256 * math.exp(-(i * i) / 4.5) / (math.sqrt(2 * math.pi) * 1.5) + 0.5) for i in (1, 2, 3, 4)]
    np.testing.assert_array_equal(k[5:], expected_side)
    assert k[4] == 256 - 2 * sum(expected_side)
    # The half-length is capped below min(height, width).
    assert daala_gaussian_kernel(30.0, max_len=5).shape == (9,)


def _daala_reference(x: np.ndarray, y: np.ndarray) -> float:
    """Pixel-by-pixel transcription of dump_ssim's loops: at each pixel, sum the integer
    kernel weights over the in-image part of the window only; pool weighted by that sum."""
    h, w = x.shape
    k = daala_gaussian_kernel(1.5 * h / 256, max_len=min(h, w))
    half = len(k) // 2
    total, total_weight = 0.0, 0.0
    for r in range(h):
        r0, r1 = max(0, r - half), min(h, r + half + 1)
        for c in range(w):
            c0, c1 = max(0, c - half), min(w, c + half + 1)
            win = np.outer(k[r0 - r + half : r1 - r + half], k[c0 - c + half : c1 - c + half])
            px, py = x[r0:r1, c0:c1], y[r0:r1, c0:c1]
            wsum = win.sum()
            mx, my = (win * px).sum(), (win * py).sum()
            x2, y2, xy = (win * px * px).sum(), (win * py * py).sum(), (win * px * py).sum()
            c1, c2 = 255.0**2 * 1e-4 * wsum**2, 255.0**2 * 9e-4 * wsum**2
            total += wsum * (2 * mx * my + c1) * (c2 + 2 * (xy * wsum - mx * my)) / (
                (mx * mx + my * my + c1) * (x2 * wsum - mx * mx + y2 * wsum - my * my + c2)
            )
            total_weight += wsum
    return total / total_weight


def test_ssim_daala_matches_a_loop_transcription_of_dump_ssim():
    # 256 rows -> sigma 1.5, a 9x9 window; 14 columns so that every pixel's window is
    # truncated by the left or right border, which is where Daala differs most from MATLAB.
    rng = np.random.default_rng(2)
    hr = rng.integers(0, 256, (256, 14), dtype=np.uint8)
    sr = np.clip(hr + rng.normal(0, 12, hr.shape), 0, 255).astype(np.uint8)
    expected = _daala_reference(sr.astype(np.float64), hr.astype(np.float64))
    assert ssim_daala(sr, hr, crop_border=0) == pytest.approx(expected, rel=1e-10)


def test_rgb_to_y_is_one_function_that_niqe_gets_without_importing_metrics():
    import os
    import subprocess
    import sys
    from pathlib import Path

    from srgan import colour, niqe

    assert rgb_to_y is colour.rgb_to_y is niqe.rgb_to_y
    code = ("import sys, numpy as np, srgan.niqe as n; n.niqe(np.random.default_rng(0).integers(0, 256, (192, 192, 3), np.uint8)); "
            "sys.exit('srgan.metrics' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


def test_colour_shift_is_the_largest_channel_mean_difference():
    from srgan.metrics import colour_shift

    hr = np.random.default_rng(5).integers(20, 230, (12, 10, 3)).astype(np.uint8)
    cast = hr.astype(np.int16) + np.array([1, -2, 6])
    cast[:2] = 0  # a changed border, removed by crop_border
    assert colour_shift(hr, hr) == 0.0
    assert colour_shift(cast.astype(np.uint8), hr, crop_border=2) == pytest.approx(6.0)
    assert colour_shift(hr[..., 0], hr[..., 0]) is None  # gray: no colour
    with pytest.raises(ValueError, match="differ in shape"):
        colour_shift(hr, hr[:-1])


def _smooth_colour_photo(seed=0, shape=(64, 80)) -> np.ndarray:
    """A photo-like test image: colour gradients, fine colour texture (so that its chroma detail
    is the photo's, not uint8 rounding) and luminance texture."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    base = np.stack([100 + 60 * np.sin(xx / 13.0), 120 + 50 * np.cos(yy / 11.0), 90 + 40 * np.sin((xx + yy) / 17.0)], axis=2)
    colour_texture = gaussian_filter(rng.normal(0, 12, (*shape, 3)), sigma=(0.8, 0.8, 0))
    luma_texture = rng.normal(0, 6, shape)[:, :, None]  # the same in R, G and B: no chroma
    return np.clip(base + colour_texture + luma_texture, 0, 255).round().astype(np.uint8)


def test_colour_speckle_is_one_for_a_photo_against_itself_and_none_for_gray():
    from srgan.metrics import colour_speckle

    photo = _smooth_colour_photo()
    assert colour_speckle(photo, photo, crop_border=4) == pytest.approx(1.0)
    assert colour_speckle(photo[:, :, 0], photo[:, :, 0]) is None


def test_colour_speckle_sees_coloured_noise_and_not_gray_texture():
    """Per-pixel tints (what a GAN invents on fur and sky) raise it far above 1; texture with no
    colour, however strong, leaves it where it was; a blur of the chroma lowers it."""
    from scipy.ndimage import gaussian_filter

    from srgan.metrics import colour_speckle

    hr = _smooth_colour_photo()
    rng = np.random.default_rng(1)
    speckled = np.clip(hr + rng.normal(0, 8, hr.shape), 0, 255).round().astype(np.uint8)  # independent per channel
    gray_texture = np.clip(hr + rng.normal(0, 20, hr.shape[:2])[:, :, None], 0, 255).round().astype(np.uint8)
    smoothed = gaussian_filter(hr.astype(float), sigma=(1.5, 1.5, 0)).round().astype(np.uint8)
    assert colour_speckle(speckled, hr, crop_border=4) > 3.0
    assert colour_speckle(gray_texture, hr, crop_border=4) == pytest.approx(1.0, abs=0.15)
    assert colour_speckle(smoothed, hr, crop_border=4) < 0.8


def _stripes(angle_degrees: float, size: int = 96, period: float = 3.0) -> np.ndarray:
    """Fine gray stripes (period 3 px, the texture a 4x upscaler has to invent) at an angle."""
    y, x = np.mgrid[:size, :size].astype(float)
    t = np.deg2rad(angle_degrees)
    wave = np.sin(2 * np.pi * (x * np.cos(t) + y * np.sin(t)) / period)
    return np.repeat((128 + 60 * wave).round().astype(np.uint8)[:, :, None], 3, axis=2)


def test_texture_direction_follows_the_photo_s_stripes_and_not_grain_or_crossing_ones():
    """1 for texture along HR's (the photo itself, or brighter stripes of the same direction),
    about 0 for grain of the same strength, about -1 for stripes across HR's; None for a flat HR."""
    from srgan.metrics import texture_direction

    hr = _stripes(30)
    rng = np.random.default_rng(0)
    grain = np.clip(128 + rng.normal(0, 40, hr.shape[:2]), 0, 255).round().astype(np.uint8)
    grain = np.repeat(grain[:, :, None], 3, axis=2)
    assert texture_direction(hr, hr, crop_border=4) == pytest.approx(1.0)
    assert texture_direction(np.clip(hr.astype(int) * 1.2 - 25, 0, 255).astype(np.uint8), hr, crop_border=4) > 0.99
    assert abs(texture_direction(grain, hr, crop_border=4)) < 0.15
    assert texture_direction(_stripes(120), hr, crop_border=4) < -0.9
    assert texture_direction(hr, np.full_like(hr, 128), crop_border=4) is None


def test_rgb_to_cbcr_matches_jpeg_full_range_formula():
    from srgan.colour import rgb_to_cbcr

    colours = np.array([[[128, 128, 128], [255, 0, 0], [0, 0, 255]]], np.uint8)
    cbcr = rgb_to_cbcr(colours)
    # JPEG (JFIF) full range: Cb = 128 - 0.168736 R - 0.331264 G + 0.5 B, Cr = 128 + 0.5 R - 0.418688 G - 0.081312 B.
    np.testing.assert_allclose(cbcr[0, 0], [0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(cbcr[0, 1], [-0.168736 * 255, 0.5 * 255], atol=1e-9)
    np.testing.assert_allclose(cbcr[0, 2], [0.5 * 255, -0.081312 * 255], atol=1e-9)


def test_colour_speckle_of_a_gray_photo_stored_as_rgb_is_none():
    from srgan.metrics import colour_speckle

    gray = np.repeat(_smooth_colour_photo()[:, :, :1], 3, axis=2)
    tinted = gray.copy()
    tinted[::2, ::2, 0] += 3
    assert colour_speckle(tinted, gray, crop_border=4) is None


def test_ssim_on_an_image_smaller_than_its_window_says_so_in_the_protocols_terms():
    """Hostile test s20 F8: a 16x16 pair (8x8 after the border) gave scikit-image's advice about
    win_size and channel_axis, which a user of `srgan evaluate` cannot pass."""
    from srgan.metrics import ssim_matlab

    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ValueError, match=r"^8x8 px after the 4-pixel border; SSIM \(MATLAB\) needs at least 11x11"):
        ssim_matlab(image, image)
    assert ssim_matlab(np.zeros((19, 19, 3), np.uint8), np.zeros((19, 19, 3), np.uint8)) == 1.0  # 11x11 is enough
