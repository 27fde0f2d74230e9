"""The run folder: one run per folder, one process per folder, nothing lost on resume (issue 11).

New names (srgan.runs, fit(overwrite=...)) are imported inside the tests, so that each test
fails on its own assertion against code without them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from srgan.checkpoint import CheckpointError
from srgan.runs import checkpoints
from srgan.train import Trainer
from tiny import config as tiny_config
from tiny import images as _images
from tiny import val_pairs as _val_pairs

REPO = Path(__file__).resolve().parents[1]


def _cfg(out, phase="pretrain", **train):
    return tiny_config(out, phase, **{"lr_milestones": [], "steps": 4, "log_every": 1, "val_every": 2, "ckpt_every": 2, **train})


def _trainer(cfg):
    return Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)


def _log_steps(out, kind="train"):
    return [r["step"] for r in map(json.loads, (Path(out) / "log.jsonl").read_text().splitlines()) if r["kind"] == kind]


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}


# --- 1. a corrupt newest checkpoint ----------------------------------------------------------
def test_resume_falls_back_to_the_newest_readable_checkpoint(tmp_path):
    out = tmp_path / "run"
    _trainer(_cfg(out)).fit()
    newest = checkpoints(out)[-1]
    assert newest.name == "ckpt_00000004.ckpt"
    newest.write_bytes(newest.read_bytes()[:1000])  # truncated, as by a full disk or a copy cut short
    resumed = _trainer(_cfg(out, steps=6))
    with pytest.warns(UserWarning, match=r"skipped .*ckpt_00000004\.ckpt.*corrupt or truncated.*resuming from ckpt_00000002\.ckpt"):
        resumed.fit(resume=True)
    assert resumed.step == 6
    assert _log_steps(out) == [1, 2, 3, 4, 5, 6]  # steps 3-4 were redone, and logged once


def test_resume_refuses_when_no_checkpoint_is_readable(tmp_path):
    out = tmp_path / "run"
    _trainer(_cfg(out, steps=2)).fit()
    for p in checkpoints(out):
        p.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="no readable checkpoint"):
        _trainer(_cfg(out)).fit(resume=True)


def test_a_checkpoint_with_nan_weights_is_skipped_on_resume(tmp_path):
    import paddle

    out = tmp_path / "run"
    _trainer(_cfg(out)).fit()
    newest = checkpoints(out)[-1]
    state = paddle.load(str(newest))
    state["generator"]["tail.weight"] = paddle.full_like(state["generator"]["tail.weight"], float("nan"))
    paddle.save(state, str(newest))
    resumed = _trainer(_cfg(out))
    with pytest.warns(UserWarning, match=r"ckpt_00000004\.ckpt: holds NaN or infinite values \(generator\.tail\.weight\)"):
        resumed.resume()
    assert resumed.step == 2 and np.isfinite(resumed.generator.tail.weight.numpy()).all()


# --- 2. a new run in a finished run's folder ---------------------------------------------------
def test_a_fresh_run_refuses_a_folder_holding_another_run(tmp_path):
    from srgan.runs import RunFolderError

    out = tmp_path / "run"
    _trainer(_cfg(out)).fit()
    before = _snapshot(out)
    with pytest.raises(RunFolderError, match=r"holds another run .*--resume.*--overwrite"):
        _trainer(_cfg(out, lr=1e-3)).fit()
    assert _snapshot(out) == before  # not a byte of the finished run changed
    assert not (out / "run.lock").exists()


def test_a_run_stopped_before_its_first_step_does_not_block_the_same_command(tmp_path, capsys):
    """Ctrl-C twice during the first step (or a kill) leaves config.json and an empty log: the
    same command again starts afresh with a note, instead of asking for --resume/--overwrite."""
    out = tmp_path / "run"
    stopped = _trainer(_cfg(out))
    stopped.train_step = lambda lr, hr: (_ for _ in ()).throw(KeyboardInterrupt())
    stopped.fit()
    assert stopped.interrupted and stopped.step == 0
    assert (out / "config.json").is_file() and not checkpoints(out)
    (out / "notes.txt").write_text("mine")
    again = _trainer(_cfg(out))
    again.fit()
    assert again.step == 4 and _log_steps(out) == [1, 2, 3, 4]
    assert "stopped before its first logged step; starting afresh" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("case", ["control: the same run's own files", "other settings", "not srgan's config", "a log line", "a blank log line",
                                  "a card of its own", "the user's init card", "visualdl link"])
def test_a_folder_that_only_looks_never_trained_is_refused_and_kept(tmp_path, case):
    """Hostile test s22: the rule above deleted files srgan never wrote (another project's
    config.json with a "config" key, a log of the user's, a card, VisualDL records through a
    link) without --overwrite. Only the same run's own start files are replaced."""
    from srgan.runs import RunFolderError

    stopped_dir = tmp_path / "stopped"
    stopped = _trainer(_cfg(stopped_dir))
    stopped.train_step = lambda lr, hr: (_ for _ in ()).throw(KeyboardInterrupt())
    stopped.fit()
    out = tmp_path / "run"
    out.mkdir()
    ours = json.loads((stopped_dir / "config.json").read_text())
    ours["config"]["train"]["out_dir"] = str(out)  # the same run as the one about to start, in this folder
    (out / "config.json").write_text(json.dumps(ours))
    cfg = _cfg(out)
    if case == "other settings":
        cfg.train.lr = 0.5
    elif case == "not srgan's config":
        (out / "config.json").write_text(json.dumps({"config": ours["config"], "note": "my other project"}))
    elif case == "a log line":
        (out / "log.jsonl").write_text('{"kind": "experiment", "acc": 0.91}\n')
    elif case == "a blank log line":
        (out / "log.jsonl").write_text('\n{"epoch": 1, "loss": 0.5}\n')
    elif case == "a card of its own":
        (out / "best_generator.json").write_text('{"my": "card"}')
    elif case == "the user's init card":
        (out / "init_card.json").write_text('{"my": "card"}')
    elif case == "visualdl link":
        (tmp_path / "shared_vdl").mkdir()
        (tmp_path / "shared_vdl" / "vdlrecords.1.log").write_text("records")
        (out / "visualdl").symlink_to(tmp_path / "shared_vdl")
    before = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    if case.startswith("control"):  # the files the cases change are otherwise the same run's: replaced
        _trainer(cfg).fit()
        assert checkpoints(out)
        return
    with pytest.raises(RunFolderError, match="holds another run"):
        _trainer(cfg).fit()
    assert {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_overwrite_starts_afresh_and_the_folder_then_holds_one_run(tmp_path):
    out = tmp_path / "run"
    _trainer(_cfg(out, steps=6, ckpt_every=3)).fit()
    assert [p.name for p in checkpoints(out)] == ["ckpt_00000003.ckpt", "ckpt_00000006.ckpt"]
    (out / "notes.txt").write_text("mine")  # not a run file: kept
    _trainer(_cfg(out, steps=4)).fit(overwrite=True)
    assert [p.name for p in checkpoints(out)] == ["ckpt_00000002.ckpt", "ckpt_00000004.ckpt"]
    assert _log_steps(out) == [1, 2, 3, 4] and _log_steps(out, "val") == [2, 4]
    assert sorted(p.name for p in (out / "images").iterdir()) == ["val_00000002.png", "val_00000004.png"]
    assert (out / "notes.txt").read_text() == "mine"
    with pytest.raises(ValueError, match="exclude each other"):
        _trainer(_cfg(out)).fit(resume=True, overwrite=True)


def test_resume_without_a_checkpoint_says_so_but_never_replaces_earlier_best_weights(tmp_path, capsys):
    from srgan.runs import RunFolderError

    out = tmp_path / "run"
    _trainer(_cfg(out, steps=2)).fit(resume=True)
    assert f"--resume: no checkpoint in {out}; starting from step 0" in capsys.readouterr().err
    for p in checkpoints(out):
        p.unlink()  # only best_generator.safetensors is left of that run
    with pytest.raises(RunFolderError, match="no checkpoint to resume from, but the best_generator.safetensors"):
        _trainer(_cfg(out, steps=2)).fit(resume=True)


def test_continuing_another_folders_checkpoint_needs_a_free_folder(tmp_path):
    from srgan.runs import RunFolderError

    _trainer(_cfg(tmp_path / "a")).fit()
    _trainer(_cfg(tmp_path / "b")).fit()
    with pytest.raises(RunFolderError, match="holds another run"):
        _trainer(_cfg(tmp_path / "b", steps=6)).fit(resume=str(checkpoints(tmp_path / "a")[-1]))
    fresh = _trainer(_cfg(tmp_path / "c", steps=6))
    fresh.fit(resume=str(checkpoints(tmp_path / "a")[-1]))
    assert fresh.step == 6 and [p.name for p in checkpoints(tmp_path / "c")] == ["ckpt_00000006.ckpt"]


# --- 3. two writers on one folder ---------------------------------------------------------------
def test_a_second_run_in_a_folder_in_use_is_refused(tmp_path):
    """While run A trains, run B (same --out, --resume) starts: B must stop at once, A go on."""
    from srgan.runs import RunFolderBusy

    out = tmp_path / "run"
    a, b = _trainer(_cfg(out)), _trainer(_cfg(out))
    step, errors = a.train_step, []

    def step_then_start_b(lr, hr):
        if a.step == 1:
            try:
                b.fit(resume=True)
            except Exception as e:  # noqa: BLE001 - recorded for the assertions below
                errors.append(e)
        return step(lr, hr)

    a.train_step = step_then_start_b
    a.fit()
    assert len(errors) == 1 and isinstance(errors[0], RunFolderBusy), errors
    assert f"in use by another run (process {os.getpid()} on" in str(errors[0])
    assert b.step == 0 and _log_steps(out) == [1, 2, 3, 4]  # B wrote nothing into A's log
    assert not (out / "run.lock").exists()  # A released the lock when it ended


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path, capsys):
    out = tmp_path / "run"
    code = ("import os, signal, sys; sys.path.insert(0, sys.argv[2]); from srgan.runs import RunFolder; "
            "RunFolder(sys.argv[1]).open(); os.kill(os.getpid(), signal.SIGKILL)")
    killed = subprocess.run([sys.executable, "-c", code, str(out), str(REPO)], capture_output=True)
    assert killed.returncode == -signal.SIGKILL and (out / "run.lock").is_file()
    pid = json.loads((out / "run.lock").read_text())["pid"]
    trainer = _trainer(_cfg(out, steps=2))
    trainer.fit(resume=True)
    assert trainer.step == 2
    assert f"was left by process {pid} on" in capsys.readouterr().err
    assert not (out / "run.lock").exists()


