"""paddle.jit.save export and Paddle Inference: same numbers as dygraph, any input size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import paddle
import pytest

from srgan.checkpoint import save_generator
from srgan.cli import main
from srgan.export import PixelShuffleAsReshape, PReLUAsReLU, export_generator, openvino_friendly
from srgan.export_files import META_FILE
from srgan.predict import DygraphPredictor, InferencePredictor, cached_export, model_files, openvino_available, read_meta
from srgan.models import Generator

PADDLE3 = int(paddle.__version__.split(".")[0]) >= 3


def tiny_generator(global_skip: bool = True) -> Generator:
    """One block, 8 channels; the tail is scaled down so outputs stay near [-1, 1] like a
    trained network's (a random one saturates, which would hide differences)."""
    g = Generator(scale=4, num_blocks=1, channels=8, global_skip=global_skip)
    g.tail.weight.set_value(g.tail.weight * 0.1)
    g.eval()
    return g


@pytest.mark.parametrize("global_skip", [False, True])
def test_inference_equals_dygraph_for_any_size(tmp_path, global_skip):
    g = tiny_generator(global_skip)
    out = export_generator(g, tmp_path / "model", source="test")
    program, params = model_files(out)
    assert program.suffix == (".json" if PADDLE3 else ".pdmodel") and params.is_file()
    meta = read_meta(out)
    assert meta["scale"] == 4 and meta["source"] == "test" and meta["paddle"] == paddle.__version__
    predictor = InferencePredictor(out)
    rng = np.random.default_rng(0)
    for shape in [(1, 3, 16, 16), (1, 3, 13, 22), (2, 3, 9, 7)]:  # dynamic N, H and W
        lr = rng.random(shape, dtype=np.float32)
        got, expected = predictor(lr), DygraphPredictor(g)(lr)
        assert got.shape == (shape[0], 3, shape[2] * 4, shape[3] * 4)
        assert 0.05 < expected.std() < 5  # a non-degenerate output, so the comparison means something
        assert np.abs(got - expected).max() <= 1e-4


def test_both_predictors_share_one_interface_and_dygraph_keeps_the_mode(tmp_path):
    g = tiny_generator()
    inference = InferencePredictor(export_generator(g, tmp_path / "model"))
    g.train()  # e.g. a generator being trained, validated between steps
    dygraph = DygraphPredictor(g)
    assert (dygraph.scale, dygraph.receptive_radius) == (inference.scale, inference.receptive_radius) == (4, 10)
    lr = np.random.default_rng(5).random((1, 3, 9, 11), dtype=np.float32)
    assert np.abs(dygraph(lr) - inference(lr)).max() <= 1e-4  # eval mode inside, as exported
    assert g.training and all(layer.training for layer in g.sublayers())


def test_export_keeps_the_training_flag(tmp_path):
    g = tiny_generator()
    g.train()
    export_generator(g, tmp_path / "m")
    assert g.training and all(layer.training for layer in g.sublayers())


def test_openvino_friendly_graph_equals_the_original():
    g = tiny_generator()
    friendly = openvino_friendly(g)
    kinds = {type(layer) for layer in friendly.sublayers()}
    assert PReLUAsReLU in kinds and PixelShuffleAsReshape in kinds
    assert not any(issubclass(kind, (paddle.nn.PReLU, paddle.nn.PixelShuffle)) for kind in kinds)
    lr = np.random.default_rng(1).random((1, 3, 11, 9), dtype=np.float32)
    np.testing.assert_allclose(DygraphPredictor(friendly)(lr), DygraphPredictor(g)(lr), atol=1e-5)
    assert any(isinstance(layer, paddle.nn.PReLU) for layer in g.sublayers())  # the original is untouched


