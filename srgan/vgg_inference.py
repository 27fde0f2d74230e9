"""The VGG content loss (paper Eq. 5) and its gradient through Paddle Inference, for CPU training.

Phase 2 spends about half of a CPU step in the frozen VGG19: phi(SR) forward, phi(HR)
forward, and the backward from phi(SR) to SR. In dygraph these run on Paddle's im2col + MKL
kernels; Paddle Inference runs the same convolutions through oneDNN, faster (benchmarks/train_speed.py
measures it; docs/EXPERIMENTS.md, "Training speed"). Inference graphs have no autograd, so the backward is
written out as a forward computation, the vector-Jacobian product of the frozen network:

    conv (3x3, stride 1, pad 1)   dx = conv2d(dy, W flipped and transposed, pad 1)
    ReLU                           dx = dy * (pre-activation > 0)
    max-pool (2x2, stride 2)       dx = upsample(dy) * (x == upsample(maxpool(x)))

The pooling rule sends the gradient to every element that equals its window's maximum. The
pool's inputs are ReLU outputs, so the only exact ties are windows of zeros, and the ReLU rule
one layer down zeroes those anyway. The VGG weights are frozen (they get no gradient), so the
only gradient needed is the one with respect to SR.

`VGGLossVJP` is that computation as a Layer (loss and d loss / d SR in one forward; it runs in
dygraph too, where it matches autograd to ~1e-7). `InferenceVGGLoss` saves it with
paddle.jit.save, runs it with Paddle Inference (oneDNN on the CPU) and hands the result to
autograd through a PyLayer, so `loss.backward()` works as with the dygraph loss.

Agreement with autograd: tests/test_vgg_inference.py checks loss and gradient within float32
noise. oneDNN sums in another order than MKL; where a pre-activation sits within rounding of
0, or two pooled values within rounding of each other, the gradient may take the other branch
of a ReLU or pool. That is also what dygraph itself does when its input moves by 1e-6 (measured:
the same one image of 16 at 96 px moved by 2e-3 relative under both). It is noise of the
function, not an error of the engine.

bfloat16 (`precision="bf16"`, `srgan train --vgg-engine inference-bf16` where `cpu_has_bf16()`, and what `auto` picks there: train.vgg_engine_for): the same
program through Paddle Inference's oneDNN bfloat16 pass, which runs the convolutions (and on
Paddle 3 the ReLUs and pools) on bf16 data with float32 accumulation. Measured on 16 crops of
96 px from BSDS200, SR by the shipped SRResNet, the paper's VGG19, phi_5,4 (docs/EXPERIMENTS.md,
"Training speed"): the predictor call 3.6 -> 2.1 CPU s at one thread (Paddle 3.3.1); the loss
moves by 1e-3 relative, d loss / d SR by 6% (cosine 0.998 to float32's), G's parameter gradient
by 3% (cosine 0.9997, 1.2% longer). Most of that is the rounded activations of phi(SR), which
move the ReLU and max-pool masks of the backward; it is less than float32's own gradient moves
when SR moves by an invisible +-0.25 grey level (14%; rounding SR to 8 bits: 22%). bf16 makes
equal maxima in a pool window common, so there tied maxima share the window's gradient
(`split_ties`); without that, d loss / d SR was 13% off and G's gradient 7% too long. Paddle 2.6's pass also puts the mask and difference
arithmetic into bf16 (22% error, a flat crop's gradient lost entirely), and with ReLU and pool
kernels in bf16 it returned zero gradients; there only convolutions and ReLUs are converted
(5% error, 3.45 -> 2.93 s). Every bf16 predictor is checked against the float32 computation
on a small probe when it is built, and replaced by the float32 one, with a warning, if its
gradient is not finite or not close (`BF16_PROBE_TOLERANCE`).
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import paddle
import paddle.inference as pi
import paddle.nn as nn
import paddle.nn.functional as F
from paddle.autograd import PyLayer

from srgan.quiet import quiet_c_output
from srgan.vgg import to_vgg_input

PRECISIONS = ("fp32", "bf16")  # what InferenceVGGLoss computes in
# The largest relative error of d loss / d SR that a bf16 predictor may show on the probe at
# build time (float32's own gradient moves by more than 0.1 when SR moves by 1/4 grey level;
# the broken pass configurations measured gave 1.0, all zeros).
BF16_PROBE_TOLERANCE = 0.5
# Paddle 2.x's bf16 pass converts every op with a oneDNN bf16 kernel unless told which: there the
# convolutions and ReLUs only (module docstring). Paddle 3 ignores the list (its pass picks).
_BF16_OPS_PADDLE2 = {"conv2d", "fused_conv2d", "relu"}


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512_BF16; AMX CPUs have it too): Paddle's
    own CPUID check, the one its documentation names for bf16 inference."""
    core = paddle.base.core if hasattr(paddle, "base") else paddle.fluid.core
    return bool(core.supports_bfloat16_fast_performance())


