"""Content and adversarial losses: values against hand computations, stability, gradient routing."""

from __future__ import annotations

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
import pytest

from srgan.losses import (
    ContentLoss,
    PixelLoss,
    discriminator_loss,
    generator_adversarial_loss,
    lattice_energy,
    lattice_penalty,
)
from srgan.models import Generator


@pytest.fixture(scope="module")
def vgg22_loss():
    with pytest.warns(UserWarning, match="RANDOM"):
        return ContentLoss(kind="vgg22", vgg_weights="random")


def neg_log_sigmoid(x: np.ndarray) -> np.ndarray:
    """-log(1 / (1 + exp(-x))), written naively (fine for moderate logits)."""
    return -np.log(1.0 / (1.0 + np.exp(-x)))


def test_mse_content_loss_equals_manual_value(monkeypatch):
    # "mse" never builds a VGG, so a broken VGG setting cannot get in its way.
    monkeypatch.setenv("SRGAN_VGG19_WEIGHTS", "/nonexistent/vgg19.pdparams")
    loss_fn = ContentLoss(kind="mse")
    assert loss_fn.vgg is None and len(loss_fn.parameters()) == 0
    rng = np.random.RandomState(0)
    sr = rng.uniform(-1, 1, size=(2, 3, 16, 16)).astype("float32")
    hr = rng.uniform(-1, 1, size=(2, 3, 16, 16)).astype("float32")
    value = loss_fn(paddle.to_tensor(sr), paddle.to_tensor(hr)).item()
    np.testing.assert_allclose(value, np.mean((sr - hr) ** 2), rtol=1e-6)


def test_pixel_losses_equal_manual_values():
    rng = np.random.RandomState(1)
    sr = rng.uniform(-1, 1, size=(2, 3, 8, 8)).astype("float32")
    hr = rng.uniform(-1, 1, size=(2, 3, 8, 8)).astype("float32")
    mse, l1 = (PixelLoss(kind)(paddle.to_tensor(sr), paddle.to_tensor(hr)).item() for kind in ("mse", "l1"))
    np.testing.assert_allclose(mse, np.mean((sr - hr) ** 2), rtol=1e-6)  # Eq. 4
    np.testing.assert_allclose(l1, np.mean(np.abs(sr - hr)), rtol=1e-6)
    assert PixelLoss().kind == "mse" and len(PixelLoss().parameters()) == 0
    with pytest.raises(ValueError, match="pixel loss kind must be one of"):
        PixelLoss("huber")


def test_unknown_content_loss_kind():
    with pytest.raises(ValueError, match="vgg54"):
        ContentLoss(kind="vgg33")


def test_vgg_content_loss_uses_rescaled_features(vgg22_loss):
    rng = np.random.RandomState(1)
    sr = paddle.to_tensor(rng.uniform(-1, 1, size=(2, 3, 16, 16)).astype("float32"))
    hr = paddle.to_tensor(rng.uniform(-1, 1, size=(2, 3, 16, 16)).astype("float32"))
    value = vgg22_loss(sr, hr).item()
    sr_features = vgg22_loss.vgg(sr).numpy() / 12.75  # paper Sec. 3.2: features rescaled by 1/12.75
    hr_features = vgg22_loss.vgg(hr).numpy() / 12.75
    assert sr_features.shape == (2, 128, 8, 8)
    np.testing.assert_allclose(value, np.mean((sr_features - hr_features) ** 2), rtol=1e-5)
    assert value > 0
    assert vgg22_loss(hr, hr).item() == 0.0


