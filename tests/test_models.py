from pathlib import Path

import numpy as np
import paddle
import pytest

from srgan.models import Discriminator, Generator, count_parameters


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_generator_output_shape(scale):
    g = Generator(scale=scale, num_blocks=1, channels=8)
    out = g(paddle.rand([2, 3, 16, 12]))
    assert out.shape == [2, 3, 16 * scale, 12 * scale]


def test_generator_rejects_non_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        Generator(scale=3)


def test_paper_generator_has_1_55m_parameters():
    # Paper Sec. 3.2 / Fig. 4 at B=16, 64 feature maps: about 1.55 M parameters.
    n = count_parameters(Generator(scale=4, num_blocks=16, channels=64))
    print(f"SRResNet-16 parameters: {n:,}")
    assert 1_540_000 < n < 1_560_000


def test_global_skip_returns_bicubic_when_network_output_is_zero():
    g = Generator(scale=4, num_blocks=1, channels=8, global_skip=True)
    for p in g.tail.parameters():
        p.set_value(paddle.zeros_like(p))
    lr = paddle.full([1, 3, 8, 8], 0.25)
    out = g(lr)  # a constant image stays constant under bicubic interpolation
    assert float((out - (0.25 * 2 - 1)).abs().max()) < 1e-5


def test_discriminator_96px_logits_shape():
    d = Discriminator(channels=8, image_size=96)
    assert d(paddle.rand([3, 3, 96, 96]) * 2 - 1).shape == [3, 1]


def test_discriminator_fixed_size_rejects_other_sizes():
    d = Discriminator(channels=8, image_size=96)
    with pytest.raises(ValueError, match="image_size=None"):
        d(paddle.rand([1, 3, 64, 64]))


@pytest.mark.parametrize("size", [(48, 48), (64, 80), (100, 36)])
def test_discriminator_any_size_option(size):
    d = Discriminator(channels=8, image_size=None)
    assert d(paddle.rand([2, 3, *size])).shape == [2, 1]


