"""Dynamic spatial panels: the Yu-de Jong-Lee / Lee-Yu bias-corrected QML and its effects.

There is no R reference here (SDPDmod is not packaged for Debian), so the estimator is
validated by
- Monte Carlo recovery on the Guangdong county weights (124 units, queen contiguity with
  Nan'ao linked to its nearest neighbour), T = 10 periods in the likelihood (11 with the
  initial one): a fast version in the default suite and a full one marked ``slow``;
- the known downward (Nickell-type) bias of the uncorrected QML of tau and sigma2, which the
  correction removes;
- identities: tau = eta = 0 gives the static panel SDM (matching the existing estimator to
  1e-8), long-run totals equal (beta + theta) / (1 - tau - rho - eta) for a row-standardised W.

Seeds are fixed; the tolerances are Monte Carlo standard errors (sd / sqrt(R)) times 3.5,
plus the documented second-order bias that a first-order correction leaves at T = 10.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import spatialflow as sf
from spatialflow.exceptions import (IslandWarning, ModelSpecificationError,
                                    NonStationaryWarning, PanelError)
from spatialflow.models._estimation.dynamic import fit_dynamic
from spatialflow.models._linalg.logdet import make_logdet
from spatialflow.models._design.panel_data import prepare_panel

TRUE = {"tau": 0.4, "eta": -0.1, "x": 1.0, "W_x": 0.5, "rho": 0.3, "sigma2": 1.0}


@pytest.fixture(scope="module")
def guangdong_w():
    from spatialflow.datasets import load_guangdong_counties
    from spatialflow.weights import build
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IslandWarning)  # Nan'ao: linked to its nearest county
        return build(load_guangdong_counties(), kind="queen", islands="knn")


def _ids(w):
    return pd.Index(w.unique_ids)


def simulate(w, rng, *, T=11, effects="unit", tau=0.4, eta=-0.1, rho=0.3, beta=1.0,
             theta=0.5, burn=30):
    """SDM with y_{t-1} and W y_{t-1}, unit effects correlated with x (and time effects)."""
    from spatialflow.weights.align import as_sparse
    ids = _ids(w)
    W = as_sparse(w, ids)
    n = len(ids)
    lu = sp.linalg.splu((sp.identity(n) - rho * W).tocsc())
    mu = rng.normal(size=n)
    y = rng.normal(size=n)
    Y, X = [], []
    for t in range(burn + T):
        x = rng.normal(size=n) + 0.5 * mu
        alpha = rng.normal() if effects == "twoway" else 0.0
        y = lu.solve(tau * y + eta * (W @ y) + beta * x + theta * (W @ x) + mu + alpha
                     + rng.normal(size=n))
        if t >= burn:
            Y.append(y)
            X.append(x)
    return pd.DataFrame({"code": np.tile(ids, T), "year": np.repeat(np.arange(2010, 2010 + T), n),
                         "y": np.concatenate(Y), "x": np.concatenate(X)})


def _replicate(w, reps, seed, effects, dynamic="spacetime"):
    rng = np.random.default_rng(seed)
    names, out, ses = None, {"lee-yu": [], None: []}, []
    ld = None
    for _ in range(reps):
        df = simulate(w, rng, effects=effects)
        panel = prepare_panel(df, df["y"], df[["x"]], w, id="code", time="year", durbin=True)
        ld = ld or make_logdet(panel.W, "eigen")
        for bc in out:
            f = fit_dynamic(panel, ld, effects=effects, dynamic=dynamic, bias_correction=bc)
            names = f.names + ["sigma2"]
            out[bc].append(np.append(f.params, f.sigma2))
            if bc == "lee-yu":
                ses.append(np.sqrt(np.diag(f.cov_full)))
    frames = {bc: pd.DataFrame(v, columns=names) for bc, v in out.items()}
    frames["se"] = pd.DataFrame(ses, columns=names)
    return frames


def _check_recovery(est, reps, allowance):
    mean, sd = est.mean(), est.std(ddof=1)
    truth = pd.Series(TRUE)[est.columns]
    bound = 3.5 * sd / np.sqrt(reps) + pd.Series(allowance).reindex(est.columns).fillna(0.0)
    bad = (mean - truth).abs() > bound
    assert not bad.any(), pd.DataFrame({"mean": mean, "truth": truth, "bound": bound})


# Second-order bias a first-order (1/T) correction leaves at T = 10 (Yu, de Jong and Lee 2008,
# tables 1-3, show the same order for T = 10): sigma2 a few percent low, tau about 0.01.
ALLOWANCE = {"sigma2": 0.05, "tau": 0.015, "eta": 0.02, "x": 0.01, "W_x": 0.02, "rho": 0.01}


def test_bias_correction_recovers_parameters_fast(guangdong_w):
    reps = 6
    est = _replicate(guangdong_w, reps, seed=20261129, effects="unit")
    _check_recovery(est["lee-yu"], reps, ALLOWANCE)
    # the uncorrected QML shows the known downward bias of tau and sigma2 (about -0.08 and
    # -(1/T + ...) at T = 10), which the correction removes
    unc, cor = est[None].mean(), est["lee-yu"].mean()
    assert unc["tau"] < TRUE["tau"] - 0.05
    assert unc["sigma2"] < 0.92
    for p in ("tau", "sigma2"):
        assert abs(cor[p] - TRUE[p]) < abs(unc[p] - TRUE[p]) / 3


@pytest.mark.slow
@pytest.mark.parametrize("effects", ["unit", "twoway"])
@pytest.mark.parametrize("dynamic", ["time", "spacetime"])
def test_bias_correction_recovers_parameters_full(guangdong_w, effects, dynamic):
    reps = 100
    if dynamic == "time":
        # data from the spacetime process with eta = 0
        TRUE_T = dict(TRUE, eta=0.0)
        rng = np.random.default_rng(7)
        rows = {"lee-yu": [], None: []}
        ld = None
        for _ in range(reps):
            df = simulate(guangdong_w, rng, effects=effects, eta=0.0)
            panel = prepare_panel(df, df["y"], df[["x"]], guangdong_w, id="code",
                                  time="year", durbin=True)
            ld = ld or make_logdet(panel.W, "eigen")
            for bc in rows:
                f = fit_dynamic(panel, ld, effects=effects, dynamic="time", bias_correction=bc)
                rows[bc].append(dict(zip(f.names + ["sigma2"], np.append(f.params, f.sigma2))))
        est = {bc: pd.DataFrame(v) for bc, v in rows.items()}
        mean, sd = est["lee-yu"].mean(), est["lee-yu"].std(ddof=1)
        truth = pd.Series(TRUE_T)[mean.index]
        bound = 3.5 * sd / np.sqrt(reps) + pd.Series(ALLOWANCE).reindex(mean.index).fillna(0)
        assert ((mean - truth).abs() <= bound).all(), pd.DataFrame({"m": mean, "t": truth})
        assert est[None].mean()["tau"] < TRUE_T["tau"] - 0.05
        return
    est = _replicate(guangdong_w, reps, seed=11, effects=effects)
    _check_recovery(est["lee-yu"], reps, ALLOWANCE)
    assert est[None].mean()["tau"] < TRUE["tau"] - 0.05
    # The information-matrix SEs track the sampling spread. Measured (60 replications):
    # ratio mean SE / SD 0.85 for tau, 0.89 for rho, 0.98-1.02 for eta, beta, theta; the
    # asymptotic variance ignores the variability of the estimated bias at T = 10. With 100
    # replications the SD itself is uncertain by about 7%.
    ratio = est["se"].mean() / est["lee-yu"].std(ddof=1)
    ratio = ratio.drop("sigma2")
    assert ratio.between(0.75, 1.3).all(), ratio


def _panel_df(guangdong_w, effects="unit", seed=5, **kw):
    return simulate(guangdong_w, np.random.default_rng(seed), effects=effects, **kw)


@pytest.mark.parametrize("effects", ["unit", "twoway"])
def test_tau_eta_zero_reduce_to_the_static_sdm(guangdong_w, effects):
    """Identity: without the lags, the uncorrected dynamic QML on periods 2..T is the static
    SDM (the package's panel estimator) on those periods: within ML for unit effects; for
    two-way effects the Lee-Yu estimator, whose rho and beta are the same maximiser and whose
    sigma2 counts T_e - 1 instead of T_e periods."""
    df = _panel_df(guangdong_w, effects)
    panel = prepare_panel(df, df["y"], df[["x"]], guangdong_w, id="code", time="year",
                          durbin=True)
    fit = fit_dynamic(panel, make_logdet(panel.W, "eigen"), effects=effects,
                      dynamic="time", bias_correction=None, lags=False)
    later = df[df["year"] > df["year"].min()]
    static = sf.SDM.from_formula("y ~ x", data=later, w=guangdong_w, id="code", time="year",
                                 effects=effects).fit(
        bias_correction=None if effects == "unit" else "lee-yu",
        information="expected")  # the dynamic covariance is the expected information
    # Two objectives with one maximiser (N* and T* differ by the first period): Brent's
    # search resolves rho to sqrt(eps) relative, so the slopes agree to RTOL_BRENT.
    np.testing.assert_allclose(fit.params, static.params[["x", "W_x", "rho"]], rtol=RTOL_BRENT)
    Te = df["year"].nunique() - 1
    if effects == "unit":
        np.testing.assert_allclose(fit.sigma2, static.sigma2, rtol=1e-10)
        np.testing.assert_allclose(fit.llf, static.llf, rtol=1e-10)
        np.testing.assert_allclose(fit.cov_full, static.cov_full, rtol=1e-6)
    else:
        np.testing.assert_allclose(fit.sigma2 * Te / (Te - 1), static.sigma2, rtol=RTOL_BRENT)


def test_model_class_api_and_effects(guangdong_w):
    df = _panel_df(guangdong_w)
    res = sf.SDM.from_formula("y ~ x", data=df, w=guangdong_w, id="code", time="year",
                              effects="unit", dynamic="spacetime").fit()
    assert list(res.params.index) == ["x", "W_x", "tau", "eta", "rho"]
    assert res.panel["dynamic"] == "spacetime" and res.nobs == 124 * 10
    assert res.extra["stationarity"]["stationary"]
    assert set(res.extra["uncorrected"]["params"]) == set(res.params.index)
    # residuals on the user's rows, NaN for the initial period only
    first = df["year"] == df["year"].min()
    assert res.resid[first.to_numpy()].isna().all() and res.resid[~first.to_numpy()].notna().all()
    p = res.params
    short = res.effects(horizon="short", method="delta")
    long = res.effects(horizon="long", n_draws=300)
    # row-standardised W: totals are (beta + theta) / (1 - rho) and
    # (beta + theta) / (1 - tau - rho - eta)
    np.testing.assert_allclose(short.loc["x", "total"], (p["x"] + p["W_x"]) / (1 - p["rho"]),
                               rtol=1e-10)
    np.testing.assert_allclose(long.loc["x", "total"],
                               (p["x"] + p["W_x"]) / (1 - p["tau"] - p["rho"] - p["eta"]),
                               rtol=1e-10)
    np.testing.assert_allclose(long["direct"] + long["indirect"], long["total"], rtol=1e-12)
    assert long.loc["x", "total_std_error"] > short.loc["x", "total_std_error"] > 0
    assert long.attrs["horizon"] == "long" and long.attrs["n_draws"] == 300
    assert res.effects().attrs["horizon"] == "short"
    text = res.summary().as_text()
    assert "Dynamic" in text and "spacetime" in text and "Short-run effects" in text
    assert "Stationary" in text and "yes (tau+rho+eta = " in text


def test_sparse_and_dense_log_determinants_agree(guangdong_w):
    df = _panel_df(guangdong_w, effects="twoway")
    fits = {m: sf.SDM.from_formula("y ~ x", data=df, w=guangdong_w, id="code", time="year",
                                   effects="twoway", dynamic="spacetime").fit(logdet=m)
            for m in ("eigen", "lu")}
    np.testing.assert_allclose(fits["lu"].params, fits["eigen"].params, rtol=1e-7)
    np.testing.assert_allclose(fits["lu"].bse, fits["eigen"].bse, rtol=1e-5)


def test_sar_time_dynamic_has_no_eta(guangdong_w):
    df = _panel_df(guangdong_w, eta=0.0)
    res = sf.SAR.from_formula("y ~ x", data=df, w=guangdong_w, id="code", time="year",
                              effects="twoway", dynamic="time").fit()
    assert list(res.params.index) == ["x", "tau", "rho"]
    assert "Lee-Yu transformation" in res.panel["estimator"]
    long = res.effects(horizon="long", n_draws=200)
    np.testing.assert_allclose(long.loc["x", "total"],
                               res.params["x"] / (1 - res.params["tau"] - res.params["rho"]),
                               rtol=1e-10)


def test_compare_orders_dynamic_parameters_and_notes_sigma2(guangdong_w):
    df = _panel_df(guangdong_w)
    kw = dict(data=df, w=guangdong_w, id="code", time="year", effects="unit")
    sdm = sf.SDM.from_formula("y ~ x", dynamic="spacetime", **kw).fit()
    sar = sf.SAR.from_formula("y ~ x", dynamic="time", **kw).fit()
    text = sf.compare([sdm, sar]).as_text()
    rows = [line.split()[0] for line in text.splitlines() if line.split()
            and line.split()[0] in ("x", "W_x", "tau", "eta", "rho")]
    assert rows == ["x", "W_x", "tau", "eta", "rho"]
    assert "bias-corrected QML estimate for SDM, SAR" in text
    lr = sf.models.lr_test(sar, sdm)
    np.testing.assert_allclose(lr.statistic, 2 * (sdm.llf - sar.llf), rtol=1e-12)


def test_refit_keeps_the_dynamic_specification(guangdong_w):
    from spatialflow.models.diagnostics.workflows import refit
    df = _panel_df(guangdong_w)
    sdm = sf.SDM.from_formula("y ~ x", data=df, w=guangdong_w, id="code", time="year",
                              effects="unit", dynamic="spacetime").fit()
    sar = refit(sdm, "SAR")
    assert sar.panel["dynamic"] == "spacetime" and list(sar.params.index) == [
        "x", "tau", "eta", "rho"]
    with pytest.raises(ModelSpecificationError, match="implemented for SAR and SDM; a SEM"):
        refit(sdm, "SEM")


def test_long_run_effects_need_a_dynamic_model(guangdong_w):
    df = _panel_df(guangdong_w)
    res = sf.SDM.from_formula("y ~ x", data=df, w=guangdong_w, id="code", time="year",
                              effects="unit").fit()
    with pytest.raises(ModelSpecificationError, match="long-run effects need a dynamic panel"):
        res.effects(horizon="long")


# ----------------------------------------------------------------------------- bad input
def test_fewer_than_three_periods_raise(guangdong_w):
    df = _panel_df(guangdong_w)
    two = df[df["year"] < 2012]
    with pytest.raises(PanelError, match=r"at least T = 3 periods.*T = 2"):
        sf.SDM.from_formula("y ~ x", data=two, w=guangdong_w, id="code", time="year",
                            effects="unit", dynamic="time")


def test_gaps_in_the_time_index_raise(guangdong_w):
    df = _panel_df(guangdong_w)
    gap = df[df["year"] != 2014]
    with pytest.raises(PanelError, match=r"has gaps.*Missing periods: \[2014\]"):
        sf.SDM.from_formula("y ~ x", data=gap, w=guangdong_w, id="code", time="year",
                            effects="unit", dynamic="spacetime")


def test_unordered_time_labels_raise(guangdong_w):
    df = _panel_df(guangdong_w)
    df["year"] = "y" + df["year"].astype(str)
    with pytest.raises(PanelError, match="regularly spaced time index"):
        sf.SDM.from_formula("y ~ x", data=df, w=guangdong_w, id="code", time="year",
                            effects="unit", dynamic="time")


def test_non_stationary_estimate_warns(guangdong_w):
    df = _panel_df(guangdong_w, tau=0.75, rho=0.35, eta=0.05, burn=3)
    with pytest.warns(NonStationaryWarning, match=r"tau \+ rho \+ eta = 1\.\d+"):
        res = sf.SDM.from_formula("y ~ x", data=df, w=guangdong_w, id="code", time="year",
                                  effects="unit", dynamic="spacetime").fit()
    assert not res.extra["stationarity"]["stationary"]
    with pytest.raises(ModelSpecificationError, match="long-run effects are not defined"):
        res.effects(horizon="long", n_draws=100)


@pytest.mark.parametrize("kw,match", [
    (dict(effects="random"), "unit or two-way fixed effects"),
    (dict(effects=None), "unit or two-way fixed effects"),
    (dict(effects="unit", dynamic="both"), "dynamic must be one of"),
])
def test_dynamic_options_are_checked(guangdong_w, kw, match):
    df = _panel_df(guangdong_w)
    kw = {"dynamic": "time", **kw}
    with pytest.raises((ModelSpecificationError, sf.exceptions.InputError), match=match):
        sf.SAR.from_formula("y ~ x", data=df, w=guangdong_w, id="code", time="year", **kw)


def test_dynamic_error_models_and_cross_sections_are_refused(guangdong_w):
    df = _panel_df(guangdong_w)
    with pytest.raises(ModelSpecificationError, match="implemented for SAR and SDM; a SEM"):
        sf.SEM.from_formula("y ~ x", data=df, w=guangdong_w, id="code", time="year",
                            effects="unit", dynamic="time")
    cs = df[df["year"] == 2015].set_index("code")
    with pytest.raises(ModelSpecificationError, match="needs a panel"):
        sf.SAR.from_formula("y ~ x", data=cs, w=guangdong_w, dynamic="time")


#: scipy's bounded Brent stops at sqrt(machine eps) ~ 1.5e-8 relative in rho, whatever xatol.
RTOL_BRENT = 2e-7


def test_two_way_time_effects_by_period_demeaning_equal_the_period_dummies(guangdong_w):
    """Frisch-Waugh-Lovell with W 1 = 1: the uncorrected two-way QML with the periods swept
    out equals the one with T_e period dummy columns (the form used until issue 22)."""
    from spatialflow.models._design.panel_data import within
    from spatialflow.models._design.problem import Counts, Design
    from spatialflow.models._estimation.dynamic import _design
    from spatialflow.models._estimation.ml import fit_lag

    df = _panel_df(guangdong_w, effects="twoway")
    panel = prepare_panel(df, df["y"], df[["x"]], guangdong_w, id="code", time="year",
                          durbin=True)
    ld = make_logdet(panel.W, "eigen")
    fit = fit_dynamic(panel, ld, effects="twoway", dynamic="spacetime", bias_correction=None)
    n, Te = panel.n, panel.T - 1
    y, Z, names = _design(panel, "spacetime", True)
    Zt = within(Z, n, Te, "unit")
    dummies = Design(y=within(y, n, Te, "unit"),
                     X=np.column_stack([Zt, np.repeat(np.eye(Te), n, axis=0)]),
                     names=tuple(names), W=panel.W,
                     counts=Counts((n - 1) * Te, Te, True, "Yu-de Jong-Lee QML"), T=Te,
                     n_nuisance=Te, sweep_periods=True, rows=panel)
    raw = fit_lag(dummies, ld, information="observed")
    np.testing.assert_allclose(fit.params, np.append(raw.beta, raw.spatial), rtol=1e-9)
    np.testing.assert_allclose(fit.llf, raw.llf, rtol=1e-12)
    np.testing.assert_allclose(fit.sigma2, raw.sigma2, rtol=1e-10)
