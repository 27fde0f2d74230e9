"""Upscaling images of any size with a trained generator: tiles, engines, and files.

The generator is fully convolutional (paper Sec. 3.2, Fig. 4), so it accepts any image size,
but its activations grow with the image: at x4, 64 feature maps at the output resolution
are 2 GB for a 4K output. So the image is cut into tiles of `tile` x `tile` LR pixels, each
tile runs with `tile_pad` pixels of real neighbouring context on every side, and only its
centre is kept. In eval mode BatchNorm uses its running statistics, so a tile's output does
not depend on the other tiles; what couples neighbouring pixels is only the receptive field.
`receptive_radius(generator)` computes it exactly (40 LR pixels for SRResNet-16): with
`tile_pad >= receptive_radius` the tiled output equals the untiled one up to float rounding.
In practice the influence of far pixels decays quickly, and the default pad of 16 keeps the
difference below one 8-bit level for the shipped SRResNet; `python benchmarks/inference.py
--seams` measures it per pad for any weights.

The tiles of an image are made equal (at most `tile` pixels) and edge windows are shifted
inwards rather than shrunk, so every tile has the same input shape: Paddle Inference builds
its kernels once, and no thin edge tile is mostly padding.

Engines ("auto", "openvino", "inference", "dygraph") and the predictors that run them live in
srgan.predict; an Upscaler resolves its weights (resolve_model) and builds its predictor there.
One case starts without Paddle: with the `openvino` package installed and the weights' OpenVINO
export already cached (paddle_free_export), OpenVINO's own runtime runs the export
(srgan.openvino_runtime) and Paddle is never imported.
"""

from __future__ import annotations

import math
import os
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from .atomic import first_line, path_error
from .colour import BT601_LUMA
from .export_files import META_FILE, cache_entry, installed_paddle, read_meta, without_export_advice
from .image_io import IMAGE_EXTENSIONS, list_images, read_exif, read_icc_profile, read_image_full, save_image
from .openvino_runtime import RuntimePredictor, runtime_installed
from .outputs import InputFiles, OutputError, check_output_file, is_input, output_path

# This module loads without Paddle, so that the shipped models' names and files, and the
# planning of outputs, cost nothing at start-up (the CLI, notebooks); what runs a network
# (srgan.predict, srgan.checkpoint, srgan.device import Paddle) is imported in Upscaler.

# The shipped generators by short name (`weights="srgan"`, `srgan upscale --weights srgan`).
SHIPPED_MODELS = {"srresnet": "srresnet_x4.safetensors", "srgan": "srgan_x4.safetensors"}


def shipped_weights(name: str) -> Path:
    """The file of a shipped model, "srresnet" or "srgan", wherever the package lives.

    An installed wheel carries them as package data in srgan/weights/ (pyproject.toml maps the
    repository's weights/ there); a checkout or an editable install has them in weights/ next
    to the package. A missing file is returned at the installed location, for the error message.
    """
    file = SHIPPED_MODELS[name]
    package = Path(__file__).resolve().parent
    for folder in (package / "weights", package.parent / "weights"):
        if (folder / file).is_file():
            return folder / file
    return package / "weights" / file


def shipped_weights_dir() -> Path:
    """The folder of the shipped models, with their model cards and training logs.

    An installed wheel's srgan/weights/ (the two released models, their cards and logs), or a
    checkout's weights/ (those, and the ablation/ and experiments/ runs the book also reads).
    The book's chapters read it instead of a path such as ../weights, which only exists in a
    checkout: a chapter opened on its own (AI Studio, Colab) finds the shipped models too.
    """
    return shipped_weights("srresnet").parent


def resolve_weights(weights: str | os.PathLike | None) -> Path | None:
    """A short name of a shipped model becomes its file; anything else is a path.

    The names win over a file or folder of the same name in the working directory (a checkout
    has an `srgan/` folder); write `./srgan` to mean a path.
    """
    if weights is None:
        return None
    if not str(weights).strip():  # Path("") is the current folder: never what was meant
        raise ValueError("weights: empty path; give a .safetensors file, an export folder, or srresnet / srgan")
    if isinstance(weights, str) and weights in SHIPPED_MODELS:
        return shipped_weights(weights)
    path = Path(weights)
    if not path.exists():  # "SRGAN", "srgan_x4" (the file stem `srgan info` prints): the shipped model meant
        name = path.name.lower().removesuffix("_x4")
        if isinstance(weights, str) and name in SHIPPED_MODELS and path.name == str(weights):
            return shipped_weights(name)
    if path.is_dir() and (path / "config.json").is_file() and (path / "log.jsonl").is_file():
        raise ValueError(f"{path}: a training run's folder, not weights: give its best_generator.safetensors, or "
                         f"release it first (srgan release {path} --out NAME.safetensors)")
    if path.suffix == ".json" and path.with_suffix(".safetensors").is_file():
        raise ValueError(f"{path}: a model card; its weights are {path.with_suffix('.safetensors')}")
    return path


