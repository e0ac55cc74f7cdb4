"""spatialflow.simulate: identities that every draw must satisfy, recovery by the package's
estimators, true effects against a dense reference, reproducibility, and input checks.

References used here are independent of the simulator's own code path: the identities invert
the data-generating process by hand (y - rho W y - X beta = epsilon to 1e-10), the true
effects are checked against a dense inverse (allowed in a test at n = 49) and the closed form
(beta + theta) / (1 - rho) of the total effect, and the admissible interval against dense
eigenvalues.
"""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import spatialflow as sf
import spatialflow.simulate as simmod
from spatialflow.exceptions import InputError, ModelSpecificationError, PanelError
from spatialflow.simulate import Simulator, admissible_interval, simulate

#: The identities are exact up to the sparse LU's rounding.
IDENTITY_ATOL = 1e-10


def _lattice(side: int, rook: bool = True):
    w = libpysal.weights.lat2W(side, side, rook=rook)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def w7():
    return _lattice(7)


def _dense_W(w):
    ids = pd.Index(w.id_order)
    return sp.csr_matrix(w.sparse).toarray(), ids


PARAMS = {
    "OLS": {},
    "SLX": {"theta": {"x1": 0.5, "x2": -0.25}},
    "SAR": {"rho": 0.6},
    "SEM": {"lam": -0.4},
    "SDM": {"rho": 0.3, "theta": {"x1": 0.5, "x2": -0.25}},
    "SDEM": {"lam": 0.5, "theta": {"x1": 0.5}},
    "SAC": {"rho": 0.3, "lam": 0.4},
    "GNS": {"rho": 0.3, "lam": -0.3, "theta": {"x2": 1.0}},
}
BETA = {"Intercept": 2.0, "x1": 1.0, "x2": -0.5}


def _invert(model, data, W, params, T=1, mu=None, alpha=None):
    """epsilon recovered by hand from y (applies I - rho W and I - lambda W to y directly)."""
    rho = params.get("rho", 0.0)
    lam = params.get("lam", 0.0)
    theta = params.get("theta", {})
    y = data["y"].to_numpy().reshape(-1, T).T  # (T, n): data are id-major
    x = {c: data[c].to_numpy().reshape(-1, T).T for c in ("x1", "x2")}
    out = []
    n = W.shape[0]
    for t in range(T):
        mean = BETA["Intercept"] + BETA["x1"] * x["x1"][t] + BETA["x2"] * x["x2"][t]
        for c, v in theta.items():
            mean = mean + v * (W @ x[c][t])
        if mu is not None:
            mean = mean + mu
        if alpha is not None:
            mean = mean + alpha[t]
        u = y[t] - rho * (W @ y[t]) - mean          # = (I - lam W)^{-1} eps
        out.append(u - lam * (W @ u))
    return np.concatenate(out) if T == 1 else np.array(out).T.ravel(), n


@pytest.mark.parametrize("model", list(PARAMS))
def test_cross_section_draw_satisfies_its_equation(model, w7):
    sim = simulate(model, w7, beta=BETA, seed=4, **PARAMS[model])
    W, _ = _dense_W(w7)
    eps, n = _invert(model, sim.data, W, PARAMS[model])
    np.testing.assert_allclose(eps, sim.epsilon.to_numpy(), rtol=0, atol=IDENTITY_ATOL)
    assert sim.data.attrs["synthetic"] is True
    assert sim.data.index.equals(pd.Index(w7.id_order))
    assert list(sim.truth.params.index[:3]) == ["Intercept", "x1", "x2"]


@pytest.mark.parametrize("model", ["SAR", "SDM", "SEM", "GNS"])
def test_panel_draw_with_twoway_effects_satisfies_its_equation(model, w7):
    sim = simulate(model, w7, beta=BETA, T=4, periods=[2020, 2021, 2022, 2023],
                   effects="twoway", x_effect_corr=0.5, seed=2, **PARAMS[model])
    W, ids = _dense_W(w7)
    data = sim.data
    assert list(data.columns) == ["id", "time", "y", "x1", "x2"]
    assert len(data) == 4 * 49 and data["time"].iloc[:4].tolist() == [2020, 2021, 2022, 2023]
    mu = sim.truth.unit_effects.reindex(ids).to_numpy()
    alpha = sim.truth.time_effects.to_numpy()
    eps, _ = _invert(model, data, W, PARAMS[model], T=4, mu=mu, alpha=alpha)
    np.testing.assert_allclose(eps, sim.epsilon.to_numpy(), rtol=0, atol=IDENTITY_ATOL)


