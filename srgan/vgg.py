"""A frozen VGG19 feature extractor for the VGG content loss (Ledig et al., CVPR 2017, Sec. 2.2).

The paper compares images in the feature space of a VGG19 network pre-trained on ImageNet:
phi_i,j is "the feature map obtained by the j-th convolution (after activation) before the
i-th maxpooling layer". VGG22 = phi_2,2 (low-level features), VGG54 = phi_5,4 (high-level
features; the loss of the model the paper calls SRGAN).

The network is Paddle's own `paddle.vision.models.vgg19`, cut right after the ReLU of phi_i,j.
Its `features` Sequential is conv, ReLU, conv, ReLU, max-pool, ... (37 layers, the same in
Paddle 2.6 and 3.x), so phi_2,2 ends at index 8 and phi_5,4 at index 35.

Two trainings of VGG19 exist, and each comes with its own input convention, which therefore
travels with the weights (`VGGFeatureExtractor.input_convention`):

- "caffe": the original network of Simonyan & Zisserman (Oxford's Caffe model) that the paper
  used, as converted by Keras Applications (`vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`,
  md5 253f8cb5...). Input: BGR, 0..255, minus the mean pixel (103.939, 116.779, 123.68), no std.
  The paper's 1/12.75 feature rescale (Sec. 3.2) was chosen for this network.
- "imagenet": Paddle's model zoo `vgg19.pdparams`, a different ImageNet training. Input: RGB in
  [0, 1] normalised with the ImageNet mean/std.

Where the weights come from (`weights=`):
    - a file path: the Keras `.h5` file ("caffe"; read with h5py), a `.pdparams` file
      ("imagenet"), or a `.safetensors` file with keys `features.<index>.weight` / `.bias`
      (convention from its metadata key "input_convention", default "imagenet");
    - "paper": the Keras file, from Paddle's weights cache or downloaded there (md5 checked),
      the way to get the paper's exact network on a machine with internet;
    - "imagenet": Paddle's pre-trained VGG19, from Paddle's weights cache or downloaded there;
    - "random": random weights, for tests and for showing why random features mean nothing;
    - None (the default): in order, the file named by $SRGAN_VGG19_WEIGHTS, the Keras file in
      $SRGAN_SHARED/vgg19/ (default ../shared, see srgan.config.default_shared_dir), the Keras
      file in Paddle's weights cache, else the Keras file downloaded (md5 checked); only if that
      download fails, "imagenet", with a loud warning (Paddle's download host is the one that
      AI Studio always reaches). None never silently means random weights.

HDF5 is read with h5py (a dependency of the package): the file is 80 MB and read once per
extractor, which takes well under a second, so no converted copy is cached.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import h5py
import numpy as np
import paddle
import paddle.nn as nn
import paddle.utils.download as paddle_download
from safetensors import safe_open

from .atomic import file_digest, first_line
from .image_io import image_kind
from .config import default_shared_dir
from .safeload import safe_load

# Paddle's pre-trained VGG19 (the same URL and md5 as paddle.vision.models.vgg.model_urls).
VGG19_IMAGENET_URL = "https://paddle-hapi.bj.bcebos.com/models/vgg19.pdparams"
VGG19_IMAGENET_MD5 = "23b18bb13d8894f60f54e642be79a0dd"
# The paper's network (Oxford VGG's Caffe model) as Keras Applications publishes it.
VGG19_PAPER_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG19_PAPER_URL = f"https://storage.googleapis.com/tensorflow/keras-applications/vgg19/{VGG19_PAPER_FILE}"
VGG19_PAPER_MD5 = "253f8cb515780f3b799900260a226db6"
WEIGHTS_ENV_VAR = "SRGAN_VGG19_WEIGHTS"

# Input conventions: (value range, channel order, mean, std) of the images each training saw.
INPUT_CONVENTIONS = {
    "caffe": {"range": 255.0, "bgr": True, "mean": (103.939, 116.779, 123.68), "std": (1.0, 1.0, 1.0)},
    "imagenet": {"range": 1.0, "bgr": False, "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)},
}


class VGGWeightsError(RuntimeError):
    """The VGG19 weights could not be found, read or matched to the network."""


def feature_end_index(features: nn.Sequential, i: int, j: int) -> int:
    """Index in VGG19's `features` of the ReLU after the j-th conv before the i-th max-pool.

    Walks the layers instead of hard-coding indices, so the cut follows the paper's
    definition of phi_i,j whatever the layout of the Sequential.
    """
    for index, (block, conv, layer) in enumerate(_walk(features)):
        if isinstance(layer, nn.ReLU) and (block, conv) == (i, j):
            return index
    raise ValueError(f"VGG19 has no layer phi_{i},{j} (no ReLU after conv {j} of block {i})")


def _walk(features: nn.Sequential):
    """Yield (block, conv-in-block, layer) for every layer of a VGG `features` Sequential."""
    block, conv_in_block = 1, 0
    for layer in features:
        if isinstance(layer, nn.MaxPool2D):
            block, conv_in_block = block + 1, 0
        elif isinstance(layer, nn.Conv2D):
            conv_in_block += 1
        yield block, conv_in_block, layer


def _parse_layer(layer: str) -> tuple[int, int]:
    match = re.fullmatch(r"vgg(\d)(\d)", layer)
    if match is None:
        raise ValueError(f"layer must look like 'vgg54' or 'vgg22' (phi_i,j), got {layer!r}")
    return int(match.group(1)), int(match.group(2))


def _how_to_provide_weights() -> str:
    cache = Path(paddle_download.WEIGHTS_HOME)
    return (
        f"To use a VGG content loss, fetch the paper's VGG19, {VGG19_PAPER_URL} (md5 {VGG19_PAPER_MD5}), "
        f"or Paddle's, {VGG19_IMAGENET_URL} (md5 {VGG19_IMAGENET_MD5}), on a machine with internet, then "
        f"put it in {cache}/, or in $SRGAN_SHARED/vgg19/, or set {WEIGHTS_ENV_VAR}=/path/to/the/file, "
        f"or pass that path as the VGG weights argument. Or train with `--content-loss mse`, which needs no VGG."
    )


def _cached_or_downloaded(url: str, md5: str, what: str) -> Path:
    """A weights file from Paddle's weights cache if it is there with the right md5, else downloaded."""
    cache_file = Path(paddle_download.WEIGHTS_HOME) / url.rsplit("/", 1)[-1]
    cached_but_wrong = False
    if cache_file.is_file():
        if file_digest(cache_file, "md5") == md5:
            return cache_file
        cached_but_wrong = True  # truncated or different file: let Paddle fetch it again
    try:
        return Path(paddle_download.get_weights_path_from_url(url, md5))
    except Exception as error:  # offline: DNS/connection errors, or Paddle's "retry limit reached"
        found = f" ({cache_file} exists but its md5 is not {md5})" if cached_but_wrong else ""
        raise VGGWeightsError(f"Could not download {what} from {url}{found}: {error}. " + _how_to_provide_weights()) from error


