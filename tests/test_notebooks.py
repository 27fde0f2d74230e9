"""The book's notebooks as stored in git: no outputs, a papermill `parameters` cell with quick
defaults, listed in _toc.yml, importing from `srgan` without redefining its code.

Reads the .ipynb files as JSON (no Jupyter needed) and never executes them: ci/book.sh does that.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _stored_notebooks() -> list[Path]:
    """The notebooks under book/ that git tracks (all of book/*.ipynb outside a git checkout)."""
    try:
        out = subprocess.run(["git", "ls-files", "book"], cwd=REPO, capture_output=True, text=True, check=True).stdout
        # book/*.ipynb only: book/zh/ holds the Chinese edition, built from these (ci/zh.py, test_zh.py)
        tracked = [REPO / line for line in out.splitlines() if line.endswith(".ipynb") and line.count("/") == 1]
    except (OSError, subprocess.CalledProcessError):
        tracked = []
    on_disk = sorted((REPO / "book").glob("*.ipynb"))
    # Untracked notebooks on disk are about to be committed: check them too.
    return sorted(set(tracked) | set(on_disk))


NOTEBOOKS = _stored_notebooks()


def _cells(path: Path) -> list[dict]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        pytest.fail(f"{path.name}: not valid notebook JSON ({e})")
    return nb["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _toc_entries() -> list[str]:
    lines = (REPO / "_toc.yml").read_text().splitlines()
    return [m.group(1) for line in lines if (m := re.match(r"^\s*(?:root|-\s*file)\s*:\s*(\S+)\s*$", line))]


def _package_definitions() -> set[str]:
    """Names of the top-level functions and classes of every module in srgan/ (parsed, not imported)."""
    names = set()
    for module in (REPO / "srgan").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names |= {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    return {n for n in names if not n.startswith("_") and n != "main"}


def test_the_book_has_its_chapters():
    assert NOTEBOOKS, "no notebooks found in book/"
    listed = {REPO / f"{entry}.ipynb" for entry in _toc_entries()}
    assert listed, "_toc.yml lists no chapter"
    missing = sorted(p.name for p in listed if not p.is_file())
    unlisted = sorted(p.name for p in NOTEBOOKS if p not in listed)
    assert not missing, f"_toc.yml lists chapters that do not exist: {missing}"
    assert not unlisted, f"notebooks in book/ that _toc.yml does not list: {unlisted}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    dirty = [i for i, cell in enumerate(_cells(path))
             if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cell_ids_are_unique(path):
    # nbformat replaces a repeated id with a random one when papermill runs the chapter (a
    # DuplicateCellId warning in the book's log), so that cell's id changes on every build.
    ids = [cell.get("id") for cell in _cells(path)]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert not repeated, f"{path.name}: cell ids used more than once: {repeated}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_quick_parameters_cell(path):
    cells = [c for c in _cells(path) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{path.name}: expected exactly one cell tagged 'parameters' (papermill), found {len(cells)}"
    cell = cells[0]
    assert cell["cell_type"] == "code", f"{path.name}: the 'parameters' cell must be a code cell"
    tree = ast.parse(_source(cell))
    assigned = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert "quick" in assigned, f"{path.name}: the parameters cell does not set `quick`"
    value = assigned["quick"]
    assert isinstance(value, ast.Constant) and value.value is True, f"{path.name}: `quick` must default to True"
    others = [node for node in tree.body if not isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr))]
    assert not others, f"{path.name}: the parameters cell should only assign values (papermill overrides them)"
    # papermill's parameter reader (`papermill --help-notebook`, the parameters it lists) skips,
    # with "Unable to parse line", any line with a second "=", a comment's included
    unread = [line for line in _source(cell).splitlines() if not line.strip().startswith("#") and line.count("=") > 1]
    assert not unread, f"{path.name}: papermill cannot read these parameter lines (one '=' a line): {unread}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_the_package_without_redefining_it(path):
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    assert re.search(r"^\s*(from srgan[\w.]* import|import srgan)", code, re.M), f"{path.name}: never imports from srgan"
    defined = set()
    for cell in _cells(path):
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(_source(cell))
        except SyntaxError as e:
            pytest.fail(f"{path.name}: a code cell does not parse ({e})")
        defined |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    clash = sorted(defined & _package_definitions())
    assert not clash, f"{path.name}: redefines package code {clash}; import it from srgan instead"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_deletes_no_folder_of_the_reader(path):
    """A chapter run again must not delete a reader's training run (chapters 5 and 6 emptied their
    run folders with shutil.rmtree: in full mode, days of training): quick runs replace only an
    earlier run's files (Trainer.fit(overwrite=True)), full mode continues (resume=True)."""
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    assert not re.search(r"\brmtree\b|\.unlink\(|os\.remove\(|rm -r", code), f"{path.name}: deletes files in its code"
    for call in re.findall(r"\.fit\(([^)]*)\)", code):
        assert "resume=not quick" in call, f"{path.name}: Trainer.fit({call}) should continue a full-mode run"


def _book_commands() -> list[tuple[str, str]]:
    """(chapter, command) for every `srgan ...` line of the chapters' bash blocks."""
    out = []
    for path in NOTEBOOKS:
        for cell in _cells(path):
            if cell["cell_type"] != "markdown":
                continue
            for block in re.findall(r"```(?:bash|shell|sh)\n(.*?)```", _source(cell), re.S):
                out += [(path.name, line.split("#")[0].strip()) for line in block.splitlines()
                        if line.strip().startswith("srgan ")]
    return out


def test_the_books_commands_are_ones_the_cli_takes():
    """A command the book prints with a flag the CLI renamed or lost fails for every reader who
    copies it; each one is parsed as `srgan` would (nothing runs)."""
    pytest.importorskip("paddle")
    import shlex

    from srgan.cli import build_parser

    commands = _book_commands()
    assert len(commands) >= 5, commands  # chapters 5, 6 (train) and 8 (upscale, export)
    for chapter, command in commands:
        try:
            build_parser().parse_args(shlex.split(command)[1:])
        except SystemExit:
            pytest.fail(f"{chapter}: `{command}` is refused by the CLI's parser")


_LIST_ITEM = re.compile(r"^(\d+[.)]|[-*+]) ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_has_no_accidental_numbered_list(path):
    """A wrapped sentence whose next line happens to begin with "1. " renders as a numbered list
    (Markdown), splitting the sentence; chapter 6 had one ("nearer a photo's / 1. Their colour ...").
    A list item right after a plain paragraph line, with no blank line, is that accident."""
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        lines = "".join(cell["source"]).split("\n")
        for before, line in zip(lines, lines[1:]):
            if re.match(r"^\d+[.)] ", line) and before.strip() and not before[0].isspace() \
                    and not _LIST_ITEM.match(before) and not before.startswith(("#", "|", "```", ">")):
                pytest.fail(f"{path.name}, markdown cell {i}: {line[:40]!r} follows the paragraph line "
                            f"{before[-40:]!r}: it renders as a numbered list (reword, or leave a blank line)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_code_cell_is_a_wall_the_reader_scrolls_past(path):
    # The rendered page's rule (ci/check_book.py, long_code_cells), checked on the source in a second
    # instead of after the half-hour book job: a page once failed CI on a 31-line cell.
    import sys
    sys.path.insert(0, str(REPO / "ci"))
    from check_book import MAX_CODE_LINES
    long = [f"cell {i} ({len(_source(c).rstrip(chr(10)).splitlines())} lines: {_source(c).splitlines()[0][:60]!r})"
            for i, c in enumerate(_cells(path)) if c["cell_type"] == "code"
            and len(_source(c).rstrip("\n").splitlines()) > MAX_CODE_LINES]
    assert not long, f"{path.name}: code cells over {MAX_CODE_LINES} lines: {long}; split them"
