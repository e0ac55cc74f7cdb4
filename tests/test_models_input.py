"""Bad input to the cross-sectional models: typed errors that name the culprits."""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import (BoundaryWarning, CollinearityError, ConvergenceWarning,
                                    DuplicateIdError, EmptyInputError, IdMismatchError,
                                    InputError, IslandWarning, MissingDataError,
                                    MissingValueWarning, ModelSpecificationError)

FORMULA = "CRIME ~ INC + HOVAL"


def test_nan_raises_naming_columns_and_ids(columbus):
    df, w = columbus
    bad = df.copy()
    bad.loc["7", "INC"] = np.nan
    bad.loc["12", "CRIME"] = np.inf
    with pytest.raises(MissingDataError, match=r"\['CRIME', 'INC'\].*'7', '12'"):
        sf.SAR.from_formula(FORMULA, data=bad, w=w)


def test_missing_drop_subsets_weights_and_warns(columbus):
    df, w = columbus
    bad = df.copy()
    bad.loc["7", "INC"] = np.nan
    with pytest.warns(MissingValueWarning, match=r"dropped 1 id\(s\).*'7'"):
        res = sf.SAR.from_formula(FORMULA, data=bad, w=w, missing="drop").fit()
    assert res.nobs == 48 and "7" not in res.ids
    # The same as fitting on the subset with R's subset.listw-style re-standardised W.
    sub = w.to_adjlist(remove_symmetric=False, drop_islands=True)
    sub = sub[(sub["focal"] != "7") & (sub["neighbor"] != "7")]
    g = libpysal.graph.Graph.from_adjacency(sub, focal_col="focal", neighbor_col="neighbor",
                                            weight_col="weight").transform("r")
    ref = sf.SAR.from_formula(FORMULA, data=df.drop(index="7"), w=g).fit()
    np.testing.assert_allclose(res.params, ref.params.loc[res.params.index], rtol=1e-6)
    assert bad.loc["7", "INC"] != bad.loc["7", "INC"]  # the user's frame is untouched (NaN)


def test_user_frame_is_not_modified(columbus):
    df, w = columbus
    before = df.copy()
    sf.SDM.from_formula(FORMULA, data=df, w=w).fit()
    pd.testing.assert_frame_equal(df, before)


def test_collinear_columns_are_named(columbus):
    df, w = columbus
    bad = df.assign(INC2=2 * df["INC"])
    with pytest.raises(CollinearityError, match=r"INC2|INC"):
        sf.SAR.from_formula("CRIME ~ INC + HOVAL + INC2", data=bad, w=w)
    with pytest.raises(CollinearityError, match="W_Intercept"):
        sf.SDM.from_formula(FORMULA, data=df, w=w, lagged=["Intercept", "INC"])


def test_weights_not_aligned_name_the_ids(columbus):
    df, w = columbus
    with pytest.raises(IdMismatchError, match=r"1 id\(s\) in the weights but not in the data \['49'\]"):
        sf.SAR.from_formula(FORMULA, data=df.drop(index="49"), w=w)
    intdf = df.set_axis(df.index.astype(int))
    with pytest.raises(IdMismatchError, match="agree as text"):
        sf.SAR.from_formula(FORMULA, data=intdf, w=w)


def test_duplicate_and_empty_and_non_numeric(columbus):
    df, w = columbus
    with pytest.raises(DuplicateIdError, match="'1'"):
        sf.SAR.from_formula(FORMULA, data=pd.concat([df, df.iloc[:1]]), w=w)
    with pytest.raises(EmptyInputError, match="no rows"):
        sf.SAR.from_formula(FORMULA, data=df.iloc[:0], w=w)
    X = df[["INC", "HOVAL"]].assign(label="a")
    with pytest.raises(InputError, match=r"\['label'\] are not numeric"):
        sf.SAR(df["CRIME"], X, w)


def test_n_not_above_k_and_missing_weights(columbus):
    df, w = columbus
    small = df.iloc[:3]
    with pytest.raises(InputError, match="needs n > k"):
        sf.OLS.from_formula("CRIME ~ INC + HOVAL", data=small)
    with pytest.raises(InputError, match="needs spatial weights"):
        sf.SAR.from_formula(FORMULA, data=df)
    with pytest.raises(ModelSpecificationError, match="SAR does not take lagged"):
        sf.SAR.from_formula(FORMULA, data=df, w=w, lagged=["INC"])
    with pytest.raises(InputError, match=r"lagged names \['AGE'\]"):
        sf.SDM.from_formula(FORMULA, data=df, w=w, lagged=["AGE"])


