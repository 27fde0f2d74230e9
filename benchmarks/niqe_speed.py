"""Speed of srgan.niqe on a 480x320 RGB image (the size of a BSD100 image), and its value on the
reference image ../shared/niqe/baboon.png (MATLAB: 5.72957338).

Run: python benchmarks/niqe_speed.py [--runs N]   (prints seconds per image, median of N runs)
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from skimage import data

from srgan.config import default_shared_dir
from srgan.niqe import load_pristine_model, niqe

MATLAB_BABOON = 5.72957338


def main(runs: int = 7) -> None:
    # A natural photograph (scikit-image's astronaut, 512x512) cropped to 320 rows x 480 columns.
    image = np.ascontiguousarray(data.astronaut()[96:416, 16:496])
    load_pristine_model()  # read the model once, outside the timing
    niqe(image)  # warm-up: fills imresize's weight cache, as after the first image of a set
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        value = niqe(image)
        times.append(time.perf_counter() - start)
    print(
        f"niqe {image.shape[1]}x{image.shape[0]} RGB: median {statistics.median(times):.4f} s per image "
        f"(min {min(times):.4f} s, {runs} runs); value {value:.4f}"
    )

    path = default_shared_dir() / "niqe" / "baboon.png"
    if path.is_file():
        from srgan.image_io import read_image

        baboon = niqe(read_image(path))
        diff = baboon - MATLAB_BABOON
        print(f"baboon.png: {baboon:.8f} (MATLAB {MATLAB_BABOON:.8f}, difference {diff:+.2e})")
    else:
        print(f"{path} is missing: set SRGAN_SHARED to report the baboon value")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs (median is reported)")
    main(parser.parse_args().runs)
