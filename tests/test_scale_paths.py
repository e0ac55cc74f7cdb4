"""The large-n cross-section path (issue 22 item 3): its stated errors, its cache, its
float32 probe blocks, and the fast routes from a sparse matrix or a Graph to the model's W.

References: the exact sparse-LU log-determinant and tr(G) on the same W (a queen lattice with
edges, so the spectrum is not known in closed form), libpysal's own ``Graph.from_sparse`` /
``transform`` / ``Graph.sparse``, and scipy's QR for the rank check. Every approximate value
must lie within its *stated* error: truncation bound + ``Z_MC`` Monte Carlo standard errors +
the float32 rounding bound (the probes are seeded, so the check is deterministic).
"""
import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import spatialflow as sf
from spatialflow.exceptions import CollinearityError, DuplicateIdError, InputError
from spatialflow.flows.logdet import _symmetrisable
from spatialflow.models._design.design import TSQR_MIN_ROWS, check_rank
from spatialflow.models._linalg import operator_cache
from spatialflow.models._linalg.operator import SpatialOperator as SpatialOperatorFor
from spatialflow.models._linalg.logdet import SparseLULogDet
from spatialflow.models._linalg.logdet_approx import TraceLogDet, _chebyshev_moments, symmetriser
from spatialflow.weights import from_sparse
from spatialflow.weights.align import _graph_csr, as_sparse

from _lattice import queen, row_std

Z_MC = 4.0
RHOS = (-0.5, 0.3, 0.6, 0.85)




@pytest.fixture(scope="module")
def lattice():
    W = row_std(queen(60))                  # n = 3,600, corner/edge rows of 3 and 5
    return W, SparseLULogDet(W)


def test_stated_error_bounds_the_error_against_the_exact_lu(lattice):
    W, exact = lattice
    ap = TraceLogDet(W, method="chebyshev", seed=5)
    assert ap.precision == "float32"
    for rho in RHOS:
        info = ap.approximation(rho)
        rounding = info["rounding_bound"]
        err = abs(ap(rho) - exact(rho))
        assert err <= info["logdet_bound"] + Z_MC * info["logdet_se"] + rounding["logdet"], rho
        err_g = abs(ap.tr_G(rho) - exact.tr_G(rho))
        assert err_g <= Z_MC * info["tr_G_se"] + rounding["tr_G"] + 1e-8 * W.shape[0], rho
    # the stated error is useful: below 1e-5 per unit at rho = 0.6
    assert ap.logdet_se(0.6) / W.shape[0] < 1e-5


def test_float32_probes_match_float64_within_the_stated_rounding_bound(lattice):
    W, _ = lattice
    f32 = TraceLogDet(W, method="chebyshev", seed=2, precision="float32")
    f64 = TraceLogDet(W, method="chebyshev", seed=2, precision="float64")
    assert f32.order == f64.order
    bound = f32.rounding_bounds()
    diff = np.abs(f32.probe_moments - f64.probe_moments).max(axis=0)
    assert np.all(diff <= bound), (diff, bound)
    assert diff[5:].max() > 0                 # float32 did round (the check can fail)
    for rho in RHOS:
        assert abs(f32(rho) - f64(rho)) <= f32.rounding_bound(rho)["logdet"]
        # ... and the rounding is a small part of the Monte Carlo error it adds to
        assert f32.rounding_bound(rho)["logdet"] < 0.1 * f32.logdet_se(rho)
    assert f64.rounding_bound(0.6)["logdet"] < 1e-6 * f32.rounding_bound(0.6)["logdet"]


def test_half_the_products_give_the_moments_of_the_full_recurrence():
    # z'T_2k z = 2|T_k z|^2 - z'z and z'T_2k+1 z = 2 (T_k z)'(T_k+1 z) - z'Xz for symmetric X,
    # against the plain recurrence T_j+1 = 2X T_j - T_j-1 applied to the same probes (float64)
    W = row_std(queen(12))
    d = np.diff(W.indptr).astype(float)
    S = (sp.diags(np.sqrt(d)) @ W @ sp.diags(1 / np.sqrt(d))).tocsr()
    q, p = 11, 6
    M = _chebyshev_moments(S, q, p, 7, 0, "float64")
    Z = np.random.default_rng(7).integers(0, 2, size=(144, p), dtype=np.int8) * 2.0 - 1.0
    prev, cur = Z, S @ Z
    plain = [np.einsum("ij,ij->j", Z, Z), np.einsum("ij,ij->j", Z, cur)]
    for _ in range(2, q + 1):
        prev, cur = cur, 2 * (S @ cur) - prev
        plain.append(np.einsum("ij,ij->j", Z, cur))
    np.testing.assert_allclose(M[:, 2:], np.array(plain).T[:, 2:], rtol=1e-12, atol=1e-9)


