r"""The Lee-Yu (2010) transform of a log-determinant strategy (the unit root dropped).

With :math:`G = W(I-\rho W)^{-1}` and a row-standardised W (:math:`W\iota = \iota`),

.. math::
    \ln|I-\rho W^*| = \ln|I-\rho W| - \ln(1-\rho),\quad
    \mathrm{tr}\,G^* = \mathrm{tr}\,G - \tfrac{1}{1-\rho},\quad
    \mathrm{tr}\,G^{*2} = \mathrm{tr}\,G^2 - \tfrac{1}{(1-\rho)^2},\quad
    \mathrm{tr}\,G^{*\prime}G^* = \mathrm{tr}\,G'G - \lVert G'\iota\rVert^2/n.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .logdet import LogDet
from .operator import SpatialOperator

__all__ = ["LeeYuLogDet"]


class LeeYuLogDet(LogDet):
    r"""An n x n strategy seen through Lee-Yu's :math:`F_n` transform (the unit root dropped).

    The corrections of the module docstring, for the log-determinant and for each trace the
    likelihood, its derivatives and the information matrix use. W must be row-standardised
    without islands (checked by the caller, which names the offending units).
    """

    def __init__(self, base: LogDet, W: sp.csr_matrix):
        super().__init__(W)
        self.base = base
        self.method = base.method

    @property
    def bounds(self):
        return self.base.bounds

    @property
    def lower(self) -> float:
        return self.base.lower

    @property
    def upper(self) -> float:
        return self.base.upper

    @property
    def exact_bounds(self) -> bool:
        return self.base.exact_bounds

    def __getattr__(self, name: str):
        # What a particular base strategy offers besides the LogDet interface (its
        # eigenvalues, its information-cost estimate) is the base's, untransformed.
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    @property
    def costly_evaluations(self) -> bool:
        return bool(getattr(self.base, "costly_evaluations", False))

    @property
    def exact_traces(self) -> bool:
        return bool(self.base.exact_traces)

    @property
    def provides_tr_GtG(self) -> bool:
        return bool(self.base.provides_tr_GtG)

    def solve(self, r: float, B: np.ndarray, *, trans: bool = False) -> np.ndarray:
        return self.base.solve(r, B, trans=trans)

    @property
    def approximate(self) -> bool:
        return bool(self.base.approximate)

    def approximation(self, r):
        return self.base.approximation(r)

    def refine_bounds(self) -> bool:
        return self.base.refine_bounds()

    def search_surrogate(self):
        """The base's surrogate with the unit root's :math:`-\\ln(1-\\rho)` (or None)."""
        base = getattr(self.base, "search_surrogate", lambda: None)()
        return None if base is None else _UnitRootDropped(base)

    def refine_at(self, r: float) -> bool:
        return self.base.refine_at(r)

    def __call__(self, r: float) -> float:
        return self.base(r) - np.log1p(-r)

    def tr_G(self, r: float) -> float:
        return self.base.tr_G(r) - 1.0 / (1.0 - r)

    def tr_GG(self, r: float) -> float:
        return self.base.tr_GG(r) - 1.0 / (1.0 - r) ** 2

    def tr_GtG(self, r: float) -> float:
        n = self.W.shape[0]
        Wt_iota = np.asarray(self.W.T @ np.ones(n)).ravel()
        if self.base.approximate:      # no factorisation at large n
            Gt_iota = self.base.solve(r, Wt_iota, trans=True)
        else:
            Gt_iota = SpatialOperator.of(self.W).solve(r, Wt_iota, transpose=True)
        return self.base.tr_GtG(r) - float(Gt_iota @ Gt_iota) / n


class _UnitRootDropped:
    """A log-determinant surrogate with the Lee-Yu correction (its interval unchanged)."""

    def __init__(self, base):
        self.base = base
        self.bounds = base.bounds

    def __call__(self, r: float) -> float:
        return self.base(r) - np.log1p(-r)
