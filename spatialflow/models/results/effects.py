r"""LeSage--Pace direct, indirect and total effects, with inference and partition blocks.

In a model with a spatial lag the coefficients are not the marginal effects. For regressor
:math:`k` the matrix of partial derivatives :math:`S_k[i, j] = \partial y_i / \partial x_{jk}` is

.. math::

    S_k = (I - \rho W)^{-1} (\beta_k I + \theta_k W)

(:math:`\rho = 0` for SLX, SEM, SDEM and OLS; :math:`\theta_k = 0` without a lag of
:math:`x_k`), and LeSage & Pace (2009) summarise it as

.. math::

    \text{direct}_k = \tfrac1n \mathrm{tr}(S_k), \qquad
    \text{total}_k = \tfrac1n \iota' S_k \iota, \qquad
    \text{indirect}_k = \text{total}_k - \text{direct}_k .

For SLX and SDEM this gives direct :math:`\beta_k + \theta_k\,\mathrm{tr}(W)/n` (:math:`=\beta_k`
for a zero diagonal) and indirect :math:`\theta_k\,\iota'W\iota/n` -- correct for weights that
are not row-standardised; for SEM direct :math:`\beta_k` and no indirect effect.

**Split by a partition.** For a labelling of the units into groups, the block from group
:math:`A` to group :math:`B` is

.. math::

    E_k(A \to B) = \tfrac{1}{c} \sum_{i \in B} \sum_{j \in A} S_k[i, j]
                 = \tfrac{1}{c}\,\iota_B' S_k\, \iota_A ,

the effect on the units of :math:`B` of raising :math:`x_k` by one in every unit of :math:`A`.
With ``normalize="total"`` (default) :math:`c = n`: the blocks add up to the total effect, and
with one group the only block *is* the total effect. With ``normalize="to"``
:math:`c = |B|`: the effect on the average unit of :math:`B` (these do not add up to the total).

**Per-unit effects** (for maps): :math:`\text{direct}_i = S_k[i,i]`,
:math:`\text{total}_i = \sum_j S_k[i, j]` (received: the effect on unit :math:`i` of raising
:math:`x_k` everywhere) or :math:`\sum_j S_k[j, i]` (emitted); their means over the units are
the direct and total effects.

**Computation.** Given :math:`\rho`, every summary is linear in :math:`(\beta_k, \theta_k)`, so
:class:`EffectsKernel` computes only the :math:`\rho`-dependent multipliers, e.g.
:math:`\text{direct}_k = \beta_k\,a_d(\rho) + \theta_k\,b_d(\rho)` with
:math:`a_d = \mathrm{tr}(I-\rho W)^{-1}/n` and :math:`b_d = \mathrm{tr}\,[(I-\rho W)^{-1}W]/n`.

* ``trace_method="exact"`` (automatic for :math:`n \le` ``EXACT_MAX_N``): traces from the dense
  eigenvalues, :math:`a_d = \frac1n\sum_i (1-\rho\lambda_i)^{-1}`; totals from the closed form
  :math:`1/(1-\rho)` when *every* row of :math:`W` sums to one, otherwise (islands, other
  scalings) from a sparse LU solve :math:`(I-\rho W)^{-1}[\iota, W\iota]`; blocks from one sparse
  LU per draw with the :math:`2G` right-hand sides :math:`[\iota_A, W\iota_A]`.
* ``trace_method="power"``: the series :math:`(I-\rho W)^{-1} = \sum_{j\le q}\rho^j W^j` with
  Hutchinson estimates of :math:`\mathrm{tr}(W^j)` (exact for :math:`j\le2`), exact group
  moments :math:`\iota_B'W^j\iota_A`, and :math:`q` chosen so that the truncation error is
  below ``tol`` for the largest :math:`|\rho|` drawn (:func:`spatialflow.models._linalg.traces.series_order`).

Design for :math:`n = 10^6`: on the power path every quantity costs :math:`O(\mathrm{nnz}(W))`
per probe, group indicator and power (computed once, then reused by all draws, which cost
:math:`O(q)` each); no dense :math:`n \times n` matrix or inverse is formed. Per-unit effects
keep an ``n_draws x n`` array per regressor.

**Inference.** ``method="simulation"`` draws the parameters from their asymptotic normal
:math:`N(\hat\phi, \hat\Sigma)` (seeded), rejects draws with :math:`\rho` outside the
admissible interval (counted in ``DataFrame.attrs["rejected_draws"]``, and topped up so that
``n_draws`` draws are used), and reports the standard deviation of the simulated effects as SE,
:math:`z = \hat e / SE` (the point estimate over the SE; R's ``summary.LagImpacts`` divides the
*mean* of the draws instead), two-sided normal p-values and percentile intervals.
``method="delta"`` uses :math:`SE = \sqrt{g'\hat\Sigma g}` with the gradient :math:`g` of the
effect with respect to :math:`(\rho, \beta, \theta)` (exact in :math:`\beta, \theta`, a central
difference in :math:`\rho`) and normal intervals.

References
----------
LeSage, J. and Pace, R. K. (2009). *Introduction to Spatial Econometrics*, ch. 2.7 and 4.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.linalg as la
import scipy.sparse as sp
from ... import _stats as stats  # scipy.stats kernels without its 0.5 s import

from ..._typing import (BlockNormalization, EffectsDirection, EffectsInference,
                       TraceMethod, check_option)
from ..._validation import check_count, check_seed, check_level
from ..._vocabulary import WIDE_SUFFIXES
from ...exceptions import (
    ApproximationWarning,
    EigenvalueBoundsError,
    EffectsInterpretationWarning,
    EmptyInputError,
    IdMismatchError,
    InputError,
    MissingDataError,
    ModelSpecificationError,
    format_ids,
)
from .._linalg import traces as _tr

from .._linalg.logdet_approx import TraceLogDet
from .._linalg.memory import check_draws_memory, check_memory
from .._linalg.operator import SpatialOperator
from .._design.naming import MODEL_KINDS, is_lag_name, kind_flags, lag_name, parse_lag_name

if TYPE_CHECKING:  # an annotation only
    from .base import SpatialResults

__all__ = [
    "EXACT_MAX_N",
    "EffectsKernel",
    "effects_table",
    "effects_blocks",
    "effects_units",
    "compute_effects",
    "compute_unit_effects",
]

#: Largest n for which ``trace_method="auto"`` uses the exact (dense-eigenvalue) path.
EXACT_MAX_N = 2000
#: Largest n for which the exact path is allowed at all (dense n x n memory).
DENSE_LIMIT_N = 20000
#: Largest n for which per-unit direct effects of a non-symmetrisable W use a dense inverse.
_DENSE_DIAG_MAX_N = 2000
#: Columns of powers of rho per draw in the series of the effects (the default max_order of
#: EffectsKernel, plus one): the memory check of the draws plans for the longest series.
_MAX_SERIES_TERMS = 1001

# Kinds with rho (W in y) and every kind, from the one table of model kinds.
LAG_KINDS = tuple(k for k, f in MODEL_KINDS.items() if f.lag_y)
KINDS = tuple(MODEL_KINDS)
_EFFECTS = ("direct", "indirect", "total")


# --------------------------------------------------------------------------------------------
# The rho-dependent multipliers
# --------------------------------------------------------------------------------------------
class EffectsKernel:
    r"""Multipliers of :math:`(\beta_k, \theta_k)` in the effects, as functions of :math:`\rho`.

    Parameters
    ----------
    W : sparse matrix, n x n
        Spatial weights aligned with the units.
    trace_method : {"auto", "exact", "power"}
        See the module docstring. ``"power"`` at :math:`n \le` ``EXACT_MAX_N`` (where exact is
        cheap) emits an :class:`~spatialflow.exceptions.ApproximationWarning`.
    tol : float
        Truncation tolerance of the power series (per unit coefficient).
    max_order : int
        Cap on the series order; if it binds, an ``ApproximationWarning`` states the bound.
    n_probes : int
        Hutchinson probes for :math:`\mathrm{tr}(W^j)` and :math:`\mathrm{diag}(W^j)`.
    seed : int
        Seed of the probes.
    exact_diag_order : int
        Powers of ``W`` whose diagonals (per-unit direct effects, power path) are computed
        exactly by sparse products before the stochastic estimate takes over.
    """

    def __init__(self, W, *, trace_method: TraceMethod = "auto", tol: float = 1e-8,
                 max_order: int = 1000, n_probes: int = 50, seed: int = 0,
                 exact_diag_order: int = 4, traces=None):
        W = sp.csr_matrix(W, dtype=float)
        if W.ndim != 2 or W.shape[0] != W.shape[1]:
            raise InputError(f"W must be a square matrix; shape {W.shape} was given.")
        self.W = W
        self.n = n = W.shape[0]
        check_option(trace_method, TraceMethod, "trace_method")
        if trace_method == "auto":
            trace_method = "exact" if n <= EXACT_MAX_N else "power"
        elif trace_method == "power" and n <= EXACT_MAX_N:
            warnings.warn(
                f"trace_method='power' approximates the traces stochastically, but n = {n} <= "
                f"{EXACT_MAX_N} where the exact method is cheap; use trace_method='exact' "
                "(or 'auto') for exact effects.",
                ApproximationWarning,
                stacklevel=3,
            )
        elif trace_method == "exact" and n > DENSE_LIMIT_N:
            raise InputError(
                f"trace_method='exact' needs dense n x n eigenvalues; n = {n} exceeds "
                f"{DENSE_LIMIT_N}. Use trace_method='power' (or 'auto')."
            )
        self.trace_method = trace_method
        # Direct-effect multipliers from the log-determinant's trace approximation
        # (spatialflow.models._linalg.logdet_approx): computed once for the fit and reused here, with
        # their Monte Carlo standard error and truncation bound (see ``approximation``).
        self.traces = None
        if trace_method == "power" and traces is not None and traces.n == n:
            self.traces = traces
            self.trace_method = traces.method
        self.tol, self.max_order = float(tol), int(max_order)
        self.n_probes, self.seed = int(n_probes), seed
        self.exact_diag_order = int(exact_diag_order)
        self.row_sums = np.asarray(W.sum(axis=1)).ravel()
        # The row sums serve all three facts (each was its own pass over W: 0.07 s at
        # n = 10^6): the same sums as is_row_standardised's, and for W >= 0 the same as
        # inf_norm's (|w| = w), so the same numbers.
        self.all_rows_one = bool(np.all(np.abs(self.row_sums - 1.0) <= _tr.ROW_SUM_ATOL))
        nonneg = W.nnz == 0 or float(W.data.min()) >= 0.0
        self.norm = (float(np.max(self.row_sums, initial=0.0)) if nonneg
                     else _tr.inf_norm(W))
        self._eig = None          # SymmetricEigen, or eigenvalues array
        self._values = None       # eigenvalues only
        self._traces = None       # Hutchinson tr(W^j)
        self._moments = None      # exact iota' W^j iota (_total_moments)
        self.truncation_bound = 0.0
        self.order = 0

    # -- helpers ---------------------------------------------------------------------------
    def _eigen(self):
        if self._eig is None:
            sym = _tr.symmetric_eigen(self.W)
            self._eig = sym if sym is not None else _tr.eigenvalues(self.W)
        return self._eig

    def _eigenvalues(self) -> np.ndarray:
        # Eigenvalues alone are several times cheaper than the vectors (needed per unit only).
        if self._eig is not None:
            return self._eig.values if isinstance(self._eig, _tr.SymmetricEigen) else self._eig
        if self._values is None:
            self._values = _tr.eigenvalues(self.W)
        return self._values

    def _order_for(self, rhos: np.ndarray) -> int:
        q, bound = _tr.series_order(float(np.max(np.abs(rhos), initial=0.0)), self.norm,
                                    tol=self.tol, max_order=self.max_order)
        if bound > self.tol:
            warnings.warn(
                f"the power series for the effects is truncated at order {q}; its error bound "
                f"|rho|*||W||_inf = {np.max(np.abs(rhos)) * self.norm:.3g} gives {bound:.3g} > "
                f"tol = {self.tol:g}. Increase max_order or use trace_method='exact'.",
                ApproximationWarning,
                stacklevel=4,
            )
        self.order, self.truncation_bound = q, bound
        return q

    def _trace_powers(self, order: int) -> np.ndarray:
        if self._traces is None or len(self._traces) < order + 1:
            self._traces = _tr.trace_powers(self.W, order, method="hutchinson",
                                            n_probes=self.n_probes, seed=self.seed)
        return self._traces[: order + 1]

    def _total_moments(self, order: int) -> np.ndarray:
        r""":math:`\iota'W^j\iota`, j = 0..``order`` (exact), kept for the kernel's later calls:
        the point estimate and the draws ask for them in turn, and a lower order is a prefix
        of a higher one (the same repeated products), so the numbers do not depend on the
        order of the calls. A quarter more than asked is computed at once: the draws of
        :math:`\rho` reach a little beyond the estimate, which asks first."""
        if self._moments is None or len(self._moments) < order + 1:
            self._moments = _tr.group_moments(self.W, np.ones((self.n, 1)),
                                              order + order // 4 + 4)[:, 0, 0]
        return self._moments[: order + 1]

    def _lu(self, rho: float):
        return SpatialOperator.of(self.W).factor(rho)

    @staticmethod
    def _vander(rhos: np.ndarray, order: int) -> np.ndarray:
        return np.power.outer(np.asarray(rhos, dtype=float), np.arange(order + 1))

    # -- scalar multipliers ----------------------------------------------------------------
    def scalars(self, rhos) -> dict[str, np.ndarray]:
        r"""``a_d, b_d, a_t, b_t`` for each :math:`\rho`: direct = :math:`\beta a_d + \theta b_d`,
        total = :math:`\beta a_t + \theta b_t`."""
        rhos = np.atleast_1d(np.asarray(rhos, dtype=float))
        n, W = self.n, self.W
        if not np.any(rhos):
            one = np.ones_like(rhos)
            return dict(a_d=one, b_d=one * W.diagonal().sum() / n, a_t=one,
                        b_t=one * self.row_sums.sum() / n)
        if self.traces is not None:
            a_d, b_d = self._direct_from_traces(rhos)
            if self.all_rows_one:
                a_t = 1.0 / (1.0 - rhos)
                return dict(a_d=a_d, b_d=b_d, a_t=a_t, b_t=a_t.copy())
            q = self._order_for(rhos)
            m = self._total_moments(q + 1)
            V = self._vander(rhos, q)
            return dict(a_d=a_d, b_d=b_d, a_t=V @ m[:-1] / n, b_t=V @ m[1:] / n)
        if self.trace_method == "power":
            q = self._order_for(rhos)
            t = self._trace_powers(q + 1)
            m = self._total_moments(q + 1)
            V = self._vander(rhos, q)
            return dict(a_d=V @ t[:-1] / n, b_d=V @ t[1:] / n,
                        a_t=V @ m[:-1] / n, b_t=V @ m[1:] / n)
        lam = self._eigenvalues()
        a_d = np.empty_like(rhos)
        b_d = np.empty_like(rhos)
        chunk = max(1, int(4e6 // max(n, 1)))  # bound the (draws x n) work array
        for s in range(0, len(rhos), chunk):
            inv = 1.0 / (1.0 - np.multiply.outer(rhos[s:s + chunk], lam))
            a_d[s:s + chunk] = np.real(inv.mean(axis=1))
            b_d[s:s + chunk] = np.real((inv * lam).mean(axis=1))
        if self.all_rows_one:
            a_t = 1.0 / (1.0 - rhos)
            b_t = a_t.copy()
        else:
            # Islands or another scaling: the closed form is wrong, solve instead.
            P, Q = self.blocks(rhos, np.ones((n, 1)), normalize_by=np.array([n]))
            a_t, b_t = P[:, 0, 0], Q[:, 0, 0]
        return dict(a_d=a_d, b_d=b_d, a_t=a_t, b_t=b_t)

    def _direct_from_traces(self, rhos: np.ndarray):
        r""":math:`a_d = \mathrm{tr}(I-\rho W)^{-1}/n` and
        :math:`b_d = \mathrm{tr}[(I-\rho W)^{-1}W]/n = (n a_d - n)/(n\rho)` from the traces."""
        n = self.n
        # The draws of rho reach beyond the estimate: raise the order if the bound needs it.
        tr = self.traces = self.traces.for_inverse(rhos, self.tol)
        a_d = tr.tr_inverse(rhos) / n
        small = np.abs(rhos) < 1e-8
        with np.errstate(divide="ignore", invalid="ignore"):
            b_d = np.where(small, self.W.diagonal().sum() / n, (a_d - 1.0) / rhos)
        bound = max(tr.tr_inverse_bound(float(r)) for r in (rhos.min(), rhos.max())) / n
        if bound > self.tol:
            warnings.warn(
                f"the {tr.method} series of order {tr.order} bounds the truncation error of "
                f"tr(I - rho W)^-1 / n by {bound:.3g} > tol = {self.tol:g} at the simulated rho; "
                "raise the series order (the logdet option order=) or use trace_method='exact'.",
                ApproximationWarning, stacklevel=4)
        self.order, self.truncation_bound = tr.order, bound
        return a_d, b_d

    def approximation(self, rho: float, beta: np.ndarray, theta: np.ndarray) -> dict | None:
        r"""How approximate the direct effects are at ``rho`` (None when they are exact).

        ``direct_mc_se`` is the Monte Carlo standard error of each direct effect over the trace
        probes (:math:`|\beta_k + \theta_k/\rho|\,SE[\mathrm{tr}(I-\rho W)^{-1}]/n`),
        ``truncation_bound`` the deterministic bound per unit coefficient. Total effects are
        exact (closed form for a row-standardised W, exact moments otherwise).
        """
        if self.traces is None:
            if self.trace_method != "power":
                return None
            return dict(method="power (Hutchinson)", n_probes=self.n_probes,
                        order=self.order, truncation_bound=self.truncation_bound,
                        direct_mc_se=None)
        tr, n = self.traces, self.n
        se = tr.tr_inverse_se(rho) / n
        mult = beta + (theta / rho if abs(rho) > 1e-8 else 0.0)
        # the float32 probes' rounding bound on tr(I - rho W)^-1 (logdet_approx)
        rounding = getattr(tr, "rounding_bound", None)
        return dict(method=tr.method, n_probes=tr.n_probes, order=tr.order, seed=tr.seed,
                    truncation_bound=tr.tr_inverse_bound(rho) / n,
                    direct_mc_se=np.abs(mult) * se,
                    direct_rounding_bound=(np.abs(mult) * rounding(rho)["tr_inverse"] / n
                                           if rounding is not None else None))

    # -- partition blocks ------------------------------------------------------------------
    def blocks(self, rhos, indicators: np.ndarray, *, normalize_by: np.ndarray):
        r"""Block multipliers ``P, Q`` of shape ``(R, G_to, G_from)``.

        :math:`P[b, a] = \iota_b'(I-\rho W)^{-1}\iota_a / c_b`,
        :math:`Q[b, a] = \iota_b'(I-\rho W)^{-1}W\iota_a / c_b` with ``c = normalize_by``
        (length ``G``, by receiving group).
        """
        rhos = np.atleast_1d(np.asarray(rhos, dtype=float))
        ind = np.asarray(indicators, dtype=float)
        W, G = self.W, ind.shape[1]
        c = np.asarray(normalize_by, dtype=float)[None, :, None]
        WI = W @ ind
        if not np.any(rhos):
            P = np.broadcast_to(ind.T @ ind, (len(rhos), G, G))
            Q = np.broadcast_to(ind.T @ WI, (len(rhos), G, G))
            return P / c, Q / c
        if self.trace_method == "power":
            q = self._order_for(rhos)
            M = _tr.group_moments(W, ind, q + 1)
            V = self._vander(rhos, q)
            P = np.einsum("rj,jba->rba", V, M[:-1])
            Q = np.einsum("rj,jba->rba", V, M[1:])
            return P / c, Q / c
        rhs = np.hstack([ind, WI])
        P = np.empty((len(rhos), G, G))
        Q = np.empty((len(rhos), G, G))
        for r, rho in enumerate(rhos):
            X = self._lu(rho).solve(rhs)
            P[r] = ind.T @ X[:, :G]
            Q[r] = ind.T @ X[:, G:]
        return P / c, Q / c

    # -- per-unit multipliers ----------------------------------------------------------------
    def units(self, rhos) -> dict[str, np.ndarray]:
        r"""Per-unit multipliers, each ``(R, n)``: ``diag_a``, ``diag_b`` (the diagonals of
        :math:`(I-\rho W)^{-1}` and :math:`(I-\rho W)^{-1}W`) and ``row_a``, ``row_b`` (their
        row sums)."""
        rhos = np.atleast_1d(np.asarray(rhos, dtype=float))
        W, n, R = self.W, self.n, len(rhos)
        if not np.any(rhos):
            one = np.ones((R, n))
            return dict(diag_a=one, diag_b=one * W.diagonal(), row_a=one,
                        row_b=one * self.row_sums)
        if self.trace_method == "power":
            return self._units_power(rhos)
        row_a = np.empty((R, n))
        row_b = np.empty((R, n))
        rhs = np.column_stack([np.ones(n), self.row_sums])
        for r, rho in enumerate(rhos):
            X = self._lu(rho).solve(rhs)
            row_a[r], row_b[r] = X[:, 0], X[:, 1]
        eig = self._eigen()
        if isinstance(eig, _tr.SymmetricEigen):
            U2 = eig.vectors**2
            inv = 1.0 / (1.0 - np.multiply.outer(rhos, eig.values))   # (R, n)
            diag_a = inv @ U2.T
            diag_b = (inv * eig.values) @ U2.T
        elif n <= _DENSE_DIAG_MAX_N:
            # Dense only for small n, where it is exact and cheap.
            Wd = W.toarray()
            diag_a = np.empty((R, n))
            diag_b = np.empty((R, n))
            for r, rho in enumerate(rhos):
                Ainv = la.inv(np.eye(n) - rho * Wd)
                diag_a[r] = np.diag(Ainv)
                diag_b[r] = np.einsum("ij,ji->i", Ainv, Wd)
        else:
            diag_a, diag_b = self._diag_power(rhos)
        return dict(diag_a=diag_a, diag_b=diag_b, row_a=row_a, row_b=row_b)

    def _diag_power(self, rhos):
        r"""Diagonals by the series: :math:`\mathrm{diag}(W^j)` exactly for
        :math:`j \le` ``exact_diag_order`` (sparse products; ``nnz(W^j)`` grows like
        :math:`j^2 \cdot` degree on planar graphs), and for higher powers the Hutchinson-type
        estimate :math:`\frac1p\sum_l z_l\circ W^j z_l`, whose error (a sum over the
        off-diagonal of :math:`W^j`) is damped by :math:`\rho^j`."""
        W, n = self.W, self.n
        q = self._order_for(rhos)
        V = self._vander(rhos, q + 1)                        # (R, q+2)
        diag_a = np.zeros((len(rhos), n))
        diag_b = np.zeros((len(rhos), n))

        def add(j, dj):
            if j <= q:
                diag_a[:] += np.outer(V[:, j], dj)
            if 1 <= j <= q + 1:
                diag_b[:] += np.outer(V[:, j - 1], dj)

        add(0, np.ones(n))
        m = min(self.exact_diag_order, q + 1)
        Wt = W.T.tocsr()
        P = sp.identity(n, format="csr")
        for j in range(1, m + 1):
            add(j, np.asarray(P.multiply(Wt).sum(axis=1)).ravel())   # diag(W^(j-1) W)
            if j < m:
                P = (P @ W).tocsr()
        if q + 1 > m:
            rng = np.random.default_rng(self.seed)
            Z = rng.choice(np.array([-1.0, 1.0]), size=(n, self.n_probes))
            Y = Z
            for _ in range(m):
                Y = W @ Y
            for j in range(m + 1, q + 2):
                Y = W @ Y
                add(j, np.mean(Z * Y, axis=1))
        return diag_a, diag_b

    def _units_power(self, rhos):
        W, n = self.W, self.n
        q = self._order_for(rhos)
        V = self._vander(rhos, q + 1)
        row_a = np.zeros((len(rhos), n))
        row_b = np.zeros((len(rhos), n))
        v = np.ones(n)
        for j in range(q + 2):       # v = W^j iota
            if j <= q:
                row_a += np.outer(V[:, j], v)
            if j >= 1:
                row_b += np.outer(V[:, j - 1], v)
            v = W @ v
        diag_a, diag_b = self._diag_power(rhos)
        return dict(diag_a=diag_a, diag_b=diag_b, row_a=row_a, row_b=row_b)


# --------------------------------------------------------------------------------------------
# Parameters, draws and inference
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    """Where rho, the betas and the thetas of each reported regressor sit in ``params``."""

    kind: str
    variables: list[str]
    rho_name: str | None
    beta_names: list[str | None]
    theta_names: list[str | None]

    @property
    def used(self) -> list[str]:
        names = [self.rho_name] if self.rho_name else []
        for b, t in zip(self.beta_names, self.theta_names):
            names += [x for x in (b, t) if x is not None]
        return names


def _make_spec(params: pd.Series, kind: str, exog_names=None, lagged_names=None) -> _Spec:
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}; {kind!r} was given instead.")
    index = list(params.index)
    if exog_names is None:
        exog_names = [p for p in index if p not in ("rho", "lambda") and not is_lag_name(p)]
    if lagged_names is None:
        lagged_names = [parse_lag_name(p) for p in index if is_lag_name(p)]
    # Intercepts (also regime intercepts "Intercept[r]") have no marginal effect.
    variables = [x for x in exog_names if not _is_intercept(x)]
    variables += [x for x in lagged_names if x not in variables and not _is_intercept(x)]
    beta = [x if x in exog_names else None for x in variables]
    theta = [lag_name(x) if x in lagged_names else None for x in variables]
    rho = "rho" if kind_flags(kind).lag_y else None
    missing = [p for p in ([rho] if rho else []) + beta + theta if p is not None and p not in index]
    if missing:
        raise InputError(
            f"params of a {kind} model must contain {format_ids(missing)}; "
            f"it has {format_ids(index)}."
        )
    return _Spec(kind, variables, rho, beta, theta)


def _unpack(spec: _Spec, P: np.ndarray):
    """Split draws ``P`` (R x len(spec.used)) into rho (R,), beta (R, K), theta (R, K)."""
    pos = {name: i for i, name in enumerate(spec.used)}
    R = P.shape[0]
    rho = P[:, pos[spec.rho_name]] if spec.rho_name else np.zeros(R)
    def cols(names):
        return np.column_stack([P[:, pos[x]] if x else np.zeros(R) for x in names]) \
            if names else np.zeros((R, 0))
    return rho, cols(spec.beta_names), cols(spec.theta_names)


def _draw(mean: np.ndarray, cov: np.ndarray, n_draws: int, rng: np.random.Generator,
          rho_index: int | None, bounds) -> tuple[np.ndarray, int]:
    """``n_draws`` admissible draws from N(mean, cov) and the number rejected on the way."""
    # Draw on the correlation scale and rescale: regressors in yuan next to shares give
    # covariances spanning many orders of magnitude, and an eigendecomposition of the raw
    # matrix loses the small-variance directions to rounding (their SEs come out wrong).
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    scale = np.where(sd > 0, sd, 1.0)
    corr = cov / np.outer(scale, scale)
    draws, masks = [], []
    for _ in range(100):
        P = mean + rng.multivariate_normal(np.zeros(len(mean)), corr, size=n_draws,
                                           method="eigh") * sd
        ok = np.ones(n_draws, dtype=bool)
        if rho_index is not None:
            lo, hi = bounds
            ok = (P[:, rho_index] > lo) & (P[:, rho_index] < hi)
        draws.append(P)
        masks.append(ok)
        mask = np.concatenate(masks)
        if mask.sum() >= n_draws:
            # Count rejections only up to the n_draws-th accepted draw (the stream used).
            last = np.flatnonzero(mask)[n_draws - 1]
            return np.vstack(draws)[: last + 1][mask[: last + 1]], int((~mask[:last + 1]).sum())
    total, rejected = int(mask.sum()), int((~mask).sum())
    raise ModelSpecificationError(
        f"only {total} of {total + rejected} simulated rho values fell inside the admissible "
        f"interval {tuple(bounds)}; the estimate is at its bound and simulation inference is "
        "not meaningful. Use method='delta' or check the model."
    )


def _take(obj, names: list) -> np.ndarray:
    """``obj[names]`` of a Series (or ``obj.loc[names, names]`` of a DataFrame) as floats,
    by positions when the labels are unique (label lookups through pandas cost a few ms
    per call: a tenth of the effects at n = 2,875)."""
    if isinstance(obj, pd.DataFrame):
        if obj.index.is_unique and obj.columns.is_unique:
            rows, cols = obj.index.get_indexer(names), obj.columns.get_indexer(names)
            return obj.to_numpy(dtype=float)[np.ix_(rows, cols)]
        return obj.loc[names, names].to_numpy(dtype=float)
    if obj.index.is_unique:
        return obj.to_numpy(dtype=float)[obj.index.get_indexer(names)]
    return obj[names].to_numpy(dtype=float)


def _default_bounds(W) -> tuple[float, float]:
    """The admissible interval of rho when the results carry none (the operator's)."""
    return SpatialOperator.of(W).bounds()


def _infer(evaluate, spec: _Spec, params: pd.Series, cov, *, n_draws: int, seed,
           method: str, level: float, bounds, W):
    """Point values, SEs, z, p and intervals of ``evaluate(rho, beta, theta) -> dict``.

    Each value of the dict is an array with a leading draws axis.
    """
    # Checked whatever the method, so a bad value is never silently ignored.
    n_draws = check_count(n_draws, "n_draws", minimum=2)
    seed = check_seed(seed, "seed", allow_none=True)
    check_option(method, EffectsInference, "method")
    level = check_level(level)
    used = spec.used
    mean = _take(params, used)
    rho_index = used.index(spec.rho_name) if spec.rho_name else None
    point = {k: v[0] for k, v in evaluate(*_unpack(spec, mean[None, :])).items()}
    if cov is None:
        raise InputError("a covariance matrix of the parameters is needed for inference; "
                         "None was given.")
    if not isinstance(cov, pd.DataFrame):
        cov = pd.DataFrame(cov)
    absent = [u for u in used if u not in cov.index or u not in cov.columns]
    if absent:
        raise InputError(f"cov lacks rows/columns {format_ids(absent)} needed for the effects.")
    S = _take(cov, used)
    if not np.all(np.isfinite(S)):
        raise MissingDataError("the covariance of the parameters has non-finite entries.")
    info = dict(method=method, level=level, n_draws=0, rejected_draws=0, seed=seed)
    zc = stats.norm.ppf(0.5 + level / 2)
    out = {}
    if method == "simulation":
        # the draws, the values they give and (with rho) a row of powers of rho per draw
        per_draw = (len(mean) + sum(np.size(v) for v in point.values())
                    + (_MAX_SERIES_TERMS if rho_index is not None else 0))
        check_draws_memory(n_draws, per_draw, what="simulating the effects' distribution")
        if rho_index is not None and bounds is None:
            bounds = _default_bounds(W)
        rng = np.random.default_rng(seed)
        P, rejected = _draw(mean, S, int(n_draws), rng, rho_index, bounds)
        sims = evaluate(*_unpack(spec, P))
        info.update(n_draws=int(n_draws), rejected_draws=rejected)
        alpha = (1 - level) / 2
        for k, v in sims.items():
            se = v.std(axis=0, ddof=1)
            lo, hi = np.quantile(v, [alpha, 1 - alpha], axis=0)
            out[k] = (point[k], se, lo, hi)
    else:
        # Central differences; exact for the (linear) beta and theta directions.
        steps = 1e-6 * np.maximum(1.0, np.abs(mean))
        grads = {k: np.empty(v.shape + (len(mean),)) for k, v in point.items()}
        for i in range(len(mean)):
            up, dn = mean.copy(), mean.copy()
            up[i] += steps[i]
            dn[i] -= steps[i]
            f = evaluate(*_unpack(spec, np.vstack([up, dn])))
            for k in grads:
                grads[k][..., i] = (f[k][0] - f[k][1]) / (2 * steps[i])
        for k, g in grads.items():
            se = np.sqrt(np.maximum(np.einsum("...i,ij,...j->...", g, S, g), 0.0))
            out[k] = (point[k], se, point[k] - zc * se, point[k] + zc * se)
    result = {}
    for k, (pt, se, lo, hi) in out.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, pt / se, np.nan)
        p = 2 * stats.norm.sf(np.abs(z))
        result[k] = dict(point=pt, se=se, z=z, p=p, lower=lo, upper=hi)
    return result, info


