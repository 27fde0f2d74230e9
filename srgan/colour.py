"""Colour conversion: MATLAB's rgb2ycbcr luma Y (the channel the paper scores) and the
full-range BT.601 gray of a photo (what PIL's convert("L") gives).

Its own small module because srgan.metrics (PSNR, SSIM), srgan.niqe, srgan.evaluate and
srgan.infer all use it, and srgan.metrics re-exports niqe: none has to import another for it.
"""

from __future__ import annotations

import numpy as np

# ITU-R BT.601 luma weights of R, G, B (sum 1): a gray value replicated to RGB comes back as itself.
BT601_LUMA = (0.299, 0.587, 0.114)


def gray_uint8(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB in 0..255 -> (H, W) uint8 full-range BT.601 gray, as PIL's convert("L")."""
    return np.clip(np.round(np.asarray(rgb, dtype=np.float64) @ np.array(BT601_LUMA)), 0, 255).astype(np.uint8)


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


def rgb_to_cbcr(image: np.ndarray) -> np.ndarray:
    """Chroma (Cb, Cr) of an RGB image in 0..255, full-range BT.601 (JPEG's), float64, centred on 0.

    Args:
        image: (H, W, 3) RGB with values in 0..255.

    Returns:
        (H, W, 2): Cb and Cr; a gray pixel (R = G = B) has (0, 0).
    """
    rgb = np.asarray(image, dtype=np.float64)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb_to_cbcr expects an (H, W, 3) RGB image, got shape {rgb.shape}")
    # Rows: Cb = (B - Y) / 1.772, Cr = (R - Y) / 1.402 with Y = BT601_LUMA . RGB.
    cb = (-0.168736, -0.331264, 0.5)
    cr = (0.5, -0.418688, -0.081312)
    return rgb @ np.array([cb, cr]).T
