#!/usr/bin/env bash
# The book job, one entry point: install what it needs, execute every chapter with papermill,
# build the HTML with jupyter-book from the executed copies, check it in headless Chromium.
#
#   bash ci/book.sh                 # quick parameters (a 2-core CPU), the whole book
#   bash ci/book.sh --full          # full-scale parameters (a GPU machine; see the chapters)
#   bash ci/book.sh --only 02       # some chapters only (repeatable; the browser check is skipped)
#
# Environment:
#   BOOK_VENV       venv to create/reuse (default: .venv-book in the repository)
#   BOOK_PYTHON     use this Python as it is (its environment must already have the book extra,
#                   selenium and paddle): no venv, no pip
#   PADDLE_PACKAGE  pip requirement for Paddle (default: paddlepaddle; GPU: paddlepaddle-gpu)
#   BOOK_BROWSER    0 to skip the browser check (default 1)
#   BOOK_REPOSITORY_URL  the repository's public address (https://github.com/<owner>/<repo>):
#                   turns on the book's repository and Colab buttons, which the browser check
#                   then requires to point there (unset: no buttons; see _config.yml)
#   BOOK_OUT        output folder (default: _build/book in the repository)
#   GLOG_minloglevel  Paddle's C++ log level in the chapters (default 2: errors only)
#
# Output (all under _build/book/): executed/ (executed notebooks + timings.json),
# html/ (the book), screenshots/ (every page, and <chapter>--<problem>.png where a problem first
# shows) + screenshot.png, browser_check.json (per page: how many pipe tables, split outputs, raw
# TeX, stderr blocks, errors, small figures, long code cells, ...; see ci/check_book.py),
# mathjax-npm/ (MathJax from the npm registry, served from html/_static/mathjax: no CDN needed).
#
# It needs python3 (venv) and apt for chromium, chromium-driver and (if missing) npm. A first
# run on a fresh machine (empty HOME, no caches) is what .ci/run does.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
OUT="${BOOK_OUT:-$REPO/_build/book}"
PADDLE_PACKAGE="${PADDLE_PACKAGE:-paddlepaddle}"
BOOK_BROWSER="${BOOK_BROWSER:-1}"
ONLY=0
for arg in "$@"; do if [[ "$arg" == "--only" ]]; then BOOK_BROWSER=0; ONLY=1; fi; done
job_start=$(date +%s)

# --- 1. Python environment ------------------------------------------------------------------
if [[ -n "${BOOK_PYTHON:-}" ]]; then
  PY="$BOOK_PYTHON"
else
  VENV="${BOOK_VENV:-$REPO/.venv-book}"
  if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating $VENV"
    python3 -m venv "$VENV"
  fi
  PY="$VENV/bin/python"
  # Reinstall only when the requirements changed (a stamp of pyproject.toml + this script).
  stamp="$VENV/.book-stamp"
  want="$(cat pyproject.toml ci/book.sh | sha256sum | cut -c1-16) $PADDLE_PACKAGE"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "== installing the book's requirements into $VENV"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet "$PADDLE_PACKAGE" -e ".[book]" selenium
    echo "$want" > "$stamp"
  fi
fi
BIN="$(dirname "$PY")"
"$PY" -c "import paddle, srgan, papermill, jupyter_book; print('paddle', paddle.__version__, '| jupyter-book', jupyter_book.__version__)"

# --- 2. Chromium for the browser check (Debian packages) -------------------------------------
# Installed with apt only when that can work without a prompt (root, or sudo with no password);
# otherwise one clear message saying what is missing and how to install it, or how to skip.
apt_install() {  # apt_install WHY HOW-TO-DO-WITHOUT PACKAGE...
  local why="$1" without="$2"; shift 2
  local sudo=""
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="none"; fi
  fi
  if [[ "$sudo" != "none" ]] && command -v apt-get >/dev/null; then
    echo "== installing $* (apt) for $why"
    if $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >/dev/null; then return 0; fi
    echo "ci/book.sh: apt-get could not install $* (see its messages above)" >&2
  fi
  echo "ci/book.sh: $why needs $*, which is not installed here: install it (Debian/Ubuntu:" \
       "sudo apt-get install $*)$without" >&2
  exit 2
}
if [[ "$BOOK_BROWSER" == "1" ]] && ! { command -v chromium && command -v chromedriver; } >/dev/null; then
  apt_install "the browser check (chromium, chromedriver)" \
    ", or run with BOOK_BROWSER=0 to skip the check (say so wherever you report the build)" chromium chromium-driver
fi

# --- 3. Execute every chapter (papermill) -------------------------------------------------------
echo "== executing the chapters"
rm -rf "$OUT/executed"
"$PY" ci/execute_book.py --out "$OUT/executed" "$@"

# --- 4. Build the HTML from the executed notebooks (no second execution) ----------------------
if [[ "$ONLY" == "1" ]]; then
  echo "== --only: executed notebooks in $OUT/executed; no HTML build (it needs every chapter)"
  exit 0
fi
# MathJax served by the book itself, so equations are typeset with no CDN (offline readers, CI):
# npm installs the pinned version into a build folder once; the parts the TeX-to-HTML component
# loads go into the build copy's book/_static/mathjax/, where _config.yml's mathjax_path points.
MATHJAX_VERSION=3.2.2
mathjax="$OUT/mathjax-npm/node_modules/mathjax"
if ! grep -qs "\"version\": \"$MATHJAX_VERSION\"" "$mathjax/package.json"; then
  if ! command -v npm >/dev/null; then apt_install "MathJax (served by the book)" "" npm; fi
  echo "== installing MathJax $MATHJAX_VERSION (npm) into $OUT/mathjax-npm"
  npm install --prefix "$OUT/mathjax-npm" --no-audit --no-fund --loglevel=error "mathjax@$MATHJAX_VERSION" >/dev/null
fi
mkdir -p "$OUT/executed/book/_static/mathjax"
cp -r "$mathjax/es5/tex-mml-chtml.js" "$mathjax/es5/input" "$mathjax/es5/output" "$mathjax/es5/ui" \
      "$mathjax/es5/a11y" "$mathjax/es5/sre" "$mathjax/es5/adaptors" "$OUT/executed/book/_static/mathjax/"
echo "== building the HTML book"
build_start=$(date +%s)
rm -rf "$OUT/html"
"$BIN/jupyter-book" build "$OUT/executed" --path-output "$OUT/site" --builder html -q
rm -rf "$OUT/html" && mv "$OUT/site/_build/html" "$OUT/html" && rm -rf "$OUT/site"
echo "built $OUT/html/index.html in $(( $(date +%s) - build_start )) s"

# --- 5. Browser check ---------------------------------------------------------------------------
if [[ "$BOOK_BROWSER" == "1" ]]; then
  echo "== checking every page in headless Chromium"
  "$PY" ci/check_book.py --html "$OUT/html" --screenshot "$OUT/screenshot.png"
else
  echo "== BROWSER CHECK SKIPPED (BOOK_BROWSER=0 or --only): the pages were not opened in Chromium"
fi
echo "book job: $(( $(date +%s) - job_start )) s in total"
