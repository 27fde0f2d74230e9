"""Deploying the generator, the write side: `paddle.jit.save` to a static graph that Paddle
Inference runs (srgan.predict, the read side, runs it and checks it).

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

import contextlib
import copy
import errno
import importlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .atomic import _umask, file_digest, paddle_path, remove_stale_temporaries, writer_tag
from .export_files import META_FILE, PREFIX, REPLACING, NotWhole, check_written, is_export_meta
from .interrupt import deferred_interrupts
from .outputs import OutputError, check_output_folder, make_folder
from .quiet import quiet_c_output


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


def check_export_folder(out_dir: str | os.PathLike, *, overwrite: bool) -> Path:
    """Rule 4 of srgan.outputs for an export folder: new, empty, or (with `overwrite`) an earlier
    export, recognised by the srgan_export.json that srgan wrote; raises outputs.OutputError."""
    return check_output_folder(out_dir, owned=EXPORT_FILES, marker=META_FILE, overwrite=overwrite, what="export folder",
                               recognise=is_export_meta)


class ExportWriteError(OSError):
    """paddle.jit.save wrote less than the export (a file size limit, a full disk): the message
    names the file; nothing was put in place."""


def _write_error(out_dir: Path, name: str | None, problem: str) -> ExportWriteError:
    where = out_dir / name if name else out_dir
    return ExportWriteError(f"{where}: writing failed ({problem}); nothing was exported")


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
        ValueError: `out_dir`'s path is not UTF-8 (atomic.paddle_path).
        ExportWriteError (an OSError): a file could not be written whole (a full disk, a file
            size limit that Paddle's C++ writers do not report: export_files.check_written);
            named, and nothing is put in place.
    """
    out_dir = check_export_folder(out_dir, overwrite=overwrite)
    new_folder = not out_dir.exists()
    paddle_path(out_dir, "export folder")  # paddle.jit.save would fail on its temporary folder with a traceback
    make_folder(out_dir.parent, output=out_dir)
    remove_stale_temporaries(out_dir, folders=True)  # the temporary folder of an export killed (SIGKILL) on the way
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.{writer_tag()}.", suffix=".tmp", dir=out_dir.parent))
    except OSError as e:  # a read-only folder: name the export folder, not our temporary one
        raise OutputError(f"{out_dir}: cannot write there ({e.strerror or e})") from None
    os.chmod(tmp, 0o777 & ~_umask())  # the folder it becomes is as readable as any other, not mkdtemp's 0700
    was_training = generator.training
    generator.eval()
    try:
        layer = openvino_friendly(generator) if openvino else generator
        spec = [paddle.static.InputSpec([None, 3, None, None], "float32", "lr")]
        old_ir = getattr(getattr(paddle, "pir_utils", None), "OldIrGuard", None)  # 3.x; 2.6 writes .pdmodel anyway
        try:
            # Paddle 3's jit.save logs "New Executor is Running." to stderr (glog INFO): quiet it
            with deferred_interrupts(), quiet_c_output(2), (old_ir() if openvino and old_ir is not None else contextlib.nullcontext()):
                paddle.jit.save(layer, str(tmp / PREFIX), input_spec=spec)  # OpenVINO's front end reads .pdmodel only
        except OSError as e:  # Python's writes (.pdmodel, .pdiparams.info) report errors: name the file
            raise _write_error(out_dir, Path(e.filename).name if e.filename else None, e.strerror or str(e)) from e
        # Paddle's C++ writers (.pdiparams, a PIR .json) report no error: a file size limit
        # (ulimit -f) cuts them short in silence. Check them before the meta vouches for them.
        elements = sum(int(value.size) for value in layer.state_dict().values())
        try:
            check_written(tmp, elements=elements)
        except NotWhole as e:
            raise _write_error(out_dir, e.path.name, f"{e.problem}; a file size limit (ulimit -f) or a full disk?") from None
        meta = {
            "scale": int(generator.scale),
            "receptive_radius": generator.receptive_radius(),
            "openvino": openvino,
            "paddle": paddle.__version__,
            "source": source,
            "input": "lr: float32 (N, 3, H, W) in [0, 1]",
            "output": "sr: float32 (N, 3, scale*H, scale*W) in [-1, 1]",
            # what predict.verify_export compares, so that a truncated or edited folder is named as such
            "files": {p.name: {"bytes": p.stat().st_size, "sha256": file_digest(p)} for p in sorted(tmp.iterdir())},
            # how many numbers the .pdiparams holds (export_files.check_written counts them): the
            # weights and the batch norms' running statistics, more than the trainable parameters
            "stored_values": elements,
        }
        try:
            (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        except OSError as e:
            raise _write_error(out_dir, META_FILE, e.strerror or str(e)) from e
        # Another export may have written the folder while this one ran (two at once: each replaced
        # the other's without --overwrite, hostile s23): checked again where the files go in.
        if new_folder:
            try:
                os.rename(tmp, out_dir)  # a new folder appears whole; refused if one with files is there now
            except OSError as e:
                if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                raise OutputError(f"{out_dir}: written by another command while this export ran; not replaced "
                                  "(--overwrite replaces an earlier export)") from None
        else:
            check_export_folder(out_dir, overwrite=overwrite)
            _move_export_files(tmp, out_dir)
    finally:
        generator.train() if was_training else generator.eval()
        if tmp.exists():
            shutil.rmtree(tmp)  # our own temporary folder
    return out_dir


def _move_export_files(tmp: Path, out_dir: Path) -> None:
    """Put a finished export into an existing (empty or earlier-export) folder, touching only
    EXPORT_FILES. The meta is first replaced by a marker that says the files are being replaced
    (export_files.REPLACING) and comes back last, so that a folder interrupted halfway is not
    taken for a complete export, but still for srgan's, which `--overwrite` may replace."""
    marker = tmp / ".replacing"
    marker.write_text(json.dumps(REPLACING) + "\n")
    os.replace(marker, out_dir / META_FILE)
    new = {p.name for p in tmp.iterdir()}
    for name in sorted(EXPORT_FILES - new):  # e.g. an earlier .json program when this one is .pdmodel
        (out_dir / name).unlink(missing_ok=True)
    for name in sorted(new - {META_FILE}) + [META_FILE]:
        os.replace(tmp / name, out_dir / name)


# Where the read side lived before srgan.predict (issue 24): the old names keep working, with a
# warning. importlib rather than an import: srgan.predict imports this module, not the reverse.
_MOVED = {name: "srgan.predict" for name in ("DygraphPredictor", "InferencePredictor", "model_files", "read_meta",
                                             "verify_export", "default_cache_dir", "cached_export", "openvino_available",
                                             "check_export")}
_MOVED["cpu_threads"] = "srgan.machine"


def __getattr__(name: str):
    if name in _MOVED:
        warnings.warn(f"srgan.export.{name} is now {_MOVED[name]}.{name}", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
