r"""Log-determinants :math:`\ln|I - \rho W|` for concentrated maximum likelihood.

One strategy interface, :class:`LogDet`, with two exact implementations:

* :class:`EigenLogDet` -- dense eigenvalues, :math:`\ln|I-\rho W| = \sum_i \ln(1-\rho\omega_i)`.
  Exact and cheap to evaluate once the eigenvalues are known; :math:`O(n^3)` set-up and
  :math:`O(n^2)` memory, so it is meant for small ``n`` (R spatialreg's ``method="eigen"``).
* :class:`SparseLULogDet` -- a sparse LU factorisation of :math:`I-\rho W` at each evaluation,
  :math:`\ln|I-\rho W| = \sum_i \ln|U_{ii}|` (R's ``method="LU"``), memory :math:`O(\mathrm{nnz})`.

Both expose the admissible interval of :math:`\rho` (the reciprocals of the extreme real
eigenvalues of :math:`W`, not a hard-coded :math:`\pm 1`) and the traces the information
matrix needs. A later issue adds approximate strategies behind the same interface.
"""
from __future__ import annotations

import os
import warnings
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ...exceptions import (ApproximationWarning, EigenvalueBoundsError, EigenvalueBoundsWarning,
                          InputError)
from . import logdet_approx as _ax
from . import operator_cache
from .lu import superlu
from .memory import check_memory, estimate_logdet_bytes
from .traces import eigenvalues as _eigenvalues

#: Columns of the inverse solved at once by :meth:`SparseLULogDet.tr_GtG` (64 measured
#: fastest at n = 2,875: SuperLU's dense right-hand sides lose cache locality above it).
TRACE_BLOCK = 64
#: Cost model of :meth:`SparseLULogDet.expected_information_cost`: nanoseconds per non-zero of
#: L + U and right-hand side in a solve, per unit of factorisation work, and the
#: log-determinant evaluations of a typical fit (Brent's search to xatol = 1e-12), and of a
#: fit by the corrected search (models/_estimation/search.py: 9 factorisations against
#: Brent's 15, with the same overheads).
SOLVE_NS = 8.0
FACTOR_NS = 1.5
FIT_EVALUATIONS = 30
CORRECTED_FIT_EVALUATIONS = 18
#: Threads for those solves (SuperLU releases the GIL): the CPUs this process may use, at
#: most 4 (memory traffic, not arithmetic, limits the gain beyond).
TRACE_WORKERS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                           else (os.cpu_count() or 1)))

__all__ = ["LogDet", "EigenLogDet", "SparseLULogDet", "make_logdet", "DENSE_MAX_N",
           "APPROX_MIN_N", "logdet_strategy"]

#: Step of the central second difference of an exact log-determinant (:meth:`LogDet.tr_GG`):
#: the truncation error is O(h^2) and the rounding error O(eps*|logdet|/h^2); 1e-4 balances
#: both. The corrected ML search (models/_estimation/search.py) evaluates at the same
#: points, so tr(G^2) at its estimate costs no new factorisation.
SECOND_DIFFERENCE_STEP = 1e-4

#: Largest n for which dense eigenvalues are the automatic choice.
DENSE_MAX_N = 1500
#: The sparse strategy computes tr(G'G) exactly by blocked solves at any n (O(n * nnz(LU))
#: time, O(n * block) memory: seconds at n = 3000), for the expected information; the
#: covariance convention no longer depends on n (see spatialflow.models._estimation.ml). The constant is
#: kept for code that imported it.
EXACT_TRACE_MAX_N = None
#: Above this n, a row-standardised W starts from the valid interval (-1, 1) and computes its
#: smallest eigenvalue only if the estimate approaches -1.
LAZY_BOUNDS_N = 20000


def real_eigenvalues(eigenvalues: np.ndarray) -> np.ndarray:
    r"""The real members of a spectrum (complex conjugate pairs dropped).

    Only a real eigenvalue :math:`\omega` makes :math:`I - \rho W` singular for a real
    :math:`\rho` (at :math:`\rho = 1/\omega`), so the admissible interval around 0 is
    bounded by the reciprocals of the extreme *real* eigenvalues, as in R spatialreg.
    """
    eigenvalues = np.asarray(eigenvalues)
    if not np.iscomplexobj(eigenvalues):
        return eigenvalues
    scale = max(1.0, float(np.max(np.abs(eigenvalues))))
    return eigenvalues[np.abs(eigenvalues.imag) <= 1e-10 * scale].real


