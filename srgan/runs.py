"""The run folder (`srgan train --out DIR`): its layout, and the rule that one run owns it.

A run folder holds one training run:

    config.json                  the run's config, Paddle version, device, machine
    log.jsonl                    one JSON record per line (train losses, validation scores)
    ckpt_<step>.ckpt             training checkpoints (the newest `keep_last`)
    best_generator.safetensors   the generator with the best validation PSNR (+ .json card)
    init_card.json, init_log.jsonl   card and log of released weights the run started from
    images/val_<step>.png        validation grids
    visualdl/                    VisualDL scalars (optional)
    run.lock                     present while a process trains in the folder

Rules, enforced by `RunFolder`:
- One run per folder: a fresh run (no --resume) refuses a folder that holds another run's
  files unless asked to overwrite them; otherwise pruning and `best_generator` would mix two runs.
- One process per folder: `run.lock` is held (flock) for the run's life and released on any
  exit; a lock left by a killed process is detected (the kernel drops the flock with the
  process) and taken over with a note.
- A run that fails before writing anything leaves no empty folder behind; where the same run
  (the same config) was started and stopped before its first logged step, leaving only its own
  config.json and an empty log, it starts again without --overwrite (never_trained).
- `--overwrite` deletes the layout's files only, never a config.json or log.jsonl that a run
  did not write (those are refused whatever the flags), nor the run's own --init-generator.
- Temporary files of the layout's atomic writes, left by a killed process, are removed when
  the folder is opened again (the lock guarantees no other process is writing them).
- What `--resume` means is decided in one place, `run_start` (`open_run` opens the folder
  accordingly, checkpoint.resume_state loads what it names): a new run, this folder's run
  continued (from its newest readable checkpoint, or one named), or another folder's
  checkpoint continued as a new segment (lineage). Resuming in the folder itself continues the
  same run: `check_same_settings` refuses changed training settings and
  `check_no_later_checkpoints` an earlier checkpoint that later ones follow (a branch).

Every file of the folder is read and written here: the trainer writes through `record_start`,
`JsonlLogger`, `checkpoint_path`, `prune_checkpoints` and `grid_path`; `srgan release` and the
book read through `read_info`, `read_log`, `checkpoints`, `grids` and `earlier_training`.

This module imports no Paddle, so the CLI and tests can use it cheaply.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .atomic import atomic_path, copy_atomic, temporary_pattern, write_json
from .log import logger
from .machine import machine_description
from .outputs import same_file

try:
    import fcntl
except ImportError:  # not POSIX (Windows): no flock; RunLock then leaves the folder unlocked
    fcntl = None

CONFIG = "config.json"
LOG = "log.jsonl"
BEST = "best_generator.safetensors"
BEST_CARD = "best_generator.json"
INIT_CARD = "init_card.json"
INIT_LOG = "init_log.jsonl"
IMAGES = "images"
VISUALDL = "visualdl"
LOCK = "run.lock"

_CHECKPOINT = re.compile(r"ckpt_(\d+)\.ckpt")
_GRID = re.compile(r"val_(\d+)\.png")
# The files a run writes by name (besides checkpoints and grids).
_RUN_FILE_NAMES = (CONFIG, LOG, BEST, BEST_CARD, INIT_CARD, INIT_LOG)
# srgan.atomic's temporary names for the files of this layout (".<file>.<pid>@<host>.<random>.tmp"):
# what a process killed mid-write (SIGKILL, power loss) leaves behind; a user's ".config.json.notes.tmp" is not one.
_TEMP = temporary_pattern(r"ckpt_\d+\.ckpt|" + "|".join(map(re.escape, _RUN_FILE_NAMES)))
_GRID_TEMP = temporary_pattern(r"val_\d+\.png")


class RunFolderError(RuntimeError):
    """A run folder that cannot be used as asked (in use, or holding another run's files)."""


class RunFolderBusy(RunFolderError):
    """Another process is training in the folder."""


# --- layout ----------------------------------------------------------------------------------
def checkpoint_path(run_dir: str | os.PathLike, step: int) -> Path:
    return Path(run_dir) / f"ckpt_{step:08d}.ckpt"


def checkpoint_step(path: str | os.PathLike) -> int:
    return int(_CHECKPOINT.fullmatch(Path(path).name).group(1))


def checkpoints(run_dir: str | os.PathLike) -> list[Path]:
    """`ckpt_<step>.ckpt` files in `run_dir`, oldest step first ([] if the folder is missing).
    Other files that merely start with "ckpt_" are ignored."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    found = [p for p in run_dir.iterdir() if _CHECKPOINT.fullmatch(p.name) and p.is_file()]
    return sorted(found, key=checkpoint_step)


def prune_checkpoints(run_dir: str | os.PathLike, keep_last: int | None, step: int) -> None:
    """Keep the newest `keep_last` checkpoints up to `step` (None: all). Checkpoints of later
    steps (an unreadable one skipped on resume) are left alone, to be overwritten."""
    if keep_last is None:
        return
    done = [p for p in checkpoints(run_dir) if checkpoint_step(p) <= step]
    for old in done[:-keep_last]:
        old.unlink()


def newest_checkpoint_note(run_dir: str | os.PathLike) -> str:
    """'; the newest checkpoint is ...' for a message about a diverged run ('' if none)."""
    kept = checkpoints(run_dir)
    return f"; the newest checkpoint is {kept[-1]} (continue it with a lower --lr)" if kept else ""


def grid_path(run_dir: str | os.PathLike, step: int) -> Path:
    """Where the validation grid of `step` goes: images/val_<step>.png."""
    return Path(run_dir) / IMAGES / f"val_{step:08d}.png"


def grid_step(path: str | os.PathLike) -> int:
    return int(_GRID.fullmatch(Path(path).name).group(1))


def grids(run_dir: str | os.PathLike) -> list[Path]:
    """The validation grids in `run_dir` (images/val_<step>.png), oldest step first ([] if none)."""
    images = Path(run_dir) / IMAGES
    if not images.is_dir():
        return []
    return sorted((p for p in images.iterdir() if _GRID.fullmatch(p.name) and p.is_file()), key=grid_step)


def run_files(run_dir: str | os.PathLike) -> list[Path]:
    """The files of a run in `run_dir` (checkpoints, weights, log, config, initial card),
    i.e. what makes the folder belong to a run. Empty for a missing or unused folder."""
    run_dir = Path(run_dir)
    named = [run_dir / name for name in _RUN_FILE_NAMES]
    return [p for p in named if p.is_file()] + checkpoints(run_dir)


def never_trained(run_dir: str | os.PathLike, config: dict) -> bool:
    """Whether `run_dir` holds nothing but what this same run writes as it starts, left by one
    stopped before its first logged step: config.json as write_info writes it, with `config`
    (the new run's Config.to_dict()) exactly; an empty log; the initial card and log only if
    that config starts from released weights; no other run file, no checkpoint, weights, grid
    or VisualDL folder. Only then may a new run start there without --overwrite: a file srgan
    did not write, or another run's, can never look like this (hostile test s22)."""
    run_dir = Path(run_dir)
    allowed = {CONFIG, LOG} | ({INIT_CARD, INIT_LOG} if (config.get("train") or {}).get("init_generator") else set())
    files = run_files(run_dir)
    if not files or any(p.name not in allowed for p in files) or grids(run_dir):
        return False
    if any((run_dir / name).exists() or (run_dir / name).is_symlink() for name in (VISUALDL, BEST)):
        return False
    try:
        info = json.loads((run_dir / CONFIG).read_text())
        log = (run_dir / LOG).read_text() if (run_dir / LOG).is_file() else ""
    except (OSError, ValueError):
        return False
    written = isinstance(info, dict) and {"config", "paddle", "device", "world_size", "machine"} <= info.keys()
    return written and info["config"] == json.loads(json.dumps(config)) and not log.strip()  # as JSON stores it


def stale_temp_files(run_dir: str | os.PathLike) -> list[Path]:
    """Temporary files of the run's own writes left by a process that was killed mid-write
    (half a checkpoint can be hundreds of MB). Only this layout's temporary names count."""
    run_dir = Path(run_dir)
    found = [p for p in run_dir.iterdir() if _TEMP.fullmatch(p.name) and p.is_file()] if run_dir.is_dir() else []
    images = run_dir / IMAGES
    if images.is_dir():
        found += [p for p in images.iterdir() if _GRID_TEMP.fullmatch(p.name) and p.is_file()]
    return sorted(found)


def _written_by_a_run(path: Path) -> bool:
    """Whether config.json / log.jsonl look like a run's (write_info, JsonlLogger), so that a
    user's own file of that name is never taken for one; other names are the run's own."""
    try:
        if path.name == CONFIG:
            info = json.loads(path.read_text())
            return isinstance(info, dict) and "config" in info
        if path.name == LOG:
            with open(path) as f:
                first = f.readline().strip()
            return not first or (isinstance(record := json.loads(first), dict) and "kind" in record)
    except (OSError, ValueError):
        return False
    return True


def clear(run_dir: str | os.PathLike) -> list[Path]:
    """Delete a run's files from `run_dir` (the layout above, nothing else); returns them."""
    run_dir = Path(run_dir)
    removed = run_files(run_dir)
    for p in removed:
        p.unlink()
    for p in grids(run_dir):
        p.unlink()
        removed.append(p)
    images = run_dir / IMAGES
    if images.is_dir() and not any(images.iterdir()):
        images.rmdir()
    # VisualDL's own record files only (vdlrecords.*); a file of the user's there stays, and so
    # does the folder then
    visualdl = run_dir / VISUALDL
    if visualdl.is_dir():
        for p in sorted(visualdl.glob("vdlrecords.*")):
            if p.is_file():
                p.unlink()
                removed.append(p)
        if not any(visualdl.iterdir()):
            visualdl.rmdir()
    return removed


def trim_log(run_dir: str | os.PathLike, step: int) -> int:
    """Keep only the log records up to `step` (a resumed run redoes the later steps, which
    would otherwise appear twice); an unreadable last line (a kill mid-write) is dropped too.
    Returns the number of lines removed."""
    path = Path(run_dir) / LOG
    if not path.is_file():
        return 0
    lines = path.read_text().splitlines()
    kept = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("step", 0) <= step:
            kept.append(line)
    if len(kept) != len(lines):
        with atomic_path(path) as tmp, open(tmp, "w") as f:
            f.writelines(line + "\n" for line in kept)
    return len(lines) - len(kept)


# Validation scores an earlier version logged under another name: the Daala SSIM was "ssim" in
# the log and "ssim_daala" everywhere else, until metrics.METRICS named every score once.
RENAMED_SCORES = {"ssim": "ssim_daala"}


def read_log(path: str | os.PathLike) -> list[dict]:
    """The records of a training log (a run's log.jsonl, or the `<name>_log.jsonl` beside
    released weights), in file order, scores under today's names (RENAMED_SCORES); [] if the
    file does not exist.

    A last line cut short (a process killed while writing it) is left out with a warning, as
    trim_log drops it on resume; a damaged line elsewhere raises ValueError naming the file
    and the line."""
    path = Path(path)
    lines = path.read_text().splitlines() if path.is_file() else []
    records, foreign = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            if number == len(lines):
                warnings.warn(f"{path}: line {number} is cut short (a process stopped while writing it); left out",
                              stacklevel=2)
                continue
            raise ValueError(f"{path}: line {number} is not a JSON record ({e}); the log is damaged") from None
        if not isinstance(record, dict):
            raise ValueError(f"{path}: line {number} is not a JSON record (a {type(record).__name__}); the log is damaged")
        if not (isinstance(record.get("kind"), str) and isinstance(record.get("step"), int)):
            foreign.append(number)  # a line added by hand ({"note": ...}): not the trainer's
            continue
        records.append(record)
    if foreign:
        lines_said = ", ".join(map(str, foreign[:5])) + (", ..." if len(foreign) > 5 else "")
        warnings.warn(f"{path}: line(s) {lines_said} are not training records (no kind and step); left out", stacklevel=2)
    return [_today_names(r) for r in records]


def _today_names(record: dict) -> dict:
    if record.get("kind") != "val" or not RENAMED_SCORES.keys() & record.keys():
        return record
    return {RENAMED_SCORES.get(key, key) if RENAMED_SCORES.get(key) not in record else key: value
            for key, value in record.items()}


# --- what a run writes and reads ------------------------------------------------------------
def write_info(run_dir: str | os.PathLike, config: dict, paddle: str, device: str, world_size: int,
               vgg: str | None = None) -> None:
    """Write config.json: the run's config (`Config.to_dict()`), the Paddle version, device and
    number of processes, the VGG19 of the content loss (VGGFeatureExtractor.describe(), None
    without one) and this machine (the model card of `srgan release` reports them)."""
    write_json(Path(run_dir) / CONFIG, {"config": config, "paddle": paddle, "device": device, "world_size": world_size,
                                        "vgg": vgg, "machine": machine_description()})


def read_info(run_dir: str | os.PathLike) -> dict:
    """config.json of a run as written by `write_info` ({} if the run has none)."""
    return _read_json_object(Path(run_dir) / CONFIG)


def _read_json_object(path: Path) -> dict:
    """A JSON object file of the run ({} if missing); ValueError naming it if it is damaged."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except ValueError as e:
        raise ValueError(f"{path}: damaged, not JSON ({e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: damaged, a JSON {type(data).__name__} instead of an object")
    return data


class JsonlLogger:
    """Appends one JSON object per line to <out>/log.jsonl (the book plots it); VisualDL optional."""

    def __init__(self, out_dir: str | os.PathLike, enabled: bool, visualdl: bool):
        self.enabled = enabled
        self.path = Path(out_dir) / LOG
        self.vdl = None
        self._window = (time.time(), 0)  # (start time, step before it) of the next "train" record
        if enabled and visualdl:
            try:  # VisualDL is optional (not a dependency): without it only log.jsonl is written
                from visualdl import LogWriter

                self.vdl = LogWriter(logdir=str(Path(out_dir) / VISUALDL))
            except ImportError:
                pass

    def log(self, record: dict) -> None:
        if not self.enabled:
            return
        with open(self.path, "a") as f:
            f.write(json.dumps(record) + "\n")
        if self.vdl is not None:
            for key, value in record.items():
                if isinstance(value, (int, float)) and key not in ("step", "time"):
                    self.vdl.add_scalar(tag=f"{record.get('kind', 'train')}/{key}", value=value, step=record["step"])

    def start_window(self, step: int) -> None:
        """Time the training steps after `step` from now on (the next "train" record's window)."""
        self._window = (time.time(), step)

    def train(self, step: int, *, batch_size: int, lr: float, losses: dict) -> None:
        """A "train" record: the `losses` of `step`, the learning rate, and the window since the
        previous record: its length ("seconds", what training_seconds sums) and throughput."""
        now, (began, first) = time.time(), self._window
        self.log({"kind": "train", "step": step, "time": now, "seconds": now - began, "lr": lr,
                  "samples_per_s": (step - first) * batch_size / max(now - began, 1e-9), **losses})
        self._window = (now, step)

    def image(self, tag: str, image, step: int) -> None:  # image: (H, W, 3) uint8
        if self.enabled and self.vdl is not None:
            self.vdl.add_image(tag=tag, img=image, step=step)


def keep_initial_card(run_dir: str | os.PathLike, card: str | os.PathLike, log: str | os.PathLike) -> None:
    """Copy the model card and log of released weights a run starts from (`init_generator`) into
    the run folder (init_card.json, init_log.jsonl), once: `srgan release` chains them into the
    new card, so that a run continuing earlier weights reports all the training behind it, even
    after the release has overwritten the file it started from. Nothing happens without a card,
    or with a damaged one (a warning names it).

    Args:
        run_dir: the run folder.
        card, log: the weights' card and log (`checkpoint.card_and_log_paths(weights)`).
    """
    run_dir = Path(run_dir)
    if (run_dir / INIT_CARD).exists() or not Path(card).is_file():
        return
    try:
        _read_json_object(Path(card))
    except ValueError as e:  # kept, it would stop every `srgan release` of this run
        warnings.warn(f"{e}; not kept: the released card will not list the training behind these weights", stacklevel=2)
        return
    if Path(log).is_file():
        copy_atomic(log, run_dir / INIT_LOG)
    copy_atomic(card, run_dir / INIT_CARD)  # last: its presence means both are done


def read_init_card(run_dir: str | os.PathLike) -> dict:
    """A run's init_card.json: the card of what it started from (keep_initial_card,
    keep_source_lineage); {} if it has none."""
    return _read_json_object(Path(run_dir) / INIT_CARD)


def start_interpolation(card: dict) -> dict | None:
    """The network interpolation a card's weights are, or that its training started from: its own
    `interpolation` record (srgan interpolate), else the `started_from_interpolation` a released run
    carries. Training continued from a blend of two generators has the end's steps behind it, not
    the blend: every later card must say what the weights started as."""
    if not isinstance(card, dict):
        return None
    record = card.get("interpolation") or card.get("started_from_interpolation")
    return record if isinstance(record, dict) else None


def earlier_training(run_dir: str | os.PathLike, phase: str) -> tuple[list[dict], list[dict]]:
    """Segments and log records of the training behind a run's `init_generator`, when the run
    continues released weights of the same phase (the trainer keeps their card and log as
    init_card.json / init_log.jsonl). Phase 2 starting from SRResNet is not a continuation.

    Returns:
        (segments, records): one {"from_step", "steps", "training_hours", "config"} per earlier
        run, oldest first, and their log records with steps counted from the first segment.
    """
    run_dir = Path(run_dir)
    card = read_init_card(run_dir)
    if card.get("phase") != phase:  # also no card at all
        return [], []
    segments = card.get("segments")
    if not (isinstance(segments, list) and segments and all(map(_is_segment, segments))):
        if not (isinstance(card.get("step"), int) and card["step"] >= 0):  # a card written by hand, say
            warnings.warn(f"{run_dir / INIT_CARD}: the card of the weights this run started from gives no step count; "
                          "their training is not counted in this run's", stacklevel=2)
            return [], []
        segments = [{"from_step": 0, "steps": card["step"], "training_hours": card.get("training_hours"),
                     "config": card.get("config")}]
    hours = lambda h: float(h) if isinstance(h, (int, float)) and not isinstance(h, bool) else 0.0  # noqa: E731
    segments = [{**seg, "training_hours": hours(seg.get("training_hours")),
                 "config": seg["config"] if isinstance(seg.get("config"), dict) else {}} for seg in segments]
    records = [{"segment": 0, **r} for r in read_log(run_dir / INIT_LOG)]  # a record's own "segment" wins
    return segments, records


def _is_segment(segment) -> bool:
    return (isinstance(segment, dict) and all(isinstance(segment.get(k), int) and not isinstance(segment.get(k), bool)
                                              for k in ("from_step", "steps")))


def lineage(run_dir: str | os.PathLike, phase: str, upto: int | None = None, config: dict | None = None) -> tuple[list[dict], list[dict]]:
    """All the training behind a run, the run's own part last: segments and log records with
    steps counted from the first segment.

    A run starts from (a) nothing, or in phase 2 the SRResNet: its own segment is everything;
    (b) released weights of its phase (`init_generator`; their card and log are kept as
    init_card.json / init_log.jsonl, and the run counts its steps from 0); or (c) another run
    folder's checkpoint (`--resume OTHER/ckpt_*.ckpt`; keep_source_lineage records that run's
    lineage, and the step counter goes on from the checkpoint's).

    Args:
        run_dir: the run folder.
        phase: the run's phase (released weights of another phase start nothing here).
        upto: the last of the run's own steps to count (a released checkpoint's); None = all logged.
        config: the run's config dict for its segment (default: its config.json).

    Returns:
        (segments, records): one {"from_step", "steps", "training_hours", "config"} per segment,
        oldest first; every log record with its "segment" and its step from the first segment.
    """
    run_dir = Path(run_dir)
    earlier, records = earlier_training(run_dir, phase)
    card = read_init_card(run_dir) if earlier else {}
    if card.get("continued_checkpoint"):  # (c)
        offset, own_start = int(card["offset"]), int(card["step"])
    else:  # (a), (b)
        offset, own_start = sum(seg["steps"] for seg in earlier), 0
    config = config or read_info(run_dir).get("config", {})
    own = [r for r in read_log(run_dir / LOG) if upto is None or r["step"] <= upto]
    end = upto if upto is not None else max((r["step"] for r in own), default=own_start)
    hours = training_seconds(own, config.get("data", {}).get("batch_size", 1)) / 3600
    segments = earlier + [{"from_step": offset + own_start, "steps": end - own_start, "training_hours": round(hours, 3), "config": config}]
    records = records + [{**r, "segment": len(earlier), "step": r["step"] + offset} for r in own]
    return segments, records


def keep_source_lineage(run_dir: str | os.PathLike, checkpoint: str | os.PathLike, phase: str, step: int) -> None:
    """Case (c) of `lineage`: a run that continues another folder's checkpoint records that run's
    lineage up to the checkpoint as its init_card.json / init_log.jsonl (replacing the card of an
    `init_generator` the checkpoint overrides), so that `srgan release` reports all of it.

    Args:
        run_dir: the new run's folder.
        checkpoint: the other folder's checkpoint it continues; nothing is recorded when that
            folder has no config.json (a checkpoint copied on its own).
        phase: the run's phase.
        step: the checkpoint's step.
    """
    run_dir, checkpoint = Path(run_dir), Path(checkpoint).resolve()
    source = checkpoint.parent
    if not (source / CONFIG).is_file():
        return
    segments, records = lineage(source, phase, upto=step)
    end = segments[-1]["from_step"] + segments[-1]["steps"]
    card = {"phase": phase, "continued_checkpoint": str(checkpoint), "step": step, "offset": end - step, "segments": segments}
    mix = start_interpolation(read_init_card(source)) if earlier_training(source, phase)[0] else None
    if mix:  # that run started from a blend: so did this chain
        card["started_from_interpolation"] = mix
    with atomic_path(run_dir / INIT_LOG) as tmp, open(tmp, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    with atomic_path(run_dir / INIT_CARD) as tmp:  # last: its presence means both are done
        Path(tmp).write_text(json.dumps(card, indent=1) + "\n")


def record_start(run_dir: str | os.PathLike, start: "RunStart", config: dict, *, step: int, paddle: str, device: str,
                 world_size: int, vgg: str | None = None, init_card: tuple[Path, Path] | None = None) -> None:
    """What a run writes when it starts training (a resumed one too): config.json (write_info),
    the card and log of released weights it starts from (keep_initial_card), and, when it
    continues another folder's checkpoint, that run's lineage, which replaces that card. A resumed
    run keeps its log up to `step` (trim_log): the later steps are redone,
    and would otherwise be logged twice.

    Args:
        run_dir: the run folder.
        start: run_start's answer for this run.
        config: the run's `Config.to_dict()`.
        step: the step training starts from (the checkpoint's, or 0).
        paddle, device, world_size, vgg: as write_info records them.
        init_card: (card, log) beside the released weights of `init_generator`
            (checkpoint.card_and_log_paths), None if it starts from none.
    """
    if start.resuming:
        trim_log(run_dir, step)
    write_info(run_dir, config, paddle=paddle, device=device, world_size=world_size, vgg=vgg)
    if init_card is not None:
        keep_initial_card(run_dir, *init_card)
    if start.kind == "other":
        keep_source_lineage(run_dir, start.checkpoint, config["train"]["phase"], step)


def training_seconds(records: list[dict], batch_size: int) -> float:
    """Wall time spent training (validation included), summed over the logged windows, so that
    pauses between resumed sessions do not count.

    A record's "seconds" is its window's own length (logged since this version). Older logs
    have only samples_per_s: their window is the steps since the previous record, and the
    first record's is taken to be as long as the next one (the logging interval), not everything
    since step 0, since a run that continued another run's checkpoint starts its log late.
    """
    train = [r for r in records if r["kind"] == "train"]
    if not train:
        return 0.0
    interval = train[1]["step"] - train[0]["step"] if len(train) > 1 else train[0]["step"]
    total, previous = 0.0, max(0, train[0]["step"] - interval)
    for r in train:
        steps = r["step"] - previous
        previous = r["step"]
        if r.get("seconds") is not None:
            total += r["seconds"]
        elif r.get("samples_per_s"):
            total += steps * batch_size / r["samples_per_s"]
    return total


# A D whose median output on G's images stays below this is sure of (almost) every batch: saturated.
D_SATURATED = 0.01


def segment_medians(records: list[dict], card: dict, key: str = "d_fake") -> list[tuple[int, int, float]]:
    """(first step, last step, median of `key`) of each training segment of a model card, over the
    log `records` in it (a card without `segments` is one segment). A lineage can change D on the
    way, so the medians of its segments say what the whole log's median hides."""
    segments = card.get("segments") or [{"steps": card["step"]}]
    ends = [0]
    for segment in segments:
        ends.append(ends[-1] + segment["steps"])
    return [(lo + 1, hi, float(statistics.median([r[key] for r in records if lo < r["step"] <= hi])))
            for lo, hi in zip(ends[:-1], ends[1:])]


def saturated_until(medians: list[tuple[int, int, float]]) -> int | None:
    """The last step of the last segment whose D was saturated (segment_medians of "d_fake" below
    D_SATURATED), when the first segment's was and the last one's was not; None otherwise."""
    saturated = [median < D_SATURATED for _, _, median in medians]
    if not (saturated and saturated[0] and not saturated[-1]):
        return None
    return medians[max(i for i, s in enumerate(saturated) if s)][1]


# --- what --resume means ---------------------------------------------------------------------
@dataclass(frozen=True)
class RunStart:
    """How a run starts in its folder (run_start decides it).

    Attributes:
        kind: "new" (step 0), "newest" (this folder's run, from its newest readable
            checkpoint; step 0 when it has none), "own" (this folder's run, from the checkpoint
            named) or "other" (another folder's checkpoint, continued here as a new segment).
        checkpoint: the checkpoint named ("own", "other"), else None.
    """

    kind: str
    checkpoint: Path | None = None

    @property
    def resuming(self) -> bool:
        return self.kind != "new"

    @property
    def same_run(self) -> bool:
        """The run goes on in its own folder: its settings may not change (check_same_settings)."""
        return self.kind in ("newest", "own")


def run_start(run_dir: str | os.PathLike, resume: bool | str | os.PathLike = False, overwrite: bool = False) -> RunStart:
    """What `srgan train --resume [CKPT]` (Trainer.fit(resume=...)) means for the run in `run_dir`.

    Args:
        run_dir: the run folder (--out).
        resume: False (a new run), True (continue the folder's run), or a checkpoint: one of
            the folder's own continues its run from there, another folder's is continued here
            as a new segment; the run folder itself is the same as True.
        overwrite: start afresh over another run's files (excludes `resume`).

    Raises:
        ValueError: resume together with overwrite.
        RunFolderError: a folder other than `run_dir` given as the checkpoint.
    """
    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other: --resume continues the run in the folder, "
                         "--overwrite deletes it")
    if resume is False:
        return RunStart("new")
    if resume is True:
        return RunStart("newest")
    run_dir, checkpoint = Path(run_dir).resolve(), Path(resume)
    if checkpoint.is_dir():
        if checkpoint.resolve() != run_dir:
            raise RunFolderError(f"--resume {resume}: is a folder; give one of its checkpoints (--resume "
                                 f"{resume}/ckpt_<step>.ckpt), or --resume alone for the newest in --out")
        return RunStart("newest")  # --out D --resume D: the run in D
    return RunStart("own" if checkpoint.resolve().parent == run_dir else "other", checkpoint)


# Settings a run may change when it resumes in its own folder: bookkeeping, not the training
# itself. Any other field changed there would make config.json and the card describe the whole
# run with values it only had for a part; check_same_settings refuses it (another --out records
# a new segment instead, lineage).
RESUME_MAY_CHANGE = {
    "data": {"num_workers", "val_dir", "val_max_images"},
    "train": {"steps", "out_dir", "log_every", "val_every", "ckpt_every", "keep_last", "device", "max_minutes",
              "visualdl", "vgg_engine", "amp", "init_generator"},
}


def check_same_settings(saved: dict, current: dict, source: str) -> None:
    """Refuse to continue a run in its own folder with other training settings.

    Args:
        saved: the checkpoint's config dict; current: this run's (Config.to_dict()).
        source: the checkpoint, for the message.

    Raises:
        RunFolderError: naming each changed field, its flag with the run's own value, and the
            way to continue with the change instead (a new folder).
    """
    phase = current["train"]["phase"]
    if saved.get("train", {}).get("phase", phase) != phase:
        return  # the trainer names the phase
    changed = []
    for section, fields in current.items():
        for name, value in fields.items():
            if name in RESUME_MAY_CHANGE.get(section, set()) or name not in saved.get(section, {}):
                continue  # bookkeeping, or a field newer than the checkpoint
            if saved[section][name] != value:
                changed.append((name, saved[section][name], value))
    steps = current["train"]["steps"]
    if current["train"]["cosine"] and saved.get("train", {}).get("steps", steps) != steps:
        changed.append(("steps (the cosine schedule's length)", saved["train"]["steps"], steps))
    if changed:
        theirs = ", ".join(f"{n} {old!r} -> {new!r}" for n, old, new in changed)
        flags = " ".join(_as_flag(n.split(" ")[0], old) for n, old, _ in changed)
        raise RunFolderError(
            f"{source}: this run was trained with other settings ({theirs}); resume with the run's own values"
            f"{' (' + flags + ')' if flags else ''}, or continue it into a new folder (--out NEW --resume {source}), "
            "which records the change as a new segment")


def check_no_later_checkpoints(run_dir: str | os.PathLike, step: int, source: str | os.PathLike) -> None:
    """Refuse to continue a run from an earlier checkpoint than its newest: it would branch the
    run, and the next plain --resume would pick the other branch."""
    later = [p.name for p in checkpoints(run_dir) if checkpoint_step(p) > step]
    if later:
        raise RunFolderError(
            f"{source}: {run_dir} holds later checkpoints ({', '.join(later[:3])}); continuing step {step} "
            f"here would branch the run. Continue it into a new folder (--out NEW --resume {source}), or delete "
            "the later checkpoints first")


def _as_flag(name: str, value) -> str:
    """The `srgan train` flag that sets a config field to `value` (for messages)."""
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return flag if value else "--no-" + flag[2:]
    if value is None:
        return f"{flag} none"
    if isinstance(value, list):
        return " ".join([flag, *map(str, value)])
    return f"{flag} {value}"


# --- the lock ---------------------------------------------------------------------------------
class RunLock:
    """An exclusive lock on a run folder: `<run_dir>/run.lock`, flock'ed while held.

    The file records who holds it (pid, host, start time) for the error message of the next
    process that tries. The kernel releases a flock when its process dies, however it dies, so
    a lock file whose flock is free was left by a killed process: it is taken over, with a note.
    """

    def __init__(self, run_dir: str | os.PathLike):
        self.path = Path(run_dir) / LOCK
        self._fd = None
        self.stale_holder: str | None = None  # set when a killed process's lock was taken over

    def acquire(self) -> "RunLock":
        if fcntl is None:  # not POSIX (Windows): the folder is used unlocked
            warnings.warn(f"{self.path.parent}: no file locking on this system; do not start two runs in one folder", stacklevel=2)
            return self
        while True:
            try:  # O_NOFOLLOW: a link of that name (a dangling one too) is the user's, not our lock
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
            except OSError as e:
                if self.path.is_symlink():
                    raise RunFolderError(f"{self.path}: is a link; the run writes its lock file of that name: "
                                         "choose another --out") from None
                raise
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_holder(fd)
                os.close(fd)
                raise RunFolderBusy(
                    f"{self.path.parent}: in use by another run ({holder}); wait for it to end or choose another --out"
                ) from None
            try:  # the holder before us may have removed the file between our open and flock
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        previous = _read_holder(fd)
        if previous != "unknown process":
            self.stale_holder = previous
        elif os.fstat(fd).st_size:  # a file of that name we did not write: not ours to truncate or delete
            os.close(fd)
            raise RunFolderError(f"{self.path}: not a lock `srgan train` wrote; a run would replace it, so this "
                                 "folder is not used: choose another --out")
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.remove(self.path)  # while still holding the flock: nobody else can hold this file
        except FileNotFoundError:
            pass
        os.close(self._fd)  # releases the flock
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode() or "null")
        return f"process {info['pid']} on {info['host']}, since {info['since']}"
    except (OSError, ValueError, TypeError, KeyError):
        return "unknown process"


# --- the folder ------------------------------------------------------------------------------
class RunFolder:
    """Open a run folder for one training process: create it, lock it, check the one-run rule.

    Args:
        path: the folder (created with its parents if missing).
        lock: take the lock (rank 0 of a distributed run; the other ranks write nothing).
    """

    def __init__(self, path: str | os.PathLike, lock: bool = True):
        self.path = Path(path)
        self._lock = RunLock(self.path) if lock else None
        self._created: list[Path] = []

    def open(self) -> "RunFolder":
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"{self.path}: exists and is not a folder")
        missing, p = [], self.path
        while not p.exists():
            missing.append(p)
            if p.parent == p:
                break
            p = p.parent
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:  # read-only, no permission: one line naming the run folder
            raise RunFolderError(f"{self.path}: cannot create the run folder ({e.strerror or e})") from None
        self._created = missing  # innermost first
        if self._lock is not None:
            try:
                self._lock.acquire()
            except BaseException:
                self._remove_if_empty()
                raise
            if self._lock.stale_holder:
                logger.info(f"note: {self._lock.path} was left by {self._lock.stale_holder}, which is no longer running; taken over")
            # The grids and VisualDL's scalars go into folders of these names: a file there would
            # stop the run at its first validation, after val_every steps of training.
            for name in (IMAGES, VISUALDL):
                if (self.path / name).exists() and not (self.path / name).is_dir():
                    self.close()
                    raise RunFolderError(f"{self.path / name}: is a file; the run writes a folder of that name: "
                                         "choose another --out")
            # A pipe, a link (a dangling one too: the log is appended to, through it, wherever it
            # points) or a folder at a name the run writes is not a run's: refused, not replaced.
            for name in _RUN_FILE_NAMES:
                p = self.path / name
                if p.is_symlink() or (p.exists() and not p.is_file()):
                    self.close()
                    kind = "a link" if p.is_symlink() else "a folder" if p.is_dir() else "not a regular file"
                    raise RunFolderError(f"{p}: is {kind}; the run writes a file of that name: choose another --out")
            # Every run writes config.json and log.jsonl (a resumed one too): a user's own file of
            # that name is refused before it could be replaced, whatever the flags.
            foreign = [p for p in run_files(self.path) if not _written_by_a_run(p)]
            if foreign:
                self.close()
                raise RunFolderError(f"{foreign[0]}: not written by `srgan train`; a run would replace it, so this folder "
                                     "is not used: choose another --out")
            # Holding the lock, no other process writes here: temporary files are leftovers.
            stale = stale_temp_files(self.path)
            if stale:
                size = sum(p.stat().st_size for p in stale)
                for p in stale:
                    p.unlink()
                logger.info(f"note: removed {len(stale)} temporary file(s) ({size / 2**20:.1f} MB) that an interrupted write "
                            f"left in {self.path}")
        return self

    def open_for(self, start: RunStart, *, overwrite: bool = False, inputs=(), config: dict | None = None) -> "RunFolder":
        """open(), then the one-run rule for how the run starts: a new run, or another folder's
        checkpoint continued here, needs a folder without another run (check_fresh); continuing
        the folder's own run with no checkpoint left but the best weights of an earlier one is
        refused (starting from step 0 would replace them)."""
        self.open()
        try:
            if start.kind in ("new", "other"):
                self.check_fresh(overwrite, inputs=inputs, config=config if start.kind == "new" else None)
            elif start.kind == "newest" and not checkpoints(self.path) and (self.path / BEST).exists():
                raise RunFolderError(f"{self.path}: no checkpoint to resume from, but the {BEST} of an earlier run; "
                                     "start over with --overwrite (deletes it) or choose another --out")
        except BaseException:
            self.close()
            raise
        return self

    def check_fresh(self, overwrite: bool = False, inputs=(), config: dict | None = None) -> None:
        """For a run that starts from step 0: refuse a folder holding another run's files,
        or delete them if `overwrite`: only a run's files (srgan.outputs, rule 5), never a file
        of that name that a run did not write, nor one of this run's `inputs` (its init_generator)."""
        files = run_files(self.path)
        if not files:
            return
        if not overwrite and config is not None and never_trained(self.path, config):
            # What a run writes as it starts (config, a log without a step, the initial card),
            # left by one stopped before its first step ended: nothing of it is lost by starting
            # again, and refusing would send the user to --resume or --overwrite for nothing.
            clear(self.path)
            logger.info(f"note: {self.path}: this run was started there before and stopped before its first logged "
                        "step; starting afresh")
            return
        if overwrite:
            needed = [p for p in files for i in inputs if i and same_file(p, i)]
            if needed:
                raise RunFolderError(f"{needed[0]}: is this run's input (--init-generator), and --overwrite would delete it "
                                     "with the rest of the old run; copy it elsewhere first, or choose another --out")
            clear(self.path)
            return
        names = ", ".join(p.name for p in files[:4]) + (" ..." if len(files) > 4 else "")
        raise RunFolderError(
            f"{self.path}: holds another run ({names}); continue it with --resume, "
            "start over with --overwrite (deletes its files), or choose another --out"
        )

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()
        self._remove_if_empty()

    def _remove_if_empty(self) -> None:
        """Remove the folders that open() created if nothing was written into them."""
        for p in self._created:
            try:
                p.rmdir()
            except OSError:  # not empty (the run wrote something), or already gone
                break
        self._created = []

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()


@contextmanager
def open_run(run_dir: str | os.PathLike, *, resume: bool | str | os.PathLike = False, overwrite: bool = False,
             inputs=(), writer: bool = True, any_rank: Callable[[bool], bool] = bool,
             config: dict | None = None) -> Iterator[RunStart]:
    """Open `run_dir` for a training run (Trainer.fit) and yield how it starts (run_start); the
    folder is closed (unlocked, removed if still empty) however the run ends.

    Args:
        run_dir: the run folder (--out).
        resume, overwrite: as run_start takes them.
        inputs: files the run reads (its init_generator), which --overwrite must not delete.
        writer: this process writes the folder (rank 0 of a distributed run): it alone locks
            and checks it (RunFolder.open_for).
        config: the run's Config.to_dict(): a new run may start without --overwrite where the same
            run was started before and stopped before its first logged step (never_trained).
        any_rank: True if its argument is True on any process of the run. Every rank learns
            that rank 0 could not open the folder: the others would otherwise wait forever in
            their first gradient all-reduce.

    Raises:
        ValueError, RunFolderError: as run_start and RunFolder.open_for raise them (OSError too);
            on the other ranks, a RunFolderError pointing at rank 0's log.
    """
    start = run_start(run_dir, resume, overwrite)
    folder = RunFolder(run_dir) if writer else None
    try:
        error = None
        if folder is not None:
            try:
                folder.open_for(start, overwrite=overwrite, inputs=inputs, config=config)
            except (RunFolderError, OSError) as e:
                error = e
        if any_rank(error is not None):
            raise error or RunFolderError(f"{run_dir}: rank 0 could not open the run folder (see its log)")
        yield start
    finally:
        if folder is not None:
            folder.close()
