"""Simulator.monte_carlo: the bias / RMSE / coverage table against the truth, in one call."""
from __future__ import annotations

import pickle

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import InputError, ModelSpecificationError
from spatialflow.montecarlo import DRAW_COLUMNS, TABLE_COLUMNS, summarise_draws
from spatialflow.simulate import Simulator

#: Normal quantile for "within Monte Carlo error": a correct estimator fails it with
#: probability ~6e-5 per statistic; the draws are fixed by the seed, so the test is stable.
Z_MC = 4.0


@pytest.fixture(scope="module")
def lattice():
    w = libpysal.weights.lat2W(7, 7, rook=True)
    w.transform = "r"
    return w


# ---------------------------------------------------------------- the table, by hand
def test_summary_table_against_hand_computed_statistics():
    # Four replications of one parameter (truth 0.5) and two of another (truth 0), one NaN.
    draws = pd.DataFrame({
        "rep": [0, 1, 2, 3, 0, 1, 2],
        "estimator": ["SAR"] * 4 + ["OLS"] * 3,
        "parameter": ["rho"] * 4 + ["x"] * 3,
        "truth": [0.5] * 4 + [0.0] * 3,
        "estimate": [0.4, 0.6, 0.8, 0.2, 1.0, np.nan, 3.0],
        "std_error": [0.1, 0.2, 0.1, 0.2, 1.0, 1.0, 3.0],
        "lower": [0.3, 0.2, 0.6, 0.1, -1.0, 0.0, 1.0],   # rep 2 misses 0.5; OLS rep 2 misses 0
        "upper": [0.5, 1.0, 1.0, 0.3, 3.0, 0.0, 5.0],   # rep 0 covers at the bound exactly
    })
    table = summarise_draws(draws)
    assert list(table.columns) == TABLE_COLUMNS
    assert list(table["estimator"]) == ["SAR", "OLS"]  # order of first appearance
    sar, ols = table.iloc[0], table.iloc[1]
    # SAR rho: deviations from the truth -0.1, 0.1, 0.3, -0.3
    assert sar["reps"] == 4
    assert sar["mean"] == pytest.approx(0.5, rel=1e-12)
    assert sar["bias"] == pytest.approx(0.0, abs=1e-12)
    assert sar["sd"] == pytest.approx(np.sqrt(0.2 / 3), rel=1e-12)
    assert sar["rmse"] == pytest.approx(np.sqrt(0.2 / 4), rel=1e-12)
    assert sar["mean_std_error"] == pytest.approx(0.15, rel=1e-12)
    assert sar["std_error_sd_ratio"] == pytest.approx(0.15 / np.sqrt(0.2 / 3), rel=1e-12)
    assert sar["coverage"] == pytest.approx(0.5, rel=1e-12)  # reps 0 and 1 cover 0.5
    assert sar["bias_mcse"] == pytest.approx(np.sqrt(0.2 / 3) / 2, rel=1e-12)
    assert sar["coverage_mcse"] == pytest.approx(np.sqrt(0.25 / 4), rel=1e-12)
    # OLS x: the NaN replication is not counted; estimates 1 and 3 against truth 0
    assert ols["reps"] == 2
    assert ols["mean"] == pytest.approx(2.0, rel=1e-12)
    assert ols["bias"] == pytest.approx(2.0, rel=1e-12)
    assert ols["sd"] == pytest.approx(np.sqrt(2.0), rel=1e-12)
    assert ols["rmse"] == pytest.approx(np.sqrt((1 + 9) / 2), rel=1e-12)
    assert ols["mean_std_error"] == pytest.approx(2.0, rel=1e-12)
    assert ols["coverage"] == pytest.approx(0.5, rel=1e-12)


def test_summary_needs_the_draw_columns_and_one_truth():
    with pytest.raises(InputError, match="lacks the columns"):
        summarise_draws(pd.DataFrame({"estimator": ["a"], "parameter": ["b"]}))
    two_truths = pd.DataFrame({"estimator": "SAR", "parameter": "rho", "truth": [0.1, 0.2],
                               "estimate": 0.0, "std_error": 1.0, "lower": -1.0, "upper": 1.0})
    with pytest.raises(InputError, match="truth differs"):
        summarise_draws(two_truths)


