"""Issue 20: no file a user passes runs code, nothing a user owns is deleted or replaced without
asking, and the exit status tells the truth. Each test fails on the behaviour the issue found."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest

from srgan.checkpoint import CheckpointError, load_checkpoint, save_generator
from srgan.cli import main
from srgan.config import quick
from srgan.models import Generator
from srgan.runs import checkpoints
from srgan.train import Trainer
from tiny import images as _images
from tiny import val_pairs as _val_pairs

TRAIN = ["train", "--quick", "--num-blocks", "1", "--channels", "8", "--hr-size", "16", "--batch-size", "2",
         "--log-every", "1", "--no-visualdl", "--device", "cpu", "--lr-milestones"]


class _Payload:
    """A pickle that creates a marker file when it is loaded: what a hostile file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def _evil(path, marker):
    with open(path, "wb") as f:
        pickle.dump({"generator": _Payload(marker), "step": 0, "phase": "pretrain", "config": {}}, f)
    return path


def _tiny_run(out, steps=2, **train):
    cfg = quick("pretrain")
    cfg.model.num_blocks, cfg.model.channels = 1, 8
    cfg.data.hr_size, cfg.data.batch_size, cfg.data.num_workers = 16, 2, 0
    cfg.train.steps, cfg.train.val_every, cfg.train.ckpt_every, cfg.train.lr_milestones = steps, steps, steps, []
    cfg.train.out_dir, cfg.train.visualdl = str(out), False
    for key, value in train.items():
        setattr(cfg.train, key, value)
    return cfg


# --- no file runs code ---------------------------------------------------------------------------
def test_load_checkpoint_refuses_a_pickle_that_runs_code(tmp_path):
    marker = tmp_path / "marker"
    with pytest.raises(CheckpointError, match="posix.system|os.system"):
        load_checkpoint(_evil(tmp_path / "evil.ckpt", marker))
    assert not marker.exists()


@pytest.mark.parametrize("kind", [b"bytearray", b"bytes"])
def test_load_checkpoint_refuses_a_pickle_that_asks_for_a_huge_buffer(tmp_path, kind):
    # protocol 2: GLOBAL builtins.<kind>, the int 10**13, TUPLE1, REDUCE, STOP: ten terabytes of zeros
    # asked for by 40 bytes; allowed types, so only the size check stands between it and the memory.
    path = tmp_path / "huge.ckpt"
    path.write_bytes(b"\x80\x02cbuiltins\n" + kind + b"\n\x8a\x06\x00\xa0r\x4e\x18\x09\x85R.")
    with pytest.raises(CheckpointError, match="10,000,000,000,000 empty bytes"):
        load_checkpoint(path)


def test_load_checkpoint_refuses_a_huge_buffer_sized_by_a_numpy_integer(tmp_path):
    """Hostile test s21: np.int64(N), made by the allowed numpy scalar, slipped past the size check."""
    import pickle

    class Huge:
        def __reduce__(self):
            return bytearray, (np.int64(10**13),)

    path = tmp_path / "huge.ckpt"
    path.write_bytes(pickle.dumps(Huge(), protocol=4))
    with pytest.raises(CheckpointError, match="10,000,000,000,000 empty bytes"):
        load_checkpoint(path)


def test_load_checkpoint_of_a_deeply_shared_structure_is_quick(tmp_path):
    """Hostile test s21: 60 nested lists, each holding the one below twice, are a few hundred bytes
    of pickle; the conversion walked every path through them (2^60) and never finished."""
    import pickle

    from srgan.safeload import safe_load

    inner = []
    for _ in range(60):
        inner = [inner, inner]
    path = tmp_path / "laughs.ckpt"
    path.write_bytes(pickle.dumps({"x": inner}, protocol=2))
    assert path.stat().st_size < 1000
    state = safe_load(path, return_numpy=True)  # returns at once (the test would hang otherwise)
    depth, node = 0, state["x"]
    while node:
        node, depth = node[0], depth + 1
    assert depth == 60


