"""Run an upscaler over a benchmark folder and score it with the paper's protocol (Sec. 3.1).

An upscaler is any callable `uint8 LR (h, w, 3) or (h, w) -> uint8 SR (H, W, 3) or (H, W)`:
`bicubic_upscaler()` is the paper's baseline, `generator_upscaler(generator)` wraps a trained
Generator. `evaluate_benchmark()` returns per-image and mean PSNR / SSIM (Daala and MATLAB
variants), NIQE of SR and HR (no-reference naturalness, lower is better; HR's value is what
natural photos score) and the two grid measures of the pixel-shuffle lattice; `format_table()`
prints them (under `table_caption()`, which says how to read them). `resolve_evaluation()` turns
`srgan evaluate`'s options into an upscaler.

    >>> from srgan.evaluate import evaluate_benchmark, bicubic_upscaler, format_table
    >>> print(format_table(evaluate_benchmark(bicubic_upscaler(4), "../shared/benchmarks/Set5")))
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from .colour import gray_uint8
from .config import Config, ModelConfig, default_shared_dir
from .i18n import translate_markdown
from .imresize import imresize
from .metrics import METRIC_NAMES, METRICS, score_pair, summary_score

# This module loads without Paddle (bicubic scores and tables need none): what runs a network
# or reads the data (srgan.predict, srgan.data, srgan.checkpoint import Paddle) is imported in
# the functions that need it.

UpscaleFn = Callable[[np.ndarray], np.ndarray]  # uint8 LR -> uint8 SR (infer.Upscaler is one)

__all__ = ["evaluate_benchmark", "format_table", "table_caption", "bicubic_upscaler", "generator_upscaler",
           "default_benchmark_dirs", "resolve_evaluation"]


def bicubic_upscaler(scale: int = 4) -> UpscaleFn:
    """The paper's baseline: MATLAB-compatible bicubic upscaling by `scale`."""
    return lambda lr: imresize(lr, scale=scale)


def generator_upscaler(generator) -> UpscaleFn:
    """Wrap a Generator as an upscaler: uint8 LR -> [0, 1] -> model -> [-1, 1] -> rounded uint8.

    The whole image goes through the network at once (fine for Set5/Set14 on a CPU; tiled
    inference for large images lives in srgan.infer), by predict.DygraphPredictor: eval mode
    (BN with running statistics, Sec. 3.2) under no_grad, the previous train/eval mode
    restored, so this can be called during training for validation.

    A grayscale (h, w) LR image is fed as gray RGB and the output is turned back into one
    channel, so that it can be compared with a grayscale HR image.
    """
    from .data import lr_to_tensor, sr_to_uint8  # Paddle (see the imports)
    from .predict import DygraphPredictor

    predictor = DygraphPredictor(generator)

    def upscale(lr: np.ndarray) -> np.ndarray:
        gray = lr.ndim == 2
        rgb = np.repeat(lr[:, :, None], 3, axis=2) if gray else lr
        sr = sr_to_uint8(predictor(lr_to_tensor(rgb)[None])[0])
        return gray_uint8(sr) if gray else sr

    return upscale


def perceptual_scores(sr: np.ndarray, hr: np.ndarray, scale: int = 4, crop_border: int = 4, with_hr: bool = True) -> dict:
    """The scores of metrics.score_pair that are not distortion measures (NIQE, the grid
    measures, the colour scores); None where the image is too small for one or, for the colour
    scores, gray. with_hr=False leaves out those that need work on HR alone ("niqe_hr",
    "grid_ratio"), as the trainer's validation does."""
    names = tuple(m.name for m in METRICS if not m.distortion and (with_hr or m.validation))
    return score_pair(sr, hr, scale=scale, crop_border=crop_border, names=names)


