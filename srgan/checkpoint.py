"""Saving and loading: training checkpoints (resume) and generator weights for others (safetensors).

Two formats on purpose:
- A training checkpoint (`*.ckpt`, paddle.save) holds everything needed to resume: both
  networks, both optimizers, the LR schedulers, the step, the phase, RNG states, the best
  validation score and the config (training_state / restore_training_state; resume_state
  finds the one a run continues). paddle.save writes it as a pickle; it is read back by
  safeload.safe_load, which accepts only the data types of a state dict, so a `.ckpt` file
  (or a `.pdparams` passed as `--init-generator`) from elsewhere cannot run code when loaded.
- Weights for users (`*.safetensors`) hold only the generator's tensors plus its model config
  in the safetensors metadata; a JSON model card with the same stem sits next to it.
  safetensors cannot run code on load, unlike pickle-based `.pdparams`.

Every write goes to a temporary file in the same folder and is renamed into place, so an
interruption leaves either the old file or the new one, never half a file.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import math
import os
import random
import warnings
from pathlib import Path

import numpy as np
import paddle
from safetensors import safe_open
from safetensors.numpy import save_file

from . import runs
from .atomic import atomic_path, file_digest, first_line, require_file, write_json
from .config import MODEL_FIELDS_ADDED_LATER, PHASES, Config, ModelConfig
from .image_io import image_kind
from .log import logger
from .models import Generator, state_size
from .safeload import SavedGeneratorState, UnsafePickleError, safe_load

CONFIG_KEY = "srgan_model_config"

# The parts of a training checkpoint that hold network weights (the trainer's state_dict) and
# optimizer state. A save refuses NaN in the weights (the run diverged: the last good
# checkpoints stay); a load refuses NaN in either (NaN in Adam's moments becomes NaN weights at
# the next step).
WEIGHTS = ("generator", "generator_ema", "discriminator")
OPTIMIZERS = ("opt_g", "opt_d")


class CheckpointError(RuntimeError):
    """A checkpoint or weights file that is corrupt, truncated or does not fit the model."""


# --- training checkpoints -------------------------------------------------------------
def rng_state() -> dict:
    return {"python": random.getstate(), "numpy": np.random.get_state(), "paddle": paddle.get_rng_state()}


def set_rng_state(state: dict, source: str = "checkpoint") -> None:
    """Restore the random streams a checkpoint saved (rng_state), so that a resumed run draws what
    the uninterrupted one would have."""
    try:
        saved = [s.restore() if isinstance(s, SavedGeneratorState) else s for s in state["paddle"]]
    except (RuntimeError, TypeError, ValueError) as e:  # Paddle 2.6 reading 3.x's state: the weights are fine, the stream is not
        raise CheckpointError(f"{source}: its random state was written by another Paddle version, which this Paddle "
                              f"{paddle.__version__} cannot read ({first_line(e, '')}); resume the run with the Paddle that "
                              "wrote it, or start a new run from its generator (--init-generator)") from None
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    paddle.set_rng_state(saved)


def training_state(*, step: int, phase: str, best_psnr: float, config: dict, generator, opt_g, sched_g, scaler,
                   ema=None, discriminator=None, opt_d=None, sched_d=None) -> dict:
    """A training checkpoint's contents (the format load_checkpoint reads), from the trainer's parts.

    Args:
        step, phase, best_psnr: where the run is.
        config: the run's `Config.to_dict()`.
        generator, opt_g, sched_g, scaler: G, its Adam optimizer and LR scheduler, the AMP grad scaler.
        ema: the average of G's weights (srgan.ema.WeightAverage), None when the run keeps none.
        discriminator, opt_d, sched_d: D and its optimizer and scheduler (phase 2), else None.
    """
    state = {
        "generator": generator.state_dict(),
        "opt_g": optimizer_state(opt_g, generator),
        "sched_g": sched_g.state_dict(),
        "step": step,
        "phase": phase,
        "best_psnr": best_psnr,
        "rng": rng_state(),
        "config": config,
        "scaler": scaler.state_dict(),
    }
    if ema is not None:
        state["generator_ema"] = ema.state_dict()
    if discriminator is not None:
        state.update(discriminator=discriminator.state_dict(), opt_d=optimizer_state(opt_d, discriminator), sched_d=sched_d.state_dict())
    return state


def restore_training_state(state: dict, source: str, *, phase: str, generator, opt_g, sched_g, scaler,
                           ema=None, discriminator=None, opt_d=None, sched_d=None) -> tuple[int, float]:
    """Load a training checkpoint (load_checkpoint's dict) into the trainer's parts, and the RNG
    states; the parts are training_state's. A checkpoint of another phase or other network
    sizes is refused before anything is loaded.

    Returns:
        (step, best validation PSNR) of the checkpoint.
    """
    if state["phase"] != phase:
        raise CheckpointError(f"{source}: is a '{state['phase']}' checkpoint, this run is '{phase}'")
    missing = [k for k in ("opt_g", "sched_g", "rng") + (("discriminator", "opt_d", "sched_d") if discriminator is not None else ())
               if state.get(k) is None]
    if missing:
        raise CheckpointError(f"{source}: holds no {', '.join(missing)}, so it cannot be resumed (its generator can start "
                              "a new run: --init-generator)")
    own = {**generator.config, **(discriminator.config if discriminator is not None else {})}
    check_architecture(own, state.get("config", {}).get("model", {}), source)
    load_state_dict_checked(generator, state["generator"], source)
    load_optimizer_state(opt_g, generator, state["opt_g"])
    if ema is not None and "generator_ema" in state:
        load_state_dict_checked(ema.network, state["generator_ema"], source)
    elif ema is not None:  # a checkpoint of a run without the average: it starts here
        ema.set_state_dict(generator.state_dict())
        logger.info(f"{source}: holds no weight average; the average (ema_decay {ema.decay}) starts from its generator")
    sched_g.set_state_dict(state["sched_g"])
    if discriminator is not None:
        load_state_dict_checked(discriminator, state["discriminator"], source)
        load_optimizer_state(opt_d, discriminator, state["opt_d"])
        sched_d.set_state_dict(state["sched_d"])
    if state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    set_rng_state(state["rng"], source)
    return int(state["step"]), float(state.get("best_psnr", -math.inf))


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """Save a training state dict atomically (paddle.save to a temp file, then rename)."""
    with atomic_path(path) as tmp:
        paddle.save(state, tmp)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a training checkpoint written by save_checkpoint; a clear error if it is unreadable.

    Only state-dict data is read (safeload.safe_load): a file naming any other type or
    function is refused before anything of it runs.
    """
    path = require_file(path, "checkpoint")
    try:
        state = safe_load(path)
    except UnsafePickleError as e:
        raise CheckpointError(f"{path}: not an srgan training checkpoint: {e}") from e
    except Exception as e:  # truncated / corrupt pickle, wrong file type
        if kind := image_kind(path):
            raise CheckpointError(f"{path}: {kind}, not a training checkpoint") from e
        if kind := other_srgan_kind(path):  # a healthy file of another kind is not called corrupt
            raise CheckpointError(f"{path}: {kind}, not a training checkpoint (ckpt_*.ckpt)") from e
        raise CheckpointError(f"{path}: cannot read checkpoint, the file is corrupt or truncated "
                              f"({type(e).__name__}: {first_line(e, '')})") from e
    missing = {"generator", "step", "phase", "config"} - set(state if isinstance(state, dict) else ())
    if missing:
        raise CheckpointError(f"{path}: not an srgan training checkpoint (missing {sorted(missing)})")
    wrong = structure_problems(state)
    if wrong:  # a file that unpickles safely but would stop the resume with a traceback deep in Paddle
        raise CheckpointError(f"{path}: not an srgan training checkpoint ({'; '.join(wrong[:3])})")
    bad = non_finite_parts(state, WEIGHTS + OPTIMIZERS)
    if bad:
        raise CheckpointError(f"{path}: holds NaN or infinite values ({_some(bad)}); the run had diverged or the file is damaged")
    return state


def structure_problems(state: dict) -> list[str]:
    """What in a loaded checkpoint dict is not what training_state writes: the step, phase and
    settings, and the type of every part restore_training_state reads (each a dict)."""
    out = []
    step = state["step"]
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
        out.append(f"step is {step!r}, not a count of updates")
    if state["phase"] not in PHASES:
        out.append(f"phase is {state['phase']!r}")
    config = state["config"]
    if not isinstance(config, dict) or not all(isinstance(config.get(k, {}), dict) for k in ("model", "data", "train")):
        out.append("its config is not a run's settings")
    else:
        try:
            settings = Config.from_dict(config).problems()
        except (TypeError, ValueError, AttributeError, KeyError) as e:
            settings = [f"{type(e).__name__}: {e}"]
        out += [f"its settings: {p}" for p in settings[:1]]
    parts = ["generator"] + [k for k in ("opt_g", "sched_g", "rng", "discriminator", "opt_d", "sched_d", "generator_ema",
                                         "scaler") if state.get(k) is not None]  # restore_training_state: missing ones
    out += [f"{k} is {type(state[k]).__name__}" for k in parts if not isinstance(state[k], dict)]
    rng = state.get("rng")
    if isinstance(rng, dict) and not {"python", "numpy", "paddle"} <= set(rng):
        out.append("rng lacks the python, numpy and paddle states")
    return out


def load_newest_checkpoint(paths: list[Path]) -> tuple[dict, Path]:
    """The newest of `paths` (oldest first, runs.checkpoints) that loads, and its path: newer
    unreadable ones (truncated, NaN) are skipped with a warning naming each.

    Raises:
        CheckpointError: none of them is readable, with every reason.
    """
    skipped = []
    for candidate in reversed(paths):
        try:
            state = load_checkpoint(candidate)
            break
        except (CheckpointError, OSError) as e:
            skipped.append(str(e))
    else:
        raise CheckpointError(f"{Path(paths[-1]).parent}: no readable checkpoint to resume from: " + "; ".join(skipped))
    for reason in skipped:
        warnings.warn(f"skipped {reason}; resuming from {candidate.name}", stacklevel=4)
    return state, candidate


def resume_state(run_dir: str | os.PathLike, start: runs.RunStart, config: dict) -> tuple[dict, str] | None:
    """The training state a run continues from, as `start` says (runs.run_start decides what
    --resume means): the checkpoint it names, or the newest readable one in `run_dir`
    (load_newest_checkpoint skips broken ones).

    A run that goes on in its own folder (start.same_run) must keep its training settings
    (runs.check_same_settings), and a checkpoint named there must be the run's newest
    (runs.check_no_later_checkpoints): otherwise the folder would hold two runs.

    Args:
        run_dir: the run folder (--out).
        start: how the run starts; a resuming one (start.resuming).
        config: this run's `Config.to_dict()`.

    Returns:
        (state, the checkpoint's path as a string), or None when `run_dir` holds no checkpoint
        and none was named.
    """
    if start.checkpoint is None:
        found = runs.checkpoints(run_dir)
        if not found:
            return None
        state, source = load_newest_checkpoint(found)
    else:
        state, source = load_checkpoint(start.checkpoint), start.checkpoint
    if start.same_run:
        runs.check_same_settings(state.get("config", {}), config, str(source))
        if start.checkpoint is not None:
            runs.check_no_later_checkpoints(run_dir, int(state["step"]), source)
    return state, str(source)


def check_architecture(own: dict, saved: dict, source: str) -> None:
    """A clear error when a checkpoint was made with other network sizes than this run's.

    Args:
        own: the run's networks' config (Generator.config, Discriminator.config).
        saved: the checkpoint's config["model"]; fields it lacks are not compared.
        source: the checkpoint, for the message.
    """
    saved = {**MODEL_FIELDS_ADDED_LATER, **saved}
    differ = [n for n in own if n in saved and saved[n] != own[n]]
    if differ:
        theirs = ", ".join(f"{n}={saved[n]}" for n in differ)
        ours = ", ".join(f"{n}={own[n]}" for n in differ)
        flags = " ".join(f"--{n.replace('_', '-')}" for n in differ)
        raise CheckpointError(f"{source}: made with {theirs}, this run has {ours}; resume with the same {flags}")


def non_finite(tensors: dict, prefix: str = "") -> list[str]:
    """Names of the floating-point tensors in a (nested) dict that hold NaN or infinity."""
    bad = []
    for key, value in tensors.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            bad += non_finite(value, name + ".")
            continue
        if not hasattr(value, "shape") or isinstance(value, (str, bytes)):
            continue
        try:
            array = value.numpy() if hasattr(value, "numpy") and not isinstance(value, np.ndarray) else np.asarray(value)
        except Exception:  # not convertible (e.g. a bfloat16 tensor): cast it first
            array = np.asarray(value.astype("float32").numpy())
        if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
            bad.append(name)
    return bad


def non_finite_parts(state: dict, parts: tuple[str, ...]) -> list[str]:
    """non_finite over the `parts` (WEIGHTS, OPTIMIZERS) a training state holds."""
    return non_finite({key: state[key] for key in parts if isinstance(state.get(key), dict)})


def _some(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def load_state_dict_checked(layer: paddle.nn.Layer, state: dict, source: str) -> None:
    """set_state_dict that fails loudly on missing, unexpected or mis-shaped tensors."""
    own = layer.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(np.shape(state[k])))
    if missing or unexpected or wrong:
        detail = "; ".join(
            f"{what}: {keys[:5]}{' ...' if len(keys) > 5 else ''}"
            for what, keys in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", wrong))
            if keys
        )
        raise CheckpointError(f"{source}: weights do not fit the model ({detail})")
    layer.set_state_dict({k: paddle.to_tensor(np.asarray(v)) if isinstance(v, np.ndarray) else v for k, v in state.items()})


def optimizer_state(optimizer, layer: paddle.nn.Layer) -> dict:
    """The optimizer's state dict keyed by structured parameter names ("body.0.conv1.weight").

    Paddle keys optimizer state by the parameters' unique names ("conv2d_30.w_0_moment1_0"),
    which depend on how many layers the process created before; a resumed process numbers
    them differently, so the names are translated on save and load.
    """
    to_structured = {p.name: name for name, p in layer.named_parameters()}
    return _rename_state(optimizer.state_dict(), to_structured)


def load_optimizer_state(optimizer, layer: paddle.nn.Layer, state: dict) -> None:
    """Inverse of optimizer_state."""
    to_unique = {name: p.name for name, p in layer.named_parameters()}
    optimizer.set_state_dict(_rename_state(state, to_unique))


def _rename_state(state: dict, names: dict[str, str]) -> dict:
    """Rename keys "<old>_<accumulator>" to "<new>_<accumulator>", recursing into dicts."""
    by_length = sorted(names, key=len, reverse=True)  # "conv2d_30.w_0" before "conv2d_3.w_0"
    out = {}
    for key, value in state.items():
        if isinstance(value, dict):
            value = _rename_state(value, names)
        old = key if key in names else next((n for n in by_length if key.startswith(n + "_")), None)
        out[names[old] + key[len(old):] if old is not None else key] = value
    return out


# --- generator weights for users (safetensors) ----------------------------------------
def card_and_log_paths(weights: str | os.PathLike) -> tuple[Path, Path]:
    """The model card (`<stem>.json`) and training log (`<stem>_log.jsonl`) beside a weights file."""
    weights = Path(weights)
    return weights.with_suffix(".json"), weights.with_name(weights.stem + "_log.jsonl")


def save_generator(generator: Generator, path: str | os.PathLike, model_config: ModelConfig | None = None,
                   card: dict | None = None) -> None:
    """Write the generator's weights as safetensors (+ `<stem>.json` model card if `card`).

    Args:
        generator: the network (a paddle.DataParallel wrapper is unwrapped); its architecture
            (`Generator.config`) goes into the file's metadata, so that load_generator can
            rebuild it, and into the card's "model".
        path: destination `.safetensors` file.
        model_config: not needed (the generator carries its config); accepted, with a
            DeprecationWarning, from code written before, and refused if it describes another network.
        card: model card (data, steps, metrics, machine, ...) written as JSON next to the weights.
    """
    generator = getattr(generator, "_layers", generator)
    config = generator.config
    if model_config is not None:
        warnings.warn("save_generator takes the architecture from the generator; drop the model_config argument",
                      DeprecationWarning, stacklevel=2)
        differ = {name: value for name, value in config.items() if getattr(model_config, name) != value}
        if differ:
            raise ValueError(f"{path}: model_config differs from the generator ({differ}); the file would describe "
                             "another network")
    write_generator_file({k: v.numpy() for k, v in generator.state_dict().items()}, path, config)
    if card is not None:
        write_json(card_and_log_paths(path)[0], card_document(generator, card))


def card_document(generator: Generator, card: dict) -> dict:
    """A model card as written next to the weights: the generator's architecture ("model",
    `Generator.config`; a paddle.DataParallel wrapper is unwrapped) first, then `card`."""
    return {"model": getattr(generator, "_layers", generator).config, **card}


def write_generator_file(tensors: dict[str, np.ndarray], path: str | os.PathLike, config: dict) -> None:
    """Write generator tensors as a `.safetensors` file (atomically) with the architecture
    (`Generator.config`) in its metadata, the format read_generator_file / load_generator read."""
    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        try:
            save_file(tensors, tmp, metadata={CONFIG_KEY: json.dumps(config)})
        except OSError:
            raise
        except Exception as e:  # safetensors' own error for a failed write (a full disk): an OSError like any write's
            raise OSError(errno.EIO, str(e).strip() or type(e).__name__, str(path)) from e


def released_generator_state(state: dict) -> dict:
    """The generator weights a training checkpoint stands for: the average of G's weights when
    the run kept one (cfg.train.ema_decay; what it validated), else G's own."""
    return state.get("generator_ema") or state["generator"]


def check_network_sizes(state: dict, source: str, config: dict | None = None, discriminator: bool = False) -> Config:
    """A checkpoint's saved config (or `config`, the run's config.json a bare --resume reads), once
    the networks it describes are checked against the tensors the checkpoint holds: the config
    decides what is built before the tensors are loaded, and a small file could otherwise ask for
    a network of billions of parameters (minutes of building, or no memory).

    Args:
        state: load_checkpoint's dict.
        source: the checkpoint, for the message.
        config: the config to check instead of the checkpoint's own.
        discriminator: the caller builds the discriminator too (a resumed GAN run): it must be
            there, as large as the config says; otherwise it is checked only where saved.
    """
    cfg = Config.from_dict(config if config is not None else state["config"])
    problems = [generator_size_problem(state["generator"], cfg.model)]
    if discriminator or isinstance(state.get("discriminator"), dict):
        problems.append(discriminator_size_problem(state.get("discriminator"), cfg.model))
    if problem := next((p for p in problems if p), None):
        raise CheckpointError(f"{source}: {problem}; not a consistent training checkpoint")
    return cfg


def generator_from_checkpoint(state: dict, source: str) -> Generator:
    """The generator of a training checkpoint (load_checkpoint's dict), built from its saved
    config, with the weights the run validated (released_generator_state)."""
    generator = build_generator(check_network_sizes(state, source).model)
    load_state_dict_checked(generator, released_generator_state(state), source)
    return generator


def _head(path: str | os.PathLike, count: int) -> tuple[bytes, int]:
    """The first `count` bytes of a file and its size; (b"", 0) if it cannot be read."""
    try:
        with open(path, "rb") as f:
            return f.read(count), os.fstat(f.fileno()).st_size
    except OSError:
        return b"", 0


def _safetensors_head(head: bytes, size: int) -> bool:
    """Whether a file's first 9 bytes and size are a safetensors file's: its header's length, then the header's "{"."""
    return len(head) == 9 and head[8:9] == b"{" and 0 < int.from_bytes(head[:8], "little") < size


def is_safetensors(path: str | os.PathLike) -> bool:
    """Whether a file starts as a safetensors file does (_safetensors_head)."""
    return _safetensors_head(*_head(path, 9))


def other_srgan_kind(path: str | os.PathLike) -> str | None:
    """What a file srgan writes is, by its first bytes, where another kind was expected:
    "generator weights (a safetensors file)" or "a JSON file (a model card, a run's config)"."""
    head, size = _head(path, 9)  # read once for both tests
    if _safetensors_head(head, size):
        return "generator weights (a safetensors file: give it as --init-generator or --weights)"
    if head.lstrip()[:1] in (b"{", b"["):
        return "a JSON file (a model card or a run's config.json)"
    return None


def read_generator_weights(source: str | os.PathLike) -> tuple[dict, ModelConfig]:
    """A generator's tensors and model config from a `.safetensors` file (read_generator_file)
    or a training checkpoint (what `--init-generator` accepts); a safetensors file by its content
    too (A.SAFETENSORS, w.st), not only by its name."""
    if str(source).lower().endswith(".safetensors") or is_safetensors(source):
        return read_generator_file(source)
    state = load_checkpoint(source)
    return released_generator_state(state), check_network_sizes(state, str(source)).model


def initial_generator(source: str | os.PathLike, model: ModelConfig) -> Generator:
    """The generator a run starts from (`--init-generator`: released weights or a checkpoint).

    Its architecture comes with the weights: the generator fields of `model` become the file's,
    with a note where they differ from what was asked, so that the run's saved config describes
    the real network (global_skip has no weights: a mismatch would load silently).

    Args:
        source: a generator `.safetensors` file or a training checkpoint (read_generator_weights).
        model: the run's model config, updated in place.
    """
    state, arch = read_generator_weights(source)
    for name in Generator.CONFIG_FIELDS:
        if getattr(model, name) != getattr(arch, name):
            logger.info(f"init_generator {source}: {name} = {getattr(arch, name)} (from the file, not {getattr(model, name)})")
            setattr(model, name, getattr(arch, name))
    generator = Generator.from_config(model)
    load_state_dict_checked(generator, state, str(source))
    return generator


def read_generator_file(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], ModelConfig]:
    """Tensors and model config of a generator `.safetensors` file, with clear errors.

    The config's generator fields are the file's (files written before the generator carried
    its config also hold the discriminator's, which are read and otherwise ignored)."""
    path = require_file(path, "weights file")
    if kind := image_kind(path):  # a photo under any name (a JPEG called .ckpt) is said to be one
        raise CheckpointError(f"{path}: {kind}, not a generator weights file (.safetensors)")
    if path.suffix.lower() in (".pdparams", ".pdopt", ".pdmodel", ".ckpt", ".pth", ".pt"):
        kind = "a training checkpoint (use `srgan release` to turn it into weights)" if path.suffix == ".ckpt" else \
            f"a {path.suffix} file, not safetensors"
        raise CheckpointError(f"{path}: {kind}; srgan reads generator weights from .safetensors files "
                              "(pickle-based formats can run code when loaded)")
    try:
        with safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            dtypes = {k: f.get_slice(k).get_dtype() for k in f.keys()}
            tensors = {k: f.get_tensor(k) for k, dtype in dtypes.items() if dtype != "BF16"}
        if len(tensors) < len(dtypes):  # numpy has no bfloat16: decode those tensors from the raw bytes
            tensors.update(_read_bf16(path, [k for k, dtype in dtypes.items() if dtype == "BF16"]))
    except Exception as e:
        raise CheckpointError(f"{path}: not a readable safetensors file, it is corrupt or truncated ({e})") from e
    # Weights shared in half precision (float16, bfloat16) load as the float32 the network uses.
    tensors = {k: v.astype(np.float32) if np.issubdtype(v.dtype, np.floating) and v.dtype != np.float32 else v
               for k, v in tensors.items()}
    not_float = [k for k, v in tensors.items() if not np.issubdtype(v.dtype, np.floating)]
    if not_float:  # Paddle would stop with an AssertionError deep in set_state_dict
        raise CheckpointError(f"{path}: holds {tensors[not_float[0]].dtype} tensors ({_some(not_float)}); a generator's "
                              "weights are floating point")
    bad = non_finite(tensors)
    if bad:
        raise CheckpointError(f"{path}: holds NaN or infinite values ({_some(bad)}); these weights cannot give an image")
    if CONFIG_KEY not in metadata:
        raise CheckpointError(f"{path}: no '{CONFIG_KEY}' metadata; not a generator saved by srgan.save_generator")
    try:
        config = ModelConfig(**json.loads(metadata[CONFIG_KEY]))
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: model config in metadata is invalid ({e})") from e
    fields = {f.name for f in dataclasses.fields(ModelConfig)}
    wrong = [p for p in Config(model=config).problems() if p.split(" ", 1)[0] in fields]
    if wrong:  # e.g. scale 3: the network could not be built, or not as the file says
        raise CheckpointError(f"{path}: model config in metadata is invalid ({'; '.join(wrong)})")
    # The metadata decides what is built before the tensors are loaded: it must describe them, or a
    # file could ask for a network far larger than its weights (minutes of building, or no memory).
    if problem := generator_size_problem(tensors, config, said_by="its metadata"):
        raise CheckpointError(f"{path}: {problem}; not a consistent generator file")
    return tensors, config


