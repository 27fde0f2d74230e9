"""The VGG content loss through Paddle Inference (srgan.vgg_inference): same loss, same gradient.

Random VGG weights (tests never need the real file); small crops, where no ReLU or pool sits
within rounding of a tie, so "within float32 noise" can be a tight bound (see the module
docstring for what happens on large batches).
"""

from __future__ import annotations

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from srgan.config import quick
from srgan.losses import VGG_FEATURE_SCALE, ContentLoss
from srgan.models import Generator
from srgan import vgg_inference
from srgan.train import Trainer, vgg_engine_for
from srgan.vgg import VGGFeatureExtractor
from srgan.vgg_inference import InferenceVGGLoss, VGGLossVJP, cpu_has_bf16

needs_bf16 = pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no bfloat16 instructions (AVX512_BF16 / AMX)")


def _random_vgg(layer):
    with pytest.warns(UserWarning, match="RANDOM"):
        return VGGFeatureExtractor(layer, weights="random")


@pytest.fixture(scope="module")
def vgg22():
    return _random_vgg("vgg22")


@pytest.fixture(scope="module")
def engine22(vgg22):
    return InferenceVGGLoss(vgg22, feature_scale=VGG_FEATURE_SCALE)


def _pair(n=2, size=32, seed=0):
    rng = np.random.default_rng(seed)
    hr = rng.uniform(-1, 1, (n, 3, size, size)).astype("float32")
    sr = np.clip(hr + 0.2 * rng.standard_normal(hr.shape), -1, 1).astype("float32")
    return sr, hr


def _autograd(vgg, sr, hr):
    """Loss and d loss / d SR the dygraph way: autograd through the VGG (losses.ContentLoss)."""
    x = paddle.to_tensor(sr, stop_gradient=False)
    loss = F.mse_loss(vgg(x) * VGG_FEATURE_SCALE, vgg(paddle.to_tensor(hr)) * VGG_FEATURE_SCALE)
    loss.backward()
    return float(loss), x.grad.numpy()