# --------------------------------------------------------------------------------------------
# Pure functions on plain inputs
# --------------------------------------------------------------------------------------------
def effects_table(params: pd.Series, cov, W, *, kind: str, n_draws: int = 1000, seed=0,
                  method: EffectsInference = "simulation", trace_method: TraceMethod = "auto", level: float = 0.95,
                  bounds=None, exog_names=None, lagged_names=None, kernel=None,
                  **kernel_options) -> pd.DataFrame:
    r"""Direct, indirect and total effects of every regressor, with inference.

    Parameters
    ----------
    params : pandas.Series
        Estimates named as in spatialflow (``Intercept``, ``x``, ``W_x``, ``rho``/``lambda``).
    cov : pandas.DataFrame
        Their covariance (at least over ``rho`` and the betas/thetas of the regressors).
    W : sparse matrix, n x n
    kind : {"OLS", "SLX", "SAR", "SEM", "SDM", "SDEM"}
    n_draws, seed, method, trace_method, level
        See :func:`compute_effects`.
    bounds : (float, float), optional
        Admissible interval of :math:`\rho` (default from the eigenvalues of ``W``).
    exog_names, lagged_names : list of str, optional
        Names of the regressors and of the lagged ones (default: from ``params``' names).

    Returns
    -------
    pandas.DataFrame
        Indexed by regressor, columns ``direct, indirect, total``, then ``*_std_error``,
        ``*_statistic``, ``*_p_value``, ``*_lower``, ``*_upper``; ``attrs`` holds ``n_draws``, ``rejected_draws``,
        ``method``, ``trace_method``, ``level``, ``seed``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, scipy.sparse as sp
    >>> W = sp.csr_matrix(np.array([[0, 1, 0], [.5, 0, .5], [0, 1, 0]]))
    >>> p = pd.Series({"Intercept": 1.0, "x": 2.0, "rho": 0.5})
    >>> cov = pd.DataFrame(np.diag([1.0, 0.01, 0.01]), index=p.index, columns=p.index)
    >>> t = effects_table(p, cov, W, kind="SAR", method="delta")
    >>> float(round(t.loc["x", "total"], 6))   # beta / (1 - rho) for a row-standardised W
    4.0
    """
    spec = _make_spec(params, kind, exog_names, lagged_names)
    kernel = kernel or EffectsKernel(W, trace_method=trace_method, seed=seed, **kernel_options)

    def evaluate(rho, beta, theta):
        m = kernel.scalars(rho)
        direct = beta * m["a_d"][:, None] + theta * m["b_d"][:, None]
        total = beta * m["a_t"][:, None] + theta * m["b_t"][:, None]
        return dict(direct=direct, indirect=total - direct, total=total)

    res, info = _infer(evaluate, spec, params, cov, n_draws=n_draws, seed=seed, method=method,
                       level=level, bounds=bounds, W=kernel.W)
    mean = _unpack(spec, _take(params, spec.used)[None, :])
    approx = kernel.approximation(float(mean[0][0]), mean[1][0], mean[2][0])
    for key in ("direct_mc_se", "direct_rounding_bound"):
        if approx is not None and approx.get(key) is not None:
            approx[key] = dict(zip(spec.variables, map(float, approx[key])))
    cols = {}
    for stat, suffix in WIDE_SUFFIXES:
        for e in _EFFECTS:
            cols[e + suffix] = res[e][stat]
    frame = pd.DataFrame(cols, index=pd.Index(spec.variables, name="variable"))
    frame.attrs.update(info, trace_method=kernel.trace_method, kind=kind,
                       approximation=approx)
    return frame


