"""ci/check_book.py's page rules, each proven on a small hand-made page that breaks it.

The pages copy the markup jupyter-book / myst-nb give a chapter (an <article>, cells with
`.cell_input` and `.cell_output`, outputs as `.output.stream`, `.output.stderr`, ...) and are
measured by the checker's own code (check_page: the same JavaScript, in headless Chromium) as
the book job measures the real chapters. A well-formed page passes; each broken copy of it
fails on the rule it breaks, and on that rule only.

Each page is written as the book's are, book/<name>.html in the English edition and
zh/book/<name>.html in the Chinese one, with the book's own language switch
(book/_static/language-switch.js) and, unless a test leaves it out, its counterpart in the other
edition for the switch to lead to.
"""

import base64
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "ci"))

import check_book  # noqa: E402
from check_book import (COUNTED, MAX_CODE_LINES, MIN_NATURAL_WIDTH, ONE_TO_ONE_TAG, check_page,  # noqa: E402
                        edition_of, other_edition_url, small_figure)

HAVE_CHROMIUM = bool((shutil.which("chromium") or Path("/usr/bin/chromium").exists())
                     and (shutil.which("chromedriver") or Path("/usr/bin/chromedriver").exists()))
needs_chromium = pytest.mark.skipif(not HAVE_CHROMIUM, reason="chromium / chromedriver not installed "
                                    "(apt-get install chromium chromium-driver): the page rules run in the browser")
# What the book job installs for the Chinese pages (ci/book.sh); without it Chinese text is drawn as boxes.


def _have_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout
    return "Noto Sans CJK" in families


HAVE_CJK_FONT = _have_cjk_font()
needs_cjk_font = pytest.mark.skipif(not HAVE_CJK_FONT, reason="no Noto Sans CJK font (apt-get install fonts-noto-cjk)")
SWITCH_JS = REPO / "book" / "_static" / "language-switch.js"


def png_uri(width: int, height: int) -> str:
    """A data: URI of a PNG of this size (a gradient, so it is not blank)."""
    import numpy as np
    from PIL import Image

    ramp = np.linspace(0, 255, width, dtype=np.uint8)[None, :, None].repeat(height, axis=0).repeat(3, axis=2)
    buffer = io.BytesIO()
    Image.fromarray(ramp).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def figure(width: int = 400, height: int = 200, style: str = "") -> str:
    return f'<img alt="a figure" src="{png_uri(width, height)}" style="{style}">'


def cell(*outputs: str, code: str = "print('hello')", tags: tuple[str, ...] = ()) -> str:
    """A code cell as myst-nb renders it: input, then its outputs."""
    classes = " ".join(["cell", "docutils", "container"] + [f"tag_{t}" for t in tags])
    return (f'<div class="{classes}"><div class="cell_input docutils container"><div class="highlight"><pre>{code}'
            f'</pre></div></div><div class="cell_output docutils container">{"".join(outputs)}</div></div>')


def stream(text: str, kind: str = "stream") -> str:
    return f'<div class="output {kind} highlight-myst-ansi notranslate"><div class="highlight"><pre>{text}</pre></div></div>'


TABLE = ('<table class="table"><thead><tr><th>set</th><th class="text-right">PSNR</th></tr></thead>'
         '<tbody><tr><td>Set5</td><td class="text-right">28.43</td></tr></tbody></table>')
# What MathJax leaves in a .math element once it has typeset it (no MathJax is loaded on these pages).
TYPESET = '<span class="math notranslate nohighlight"><mjx-container class="MathJax">x²</mjx-container></span>'

