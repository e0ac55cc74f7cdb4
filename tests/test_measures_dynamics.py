"""Distribution dynamics: kernel densities (integrate to 1, equal a hand-written Gaussian
mixture), the stochastic kernel, and the Markov / spatial Markov chains against giddy."""
import warnings

import libpysal
import numpy as np
import pandas as pd
import pytest
from giddy.markov import Markov, Spatial_Markov
from scipy.integrate import trapezoid
from scipy.stats import norm

from spatialflow.exceptions import InputError, NonPositiveLevelError, ThinDataWarning
from spatialflow.measures import (
    kernel_densities,
    markov_chain,
    relative_levels,
    spatial_markov,
    stochastic_kernel,
)

#: trapezoid rule on 512 points over +-5 bandwidths: error ~1e-8 (measured), tails < 6e-7
ATOL_INTEGRAL = 1e-6
#: the same numbers through giddy and through our wrapper
RTOL_SAME = 1e-12


@pytest.fixture(scope="module")
def lattice():
    w = libpysal.weights.lat2W(8, 8)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def panel(lattice):
    rng = np.random.default_rng(1)
    n = 64
    ly = rng.normal(1, 0.4, n)
    rows = []
    for t in range(6):
        rows += [dict(code=i, year=2000 + t, y=np.exp(v)) for i, v in zip(lattice.id_order, ly)]
        ly = 0.8 * ly + 0.2 * (lattice.sparse @ ly) + rng.normal(0, 0.15, n)
    return pd.DataFrame(rows)


def _relative(panel):
    wide = panel.pivot(index="code", columns="year", values="y")
    return wide / wide.mean(axis=0)


def test_kernel_densities_integrate_to_one_and_equal_the_gaussian_mixture(panel):
    kd = kernel_densities(panel, "y")
    np.testing.assert_allclose(kd.integrals(), 1.0, atol=ATOL_INTEGRAL)
    r = _relative(panel)[2003].to_numpy()
    h = np.std(r, ddof=1) * len(r) ** (-1 / 5)                 # Scott's rule, stated
    np.testing.assert_allclose(kd.bandwidth[2003], h, rtol=1e-12)
    x = kd.grid[::37]
    mixture = norm.pdf((x[:, None] - r[None, :]) / h).sum(axis=1) / (len(r) * h)
    np.testing.assert_allclose(kd.density[2003].to_numpy()[::37], mixture, rtol=1e-10)
    fixed = kernel_densities(panel, "y", bandwidth=0.08)
    np.testing.assert_allclose(fixed.bandwidth, 0.08, rtol=1e-12)
    np.testing.assert_allclose(fixed.integrals(), 1.0, atol=ATOL_INTEGRAL)
    assert fixed.rule == "fixed" and set(kd.summary().columns) >= {"bandwidth", "mode", "peaks"}


def test_spatially_conditioned_levels_divide_by_the_neighbours_mean(panel, lattice):
    r = relative_levels(panel, "y", w=lattice, relative="neighbours")
    wide = panel.pivot(index="code", columns="year", values="y").reindex(r.index)
    W = lattice.full()[0]
    W = W / W.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(r.to_numpy(), wide.to_numpy() / (W @ wide.to_numpy()),
                               rtol=1e-12)
    kd = kernel_densities(panel, "y", w=lattice, relative="neighbours")
    np.testing.assert_allclose(kd.integrals(), 1.0, atol=ATOL_INTEGRAL)


def test_stochastic_kernel_joint_integrates_to_one_and_marginal_is_the_mixture(panel):
    sk = stochastic_kernel(panel, "y")
    assert len(sk.pairs) == 64 * 5 and sk.step == 1
    total = trapezoid(trapezoid(sk.joint, sk.grid, axis=1), sk.grid)
    np.testing.assert_allclose(total, 1.0, atol=1e-5)   # 100 x 100 grid
    # the marginal of a bivariate Gaussian KDE is the 1-D mixture with variance H[0, 0]
    x = sk.pairs["r_from"].to_numpy()
    h = np.sqrt(sk.bandwidth[0, 0])
    mixture = norm.pdf((sk.grid[:, None] - x[None, :]) / h).sum(axis=1) / (len(x) * h)
    np.testing.assert_allclose(sk.marginal, mixture, atol=1e-4 * mixture.max())
    ok = ~np.isnan(sk.conditional).any(axis=1)
    np.testing.assert_allclose(trapezoid(sk.conditional[ok], sk.grid, axis=1), 1.0, rtol=1e-9)
    two = stochastic_kernel(panel, "y", step=2)
    assert len(two.pairs) == 64 * 4