def _is_intercept(name: str) -> bool:
    return name == "Intercept" or name.startswith("Intercept[")


def _partition_codes(labels: pd.Series, ids: pd.Index):
    """Validate a partition against the model's ids; return codes, group names, sizes."""
    if isinstance(labels, Mapping) and not isinstance(labels, pd.Series):
        labels = pd.Series(dict(labels))
    if not isinstance(labels, pd.Series):
        raise InputError(
            "partition must be a pandas Series (or dict) mapping unit ids to group labels, or "
            f"the name of a data column; a {type(labels).__name__} was given. Unit positions are "
            "not accepted, so that labels meet units by id."
        )
    if labels.index.has_duplicates:
        dup = labels.index[labels.index.duplicated()].unique()
        raise InputError(f"partition ids must be unique; duplicated ids: {format_ids(dup)}.")
    extra = labels.index.difference(ids, sort=False)
    missing = ids.difference(labels.index, sort=False)
    if len(extra) or len(missing):
        raise IdMismatchError(
            "the partition must label exactly the units of the model: "
            f"{len(extra)} id(s) in the partition are not in the model {format_ids(extra)}; "
            f"{len(missing)} unit(s) of the model have no label {format_ids(missing)}."
        )
    labels = labels.reindex(ids)
    if labels.isna().any():
        raise MissingDataError(
            f"the partition has missing labels for ids {format_ids(ids[labels.isna().to_numpy()])}."
        )
    if isinstance(labels.dtype, pd.CategoricalDtype):
        groups = list(labels.cat.categories)
        empty = [g for g in groups if not (labels == g).any()]
        if empty:
            raise EmptyInputError(
                f"every group of the partition needs at least one unit; groups {format_ids(empty)}"
                " are empty (unused categories). Drop them with .cat.remove_unused_categories()."
            )
    else:
        groups = list(pd.unique(labels))
        try:
            groups = sorted(groups)
        except TypeError:  # mixed label types: keep first-appearance order
            pass
    codes = pd.Index(groups).get_indexer(labels.to_numpy())
    sizes = np.bincount(codes, minlength=len(groups))
    return codes, groups, sizes


