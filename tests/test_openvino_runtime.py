"""OpenVINO's own runtime (the optional `openvino` package): the same images as Paddle's engines,
`srgan upscale` on a cached export without importing Paddle, and damaged caches that fall back
with one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("openvino", reason="the optional `openvino` package is not installed (pip install srgan-paddle[openvino])")

from srgan.checkpoint import save_generator  # noqa: E402
from srgan.export import export_generator  # noqa: E402
from srgan.export_files import META_FILE, installed_paddle  # noqa: E402
from srgan.infer import Upscaler, paddle_free_export  # noqa: E402
from srgan.models import Generator  # noqa: E402
from srgan.openvino_runtime import BLOB_FOLDER, RuntimePredictor  # noqa: E402
from srgan.predict import DygraphPredictor, InferencePredictor, openvino_available  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def tiny_generator(seed: int = 0) -> Generator:
    """One block, 8 channels, tail scaled down so outputs are mid-range (as tests/test_infer.py)."""
    import paddle

    paddle.seed(seed)
    g = Generator(scale=4, num_blocks=1, channels=8, global_skip=True)
    g.tail.weight.set_value(g.tail.weight * 0.1)
    g.eval()
    return g


@pytest.fixture
def photo() -> np.ndarray:
    small = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((37, 45), Image.BICUBIC))  # (45, 37, 3)


# OpenVINO's runtime runs only in processes without Paddle (infer.paddle_free_export): beside
# Paddle's own in one process, the unit suite crashed (a segmentation fault). So here it runs in
# a fresh interpreter, as `srgan upscale` runs it.
RUNTIME = """
import sys
import numpy as np
from srgan.openvino_runtime import RuntimePredictor
p = RuntimePredictor(sys.argv[1], cache_dir=sys.argv[3])
np.save(sys.argv[4], p(np.load(sys.argv[2])))
print(p.scale, p.receptive_radius, "paddle" in sys.modules)
"""


def runtime_output(model_dir: Path, lr: np.ndarray, cache: Path) -> tuple[np.ndarray, tuple]:
    """(SR, (scale, receptive radius, paddle imported)) of RuntimePredictor(model_dir) in a fresh process."""
    np.save(cache.parent / "lr.npy", lr)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", RUNTIME, str(model_dir), str(cache.parent / "lr.npy"), str(cache),
                           str(cache.parent / "sr.npy")], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    scale, radius, paddle = proc.stdout.split()
    return np.load(cache.parent / "sr.npy"), (int(scale), int(radius), paddle == "True")


def test_runtime_equals_paddle_inference(tmp_path):
    """The float outputs agree with Paddle Inference (its OpenVINO engine on Paddle 3.x, oneDNN on
    2.6) and with dygraph; a second predictor uses the compiled model kept on disk, which is in
    srgan's cache and not in the user's export folder."""
    g = tiny_generator()
    out = export_generator(g, tmp_path / "ov", openvino=True)
    lr = np.random.default_rng(2).random((1, 3, 12, 10), dtype=np.float32)
    cache = tmp_path / "cache"
    exported = sorted(p.relative_to(out) for p in out.rglob("*"))
    sr, about = runtime_output(out, lr, cache)
    assert about == (4, g.receptive_radius(), False)
    assert sr.shape == (1, 3, 48, 40)
    assert np.abs(sr - DygraphPredictor(g)(lr)).max() <= 1e-4
    if openvino_available():
        assert np.abs(sr - InferencePredictor(out, backend="openvino", cache_dir=cache)(lr)).max() <= 1e-5
    plain = export_generator(g, tmp_path / "plain")
    assert np.abs(sr - InferencePredictor(plain)(lr)).max() <= 1e-4
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == exported  # nothing added to the export
    blobs = sorted((cache / BLOB_FOLDER).glob("*.blob"))
    assert len(blobs) == 1 and blobs[0].with_name(blobs[0].name + ".sha256").is_file()
    stamp = blobs[0].stat().st_mtime_ns
    assert np.array_equal(runtime_output(out, lr, cache)[0], sr)  # imported, not compiled again
    assert blobs[0].stat().st_mtime_ns == stamp


def test_a_process_with_paddle_loaded_never_starts_openvino_s_runtime(tmp_path):
    """A notebook or script that has imported Paddle upscales with Paddle's engines, also once the
    export is cached (the two runtimes in one process are not safe, and there is no start-up to save)."""
    weights = tmp_path / "tiny.safetensors"
    save_generator(tiny_generator(), weights)
    cache = tmp_path / "cache"
    first = Upscaler(weights=weights, cache_dir=cache, tile=16, tile_pad=4)
    again = Upscaler(weights=weights, cache_dir=cache, tile=16, tile_pad=4)
    assert not first.without_paddle and not again.without_paddle
    assert not isinstance(again.predictor, RuntimePredictor)


def test_an_export_changed_in_place_never_runs_a_stale_compiled_model(tmp_path):
    out = export_generator(tiny_generator(0), tmp_path / "ov", openvino=True)
    lr = np.random.default_rng(3).random((1, 3, 9, 9), dtype=np.float32)
    runtime_output(out, lr, tmp_path / "cache")
    other = tiny_generator(1)
    export_generator(other, out, openvino=True, overwrite=True)
    assert np.abs(runtime_output(out, lr, tmp_path / "cache")[0] - DygraphPredictor(other)(lr)).max() <= 1e-4


def test_which_arguments_can_start_without_paddle(tmp_path, monkeypatch):
    import srgan.infer

    weights = tmp_path / "tiny.safetensors"
    save_generator(tiny_generator(), weights)
    cache = tmp_path / "cache"
    entry = paddle_free_export(weights=weights, cache_dir=cache)
    assert entry is not None and entry.parent == cache / "inference" and entry.name.endswith("-openvino")
    assert installed_paddle()[1] in entry.name
    for refused in (dict(engine="inference"), dict(engine="dygraph"), dict(perception=0.5), dict(tensorrt=True),
                    dict(device="gpu"), dict(generator=tiny_generator())):
        assert paddle_free_export(weights=weights, cache_dir=cache, **refused) is None, refused
    assert paddle_free_export(weights=tmp_path / "missing.safetensors", cache_dir=cache) is None  # Paddle's path names it
    assert paddle_free_export(weights=export_generator(tiny_generator(), tmp_path / "plain"), cache_dir=cache) is None
    assert paddle_free_export(weights=export_generator(tiny_generator(), tmp_path / "ov", openvino=True)) == tmp_path / "ov"
    monkeypatch.setattr(srgan.infer, "runtime_installed", lambda: False)
    assert paddle_free_export(weights=weights, cache_dir=cache) is None


# --- `srgan upscale` as a process --------------------------------------------------------------
# Runs the CLI in a fresh interpreter and reports its exit code and whether Paddle was imported.
CLI = """
import json, sys
{hide}
from srgan.cli import main
code = main(sys.argv[1:])
print(json.dumps({{"code": code, "paddle": "paddle" in sys.modules}}))
"""


def run_cli(args: list[str], cache: Path, *, without_openvino: bool = False) -> tuple[dict, str]:
    # sys.modules["openvino"] = None: `import openvino` fails and find_spec finds nothing, as without the package
    hide = "sys.modules['openvino'] = None" if without_openvino else ""
    env = {**os.environ, "SRGAN_CACHE": str(cache), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", CLI.format(hide=hide), "upscale", *args], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


@pytest.fixture
def files(tmp_path, photo):
    Image.fromarray(photo).save(tmp_path / "photo.png")
    save_generator(tiny_generator(), tmp_path / "tiny.safetensors")
    return tmp_path


def upscale_args(folder: Path, name: str) -> list[str]:
    return [str(folder / "photo.png"), "-o", str(folder / name), "--weights", str(folder / "tiny.safetensors"),
            "--tile", "16", "--tile-pad", "4", "--no-progress"]


def read(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path)).astype(int)


# The first run exports for OpenVINO with Paddle's own OpenVINO engine (a Paddle 3.x CPU wheel);
# Paddle 2.6's first run takes oneDNN, so its runs never reach the Paddle-free path.
needs_paddle_openvino = pytest.mark.skipif(not openvino_available(),
                                           reason="this Paddle wheel has no OpenVINO engine for the first run's export")


@needs_paddle_openvino
def test_upscale_on_a_cached_export_never_imports_paddle(files):
    cache = files / "cache"
    result, err = run_cli(upscale_args(files, "first.png"), cache)
    assert result == {"code": 0, "paddle": True}  # first use: exported with Paddle
    assert "Paddle loaded to export the model, the next runs start without it" in err
    result, err = run_cli(upscale_args(files, "again.png"), cache)
    assert result == {"code": 0, "paddle": False}, err
    assert "engine openvino (OpenVINO" in err and "Paddle not loaded" in err and "1 written, 0 failed" in err
    result, err = run_cli(upscale_args(files, "today.png"), files / "cache-today", without_openvino=True)
    assert result == {"code": 0, "paddle": True} and "runtime" not in err  # without the package: as before it
    assert np.array_equal(read(files / "first.png"), read(files / "again.png"))
    assert np.abs(read(files / "again.png") - read(files / "today.png")).max() <= 1


@needs_paddle_openvino
def test_a_damaged_cache_falls_back_with_one_clear_line(files):
    cache = files / "cache"
    run_cli(upscale_args(files, "first.png"), cache)  # exported with Paddle
    run_cli(upscale_args(files, "second.png"), cache)  # compiled by OpenVINO's runtime, kept
    (entry,) = (cache / "inference").iterdir()
    (blob,) = (cache / BLOB_FOLDER).glob("*.blob")
    data = bytearray(blob.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)  # OpenVINO itself would import it and answer NaN
    blob.chmod(0o644)
    blob.write_bytes(bytes(data))
    result, err = run_cli(upscale_args(files, "blob.png"), cache)
    assert result == {"code": 0, "paddle": False}  # compiled again from the export, still without Paddle
    assert [line for line in err.splitlines() if line.startswith("warning:")] == [
        f"warning: {blob}: damaged (its SHA-256 differs from {blob.name}.sha256); compiling the model again"]

    params = entry / "generator.pdiparams"
    data = bytearray(params.read_bytes())
    data[-64:] = bytes(64)  # same size: only the digest notices
    params.write_bytes(bytes(data))
    blob.unlink()
    result, err = run_cli(upscale_args(files, "params.png"), cache)
    assert result == {"code": 0, "paddle": True}  # exported again with Paddle
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and str(params) in warnings[0] and warnings[0].endswith("; Paddle exports it again where the cache can be written"), err
    assert "srgan export" not in warnings[0]  # the command repairs its cache itself (new-user test s21)
    assert json.loads((entry / META_FILE).read_text())["files"]["generator.pdiparams"]["sha256"] != ""
    for name in ("blob.png", "params.png"):
        assert np.array_equal(read(files / name), read(files / "first.png")), name
    result, err = run_cli(upscale_args(files, "repaired.png"), cache)
    assert result == {"code": 0, "paddle": False} and "warning" not in err
