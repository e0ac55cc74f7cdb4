"""Bayesian MCMC of flow models: the posterior mean equals ML on a large sample within
Monte Carlo error (flat priors; the posterior is then centred on the ML estimate up to
O(1/N))."""
import numpy as np
import pytest
from libpysal.weights import lat2W

from spatialflow.flows import FlowModel
from spatialflow.flows.simulate import simulate_flows


def _model(r, c, seed, variant="model_9"):
    w = lat2W(r, c)
    w.transform = "r"
    sim = simulate_flows(w, seed=seed)
    return FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w, model=variant)


def test_mcmc_is_reproducible_and_labelled():
    m = _model(3, 3, 1)
    a = m.fit("mcmc", draws=300, burn_in=50, seed=4)
    b = m.fit("mcmc", draws=300, burn_in=50, seed=4)
    np.testing.assert_array_equal(a.params, b.params)
    assert list(a.params.index[:3]) == ["rho_d", "rho_o", "rho_w"]
    assert a.samples.shape == (300, len(a.params) + 1)
    assert 0.05 < a.acceptance < 0.9
    assert "MCMC draws" in a.summary().as_text()


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["model_9", "model_8"])
def test_posterior_mean_matches_ml_within_mc_error(variant):
    """12 x 12 lattice, 20,736 flows, 6,000 draws: every parameter's posterior mean is within
    4 Monte Carlo standard errors (batch means, 30 batches) of ML, and the posterior standard
    deviations of the rho's equal the ML standard errors within 10%."""
    m = _model(12, 12, 2, variant)
    ml = m.fit("ml")
    mc = m.fit("mcmc", draws=6000, burn_in=1000, seed=1)
    draws = mc.samples.iloc[:, :-1].to_numpy()
    batches = draws.reshape(30, 200, -1).mean(axis=1)
    mc_se = batches.std(axis=0, ddof=1) / np.sqrt(30)
    z = (mc.params.to_numpy() - ml.params.to_numpy()) / mc_se
    assert np.max(np.abs(z)) < 4
    np.testing.assert_allclose(mc.bse.to_numpy()[:3], ml.bse.to_numpy()[:3], rtol=0.10)


def test_effects_of_an_mcmc_fit_use_the_posterior_draws():
    m = _model(3, 3, 1)
    res = m.fit("mcmc", draws=300, burn_in=50, seed=4)
    eff = res.effects("x", draws=100)
    assert eff.table.attrs["draws_kept"] == 100
    assert (eff.table["std_error"] > 0).all()
