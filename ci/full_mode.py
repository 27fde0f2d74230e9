"""Every chapter's full-mode configuration (quick = False), run on a CPU for two steps.

    python ci/full_mode.py                       # all chapters -> _build/book/full-cpu
    python ci/full_mode.py --only 05 --only 06   # some chapters (name or prefix)

Full mode is what a reader runs on a GPU (AI Studio, `bash ci/book.sh --full`): the paper's network
sizes, batch, crops, VGG and data. Its GPU path cannot run here, and neither can 10⁶ steps; what can
is everything else of it. This script executes each chapter with papermill exactly as
`ci/execute_book.py --full` does, with only counts overridden, never a size (papermill parameters
`steps=2` for chapters 5 and 6, `train_steps=2` for chapter 3's discriminator runs, and two
repetition counts: `seeds=1` run per variant in chapter 3, `repeats=1` timed run per engine in
chapter 8), on the training data full mode defaults to (T91 + BSDS200 in the shared folder).
Network sizes, batches, crops, the VGG19 and the data stay full mode's. A chapter whose code never
reads `quick` outside its parameters cell (0 and 7 today) runs the same in both modes, which the
book job already executes; it is listed and not run again. Then it checks what ran:

  - every chapter finished (a cell error fails, naming the chapter and the cell);
  - chapter 5's run (runs/book-srresnet/config.json) is srgan.config.paper("pretrain") except the
    fields the chapter sets on purpose (data, steps, the shipped recipe's skip and L1 loss, ...),
    and trained 2 steps (its checkpoint and log);
  - chapter 6's run (runs/book-srgan) is paper("gan") except those fields, started from the shipped
    SRResNet, with a VGG content loss whose network is recorded, 2 steps;
  - chapter 3 trained its discriminators for 2 updates with the paper's width and crop.

Exit 0 when all of that holds, 1 otherwise (one line per problem). Needs the book extra (the
book's venv: `.venv-book/bin/python ci/full_mode.py`); `.ci/run` runs it after the book job.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "ci"))

STEPS = 2
# Chapters 5, 6: steps; chapter 3: train_steps (D updates) and seeds (runs per variant; 5 in full
# mode, 131 s each on this loaded 2-core machine); chapter 8: repeats (timed runs per engine).
PARAMETERS = [f"steps={STEPS}", f"train_steps={STEPS}", "seeds=1", "repeats=1"]

# Fields a chapter's full-mode run sets away from srgan.config.paper(), and why (the chapters say so).
ALLOWED = {
    "pretrain": {
        "data.train_dirs": "the chapter's training data (paper: ImageNet, no folder)",
        "train.steps": "overridden here: 2",
        "train.out_dir": "the chapter's runs folder",
        "train.device": "the chapter's device parameter",
        "train.visualdl": "off in the book",
        "train.val_every": "steps // 5", "train.ckpt_every": "steps // 5", "train.log_every": "steps // 50",
        "train.pixel_loss": "the shipped recipe: L1 (chapter 5 compares it with the paper's MSE)",
        "model.global_skip": "the shipped recipe: bicubic skip (chapter 5 compares it with the paper's none)",
    },
    "gan": {
        "data.train_dirs": "the chapter's training data",
        "train.steps": "overridden here: 2",
        "train.out_dir": "the chapter's runs folder",
        "train.device": "the chapter's device parameter",
        "train.visualdl": "off in the book",
        "train.init_generator": "the shipped SRResNet (phase 2 starts from phase 1)",
        "model.global_skip": "the shipped SRResNet's architecture",
        "train.lattice_weight": "the shipped recipe's lattice penalty (chapter 6; 0 is the paper)",
    },
}


def differences(run: dict, reference: dict) -> dict[str, tuple]:
    """{"section.field": (run's value, paper's value)} for every field that differs."""
    return {f"{section}.{key}": (value, reference[section][key])
            for section, fields in run.items() for key, value in fields.items() if value != reference[section][key]}


def check_run(run_dir: Path, phase: str) -> list[str]:
    """Problems with a chapter's full-mode training run (see the module docstring)."""
    from srgan.config import paper
    from srgan.runs import LOG, read_log

    info_file = run_dir / "config.json"
    if not info_file.is_file():
        return [f"{run_dir}: no config.json (the chapter did not start its full-mode run)"]
    info = json.loads(info_file.read_text())
    config, problems = info["config"], []
    for field, (value, expected) in differences(config, paper(phase).to_dict()).items():
        if field not in ALLOWED[phase]:
            problems.append(f"{run_dir.name}: {field} = {value!r}, not the paper's {expected!r} (full mode should keep it)")
    if config["train"]["steps"] != STEPS:
        problems.append(f"{run_dir.name}: {config['train']['steps']} steps configured, not {STEPS}")
    if not config["data"]["train_dirs"]:
        problems.append(f"{run_dir.name}: no training folders (full mode would train on six scikit-image photos)")
    logged = [r["step"] for r in read_log(run_dir / LOG) if r.get("kind") == "train"] if (run_dir / LOG).is_file() else []
    if not logged or max(logged) != STEPS:
        problems.append(f"{run_dir.name}: the log's last training step is {max(logged) if logged else None}, not {STEPS}")
    if phase == "gan" and config["train"]["content_loss"] != "mse" and not info.get("vgg"):
        problems.append(f"{run_dir.name}: config.json does not record which VGG19 the content loss used")
    model = config["model"]
    print(f"{run_dir.name}: {phase}, generator {model['num_blocks']} blocks x {model['channels']} channels, "
          f"D {model['d_channels']} channels on {model['d_image_size']} px, batch {config['data']['batch_size']} x "
          f"{config['data']['hr_size']} px, {len(config['data']['train_dirs'])} training folder(s), "
          f"logged steps {logged}" + (f"; VGG: {info['vgg']}" if info.get("vgg") else ""))
    kept = sorted(set(differences(config, paper(phase).to_dict())) & set(ALLOWED[phase]))
    print(f"  differs from paper('{phase}') in: " + ", ".join(kept))
    return problems