class VGGFallbackWarning(UserWarning):
    """The paper's VGG19 could not be had and Paddle's ImageNet VGG19 is used instead."""


def _paper_or_loud_imagenet() -> str:
    """The paper's VGG19, downloaded (md5 checked); if that fails, "imagenet", with one loud line
    saying which network replaces it, why, and what changes (AI Studio reaches Paddle's host, not
    always the paper's)."""
    try:
        return str(_cached_or_downloaded(VGG19_PAPER_URL, VGG19_PAPER_MD5, "the paper's VGG19 weights (Keras Applications)"))
    except VGGWeightsError as error:
        cause = str(error.__cause__ or error).splitlines()[0][:200]
        warnings.warn(
            f"VGG19: the paper's network could not be fetched ({cause}); using Paddle's ImageNet VGG19 instead, "
            f"another training with another input convention, so the VGG loss and the SRGAN it trains differ from the "
            f"paper's (put {VGG19_PAPER_FILE} in $SRGAN_SHARED/vgg19/ or set {WEIGHTS_ENV_VAR} to use the paper's)",
            VGGFallbackWarning,
            stacklevel=3,
        )
        return "imagenet"


def default_weights() -> str:
    """What weights=None resolves to: see the module docstring (never "random")."""
    if os.environ.get(WEIGHTS_ENV_VAR):
        return os.environ[WEIGHTS_ENV_VAR]
    for candidate in (default_shared_dir() / "vgg19" / VGG19_PAPER_FILE, Path(paddle_download.WEIGHTS_HOME) / VGG19_PAPER_FILE):
        if candidate.is_file():
            return str(candidate)
    return "imagenet"


def _read_h5(path: Path) -> dict[str, np.ndarray]:
    """The Keras Applications VGG19 file -> {"block{B}_conv{I}": (weight OIHW, bias)} as `features.*` later."""
    convs = {}
    with h5py.File(path, "r") as f:
        for name, group in f.items():
            if not re.fullmatch(r"block\d_conv\d", name):
                continue
            arrays = {key.split("_")[-2]: np.asarray(value) for key, value in group.items()}  # "W" / "b"
            if set(arrays) != {"W", "b"}:
                raise VGGWeightsError(f"VGG19 weights file {path}: group {name} holds {sorted(group)}, expected W and b")
            # Keras stores (kh, kw, in, out); Paddle wants (out, in, kh, kw). Both frameworks
            # compute cross-correlation, so no spatial flip.
            convs[name] = (arrays["W"].transpose(3, 2, 0, 1), arrays["b"])
    if not convs:
        raise VGGWeightsError(f"VGG19 weights file {path} has no block*_conv* groups: not a Keras VGG19 file")
    return convs


