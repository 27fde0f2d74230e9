"""Reading and writing image files with clear errors (the file is always named)."""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .atomic import atomic_path, path_error

# A folder's images: the usual formats, and those other tools save photos in (a browser's
# .jfif, a phone's .avif, netpbm, Targa, JPEG 2000) that PIL reads; a file of another kind
# in a folder is not an input.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif",
                    ".jfif", ".jpe", ".avif", ".ppm", ".pgm", ".pbm", ".pnm", ".tga", ".jp2")


class ImageReadError(ValueError):
    """An image file that cannot be decoded; the message names the file and the problem."""


@contextmanager
def _warnings_naming(path: Path):
    """Re-issue the warnings raised inside the block (PIL's "Corrupt EXIF data", "Tag data
    larger than file", DecompressionBombWarning, ...) with the file's name in front."""
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:  # also when the file then fails to decode: the warning may explain why
        for w in caught:
            if issubclass(w.category, Image.DecompressionBombWarning):
                continue  # _refusal says it once, with the file's name and the limit
            message = str(w.message)
            warnings.warn(message if str(path) in message else f"{path}: {message}", w.category, stacklevel=3)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as an RGB uint8 array of shape (H, W, 3).

    EXIF orientation is applied. Grayscale is replicated to three channels, an alpha channel
    is dropped, 16-bit data is scaled to 8 bits with a warning. The file is read by
    read_image_full, so both refuse the same files (multi-frame, too large, unreadable).

    Raises:
        FileNotFoundError: the file does not exist.
        ImageReadError: the file exists but is not a readable image (corrupt, truncated,
            several frames, more pixels than PIL.Image.MAX_IMAGE_PIXELS, ...).
    """
    arr = _to_uint8(read_image_full(path), path)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.shape[2] == 2:  # gray + alpha
        arr = np.repeat(arr[:, :, :1], 3, axis=2)
    elif arr.shape[2] == 4:
        arr = arr[:, :, :3]
    return np.ascontiguousarray(arr)


def read_native(path: str | os.PathLike) -> np.ndarray:
    """Like read_image, but a grayscale file stays 2-D (H, W): the paper's evaluation protocol
    uses a grayscale image's values as its Y channel directly (see metrics.rgb_to_y)."""
    arr = read_image_full(path)
    if arr.ndim == 2 or arr.shape[2] == 2:  # gray, gray + alpha
        return np.ascontiguousarray(_to_uint8(arr if arr.ndim == 2 else arr[:, :, 0], path))
    return np.ascontiguousarray(_to_uint8(arr[:, :, :3], path))  # RGB(A): the colour channels


def _to_uint8(arr: np.ndarray, path) -> np.ndarray:
    if arr.dtype == np.uint16:
        warnings.warn(f"{path}: 16-bit image converted to 8 bits", stacklevel=3)
        arr = np.clip(np.round(arr.astype(np.float64) / 257.0), 0, 255).astype(np.uint8)
    return arr


# The first bytes of the image formats a user may pass by mistake where weights are expected.
_IMAGE_SIGNATURES = {b"\xff\xd8\xff": "a JPEG image", b"\x89PNG": "a PNG image", b"GIF8": "a GIF image",
                     b"II*\x00": "a TIFF image", b"MM\x00*": "a TIFF image"}