def effects_blocks(params: pd.Series, cov, W, labels, ids, *, kind: str, n_draws: int = 1000,
                   seed=0, method: EffectsInference = "simulation", trace_method: TraceMethod = "auto",
                   level: float = 0.95, normalize: BlockNormalization = "total", bounds=None,
                   exog_names=None, lagged_names=None, kernel=None,
                   **kernel_options) -> pd.DataFrame:
    r"""Effects split by a partition of the units: blocks :math:`E_k(A\to B)`, with inference.

    .. math::

        E_k(A \to B) = \tfrac1c\,\iota_B'(I-\rho W)^{-1}(\beta_k\iota_A + \theta_k W\iota_A),
        \qquad c = n \text{ (``normalize="total"``) or } |B| \text{ (``"to"``)}.

    With ``normalize="total"`` the blocks of a regressor sum to its total effect.

    Parameters
    ----------
    labels : pandas.Series or dict
        Group label of each unit, keyed by unit id.
    ids : sequence
        The ids of the rows/columns of ``W``.
    normalize : {"total", "to"}
        Divide by :math:`n` (blocks add up to the total effect) or by the size of the
        receiving group (effect on its average unit).

    Returns
    -------
    pandas.DataFrame
        Long form, one row per (``from``, ``to``, ``variable``), columns ``from, to, variable,
        effect, se, z, p, lower, upper, n_from, n_to``.
    """
    if kind == "OLS":
        raise ModelSpecificationError(
            "spillover blocks need a spatial model (SLX, SAR, SEM, SDM or SDEM); an OLS model has "
            "S_k = beta_k I and no spillovers to split."
        )
    check_option(normalize, BlockNormalization, "normalize")
    ids = pd.Index(ids)
    codes, groups, sizes = _partition_codes(labels, ids)
    spec = _make_spec(params, kind, exog_names, lagged_names)
    kernel = kernel or EffectsKernel(W, trace_method=trace_method, seed=seed, **kernel_options)
    if len(ids) != kernel.n:
        raise InputError(f"ids has {len(ids)} entries but W is {kernel.n} x {kernel.n}.")
    G = len(groups)
    ind = np.zeros((kernel.n, G))
    ind[np.arange(kernel.n), codes] = 1.0
    c = np.full(G, float(kernel.n)) if normalize == "total" else sizes.astype(float)

    def evaluate(rho, beta, theta):
        P, Q = kernel.blocks(rho, ind, normalize_by=c)       # (R, to, from)
        blocks = (beta[:, :, None, None] * P[:, None] + theta[:, :, None, None] * Q[:, None])
        return dict(block=blocks)                              # (R, K, to, from)

    res, info = _infer(evaluate, spec, params, cov, n_draws=n_draws, seed=seed, method=method,
                       level=level, bounds=bounds, W=kernel.W)
    r = res["block"]
    K = len(spec.variables)
    k_i, b_i, a_i = np.meshgrid(np.arange(K), np.arange(G), np.arange(G), indexing="ij")
    k_i, b_i, a_i = k_i.ravel(), b_i.ravel(), a_i.ravel()
    groups_arr = np.asarray(groups, dtype=object)
    frame = pd.DataFrame({
        "from": groups_arr[a_i],
        "to": groups_arr[b_i],
        "variable": np.asarray(spec.variables, dtype=object)[k_i],
        "estimate": r["point"].ravel(),
        "std_error": r["se"].ravel(),
        "statistic": r["z"].ravel(),
        "p_value": r["p"].ravel(),
        "lower": r["lower"].ravel(),
        "upper": r["upper"].ravel(),
        "n_from": sizes[a_i],
        "n_to": sizes[b_i],
    })
    # variable, then from, then to: the natural reading order of a block table
    frame = frame.sort_values(["variable", "from", "to"], key=_order_key(spec.variables, groups),
                              kind="stable").reset_index(drop=True)
    frame.attrs.update(info, trace_method=kernel.trace_method, kind=kind, normalize=normalize)
    return frame


