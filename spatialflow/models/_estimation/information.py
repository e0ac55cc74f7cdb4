r"""The information matrix of the lag and error models: one function each, for every design.

For :math:`\theta = (\beta, \rho\text{ or }\lambda, \sigma^2)` of a :class:`~spatialflow.
models.problem.Design` (cross-section, or panel after its transformation), with
:math:`\tilde X` the reported regressors (period demeaned under time effects),
:math:`G = W(I-\rho W)^{-1}` and its traces counted :math:`T^*` times (Lee-Yu corrected by
:class:`~spatialflow.models._design.problem.LeeYuLogDet` when the unit root is dropped):

Lag model, expected information (Lee 2004; Lee and Yu 2010):

.. math::
    I = \frac{1}{\sigma^2}\begin{pmatrix}
        \tilde X'\tilde X & \tilde X'\tilde G\tilde X\beta & 0\\
        \cdot & \sigma^2 T^*(\mathrm{tr}\,G^2 + \mathrm{tr}\,G'G)
                 + (\tilde G\tilde X\beta)'\tilde G\tilde X\beta & T^*\mathrm{tr}\,G\\
        \cdot & \cdot & N^*/(2\sigma^2)\end{pmatrix}

and the observed information (the negative Hessian at the estimate) with
:math:`\widetilde{Wy}` in place of :math:`\tilde G\tilde X\beta`, :math:`T^*\mathrm{tr}\,G^2
+ \widetilde{Wy}'\widetilde{Wy}/\sigma^2` for :math:`\rho` and :math:`\widetilde{Wy}'
\hat\varepsilon/\sigma^4` for :math:`(\rho, \sigma^2)`.

Error model: :math:`\tilde X_\lambda = \tilde X - \lambda W\tilde X` in the
:math:`\beta` block; expected :math:`T^*(\mathrm{tr}\,G^2 + \mathrm{tr}\,G'G)` for
:math:`\lambda` and :math:`T^*\mathrm{tr}\,G/\sigma^2` for :math:`(\lambda, \sigma^2)`;
observed with :math:`u = \tilde y - \tilde X\beta`:
:math:`(W\tilde X'\varepsilon + \tilde X_\lambda'Wu)/\sigma^2`,
:math:`T^*\mathrm{tr}\,G^2 + (Wu)'Wu/\sigma^2`, :math:`(Wu)'\varepsilon/\sigma^4`.

Which of the two the models report, and why, is said in :mod:`spatialflow.models._estimation.ml`.
"""
from __future__ import annotations

import numpy as np

from .._design.problem import Design

__all__ = ["lag_information", "error_information"]


def _frame(design: Design, sigma2: float, Xs: np.ndarray) -> np.ndarray:
    k = Xs.shape[1]
    info = np.zeros((k + 2, k + 2))
    info[k + 1, k + 1] = design.counts.N / (2 * sigma2**2)
    return info


def lag_information(design: Design, logdet, beta: np.ndarray, rho: float, sigma2: float,
                    resid: np.ndarray, *, expected: bool) -> tuple[np.ndarray, str]:
    """Information of (beta, rho, sigma2) of the lag model (module docstring).

    ``logdet`` is the strategy the likelihood used (Lee-Yu wrapped if so), ``beta`` the k
    reported coefficients, ``resid`` the residuals of the estimated (transformed) model.
    Returns the matrix and ``"expected"`` or ``"observed"``.
    """
    Xs = design.sweep(design.X[:, :design.k])
    k, Ts = Xs.shape[1], design.counts.T
    info = _frame(design, sigma2, Xs)
    info[:k, :k] = Xs.T @ Xs / sigma2
    if expected:
        GXb = design.sweep(design.lag(design.solver(rho, logdet)(Xs @ beta)))
        info[:k, k] = info[k, :k] = Xs.T @ GXb / sigma2
        info[k, k] = Ts * (logdet.tr_GG(rho) + logdet.tr_GtG(rho)) + float(GXb @ GXb) / sigma2
        info[k, k + 1] = info[k + 1, k] = Ts * logdet.tr_G(rho) / sigma2
    else:
        Wy = design.sweep(design.lag(design.sweep(design.y)))
        info[:k, k] = info[k, :k] = Xs.T @ Wy / sigma2
        info[k, k] = Ts * logdet.tr_GG(rho) + float(Wy @ Wy) / sigma2
        info[k, k + 1] = info[k + 1, k] = float(Wy @ resid) / sigma2**2
    return info, ("expected" if expected else "observed")


def error_information(design: Design, logdet, beta: np.ndarray, lam: float, sigma2: float,
                      resid: np.ndarray, *, expected: bool) -> tuple[np.ndarray, str]:
    """Information of (beta, lambda, sigma2) of the error model (module docstring)."""
    Xs = design.sweep(design.X[:, :design.k])
    k, Ts = Xs.shape[1], design.counts.T
    WX = design.sweep(design.lag(Xs))
    Xf = Xs - lam * WX
    info = _frame(design, sigma2, Xs)
    info[:k, :k] = Xf.T @ Xf / sigma2
    if expected:
        info[k, k] = Ts * (logdet.tr_GG(lam) + logdet.tr_GtG(lam))
        info[k, k + 1] = info[k + 1, k] = Ts * logdet.tr_G(lam) / sigma2
    else:
        u = design.sweep(design.y) - Xs @ beta
        Wu = design.sweep(design.lag(u))
        info[:k, k] = info[k, :k] = (WX.T @ resid + Xf.T @ Wu) / sigma2
        info[k, k] = Ts * logdet.tr_GG(lam) + float(Wu @ Wu) / sigma2
        info[k, k + 1] = info[k + 1, k] = float(Wu @ resid) / sigma2**2
    return info, ("expected" if expected else "observed")
