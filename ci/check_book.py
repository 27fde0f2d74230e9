"""Open every chapter of the built book in headless Chromium and check what a reader would see.

Usage (after `jupyter-book build`):

    python ci/check_book.py [--html _build/book/html] [--editions en zh] [--screenshot _build/book/screenshot.png]

Both editions are checked: the English book in <html>/ and the Chinese one (中文版, ci/zh.py) in
<html>/zh/ with the same page paths (default: zh when <html>/zh/index.html exists). For each
chapter listed in _toc.yml, in each edition, the page is served from a local HTTP server on
127.0.0.1 and opened with Chromium through chromedriver (Debian packages `chromium` and
`chromium-driver`; Selenium drives them). Once its images have loaded and MathJax has finished,
a page passes when
  - it loads with the chapter's title (not a 404 page),
  - it shows at least one figure: an <img> in a cell output, loaded (naturalWidth > 0) and laid
    out with a non-zero size, and every other image in the article is loaded and visible too,
  - no figure is displayed far below its natural size: a cell-output image at least
    MIN_NATURAL_WIDTH (300) px wide must be shown at >= MIN_SHOWN_RATIO (0.65) of its width
    (below that matplotlib's 10-point text comes out under 9 screen pixels: draw it smaller or
    split it); images of a
    cell tagged `pixels-1to1` (crops meant to be compared pixel for pixel; book.css shows them
    unscaled) must be shown at >= 1:1 whatever their size,
  - it contains no error output (no traceback, no `output error` block) and no stderr block
    (log noise: Paddle's notices are silenced where the chapters run, see ci/execute_book.py),
  - no markdown pipe table is left as text: a paragraph starting with "|" that has a delimiter
    row ("|---|") or several "|" rows, or a printed output with a delimiter row (tables are
    rendered from text/markdown outputs as GitHub-flavoured markdown, see _config.yml),
  - no cell's printed output is split into several boxes (stream blocks next to each other),
  - nothing is cut at the column's edge: no table, figure, printed output, display equation or
    code block (a code cell, the package's source in an output, a command in the prose) is wider
    than the box that holds it (the reader sees part of it and its sideways scrollbar sits under
    it, often a screen further down; book.css wraps code at the column),
  - every equation is typeset by MathJax (served from the book itself, see ci/book.sh): no
    `.math` element without MathJax's output, no MathJax error, and no TeX ($$, \\(, \\[,
    \\begin{, $...\\command...$) in the visible text outside code,
  - no code cell is longer than MAX_CODE_LINES (30) lines, and papermill's injected-parameters
    cell is not shown (ci/execute_book.py hides it when it repeats the defaults),
  - its repository / launch buttons (links outside the article to GitHub, Colab, Binder, ...)
    point to the address given in $BOOK_REPOSITORY_URL, never to a placeholder; without that
    variable there must be none (the buttons are off, see _config.yml),
  - the browser's console has no error (a script that failed, a file that did not load),
  - it has one language switch (book/_static/language-switch.js), visible, and it leads to the
    same page of the other edition, which exists (HTTP 200); with one edition checked, none,
  - its language (<html lang>) is its edition's: en for the English pages, zh-* for the Chinese,
  - no glyph is missing: no text of the page (outside MathJax) is drawn as an empty box (tofu),
    and no cell output says matplotlib had no glyph ("Glyph ... missing from font(s)", a stderr
    warning) or srgan.i18n found no Chinese font. The tofu test draws each distinct non-ASCII
    character of the page on a canvas in the font its element uses and compares the pixels with
    those of a character no font has (U+10FFFD, private use): Chromium draws every missing glyph
    as the same box, so a match is a missing glyph. (`document.fonts.check` cannot tell: it
    answers true for any font that needs no loading, installed or not; comparing widths alone
    would mistake a real full-width glyph for a box of the same width.)
Pages are opened in a window of READER_WINDOW (1280 x 1000, a common laptop screen; the theme's
text column is 676 px wide there), where the size rules mean what a reader sees.
The search and index pages of each edition are opened too, for the switch, language, console
and glyph rules only (they have no chapter content).
A screenshot of every page (scrolled to its first figure) goes to <screenshot dir>/<chapter>.png
(<screenshot dir>/zh/<chapter>.png for the Chinese edition), the whole page, window by window as a
reader scrolls it, to <screenshot dir>/<chapter>/01.png, 02.png, ..., one of the first place of each kind
of problem to <chapter>--<kind>.png, and the page named by --screenshot-page (default: the
evaluation chapter, English) is copied to --screenshot.
Exit code 1 if any page fails. <html>/../browser_check.json holds, per page (zh/<chapter> for the
Chinese ones), the count of each kind of problem (`counts`: pipe_tables, split_outputs, clipped, raw_tex,
stderr, errors, small_figures, images_not_shown, long_code_cells, papermill_cells,
console_errors, language_switch, language, missing_glyphs), the problems themselves, and the totals.
"""

from __future__ import annotations

import argparse
import functools
import html as html_lib
import http.server
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute_book import REPO, chapters_from_toc  # noqa: E402

from srgan.atomic import write_json  # noqa: E402