DEFAULT_MODEL = "srresnet"  # the most faithful reconstruction; why, with the cards' numbers: README
DEFAULT_WEIGHTS = shipped_weights(DEFAULT_MODEL)
# The two ends of the perception dial (`perception=`): alpha 0 = SRResNet, 1 = SRGAN.
PERCEPTION_ENDS = (shipped_weights("srresnet"), shipped_weights("srgan"))


def receptive_radius(generator) -> int:
    """LR pixels on each side that can change an output pixel: `Generator.receptive_radius()`."""
    return generator.receptive_radius()


def tile_windows(length: int, tile: int, pad: int) -> list[tuple[int, int, int, int]]:
    """Split [0, length) into tiles of at most `tile` pixels along one axis.

    Returns (start, end, window_start, window_end) per tile: the output keeps [start, end),
    the network sees [window_start, window_end), which has `pad` pixels of context on each
    side except at the image border (where the network's zero padding is the same as for the
    whole image). The tiles are made equal (540 px with tile 128 gives 5 tiles of 108, not
    4 of 128 and one of 28, whose window would be mostly context), and every window has the
    same length: windows at the border are shifted inwards, which only adds context.
    """
    if tile <= 0 or tile >= length:
        return [(0, length, 0, length)]
    count = math.ceil(length / tile)
    core = math.ceil(length / count)
    size = min(core + 2 * pad, length)
    out = []
    for start in range(0, length, core):
        end = min(start + core, length)
        window_start = min(max(start - pad, 0), length - size)
        out.append((start, end, window_start, window_start + size))
    return out


def upscale_tiled(predictor, lr: np.ndarray, *, scale: int, tile: int = 128, tile_pad: int = 16, progress: bool = False) -> np.ndarray:
    """Run `predictor` over an image tile by tile and stitch the tiles' centres.

    Args:
        predictor: (1, 3, h, w) float32 in [0, 1] -> (1, 3, scale*h, scale*w) float32 in [-1, 1]
            (predict.DygraphPredictor, predict.InferencePredictor, or any such callable).
        lr: float32 (3, H, W) in [0, 1].
        scale: the network's upscaling factor.
        tile: LR tile side; 0 runs the whole image at once.
        tile_pad: LR pixels of context around each tile.
        progress: show a progress bar over tiles.

    Returns:
        float32 (3, scale*H, scale*W) in [-1, 1] (not clipped).
    """
    _, h, w = lr.shape
    s = scale
    rows, cols = tile_windows(h, tile, tile_pad), tile_windows(w, tile, tile_pad)
    out = np.empty((3, h * s, w * s), dtype=np.float32)
    with tqdm(total=len(rows) * len(cols), desc="tiles", unit="tile", leave=False, disable=not progress or len(rows) * len(cols) == 1) as bar:
        for y0, y1, wy0, wy1 in rows:
            for x0, x1, wx0, wx1 in cols:
                window = np.ascontiguousarray(lr[None, :, wy0:wy1, wx0:wx1])
                sr = predictor(window)[0]  # (3, s*(wy1-wy0), s*(wx1-wx0))
                if sr.shape[-2:] != (s * (wy1 - wy0), s * (wx1 - wx0)):
                    raise RuntimeError(f"the network returned {tuple(sr.shape)} for a {window.shape} input; expected x{s}")
                out[:, y0 * s : y1 * s, x0 * s : x1 * s] = sr[:, (y0 - wy0) * s : (y1 - wy0) * s, (x0 - wx0) * s : (x1 - wx0) * s]
                bar.update(1)
    return out


# --- arrays in, arrays out ---------------------------------------------------------------
_LUMA = np.array(BT601_LUMA, dtype=np.float32)  # gray output as PIL's convert("L")


def _value_range(dtype: np.dtype) -> float | None:
    """Largest value of an integer image dtype; None for float images (assumed in [0, 1])."""
    if dtype == np.uint8:
        return 255.0
    if dtype == np.uint16:
        return 65535.0
    if np.issubdtype(dtype, np.floating):
        return None
    raise ValueError(f"unsupported image dtype {dtype}: use uint8, uint16 or float in [0, 1]")


# Float images are in [0, 1]. Values a little outside (resampling overshoot, rounding) are
# clipped; further out is taken for another convention (0-255) and refused.
FLOAT_TOLERANCE = 0.25


def _check_float_range(image: np.ndarray) -> None:
    lo, hi = float(np.min(image)), float(np.max(image))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("float image holds NaN or infinite values; expected values in [0, 1]")
    if lo < -FLOAT_TOLERANCE or hi > 1 + FLOAT_TOLERANCE:
        hint = " (looks like 0-255 data: divide by 255, or pass uint8)" if hi <= 255 + FLOAT_TOLERANCE else ""
        raise ValueError(f"float image values must be in [0, 1], got {lo:g} to {hi:g}{hint}")