def test_panel_with_one_period_is_allowed(w7):
    sim = simulate("SAR", w7, beta=[1.0], rho=0.2, T=1, seed=0)
    assert sim.data["time"].unique().tolist() == [0] and len(sim.data) == 49


def test_seeds_reproduce_and_differ(w7):
    a = simulate("SDM", w7, beta=BETA, seed=11, **PARAMS["SDM"]).data
    b = simulate("SDM", w7, beta=BETA, seed=11, **PARAMS["SDM"]).data
    c = simulate("SDM", w7, beta=BETA, seed=12, **PARAMS["SDM"]).data
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["y"], c["y"])


def test_monte_carlo_draws_keep_x_fixed_and_do_not_depend_on_their_number(w7):
    simulator = Simulator("SAR", w7, beta=BETA, rho=0.5, seed=1)
    first3 = [d.data for d in simulator.draws(3, seed=9)]
    first5 = [d.data for d in simulator.draws(5, seed=9)]
    for a, b in zip(first3, first5):
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(first3[0][["x1", "x2"]], first3[2][["x1", "x2"]])
    assert not np.allclose(first3[0]["y"], first3[1]["y"])


def test_true_effects_match_a_dense_inverse_and_the_closed_form(w7):
    W, _ = _dense_W(w7)
    sim = simulate("SDM", w7, beta=BETA, seed=0, **PARAMS["SDM"])
    eff = sim.true_effects()
    rho = PARAMS["SDM"]["rho"]
    A_inv = np.linalg.inv(np.eye(49) - rho * W)   # dense reference, fine at n = 49
    for name, th in (("x1", 0.5), ("x2", -0.25)):
        S = A_inv @ (BETA[name] * np.eye(49) + th * W)
        np.testing.assert_allclose(eff.loc[name, "direct"], np.trace(S) / 49, rtol=1e-12)
        np.testing.assert_allclose(eff.loc[name, "total"], S.sum() / 49, rtol=1e-12)
        np.testing.assert_allclose(eff.loc[name, "total"], (BETA[name] + th) / (1 - rho),
                                   rtol=1e-12)
        # one unit's shock is column j of S_k
        j = 24
        shock = sim.shock(w7.id_order[j], name)
        np.testing.assert_allclose(shock.to_numpy(), S[:, j], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(eff["direct"] + eff["indirect"], eff["total"], rtol=1e-14)


def test_true_effects_without_a_lag_are_beta_and_theta_times_row_sum(w7):
    eff = simulate("SDEM", w7, beta=BETA, seed=0, **PARAMS["SDEM"]).true_effects()
    np.testing.assert_allclose(eff["direct"].to_numpy(), [1.0, -0.5], rtol=1e-14)
    np.testing.assert_allclose(eff["indirect"].to_numpy(), [0.5, 0.0], rtol=1e-14, atol=1e-15)


def test_package_sar_recovers_rho_on_a_large_draw():
    """n = 900 (30 x 30 rook lattice): ML estimates within 3 standard errors of the truth."""
    w = _lattice(30)
    sim = simulate("SAR", w, beta={"Intercept": 1.0, "x1": 1.0, "x2": -1.0}, rho=0.5, seed=2026)
    res = sf.SAR.from_formula("y ~ x1 + x2", data=sim.data, w=w).fit()
    truth = sim.truth.params
    z = (res.params[truth.index] - truth) / res.bse[truth.index]
    assert np.all(np.abs(z) < 3), z
    assert abs(res.params["rho"] - 0.5) < 0.05


def test_package_panel_sdm_recovers_parameters_with_unit_effects_correlated_with_x():
    w = _lattice(10)
    sim = simulate("SDM", w, beta={"x1": 1.0, "x2": -0.5}, theta={"x1": 0.5, "x2": 0.3},
                   rho=0.4, T=8, effects="twoway", x_effect_corr=1.0, seed=5)
    res = sf.SDM.from_formula("y ~ x1 + x2", data=sim.data, w=w, id="id", time="time",
                              effects="twoway").fit(bias_correction="lee-yu")
    truth = sim.truth.params
    z = (res.params[truth.index] - truth) / res.bse[truth.index]
    assert np.all(np.abs(z) < 3), z


def test_error_distributions_have_the_stated_variance_and_shape():
    w = _lattice(60)   # n = 3600: sample moments to about 2-5%
    for errors, df in (("normal", None), ("t", 5.0), ("chi2", 3.0)):
        sim = simulate("OLS", w, beta=[0.0], sigma2=4.0, errors=errors, df=df, seed=1)
        e = sim.epsilon.to_numpy()
        np.testing.assert_allclose(e.var(), 4.0, rtol=0.1)
        skew = np.mean((e - e.mean()) ** 3) / e.std() ** 3
        if errors == "chi2":
            assert skew > 1.0, skew          # population skewness sqrt(8/3) = 1.63
        else:
            assert abs(skew) < 0.5, skew
    assert sim.truth.errors == "chi2" and sim.truth.df == 3.0


def test_heteroskedastic_errors_rise_with_the_first_regressor():
    w = _lattice(40)
    sim = simulate("OLS", w, beta={"x1": 1.0}, sigma2=1.0, heteroskedastic=1.0, seed=0)
    x, e = sim.data["x1"].to_numpy(), sim.epsilon.to_numpy()
    assert sim.truth.heteroskedastic
    assert e[x > 1].var() > 3 * e[x < -1].var()
    np.testing.assert_allclose((sim.simulator.scale ** 2).mean(), 1.0, rtol=1e-12)


def test_any_weights_form_by_id():
    w = _lattice(5)
    W = sp.csr_matrix(w.sparse)
    ids = [f"u{i}" for i in range(25)]
    a = simulate("SAR", W, ids=ids, beta=[1.0], rho=0.4, seed=3)
    assert a.data.index.tolist() == ids
    g = libpysal.graph.Graph.from_W(w)
    b = simulate("SAR", g, beta=[1.0], rho=0.4, seed=3)
    np.testing.assert_allclose(a.data["y"].to_numpy(), b.data["y"].to_numpy(), rtol=1e-14)
    # user X by id, in another order: matched by id, the frame left untouched
    X = pd.DataFrame({"x1": np.arange(25.0)}, index=ids[::-1])
    before = X.copy()
    c = simulate("OLS", W, ids=ids, beta=[2.0], X=X, sigma2=1e-30, seed=0)
    np.testing.assert_allclose(c.data["y"].to_numpy(), 2 * np.arange(25.0)[::-1], atol=1e-12)
    pd.testing.assert_frame_equal(X, before)


def test_admissible_interval_dense_and_sparse_paths_agree(monkeypatch):
    w = _lattice(12, rook=False)
    W = sp.csr_matrix(w.sparse)
    lo, hi = admissible_interval(W)
    values = np.linalg.eigvals(W.toarray()).real
    np.testing.assert_allclose([lo, hi], [1 / values.min(), 1 / values.max()], rtol=1e-10)
    np.testing.assert_allclose(hi, 1.0, rtol=1e-12)
    monkeypatch.setattr(simmod, "_DENSE_EIGEN_MAX_N", 10)
    np.testing.assert_allclose(admissible_interval(W), (lo, hi), rtol=1e-8)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"model": "SAR", "rho": 1.0}, InputError, r"rho must lie strictly inside .*\(-?[0-9.]+, 1\)"),
    ({"model": "SAR", "rho": -1.2}, InputError, "admissible interval"),
    ({"model": "SEM", "lam": 1.5}, InputError, "lam must lie strictly inside"),
    ({"model": "SAR"}, ModelSpecificationError, r"SAR process needs rho"),
    ({"model": "SEM", "rho": 0.3}, ModelSpecificationError, "SEM process has no rho"),
    ({"model": "SAR", "rho": 0.3, "theta": [1.0]}, ModelSpecificationError, "no WX term"),
    ({"model": "SDM", "rho": 0.3}, ModelSpecificationError, "needs theta"),
    ({"model": "SLX", "theta": {"z": 1.0}}, InputError, r"theta names regressors .*\['z'\]"),
    ({"model": "SLX", "theta": [1.0, 2.0]}, InputError, "one value per regressor"),
    ({"model": "XYZ"}, ModelSpecificationError, "model must be one of"),
    ({"model": "OLS", "T": 0}, PanelError, r"T must be an integer >= 1; 0"),
    ({"model": "OLS", "T": 2.5}, PanelError, "T must be an integer"),
    ({"model": "OLS", "T": 3, "periods": [1, 2]}, PanelError, "periods has 2 labels but T=3"),
    ({"model": "OLS", "effects": "unit"}, PanelError, "fixed effects need a panel"),
    ({"model": "OLS", "T": 2, "effects": "both"}, InputError, "effects must be None"),
    ({"model": "OLS", "sigma2": 0.0}, InputError, "sigma2 must be a positive"),
    ({"model": "OLS", "X": np.ones((48, 1))}, InputError, r"X must have shape \(49, 1\)"),
    ({"model": "OLS", "T": 2, "X": np.ones((49, 1))}, InputError, r"X must have shape \(2, 49, 1\)"),
    ({"model": "OLS", "T": 2, "time_effects": [1.0]}, PanelError, "time_effects must be 2"),
    ({"model": "OLS", "T": 2, "unit_effects": [1.0]}, InputError, "unit_effects must be 49"),
    ({"model": "OLS", "errors": "cauchy"}, InputError, "errors must be 'normal'"),
    ({"model": "OLS", "errors": "t", "df": 2}, InputError, "df > 2"),
    ({"model": "OLS", "heteroskedastic": np.ones(3)}, InputError, "heteroskedastic must be"),
    ({"model": "OLS", "epsilon": np.ones(3)}, InputError, r"epsilon must be finite with shape"),
    ({"model": "OLS", "y_name": "x1"}, InputError, "y_name 'x1' is also a regressor"),
])
def test_bad_input_is_named(kwargs, error, match, w7):
    kwargs = dict(kwargs)
    model = kwargs.pop("model")
    with pytest.raises(error, match=match):
        Simulator(model, w7, beta={"x1": 1.0}, **kwargs)