@pytest.mark.skipif(not PADDLE3, reason="Paddle 2.6 wheels have no OpenVINO engine")
def test_openvino_engine_equals_dygraph(tmp_path):
    assert openvino_available()
    g = tiny_generator()
    out = export_generator(g, tmp_path / "ov", openvino=True)
    assert model_files(out)[0].suffix == ".pdmodel"
    predictor = InferencePredictor(out, backend="openvino")
    lr = np.random.default_rng(2).random((1, 3, 12, 10), dtype=np.float32)
    assert np.abs(predictor(lr) - DygraphPredictor(g)(lr)).max() <= 1e-4


@pytest.mark.skipif(not PADDLE3, reason="Paddle 2.6 wheels have no OpenVINO engine")
def test_openvino_bf16_is_close_to_float32(tmp_path):
    from srgan.infer import Upscaler

    g = tiny_generator()
    image = np.random.default_rng(4).integers(0, 256, (16, 20, 3), dtype=np.uint8)
    fp32 = Upscaler(g, engine="openvino")(image).astype(int)
    bf16 = Upscaler(g, engine="openvino", bf16=True)(image).astype(int)
    assert 0 < np.abs(bf16 - fp32).mean() < 1.0  # really bf16 (not silently float32), and close
    assert np.abs(bf16 - fp32).max() <= 8
    with pytest.raises(ValueError, match="OpenVINO"):
        Upscaler(g, engine="dygraph", bf16=True)


def test_openvino_backend_refuses_a_plain_export(tmp_path):
    out = export_generator(tiny_generator(), tmp_path / "plain")
    with pytest.raises((ValueError, RuntimeError), match="OpenVINO"):
        InferencePredictor(out, backend="openvino")


def test_cached_export_is_keyed_by_the_weights_hash(tmp_path):
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    save_generator(tiny_generator(), a)
    save_generator(tiny_generator(), b)  # different random weights
    first = cached_export(a, cache_dir=tmp_path / "cache")
    stamp = model_files(first)[1].stat().st_mtime_ns
    assert cached_export(a, cache_dir=tmp_path / "cache") == first  # reused, not re-exported
    assert model_files(first)[1].stat().st_mtime_ns == stamp
    assert cached_export(b, cache_dir=tmp_path / "cache") != first
    assert read_meta(first)["source"] == str(a.resolve())


def test_cli_export_checks_itself(tmp_path, capsys):
    weights = tmp_path / "g.safetensors"
    save_generator(tiny_generator(), weights)
    assert main(["export", "--weights", str(weights), "--out", str(tmp_path / "exported")]) == 0
    err = capsys.readouterr().err
    assert "max |diff|" in err
    model_files(tmp_path / "exported")
    assert main(["export", "--weights", str(tmp_path / "missing.safetensors"), "--out", str(tmp_path / "x")]) == 2
    assert "missing.safetensors" in capsys.readouterr().err


