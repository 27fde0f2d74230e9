"""What Trainer.fit() hands on from the config and the trainer: where the validation images come
from, the data settings of the crops and the loader, and what the run folder records. Mutation
testing (ci/mutation.sh train, issue 26) found each of these unchecked: a user would have seen
--val-dir, --val-max-images, --no-augment or --seed ignored, a multi-GPU run feeding every rank
the same batches, or a model card without the Paddle version and device."""

import inspect
import re

import numpy as np
import paddle
import pytest
from PIL import Image

import srgan.train as train_module
from srgan.imresize import imresize
from srgan.runs import checkpoints, read_info
from srgan.train import Trainer
from tiny import config as tiny_config
from tiny import images as tiny_images
from tiny import val_pairs as tiny_val_pairs


class _Stop(Exception):
    """Ends fit() once the loader is asked for: nothing is trained."""


def test_a_run_records_paddle_device_and_processes_and_a_fresh_run_says_nothing_of_resume(tmp_path, capsys):
    out = tmp_path / "run"
    cfg = tiny_config(out, steps=1, val_every=1, ckpt_every=1)
    trainer = Trainer(cfg, images=tiny_images(), val_pairs=tiny_val_pairs(), progress=False)
    trainer.fit()
    info = read_info(out)
    assert (info["paddle"], info["device"], info["world_size"], info["vgg"]) == (paddle.__version__, trainer.device, 1, None)
    err = capsys.readouterr().err
    assert "--resume" not in err  # the note belongs to fit(resume=True) without a checkpoint
    assert "100%" not in err  # progress=False: no progress bar


def test_validation_images_come_from_val_dir_up_to_val_max_images(tmp_path):
    folder = tmp_path / "bench"
    (folder / "HR").mkdir(parents=True)
    (folder / "LR_bicubic_x4").mkdir()
    rng = np.random.default_rng(3)
    for name in ("a.png", "b.png", "c.png"):
        hr = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(hr).save(folder / "HR" / name)
        Image.fromarray(imresize(hr, scale=0.25)).save(folder / "LR_bicubic_x4" / name)
    cfg = tiny_config(tmp_path / "run", steps=1, val_every=1, ckpt_every=1)
    cfg.data.val_dir, cfg.data.val_max_images = str(folder), 2
    trainer = Trainer(cfg, images=tiny_images(), progress=False)  # no val_pairs: fit() reads cfg.data
    metrics = trainer.fit()
    assert [name for name, _, _ in trainer.val_pairs] == ["a.png", "b.png"]
    stored = np.asarray(Image.open(folder / "HR" / "a.png"))
    np.testing.assert_array_equal(trainer.val_pairs[0][2], stored)
    assert np.isfinite(metrics["psnr"])


def test_the_crops_and_the_loader_get_the_runs_data_settings(tmp_path, monkeypatch):
    """--no-augment and --seed reach the crops; num_workers, the per-device batch, this rank
    and the number of ranks reach the loader (here as rank 1 of 2: each rank must draw its own
    share of the steps' batches)."""
    seen = {}
    real_crops = train_module.TrainCrops

    def crops(*args, **kwargs):
        seen["crops"] = inspect.signature(real_crops).bind(*args, **kwargs).arguments
        return real_crops(*args, **kwargs)

    def loader(*args, **kwargs):
        seen["loader"] = inspect.signature(real_loader).bind(*args, **kwargs).arguments
        raise _Stop

    real_loader = train_module.train_loader
    monkeypatch.setattr(train_module, "TrainCrops", crops)
    monkeypatch.setattr(train_module, "train_loader", loader)
    cfg = tiny_config(tmp_path / "run", steps=5, seed=7)
    cfg.data.augment, cfg.data.num_workers = False, 3
    trainer = Trainer(cfg, images=tiny_images(), val_pairs=tiny_val_pairs(), progress=False)
    trainer.rank, trainer.world_size = 1, 2
    with pytest.raises(_Stop):
        trainer.fit()
    assert {k: seen["crops"][k] for k in ("hr_size", "scale", "augment", "seed")} == {
        "hr_size": 16, "scale": 4, "augment": False, "seed": 7}
    assert {k: v for k, v in seen["loader"].items() if k != "dataset"} == {
        "batch_size": 1, "start_step": 0, "end_step": 5, "num_workers": 3, "rank": 1, "world_size": 2}