def test_gradients_reach_only_the_generator(vgg22_loss):
    generator = Generator(scale=4, num_blocks=1, channels=8)
    model = nn.LayerList([generator, vgg22_loss])
    model.train()  # what a trainer does: must not put the VGG in training mode
    assert generator.training and not vgg22_loss.vgg.training

    vgg_before = [p.numpy().copy() for p in vgg22_loss.vgg.parameters()]
    optimizer = paddle.optimizer.Adam(learning_rate=1e-3, parameters=generator.parameters())
    lr = paddle.rand([2, 3, 8, 8])
    hr = paddle.uniform([2, 3, 32, 32], min=-1.0, max=1.0)
    hr.stop_gradient = False  # to check that the HR branch is computed without gradient

    loss = vgg22_loss(generator(lr), hr)
    loss.backward()
    trainable = [(name, p) for name, p in generator.named_parameters() if not p.stop_gradient]
    assert len(trainable) > 10  # BN running statistics are frozen "parameters" in Paddle; skip them
    for name, param in trainable:
        assert param.grad is not None, f"generator parameter {name} got no gradient"
    assert sum(float(paddle.abs(p.grad).sum()) for _, p in trainable) > 0
    assert all(p.grad is None for p in vgg22_loss.vgg.parameters())
    assert hr.grad is None

    optimizer.step()
    for before, param in zip(vgg_before, vgg22_loss.vgg.parameters()):
        np.testing.assert_array_equal(before, param.numpy())
    assert not vgg22_loss.vgg.training
    assert not any(layer.training for layer in vgg22_loss.vgg.sublayers())


def test_multi_layer_vgg_loss_is_the_weighted_l1_of_five_pre_relu_layers():
    """vgg-multi (not in the paper, Real-ESRGAN's perceptual loss): 0.1, 0.1, 1, 1, 1 x the L1 of the
    features before the ReLU of phi_1,2 ... phi_5,4, in Real-ESRGAN's units; zero on HR itself;
    the gradient reaches SR, not the frozen VGG or HR."""
    from srgan.losses import VGG_MULTI_SCALE
    from srgan.vgg import to_vgg_input

    with pytest.warns(UserWarning, match="RANDOM"):
        loss = ContentLoss(kind="vgg-multi", vgg_weights="random")
    rng = np.random.RandomState(2)
    sr = paddle.to_tensor(rng.uniform(-1, 1, size=(1, 3, 32, 32)).astype("float32"))
    hr = paddle.to_tensor(rng.uniform(-1, 1, size=(1, 3, 32, 32)).astype("float32"))
    sr.stop_gradient = False
    value = loss(sr, hr)
    # by hand: run the VGG layer by layer and take each block's last conv output (before its ReLU)
    vgg = loss.vgg
    convs, expected = [], 0.0
    a, b = to_vgg_input(sr, vgg.scale, vgg.shift, vgg.bgr), to_vgg_input(hr, vgg.scale, vgg.shift, vgg.bgr)
    for layer in vgg.features:
        a, b = layer(a), layer(b)
        if isinstance(layer, nn.Conv2D):
            convs.append((a.numpy(), b.numpy()))
    # VGG19 convs per block: 2, 2, 4, 4, 4 -> the last of each block is conv 2, 4, 8, 12, 16
    for index, weight in zip((1, 3, 7, 11, 15), (0.1, 0.1, 1, 1, 1)):
        fa, fb = convs[index]
        expected += weight * np.mean(np.abs(fa - fb)) * VGG_MULTI_SCALE
    assert len(convs) == 16 and convs[0][0].shape == (1, 64, 32, 32) and convs[15][0].shape == (1, 512, 2, 2)
    np.testing.assert_allclose(value.item(), expected, rtol=1e-4)
    assert loss(hr, hr).item() == 0.0
    value.backward()
    assert sr.grad is not None and float(paddle.abs(sr.grad).sum()) > 0
    assert all(p.grad is None for p in loss.vgg.parameters()) and not loss.vgg.training