def _bounds_from_eigenvalues(real_parts: np.ndarray) -> tuple[float, float]:
    lo, hi = float(np.min(real_parts)), float(np.max(real_parts))
    if hi <= 0 or lo >= 0:
        raise InputError(
            "the weights matrix must have both a negative and a positive real eigenvalue to "
            f"define an admissible interval for rho; its real eigenvalues span [{lo}, {hi}]."
        )
    return 1.0 / lo, 1.0 / hi


class LogDet(ABC):
    r"""Strategy for :math:`\ln|I-\rho W|` and the traces of :math:`G=W(I-\rho W)^{-1}`.

    Attributes
    ----------
    n : int
        Order of ``W``.
    lower, upper : float
        Admissible interval :math:`(1/\omega_{min}, 1/\omega_{max})` for :math:`\rho`.
    exact_traces : bool
        Whether :meth:`tr_GtG` is available (needed for the expected information matrix).
    """

    method: str = ""
    exact_traces: bool = False
    #: Whether each value costs a factorisation (the ML search then spares evaluations).
    costly_evaluations: bool = False

    def __init__(self, W: sp.spmatrix):
        W = sp.csr_matrix(W, dtype=float)
        if W.shape[0] != W.shape[1]:
            raise InputError(f"W must be square; a {W.shape[0]}x{W.shape[1]} matrix was given.")
        self.W = W
        self.n = W.shape[0]

    @property
    def operator_key(self) -> str:
        """The content key of ``W`` under which its eigenvalues, ordering and bounds are
        kept for later fits (:mod:`spatialflow.models._linalg.operator_cache`)."""
        if getattr(self, "_operator_key", None) is None:
            self._operator_key = operator_cache.fingerprint(self.W)
        return self._operator_key

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.lower, self.upper)

    exact_bounds: bool = True

    @property
    def provides_tr_GtG(self) -> bool:
        """Whether :meth:`tr_GtG` is available (exactly here; estimated by the approximate
        strategies), i.e. whether the expected information can be computed."""
        return bool(self.exact_traces)
    #: Whether the log-determinant and traces are approximations (see ``approximation``).
    approximate: bool = False

    def refine_bounds(self) -> bool:
        """Strategies that start from a conservative interval widen it here (True if so)."""
        return False

    def refine_at(self, rho: float) -> bool:
        """Approximate strategies raise their accuracy at ``rho`` if needed (True if so)."""
        return False

    def approximation(self, rho: float | None) -> dict | None:
        """Method and error statement of an approximate strategy at ``rho`` (None: exact)."""
        return None

    @abstractmethod
    def __call__(self, rho: float) -> float:
        r""":math:`\ln|I-\rho W|`."""

    def tr_G(self, rho: float) -> float:
        r""":math:`\mathrm{tr}(G) = -\frac{d}{d\rho}\ln|I-\rho W|`."""
        h = 1e-5 * max(1.0, abs(rho))
        return -(self(rho + h) - self(rho - h)) / (2 * h)

    def tr_GG(self, rho: float) -> float:
        r""":math:`\mathrm{tr}(G^2) = -\frac{d^2}{d\rho^2}\ln|I-\rho W|`."""
        h = SECOND_DIFFERENCE_STEP      # (see the constant)
        return -(self(rho + h) - 2 * self(rho) + self(rho - h)) / h**2

    def search_surrogate(self):
        r"""A cheap approximation of :math:`\ln|I-\rho W|` that guides the ML search when
        each exact value is expensive (a callable of :math:`\rho`), or None: the search
        then evaluates this strategy only (models/_estimation/search.py)."""
        return None

    def tr_GtG(self, rho: float) -> float:
        r""":math:`\mathrm{tr}(G'G)`; only exact strategies for small n provide it."""
        raise NotImplementedError(
            f"{type(self).__name__} does not compute tr(G'G); the observed information is used."
        )


