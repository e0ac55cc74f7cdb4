"""GWR and MGWR behind spatialflow.measures: parity with ``mgwr`` on its Georgia example,
prediction at held-out locations against a brute-force local regression, the seeded Monte
Carlo test of spatial variability, and typed input errors.

Every fit goes through ``mgwr`` (numba kernels compiled on first use, bandwidth searches by
backfitting): those tests are marked slow; the input checks run before ``mgwr`` is imported.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import CRSError, IdMismatchError, InputError, MissingDataError
from spatialflow.measures import gwr, mgwr

#: Same data, same mgwr calls: equal to round-off.
SAME_CALL_RTOL = 1e-12
#: A weighted least-squares solve written out (normal equations) against mgwr's: the two
#: orders of summation differ at round-off of a condition-number-sized factor.
BRUTE_RTOL = 1e-8
BRUTE_ATOL = 1e-10
#: mgwr's adaptive bandwidth is the b-th neighbour's distance times 1.0000001
#: (mgwr.kernels.Kernel, eps): without it the weights near the edge differ by up to 2e-5
#: relative and the estimates by ~1e-7, so the brute force uses the same convention.
MGWR_EPS = 1.0000001


@pytest.fixture(scope="module")
def georgia():
    import libpysal
    d = pd.read_csv(libpysal.examples.get_path("GData_utm.csv"))
    return d.set_index("AreaKey")


def _standardise(frame):
    return (frame - frame.mean()) / frame.std(ddof=0)


def _bisquare_adaptive(points, coords, bw):
    """Weights of every calibration point at each of ``points``: (m, n)."""
    d = np.sqrt(((points[:, None, :] - coords[None, :, :]) ** 2).sum(axis=2))
    db = np.sort(d, axis=1)[:, int(bw) - 1] * MGWR_EPS
    z = d / db[:, None]
    return np.where(z < 1, (1 - z ** 2) ** 2, 0.0)


# ------------------------------------------------------------------ Georgia parity
@pytest.mark.slow
def test_gwr_georgia_bandwidth_and_estimates_equal_mgwr(georgia):
    from mgwr.gwr import GWR
    from mgwr.sel_bw import Sel_BW

    X = georgia[["PctRural", "PctPov", "PctBlack"]]
    res = gwr(georgia["PctBach"], X, georgia[["X", "Y"]])
    # mgwr's test_sel_bw.test_golden_adapt_AICc (from GWR4): 93 neighbours
    assert res.bandwidths.tolist() == [93.0] * 4
    coords, y = georgia[["X", "Y"]].to_numpy(), georgia[["PctBach"]].to_numpy()
    direct = GWR(coords, y, X.to_numpy(), Sel_BW(coords, y, X.to_numpy(), n_jobs=1).search(),
                 n_jobs=1).fit()
    np.testing.assert_allclose(res.params.to_numpy(), direct.params, rtol=SAME_CALL_RTOL)
    np.testing.assert_allclose(res.bse.to_numpy(), direct.bse, rtol=SAME_CALL_RTOL)
    assert res.aicc == pytest.approx(direct.aicc, rel=SAME_CALL_RTOL)
    assert list(res.params.index) == list(georgia.index)
    assert list(res.params.columns) == ["Intercept", "PctRural", "PctPov", "PctBlack"]


@pytest.mark.slow
def test_mgwr_georgia_bandwidths_and_estimates_equal_mgwr(georgia):
    from mgwr.gwr import MGWR
    from mgwr.sel_bw import Sel_BW

    y = _standardise(georgia["PctBach"])
    X = _standardise(georgia[["PctFB", "PctBlack", "PctRural"]])
    res = mgwr(y, X, georgia[["X", "Y"]])
    # mgwr's test_sel_bw.test_MGWR_AICc
    assert res.bandwidths.tolist() == [101.0, 101.0, 117.0, 157.0]
    coords = georgia[["X", "Y"]].to_numpy()
    sel = Sel_BW(coords, y.to_numpy()[:, None], X.to_numpy(), multi=True, n_jobs=1)
    sel.search(verbose=False)
    direct = MGWR(coords, y.to_numpy()[:, None], X.to_numpy(), sel, n_jobs=1).fit()
    np.testing.assert_allclose(res.params.to_numpy(), direct.params, rtol=SAME_CALL_RTOL)
    np.testing.assert_allclose(res.tvalues.to_numpy(), direct.tvalues, rtol=SAME_CALL_RTOL)


# ------------------------------------------------------------------ prediction
def _split(georgia, k=20, seed=7):
    held = np.random.default_rng(seed).choice(len(georgia), size=k, replace=False)
    mask = np.zeros(len(georgia), bool)
    mask[held] = True
    return georgia[~mask], georgia[mask]


@pytest.mark.slow
def test_gwr_prediction_equals_brute_force_local_regression(georgia):
    train, test = _split(georgia)
    cols = ["PctRural", "PctPov", "PctBlack"]
    res = gwr(train["PctBach"], train[cols], train[["X", "Y"]], bw=60)
    pred = res.predict(test[["X", "Y"]], test[cols])
    X = np.column_stack([np.ones(len(train)), train[cols].to_numpy()])
    P = np.column_stack([np.ones(len(test)), test[cols].to_numpy()])
    W = _bisquare_adaptive(test[["X", "Y"]].to_numpy(), train[["X", "Y"]].to_numpy(), 60)
    y = train["PctBach"].to_numpy()
    for i in range(len(test)):
        XtW = X.T * W[i]
        beta = np.linalg.solve(XtW @ X, XtW @ y)
        np.testing.assert_allclose(pred.iloc[i, 1:].to_numpy(), beta, rtol=BRUTE_RTOL,
                                   atol=BRUTE_ATOL)
        assert pred["prediction"].iloc[i] == pytest.approx(P[i] @ beta, rel=BRUTE_RTOL)
    assert list(pred.index) == list(test.index)


@pytest.mark.slow
def test_mgwr_prediction_uses_each_terms_own_bandwidth(georgia):
    train, test = _split(georgia)
    cols = ["PctFB", "PctBlack", "PctRural"]
    bws = [40.0, 90.0, 130.0, 139.0]
    # tight backfitting: the fitted surfaces are then the fixed point to ~1e-8
    res = mgwr(train["PctBach"], train[cols], train[["X", "Y"]], bws=bws, tol=1e-8)
    assert res.bandwidths.tolist() == bws
    pred = res.predict(test[["X", "Y"]], test[cols])
    X = np.column_stack([np.ones(len(train)), train[cols].to_numpy()])
    beta = res.params.to_numpy()
    fitted = X * beta
    y = train["PctBach"].to_numpy()
    for j, bw in enumerate(bws):
        e_j = y - fitted.sum(axis=1) + fitted[:, j]          # partial residual of term j
        W = _bisquare_adaptive(test[["X", "Y"]].to_numpy(), train[["X", "Y"]].to_numpy(), bw)
        brute = (W * X[:, j] * e_j).sum(axis=1) / (W * X[:, j] ** 2).sum(axis=1)
        np.testing.assert_allclose(pred.iloc[:, 1 + j].to_numpy(), brute, rtol=BRUTE_RTOL,
                                   atol=BRUTE_ATOL)
    P = np.column_stack([np.ones(len(test)), test[cols].to_numpy()])
    np.testing.assert_allclose(pred["prediction"], (P * pred.iloc[:, 1:].to_numpy()).sum(1),
                               rtol=BRUTE_RTOL)
    # at the calibration points the prediction is the fitted surface (the backfitting fixed
    # point), up to the backfitting tolerance
    again = res.predict(train[["X", "Y"]], train[cols])
    np.testing.assert_allclose(again.iloc[:, 1:].to_numpy(), beta, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ Monte Carlo test
@pytest.mark.slow
def test_spatial_variability_is_seeded_and_restores_the_global_rng():
    rng = np.random.default_rng(5)
    n = 60  # mgwr's adaptive search starts at 40 + 2k neighbours
    c = pd.DataFrame(rng.uniform(0, 10, (n, 2)), columns=["x", "y"])
    X = pd.DataFrame({"a": rng.standard_normal(n)})
    # the slope of a grows from west to east; the intercept does not vary
    y = 1 + X["a"] * c["x"] / 2 + 0.1 * rng.standard_normal(n)
    res = gwr(y, X, c)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    p1 = res.spatial_variability(n_iters=4, seed=11)
    assert np.array_equal(np.random.get_state()[1], before)
    p2 = res.spatial_variability(n_iters=4, seed=11)
    pd.testing.assert_series_equal(p1, p2)
    assert list(p1.index) == ["Intercept", "a"]
    assert p1["a"] == 0.0                                     # no permutation varies more
    assert set((p1 * 4).round(12)) <= {0.0, 1.0, 2.0, 3.0, 4.0}


# ------------------------------------------------------------------ inputs (fast)
def _small():
    ids = [f"u{i}" for i in range(12)]
    c = pd.DataFrame({"x": np.arange(12.0), "y": np.arange(12.0) % 4}, index=ids)
    X = pd.DataFrame({"a": np.linspace(0, 1, 12)}, index=ids)
    y = pd.Series(np.arange(12.0), index=ids)
    return y, X, c


def test_bad_inputs_raise_typed_errors_before_fitting():
    y, X, c = _small()
    with pytest.raises(IdMismatchError, match="only in coords: \\['z'\\]"):
        gwr(y, X, c.rename(index={"u0": "z"}))
    with pytest.raises(InputError, match="kernel must be one of"):
        gwr(y, X, c, kernel="boxcar")
    with pytest.raises(InputError, match="must not contain 'Intercept'"):
        mgwr(y, X.assign(Intercept=1.0), c)
    with pytest.raises(InputError, match="number of neighbours from 2 to n = 12"):
        gwr(y, X, c, bw=40)
    with pytest.raises(InputError, match="one bandwidth per term"):
        mgwr(y, X, c, bws=[5])
    holed = y.copy()
    holed["u3"] = np.nan
    with pytest.raises(MissingDataError, match="u3"):
        gwr(holed, X, c)
    import geopandas as gpd
    pts = gpd.GeoSeries(gpd.points_from_xy(c["x"] + 110, c["y"] + 22), index=c.index,
                        crs="EPSG:4326")
    with pytest.raises(CRSError, match="spherical=True"):
        gwr(y, X, pts)