def _order_key(variables, groups):
    vpos = {v: i for i, v in enumerate(variables)}
    gpos = {g: i for i, g in enumerate(groups)}

    def key(col: pd.Series) -> pd.Series:
        lookup = vpos if col.name == "variable" else gpos
        return col.map(lookup)
    return key


def effects_units(params: pd.Series, cov, W, ids, *, kind: str, n_draws: int = 1000, seed=0,
                  method: EffectsInference = "simulation", trace_method: TraceMethod = "auto", level: float = 0.95,
                  direction: EffectsDirection = "received", bounds=None, exog_names=None, lagged_names=None,
                  **kernel_options) -> pd.DataFrame:
    r"""Per-unit direct, indirect and total effects (for maps), with inference.

    .. math::

        \text{direct}_{ik} = S_k[i, i], \quad
        \text{total}_{ik} = \textstyle\sum_j S_k[i, j] \text{ (received) or }
        \sum_j S_k[j, i] \text{ (emitted)}, \quad
        \text{indirect}_{ik} = \text{total}_{ik} - \text{direct}_{ik}.

    The means over the units are the direct, indirect and total effects. Emitted effects use
    :math:`S_k' = (I-\rho W')^{-1}(\beta_k I + \theta_k W')`.

    Returns
    -------
    pandas.DataFrame
        Long form with columns ``id, variable, direct, indirect, total`` and their
        ``_std_error``,
        ``_lower``, ``_upper``.
    """
    check_option(direction, EffectsDirection, "direction")
    ids = pd.Index(ids)
    spec = _make_spec(params, kind, exog_names, lagged_names)
    Wk = sp.csr_matrix(W, dtype=float)
    if direction == "emitted":
        Wk = Wk.T.tocsr()
    kernel = EffectsKernel(Wk, trace_method=trace_method, seed=seed, **kernel_options)
    if len(ids) != kernel.n:
        raise InputError(f"ids has {len(ids)} entries but W is {kernel.n} x {kernel.n}.")
    # Per-unit draws keep (draws x regressors x n) arrays for each of about ten quantities
    # (multipliers, effects, quantiles): refuse up front rather than swap at large n.
    draws = int(n_draws) if method == "simulation" else 2 * (len(spec.used) + 1)
    check_memory(10 * 8 * draws * max(len(spec.variables), 1) * kernel.n,
                 what=f"per-unit effects with {draws} draws of {len(spec.variables)} "
                      f"regressor(s) on n = {kernel.n} units",
                 advice="Use fewer draws (n_draws=), method='delta', or the summary effects "
                        "(results.effects()), whose memory does not grow with n.")

    def evaluate(rho, beta, theta):
        m = kernel.units(rho)                                   # each (R, n)
        direct = beta[:, :, None] * m["diag_a"][:, None] + theta[:, :, None] * m["diag_b"][:, None]
        total = beta[:, :, None] * m["row_a"][:, None] + theta[:, :, None] * m["row_b"][:, None]
        return dict(direct=direct, indirect=total - direct, total=total)   # (R, K, n)

    res, info = _infer(evaluate, spec, params, cov, n_draws=n_draws, seed=seed, method=method,
                       level=level, bounds=bounds, W=kernel.W)
    K, n = len(spec.variables), kernel.n
    cols = {
        "id": np.tile(ids.to_numpy(dtype=object), K),
        "variable": np.repeat(np.asarray(spec.variables, dtype=object), n),
    }
    for stat, suffix in WIDE_SUFFIXES:
        if stat in ("z", "p"):
            continue
        for e in _EFFECTS:
            cols[e + suffix] = res[e][stat].ravel()
    frame = pd.DataFrame(cols)
    frame.attrs.update(info, trace_method=kernel.trace_method, kind=kind, direction=direction)
    return frame


