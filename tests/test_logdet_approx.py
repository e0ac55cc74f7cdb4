"""Approximate log-determinants (Chebyshev, Barry-Pace) against the exact ones.

References: the exact log-determinant and traces from the dense eigenvalues
(:class:`EigenLogDet`) and from a sparse LU (:class:`SparseLULogDet`) on the same W; identities
(:math:`\\mathrm{tr}\\,G = -d\\ln|A|/d\\rho`, :math:`\\mathrm{tr}(I-\\rho W)^{-1} = n + \\rho\\,
\\mathrm{tr}\\,G`). Every approximate value must lie within its *stated* error: the truncation
bound plus ``Z_MC`` Monte Carlo standard errors (the probes are seeded, so the check is
deterministic; ``Z_MC = 4`` would fail by chance with probability 6e-5 per value for a fresh seed).
"""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import spatialflow as sf
from spatialflow.exceptions import (ApproximationWarning, EigenvalueBoundsWarning,
                                    InputError, InsufficientMemoryError)
from spatialflow.models._linalg.logdet import EigenLogDet, SparseLULogDet, make_logdet
from spatialflow.models._linalg.logdet_approx import TraceLogDet, symmetrisable
from spatialflow.models._linalg.memory import available_memory, estimate_logdet_bytes

from _lattice import queen as queen_pattern, row_std

Z_MC = 4.0
#: rho from the approximate likelihood vs the exact one (the issue's target).
RHO_ATOL = 1e-3
RHOS = (-0.6, -0.2, 0.3, 0.6, 0.85)


def queen(rows, cols=None, *, standardise=True):
    A = queen_pattern(rows, cols)
    return row_std(A) if standardise else A


def torus(rows, cols):
    """Row-standardised queen contiguity on a torus (every unit has 8 neighbours) and its
    eigenvalues in closed form: ((1 + 2cos(2 pi i/rows))(1 + 2cos(2 pi j/cols)) - 1) / 8.

    The exact reference needs no dense n x n computation (rows, cols >= 3)."""
    def ring(m):
        return sp.diags([1.0, 1.0, 1.0, 1.0, 1.0], [-(m - 1), -1, 0, 1, m - 1], shape=(m, m))
    A = sp.kron(ring(rows), ring(cols)).tocsr()
    A.setdiag(0)
    A.eliminate_zeros()
    W = (A / 8.0).tocsr()
    a = 1 + 2 * np.cos(2 * np.pi * np.arange(rows) / rows)
    b = 1 + 2 * np.cos(2 * np.pi * np.arange(cols) / cols)
    return W, (np.outer(a, b).ravel() - 1.0) / 8.0


class Exact:
    """ln|I - rho W|, tr(G), tr((I - rho W)^-1) from known eigenvalues."""

    def __init__(self, lam):
        self.lam = np.asarray(lam, dtype=float)

    def __call__(self, rho):
        return float(np.sum(np.log1p(-rho * self.lam)))

    def tr_G(self, rho):
        return float(np.sum(self.lam / (1 - rho * self.lam)))

    def tr_inverse(self, rho):
        return float(np.sum(1 / (1 - rho * self.lam)))


@pytest.fixture(scope="module")
def lattice():
    W, lam = torus(50, 52)                  # n = 2,600
    return W, Exact(lam)


@pytest.mark.parametrize("method", ["chebyshev", "taylor"])
def test_logdet_within_stated_error(lattice, method):
    W, exact = lattice
    ap = TraceLogDet(W, method=method, seed=3)
    for rho in RHOS:
        err = abs(ap(rho) - exact(rho))
        assert err <= ap.truncation_bound(rho) + Z_MC * ap.logdet_se(rho), (rho, err)
        err_g = abs(ap.tr_G(rho) - exact.tr_G(rho))
        assert err_g <= Z_MC * ap.tr_G_se(rho) + 1e-8 * W.shape[0], (rho, err_g)
        inv = exact.tr_inverse(rho)
        err_i = abs(ap.tr_inverse(rho)[0] - inv)
        assert err_i <= ap.tr_inverse_bound(rho) + Z_MC * ap.tr_inverse_se(rho), (rho, err_i)


def test_errors_are_small_relative_to_n(lattice):
    # The stated errors themselves must be useful: below 1e-5 per unit at moderate rho.
    W, _ = lattice
    ap = TraceLogDet(W, method="chebyshev")
    n = W.shape[0]
    assert ap.logdet_se(0.6) / n < 1e-5
    assert ap.truncation_bound(0.6) / n < ap.tol      # the order meets tol up to 0.8


