"""Both SSIMs against independent transcriptions of their reference code, on random pairs.

srgan.metrics computes the two SSIMs with vectorised filters; the functions here follow the
reference programs loop for loop instead (numpy only for the arithmetic), so that a slip in
either (a fixed window sigma, the sample covariance, 'same' instead of 'valid' filtering)
shows up as a disagreement:

- Daala's tools/dump_ssim.c (calc_ssim, gaussian_filter_init): the SSIM the paper reports.
  Its window sigma is 1.5 * height / 256, so only heights other than 256 can tell it from
  the usual fixed 1.5; the pairs below are 128 and 512 rows high.
- Wang et al.'s ssim_index.m (the MATLAB reference of "Image quality assessment: from error
  visibility to structural similarity", IEEE TIP 2004): an 11x11 Gaussian window with
  sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, filter2(..., 'valid'), mean of the map.
"""

import math

import numpy as np
import pytest

from srgan.metrics import ssim_daala, ssim_matlab


def _pair(height: int, width: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A smooth random 'photo' (so that the window size matters) and a noisy copy, both 0..255."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (height // 8 + 2, width // 8 + 2))
    # bilinear enlargement of the coarse grid by 8, then fine noise on top
    rows = np.arange(height) / 8.0
    r0 = np.floor(rows).astype(int)
    fr = (rows - r0)[:, None]
    cols = np.arange(width) / 8.0
    c0 = np.floor(cols).astype(int)
    fc = (cols - c0)[None, :]
    smooth = ((1 - fr) * (1 - fc) * coarse[r0][:, c0] + (1 - fr) * fc * coarse[r0][:, c0 + 1]
              + fr * (1 - fc) * coarse[r0 + 1][:, c0] + fr * fc * coarse[r0 + 1][:, c0 + 1])
    x = np.clip(smooth + rng.normal(0, 12, smooth.shape), 0, 255)
    y = np.clip(x + rng.normal(0, 20, x.shape), 0, 255)
    return x, y


# --- Daala tools/dump_ssim.c -------------------------------------------------------------
def _daala_kernel(sigma: float, max_len: int) -> list[int]:
    """gaussian_filter_init with KERNEL_WEIGHT = 256: integer taps, the centre takes the rest."""
    scale = 1 / (math.sqrt(2 * math.pi) * sigma)
    nhisigma2 = -0.5 / (sigma * sigma)
    s = math.sqrt(0.5 * math.pi) * sigma * (1.0 / 256)
    length = 0 if s >= 1 else math.floor(sigma * math.sqrt(-2 * math.log(s)))
    kernel_len = max_len - 1 if length >= max_len else int(length)
    kernel = [0] * (2 * kernel_len + 1)
    total = 0
    for ci in range(kernel_len, 0, -1):
        tap = int(256 * scale * math.exp(nhisigma2 * ci * ci) + 0.5)  # C's (unsigned)(... + 0.5)
        kernel[kernel_len - ci] = kernel[kernel_len + ci] = tap
        total += tap
    kernel[kernel_len] = 256 - 2 * total
    return kernel


def _daala_ssim(src: np.ndarray, dst: np.ndarray) -> float:
    """calc_ssim(_par = 1): horizontal moments per row over the in-image taps, then vertical
    sums over the in-image rows, the SSIM of each pixel weighted by its window's weight."""
    h, w = src.shape
    vkernel = _daala_kernel(h * (1.5 / 256), min(w, h))
    hkernel = _daala_kernel(h * (1.5 / 256), min(w, h))
    voffs, hoffs = len(vkernel) // 2, len(hkernel) // 2
    # Horizontal pass: for each pixel, the moments over the taps that fall inside its row.
    rows = np.zeros((6, h, w))  # mux, muy, x2, xy, y2, w
    for x in range(w):
        for k in range(len(hkernel)):
            xx = x - hoffs + k
            if 0 <= xx < w:
                s, d, window = src[:, xx], dst[:, xx], hkernel[k]
                rows[:, :, x] += np.stack([window * s, window * d, window * s * s, window * s * d, window * d * d,
                                           np.full(h, window)])
    ssim = ssimw = 0.0
    c1k, c2k = 255 * 255 * 0.01 * 0.01, 255 * 255 * 0.03 * 0.03
    for y in range(h):  # vertical pass: the output row y gathers rows y - voffs .. y + voffs
        m = np.zeros((6, w))
        for k in range(len(vkernel)):
            yy = y - voffs + k
            if 0 <= yy < h:
                m += vkernel[k] * rows[:, yy, :]
        mux, muy, x2, xy, y2, wt = m
        c1, c2 = c1k * wt * wt, c2k * wt * wt
        mx2, mxy, my2 = mux * mux, mux * muy, muy * muy
        ssim += np.sum(wt * (2 * mxy + c1) * (c2 + 2 * (xy * wt - mxy)) / ((mx2 + my2 + c1) * (x2 * wt - mx2 + y2 * wt - my2 + c2)))
        ssimw += np.sum(wt)
    return ssim / ssimw


# 130 rows: the quantised kernel there changes with a sigma 0.4 % off (1.5 * h / 257), at 128 it does not
@pytest.mark.parametrize("height, width", [(128, 96), (130, 50), (512, 40)])
def test_ssim_daala_matches_dump_ssim_at_heights_other_than_256(height, width):
    x, y = _pair(height, width, seed=height)
    reference = _daala_ssim(x, y)
    got = ssim_daala(y, x, crop_border=0, y_channel=False)
    assert got == pytest.approx(reference, abs=1e-9)
    # The pair can tell the height-scaled window from the fixed sigma = 1.5 of other SSIMs:
    # here a fixed window changes the score by far more than the tolerance above.
    assert abs(ssim_matlab(y, x, crop_border=0, y_channel=False) - reference) > 1e-3


def test_daala_kernel_taps_match_gaussian_filter_init():
    from srgan.metrics import daala_gaussian_kernel

    for sigma, max_len in ((0.75, 96), (1.5, 256), (3.0, 40), (3.0, 5)):
        assert daala_gaussian_kernel(sigma, max_len).tolist() == _daala_kernel(sigma, max_len)
    # every image height from 8 to 2047 rows (sigma = 1.5 h / 256), uncapped and capped
    for height in range(8, 2048):
        sigma = height * 1.5 / 256
        for max_len in (height, 6):
            assert daala_gaussian_kernel(sigma, max_len).tolist() == _daala_kernel(sigma, max_len), (height, max_len)


def test_rgb_scores_are_the_mean_of_the_channels_scores():
    """y_channel=False on colour images: each SSIM is the mean of its per-channel values."""
    x, y = _pair(40, 36, seed=9)
    rgb_x = np.stack([x, np.flipud(x), 255 - x], axis=2)
    rgb_y = np.stack([y, np.flipud(y) * 0.9, 255 - y], axis=2)
    daala = np.mean([_daala_ssim(rgb_y[..., c], rgb_x[..., c]) for c in range(3)])
    matlab = np.mean([_ssim_index(rgb_y[..., c], rgb_x[..., c]) for c in range(3)])
    assert ssim_daala(rgb_y, rgb_x, crop_border=0, y_channel=False) == pytest.approx(daala, abs=1e-9)
    assert ssim_matlab(rgb_y, rgb_x, crop_border=0, y_channel=False) == pytest.approx(matlab, abs=1e-9)


# --- Wang et al.'s ssim_index.m ----------------------------------------------------------
def _fspecial_gaussian(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    """MATLAB fspecial('gaussian', size, sigma): exp(-(x^2 + y^2) / (2 sigma^2)), tiny values
    zeroed, normalised to sum 1."""
    half = (size - 1) / 2
    y, x = np.mgrid[-half : half + 1, -half : half + 1]
    h = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    h[h < np.finfo(float).eps * h.max()] = 0
    return h / h.sum()


def _filter2_valid(window: np.ndarray, image: np.ndarray) -> np.ndarray:
    """MATLAB filter2(window, image, 'valid'): correlation at the positions where the window fits."""
    n = window.shape[0]
    out = np.zeros((image.shape[0] - n + 1, image.shape[1] - n + 1))
    for i in range(n):
        for j in range(n):
            out += window[i, j] * image[i : i + out.shape[0], j : j + out.shape[1]]
    return out


def _ssim_index(img1: np.ndarray, img2: np.ndarray) -> float:
    """ssim_index.m with its defaults: K = [0.01 0.03], window = fspecial('gaussian', 11, 1.5), L = 255."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    window = _fspecial_gaussian()
    mu1, mu2 = _filter2_valid(window, img1), _filter2_valid(window, img2)
    mu1_sq, mu2_sq, mu1_mu2 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    sigma1_sq = _filter2_valid(window, img1 * img1) - mu1_sq
    sigma2_sq = _filter2_valid(window, img2 * img2) - mu2_sq
    sigma12 = _filter2_valid(window, img1 * img2) - mu1_mu2
    ssim_map = ((2 * mu1_mu2 + c1) * (2 * sigma12 + c2)) / ((mu1_sq + mu2_sq + c1) * (sigma1_sq + sigma2_sq + c2))
    return float(ssim_map.mean())


def _matlab_y(rgb: np.ndarray) -> np.ndarray:
    """MATLAB rgb2ycbcr's Y for uint8 input, kept in double: 16 + (65.481 R + 128.553 G + 24.966 B) / 255."""
    rgb = rgb.astype(np.float64)
    return 16 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255


def test_ssim_matlab_matches_wang_et_al_ssim_index_on_a_random_pair():
    rng = np.random.default_rng(7)
    hr = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)
    sr = np.clip(hr.astype(int) + rng.integers(-40, 41, hr.shape), 0, 255).astype(np.uint8)
    border = 4
    reference = _ssim_index(_matlab_y(sr)[border:-border, border:-border], _matlab_y(hr)[border:-border, border:-border])
    assert ssim_matlab(sr, hr, crop_border=border) == pytest.approx(reference, abs=1e-9)
    # and on a gray pair without the Y conversion or a border
    x, y = _pair(48, 64, seed=3)
    assert ssim_matlab(x, y, crop_border=0, y_channel=False) == pytest.approx(_ssim_index(x, y), abs=1e-9)
