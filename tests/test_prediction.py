"""Prediction and scenarios (spatialflow.models.results.prediction).

References:
- R spatialreg 1.2.6 ``predict.Sarlm`` on Columbus: reference/predict/columbus_predict.R and
  its raw output columbus_predict_ref.txt (in-sample "TS", "trend", "TC", "BP" for SAR and
  SDM, "TS"/"trend" for SEM, and "TC" at new X with INC + 1);
- the dense inverse (I - rho W)^{-1} on the same data for the scenarios;
- the definition of the BP predictor as a conditional mean of a Gaussian vector.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _reference import read_kv

import spatialflow as sf
from spatialflow.exceptions import IdMismatchError, InputError, ModelSpecificationError

REF = Path(__file__).parent / "reference" / "predict"
FORMULA = "CRIME ~ INC + HOVAL"
#: Our estimates agree with R's to ~1e-7 relative (the optimiser's tolerance on rho); the
#: predictions inherit that, relative to the outcome's scale (predictions near zero have
#: no meaningful relative error, hence the absolute part: 1e-6 of mean |prediction|).
PRED_RTOL = 1e-6


def _assert_close(actual, desired):
    np.testing.assert_allclose(actual, desired, rtol=PRED_RTOL,
                               atol=PRED_RTOL * np.mean(np.abs(desired)))
TYPES = {"TS": "fitted", "trend": "trend", "TC": "reduced", "BP": "bp"}


@pytest.fixture(scope="module")
def ref():
    raw = read_kv(REF / "columbus_predict_ref.txt")
    out: dict = {}
    for (model, kind, unit), value in raw.items():
        out.setdefault((model, kind), []).append(value)
    return {key: np.array(v) for key, v in out.items()}


@pytest.fixture(scope="module")
def fits(columbus):
    df, w = columbus
    return {k: cls.from_formula(FORMULA, data=df, w=w).fit()
            for k, cls in (("SAR", sf.SAR), ("SDM", sf.SDM), ("SEM", sf.SEM))}


@pytest.mark.parametrize("model", ["SAR", "SDM"])
@pytest.mark.parametrize("rtype", list(TYPES))
def test_in_sample_matches_r(fits, ref, model, rtype):
    pred = fits[model].predict(type=TYPES[rtype])
    _assert_close(pred.to_numpy(), ref[(model, rtype)])
    assert pred.index.equals(fits[model].ids)


@pytest.mark.parametrize("rtype", ["TS", "trend"])
def test_error_model_matches_r(fits, ref, rtype):
    pred = fits["SEM"].predict(type=TYPES[rtype])
    _assert_close(pred.to_numpy(), ref[("SEM", rtype)])


@pytest.mark.parametrize("model", ["SAR", "SDM"])
def test_new_x_on_same_units_matches_r(columbus, fits, ref, model):
    df, _ = columbus
    new = df.assign(INC=df["INC"] + 1).iloc[::-1]   # any row order: matched by id
    pred = fits[model].predict(new, type="reduced")
    _assert_close(pred.to_numpy(), ref[(model, "TCnew")])


def test_bp_is_the_gaussian_conditional_mean(columbus, fits):
    """BP_i = E[y_i | y_-i] under y ~ N(A^{-1} mu, sigma2 (A'A)^{-1}), from the dense
    covariance (an independent route)."""
    res = fits["SAR"]
    W = res.W.toarray()
    n = W.shape[0]
    A = np.eye(n) - res.spatial * W
    mean = res.predict(type="reduced").to_numpy()
    S = res.sigma2 * np.linalg.inv(A.T @ A)
    y = res.model.frame.y
    expected = np.empty(n)
    for i in range(n):
        o = np.arange(n) != i
        expected[i] = mean[i] + S[i, o] @ np.linalg.solve(S[np.ix_(o, o)], y[o] - mean[o])
    np.testing.assert_allclose(res.predict(type="bp").to_numpy(), expected, rtol=1e-9)


def test_raw_data_columns_and_intercept(columbus):
    df, w = columbus
    res = sf.SDM.from_formula("CRIME ~ np.log(INC) + HOVAL", data=df, w=w).fit()
    same = res.predict(df, type="reduced")
    np.testing.assert_allclose(same.to_numpy(), res.predict(type="reduced").to_numpy(),
                               rtol=1e-12)


def test_scenario_matches_dense_inverse(columbus, fits):
    df, _ = columbus
    res = fits["SDM"]
    chosen = df.index[:10]
    delta = pd.DataFrame({"INC": 0.1 * df.loc[chosen, "INC"]})
    sc = res.scenario(delta, n_draws=200, seed=1)
    W = res.W.toarray()
    n = W.shape[0]
    p = res.params
    dX = np.zeros(n)
    dX[:10] = delta["INC"].to_numpy()
    expected = np.linalg.inv(np.eye(n) - p["rho"] * W) @ (p["INC"] * dX + p["W_INC"] * W @ dX)
    np.testing.assert_allclose(sc.units["change"].to_numpy(), expected, rtol=1e-10)
    assert sc.units["changed"].sum() == 10
    # Bands bracket the point values; the draws are reproducible with the seed.
    assert np.all(sc.units["lower"] <= sc.units["change"] + 1e-12)
    assert np.all(sc.units["upper"] >= sc.units["change"] - 1e-12)
    again = res.scenario(delta, n_draws=200, seed=1)
    np.testing.assert_array_equal(again.draws, sc.draws)
    # Partition sums add up to the total.
    groups = pd.Series(np.where(np.arange(n) < 25, "core", "periphery"), index=res.ids)
    by = sc.by(groups)
    np.testing.assert_allclose(by["change"].sum(), sc.total()["change"], rtol=1e-12)
    np.testing.assert_allclose(by.loc["core", "change"], expected[:25].sum(), rtol=1e-10)
    means = sc.by(groups, how="mean")
    np.testing.assert_allclose(means.loc["periphery", "change"], expected[25:].mean(),
                               rtol=1e-10)
    assert list(by.columns) == ["n_units", "change", "std_error", "lower", "upper"]


def test_scenario_total_equals_total_effect_when_all_units_change(fits):
    """Raising x by one in every unit: the mean change is the LeSage-Pace total effect."""
    res = fits["SDM"]
    delta = pd.DataFrame({"HOVAL": 1.0}, index=res.ids)
    sc = res.scenario(delta, n_draws=50)
    eff = res.effects(n_draws=50)
    np.testing.assert_allclose(sc.total(how="mean")["change"], eff.loc["HOVAL", "total"],
                               rtol=1e-10)


def test_scenario_with_raw_variable_rebuilds_the_design(columbus):
    df, w = columbus
    res = sf.SAR.from_formula("CRIME ~ np.log(INC) + HOVAL", data=df, w=w).fit()
    delta = pd.DataFrame({"INC": [1.0, 2.0]}, index=df.index[:2])
    sc = res.scenario(delta, n_draws=20)
    W = res.W.toarray()
    dlog = np.zeros(len(df))
    dlog[:2] = np.log(df["INC"].iloc[:2] + [1.0, 2.0]) - np.log(df["INC"].iloc[:2])
    expected = np.linalg.solve(np.eye(len(df)) - res.spatial * W,
                               res.params["np.log(INC)"] * dlog)
    np.testing.assert_allclose(sc.units["change"].to_numpy(), expected, rtol=1e-10)


def test_prediction_bad_input(columbus, fits):
    df, w = columbus
    res = fits["SAR"]
    with pytest.raises(IdMismatchError, match="not in the fit .*'999'"):
        res.scenario(pd.DataFrame({"INC": [1.0]}, index=["999"]))
    with pytest.raises(InputError, match="neither regressors of the model"):
        res.scenario(pd.DataFrame({"nope": [1.0]}, index=[df.index[0]]))
    with pytest.raises(InputError, match="type must be one of"):
        res.predict(type="TC")
    with pytest.raises(InputError, match="in-sample only"):
        res.predict(df, type="bp")
    with pytest.raises(IdMismatchError, match="1 fitted unit\\(s\\) missing"):
        res.predict(df.iloc[1:])
    with pytest.raises(InputError, match="non-finite"):
        res.scenario(pd.DataFrame({"INC": [np.nan]}, index=[df.index[0]]))
    one = pd.DataFrame({"INC": [1.0]}, index=[df.index[0]])
    with pytest.raises(InputError, match="n_draws"):
        res.scenario(one, n_draws=1)
    with pytest.raises(InputError, match="seed must be a non-negative integer"):
        res.scenario(one, seed=1.5)


def test_panel_scenario_matches_dense_inverse():
    import libpysal

    w = libpysal.weights.lat2W(5, 5)
    w.transform = "r"
    rng = np.random.default_rng(0)
    T = 4
    df = pd.DataFrame({"code": np.tile(w.id_order, T), "year": np.repeat(np.arange(T), 25),
                       "x": rng.normal(size=25 * T)})
    df["y"] = df["x"] + rng.normal(size=25 * T)
    res = sf.SDM.from_formula("y ~ x", data=df, w=w, id="code", time="year",
                              effects="unit").fit()
    delta = pd.DataFrame({"x": [1.0, -0.5]}, index=[w.id_order[0], w.id_order[7]])
    sc = res.scenario(delta, n_draws=50, seed=3)
    W = res.W.toarray()
    d = np.zeros(25)
    d[[0, 7]] = [1.0, -0.5]
    p = res.params
    expected = np.linalg.solve(np.eye(25) - p["rho"] * W, p["x"] * d + p["W_x"] * W @ d)
    np.testing.assert_allclose(sc.units["change"].to_numpy(), expected, rtol=1e-10)
    with pytest.raises(InputError, match="for panel fits, delta columns must be regressors"):
        res.scenario(pd.DataFrame({"y": [1.0]}, index=[w.id_order[0]]))


@pytest.mark.parametrize("effects", ["unit", "twoway", None])
def test_panel_predictions(effects):
    """Identities: trend + rho W y is y minus the within residuals (the fitted values);
    the reduced form and BP equal their dense per-period formulas."""
    import libpysal

    w = libpysal.weights.lat2W(5, 5)
    w.transform = "r"
    rng = np.random.default_rng(2)
    T, n = 4, 25
    df = pd.DataFrame({"code": np.tile(w.id_order, T), "year": np.repeat(np.arange(T), n),
                       "x": rng.normal(size=n * T)})
    df["y"] = df["x"] + rng.normal(size=n * T) + np.tile(rng.normal(size=n), T)
    df = df.sample(frac=1.0, random_state=0)               # user rows in any order
    res = sf.SDM.from_formula("y ~ x", data=df, w=w, id="code", time="year",
                              effects=effects).fit()
    W = res.W.toarray()
    rho = res.spatial
    trend = res.predict(type="trend")
    assert trend.index.equals(res.fitted.index)
    stacked = df.set_index(["year", "code"]).sort_index()
    wy = {}
    for t in range(T):
        yt = stacked.loc[t].reindex(res.ids)["y"].to_numpy()
        wy.update(dict(zip(zip(res.ids, [t] * n), W @ yt)))
    wy = pd.Series([wy[(c, t)] for c, t in zip(df["code"], df["year"])], index=df.index)
    np.testing.assert_allclose((trend + rho * wy).to_numpy(), res.fitted.to_numpy(),
                               rtol=1e-9, atol=1e-9)
    red = res.predict(type="reduced")
    bp = res.predict(type="bp")
    A = np.eye(n) - rho * W
    Q = A.T @ A
    for t in range(T):
        rows = (df["year"] == t).to_numpy()
        codes = df.loc[rows, "code"]
        mu_t = trend[rows].to_numpy()[np.argsort(codes.map(res.ids.get_loc).to_numpy())]
        red_t = np.linalg.solve(A, mu_t)
        got = red[rows].to_numpy()[np.argsort(codes.map(res.ids.get_loc).to_numpy())]
        np.testing.assert_allclose(got, red_t, rtol=1e-10)
        y_t = df.loc[rows, "y"].to_numpy()[np.argsort(codes.map(res.ids.get_loc).to_numpy())]
        d = np.diag(Q)
        exp_bp = red_t - ((Q - np.diag(d)) @ (y_t - red_t)) / d
        got_bp = bp[rows].to_numpy()[np.argsort(codes.map(res.ids.get_loc).to_numpy())]
        np.testing.assert_allclose(got_bp, exp_bp, rtol=1e-10)
    # New regressors on the same (id, time) rows, in another order.
    new = df.assign(x=df["x"] + 1.0).iloc[::-1]
    moved = res.predict(new, type="trend")
    p = res.params
    np.testing.assert_allclose((moved - trend).to_numpy(), p["x"] + p["W_x"], rtol=1e-10)
    with pytest.raises(IdMismatchError, match="exactly the fitted"):
        res.predict(new.iloc[1:], type="reduced")


def test_scenario_series_path_matches_lu(columbus, fits, monkeypatch):
    """Method parity: the power-series draws (used above SERIES_MIN_N units) equal the
    LU draws (same seed, same parameter draws) to the series' truncation bound."""
    import spatialflow.models.results.prediction as prediction

    df, _ = columbus
    res = fits["SDM"]
    delta = pd.DataFrame({"INC": 1.0, "HOVAL": -2.0}, index=df.index[:5])
    lu = res.scenario(delta, n_draws=300, seed=4)
    monkeypatch.setattr(prediction, "SERIES_MIN_N", 0)
    series = res.scenario(delta, n_draws=300, seed=4)
    np.testing.assert_allclose(series.draws, lu.draws, rtol=0,
                               atol=1e-8 * np.abs(lu.draws).max())
    np.testing.assert_allclose(series.units["change"], lu.units["change"], rtol=1e-12)


def test_scenario_by_a_data_column(columbus):
    df, w = columbus
    data = df.assign(zone=np.where(df["HOVAL"] > df["HOVAL"].median(), "high", "low"))
    res = sf.SAR.from_formula(FORMULA, data=data, w=w).fit()
    sc = res.scenario(pd.DataFrame({"INC": 1.0}, index=data.index[:3]), n_draws=50)
    by_name = sc.by("zone")
    by_series = sc.by(data["zone"])
    pd.testing.assert_frame_equal(by_name, by_series)
    assert list(by_name.index) == ["high", "low"]
    with pytest.raises(InputError, match="how must be 'sum' or 'mean'"):
        sc.by("zone", how="median")