# Thresholds of the figure-size rule (documented in the module docstring).
MIN_NATURAL_WIDTH = 300   # px: smaller images (icons, thumbnails) may be scaled freely
MIN_SHOWN_RATIO = 0.65    # displayed width / natural width below this: 10-pt text (14 px at 100 dpi) under 9 px
ONE_TO_ONE_TAG = "pixels-1to1"  # a cell tag: its images are meant to be seen pixel for pixel (>= 1:1)
MAX_CODE_LINES = 30       # longest code cell a reader is asked to read
READER_WINDOW = (1280, 1000)  # px: the browser window pages are measured in (a laptop screen)
EDITIONS = ("en", "zh")   # the English book at the site's root, the Chinese one in zh/ (ci/book.sh)

# Waits (asynchronously) until MathJax has typeset the page, or reports why it could not.
WAIT_FOR_MATHJAX_JS = """
const done = arguments[arguments.length - 1];
const start = Date.now();
function wait() {
  if (!document.querySelector('.math, script[type^="math/tex"]')) { done('no math'); return; }
  if (!window.MathJax && !document.querySelector('script[src*="mathjax" i]')) { done('no MathJax on the page'); return; }
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(() => done('typeset'), e => done('MathJax error: ' + e));
    return;
  }
  if (Date.now() - start > %d) { done('MathJax did not load'); return; }
  setTimeout(wait, 100);
}
wait();
"""