def test_a_users_file_named_run_lock_is_neither_truncated_nor_deleted(tmp_path):
    """A file of that name that srgan did not write is the user's: the folder is refused and the
    file kept byte for byte (the lock used to truncate it, write its JSON and delete it)."""
    from srgan.runs import RunFolderError

    out = tmp_path / "run"
    out.mkdir()
    (out / "run.lock").write_text("my lock notes - important")
    with pytest.raises(RunFolderError, match="not a lock `srgan train` wrote"):
        _trainer(_cfg(out, steps=2)).fit()
    assert (out / "run.lock").read_text() == "my lock notes - important"


def test_overwrite_removes_visualdl_records_but_not_a_users_file_there(tmp_path):
    out = tmp_path / "run"
    _trainer(_cfg(out, steps=2)).fit()
    (out / "visualdl").mkdir(exist_ok=True)
    (out / "visualdl" / "vdlrecords.123.log").write_bytes(b"scalars")
    (out / "visualdl" / "mine.txt").write_text("precious")
    _trainer(_cfg(out, steps=2)).fit(overwrite=True)
    assert (out / "visualdl" / "mine.txt").read_text() == "precious"
    assert not (out / "visualdl" / "vdlrecords.123.log").exists()


def test_the_lock_is_released_and_an_empty_folder_removed_when_a_run_fails(tmp_path):
    out = tmp_path / "new" / "run"
    trainer = Trainer(_cfg(out), images=[("small", np.zeros((8, 8, 3), np.uint8))], val_pairs=_val_pairs(), progress=False)
    with pytest.raises(ValueError, match="smaller than the 16 px crop|at least 16x16"):
        trainer.fit()
    assert not (tmp_path / "new").exists()  # nor the parent it created
    (tmp_path / "mine").mkdir()
    trainer = Trainer(_cfg(tmp_path / "mine"), images=[("small", np.zeros((8, 8, 3), np.uint8))], val_pairs=_val_pairs(), progress=False)
    with pytest.raises(ValueError):
        trainer.fit()
    assert (tmp_path / "mine").is_dir() and not any((tmp_path / "mine").iterdir())  # the user's folder stays, unlocked