def _values_held(tensors) -> int:
    return sum(math.prod(v.shape) for v in tensors.values() if hasattr(v, "shape")) if isinstance(tensors, dict) else 0


def generator_size_problem(tensors: dict, config: ModelConfig, said_by: str = "its config") -> str | None:
    """How a generator's tensors disagree with the network `config` would build, or None: its
    blocks and channels, and whether the tensors hold at least as many values as that network
    (models.state_size), so that building it costs no more than the file holds."""
    blocks = {k.split(".")[1] for k in tensors if k.startswith("body.") and k.count(".") >= 2}
    head = tensors.get("head.weight")
    held = (len(blocks), head.shape[0] if head is not None and len(head.shape) else None)
    if held != (config.num_blocks, config.channels):
        return (f"{said_by} says {config.num_blocks} residual blocks of {config.channels} channels, its tensors hold "
                f"{held[0]} blocks of {held[1]}")
    need, values = state_size(config, "generator"), _values_held(tensors)
    if _far_more(need, values):  # names that look right, on far fewer values (hostile round s24 #1)
        return f"{said_by} describes a generator of {need:,} values, its tensors hold {values:,}"
    return None


def _far_more(need: int, held: int) -> bool:
    """Building `need` values costs far more than the `held` ones a file brought: more than twice
    as many and a million more. (A smaller gap, a tensor or two missing, is cheap to build and
    then named exactly by load_state_dict_checked.)"""
    return need > max(2 * held, held + 2**20)


