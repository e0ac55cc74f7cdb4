"""Effects of node characteristics on flows, simulation inference, the simulator, and
Monte Carlo recovery (the Guangdong W runs are marked slow: the county layer takes ~8 s to
load)."""
import numpy as np
import pandas as pd
import pytest
import scipy.linalg
from libpysal.weights import lat2W

from spatialflow.exceptions import (IdMismatchError, InadmissibleEstimateError, InputError,
                                    ModelSpecificationError)
from spatialflow.flows import FlowModel
from spatialflow.flows.effects import PARTS, flow_change
from spatialflow.flows.simulate import simulate_flows

RTOL_ALGEBRA = 1e-10


def _w(r=3, c=4):
    w = lat2W(r, c)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def fitted():
    w = _w()
    sim = simulate_flows(w, seed=3)
    return FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w).fit("ml")


def _dense_effects(res):
    m = res.model
    n = m.data.n
    W = m.data.W.toarray()
    I = np.eye(n)
    rho, p = res.rho, res.params
    A = np.eye(n * n) - rho[0] * np.kron(I, W) - rho[1] * np.kron(W, I) - rho[2] * np.kron(W, W)
    lu = scipy.linalg.lu_factor(A)
    out = []
    for r in range(n):
        e = I[r]
        u = p["O_x"] * e + p["O_x.lag1"] * W[:, r]
        v = p["D_x"] * e + p["D_x.lag1"] * W[:, r]
        M = np.outer(u, np.ones(n)) + np.outer(np.ones(n), v) + np.diag(p["I_x"] * e)
        D = scipy.linalg.lu_solve(lu, M.ravel()).reshape(n, n)
        intra, row, col, tot = D[r, r], D[r].sum(), D[:, r].sum(), D.sum()
        out.append([row - intra, col - intra, intra, tot - row - col + intra, tot])
    return np.array(out)


def test_effects_equal_dense_computation(fitted):
    eff = fitted.effects("x", draws=0)
    np.testing.assert_allclose(eff.by_node.to_numpy(), _dense_effects(fitted),
                               rtol=RTOL_ALGEBRA, atol=1e-12)
    parts = eff.table["estimate"]
    np.testing.assert_allclose(parts[["origin", "destination", "intra", "network"]].sum(),
                               parts["total"], rtol=RTOL_ALGEBRA)
    assert list(eff.table.index) == list(PARTS)


def test_blocks_add_up_to_node_totals(fitted):
    ids = fitted.model.data.ids
    region = pd.Series(np.where(np.arange(len(ids)) < 5, "core", "periphery"), index=ids)
    eff = fitted.effects("x", draws=0, groups=region)
    for g in ("core", "periphery"):
        np.testing.assert_allclose(eff.blocks.loc[g].sum(),
                                   eff.by_node.loc[region == g, "total"].sum(), rtol=1e-9)
    change = flow_change(fitted, "x", (region == "core").astype(float))
    np.testing.assert_allclose(change.loc[region == "periphery", region == "core"].to_numpy().sum(),
                               eff.blocks.loc["core", "periphery -> core"], rtol=1e-12)


def test_simulation_inference_is_reproducible_and_covers_the_estimate(fitted):
    a = fitted.effects("x", draws=200, seed=1)
    b = fitted.effects("x", draws=200, seed=1)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    assert (t["std_error"] > 0).all()
    assert ((t["lower"] < t["estimate"]) & (t["estimate"] < t["upper"])).all()


def test_effects_bad_input(fitted):
    with pytest.raises(ModelSpecificationError, match="'z' is not a node characteristic"):
        fitted.effects("z")
    with pytest.raises(InputError, match="groups='nope'"):
        fitted.effects("x", draws=0, groups="nope")
    with pytest.raises(IdMismatchError, match="not nodes"):
        flow_change(fitted, "x", pd.Series({"zzz": 1.0}))