def read_weights_file(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], str]:
    """Read a VGG19 weights file into (state dict of numpy arrays, input convention).

    `.h5` files are the Keras Applications layout and are returned keyed by Keras layer name
    (block1_conv1, ...) as (weight, bias) pairs; `.pdparams` / `.safetensors` files are state
    dicts of paddle.vision.models.vgg19 (`features.<index>.weight` / `.bias`).

    Raises:
        VGGWeightsError: the file is missing or cannot be read; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise VGGWeightsError(f"VGG19 weights file {path} {what}. " + _how_to_provide_weights())
    convention = "imagenet"
    try:
        if path.suffix in (".h5", ".hdf5"):
            return _read_h5(path), "caffe"
        if path.suffix == ".safetensors":
            with safe_open(str(path), framework="numpy") as f:
                convention = (f.metadata() or {}).get("input_convention", "imagenet")
                state = {key: f.get_tensor(key) for key in f.keys()}
        else:
            state = safe_load(path, return_numpy=True)  # state-dict data only: a .pdparams file cannot run code
    except VGGWeightsError:
        raise
    except Exception as error:
        detail = image_kind(path) or f"{type(error).__name__}: {first_line(error, '')}"
        raise VGGWeightsError(
            f"Could not read VGG19 weights file {path} ({detail}); expected the Keras "
            f"Applications .h5 file, or a .pdparams or .safetensors state dict of paddle.vision.models.vgg19"
        ) from error
    if not isinstance(state, dict):
        raise VGGWeightsError(f"VGG19 weights file {path} holds a {type(state).__name__}, not a state dict")
    if convention not in INPUT_CONVENTIONS:
        raise VGGWeightsError(f"VGG19 weights file {path}: unknown input_convention {convention!r}, expected one of {sorted(INPUT_CONVENTIONS)}")
    return {key: np.asarray(value) for key, value in state.items()}, convention


def to_vgg_input(x, scale, shift, bgr: bool):
    """Generator images (N, 3, H, W), RGB in [-1, 1] -> the input convention of the VGG weights.

    Args:
        scale, shift: (1, 3, 1, 1) per channel, in the weights' channel order:
            x_vgg = x01 * scale - shift (INPUT_CONVENTIONS: range / std, mean / std).
        bgr: the weights take BGR (the Caffe network).
    """
    x = (x + 1.0) / 2.0  # generator range [-1, 1] -> [0, 1]
    if bgr:
        x = paddle.flip(x, axis=[1])  # RGB -> BGR, the Caffe network's channel order
    return x * scale - shift  # the input convention the weights were trained with


class VGGFeatureExtractor(nn.Layer):
    """VGG19 up to phi_i,j (paper Sec. 2.2), frozen and always in eval mode.

    Takes images in the generator's range [-1, 1] (N, 3, H, W), RGB, converts them to the
    input convention of its weights, and returns the feature map phi_i,j of shape
    (N, C, H / 2^(i-1), W / 2^(i-1)), e.g. (N, 512, H/16, W/16) for vgg54.

    Args:
        layer: "vgg54" (phi_5,4, the paper's SRGAN) or "vgg22" (phi_2,2); any "vggIJ" that
            names a conv of VGG19 works.
        weights: a path (.h5 / .pdparams / .safetensors), "paper", "imagenet", "random", or
            None for the default search (env var, shared folder, caches, Paddle's download).
            See the module docstring.
        before_activation: end at the conv of phi_i,j, before its ReLU (ESRGAN, Wang et al.
            2018, Sec. 3.3: phi_5,4 after the ReLU is mostly zeros, and a loss on it leaves
            brightness and colour loosely held). False = the paper's phi_i,j.

    Attributes:
        weights_source: where the weights came from (a path, or "random").
        input_convention: "caffe" or "imagenet", set by the weights (see the module docstring).

    Raises:
        VGGWeightsError: the weights cannot be found, read, or do not fit the network.
    """

    def __init__(self, layer: str = "vgg54", weights: str | os.PathLike | None = None, before_activation: bool = False):
        super().__init__()
        i, j = _parse_layer(layer)
        self.layer = layer
        self.before_activation = bool(before_activation)
        if weights is None:
            weights = default_weights()
            if weights == "imagenet":  # no paper file on this machine: fetch it, or say loudly what replaces it
                weights = _paper_or_loud_imagenet()

        # Read the file before building the network: a bad path fails fast.
        state, convention, weights_file = None, "imagenet", None
        if str(weights) == "random":
            warnings.warn(
                "VGGFeatureExtractor uses RANDOM weights: the VGG content loss is then meaningless "
                "(fine for tests, not for training)",
                stacklevel=2,
            )
            self.weights_source = "random"
        else:
            if str(weights) == "imagenet":
                weights_file = _cached_or_downloaded(VGG19_IMAGENET_URL, VGG19_IMAGENET_MD5, "Paddle's ImageNet VGG19 weights")
            elif str(weights) == "paper":
                weights_file = _cached_or_downloaded(VGG19_PAPER_URL, VGG19_PAPER_MD5, "the paper's VGG19 weights (Keras Applications)")
            else:
                weights_file = Path(weights)
            state, convention = read_weights_file(weights_file)
            self.weights_source = str(weights_file)
        self.input_convention = convention

        # No classifier and no pooling head: only `features` is needed (saves ~120 M parameters).
        vgg19 = paddle.vision.models.vgg19(pretrained=False, num_classes=0, with_pool=False)
        end = feature_end_index(vgg19.features, i, j) - (1 if before_activation else 0)  # the conv sits right before its ReLU
        # Rebuilt Sequential keeps the indices 0..end, so keys match Paddle's `features.<index>.*`.
        self.features = nn.Sequential(*list(vgg19.features.children())[: end + 1])
        if state is not None:
            if any(key.startswith("block") for key in state):  # read from the Keras .h5 layout
                state = self._keras_to_paddle_keys(state)
            self._load(state, weights_file)

        for param in self.parameters():
            param.stop_gradient = True  # frozen: only the generator is trained
        c = INPUT_CONVENTIONS[convention]
        # x_vgg = (x01 * range - mean) / std per channel, in the weights' channel order.
        scale = paddle.to_tensor([c["range"] / s for s in c["std"]], dtype="float32").reshape([1, 3, 1, 1])
        shift = paddle.to_tensor([m / s for m, s in zip(c["mean"], c["std"])], dtype="float32").reshape([1, 3, 1, 1])
        self.register_buffer("scale", scale, persistable=False)  # constants, not weights to save
        self.register_buffer("shift", shift, persistable=False)
        self.bgr = c["bgr"]
        self._force_eval()

    def _keras_to_paddle_keys(self, convs: dict) -> dict[str, np.ndarray]:
        """Keras layer names (block{B}_conv{I}) -> `features.<index>.weight/bias` of this network."""
        state = {}
        for index, (block, conv, layer) in enumerate(_walk(self.features)):
            if isinstance(layer, nn.Conv2D) and f"block{block}_conv{conv}" in convs:
                weight, bias = convs[f"block{block}_conv{conv}"]
                state[f"features.{index}.weight"], state[f"features.{index}.bias"] = weight, bias
        return state

    def _load(self, state: dict[str, np.ndarray], path: Path) -> None:
        """Copy the needed `features.*` arrays in; extra keys (classifier, deeper layers) are ignored."""
        problems = []
        for name, param in self.named_parameters():
            if name not in state:
                problems.append(f"missing {name}")
            elif tuple(state[name].shape) != tuple(param.shape):
                problems.append(f"{name} has shape {tuple(state[name].shape)}, expected {tuple(param.shape)}")
            elif not np.all(np.isfinite(state[name])):
                problems.append(f"{name} holds NaN or Inf")
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            raise VGGWeightsError(f"VGG19 weights file {path} does not fit paddle.vision.models.vgg19 up to {self.layer}: {shown}")
        for name, param in self.named_parameters():
            param.set_value(state[name].astype("float32"))

    def describe(self) -> str:
        """Which VGG19 this is, for run records and model cards: the network and its file."""
        network = ("the paper's VGG19 (Simonyan & Zisserman's Caffe model via Keras Applications)"
                   if self.input_convention == "caffe" else "Paddle's ImageNet VGG19 (not the paper's network)")
        if self.weights_source == "random":
            network = "a RANDOM VGG19 (tests only)"
        cut = f"phi_{self.layer[3]},{self.layer[4]}" + (" before its ReLU" if self.before_activation else "")
        return f"{network}, {cut}: {self.weights_source}"

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

    def features_at(self, x, indices) -> dict:  # x: (N, 3, H, W), RGB in [-1, 1]
        """The outputs of the layers of `features` at `indices`, in one pass (a loss over several
        layers, srgan.losses.MultiLayerVGGLoss): index -> (N, C, H / 2^(i-1), W / 2^(i-1))."""
        self._force_eval()
        h, out = to_vgg_input(x, self.scale, self.shift, self.bgr), {}
        for index, layer in enumerate(self.features):
            h = layer(h)
            if index in indices:
                out[index] = h
        return out

    def forward(self, x):  # x: (N, 3, H, W), RGB in [-1, 1]
        self._force_eval()
        return self.features(to_vgg_input(x, self.scale, self.shift, self.bgr))  # (N, C, H / 2^(i-1), W / 2^(i-1))