GOOD_BODY = [
    "<h1>Chapter</h1>",
    f"<p>A sentence with typeset math {TYPESET}, a price of $5 and a path C:\\data.</p>",
    "<p>| a lone bar at the start of a sentence is fine</p>",
    cell(stream("line one\nline two\n| not | a table |"), code="print(x)  # \\begin{x} in code is not rendered TeX"),
    cell(f'<div class="output text_html">{TABLE}</div>'),
    cell(stream("before the figure"), f'<div class="output text_png">{figure()}</div>', stream("after the figure")),
    cell(f'<div class="output text_png">{figure(1200, 300, "width: 800px")}</div>'),  # 0.67x: still readable
    cell(f'<div class="output text_png">{figure(120, 60, "width: 30px")}</div>'),  # small images may be scaled
    cell(f'<div class="output text_png">{figure(200, 100)}</div>', tags=(ONE_TO_ONE_TAG,)),
    cell(code="\n".join(f"x{i} = {i}" for i in range(MAX_CODE_LINES)) + "\n"),  # at the limit, trailing newline
    cell(code="# Parameters\nquick = True", tags=("parameters",)),  # the chapter's own parameters cell
    # a code cell's long line wraps at the column (book.css); a table that fits its scrolling box
    cell(code="x = '" + "long " * 200 + "'").replace("<pre>", '<pre style="overflow-x: auto; width: 300px; white-space: pre-wrap; '
                                                         'overflow-wrap: anywhere">'),
    f'<div style="overflow-x: auto; width: 600px">{TABLE}</div>',
    "<p>Symbols a font has: α = 0.5, 2 × 10⁻³ − 1, 90 °, “quoted” — Ledig et al.</p>",
    # links: to another page of the book (the fixture's linked.html), a section of this page, and
    # another site (not followed)
    '<p id="links">See <a href="linked.html#a-section">the next chapter</a>, <a href="#links">this paragraph</a> and '
    '<a href="https://arxiv.org/abs/1609.04802">the paper</a>.</p>',
]


def page(body: list[str], title: str = "Chapter", lang: str = "en", switch: bool = True) -> str:
    """A page as Sphinx writes one at book/<name>.html: <html lang> and data-content_root (the
    edition's root, which the language switch reads), the switch's script unless `switch` is False."""
    script = '<script src="../_static/language-switch.js"></script>' if switch else ""
    return (f"<!DOCTYPE html><html lang='{lang}' data-content_root='../'><head><meta charset='utf-8'>"
            f"<title>{title}</title>{script}</head>"
            f"<body><main><article class='bd-article'>{''.join(body)}</article></main></body></html>")


@pytest.fixture(scope="module")
def browser():
    """(check, folder): check(name, body) writes a page, opens it in Chromium and returns check_page's result."""
    if not HAVE_CHROMIUM:
        pytest.skip("chromium / chromedriver not installed")
    pytest.importorskip("selenium", reason="selenium is in the dev and book extras")
    with tempfile.TemporaryDirectory(prefix="check-book-pages-") as folder, \
            tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        root = Path(folder)
        for edition_root in (root, root / "zh"):
            (edition_root / "_static").mkdir(parents=True)
            shutil.copy2(SWITCH_JS, edition_root / "_static" / SWITCH_JS.name)
            (edition_root / "book").mkdir()
            (edition_root / "book" / "linked.html").write_text(page(["<h1 id='a-section'>Linked</h1>"]), encoding="utf-8")
        server, base = check_book.serve(root)
        driver = check_book.start_chromium(profile)
        try:
            def check(name: str, body: list[str], title: str = "Chapter", shots: Path | None = None, edition: str = "en",
                      lang: str | None = None, switch: bool = True, counterpart: bool = True,
                      one_edition: bool = False) -> dict:
                """Write book/<name>.html of `edition` (and, with `counterpart`, the other edition's) and
                check it; `lang` overrides the edition's language, `one_edition` checks it as a book
                built in one edition only (no switch expected)."""
                langs = {"en": "en", "zh": "zh-CN"}
                other = "zh" if edition == "en" else "en"
                folder_of = {"en": root, "zh": root / "zh"}
                path = folder_of[edition] / "book" / f"{name}.html"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(page(body, title, lang or langs[edition], switch), encoding="utf-8")
                if counterpart:
                    twin = folder_of[other] / "book" / f"{name}.html"
                    twin.parent.mkdir(parents=True, exist_ok=True)
                    twin.write_text(page(["<h1>Chapter</h1>"], lang=langs[other]), encoding="utf-8")
                url = f"{base}/{'zh/' if edition == 'zh' else ''}book/{name}.html"
                return check_page(driver, url, shots=shots, edition=edition,
                                  switch_to="" if one_edition else other_edition_url(url, edition, base))
            yield check
        finally:
            driver.quit()
            server.shutdown()


def failing(result: dict) -> set[str]:
    return {kind for kind, n in result["counts"].items() if n}