def test_a_file_named_images_in_the_folder_is_refused_before_training(tmp_path):
    """The run writes its validation grids into <out>/images/: a file of that name made the
    run fail at its first validation (after val_every steps of training, hours with the
    paper's settings, and before the checkpoint of that step). It is refused at the start,
    naming the file, which is left alone."""
    from srgan.runs import RunFolderError

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "images").write_text("mine")
    with pytest.raises(RunFolderError, match=r"run/images: is a file"):
        _trainer(_cfg(tmp_path / "run")).fit()
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["images"]
    assert (tmp_path / "run" / "images").read_text() == "mine"


# --- 4. config values and the data loader --------------------------------------------------------
@pytest.mark.parametrize("section, name, value, message", [
    ("data", "batch_size", 0, "batch_size must be an integer >= 1, got 0"),
    ("data", "hr_size", 18, "hr_size 18 is not divisible by the scale 4"),
    ("train", "keep_last", 0, "keep_last must be >= 1, or all"),
    ("train", "steps", 0, "steps must be an integer >= 1"),
    ("train", "ckpt_every", 0, "ckpt_every must be an integer >= 1"),
    ("train", "lr", -1.0, "lr must be > 0"),
    ("data", "num_workers", -1, "num_workers must be an integer >= 0"),
    ("model", "scale", 3, "scale must be a power of two"),
    ("train", "phase", "finetune", "phase must be 'pretrain' or 'gan', got 'finetune'"),
    ("train", "pixel_loss", "huber", "pixel_loss must be 'mse' or 'l1', got 'huber'"),
    ("train", "d_renew_every", -5, "d_renew_every must be an integer >= 0, got -5$"),  # one error, not two
    # LDL's map compares SR with the running average: without one the step would fail on None
    ("train", "artifact_weight", 1.0, "artifact_weight 1.0 needs ema_decay > 0"),
    ("train", "texture_weight", -1.0, "texture_weight must be >= 0"),
    # --seed -1 ended in paddle.seed's pybind11 TypeError traceback; 2**32 in numpy's ValueError
    ("train", "seed", -1, r"seed must be an integer in \[0, 2\*\*32\), got -1"),
    ("train", "seed", 2**32, r"seed must be an integer in \[0, 2\*\*32\), got 4294967296"),
])
def test_bad_config_values_are_refused_before_anything_runs(tmp_path, section, name, value, message):
    cfg = _cfg(tmp_path / "run")
    cfg.train.d_warmup_steps = 100
    setattr(getattr(cfg, section), name, value)
    with pytest.raises(ValueError, match=f"invalid training config: .*{message}"):
        _trainer(cfg)
    assert not (tmp_path / "run").exists()


