"""srgan.notebook: the data folder a chapter picks on AI Studio, on Colab and elsewhere, and the
setup cell every notebook starts with."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from srgan import notebook
from srgan.config import default_shared_dir

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No AI Studio folder, no Colab module: a plain machine."""
    monkeypatch.setattr(notebook, "AISTUDIO_WORK", tmp_path / "missing-aistudio")
    monkeypatch.setattr(notebook, "COLAB_CONTENT", tmp_path / "content")
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    return tmp_path


def test_local_machine_uses_the_repository_default(nowhere, monkeypatch):
    monkeypatch.delenv("SRGAN_SHARED", raising=False)
    environ = {"HOME": "/home/someone"}
    assert notebook.platform(environ) == "local"
    assert notebook.data_dir(environ) == default_shared_dir() == REPO.parent / "shared"
    notebook.setup_notebook(environ)
    assert "SRGAN_SHARED" not in environ  # nothing to export: the chapters' default is already right


def test_installed_outside_a_checkout_uses_the_notebooks_folder(nowhere, monkeypatch, capsys):
    monkeypatch.setattr(notebook, "in_checkout", lambda: False)
    monkeypatch.chdir(nowhere)
    environ = {}
    assert notebook.data_dir(environ) == nowhere / "shared"  # not ../shared of site-packages
    notebook.setup_notebook(environ)
    assert environ["SRGAN_SHARED"] == str(nowhere / "shared")


def test_this_checkout_is_a_checkout():
    assert notebook.in_checkout()


def test_aistudio_uses_its_work_folder(nowhere, monkeypatch, capsys):
    work = nowhere / "home" / "aistudio" / "work"
    (work / "shared" / "datasets" / "T91").mkdir(parents=True)
    monkeypatch.setattr(notebook, "AISTUDIO_WORK", work)
    environ = {}
    assert notebook.platform(environ) == "aistudio"
    notebook.setup_notebook(environ)
    assert environ["SRGAN_SHARED"] == str(work / "shared")
    out = capsys.readouterr().out
    assert "Baidu AI Studio" in out and "found T91" in out and out.count("\n") == 1


def test_colab_uses_content(nowhere, capsys):
    environ = {"COLAB_RELEASE_TAG": "release-colab_20260101-060000_RC00"}
    assert notebook.platform(environ) == "colab"
    notebook.setup_notebook(environ)
    assert environ["SRGAN_SHARED"] == str(nowhere / "content" / "shared")
    assert "no benchmark or training sets there" in capsys.readouterr().out