# Measured in the page, as a reader sees it: every image in the article (is it a cell output, is
# it loaded, its natural and laid-out size after scrolling it into view, so nothing lazy is
# skipped), error and stderr blocks, markdown pipe tables left as text, cells whose printed
# output is split into several boxes, TeX that MathJax did not typeset, links outside the article.
MEASURE_JS = """
const article = document.querySelector('article') || document.querySelector('main') || document.body;
const oneToOne = arguments[0];
// The first element of each kind of problem, for a screenshot of it (check_page's `shots`).
const where = {};
const mark = (kind, el) => { if (!where[kind]) where[kind] = el; };
const imgs = Array.from(article.querySelectorAll('img'));
const out = [];
for (const img of imgs) {
  img.scrollIntoView({block: 'center'});
  const r = img.getBoundingClientRect();
  out.push({src: (img.getAttribute('src') || '').slice(0, 80), complete: img.complete,
            natural: [img.naturalWidth, img.naturalHeight], shown: [r.width, r.height],
            output: !!img.closest('.cell_output, .output'), one_to_one: !!img.closest('.tag_' + oneToOne)});
}
const errors = Array.from(article.querySelectorAll('.output.traceback, .output.error, .traceback'))
  .map(e => e.innerText.slice(0, 300));
if (article.innerText.includes('Traceback (most recent call last)')) errors.push('text: Traceback (most recent call last)');
const stderr = Array.from(article.querySelectorAll('.output.stderr')).map(e => e.innerText.slice(0, 200));
article.querySelectorAll('.output.stderr').forEach(e => mark('stderr', e));
article.querySelectorAll('.output.traceback, .output.error, .traceback').forEach(e => mark('errors', e));

// Markdown pipe tables shown as text: a paragraph (or list item, quote) that starts with "|" and has a
// delimiter row or several "|" rows; or a printed output (stream, text/plain) with a delimiter row.
// textContent keeps the source's soft line breaks (innerText folds them, but has <br>s); the typographer may have
// turned "---" into an em dash, hence the dash class.
const delimiterCell = /\\|\\s*:?[-\u2013\u2014]+:?\\s*\\|/;
const delimiterRow = /^\\s*\\|?\\s*:?-{3,}:?\\s*(\\|\\s*:?-{3,}:?\\s*)+\\|?\\s*$/m;
const pipeTables = [];
for (const el of article.querySelectorAll('p, li, blockquote, dd')) {
  if (el.closest('table, pre, code')) continue;
  const text = el.textContent.trim();
  const pipeRows = t => t.split('\\n').filter(l => l.trim().startsWith('|')).length;
  const rows = Math.max(pipeRows(text), pipeRows(el.innerText));  // soft breaks, <br>
  if (text.startsWith('|') && (delimiterCell.test(text) || rows >= 2)) { pipeTables.push(text.slice(0, 120)); mark('pipe_tables', el); }
}
for (const el of article.querySelectorAll('.cell_output .output.stream, .cell_output .output.text_plain')) {
  if (delimiterRow.test(el.textContent)) { pipeTables.push('printed: ' + el.textContent.trim().slice(0, 120)); mark('pipe_tables', el); }
}

// One box per cell's printed output: two stream blocks next to each other in one cell's outputs.
const splits = [];
for (const cell of article.querySelectorAll('.cell_output')) {
  const kids = Array.from(cell.children);
  let boxes = 0;
  for (let i = 1; i < kids.length; i++) {
    if (kids[i].matches('.output.stream') && kids[i - 1].matches('.output.stream')) boxes++;
  }
  if (boxes) mark('split_outputs', cell);
  if (boxes) splits.push(`${boxes + 1} boxes: ` + (kids.find(k => k.matches('.output.stream')) || cell).innerText.trim().slice(0, 80));
}

// Content cut at the edge of its box: an element that clips or scrolls sideways (overflow-x not visible)
// whose content is wider than it, code included (a reader does not scroll what they do not know is
// there); MathJax's inline boxes and its hidden assistive MathML are its own business (a display
// equation's container is checked).
const clipped = [];
for (const el of article.querySelectorAll('*')) {
  if (el.closest('mjx-assistive-mml') || el.matches('span.math')) continue;
  const inMath = el.closest('mjx-container');
  if (inMath && !(el === inMath && el.getAttribute('display') === 'true')) continue;
  if (!['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX)) continue;
  if (el.scrollWidth <= el.clientWidth + 2 || !el.getClientRects().length) continue;  // 2 px for sub-pixel layout
  const what = el.querySelector('table') ? 'table' : el.querySelector('img') ? 'figure' : el.matches('mjx-container') ? 'equation'
             : el.closest('.cell_output') ? 'printed output' : el.tagName.toLowerCase();
  clipped.push(`${what} ${el.scrollWidth} px wide in a ${el.clientWidth} px box: ` + el.innerText.trim().replace(/\\s+/g, ' ').slice(0, 80));
  mark('clipped', el);
}

// TeX a reader would see raw: math elements MathJax left alone, MathJax errors, and TeX delimiters
// or environments in the visible text (code, typeset math and scripts excluded).
const rawTex = [], rawMarkdown = [];
for (const el of article.querySelectorAll('.math')) {
  if (!el.querySelector('mjx-container') && !el.closest('mjx-container')) { rawTex.push('not typeset: ' + el.textContent.trim().slice(0, 80)); mark('raw_tex', el); }
}
for (const el of article.querySelectorAll('mjx-merror, [data-mjx-error]')) {
  rawTex.push('MathJax error: ' + (el.getAttribute('data-mjx-error') || el.textContent).slice(0, 80)); mark('raw_tex', el);
}
const texPattern = /\\$\\$|\\\\\\(|\\\\\\[|\\\\begin\\{|\\\\end\\{|\\$(?!\\s)[^$]*\\\\[A-Za-z]+[^$]*\\$/;
const blocks = 'p, li, td, th, dt, dd, h1, h2, h3, h4, h5, h6, caption, figcaption';
const skipped = 'pre, code, script, style, textarea, mjx-container, .math, .cell_input';
for (const block of article.querySelectorAll(blocks)) {
  if (block.closest(skipped)) continue;
  // Only the block's own text: code, math and nested blocks (tested on their own) removed.
  const copy = block.cloneNode(true);
  copy.querySelectorAll(skipped + ', ' + blocks).forEach(e => e.remove());
  const text = copy.textContent;
  const m = text.match(texPattern);
  if (m) { rawTex.push('in text: ' + text.slice(Math.max(0, m.index - 40), m.index + 40).trim()); mark('raw_tex', block); }
  // Markdown a reader would see as typed: ** that did not close (CommonMark does not close "**粗体。**后"
  // after punctuation before a letter), or a pair of backticks that did not become code.
  const md = text.match(/\\*\\*\\S|\\S\\*\\*|`[^`\\n]+`/);
  if (md) { rawMarkdown.push(text.slice(Math.max(0, md.index - 40), md.index + 40).trim()); mark('raw_markdown', block); }
}

// Walls of code and papermill's noise: code cells longer than the limit, an injected-parameters cell.
const longCells = [];
for (const cell of article.querySelectorAll('.cell_input pre')) {
  const lines = cell.textContent.replace(/\\n+$/, '').split('\\n').length;
  if (lines > arguments[1]) { longCells.push(`${lines} lines: ` + cell.textContent.trim().split('\\n')[0].slice(0, 80)); mark('long_code_cells', cell); }
}
const injected = Array.from(article.querySelectorAll('.tag_injected-parameters')).map(c => c.textContent.trim().slice(0, 80));
article.querySelectorAll('.tag_injected-parameters').forEach(e => mark('papermill_cells', e));

// The language switch (book/_static/language-switch.js) and the page's declared language.
const switches = Array.from(document.querySelectorAll('a.language-switch')).map(a => {
  const r = a.getBoundingClientRect();
  return {href: a.href, text: a.textContent.trim(), visible: r.width > 0 && r.height > 0 && getComputedStyle(a).visibility !== 'hidden'};
});
document.querySelectorAll('a.language-switch').forEach(a => mark('language_switch', a));
const lang = document.documentElement.getAttribute('lang') || '';

// Missing glyphs. In the page's text (MathJax draws its own): each distinct non-ASCII character, drawn
// on a canvas in its element's font, against a character no font has (U+10FFFD), which Chromium draws
// as the same empty box as every other missing glyph: equal pixels = a box where a character should be.
// In the cell outputs: matplotlib's warning that a figure lacks a glyph, srgan.i18n's "no Chinese font".
const tofu = [];
{
  const drawn = {};
  const draw = (font, px, ch) => {
    const key = font + '\\u0000' + ch;
    if (!(key in drawn)) {
      const size = Math.ceil(2 * px) + 8;
      const c = document.createElement('canvas'); c.width = size; c.height = size;
      const g = c.getContext('2d'); g.font = font; g.textBaseline = 'top'; g.fillStyle = '#000';
      g.fillText(ch, 4, 4);
      drawn[key] = Array.from(g.getImageData(0, 0, size, size).data).join(',');
    }
    return drawn[key];
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const visibleChar = /[\\p{L}\\p{N}\\p{P}\\p{S}\\p{Co}]/u;  // letters, digits, punctuation, symbols, private use
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script, style, noscript, template, mjx-container, svg, .MathJax') || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    const px = parseFloat(style.fontSize) || 16;
    const font = `${style.fontStyle} ${style.fontWeight} ${px}px ${style.fontFamily}`;
    for (const ch of new Set(Array.from(node.textContent))) {
      if (ch.codePointAt(0) < 0x80 || !visibleChar.test(ch) || seen.has(font + ch)) continue;
      seen.add(font + ch);
      if (draw(font, px, ch) === draw(font, px, '\\u{10FFFD}')) {
        tofu.push(`U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')} ${ch} in ${style.fontFamily.slice(0, 60)}: ` +
                  node.textContent.trim().slice(0, 60));
        mark('missing_glyphs', el);
      }
    }
  }
}
const glyphWarnings = [];
for (const el of article.querySelectorAll('.cell_output, .output')) {
  if (el.parentElement && el.parentElement.closest('.cell_output, .output')) continue;
  for (const line of el.innerText.split('\\n')) {
    if (/Glyph \\d+ .*missing from (current )?font|no font with Chinese glyphs/i.test(line)) {
      glyphWarnings.push(line.trim().slice(0, 160)); mark('missing_glyphs', el);
    }
  }
}

const outside = Array.from(document.querySelectorAll('a[href]')).filter(a => !article.contains(a)).map(a => a.href);
// Links in the text to this book (chapters, sections): where each leads, and for a link into this
// page, whether its target is there. Links to other sites are not followed (no internet in CI).
const inside = [];
for (const a of article.querySelectorAll('a[href]:not(.language-switch)')) {  // the switch has its own rule
  const url = new URL(a.href, document.baseURI);
  if (url.origin !== location.origin) continue;
  const samePage = url.pathname === location.pathname;
  const target = url.hash ? decodeURIComponent(url.hash.slice(1)) : '';
  inside.push({href: url.origin + url.pathname, text: a.textContent.trim().slice(0, 60), same_page: samePage,
               target_found: !samePage || !target || !!document.getElementById(target)});
  mark('dead_links', a);
}
// Leave the first figure in view for the screenshot (the page top is only code).
const first = imgs.find(i => i.closest('.cell_output, .output'));
if (first) { first.scrollIntoView({block: 'center'}); } else { window.scrollTo(0, 0); }
return {title: document.title, images: out, image_elements: imgs, where: where, errors: errors, stderr: stderr, links: outside, inside_links: inside,
        pipe_tables: pipeTables, split_outputs: splits, clipped: clipped, raw_tex: rawTex, raw_markdown: rawMarkdown,
        long_code_cells: longCells, papermill_cells: injected,
        switches: switches, lang: lang, tofu: tofu, glyph_warnings: glyphWarnings,
        h1: (article.querySelector('h1') || {innerText: ''}).innerText};
"""

