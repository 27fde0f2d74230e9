"""Device choice: a GPU when this Paddle build has one, the CPU otherwise (never assume CUDA)."""

from __future__ import annotations

import paddle


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
    paddle.set_device(device)
    return device