def image_kind(path: str | os.PathLike) -> str | None:
    """'a JPEG image' (...) when `path` starts like an image file, else None: where weights or a
    checkpoint are expected, said instead of "corrupt or truncated", which such a file is not."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    # Two-letter magics need more: a .safetensors file starts with its header's length, whose
    # first two bytes can be "BM" or "P6" too (its next bytes are then zeros).
    if head[:2] == b"BM" and head[2:6] != bytes(4) and head[6:10] == bytes(4):  # file size, then reserved zeros
        return "a BMP image"
    if head[:1] == b"P" and head[1:2] in b"123456" and head[2:3] in (b" ", b"\t", b"\r", b"\n"):
        return "a PNM (PBM/PGM/PPM) image"
    return next((kind for magic, kind in _IMAGE_SIGNATURES.items() if head.startswith(magic)), None)


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files directly inside `folder`, sorted by name. Raises if the folder is missing.

    Every entry named like an image counts except a folder and macOS's AppleDouble files
    ("._photo.png", the resource forks a copy from a Mac leaves beside each file: not images):
    a broken symbolic link or a link loop is listed, so that reading it fails naming it and
    why, instead of its being left out unnoticed."""
    folder = Path(folder)
    if not folder.is_dir():
        raise path_error(folder, "folder")
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith("._") and not p.is_dir())


def read_image_full(path: str | os.PathLike) -> np.ndarray:
    """Read an image keeping what read_image throws away: grayscale, alpha and 16 bits.

    For upscaling users' files, where the output should look like the input: a grayscale
    photo comes back grayscale, a logo keeps its transparency, a 16-bit scan stays 16-bit.
    EXIF orientation is applied (phones store portrait photos as landscape + a rotation tag).

    Returns:
        uint8 or uint16 array: (H, W) grayscale, (H, W, 2) grayscale + alpha, (H, W, 3) RGB
        or (H, W, 4) RGBA. Palette images become RGB or RGBA; CMYK, YCbCr, ... become RGB.
        PIL decodes 16-bit RGB(A) files to 8 bits; that loss is reported with a warning.

    Raises:
        FileNotFoundError: the file does not exist.
        ImageReadError: the file exists but is not a readable image (corrupt, truncated,
            decompression bomb, unsupported pixel format).
    """
    path = Path(path)
    if not path.is_file():
        raise path_error(path, "image file")
    if Path(path).stat().st_size == 0:  # PIL's "cannot identify image file" would hide the plain cause
        raise ImageReadError(f"{path}: cannot read image (an empty file, 0 bytes)")
    try:
        with _warnings_naming(path), Image.open(path) as im:
            refused = _refusal(im)  # before load(): nothing is decoded or allocated for a refused file
            if refused is None:
                rawmode = _rawmode(im)  # read before load(): the decoder's view of the stored samples
                im = ImageOps.exif_transpose(im)
                im.load()
                im = _to_supported_mode(im, rawmode)
                arr = np.asarray(im)
                mode = im.mode
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise ImageReadError(f"{path}: cannot read image ({e})") from e
    if refused is not None:
        raise ImageReadError(f"{path}: {refused}")
    if mode in ("RGB", "RGBA") and ";16" in rawmode:
        warnings.warn(f"{path}: 16-bit {mode} image read as 8 bits per channel (PIL decodes 16-bit colour to 8 bits)", stacklevel=2)
    if mode == "I":  # 32-bit integer gray: 16-bit data in older Pillow versions, or 8-bit data
        lo, hi = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
        if lo < 0 or hi > 65535:
            warnings.warn(f"{path}: 32-bit integer image clipped to 0..65535", stacklevel=2)
        arr = np.clip(arr, 0, 65535).astype(np.uint8 if hi <= 255 else np.uint16)
    elif mode == "F":  # a float TIFF: [0, 1] (the usual convention for float images) or 0..255
        if arr.size and not np.isfinite(arr).all():
            raise ImageReadError(f"{path}: a 32-bit float image holding NaN or infinite values")
        lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
        if lo >= 0.0 and hi <= 1.0:
            warnings.warn(f"{path}: 32-bit float image with values in [0, 1], read as 0..255 (8 bits)", stacklevel=2)
            arr = arr * 255.0
        else:
            warnings.warn(f"{path}: 32-bit float image with values in [{lo:g}, {hi:g}], clipped to 0..255 and read as "
                          "8 bits", stacklevel=2)
        arr = np.clip(np.round(arr), 0, 255).astype(np.uint8)
    elif arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:  # I;16, I;16B, ...: any byte order becomes native uint16
        arr = arr.astype(np.uint16)
    return np.ascontiguousarray(arr)


