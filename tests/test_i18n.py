"""srgan.i18n, the Chinese edition's figure and table text: the table, the translation of figure
text through matplotlib, the CJK font, and the warning the book's check relies on when a glyph
is missing (ci/check_book.py's missing_glyphs rule reads matplotlib's own message)."""

import io
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from srgan import i18n  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _have_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    return "Noto Sans CJK" in subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout


needs_cjk_font = pytest.mark.skipif(not _have_cjk_font(), reason="no Noto Sans CJK font (apt-get install fonts-noto-cjk)")


@pytest.fixture
def chinese():
    """set_language("zh") for one test; English and matplotlib's settings restored after it."""
    saved = matplotlib.rcParams.copy()
    yield i18n.set_language("zh")
    i18n.set_language("en")
    matplotlib.rcParams.update(saved)


def drawn_warnings(draw) -> list[str]:
    """The warnings matplotlib gives while `draw(ax)` is rendered to a PNG."""
    fig, ax = plt.subplots()
    try:
        draw(ax)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
    finally:
        plt.close(fig)
    return [str(w.message) for w in caught]


def test_table_keys_and_values_have_the_same_slots():
    for key, value in i18n.ZH.items():
        assert key.count("{}") == value.count("{}"), (key, value)
        assert value.strip() and value != key, key


def test_translate_whole_patterns_nested_and_line_by_line():
    assert i18n.translate("validation", "zh") == "验证集"
    assert i18n.translate("step 400, 27.07 dB", "zh") == "第 400 步，27.07 dB"  # the longer pattern wins over "step {}"
    assert i18n.translate("segment 2: bicubic", "zh") == "第 2 段：双三次插值"  # a slot that is itself an entry
    assert i18n.translate("bicubic\noriginal", "zh") == "双三次插值\n原图"
    assert i18n.translate("SRResNet", "zh") == "SRResNet" and i18n.translate("27.07 dB", "zh") == "27.07 dB"
    assert i18n.translate("validation") == "validation"  # the language is English unless set


def test_untranslated_english_is_listed_names_and_numbers_are_not(tmp_path, monkeypatch):
    listing = tmp_path / "untranslated.txt"
    monkeypatch.setenv("SRGAN_UNTRANSLATED", str(listing))
    for text in ("a caption nobody translated", "SRResNet", "Set14", "27.07 dB", "D(HR)", "two\nlines here"):
        i18n.translate(text, "zh")
    assert listing.read_text(encoding="utf-8").splitlines() == ["a caption nobody translated", "two", "lines here"]


def test_figure_text_goes_through_the_table_and_back(chinese):
    fig, ax = plt.subplots()
    try:
        ax.set_title("validation")
        ax.set_xlabel("step")
        line, = ax.plot([0, 1], label="bicubic")
        legend = ax.legend()
        assert (ax.get_title(), ax.get_xlabel()) == ("验证集", "步数")
        assert legend.get_texts()[0].get_text() == "双三次插值"
    finally:
        plt.close(fig)
    i18n.set_language("en")
    fig, ax = plt.subplots()
    try:
        ax.set_title("validation")
        assert ax.get_title() == "validation"
    finally:
        plt.close(fig)


@needs_cjk_font
def test_chinese_figures_have_every_glyph(chinese):
    assert chinese == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", "Noto Sans CJK SC"]  # Latin as in English

    def draw(ax):
        ax.set_title("{}: validation grids (dB: mean PSNR over the validation images)".format("SRResNet"))
        ax.set_xlabel("D updates")
        ax.set_ylabel("validation NIQE (lower = more natural)")
        ax.plot([1, 2], label="continued, fresh schedule")
        ax.legend()
    assert [m for m in drawn_warnings(draw) if "missing from" in m] == []


def test_a_missing_glyph_is_the_warning_the_book_check_reads():
    """Chinese text in a font without it: matplotlib warns, in the words ci/check_book.py looks for
    in the pages' outputs (its missing_glyphs rule; in a notebook the warning is a stderr output)."""
    sys.path.insert(0, str(REPO / "ci"))
    import check_book

    pattern = re.search(r"/(Glyph .*?)/i\.test\(line\)", check_book.MEASURE_JS).group(1).replace("\\\\", "\\")
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        messages = drawn_warnings(lambda ax: ax.set_title("验证集"))
    missing = [m for m in messages if "missing from" in m]
    assert missing and all(re.search(pattern, m, re.I) for m in missing), (pattern, messages)


@needs_cjk_font
def test_a_font_installed_after_matplotlibs_cache_is_found(monkeypatch):
    """matplotlib's font list was cached before the font was installed (AI Studio: apt-get install,
    kernel restart): cjk_font adds the system's unlisted font files and finds it."""
    cjk_files = {f.fname for f in font_manager.fontManager.ttflist if f.name in i18n.CJK_FONTS}
    if not cjk_files:
        i18n.cjk_font()  # this process's list predates the font (the case under test): let it find the files
        cjk_files = {f.fname for f in font_manager.fontManager.ttflist if f.name in i18n.CJK_FONTS}
    without = [f for f in font_manager.fontManager.ttflist if f.fname not in cjk_files]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", without)
    assert not {f.name for f in font_manager.fontManager.ttflist} & set(i18n.CJK_FONTS)
    assert i18n.cjk_font() == "Noto Sans CJK SC"