def test_a_missing_val_dir_stops_the_run_before_its_first_step(tmp_path):
    """The validation data is read when fit() starts: a wrong --val-dir is said at once, not after
    the steps up to the first validation (hours, on a real run)."""
    cfg = tiny_config(tmp_path / "run", steps=2, val_every=2, ckpt_every=2)
    cfg.data.val_dir = str(tmp_path / "no_such_benchmark")
    trainer = Trainer(cfg, images=tiny_images(), progress=False)
    with pytest.raises(FileNotFoundError, match="no_such_benchmark"):
        trainer.fit()
    assert trainer.step == 0


def test_a_run_from_released_weights_keeps_their_card_and_log(tmp_path):
    """--init-generator g.safetensors with its card g.json and log g_log.jsonl: the run keeps
    both (init_card.json, init_log.jsonl), so that `srgan release` can list the earlier training."""
    import json

    from srgan.checkpoint import save_generator
    from srgan.models import Generator

    card = {"phase": "pretrain", "step": 4, "training_hours": 0.5}
    save_generator(Generator(num_blocks=1, channels=8), tmp_path / "g.safetensors", card=card)
    (tmp_path / "g_log.jsonl").write_text('{"kind": "val", "step": 4}\n')
    out = tmp_path / "run"
    cfg = tiny_config(out, steps=1, val_every=1, ckpt_every=1, init_generator=str(tmp_path / "g.safetensors"))
    Trainer(cfg, images=tiny_images(), val_pairs=tiny_val_pairs(), progress=False).fit()
    assert {k: v for k, v in json.loads((out / "init_card.json").read_text()).items() if k in card} == card
    assert (out / "init_log.jsonl").read_text() == '{"kind": "val", "step": 4}\n'


def test_the_progress_bar_counts_towards_the_runs_last_step_showing_the_loss(tmp_path, capsys):
    cfg = tiny_config(tmp_path / "run", steps=3, val_every=3, ckpt_every=3)
    Trainer(cfg, images=tiny_images(), val_pairs=tiny_val_pairs(), progress=True).fit()
    err = capsys.readouterr().err
    assert "pretrain: 100%" in err and "3/3" in err and "6/3" not in err  # labelled with the phase, one a step
    assert re.search(r"3/3 \[.*, loss=[0-9.e-]+\]", err)


def test_only_rank_0_opens_the_run_folder_and_every_rank_learns_if_it_could_not(tmp_path, monkeypatch):
    """In a multi-GPU run rank 0 alone locks and checks the folder (two ranks locking it would
    refuse each other), and its failure to open it reaches every rank through ranks.any_rank
    (the others would otherwise wait forever in their first all-reduce)."""
    import srgan.ranks as ranks

    seen = []

    def answer(flag):
        seen.append(flag)
        return flag

    monkeypatch.setattr(ranks, "any_rank", answer)
    out = tmp_path / "run"
    out.mkdir()
    (out / "log.jsonl").write_text('{"kind": "train", "step": 1}\n')  # another run's file: rank 0 refuses the folder
    trainer = Trainer(tiny_config(out, steps=1), images=tiny_images(), val_pairs=tiny_val_pairs(), progress=False)
    from srgan.runs import RunFolderError

    with pytest.raises(RunFolderError, match=r"holds another run \(log.jsonl\)"):
        trainer.fit()
    assert seen and seen[0] is True  # rank 0's failure was put to all ranks

    monkeypatch.setattr(train_module.runs, "open_run", lambda *args, **kwargs: (_ for _ in ()).throw(_Stop(kwargs)))
    trainer.is_main = False  # as rank 1
    with pytest.raises(_Stop) as stopped:
        trainer.fit()
    assert stopped.value.args[0]["writer"] is False


def test_a_resumed_runs_progress_bar_starts_at_its_checkpoint(tmp_path, capsys):
    from srgan.runs import checkpoints

    cfg = tiny_config(tmp_path / "a", steps=4, val_every=4, ckpt_every=2, keep_last=None)
    Trainer(cfg, images=tiny_images(), val_pairs=tiny_val_pairs(), progress=False).fit()
    step_2 = checkpoints(tmp_path / "a")[0]
    assert step_2.name == "ckpt_00000002.ckpt"
    branch = tiny_config(tmp_path / "b", steps=4, val_every=4, ckpt_every=2, keep_last=None)
    Trainer(branch, images=tiny_images(), val_pairs=tiny_val_pairs(), progress=True).fit(resume=str(step_2))
    err = capsys.readouterr().err
    assert "4/4" in err and "1/4" not in err  # from 2 of 4 to 4 of 4, not 0 to 2 of 4


