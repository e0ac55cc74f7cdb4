"""Regimes (spatialflow.models._design.regimes): design expansion and Chow tests, against spreg.

References: spreg 1.9 ``OLS_Regimes`` and ``ML_Lag_Regimes`` (constant_regi="many",
cols2regi="all", regime_lag_sep=False, method="full") run in the test on the same data:
R spdep's Columbus ``oldcol`` (/work/shared/reference/columbus, see columbus.R) with a
two-regime split ``reg = INC > median(INC)`` (24/25 neighbourhoods).

Tolerances: OLS has a closed form, so the Chow statistics agree to rounding
(``RTOL_EXACT``). The ML lag model maximises a concentrated likelihood in rho with
different optimisers (spreg: scipy ``minimize_scalar`` bounded, xatol ~1e-5 on rho;
spatialflow: its own), so estimates agree to the optimiser tolerance; observed 2e-7
relative on the coefficients and Chow statistics, hence ``RTOL_ML = 1e-6``.
"""
from __future__ import annotations

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
from spatialflow.models import chow_test
from spatialflow.models._design.regimes import RegimeInfo, expand_design

REF = Path("/work/shared/reference/columbus")
RTOL_EXACT = 1e-10
RTOL_ML = 1e-6  # observed agreement 2e-7 (betas, Chow); spreg xatol on rho limits it


@pytest.fixture(scope="module")
def columbus():
    df = pd.read_csv(REF / "columbus_oldcol.csv").set_index("id")
    df["reg"] = (df["INC"] > df["INC"].median()).astype(int)
    gal = libpysal.io.open(str(REF / "columbus_oldcol.gal")).read()
    w = libpysal.weights.W({int(k): [int(j) for j in v] for k, v in gal.neighbors.items()},
                           id_order=[int(i) for i in gal.id_order])
    w.transform = "r"
    X = pd.DataFrame({"Intercept": 1.0, "INC": df["INC"], "HOVAL": df["HOVAL"]})
    return SimpleNamespace(df=df, w=w, X=X)


