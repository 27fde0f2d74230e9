"""The Chinese edition (中文版): translations of the book's markdown cells, kept beside the English.

One file per chapter, book/zh/<chapter>.yml, lists the chapter's markdown cells in order, each as
the English source (`en`) and its translation (`zh`), and under `comments` the comments of its
papermill `parameters` cell (the settings a reader changes, so they are read in Chinese too): a
run of whole-line comments is one entry, a comment after code another. Code is never translated:
the Chinese notebooks are generated from the English ones with only the markdown and those
comments swapped.

    python ci/zh.py extract     # add entries for new or changed English cells (zh left empty)
    python ci/zh.py build       # write book/zh/<chapter>.ipynb from book/<chapter>.ipynb + the .yml
    python ci/zh.py check       # exit 1, one line per problem, if the two editions are out of sync

A cell whose English changed keeps its old translation under `stale_zh` (and the old English under
`stale_en`) so that a translator updates it instead of starting again.

`build` writes each Chinese notebook from its English one: every markdown cell replaced by its
`zh` (the English stays where there is no current translation, and `check` reports it), every
code cell copied byte for byte except the parameters cell's comments and the setup cell's
`setup_notebook(language="en")`, which becomes "zh" (Chinese figures and tables, srgan.i18n). No outputs, as the English notebooks;
the same input always gives the same bytes.

`check` fails (exit 1) on any of:
  - untranslated   a markdown cell with no `zh`;
  - stale          a translation whose `en` is no longer the English cell (the English changed:
                   run extract, then update the zh it kept as stale_zh), or one with stale_* left;
  - obsolete       a translation of an English cell that no longer exists;
  - markup         a `zh` whose glue names, labels, references, math or directive fences differ
                   from its `en` (they would break or change the Chinese page);
  - code           a Chinese notebook whose cells are not the English ones (types, order, code;
                   the parameters cell's code without its comments);
  - not built      a committed book/zh/<chapter>.ipynb that is not what `build` would write.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

from srgan.atomic import atomic_path

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"

# The one line of code the editions differ in (the setup cell); srgan.notebook.setup_notebook.
EN_CALL = 'setup_notebook(language="en")'
ZH_CALL = 'setup_notebook(language="zh")'


class _Block(str):
    """A string written as a YAML block scalar (|-), readable and diffable for translators."""


def _block(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


yaml.SafeDumper.add_representer(_Block, _block)


def zh_dir(book: Path = BOOK) -> Path:
    return book / "zh"


def chapters(book: Path = BOOK) -> list[Path]:
    return sorted(book.glob("[0-9][0-9]_*.ipynb"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def markdown_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [_source(c).rstrip() for c in cells if c["cell_type"] == "markdown"]


def _load_yaml(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise SystemExit(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: expected `cells:` (and `comments:`) lists (see ci/zh.py)")
    for key in ("cells", "comments"):
        entries = data.get(key, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("en"), str) for e in entries):
            raise SystemExit(f"{path}: expected `{key}:`, a list of entries with an `en` text (see ci/zh.py)")
    return data


def load(path: Path) -> list[dict]:
    """The chapter's markdown translations (`cells`)."""
    return _load_yaml(path).get("cells", [])


def load_comments(path: Path) -> list[dict]:
    """The translations of the chapter's parameters-cell comments (`comments`)."""
    return _load_yaml(path).get("comments", [])


def _items(entries: list[dict]) -> list[dict]:
    out = []
    for e in entries:
        item = {"en": _Block(e["en"]), "zh": _Block(e.get("zh") or "")}
        for key in ("stale_en", "stale_zh"):
            if e.get(key):
                item[key] = _Block(e[key])
        out.append(item)
    return out


def save(path: Path, notebook: Path, entries: list[dict], comments: list[dict] | None = None) -> None:
    header = (f"# 中文版 of book/{notebook.name}: its markdown cells in order, English (en) and Chinese (zh),\n"
              "# then the comments of its parameters cell. Edit zh only; `python ci/zh.py extract` adds new English\n"
              "# cells and comments. Terms: book/zh/TERMINOLOGY.md.\n")
    data = {"cells": _items(entries)}
    if comments:
        data["comments"] = _items(comments)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    _write(path, header + text)


# --- the parameters cell's comments --------------------------------------------------------------
def _is_parameters(cell: dict) -> bool:
    return cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", [])