def test_identities(lattice):
    W, _ = lattice
    ap = TraceLogDet(W, method="chebyshev")
    n = W.shape[0]
    assert ap(0.0) == pytest.approx(0.0, abs=1e-12)
    # tr(G) = -d/drho ln|A| and tr(G^2) = -d^2/drho^2 ln|A| (the analytic derivatives
    # against central differences of the same approximant)
    for rho in (-0.4, 0.5):
        h = 1e-5
        fd1 = -(ap(rho + h) - ap(rho - h)) / (2 * h)
        assert ap.tr_G(rho) == pytest.approx(fd1, rel=1e-6)
        h = 1e-3
        fd2 = -(ap(rho + h) - 2 * ap(rho) + ap(rho - h)) / h**2
        assert ap.tr_GG(rho) == pytest.approx(fd2, rel=1e-4)
        # (I - rho W)^-1 = I + rho G
        assert ap.tr_inverse(rho)[0] == pytest.approx(n + rho * ap.tr_G(rho), rel=1e-10)
    # exact low-order traces: tr T_0..T_4 of the row-standardised W
    lam = lattice[1].lam
    cheb = [np.sum(np.cos(j * np.arccos(np.clip(lam, -1, 1)))) for j in range(5)]
    np.testing.assert_allclose(ap.tau[:5], cheb, rtol=1e-9, atol=1e-8)


def test_unstandardised_symmetric_w_uses_affine_map():
    # A binary symmetric W: the enclosure is [-||W||_inf, lambda_max] (ARPACK upper end).
    # Binary queen on a 40 x 40 grid: eigenvalues (1 + 2cos(pi i/41))(1 + 2cos(pi j/41)) - 1.
    A = queen(40, 40, standardise=False)
    a = 1 + 2 * np.cos(np.pi * np.arange(1, 41) / 41)
    exact = Exact(np.outer(a, a).ravel() - 1.0)
    ap = TraceLogDet(A, method="chebyshev")
    assert ap.enclosure.upper == pytest.approx(exact.lam.max(), rel=1e-8)
    for rho in (-0.08, 0.05, 0.1):
        err = abs(ap(rho) - exact(rho))
        assert err <= ap.truncation_bound(rho) + Z_MC * ap.logdet_se(rho), rho


@pytest.mark.slow
def test_sdm_rho_matches_exact_path():
    W, lam = torus(70, 72)                  # n = 5,040
    n = W.shape[0]
    rng = np.random.default_rng(12)
    X = rng.normal(size=(n, 2))
    y = spla.spsolve((sp.identity(n) - 0.55 * W).tocsc(),
                     1 + X @ [0.5, -0.3] + (W @ X) @ [0.2, 0.1] + rng.normal(size=n))
    ids = pd.Index([f"c{i}" for i in range(n)])
    import libpysal
    g = libpysal.graph.Graph.from_sparse(W, ids=ids)
    df = pd.DataFrame({"y": y, "x1": X[:, 0], "x2": X[:, 1]}, index=ids)
    model = sf.SDM.from_formula("y ~ x1 + x2", data=df, w=g)
    # The expected information on request (the exact path's tr(G'G) warns: n solves).
    with pytest.warns(sf.exceptions.ExpensiveInformationWarning):
        exact = model.fit(logdet="lu", information="expected")
    approx = model.fit(logdet="approx", information="expected")
    assert approx.extra["logdet"] == "chebyshev"
    assert abs(approx.params["rho"] - exact.params["rho"]) < RHO_ATOL
    # far tighter in fact: the stated Monte Carlo error of tr(G) over the curvature
    assert abs(approx.params["rho"] - exact.params["rho"]) < 1e-4
    # the expected information on the approximate path: its tr(G'G) estimated (stated Monte
    # Carlo SE), so the SEs follow the exact path's to its accuracy
    assert approx.information == "expected" == exact.information
    np.testing.assert_allclose(approx.bse, exact.bse, rtol=RTOL_EXPECTED_APPROX)
    observed = model.fit(logdet="approx", information="observed")
    assert observed.information == "observed"
    np.testing.assert_allclose(observed.bse, model.fit(logdet="lu", information="observed").bse,
                               rtol=1e-3)
    info = approx.extra["approximation"]
    assert info["tr_GtG_se"] > 0 and info["gtg_probes"] >= info["n_probes"]
    assert info["method"] == "chebyshev" and info["n_probes"] == 30
    assert info["logdet_se"] > 0 and info["logdet_bound"] < 1e-6
    assert exact.approximation is None and "approximation" not in exact.extra
    # the strategy is reused by the effects (same traces, error stated in attrs); direct
    # effects checked against the closed-form eigenvalues at the same parameters
    eff = approx.effects(n_draws=200, seed=1)
    assert eff.attrs["trace_method"] == "chebyshev"
    p, rho = approx.params, approx.params["rho"]
    a_d = np.mean(1 / (1 - rho * lam))
    b_d = np.mean(lam / (1 - rho * lam))
    mc = eff.attrs["approximation"]["direct_mc_se"]
    for x in ("x1", "x2"):
        direct = p[x] * a_d + p[f"W_{x}"] * b_d
        assert abs(eff.loc[x, "direct"] - direct) <= Z_MC * mc[x] + 1e-12
        total = (p[x] + p[f"W_{x}"]) / (1 - rho)
        assert eff.loc[x, "total"] == pytest.approx(total, rel=1e-10)
        assert mc[x] < 1e-4


