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
#   BOOK_ZH         0 to build the English edition only (default 1: both; the Chinese one doubles
#                   the execution time, which matters for --full); the language switch is then
#                   left out of the English pages, which would otherwise link to nothing
#   BOOK_ZH_ALLOW_UNTRANSLATED  1 to build the Chinese edition although `ci/zh.py check` reports
#                   untranslated or stale cells (they stay English on its pages). For translators
#                   and local builds only: CI never sets it, so an unfinished translation fails
#                   the job. Markup and code differences fail whatever it says.
#   GLOG_minloglevel  Paddle's C++ log level in the chapters (default 2: errors only)
#
# The Chinese edition (中文版, ci/zh.py): book/zh/<chapter>.ipynb are the English notebooks with
# translated markdown; they are checked against the English ones first (`ci/zh.py check`, seconds,
# so a translation that fell behind fails the job before the long part), rebuilt (`ci/zh.py
# build`, a no-op when the check passed), executed like the English ones and rendered into html/zh/
# with the same page paths, so the language switch on every page (book/_static/language-switch.js)
# only adds or removes "zh/".
#
# Output (all under _build/book/): executed/ and executed-zh/ (executed notebooks + timings.json;
# executed-zh/untranslated.txt: figure texts srgan.i18n left in English), html/ (the English book)
# and html/zh/ (the Chinese one), screenshots/ (every page, zh/ for the Chinese ones, and
# <chapter>--<problem>.png where a problem first shows) + screenshot.png, browser_check.json (per
# page: how many pipe tables, split outputs, raw TeX, stderr blocks, errors, small figures, long
# code cells, console errors, switch and glyph problems, ...; see ci/check_book.py),
# mathjax-npm/ (MathJax from the npm registry, served from html/_static/mathjax: no CDN needed).
#
# It needs python3 (venv) and apt for chromium, chromium-driver, fonts-noto-cjk (the Chinese
# figures and pages) and (if missing) npm. A first run on a fresh machine (empty HOME, no caches)
# is what .ci/run does.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
OUT="${BOOK_OUT:-$REPO/_build/book}"
PADDLE_PACKAGE="${PADDLE_PACKAGE:-paddlepaddle}"
BOOK_BROWSER="${BOOK_BROWSER:-1}"
BOOK_ZH="${BOOK_ZH:-1}"
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
# The chapters must run this checkout's srgan: a venv reused from another checkout (BOOK_VENV shared
# by two clones) keeps its editable install pointing there, and the book would test that code.
if [[ -z "${BOOK_PYTHON:-}" ]]; then
  installed="$(cd / && "$PY" -c 'import pathlib, srgan; print(pathlib.Path(srgan.__file__).resolve().parents[1])' 2>/dev/null || true)"
  if [[ "$installed" != "$(cd "$REPO" && pwd -P)" ]]; then
    echo "== srgan in $VENV is ${installed:-missing}'s; installing this checkout's ($REPO)"
    "$PY" -m pip install --quiet --no-deps -e .
  fi
fi
"$PY" -c "import paddle, srgan, papermill, jupyter_book; print('paddle', paddle.__version__, '| jupyter-book', jupyter_book.__version__)"

# --- 2. Debian packages: Chromium for the browser check, a CJK font for the Chinese edition ------
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
# The Chinese figures are drawn in Noto Sans CJK SC (srgan.i18n.CJK_FONTS; matplotlib falls back
# to it glyph by glyph) and Chromium sets the Chinese pages in it. Installed before anything
# imports matplotlib: its font cache, built once, would not see a font installed later.
# npm fetches MathJax for the HTML build (step 5): checked now, not after hours of --full execution.
MATHJAX_VERSION=3.2.2
mathjax="$OUT/mathjax-npm/node_modules/mathjax"
if [[ "${ONLY:-0}" != "1" ]] && ! grep -qs "\"version\": \"$MATHJAX_VERSION\"" "$mathjax/package.json" \
   && ! command -v npm >/dev/null; then
  apt_install "MathJax (served by the book's pages)" "" npm
fi
if [[ "$BOOK_ZH" == "1" ]] && ! { command -v fc-list >/dev/null && fc-list : family | grep -q "Noto Sans CJK SC"; }; then
  apt_install "the Chinese edition (Chinese text in its figures and pages)" \
    ", or run with BOOK_ZH=0 to build the English edition only" fonts-noto-cjk
fi