# --------------------------------------------------------------------------------------------
# On a fitted model
# --------------------------------------------------------------------------------------------
def _resolve_partition(results, partition):
    """A column name is looked up in the model's data frame (``results.model.data``)."""
    if isinstance(partition, str):
        # The model knows its data: a cross-section's column, or a panel's column that is
        # constant within units (spatialflow.models.estimators.SpatialModel.unit_attribute).
        model = getattr(results, "model", None)
        if not hasattr(model, "unit_attribute"):
            raise InputError(
                f"partition={partition!r} names a column, but the model keeps no data frame to "
                "look it up in; pass a Series of labels indexed by unit id.")
        return model.unit_attribute(partition)
    return partition


def _warn_shared_variables(results) -> None:
    """Warn when effect columns share a data variable (x and x:z, or x and I(x**2))."""
    mapping = getattr(getattr(results, "model", None), "column_variables", None) or {}
    columns = [c for c in results.exog_names if not _is_intercept(c) and mapping.get(c)]
    shared: dict[str, list[str]] = {}
    for c in columns:
        for v in mapping[c]:
            shared.setdefault(v, []).append(c)
    clashes = {v: cols for v, cols in shared.items() if len(cols) > 1}
    if clashes:
        detail = "; ".join(f"{v!r} enters {cols}" for v, cols in clashes.items())
        warnings.warn(
            f"some regressors are built from the same variable ({detail}). Each column's "
            "effect holds the other columns fixed, which is not the effect of changing the "
            "variable (e.g. the effect of x in x + x:z is its effect at z = 0). Combine the "
            "columns' effects at chosen values (the effects are linear in beta and theta).",
            EffectsInterpretationWarning, stacklevel=4)