def test_adversarial_losses_equal_manual_values():
    fake = np.array([[-3.0], [-0.5], [0.0], [0.5], [3.0]], dtype="float32")
    real = np.array([[2.0], [-1.0], [0.25], [4.0], [-0.1]], dtype="float32")
    g = generator_adversarial_loss(paddle.to_tensor(fake)).item()
    d = discriminator_loss(paddle.to_tensor(real), paddle.to_tensor(fake)).item()
    # Eq. 6: -log D(G(I_LR)); Eq. 2 for D: -log D(I_HR) - log(1 - D(G(I_LR))), 1 - sigmoid(x) = sigmoid(-x).
    np.testing.assert_allclose(g, neg_log_sigmoid(fake).mean(), rtol=1e-5)
    np.testing.assert_allclose(d, neg_log_sigmoid(real).mean() + neg_log_sigmoid(-fake).mean(), rtol=1e-5)


def test_adversarial_losses_are_finite_for_extreme_logits():
    fake = paddle.to_tensor([[100.0], [-100.0]], stop_gradient=False)
    real = paddle.to_tensor([[-100.0], [100.0]], stop_gradient=False)
    g = generator_adversarial_loss(fake)
    # -log sigmoid(100) ~ 0, -log sigmoid(-100) = 100 (a naive log(sigmoid) gives inf there).
    np.testing.assert_allclose(g.item(), 50.0, rtol=1e-6)
    d = discriminator_loss(real, fake)
    np.testing.assert_allclose(d.item(), 50.0 + 50.0, rtol=1e-6)
    (g + d).backward()
    assert np.isfinite(fake.grad.numpy()).all() and np.isfinite(real.grad.numpy()).all()


