"""The spectrally normalised discriminator (ModelConfig.d_norm = "spectral", not in the paper;
issue 23's candidate against a discriminator that wins within a few hundred updates)."""

import numpy as np
import paddle
import pytest

from srgan.checkpoint import CheckpointError
from srgan.release import departures_from_paper
from srgan.runs import checkpoints
from srgan.train import Trainer
from tiny import config as tiny_config
from tiny import images, val_pairs


def _layers(d):
    return [m for m in d.sublayers() if isinstance(m, (paddle.nn.Conv2D, paddle.nn.Linear))]


def test_every_layer_of_the_spectral_d_has_largest_singular_value_one():
    from srgan.models import Discriminator

    paddle.seed(0)
    d = Discriminator(channels=8, image_size=16, norm="spectral")
    assert not [m for m in d.sublayers() if isinstance(m, paddle.nn.BatchNorm2D)]
    assert len(_layers(d)) == 10  # 8 convs, 2 dense
    x = paddle.randn([2, 3, 16, 16])
    for _ in range(50):  # each training-mode call runs one power iteration
        d(x)
    for layer in _layers(d):
        w = layer.weight.numpy()  # the weight the layer applies: weight_orig / sigma
        w = w.reshape(w.shape[0], -1) if isinstance(layer, paddle.nn.Conv2D) else w.T
        assert np.linalg.svd(w, compute_uv=False)[0] == pytest.approx(1.0, rel=0.02)
    plain = Discriminator(channels=8, image_size=16)
    w = plain.features[0].weight.numpy()
    assert abs(np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)[0] - 1.0) > 0.1  # unnormalised


def _trainer(out, d_norm="spectral", arch="paper", **train):
    cfg = tiny_config(out, "gan", **train)
    cfg.model.d_norm, cfg.model.d_arch = d_norm, arch
    return Trainer(cfg, images=images(), val_pairs=val_pairs(), progress=False)


@pytest.mark.parametrize("arch", ["paper", "unet"])  # the unet: models.UNetDiscriminator, spectral too
def test_a_gan_step_with_the_spectral_d_trains_g_and_d(tmp_path, arch):
    trainer = _trainer(tmp_path / "run", arch=arch)
    assert trainer.discriminator.config["d_arch"] == arch
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
    assert {k for k in d0 if k.endswith("weight_orig")} <= moved  # D's own weights, not only its u/v vectors
    assert any(not np.array_equal(v, trainer.generator.state_dict()[k].numpy()) for k, v in g0.items())


@pytest.mark.parametrize("arch, other, refused", [
    ("paper", {"d_norm": "batch"}, "d_norm=batch.*d_norm=spectral.*--d-norm"),  # a BN checkpoint
    ("unet", {"arch": "paper"}, "d_arch=paper.*d_arch=unet.*--d-arch"),  # the paper's D's checkpoint
])
def test_a_spectral_run_resumes_and_another_ds_checkpoint_is_refused(tmp_path, arch, other, refused):
    run = tmp_path / "run"
    _trainer(run, arch=arch, steps=2, ckpt_every=2, val_every=100).fit()
    again = _trainer(run, arch=arch, steps=3, ckpt_every=3, val_every=100)
    again.fit(resume=True)
    assert again.step == 3
    elsewhere = tmp_path / "other-d"
    _trainer(elsewhere, **{"arch": arch, **other}, steps=1, ckpt_every=1, val_every=100).fit()
    with pytest.raises(CheckpointError, match=refused):
        _trainer(tmp_path / "other", arch=arch).resume(checkpoints(elsewhere)[-1])


def test_the_config_refuses_an_unknown_d_norm_and_the_card_names_the_departure(tmp_path):
    cfg = tiny_config(tmp_path, "gan")
    cfg.model.d_norm = "layer"
    with pytest.raises(ValueError, match="d_norm must be"):
        cfg.validate()
    cfg.model.d_norm = "spectral"
    assert any("spectral normalisation instead of BN" in line for line in departures_from_paper(cfg))
    cfg.model.d_norm = "batch"
    assert not any("spectral" in line for line in departures_from_paper(cfg))
