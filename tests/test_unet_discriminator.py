"""The U-Net discriminator (ModelConfig.d_arch = "unet", not in the paper: Real-ESRGAN's D, one
verdict per pixel; issue 23's candidate against texture spread evenly over a crop). Its training
step and resume are tested with the spectral D's (test_spectral_discriminator.py)."""

import numpy as np
import paddle
import pytest

from srgan.models import UNetDiscriminator, build_discriminator
from srgan.release import departures_from_paper
from tiny import config as tiny_config


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
