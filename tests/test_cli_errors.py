"""Every user error of every command: one line "error: <file>: <problem>", exit code 2, no
traceback (unless --debug), and nothing left behind (issue 11)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from srgan.checkpoint import save_generator
from srgan.cli import main
from srgan.config import quick
from srgan.imresize import imresize
from srgan.models import Generator
from srgan.runs import checkpoints
from srgan.train import Trainer
from tiny import images as _images
from tiny import val_pairs as _val_pairs

TRAIN = ["train", "--quick", "--num-blocks", "1", "--channels", "8", "--hr-size", "16", "--batch-size", "2", "--steps", "2",
         "--log-every", "1", "--val-every", "2", "--ckpt-every", "2", "--no-visualdl", "--device", "cpu", "--lr-milestones"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Good and bad inputs shared by the cases: a finished tiny run, weights, benchmark folders."""
    root = tmp_path_factory.mktemp("inputs")
    cfg = quick("pretrain")
    cfg.model.num_blocks, cfg.model.channels = 1, 8
    cfg.data.hr_size, cfg.data.batch_size, cfg.data.num_workers = 16, 2, 0
    cfg.train.steps, cfg.train.val_every, cfg.train.ckpt_every, cfg.train.lr_milestones = 2, 2, 2, []
    cfg.train.out_dir, cfg.train.visualdl = str(root / "run"), False
    Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    (root / "norun").mkdir()
    (root / "corrupt.ckpt").write_bytes(checkpoints(root / "run")[-1].read_bytes()[:500])
    (root / "corrupt_run").mkdir()
    (root / "corrupt_run" / "ckpt_00000002.ckpt").write_bytes(checkpoints(root / "run")[-1].read_bytes()[:500])

    g = Generator(num_blocks=1, channels=8)
    save_generator(g, root / "g.safetensors")
    (root / "truncated.safetensors").write_bytes((root / "g.safetensors").read_bytes()[:300])
    from PIL import Image

    Image.new("RGB", (8, 8)).save(root / "photo.jpg")
    Image.new("RGB", (8, 8)).save(root / "photo.ckpt", format="JPEG")  # a photo under a checkpoint's name
    Image.new("RGB", (8, 8)).save(root / "photo.png")
    (root / "g.pdparams").write_bytes(b"\x80\x04pickle")
    (root / "weights_dir").mkdir()
    g.tail.weight.set_value(g.tail.weight * float("nan"))
    save_generator(g, root / "nan.safetensors")

    rng = np.random.default_rng(0)
    for name, lr_size in (("bench", 8), ("bench_missing_lr", None), ("bench_wrong_lr", 7)):
        hr = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        (root / name / "HR").mkdir(parents=True)
        (root / name / "LR_bicubic_x4").mkdir()
        Image.fromarray(hr).save(root / name / "HR" / "a.png")
        if lr_size:
            lr = imresize(hr, output_shape=(lr_size, lr_size)) if lr_size != 8 else imresize(hr, scale=0.25)
            Image.fromarray(lr).save(root / name / "LR_bicubic_x4" / "a.png")

    for name, images in (("empty", []), ("tiny", [("t", np.zeros((8, 8, 3), np.uint8))]), ("one_bad", _images(2))):
        (root / name).mkdir()
        for n, img in images:
            Image.fromarray(img).save(root / name / f"{n}.png")
    (root / "one_bad" / "zbad.png").write_bytes(b"not a png")
    (root / "a_file.txt").write_text("x")
    return root


def _ckpt(root):
    return str(checkpoints(root / "run")[-1])


