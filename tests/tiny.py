"""Tiny training data and configs shared by the trainer tests (random images, no files)."""

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


def config(out_dir, phase="pretrain", **train):
    """The quick preset shrunk to a 1-block, 8-channel model on 16 px crops in batches of 2,
    writing to `out_dir`, with any TrainConfig field overridden by keyword."""
    from srgan.config import quick

    cfg = quick(phase)
    cfg.model.num_blocks, cfg.model.channels, cfg.model.d_channels, cfg.model.d_image_size = 1, 8, 8, 16
    cfg.data.hr_size, cfg.data.batch_size, cfg.data.num_workers = 16, 2, 0
    cfg.train.out_dir, cfg.train.visualdl = str(out_dir), False
    for k, v in train.items():
        setattr(cfg.train, k, v)
    return cfg
