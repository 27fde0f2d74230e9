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
import os
from pathlib import Path

from .atomic import file_digest

PREFIX = "generator"
META_FILE = "srgan_export.json"


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


def verify_export(model_dir: str | os.PathLike, *, digests: bool = False) -> None:
    """Raise ValueError naming the file if an export's files differ from what export_generator
    recorded: in size (a truncated copy, a partial download), and with `digests` also in
    SHA-256 (a file damaged in place; ~10 ms for SRResNet-16). Exports made before the files
    were recorded are not checked."""
    model_dir = Path(model_dir)
    for name, info in read_meta(model_dir).get("files", {}).items():
        path = model_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing from the export; export again with `srgan export`")
        size = path.stat().st_size
        if size != info.get("bytes", size):
            raise ValueError(f"{path}: {size} bytes, but the export wrote {info['bytes']}; the folder is truncated or "
                             "damaged: export again with `srgan export`")
        if digests and "sha256" in info and file_digest(path) != info["sha256"]:
            raise ValueError(f"{path}: its content differs from what the export wrote (SHA-256); the folder is damaged: "
                             "export again with `srgan export`")


# --- the export cache of `srgan upscale` ------------------------------------------------------
def default_cache_dir() -> Path:
    """`$SRGAN_CACHE`, else `$XDG_CACHE_HOME/srgan`, else `~/.cache/srgan`."""
    if os.environ.get("SRGAN_CACHE"):
        return Path(os.environ["SRGAN_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "srgan"


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
