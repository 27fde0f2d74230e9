"""The Chinese edition (中文版): translations of the book's markdown cells, kept beside the English.

One file per chapter, book/zh/<chapter>.yml, lists the chapter's markdown cells in order, each as
the English source (`en`) and its translation (`zh`). Code cells are never translated: the Chinese
notebooks are generated from the English ones with only the markdown swapped.

    python ci/zh.py extract     # add entries for new or changed English cells (zh left empty)

A cell whose English changed keeps its old translation under `stale_zh` (and the old English under
`stale_en`) so that a translator updates it instead of starting again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
ZH = BOOK / "zh"


class _Block(str):
    """A string written as a YAML block scalar (|-), readable and diffable for translators."""


def _block(dumper, value):
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


yaml.SafeDumper.add_representer(_Block, _block)


def chapters() -> list[Path]:
    return sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))


def markdown_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]).rstrip() for c in cells if c["cell_type"] == "markdown"]


def load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cells", [])


def save(path: Path, notebook: Path, entries: list[dict]) -> None:
    header = (f"# 中文版 of book/{notebook.name}: its markdown cells in order, English (en) and Chinese (zh).\n"
              "# Edit zh only; `python ci/zh.py extract` adds new English cells. Terms: book/zh/TERMINOLOGY.md.\n")
    out = []
    for e in entries:
        item = {"en": _Block(e["en"]), "zh": _Block(e.get("zh") or "")}
        for key in ("stale_en", "stale_zh"):
            if e.get(key):
                item[key] = _Block(e[key])
        out.append(item)
    text = yaml.safe_dump({"cells": out}, allow_unicode=True, sort_keys=False, width=10_000)
    path.write_text(header + text, encoding="utf-8")


def extract() -> None:
    ZH.mkdir(exist_ok=True)
    for notebook in chapters():
        path = ZH / f"{notebook.stem}.yml"
        old = load(path)
        by_en = {e["en"].rstrip(): e for e in old}
        entries = []
        for i, en in enumerate(markdown_cells(notebook)):
            if en in by_en:
                entries.append({**by_en[en], "en": en})
            elif i < len(old) and old[i].get("zh"):  # the cell at this place changed: keep its old translation as a hint
                entries.append({"en": en, "zh": "", "stale_en": old[i]["en"], "stale_zh": old[i]["zh"]})
            else:
                entries.append({"en": en, "zh": ""})
        save(path, notebook, entries)
        print(f"{path.relative_to(REPO)}: {len(entries)} cells, {sum(not e.get('zh') for e in entries)} untranslated")


if __name__ == "__main__":
    {"extract": extract}[sys.argv[1] if len(sys.argv) > 1 else "extract"]()