def _from_unit(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """[0, 1] float -> the input's dtype (rounded for integers; float16/32/64 kept)."""
    top = _value_range(dtype)
    if top is None:
        return np.clip(x, 0.0, 1.0).astype(dtype)
    x = np.clip(x, 0.0, 1.0)
    x *= top
    return np.rint(x, out=x).astype(dtype)


def _resize_bicubic(channel: np.ndarray, scale: int) -> np.ndarray:
    """PIL bicubic resize of a float32 (H, W) plane by an integer factor."""
    h, w = channel.shape
    return np.asarray(Image.fromarray(channel.astype(np.float32), mode="F").resize((w * scale, h * scale), Image.BICUBIC))


def _perception_weights(alpha: float, cache_dir: Path) -> Path:
    """The generator file of the perception dial at `alpha`: a shipped end itself at 0 and 1, else
    the blend, written once to `cache_dir`, or, where that cannot be written (a read-only home),
    to a temporary folder for this process, with a warning (the blend is still made: only the
    cache is missing)."""
    import atexit
    import shutil
    import tempfile

    from .checkpoint import interpolated_weights_file

    if alpha in (0, 1):  # the blend would be a copy of one end
        return PERCEPTION_ENDS[int(alpha)]
    try:
        return interpolated_weights_file(*PERCEPTION_ENDS, alpha, cache_dir)
    except OSError as e:
        folder = tempfile.mkdtemp(prefix="srgan-blend-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        warnings.warn(f"{cache_dir}: cannot keep the perception blend in the cache ({e.strerror or e}); it is made in a "
                      "temporary folder for this run (--cache-dir or $SRGAN_CACHE: a writable folder keeps it)",
                      stacklevel=3)
        return interpolated_weights_file(*PERCEPTION_ENDS, alpha, folder)


def resolve_model(*, generator=None, weights: str | os.PathLike | None = None, perception: float | None = None,
                  cache_dir: str | os.PathLike | None = None) -> Path | None:
    """Which network an Upscaler runs, checked before any engine is set up.

    Args:
        generator: a models.Generator in memory: it is the network (None returned).
        weights: a `.safetensors` file, an `srgan export` folder or a shipped model's short name.
        perception: the perception-distortion dial, alpha in [0, 1]: the shipped SRResNet and
            SRGAN interpolated (checkpoint.interpolated_weights_file), written once to `cache_dir`.
        cache_dir: where interpolated weights are kept (default predict.default_cache_dir()).

    Returns:
        The weights file or export folder; None for `generator`; the shipped SRResNet when
        nothing is given.

    Raises:
        ValueError: perception combined with weights or a generator.
        FileNotFoundError (and other OSError): a missing weights file, named.
        checkpoint.CheckpointError: a corrupt or foreign file (the user's to fix, not a reason
            to switch engines).
    """
    from .checkpoint import read_generator_file  # Paddle (see the imports)
    from .predict import default_cache_dir

    if perception is not None:
        if generator is not None or weights is not None:
            raise ValueError("--perception blends the shipped SRResNet and SRGAN; it cannot be combined with --weights "
                             "(weights= or generator= in Python; to blend your own: `srgan interpolate`)")
        if not 0 <= perception <= 1:  # said for the dial the user turned, not for the blend's alpha
            raise ValueError(f"perception must be in [0, 1] (0 = SRResNet, 1 = SRGAN), got {perception}")
        for end in PERCEPTION_ENDS:
            if not end.is_file():
                raise FileNotFoundError(f"{end}: no such weights file (perception needs both {PERCEPTION_ENDS[0].name} "
                                        f"and {PERCEPTION_ENDS[1].name})")
        weights = _perception_weights(perception, Path(cache_dir or default_cache_dir()).expanduser())
    if generator is not None:
        return None
    weights = resolve_weights(weights) if weights is not None else DEFAULT_WEIGHTS
    if not weights.exists():
        error = path_error(weights, "weights file")  # missing, a broken link, a link loop, ...
        if weights == DEFAULT_WEIGHTS and isinstance(error, FileNotFoundError):
            error = FileNotFoundError(f"{error} (the default; train one with `srgan train` or pass --weights)")
        raise error
    if not weights.is_dir():
        read_generator_file(weights)
    return weights


def paddle_free_export(*, weights: str | os.PathLike | None = None, engine: str = "auto", device: str | None = "auto",
                       cache_dir: str | os.PathLike | None = None, generator=None, perception: float | None = None,
                       tensorrt: bool = False) -> Path | None:
    """Where the OpenVINO export is kept that an Upscaler with these arguments runs with
    OpenVINO's own runtime, without importing Paddle, once it exists; None when it needs Paddle.

    That is: the `openvino` package installed, engine "auto" or "openvino" on the CPU ("auto"
    only with Paddle's CPU wheel installed: a CUDA wheel may pick a GPU), weights given by file,
    folder or name (not a generator in memory, not the perception dial), and either an
    `srgan export --openvino` folder or a weights file whose OpenVINO export is in the cache
    (predict.cached_export writes it on first use, keyed by the weights' SHA-256 and the
    installed Paddle's version). The cache entry may not exist yet (its META_FILE tells);
    whether it is intact is the runtime's to check. (A process that has loaded Paddle already
    does not use it: see paddle_loaded.)
    """
    if generator is not None or perception is not None or tensorrt or engine not in ("auto", "openvino"):
        return None
    paddle = installed_paddle()
    if paddle is None or device not in (None, "auto", "cpu") or (device != "cpu" and paddle[0] != "paddlepaddle"):
        return None
    if not runtime_installed():
        return None
    try:
        path = resolve_weights(weights) if weights is not None else DEFAULT_WEIGHTS
        if path.is_dir():
            return path if read_meta(path).get("openvino") else None
        return cache_entry(path, paddle[1], cache_dir=cache_dir, openvino=True)
    except (OSError, ValueError):  # no such weights, an unreadable meta: Paddle's path says what is wrong
        return None


def paddle_loaded() -> bool:
    """Whether this process has imported Paddle already (a notebook, a script using srgan's models)."""
    return "paddle" in sys.modules


def _runtime_predictor(export: Path, *, bf16: bool, cache_dir: str | os.PathLike | None = None,
                       cached: bool = True) -> RuntimePredictor | None:
    """RuntimePredictor(export), or None with a warning that names what failed (a damaged
    cache entry, a broken `openvino` install): the caller then takes Paddle's path, which
    exports a damaged cache entry again. `cached`: `export` is a cache entry, not a folder the
    user exported and passed (whose damage only `srgan export` repairs)."""
    try:
        return RuntimePredictor(export, bf16=bf16, cache_dir=cache_dir)
    except (OSError, ValueError, RuntimeError, ImportError) as e:
        detail = first_line(e, "")
        if cached:  # the advice to export again is for a user's folder: the cache entry is remade below
            detail = without_export_advice(detail)
        what = "this cached export" if cached else "this export"
        then = "Paddle exports it again where the cache can be written" if cached else "falling back to Paddle"
        warnings.warn(f"{export}: OpenVINO's runtime could not run {what} ({type(e).__name__}: {detail}); {then}")
        return None


class Upscaler:
    """A generator made ready to run, applied to images of any size: `upscaler(image)`.

    Args:
        generator: a models.Generator; None loads `weights`.
        weights: a `.safetensors` file (checkpoint.save_generator), a directory written by
            `srgan export`, or a shipped model's short name, "srresnet" or "srgan"
            (SHIPPED_MODELS); default the shipped SRResNet.
        engine: "auto" (on CPU OpenVINO if this Paddle wheel has it, else oneDNN; on GPU
            Paddle Inference; dygraph with a warning if those fail), "inference" (oneDNN on
            CPU), "openvino" or "dygraph" (srgan.predict). In a process without Paddle, an
            OpenVINO export already cached runs on the `openvino` package (paddle_free_export).
        device: "auto", "cpu", "gpu" or "gpu:N" (device.pick_device).
        tile: LR tile side (0: whole image at once).
        tile_pad: LR context around each tile; receptive_radius(generator) makes tiling exact.
        cache_dir: where exported models are kept (default predict.default_cache_dir()).
        tensorrt: on GPU, use TensorRT through Paddle Inference (engine "auto" or "inference",
            tile > 0); refused elsewhere, where it would do nothing.
        bf16: compute in bfloat16 with the OpenVINO engine (opt-in: faster on CPUs with
            AVX512-BF16 or AMX, outputs within a few 8-bit levels of float32;
            predict.InferencePredictor, measured by benchmarks/inference.py).
        perception: the perception-distortion dial, alpha in [0, 1]: the shipped SRResNet (0,
            highest PSNR) and SRGAN (1, most natural texture) weights interpolated
            (checkpoint.interpolate_generators); not combined with `weights`/`generator`.

    Attributes set up: `weights` (resolve_model), `engine` (the one chosen), `predictor` (a
    predict.InferencePredictor, predict.DygraphPredictor or openvino_runtime.RuntimePredictor:
    the network on (N, 3, h, w) arrays, without tiling), `scale`, `receptive_radius`, `device`,
    `paddle_free_export` (where the export that OpenVINO's runtime runs without Paddle is or
    will be cached; None if these arguments need Paddle) and `without_paddle` (True when it
    was there and runs: Paddle was not imported).
    """

    def __init__(
        self,
        generator=None,
        *,
        weights: str | os.PathLike | None = None,
        engine: str = "auto",
        device: str | None = "auto",
        tile: int = 128,
        tile_pad: int = 16,
        cache_dir: str | os.PathLike | None = None,
        tensorrt: bool = False,
        bf16: bool = False,
        perception: float | None = None,
    ):
        if tile < 0 or tile_pad < 0:
            raise ValueError(f"--tile ({tile}) and --tile-pad ({tile_pad}) must be >= 0 (tile= and tile_pad= in Python)")
        self.tile, self.tile_pad, self.bf16, self.perception = int(tile), int(tile_pad), bf16, perception
        self.generator = generator
        self.paddle_free_export = paddle_free_export(weights=weights, engine=engine, device=device, cache_dir=cache_dir,
                                                     generator=generator, perception=perception, tensorrt=tensorrt)
        # Not where Paddle is loaded already: nothing to save, and OpenVINO's runtime beside
        # Paddle's in one process crashed the unit suite (a segmentation fault).
        cached = (self.paddle_free_export is not None and not paddle_loaded()
                  and (self.paddle_free_export / META_FILE).is_file())
        users_folder = weights is not None and Path(resolve_weights(weights)).is_dir()
        self.predictor = _runtime_predictor(self.paddle_free_export, bf16=bf16, cache_dir=cache_dir,
                                            cached=not users_folder) if cached else None
        self.without_paddle = self.predictor is not None
        if self.without_paddle:
            self.device, self.engine = "cpu", "openvino"
            self.weights = resolve_weights(weights) if weights is not None else DEFAULT_WEIGHTS
        else:
            self._build_with_paddle(weights=weights, engine=engine, device=device, cache_dir=cache_dir, tensorrt=tensorrt)
        self.scale = self.predictor.scale
        self.receptive_radius = self.predictor.receptive_radius

    def _build_with_paddle(self, *, weights, engine: str, device: str | None, cache_dir, tensorrt: bool) -> None:
        from .device import pick_device  # Paddle (see the imports)
        from .predict import build_predictor, check_engine

        check_engine(engine, bf16=self.bf16, tensorrt=tensorrt, tile=self.tile)
        self.device = pick_device(device)
        check_engine(engine, bf16=self.bf16, tensorrt=tensorrt, device=self.device, tile=self.tile)
        self.weights = resolve_model(generator=self.generator, weights=weights, perception=self.perception, cache_dir=cache_dir)
        self.predictor, self.engine = build_predictor(
            generator=self.generator, weights=self.weights, engine=engine, device=self.device, cache_dir=cache_dir,
            tensorrt_max_side=self.tile + 2 * self.tile_pad if tensorrt and self.tile else None, bf16=self.bf16)

    def __call__(self, image: np.ndarray, *, progress: bool = False) -> np.ndarray:
        """Upscale one image; the result has the input's layout and dtype.

        Args:
            image: uint8, uint16 or float ([0, 1]) array shaped (H, W) or (H, W, 1) grayscale,
                (H, W, 2) grayscale + alpha, (H, W, 3) RGB or (H, W, 4) RGBA. Float values
                further than FLOAT_TOLERANCE outside [0, 1] (e.g. 0-255 data) are refused.
            progress: progress bar over tiles.

        Grayscale goes through the network as three equal channels and comes back as the
        luma of the result; an alpha channel is not an image the network was trained on, so
        it is resized with bicubic interpolation instead, and the invisible colour under fully
        transparent pixels is first replaced by the nearest visible one (_bleed_into_transparent).
        """
        if isinstance(image, (str, os.PathLike)):  # a file name: said what to do, not "unsupported dtype <U9"
            raise TypeError(f"upscaling takes an image array, got the path {str(image)!r}: read it first "
                            "(srgan.read_image(path), or srgan.image_io.read_image_full to keep alpha and 16 bits), "
                            "or upscale files with srgan.infer.upscale_files / `srgan upscale`")
        image = np.asarray(image)
        top = _value_range(image.dtype)
        if top is None and image.size:
            _check_float_range(image)
        was_2d = image.ndim == 2
        if was_2d:
            image = image[:, :, None]
        if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4) or image.shape[0] == 0 or image.shape[1] == 0:
            raise ValueError(f"expected an image shaped (H, W) or (H, W, C) with C in 1..4, got {image.shape}")
        channels = image.shape[2]
        side = (lambda n: min(n, self.tile + 2 * self.tile_pad) if self.tile else n)  # tile_windows' window at most
        check_memory(image.shape[0], image.shape[1], self.scale, window=(side(image.shape[0]), side(image.shape[1])),
                     engine=self.engine if self.device == "cpu" else None)  # a GPU's memory is its own
        color = image[:, :, :3] if channels >= 3 else np.repeat(image[:, :, :1], 3, axis=2)
        if channels in (2, 4):
            color = _bleed_into_transparent(color, image[:, :, -1])
        lr = color.transpose(2, 0, 1).astype(np.float32)  # (3, H, W)
        if top is not None:
            lr /= top
        np.clip(lr, 0.0, 1.0, out=lr)
        sr = upscale_tiled(self.predictor, lr, scale=self.scale, tile=self.tile, tile_pad=self.tile_pad, progress=progress)
        sr += 1.0  # [-1, 1] -> [0, 1], in place: a 4K float image is 100 MB
        sr *= 0.5
        planes = [np.tensordot(_LUMA, sr, axes=1)] if channels <= 2 else [sr[0], sr[1], sr[2]]
        del sr
        if channels in (2, 4):
            alpha = image[:, :, -1].astype(np.float32) / (top or 1.0)
            planes.append(_resize_bicubic(alpha, self.scale))
        result = np.stack([_from_unit(plane, image.dtype) for plane in planes], axis=2)
        return result[:, :, 0] if was_2d else result