# The problems counted on every page (browser_check.json: results.<page>.counts), and what each means.
COUNTED = ("pipe_tables", "split_outputs", "clipped", "raw_tex", "raw_markdown", "stderr", "errors", "small_figures", "images_not_shown",
           "long_code_cells", "papermill_cells", "console_errors", "language_switch", "language", "missing_glyphs",
           "dead_links")
RULES = {
    "pipe_tables": "a markdown pipe table shown as text: a paragraph starting with | with a delimiter row or several "
                   "| rows, or a printed output with a delimiter row",
    "split_outputs": "a cell whose printed output is split into several boxes (stream blocks next to each other)",
    "clipped": "a table, figure, printed output, display equation or code (a cell, shown source, a command) wider than its box (cut at the "
               f"column's edge, seen only by scrolling sideways) in a {READER_WINDOW[0]} x {READER_WINDOW[1]} window",
    "raw_tex": "math MathJax did not typeset (a .math element without mjx-container, a MathJax error) or TeX "
               "($$, \\(, \\[, \\begin{, $..\\cmd..$) in the visible text",
    "raw_markdown": "markdown shown as typed in the visible text: ** that did not become bold (CommonMark does not "
                    "close ** after punctuation when a letter follows, as in Chinese '**粗体。**后文'), or `code` "
                    "that did not become code",
    "stderr": "a stderr block",
    "errors": "an error output or a traceback",
    "small_figures": f"a cell-output image >= {MIN_NATURAL_WIDTH} px wide shown below {MIN_SHOWN_RATIO} of its width, "
                     f"or one in a cell tagged {ONE_TO_ONE_TAG} shown below 1:1",
    "images_not_shown": "an image that did not load or has no size on the page",
    "long_code_cells": f"a code cell of more than {MAX_CODE_LINES} lines (a wall the reader scrolls past; "
                       "machinery belongs in the package)",
    "papermill_cells": "papermill's injected-parameters cell shown on the page",
    "console_errors": "an error in the browser's console (a script error, a file that did not load)",
    "language_switch": "no visible language switch (English <-> 中文), more than one, or one that does not lead to the "
                       "same page of the other edition, existing; with one edition built, a switch at all",
    "language": "the page's <html lang> is not its edition's (en, or zh-* for the Chinese edition)",
    "missing_glyphs": "a character of the page drawn as an empty box (no font has its glyph), or a cell output saying "
                      "a figure lacks glyphs (matplotlib's 'Glyph ... missing from font(s)') or that no Chinese font "
                      "is installed",
    "dead_links": "a link in the text to this book that leads nowhere: a page that does not answer, a source file "
                  "(.ipynb, .md) the build did not turn into a page, or a section of the page that is not there",
}