def test_strategy_object_is_reused_across_fits():
    W = queen(45, 50)
    ld = make_logdet(W, "chebyshev", n_probes=12, seed=5)
    n = W.shape[0]
    rng = np.random.default_rng(3)
    ids = pd.RangeIndex(n)
    import libpysal
    g = libpysal.graph.Graph.from_sparse(W, ids=ids)
    fits = []
    for rep in range(2):
        X = rng.normal(size=(n, 1))
        y = spla.spsolve((sp.identity(n) - 0.4 * W).tocsc(), X[:, 0] + rng.normal(size=n))
        df = pd.DataFrame({"y": y, "x": X[:, 0]}, index=ids)
        fits.append(sf.SAR.from_formula("y ~ x", data=df, w=g).fit(logdet=ld))
    assert all(f.extra["approximation"]["n_probes"] == 12 for f in fits)
    assert fits[0].extra["logdet_strategy"] is fits[1].extra["logdet_strategy"] is ld


def test_order_is_raised_near_the_upper_bound():
    W = torus(40, 40)[0]
    ld = TraceLogDet(W, method="chebyshev", order=10, tol=1e-7)
    assert ld.truncation_bound(0.97) / W.shape[0] > 1e-7
    assert ld.refine_at(0.97) is True
    assert ld.order > 10
    assert ld.truncation_bound(0.97) / W.shape[0] <= 1e-7
    assert ld.refine_at(0.97) is False


def test_auto_selection_by_n():
    assert isinstance(make_logdet(queen(12), "auto"), EigenLogDet)
    assert isinstance(make_logdet(torus(40, 41)[0], "auto"), SparseLULogDet)    # n = 1,640
    # exact by default while a fit with SEs is cheap (issue 22: the 25,357-house size)
    assert isinstance(make_logdet(queen(150), "auto"), SparseLULogDet)          # n = 22,500
    big = make_logdet(queen(175), "auto")           # n = 30,625 > APPROX_MIN_N
    assert isinstance(big, TraceLogDet) and big.method == "chebyshev"


def test_non_symmetric_row_standardised_w_uses_taylor():
    # k-nearest neighbours: an asymmetric pattern, complex spectrum possible; rows sum to 1
    rng = np.random.default_rng(0)
    pts = rng.uniform(size=(2500, 2))
    from scipy.spatial import cKDTree
    _, idx = cKDTree(pts).query(pts, k=5)
    rows = np.repeat(np.arange(2500), 4)
    W = sp.csr_matrix((np.full(rows.size, 0.25), (rows, idx[:, 1:].ravel())), shape=(2500, 2500))
    assert not symmetrisable(W)
    ld = make_logdet(W, "approx")
    assert ld.method == "taylor"
    exact = SparseLULogDet(W)
    for rho in (-0.5, 0.4, 0.7):
        assert abs(ld(rho) - exact(rho)) <= ld.truncation_bound(rho) + Z_MC * ld.logdet_se(rho)


def test_approximation_at_small_n_warns_and_is_exact():
    with pytest.warns(ApproximationWarning, match="exact eigenvalue method is cheap"):
        ld = make_logdet(queen(12), "chebyshev")
    assert isinstance(ld, EigenLogDet)