class EigenLogDet(LogDet):
    """Exact log-determinant from the dense eigenvalues of ``W`` (small n)."""

    method = "eigen"
    exact_traces = True

    def __init__(self, W: sp.spmatrix):
        super().__init__(W)
        dense = self.W.toarray()
        self._dense = dense
        # O(n^3): through a symmetric similar matrix when there is one (several times
        # faster than the general eigenvalue problem), once per W and kept for later fits
        # on it (operator_cache).
        self.eigenvalues = _eigenvalues(self.W)
        self.lower, self.upper = _bounds_from_eigenvalues(real_eigenvalues(self.eigenvalues))

    def __call__(self, rho: float) -> float:
        return float(np.sum(np.log(1.0 - rho * self.eigenvalues)).real)

    def tr_G(self, rho: float) -> float:
        w = self.eigenvalues
        return float(np.sum(w / (1.0 - rho * w)).real)

    def tr_GG(self, rho: float) -> float:
        w = self.eigenvalues
        return float(np.sum((w / (1.0 - rho * w)) ** 2).real)

    def tr_GtG(self, rho: float) -> float:
        G = self._G(rho)
        return float(np.sum(G * G))

    def _G(self, rho: float) -> np.ndarray:
        # Dense by design: this strategy is only chosen for small n.
        A = np.eye(self.n) - rho * self._dense
        return la.solve(A.T, self._dense.T).T  # W A^{-1}