def test_load_checkpoint_still_reads_the_trainers_checkpoints(tmp_path):
    Trainer(_tiny_run(tmp_path / "run"), images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    state = load_checkpoint(checkpoints(tmp_path / "run")[-1])
    assert state["step"] == 2 and state["phase"] == "pretrain" and "generator" in state
    np.random.set_state(state["rng"]["numpy"])  # the RNG states come back usable


@pytest.mark.parametrize("how", ["--init-generator", "--resume", "release --checkpoint", "release run folder", "--vgg-weights"])
def test_no_command_unpickles_a_hostile_file(tmp_path, capsys, how):
    marker = tmp_path / "marker"
    out = str(tmp_path / "out")
    if how == "--init-generator":
        argv = [*TRAIN, "--steps", "2", "--init-generator", str(_evil(tmp_path / "evil.pdparams", marker)), "--out", out]
    elif how == "--resume":
        argv = [*TRAIN, "--steps", "2", "--resume", str(_evil(tmp_path / "evil.ckpt", marker)), "--out", out]
    elif how == "release --checkpoint":
        run = tmp_path / "run"
        Trainer(_tiny_run(run), images=_images(), val_pairs=_val_pairs(), progress=False).fit()
        argv = ["release", str(run), "--checkpoint", str(_evil(run / "ckpt_00000009.ckpt", marker)), "--out", out + ".safetensors"]
    elif how == "release run folder":
        run = tmp_path / "run"
        run.mkdir()
        _evil(run / "ckpt_00000001.ckpt", marker)
        argv = ["release", str(run), "--out", out + ".safetensors"]
    else:
        argv = [*TRAIN, "--steps", "2", "--phase", "gan", "--d-image-size", "16", "--content-loss", "vgg22",
                "--vgg-weights", str(_evil(tmp_path / "vgg.pdparams", marker)), "--out", out]
    code = main(argv)
    err = capsys.readouterr().err
    assert not marker.exists(), "the pickle's code ran"
    assert code == 2 and "error: " in err and "Traceback" not in err


# --- helpers ---------------------------------------------------------------------------------------
def _benchmark(folder, scale=4, size=32):
    from PIL import Image

    from srgan.imresize import imresize

    hr = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
    for sub, img in (("HR", hr), (f"LR_bicubic_x{scale}", imresize(hr, scale=1 / scale))):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(folder / sub / "a.png")
    return folder


def _data(folder):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for name, img in _images():
        Image.fromarray(img).save(folder / f"{name}.png")
    return folder


def _cli_run(tmp_path, out, *extra):
    """argv of a tiny CLI training run on files (no shared data needed)."""
    data, bench = _data(tmp_path / "data"), _benchmark(tmp_path / "bench")
    return [*TRAIN, "--data", str(data), "--val-dir", str(bench), "--out", str(out), *extra]


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _weights(path, scale=4):
    save_generator(Generator(scale=scale, num_blocks=1, channels=8), path)
    return path


# --- nothing a user owns is deleted or replaced ----------------------------------------------------
@pytest.mark.parametrize("folder", ["user files", "weights folder"])
def test_export_never_deletes_a_folder_it_did_not_write(tmp_path, capsys, folder):
    out = tmp_path / "out"
    out.mkdir()
    weights = _weights(out / "g.safetensors") if folder == "weights folder" else _weights(tmp_path / "g.safetensors")
    (out / "thesis.tex").write_text("months of work")
    before = _snapshot(out)
    for overwrite in ([], ["--overwrite"]):
        assert main(["export", "--weights", str(weights), "--out", str(out), *overwrite]) == 2
        assert "is not empty" in capsys.readouterr().err
        assert _snapshot(out) == before


def test_export_replaces_only_its_own_files_and_only_when_asked(tmp_path, capsys):
    from srgan.export import META_FILE
    from srgan.predict import model_files, read_meta

    weights, out = _weights(tmp_path / "g.safetensors"), tmp_path / "exported"
    assert main(["export", "--weights", str(weights), "--out", str(out)]) == 0
    (out / "NOTES.md").write_text("mine")
    first = (out / META_FILE).read_bytes()
    assert main(["export", "--weights", str(weights), "--out", str(out)]) == 2  # an earlier export: needs --overwrite
    assert "add --overwrite" in capsys.readouterr().err and (out / META_FILE).read_bytes() == first
    assert main(["export", "--weights", str(weights), "--out", str(out), "--overwrite"]) == 0
    assert (out / "NOTES.md").read_text() == "mine"  # not the export's: left alone
    model_files(out), read_meta(out)


def test_export_never_takes_a_users_generator_json_for_an_earlier_export(tmp_path, capsys):
    """Hostile test s17: a folder holding only files named like an export's (the user's own
    generator.json) counted as an earlier export, and --overwrite replaced the user's file."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "generator.json").write_text('{"my": "own program"}')
    weights = _weights(tmp_path / "g.safetensors")
    for marker in (None, "my notes", '{"scale": "not json"'):  # nor does a srgan_export.json that srgan did not write
        if marker is not None:
            (out / "srgan_export.json").write_text(marker)
        before = _snapshot(out)
        for overwrite in ([], ["--overwrite"]):
            assert main(["export", "--weights", str(weights), "--out", str(out), *overwrite]) == 2
            err = capsys.readouterr().err
            assert "is not empty (generator.json" in err and "not replaced" in err, err
            assert _snapshot(out) == before


def test_an_export_interrupted_while_replacing_is_named_and_replaced_with_overwrite(tmp_path, capsys):
    from srgan.export_files import REPLACING, read_meta

    weights, out = _weights(tmp_path / "g.safetensors"), tmp_path / "exported"
    assert main(["export", "--weights", str(weights), "--out", str(out)]) == 0
    (out / "srgan_export.json").write_text(json.dumps(REPLACING))  # what an interrupted --overwrite leaves
    with pytest.raises(ValueError, match="interrupted while it replaced the files"):
        read_meta(out)
    assert main(["export", "--weights", str(weights), "--out", str(out)]) == 2 and "add --overwrite" in capsys.readouterr().err
    assert main(["export", "--weights", str(weights), "--out", str(out), "--overwrite"]) == 0
    assert read_meta(out)["scale"] == 4


def test_export_into_an_empty_folder(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["export", "--weights", str(_weights(tmp_path / "g.safetensors")), "--out", str(out)]) == 0
    assert (out / "srgan_export.json").is_file()


def test_a_truncated_export_is_named(tmp_path):
    from srgan.export import export_generator
    from srgan.predict import InferencePredictor

    out = export_generator(Generator(num_blocks=1, channels=8), tmp_path / "e")
    params = out / "generator.pdiparams"
    params.write_bytes(params.read_bytes()[:100])
    with pytest.raises(ValueError, match="generator.pdiparams: 100 bytes, but the export wrote"):
        InferencePredictor(out)


@pytest.mark.parametrize("same", ["folder", "file"])
def test_upscale_never_replaces_its_inputs_even_with_overwrite(tmp_path, capsys, same):
    from PIL import Image

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(np.full((8, 8, 3), 7, np.uint8)).save(folder / "x.png")
    before = _snapshot(folder)
    target = folder if same == "folder" else folder / "x.png"
    code = main(["upscale", str(target), "-o", str(target), "--overwrite", "--weights", str(_weights(tmp_path / "g.safetensors")),
                 "--engine", "dygraph", "--device", "cpu", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "is an input of this command" in err  # nothing done
    assert _snapshot(folder) == before


@pytest.mark.parametrize("layout", ["a.png and a.jpg in one folder", "x/a.png and y/a.png"])
def test_upscale_never_replaces_an_input_refused_for_a_name_clash(tmp_path, capsys, layout):
    """Hostile test s17, defect 1: a.jpg's output is a.png, an input too (refused itself for the
    clash, so it was missing from the inputs checked): --overwrite replaced it."""
    from PIL import Image

    x, y = tmp_path / "x", tmp_path / "y"
    x.mkdir(), y.mkdir()
    Image.fromarray(np.full((8, 8, 3), 7, np.uint8)).save(y / "a.png")
    if layout.startswith("a.png and"):
        Image.fromarray(np.full((8, 8, 3), 9, np.uint8)).save(y / "a.jpg")
        Image.fromarray(np.full((8, 8, 3), 5, np.uint8)).save(y / "b.png")
        inputs = [str(y)]
    else:
        Image.fromarray(np.full((8, 8, 3), 9, np.uint8)).save(x / "a.png")
        inputs = [str(x / "a.png"), str(y / "a.png")]
    before = _snapshot(y)
    code = main(["upscale", *inputs, "-o", str(y), "--overwrite", "--weights", str(_weights(tmp_path / "g.safetensors")),
                 "--engine", "dygraph", "--device", "cpu", "--no-progress"])
    err = capsys.readouterr().err
    if layout.startswith("a.png and"):  # a.png, a.jpg keep their extension (a.png.png, a.jpg.png): b.png is the input
        assert code == 1 and f"{y / 'b.png'}: is an input of this command" in err, err
        after = _snapshot(y)
        assert {k: after[k] for k in before} == before and set(after) - set(before) == {"a.png.png", "a.jpg.png"}
    else:
        assert code == 2 and f"{y / 'a.png'}: is an input of this command" in err, err
        assert _snapshot(y) == before


def test_release_and_compare_refuse_to_replace_outputs_without_overwrite(tmp_path, capsys):
    run, bench = tmp_path / "run", _benchmark(tmp_path / "bench")
    Trainer(_tiny_run(run), images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    out = tmp_path / "w.safetensors"
    card = out.with_suffix(".json")
    card.write_text("the user's own card")
    assert main(["release", str(run), "--out", str(out), "--data", str(bench)]) == 2
    assert "w.json: exists; not replaced" in capsys.readouterr().err
    assert card.read_text() == "the user's own card" and not out.exists()
    assert main(["release", str(run), "--out", str(out), "--data", str(bench), "--overwrite"]) == 0
    assert out.is_file() and card.read_text() != "the user's own card"

    png = tmp_path / "cmp.png"
    png.write_bytes(b"mine")
    compare = ["compare", "--weights", f"A={out}", "--data", str(bench), "--out", str(png)]
    assert main(compare) == 2 and png.read_bytes() == b"mine"
    assert main([*compare, "--overwrite"]) == 0 and png.read_bytes() != b"mine"


def test_outputs_under_a_file_and_empty_paths_are_named(tmp_path, capsys):
    from srgan.outputs import OutputError, check_output_file

    (tmp_path / "a").write_text("x")
    with pytest.raises(OutputError, match=r"a/b.png: .*a is a file, not a folder"):
        check_output_file(tmp_path / "a" / "b.png", overwrite=False)
    for argv in (["upscale", "x.png", "-o", ""], ["upscale", "x.png", "-o", "y", "--weights", ""], ["export", "--out", ""],
                 ["upscale", "x.png", "-o", "y", "--cache-dir", ""]):
        with pytest.raises(SystemExit) as exit:
            main(argv)
        assert exit.value.code == 2 and "empty path" in capsys.readouterr().err


# --- training: resume, branches, leftovers, settings --------------------------------------------------
def test_resuming_an_earlier_checkpoint_in_place_is_refused_not_branched(tmp_path, capsys):
    out = tmp_path / "run"
    argv = _cli_run(tmp_path, out, "--steps", "6", "--ckpt-every", "2", "--val-every", "100", "--keep-last", "all")
    assert main(argv) == 0
    before = _snapshot(out)
    early = str(checkpoints(out)[0])
    assert main([*argv, "--resume", early]) == 2
    assert "holds later checkpoints (ckpt_00000004.ckpt" in capsys.readouterr().err
    assert _snapshot(out) == before
    # the branch goes to its own folder, which records the run it continues
    branch = _cli_run(tmp_path, tmp_path / "branch", "--steps", "6", "--ckpt-every", "2", "--val-every", "100", "--keep-last", "all")
    assert main([*branch, "--resume", early, "--lr", "1e-4"]) == 0
    assert (tmp_path / "branch" / "init_card.json").is_file()


def test_resume_in_place_with_changed_settings_names_them(tmp_path, capsys):
    out = tmp_path / "run"
    argv = _cli_run(tmp_path, out, "--steps", "2", "--ckpt-every", "2", "--val-every", "100")
    assert main(argv) == 0
    assert main([*argv, "--steps", "4", "--resume", "--lr", "1e-3", "--batch-size", "4", "--seed", "3"]) == 2
    err = capsys.readouterr().err
    assert "lr 0.0002 -> 0.001" in err and "batch_size 2 -> 4" in err and "seed 0 -> 3" in err
    assert main([*argv, "--steps", "4", "--resume"]) == 0  # more steps: the same run, continued
    assert [p.name for p in checkpoints(out)][-1] == "ckpt_00000004.ckpt"


def test_resume_given_the_run_folder_itself(tmp_path):
    out = tmp_path / "run"
    argv = _cli_run(tmp_path, out, "--steps", "2", "--ckpt-every", "2", "--val-every", "100")
    assert main(argv) == 0
    assert main([*argv, "--steps", "4", "--resume", str(out)]) == 0
    assert checkpoints(out)[-1].name == "ckpt_00000004.ckpt"


def test_resuming_a_complete_run_says_so(tmp_path, capsys):
    """Hostile test s21: --resume of a finished run printed the run's header and then nothing."""
    out = tmp_path / "run"
    argv = _cli_run(tmp_path, out, "--steps", "2", "--ckpt-every", "2", "--val-every", "100")
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 0
    stdout, err = capsys.readouterr()
    assert "the run is complete at step 2 (--steps 2); nothing to train" in err and "phase " not in stdout
    assert [p.name for p in checkpoints(out)] == ["ckpt_00000002.ckpt"]


