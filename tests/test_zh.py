"""ci/zh.py, the Chinese edition's sync machinery, on a small book in a temporary folder (`--book`):
extract, build and check as CI runs them, each check made to fail by the change it is there for.

The book: two chapters, each a setup cell with `setup_notebook(language="en")`, markdown cells
with the markup a translation must keep (a glue value, a label, inline and display math) and a
code cell. No Paddle and no kernel: the whole module runs in about a second.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "ci"))

import zh  # noqa: E402

SETUP = 'from srgan.notebook import setup_notebook\nsetup_notebook(language="en")\n'
CHAPTERS = {
    "00_intro": [
        ("markdown", "# 0. Introduction\n\nSRGAN makes photos 4× larger ([chapter 1](01_data.ipynb) prepares the data)."),
        ("code", SETUP),
        ("markdown", "(sec-psnr)=\n## PSNR\n\nThe model reaches {glue:text}`psnr_db` dB, where $\\mathrm{PSNR} = 10 \\log_{10}(255^2 / \\mathrm{MSE})$:\n\n"
                     "$$\nl^{SR} = l^{SR}_X + 10^{-3} l^{SR}_{Gen}\n$$"),
        ("code", "psnr = 27.68\nprint(f\"{psnr:.2f} dB\")\n"),
        ("markdown", "See {ref}`sec-psnr` for the definition."),
    ],
    "01_data": [
        ("code", SETUP),
        ("markdown", "# 1. Data\n\nThe training images are cropped to 96 × 96 pixels.\n"),  # trailing newline kept by build
        ("code", "crop = 96\n"),
    ],
}
TRANSLATIONS = {
    "# 0. Introduction\n\nSRGAN makes photos 4× larger ([chapter 1](01_data.ipynb) prepares the data).": "# 0. 引言\n\nSRGAN 把照片放大 4 倍（数据的准备见[第 1 章](01_data.ipynb)）。",
    CHAPTERS["00_intro"][2][1]: "(sec-psnr)=\n## PSNR\n\n模型达到 {glue:text}`psnr_db` dB，其中 $\\mathrm{PSNR} = 10 \\log_{10}(255^2 / \\mathrm{MSE})$：\n\n"
                                "$$\nl^{SR} = l^{SR}_X + 10^{-3} l^{SR}_{Gen}\n$$",
    "See {ref}`sec-psnr` for the definition.": "定义见 {ref}`sec-psnr`。",
    "# 1. Data\n\nThe training images are cropped to 96 × 96 pixels.": "# 1. 数据\n\n训练图像裁剪为 96 × 96 像素。",
}


def notebook(cells: list[tuple[str, str]]) -> str:
    out = []
    for kind, source in cells:
        cell = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    return json.dumps({"cells": out, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                  "language": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def run(book: Path, command: str) -> subprocess.CompletedProcess:
    """ci/zh.py as CI runs it."""
    return subprocess.run([sys.executable, str(REPO / "ci" / "zh.py"), command, "--book", str(book)],
                          capture_output=True, text=True, check=False)


def translate_all(book: Path) -> None:
    """What a translator does: fill every empty zh of the extracted .yml files."""
    for yml in sorted((book / "zh").glob("*.yml")):
        entries = zh.load(yml)
        for entry in entries:
            entry["zh"] = entry.get("zh") or TRANSLATIONS[entry["en"]]
        zh.save(yml, book / f"{yml.stem}.ipynb", entries)


@pytest.fixture
def book(tmp_path) -> Path:
    """A book whose Chinese edition is complete and built: check passes."""
    folder = tmp_path / "book"
    folder.mkdir()
    for name, cells in CHAPTERS.items():
        (folder / f"{name}.ipynb").write_text(notebook(cells), encoding="utf-8")
    zh.extract(folder)
    translate_all(folder)
    zh.build(folder)
    return folder


def cells_of(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def test_a_complete_translation_passes(book):
    done = run(book, "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "in sync" in done.stdout


def test_untranslated_cells_fail(tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    for name, cells in CHAPTERS.items():
        (folder / f"{name}.ipynb").write_text(notebook(cells), encoding="utf-8")
    assert run(folder, "extract").returncode == 0
    assert run(folder, "build").returncode == 0  # the English stays where there is no translation
    done = run(folder, "check")
    assert done.returncode == 1
    untranslated = [line for line in done.stdout.splitlines() if line.endswith("untranslated (empty zh)")]
    assert len(untranslated) == 4 and "untranslated 4" in done.stderr  # every markdown cell of both chapters
    # a chapter translated but for one cell still fails, on that cell only
    translate_all(folder)
    entries = zh.load(folder / "zh" / "01_data.yml")
    entries[0]["zh"] = ""
    zh.save(folder / "zh" / "01_data.yml", folder / "01_data.ipynb", entries)
    zh.build(folder)
    assert zh.problems(folder) == ["book/zh/01_data.yml: markdown cell 1 ('# 1. Data'): untranslated (empty zh)"]


def test_a_changed_english_cell_is_stale_and_extract_keeps_the_old_translation(book):
    english = book / "00_intro.ipynb"
    cells = list(CHAPTERS["00_intro"])
    old_en = cells[0][1]
    cells[0] = ("markdown", "# 0. Introduction\n\nSRGAN makes photos 4× larger, with a GAN.")
    english.write_text(notebook(cells), encoding="utf-8")

    problems = zh.problems(book)
    assert any("are not book/00_intro.ipynb's markdown cells any more" in p for p in problems), problems
    assert run(book, "check").returncode == 1

    assert run(book, "extract").returncode == 0
    entry = zh.load(book / "zh" / "00_intro.yml")[0]
    assert entry["en"] == cells[0][1] and entry["zh"] == ""
    assert entry["stale_en"] == old_en and entry["stale_zh"] == TRANSLATIONS[old_en]
    zh.build(book)
    stale = [p for p in zh.problems(book) if "stale" in p]
    assert len(stale) == 1 and "markdown cell 1" in stale[0], zh.problems(book)
    # until the translator updates zh and deletes stale_*, the Chinese notebook shows the English
    assert source(cells_of(book / "zh" / "00_intro.ipynb")[0]) == cells[0][1]

    entries = zh.load(book / "zh" / "00_intro.yml")
    entries[0] = {"en": cells[0][1], "zh": "# 0. 引言\n\nSRGAN 用一个 GAN 把照片放大 4 倍。"}
    zh.save(book / "zh" / "00_intro.yml", english, entries)
    zh.build(book)
    assert run(book, "check").returncode == 0


def test_a_code_cell_that_differs_between_editions_fails(book):
    chinese = book / "zh" / "00_intro.ipynb"
    data = json.loads(chinese.read_text(encoding="utf-8"))
    data["cells"][3]["source"] = ["psnr = 28.00\n", "print(f\"{psnr:.2f} dB\")\n"]  # edited in the Chinese notebook
    chinese.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = zh.problems(book)
    assert any("book/zh/00_intro.ipynb: code cell 2 (cell 4, 'psnr = 27.68') differs from the English" in p for p in problems), problems
    assert run(book, "check").returncode == 1

    # the other way: the English code changed and the Chinese notebook was not rebuilt
    zh.build(book)
    cells = list(CHAPTERS["01_data"])
    cells[2] = ("code", "crop = 128\n")
    (book / "01_data.ipynb").write_text(notebook(cells), encoding="utf-8")
    problems = zh.problems(book)
    assert any("book/zh/01_data.ipynb: code cell 2" in p and "differs" in p for p in problems), problems
    zh.build(book)
    assert zh.problems(book) == []


def test_a_chinese_notebook_with_other_cells_or_outputs_fails(book):
    chinese = book / "zh" / "01_data.ipynb"
    data = json.loads(chinese.read_text(encoding="utf-8"))
    data["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["96\n"]}]
    chinese.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert any("carries outputs" in p for p in zh.problems(book))
    del data["cells"][2]
    chinese.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert any("in type and order" in p for p in zh.problems(book))


@pytest.mark.parametrize("change,why", [
    (("{glue:text}`psnr_db`", "{glue:text}`ssim`"), "glue differs, missing ['psnr_db'], added ['ssim']"),
    (("(sec-psnr)=\n", ""), "label differs, missing ['sec-psnr']"),
    (("$\\mathrm{PSNR} = 10 \\log_{10}(255^2 / \\mathrm{MSE})$", "PSNR"), "inline math differs (2 $ in the English, 0 in the Chinese)"),
    (("$$\nl^{SR}", "\nl^{SR}"), "display math differs"),
])
def test_markup_differences_fail(book, change, why):
    yml = book / "zh" / "00_intro.yml"
    entries = zh.load(yml)
    assert change[0] in entries[1]["zh"]
    entries[1]["zh"] = entries[1]["zh"].replace(change[0], change[1], 1)
    zh.save(yml, book / "00_intro.ipynb", entries)
    zh.build(book)
    problems = zh.problems(book)
    assert [p for p in problems if "markup" in p] == [p for p in problems], problems  # markup problems only
    assert any(f"markup {why}" in p for p in problems), problems
    assert run(book, "check").returncode == 1


def test_a_reference_differs(book):
    yml = book / "zh" / "00_intro.yml"
    entries = zh.load(yml)
    entries[2]["zh"] = "定义见上一节。"  # the {ref} dropped: the Chinese page would lose the link
    zh.save(yml, book / "00_intro.ipynb", entries)
    zh.build(book)
    assert zh.problems(book) == ["book/zh/00_intro.yml: markdown cell 3 ('See {ref}`sec-psnr` for the definition.'): "
                                 "markup reference differs, missing ['sec-psnr']"]


def test_a_chapter_link_differs(book):
    yml = book / "zh" / "00_intro.yml"
    entries = zh.load(yml)
    entries[0]["zh"] = entries[0]["zh"].replace("[第 1 章](01_data.ipynb)", "第 1 章")  # the Chinese reader cannot click through
    zh.save(yml, book / "00_intro.ipynb", entries)
    zh.build(book)
    assert zh.problems(book) == ["book/zh/00_intro.yml: markdown cell 1 ('# 0. Introduction'): "
                                 "markup chapter link differs, missing ['01_data.ipynb']"]


def test_build_is_deterministic_and_swaps_only_markdown_and_the_language_line(book):
    first = {p.name: p.read_bytes() for p in sorted((book / "zh").glob("*.ipynb"))}
    done = run(book, "build")
    assert done.returncode == 0 and done.stdout.count("unchanged") == 2, done.stdout
    assert {p.name: p.read_bytes() for p in sorted((book / "zh").glob("*.ipynb"))} == first
    for name, cells in CHAPTERS.items():
        english = json.loads((book / f"{name}.ipynb").read_text(encoding="utf-8"))
        chinese = json.loads((book / "zh" / f"{name}.ipynb").read_text(encoding="utf-8"))
        assert chinese["metadata"] == english["metadata"] and chinese["nbformat"] == english["nbformat"]
        assert len(chinese["cells"]) == len(english["cells"])
        for (kind, en_source), en, cn in zip(cells, english["cells"], chinese["cells"]):
            assert cn["cell_type"] == en["cell_type"] == kind
            assert {k: v for k, v in cn.items() if k != "source"} == {k: v for k, v in en.items() if k != "source"}
            if kind == "markdown":
                want = TRANSLATIONS[en_source.rstrip()] + en_source[len(en_source.rstrip()):]
                assert source(cn) == want
            elif zh.EN_CALL in en_source:
                assert source(cn) == en_source.replace(zh.EN_CALL, zh.ZH_CALL) != en_source
            else:
                assert source(cn) == en_source
    # a rebuilt notebook that someone edited by hand is "not built" until build runs again
    target = book / "zh" / "01_data.ipynb"
    target.write_text(target.read_text(encoding="utf-8").replace("训练图像", "训练用的图像"), encoding="utf-8")
    assert any("not what `python ci/zh.py build` writes" in p for p in zh.problems(book))


def test_obsolete_translations_and_chapters_fail(book):
    (book / "01_data.ipynb").rename(book / "01_dataset.ipynb")
    problems = zh.problems(book)
    assert "book/zh/01_data.yml: obsolete, book/01_data.ipynb does not exist" in problems
    assert "book/zh/01_data.ipynb: obsolete, book/01_data.ipynb does not exist" in problems
    assert "book/zh/01_dataset.yml: missing (run `python ci/zh.py extract`)" in problems


def test_bad_yaml_is_one_line_naming_the_file(book):
    (book / "zh" / "01_data.yml").write_text("cells: [\n  - en: 'unclosed\n", encoding="utf-8")
    done = run(book, "check")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "01_data.yml: not valid YAML" in done.stderr


def test_the_chinese_config_translates_the_theme_words_its_catalogs_lack():
    """book_config: language zh_CN, and book/_locale in Sphinx's locale_dirs, where sphinx.po has
    the header button words pydata-sphinx-theme's Chinese catalog leaves empty ("System Settings")."""
    config = yaml.safe_load(zh.book_config((REPO / "_config.yml").read_text(encoding="utf-8")))
    sphinx = config["sphinx"]["config"]
    assert sphinx["language"] == "zh_CN" and sphinx["locale_dirs"] == ["book/_locale"]
    po = (REPO / sphinx["locale_dirs"][0] / "zh_CN" / "LC_MESSAGES" / "sphinx.po").read_text(encoding="utf-8")
    assert 'msgid "System Settings"\nmsgstr "跟随系统"' in po and 'msgid "Color mode"\nmsgstr "颜色模式"' in po
    assert "locale_dirs" not in yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    # the search field and the fold button, which jupyter-book / myst-nb word outside the catalogs
    assert sphinx["html_theme_options"] == {"search_bar_text": "在本书中搜索……"} and config["sphinx"]["recursive_update"]
    assert (sphinx["nb_code_prompt_show"], sphinx["nb_code_prompt_hide"]) == ("点击展开", "点击收起")
    # the search index's words: jieba's dictionary had 判别 but not 判别器 (a search for it found one page)
    terms = Path(sphinx["html_search_options"]["dict"]).read_text(encoding="utf-8").splitlines()
    assert all(len(line.split()) == 3 and line.split()[1].isdigit() for line in terms)
    words = {line.split()[0] for line in terms}
    assert {"判别器", "网格对比度", "随包发布"} <= words
    text = "".join((REPO / "book" / "zh" / f"{c}.yml").read_text(encoding="utf-8") for c in sorted(p.stem for p in (REPO / "book" / "zh").glob("*.yml")))
    assert all(word in text for word in words), sorted(w for w in words if w not in text)  # the book's own words


