"""NIQE, the Natural Image Quality Evaluator: a no-reference ("completely blind") quality score.

Mittal, Soundararajan & Bovik, "Making a 'Completely Blind' Image Quality Analyzer",
IEEE Signal Processing Letters 20(3):209-212, 2013.

NIQE measures how far an image's local statistics are from those of pristine natural images.
It needs no reference image and no training on human opinion scores:

1. Local luminance normalisation (paper Sec. II-A): every pixel is turned into a mean-subtracted
   contrast-normalised (MSCN) coefficient (I - mu) / (sigma + 1), with mu and sigma a local mean
   and standard deviation under a 7x7 Gaussian window. For natural images the MSCN
   coefficients are close to Gaussian; distortions change their distribution.
2. Features per patch (Sec. II-C): the image is cut into 96x96 patches. Per patch, a
   generalised Gaussian is fitted to the MSCN coefficients (shape, spread) and an asymmetric
   generalised Gaussian (AGGD) to the products of neighbouring coefficients along four
   orientations (shape, mean, left and right spread): 2 + 4 * 4 = 18 features. The same is
   done on the image downscaled by 2 (Sec. II-C), giving 36 features per patch.
3. Quality (Sec. II-D and III, Eq. 10): a multivariate Gaussian (MVG) is fitted to the
   36-dimensional features of the test image's patches and compared with the MVG the authors fitted to
   patches of a corpus of pristine natural images:
   NIQE = sqrt((mu_1 - mu_2)^T ((Sigma_1 + Sigma_2) / 2)^+ (mu_1 - mu_2)).

Lower NIQE = more natural-looking. NIQE is the no-reference half of the PIRM-SR 2018
perceptual index, PI = ((10 - Ma) + NIQE) / 2.

Conventions (those of the authors' MATLAB release, `computequality.m`, as used by PIRM-SR and
BasicSR; together they reproduce MATLAB's 5.72957338 on ../shared/niqe/baboon.png):

- The image is converted to MATLAB's `rgb2ycbcr` luma Y (BT.601, studio range 16..235) and
  rounded to integers, as MATLAB does for uint8 images. A gray (H, W) image is taken to be
  luma already and used as Y directly (as `srgan.colour.rgb_to_y` does).
- Optional border crop, then the image is cropped (bottom/right) to a multiple of 96 pixels;
  patches do not overlap. All patches are used: the sharpness-based patch selection
  (Sec. II-B) applies to fitting the pristine model; the release's scoring code computes
  the sharpness but does not use it.
- Scale 2 is MATLAB's bicubic `imresize(Y, 0.5)` of the float image (not rounded), with the
  symmetric (mirrored) borders of MATLAB R2021a's imresize; the patches there are 48x48, so
  patch k at scale 2 covers the same pixels as patch k at scale 1.
- Filtering uses 'replicate' borders (MATLAB `imfilter(..., 'replicate')`); neighbour
  products wrap around inside each patch (MATLAB `circshift` on the patch).
- The features are the release's, which differ in form from the paper's text: the first two
  come from an AGGD fit to the MSCN coefficients (its shape and the mean of its left and right
  scale parameters), and the pairwise-product features are the AGGD scale parameters
  beta_l, beta_r themselves, not squared (the pristine model was fitted to these features;
  squaring them, i.e. using variances, would give 15.5 instead of 5.73 on baboon.png).
- MSCN coefficients whose whole 7x7 neighbourhood is constant are exactly 0 (see `mscn`).
- The test image's MVG ignores NaN features as MATLAB's `nanmean` / `nancov` do: the mean of
  each feature over patches where it is defined; the covariance over patches without any NaN.

The pristine MVG (`srgan/assets/niqe_modelparameters.mat`) is the authors' model from their
MATLAB release (LIVE, The University of Texas at Austin), shipped with attribution; see
`srgan/assets/NIQE_MODEL_README.md`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import scipy.io
from scipy.ndimage import correlate1d, maximum_filter, minimum_filter
from scipy.special import gamma

from .colour import rgb_to_y
from .imresize import imresize

__all__ = ["niqe", "load_pristine_model", "niqe_features", "mscn", "BLOCK_SIZE", "MODEL_FILE"]

BLOCK_SIZE = 96  # patch size at scale 1 (the release's blocksizerow / blocksizecol)
NUM_SCALES = 2
MODEL_FILE = "niqe_modelparameters.mat"  # in srgan/assets/

# Shape parameters tried by the moment-matching fit (the release's grid 0.2:0.001:10) and the
# corresponding generalised Gaussian ratio r(a) = Gamma(2/a)^2 / (Gamma(1/a) Gamma(3/a)),
# which is strictly increasing in a, so the best grid point is found by binary search.
_SHAPES = np.round(0.2 + 0.001 * np.arange(9801), 3)
_RATIOS = gamma(2.0 / _SHAPES) ** 2 / (gamma(1.0 / _SHAPES) * gamma(3.0 / _SHAPES))

# Neighbour offsets (row, col) for the pairwise products (paper Sec. II-C): horizontal,
# vertical, main diagonal, secondary diagonal.
_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))


@lru_cache(maxsize=1)
def load_pristine_model() -> tuple[np.ndarray, np.ndarray]:
    """The authors' pristine MVG, read once from the package data and cached.

    Returns:
        (mu, cov): mean (36,) and covariance (36, 36) of the features of pristine natural
        image patches (read-only float64 arrays; copy them before modifying).
    """
    ref = resources.files("srgan") / "assets" / MODEL_FILE
    with ref.open("rb") as f:
        mat = scipy.io.loadmat(f)
    mu = np.asarray(mat["mu_prisparam"], dtype=np.float64).reshape(-1)
    cov = np.asarray(mat["cov_prisparam"], dtype=np.float64)
    if mu.shape != (36,) or cov.shape != (36, 36):
        raise ValueError(f"unexpected NIQE model shapes: mu {mu.shape}, cov {cov.shape}")
    mu.flags.writeable = False
    cov.flags.writeable = False
    return mu, cov


def _gaussian_window_1d(size: int = 7, sigma: float = 7.0 / 6.0) -> np.ndarray:
    """1-D factor of MATLAB's fspecial('gaussian', size, sigma), normalised to sum 1.

    The 2-D window is separable: the outer product of this factor with itself is the 2-D
    window normalised to sum 1 (as the release does after fspecial)."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return g / g.sum()


