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
- Dataset scores are the mean of per-image values (summary_score; the median for colour speckle).

The end of the file lists every score once (METRICS) with the one function that scores an
(SR, HR) pair (score_pair), which evaluation, training and release all use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import correlate1d, gaussian_filter
from skimage.metrics import structural_similarity

from .colour import rgb_to_cbcr, rgb_to_y  # shared with srgan.niqe; re-exported here
from .niqe import BLOCK_SIZE as NIQE_BLOCK
from .niqe import niqe  # no-reference naturalness (Mittal et al. 2013); its own module, re-exported here

__all__ = [
    "rgb_to_y",
    "crop_border",
    "psnr",
    "ssim_matlab",
    "ssim_daala",
    "daala_gaussian_kernel",
    "grid_share",
    "grid_ratio",
    "grid_contrast",
    "grid_share_chance",
    "niqe",
    "colour_shift",
    "colour_speckle",
    "texture_direction",
    "METRICS",
    "METRIC_NAMES",
    "VALIDATION_METRICS",
    "score_pair",
    "summary_score",
]

PEAK = 255.0


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
    if min(a.shape[:2]) < 11:  # said in the protocol's terms, not in scikit-image's (win_size, channel_axis)
        raise ValueError(f"{a.shape[1]}x{a.shape[0]} px after the {crop_border}-pixel border; SSIM (MATLAB) needs "
                         "at least 11x11 (its Gaussian window)")
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


# --- Pixel-shuffle lattice ("grid") artefact ------------------------------------------------
# A x4 sub-pixel generator (two x2 pixel shuffles, paper Fig. 4) writes output pixel (r, c)
# from the sub-pixel channel chosen by (r mod 4, c mod 4); when those 16 channels disagree
# systematically, the output carries a faint period-4 pattern. Its energy sits at the
# period-4 frequencies (a/4, b/4) cycles/pixel, a, b in 0..3, not both 0 (period 2 is among
# them). Both measures below work on a high-pass of the Y channel, cut into non-overlapping
# windows (the lattice's sign follows the image content, so it would cancel in a global
# average), and pool energies over windows (energy-weighted: flat windows do not dominate).
#
# Within a window of N x N pixels (N a multiple of the period P, n = N / P), let M[p, q] be
# the mean of the pixels with (row mod P, col mod P) = (p, q) minus the window mean. Because
# exp(-2 pi i a n r / N) depends only on r mod P, the window's DFT at (a n, b n) is the P x P
# DFT of the phase sums n^2 M, and Parseval on the P x P grid gives
#     sum_{(a, b) != 0} |X[a n, b n]|^2 / N^2 = n^2 * sum_{p, q} M[p, q]^2,
# i.e. the lattice energy is the energy of the window's projection onto the period-P patterns
# (the tiled M). tests/test_grid.py checks this identity numerically.
#
# The high-pass is y - blur(y) with the separable symmetric blur [1, 2, ..., 2, 1] / (2P)
# (P + 1 taps: a P-pixel box averaged over its two half-pixel alignments). Its frequency
# response is zero at every non-zero multiple of 1/P, so the high-pass has gain exactly 1
# at the lattice frequencies: it neither creates nor removes lattice energy. Being symmetric
# (zero phase), it removes linear and quadratic trends exactly, which would otherwise leak
# into the lattice bins of a window (a ramp has unequal phase means). A Gaussian or 3x3
# high-pass would instead attenuate period 4 relative to period 2.
_crop_border = crop_border  # the functions below have a parameter of that name


