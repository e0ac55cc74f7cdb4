"""Specification tests (spatialflow.models.diagnostics) against R spdep/spatialreg and spreg.

Provenance of the reference values: /work/shared/reference/columbus/columbus.R (R spdep
``lm.LMtests``, ``moran.test``; spatialreg ``lagsarlm``/``errorsarlm``, method "eigen")
run on spdep's ``oldcol`` data (COL.OLD, 49 Columbus neighbourhoods, ``CRIME ~ INC + HOVAL``,
COL.nb contiguity, row-standardised "W"); raw output in columbus_ref.txt beside it. The
script wrote the data and neighbours it used to columbus_oldcol.csv / columbus_oldcol.gal.

Tolerances: R prints the LM statistics with 5 significant digits, so a printed value can
differ from the exact one by at most half a unit in the 5th digit, i.e. at most 5e-5
relative (worst case, leading digit 1); ``RTOL_R5 = 1e-4`` covers that with a factor-2
margin and nothing more. Moran's I and its moments are printed with 9 decimals
(``RTOL_R9``: half a unit in the 9th decimal of Var = 0.0086 is 6e-8 relative). spreg uses
the same closed forms on the same data, so it is matched to rounding error (``RTOL_EXACT``).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spatialflow.exceptions import (
    CollinearityError,
    IdMismatchError,
    InputError,
    MissingDataError,
    ModelSpecificationError,
)
from spatialflow.models.diagnostics import (
    TestResult,
    common_factor_test,
    lm_tests,
    lr_test,
    moran_residuals,
    wald_test,
)

REF = Path("/work/shared/reference/columbus")
RTOL_R5 = 1e-4  # R prints 5 significant digits: rounding error <= 5e-5 relative
RTOL_R9 = 1e-7  # Moran I, E[I], Var printed with 9 decimals (Var ~ 8.6e-3)
RTOL_EXACT = 1e-10  # same closed form, same data (spreg, statsmodels): rounding only


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def columbus():
    df = pd.read_csv(REF / "columbus_oldcol.csv").set_index("id")
    gal = libpysal.io.open(str(REF / "columbus_oldcol.gal")).read()
    # the .gal ids are strings '1'..'49'; key the weights by the data's integer ids
    w = libpysal.weights.W({int(k): [int(j) for j in v] for k, v in gal.neighbors.items()},
                           id_order=[int(i) for i in gal.id_order])
    w.transform = "r"
    W = sp.csr_matrix(w.sparse)
    X = pd.DataFrame({"Intercept": 1.0, "INC": df["INC"], "HOVAL": df["HOVAL"]})
    beta, *_ = np.linalg.lstsq(X.to_numpy(), df["CRIME"].to_numpy(), rcond=None)
    resid = df["CRIME"] - X @ beta
    return SimpleNamespace(df=df, w=w, W=W, X=X, y=df["CRIME"], resid=resid)


# ---------------------------------------------------------------------------- Moran
def test_moran_residuals_matches_r_moran_test(columbus):
    # R: moran.test(residuals(lm0), lw) -- randomisation, alternative "greater"
    m = moran_residuals(columbus.resid, columbus.W)
    np.testing.assert_allclose(m.I, 0.235638354, rtol=RTOL_R9)
    np.testing.assert_allclose(m.expectation, -0.020833333, rtol=RTOL_R9)
    np.testing.assert_allclose(m.variance, 0.008603412, rtol=RTOL_R9)
    np.testing.assert_allclose(m.z, 2.7651, rtol=RTOL_R5)
    np.testing.assert_allclose(m.pvalue, 0.002846, rtol=RTOL_R5 * 2)  # 4 digits printed
    assert m.alternative == "greater"
    assert "I=0.235638" in repr(m)


def test_moran_two_sided_pvalue_is_twice_one_sided(columbus):
    one = moran_residuals(columbus.resid, columbus.W)
    two = moran_residuals(columbus.resid, columbus.W, alternative="two-sided")
    np.testing.assert_allclose(two.pvalue, 2 * one.pvalue, rtol=RTOL_EXACT)


def test_moran_accepts_libpysal_weights_aligned_by_id(columbus):
    # shuffled residuals with their ids: the W/Graph is re-ordered to them, not by position
    shuffled = columbus.resid.sample(frac=1.0, random_state=3)
    ref = moran_residuals(columbus.resid, columbus.W)
    for w in (columbus.w, libpysal.graph.Graph.from_W(columbus.w)):
        m = moran_residuals(shuffled, w)
        np.testing.assert_allclose([m.I, m.variance, m.z], [ref.I, ref.variance, ref.z],
                                   rtol=RTOL_EXACT)


def test_moran_permutations_seeded_and_global_state_untouched(columbus):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = moran_residuals(columbus.resid, columbus.W, permutations=199, seed=7)
    b = moran_residuals(columbus.resid, columbus.W, permutations=199, seed=7)
    assert a.p_sim == b.p_sim
    assert 0 < a.p_sim < 0.05  # I is 2.8 standard deviations above E[I]
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_moran_does_not_restandardise_w(columbus):
    # binary weights give a different I than row-standardised ones: W is used as given
    B = columbus.W.copy()
    B.data[:] = 1.0
    assert not np.isclose(moran_residuals(columbus.resid, B).I,
                          moran_residuals(columbus.resid, columbus.W).I, rtol=1e-3)


def test_moran_errors_name_the_culprits(columbus):
    bad = columbus.resid.copy()
    bad.loc[[7, 11]] = np.nan
    with pytest.raises(MissingDataError, match=r"ids \[7, 11\]"):
        moran_residuals(bad, columbus.W)
    with pytest.raises(InputError, match=r"must be 49 x 49.*\(48, 48\)"):
        moran_residuals(columbus.resid, columbus.W[:48, :48])
    with pytest.raises(InputError, match="'alternative' needs to be one of"):
        moran_residuals(columbus.resid, columbus.W, alternative="bigger")
    other = columbus.resid.rename(index=lambda i: i + 100)
    with pytest.raises(IdMismatchError, match="in the data but not in the weights"):
        moran_residuals(other, columbus.w)


# ---------------------------------------------------------------------------- LM tests
R_LM = {  # spdep lm.LMtests(lm0, lw, test="all"): statistic, p-value
    "LM-error": (5.7231, 0.01674),
    "LM-lag": (9.3637, 0.002213),
    "robust LM-error": (0.079495, 0.778),
    "robust LM-lag": (3.72, 0.05376),
    "SARMA": (9.4432, 0.008901),
}


def test_lm_tests_match_r_spdep(columbus):
    out = lm_tests(columbus.y, columbus.X, columbus.W)
    assert list(out.index) == list(R_LM)
    assert list(out.columns) == ["statistic", "df", "p_value"]
    for name, (stat, p) in R_LM.items():
        np.testing.assert_allclose(out.loc[name, "statistic"], stat, rtol=RTOL_R5,
                                   err_msg=name)
        # p-values printed with 4 significant digits (0.778 with 3): half-unit bound
        np.testing.assert_allclose(out.loc[name, "p_value"], p, rtol=1e-3, err_msg=name)
    assert out["df"].tolist() == [1, 1, 1, 1, 2]


def test_lm_tests_match_spreg(columbus):
    import spreg

    ols = spreg.OLS(columbus.y.to_numpy()[:, None], columbus.df[["INC", "HOVAL"]].to_numpy(),
                    w=columbus.w, spat_diag=True)
    out = lm_tests(columbus.y, columbus.X, columbus.W)
    ref = [ols.lm_error, ols.lm_lag, ols.rlm_error, ols.rlm_lag, ols.lm_sarma]
    np.testing.assert_allclose(out["statistic"], [r[0] for r in ref], rtol=RTOL_EXACT)
    np.testing.assert_allclose(out["p_value"], [r[1] for r in ref], rtol=1e-8)


def test_lm_decomposition_identity(columbus):
    # Anselin et al. (1996): LM_err + RLM_lag = LM_lag + RLM_err (both equal SARMA)
    s = lm_tests(columbus.y, columbus.X, columbus.W)["statistic"]
    np.testing.assert_allclose(s["LM-error"] + s["robust LM-lag"],
                               s["LM-lag"] + s["robust LM-error"], rtol=RTOL_EXACT)


def test_lm_tests_invariant_to_joint_permutation(columbus):
    rng = np.random.default_rng(11)
    p = rng.permutation(len(columbus.y))
    ref = lm_tests(columbus.y, columbus.X, columbus.W)
    out = lm_tests(columbus.y.iloc[p], columbus.X.iloc[p], columbus.W[p][:, p])
    np.testing.assert_allclose(out.to_numpy(), ref.to_numpy(), rtol=RTOL_EXACT)


def test_trace_term_sparse_equals_dense(columbus):
    from spatialflow.models.diagnostics.lm import _trace_T

    Wd = columbus.W.toarray()
    np.testing.assert_allclose(_trace_T(columbus.W), np.trace(Wd.T @ Wd + Wd @ Wd),
                               rtol=RTOL_EXACT)


def test_lm_tests_errors(columbus):
    X = columbus.X.assign(INC2=2 * columbus.X["INC"])
    with pytest.raises(CollinearityError, match=r"full column rank 4; its rank is 3"):
        lm_tests(columbus.y, X, columbus.W)
    y = columbus.y.copy()
    y.loc[5] = np.inf
    with pytest.raises(MissingDataError, match=r"y must be finite; NaN/inf at ids \[5\]"):
        lm_tests(y, columbus.X, columbus.W)
    with pytest.raises(InputError, match="X must have 49 rows like y; 48 were given"):
        lm_tests(columbus.y, columbus.X.iloc[:48], columbus.W)
    with pytest.raises(InputError, match="W must be a scipy.sparse matrix"):
        lm_tests(columbus.y, columbus.X, "queen")


# ---------------------------------------------------------------------------- TestResult
def test_testresult_is_frozen_and_readable():
    t = TestResult("LR SDM vs SAR", 1.993833, 2, 0.369, "chi2")
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign"):
        t.statistic = 0.0
    assert repr(t) == "TestResult(LR SDM vs SAR: statistic=1.99383, chi2(df=2), p = 0.369)"
    assert t.to_series()["df"] == 2


# ---------------------------------------------------------------------------- Wald / LR
def _fake(params: pd.Series, cov: np.ndarray, **kw):
    return SimpleNamespace(params=params,
                           cov=pd.DataFrame(cov, index=params.index, columns=params.index), **kw)


def test_wald_matches_statsmodels(columbus):
    import statsmodels.api as sm

    fit = sm.OLS(columbus.y, columbus.X).fit()
    res = _fake(fit.params, fit.cov_params().to_numpy())
    R = np.array([[0, 1, 0], [0, 0, 1]], dtype=float)
    r = np.array([-1.0, 0.0])
    ref = fit.wald_test((R, r), use_f=False, scalar=True)
    ours = wald_test(res, R, r)
    np.testing.assert_allclose(ours.statistic, ref.statistic, rtol=RTOL_EXACT)
    np.testing.assert_allclose(ours.pvalue, ref.pvalue, rtol=1e-8)
    assert ours.df == 2
    # the same restrictions given by name / as a labelled DataFrame
    by_name = wald_test(res, ["INC", "HOVAL"])
    ref0 = fit.wald_test("INC = 0, HOVAL = 0", use_f=False, scalar=True)
    np.testing.assert_allclose(by_name.statistic, ref0.statistic, rtol=RTOL_EXACT)
    frame = pd.DataFrame([{"INC": 1.0}, {"HOVAL": 1.0}]).fillna(0.0)
    np.testing.assert_allclose(wald_test(res, frame, r).statistic, ref.statistic,
                               rtol=RTOL_EXACT)


def test_wald_errors():
    res = _fake(pd.Series([1.0, 2.0], index=["a", "b"]), np.eye(2))
    with pytest.raises(InputError, match=r"among \['a', 'b'\]; \['c'\] were given"):
        wald_test(res, ["c"])
    with pytest.raises(InputError, match="one column per parameter"):
        wald_test(res, np.ones((1, 3)))
    with pytest.raises(ModelSpecificationError, match="linearly dependent"):
        wald_test(res, np.array([[1.0, 0.0], [2.0, 0.0]]))


def test_common_factor_delta_method_by_hand():
    # rho = beta = 0: the Jacobian is the selector of theta, so the delta-method statistic
    # equals the plain (linear) Wald test of theta = 0
    idx = ["Intercept", "x", "W_x", "rho"]
    rng = np.random.default_rng(5)
    A = rng.normal(size=(4, 4))
    cov = A @ A.T / 10 + np.eye(4) * 0.1
    res0 = _fake(pd.Series([1.0, 0.0, 0.3, 0.0], index=idx), cov, spatial_param="rho",
                 lagged_names=["x"], kind="SDM")
    np.testing.assert_allclose(common_factor_test(res0).statistic,
                               wald_test(res0, ["W_x"]).statistic, rtol=RTOL_EXACT)
    # rho != 0: g = theta + rho beta, G = [0, rho, 1, beta]
    p = pd.Series([1.0, 0.5, 0.3, 0.4], index=idx)
    res = _fake(p, cov, spatial_param="rho", lagged_names=["x"], kind="SDM")
    g = 0.3 + 0.4 * 0.5
    G = np.array([0.0, 0.4, 1.0, 0.5])
    np.testing.assert_allclose(common_factor_test(res).statistic, g**2 / (G @ cov @ G),
                               rtol=RTOL_EXACT)


def test_common_factor_needs_sdm():
    res = _fake(pd.Series([1.0, 0.5, 0.2], index=["Intercept", "x", "lambda"]), np.eye(3),
                spatial_param="lambda", lagged_names=[], kind="SEM")
    with pytest.raises(ModelSpecificationError, match="a SEM model was given"):
        common_factor_test(res)
    res = _fake(pd.Series([1.0, 0.5, 0.2], index=["Intercept", "x", "rho"]), np.eye(3),
                spatial_param="rho", lagged_names=[], kind="SAR")
    with pytest.raises(ModelSpecificationError, match="needs a spatial Durbin model"):
        common_factor_test(res)


def test_lr_test_arithmetic_and_errors():
    r = SimpleNamespace(llf=-182.3904, k=5, nobs=49, kind="SAR")
    u = SimpleNamespace(llf=-181.3935, k=7, nobs=49, kind="SDM")
    t = lr_test(r, u)
    np.testing.assert_allclose(t.statistic, 2 * (-181.3935 + 182.3904), rtol=RTOL_EXACT)
    assert (t.name, t.df) == ("LR SDM vs SAR", 2)
    with pytest.raises(ModelSpecificationError, match=r"more parameters.*k = 5 \(SAR\)"):
        lr_test(u, r)
    with pytest.raises(ModelSpecificationError, match="same observations; nobs 48"):
        lr_test(SimpleNamespace(llf=-1.0, k=5, nobs=48), u)
    with pytest.raises(InputError, match="fitted results object"):
        lr_test("SAR", u)


# ---------------------------------------------------------------------------- with the estimators
@pytest.fixture(scope="module")
def fits(columbus):
    import spatialflow

    kw = dict(data=columbus.df, w=columbus.w)
    return {kind: getattr(spatialflow, kind).from_formula("CRIME ~ INC + HOVAL", **kw).fit()
            for kind in ("SAR", "SEM", "SDM")}


def test_lr_tests_match_r_spatialreg(fits):
    # R: 2*(logLik(sdm)-logLik(sar)) and 2*(logLik(sdm)-logLik(sem)), printed to 7 digits;
    # both log-likelihoods come from 1-d optimisations of rho/lambda (R's optimize, tol
    # ~1e-10 on rho), so 7 printed digits are the binding limit: rtol = 5e-7 relative.
    from spatialflow.models.diagnostics import common_factor_lr

    t = lr_test(fits["SAR"], fits["SDM"])
    np.testing.assert_allclose(t.statistic, 1.993833, rtol=5e-7)
    assert t.df == 2
    cf = common_factor_lr(fits["SDM"], fits["SEM"])
    np.testing.assert_allclose(cf.statistic, 3.973916, rtol=5e-7)
    assert cf.df == 2
    with pytest.raises(ModelSpecificationError, match=r"compares an SDM with an SEM; \(SAR"):
        common_factor_lr(fits["SAR"], fits["SEM"])


def test_common_factor_wald_matches_numerical_delta_method(fits):
    # independent check of the analytic Jacobian: central differences of g(psi)
    sdm = fits["SDM"]
    p, V = sdm.params, sdm.cov.loc[sdm.params.index, sdm.params.index].to_numpy()

    def g(v):
        s = pd.Series(v, index=p.index)
        return np.array([s["W_INC"] + s["rho"] * s["INC"], s["W_HOVAL"] + s["rho"] * s["HOVAL"]])

    h = 1e-6
    G = np.column_stack([(g(p.to_numpy() + h * e) - g(p.to_numpy() - h * e)) / (2 * h)
                         for e in np.eye(len(p))])
    g0 = g(p.to_numpy())
    expected = g0 @ np.linalg.solve(G @ V @ G.T, g0)
    np.testing.assert_allclose(common_factor_test(sdm).statistic, expected, rtol=1e-7)


def test_wald_theta_zero_in_sdm_close_to_lr(fits):
    # Wald and LR of theta = 0 are asymptotically equivalent; on n = 49 they agree to ~2%
    sdm = fits["SDM"]
    wald = wald_test(sdm, ["W_INC", "W_HOVAL"])
    lr = lr_test(fits["SAR"], sdm)
    np.testing.assert_allclose(wald.statistic, lr.statistic, rtol=0.05)


def test_specification_search_columbus(columbus):
    from spatialflow.models.diagnostics import specification_search

    s = specification_search("CRIME ~ INC + HOVAL", columbus.df, columbus.w)
    # LM tests reject OLS; only robust LM-lag is near significance (p = 0.054) and the plain
    # LM-lag beats LM-error; SDM -> SAR not rejected (LR 1.99, p = 0.37): Elhorst gives SAR
    assert s.decision == "SAR"
    assert "point to the lag" in s.reason
    np.testing.assert_allclose(s.tests.loc["LM-lag", "statistic"], 9.3637, rtol=RTOL_R5)
    np.testing.assert_allclose(s.tests.loc["LR SDM vs SAR", "statistic"], 1.993833, rtol=5e-7)
    np.testing.assert_allclose(s.tests.loc["LR common factor (SDM vs SEM)", "statistic"],
                               3.973916, rtol=5e-7)
    assert s.tests.loc["LR SDM vs SAR", "decision"] == "not rejected"
    assert set(s.tests.columns) == {"hypothesis", "statistic", "df", "p_value", "decision"}
    assert s.tests["df"].dtype.kind == "i"   # counts: 1, never "1.0" (issue 20)
    # ranking: R's AIC of SAR 374.7809 and SDM 376.787 (7 significant digits printed)
    assert list(s.ranking.columns[:4]) == ["logL", "k", "aic", "bic"]
    np.testing.assert_allclose(s.ranking.loc[["SAR", "SDM"], "aic"], [374.7809, 376.787],
                               rtol=5e-7)
    assert s.ranking.index[0] == "SAR"
    assert set(s.ranking.index) == {"OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS"}
    # the top of the nesting tree: LR statistics of R sacsarlm / lagsarlm / errorsarlm
    # (tests/reference/sac/sac_ref.txt: GNS vs SDM 0.1027093, SDEM 0.4849415, SAC 1.785206)
    np.testing.assert_allclose(s.tests.loc[["LR GNS vs SDM", "LR GNS vs SDEM", "LR GNS vs SAC"],
                                           "statistic"],
                               [0.102709316134451, 0.484941503636094, 1.78520595459776],
                               rtol=1e-4)
    assert list(s.tests.loc[["LR GNS vs SDM", "LR GNS vs SDEM", "LR GNS vs SAC"], "df"]) == \
        [1, 1, 2]
    np.testing.assert_allclose(s.ranking.loc["SAC", "aic"], 376.469518317877, rtol=1e-8)
    # Wald criterion reaches the same decision here
    assert specification_search("CRIME ~ INC + HOVAL", columbus.df, columbus.w,
                                criterion="wald").decision == "SAR"


def test_specification_search_picks_ols_without_spatial_structure(columbus):
    from spatialflow.models.diagnostics import specification_search

    rng = np.random.default_rng(20261123)
    df = columbus.df.copy()
    df["y"] = 1.0 + 0.5 * df["INC"] + rng.normal(scale=5.0, size=len(df))
    s = specification_search("y ~ INC", df, columbus.w)
    # no LM test rejects at 5% and theta = 0 in SLX holds for this seed
    assert (s.tests.loc[["LM-error", "LM-lag"], "decision"] == "not rejected").all()
    assert s.decision == "OLS", s.reason


def test_specification_search_picks_sdm_when_both_restrictions_fail(columbus):
    from spatialflow.models.diagnostics import specification_search

    # y = (I - 0.5 W)^{-1} (1 + 2 x + 3 Wx + e): theta = 3 and theta + rho beta = 4, far from 0
    rng = np.random.default_rng(7)
    n = len(columbus.df)
    x = rng.normal(size=n)
    W = columbus.W
    rhs = 1.0 + 2.0 * x + 3.0 * (W @ x) + 0.5 * rng.normal(size=n)
    y = sp.linalg.spsolve(sp.identity(n, format="csc") - 0.5 * W.tocsc(), rhs)
    df = pd.DataFrame({"y": y, "x": x}, index=columbus.df.index)
    s = specification_search("y ~ x", df, columbus.w)
    assert s.decision == "SDM", s.reason
    assert "Both SDM restrictions are rejected" in s.reason


def test_specification_search_checks_options(columbus):
    from spatialflow.models.diagnostics import specification_search

    with pytest.raises(InputError, match=r"alpha must lie in \(0, 1\); 5 was given"):
        specification_search("CRIME ~ INC", columbus.df, columbus.w, alpha=5)
    with pytest.raises(InputError, match="'criterion' needs to be one of"):
        specification_search("CRIME ~ INC", columbus.df, columbus.w, criterion="aic")


def test_specification_search_with_regimes_uses_the_regime_design(columbus):
    from spatialflow.models.diagnostics import specification_search
    from spatialflow.models._design.regimes import expand_design

    df = columbus.df.assign(reg=(columbus.df["INC"] > columbus.df["INC"].median()).astype(int))
    s = specification_search("CRIME ~ INC + HOVAL", df, columbus.w, regimes="reg")
    Xr, _ = expand_design(columbus.X, df["reg"])
    lm = lm_tests(df["CRIME"], Xr, columbus.W)
    np.testing.assert_allclose(s.tests.loc[lm.index, "statistic"], lm["statistic"],
                               rtol=RTOL_EXACT)
    assert "rho" in s.results["SAR"].params.index
    assert "INC[1]" in s.results["SAR"].params.index


# ---------------------------------------------------------------------------- QA regressions
def test_lm_tests_accept_libpysal_weights_aligned_by_ids(columbus):
    # The same statistics from a libpysal W (aligned by the Series index) as from the matrix,
    # also when y and X come in another row order.
    ref = lm_tests(columbus.y, columbus.X, columbus.W)
    got = lm_tests(columbus.y, columbus.X, columbus.w)
    pd.testing.assert_frame_equal(got, ref, rtol=RTOL_EXACT)
    order = columbus.y.sample(frac=1.0, random_state=5).index
    shuffled = lm_tests(columbus.y.loc[order], columbus.X.loc[order], columbus.w)
    pd.testing.assert_frame_equal(shuffled, ref, rtol=RTOL_EXACT)
    graph = libpysal.graph.Graph.from_W(columbus.w)
    pd.testing.assert_frame_equal(lm_tests(columbus.y, columbus.X, graph), ref,
                                  rtol=RTOL_EXACT)
    with pytest.raises(InputError, match="pass y as a pandas Series indexed by the unit ids"):
        lm_tests(columbus.y.to_numpy(), columbus.X.to_numpy(), columbus.w)
    with pytest.raises(IdMismatchError, match="X must be indexed like y"):
        lm_tests(columbus.y, columbus.X.loc[order], columbus.w)


def test_lm_tests_accept_fitted_ols_results(columbus):
    import spatialflow

    ref = lm_tests(columbus.y, columbus.X, columbus.W)
    ols = spatialflow.OLS.from_formula("CRIME ~ INC + HOVAL", data=columbus.df,
                                       w=columbus.w).fit()
    pd.testing.assert_frame_equal(lm_tests(ols), ref, rtol=RTOL_EXACT)
    pd.testing.assert_frame_equal(lm_tests(ols, W=columbus.W), ref, rtol=RTOL_EXACT)
    sar = spatialflow.SAR.from_formula("CRIME ~ INC + HOVAL", data=columbus.df,
                                       w=columbus.w).fit()
    with pytest.raises(ModelSpecificationError, match="least-squares residuals.*SAR"):
        lm_tests(sar)
    with pytest.raises(InputError, match="do not pass X"):
        lm_tests(ols, columbus.X)


def test_lr_test_refuses_fits_of_other_samples_or_responses(columbus):
    import spatialflow

    kw = dict(data=columbus.df, w=columbus.w)
    sar = spatialflow.SAR.from_formula("CRIME ~ INC + HOVAL", **kw).fit()
    sdm = spatialflow.SDM.from_formula("CRIME ~ INC + HOVAL", **kw).fit()
    df = columbus.df.assign(CRIME2=columbus.df["CRIME"] * 2.0)
    sdm_other_y = spatialflow.SDM.from_formula("CRIME2 ~ INC + HOVAL", data=df,
                                               w=columbus.w).fit()
    with pytest.raises(ModelSpecificationError, match="same response; 'CRIME'.*'CRIME2'"):
        lr_test(sar, sdm_other_y)
    # Same n, other units: relabel one id in the data and the weights of the second fit.
    relabel = {columbus.df.index[0]: 999}
    w2 = libpysal.weights.W({relabel.get(k, k): [relabel.get(j, j) for j in v]
                             for k, v in columbus.w.neighbors.items()})
    w2.transform = "r"
    sdm_other_ids = spatialflow.SDM.from_formula(
        "CRIME ~ INC + HOVAL", data=columbus.df.rename(index=relabel), w=w2).fit()
    with pytest.raises(ModelSpecificationError, match=r"same units.*\[999\]"):
        lr_test(sar, sdm_other_ids)
    with pytest.raises(ModelSpecificationError, match="Pass the nested"):
        lr_test(sdm, sar)
    np.testing.assert_allclose(lr_test(sar, sdm).statistic, 2 * (sdm.llf - sar.llf),
                               rtol=RTOL_EXACT)


def test_specification_search_passes_lagged_to_durbin_models_only(columbus):
    from spatialflow.models.diagnostics import specification_search

    s = specification_search("CRIME ~ INC + HOVAL", columbus.df, columbus.w, lagged=["INC"])
    for kind in ("SLX", "SDM", "SDEM", "GNS"):
        assert [p for p in s.results[kind].params.index if p.startswith("W_")] == ["W_INC"]
    for kind in ("OLS", "SAR", "SEM", "SAC"):
        assert not any(p.startswith("W_") for p in s.results[kind].params.index)
    assert s.tests.loc["LR SDM vs SAR", "df"] == 1


def test_lm_tests_on_an_ols_fit_that_dropped_rows(columbus):
    """The OLS fit carries W subset to its rows, so lm_tests(ols) works after missing='drop'."""
    import warnings

    import spatialflow as sf
    from spatialflow.exceptions import MissingValueWarning

    df, w = columbus.df, columbus.w
    bad = df.copy()
    bad.loc[bad.index[6], "INC"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValueWarning)
        ols = sf.OLS.from_formula("CRIME ~ INC + HOVAL", data=bad, w=w, missing="drop").fit()
    out = sf.lm_tests(ols)
    # Same as the tests on the explicitly subset, re-standardised weights.
    direct = lm_tests(ols.model.frame.y, ols.model.frame.X, ols.W)
    pd.testing.assert_frame_equal(out, direct)
    assert ols.W.shape == (48, 48)