_KERNEL_OPTIONS = ("tol", "max_order", "n_probes")


def _check_kernel_options(options: dict) -> None:
    unknown = sorted(set(options) - set(_KERNEL_OPTIONS))
    if unknown:
        raise InputError(
            f"unknown option(s) {unknown} for effects; valid: n_draws, seed, method, partition, "
            f"trace_method, level, normalize and the trace options {list(_KERNEL_OPTIONS)}.")


def _without_dropped_units(results, labels):
    """Remove from a partition the units the model itself dropped (``missing="drop"`` or
    ``balance="drop"``), so a labelling of all units still fits; any other id the model does
    not have is left in and reported as an error."""
    extra = getattr(results, "extra", None) or {}
    dropped = extra.get("dropped_units")
    if dropped is None or len(dropped) == 0:
        return labels
    if isinstance(labels, Mapping) and not isinstance(labels, pd.Series):
        labels = pd.Series(dict(labels))
    if isinstance(labels, pd.Series):
        return labels[~labels.index.isin(pd.Index(dropped))]
    return labels


def _results_inputs(results):
    kind = getattr(results, "kind", None)
    bounds = getattr(results, "bounds", None) if kind in LAG_KINDS else None
    return dict(
        params=results.params, cov=results.cov, W=results.W, kind=kind, bounds=bounds,
        exog_names=list(results.exog_names), lagged_names=list(results.lagged_names or []),
    )