def evaluate_benchmark(
    upscaler: UpscaleFn,
    data_dir: str | os.PathLike,
    scale: int = 4,
    crop_border: int = 4,
    y_channel: bool = True,
    max_images: int | None = None,
    progress: bool = False,
) -> dict:
    """Upscale every LR image of a benchmark folder and score it against its HR image.

    Args:
        upscaler: callable uint8 LR -> uint8 SR of the HR's shape (see module docstring).
        data_dir: folder with HR/ and LR_bicubic_x<scale>/, files paired by name, or the str
            "selection" (the 25 photos held out of BSDS200 for choosing checkpoints,
            srgan.data.selection_pairs; "./selection" or a Path is a folder, data.is_selection).
        scale: upscaling factor, selects the LR folder (paper: 4).
        crop_border: pixels removed from each side before scoring (paper: 4).
        y_channel: score the BT.601 Y channel (paper) instead of RGB.
        max_images: score only the first N images (by name), e.g. for quick validation.
        progress: a progress bar over the images (on stderr; a few seconds each on a CPU).

    Returns:
        {"dataset": folder name, "scale", "crop_border", "y_channel",
         "images": [{"name", and every score of metrics.METRIC_NAMES}, ...], "mean": {the same scores}}  (means of the per-image values, the median for colour_speckle; a
        perfect reconstruction has PSNR inf).
        NIQE (srgan.niqe) is computed with the same border removed, as PIRM-SR 2018 did; it
        needs no HR, and "niqe_hr" is the HR image's own score, the natural-image reference.
        "grid_ratio" is the share of high-pass energy on the period-`scale` lattice relative to
        HR's, "grid_contrast" that energy against the neighbouring frequencies (about 1 for a
        photo, above 1 for a visible lattice); see srgan.metrics.grid_share / grid_contrast.
        "colour_shift" is the largest per-channel mean difference SR - HR in grey levels (RGB,
        border removed; None for gray images), metrics.colour_shift. "colour_speckle" is SR's fine
        chroma detail energy over HR's (1 = the photo's, above = coloured noise; metrics.colour_speckle).
    """
    from .data import SELECTION, benchmark_pairs, is_selection  # Paddle (see the imports)

    pairs = benchmark_pairs(data_dir, scale=scale, max_images=max_images)
    if hasattr(pairs, "check"):  # a folder: every bad pair named at once, before minutes of upscaling
        pairs.check(min_side=11 + 2 * crop_border)  # SSIM (MATLAB)'s window after the border
    from tqdm import tqdm

    images = []
    shown = SELECTION if is_selection(data_dir) else dataset_name(data_dir)
    for name, lr, hr in tqdm(pairs, desc=shown, unit="image", disable=not progress, leave=False):
        sr = np.asarray(upscaler(lr))
        if sr.shape != hr.shape or sr.dtype != np.uint8:
            raise ValueError(
                f"{Path(data_dir) / 'HR' / name}: upscaler returned {sr.dtype} {sr.shape} from LR {lr.shape}, "
                f"expected uint8 {hr.shape}"
            )
        try:
            scores = score_pair(sr, hr, scale=scale, crop_border=crop_border, y_channel=y_channel)
        except ValueError as e:  # e.g. a --crop-border larger than the image: name the image
            raise ValueError(f"{Path(data_dir) / 'HR' / name}: {e}") from None
        images.append({"name": name, **scores})
    mean = {key: summary_score(key, [img[key] for img in images]) for key in METRIC_NAMES}
    return {
        "dataset": shown,
        "scale": scale,
        "crop_border": crop_border,
        "y_channel": y_channel,
        "images": images,
        "mean": mean,
    }


def check_dataset_names(folders: list[str | os.PathLike]) -> None:
    """Refuse benchmark folders that share a name (a/Set5, b/Set5): tables and cards key scores by it,
    so the first folder's would be replaced by the second's without a word (hostile test s23)."""
    from .data import SELECTION, is_selection

    seen: dict[str, str] = {}
    for folder in folders:
        name = SELECTION if is_selection(folder) else dataset_name(folder)
        if name in seen and os.path.realpath(seen[name]) != os.path.realpath(folder):
            raise ValueError(f"--data {seen[name]} and {folder}: two benchmark folders named {name}, whose scores are "
                             "kept under that name; rename one of them")
        seen[name] = str(folder)


