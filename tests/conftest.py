"""Shared fixtures. `../shared` (next to the repo) holds the benchmark and training sets;
tests that need it are marked `shared` and skip with a clear reason when it is missing
(set SRGAN_SHARED to point elsewhere)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import paddle
import pytest

REPO = Path(__file__).resolve().parents[1]

# Ctrl-C as a terminal sends it, whatever started the suite: a shell's background job (`nohup
# bash ci/test.sh &`) inherits SIGINT ignored, Python then keeps it ignored, and the tests of
# Ctrl-C (srgan.interrupt, the CLI's) would test nothing and fail. Child processes inherit this.
signal.signal(signal.SIGINT, signal.default_int_handler)
SHARED = Path(os.environ.get("SRGAN_SHARED") or REPO.parent / "shared")  # empty = unset, as srgan.config reads it


def _shared_dir(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.is_dir():
        pytest.skip(f"{path} is missing: put the shared data next to the repo or set SRGAN_SHARED")
    return path


@pytest.fixture
def benchmarks_dir() -> Path:
    return _shared_dir("benchmarks")


@pytest.fixture
def datasets_dir() -> Path:
    return _shared_dir("datasets")


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("srgan-cache")


@pytest.fixture(autouse=True)
def _cache_outside_home(monkeypatch, _session_cache):
    """Exports and compiled models that tests make go to a temporary cache, not the user's
    ~/.cache/srgan (a test that wants its own sets SRGAN_CACHE again)."""
    monkeypatch.setenv("SRGAN_CACHE", str(_session_cache))


@pytest.fixture(autouse=True)
def _seed_and_cpu():
    paddle.set_device("cpu")
    paddle.seed(0)
    np.random.seed(0)
    yield