def test_markov_chain_equals_giddy_and_its_long_run_identities(panel):
    mc = markov_chain(panel, "y", k=4)
    import mapclassify as mc_
    r = _relative(panel).reindex(pd.unique(panel["code"]))
    q = mc_.Quantiles(r.to_numpy().ravel(), k=4)
    ref = Markov(q.yb.reshape(r.shape), summary=False)
    np.testing.assert_allclose(mc.P.to_numpy(), ref.p, rtol=RTOL_SAME)
    np.testing.assert_allclose(mc.transitions.to_numpy(), ref.transitions, rtol=RTOL_SAME)
    P, pi, M = mc.P.to_numpy(), mc.steady_state.to_numpy(), mc.mfpt.to_numpy()
    np.testing.assert_allclose(pi @ P, pi, atol=1e-12)
    np.testing.assert_allclose(pi.sum(), 1.0, rtol=1e-12)
    # first-step equations: m_ij = 1 + sum_{l != j} p_il m_lj
    off = M - np.diag(np.diag(M))
    np.testing.assert_allclose(M, 1 + P @ off, rtol=1e-9)
    assert not mc.thin


def test_spatial_markov_equals_giddy(panel, lattice):
    res = spatial_markov(panel, "y", lattice, k=4)
    r = _relative(panel).reindex(pd.unique(panel["code"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = Spatial_Markov(r.to_numpy(), lattice, k=4, m=4, fixed=True,
                             fill_empty_classes=True)
        expected = [ref.Q, ref.Q_p_value, ref.LR, ref.LR_p_value]
    np.testing.assert_allclose([res.Q, res.Q_p_value, res.LR, res.LR_p_value], expected,
                               rtol=RTOL_SAME)
    assert res.dof == ref.dof_hom
    np.testing.assert_allclose(res.steady_state.to_numpy(),
                               np.asarray(ref.S, dtype=float), rtol=1e-10)
    for j, lab in enumerate(res.P):
        np.testing.assert_allclose(res.P[lab].to_numpy(), ref.P[j], rtol=RTOL_SAME)
    assert set(res.long_table().columns) >= {"neighbours", "from", "to C1"}


def test_two_periods_are_thin_and_say_so(panel, lattice):
    two = panel[panel["year"].isin([2000, 2005])]
    with pytest.warns(ThinDataWarning, match="descriptive"):
        res = spatial_markov(two, "y", lattice, k=5)
    assert res.thin


def test_errors(panel, lattice):
    bad = panel.copy()
    bad.loc[(bad["code"] == 9) & (bad["year"] == 2001), "y"] = -1.0
    with pytest.raises(NonPositiveLevelError, match=r"\(9, 2001\)"):
        kernel_densities(bad, "y")
    with pytest.raises(InputError, match="needs w="):
        relative_levels(panel, "y", relative="neighbours")
    with pytest.raises(InputError, match="step=6 needs more than 6 periods"):
        stochastic_kernel(panel, "y", step=6)
    with pytest.raises(InputError, match="relative must be 'mean' or 'neighbours'"):
        kernel_densities(panel, "y", relative="median")
    flat = panel.assign(y=np.where(panel["code"] < 32, 1.0, 2.0))
    with pytest.raises(InputError, match="k=5 classes need at least 5 distinct values"):
        markov_chain(flat, "y", k=5)
    island = libpysal.weights.W({0: [1], 1: [0], 2: []}, silence_warnings=True)
    small = pd.DataFrame({"code": [0, 1, 2] * 2, "year": [1] * 3 + [2] * 3,
                          "y": [1.0, 2.0, 3.0, 2.0, 3.0, 4.0]})
    with pytest.raises(InputError, match=r"no neighbours in w: \[2\]"):
        relative_levels(small, "y", w=island, relative="neighbours")
