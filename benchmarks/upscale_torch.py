"""The PyTorch peer of `srgan upscale`, a measuring stick for its whole-process time.

Reads a PNG, upscales it x4 with SRResNet-16 (the paper's generator, built with torch.nn layer
for layer like srgan.models: 9x9 head + PReLU, 16 residual blocks of conv-BN-PReLU-conv-BN,
conv-BN and the long skip, two x2 sub-pixel blocks, 9x9 tail) in torch eager mode with random
weights (speed does not depend on their values), and writes a PNG: the same work as `srgan
upscale IN -o OUT`, including the same tiling (tiles of at most --tile LR pixels made equal,
--tile-pad pixels of context, windows at the border shifted inwards; srgan.infer.tile_windows).
It imports neither srgan nor Paddle, and torch is never a dependency of the package: run it
with an interpreter that has torch, numpy and Pillow, e.g. a separate venv.

Run:  /path/to/venv-with-torch/bin/python benchmarks/upscale_torch.py IN.png -o OUT.png [--tile 128]

benchmarks/upscale_startup.md has the table of this peer against `srgan upscale`, and how it was
taken (pairs of whole processes, interleaved).
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import torch
from PIL import Image
from torch import nn


def conv(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2)


class Residual(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(conv(c, c, 3), nn.BatchNorm2d(c), nn.PReLU(c), conv(c, c, 3), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.body(x)


class Generator(nn.Module):
    """SRResNet: (N, 3, h, w) in [0, 1] -> (N, 3, 4h, 4w) in [-1, 1]."""

    def __init__(self, channels: int = 64, blocks: int = 16, scale: int = 4):
        super().__init__()
        c = channels
        self.head = nn.Sequential(conv(3, c, 9), nn.PReLU(c))
        self.body = nn.Sequential(*[Residual(c) for _ in range(blocks)], conv(c, c, 3), nn.BatchNorm2d(c))
        ups = []
        for _ in range(int(math.log2(scale))):  # one x2 sub-pixel block per factor 2
            ups += [conv(c, 4 * c, 3), nn.PixelShuffle(2), nn.PReLU(c)]
        self.upsample = nn.Sequential(*ups)
        self.tail = conv(c, 3, 9)

    def forward(self, lr):
        x = self.head(lr)
        return self.tail(self.upsample(x + self.body(x)))


def tile_windows(length: int, tile: int, pad: int) -> list[tuple[int, int, int, int]]:
    """(start, end, window_start, window_end) per tile along one axis: equal tiles of at most
    `tile` pixels, each seen with `pad` pixels of context, border windows shifted inwards."""
    if tile <= 0 or tile >= length:
        return [(0, length, 0, length)]
    count = math.ceil(length / tile)
    core = math.ceil(length / count)
    size = min(core + 2 * pad, length)
    windows = []
    for start in range(0, length, core):
        end = min(start + core, length)
        window_start = min(max(start - pad, 0), length - size)
        windows.append((start, end, window_start, window_start + size))
    return windows


def upscale(generator: nn.Module, lr: np.ndarray, *, scale: int, tile: int, pad: int) -> np.ndarray:
    """float32 (3, H, W) in [0, 1] -> float32 (3, scale*H, scale*W) in [-1, 1], tile by tile."""
    _, h, w = lr.shape
    s = scale
    out = np.empty((3, h * s, w * s), dtype=np.float32)
    for y0, y1, wy0, wy1 in tile_windows(h, tile, pad):
        for x0, x1, wx0, wx1 in tile_windows(w, tile, pad):
            window = torch.from_numpy(np.ascontiguousarray(lr[None, :, wy0:wy1, wx0:wx1]))
            sr = generator(window)[0].numpy()
            out[:, y0 * s : y1 * s, x0 * s : x1 * s] = sr[:, (y0 - wy0) * s : (y1 - wy0) * s, (x0 - wx0) * s : (x1 - wx0) * s]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--tile", type=int, default=128, help="LR tile side, 0 = whole image (default 128, as srgan upscale)")
    parser.add_argument("--tile-pad", type=int, default=16, help="LR context around each tile (default 16, as srgan upscale)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's, all cores)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    generator = Generator().eval()
    with Image.open(args.input) as im:
        rgb = np.asarray(im.convert("RGB"))
    lr = rgb.transpose(2, 0, 1).astype(np.float32) / 255.0
    with torch.inference_mode():
        sr = upscale(generator, lr, scale=4, tile=args.tile, pad=args.tile_pad)
    sr = np.rint(np.clip((sr + 1.0) * 127.5, 0, 255)).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(sr).save(args.output)


if __name__ == "__main__":
    main()
