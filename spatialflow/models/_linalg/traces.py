r"""Traces, moments and diagonals of powers of a spatial weights matrix.

The LeSage--Pace effects of a spatial lag model are linear in :math:`(\beta_k, \theta_k)` once
:math:`\rho` is fixed, with multipliers that are functions of :math:`(I-\rho W)^{-1}`:

.. math::

    \mathrm{tr}\,(I-\rho W)^{-1} = \sum_{j\ge 0} \rho^j\,\mathrm{tr}(W^j), \qquad
    \iota_B'(I-\rho W)^{-1}\iota_A = \sum_{j\ge 0} \rho^j\,\iota_B' W^j \iota_A .

This module supplies the ingredients of both sides:

* exact eigenvalues (dense, small ``n``), using a symmetric similar matrix when ``W`` is a
  row-standardised symmetric matrix (contiguity, inverse distance ...) so that ``eigh`` applies;
* traces :math:`\mathrm{tr}(W^j)` by the power series with Hutchinson's stochastic estimator
  (Rademacher probes, seeded), exact for :math:`j \le 4` (from the sparse :math:`W^2`);
* group moments :math:`\iota_B' W^j \iota_A` (exact, by repeated sparse products);
* the truncation order of the series for a given :math:`|\rho|` and tolerance.

Design for :math:`n = 10^6`: everything except :func:`symmetric_eigen` / :func:`eigenvalues`
costs :math:`O(\mathrm{nnz}(W))` per probe (or per group indicator) and per power, and memory
:math:`O(n \cdot \text{probes})`; no dense :math:`n\times n` array is formed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
from threadpoolctl import threadpool_limits

from ...exceptions import InputError
from . import operator_cache

__all__ = [
    "SymmetricEigen",
    "symmetric_eigen",
    "eigenvalues",
    "trace_powers",
    "group_moments",
    "series_order",
    "inf_norm",
    "is_row_standardised",
]


def _as_csr(W) -> sp.csr_matrix:
    W = sp.csr_matrix(W, dtype=float)
    if W.shape[0] != W.shape[1]:
        raise InputError(f"W must be square; a {W.shape[0]}x{W.shape[1]} matrix was given.")
    return W


def inf_norm(W) -> float:
    r"""The maximum absolute row sum :math:`\|W\|_\infty` (bounds :math:`|\mathrm{tr}(W^j)|/n`)."""
    W = _as_csr(W)
    return float(np.max(np.asarray(abs(W).sum(axis=1)).ravel(), initial=0.0))


#: Tolerance of a row sum of one (:func:`is_row_standardised`).
ROW_SUM_ATOL = 1e-10


def is_row_standardised(W, *, atol: float = ROW_SUM_ATOL) -> tuple[bool, bool]:
    """Whether all rows of ``W`` sum to one, and whether some rows are zero (islands).

    Returns
    -------
    (all_one, has_zero_rows) : tuple of bool
        ``all_one`` is true only when *every* row sums to 1: with island rows the closed form
        :math:`(\\beta+\\theta)/(1-\\rho)` of the total effect is wrong.
    """
    rows = np.asarray(_as_csr(W).sum(axis=1)).ravel()
    zero = np.abs(rows) <= atol
    return bool(np.all(np.abs(rows - 1.0) <= atol)), bool(np.any(zero))


@dataclass(frozen=True)
class SymmetricEigen:
    r"""Eigen-decomposition of :math:`W = D^{-1/2} U \Lambda U' D^{1/2}` with ``U`` orthogonal.

    Exists when :math:`d_i W_{ij} = d_j W_{ji}` for positive :math:`d` (a row-standardised
    symmetric matrix has :math:`d` = the original row sums). Then
    :math:`\mathrm{diag} f(W) = (U \circ U) f(\lambda)` for any analytic :math:`f`.
    """

    values: np.ndarray
    vectors: np.ndarray
    scale: np.ndarray  # d


def _symmetriser(W: sp.csr_matrix, rtol: float = 1e-10) -> np.ndarray | None:
    """Positive ``d`` with ``diag(d) W`` symmetric, or None when there is none."""
    n = W.shape[0]
    if W.nnz and W.data.min() < 0:
        return None
    Wt = W.T.tocsr()
    pattern = (W != 0).astype(np.int8)
    if (pattern != pattern.T).nnz:
        return None
    coo = W.tocoo()
    log_ratio = sp.csr_matrix(
        (np.log(coo.data) - np.log(np.asarray(Wt[coo.row, coo.col]).ravel()), (coo.row, coo.col)),
        shape=W.shape,
    )
    log_d = np.zeros(n)
    n_comp, labels = csgraph.connected_components(W, directed=False)
    seen = np.zeros(n_comp, dtype=bool)
    for root in range(n):  # one BFS per component with an edge; islands keep d = 1
        comp = labels[root]
        if seen[comp]:
            continue
        seen[comp] = True
        order, pred = csgraph.breadth_first_order(W, root, directed=False)
        for node in order[1:]:
            p = pred[node]
            # d_node = d_p W[p, node] / W[node, p]
            log_d[node] = log_d[p] + log_ratio[p, node]
    d = np.exp(log_d - log_d.max())
    DW = sp.diags(d) @ W
    if abs(DW - DW.T).max() > rtol * max(abs(DW).max(), 1.0):
        return None
    return d


def symmetric_eigen(W, *, vectors: bool = True) -> SymmetricEigen | None:
    """Dense eigen-decomposition through a symmetric similar matrix, or None if none exists.

    :math:`O(n^3)` time and :math:`O(n^2)` memory: for small ``n`` only. With
    ``vectors=False`` only the eigenvalues are computed (several times faster) and
    ``vectors`` is None. Computed once per ``W`` and kept for later fits on it
    (:mod:`spatialflow.models._linalg.operator_cache`; the arrays are read-only).
    """
    W = _as_csr(W)
    return operator_cache.memo(operator_cache.fingerprint(W), ("symmetric eigen", vectors),
                               lambda: _read_only(_symmetric_eigen(W, vectors)))


def _read_only(eig: SymmetricEigen | None) -> SymmetricEigen | None:
    if eig is not None:
        for array in (eig.values, eig.vectors, eig.scale):
            if array is not None:
                array.setflags(write=False)
    return eig


#: Up to this n the dense eigenproblems run on one BLAS thread. Alone, two OpenBLAS threads save
#: a third at n = 900 (0.05 against 0.08 s); beside any other busy process a thread waiting for
#: its descheduled sibling spins, and the same call took 3-5 s (measured on 2 cores). One
#: thread costs at most ~0.3 s here and never spins.
SINGLE_THREAD_MAX_N = 2000


def _blas_threads(n: int):
    """One BLAS thread for a dense eigenproblem of order ``n <= SINGLE_THREAD_MAX_N``."""
    return threadpool_limits(limits=1 if n <= SINGLE_THREAD_MAX_N else None)


def _symmetric_eigen(W: sp.csr_matrix, vectors: bool) -> SymmetricEigen | None:
    d = _symmetriser(W)
    if d is None:
        return None
    sq = np.sqrt(d)
    S = (sp.diags(sq) @ W @ sp.diags(1.0 / sq)).toarray()
    S = (S + S.T) / 2.0
    with _blas_threads(S.shape[0]):
        if not vectors:
            # numpy (LAPACK syevd) is several times faster here than scipy's default syevr.
            return SymmetricEigen(values=np.linalg.eigvalsh(S), vectors=None, scale=d)
        values, U = np.linalg.eigh(S)
    return SymmetricEigen(values=values, vectors=U, scale=d)


def eigenvalues(W) -> np.ndarray:
    """All eigenvalues of ``W`` (real when ``W`` is similar to a symmetric matrix).

    :math:`O(n^3)`; for small ``n`` only. Kept for later calls on the same ``W``
    (read-only; :mod:`spatialflow.models._linalg.operator_cache`).
    """
    W = _as_csr(W)
    eig = symmetric_eigen(W, vectors=False)
    if eig is not None:
        return eig.values
    return operator_cache.memo(operator_cache.fingerprint(W), "general eigenvalues",
                               lambda: _general_eigenvalues(W))


def _general_eigenvalues(W: sp.csr_matrix) -> np.ndarray:
    with _blas_threads(W.shape[0]):
        values = la.eigvals(W.toarray())
    if np.max(np.abs(values.imag), initial=0.0) < 1e-10:
        values = values.real
    values.setflags(write=False)
    return values


def series_order(rho_abs_max: float, norm: float, *, tol: float = 1e-8,
                 max_order: int = 1000) -> tuple[int, float]:
    r"""Smallest order ``q`` with truncation bound :math:`r^{q+1}/(1-r) \le` ``tol``.

    With :math:`r = |\rho|\,\|W\|_\infty`, :math:`|\mathrm{tr}(W^j)|/n \le \|W\|_\infty^j` and
    :math:`|\iota'W^j\iota|/n \le \|W\|_\infty^j`, so the neglected tail of every multiplier
    (per unit coefficient) is at most :math:`\sum_{j>q} r^j = r^{q+1}/(1-r)`.

    Returns
    -------
    (q, bound) : (int, float)
        The order (capped at ``max_order``) and the tail bound it achieves (``inf`` if
        :math:`r \ge 1`, where the bound says nothing even though the series may converge).
    """
    r = float(rho_abs_max) * float(norm)
    if r <= 0.0:
        return 1, 0.0
    if r >= 1.0:
        return int(max_order), float("inf")
    q = int(np.ceil(np.log(tol * (1.0 - r)) / np.log(r))) - 1
    q = int(min(max(q, 1), max_order))
    return q, r ** (q + 1) / (1.0 - r)


#: Largest nnz(W^2) for which tr(W^3) and tr(W^4) are computed exactly (about 0.2 GB).
EXACT_W2_MAX_NNZ = 10_000_000


def trace_powers(W, order: int, *, method: str = "hutchinson", n_probes: int = 50,
                 seed: int | np.random.Generator | None = 0) -> np.ndarray:
    r"""Traces :math:`\mathrm{tr}(W^j)` for :math:`j = 0, \dots,` ``order``.

    Parameters
    ----------
    W : sparse matrix, n x n
    order : int
        Highest power.
    method : {"hutchinson", "exact"}
        ``"exact"``: :math:`\sum_i \lambda_i^j` from the dense eigenvalues (small n).
        ``"hutchinson"``: :math:`j \le 4` exactly
        (:math:`n`, :math:`\sum_i W_{ii}`, :math:`\sum_{ij} W_{ij}W_{ji}`, and the
        elementwise products of the sparse :math:`W^2` with :math:`W'` and :math:`(W^2)'`
        while ``nnz(W^2) <= EXACT_W2_MAX_NNZ``; otherwise :math:`j \le 2`) and above that the
        Hutchinson estimator
        :math:`\mathrm{tr}(W^j) \approx \frac1p \sum_{l=1}^{p} z_l' W^j z_l` with Rademacher
        probes :math:`z_l`, computed by ``order`` sparse products of an ``n x p`` block:
        :math:`O(\text{order}\cdot p\cdot \mathrm{nnz})` time, :math:`O(n p)` memory.
    n_probes : int
        Number of probes ``p``.
    seed : int or Generator
        Seed of the probes.

    Returns
    -------
    numpy.ndarray of shape (order + 1,)
    """
    W = _as_csr(W)
    n = W.shape[0]
    order = int(order)
    if method == "exact":
        lam = eigenvalues(W)
        powers = np.power.outer(lam, np.arange(order + 1))
        return np.real(powers.sum(axis=0))
    if method != "hutchinson":
        raise InputError(f"method must be 'exact' or 'hutchinson'; {method!r} was given instead.")
    rng = np.random.default_rng(seed)
    out = np.empty(order + 1)
    out[0] = n
    if order >= 1:
        out[1] = W.diagonal().sum()
    if order >= 2:
        out[2] = W.multiply(W.T).sum()
    first_estimated = 3
    if order >= 3:
        W2 = W @ W
        # tr(W^3) and tr(W^4) exactly from the sparse W^2 while it stays small: the
        # low powers carry most of the weight of the series, so removing their probe noise
        # cuts the error of the effects roughly tenfold (rho^5 instead of rho^3 leading term).
        if W2.nnz <= EXACT_W2_MAX_NNZ:
            out[3] = W2.multiply(W.T).sum()
            if order >= 4:
                out[4] = W2.multiply(W2.T).sum()
            first_estimated = 5
    if order >= first_estimated:
        Z = rng.choice(np.array([-1.0, 1.0]), size=(n, int(n_probes)))
        V = Z
        for _ in range(first_estimated - 1):
            V = W @ V
        for j in range(first_estimated, order + 1):
            V = W @ V
            out[j] = np.einsum("ij,ij->", Z, V) / n_probes
    return out


def group_moments(W, indicators: np.ndarray, order: int) -> np.ndarray:
    r"""Exact moments :math:`M_j[b, a] = \iota_b' W^j \iota_a`, :math:`j = 0..` ``order``.

    ``indicators`` is the ``n x G`` 0/1 matrix of group memberships (one column per group).
    The total moments :math:`\iota'W^j\iota` are the sums over ``a`` and ``b``.
    :math:`O(\text{order}\cdot G\cdot \mathrm{nnz})` time.

    Returns
    -------
    numpy.ndarray of shape (order + 1, G, G), indexed ``[j, to, from]``.
    """
    W = _as_csr(W)
    ind = np.asarray(indicators, dtype=float)
    out = np.empty((int(order) + 1, ind.shape[1], ind.shape[1]))
    V = ind.copy()
    out[0] = ind.T @ V
    for j in range(1, int(order) + 1):
        V = W @ V
        out[j] = ind.T @ V
    return out
