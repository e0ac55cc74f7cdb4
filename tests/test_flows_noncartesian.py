"""Exact ML of non-Cartesian samples (spatialflow.flows.subset) against the dense filter
restricted to the sample: log-determinants equal to ``RTOL_ALGEBRA = 1e-10`` by both routes
(Jacobi's complement and dense), gradients equal central differences to 1e-6, the ML rho
equals an independent optimiser on the dense concentrated likelihood to ``RTOL_ML = 1e-7``
and the standard errors a finite-difference Hessian of the dense full log-likelihood to
``RTOL_SE = 1e-4`` (our log-determinant Hessian is itself a difference of gradients)."""
import numpy as np
import pytest
import scipy.optimize as so
from libpysal.weights import lat2W

from spatialflow.flows import FlowModel
from spatialflow.flows.simulate import simulate_flows

RTOL_ALGEBRA = 1e-10
RTOL_ML = 1e-7
RTOL_SE = 1e-4


def _case(kind):
    w = lat2W(3, 4)
    w.transform = "r"
    sim = simulate_flows(w, seed=2)
    if kind == "no-intra":  # q = n missing pairs: the complement route
        pairs = sim.pairs[sim.pairs["orig"] != sim.pairs["dest"]]
        return FlowModel.from_formula("y ~ O_(x) + D_(x) + P_(dist)", sim.nodes, pairs, w,
                                      intra=False)
    pairs = sim.pairs.iloc[np.random.default_rng(0).permutation(144)[:60]]  # dense route
    return FlowModel.from_formula(sim.formula, sim.nodes, pairs, w, missing="subset")


def _dense_A(model, rho):
    n = model.data.n
    W = model.data.W.toarray()
    I = np.eye(n)
    obs = model.data.mask.ravel()
    A = np.eye(n * n) - rho[0] * np.kron(I, W) - rho[1] * np.kron(W, I) - rho[2] * np.kron(W, W)
    return A[np.ix_(obs, obs)]


@pytest.mark.parametrize("kind,route", [("no-intra", "complement"), ("subset", "dense")])
def test_logdet_and_gradient_equal_dense(kind, route):
    m = _case(kind)
    spec = m.subset_spectrum
    assert spec.method == route
    for rho in [(0.3, 0.2, -0.1), (0.5, 0.2, 0.1), (-0.3, 0.4, 0.2)]:
        np.testing.assert_allclose(spec.logdet(rho), np.linalg.slogdet(_dense_A(m, rho))[1],
                                   rtol=RTOL_ALGEBRA)
        eps = 1e-6
        numeric = [(spec.logdet(np.add(rho, eps * e)) - spec.logdet(np.subtract(rho, eps * e)))
                   / (2 * eps) for e in np.eye(3)]
        np.testing.assert_allclose(spec.gradient(rho), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["no-intra", "subset"])
def test_noncartesian_ml_is_the_dense_maximum(kind):
    m = _case(kind)
    res = m.fit("ml")
    des = m.design()
    n = m.data.n
    obs = m.data.mask.ravel()
    Z = np.column_stack([t.dense(n).ravel()[obs] for t in des.Z])
    y = des.flows[0].value.ravel()[obs]
    P = Z @ np.linalg.pinv(Z)

    def neg(rho):
        sign, ld = np.linalg.slogdet(_dense_A(m, rho))
        if sign <= 0:
            return np.inf
        e = _dense_A(m, rho) @ y
        e = e - P @ e
        return y.size / 2 * np.log(e @ e) - ld

    opt = so.minimize(neg, np.zeros(3), method="Nelder-Mead",
                      options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000, "maxfev": 40000})
    np.testing.assert_allclose(res.params.to_numpy()[:3], opt.x, rtol=RTOL_ML, atol=1e-7)

    x0 = np.concatenate([res.params.to_numpy(), [res.sigma2]])

    def ll(x):
        A = _dense_A(m, x[:3])
        e = A @ y - Z @ x[3:-1]
        return (-y.size / 2 * np.log(2 * np.pi * x[-1]) + np.linalg.slogdet(A)[1]
                - e @ e / (2 * x[-1]))

    np.testing.assert_allclose(res.llf, ll(x0), rtol=RTOL_ALGEBRA)
    h = 1e-4 * np.maximum(1.0, np.abs(x0))
    d = x0.size
    H = np.empty((d, d))
    for i in range(d):
        for j in range(i, d):
            ei, ej = np.zeros(d), np.zeros(d)
            ei[i], ej[j] = h[i], h[j]
            H[i, j] = H[j, i] = (ll(x0 + ei + ej) - ll(x0 + ei - ej) - ll(x0 - ei + ej)
                                 + ll(x0 - ei - ej)) / (4 * h[i] * h[j])
    np.testing.assert_allclose(res.bse, np.sqrt(np.diag(np.linalg.inv(-H)))[:-1], rtol=RTOL_SE)


@pytest.mark.parametrize("kind", ["no-intra", "subset"])
def test_noncartesian_effects_equal_dense_solves(kind):
    m = _case(kind)
    res = m.fit("ml")
    n = m.data.n
    obs = m.data.mask.ravel()
    W = m.data.W.toarray()
    p = res.params
    Ainv = np.linalg.inv(_dense_A(m, res.rho))
    want = []
    for r in range(n):
        e = np.eye(n)[r]
        u = p["O_x"] * e + p["O_x.lag1"] * W[:, r]
        v = p["D_x"] * e + p["D_x.lag1"] * W[:, r]
        M = np.outer(u, np.ones(n)) + np.outer(np.ones(n), v) + np.diag(p.get("I_x", 0.0) * e)
        D = np.zeros(n * n)
        D[obs] = Ainv @ M.ravel()[obs]
        D = D.reshape(n, n)
        intra, row, col, tot = D[r, r], D[r].sum(), D[:, r].sum(), D.sum()
        want.append([row - intra, col - intra, intra, tot - row - col + intra, tot])
    got = res.effects("x", draws=0).by_node.to_numpy()
    np.testing.assert_allclose(got, np.array(want), rtol=RTOL_ALGEBRA, atol=1e-10)