def test_cached_traces_give_the_numbers_of_fresh_ones(lattice):
    W, _ = lattice
    with operator_cache.disabled():
        fresh = TraceLogDet(W, method="chebyshev", seed=1)
        fresh_moments = fresh.probe_moments.copy()
    operator_cache.clear()
    first = TraceLogDet(W, method="chebyshev", seed=1)
    hits = operator_cache.info()["hits"]
    second = TraceLogDet(W.copy(), method="chebyshev", seed=1)   # same content, new object
    assert operator_cache.info()["hits"] > hits
    assert second.probe_moments is first.probe_moments            # reused, not recomputed
    np.testing.assert_array_equal(second.probe_moments, fresh_moments)
    for rho in RHOS:
        assert second(rho) == fresh(rho) and second.tr_G(rho) == fresh.tr_G(rho)
    # a float64 strategy does not take the float32 moments
    assert TraceLogDet(W, method="chebyshev", seed=1,
                       precision="float64").probe_moments is not first.probe_moments
    operator_cache.clear()


def test_precision_is_checked(lattice):
    with pytest.raises(InputError, match="precision"):
        TraceLogDet(lattice[0], method="chebyshev", precision="float16")


# --- the route from a sparse matrix or a Graph to the model's W ----------------------------
def _graphs():
    A = queen(7)
    ids = pd.Index([f"u{i:02d}" for i in range(49)][::-1])     # not in sorted order
    A = A.tolil()
    A[3, :] = 0                                                  # an island ...
    A[:, 3] = 0
    A[10, 11] = 2.5                                              # ... and unequal weights
    return sp.csr_matrix(A), ids


@pytest.mark.parametrize("transform", [None, "r"])
def test_from_sparse_is_the_graph_libpysal_builds(transform):
    A, ids = _graphs()
    A.eliminate_zeros()
    before = A.copy()
    fast = from_sparse(A, ids, transform=transform)
    slow = libpysal.graph.Graph.from_sparse(A, ids=ids.to_numpy())
    if transform:
        slow = slow.transform("r")
    pd.testing.assert_series_equal(fast.adjacency, slow.adjacency)
    assert list(fast.unique_ids) == list(slow.unique_ids)
    assert fast.transformation == ("R" if transform else "O")
    assert (A != before).nnz == 0                               # the user's matrix untouched


def test_from_sparse_keeps_a_row_standardised_matrix_and_says_so():
    A, ids = _graphs()
    sums = np.asarray(A.sum(axis=1)).ravel()
    W = (sp.diags(np.divide(1.0, sums, out=np.zeros(49), where=sums > 0)) @ A).tocsr()
    W.eliminate_zeros()                                          # the island row stays empty
    g = from_sparse(W, ids)                                      # no transform asked
    assert g.transformation == "R"
    np.testing.assert_array_equal(sp.csr_matrix(g.sparse).toarray(), W.toarray())


def test_from_sparse_refuses_bad_input():
    A, ids = _graphs()
    with pytest.raises(DuplicateIdError, match="u48"):
        from_sparse(A, ids.tolist()[:-1] + ["u48"])
    with pytest.raises(InputError, match="one row per id"):
        from_sparse(A, ids[:10])
    with pytest.raises(InputError, match="sparse"):
        from_sparse(A.toarray(), ids)
    with pytest.raises(InputError, match="transform"):
        from_sparse(A, ids, transform="v")


def test_graph_matrix_from_codes_is_graph_sparse():
    A, ids = _graphs()
    for g in (libpysal.graph.Graph.from_sparse(A, ids=ids.to_numpy()),
              libpysal.graph.Graph.from_sparse(A, ids=ids.to_numpy()).transform("r"),
              from_sparse(A, ids, transform="r")):
        matrix, wids = _graph_csr(g)
        assert wids.equals(pd.Index(g.unique_ids))
        assert abs(matrix - sp.csr_matrix(g.sparse)).max() == 0
        # and the model's W (aligned to another order of the same ids) is unchanged
        order = ids[np.random.default_rng(0).permutation(49)]
        expect = sp.csr_matrix(g.sparse)[wids.get_indexer(order)][:, wids.get_indexer(order)]
        expect.eliminate_zeros()
        assert abs(as_sparse(g, order) - expect).max() == 0


