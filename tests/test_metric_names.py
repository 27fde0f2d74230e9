"""One list of metric names (srgan.metrics.METRICS) and one scorer (score_pair), used by the
trainer's validation, evaluate_benchmark and release; logs written before it still read (issue 24)."""

import json

import numpy as np
import pytest

from srgan.evaluate import bicubic_upscaler, evaluate_benchmark, format_table
from srgan.image_io import save_image
from srgan.imresize import imresize
from srgan.metrics import METRIC_NAMES, METRICS, VALIDATION_METRICS, psnr, score_pair, ssim_daala
from srgan.runs import LOG, read_log
from tiny import config as tiny_config
from tiny import images as tiny_images
from tiny import val_pairs as tiny_val_pairs


def _pair(size=128, seed=0):
    hr = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return imresize(imresize(hr, scale=0.25), scale=4), hr


def test_the_trainers_validation_logs_exactly_the_validation_metrics(tmp_path):
    from srgan.train import Trainer

    cfg = tiny_config(tmp_path / "run", steps=2, val_every=2, ckpt_every=2, log_every=1)
    metrics = Trainer(cfg, images=tiny_images(), val_pairs=tiny_val_pairs(), progress=False).fit()
    val = [r for r in read_log(tmp_path / "run" / LOG) if r["kind"] == "val"]
    assert len(val) == 1
    assert set(val[0]) == {"kind", "time", "step", *VALIDATION_METRICS}
    assert set(metrics) == {"step", *VALIDATION_METRICS}
    assert set(VALIDATION_METRICS) <= set(METRIC_NAMES)
    # The same scorer as evaluate: the logged PSNR / SSIM are the metrics' own on the one pair.
    sr_psnr, sr_ssim = val[0]["psnr"], val[0]["ssim_daala"]
    assert np.isfinite(sr_psnr) and 0 < sr_ssim <= 1


def test_score_pair_gives_every_named_metric_and_refuses_an_unknown_one():
    sr, hr = _pair()
    scores = score_pair(sr, hr)
    assert list(scores) == list(METRIC_NAMES)
    assert scores["psnr"] == psnr(sr, hr, crop_border=4) and scores["ssim_daala"] == ssim_daala(sr, hr, crop_border=4)
    assert all(scores[name] is not None for name in METRIC_NAMES)  # 128 px RGB: big enough for NIQE and the grid
    small = score_pair(sr[:32, :32], hr[:32, :32], names=("niqe", "grid_contrast", "psnr"))
    assert small["niqe"] is None and small["grid_contrast"] is None and small["psnr"] is not None
    with pytest.raises(ValueError, match="unknown metric 'lpips'"):
        score_pair(sr, hr, names=("psnr", "lpips"))


def test_evaluate_benchmark_and_its_table_follow_the_list(tmp_path):
    bench = tmp_path / "bench"
    _, hr = _pair(seed=1)
    save_image(bench / "HR" / "a.png", hr)
    save_image(bench / "LR_bicubic_x4" / "a.png", imresize(hr, scale=0.25))
    results = evaluate_benchmark(bicubic_upscaler(4), bench)
    assert list(results["mean"]) == list(METRIC_NAMES)
    assert set(results["images"][0]) == {"name", *METRIC_NAMES}
    header = format_table(results).splitlines()[2]
    assert [cell.strip() for cell in header.strip("|").split("|")][1:] == [m.heading for m in METRICS if m.table]
    # A score without a column (the book's tables are full) is on a line of `srgan evaluate` of its own.
    from srgan.evaluate import scores_off_the_table

    also = scores_off_the_table(results)
    assert all(f"{m.heading} {results['mean'][m.name]:.{m.digits}f}" in also for m in METRICS if not m.table)


def test_an_old_log_reads_with_todays_names(tmp_path):
    """Logs written before the one list called the Daala SSIM "ssim" (the shipped weights' logs do)."""
    log = tmp_path / "old_log.jsonl"
    records = [{"kind": "train", "step": 1, "loss": 0.1, "ssim": 0.3},  # not a validation record: left alone
               {"kind": "val", "step": 1, "psnr": 25.0, "ssim": 0.7},
               {"kind": "val", "step": 2, "psnr": 25.0, "ssim": 0.7, "ssim_daala": 0.8}]  # today's name wins
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    train, old, both = read_log(log)
    assert train == records[0]
    assert old == {"kind": "val", "step": 1, "psnr": 25.0, "ssim_daala": 0.7}
    assert both == records[2]


def test_the_shipped_logs_read_with_the_validation_names():
    from srgan.infer import shipped_weights

    for name in ("srresnet", "srgan"):
        log = shipped_weights(name).with_name(shipped_weights(name).stem + "_log.jsonl")
        if not log.is_file():
            pytest.skip(f"{log}: not shipped here")
        val = [r for r in read_log(log) if r["kind"] == "val"]
        assert val and all("ssim_daala" in r and "ssim" not in r for r in val)
