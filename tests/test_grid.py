"""The pixel-shuffle lattice ("grid") measures on inputs with known answers (no shared data)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from srgan.metrics import _grid_highpass_windows, _lattice_energy, grid_contrast, grid_ratio, grid_share, grid_share_chance


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return data.camera().astype(np.float64)  # 512 x 512 gray, used as Y


def _pattern(period: int, shape=(512, 512), seed=2) -> np.ndarray:
    """A fixed period-`period` tile of the grey levels -1, 0, 1 (integers: adding it to an
    8-bit image and rounding is exact), as the 16 sub-pixel channels of a generator that
    disagree by a level or so."""
    tile = np.random.default_rng(seed).integers(-1, 2, (period, period)).astype(np.float64)
    reps = (-(-shape[0] // period), -(-shape[1] // period))
    return np.tile(tile, reps)[: shape[0], : shape[1]]


def test_lattice_energy_is_the_dft_energy_at_the_period_4_frequencies():
    rng = np.random.default_rng(0)
    for size in (8, 32, 48):
        windows = rng.normal(size=(3, size, size))
        windows -= windows.mean(axis=(1, 2), keepdims=True)
        spectrum = np.abs(np.fft.fft2(windows)) ** 2 / size**2  # Parseval: sums to the pixel energy
        n = size // 4
        lattice = spectrum[:, ::n, ::n].sum(axis=(1, 2)) - spectrum[:, 0, 0]  # (a n, b n) without DC
        np.testing.assert_allclose(_lattice_energy(windows, 4), lattice, rtol=1e-10)
        np.testing.assert_allclose(spectrum.sum(axis=(1, 2)), np.sum(windows**2, axis=(1, 2)), rtol=1e-10)


def test_grid_share_is_the_dft_share(camera):
    windows = _grid_highpass_windows(camera, 4, 32, 0, "test")
    spectrum = np.sum(np.abs(np.fft.fft2(windows)) ** 2, axis=0)
    expected = (spectrum[::8, ::8].sum() - spectrum[0, 0]) / spectrum.sum()
    assert grid_share(camera) == pytest.approx(expected, rel=1e-10)


def test_highpass_keeps_lattice_and_removes_trends():
    # Gain 1 at the lattice frequencies: a zero-mean period-4 pattern passes unchanged
    # (away from the reflected border), and a quadratic trend (which has unequal phase means)
    # becomes a constant, removed with the window mean.
    pattern = _pattern(4, (64, 64))
    hp = _grid_highpass_windows(pattern, 4, 64, 0, "test")[0]
    np.testing.assert_allclose(hp[4:-4, 4:-4], pattern[4:-4, 4:-4], atol=1e-12)
    r, c = np.mgrid[0:64, 0:64].astype(np.float64)
    trend = 3.0 * r + 0.5 * c + 0.02 * (r - 20) ** 2 + 0.01 * r * c
    hp = _grid_highpass_windows(trend, 4, 64, 0, "test")[0]
    assert np.ptp(hp[4:-4, 4:-4]) < 1e-9


def test_white_noise_gives_the_chance_level():
    noise = np.random.default_rng(0).normal(128, 20, (1024, 1024))
    assert grid_share_chance(4, 32) == pytest.approx(1 / 63)
    assert grid_share(noise) == pytest.approx(grid_share_chance(4, 32), rel=0.05)
    assert grid_share(noise, window=16) == pytest.approx(grid_share_chance(4, 16), rel=0.05)
    assert grid_contrast(noise) == pytest.approx(1.0, abs=0.1)


def test_synthetic_grid_is_caught_monotonically(camera):
    shares, contrasts = [], []
    for amplitude in range(5):  # grey levels
        image = np.clip(camera + amplitude * _pattern(4), 0, 255).astype(np.uint8)
        shares.append(grid_share(image))
        contrasts.append(grid_contrast(image))
    assert np.all(np.diff(shares) > 0) and np.all(np.diff(contrasts) > 0)
    assert shares[0] == grid_share(camera) and contrasts[0] == pytest.approx(1.0, abs=0.1)
    assert shares[2] > 2 * shares[0] and contrasts[2] > 2 * contrasts[0]


def test_one_pixel_shift_changes_a_natural_image_little(camera):
    rgb = data.astronaut()
    for image in (camera, rgb):
        a, b = image[:-1, :-1], image[1:, 1:]
        assert grid_share(b) == pytest.approx(grid_share(a), rel=0.1)
        assert grid_contrast(b) == pytest.approx(grid_contrast(a), rel=0.15)


def test_period_2_is_caught_period_3_is_not(camera):
    clean_share, clean_contrast = grid_share(camera), grid_contrast(camera)
    with_2 = camera + 2 * _pattern(2)
    with_3 = camera + 2 * _pattern(3)
    assert grid_share(with_2) > 2 * clean_share and grid_contrast(with_2) > 2 * clean_contrast
    assert grid_share(with_3) < 1.1 * clean_share and grid_contrast(with_3) < 1.1 * clean_contrast
    # ... and a period-3 lattice is what period=3 is for (window a multiple of 3).
    assert grid_share(with_3, period=3, window=30) > 2 * grid_share(camera, period=3, window=30)


def test_grid_ratio(camera):
    gridded = camera + 2 * _pattern(4)
    assert grid_ratio(camera, camera) == 1.0
    assert grid_ratio(gridded, camera) == pytest.approx(grid_share(gridded) / grid_share(camera))
    assert grid_ratio(gridded, camera) > 2
    # Scale-free and offset-free: brightness and contrast changes do not matter.
    assert grid_share(3 * camera + 10) == pytest.approx(grid_share(camera), rel=1e-9)


def test_crop_border_and_flat_images(camera):
    assert grid_share(camera, crop_border=4) == grid_share(camera[4:-4, 4:-4])
    assert np.isnan(grid_share(np.full((64, 64), 7.0)))
    assert np.isnan(grid_contrast(np.full((64, 64), 7.0)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(image=np.zeros((64, 64, 4))), "RGB"),
        (dict(image=np.zeros(64)), "RGB"),
        (dict(image=np.zeros((20, 64))), "20x64 image .* smaller than one 32x32 window"),
        (dict(image=np.zeros((64, 64)), crop_border=20), "24x24 image"),
        (dict(image=np.zeros((64, 64)), window=30), "multiple of period=4"),
        (dict(image=np.zeros((64, 64)), window=4), "at least 8"),
        (dict(image=np.zeros((64, 64)), period=1), "period must be an integer >= 2"),
        (dict(image=np.zeros((64, 64)), crop_border=-1), "border must be >= 0"),
    ],
)
def test_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        grid_share(**kwargs)
    with pytest.raises(ValueError, match=match):
        grid_contrast(**kwargs)


def test_grid_ratio_rejects_different_shapes(camera):
    with pytest.raises(ValueError, match="differ in shape"):
        grid_ratio(camera, camera[:-4])