def dataset_name(data_dir: str | os.PathLike) -> str:
    """A benchmark folder's name for tables and cards: its own name ("Set5"), or for a user's
    folder named "selection" its path ("./selection"), not to be taken for the selection set."""
    from .data import SELECTION

    name = Path(data_dir).resolve().name
    if name != SELECTION:
        return name
    shown = str(Path(data_dir))
    return shown if os.sep in shown else os.path.join(".", shown)


def _caption(results: dict) -> str:
    return (f"{results['dataset']} (x{results['scale']}, {'Y channel' if results.get('y_channel', True) else 'RGB'}, "
            f"{results['crop_border']}-pixel border removed). NIQE: lower is more natural, HR's is the reference; "
            f"grid: 1 = as lattice-free as HR (ratio), ~1 for a photo, >1 a visible period-{results['scale']} lattice "
            f"(contrast); colour shift: largest per-channel mean SR - HR in grey levels (RGB); "
            f"colour speckle: fine chroma detail over HR's (1 = the photo's); -: not defined for that image (too "
            f"small, or no colour to measure: a gray image, or for colour speckle an HR without fine colour detail)")


_OFF_TABLE_NOTES = {"texture_direction": "1 = fine texture along the photo's, 0 = unrelated, metrics.texture_direction"}


def scores_off_the_table(results: dict) -> str:
    """The dataset's scores that format_table has no column for, on one line (`srgan evaluate`)."""
    shown = [f"{m.heading} {results['mean'][m.name]:.{m.digits}f} ({_OFF_TABLE_NOTES.get(m.name, m.name)})"
             for m in METRICS if not m.table and results["mean"].get(m.name) is not None]
    return ("Also: " + "; ".join(shown)) if shown else ""


def table_caption(results: dict) -> str:
    """The line `format_table()` puts above its table: the protocol, and how to read the columns.
    In the Chinese edition (srgan.i18n) it is Chinese."""
    return translate_markdown(_caption(results))


# The names the benchmark images are known by, in the order of their files img_001, img_002, ...
# (the usual names sorted alphabetically, checked by eye: shared/benchmarks/README.md), so that a
# table or a crop can say "img_001 (baboon)" where the prose talks about the baboon.
BENCHMARK_IMAGE_NAMES = {
    "Set5": ("baby", "bird", "butterfly", "head", "woman"),
    "Set14": ("baboon", "barbara", "bridge", "coastguard", "comic", "face", "flowers", "foreman", "lenna", "man",
              "monarch", "pepper", "ppt3", "zebra"),
}


def image_label(dataset: str | None, name: str) -> str:
    """An image's file stem, with its usual name when it is one of Set5's or Set14's files
    ("img_001.png" of "Set14" -> "img_001 (baboon)"); any other name as its stem."""
    stem = Path(name).stem
    names = BENCHMARK_IMAGE_NAMES.get(dataset or "", ())
    number = stem[4:] if stem.startswith("img_") and stem[4:].isdigit() else ""
    if number and 1 <= int(number) <= len(names):
        return f"{stem} ({names[int(number) - 1]})"
    return stem


