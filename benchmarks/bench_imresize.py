"""Speed of srgan.imresize on the data loader's workload: one 96x96x3 uint8 HR crop -> 24x24 LR.

Run: python benchmarks/bench_imresize.py   (prints microseconds per call)
"""

from __future__ import annotations

import timeit

import numpy as np

from srgan.imresize import imresize


def main(repeats: int = 5, number: int = 1000) -> None:
    crop = np.random.default_rng(0).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    imresize(crop, scale=0.25)  # fill the weight cache, as after the loader's first batch
    times = timeit.repeat(lambda: imresize(crop, scale=0.25), repeat=repeats, number=number)
    best = min(times) / number * 1e6
    median = sorted(times)[len(times) // 2] / number * 1e6
    print(f"imresize 96x96x3 uint8 -> 24x24x3: best {best:.1f} us, median {median:.1f} us per call")
    big = np.random.default_rng(0).integers(0, 256, (1356, 2040, 3), dtype=np.uint8)
    t = min(timeit.repeat(lambda: imresize(big, scale=0.25), repeat=3, number=1))
    print(f"imresize 2040x1356x3 uint8 (DIV2K size) -> 510x339: {t * 1e3:.1f} ms per call")


if __name__ == "__main__":
    main()