def test_a_d_renewal_within_the_warm_up_is_refused_in_phase_2_only(tmp_path):
    """d_renew_every 0 = never; at or below d_warmup_steps a new D would never train beside G.
    Phase 1 has no D and ignores both."""
    cfg = _cfg(tmp_path / "run", "gan", d_warmup_steps=100, d_renew_every=100)
    with pytest.raises(ValueError, match=r"d_renew_every \(100\) must exceed d_warmup_steps \(100\)"):
        _trainer(cfg)
    cfg = _cfg(tmp_path / "run", "pretrain", d_warmup_steps=100, d_renew_every=100)
    assert cfg.problems() == []


def test_the_pixel_loss_of_phase_2_is_checked_too(tmp_path):
    """gan_pixel_weight uses the pixel loss in phase 2: a bad kind is refused there as well."""
    cfg = _cfg(tmp_path / "run", "gan", gan_pixel_weight=1.0, pixel_loss="L1")
    with pytest.raises(ValueError, match="invalid training config: pixel_loss must be 'mse' or 'l1', got 'L1'"):
        _trainer(cfg)
    assert not (tmp_path / "run").exists()


def test_gan_crops_must_fit_the_discriminator(tmp_path):
    cfg = _cfg(tmp_path / "run", "gan")
    cfg.model.d_image_size = 32  # D built for 32 px, crops of 16 px: failed at the first step before
    with pytest.raises(ValueError, match="d_image_size 32 differs from hr_size 16"):
        _trainer(cfg)


