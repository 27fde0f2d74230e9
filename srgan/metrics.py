"""Image quality metrics with the paper's evaluation protocol (Sec. 3.1).

The paper reports PSNR [dB] and SSIM on the Y channel, with a 4-pixel border removed on each
side, computed with the Daala tools. The conventions below were checked against the paper's
bicubic row of Table 2 (see ../shared/benchmarks/README.md):

- Y is MATLAB's rgb2ycbcr luma (ITU-R BT.601, studio range 16..235), kept as float.
  A single-channel image is already luma and is used as Y directly (Set14's grayscale
  'bridge'; converting it with the studio-range formula would move the Set14 mean by 0.09 dB
  away from the paper's number).
- PSNR uses peak 255.
- SSIM: the paper's values are only matched by Daala's `dump_ssim` variant (`ssim_daala`),
  whose Gaussian window grows with the image height. The usual MATLAB/Wang et al. SSIM
  (`ssim_matlab`, Gaussian sigma 1.5) is reported alongside, since most later papers use it.
- Dataset scores are the mean of per-image values.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import correlate1d
from skimage.metrics import structural_similarity

__all__ = ["rgb_to_y", "crop_border", "psnr", "ssim_matlab", "ssim_daala", "daala_gaussian_kernel"]

PEAK = 255.0


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """Luma Y of an 8-bit-range RGB image as MATLAB's rgb2ycbcr (BT.601, range 16..235), float64.

    Args:
        image: (H, W, 3) RGB with values in 0..255 (uint8 or float). An (H, W) image is
            taken to be luma already and returned as float64 unchanged.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image.astype(np.float64)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"rgb_to_y expects an (H, W, 3) RGB or (H, W) gray image, got shape {image.shape}")
    rgb = image.astype(np.float64)
    # BT.601 coefficients scaled to the 219-level studio range (65.481 + 128.553 + 24.966 = 219).
    return 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0


def crop_border(image: np.ndarray, border: int) -> np.ndarray:
    """Remove `border` pixels from each side of an (H, W) or (H, W, C) image."""
    if border < 0:
        raise ValueError(f"border must be >= 0, got {border}")
    if border == 0:
        return image
    h, w = image.shape[:2]
    if h <= 2 * border or w <= 2 * border:
        raise ValueError(f"cannot crop a {border}-pixel border from a {h}x{w} image")
    return image[border : h - border, border : w - border]


def _prepare(sr: np.ndarray, hr: np.ndarray, crop: int, y_channel: bool) -> tuple[np.ndarray, np.ndarray]:
    """Shared protocol: same shape check, optional Y conversion, border crop -> float64 pair."""
    sr, hr = np.asarray(sr), np.asarray(hr)
    if sr.shape != hr.shape:
        raise ValueError(f"images to compare differ in shape: {sr.shape} vs {hr.shape}")
    if y_channel:
        sr, hr = rgb_to_y(sr), rgb_to_y(hr)
    return crop_border(sr, crop).astype(np.float64), crop_border(hr, crop).astype(np.float64)