# ---------------------------------------------------------------- the contract
def test_contract_columns_parameters_and_draws(lattice):
    dgp = Simulator("SDM", lattice, beta={"Intercept": 1.0, "x1": 1.0, "x2": -0.5},
                    theta={"x1": 0.5, "x2": 0.3}, rho=0.4, seed=0)
    mc = dgp.monte_carlo([sf.SAR, "SDM", sf.OLS], reps=3, seed=0, progress=False)
    assert list(mc.table.columns[:3]) == ["estimator", "parameter", "truth"]
    assert {"mean", "bias", "rmse", "coverage", "sd", "mean_std_error", "std_error_sd_ratio"} <= set(mc.table)
    assert list(mc.draws.columns) == DRAW_COLUMNS
    sdm = mc.table[mc.table["estimator"] == "SDM"].set_index("parameter")
    assert list(sdm.index) == ["Intercept", "x1", "x2", "W_x1", "W_x2", "rho",
                               "direct:x1", "direct:x2", "indirect:x1", "indirect:x2",
                               "total:x1", "total:x2"]
    # one row per replication, estimator and parameter
    assert len(mc.draws) == 3 * (len(sdm) + (4 + 6) + (3 + 6))
    assert not mc.draws.duplicated(["rep", "estimator", "parameter"]).any()
    # the truth: the process's parameters and its true effects, for every estimator
    true = dgp.true_effects()
    for est in ("SAR", "SDM", "OLS"):
        rows = mc.table[mc.table["estimator"] == est].set_index("parameter")
        for kind in ("direct", "indirect", "total"):
            for x in ("x1", "x2"):
                assert rows.loc[f"{kind}:{x}", "truth"] == pytest.approx(true.loc[x, kind],
                                                                          rel=1e-12)
    np.testing.assert_allclose(sdm.loc[dgp.truth.params.index, "truth"], dgp.truth.params,
                               rtol=1e-12)
    # the estimates are the fits' own: replication 0 of the SDM, refitted by hand
    rng = np.random.default_rng(np.random.SeedSequence(0).spawn(3)[0])
    draw = dgp.draw(seed=rng)
    from libpysal.graph import Graph
    g = Graph.from_sparse(dgp.W, ids=dgp.ids)
    res = sf.SDM(draw.data["y"], draw.data[["x1", "x2"]], g).fit()
    rep0 = mc.draws[(mc.draws["rep"] == 0) & (mc.draws["estimator"] == "SDM")]
    rep0 = rep0.set_index("parameter")
    np.testing.assert_allclose(rep0.loc[res.params.index, "estimate"], res.params, rtol=1e-12)
    np.testing.assert_allclose(rep0.loc[res.params.index, "std_error"], res.bse, rtol=1e-12)
    eff = res.effects(method="delta")
    np.testing.assert_allclose(rep0.loc[["total:x1", "total:x2"], "estimate"], eff["total"],
                               rtol=1e-12)
    assert mc.pivot("bias").shape == (12, 3)
    # the result cannot be edited through what it hands out
    table = mc.table
    table.loc[:, "bias"] = 99.0
    assert not (mc.table["bias"] == 99.0).any()


def test_absent_parameters_have_truth_zero_and_ols_asserts_no_spillover(lattice):
    dgp = Simulator("SAR", lattice, beta={"Intercept": 1.0, "x": 1.0}, rho=0.5, seed=0)
    mc = dgp.monte_carlo(["SDM", "OLS"], reps=2, seed=3, progress=False)
    t = mc.table.set_index(["estimator", "parameter"])
    assert t.loc[("SDM", "W_x"), "truth"] == 0.0  # SAR is the SDM with theta = 0
    ols = mc.draws[(mc.draws["estimator"] == "OLS") & (mc.draws["parameter"] == "indirect:x")]
    assert (ols[["estimate", "std_error", "lower", "upper"]] == 0.0).all().all()
    direct = mc.draws[(mc.draws["estimator"] == "OLS") & (mc.draws["parameter"] == "direct:x")]
    slope = mc.draws[(mc.draws["estimator"] == "OLS") & (mc.draws["parameter"] == "x")]
    np.testing.assert_array_equal(direct["estimate"].to_numpy(), slope["estimate"].to_numpy())


