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


def test_generator_owns_its_facts():
    from srgan.config import ModelConfig

    config = ModelConfig(scale=2, num_blocks=3, channels=8, global_skip=True)
    g = Generator.from_config(config)
    assert (g.scale, g.num_blocks, g.channels, g.global_skip) == (2, 3, 8, True)
    assert g.num_parameters() == count_parameters(g)
    assert Generator(num_blocks=16).receptive_radius() == 40
    assert Generator(num_blocks=16).num_parameters() == 1_550_659
