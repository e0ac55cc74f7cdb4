"""The faster 10^6 fit and effects (issue 22, branch ``million``) give the numbers of the code
before them.

Each new path is checked against a frozen copy of the implementation it replaced (below, as
it stood at commit 42775a4): bit for bit where the change only reorganises the same
floating-point operations (the tiled probe steps), and within the stated relative tolerance
where the summation order of an exact float64 sum changed (said at each test).
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

from spatialflow.models._linalg import logdet_approx
from spatialflow.models._linalg.logdet_approx import (
    _DOT_BLOCK, _PROBE_BLOCK_BYTES, _ROW_PARTS, _chebyshev_moments, _similar_symmetric,
    symmetriser)


def _threads():
    return logdet_approx._threads()


# ---------------------------------------------------------------- frozen earlier implementation
def _old_chebyshev_moments(X: sp.csr_matrix, q: int, p: int, seed, exact_order: int,
                       precision: str) -> np.ndarray:
    r"""Per-probe :math:`z_l'T_j(X)z_l`, j = exact_order+1..q, for a *symmetric* ``X``.

    Chebyshev polynomials multiply as :math:`T_{2k} = 2T_k^2 - I` and
    :math:`T_{2k+1} = 2T_kT_{k+1} - T_1`, so for symmetric ``X``

    .. math::

        z'T_{2k}z = 2\lVert v_k\rVert^2 - z'z, \qquad
        z'T_{2k+1}z = 2 v_k'v_{k+1} - z'Xz, \qquad v_k = T_k(X)z :

    the moments up to order ``q`` need :math:`\lceil q/2\rceil` sparse products of the
    ``n x p`` probe block (scipy's ``csr_matvecs``: one pass over ``X`` per product, all
    probes together, on C-ordered blocks), not ``q``. The blocks are held in ``precision``
    (float32 halves the memory traffic, which bounds the speed); the dot products sum
    :data:`_DOT_BLOCK` rows in the blocks' precision and the block sums in float64
    (:meth:`TraceLogDet.rounding_bounds` states the rounding error).

    Each step runs on :data:`_ROW_PARTS` fixed row ranges (their products, updates and dot
    products are independent; scipy and NumPy release the GIL), on :data:`PROBE_THREADS`
    threads; the partial sums are added in range order, so the result does
    not depend on the number of threads.
    """
    n = X.shape[0]
    dtype = np.dtype(precision)
    X2 = (X * 2).astype(dtype)      # 2X: exact (a power of two), saves a pass per step
    edges = np.linspace(0, n, _ROW_PARTS + 1).astype(int)
    parts = [(slice(a, b), X2[a:b]) for a, b in zip(edges[:-1], edges[1:])]
    del X2                          # the row ranges hold the copies
    moments = np.zeros((p, q + 1))
    rng = np.random.default_rng(seed)
    signs = rng.integers(0, 2, size=(n, p), dtype=np.int8)
    chunk = max(1, min(p, int(_PROBE_BLOCK_BYTES // (dtype.itemsize * 4 * max(n, 1)))))
    half = (q + 1) // 2          # v_0 .. v_half reach order 2 * half >= q

    threads = _threads()

    def dots(a, b):
        rows, m = a.shape
        body = rows // _DOT_BLOCK * _DOT_BLOCK
        part = np.einsum("kij,kij->kj", a[:body].reshape(-1, _DOT_BLOCK, m),
                         b[:body].reshape(-1, _DOT_BLOCK, m))
        return (part.sum(axis=0, dtype=np.float64)
                + np.einsum("ij,ij->j", a[body:], b[body:], dtype=np.float64))

    def run(task):
        if threads == 1:            # no pool: a thread started per step costs more than a
            out = [task(part) for part in parts]     # product at n of a few thousand
        else:
            with ThreadPoolExecutor(threads) as pool:
                out = list(pool.map(task, parts))
        return sum(o[0] for o in out), sum(o[1] for o in out)

    for s in range(0, p, chunk):
        cols = slice(s, min(s + chunk, p))
        Z = signs[:, cols].astype(dtype)                # C-ordered
        Z *= 2
        Z -= 1
        cur = np.empty_like(Z)

        def first(part):
            rows, X2r = part
            np.multiply(X2r @ Z, 0.5, out=cur[rows])    # v_1 = X z (halving is exact)
            return dots(Z[rows], Z[rows]), dots(Z[rows], cur[rows])

        zz, zXz = run(first)                            # zz = n (exact: sums of ones)
        prev = Z                                        # v_0 (overwritten by v_2)
        for k in range(1, half + 1):
            # cur = v_k: the even moment 2k, and with v_{k+1} the odd moment 2k + 1.
            if 2 * k + 1 > q:
                if exact_order < 2 * k <= q:
                    moments[cols, 2 * k] = 2.0 * dots(cur, cur) - zz
                break

            def step(part, cur=cur, prev=prev):
                rows, X2r = part                        # prev <- v_{k+1} = 2X v_k - v_{k-1}
                np.subtract(X2r @ cur, prev[rows], out=prev[rows])
                return dots(cur[rows], cur[rows]), dots(cur[rows], prev[rows])

            cc, co = run(step)
            if 2 * k > exact_order:
                moments[cols, 2 * k] = 2.0 * cc - zz
            if 2 * k + 1 > exact_order:
                moments[cols, 2 * k + 1] = 2.0 * co - zXz
            prev, cur = cur, prev
    return moments

# ---------------------------------------------------------------------------------- the tests


def queen(rows, cols):
    a = sp.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(rows, rows))
    b = sp.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(cols, cols))
    A = sp.kron(a, b, format="csr")
    A.setdiag(0)
    A.eliminate_zeros()
    return A


def symmetric_X(A):
    """X_S of a row-standardised queen W: D^1/2 W D^-1/2 (spectrum in [-1, 1])."""
    W = (sp.diags(1.0 / np.asarray(A.sum(axis=1)).ravel()) @ A).tocsr()
    return _similar_symmetric(W, symmetriser(W))


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(37, 29), (40, 40)])
def test_tiled_probe_steps_give_the_moments_of_whole_range_passes_bit_for_bit(precision, shape):
    # n = 1,073 and 1,600: ranges of 268-269 and 400 rows, so each has a tail shorter than a
    # dot block, and tiles of 32 .. 128 rows end inside ranges at different offsets
    X = sp.csr_matrix(symmetric_X(queen(*shape)), dtype=np.dtype(precision))
    old = _old_chebyshev_moments(X, 23, 7, 3, 4, precision)
    assert np.abs(old[:, 5:]).min() > 0               # the moments are not trivially zero
    for tile in (32, 64, 96, 128, 10**6, None):
        new = _chebyshev_moments(X, 23, 7, 3, 4, precision, tile_rows=tile)
        np.testing.assert_array_equal(new, old)


def test_tiled_probe_steps_on_two_threads_give_the_same_bits(monkeypatch):
    X = sp.csr_matrix(symmetric_X(queen(33, 31)), dtype=np.float32)
    old = _old_chebyshev_moments(X, 16, 5, 1, 4, "float32")
    monkeypatch.setattr(logdet_approx, "_threads", lambda: 2)
    np.testing.assert_array_equal(_chebyshev_moments(X, 16, 5, 1, 4, "float32", tile_rows=64),
                                  old)


def test_tiny_matrices_with_empty_row_ranges():
    # n = 2 < _ROW_PARTS: some ranges hold no rows
    X = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]), dtype=np.float32)
    np.testing.assert_array_equal(_chebyshev_moments(X, 6, 3, 0, 0, "float32", tile_rows=32),
                                  _old_chebyshev_moments(X, 6, 3, 0, 0, "float32"))
