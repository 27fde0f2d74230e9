"""Issue 25's lead: Paddle 3.x dygraph convolutions do not go through oneDNN (FLAGS_use_mkldnn
changes nothing in eager mode), but a `paddle.jit.to_static` program run with FLAGS_use_mkldnn=1
does, forward and backward. This probe measures a stack of 3x3 convs both ways and tries the
package's own layers under to_static + oneDNN, each case in its own process (a failing case may
crash its process: a segmentation fault is reported, not raised).

    python benchmarks/static_onednn_probe.py            # prints one line per case

Each line: the case, then "ok <ms> ms" (fastest of 5 forward+backward passes) or what failed.
Ratios count, not absolute times (other jobs share the CPU): compare the eager and static lines
of one run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CASES = {
    # name: (mode, network, input requires grad)
    "4 x conv3x3 64ch, eager": ("eager", "convs", True),
    "4 x conv3x3 64ch, to_static": ("static", "convs", True),
    "4 x conv3x3 64ch, loss inside to_static": ("static-loss", "convs", True),
    "4 x conv3x3 64ch, loss inside, eager": ("eager-loss", "convs", True),
    "1 x conv3x3, to_static, input without grad": ("static", "conv1", False),
    "conv + PReLU, to_static": ("static", "prelu", True),
    "conv + BN, to_static": ("static", "bn", True),
    "SRResNet-16 generator, to_static": ("static", "generator", False),
    "discriminator (BN), to_static": ("static", "discriminator", False),
}

CHILD = r'''
import sys, time, paddle
mode, network, grad = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
paddle.set_device("cpu")
nn = paddle.nn
if network == "generator":
    from srgan.models import Generator
    net, x = Generator(num_blocks=16, channels=64, global_skip=True), paddle.rand([16, 3, 24, 24])
elif network == "discriminator":
    from srgan.models import Discriminator
    net, x = Discriminator(), paddle.rand([16, 3, 96, 96])
else:
    layers = {"convs": [nn.Conv2D(64, 64, 3, padding=1) for _ in range(4)], "conv1": [nn.Conv2D(64, 64, 3, padding=1)],
              "prelu": [nn.Conv2D(64, 64, 3, padding=1), nn.PReLU()],
              "bn": [nn.Conv2D(64, 64, 3, padding=1), nn.BatchNorm2D(64)]}[network]
    net, x = nn.Sequential(*layers), paddle.rand([16, 64, 24, 24])
x.stop_gradient = not grad
net.train()
def loss_of(x):
    return net(x).mean()
if mode.endswith("-loss"):  # the loss computed inside the program
    run = paddle.jit.to_static(loss_of, full_graph=True) if mode.startswith("static") else loss_of
    def step():
        run(x).backward()
        net.clear_gradients()
else:
    run = paddle.jit.to_static(net, full_graph=True) if mode == "static" else net
    def step():
        (run(x) ** 2).mean().backward()
        net.clear_gradients()
step(); step()
times = []
for _ in range(5):
    start = time.perf_counter(); step(); times.append(time.perf_counter() - start)
print(f"ok {min(times) * 1e3:.0f} ms")
'''


def main() -> int:
    env = dict(os.environ, FLAGS_use_mkldnn="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
               GLOG_minloglevel="3", PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                                 os.environ.get("PYTHONPATH", "")]))
    import paddle

    print(f"paddle {paddle.__version__}, FLAGS_use_mkldnn=1, OMP_NUM_THREADS={env['OMP_NUM_THREADS']}")
    import tempfile

    child = Path(tempfile.mkdtemp(prefix="static-onednn-")) / "case.py"  # to_static reads its functions' source
    child.write_text(CHILD)
    for name, (mode, network, grad) in CASES.items():
        done = subprocess.run([sys.executable, str(child), mode, network, "1" if grad else "0"], env=env,
                              capture_output=True, text=True, timeout=900)
        if done.returncode == 0:
            result = done.stdout.strip().splitlines()[-1]
        elif done.returncode in (-11, 139) or "Segmentation fault" in done.stderr:
            result = "FAILS: segmentation fault"
        else:
            errors = [line.strip() for line in done.stderr.splitlines() if "Error" in line or "error" in line]
            result = "FAILS: " + (errors[-1][:140] if errors else f"exit {done.returncode}")
        print(f"{name:<46} {result}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
