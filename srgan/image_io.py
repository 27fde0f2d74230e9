"""Reading and writing image files with clear errors (the file is always named)."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class ImageReadError(ValueError):
    """An image file that cannot be decoded; the message names the file and the problem."""


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as an RGB uint8 array of shape (H, W, 3).

    EXIF orientation is applied. Grayscale is replicated to three channels, an alpha channel
    is dropped, 16-bit data is scaled to 8 bits with a warning.

    Raises:
        FileNotFoundError: the file does not exist.
        ImageReadError: the file exists but is not a readable image (corrupt, truncated, ...).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            im.load()
            arr = np.asarray(im)
            mode = im.mode
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageReadError(f"{path}: cannot read image ({e})") from e
    if arr.dtype != np.uint8:
        if mode.startswith("I;16") or arr.dtype == np.uint16 or (mode == "I" and arr.max() > 255):
            warnings.warn(f"{path}: 16-bit image converted to 8 bits", stacklevel=2)
            arr = np.clip(np.round(arr.astype(np.float64) / 257.0), 0, 255).astype(np.uint8)
        elif arr.dtype == bool:
            arr = arr.astype(np.uint8) * 255
        else:
            arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.shape[2] == 4:
        arr = arr[:, :, :3]
    elif arr.shape[2] == 2:  # LA
        arr = np.repeat(arr[:, :, :1], 3, axis=2)
    return np.ascontiguousarray(arr)


def read_native(path: str | os.PathLike) -> np.ndarray:
    """Like read_image, but a grayscale file stays 2-D (H, W): the paper's evaluation protocol
    uses a grayscale image's values as its Y channel directly (see metrics.rgb_to_y)."""
    image = read_image(path)
    with Image.open(path) as im:
        gray = im.mode in ("L", "LA", "I", "I;16", "I;16B", "I;16L", "1")
    return np.ascontiguousarray(image[:, :, 0]) if gray else image


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files directly inside `folder`, sorted by name. Raises if the folder is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def save_image(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 array (H, W), (H, W, 3) or (H, W, 4) atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix or ".png", dir=path.parent)
    os.close(fd)
    try:
        Image.fromarray(array).save(tmp, format=Image.registered_extensions().get(path.suffix.lower(), "PNG"))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
