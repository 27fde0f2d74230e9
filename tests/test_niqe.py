"""NIQE (srgan.niqe): MATLAB's value on the reference image, gray/RGB semantics, sensitivity to
blur and to a period-4 grid, input checks, border crop, and the shipped pristine model."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import numpy as np
import pytest
from skimage import data

from srgan.config import default_shared_dir
from srgan.imresize import imresize
from srgan.metrics import rgb_to_y
from srgan.niqe import MODEL_FILE, load_pristine_model, mscn, niqe

MATLAB_BABOON = 5.72957338  # MATLAB R2021a, the authors' release with the Y-channel convention


@pytest.fixture(scope="module")
def natural() -> np.ndarray:
    """A natural photograph bundled with scikit-image (no download): 300x451 RGB uint8."""
    return data.chelsea()


def _y_uint8(rgb: np.ndarray) -> np.ndarray:
    """The gray image NIQE scores for an RGB image: MATLAB rgb2ycbcr Y, rounded to uint8."""
    return np.floor(rgb_to_y(rgb) + 0.5).astype(np.uint8)


def test_baboon_matches_matlab():
    path = default_shared_dir() / "niqe" / "baboon.png"
    if not path.is_file():
        pytest.skip(f"{path} is missing: put the shared data next to the repo or set SRGAN_SHARED")
    from srgan.image_io import read_image

    assert niqe(read_image(path)) == pytest.approx(MATLAB_BABOON, abs=1e-3)


def test_gray_input_is_used_as_luma(natural):
    # Semantics: RGB is scored through its rounded MATLAB Y; a gray image is taken to be that
    # Y already. So the RGB image and its rounded Y as a gray uint8 image score the same.
    assert niqe(_y_uint8(natural)) == niqe(natural)
    # ... and a gray image is not converted again (the studio-range formula would change it).
    gray = natural[..., 1]
    assert niqe(gray) != niqe(np.repeat(gray[..., None], 3, axis=2))


def test_blur_raises_niqe(natural):
    h, w = natural.shape[:2]
    # Bicubic x4 down and up again (the package's MATLAB imresize): a strongly blurred image.
    blurred = imresize(imresize(natural, scale=0.25), output_shape=(h, w))
    assert niqe(blurred) > niqe(natural) + 1.0


def test_period4_grid_raises_niqe(natural):
    grid = natural.astype(np.int16)
    grid[::4, :, :] += 60  # bright lines on every 4th row and column
    grid[:, ::4, :] += 60
    grid = np.clip(grid, 0, 255).astype(np.uint8)
    assert niqe(grid) > niqe(natural) + 1.0


def test_too_small_image_is_rejected_with_the_minimum_size():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"at least 96x96 pixels.*got 95x200"):
        niqe(rng.integers(0, 256, (95, 200, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"at least 96x96 pixels after cropping crop_border=3"):
        niqe(rng.integers(0, 256, (100, 120), dtype=np.uint8), crop_border=3)
    niqe(rng.integers(0, 256, (96, 96), dtype=np.uint8))  # one patch is enough


@pytest.mark.parametrize(
    "image, match",
    [
        (np.zeros((128, 128, 3), np.float32), "uint8"),
        (np.zeros((128, 128, 4), np.uint8), "shape"),
        (np.zeros((128, 128, 1), np.uint8), "shape"),
        (np.zeros((2, 128, 128, 3), np.uint8), "shape"),
    ],
)
def test_wrong_dtype_or_shape_is_rejected(image, match):
    with pytest.raises(ValueError, match=match):
        niqe(image)


def test_crop_border_equals_cropping_first(natural):
    c = 10
    assert niqe(natural, crop_border=c) == niqe(natural[c:-c, c:-c])
    assert niqe(natural, crop_border=c) != niqe(natural)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="crop_border"):
            niqe(natural, crop_border=bad)


def test_flat_neighbourhoods_give_exact_zero_mscn():
    # Exactly 0 where the 7x7 window is constant (rounding noise would pick a sign at random).
    image = np.full((40, 40), 117.0)
    image[:, 20:] = 30.0
    out = mscn(image)
    assert np.all(out[:, :14] == 0) and np.all(out[:, 26:] == 0)
    assert np.all(out[:, 17:20] > 0) and np.all(out[:, 20:23] < 0)
    assert np.isnan(niqe(np.full((96, 96), 80, np.uint8)))  # no feature is defined


def test_a_flat_patch_is_skipped_like_matlab_nancov(natural):
    # A constant 96x96 patch has NaN features (no negative/positive MSCN coefficients); as
    # MATLAB's nanmean/nancov, the other patches still give a finite score.
    image = natural[:192, :288].copy()
    image[:99, :99] = 128  # patch (0, 0) and its 7x7 neighbourhoods
    assert np.isfinite(niqe(image))


def test_symmetric_imresize_mirrors_the_edges():
    # boundary="symmetric" (MATLAB R2021a) == clamped resize of an explicitly mirrored image:
    # with scale 0.5 a 4-pixel pad shifts the output by exactly 2 pixels and covers all taps.
    x = np.random.default_rng(1).random((21, 30)) * 255
    padded = imresize(np.pad(x, 4, mode="symmetric"), scale=0.5)[2:-2, 2:-2]
    np.testing.assert_allclose(imresize(x, scale=0.5, boundary="symmetric"), padded, rtol=0, atol=1e-9)
    assert not np.allclose(imresize(x, scale=0.5), padded)  # the default still clamps


def test_shipped_model_matches_its_readme_checksum():
    assets = resources.files("srgan") / "assets"
    digest = hashlib.sha256((assets / MODEL_FILE).read_bytes()).hexdigest()
    readme = (assets / "NIQE_MODEL_README.md").read_text(encoding="utf-8")
    assert digest in re.findall(r"\b[0-9a-f]{64}\b", readme)
    mu, cov = load_pristine_model()
    assert mu.shape == (36,) and cov.shape == (36, 36)
    np.testing.assert_allclose(cov, cov.T, rtol=0, atol=1e-12)
    assert load_pristine_model() is load_pristine_model()  # read once, cached
