"""The files of an exported generator and where `srgan upscale` caches them, without Paddle.

srgan.export writes an export folder (`generator.json` or `generator.pdmodel`,
`generator.pdiparams` and `srgan_export.json`, the meta); srgan.predict runs it with Paddle
Inference, srgan.openvino_runtime with OpenVINO's own runtime. What they share lives here: the
file names, reading and checking the meta, and the cache's layout. This module imports
neither Paddle nor OpenVINO, so that a cached export can be found and checked at start-up
before deciding whether Paddle is needed at all.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
from pathlib import Path

from .atomic import file_digest

PREFIX = "generator"
META_FILE = "srgan_export.json"
EXPORT_AGAIN = "export again with `srgan export`"  # how an export's errors end (without_export_advice)


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
        replacing = isinstance(meta, dict) and meta.get("replacing") is True
        problem = None if replacing else _meta_problem(meta)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        problem = f"{type(e).__name__}: {e}"
    if problem:
        raise ValueError(f"{path}: damaged ({problem}); {EXPORT_AGAIN}")
    if replacing:
        raise ValueError(f"{path}: an export into this folder was interrupted while it replaced the files; "
                         "export again with `srgan export --overwrite`")
    return meta


# The meta's count of the numbers in the .pdiparams: "stored_values"; srgan 0.1 exports called it
# "parameters" (it counts the batch norms' running statistics too, so it was not the parameter count).
STORED_VALUES_KEYS = ("stored_values", "parameters")


def stored_values(meta: dict) -> int | None:
    """The meta's count of numbers in the .pdiparams, or None (exports before it was recorded)."""
    return next((meta[key] for key in STORED_VALUES_KEYS if meta.get(key) is not None), None)


def _meta_problem(meta) -> str | None:
    """What is wrong with a finished export's META_FILE (the values the loaders use), or None."""
    def count(value, low):  # an integer >= low; bool is an int to Python, not here
        return isinstance(value, int) and not isinstance(value, bool) and value >= low

    if not isinstance(meta, dict):
        return "not a JSON object"
    if not count(meta.get("scale"), 2) or meta["scale"] & (meta["scale"] - 1):
        return f"scale {meta.get('scale')!r} is not a power of two >= 2"
    if "receptive_radius" in meta and not count(meta["receptive_radius"], 0):
        return f"receptive_radius {meta['receptive_radius']!r} is not an integer >= 0"
    for key in STORED_VALUES_KEYS:
        if key in meta and meta[key] is not None and not count(meta[key], 1):
            return f"{key} {meta[key]!r} is not a positive integer"
    files = meta.get("files", {})
    if not isinstance(files, dict) or not all(
            isinstance(name, str) and isinstance(info, dict) and count(info.get("bytes", 0), 0)
            and isinstance(info.get("sha256", ""), str) for name, info in files.items()):
        return "files is not a table of {name: {bytes, sha256}}"
    if any(Path(name).name != name for name in files):
        return "files names a path outside the folder"
    return None


# What export_generator writes as META_FILE while it replaces an earlier export's files (the
# folder is then no complete export, but still srgan's: `--overwrite` may finish the job).
REPLACING = {"replacing": True, "note": "srgan export was replacing this folder's files; export again with --overwrite"}