def discriminator_size_problem(tensors: dict | None, config: ModelConfig) -> str | None:
    """Whether a discriminator's tensors (None: none saved) hold at least as many values as the
    discriminator `config` would build (models.state_size), or None."""
    need, values = state_size(config, "discriminator"), _values_held(tensors)
    if _far_more(need, values):
        return f"its config describes a discriminator of {need:,} values, its tensors hold {values:,}"
    return None


def _read_bf16(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    """bfloat16 tensors of a safetensors file as float32 (a bfloat16 is a float32's upper 16 bits).
    Layout: an 8-byte little-endian header length, a JSON header with each tensor's
    dtype / shape / data_offsets, then the data."""
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_len))
        start = 8 + header_len
        out = {}
        for name in names:
            begin, end = header[name]["data_offsets"]
            f.seek(start + begin)
            raw = np.frombuffer(f.read(end - begin), dtype="<u2")
            out[name] = (raw.astype(np.uint32) << 16).view(np.float32).reshape(header[name]["shape"])
    return out


def build_generator(config: ModelConfig) -> Generator:
    return Generator.from_config(config)


def load_generator(path: str | os.PathLike) -> Generator:
    """Build the generator described in a `.safetensors` file, load its weights, eval mode."""
    tensors, config = read_generator_file(path)
    generator = build_generator(config)
    load_state_dict_checked(generator, tensors, str(path))
    generator.eval()
    return generator