def test_colab_detected_by_its_module(nowhere, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert notebook.data_dir({}) == nowhere / "content" / "shared"


def test_an_explicit_srgan_shared_wins_everywhere(nowhere, monkeypatch):
    (nowhere / "aistudio").mkdir()
    monkeypatch.setattr(notebook, "AISTUDIO_WORK", nowhere / "aistudio")
    for environ in ({"SRGAN_SHARED": "/data/sr"}, {"SRGAN_SHARED": "/data/sr", "COLAB_RELEASE_TAG": "x"}):
        assert notebook.data_dir(environ) == Path("/data/sr")
        notebook.setup_notebook(environ)
        assert environ["SRGAN_SHARED"] == "/data/sr"


@pytest.mark.parametrize("path", sorted((REPO / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_notebook_starts_with_the_setup_cell(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    setup = "".join(cells[1]["source"])
    assert cells[1]["cell_type"] == "code" and len(setup.splitlines()) <= 10
    assert 'REPOSITORY_URL = ""' in setup and 'setup_notebook(language="en")' in setup
    first = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    assert first == setup
    # One setup cell, the same in every chapter (edit them together).
    reference = "".join(json.loads((REPO / "book" / "00_intro.ipynb").read_text())["cells"][1]["source"])
    assert setup == reference


def _setup_cell() -> str:
    return "".join(json.loads((REPO / "book" / "00_intro.ipynb").read_text())["cells"][1]["source"])


@pytest.mark.parametrize("url, spec", [
    ("https://github.com/owner/srgan-paddle", "srgan-paddle[book] @ git+https://github.com/owner/srgan-paddle"),
    ("/tmp/dist/srgan_paddle-0.1.0-py3-none-any.whl", "/tmp/dist/srgan_paddle-0.1.0-py3-none-any.whl[book]")])
def test_setup_cell_installs_from_the_url_when_srgan_is_missing(nowhere, monkeypatch, url, spec):
    import importlib.util
    import subprocess
    calls = []
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "srgan" else real_find_spec(name, *a))
    monkeypatch.setattr(subprocess, "run", lambda args, check: calls.append(args))
    monkeypatch.setenv("SRGAN_SHARED", str(nowhere))
    exec(_setup_cell().replace('REPOSITORY_URL = ""', f"REPOSITORY_URL = {url!r}"), {})
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", spec]]


def test_setup_cell_without_url_says_what_to_do(tmp_path):
    import subprocess
    # -S: no site-packages, so srgan (and nothing else) is importable: a notebook opened outside a checkout.
    run = subprocess.run([sys.executable, "-S", "-c", _setup_cell()], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode != 0
    assert "srgan is not installed and REPOSITORY_URL is empty" in run.stdout
    assert "No module named 'srgan'" in run.stderr


# --- the shipped models and the runs folder, without paths only a checkout has ---------------
def test_shipped_weights_dir_is_the_checkouts_weights_folder_here():
    from srgan.infer import SHIPPED_MODELS, shipped_weights_dir

    folder = shipped_weights_dir()
    assert folder == REPO / "weights"
    assert all((folder / file).is_file() for file in SHIPPED_MODELS.values())
    assert (folder / "srgan_x4_log.jsonl").is_file() and (folder / "ablation").is_dir()  # a checkout has more


def test_shipped_weights_dir_of_an_installed_package(tmp_path, monkeypatch):
    """Installed from the wheel: srgan/weights/ inside the package, found by the same resolver."""
    from srgan import infer

    package = tmp_path / "site-packages" / "srgan"
    (package / "weights").mkdir(parents=True)
    for file in infer.SHIPPED_MODELS.values():
        (package / "weights" / file).write_bytes(b"")
    monkeypatch.setattr(infer, "__file__", str(package / "infer.py"))
    assert infer.shipped_weights_dir() == package / "weights"


def test_runs_dir_beside_book_in_a_checkout_else_beside_the_notebook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert notebook.runs_dir() == tmp_path.parent / "runs"  # this checkout: ../runs from book/
    monkeypatch.setattr(notebook, "in_checkout", lambda: False)
    assert notebook.runs_dir() == tmp_path / "runs"  # a lone notebook writes only in its own folder


CHECKOUT_PATHS = re.compile(r"""["'](\.\./weights|\.\./runs)""")


@pytest.mark.parametrize("path", sorted((REPO / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_chapters_find_weights_and_runs_without_checkout_paths(path):
    """A chapter opened outside a checkout has no ../weights: its code asks the package
    (shipped_weights_dir, runs_dir) instead; the parameters still accept a folder."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert not CHECKOUT_PATHS.findall(code), f"{path.name}: a path that exists only in a checkout"
    if re.search(r"^weights_dir = ", code, re.M):
        assert re.search(r"^weights_dir = None\b", code, re.M)
        assert "weights_dir = Path(weights_dir) if weights_dir else shipped_weights_dir()" in code
    if re.search(r"^runs_dir = ", code, re.M):
        assert "runs_dir = Path(runs_dir) if runs_dir else default_runs_dir()" in code


def test_training_dirs_finds_t91_and_bsds200_and_full_mode_refuses_none(tmp_path):
    (tmp_path / "datasets" / "BSDS200").mkdir(parents=True)
    assert notebook.training_dirs(None, tmp_path) == [str(tmp_path / "datasets" / "BSDS200")]
    (tmp_path / "datasets" / "T91").mkdir()
    assert notebook.training_dirs(None, tmp_path, required=True) == [
        str(tmp_path / "datasets" / "T91"), str(tmp_path / "datasets" / "BSDS200")]
    assert notebook.training_dirs(["mine"], tmp_path, required=True) == ["mine"]  # given folders win
    empty = tmp_path / "empty"
    assert notebook.training_dirs(None, empty) == []  # quick mode: the scikit-image photos
    with pytest.raises(FileNotFoundError, match="full mode.*data/download.py datasets"):
        notebook.training_dirs(None, empty, required=True)
    with pytest.raises(FileNotFoundError, match="full mode"):
        notebook.training_dirs([], empty, required=True)


def test_shown_path_hides_the_build_machine_s_folders(tmp_path, monkeypatch):
    """What a chapter prints for a path: relative to the data folder or to the checkout, so a
    reader does not take the build machine's /work/shared or /tmp/... for a path they need."""
    from srgan.notebook import shown_path

    monkeypatch.setenv("SRGAN_SHARED", str(tmp_path / "data"))
    assert shown_path(tmp_path / "data" / "datasets" / "T91") == "<shared>/datasets/T91"
    assert shown_path(tmp_path / "data") == "<shared>"
    repo = Path(__file__).resolve().parents[1]
    assert shown_path(repo / "weights" / "srresnet_x4.safetensors") == "<repository>/weights/srresnet_x4.safetensors"
    assert shown_path(tmp_path / "elsewhere.png") == str(tmp_path / "elsewhere.png")  # the user's own file, as given


def test_messages_and_the_setup_line_hide_the_build_machine_s_folders(tmp_path, monkeypatch, capsys):
    """A reader of the built book saw "skipped 1 image(s) ...: /work/shared/datasets/T91/t20.png"
    one line above "<shared>/datasets/T91", and "data folder /work/shared" in every chapter."""
    from srgan.notebook import setup_notebook, shown_paths_in

    monkeypatch.setenv("SRGAN_SHARED", str(tmp_path / "data"))
    text = f"skipped 2 image(s) smaller than 96 px: {tmp_path / 'data' / 'T91' / 'a.png'}, {tmp_path / 'b.png'}"
    assert shown_paths_in(text) == f"skipped 2 image(s) smaller than 96 px: <shared>/T91/a.png, {tmp_path / 'b.png'}"
    repo = Path(__file__).resolve().parents[1]
    setup_notebook(environ={"SRGAN_SHARED": str(repo.parent / "shared")})
    assert "data folder <repository>/../shared:" in capsys.readouterr().out
    setup_notebook(environ={"SRGAN_SHARED": str(tmp_path / "data")})  # the user's own setting: as given
    assert f"data folder {tmp_path / 'data'}:" in capsys.readouterr().out


def test_an_installed_package_finds_the_data_beside_the_clone_it_runs_in(tmp_path, monkeypatch):
    """Installed with `pip install .` (not editable), the package's own folder is in the venv and
    says nothing about the clone: the default data folder is then ../shared of the folder a
    command runs in (the README's layout, where data/download.py writes), or ./shared (a
    notebook's); before, it was <venv>/lib/python3.x/shared and `srgan evaluate` failed."""
    from srgan import config

    monkeypatch.delenv("SRGAN_SHARED", raising=False)
    monkeypatch.setattr(config, "in_checkout", lambda: False)
    clone = tmp_path / "clone"
    clone.mkdir()
    monkeypatch.chdir(clone)
    assert config.default_shared_dir() == clone / "shared"  # nothing there yet: ./shared, named in errors
    (tmp_path / "shared").mkdir()
    assert config.default_shared_dir() == tmp_path / "shared"  # the clone's ../shared
    (clone / "shared").mkdir()
    assert config.default_shared_dir() == clone / "shared"  # a folder's own shared/ first
    monkeypatch.setenv("SRGAN_SHARED", str(tmp_path / "elsewhere"))
    assert config.default_shared_dir() == tmp_path / "elsewhere"