def test_lattice_energy_is_the_dft_energy_of_the_period_4_frequencies():
    """Per window: the mean square of the 16 phase means around their mean equals the energy of
    the 15 non-DC period-4 DFT bins (Parseval), for any image, so texture counts only in that band."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 64, 96)).astype("float32")
    energy = lattice_energy(paddle.to_tensor(x)).numpy()
    assert energy.shape == (2, 3, 2, 3)
    window = x[1, 2, 32:64, 64:96]
    spectrum = np.fft.fft2(window) / window.size
    lattice_bins = [(u, v) for u in range(0, 32, 8) for v in range(0, 32, 8) if (u, v) != (0, 0)]
    assert len(lattice_bins) == 15
    assert energy[1, 2, 1, 2] == pytest.approx(sum(abs(spectrum[u, v]) ** 2 for u, v in lattice_bins), rel=1e-4)


def test_lattice_penalty_counts_only_lattice_energy_beyond_hr():
    rng = np.random.default_rng(1)
    hr = rng.normal(scale=0.1, size=(2, 3, 32, 32)).astype("float32")
    lattice = np.tile(rng.normal(scale=0.05, size=(4, 4)), (8, 8)).astype("float32")
    hr_t = paddle.to_tensor(hr)
    assert float(lattice_penalty(hr_t, hr_t)) == 0.0
    assert float(lattice_penalty(paddle.to_tensor(hr * 0.5), hr_t)) == 0.0  # less lattice band than HR: free
    sr = paddle.to_tensor(hr + lattice)
    sr.stop_gradient = False
    expected = ((lattice[:4, :4] - lattice[:4, :4].mean()) ** 2).mean()  # the added lattice's energy
    penalty = lattice_penalty(sr, hr_t)
    assert float(penalty) == pytest.approx(expected, rel=0.25)  # + the cross term with HR's own band
    penalty.backward()
    grad = sr.grad.numpy()
    # The gradient is itself a pure period-4 pattern in each window: it moves only the lattice band.
    np.testing.assert_allclose(grad[:, :, :4, :4], grad[:, :, 4:8, 8:12], atol=1e-9)
    assert np.abs(grad).max() > 0


def test_lattice_energy_fits_small_images_and_refuses_tiny_ones():
    assert lattice_energy(paddle.zeros([1, 1, 16, 16])).shape == [1, 1, 1, 1]
    with pytest.raises(ValueError, match="smaller than one lattice period"):
        lattice_energy(paddle.zeros([1, 1, 3, 3]))


def test_low_frequency_loss_sees_a_colour_cast_but_not_texture_inside_the_blocks():
    from srgan.losses import low_frequency_loss

    rng = np.random.default_rng(4)
    hr = paddle.to_tensor(rng.uniform(-0.5, 0.5, (2, 3, 16, 16)).astype("float32"))
    # Zero-mean texture inside every 4x4 block (a checkerboard): the block means are unchanged.
    checker = np.indices((16, 16)).sum(axis=0) % 2 * 2.0 - 1.0
    textured = hr + paddle.to_tensor((0.1 * checker).astype("float32"))
    assert float(low_frequency_loss(textured, hr, factor=4)) < 1e-12
    assert float(F.mse_loss(textured, hr)) == pytest.approx(0.01, rel=1e-5)  # a pixel MSE does see it
    cast = hr + paddle.to_tensor(np.array([0.0, 0.0, 0.05], "float32").reshape(1, 3, 1, 1))  # blue + 0.05
    assert float(low_frequency_loss(cast, hr, factor=4)) == pytest.approx(0.05**2 / 3, rel=1e-4)


def test_bicubic_downscale_is_imresize_with_a_gradient():
    from srgan.imresize import imresize
    from srgan.losses import bicubic_downscale

    rng = np.random.default_rng(5)
    image = rng.uniform(-1, 1, (2, 3, 20, 28)).astype("float32")
    x = paddle.to_tensor(image, stop_gradient=False)
    down = bicubic_downscale(x, factor=4)
    assert down.shape == [2, 3, 5, 7]
    expected = np.stack([imresize(im.transpose(1, 2, 0).astype(np.float64), scale=0.25).transpose(2, 0, 1) for im in image])
    np.testing.assert_allclose(down.numpy(), expected, atol=2e-6)
    down.sum().backward()  # every input pixel contributes to the downscale (rows of the matrices sum to 1)
    grad = x.grad.numpy()
    assert (np.abs(grad) > 0).all() and np.allclose(grad.sum(axis=(2, 3)), 5 * 7, rtol=1e-5)


def test_lr_consistency_loss_is_zero_for_the_photo_and_sees_a_cast():
    from srgan.data import degraded_pair
    from srgan.losses import lr_consistency_loss

    rng = np.random.default_rng(6)
    hr_u8 = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    lr_u8, _ = degraded_pair(hr_u8, scale=4)
    hr = paddle.to_tensor(hr_u8.transpose(2, 0, 1)[None].astype("float32") / 127.5 - 1.0)
    lr = paddle.to_tensor(lr_u8.transpose(2, 0, 1)[None].astype("float32") / 255.0)
    # The photo itself: only the LR file's rounding to uint8 (at most half a level per pass).
    assert float(lr_consistency_loss(hr, lr, factor=4)) < (2 / 255) ** 2
    cast = hr + paddle.to_tensor(np.array([0.0, 0.0, 0.1], "float32").reshape(1, 3, 1, 1))  # blue + 0.1
    assert float(lr_consistency_loss(cast, lr, factor=4)) == pytest.approx(0.1**2 / 3, rel=0.05)


def test_chroma_loss_sees_invented_colour_but_not_grey_texture():
    from srgan.colour import rgb_to_cbcr
    from srgan.losses import chroma_loss

    rng = np.random.default_rng(5)
    hr = rng.uniform(-0.5, 0.5, (1, 3, 8, 8)).astype("float32")
    grey = rng.normal(0, 0.1, (1, 1, 8, 8)).astype("float32")  # the same in R, G and B: luma only
    assert float(chroma_loss(paddle.to_tensor(hr + grey), paddle.to_tensor(hr))) < 1e-12
    speckle = np.zeros_like(hr)
    speckle[0, 0, 2, 3] = 0.4  # one red dot
    # Reference: the chroma of the difference by srgan.colour (0..255 scale -> [-1, 1] is linear).
    cbcr = rgb_to_cbcr(speckle[0].transpose(1, 2, 0))
    expected = float((cbcr**2).mean())
    got = float(chroma_loss(paddle.to_tensor(hr + speckle), paddle.to_tensor(hr)))
    assert got == pytest.approx(expected, rel=1e-4) and got > 0


def test_relativistic_losses_equal_manual_values_and_keep_a_gradient_when_d_has_won():
    from srgan.losses import relativistic_discriminator_loss, relativistic_generator_loss

    fake = np.array([[-3.0], [-0.5], [0.0], [0.5], [3.0]], dtype="float32")
    real = np.array([[2.0], [-1.0], [0.25], [4.0], [-0.1]], dtype="float32")
    real_rel, fake_rel = real - fake.mean(), fake - real.mean()
    g = relativistic_generator_loss(paddle.to_tensor(real), paddle.to_tensor(fake)).item()
    d = relativistic_discriminator_loss(paddle.to_tensor(real), paddle.to_tensor(fake)).item()
    # ESRGAN Eq. 1-2: D_Ra(a, b) = sigmoid(C(a) - E[C(b)]); G's labels are D's swapped.
    np.testing.assert_allclose(g, (neg_log_sigmoid(-real_rel).mean() + neg_log_sigmoid(fake_rel).mean()) / 2, rtol=1e-5)
    np.testing.assert_allclose(d, (neg_log_sigmoid(real_rel).mean() + neg_log_sigmoid(-fake_rel).mean()) / 2, rtol=1e-5)
    # D gives every image the same logit: neither side is ahead, both losses are log 2.
    same = paddle.to_tensor(np.full((5, 1), 0.7, "float32"))
    np.testing.assert_allclose(relativistic_generator_loss(same, same).item(), np.log(2), rtol=1e-6)
    np.testing.assert_allclose(relativistic_discriminator_loss(same, same).item(), np.log(2), rtol=1e-6)
    # A saturated D (SR at -12, HR at +12): G's gradient on the SR logits stays of order 1/N.
    fake_t = paddle.to_tensor(np.full((4, 1), -12.0, "float32"), stop_gradient=False)
    relativistic_generator_loss(paddle.to_tensor(np.full((4, 1), 12.0, "float32")), fake_t).backward()
    assert np.all(np.abs(fake_t.grad.numpy()) > 0.1 / 4)


def _speckled(rng, hr, amplitude):
    """HR plus independent per-pixel noise: the invented grain LDL's map is meant to find."""
    return hr + amplitude * paddle.to_tensor(rng.standard_normal(hr.shape).astype("float32"))


