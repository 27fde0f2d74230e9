"""Execute every chapter of the book with papermill and write the executed copies to a build folder.

Usage (from the repository root, in an environment with the `book` extra installed):

    python ci/execute_book.py                       # quick parameters, all chapters
    python ci/execute_book.py --full                # full-scale parameters (a GPU machine)
    python ci/execute_book.py --only 02_generator   # one chapter (name or prefix)

The chapters are read from _toc.yml, in order. Each one runs in the output folder's copy of
`book/` as its working directory, so relative paths resolve as they do for a reader: ../weights is
a link to the repository's weights/, and ../runs (the chapters' live training runs) is the
build's own folder, so several builds side by side (BOOK_OUT) never share, or refuse, a run
folder. The papermill parameters are `quick=True` (or False with --full). The per-chapter wall time is printed and written
to <out>/timings.json. A cell error fails the run, naming the chapter and the cell.

The output folder holds a copy of the book's sources (_config.yml, _toc.yml, book/ images) with
the executed notebooks in place of the clean ones: `jupyter-book build <out>` renders it without
executing anything again (execute_notebooks is "off" in _config.yml). With BOOK_REPOSITORY_URL
set (e.g. https://github.com/<owner>/<repo>; BOOK_REPOSITORY_BRANCH, default main), the copy of
_config.yml gets that address and the repository and Colab buttons; without it they stay off.

What a reader should not see is taken out of the executed copies: printed output the kernel
sent in pieces is joined into one box per run of prints, and papermill's "injected-parameters"
cell is tagged remove-cell when it only repeats the defaults shown in the chapter's parameters
cell. matplotlib's font cache is built before the first chapter, so its first-run message
("generated new fontManager") goes to this log, not onto chapter 0's page.

Log noise stays out of the pages: the kernels inherit warning filters for Paddle's notices (the
ccache warning on import, the batch-norm "we now always track global mean and variance"
UserWarning) and GLOG_minloglevel=2, which keeps Paddle's C++ INFO and WARNING lines ("New
Executor is Running", "Got different data type") off stderr; errors still show. Set
GLOG_minloglevel yourself to see them.
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


# Python warnings that are Paddle's business, not the reader's (PYTHONWARNINGS syntax: the
# message is a literal prefix, no commas).
QUIET_WARNINGS = (
    "ignore:No ccache found:UserWarning",  # on every `import paddle`: a C++ build cache, irrelevant here
    "ignore:When training:UserWarning:paddle.nn.layer.norm",  # every batch norm in train mode
)


def quiet_environment(env: dict) -> dict:
    """`env` with Paddle's notices silenced for the kernels (see the module docstring)."""
    env = dict(env)
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS"), *QUIET_WARNINGS]))
    env.setdefault("GLOG_minloglevel", "2")
    return env


def warm_first_run_caches(python: str = sys.executable) -> str:
    """Build matplotlib's font cache before any chapter runs, and return what that printed.

    On a machine where matplotlib never ran (a fresh HOME, CI), its first import scans the
    system fonts and logs "generated new fontManager" (at INFO, which a chapter shows once paddle
    is imported) on stderr: inside a chapter that line lands on the page as a stderr block.
    Built here, in the kernels' environment, it goes to the build log instead, and the cache is
    the one matplotlib would have written anyway ($MPLCONFIGDIR, else ~/.cache/matplotlib).
    """
    import subprocess

    # INFO, as in a chapter (importing paddle sets the root logger's level), so the log shows it.
    code = "import logging; logging.basicConfig(level=logging.INFO); import matplotlib.font_manager"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=os.environ.copy(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"matplotlib does not import in {python}:\n{done.stderr.strip()}")
    return (done.stdout + done.stderr).strip()


