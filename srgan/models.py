"""SRResNet generator and SRGAN discriminator (Ledig et al., CVPR 2017, Sec. 3.2, Fig. 4).

Notation from the paper: kXnYsZ is a convolution with kernel X, Y feature maps and stride Z.
Both networks read top to bottom: building blocks first, then the two networks.

Tensors are NCHW. The generator takes LR images in [0, 1] and returns SR images in [-1, 1]
(paper Sec. 3.2: "We scaled the range of the LR input images to [0, 1] and for the HR images
to [-1, 1]"). The discriminator takes images in [-1, 1] and returns logits: the sigmoid of
Fig. 4 is applied inside the loss (BCE-with-logits), which is numerically safer.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .config import D_ARCHS, D_NORMS


# --- CPU fast paths --------------------------------------------------------------------------
# Paddle's CPU kernels for an elementwise op that broadcasts a (1, C, 1, 1) tensor over
# (N, C, H, W) are slow: conv2d's bias add, forward and backward, took several times the time of
# the same add on the (N * C, H * W) view with one value per row, and nn.PReLU several times its
# expression below (benchmarks/train_speed.py +stock-layers measures both; docs/EXPERIMENTS.md
# "Training speed" has the numbers). The layers below keep
# nn.Conv2D's / nn.PReLU's parameters and state-dict keys; GPUs and exported static graphs
# (where oneDNN fuses the bias) take the stock path.
@paddle.jit.not_to_static
def cpu_dygraph(x) -> bool:
    """True on the CPU in dygraph (a plain Python bool, also under to_static)."""
    return paddle.in_dynamic_mode() and x.place.is_cpu_place()


def _rows(x):  # (N, C, H, W) -> (N * C, H * W), a view
    n, c, h, w = x.shape
    return x.reshape([n * c, h * w])


def _row_values(values, x):  # (C,) or (1,) -> (N * C, 1): the value of each row of _rows(x)
    n, c = x.shape[:2]
    return paddle.expand(values.reshape([1, -1, 1]), [n, c, 1]).reshape([n * c, 1])


class Conv2D(nn.Conv2D):
    """nn.Conv2D whose bias is added row-wise on the CPU (see above)."""

    def forward(self, x):  # x: (N, C_in, H, W)
        if not cpu_dygraph(x) or self.bias is None:
            return super(Conv2D, self).forward(x)  # explicit: Paddle 2.6 to_static rejects bare super()
        out = F.conv2d(x, self.weight, None, stride=self._stride, padding=self._padding,
                       dilation=self._dilation, groups=self._groups)  # (N, C_out, H', W')
        return (_rows(out) + _row_values(self.bias, out)).reshape(out.shape)


class PReLU(nn.PReLU):
    """nn.PReLU (NCHW) computed as relu(x) + a * (x - relu(x)) on the CPU: the same function and
    gradients, through fast kernels instead of Paddle's slow prelu kernels (see above)."""

    def forward(self, x):  # x: (N, C, H, W)
        if not cpu_dygraph(x) or x.ndim != 4:
            return super(PReLU, self).forward(x)
        positive = F.relu(x)
        negative = _rows(x - positive)  # min(x, 0)
        return positive + (negative * _row_values(self._weight, x)).reshape(x.shape)


def conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> nn.Conv2D:
    """A 'same'-padded convolution, kXnYsZ in the paper's notation."""
    return Conv2D(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2)


class TailConv(nn.Conv2D):
    """A stride-1, 'same'-padded conv (the generator's k9n3s1 output layer) that, on the CPU in
    dygraph, is computed as the transposed convolution of its flipped kernel: the same numbers
    (to float rounding) through a different CPU kernel.

    Why: Paddle's CPU conv2d runs this layer (9x9, 64 -> 3 maps at HR resolution) far below the
    FLOP rate of every other conv, while conv2d_transpose computes it several times faster, forward
    and backward (benchmarks/train_speed.py). Weights and state-dict keys are those of a plain
    Conv2D; exported static graphs and GPUs use the plain conv.

    Data parallel: the kernel is flipped first and transposed last. Paddle's transpose is a view
    whose backward hands on a strided (non-contiguous) gradient; had it come last on the way
    back, the weight's gradient would be that strided tensor, and paddle.DataParallel's reducer
    (Paddle 2.6 and 3.x) all-reduces a contiguous copy of such a gradient and leaves the
    parameter's own gradient un-averaged, without an error (measured: the synchronised gradient
    equalled the local one). Flip's backward writes a new contiguous tensor, so the weight's
    gradient is contiguous and is averaged like every other (tests/test_distributed.py).
    """

    @staticmethod
    def use_transposed(x) -> bool:
        """True on the CPU in dygraph (a plain Python bool, also under to_static)."""
        return cpu_dygraph(x)

    def forward(self, x):  # x: (N, C_in, H, W)
        if not self.use_transposed(x):
            return super(TailConv, self).forward(x)  # explicit: Paddle 2.6 to_static rejects bare super()
        # Flip, then transpose: the order keeps the weight's gradient contiguous (see above).
        kernel = self.weight.flip([2, 3]).transpose([1, 0, 2, 3])  # (C_in, C_out, k, k), flipped
        out = F.conv2d_transpose(x, kernel, None, padding=self._padding)  # (N, C_out, H, W)
        return (_rows(out) + _row_values(self.bias, out)).reshape(out.shape)