def test_paper_discriminator_structure():
    d = Discriminator(channels=64, image_size=96)
    convs = [m for m in d.features.sublayers() if isinstance(m, paddle.nn.Conv2D)]
    bns = [m for m in d.features.sublayers() if isinstance(m, paddle.nn.BatchNorm2D)]
    assert [c.weight.shape[0] for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c._stride[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert len(bns) == 7  # BN on all but the first conv
    assert d.classifier[0].weight.shape == [512 * 6 * 6, 1024]


def test_tail_conv_matches_the_plain_conv_forward_and_backward():
    from srgan.models import TailConv

    tail = TailConv(8, 3, 9, padding=4)
    plain = paddle.nn.Conv2D(8, 3, 9, padding=4)
    plain.set_state_dict(tail.state_dict())
    x = paddle.rand([2, 8, 20, 13])
    x.stop_gradient = False
    assert tail.use_transposed(x)  # the fast path is what is compared (CPU, dygraph)
    a, b = plain(x), tail(x)
    assert a.shape == b.shape
    assert float((a - b).abs().max()) < 1e-5
    ga = paddle.grad(a.sum(), [x, plain.weight, plain.bias])
    gb = paddle.grad(b.sum(), [x, tail.weight, tail.bias])
    for u, v in zip(ga, gb):
        assert float((u - v).abs().max()) < 1e-4 * max(1.0, float(u.abs().max()))
    assert list(tail.state_dict()) == list(plain.state_dict())  # same keys: checkpoints unchanged


@pytest.mark.parametrize("layer", ["conv", "prelu", "prelu-shared-slope"])
def test_cpu_fast_paths_match_the_stock_layers_forward_and_backward(layer):
    """models.Conv2D / models.PReLU on the CPU: nn.Conv2D's / nn.PReLU's numbers and keys."""
    from srgan.models import Conv2D, PReLU, cpu_dygraph

    slopes = 1 if layer == "prelu-shared-slope" else 5
    fast = Conv2D(5, 6, 3, stride=2, padding=1) if layer == "conv" else PReLU(num_parameters=slopes, init=0.3)
    stock = paddle.nn.Conv2D(5, 6, 3, stride=2, padding=1) if layer == "conv" else paddle.nn.PReLU(num_parameters=slopes, init=0.3)
    if layer == "prelu":  # distinct slopes per channel, so that a channel mix-up would show
        fast._weight.set_value(paddle.linspace(-0.5, 0.5, 5))
    stock.set_state_dict(fast.state_dict())
    assert list(fast.state_dict()) == list(stock.state_dict())  # same keys: checkpoints unchanged
    x = paddle.randn([3, 5, 9, 7])
    x.stop_gradient = False
    assert cpu_dygraph(x)  # the fast path is what is compared
    a, b = stock(x), fast(x)
    assert a.shape == b.shape and float((a - b).abs().max()) < 1e-5
    upstream = paddle.randn(a.shape)
    ga = paddle.grad((a * upstream).sum(), [x, *stock.parameters()])
    gb = paddle.grad((b * upstream).sum(), [x, *fast.parameters()])
    for u, v in zip(ga, gb):
        assert u.shape == v.shape and float((u - v).abs().max()) < 1e-4 * max(1.0, float(u.abs().max()))
        assert v.is_contiguous()  # paddle.DataParallel averages only contiguous gradients (TailConv)


def test_tail_conv_weight_gradient_is_contiguous():
    """paddle.DataParallel leaves a strided (non-contiguous) parameter gradient un-averaged
    (models.TailConv); the fast path must hand the weight a contiguous one. The two-process
    check is tests/test_distributed.py."""
    from srgan.models import TailConv

    tail = TailConv(8, 3, 9, padding=4)
    x = paddle.rand([2, 8, 12, 12])
    assert tail.use_transposed(x)
    tail(x).sum().backward()
    for p in (tail.weight, tail.bias):
        assert p.grad.is_contiguous(), p.name


def test_keep_freed_memory_applies_on_glibc_and_can_be_turned_off(monkeypatch):
    import sys

    from srgan.device import keep_freed_memory

    monkeypatch.setenv("SRGAN_KEEP_FREED_MEMORY", "0")
    assert keep_freed_memory() is False
    monkeypatch.delenv("SRGAN_KEEP_FREED_MEMORY")
    if sys.platform.startswith("linux"):
        assert keep_freed_memory() is True  # mallopt accepted both settings


AMD_CPUINFO = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\n"


@pytest.mark.parametrize("cpuinfo, env, applied", [
    (AMD_CPUINFO, {}, True),
    (AMD_CPUINFO.replace(" avx2", ""), {}, False),  # MKL's AVX2 path needs AVX2
    (AMD_CPUINFO.replace("AuthenticAMD", "GenuineIntel"), {}, False),  # Intel: MKL chooses well itself
    (AMD_CPUINFO, {"SRGAN_MKL_AVX2": "0"}, False),  # turned off
    (AMD_CPUINFO, {"MKL_DEBUG_CPU_TYPE": "4"}, False),  # the user's own value stays
])
def test_mkl_avx2_on_amd_only_where_it_applies(monkeypatch, cpuinfo, env, applied):
    import os

    from srgan.device import mkl_avx2_on_amd

    for name in ("SRGAN_MKL_AVX2", "MKL_DEBUG_CPU_TYPE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert mkl_avx2_on_amd(cpuinfo) is applied
    assert os.environ.get("MKL_DEBUG_CPU_TYPE") == ("5" if applied else env.get("MKL_DEBUG_CPU_TYPE"))


GRADIENT_SCRIPT = """
import sys
import numpy as np
import paddle
import paddle.nn.functional as F
from srgan.device import pick_device
from srgan.models import Discriminator, Generator

pick_device("cpu")  # sets MKL_DEBUG_CPU_TYPE on an AMD CPU unless SRGAN_MKL_AVX2=0
paddle.seed(0)
g, d = Generator(num_blocks=2, channels=16), Discriminator(channels=16, image_size=32)
rng = np.random.default_rng(0)
lr = paddle.to_tensor(rng.random((2, 3, 8, 8), dtype=np.float32))
hr = paddle.to_tensor(rng.random((2, 3, 32, 32), dtype=np.float32) * 2 - 1)
sr = g(lr)
(F.mse_loss(sr, hr) + 1e-3 * d(sr).mean() + d(hr).mean()).backward()
np.savez(sys.argv[1], **{f"{tag}.{n}": p.grad.numpy() for tag, net in (("g", g), ("d", d))
                         for n, p in net.named_parameters() if p.grad is not None})
"""


def test_mkl_code_path_leaves_gradients_unchanged(tmp_path):
    """G and D gradients with MKL's AVX2 path (AMD) equal those of its default path within
    float32 noise. MKL reads its setting once per process, hence one process for each."""
    import os
    import subprocess
    import sys

    script = tmp_path / "grads.py"
    script.write_text(GRADIENT_SCRIPT)
    base = {k: v for k, v in os.environ.items() if k not in ("MKL_DEBUG_CPU_TYPE", "SRGAN_MKL_AVX2")}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), base.get("PYTHONPATH")]))
    for name, extra in (("avx2", {}), ("default", {"SRGAN_MKL_AVX2": "0"})):
        subprocess.run([sys.executable, str(script), str(tmp_path / f"{name}.npz")], env={**base, **extra}, check=True, timeout=120)
    a, b = np.load(tmp_path / "avx2.npz"), np.load(tmp_path / "default.npz")
    assert sorted(a) == sorted(b) and "g.tail.weight" in a
    # The absolute floor is relative to the network's largest gradient: the biases of convs
    # followed by BatchNorm have a true gradient of 0, so theirs is rounding noise only.
    scale = max(float(np.abs(b[key]).max()) for key in b)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-4, atol=1e-6 * scale, err_msg=key)


def test_generator_owns_its_facts():
    from srgan.config import ModelConfig

    config = ModelConfig(scale=2, num_blocks=3, channels=8, global_skip=True)
    g = Generator.from_config(config)
    assert (g.scale, g.num_blocks, g.channels, g.global_skip) == (2, 3, 8, True)
    assert g.num_parameters() == count_parameters(g)
    assert Generator(num_blocks=16).receptive_radius() == 40
    assert Generator(num_blocks=16).num_parameters() == 1_550_659


def test_discriminator_counts_its_parameters_and_srgan_info_prints_both(capsys):
    from srgan.cli import main

    d = Discriminator(channels=8, image_size=16)
    assert d.num_parameters() == count_parameters(d)
    assert main(["info", "--blocks", "16", "--channels", "64"]) == 0
    out = capsys.readouterr().out
    assert "generator (SRResNet, B=16, 64 ch, x4): 1,550,659 parameters" in out
    assert "discriminator (96x96 input): 23,565,505 parameters" in out
