"""Training throughput: samples/s of `Trainer.train_step` for both phases (paper Sec. 3.2).

Configurations, each on random tensors after a warm-up step:
    pretrain      phase 1, SRResNet (16 blocks, 64 channels), pixel MSE
    gan-mse       phase 2, G + D, content loss "mse" (SRGAN-MSE; runs offline)
    gan-vgg54     phase 2 with the VGG54 content loss (the paper's SRGAN): the paper's VGG19 when
                  srgan.vgg finds it ($SRGAN_SHARED/vgg19, ...), else random weights (same cost)

Run:
    python benchmarks/train_speed.py                      # batch 16, 96 px HR, all three
    python benchmarks/train_speed.py --quick              # 1 timed step, pretrain + gan-mse
    python benchmarks/train_speed.py --hr-size 96 64 --steps 5
    python benchmarks/train_speed.py --threads 2          # CPU threads for MKL / OpenMP

Options (see --help) are experiments, none of them a Trainer setting; they stay so that the
measured table can be reproduced. Summary of what they showed on a 2-core AVX-512 CPU:
    --conv-transpose-tail   G's 64 -> 3 9x9 tail conv as conv2d_transpose: same result, 6x
                            cheaper tail, ~38% less CPU per phase-1 step (belongs in models.py)
    --threads 2             worse on a shared 2-core machine (OpenMP threads spin against the
                            other processes); on an idle many-core machine set OMP_NUM_THREADS
                            before starting (Paddle only defaults it to 1 when it is unset)
    --to-static             no gain alone (the time is in the conv kernels, not in Python)
    --to-static --onednn    3x faster but WRONG gradients on Paddle 3.x (legacy IR, set
                            FLAGS_enable_pir_api=0); crashes with PIR and on Paddle 2.6
    --bf16-probe            bfloat16 autocast is a no-op: no CPU bfloat16 conv2d kernel
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np
import paddle
import paddle.nn.functional as F

from srgan.config import Config, DataConfig, ModelConfig, TrainConfig
from srgan.train import Trainer

CONFIGS = {
    "pretrain": dict(phase="pretrain"),
    "gan-mse": dict(phase="gan", content_loss="mse"),
    "gan-vgg54": dict(phase="gan", content_loss="vgg54", vgg_weights=None),
}


def build_trainer(name: str, hr_size: int, batch_size: int, out_dir: str, threads: int | None) -> Trainer:
    """A Trainer with the paper's networks (B = 16, 64 channels, D for hr_size inputs)."""
    cfg = Config(
        model=ModelConfig(d_image_size=hr_size),
        data=DataConfig(hr_size=hr_size, batch_size=batch_size, num_workers=0),
        train=TrainConfig(out_dir=out_dir, visualdl=False, **CONFIGS[name]),
    )
    from srgan.vgg import VGGWeightsError

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*random.*")  # the VGG19 random-weights warning
        try:
            trainer = Trainer(cfg, images=[], val_pairs=[], progress=False)
        except VGGWeightsError:  # no VGG19 weights here: random ones cost the same
            cfg.train.vgg_weights = "random"
            trainer = Trainer(cfg, images=[], val_pairs=[], progress=False)
    if threads:
        paddle.base.core.set_num_threads(threads)
    return trainer


# --- experiments (not Trainer settings; see the report in the module docstring) ---------
def use_conv_transpose_tail(trainer: Trainer) -> None:
    """Compute G's last conv (k9n3s1, 64 -> 3 channels) as the transposed conv of its flipped kernel.

    Same weights, same result (to float rounding), different kernel: Paddle's CPU conv2d
    unfolds the 64-channel input into a (64*81) x (H*W) matrix per image (191 MB at 96 px)
    and multiplies a 3-row weight matrix by it; conv2d_transpose multiplies first (243 rows)
    and folds the result.
    """
    tail = trainer.generator.tail

    def forward(x):
        kernel = tail.weight.transpose([1, 0, 2, 3]).flip([2, 3])  # (C_in, C_out, k, k), flipped
        return F.conv2d_transpose(x, kernel, tail.bias, padding=tail._padding)

    tail.forward = forward


def use_to_static(trainer: Trainer, onednn: bool) -> None:
    """Run G, D and the VGG as static graphs (paddle.jit.to_static, AST mode), optionally with oneDNN.

    Dygraph never selects oneDNN kernels (FLAGS_use_onednn / FLAGS_use_mkldnn only reach
    static programs), so oneDNN needs to_static. Measured here only: see the report.
    """
    if onednn:
        paddle.set_flags({"FLAGS_use_onednn" if paddle.__version__.startswith("3") else "FLAGS_use_mkldnn": True})
    trainer.g_train = paddle.jit.to_static(trainer.generator.forward, full_graph=True)
    if trainer.discriminator is not None:
        trainer.d_train = paddle.jit.to_static(trainer.discriminator.forward, full_graph=True)
        vgg = trainer.content_loss.vgg
        if vgg is not None:
            vgg.forward = paddle.jit.to_static(vgg.forward, full_graph=True)