# (case, argv builder (root, out) -> list, expected text in the error line)
CASES = [
    ("train: --data missing", lambda r, o: [*TRAIN, "--data", str(r / "nodata"), "--out", o], "nodata: no such folder"),
    ("train: --data empty", lambda r, o: [*TRAIN, "--data", str(r / "empty"), "--out", o], "empty: no image files"),
    ("train: --data is a file", lambda r, o: [*TRAIN, "--data", str(r / "a_file.txt"), "--out", o], "a_file.txt: is a file, not a folder"),
    ("train: only tiny images", lambda r, o: [*TRAIN, "--data", str(r / "tiny"), "--out", o], "no training image is at least 16x16"),
    ("train: one corrupt image", lambda r, o: [*TRAIN, "--data", str(r / "one_bad"), "--out", o], "zbad.png: cannot read image"),
    ("train: --resume missing", lambda r, o: [*TRAIN, "--resume", str(r / "nope.ckpt"), "--out", o], "nope.ckpt: no such checkpoint"),
    # a run that would train nothing (its folder would claim to continue the checkpoint)
    ("train: --resume past --steps", lambda r, o: [*TRAIN, "--resume", _ckpt(r), "--out", o],
     "is at step 2; --steps 2 leaves nothing to train (raise --steps)"),
    ("train: --resume wrong phase", lambda r, o: [*TRAIN, "--steps", "4", "--phase", "gan", "--d-image-size", "16", "--resume", _ckpt(r), "--out", o],
     "is a 'pretrain' checkpoint, this run is 'gan'"),
    ("train: --resume wrong architecture", lambda r, o: [*TRAIN, "--steps", "4", "--num-blocks", "2", "--resume", _ckpt(r), "--out", o],
     "made with num_blocks=1, this run has num_blocks=2; resume with the same --num-blocks"),
    ("train: --hr-size not divisible", lambda r, o: [*TRAIN, "--hr-size", "18", "--out", o], "hr_size 18 is not divisible by the scale 4"),
    ("train: --batch-size 0", lambda r, o: [*TRAIN, "--batch-size", "0", "--out", o], "batch_size must be an integer >= 1, got 0"),
    # a network too large to build: refused before building (it was a MemoryError traceback)
    ("train: --channels 200000", lambda r, o: [*TRAIN, "--channels", "200000", "--out", o], "channels must be an integer >= 1 and <= 4,096"),
    ("info: --channels 300000", lambda r, o: ["info", "--channels", "300000"], "channels must be an integer >= 1 and <= 4,096"),
    ("train: --keep-last 0", lambda r, o: [*TRAIN, "--keep-last", "0", "--out", o], "keep_last must be >= 1, or all"),
    ("train: --val-dir missing", lambda r, o: [*TRAIN, "--val-dir", str(r / "noval"), "--out", o], "noval/HR: missing"),
    ("train: --init-generator missing", lambda r, o: [*TRAIN, "--init-generator", str(r / "no.safetensors"), "--out", o],
     "no.safetensors: no such weights file"),
    ("train: another run's folder", lambda r, o: [*TRAIN, "--out", str(r / "run")], "holds another run"),
    ("train: --resume and --overwrite", lambda r, o: [*TRAIN, "--resume", "--overwrite", "--out", o], "exclude each other"),
    ("evaluate: LR missing", lambda r, o: ["evaluate", "--data", str(r / "bench_missing_lr")], "LR_bicubic_x4: no LR file for ['a.png']"),
    ("evaluate: LR of the wrong size", lambda r, o: ["evaluate", "--data", str(r / "bench_wrong_lr")],
     "LR_bicubic_x4/a.png: 7x7 px, but a.png in HR/ is 32x32"),
    ("evaluate: --data missing", lambda r, o: ["evaluate", "--data", str(r / "nobench")], "nobench/HR: missing"),
    ("evaluate: --weights missing", lambda r, o: ["evaluate", "--weights", str(r / "no.safetensors"), "--data", str(r / "bench")],
     "no.safetensors: no such weights file"),
    ("evaluate: --weights truncated", lambda r, o: ["evaluate", "--weights", str(r / "truncated.safetensors"), "--data", str(r / "bench")],
     "truncated.safetensors: not a readable safetensors file"),
    # new-user test s21: an image where weights are expected was "corrupt or truncated"
    ("evaluate: --weights a JPEG", lambda r, o: ["evaluate", "--weights", str(r / "photo.jpg"), "--data", str(r / "bench")],
     "photo.jpg: a JPEG image, not a generator weights file"),
    ("upscale: --weights a JPEG named .ckpt", lambda r, o: ["upscale", "--weights", str(r / "photo.ckpt"), str(r / "photo.jpg"), "-o", o],
     "photo.ckpt: a JPEG image, not a generator weights file"),
    ("train: --resume a PNG", lambda r, o: [*TRAIN, "--resume", str(r / "photo.png"), "--out", o],
     "photo.png: a PNG image, not a training checkpoint"),
    ("evaluate: --weights .pdparams", lambda r, o: ["evaluate", "--weights", str(r / "g.pdparams"), "--data", str(r / "bench")],
     "g.pdparams: a .pdparams file, not safetensors"),
    ("evaluate: --weights a folder", lambda r, o: ["evaluate", "--weights", str(r / "weights_dir"), "--data", str(r / "bench")],
     "weights_dir: is a folder, not a weights file"),
    ("evaluate: --weights NaN", lambda r, o: ["evaluate", "--weights", str(r / "nan.safetensors"), "--data", str(r / "bench")],
     "nan.safetensors: holds NaN or infinite values"),
    ("evaluate: --weights a checkpoint", lambda r, o: ["evaluate", "--weights", _ckpt(r), "--data", str(r / "bench")],
     "a training checkpoint (use `srgan release`"),
    ("release: run folder missing", lambda r, o: ["release", str(r / "norun_at_all"), "--out", o + ".safetensors"],
     "norun_at_all: no such run folder"),
    ("release: no checkpoints", lambda r, o: ["release", str(r / "norun"), "--out", o + ".safetensors"], "no ckpt_*.ckpt checkpoints"),
    ("release: corrupt checkpoint", lambda r, o: ["release", str(r / "corrupt_run"), "--data", str(r / "bench"), "--out", o + ".safetensors"],
     "ckpt_00000002.ckpt: cannot read checkpoint"),
    ("release: another run's --checkpoint", lambda r, o: ["release", str(r / "run"), "--checkpoint", str(r / "corrupt.ckpt"),
                                                         "--out", o + ".safetensors"], "corrupt.ckpt: not a checkpoint of"),
    ("release: --data missing", lambda r, o: ["release", str(r / "run"), "--data", str(r / "nobench"), "--out", o + ".safetensors"],
     "nobench/HR: missing"),
    # Hostile test s17 #5: a release's card or log under a name of the run folder's layout, which the
    # run would take for its own (false provenance in later releases), whether or not it exists yet
    ("release: --out makes RUN/init_card.json", lambda r, o: ["release", str(r / "run"), "--data", str(r / "bench"), "--out",
                                                             str(r / "run" / "init_card.safetensors")],
     "init_card.json is a file of the run folder"),
    ("release: --out makes RUN/init_log.jsonl", lambda r, o: ["release", str(r / "run"), "--data", str(r / "bench"), "--out",
                                                             str(r / "run" / "init.safetensors")],
     "init_log.jsonl is a file of the run folder"),
    ("interpolate: --out makes RUN/init_card.json", lambda r, o: ["interpolate", str(r / "g.safetensors"), str(r / "g.safetensors"),
                                                                 "--alpha", "0.5", "--data", str(r / "bench"), "--out",
                                                                 str(r / "run" / "init_card.safetensors")],
     "init_card.json is a file of the run folder"),
    ("compare: weights missing", lambda r, o: ["compare", "--weights", f"A={r / 'no.safetensors'}", "--data", str(r / "bench"), "--out", o + ".png"],
     "no.safetensors: no such weights file"),
    ("compare: --data missing", lambda r, o: ["compare", "--weights", f"A={r / 'g.safetensors'}", "--data", str(r / "nobench"), "--out", o + ".png"],
     "nobench/HR: missing"),
    ("compare: --images not found", lambda r, o: ["compare", "--weights", f"A={r / 'g.safetensors'}", "--data", str(r / "bench"),
                                                 "--images", "zzz.png", "--out", o + ".png"], "bench: no image named ['zzz.png'] (it has a.png)"),
    ("upscale: NaN weights", lambda r, o: ["upscale", str(r / "bench" / "HR" / "a.png"), "-o", o, "--weights", str(r / "nan.safetensors")],
     "nan.safetensors: holds NaN or infinite values"),
    ("export: NaN weights", lambda r, o: ["export", "--weights", str(r / "nan.safetensors"), "--out", o],
     "nan.safetensors: holds NaN or infinite values"),
    # TensorRT was silently ignored on the CPU (exit 0), where --bf16 --engine dygraph is refused
    ("upscale: --tensorrt on the CPU", lambda r, o: ["upscale", str(r / "bench" / "HR" / "a.png"), "-o", o, "--weights",
                                                     str(r / "g.safetensors"), "--tensorrt", "--device", "cpu"],
     "tensorrt needs a GPU (CUDA), and this runs on 'cpu'"),
    ("upscale: --tensorrt with dygraph", lambda r, o: ["upscale", str(r / "bench" / "HR" / "a.png"), "-o", o, "--weights",
                                                       str(r / "g.safetensors"), "--tensorrt", "--engine", "dygraph"],
     "tensorrt needs the inference engine, not 'dygraph'"),
    # compare wrote a PNG named crops.txt and an HTML page named page.png (hostile s20 F7)
    ("compare: --out not an image", lambda r, o: ["compare", "--weights", f"A={r / 'g.safetensors'}", "--data", str(r / "bench"),
                                                  "--out", o + ".txt"], "out.txt: not an image extension"),
    ("compare: --html not a page", lambda r, o: ["compare", "--weights", f"A={r / 'g.safetensors'}", "--data", str(r / "bench"),
                                                 "--html", o + ".png"], "out.png: the page's name must end in .html"),
    # the dial the user turned is named, not an interpolation alpha (hostile s20)
    ("upscale: --perception out of range", lambda r, o: ["upscale", str(r / "bench" / "HR" / "a.png"), "-o", o,
                                                         "--perception", "2"], "perception must be in [0, 1] (0 = SRResNet, 1 = SRGAN), got 2.0"),
    # an explicit cache folder that cannot be one fell back to the slow engine, exit 0 (hostile s20 F6)
    ("upscale: --cache-dir is a file", lambda r, o: ["upscale", str(r / "bench" / "HR" / "a.png"), "-o", o, "--weights",
                                                     str(r / "g.safetensors"), "--cache-dir", str(r / "g.safetensors")],
     "g.safetensors is a file, not a folder"),
]


