#!/usr/bin/env bash
# The unit tests, on both Paddle lines the package supports: 3.x (pip's current
# `paddlepaddle`) and 2.6 (the newest `paddlepaddle-gpu` on PyPI, common on AI Studio).
# Each gets its own venv in the repository, created on first use and reused after.
#
#   bash ci/test.sh              # both Paddle versions
#   PADDLE_VERSIONS="3" bash ci/test.sh     # just one ("3" = newest 3.x, "2.6" = 2.6.2)
#   bash ci/test.sh -k imresize  # extra arguments go to pytest
#
# Tests that need ../shared (benchmarks, datasets) skip with a reason when it is missing;
# set SRGAN_SHARED to point elsewhere.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PADDLE_VERSIONS="${PADDLE_VERSIONS:-3 2.6}"
status=0

for version in $PADDLE_VERSIONS; do
  case "$version" in
    3) venv="$REPO/.venv"; reqs=("paddlepaddle>=3,<4") ;;
    2.6) venv="$REPO/.venv-paddle26"; reqs=("paddlepaddle==2.6.2" "numpy<2") ;;
    *) echo "unknown Paddle version '$version' (use 3 or 2.6)"; exit 2 ;;
  esac
  if [[ ! -x "$venv/bin/python" ]]; then
    echo "== creating $venv"
    python3 -m venv "$venv"
  fi
  stamp="$venv/.test-stamp"
  want="$(cat pyproject.toml "$0" | sha256sum | cut -c1-16)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "== installing into $venv: ${reqs[*]} + srgan-paddle[dev,openvino]"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "${reqs[@]}" -e ".[dev,openvino]"
    echo "$want" > "$stamp"
  fi
  echo "== unit tests, $("$venv/bin/python" -c 'import paddle; print("paddle", paddle.__version__)' 2>/dev/null)"
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@" || status=$?
done
exit $status