def test_half_written_checkpoints_of_a_killed_run_are_removed(tmp_path, capsys):
    out = tmp_path / "run"
    argv = _cli_run(tmp_path, out, "--steps", "2", "--ckpt-every", "2", "--val-every", "100")
    assert main(argv) == 0
    left = [out / ".ckpt_00000004.ckpt.4321@somehost.k1x2ab_9.tmp", out / ".best_generator.safetensors.77@vm.abcdefgh.tmp"]
    for p in left:
        p.write_bytes(b"\0" * 1000)
    mine = [out / ".my_notes.tmp", out / ".config.json.mynotes.tmp"]  # the second: the shape of the run's, not its (round 2, N8)
    for p in mine:
        p.write_text("not the run's")
    assert main([*argv, "--steps", "4", "--resume"]) == 0
    assert not any(p.exists() for p in left) and all(p.exists() for p in mine)
    assert "removed 2 temporary file(s)" in capsys.readouterr().err


# --- exit status --------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
def test_an_interrupted_training_exits_130_with_a_checkpoint(tmp_path, monkeypatch, how):
    import signal

    original = Trainer.train_step

    def step(self, lr, hr):
        losses = original(self, lr, hr)
        if self.step == 2:  # the third step
            if how == "SIGTERM":
                os.kill(os.getpid(), signal.SIGTERM)
            else:
                raise KeyboardInterrupt
        return losses

    monkeypatch.setattr(Trainer, "train_step", step)
    out = tmp_path / "run"
    assert main(_cli_run(tmp_path, out, "--steps", "10", "--ckpt-every", "100", "--val-every", "100")) == 130
    assert checkpoints(out)[-1].name == ("ckpt_00000003.ckpt" if how == "SIGTERM" else "ckpt_00000002.ckpt")