@pytest.mark.parametrize("case, argv, expected", CASES, ids=[c[0] for c in CASES])
def test_user_errors_are_one_line_with_exit_code_2(files, tmp_path, capsys, case, argv, expected):
    out = tmp_path / "out"
    before = json.dumps(sorted(str(p) for p in files.rglob("*")))
    code = main(argv(files, str(out)))
    stdout, err = capsys.readouterr()
    assert not stdout.startswith("phase "), stdout  # a refused run is not announced as started first
    errors = [line for line in err.splitlines() if line.strip() and not line.startswith("warning: ")]
    assert code == 2, err
    assert len(errors) == 1 and errors[0].startswith("error: ") and expected in errors[0], err
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("out.*"))  # no empty --out, no half-written output
    assert json.dumps(sorted(str(p) for p in files.rglob("*"))) == before  # the inputs are untouched (no lock left, ...)


def test_a_checkpoint_outside_its_run_folder_needs_out_and_never_picks_the_folder(files, tmp_path, capsys):
    """`--resume FILE` without --out continued in the folder the file names inside itself, which
    a file someone sent could set to any path (hostile test D5)."""
    import shutil

    lone = tmp_path / "downloads" / "sent.ckpt"
    lone.parent.mkdir()
    shutil.copy(_ckpt(files), lone)
    code = main([*TRAIN[:-1], "--steps", "4", "--resume", str(lone)])
    err = capsys.readouterr().err
    assert code == 2 and "sent.ckpt: is not in its run's folder; give --out" in err, err
    assert sorted(p.name for p in lone.parent.iterdir()) == ["sent.ckpt"]


