"""NIQE (srgan.niqe) against transcriptions of the authors' MATLAB release, step by step: the
AGGD fit's grid search (estimateaggdparam.m), the test image's MVG (nanmean / nancov and
Eq. 10 of computequality.m), the exact-zero MSCN of flat neighbourhoods, the border crop and
the input checks. Written after mutation testing (benchmarks/mutation.md) showed that bugs in
these steps moved baboon's NIQE by less than the 1e-3 the MATLAB test allows."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import gamma
from skimage import data

import srgan.niqe as niqe_module
from srgan.niqe import BLOCK_SIZE, load_pristine_model, mscn, niqe, niqe_features

# estimateaggdparam.m: gam = 0.2:0.001:10; r_gam = gamma(2./gam).^2 ./ (gamma(1./gam) .* gamma(3./gam))
GAM = np.arange(200, 10001) / 1000.0
R_GAM = gamma(2.0 / GAM) ** 2 / (gamma(1.0 / GAM) * gamma(3.0 / GAM))


def matlab_aggd(vec: np.ndarray) -> tuple[float, float, float]:
    """estimateaggdparam.m, line by line, for one sample vector: (alpha, leftstd, rightstd).

    MATLAB's min over the squared differences returns the first minimum; over all-NaN values
    (no negative or no positive sample) it returns NaN at index 1, so alpha is gam(1) = 0.2."""
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an empty selection is NaN, as in MATLAB
        leftstd = np.sqrt(np.mean(vec[vec < 0] ** 2))
        rightstd = np.sqrt(np.mean(vec[vec > 0] ** 2))
        gammahat = leftstd / rightstd
        rhat = np.mean(np.abs(vec)) ** 2 / np.mean(vec**2)
        rhatnorm = rhat * (gammahat**3 + 1) * (gammahat + 1) / (gammahat**2 + 1) ** 2
    differences = (R_GAM - rhatnorm) ** 2
    position = 0 if np.isnan(differences).all() else int(np.nanargmin(differences))
    alpha = GAM[position]
    factor = np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    return alpha, leftstd * factor, rightstd * factor


def _rows() -> np.ndarray:
    """Sample vectors (one per row, 10,000 samples) covering the whole grid and its ends."""
    rng = np.random.default_rng(7)
    n = 10_000
    rows = [rng.standard_normal(n), rng.laplace(size=n), rng.uniform(-1, 1, n),
            rng.standard_normal(n) * np.where(rng.random(n) < 0.5, 0.3, 2.0),  # asymmetric spreads
            np.where(rng.random(n) < 0.5, -1.0, 1.0)]  # |x| constant: ratio 1, beyond the grid's last 0.7405
    for shape in rng.uniform(0.25, 6.0, 40):  # generalised Gaussians: every part of the grid
        magnitude = rng.gamma(1.0 / shape, size=n) ** (1.0 / shape)
        rows.append(magnitude * np.where(rng.random(n) < 0.5, -1.0, 1.0) * rng.uniform(0.5, 2.0))
    # 630 values of +-1 among zeros: ratio 0.063, between the first grid ratio (0.06294) and the
    # midpoint to the second, so alpha is the grid's first value 0.2
    sparse = np.zeros(n)
    sparse[:315], sparse[315:630] = 1.0, -1.0
    rows.append(sparse)
    very_sparse = np.zeros(n)  # ratio 2e-4, below the whole grid: alpha 0.2 too
    very_sparse[:2] = (1.0, -1.0)
    rows.append(very_sparse)
    rows.append(np.abs(rng.standard_normal(n)))  # no negative sample: NaN left scale, alpha 0.2
    return np.stack(rows)


def test_aggd_fit_is_matlabs_grid_search():
    rows = _rows()
    shape, left, right = niqe_module._aggd_fit(rows)
    expected = np.array([matlab_aggd(row) for row in rows])
    np.testing.assert_array_equal(shape, expected[:, 0])  # the same grid point, not a neighbour
    np.testing.assert_allclose(left, expected[:, 1], rtol=1e-12)
    np.testing.assert_allclose(right, expected[:, 2], rtol=1e-12)
    # the rows were chosen to reach both ends of the grid and many points between
    assert {0.2, 10.0} <= set(shape) and len(set(shape)) > 40
    assert shape[-3] == 0.2 and shape[-2] == 0.2 and shape[-1] == 0.2 and np.isnan(left[-1])


def test_a_flat_patch_has_the_grid_s_first_shape_and_undefined_scales():
    # A patch whose MSCN coefficients are all 0 (constant neighbourhoods) has no negative and no
    # positive sample: MATLAB gives alpha = gam(1) = 0.2 and NaN scales for it.
    image = data.camera()[:96, :192].astype(np.float64)
    image[:, :110] = 128.0  # patch 0 and every window reaching into it, at both scales
    features = niqe_features(image)
    assert features.shape == (2, 36)
    assert features[0, 0] == 0.2 and features[0, 18] == 0.2  # MSCN shape at scales 1 and 2
    assert np.isnan(features[0, 1]) and np.isfinite(features[1]).all()


def test_no_runtime_warnings_on_flat_patches_or_a_constant_image():
    """The NaN features of flat patches are expected (MATLAB's nanmean skips them): no numpy
    warnings reach the user."""
    image = data.chelsea()[:192, :288].copy()
    image[:99, :99] = 128
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(niqe(image))
        assert np.isnan(niqe(np.full((96, 192), 80, np.uint8)))


def test_flat_neighbourhoods_are_exactly_zero_up_to_the_edge_of_the_window():
    # The filter's rounding leaves 3e-14 to 6e-14 on the right of these edges (a dark-to-bright
    # and a bright-to-dark one); every pixel whose 7x7 window is constant, and only those, is
    # set to exactly 0.
    for left, right in ((37.0, 211.0), (250.0, 90.0)):
        image = np.full((40, 40), left)
        image[:, 20:] = right
        for columns in (mscn(image), mscn(image.T.copy()).T):
            assert np.all(columns[:, :17] == 0) and np.all(columns[:, 23:] == 0)  # windows 3 px from the edge
            assert np.all(columns[:, 17:23] != 0)


def test_features_of_uint8_luma_equal_those_of_float_luma():
    y = data.camera()[:192, :200]
    np.testing.assert_array_equal(niqe_features(y), niqe_features(y.astype(np.float64)))


@pytest.mark.parametrize("shape", [(95, 200), (200, 95), (100, 100, 3)])
def test_niqe_features_refuses_what_it_cannot_cut_into_patches(shape):
    with pytest.raises(ValueError, match=r"niqe_features needs an \(H, W\) image, H, W >= 96"):
        niqe_features(np.zeros(shape))


# --- the MVG step (computequality.m) ------------------------------------------------------
def matlab_quality(features: np.ndarray) -> float:
    """computequality.m after the features: nanmean, nancov (rows without NaN; cov of a single
    row is 0; no such row gives NaN), then Eq. 10 with pinv."""
    mu_pris, cov_pris = load_pristine_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mu = np.nanmean(features, axis=0)
    complete = features[~np.isnan(features).any(axis=1)]
    if len(complete) == 0:
        return float("nan")
    cov = np.zeros((36, 36)) if len(complete) == 1 else np.cov(complete, rowvar=False)
    diff = mu_pris - mu
    return float(np.sqrt(diff @ np.linalg.pinv((cov_pris + cov) / 2) @ diff))


def _features_like_a_photo(rows: int, seed: int) -> np.ndarray:
    mu, cov = load_pristine_model()
    return np.random.default_rng(seed).multivariate_normal(mu + 0.1, cov * 2, size=rows)


@pytest.mark.parametrize("case", ["several rows", "two rows", "NaN in some rows", "one complete row", "no complete row"])
def test_niqe_is_computequality_on_the_features(case, monkeypatch):
    features = _features_like_a_photo(2 if case == "two rows" else 6, seed=3)
    if case == "NaN in some rows":
        features[1, [1, 5, 30]] = np.nan
        features[4, 1] = np.nan
    if case == "one complete row":
        features[1:, 7] = np.nan
    if case == "no complete row":  # every feature is defined in some row, but no row in all
        features[0::2, 3] = np.nan
        features[1::2, 4] = np.nan
    monkeypatch.setattr(niqe_module, "niqe_features", lambda y: features.copy())
    got = niqe(np.zeros((96, 96), np.uint8))
    expected = matlab_quality(features)
    if case == "no complete row":
        assert np.isnan(expected) and np.isnan(got)
    else:
        assert np.isfinite(expected) and got == pytest.approx(expected, rel=1e-9)


# --- border crop and input checks ----------------------------------------------------------
def test_crop_border_takes_the_border_off_all_four_sides():
    # Width 96*2 + 90 + 2*10: after the crop two patches (282 px); had the right border stayed,
    # the third patch would fit (292 px) and change the score. Same for the height.
    image = data.astronaut()[:96 * 2 + 90 + 20, :96 * 2 + 90 + 20]
    c = 10
    assert niqe(image, crop_border=c) == niqe(image[c:-c, c:-c])
    assert niqe(image, crop_border=c) != niqe(image[c:, c:])


def test_the_smallest_image_after_the_crop_is_accepted_in_each_direction():
    rng = np.random.default_rng(0)
    c = 7
    assert np.isfinite(niqe(rng.integers(0, 256, (96 + 2 * c, 300), dtype=np.uint8), crop_border=c))
    assert np.isfinite(niqe(rng.integers(0, 256, (300, 96 + 2 * c), dtype=np.uint8), crop_border=c))
    for shape in ((95 + 2 * c, 300), (300, 95 + 2 * c)):
        with pytest.raises(ValueError, match=rf"at least 96x96 pixels after cropping crop_border={c} from each side"):
            niqe(rng.integers(0, 256, shape, dtype=np.uint8), crop_border=c)


def test_the_size_message_without_a_crop_says_only_the_size():
    with pytest.raises(ValueError) as caught:
        niqe(np.zeros((95, 200, 3), np.uint8))
    assert str(caught.value) == f"niqe needs an image of at least {BLOCK_SIZE}x{BLOCK_SIZE} pixels (one 96x96 patch), got 95x200"


@pytest.mark.parametrize("shape", [(128, 128, 4), (128, 128, 1), (2, 96, 3, 3)])
def test_wrong_channels_are_refused_by_niqe_itself(shape):
    with pytest.raises(ValueError, match=r"^niqe expects an \(H, W, 3\) RGB or \(H, W\) gray image, got shape"):
        niqe(np.zeros(shape, np.uint8))
