"""Identities of the matrix-form flow model against a brute-force dense ``n^2 x n^2`` one.

Tolerances: log-determinants, log-likelihoods and solves are the same algebra evaluated two
ways, so they agree to ``RTOL_ALGEBRA = 1e-10`` (rounding only). The ML estimate is a
stationary point of the *dense* full log-likelihood: its dense gradient, scaled by the
standard errors, is below ``1e-6``, and an independent optimiser on the dense concentrated
likelihood finds the same rho to ``RTOL_ML = 1e-8``. Analytic standard errors equal those
of a finite-difference Hessian of the dense log-likelihood to ``RTOL_SE = 1e-5`` (the
difference scheme's error).
"""
import numpy as np
import pytest
import scipy.optimize as so
import scipy.sparse as sp
from libpysal.weights import W as PysalW
from libpysal.weights import lat2W

from spatialflow.flows import FlowModel
from spatialflow.flows.design import SampleSums, gram
from spatialflow.flows.logdet import spectrum
from spatialflow.flows.simulate import simulate_flows

RTOL_ALGEBRA = 1e-10
RTOL_ML = 1e-8
RTOL_SE = 1e-5


def _lattice(rows=3, cols=3):
    w = lat2W(rows, cols)
    w.transform = "r"
    return w


def _directed(n=7):
    """A row-stochastic W with complex eigenvalues (a weighted directed ring)."""
    neighbors = {i: [(i + 1) % n, (i + 3) % n] for i in range(n)}
    weights = {i: [0.7, 0.3] for i in range(n)}
    return PysalW(neighbors, weights)


def _dense_filter(W, rho):
    n = W.shape[0]
    I = np.eye(n)
    return (np.eye(n * n) - rho[0] * np.kron(I, W) - rho[1] * np.kron(W, I)
            - rho[2] * np.kron(W, W))


@pytest.mark.parametrize("make_w", [_lattice, _directed])
@pytest.mark.parametrize("rho", [(0.3, 0.2, -0.1), (0.5, 0.3, 0.15), (-0.4, 0.2, 0.1)])
def test_logdet_and_solve_equal_dense(make_w, rho):
    w = make_w()
    W = sp.csr_matrix(w.sparse)
    spec = spectrum(W, vectors=True)
    A = _dense_filter(W.toarray(), rho)
    sign, dense = np.linalg.slogdet(A)
    assert sign > 0 and spec.admissible(rho)
    np.testing.assert_allclose(spec.logdet(rho), dense, rtol=RTOL_ALGEBRA)
    M = np.random.default_rng(0).normal(size=(W.shape[0],) * 2)
    np.testing.assert_allclose(spec.solve(M, rho).ravel(), np.linalg.solve(A, M.ravel()),
                               rtol=RTOL_ALGEBRA, atol=RTOL_ALGEBRA)


def test_complex_spectrum_is_detected():
    assert not spectrum(sp.csr_matrix(_directed().sparse)).is_real
    assert spectrum(sp.csr_matrix(_lattice().sparse)).is_real


def test_admissible_region_is_where_the_filter_is_invertible_from_zero():
    """Real spectrum: the region is {all four corner factors > 0}; just outside, the dense
    determinant along the ray from 0 has changed sign."""
    W = _lattice().sparse.toarray()
    spec = spectrum(sp.csr_matrix(W))
    direction = np.array([0.5, 0.4, 0.1])
    t_edge = so.brentq(lambda t: spec.constraints(t * direction).min(), 0.1, 5)
    assert spec.admissible(0.999 * t_edge * direction)
    assert not spec.admissible(1.001 * t_edge * direction)
    assert np.linalg.slogdet(_dense_filter(W, 0.999 * t_edge * direction))[0] > 0
    assert np.linalg.slogdet(_dense_filter(W, 1.001 * t_edge * direction))[0] < 0


def test_moments_equal_dense_products():
    sim = simulate_flows(_lattice(), seed=2)
    m = FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, _lattice())
    des = m.design(instruments=True)
    n = m.data.n
    terms = des.Z + des.H + des.flows
    dense = np.column_stack([t.dense(n).ravel() for t in terms])
    np.testing.assert_allclose(gram(terms, terms, SampleSums(None, n)), dense.T @ dense,
                               rtol=RTOL_ALGEBRA, atol=1e-9)


def test_masked_moments_equal_dense_products():
    sim = simulate_flows(_lattice(), seed=3)
    pairs = sim.pairs.iloc[np.random.default_rng(1).permutation(81)[:50]]
    m = FlowModel.from_formula(sim.formula, sim.nodes, pairs, _lattice(), missing="subset")
    des = m.design(instruments=True)
    n = m.data.n
    keep = m.data.mask.ravel()
    terms = des.Z + des.H + des.flows
    dense = np.column_stack([t.dense(n).ravel() for t in terms])[keep]
    np.testing.assert_allclose(gram(terms, terms, SampleSums(m.data.mask, n)),
                               dense.T @ dense, rtol=RTOL_ALGEBRA, atol=1e-9)


