"""Open every chapter of the built book in headless Chromium and check what a reader would see.

Usage (after `jupyter-book build`):

    python ci/check_book.py [--html _build/book/html] [--screenshot _build/book/screenshot.png]

For each chapter listed in _toc.yml the page is served from a local HTTP server on 127.0.0.1
and opened with Chromium through chromedriver (Debian packages `chromium` and
`chromium-driver`; Selenium drives them). A page passes when
  - it loads with the chapter's title (not a 404 page),
  - it shows at least one figure: an <img> in a cell output, loaded (naturalWidth > 0) and laid
    out with a non-zero size, and every other image in the article is loaded and visible too,
  - it contains no error output (no traceback, no `output error` block) and no stderr block
    (log noise: Paddle's notices are silenced where the chapters run, see ci/execute_book.py),
  - its repository / launch buttons (links outside the article to GitHub, Colab, Binder, ...)
    point to the address given in $BOOK_REPOSITORY_URL, never to a placeholder; without that
    variable there must be none (the buttons are off, see _config.yml).
A screenshot of every page (scrolled to its first figure) goes to <screenshot dir>/<chapter>.png,
and the one named by
--screenshot (default: the evaluation chapter) is copied to that path. Exit code 1 if any
page fails; the result is also written to <html>/../browser_check.json.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute_book import REPO, chapters_from_toc  # noqa: E402

# Measured in the page: every image in the article, whether it is a cell output (a figure), its
# load state and its laid-out size (after scrolling it into view, so nothing lazy is skipped).
MEASURE_JS = """
const article = document.querySelector('article') || document.querySelector('main') || document.body;
const imgs = Array.from(article.querySelectorAll('img'));
const out = [];
for (const img of imgs) {
  img.scrollIntoView({block: 'center'});
  const r = img.getBoundingClientRect();
  out.push({src: (img.getAttribute('src') || '').slice(0, 80), complete: img.complete,
            natural: [img.naturalWidth, img.naturalHeight], shown: [r.width, r.height],
            output: !!img.closest('.cell_output, .output')});
}
const errors = Array.from(article.querySelectorAll('.output.traceback, .output.error, .traceback'))
  .map(e => e.innerText.slice(0, 300));
if (article.innerText.includes('Traceback (most recent call last)')) errors.push('text: Traceback (most recent call last)');
const stderr = Array.from(article.querySelectorAll('.output.stderr')).map(e => e.innerText.slice(0, 200));
const outside = Array.from(document.querySelectorAll('a[href]')).filter(a => !article.contains(a)).map(a => a.href);
// Leave the first figure in view for the screenshot (the page top is only code).
const first = imgs.find(i => i.closest('.cell_output, .output'));
if (first) { first.scrollIntoView({block: 'center'}); } else { window.scrollTo(0, 0); }
return {title: document.title, images: out, errors: errors, stderr: stderr, links: outside,
        h1: (article.querySelector('h1') || {innerText: ''}).innerText};
"""


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


def start_chromium(profile_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1600,1300", f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not Path(driver_path).exists() or not Path(options.binary_location).exists():
        raise SystemExit("chromium / chromedriver not found: apt-get install -y chromium chromium-driver")
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    return driver


def check_page(driver, url: str, repository_url: str | None = None) -> dict:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    # Wait until every image has finished loading (or failed), at most 30 s.
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return Array.from(document.images).every(i => i.complete)"))
    page = driver.execute_script(MEASURE_JS)
    problems = []
    if "404" in page["title"] or not page["h1"].strip():
        problems.append(f"no chapter title (page title {page['title']!r})")
    figures = [i for i in page["images"] if i["output"]]
    good = [i for i in figures if i["natural"][0] > 0 and i["shown"][0] > 0 and i["shown"][1] > 0]
    if not good:
        problems.append(f"no visible figure in the cell outputs ({len(figures)} output image(s) found)")
    for img in page["images"]:
        if img["natural"][0] == 0 or img["shown"][0] == 0 or img["shown"][1] == 0:
            problems.append(f"image not shown: {img['src']} natural={img['natural']} shown={img['shown']}")
    problems += [f"error output: {e}" for e in page["errors"]]
    problems += [f"stderr output (log noise): {e!r}" for e in page["stderr"]]
    problems += button_problems(page["links"], repository_url)
    return {"url": url, "title": page["title"], "figures": len(good), "images": len(page["images"]), "problems": problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "book" / "html", help="the built HTML book")
    parser.add_argument("--screenshot", type=Path, default=None, help="where to copy the main screenshot "
                        "(default: <html>/../screenshot.png)")
    parser.add_argument("--screenshot-page", default="07_evaluation", help="chapter whose screenshot is the main one")
    args = parser.parse_args(argv)

    html = args.html.resolve()
    if not (html / "index.html").is_file():
        raise SystemExit(f"{html}: no index.html; build the book first (bash ci/book.sh)")
    shots = html.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    main_shot = (args.screenshot or html.parent / "screenshot.png").resolve()

    server, base = serve(html)
    results = {}
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        driver = start_chromium(profile)
        try:
            print(f"browser check: {driver.capabilities.get('browserName')} "
                  f"{driver.capabilities.get('browserVersion')} on {base}", flush=True)
            for chapter in chapters_from_toc(REPO / "_toc.yml"):
                name = Path(chapter).name
                page_file = html / f"{chapter}.html"
                if not page_file.is_file():
                    results[name] = {"url": str(page_file), "figures": 0, "images": 0, "problems": ["page missing from the build"]}
                else:
                    try:
                        results[name] = check_page(driver, f"{base}/{chapter}.html", os.environ.get("BOOK_REPOSITORY_URL"))
                    except Exception as e:  # a page that hangs or crashes the renderer is a failure, not a crash of the check
                        results[name] = {"url": f"{base}/{chapter}.html", "figures": 0, "images": 0,
                                         "problems": [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"]}
                    driver.save_screenshot(str(shots / f"{name}.png"))
                r = results[name]
                status = "ok  " if not r["problems"] else "FAIL"
                print(f"{status} {name:<18} figures={r['figures']:<3} images={r['images']:<3}"
                      + ("" if not r["problems"] else "  " + "; ".join(r["problems"][:5])), flush=True)
        finally:
            driver.quit()
            server.shutdown()

    chosen = shots / f"{args.screenshot_page}.png"
    if not chosen.is_file():
        chosen = next(iter(sorted(shots.glob("*.png"))), None)
    if chosen is not None:
        main_shot.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(chosen, main_shot)
    failed = [n for n, r in results.items() if r["problems"]]
    summary = {"pages": len(results), "failed": failed, "screenshot": str(main_shot), "results": results}
    (html.parent / "browser_check.json").write_text(json.dumps(summary, indent=2))
    print(f"browser check: {len(results) - len(failed)}/{len(results)} pages ok; screenshot {main_shot}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
