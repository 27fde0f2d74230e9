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


def test_ssims_default_to_the_paper_s_y_channel():
    """ssim_daala / ssim_matlab with no arguments: BT.601 Y, 4-pixel border (Sec. 3.1)."""
    from srgan.metrics import rgb_to_y

    rng = np.random.default_rng(8)
    hr = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    sr = np.clip(hr.astype(int) + rng.integers(-30, 31, hr.shape) + [12, -20, 5], 0, 255).astype(np.uint8)
    y_sr, y_hr = rgb_to_y(sr)[4:-4, 4:-4], rgb_to_y(hr)[4:-4, 4:-4]
    for metric in (ssim_daala, ssim_matlab, psnr):
        on_y = metric(y_sr, y_hr, crop_border=0, y_channel=False)
        assert metric(sr, hr) == pytest.approx(on_y, rel=1e-12), metric.__name__
        assert metric(sr, hr, crop_border=4, y_channel=False) != pytest.approx(on_y, rel=1e-3), metric.__name__


def test_colour_measures_and_chance_level_defaults():
    from srgan.metrics import colour_shift, colour_speckle, grid_share_chance

    rng = np.random.default_rng(6)
    hr = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    sr = hr.copy()
    sr[0] = 0  # a changed first row: the default (no border removed) must see it
    assert colour_shift(sr, hr) == colour_shift(sr, hr, crop_border=0) > 0
    assert colour_shift(sr, hr, crop_border=1) == 0
    assert colour_speckle(sr, hr) == pytest.approx(colour_speckle(sr, hr, crop_border=0), rel=1e-12)
    assert colour_speckle(sr, hr) != pytest.approx(colour_speckle(sr, hr, crop_border=1), rel=1e-6)
    assert grid_share_chance() == grid_share_chance(4, 32) == pytest.approx(1 / 63)


def test_too_small_images_are_refused_by_name():
    from srgan.metrics import crop_border, grid_contrast, grid_share

    for shape in ((8, 10), (10, 8), (8, 8)):  # exactly 2 * border in one dimension leaves nothing
        with pytest.raises(ValueError, match=r"cannot crop a 4-pixel border from a"):
            crop_border(np.zeros(shape), 4)
    assert crop_border(np.zeros((9, 9)), 4).shape == (1, 1)
    for measure in (grid_share, grid_contrast):
        with pytest.raises(ValueError, match=rf"^{measure.__name__}: the 16x16 image"):
            measure(np.zeros((16, 16)))
