"""Colour conversion for the metrics: MATLAB's rgb2ycbcr luma Y, the channel the paper scores.

Its own small module because both srgan.metrics (PSNR, SSIM) and srgan.niqe use it, and
srgan.metrics re-exports niqe: neither has to import the other to get Y.
"""

from __future__ import annotations

import numpy as np


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