class SparseLULogDet(LogDet):
    """Exact log-determinant from a sparse LU factorisation at each evaluation (large n)."""

    method = "lu"
    costly_evaluations = True

    def __init__(self, W: sp.spmatrix, exact_trace_max_n: int | None = EXACT_TRACE_MAX_N):
        super().__init__(W)
        # tr(G'G) by blocked solves works at any n; exact_trace_max_n=0 ("lu-observed")
        # declares a strategy that offers only what the observed information needs.
        self.exact_traces = exact_trace_max_n is None or self.n <= exact_trace_max_n
        # The pattern of I - rho W is fixed: build it once and only refill its values.
        eye = sp.identity(self.n, format="csc")
        Wc = self.W.tocsc()
        pattern = (eye + abs(Wc)).tocsc()
        pattern.sort_indices()
        coo = pattern.tocoo()  # same entry order as pattern.data
        self._A = pattern
        self._eye_part = (coo.row == coo.col).astype(float)
        self._w_part = np.asarray(Wc[coo.row, coo.col]).ravel()
        self._Wc = Wc
        self._eye = eye
        self._max_row_abs = float(np.max(np.asarray(abs(self.W).sum(axis=1)).ravel()))
        # ARPACK's extreme eigenvalues: once per W (operator_cache).
        self.lower, self.upper, self.exact_bounds, self._row_standardised = operator_cache.memo(
            self.operator_key, ("lu bounds", self.n > LAZY_BOUNDS_N),
            lambda: (*self._extreme_bounds(), self.exact_bounds, self._row_standardised))

    def search_surrogate(self):
        r"""The Chebyshev trace series of :math:`\ln|I-\rho W|` with the default probes --
        the one the effects build for this ``W`` (the probe moments are kept per ``W``,
        :mod:`~spatialflow.models._linalg.operator_cache`) -- or None when ``W`` has no cheap
        real-spectrum enclosure (not similar to a symmetric matrix by a cheap scaling).

        Each exact value costs a factorisation; the series costs O(order) once its traces
        are known, so the search locates the maximum on it and corrects it with a few exact
        values (:mod:`spatialflow.models._estimation.search`). The probes choose where the
        search looks, not what it finds.
        """
        if _ax.symmetriser_of(self.W, self.operator_key) is None:
            return None
        try:
            return _ax.TraceLogDet(self.W, method="chebyshev", operator_key=self.operator_key)
        except EigenvalueBoundsError:
            return None

    def _extreme_bounds(self) -> tuple[float, float]:
        W = self.W
        rows = np.asarray(W.sum(axis=1)).ravel()
        nonzero = rows != 0
        self._row_standardised = bool(np.allclose(rows[nonzero], 1.0) and W.min() >= 0)
        self.exact_bounds = True
        if self._row_standardised:
            # Perron-Frobenius: the largest eigenvalue is exactly 1 and none is below -1.
            if self.n > LAZY_BOUNDS_N:
                # ARPACK needs many iterations for the (clustered) low end of a large
                # spectrum; -1 is a valid, conservative lower bound, refined only if the
                # estimate comes near it (see refine_bounds).
                self.exact_bounds = False
                return -1.0, 1.0
            return _bounds_from_eigenvalues(np.array([self._smallest_eigenvalue(), 1.0]))
        hi = float(spla.eigs(W, k=1, which="LR", return_eigenvectors=False, tol=1e-10,
                             v0=self._v0())[0].real)
        return _bounds_from_eigenvalues(np.array([self._smallest_eigenvalue(), hi]))

    def _v0(self) -> np.ndarray:
        # ARPACK starts from a random vector unless given one: a fixed start makes the
        # bounds, and so the whole fit, bit-for-bit reproducible.
        return np.random.default_rng(0).uniform(0.5, 1.5, self.n)

    def _smallest_eigenvalue(self) -> float:
        return operator_cache.memo(
            self.operator_key, "smallest eigenvalue",
            lambda: float(spla.eigs(self.W, k=1, which="SR", return_eigenvectors=False,
                                    tol=1e-10, v0=self._v0())[0].real))

    def refine_bounds(self) -> bool:
        """Replace a conservative lower bound by the exact one; True if it changed."""
        if self.exact_bounds:
            return False
        self.lower = _bounds_from_eigenvalues(np.array([self._smallest_eigenvalue(), 1.0]))[0]
        self.exact_bounds = True
        return self.lower < -1.0

    def factor(self, rho: float):
        """SuperLU factorisation of :math:`I - \\rho W` (reused by effects and traces)."""
        A = self._A.copy()
        A.data = self._eye_part - rho * self._w_part
        if abs(rho) * self._max_row_abs < 1.0:
            # I - rho W is strictly diagonally dominant: LU without pivoting is stable, and the
            # symmetric-mode ordering keeps the fill low (about twice as fast).
            return superlu(A, symmetric_mode=True)
        return superlu(A)

    def _ordering(self):
        r"""``(q, permuted, source)``: SuperLU's fill-reducing ordering of :math:`I-\rho W`
        (``q`` with ``x[q]`` = ``Px``), the pattern permuted by it, and where its entries come
        from in :math:`I-\rho W`.

        The ordering depends on the pattern only (no pivoting in the diagonally dominant
        region), so it is computed once per ``W``, from a factorisation at
        :math:`\rho_0 = 1/(2\lVert W\rVert_\infty)`, and kept for later fits on the same
        ``W`` (:mod:`spatialflow.models._linalg.operator_cache`).
        """
        if getattr(self, "_reorder", None) is None:
            self._reorder = operator_cache.memo(self.operator_key, "lu ordering",
                                                self._compute_ordering)
        return self._reorder

    def _compute_ordering(self):
        lu = self.factor(0.5 / max(self._max_row_abs, 1e-300))
        q = np.argsort(lu.perm_c)
        marker = self._A.copy()
        marker.data = np.arange(1.0, marker.nnz + 1.0)
        permuted = sp.csc_matrix(marker[q][:, q])
        permuted.sort_indices()
        source = permuted.data.astype(np.int64) - 1
        for array in (q, source):
            array.setflags(write=False)
        return q, permuted, source

    def _factor_reordered(self, rho: float):
        r"""``(lu, q)``: the factorisation of :math:`P(I-\rho W)P'` (``x[q]`` = ``Px``), or of
        :math:`I-\rho W` itself with ``q = None``.

        The pattern of :math:`I-\rho W` does not change with :math:`\rho`, so its
        fill-reducing ordering does not either (:meth:`_ordering`): every diagonally
        dominant factorisation is of the matrix permuted once by it, in the natural order
        (the same factors, about 30% faster: the ordering was a third of the work).
        """
        if abs(rho) * self._max_row_abs >= 1.0:
            return self.factor(rho), None
        values = self._eye_part - rho * self._w_part
        q, permuted, source = self._ordering()
        A = permuted.copy()
        A.data = values[source]
        return superlu(A, natural_order=True), q

    def expected_information_cost(self, *, evaluations: int | None = None,
                                  solves: int = 1) -> float:
        r"""Estimated cost of the exact :math:`\mathrm{tr}(G'G)` relative to the fit.

        :meth:`tr_GtG` solves for all n columns of the inverse: about
        ``SOLVE_NS * (nnz(L) + nnz(U))`` per column and ``solves`` solves per column, against
        ``evaluations`` factorisations of the fit at ``FACTOR_NS`` per unit of their work
        :math:`\sum_j |L_{:,j}|\,|U_{j,:}|` (constants measured on this project's
        machine; benchmarks/results/speed_2026-12.md). One factorisation at the ordering's
        :math:`\rho_0` gives the counts (it is the one the fit reuses). ``evaluations``
        defaults to the search the fit will run: :data:`CORRECTED_FIT_EVALUATIONS` when ``W``
        has a real spectrum by a cheap scaling (:meth:`search_surrogate`), else
        :data:`FIT_EVALUATIONS`.
        """
        if evaluations is None:
            corrected = _ax.symmetriser_of(self.W, self.operator_key) is not None
            evaluations = CORRECTED_FIT_EVALUATIONS if corrected else FIT_EVALUATIONS

        def counts():
            q, permuted, source = self._ordering()
            A = permuted.copy()
            A.data = (self._eye_part - 0.5 / max(self._max_row_abs, 1e-300)
                      * self._w_part)[source]
            lu = superlu(A, natural_order=True)
            L, U = lu.L, lu.U
            work = float(np.diff(L.indptr).astype(float) @ np.diff(U.tocsr().indptr))
            return float(L.nnz + U.nnz), work
        nnz_lu, work = operator_cache.memo(self.operator_key, "lu counts", counts)
        per_column = SOLVE_NS * nnz_lu + 2.0 * self.W.nnz
        fit = evaluations * (FACTOR_NS * work + 3.0 * nnz_lu)
        return float(solves * self.n * per_column / fit)

    def __call__(self, rho: float) -> float:
        # The fit asks again for values its search has computed (the log-likelihood at the
        # estimate, the centre of tr(G^2)'s difference): keep the last few.
        rho = float(rho)
        values = self.__dict__.setdefault("_values", {})
        if rho not in values:
            lu, _ = self._factor_reordered(rho)
            # SuperLU's L has a unit diagonal, so |det(A)| = prod |U_ii|; the sign is
            # positive inside the admissible interval, where I - rho W is a non-singular
            # M-matrix-like form. A symmetric permutation leaves the determinant unchanged.
            if len(values) >= 8:
                values.pop(next(iter(values)))
            values[rho] = float(np.sum(np.log(np.abs(lu.U.diagonal()))))
        return values[rho]

    def tr_GtG(self, rho: float, block: int = TRACE_BLOCK) -> float:
        r""":math:`\mathrm{tr}(G'G) = \lVert W(I-\rho W)^{-1}\rVert_F^2`, exactly.

        Solves for ``block`` columns of the inverse at a time, so memory stays
        :math:`O(n \cdot block \cdot workers)`; no n x n matrix is formed. SuperLU's solve
        releases the GIL, so the blocks run on up to :data:`TRACE_WORKERS` threads; the
        block sums are added in block order, so the result does not depend on the threads.
        """
        if not self.exact_traces:
            return super().tr_GtG(rho)
        lu, q = self._factor_reordered(rho)
        # With A = P'A_q P: ||W A^{-1}||_F = ||W P' A_q^{-1}||_F, and W P' = W[:, q].
        W = self.W if q is None else self.W[:, q]

        def block_sum(start: int, E: np.ndarray) -> float:
            G_cols = W @ lu.solve(E)
            return float(np.sum(G_cols * G_cols))

        return float(sum(map_column_blocks(self.n, block_sum, block=block)))