def _filter(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """MATLAB imfilter(x, g' * g, 'replicate') for a symmetric separable window."""
    return correlate1d(correlate1d(x, g, axis=0, mode="nearest"), g, axis=1, mode="nearest")


def mscn(image: np.ndarray) -> np.ndarray:
    """Mean-subtracted contrast-normalised coefficients (paper Sec. II-A, Eq. 1).

    Args:
        image: (H, W) float luma.

    Returns:
        (I - mu) / (sigma + 1), with mu and sigma the local mean and standard deviation under a
        7x7 Gaussian window (sigma 7/6), same shape as `image`.
    """
    g = _gaussian_window_1d()
    mu = _filter(image, g)
    sigma = np.sqrt(np.abs(_filter(image * image, g) - mu * mu))
    out = (image - mu) / (sigma + 1.0)
    # Where the whole 7x7 neighbourhood is constant, I - mu is exactly 0, but rounding in the
    # filter leaves +-1e-13 or so. The AGGD fits split coefficients by sign (< 0 / > 0), so
    # that noise would move these pixels into one side's statistics; on baboon.png it changes
    # NIQE by 1.4e-4. Set them to the exact 0 (which reproduces MATLAB's value).
    flat = maximum_filter(image, size=7, mode="nearest") == minimum_filter(image, size=7, mode="nearest")
    out[flat] = 0.0
    return out


def _aggd_fit(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Moment-matching AGGD fit, one per row of `x` (paper Sec. II-C; Lasmar et al. 2009).

    Args:
        x: (N, M) samples, one distribution per row.

    Returns:
        (shape, left_scale, right_scale), each (N,). As in the release, a row without negative
        (or positive) samples gets a NaN left (right) scale, and a row whose shape cannot be
        estimated gets the first grid value 0.2 (MATLAB's min() over all-NaN returns index 1).
    """
    sq = x * x
    neg, pos = x < 0, x > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        left_std = np.sqrt((sq * neg).sum(axis=1) / neg.sum(axis=1))
        right_std = np.sqrt((sq * pos).sum(axis=1) / pos.sum(axis=1))
        ratio_lr = left_std / right_std
        r_hat = np.abs(x).mean(axis=1) ** 2 / sq.mean(axis=1)
        r_norm = r_hat * (ratio_lr**3 + 1) * (ratio_lr + 1) / (ratio_lr**2 + 1) ** 2
    # Nearest grid ratio (squared difference, ties to the smaller shape, as MATLAB's min):
    # with _RATIOS increasing, it is one of the two grid points around r_norm.
    hi = np.clip(np.searchsorted(_RATIOS, r_norm, side="right"), 1, len(_RATIOS) - 1)
    lo = hi - 1
    take_hi = (_RATIOS[hi] - r_norm) ** 2 < (_RATIOS[lo] - r_norm) ** 2
    idx = np.where(take_hi, hi, lo)
    idx[np.isnan(r_norm)] = 0
    shape = _SHAPES[idx]
    factor = np.sqrt(gamma(1.0 / shape) / gamma(3.0 / shape))
    return shape, left_std * factor, right_std * factor


def _to_blocks(x: np.ndarray, block: int) -> np.ndarray:
    """(nr*block, nc*block) -> (nr*nc, block, block) non-overlapping patches, row-major order."""
    nr, nc = x.shape[0] // block, x.shape[1] // block
    return x.reshape(nr, block, nc, block).swapaxes(1, 2).reshape(nr * nc, block, block)


def _block_features(blocks: np.ndarray) -> np.ndarray:
    """The 18 features of each MSCN patch (paper Sec. II-C).

    Args:
        blocks: (N, b, b) MSCN patches.

    Returns:
        (N, 18): [shape, mean of left and right scale] of an AGGD fitted to the MSCN
        coefficients, then for each orientation in _SHIFTS the AGGD [shape, mean, left
        scale, right scale] of the neighbour products.
    """
    n = blocks.shape[0]
    flat = blocks.reshape(n, -1)
    shape, left, right = _aggd_fit(flat)
    feats = [shape, (left + right) / 2.0]
    for shift in _SHIFTS:
        # Neighbour products within the patch, wrapping around its edges (MATLAB circshift).
        pairs = flat * np.roll(blocks, shift, axis=(1, 2)).reshape(n, -1)
        shape, left, right = _aggd_fit(pairs)
        with np.errstate(invalid="ignore"):
            mean = (right - left) * gamma(2.0 / shape) / gamma(1.0 / shape)  # AGGD mean (paper Eq. 8)
        feats += [shape, mean, left, right]
    return np.stack(feats, axis=1)


def niqe_features(y: np.ndarray) -> np.ndarray:
    """36 NIQE features for each 96x96 patch of a luma image.

    Args:
        y: (H, W) float luma with H, W >= 96; the bottom/right remainder beyond a multiple
            of 96 is dropped.

    Returns:
        (N, 36) features, N = (H // 96) * (W // 96): 18 at scale 1, then 18 at scale 2
        (row k of both halves describes the same image region).
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2 or min(y.shape) < BLOCK_SIZE:
        raise ValueError(f"niqe_features needs an (H, W) image, H, W >= {BLOCK_SIZE}, got shape {y.shape}")
    nr, nc = y.shape[0] // BLOCK_SIZE, y.shape[1] // BLOCK_SIZE
    image = y[: nr * BLOCK_SIZE, : nc * BLOCK_SIZE]
    per_scale = []
    for scale in range(1, NUM_SCALES + 1):
        block = BLOCK_SIZE // scale
        per_scale.append(_block_features(_to_blocks(mscn(image), block)))
        if scale < NUM_SCALES:
            # MATLAB imresize(im, 0.5) of the float image (no rounding); R2021a's imresize
            # mirrors at the borders (clamping, as older releases, moves baboon's NIQE by 0.01).
            image = imresize(image, scale=0.5, boundary="symmetric")
    return np.concatenate(per_scale, axis=1)


def _nan_mvg(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance as MATLAB's nanmean and nancov (rows = observations).

    The mean of each column skips NaNs; the covariance uses only the rows without NaN and is
    normalised by n - 1 (by 1 when there is a single such row, giving zeros, as MATLAB's cov).
    """
    defined = ~np.isnan(features)
    with np.errstate(invalid="ignore", divide="ignore"):  # a column without values -> NaN
        mu = np.where(defined, features, 0.0).sum(axis=0) / defined.sum(axis=0)
    complete = features[defined.all(axis=1)]
    n = complete.shape[0]
    if n == 0:
        return mu, np.full((features.shape[1],) * 2, np.nan)
    centred = complete - complete.mean(axis=0)
    return mu, centred.T @ centred / max(n - 1, 1)


def _luma(image: np.ndarray) -> np.ndarray:
    """MATLAB rgb2ycbcr Y of a uint8 RGB image rounded to integers (gray: unchanged), float64."""
    y = rgb_to_y(image)
    # rgb2ycbcr on uint8 returns uint8: round halves away from zero (Y >= 16 > 0 here).
    return np.floor(y + 0.5)


def niqe(image: np.ndarray, crop_border: int = 0) -> float:
    """NIQE score of an image (Mittal, Soundararajan & Bovik, IEEE SPL 2013); lower = more natural.

    The procedure and conventions are those of the authors' MATLAB release (see the module
    docstring); the pristine model is the authors' (LIVE, UT Austin), shipped with
    attribution in srgan/assets/.

    Args:
        image: uint8 RGB (H, W, 3) or gray (H, W). RGB is converted to MATLAB rgb2ycbcr luma
            (BT.601, 16..235) rounded to integers; a gray image is used as luma directly, so
            niqe(gray) == niqe(rgb) when gray is that rounded luma of rgb.
        crop_border: pixels removed from each side before scoring (0 = the MATLAB default).

    Returns:
        The NIQE score (float; NaN if no feature can be estimated, e.g. a constant image).

    Raises:
        ValueError: wrong shape or dtype, negative crop_border, or an image smaller than
            96x96 pixels after the border crop (NIQE needs at least one 96x96 patch).
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"niqe expects a uint8 image, got dtype {image.dtype}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"niqe expects an (H, W, 3) RGB or (H, W) gray image, got shape {image.shape}")
    if isinstance(crop_border, bool) or not isinstance(crop_border, (int, np.integer)) or crop_border < 0:
        raise ValueError(f"crop_border must be an integer >= 0, got {crop_border!r}")
    h, w = image.shape[:2]
    c = int(crop_border)
    if h - 2 * c < BLOCK_SIZE or w - 2 * c < BLOCK_SIZE:
        after = f" after cropping crop_border={c} from each side" if c else ""
        raise ValueError(
            f"niqe needs an image of at least {BLOCK_SIZE}x{BLOCK_SIZE} pixels{after} "
            f"(one {BLOCK_SIZE}x{BLOCK_SIZE} patch), got {h}x{w}"
        )
    if c:
        image = image[c : h - c, c : w - c]

    features = niqe_features(_luma(image))
    mu_dist, cov_dist = _nan_mvg(features)
    mu_pris, cov_pris = load_pristine_model()
    diff = mu_pris - mu_dist
    if not (np.all(np.isfinite(diff)) and np.all(np.isfinite(cov_dist))):
        return float("nan")
    # Eq. 10. Pseudo-inverse with MATLAB pinv's default tolerance, max(size) * eps(norm).
    mean_cov = (cov_pris + cov_dist) / 2.0
    inv = np.linalg.pinv(mean_cov, rcond=mean_cov.shape[0] * np.finfo(np.float64).eps)
    return float(np.sqrt(diff @ inv @ diff))
