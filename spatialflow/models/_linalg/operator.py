r"""The spatial operator :math:`A(\rho) = I - \rho W` of one weights matrix, in one place.

Everything the models compute with :math:`A(\rho)` -- its factorisation, solves with it and
with its transpose, its log-determinant, the traces of powers of :math:`W`, the eigenvalues
and the admissible interval of :math:`\rho` -- is asked of the :class:`SpatialOperator` of
that ``W``. It is the only object that factorises :math:`A(\rho)` (``scipy``'s SuperLU is
called in :mod:`~spatialflow.models._linalg.lu` and nowhere else: a test greps for it; the
exact log-determinant strategies it hands out factorise through the same function), and it
keeps what it learns:

- one operator per weights matrix content (:func:`SpatialOperator.of`, keyed by the
  fingerprint of :mod:`~spatialflow.models._linalg.operator_cache`), so a results object, its
  covariance, its effects and its predictions reuse the estimator's work;
- the last few factorisations by :math:`\rho` (a fitted model asks for the same
  :math:`\hat\rho` many times: sandwich covariances, scores, predictions, counterfactuals);
- eigenvalues, bounds and traces through the operator cache, as the log-determinant
  strategies of :mod:`~spatialflow.models._linalg.logdet` do.

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> from spatialflow.models._linalg.operator import SpatialOperator
>>> W = sp.csr_matrix(np.array([[0, 1, 0], [.5, 0, .5], [0, 1, 0]]))
>>> op = SpatialOperator.of(W)
>>> x = op.solve(0.4, np.ones(3))            # (I - 0.4 W)^{-1} 1
>>> bool(np.allclose((np.eye(3) - 0.4 * W.toarray()) @ x, 1))
True
>>> op is SpatialOperator.of(W.copy())      # the same content finds the same operator
True
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import scipy.sparse as sp
from . import operator_cache
from .logdet import LogDet, logdet_strategy, make_logdet
from .lu import superlu
from .traces import eigenvalues as _eigenvalues
from .traces import trace_powers as _trace_powers

__all__ = ["SpatialOperator"]

#: Factorisations kept per operator (the fitted rho, a counterfactual's, a draw's).
FACTORS_KEPT = 4


class SpatialOperator:
    r""":math:`A(\rho) = I - \rho W` for one weights matrix ``W``.

    Parameters
    ----------
    W : scipy.sparse matrix
        The n x n weights matrix (aligned to the model's units).

    Notes
    -----
    Use :meth:`of` rather than the constructor: it returns the operator already built for a
    matrix with the same content. The operator is read-only after construction; its caches
    are guarded by a lock, so threads of :mod:`spatialflow.grid` may share it.
    """

    def __init__(self, W: sp.spmatrix):
        self.W = sp.csr_matrix(W, dtype=float)
        self.n = self.W.shape[0]
        self._key: str | None = None
        self._Wc_cache = None     # W in CSC, made by the first factorisation
        self._max_row_abs = float(np.max(np.asarray(abs(self.W).sum(axis=1)).ravel())) \
            if self.n else 0.0
        self._factors: "OrderedDict[float, object]" = OrderedDict()
        self._lock = threading.RLock()

    def __getstate__(self):
        # SuperLU factors and locks do not pickle (process executors, Dask): refactorise there.
        state = self.__dict__.copy()
        state["_factors"], state["_lock"] = OrderedDict(), None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.RLock()

    # -- identity -----------------------------------------------------------------------
    @classmethod
    def of(cls, W: sp.spmatrix) -> "SpatialOperator":
        """The operator of ``W`` (one per weights content, kept in the operator cache)."""
        if isinstance(W, SpatialOperator):
            return W
        key = operator_cache.fingerprint(W)
        op = operator_cache.memo(key, "operator", lambda: cls(W))
        op._key = key
        return op

    @property
    def key(self) -> str:
        """Content fingerprint of ``W`` (the operator cache's key)."""
        if self._key is None:
            self._key = operator_cache.fingerprint(self.W)
        return self._key

    # -- factorisation and solves ---------------------------------------------------------
    def matrix(self, rho: float) -> sp.csc_matrix:
        r""":math:`I - \rho W` as a CSC matrix."""
        return sp.csc_matrix(sp.identity(self.n, format="csc") - rho * self._Wc)

    @property
    def _Wc(self) -> sp.csc_matrix:
        # Lazily: the approximate path at 10^7 units never factorises (saves a copy of W).
        if self._Wc_cache is None:
            self._Wc_cache = self.W.tocsc()
        return self._Wc_cache

    def factor(self, rho: float):
        r"""SuperLU factorisation of :math:`I - \rho W` (kept for the last few ``rho``)."""
        rho = float(rho)
        with self._lock:
            lu = self._factors.get(rho)
            if lu is not None:
                self._factors.move_to_end(rho)
                return lu
        lu = superlu(self.matrix(rho),
                     symmetric_mode=abs(rho) * self._max_row_abs < 1.0)
        with self._lock:
            self._factors[rho] = lu
            while len(self._factors) > FACTORS_KEPT:
                self._factors.popitem(last=False)
        return lu

    def solve(self, rho: float, b, *, transpose: bool = False) -> np.ndarray:
        r""":math:`(I-\rho W)^{-1} b`, or :math:`(I-\rho W)^{-\top} b` with ``transpose``.

        ``b`` is a vector or an n x k array (columns solved together); ``rho = 0`` returns a
        copy of ``b``.
        """
        b = np.array(b, dtype=float, copy=True)
        if float(rho) == 0.0:
            return b
        return self.factor(rho).solve(np.ascontiguousarray(b), trans="T" if transpose else "N")

    def solve_panel(self, rho: float, z, T: int, *, transpose: bool = False) -> np.ndarray:
        r""":math:`(I_T \otimes (I-\rho W))^{-1} z` for a time-major stacked vector (one LU)."""
        z = np.asarray(z, dtype=float)
        if float(rho) == 0.0:
            return z.copy()
        cols = z.reshape(T, self.n).T
        return self.solve(rho, cols, transpose=transpose).T.reshape(-1)

    def solver(self, rho: float, *, transpose: bool = False):
        r"""``solve(b)`` for a fixed ``rho`` (what loops over many right-hand sides take)."""
        if float(rho) == 0.0:
            return lambda b: np.array(b, dtype=float, copy=True)
        lu = self.factor(rho)
        trans = "T" if transpose else "N"
        return lambda b: lu.solve(np.ascontiguousarray(np.asarray(b, dtype=float)), trans=trans)

    # -- spectrum, bounds, log-determinants, traces ---------------------------------------------
    def eigenvalues(self) -> np.ndarray:
        """All eigenvalues of ``W`` (dense; cached per ``W``)."""
        return _eigenvalues(self.W)

    def logdet(self, method="auto", **options) -> LogDet:
        r"""A log-determinant strategy :math:`\rho \mapsto \log|I-\rho W|`.

        ``method`` is a name (see :func:`~spatialflow.models._linalg.logdet.make_logdet`) or
        a strategy already built for this ``W`` (returned as is, so its traces are computed
        once). A new strategy object per call: strategies refine their bounds and accuracy
        during a fit, and the next fit starts afresh -- the expensive parts (eigenvalues,
        the fill-reducing ordering, bounds, trace moments) come from the operator cache.
        """
        if isinstance(method, LogDet):
            return logdet_strategy(self.W, method)
        strategy = make_logdet(self.W, method, operator_key=self.key, **options)
        strategy._operator_key = self.key      # the exact strategies' key: computed once
        return strategy

    def bounds(self, method: str = "auto") -> tuple[float, float]:
        """The admissible interval of ``rho``: ``(1/lambda_min, 1/lambda_max)``."""
        return self.logdet(method).bounds

    def trace_powers(self, order: int, **options) -> np.ndarray:
        r""":math:`\mathrm{tr}(W^k)`, k = 0..order (exact or Hutchinson, see
        :func:`~spatialflow.models._linalg.traces.trace_powers`)."""
        return _trace_powers(self.W, order, **options)

    def __repr__(self) -> str:
        return f"SpatialOperator(n={self.n}, nnz={self.W.nnz}, factors kept={len(self._factors)})"
