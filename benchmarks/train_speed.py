"""Training throughput: samples/s of `Trainer.train_step` for both phases (paper Sec. 3.2).

Configurations, each on random tensors after a warm-up step:
    pretrain      phase 1, SRResNet (16 blocks, 64 channels), pixel MSE
    gan-mse       phase 2, G + D, content loss "mse" (SRGAN-MSE; runs offline)
    gan-vgg54     phase 2 with the VGG54 content loss (the paper's SRGAN): the paper's VGG19 when
                  srgan.vgg finds it ($SRGAN_SHARED/vgg19, ...), else random weights (same cost)
    gan-vgg-multi phase 2 with issue 23's five-layer perceptual loss (not in the paper; Paddle lanes only)

Every measured setting is a "lane": one worker process (or, for data parallel, one launcher
with its ranks) that builds the networks once and then runs one training step whenever the
parent asks. The parent asks the lanes in turn, A B C A B C ..., so that a drift of the
machine's speed (other jobs) hits all lanes alike, and it reports per lane the median wall
seconds per step, samples/s, CPU seconds per sample (process CPU time, all threads; for data
parallel the sum over the ranks), the peak RSS, and the median of the per-round ratios.

Lanes (--lanes, or built from --threads / --dp / --torch):
    paddle/t=N            Trainer.train_step in one process with N intra-op threads
    paddle/dp=N           N processes of 1 thread through paddle.distributed.launch (gloo),
                          the global batch split over the ranks, as `srgan train` under the
                          launcher does
    torch/t=N             the same networks and step in PyTorch eager (a measuring stick only:
                          torch is never a dependency of the package); needs torch in the
                          interpreter given by --torch-python (default: this one)
    .../stock-layers      nn.Conv2D's broadcast bias add and nn.PReLU's kernels instead of the
                          CPU fast paths of srgan.models (Conv2D, PReLU)
    .../plain-tail        experiment: G's tail conv through the plain conv2d kernel
    .../vgg-dygraph       the VGG content loss in dygraph (autograd through the VGG) instead
                          of the default on a CPU, Paddle Inference (srgan.vgg_inference)
    .../vgg-concat        experiment: the VGG content loss as one VGG pass over [SR; HR]
    .../vgg-fp32          the VGG content loss through Paddle Inference in float32 (the default
                          on CPUs without bfloat16; vgg_engine "inference")
    .../vgg-bf16          the same in bfloat16 (vgg_engine "inference-bf16", the default on CPUs
                          with AVX512_BF16 / AMX)
    .../NAME=VALUE        an environment variable of that lane's processes (upper-case NAME),
                          e.g. paddle/t=1/SRGAN_KEEP_FREED_MEMORY=0
    .../to-static, .../onednn   experiments, see below

Run:
    python benchmarks/train_speed.py                      # batch 16, 96 px HR, all three, 1 thread
    python benchmarks/train_speed.py --quick              # 1 timed step, pretrain + gan-mse
    python benchmarks/train_speed.py --torch --threads 1 2 --dp 2 --configs pretrain gan-vgg54
    python benchmarks/train_speed.py --lanes paddle/t=1 paddle/t=1/plain-tail --configs pretrain
    python benchmarks/train_speed.py --torch --torch-python /path/to/venv-with-torch/bin/python

Options (see --help) are experiments, none of them a Trainer setting; they stay so that the
measured table can be reproduced. Summary of what they showed on 2-core AVX-512 CPUs:
    SRGAN_MKL_AVX2=0        (a lane's environment) turns off srgan.device.mkl_avx2_on_amd: on
                            an AMD EPYC, Paddle's MKL then takes its generic path and a step
                            costs ~2x the CPU (phase 1 1.8x, phase 2 2.1x; sgemm 45 -> 110 GFLOP/s)
    vgg-dygraph             the VGG loss in dygraph instead of Paddle Inference: 1.36x the
                            phase-2 step at 1 thread (with stock-layers too: 1.50x phase 2,
                            1.31x phase 1 against the default; README "Training speed")
    stock-layers            nn.Conv2D's broadcast bias add and nn.PReLU: 1.3x the phase-1 step
    vgg-concat              21% slower phase-2 step: no fewer FLOPs, and HR's half of the VGG
                            backward is computed too; the HR branch under no_grad stays
    plain-tail              the stock conv2d for G's 64 -> 3 9x9 tail: ~6x dearer tail; a
                            phase-1 step took ~38% more CPU (Intel Xeon), 1.9x under data
                            parallel (AMD EPYC, MKL's AVX2 path). The default, models.TailConv,
                            is conv2d_transpose of the flipped kernel, also under data parallel
    --threads 2             worse on a shared 2-core machine (OpenMP threads spin against the
                            other processes; torch too); on an idle many-core machine set
                            OMP_NUM_THREADS before starting (Paddle defaults it to 1 when unset)
    --dp 2                  the way to use both cores for one run: 6-8% more CPU per sample than
                            one thread (gloo all-reduce), the rest turns into throughput
    README.md, "Training speed", has the table of --torch --threads 1 2 --dp 2
    --to-static             no gain alone (the time is in the conv kernels, not in Python)
    --to-static --onednn    3x faster but WRONG gradients on Paddle 3.x (legacy IR, set
                            FLAGS_enable_pir_api=0); crashes with PIR and on Paddle 2.6
    --bf16-probe            bfloat16 autocast is a no-op: no CPU bfloat16 conv2d kernel
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Paddle and torch are imported only inside the worker that needs them, so that a torch
# worker's memory and start-up hold no Paddle and the parent holds neither.
REPO = Path(__file__).resolve().parents[1]

CONFIGS = {
    "pretrain": dict(phase="pretrain"),
    "gan-mse": dict(phase="gan", content_loss="mse"),
    "gan-vgg54": dict(phase="gan", content_loss="vgg54", vgg_weights=None),
    "gan-vgg-multi": dict(phase="gan", content_loss="vgg-multi", vgg_weights=None),  # Paddle lanes only
}
PADDLE_OPTIONS = ("vgg-dygraph", "vgg-fp32", "vgg-bf16", "stock-layers", "plain-tail", "vgg-concat", "to-static", "onednn")
VGG_FEATURE_SCALE = 1.0 / 12.75  # the paper's rescale of VGG features (srgan.losses)
ADV_WEIGHT = 1e-3  # Eq. 3


# --- Paddle: the project's Trainer ----------------------------------------------------------
def build_trainer(name: str, hr_size: int, batch_size: int, out_dir: str, threads: int | None, vgg_engine: str = "auto"):
    """A Trainer with the paper's networks (B = 16, 64 channels, D for hr_size inputs).

    Args:
        name: a key of CONFIGS.
        hr_size: HR crop side in pixels.
        batch_size: the global batch (split over the ranks under data parallel).
        out_dir: the run folder (nothing is written by train_step).
        threads: intra-op CPU threads, None for Paddle's default.
        vgg_engine: TrainConfig.vgg_engine ("auto": Paddle Inference on the CPU).
    """
    from srgan.config import Config, DataConfig, ModelConfig, TrainConfig
    from srgan.train import Trainer
    from srgan.vgg import VGGWeightsError

    cfg = Config(
        model=ModelConfig(d_image_size=hr_size),
        data=DataConfig(hr_size=hr_size, batch_size=batch_size, num_workers=0),
        train=TrainConfig(out_dir=out_dir, visualdl=False, vgg_engine=vgg_engine, **CONFIGS[name]),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*random.*")  # the VGG19 random-weights warning
        try:
            trainer = Trainer(cfg, images=[], val_pairs=[], progress=False)
        except VGGWeightsError:  # no VGG19 weights here: random ones cost the same
            cfg.train.vgg_weights = "random"
            trainer = Trainer(cfg, images=[], val_pairs=[], progress=False)
    if threads:
        import paddle

        paddle.base.core.set_num_threads(threads)
    return trainer


def use_stock_layers() -> None:
    """Before the Trainer is built: the stock forward of nn.Conv2D and nn.PReLU for the layers
    that srgan.models gives a CPU fast path (the TailConv keeps its own)."""
    import paddle.nn as nn

    from srgan import models

    models.Conv2D.forward = nn.Conv2D.forward
    models.PReLU.forward = nn.PReLU.forward


def use_plain_tail(trainer) -> None:
    """Experiment: G's tail through the plain conv2d kernel (the stock path TailConv replaces)."""
    trainer.generator.tail.use_transposed = lambda x: False


