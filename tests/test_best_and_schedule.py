"""The trainer's choices a user builds on: which weights become best_generator.safetensors
(phase 2 starts from that file), and the learning rate each step really uses."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from srgan.checkpoint import read_generator_file
from srgan.runs import BEST, BEST_CARD
from srgan.train import Trainer, build_scheduler
from tiny import config as tiny_config
from tiny import images as _images
from tiny import val_pairs as _val_pairs


def _cfg(tmp_path, phase="pretrain", **train):
    return tiny_config(tmp_path / phase, phase, **{"lr_milestones": [], **train})


def _log(cfg, kind="train"):
    lines = (Path(cfg.train.out_dir) / "log.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] == kind]


# --- best_generator.safetensors ---------------------------------------------------------
def test_best_generator_holds_the_best_validation_step_across_a_resume(tmp_path, monkeypatch):
    """Scripted validation PSNRs 20, 25, 22, then (resumed) 24, 21: the best file keeps step 2's
    weights and card; a later, worse validation never replaces it, also not after a resume
    (which must restore the best PSNR seen so far)."""
    scripted = {1: 20.0, 2: 25.0, 3: 22.0, 4: 24.0, 5: 21.0}
    weights_at = {}

    def validate(self):
        weights_at[self.step] = {k: v.numpy().copy() for k, v in self.generator.state_dict().items()}
        return {"step": self.step, "psnr": scripted[self.step], "ssim_daala": 0.5, "niqe": None, "grid_contrast": None,
                "colour_shift": None, "colour_speckle": None}

    monkeypatch.setattr(Trainer, "validate", validate)
    cfg = _cfg(tmp_path, steps=3, val_every=1, ckpt_every=1, log_every=1)
    Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    out = Path(cfg.train.out_dir)

    def best():
        card = json.loads((out / BEST_CARD).read_text())
        tensors, _ = read_generator_file(out / BEST)
        return card, tensors

    def same_weights(tensors, step):
        return all(np.array_equal(tensors[k], weights_at[step][k]) for k in weights_at[step])

    card, tensors = best()
    assert card["step"] == 2 and card["val"]["psnr"] == 25.0
    assert same_weights(tensors, 2) and not same_weights(tensors, 3)  # the weights are step 2's, not the last

    cfg.train.steps = 5
    Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit(resume=True)
    assert sorted(weights_at) == [1, 2, 3, 4, 5]  # steps 4 and 5 were trained and validated
    card, tensors = best()
    assert card["step"] == 2 and card["val"]["psnr"] == 25.0
    assert same_weights(tensors, 2) and not same_weights(tensors, 4)


# --- the learning-rate schedule ---------------------------------------------------------
def _lrs(scheduler, steps):
    """The learning rate the optimizer uses for updates 1..steps (the scheduler steps after each).
    scheduler() is the current rate; Paddle's get_lr() computes the next one, it is no getter."""
    out = []
    for _ in range(steps):
        out.append(scheduler())
        scheduler.step()
    return out


def test_milestones_multiply_the_learning_rate_by_gamma_after_each_milestone(tmp_path):
    """The paper's SRGAN: 1e-4 for the first 1e5 updates, then 1e-5 (here milestones 3 and 5)."""
    cfg = _cfg(tmp_path, lr=1e-4, lr_milestones=[3, 5], lr_gamma=0.1)
    lrs = _lrs(build_scheduler(cfg), 7)
    np.testing.assert_allclose(lrs, [1e-4] * 3 + [1e-5] * 2 + [1e-6] * 2, rtol=1e-9)


def test_cosine_decays_from_lr_to_lr_times_gamma_over_the_run(tmp_path):
    cfg = _cfg(tmp_path, lr=1e-3, lr_gamma=0.01, cosine=True, steps=10)
    scheduler = build_scheduler(cfg)
    lrs = _lrs(scheduler, 10) + [scheduler()]  # and after the last update
    eta_min = 1e-3 * 0.01
    expected = [eta_min + (1e-3 - eta_min) * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(11)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-6)
    assert lrs[5] == pytest.approx((1e-3 + eta_min) / 2, rel=1e-6) and lrs[-1] == pytest.approx(eta_min, rel=1e-6)


def test_no_milestones_keep_the_paper_s_constant_rate(tmp_path):
    np.testing.assert_allclose(_lrs(build_scheduler(_cfg(tmp_path, lr=3e-4)), 5), [3e-4] * 5, rtol=1e-12)


def test_the_trainer_logs_and_uses_the_scheduled_rate_also_after_a_resume(tmp_path):
    """A run's log.jsonl shows the rate of the next update at each step: lr until the milestone
    (step 2), lr * gamma after it, and a resumed run continues the schedule where it stopped."""
    cfg = _cfg(tmp_path, lr=1e-3, lr_milestones=[2], lr_gamma=0.1, steps=3, log_every=1, val_every=100, ckpt_every=3)
    trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    trainer.fit()
    # the optimizer's own rate (what Adam multiplies its step by) follows the scheduler
    assert trainer.opt_g.get_lr() == pytest.approx(1e-4, rel=1e-9)
    cfg.train.steps = 4
    Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit(resume=True)
    logged = {r["step"]: r["lr"] for r in _log(cfg)}
    assert sorted(logged) == [1, 2, 3, 4]
    np.testing.assert_allclose([logged[s] for s in (1, 2, 3, 4)], [1e-3, 1e-4, 1e-4, 1e-4], rtol=1e-9)


def test_a_cosine_run_ends_at_lr_times_gamma(tmp_path):
    cfg = _cfg(tmp_path, lr=1e-3, lr_gamma=0.1, cosine=True, steps=4, log_every=1, val_every=100, ckpt_every=4)
    Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    logged = [r["lr"] for r in _log(cfg)]
    expected = [1e-4 + (1e-3 - 1e-4) * (1 + math.cos(math.pi * t / 4)) / 2 for t in (1, 2, 3, 4)]
    np.testing.assert_allclose(logged, expected, rtol=1e-6)
    assert logged[-1] == pytest.approx(1e-4, rel=1e-6)



def test_each_validation_is_logged_with_its_time(tmp_path):
    """log.jsonl's "val" records carry the wall-clock time of the validation, as the train records do."""
    import time

    began = time.time()
    cfg = _cfg(tmp_path, steps=2, val_every=1, ckpt_every=2, log_every=1)
    Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    val = _log(cfg, "val")
    assert [r["step"] for r in val] == [1, 2]
    assert all(began <= r["time"] <= time.time() for r in val) and val[0]["time"] <= val[1]["time"]


def test_a_validation_that_fails_keeps_the_steps_trained_since_the_last_checkpoint(tmp_path, monkeypatch):
    """Validation runs out of memory (a large image on a GPU) at step 3 of a run that saves every
    10 steps: the error reaches the user, and a checkpoint of step 3 lets --resume continue there."""
    from srgan.runs import checkpoints

    def validate(self):
        if self.step == 3:
            raise MemoryError("out of memory on the validation image")
        return {"step": self.step, "psnr": 20.0, "ssim_daala": 0.5, "niqe": None, "grid_contrast": None,
                "colour_shift": None, "colour_speckle": None}

    monkeypatch.setattr(Trainer, "validate", validate)
    cfg = _cfg(tmp_path, steps=10, val_every=1, ckpt_every=10, log_every=1)
    with pytest.raises(MemoryError, match="validation image"):
        Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False).fit()
    assert [p.name for p in checkpoints(cfg.train.out_dir)] == ["ckpt_00000003.ckpt"]
    resumed = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    assert resumed.resume() and resumed.step == 3