def test_tall_rank_check_finds_the_same_collinear_column():
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(TSQR_MIN_ROWS + 10), rng.normal(size=(TSQR_MIN_ROWS + 10, 3))])
    check_rank(X, ["Intercept", "a", "b", "c"])
    X[:, 3] = X[:, 1] - 2 * X[:, 2]
    with pytest.raises(CollinearityError, match=r"rank 3 < 4.*\['c'\]"):
        check_rank(X, ["Intercept", "a", "b", "c"])


def test_sdm_fit_from_a_fast_graph_equals_the_libpysal_graph_fit():
    W = row_std(queen(40))
    n = W.shape[0]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = np.linalg.solve(np.eye(n) - 0.5 * W.toarray(), 1 + X @ [0.5, -0.3] + rng.normal(size=n))
    ids = pd.Index([f"c{i}" for i in range(n)])
    df = pd.DataFrame({"y": y, "x1": X[:, 0], "x2": X[:, 1]}, index=ids)
    a = sf.SDM.from_formula("y ~ x1 + x2", data=df, w=from_sparse(W, ids)).fit()
    b = sf.SDM.from_formula("y ~ x1 + x2", data=df,
                            w=libpysal.graph.Graph.from_sparse(W, ids=ids.to_numpy())).fit()
    pd.testing.assert_series_equal(a.params, b.params, check_exact=True)
    pd.testing.assert_series_equal(a.bse, b.bse, check_exact=True)


def test_effects_state_the_rounding_bound_and_it_bounds_float32_against_float64():
    # above the effects' dense limit (20,000), where they reuse the fit's traces
    W = row_std(queen(150))
    n = W.shape[0]
    rng = np.random.default_rng(4)
    X = rng.normal(size=(n, 2))
    v = 1 + X @ [0.5, -0.3] + rng.normal(size=n)
    y, term = v.copy(), v
    for _ in range(80):                       # (I - 0.5 W)^-1 v by its Neumann series
        term = 0.5 * (W @ term)
        y += term
    ids = pd.RangeIndex(n)
    df = pd.DataFrame({"y": y, "x1": X[:, 0], "x2": X[:, 1]}, index=ids)
    g = from_sparse(W, ids)
    out = {}
    for precision in ("float32", "float64"):
        ld = SpatialOperatorFor(W).logdet("chebyshev", precision=precision)
        res = sf.SDM.from_formula("y ~ x1 + x2", data=df, w=g).fit(logdet=ld)
        out[precision] = res.effects(n_draws=50, seed=0)
    info = out["float32"].attrs["approximation"]
    assert set(info["direct_rounding_bound"]) == {"x1", "x2"}
    for x in ("x1", "x2"):
        # the fits differ by the float32 rounding of the log-determinant too (rho moves),
        # so the direct effects agree within the stated total error, rounding included
        diff = abs(out["float32"].loc[x, "direct"] - out["float64"].loc[x, "direct"])
        assert diff <= Z_MC * info["direct_mc_se"][x] + info["direct_rounding_bound"][x] + 1e-6
        assert info["direct_rounding_bound"][x] < info["direct_mc_se"][x]


def test_thread_count_does_not_change_the_numbers(lattice, monkeypatch):
    from spatialflow.models._linalg import logdet_approx
    W, _ = lattice
    out = []
    for threads in (1, 2):
        monkeypatch.setattr(logdet_approx, "PROBE_THREADS", threads)
        monkeypatch.setattr(logdet_approx, "_threads", lambda t=threads: t)
        with operator_cache.disabled():
            ap = TraceLogDet(W, method="chebyshev", seed=4)
            out.append((ap.probe_moments.copy(), ap.tau.copy()))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


def test_symmetriser_finds_a_binary_pattern_scaled_row_by_row():
    # W_ij = c_i on a symmetric pattern (not row-standardised): diag(1/c) W is symmetric, so
    # the spectrum is real; the models and the flow models share this one check
    A = queen(6)
    c = np.random.default_rng(3).uniform(0.5, 2.0, A.shape[0])
    W = (sp.diags(c) @ A).tocsr()
    d = symmetriser(W)
    assert d is not None
    DW = (sp.diags(d) @ W).toarray()
    np.testing.assert_allclose(DW, DW.T, rtol=1e-12, atol=0)
    np.testing.assert_allclose(_symmetrisable(W), d, rtol=0, atol=0)
    # a row with two different values on a symmetric pattern: no cheap scaling
    W2 = W.copy().tolil()
    W2[0, 1] *= 1.5
    assert symmetriser(W2.tocsr()) is None