def test_a_non_finite_loss_stops_the_run_at_that_step_naming_every_loss(tmp_path, capsys):
    """A GAN step whose D loss is infinite: the run stops there (nothing of the step saved), the
    message names the step and all the losses and points at the newest checkpoint; the progress
    bar showed G's and D's losses until then."""
    from srgan.runs import checkpoints
    from srgan.train import TrainingDiverged

    out = tmp_path / "run"
    trainer = Trainer(tiny_config(out, "gan", steps=3, val_every=3, ckpt_every=1), images=tiny_images(),
                      val_pairs=tiny_val_pairs(), progress=True)
    real_step, given = trainer.train_step, []

    def step(lr, hr):
        losses = real_step(lr, hr)
        if trainer.step == 1:
            losses = {**losses, "loss_d": float("inf")}
        given.append(losses)
        return losses

    trainer.train_step = step
    with pytest.raises(TrainingDiverged) as error:
        trainer.fit()
    shown = ", ".join(f"{k} {v:.4g}" for k, v in given[-1].items())
    assert len(given[-1]) > 2 and str(error.value) == (
        f"step 2: non-finite loss ({shown}); training diverged, nothing of this step was saved; the newest "
        f"checkpoint is {out / 'ckpt_00000001.ckpt'} (continue it with a lower --lr)")
    assert trainer.step == 1 and [p.name for p in checkpoints(out)] == ["ckpt_00000001.ckpt"]
    err = capsys.readouterr().err
    assert re.search(r"loss_g=[0-9.e-]+, loss_d=[0-9.e-]+\]", err) and "content=" not in err


def test_a_run_stopped_between_checkpoints_saves_says_so_and_returns_no_metrics(tmp_path, capsys):
    from srgan.runs import checkpoints

    out = tmp_path / "run"
    cfg = tiny_config(out, steps=10, val_every=10, ckpt_every=10, max_minutes=0)
    trainer = Trainer(cfg, images=tiny_images(), val_pairs=tiny_val_pairs(), progress=False)
    assert trainer.fit() == {} and trainer.step == 1  # max_minutes=0: one step, then a normal end
    assert [p.name for p in checkpoints(out)] == ["ckpt_00000001.ckpt"]
    assert (f"stopped at step 1; checkpoint {out / 'ckpt_00000001.ckpt'}; continue with --resume"
            in capsys.readouterr().err)


def test_the_log_the_rank_barrier_and_the_time_budget_follow_their_settings(tmp_path, monkeypatch, capsys):
    """log_every=2 over 5 steps logs steps 2 and 4 (and the last, 5, had it run); the other ranks
    wait for rank 0 after each step that validates or saves; max_minutes=1 stops at the first step
    that ends more than 60 s after the start (a clock that reads 30, 60, 60.5 s after steps 1-3)."""
    import json
    from types import SimpleNamespace

    import srgan.ranks as ranks

    waits = []
    monkeypatch.setattr(ranks, "wait_for_rank0", waits.append)
    out = tmp_path / "run"
    cfg = tiny_config(out, steps=5, log_every=2, val_every=2, ckpt_every=3, max_minutes=1)
    trainer = Trainer(cfg, images=tiny_images(), val_pairs=tiny_val_pairs(), progress=False)
    seconds_after = {0: 0.0, 1: 30.0, 2: 60.0, 3: 60.5, 4: 60.8}  # the clock after each step
    monkeypatch.setattr(train_module, "time", SimpleNamespace(time=lambda: 1e9 + seconds_after.get(trainer.step, 90.0)))
    trainer.fit()
    assert trainer.step == 3 and not trainer.interrupted  # the budget is a normal end
    # step 3 was a checkpoint already: no second one, and the stop names it (new-user test s21: a stop at
    # a checkpoint step said nothing)
    assert f"stopped at step 3; checkpoint {out / 'ckpt_00000003.ckpt'}; continue with --resume" in capsys.readouterr().err
    assert [p.name for p in checkpoints(out)] == ["ckpt_00000003.ckpt"]
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [2]
    assert waits == ["step 2", "step 3"]


def test_the_last_step_is_logged_whatever_log_every_and_a_finished_run_is_not_stopped(tmp_path, capsys):
    import json

    out = tmp_path / "run"
    Trainer(tiny_config(out, steps=3, log_every=2, val_every=3, ckpt_every=2), images=tiny_images(),
            val_pairs=tiny_val_pairs(), progress=False).fit()
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [2, 3]
    assert "stopped at step" not in capsys.readouterr().err  # it ended: nothing to --resume