def _fit_traces(results, seed, n_probes=None):
    """The trace approximation the fit computed (reused for the effects), or a new one for
    a W with a cheap spectral enclosure, or None (the power series is used)."""
    extra = getattr(results, "extra", None) or {}
    fitted = extra.get("logdet_strategy")
    if fitted is not None and n_probes in (None, fitted.n_probes):
        return fitted
    W = sp.csr_matrix(results.W, dtype=float)
    try:
        return TraceLogDet(W, method="approx",
                           seed=seed if isinstance(seed, (int, np.integer)) else 0,
                           **({} if n_probes is None else {"n_probes": int(n_probes)}))
    except EigenvalueBoundsError:
        return None


def compute_effects(results: SpatialResults, *, n_draws: int = 1000, seed: int | None = 0,
                    method: EffectsInference = "simulation",
                    partition: pd.Series | Mapping | str | None = None,
                    trace_method: TraceMethod = "auto", level: float = 0.95,
                    normalize: BlockNormalization = "total",
                    **kernel_options: Any) -> pd.DataFrame:
    r"""LeSage--Pace effects of a fitted model (what ``results.effects(...)`` returns).

    Parameters
    ----------
    results : SpatialResults
        Uses ``kind``, ``params``, ``cov``, ``W``, ``ids``, ``bounds``, ``exog_names``,
        ``lagged_names``.
    n_draws : int, default 1000
        Simulation draws (``method="simulation"``).
    seed : int, default 0
        Seed of the draws and of the trace probes.
    method : {"simulation", "delta"}
    partition : pandas.Series, dict or str, optional
        Group label of each unit keyed by unit id (or a column of the model's data): return
        the blocks :math:`E_k(A\to B)` of :func:`effects_blocks` in long form.
    trace_method : {"auto", "exact", "power"}
    level : float, default 0.95
        Level of the intervals.
    normalize : {"total", "to"}
        Block normalisation (with ``partition``).
    **kernel_options
        ``tol``, ``max_order``, ``n_probes`` of :class:`EffectsKernel`.

    Returns
    -------
    pandas.DataFrame
        Without ``partition``: indexed by regressor with ``direct, indirect, total``,
        ``*_std_error``, ``*_statistic``, ``*_p_value``, ``*_lower``, ``*_upper``. With
        ``partition``: long form with ``from, to, variable, estimate, std_error, statistic,
        p_value, lower, upper, n_from, n_to``.
    """
    _check_kernel_options(kernel_options)
    _warn_shared_variables(results)
    inputs = _results_inputs(results)
    common = dict(n_draws=n_draws, seed=seed, method=method, trace_method=trace_method,
                  level=level, **kernel_options)
    if partition is None:
        n = results.W.shape[0]
        if trace_method == "auto" and inputs["kind"] in LAG_KINDS and n > EXACT_MAX_N:
            traces = _fit_traces(results, seed, kernel_options.get("n_probes"))
            if traces is not None:
                kernel = EffectsKernel(results.W, trace_method="power", seed=seed,
                                       traces=traces, **kernel_options)
                return effects_table(**inputs, **common, kernel=kernel)
        return effects_table(**inputs, **common)
    labels = _without_dropped_units(results, _resolve_partition(results, partition))
    return effects_blocks(**inputs, labels=labels, ids=results.ids, normalize=normalize, **common)


def compute_unit_effects(results: SpatialResults, *, n_draws: int = 1000, seed: int | None = 0,
                         method: EffectsInference = "simulation",
                         trace_method: TraceMethod = "auto", level: float = 0.95,
                         direction: EffectsDirection = "received",
                         **kernel_options: Any) -> pd.DataFrame:
    r"""Per-unit effects of a fitted model (what ``results.unit_effects(...)`` returns).

    For unit :math:`i`: direct :math:`S_k[i, i]`, total :math:`\sum_j S_k[i, j]` (received)
    or :math:`\sum_j S_k[j, i]` (emitted), indirect their difference; see
    :func:`effects_units`.

    Parameters
    ----------
    results : SpatialResults
        Uses ``kind``, ``params``, ``cov``, ``W``, ``ids``, ``bounds``, ``exog_names``,
        ``lagged_names``.
    n_draws : int, default 1000
        Simulation draws (``method="simulation"``).
    seed : int, default 0
        Seed of the draws.
    method : {"simulation", "delta"}
        Inference by simulated draws or the delta method.
    trace_method : {"auto", "exact", "power"}
        How :math:`S_k` is evaluated.
    level : float, default 0.95
        Level of the intervals.
    direction : {"received", "emitted"}
        Row sums (the effect on each unit of raising :math:`x_k` everywhere) or column sums
        (the effect of each unit's :math:`x_k` on all units).
    **kernel_options
        ``tol``, ``max_order``, ``n_probes`` of :class:`EffectsKernel`.

    Returns
    -------
    pandas.DataFrame
        Long form: ``id``, ``variable``, ``direct``, ``indirect``, ``total``, their
        ``*_std_error`` and ``*_lower`` / ``*_upper``.
    """
    _check_kernel_options(kernel_options)
    return effects_units(**_results_inputs(results), ids=results.ids, n_draws=n_draws,
                         seed=seed, method=method, trace_method=trace_method, level=level,
                         direction=direction, **kernel_options)