PARAMETERS = ('# Parameters (papermill). Quick values run in\n# seconds on a CPU.\nquick = True\n'
              'url = "http://x/#y"   # a URL with a # in it\ncrop = None  # None -> 48 if quick else 96\n')


def _with_parameters_cell(book: Path) -> Path:
    """01_data with a papermill parameters cell (tagged), extracted: its comments to translate."""
    data = json.loads((book / "01_data.ipynb").read_text(encoding="utf-8"))
    data["cells"].insert(1, {"cell_type": "code", "execution_count": None, "metadata": {"tags": ["parameters"]},
                             "outputs": [], "source": PARAMETERS.splitlines(keepends=True)})
    (book / "01_data.ipynb").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    zh.extract(book)
    return book / "zh" / "01_data.yml"


def test_the_parameters_cells_comments_are_translated_and_its_code_is_shared(book):
    yml = _with_parameters_cell(book)
    comments = zh.load_comments(yml)
    # a run of whole-line comments is one entry; a # inside a string is code, not a comment
    assert [c["en"] for c in comments] == ["Parameters (papermill). Quick values run in\nseconds on a CPU.",
                                           "a URL with a # in it", "None -> 48 if quick else 96"]
    zh.build(book)
    assert any("parameter comment 'Parameters (papermill)" in p and "untranslated" in p for p in zh.problems(book))
    for c, text in zip(comments, ["参数（papermill）。快速模式的取值\n在 CPU 上几秒钟跑完。", "带 # 的网址", "None -> 快速模式 48，否则 96"]):
        c["zh"] = text
    zh.save(yml, book / "01_data.ipynb", zh.load(yml), comments)
    zh.build(book)
    assert zh.problems(book) == []
    cell = next(c for c in cells_of(book / "zh" / "01_data.ipynb") if "parameters" in c["metadata"].get("tags", []))
    assert source(cell) == ('# 参数（papermill）。快速模式的取值\n# 在 CPU 上几秒钟跑完。\nquick = True\n'
                            'url = "http://x/#y"   # 带 # 的网址\ncrop = None  # None -> 快速模式 48，否则 96\n')
    # the code itself is still shared: a value changed in the Chinese notebook is caught
    chinese = book / "zh" / "01_data.ipynb"
    chinese.write_text(chinese.read_text(encoding="utf-8").replace("quick = True", "quick = False"), encoding="utf-8")
    assert any("code cell 2" in p and "differs from the English" in p for p in zh.problems(book))
    # an English comment that changes makes its translation stale, as a markdown cell's does
    english = book / "01_data.ipynb"
    english.write_text(english.read_text(encoding="utf-8").replace("if quick else 96", "if quick else 128"), encoding="utf-8")
    zh.build(book)
    assert any("its `comments` are not" in p for p in zh.problems(book))
