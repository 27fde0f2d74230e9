"""The package as a user installs it, away from the repository.

`test_installed_wheel_upscales_from_anywhere` builds the sdist and the wheel from a copy of
the repository's files (what `pip install git+URL` sees), installs the wheel into a fresh
venv (no system site-packages, Paddle from pip's cache) and, with an empty HOME, from a temporary
folder runs `srgan info`, `srgan upscale` with the default model, `--weights srgan` and
`--perception 0.5`, `srgan upscale --help`, `srgan compare PHOTO --html` and the Python API.
A venv with Paddle takes minutes, so that test runs only with SRGAN_TEST_WHEEL=1: `bash
ci/test_wheel.sh` sets it (and `.ci/run` calls that script); the unit suite skips it with
that reason. The other tests here are fast and always run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from srgan import cli
from srgan.infer import DEFAULT_WEIGHTS, PERCEPTION_ENDS, SHIPPED_MODELS, resolve_weights, shipped_weights

REPO = Path(__file__).resolve().parents[1]
# What weights/ gives the wheel: the two released generators, their model cards (a photo user's
# needs) and training logs (the book's chapters plot them, opened anywhere).
SHIPPED_FILES = sorted(f for file in SHIPPED_MODELS.values()
                       for f in (file, file.replace(".safetensors", ".json"), file.replace(".safetensors", "_log.jsonl")))
# The Paddle the fresh venv gets: ci/test.sh's requirement for Paddle 3.x.
PADDLE_REQUIREMENT = os.environ.get("SRGAN_WHEEL_PADDLE", "paddlepaddle>=3,<4")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- fast: names, help text, packaging configuration ----------------------------------------
def test_short_names_are_the_shipped_files_and_paths_stay_paths():
    assert resolve_weights("srresnet") == shipped_weights("srresnet") == DEFAULT_WEIGHTS
    assert resolve_weights("srgan") == shipped_weights("srgan") == PERCEPTION_ENDS[1]
    for name in SHIPPED_MODELS:  # in a checkout they are the repository's files, no copies
        assert shipped_weights(name) == REPO / "weights" / SHIPPED_MODELS[name]
        assert shipped_weights(name).is_file()
    # A repository checkout has an srgan/ folder: the short name still means the model,
    # and `./srgan` is how to say the path.
    assert resolve_weights("./srgan") == Path("srgan")
    assert resolve_weights(REPO / "weights" / "srgan_mse_x4.safetensors") == REPO / "weights" / "srgan_mse_x4.safetensors"
    assert resolve_weights(None) is None


def test_upscale_help_quotes_the_model_cards():
    """The --help text explains the default with numbers; they must be the cards' numbers."""
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    text = " ".join(sub.choices["upscale"].format_help().split())
    cards = {name: json.loads(shipped_weights(name).with_suffix(".json").read_text())["scores"]["Set14"]["model"]
             for name in SHIPPED_MODELS}
    assert f"Set14 {cards['srresnet']['psnr']:.2f} dB PSNR against SRGAN's {cards['srgan']['psnr']:.2f}" in text
    assert f"NIQE {cards['srgan']['niqe']:.2f} against {cards['srresnet']['niqe']:.2f}" in text
    assert "srresnet (the default)" in text and DEFAULT_WEIGHTS == shipped_weights("srresnet")


def test_pyproject_ships_exactly_the_released_models():
    tomllib = pytest.importorskip("tomllib")
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"]["srgan.weights"] == "weights"
    assert sorted(setuptools["package-data"]["srgan.weights"]) == SHIPPED_FILES