def test_bad_weights_are_named():
    with pytest.raises(InputError, match="W must be square; a 3x4"):
        simulate("OLS", sp.csr_matrix(np.ones((3, 4))), beta=[1.0])
    with pytest.raises(InputError, match="ids must have one entry per row of W"):
        simulate("OLS", sp.csr_matrix(np.ones((3, 3))), ids=["a"], beta=[1.0])
    with pytest.raises(InputError, match="W has no links"):
        simulate("OLS", sp.csr_matrix((3, 3)), beta=[1.0])
    with pytest.raises(InputError, match="beta must be finite"):
        simulate("OLS", _lattice(3), beta=[np.nan])


def test_unstandardised_weights_use_their_own_interval():
    """Binary rook 7 x 7 lattice: largest eigenvalue 4 cos(pi/8) = 3.696, so rho < 0.2706."""
    w = libpysal.weights.lat2W(7, 7)          # binary, row sums 2..4
    hi = 1 / (4 * np.cos(np.pi / 8))
    np.testing.assert_allclose(admissible_interval(sp.csr_matrix(w.sparse))[1], hi, rtol=1e-10)
    assert simulate("SAR", w, beta=[1.0], rho=0.2, seed=0).truth.rho == 0.2    # |rho|*4 < 1
    assert simulate("SAR", w, beta=[1.0], rho=0.26, seed=0).truth.rho == 0.26  # by eigenvalues
    with pytest.raises(InputError, match=r"rho must lie strictly inside the admissible interval \(-0\.27"):
        simulate("SAR", w, beta=[1.0], rho=0.28, seed=0)
    with pytest.raises(InputError, match="rho must be a finite number"):
        simulate("SAR", w, beta=[1.0], rho=float("nan"), seed=0)
