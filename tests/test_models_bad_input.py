"""Bad input inside spatialflow.models (issue 11): typed errors that name the culprit."""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import (CollinearityError, ConstantResponseError, IdMismatchError,
                                    InputError, ModelSpecificationError)
from spatialflow.models import moran_residuals

FORMULA = "CRIME ~ INC + HOVAL"


# ------------------------------------------------------------------ constant response
@pytest.mark.parametrize("cls", [sf.OLS, sf.SAR, sf.SEM, sf.SDM])
def test_constant_response_is_refused_naming_it(columbus, cls):
    df, w = columbus
    flat = df.assign(CRIME=35.0)
    with pytest.raises(ConstantResponseError, match=r"response 'CRIME' is constant.*35"):
        cls.from_formula(FORMULA, data=flat, w=w)


def test_constant_response_array_path_and_specification_search(columbus):
    df, w = columbus
    with pytest.raises(ConstantResponseError, match=r"response 'y' is constant"):
        sf.SAR(np.ones(len(df)), df[["INC", "HOVAL"]], w)
    with pytest.raises(ConstantResponseError, match=r"response 'CRIME' is constant"):
        sf.specification_search(FORMULA, df.assign(CRIME=1.0), w)


def test_constant_response_in_a_panel_is_refused():
    w = libpysal.weights.lat2W(4, 4)
    w.transform = "r"
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"code": np.tile(w.id_order, 3), "year": np.repeat([1, 2, 3], 16),
                       "x": rng.normal(size=48), "tfp": 2.0})
    with pytest.raises(ConstantResponseError, match=r"response 'tfp' is constant"):
        sf.SDM.from_formula("tfp ~ x", data=df, w=w, id="code", time="year", effects="unit")


# ------------------------------------------------------------------ y and X meet by id
def test_same_ids_in_another_order_are_aligned_by_id(columbus):
    df, w = columbus
    y, X = df["CRIME"], df[["INC", "HOVAL"]]
    ref = sf.SDM(y, X, w).fit()
    res = sf.SDM(y.iloc[::-1], X, w).fit()
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-10)
    assert res.llf == pytest.approx(ref.llf, rel=1e-12)
    pd.testing.assert_index_equal(res.ids, ref.ids)


def test_different_ids_are_named(columbus):
    df, w = columbus
    y, X = df["CRIME"], df[["INC", "HOVAL"]]
    other = y.rename(index={"7": "seven"})
    with pytest.raises(IdMismatchError, match=r"1 id\(s\) of y are not in X \['seven'\].*"
                                              r"1 id\(s\) of X are not in y \['7'\]"):
        sf.SDM(other, X, w)
    with pytest.raises(IdMismatchError, match=r"0 id\(s\) of y are not in X \[\]; 1 id\(s\) "
                                              r"of X are not in y \['1'\]"):
        sf.SAR(y.iloc[1:], X, w)
    dup = y.set_axis(["2"] + list(y.index[1:]))
    with pytest.raises(IdMismatchError, match=r"duplicated ids .* in y: \['2'\]"):
        sf.SAR(dup, X, w)
    with pytest.raises(InputError, match=r"y has 3 rows and X has 49"):
        sf.SAR(np.ones(3), X, w)


# ------------------------------------------------------------------ text columns
def test_text_regressor_is_named(columbus):
    df, w = columbus
    text = df.assign(INC=df["INC"].map(lambda v: f"{v:,.3f}"))  # numbers stored as text
    with pytest.raises(InputError, match=r"text column\(s\) as regressors: 'INC' \(dtype "
                                         r"(object|str).*49 distinct values.*C\(column\)"):
        sf.SAR.from_formula(FORMULA, data=text, w=w)
    # an explicit categorical is fine
    cat = df.assign(side=np.where(df["INC"] > df["INC"].median(), "east", "west"))
    res = sf.SAR.from_formula("CRIME ~ INC + C(side)", data=cat, w=w).fit()
    assert "C(side)[T.west]" in res.params.index
    cat2 = cat.assign(side=cat["side"].astype("category"))
    assert "side[T.west]" in sf.OLS.from_formula("CRIME ~ INC + side", data=cat2, w=w).fit().params