def test_unknown_formula_column_lists_columns(columbus):
    df, w = columbus
    with pytest.raises(InputError, match="Available columns"):
        sf.SAR.from_formula("CRIME ~ NOPE", data=df, w=w)


def test_islands_have_zero_lags_like_zero_policy(columbus):
    df, w = columbus
    neighbors = {k: list(v) for k, v in w.neighbors.items()}
    # cut unit '1' off: it and its former neighbours lose the links (symmetrically)
    for j in neighbors.pop("1"):
        neighbors[j] = [x for x in neighbors[j] if x != "1"]
    neighbors["1"] = []
    wi = libpysal.weights.W(neighbors, silence_warnings=True)
    wi.transform = "r"
    with pytest.warns(IslandWarning, match=r"'1'"):
        res = sf.SAR.from_formula(FORMULA, data=df, w=wi).fit()
    assert res.converged and np.isfinite(res.llf)
    assert res.model.frame.W[res.ids.get_loc("1")].nnz == 0


def test_rho_at_the_bound_warns_and_flags():
    w = libpysal.weights.lat2W(6, 6)
    w.transform = "r"
    rng = np.random.default_rng(3)
    # y is (almost) the constant vector, an eigenvector of W with eigenvalue 1: without an
    # intercept the concentrated likelihood increases all the way to rho's upper bound 1.
    df = pd.DataFrame({"y": 5 + 1e-9 * rng.normal(size=w.n), "x": rng.normal(size=w.n)},
                      index=w.id_order)
    with pytest.warns(BoundaryWarning, match="rho = 1 is at the edge"):
        res = sf.SAR.from_formula("y ~ x - 1", data=df, w=w).fit()
    assert res.at_bound
    assert res.bounds[1] == pytest.approx(1.0)


def test_convergence_failure_is_a_named_warning(columbus, monkeypatch):
    import spatialflow.models._estimation.ml as ml
    df, w = columbus
    original = ml.minimize_scalar

    def one_iteration(fun, bounds, method, options):
        return original(fun, bounds=bounds, method=method, options={**options, "maxiter": 1})

    monkeypatch.setattr(ml, "minimize_scalar", one_iteration)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = sf.SAR.from_formula(FORMULA, data=df, w=w).fit()
    assert res.converged is False


def test_missing_category_is_not_silently_the_baseline(columbus):
    df, w = columbus
    bad = df.assign(side=np.where(df["INC"] > df["INC"].median(), "east", "west"))
    bad.loc[["3", "8"], "side"] = None
    with pytest.raises(MissingDataError, match=r"C\(side\).*'3', '8'"):
        sf.SAR.from_formula("CRIME ~ INC + C(side)", data=bad, w=w)
    with pytest.warns(MissingValueWarning, match="'3', '8'"):
        res = sf.SAR.from_formula("CRIME ~ INC + C(side)", data=bad, w=w,
                                  missing="drop").fit()
    assert res.nobs == 47


def test_lagged_must_be_a_list_of_names(columbus):
    df, w = columbus
    res = sf.SDM.from_formula(FORMULA, data=df, w=w, lagged="INC").fit()
    assert list(res.params.index) == ["Intercept", "INC", "HOVAL", "W_INC", "rho"]


def test_results_are_read_only(columbus):
    df, w = columbus
    res = sf.SDM.from_formula(FORMULA, data=df, w=w).fit()
    before = res.params.copy()
    p = res.params
    with pytest.raises(ValueError, match="read-only"):
        p.iloc[0] = 99.0
    pd.testing.assert_series_equal(res.params, before)
    with pytest.raises(AttributeError):
        res.kind = "SAR"


