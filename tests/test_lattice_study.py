import numpy as np
import paddle
import pytest

from srgan.lattice_study import lattice_share, lattice_share_chance, loss_gradients
from srgan.train import Trainer
from test_train import _batch, _cfg, _params
from tiny import images, val_pairs


def test_lattice_share_is_one_for_a_lattice_chance_for_noise_and_zero_for_a_slow_wave():
    rng = np.random.default_rng(0)
    tile = rng.normal(size=(4, 4))
    lattice = np.tile(tile, (16, 16))[None, None]  # a pure period-4 pattern, 64x64
    assert lattice_share(lattice) == pytest.approx(1.0, abs=1e-9)
    noise = rng.normal(size=(8, 3, 64, 64))
    assert lattice_share(noise) == pytest.approx(lattice_share_chance(4, 32), rel=0.15)
    wave = np.cos(2 * np.pi * np.arange(64) / 32)[None, None, :, None] * np.ones((1, 1, 64, 64))  # one cycle per window
    assert lattice_share(wave) < 1e-9
    assert lattice_share(noise + 3 * lattice) > 0.5  # a lattice on noise dominates the share


def test_loss_gradients_are_the_losses_gradients_and_leave_the_trainer_alone(tmp_path):
    trainer = Trainer(_cfg(tmp_path, "gan", content_loss="mse"), images=images(), val_pairs=val_pairs(), progress=False)
    lr, hr = _batch(trainer)
    d_before = _params(trainer.discriminator)
    grads = loss_gradients(trainer, lr, hr)
    trainer.generator.eval()
    with paddle.no_grad():
        sr = trainer.generator(lr).numpy()
    np.testing.assert_allclose(grads["content"], 2 * (sr - hr.numpy()) / sr.size, rtol=1e-4, atol=1e-9)  # d MSE / d SR
    assert grads["adversarial"].shape == sr.shape and np.abs(grads["adversarial"]).max() > 0
    after = _params(trainer.discriminator)
    assert all(np.array_equal(d_before[k], after[k]) for k in d_before)  # BN statistics included
    assert all(p.grad is None or float(p.grad.abs().sum()) == 0 for p in trainer.discriminator.parameters())
