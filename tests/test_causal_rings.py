"""Ring exposure (Butts 2023): parity with diff-diff's SpilloverDiD, contiguity orders, errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

from spatialflow.causal import SpatialDiD
from spatialflow.causal.rings import contiguity_orders, ring_exposure
from spatialflow.exceptions import ExposureError, ModelSpecificationError

#: one-step two-way FE and Gardner's two-stage estimator are algebraically equal on a single
#: adoption date without controls; they differ only by floating-point round-off (diff-diff's
#: iterative stage-1 solver converges to 1e-10)
PARITY_RTOL = 1e-6
SIDE = 8


def _panel(staggered: bool, seed: int = 1):
    rng = np.random.default_rng(seed)
    w = lat2W(SIDE, SIDE)
    w.transform = "r"
    n, T = SIDE * SIDE, 6
    ids = np.array(w.id_order)
    df = pd.DataFrame({"u": np.repeat(ids, T), "t": np.tile(np.arange(2001, 2001 + T), n)})
    df["lat"] = 22 + 0.1 * (df["u"] // SIDE)
    df["lon"] = 113 + 0.1 * (df["u"] % SIDE)
    chosen = rng.choice(n, 7, replace=False)
    onset = pd.Series(np.inf, index=ids)
    onset[chosen] = rng.choice([2003, 2005], 7) if staggered else 2004
    df["D"] = (df["t"] >= df["u"].map(onset)).astype(int)
    df["y"] = (rng.normal(size=len(df)) + 1.2 * df["D"] + rng.normal(size=n)[df["u"]]
               + 0.1 * (df["t"] - 2000))
    return df, w


def _diff_diff(df, rings, **options):
    from diff_diff import SpilloverDiD
    est = SpilloverDiD(rings=rings, conley_coords=("lat", "lon"), **options)
    return est.fit(df, outcome="y", unit="u", time="t", treatment="D")


def test_twfe_rings_match_spilloverdid_on_one_adoption_date():
    df, w = _panel(staggered=False)
    rings = [0, 12, 25]
    ours = SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                   model="rings", rings=rings, coords=("lat", "lon")).fit()
    ref = _diff_diff(df, rings)
    np.testing.assert_allclose(ours.params["D"], ref.att, rtol=PARITY_RTOL)
    np.testing.assert_allclose(ours.params[["ring_1", "ring_2"]].to_numpy(),
                               ref.spillover_effects["coef"].to_numpy(), rtol=PARITY_RTOL)
    eff = ours.effects()
    assert list(eff.index) == ["direct", "indirect", "total"]
    assert np.isnan(eff.loc["total", "estimate"])
    # the indirect effect is the exposure-weighted mean of the ring coefficients
    table = ours.fit.ring_table
    np.testing.assert_allclose(eff.loc["indirect", "estimate"],
                               (table["estimate"] * table["rows"]).sum() / table["rows"].sum(),
                               rtol=1e-12)


def test_gardner_wrapper_is_spilloverdid_under_staggered_adoption():
    df, w = _panel(staggered=True)
    rings = [0, 12, 25]
    model = SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                    model="rings", rings=rings, coords=("lat", "lon"))
    g = model.fit(estimator="gardner", cov_type="cluster")
    ref = _diff_diff(df, rings, cluster="u")
    np.testing.assert_allclose(g.params["D"], ref.att, rtol=1e-12)
    np.testing.assert_allclose(g.bse["D"], ref.se, rtol=1e-12)
    # the one-step fit estimates something else when cohorts differ
    assert not np.isclose(model.fit().params["D"], ref.att, rtol=1e-3)


def test_exposure_definition_by_hand():
    # units on a line at 0, 1, 2, 3, 10 km; unit 0 treated from period 1, unit 4 from period 2
    pos = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    dist = np.abs(pos[:, None] - pos[None, :])
    D = np.array([[0, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 1]], float)
    R = ring_exposure(D, dist, np.array([0.0, 1.5, 3.0]))
    np.testing.assert_array_equal(R[0], 0)                                  # nobody treated
    np.testing.assert_array_equal(R[1, :, 0], [0, 1, 0, 0, 0])             # d = 1
    np.testing.assert_array_equal(R[1, :, 1], [0, 0, 1, 1, 0])             # d = 2, 3 (closed)
    np.testing.assert_array_equal(R[2, :, 1], [0, 0, 1, 1, 0])             # unit 4 treated


def test_contiguity_order_rings_match_spilloverdid():
    df, w = _panel(staggered=False, seed=3)
    ours = SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                   model="rings", rings=2)
    twfe, gardner = ours.fit(), ours.fit(estimator="gardner")
    np.testing.assert_allclose(twfe.params.to_numpy(), gardner.params.to_numpy(),
                               rtol=PARITY_RTOL)
    orders = contiguity_orders(w.sparse)
    np.testing.assert_array_equal(ours.rings_design.dist, orders)  # ids 0..63 in order
    # rook lattice: the diagonal neighbour is two steps away, as is the second cell east
    assert orders[0, 1] == orders[0, SIDE] == 1 and orders[0, SIDE + 1] == orders[0, 2] == 2


def test_ring_errors():
    df, w = _panel(staggered=False)
    with pytest.raises(ExposureError, match="need unit locations"):
        SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                model="rings", rings=[0, 10])
    with pytest.raises(ExposureError, match="strictly increasing"):
        SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                model="rings", rings=[0, 20, 10], coords=("lat", "lon"))
    with pytest.raises(ExposureError, match="no far-away comparison"):
        SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                model="rings", rings=[0, 500], coords=("lat", "lon"))
    with pytest.raises(ModelSpecificationError, match="needs rings="):
        SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                model="rings")
    res = SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                  model="rings", rings=1).fit()
    with pytest.raises(ModelSpecificationError, match="implemented for the SDM/SAR/SDEM-DID"):
        res.event_study()


def test_conley_errors_of_the_ring_fit_match_diff_diff_solve_ols():
    """The same regression (two-way demeaned D and rings) through diff-diff's OLS with its
    Conley covariance (no small-sample factor in either): identical standard errors."""
    from diff_diff.linalg import solve_ols

    from spatialflow.causal._bridge import within
    df, w = _panel(staggered=False)
    model = SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                    model="rings", rings=[0, 12, 25], coords=("lat", "lon"))
    ours = model.fit(cov_type="conley", cutoff=20.0, lag_cutoff=2)
    design = model.rings_design
    n, T = design.paths.n, design.paths.T
    Z = within(np.column_stack([design.paths.stacked(), design.exposure()]), n, T, "twoway")
    unit, time = np.tile(np.arange(n), T), np.repeat(np.arange(T), n)
    coef, _, vcov = solve_ols(Z, within(design.y, n, T, "twoway"), vcov_type="conley",
                              conley_coords=design.coords[unit], conley_cutoff_km=20.0,
                              conley_metric="haversine", conley_kernel="bartlett",
                              conley_time=time, conley_unit=unit, conley_lag_cutoff=2)
    np.testing.assert_allclose(ours.params.to_numpy(), coef, rtol=1e-10)
    np.testing.assert_allclose(ours.fit.cov.to_numpy(), vcov, rtol=1e-10,
                               atol=1e-12 * np.abs(vcov).max())


def test_ring_permutation_test():
    from spatialflow.causal.rings import RingsKernel
    df, w = _panel(staggered=True)
    model = SpatialDiD.from_formula("y ~ 1", df, w, id="u", time="t", treatment="D",
                                    model="rings", rings=[0, 12, 25], coords=("lat", "lon"))
    res = model.fit()
    # the re-estimator reproduces the fit on the observed paths
    observed = RingsKernel(model.rings_design).effects_of(model.paths)
    eff = res.effects()["estimate"]
    np.testing.assert_allclose([observed["direct"], observed["indirect"]],
                               eff[["direct", "indirect"]], rtol=1e-10)
    perm = res.permutation_test(n=9, seed=2, executor="serial")
    assert perm.table.loc["direct", "n_permutations"] == 9
    assert 0 < perm.table.loc["direct", "p_value"] <= 1
    assert np.isnan(perm.table.loc["total", "p_value"])
    with pytest.raises(ModelSpecificationError, match="estimator='twfe'"):
        model.fit(estimator="gardner").permutation_test(n=2, executor="serial")
