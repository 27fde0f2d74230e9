"""SRGAN losses (Ledig et al., CVPR 2017, Sec. 2.1-2.2).

The generator minimises the perceptual loss (Eq. 3)

    l_SR = l_X + 1e-3 * l_Gen

where l_X is a content loss (pixel MSE, Eq. 4, or VGG feature MSE, Eq. 5) and l_Gen the
adversarial loss (Eq. 6). The discriminator solves the min-max problem of Eq. 2. Phase 1
(SRResNet) trains the generator on the pixel loss alone (`PixelLoss`).

The discriminator returns logits (see `srgan.models.Discriminator`); every loss here works on
logits with softplus (-log sigmoid(x) = softplus(-x)), which computes log(sigmoid(x)) without
overflow even for logits of +-100.

Batch reduction: the paper writes l_Gen as a sum over the N training samples (Eq. 6). Here
every loss is a mean over the mini-batch, like the MSE content loss, so that the 1e-3 weight
does not change with the batch size.
"""

from __future__ import annotations

import math
import os

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from srgan.config import CONTENT_LOSS_KINDS, PIXEL_LOSS_KINDS  # the choices, checked with the config
from srgan.imresize import resize_matrix
from srgan.vgg import VGGFeatureExtractor, feature_end_index
from srgan.vgg_inference import InferenceVGGLoss

# Eq. 3's 1e-3 weight of the adversarial term is a training setting: config.TrainConfig.adv_weight.
# Sec. 3.2: VGG feature maps are "rescaled by a factor of 1/12.75" so that the VGG loss is on a
# scale comparable to the pixel MSE loss; the features are scaled, so Eq. 5 is multiplied by
# 1/12.75^2 = 0.00615 (the paper's "approximately 0.006").
VGG_FEATURE_SCALE = 1.0 / 12.75



class PixelLoss(nn.Layer):
    """The pixel loss between SR and HR images (both in [-1, 1]): the whole loss of phase 1
    (SRResNet), and in phase 2 the optional pixel term beside the content loss
    (TrainConfig.gan_pixel_weight, not in the paper).

    - "mse": pixel-wise MSE, Eq. 4 (the paper's SRResNet); a mean over pixels and batch,
      where Eq. 4 averages one image's r^2 W H pixels.
    - "l1":  mean absolute error, not in the paper (later SR work, e.g. EDSR, trains with it).

    Args:
        kind: "mse" or "l1" (TrainConfig.pixel_loss).
    """

    def __init__(self, kind: str = "mse"):
        super().__init__()
        if kind not in PIXEL_LOSS_KINDS:
            raise ValueError(f"pixel loss kind must be one of {PIXEL_LOSS_KINDS}, got {kind!r}")
        self.kind = kind

    def forward(self, sr, hr):  # sr, hr: (N, 3, H, W) in [-1, 1]
        return F.mse_loss(sr, hr) if self.kind == "mse" else F.l1_loss(sr, hr)


# "vgg-multi" (not in the paper): Real-ESRGAN's perceptual loss (Wang et al. 2021, after ESRGAN Sec.
# 3.3): L1 between the features *before* the ReLU of five VGG19 layers, weighted 0.1, 0.1, 1, 1, 1.
# The low layers (phi_1,2, phi_2,2, at full and half resolution) compare fine structure where it
# is, so that invented texture is pulled towards the photo's edges and strands rather than grain.
VGG_MULTI_LAYERS = {(1, 2): 0.1, (2, 2): 0.1, (3, 4): 1.0, (4, 4): 1.0, (5, 4): 1.0}
# The paper's VGG19 takes Caffe-convention input (0-255 minus the mean), Real-ESRGAN's torchvision
# VGG19 ImageNet-normalised input ((x - mean) / std on [0, 1]): 255 x std (0.226 on average) =
# 57.6 times larger, and the features follow nearly in proportion. In Real-ESRGAN's units the loss's
# gradient is 11.3-13.3x that of the paper's VGG54 loss (measured on three batches of 8 BSDS200
# crops, G = issue 23's run Z at step 3,000), so it is divided by a further 12.5: the adversarial
# weight keeps its balance with the content loss, and the candidate changes what it compares, not
# how strongly.
VGG_MULTI_SCALE = 1.0 / (255 * 0.226 * 12.5)