def test_no_cheap_bounds_falls_back_with_warning():
    # neither row-standardised nor similar to a symmetric matrix: no cheap enclosure
    rng = np.random.default_rng(1)
    W = sp.random(2000, 2000, density=0.002, random_state=rng, format="csr")
    W = W + sp.diags(np.zeros(2000))
    with pytest.warns(EigenvalueBoundsWarning, match="no cheap enclosure"):
        ld = make_logdet(W, "approx")
    assert isinstance(ld, SparseLULogDet)


def test_memory_refusal_names_figures_and_option(monkeypatch):
    monkeypatch.setenv("SPATIALFLOW_MEMORY_LIMIT", str(50 * 2**20))     # 50 MiB
    with pytest.raises(InsufficientMemoryError,
                       match=r"dense eigenvalue.*needs about 939.6 MiB.*only 50.0 MiB.*logdet='lu'"):
        make_logdet(queen(80), "eigen")                       # n = 6,400
    with pytest.raises(InsufficientMemoryError, match="logdet='approx'"):
        make_logdet(queen(400), "lu")                         # n = 160,000: ~0.5 GiB
    assert available_memory() == 50 * 2**20


def test_memory_estimates_are_ordered():
    n, nnz = 10**6, 8 * 10**6
    approx = estimate_logdet_bytes("chebyshev", n, nnz)
    lu = estimate_logdet_bytes("lu", n, nnz)
    dense = estimate_logdet_bytes("eigen", n, nnz)
    assert approx < 4 * 2**30 < dense          # the target: <= 4 GB at 10^6
    assert approx < lu


def test_bad_options_are_named():
    with pytest.raises(InputError, match="unknown logdet option"):
        make_logdet(queen(60), "chebyshev", probes=3)
    with pytest.raises(InputError, match="n_probes must be at least 2"):
        TraceLogDet(queen(60), n_probes=1)
    with pytest.raises(InputError, match="logdet method must be one of"):
        make_logdet(queen(60), "slq")


def test_unit_effects_refuse_when_memory_would_be_exceeded(monkeypatch):
    W, _ = torus(40, 40)
    n = W.shape[0]
    rng = np.random.default_rng(0)
    import libpysal
    ids = pd.RangeIndex(n)
    x = rng.normal(size=n)
    y = spla.spsolve((sp.identity(n) - 0.3 * W).tocsc(), x + rng.normal(size=n))
    res = sf.SAR.from_formula("y ~ x", data=pd.DataFrame({"y": y, "x": x}, index=ids),
                              w=libpysal.graph.Graph.from_sparse(W, ids=ids)).fit()
    monkeypatch.setenv("SPATIALFLOW_MEMORY_LIMIT", str(20 * 2**20))
    with pytest.raises(InsufficientMemoryError,
                       match=r"per-unit effects with 1000 draws of 1 regressor\(s\) on n = 1600 "
                             r"units needs about 122.1 MiB.*Use fewer draws"):
        res.unit_effects(n_draws=1000)


def test_panel_fit_with_approximate_logdet_matches_exact():
    W, _ = torus(40, 45)                                  # n = 1,800, T = 3
    n, T = W.shape[0], 3
    rng = np.random.default_rng(8)
    mu = rng.normal(size=n)
    frames = []
    for t in range(T):
        x = rng.normal(size=n) + 0.3 * mu
        y = spla.spsolve((sp.identity(n) - 0.5 * W).tocsc(),
                         0.8 * x + 0.3 * (W @ x) + mu + rng.normal() + rng.normal(size=n))
        frames.append(pd.DataFrame({"id": np.arange(n), "t": t, "y": y, "x": x}))
    df = pd.concat(frames, ignore_index=True)
    import libpysal
    g = libpysal.graph.Graph.from_sparse(W, ids=pd.Index(np.arange(n)))
    model = sf.SDM.from_formula("y ~ x", data=df, w=g, id="id", time="t", effects="twoway")
    exact = model.fit(logdet="lu")
    approx = model.fit(logdet="chebyshev")
    assert approx.approximation["method"] == "chebyshev"
    assert exact.approximation is None
    assert abs(approx.params["rho"] - exact.params["rho"]) < RHO_ATOL
    np.testing.assert_allclose(approx.params, exact.params, rtol=1e-3)


