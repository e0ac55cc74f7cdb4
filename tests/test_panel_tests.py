"""Panel specification tests: LM, LR of the effects, Hausman, SDM -> SAR/SEM (issue 5).

Independent references: dense textbook formulas (Elhorst 2010, 2014 sec. 3.3) evaluated
here with numpy on the same data.
"""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import HausmanWarning, ModelSpecificationError
from spatialflow.models import diagnostics as pt
from spatialflow.models.diagnostics import common_factor_lr, lr_test
from spatialflow.models._design.panel_data import within


@pytest.fixture(scope="module")
def w():
    w = libpysal.weights.lat2W(8, 9)
    w.transform = "r"
    return w


def simulate(w, T=5, rho=0.3, corr_mu=0.0, seed=2):
    """SAR panel with unit and time effects; corr_mu > 0 correlates mu_i with x1."""
    rng = np.random.default_rng(seed)
    W = w.sparse.toarray()
    n = w.n
    mu = rng.normal(size=n)
    lam = rng.normal(size=T)
    x1 = rng.normal(size=(T, n)) + corr_mu * mu
    x2 = rng.normal(size=(T, n))
    A = np.linalg.inv(np.eye(n) - rho * W)
    Y = np.stack([A @ (x1[t] - 0.5 * x2[t] + mu + lam[t] + rng.normal(size=n))
                  for t in range(T)])
    return pd.DataFrame({"code": np.tile(w.id_order, T), "year": np.repeat(np.arange(T), n),
                         "y": Y.ravel(), "x1": x1.ravel(), "x2": x2.ravel()})


def model(cls, df, w, effects, formula="y ~ x1 + x2"):
    return cls.from_formula(formula, data=df, w=w, id="code", time="year", effects=effects)


def test_panel_lm_tests_match_dense_formulas(w):
    df = simulate(w)
    out = pt.panel_lm_tests(model(sf.SAR, df, w, "unit"))
    n, T = w.n, 5
    y = within(df["y"].to_numpy(), n, T, "unit")
    X = within(df[["x1", "x2"]].to_numpy(), n, T, "unit")
    WW = np.kron(np.eye(T), w.sparse.toarray())
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    s2 = e @ e / (n * T)
    Wd = w.sparse.toarray()
    TW = np.trace(Wd.T @ Wd + Wd @ Wd)
    M = np.eye(n * T) - X @ np.linalg.solve(X.T @ X, X.T)
    WXb = WW @ X @ b
    J = (WXb @ M @ WXb) / s2 + T * TW
    lm_lag = (e @ WW @ y / s2) ** 2 / J
    lm_err = (e @ WW @ e / s2) ** 2 / (T * TW)
    rlm_lag = (e @ WW @ y / s2 - e @ WW @ e / s2) ** 2 / (J - T * TW)
    np.testing.assert_allclose(out.loc[["LM-lag", "LM-error", "robust LM-lag"], "statistic"],
                               [lm_lag, lm_err, rlm_lag], rtol=1e-9)
    assert out.loc["LM-lag", "p_value"] < 1e-6   # rho = 0.3 is detected


def test_effects_lr_matches_ssr_form_for_ols(w):
    # For a non-spatial model LR = nT ln(SSR_restricted / SSR_twoway).
    df = simulate(w, rho=0.0)
    n, T = w.n, 5
    out = pt.effects_lr_tests(model(sf.OLS, df, w, "twoway"))
    y, X = df["y"].to_numpy(), df[["x1", "x2"]].to_numpy()

    def ssr(effects):
        if effects == "twoway":
            yy, XX = within(y, n, T, "twoway"), within(X, n, T, "twoway")
        else:
            yy, XX = within(y, n, T, effects), within(X, n, T, effects)
        b = np.linalg.lstsq(XX, yy, rcond=None)[0]
        r = yy - XX @ b
        return r @ r

    np.testing.assert_allclose(out.loc["LR unit effects", "statistic"],
                               n * T * np.log(ssr("time") / ssr("twoway")), rtol=1e-9)
    np.testing.assert_allclose(out.loc["LR time effects", "statistic"],
                               n * T * np.log(ssr("unit") / ssr("twoway")), rtol=1e-9)
    assert list(out["df"]) == [n - 1, T - 1]
    assert (out["p_value"] < 1e-6).all()   # both sets of effects are in the DGP


def test_hausman_rejects_correlated_effects_only(w):
    # Calibrated on the expected informations (R's convention); with the observed ones
    # (the default) the uncorrelated case's V_FE - V_RE is positive definite here.
    exp = {"information": "expected"}
    fe_ok = model(sf.SAR, simulate(w, corr_mu=0.0, seed=5), w, "unit").fit(**exp)
    re_ok = model(sf.SAR, simulate(w, corr_mu=0.0, seed=5), w, "random").fit(**exp)
    fe_bad = model(sf.SAR, simulate(w, corr_mu=1.5, seed=5), w, "unit").fit(**exp)
    re_bad = model(sf.SAR, simulate(w, corr_mu=1.5, seed=5), w, "random").fit(**exp)
    # Here the conditional RE covariance of rho exceeds the FE one: V_FE - V_RE is
    # indefinite, which the named warning reports (the statistic is still the formula's).
    with pytest.warns(HausmanWarning, match="not positive definite"):
        bad = pt.hausman_test(fe_bad, re_bad)
    assert bad.pvalue < 1e-6 and bad.df == 3
    names = ["x1", "x2", "rho"]
    d = fe_bad.params[names] - re_bad.params[names]
    V = fe_bad.cov.loc[names, names] - re_bad.cov.loc[names, names]
    np.testing.assert_allclose(bad.statistic, d @ np.linalg.pinv(V.to_numpy()) @ d, rtol=1e-10)
    with pytest.warns(HausmanWarning, match="uninformative"):
        assert pt.hausman_test(fe_ok, re_ok).statistic < bad.statistic
    with pytest.raises(sf.exceptions.ModelSpecificationError, match="effects in"):
        pt.hausman_test(re_ok, fe_ok)


