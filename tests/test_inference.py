"""Wald / t tests from text restrictions, tidy() and pseudo-R2 (models/inference.py).

References: statsmodels OLS (wald_test / t_test / rsquared on the same Columbus data) and
hand-built restriction matrices on the spatial fits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import spatialflow as sf
from spatialflow.exceptions import InputError
from spatialflow.models.results.inference import parse_restrictions

FORMULA = "CRIME ~ INC + HOVAL"


def test_parse_restrictions():
    names = ["Intercept", "INC", "W_INC", "np.log(HOVAL)", "rho"]
    R, r = parse_restrictions("INC = W_INC, 2*np.log(HOVAL) - rho/2 = 1; W_INC", names)
    np.testing.assert_array_equal(R, [[0, 1, -1, 0, 0], [0, 0, 0, 2, -0.5], [0, 0, 1, 0, 0]])
    np.testing.assert_array_equal(r, [0, 1, 0])
    with pytest.raises(InputError, match="not linear"):
        parse_restrictions("INC * rho = 0", names)
    with pytest.raises(InputError, match="'HOVAL' in restriction .* is not a parameter"):
        parse_restrictions("HOVAL = 0", names)
    with pytest.raises(InputError, match="exactly one '='"):
        parse_restrictions("INC = rho = 0", names)
    with pytest.raises(InputError, match="involves no parameter"):
        parse_restrictions("1 = 1", names)


def test_ols_tests_match_statsmodels(columbus):
    df, _ = columbus
    ours = sf.OLS.from_formula(FORMULA, data=df).fit()
    ref = smf.ols(FORMULA, data=df).fit()
    w = ours.wald_test("INC = HOVAL, Intercept = 40")
    rw = ref.wald_test("INC = HOVAL, Intercept = 40", use_f=False, scalar=True)
    np.testing.assert_allclose(w.statistic, float(rw.statistic), rtol=1e-10)
    np.testing.assert_allclose(w.pvalue, float(rw.pvalue), rtol=1e-8)
    t = ours.t_test("INC - HOVAL = 0")
    rt = ref.t_test("INC - HOVAL = 0")
    np.testing.assert_allclose(t["statistic"].iloc[0], float(np.squeeze(rt.tvalue)),
                               rtol=1e-10)
    np.testing.assert_allclose(t["p_value"].iloc[0], float(np.squeeze(rt.pvalue)), rtol=1e-8)
    np.testing.assert_allclose(t[["lower", "upper"]].to_numpy().ravel(),
                               np.squeeze(rt.conf_int()), rtol=1e-10)
    pr2 = ours.pseudo_r2()
    np.testing.assert_allclose(pr2["squared_corr"], ref.rsquared, rtol=1e-10)
    np.testing.assert_allclose(pr2["variance_ratio"], ref.rsquared, rtol=1e-10)


def test_spatial_wald_and_t_agree_with_matrices(columbus):
    df, w = columbus
    res = sf.SDM.from_formula(FORMULA, data=df, w=w).fit()
    names = list(res.params.index)
    text = res.wald_test("W_INC = 0, W_HOVAL = 0")
    by_names = res.wald_test(["W_INC", "W_HOVAL"])
    np.testing.assert_allclose(text.statistic, by_names.statistic, rtol=1e-12)
    assert text.df == 2
    R = np.zeros((1, len(names)))
    R[0, names.index("INC")], R[0, names.index("rho")] = 1, 2
    t = res.t_test("INC + 2*rho = 0.5")
    V = res.cov.to_numpy()
    est = float((R @ res.params.to_numpy())[0]) - 0.5
    se = float(np.sqrt((R @ V @ R.T)[0, 0]))
    np.testing.assert_allclose([t["estimate"].iloc[0], t["std_error"].iloc[0]], [est, se],
                               rtol=1e-12)
    # One restriction: the Wald statistic is the squared z.
    np.testing.assert_allclose(res.wald_test("INC + 2*rho = 0.5").statistic,
                               t["statistic"].iloc[0] ** 2, rtol=1e-10)
    assert t.index[0] == "INC + 2*rho = 0.5"


def test_tests_use_the_covariance_the_results_carry(columbus):
    df, w = columbus
    model = sf.SAR.from_formula(FORMULA, data=df, w=w)
    classic, nn = model.fit(), model.fit(cov_type="nonnormal")
    a, b = classic.t_test("rho = 0"), nn.t_test("rho = 0")
    np.testing.assert_allclose(b["std_error"].iloc[0], nn.bse["rho"], rtol=1e-12)
    assert a["std_error"].iloc[0] != b["std_error"].iloc[0]


def test_tidy(columbus):
    df, w = columbus
    res = sf.SEM.from_formula(FORMULA, data=df, w=w).fit()
    t = res.tidy(level=0.9)
    assert list(t.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                               "lower", "upper"]
    assert list(t["term"]) == list(res.params.index)
    np.testing.assert_allclose(t["std_error"], res.bse, rtol=1e-15)
    np.testing.assert_allclose(t["lower"], res.conf_int(level=0.9)["lower"], rtol=1e-15)


def test_pseudo_r2_spatial(columbus):
    df, w = columbus
    res = sf.SAR.from_formula(FORMULA, data=df, w=w).fit()
    y = df["CRIME"].to_numpy()
    red = res.predict(type="reduced").to_numpy()
    pr = res.pseudo_r2()
    np.testing.assert_allclose(pr["squared_corr"], np.corrcoef(y, red)[0, 1] ** 2, rtol=1e-12)
    np.testing.assert_allclose(pr["variance_ratio"], red.var() / y.var(), rtol=1e-12)
    assert pr.name == "pseudo_r2[reduced]"
    with pytest.raises(InputError, match="predictor must be"):
        res.pseudo_r2(predictor="bp")


def test_module_level_wald_test_reads_text(columbus):
    from spatialflow.models import wald_test

    df, w = columbus
    res = sf.SDM.from_formula(FORMULA, data=df, w=w).fit()
    np.testing.assert_allclose(wald_test(res, "W_INC = 0, W_HOVAL = 0").statistic,
                               wald_test(res, ["W_INC", "W_HOVAL"]).statistic, rtol=1e-12)