def test_artifact_map_weighs_speckle_above_smooth_error_and_spares_what_the_average_does_worse():
    from srgan.losses import artifact_loss, artifact_map

    rng = np.random.default_rng(0)
    hr = paddle.to_tensor(rng.uniform(-0.5, 0.5, (1, 3, 32, 32)).astype("float32"))
    speckle = _speckled(rng, hr, 0.1)
    smooth = hr + 0.1  # a cast of the same mean size: error without variance
    perfect_average = hr
    speckle_map = artifact_map(speckle, hr, perfect_average)
    smooth_map = artifact_map(smooth, hr, perfect_average)
    assert speckle_map.shape == [1, 1, 32, 32] and float(speckle_map.min()) >= 0.0
    # grain's residual varies from pixel to pixel: weighed; a uniform error has no local variance
    assert float(speckle_map.mean()) > 1e-4 and float(smooth_map.max()) < 1e-7
    # where the running average is further from HR than SR, nothing is weighed: SR is the better one
    worse_average = _speckled(rng, hr, 0.5)
    assert float(artifact_map(speckle, hr, worse_average).sum()) < 0.05 * float(speckle_map.sum())
    # the loss pulls the speckled pixels towards HR and has nothing to pull when SR is HR
    sr = speckle.detach()
    sr.stop_gradient = False
    loss = artifact_loss(sr, hr, perfect_average)
    loss.backward()
    assert float(loss) > 0 and float(sr.grad.abs().sum()) > 0
    assert float(artifact_loss(hr, hr, perfect_average)) == 0.0