def _grid_highpass_windows(image: np.ndarray, period: int, window: int, border: int, name: str) -> np.ndarray:
    """Y channel -> high-pass -> (windows, window, window) float64, each window's mean removed."""
    image = np.asarray(image)
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"{name} expects an (H, W, 3) RGB or (H, W) gray image, got shape {image.shape}")
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)) or period < 2:
        raise ValueError(f"{name}: period must be an integer >= 2, got {period!r}")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2 * period or window % period:
        raise ValueError(f"{name}: window must be a multiple of period={period} and at least {2 * period}, got {window!r}")
    y = _crop_border(rgb_to_y(image), border)
    h, w = y.shape
    if h < window or w < window:
        raise ValueError(f"{name}: the {h}x{w} image (after cropping {border} px) is smaller than one {window}x{window} window")
    taps = np.full(period + 1, 2.0)
    taps[0] = taps[-1] = 1.0
    taps /= 2.0 * period
    blur = correlate1d(correlate1d(y, taps, axis=0, mode="reflect"), taps, axis=1, mode="reflect")
    hp = y - blur
    rows, cols = h // window, w // window  # windows tile the image from its top-left corner
    win = hp[: rows * window, : cols * window].reshape(rows, window, cols, window).swapaxes(1, 2)
    win = win.reshape(rows * cols, window, window)
    return win - win.mean(axis=(1, 2), keepdims=True)


def _lattice_energy(windows: np.ndarray, period: int) -> np.ndarray:
    """Per window: n^2 * sum of squared phase means (= DFT energy at the period-P frequencies
    without DC, divided by N^2); `windows` is (K, N, N) with zero-mean windows."""
    k, size, _ = windows.shape
    n = size // period
    phase_means = windows.reshape(k, n, period, n, period).mean(axis=(1, 3))
    phase_means = phase_means - phase_means.mean(axis=(1, 2), keepdims=True)
    return n * n * np.sum(phase_means**2, axis=(1, 2))


def grid_share_chance(period: int = 4, window: int = 32) -> float:
    """Expected `grid_share` of i.i.d. (white) noise: (P^2 - 1) / (N^2 * g), N = window.

    Without the high-pass, a zero-mean i.i.d. window spreads its energy evenly over its
    N^2 - 1 non-DC frequencies, so the P^2 - 1 lattice frequencies hold (P^2 - 1) / (N^2 - 1)
    of it in expectation (for Gaussian noise, the projection onto a (P^2 - 1)-dimensional
    subspace of the (N^2 - 1)-dimensional zero-mean space). The high-pass keeps the lattice
    frequencies at gain 1 but scales the total by g = mean |gain|^2 over all frequencies
    = 1 - 2/P^2 + ((2P - 1) / (2P^2))^2 (0.92285 for P = 4), and removes the DC: chance
    = (P^2 - 1) / (N^2 g), 1/63 = 0.01587 for P = 4, N = 32 (i.e. 16.25 / N^2).

    Args:
        period: lattice period P (4 for a x4 pixel shuffle).
        window: window side N.
    """
    g = 1.0 - 2.0 / period**2 + ((2.0 * period - 1.0) / (2.0 * period**2)) ** 2
    return (period**2 - 1) / (window**2 * g)


def grid_share(image: np.ndarray, period: int = 4, window: int = 32, crop_border: int = 0) -> float:
    """Share of an image's fine detail that lies on the period-`period` pixel lattice.

    The Y channel is high-passed (y minus a blur whose response is zero at the lattice
    frequencies, so lattice energy passes unchanged) and cut into window x window tiles; the
    share is the energy at the period-P frequencies (a/P, b/P) != 0, i.e. of each tile's
    P x P phase means (row mod P, col mod P) minus its mean, summed over tiles, over the
    tiles' total high-pass energy. It measures periodicity aligned with the pixel grid, whatever
    its phase (a 1-pixel shift of the pattern gives the same value); it is not a perceptual
    score, it sees only luma, and it also grows with how much of the image's detail sits at
    high frequencies (a blurry image scores low even with a lattice: see `grid_contrast`).
    Chance level for white noise: `grid_share_chance(period, window)` (0.0159 for 4, 32);
    natural photos score near it or above (Set14 HR: 0.023 on average).

    Args:
        image: (H, W, 3) RGB or (H, W) gray (used as Y), values 0..255 (any scale works:
            the share is scale-free).
        period: lattice period; 4 for a x4 pixel shuffle (its period-2 frequencies, from
            the second x2 shuffle, are included).
        window: tile side in pixels, a multiple of `period`; tiles start at the top-left
            corner after cropping, a remainder narrower than a tile is left out.
        crop_border: pixels removed from each side first.

    Returns:
        The share in [0, 1]; NaN for an image without any high-pass energy (flat).
    """
    windows = _grid_highpass_windows(image, period, window, crop_border, "grid_share")
    total = float(np.sum(windows**2))
    if total == 0.0:
        return math.nan
    return float(np.sum(_lattice_energy(windows, period))) / total


