"""The average of G's weights (cfg.train.ema_decay, srgan.ema): it follows G by the decay, it is
what the run validates, keeps as best and releases, and a resumed run continues it exactly."""

import json
from pathlib import Path

import numpy as np
import pytest

from srgan import checkpoint as ckpt
from srgan.ema import WeightAverage
from srgan.models import Generator
from srgan.train import Trainer
from test_train import _batch, _cfg, _params
from tiny import images as _images
from tiny import val_pairs as _val_pairs


def test_one_update_moves_the_average_by_one_minus_decay(tmp_path):
    trainer = Trainer(_cfg(tmp_path, "gan", ema_decay=0.9), images=_images(), val_pairs=_val_pairs(), progress=False)
    before = _params(trainer.generator)
    trainer.train_step(*_batch(trainer))
    after, averaged = _params(trainer.generator), _params(trainer.ema.network)
    moved = [k for k in before if not np.array_equal(before[k], after[k])]
    assert any(k.endswith("_mean") for k in moved) and any(k.endswith("weight") for k in moved)  # G trained ...
    for k in before:  # ... and the average went a tenth of the way, BN statistics included
        np.testing.assert_allclose(averaged[k], 0.9 * before[k] + 0.1 * after[k], rtol=1e-5, atol=1e-7)
    assert not trainer.ema.network.training and all(p.stop_gradient for p in trainer.ema.network.parameters())


def test_the_run_validates_keeps_and_releases_the_average(tmp_path):
    cfg = _cfg(tmp_path, "gan", ema_decay=0.5, steps=2, val_every=2, ckpt_every=2, log_every=1)
    trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
    trainer.fit()
    out = Path(cfg.train.out_dir)
    state = ckpt.load_checkpoint(out / "ckpt_00000002.ckpt")
    ema = {k: np.asarray(v) for k, v in state["generator_ema"].items()}
    raw = {k: np.asarray(v) for k, v in state["generator"].items()}
    assert any(not np.array_equal(ema[k], raw[k]) for k in raw)  # two different networks ...
    best = ckpt.load_generator(out / "best_generator.safetensors")
    for k, v in best.state_dict().items():  # ... and best_generator is the average
        np.testing.assert_array_equal(v.numpy(), ema[k])
    released = ckpt.generator_from_checkpoint(state, "ckpt")  # what `srgan release` scores and writes
    for k, v in released.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ema[k])
    # validation scored the average: the logged PSNR is that of best_generator, not of G
    record = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines() if '"val"' in line][-1]
    trainer_raw = trainer.generator
    trainer.ema.network.set_state_dict(trainer_raw.state_dict())  # validate G itself for comparison
    assert trainer.validate()["psnr"] != pytest.approx(record["psnr"], abs=1e-9)


def test_resume_continues_the_average_exactly(tmp_path):
    def run(folder, steps, resume=False):
        cfg = _cfg(folder, "gan", ema_decay=0.8, steps=steps, ckpt_every=2, val_every=100, log_every=1)
        trainer = Trainer(cfg, images=_images(), val_pairs=_val_pairs(), progress=False)
        trainer.fit(resume=resume)
        return trainer

    full = run(tmp_path / "a", 4)
    run(tmp_path / "b", 2)
    resumed = run(tmp_path / "b", 4, resume=True)
    for k, v in full.ema.network.state_dict().items():
        np.testing.assert_allclose(resumed.ema.network.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6)


def test_decay_outside_zero_to_one_is_refused(tmp_path):
    with pytest.raises(ValueError, match="ema_decay"):
        Trainer(_cfg(tmp_path, "gan", ema_decay=1.0), images=_images(), val_pairs=_val_pairs(), progress=False)
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(Generator(num_blocks=1, channels=8), decay=-0.1)