@needs_chromium
def test_a_well_formed_page_passes(browser):
    result = browser("good", GOOD_BODY)
    assert result["problems"] == [] and set(result["counts"]) == set(COUNTED)
    assert result["figures"] == 4


BROKEN = {
    # kind: pages that break only that rule (each added to the good page)
    "pipe_tables": [
        # myst-nb's CommonMark renderer: one paragraph, soft line breaks, "---" typeset as an em dash
        "<p>| set | PSNR |\n|—|—:|\n| Set5 | 28.43 |</p>",
        "<p>| set | PSNR | |---|---:| | Set5 | 28.43 |</p>",  # one line
        # several | rows, no delimiter row (hard line breaks)
        "<p>| set | PSNR |<br>| Set5 | 28.43 |</p>",
        # a table printed instead of displayed
        cell(stream("| set | PSNR |\n|:---|---:|\n| Set5 | 28.43 |")),
    ],
    "split_outputs": [
        cell(stream("line one"), stream("line two")),
        cell(stream("a"), stream("b"), stream("c")),
    ],
    "raw_tex": [
        '<p>The loss <span class="math notranslate nohighlight">\\(l^{SR} = l_X + 10^{-3} l_{Gen}\\)</span>.</p>',
        '<div class="math notranslate nohighlight">\\[ l_{MSE} = \\frac{1}{r^2WH} \\]</div>',
        "<p>$$ l^{SR} = l^{SR}_X $$</p>",
        "<p>where \\begin{aligned} a &amp;= b \\end{aligned}</p>",
        "<p>the term $\\theta_G$ stays raw without dollarmath</p>",
        "<p>" + TYPESET.replace("x²", '<mjx-merror data-mjx-error="Undefined control sequence">x</mjx-merror>') + "</p>",
    ],
    "raw_markdown": [
        # CommonMark leaves ** open after punctuation when a letter follows: the Chinese edition's
        # "**颜色。**它的颜色偏移" showed its asterisks (reader s23)
        "<p>这些表格中有两点。**颜色。**它的颜色偏移在 Set14 上平均为 0.12 个灰度级。</p>",
        "<ul><li>**Texture.**Its texture is soft</li></ul>",
        "<p>a glued value that held `code` as text</p>",
    ],
    "clipped": [
        # a table wider than the scrolling box the theme wraps it in (its last columns are cut)
        '<div class="pst-scrollable-table-container" style="overflow-x: auto; width: 300px">'
        + TABLE.replace('<table class="table">', '<table class="table" style="width: 900px">') + "</div>",
        # crops shown 1:1 (book.css) in a cell output narrower than them
        cell(f'<div class="output text_png">{figure(400, 100)}</div>').replace(
            'class="cell_output docutils container"', 'class="cell_output docutils container" style="overflow-x: auto; width: 300px"'),
        # a command in the prose whose line runs past the column
        '<div class="highlight"><pre style="overflow-x: auto; width: 300px">srgan train ' + "--flag value " * 40 + "</pre></div>",
        # a code cell whose long line runs past the column (a reader sees half of a comment)
        cell(code="x = 1  # " + "a comment citing the paper " * 20).replace("<pre>", '<pre style="overflow-x: auto; width: 300px">'),
    ],
    "stderr": [cell(stream("UserWarning: something", kind="stderr"))],
    "errors": [
        cell('<div class="output traceback highlight-ipythontb notranslate"><pre>ValueError: bad</pre></div>'),
        cell(stream("Traceback (most recent call last):\n  File ...")),
    ],
    "small_figures": [
        cell(f'<div class="output text_png">{figure(1200, 400, "width: 500px")}</div>'),  # 0.42x
        cell(f'<div class="output text_png">{figure(200, 100, "width: 150px")}</div>', tags=(ONE_TO_ONE_TAG,)),
    ],
    "images_not_shown": [
        cell('<div class="output text_png"><img alt="missing" src="no_such_file.png"></div>'),
        cell(f'<div class="output text_png">{figure(style="display: none")}</div>'),
    ],
    "long_code_cells": [cell(code="\n".join(f"x{i} = {i}" for i in range(MAX_CODE_LINES + 1)))],
    "papermill_cells": [cell(code="# Parameters\nquick = True", tags=("injected-parameters",))],
    "console_errors": [
        "<script>console.error('something failed')</script>",
        "<script>no_such_function()</script>",  # an uncaught ReferenceError
        '<script src="no_such_script.js"></script>',  # a file that does not load (HTTP 404)
    ],
    "language_switch": [
        '<a class="language-switch" href="../zh/book/elsewhere.html">中文</a>',  # a second one, leading elsewhere
        "<style>a.language-switch { display: none; }</style>",  # there, but a reader cannot see it
    ],
    "missing_glyphs": [
        "<p>An ideograph of CJK extension I, which no installed font has: \U0002EBF0.</p>",
        "<p>A private-use character: \uE000</p>",
        # matplotlib's warning (in a stdout block here, so that the stderr rule stays out of it)
        cell(stream("UserWarning: Glyph 20013 (\\N{CJK UNIFIED IDEOGRAPH-4E2D}) missing from font(s) DejaVu Sans.")),
        cell(stream("no font with Chinese glyphs is installed, so figures would show empty boxes: install one")),
    ],
    "dead_links": [
        '<p>See <a href="no_such_chapter.html">chapter 9</a>.</p>',  # a page that is not there (HTTP 404)
        '<p>See <a href="good.ipynb">chapter 1</a>.</p>',  # a notebook link the build did not resolve
        '<p>See <a href="#no-such-section">the section</a>.</p>',  # a section this page lacks
    ],
}

