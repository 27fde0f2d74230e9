"""Figures and tables for the book (and for anyone looking at a run): rows of images with
titles, crops and zoomed insets; training-log plots that mark where a run continued earlier
weights; the trainer's validation grids over steps; the most-detailed-window search; markdown
tables.

matplotlib is imported inside the plotting functions, so `detailed_window` and `table` work
without it (`srgan compare` uses `detailed_window`). Plotting functions draw one figure and
show it (`show=True`, what a notebook wants), or return it (`show=False`, to draw more on it
or to save it). In the Chinese edition (`srgan.i18n.set_language("zh")`, done by the notebooks'
setup cell) their titles, labels and tables come out in Chinese.

    from srgan import viz
    viz.image_row([("bicubic", bicubic), ("SRResNet", sr), ("HR", hr)], crop=(40, 60, 64))
    viz.plot_training_log(read_log(log_path), segments=card["segments"], reference=28.43)
"""

from __future__ import annotations

import io
import math
import os
import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw

from .evaluate import bicubic_upscaler, image_label
from .i18n import language, translate
from .image_io import read_image
from .metrics import score_pair
from .report import slider_html, slider_view
from .runs import IMAGES, LOG, grid_step, grids, read_log

# matplotlib is imported in the functions that draw: it takes about a second to load, and the
# tables, sliders and grids here need none of it.

Panel = tuple[str, np.ndarray]


# --- tables and windows (no matplotlib) ------------------------------------------------
class Markdown(str):
    """A string that Jupyter renders as markdown (no IPython import needed)."""

    def _repr_markdown_(self) -> str:
        return str(self)


def source(*objects, members: list[str] | None = None) -> Markdown:
    """The source code of functions, methods or classes as one highlighted Python block, for a
    chapter to show the package's code as code: printed with print(inspect.getsource(...)) it
    would be output text, which the book wraps at the column (a wrapped line then starts at
    column 0 and reads as broken Python); a code block keeps its lines and scrolls.

    Args:
        objects: what `inspect.getsource` accepts, shown in order, a blank line between.
        members: for a class, only these of its members (with the class line and docstring), the
            others named in one comment: the architecture without the config plumbing around it.
    """
    import inspect

    texts = [class_excerpt(o, members) if members and inspect.isclass(o) else inspect.getsource(o) for o in objects]
    text = "\n\n".join(fit_source(t.rstrip()) for t in texts)
    return Markdown(f"````python\n{text}\n````")  # four backticks: a docstring's ``` cannot end it


def class_excerpt(klass, members: list[str]) -> str:
    """`klass`'s source with its class line, docstring and the named members only, in the class's
    order; one comment at the end names the members left out."""
    import ast
    import inspect
    import textwrap

    text = textwrap.dedent(inspect.getsource(klass))
    lines = text.split("\n")
    node = ast.parse(text).body[0]
    body = node.body
    first = body[0]
    head = [(node.lineno, first.lineno - 1)]  # "class X(...):" (its decorators are not shown)
    if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) and isinstance(first.value.value, str):
        head.append((first.lineno, first.end_lineno))  # the docstring
        body = body[1:]
    keep, left_out = [], []
    for item in body:
        name = getattr(item, "name", None) or (item.targets[0].id if isinstance(item, ast.Assign)
                                               and isinstance(item.targets[0], ast.Name) else None)
        if name in members:
            start = min([item.lineno] + [d.lineno for d in getattr(item, "decorator_list", [])])
            keep.append((start, item.end_lineno))
        elif name:
            left_out.append(name)
    missing = set(members) - {getattr(item, "name", None) for item in body}
    if missing:
        raise ValueError(f"{klass.__name__} has no member {', '.join(sorted(missing))}")
    parts = ["\n".join("\n".join(lines[a - 1:b]) for a, b in head)] + ["\n".join(lines[a - 1:b]) for a, b in keep]
    indent = " " * (len(lines[first.lineno - 1]) - len(lines[first.lineno - 1].lstrip()))
    if left_out:
        parts.append(f"{indent}# ... not shown: {', '.join(left_out)}")
    return "\n\n".join(parts)


SOURCE_COLUMNS = 80  # characters of a code line the book's column shows before the line wraps


