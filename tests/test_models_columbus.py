"""Cross-sectional ML estimators against R spatialreg 1.2.6 (reference/columbus).

Provenance: reference/columbus/columbus.R run with spatialreg 1.2.6, output in
columbus_ref.txt. R prints 7 significant digits (rounding <= 5e-7 relative for these values):
coefficients, rho/lambda, logL, sigma2, AIC and SEs are asserted to 5e-7 relative (measured:
1.7e-7 and 2.2e-7, eigen and LU paths, with the expected information as R's eigen reports).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spatialflow as sf

COEF_RTOL = 5e-7   # coefficients, rho/lambda, logL, sigma2, AIC (R prints 7 digits)
SE_RTOL = 5e-7     # standard errors (the expected information, as R method="eigen")
FORMULA = "CRIME ~ INC + HOVAL"

# name: (class, {param: value}, {param: se}, logL, sigma2, AIC) -- from columbus_ref.txt
R_REFERENCE = {
    "SAR": (sf.SAR,
            {"Intercept": 45.0792499, "INC": -1.0316157, "HOVAL": -0.2659263, "rho": 0.4310232},
            {"Intercept": 7.17734651, "INC": 0.30514297, "HOVAL": 0.08849862, "rho": 0.1176807},
            -182.3904, 95.4945, 374.7809),
    "SDM": (sf.SDM,
            {"Intercept": 42.8224128, "INC": -0.9142232, "HOVAL": -0.2937378,
             "W_INC": -0.5202835, "W_HOVAL": 0.2456403, "rho": 0.4263355},
            {"Intercept": 12.66720432, "INC": 0.33109401, "HOVAL": 0.08921192,
             "W_INC": 0.56512898, "W_HOVAL": 0.17891745, "rho": 0.1562344},
            -181.3935, 91.79122, 376.787),
    "SEM": (sf.SEM,
            {"Intercept": 59.8932190, "INC": -0.9413120, "HOVAL": -0.3022502,
             "lambda": 0.5617903},
            {"Intercept": 5.36616256, "INC": 0.33056857, "HOVAL": 0.09047605,
             "lambda": 0.1338687},
            -183.3805, 95.5745, 376.7609),
    "SDEM": (sf.SDEM,
             {"Intercept": 73.5451330, "INC": -1.0516727, "HOVAL": -0.2756084,
              "W_INC": -1.1567109, "W_HOVAL": 0.1116912, "lambda": 0.4253990},
             {"Intercept": 8.78354304, "INC": 0.31951388, "HOVAL": 0.09115142,
              "W_INC": 0.57862874, "W_HOVAL": 0.19899271, "lambda": 0.1584231},
             -181.5846, 92.5309, 377.1693),
}


@pytest.fixture(scope="module", params=["eigen", "lu"])
def fits(request, columbus):
    df, w = columbus
    # R's method="eigen" reports the expected information: compare like with like.
    return {name: cls.from_formula(FORMULA, data=df, w=w, logdet=request.param).fit(
                information="expected")
            for name, (cls, *_) in R_REFERENCE.items()}


@pytest.mark.parametrize("name", list(R_REFERENCE))
def test_matches_r_spatialreg(fits, name):
    _, coef, se, llf, sigma2, aic = R_REFERENCE[name]
    res = fits[name]
    assert list(res.params.index) == list(coef)
    np.testing.assert_allclose(res.params[list(coef)], list(coef.values()), rtol=COEF_RTOL)
    np.testing.assert_allclose(res.bse[list(se)], list(se.values()), rtol=SE_RTOL)
    # R prints logL and AIC with 7 significant digits: compare at that rounding.
    np.testing.assert_allclose(res.llf, llf, rtol=COEF_RTOL)
    np.testing.assert_allclose(res.sigma2, sigma2, rtol=COEF_RTOL)
    np.testing.assert_allclose(res.aic, aic, rtol=COEF_RTOL)
    assert res.converged


def test_lr_statistics_match_r(fits):
    # columbus_ref.txt: LR SDM vs SAR 1.993833, LR SDM vs SEM 3.973916
    np.testing.assert_allclose(2 * (fits["SDM"].llf - fits["SAR"].llf), 1.993833, rtol=1e-5)
    np.testing.assert_allclose(2 * (fits["SDM"].llf - fits["SEM"].llf), 3.973916, rtol=1e-5)


def test_ols_matches_statsmodels(columbus):
    import statsmodels.formula.api as smf
    df, _ = columbus
    ols = sf.OLS.from_formula(FORMULA, data=df).fit()
    ref = smf.ols(FORMULA, data=df).fit()
    np.testing.assert_allclose(ols.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(ols.bse, ref.bse, rtol=1e-10)
    np.testing.assert_allclose(ols.llf, ref.llf, rtol=1e-12)
    np.testing.assert_allclose(ols.pvalues, ref.pvalues, rtol=1e-8)


def test_rho_zero_reproduces_ols(columbus):
    from spatialflow.models._linalg.logdet import make_logdet
    from spatialflow.models._estimation.ml import fit_lag
    from spatialflow.models._design.problem import Design
    df, w = columbus
    model = sf.SAR.from_formula(FORMULA, data=df, w=w)
    f = model.frame
    fixed = fit_lag(Design.cross_section(f.y, f.X, f.W), make_logdet(f.W), rho=0.0)
    ols = sf.OLS.from_formula(FORMULA, data=df).fit()
    np.testing.assert_allclose(fixed.beta, ols.params.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fixed.llf, ols.llf, rtol=1e-12)


def test_sdm_with_no_lags_is_sar(columbus):
    df, w = columbus
    sdm = sf.SDM.from_formula(FORMULA, data=df, w=w, lagged=[]).fit()
    sar = sf.SAR.from_formula(FORMULA, data=df, w=w).fit()
    np.testing.assert_allclose(sdm.params, sar.params, rtol=1e-8)


def test_shuffling_rows_and_weights_together_is_invariant(columbus):
    df, w = columbus
    # Brent's bounded search stops within ~sqrt(eps) relative of the optimum, so the
    # permuted problem (same maths, other rounding) agrees to ~1e-8; allow 1e-6.
    rtol = 1e-6
    rng = np.random.default_rng(7)
    shuffled = df.iloc[rng.permutation(len(df))]
    for cls in (sf.SDM, sf.SEM):
        a = cls.from_formula(FORMULA, data=df, w=w).fit()
        b = cls.from_formula(FORMULA, data=shuffled, w=w).fit()
        np.testing.assert_allclose(b.params, a.params, rtol=rtol)
        np.testing.assert_allclose(b.bse, a.bse, rtol=rtol)
        # Residuals are differences: a residual near zero carries the absolute error of
        # the others (rho to ~1e-8 moves each by ~1e-8 |Wy|), so its tolerance is absolute.
        pd.testing.assert_series_equal(b.resid.loc[df.index], a.resid, rtol=rtol,
                                       atol=rtol * float(a.resid.abs().max()))


def test_conf_int_and_labels(fits):
    res = fits["SDM"]
    ci = res.conf_int(0.95)
    assert list(ci.columns) == ["lower", "upper"]
    np.testing.assert_allclose((ci["upper"] - ci["lower"]) / 2,
                               1.959963984540054 * res.bse, rtol=1e-12)
    assert list(res.cov.index) == list(res.params.index)
    assert "sigma2" in res.cov_full.index
    np.testing.assert_allclose(res.tvalues, res.params / res.bse, rtol=1e-12)


def test_matches_spreg_full_method(columbus):
    """spreg 1.9 ML_Lag (slx_lags=1) and ML_Error, method="full", on the same data."""
    import spreg
    df, w = columbus
    y, X = df[["CRIME"]].to_numpy(), df[["INC", "HOVAL"]].to_numpy()
    lag = spreg.ML_Lag(y, X, w, slx_lags=1, method="full", spat_diag=False,
                       spat_impacts=None)
    ours = sf.SDM.from_formula(FORMULA, data=df, w=w).fit(information="expected")
    # spreg orders: CONSTANT, INC, HOVAL, W_INC, W_HOVAL, W_dep_var (rho)
    np.testing.assert_allclose(ours.params.to_numpy(), np.ravel(lag.betas), rtol=1e-6)
    np.testing.assert_allclose(ours.llf, lag.logll, rtol=1e-9)
    np.testing.assert_allclose(ours.bse.to_numpy(), np.sqrt(np.diag(lag.vm)), rtol=1e-4)
    err = spreg.ML_Error(y, X, w, method="full", spat_diag=False)
    sem = sf.SEM.from_formula(FORMULA, data=df, w=w).fit(information="expected")
    np.testing.assert_allclose(sem.params.to_numpy(), np.ravel(err.betas), rtol=1e-6)
    np.testing.assert_allclose(sem.llf, err.logll, rtol=1e-9)


@pytest.mark.parametrize("cls", [sf.SAR, sf.SDM, sf.SEM, sf.SDEM])
def test_observed_information_equals_numerical_hessian(columbus, cls):
    """The large-n path's analytic observed information is the Hessian of the full logL.

    A central-difference Hessian (step 1e-4 relative) of the full log-likelihood in
    (beta, rho/lambda, sigma2) at the estimate, inverted, gives the same SEs to ~1e-7.
    """
    from spatialflow.models._linalg.logdet import make_logdet
    df, w = columbus
    model = cls.from_formula(FORMULA, data=df, w=w, logdet="lu-observed")
    res = model.fit()
    assert res.information == "observed"
    f = model.frame
    W, y, X, n, k = f.W, f.y, f.X, len(f.y), f.X.shape[1]
    logdet = make_logdet(W, "eigen")

    def loglik(t):
        beta, s, s2 = t[:k], t[k], t[k + 1]
        if cls.lag_y:
            e = y - s * (W @ y) - X @ beta
        else:
            u = y - X @ beta
            e = u - s * (W @ u)
        return -n / 2 * np.log(2 * np.pi * s2) + logdet(s) - e @ e / (2 * s2)

    t0 = np.r_[res.params.to_numpy(), res.sigma2]
    p = len(t0)
    h = 1e-4 * np.maximum(1.0, np.abs(t0))
    H = np.empty((p, p))
    for i in range(p):
        for j in range(p):
            di, dj = np.eye(p)[i] * h[i], np.eye(p)[j] * h[j]
            H[i, j] = (loglik(t0 + di + dj) - loglik(t0 + di - dj) - loglik(t0 - di + dj)
                       + loglik(t0 - di - dj)) / (4 * h[i] * h[j])
    se_numeric = np.sqrt(np.diag(np.linalg.inv(-H)))[:-1]
    np.testing.assert_allclose(res.bse.to_numpy(), se_numeric, rtol=1e-5)


def test_residuals_and_fitted_match_r(columbus):
    """reference/columbus/columbus_residuals_ref.txt (first four units, 12 digits)."""
    from pathlib import Path
    ref = Path(__file__).parent / "reference" / "columbus" / "columbus_residuals_ref.txt"
    lines = ref.read_text().split("\n")
    rows = [[float(v) for v in line.split()] for line in lines[:4]]
    df, w = columbus
    sem = sf.SEM.from_formula(FORMULA, data=df, w=w).fit()
    sar = sf.SAR.from_formula(FORMULA, data=df, w=w).fit()
    # R's optimiser stops at ~1.5e-8 in lambda/rho: residuals agree to ~1e-7 relative.
    np.testing.assert_allclose(sem.resid.iloc[:4], rows[0], rtol=1e-6)
    np.testing.assert_allclose(sem.fitted.iloc[:4], rows[1], rtol=1e-6)
    np.testing.assert_allclose(sar.resid.iloc[:4], rows[2], rtol=1e-6)
    np.testing.assert_allclose(sar.fitted.iloc[:4], rows[3], rtol=1e-6)