def psnr(sr: np.ndarray, hr: np.ndarray, crop_border: int = 4, y_channel: bool = True) -> float:
    """Peak signal-to-noise ratio in dB (peak 255); `inf` for identical images.

    Args:
        sr: super-resolved image, (H, W, 3) RGB or (H, W) gray, values 0..255.
        hr: ground truth, same shape.
        crop_border: pixels removed from each side before measuring (paper: 4 = scale).
        y_channel: measure on the BT.601 Y channel (paper) instead of all channels.
    """
    a, b = _prepare(sr, hr, crop_border, y_channel)
    mse = float(np.mean((a - b) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(PEAK * PEAK / mse)


def ssim_matlab(sr: np.ndarray, hr: np.ndarray, crop_border: int = 4, y_channel: bool = True) -> float:
    """SSIM of Wang et al. 2004 as their MATLAB ssim_index (Gaussian window sigma 1.5, 11x11,
    K1 = 0.01, K2 = 0.03, population statistics, mean over the 'valid' window positions).

    Arguments as `psnr`.
    """
    a, b = _prepare(sr, hr, crop_border, y_channel)
    return float(
        structural_similarity(
            a,
            b,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=PEAK,
            channel_axis=-1 if a.ndim == 3 else None,
        )
    )


# --- Daala dump_ssim ----------------------------------------------------------------------
# Daala's tool (tools/dump_ssim.c) differs from the MATLAB SSIM in three ways that matter:
# 1. The Gaussian's sigma scales with the image: sigma = 1.5 * height / 256 (the window
#    stays a fixed fraction of the picture), in both directions (square pixels).
# 2. The kernel is quantised to integers summing to 256, and its half-length is the largest
#    offset whose weight is still at least ~half a unit (capped below min(height, width)).
# 3. No border is dropped: near the edges the window is truncated to the image, the local
#    statistics are normalised by the remaining weight, and the SSIM map is averaged with
#    that remaining weight (pixels near borders count less).
_DAALA_KERNEL_WEIGHT = 256


def daala_gaussian_kernel(sigma: float, max_len: int) -> np.ndarray:
    """Daala's integer Gaussian kernel (sums to 256), as float64 taps of odd length.

    Args:
        sigma: standard deviation in pixels.
        max_len: the half-length is capped at max_len - 1 (Daala passes min(height, width)).
    """
    # Stop where the first left-out tap would round to zero in units of 1/256.
    s = math.sqrt(0.5 * math.pi) * sigma / _DAALA_KERNEL_WEIGHT
    half = 0 if s >= 1 else int(math.floor(sigma * math.sqrt(-2.0 * math.log(s))))
    half = min(half, max_len - 1)
    offsets = np.arange(1, half + 1, dtype=np.float64)
    gauss = np.exp(-0.5 * offsets**2 / sigma**2) / (math.sqrt(2 * math.pi) * sigma)
    side = np.floor(_DAALA_KERNEL_WEIGHT * gauss + 0.5)
    centre = _DAALA_KERNEL_WEIGHT - 2 * side.sum()  # the centre takes up the rounding error
    return np.concatenate([side[::-1], [centre], side])


def _truncated_blur(x: np.ndarray, v_kernel: np.ndarray, h_kernel: np.ndarray) -> np.ndarray:
    # Zero padding + separate normalisation by the blurred ones-image = a window truncated
    # at the borders, as Daala's loops over only the in-image taps.
    out = correlate1d(x, h_kernel, axis=1, mode="constant", cval=0.0)
    return correlate1d(out, v_kernel, axis=0, mode="constant", cval=0.0)


def _ssim_daala_plane(x: np.ndarray, y: np.ndarray) -> float:
    h, w = x.shape
    sigma = 1.5 * h / 256.0
    kernel = daala_gaussian_kernel(sigma, max_len=min(h, w))
    blur = lambda a: _truncated_blur(a, kernel, kernel)  # noqa: E731
    weight = blur(np.ones_like(x))  # per-pixel sum of the in-image window weights
    mu_x, mu_y = blur(x) / weight, blur(y) / weight
    var_x = blur(x * x) / weight - mu_x**2
    var_y = blur(y * y) / weight - mu_y**2
    cov = blur(x * y) / weight - mu_x * mu_y
    c1, c2 = (0.01 * PEAK) ** 2, (0.03 * PEAK) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(np.sum(weight * ssim_map) / np.sum(weight))


def ssim_daala(sr: np.ndarray, hr: np.ndarray, crop_border: int = 4, y_channel: bool = True) -> float:
    """SSIM as Daala's dump_ssim computes it (the SSIM the paper reports, Sec. 3.1).

    Window sigma = 1.5 * height / 256 of the (border-cropped) image, truncated at the image
    edges, map averaged with the window weight. Arguments as `psnr`; with y_channel=False an
    RGB image gives the mean over its channels.
    """
    a, b = _prepare(sr, hr, crop_border, y_channel)
    if a.ndim == 2:
        return _ssim_daala_plane(a, b)
    return float(np.mean([_ssim_daala_plane(a[..., c], b[..., c]) for c in range(a.shape[2])]))