def format_table(results: dict, caption: str | None = None) -> str:
    """A markdown table of `evaluate_benchmark()`'s results: one row per image and a last row
    labelled mean, a column per score of metrics.METRICS shown in tables. The last row holds the dataset's
    scores (metrics.summary_score): the mean of the images' values, and where a score is their
    median instead (colour speckle) its cell says so, "0.40 (median)". In the Chinese edition
    (srgan.i18n) its words are Chinese.

    Args:
        results: what evaluate_benchmark() returned.
        caption: the markdown above the table; None: `table_caption(results)`, "" for none (several
            tables of one dataset under one caption, as chapter 7 shows them).
    """
    columns = [m for m in METRICS if m.table]
    widths = {m.name: max(len(m.heading), 6) for m in columns}

    def cell(m, value, summary: bool) -> str:
        if value is None or math.isnan(value):  # not defined for this image (too small, flat): "-", as the caption says
            return f"{'-':>{widths[m.name]}}"
        text = f"{value:.{m.digits}f}" + (" (median)" if summary and m.median else "")
        if summary and math.isfinite(value):  # summary_score left infinite values out: said where the number is
            infinite = sum(1 for img in results["images"] if img[m.name] is not None and math.isinf(img[m.name]))
            text += f" ({infinite} inf left out)" if infinite else ""
        return f"{text:>{widths[m.name]}}"

    labels = [image_label(results.get("dataset"), img["name"]) for img in results["images"]]
    first = max([12, *map(len, labels)])

    def row(name: str, scores: dict, summary: bool = False) -> str:
        return f"| {name:<{first}} | " + " | ".join(cell(m, scores[m.name], summary) for m in columns) + " |"

    caption = _caption(results) if caption is None else caption
    lines = [caption, ""] if caption else []
    lines += [
        f"| {'image':<{first}} | " + " | ".join(f"{m.heading:>{widths[m.name]}}" for m in columns) + " |",
        f"|{'-' * (first + 2)}|" + "|".join("-" * (widths[m.name] + 1) + ":" for m in columns) + "|",
    ]
    lines += [row(label, img) for label, img in zip(labels, results["images"])]
    lines.append(row("**mean**", results["mean"], summary=True))
    return translate_markdown("\n".join(lines))


def default_benchmark_dirs() -> list[Path]:
    """Set5 and Set14 under $SRGAN_SHARED/benchmarks (default ../shared), those that exist."""
    root = default_shared_dir() / "benchmarks"
    return [root / name for name in ("Set5", "Set14") if (root / name).is_dir()]


def load_comparison(weights: dict[str, str | os.PathLike], data_dir: str | os.PathLike, *,
                    names: list[str] | None = None, scale: int | None = None):
    """What `srgan compare` puts side by side (the PNG of crops and the HTML sliders alike):
    the generators, the scale they share, the benchmark's pairs at that scale and its files.

    Args:
        weights: label -> generator weights file.
        data_dir: benchmark folder (HR/ + LR_bicubic_x<scale>/), or "selection" (data.SELECTION).
        names: image file names that must be in the folder (None: no check).
        scale: the comparison's factor; None = the first generator's (all must share it).

    Returns:
        (generators by label, scale, data.PairedImages, [LR and HR file paths]): the files are
        inputs that no output may replace.

    Raises:
        ValueError: a generator of another scale, or a `names` entry not in the folder.
    """
    from .checkpoint import load_generator  # Paddle (see the imports)
    from .data import PairedImages, is_selection, selection_files, selection_pairs

    generators = {label: load_generator(path) for label, path in weights.items()}
    scales = {label: int(g.scale) for label, g in generators.items()}
    scale = scale or next(iter(scales.values()), 4)
    wrong = {label: s for label, s in scales.items() if s != scale}
    if wrong:
        label = next(iter(wrong))
        raise ValueError(f"{weights[label]}: a x{wrong[label]} generator, but the comparison is x{scale} "
                         f"({', '.join(f'{k} x{v}' for k, v in scales.items())}); compare weights of one scale")
    if is_selection(data_dir):  # the photos held out of BSDS200, LR made by the paper's degradation
        pairs = selection_pairs(scale=scale)
        known, files = [name for name, _, _ in pairs], selection_files()
    else:
        pairs = PairedImages(data_dir, scale=scale)
        known = [name for name, _, _ in pairs.pairs]
        files = [f for _, lr_file, hr_file in pairs.pairs for f in (lr_file, hr_file)]
    missing = [n for n in names or () if n not in known]
    if missing:
        raise ValueError(f"{data_dir}: no image named {missing} (it has {', '.join(known[:5])}{' ...' if len(known) > 5 else ''})")
    return generators, scale, pairs, files