def test_a_folder_name_that_is_not_utf8_is_one_line(tmp_path, capsys):
    """Paddle's C++ side takes UTF-8 paths only: exporting to, or upscaling with, an export
    folder whose name is not UTF-8 (os.fsdecode's surrogates, e.g. Latin-1 'modèle') is one
    error line naming it, exit 2; before, both ended in a pybind11 TypeError traceback (and
    the export's temporary folder was the only thing left)."""
    import os

    weights = tmp_path / "g.safetensors"
    save_generator(tiny_generator(), weights)
    latin1 = os.fsdecode(bytes(tmp_path) + b"/mod\xe8le")
    assert main(["export", "--weights", str(weights), "--out", latin1]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "UTF-8" in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.safetensors"]  # no folder, no temporary one

    os.replace(export_generator(tiny_generator(), tmp_path / "exported"), latin1)
    image = tmp_path / "in.png"
    from PIL import Image

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    assert main(["upscale", str(image), "-o", str(tmp_path / "out"), "--weights", latin1, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "UTF-8" in err[0], err


def test_upscaler_runs_an_exported_directory(tmp_path):
    from srgan.infer import Upscaler

    g = tiny_generator()
    out = export_generator(g, tmp_path / "exported")
    image = np.random.default_rng(3).integers(0, 256, (14, 18, 3), dtype=np.uint8)
    up = Upscaler(weights=out)  # auto: a plain export runs with oneDNN
    assert up.engine == "inference" and up.scale == 4
    expected = Upscaler(g, engine="dygraph")(image)
    assert np.abs(up(image).astype(int) - expected.astype(int)).max() <= 1
    with pytest.raises(ValueError, match="engine 'inference' only"):
        Upscaler(weights=out, engine="dygraph")


def test_check_export_measures_the_export_and_keeps_the_mode(tmp_path):
    from srgan.predict import check_export

    g = tiny_generator()
    out = export_generator(g, tmp_path / "model")
    g.train()
    assert check_export(g, out) <= 1e-4
    assert g.training  # the caller's mode is restored
    other = tiny_generator(global_skip=False)  # a different network: the check must see it
    assert check_export(other, out) > 1e-3


def test_the_read_side_keeps_its_old_import_paths_with_a_warning():
    """Predictors, model files and the export cache moved to srgan.predict (issue 24); code that
    imports them from srgan.export gets the same objects and a DeprecationWarning naming the new home."""
    import srgan.export
    import srgan.machine
    import srgan.predict

    for name in ("DygraphPredictor", "InferencePredictor", "model_files", "read_meta", "verify_export", "default_cache_dir",
                 "cached_export", "openvino_available", "check_export"):
        with pytest.warns(DeprecationWarning, match=f"srgan.predict.{name}"):
            assert getattr(srgan.export, name) is getattr(srgan.predict, name)
    with pytest.warns(DeprecationWarning, match="srgan.machine.cpu_threads"):
        assert srgan.export.cpu_threads is srgan.machine.cpu_threads
    with pytest.raises(AttributeError):
        srgan.export.no_such_name  # noqa: B018


# --- hostile test s17: writes that fail in silence, OpenVINO exports and oneDNN, permissions --------
def _program(folder):
    return model_files(folder)[0]


@pytest.mark.parametrize("cut", ["pdiparams", "program"])
def test_an_export_cut_short_in_silence_fails_naming_the_file_and_leaves_nothing(tmp_path, monkeypatch, capsys, cut):
    """Paddle's C++ writers (.pdiparams, PIR .json) report no error when `ulimit -f` cuts a file:
    the export recorded the cut files in its meta and put them in place, listed as written."""
    if cut == "program" and not PADDLE3:
        pytest.skip("Paddle 2.6 writes its .pdmodel from Python, which reports the error itself")
    save = paddle.jit.save

    def cut_short(layer, path, **kwargs):
        save(layer, path, **kwargs)
        target = Path(path + ".pdiparams") if cut == "pdiparams" else _program(Path(path).parent)
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])

    monkeypatch.setattr(paddle.jit, "save", cut_short)
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    out = tmp_path / "out"
    assert main(["export", "--weights", str(tmp_path / "g.safetensors"), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"error: {out}/generator.") and "writing failed" in errors[0], captured.err
    assert captured.out == ""  # no file listed as written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.safetensors"]  # no folder, no temporary one


def test_export_under_a_real_file_size_limit(tmp_path):
    """The same with `ulimit -f` itself (RLIMIT_FSIZE, in a child process): 35000 bytes holds the
    tiny generator's program but not its 42566-byte .pdiparams, on Paddle 2.6 and 3.x."""
    import os
    import subprocess
    import sys

    import srgan

    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (35000, resource.RLIM_INFINITY)); "
            "from srgan.cli import main; sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "PYTHONPATH": str(Path(srgan.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", code, "export", "--weights", "g.safetensors", "--out", "out"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert done.returncode == 2 and errors == [line for line in done.stderr.splitlines() if line.strip()], done.stderr
    assert errors[0].startswith("error: out/generator.pdiparams: writing failed"), done.stderr
    assert done.stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == ["g.safetensors"]


def _vouch_for(folder):
    """Record the files as they are now in the meta, as an older srgan did after a silent cut."""
    import json

    from srgan.atomic import file_digest

    meta = json.loads((folder / "srgan_export.json").read_text())
    meta.pop("stored_values", None)
    for p in folder.iterdir():
        if p.name in meta["files"]:
            meta["files"][p.name] = {"bytes": p.stat().st_size, "sha256": file_digest(p)}
    (folder / "srgan_export.json").write_text(json.dumps(meta))


def test_a_cached_export_cut_short_is_exported_again_with_a_warning(tmp_path):
    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    entry = cached_export(tmp_path / "g.safetensors", cache_dir=tmp_path / "cache")
    params = entry / "generator.pdiparams"
    params.write_bytes(params.read_bytes()[:20000])
    _vouch_for(entry)
    with pytest.warns(UserWarning, match=r"the cached export is damaged \(generator.pdiparams: .*exporting it again"):
        assert cached_export(tmp_path / "g.safetensors", cache_dir=tmp_path / "cache") == entry
    assert params.stat().st_size > 20000
    InferencePredictor(entry)


def test_a_cached_export_that_fails_to_load_is_exported_again(tmp_path):
    from srgan.infer import Upscaler

    save_generator(tiny_generator(), tmp_path / "g.safetensors")
    entry = cached_export(tmp_path / "g.safetensors", cache_dir=tmp_path / "cache")
    program = _program(entry)
    program.write_bytes(b'{"a": 1}' if program.suffix == ".json" else b"\x0a\x02\x08\x00")  # whole, but no program
    _vouch_for(entry)
    with pytest.warns(UserWarning, match="the cached export is damaged .*failed to load.*exporting it again"):
        up = Upscaler(weights=tmp_path / "g.safetensors", engine="inference", device="cpu", cache_dir=tmp_path / "cache")
    assert up.engine == "inference" and up(np.zeros((8, 8, 3), np.uint8)).shape == (32, 32, 3)


@pytest.mark.parametrize("damage", ["cut", "no program"])
def test_a_damaged_export_folder_is_one_line_naming_it(tmp_path, capsys, damage):
    """Not Paddle's C++ `[json.exception.parse_error.101] ...`, which names no file."""
    from PIL import Image

    out = export_generator(tiny_generator(), tmp_path / "exported")
    program = _program(out)
    if damage == "cut":
        (out / "generator.pdiparams").write_bytes((out / "generator.pdiparams").read_bytes()[:20000])
    else:
        program.write_bytes(b'{"a": 1}' if program.suffix == ".json" else b"\x0a\x02\x08\x00")
    _vouch_for(out)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "x.png")
    code = main(["upscale", str(tmp_path / "x.png"), "-o", str(tmp_path / "y.png"), "--weights", str(out),
                 "--engine", "inference", "--device", "cpu", "--no-progress"])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert code == 2 and len(errors) == 1 and str(out) in errors[0] and "json.exception" not in errors[0], errors
    assert ("generator.pdiparams: the last tensor is cut short" if damage == "cut" else "could not load") in errors[0]