def test_keep_last_all_keeps_every_checkpoint(tmp_path):
    from srgan.cli import build_parser, train_config_from_args

    args = build_parser().parse_args(["train", "--quick", "--keep-last", "all"])
    assert train_config_from_args(args).train.keep_last is None
    out = tmp_path / "run"
    _trainer(_cfg(out, steps=6, keep_last=None)).fit()
    assert [p.name for p in checkpoints(out)] == [f"ckpt_0000000{s}.ckpt" for s in (2, 4, 6)]


def test_a_second_sigterm_stops_a_stuck_step(tmp_path):
    """The first SIGTERM asks to stop after the current step; if that step never ends (a hung
    loader or device), a second one (later than a repeat, interrupt.StopOnSigterm.REPEAT_SECONDS) stops the run at once."""
    trainer = _trainer(_cfg(tmp_path / "run", steps=100))

    def stuck(lr, hr):
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
        time.sleep(30)

    trainer.train_step = stuck
    start = time.time()
    trainer.fit()
    assert time.time() - start < 10 and trainer.step == 0


# --- the log reads as one run ----------------------------------------------------------------
def test_after_a_kill_the_resumed_log_has_each_step_once(tmp_path):
    out = tmp_path / "run"
    _trainer(_cfg(out, steps=6, ckpt_every=4, val_every=3)).fit()
    checkpoints(out)[-1].unlink()  # killed after step 6, before its checkpoint: the newest is step 4
    with open(out / "log.jsonl", "a") as f:
        f.write('{"kind": "train", "st')  # and mid-write of a log line
    _trainer(_cfg(out, steps=6, ckpt_every=4, val_every=3)).fit(resume=True)
    assert _log_steps(out) == [1, 2, 3, 4, 5, 6] and _log_steps(out, "val") == [3, 6]


def test_trim_log_keeps_records_up_to_the_step(tmp_path):
    from srgan.runs import trim_log

    (tmp_path / "log.jsonl").write_text("".join(json.dumps({"kind": "train", "step": s}) + "\n" for s in (1, 2, 3)) + "{bad\n")
    assert trim_log(tmp_path, 2) == 2
    assert _log_steps(tmp_path) == [1, 2]
    assert trim_log(tmp_path, 2) == 0


def test_checkpoints_ignore_other_files_named_ckpt(tmp_path):
    for name in ("ckpt_00000010.ckpt", "ckpt_00000002.ckpt", "ckpt_backup.ckpt", "ckpt_3.ckpt.tmp"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in checkpoints(tmp_path)] == ["ckpt_00000002.ckpt", "ckpt_00000010.ckpt"]
    assert checkpoints(tmp_path / "missing") == []


