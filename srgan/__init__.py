"""srgan-paddle: SRGAN (Ledig et al., CVPR 2017) in PaddlePaddle dygraph.

Public API (imported lazily, so `import srgan` and `srgan --help` stay fast):

    from srgan import Generator, Discriminator, load_generator, upscale
    from srgan import evaluate_benchmark, release_run
    from srgan.imresize import imresize
"""

from __future__ import annotations

import importlib
import warnings

# Paddle warns "No ccache found ... recompiling all source files may be required" when it is
# imported on a machine without ccache (a C++ build cache for compiling Paddle extensions,
# which srgan never does); no environment variable turns it off, so a filter does.
warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)

__version__ = "0.1.0"

_EXPORTS = {
    "Generator": "models",
    "Discriminator": "models",
    "count_parameters": "models",
    "Config": "config",
    "ModelConfig": "config",
    "DataConfig": "config",
    "TrainConfig": "config",
    "VGGFeatureExtractor": "vgg",
    "ContentLoss": "losses",
    "psnr": "metrics",
    "ssim_daala": "metrics",
    "ssim_matlab": "metrics",
    "rgb_to_y": "metrics",
    "Trainer": "train",
    "load_generator": "checkpoint",
    "save_generator": "checkpoint",
    "upscale": "infer",
    "Upscaler": "infer",
    "DygraphPredictor": "predict",
    "InferencePredictor": "predict",
    "evaluate_benchmark": "evaluate",
    "release_run": "release",
    "read_image": "image_io",
    "save_image": "image_io",
    "pick_device": "device",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'srgan' has no attribute {name!r}")


def __dir__():
    return __all__ + ["__version__"]