class VGGLossVJP(nn.Layer):
    """loss = mean((s * phi(SR) - s * phi(HR))^2) and d loss / d SR, by an explicit backward.

    With `taps`, the loss is a weighted sum over several layers' outputs instead (the
    "vgg-multi" content loss, losses.MultiLayerVGGLoss): sum_k w_k * D(s * f_k(SR), s * f_k(HR)),
    D the mean square or the mean absolute difference; the backward adds each layer's term to
    the gradient where the layer is passed on the way down.

    Args:
        vgg: a srgan.vgg.VGGFeatureExtractor (its frozen layers are shared, not copied).
        feature_scale: s, the paper's 1/12.75 (Sec. 3.2; losses.VGG_FEATURE_SCALE).
        taps: {index of a layer in vgg.features: weight}: the layers whose outputs are compared;
            None = the last layer's, weight 1 (the paper's Eq. 5).
        distance: "mse" (Eq. 5) or "l1" (Real-ESRGAN's perceptual loss).

    Raises:
        ValueError: the network holds a layer other than 3x3/stride-1/pad-1 convs, ReLUs and
            2x2/stride-2 max-pools (the layers VGG19 has up to phi_5,4).
    """

    def __init__(self, vgg: nn.Layer, *, feature_scale: float, split_ties: bool = False, taps: dict | None = None,
                 distance: str = "mse"):
        super().__init__()
        self.features = vgg.features
        self.feature_scale = float(feature_scale)
        self.split_ties = bool(split_ties)
        if distance not in ("mse", "l1"):
            raise ValueError(f"distance must be 'mse' or 'l1', got {distance!r}")
        self.distance = distance
        last = len(self.features) - 1
        self.taps = {int(index): float(weight) for index, weight in (taps or {last: 1.0}).items()}
        if not all(0 <= index <= last for index in self.taps):
            raise ValueError(f"VGGLossVJP: taps {sorted(self.taps)} lie outside the network's layers 0-{last}")
        self.bgr = vgg.bgr
        self.register_buffer("scale", paddle.to_tensor(vgg.scale.numpy()), persistable=True)  # x_vgg = x01 * scale - shift
        self.register_buffer("shift", paddle.to_tensor(vgg.shift.numpy()), persistable=True)
        self.num_pools = 0
        for index, layer in enumerate(self.features.children()):
            if isinstance(layer, nn.Conv2D):
                if list(layer._kernel_size) != [3, 3] or list(layer._stride) != [1, 1] or layer._padding not in (1, [1, 1]):
                    raise ValueError(f"VGGLossVJP: conv {index} is not 3x3 / stride 1 / pad 1")
                # The input gradient of a stride-1 'same' conv is a conv with the kernel rotated by
                # 180 degrees and its in/out channels swapped: (C_in, C_out, 3, 3).
                back = np.flip(layer.weight.numpy(), axis=(2, 3)).transpose(1, 0, 2, 3)
                back = paddle.to_tensor(np.ascontiguousarray(back))  # a leaf: Paddle 2.6 saves no computed buffer
                self.register_buffer(f"back_{index}", back, persistable=True)
            elif isinstance(layer, nn.MaxPool2D):
                if (layer.ksize, layer.stride, layer.padding, layer.ceil_mode) != (2, 2, 0, False):
                    raise ValueError(f"VGGLossVJP: max-pool {index} is not 2x2 / stride 2")
                self.num_pools += 1
            elif not isinstance(layer, nn.ReLU):
                raise ValueError(f"VGGLossVJP: layer {index} ({type(layer).__name__}) has no written-out backward")

    @property
    def divisor(self) -> int:
        """H and W must be multiples of this (2 ** pools): then no pool drops a row or column."""
        return 2**self.num_pools

    def forward(self, sr, hr):  # sr, hr: (N, 3, H, W) in [-1, 1]
        layers = list(self.features.named_children())
        target, targets = to_vgg_input(hr, self.scale, self.shift, self.bgr), {}
        for index, (_, layer) in enumerate(layers):
            target = layer(target)  # phi(HR): (N, C, H / 2^p, W / 2^p)
            if index in self.taps:
                targets[index] = target
        x = to_vgg_input(sr, self.scale, self.shift, self.bgr)
        inputs, outputs = [], {}  # each layer's input, for its backward; the tapped layers' outputs
        for index, (_, layer) in enumerate(layers):
            inputs.append(x)
            x = layer(x)
            if index in self.taps:
                outputs[index] = x
        loss, tap_grads = 0.0, {}  # d loss / d (each tapped layer's output)
        for index, weight in self.taps.items():
            diff = (outputs[index] - targets[index]) * self.feature_scale
            count = paddle.numel(diff).astype(diff.dtype)
            if self.distance == "mse":
                loss = loss + weight * paddle.mean(diff * diff)  # Eq. 5 with the 1/12.75 rescale
                tap_grads[index] = diff * (2.0 * weight * self.feature_scale) / count
            else:
                loss = loss + weight * paddle.mean(paddle.abs(diff))
                tap_grads[index] = paddle.sign(diff) * (weight * self.feature_scale) / count
        grad = None
        for index in reversed(range(len(layers))):
            name, layer = layers[index]
            x_in = inputs[index]
            if index in tap_grads:  # this layer's output is compared: its term joins the gradient here
                grad = tap_grads[index] if grad is None else grad + tap_grads[index]
            if grad is None:  # above every tap: nothing flows yet
                continue
            if isinstance(layer, nn.ReLU):
                grad = grad * (x_in > 0).astype(grad.dtype)
            elif isinstance(layer, nn.MaxPool2D):
                # Nearest 2x upsampling as a depthwise transposed conv with a ones kernel: oneDNN
                # runs it, and it needs no output size (interpolate's scale attribute does not
                # convert to oneDNN under Paddle 3's PIR).
                channels = x_in.shape[1]
                ones = paddle.ones([channels, 1, 2, 2], grad.dtype)
                window_max = F.conv2d_transpose(F.max_pool2d(x_in, 2, 2), ones, stride=2, groups=channels)
                mask = (x_in == window_max).astype(grad.dtype)
                if self.split_ties:  # tied maxima share their window's gradient instead of each taking all of it
                    mask = mask / F.conv2d_transpose(F.avg_pool2d(mask, 2, 2) * 4.0, ones, stride=2, groups=channels)
                grad = F.conv2d_transpose(grad, ones, stride=2, groups=channels) * mask
            else:
                grad = F.conv2d(grad, getattr(self, f"back_{name}"), padding=1)
        grad = grad * self.scale / 2.0  # back through to_vgg_input: x_vgg = ((x + 1) / 2) * scale - shift
        if self.bgr:
            grad = paddle.flip(grad, axis=[1])
        return loss, grad  # (), (N, 3, H, W)