def test_max_minutes_is_a_normal_end(tmp_path):
    out = tmp_path / "run"
    assert main(_cli_run(tmp_path, out, "--steps", "50", "--ckpt-every", "100", "--val-every", "100", "--max-minutes", "0")) == 0
    assert checkpoints(out)[-1].name == "ckpt_00000001.ckpt"


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_non_finite_settings_are_refused(tmp_path, capsys, value):
    assert main(_cli_run(tmp_path, tmp_path / "run", "--steps", "2", f"--lr={value}")) == 2
    assert "lr must be a finite number" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_diverging_run_stops_with_status_3_keeping_the_last_finite_checkpoint(tmp_path, capsys):
    from srgan.checkpoint import load_generator, non_finite

    out = tmp_path / "run"
    code = main(_cli_run(tmp_path, out, "--steps", "40", "--ckpt-every", "1", "--val-every", "1", "--keep-last", "all",
                         "--lr", "1e6"))
    err = capsys.readouterr().err
    assert code == 3, err
    assert "training diverged" in err and "Traceback" not in err
    assert checkpoints(out)  # the finite ones are kept ...
    for path in checkpoints(out):  # ... and none holds NaN: every one loads
        load_checkpoint(path)
    best = load_generator(out / "best_generator.safetensors")
    assert not non_finite(best.state_dict())


