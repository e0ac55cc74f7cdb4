r"""Short- and long-run effects of a dynamic spatial panel, and its stationarity check.

Post-fit quantities of :mod:`~spatialflow.models._estimation.dynamic`'s estimates: they need
the estimates and the weights only, so they live with the other results (the estimator
imports them, never the other way round).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import _stats as stats  # scipy.stats kernels without its 0.5 s import
from ..._validation import check_count, check_level, check_seed
from ..._vocabulary import WIDE_SUFFIXES
from ...exceptions import InputError, ModelSpecificationError
from .._linalg.memory import check_draws_memory
from .effects import _EFFECTS, EffectsKernel

__all__ = ["dynamic_effects", "stationarity", "TAU", "ETA"]

#: Names of the temporal (``y_{t-1}``) and space-time (``W y_{t-1}``) lag coefficients.
TAU, ETA = "tau", "eta"


def stationarity(tau: float, rho: float, eta: float, bounds) -> dict:
    r"""Stationarity of :math:`y_t = A y_{t-1} + \dots`, :math:`A = (I-\rho W)^{-1}(\tau I+\eta W)`.

    ``bounds`` is the admissible interval of rho, :math:`(1/\omega_{min}, 1/\omega_{max})`.
    Returns the spectral radius bound over the extreme real eigenvalues and the verdict.
    """
    lo, hi = bounds
    omegas = [1.0 / hi, 1.0 / lo]
    values = [abs((tau + eta * w) / (1.0 - rho * w)) for w in omegas]
    radius = float(max(values))
    return {"radius": radius, "stationary": bool(radius < 1.0),
            "tau_rho_eta": float(tau + rho + eta)}


def dynamic_effects(params: pd.Series, cov: pd.DataFrame, W, *, exog_names, lagged_names,
                    horizon: str = "short", bounds=None, n_draws: int = 1000, seed=0,
                    level: float = 0.95, method: str = "simulation",
                    trace_method: str = "auto") -> pd.DataFrame:
    r"""Short- or long-run direct, indirect and total effects of a dynamic panel.

    Long run: :math:`((1-\tau)I-(\rho+\eta)W)^{-1}(\beta_kI+\theta_kW)
    = \frac{1}{1-\tau}(I-\rho_LW)^{-1}(\beta_kI+\theta_kW)`,
    :math:`\rho_L = (\rho+\eta)/(1-\tau)`, so the static kernel evaluated at
    :math:`\rho_L` and scaled by :math:`1/(1-\tau)` gives it.
    Simulation draws :math:`(\tau, \eta, \rho, \beta, \theta)` from the estimated normal;
    long-run draws outside the stationarity region (:math:`1-\tau \le 0` or
    :math:`\rho_L` outside the admissible interval) are rejected and counted.
    """
    if horizon not in ("short", "long"):
        raise InputError(f"horizon must be 'short' or 'long'; {horizon!r} was given.")
    if method != "simulation":
        raise InputError(f"dynamic effects use simulation inference; method={method!r} was "
                         "given.")
    level = check_level(level)
    n_draws = check_count(n_draws, "n_draws", minimum=2)
    seed = check_seed(seed, "seed", allow_none=True)
    variables = [x for x in exog_names if x != "Intercept"]
    beta_names = list(variables)
    theta_names = [f"W_{x}" if x in lagged_names else None for x in variables]
    used = ["rho", TAU] + ([ETA] if ETA in params.index else []) + beta_names + \
        [t for t in theta_names if t]
    mean = params[used].to_numpy(float)
    S = cov.loc[used, used].to_numpy(float)
    pos = {u: i for i, u in enumerate(used)}
    kernel = EffectsKernel(W, trace_method=trace_method, seed=seed)
    lo, hi = bounds

    def evaluate(P):
        rho, tau = P[:, pos["rho"]], P[:, pos[TAU]]
        eta = P[:, pos[ETA]] if ETA in pos else np.zeros(len(P))
        beta = P[:, [pos[b] for b in beta_names]]
        theta = np.column_stack([P[:, pos[t]] if t else np.zeros(len(P)) for t in theta_names])
        if horizon == "short":
            r, scale = rho, np.ones(len(P))
        else:
            r, scale = (rho + eta) / (1.0 - tau), 1.0 / (1.0 - tau)
        m = kernel.scalars(r)
        direct = (beta * m["a_d"][:, None] + theta * m["b_d"][:, None]) * scale[:, None]
        total = (beta * m["a_t"][:, None] + theta * m["b_t"][:, None]) * scale[:, None]
        return {"direct": direct, "indirect": total - direct, "total": total}

    def admissible(P):
        rho, tau = P[:, pos["rho"]], P[:, pos[TAU]]
        eta = P[:, pos[ETA]] if ETA in pos else np.zeros(len(P))
        ok = (rho > lo) & (rho < hi)
        if horizon == "long":
            with np.errstate(divide="ignore", invalid="ignore"):
                rl = (rho + eta) / (1.0 - tau)
            ok &= (1.0 - tau > 0) & (rl > lo) & (rl < hi)
            for i in range(len(P)):
                if ok[i]:
                    ok[i] = stationarity(tau[i], rho[i], eta[i], bounds)["stationary"]
        return ok

    point_ok = admissible(mean[None, :])[0]
    if not point_ok:
        raise ModelSpecificationError(
            f"the {horizon}-run effects are not defined at the estimates (non-stationary: "
            f"tau = {params[TAU]:.4f}, rho = {params['rho']:.4f}"
            + (f", eta = {params[ETA]:.4f}" if ETA in params.index else "") + ").")
    point = {k: v[0] for k, v in evaluate(mean[None, :]).items()}
    check_draws_memory(n_draws, len(mean) + sum(np.size(v) for v in point.values()) + 1001,
                       what=f"simulating the {horizon}-run effects")
    rng = np.random.default_rng(seed)
    sd = np.sqrt(np.clip(np.diag(S), 0.0, None))
    sc = np.where(sd > 0, sd, 1.0)
    corr = S / np.outer(sc, sc)
    kept, rejected = [], 0
    for _ in range(100):
        P = mean + rng.multivariate_normal(np.zeros(len(mean)), corr, size=int(n_draws),
                                           method="eigh") * sd
        ok = admissible(P)
        rejected += int((~ok).sum())
        kept.append(P[ok])
        if sum(len(x) for x in kept) >= n_draws:
            break
    P = np.vstack(kept)[:int(n_draws)]
    if len(P) < n_draws:
        raise ModelSpecificationError(
            f"only {len(P)} of the simulated parameter draws are stationary; the {horizon}-run "
            "effects have no meaningful simulated distribution.")
    sims = evaluate(P)
    alpha = (1 - level) / 2
    cols = {}
    stats_ = {}
    for key in _EFFECTS:
        v = sims[key]
        se = v.std(axis=0, ddof=1)
        lower, upper = np.quantile(v, [alpha, 1 - alpha], axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, point[key] / se, np.nan)
        stats_[key] = dict(point=point[key], se=se, z=z, p=2 * stats.norm.sf(np.abs(z)),
                           lower=lower, upper=upper)
    for stat, suffix in WIDE_SUFFIXES:
        for key in _EFFECTS:
            cols[key + suffix] = stats_[key][stat]
    frame = pd.DataFrame(cols, index=pd.Index(variables, name="variable"))
    frame.attrs.update(method="simulation", level=level, n_draws=int(n_draws),
                       rejected_draws=rejected, seed=seed, horizon=horizon,
                       trace_method=kernel.trace_method)
    return frame
