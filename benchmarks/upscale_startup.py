"""`srgan upscale` as a whole process against its PyTorch peer: wall time, CPU time, peak RSS.

Lanes, each paired with the torch peer (benchmarks/upscale_torch.py) and run in turn, A B A B,
so that the ratio A/B is taken pair by pair and survives a machine whose speed drifts:
- `openvino-runtime`: `srgan upscale` on a cached export with OpenVINO's own runtime (the
  `openvino` package installed): Paddle is never imported.
- `paddle`: `srgan upscale` as without the `openvino` package (the interpreter is told the package
  is missing): Paddle imported, Paddle Inference's engine (OpenVINO inside Paddle 3.x, else oneDNN).

Two workloads: a 128x128 photo (-> 512x512, one tile) and 960x540 -> 3840x2160 (4K, tiled
with the default tile 128 + pad 16; the peer tiles the same way). Caches are warmed first (one
run of each lane), so the first-use export is not timed. Each process's figures are its own
(os.wait4): wall from start to exit, user + system CPU seconds, peak RSS.

Run:  python benchmarks/upscale_startup.py --torch-python /path/to/venv-with-torch/bin/python [--pairs 5]
benchmarks/upscale_startup.md has the table measured here and how.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SIZES = {"128": (128, 128), "4k": (540, 960)}
HIDE_OPENVINO = "import sys; sys.modules['openvino'] = None; from srgan.cli import main; sys.exit(main())"


def test_image(path: Path, h: int, w: int) -> None:
    """A smooth random photo-like image (bicubic-enlarged noise), as benchmarks/inference.py."""
    small = np.random.default_rng(0).integers(0, 256, (max(h // 8, 1), max(w // 8, 1), 3), dtype=np.uint8)
    Image.fromarray(np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))).save(path)


def run(cmd: list[str], env: dict) -> dict:
    """One whole process: wall seconds, CPU seconds (user + system) and peak RSS (MiB)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own figures
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.read().decode(errors='replace')}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch-python", required=True, help="an interpreter with torch, numpy and Pillow")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--lanes", nargs="+", default=["openvino-runtime", "paddle"], choices=["openvino-runtime", "paddle"])
    parser.add_argument("--weights", default="srresnet", help="srgan upscale --weights (default srresnet)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="srgan-startup-"))
    env = {**os.environ, "SRGAN_CACHE": str(work / "cache"), "PYTHONPATH": str(REPO)}
    srgan = {"openvino-runtime": [sys.executable, "-m", "srgan"], "paddle": [sys.executable, "-c", HIDE_OPENVINO]}
    print(f"{args.pairs} pairs per lane; load average {os.getloadavg()[0]:.1f} at the start; work folder {work}")
    print("| input | lane | wall s | CPU s | peak MiB | torch wall s | torch peak MiB | wall / torch (median of pairs) |")
    print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        image = work / f"in{size}.png"
        test_image(image, *SIZES[size])
        torch = [args.torch_python, str(REPO / "benchmarks" / "upscale_torch.py"), str(image), "-o", str(work / "torch.png")]
        for lane in args.lanes:
            cmd = srgan[lane] + ["upscale", str(image), "-o", str(work / f"{lane}.png"), "--overwrite", "--no-progress",
                                 "--weights", args.weights]
            run(cmd, env), run(torch, env)  # warm-up: exports, compiled models, file caches
            pairs = [(run(cmd, env), run(torch, env)) for _ in range(args.pairs)]
            med = lambda key, i: statistics.median(p[i][key] for p in pairs)  # noqa: E731
            ratio = statistics.median(a["wall"] / b["wall"] for a, b in pairs)
            print(f"| {size} | {lane} | {med('wall', 0):.2f} | {med('cpu', 0):.2f} | {med('peak', 0):.0f} | "
                  f"{med('wall', 1):.2f} | {med('peak', 1):.0f} | {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    main()