# Pages that rightly break a second rule too: an image file that is not there is also a failed
# load in the browser's console.
ALSO = {("images_not_shown", 0): {"console_errors"}}


@needs_chromium
@pytest.mark.parametrize("kind,index", [(k, i) for k, pages in BROKEN.items() for i in range(len(pages))])
def test_each_rule_fails_on_a_page_made_to_break_it(browser, kind, index):
    result = browser(f"{kind}_{index}", GOOD_BODY + [BROKEN[kind][index]])
    assert failing(result) == {kind} | ALSO.get((kind, index), set()), result["problems"]
    assert result["counts"][kind] >= 1 and result["problems"]


@needs_chromium
def test_a_page_without_a_figure_or_title_fails(browser):
    no_figure = [part for part in GOOD_BODY if "<img" not in part]
    assert any("no visible figure" in p for p in browser("no_figure", no_figure)["problems"])
    untitled = browser("untitled", GOOD_BODY[1:], title="404 Not Found")
    assert any("no chapter title" in p for p in untitled["problems"])


def test_small_figure_thresholds():
    def img(natural, shown, one_to_one=False, output=True):
        return {"natural": [natural, 100], "shown": [shown, 50], "output": output, "one_to_one": one_to_one, "src": "x"}

    assert small_figure(img(1200, 1200 * 0.64)) is not None  # 10-pt text under 9 px
    assert small_figure(img(1200, 1200 * 0.65)) is None
    assert small_figure(img(MIN_NATURAL_WIDTH - 1, 10)) is None  # icons and thumbnails
    assert small_figure(img(2000, 100, output=False)) is None  # not a cell output (logos, badges)
    assert small_figure(img(100, 98)) is None and small_figure(img(100, 98, one_to_one=True)) is not None
    assert small_figure(img(100, 200, one_to_one=True)) is None  # enlarged is fine


