"""Running a generator, the read side of deployment: predictors on numpy arrays, the exported
model files they read, and the choice of engine. srgan.export writes those files.

Every predictor has one interface: `predictor(lr) -> sr` on float32 arrays (N, 3, h, w) in
[0, 1] -> (N, 3, scale*h, scale*w) in [-1, 1], and the attributes `scale` and
`receptive_radius`. srgan.infer.Upscaler tiles images over either; evaluation, the trainer's
validation and the export check use the dygraph one.

Engines (build_predictor), fastest first on this project's CPU (`python
benchmarks/inference.py` measures their time and memory on yours):
- "openvino": the OpenVINO engine that Paddle Inference bundles (Paddle 3.x x86 CPU wheels);
  optional bfloat16 (`bf16=True`) on CPUs with bf16 instructions, at a few levels of 8-bit
  error. OpenVINO's own runtime (the `openvino` package, srgan.openvino_runtime) is never used
  here: it runs only in a process without Paddle (infer.paddle_free_export), because the two
  OpenVINO builds in one process crashed the unit suite (a segmentation fault).
- "inference": the exported graph run by Paddle Inference with oneDNN on CPU (CUDA,
  optionally TensorRT, on GPU): several times faster than dygraph on CPU.
- "dygraph": the Generator layer itself (DygraphPredictor). Slowest, needs only the weights.
- "auto": the first of "openvino" (CPU only), "inference", "dygraph" that works; a fallback
  is reported with a warning.

Paddle 2.6 and 3.x differ (see srgan.export): `.pdmodel` programs run with the old IR, PIR
`.json` programs with the new one; `Config.enable_memory_optim()` is only used for `.pdmodel`.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import paddle
import paddle.inference as pi
import paddle.nn as nn

from .atomic import file_digest, first_line, paddle_path
from .checkpoint import CheckpointError, load_generator
from .device import keep_freed_memory
from .export import EXPORT_FILES, export_generator
from .export_files import (META_FILE, PREFIX, NotWhole, cache_entry, check_written, compiled_cache_dir,  # noqa: F401 (srgan.predict's names)
                           default_cache_dir, is_export_meta, model_files, read_meta, verify_export)
from .machine import cpu_threads

ENGINES = ("auto", "inference", "dygraph", "openvino")


# --- the export cache of `srgan upscale` ------------------------------------------------------
def cached_export(weights: str | os.PathLike, *, cache_dir: str | os.PathLike | None = None, openvino: bool = False,
                  again: bool = False) -> Path:
    """Export a `.safetensors` generator once and reuse it: the directory is keyed by the
    file's SHA-256 and the Paddle version (2.6 and 3.x write different program formats;
    export_files.cache_entry). A cached export whose files differ from what it recorded (size
    or SHA-256) is exported again; so, with a warning, is one whose files are not whole
    (export_files.check_written: an older srgan wrote them under a file size limit, and its meta
    vouched for them) or that `again` says failed to load (build_predictor)."""
    weights = Path(weights)
    out_dir = cache_entry(weights, paddle.__version__, cache_dir=cache_dir, openvino=openvino)
    problem = "it failed to load" if again else None
    if not again:
        try:
            model_files(out_dir)
            verify_export(out_dir, digests=True)  # not there yet, or changed since: exported again (as ever)
            check_written(out_dir)
            return out_dir
        except NotWhole as e:  # cut short under a meta that vouched for it (said: it was a lasting failure)
            problem = f"{e.path.name}: {e.problem}"
        except (FileNotFoundError, ValueError):
            pass
    if problem is not None:
        warnings.warn(f"{out_dir}: the cached export is damaged ({problem}); exporting it again", stacklevel=2)
    if out_dir.is_dir() and not is_export_meta(out_dir / META_FILE):
        # the cache's own entry, whose meta is gone or damaged: its export files go, or
        # export_generator would take them for someone else's and refuse the folder for good
        for name in EXPORT_FILES:
            (out_dir / name).unlink(missing_ok=True)
    return export_generator(load_generator(weights), out_dir, openvino=openvino, source=str(weights.resolve()),
                            overwrite=True)


class ExportLoadError(ValueError):
    """Paddle Inference could not load an export folder (a damaged program or parameters file)."""


# --- predictors: the generator on numpy arrays --------------------------------------------------
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
    bundled = any((Path(paddle.__file__).parent / "libs").glob("libopenvino.so*"))
    return bundled and hasattr(pi.Config, "enable_openvino_engine")


class InferencePredictor:
    """An exported generator run by Paddle Inference: `predictor(lr) -> sr` on numpy arrays.

    Args:
        model_dir: a directory written by export.export_generator (or `srgan export`).
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
        cache_dir: OpenVINO only: srgan's cache folder, where OpenVINO keeps the compiled model
            (export_files.compiled_cache_dir; default export_files.default_cache_dir()).
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
        cache_dir: str | os.PathLike | None = None,
    ):
        self.model_dir = Path(paddle_path(model_dir, "export folder"))
        program, params = model_files(self.model_dir)
        # a truncated file is named here, not by Paddle's C++ loader; one damaged in place (same size) by its
        # SHA-256 (~10 ms for SRResNet-16): it ran and gave a wrong image (hostile s23)
        verify_export(self.model_dir, digests=True)
        check_written(self.model_dir)  # and one cut short before its meta was written (an older srgan)
        self.meta = read_meta(self.model_dir)
        self.scale = int(self.meta["scale"])
        self.receptive_radius = int(self.meta.get("receptive_radius", 0))  # 0: a model exported without it
        self.device, self.backend = device, backend if device == "cpu" else "gpu"
        if self.meta.get("openvino") and self.backend == "onednn":
            # Its graph (PReLU and pixel shuffle spelled out, old IR) crashes oneDNN's predictor
            # with a segmentation fault in Paddle 2.6 and 3.x alike: refused before it is built.
            fix = ("run it with the openvino engine (--engine openvino)" if openvino_available() else
                   f"paddle {paddle.__version__} has no OpenVINO engine: export it again without --openvino")
            raise ValueError(f"{self.model_dir}: exported for OpenVINO (--openvino), which Paddle Inference's oneDNN "
                             f"engine cannot run; {fix}")
        if bf16 and self.backend != "openvino":
            raise ValueError("bf16 is only supported by the OpenVINO backend (Paddle's oneDNN bf16 path gives wrong results)")
        if program.suffix == ".json" and int(paddle.__version__.split(".")[0]) < 3:
            # A PIR program (Paddle 3.x writes one) makes Paddle 2.6's predictor crash (a segmentation
            # fault): refused before it is built. Export on one machine, run on AI Studio's 2.6: common.
            raise ValueError(f"{self.model_dir}: exported with Paddle {self.meta.get('paddle', '3.x')} as a PIR program "
                             f"({program.name}), which Paddle {paddle.__version__} cannot read; export it again with "
                             "this Paddle (srgan export)")
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
                # OpenVINO's compiled model, keyed by the export's content, outside the user's export folder
                compiled = compiled_cache_dir(self.model_dir, self.meta, "paddle_openvino", paddle.__version__,
                                              "bf16" if bf16 else "f32", cache_dir=cache_dir)
                try:
                    compiled.mkdir(parents=True, exist_ok=True)  # Paddle creates only the last level
                    config.set_optim_cache_dir(str(compiled))
                except OSError:  # a read-only cache: OpenVINO compiles at every start instead
                    pass
            elif backend == "plain":
                config.disable_mkldnn()
            else:
                raise ValueError(f"unknown CPU backend {backend!r}: use 'onednn', 'openvino' or 'plain'")
        if old_ir:
            config.enable_memory_optim()  # reuses activation buffers: halves the peak on 2.6
        if profile:
            config.enable_profile()
        config.disable_glog_info()
        try:
            self.predictor = pi.create_predictor(config)
        except Exception as e:  # Paddle's C++ loader: "[json.exception.parse_error.101] ..." without a file name
            detail = first_line(e)
            raise ExportLoadError(f"{self.model_dir}: Paddle Inference could not load {program.name} ({detail}); "
                                  "export it again with `srgan export`") from e
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
    generator it came from (`srgan export` checks every export it writes), on a small random LR image (24x20): ~1e-6 when the export is right."""
    paddle.set_device("cpu")
    lr = np.random.default_rng(0).random((1, 3, 24, 20), dtype=np.float32)
    expected = DygraphPredictor(generator)(lr)
    predictor = InferencePredictor(model_dir, backend="openvino" if openvino else "onednn")
    return float(np.abs(predictor(lr) - expected).max())


# --- the engine --------------------------------------------------------------------------------
def check_engine(engine: str, *, bf16: bool = False, tensorrt: bool = False, device: str | None = None,
                 tile: int | None = None) -> None:
    """Refuse an unknown engine, bfloat16 with an engine that has none, or TensorRT where it
    would be ignored (not Paddle Inference, not a GPU, no tiles to size its engine), before any work."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    if bf16 and engine not in ("auto", "openvino"):
        raise ValueError(f"bf16 needs the OpenVINO engine, not {engine!r}")
    if tensorrt:
        if engine not in ("auto", "inference"):
            raise ValueError(f"tensorrt needs the inference engine, not {engine!r}")
        if device is not None and not device.startswith("gpu"):
            raise ValueError(f"tensorrt needs a GPU (CUDA), and this runs on {device!r}")
        if tile == 0:
            raise ValueError("tensorrt needs tiles (tile > 0): its engines are built for the tile's size")


