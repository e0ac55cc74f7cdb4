"""Bayesian estimation of a flow model by MCMC, on the exact log-determinant.

Priors: flat on :math:`\\delta`, :math:`p(\\sigma^2) \\propto 1/\\sigma^2`, uniform on the
admissible region for the free autoregressive parameters :math:`\\theta`. Integrating
:math:`\\delta` and :math:`\\sigma^2` out gives the marginal posterior

.. math::

    p(\\theta \\mid y) \\propto |A(\\rho(\\theta))|\\,(\\tau'R\\tau)^{-(N-K)/2},
    \\qquad \\tau = (1, -\\rho),\\; R = F'F - F'Z(Z'Z)^{-1}Z'F ,

from the same moments as ML. The sampler is *collapsed*: :math:`\\theta` by random-walk
Metropolis on this marginal (Gaussian proposal with the ML covariance of :math:`\\theta`,
scaled by :math:`2.38^2/k`, Roberts & Rosenthal 2001), then exactly
:math:`\\sigma^2 \\mid \\theta \\sim \\text{Inv-Gamma}((N-K)/2, \\tau'R\\tau/2)` and
:math:`\\delta \\mid \\theta, \\sigma^2 \\sim N(\\hat\\delta(\\theta), \\sigma^2 (Z'Z)^{-1})`.
R spflow samples the full conditionals (Metropolis-within-Gibbs) instead: the target
posterior is the same up to its priors, the chains are not.
"""
from __future__ import annotations

import numpy as np

from .estimation import Moments, _check_rank, fit_ml

__all__ = ["fit_mcmc"]


def fit_mcmc(m: Moments, var, spec, *, draws: int = 5000, burn_in: int = 1000,
             seed=None) -> dict:
    """Posterior draws of a variant; returns the posterior means as ``params``, the posterior
    covariance as ``cov`` and the draws (``samples``, one row per kept draw)."""
    _check_rank(m.ZZ, m.names)
    rng = np.random.default_rng(seed)
    ml = fit_ml(m, var, spec)
    k = var.k
    theta = np.asarray(ml["params"][:k], dtype=float)
    prop = np.asarray(ml["cov"][:k, :k], dtype=float) * (2.38 ** 2 / k)
    chol = np.linalg.cholesky(prop + 1e-14 * np.eye(k))
    delta_t = np.linalg.solve(m.ZZ, m.ZF)
    R = m.FF - m.ZF.T @ delta_t
    K = m.ZZ.shape[0]
    zz_chol = np.linalg.cholesky(np.linalg.inv(m.ZZ))
    shape = (m.N - K) / 2

    def log_post(th):
        rho = var.rho(th)
        if not spec.admissible(rho):
            return -np.inf
        tau = np.concatenate([[1.0], -rho])
        return spec.logdet(rho) - shape * np.log(float(tau @ R @ tau))

    current = log_post(theta)
    kept = []
    accepted = 0
    for it in range(burn_in + draws):
        cand = theta + chol @ rng.standard_normal(k)
        lp = log_post(cand)
        if np.log(rng.uniform()) < lp - current:
            theta, current = cand, lp
            accepted += it >= burn_in
        if it < burn_in:
            continue
        rho = var.rho(theta)
        tau = np.concatenate([[1.0], -rho])
        sigma2 = float(tau @ R @ tau) / 2 / rng.gamma(shape)
        delta = delta_t @ tau + np.sqrt(sigma2) * (zz_chol @ rng.standard_normal(K))
        rep = rho if var.name == "model_8" else theta
        kept.append(np.concatenate([rep, delta, [sigma2]]))
    kept = np.asarray(kept)
    names = list(var.names) + list(m.names)
    params = kept[:, :-1].mean(axis=0)
    cov = np.cov(kept[:, :-1], rowvar=False)
    return dict(params=params, cov=cov, sigma2=float(kept[:, -1].mean()), llf=np.nan,
                names=names, rho_full=var.rho(params[:k]) if var.name != "model_8"
                else params[:3], n_free=len(theta) + K, samples=kept,
                acceptance=accepted / draws)