def _comment_units(source: str) -> list[tuple[int, int, str, bool]]:
    """The comments of a cell's code as (first line, last line, text, whole-line) units: a run of
    whole-line comments is one unit (its lines' texts joined by newlines), a comment after code
    on its line another. Lines are indexes into source.splitlines(); texts lack the "# "."""
    lines, units = source.splitlines(), []
    for i, line in enumerate(lines):
        code, hashed, text = _split_comment(line)
        if not hashed:
            continue
        whole = not code.strip()
        if whole and units and units[-1][3] and units[-1][1] == i - 1:
            first, _, joined, _ = units[-1]
            units[-1] = (first, i, joined + "\n" + text, True)
        else:
            units.append((i, i, text, whole))
    return units


def _split_comment(line: str) -> tuple[str, bool, str]:
    """(code, has a comment, comment text) of one line; a # inside a string is not a comment."""
    quote = None
    for j, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:j], True, line[j + 1:].strip()
    return line, False, ""


def parameter_comments(notebook_text: str) -> list[str]:
    """The English texts of the parameters cell's comment units (_comment_units), in order."""
    cells = json.loads(notebook_text)["cells"]
    return [text for cell in cells if _is_parameters(cell) for _, _, text, _ in _comment_units(_source(cell))]


def translated_comments(source: str, by_en: dict[str, str]) -> str:
    """`source` with each comment unit whose English is in `by_en` in Chinese: a whole-line unit
    becomes the translation's lines, each "# " at the unit's indentation; a comment after code
    keeps its place."""
    lines = source.splitlines()
    ends_newline = source.endswith("\n")
    for first, last, text, whole in reversed(_comment_units(source)):
        zh = by_en.get(text)
        if not zh:
            continue
        if whole:
            indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
            lines[first:last + 1] = [f"{indent}# {part}".rstrip() for part in zh.splitlines()]
        else:
            code, _, _ = _split_comment(lines[first])
            lines[first] = f"{code}# {zh}"
    return "\n".join(lines) + ("\n" if ends_newline else "")


def without_comments(source: str) -> str:
    """The code of `source` with comments and comment-only lines removed: what the two editions share."""
    out = []
    for line in source.splitlines():
        code, hashed, _ = _split_comment(line)
        if hashed and not code.strip():
            continue
        out.append(code.rstrip())
    return "\n".join(out)


