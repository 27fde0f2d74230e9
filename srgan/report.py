"""Before/after sliders: one self-contained HTML page to compare upscalers by dragging a handle.

`srgan compare --html report.html` writes such a page: for a benchmark with its originals
(`compare_report`: PSNR / SSIM / NIQE) or for a user's own photos (`photo_report`: NIQE only,
there is no original), and the book shows the same slider in a notebook (`srgan.viz.slider`). Each slider stacks two images of the same
size, the left method's clipped to the part left of the handle; two menus choose the methods
(bicubic, each model, HR), a third the zoom (1:1 or larger, pixels kept square and sharp by
`image-rendering: pixelated`). The handle follows a pointer drag, the arrow keys (Shift: 10
steps), Home / End; it is an ARIA slider (role="slider", aria-valuenow in percent).

Everything is inline: images as base64 PNG data URIs, the CSS and the few lines of JavaScript
written here. The page loads nothing from the network, so it works offline and can be mailed.

    from srgan.report import slider_html
    html = slider_html({"bicubic": bicubic, "SRGAN": sr, "HR": hr}, left="bicubic", right="SRGAN")
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
from PIL import Image
from tqdm import tqdm

from .atomic import atomic_path, path_error
from .evaluate import generator_upscaler, load_comparison
from .i18n import translate
from .image_io import IMAGE_EXTENSIONS, list_images, read_image
from .imresize import imresize
from .infer import Upscaler, one_name_per_file, resolve_weights
from .metrics import score_pair
from .outputs import check_output_file

__all__ = ["png_data_uri", "slider_view", "slider_figure", "slider_html", "report_page", "write_report", "image_scores",
           "compare_report", "photo_report", "PhotoReport", "DEFAULT_MODELS", "PHOTO_WINDOW", "NO_REFERENCE_NOTE"]

# Default zoom: the largest of 1..4 that keeps the shown image within this many CSS pixels
# (wide, high: a laptop screen shows it whole with the menus above it).
MAX_AUTO_WIDTH, MAX_AUTO_HEIGHT = 1024, 768
ZOOMS = (1, 2, 3, 4, 6, 8)
# What a page compares when no --weights are given: the two shipped models (srgan.infer.SHIPPED_MODELS).
DEFAULT_MODELS = {"SRResNet": "srresnet", "SRGAN": "srgan"}
# A photo page shows at most this many LR pixels per side (the centre of a larger photo): x4 that
# is 1024 px, one screen at 1:1, and seconds per model on a CPU, where a 12-megapixel phone photo
# would take ~10 minutes per model and ~40 MB of inline PNG per method.
PHOTO_WINDOW = 256
# Why a photo page has no PSNR / SSIM column (one line on the page).
NO_REFERENCE_NOTE = ("No PSNR or SSIM: they measure the distance to an original high-resolution image, and a photo "
                     "upscaled as it is has none; NIQE needs no original (lower = more natural statistics; whole "
                     "image less a {scale}-pixel border, from 96x96 px).")

SLIDER_CSS = """
.sr-slider { margin: 1.2em 0; font: 14px/1.4 system-ui, sans-serif; }
.sr-slider .sr-controls { display: flex; flex-wrap: wrap; gap: 1em; align-items: center; margin-bottom: .4em; }
.sr-slider .sr-scroll { overflow: auto; max-width: 100%; max-height: 85vh; padding: 4px; }  /* room for the focus outline */
.sr-slider .sr-stage { position: relative; touch-action: none; cursor: ew-resize; user-select: none; line-height: 0; }
.sr-slider .sr-stage:focus { outline: 3px solid #1a73e8; outline-offset: 1px; }
.sr-slider .sr-stage img { display: block; width: 100%; height: 100%; max-width: none; margin: 0;
  image-rendering: pixelated; pointer-events: none; }
.sr-slider .sr-over { position: absolute; top: 0; left: 0; }
.sr-slider .sr-handle { position: absolute; top: 0; bottom: 0; width: 2px; margin-left: -1px; background: #fff;
  box-shadow: 0 0 0 1px rgba(0,0,0,.6); pointer-events: none; }
.sr-slider .sr-handle::after { content: "\\2194"; position: absolute; top: 50%; left: 50%; width: 28px; height: 28px;
  margin: -14px 0 0 -14px; border-radius: 50%; background: #fff; color: #000; font: 18px/28px sans-serif;
  text-align: center; box-shadow: 0 0 0 1px rgba(0,0,0,.6); }
.sr-slider .sr-tag { position: absolute; top: 4px; padding: 1px 6px; background: rgba(0,0,0,.6); color: #fff;
  font: 12px/1.5 system-ui, sans-serif; pointer-events: none; }
.sr-slider .sr-tag-left { left: 4px; }
.sr-slider .sr-tag-right { right: 4px; }
.sr-slider table { border-collapse: collapse; margin-top: .5em; }
.sr-slider th, .sr-slider td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #ddd; }
.sr-slider th:first-child, .sr-slider td:first-child { text-align: left; }
"""

# Sets up every `.sr-slider` not yet set up, so it can run once per page or once per notebook
# output (several outputs on one page each carry it; the `data-ready` mark keeps it idempotent).
SLIDER_JS = """
(function () {
  function setup(fig) {
    if (fig.getAttribute("data-ready")) return;
    fig.setAttribute("data-ready", "1");
    var images = JSON.parse(fig.querySelector("script.sr-images").textContent);
    var stage = fig.querySelector(".sr-stage"), over = fig.querySelector(".sr-over"), under = fig.querySelector(".sr-under");
    var handle = fig.querySelector(".sr-handle"), tagLeft = fig.querySelector(".sr-tag-left"), tagRight = fig.querySelector(".sr-tag-right");
    var pickLeft = fig.querySelector(".sr-pick-left"), pickRight = fig.querySelector(".sr-pick-right"), pickZoom = fig.querySelector(".sr-zoom");
    var width = +fig.getAttribute("data-width"), height = +fig.getAttribute("data-height"), dragging = false;
    function set(value) {
      var v = Math.max(0, Math.min(100, Math.round(value)));
      over.style.clipPath = "inset(0 " + (100 - v) + "% 0 0)";
      handle.style.left = v + "%";
      stage.setAttribute("aria-valuenow", v);
      stage.setAttribute("aria-valuetext", shown(pickLeft) + " on the left " + v + "%, " + shown(pickRight) + " on the right");
    }
    function shown(pick) {  // the chosen method's name as the menu shows it (translated in the Chinese edition)
      return pick.options[pick.selectedIndex].text;
    }
    function methods() {
      over.src = images[pickLeft.value]; under.src = images[pickRight.value];
      over.alt = shown(pickLeft); under.alt = shown(pickRight);  // what a screen reader says follows the menus
      tagLeft.textContent = shown(pickLeft); tagRight.textContent = shown(pickRight);
      set(+stage.getAttribute("aria-valuenow"));
    }
    function zoom() {
      stage.style.width = width * pickZoom.value + "px"; stage.style.height = height * pickZoom.value + "px";
      // Larger than the page's column (and at most 85% of the window tall, both scrollbars in view): the
      // handle is brought into view, else at 6:1 the right image and its label looked cut off (reader s23)
      var scroll = stage.parentNode, v = +stage.getAttribute("aria-valuenow") || 50;
      scroll.scrollLeft = Math.max(0, width * pickZoom.value * v / 100 - scroll.clientWidth / 2);
    }
    function follow(e) {
      var box = stage.getBoundingClientRect();
      set((e.clientX - box.left) / box.width * 100);
    }
    stage.addEventListener("pointerdown", function (e) {
      dragging = true; stage.setPointerCapture(e.pointerId); stage.focus(); follow(e); e.preventDefault();
    });
    stage.addEventListener("pointermove", function (e) { if (dragging) follow(e); });
    stage.addEventListener("pointerup", function () { dragging = false; });
    stage.addEventListener("pointercancel", function () { dragging = false; });
    stage.addEventListener("keydown", function (e) {
      var v = +stage.getAttribute("aria-valuenow"), step = e.shiftKey ? 10 : 1;
      var moves = {ArrowLeft: v - step, ArrowDown: v - step, ArrowRight: v + step, ArrowUp: v + step,
                   PageDown: v - 10, PageUp: v + 10, Home: 0, End: 100};
      if (!(e.key in moves)) return;
      e.preventDefault(); set(moves[e.key]);
    });
    pickLeft.addEventListener("change", methods);
    pickRight.addEventListener("change", methods);
    pickZoom.addEventListener("change", zoom);
    zoom(); methods();
  }
  Array.prototype.forEach.call(document.querySelectorAll(".sr-slider"), setup);
})();
"""

_ids = itertools.count(1)


def png_data_uri(image: np.ndarray) -> str:
    """A uint8 image (H, W) or (H, W, 3) as a `data:image/png;base64,...` URI (lossless)."""

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _check_images(images: Mapping[str, np.ndarray]) -> tuple[int, int]:
    """(height, width) shared by all images; ValueError naming the first that differs."""
    if len(images) < 2:
        raise ValueError(f"a slider needs at least two images, got {len(images)} ({', '.join(images) or 'none'})")
    shapes = {label: np.asarray(image).shape[:2] for label, image in images.items()}
    first = next(iter(shapes))
    for label, shape in shapes.items():
        if images[label].dtype != np.uint8 or images[label].ndim not in (2, 3):
            raise ValueError(f"slider image {label!r}: expected uint8 (H, W) or (H, W, 3), got {images[label].dtype} "
                             f"{images[label].shape}")
        if shape != shapes[first]:
            raise ValueError(f"slider image {label!r} is {shape[1]}x{shape[0]} px but {first!r} is "
                             f"{shapes[first][1]}x{shapes[first][0]}; the images of a slider must have one size")
    return shapes[first]


def slider_view(images: Mapping[str, np.ndarray], *, left: str | None = None, right: str | None = None,
                zoom: int | None = None) -> tuple[str, str, int]:
    """The (left, right, zoom) a slider starts with, defaults filled in (see `slider_figure`).

    Raises:
        ValueError: an unknown `left` / `right`, or a zoom below 1.
    """
    height, width = _check_images(images)
    labels = list(images)
    not_hr = [label for label in labels if label.lower() != "hr"] or labels
    left = labels[0] if left is None else left
    right = (not_hr[-1] if not_hr[-1] != left else labels[-1]) if right is None else right
    for which, label in (("left", left), ("right", right)):
        if label not in images:
            raise ValueError(f"slider: {which}={label!r} is not one of the images ({', '.join(labels)})")
    zoom = max(1, min(4, MAX_AUTO_WIDTH // width, MAX_AUTO_HEIGHT // height)) if zoom is None else int(zoom)
    if zoom < 1:
        raise ValueError(f"slider: zoom must be >= 1 (1:1 or larger), got {zoom}")
    return left, right, zoom


def _format(value: float | None, digits: int) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:.{digits}f}"


# Score columns: key, heading, digits.
_COLUMNS = (("psnr", "PSNR (dB)", 2), ("ssim_daala", "SSIM", 4), ("niqe", "NIQE", 2))


def _scores_table(scores: Mapping[str, Mapping[str, float | None]]) -> str:
    """An HTML table: one row per method, a column for each score any row has (PSNR / SSIM /
    NIQE; a photo page has NIQE only), "–" where not measured."""
    columns = [c for c in _COLUMNS if any(c[0] in s for s in scores.values())]
    # translate: the Chinese edition's words (srgan.i18n; unchanged in English)
    head = "".join(f"<th>{html.escape(translate(heading))}</th>" for _, heading, _ in columns)
    rows = "".join(f"<tr><td>{html.escape(translate(label))}</td>"
                   + "".join(f"<td>{_format(s.get(key), digits)}</td>" for key, _, digits in columns) + "</tr>"
                   for label, s in scores.items())
    return f"<table class=\"sr-scores\"><thead><tr><th>{translate('method')}</th>{head}</tr></thead><tbody>{rows}</tbody></table>"


def slider_figure(images: Mapping[str, np.ndarray], *, left: str | None = None, right: str | None = None,
                  zoom: int | None = None, position: int = 50, caption: str | None = None,
                  scores: Mapping[str, Mapping[str, float | None]] | None = None) -> str:
    """The HTML of one slider (no CSS or script: `report_page` or `slider_html` add them once).

    Args:
        images: label -> uint8 image, all of one size, in menu order (e.g. bicubic, SRResNet,
            SRGAN, HR).
        left: the method shown left of the handle (default: the first label).
        right: the method shown right of the handle (default: the last label that is not HR,
            or the last label).
        zoom: display scale, an integer >= 1 so that each pixel stays a square of pixels
            (default: the largest of 1..4 within MAX_AUTO_WIDTH x MAX_AUTO_HEIGHT CSS pixels). The page's menu
            changes it.
        position: where the handle starts, in percent of the width.
        caption: text above the slider (e.g. the file name); escaped.
        scores: label -> {"psnr", "ssim_daala", "niqe"} (image_scores) shown as a table under the slider.

    Raises:
        ValueError: fewer than two images, images of different sizes or types, an unknown
            `left` / `right`, or a zoom below 1.
    """
    height, width = _check_images(images)
    labels = list(images)
    left, right, zoom = slider_view(images, left=left, right=right, zoom=zoom)
    position = max(0, min(100, int(position)))
    # JSON inside <script>: "</" would end the script element early.
    data = json.dumps({label: png_data_uri(image) for label, image in images.items()}).replace("</", "<\\/")

    # The menus' values are the images' keys (the page's script reads them); what they and the tags
    # show is translated (the Chinese edition's words, srgan.i18n; unchanged in English).
    def menu(cls: str, chosen: str, name: str) -> str:
        options = "".join(f"<option{' selected' if label == chosen else ''} value=\"{html.escape(label)}\">"
                          f"{html.escape(translate(label))}</option>" for label in labels)
        return f"<label>{translate(name)} <select class=\"{cls}\">{options}</select></label>"

    zooms = sorted(set(ZOOMS) | {zoom})
    zoom_menu = "".join(f"<option{' selected' if z == zoom else ''} value=\"{z}\">{z}:1</option>" for z in zooms)
    number = next(_ids)
    title = f"<div class=\"sr-caption\"><strong>{html.escape(caption)}</strong></div>" if caption else ""
    aria = html.escape(f"before/after slider{': ' + caption if caption else ''}", quote=True)
    return (
        f"<figure class=\"sr-slider\" id=\"sr-slider-{number}\" data-width=\"{width}\" data-height=\"{height}\">{title}"
        f"<div class=\"sr-controls\">{menu('sr-pick-left', left, 'left')}{menu('sr-pick-right', right, 'right')}"
        f"<label>{translate('zoom')} <select class=\"sr-zoom\">{zoom_menu}</select></label></div>"
        f"<div class=\"sr-scroll\"><div class=\"sr-stage\" role=\"slider\" tabindex=\"0\" aria-label=\"{aria}\" "
        f"aria-valuemin=\"0\" aria-valuemax=\"100\" aria-valuenow=\"{position}\" "
        f"style=\"width: {width * zoom}px; height: {height * zoom}px\">"
        f"<img class=\"sr-under\" alt=\"{html.escape(translate(right))}\" width=\"{width}\" height=\"{height}\" "
        f"src=\"{png_data_uri(images[right])}\">"
        f"<img class=\"sr-over\" alt=\"{html.escape(translate(left))}\" width=\"{width}\" height=\"{height}\" "
        f"style=\"clip-path: inset(0 {100 - position}% 0 0)\" src=\"{png_data_uri(images[left])}\">"
        f"<div class=\"sr-handle\" style=\"left: {position}%\"></div>"
        f"<span class=\"sr-tag sr-tag-left\">{html.escape(translate(left))}</span>"
        f"<span class=\"sr-tag sr-tag-right\">{html.escape(translate(right))}</span></div></div>"
        f"<script type=\"application/json\" class=\"sr-images\">{data}</script>"
        f"{_scores_table(scores) if scores else ''}</figure>"
    )


def slider_html(images: Mapping[str, np.ndarray], **kwargs) -> str:
    """One slider with its CSS and script, for embedding in a page that has neither (a
    notebook output); keyword arguments as `slider_figure`."""
    return f"<style>{SLIDER_CSS}</style>{slider_figure(images, **kwargs)}<script>{SLIDER_JS}</script>"


def report_page(figures: list[str], *, title: str = "srgan compare", intro: str | list[str] = "") -> str:
    """A whole HTML document holding `figures` (from `slider_figure`), the CSS and script once.

    Args:
        figures: slider HTML fragments.
        title: page title and heading; escaped.
        intro: a paragraph under the heading, or a list of paragraphs; escaped.
    """
    paragraph = "".join(f"<p>{html.escape(text)}</p>" for text in ([intro] if isinstance(intro, str) else intro) if text)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>body {{ margin: 1.5em; }} {SLIDER_CSS}</style></head>\n"
            f"<body><h1>{html.escape(title)}</h1>{paragraph}\n" + "\n".join(figures)
            + f"\n<script>{SLIDER_JS}</script></body></html>\n")


def write_report(path: str | os.PathLike, page: str, *, overwrite: bool = False, inputs=()) -> Path:
    """Write `page` to `path` atomically, under the project's output rule (srgan.outputs).

    Args:
        path: the .html file.
        page: the document.
        overwrite: replace an existing file (never an input).
        inputs: files the command read (never replaced).
    """

    path = check_output_file(path, overwrite=overwrite, inputs=inputs, what="HTML report")
    # A file name that is not UTF-8 (os.fsdecode's lone surrogates) is shown with U+FFFD.
    page = page.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def image_scores(sr: np.ndarray, hr: np.ndarray | None, *, scale: int = 4) -> dict[str, float | None]:
    """PSNR, SSIM (Daala, the paper's) against `hr` and NIQE of `sr`, with the paper's protocol
    (metrics.score_pair: Y channel, `scale` pixels of border left out); None where a score
    cannot be had (no HR, an image too small for NIQE's 96x96 block)."""

    against_hr = hr is not None and sr is not hr  # HR's own row: only its NIQE
    names = ("psnr", "ssim_daala", "niqe") if against_hr else ("niqe",)
    return {"psnr": None, "ssim_daala": None,
            **score_pair(sr, hr if against_hr else sr, scale=scale, crop_border=scale, names=names)}


def compare_report(weights: Mapping[str, str | os.PathLike], data_dir: str | os.PathLike, out: str | os.PathLike, *,
                   names: list[str] | None = None, zoom: int | None = None, overwrite: bool = False) -> Path:
    """Write one HTML page with a before/after slider per benchmark image: bicubic, each model
    and HR in the menus (bicubic against the last model at first), with their PSNR / SSIM / NIQE.

    Args:
        weights: label -> generator .safetensors file (or a shipped model's short name), in
            menu order.
        data_dir: benchmark folder (HR/ + LR_bicubic_x<scale>/, the weights' scale).
        out: destination .html.
        names: image file names to include (default: all in the folder).
        zoom: initial display scale (default: per image, see `slider_figure`).
        overwrite: replace an existing `out` (srgan.outputs; never an input).

    Raises:
        ValueError: weights of different scales, a label used for bicubic / HR, or a `names`
            entry not in the folder.
        outputs.OutputError: `out` exists (without `overwrite`) or is one of the inputs.
    """

    files = {label: resolve_weights(path) for label, path in weights.items()}
    taken = [label for label in files if label.lower() in ("bicubic", "hr")]
    if taken:
        raise ValueError(f"--weights: the label {taken[0]!r} is the name of a built-in column; choose another")
    check_output_file(out, overwrite=overwrite, inputs=list(files.values()), what="HTML report")
    generators, scale, pairs, pair_files = load_comparison(files, data_dir, names=names)
    inputs = list(files.values()) + pair_files
    check_output_file(out, overwrite=overwrite, inputs=inputs, what="HTML report")
    upscalers = {label: generator_upscaler(g) for label, g in generators.items()}
    rgb = (lambda a: np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a)
    figures = []
    for name, lr, hr in pairs:
        if names and name not in names:
            continue
        images = {"bicubic": imresize(lr, scale=scale), **{label: up(lr) for label, up in upscalers.items()}, "HR": hr}
        scores = {label: image_scores(image, hr, scale=scale) for label, image in images.items()}
        figures.append(slider_figure({label: rgb(image) for label, image in images.items()}, left="bicubic",
                                     right=list(upscalers)[-1] if upscalers else "HR", zoom=zoom, caption=name, scores=scores))
    intro = (f"x{scale} upscaling of {len(figures)} image(s) from {data_dir}: drag the handle or use the arrow keys; "
             f"the menus choose the methods and the zoom. Scores on the whole image, the paper's protocol (Y channel, "
             f"{scale}-pixel border): PSNR and SSIM against HR, NIQE lower = more natural.")
    return write_report(out, report_page(figures, title="srgan compare", intro=intro), overwrite=overwrite, inputs=inputs)


def _photo_files(inputs) -> tuple[list[Path], list[tuple[str, str]]]:
    """The image files among `inputs` (files, and the images directly inside folders), each file
    once (infer.one_name_per_file: a link and its target were two photos of the page, which
    `srgan upscale` upscales once), and (input, message) for each input that gives none:
    missing, or a folder without images."""

    files: list[Path] = []
    failed: list[tuple[str, str]] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found = list_images(item)
            if not found:
                failed.append((str(item), f"{item}: folder has no images ({', '.join(IMAGE_EXTENSIONS)})"))
            files += [f for f in found if f not in files]
        elif item.is_file():
            if item not in files:
                files.append(item)
        else:
            failed.append((str(item), str(path_error(item, "image file"))))  # missing, broken link, ...
    return one_name_per_file(files, "shown"), failed


def centre_window(image: np.ndarray, window: int) -> np.ndarray:
    """The central `window` x `window` pixels of `image` (each side at most the image's); the
    whole image for window 0."""
    height, width = image.shape[:2]
    if not window or (height <= window and width <= window):
        return image
    h, w = min(height, window), min(width, window)
    top, left = (height - h) // 2, (width - w) // 2
    return image[top : top + h, left : left + w]


@dataclass
class PhotoReport:
    """What `photo_report` did: the page (None: not written), the photos shown in it, and
    (input, message) for each input that failed, the message naming the file."""

    page: Path | None = None
    shown: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def photo_report(photos, out: str | os.PathLike, *, weights: Mapping[str, str | os.PathLike] | None = None,
                 window: int = PHOTO_WINDOW, zoom: int | None = None, overwrite: bool = False,
                 progress: bool = False) -> PhotoReport:
    """Write one HTML page with a before/after slider per photo: the photo enlarged by bicubic
    interpolation and by each model (bicubic against the last model at first), with their NIQE.

    The photos are the models' input, as with `srgan upscale` (same engine and tiling, so the
    page shows what it writes); there is no original to score PSNR / SSIM against.

    Args:
        photos: image files and/or folders (their images, not recursive).
        out: destination .html.
        weights: label -> generator .safetensors file, `srgan export` folder or shipped model's
            short name, in menu order (default DEFAULT_MODELS: SRResNet and SRGAN).
        window: a photo larger than `window` x `window` px is shown by its centre window (the
            caption says so); 0 = the whole photo.
        zoom: initial display scale (default: per photo, see `slider_figure`).
        overwrite: replace an existing `out` (srgan.outputs; never an input).
        progress: a progress bar over the photos.

    Returns:
        A PhotoReport: the page (None when no photo could be shown: nothing is written then),
        the photos shown, and the inputs that failed with one message each.

    Raises:
        ValueError: a label used for bicubic / HR, weights of different scales, a window < 0.
        OSError: missing or unreadable weights; `out` exists (without `overwrite`) or is an input
            (outputs.OutputError). All before any photo is upscaled.
    """


    if window < 0:
        raise ValueError(f"--window must be >= 0 (0 = whole photos), got {window}")
    files = {label: resolve_weights(path) for label, path in (weights or DEFAULT_MODELS).items()}
    taken = [label for label in files if label.lower() in ("bicubic", "hr")]
    if taken:
        raise ValueError(f"--weights: the label {taken[0]!r} is the name of a built-in column; choose another")
    paths, failed = _photo_files(photos)
    report = PhotoReport(failed=failed)
    inputs = list(files.values()) + paths
    check_output_file(out, overwrite=overwrite, inputs=inputs, what="HTML report")
    upscalers = {label: Upscaler(weights=path) for label, path in files.items()}
    scales = {label: up.scale for label, up in upscalers.items()}
    scale = next(iter(scales.values()))
    if len(set(scales.values())) > 1:
        raise ValueError(f"--weights of different scales ({', '.join(f'{k} x{v}' for k, v in scales.items())}); "
                         "compare weights of one scale")
    figures = []
    for path in tqdm(paths, desc="photos", unit="photo", disable=not progress or len(paths) < 2):
        try:
            photo = read_image(path)  # RGB uint8, EXIF rotation applied; alpha dropped
            lr = np.ascontiguousarray(centre_window(photo, window))
            images = {"bicubic": imresize(lr, scale=scale), **{label: up(lr) for label, up in upscalers.items()}}
            scores = {label: {"niqe": image_scores(image, None, scale=scale)["niqe"]} for label, image in images.items()}
        except (OSError, ValueError, RuntimeError, MemoryError) as e:  # unreadable, too large, ...
            failed.append((str(path), str(e) if str(path) in str(e) else f"{path}: {e}"))
            continue
        (h, w), (ph, pw) = lr.shape[:2], photo.shape[:2]
        part = f"{w}x{h} px" if (h, w) == (ph, pw) else f"centre {w}x{h} px of {pw}x{ph} (--window {window})"
        figures.append(slider_figure(images, left="bicubic", right=list(upscalers)[-1], zoom=zoom,
                                     caption=f"{path}: {part}, x{scale}", scores=scores))
        report.shown.append(path)
    if not figures:
        return report
    intro = [f"x{scale} upscaling of {len(figures)} photo(s) by bicubic interpolation and by {', '.join(upscalers)}: "
             "drag the handle or use the arrow keys; the menus choose the methods and the zoom.",
             NO_REFERENCE_NOTE.format(scale=scale)]
    report.page = write_report(out, report_page(figures, title="srgan compare", intro=intro), overwrite=overwrite,
                               inputs=inputs)
    return report
