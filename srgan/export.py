"""Deploying the generator: `paddle.jit.save` to a static graph, then Paddle Inference.

Dygraph runs one Python-dispatched kernel per layer, and Paddle's CPU convolutions go
through im2col + GEMM: stock, the final 9x9 convolution alone unfolds 64*81 values per
output pixel (5.4 GB for a 512x512 output; models.TailConv sidesteps that one layer in
dygraph). Paddle Inference runs the saved graph with oneDNN or OpenVINO instead: BN folded
into the convolutions, direct convolution kernels, fused activations: several times faster
than dygraph on a CPU, with bounded memory for a 4K output. `python benchmarks/inference.py`
measures both engines' time and peak memory (docs/EXPERIMENTS.md lists the numbers measured here).

Paddle 2.6 and 3.x differ here, and both are handled:
- `paddle.jit.save` writes `<prefix>.pdmodel` (program desc) on 2.6, `<prefix>.json` (PIR)
  on 3.x; both write `<prefix>.pdiparams`.
- 3.x runs PIR programs with the new IR; `.pdmodel` files are run with the old IR.
- `Config.enable_memory_optim()` halves the peak memory on 2.6, but is not implemented for
  PIR programs on 3.x (it raises), so it is only used for `.pdmodel` programs.

OpenVINO: Paddle 3.x wheels for x86 bundle OpenVINO, which runs `.pdmodel` programs (old IR
only). Its Paddle front end has no PReLU and no pixel shuffle, so `export_generator(...,
openvino=True)` saves an equivalent graph that spells them with ReLU, multiply, reshape and
transpose (tests check it equals the original).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .atomic import file_digest

PREFIX = "generator"
META_FILE = "srgan_export.json"


# --- export ------------------------------------------------------------------------------
class PReLUAsReLU(nn.Layer):
    """PReLU written as relu(x) - a * relu(-x), for runtimes without a PReLU op (OpenVINO)."""

    def __init__(self, prelu: nn.PReLU):
        super().__init__()
        self.weight = prelu._weight  # shared, not copied: (C,) slopes

    def forward(self, x):  # x: (N, C, H, W)
        a = paddle.reshape(self.weight, [1, -1, 1, 1])
        return F.relu(x) - a * F.relu(-x)


class PixelShuffleAsReshape(nn.Layer):
    """Sub-pixel shuffle (Shi et al. 2016) as reshape + transpose, same element order as
    nn.PixelShuffle: out[n, c, h*r + i, w*r + j] = in[n, c*r*r + i*r + j, h, w]."""

    def __init__(self, factor: int):
        super().__init__()
        self.r = factor

    def forward(self, x):  # x: (N, C*r*r, H, W)
        r = self.r
        n, c, h, w = paddle.shape(x)[0], x.shape[1] // (r * r), paddle.shape(x)[2], paddle.shape(x)[3]
        x = paddle.reshape(x, [n, c, r, r, h, w])
        x = paddle.transpose(x, [0, 1, 4, 2, 5, 3])  # (N, C, H, r, W, r)
        return paddle.reshape(x, [n, c, h * r, w * r])


def openvino_friendly(generator: nn.Layer) -> nn.Layer:
    """A copy of `generator` with PReLU and PixelShuffle replaced by equivalent basic ops."""
    generator = copy.deepcopy(generator)

    def swap(layer: nn.Layer) -> None:
        for name, child in list(layer.named_children()):
            if isinstance(child, nn.PReLU):
                setattr(layer, name, PReLUAsReLU(child))
            elif isinstance(child, nn.PixelShuffle):
                setattr(layer, name, PixelShuffleAsReshape(child._upscale_factor))
            else:
                swap(child)

    swap(generator)
    return generator


# The files export_generator writes into its folder: the only ones it ever replaces there.
EXPORT_FILES = {f"{PREFIX}.json", f"{PREFIX}.pdmodel", f"{PREFIX}.pdiparams", f"{PREFIX}.pdiparams.info", META_FILE}


def export_generator(generator: nn.Layer, out_dir: str | os.PathLike, *, openvino: bool = False, source: str | None = None,
                     overwrite: bool = False) -> Path:
    """Save the generator as a static graph with a dynamic input of shape (N, 3, H, W).

    Writes `generator.json` (Paddle 3.x) or `generator.pdmodel` (2.6, or `openvino=True`),
    `generator.pdiparams`, and `srgan_export.json` (scale, receptive radius, paddle version,
    source, each file's size and SHA-256) into `out_dir`. The files are built in a temporary
    folder beside it first, so an interrupted export leaves nothing half-written.

    Args:
        generator: a models.Generator; it is exported in eval mode (BN running statistics)
            and its training flag is restored afterwards.
        out_dir: destination folder: new, empty, or (with `overwrite`) an earlier export, whose
            export files are replaced while any other file in it is left alone. Any other
            non-empty folder is refused (srgan.outputs, rule 4): nothing is deleted.
        openvino: save an old-IR `.pdmodel` with PReLU and pixel shuffle spelled with basic
            ops, which OpenVINO can convert.
        source: where the weights came from (e.g. the .safetensors path), recorded in the meta.
        overwrite: replace the files of an earlier export in `out_dir`.

    Raises:
        outputs.OutputError: `out_dir` is a file, a non-empty folder that is not an export, or
            an earlier export without `overwrite`.
    """
    from .outputs import check_output_folder

    out_dir = check_output_folder(out_dir, owned=EXPORT_FILES, marker=META_FILE, overwrite=overwrite, what="export folder")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    was_training = generator.training
    generator.eval()
    try:
        layer = openvino_friendly(generator) if openvino else generator
        spec = [paddle.static.InputSpec([None, 3, None, None], "float32", "lr")]
        if openvino and hasattr(paddle, "pir_utils"):
            with paddle.pir_utils.OldIrGuard():  # OpenVINO's Paddle front end reads .pdmodel only
                paddle.jit.save(layer, str(tmp / PREFIX), input_spec=spec)
        else:
            paddle.jit.save(layer, str(tmp / PREFIX), input_spec=spec)
        meta = {
            "scale": int(generator.scale),
            "receptive_radius": generator.receptive_radius(),
            "openvino": openvino,
            "paddle": paddle.__version__,
            "source": source,
            "input": "lr: float32 (N, 3, H, W) in [0, 1]",
            "output": "sr: float32 (N, 3, scale*H, scale*W) in [-1, 1]",
            # what verify_export compares, so that a truncated or edited folder is named as such
            "files": {p.name: {"bytes": p.stat().st_size, "sha256": file_digest(p)} for p in sorted(tmp.iterdir())},
        }
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        if not out_dir.exists():
            os.replace(tmp, out_dir)  # a new folder: it appears whole
        else:
            _move_export_files(tmp, out_dir)
    finally:
        generator.train() if was_training else generator.eval()
        if tmp.exists():
            shutil.rmtree(tmp)  # our own temporary folder
    return out_dir


def _move_export_files(tmp: Path, out_dir: Path) -> None:
    """Put a finished export into an existing (empty or earlier-export) folder, touching only
    EXPORT_FILES. The meta goes first and comes back last, so that a folder interrupted halfway
    is not taken for a complete export."""
    (out_dir / META_FILE).unlink(missing_ok=True)
    new = {p.name for p in tmp.iterdir()}
    for name in sorted(EXPORT_FILES - new):  # e.g. an earlier .json program when this one is .pdmodel
        (out_dir / name).unlink(missing_ok=True)
    for name in sorted(new - {META_FILE}) + [META_FILE]:
        os.replace(tmp / name, out_dir / name)


def verify_export(model_dir: str | os.PathLike) -> None:
    """Raise ValueError naming the file if an export's files differ in size from what
    export_generator recorded (a truncated copy, a partial download). Exports made before
    the sizes were recorded are not checked."""
    model_dir = Path(model_dir)
    for name, info in read_meta(model_dir).get("files", {}).items():
        path = model_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing from the export; export again with `srgan export`")
        size = path.stat().st_size
        if size != info.get("bytes", size):
            raise ValueError(f"{path}: {size} bytes, but the export wrote {info['bytes']}; the folder is truncated or "
                             "damaged: export again with `srgan export`")


def model_files(model_dir: str | os.PathLike) -> tuple[Path, Path]:
    """(program file, params file) of an exported model: `.json` (PIR) or `.pdmodel`."""
    model_dir = Path(model_dir)
    params = model_dir / f"{PREFIX}.pdiparams"
    for suffix in (".json", ".pdmodel"):
        program = model_dir / f"{PREFIX}{suffix}"
        if program.is_file() and params.is_file():
            return program, params
    raise FileNotFoundError(f"{model_dir}: not an exported generator (no {PREFIX}.json/.pdmodel + {PREFIX}.pdiparams); run `srgan export`")


def read_meta(model_dir: str | os.PathLike) -> dict:
    """The `srgan_export.json` written by export_generator."""
    path = Path(model_dir) / META_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; the directory was not written by `srgan export`")
    try:
        meta = json.loads(path.read_text())
        int(meta["scale"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: damaged ({type(e).__name__}: {e}); export again with `srgan export`") from e
    return meta


# --- export cache for `srgan upscale` --------------------------------------------------------
def default_cache_dir() -> Path:
    """`$SRGAN_CACHE`, else `$XDG_CACHE_HOME/srgan`, else `~/.cache/srgan`."""
    if os.environ.get("SRGAN_CACHE"):
        return Path(os.environ["SRGAN_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "srgan"


def cached_export(weights: str | os.PathLike, *, cache_dir: str | os.PathLike | None = None, openvino: bool = False) -> Path:
    """Export a `.safetensors` generator once and reuse it: the directory is keyed by the
    file's SHA-256 and the Paddle version (2.6 and 3.x write different program formats)."""
    from .checkpoint import load_generator

    weights = Path(weights)
    key = f"{file_digest(weights)[:16]}-paddle{paddle.__version__}{'-openvino' if openvino else ''}"
    out_dir = Path(cache_dir or default_cache_dir()) / "inference" / key
    try:
        model_files(out_dir)
        verify_export(out_dir)
        return out_dir
    except (FileNotFoundError, ValueError):  # not there yet, or damaged: export (again) over our own cache entry
        return export_generator(load_generator(weights), out_dir, openvino=openvino, source=str(weights.resolve()),
                                overwrite=True)


# --- predictors: the generator on numpy arrays ----------------------------------------------
# Two engines with one interface: `predictor(lr) -> sr` on float32 arrays (N, 3, h, w) in [0, 1]
# -> (N, 3, scale*h, scale*w) in [-1, 1], and the attributes `scale` and `receptive_radius`.
# srgan.infer.Upscaler tiles images over either; evaluation and the export check use the dygraph one.
class DygraphPredictor:
    """The generator layer itself run on numpy arrays: `predictor(lr) -> sr`, as InferencePredictor.

    Args:
        generator: a models.Generator (or a copy with some layers swapped, as openvino_friendly
            makes). It may be one being trained: each call runs it in eval mode (BN with running
            statistics, paper Sec. 3.2, so tiles and images do not affect each other) under
            no_grad, and puts the caller's train/eval mode back.

    It runs on Paddle's current device (device.pick_device).
    """

    def __init__(self, generator: nn.Layer):
        self.generator = generator
        self.scale = int(generator.scale)
        self.receptive_radius = generator.receptive_radius()

    def __call__(self, lr: np.ndarray) -> np.ndarray:
        """lr: float32 (N, 3, h, w) in [0, 1] -> sr: float32 (N, 3, s*h, s*w) in [-1, 1]."""
        was_training = self.generator.training
        self.generator.eval()
        try:
            with paddle.no_grad():
                return self.generator(paddle.to_tensor(np.ascontiguousarray(lr, dtype=np.float32))).numpy()
        finally:
            if was_training:
                self.generator.train()


def openvino_available() -> bool:
    """Whether this Paddle wheel bundles the OpenVINO engine (Paddle 3.x x86 CPU wheels; not 2.6)."""
    import paddle.inference as pi

    bundled = any((Path(paddle.__file__).parent / "libs").glob("libopenvino.so*"))
    return bundled and hasattr(pi.Config, "enable_openvino_engine")


def cpu_threads() -> int:
    """CPU cores this process may use (respects taskset / container CPU sets)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class InferencePredictor:
    """An exported generator run by Paddle Inference: `predictor(lr) -> sr` on numpy arrays.

    Args:
        model_dir: a directory written by export_generator (or `srgan export`).
        device: "cpu", "gpu" or "gpu:N".
        backend: on CPU, "onednn" (default, fastest measured), "openvino" (needs a model
            exported with openvino=True and a Paddle 3.x wheel) or "plain" (Paddle's own
            kernels, for comparison).
        threads: CPU threads (default: all cores available to the process).
        tensorrt_max_side: on GPU, build TensorRT engines for inputs up to this side
            (the tile side plus twice the pad); None runs plain CUDA kernels.
        profile: print Paddle's per-operator time table when the predictor is destroyed
            (used by benchmarks/inference.py to show what bounds the speed).
        bf16: OpenVINO only: compute in bfloat16 where the CPU has it (AVX512-BF16, AMX).
            Less CPU time than float32, but outputs a few 8-bit levels away from it, so it is
            opt-in (benchmarks/inference.py measures the time, tests/test_export.py bounds the
            difference).
    """

    def __init__(
        self,
        model_dir: str | os.PathLike,
        *,
        device: str = "cpu",
        backend: str = "onednn",
        threads: int | None = None,
        tensorrt_max_side: int | None = None,
        profile: bool = False,
        bf16: bool = False,
    ):
        import paddle.inference as pi

        self.model_dir = Path(model_dir)
        program, params = model_files(self.model_dir)
        verify_export(self.model_dir)  # a truncated file is named here, not by Paddle's C++ loader
        self.meta = read_meta(self.model_dir)
        self.scale = int(self.meta["scale"])
        self.receptive_radius = int(self.meta.get("receptive_radius", 0))  # 0: a model exported without it
        self.device, self.backend = device, backend if device == "cpu" else "gpu"
        if bf16 and self.backend != "openvino":
            raise ValueError("bf16 is only supported by the OpenVINO backend (Paddle's oneDNN bf16 path gives wrong results)")
        config = pi.Config(str(program), str(params))
        old_ir = program.suffix == ".pdmodel"
        if old_ir and hasattr(config, "enable_new_ir"):
            config.enable_new_ir(False)
        if device.startswith("gpu"):
            config.enable_use_gpu(256, int(device.split(":")[1]) if ":" in device else 0)
            if tensorrt_max_side:  # not testable on the CPU-only development machine
                config.enable_tensorrt_engine(
                    workspace_size=1 << 30, max_batch_size=1, min_subgraph_size=3,
                    precision_mode=pi.PrecisionType.Float32, use_static=False, use_calib_mode=False,
                )
                side = int(tensorrt_max_side)
                config.set_trt_dynamic_shape_info({"lr": [1, 3, 8, 8]}, {"lr": [1, 3, side, side]}, {"lr": [1, 3, side, side]})
        else:
            config.disable_gpu()
            config.set_cpu_math_library_num_threads(threads or cpu_threads())
            if backend == "onednn":
                config.enable_mkldnn()
                # oneDNN caches one compiled kernel set per input shape; tiles all share one
                # shape, but many differently sized small images would otherwise grow the cache.
                config.set_mkldnn_cache_capacity(8)
            elif backend == "openvino":
                if not (old_ir and self.meta.get("openvino")):
                    raise ValueError(f"{self.model_dir}: OpenVINO needs a model exported with openvino=True")
                if not openvino_available():
                    raise RuntimeError(f"paddle {paddle.__version__} has no OpenVINO engine (it needs a Paddle 3.x CPU wheel)")
                config.enable_openvino_engine(pi.PrecisionType.Bfloat16 if bf16 else pi.PrecisionType.Float32)
                config.set_optim_cache_dir(str(self.model_dir / ("openvino_cache_bf16" if bf16 else "openvino_cache")))
            elif backend == "plain":
                config.disable_mkldnn()
            else:
                raise ValueError(f"unknown CPU backend {backend!r}: use 'onednn', 'openvino' or 'plain'")
        if old_ir:
            config.enable_memory_optim()  # reuses activation buffers: halves the peak on 2.6
        if profile:
            config.enable_profile()
        config.disable_glog_info()
        self.predictor = pi.create_predictor(config)
        self._input = self.predictor.get_input_handle(self.predictor.get_input_names()[0])
        self._output = self.predictor.get_output_handle(self.predictor.get_output_names()[0])

    def __call__(self, lr: np.ndarray) -> np.ndarray:
        """lr: float32 (N, 3, h, w) in [0, 1] -> sr: float32 (N, 3, s*h, s*w) in [-1, 1]."""
        lr = np.ascontiguousarray(lr, dtype=np.float32)
        self._input.reshape(list(lr.shape))
        self._input.copy_from_cpu(lr)
        self.predictor.run()
        return self._output.copy_to_cpu()


def check_export(generator, model_dir: str | os.PathLike, *, openvino: bool = False) -> float:
    """Max |difference| between an exported model (Paddle Inference on the CPU) and the dygraph
    generator it came from, on a small random LR image (24x20): ~1e-6 when the export is right."""
    paddle.set_device("cpu")
    lr = np.random.default_rng(0).random((1, 3, 24, 20), dtype=np.float32)
    expected = DygraphPredictor(generator)(lr)
    predictor = InferencePredictor(model_dir, backend="openvino" if openvino else "onednn")
    return float(np.abs(predictor(lr) - expected).max())