def _bleed_into_transparent(color: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """`color` with every fully transparent pixel given the colour of the nearest pixel that is
    not ("alpha bleeding"). The colour under alpha 0 is invisible and arbitrary (black, white,
    leftovers of an editor), but the network and the bicubic alpha mix it into the visible edge
    pixels around it: a logo saved over transparent black and the same logo over transparent
    white came out differing by up to 121 grey levels at their edges. Bled, both give the same."""
    hidden = alpha == 0
    if not hidden.any() or hidden.all():
        return color
    from scipy import ndimage  # a dependency of scikit-image, which the package depends on

    _, (rows, cols) = ndimage.distance_transform_edt(hidden, return_indices=True)
    return color[rows, cols]


def available_memory() -> int | None:
    """Bytes of memory this process can still get (Linux: MemAvailable), None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


# The network's own memory on a CPU, per output pixel of the largest window it runs on: the
# growth of `srgan upscale --tile 0`'s peak RSS from a 200x200 to a 400x400 input, 64-channel
# SRResNet x4, Paddle 3.3.1 (0.57, 0.84 and 3.1 KB measured; rounded up). Dygraph keeps every
# intermediate tensor; Paddle Inference and OpenVINO reuse buffers.
WORKING_BYTES_PER_OUTPUT_PIXEL = {"inference": 650, "openvino": 900, "dygraph": 3300}


def check_memory(height: int, width: int, scale: int, *, window: tuple[int, int] | None = None,
                 engine: str | None = None) -> None:
    """Raise MemoryError, with the sizes, before upscaling an image whose result cannot fit in
    memory (a 96-megapixel photo at x4 needs ~29 GiB), instead of failing deep inside numpy or
    being killed. The estimate, per output pixel: the float32 RGB result (12 bytes), one float32
    plane being converted (4) and the 8- or 16-bit result (3-8): 20 bytes; plus, given the LR
    `window` (h, w) the network runs on at once and the CPU `engine`, its working memory
    (WORKING_BYTES_PER_OUTPUT_PIXEL): a whole 1000x1000 photo (--tile 0) in dygraph needs ~50 GiB."""
    result = 20 * height * width * scale * scale
    working = 0
    if window is not None and engine in WORKING_BYTES_PER_OUTPUT_PIXEL:
        working = WORKING_BYTES_PER_OUTPUT_PIXEL[engine] * window[0] * window[1] * scale * scale
    needed, free = result + working, available_memory()
    if free is not None and needed > free:
        network = (f" ({working / 2**30:.1f} GiB for the {engine} network on a {window[1]}x{window[0]} px tile; "
                   f"a smaller --tile needs less)") if working > result else ""
        raise MemoryError(f"{width}x{height} px at x{scale} ({width * scale}x{height * scale} px out) needs about "
                          f"{needed / 2**30:.1f} GiB of memory{network}, {free / 2**30:.1f} GiB is available; "
                          f"split or reduce the image")


def upscale(
    image: np.ndarray,
    *,
    generator=None,
    weights: str | os.PathLike | None = None,
    engine: str = "auto",
    device: str | None = "auto",
    tile: int = 128,
    tile_pad: int = 16,
    bf16: bool = False,
    perception: float | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Upscale one image array; the package-level twin of `srgan upscale`.

    Builds an Upscaler each call (a weights file's export is cached on disk, the predictor
    is not); to upscale many images, build one `Upscaler(...)` and call it on each.

    Args:
        image: uint8, uint16 or float ([0, 1]) array, (H, W), (H, W, 1..4); see Upscaler.__call__.
        generator / weights / engine / device / tile / tile_pad / bf16 / perception: see Upscaler.
        progress: progress bar over tiles.

    Returns:
        The upscaled image, same dtype and channel layout as `image`.
    """
    upscaler = Upscaler(generator, weights=weights, engine=engine, device=device, tile=tile, tile_pad=tile_pad, bf16=bf16,
                        perception=perception)
    return upscaler(image, progress=progress)


# --- files in, files out -------------------------------------------------------------------
@dataclass
class BatchReport:
    """What upscale_files did: written outputs, outputs already there (skip_existing) and
    (input, message) pairs for failures."""

    written: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def plan_outputs(inputs: list[str | os.PathLike], output: str | os.PathLike) -> tuple[list[tuple[Path, Path]], list[tuple[str, str]]]:
    """Map input files and folders to output files.

    `output` is a file if it has an image extension (then exactly one input file is allowed
    and its format follows the extension), else a folder receiving `<input stem>.png`; inputs
    that share a stem (photo.jpg, photo.png) keep their extension: photo.jpg.png, photo.png.png.
    Returns (input, output) pairs and (input, message) errors for inputs that cannot be
    planned (missing, or two inputs that would write the same output).
    """
    pairs, errors, _ = _plan(inputs, output)
    return pairs, errors


def one_name_per_file(files: list[Path], done: str) -> list[Path]:
    """`files` with each file once: a file given twice (twice by name, or by a folder and by name)
    is kept once, and of several names of one file (links), the file's own name is kept where it
    is among them; the others are said in a warning ("z.png: the same file as x.png, `done` once,
    as x.png"), not dropped in silence. `srgan upscale` and `srgan compare PHOTO...` use it."""
    groups: dict[str, list[Path]] = {}
    for f in files:
        groups.setdefault(os.path.realpath(f), []).append(f)
    kept = {}
    for key, names in groups.items():
        kept[key] = next((f for f in names if not f.is_symlink()), names[0])
        for f in names:
            if os.path.abspath(f) != os.path.abspath(kept[key]):
                warnings.warn(f"{f}: the same file as {kept[key]}, {done} once, as {kept[key].name}", stacklevel=3)
    return [f for f in files if f is kept[os.path.realpath(f)]]


def _plan(inputs, output) -> tuple[list[tuple[Path, Path]], list[tuple[str, str]], list[Path]]:
    """plan_outputs, and every input file it found (those refused for a name clash too, and
    paths given that do not exist): none of them may ever be replaced by an output."""
    output = Path(output)
    files: list[Path] = []
    errors: list[tuple[str, str]] = []
    given: list[Path] = []  # input paths that are no folder, existing or not (a broken link is still the user's)
    for item in map(Path, inputs):
        try:  # a folder the user may not read: that input fails, named, and the others are still done
            folder = item.is_dir()
            exists = folder or item.exists()
            if folder:
                found = list_images(item)
                nested = [sub for sub in sorted(item.iterdir()) if sub.is_dir() and list_images(sub)]
        except PermissionError:
            given.append(item)
            errors.append((str(item), f"{item}: permission denied (it, or a folder on its path, may not be read)"))
            continue
        if folder:
            if not found:
                where = f"; its subfolders are not searched (images in {nested[0]}: give that folder)" if nested else ""
                errors.append((str(item), f"{item}: folder has no images ({', '.join(IMAGE_EXTENSIONS)}){where}"))
            elif nested:  # said once, before the work, so that a user does not take them for done
                names = ", ".join(sub.name for sub in nested[:3]) + (", ..." if len(nested) > 3 else "")
                warnings.warn(f"{item}: {len(nested)} subfolder(s) with images not searched ({names}); "
                              "give them as inputs too", stacklevel=2)
            files += found
        elif exists:
            files.append(item)
        else:
            given.append(item)
            errors.append((str(item), str(path_error(item, "file or folder"))))  # missing, link loop, ...
    all_inputs = files + given
    files = one_name_per_file(files, "upscaled")
    if output.suffix.lower() in IMAGE_EXTENSIONS:
        if len(files) + len(errors) != 1 or any(Path(i).is_dir() for i in inputs):
            raise ValueError(f"-o {output}: an output file name takes exactly one input image; give a folder for several")
        return [(f, output) for f in files], errors, all_inputs
    if output.suffix and not output.is_dir() and output.suffix[1:].isalnum():
        # "-o result.jgp" (a typo) or "-o out.xyz" made a folder of that name: a name with an
        # extension is meant as a file; a folder so named is used once it exists
        raise ValueError(f"-o {output}: {output.suffix} is not an image extension ({', '.join(IMAGE_EXTENSIONS)}); "
                         "for a folder of that name, create it first")
    earlier = _earlier_outputs(files, output)  # the output folder may hold what an earlier run wrote
    files = [f for f in files if f not in earlier]
    all_inputs = [f for f in all_inputs if f not in earlier]
    pairs, taken = [], {}
    names_by_stem: dict[str, set[str]] = {}
    for f in files:
        names_by_stem.setdefault(f.stem, set()).add(f.name)
    for f in files:
        # photo.jpg and photo.png in one batch: each keeps its extension (photo.jpg.png, photo.png.png)
        # rather than one being refused; the same name from two folders still clashes
        target = output / (f"{f.name}.png" if len(names_by_stem[f.stem]) > 1 else f"{f.stem}.png")
        if target in taken:
            errors.append((str(f), f"{f}: would write {target}, already the output of {taken[target]}; rename one of them"))
            continue
        taken[target] = f
        pairs.append((f, target))
    return pairs, errors, all_inputs


def _earlier_outputs(files: list[Path], output: Path) -> set[Path]:
    """The files among `files` that an earlier run into the same folder wrote from another of them:
    in `output`, named as that one's output (photo.png, or photo.jpg.png beside photo.png), and an
    exact multiple of its size (upright or turned by its EXIF orientation). A batch upscaled in
    place (`-o` its own folder) and run again, to finish it with --skip-existing or to redo it with
    --overwrite, would otherwise take them for photos: each upscaled again (x16), the rest renamed
    photo.jpg.png. Each is said in a warning.
    """
    try:
        folder = output.resolve()
    except OSError:
        return set()
    by_name = {f.name: f for f in files}
    by_stem: dict[str, list[Path]] = {}
    for f in files:
        by_stem.setdefault(f.stem, []).append(f)
    earlier = set()
    for f in files:
        if f.suffix.lower() != ".png" or f.parent.resolve() != folder:
            continue
        sources = [g for g in by_stem.get(f.stem, []) if g != f] + ([by_name[f.stem]] if f.stem in by_name else [])
        for g in sources:
            factor = _size_multiple(f, g)
            if factor:
                earlier.add(f)
                warnings.warn(f"{f}: {factor}x the size of {g.name}, the output of an earlier run into this folder: "
                              f"not upscaled again", stacklevel=3)
                break
    return earlier


def _size_multiple(big: Path, small: Path) -> int | None:
    """k >= 2 if `big` is exactly k times `small` on both sides (either way round), else None."""
    try:
        with Image.open(big) as b, Image.open(small) as s:
            (bw, bh), (sw, sh) = b.size, s.size
    except Exception:  # noqa: BLE001 - an unreadable file is no earlier output; its own read names it
        return None
    for w, h in ((sw, sh), (sh, sw)):
        if w and h and bw % w == 0 and bh % h == 0 and bw // w == bh // h >= 2:
            return bw // w
    return None


def upscale_files(
    inputs: list[str | os.PathLike],
    output: str | os.PathLike,
    *,
    upscaler: Upscaler,
    overwrite: bool = False,
    skip_existing: bool = False,
    progress: bool = True,
    debug: bool = False,
    report: BatchReport | None = None,
) -> BatchReport:
    """Upscale files and folders; a bad input is reported and the others still complete.

    Args:
        inputs: image files and/or folders (their images, not recursive: subfolders that hold
            images are named in a warning).
        output: a folder (outputs are PNG, named after the inputs), or one file name whose
            extension picks the format (one input only).
        upscaler: the Upscaler to apply.
        overwrite: replace existing outputs; otherwise they are reported as failures. An
            input is never replaced, even with `overwrite` (srgan.outputs).
        skip_existing: leave outputs that already exist as they are and report them as skipped
            (a batch run again after Ctrl-C does the rest); not with `overwrite`.
        progress: progress bars over images and tiles.
        debug: print each failure's traceback to stderr.

    Outputs are written atomically (temp file + rename): after Ctrl-C there is no
    half-written image, and the files finished before it are complete; pass `report` to
    know which they were (it is filled as the batch goes).
    """
    if overwrite and skip_existing:
        raise ValueError("--overwrite and --skip-existing contradict each other: give one")
    pairs, failed, every_input = _plan(inputs, output_path(output, "-o/--output"))
    report = BatchReport() if report is None else report
    report.failed.extend(failed)
    # Every input file, also those refused above (a.png beside a.jpg, whose output is a.png):
    # an output that lands on any of them is refused, even with --overwrite.
    sources = InputFiles(every_input)
    for src, dst in tqdm(pairs, desc="images", unit="img", disable=not progress or len(pairs) < 2):
        if skip_existing and dst.is_file() and not is_input(dst, sources):  # written atomically: complete
            report.skipped.append(dst)
            continue
        try:
            check_output_file(dst, overwrite=overwrite, inputs=sources)
        except OutputError as e:
            report.failed.append((str(src), str(e)))
            continue
        try:
            image = read_image_full(src)  # warns (naming the file) about 16-bit colour read as 8 bits
            # replace=overwrite: a file that appeared at dst while the image was upscaled is kept
            save_image(dst, upscaler(image, progress=progress), replace=overwrite,
                       icc_profile=read_icc_profile(src),  # the output in the input's colour space
                       exif=read_exif(src))  # camera, exposure, date: the photo's own record (no GPS)
        except (OSError, ValueError, RuntimeError, MemoryError) as e:  # unreadable, truncated, bad shape, no disk
            if debug:
                traceback.print_exc()
            message = str(e) if str(src) in str(e) or isinstance(e, OutputError) else f"{src}: {e}"
            report.failed.append((str(src), message))
            continue
        report.written.append(dst)
    return report