def test_small_monte_carlo_recovers_the_truth_within_its_own_error(lattice):
    # 20 replications on a 7 x 7 lattice, SAR fitted to SAR data: the bias is within Z_MC
    # Monte Carlo standard errors and the 95 % coverage within Z_MC binomial SEs of 0.95.
    dgp = Simulator("SAR", lattice, beta={"Intercept": 1.0, "x": 1.0}, rho=0.5, seed=0)
    reps = 20
    mc = dgp.monte_carlo(["SAR"], reps=reps, seed=0, progress=False)
    t = mc.table.set_index("parameter")
    assert (t["reps"] == reps).all()
    for p in ("x", "rho", "direct:x", "indirect:x", "total:x"):
        assert abs(t.loc[p, "bias"]) <= Z_MC * t.loc[p, "bias_mcse"], t.loc[p]
        assert abs(t.loc[p, "coverage"] - 0.95) <= Z_MC * np.sqrt(0.95 * 0.05 / reps), t.loc[p]
        # the RMSE identity: rmse^2 = bias^2 + sd^2 (R-1)/R
        assert t.loc[p, "rmse"] ** 2 == pytest.approx(
            t.loc[p, "bias"] ** 2 + t.loc[p, "sd"] ** 2 * (reps - 1) / reps, rel=1e-10)


def test_same_seed_same_table_on_serial_threads_and_processes(lattice):
    dgp = Simulator("SEM", lattice, beta={"Intercept": 0.5, "x": 1.0}, lam=0.4, seed=1)
    serial = dgp.monte_carlo(["SEM", "SAR"], reps=4, seed=11, progress=False)
    for executor in ("threads", "processes"):
        other = dgp.monte_carlo(["SEM", "SAR"], reps=4, seed=11, progress=False,
                                executor=executor, max_workers=2)
        pd.testing.assert_frame_equal(serial.table, other.table)
        pd.testing.assert_frame_equal(serial.draws, other.draws)
    other = dgp.monte_carlo(["SEM", "SAR"], reps=4, seed=12, progress=False)
    assert not other.table["mean"].equals(serial.table["mean"])


def test_simulator_survives_pickling_for_process_workers(lattice):
    dgp = Simulator("SAC", lattice, beta={"x": 1.0}, rho=0.3, lam=0.2, seed=0)
    back = pickle.loads(pickle.dumps(dgp))
    pd.testing.assert_frame_equal(back.draw(seed=5).data, dgp.draw(seed=5).data)
    pd.testing.assert_frame_equal(back.true_effects(), dgp.true_effects())


def test_bad_monte_carlo_input_is_named(lattice):
    dgp = Simulator("SAR", lattice, beta={"x": 1.0}, rho=0.5, seed=0)
    with pytest.raises(InputError, match="reps must be an integer >= 2"):
        dgp.monte_carlo(["SAR"], reps=1)
    with pytest.raises(InputError, match="reps must be an integer"):
        dgp.monte_carlo(["SAR"], reps=2.5)
    with pytest.raises(ModelSpecificationError, match="'probit' is not one of"):
        dgp.monte_carlo(["probit"], reps=2)
    with pytest.raises(InputError, match="spatialflow model class"):
        dgp.monte_carlo([len], reps=2)
    with pytest.raises(InputError, match="at least one model"):
        dgp.monte_carlo([], reps=2)
    with pytest.raises(InputError, match="level must be"):
        dgp.monte_carlo(["SAR"], reps=2, level=95)
    panel = Simulator("SAR", lattice, beta={"x": 1.0}, rho=0.5, T=2, seed=0)
    with pytest.raises(ModelSpecificationError, match="panel"):
        panel.monte_carlo(["SAR"], reps=2)
