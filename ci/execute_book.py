"""Execute every chapter of the book with papermill and write the executed copies to a build folder.

Usage (from the repository root, in an environment with the `book` extra installed):

    python ci/execute_book.py                       # quick parameters, all chapters
    python ci/execute_book.py --full                # full-scale parameters (a GPU machine)
    python ci/execute_book.py --only 02_generator   # one chapter (name or prefix)

The chapters are read from _toc.yml, in order. Each one runs in `book/` as its working directory
(so relative paths such as ../weights resolve as they do for a reader), with the papermill
parameters `quick=True` (or False with --full). The per-chapter wall time is printed and written
to <out>/timings.json. A cell error fails the run, naming the chapter and the cell.

The output folder holds a copy of the book's sources (_config.yml, _toc.yml, book/ images) with
the executed notebooks in place of the clean ones: `jupyter-book build <out>` renders it without
executing anything again (execute_notebooks is "off" in _config.yml).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def chapters_from_toc(toc_path: Path) -> list[str]:
    """The `root:` and `- file:` entries of a jb-book _toc.yml, in order (e.g. 'book/00_intro')."""
    entries = []
    for line in toc_path.read_text().splitlines():
        m = re.match(r"^\s*(?:root|-\s*file)\s*:\s*(\S+)\s*$", line)
        if m:
            entries.append(m.group(1))
    if not entries:
        raise SystemExit(f"{toc_path}: no chapters found (expected 'root:' and '- file:' entries)")
    return entries


def copy_book_sources(out: Path) -> None:
    """Copy the config files and every non-notebook file of book/ (images, ...) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(REPO / name, out / name)
    for path in (REPO / "book").rglob("*"):
        if path.is_file() and path.suffix != ".ipynb" and ".ipynb_checkpoints" not in path.parts:
            target = out / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def execute(chapter: str, out: Path, parameters: dict, kernel: str) -> float:
    """Run one chapter with papermill; return its wall time in seconds."""
    import papermill as pm

    src = REPO / f"{chapter}.ipynb"
    if not src.is_file():
        raise SystemExit(f"{chapter}: listed in _toc.yml but {src} does not exist")
    dst = out / f"{chapter}.ipynb"
    dst.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    pm.execute_notebook(
        str(src),
        str(dst),
        parameters=parameters,
        cwd=str(src.parent),
        kernel_name=kernel,
        progress_bar=False,
        log_output=False,
        report_mode=False,
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "_build" / "book" / "executed", help="folder for the executed book")
    parser.add_argument("--full", action="store_true", help="full-scale parameters (quick=False): for a GPU machine")
    parser.add_argument("--only", action="append", default=[], help="run only chapters whose file name starts with this (repeatable)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3: this Python)")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failing chapter")
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="extra papermill parameter given to every chapter (VALUE parsed as JSON if it can be)")
    args = parser.parse_args(argv)

    from papermill.exceptions import PapermillExecutionError

    parameters: dict = {"quick": not args.full}
    for item in args.parameter:
        name, _, value = item.partition("=")
        try:
            parameters[name] = json.loads(value)
        except json.JSONDecodeError:
            parameters[name] = value

    chapters = chapters_from_toc(REPO / "_toc.yml")
    if args.only:
        chapters = [c for c in chapters if any(Path(c).name.startswith(o) for o in args.only)]
        if not chapters:
            raise SystemExit(f"--only {args.only}: no chapter of _toc.yml matches")
    out = args.out.resolve()
    copy_book_sources(out)
    # Paddle warns on every import that ccache (a C++ build cache) is missing; it is irrelevant
    # here and would print a stderr block into every chapter. The kernels inherit this filter.
    os.environ["PYTHONWARNINGS"] = ",".join(
        filter(None, [os.environ.get("PYTHONWARNINGS"), "ignore:No ccache found:UserWarning"]))
    print(f"executing {len(chapters)} chapter(s) with parameters {parameters} -> {out}", flush=True)

    timings: dict[str, float] = {}
    failures: dict[str, str] = {}
    total_start = time.perf_counter()
    for chapter in chapters:
        print(f"--- {chapter} ...", flush=True)
        start = time.perf_counter()
        try:
            seconds = execute(chapter, out, parameters, args.kernel)
        except PapermillExecutionError as e:
            seconds = time.perf_counter() - start
            failures[chapter] = f"cell {e.exec_count}: {e.ename}: {e.evalue}"
            print(f"FAILED {chapter} after {seconds:.1f} s in cell {e.exec_count}: {e.ename}: {e.evalue}", flush=True)
            print("".join(e.traceback[-3:]) if e.traceback else "", flush=True)
        else:
            print(f"ok     {chapter}: {seconds:.1f} s", flush=True)
        timings[chapter] = round(seconds, 1)
        if failures and args.fail_fast:
            break
    total = time.perf_counter() - total_start

    print("\nchapter                         seconds")
    for chapter, seconds in timings.items():
        mark = "  FAILED" if chapter in failures else ""
        print(f"{Path(chapter).name:<30} {seconds:8.1f}{mark}")
    print(f"{'total':<30} {total:8.1f}")
    (out / "timings.json").write_text(json.dumps(
        {"parameters": parameters, "chapters": timings, "total_seconds": round(total, 1), "failures": failures}, indent=2))
    if failures:
        print(f"\n{len(failures)} chapter(s) failed: " + "; ".join(f"{c} ({m})" for c, m in failures.items()), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
