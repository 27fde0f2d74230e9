"""srgan.infer's tiling and array handling, what mutation testing (benchmarks/mutation.md) found
untested: the memory estimate and its message, the exact bounds of the float range check, and
(see below) the tiles themselves. Fast: a fake predictor or a one-block generator in dygraph."""

from __future__ import annotations

import re

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


def test_the_network_s_working_memory_counts_for_its_largest_tile_on_a_cpu(monkeypatch):
    """--tile 0 on a 1000x1000 photo in dygraph: ~49 GiB for the network (measured 3.1 KB per
    output pixel), refused with the tile named; the default tile (128 + 2 x 16) needs 1.3 GiB."""
    monkeypatch.setattr(infer, "available_memory", lambda: 8 * 2**30)
    with pytest.raises(MemoryError) as caught:
        check_memory(1000, 1000, 4, window=(1000, 1000), engine="dygraph")
    assert str(caught.value) == ("1000x1000 px at x4 (4000x4000 px out) needs about 49.5 GiB of memory (49.2 GiB for the "
                                 "dygraph network on a 1000x1000 px tile; a smaller --tile needs less), 8.0 GiB is "
                                 "available; split or reduce the image")
    check_memory(1000, 1000, 4, window=(160, 160), engine="dygraph")
    check_memory(1000, 1000, 4, window=(1000, 1000), engine=None)  # a GPU: its memory is not the host's
    with pytest.raises(MemoryError, match="for the inference network"):  # oneDNN reuses buffers: 5x less, still too much
        check_memory(2000, 2000, 4, window=(2000, 2000), engine="inference")


def test_upscaler_checks_the_window_it_will_run(monkeypatch):
    """The Upscaler passes tile_windows' window (min(side, tile + 2 pad)) and its engine."""
    from srgan.models import Generator

    seen = []
    monkeypatch.setattr(infer, "check_memory", lambda h, w, s, **kw: seen.append((h, w, kw)))
    image = np.zeros((50, 300, 3), np.uint8)
    infer.Upscaler(Generator(scale=4, num_blocks=1, channels=8), engine="dygraph", device="cpu", tile=64, tile_pad=8)(image)
    infer.Upscaler(Generator(scale=4, num_blocks=1, channels=8), engine="dygraph", device="cpu", tile=0)(image)
    assert seen == [(50, 300, {"window": (50, 80), "engine": "dygraph"}),
                    (50, 300, {"window": (50, 300), "engine": "dygraph"})]


def test_a_tall_tile_counts_its_height_times_its_width(monkeypatch):
    """A window of 1000 rows by 200 columns (a tall photo at --tile 0): its area, not its width
    squared, and the tile named width x height, as the image is."""
    monkeypatch.setattr(infer, "available_memory", lambda: 8 * 2**30)
    with pytest.raises(MemoryError) as caught:
        check_memory(1000, 200, 4, window=(1000, 200), engine="dygraph")
    assert str(caught.value) == ("200x1000 px at x4 (800x4000 px out) needs about 9.9 GiB of memory (9.8 GiB for the "
                                 "dygraph network on a 200x1000 px tile; a smaller --tile needs less), 8.0 GiB is "
                                 "available; split or reduce the image")


def test_on_a_gpu_the_networks_working_memory_is_not_counted_against_the_hosts(monkeypatch):
    from srgan.models import Generator

    seen = []
    monkeypatch.setattr(infer, "check_memory", lambda h, w, s, **kw: seen.append(kw))
    up = infer.Upscaler(Generator(scale=4, num_blocks=1, channels=8), engine="dygraph", device="cpu", tile=0)
    up.device = "gpu:0"  # as on a GPU: the check reads only the device's name
    up(np.zeros((50, 300, 3), np.uint8))
    assert seen == [{"window": (50, 300), "engine": None}]


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


# --- tiles ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("length, tile, pad", [(540, 128, 16), (100, 32, 10), (10, 1, 2), (70, 16, 40), (37, 12, 3)])
def test_tiles_are_at_most_tile_and_windows_exactly_pad_wider(length, tile, pad):
    """Every window is its tile plus `pad` on each side (shifted inwards at the borders), never
    more: TensorRT builds its engine for tile + 2 * tile_pad pixels (Upscaler), and a wider
    window only costs memory."""
    windows = infer.tile_windows(length, tile, pad)
    core = max(end - start for start, end, _, _ in windows)
    assert core <= tile and len(windows) == -(-length // tile)
    assert {w1 - w0 for _, _, w0, w1 in windows} == {min(core + 2 * pad, length)}


class NearestX4:
    """A stand-in network: nearest-neighbour x4 in the predictor's convention ((1, 3, h, w)
    float32 in [0, 1] -> [-1, 1]), recording what it was given. Exactly local, so any tiling
    gives the same result, and the pipeline around it can be checked to the last bit."""

    scale = 4

    def __init__(self):
        self.windows = []

    def __call__(self, x):
        self.windows.append(x.copy())
        return np.repeat(np.repeat(x, 4, axis=2), 4, axis=3) * 2 - 1


def _upscaler(tile=3, tile_pad=1):
    from srgan.models import Generator

    up = infer.Upscaler(Generator(scale=4, num_blocks=1, channels=8), engine="dygraph", tile=tile, tile_pad=tile_pad)
    up.predictor = NearestX4()
    return up


def _nearest(image, s=4):
    return np.repeat(np.repeat(image, s, axis=0), s, axis=1)


def test_every_layout_comes_back_exactly_through_a_known_network():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    up = _upscaler()
    np.testing.assert_array_equal(up(rgb), _nearest(rgb))  # each channel its own, in order
    np.testing.assert_array_equal(up(rgb[:, :, 1]), _nearest(rgb[:, :, 1]))  # gray: luma of three equal channels
    np.testing.assert_array_equal(up(rgb[:, :, :1]), _nearest(rgb[:, :, :1]))
    deep = rgb.astype(np.uint16) * 257
    np.testing.assert_array_equal(up(deep), _nearest(deep))
    unit = rgb.astype(np.float32) / 255
    np.testing.assert_allclose(up(unit), _nearest(unit), rtol=0, atol=1e-6)
    # the network sees (1, 3, h, w) float32 windows of at most tile + 2 * tile_pad pixels
    assert all(w.dtype == np.float32 and w.shape[:2] == (1, 3) and max(w.shape[2:]) <= 5 for w in up.predictor.windows)


def test_one_pixel_rows_and_columns_are_images_too():
    up = _upscaler()
    for shape in ((1, 5, 3), (5, 1, 3), (1, 1, 3)):
        image = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape) * 20
        np.testing.assert_array_equal(up(image), _nearest(image))