def test_save_refuses_non_finite_weights(tmp_path):
    from srgan.train import TrainingDiverged

    trainer = Trainer(_tiny_run(tmp_path / "run"), images=_images(), val_pairs=_val_pairs(), progress=False)
    trainer.generator.tail.weight.set_value(trainer.generator.tail.weight * float("nan"))
    with pytest.raises(TrainingDiverged, match="tail.weight"):
        trainer.save()
    assert not checkpoints(tmp_path / "run")


def test_every_help_documents_the_exit_status(capsys):
    from srgan.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        text = " ".join(sub.format_help().split())
        assert "exit status: 0 done, 1 some inputs failed" in text and "130 interrupted" in text, name


def test_debug_shows_upscales_traceback(tmp_path, monkeypatch):
    argv = ["upscale", "x.png", "-o", str(tmp_path / "o"), "--weights", str(tmp_path / "none.safetensors")]
    with pytest.raises(FileNotFoundError):
        main([*argv, "--debug"])
    monkeypatch.setenv("SRGAN_DEBUG", "1")
    with pytest.raises(FileNotFoundError):
        main(argv)


def test_info_refuses_nonsense_sizes():
    for argv in (["info", "--channels", "0"], ["info", "--blocks", "-1"]):
        with pytest.raises(SystemExit) as exit:
            main(argv)
        assert exit.value.code == 2