class MultiLayerVGGLoss(nn.Layer):
    """Not in the paper: Real-ESRGAN's perceptual loss, sum over VGG_MULTI_LAYERS of weight x L1
    between SR's and HR's features before the layer's ReLU, scaled by VGG_MULTI_SCALE (to the
    strength of the paper's VGG54 loss). One frozen VGG19 up to phi_5,4 computes all five
    (autograd here; ContentLoss's inference engines compute the same loss and gradient with a
    written-out backward, srgan.vgg_inference.VGGLossVJP).

    Args:
        vgg_weights: as ContentLoss's.
    """

    def __init__(self, vgg_weights: str | os.PathLike | None = None):
        super().__init__()
        self.vgg = VGGFeatureExtractor(layer="vgg54", weights=vgg_weights, before_activation=True)
        last = len(self.vgg.features) - 1  # phi_5,4's conv ends the cut network (before_activation)
        self.taps = {(last if (i, j) == (5, 4) else feature_end_index(self.vgg.features, i, j) - 1): weight
                     for (i, j), weight in VGG_MULTI_LAYERS.items()}  # index of each layer's conv -> weight

    def _features(self, x) -> dict:
        return {index: f * VGG_MULTI_SCALE for index, f in self.vgg.features_at(x, self.taps).items()}

    def forward(self, sr, hr):  # sr, hr: (N, 3, H, W) in [-1, 1]
        sr_features = self._features(sr)  # gradient flows through the frozen VGG to G
        with paddle.no_grad():
            hr_features = self._features(hr)
        return sum(weight * F.l1_loss(sr_features[i], hr_features[i]) for i, weight in self.taps.items())


class ContentLoss(nn.Layer):
    """The content loss l_X of the paper's Table 1 variants.

    - "mse":   pixel-wise MSE (Eq. 4) between SR and HR images, both in [-1, 1]
               (SRResNet-MSE, SRGAN-MSE).
    - "vgg22": MSE between VGG19 feature maps phi_2,2 of SR and HR (Eq. 5; SRGAN-VGG22).
    - "vgg54": the same with phi_5,4 (Eq. 5; the model the paper calls SRGAN).
    - "vgg-multi": not in the paper, MultiLayerVGGLoss (Real-ESRGAN's perceptual loss).

    For the VGG kinds the feature maps are multiplied by 1/12.75 before the MSE (Sec. 3.2),
    and the HR features are computed without gradient (they are a fixed target).

    Args:
        kind: "mse", "vgg22" or "vgg54".
        vgg_weights: weights of the VGG19 for the VGG kinds, passed to
            `srgan.vgg.VGGFeatureExtractor` (a file path, "paper", "imagenet", "random", or None
            for the default search). Unused for "mse".
        engine: VGG kinds only: "dygraph" runs the VGG in Paddle's dygraph (autograd through it);
            "inference" runs loss and gradient through Paddle Inference with oneDNN
            (`srgan.vgg_inference`, faster on a CPU, the same values within float32 noise),
            falling back to dygraph for a crop whose sides are not multiples of 2^pools;
            "inference-bf16" the same in bfloat16 (srgan.vgg_inference: CPUs with bf16 only).
        before_activation: VGG kinds only, not in the paper: compare the features before
            phi_i,j's ReLU (ESRGAN Sec. 3.3; see srgan.vgg.VGGFeatureExtractor).
    """

    def __init__(self, kind: str = "mse", vgg_weights: str | os.PathLike | None = None, engine: str = "dygraph",
                 before_activation: bool = False):
        super().__init__()
        if kind not in CONTENT_LOSS_KINDS:
            raise ValueError(f"content loss kind must be one of {CONTENT_LOSS_KINDS}, got {kind!r}")
        if engine not in ("dygraph", "inference", "inference-bf16"):
            raise ValueError(f"engine must be 'dygraph', 'inference' or 'inference-bf16', got {engine!r}")
        self.kind = kind
        self.multi = MultiLayerVGGLoss(vgg_weights) if kind == "vgg-multi" else None
        self.vgg = None if kind == "mse" else self.multi.vgg if self.multi else VGGFeatureExtractor(
            layer=kind, weights=vgg_weights, before_activation=before_activation)
        self.engine = None
        if self.vgg is not None and engine != "dygraph":
            precision = "bf16" if engine == "inference-bf16" else "fp32"
            if self.multi is not None:  # the five layers' L1 terms, each added on the way down (VGGLossVJP)
                self.engine = InferenceVGGLoss(self.vgg, feature_scale=VGG_MULTI_SCALE, precision=precision,
                                               taps=self.multi.taps, distance="l1")
            else:
                self.engine = InferenceVGGLoss(self.vgg, feature_scale=VGG_FEATURE_SCALE, precision=precision)

    def forward(self, sr, hr):  # sr, hr: (N, 3, H, W) in [-1, 1]
        if self.vgg is None:
            return F.mse_loss(sr, hr)  # Eq. 4 (mean over pixels and batch)
        if self.engine is not None and self.engine.supports(sr.shape):
            return self.engine(sr, hr)  # Eq. 5 (or vgg-multi's sum), loss and gradient from the predictor
        if self.multi is not None:
            return self.multi(sr, hr)
        sr_features = self.vgg(sr) * VGG_FEATURE_SCALE  # gradient flows through the frozen VGG to G
        with paddle.no_grad():
            hr_features = self.vgg(hr) * VGG_FEATURE_SCALE
        return F.mse_loss(sr_features, hr_features)  # Eq. 5


