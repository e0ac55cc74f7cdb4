"""Issue 22: the corrected search of the exact sparse LU path (models/_estimation/search.py).

The reference is the maximiser of the exact concentrated likelihood, found as the root of its
derivative written with the dense eigenvalues of W (no search tolerance: ``brentq`` to 1e-15),
at sizes where the eigenvalues are cheap; the LU path is forced with ``logdet="lu"``. No
timings: the number of factorisations is counted (what the speed comes from).
"""
from __future__ import annotations


import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.optimize as so
import scipy.sparse as sp
from scipy.spatial import cKDTree

import spatialflow as sf
from spatialflow.exceptions import BoundaryWarning
from spatialflow.models._estimation import search as search_module
from spatialflow.models._estimation.search import SEARCH_TOL
from spatialflow.models._linalg import logdet as logdet_module
from spatialflow.models._linalg import operator_cache
from spatialflow.models._linalg.traces import eigenvalues

#: The corrected search stops when successive iterates agree to SEARCH_TOL (relative to
#: max(|rho|, 1) here); its estimate is within that of the exact maximiser.
RHO_ATOL = 2 * SEARCH_TOL
#: Brent's search on the same exact function resolves rho to about sqrt(eps)|rho|.
BRENT_ATOL = 1e-7


def _queen(side: int) -> libpysal.weights.W:
    w = libpysal.weights.lat2W(side, side, rook=False)
    w.transform = "r"
    return w


def _sar_data(W: sp.spmatrix, rho: float, seed: int, lagged_x: bool = False) -> pd.DataFrame:
    n = W.shape[0]
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    v = 1.0 + 0.8 * x + (0.4 * (W @ x) if lagged_x else 0.0) + rng.normal(size=n)
    y = sp.linalg.splu(sp.csc_matrix(sp.identity(n) - rho * W)).solve(v)
    return pd.DataFrame({"y": y, "x": x})


def _exact_lag_maximiser(W: sp.spmatrix, y: np.ndarray, X: np.ndarray) -> float:
    r"""Root of :math:`d\ell/d\rho = -n(\rho s_{LL} - s_{0L})/\mathrm{sse}(\rho) - \sum_i
    \omega_i/(1-\rho\omega_i)` with the dense eigenvalues :math:`\omega` of W."""
    n = len(y)
    Wy = W @ y
    coef = np.linalg.lstsq(X, np.column_stack([y, Wy]), rcond=None)[0]
    e0, eL = y - X @ coef[:, 0], Wy - X @ coef[:, 1]
    s00, s0L, sLL = e0 @ e0, e0 @ eL, eL @ eL
    omega = np.real(eigenvalues(sp.csr_matrix(W)))

    def score(r):
        return -n * (r * sLL - s0L) / (s00 - 2 * r * s0L + r * r * sLL) - np.sum(
            omega / (1 - r * omega))
    lower, upper = 1 / omega.min(), 1 / omega.max()      # the admissible interval
    width = upper - lower
    return so.brentq(score, lower + 1e-7 * width, upper - 1e-7 * width, xtol=1e-15)


@pytest.fixture(autouse=True)
def _fresh_cache():
    operator_cache.clear()
    yield
    operator_cache.clear()


@pytest.mark.parametrize("rho, seed", [(0.6, 1), (-0.3, 2), (0.9, 3), (0.99, 4), (-0.9, 5)])
def test_the_lu_estimate_is_the_exact_likelihoods_maximiser(rho, seed):
    w = _queen(30)                                      # n = 900
    W = w.sparse.tocsr()
    df = _sar_data(W, rho, seed)
    df.index = w.id_order
    res = sf.SAR.from_formula("y ~ x", data=df, w=w).fit(logdet="lu")
    assert res.extra.optimizer["message"].startswith("corrected Newton search")
    X = np.column_stack([np.ones(len(df)), df["x"]])
    truth = _exact_lag_maximiser(W, df["y"].to_numpy(), X)
    assert abs(res.params["rho"] - truth) <= RHO_ATOL * max(1.0, abs(truth))
    # The eigenvalue path (Brent's search, then Newton steps on the slope of its cheap
    # objective: search.polish_minimum) finds the same maximiser.
    eigen = sf.SAR.from_formula("y ~ x", data=df, w=w).fit(logdet="eigen")
    assert abs(eigen.params["rho"] - truth) <= RHO_ATOL * max(1.0, abs(truth))