def grid_ratio(sr: np.ndarray, hr: np.ndarray, period: int = 4, window: int = 32, crop_border: int = 0) -> float:
    """`grid_share(sr) / grid_share(hr)`: 1 = as much lattice share as the ground-truth photo.

    Caveat: the share also falls with blur, so a smooth output scores below 1 even with a
    lattice (Set14: bicubic 0.04, SRResNet 0.5); compare `grid_contrast`, which does not
    need the HR image and is insensitive to sharpness.

    Args:
        sr: super-resolved image, (H, W, 3) RGB or (H, W) gray.
        hr: ground truth, same shape.
        period / window / crop_border: see `grid_share`.
    """
    sr, hr = np.asarray(sr), np.asarray(hr)
    if sr.shape != hr.shape:
        raise ValueError(f"grid_ratio: images differ in shape: {sr.shape} vs {hr.shape}")
    return grid_share(sr, period, window, crop_border) / grid_share(hr, period, window, crop_border)


def grid_contrast(image: np.ndarray, period: int = 4, window: int = 32, crop_border: int = 0) -> float:
    """How much the lattice frequencies stand out of the image's own spectrum: 1 = no lattice.

    With the same high-pass tiles as `grid_share`, it is the summed DFT energy at the
    period-P frequencies (a/P, b/P) != 0 over the summed energy at their adjacent frequencies
    (+-1/window; along the axis for the frequencies on an axis, where the tiles' edges leak),
    averaged per lattice frequency. A smooth spectrum, whether sharp or blurry, gives about 1
    (1.01 for white noise; Set14 HR photos 0.64..1.18, mean 0.98), a lattice gives a peak
    (> 1); a low-pass interpolator (bicubic) leaves a notch (< 1): it suppresses energy at multiples of the
    LR sampling frequency, which are the period-P frequencies.
    It is not a perceptual score and sees only luma; like any spectral peak it also fires on
    genuine image texture of period 2 or 4 pixels (rare in photos, cf. HR).

    Args:
        image: (H, W, 3) RGB or (H, W) gray (used as Y), values 0..255.
        period / window / crop_border: see `grid_share`.

    Returns:
        Lattice energy / adjacent energy; NaN for an image without any high-pass energy.
    """
    windows = _grid_highpass_windows(image, period, window, crop_border, "grid_contrast")
    spectrum = np.sum(np.abs(np.fft.fft2(windows)) ** 2, axis=0)  # energy-weighted pooling
    n = window // period
    lattice = adjacent = 0.0
    for a in range(period):
        for b in range(period):
            if a == b == 0:
                continue
            k, l = a * n, b * n
            if k == 0:
                near = [(0, l - 1), (0, l + 1)]
            elif l == 0:
                near = [(k - 1, 0), (k + 1, 0)]
            else:
                near = [(k - 1, l), (k + 1, l), (k, l - 1), (k, l + 1)]
            lattice += spectrum[k, l]
            adjacent += np.mean([spectrum[i % window, j % window] for i, j in near])
    if adjacent == 0.0:
        return math.nan
    return float(lattice / adjacent)