def use_vgg_concat(trainer) -> None:
    """Experiment: one VGG forward over SR and HR concatenated along the batch, instead of SR
    with autograd and HR under no_grad. Same loss and gradients (HR's features are detached),
    one kernel call per layer instead of two, but the VGG backward now also computes the
    input gradient of the HR half (conv2d_grad works on the whole batch)."""
    import paddle
    import paddle.nn.functional as F

    from srgan.losses import VGG_FEATURE_SCALE as scale

    loss = trainer.content_loss

    def forward(sr, hr):
        features = loss.vgg(paddle.concat([sr, hr], axis=0)) * scale  # (2N, C, h, w)
        sr_features, hr_features = paddle.split(features, 2, axis=0)
        return F.mse_loss(sr_features, hr_features.detach())

    loss.forward = forward


def use_to_static(trainer, onednn: bool) -> None:
    """Run G, D and the VGG as static graphs (paddle.jit.to_static, AST mode), optionally with oneDNN.

    Dygraph never selects oneDNN kernels (FLAGS_use_onednn / FLAGS_use_mkldnn only reach
    static programs), so oneDNN needs to_static. Measured here only: see the report.
    """
    import paddle

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
    import paddle

    conv = paddle.nn.Conv2D(8, 8, 3, padding=1)
    with paddle.amp.auto_cast(dtype="bfloat16"):
        out = conv(paddle.rand([1, 8, 8, 8]))
    try:
        paddle.nn.functional.conv2d(paddle.rand([1, 8, 8, 8]).astype("bfloat16"), conv.weight.astype("bfloat16"))
        kernel = "has a bfloat16 conv2d kernel"
    except Exception as e:  # NotFound: kernel not registered
        kernel = f"no bfloat16 conv2d kernel ({str(e).splitlines()[0][:90]}...)"
    return f"auto_cast(bfloat16) conv output dtype {out.dtype}; this build {kernel}"