def test_exact_low_order_traces_by_row_blocks(monkeypatch):
    # tr(W^3), tr(W^4) from blocks of rows of W^2 equal the dense products (asymmetric W).
    import spatialflow.models._linalg.logdet_approx as ax
    rng = np.random.default_rng(4)
    W = sp.random(300, 300, density=0.03, random_state=rng, format="csr")
    monkeypatch.setattr(ax, "_W2_BLOCK_NNZ", 50)            # many blocks
    D = W.toarray()
    ref = [300, np.trace(D), np.trace(D @ D), np.trace(D @ D @ D), np.trace(D @ D @ D @ D)]
    np.testing.assert_allclose(ax._exact_power_traces(W), ref, rtol=1e-12)


def test_refine_bounds_replaces_the_conservative_lower_end():
    # Torus queen: the smallest eigenvalue is (-3 - 1)/8 = -0.5, so rho may go down to -2,
    # below the conservative -1 of a row-standardised W.
    W, lam = torus(30, 33)
    ld = TraceLogDet(W, method="chebyshev")
    assert ld.bounds == (-1.0, 1.0)
    assert ld.refine_bounds() is True
    assert ld.lower == pytest.approx(1 / lam.min(), rel=1e-8)
    exact = Exact(lam)
    for rho in (-1.6, -1.2, 0.5):
        assert abs(ld(rho) - exact(rho)) <= ld.truncation_bound(rho) + Z_MC * ld.logdet_se(rho)


#: SEs from the estimated tr(G'G) against the exact one (its relative Monte Carlo SE is about
#: 0.1-0.3% at n = 5,000; the SE of rho moves by at most half of that).
RTOL_EXPECTED_APPROX = 3e-3


@pytest.mark.parametrize("rho", [0.3, 0.85])
def test_series_solve_matches_sparse_lu(rho):
    W, _ = torus(30, 31)
    n = W.shape[0]
    B = np.random.default_rng(4).normal(size=(n, 3))
    for method in ("chebyshev", "taylor"):
        ld = TraceLogDet(W, method=method)
        A = sp.csc_matrix(sp.identity(n) - rho * W)
        np.testing.assert_allclose(ld.solve(rho, B), spla.splu(A).solve(B), rtol=0, atol=1e-8)
        np.testing.assert_allclose(ld.solve(rho, B, trans=True),
                                   spla.splu(A).solve(B, trans="T"), rtol=0, atol=1e-8)


@pytest.mark.parametrize("rho", [0.2, 0.6, 0.9])
def test_tr_GtG_estimate_within_its_stated_error(rho):
    """Hutchinson with the W + rho W^2 control variate against the exact blocked solves."""
    W, _ = torus(40, 45)
    est = TraceLogDet(W, method="chebyshev", seed=3)
    value, se = est.tr_GtG_estimate(rho)
    exact = make_logdet(W, "lu").tr_GtG(rho)
    assert abs(value - exact) < 4 * se, (value, exact, se)
    assert se / exact < 0.02
    # the control variate is exact for the first two terms: rho -> 0 leaves no noise
    v0, se0 = est.tr_GtG_estimate(1e-9)
    np.testing.assert_allclose(v0, float(W.multiply(W).sum()), rtol=1e-6)


def test_lee_yu_panel_on_the_approximate_path_follows_the_exact_one():
    """Two-way Lee-Yu: the unit-root correction of tr(G'G) by series solves (W' too)."""
    import libpysal
    w = libpysal.weights.lat2W(40, 40)
    w.transform = "r"
    n, T = w.n, 3
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"code": np.tile(w.id_order, T), "year": np.repeat(range(T), n),
                       "x": rng.normal(size=n * T)})
    W = sp.csr_matrix(w.sparse)
    A = sp.csc_matrix(sp.identity(n) - 0.5 * W)
    df["y"] = np.concatenate([spla.splu(A).solve(df["x"].to_numpy()[t * n:(t + 1) * n]
                                                 + rng.normal(size=n)) for t in range(T)])
    model = sf.SDM.from_formula("y ~ x", data=df, w=w, id="code", time="year",
                                effects="twoway")
    with pytest.warns(sf.exceptions.ExpensiveInformationWarning):   # n = 1,600 solves
        exact = model.fit(logdet="lu", information="expected")
    approx = model.fit(logdet="chebyshev", information="expected")
    assert approx.information == exact.information == "expected"
    np.testing.assert_allclose(approx.params, exact.params, rtol=0, atol=1e-4)
    np.testing.assert_allclose(approx.bse, exact.bse, rtol=5e-3)
