"""Tiny training data shared by the trainer tests (random images, no files)."""

import numpy as np

from srgan.imresize import imresize


def images(n=3, size=(40, 40)):
    """(name, uint8 RGB) training images."""
    rng = np.random.default_rng(0)
    return [(f"img{i}", rng.integers(0, 256, (*size, 3), dtype=np.uint8)) for i in range(n)]


def val_pairs():
    """One (name, LR, HR) validation triple, LR made with the MATLAB bicubic."""
    hr = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    return [("v", imresize(hr, scale=0.25), hr)]