def map_column_blocks(n: int, fn, *, block: int = TRACE_BLOCK) -> list:
    """``[fn(start, E) ...]`` over blocks ``E`` of ``block`` columns of the n x n identity
    (``E[start + j, j] = 1``), on up to :data:`TRACE_WORKERS` threads, in block order.

    For exact traces of inverses by sparse solves (SuperLU releases the GIL): the results
    come back in block order whatever the threads, so sums over them are reproducible.
    """
    def run(start: int):
        stop = min(start + block, n)
        E = np.zeros((n, stop - start))
        E[np.arange(start, stop), np.arange(stop - start)] = 1.0
        return fn(start, E)

    starts = range(0, n, block)
    workers = min(TRACE_WORKERS, len(starts))
    if workers <= 1:
        return [run(a) for a in starts]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, starts))


#: Above this n, ``method="auto"`` uses an approximate strategy. Below it the exact sparse path
#: is affordable: with the observed information (the default covariance, which needs only
#: tr(G^2) from the log-determinant) a fit is 12-20 LU factorisations: 1.4 s at the 25,357
#: units of the Lucas house data size on the shared two-core machine
#: (benchmarks/results/speed_2026-12.md); the expected information's exact tr(G'G) (n sparse
#: solves) warns when asked for here (:func:`spatialflow.models._estimation.ml.warn_if_expensive`).
#: ``logdet="lu"`` keeps the exact path at any n, ``logdet="approx"`` approximates below.
APPROX_MIN_N = 30000