# Hosts that repository / launch buttons point to, and addresses that are placeholders.
BUTTON_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "colab.research.google.com", "mybinder.org", "deepnote.com")
PLACEHOLDERS = ("github.com/srgan-paddle/srgan-paddle", "github.com/executablebooks/jupyter-book", "<owner>", "example.com",
                "example.org")


def button_problems(links: list[str], repository_url: str | None) -> list[str]:
    """Problems with the buttons among `links` (hrefs outside the article) for the configured address."""
    from urllib.parse import urlparse

    repository_url = (repository_url or "").strip().rstrip("/")
    buttons = [href for href in links if urlparse(href).hostname and any(
        urlparse(href).hostname == host or urlparse(href).hostname.endswith("." + host) for host in BUTTON_HOSTS)]
    problems = [f"button points to a placeholder: {href}" for href in buttons if any(p in href for p in PLACEHOLDERS)]
    if repository_url and any(p in repository_url for p in PLACEHOLDERS):
        problems.append(f"BOOK_REPOSITORY_URL is a placeholder: {repository_url}")
    if not repository_url:
        problems += [f"button without a configured repository (BOOK_REPOSITORY_URL unset): {href}" for href in buttons
                     if not any(p in href for p in PLACEHOLDERS)]
    else:
        path = urlparse(repository_url).path.strip("/")
        problems += [f"button points elsewhere than {repository_url}: {href}" for href in buttons
                     if path not in href and not any(p in href for p in PLACEHOLDERS)]
    return problems


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve `folder` on 127.0.0.1 (a free port) in a daemon thread; return the server and its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the CI log readable
        pass


def save_page_slices(driver, folder: Path) -> int:
    """The whole page as a reader scrolls it: one screenshot per window height, top to bottom,
    as <folder>/01.png, 02.png, ... (the page's own screenshot shows its first figure only).
    Earlier slices in `folder` (this check wrote them) are replaced. Returns the count."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("[0-9][0-9].png"):
        old.unlink()
    height = driver.execute_script("return document.documentElement.scrollHeight")
    window = driver.execute_script("return window.innerHeight") or 800
    count = 0
    for count, top in enumerate(range(0, max(height, 1), window), start=1):
        if count > 99:  # a page 99 windows long is a problem of its own; the check counts it elsewhere
            break
        driver.execute_script(f"window.scrollTo(0, {top})")
        driver.save_screenshot(str(folder / f"{count:02d}.png"))
    return count


def start_chromium(profile_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--window-size={READER_WINDOW[0]},{READER_WINDOW[1]}", f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for its errors (measure_page)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not Path(driver_path).exists() or not Path(options.binary_location).exists():
        raise SystemExit("chromium / chromedriver not found: apt-get install -y chromium chromium-driver")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    return driver


def measure_page(driver, url: str, mathjax_timeout: float = 20.0) -> dict:
    """Open `url` and return what MEASURE_JS sees once the page, its images and MathJax are done."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drained: what the console says from here on is this page's
    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    # Wait until every image has finished loading (or failed), at most 30 s.
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return Array.from(document.images).every(i => i.complete)"))
    driver.set_script_timeout(mathjax_timeout + 10)
    mathjax = driver.execute_async_script(WAIT_FOR_MATHJAX_JS % int(mathjax_timeout * 1000))
    page = driver.execute_script(MEASURE_JS, ONE_TO_ONE_TAG, MAX_CODE_LINES)
    page["mathjax"] = mathjax
    # Errors only (SEVERE: console.error, uncaught exceptions, files that failed to load); warnings
    # and info are the libraries' business. /favicon.ico is the browser's own request (the book has
    # no icon), not something a page asked for.
    page["console"] = [entry["message"][:300] for entry in driver.get_log("browser")
                       if entry.get("level") == "SEVERE" and "/favicon.ico " not in entry["message"]]
    page["switch_status"] = {s["href"]: http_status(s["href"]) for s in page["switches"]}
    page["link_status"] = {link["href"]: http_status(link["href"]) for link in page["inside_links"]
                           if not link["same_page"]}
    return page


def dead_links(page: dict) -> list[str]:
    """Links in the text that lead nowhere: another page of the book that does not answer, a source
    file the build left unconverted (.ipynb, .md: the reader would get the raw file), a section of
    this page that is not there."""
    dead = []
    for link in page.get("inside_links", []):
        href, text = link["href"], link["text"]
        if href.endswith((".ipynb", ".md")):
            dead.append(f"link {text!r} leads to a source file, not a page: {href}")
        elif not link["same_page"] and page.get("link_status", {}).get(href) != 200:
            dead.append(f"link {text!r} leads nowhere (HTTP {page.get('link_status', {}).get(href)}): {href}")
        elif not link["target_found"]:
            dead.append(f"link {text!r} leads to a section this page does not have: {href}")
    return dead