@pytest.mark.parametrize("shape", [(0, 4, 3), (4, 0, 3), (0, 0, 3), (4, 4, 0), (4, 4, 5)])
def test_empty_images_and_odd_channel_counts_are_refused_by_shape(shape):
    with pytest.raises(ValueError, match=r"^expected an image shaped \(H, W\) or \(H, W, C\) with C in 1\.\.4, got "
                                         + re.escape(str(shape)) + "$"):
        _upscaler()(np.zeros(shape, np.uint8))


def test_the_network_sees_only_values_in_0_1():
    image = np.full((6, 6, 3), 0.5, np.float32)
    image[0, 0], image[5, 5] = -0.2, 1.2  # within the tolerance: accepted, clipped before the network
    up = _upscaler()
    out = up(image)
    seen = np.concatenate([w.ravel() for w in up.predictor.windows])
    assert seen.min() == 0.0 and seen.max() == 1.0
    assert out[0, 0, 0] == 0.0 and out[-1, -1, 0] == 1.0


def test_alpha_is_resized_on_its_own_scale():
    up = _upscaler()
    rgba = np.zeros((6, 6, 4), np.float32)
    rgba[:, :, 3] = 1.0  # opaque
    assert np.allclose(up(rgba)[:, :, 3], 1.0, atol=1e-6)
    rgba8 = np.zeros((6, 6, 4), np.uint8)
    rgba8[:, :, 3] = 255
    assert (up(rgba8)[:, :, 3] == 255).all()


def test_the_tiles_are_those_asked_for():
    up = _upscaler(tile=4, tile_pad=2)
    up(np.zeros((8, 12, 3), np.uint8))
    assert sorted({w.shape[2:] for w in up.predictor.windows}) == [(8, 8)]  # 2 x 3 tiles of 4, each 4 + 2 + 2
    assert len(up.predictor.windows) == 6


def test_upscale_tiled_returns_float32_and_names_a_network_of_another_scale():
    lr = np.random.default_rng(0).random((3, 5, 7), dtype=np.float32)
    out = infer.upscale_tiled(NearestX4(), lr, scale=4, tile=3, tile_pad=1)
    assert out.dtype == np.float32 and out.shape == (3, 20, 28)
    with pytest.raises(RuntimeError) as caught:
        infer.upscale_tiled(NearestX4(), lr, scale=2, tile=0)
    assert str(caught.value) == "the network returned (3, 20, 28) for a (1, 3, 5, 7) input; expected x2"


# --- the progress bar: on stderr when asked for, and only then ----------------------------------------
def test_tiles_show_a_progress_bar_only_when_asked(capsys):
    up = _upscaler(tile=4, tile_pad=1)
    image = np.zeros((8, 8, 3), np.uint8)  # 2 x 2 tiles
    up(image)
    assert capsys.readouterr().err == ""  # the default: quiet
    up(image, progress=True)
    err = capsys.readouterr().err
    assert "tiles:   0%" in err and "0/4" in err and "tile/s" in err  # drawn at the start ...
    assert "4/4" not in err and err.endswith("\r")  # ... and cleared at the end (the images bar stays)
    infer.upscale_tiled(NearestX4(), np.zeros((3, 8, 8), np.float32), scale=4, tile=4, tile_pad=1)
    assert capsys.readouterr().err == ""
    up(np.zeros((3, 3, 3), np.uint8), progress=True)  # one tile: no bar for it
    assert capsys.readouterr().err == ""


def test_the_tile_bar_counts_one_a_tile(monkeypatch, capsys):
    closed = []

    class Recording(infer.tqdm):
        def close(self):
            closed.append((self.n, self.total))
            super().close()

    monkeypatch.setattr(infer, "tqdm", Recording)
    infer.upscale_tiled(NearestX4(), np.zeros((3, 8, 8), np.float32), scale=4, tile=4, tile_pad=1, progress=True)
    assert set(closed) == {(4, 4)}  # 2 x 2 tiles, each counted once (close() runs again at exit)
