"""srgan.infer's tiling and array handling, what mutation testing (benchmarks/mutation.md) found
untested: the memory estimate and its message, the exact bounds of the float range check, and
(see below) the tiles themselves. Fast: a fake predictor or a one-block generator in dygraph."""

from __future__ import annotations

import numpy as np
import pytest

import srgan.infer as infer
from srgan.infer import FLOAT_TOLERANCE, check_memory


# --- the memory check before upscaling ------------------------------------------------------------
def test_memory_estimate_is_20_bytes_per_output_pixel(monkeypatch):
    needed = 20 * 3000 * 5000 * 4 * 4  # 4.8e9 bytes, 4.47 GiB
    monkeypatch.setattr(infer, "available_memory", lambda: needed)
    check_memory(3000, 5000, 4)  # exactly enough: accepted
    monkeypatch.setattr(infer, "available_memory", lambda: needed - 1)
    with pytest.raises(MemoryError) as caught:
        check_memory(3000, 5000, 4)
    assert str(caught.value) == ("5000x3000 px at x4 (20000x12000 px out) needs about 4.5 GiB of memory, 4.5 GiB is "
                                 "available; split or reduce the image")
    monkeypatch.setattr(infer, "available_memory", lambda: 2**32)
    with pytest.raises(MemoryError, match=r"needs about 4\.5 GiB of memory, 4\.0 GiB is available"):
        check_memory(3000, 5000, 4)
    check_memory(3000, 5000, 1)  # x1 needs 16x less: 0.28 GiB


def test_unknown_free_memory_is_not_a_reason_to_refuse(monkeypatch):
    monkeypatch.setattr(infer, "available_memory", lambda: None)  # not Linux, or no /proc
    check_memory(100_000, 100_000, 4)


# --- float images: [0, 1], a little slack, a hint for 0-255 data ---------------------------------
@pytest.mark.parametrize("low, high", [(-FLOAT_TOLERANCE, 1.0), (0.0, 1.0 + FLOAT_TOLERANCE)])
def test_float_values_up_to_the_tolerance_are_accepted(low, high):
    infer._check_float_range(np.array([low, 0.5, high], np.float64))


HINT = r" \(looks like 0-255 data: divide by 255, or pass uint8\)"


@pytest.mark.parametrize("values, message", [
    ([-0.2500001, 0.5], r"got -0\.25 to 0\.5" + HINT),
    ([0.0, 1.26], r"got 0 to 1\.26" + HINT),
    ([0.0, 2.0], r"got 0 to 2" + HINT),
    ([0.0, 255.25], r"got 0 to 255\.25" + HINT),  # up to 255 and the slack: the hint
    ([0.0, 256.0], r"got 0 to 256"),  # beyond 0-255 (16-bit data, say): no such hint
    ([0.0, 65535.0], r"got 0 to 65535"),
])
def test_float_values_beyond_it_are_refused_with_the_range(values, message):
    with pytest.raises(ValueError, match=r"^float image values must be in \[0, 1\], " + message + "$"):
        infer._check_float_range(np.array(values, np.float64))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_single_non_finite_pixel_is_named_as_such(bad):
    image = np.full((4, 4, 3), 0.5, np.float32)
    image[1, 2, 0] = bad
    with pytest.raises(ValueError, match=r"^float image holds NaN or infinite values; expected values in \[0, 1\]$"):
        infer._check_float_range(image)