class _LossFromEngine(PyLayer):
    """Autograd node for InferenceVGGLoss: the predictor gives loss and gradient at once."""

    @staticmethod
    def forward(ctx, sr, hr, engine):
        loss, grad = engine.loss_and_grad(sr.numpy(), hr.numpy())
        ctx.grad = paddle.to_tensor(grad, place=sr.place)
        return paddle.to_tensor(loss, dtype="float32", place=sr.place)

    @staticmethod
    def backward(ctx, grad_loss):
        return ctx.grad * grad_loss, None  # nothing flows to HR, a fixed target


class InferenceVGGLoss:
    """The VGG content loss run by Paddle Inference (oneDNN) on the CPU; differentiable.

    `loss = engine(sr, hr)` returns a scalar tensor whose backward gives SR the gradient that
    autograd through the VGG would give (within float32 noise, see the module docstring).

    Args:
        vgg: a srgan.vgg.VGGFeatureExtractor (frozen; its weights are baked into the predictor).
        feature_scale: the features' rescale, losses.VGG_FEATURE_SCALE (paper Sec. 3.2).
        threads: CPU math threads of the predictor; None = $OMP_NUM_THREADS, else 1 (what
            Paddle's dygraph kernels use when it is unset).
        precision: "fp32", or "bf16" (oneDNN's bfloat16 pass; the module docstring has its
            error). `self.precision` is what runs: "fp32" if the bf16 predictor failed its probe.
        taps, distance: which layers are compared and how (VGGLossVJP); the defaults are Eq. 5.

    Raises:
        ValueError: precision is unknown, or "bf16" on a CPU without bfloat16 (`cpu_has_bf16`),
            where oneDNN would emulate it slower than float32.
    """

    def __init__(self, vgg: nn.Layer, *, feature_scale: float, threads: int | None = None, precision: str = "fp32",
                 taps: dict | None = None, distance: str = "mse"):
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if precision == "bf16" and not cpu_has_bf16():
            raise ValueError("precision 'bf16' needs a CPU with bfloat16 instructions (AVX512_BF16 or AMX); this one has none")
        # bf16 rounding makes equal maxima in a pool window common (float32: only windows of zeros, which
        # the ReLU below zeroes anyway); each would take the window's whole gradient (measured on
        # photos: G's gradient 7% too long, d loss / d SR 13% off instead of 6%)
        layer = VGGLossVJP(vgg, feature_scale=feature_scale, split_ties=precision == "bf16", taps=taps, distance=distance)
        self.divisor = layer.divisor
        self.precision = precision
        spec = [paddle.static.InputSpec([None, 3, None, None], "float32", name) for name in ("sr", "hr")]
        with tempfile.TemporaryDirectory(prefix="srgan_vgg_loss_") as tmp:
            prefix = Path(tmp) / "vgg_loss"
            paddle.jit.save(layer, str(prefix), input_spec=spec)
            program = next(p for p in (prefix.with_suffix(".json"), prefix.with_suffix(".pdmodel")) if p.exists())
            config = pi.Config(str(program), str(prefix.with_suffix(".pdiparams")))
            config.disable_gpu()
            config.set_cpu_math_library_num_threads(threads or int(os.environ.get("OMP_NUM_THREADS") or 1))
            config.enable_mkldnn()
            config.set_mkldnn_cache_capacity(4)  # training uses one crop size; validation none
            config.disable_glog_info()
            # The bf16 switch logs a line and Paddle 2.6's pass its statistics, both to stderr
            with quiet_c_output(2) if precision == "bf16" else contextlib.nullcontext():
                if precision == "bf16":
                    config.enable_mkldnn_bfloat16()
                    if not paddle.__version__.startswith("3"):
                        config.set_bfloat16_op(set(_BF16_OPS_PADDLE2))
                self.predictor = pi.create_predictor(config)  # reads the files now; the folder may go
        self._bind()
        if precision == "bf16":
            error = self._probe_error(layer)
            if not error <= BF16_PROBE_TOLERANCE:  # also NaN
                warnings.warn(f"InferenceVGGLoss: the bfloat16 predictor's gradient is off by {error:.2g} (relative) "
                              f"on a probe; the VGG loss runs in float32 instead", RuntimeWarning, stacklevel=2)
                self.__init__(vgg, feature_scale=feature_scale, threads=threads, precision="fp32", taps=taps,
                              distance=distance)

    def _bind(self) -> None:
        self._inputs = [self.predictor.get_input_handle(name) for name in self.predictor.get_input_names()]
        self._outputs = [self.predictor.get_output_handle(name) for name in self.predictor.get_output_names()]
        self._ran = False

    def _probe_error(self, layer: VGGLossVJP) -> float:
        """Relative error of this predictor's d loss / d SR against `layer` in float32 dygraph,
        on a fixed random pair (2 x 3 x 2^pools+ x 2^pools+); inf if it is not finite."""
        side = self.divisor * max(1, 32 // self.divisor)
        rng = np.random.default_rng(25)
        hr = rng.uniform(-1, 1, (2, 3, side, side)).astype("float32")
        sr = np.clip(hr + 0.2 * rng.standard_normal(hr.shape), -1, 1).astype("float32")
        with paddle.no_grad():
            expected = layer(paddle.to_tensor(sr), paddle.to_tensor(hr))[1].numpy()
        got = self.loss_and_grad(sr, hr)[1]
        if not np.all(np.isfinite(got)):
            return math.inf
        return float(np.linalg.norm(got - expected) / max(np.linalg.norm(expected), 1e-30))

    def supports(self, shape) -> bool:
        """Whether an (N, 3, H, W) batch can go through the predictor (H, W multiples of 2^pools)."""
        return shape[-1] % self.divisor == 0 and shape[-2] % self.divisor == 0

    def loss_and_grad(self, sr: np.ndarray, hr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Numpy in, numpy out: the loss (a float32 scalar) and d loss / d SR (the shape of sr)."""
        for handle, array in zip(self._inputs, (sr, hr)):
            array = np.ascontiguousarray(array, dtype=np.float32)
            handle.reshape(list(array.shape))
            handle.copy_from_cpu(array)
        if self._ran:
            self.predictor.run()
        else:  # Paddle 3's oneDNN kernel choice prints a debug line to stdout on the first run
            with quiet_c_output():
                self.predictor.run()
            self._ran = True
        loss, grad = (handle.copy_to_cpu() for handle in self._outputs)
        return loss.reshape([]), grad

    def __call__(self, sr, hr):  # sr, hr: (N, 3, H, W) in [-1, 1], H and W multiples of self.divisor
        if not self.supports(sr.shape):
            raise ValueError(f"InferenceVGGLoss needs H and W that are multiples of {self.divisor}, got {list(sr.shape)}")
        return _LossFromEngine.apply(sr, hr, self)