def _refusal(im: Image.Image) -> str | None:
    """Why a file is not read, from its header alone (no pixels decoded yet), or None.

    - Several frames (an animated GIF/WebP/PNG, a multi-page TIFF): which one is the image is
      the user's choice, so none is picked silently.
    - More pixels than PIL.Image.MAX_IMAGE_PIXELS (PIL's decompression-bomb limit, ~89.5
      megapixels; a small file can declare a huge image): raise that limit, or set it to None,
      to read such files. PIL itself refuses only above twice the limit, after a warning.
    """
    frames = getattr(im, "n_frames", 1)
    if frames > 1:
        return f"has {frames} frames (an animation or a multi-page file); srgan reads single images: save the frame you want"
    limit = Image.MAX_IMAGE_PIXELS
    width, height = im.size
    if limit and width * height > limit:
        return (f"{width}x{height} px ({width * height / 1e6:.1f} megapixels) is more than PIL.Image.MAX_IMAGE_PIXELS "
                f"({limit / 1e6:.1f} megapixels, its guard against decompression bombs); raise that limit to read it")
    return None


def _rawmode(im: Image.Image) -> str:
    """The decoder's raw mode of the first tile ("RGB;16B" for a 16-bit RGB PNG), or ""."""
    try:
        args = im.tile[0][3]
    except (AttributeError, IndexError, TypeError):
        return ""
    return args if isinstance(args, str) else str(args[0]) if isinstance(args, tuple) and args else ""


def _to_supported_mode(im: Image.Image, rawmode: str) -> Image.Image:
    """Bring PIL's many modes down to L, LA, RGB, RGBA and the 16-bit/32-bit grays."""
    if im.mode in ("L", "RGB") and "transparency" in im.info:
        # A colour key (PNG tRNS: "this colour is transparent") becomes the alpha channel it means;
        # dropped, the transparent area came out as solid key colour.
        return im.convert("LA" if im.mode == "L" else "RGBA")
    if im.mode in ("L", "LA", "RGB", "RGBA", "I", "F") or im.mode.startswith("I;16"):
        if im.mode == "RGBA" and rawmode.startswith("LA"):  # PIL opens 16-bit LA PNGs as RGBA
            return im.convert("LA")
        return im
    if im.mode == "1":
        return im.convert("L")
    if im.mode in ("La", "PA"):
        return im.convert("LA" if im.mode == "La" else "RGBA")
    if im.mode == "RGBa":
        return im.convert("RGBA")
    if im.mode == "P":
        return im.convert("RGBA" if "transparency" in im.info else "RGB")
    return im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX


# Formats that can hold an alpha channel / 16-bit samples (what PIL writes); others get 8-bit, no alpha.
# Not BMP: PIL cannot write gray + alpha as BMP, and writes RGBA as 32-bit BI_RGB, whose 4th
# byte readers (PIL among them) ignore: the transparency would be lost without a word.
_ALPHA_FORMATS = ("PNG", "TIFF", "WEBP", "GIF")
_UINT16_FORMATS = ("PNG", "TIFF")


def image_format(path: str | os.PathLike) -> str:
    """PIL's format name for a file name's extension (".jpg" -> "JPEG"); PNG when unknown."""
    return Image.registered_extensions().get(Path(path).suffix.lower(), "PNG")