def test_read_log_reads_records_in_order_and_a_missing_log_as_empty(tmp_path):
    from srgan.release import read_log as read_log_from_release
    from srgan.runs import read_log

    assert read_log(tmp_path / "log.jsonl") == []
    (tmp_path / "log.jsonl").write_text('{"kind": "train", "step": 1}\n\n{"kind": "val", "step": 2}\n')
    assert [r["step"] for r in read_log(tmp_path / "log.jsonl")] == [1, 2]
    assert read_log_from_release is read_log  # its earlier home still works


# --- what a run writes and reads (srgan.runs) ----------------------------------------------------
def test_run_info_is_written_and_read_back(tmp_path):
    from srgan.runs import CONFIG, read_info, write_info

    assert read_info(tmp_path) == {}
    write_info(tmp_path, {"train": {"phase": "pretrain"}}, paddle="3.3.1", device="cpu", world_size=1)
    info = read_info(tmp_path)
    assert list(info) == ["config", "paddle", "device", "world_size", "vgg", "machine"]
    assert info["config"] == {"train": {"phase": "pretrain"}} and "CPU cores" in info["machine"]
    assert info["vgg"] is None  # no VGG content loss in this run
    assert json.loads((tmp_path / CONFIG).read_text()) == info
    write_info(tmp_path, {}, paddle="3.3.1", device="cpu", world_size=1, vgg="the paper's VGG19, phi_5,4: /x.h5")
    assert read_info(tmp_path)["vgg"] == "the paper's VGG19, phi_5,4: /x.h5"


def test_the_logger_appends_one_record_per_line_and_only_when_enabled(tmp_path):
    from srgan.runs import LOG, JsonlLogger, read_log

    JsonlLogger(tmp_path / "off", enabled=False, visualdl=False).log({"kind": "train", "step": 1})
    assert not (tmp_path / "off").exists()
    logger = JsonlLogger(tmp_path, enabled=True, visualdl=False)
    logger.log({"kind": "train", "step": 1, "loss": 0.5})
    logger.log({"kind": "val", "step": 1, "psnr": 20.0})
    assert read_log(tmp_path / LOG) == [{"kind": "train", "step": 1, "loss": 0.5}, {"kind": "val", "step": 1, "psnr": 20.0}]


def test_the_initial_card_and_log_are_kept_once(tmp_path):
    from srgan.runs import INIT_CARD, INIT_LOG, keep_initial_card

    card, log, run = tmp_path / "w.json", tmp_path / "w_log.jsonl", tmp_path / "run"
    run.mkdir()
    keep_initial_card(run, card, log)  # weights without a card: nothing to keep
    assert not any(run.iterdir())
    card.write_text('{"step": 4}')
    log.write_text('{"kind": "train", "step": 4}\n')
    keep_initial_card(run, card, log)
    assert (run / INIT_CARD).read_text() == '{"step": 4}' and (run / INIT_LOG).read_text() == log.read_text()
    card.write_text('{"step": 8}')  # released again over the file the run started from
    keep_initial_card(run, card, log)
    assert (run / INIT_CARD).read_text() == '{"step": 4}'


@pytest.mark.parametrize("damage", ['{"step": ', "[4]"])
def test_a_damaged_initial_card_is_not_kept(tmp_path, damage):
    """The card beside --init-generator weights is damaged (cut short, edited): the run starts
    with a warning naming it and does not keep it; before, the copy was kept and every later
    `srgan release` of the run stopped on run/init_card.json, a file the user never wrote."""
    from srgan.runs import INIT_CARD, INIT_LOG, keep_initial_card

    run, card, log = tmp_path / "run", tmp_path / "w.json", tmp_path / "w_log.jsonl"
    run.mkdir()
    card.write_text(damage)
    log.write_text('{"kind": "val", "step": 4}\n')
    with pytest.warns(UserWarning, match=f"{card}: damaged"):
        keep_initial_card(run, card, log)
    assert not (run / INIT_CARD).exists() and not (run / INIT_LOG).exists()