def colour_shift(sr: np.ndarray, hr: np.ndarray, crop_border: int = 0) -> float | None:
    """The largest per-channel mean difference |mean(SR_c) - mean(HR_c)|, in grey levels.

    A colour cast that PSNR on Y hardly sees: phase 2 of SRGAN drifts by a few levels (docs/EXPERIMENTS.md,
    "Phase 2 drifts in colour"), a faithful reconstruction stays near 0.

    Args:
        sr, hr: (H, W, 3) RGB images, values 0..255, same shape.
        crop_border: pixels removed from each side first (the protocol's border).

    Returns:
        Grey levels (>= 0); None for gray (H, W) images, which have no colour to shift.
    """
    sr, hr = _prepare(sr, hr, crop_border, y_channel=False)  # the shape check and border crop of every metric
    if sr.ndim != 3:
        return None
    return float(np.abs((sr - hr).reshape(-1, sr.shape[2]).mean(axis=0)).max())


SPECKLE_SIGMA = 1.0  # Gaussian of the chroma high-pass: what it removes is texture finer than ~2 px
GRAY_CHROMA_ENERGY = 1e-6  # below this (grey levels squared) HR's chroma detail is float rounding: a gray photo


def _chroma_detail_energy(rgb: np.ndarray) -> float:
    """Mean squared high-pass of Cb and Cr: chroma minus its Gaussian blur (sigma SPECKLE_SIGMA)."""
    chroma = rgb_to_cbcr(rgb)  # (H, W, 2)
    detail = chroma - gaussian_filter(chroma, sigma=(SPECKLE_SIGMA, SPECKLE_SIGMA, 0), mode="reflect")
    return float(np.mean(detail**2))


def colour_speckle(sr: np.ndarray, hr: np.ndarray, crop_border: int = 0) -> float | None:
    """Colour speckle: SR's fine chroma detail energy divided by HR's (1 = as much as the photo).

    A GAN generator can invent texture in the colour channels: single pixels tinted red,
    green or blue on grey fur or sky, which the eye sees as coloured noise. PSNR and SSIM on Y
    are blind to it by construction, and NIQE (computed on luminance) too. This measure takes
    the chroma of both images (Cb and Cr, BT.601), keeps what a Gaussian of sigma 1 px removes
    (detail finer than about 2 px) and compares its mean energy: a faithful upscale is at or
    below 1 (an upscaler cannot add true chroma detail that bicubic LR lost), speckle far above.
    Luminance texture with no colour (equal in R, G and B) does not move it.

    Args:
        sr, hr: (H, W, 3) RGB images, values 0..255, same shape.
        crop_border: pixels removed from each side first (the protocol's border).

    Returns:
        The ratio (>= 0); None for gray images: (H, W), or RGB whose HR has no chroma detail
        (a gray photo stored as RGB, where a ratio would divide by rounding noise).
    """
    sr, hr = _prepare(sr, hr, crop_border, y_channel=False)
    if sr.ndim != 3:
        return None
    reference = _chroma_detail_energy(hr)
    if reference < GRAY_CHROMA_ENERGY:
        return None
    return _chroma_detail_energy(sr) / reference


DIRECTION_DETAIL_SIGMA = 1.5  # the detail band: luma minus its Gaussian blur (texture finer than ~3 px)
DIRECTION_WINDOW_SIGMA = 2.0  # the structure tensor's Gaussian window
DIRECTION_COHERENCE = 0.3     # HR's detail counts where it has a direction (coherence above this) ...
DIRECTION_STRONG = 0.7        # ... and is strong (energy above this quantile of the image's)


