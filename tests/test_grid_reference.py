"""grid_share and grid_contrast against a direct transcription of their definitions.

tests/test_grid.py checks what the measures are for (chance level, a painted lattice, shifts);
this checks the numbers themselves on a random image, to float precision, from the definitions
in srgan.metrics written out with explicit loops and a 2-D DFT: the Y plane high-passed by
y - blur (taps [1, 2, ..., 2, 1] / (2P), edges mirrored half-sample), cut into window x window
tiles from the top-left corner, each tile's mean removed; grid_share = energy at the period-P
frequencies over the tiles' total energy; grid_contrast = summed energy at the lattice
frequencies over the summed mean energy of their neighbours (+-1 bin, along the axis for a
frequency on an axis), both pooled over tiles.
"""

import numpy as np
import pytest

from srgan.metrics import grid_contrast, grid_ratio, grid_share


def _tiles(y: np.ndarray, period: int, window: int) -> list[np.ndarray]:
    taps = [1.0] + [2.0] * (period - 1) + [1.0]
    taps = np.array(taps) / (2.0 * period)
    r = period // 2  # P + 1 taps, centred (P even)
    padded = np.pad(y, r, mode="symmetric")
    h, w = y.shape
    rows = np.zeros((h + 2 * r, w))
    for k, t in enumerate(taps):  # horizontal pass
        rows += t * padded[:, k : k + w]
    blur = np.zeros((h, w))
    for k, t in enumerate(taps):  # vertical pass
        blur += t * rows[k : k + h, :]
    hp = y - blur
    tiles = []
    for top in range(0, h - window + 1, window):
        for left in range(0, w - window + 1, window):
            tile = hp[top : top + window, left : left + window]
            tiles.append(tile - tile.mean())
    return tiles


def _share(y, period, window):
    lattice = total = 0.0
    n = window // period
    for tile in _tiles(y, period, window):
        energy = np.abs(np.fft.fft2(tile)) ** 2 / window**2  # Parseval: sums to sum(tile ** 2)
        total += np.sum(tile**2)
        lattice += sum(energy[a * n, b * n] for a in range(period) for b in range(period) if (a, b) != (0, 0))
    return lattice / total


def _contrast(y, period, window):
    spectrum = sum(np.abs(np.fft.fft2(tile)) ** 2 for tile in _tiles(y, period, window))
    # The definition in words: every lattice frequency (multiples of window / period, DC left
    # out) against the mean of its 4-neighbours; for a frequency on an axis (k = 0 or l = 0) only
    # the neighbours along that axis count.
    n = window // period
    lattice_points = [(a * n, b * n) for a in range(period) for b in range(period) if a or b]
    steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    lattice = sum(spectrum[k, l] for k, l in lattice_points)
    adjacent = 0.0
    for k, l in lattice_points:
        near = [((k + dk) % window, (l + dl) % window) for dk, dl in steps if not (k == 0 and dk) and not (l == 0 and dl)]
        adjacent += np.mean([spectrum[i, j] for i, j in near])
    return lattice / adjacent


@pytest.mark.parametrize("period, window", [(4, 32), (2, 4), (4, 8), (2, 16)])
def test_grid_measures_match_their_definitions(period, window):
    rng = np.random.default_rng(period * 100 + window)
    # random texture with a faint lattice and a ramp (the high-pass must remove the ramp)
    y = rng.normal(120, 25, (70, 90)) + np.add.outer(np.arange(70), np.arange(90)) * 0.5
    y += 3 * (np.add.outer(np.arange(70) % period, np.arange(90) % period) == 0)
    assert grid_share(y, period=period, window=window) == pytest.approx(_share(y, period, window), rel=1e-9)
    assert grid_contrast(y, period=period, window=window) == pytest.approx(_contrast(y, period, window), rel=1e-9)


def test_grid_ratio_crops_both_images():
    rng = np.random.default_rng(3)
    sr, hr = rng.normal(128, 30, (80, 80)), rng.normal(128, 30, (80, 80))
    sr[:4] = 0  # a border unlike the rest, removed by crop_border=4
    expected = _share(sr[4:-4, 4:-4], 4, 32) / _share(hr[4:-4, 4:-4], 4, 32)
    assert grid_ratio(sr, hr, crop_border=4) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("kwargs, message", [(dict(period=4.0), "period must be an integer >= 2"),
                                             (dict(period=True), "period must be an integer >= 2"),
                                             (dict(window=32.0), "window must be a multiple of period=4"),
                                             (dict(window=True), "window must be a multiple of period=4")])
def test_non_integer_period_or_window_is_refused_by_name(kwargs, message):
    for measure in (grid_share, grid_contrast):
        with pytest.raises(ValueError, match=f"^{measure.__name__}: {message}"):
            measure(np.zeros((64, 64)), **kwargs)