def _stripes(size, period, vertical=True, phase=0.0):
    """(1, 3, size, size) grey stripes in [-1, 1]: luma varies across x (vertical stripes) or y."""
    t = np.arange(size, dtype="float32")
    wave = 0.5 * np.sin(2 * np.pi * (t + phase) / period)
    plane = np.tile(wave[None, :], (size, 1)) if vertical else np.tile(wave[:, None], (1, size))
    return paddle.to_tensor(np.broadcast_to(plane, (1, 3, size, size)).copy())


def test_texture_loss_asks_for_the_direction_and_amount_of_texture_not_its_phase():
    from srgan.losses import texture_loss

    hr = _stripes(48, 3.0)                           # fine vertical strands (hair, stripes)
    shifted = _stripes(48, 3.0, phase=1.0)           # the same strands one pixel over: a 4x upscale cannot know the phase
    across = _stripes(48, 3.0, vertical=False)       # as much texture, the other way
    rng = np.random.default_rng(0)
    grain = paddle.to_tensor(rng.uniform(-0.5, 0.5, (1, 1, 48, 48)).astype("float32").repeat(3, axis=1))
    flat = paddle.zeros([1, 3, 48, 48])
    assert float(texture_loss(hr, hr)) == 0.0
    wrong = {name: float(texture_loss(x, hr)) for name, x in (("across", across), ("grain", grain), ("flat", flat))}
    # a pixel loss ranks the shifted strands with the wrong ones (here it is the largest of all); this loss does not
    assert float(F.mse_loss(shifted, hr)) > float(F.mse_loss(flat, hr))
    assert float(texture_loss(shifted, hr)) < 0.1 * min(wrong.values()), wrong
    # grain where the photo is flat is texture that should not be there
    assert float(texture_loss(grain, flat)) > 0 and float(texture_loss(flat, flat)) == 0.0


def test_texture_loss_sees_luma_only_and_pulls_grain_towards_the_photo():
    from srgan.losses import texture_loss

    hr = _stripes(32, 3.0)
    cb = paddle.to_tensor(np.array([-0.168736, -0.331264, 0.5], "float32").reshape(1, 3, 1, 1))
    chroma_only = hr + 0.2 * cb * (paddle.arange(32, dtype="float32").reshape([1, 1, 1, 32]) % 2)  # Cb, no luma
    assert float(texture_loss(chroma_only, hr)) < 1e-6
    rng = np.random.default_rng(1)
    sr = _speckled(rng, hr, 0.2).detach()
    sr.stop_gradient = False
    loss = texture_loss(sr, hr)
    loss.backward()
    assert float(loss) > 0 and float(sr.grad.abs().sum()) > 0
    step = sr.grad / float((sr.grad**2).sum()) ** 0.5
    stepped = sr.detach() - 0.5 * step  # a small step down the gradient brings SR's texture closer to HR's
    assert float(texture_loss(stepped, hr)) < float(loss)


def test_texture_direction_loss_asks_for_the_way_texture_runs_not_how_much():
    from srgan.losses import texture_direction_loss

    hr = _stripes(48, 3.0)                                   # vertical strands
    weaker = paddle.to_tensor(_stripes(48, 3.0).numpy() * 0.3)  # the same way, a third as strong
    shifted = _stripes(48, 3.0, phase=1.0)
    across = _stripes(48, 3.0, vertical=False)
    rng = np.random.default_rng(0)
    grain = paddle.to_tensor(rng.uniform(-0.5, 0.5, (1, 1, 48, 48)).astype("float32").repeat(3, axis=1))
    assert float(texture_direction_loss(hr, hr)) == 0.0
    same_way = max(float(texture_direction_loss(x, hr)) for x in (weaker, shifted))
    assert same_way < 0.1 * min(float(texture_direction_loss(x, hr)) for x in (across, grain))
    sr = grain.detach()
    sr.stop_gradient = False
    loss = texture_direction_loss(sr, hr)
    loss.backward()
    assert float(loss) > 0 and float(sr.grad.abs().sum()) > 0