# --- slow: build, install into a fresh venv, use from elsewhere -----------------------------
def _run(cmd, *, cwd, env=None, transcript, check=True, timeout=1800):
    """Run a command, append it and its output to the transcript, fail with the output."""
    shown = " ".join(str(c) for c in cmd)
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    transcript.append(f"$ (cd {cwd}) {shown}\n{result.stdout}{result.stderr}[exit {result.returncode}]")
    print(transcript[-1], flush=True)
    if check and result.returncode != 0:
        pytest.fail(f"{shown} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def _working_tree_copy(dest: Path) -> Path:
    """The working tree as a commit of it would hold it (tracked files and new ones that .gitignore
    does not exclude): in a fresh checkout, as in CI, exactly what a clone holds. Without the new
    files, a modified module that imports a not yet committed one would fail here and not in CI."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


# A venv with Paddle takes minutes: these tests run only under ci/test_wheel.sh.
builds_a_venv = pytest.mark.skipif(
    os.environ.get("SRGAN_TEST_WHEEL") != "1",
    reason="builds a venv with Paddle (minutes): run by `bash ci/test_wheel.sh` (SRGAN_TEST_WHEEL=1)")


def run_in_fresh_venv(check, tmp_path: Path, transcript_variable: str) -> None:
    """Run `check(tmp_path, transcript)`, a test that builds the wheel from this checkout and
    installs it into tmp_path/venv.

    Args:
        check: the test's body; it appends each command and its output to `transcript`.
        tmp_path: pytest's temporary folder.
        transcript_variable: environment variable naming a file for the transcript (kept on
            failure too: it shows which step broke).
    """
    if not (REPO / ".git").exists():
        pytest.fail(f"{REPO} is not a git checkout: the wheel is built from the files git lists")
    transcript: list[str] = []
    try:
        check(tmp_path, transcript)
    finally:
        if os.environ.get(transcript_variable):
            Path(os.environ[transcript_variable]).write_text("\n\n".join(transcript) + "\n")
        # The venv holds Paddle (~1-1.5 GB) and pytest keeps its last three temporary folders.
        shutil.rmtree(tmp_path / "venv", ignore_errors=True)


@pytest.mark.slow
@builds_a_venv
def test_installed_wheel_upscales_from_anywhere(tmp_path):
    run_in_fresh_venv(_check_installed_wheel, tmp_path, "SRGAN_WHEEL_TRANSCRIPT")


def _check_installed_wheel(tmp_path: Path, transcript: list[str]) -> None:
    clone = _working_tree_copy(tmp_path / "clone")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path, transcript=transcript)
    py = venv / "bin" / "python"
    # A new user: an empty HOME (no ~/.cache/srgan export, no Paddle or matplotlib caches), no
    # SRGAN_* settings; only pip's download cache is kept, so Paddle installs from it.
    pip_cache = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True, text=True).stdout.strip()
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "MPLCONFIGDIR")
           and not k.startswith("SRGAN_")}
    env.update(HOME=str(home), PYTHONNOUSERSITE="1", PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR") or pip_cache)
    transcript.append(f"HOME={home} (new, empty), PIP_CACHE_DIR={env['PIP_CACHE_DIR']}")

    # The wheel as `pip install .`, `pip install git+URL` and `pip wheel .` build it.
    _run([py, "-m", "pip", "wheel", "--no-deps", "-w", tmp_path / "wheel", clone], cwd=tmp_path, env=env, transcript=transcript)
    (wheel,) = (tmp_path / "wheel").glob("srgan_paddle-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = sorted(n.removeprefix("srgan/weights/") for n in names if n.startswith("srgan/weights/"))
    assert data == SHIPPED_FILES  # the released models, cards and logs; no experiments or ablation
    assert not [n for n in names if "experiments" in n or "ablation" in n or "srgan_mse" in n or n.endswith(".png")]
    transcript.append(f"wheel {wheel.name}: {wheel.stat().st_size / 1e6:.1f} MB, {len(names)} files:\n  " + "\n  ".join(names))

    # The sdist, and a wheel built from it (as pip does from PyPI): the same files.
    _run([py, "-m", "pip", "install", "--quiet", "setuptools>=77"], cwd=tmp_path, env=env, transcript=transcript)
    sdist_name = _run([py, "-c", f"from setuptools import build_meta; print(build_meta.build_sdist({str(tmp_path / 'sdist')!r}))"],
                      cwd=clone, env=env, transcript=transcript).stdout.strip().splitlines()[-1]
    sdist = tmp_path / "sdist" / sdist_name
    members = tarfile.open(sdist).getnames()
    assert sorted(Path(m).name for m in members if "/weights/" in m) == SHIPPED_FILES
    _run([py, "-m", "pip", "wheel", "--no-deps", "-w", tmp_path / "wheel_from_sdist", sdist], cwd=tmp_path, env=env, transcript=transcript)
    (wheel2,) = (tmp_path / "wheel_from_sdist").glob("srgan_paddle-*.whl")
    assert sorted(zipfile.ZipFile(wheel2).namelist()) == sorted(names)

    # Install the wheel with Paddle into the fresh venv, then work from a folder outside the repository.
    _run([py, "-m", "pip", "install", "--quiet", wheel, PADDLE_REQUIREMENT], cwd=tmp_path, env=env, transcript=transcript)
    user = tmp_path / "elsewhere"
    user.mkdir()
    from PIL import Image
    from skimage import data as skdata

    Image.fromarray(skdata.chelsea()[80:144, 140:204]).save(user / "cat.png")  # 64 x 64 px of a shipped photo
    srgan = venv / "bin" / "srgan"

    location = _run([py, "-c", "import srgan.infer as i; print(i.__file__); print(i.DEFAULT_WEIGHTS); print(i.PERCEPTION_ENDS[1])"],
                    cwd=user, env=env, transcript=transcript).stdout.split()
    site = str(venv / "lib")
    assert all(line.startswith(site) for line in location), location  # the installed package, not the checkout
    for name, installed in zip(("srresnet", "srgan"), location[1:]):
        assert _sha256(Path(installed)) == _sha256(REPO / "weights" / SHIPPED_MODELS[name])
    info = _run([srgan, "info"], cwd=user, env=env, transcript=transcript).stdout
    assert re.search(r"srresnet .*srgan/weights/srresnet_x4\.safetensors .*Set14 27\.\d\d dB", info), info
    assert re.search(r"srgan .*srgan/weights/srgan_x4\.safetensors", info), info

    outputs = {}
    for label, flags in [("default", []), ("srgan", ["--weights", "srgan"]), ("perception", ["--perception", "0.5"])]:
        out = user / f"cat_{label}.png"
        _run([srgan, "upscale", "cat.png", "-o", out.name, "--no-progress", *flags], cwd=user, env=env, transcript=transcript)
        outputs[label] = np.asarray(Image.open(out))
        assert outputs[label].shape == (256, 256, 3)
    # Three different models: the dial's midpoint is neither end.
    for a, b in [("default", "srgan"), ("default", "perception"), ("srgan", "perception")]:
        assert np.abs(outputs[a].astype(int) - outputs[b]).mean() > 0.5, (a, b)

    # The default model and why, as a user reads it.
    help_text = " ".join(_run([srgan, "upscale", "--help"], cwd=user, env=env, transcript=transcript).stdout.split())
    assert "srresnet (the default)" in help_text and "Set14 27." in help_text
    # The exported model was cached in the new HOME, as it would be for the user.
    assert list((home / ".cache" / "srgan").iterdir()), "no export cached under $HOME/.cache/srgan"

    # The before/after slider page for the user's own photo (no HR): bicubic | SRResNet | SRGAN.
    _run([srgan, "compare", "cat.png", "--html", "cat.html", "--no-progress"], cwd=user, env=env, transcript=transcript)
    page = (user / "cat.html").read_text(encoding="utf-8")
    (images,) = re.findall(r'<script type="application/json" class="sr-images">(.*?)</script>', page, re.S)
    assert list(json.loads(images)) == ["bicubic", "SRResNet", "SRGAN"] and "<th>NIQE</th>" in page
    assert "<th>PSNR" not in page
    transcript.append(f"cat.html: {len(page) / 1e6:.1f} MB, one slider (bicubic, SRResNet, SRGAN), NIQE column only")

    # The Python API from the same folder: default SRResNet, the short name, the dial.
    api = ("import numpy as np; from srgan import read_image, upscale; from PIL import Image\n"
           "lr = read_image('cat.png')\n"
           "for label, kw in [('default', {}), ('srgan', {'weights': 'srgan'}), ('perception', {'perception': 0.5})]:\n"
           "    sr = upscale(lr, **kw); print(label, sr.shape, sr.dtype)\n"
           "    np.save(f'api_{label}.npy', sr)\n")
    _run([py, "-c", api], cwd=user, env=env, transcript=transcript)
    for label, cli_output in outputs.items():
        sr = np.load(user / f"api_{label}.npy")
        assert sr.shape == cli_output.shape and sr.dtype == np.uint8
        # Same weights and engine as the command: equal up to an 8-bit rounding step.
        assert np.abs(sr.astype(int) - cli_output).max() <= 1, label
