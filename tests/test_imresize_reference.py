"""srgan.imresize against a line-by-line transcription of MATLAB's imresize.m (bicubic).

The benchmark LR files pin the x1/4 shrink of the paper's sizes; these cases reach what they do
not: non-integer and unit scales, output_shape with a different scale per dimension (MATLAB
resizes the dimension with the smaller scale first, rounding uint8 after each pass), images one
pixel wide, and the symmetric boundary srgan.niqe uses (R2021a: aux = [1:n, n:-1:1]). The
transcription below uses MATLAB's 1-based arithmetic and plain loops on purpose.
"""

import math

import numpy as np
import pytest

from srgan.imresize import imresize


def _cubic(x):
    """imresize.m's cubic(x): Keys' kernel, a = -0.5."""
    absx = abs(x)
    absx2, absx3 = absx**2, absx**3
    return ((1.5 * absx3 - 2.5 * absx2 + 1) * (absx <= 1)
            + (-0.5 * absx3 + 2.5 * absx2 - 4 * absx + 2) * ((1 < absx) and (absx <= 2)))


def _contributions(in_length, out_length, scale, symmetric):
    """imresize.m's contributions(): per output pixel, 1-based input indices and weights."""
    if scale < 1:  # antialiasing
        h = lambda x: scale * _cubic(scale * x)  # noqa: E731
        kernel_width = 4 / scale
    else:
        h, kernel_width = _cubic, 4
    P = math.ceil(kernel_width) + 2
    aux = list(range(1, in_length + 1)) + list(range(in_length, 0, -1))
    rows = []
    for x in range(1, out_length + 1):
        u = x / scale + 0.5 * (1 - 1 / scale)
        left = math.floor(u - kernel_width / 2)
        indices = [left + k for k in range(P)]
        weights = [h(u - j) for j in indices]
        total = sum(weights)
        weights = [w / total for w in weights]
        if symmetric:
            indices = [aux[(j - 1) % len(aux)] for j in indices]
        else:
            indices = [min(max(1, j), in_length) for j in indices]
        rows.append((indices, weights))
    # MATLAB drops the columns whose weights are all zero; that does not change any sum
    return rows


def _resize_along_dim(image, dim, out_length, scale, symmetric, uint8):
    rows = _contributions(image.shape[dim], out_length, scale, symmetric)
    moved = np.moveaxis(image, dim, 0)
    out = np.zeros((out_length,) + moved.shape[1:])
    for i, (indices, weights) in enumerate(rows):
        for j, w in zip(indices, weights):
            out[i] += w * moved[j - 1]
    if uint8:  # imresizemex: round halves away from zero, saturate
        out = np.clip(np.sign(out) * np.floor(np.abs(out) + 0.5), 0, 255)
    return np.moveaxis(out, 0, dim)


def _matlab_imresize(image, scale=None, output_shape=None, symmetric=False):
    if output_shape is None:
        scales = [scale, scale]
        output_shape = [math.ceil(scale * n) for n in image.shape[:2]]
    else:
        scales = [output_shape[d] / image.shape[d] for d in (0, 1)]
    order = sorted((0, 1), key=lambda d: scales[d])  # [~, order] = sort(scale): stable
    out = image.astype(np.float64)
    for d in order:
        out = _resize_along_dim(out, d, output_shape[d], scales[d], symmetric, image.dtype == np.uint8)
    return out.astype(image.dtype)


CASES = [
    dict(scale=1.5),  # upscaling by a non-integer factor: no antialiasing
    dict(scale=1.0),  # the identity
    dict(scale=0.6),
    dict(scale=0.25),
    dict(output_shape=(5, 17)),  # rows shrink, columns grow: columns go second
    dict(output_shape=(20, 4)),  # rows grow, columns shrink: columns go first
]


@pytest.mark.parametrize("kwargs", CASES, ids=lambda k: str(k))
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
@pytest.mark.parametrize("symmetric", [False, True], ids=["clamp", "symmetric"])
def test_imresize_matches_the_transcription_of_imresize_m(kwargs, dtype, symmetric):
    rng = np.random.default_rng(11)
    image = rng.integers(0, 256, (11, 9, 3)).astype(dtype)
    boundary = "symmetric" if symmetric else "clamp"
    got = imresize(image, boundary=boundary, **kwargs)
    expected = _matlab_imresize(image, symmetric=symmetric, **kwargs)
    assert got.dtype == dtype and got.shape == expected.shape
    if dtype == np.uint8:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_unit_scale_is_the_identity():
    image = np.random.default_rng(2).integers(0, 256, (6, 7), dtype=np.uint8)
    np.testing.assert_array_equal(imresize(image, scale=1.0), image)


@pytest.mark.parametrize("symmetric", [False, True], ids=["clamp", "symmetric"])
def test_tiny_images_reach_far_past_both_edges(symmetric):
    """A 2-pixel dimension shrunk by 4: the 16-tap window reaches several times past each edge,
    where clamping and mirroring (with its period 2n) differ."""
    image = np.array([[0.0, 100.0, 30.0], [200.0, 7.0, 90.0]])
    boundary = "symmetric" if symmetric else "clamp"
    for kwargs in (dict(scale=0.25), dict(output_shape=(1, 1)), dict(output_shape=(2, 3))):
        np.testing.assert_allclose(imresize(image, boundary=boundary, **kwargs),
                                   _matlab_imresize(image, symmetric=symmetric, **kwargs), rtol=0, atol=1e-9)


def test_images_one_pixel_wide_or_high_are_resized():
    column = np.arange(0, 250, 10, dtype=np.uint8).reshape(25, 1)
    for image in (column, column.T, column[:1]):
        for kwargs in (dict(scale=4), dict(output_shape=(1, 3)), dict(output_shape=(3, 1))):
            np.testing.assert_array_equal(imresize(image, **kwargs), _matlab_imresize(image, **kwargs))


def test_bad_sizes_and_boundaries_are_named():
    image = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match=r"boundary must be one of .*'mirror'"):
        imresize(image, scale=0.5, boundary="mirror")
    from srgan.imresize import contributions

    with pytest.raises(ValueError, match=r"boundary must be one of .*'mirror'"):
        contributions(4, 2, 0.5, boundary="mirror")
    for shape in ((0, 4), (4, 0), (4,), (2, 2, 2)):
        with pytest.raises(ValueError, match=r"output_shape must be \(height, width\) with positive sizes"):
            imresize(image, output_shape=shape)
    for empty in (np.zeros((0, 4), np.uint8), np.zeros((4, 0), np.uint8)):
        with pytest.raises(ValueError, match=r"expects an \(H, W\) or \(H, W, C\) image"):
            imresize(empty, scale=2)