def test_earlier_training_is_the_chain_of_the_same_phase_only(tmp_path):
    from srgan.runs import INIT_CARD, INIT_LOG, earlier_training

    assert earlier_training(tmp_path, "pretrain") == ([], [])
    card = {"phase": "pretrain", "step": 4, "training_hours": 0.5, "config": {"train": {"lr": 1e-4}}}
    (tmp_path / INIT_CARD).write_text(json.dumps(card))
    (tmp_path / INIT_LOG).write_text('{"kind": "train", "step": 2}\n{"kind": "val", "step": 4}\n')
    segments, records = earlier_training(tmp_path, "pretrain")
    assert segments == [{"from_step": 0, "steps": 4, "training_hours": 0.5, "config": {"train": {"lr": 1e-4}}}]
    assert records == [{"segment": 0, "kind": "train", "step": 2}, {"segment": 0, "kind": "val", "step": 4}]
    assert earlier_training(tmp_path, "gan") == ([], [])  # phase 2 from an SRResNet is no continuation
    chained = {**card, "segments": [{"from_step": 0, "steps": 2}, {"from_step": 2, "steps": 2}]}
    (tmp_path / INIT_CARD).write_text(json.dumps(chained))
    # segments written without hours or config (an older card) read as 0 hours, no config
    assert earlier_training(tmp_path, "pretrain")[0] == [{**seg, "training_hours": 0.0, "config": {}}
                                                         for seg in chained["segments"]]


def test_a_hand_written_card_or_log_line_is_said_and_left_out_not_a_traceback(tmp_path):
    """Hostile s23 #5: weights with a card written by hand ({"phase": "pretrain", "notes": "mine"}) trained
    fine, then `srgan release` ended in KeyError: 'step' after minutes of scoring; so did a note line added to
    a log. The card's training is not counted (said); the line is left out (said)."""
    from srgan.runs import INIT_CARD, INIT_LOG, earlier_training, read_log

    (tmp_path / INIT_CARD).write_text(json.dumps({"phase": "pretrain", "notes": "mine"}))
    with pytest.warns(UserWarning, match="gives no step count; their training is not counted"):
        assert earlier_training(tmp_path, "pretrain") == ([], [])
    (tmp_path / INIT_CARD).write_text(json.dumps({"phase": "pretrain", "step": 3, "training_hours": "3"}))
    assert earlier_training(tmp_path, "pretrain")[0] == [{"from_step": 0, "steps": 3, "training_hours": 0.0, "config": {}}]
    (tmp_path / INIT_LOG).write_text('{"kind": "train", "step": 2}\n{"note": "lr lowered here"}\n{"kind": "val"}\n')
    with pytest.warns(UserWarning, match=r"line\(s\) 2, 3 are not training records \(no kind and step\); left out"):
        assert read_log(tmp_path / INIT_LOG) == [{"kind": "train", "step": 2}]


def test_training_seconds_sum_the_logged_windows_only(tmp_path):
    from srgan.runs import training_seconds

    records = [{"kind": "train", "step": 2, "samples_per_s": 4.0}, {"kind": "val", "step": 2},
               {"kind": "train", "step": 6, "samples_per_s": 8.0}, {"kind": "train", "step": 7}]
    assert training_seconds(records, batch_size=2) == pytest.approx(2 * 2 / 4.0 + 4 * 2 / 8.0)
    assert training_seconds([], batch_size=2) == 0.0
    # A run that continued another run's checkpoint at step 700 logs from step 710 on: its first
    # window is one logging interval, not 710 steps.
    late = [{"kind": "train", "step": 710, "samples_per_s": 2.0}, {"kind": "train", "step": 720, "samples_per_s": 2.0}]
    assert training_seconds(late, batch_size=2) == pytest.approx(2 * 10 * 2 / 2.0)
    # Logs that record each window's length are summed exactly, whatever the first window was.
    exact = [{"kind": "train", "step": 710, "seconds": 3.5, "samples_per_s": 2.0}, {"kind": "train", "step": 720, "seconds": 10.0}]
    assert training_seconds(exact, batch_size=2) == pytest.approx(13.5)


