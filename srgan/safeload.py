"""Reading pickle-based Paddle files (`paddle.save`: training checkpoints, `.pdparams`) without
letting them run code.

A pickle is a small program: besides data it can name any importable function (`os.system`)
and call it while it is being read. `paddle.load` reads with the standard unpickler, so a file
a user was sent can do anything the user can. This reader allows only the handful of types
that `paddle.save` writes for a state dict (dicts, lists, tuples, numbers, strings, numpy
arrays and dtypes, Paddle's RNG state) and refuses any other name before it is looked up,
so nothing outside that list is ever imported or called; the same idea as PyTorch's
`torch.load(weights_only=True)`.

    state = safe_load("runs/srresnet/ckpt_00001000.ckpt")   # numpy arrays become paddle Tensors

This module imports Paddle only to turn the arrays back into Tensors (`return_numpy=False`).
"""

from __future__ import annotations

import numbers
import os
import pickle
from collections import OrderedDict

import numpy as np

# (module, name) pairs a state dict saved by paddle.save (Paddle 2.6 and 3.x) is made of.
ALLOWED = {
    ("builtins", name) for name in ("dict", "list", "tuple", "set", "frozenset", "int", "float", "complex", "bool", "str", "bytes", "bytearray")
} | {
    ("collections", "OrderedDict"),
    ("_codecs", "encode"),  # numpy arrays pickled with protocol 2 carry their bytes through it
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"),  # numpy 1.x
    ("numpy._core.multiarray", "_reconstruct"),  # numpy 2.x
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("paddle.base.libpaddle", "GeneratorState"),  # paddle.get_rng_state(), Paddle 2.6 and 3.x
    ("paddle.fluid.libpaddle", "GeneratorState"),  # Paddle 2.4-2.5
    ("paddle.fluid.core_avx", "GeneratorState"),
}


_GENERATOR_STATES = {(m, n) for m, n in ALLOWED if n == "GeneratorState"}


class SavedGeneratorState:
    """A Paddle RNG state (paddle.get_rng_state()'s GeneratorState) as the file holds it, made into
    Paddle's own object by `restore()`, where a run resumes its random stream. Paddle 2.6 cannot
    read the state Paddle 3.x writes ("Invalid Random state" while unpickling): built eagerly, it
    made a healthy 3.x checkpoint unreadable on 2.6 even to commands that never use its random
    state (release, --init-generator), which then called the file corrupt (hostile test s23)."""

    def __setstate__(self, state) -> None:  # the pickle's BUILD: keep the saved state as it is
        self.state = state

    def __reduce_ex__(self, protocol):
        """Only a state this Paddle cannot read stays a SavedGeneratorState (safe_load builds the others):
        it cannot be written back as Paddle's own object, and is not written as this class."""
        raise pickle.PicklingError("a random state written by another Paddle version cannot be saved again by this one")

    def restore(self):
        """The state as Paddle's GeneratorState (RuntimeError if this Paddle cannot read it)."""
        import paddle

        kind = type(paddle.get_rng_state()[0])
        real = kind.__new__(kind)
        real.__setstate__(self.state)
        return real


class UnsafePickleError(pickle.UnpicklingError):
    """The file names something other than the data types of a state dict: it could run code."""


def _no_sized_buffer(kind: type):
    """`kind` (bytes or bytearray) as the unpickler may call it: from data in the file, never from a
    size. `bytearray(10**12)` is a few bytes of pickle asking for a terabyte of zeros; a state dict
    never builds a buffer that way, so the request is refused before anything is allocated."""

    def make(*args, **kwargs):
        if args and isinstance(args[0], numbers.Integral):  # numpy's integer scalars too (np.int64(10**12))
            raise UnsafePickleError(
                f"it asks for {args[0]:,} empty bytes ({kind.__name__}(size)), which a Paddle state dict never does; "
                "refusing to load it (a crafted file could exhaust the memory this way)"
            )
        return kind(*args, **kwargs)

    return make


_SIZED = {("builtins", "bytes"): _no_sized_buffer(bytes), ("builtins", "bytearray"): _no_sized_buffer(bytearray)}


class _StateDictUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED:
            raise UnsafePickleError(
                f"it asks to import {module}.{name}, which a Paddle state dict never does; refusing to load it "
                "(a pickle can run code when loaded; only load files you made)"
            )
        if (module, name) in _GENERATOR_STATES:
            return SavedGeneratorState  # built into Paddle's own only when restored (see the class)
        return _SIZED.get((module, name)) or super().find_class(module, name)


def safe_load(path: str | os.PathLike, *, return_numpy: bool = False):
    """Read a file written by `paddle.save`, allowing only state-dict data (see the module docstring).

    Args:
        path: the file.
        return_numpy: keep tensors as numpy arrays; False turns them into paddle Tensors, as
            paddle.load does.

    Raises:
        UnsafePickleError: the file names any other type or function; nothing of it was run.
        pickle.UnpicklingError, EOFError, ValueError, ...: a corrupt or truncated file.
    """
    with open(path, "rb") as f:
        state = _StateDictUnpickler(f, encoding="latin1").load()
    return _tensors(state, return_numpy, {})


def _tensors(obj, return_numpy: bool, done: dict):
    """paddle.save writes a Tensor as the tuple (name, ndarray): give back the array, or a Tensor
    as paddle.load does. Bare arrays (numpy's RNG key) stay arrays, as with paddle.load.

    `done` maps id() of each container converted so far to its result: a pickle can refer to one
    object many times (its memo), and 60 nested lists that each hold the one below twice are 549
    bytes that a plain walk would visit 2^60 times (hostile test s21); each is converted once."""
    if isinstance(obj, SavedGeneratorState) and not return_numpy:
        try:  # Paddle's own object, as paddle.load gives it (and as it is saved again)
            return obj.restore()
        except (RuntimeError, TypeError, ValueError):  # another Paddle's: kept, said where a run resumes it
            return obj
    if not isinstance(obj, (dict, list, tuple)):
        return obj
    if id(obj) in done:
        return done[id(obj)][1]
    if isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], str) and isinstance(obj[1], np.ndarray):
        if return_numpy:
            result = obj[1]
        else:
            import paddle  # deferred: reading a checkpoint as numpy (return_numpy) loads no Paddle

            result = paddle.to_tensor(obj[1])
    elif isinstance(obj, dict):  # OrderedDict too
        result = type(obj)((key, _tensors(value, return_numpy, done)) for key, value in obj.items())
    elif isinstance(obj, list):
        result = [_tensors(value, return_numpy, done) for value in obj]
    else:
        result = tuple(_tensors(value, return_numpy, done) for value in obj)
    done[id(obj)] = (obj, result)  # obj kept alive with its id, so the id is never reused meanwhile
    return result
