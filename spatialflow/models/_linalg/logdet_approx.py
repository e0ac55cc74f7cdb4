r"""Approximate log-determinants and traces for large ``n``, with stated error bounds.

At :math:`n = 10^5` one sparse LU factorisation of :math:`I-\rho W` costs seconds and a fit needs
about twenty of them; at :math:`n = 10^6` one costs tens of seconds. Both strategies here instead
estimate, **once**, the traces of a polynomial basis of ``W`` with a few random probes, and then
evaluate :math:`\ln|I-\rho W|`, its derivatives :math:`\mathrm{tr}(G)`, :math:`\mathrm{tr}(G^2)`
(:math:`G = W(I-\rho W)^{-1}`, for the information matrix) and
:math:`\mathrm{tr}(I-\rho W)^{-1}` (for the effects) at any :math:`\rho` in :math:`O(q)`.

**Spectral enclosure.** Both need an interval (or disc) known to contain the spectrum of ``W``.
For a non-negative row-standardised ``W`` (rows summing to one, or zero for islands) it is
free: :math:`|\omega| \le \|W\|_\infty = 1` (Gershgorin; Perron--Frobenius makes 1 an
eigenvalue). For another ``W`` that is similar to a symmetric matrix, :math:`[-\|W\|_\infty,
\omega_{max}]` with :math:`\omega_{max}` from ARPACK. Otherwise no cheap enclosure is known and
:func:`spatialflow.models._linalg.logdet.make_logdet` falls back to the exact sparse LU with an
:class:`~spatialflow.exceptions.EigenvalueBoundsWarning`.

**Chebyshev** (Pace & LeSage 2004), for ``W`` similar to a symmetric matrix (real spectrum in
:math:`[l, h]`). With :math:`X = (W - cI)/d`, :math:`c = (h+l)/2`, :math:`d = (h-l)/2` (spectrum
in :math:`[-1, 1]`), :math:`1-\rho\omega = (1-\rho c)(1 - r x)` with :math:`r = \rho d/(1-\rho c)`,
and the closed-form Chebyshev expansion

.. math::

    \ln(1 - r x) = -\ln(1 + a^2) - 2\sum_{j\ge1} \frac{a^j}{j} T_j(x), \qquad
    a = \frac{r}{1 + \sqrt{1 - r^2}},

so that

.. math::

    \ln|I-\rho W| = n\ln(1-\rho c) - n\ln(1+a^2) - 2\sum_{j=1}^{q}\frac{a^j}{j}\,\tau_j + R_q,
    \qquad \tau_j = \mathrm{tr}\,T_j(X), \qquad
    |R_q| \le \frac{2 n |a|^{q+1}}{(q+1)(1-|a|)} ,

and :math:`\mathrm{tr}(I - rX)^{-1} = \frac{1}{\sqrt{1-r^2}}\,(n + 2\sum_j a^j \tau_j)`. The
coefficients decay like :math:`|a|^j` (:math:`a = 0.63` at :math:`\rho = 0.9`), far faster than
the :math:`\rho^j` of the power series.

**Taylor / Barry--Pace** (Barry & Pace 1999), for any ``W`` with a spectral radius bound
:math:`R` (e.g. a row-standardised ``W`` that is not symmetric, such as k-nearest neighbours):
:math:`\ln|I-\rho W| = -\sum_{j=1}^{q} \frac{r^j}{j}\,\mathrm{tr}(X^j) + R_q` with
:math:`X = W/R`, :math:`r = \rho R`, :math:`|R_q| \le n|r|^{q+1}/((q+1)(1-|r|))`.

**Traces.** :math:`\tau_j` for :math:`j \le 4` are exact (from :math:`\mathrm{tr}(W^k)`,
:math:`k \le 4`: the diagonal, :math:`\sum W\circ W'` and blocks of rows of the sparse
:math:`W^2`); the higher
ones are Hutchinson estimates :math:`\frac1p\sum_l z_l' T_j(X) z_l` with ``p`` seeded Rademacher
probes, computed by the three-term recurrence :math:`V_{j+1} = 2XV_j - V_{j-1}` on the
``n x p`` block (``q`` sparse products, memory :math:`O(np)`). Removing the exact low-order part
from the probes (a control variate) leaves only the small high-order remainder to Monte Carlo
noise. Because each probe gives its own estimate of the whole series, the Monte Carlo standard
error at any :math:`\rho` is the standard deviation over the probes divided by :math:`\sqrt p`
(Barry and Pace's confidence interval); :meth:`TraceLogDet.approximation` reports it beside the
deterministic truncation bound :math:`R_q`.

References
----------
Barry, R. P. and Pace, R. K. (1999). Monte Carlo estimates of the log determinant of large
sparse matrices. *Linear Algebra and its Applications* 289, 41--54.

Pace, R. K. and LeSage, J. P. (2004). Chebyshev approximation of log-determinants of spatial
weight matrices. *Computational Statistics & Data Analysis* 45, 179--196.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from math import comb

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ...exceptions import EigenvalueBoundsError, InputError
from . import operator_cache

__all__ = ["TraceLogDet", "SpectralEnclosure", "spectral_enclosure", "APPROX_METHODS",
           "DEFAULT_PROBES", "DEFAULT_TOL"]

APPROX_METHODS = ("chebyshev", "taylor")
#: Probes of the Hutchinson estimator (Barry and Pace use 10-30).
DEFAULT_PROBES = 30
#: The initial order meets ``tol`` up to this fraction of the upper bound of rho; an estimate
#: beyond it raises the order after the fit (:meth:`TraceLogDet.refine_at`).
INITIAL_RHO = 0.8
#: Truncation tolerance per unit: the order is raised until the bound R_q / n is below it.
DEFAULT_TOL = 1e-7
#: Entries of W^2 formed at a time for the exact tr(W^3), tr(W^4) (about 60 MB per block).
_W2_BLOCK_NNZ = 5_000_000
#: Probe columns processed together: bounds the work blocks to about 3 x 8 x n x chunk bytes.
_BLOCK_BYTES = 256 * 2**20
#: Chebyshev probe blocks (four n x chunk blocks in the probes' precision): all 30 probes in
#: one pass up to n = 4 million in float32, so each order reads W once.
_PROBE_BLOCK_BYTES = 2 * 2**30
#: Fixed row ranges of the probe steps (run on threads; the sums do not depend on how many).
_ROW_PARTS = 4
#: Rows of a tile of the probe steps (a multiple of _DOT_BLOCK): the tile's rows of the three
#: probe blocks (2,048 x 30 float32 = 240 KiB each) stay in the core's cache between the
#: product, the update and the dot products (see _chebyshev_moments).
_TILE_ROWS = 2048
#: Probe columns of a SIMD register by itemsize (256-bit AVX: 8 float32, 4 float64); the
#: probe blocks are padded to a multiple (see _chebyshev_moments).
_SIMD_COLS = {4: 8, 8: 4}
#: Threads over those ranges. One by default: the products are memory-bound, and on the
#: shared two-core machine two threads made the 10^6 fit slower (4.5 s wall, 4.8 CPU-s,
#: against 3.2 s with one; benchmarks/results/scale_2026-12.md). Raise it on a machine with
#: more memory bandwidth per process; the numbers are the same.
PROBE_THREADS = 1
#: Rows summed in the probes' precision in their dot products (then the sums in float64).
_DOT_BLOCK = 32
#: Precision of the Chebyshev probe blocks: float32 halves the memory traffic of the products
#: (their speed limit); its rounding error is stated (:meth:`TraceLogDet.rounding_bounds`) and
#: is a small fraction of the Monte Carlo error (tests/test_logdet_approx.py).
DEFAULT_PRECISION = "float32"
PRECISIONS = ("float32", "float64")
#: Relative size of the last series term at which :meth:`TraceLogDet.solve` stops.
SOLVE_TOL = 1e-10
#: Probes of the tr(G'G) estimate: ``max(n_probes, min(GTG_MAX_PROBES, GTG_PROBE_BUDGET / n))``
#: (its relative SE falls like 1/sqrt(n p): about 0.3-0.6% at n = 5,000 and 0.1-0.3% at
#: n = 10^5 for rho between 0.5 and 0.9 on a queen lattice).
GTG_PROBE_BUDGET = 5_000_000
GTG_MAX_PROBES = 256
#: The tr(G'G) probes are their own random stream of the strategy's seed.
GTG_STREAM = 1


class SpectralEnclosure:
    """An interval ``[lower, upper]`` containing every (real) eigenvalue of ``W``, or a disc of
    radius ``radius`` (``real=False``) when the spectrum may be complex."""

    def __init__(self, lower: float, upper: float, *, real: bool, source: str):
        self.lower, self.upper, self.real, self.source = float(lower), float(upper), real, source

    @property
    def radius(self) -> float:
        return max(abs(self.lower), abs(self.upper))

    def __repr__(self) -> str:
        kind = "interval" if self.real else "disc radius"
        return f"SpectralEnclosure({kind} [{self.lower:.6g}, {self.upper:.6g}], {self.source})"


def _row_standardised_nonneg(W: sp.csr_matrix) -> bool:
    if W.nnz and W.data.min() < 0:
        return False
    rows = np.asarray(W.sum(axis=1)).ravel()
    return bool(np.all((np.abs(rows - 1.0) <= 1e-10) | (rows == 0)))


def symmetriser(W: sp.csr_matrix) -> np.ndarray | None:
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
    scale = max(float(W.data.max()), 1.0) if W.nnz else 1.0     # W >= 0 here
    for d in _candidate_scalings(W):
        if _scaled_symmetric(W, Wt, d, 1e-10 * scale * max(d.max(), 1.0)):
            return d
    return None


#: Rows of W compared first, then per pass, by _scaled_symmetric: a scaling that fails
#: usually fails in the first rows (d = 1 on a row-standardised W fails in row 0), so it is
#: rejected without a pass over all of W (0.1 s at n = 10^6).
_SYM_FIRST_ROWS, _SYM_ROWS = 4096, 1 << 17


def _scaled_symmetric(W: sp.csr_matrix, Wt: sp.csr_matrix, d: np.ndarray, tol: float) -> bool:
    r"""Whether :math:`|d_iW_{ij} - d_jW_{ji}| \le` ``tol`` for every stored entry (``W`` and
    ``W'`` in canonical CSR with the same pattern), compared a block of rows at a time: the
    same products and the same decision as one vectorised comparison, without its
    ``nnz``-long temporaries, and stopping at the first block that fails."""
    n, counts = W.shape[0], np.diff(W.indptr)
    start, stop = 0, min(n, _SYM_FIRST_ROWS)
    while start < n:
        lo, hi = W.indptr[start], W.indptr[stop]
        # d[rows] as np.repeat(d, counts): the same values without an nnz-long index array
        diff = (np.repeat(d[start:stop], counts[start:stop]) * W.data[lo:hi]
                - d[W.indices[lo:hi]] * Wt.data[lo:hi])
        if diff.size and np.abs(diff).max() > tol:
            return False
        start, stop = stop, min(n, stop + _SYM_ROWS)
    return True


def _candidate_scalings(W: sp.csr_matrix):
    """The scalings :func:`symmetriser` tries, cheapest and most common first."""
    n = W.shape[0]
    yield np.ones(n)
    counts = np.diff(W.indptr)
    yield counts.astype(float)
    if W.nnz:
        starts = W.indptr[:-1][counts > 0]
        top = np.maximum.reduceat(W.data, starts)
        bottom = np.minimum.reduceat(W.data, starts)
        if np.all(top - bottom <= 1e-12 * top):          # every row constant: W_ij = c_i
            d = np.ones(n)
            d[counts > 0] = 1.0 / top
            yield d


def symmetriser_of(W: sp.csr_matrix, key: str | None) -> np.ndarray | None:
    """:func:`symmetriser` of ``W``, computed once per weights matrix ``key``
    (:mod:`~spatialflow.models._linalg.operator_cache`)."""
    return operator_cache.memo(key, "symmetriser", lambda: symmetriser(W))


def symmetrisable(W: sp.csr_matrix) -> bool:
    """Whether :func:`symmetriser` finds a scaling (the spectrum of ``W`` is then real)."""
    return symmetriser(W) is not None


def spectral_enclosure(W: sp.csr_matrix, *, symmetric: bool) -> SpectralEnclosure:
    """A cheap, valid enclosure of the spectrum of ``W`` (see the module docstring).

    Raises
    ------
    EigenvalueBoundsError
        When none can be found cheaply (the caller falls back to an exact method and warns).
    """
    if _row_standardised_nonneg(W):
        # Gershgorin: |omega| <= ||W||_inf = 1; 1 is an eigenvalue (Perron-Frobenius).
        return SpectralEnclosure(-1.0, 1.0, real=symmetric, source="row-standardised")
    # (only needed from here: a pass over W saved for the row-standardised case)
    norm = float(np.max(np.asarray(abs(W).sum(axis=1)).ravel(), initial=0.0))
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


def _exact_power_traces(W: sp.csr_matrix, d: np.ndarray | None = None,
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
        W = S if S is not None else _similar_symmetric(W, d)
        Wt = W
    else:
        Wt = W.T.tocsr()
    out = [float(n), float(W.diagonal().sum()), float(W.multiply(Wt).sum()), 0.0, 0.0]
    per_row = max(1.0, float(np.diff(W.indptr).mean() if n else 1.0) ** 2)
    step = max(1, int(_W2_BLOCK_NNZ / per_row))
    def block(start):
        stop = min(start + step, n)
        # the rows from W's arrays by one contiguous copy (scipy's row slicing walks them row
        # by row: 0.2 s at n = 10^6); the same entries in the same order, so the same sums
        Wr = _row_block(W, start, stop)
        Wtr = Wr if Wt is W else _row_block(Wt, start, stop)
        B1 = Wr @ W                   # rows of W^2 (canonical: duplicates summed)
        t3 = float(B1.multiply(Wtr).sum())
        if d is not None:
            # ||rows of S^2||^2 by NumPy's own sum of products, not BLAS: OpenBLAS splits a
            # long dot product over its threads, so the sum's rounding depended on the thread
            # count (7.6e-16 relative in tr(W^4) at n = 10^6 between 1 and 2 threads), and its
            # idle threads spun after every call (0.4-0.7 CPU-s at n = 10^6)
            return t3, float(np.einsum("i,i->", B1.data, B1.data))
        B2 = Wtr @ Wt                 # rows of (W')^2 = columns of W^2
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


def _row_block(W: sp.csr_matrix, start: int, stop: int) -> sp.csr_matrix:
    """Rows ``start:stop`` of a CSR ``W``: its ``data`` and ``indices`` between the rows'
    pointers (scipy copies such small slices of a large array once, contiguously, when it
    checks the format)."""
    lo, hi = W.indptr[start], W.indptr[stop]
    return sp.csr_matrix((W.data[lo:hi], W.indices[lo:hi], W.indptr[start:stop + 1] - lo),
                         shape=(stop - start, W.shape[1]), copy=False)


def _similar_symmetric(W: sp.csr_matrix, d: np.ndarray) -> sp.csr_matrix:
    r""":math:`S = D^{1/2} W D^{-1/2}` (symmetric when ``d`` is :func:`symmetriser`'s),
    by scaling the stored entries: :math:`S_{ij} = W_{ij}\sqrt{d_i/d_j}`."""
    q = np.sqrt(d)
    # q[rows] as np.repeat(q, counts): the same values without an nnz-long index array
    q_rows = np.repeat(q, np.diff(W.indptr))
    S = sp.csr_matrix((W.data * (q_rows / q[W.indices]), W.indices.copy(), W.indptr.copy()),
                      shape=W.shape)
    S.sort_indices()
    return S


def _affine_power_traces(t: np.ndarray, c: float, d: float) -> np.ndarray:
    """tr(X^j) for X = (W - cI)/d from tr(W^k) (binomial expansion, exact)."""
    out = np.empty(len(t))
    for j in range(len(t)):
        out[j] = sum(comb(j, k) * (-c) ** (j - k) * t[k] for k in range(j + 1)) / d**j
    return out


def _chebyshev_from_powers(p: np.ndarray) -> np.ndarray:
    """tr T_j(X) for j <= 4 from tr(X^j) (T_2 = 2x^2 - 1, T_3 = 4x^3 - 3x, T_4 = 8x^4 - 8x^2 + 1)."""
    out = [p[0], p[1], 2 * p[2] - p[0], 4 * p[3] - 3 * p[1], 8 * p[4] - 8 * p[2] + p[0]]
    return np.array(out[: len(p)])


class TraceLogDet:
    r"""Approximate :math:`\ln|I-\rho W|` from traces computed once (see the module docstring).

    Parameters
    ----------
    W : sparse matrix, n x n
    method : {"chebyshev", "taylor", "approx"}
        Chebyshev needs a real spectrum (``W`` similar to a symmetric matrix); Taylor
        (Barry--Pace) any ``W`` with a spectral radius bound; ``"approx"`` picks Chebyshev
        when :func:`symmetriser` finds a scaling and Taylor otherwise.
    n_probes : int
        Rademacher probes of the Hutchinson trace estimator.
    order : int, optional
        Series order ``q``; default: the smallest meeting ``tol`` at ``INITIAL_RHO`` = 0.8 times
        the upper bound, raised after the fit (:meth:`refine_at`) if the estimate needs more.
    tol : float
        Truncation tolerance per unit, :math:`|R_q|/n`.
    max_order : int
        Cap on ``q``.
    seed : int
        Seed of the probes (the fit is reproducible bit for bit).
    enclosure : SpectralEnclosure, optional
        Computed by :func:`spectral_enclosure` if not given.

    Attributes
    ----------
    tau : ndarray
        :math:`\tau_j`, j = 0..q (exact for ``j <= exact_order``).
    probe_moments : ndarray (p, q + 1)
        Per-probe estimates :math:`z_l' P_j(X) z_l` (zero where the trace is exact).
    """

    exact_traces = False
    #: tr(G'G) is available (a Hutchinson estimate with a stated Monte Carlo SE), so the
    #: expected information can be used as at small n.
    provides_tr_GtG = True
    approximate = True

    # The interface of spatialflow.models._linalg.logdet.LogDet (registered there as a virtual
    # subclass: this module sits below logdet.py in the models' one-way dependencies).
    @property
    def bounds(self) -> tuple[float, float]:
        return (self.lower, self.upper)

    # -- tr(G'G) and solves for the expected information -------------------------------------
    def solve(self, rho: float, B: np.ndarray, *, trans: bool = False) -> np.ndarray:
        r""":math:`(I-\rho W)^{-1}B` (``trans``: :math:`(I-\rho W')^{-1}B`) by the strategy's
        series, without a factorisation.

        Chebyshev: :math:`(I-\rho W)^{-1} = \frac{1}{(1-\rho c)\sqrt{1-r^2}}
        \big[I + 2\sum_{j\ge1} a^j T_j(X)\big]` (``a``, ``r``, ``X`` as in the module
        docstring); Taylor: :math:`\sum_j \rho^j W^j`. Terms are added until the last one is
        below :data:`SOLVE_TOL` times the sum (terms decay like :math:`|a|^j`).
        """
        W = self._transposed() if trans else self.W
        c = self._c
        t, r = (float(v) for v in self._t_of_rho(rho))
        B = np.array(B, dtype=float, order="C", copy=True)

        def apply(V):
            return self._apply_X(W, V)

        limit = max(self.max_order, 1000)
        if self.method == "chebyshev":
            s = np.sqrt(max(1.0 - r * r, 1e-300))
            prev, cur = B, apply(B)
            Y = B + 2.0 * t * cur
            for j in range(2, limit + 1):
                prev, cur = cur, 2.0 * apply(cur) - prev
                term = 2.0 * t**j * cur
                Y += term
                if np.abs(term).max() <= SOLVE_TOL * max(np.abs(Y).max(), 1e-300):
                    break
            Y /= s
        else:
            Y, cur = B.copy(), B
            for _ in range(limit):
                cur = r * apply(cur)
                Y += cur
                if np.abs(cur).max() <= SOLVE_TOL * max(np.abs(Y).max(), 1e-300):
                    break
        return Y / (1.0 - rho * c)

    def _apply_X(self, W: sp.csr_matrix, V: np.ndarray) -> np.ndarray:
        """X V = (W V - c V) / d (C-ordered blocks keep W @ V fast)."""
        out = W @ V
        if self._c != 0.0:
            out -= self._c * V
        if self._d != 1.0:
            out /= self._d
        return out

    def _transposed(self) -> sp.csr_matrix:
        if getattr(self, "_WT", None) is None:
            self._WT = self.W.T.tocsr()
        return self._WT

    def tr_GtG(self, rho: float) -> float:
        r""":math:`\mathrm{tr}(G'G)`, estimated (see :meth:`tr_GtG_estimate`)."""
        return self.tr_GtG_estimate(rho)[0]

    def tr_GtG_se(self, rho: float) -> float:
        """Monte Carlo standard error of :meth:`tr_GtG` at ``rho``."""
        return self.tr_GtG_estimate(rho)[1]

    def gtg_probes(self) -> int:
        r"""Probes of the tr(G'G) estimate: at least ``n_probes``, more for smaller n (its
        relative error falls like :math:`1/\sqrt{np}`), at most :data:`GTG_MAX_PROBES`."""
        return int(max(self.n_probes, min(GTG_MAX_PROBES, np.ceil(GTG_PROBE_BUDGET / self.n))))

    def tr_GtG_estimate(self, rho: float) -> tuple[float, float]:
        r"""Hutchinson estimate of :math:`\mathrm{tr}(G'G) = E\lVert Gz\rVert^2` and its SE.

        With a control variate: :math:`G_2 = W + \rho W^2` (the first terms of
        :math:`G = \sum_j \rho^j W^{j+1}`) has the exact
        :math:`\lVert G_2\rVert_F^2 = \lVert W\rVert_F^2 + 2\rho\langle W, W^2\rangle_F
        + \rho^2\lVert W^2\rVert_F^2`, and each probe contributes
        :math:`\lVert Gz\rVert^2 - \lVert G_2z\rVert^2 + \lVert G_2\rVert_F^2`, so only the
        higher-order part carries Monte Carlo noise. Probes are seeded Rademacher vectors
        (their own stream of ``seed``), processed in blocks of bounded memory.
        """
        rho = float(rho)
        cache = getattr(self, "_gtg_cache", None)
        if cache is not None and cache[0] == rho:
            return cache[1]
        W, n, p = self.W, self.n, self.gtg_probes()
        fro_w, fro_w_w2, fro_w2 = self._frobenius()
        exact_part = fro_w + 2.0 * rho * fro_w_w2 + rho * rho * fro_w2
        rng = np.random.default_rng([int(self.seed), GTG_STREAM])
        chunk = max(1, min(p, int(_BLOCK_BYTES // (8 * 6 * max(n, 1)))))
        per_probe = np.empty(p)
        for start in range(0, p, chunk):
            m = min(chunk, p - start)
            Z = rng.integers(0, 2, size=(n, m)).astype(float)
            Z *= 2.0
            Z -= 1.0
            GZ = W @ self.solve(rho, Z)
            WZ = W @ Z
            G2Z = WZ + rho * (W @ WZ)
            per_probe[start:start + m] = (np.einsum("ij,ij->j", GZ, GZ)
                                          - np.einsum("ij,ij->j", G2Z, G2Z) + exact_part)
        out = (float(per_probe.mean()), float(per_probe.std(ddof=1) / np.sqrt(p)))
        self._gtg_cache = (rho, out)
        return out

    def _frobenius(self) -> tuple[float, float, float]:
        r""":math:`\lVert W\rVert_F^2`, :math:`\langle W, W^2\rangle_F`,
        :math:`\lVert W^2\rVert_F^2`, exactly (rows of :math:`W^2` a block at a time)."""
        if getattr(self, "_fro", None) is None:
            self._fro = operator_cache.memo(self._key, "frobenius W, W^2",
                                            self._compute_frobenius)
        return self._fro

    def _compute_frobenius(self) -> tuple[float, float, float]:
        W, n = self.W, self.n
        fro_w = float(W.multiply(W).sum())
        fro_w_w2 = fro_w2 = 0.0
        per_row = max(1.0, float(np.diff(W.indptr).mean() if n else 1.0) ** 2)
        step = max(1, int(_W2_BLOCK_NNZ / per_row))
        for start in range(0, n, step):
            rows = slice(start, min(start + step, n))
            B = W[rows] @ W
            fro_w_w2 += float(B.multiply(W[rows]).sum())
            fro_w2 += float(B.multiply(B).sum())
        return (fro_w, fro_w_w2, fro_w2)

    def __init__(self, W, *, method: str = "chebyshev", n_probes: int = DEFAULT_PROBES,
                 order: int | None = None, tol: float = DEFAULT_TOL, max_order: int = 400,
                 seed: int = 0, enclosure: SpectralEnclosure | None = None,
                 operator_key: str | None = None, precision: str = DEFAULT_PRECISION):
        W = sp.csr_matrix(W, dtype=float)
        if W.shape[0] != W.shape[1]:
            raise InputError(f"W must be square; a {W.shape[0]}x{W.shape[1]} matrix was given.")
        self.W, self.n = W, W.shape[0]
        # Everything below that depends on W alone (the similarity scaling, the spectral
        # enclosure, the exact and the seeded probe traces) is computed once per W and kept
        # for later fits on it (spatialflow.models._linalg.operator_cache).
        self._key = operator_key if operator_key is not None else operator_cache.fingerprint(W)
        if method not in APPROX_METHODS + ("approx",):
            raise InputError(f"approximate logdet method must be one of {APPROX_METHODS} or "
                             f"'approx'; {method!r} was given.")
        if precision not in PRECISIONS:
            raise InputError(f"precision must be one of {PRECISIONS}; {precision!r} was given.")
        self.precision = precision
        if int(n_probes) < 2:
            raise InputError(f"n_probes must be at least 2; {n_probes!r} was given.")
        self._sym = symmetriser_of(self.W, self._key)
        if method == "approx":      # Chebyshev when the spectrum is known to be real
            method = "chebyshev" if self._sym is not None else "taylor"
        self.method = method
        self.n_probes, self.tol, self.max_order = int(n_probes), float(tol), int(max_order)
        self.seed = seed
        symmetric = method == "chebyshev"
        if symmetric and self._sym is None:
            raise EigenvalueBoundsError(
                "the Chebyshev log-determinant needs a real spectrum, and W is not similar to "
                "a symmetric matrix by a cheap scaling; use method='taylor' (or 'approx').")
        if enclosure is None:
            enclosure = operator_cache.memo(
                self._key, ("spectral enclosure", symmetric),
                lambda: spectral_enclosure(self.W, symmetric=symmetric))
        if symmetric and not enclosure.real:
            raise EigenvalueBoundsError(
                "the Chebyshev log-determinant needs a real spectrum (W similar to a symmetric "
                "matrix); use method='taylor' for this W.")
        self.enclosure = enclosure
        if symmetric:
            lo, hi = enclosure.lower, enclosure.upper
            self._c, self._d = (hi + lo) / 2.0, (hi - lo) / 2.0
        else:
            self._c, self._d = 0.0, enclosure.radius
        self.lower, self.upper = 1.0 / enclosure.lower, 1.0 / enclosure.upper
        # The interval is exact when the enclosure's ends are eigenvalues; for a
        # row-standardised W the lower end -1 is conservative (refine_bounds).
        self.exact_bounds = False
        self.exact_order = 4
        self.order = 0
        self._set_order(order if order is not None else self._order_for(INITIAL_RHO * self.upper))

    # -- construction ----------------------------------------------------------------------
    def _t_of_rho(self, rho):
        """The series variable: a (Chebyshev) or r (Taylor), and r."""
        rho = np.asarray(rho, dtype=float)
        r = rho * self._d / (1.0 - rho * self._c)
        if self.method == "taylor":
            return r, r
        return r / (1.0 + np.sqrt(np.clip(1.0 - r * r, 0.0, None))), r

    def _tail(self, t: float, q: int) -> float:
        """Truncation bound per unit of the log-determinant for series variable ``t``."""
        t = abs(float(t))
        if t >= 1.0:
            return float("inf")
        factor = 2.0 if self.method == "chebyshev" else 1.0
        return factor * t ** (q + 1) / ((q + 1) * (1.0 - t))

    def _order_for(self, rho: float) -> int:
        t = abs(float(self._t_of_rho(rho)[0]))
        q = 8
        while q < self.max_order and self._tail(t, q) > self.tol:
            q += 1
        return q

    def _set_order(self, q: int) -> None:
        q = int(min(max(q, self.exact_order), self.max_order))
        if q <= self.order:
            return
        c, d = self._c, self._d
        exact_pow = operator_cache.memo(self._key, "tr(W^k), k <= 4",
                                        lambda: _exact_power_traces(
                                            self.W, self._sym,
                                            self._similar() if self._sym is not None else None))
        xp = _affine_power_traces(exact_pow, c, d)
        exact = _chebyshev_from_powers(xp) if self.method == "chebyshev" else xp
        moments = operator_cache.memo(
            self._key, ("probe moments", self.method, self.n_probes, self.seed, q, c, d,
                        self.precision if self.method == "chebyshev" else "float64"),
            lambda: self._probe_moments(q))
        tau = moments.mean(axis=0)      # the probes leave the exact orders at zero
        tau[: self.exact_order + 1] = exact
        self.tau, self.probe_moments, self.order = tau, moments, q

    def _probe_moments(self, q: int) -> np.ndarray:
        r"""Per-probe :math:`z_l' P_j(X) z_l`, j = 0..q (zero up to ``exact_order``), from
        ``n_probes`` Rademacher probes of ``seed`` (a deterministic function of W)."""
        if self.method == "chebyshev":
            moments = _chebyshev_moments(self._symmetric_X(), q, self.n_probes, self.seed,
                                         self.exact_order, self.precision)
            moments.setflags(write=False)   # shared by every strategy of this W
            return moments
        W, n, p = self.W, self.n, self.n_probes
        moments = np.zeros((p, q + 1))
        rng = np.random.default_rng(self.seed)
        signs = rng.integers(0, 2, size=(n, p), dtype=np.int8)
        chunk = max(1, min(p, int(_BLOCK_BYTES // (8 * 3 * max(n, 1)))))

        for s in range(0, p, chunk):
            Z = signs[:, s:s + chunk].astype(float)     # a C-ordered copy
            Z *= 2.0
            Z -= 1.0
            cur = Z
            for j in range(1, q + 1):
                cur = self._apply_X(W, cur)
                if j > self.exact_order:
                    moments[s:s + chunk, j] = np.einsum("ij,ij->j", Z, cur)
        moments.setflags(write=False)   # shared by every strategy of this W
        return moments

    def _similar(self) -> sp.csr_matrix:
        """The symmetric :math:`S = D^{1/2} W D^{-1/2}` (float64), built once per strategy."""
        if getattr(self, "_S", None) is None:
            self._S = _similar_symmetric(self.W, self._sym)
        return self._S

    def _symmetric_X(self) -> sp.csr_matrix:
        r""":math:`X_S = (S - cI)/d` with the symmetric :math:`S = D^{1/2} W D^{-1/2}`
        (:func:`symmetriser`), in the probes' precision. Similar to :math:`X`, so
        :math:`\mathrm{tr}\,T_j(X_S) = \mathrm{tr}\,T_j(X)`."""
        S = self._similar()
        if self._c != 0.0:
            S = (S - self._c * sp.identity(self.n, format="csr")).tocsr()
        if self._d != 1.0:
            S = S / self._d
        S = sp.csr_matrix(S, dtype=np.dtype(self.precision))
        S.sort_indices()
        return S

    def rounding_bounds(self) -> np.ndarray:
        r"""Bound :math:`B_j` on the rounding error of every per-probe moment
        :math:`z'T_j(X)z` (Chebyshev), j = 0..order; zero for the exact orders.

        The probe vectors :math:`v_k = T_k(X_S)z` are computed in ``precision`` (unit
        roundoff :math:`u`: :math:`2^{-24}` for float32, :math:`2^{-53}` for float64) by
        :math:`v_{k+1} = 2X_Sv_k - v_{k-1}`. Each step adds an error
        :math:`\lVert e_k\rVert \le \varepsilon \sqrt n` with
        :math:`\varepsilon = u\,(2(m+4)\alpha + 4)` (``m`` the most non-zeros in a row,
        :math:`\alpha \ge \lVert |X_S| \rVert_2`: the rounded
        products, the rounded entries of :math:`X_S`, the affine step), and an error
        :math:`e_i` reaches :math:`v_k` through :math:`U_{k-1-i}(X_S)`, whose norm is at
        most :math:`k - i` on the spectrum :math:`[-1, 1]`; so
        :math:`\lVert\delta v_k\rVert \le D_k = \varepsilon\sqrt n\,k(k+1)/2`, and
        :math:`\lVert v_k\rVert \le N_k = \sqrt n + D_k` (:math:`\lVert T_k\rVert \le 1`).
        A dot product summed by blocks of :math:`b` = ``_DOT_BLOCK`` rows errs by at most
        :math:`\gamma\lVert a\rVert\lVert b\rVert` with :math:`\gamma = (b+1)u`, so the
        moments :math:`2v_k'v_k - z'z` and :math:`2v_k'v_{k+1} - z'X_Sz` err by at most
        :math:`B_{2k} = 2(2\sqrt n D_k + D_k^2) + 2\gamma N_k^2` and
        :math:`B_{2k+1} = 2(\sqrt n(D_k + D_{k+1}) + D_kD_{k+1}) + 2\gamma N_kN_{k+1}
        + 2(\sqrt n D_1 + \gamma\sqrt n N_1)`. :math:`\alpha = (R + |c|)/d`
        (``R`` the enclosure's radius: :math:`S \ge 0` is symmetric with spectral radius at
        most ``R``, and :math:`|X_S| \le (S + |c|I)/d` entrywise).
        """
        q = self.order
        out = np.zeros(q + 1)
        if self.method != "chebyshev":
            return out
        u = float(np.finfo(np.dtype(self.precision)).eps) / 2.0
        m = int(np.diff(self.W.indptr).max(initial=0)) + (self._c != 0.0)
        # |X_S| <= (S + |c| I) / d elementwise, S >= 0 symmetric with spectral radius at most
        # the enclosure's: || |X_S| ||_2 <= (radius + |c|) / d.
        alpha = (self.enclosure.radius + abs(self._c)) / self._d
        eps = u * (2.0 * (m + 4) * alpha + 4.0)
        rn = np.sqrt(self.n)
        k = np.arange(q + 2)
        D = eps * rn * k * (k + 1) / 2.0
        N = rn + D
        gamma = (_DOT_BLOCK + 1) * u
        for j in range(self.exact_order + 1, q + 1):
            h = j // 2
            if j % 2 == 0:
                out[j] = 2.0 * (2.0 * rn * D[h] + D[h] ** 2) + 2.0 * gamma * N[h] ** 2
            else:
                out[j] = (2.0 * (rn * (D[h] + D[h + 1]) + D[h] * D[h + 1])
                          + 2.0 * gamma * N[h] * N[h + 1] + 2.0 * (rn * D[1] + gamma * rn * N[1]))
        return out

    # -- the series and its derivatives ----------------------------------------------------
    def _series(self, rho: float):
        r"""F(rho) = ln|I - rho W| and its first two derivatives in rho, with the per-probe
        stochastic parts (for the Monte Carlo SE), from G(r) = ln|I - r X|."""
        n, q, c, d = self.n, self.order, self._c, self._d
        t, r = (float(v) for v in self._t_of_rho(rho))
        j = np.arange(1, q + 1)
        tau = self.tau[1:]
        M = self.probe_moments[:, 1:]
        tpow = t ** (j - 1)                                 # t^(j-1)
        if self.method == "chebyshev":
            coef, d1, d2 = -2.0 * tpow * t / j, -2.0 * tpow, -2.0 * (j - 1) * _pow(t, j - 2)
            g0 = -np.log1p(t * t)
            g0_1 = -2.0 * t / (1.0 + t * t)
            g0_2 = -2.0 * (1.0 - t * t) / (1.0 + t * t) ** 2
            s = np.sqrt(max(1.0 - r * r, 0.0))
            dt = 1.0 / (s * (1.0 + s))                      # da/dr
            d2t = r * (1.0 + 2.0 * s) / (s**3 * (1.0 + s) ** 2)
        else:
            coef, d1, d2 = -tpow * t / j, -tpow, -(j - 1) * _pow(t, j - 2)
            g0 = g0_1 = g0_2 = 0.0
            dt, d2t = 1.0, 0.0
        # G and its derivatives in the series variable t, then in r, then in rho.
        G = n * g0 + coef @ tau
        Gt = n * g0_1 + d1 @ tau
        Gtt = n * g0_2 + d2 @ tau
        Gr = Gt * dt
        Grr = Gtt * dt**2 + Gt * d2t
        one = 1.0 - rho * c
        r1, r2 = d / one**2, 2.0 * c * d / one**3
        F = n * np.log(one) + G
        F1 = -n * c / one + Gr * r1
        F2 = -n * c * c / one**2 + Grr * r1**2 + Gr * r2
        # Per-probe stochastic parts (their mean is already in G, Gr, Grr).
        pF = M @ coef
        pF1 = (M @ d1) * dt * r1
        return F, F1, F2, pF, pF1

    def __call__(self, rho: float) -> float:
        return float(self._series(rho)[0])

    def tr_G(self, rho: float) -> float:
        return float(-self._series(rho)[1])

    def tr_GG(self, rho: float) -> float:
        return float(-self._series(rho)[2])

    def tr_inverse(self, rho) -> np.ndarray:
        r""":math:`\mathrm{tr}(I-\rho W)^{-1}` (vectorised over ``rho``), from the same traces."""
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        t, r = self._t_of_rho(rho)
        j = np.arange(1, self.order + 1)
        V = np.power.outer(t, j)
        if self.method == "chebyshev":
            s = np.sqrt(np.clip(1.0 - r * r, 0.0, None))
            inner = (self.n + 2.0 * V @ self.tau[1:]) / s
        else:
            inner = self.n + V @ self.tau[1:]
        return inner / (1.0 - rho * self._c)

    def tr_inverse_se(self, rho: float) -> float:
        """Monte Carlo standard error of :meth:`tr_inverse` at ``rho``."""
        t, r = (float(v) for v in self._t_of_rho(rho))
        j = np.arange(1, self.order + 1)
        w = t**j * (2.0 / np.sqrt(max(1.0 - r * r, 0.0)) if self.method == "chebyshev" else 1.0)
        per = self.probe_moments[:, 1:] @ w / (1.0 - rho * self._c)
        return float(per.std(ddof=1) / np.sqrt(self.n_probes))

    def tr_inverse_bound(self, rho: float) -> float:
        """Truncation bound of :meth:`tr_inverse` at ``rho`` (absolute)."""
        return self.n * self._inverse_tail(rho, self.order)

    def for_inverse(self, rhos, tol: float) -> "TraceLogDet":
        r"""This strategy, or a fresh one of higher order (same probes and enclosure) whose
        truncation bound on :math:`\mathrm{tr}(I-\rho W)^{-1}/n` is below ``tol`` at every
        ``rho`` in ``rhos`` (the effects' draws reach further than the estimate)."""
        rhos = np.atleast_1d(np.asarray(rhos, dtype=float))
        ends = (float(rhos.min()), float(rhos.max()))
        q = self.order
        while q < self.max_order and max(self._inverse_tail(r, q) for r in ends) > tol:
            q += max(1, q // 10)
        if q <= self.order:
            return self
        return TraceLogDet(self.W, method=self.method, n_probes=self.n_probes,
                           order=min(q, self.max_order), tol=self.tol,
                           max_order=self.max_order, seed=self.seed, enclosure=self.enclosure,
                           operator_key=self._key, precision=self.precision)

    def _inverse_tail(self, rho: float, q: int) -> float:
        t, r = (abs(float(v)) for v in self._t_of_rho(rho))
        if t >= 1.0:
            return float("inf")
        factor = 2.0 / np.sqrt(max(1.0 - r * r, 1e-300)) if self.method == "chebyshev" else 1.0
        return float(factor * t ** (q + 1) / (1.0 - t) / abs(1.0 - rho * self._c))

    # -- error statements ------------------------------------------------------------------
    def logdet_se(self, rho: float) -> float:
        """Monte Carlo standard error of the log-determinant at ``rho`` (over the probes)."""
        pF = self._series(rho)[3]
        return float(pF.std(ddof=1) / np.sqrt(self.n_probes))

    def tr_G_se(self, rho: float) -> float:
        """Monte Carlo standard error of :math:`\\mathrm{tr}(G)` at ``rho``."""
        pF1 = self._series(rho)[4]
        return float(pF1.std(ddof=1) / np.sqrt(self.n_probes))

    def rounding_bound(self, rho: float) -> dict:
        r"""Bounds on the rounding error of the log-determinant, :math:`\mathrm{tr}(G)` and
        :math:`\mathrm{tr}(I-\rho W)^{-1}` at ``rho`` (absolute): the moment bounds
        :meth:`rounding_bounds` weighted by the absolute series coefficients. Zero for the
        Taylor path (float64 throughout, its rounding is far below its Monte Carlo error)."""
        if self.method != "chebyshev":
            return {"logdet": 0.0, "tr_G": 0.0, "tr_inverse": 0.0}
        if getattr(self, "_rounding", None) is None or len(self._rounding) != self.order + 1:
            self._rounding = self.rounding_bounds()
        B = self._rounding[1:]
        t, r = (float(v) for v in self._t_of_rho(rho))
        j = np.arange(1, self.order + 1)
        tpow = np.abs(t) ** (j - 1)
        s = np.sqrt(max(1.0 - r * r, 1e-300))
        one = abs(1.0 - rho * self._c)
        dt, r1 = 1.0 / (s * (1.0 + s)), self._d / one**2
        return {"logdet": float((2.0 * tpow * abs(t) / j) @ B),
                "tr_G": float((2.0 * tpow) @ B * dt * r1),
                "tr_inverse": float((np.abs(t) ** j * 2.0 / s) @ B / one)}

    def truncation_bound(self, rho: float) -> float:
        """Deterministic bound on the truncation error of the log-determinant (absolute)."""
        return self.n * self._tail(self._t_of_rho(rho)[0], self.order)

    def approximation(self, rho: float | None) -> dict:
        """What a results object reports: the method and its error at the estimate."""
        info = dict(method=self.method, n_probes=self.n_probes, order=self.order,
                    exact_order=self.exact_order, seed=self.seed, tol=self.tol,
                    enclosure=(self.enclosure.lower, self.enclosure.upper),
                    enclosure_source=self.enclosure.source)
        if rho is not None:
            info.update(
                logdet_se=self.logdet_se(rho), logdet_bound=self.truncation_bound(rho),
                tr_G_se=self.tr_G_se(rho),
                tr_GtG_se=(self._gtg_cache[1][1] if getattr(self, "_gtg_cache", None)
                           and self._gtg_cache[0] == float(rho) else None),
                gtg_probes=self.gtg_probes(),
                tr_inverse_se=self.tr_inverse_se(rho),
                tr_inverse_bound=self.tr_inverse_bound(rho),
                precision=self.precision,
                rounding_bound=self.rounding_bound(rho))
        return info

    def refine_at(self, rho: float) -> bool:
        """Raise the order if the truncation bound at ``rho`` exceeds ``tol``; True if raised.

        The fit calls this with its estimate and re-maximises when it returns True.
        """
        if self.order >= self.max_order or self._tail(self._t_of_rho(rho)[0],
                                                      self.order) <= self.tol:
            return False
        old = self.order
        self._set_order(self._order_for(rho))
        return self.order > old

    def refine_bounds(self) -> bool:
        """Replace the conservative lower end -1 (row-standardised W) by the exact one."""
        if self.enclosure.source != "row-standardised" or self.method != "chebyshev":
            return False
        v0 = np.random.default_rng(0).uniform(0.5, 1.5, self.n)
        lo = operator_cache.memo(
            self._key, "smallest eigenvalue",
            lambda: float(spla.eigs(self.W, k=1, which="SR", return_eigenvectors=False,
                                    tol=1e-10, v0=v0)[0].real))
        if lo <= -1.0 + 1e-12:
            return False
        enclosure = SpectralEnclosure(lo, 1.0, real=True, source="row-standardised, ARPACK lower")
        fresh = TraceLogDet(self.W, method=self.method, n_probes=self.n_probes,
                            order=self.order, tol=self.tol, max_order=self.max_order,
                            seed=self.seed, enclosure=enclosure, operator_key=self._key,
                            precision=self.precision)
        self.__dict__.update(fresh.__dict__)
        return True


def _chebyshev_moments(X: sp.csr_matrix, q: int, p: int, seed, exact_order: int,
                       precision: str, tile_rows: int | None = None) -> np.ndarray:
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
    not depend on the number of threads. Within a range the step goes a tile of
    ``tile_rows`` rows (default :data:`_TILE_ROWS`) at a time -- product, update and both dot
    products while the tile's rows are still in the cache -- which reads the ``n x p``
    blocks from memory about half as often as whole-range passes. A tile starts at a multiple
    of :data:`_DOT_BLOCK` rows from its range's start, so the dot products add the same
    numbers in the same order whatever the tile size: the moments are identical bit for bit
    to the whole-range passes (``tile_rows`` >= the range's rows; tests/test_million_paths.py
    checks several tile sizes against the earlier implementation). The block is padded with
    zero columns to a multiple of the SIMD width where the memory budget allows, and
    :math:`z'z = n` is not summed (see the code); neither changes a bit. At ``n = 10^6``
    (30 probes, order 20, one thread, machine shared) the moments took 1.25 s against 1.40-1.48 s
    of the whole-range passes in the same runs.
    """
    n = X.shape[0]
    dtype = np.dtype(precision)
    tile = _TILE_ROWS if tile_rows is None else int(tile_rows)
    tile = max(_DOT_BLOCK, tile // _DOT_BLOCK * _DOT_BLOCK)
    # 2X: exact (a power of two), saves a pass per step; its data as X * 2 computes them,
    # with X's index arrays shared rather than copied (only read here)
    data2 = X.data * 2
    X2 = sp.csr_matrix((data2 if data2.dtype == dtype else data2.astype(dtype), X.indices,
                        X.indptr), shape=X.shape, copy=False)
    edges = np.linspace(0, n, _ROW_PARTS + 1).astype(int)
    parts = [_row_tiles(X2, a, b, tile) for a, b in zip(edges[:-1], edges[1:])]
    del X2                          # the tiles hold their rows (scipy copies small slices)
    moments = np.zeros((p, q + 1))
    rng = np.random.default_rng(seed)
    signs = rng.integers(0, 2, size=(n, p), dtype=np.int8)
    budget = max(1, int(_PROBE_BLOCK_BYTES // (dtype.itemsize * 4 * max(n, 1))))  # columns
    chunk = min(p, budget)
    half = (q + 1) // 2          # v_0 .. v_half reach order 2 * half >= q

    threads = _threads()

    def dots(a, b):
        rows, m = a.shape
        body = rows // _DOT_BLOCK * _DOT_BLOCK
        part = np.einsum("kij,kij->kj", a[:body].reshape(-1, _DOT_BLOCK, m),
                         b[:body].reshape(-1, _DOT_BLOCK, m))
        return (part.sum(axis=0, dtype=np.float64)
                + np.einsum("ij,ij->j", a[body:], b[body:], dtype=np.float64))

    def tiled(tiles, body_fn, pairs):
        """Run ``body_fn(rows, X2r)`` on each tile of one range, collecting the float32 block
        sums of the dot products ``pairs(rows)`` -> ((a, b), ...) as whole-range passes
        would (:func:`dots`): the same block sums, then the float64 sums in range order."""
        a0, a1 = tiles[0][0].start, tiles[-1][0].stop
        body = a0 + (a1 - a0) // _DOT_BLOCK * _DOT_BLOCK
        tail = pairs(slice(body, a1))
        w = tail[0][0].shape[1]
        nblocks = (body - a0) // _DOT_BLOCK
        sums = [np.empty((nblocks, w), dtype) for _ in tail]
        for rows, X2r in tiles:
            body_fn(rows, X2r)
            stop = min(rows.stop, body)
            if stop > rows.start:
                kb = slice((rows.start - a0) // _DOT_BLOCK, (stop - a0) // _DOT_BLOCK)
                for (x, y), out in zip(pairs(slice(rows.start, stop)), sums):
                    out[kb] = np.einsum("kij,kij->kj", x.reshape(-1, _DOT_BLOCK, w),
                                        y.reshape(-1, _DOT_BLOCK, w))
        return tuple(s.sum(axis=0, dtype=np.float64)
                     + np.einsum("ij,ij->j", x, y, dtype=np.float64)
                     for s, (x, y) in zip(sums, tail))

    def run(task):
        if threads == 1:            # no pool: a thread started per step costs more than a
            out = [task(part) for part in parts]     # product at n of a few thousand
        else:
            with ThreadPoolExecutor(threads) as pool:
                out = list(pool.map(task, parts))
        return tuple(sum(o[i] for o in out) for i in range(len(out[0])))

    for s in range(0, p, chunk):
        cols = slice(s, min(s + chunk, p))
        m = cols.stop - cols.start
        # The block padded with zero columns to a multiple of the SIMD width (32 rather than
        # 30 float32 columns: scipy's product vectorises over the columns and leaves no
        # scalar remainder, ~9% faster moments at n = 10^6) where the padded block fits the
        # memory budget (not at 10^7, whose chunks of 13 would need more passes); the zero
        # columns stay zero and the columns do not mix, so the probes' moments are the same
        # (their bits: the tests).
        simd = _SIMD_COLS[dtype.itemsize]
        width = -(-m // simd) * simd
        Z = np.zeros((n, width if width <= budget else m), dtype)     # C-ordered
        Zm = Z[:, :m]
        Zm += signs[:, cols]
        Zm *= 2
        Zm -= 1
        cur = np.empty_like(Z)

        def first_body(rows, X2r):
            np.multiply(X2r @ Z, 0.5, out=cur[rows])    # v_1 = X z (halving is exact)

        def first(tiles):
            return tiled(tiles, first_body, lambda r: ((Z[r], cur[r]),))

        zXz, = run(first)
        # z'z = n exactly (sums of ones: integers, exact in float32 blocks of 32 and in
        # float64), so it is not summed (one pass over the block fewer; the same numbers)
        zz = float(n)
        prev = Z                                        # v_0 (overwritten by v_2)
        for k in range(1, half + 1):
            # cur = v_k: the even moment 2k, and with v_{k+1} the odd moment 2k + 1.
            if 2 * k + 1 > q:
                if exact_order < 2 * k <= q:
                    moments[cols, 2 * k] = (2.0 * dots(cur, cur) - zz)[:m]
                break

            def step_body(rows, X2r, cur=cur, prev=prev):
                # prev <- v_{k+1} = 2X v_k - v_{k-1}
                np.subtract(X2r @ cur, prev[rows], out=prev[rows])

            def step(tiles, cur=cur, prev=prev):
                return tiled(tiles, step_body,
                             lambda r: ((cur[r], cur[r]), (cur[r], prev[r])))

            cc, co = run(step)
            if 2 * k > exact_order:
                moments[cols, 2 * k] = (2.0 * cc - zz)[:m]
            if 2 * k + 1 > exact_order:
                moments[cols, 2 * k + 1] = (2.0 * co - zXz)[:m]
            prev, cur = cur, prev
    return moments


def _row_tiles(X: sp.csr_matrix, a: int, b: int, tile: int) -> list:
    """Rows ``a:b`` of ``X`` as tiles ``(rows, X[rows])`` of ``tile`` rows from ``a`` (the
    last shorter), cut by :func:`_row_block` (together one copy of the range)."""
    return [(slice(start, min(start + tile, b)), _row_block(X, start, min(start + tile, b)))
            for start in (range(a, b, tile) if b > a else [a])]


def _threads() -> int:
    """Threads of the probe products and exact-trace blocks: :data:`PROBE_THREADS`, at most
    the CPUs this process may use."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:                              # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(int(PROBE_THREADS), cpus))


def _pow(t: float, e: np.ndarray) -> np.ndarray:
    """t ** e with 0 ** negative = 0 (the terms it multiplies vanish)."""
    out = np.zeros(len(e))
    ok = e >= 0
    out[ok] = t ** e[ok]
    return out