def engine_candidates(engine: str, *, device: str, exported_dir: Path | None = None, bf16: bool = False) -> list[str]:
    """Engines to try in order. "auto" prefers the fastest measured on CPU (OpenVINO, then
    oneDNN; benchmarks/inference.py), then dygraph, which always works; an export folder runs
    with the engine it was exported for, bf16 with OpenVINO only."""
    if engine != "auto":
        return [engine]
    if bf16:
        return ["openvino"]
    if exported_dir is not None:
        return ["openvino" if read_meta(exported_dir).get("openvino") and openvino_available() else "inference"]
    return (["openvino"] if device == "cpu" and openvino_available() else []) + ["inference", "dygraph"]


def build_predictor(*, generator: nn.Layer | None = None, weights: Path | None = None, engine: str = "auto",
                    device: str = "cpu", cache_dir: str | os.PathLike | None = None, tensorrt_max_side: int | None = None,
                    bf16: bool = False):
    """A generator ready to run on arrays: the first engine of engine_candidates that works.

    Args:
        generator: a models.Generator in memory, or None for `weights`.
        weights: a generator `.safetensors` file or a folder from `srgan export` (checked
            already: infer.resolve_model); used when `generator` is None.
        engine: "auto", "inference", "openvino" or "dygraph" (ENGINES).
        device: the device picked (device.pick_device): "cpu", "gpu" or "gpu:N".
        cache_dir: where exports of weights files are kept (default default_cache_dir()).
        tensorrt_max_side: on GPU, TensorRT engines for inputs up to this side; None: none.
        bf16: OpenVINO's bfloat16 compute.

    Returns:
        (predictor, the engine's name). An engine that fails is reported with a warning and
        the next one tried; the last one's error is raised. Weights that do not fit the
        network (checkpoint.CheckpointError) are raised at once: no engine could run them.
    """
    exported_dir = weights if generator is None and weights.is_dir() else None
    candidates = engine_candidates(engine, device=device, exported_dir=exported_dir, bf16=bf16)
    for i, name in enumerate(candidates):
        try:
            if name == "dygraph":
                return _dygraph_predictor(generator, weights, device), name
            openvino, temporary = name == "openvino", None
            if generator is not None:  # exported to a temporary folder that lives as long as the predictor
                temporary = tempfile.TemporaryDirectory(prefix="srgan-export-")
                model_dir = export_generator(generator, Path(temporary.name) / "model", openvino=openvino)
            else:
                model_dir = exported_dir or cached_export(weights, cache_dir=cache_dir, openvino=openvino)
            options = dict(device=device, backend="openvino" if openvino else "onednn", cache_dir=cache_dir,
                           tensorrt_max_side=tensorrt_max_side, bf16=bf16)
            try:
                predictor = InferencePredictor(model_dir, **options)
            except ExportLoadError:
                if model_dir is exported_dir or temporary is not None:
                    raise  # the user's export folder (or one just written): named in the message
                # the cache's own entry, whole by its meta yet not loadable: exported again, once
                model_dir = cached_export(weights, cache_dir=cache_dir, openvino=openvino, again=True)
                predictor = InferencePredictor(model_dir, **options)
            predictor.temporary_export = temporary
            return predictor, name
        except CheckpointError:
            raise  # the weights do not fit the network: the user's file to fix, whatever the engine
        except Exception as e:
            if i == len(candidates) - 1:
                raise
            slower = " (much slower)" if candidates[i + 1] == "dygraph" else ""
            warnings.warn(f"engine {name!r} is unavailable ({type(e).__name__}: {e}); falling back to {candidates[i + 1]!r}{slower}",
                          stacklevel=3)


def _dygraph_predictor(generator: nn.Layer | None, weights: Path | None, device: str) -> DygraphPredictor:
    if device == "cpu":
        keep_freed_memory()  # dygraph re-allocates the same buffers for every tile (see device.py)
    if generator is None:
        if weights.is_dir():
            raise ValueError(f"{weights}: an exported model runs with engine 'inference' only; pass the .safetensors file for dygraph")
        generator = load_generator(weights)
    return DygraphPredictor(generator)
