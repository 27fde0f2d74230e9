"""Several sharp HR images that one LR image cannot tell apart (chapter 4: why pixel MSE blurs).

The LR image fixes the coarse structure of a photo, much less where exactly each fine detail
lies. `plausible_crops` makes that concrete: the HR crop shifted by a pixel or so in each
direction, each shift then corrected by iterative back-projection (Irani and Peleg, 1991) until
its own bicubic LR image matches the true one. The candidates stay sharp and photo-like, and
the degradation maps them all to (almost exactly) the same LR image.

    from srgan.plausible import plausible_crops
    candidates = plausible_crops(photo, top=200, left=8, size=96)   # 9 float64 (96, 96, 3) arrays
"""

from __future__ import annotations

import numpy as np

from .imresize import imresize


def back_project(candidate: np.ndarray, lr: np.ndarray, *, scale: int = 4, iterations: int = 30) -> np.ndarray:
    """Nudge `candidate` until its bicubic 1/scale image is `lr`: add the bicubic upsampling of
    the LR error, clip to 0..255, repeat.

    Args:
        candidate: (H, W[, C]) HR image, values 0..255 (any dtype; computed in float64).
        lr: (H / scale, W / scale[, C]) target LR image, values 0..255, float (not rounded).
        scale: the degradation factor.
        iterations: correction steps; each shrinks the LR error by a large factor on photos.

    Returns:
        float64 HR image, the candidate's shape.
    """
    candidate, lr = np.asarray(candidate, dtype=np.float64), np.asarray(lr, dtype=np.float64)
    expected = tuple(s // scale for s in candidate.shape[:2])
    if lr.shape[:2] != expected:
        raise ValueError(f"back_project: LR {lr.shape[:2]} is not 1/{scale} of the candidate's {candidate.shape[:2]}")
    for _ in range(iterations):
        error = lr - imresize(candidate, scale=1.0 / scale)
        candidate = np.clip(candidate + imresize(error, scale=scale), 0, 255)
    return candidate


def plausible_crops(image: np.ndarray, *, top: int, left: int, size: int, scale: int = 4, shift: int = 1,
                    iterations: int = 30) -> list[np.ndarray]:
    """The `size` x `size` crop at (top, left) shifted by -shift..shift pixels in each direction,
    each made consistent with the unshifted crop's LR image by `back_project`.

    Args:
        image: the whole (H, W[, C]) photo, values 0..255; the shifted windows must fit in it.
        top, left, size: the crop.
        scale: the degradation factor.
        shift: largest shift in pixels: (2 * shift + 1)^2 candidates.
        iterations: back-projection steps per candidate.

    Returns:
        float64 candidates in row-major order of the shifts (dy, dx) = (-shift, -shift) ...
        (shift, shift); the middle one is the unshifted crop.
    """
    full = np.asarray(image, dtype=np.float64)
    if top - shift < 0 or left - shift < 0 or top + size + shift > full.shape[0] or left + size + shift > full.shape[1]:
        raise ValueError(f"plausible_crops: a {size} px crop at ({top}, {left}) shifted by {shift} px leaves the "
                         f"{full.shape[0]}x{full.shape[1]} image")
    lr_true = imresize(full[top:top + size, left:left + size], scale=1.0 / scale)
    shifts = [(dy, dx) for dy in range(-shift, shift + 1) for dx in range(-shift, shift + 1)]
    return [back_project(full[top + dy:top + dy + size, left + dx:left + dx + size], lr_true, scale=scale,
                         iterations=iterations) for dy, dx in shifts]
