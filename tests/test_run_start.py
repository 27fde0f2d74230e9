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


def test_the_train_log_records_each_window_since_the_previous_record(tmp_path, monkeypatch):
    """JsonlLogger.train: "seconds" and throughput cover the steps since the last record (or
    since start_window), so that training_seconds adds up the windows, never pauses."""
    import json
    import time

    from srgan.runs import LOG, JsonlLogger, training_seconds

    clock = iter([0.0, 100.0, 110.0, 130.0])  # construction, start_window, two records
    monkeypatch.setattr(time, "time", lambda: next(clock))
    log = JsonlLogger(tmp_path, enabled=True, visualdl=False)
    log.start_window(4)  # resumed at step 4, at t = 100
    log.train(6, batch_size=8, lr=1e-4, losses={"loss": 0.5})  # t = 110: steps 5-6
    log.train(10, batch_size=8, lr=1e-4, losses={"loss": 0.25})  # t = 130: steps 7-10
    records = [json.loads(line) for line in (tmp_path / LOG).read_text().splitlines()]
    assert [(r["step"], r["seconds"], r["samples_per_s"], r["loss"]) for r in records] == [(6, 10.0, 1.6, 0.5),
                                                                                          (10, 20.0, 1.6, 0.25)]
    assert all(r["kind"] == "train" and r["lr"] == 1e-4 for r in records)
    assert training_seconds(records, batch_size=8) == 30.0


def test_checkpoint_resume_state_follows_run_start(tmp_path):
    """checkpoint.resume_state loads what run_start decided: nothing in an empty folder, the
    checkpoint named, and refuses an earlier checkpoint of the folder's own run."""
    from srgan.checkpoint import resume_state
    from srgan.runs import checkpoints
    from srgan.train import Trainer
    from tiny import config, images, val_pairs

    out = tmp_path / "run"
    cfg = config(out, steps=4, val_every=2, ckpt_every=2, lr_milestones=[])
    assert resume_state(out, run_start(out, True), cfg.to_dict()) is None
    Trainer(cfg, images=images(), val_pairs=val_pairs(), progress=False).fit()
    first, newest = checkpoints(out)
    state, source = resume_state(out, run_start(out, True), cfg.to_dict())
    assert (state["step"], source) == (4, str(newest))
    with pytest.raises(RunFolderError, match="holds later checkpoints"):
        resume_state(out, run_start(out, str(first)), cfg.to_dict())
    state, source = resume_state(tmp_path / "new", run_start(tmp_path / "new", str(first)), {})  # "other": no settings check
    assert (state["step"], source) == (2, str(first))