def is_export_meta(path: str | os.PathLike) -> bool:
    """Whether `path` is a META_FILE written by `srgan export` (a finished export's, or the
    marker of one replacing its files), not merely a file of that name."""
    try:
        meta = json.loads(Path(path).read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(meta, dict) and ("scale" in meta or meta.get("replacing") is True)


def without_export_advice(message: str) -> str:
    """`message` (an error of read_meta / verify_export) without its advice to export again
    (EXPORT_AGAIN, or its --overwrite form): for the command's own cache entry, which it remakes."""
    for separator in ("; ", ": "):
        message = message.split(f"{separator}export again with ")[0]
    return message


def verify_export(model_dir: str | os.PathLike, *, digests: bool = False) -> None:
    """Raise ValueError naming the file if an export's files differ from what export_generator
    recorded: in size (a truncated copy, a partial download), and with `digests` also in
    SHA-256 (a file damaged in place; ~10 ms for SRResNet-16). Exports made before the files
    were recorded are not checked."""
    model_dir = Path(model_dir)
    for name, info in read_meta(model_dir).get("files", {}).items():
        path = model_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing from the export; {EXPORT_AGAIN}")
        size = path.stat().st_size
        if size != info.get("bytes", size):
            raise ValueError(f"{path}: {size} bytes, but the export wrote {info['bytes']}; the folder is truncated or "
                             f"damaged: {EXPORT_AGAIN}")
        if digests and "sha256" in info and file_digest(path) != info["sha256"]:
            raise ValueError(f"{path}: its content differs from what the export wrote (SHA-256); the folder is damaged: "
                             f"{EXPORT_AGAIN}")


# --- what paddle.jit.save wrote --------------------------------------------------------------
# Bytes per element of Paddle's VarType.Type codes (framework.proto): BOOL, INT16, INT32, INT64,
# FP16, FP32, FP64, UINT8, INT8, BF16, COMPLEX64, COMPLEX128.
_DTYPE_BYTES = {0: 1, 1: 2, 2: 4, 3: 8, 4: 2, 5: 4, 6: 8, 20: 1, 21: 1, 22: 2, 23: 8, 24: 16}


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def _tensor_desc(desc: bytes) -> tuple[int, list[int]]:
    """(data type code, dims) of a serialized VarType.TensorDesc (data_type = 1, dims = 2)."""
    dtype, dims, at = None, [], 0
    while at < len(desc):
        key, at = _varint(desc, at)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(desc, at)
            if field == 1:
                dtype = value
            elif field == 2:
                dims.append(value - (1 << 64) if value >= 1 << 63 else value)
        elif wire == 2:  # packed dims, or a field this reader does not know
            size, at = _varint(desc, at)
            end = at + size
            while field == 2 and at < end:
                value, at = _varint(desc, at)
                dims.append(value)
            at = end
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
    if dtype is None:
        raise ValueError("no data type")
    return dtype, dims


def params_elements(path: str | os.PathLike) -> int:
    """Elements in a `.pdiparams` file (Paddle's save_combine: per tensor a version, its LoD,
    a TensorDesc and the data), read through to its last byte (the data is skipped, not read).

    Paddle's C++ writer reports no write error (a file size limit, `ulimit -f`, cuts the file
    short without a word), so export_generator compares this with the parameters it saved.
    Raises ValueError (what is wrong, without the path) if the file is cut short or not one."""
    total, elements = os.path.getsize(path), 0

    def take(f, n: int) -> bytes:
        data = f.read(n)
        if len(data) != n:
            raise ValueError(f"a tensor header is cut short ({total} bytes)")
        return data

    with open(path, "rb") as f:
        while f.tell() < total:
            take(f, 4)  # uint32 version of the DenseTensor
            levels = int.from_bytes(take(f, 8), "little")
            if levels > total:
                raise ValueError("not a Paddle parameters file")
            for _ in range(levels):
                f.seek(int.from_bytes(take(f, 8), "little"), os.SEEK_CUR)
            take(f, 4)  # uint32 version of the tensor
            size = int.from_bytes(take(f, 4), "little", signed=True)
            if size < 0:
                raise ValueError("not a Paddle parameters file")
            try:
                dtype, dims = _tensor_desc(take(f, size))
            except IndexError:
                raise ValueError("not a Paddle parameters file") from None
            if dtype not in _DTYPE_BYTES or any(d < 0 for d in dims):
                raise ValueError(f"not a Paddle parameters file (data type {dtype}, shape {dims})")
            count = math.prod(dims)
            f.seek(count * _DTYPE_BYTES[dtype], os.SEEK_CUR)
            elements += count
        if f.tell() != total:
            raise ValueError(f"the last tensor is cut short ({total} bytes, {f.tell()} expected)")
    return elements


class NotWhole(ValueError):
    """An export file that is cut short or damaged: `path` and `problem` (check_written)."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def check_written(model_dir: str | os.PathLike, *, elements: int | None = None) -> None:
    """Raise NotWhole (a ValueError) naming the file unless the program and params files of an export are
    whole: a `.json` (PIR) program parses as JSON (a cut one does not), the `.pdiparams` reads
    to its end (params_elements) and, given `elements`, holds that many numbers. `.pdmodel`
    programs are written by Python, which reports its write errors itself."""
    program, params = model_files(model_dir)
    where = Path(model_dir)
    if elements is None and (Path(model_dir) / META_FILE).is_file():
        elements = stored_values(read_meta(model_dir))
    if program.suffix == ".json":
        try:
            with open(program, "rb") as f:
                json.load(f)
        except (ValueError, UnicodeDecodeError) as e:
            raise NotWhole(where / program.name, f"cut short or damaged: not whole JSON ({e})") from None
    try:
        found = params_elements(params)
    except ValueError as e:
        raise NotWhole(where / params.name, str(e)) from None
    if found == 0:
        raise NotWhole(where / params.name, "holds no parameters")
    if elements is not None and found != elements:
        raise NotWhole(where / params.name, f"holds {found} numbers, the generator has {elements}")


# --- the export cache of `srgan upscale` ------------------------------------------------------
def default_cache_dir() -> Path:
    """`$SRGAN_CACHE`, else `$XDG_CACHE_HOME/srgan`, else `~/.cache/srgan`."""
    if os.environ.get("SRGAN_CACHE"):
        return Path(os.path.expanduser(os.environ["SRGAN_CACHE"]))  # a quoted "~/..." too
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "srgan"


def check_cache_dir(cache_dir: str | os.PathLike, *, needs_writing: bool = True, named: str | None = None) -> Path:
    """A cache folder the user named (`--cache-dir`, or `$SRGAN_CACHE`), created if missing, or an
    OutputError saying why it cannot be one: a file, a folder that cannot be created, or
    (needs_writing: the model is not cached there yet) one that cannot be written. (The default
    cache, ~/.cache/srgan, is only tried: an unusable default costs speed, not the result, so the
    engines fall back; a folder the user named is a user error.) A read-only cache that already
    holds what is needed is fine. `named`: how the messages name it (default "--cache-dir DIR")."""
    from .outputs import OutputError, make_folder

    cache_dir = Path(os.path.expanduser(cache_dir))
    named = named or f"--cache-dir {cache_dir}"
    if cache_dir.is_symlink() and not cache_dir.exists():  # mkdir would say "File exists" of a link to nowhere
        raise OutputError(f"{named}: a link to {os.readlink(cache_dir)}, which does not exist")
    for parent in (cache_dir, *cache_dir.parents):
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{named}: {parent} is a file, not a folder")
            break
    make_folder(cache_dir, output=named)
    if needs_writing and not os.access(cache_dir, os.W_OK | os.X_OK):
        raise OutputError(f"{named}: cannot write there (read-only, or no permission), and the "
                          "model is not cached there yet")
    return cache_dir


def cache_entry(weights: str | os.PathLike, paddle_version: str, *, cache_dir: str | os.PathLike | None = None,
                openvino: bool = False) -> Path:
    """The folder that holds the export of a `.safetensors` generator: keyed by the file's
    SHA-256 and the Paddle version (2.6 and 3.x write different program formats)."""
    key = f"{file_digest(weights)[:16]}-paddle{paddle_version}{'-openvino' if openvino else ''}"
    return Path(cache_dir or default_cache_dir()) / "inference" / key


def compiled_cache_dir(model_dir: str | os.PathLike, meta: dict, kind: str, *key_parts,
                       cache_dir: str | os.PathLike | None = None) -> Path:
    """Where a compiled form of an export is kept (OpenVINO's runtime blob, Paddle Inference's
    OpenVINO cache): `<cache>/<kind>/<key>`, never inside the export, which is the user's folder.
    The key covers the export's files by content (its meta's SHA-256s, else computed) and
    `key_parts` (versions, precision, CPU): an export replaced in place gets a new key instead of
    a stale compiled model (OpenVINO's own cache keys a Paddle model by its program file only)."""
    files = meta.get("files") or {p.name: {"sha256": file_digest(p)} for p in model_files(model_dir)}
    material = json.dumps([{name: info.get("sha256") for name, info in sorted(files.items())}, *key_parts])
    return Path(cache_dir or default_cache_dir()) / kind / hashlib.sha256(material.encode()).hexdigest()[:16]


# Paddle's distributions on PyPI: the CPU wheel and the CUDA one.
PADDLE_DISTRIBUTIONS = ("paddlepaddle", "paddlepaddle-gpu")


def installed_paddle() -> tuple[str, str] | None:
    """(distribution, version) of the installed Paddle, without importing it (seconds); None if
    neither wheel is installed. A wheel's `<name>-<version>.dist-info` folder beside the
    `paddle` package names both (a millisecond); else importlib.metadata (~70 ms to import)."""
    spec = importlib.util.find_spec("paddle")
    if spec is None:
        return None
    for location in spec.submodule_search_locations or ():
        for name in PADDLE_DISTRIBUTIONS:
            prefix = name.replace("-", "_") + "-"
            for info in Path(location).parent.glob(f"{prefix}*.dist-info"):
                return name, info.name[len(prefix):-len(".dist-info")]
    from importlib import metadata

    for name in PADDLE_DISTRIBUTIONS:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None