def test_durbin_tests_consistent_with_refits(w):
    df = simulate(w, rho=0.6)
    sdm = model(sf.SDM, df, w, "twoway").fit()
    out = pt.durbin_tests(sdm)
    sar = model(sf.SAR, df, w, "twoway").fit()
    sem = model(sf.SEM, df, w, "twoway").fit()
    np.testing.assert_allclose(out.loc["LR SDM vs SAR", "statistic"], 2 * (sdm.llf - sar.llf),
                               rtol=1e-10)
    np.testing.assert_allclose(out.loc["LR SDM vs SEM", "statistic"], 2 * (sdm.llf - sem.llf),
                               rtol=1e-10)
    assert list(out["df"]) == [2, 2, 2, 2]
    # The DGP is a SAR: theta = 0 is not rejected, the common factor restriction is.
    assert out.loc["LR SDM vs SAR", "p_value"] > 0.01
    assert out.loc["LR SDM vs SEM", "p_value"] < 0.01


def test_refit_rejects_non_panel(w):
    with pytest.raises(sf.exceptions.InputError, match="needs a panel model"):
        pt.panel_lm_tests(object())


# ------------------------------------------------------------------ QA regressions
def test_lr_test_refuses_panel_fits_with_other_settings(w):
    df = simulate(w, rho=0.4)
    sar_ly = model(sf.SAR, df, w, "twoway").fit()
    sdm_ly = model(sf.SDM, df, w, "twoway").fit()
    sdm_within = model(sf.SDM, df, w, "twoway").fit(bias_correction=None)
    with pytest.raises(ModelSpecificationError,
                       match="differ in bias_correction.*bias_correction='lee-yu'"):
        lr_test(sar_ly, sdm_within)
    sar_unit = model(sf.SAR, df, w, "unit").fit()
    with pytest.raises(ModelSpecificationError, match=r"differ in effects: 'unit'.*'twoway'"):
        lr_test(sar_unit, sdm_ly)
    sem_within = model(sf.SEM, df, w, "twoway").fit(bias_correction=None)
    with pytest.raises(ModelSpecificationError, match="differ in bias_correction"):
        common_factor_lr(sdm_ly, sem_within)
    # Other T (one period fewer): other observations.
    short = model(sf.SDM, df[df["year"] < 4], w, "twoway").fit()
    with pytest.raises(ModelSpecificationError, match="same observations; nobs 360"):
        lr_test(sar_ly, short)
    # Like for like is accepted and is the plain formula.
    np.testing.assert_allclose(lr_test(sar_ly, sdm_ly).statistic,
                               2 * (sdm_ly.llf - sar_ly.llf), rtol=1e-12)


def test_hausman_refuses_non_comparable_fits(w):
    df = simulate(w, seed=5)
    re = model(sf.SAR, df, w, "random").fit()
    with pytest.raises(ModelSpecificationError, match="effects='twoway'.*effects='unit'"):
        pt.hausman_test(model(sf.SAR, df, w, "twoway").fit(), re)
    with pytest.raises(ModelSpecificationError, match="same observations"):
        pt.hausman_test(model(sf.SAR, df[df["year"] < 4], w, "unit").fit(), re)
    other = df.assign(y2=df["y"] * 2.0)
    with pytest.raises(ModelSpecificationError, match="same response; 'y2'"):
        pt.hausman_test(model(sf.SAR, other, w, "unit", formula="y2 ~ x1 + x2").fit(), re)


def test_hausman_uncorrected_fe_warns_and_reports_the_formula(w):
    # The uncorrected within FE has sigma^2 biased by (T-1)/T: V_FE too small, H < 0.
    df = simulate(w, seed=5)
    fe = model(sf.SAR, df, w, "unit").fit(bias_correction=None)
    re = model(sf.SAR, df, w, "random").fit()
    with pytest.warns(HausmanWarning, match="bias_correction='lee-yu'"):
        got = pt.hausman_test(fe, re)
    names = ["x1", "x2", "rho"]
    d = (fe.params[names] - re.params[names]).to_numpy()
    V = (fe.cov.loc[names, names] - re.cov.loc[names, names]).to_numpy()
    np.testing.assert_allclose(got.statistic, d @ np.linalg.pinv(V) @ d, rtol=1e-10)
    assert got.statistic < 0 and got.pvalue == 1.0
    # Lee-Yu and within FE have the same coefficients for unit effects; V_FE is larger by T/(T-1).
    fe_ly = model(sf.SAR, df, w, "unit").fit()
    np.testing.assert_allclose(fe_ly.params, fe.params, rtol=1e-8)
    assert (np.diag(fe_ly.cov) > np.diag(fe.cov)).all()