def test_text_response_is_refused_clearly(columbus):
    df, w = columbus
    text = df.assign(CRIME=df["CRIME"].map(lambda v: f"{v:.4f}"))
    with pytest.raises(InputError, match=r"response 'CRIME' .* is not numeric .*pd.to_numeric") as err:
        sf.SDM.from_formula(FORMULA, data=text, w=w)
    assert len(str(err.value)) < 400  # no list of 49 dummy names
    names = df.assign(CRIME=[f"county {i}" for i in range(len(df))])
    with pytest.raises(InputError, match=r"response 'CRIME' .* is not numeric \(dtype") as err:
        sf.SAR.from_formula(FORMULA, data=names, w=w)
    assert "pd.to_numeric" not in str(err.value)


# ------------------------------------------------------------------ panels
def _panel():
    w = libpysal.weights.lat2W(5, 5)
    w.transform = "r"
    rng = np.random.default_rng(1)
    n, T = 25, 4
    df = pd.DataFrame({"code": np.tile(w.id_order, T), "year": np.repeat(np.arange(T), n),
                       "x": rng.normal(size=n * T),
                       "area": np.tile(rng.uniform(1, 2, size=n), T)})
    df["y"] = df["x"] + rng.normal(size=n * T)
    return df, w


def test_time_invariant_regressor_in_panel_sdm_does_not_suggest_random_effects():
    df, w = _panel()
    with pytest.raises(CollinearityError, match=r"\['area', 'W_area'\] do not vary within "
                                                r"units.*available for SAR and SEM only") as err:
        sf.SDM.from_formula("y ~ x + area", data=df, w=w, id="code", time="year",
                            effects="unit")
    assert "use effects='random'" not in str(err.value)
    # SAR has random effects: there the suggestion stands
    with pytest.raises(CollinearityError, match=r"\['area'\].*use effects='random'"):
        sf.SAR.from_formula("y ~ x + area", data=df, w=w, id="code", time="year",
                            effects="unit")


def test_specification_search_on_a_panel_points_to_the_panel_lm_tests():
    df, w = _panel()
    with pytest.raises(ModelSpecificationError,
                       match=r"panel options \['id', 'time'\].*spatialflow\.models\.panel_lm_tests"):
        sf.specification_search("y ~ x", df, w, id="code", time="year")
    from spatialflow.models import panel_lm_tests  # the place named in the message exists
    assert callable(panel_lm_tests)


# ------------------------------------------------------------------ Moran of residuals
def test_moran_residuals_uses_the_results_weights(columbus):
    df, w = columbus
    ols = sf.OLS.from_formula(FORMULA, data=df, w=w).fit()
    ref = moran_residuals(ols.resid, w)
    got = moran_residuals(ols)
    assert got.I == pytest.approx(ref.I, rel=1e-12) and got.z == pytest.approx(ref.z, rel=1e-12)
    sar = sf.SAR.from_formula(FORMULA, data=df, w=w).fit()
    assert moran_residuals(sar).I == pytest.approx(moran_residuals(sar.resid, w).I, rel=1e-12)
    bare = sf.OLS.from_formula(FORMULA, data=df).fit()
    with pytest.raises(InputError, match=r"OLS fit carries no weights; pass them"):
        moran_residuals(bare)
    with pytest.raises(InputError, match=r"needs the weights: pass W="):
        moran_residuals(ols.resid)


# ------------------------------------------------------------------ n_draws
@pytest.mark.parametrize("bad", [2.5, "100", True, 1, -5, None])
def test_effects_n_draws_must_be_an_integer(columbus, bad):
    df, w = columbus
    res = sf.SDM.from_formula(FORMULA, data=df, w=w).fit()
    with pytest.raises(InputError, match=r"n_draws must be an integer >= 2; "):
        res.effects(n_draws=bad)
    with pytest.raises(InputError, match=r"n_draws must be an integer >= 2; "):
        res.effects(n_draws=bad, method="delta")
    assert res.effects(n_draws=np.int64(50)).shape[0] == 2


@pytest.mark.parametrize("bad", [1.5, -1, "x", True])
def test_effects_and_moran_seeds_must_be_non_negative_integers(columbus, bad):
    df, w = columbus
    res = sf.SDM.from_formula(FORMULA, data=df, w=w).fit()
    with pytest.raises(InputError, match=r"seed must be a non-negative integer or None; "):
        res.effects(n_draws=50, seed=bad)
    ols = sf.OLS.from_formula(FORMULA, data=df, w=w).fit()
    with pytest.raises(InputError, match=r"seed must be a non-negative integer; "):
        moran_residuals(ols, permutations=9, seed=bad)
    with pytest.raises(InputError, match=r"permutations must be an integer >= 0; 9.5"):
        moran_residuals(ols, permutations=9.5)
