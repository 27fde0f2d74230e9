"""An exported generator run by OpenVINO's own runtime: the `openvino` package, without Paddle.

`srgan upscale` spends most of a small image's wall time importing Paddle (seconds) and
building its predictor. When the `openvino` package is installed (an optional extra: `pip
install srgan-paddle[openvino]`) and the weights' OpenVINO export is already in the cache
(srgan.predict.cached_export wrote it on first use), srgan.infer.Upscaler runs that export
with this module's RuntimePredictor and never imports Paddle.

The export is the `.pdmodel` that srgan.export writes with `openvino=True`, read by OpenVINO's
Paddle front end. It is compiled once for this CPU and OpenVINO version, and the compiled model
is kept in srgan's cache folder (`<cache>/openvino_runtime/<key>.blob`, written
atomically with its SHA-256 in `.sha256`; export_files.compiled_cache_dir), never inside the export: an
`srgan export` folder is the user's, and a command adds nothing to it. Later runs import the blob instead of compiling. The blob is checked
against its digest before it is used: OpenVINO imports a damaged blob without complaint and
returns NaN. Its key covers the export files' digests, the OpenVINO version, the precision
and the CPU's model and flags.

Precision: OpenVINO computes in bfloat16 by default on CPUs that have it (AVX512-BF16, AMX),
a few 8-bit levels away from float32. RuntimePredictor asks for float32 unless bf16=True,
the same as Paddle Inference's OpenVINO engine (srgan.predict.InferencePredictor).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np

from .atomic import atomic_path
from .export_files import check_written, compiled_cache_dir, model_files, read_meta, verify_export
from .machine import cpu_fields, cpu_threads

BLOB_FOLDER = "openvino_runtime"


def runtime_installed() -> bool:
    """Whether the `openvino` package can be found (without importing it)."""
    return importlib.util.find_spec("openvino") is not None


class RuntimePredictor:
    """An OpenVINO export run by OpenVINO's own runtime: `predictor(lr) -> sr` on numpy arrays,
    like srgan.predict.InferencePredictor.

    Args:
        model_dir: a folder written by srgan.export.export_generator with openvino=True.
        bf16: compute in bfloat16 where the CPU has it (as InferencePredictor's bf16); float32
            otherwise.
        threads: CPU threads (default: all cores available to the process).
        cache_dir: srgan's cache folder, where compiled models are kept (default
            export_files.default_cache_dir()).

    Raises:
        ValueError / FileNotFoundError: the folder is not an OpenVINO export, or its files
            differ from what the export recorded (named).
        RuntimeError: OpenVINO could not read or compile it.
        ImportError: the `openvino` package is missing or broken.
    """

    def __init__(self, model_dir: str | os.PathLike, *, bf16: bool = False, threads: int | None = None,
                 cache_dir: str | os.PathLike | None = None):
        import openvino

        self.model_dir = Path(model_dir)
        self.meta = read_meta(self.model_dir)
        program, _ = model_files(self.model_dir)
        if not self.meta.get("openvino") or program.suffix != ".pdmodel":
            raise ValueError(f"{self.model_dir}: OpenVINO's runtime needs a model exported with openvino=True")
        self.scale = int(self.meta["scale"])
        self.receptive_radius = int(self.meta.get("receptive_radius", 0))
        self.version = openvino.__version__.split("-")[0]
        self.description = f"OpenVINO {self.version} runtime"
        precision = "bf16" if bf16 else "f32"
        config = {"INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": threads or cpu_threads()}
        core = openvino.Core()
        cpu = cpu_fields()
        blob = compiled_cache_dir(self.model_dir, self.meta, BLOB_FOLDER, openvino.__version__, precision,
                                  cpu.get("model name"), cpu.get("flags"), cache_dir=cache_dir).with_suffix(".blob")
        # Only what the export wrote, also when a compiled blob is there (its key is the digests the
        # export recorded, not the files'): a folder damaged since is named, not run.
        verify_export(self.model_dir, digests=True)
        compiled = _import_blob(core, blob, config)
        if compiled is None:
            check_written(self.model_dir)  # and only whole files (an older srgan's meta vouched for cut ones)
            compiled = core.compile_model(str(program), "CPU", config)
            _write_blob(compiled, blob)
        self._request = compiled.create_infer_request()

    def __call__(self, lr: np.ndarray) -> np.ndarray:
        """lr: float32 (N, 3, h, w) in [0, 1] -> sr: float32 (N, 3, s*h, s*w) in [-1, 1]."""
        lr = np.ascontiguousarray(lr, dtype=np.float32)
        return self._request.infer([lr])[0]  # a copy of the output tensor (share_outputs=False)


def _import_blob(core, blob: Path, config: dict):
    """The compiled model kept in `blob`, or None if there is none or it is damaged (said in a
    warning, and compiled again by the caller)."""
    digest_file = blob.with_name(blob.name + ".sha256")
    try:
        data, expected = blob.read_bytes(), digest_file.read_text().strip()
    except OSError:
        return None  # not compiled yet on this machine (or only half written: no digest yet)
    if hashlib.sha256(data).hexdigest() != expected:
        warnings.warn(f"{blob}: damaged (its SHA-256 differs from {digest_file.name}); compiling the model again")
        return None
    try:
        return core.import_model(data, "CPU", config)
    except RuntimeError as e:  # intact but not importable here (another build of the CPU plugin)
        warnings.warn(f"{blob}: OpenVINO could not import it ({(str(e).strip().splitlines() or [type(e).__name__])[-1]}); compiling the model again")
        return None


def _write_blob(compiled, blob: Path) -> None:
    """Keep a compiled model for the next run: the blob, then its digest (both atomic), so
    that a blob without a matching digest is never used. A folder that cannot be written (a
    read-only export) only costs the next run a compilation."""
    data = compiled.export_model()
    data = data.getvalue() if hasattr(data, "getvalue") else bytes(data)
    digest_file = blob.with_name(blob.name + ".sha256")
    try:
        digest_file.unlink(missing_ok=True)  # an earlier blob's digest must not vouch for this one
        with atomic_path(blob) as tmp:
            Path(tmp).write_bytes(data)
        with atomic_path(digest_file) as tmp:
            Path(tmp).write_text(hashlib.sha256(data).hexdigest() + "\n")
    except OSError:
        pass