def _dense_parts(model):
    des = model.design()
    n = model.data.n
    return (np.column_stack([t.dense(n).ravel() for t in des.Z]), des.flows[0].value.ravel(),
            model.data.W.toarray())


def _dense_loglik(model, theta, delta, sigma2, parts=None):
    Z, y, W = parts if parts is not None else _dense_parts(model)
    A = _dense_filter(W, model.variant.rho(theta))
    e = A @ y - Z @ delta
    return (-y.size / 2 * np.log(2 * np.pi * sigma2) + np.linalg.slogdet(A)[1]
            - e @ e / (2 * sigma2))


@pytest.mark.parametrize("variant", ["model_9", "model_8", "model_5", "model_2"])
def test_ml_is_the_dense_maximum(variant):
    w = _lattice()
    sim = simulate_flows(w, seed=5)
    model = FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w, model=variant)
    res = model.fit("ml")
    k = model.variant.k
    n_rho = len(model.variant.names)
    theta, delta = res.params.to_numpy()[:k], res.params.to_numpy()[n_rho:]
    x0 = np.concatenate([theta, delta, [res.sigma2]])

    parts = _dense_parts(model)

    def f(x):
        return _dense_loglik(model, x[:k], x[k:-1], x[-1], parts)

    np.testing.assert_allclose(res.llf, f(x0), rtol=RTOL_ALGEBRA)
    # finite-difference Hessian and gradient of the dense full log-likelihood
    h = 1e-4 * np.maximum(1.0, np.abs(x0))
    d = x0.size
    H = np.empty((d, d))
    grad = np.empty(d)
    for i in range(d):
        ei = np.zeros(d)
        ei[i] = h[i]
        grad[i] = (f(x0 + ei) - f(x0 - ei)) / (2 * h[i])
        for j in range(i, d):
            ej = np.zeros(d)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (f(x0 + ei + ej) - f(x0 + ei - ej) - f(x0 - ei + ej)
                                 + f(x0 - ei - ej)) / (4 * h[i] * h[j])
    se_dense = np.sqrt(np.diag(np.linalg.inv(-H)))[:-1]
    se = res.bse.to_numpy()
    if variant == "model_8":
        se = np.delete(se, 2)  # rho_w is derived (delta method)
    assert np.max(np.abs(grad[:-1]) * se_dense) < 1e-6
    np.testing.assert_allclose(se, se_dense, rtol=RTOL_SE)


def test_ml_rho_equals_an_independent_optimiser_on_the_dense_likelihood():
    w = _lattice()
    sim = simulate_flows(w, seed=11)
    model = FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w)
    res = model.fit("ml")
    des = model.design()
    n = model.data.n
    Z = np.column_stack([t.dense(n).ravel() for t in des.Z])
    y = des.flows[0].value.ravel()
    Wd = model.data.W.toarray()
    P = Z @ np.linalg.pinv(Z)

    def neg(rho):
        A = _dense_filter(Wd, rho)
        e = A @ y
        e = e - P @ e
        return y.size / 2 * np.log(e @ e) - np.linalg.slogdet(A)[1]

    opt = so.minimize(neg, np.zeros(3), method="Nelder-Mead",
                      options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000, "maxfev": 40000})
    np.testing.assert_allclose(res.params.to_numpy()[:3], opt.x, rtol=RTOL_ML, atol=1e-8)


def test_ols_is_ml_of_model_1_and_rho_zero_reproduces_it():
    w = _lattice()
    sim = simulate_flows(w, seed=1)
    m1 = FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w, model="model_1")
    ols = m1.fit("ml")
    assert ols.method == "ols"
    m9 = FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w)
    np.testing.assert_allclose(ols.llf, _dense_loglik(m9, np.zeros(3), ols.params.to_numpy(),
                                                      ols.sigma2), rtol=RTOL_ALGEBRA)


@pytest.mark.parametrize("method", ["ml", "s2sls"])
def test_relabelling_nodes_leaves_estimates_unchanged(method):
    w = _lattice()
    sim = simulate_flows(w, seed=4)
    base = FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w).fit(method)
    perm = np.random.default_rng(0).permutation(len(sim.nodes))
    nodes = sim.nodes.iloc[perm]
    pairs = sim.pairs.sample(frac=1.0, random_state=3)
    moved = FlowModel.from_formula(sim.formula, nodes, pairs, w).fit(method)
    np.testing.assert_allclose(moved.params, base.params, rtol=1e-8)
    np.testing.assert_allclose(moved.bse, base.bse, rtol=1e-8)