@pytest.mark.parametrize("rho, corrected", [(0.1, True), (-0.1, True), (0.12, True),
                                             (-0.2, False)])
def test_a_binary_w_is_searched_the_same_way(rho, corrected):
    # Not row-standardised: the surrogate's interval comes from ARPACK's largest eigenvalue
    # and Gershgorin's lower end -1/8 (narrower than the exact (-0.25, 0.126)); inside it the
    # estimate is the exact maximiser, beyond it Brent's search finds it.
    from _lattice import queen
    W = queen(30)
    n = W.shape[0]
    g = libpysal.graph.Graph.from_sparse(W, ids=pd.RangeIndex(n))
    df = _sar_data(W, rho, 3)
    res = sf.SAR.from_formula("y ~ x", data=df, w=g).fit(logdet="lu")
    assert res.extra.optimizer["message"].startswith("corrected Newton search") == corrected
    truth = _exact_lag_maximiser(W, df["y"].to_numpy(), np.column_stack([np.ones(n), df["x"]]))
    assert abs(res.params["rho"] - truth) <= (RHO_ATOL if corrected else BRENT_ATOL)


def test_eight_factorisations_give_the_estimate_its_loglik_and_its_observed_information(
        monkeypatch):
    # Two rounds (three exact log-determinants, then five); the log-likelihood at the
    # estimate and tr(G^2)'s second difference reuse them (Brent's search took 12 + 2
    # more), and the fill-reducing ordering is the one extra factorisation.
    calls = []
    real = logdet_module.superlu
    monkeypatch.setattr(logdet_module, "superlu",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    w = _queen(30)
    df = _sar_data(w.sparse.tocsr(), 0.5, 4, lagged_x=True)
    df.index = w.id_order
    res = sf.SDM.from_formula("y ~ x", data=df, w=w).fit(logdet="lu")
    assert res.extra.optimizer["nfev"] == 8
    assert len(calls) == 9
    # The observed information from those points is the one Brent's path computes.
    monkeypatch.setattr(search_module, "corrected_search", lambda *a, **k: None)
    from spatialflow.models._estimation import ml
    monkeypatch.setattr(ml, "corrected_search", lambda *a, **k: None)
    operator_cache.clear()
    brent = sf.SDM.from_formula("y ~ x", data=df, w=w).fit(logdet="lu")
    assert brent.extra.optimizer["nfev"] > 8
    np.testing.assert_allclose(res.params, brent.params, rtol=0, atol=BRENT_ATOL)
    np.testing.assert_allclose(res.bse, brent.bse, rtol=1e-6)
    assert res.llf == pytest.approx(brent.llf, rel=1e-12, abs=1e-9)


def test_the_error_model_and_a_lee_yu_panel_take_the_same_search():
    w = _queen(30)
    W = w.sparse.tocsr()
    n = W.shape[0]
    rng = np.random.default_rng(5)
    x = rng.normal(size=n)
    u = sp.linalg.splu(sp.csc_matrix(sp.identity(n) - 0.5 * W)).solve(rng.normal(size=n))
    df = pd.DataFrame({"y": 1 + 0.8 * x + u, "x": x}, index=w.id_order)
    lu = sf.SEM.from_formula("y ~ x", data=df, w=w).fit(logdet="lu")
    eigen = sf.SEM.from_formula("y ~ x", data=df, w=w).fit(logdet="eigen")
    assert lu.extra.optimizer["message"].startswith("corrected Newton search")
    np.testing.assert_allclose(lu.params, eigen.params, rtol=0, atol=BRENT_ATOL)
    np.testing.assert_allclose(lu.bse, eigen.bse, rtol=1e-6)

    frames = []
    mu = rng.normal(size=n)
    for t in range(3):
        xt = rng.normal(size=n) + 0.3 * mu
        yt = sp.linalg.splu(sp.csc_matrix(sp.identity(n) - 0.4 * W)).solve(
            0.8 * xt + mu + rng.normal() + rng.normal(size=n))
        frames.append(pd.DataFrame({"id": w.id_order, "t": t, "y": yt, "x": xt}))
    panel = pd.concat(frames, ignore_index=True)
    model = sf.SAR.from_formula("y ~ x", data=panel, w=w, id="id", time="t",
                                effects="twoway")
    p_lu, p_eigen = model.fit(logdet="lu"), model.fit(logdet="eigen")
    assert p_lu.extra.optimizer["message"].startswith("corrected Newton search")
    np.testing.assert_allclose(p_lu.params, p_eigen.params, rtol=0, atol=BRENT_ATOL)
    np.testing.assert_allclose(p_lu.bse, p_eigen.bse, rtol=1e-6)


def test_a_w_without_a_cheap_real_spectrum_is_searched_by_brent():
    # k-nearest neighbours: an asymmetric pattern, so no Chebyshev surrogate.
    n = 900
    pts = np.random.default_rng(6).uniform(size=(n, 2))
    _, idx = cKDTree(pts).query(pts, 7)
    W = sp.csr_matrix((np.full(n * 6, 1 / 6), (np.repeat(np.arange(n), 6),
                                                idx[:, 1:].ravel())), shape=(n, n))
    g = libpysal.graph.Graph.from_sparse(W, ids=pd.RangeIndex(n))
    df = _sar_data(W, 0.5, 7)
    lu = sf.SAR.from_formula("y ~ x", data=df, w=g).fit(logdet="lu")
    eigen = sf.SAR.from_formula("y ~ x", data=df, w=g).fit(logdet="eigen")
    assert not lu.extra.optimizer["message"].startswith("corrected")
    np.testing.assert_allclose(lu.params, eigen.params, rtol=0, atol=BRENT_ATOL)


def test_near_the_singular_end_the_step_shrinks_until_the_estimate_is_exact():
    # rho = 0.995: the correction's derivatives grow like 1/(1 - rho)^k, the central
    # difference's error with them; the search measures it (Richardson) and shrinks its step.
    w = _queen(20)
    W = w.sparse.tocsr()
    n = W.shape[0]
    rng = np.random.default_rng(8)
    x = rng.normal(size=n)
    y = sp.linalg.splu(sp.csc_matrix(sp.identity(n) - 0.999999 * W)).solve(
        1e-3 * rng.normal(size=n))
    df = pd.DataFrame({"y": y, "x": x}, index=w.id_order)
    res = sf.SAR.from_formula("y ~ x", data=df, w=w).fit(logdet="lu")
    truth = _exact_lag_maximiser(W, y, np.column_stack([np.ones(n), x]))
    assert truth > 0.99
    assert res.extra.optimizer["message"].startswith("corrected Newton search")
    assert abs(res.params["rho"] - truth) <= RHO_ATOL


def test_an_estimate_at_the_bound_falls_back_to_brent_and_warns():
    # y is (almost) the constant vector, an eigenvector of W with eigenvalue 1: without an
    # intercept the likelihood rises all the way to rho's upper bound 1 (as in
    # test_models_input.py), where the corrected search's points r +- h cannot go.
    w = _queen(20)
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"y": 5 + 1e-9 * rng.normal(size=w.n), "x": rng.normal(size=w.n)},
                      index=w.id_order)
    with pytest.warns(BoundaryWarning, match="rho = 1 is at the edge"):
        res = sf.SAR.from_formula("y ~ x - 1", data=df, w=w).fit(logdet="lu")
    assert res.at_bound
    assert not res.extra.optimizer["message"].startswith("corrected")


def test_a_scaled_w_whose_interval_is_narrower_than_the_difference_step_is_searched_by_brent():
    # W times 1e4: the admissible interval is 1e-4 wide, narrower than the points r +- h.
    w = _queen(20)
    W = w.sparse.tocsr() * 1e4
    n = W.shape[0]
    g = libpysal.graph.Graph.from_sparse(W, ids=pd.RangeIndex(n))
    df = _sar_data(W, 0.4e-4, 9)
    res = sf.SAR.from_formula("y ~ x", data=df, w=g).fit(logdet="lu")
    eigen = sf.SAR.from_formula("y ~ x", data=df, w=g).fit(logdet="eigen")
    assert not res.extra.optimizer["message"].startswith("corrected")
    assert res.params["rho"] == pytest.approx(eigen.params["rho"], rel=1e-6)
