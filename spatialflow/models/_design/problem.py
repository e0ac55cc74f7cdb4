r"""The estimation problem: what every fit, cross-section or panel, hands to the engines.

A cross-section and a (transformed) panel are one problem to the likelihood engines of
:mod:`spatialflow.models._estimation.ml` and :mod:`spatialflow.models._estimation.sac`:

.. math::
    \ell(\rho) = -\tfrac{N^*}{2}\left[\ln(2\pi) + 1 + \ln\hat\sigma^2(\rho)\right]
        + T^*\left[\ln|I_n-\rho W| - \delta\ln(1-\rho)\right],\qquad
    \hat\sigma^2 = \hat\varepsilon'\hat\varepsilon / N^*

on the stacked (time-major) data :math:`y, X` of :math:`N = nT` rows, with the lag operator
:math:`I_T\otimes W`. A :class:`Design` carries

* ``y``, ``X``: the response and the regressors as estimated (within-transformed for fixed
  effects, quasi-demeaned for random effects); the last ``n_nuisance`` columns of ``X`` are
  estimated but not reported (the period dummies that profile out time effects);
* ``W``: the n x n weights and ``T`` the periods stacked (1 for a cross-section);
* :class:`Counts`: the effective number of observations :math:`N^*`, the multiplicity
  :math:`T^*` of the log-determinant and whether the Lee-Yu transformation drops the unit
  root (:math:`\delta = 1`);
* ``sweep_periods``: time effects are removed, so the information matrix works with period
  demeaned regressors (which is what profiling the period dummies out amounts to);
* ``lag_demeaned``: the time effects were removed by demeaning y and X by period instead of
  by T dummy columns, and the lag :math:`(I_T\otimes W)z` is demeaned by period as well.
  With :math:`M_D` the period demeaning and :math:`W\iota = \iota` (row-standardised, no
  islands), :math:`W` maps period constants to period constants, so
  :math:`M_D(I_T\otimes W)M_D = M_D(I_T\otimes W)` and, by Frisch-Waugh-Lovell, every
  residual, estimate and information matrix equals the one with the dummies -- at
  :math:`O(NTk)` instead of a least-squares problem with T extra columns;
* ``rows``: the map from stacked rows back to the user's rows.

:class:`~spatialflow.models._linalg.lee_yu.LeeYuLogDet` is the one place where the Lee-Yu (2010) corrections of the
log-determinant and its traces are written: with :math:`G = W(I-\rho W)^{-1}` and a
row-standardised W (:math:`W\iota = \iota`),

.. math::
    \ln|I-\rho W^*| = \ln|I-\rho W| - \ln(1-\rho),\quad
    \mathrm{tr}\,G^* = \mathrm{tr}\,G - \tfrac{1}{1-\rho},\quad
    \mathrm{tr}\,G^{*2} = \mathrm{tr}\,G^2 - \tfrac{1}{(1-\rho)^2},\quad
    \mathrm{tr}\,G^{*\prime}G^* = \mathrm{tr}\,G'G - \lVert G'\iota\rVert^2/n.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._linalg.lee_yu import LeeYuLogDet
from .._linalg.operator import SpatialOperator
from .panel_data import lag_panel, within

__all__ = ["Counts", "Design", "UnitRows"]


@dataclass(frozen=True)
class Counts:
    """Effective sizes of the likelihood: :math:`N^*` observations, the log-determinant
    counted :math:`T^*` times, and whether the Lee-Yu transformation drops the unit root."""

    N: int
    T: int = 1
    drop_unit_root: bool = False
    estimator: str = "ML"


class UnitRows:
    """The row map of a cross-section: values are labelled by the unit ids."""

    def __init__(self, ids: pd.Index, dropped: pd.Index | None = None):
        self.ids = ids
        self.dropped_units = pd.Index([]) if dropped is None else dropped
        self.index = None  # no stacked (id, time) view

    def to_user_rows(self, z: np.ndarray, name: str | None = None) -> pd.Series:
        return pd.Series(z, index=self.ids, name=name)


@dataclass(frozen=True, eq=False)
class Design:
    """One estimation problem (see the module docstring).

    Attributes
    ----------
    y : ndarray (N,)
    X : ndarray (N, k + n_nuisance)
    names : tuple of str
        Labels of the k reported columns of ``X``.
    W : csr_matrix (n, n)
    counts : Counts
    T : int
        Periods stacked time-major (N = n T).
    n_nuisance : int
        Trailing columns of ``X`` estimated but not reported.
    sweep_periods : bool
        Time effects are removed (period demeaning in the information matrix).
    lag_demeaned : bool
        Time effects were removed by period demeaning (no dummies): :meth:`lag` demeans by
        period too (module docstring).
    rows : UnitRows or PanelData
        ``to_user_rows(z, name)``, ``index`` (stacked view or None), ``dropped_units``.
    exog_names, lagged_names : tuple of str
        The regressors and those whose spatial lags ``W_<name>`` enter.
    """

    y: np.ndarray
    X: np.ndarray
    names: tuple
    W: sp.csr_matrix | None
    counts: Counts
    T: int = 1
    n_nuisance: int = 0
    sweep_periods: bool = False
    lag_demeaned: bool = False
    rows: object = None
    exog_names: tuple = ()
    lagged_names: tuple = ()
    endog_name: str = "y"

    @classmethod
    def cross_section(cls, y, X, W=None, *, names=None, rows=None, **kwargs) -> "Design":
        """A cross-section: N* = n, the log-determinant counted once."""
        return cls.stacked(y, X, W, 1, names=names, rows=rows, **kwargs)

    @classmethod
    def stacked(cls, y, X, W, T: int, *, n_nuisance: int = 0, names=None, rows=None,
                **kwargs) -> "Design":
        """Data already transformed and stacked time-major over ``T`` periods, as plain
        ML sees them: N* = nT observations, the log-determinant counted T times."""
        y = np.asarray(y, dtype=float)
        X = np.asarray(X, dtype=float)
        if names is None:
            names = tuple(f"x{j}" for j in range(X.shape[1] - n_nuisance))
        if rows is None:
            rows = UnitRows(pd.RangeIndex(len(y)))
        return cls(y=y, X=X, names=tuple(names), W=None if W is None else sp.csr_matrix(W),
                   counts=Counts(N=len(y), T=T), T=T, n_nuisance=n_nuisance, rows=rows,
                   **kwargs)

    # ------------------------------------------------------------------ sizes
    @property
    def n(self) -> int:
        return len(self.y) // self.T

    @property
    def k(self) -> int:
        """Reported regressors (the nuisance columns excluded)."""
        return self.X.shape[1] - self.n_nuisance

    # ------------------------------------------------------------------ operators
    def lag(self, z: np.ndarray) -> np.ndarray:
        r""":math:`(I_T\otimes W)z` (period by period; no Kronecker product is formed),
        demeaned by period when ``lag_demeaned``. ``z`` is a vector or an N x k array."""
        if self.T == 1:
            return self.W @ z
        out = lag_panel(self.W, z, self.n, self.T)
        return within(out, self.n, self.T, "time") if self.lag_demeaned else out

    def sweep(self, z: np.ndarray) -> np.ndarray:
        """``z`` demeaned within periods when time effects are removed, else ``z``."""
        return within(z, self.n, self.T, "time") if self.sweep_periods else z

    def solver(self, r: float, logdet=None):
        r"""``solve(z)`` = :math:`(I_T\otimes(I-rW))^{-1}z`, period by period: one sparse LU
        of the n x n matrix, or the series of an approximate ``logdet`` (large n)."""
        n, T = self.n, self.T
        if getattr(logdet, "approximate", False):
            def apply(B):
                return logdet.solve(r, B)
        else:
            apply = SpatialOperator.of(self.W).solver(r)

        def solve(z: np.ndarray) -> np.ndarray:
            return apply(np.asarray(z, dtype=float).reshape(T, n).T).T.reshape(-1)
        return solve

    def logdet(self, base):
        """The strategy the likelihood uses: ``base`` with the unit root dropped if Lee-Yu."""
        if base is None or not self.counts.drop_unit_root:
            return base
        return LeeYuLogDet(base, self.W)

    def map_rows(self, z: np.ndarray, name: str) -> pd.Series:
        """A stacked vector on the user's rows (the ids for a cross-section)."""
        return self.rows.to_user_rows(z, name)