def resolve_evaluation(
    *,
    method: str | None = None,
    weights: str | os.PathLike | None = None,
    data: list[str | os.PathLike] | None = None,
    scale: int = 4,
    crop_border: int = 4,
    device: str | None = None,
) -> tuple[UpscaleFn, str, list[Path]]:
    """What `srgan evaluate` runs: the upscaler, its label for the tables, and the benchmark folders.

    Args:
        method: "bicubic" (the paper's baseline) or "model" (a trained generator); None picks
            "model" when `weights` is given, else "bicubic".
        weights: generator `.safetensors` for method "model" (and only for it).
        data: benchmark folders, or the bare name "selection" (data.is_selection); None means
            Set5 and Set14 under the shared folder (default_benchmark_dirs), which must then exist.
        scale: the upscaling factor evaluated, a power of two as for a model (config.Config.problems);
            a generator of another scale is refused.
        crop_border: the pixels removed from each side before scoring, >= 0.
        device: where the generator runs ("cpu", "gpu", "gpu:N"; None: GPU if available).

    Returns:
        (upscaler, label, data_dirs: Paths, and "selection" as given). A method/weights
        combination that cannot be evaluated raises ValueError and missing benchmarks FileNotFoundError, before any weights are
        loaded; a generator of another scale raises ValueError once loaded.
    """
    # The flags are named here, before any work: --scale 0 was "bench/LR_bicubic_x0: missing" and
    # --crop-border -1 "bench/HR/b0.png: border must be >= 0", a flag's problem blamed on a file.
    wrong = [p for p in Config(model=ModelConfig(scale=scale)).problems() if p.startswith("scale ")]
    if wrong:
        raise ValueError(f"--{wrong[0]}")
    if not isinstance(crop_border, int) or crop_border < 0:
        raise ValueError(f"--crop-border must be an integer >= 0 (pixels removed from each side), got {crop_border!r}")
    method = method or ("model" if weights else "bicubic")
    if method not in ("bicubic", "model"):
        raise ValueError(f"unknown method {method!r}: use 'bicubic' or 'model'")
    if method == "model" and not weights:
        raise ValueError("--method model needs --weights FILE.safetensors")
    if method == "bicubic" and weights:
        raise ValueError("--weights is only used with --method model")
    if data:
        from .data import is_selection  # Paddle (see the imports)

        # the bare name "selection" stays a str, the selection set; "./selection" is a folder
        data_dirs = [d if is_selection(d) else Path(d) for d in data]
    else:
        data_dirs = default_benchmark_dirs()
    if not data_dirs:
        raise FileNotFoundError(f"no --data given and no Set5/Set14 under {default_shared_dir() / 'benchmarks'} "
                                "(set SRGAN_SHARED or pass --data DIR)")
    if method == "bicubic":
        return bicubic_upscaler(scale), "bicubic", data_dirs
    from .checkpoint import load_generator
    from .device import pick_device

    pick_device(device)
    generator = load_generator(weights)
    if generator.scale != scale:
        raise ValueError(f"{weights} is a x{generator.scale} model but --scale is {scale}")
    return generator_upscaler(generator), f"model {weights}", data_dirs


def __getattr__(name: str):
    # The earlier name `evaluate.evaluate` (module and function alike) still works, with a warning.
    if name == "evaluate":
        warnings.warn("srgan.evaluate.evaluate is now srgan.evaluate.evaluate_benchmark", DeprecationWarning, stacklevel=2)
        return evaluate_benchmark
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