def http_status(url: str) -> int:
    """The HTTP status of a HEAD request to `url` (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError, ValueError):
        return 0


def edition_of(lang: str) -> str | None:
    """The edition ("en" or "zh") an <html lang> value declares, or None."""
    lang = lang.strip().lower()
    return next((e for e in EDITIONS if lang == e or lang.startswith(e + "-") or lang.startswith(e + "_")), None)


def other_edition_url(url: str, edition: str, base: str) -> str:
    """The address of the same page in the other edition: the English book at `base`, the Chinese
    one at `base`/zh (what language-switch.js links to)."""
    path = url[len(base):].lstrip("/")
    if edition == "zh":
        if not path.startswith("zh/"):
            raise ValueError(f"{url} is not a page of the Chinese edition under {base}/zh/")
        return f"{base}/{path[len('zh/'):]}"
    return f"{base}/zh/{path}"


def language_problems(page: dict, edition: str | None, switch_to: str | None) -> dict[str, list[str]]:
    """The language rules of one measured page: its switch and its <html lang>.

    Args:
        page: what measure_page returned (`switches`, `switch_status`, `lang`).
        edition: the page's edition ("en" or "zh"); None leaves both rules unchecked.
        switch_to: the address the switch must lead to (the same page in the other edition), or
            "" when only one edition is built (then the page must have no switch).
    """
    found: dict[str, list[str]] = {"language_switch": [], "language": []}
    if edition is None:
        return found
    switches = page["switches"]
    if switch_to == "":
        found["language_switch"] += [f"language switch to an edition that was not built: {s['href']}" for s in switches]
    elif switch_to is not None:
        if len(switches) != 1:
            found["language_switch"].append(f"{len(switches)} language switches (a.language-switch), expected one")
        for switch in switches:
            status = page.get("switch_status", {}).get(switch["href"])
            if switch["href"] != switch_to:
                found["language_switch"].append(f"language switch leads to {switch['href']}, not {switch_to}")
            elif status != 200:
                found["language_switch"].append(f"language switch leads to a page that does not exist (HTTP {status}): "
                                                f"{switch['href']}")
            if not switch["visible"]:
                found["language_switch"].append(f"language switch not visible: {switch['text']!r}")
    if edition_of(page["lang"]) != edition:
        found["language"].append(f"<html lang={page['lang']!r}>, but this page is in the {edition} edition")
    return found


def small_figure(img: dict) -> str | None:
    """Why a cell-output image is displayed too small for a reader, or None.

    An image of at least MIN_NATURAL_WIDTH px shown at less than MIN_SHOWN_RATIO of its width
    (the page scaled it down to fit: its text and details are unreadable); an image in a cell
    tagged ONE_TO_ONE_TAG (crops meant to be compared pixel for pixel) shown below 1:1 at any size.
    """
    natural, shown = img["natural"][0], img["shown"][0]
    if not img["output"] or natural <= 0 or shown <= 0:
        return None  # not a figure, or not shown at all (its own rule)
    ratio = shown / natural
    if img.get("one_to_one") and ratio < 0.99:  # 1 % for sub-pixel layout
        return f"shown at {ratio:.2f}:1, below the 1:1 its cell asks for ({ONE_TO_ONE_TAG}): {img['src']}"
    if natural >= MIN_NATURAL_WIDTH and ratio < MIN_SHOWN_RATIO:
        return f"{natural} px wide, shown at {shown:.0f} px ({ratio:.2f}x, below {MIN_SHOWN_RATIO}): {img['src']}"
    return None


def page_problems(page: dict, repository_url: str | None = None, edition: str | None = None,
                  switch_to: str | None = None, chapter: bool = True) -> tuple[list[str], dict[str, int]]:
    """The problems of one measured page, and how many of each counted kind (COUNTED).

    Args:
        page: what measure_page returned.
        repository_url: the address the repository / launch buttons must point to (None: no buttons).
        edition, switch_to: the language rules (see language_problems).
        chapter: False for a page that is not a chapter (search, index): no title or figure needed.
    """
    problems = []
    if chapter and ("404" in page["title"] or not page["h1"].strip()):
        problems.append(f"no chapter title (page title {page['title']!r})")
    figures = [i for i in page["images"] if i["output"]]
    good = [i for i in figures if i["natural"][0] > 0 and i["shown"][0] > 0 and i["shown"][1] > 0]
    if chapter and not good:
        problems.append(f"no visible figure in the cell outputs ({len(figures)} output image(s) found)")
    not_shown = [f"image not shown: {img['src']} natural={img['natural']} shown={img['shown']}"
                 for img in page["images"] if img["natural"][0] == 0 or img["shown"][0] == 0 or img["shown"][1] == 0]
    small = [f"small figure: {why}" for why in map(small_figure, page["images"]) if why]
    found = {
        "pipe_tables": [f"pipe table as text: {t!r}" for t in page["pipe_tables"]],
        "split_outputs": [f"printed output split: {t!r}" for t in page["split_outputs"]],
        "clipped": [f"cut at the edge: {t}" for t in page["clipped"]],
        "raw_tex": [f"raw TeX ({page.get('mathjax', '?')}): {t!r}" for t in page["raw_tex"]],
        "raw_markdown": [f"markdown shown as typed: {t!r}" for t in page.get("raw_markdown", [])],
        "stderr": [f"stderr output (log noise): {e!r}" for e in page["stderr"]],
        "errors": [f"error output: {e}" for e in page["errors"]],
        "small_figures": small,
        "images_not_shown": not_shown,
        "long_code_cells": [f"code cell over {MAX_CODE_LINES} lines: {t!r}" for t in page["long_code_cells"]],
        "papermill_cells": [f"papermill's injected-parameters cell is shown: {t!r}" for t in page["papermill_cells"]],
        "console_errors": [f"console error: {m}" for m in page.get("console", [])],
        **language_problems(page, edition, switch_to),
        "missing_glyphs": [f"missing glyph (drawn as a box): {t}" for t in page["tofu"]]
                          + [f"missing glyphs in a figure: {t!r}" for t in page["glyph_warnings"]],
        "dead_links": dead_links(page),
    }
    for kind in COUNTED:
        problems += found[kind]
    problems += button_problems(page["links"], repository_url)
    return problems, {kind: len(found[kind]) for kind in COUNTED}


def check_page(driver, url: str, repository_url: str | None = None, shots: Path | None = None,
               edition: str | None = None, switch_to: str | None = None, chapter: bool = True) -> dict:
    """Open one page and check it: {url, title, figures, images, counts, problems, figure_widths}
    (figure_widths: [natural px, shown px, shown / natural] of each cell-output image).

    With `shots` (a path prefix), each kind of problem found is also photographed where it first
    occurs, as <shots>--<kind>.png, so it can be seen without searching the page for it.
    `edition`, `switch_to` and `chapter` are page_problems'.
    """
    page = measure_page(driver, url)
    problems, counts = page_problems(page, repository_url, edition=edition, switch_to=switch_to, chapter=chapter)
    figures = sum(1 for i in page["images"] if i["output"] and i["natural"][0] > 0 and i["shown"][0] > 0)
    if shots is not None and any(counts.values()):
        where = dict(page["where"])
        for kind, test in (("small_figures", small_figure), ("images_not_shown", lambda i: i["natural"][0] == 0
                                                            or i["shown"][0] == 0 or i["shown"][1] == 0)):
            bad = [el for img, el in zip(page["images"], page["image_elements"]) if test(img)]
            if bad:
                where[kind] = bad[0]
        for kind, element in where.items():
            if not counts.get(kind):  # marked but not a problem (the language switch is marked wherever it is)
                continue
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
            driver.save_screenshot(f"{shots}--{kind}.png")
        driver.execute_script(  # back to the first figure, for the page's own screenshot
            "const f = document.querySelector('.cell_output img, .output img'); if (f) f.scrollIntoView({block: 'center'});")
    sizes = [[img["natural"][0], round(img["shown"][0]), round(img["shown"][0] / img["natural"][0], 2)]
             for img in page["images"] if img["output"] and img["natural"][0] > 0]
    return {"url": url, "title": page["title"], "figures": figures, "images": len(page["images"]),
            "counts": counts, "problems": problems, "figure_widths": sizes}


def other_pages(html: Path) -> list[str]:
    """The pages of one edition's build that are not chapters but a reader reaches (search, index),
    relative to `html`, without the redirect pages (index.html) and the other edition's folder."""
    pages = []
    for path in sorted(html.glob("*.html")):
        text = path.read_text(encoding="utf-8", errors="replace")[:4000]
        if 'http-equiv="Refresh"' in text or "http-equiv='Refresh'" in text:
            continue  # a redirect to the first chapter (index.html)
        pages.append(path.stem)
    return pages


