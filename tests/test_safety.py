"""Issue 20: no file a user passes runs code, nothing a user owns is deleted or replaced without
asking, and the exit status tells the truth. Each test fails on the behaviour the issue found."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from srgan.checkpoint import CheckpointError, load_checkpoint, save_generator
from srgan.cli import main
from srgan.config import ModelConfig, quick
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