def repository_config(config_text: str, url: str | None, branch: str | None = None) -> str:
    """_config.yml's text with the repository address and buttons set from `url`, or turned off
    (no address, no buttons) when `url` is empty."""
    import yaml

    config = yaml.safe_load(config_text)
    url = (url or "").strip().rstrip("/")
    config.setdefault("repository", {})["url"] = url
    config["repository"]["branch"] = branch or config["repository"].get("branch") or "main"
    config.setdefault("launch_buttons", {})["colab_url"] = "https://colab.research.google.com" if url else ""
    config.setdefault("html", {})["use_repository_button"] = bool(url)
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def copy_book_sources(out: Path) -> None:
    """Copy the config files and every non-notebook file of book/ (images, ...) into `out`, link
    out/weights to the repository's weights/ and make out/runs; the repository address of
    _config.yml comes from $BOOK_REPOSITORY_URL."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "_toc.yml", out / "_toc.yml")
    # The chapters read ../weights (the shipped models): a link, not a copy of the repository's files.
    if not (out / "weights").exists():
        (out / "weights").symlink_to(REPO / "weights", target_is_directory=True)
    (out / "runs").mkdir(exist_ok=True)  # the chapters' ../runs: this build's live runs
    (out / "_config.yml").write_text(repository_config(
        (REPO / "_config.yml").read_text(), os.environ.get("BOOK_REPOSITORY_URL"), os.environ.get("BOOK_REPOSITORY_BRANCH")))
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
    dst = out / f"{chapter}.ipynb"  # its folder is the chapter's working directory (see the module docstring)
    dst.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    pm.execute_notebook(
        str(src),
        str(dst),
        parameters=parameters,
        cwd=str(dst.parent),
        kernel_name=kernel,
        progress_bar=False,
        log_output=False,
        report_mode=False,
    )
    seconds = time.perf_counter() - start
    tidy_executed_notebook(dst)
    return seconds


def merge_consecutive_streams(outputs: list) -> list:
    """`outputs` with stream outputs that follow each other (same stream) joined into one.

    The kernel sends printed text in pieces as it flushes, so a cell that prints several lines
    over a few seconds leaves several stream outputs, which the book shows as several boxes.
    Only neighbours are joined: text printed after a figure or a table stays after it
    (myst-nb's nb_merge_streams would move it up to the cell's first printed line).
    """
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = _text(previous["text"]) + _text(output["text"])
        else:
            merged.append(output)
    return merged


def _text(text) -> str:
    return "".join(text) if isinstance(text, list) else text


def _assignments(source: str) -> dict | None:
    """{name: value} of a cell made only of `name = literal` lines (and comments), else None."""
    import ast

    try:
        tree = ast.parse(source)
        return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body}
    except (SyntaxError, ValueError, AttributeError, IndexError, TypeError):
        return None


def hide_injected_parameters(cells: list) -> bool:
    """Tag papermill's "injected-parameters" cell `remove-cell` (jupyter-book then leaves it out of
    the page) when it only repeats the defaults of the chapter's "parameters" cell, which the
    reader sees; a run with other values (--full, -p) keeps it visible, so the page shows what ran.
    Returns True if the cell was hidden."""
    tagged = lambda tag: [c for c in cells if tag in c.get("metadata", {}).get("tags", [])]  # noqa: E731
    injected, defaults = tagged("injected-parameters"), tagged("parameters")
    if len(injected) != 1 or len(defaults) != 1:
        return False
    given, shown = _assignments(_text(injected[0]["source"])), _assignments(_text(defaults[0]["source"]))
    if given is None or shown is None or any(name not in shown or shown[name] != value for name, value in given.items()):
        return False
    tags = injected[0].setdefault("metadata", {}).setdefault("tags", [])
    if "remove-cell" not in tags:
        tags.append("remove-cell")
    return True


def tidy_executed_notebook(path: Path) -> None:
    """What the reader should not see, taken out of an executed chapter (in place, atomically):
    printed output split into several boxes, papermill's cell of injected default parameters."""
    import nbformat

    from srgan.atomic import atomic_path

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_consecutive_streams(cell.get("outputs", []))
    hide_injected_parameters(notebook.cells)
    with atomic_path(path) as tmp:
        nbformat.write(notebook, tmp)


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
    os.environ.update(quiet_environment(os.environ))  # the kernels inherit it
    first_run = warm_first_run_caches()
    print("matplotlib font cache: " + (f"built ({first_run.splitlines()[-1]})" if first_run else "ready"), flush=True)
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
