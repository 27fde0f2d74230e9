"""A frozen VGG19 feature extractor for the VGG content loss (Ledig et al., CVPR 2017, Sec. 2.2).

The paper compares images in the feature space of a VGG19 network pre-trained on ImageNet:
phi_i,j is "the feature map obtained by the j-th convolution (after activation) before the
i-th maxpooling layer". VGG22 = phi_2,2 (low-level features), VGG54 = phi_5,4 (high-level
features; the loss of the model the paper calls SRGAN).

The network is Paddle's own `paddle.vision.models.vgg19`, cut right after the ReLU of phi_i,j.
Its `features` Sequential is conv, ReLU, conv, ReLU, max-pool, ... (37 layers, the same in
Paddle 2.6 and 3.x), so phi_2,2 ends at index 8 and phi_5,4 at index 35.

Where the weights come from (`weights=`):
    - a file path: a `.pdparams` file (e.g. Paddle's model zoo `vgg19.pdparams`) or a
      `.safetensors` file, with keys `features.<index>.weight` / `.bias`;
    - "imagenet": Paddle's pre-trained VGG19, taken from Paddle's weights cache
      (~/.cache/paddle/hapi/weights/vgg19.pdparams) or downloaded there;
    - "random": random weights, for tests only (a warning says so);
    - None (the default): the file named by the environment variable SRGAN_VGG19_WEIGHTS if
      it is set, else "imagenet". None never silently means random weights.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import paddle
import paddle.nn as nn
import paddle.utils.download as paddle_download

from .atomic import file_digest

# Paddle's pre-trained VGG19 (the same URL and md5 as paddle.vision.models.vgg.model_urls).
VGG19_IMAGENET_URL = "https://paddle-hapi.bj.bcebos.com/models/vgg19.pdparams"
VGG19_IMAGENET_MD5 = "23b18bb13d8894f60f54e642be79a0dd"
WEIGHTS_ENV_VAR = "SRGAN_VGG19_WEIGHTS"

# The network was trained on RGB images in [0, 1] normalised with the ImageNet statistics.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VGGWeightsError(RuntimeError):
    """The VGG19 weights could not be found, read or matched to the network."""


def feature_end_index(features: nn.Sequential, i: int, j: int) -> int:
    """Index in VGG19's `features` of the ReLU after the j-th conv before the i-th max-pool.

    Walks the layers instead of hard-coding indices, so the cut follows the paper's
    definition of phi_i,j whatever the layout of the Sequential.
    """
    block, conv_in_block = 1, 0
    for index, layer in enumerate(features):
        if isinstance(layer, nn.MaxPool2D):
            block, conv_in_block = block + 1, 0
        elif isinstance(layer, nn.Conv2D):
            conv_in_block += 1
        elif isinstance(layer, nn.ReLU) and (block, conv_in_block) == (i, j):
            return index
    raise ValueError(f"VGG19 has no layer phi_{i},{j} (no ReLU after conv {j} of block {i})")


def _parse_layer(layer: str) -> tuple[int, int]:
    match = re.fullmatch(r"vgg(\d)(\d)", layer)
    if match is None:
        raise ValueError(f"layer must look like 'vgg54' or 'vgg22' (phi_i,j), got {layer!r}")
    return int(match.group(1)), int(match.group(2))


def _how_to_provide_weights() -> str:
    cache_file = Path(paddle_download.WEIGHTS_HOME) / "vgg19.pdparams"
    return (
        f"To use a VGG content loss, fetch {VGG19_IMAGENET_URL} (md5 {VGG19_IMAGENET_MD5}) on a "
        f"machine with internet, then either put it at {cache_file}, or set "
        f"{WEIGHTS_ENV_VAR}=/path/to/vgg19.pdparams, or pass that path as the VGG weights argument. "
        f"A .safetensors file with the same keys (features.<index>.weight/bias) works too. "
        f"Or train with `--content-loss mse`, which needs no VGG."
    )


def _imagenet_weights_file() -> Path:
    """Paddle's pre-trained VGG19: from Paddle's weights cache if it is there, else downloaded."""
    cache_file = Path(paddle_download.WEIGHTS_HOME) / "vgg19.pdparams"
    cached_but_wrong = False
    if cache_file.is_file():
        if file_digest(cache_file, "md5") == VGG19_IMAGENET_MD5:
            return cache_file
        cached_but_wrong = True  # truncated or different file: let Paddle fetch it again
    try:
        return Path(paddle_download.get_weights_path_from_url(VGG19_IMAGENET_URL, VGG19_IMAGENET_MD5))
    except Exception as error:  # offline: DNS/connection errors, or Paddle's "retry limit reached"
        found = f" ({cache_file} exists but its md5 is not {VGG19_IMAGENET_MD5})" if cached_but_wrong else ""
        raise VGGWeightsError(
            f"Could not download the ImageNet VGG19 weights from {VGG19_IMAGENET_URL}{found}: {error}. "
            + _how_to_provide_weights()
        ) from error


def read_weights_file(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a `.pdparams` or `.safetensors` state dict into numpy arrays.

    Raises:
        VGGWeightsError: the file is missing or cannot be read; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise VGGWeightsError(f"VGG19 weights file {path} does not exist. " + _how_to_provide_weights())
    try:
        if path.suffix == ".safetensors":
            from safetensors.numpy import load_file

            state = load_file(str(path))
        else:
            state = paddle.load(str(path), return_numpy=True)
    except Exception as error:
        raise VGGWeightsError(
            f"Could not read VGG19 weights file {path} ({type(error).__name__}: {error}); expected a "
            f".pdparams or .safetensors state dict of paddle.vision.models.vgg19"
        ) from error
    if not isinstance(state, dict):
        raise VGGWeightsError(f"VGG19 weights file {path} holds a {type(state).__name__}, not a state dict")
    return {key: np.asarray(value) for key, value in state.items()}


class VGGFeatureExtractor(nn.Layer):
    """VGG19 up to phi_i,j (paper Sec. 2.2), frozen and always in eval mode.

    Takes images in the generator's range [-1, 1] (N, 3, H, W) and returns the feature map
    phi_i,j of shape (N, C, H / 2^(i-1), W / 2^(i-1)), e.g. (N, 512, H/16, W/16) for vgg54.

    Args:
        layer: "vgg54" (phi_5,4, the paper's SRGAN) or "vgg22" (phi_2,2); any "vggIJ" that
            names a conv of VGG19 works.
        weights: a path to a .pdparams / .safetensors file, "imagenet", "random" (tests only),
            or None for the env var SRGAN_VGG19_WEIGHTS if set, else "imagenet".
            See the module docstring.

    Raises:
        VGGWeightsError: the weights cannot be found, read, or do not fit the network.
    """

    def __init__(self, layer: str = "vgg54", weights: str | os.PathLike | None = None):
        super().__init__()
        i, j = _parse_layer(layer)
        self.layer = layer
        if weights is None:
            weights = os.environ.get(WEIGHTS_ENV_VAR) or "imagenet"

        # Read the file before building the network: a bad path fails fast.
        state = None
        if str(weights) == "imagenet":
            weights_file = _imagenet_weights_file()
            state = read_weights_file(weights_file)
            self.weights_source = f"imagenet ({weights_file})"
        elif str(weights) == "random":
            warnings.warn(
                "VGGFeatureExtractor uses RANDOM weights: the VGG content loss is then meaningless "
                "(fine for tests, not for training)",
                stacklevel=2,
            )
            self.weights_source = "random"
        else:
            weights_file = Path(weights)
            state = read_weights_file(weights_file)
            self.weights_source = str(weights_file)

        # No classifier and no pooling head: only `features` is needed (saves ~120 M parameters).
        vgg19 = paddle.vision.models.vgg19(pretrained=False, num_classes=0, with_pool=False)
        end = feature_end_index(vgg19.features, i, j)
        # Rebuilt Sequential keeps the indices 0..end, so keys match Paddle's `features.<index>.*`.
        self.features = nn.Sequential(*list(vgg19.features.children())[: end + 1])
        if state is not None:
            self._load(state, weights_file)

        for param in self.parameters():
            param.stop_gradient = True  # frozen: only the generator is trained
        mean = paddle.to_tensor(IMAGENET_MEAN, dtype="float32").reshape([1, 3, 1, 1])
        std = paddle.to_tensor(IMAGENET_STD, dtype="float32").reshape([1, 3, 1, 1])
        self.register_buffer("mean", mean, persistable=False)  # constants, not weights to save
        self.register_buffer("std", std, persistable=False)
        self._force_eval()

    def _load(self, state: dict[str, np.ndarray], path: Path) -> None:
        """Copy the needed `features.*` arrays in; extra keys (classifier, deeper layers) are ignored."""
        problems = []
        for name, param in self.named_parameters():
            if name not in state:
                problems.append(f"missing {name}")
            elif tuple(state[name].shape) != tuple(param.shape):
                problems.append(f"{name} has shape {tuple(state[name].shape)}, expected {tuple(param.shape)}")
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            raise VGGWeightsError(
                f"VGG19 weights file {path} does not fit paddle.vision.models.vgg19 up to {self.layer}: {shown}"
            )
        for name, param in self.named_parameters():
            param.set_value(state[name].astype("float32"))

    # Always in eval mode. VGG19 has no dropout or BN before phi_5,4, so the flag changes
    # nothing today; it is kept False so that the network is the same fixed function
    # whatever the trainer does. A parent's .train() sets `training` on every sublayer
    # directly (it does not call our train()), hence the property and the reset in forward.
    @property
    def training(self) -> bool:
        return False

    @training.setter
    def training(self, value: bool) -> None:
        pass  # ignored on purpose, see above

    def train(self, mode: bool = True):
        self._force_eval()
        return self

    def _force_eval(self) -> None:
        for layer in self.sublayers():
            layer.training = False

    def forward(self, x):  # x: (N, 3, H, W) in [-1, 1]
        self._force_eval()
        x = (x + 1.0) / 2.0  # generator range [-1, 1] -> [0, 1]
        x = (x - self.mean) / self.std  # ImageNet normalisation the weights were trained with
        return self.features(x)  # (N, C, H / 2^(i-1), W / 2^(i-1))