def bf16_probe() -> str:
    """Does auto_cast(dtype='bfloat16') change a conv on this CPU build? (It needs a bf16 kernel.)"""
    conv = paddle.nn.Conv2D(8, 8, 3, padding=1)
    with paddle.amp.auto_cast(dtype="bfloat16"):
        out = conv(paddle.rand([1, 8, 8, 8]))
    try:
        paddle.nn.functional.conv2d(paddle.rand([1, 8, 8, 8]).astype("bfloat16"), conv.weight.astype("bfloat16"))
        kernel = "has a bfloat16 conv2d kernel"
    except Exception as e:  # NotFound: kernel not registered
        kernel = f"no bfloat16 conv2d kernel ({str(e).splitlines()[0][:90]}...)"
    return f"auto_cast(bfloat16) conv output dtype {out.dtype}; this build {kernel}"


# --- measurement -----------------------------------------------------------------------
def measure(trainer: Trainer, hr_size: int, batch_size: int, steps: int, warmup: int, max_seconds: float) -> dict:
    """Time train_step on random (LR, HR) batches: median wall and CPU seconds per step."""
    scale = trainer.cfg.model.scale
    lr = paddle.rand([batch_size, 3, hr_size // scale, hr_size // scale])
    hr = paddle.rand([batch_size, 3, hr_size, hr_size]) * 2 - 1
    for _ in range(warmup):
        trainer.train_step(lr, hr)
    walls, cpus = [], []
    start = time.time()
    while len(walls) < steps and (not walls or time.time() - start < max_seconds):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        losses = trainer.train_step(lr, hr)
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    if not all(np.isfinite(v) for v in losses.values()):
        raise RuntimeError(f"non-finite losses {losses}")
    wall = statistics.median(walls)
    return {"s_per_step": wall, "cpu_s_per_step": statistics.median(cpus), "samples_per_s": batch_size / wall, "timed_steps": len(walls)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    p.add_argument("--hr-size", type=int, nargs="+", default=[96], help="HR crop side(s) (paper: 96)")
    p.add_argument("--batch-size", type=int, default=16, help="paper: 16")
    p.add_argument("--steps", type=int, default=3, help="timed steps per configuration (median reported)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--max-seconds", type=float, default=45.0, help="stop timing a configuration after this long (>= 1 step)")
    p.add_argument("--quick", action="store_true", help="1 timed step, pretrain and gan-mse only")
    p.add_argument("--device", default="auto")
    g = p.add_argument_group("experiments")
    g.add_argument("--threads", type=int, default=None, help="CPU threads for MKL / OpenMP (Paddle's default is 1)")
    g.add_argument("--conv-transpose-tail", action="store_true", help="experiment: G's 64->3 9x9 conv as conv2d_transpose")
    g.add_argument("--to-static", action="store_true", help="experiment: paddle.jit.to_static for G, D, VGG")
    g.add_argument("--onednn", action="store_true", help="experiment: oneDNN kernels (needs --to-static; WRONG gradients, see report)")
    g.add_argument("--bf16-probe", action="store_true", help="only report whether bfloat16 autocast does anything on this CPU")
    args = p.parse_args(argv)
    if args.quick:
        args.steps, args.warmup = 1, 1
        args.configs = [c for c in args.configs if c != "gan-vgg54"] or ["pretrain"]
    if args.onednn and not args.to_static:
        p.error("--onednn needs --to-static: dygraph never selects oneDNN kernels")

    from srgan.device import pick_device

    device = pick_device(args.device)
    if args.bf16_probe:
        print(bf16_probe())
        return
    options = [name for name, on in (("conv-transpose-tail", args.conv_transpose_tail), ("to_static", args.to_static), ("oneDNN", args.onednn)) if on]
    print(f"paddle {paddle.__version__} on {device}; {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}")
    print(f"threads {args.threads or 'default'}; options: {', '.join(options) or 'none'}; batch {args.batch_size}; "
          f"warm-up {args.warmup}, up to {args.steps} timed steps")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for hr_size in args.hr_size:
            for name in args.configs:
                trainer = build_trainer(name, hr_size, args.batch_size, os.path.join(tmp, f"{name}-{hr_size}"), args.threads)
                if args.conv_transpose_tail:
                    use_conv_transpose_tail(trainer)
                if args.to_static:
                    use_to_static(trainer, args.onednn)
                r = measure(trainer, hr_size, args.batch_size, args.steps, args.warmup, args.max_seconds)
                rows.append((name, hr_size, r))
                print(f"{name:10s} {hr_size:3d} px: {r['s_per_step']:6.2f} s/step ({r['cpu_s_per_step']:.2f} CPU s), "
                      f"{r['samples_per_s']:6.2f} samples/s  [{r['timed_steps']} steps]", flush=True)
                del trainer
    print("\n| config | HR px | batch | s/step | CPU s/step | samples/s |")
    print("|---|---|---|---|---|---|")
    for name, hr_size, r in rows:
        label = name
        print(f"| {label} | {hr_size} | {args.batch_size} | {r['s_per_step']:.2f} | {r['cpu_s_per_step']:.2f} | {r['samples_per_s']:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
