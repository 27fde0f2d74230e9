#!/usr/bin/env bash
# The package as users install it (tests/test_wheel.py): the sdist and the wheel built from a copy of the
# repository's files (tracked + new, not ignored), the wheel installed into a fresh venv with Paddle 3.x from pip, and
# `srgan upscale` (default model, --weights srgan, --perception 0.5) and the Python API run from a
# folder outside the repository; and (tests/test_standalone_notebooks.py) chapters 0 and 5 copied alone
# into an empty folder and run with papermill in a fresh venv holding only Paddle, papermill and
# ipykernel, their setup cell installing that wheel. Separate from ci/test.sh because a venv with
# Paddle takes minutes.
#
#   bash ci/test_wheel.sh                                   # uses (or sets up) ci/test.sh's .venv
#   SRGAN_WHEEL_TRANSCRIPT=/tmp/wheel.txt bash ci/test_wheel.sh   # also keep the commands and outputs
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRGAN_TEST_WHEEL=1 PADDLE_VERSIONS=3 exec bash ci/test.sh tests/test_wheel.py tests/test_standalone_notebooks.py -rs "$@"