def test_large_n_starts_from_minus_one_and_refines_when_needed(monkeypatch):
    """Above LAZY_BOUNDS_N a row-standardised W starts from (-1, 1); an estimate that reaches
    -1 triggers the exact lower bound and a new search, giving the eager answer."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    import spatialflow.models._linalg.logdet as logdet

    w = libpysal.weights.lat2W(12, 12, rook=False)
    w.transform = "r"
    W = sp.csr_matrix(w.sparse)
    rng = np.random.default_rng(11)
    x = rng.normal(size=w.n)
    y = spla.spsolve((sp.identity(w.n) - (-1.4) * W).tocsc(), 1 + 2 * x + rng.normal(size=w.n))
    df = pd.DataFrame({"y": y, "x": x}, index=w.id_order)
    eager = sf.SAR.from_formula("y ~ x", data=df, w=w, logdet="lu").fit()
    assert eager.params["rho"] < -1.0 and eager.bounds[0] < -1.5
    monkeypatch.setattr(logdet, "LAZY_BOUNDS_N", 10)
    lazy = sf.SAR.from_formula("y ~ x", data=df, w=w, logdet="lu").fit()
    np.testing.assert_allclose(lazy.params, eager.params, rtol=1e-6)
    np.testing.assert_allclose(lazy.bounds, eager.bounds, rtol=1e-8)
    # ... while an interior estimate keeps the cheap, valid interval.
    y2 = spla.spsolve((sp.identity(w.n) - 0.4 * W).tocsc(), 1 + 2 * x + rng.normal(size=w.n))
    interior = sf.SAR.from_formula("y ~ x", data=df.assign(y=y2), w=w, logdet="lu").fit()
    assert interior.bounds == (-1.0, 1.0)


def test_regressors_on_wildly_different_scales(columbus):
    """Yuan next to shares: coefficients and SEs scale exactly with the units."""
    df, w = columbus
    base = sf.SDM.from_formula(FORMULA, data=df, w=w).fit()
    scaled = sf.SDM.from_formula(FORMULA, data=df.assign(INC=df["INC"] * 1e9,
                                                         HOVAL=df["HOVAL"] * 1e-6), w=w).fit()
    factor = pd.Series({"Intercept": 1.0, "INC": 1e-9, "HOVAL": 1e6, "W_INC": 1e-9,
                        "W_HOVAL": 1e6, "rho": 1.0})
    np.testing.assert_allclose(scaled.params / factor, base.params, rtol=1e-6)
    np.testing.assert_allclose(scaled.bse / factor, base.bse, rtol=1e-6)
    np.testing.assert_allclose(scaled.llf, base.llf, rtol=1e-10)


def test_id_mismatch_hints_for_common_mistakes(columbus):
    df, w = columbus
    with pytest.raises(IdMismatchError, match=r"default integer index.*set_index"):
        sf.SAR.from_formula(FORMULA, data=df.reset_index(), w=w)
    long = pd.concat([df.assign(year=2020), df.assign(year=2021)])
    with pytest.raises(DuplicateIdError, match="looks like a panel.*id= and time="):
        sf.SAR.from_formula(FORMULA, data=long, w=w)
    with pytest.raises(IdMismatchError, match="2 times as many rows.*id= and time="):
        sf.SAR.from_formula(FORMULA, data=long.reset_index(), w=w)
    positional = libpysal.weights.W({i: [j for j in range(49) if abs(i - j) == 1]
                                     for i in range(49)})
    with pytest.raises(IdMismatchError, match="keyed by position"):
        sf.SAR.from_formula(FORMULA, data=df, w=positional)


def test_fit_options_are_checked(columbus):
    df, w = columbus
    model = sf.SDM.from_formula(FORMULA, data=df, w=w)
    with pytest.raises(InputError, match="bias_correction must be 'lee-yu' or None"):
        model.fit(bias_correction="bogus")
    with pytest.raises(ModelSpecificationError, match="fixed-effects panels"):
        model.fit(bias_correction="lee-yu")
    with pytest.raises(InputError, match="'lu-observed'"):
        model.fit(logdet="cholesky")
    with pytest.raises(InputError, match=r"level must be in \(0, 1\)"):
        model.fit().conf_int(95)


def test_empty_lagged_means_no_lags_for_every_model(columbus):
    df, w = columbus
    sem = sf.SEM.from_formula(FORMULA, data=df, w=w, lagged=[]).fit()
    sdem = sf.SDEM.from_formula(FORMULA, data=df, w=w, lagged=[]).fit()
    assert sdem.kind == "SEM" and sem.kind == "SEM"
    np.testing.assert_allclose(sdem.params, sem.params, rtol=1e-8)
    assert sf.SLX.from_formula(FORMULA, data=df, w=w, lagged=[]).fit().kind == "OLS"
    eff = sdem.effects(n_draws=20)
    assert (eff["indirect"] == 0).all()