def lattice_energy(x, period: int = 4, window: int = 32):
    """Energy of the period-`period` lattice of x in each window of `window` pixels.

    In each window the image is averaged over each of the period x period pixel phases (the
    phase of a pixel is (y mod period, x mod period)); the energy is the mean square of those
    phase means around their own mean. By the DFT, that is exactly the energy of the window's
    period-`period` frequencies except DC (15 bins for period 4): a 4x pixel-shuffle lattice
    lands there, texture and edges spread over all frequencies. The same windows and
    frequencies as `srgan.metrics.grid_share`.

    Args:
        x: (N, C, H, W) images; H and W are cut down to whole windows.
        period: the lattice period in pixels (4 = the generator's two 2x pixel shuffles).
        window: window size in pixels, a multiple of `period`; images smaller than a window are
            measured in one window as large as fits.

    Returns:
        (N, C, H // window, W // window) energies, in squared units of x.
    """
    n, c, h, w = x.shape
    window = min(window, min(h, w) // period * period)
    if window < period:
        raise ValueError(f"images of {h}x{w} px are smaller than one lattice period ({period} px)")
    rows, cols, k = h // window, w // window, window // period
    x = x[:, :, : rows * window, : cols * window]  # (N, C, rows*window, cols*window)
    x = x.reshape([n, c, rows, k, period, cols, k, period])  # pixel (r*window + i*period + p, ...)
    phase_means = x.mean(axis=[3, 6])  # (N, C, rows, period, cols, period)
    deviation = phase_means - phase_means.mean(axis=[3, 5], keepdim=True)
    return (deviation**2).mean(axis=[3, 5])  # (N, C, rows, cols)


def lattice_penalty(sr, hr, period: int = 4, window: int = 32):
    """Not in the paper: the lattice energy of SR in excess of HR's, window by window, averaged.

    Why: phase 2 with the paper's recipe prints a regular period-4 lattice over flat regions
    (measured with `srgan.metrics.grid_contrast`): the adversarial gradient is locked to the
    pixel grid and the pixel shuffle makes a lattice the generator's cheapest way to add high
    frequencies. A pixel loss weighs those 15 frequencies like all others (weight 1 did not
    reduce the lattice here); this term weighs only them, and only the energy SR has beyond HR's
    in the same window, so the lattice band may hold as much texture as the real image does.
    Scale: with weight 1 its gradient on the lattice equals that of the pixel MSE on [-1, 1]
    images, so TrainConfig.lattice_weight says how many times more the lattice is penalised.

    Args:
        sr: (N, C, H, W) generated images (gradient flows).
        hr: (N, C, H, W) real images (a fixed target, no gradient).
        period, window: see `lattice_energy`.
    """
    with paddle.no_grad():
        target = lattice_energy(hr, period, window)
    return F.relu(lattice_energy(sr, period, window) - target).mean()


def low_frequency_loss(sr, hr, factor: int = 4):
    """Pixel MSE between SR and HR averaged over factor x factor blocks (not in the paper).

    Phase 2 drifts in colour here: neither the VGG54 loss nor D minds a global shift of a few
    levels (measured on scikit-image's photos: the shipped SRGAN adds +2.9 levels of blue and +1.2
    of green, a stronger adversarial weight +9.7 of blue; SRResNet 0). The block means of SR are
    what the LR input fixes, colour included, so matching them to HR's costs no texture: the
    texture lives inside the blocks. With factor = the scale, the blocks are the LR pixels.

    Args:
        sr: (N, C, H, W) generated images in [-1, 1] (gradient flows).
        hr: (N, C, H, W) real images in [-1, 1].
        factor: block side, the upscaling factor.
    """
    return F.mse_loss(F.avg_pool2d(sr, factor), F.avg_pool2d(hr, factor))  # (N, C, H/f, W/f) each


def bicubic_downscale(x, factor: int = 4):
    """MATLAB's `imresize(x, 1/factor, 'bicubic')` of float images, differentiable.

    The same separable antialiased cubic as `srgan.imresize` (edge pixels replicated, no
    rounding), written as two matrix products so that the gradient flows back to x: the
    degradation the LR images were made with (paper Sec. 3.2), applied to SR.

    Args:
        x: (N, C, H, W) images.
        factor: the downscaling factor; the output is ceil(H / factor) x ceil(W / factor).

    Returns:
        (N, C, ceil(H / factor), ceil(W / factor)) images.
    """
    n, c, h, w = x.shape
    rows = paddle.to_tensor(resize_matrix(h, math.ceil(h / factor), 1.0 / factor), dtype=x.dtype)  # (h', H)
    cols = paddle.to_tensor(resize_matrix(w, math.ceil(w / factor), 1.0 / factor).T, dtype=x.dtype)  # (W, w')
    return paddle.matmul(paddle.matmul(rows, x), cols)  # (N, C, h', W) -> (N, C, h', w')


def lr_consistency_loss(sr, lr, factor: int = 4):
    """MSE between SR's bicubic downscale and the LR input (not in the paper).

    Why: what a 4x upscale can know is what its input holds. Degrading SR the way the LR was
    made (`bicubic_downscale`) and comparing it with the LR input pins exactly that, colour and
    low frequencies, and nothing more: any texture whose downscale vanishes is free. The
    low-frequency loss (`low_frequency_loss`) pins SR's block means to HR's instead, a
    stand-in for the degradation that also constrains what the input does not fix. Compared
    in [-1, 1] units, so its weight reads like the low-frequency loss's.

    Args:
        sr: (N, 3, H, W) generated images in [-1, 1] (gradient flows).
        lr: (N, 3, H / factor, W / factor) the generator's inputs in [0, 1].
        factor: the upscaling factor.
    """
    return F.mse_loss(bicubic_downscale(sr, factor), lr * 2.0 - 1.0)  # (N, 3, h, w) each


# BT.601 chroma rows (as srgan.colour.rgb_to_cbcr): Cb = (B - Y) / 1.772, Cr = (R - Y) / 1.402.
_CBCR = ((-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))


def chroma_loss(sr, hr):
    """Pixel MSE of SR's and HR's chroma (Cb, Cr), full resolution (not in the paper).

    Why: phase 2 here invents colour: single pixels tinted red, green or blue on grey fur or
    sky (`srgan.metrics.colour_speckle`, 4.5x HR's chroma detail for the shipped SRGAN) and a
    blue cast. The eye resolves chroma far more coarsely than luma, and the chroma a 4x upscale
    can know is what the LR input holds, so pinning chroma to HR costs no visible texture: the
    adversarial and VGG losses stay free in luma, where the texture lives. The low-frequency
    loss (`low_frequency_loss`) held the cast but not the speckle, which is finer than its blocks.

    Args:
        sr: (N, 3, H, W) generated RGB images in [-1, 1] (gradient flows).
        hr: (N, 3, H, W) real RGB images in [-1, 1].
    """
    weights = paddle.to_tensor(_CBCR, dtype=sr.dtype).reshape([2, 3, 1, 1])  # a 1x1 conv: RGB -> CbCr
    return F.mse_loss(F.conv2d(sr, weights), F.conv2d(hr, weights))  # (N, 2, H, W) each


ARTIFACT_WINDOW = 7  # LDL's window for the local variance of the residual (Liang et al. 2022, Sec. 3.2)


def artifact_map(sr, hr, sr_average, window: int = ARTIFACT_WINDOW):
    """LDL's refined artifact map (Liang, Zeng and Zhang, "Details or Artifacts", CVPR 2022, Eq. 6-8).

    Where a GAN's SR is wrong in a way that varies from pixel to pixel (speckle, grain across the
    photo's strands) its residual |HR - SR| has a high local variance; where it is wrong smoothly
    (missing detail) the variance is low. The map weights each pixel by that local variance (a
    window x window window), times the image's residual variance to the power 1/5 (busy images
    weigh more), and keeps only the pixels where the current G is worse than its running average
    (`sr_average`, the EMA generator's output): what the training has been moving towards is
    detail, what it has just invented is likely an artifact. No gradient flows through the map: it
    says where to pull SR to HR, the L1 in `artifact_loss` pulls.

    Args:
        sr: (N, 3, H, W) generated images in [-1, 1].
        hr: (N, 3, H, W) real images in [-1, 1].
        sr_average: (N, 3, H, W) the EMA generator's images of the same inputs, in [-1, 1].
        window: side of the local-variance window (odd).

    Returns:
        (N, 1, H, W) non-negative weights, detached.
    """
    with paddle.no_grad():
        # LDL works in [0, 1] units: halve the [-1, 1] differences.
        residual = (hr - sr.detach()).abs().sum(axis=1, keepdim=True) * 0.5            # (N, 1, H, W)
        reference = (hr - sr_average.detach()).abs().sum(axis=1, keepdim=True) * 0.5  # (N, 1, H, W)
        pad = window // 2
        padded = F.pad(residual, [pad, pad, pad, pad], mode="reflect")
        mean = F.avg_pool2d(padded, window, stride=1)                                 # (N, 1, H, W)
        local = F.avg_pool2d(padded * padded, window, stride=1) - mean * mean       # local variance
        flat = residual.reshape([residual.shape[0], -1])
        image = flat.var(axis=1, unbiased=True).reshape([-1, 1, 1, 1]) ** 0.2         # (N, 1, 1, 1)
        weights = image * local.clip(min=0.0)  # E[x^2] - E[x]^2 can round a hair below 0
        return weights * (residual >= reference).astype(weights.dtype)


def artifact_loss(sr, hr, sr_average, window: int = ARTIFACT_WINDOW):
    """LDL's artifact loss (not in the paper): L1 between map * SR and map * HR, the map from
    `artifact_map`, in [0, 1] units as LDL's. A pixel loss only where G has just invented
    high-variance error, which leaves the texture the training agrees on free (a uniform pixel
    loss pulls it all towards the blurry mean).

    Args:
        sr: (N, 3, H, W) generated images in [-1, 1] (gradient flows).
        hr: (N, 3, H, W) real images in [-1, 1].
        sr_average: (N, 3, H, W) the EMA generator's images, in [-1, 1] (no gradient).
        window: side of the local-variance window.
    """
    weights = artifact_map(sr, hr, sr_average, window)  # (N, 1, H, W), broadcast over RGB
    return F.l1_loss(weights * sr, weights * hr) * 0.5


TEXTURE_DETAIL_SIGMA = 1.5  # the detail band: luma minus its Gaussian blur (as metrics.texture_direction)
TEXTURE_WINDOW_SIGMA = 2.0  # the structure tensor's Gaussian window (as metrics.texture_direction)
_LUMA = (0.299, 0.587, 0.114)  # BT.601 luma weights
_SOBEL = (((1.0, 0.0, -1.0), (2.0, 0.0, -2.0), (1.0, 0.0, -1.0)),   # d/dx
          ((1.0, 2.0, 1.0), (0.0, 0.0, 0.0), (-1.0, -2.0, -1.0)))   # d/dy


def gaussian_blur(x, sigma: float):
    """Separable Gaussian blur of every channel of x (N, C, H, W), radius ceil(3 sigma), reflected edges."""
    radius = math.ceil(3 * sigma)
    t = paddle.arange(-radius, radius + 1, dtype=x.dtype)
    kernel = paddle.exp(-t * t / (2 * sigma * sigma))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    x = F.pad(x, [radius, radius, radius, radius], mode="reflect")
    x = F.conv2d(x, kernel.reshape([1, 1, 1, -1]).tile([channels, 1, 1, 1]), groups=channels)  # along W
    return F.conv2d(x, kernel.reshape([1, 1, -1, 1]).tile([channels, 1, 1, 1]), groups=channels)  # along H


def detail_structure_tensor(x):
    """The Gaussian-windowed structure tensor of x's luma detail band, as three maps per pixel:
    (Jxx - Jyy, 2 Jxy) say which way the fine texture runs and how strongly it has one direction,
    Jxx + Jyy how much of it there is (the tensor `metrics.texture_direction` reads angles from).

    Args:
        x: (N, 3, H, W) RGB images in [-1, 1].

    Returns:
        (N, 3, H, W): Jxx - Jyy, 2 Jxy, Jxx + Jyy.
    """
    luma = paddle.to_tensor(_LUMA, dtype=x.dtype).reshape([1, 3, 1, 1])
    y = F.conv2d(x, luma)                                                   # (N, 1, H, W)
    detail = y - gaussian_blur(y, TEXTURE_DETAIL_SIGMA)                     # finer than ~3 px
    sobel = paddle.to_tensor(_SOBEL, dtype=x.dtype).reshape([2, 1, 3, 3])
    g = F.conv2d(F.pad(detail, [1, 1, 1, 1], mode="reflect"), sobel)        # (N, 2, H, W): gx, gy
    gx, gy = g[:, 0:1], g[:, 1:2]
    products = paddle.concat([gx * gx - gy * gy, 2 * gx * gy, gx * gx + gy * gy], axis=1)  # (N, 3, H, W)
    return gaussian_blur(products, TEXTURE_WINDOW_SIGMA)


def texture_loss(sr, hr):
    """Texture loss (not in the paper): L1 between SR's and HR's detail-band structure
    tensors (`detail_structure_tensor`).

    Why: the adversarial and VGG terms here add texture of the right amount but not the photo's
    (grain on baboon's hair, not strands: `metrics.texture_direction`), and every pixel anchor
    tried (L1, LDL) trades NIQE for PSNR without turning grain into strands. The structure tensor
    over a ~4 px window says which way fine texture runs and how strong it is, not where each
    strand sits: matching it asks for HR's direction and amount of detail while leaving the
    phase of the texture (which no 4x upscale can know) free, so it should not pull towards the
    blurry mean as a pixel loss does. Grain where HR is flat or runs one way is penalised.

    Args:
        sr: (N, 3, H, W) generated images in [-1, 1] (gradient flows).
        hr: (N, 3, H, W) real images in [-1, 1].
    """
    return F.l1_loss(detail_structure_tensor(sr), detail_structure_tensor(hr))


def texture_direction_loss(sr, hr):
    """Texture-direction loss (not in the paper): where HR has fine detail, the way SR's detail runs
    against the way HR's does, not how much of it there is.

    `texture_loss` compares the whole structure tensor, and its energy part asks for more or less
    detail (run AL: NIQE and PSNR moved, the direction of the texture did not). Here each tensor
    is reduced to its orientation vector (Jxx - Jyy, 2 Jxy) / (Jxx + Jyy), which is 0 for grain
    without a direction and has length 1 for detail along one direction, and the L1 of SR's and
    HR's is weighted by HR's detail energy (mean 1 per image): strands and edges count, flat
    parts, where HR has no direction to follow, do not.

    Args:
        sr: (N, 3, H, W) generated images in [-1, 1] (gradient flows).
        hr: (N, 3, H, W) real images in [-1, 1].
    """
    j_sr, j_hr = detail_structure_tensor(sr), detail_structure_tensor(hr)  # (N, 3, H, W) each
    floor = 0.01 * j_hr[:, 2:].mean(axis=[1, 2, 3], keepdim=True) + 1e-12  # keeps flat SR's orientation finite
    o_sr = j_sr[:, :2] / (j_sr[:, 2:] + floor)                               # (N, 2, H, W)
    o_hr = j_hr[:, :2] / (j_hr[:, 2:] + floor)
    weight = j_hr[:, 2:] / (j_hr[:, 2:].mean(axis=[1, 2, 3], keepdim=True) + 1e-12)  # (N, 1, H, W), mean 1
    return (weight.detach() * (o_sr - o_hr.detach()).abs()).mean()


def generator_adversarial_loss(fake_logits):
    """l_Gen = -log D(G(I_LR)) (Eq. 6), averaged over the batch.

    The non-saturating form (Goodfellow et al., 2014, used by the paper instead of
    log(1 - D(G(I_LR)))): it gives strong gradients early, when D easily rejects G's images.
    Written as softplus(-logit) = -log sigmoid(logit), BCE-with-logits against the label 1.
    Not F.binary_cross_entropy_with_logits: Paddle 3's kernel returns a wrong gradient at a logit
    of exactly 0 (-1.5 instead of -0.5; Paddle 2.6 is right), softplus's is right everywhere.

    Args:
        fake_logits: discriminator logits on generated images, any shape, e.g. (N, 1).
    """
    return F.softplus(-fake_logits).mean()


def discriminator_loss(real_logits, fake_logits):
    """-[log D(I_HR) + log(1 - D(G(I_LR)))] (the max over D of Eq. 2), each term averaged over the batch.

    Real HR images are labelled 1, generated images 0. Pass `fake_logits` computed on
    detached SR images so that this loss does not update the generator.

    Args:
        real_logits: discriminator logits on HR images, e.g. (N, 1).
        fake_logits: discriminator logits on generated images, e.g. (N, 1).
    """
    real = F.softplus(-real_logits).mean()  # -log sigmoid(x): BCE against 1 (see generator_adversarial_loss)
    fake = F.softplus(fake_logits).mean()   # -log(1 - sigmoid(x)): BCE against 0
    return real + fake


def relativistic_generator_loss(real_logits, fake_logits):
    """Not in the paper: G's loss in the relativistic average GAN (ESRGAN, Wang et al. 2018, Sec.
    3.2, after Jolicoeur-Martineau 2018), averaged over the batch and the two terms:

        l_Gen = -[log(1 - D_Ra(HR, SR)) + log D_Ra(SR, HR)] / 2,  D_Ra(a, b) = sigmoid(C(a) - mean C(b))

    D no longer judges an image alone but whether it looks more real than the other batch on
    average. A D that rejects every SR with certainty (what the shipped run's log shows,
    D(G(LR)) ~ 1e-3) still gives G a gradient through the real term, and G's target is
    relative to the photos, not an absolute "real".

    Args:
        real_logits: D's logits C(HR), e.g. (N, 1), detached: G's step must not train D.
        fake_logits: D's logits C(SR) (gradient flows to G).
    """
    real_relative = real_logits - fake_logits.mean()
    fake_relative = fake_logits - real_logits.mean()
    return (F.softplus(real_relative).mean() + F.softplus(-fake_relative).mean()) / 2  # labels: HR 0, SR 1


def relativistic_discriminator_loss(real_logits, fake_logits):
    """Not in the paper: D's loss in the relativistic average GAN (the counterpart of
    relativistic_generator_loss, labels swapped: HR more real than SR on average).

    Args:
        real_logits: D's logits on HR images, e.g. (N, 1).
        fake_logits: D's logits on detached SR images.
    """
    real_relative = real_logits - fake_logits.mean()
    fake_relative = fake_logits - real_logits.mean()
    return (F.softplus(-real_relative).mean() + F.softplus(fake_relative).mean()) / 2  # labels: HR 1, SR 0