def test_validation_grids_are_listed_by_step_and_cleared_with_the_run(tmp_path):
    from srgan.runs import IMAGES, clear, grid_path, grid_step, grids

    for step in (10, 2):
        grid_path(tmp_path, step).parent.mkdir(exist_ok=True)
        grid_path(tmp_path, step).write_bytes(b"")
    (tmp_path / IMAGES / "notes.txt").write_text("mine")
    assert [grid_step(p) for p in grids(tmp_path)] == [2, 10] and grids(tmp_path / "missing") == []
    assert grid_path(tmp_path, 2).name == "val_00000002.png"
    clear(tmp_path)
    assert grids(tmp_path) == [] and [p.name for p in (tmp_path / IMAGES).iterdir()] == ["notes.txt"]


def test_segment_medians_and_the_step_up_to_which_d_was_saturated():
    """Chapters 0 and 6 read D by segment of the shipped lineage: a D that was saturated in the
    first segments and not in the last must be named with the step where that changed."""
    from srgan.runs import saturated_until, segment_medians

    card = {"step": 30, "segments": [{"steps": 10}, {"steps": 10}, {"steps": 10}]}
    records = [{"step": s, "d_fake": 1e-4 if s <= 20 else 0.4} for s in range(1, 31)]
    medians = segment_medians(records, card)
    assert [(lo, hi) for lo, hi, _ in medians] == [(1, 10), (11, 20), (21, 30)]
    assert [m for _, _, m in medians] == [1e-4, 1e-4, 0.4]
    assert saturated_until(medians) == 20
    assert saturated_until(segment_medians(records[:20], {"step": 20})) is None  # one segment, saturated throughout
    assert segment_medians(records, {"step": 30})[0][:2] == (1, 30)  # a card without segments is one


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_link_or_folder_at_a_run_file_name_is_refused_not_replaced(tmp_path):
    """Hostile test s20 F10: a named pipe at config.json was replaced by a file in silence, and a
    dangling link at log.jsonl had the log appended through it, to a file outside --out."""
    from srgan.runs import RunFolder, RunFolderError

    cases = {"pipe": ("config.json", "is not a regular file"), "link": ("log.jsonl", "is a link"),
             "folder": ("config.json", "is a folder"), "lock": ("run.lock", "is a link")}
    for kind, (name, said) in cases.items():
        run = tmp_path / kind
        run.mkdir()
        if kind == "pipe":
            os.mkfifo(run / name)
        elif kind in ("link", "lock"):  # the lock: created at the link's target, then the link deleted (round 2, N4)
            (run / name).symlink_to(tmp_path / "elsewhere.jsonl")
        else:
            (run / name).mkdir()
        with pytest.raises(RunFolderError, match=f"{name}: {said}; the run writes (a|its lock) file of that name"):
            RunFolder(run).open()
        assert sorted(p.name for p in run.iterdir()) == [name]  # no lock or anything else left
    assert not (tmp_path / "elsewhere.jsonl").exists()


def test_init_generator_takes_a_shipped_models_short_name_unless_a_file_has_that_name(tmp_path, monkeypatch):
    """The book's phase-2 command says `--init-generator srresnet`, as `upscale --weights srresnet` reads."""
    from srgan.cli import build_parser, train_config_from_args
    from srgan.infer import shipped_weights

    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(["train", "--phase", "gan", "--init-generator", "srresnet"])
    assert train_config_from_args(args).train.init_generator == str(shipped_weights("srresnet"))
    (tmp_path / "srgan").write_bytes(b"a file of the user's, named srgan")
    args = build_parser().parse_args(["train", "--phase", "gan", "--init-generator", "srgan"])
    assert train_config_from_args(args).train.init_generator.endswith("srgan")
    assert train_config_from_args(args).train.init_generator != str(shipped_weights("srgan"))