def make_logdet(W: sp.spmatrix, method: str = "auto", **options) -> LogDet:
    """Choose a log-determinant strategy.

    Parameters
    ----------
    W : scipy.sparse matrix
        Square spatial weights (for panels, the n x n matrix: callers multiply by T).
    method : {"auto", "eigen", "lu", "lu-observed", "approx", "chebyshev", "taylor"}
        ``"auto"`` takes ``"eigen"`` for ``n <= DENSE_MAX_N``, ``"lu"`` up to
        ``APPROX_MIN_N`` and ``"approx"`` above. ``"approx"`` is Chebyshev when ``W`` is
        similar to a symmetric matrix (real spectrum) and Taylor (Barry--Pace) otherwise; see
        :mod:`spatialflow.models._linalg.logdet_approx`. An approximation asked for at
        ``n <= DENSE_MAX_N`` gives an :class:`~spatialflow.exceptions.ApproximationWarning` and
        the exact eigenvalue strategy; a ``W`` without a cheap spectral enclosure gives an
        :class:`~spatialflow.exceptions.EigenvalueBoundsWarning` and the exact sparse LU.
    **options
        ``n_probes``, ``order``, ``tol``, ``max_order``, ``seed``, ``precision`` (of the
        Chebyshev probe blocks: ``"float32"``, the default, or ``"float64"``) of the
        approximations.

    Raises
    ------
    InsufficientMemoryError
        When the strategy's estimated peak memory exceeds what is available (the message
        names the figures and the strategy that needs less).
    """
    valid = ("auto", "eigen", "lu", "lu-observed", "approx") + _ax.APPROX_METHODS
    if method not in valid:
        raise InputError(f"logdet method must be one of {valid}; {method!r} was given.")
    # operator_key: the content fingerprint of W when the caller has it (SpatialOperator).
    key = options.pop("operator_key", None)
    unknown = sorted(set(options) - {"n_probes", "order", "tol", "max_order", "seed",
                                     "precision"})
    if unknown:
        raise InputError(f"unknown logdet option(s) {unknown}; valid: n_probes, order, tol, "
                         "max_order, seed, precision.")
    W = sp.csr_matrix(W, dtype=float)
    n = W.shape[0]
    if method == "auto":
        method = "eigen" if n <= DENSE_MAX_N else ("lu" if n <= APPROX_MIN_N else "approx")
    approx = method == "approx" or method in _ax.APPROX_METHODS
    if approx and n <= DENSE_MAX_N:
        warnings.warn(
            f"an approximate log-determinant ({method!r}) was asked for at n = {n} <= "
            f"{DENSE_MAX_N}, where the exact eigenvalue method is cheap: using the exact one.",
            ApproximationWarning, stacklevel=3)
        method, approx = "eigen", False
    if approx:
        n_probes = int(options.get("n_probes", _ax.DEFAULT_PROBES))
        check_memory(estimate_logdet_bytes(method, n, W.nnz, n_probes=n_probes),
                     what=f"the {method} log-determinant with {n_probes} probes (n = {n})",
                     advice="Use fewer probes (n_probes=) or a machine with more memory.")
        try:
            return _ax.TraceLogDet(W, method=method, operator_key=key, **options)
        except EigenvalueBoundsError as exc:
            warnings.warn(f"{exc} Using the exact sparse LU log-determinant instead.",
                          EigenvalueBoundsWarning, stacklevel=3)
            method = "lu"
    if method == "eigen":
        check_memory(estimate_logdet_bytes("eigen", n, W.nnz),
                     what=f"the dense eigenvalue log-determinant (n = {n})",
                     advice="Use logdet='lu' (sparse, exact) or logdet='approx'.")
        return EigenLogDet(W)
    check_memory(estimate_logdet_bytes("lu", n, W.nnz),
                 what=f"the sparse LU log-determinant (n = {n}, nnz(W) = {W.nnz})",
                 advice="Use logdet='approx' (Chebyshev / Barry-Pace traces, O(n x probes) "
                        "memory).")
    if method == "lu":
        return SparseLULogDet(W)
    return SparseLULogDet(W, exact_trace_max_n=0)  # "lu-observed": observed information


def logdet_strategy(W: sp.spmatrix, method) -> LogDet:
    """``method`` if it is already a strategy for this ``W`` (reused: its traces are computed
    once), otherwise :func:`make_logdet` ``(W, method)``."""
    if isinstance(method, LogDet):
        if method.n != W.shape[0]:
            raise InputError(f"the logdet strategy was built for n = {method.n}, but the "
                             f"model's W is {W.shape[0]} x {W.shape[0]}.")
        return method
    return make_logdet(W, method)


# The approximate strategy implements this interface without importing this module.
LogDet.register(_ax.TraceLogDet)
