"""viz.crops_at_scale shows a crop at exactly `zoom` screen pixels per image pixel."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from srgan import viz  # noqa: E402


def rendered(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[:, :, :3]


def test_each_image_pixel_becomes_a_zoom_by_zoom_block():
    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    lr = hr[::4, ::4]  # 1/4 the size: cut at window / 4 and enlarged 4 times
    fig = viz.crops_at_scale([("HR\ntwo lines", hr), ("LR", lr)], (8, 12, 32), zoom=3, columns=2, show=False)
    pixels = rendered(fig)
    for ax, expected in zip(fig.axes, [hr[8:40, 12:44], np.repeat(np.repeat(lr[2:10, 3:11], 4, 0), 4, 1)]):
        x0, y0, x1, y1 = np.round(ax.get_window_extent().extents).astype(int)
        assert (x1 - x0, y1 - y0) == (96, 96)  # 32 px at zoom 3
        top = pixels.shape[0] - y1  # the canvas counts rows from the top
        shown = pixels[top:top + 96, x0:x0 + 96]
        np.testing.assert_array_equal(shown, np.repeat(np.repeat(expected, 3, 0), 3, 1))