def _write(path: Path, text: str) -> None:
    """Write `text` atomically (srgan.atomic: a unique temporary file renamed over the target)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def merge(old: list[dict], english: list[str]) -> list[dict]:
    """The entries for the English cells `english`, reusing the translations in `old`: a cell
    whose English is unchanged keeps its entry; a changed cell keeps the old translation of the
    cell at its place as stale_en / stale_zh; a new cell gets an empty zh."""
    by_en = {e["en"].rstrip(): e for e in old}
    entries = []
    for i, en in enumerate(english):
        if en in by_en:
            entries.append({**by_en[en], "en": en})
        elif i < len(old) and old[i].get("zh"):  # the cell at this place changed: keep its old translation as a hint
            entries.append({"en": en, "zh": "", "stale_en": old[i]["en"], "stale_zh": old[i]["zh"]})
        else:
            entries.append({"en": en, "zh": ""})
    return entries


def extract(book: Path = BOOK) -> None:
    zh_dir(book).mkdir(exist_ok=True)
    for notebook in chapters(book):
        path = zh_dir(book) / f"{notebook.stem}.yml"
        entries = merge(load(path), markdown_cells(notebook))
        comments = merge(load_comments(path), parameter_comments(notebook.read_text(encoding="utf-8")))
        save(path, notebook, entries, comments)
        print(f"{_name(path, book)}: {len(entries)} cells, {sum(not e.get('zh') for e in entries)} untranslated; "
              f"{len(comments)} parameter comments, {sum(not e.get('zh') for e in comments)} untranslated")


def _name(path: Path, book: Path) -> str:
    try:
        return str(path.relative_to(book.parent))
    except ValueError:
        return str(path)


# --- the Chinese notebook ------------------------------------------------------------------
def translated_notebook(english_text: str, entries: list[dict], name: str = "notebook",
                        comments: list[dict] = ()) -> tuple[str, int]:
    """The Chinese notebook's JSON text from the English notebook's, and how many markdown cells
    kept their English (no current translation).

    Args:
        english_text: the English .ipynb file's text.
        entries: the chapter's translations (book/zh/<chapter>.yml's `cells`).
        name: the chapter, for error messages.
        comments: the translations of its parameters cell's comments (the .yml's `comments`).
    """
    notebook = json.loads(english_text)
    by_en = {e["en"].rstrip(): (e.get("zh") or "").rstrip() for e in entries if not e.get("stale_en")}
    comment_zh = {e["en"].rstrip(): (e.get("zh") or "").rstrip() for e in comments if not e.get("stale_en")}
    english_left, calls = 0, 0
    for cell in notebook["cells"]:
        source = _source(cell)
        if cell["cell_type"] == "markdown":
            zh = by_en.get(source.rstrip())
            if zh:
                source = zh + source[len(source.rstrip()):]  # the English cell's trailing whitespace, if any
            else:
                english_left += 1
        elif cell["cell_type"] == "code":
            calls += source.count(EN_CALL)
            source = source.replace(EN_CALL, ZH_CALL)
            if _is_parameters(cell):
                source = translated_comments(source, comment_zh)
            cell["outputs"], cell["execution_count"] = [], None
            # The fold button says what it folds, as the English "Show code cell source/outputs" does
            # (one "点击展开" for code and for output left readers guessing; reader s22).
            folded = [FOLD_BUTTONS[tag] for tag in cell.get("metadata", {}).get("tags", []) if tag in FOLD_BUTTONS]
            if folded:
                show, hide = folded[0]
                cell["metadata"].setdefault("mystnb", {}).update(code_prompt_show=show, code_prompt_hide=hide)
        cell["source"] = source.splitlines(keepends=True)
    if calls != 1:
        raise SystemExit(f"{name}: expected one `{EN_CALL}` in the English notebook's code (the setup cell), found {calls}")
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", english_left


def build(book: Path = BOOK) -> int:
    """Write book/zh/<chapter>.ipynb for every chapter (only files whose text changes); returns
    the number of markdown cells still in English."""
    total = 0
    for notebook in chapters(book):
        yml = zh_dir(book) / f"{notebook.stem}.yml"
        if not yml.exists():
            raise SystemExit(f"{_name(yml, book)}: missing; run `python ci/zh.py extract` first")
        text, english_left = translated_notebook(notebook.read_text(encoding="utf-8"), load(yml), notebook.stem,
                                                 load_comments(yml))
        target = zh_dir(book) / notebook.name
        changed = not target.exists() or target.read_text(encoding="utf-8") != text
        if changed:
            _write(target, text)
        total += english_left
        print(f"{_name(target, book)}: {'written' if changed else 'unchanged'}"
              + (f", {english_left} markdown cell(s) still in English" if english_left else ""))
    return total


# --- the Chinese book's configuration ----------------------------------------------------------
TITLE = "SRGAN：PaddlePaddle 实现"
AUTHOR = "srgan-paddle 贡献者"


SEARCH_PLACEHOLDER = "在本书中搜索……"
FOLD_BUTTON = ("点击展开", "点击收起")
FOLD_BUTTONS = {"hide-input": ("显示代码", "隐藏代码"), "hide-output": ("显示输出", "隐藏输出"),
                "hide-cell": ("显示代码和输出", "隐藏代码和输出")}  # per cell, by what its tag folds


SEARCH_TERMS = Path(__file__).resolve().with_name("zh_search_terms.txt")  # jieba's user dictionary: word, frequency, tag


def book_config(english_config: str) -> str:
    """The Chinese book's _config.yml from the English one's text: the same settings with the
    Chinese title and author, and Sphinx's language zh_CN (its own words, such as 搜索 and 目录,
    in Chinese; the pages' lang attribute, which the language switch reads, zh-CN), with the
    theme's words its catalogs leave in English (the header's "System Settings", ...) from
    book/_locale/zh_CN/LC_MESSAGES/sphinx.po (Sphinx's locale_dirs)."""
    config = yaml.safe_load(english_config)
    config["title"], config["author"] = TITLE, AUTHOR
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["language"] = "zh_CN"
    sphinx["locale_dirs"] = ["book/_locale"]
    # Words jupyter-book and myst-nb set themselves, outside the catalogs: the search field's
    # placeholder (a theme option, merged into jupyter-book's own options by recursive_update) and
    # the button of folded cells (myst-nb's code_prompt_show / _hide, "Show code cell {type}").
    config["sphinx"]["recursive_update"] = True
    sphinx["html_theme_options"] = {"search_bar_text": SEARCH_PLACEHOLDER}
    sphinx["nb_code_prompt_show"], sphinx["nb_code_prompt_hide"] = FOLD_BUTTON
    # The search index splits Chinese into words with jieba, whose dictionary has 判别 but not 判别器: a
    # search for the book's own terms (判别器, 网格对比度, 随包发布) found one page or none (reader s23).
    sphinx["html_search_options"] = {"dict": str(SEARCH_TERMS)}
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


# --- the sync check --------------------------------------------------------------------------
# Markup a translation must keep as it is: glue roles and directives with their names, MyST
# targets and references, links to other chapters, display-math blocks, directive fences, inline math.
_MARKUP = {
    "glue": re.compile(r"\{glue(?::\w+)?\}`([^`]+)`|```\{glue(?::\w+)?\}\s*(\S+)"),
    "label": re.compile(r"^\((\S+)\)=\s*$", re.M),
    "reference": re.compile(r"\{(?:ref|numref|eq|doc)\}`([^`]+)`|\]\((#[^)\s]+)\)"),
    # a link to another chapter ("[chapter 6](06_srgan.ipynb)"): both editions link the same chapters
    "chapter link": re.compile(r"\]\(([\w.-]+\.ipynb(?:#[^)\s]*)?)\)"),
    "display math": re.compile(r"^\s*\$\$", re.M),
    "directive": re.compile(r"^\s*(```+|:::+)\s*(\{[\w:-]+\})?", re.M),
}


def _strip_code(text: str) -> str:
    return re.sub(r"`[^`\n]*`", "", text)


def markup_differences(en: str, zh: str) -> list[str]:
    """What markup of `en` is missing from, or added in, its translation `zh` (see _MARKUP)."""
    problems = []
    for kind, pattern in _MARKUP.items():
        def found(text):
            return Counter(next((g for g in m.groups() if g), m.group(0)) if m.groups() else m.group(0)
                           for m in pattern.finditer(text))
        a, b = found(en), found(zh)
        if a != b:
            missing, extra = sorted((a - b).elements()), sorted((b - a).elements())
            problems.append(f"{kind} differs" + (f", missing {missing}" if missing else "") + (f", added {extra}" if extra else ""))
    dollars = [t.count("$") - 2 * t.count("$$") for t in (_strip_code(en), _strip_code(zh))]
    if dollars[0] != dollars[1]:
        problems.append(f"inline math differs ({dollars[0]} $ in the English, {dollars[1]} in the Chinese)")
    return problems


def _first_line(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def translation_problems(notebook: Path, yml: Path, book: Path = BOOK) -> list[str]:
    """The sync problems of one chapter's translations (see the module docstring)."""
    where = _name(yml, book)
    if not yml.exists():
        return [f"{where}: missing (run `python ci/zh.py extract`)"]
    old, english = load(yml), markdown_cells(notebook)
    merged = merge(old, english)  # what extract would write
    problems = []
    if [e["en"].rstrip() for e in old] != english:
        problems.append(f"{where}: its `en` texts are not book/{notebook.name}'s markdown cells any more "
                        "(run `python ci/zh.py extract`)")
    used = {e["en"] for e in merged} | {e.get("stale_en") for e in merged}
    problems += [f"{where}: obsolete translation of an English cell that no longer exists: {_first_line(e['en'])!r}"
                 for e in old if e["en"].rstrip() not in used and e["en"] not in used]
    for i, (en, entry) in enumerate(zip(english, merged)):
        cell = f"{where}: markdown cell {i + 1} ({_first_line(en)!r})"
        if unfinished := _unfinished(entry):
            problems.append(f"{cell}: {unfinished}")
        else:
            problems += [f"{cell}: markup {p}" for p in markup_differences(en, entry["zh"])]
    old_comments, english_comments = load_comments(yml), parameter_comments(notebook.read_text(encoding="utf-8"))
    if [e["en"].rstrip() for e in old_comments] != english_comments:
        problems.append(f"{where}: its `comments` are not book/{notebook.name}'s parameter comments any more "
                        "(run `python ci/zh.py extract`)")
    problems += [f"{where}: parameter comment {_first_line(entry['en'])!r}: {unfinished}"
                 for entry in merge(old_comments, english_comments) if (unfinished := _unfinished(entry))]
    return problems


def _unfinished(entry: dict) -> str | None:
    """Why a translation entry (a markdown cell's or a parameter comment's) is not done yet, or None."""
    if entry.get("stale_en") or entry.get("stale_zh"):
        return "stale, the English changed since it was translated (update zh from stale_zh, then delete stale_en and stale_zh)"
    if not (entry.get("zh") or "").strip():
        return "untranslated (empty zh)"
    return None


def code_problems(english: Path, chinese: Path, book: Path = BOOK) -> list[str]:
    """Differences between the two editions' cells other than markdown text and the language line."""
    where = _name(chinese, book)
    if not chinese.exists():
        return [f"{where}: missing (run `python ci/zh.py build`)"]
    try:
        zh_cells = json.loads(chinese.read_text(encoding="utf-8"))["cells"]
    except (json.JSONDecodeError, KeyError) as e:
        return [f"{where}: not a notebook ({e})"]
    en_cells = json.loads(english.read_text(encoding="utf-8"))["cells"]
    if [c["cell_type"] for c in en_cells] != [c["cell_type"] for c in zh_cells]:
        return [f"{where}: its cells ({len(zh_cells)}) are not the English notebook's ({len(en_cells)}) in type and order"]
    problems, calls = [], 0
    code_no = 0
    for i, (en, zh) in enumerate(zip(en_cells, zh_cells)):
        if en["cell_type"] != "code":
            continue
        code_no += 1
        zh_source = _source(zh)
        calls += zh_source.count(ZH_CALL)
        same = (without_comments(zh_source) == without_comments(_source(en)) if _is_parameters(en)
                else zh_source.replace(ZH_CALL, EN_CALL) == _source(en))
        if not same or ZH_CALL in _source(en):
            problems.append(f"{where}: code cell {code_no} (cell {i + 1}, {_first_line(_source(en))!r}) differs from the English "
                            "notebook's (code is shared: edit book/<chapter>.ipynb, then `python ci/zh.py build`)")
        if zh.get("outputs") or zh.get("execution_count") is not None:
            problems.append(f"{where}: code cell {code_no} (cell {i + 1}) carries outputs; the notebooks are stored without")
    if calls != 1:
        problems.append(f"{where}: expected one `{ZH_CALL}` (the setup cell), found {calls}")
    return problems


def problems(book: Path = BOOK) -> list[str]:
    """Every sync problem of the Chinese edition (see the module docstring)."""
    out = []
    zh = zh_dir(book)
    names = {n.stem for n in chapters(book)}
    for orphan in sorted(set(zh.glob("[0-9][0-9]_*.yml")) | set(zh.glob("[0-9][0-9]_*.ipynb"))):
        if orphan.stem not in names:
            out.append(f"{_name(orphan, book)}: obsolete, book/{orphan.stem}.ipynb does not exist")
    for notebook in chapters(book):
        yml, chinese = zh / f"{notebook.stem}.yml", zh / notebook.name
        out += translation_problems(notebook, yml, book)
        code = code_problems(notebook, chinese, book)
        out += code
        if yml.exists() and chinese.exists() and not code:
            expected, _ = translated_notebook(notebook.read_text(encoding="utf-8"), load(yml), notebook.stem,
                                              load_comments(yml))
            if chinese.read_text(encoding="utf-8") != expected:
                out.append(f"{_name(chinese, book)}: not what `python ci/zh.py build` writes from book/{notebook.name} and "
                           f"{yml.name} (run it)")
    return out


def check(book: Path = BOOK) -> int:
    found = problems(book)
    for line in found:
        print(line)
    if found:
        counts = Counter(kind for line in found for kind in ("untranslated", "stale", "obsolete", "markup", "differs",
                                                             "not what") if f": {kind}" in line or f" {kind} " in line)
        print(f"zh check: {len(found)} problem(s) ({', '.join(f'{k} {n}' for k, n in counts.items()) or 'see above'})",
              file=sys.stderr)
        return 1
    print("zh check: the Chinese edition is in sync with the English one")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("extract", "build", "check"), nargs="?", default="check")
    parser.add_argument("--book", type=Path, default=BOOK, help="the English notebooks' folder (default: book/); "
                        "translations and Chinese notebooks in its zh/")
    args = parser.parse_args(argv)
    book = args.book.resolve()
    if args.command == "extract":
        extract(book)
    elif args.command == "build":
        build(book)
    else:
        return check(book)
    return 0


if __name__ == "__main__":
    sys.exit(main())