@needs_chromium
def test_each_problem_is_photographed_where_it_occurs(browser, tmp_path):
    result = browser("shots", GOOD_BODY + [BROKEN["split_outputs"][0], BROKEN["small_figures"][0]], shots=tmp_path / "page")
    assert failing(result) == {"split_outputs", "small_figures"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page--small_figures.png", "page--split_outputs.png"]
    assert browser("good_no_shots", GOOD_BODY, shots=tmp_path / "good")["problems"] == []
    assert not list(tmp_path.glob("good*"))


# --- the two editions: language switch, language, Chinese text --------------------------------------
CHINESE_BODY = [part for part in GOOD_BODY] + [
    "<h2>生成器</h2><p>超分辨率生成对抗网络（SRGAN）的生成器：16 个残差块，两次亚像素卷积，每次放大 2 倍。"
    "「感知损失」＝内容损失＋10⁻³×对抗损失。</p>",
    cell(stream("第 400 步，27.07 dB；验证集 PSNR 提高了 0.3 dB")),
]


@needs_chromium
@needs_cjk_font
def test_a_chinese_page_passes_with_the_cjk_font(browser):
    result = browser("zh_good", CHINESE_BODY, edition="zh")
    assert result["problems"] == [], result["problems"]


@needs_chromium
def test_the_switch_leads_each_way(browser):
    # English -> zh/ and back, the book's own script on both sides (GOOD_BODY has no Chinese text)
    assert browser("switch_en", GOOD_BODY)["problems"] == []
    assert browser("switch_zh", GOOD_BODY, edition="zh")["problems"] == []


@needs_chromium
@pytest.mark.parametrize("case", ["no script", "no counterpart", "one edition"])
def test_a_missing_or_dead_switch_fails(browser, case):
    options = {"no script": {"switch": False}, "no counterpart": {"counterpart": False},
               "one edition": {"one_edition": True, "counterpart": False}}[case]
    result = browser(f"switch_{case.replace(' ', '_')}", GOOD_BODY, **options)
    assert failing(result) == {"language_switch"}, result["problems"]
    why = {"no script": "0 language switches", "no counterpart": "does not exist (HTTP 404)",
           "one edition": "edition that was not built"}[case]
    assert any(why in p for p in result["problems"]), result["problems"]


@needs_chromium
def test_a_single_edition_book_without_a_switch_passes(browser):
    assert browser("single", GOOD_BODY, switch=False, counterpart=False, one_edition=True)["problems"] == []


@needs_chromium
def test_a_page_in_the_wrong_language_fails(browser):
    german = browser("lang_de", GOOD_BODY, lang="de")  # the switch still works (not zh = English)
    assert failing(german) == {"language"}, german["problems"]
    # a Chinese page that says it is English: its switch then leads to zh/zh/..., which fails too
    english = browser("lang_zh_en", GOOD_BODY, edition="zh", lang="en")
    assert failing(english) == {"language", "language_switch"}, english["problems"]


def test_edition_of_and_other_edition_url():
    assert [edition_of(x) for x in ("en", "en-US", "zh-CN", "zh_CN", "ZH", "de", "")] == ["en", "en", "zh", "zh", "zh", None, None]
    base = "http://127.0.0.1:8000"
    assert other_edition_url(f"{base}/book/02_generator.html", "en", base) == f"{base}/zh/book/02_generator.html"
    assert other_edition_url(f"{base}/zh/book/02_generator.html", "zh", base) == f"{base}/book/02_generator.html"
    with pytest.raises(ValueError):
        other_edition_url(f"{base}/book/02_generator.html", "zh", base)


def test_a_term_the_search_index_lost_on_a_chapter_that_uses_it_is_reported(tmp_path):
    """Reader s24: 上采样, 网格惩罚 and 全局残差 found nothing or one page of several in the Chinese
    search (jieba had swallowed them into longer words): each dictionary term is checked against the
    chapters whose prose holds it and the pages the index lists."""
    import json

    from check_book import search_problems

    (tmp_path / "book").mkdir()
    page = '<html><nav><p>判别器</p></nav><article class="bd-article"><p>{}</p><pre>网格惩罚</pre></article></html>'
    (tmp_path / "book" / "a.html").write_text(page.format("上采样块把通道数放大，再加上双三次全局残差。"), encoding="utf-8")
    (tmp_path / "book" / "b.html").write_text(page.format("判别器的输出。"), encoding="utf-8")
    index = {"docnames": ["book/a", "book/b"], "terms": {"上采样": 0, "全局残差": [1]}, "titleterms": {"判别器": 1}}
    (tmp_path / "searchindex.js").write_text(f"Search.setIndex({json.dumps(index)})", encoding="utf-8")
    terms = tmp_path / "terms.txt"
    terms.write_text("上采样 1000 n\n全局残差 1000 n\n判别器 1000 n\n网格惩罚 1000 n\n", encoding="utf-8")
    # 上采样 is listed for a; 判别器 (b's title) is found; 网格惩罚 is only in code, 判别器 in a's navigation
    assert search_problems(tmp_path, terms) == ["search for 全局残差: finds 0 of the 1 chapters that use it"]
