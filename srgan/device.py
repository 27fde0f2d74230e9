"""Device choice: a GPU when this Paddle build has one, the CPU otherwise (never assume CUDA)."""

from __future__ import annotations

import ctypes
import os
import sys

import paddle

from .machine import cpu_fields


def pick_device(prefer: str | None = None) -> str:
    """Return the device string to use and make it Paddle's current device.

    Args:
        prefer: "cpu", "gpu" / "gpu:N", or None for automatic (GPU if compiled with CUDA and
            one is visible, else CPU). Asking for a GPU that is not there raises a clear error.
    """
    has_gpu = paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0
    if prefer is None or prefer == "auto":
        device = "gpu" if has_gpu else "cpu"
    elif prefer.startswith("gpu"):
        if not has_gpu:
            raise RuntimeError(
                f"device {prefer!r} requested but this Paddle build has no usable GPU "
                f"(paddle {paddle.__version__}; install paddlepaddle-gpu on a CUDA machine)"
            )
        device = prefer
    elif prefer == "cpu":
        device = "cpu"
    else:
        raise ValueError(f"unknown device {prefer!r}: use 'cpu', 'gpu', 'gpu:N' or 'auto'")
    if device == "cpu":
        mkl_avx2_on_amd()  # here because every entry point picks its device before computing
    paddle.set_device(device)
    return device


def mkl_avx2_on_amd(cpuinfo: str | None = None) -> bool:
    """Let the MKL inside Paddle's CPU build use its AVX2 kernels on an AMD processor.

    Paddle's CPU conv2d is im2col + MKL sgemm (dygraph has no oneDNN kernels), so MKL's speed
    is the training speed. MKL chooses its code path by CPU vendor and takes a slow generic one
    on AMD unless MKL_DEBUG_CPU_TYPE=5 asks for the AVX2 path (the MKL that Paddle 2.6 and 3.x
    bundle honours it): about twice the sgemm rate and training speed here (docs/EXPERIMENTS.md,
    "Training speed"; benchmarks/train_speed.py), the results the same to float32 rounding
    (tests/test_models.py). Intel CPUs already get MKL's best path.

    MKL reads the variable once, at the process's first MKL computation: this must run before
    that (pick_device calls it). A value already in the environment is left alone, and
    SRGAN_MKL_AVX2=0 turns this off. Only where /proc/cpuinfo shows an AMD CPU with AVX2.

    Args:
        cpuinfo: the text of /proc/cpuinfo (for tests); None reads the file.

    Returns:
        True if this call set MKL_DEBUG_CPU_TYPE.
    """
    if os.environ.get("SRGAN_MKL_AVX2", "1") == "0" or "MKL_DEBUG_CPU_TYPE" in os.environ:
        return False
    fields = cpu_fields(cpuinfo)
    if fields.get("vendor_id") != "AuthenticAMD" or "avx2" not in fields.get("flags", "").split():
        return False
    os.environ["MKL_DEBUG_CPU_TYPE"] = "5"
    return True


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory in the process instead of returning it to the kernel.

    Paddle's dygraph frees and re-allocates the same large activation buffers on every step.
    glibc serves blocks above 128 KiB with mmap and unmaps them when freed, so each step pays
    for fresh zero-filled pages (page faults: ~40% of CPU time was system time in dygraph here).
    `mallopt(M_MMAP_MAX, 0)` serves them from the heap, `M_TRIM_THRESHOLD` keeps the freed heap,
    so later steps reuse warm pages. The cost is resident memory that stays at the run's peak.
    The effect is measured by running the same dygraph workload with and without
    SRGAN_KEEP_FREED_MEMORY=0 (which turns this off), e.g. benchmarks/train_speed.py.

    Returns:
        True if the setting was applied (Linux with glibc), else False.
    """
    if os.environ.get("SRGAN_KEEP_FREED_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # musl or another libc: leave the allocator alone
        return False
    m_trim_threshold, m_mmap_max = -1, -4  # glibc's <malloc.h> constants
    return bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, 2**31 - 1))