def _as_netpbm_kind(path: Path, image: Image.Image) -> Image.Image:
    """PIL writes every Netpbm name as the kind its mode makes (colour as P6), so a colour image
    saved as .pgm would be a colour file under a grey name, which other readers refuse. A .pgm
    gets gray (ITU-R 601 luma), a .pbm black and white (threshold at half), each with a warning."""
    suffix = path.suffix.lower()
    if suffix not in (".pgm", ".pbm"):
        return image
    kind = "gray" if suffix == ".pgm" else "black and white"
    if image.mode not in ("L", "I;16", "1"):
        warnings.warn(f"{path}: {suffix[1:].upper()} holds {kind} only; the colour image written as {kind} (.ppm or .png "
                      "keep the colour)", stacklevel=3)
        image = image.convert("L")
    elif suffix == ".pbm" and image.mode != "1":
        warnings.warn(f"{path}: PBM holds black and white only; gray levels thresholded at half", stacklevel=3)
    if suffix == ".pbm" and image.mode != "1":
        if image.mode == "I;16":
            image = image.point(lambda v: v / 257).convert("L")
        image = image.convert("1", dither=getattr(Image, "Dither", Image).NONE)
    return image


def read_icc_profile(path: str | os.PathLike) -> bytes | None:
    """The colour profile (ICC) embedded in an image file whose pixels read_image_full keeps in
    their own colour space (RGB, gray, palette), or None: without it a Display P3 or Adobe RGB
    photo (phones and cameras write them) is shown in sRGB, less saturated and shifted. CMYK
    and the other modes read_image_full converts have a profile that no longer fits: None."""
    try:
        with Image.open(path) as im, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" was said, with the file's name, when it was read
            if im.mode not in ("RGB", "RGBA", "L", "LA", "P", "PA", "1", "I;16", "I;16B"):
                return None
            return im.info.get("icc_profile") or None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


_EXIF_IFD = 0x8769
# What an upscaled copy carries from its photo's EXIF: who and what made it and when (IFD0), and the
# exposure record (the Exif sub-IFD). Not the layout of the input file (a TIFF's strips, sizes,
# orientation: the pixels are already upright), not the GPS position (an upscale made to be posted
# would publish where the photo was taken) and not the maker notes (large, and offsets that break
# when rewritten).
_EXIF_KEPT = {0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model", 0x0131: "Software", 0x0132: "DateTime",
              0x013B: "Artist", 0x8298: "Copyright"}
_EXIF_SUB_DROPPED = {0xA002, 0xA003, 0x927C, 0xA005}  # PixelX/YDimension, MakerNote, the Interoperability pointer
EXIF_MAX_BYTES = 65000  # JPEG's APP1 segment holds at most 65,533 bytes
_EXIF_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF")


def read_exif(path: str | os.PathLike) -> bytes | None:
    """The photo's EXIF record for its upscaled copy, or None: camera, lens, exposure, date,
    author and copyright (_EXIF_KEPT and the Exif sub-IFD), without the input's layout,
    orientation, pixel size, GPS position and maker notes. None when there is nothing to carry,
    when it is damaged, or when it would not fit a JPEG's EXIF segment (a long description): a
    photo's metadata never costs the photo."""
    try:
        with Image.open(path) as im, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data": then no EXIF is carried over
            exif = im.getexif()
            kept = Image.Exif()
            for tag in _EXIF_KEPT:
                if isinstance(exif.get(tag), (str, bytes)):
                    kept[tag] = exif[tag]
            sub = {tag: value for tag, value in exif.get_ifd(_EXIF_IFD).items() if tag not in _EXIF_SUB_DROPPED}
            if sub:
                kept.get_ifd(_EXIF_IFD).update(sub)
                kept[_EXIF_IFD] = 0  # the pointer; Pillow writes the sub-IFD in its place
            data = kept.tobytes() if len(kept) else b""
            if len(data) > EXIF_MAX_BYTES:  # a long description or comment: the rest still fits
                kept.pop(0x010E, None)
                kept.get_ifd(_EXIF_IFD).pop(0x9286, None)  # UserComment
                data = kept.tobytes()
    except Exception:  # a damaged EXIF block costs the metadata, never the image
        return None
    if len(data) > EXIF_MAX_BYTES:
        warnings.warn(f"{path}: its EXIF record ({len(data):,} bytes) is more than an image's EXIF segment holds; "
                      "the upscaled copy is written without it", stacklevel=2)
        return None
    return data or None