def interpolate_generators(start: str | os.PathLike, end: str | os.PathLike, alpha: float) -> tuple[dict[str, np.ndarray], ModelConfig]:
    """Network interpolation theta = (1 - alpha) * theta_start + alpha * theta_end (Wang et al.,
    ESRGAN, ECCV-W 2018, Sec. 3.4): a dial between a distortion-oriented generator (SRResNet,
    alpha = 0) and a perception-oriented one fine-tuned from it (SRGAN, alpha = 1). It works
    because both share the SRResNet initialisation, so their weights lie close together.

    Every tensor is interpolated, the batch-norm running statistics included.

    Args:
        start: generator .safetensors at alpha = 0 (e.g. weights/srresnet_x4.safetensors).
        end: generator .safetensors at alpha = 1 (e.g. weights/srgan_x4.safetensors).
        alpha: in [0, 1].

    Returns:
        (tensors, model config) ready for save_generator / load_state_dict.

    Raises:
        ValueError: alpha outside [0, 1], or the two files are different architectures.
    """
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"interpolation alpha must be in [0, 1] (0 = {Path(start).name}, 1 = {Path(end).name}), got {alpha}")
    a, config_a = read_generator_file(start)
    b, config_b = read_generator_file(end)
    arch_a, arch_b = ({name: getattr(c, name) for name in Generator.CONFIG_FIELDS} for c in (config_a, config_b))
    if arch_a != arch_b or a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        raise ValueError(f"cannot interpolate {start} and {end}: different architectures ({config_a} vs {config_b})")
    alpha = np.float32(alpha)
    return {k: ((1 - alpha) * a[k].astype(np.float32) + alpha * b[k].astype(np.float32)).astype(a[k].dtype) for k in a}, config_a


def interpolated_weights_file(start: str | os.PathLike, end: str | os.PathLike, alpha: float, cache_dir: str | os.PathLike) -> Path:
    """`interpolate_generators` written once to `cache_dir` as a generator .safetensors file (named
    by the two files' digests and alpha), so that the export cache and every engine can use it."""
    # alpha in full (repr): 0.99999 is not the 1.0000 of a shorter key, nor 0.12344 another alpha's file
    key = f"{file_digest(start, 'sha256')[:12]}_{file_digest(end, 'sha256')[:12]}_{float(alpha)!r}"
    path = Path(cache_dir) / "interpolated" / f"generator_{key}.safetensors"
    if path.is_file():
        try:
            read_generator_file(path)
        except CheckpointError:  # damaged in the cache (a disk error, a killed copy): made again, as the help promises
            path.unlink()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors, config = interpolate_generators(start, end, alpha)
        write_generator_file(tensors, path, {name: getattr(config, name) for name in Generator.CONFIG_FIELDS})
    return path
