"""ICNR initialisation: an upsampling block that starts without a checkerboard."""

from __future__ import annotations

import numpy as np
import paddle

from srgan.models import UpsampleBlock, icnr_
from srgan.viz import phase_pattern


def largest_phase_deviation(block: UpsampleBlock) -> float:
    flat = paddle.full([1, 8, 10, 10], 0.5)
    with paddle.no_grad():
        maps = block(flat).numpy()[0, :, 2:-2, 2:-2]  # border (zero padding) dropped
    return max(np.abs(phase_pattern(m, 2)).max() for m in maps)


def test_icnr_removes_the_checkerboard_of_a_flat_input():
    paddle.seed(0)
    block = UpsampleBlock(channels=8)
    assert largest_phase_deviation(block) > 1e-2  # the default initialisation draws one
    first = block.conv.weight.numpy()[0::4].copy()  # kernel of sub-pixel position 0 of each channel
    icnr_(block)
    assert largest_phase_deviation(block) < 1e-6
    np.testing.assert_array_equal(block.conv.weight.numpy()[0::4], first)  # position 0 kept, the others copy it
    np.testing.assert_array_equal(block.conv.weight.numpy()[3::4], first)