SEARCH_TERMS = REPO / "ci" / "zh_search_terms.txt"  # the Chinese book's terms (ci/zh.py gives them to jieba)


def _prose_text(page: Path) -> str:
    """The text of a page's prose: its article's headings, paragraphs and list items (not the
    navigation, code, outputs or tables, which the search index does not hold either)."""
    text = page.read_text(encoding="utf-8")
    article = re.search(r"<article\b.*?</article>", text, re.S | re.I)
    text = re.sub(r"<(script|style|pre)\b.*?</\1>", " ", article.group(0) if article else text, flags=re.S | re.I)
    text = re.sub(r'<div class="[^"]*cell_output.*?</div>\s*</div>', " ", text, flags=re.S)
    parts = re.findall(r"<(p|li|h[1-6])\b[^>]*>(.*?)</\1>", text, re.S | re.I)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", body)) for _, body in parts)


def search_problems(root: Path, terms_file: Path = SEARCH_TERMS) -> list[str]:
    """The book's own terms that its search does not find on every chapter that uses them: each
    word of the Chinese edition's user dictionary, against the pages of `root` whose text holds it
    and the pages its search index lists for it. (The browser does not split a query into words:
    a term the index split or swallowed into a longer word finds nothing, reader s24.)"""
    index_file = root / "searchindex.js"
    if not index_file.is_file() or not terms_file.is_file():
        return []
    raw = index_file.read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1:raw.rindex(")")])
    texts = {i: _prose_text(root / f"{name}.html") for i, name in enumerate(index["docnames"])
             if (root / f"{name}.html").is_file() and name.startswith("book/")}
    out = []
    for line in terms_file.read_text(encoding="utf-8").splitlines():
        term = line.split()[0] if line.strip() else ""
        using = {i for i, text in texts.items() if term and term in text}
        found = set()
        for table in ("terms", "titleterms"):  # the search page looks in both
            listed = index.get(table, {}).get(term, [])
            found |= set(listed) if isinstance(listed, list) else {listed}
        if using - found:
            out.append(f"search for {term}: finds {len(using & found)} of the {len(using)} chapters that use it")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "book" / "html", help="the built HTML book")
    parser.add_argument("--editions", nargs="+", choices=EDITIONS, default=None,
                        help="the editions to check (default: en, and zh when <html>/zh/index.html exists)")
    parser.add_argument("--screenshot", type=Path, default=None, help="where to copy the main screenshot "
                        "(default: <html>/../screenshot.png)")
    parser.add_argument("--screenshot-page", default="07_evaluation", help="chapter whose screenshot is the main one")
    args = parser.parse_args(argv)

    html = args.html.resolve()
    if not (html / "index.html").is_file():
        raise SystemExit(f"{html}: no index.html; build the book first (bash ci/book.sh)")
    editions = args.editions or ["en"] + (["zh"] if (html / "zh" / "index.html").is_file() else [])
    shots = html.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for old in [*shots.glob("*--*.png"), *shots.glob("zh/*--*.png")]:  # problem shots of an earlier check (this command wrote them)
        old.unlink()
    main_shot = (args.screenshot or html.parent / "screenshot.png").resolve()

    server, base = serve(html)
    results = {}
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        driver = start_chromium(profile)
        try:
            print(f"browser check: {driver.capabilities.get('browserName')} "
                  f"{driver.capabilities.get('browserVersion')} on {base}, editions {' '.join(editions)}", flush=True)
            for edition in editions:
                root = html if edition == "en" else html / edition
                prefix = "" if edition == "en" else f"{edition}/"
                (shots / prefix).mkdir(parents=True, exist_ok=True)
                pages = [(c, True) for c in chapters_from_toc(REPO / "_toc.yml")]
                pages += [(p, False) for p in other_pages(root)] if (root / "index.html").is_file() else []
                for page, chapter in pages:
                    name = prefix + Path(page).name
                    url = f"{base}/{prefix}{page}.html"
                    switch_to = other_edition_url(url, edition, base) if len(editions) > 1 else ""
                    page_file = root / f"{page}.html"
                    if not page_file.is_file():
                        results[name] = {"url": str(page_file), "figures": 0, "images": 0, "problems": ["page missing from the build"]}
                    else:
                        try:
                            results[name] = check_page(driver, url, os.environ.get("BOOK_REPOSITORY_URL"),
                                                       shots=shots / name, edition=edition, switch_to=switch_to,
                                                       chapter=chapter)
                        except Exception as e:  # a page that hangs or crashes the renderer is a failure, not a crash of the check
                            results[name] = {"url": url, "figures": 0, "images": 0,
                                             "problems": [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]}
                        driver.save_screenshot(str(shots / f"{name}.png"))
                        results[name]["slices"] = save_page_slices(driver, shots / name)
                    r = results[name]
                    status = "ok  " if not r["problems"] else "FAIL"
                    counts = " ".join(f"{kind}={n}" for kind, n in r.get("counts", {}).items() if n)
                    print(f"{status} {name:<21} figures={r['figures']:<3} images={r['images']:<3} {counts}"
                          + ("" if not r["problems"] else "\n       " + "\n       ".join(r["problems"][:8])), flush=True)
        finally:
            driver.quit()
            server.shutdown()

    chosen = shots / f"{args.screenshot_page}.png"
    if not chosen.is_file():
        chosen = next(iter(sorted(shots.glob("*.png"))), None)
    if chosen is not None:
        main_shot.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(chosen, main_shot)
    if "zh" in editions:  # the search index, read as the search page reads it
        found = search_problems(html / "zh")
        results["zh/search index"] = {"url": str(html / "zh" / "searchindex.js"), "figures": 0, "images": 0, "problems": found}
        print(("FAIL" if found else "ok  ") + " zh/search index (the book's terms)" + ("\n       " + "\n       ".join(found) if found else ""))
    failed = [n for n, r in results.items() if r["problems"]]
    totals = {kind: sum(r.get("counts", {}).get(kind, 0) for r in results.values()) for kind in COUNTED}
    summary = {"pages": len(results), "editions": editions, "failed": failed, "totals": totals,
               "screenshot": str(main_shot), "rules": RULES, "results": results}
    write_json(html.parent / "browser_check.json", summary)
    print("browser check totals: " + ", ".join(f"{kind} {n}" for kind, n in totals.items()))
    print(f"browser check: {len(results) - len(failed)}/{len(results)} pages ok; screenshot {main_shot}; "
          f"details in {html.parent / 'browser_check.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