def _relative(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize("layer", ["vgg22", "vgg54"])
def test_written_out_backward_equals_autograd(layer, vgg22):
    vgg = vgg22 if layer == "vgg22" else _random_vgg("vgg54")
    sr, hr = _pair()
    loss, grad = _autograd(vgg, sr, hr)
    with paddle.no_grad():
        vjp_loss, vjp_grad = VGGLossVJP(vgg, feature_scale=VGG_FEATURE_SCALE)(paddle.to_tensor(sr), paddle.to_tensor(hr))
    assert abs(float(vjp_loss) - loss) <= 1e-6 * loss
    assert _relative(vjp_grad.numpy(), grad) < 1e-5


@pytest.fixture(scope="module")
def multi():
    """vgg-multi's loss (five pre-ReLU layers, L1) with a random VGG19, autograd's way."""
    from srgan.losses import MultiLayerVGGLoss

    paddle.seed(23)  # the same random VGG in every run: how many L1 signs oneDNN flips depends on it
    with pytest.warns(UserWarning, match="RANDOM"):
        return MultiLayerVGGLoss(vgg_weights="random")


def _multi_autograd(multi, sr, hr):
    x = paddle.to_tensor(sr, stop_gradient=False)
    loss = multi(x, paddle.to_tensor(hr))
    loss.backward()
    return float(loss), x.grad.numpy()


def test_written_out_backward_of_the_five_layer_loss_equals_autograd(multi):
    """vgg-multi through VGGLossVJP: each layer's L1 term joins the gradient where that layer is
    passed on the way down (a tap in the wrong place, or one term missing, moves it by far more)."""
    from srgan.losses import VGG_MULTI_SCALE

    sr, hr = _pair(n=2, size=32, seed=5)
    loss, grad = _multi_autograd(multi, sr, hr)
    layer = VGGLossVJP(multi.vgg, feature_scale=VGG_MULTI_SCALE, taps=multi.taps, distance="l1")
    with paddle.no_grad():
        vjp_loss, vjp_grad = layer(paddle.to_tensor(sr), paddle.to_tensor(hr))
    assert len(multi.taps) == 5 and abs(float(vjp_loss) - loss) <= 1e-5 * loss
    assert _relative(vjp_grad.numpy(), grad) < 1e-5
    # each tap matters: without the lowest one (phi_1,2, weight 0.1) the gradient is another
    without = VGGLossVJP(multi.vgg, feature_scale=VGG_MULTI_SCALE, distance="l1",
                         taps={i: w for i, w in multi.taps.items() if i != min(multi.taps)})
    with paddle.no_grad():
        assert _relative(without(paddle.to_tensor(sr), paddle.to_tensor(hr))[1].numpy(), grad) > 1e-2


@pytest.mark.parametrize("engine", ["inference", pytest.param("inference-bf16", marks=needs_bf16)])
def test_five_layer_loss_through_the_predictor_is_autograds(multi, engine):
    """ContentLoss("vgg-multi") with an inference engine: loss and d loss / d SR as autograd's
    (float32: to float32 noise; bf16: within its error, pointing the same way)."""
    from srgan.losses import VGG_MULTI_SCALE

    sr, hr = _pair(n=2, size=32, seed=6)
    loss, grad = _multi_autograd(multi, sr, hr)
    content = ContentLoss("vgg-multi", engine="dygraph", vgg_weights="random")
    content.multi, content.vgg = multi, multi.vgg  # the same random VGG
    content.engine = InferenceVGGLoss(multi.vgg, feature_scale=VGG_MULTI_SCALE, taps=multi.taps, distance="l1",
                                      precision="bf16" if engine == "inference-bf16" else "fp32")
    x = paddle.to_tensor(sr, stop_gradient=False)
    value = content(x, paddle.to_tensor(hr))
    value.backward()
    if engine == "inference":
        # L1's gradient jumps at 0: a feature difference within rounding of 0 takes the other sign
        # when oneDNN sums in another order, and moves the gradient by a whole step there (measured
        # 2e-6 to 0.8% over random VGGs, by the weights; the same taps with MSE: 1e-5)
        assert abs(float(value) - loss) <= 1e-5 * loss and _relative(x.grad.numpy(), grad) < 2e-2
        assert _cosine(x.grad.numpy(), grad) > 0.999
    else:
        assert content.engine.precision == "bf16"
        assert abs(float(value) - loss) <= 2e-2 * loss and _cosine(x.grad.numpy(), grad) > 0.95


def test_inference_engine_gives_the_loss_and_gradient_of_autograd(vgg22, engine22):
    sr, hr = _pair()
    loss, grad = _autograd(vgg22, sr, hr)
    x = paddle.to_tensor(sr, stop_gradient=False)
    engine_loss = engine22(x, paddle.to_tensor(hr))
    (3.0 * engine_loss).backward()  # the upstream gradient is applied
    assert engine_loss.shape == [] and abs(float(engine_loss) - loss) <= 1e-5 * loss
    assert _relative(x.grad.numpy() / 3.0, grad) < 1e-4
    again = engine22.loss_and_grad(sr, hr)[1]
    np.testing.assert_array_equal(again, engine22.loss_and_grad(sr, hr)[1])  # deterministic


def test_generator_gradients_are_the_same_with_either_engine(vgg22):
    """What training sees: G's parameter gradients from the content loss, dygraph vs inference."""
    paddle.seed(0)
    generator = Generator(num_blocks=1, channels=8)
    lr = paddle.to_tensor(np.random.default_rng(1).random((2, 3, 8, 8), dtype=np.float32))
    hr = paddle.to_tensor(np.random.default_rng(2).uniform(-1, 1, (2, 3, 32, 32)).astype("float32"))
    grads = {}
    for engine in ("dygraph", "inference"):
        loss = ContentLoss("vgg22", engine=engine)
        loss.vgg = vgg22  # the same random VGG for both
        loss.engine = InferenceVGGLoss(vgg22, feature_scale=VGG_FEATURE_SCALE) if engine == "inference" else None
        loss(generator(lr), hr).backward()
        grads[engine] = {p.name: p.grad.numpy().copy() for p in generator.parameters() if p.grad is not None}
        generator.clear_gradients()
    assert grads["dygraph"].keys() == grads["inference"].keys() and len(grads["dygraph"]) > 5
    flat = {k: np.concatenate([g.ravel() for g in v.values()]) for k, v in grads.items()}
    assert _relative(flat["inference"], flat["dygraph"]) < 1e-4
    # Per parameter too; the conv biases before a BN have a true gradient of 0 (BN removes the
    # mean), so theirs is pure rounding (~1e-9) and gets an absolute bound.
    scale = max(np.linalg.norm(g) for g in grads["dygraph"].values())
    for name, g in grads["dygraph"].items():
        assert np.linalg.norm(grads["inference"][name] - g) <= 1e-4 * np.linalg.norm(g) + 1e-5 * scale, name


def test_crops_the_predictor_cannot_take_fall_back_to_dygraph(vgg22, engine22):
    loss = ContentLoss("vgg22", engine="dygraph")
    loss.vgg = vgg22
    expected = float(loss(*(paddle.to_tensor(a) for a in _pair(size=31))))
    loss.engine = engine22  # vgg22 has one pool: sides must be even
    assert not engine22.supports([2, 3, 31, 31]) and engine22.supports([2, 3, 32, 32])
    assert float(loss(*(paddle.to_tensor(a) for a in _pair(size=31)))) == expected
    with pytest.raises(ValueError, match="multiples of 2"):
        engine22(*(paddle.to_tensor(a) for a in _pair(size=31)))


def test_trainer_uses_the_inference_engine_on_the_cpu_unless_told(tmp_path):
    engines = {}
    for choice in ("auto", "dygraph", "inference"):
        cfg = quick("gan")
        cfg.model.num_blocks, cfg.model.channels, cfg.model.d_channels, cfg.model.d_image_size = 1, 8, 8, 16
        cfg.data.hr_size, cfg.data.batch_size = 16, 2
        for k, v in dict(content_loss="vgg22", vgg_weights="random", vgg_engine=choice, out_dir=str(tmp_path / choice)).items():
            setattr(cfg.train, k, v)
        with pytest.warns(UserWarning, match="RANDOM"):
            trainer = Trainer(cfg, images=[], val_pairs=[], progress=False)
        engine = trainer.content_loss.engine
        engines[choice] = (trainer.vgg_engine, engine and engine.precision)
    # bfloat16 where the CPU has it (the same training curve, docs/EXPERIMENTS.md), else float32;
    # "inference" is float32 by name on any CPU
    auto = ("inference-bf16", "bf16") if vgg_inference.cpu_has_bf16() else ("inference", "fp32")
    assert engines == {"auto": auto, "dygraph": ("dygraph", None), "inference": ("inference", "fp32")}


def test_config_refuses_an_unknown_engine():
    cfg = quick("gan")
    cfg.train.vgg_engine = "tensorrt"
    assert any("vgg_engine must be" in p for p in cfg.problems())


# --- bfloat16 (precision="bf16", vgg_engine "inference-bf16"): CPUs with AVX512_BF16 / AMX only ---
def _cosine(a, b):
    return float((a * b).sum() / np.linalg.norm(a) / np.linalg.norm(b))


@needs_bf16
def test_bf16_engine_is_close_to_float32_and_really_runs_in_bf16(vgg22, engine22):
    """Within bf16's error of float32 (measured ~5% on this probe; the real VGG54 on photos 13%,
    docs/EXPERIMENTS.md), and not float32 in disguise (float32 agrees to 1e-5)."""
    sr, hr = _pair(n=2, size=32, seed=3)
    loss32, grad32 = engine22.loss_and_grad(sr, hr)
    bf16 = InferenceVGGLoss(vgg22, feature_scale=VGG_FEATURE_SCALE, precision="bf16")
    assert bf16.precision == "bf16"
    x = paddle.to_tensor(sr, stop_gradient=False)
    loss = bf16(x, paddle.to_tensor(hr))
    (2.0 * loss).backward()
    grad = x.grad.numpy() / 2.0
    assert abs(float(loss) - float(loss32)) <= 2e-2 * float(loss32)
    assert 1e-3 < _relative(grad, grad32) < 0.25 and _cosine(grad, grad32) > 0.97
    for i in range(len(sr)):  # every image gets its own gradient, not a neighbour's or zeros
        assert _cosine(grad[i], grad32[i]) > 0.95


@needs_bf16
def test_generator_gradients_with_bf16_point_where_float32_ones_do(vgg22, engine22):
    """What training sees: G's parameter gradients from the content loss, bf16 vs float32."""
    paddle.seed(0)
    generator = Generator(num_blocks=1, channels=8)
    lr = paddle.to_tensor(np.random.default_rng(1).random((2, 3, 8, 8), dtype=np.float32))
    hr = paddle.to_tensor(np.random.default_rng(2).uniform(-1, 1, (2, 3, 32, 32)).astype("float32"))
    flat = {}
    for name, engine in (("fp32", engine22), ("bf16", InferenceVGGLoss(vgg22, feature_scale=VGG_FEATURE_SCALE, precision="bf16"))):
        engine(generator(lr), hr).backward()
        flat[name] = np.concatenate([p.grad.numpy().ravel() for p in generator.parameters() if p.grad is not None])
        generator.clear_gradients()
    assert _cosine(flat["bf16"], flat["fp32"]) > 0.97 and 0.8 < np.linalg.norm(flat["bf16"]) / np.linalg.norm(flat["fp32"]) < 1.2


@needs_bf16
def test_a_bf16_predictor_failing_its_probe_gives_way_to_float32(vgg22, engine22, monkeypatch):
    """A Paddle whose bf16 pass computes garbage (2.6 did, with pools in bf16) trains in float32."""
    monkeypatch.setattr(InferenceVGGLoss, "_probe_error", lambda self, layer: float("nan"))
    with pytest.warns(RuntimeWarning, match="float32 instead"):
        engine = InferenceVGGLoss(vgg22, feature_scale=VGG_FEATURE_SCALE, precision="bf16")
    assert engine.precision == "fp32"
    sr, hr = _pair(seed=4)
    np.testing.assert_allclose(engine.loss_and_grad(sr, hr)[1], engine22.loss_and_grad(sr, hr)[1], rtol=0, atol=1e-6)


def test_the_probe_catches_a_predictor_that_returns_zeros_or_nan(vgg22, engine22, monkeypatch):
    layer = VGGLossVJP(vgg22, feature_scale=VGG_FEATURE_SCALE)
    assert engine22._probe_error(layer) < 1e-4  # float32 passes it
    for bad in (np.zeros_like, lambda g: g * np.nan):
        real = InferenceVGGLoss.loss_and_grad
        monkeypatch.setattr(InferenceVGGLoss, "loss_and_grad", lambda self, sr, hr, bad=bad, real=real: (real(self, sr, hr)[0], bad(real(self, sr, hr)[1])))
        assert not engine22._probe_error(layer) <= vgg_inference.BF16_PROBE_TOLERANCE
        monkeypatch.undo()


def test_bf16_is_never_taken_on_a_cpu_without_it(vgg22, tmp_path, monkeypatch):
    monkeypatch.setattr(vgg_inference, "cpu_has_bf16", lambda: False)
    assert vgg_engine_for("cpu") == "inference" and vgg_engine_for("gpu:0") == "dygraph"
    with pytest.raises(ValueError, match="bfloat16"):
        vgg_engine_for("cpu", "inference-bf16")
    with pytest.raises(ValueError, match="bfloat16"):
        InferenceVGGLoss(vgg22, feature_scale=VGG_FEATURE_SCALE, precision="bf16")
    cfg = quick("gan")
    cfg.model.num_blocks, cfg.model.channels, cfg.model.d_channels, cfg.model.d_image_size = 1, 8, 8, 16
    cfg.data.hr_size, cfg.data.batch_size = 16, 2
    for k, v in dict(content_loss="vgg22", vgg_weights="random", out_dir=str(tmp_path / "auto")).items():
        setattr(cfg.train, k, v)
    with pytest.warns(UserWarning, match="RANDOM"):
        trainer = Trainer(cfg, images=[], val_pairs=[], progress=False)
    assert trainer.vgg_engine == "inference" and trainer.content_loss.engine.precision == "fp32"
    cfg.train.vgg_engine = "inference-bf16"
    with pytest.raises(ValueError, match="bfloat16"):
        Trainer(cfg, images=[], val_pairs=[], progress=False)
    monkeypatch.setattr(vgg_inference, "cpu_has_bf16", lambda: True)  # the choice only, nothing built
    assert vgg_engine_for("cpu") == "inference-bf16" and vgg_engine_for("gpu:0") == "dygraph"
    assert vgg_engine_for("cpu", "inference") == "inference"  # float32 by name
    assert vgg_engine_for("cpu", "inference-bf16") == "inference-bf16"
    with pytest.raises(ValueError, match="gpu"):
        vgg_engine_for("gpu:0", "inference-bf16")


def test_cpu_has_bf16_is_what_the_cpu_reports():
    """Paddle's CPUID check agrees with the kernel's flags (Linux), where both can be read."""
    try:
        flags = next(line for line in open("/proc/cpuinfo") if line.startswith("flags")).split()
    except (OSError, StopIteration):
        pytest.skip("no /proc/cpuinfo flags on this system")
    assert cpu_has_bf16() == ("avx512_bf16" in flags or "amx_bf16" in flags)
