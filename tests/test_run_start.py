"""What --resume means is decided in one place (runs.run_start), and the trainer's notes go
through one logger that a library user can silence (issue 24)."""

import logging

import pytest

from srgan.runs import RunFolderError, RunStart, run_start


def test_run_start_names_every_meaning_of_resume(tmp_path):
    out, other = tmp_path / "run", tmp_path / "other"
    out.mkdir(), other.mkdir()
    assert run_start(out) == RunStart("new") and not run_start(out).resuming
    assert run_start(out, True) == RunStart("newest") and run_start(out, True).same_run
    assert run_start(out, str(out)) == RunStart("newest")  # --out D --resume D
    own, theirs = out / "ckpt_00000004.ckpt", other / "ckpt_00000004.ckpt"
    assert run_start(out, str(own)) == RunStart("own", own) and run_start(out, str(own)).same_run
    assert run_start(out, str(theirs)) == RunStart("other", theirs) and not run_start(out, str(theirs)).same_run
    with pytest.raises(RunFolderError, match="is a folder; give one of its checkpoints"):
        run_start(out, str(other))
    with pytest.raises(ValueError, match="exclude each other"):
        run_start(out, True, overwrite=True)


def test_the_trainers_notes_go_through_one_logger_that_can_be_silenced(tmp_path, capsys):
    from srgan.train import Trainer
    from tiny import config, images, val_pairs

    def fresh_resume(name):
        cfg = config(tmp_path / name, steps=1, val_every=1, ckpt_every=1)
        Trainer(cfg, images=images(), val_pairs=val_pairs(), progress=False).fit(resume=True)

    note = "--resume: no checkpoint in"
    fresh_resume("a")
    assert note in capsys.readouterr().err
    srgan_logger = logging.getLogger("srgan")
    level = srgan_logger.level
    srgan_logger.setLevel(logging.WARNING)
    try:
        fresh_resume("b")
    finally:
        srgan_logger.setLevel(level)
    captured = capsys.readouterr()
    assert note not in captured.err and note not in captured.out
