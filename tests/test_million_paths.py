"""The faster 10^6 fit and effects (issue 22, branch ``million``) give the numbers of the code
before them.

Each new path is checked against a frozen copy of the function it replaced (``_old_*`` below,
copied from commit 42775a4 with only their names changed): bit for bit where the change only
reorganises the same floating-point operations (tiled and padded probe steps, blocked
symmetry checks, row blocks of W, the effects kernel's row sums), and within a stated
relative tolerance where a float64 sum is now added in another order (tr(W^4), said at its
test). The probes and matrices are small (n <= 1,600), with monkeypatched block sizes so
that every boundary case (tails shorter than a dot block, empty row ranges, several chunks)
occurs.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from spatialflow.exceptions import EigenvalueBoundsError
from spatialflow.models._linalg import logdet_approx, traces
from spatialflow.models._linalg.logdet_approx import (
    _DOT_BLOCK, _PROBE_BLOCK_BYTES, _ROW_PARTS, SpectralEnclosure, _candidate_scalings,
    _chebyshev_moments, _exact_power_traces, _row_standardised_nonneg, _similar_symmetric,
    spectral_enclosure, symmetriser)
from spatialflow.models.results.effects import EffectsKernel

from _lattice import queen


# the frozen copies look these up at call time, so monkeypatching the module reaches them too
def _threads():
    return logdet_approx._threads()


def _W2_BLOCK_NNZ_value():
    return logdet_approx._W2_BLOCK_NNZ


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

def _old_symmetriser(W: sp.csr_matrix) -> np.ndarray | None:
    r"""A cheap ``d > 0`` with ``diag(d) W`` symmetric, or None.

    The candidates are :math:`d = 1` (``W`` symmetric), :math:`d_i` = the number of
    neighbours of :math:`i` (a row-standardised binary contiguity or k-nearest-neighbour
    matrix with a symmetric pattern) and, when every row's entries are equal
    (:math:`W_{ij} = c_i`), :math:`d_i = 1/c_i` (a binary pattern scaled row by row): then
    :math:`W = D^{-1/2} S D^{1/2}` with :math:`S` symmetric, so the spectrum is real. Other similarity scalings are not searched at large
    ``n`` (:func:`spatialflow.models._linalg.traces.symmetric_eigen` does it for small ``n``).

    The check compares the stored entries of ``W`` with those of ``W'`` in place: when the
    two patterns agree, :math:`d_iW_{ij} = d_jW_{ji}` is one vectorised comparison of the
    ``data`` arrays (no sparse difference is formed).
    """
    if W.nnz and W.data.min() < 0:
        return None
    W = sp.csr_matrix(W)
    if not W.has_canonical_format or (W.nnz and not W.data.all()):
        W = W.copy()
        W.sum_duplicates()
        W.eliminate_zeros()         # stored zeros are not links
    Wt = W.T.tocsr()
    Wt.sort_indices()
    if not (np.array_equal(W.indptr, Wt.indptr) and np.array_equal(W.indices, Wt.indices)):
        return None                 # an asymmetric pattern: no diagonal scaling symmetrises
    scale = max(abs(W).max(), 1.0) if W.nnz else 1.0
    rows = np.repeat(np.arange(W.shape[0]), np.diff(W.indptr))
    for d in _candidate_scalings(W):
        diff = d[rows] * W.data - d[W.indices] * Wt.data
        if not diff.size or np.abs(diff).max() <= 1e-10 * scale * max(d.max(), 1.0):
            return d
    return None


def _old_exact_power_traces(W: sp.csr_matrix, d: np.ndarray | None = None,
                        S: sp.csr_matrix | None = None) -> np.ndarray:
    r"""tr(W^k) for k = 0..4, exactly, from sparse products over blocks of rows.

    :math:`\mathrm{tr}(W^3) = \sum (W^2)_{ik} W_{ki}` and
    :math:`\mathrm{tr}(W^4) = \sum (W^2)_{ik} (W^2)_{ki}`, with the rows of :math:`W^2` and of
    :math:`(W^2)' = (W')^2` formed a block at a time, so memory stays bounded
    (about ``_W2_BLOCK_NNZ`` entries) whatever ``n``.
    """
    n = W.shape[0]
    if d is not None:
        # Traces are invariant under similarity: use the symmetric S = D^1/2 W D^-1/2, for
        # which tr(S^4) = ||S^2||_F^2 needs only the rows of S^2.
        W = S if S is not None else _old_similar_symmetric(W, d)
        Wt = W
    else:
        Wt = W.T.tocsr()
    out = [float(n), float(W.diagonal().sum()), float(W.multiply(Wt).sum()), 0.0, 0.0]
    per_row = max(1.0, float(np.diff(W.indptr).mean() if n else 1.0) ** 2)
    step = max(1, int(_W2_BLOCK_NNZ_value() / per_row))
    def block(start):
        rows = slice(start, min(start + step, n))
        B1 = W[rows] @ W              # rows of W^2 (canonical: duplicates summed)
        t3 = float(B1.multiply(Wt[rows]).sum())
        if d is not None:
            return t3, float(np.dot(B1.data, B1.data))
        B2 = Wt[rows] @ Wt            # rows of (W')^2 = columns of W^2
        return t3, float(B1.multiply(B2).sum())

    # Blocks on threads (scipy's sparse products release the GIL), summed in block order: the
    # same numbers whatever the number of threads; at most _threads() blocks in memory.
    starts = range(0, n, step)
    threads = _threads()
    if threads == 1:
        blocks = map(block, starts)
    else:
        pool = ThreadPoolExecutor(threads)
        blocks = pool.map(block, starts)
    for t3, t4 in blocks:
        out[3] += t3
        out[4] += t4
    if threads > 1:
        pool.shutdown()
    return np.array(out)


def _old_similar_symmetric(W: sp.csr_matrix, d: np.ndarray) -> sp.csr_matrix:
    r""":math:`S = D^{1/2} W D^{-1/2}` (symmetric when ``d`` is :func:`symmetriser`'s),
    by scaling the stored entries: :math:`S_{ij} = W_{ij}\sqrt{d_i/d_j}`."""
    q = np.sqrt(d)
    rows = np.repeat(np.arange(W.shape[0]), np.diff(W.indptr))
    S = sp.csr_matrix((W.data * (q[rows] / q[W.indices]), W.indices.copy(), W.indptr.copy()),
                      shape=W.shape)
    S.sort_indices()
    return S


def _old_spectral_enclosure(W: sp.csr_matrix, *, symmetric: bool) -> SpectralEnclosure:
    """A cheap, valid enclosure of the spectrum of ``W`` (see the module docstring).

    Raises
    ------
    EigenvalueBoundsError
        When none can be found cheaply (the caller falls back to an exact method and warns).
    """
    norm = float(np.max(np.asarray(abs(W).sum(axis=1)).ravel(), initial=0.0))
    if _row_standardised_nonneg(W):
        # Gershgorin: |omega| <= ||W||_inf = 1; 1 is an eigenvalue (Perron-Frobenius).
        return SpectralEnclosure(-1.0, 1.0, real=symmetric, source="row-standardised")
    if not symmetric:
        raise EigenvalueBoundsError(
            "no cheap enclosure of the spectrum of W is known: W is neither row-standardised "
            "nor similar to a symmetric matrix (its eigenvalues may be complex and its "
            f"infinity norm {norm:.6g} may exceed the spectral radius by much).")
    try:
        v0 = np.random.default_rng(0).uniform(0.5, 1.5, W.shape[0])
        hi = float(spla.eigs(W, k=1, which="LR", return_eigenvectors=False, tol=1e-8,
                             v0=v0, maxiter=max(1000, W.shape[0] // 10))[0].real)
    except spla.ArpackNoConvergence as exc:
        raise EigenvalueBoundsError(
            f"ARPACK did not find the largest eigenvalue of W ({exc}); no cheap bound.") from exc
    if hi <= 0:
        raise EigenvalueBoundsError(f"the largest eigenvalue of W is {hi:.6g} <= 0.")
    # Gershgorin gives a valid (conservative) lower end: the smallest eigenvalue of a large
    # W converges slowly in ARPACK.
    return SpectralEnclosure(-norm, hi, real=True, source="ARPACK upper, Gershgorin lower")


# ---------------------------------------------------------------------------------- the tests




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


def test_float64_matrix_rounded_to_float32_probes_as_before():
    # X in float64 with float32 probes: 2X is rounded once either way (doubling is exact)
    X = symmetric_X(queen(21, 17))
    np.testing.assert_array_equal(_chebyshev_moments(X, 14, 4, 2, 4, "float32", tile_rows=64),
                                  _old_chebyshev_moments(X, 14, 4, 2, 4, "float32"))


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


def row_standardise(A):
    return (sp.diags(1.0 / np.asarray(A.sum(axis=1)).ravel()) @ A).tocsr()


def weights_cases():
    A = queen(23, 19)
    c = np.random.default_rng(3).uniform(0.5, 2.0, A.shape[0])
    late = row_standardise(A).tolil()
    late[A.shape[0] - 1, A.shape[0] - 2] *= 1.5         # breaks the symmetry in the last row
    asym = A.tolil()
    asym[0, A.shape[0] - 1] = 1.0                       # an asymmetric pattern
    return {"row-standardised": row_standardise(A), "symmetric": A.tocsr() * 0.125,
            "rows scaled": (sp.diags(c) @ A).tocsr(), "late break": late.tocsr(),
            "asymmetric": row_standardise(asym.tocsr())}


@pytest.mark.parametrize("name", ["row-standardised", "symmetric", "rows scaled", "late break",
                                  "asymmetric"])
def test_blocked_symmetriser_finds_the_scaling_of_the_one_pass_check(name, monkeypatch):
    W = weights_cases()[name]
    old = _old_symmetriser(W)
    # blocks of 7, then 13 rows: every case crosses several blocks
    monkeypatch.setattr(logdet_approx, "_SYM_FIRST_ROWS", 7)
    monkeypatch.setattr(logdet_approx, "_SYM_ROWS", 13)
    new = symmetriser(W)
    assert (old is None) == (new is None)
    assert (old is None) == (name in ("late break", "asymmetric"))
    if old is not None:
        np.testing.assert_array_equal(new, old)
        S_old, S_new = _old_similar_symmetric(W, old), _similar_symmetric(W, new)
        for attr in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(getattr(S_new, attr), getattr(S_old, attr))


@pytest.mark.parametrize("name", ["row-standardised", "symmetric", "rows scaled", "asymmetric"])
def test_exact_power_traces_from_row_blocks_are_the_numbers_of_scipy_slices(name, monkeypatch):
    W = weights_cases()[name]
    d = symmetriser(W)
    S = _similar_symmetric(W, d) if d is not None else None
    monkeypatch.setattr(logdet_approx, "_W2_BLOCK_NNZ", 500)     # blocks of ~7-20 rows
    new, old = _exact_power_traces(W, d, S), _old_exact_power_traces(W, d, S)
    np.testing.assert_array_equal(new[:4], old[:4])
    # tr(S^4) = ||S^2||_F^2 is now summed by NumPy instead of BLAS (whose threads changed its
    # rounding): the same to rounding of the float64 sum
    np.testing.assert_allclose(new[4], old[4], rtol=1e-14, atol=0)
    np.testing.assert_array_equal(_exact_power_traces(W), _old_exact_power_traces(W))


@pytest.mark.parametrize("name", ["row-standardised", "symmetric"])
def test_spectral_enclosure_without_the_unused_norm_is_the_same(name):
    W = weights_cases()[name]
    old, new = (_old_spectral_enclosure(W, symmetric=True),
                spectral_enclosure(W, symmetric=True))
    assert (new.lower, new.upper, new.real, new.source) == \
        (old.lower, old.upper, old.real, old.source)


def test_effects_kernel_takes_its_row_facts_from_one_pass_with_the_same_numbers():
    A = queen(9, 8)
    islands = row_standardise(A).tolil()
    islands[3, :] = 0.0                                  # an island row
    signed = row_standardise(A).tolil()
    signed[0, 1] = -0.5                                  # a negative weight: |w| != w
    cases = [row_standardise(A), islands.tocsr(), A.tocsr() * 0.3, signed.tocsr()]
    for W in cases:
        k = EffectsKernel(W, trace_method="exact")
        assert k.all_rows_one == traces.is_row_standardised(W)[0]
        assert k.norm == traces.inf_norm(W)
    assert [EffectsKernel(W, trace_method="exact").all_rows_one for W in cases] == \
        [True, False, False, False]


def test_probe_chunks_padded_or_not_give_the_moments_of_one_block(monkeypatch):
    # a budget of 10 float32 columns at n = 1,073: 13 probes go as a chunk of 10 (not
    # padded: 16 would exceed the budget) and a chunk of 3 (padded to 8); columns do not mix,
    # so the moments are those of one unpadded block of 13 (the earlier code, no budget hit)
    X = sp.csr_matrix(symmetric_X(queen(37, 29)), dtype=np.float32)
    old = _old_chebyshev_moments(X, 12, 13, 5, 4, "float32")
    monkeypatch.setattr(logdet_approx, "_PROBE_BLOCK_BYTES", 10 * 4 * 4 * X.shape[0])
    np.testing.assert_array_equal(_chebyshev_moments(X, 12, 13, 5, 4, "float32"), old)