def fit_source(text: str, width: int = SOURCE_COLUMNS) -> str:
    """Source code laid out for the book's column, its tokens unchanged: a method loses its
    class's indentation, a long line's trailing comment moves onto its own line above it, and a
    long docstring line is re-wrapped at its own indentation. A wrapped code line starts at
    column 0 and reads as broken Python (reader s22: `# l_X` under `content = ...`)."""
    import io
    import textwrap
    import tokenize

    text = textwrap.dedent(text)
    lines = text.split("\n")
    comments, full_comments, docstring_rows = {}, set(), set()  # by line index (0-based)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text + "\n").readline):
            row, col = token.start
            if token.type == tokenize.COMMENT and lines[row - 1][:col].strip():
                comments[row - 1] = col  # a comment after code on that line
            elif token.type == tokenize.COMMENT:
                full_comments.add(row - 1)
            elif token.type == tokenize.STRING and token.string[:3] in ('"""', "'" * 3):
                docstring_rows.update(range(row - 1, token.end[0]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text  # not complete code: shown as it is
    def indent_of(line: str) -> str:
        return line[: len(line) - len(line.lstrip())]

    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if i in docstring_rows and line.strip() and not _DOC_HEADING.match(line):
            # a paragraph of the docstring: the lines after it at its indentation, up to a blank line or
            # the next item of a list ("name: ...", "- ..."), re-filled as a whole if one is too long
            j = i + 1
            while (j in docstring_rows and lines[j].strip()
                   and (len(indent_of(lines[j])) > len(indent_of(line))  # an item's continuation
                        or (indent_of(lines[j]) == indent_of(line) and not _DOC_ITEM.match(lines[j])))):
                j += 1
            block = lines[i:j]
            indent = indent_of(line)
            if _DOC_ITEM.match(line):  # an item's later lines hang under it: as deep as they were, or 4 more
                hanging = next((indent_of(b) for b in block[1:] if len(indent_of(b)) > len(indent)), indent + "    ")
            else:
                hanging = indent
            if any(len(b) > width for b in block):
                out.extend(textwrap.wrap(" ".join(b.strip() for b in block), width, initial_indent=indent,
                                         subsequent_indent=hanging, break_long_words=False, break_on_hyphens=False))
            else:
                out.extend(block)
            i = j
            continue
        if len(line) > width and i in full_comments:
            prefix = indent_of(line) + "# "
            out.extend(textwrap.wrap(line.strip()[1:].strip(), width, initial_indent=prefix, subsequent_indent=prefix,
                                     break_long_words=False, break_on_hyphens=False))
        elif len(line) > width and i in comments:
            out.append(indent_of(line) + line[comments[i]:])
            out.append(line[: comments[i]].rstrip())
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


_DOC_HEADING = re.compile(r"\s*\w+:\s*$")  # "Args:", "Returns:": a line of its own
_DOC_ITEM = re.compile(r"\s*(- |\w+( \([^)]*\))?: |\w+:$)")  # a list item or a section heading of a docstring


# A cell that reads as a number: digits with signs, units of one or two characters, "x", "%", a
# "/" between two numbers, bold markers; or a dash for "none". Such columns are right-aligned.
_NUMBER = re.compile(r"^\s*(\*\*)?[-+−]?[\d.,]+\s*(%|x|×|dB|s|px|h)?(\s*/\s*[-+−]?[\d.,]+)?(\*\*)?\s*$|^\s*[—–-]?\s*$")


def table(header: Sequence[str], rows: Sequence[Sequence], align: str | None = None, caption: str | None = None) -> Markdown:
    """A markdown (GitHub-flavoured pipe) table; the last expression of a cell shows it rendered.

    Jupyter renders it as a table; the book does too because its _config.yml parses markdown
    outputs as GFM (CommonMark alone has no tables), and ci/check_book.py fails on a table left
    as a paragraph of pipes.

    Args:
        header: column titles.
        rows: one sequence of cells per row; cells are used as str(cell), so format numbers first.
            Markdown in a cell (**bold**, `code`) is rendered; a "|" in a cell is escaped.
        align: one letter per column, "l" or "r" (default: right for columns of numbers, left for text).
        caption: a line of text above the table.
    """
    if any(len(row) != len(header) for row in rows) or (align is not None and len(align) != len(header)):
        raise ValueError(f"table: {len(header)} columns in the header, align {align!r}, rows of {sorted({len(r) for r in rows})} cells")
    align = align or "".join("r" if rows and all(_NUMBER.match(str(row[i])) for row in rows) else "l"
                             for i in range(len(header)))
    if language() == "zh":  # the Chinese edition (srgan.i18n): header, caption and word cells translated
        header, rows = [translate(str(h)) for h in header], [[translate(str(c)) for c in row] for row in rows]
        caption = translate(caption) if caption else caption

    def line(cells) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    if caption:  # a caption, not a stray fragment of prose: in italics (book.css sets it smaller and muted)
        caption = f"*{caption}*"
    lines = ([caption, ""] if caption else []) + [
        line(header),
        "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
    ]
    lines += [line(row) for row in rows]
    return Markdown("\n".join(lines))


def detailed_window(image: np.ndarray, side: int, *, stride: int | None = None, margin: int = 0) -> tuple[int, int]:
    """(top, left) of the `side` x `side` window with the most fine detail: the largest mean
    absolute difference between neighbouring pixels (of the channel mean), searched on a grid.

    Fur, feathers and stripes score high, flat sky low; it is where upscalers differ most.

    Args:
        image: (H, W) or (H, W, C) array; a window larger than the image is shrunk to fit.
        side: window side in pixels.
        stride: grid step of the search (default side // 4).
        margin: pixels kept clear of the image border (the paper's protocol ignores 4).
    """
    side = min(side, image.shape[0] - 2 * margin, image.shape[1] - 2 * margin)
    if side < 2:
        raise ValueError(f"detailed_window: image {image.shape[:2]} has no room for a window with margin {margin}")
    stride = stride or max(1, side // 4)
    gray = (image if image.ndim == 2 else image.mean(axis=2)).astype(np.float32)
    energy = np.abs(np.diff(gray, axis=0))[:, :-1] + np.abs(np.diff(gray, axis=1))[:-1]
    best, top, left = -1.0, margin, margin
    for y in range(margin, image.shape[0] - margin - side + 1, stride):
        for x in range(margin, image.shape[1] - margin - side + 1, stride):
            e = float(energy[y : y + side - 1, x : x + side - 1].mean())
            if e > best:
                best, top, left = e, y, x
    return top, left


def phase_pattern(image: np.ndarray, period: int) -> np.ndarray:
    """The mean of a 2-D image at each position of a period x period grid, minus the overall mean.

    Content that is not aligned with the grid averages out; a periodic artefact aligned with it
    (the checkerboard of a x2 pixel shuffle: period 2; of two: period 4) does not. Compare with
    the HR image's pattern, which is the level natural content leaves.
    """
    image = np.asarray(image, dtype=np.float64)
    image = image[: image.shape[0] // period * period, : image.shape[1] // period * period]
    means = np.array([[image[a::period, b::period].mean() for b in range(period)] for a in range(period)])
    return means - means.mean()


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by an integer factor: every pixel becomes a factor x factor square."""
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def from_tensor(x, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """A (C, H, W) tensor or array (HR range [-1, 1] by default, (0, 1) for LR) as an (H, W, C)
    float image in [0, 1] for display."""
    a = np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float32)
    lo, hi = value_range
    return np.clip((a.transpose(1, 2, 0) - lo) / (hi - lo), 0.0, 1.0)


def split_log(records: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """A trainer log (`srgan.runs.read_log`) split into its training and validation records."""
    return [r for r in records if r.get("kind") == "train"], [r for r in records if r.get("kind") == "val"]


# --- images ----------------------------------------------------------------------------
def _window(spec) -> tuple[int, int, int, int]:
    """(top, left, side) or (top, left, height, width) -> (top, left, height, width)."""
    spec = tuple(int(v) for v in spec)
    if len(spec) == 3:
        return spec[0], spec[1], spec[2], spec[2]
    if len(spec) == 4:
        return spec
    raise ValueError(f"a window is (top, left, side) or (top, left, height, width), got {spec}")


def _scaled_crop(image: np.ndarray, window, reference_height: int) -> tuple[np.ndarray, int]:
    """The window (in the reference image's pixels) cut from `image`. An image 1/k the reference's
    size (an LR input) is cut at the window divided by k and enlarged k times, pixels kept square.
    Returns the crop and k."""
    top, left, height, width = window
    k = max(1, round(reference_height / image.shape[0]))
    if k > 1:
        crop = image[top // k : (top + height) // k, left // k : (left + width) // k]
        return enlarge(crop, k), k
    return image[top : top + height, left : left + width], 1


def _show(ax, image: np.ndarray, interpolation: str) -> None:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(image, 0.0, 1.0)
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0 if image.ndim == 2 else None,
              vmax=(255 if image.dtype == np.uint8 else 1) if image.ndim == 2 else None, interpolation=interpolation)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def image_grid(rows: Sequence[Sequence[Panel]], *, crop=None, inset=None, inset_zoom: float = 2.5, overview: bool = False,
               row_titles: Sequence[str] | None = None, suptitle: str | None = None, panel_width: float = 3.0,
               title_size: int = 9, show: bool = True):
    """Rows of images with titles, optionally all cropped to one window or with a zoomed inset.

    Args:
        rows: one list of (title, image) per row; images are uint8 or float in [0, 1], (H, W) or (H, W, 3).
        crop: (top, left, side) or (top, left, height, width), in pixels of the row's largest
            image: every panel shows that window. A panel 1/k that size (an LR input) shows the
            window divided by k, enlarged k times with square pixels. A list of windows gives
            one per row.
        inset: the same kind of window (or list): every panel shows the whole image, the window
            outlined, and an `inset_zoom` times enlarged copy of it in the lower right corner.
        overview: with `crop`, start each row with its first image whole, the window outlined.
        row_titles: one label per row (e.g. the image's name): the overview panel's title, or
            without an overview the first panel's y label.
        suptitle: a title over the figure.
        panel_width: inches per panel.
        show: show the figure (and return None); False returns it.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    if crop is not None and inset is not None:
        raise ValueError("image_grid: give crop or inset, not both")
    rows = [list(row) for row in rows]

    def per_row(spec):  # one window for every row, or a list of windows, one per row
        if spec is None or not isinstance(spec[0], (tuple, list)):
            return [spec] * len(rows)
        if len(spec) != len(rows):
            raise ValueError(f"image_grid: {len(spec)} windows for {len(rows)} rows")
        return list(spec)

    crops, insets = per_row(crop), per_row(inset)
    if row_titles is not None and len(row_titles) != len(rows):
        raise ValueError(f"image_grid: {len(row_titles)} row titles for {len(rows)} rows")
    if overview:
        if crop is None:
            raise ValueError("image_grid: overview needs a crop window")
        rows = [[(row_titles[r] if row_titles else f"{row[0][0]} (whole)", row[0][1], "overview")] + row
                for r, row in enumerate(rows)]
    n_cols = max(len(row) for row in rows)
    h, w = _window(crops[0])[2:] if crop is not None else rows[0][0][1].shape[:2]  # panel aspect
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(panel_width * n_cols, panel_width * h / w * len(rows) + 0.45 * len(rows)),
                             squeeze=False)
    for r, row in enumerate(rows):
        reference = max(panel[1].shape[0] for panel in row)
        crop, inset = crops[r], insets[r]
        for c in range(n_cols):
            ax = axes[r, c]
            if c >= len(row):
                ax.axis("off")
                continue
            title, image, *kind = row[c]
            if kind == ["overview"]:
                _show(ax, image, "antialiased")
                top, left, height, width = _window(crop)
                k = max(1, round(reference / image.shape[0]))
                ax.add_patch(Rectangle((left / k - 0.5, top / k - 0.5), width / k, height / k, fill=False, color="red", lw=1.5))
            elif crop is not None:
                shown, _ = _scaled_crop(image, _window(crop), reference)
                _show(ax, shown, "nearest")
            else:
                _show(ax, image, "antialiased")
                if inset is not None:
                    top, left, height, width = _window(inset)
                    k = max(1, round(reference / image.shape[0]))
                    zoomed, _ = _scaled_crop(image, (top, left, height, width), reference)
                    ax.add_patch(Rectangle((left / k - 0.5, top / k - 0.5), width / k, height / k, fill=False, color="red", lw=1.2))
                    frac_w = min(0.6, inset_zoom * width / k / image.shape[1])
                    frac_h = frac_w * image.shape[1] / image.shape[0] * height / width
                    sub = ax.inset_axes([1 - frac_w, 0, frac_w, frac_h])
                    _show(sub, zoomed, "nearest")
                    for spine in sub.spines.values():
                        spine.set_visible(True)
                        spine.set_color("red")
            ax.set_title(title, fontsize=title_size)
            if row_titles and not overview and c == 0:
                ax.set_ylabel(row_titles[r], fontsize=title_size)
    if suptitle:
        fig.suptitle(suptitle, fontsize=title_size + 2)
    fig.tight_layout()
    return _finish(fig, show)


def image_row(panels: Sequence[Panel], **kwargs):
    """One row of (title, image) panels; the options are image_grid's (crop, inset, overview, ...)."""
    return image_grid([panels], **kwargs)


BOOK_COLUMN_PX = 660  # the book's text column on a laptop screen (676 px at 1280 px, ci/check_book.py), less a margin


def crops_at_scale(panels: Sequence[Panel], window, *, zoom: int = 2, columns: int | None = None, title_size: int = 10,
                   suptitle: str | None = None, max_width: int = BOOK_COLUMN_PX, show: bool = True):
    """The same window of several images, each displayed at exactly `zoom` screen pixels per
    image pixel (nearest neighbour), so that texture and grain are seen as they are, not resampled.

    The figure is sized in pixels from the window, `zoom` and the figure dpi; a page that shows it
    at its natural size (no wider than its column) keeps the scale.

    Args:
        panels: (title, image) pairs; titles may have several lines. An image 1/k the size of
            the largest (an LR input) is cut at the window divided by k and enlarged k times.
        window: (top, left, side) or (top, left, height, width) in pixels of the largest image.
        zoom: screen pixels per image pixel (1 = 1:1).
        columns: panels per row (default: as many as fit in `max_width`).
        title_size: title font size in points.
        suptitle: a title over the figure.
        max_width: widest figure in pixels when `columns` is not given (a wider one would be cut
            at the page's edge or shrunk, and lose the scale).
        show: show the figure (and return None); False returns it.
    """
    import matplotlib.pyplot as plt

    _, _, height, width = _window(window)
    reference = max(image.shape[0] for _, image in panels)
    gap = 10
    columns = columns or max(1, min(len(panels), (max_width - gap) // (width * zoom + gap)))
    rows = math.ceil(len(panels) / columns)
    dpi = plt.rcParams["figure.dpi"]
    line = title_size * 1.25 * dpi / 72  # one title line, pixels
    title_h = max(title.count("\n") + 1 for title, _ in panels) * line + 6
    top_h = (suptitle.count("\n") + 1) * (title_size + 2) * 1.6 * dpi / 72 if suptitle else 0  # its lines
    panel_w, panel_h = width * zoom, height * zoom
    fig_w = columns * panel_w + (columns + 1) * gap
    fig_h = top_h + rows * (title_h + panel_h + gap)
    fig = plt.figure(figsize=(fig_w / dpi, fig_h / dpi), dpi=dpi)
    for n, (title, image) in enumerate(panels):
        r, c = divmod(n, columns)
        x = gap + c * (panel_w + gap)
        y = fig_h - top_h - (r + 1) * (title_h + panel_h + gap) + gap  # bottom edge of the panel, pixels
        ax = fig.add_axes((x / fig_w, y / fig_h, panel_w / fig_w, panel_h / fig_h))
        shown, _ = _scaled_crop(image, _window(window), reference)
        _show(ax, shown, "nearest")
        ax.set_aspect("auto")
        ax.set_title(title, fontsize=title_size)
    if suptitle:
        # from the top edge down (a Chinese font's lines are taller: lower, its second line ran into the panels' titles)
        fig.suptitle(suptitle, fontsize=title_size + 2, y=1 - 4 / fig_h, va="top")
    return _finish(fig, show)


def _finish(fig, show: bool):
    if show:
        import matplotlib.pyplot as plt

        plt.show()
        plt.close(fig)
        return None
    return fig


# --- training logs ---------------------------------------------------------------------
_SCHEDULE_FIELDS = ("lr", "cosine", "lr_milestones", "lr_gamma", "init_generator")
_LOSS_FIELDS = ("pixel_loss", "content_loss", "adv_weight", "gan_loss", "lattice_weight", "lowfreq_weight",
                "chroma_weight", "lr_consistency_weight", "artifact_weight", "texture_weight", "texture_direction_weight",
                "ema_decay",
                "d_renew_every")


def segment_change(previous: Mapping, segment: Mapping) -> str:
    """How a card's segment continued the one before it, in a few words: a new learning-rate schedule
    (the continued weights with a fresh optimiser), or the loss settings and discriminator that
    changed (a branch resumed from a checkpoint, optimiser state carried over)."""
    before, after = (s.get("config", {}).get("train", {}) for s in (previous, segment))
    changed = [f"{k} {after[k]:g}" if isinstance(after.get(k), (int, float)) else f"{k} {after.get(k)}"
               for k in _LOSS_FIELDS if before.get(k) != after.get(k)]
    d_before, d_after = (s.get("config", {}).get("model", {}).get("d_norm", "batch") for s in (previous, segment))
    if d_before != d_after:
        changed.insert(0, f"D {d_after} norm")
    arch_before, arch_after = (s.get("config", {}).get("model", {}).get("d_arch", "paper") for s in (previous, segment))
    if arch_before != arch_after:
        changed.insert(0, f"D {arch_after}")
    if any(before.get(k) != after.get(k) for k in _SCHEDULE_FIELDS):
        return "continued, fresh schedule" + (": " + ", ".join(changed) if changed else "")
    return "continued: " + ", ".join(changed) if changed else "continued"


def _mark_segments(axes, segments: Sequence[dict]) -> None:
    """Dotted vertical lines where a segment continued the one before. With one such line the
    legend names it; with several each is numbered at the top of every panel and the legend
    says what changed at each number (one shared label would name the first change only)."""
    import matplotlib.transforms as mtransforms

    starts = segments[1:]
    for number, (previous, seg) in enumerate(zip(segments, starts), start=1):
        change = segment_change(previous, seg)
        label = change if len(starts) == 1 else f"{number} (step {seg['from_step']:,}): {change}"
        for j, ax in enumerate(axes):
            ax.axvline(seg["from_step"], color="C3", ls=":", lw=1.2, label=label if j == len(axes) - 1 else None)
            if len(starts) > 1:
                ax.text(seg["from_step"], 0.99, str(number), color="C3", fontsize=8, ha="center", va="top",
                        transform=mtransforms.blended_transform_factory(ax.transData, ax.transAxes),
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})


def _segment_label(segments: Sequence[dict], index: int, default: str) -> str:
    if not segments or index >= len(segments):
        return default
    train = segments[index].get("config", {}).get("train", {})
    return f"segment {index + 1}: {train.get('pixel_loss', default).upper()}" if train.get("phase") == "pretrain" else f"segment {index + 1}"


def _legend_below(fig, axes, fontsize: float = 11) -> None:
    """One legend for the whole figure, under its panels, where it covers no curve: every
    labelled line of `axes` once (a line several panels share, such as a segment marker, is named
    once). The figure must use the constrained layout, which makes room for it."""
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if entries:  # as many columns as fit the figure's width (a character ~0.6 em, a handle ~4 em)
        longest = max(len(label) for label in entries)
        # a label longer than the figure is wide would be cut at its edge: a smaller font, down to 8 pt
        fontsize = max(8.0, min(fontsize, fig.get_figwidth() * 72 / (0.6 * longest + 4)))
        em = fontsize / 72
        width = max(0.6 * em * len(label) + 4 * em for label in entries)
        columns = max(1, min(len(entries), 3, int(fig.get_figwidth() // width)))
        fig.legend(list(entries.values()), list(entries), loc="outside lower center", ncol=columns,
                   fontsize=fontsize, frameon=False)


def plot_training_log(records: Sequence[dict], *, loss_key: str = "loss", segments: Sequence[dict] = (),
                      reference: float | None = None, reference_label: str = "bicubic, same images",
                      title: str | None = None, show: bool = True):
    """Phase-1 log: training loss (log scale) and validation PSNR against the step.

    Args:
        records: the trainer's log records (`srgan.runs.read_log(path)`).
        loss_key: the training record's loss field.
        segments: a model card's `segments`: each later segment's start is marked, and the
            loss curve of each segment is labelled with its pixel loss.
        reference: a PSNR drawn as a dashed line (e.g. bicubic on the validation images).
        title: figure title.
    """
    import matplotlib.pyplot as plt

    train, val = split_log(records)
    fig, axes = plt.subplots(1, 2, figsize=(6.8, 3.6), layout="constrained")  # the column at 100 dpi: shown 1:1
    for i in sorted({r.get("segment", 0) for r in train}):
        part = [r for r in train if r.get("segment", 0) == i]
        axes[0].plot([r["step"] for r in part], [r[loss_key] for r in part], color=f"C{i}",
                     label=_segment_label(segments, i, loss_key))
    axes[0].set_yscale("log")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel(f"training {loss_key}")
    axes[1].plot([r["step"] for r in val], [r["psnr"] for r in val], "o-", ms=3, label="validation")
    if reference is not None:
        axes[1].axhline(reference, color="gray", ls="--", label=reference_label)
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("PSNR [dB]")  # the legend says it is the validation's (a longer label ran into the title)
    _mark_segments(axes, segments)
    for ax in axes:  # shown 1:1 (6.8 in at 100 dpi): the book's text size
        ax.xaxis.label.set_fontsize(11)
        ax.yaxis.label.set_fontsize(11)
        ax.tick_params(labelsize=10)
    _legend_below(fig, axes)
    if title:
        fig.suptitle(title, fontsize=12)
    return _finish(fig, show)


def plot_validation(runs: Mapping[str, Sequence[dict]], *, key: str | Sequence[str] = "psnr",
                    reference: float | None = None, reference_label: str = "bicubic, same images",
                    title: str | None = None, show: bool = True):
    """Validation curves of several runs (e.g. an ablation), one panel per score, with an optional
    reference line.

    Args:
        runs: label -> the run's log records (only the "val" records are used).
        key: a validation score (a name of metrics.VALIDATION_METRICS: "psnr", "niqe", "grid_contrast",
            "colour_shift", ...) or several, one panel each (two per row, so that the text stays
            readable on a book page).
        reference: a horizontal line drawn in every panel (e.g. bicubic's PSNR).
    """
    import matplotlib.pyplot as plt

    keys = [key] if isinstance(key, str) else list(key)
    rows, cols = (len(keys) + 1) // 2, min(len(keys), 2)
    # 6.8 in at 100 dpi is the book's column: shown 1:1 (9.6 in was shrunk to 70%, its text to 7 px)
    fig, axes = plt.subplots(rows, cols, figsize=(6.8, 3.3 * rows), squeeze=False, layout="constrained")
    for ax, k in zip(axes.ravel(), keys):
        for label, records in runs.items():
            val = [r for r in split_log(records)[1] if r.get(k) is not None]
            ax.plot([r["step"] for r in val], [r[k] for r in val], "o-", ms=3, label=label)
        if reference is not None:
            ax.axhline(reference, color="gray", ls="--", label=reference_label)
        ax.set_xlabel("step", fontsize=11)
        name = {"psnr": "PSNR [dB]", "niqe": "NIQE", "ssim_daala": "SSIM", "grid_contrast": "grid contrast (photo ≈ 1)",
                "colour_shift": "colour shift [grey levels]",
                "colour_speckle": "colour speckle [× the photo's]",
                "texture_direction": "texture direction [1 = along the photo's]"}.get(k, k.replace("_", " "))
        # several panels: the title says what is validated; a label longer than the panel ran into the next
        ax.set_ylabel(name if len(keys) > 1 else f"validation {name}", fontsize=10 if len(keys) > 1 else 11)
        ax.tick_params(labelsize=10)
    for ax in axes.ravel()[len(keys):]:
        ax.set_visible(False)
    _legend_below(fig, axes.ravel()[:1], fontsize=10)  # the panels share their runs
    if title:
        fig.suptitle(title, fontsize=11)
    return _finish(fig, show)


def plot_gan_log(records: Sequence[dict], *, segments: Sequence[dict] = (), title: str | None = None, show: bool = True):
    """Phase-2 log in six panels, three rows of two so the text stays readable on a book page:
    G's content and adversarial losses, D's loss (chance level 2 ln 2 dashed); D's mean outputs
    on HR and on G(LR) (logit scale: a saturated D's 1e-4 and 0.999 both show), validation PSNR and NIQE on
    separate axes, against the step.

    Args:
        records: the trainer's log records of a "gan" run.
        segments: a model card's `segments` (later segments' starts are marked).
        title: figure title.
    """
    import matplotlib.pyplot as plt

    train, val = split_log(records)
    step = [r["step"] for r in train]
    # 6.8 in at the book's 100 dpi is its text column: shown 1:1, not shrunk to 70% as 9.6 in was
    fig, grid = plt.subplots(3, 2, figsize=(6.8, 8.4), layout="constrained")
    axes = grid.ravel()
    g_train = [r for r in train if "content" in r]  # D warm-up steps (d_warmup_steps) have no G losses
    axes[0].plot([r["step"] for r in g_train], [r["content"] for r in g_train])
    axes[0].set_title("G: content loss")
    axes[1].plot([r["step"] for r in g_train], [r["adversarial"] for r in g_train], color="C1")
    axes[1].set_title("G: adversarial loss −log D(G(LR))")
    axes[2].plot(step, [r["loss_d"] for r in train], color="C2")
    axes[2].axhline(2 * math.log(2), color="gray", ls="--", lw=1)  # named in the title: a legend would cover a line
    axes[2].set_title("D loss (dashed: 2 ln 2, chance)")
    # A logit scale spreads both ends: a saturated D's 1e-4 on G(LR) and its 0.999 on HR (on a log
    # scale HR's curve was a strip along the top, under the segment numbers).
    outputs = np.clip([[r["d_real"], r["d_fake"]] for r in train], 1e-7, 1 - 1e-7).reshape(-1, 2)
    axes[3].plot(step, outputs[:, 0], color="C0", label="D(HR)")  # C0 blue, C1 orange: as the title says
    axes[3].plot(step, outputs[:, 1], color="C1", label="D(G(LR))")
    axes[3].axhline(0.5, color="gray", ls="--", lw=1)
    axes[3].set_yscale("logit")
    if len(outputs):  # a decade of headroom at each end, clear of the segment numbers
        low, high = min(outputs.min(), 0.1) / 10, 1 - min(1 - outputs.max(), 0.1) / 10
        axes[3].set_ylim(low, high)
        # every other decade: the panel is short, and seven labels touched (Chinese reader, s20)
        # evenly spread on the logit axis (0.01 and 0.99 sat next to 0.5 in this short panel: reader s22)
        # a D in the game (outputs within 0.01-0.99) gets the ticks between too: 0.5 alone was the only
        # one in the live run's panel, which the prose asks the reader to read (Chinese reader, s23)
        steps = (0.01, 0.1, 0.5, 0.9, 0.99) if low > 1e-4 and high < 1 - 1e-4 else (1e-6, 1e-3, 0.5, 1 - 1e-3, 1 - 1e-6)
        ticks = [t for t in steps if low <= t <= high]

        def power(exponent: int) -> str:
            return "10" + "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(d)] if d.isdigit() else "⁻" for d in str(exponent))

        axes[3].set_yticks(ticks, ["0.5" if t == 0.5 else f"{t:g}" if 1e-3 < t < 1 - 1e-3 else
                                   power(round(math.log10(t))) if t < 0.5 else f"1 − {power(round(math.log10(1 - t)))}"
                                   for t in ticks])
        axes[3].minorticks_off()
    # the colours named in the panel itself (the legend under the figure is far from it; one inside covered curves)
    axes[3].set_title("D's mean output (logit scale)\nblue: HR, orange: G(LR), dashed: 0.5")
    axes[4].plot([r["step"] for r in val], [r["psnr"] for r in val], "o-", ms=4, color="C4")
    axes[4].set_title("validation PSNR [dB]")
    with_niqe = [r for r in val if r.get("niqe") is not None]  # logged since NIQE joined the validation
    axes[5].plot([r["step"] for r in with_niqe], [r["niqe"] for r in with_niqe], "s-", ms=4, color="C5")
    axes[5].set_title("NIQE (lower = more natural)")  # "validation" as the PSNR panel beside it says
    _mark_segments(axes, segments)
    for ax in axes:
        ax.set_xlabel("step", fontsize=11)
        ax.title.set_fontsize(11)
        ax.tick_params(labelsize=11)
    _legend_below(fig, axes)  # D(HR), D(G(LR)) and the segment marker: inside a panel they hid D's curves
    if title:
        fig.suptitle(title, fontsize=14)
    return _finish(fig, show)


# --- the trainer's validation grids ----------------------------------------------------
GRID_COLUMNS = ("LR (nearest)", "bicubic", "generator", "HR")  # train.save_grid's layout


def validation_grids(run_dir: str | os.PathLike, *, max_rows: int = 5, panel_width: float = 1.7, show: bool = True,
                     start_scores: dict | None = None):
    """The validation grids a training run wrote (`<run>/images/val_<step>.png`: LR (nearest) |
    bicubic | generator | HR, a centre crop of the first validation image), one row per step,
    titled with the step and that validation's mean PSNR from the run's log.

    Args:
        run_dir: the run folder (images/ and log.jsonl).
        max_rows: show at most this many steps, evenly spread, the first and the last included.
        start_scores: the starting generator's validation scores (Trainer.validate at step 0,
            which the log does not hold): the step-0 row's PSNR.
    """
    run_dir = Path(run_dir)
    files = grids(run_dir)
    if not files:
        raise FileNotFoundError(f"{run_dir / IMAGES}: no val_<step>.png grids (the trainer writes one per validation)")
    if len(files) > max_rows:
        files = [files[round(i * (len(files) - 1) / (max_rows - 1))] for i in range(max_rows)] if max_rows > 1 else files[-1:]
    _, val = split_log(read_log(run_dir / LOG))
    psnr_at = {r["step"]: r["psnr"] for r in val}
    if start_scores is not None:
        psnr_at.setdefault(0, start_scores["psnr"])
    rows = []
    for r, file in enumerate(files):
        step = grid_step(file)
        grid = read_image(file)
        width = grid.shape[1] // len(GRID_COLUMNS)
        score = f", {psnr_at[step]:.2f} dB" if step in psnr_at else ""
        titles = [(name if r == 0 else "") for name in GRID_COLUMNS]  # column names on the first row
        titles[2] = f"{titles[2]}\nstep {step}{score}".lstrip()
        rows.append([(title, grid[:, i * width : (i + 1) * width]) for i, title in enumerate(titles)])
    return image_grid(rows, panel_width=panel_width,
                      suptitle=f"{run_dir.name}: validation grids (dB: mean PSNR over the validation images)", show=show)


# --- the paper's Fig. 2 layout ---------------------------------------------------------
def comparison(pairs: Sequence[tuple[str, np.ndarray, np.ndarray]], upscalers: Mapping[str, object], *, side: int = 96,
               scale: int = 4, panel_width: float = 2.6, suptitle: str | None = None, zoom: int | None = None,
               columns: int | None = None, dataset: str | None = None, show: bool = True):
    """bicubic | each upscaler | HR for each (name, LR, HR) pair, cropped to the HR's most detailed
    `side` px window, each panel titled with the whole image's PSNR / SSIM (Daala, paper protocol)
    and NIQE (lower = more natural), as the paper's Fig. 2 titles its panels.

    Args:
        pairs: (name, uint8 LR, uint8 HR) triples, e.g. from srgan.data.PairedImages.
        upscalers: label -> callable uint8 LR -> uint8 SR (srgan.infer.Upscaler, evaluate's upscalers).
        side: HR window side in pixels (the panel shows it enlarged).
        zoom: show every crop at exactly `zoom` screen pixels per pixel (`crops_at_scale`), one
            figure per pair with `columns` panels per row, instead of one grid fitted to
            `panel_width`. When the panels would not fill the last row, HR ends every row
            instead (repeated), if that fills them all: no blank cell, each method beside HR.
        dataset: the benchmark the pairs come from ("Set14"): titles name its images as they are
            known ("img_001 (baboon)", srgan.evaluate.image_label).
    """

    def title(label, sr, hr):
        s = score_pair(sr, hr, scale=scale, crop_border=scale, names=("psnr", "ssim_daala", "niqe"))
        scores = f"NIQE {s['niqe']:.2f}" if s["niqe"] is not None else ""
        if sr is not hr:
            scores = f"{s['psnr']:.2f} dB / {s['ssim_daala']:.4f}\n" + scores
        return f"{label}\n{scores}"

    methods = {"bicubic": bicubic_upscaler(scale), **upscalers}
    rows, windows, names = [], [], []
    if zoom and columns and columns > 1 and (len(methods) + 1) % columns and not len(methods) % (columns - 1):
        # The last line would end in blank cells: HR closes every line instead, each crop beside the
        # original (bicubic + 4 networks + HR in 3 columns: two full lines of two methods and HR).
        def lines(outputs):
            methods_out, hr_panel = outputs[:-1], outputs[-1]
            return [p for i in range(0, len(methods_out), columns - 1) for p in (*methods_out[i:i + columns - 1], hr_panel)]
    else:
        def lines(outputs):
            return outputs
    for name, lr, hr in pairs:
        outputs = [(label, up(lr)) for label, up in methods.items()] + [("HR", hr)]
        rows.append(lines([(title(label, sr, hr), sr) for label, sr in outputs]))
        windows.append((*detailed_window(hr, side, margin=scale), side))
        names.append(image_label(dataset, name))
    if zoom:
        figures = [crops_at_scale(row, window, zoom=zoom, columns=columns, suptitle=f"{name}: {side} px, shown {zoom}:1",
                                  show=show) for row, window, name in zip(rows, windows, names)]
        return None if show else figures
    return image_grid(rows, crop=windows, row_titles=names, suptitle=suptitle, panel_width=panel_width, show=show)


# --- the perception-distortion plane (chapter 7) ------------------------------------------
_RUN_COLOURS = ("#9467bd", "#8c564b", "#17becf", "#bcbd22")  # tab10's purple, brown, cyan, olive: not C0-C3's hues


def plot_perception_plane(panels: Mapping[str, Mapping], *, niqe_cap: float | None = None, show: bool = True):
    """PSNR (distortion, right = better) against NIQE (naturalness, down = better), one panel per
    benchmark set: methods as markers named in the legend, an optional dial of blended networks as
    a dotted line whose points are coloured by alpha (a colour bar, no labels to overlap), and the
    HR photos' NIQE as a dashed line.

    Args:
        panels: set name -> {"points": [{"label", "psnr", "niqe", "marker" ("o" or "^", optional)}, ...],
            "dial": [(alpha, psnr, niqe), ...] from one end of the line to the other (optional),
            "hr_niqe": the HR photos' NIQE (optional)}.
        niqe_cap: points with a NIQE above it are drawn at the cap with an upward arrow and their
            value ("↑ 15.8"), so one outlier does not squash the others (None: no cap).
    """
    import matplotlib.pyplot as plt

    from matplotlib.colors import ListedColormap

    # One panel per row at the text column's width (6.8 in): shown 1:1, where side by side (9.6 in) the page
    # shrank it to 70% and its text to ~8 px.
    fig, axes = plt.subplots(len(panels), 1, figsize=(6.8, 3.9 * len(panels) + 1.4), squeeze=False, layout="constrained")
    axes = axes.T  # axes[0]: the panels, in order
    colour_bar = None
    for ax, (name, panel) in zip(axes[0], panels.items()):
        dial = panel.get("dial") or []
        if dial:
            ax.plot([p for _, p, _ in dial], [min(n, niqe_cap or n) for _, _, n in dial], "k:", lw=1.2, zorder=2)
            inner = dial[1:-1]  # the ends are methods of their own
            # grey, light to dark: no hue of a method's marker (reader s22: viridis' purple read as a Table 1 run)
            colour_bar = ax.scatter([p for _, p, _ in inner], [n for _, _, n in inner], c=[a for a, _, _ in inner],
                                    cmap=ListedColormap(plt.get_cmap("Greys")(np.linspace(0.3, 0.95, 256))), s=45,
                                    edgecolor="k", zorder=5)  # above the methods: alpha 0.2 sits on SRResNet
        circles = triangles = 0  # each family its own hues: the shipped methods tab10's first, the other runs the last
        for point in panel["points"]:
            triangle = point.get("marker", "o") != "o"
            colour = _RUN_COLOURS[triangles % len(_RUN_COLOURS)] if triangle else f"C{circles}"
            triangles, circles = triangles + triangle, circles + (not triangle)
            clipped = niqe_cap is not None and point["niqe"] > niqe_cap
            y = niqe_cap if clipped else point["niqe"]
            ax.scatter(point["psnr"], y, s=90 if triangle else 130, marker=point.get("marker", "o"),
                       color=colour, edgecolor="k", zorder=4, label=point["label"])
            if clipped:
                ax.annotate(f"↑ {point['niqe']:.1f}", (point["psnr"], y), textcoords="offset points", xytext=(0, -22),
                            ha="center", fontsize=11)
        if panel.get("hr_niqe") is not None:
            ax.axhline(panel["hr_niqe"], color="gray", ls="--", lw=1.2, label="HR photos' NIQE")
        ax.set_xlabel("PSNR [dB]  (right = less distortion)", fontsize=12)
        ax.set_ylabel("NIQE  (down = more natural)", fontsize=12)
        ax.set_title(name, fontsize=13)
        ax.tick_params(labelsize=11)
        if niqe_cap is not None:
            ax.set_ylim(top=niqe_cap + 0.6)
    # One legend under the panels, where it covers no point (the panels share their methods).
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=10)  # three columns ran past the page's column
    if colour_bar is not None:
        bar = fig.colorbar(colour_bar, ax=list(axes[0]), location="right", shrink=0.6, aspect=30)
        bar.set_label("dial α (0 = SRResNet, 1 = SRGAN)", fontsize=11)
    return _finish(fig, show)


# --- before/after slider (HTML, with a PNG fallback) ------------------------------------
class Slider:
    """A before/after slider between images of one size, for a notebook output.

    In a browser (Jupyter, the HTML book) it is srgan.report's slider: drag the handle or use
    the arrow keys, menus for the two methods and the zoom, images inline. Where no HTML is
    shown (a PDF, nbconvert to LaTeX, a terminal front end) the PNG fallback is the same view,
    frozen: the left method left of the handle, the right one right of it, at the zoom.

    Build it with `slider(...)`; the arguments are those of `srgan.report.slider_figure`.
    """

    def __init__(self, images: Mapping[str, np.ndarray], **options):
        slider_view(images, left=options.get("left"), right=options.get("right"), zoom=options.get("zoom"))  # checks
        self.images, self.options = dict(images), options
        self._html = None

    def _repr_html_(self) -> str:
        if self._html is None:  # made once: the images are encoded as PNG inside it
            self._html = slider_html(self.images, **self.options)
        return self._html

    def still(self) -> np.ndarray:
        """The PNG fallback's pixels: left method | right method at the handle, a white line
        between them, each image pixel a zoom x zoom square, the two labels in the corners."""


        left, right, zoom = slider_view(self.images, left=self.options.get("left"), right=self.options.get("right"),
                                        zoom=self.options.get("zoom"))
        width = self.images[left].shape[1]
        cut = round(width * max(0, min(100, self.options.get("position", 50))) / 100)
        rgb = (lambda a: np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a)
        view = np.concatenate([rgb(self.images[left])[:, :cut], rgb(self.images[right])[:, cut:]], axis=1)
        view = enlarge(view, zoom)
        view[:, max(0, cut * zoom - 1) : cut * zoom + 1] = 255
        picture = Image.fromarray(np.ascontiguousarray(view))
        draw = ImageDraw.Draw(picture)
        for text, at_right in ((left, False), (right, True)):
            box = draw.textbbox((0, 0), text)  # Pillow's default font, whatever its version
            x = picture.width - 7 - box[2] if at_right else 7
            draw.rectangle((x - 3, 4, x + box[2] + 3, 8 + box[3]), fill=(0, 0, 0))
            draw.text((x, 6), text, fill=(255, 255, 255))
        return np.asarray(picture)

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(self.still()).save(buffer, format="PNG")
        return buffer.getvalue()


def slider(images: Mapping[str, np.ndarray], *, left: str | None = None, right: str | None = None, zoom: int | None = None,
           position: int = 50, caption: str | None = None, scores: Mapping[str, Mapping] | None = None) -> Slider:
    """A before/after slider for a notebook (`srgan compare --html` draws the same one).

    Args:
        images: label -> uint8 image, all of one size, in menu order (e.g. bicubic, SRResNet,
            SRGAN, HR).
        left: method left of the handle (default: the first).
        right: method right of the handle (default: the last that is not "HR").
        zoom: screen pixels per image pixel, an integer >= 1 (default: up to 4, within
            1024 x 768 px); the reader's menu changes it.
        position: where the handle starts, percent of the width.
        caption: a line above the slider.
        scores: label -> {"psnr", "ssim_daala", "niqe"} (report.image_scores), shown as a table under it.

    Returns:
        A Slider: HTML in a browser, a PNG of the same view elsewhere.
    """
    caption = translate(caption) if caption else caption  # the Chinese edition's (srgan.i18n)
    return Slider(images, left=left, right=right, zoom=zoom, position=position, caption=caption, scores=scores)