def test_simulator_returns_truth_and_refuses_inadmissible_rho():
    sim = simulate_flows(_w(), model="model_7", rho={"rho_d": 0.2, "rho_o": 0.1}, seed=2)
    assert sim.truth["rho_d"] == 0.2 and "rho_w" not in sim.truth.index
    assert sim.pairs.attrs["synthetic"]
    with pytest.raises(InadmissibleEstimateError, match="admissible"):
        simulate_flows(_w(), rho=(0.6, 0.5, 0.2), seed=1)
    with pytest.raises(InputError, match="rho_od"):
        simulate_flows(_w(), model="model_5", rho={"rho_d": 0.2}, seed=1)


def test_one_draw_recovers_rho_within_four_standard_errors():
    """One fixed draw on a 10 x 10 lattice (10,000 flows): a deterministic check that the
    estimator targets the truth (the Monte Carlo below averages many draws)."""
    w = _w(10, 10)
    sim = simulate_flows(w, seed=42)
    res = FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w).fit("ml")
    z = (res.params - sim.truth.reindex(res.params.index)) / res.bse
    assert np.max(np.abs(z)) < 4


@pytest.fixture(scope="module")
def guangdong_w():
    from spatialflow.datasets import load_guangdong_counties
    from spatialflow.weights import build

    counties = load_guangdong_counties()
    return counties, build(counties, "queen", islands="knn")


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ml", "s2sls"])
def test_monte_carlo_recovery_on_guangdong(guangdong_w, method):
    """50 draws of model_9 on the 124 Guangdong counties (15,376 flows): the mean estimate
    of each rho is within 3 Monte Carlo standard errors of the truth, and the mean ML standard
    error matches the spread of the estimates within 25%."""
    counties, w = guangdong_w
    est, se = [], []
    for seed in range(50):
        sim = simulate_flows(w, seed=seed)
        res = FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w).fit(method)
        est.append(res.params.to_numpy()[:3])
        se.append(res.bse.to_numpy()[:3])
    est, se = np.array(est), np.array(se)
    truth = sim.truth[["rho_d", "rho_o", "rho_w"]].to_numpy()
    mc_se = est.std(axis=0, ddof=1) / np.sqrt(len(est))
    assert np.all(np.abs(est.mean(axis=0) - truth) < 3 * mc_se + 1e-12)
    if method == "ml":
        np.testing.assert_allclose(se.mean(axis=0), est.std(axis=0, ddof=1), rtol=0.25)


@pytest.mark.slow
def test_monte_carlo_effects_on_guangdong_core_periphery(guangdong_w):
    """The mean estimated effects (average and core/periphery blocks) over 30 draws are
    within 3 Monte Carlo standard errors of the effects of the true parameters."""
    counties, w = guangdong_w
    region = counties["core"].map({True: "core", False: "periphery"})
    rows, blocks = [], []
    for seed in range(30):
        sim = simulate_flows(w, seed=seed)
        nodes = sim.nodes.assign(region=region.reindex(sim.nodes.index).to_numpy())
        res = FlowModel.from_formula(sim.formula, nodes, sim.pairs, w).fit("ml")
        eff = res.effects("x", draws=0, groups="region")
        rows.append(eff.table["estimate"].to_numpy())
        blocks.append(eff.blocks.to_numpy().ravel())
    true_res = FlowModel.from_formula(sim.formula, nodes, sim.pairs, w).fit("ml")
    true_res._params = sim.truth.reindex(true_res.params.index).to_numpy()
    true_res.rho = sim.rho_full
    truth = true_res.effects("x", draws=0, groups="region")
    for got, want in ((np.array(rows), truth.table["estimate"].to_numpy()),
                      (np.array(blocks), truth.blocks.to_numpy().ravel())):
        mc_se = got.std(axis=0, ddof=1) / np.sqrt(len(got))
        assert np.all(np.abs(got.mean(axis=0) - want) < 3 * mc_se + 1e-9)