def test_no_ccache_warning_at_import():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import srgan.models"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "ccache" not in done.stderr


# --- release and compare: what they score ----------------------------------------------------------------
def test_release_without_benchmarks_is_an_error_not_an_empty_card(tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    Trainer(_tiny_run(run), images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    monkeypatch.setenv("SRGAN_SHARED", str(tmp_path / "nothing"))
    assert main(["release", str(run), "--out", str(tmp_path / "w.safetensors")]) == 2
    assert "no Set5 or Set14" in capsys.readouterr().err and not list(tmp_path.glob("w*"))


def test_release_of_an_x2_run_scores_it_at_x2(tmp_path):
    import json

    run = tmp_path / "run"
    cfg = _tiny_run(run)
    cfg.model.scale = 2
    Trainer(cfg, images=_images(), val_pairs=[("v", _val_pairs()[0][2][::2, ::2], _val_pairs()[0][2])], progress=False).fit()
    bench = _benchmark(tmp_path / "bench", scale=2)
    assert main(["release", str(run), "--out", str(tmp_path / "w.safetensors"), "--data", str(bench)]) == 0
    card = json.loads((tmp_path / "w.json").read_text())
    assert card["scores"]["bench"]["model"]["psnr"] > 0


def test_compare_refuses_mixed_scales_duplicate_labels_and_missing_names(tmp_path, capsys):
    bench = _benchmark(tmp_path / "bench")
    x4, x2 = _weights(tmp_path / "x4.safetensors"), _weights(tmp_path / "x2.safetensors", scale=2)
    out = str(tmp_path / "c.png")
    cases = [
        (["--weights", f"A={x4}", f"B={x2}"], "a x2 generator, but the comparison is x4"),
        (["--weights", f"A={x4}", f"A={x4}"], "the label 'A' is given twice"),
        (["--weights", f"A={x4}", "--images", "a.png", "nope.png"], "no image named ['nope.png']"),
    ]
    for flags, expected in cases:
        assert main(["compare", *flags, "--data", str(bench), "--out", out]) == 2
        assert expected in capsys.readouterr().err
        assert not os.path.exists(out)


def test_weights_with_an_impossible_scale_are_named(tmp_path):
    import json

    from safetensors.numpy import load_file, save_file

    from srgan.checkpoint import CONFIG_KEY, read_generator_file

    path = _weights(tmp_path / "g.safetensors")
    config = dict(scale=3, num_blocks=1, channels=8, global_skip=False, d_channels=64, d_image_size=96)
    save_file(load_file(str(path)), str(path), metadata={CONFIG_KEY: json.dumps(config)})
    with pytest.raises(CheckpointError, match="scale must be a power of two"):
        read_generator_file(path)


# --- images ------------------------------------------------------------------------------------------
def test_float_gray_tiff_in_0_1_is_not_black(tmp_path):
    from PIL import Image

    from srgan.image_io import read_image, read_image_full

    values = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    Image.fromarray(values, mode="F").save(tmp_path / "f.tif")
    with pytest.warns(UserWarning, match="values in \\[0, 1\\]"):
        arr = read_image_full(tmp_path / "f.tif")
    np.testing.assert_array_equal(arr, np.round(values * 255).astype(np.uint8))
    assert read_image(tmp_path / "f.tif").max() == 255


def test_multi_frame_images_are_refused_by_name(tmp_path):
    from PIL import Image

    from srgan.image_io import ImageReadError, read_image, read_image_full

    frames = [Image.fromarray(np.full((8, 8, 3), v, np.uint8)) for v in (0, 128, 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    for read in (read_image, read_image_full):
        with pytest.raises(ImageReadError, match="anim.gif: has 3 frames"):
            read(tmp_path / "anim.gif")


def test_decompression_bombs_are_one_line_naming_the_file(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from srgan.image_io import ImageReadError, read_image, read_image_full

    data = _data(tmp_path / "data")
    Image.fromarray(np.zeros((100, 100, 3), np.uint8)).save(data / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)  # 100x100 = 10,000 px: a "bomb" here (PIL refuses above 2x)
    for read in (read_image, read_image_full):
        with pytest.raises(ImageReadError, match="bomb.png: 100x100 px"):
            read(data / "bomb.png")
    code = main([*TRAIN, "--steps", "1", "--data", str(data), "--val-dir", str(_benchmark(tmp_path / "bench")),
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "bomb.png: 100x100 px" in err and "Traceback" not in err


def test_upscale_checks_memory_before_allocating(monkeypatch):
    from srgan import infer

    monkeypatch.setattr(infer, "available_memory", lambda: 2**30)
    # the float32 RGB result alone is 17.2 GiB (what the issue saw allocated); with the conversion, 20 bytes/pixel
    with pytest.raises(MemoryError, match="12000x8000 px at x4 .* needs about 28.6 GiB"):
        infer.check_memory(8000, 12000, 4)
    infer.check_memory(100, 100, 4)


def test_sigterm_ends_any_command_with_130(tmp_path, monkeypatch, capsys):
    """Not only train and upscale: Paddle's own handler (a C++ stack dump, status 143) is replaced."""
    import signal

    import srgan.evaluate

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setattr(srgan.evaluate, "evaluate_benchmark", killed)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["evaluate", "--method", "bicubic", "--data", str(_benchmark(tmp_path / "bench"))]) == 130
    assert capsys.readouterr().err.strip().endswith("interrupted")
    assert signal.getsignal(signal.SIGTERM) == before  # the caller's handler is back


def test_a_gray_lr_beside_a_colour_hr_is_named(tmp_path, capsys):
    from PIL import Image

    bench = _benchmark(tmp_path / "bench")
    lr = bench / "LR_bicubic_x4" / "a.png"
    Image.fromarray(np.asarray(Image.open(lr))[:, :, 0]).save(lr)
    assert main(["evaluate", "--method", "bicubic", "--data", str(bench)]) == 2
    assert "LR_bicubic_x4/a.png: grayscale, but a.png in HR/ is colour" in capsys.readouterr().err


def test_release_never_writes_over_the_runs_own_files(tmp_path, capsys):
    run, bench = tmp_path / "run", _benchmark(tmp_path / "bench")
    Trainer(_tiny_run(run), images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    before = _snapshot(run)
    assert main(["release", str(run), "--out", str(run / "config.safetensors"), "--data", str(bench), "--overwrite"]) == 2
    assert "config.json: is an input of this command" in capsys.readouterr().err
    assert main(["release", str(run), "--out", str(tmp_path / "w.bin"), "--data", str(bench)]) == 2
    assert "must end in .safetensors" in capsys.readouterr().err
    assert _snapshot(run) == before


def test_a_rerelease_without_a_log_removes_the_earlier_releases_log(tmp_path):
    run, bench, out = tmp_path / "run", _benchmark(tmp_path / "bench"), tmp_path / "w.safetensors"
    Trainer(_tiny_run(run), images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    assert main(["release", str(run), "--out", str(out), "--data", str(bench)]) == 0
    assert (tmp_path / "w_log.jsonl").is_file()
    (run / "log.jsonl").unlink()
    assert main(["release", str(run), "--out", str(out), "--data", str(bench), "--overwrite"]) == 0
    assert not (tmp_path / "w_log.jsonl").exists()  # it described the first release, not this one


def test_train_overwrite_deletes_only_a_runs_files_and_never_its_input(tmp_path, capsys):
    import shutil

    # a user's folder with their own config.json: not a run's, so --overwrite does not clear it
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "config.json").write_text('{"my": "settings"}')
    for flag in ("--overwrite", "--resume"):  # a resume without checkpoints starts afresh: it would write config.json
        assert main(_cli_run(tmp_path, mine, "--steps", "2", flag)) == 2
        assert "config.json: not written by `srgan train`" in capsys.readouterr().err
        assert (mine / "config.json").read_text() == '{"my": "settings"}'
    # a run continued from its own best generator with --overwrite would delete that input
    run = tmp_path / "run"
    assert main(_cli_run(tmp_path, run, "--steps", "2", "--ckpt-every", "2", "--val-every", "2")) == 0
    best = run / "best_generator.safetensors"
    before = best.read_bytes()
    assert main(_cli_run(tmp_path, run, "--steps", "2", "--init-generator", str(best), "--overwrite")) == 2
    assert "is this run's input (--init-generator)" in capsys.readouterr().err and best.read_bytes() == before
    shutil.copy(best, tmp_path / "start.safetensors")  # copied out, the run folder may be cleared
    assert main(_cli_run(tmp_path, run, "--steps", "2", "--init-generator", str(tmp_path / "start.safetensors"),
                         "--overwrite")) == 0


def test_compare_never_writes_over_a_benchmark_image(tmp_path, capsys):
    bench = _benchmark(tmp_path / "bench")
    before = _snapshot(bench)
    hr = bench / "HR" / "a.png"
    assert main(["compare", "--weights", f"A={_weights(tmp_path / 'g.safetensors')}", "--data", str(bench), "--out", str(hr),
                 "--overwrite"]) == 2
    assert "HR/a.png: is an input of this command" in capsys.readouterr().err
    assert _snapshot(bench) == before


def test_evaluate_scores_the_good_folders_and_says_some_failed(tmp_path, capsys):
    good = _benchmark(tmp_path / "good")
    argv = ["evaluate", "--method", "bicubic", "--data", str(good), str(tmp_path / "missing")]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert "## bicubic" in out and "missing/HR: missing" in err
    assert main(["evaluate", "--method", "bicubic", "--data", str(tmp_path / "missing"), str(tmp_path / "gone")]) == 2