@pytest.mark.parametrize("engine", ["inference", "openvino"])
def test_an_export_folder_damaged_in_place_is_refused_not_run(tmp_path, capsys, engine):
    """Hostile s23 #2: the last 100 bytes of generator.pdiparams overwritten (same size) ran, exit 0, an
    image 47 grey levels off; the export's recorded SHA-256 now names the file first."""
    from PIL import Image

    if engine == "openvino":
        from srgan.predict import openvino_available

        if not openvino_available():
            pytest.skip(f"paddle {paddle.__version__} has no OpenVINO engine (a Paddle 3.x CPU wheel has it)")
    out = export_generator(tiny_generator(), tmp_path / "exported", openvino=engine == "openvino")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "x.png")
    run = ["upscale", str(tmp_path / "x.png"), "--weights", str(out), "--engine", engine, "--device", "cpu", "--no-progress"]
    assert main([*run, "-o", str(tmp_path / "good.png")]) == 0
    params = out / "generator.pdiparams"
    data = bytearray(params.read_bytes())
    data[-100:] = bytes(100)
    params.write_bytes(bytes(data))
    capsys.readouterr()
    assert main([*run, "-o", str(tmp_path / "bad.png")]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and f"{params}: its content differs from what the export wrote (SHA-256)" in errors[0], errors
    assert not (tmp_path / "bad.png").exists()


@pytest.mark.parametrize("change, problem", [
    ({"files": {"generator.json": 5}}, "files is not a table"),
    ({"files": ["generator.json"]}, "files is not a table"),
    ({"scale": 1e999}, "scale inf is not a power of two"),
    ({"scale": 0}, "scale 0 is not a power of two"),
    ({"scale": 3}, "scale 3 is not a power of two"),
    ({"receptive_radius": "x"}, "receptive_radius 'x' is not an integer"),
    ({"files": {"../../etc/passwd": {"bytes": 1}}}, "files names a path outside the folder"),
])
def test_a_meta_with_wrong_types_is_one_line_naming_it(tmp_path, capsys, change, problem):
    """A srgan_export.json edited by hand or damaged: AttributeError / OverflowError tracebacks
    before, or an error that blamed the input image (scale 0)."""
    from PIL import Image

    out = export_generator(tiny_generator(), tmp_path / "exported")
    meta = json.loads((out / META_FILE).read_text())
    (out / META_FILE).write_text(json.dumps({**meta, **change}).replace("Infinity", "1e999"))
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "x.png")
    code = main(["upscale", str(tmp_path / "x.png"), "-o", str(tmp_path / "y.png"), "--weights", str(out),
                 "--device", "cpu", "--no-progress"])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert code == 2 and len(errors) == 1 and str(out / META_FILE) in errors[0] and problem in errors[0], errors
    assert not (tmp_path / "y.png").exists()


