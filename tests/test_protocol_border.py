"""The paper's protocol removes a border of 4 pixels (= the scale) before PSNR and SSIM, in every
place a score is made: the benchmark table and cards (evaluate_benchmark) and the trainer's
validation, which picks best_generator.safetensors. The Set14 test pins it by 0.004 dB only;
here an upscaler that is exact inside the border and wrong on it tells 4 from 3 or 5."""

import math

import numpy as np
import pytest

from srgan.image_io import save_image
from srgan.metrics import psnr, ssim_daala, ssim_matlab


def _ringed(hr: np.ndarray, width: int) -> np.ndarray:
    """HR with its outer `width` pixels inverted: exact inside, as wrong as can be on the ring."""
    out = 255 - hr
    out[width:-width, width:-width] = hr[width:-width, width:-width]
    return out


def _oracle(pairs, width):
    """An upscaler that knows the HR of each LR and returns it with a wrong ring of `width` px."""
    hr_of = {lr.tobytes(): hr for lr, hr in pairs}
    return lambda lr: _ringed(hr_of[lr.tobytes()], width)


def _pairs(n=2):
    rng = np.random.default_rng(4)
    return [(rng.integers(0, 256, (9, 11, 3), dtype=np.uint8), rng.integers(0, 256, (36, 44, 3), dtype=np.uint8))
            for _ in range(n)]


def test_metric_defaults_drop_exactly_four_pixels():
    lr, hr = _pairs(1)[0]
    assert psnr(_ringed(hr, 4), hr) == math.inf
    assert ssim_daala(_ringed(hr, 4), hr) == pytest.approx(1.0, abs=1e-12)
    assert ssim_matlab(_ringed(hr, 4), hr) == pytest.approx(1.0, abs=1e-12)
    # one wrong ring inside the crop: MATLAB's 'valid' window sees it only in its Gaussian tail
    assert psnr(_ringed(hr, 5), hr) < 30
    assert ssim_daala(_ringed(hr, 5), hr) < 0.999 and ssim_matlab(_ringed(hr, 5), hr) < 1 - 1e-5


def test_benchmark_scores_drop_exactly_the_scale_in_pixels(tmp_path):
    from srgan.evaluate import evaluate_benchmark

    pairs = _pairs()
    for i, (lr, hr) in enumerate(pairs):
        save_image(tmp_path / "HR" / f"img_{i}.png", hr)
        save_image(tmp_path / "LR_bicubic_x4" / f"img_{i}.png", lr)
    inside = evaluate_benchmark(_oracle(pairs, 4), tmp_path)["mean"]  # the defaults, as `srgan evaluate` and release
    assert inside["psnr"] == math.inf and inside["ssim_daala"] == pytest.approx(1.0)
    wider = evaluate_benchmark(_oracle(pairs, 5), tmp_path)["mean"]
    assert wider["psnr"] < 30 and wider["ssim_daala"] < 0.99


def test_validation_drops_exactly_the_scale_in_pixels(tmp_path, monkeypatch):
    import srgan.train as train_module
    from srgan.config import quick
    from srgan.train import Trainer

    cfg = quick("pretrain")
    cfg.model.num_blocks, cfg.model.channels = 1, 8
    cfg.train.out_dir, cfg.train.visualdl = str(tmp_path / "run"), False
    pairs = _pairs()
    trainer = Trainer(cfg, images=[], val_pairs=[(f"v{i}", lr, hr) for i, (lr, hr) in enumerate(pairs)], progress=False)
    for width, exact in ((4, True), (5, False)):
        monkeypatch.setattr(train_module, "generator_upscaler", lambda generator, w=width: _oracle(pairs, w))
        metrics = trainer.validate()
        assert (metrics["psnr"] == math.inf) is exact, (width, metrics["psnr"])