def save_image(path: str | os.PathLike, array: np.ndarray, *, replace: bool = True,
               icc_profile: bytes | None = None, exif: bytes | None = None) -> None:
    """Write an image atomically: a temp file in the same folder, then a rename.

    An interruption (Ctrl-C, a full disk, a crash) leaves either no file or the old file,
    never a half-written one. The format follows the extension (PNG if unknown).

    Args:
        path: destination file.
        array: uint8 or uint16, shaped (H, W), (H, W, 2) gray + alpha, (H, W, 3) or (H, W, 4).
            16-bit samples are kept for PNG and TIFF grayscale; otherwise they are converted
            to 8 bits with a warning (PIL cannot write 16-bit colour). An alpha channel is
            dropped with a warning for formats without one (JPEG, BMP); GIF keeps on/off
            transparency (a warning when partly transparent pixels become opaque), and 256
            colours (a warning when the image has more).
        replace: False: raise outputs.OutputError instead of replacing a file that exists
            when the image is written (atomic.atomic_path).
        icc_profile: a colour profile to embed (read_icc_profile of the input: the output is
            in the input's colour space), where the format holds one (PNG, JPEG, TIFF, WebP).
        exif: an EXIF block to embed (read_exif of the input), where the format holds one
            (JPEG, PNG, WebP, TIFF).
    """
    path = Path(path)
    fmt = image_format(path)
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise ValueError(f"{path}: cannot save an array of shape {array.shape} as an image")
    if array.dtype == np.uint16 and (array.ndim == 3 or fmt not in _UINT16_FORMATS):
        warnings.warn(f"{path}: 16-bit {'colour ' if array.ndim == 3 else ''}written as 8 bits ({fmt})", stacklevel=2)
        array = (array.astype(np.uint32) * 255 + 32767) // 65535  # round(x / 257)
        array = array.astype(np.uint8)
    elif array.dtype != np.uint8 and array.dtype != np.uint16:
        raise ValueError(f"{path}: cannot save an array of dtype {array.dtype}; expected uint8 or uint16")
    if array.ndim == 3 and array.shape[2] in (2, 4) and fmt not in _ALPHA_FORMATS:
        warnings.warn(f"{path}: srgan writes {fmt} without its alpha channel; transparency dropped (PNG, TIFF, WebP "
                      "and GIF keep it)", stacklevel=2)
        array = array[:, :, :-1] if array.shape[2] == 4 else array[:, :, 0]
    if array.ndim == 3 and array.shape[2] in (2, 4) and fmt == "GIF":
        alpha = array[:, :, -1]
        if ((alpha != 0) & (alpha != np.iinfo(alpha.dtype).max)).any():
            warnings.warn(f"{path}: GIF has on/off transparency only; partly transparent pixels written opaque", stacklevel=2)
        if array.shape[2] == 2:  # PIL writes gray + alpha as a GIF without transparency; as RGBA it keeps it
            array = array[:, :, [0, 0, 0, 1]]
    image = Image.fromarray(np.ascontiguousarray(array))  # mode from shape and dtype: L, LA, RGB, RGBA, I;16
    image = _as_netpbm_kind(path, image)
    # GIF is a palette of 256 colours: a photo's colours are quantised (an upscaled photo: 7.7 grey
    # levels off on average), said like .pgm's gray; a gray image, or one of few colours, is exact.
    if fmt == "GIF" and image.mode in ("RGB", "RGBA") and image.convert("RGB").getcolors(256) is None:
        warnings.warn(f"{path}: GIF holds 256 colours at most; the image written with a palette of 256 (.png keeps "
                      "every colour)", stacklevel=2)
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    if icc_profile and fmt in ("PNG", "JPEG", "TIFF", "WEBP"):
        options["icc_profile"] = icc_profile
    if exif and fmt in _EXIF_FORMATS:
        options["exif"] = exif
    with atomic_path(path, replace=replace) as tmp:
        image.save(tmp, format=fmt, **options)