@pytest.fixture
def small():
    X = pd.DataFrame({"Intercept": 1.0, "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                      "z": [0.5, -1.0, 2.0, 0.0, 1.5, 3.0]}, index=list("abcdef"))
    g = pd.Series(["west", "east", "west", "east", "west", "east"], index=X.index, name="side")
    return X, g


# ---------------------------------------------------------------------------- expand_design
def test_expand_all_columns(small):
    X, g = small
    Xr, info = expand_design(X, g)
    assert list(Xr.columns) == ["Intercept[east]", "Intercept[west]", "x[east]", "x[west]",
                                "z[east]", "z[west]"]
    assert Xr["Intercept[east]"].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    assert Xr["x[west]"].tolist() == [1.0, 0.0, 3.0, 0.0, 5.0, 0.0]
    # the regime columns of a variable add up to the variable
    np.testing.assert_array_equal(Xr["z[east]"] + Xr["z[west]"], X["z"])
    assert info.labels == ("east", "west")
    assert info.counts.to_dict() == {"east": 3, "west": 3}
    assert info.columns["x"] == ["x[east]", "x[west]"]
    assert info.varying == ("Intercept", "x", "z") and info.fixed == ()
    assert info.name == "side"
    assert "varying ['Intercept', 'x', 'z']" in repr(info)


def test_expand_subset_keeps_order_and_fixed_columns(small):
    X, g = small
    Xr, info = expand_design(X, g, regime_vars=["z"])
    assert list(Xr.columns) == ["Intercept", "x", "z[east]", "z[west]"]
    assert info.fixed == ("Intercept", "x")
    assert info.columns["Intercept"] == ["Intercept"]
    pd.testing.assert_index_equal(Xr.index, X.index)


def test_expand_aligns_regimes_by_id_and_leaves_inputs_alone(small):
    X, g = small
    X0, g0 = X.copy(), g.copy()
    shuffled = g.sample(frac=1.0, random_state=1)
    Xr, info = expand_design(X, shuffled)
    Xr_ref, _ = expand_design(X, g)
    pd.testing.assert_frame_equal(Xr, Xr_ref)
    pd.testing.assert_series_equal(info.membership, g)
    pd.testing.assert_frame_equal(X, X0)
    pd.testing.assert_series_equal(g, g0)
    # a plain sequence is taken row by row
    Xs, _ = expand_design(X, g.tolist())
    pd.testing.assert_frame_equal(Xs, Xr_ref)


def test_expand_errors_name_the_culprits(small):
    X, g = small
    gn = g.copy()
    gn.loc[["b", "e"]] = None
    with pytest.raises(MissingDataError, match=r"missing at ids \['b', 'e'\]"):
        expand_design(X, gn)
    with pytest.raises(ModelSpecificationError, match=r"at least two distinct values; only "
                                                      r"\['west'\]"):
        expand_design(X, pd.Series("west", index=X.index))
    g3 = pd.Series(["a", "a", "a", "a", "b", "b"], index=X.index)
    with pytest.raises(ModelSpecificationError, match=r"regime\(s\) \['b'\] have \[2\]"):
        expand_design(X, g3)
    with pytest.raises(InputError, match=r"\['w', 'v'\] are not"):
        expand_design(X, g, regime_vars=["x", "w", "v"])
    with pytest.raises(InputError, match=r"lists \['x'\] more than once"):
        expand_design(X, g, regime_vars=["x", "x"])
    with pytest.raises(IdMismatchError, match=r"1 id\(s\) in X only \['f'\]"):
        expand_design(X, g.drop("f"))
    with pytest.raises(InputError, match=r"one entry per row of X \(6\); 5 given"):
        expand_design(X, g.tolist()[:5])
    Xz = X.assign(z=[0.0, 1.0, 0.0, 2.0, 0.0, 3.0])  # z is zero throughout 'west'
    with pytest.raises(CollinearityError, match=r"'z' is zero for every unit of regime 'west'"):
        expand_design(Xz, g)
    with pytest.raises(InputError, match="X must be a pandas DataFrame"):
        expand_design(X.to_numpy(), g)


# ---------------------------------------------------------------------------- chow_test
def test_chow_matches_spreg_ols_regimes(columbus):
    import spreg
    import statsmodels.api as sm

    df = columbus.df
    Xr, info = expand_design(columbus.X, df["reg"])
    fit = sm.OLS(df["CRIME"], Xr).fit()
    res = SimpleNamespace(params=fit.params, cov=fit.cov_params())
    out = chow_test(res, info)
    ref = spreg.OLS_Regimes(df[["CRIME"]].to_numpy(), df[["INC", "HOVAL"]].to_numpy(),
                            df["reg"].tolist(), constant_regi="many", cols2regi="all",
                            regime_err_sep=False, nonspat_diag=False, spat_diag=False)
    # spreg orders chow.regi as CONSTANT, INC, HOVAL
    assert list(out.index) == ["Intercept", "INC", "HOVAL", "joint"]
    np.testing.assert_allclose(out["statistic"].iloc[:3], ref.chow.regi[:, 0], rtol=RTOL_EXACT)
    np.testing.assert_allclose(out["p_value"].iloc[:3], ref.chow.regi[:, 1], rtol=1e-8)
    np.testing.assert_allclose(out.loc["joint", ["statistic", "p_value"]], ref.chow.joint,
                               rtol=1e-8)
    assert out["df"].tolist() == [1, 1, 1, 3]


def test_chow_three_regimes_equals_general_wald():
    # df = R - 1 per variable; the statistic does not depend on which contrasts are used
    rng = np.random.default_rng(3)
    names = ["x[a]", "x[b]", "x[c]", "rho"]
    A = rng.normal(size=(4, 4))
    cov = pd.DataFrame(A @ A.T + np.eye(4), index=names, columns=names)
    params = pd.Series([1.0, 1.5, 0.2, 0.4], index=names)
    info = SimpleNamespace(varying=("x",), columns={"x": ["x[a]", "x[b]", "x[c]"]})
    out = chow_test(SimpleNamespace(params=params, cov=cov), info)
    R = np.array([[0, 1, -1, 0], [1, 0, -1, 0]], dtype=float)  # other contrasts
    b = R @ params.to_numpy()
    expected = b @ np.linalg.solve(R @ cov.to_numpy() @ R.T, b)
    np.testing.assert_allclose(out.loc["x", "statistic"], expected, rtol=1e-10)
    assert out.loc["x", "df"] == 2
    np.testing.assert_allclose(out.loc["joint", "statistic"], expected, rtol=1e-10)


def test_chow_requires_the_regime_columns(small):
    X, g = small
    _, info = expand_design(X, g)
    res = SimpleNamespace(params=pd.Series([1.0], index=["x"]),
                          cov=pd.DataFrame([[1.0]], index=["x"], columns=["x"]))
    with pytest.raises(ModelSpecificationError, match=r"regime coefficients \['Intercept"):
        chow_test(res, info)


# ---------------------------------------------------------------------------- models
def test_sar_regimes_match_spreg_ml_lag_regimes(columbus):
    import spatialflow
    import spreg

    df = columbus.df
    res = spatialflow.SAR.from_formula("CRIME ~ INC + HOVAL", data=df, w=columbus.w,
                                       regimes="reg").fit(information="expected")
    ref = spreg.ML_Lag_Regimes(df[["CRIME"]].to_numpy(), df[["INC", "HOVAL"]].to_numpy(),
                               df["reg"].tolist(), w=columbus.w, constant_regi="many",
                               cols2regi="all", regime_lag_sep=False, method="full",
                               name_x=["INC", "HOVAL"], spat_impacts=None)
    # spreg names: '0_CONSTANT', '0_INC', ..., '1_HOVAL', '_Global_W_dep_var'
    rename = {f"{r}_{v}": f"{'Intercept' if v == 'CONSTANT' else v}[{r}]"
              for r in (0, 1) for v in ("CONSTANT", "INC", "HOVAL")}
    rename["_Global_W_dep_var"] = "rho"
    expected = pd.Series(ref.betas.ravel(), index=[rename[n] for n in ref.name_x])
    np.testing.assert_allclose(res.params[expected.index], expected, rtol=RTOL_ML)
    np.testing.assert_allclose(res.llf, ref.logll, rtol=1e-8)
    assert isinstance(res.regime_info, RegimeInfo)
    out = chow_test(res, res.regime_info)
    np.testing.assert_allclose(out["statistic"].iloc[:3], ref.chow.regi[:, 0], rtol=RTOL_ML)
    np.testing.assert_allclose(out.loc["joint", "statistic"], ref.chow.joint[0], rtol=RTOL_ML)


def test_sdm_regimes_lag_the_expanded_columns(columbus):
    import spatialflow

    res = spatialflow.SDM.from_formula("CRIME ~ INC + HOVAL", data=columbus.df, w=columbus.w,
                                       regimes="reg", regime_vars=["INC"]).fit()
    assert list(res.params.index) == ["Intercept", "INC[0]", "INC[1]", "HOVAL", "W_INC[0]",
                                      "W_INC[1]", "W_HOVAL", "rho"]
    out = chow_test(res, res.regime_info)
    assert list(out.index) == ["INC", "W_INC", "joint"]
    assert out.loc["joint", "df"] == 2
    # W_INC[r] is the lag of the regime column (W (x * 1{reg = r})), not the regime part of
    # the lag; rows are ordered like the data's ids
    Xr, _ = expand_design(columbus.X, columbus.df["reg"], ["INC"])
    W = sp.csr_matrix(columbus.w.sparse)
    frame = res.model.frame
    design = pd.DataFrame(frame.X, index=frame.ids, columns=frame.names)
    np.testing.assert_allclose(design["W_INC[1]"], W @ Xr["INC[1]"].to_numpy(), rtol=RTOL_EXACT)
    assert np.count_nonzero(design.loc[columbus.df["reg"] == 0, "W_INC[1]"]) > 0


def test_chow_defaults_to_the_models_own_expansion(columbus):
    import spatialflow

    res = spatialflow.SAR.from_formula("CRIME ~ INC + HOVAL", data=columbus.df, w=columbus.w,
                                       regimes="reg").fit()
    pd.testing.assert_frame_equal(spatialflow.chow_test(res), chow_test(res, res.regime_info))
    plain = spatialflow.SAR.from_formula("CRIME ~ INC + HOVAL", data=columbus.df,
                                         w=columbus.w).fit()
    with pytest.raises(ModelSpecificationError, match="not fitted with regimes"):
        spatialflow.chow_test(plain)