def test_upscale_of_inputs_that_do_not_exist_says_so_before_loading_an_engine(tmp_path, capsys):
    """New-user test s21: a mistyped photo name printed the engine line (seconds of loading) before
    the error, as if something had been upscaled."""
    code = main(["upscale", str(tmp_path / "nothere.jpg"), str(tmp_path / "nofolder"), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [f"error: {tmp_path / 'nothere.jpg'}: no such file or folder",
                                f"error: {tmp_path / 'nofolder'}: no such file or folder", "0 written, 2 failed"]
    assert not (tmp_path / "out").exists()
    (tmp_path / "empty").mkdir()  # an empty folder, and '-' (standard input), are said the same way (hostile test s22)
    code = main(["upscale", str(tmp_path / "empty"), "-", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "engine" not in err and "folder has no images" in err and "standard input is not supported" in err


def test_debug_shows_the_traceback(files, tmp_path):
    with pytest.raises(FileNotFoundError, match="nodata: no such folder"):
        main([*TRAIN, "--data", str(files / "nodata"), "--out", str(tmp_path / "out"), "--debug"])


def test_warnings_are_one_line_naming_the_file(files, tmp_path, capsys):
    """A usable run with a skipped small image: the warning is one line, and the run completes."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("t.png",):
        (data / name).write_bytes((files / "tiny" / name).read_bytes())
    for name in ("img0.png", "img1.png"):
        (data / name).write_bytes((files / "one_bad" / name).read_bytes())
    assert main([*TRAIN, "--data", str(data), "--val-dir", str(files / "bench"), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"warning: skipped 1 image(s) smaller than 16 px: {data / 't.png'}" in err.splitlines()
    assert [p.name for p in checkpoints(tmp_path / "out")] == ["ckpt_00000002.ckpt"]


def test_a_file_name_that_is_not_utf8_is_printed_not_fatal(tmp_path):
    """On a UTF-8 desktop locale Python's stdout is strict: printing the output 'café.png'
    of a Latin-1 name (os.fsdecode's surrogates) raised UnicodeEncodeError after the images
    were written, and `srgan upscale` ended with exit 2 ('nothing done'), an error naming no
    file and no summary. The name is printed as its own bytes (as ls does); exit 0."""
    import os
    import subprocess
    import sys

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    latin1 = bytes(tmp_path) + b"/caf\xe9.png"
    os.rename(tmp_path / "a.png", os.fsdecode(latin1))
    save_generator(Generator(num_blocks=1, channels=8), tmp_path / "g.safetensors")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}  # what an en_US.UTF-8 terminal gives
    done = subprocess.run([sys.executable, "-m", "srgan", "upscale", os.fsdecode(latin1), "-o", str(tmp_path / "out"),
                           "--weights", str(tmp_path / "g.safetensors"), "--engine", "dygraph", "--no-progress"],
                          env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout.strip().endswith(b"/out/caf\xe9.png") and b"1 written, 0 failed" in done.stderr


def test_train_help_describes_every_flag(capsys):
    """`srgan train --help` prints each config field's description from its dataclass docstring:
    a field added without one (or a docstring line the parser misreads) shows up as a bare flag."""
    import dataclasses

    from srgan.config import DataConfig, ModelConfig, TrainConfig, field_help

    for klass in (ModelConfig, DataConfig, TrainConfig):
        described = field_help(klass)
        bare = [f.name for f in dataclasses.fields(klass) if not described.get(f.name)]
        assert not bare, f"{klass.__name__} fields without a description: {bare}"
    assert field_help(TrainConfig)["beta2"].startswith("Adam betas")  # a line naming two fields describes both
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--d-renew-every D_RENEW_EVERY phase 2, not in the paper: every this many steps D is replaced" in shown
def test_without_paddle_every_command_says_how_to_install_it(monkeypatch, capsys):
    """PaddlePaddle is not a dependency (CPU or GPU build is the user's choice): a fresh
    `pip install .` without it got a traceback (ModuleNotFoundError, exit 1) from every command."""
    import builtins

    real_import = builtins.__import__

    def no_paddle(name, *args, **kwargs):
        if name == "paddle" or name.startswith("paddle."):
            raise ModuleNotFoundError("No module named 'paddle'", name="paddle")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_paddle)
    assert main(["info"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: PaddlePaddle is not installed: pip install paddlepaddle"), err


def test_srgan_says_its_own_version(capsys):
    """`srgan --version` was "error: the following arguments are required: command", and `srgan
    info` named Paddle's version but not srgan's."""
    from srgan import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"srgan-paddle {__version__}"
    assert main(["info"]) == 0
    assert capsys.readouterr().out.startswith(f"srgan-paddle {__version__}, paddle ")


def test_a_cache_dir_that_cannot_be_written_is_refused(tmp_path, monkeypatch):
    """--cache-dir on a read-only disk fell back to the slow engine in silence (hostile s20 F6)."""
    import os

    from srgan.export_files import check_cache_dir
    from srgan.outputs import OutputError

    assert check_cache_dir(tmp_path / "new" / "cache").is_dir()  # a missing one is created
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(OutputError, match=r"--cache-dir .*cache: cannot write there \(read-only, or no permission\)"):
        check_cache_dir(tmp_path / "new" / "cache")
    # hostile s20 round 2: a read-only cache that already holds the export is what a shared cache is
    assert check_cache_dir(tmp_path / "new" / "cache", needs_writing=False) == tmp_path / "new" / "cache"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # "~" is the user's home, not a folder named "~"
    assert check_cache_dir("~/srgan-cache", needs_writing=False) == tmp_path / "home" / "srgan-cache"
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")  # hostile s21: "[Errno 17] File exists"
    with pytest.raises(OutputError, match=r"--cache-dir .*dangling: a link to .*nowhere, which does not exist"):
        check_cache_dir(tmp_path / "dangling")


def test_a_srgan_cache_that_is_a_file_is_refused_as_the_flag_is(tmp_path, monkeypatch, capsys):
    """Hostile test of the CLI's messages, #7: `SRGAN_CACHE=FILE srgan upscale` fell back to the slow
    engine with two warnings and exit 0, where `--cache-dir FILE` is one line and exit 2."""
    g = tmp_path / "g.safetensors"
    save_generator(Generator(num_blocks=1, channels=8), g)
    Image.new("RGB", (8, 8)).save(tmp_path / "photo.png")
    (tmp_path / "a_file").write_text("x")
    monkeypatch.setenv("SRGAN_CACHE", str(tmp_path / "a_file"))
    out = tmp_path / "out.png"
    assert main(["upscale", str(tmp_path / "photo.png"), "-o", str(out), "--weights", str(g), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: SRGAN_CACHE={tmp_path / 'a_file'}: {tmp_path / 'a_file'} is a file, not a folder"], err
    assert not out.exists()
    # compare's photo page reads the same cache: the same line, nothing written (hostile round s24 #6)
    page = tmp_path / "page.html"
    assert main(["compare", str(tmp_path / "photo.png"), "--html", str(page), "--weights", f"g={g}", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: SRGAN_CACHE={tmp_path / 'a_file'}: {tmp_path / 'a_file'} is a file, not a folder"], err
    assert not page.exists()


def test_a_reader_that_closes_stdout_early_does_not_change_the_outcome(files, tmp_path):
    """Hostile test s20 round 2 (N5): `srgan upscale ... | head -1`, or a log viewer that quit:
    "error: [Errno 32] Broken pipe" and exit 2 ("nothing done") after the work, the summary lost."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command prints anything
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "srgan", "upscale", str(files / "bench" / "HR" / "a.png"), "-o", str(out),
                           "--weights", str(files / "g.safetensors"), "--engine", "dygraph", "--no-progress"],
                          stdout=write, stderr=subprocess.PIPE, text=True, timeout=300)
    os.close(write)
    assert proc.returncode == 0, proc.stderr
    assert "Broken pipe" not in proc.stderr and proc.stderr.strip().splitlines()[-1] == "1 written, 0 failed"
    assert (out / "a.png").is_file()
