"""The U-Net discriminator (ModelConfig.d_arch = "unet", not in the paper: Real-ESRGAN's D, one
verdict per pixel; issue 23's candidate against texture spread evenly over a crop)."""

import numpy as np
import paddle
import pytest

from srgan.checkpoint import CheckpointError
from srgan.models import UNetDiscriminator, build_discriminator
from srgan.release import departures_from_paper
from srgan.runs import checkpoints
from srgan.train import Trainer
from tiny import config as tiny_config
from tiny import images, val_pairs


def test_the_unet_gives_one_logit_per_pixel_that_depends_on_that_pixels_surroundings():
    paddle.seed(0)
    d = UNetDiscriminator(channels=8, image_size=None)
    d.eval()
    x = paddle.uniform([1, 3, 32, 32], min=-1, max=1)
    out = d(x)
    assert out.shape == [1, 1, 32, 32]
    changed = x.numpy().copy()
    changed[..., 0:4, 0:4] = 1.0  # one corner
    diff = np.abs(d(paddle.to_tensor(changed)).numpy() - out.numpy())[0, 0]
    assert diff[:6, :6].max() > 100 * diff[-4:, -4:].max()  # the verdict is local: the far corner barely moves


def test_build_discriminator_follows_the_config_and_the_unet_refuses_other_sizes(tmp_path):
    cfg = tiny_config(tmp_path, "gan")
    assert build_discriminator(cfg.model).config["d_arch"] == "paper"
    cfg.model.d_arch, cfg.model.d_norm = "unet", "spectral"
    d = build_discriminator(cfg.model)
    assert isinstance(d, UNetDiscriminator) and d.config["d_arch"] == "unet"
    with pytest.raises(ValueError, match="built for"):
        d(paddle.zeros([1, 3, cfg.model.d_image_size + 8, cfg.model.d_image_size + 8]))
    with pytest.raises(ValueError, match="multiple of 8"):
        UNetDiscriminator(channels=8, image_size=20)


def test_the_config_refuses_a_unet_with_batch_norm_and_an_unknown_arch_and_the_card_names_it(tmp_path):
    cfg = tiny_config(tmp_path, "gan")
    cfg.model.d_arch = "unet"
    with pytest.raises(ValueError, match="d_arch unet needs d_norm spectral"):
        cfg.validate()
    cfg.model.d_arch = "patch"
    with pytest.raises(ValueError, match="d_arch must be"):
        cfg.validate()
    cfg.model.d_arch, cfg.model.d_norm = "unet", "spectral"
    cfg.validate()
    lines = departures_from_paper(cfg)
    assert any("U-Net that judges every pixel" in line for line in lines)
    assert not any("normalisation instead of BN" in line for line in lines)  # one line for the whole D


def _trainer(out, arch="unet", **train):
    cfg = tiny_config(out, "gan", **train)
    cfg.model.d_norm, cfg.model.d_arch = "spectral", arch
    return Trainer(cfg, images=images(), val_pairs=val_pairs(), progress=False)


def test_a_gan_step_with_the_unet_trains_g_and_d(tmp_path):
    trainer = _trainer(tmp_path / "run")
    assert isinstance(trainer.discriminator, UNetDiscriminator)
    g0 = {k: v.numpy().copy() for k, v in trainer.generator.state_dict().items()}
    d0 = {k: v.numpy().copy() for k, v in trainer.discriminator.state_dict().items()}
    from srgan.data import TrainCrops

    crops = TrainCrops(images(), hr_size=16, seed=0)
    lr, hr = zip(*(crops[i] for i in range(2)))
    losses = trainer.train_step(paddle.to_tensor(np.stack(lr)), paddle.to_tensor(np.stack(hr)))
    assert all(np.isfinite(v) for v in losses.values())
    assert 0 < losses["d_real"] < 1 and 0 < losses["d_fake"] < 1
    d1 = trainer.discriminator.state_dict()
    moved = {k for k in d0 if not np.array_equal(d0[k], d1[k].numpy())}
    assert {k for k in d0 if k.endswith("weight_orig")} <= moved
    assert any(not np.array_equal(v, trainer.generator.state_dict()[k].numpy()) for k, v in g0.items())


def test_a_unet_run_resumes_and_a_paper_d_checkpoint_is_refused(tmp_path):
    run = tmp_path / "run"
    _trainer(run, steps=2, ckpt_every=2, val_every=100).fit()
    again = _trainer(run, steps=3, ckpt_every=3, val_every=100)
    again.fit(resume=True)
    assert again.step == 3
    paper = tmp_path / "paper"
    _trainer(paper, arch="paper", steps=1, ckpt_every=1, val_every=100).fit()
    with pytest.raises(CheckpointError, match="d_arch=paper.*d_arch=unet.*--d-arch"):
        _trainer(tmp_path / "other").resume(checkpoints(paper)[-1])