def paddle_worker(args, send, receive) -> None:
    """Build the Trainer (under the launcher: one rank of it) and run steps when asked.

    Under data parallel every rank has its own line to the parent, which sends each command to
    all ranks and adds up their replies: a rank never waits in a collective between steps (gloo
    would time out while the other lanes run).
    """
    import paddle

    from srgan.models import count_parameters

    options = set(args.options)
    engine = "dygraph" if options & {"vgg-dygraph", "vgg-concat", "to-static"} else "auto"  # those replace the VGG path
    engine = "inference" if "vgg-fp32" in options else "inference-bf16" if "vgg-bf16" in options else engine
    if "stock-layers" in options:
        use_stock_layers()
    with tempfile.TemporaryDirectory() as tmp:
        trainer = build_trainer(args.config, args.hr_size, args.batch_size, tmp, args.threads, engine)
    if "plain-tail" in options:
        use_plain_tail(trainer)
    if "vgg-concat" in options:
        use_vgg_concat(trainer)
    if "to-static" in options:
        use_to_static(trainer, onednn="onednn" in options)
    scale = trainer.cfg.model.scale
    rng = np.random.default_rng(trainer.rank)  # each rank its own crops, as in training
    per_rank = args.batch_size // trainer.world_size
    lr = paddle.to_tensor(rng.random((per_rank, 3, args.hr_size // scale, args.hr_size // scale), dtype=np.float32))
    hr = paddle.to_tensor(rng.random((per_rank, 3, args.hr_size, args.hr_size), dtype=np.float32) * 2 - 1)
    networks = {"generator": count_parameters(trainer.generator)}
    if trainer.discriminator is not None:
        networks["discriminator"] = count_parameters(trainer.discriminator)
        vgg = trainer.content_loss.vgg
        if vgg is not None:  # frozen: count all its weights
            networks["vgg"] = int(sum(p.numel().item() for p in vgg.parameters()))
    send({"framework": f"paddle {paddle.__version__}", "rank": trainer.rank, "parameters": networks})
    serve(send, receive, lambda: trainer.train_step(lr, hr))


def serve(send, receive, step) -> None:
    """Answer the parent: one timed `step()` (returning float losses) per "step" command, the
    peak RSS at "quit"."""
    while receive() == "step":
        wall0, cpu0 = time.perf_counter(), time.process_time()
        losses = step()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        send({"wall": wall, "cpu": cpu, "finite": bool(all(np.isfinite(v) for v in losses.values()))})
    send({"peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20})  # KiB -> GiB


# --- torch: the same networks and step, as a measuring stick -----------------------------------
def torch_networks(hr_size: int, with_vgg: bool):
    """SRResNet-16 (x4), the paper's discriminator for hr_size inputs and VGG19 up to phi_5,4,
    built with torch.nn layer for layer like srgan.models / srgan.vgg (random weights).

    Returns:
        (generator, discriminator, vgg or None), torch modules.
    """
    import torch
    from torch import nn

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from upscale_torch import Generator, conv  # the upscaling peer's SRResNet, one definition for both

    widths = [64, 64, 128, 128, 256, 256, 512, 512]
    layers = [conv(3, 64, 3), nn.LeakyReLU(0.2)]
    for i in range(1, 8):
        layers += [conv(widths[i - 1], widths[i], 3, stride=2 if i % 2 else 1), nn.BatchNorm2d(widths[i]), nn.LeakyReLU(0.2)]
    side = hr_size // 16
    discriminator = nn.Sequential(*layers, nn.Flatten(), nn.Linear(512 * side * side, 1024), nn.LeakyReLU(0.2), nn.Linear(1024, 1))

    vgg = None
    if with_vgg:  # VGG19 "features" up to the ReLU after conv5_4 (index 35), frozen
        plan = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512]
        modules, c_in = [], 3
        for item in plan:
            if item == "M":
                modules.append(nn.MaxPool2d(2, 2))
            else:
                modules += [nn.Conv2d(c_in, item, 3, padding=1), nn.ReLU()]
                c_in = item
        vgg = nn.Sequential(*modules).eval()
        for p in vgg.parameters():
            p.requires_grad_(False)
    torch.manual_seed(0)
    return Generator(), discriminator, vgg


def torch_worker(args, send, receive) -> None:
    """Trainer.train_step's computation for `args.config` in PyTorch eager, step by step."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads or 1)
    torch.manual_seed(0)
    phase = CONFIGS[args.config]["phase"]
    vgg_loss = CONFIGS[args.config].get("content_loss") == "vgg54"
    g, d, vgg = torch_networks(args.hr_size, with_vgg=vgg_loss)
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.9, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.9, 0.999))
    # The same per-channel affine input mapping as srgan.vgg (its cost, not its values, matters).
    vgg_scale, vgg_shift = torch.rand(1, 3, 1, 1) + 1.0, torch.rand(1, 3, 1, 1)
    rng = np.random.default_rng(0)
    lr = torch.from_numpy(rng.random((args.batch_size, 3, args.hr_size // 4, args.hr_size // 4), dtype=np.float32))
    hr = torch.from_numpy(rng.random((args.batch_size, 3, args.hr_size, args.hr_size), dtype=np.float32) * 2 - 1)

    def features(x):
        return vgg(((x + 1.0) / 2.0).flip(1) * vgg_scale - vgg_shift) * VGG_FEATURE_SCALE

    def bce(logits, label: float):
        return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))

    def step() -> dict:
        g.train()
        if phase == "pretrain":
            loss = F.mse_loss(g(lr), hr)
            loss.backward()
            opt_g.step()
            opt_g.zero_grad(set_to_none=False)
            return {"loss": float(loss)}
        d.train()
        for p in d.parameters():  # D frozen for the G update, as Trainer.gan_step
            p.requires_grad_(False)
        sr = g(lr)
        if vgg is None:
            content = F.mse_loss(sr, hr)
        else:
            with torch.no_grad():
                target = features(hr)
            content = F.mse_loss(features(sr), target)
        loss_g = content + ADV_WEIGHT * bce(d(sr), 1.0)
        loss_g.backward()
        opt_g.step()
        opt_g.zero_grad(set_to_none=False)
        for p in d.parameters():
            p.requires_grad_(True)
        real, fake = d(hr), d(sr.detach())
        loss_d = bce(real, 1.0) + bce(fake, 0.0)
        loss_d.backward()
        opt_d.step()
        opt_d.zero_grad(set_to_none=False)
        return {"loss_g": float(loss_g), "loss_d": float(loss_d), "d_real": float(torch.sigmoid(real).mean())}

    count = lambda m: int(sum(p.numel() for p in m.parameters()))  # noqa: E731 (BN statistics are buffers)
    networks = {"generator": count(g)}
    if phase == "gan":
        networks["discriminator"] = count(d)
        if vgg is not None:
            networks["vgg"] = count(vgg)
    send({"framework": f"torch {torch.__version__}", "rank": 0, "parameters": networks})
    serve(send, receive, step)


def worker_main(args) -> None:
    """A lane's process (or data-parallel rank): connect to the parent, build, step on request
    (JSON lines over TCP)."""
    sock = socket.create_connection(("127.0.0.1", args.port), timeout=None)
    stream = sock.makefile("rw", encoding="utf-8", newline="\n")

    def send(message: dict) -> None:
        stream.write(json.dumps(message) + "\n")
        stream.flush()

    def receive() -> str:
        line = stream.readline()
        return line.strip() or "quit"  # the parent went away: stop

    (torch_worker if args.worker == "torch" else paddle_worker)(args, send, receive)


# --- the parent: lanes, asked in turn -------------------------------------------------------
@dataclass
class Lane:
    """One measured setting: a framework, its threads or data-parallel processes, options."""

    framework: str  # "paddle" or "torch"
    threads: int = 1
    dp: int = 0  # > 1: data parallel over this many 1-thread processes
    options: tuple = ()
    env: tuple = ()  # (NAME, VALUE) pairs for the lane's processes
    walls: list = field(default_factory=list)
    cpus: list = field(default_factory=list)

    @classmethod
    def parse(cls, spec: str) -> "Lane":
        """'paddle/t=2', 'paddle/dp=2', 'torch/t=1', 'paddle/t=1/plain-tail', 'paddle/X=1' -> Lane."""
        framework, *parts = spec.split("/")
        if framework not in ("paddle", "torch"):
            raise ValueError(f"lane {spec!r}: framework must be paddle or torch")
        lane = cls(framework)
        for part in parts:
            key, _, value = part.partition("=")
            if key == "t" and value.isdigit():
                lane.threads = int(value)
            elif key == "dp" and value.isdigit() and framework == "paddle":
                lane.dp = int(value)
            elif key in PADDLE_OPTIONS and framework == "paddle" and not value:
                lane.options += (key,)
            elif key.isupper() and part.count("=") >= 1:
                lane.env += ((key, value),)
            else:
                raise ValueError(f"lane {spec!r}: unknown part {part!r} (t=N, dp=N for paddle, NAME=VALUE, or one of {PADDLE_OPTIONS})")
        return lane

    @property
    def cores(self) -> int:
        return self.dp if self.dp > 1 else self.threads

    def label(self) -> str:
        base = f"{self.framework} dp={self.dp}x1t" if self.dp > 1 else f"{self.framework} t={self.threads}"
        return base + "".join(f" +{o}" for o in self.options) + "".join(f" {k}={v}" for k, v in self.env)


class LaneProcess:
    """The running worker(s) of one lane and a TCP line to each of its processes."""

    def __init__(self, lane: Lane, args, config: str, hr_size: int, tmp: Path, python: str):
        self.lane = lane
        server = socket.create_server(("127.0.0.1", 0))
        server.settimeout(1.0)
        threads = 1 if lane.dp > 1 else lane.threads
        worker_args = [str(Path(__file__).resolve()), "--worker", lane.framework, "--port", str(server.getsockname()[1]),
                       "--config", config, "--hr-size", str(hr_size), "--batch-size", str(args.batch_size),
                       "--threads", str(threads), "--device", args.device, *(["--options", *lane.options] if lane.options else [])]
        # Thread counts must be in the environment before the framework loads its OpenMP / MKL.
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])), **dict(lane.env)}
        self.log = tmp / f"lane-{id(self)}.log"
        if lane.dp > 1:
            env["PADDLE_DISTRI_BACKEND"] = "gloo"  # CPU collectives, also on a GPU build
            cmd = [python, "-m", "paddle.distributed.launch", "--nproc_per_node", str(lane.dp), "--log_dir", str(tmp / f"dp-{id(self)}"), *worker_args]
        else:
            cmd = [python, *worker_args]
        self.dp_logs = tmp / f"dp-{id(self)}"
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.streams = []
        while len(self.streams) < max(1, lane.dp):  # one line per process (rank)
            try:
                conn, _ = server.accept()
            except socket.timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{lane.label()}: worker exited before connecting\n{self.tail()}") from None
                continue
            conn.settimeout(None)
            self.streams.append(conn.makefile("rw", encoding="utf-8", newline="\n"))
        server.close()
        infos = self._read_all()
        self.info = next(i for i in infos if i["rank"] == 0)

    def _read_all(self) -> list[dict]:
        replies = []
        for stream in self.streams:
            line = stream.readline()
            if not line:
                self.proc.wait(timeout=60)
                raise RuntimeError(f"{self.lane.label()}: worker stopped (exit {self.proc.returncode})\n{self.tail()}")
            replies.append(json.loads(line))
        return replies

    def tail(self) -> str:
        logs = [self.log, *sorted(self.dp_logs.glob("workerlog.*"))] if self.dp_logs.exists() else [self.log]
        return "".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:] for p in logs if p.exists())

    def ask(self, command: str) -> dict:
        """Send `command` to every process; their replies combined: the slowest wall time,
        the sum of CPU seconds and of peak RSS (and the largest one)."""
        for stream in self.streams:
            stream.write(command + "\n")
            stream.flush()
        replies = self._read_all()
        if "wall" in replies[0]:
            return {"wall": max(r["wall"] for r in replies), "cpu": sum(r["cpu"] for r in replies),
                    "finite": all(r["finite"] for r in replies)}
        return {"peak_rss_gib": sum(r["peak_rss_gib"] for r in replies), "largest_rss_gib": max(r["peak_rss_gib"] for r in replies)}

    def close(self) -> dict:
        result = self.ask("quit")
        self.proc.wait(timeout=120)
        return result


def torch_available(python: str) -> str | None:
    """torch's version in interpreter `python`, or None if it cannot import torch."""
    probe = subprocess.run([python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    return probe.stdout.strip() if probe.returncode == 0 else None


def run_config(config: str, hr_size: int, lanes: list[Lane], args, tmp: Path) -> None:
    """Start every lane's worker, step them in turn, print the table of this configuration."""
    for lane in lanes:
        lane.walls, lane.cpus = [], []
    procs, finals = [], {}
    try:
        for lane in lanes:
            python = args.torch_python if lane.framework == "torch" else sys.executable
            procs.append(LaneProcess(lane, args, config, hr_size, tmp, python))
        print(f"\n{config}, {hr_size} px, batch {args.batch_size}: parameters per network")
        for p in procs:
            print(f"  {p.lane.label():30s} {p.info['framework']:18s} "
                  + ", ".join(f"{k} {v:,}" for k, v in p.info["parameters"].items()))
        counts = {json.dumps(p.info["parameters"], sort_keys=True) for p in procs}
        if len(counts) > 1:
            print("  PARAMETER COUNTS DIFFER between lanes: the networks are not the same")
        start = time.time()
        for round_ in range(args.warmup + args.steps):
            for p in procs:
                r = p.ask("step")
                if not r["finite"]:
                    raise RuntimeError(f"{p.lane.label()}: non-finite losses")
                if round_ >= args.warmup:
                    p.lane.walls.append(r["wall"])
                    p.lane.cpus.append(r["cpu"])
            if round_ >= args.warmup and time.time() - start > args.max_seconds:
                break
        for p in procs:
            finals[id(p.lane)] = p.close()
    finally:
        for p in procs:
            if p.proc.poll() is None:
                os.killpg(p.proc.pid, 9)  # its own session: the launcher and its ranks too
    report(config, hr_size, lanes, finals, args.batch_size)


def report(config: str, hr_size: int, lanes: list[Lane], finals: dict, batch: int) -> None:
    """The table of one configuration; ratios are medians of the per-round ratios."""

    def partner(lane: Lane) -> Lane | None:  # the torch lane using as many cores
        torch_lanes = [t for t in lanes if t.framework == "torch"]
        same = [t for t in torch_lanes if t.threads == lane.cores]
        return (same or sorted(torch_lanes, key=lambda t: -t.threads) or [None])[0]

    def ratio(a: list, b: list) -> float:
        return statistics.median(x / y for x, y in zip(a, b))

    first = lanes[0]
    print(f"\n| {config} {hr_size} px, batch {batch} | s/step | samples/s | CPU s/sample | Paddle/torch s/step "
          f"| Paddle/torch CPU s/sample | vs {first.label()} s/step | peak RSS GiB | timed steps |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for lane in lanes:
        wall, cpu = statistics.median(lane.walls), statistics.median(lane.cpus)
        t = partner(lane) if lane.framework == "paddle" else None
        vs_torch = f"{ratio(lane.walls, t.walls):.2f} (vs {t.label()})" if t else "-"
        vs_torch_cpu = f"{ratio(lane.cpus, t.cpus):.2f}" if t else "-"
        final = finals.get(id(lane), {})
        rss = f"{final.get('peak_rss_gib', float('nan')):.2f}" + (f" ({lane.dp} procs)" if lane.dp > 1 else "")
        print(f"| {lane.label()} | {wall:.2f} | {batch / wall:.2f} | {cpu / batch:.3f} | {vs_torch} | {vs_torch_cpu} "
              f"| {ratio(lane.walls, first.walls):.2f} | {rss} | {len(lane.walls)} |", flush=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    p.add_argument("--hr-size", type=int, nargs="+", default=[96], help="HR crop side(s) (paper: 96)")
    p.add_argument("--batch-size", type=int, default=16, help="global batch (paper: 16)")
    p.add_argument("--steps", type=int, default=3, help="timed rounds per configuration (median reported)")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    p.add_argument("--max-seconds", type=float, default=600.0, help="stop timing a configuration after this long (>= 1 round)")
    p.add_argument("--quick", action="store_true", help="1 timed step, pretrain and gan-mse only")
    p.add_argument("--device", default="auto", help="Paddle device of single-process lanes")
    g = p.add_argument_group("lanes")
    g.add_argument("--lanes", nargs="+", default=None, help="explicit lanes, e.g. paddle/t=1 paddle/dp=2 torch/t=2 (see above)")
    g.add_argument("--threads", type=int, nargs="+", default=[1], help="a paddle lane (and with --torch a torch lane) per thread count")
    g.add_argument("--dp", type=int, default=0, help="add a paddle lane of N data-parallel 1-thread processes (gloo)")
    g.add_argument("--torch", action="store_true", help="add torch lanes: the same networks and step in PyTorch eager")
    g.add_argument("--torch-python", default=sys.executable, help="interpreter with torch for the torch lanes (default: this one)")
    g = p.add_argument_group("experiments (applied to every paddle lane)")
    g.add_argument("--plain-tail", action="store_true", help="G's tail conv through the plain conv2d kernel")
    g.add_argument("--to-static", action="store_true", help="paddle.jit.to_static for G, D, VGG")
    g.add_argument("--onednn", action="store_true", help="oneDNN kernels (needs --to-static; WRONG gradients, see report)")
    g.add_argument("--bf16-probe", action="store_true", help="only report whether bfloat16 autocast does anything on this CPU")
    w = p.add_argument_group("worker (internal)")
    w.add_argument("--worker", choices=["paddle", "torch"], help=argparse.SUPPRESS)
    w.add_argument("--port", type=int, help=argparse.SUPPRESS)
    w.add_argument("--config", choices=list(CONFIGS), help=argparse.SUPPRESS)
    w.add_argument("--options", nargs="*", default=[], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        args.hr_size, args.threads = args.hr_size[0], args.threads[0]
        return worker_main(args)
    if args.quick:
        args.steps, args.warmup = 1, 1
        args.configs = [c for c in args.configs if c != "gan-vgg54"] or ["pretrain"]
    if args.onednn and not args.to_static:
        p.error("--onednn needs --to-static: dygraph never selects oneDNN kernels")
    if args.bf16_probe:
        print(bf16_probe())
        return

    try:
        lanes = [Lane.parse(s) for s in args.lanes] if args.lanes else (
            [Lane("paddle", threads=t) for t in args.threads] + ([Lane("paddle", dp=args.dp)] if args.dp > 1 else [])
            + ([Lane("torch", threads=t) for t in sorted(set(args.threads) | ({args.dp} if args.dp > 1 else set()))] if args.torch else []))
    except ValueError as e:
        p.error(str(e))
    extra = tuple(o for o, on in (("plain-tail", args.plain_tail), ("to-static", args.to_static), ("onednn", args.onednn)) if on)
    for lane in lanes:
        if lane.framework == "paddle":
            lane.options = tuple(dict.fromkeys(lane.options + extra))
    if any(lane.framework == "torch" for lane in lanes):
        version = torch_available(args.torch_python)
        if version is None:
            print(f"torch is not installed for {args.torch_python}: running the Paddle lanes only (--torch-python names another interpreter)")
            lanes = [lane for lane in lanes if lane.framework == "paddle"]
    if not lanes:
        p.error("no lane to run")
    load = os.getloadavg()
    from srgan.machine import cpu_model  # imports no Paddle: the parent process holds neither framework

    print(f"{cpu_model()}; {os.cpu_count()} CPUs; load average {load[0]:.2f} at start; {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    print(f"lanes: {', '.join(lane.label() for lane in lanes)}; batch {args.batch_size}; warm-up {args.warmup}, "
          f"up to {args.steps} timed rounds, asked in turn")
    with tempfile.TemporaryDirectory() as tmp:
        for hr_size in args.hr_size:
            for config in args.configs:
                run_config(config, hr_size, lanes, args, Path(tmp))
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (other processes share the CPUs: compare ratios)")


if __name__ == "__main__":
    sys.exit(main())