@pytest.mark.parametrize("engine", ["inference", "auto without OpenVINO"])
def test_an_openvino_export_is_never_run_by_onednn(tmp_path, monkeypatch, capsys, engine):
    """oneDNN's predictor crashed with a segmentation fault (exit 139) on an --openvino export, on
    Paddle 2.6 and 3.x; `auto` picked it wherever the Paddle wheel has no OpenVINO engine."""
    import srgan.predict
    from PIL import Image

    out = export_generator(tiny_generator(), tmp_path / "ov", openvino=True)
    if engine != "inference":
        monkeypatch.setattr(srgan.predict, "openvino_available", lambda: False)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "x.png")
    code = main(["upscale", str(tmp_path / "x.png"), "-o", str(tmp_path / "y.png"), "--weights", str(out),
                 "--engine", engine.split()[0], "--device", "cpu", "--no-progress"])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert code == 2 and len(errors) == 1 and f"{out}: exported for OpenVINO (--openvino)" in errors[0], errors
    if engine != "inference" or not openvino_available():
        assert "export it again without --openvino" in errors[0]
    else:
        assert "--engine openvino" in errors[0]
    assert not (tmp_path / "y.png").exists()


def test_an_export_folder_is_not_private(tmp_path):
    """mkdtemp's 0700 folder was renamed into place: an export for a server or another account
    could be read by no one else."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = export_generator(tiny_generator(), tmp_path / "exported")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


def test_the_meta_counts_the_stored_values_not_the_parameters(tmp_path):
    """The meta's count is what the .pdiparams holds, batch-norm statistics included: it is named
    so (a reader of ch8 compared it with the parameter count of ch2 and found them different), and
    an export by srgan 0.1, which called it "parameters", is still checked by it."""
    from srgan.export_files import NotWhole, check_written

    g = tiny_generator()
    out = export_generator(g, tmp_path / "model")
    meta = read_meta(out)
    trainable = sum(int(p.size) for p in g.parameters() if not p.stop_gradient)
    assert "parameters" not in meta and meta["stored_values"] == sum(int(v.size) for v in g.state_dict().values())
    assert meta["stored_values"] > trainable  # the running means and variances are stored, not trained
    old = dict(meta, parameters=meta["stored_values"] + 1)  # an old export's key, a wrong count
    del old["stored_values"]
    (out / META_FILE).write_text(json.dumps(old))
    with pytest.raises(NotWhole, match="pdiparams"):
        check_written(out)


@pytest.mark.skipif(not PADDLE3, reason="only Paddle 3.x writes PIR (.json) programs")
def test_a_pir_export_given_to_paddle_2_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    """Exported with Paddle 3.x (generator.json, PIR) and run with Paddle 2.6 (AI Studio's): the
    predictor crashed with a segmentation fault (exit 139). Paddle 2.6 is stood in for by its
    version string: the refusal comes before any predictor is built."""
    from PIL import Image

    out = export_generator(tiny_generator(), tmp_path / "pir")
    assert (out / "generator.json").is_file()
    monkeypatch.setattr(paddle, "__version__", "2.6.2")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "x.png")
    code = main(["upscale", str(tmp_path / "x.png"), "-o", str(tmp_path / "y.png"), "--weights", str(out),
                 "--engine", "inference", "--device", "cpu", "--no-progress"])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert code == 2 and len(errors) == 1, errors
    assert "as a PIR program (generator.json), which Paddle 2.6.2 cannot read; export it again" in errors[0]
    assert not (tmp_path / "y.png").exists()


def test_an_export_killed_on_the_way_leaves_no_folder_behind_the_next_one(tmp_path):
    """SIGKILL during an export left its temporary folder (`.<name>.<pid>@<host>.<random>.tmp`, some
    MB) for good: the next export to that place removes a dead exporter's, and nothing else."""
    import subprocess
    import sys

    from srgan.atomic import writer_tag

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)
    host = writer_tag().split("@", 1)[1]
    left = tmp_path / f".m.{dead}@{host}.ab12cd34.tmp"
    left.mkdir()
    (left / "generator.pdiparams").write_bytes(b"half")
    mine = tmp_path / ".m.notes.tmp"
    mine.mkdir()
    export_generator(Generator(num_blocks=1, channels=8), tmp_path / "m")
    assert not left.exists() and mine.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.notes.tmp", "m"]