def _detail_orientation(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel of the luma detail band: twice its orientation (radians), its coherence (0 = no
    direction, 1 = one direction) and its energy, from the Gaussian-windowed structure tensor."""
    detail = y - gaussian_filter(y, DIRECTION_DETAIL_SIGMA, mode="reflect")
    gx = correlate1d(correlate1d(detail, [1.0, 0.0, -1.0], axis=1, mode="reflect"), [1.0, 2.0, 1.0], axis=0, mode="reflect")
    gy = correlate1d(correlate1d(detail, [1.0, 0.0, -1.0], axis=0, mode="reflect"), [1.0, 2.0, 1.0], axis=1, mode="reflect")
    jxx, jyy, jxy = (gaussian_filter(a, DIRECTION_WINDOW_SIGMA, mode="reflect") for a in (gx * gx, gy * gy, gx * gy))
    energy = jxx + jyy
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum(energy, 1e-12)
    return np.arctan2(2 * jxy, jxx - jyy), coherence, energy


def texture_direction(sr: np.ndarray, hr: np.ndarray, crop_border: int = 0) -> float | None:
    """Whether SR's fine texture runs the way the photo's does: 1 = along it, 0 = unrelated, -1 = across.

    A GAN generator can add texture of the right amount and statistics (NIQE) that ignores the
    photo's structures: grain on hair, fur or a wall's bricks instead of strands and joints. This
    compares orientations, not pixels: in the luma detail band (finer than about 3 px) the
    structure tensor gives each pixel a direction; where HR's detail is strong and has one
    direction (hair, edges, stripes; flat and isotropic parts say nothing about direction), the
    score is the mean of cos 2(theta_SR - theta_HR) weighted by HR's detail energy. Bicubic
    upscaling scores low (too little detail to have a direction), grain lowers it too.

    Args:
        sr, hr: uint8 (or 0..255) images of one shape, (H, W, 3) RGB or (H, W) luma.
        crop_border: pixels removed from each side first (the protocol's border).

    Returns:
        The score in [-1, 1]; None where HR has no strong directional detail (a flat image).
    """
    sr, hr = _prepare(sr, hr, crop_border, y_channel=True)
    twice_sr, _, _ = _detail_orientation(sr)
    twice_hr, coherence, energy = _detail_orientation(hr)
    used = (coherence > DIRECTION_COHERENCE) & (energy > np.quantile(energy, DIRECTION_STRONG)) & (energy > 1e-6)
    if not used.any():
        return None
    weight = energy[used]
    return float(np.sum(weight * np.cos(twice_sr[used] - twice_hr[used])) / np.sum(weight))


# --- the scores of an (SR, HR) pair: one list, one scorer ------------------------------------------
# Every score the package reports is named here once: `srgan evaluate` and `srgan release`
# compute all of them per image, the trainer's validation those marked `validation`, and each
# table and log takes its names and columns from this list. Adding a metric: its function above,
# a row here and a line in score_pair.
GRID_WINDOW = 32  # the grid measures' window (pixels), a multiple of the period


@dataclass(frozen=True)
class Metric:
    """One score of an (SR, HR) pair.

    Args:
        name: its key in score_pair's dict, the evaluation results, model cards and the training log.
        heading: its column heading in evaluate.format_table.
        digits: decimals shown there.
        validation: also computed by the trainer's validation (False: it needs work on HR
            alone, the same at every validation, or it repeats a score already there).
        distortion: it compares SR with HR pixel by pixel (PSNR, SSIM); the others measure
            naturalness, the lattice or colour (the perception side of Blau & Michaeli 2018).
        median: a dataset's score is the median of the images' (a long upper tail), not the mean.
        table: a column of evaluate.format_table (False: in the results, logs and cards, and on a
            line of its own under `srgan evaluate`'s table, since the book's tables are full).
    """

    name: str
    heading: str
    digits: int
    validation: bool
    distortion: bool = False
    median: bool = False
    table: bool = True


METRICS = (
    Metric("psnr", "PSNR [dB]", 3, validation=True, distortion=True),
    Metric("ssim_daala", "SSIM (Daala)", 4, validation=True, distortion=True),  # the paper's SSIM
    Metric("ssim_matlab", "SSIM (MATLAB)", 4, validation=False, distortion=True),
    Metric("niqe", "NIQE", 3, validation=True),  # no reference: lower = more natural
    Metric("niqe_hr", "NIQE HR", 3, validation=False),  # HR's own NIQE, the natural photos' reference
    Metric("grid_ratio", "grid ratio", 2, validation=False),
    Metric("grid_contrast", "grid contrast", 2, validation=True),
    Metric("colour_shift", "colour shift", 2, validation=True),
    Metric("colour_speckle", "colour speckle", 2, validation=True, median=True),  # one speckled image can be 20x HR's
    Metric("texture_direction", "texture direction", 3, validation=True, table=False),  # 1 = along the photo's
)
METRIC_NAMES = tuple(m.name for m in METRICS)
VALIDATION_METRICS = tuple(m.name for m in METRICS if m.validation)
# Names an earlier version wrote: the trainer's log called the Daala SSIM "ssim" (runs.read_log renames it).
OLD_METRIC_NAMES = {"ssim": "ssim_daala"}


def score_pair(sr: np.ndarray, hr: np.ndarray, *, scale: int = 4, crop_border: int = 4, y_channel: bool = True,
               names: tuple[str, ...] = METRIC_NAMES) -> dict[str, float | None]:
    """The scores `names` of one upscaled image against its original, by the paper's protocol.

    Args:
        sr, hr: uint8 images of one shape, (H, W, 3) or (H, W).
        scale: the upscaling factor: the grid measures look for a lattice of this period.
        crop_border: pixels removed from each side before scoring (paper: 4).
        y_channel: PSNR and SSIM on the BT.601 Y channel (paper) instead of RGB.
        names: which scores, from METRIC_NAMES (default all).

    Returns:
        name -> value; None where the image is too small for the score (NIQE needs one 96x96
        block, the grid measures one 32x32 window, after the border crop) or, for the colour
        scores, gray.
    """
    h, w = (side - 2 * crop_border for side in hr.shape[:2])
    big_for_niqe, big_for_grid = min(h, w) >= NIQE_BLOCK, min(h, w) >= GRID_WINDOW
    grid = dict(period=scale, window=GRID_WINDOW, crop_border=crop_border)
    compute = {
        "psnr": lambda: psnr(sr, hr, crop_border=crop_border, y_channel=y_channel),
        "ssim_daala": lambda: ssim_daala(sr, hr, crop_border=crop_border, y_channel=y_channel),
        "ssim_matlab": lambda: ssim_matlab(sr, hr, crop_border=crop_border, y_channel=y_channel),
        "niqe": lambda: niqe(sr, crop_border=crop_border) if big_for_niqe else None,
        "niqe_hr": lambda: niqe(hr, crop_border=crop_border) if big_for_niqe else None,
        "grid_ratio": lambda: grid_ratio(sr, hr, **grid) if big_for_grid else None,
        "grid_contrast": lambda: grid_contrast(sr, **grid) if big_for_grid else None,
        "colour_shift": lambda: colour_shift(sr, hr, crop_border=crop_border),
        "colour_speckle": lambda: colour_speckle(sr, hr, crop_border=crop_border),
        "texture_direction": lambda: texture_direction(sr, hr, crop_border=crop_border),
    }
    unknown = [name for name in names if name not in compute]
    if unknown:
        raise ValueError(f"unknown metric {unknown[0]!r}: use one of {', '.join(METRIC_NAMES)}")
    return {name: compute[name]() for name in names}


def summary_score(name: str, values: list[float | None]) -> float | None:
    """A dataset's score for metric `name`: the mean of the images' values (the paper's
    protocol), the median for a Metric marked `median`; None where no image has the score
    (None: too small; NaN: a flat image). An infinite value (the PSNR of an image SR reproduces
    exactly, a flat one) is left out too: in a mean it would hide every other image's score; only
    when every image's value is infinite is the score infinite."""
    defined = [v for v in values if v is not None and math.isfinite(v)]
    if not defined:
        return math.inf if values and all(v is not None and math.isinf(v) for v in values) else None
    median = any(m.median for m in METRICS if m.name == name)
    return float(np.median(defined) if median else np.mean(defined))