class ResidualBlock(nn.Layer):
    """k3n64s1, BN, PReLU, k3n64s1, BN, elementwise sum (Fig. 4, after Gross & Wilber)."""

    def __init__(self, channels: int = 64):
        super().__init__()
        self.conv1 = conv(channels, channels, 3)
        self.bn1 = nn.BatchNorm2D(channels)
        self.act = PReLU(num_parameters=channels)
        self.conv2 = conv(channels, channels, 3)
        self.bn2 = nn.BatchNorm2D(channels)

    def forward(self, x):  # x: (N, C, h, w)
        y = self.act(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return x + y  # (N, C, h, w)


class UpsampleBlock(nn.Layer):
    """k3n256s1, sub-pixel shuffle x2, PReLU: doubles the resolution (Shi et al., 2016)."""

    def __init__(self, channels: int = 64):
        super().__init__()
        self.conv = conv(channels, channels * 4, 3)
        self.shuffle = nn.PixelShuffle(2)
        self.act = PReLU(num_parameters=channels)

    def forward(self, x):  # x: (N, C, h, w)
        return self.act(self.shuffle(self.conv(x)))  # (N, C, 2h, 2w)


def icnr_(block: UpsampleBlock) -> UpsampleBlock:
    """ICNR initialisation, in place (Aitken et al., arXiv:1707.02937; not in the paper).

    The pixel shuffle puts conv output channel 4c + k at sub-pixel position k of channel c.
    Making the four kernels (and biases) of each group copies of the first makes the block a
    nearest-neighbour upsampling of one convolution at initialisation: no checkerboard on a flat
    input. Training may make them disagree again.

    Args:
        block: an UpsampleBlock; its conv weights are replaced.

    Returns:
        The same block.
    """
    weight, bias = block.conv.weight.numpy(), block.conv.bias.numpy()  # (4C, C_in, 3, 3), (4C,)
    groups = weight.shape[0] // 4
    first_of_each = weight.reshape(groups, 4, *weight.shape[1:])[:, :1]  # position 0's kernel, per group
    block.conv.weight.set_value(np.repeat(first_of_each, 4, axis=1).reshape(weight.shape))
    block.conv.bias.set_value(np.repeat(bias.reshape(groups, 4)[:, :1], 4, axis=1).reshape(bias.shape))
    return block


class Generator(nn.Layer):
    """SRResNet, the generator of SRGAN (Fig. 4, top).

    Args:
        scale: upscaling factor, a power of two (2, 4 or 8); one UpsampleBlock per factor 2.
            The paper uses 4.
        num_blocks: number of residual blocks B (paper: 16).
        channels: feature maps in the body (paper: 64).
        global_skip: add a bicubic upsampling of the input to the output, so that the network
            learns only the residual. NOT in the paper: it is an optional departure that makes
            training from scratch converge much faster on small compute (the shipped weights'
            model card says whether it was used). Off by default.
    """

    # Its constructor's arguments, named as in config.ModelConfig: what `config` returns, and what a
    # weights file's metadata holds (checkpoint.save_generator), so that the file rebuilds it.
    CONFIG_FIELDS = ("scale", "num_blocks", "channels", "global_skip")

    def __init__(self, scale: int = 4, num_blocks: int = 16, channels: int = 64, global_skip: bool = False):
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of two (2, 4, 8), got {scale}")
        self.scale = scale
        self.global_skip = global_skip
        self.num_blocks, self.channels = num_blocks, channels
        self.head = conv(3, channels, 9)  # k9n64s1
        self.head_act = PReLU(num_parameters=channels)
        self.body = nn.Sequential(*[ResidualBlock(channels) for _ in range(num_blocks)])
        self.body_conv = conv(channels, channels, 3)  # k3n64s1 + BN before the long skip
        self.body_bn = nn.BatchNorm2D(channels)
        self.upsample = nn.Sequential(*[UpsampleBlock(channels) for _ in range(int(math.log2(scale)))])
        self.tail = TailConv(channels, 3, 9, padding=4)  # k9n3s1, no activation (the paper has none)

    @classmethod
    def from_config(cls, config) -> "Generator":
        """The generator a `config.ModelConfig` (its discriminator fields are ignored) or a
        `Generator.config` dict describes."""
        fields = config if isinstance(config, dict) else {name: getattr(config, name) for name in cls.CONFIG_FIELDS}
        return cls(**{name: fields[name] for name in cls.CONFIG_FIELDS})

    @property
    def config(self) -> dict:
        """The architecture: {"scale", "num_blocks", "channels", "global_skip"}, from_config's inverse."""
        return {name: getattr(self, name) for name in self.CONFIG_FIELDS}

    def num_parameters(self) -> int:
        """Trainable parameters (1,550,659 for SRResNet-16 at x4)."""
        return count_parameters(self)

    def receptive_radius(self) -> int:
        """LR pixels on each side that can change an output pixel (exact, from the layers).

        An output pixel at HR row y depends only on LR rows within this distance of y // scale,
        so tiles with this much context reproduce the untiled output (srgan.infer). Traced
        backwards from the output: the tail conv's radius at HR resolution; each pixel shuffle
        halves the radius (rounding up: a fine pixel's neighbours may fall in the next coarse
        pixel); each conv adds its half-kernel; the bicubic global skip reaches 2 pixels.
        For SRResNet-16 at x4 this is 40 (9x9 head + 16 blocks of two 3x3 convs + ...).
        """
        half = lambda layer: int(layer._kernel_size[0]) // 2  # noqa: E731
        r = half(self.tail)
        for block in reversed(list(self.upsample)):
            r = math.ceil(r / 2) + half(block.conv)
        r += half(self.body_conv)
        r += sum(half(b.conv1) + half(b.conv2) for b in self.body)
        r += half(self.head)
        if self.global_skip:
            r = max(r, 2)  # bicubic: 4 taps, 2 LR pixels each side
        return r

    def forward(self, lr):  # lr: (N, 3, h, w) in [0, 1]
        x = self.head_act(self.head(lr))  # (N, C, h, w)
        y = self.body_bn(self.body_conv(self.body(x)))  # (N, C, h, w)
        y = self.upsample(x + y)  # long skip, then (N, C, s*h, s*w)
        sr = self.tail(y)  # (N, 3, s*h, s*w), nominally in [-1, 1]
        if self.global_skip:
            base = F.interpolate(lr, scale_factor=self.scale, mode="bicubic", align_corners=False)
            sr = sr + (base * 2.0 - 1.0)  # bicubic image moved to the HR range [-1, 1]
        return sr


class Discriminator(nn.Layer):
    """The SRGAN discriminator (Fig. 4, bottom): eight 3x3 convs, 64 -> 512 feature maps.

    Strides alternate 1, 2 so that each doubling of feature maps halves the resolution;
    BN on all but the first conv, LeakyReLU(0.2) everywhere, no max-pooling, then
    Dense(1024), LeakyReLU(0.2), Dense(1). Returns logits of shape (N, 1).

    Args:
        channels: feature maps of the first conv (paper: 64); doubled three times.
        image_size: side of the square HR input (paper: 96). The dense layer is sized for it
            (image_size / 16 squared positions). Pass None to accept any input size: an
            adaptive average pooling to 6x6 then stands before the dense layers.
        norm: "batch" (the paper's BN after each conv but the first) or "spectral" (not in the
            paper: no BN, every conv and dense layer spectrally normalised, Miyato et al. 2018,
            as Real-ESRGAN's discriminator; it bounds how fast D can win).
    """

    def __init__(self, channels: int = 64, image_size: int | None = 96, norm: str = "batch"):
        super().__init__()
        if norm not in D_NORMS:
            raise ValueError(f"norm must be one of {', '.join(D_NORMS)}, got {norm!r}")
        self.channels, self.norm = channels, norm
        if image_size is not None and image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16 (four stride-2 convs), got {image_size}")
        spectral = norm == "spectral"
        weighted = nn.utils.spectral_norm if spectral else (lambda layer: layer)
        widths = [channels, channels, channels * 2, channels * 2, channels * 4, channels * 4, channels * 8, channels * 8]
        layers = [weighted(conv(3, widths[0], 3)), nn.LeakyReLU(0.2)]  # k3n64s1, no BN
        for i in range(1, 8):
            stride = 2 if i % 2 == 1 else 1  # k3n64s2, k3n128s1, k3n128s2, ...
            layers += [weighted(conv(widths[i - 1], widths[i], 3, stride))]
            layers += [] if spectral else [nn.BatchNorm2D(widths[i])]
            layers += [nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        side = 6 if image_size is None else image_size // 16
        self.pool = nn.AdaptiveAvgPool2D(side) if image_size is None else None
        self.image_size = image_size
        self.classifier = nn.Sequential(
            weighted(nn.Linear(widths[-1] * side * side, 1024)),
            nn.LeakyReLU(0.2),
            weighted(nn.Linear(1024, 1)),
        )

    @classmethod
    def from_config(cls, config) -> "Discriminator":
        """The discriminator a `config.ModelConfig` describes (its d_channels, d_image_size, d_norm)."""
        return cls(channels=config.d_channels, image_size=config.d_image_size, norm=config.d_norm)

    @property
    def config(self) -> dict:
        """The architecture under config.ModelConfig's names: {"d_channels", "d_image_size", "d_norm", "d_arch"}."""
        return {"d_channels": self.channels, "d_image_size": self.image_size, "d_norm": self.norm, "d_arch": "paper"}

    def forward(self, x):  # x: (N, 3, H, W) in [-1, 1]
        if self.image_size is not None and tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            raise ValueError(
                f"Discriminator was built for {self.image_size}x{self.image_size} inputs, got "
                f"{x.shape[-2]}x{x.shape[-1]}; build it with image_size=None to accept any size"
            )
        f = self.features(x)  # (N, 512, H/16, W/16)
        if self.pool is not None:
            f = self.pool(f)  # (N, 512, 6, 6)
        return self.classifier(paddle.flatten(f, 1))  # (N, 1) logits

    def num_parameters(self) -> int:
        """Trainable parameters (23,565,505 for the paper's D at 96x96 inputs, 18.9 M of them in Dense(1024))."""
        return count_parameters(self)


class UNetDiscriminator(nn.Layer):
    """Not in the paper: a discriminator that judges every pixel (Real-ESRGAN, Wang et al. 2021,
    its U-Net discriminator with spectral normalisation).

    The paper's D (Fig. 4) gives one verdict per 96 px crop, so G learns that a crop "has texture",
    not where: the shipped lineage drew grain spread evenly over soft shapes. A U-Net encodes the crop down
    to 1/8 of its side and decodes back, adding each encoder level to the decoder at its size, and
    returns one logit per pixel: G is told which pixels look generated. Every conv is spectrally
    normalised but the first and the last (the first sees the image, the last only scores).

    Args:
        channels: feature maps of the first conv (Real-ESRGAN: 64); doubled three times (to 8x).
        image_size: side of the square input the trainer checks (None: any side divisible by 8).
    """

    def __init__(self, channels: int = 64, image_size: int | None = 96):
        super().__init__()
        if image_size is not None and image_size % 8:
            raise ValueError(f"image_size must be a multiple of 8 (three stride-2 convs), got {image_size}")
        self.channels, self.image_size, self.norm = channels, image_size, "spectral"
        sn = nn.utils.spectral_norm
        c = channels
        self.stem = conv(3, c, 3)                                   # k3n64s1, full size
        self.down = nn.LayerList([sn(conv(c, 2 * c, 3, 2)),         # 1/2
                                  sn(conv(2 * c, 4 * c, 3, 2)),     # 1/4
                                  sn(conv(4 * c, 8 * c, 3, 2))])    # 1/8
        self.up = nn.LayerList([sn(conv(8 * c, 4 * c, 3)),          # back to 1/4
                                sn(conv(4 * c, 2 * c, 3)),          # 1/2
                                sn(conv(2 * c, c, 3))])             # full size
        self.head = nn.Sequential(sn(conv(c, c, 3)), nn.LeakyReLU(0.2), sn(conv(c, c, 3)), nn.LeakyReLU(0.2),
                                  conv(c, 1, 3))

    @property
    def config(self) -> dict:
        """The architecture under config.ModelConfig's names (as Discriminator.config)."""
        return {"d_channels": self.channels, "d_image_size": self.image_size, "d_norm": self.norm, "d_arch": "unet"}

    def forward(self, x):  # x: (N, 3, H, W) in [-1, 1], H and W divisible by 8
        if self.image_size is not None and tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            raise ValueError(f"UNetDiscriminator was built for {self.image_size}x{self.image_size} inputs, "
                             f"got {x.shape[-2]}x{x.shape[-1]}")
        skips = [F.leaky_relu(self.stem(x), 0.2)]  # (N, 64, H, W)
        for layer in self.down:  # (N, 128, H/2, W/2), (N, 256, H/4, W/4), (N, 512, H/8, W/8)
            skips.append(F.leaky_relu(layer(skips[-1]), 0.2))
        f = skips.pop()
        for layer in self.up:  # upsample, conv, add the encoder's map of that size
            f = F.interpolate(f, scale_factor=2, mode="bilinear", align_corners=False)
            f = F.leaky_relu(layer(f), 0.2) + skips.pop()  # (N, 256, H/4, W/4) ... (N, 64, H, W)
        return self.head(f)  # (N, 1, H, W): one logit per pixel

    def num_parameters(self) -> int:
        """Trainable parameters (3,174,145 at 64 channels, whatever the input size)."""
        return count_parameters(self)


def build_discriminator(config) -> nn.Layer:
    """The discriminator a `config.ModelConfig` describes: Discriminator (the paper's, d_arch
    "paper") or UNetDiscriminator (d_arch "unet"), with its d_channels, d_image_size, d_norm."""
    arch = getattr(config, "d_arch", "paper")
    if arch not in D_ARCHS:
        raise ValueError(f"d_arch must be one of {', '.join(D_ARCHS)}, got {arch!r}")
    if arch == "unet":
        return UNetDiscriminator(channels=config.d_channels, image_size=config.d_image_size)
    return Discriminator.from_config(config)


def _state_values(layer: nn.Layer) -> int:
    return sum(math.prod(v.shape) for v in layer.state_dict().values())


def _quadratic_at(values_at, x: int) -> int:
    """values_at(x) for a polynomial values_at of degree <= 2, from its values at 1, 2 and 3 (Lagrange)."""
    y1, y2, y3 = values_at(1), values_at(2), values_at(3)
    return y1 * (x - 2) * (x - 3) // 2 - y2 * (x - 1) * (x - 3) + y3 * (x - 1) * (x - 2) // 2


def state_size(config, part: str = "generator") -> int:
    """How many values (parameters and buffers) the network a `config.ModelConfig` describes holds,
    without building it at that size: from copies one, two and three channels wide (a network's
    size is a polynomial of degree 2 in its width) and, for the paper's D, two input sizes (its
    dense layer grows with the input's area). A checkpoint or weights file must hold at least
    this many values before its config is built (srgan.checkpoint): a small file could otherwise
    ask for a network of billions of parameters.

    Args:
        config: a ModelConfig (or anything with its fields).
        part: "generator" or "discriminator".
    """
    if part == "generator":
        return _generator_size(config.scale, config.num_blocks, config.channels, config.global_skip)
    return _discriminator_size(getattr(config, "d_arch", "paper"), config.d_channels, config.d_image_size, config.d_norm)


@functools.lru_cache(maxsize=32)  # tiny networks, some ms; every weights file read asks
def _generator_size(scale: int, num_blocks: int, channels: int, global_skip: bool) -> int:
    def at(blocks: int) -> int:  # the size is linear in the blocks: one and two measured
        return _quadratic_at(lambda c: _state_values(Generator(scale=scale, num_blocks=blocks, channels=c,
                                                               global_skip=global_skip)), channels)

    one, two = at(1), at(2)
    return one + (two - one) * (num_blocks - 1)


@functools.lru_cache(maxsize=32)
def _discriminator_size(arch: str, channels: int, image_size: int | None, norm: str) -> int:
    if arch == "unet":
        return _quadratic_at(lambda c: _state_values(UNetDiscriminator(channels=c, image_size=None)), channels)
    if image_size is None:
        return _quadratic_at(lambda c: _state_values(Discriminator(channels=c, image_size=None, norm=norm)), channels)
    area = (image_size // 16) ** 2  # the dense layer's input positions: linear in them, 1 and 4 measured

    def at_width(c: int) -> int:
        one, four = (_state_values(Discriminator(channels=c, image_size=side, norm=norm)) for side in (16, 32))
        return one + (four - one) * (area - 1) // 3

    return _quadratic_at(at_width, channels)


def count_parameters(model: nn.Layer) -> int:
    """Number of trainable parameters (BN running statistics are buffers and not counted)."""
    return int(sum(p.numel().item() for p in model.parameters() if not p.stop_gradient))
