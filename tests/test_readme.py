"""The README for users: short, its numbers are the model cards', its links lead somewhere."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from srgan.infer import shipped_weights

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def _make_figures():
    spec = importlib.util.spec_from_file_location("make_figures", REPO / "docs" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_is_short_and_starts_with_the_two_commands():
    assert len(README.splitlines()) <= 150
    first_block = README.split("```bash\n", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in first_block.splitlines()] == [["bash", "ci/book.sh"], ["bash", "ci/test.sh"]]
    assert (REPO / "ci" / "book.sh").is_file() and (REPO / "ci" / "test.sh").is_file()


def test_headline_table_is_the_cards_table():
    block = re.search(r"<!-- headline table: .*? -->\n(.*?)\n<!-- end of headline table -->", README, re.S)
    assert block, "the README lost its headline table markers"
    assert block.group(1) == _make_figures().headline_table()


def test_default_model_paragraph_quotes_the_cards():
    set14 = {name: json.loads(shipped_weights(name).with_suffix(".json").read_text())["scores"]["Set14"]["model"]
             for name in ("srresnet", "srgan")}
    text = " ".join(README.split())
    assert f"Set14 {set14['srresnet']['psnr']:.2f} dB against SRGAN's {set14['srgan']['psnr']:.2f}" in text
    assert (f"Set14 NIQE {set14['srgan']['niqe']:.2f}, the originals' {set14['srgan']['niqe_hr']:.2f}, "
            f"SRResNet's {set14['srresnet']['niqe']:.2f}") in text


def test_relative_links_resolve():
    targets = re.findall(r"\]\(([^)#]+)\)", README)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert "docs/before_after.png" in local and "docs/EXPERIMENTS.md" in local
    assert [t for t in local if not (REPO / t).exists()] == []