def check_discriminator_chapter(notebook: Path) -> list[str]:
    """Chapter 3's printed summary says its runs used STEPS updates of the paper's D on 96 px crops."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "".join("".join(o.get("text", "")) for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))
    want = f"runs of {STEPS} D updates (batch 16 + 16, 96 px"
    return [] if want in text else [f"{notebook.name}: no '{want}' in its output (full mode's D runs)"]


def reads_quick(notebook: Path) -> bool:
    """True if a code cell of `notebook` other than its parameters cell mentions `quick`: its full
    mode differs from its quick mode."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return any(re.search(r"\bquick\b", "".join(c["source"])) for c in cells
               if c["cell_type"] == "code" and "parameters" not in c.get("metadata", {}).get("tags", []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "_build" / "book" / "full-cpu", help="folder for the executed chapters")
    parser.add_argument("--only", action="append", default=[], help="only chapters whose name starts with this (repeatable)")
    args = parser.parse_args(argv)

    import execute_book

    start, started = time.perf_counter(), time.time()
    out = args.out.resolve()
    runs = out / "runs"
    chapters = [Path(c).name for c in execute_book.chapters_from_toc(REPO / "_toc.yml")]
    if args.only:
        chapters = [c for c in chapters if any(c.startswith(o) for o in args.only)]
    same = [c for c in chapters if not reads_quick(REPO / "book" / f"{c}.ipynb")]
    if same:
        print(f"full mode = quick mode (no code reads `quick`), run by the book job, not again here: {', '.join(same)}")
    chapters = [c for c in chapters if c not in same]
    if not chapters:
        raise SystemExit(f"no chapter to run in full mode (--only {args.only})")
    for run in ("book-srresnet", "book-srgan"):  # full mode continues a run in its folder: start this build's afresh
        shutil.rmtree(runs / run, ignore_errors=True)
    status = execute_book.main(["--full", "--out", str(out)] + [x for p in PARAMETERS for x in ("-p", p)]
                               + [x for c in chapters for x in ("--only", c)])
    problems = [] if status == 0 else ["some chapters failed in full mode (above)"]
    chapters = {Path(c).name for c in json.loads((out / "timings.json").read_text())["chapters"]}
    for chapter, run, phase in (("05_srresnet", "book-srresnet", "pretrain"), ("06_srgan", "book-srgan", "gan")):
        if chapter not in chapters:
            continue
        info = runs / run / "config.json"
        if info.is_file() and info.stat().st_mtime < started:  # a run of an earlier invocation must not pass for this one
            problems.append(f"{info}: written before this run started (the chapter did not train)")
        else:
            problems += check_run(runs / run, phase)
    if "03_discriminator" in chapters:
        problems += check_discriminator_chapter(out / "book" / "03_discriminator.ipynb")
    print(f"full mode on this CPU, {STEPS} steps: {len(chapters)} chapter(s) in {time.perf_counter() - start:.0f} s; "
          + ("all checks passed" if not problems else f"{len(problems)} problem(s)"))
    for problem in problems:
        print("PROBLEM: " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