def test_the_python_api_prints_no_paddle_log_line_on_a_first_export(tmp_path):
    """New-user test s21: the first upscale of the Python API printed Paddle's glog line "New
    Executor is Running." (paddle.jit.save, Paddle 3); the command line hides it by GLOG_minloglevel,
    which the API cannot set for the user."""
    import subprocess
    import sys

    code = ("import numpy as np, paddle\n"
            "from srgan.export import export_generator\n"
            "from srgan.models import Generator\n"
            f"export_generator(Generator(num_blocks=1, channels=8), {str(tmp_path / 'exp')!r})\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != "GLOG_minloglevel"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Executor" not in done.stderr and not [l for l in done.stderr.splitlines() if l[:1] in "IW" and l[1:5].isdigit()]


@pytest.mark.parametrize("start", ["new", "empty"])
def test_an_export_written_meanwhile_by_another_command_is_not_replaced(tmp_path, monkeypatch, start):
    """Hostile s23 #3: two `srgan export` into one folder at once both printed success, the folder
    held one model: the second replaced the first without --overwrite (the folder was checked only
    at the start). The one that finishes second is now refused and leaves the other's files."""
    from srgan import export as export_module
    from srgan.outputs import OutputError

    out = tmp_path / "exported"
    if start == "empty":
        out.mkdir()
    real = export_module.check_written

    def meanwhile(*args, **kwargs):  # another export finishes while this one is being written
        monkeypatch.setattr(export_module, "check_written", real)
        export_generator(tiny_generator(), out)
        return real(*args, **kwargs)

    monkeypatch.setattr(export_module, "check_written", meanwhile)
    with pytest.raises(OutputError, match="written by another command while this export ran|holds an earlier output"):
        export_generator(tiny_generator(), out)
    other = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "srgan_export.json" in other and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