# --- 3. The Chinese edition in sync with the English one (seconds; before the long part) -------
if [[ "$BOOK_ZH" == "1" ]]; then
  echo "== checking the Chinese edition against the English one (ci/zh.py check)"
  mkdir -p "$OUT"
  if "$PY" ci/zh.py check > "$OUT/zh-check.txt"; then
    cat "$OUT/zh-check.txt"
  else
    cat "$OUT/zh-check.txt"
    # Only an unfinished translation may be let through, and only on request (see the header).
    unfinished='untranslated \(empty zh\)$|: stale, |texts are not book/.*markdown cells any more|not what `python ci/zh.py build` writes'
    if [[ "${BOOK_ZH_ALLOW_UNTRANSLATED:-0}" == "1" ]] && ! grep -vqE "$unfinished" "$OUT/zh-check.txt"; then
      echo "== ZH CHECK FAILED ($(wc -l < "$OUT/zh-check.txt") unfinished cells above), building anyway because" \
           "BOOK_ZH_ALLOW_UNTRANSLATED=1: those cells stay English; not a CI result" >&2
    else
      echo "ci/book.sh: the Chinese edition is out of sync with the English one (problems above; book/zh/*.yml," \
           "see ci/zh.py), or run with BOOK_ZH=0 to build the English edition only" >&2
      exit 1
    fi
  fi
  "$PY" ci/zh.py build
fi
editions=(en)
[[ "$BOOK_ZH" == "1" ]] && editions+=(zh)

# --- 4. Execute every chapter (papermill), the English edition then the Chinese one ------------
executed_dir() { if [[ "$1" == "en" ]]; then echo "$OUT/executed"; else echo "$OUT/executed-$1"; fi; }
declare -A seconds_executed seconds_html
switch=()
[[ "$BOOK_ZH" == "1" ]] || switch=(--no-language-switch)  # one edition: a switch would lead nowhere
for edition in "${editions[@]}"; do
  echo "== executing the chapters ($edition)"
  part_start=$(date +%s)
  rm -rf "$(executed_dir "$edition")"
  "$PY" ci/execute_book.py --edition "$edition" --out "$(executed_dir "$edition")" "${switch[@]}" "$@"
  seconds_executed[$edition]=$(( $(date +%s) - part_start ))
done

# --- 5. Build the HTML from the executed notebooks (no second execution) ----------------------
if [[ "$ONLY" == "1" ]]; then
  echo "== --only: executed notebooks in $(for e in "${editions[@]}"; do printf '%s ' "$(executed_dir "$e")"; done)" \
       "; no HTML build (it needs every chapter)"
  exit 0
fi
# MathJax served by the book itself, so equations are typeset with no CDN (offline readers, CI):
# npm installs the pinned version into a build folder once; the parts the TeX-to-HTML component
# loads go into the build copy's book/_static/mathjax/, where _config.yml's mathjax_path points.
if ! grep -qs "\"version\": \"$MATHJAX_VERSION\"" "$mathjax/package.json"; then
  echo "== installing MathJax $MATHJAX_VERSION (npm) into $OUT/mathjax-npm"
  npm install --prefix "$OUT/mathjax-npm" --no-audit --no-fund --loglevel=error "mathjax@$MATHJAX_VERSION" >/dev/null
fi
rm -rf "$OUT/html"
for edition in "${editions[@]}"; do
  executed="$(executed_dir "$edition")"
  html="$OUT/html"
  [[ "$edition" == "en" ]] || html="$OUT/html/$edition"  # the same page paths under zh/ (the switch relies on it)
  mkdir -p "$executed/book/_static/mathjax"
  cp -r "$mathjax/es5/tex-mml-chtml.js" "$mathjax/es5/input" "$mathjax/es5/output" "$mathjax/es5/ui" \
        "$mathjax/es5/a11y" "$mathjax/es5/sre" "$mathjax/es5/adaptors" "$executed/book/_static/mathjax/"
  echo "== building the HTML book ($edition)"
  build_start=$(date +%s)
  rm -rf "$OUT/site" "$html"
  "$BIN/jupyter-book" build "$executed" --path-output "$OUT/site" --builder html -q
  mv "$OUT/site/_build/html" "$html" && rm -rf "$OUT/site"
  seconds_html[$edition]=$(( $(date +%s) - build_start ))
  echo "built $html/index.html in ${seconds_html[$edition]} s"
done

# --- 6. Browser check ---------------------------------------------------------------------------
check=0
if [[ "$BOOK_BROWSER" == "1" ]]; then
  echo "== checking every page in headless Chromium (${editions[*]})"
  check_start=$(date +%s)
  "$PY" ci/check_book.py --html "$OUT/html" --editions "${editions[@]}" --screenshot "$OUT/screenshot.png" || check=$?
  echo "browser check: $(( $(date +%s) - check_start )) s"
else
  echo "== BROWSER CHECK SKIPPED (BOOK_BROWSER=0 or --only): the pages were not opened in Chromium"
fi
for edition in "${editions[@]}"; do
  echo "edition $edition: chapters executed in ${seconds_executed[$edition]} s, HTML built in ${seconds_html[$edition]} s"
done
echo "book job: $(( $(date +%s) - job_start )) s in total"
exit "$check"
