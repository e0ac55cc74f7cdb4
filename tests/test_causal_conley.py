"""Conley spatial-HAC covariance: the meat against a dense brute-force reading of its formula
and against diff-diff's implementation; its use on an SDM-DID."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

from spatialflow.causal import SpatialDiD, SpatialDiDSimulator
from spatialflow.causal.conley import (EARTH_RADIUS_KM, conley_meat, pairwise_distance,
                                       spatial_kernel)
from spatialflow.exceptions import InputError, ModelSpecificationError

#: the vectorised meat and the double loop add the same products in another order
BRUTE_RTOL = 1e-10


def _brute_force_meat(scores, coords, cutoff, kernel, n, T, L):
    """S' Omega S with the weight of every pair of rows (r, s) written out one by one:
    same period -> K(d_ij / h); same unit, 0 < |t - u| <= L -> 1 - |t - u| / (L + 1)."""
    N = scores.shape[0]
    omega = np.zeros((N, N))
    for r in range(N):
        t, i = divmod(r, n)
        for s in range(N):
            u, j = divmod(s, n)
            if t == u:
                lat1, lon1, lat2, lon2 = (np.radians(v) for v in (*coords[i], *coords[j]))
                a = (np.sin((lat2 - lat1) / 2) ** 2
                     + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
                x = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(min(a, 1.0))) / cutoff
                omega[r, s] = max(0.0, 1.0 - x) if kernel == "bartlett" else float(x <= 1.0)
            elif i == j and abs(t - u) <= L:
                omega[r, s] = 1.0 - abs(t - u) / (L + 1.0)
    return scores.T @ omega @ scores


@pytest.fixture(scope="module")
def design():
    rng = np.random.default_rng(7)
    n, T, p = 12, 5, 3
    coords = np.column_stack([rng.uniform(21.5, 25.0, n), rng.uniform(110.5, 117.0, n)])
    scores = rng.normal(size=(n * T, p))
    return scores, coords, n, T


@pytest.mark.parametrize("kernel", ["bartlett", "uniform"])
@pytest.mark.parametrize("L", [0, 2])
def test_meat_matches_brute_force(design, kernel, L):
    scores, coords, n, T = design
    cutoff = 250.0
    K = spatial_kernel(pairwise_distance(coords), cutoff, kernel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the uniform kernel may be indefinite
        got = conley_meat(scores, K, n, T, L)
    want = _brute_force_meat(scores, coords, cutoff, kernel, n, T, L)
    np.testing.assert_allclose(got, want, rtol=BRUTE_RTOL, atol=BRUTE_RTOL * np.abs(want).max())


@pytest.mark.parametrize("kernel", ["bartlett", "uniform"])
def test_meat_matches_diff_diff(design, kernel):
    from diff_diff.conley import _compute_conley_meat
    scores, coords, n, T = design
    unit = np.tile(np.arange(n), T)
    time = np.repeat(np.arange(T), n)
    K = spatial_kernel(pairwise_distance(coords), 300.0, kernel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = conley_meat(scores, K, n, T, 2)
        ref = _compute_conley_meat(scores, coords[unit], 300.0, "haversine", kernel,
                                   time=time, unit=unit, lag_cutoff=2)
    np.testing.assert_allclose(got, ref, rtol=BRUTE_RTOL, atol=BRUTE_RTOL * np.abs(ref).max())


def test_distance_matches_diff_diff(design):
    from diff_diff.conley import _haversine_km
    _, coords, _, _ = design
    D = pairwise_distance(coords)
    ref = _haversine_km(coords[:, 0][:, None], coords[:, 1][:, None],
                        coords[:, 0][None, :], coords[:, 1][None, :])
    np.testing.assert_allclose(D, ref, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(np.diag(D), 0.0)


def test_tiny_cutoff_without_lags_is_the_white_meat(design):
    scores, coords, n, T = design
    K = spatial_kernel(pairwise_distance(coords), 1e-6, "bartlett")
    np.testing.assert_allclose(conley_meat(scores, K, n, T, 0), scores.T @ scores, rtol=1e-12)


def test_bad_options(design):
    scores, coords, n, T = design
    with pytest.raises(InputError, match="cutoff must be a positive number"):
        spatial_kernel(pairwise_distance(coords), -1.0, "bartlett")
    with pytest.raises(InputError, match="kernel must be 'bartlett' or 'uniform'"):
        spatial_kernel(pairwise_distance(coords), 10.0, "parzen")
    K = np.eye(n)
    with pytest.raises(InputError, match=r"0 <= lag_cutoff < T = 5; 5 was given"):
        conley_meat(scores, K, n, T, 5)


@pytest.fixture(scope="module")
def did_data():
    w = lat2W(6, 6)
    w.transform = "r"
    data = SpatialDiDSimulator(w, T=8, start=2001, seed=9).draw(seed=2).data
    # lattice cell (r, c) placed on a 0.1-degree grid in Guangdong
    pos = {i: divmod(i, 6) for i in range(36)}
    data["lat"] = data["id"].map(lambda i: 22.0 + 0.1 * pos[i][0])
    data["lon"] = data["id"].map(lambda i: 113.0 + 0.1 * pos[i][1])
    return data, w


def test_conley_on_sdm_did(did_data):
    from spatialflow.causal._bridge import row_scores
    data, w = did_data
    model = SpatialDiD.from_formula("y ~ x", data, w, id="id", time="year", treatment="D",
                                    coords=("lat", "lon"))
    classic = model.fit()
    res = model.fit(cov_type="conley", cutoff=25.0, lag_cutoff=2)
    assert res.cov_type == "conley"
    pd.testing.assert_series_equal(res.params, classic.params)
    # V S V with the scores of the classic fit, S by brute force
    pdata = classic.fit.model.panel_options.data
    xy = data.groupby("id")[["lat", "lon"]].first().loc[pdata.ids].to_numpy()
    S = _brute_force_meat(row_scores(classic.fit).scores, xy, 25.0, "bartlett", pdata.n,
                          pdata.T, 2)
    V = classic.fit.cov_full.to_numpy()
    np.testing.assert_allclose(res.fit.cov_full.to_numpy(), V @ S @ V, rtol=1e-9,
                               atol=1e-12 * np.abs(V @ S @ V).max())
    eff = res.effects(method="delta")
    assert (eff["std_error"] > 0).all()
    assert not np.allclose(eff["std_error"], classic.effects(method="delta")["std_error"])


def test_conley_needs_coords_and_cutoff(did_data):
    data, w = did_data
    model = SpatialDiD.from_formula("y ~ x", data, w, id="id", time="year", treatment="D")
    with pytest.raises(ModelSpecificationError, match="needs unit locations"):
        model.fit(cov_type="conley", cutoff=10.0)
    model = SpatialDiD.from_formula("y ~ x", data, w, id="id", time="year", treatment="D",
                                    coords=("lat", "lon"))
    with pytest.raises(InputError, match="needs cutoff="):
        model.fit(cov_type="conley")
    with pytest.raises(InputError, match="apply to cov_type='conley'"):
        model.fit(cov_type="cluster", cutoff=10.0)
