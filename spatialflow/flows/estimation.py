"""OLS, spatial 2SLS and exact ML of a flow model from its moment matrices.

Every estimator works on inner products of ``n x n`` objects (see :mod:`.design`): with
``Z`` the regressors, ``F = [y, W_d y, W_o y, W_w y]`` the flows and their lags, and ``U``
the regressors plus instruments, the moments ``Z'Z``, ``Z'F``, ``F'F``, ``U'U``, ``U'F``
are all a fit needs.

ML (concentrated in :math:`\\delta` and :math:`\\sigma^2`): with
:math:`\\tau = (1, -\\rho_d, -\\rho_o, -\\rho_w)`, :math:`\\hat\\delta(\\rho) =
(Z'Z)^{-1}Z'F\\tau` and :math:`R = F'F - F'Z(Z'Z)^{-1}Z'F`,

.. math::

    \\ell_c(\\rho) = -\\frac{N}{2}\\left[\\log 2\\pi + 1 + \\log\\frac{\\tau'R\\tau}{N}\\right]
                    + \\log|A(\\rho)| ,

maximised by a damped Newton method with the analytic gradient and Hessian (the
log-determinant's from the eigenvalues of ``W``), started at :math:`\\rho = 0` and kept
inside the admissible region by backtracking. Standard errors: the inverse of the
analytic observed information of the *full* log-likelihood in
:math:`(\\theta, \\delta, \\sigma^2)` at the optimum (no numerical differentiation).

S2SLS (spflow's estimator; Dargel 2021): the lags are projected on ``U``,
:math:`\\hat L = U(U'U)^{-1}U'L`, and :math:`(\\rho, \\delta)` solve the second stage on
:math:`[\\hat L, Z]`; :math:`\\hat\\sigma^2` uses the residuals with the observed lags and
``Var = \\hat\\sigma^2 ([\\hat L, Z]'[\\hat L, Z])^{-1}``. OLS (model_1) divides the residual
sum of squares by ``N`` as spflow does.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from ..exceptions import CollinearityError, ConvergenceWarning, InadmissibleEstimateError

__all__ = ["Moments", "fit_ols", "fit_s2sls", "fit_ml"]


@dataclass
class Moments:
    """Moment matrices of one flow model."""

    N: int
    ZZ: np.ndarray
    ZF: np.ndarray  # K x 4
    FF: np.ndarray  # 4 x 4
    names: list
    UU: np.ndarray | None = None
    UF: np.ndarray | None = None


def _check_rank(ZZ: np.ndarray, names: list) -> None:
    """Refuse perfectly collinear regressors, naming those that depend on the others."""
    scale = np.sqrt(np.maximum(np.diag(ZZ), 1e-300))
    C = ZZ / np.outer(scale, scale)
    _, R, piv = sla.qr(C, pivoting=True)
    d = np.abs(np.diag(R))
    rank = int(np.sum(d > d[0] * 1e-10)) if d.size else 0
    if rank < len(names):
        bad = [names[i] for i in piv[rank:]]
        raise CollinearityError(
            f"the regressors of the flow model are perfectly collinear ({rank} of "
            f"{len(names)} independent); drop one of {bad} (e.g. a variable constant across "
            "nodes, or an intra-regional term in a sample without intra-regional pairs).")


def fit_ols(m: Moments) -> dict:
    """OLS of model_1: :math:`\\hat\\delta = (Z'Z)^{-1}Z'y`, :math:`\\hat\\sigma^2 = RSS/N`."""
    _check_rank(m.ZZ, m.names)
    delta = np.linalg.solve(m.ZZ, m.ZF[:, 0])
    rss = float(m.FF[0, 0] - m.ZF[:, 0] @ delta)
    sigma2 = rss / m.N
    cov = sigma2 * np.linalg.inv(m.ZZ)
    llf = -m.N / 2 * (np.log(2 * np.pi) + 1 + np.log(sigma2))
    return dict(params=delta, cov=cov, sigma2=sigma2, llf=llf, names=list(m.names),
                rho_full=np.zeros(3), n_free=len(delta))


def fit_s2sls(m: Moments, var) -> dict:
    """Spatial 2SLS of a variant with free parameters ``theta`` (see module docstring)."""
    _check_rank(m.ZZ, m.names)
    A = var.A
    L_U = m.UF[:, 1:] @ A          # U'L
    L_Z = m.ZF[:, 1:] @ A          # Z'L
    y_U = m.UF[:, 0]
    # projections on U: any generalised inverse of U'U gives the same fitted values
    coef_L, *_ = np.linalg.lstsq(m.UU, L_U, rcond=None)
    coef_y, *_ = np.linalg.lstsq(m.UU, y_U, rcond=None)
    k, K = A.shape[1], m.ZZ.shape[0]
    S = np.empty((k + K, k + K))
    S[:k, :k] = L_U.T @ coef_L
    S[:k, k:] = L_Z.T
    S[k:, :k] = L_Z
    S[k:, k:] = m.ZZ
    b = np.concatenate([L_U.T @ coef_y, m.ZF[:, 0]])
    _check_rank(S, list(var.names) + list(m.names))
    mu = np.linalg.solve(S, b)
    # residuals with the observed lags: e = y - L theta - Z delta
    LL = A.T @ m.FF[1:, 1:] @ A
    Ly = A.T @ m.FF[1:, 0]
    S3 = S.copy()
    S3[:k, :k] = LL
    b3 = np.concatenate([Ly, m.ZF[:, 0]])
    rss = float(m.FF[0, 0] - 2 * b3 @ mu + mu @ S3 @ mu)
    sigma2 = rss / m.N
    cov = sigma2 * np.linalg.inv(S)
    return dict(params=mu, cov=cov, sigma2=sigma2, llf=np.nan,
                names=list(var.names) + list(m.names), rho_full=var.rho(mu[:k]), n_free=len(mu))


class _Concentrated:
    """The negative concentrated log-likelihood in theta, with gradient and Hessian."""

    def __init__(self, m: Moments, var, spec):
        self.m, self.var, self.spec = m, var, spec
        self.delta_t = np.linalg.solve(m.ZZ, m.ZF)
        self.R = m.FF - m.ZF.T @ self.delta_t
        self.R = 0.5 * (self.R + self.R.T)

    def value(self, theta) -> float:
        rho = self.var.rho(theta)
        if not self.spec.admissible(rho):
            return np.inf
        tau = np.concatenate([[1.0], -rho])
        q = float(tau @ self.R @ tau)
        if q <= 0:
            return np.inf
        return self.m.N / 2 * np.log(q) - self.spec.logdet(rho)

    def derivatives(self, theta):
        rho = self.var.rho(theta)
        tau = np.concatenate([[1.0], -rho])
        q = float(tau @ self.R @ tau)
        Rt = self.R @ tau
        dq = -2 * Rt[1:]
        d2q = 2 * self.R[1:, 1:]
        # a non-Cartesian spectrum may offer cheaper derivatives for the steps (subset.py)
        derivs = getattr(self.spec, "optimisation_derivatives", self.spec.logdet_derivatives)
        _, g_ld, h_ld = derivs(rho)
        N = self.m.N
        g_rho = N / (2 * q) * dq - g_ld
        h_rho = N / (2 * q) * d2q - N / (2 * q * q) * np.outer(dq, dq) - h_ld
        J = self.var.jacobian(theta)
        g = J.T @ g_rho
        h = J.T @ h_rho @ J + self.var.curvature(g_rho)
        return g, h


def _newton(obj: _Concentrated, k: int, max_iter: int = 200, gtol: float = 1e-9):
    """Damped Newton (Levenberg-regularised when the Hessian is not positive definite)."""
    theta = np.zeros(k)
    f = obj.value(theta)
    converged = False
    for _ in range(max_iter):
        g, h = obj.derivatives(theta)
        if np.max(np.abs(g)) <= gtol * max(1.0, abs(f)):
            converged = True
            break
        mu = 0.0
        while True:
            try:
                c = np.linalg.cholesky(h + mu * np.eye(k))
                step = -sla.cho_solve((c, True), g)
                break
            except np.linalg.LinAlgError:
                mu = max(2 * mu, 1e-6 * max(1.0, np.max(np.abs(h))))
        t = 1.0
        while t > 1e-12:
            cand = theta + t * step
            fc = obj.value(cand)
            if np.isfinite(fc) and fc <= f + 1e-4 * t * (g @ step):
                break
            t /= 2
        else:
            break
        if np.max(np.abs(cand - theta)) < 1e-14:
            theta, f = cand, fc
            converged = True
            break
        theta, f = cand, fc
    return theta, f, converged


def fit_ml(m: Moments, var, spec) -> dict:
    """Exact ML of a variant (see module docstring)."""
    _check_rank(m.ZZ, m.names)
    obj = _Concentrated(m, var, spec)
    k = var.k
    theta, fval, converged = _newton(obj, k)
    if not converged:
        warnings.warn(f"ML of the flow model ({var.name}) stopped before the gradient "
                      "vanished; the estimates may be inexact.", ConvergenceWarning,
                      stacklevel=3)
    rho = var.rho(theta)
    if not spec.admissible(rho, margin=1e-10):
        raise InadmissibleEstimateError(f"the ML estimate {dict(zip(var.names, rho))} is on "
                                        "the boundary of the admissible region.")
    tau = np.concatenate([[1.0], -rho])
    delta = obj.delta_t @ tau
    N = m.N
    ee = float(tau @ obj.R @ tau)
    sigma2 = ee / N
    ld, g_ld, h_ld = spec.logdet_derivatives(rho)
    llf = -N / 2 * (np.log(2 * np.pi) + 1 + np.log(sigma2)) + ld
    cov = _ml_covariance(m, var, theta, rho, tau, delta, sigma2, ee, g_ld, h_ld)
    names = list(var.names) + list(m.names)
    params = np.concatenate([theta, delta])
    if var.name == "model_8":  # report rho_w = -rho_d rho_o, its variance by the delta method
        D = np.zeros((len(params) + 1, len(params)))
        D[:2, :2] = np.eye(2)
        D[2, :2] = [-theta[1], -theta[0]]
        D[3:, 2:] = np.eye(len(params) - 2)
        cov = D @ cov @ D.T
        params = np.concatenate([rho, delta])
    return dict(params=params, cov=cov, sigma2=sigma2, llf=llf, names=names, rho_full=rho,
                n_free=len(theta) + len(delta), converged=converged)


def _ml_covariance(m, var, theta, rho, tau, delta, sigma2, ee, g_ld, h_ld) -> np.ndarray:
    """Inverse of minus the analytic Hessian of the full log-likelihood in
    :math:`(\\theta, \\delta)` (the :math:`\\sigma^2` row and column included, then dropped)."""
    s2, s4 = sigma2, sigma2 ** 2
    N = m.N
    Le = m.FF[1:, :] @ tau - m.ZF[:, 1:].T @ delta       # L'e (3)
    Ze = m.ZF @ tau - m.ZZ @ delta                        # Z'e (K), ~0 at the optimum
    J = var.jacobian(theta)
    grad_rho = g_ld + Le / s2
    H_rr = h_ld - m.FF[1:, 1:] / s2
    k, K = J.shape[1], m.ZZ.shape[0]
    H = np.zeros((k + K + 1, k + K + 1))
    H[:k, :k] = J.T @ H_rr @ J + var.curvature(grad_rho)
    H[:k, k:k + K] = J.T @ (-m.ZF[:, 1:].T / s2)
    H[:k, -1] = J.T @ (-Le / s4)
    H[k:k + K, k:k + K] = -m.ZZ / s2
    H[k:k + K, -1] = -Ze / s4
    H[-1, -1] = N / (2 * s4) - ee / s2 ** 3
    H = np.triu(H) + np.triu(H, 1).T
    cov = np.linalg.inv(-H)
    return cov[:-1, :-1]
