"""Write tests/data/shipped_expected.json: what the shipped generators make of one photo crop.

The offline check of tests/test_shipped_weights.py (it runs where ../shared's Set5 is missing):
a 128 px crop of scikit-image's `chelsea` photo (CC0, shipped with scikit-image), shrunk 4x with
the package's MATLAB bicubic, upscaled by each shipped model through the same path as the
model cards (evaluate.generator_upscaler, dygraph, whole image). Statistics, not a hash: float
rounding differs between Paddle versions and CPUs, so the test compares with tolerances:
PSNR and SSIM (Daala) against the crop, the per-channel means and the 8x8 grid of 16 px block
means of the output.

Run once after the shipped weights change (then the cards change too):
    python tests/data/make_shipped_expected.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

CROP = (80, 140, 128)  # top, left, size: the cat's eye and fur, textured and smooth parts
BLOCK = 16
OUT = Path(__file__).with_name("shipped_expected.json")


def crop_pair() -> tuple[np.ndarray, np.ndarray]:
    """(LR 32x32, HR 128x128) uint8 RGB from chelsea."""
    from skimage import data

    from srgan.imresize import imresize

    top, left, size = CROP
    hr = np.ascontiguousarray(data.chelsea()[top : top + size, left : left + size])
    return imresize(hr, scale=0.25), hr


def statistics(sr: np.ndarray, hr: np.ndarray) -> dict:
    """The numbers stored per model (and recomputed by the test)."""
    from srgan.metrics import psnr, ssim_daala

    h, w = sr.shape[:2]
    blocks = sr.astype(np.float64).reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK, 3).mean(axis=(1, 3))
    return {
        "psnr": psnr(sr, hr, crop_border=4),
        "ssim_daala": ssim_daala(sr, hr, crop_border=4),
        "channel_means": sr.reshape(-1, 3).mean(axis=0).tolist(),
        "block_means": np.round(blocks, 4).tolist(),
    }


def upscale(name: str, lr: np.ndarray) -> np.ndarray:
    from srgan.checkpoint import load_generator
    from srgan.evaluate import generator_upscaler
    from srgan.infer import shipped_weights

    return generator_upscaler(load_generator(shipped_weights(name)))(lr)


def main() -> None:
    import paddle

    from srgan.atomic import atomic_path, file_digest
    from srgan.infer import shipped_weights

    lr, hr = crop_pair()
    record = {"photo": "skimage.data.chelsea", "crop_top_left_size": list(CROP), "block": BLOCK,
              "made_with": f"paddle {paddle.__version__}", "models": {}}
    for name in ("srresnet", "srgan"):
        record["models"][name] = {"weights_sha256": file_digest(shipped_weights(name), "sha256"),
                                  **statistics(upscale(name, lr), hr)}
    with atomic_path(OUT) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
