"""Upscaling speed and memory: dygraph (stock, and with the repository's TailConv) vs
Paddle Inference (oneDNN, OpenVINO float32 and bfloat16).

Two workloads, each through srgan.infer.Upscaler (what `srgan upscale` runs, tiling and
uint8 conversion included): one 128x128 -> 512x512 image (a single tile), and a 960x540 ->
3840x2160 (4K) output (tiled, --tile 128 --tile-pad 16 by default). Every (engine, workload)
runs in a fresh process, so the peak RSS printed is that run's own.

Run:  PYTHONPATH=. python benchmarks/inference.py [--weights FILE] [--skip-dygraph-4k] [--seams]
      PYTHONPATH=. python benchmarks/inference.py --profile      (where the time goes)

Without --weights it uses weights/srresnet_x4.safetensors if present, else a randomly
initialised SRResNet-16 (speed does not depend on the weight values). The machine's load is
printed: numbers taken next to other jobs are slower than on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORKLOADS = {"128x128 -> 512x512": (128, 128), "960x540 -> 3840x2160 (4K)": (540, 960)}
ENGINES = ("dygraph-stock", "dygraph", "inference", "openvino", "openvino-bf16")
ENGINE_NAMES = {"dygraph-stock": "dygraph, stock Paddle conv", "dygraph": "dygraph, repo (TailConv)",
                "inference": "Paddle Inference + oneDNN", "openvino": "Paddle Inference + OpenVINO",
                "openvino-bf16": "OpenVINO, bf16 (opt-in)"}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads: unlike wall time, it barely
    changes when other jobs share the cores, so it shows the kernels' own efficiency."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def test_image(h: int, w: int) -> np.ndarray:
    """A smooth random photo-like uint8 image (bicubic-enlarged noise)."""
    from PIL import Image

    small = np.random.default_rng(0).integers(0, 256, (max(h // 8, 1), max(w // 8, 1), 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))


def generator_gflop(generator, h: int, w: int) -> float:
    """Multiply-adds x 2 of all convolutions for an h x w LR input (the bulk of the work)."""
    total, res = 0.0, 1

    def conv(c, r):
        k = c._kernel_size[0] * c._kernel_size[1]
        return 2.0 * c._in_channels * c._out_channels * k * (h * r) * (w * r)

    total += conv(generator.head, 1) + conv(generator.body_conv, 1)
    total += sum(conv(b.conv1, 1) + conv(b.conv2, 1) for b in generator.body)
    for block in generator.upsample:
        total += conv(block.conv, res)
        res *= 2
    total += conv(generator.tail, res)
    return total / 1e9


# --- one measurement, in its own process ---------------------------------------------------
def child(engine: str, workload: str, weights: str, tile: int, tile_pad: int, repeats: int, profile: bool) -> dict:
    from srgan.infer import Upscaler

    h, w = WORKLOADS[workload]
    image = test_image(h, w)
    if engine == "dygraph-stock":  # the baseline: every layer, the 9x9 tail too, through Paddle's conv2d
        from srgan.models import TailConv

        TailConv.use_transposed = staticmethod(lambda x: False)
    t0 = time.perf_counter()
    upscaler = Upscaler(weights=weights, engine=engine.replace("-bf16", "").replace("-stock", ""), device="cpu",
                        tile=tile, tile_pad=tile_pad, bf16=engine.endswith("-bf16"))
    if profile:  # a profiling predictor instead (its timings include the profiler's overhead)
        from srgan.predict import InferencePredictor

        upscaler.predictor = InferencePredictor(upscaler.predictor.model_dir, profile=True)
    setup = time.perf_counter() - t0
    runs = []  # (wall s, cpu s)
    for _ in range(repeats):
        c0, t0 = cpu_seconds(), time.perf_counter()
        out = upscaler(image)
        runs.append((time.perf_counter() - t0, cpu_seconds() - c0))
    assert out.shape == (4 * h, 4 * w, 3)
    best = min(runs)
    return {"engine": engine, "workload": workload, "setup_s": setup, "first_s": runs[0][0], "best_s": best[0],
            "cpu_s": min(c for _, c in runs), "output_mp": out.shape[0] * out.shape[1] / 1e6,
            "peak_rss_mb": peak_rss_mb(), "repeats": repeats, "threads": upscaler_threads(engine)}


def upscaler_threads(engine: str) -> int:
    from srgan.machine import cpu_threads

    return cpu_threads() if not engine.startswith("dygraph") else int(os.environ.get("OMP_NUM_THREADS", cpu_threads()))


def run_child(args, engine: str, workload: str, weights: str, repeats: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", engine, workload, "--weights", str(Path(weights).resolve()),
           "--tile", str(args.tile), "--tile-pad", str(args.tile_pad), "--repeats", str(repeats)] + (["--profile"] if args.profile else [])
    with tempfile.TemporaryDirectory() as cwd:  # the profiler writes profile.log into the working directory
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(REPO)})
    if args.profile:
        report = proc.stdout + proc.stderr
        start = report.find("Event Summary")
        print(report[start : report.find("Profiling Report", start)] if start >= 0 else report[-2000:])
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"engine": engine, "workload": workload, "error": tail}


# --- machine limit ----------------------------------------------------------------------------
def attainable_conv_gflops(threads: int) -> float:
    """GFLOP/s of one oneDNN 3x3 conv, 64 -> 64 channels on 256x256 (the body's layer shape)
    through Paddle Inference: what this CPU can do on this network's main operation."""
    import paddle

    from srgan.export import META_FILE, PREFIX
    from srgan.predict import InferencePredictor

    conv = paddle.nn.Conv2D(64, 64, 3, padding=1)
    conv.eval()
    with tempfile.TemporaryDirectory() as d:
        paddle.jit.save(conv, f"{d}/{PREFIX}", input_spec=[paddle.static.InputSpec([1, 64, 256, 256], "float32", "lr")])
        Path(d, META_FILE).write_text(json.dumps({"scale": 1}))
        predictor = InferencePredictor(d, threads=threads)
        x = np.random.default_rng(0).random((1, 64, 256, 256), dtype=np.float32)
        predictor(x)
        runs = []
        for _ in range(5):
            c0, t0 = cpu_seconds(), time.perf_counter()
            predictor(x)
            runs.append((time.perf_counter() - t0, cpu_seconds() - c0))
    flop = 2 * 64 * 64 * 9 * 256 * 256 / 1e9
    return flop / min(w for w, _ in runs), flop / min(c for _, c in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", default=None, help="generator .safetensors (default: shipped weights or random SRResNet-16)")
    parser.add_argument("--tile", type=int, default=128)
    parser.add_argument("--tile-pad", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (the best is reported; 4K dygraph runs once)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--workloads", default="small,4k", help="small (128x128 input) and/or 4k")
    parser.add_argument("--skip-dygraph-4k", action="store_true", help="stock dygraph 4K takes ~10 minutes and ~7 GB")
    parser.add_argument("--profile", action="store_true",
                        help="only print Paddle Inference + oneDNN's per-operator times (128x128 input), no speed table")
    parser.add_argument("--seams", nargs="?", const="", default=None, metavar="FOLDER",
                        help="also measure tiled vs untiled on a folder of LR images (default: Set14 LR if present)")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.seams == "":
        from srgan.config import default_shared_dir

        set14 = default_shared_dir() / "benchmarks" / "Set14" / "LR_bicubic_x4"
        args.seams = str(set14) if set14.is_dir() else ""
    if args.child:
        result = child(*args.child, args.weights, args.tile, args.tile_pad, args.repeats, args.profile)
        print(json.dumps(result), flush=True)
        return

    import paddle

    from srgan.checkpoint import load_generator, save_generator
    from srgan.machine import cpu_model, cpu_threads
    from srgan.predict import cached_export, openvino_available
    from srgan.infer import DEFAULT_WEIGHTS
    from srgan.models import Generator

    tmp = tempfile.TemporaryDirectory()
    weights = args.weights or (str(DEFAULT_WEIGHTS) if DEFAULT_WEIGHTS.is_file() else None)
    if weights is None:
        weights = f"{tmp.name}/random_srresnet16.safetensors"
        save_generator(Generator(), weights)
        print("weights: none shipped yet, using a random SRResNet-16 (same speed as trained weights)")
    else:
        print(f"weights: {weights}")
    generator = load_generator(weights)
    print(f"machine: {cpu_model()}, {cpu_threads()} cores usable, paddle {paddle.__version__}, python {platform.python_version()}, "
          f"nice {os.nice(0)}, load average {os.getloadavg()[0]:.2f} (other jobs running make every number slower)")
    for openvino in (False, True) if openvino_available() else (False,):
        t0 = time.perf_counter()
        cached_export(weights, openvino=openvino)  # warm the cache: setup times below exclude the export
        print(f"export{' (OpenVINO graph)' if openvino else ''}: {time.perf_counter() - t0:.1f} s (cached for later runs)")
    default = "openvino" if openvino_available() else "inference"
    print(f"`srgan upscale` on CPU uses engine auto = {ENGINE_NAMES[default]} with this wheel")
    peak_wall, peak_cpu = attainable_conv_gflops(cpu_threads())
    print(f"attainable: one 3x3 64->64 conv on 256x256 via oneDNN: {peak_wall:.0f} GFLOP/s wall on {cpu_threads()} threads, "
          f"{peak_cpu:.0f} GFLOP per CPU-second")

    if args.profile:  # only the per-operator table of the oneDNN predictor, 128x128 input
        print("Paddle Inference + oneDNN, 128x128 -> 512x512, per-operator times over the runs:")
        run_child(args, "inference", next(iter(WORKLOADS)), weights, args.repeats)
        return

    engines = [e for e in args.engines.split(",") if e]
    rows = []
    chosen = [name for name, key in zip(WORKLOADS, ("small", "4k")) if key in args.workloads.split(",")]
    for workload, (h, w) in WORKLOADS.items():
        if workload not in chosen:
            continue
        for engine in engines:
            if engine.startswith("openvino") and not openvino_available():
                rows.append({"engine": engine, "workload": workload, "error": f"not in this wheel (paddle {paddle.__version__})"})
                continue
            if engine.startswith("dygraph") and h > 128 and args.skip_dygraph_4k:
                rows.append({"engine": engine, "workload": workload, "error": "skipped (--skip-dygraph-4k)"})
                continue
            repeats = 1 if engine.startswith("dygraph") and h > 128 else args.repeats
            print(f"  running {engine} on {workload} ({repeats} run(s)) ...", file=sys.stderr, flush=True)
            rows.append(run_child(args, engine, workload, weights, repeats))

    print(f"\ntiles: {args.tile} + pad {args.tile_pad} LR px; times are the best of the runs; MP/s = output megapixels per "
          f"second; GFLOP/CPU-s = the network's conv work for the image (overlap of tiles not counted) per CPU-second")
    header = (f"{'workload':27} {'engine':28} {'setup s':>7} {'first s':>7} {'best s':>7} {'CPU s':>7} {'MP/s':>6} "
              f"{'GFLOP/CPU-s':>11} {'x stock':>7} {'x repo':>6} {'peak RSS MB':>11}")
    print(header)
    print("-" * len(header))
    for workload, (h, w) in WORKLOADS.items():
        stock, repo = (next((r["best_s"] for r in rows if r["workload"] == workload and r["engine"] == e and "best_s" in r), None)
                       for e in ("dygraph-stock", "dygraph"))
        for r in (r for r in rows if r["workload"] == workload):
            name = ENGINE_NAMES[r["engine"]]
            if "error" in r:
                print(f"{workload:27} {name:28} {r['error']}")
                continue
            per_cpu = generator_gflop(generator, h, w) / r["cpu_s"]
            x_stock, x_repo = (f"{base / r['best_s']:.1f}" if base else "-" for base in (stock, repo))
            print(f"{workload:27} {name:28} {r['setup_s']:7.2f} {r['first_s']:7.2f} {r['best_s']:7.2f} {r['cpu_s']:7.2f} "
                  f"{r['output_mp'] / r['best_s']:6.3f} {per_cpu:11.0f} {x_stock:>7} {x_repo:>6} {r['peak_rss_mb']:11.0f}")
    print(f"\nThe network does {generator_gflop(generator, 128, 128):.0f} GFLOP of convolutions for a 128x128 input. "
          f"With {args.tile}+{args.tile_pad} tiles the 4K image costs {tile_overhead(540, 960, args.tile, args.tile_pad):.2f}x "
          f"that of the image alone (overlapping context).")
    if args.seams is not None:
        seams(weights, args.seams, args.tile_pad)


def tile_overhead(h: int, w: int, tile: int, pad: int) -> float:
    from srgan.infer import tile_windows

    area = sum((y1 - y0) * (x1 - x0) for _, _, y0, y1 in tile_windows(h, tile, pad) for _, _, x0, x1 in tile_windows(w, tile, pad))
    return area / (h * w)


# --- seams: tiled vs untiled -----------------------------------------------------------------
def seams(weights: str, folder: str, default_pad: int, tile: int = 32) -> None:
    """Max |tiled - untiled| over a folder of LR images, for several pads. Small tiles (32)
    put many seams in each image, so this is harsher than the default tile of 128."""
    from srgan.image_io import list_images, read_image
    from srgan.infer import Upscaler, upscale_tiled

    upscaler = Upscaler(weights=weights, engine="inference", device="cpu", tile=0)
    files = list_images(folder) if folder else []
    images = [read_image(f) for f in files] or [test_image(96, 120), test_image(128, 80)]
    where = folder or "two synthetic images"
    pads = sorted({0, 4, 8, 12, default_pad, 24, upscaler.receptive_radius})
    worst = {p: [0.0, 0] for p in pads}
    for image in images:
        lr = image.transpose(2, 0, 1).astype(np.float32) / 255
        whole = upscale_tiled(upscaler.predictor, lr, scale=upscaler.scale, tile=0)
        whole8 = np.rint(np.clip((whole + 1) * 127.5, 0, 255))
        for p in pads:
            tiled = upscale_tiled(upscaler.predictor, lr, scale=upscaler.scale, tile=tile, tile_pad=p)
            worst[p][0] = max(worst[p][0], float(np.abs(tiled - whole).max()) * 127.5)  # [-1, 1] -> 8-bit levels
            worst[p][1] = max(worst[p][1], int(np.abs(np.rint(np.clip((tiled + 1) * 127.5, 0, 255)) - whole8).max()))
    print(f"\nseams: tiles of {tile} LR px vs the whole image, {len(images)} images from {where} "
          f"(receptive radius {upscaler.receptive_radius}):")
    print(f"{'tile_pad':>8} {'max |diff| (float, /255)':>25} {'max |diff| (uint8 levels)':>26}")
    for p in pads:
        print(f"{p:8d} {worst[p][0]:25.4f} {worst[p][1]:26d}{'   <- default' if p == default_pad else ''}")


if __name__ == "__main__":
    main()
