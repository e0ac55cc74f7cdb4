r"""Dynamic spatial panels: the bias-corrected QML of Yu, de Jong and Lee (2008) and Lee and
Yu (2010), with short- and long-run effects.

.. math::
    y_t = \tau y_{t-1} + \rho W y_t + \eta W y_{t-1} + X_t\beta + W X_t\theta
          + \mu + \alpha_t\iota + \varepsilon_t,\qquad t = 1, \dots, T-1

(``dynamic="time"``: :math:`\eta = 0`; ``"spacetime"``: both). The first period is the
initial condition; :math:`T_e = T - 1` periods enter the likelihood.

**Estimator.** With unit effects the data :math:`(y_t, y_{t-1}, Wy_{t-1}, X_t, WX_t)` are
demeaned over the :math:`T_e` periods and the QML of a spatial lag model is computed with
:math:`Z_t = [y_{t-1}, Wy_{t-1}, X_t, WX_t]` as regressors (Yu, de Jong and Lee 2008, the
*direct* approach). With two-way effects the time effects are removed first by Lee and
Yu's (2010b) orthonormal :math:`F_{n,n-1}` (W row-standardised), so :math:`n^* = n - 1`
units remain and the log-determinant loses the unit root:
:math:`\ln|I_{n-1} - \rho W^*| = \ln|I_n - \rho W| - \ln(1-\rho)`. The likelihood is

.. math::
    \ell(\delta, \rho, \sigma^2) = -\tfrac{n^*T_e}{2}\ln(2\pi\sigma^2)
        + T_e\ln|I - \rho W^*| - \tfrac{1}{2\sigma^2}\sum_t \lVert S\tilde y_t - \tilde Z_t\delta
        \rVert^2 .

**Bias correction** (``bias_correction="lee-yu"``, the default). The QML estimator
:math:`\hat\theta = (\hat\delta, \hat\rho, \hat\sigma^2)` has an :math:`O(1/T)` bias from the
incidental unit effects; the corrected estimator is

.. math::
    \hat\theta^{c} = \hat\theta + \Sigma^{-1}(\hat\theta)\, b(\hat\theta),

with :math:`\Sigma` the (unnormalised) information matrix below and, writing
:math:`S = I - \rho W`, :math:`G = WS^{-1}`, :math:`A = S^{-1}(\tau I + \eta W)`,
:math:`R = (I-A)^{-1}S^{-1} = ((1-\tau)I - (\rho+\eta)W)^{-1}`,

.. math::
    b_\tau = \mathrm{tr}\,R,\quad b_\eta = \mathrm{tr}\,WR,\quad b_\beta = b_\theta = 0,\quad
    b_\rho = \tau\,\mathrm{tr}\,GR + \eta\,\mathrm{tr}\,GWR + \mathrm{tr}\,G,\quad
    b_{\sigma^2} = \frac{n^*}{2\sigma^2}

(Yu, de Jong and Lee 2008, eq. 14; traces over the :math:`n^*`-dimensional transformed space
under two-way effects: for row-standardised W the traces of functions of :math:`W^*` are
those of W less their value at the eigenvalue 1). Stable case only: the correction for
spatial cointegration (an eigenvalue of :math:`A` at 1) is not implemented; an estimate
outside the stationarity region raises a
:class:`~spatialflow.exceptions.NonStationaryWarning`.

**Covariance**: the inverse of the information matrix of the (transformed) model at the
corrected estimates, with exact traces (expected information, as SDPDmod) when the
log-determinant strategy provides :math:`\mathrm{tr}\,G'G`, otherwise the observed
information:

.. math::
    \Sigma_{\delta\delta} = \tilde Z'\tilde Z/\sigma^2,\quad
    \Sigma_{\delta\rho} = \tilde Z'(I_{T_e}\otimes G)\tilde Z\delta/\sigma^2,\quad
    \Sigma_{\rho\rho} = \lVert (I_{T_e}\otimes G)\tilde Z\delta\rVert^2/\sigma^2
        + T_e(\mathrm{tr}\,G^{*2} + \mathrm{tr}\,G^{*\prime}G^*),

    \Sigma_{\rho\sigma^2} = T_e\,\mathrm{tr}\,G^*/\sigma^2,\quad
    \Sigma_{\sigma^2\sigma^2} = n^*T_e/(2\sigma^4).

It assumes normal errors (the excess-kurtosis term of the QML sandwich is omitted).

**Log-likelihood**: ``llf`` is the maximised (uncorrected) quasi log-likelihood, the value
likelihood-ratio tests and information criteria need; the corrected estimates are not a
maximiser of it.

**Stationarity**: :math:`\max_i |(\tau + \eta\omega_i)/(1 - \rho\omega_i)| < 1` over the real
eigenvalues :math:`\omega_i` of W, i.e. :math:`\tau + \rho + \eta < 1` (and
:math:`\tau - (\rho+\eta)\omega_{min}\ldots`) for a row-standardised W; the condition is
monotone in :math:`\omega`, so the extreme eigenvalues decide it.

**Effects** (Debarsy, Ertur and LeSage 2012; Elhorst 2014, ch. 4): short run
:math:`(I-\rho W)^{-1}(\beta_k I + \theta_k W)`, long run
:math:`((1-\tau)I - (\rho+\eta)W)^{-1}(\beta_k I + \theta_k W)`, each summarised as direct
(mean diagonal), total (mean row sum) and indirect (the difference), with simulated
inference from :math:`N(\hat\theta, \widehat{\mathrm{cov}})` (draws outside the stationarity
region are rejected for the long run).

Examples
--------
>>> import libpysal, numpy as np, pandas as pd, scipy.sparse as sp
>>> import spatialflow as sf
>>> w = libpysal.weights.lat2W(6, 6)
>>> w.transform = "r"
>>> W = w.sparse.tocsc()
>>> rng = np.random.default_rng(0)
>>> lu = sp.linalg.splu(sp.identity(36, format="csc") - 0.3 * W)
>>> mu, y, rows = rng.normal(size=36), np.zeros(36), []
>>> for t in range(8):
...     x = rng.normal(size=36)
...     y = lu.solve(0.4 * y + x + mu + rng.normal(size=36))
...     rows.append(pd.DataFrame({"id": w.id_order, "year": 2015 + t, "y": y, "x": x}))
>>> df = pd.concat(rows, ignore_index=True)
>>> res = sf.SAR.from_formula("y ~ x", data=df, w=w, id="id", time="year",
...                           effects="unit", dynamic="time").fit()
>>> list(res.params.index), res.nobs, res.extra["stationarity"]["stationary"]
(['x', 'tau', 'rho'], 252, True)
>>> list(res.effects(horizon="long", n_draws=200).columns[:3])
['direct', 'indirect', 'total']
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from .. import _stats as stats  # scipy.stats kernels without its 0.5 s import

from .._validation import check_count, check_seed, check_level
from ..exceptions import (BoundaryWarning, InputError, ModelSpecificationError,
                          NonStationaryWarning, PanelError)
from ..weights.align import is_row_standardised
from .effects import _EFFECTS, EffectsKernel
from .logdet import DENSE_MAX_N
from .memory import check_draws_memory
from .information import lag_information
from .ml import fit_lag, inv_information
from .naming import lag_name
from .panel_data import PanelData, within
from .problem import Counts, Design
from .traces import eigenvalues, inf_norm, series_order, trace_powers

__all__ = ["DynamicFit", "fit_dynamic", "dynamic_effects", "check_time_index",
           "stationarity", "DYNAMIC", "TAU", "ETA"]

#: Accepted values of ``dynamic=``.
DYNAMIC = ("time", "spacetime")
TAU, ETA = "tau", "eta"


def check_time_index(times: pd.Index, time_name: str) -> None:
    """A dynamic model needs T >= 3 equally spaced periods (no gaps); raise PanelError."""
    T = len(times)
    if T < 3:
        raise PanelError(
            f"a dynamic panel needs at least T = 3 periods (one is the initial condition and "
            f"the unit effects need two more); the data have T = {T} ({list(times)}).")
    values = times
    if isinstance(values, pd.PeriodIndex):
        steps = np.diff(values.asi8)
        labels = values
    elif isinstance(values, pd.DatetimeIndex):
        # Calendar periods differ in length; a regular frequency is what "no gaps" means.
        if pd.infer_freq(values) is None:
            raise PanelError(
                f"the time index {time_name!r} has no regular frequency (gaps or irregular "
                f"dates): {list(values)}; a dynamic model needs consecutive periods.")
        return
    elif pd.api.types.is_numeric_dtype(values):
        steps = np.diff(values.to_numpy(dtype=float))
        labels = values
    else:
        raise PanelError(
            f"a dynamic model needs an ordered, regularly spaced time index (integers such as "
            f"years, or pandas periods/dates) to define y_(t-1); {time_name!r} holds "
            f"{values.dtype} values {list(values[:5])}.")
    step = steps.min()
    if step <= 0 or not np.allclose(steps, step):
        lab = list(labels.tolist()) if hasattr(labels, "tolist") else list(labels)
        gaps = [(lab[i], lab[i + 1]) for i in np.flatnonzero(~np.isclose(steps, step))]
        missing = ""
        if pd.api.types.is_integer_dtype(values):
            full = range(int(values.min()), int(values.max()) + 1, int(step))
            missing = f" Missing periods: {sorted(set(full) - set(lab))}."
        raise PanelError(
            f"the time index {time_name!r} has gaps: consecutive periods are {step:g} apart "
            f"except between {gaps}.{missing} y_(t-1) would pair non-consecutive periods; "
            "fill the gaps (or drop the periods before them).")


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


@dataclass(frozen=True)
class DynamicFit:
    """Raw estimates of a dynamic panel (the model class adds the labels)."""

    names: list
    params: np.ndarray
    cov_full: np.ndarray      # params..., sigma2
    sigma2: float
    llf: float
    resid: np.ndarray         # (n (T - 1),) stacked time-major, periods 2..T
    fitted: np.ndarray
    converged: bool
    at_bound: bool
    information: str
    uncorrected: dict = field(default_factory=dict)
    bias: np.ndarray | None = None
    stationarity: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    optimizer: dict = field(default_factory=dict)
    design: Design | None = None  # the transformed problem that was estimated


def _design(panel: PanelData, dynamic: str, lags: bool = True):
    """Stacked (periods 2..T) response and regressors [y_{t-1}, Wy_{t-1}, X_t, WX_t]."""
    n, T = panel.n, panel.T
    W = panel.W
    Y = panel.y.reshape(T, n)
    ylag = Y[:-1].reshape(-1)
    cols, names = ([ylag], [TAU]) if lags else ([], [])
    if dynamic == "spacetime" and lags:
        cols.append((W @ Y[:-1].T).T.reshape(-1))
        names.append(ETA)
    exog = [c for c in panel.exog_names if c != "Intercept"]
    X = panel.X[exog].to_numpy()[n:]
    WX = panel.WX[n:]
    Z = np.column_stack(cols + [X, WX])
    names += exog + [lag_name(c) for c in panel.lagged_names]
    return Y[1:].reshape(-1), Z, names


class _Spectral:
    r"""Traces :math:`\sum_i f(\omega_i)` of rational functions of W (exact or by series)."""

    def __init__(self, ld, W, drop: bool, seed: int = 0):
        self.drop = drop
        self.eig = getattr(ld, "eigenvalues", None)
        if self.eig is None and W.shape[0] <= DENSE_MAX_N:
            # exact where dense eigenvalues are affordable (as the log-determinant's "auto")
            self.eig = eigenvalues(W)
        self.W = W
        self.seed = seed
        self._traces = None

    def trace(self, power: int, poles: list[tuple[float, float]]) -> float:
        r""":math:`\mathrm{tr}\,[W^{p}\prod_j (a_j I - c_j W)^{-1}]` over the (star) space."""
        def f(w):
            out = w ** power
            for a, c in poles:
                out = out / (a - c * w)
            return out
        if self.eig is not None:
            total = float(np.sum(f(self.eig)).real)
        else:
            total = self._series(power, poles)
        return total - (float(f(1.0)) if self.drop else 0.0)

    def _series(self, power, poles) -> float:
        # Power series: prod_j 1/(a_j - c_j w) = prod_j (1/a_j) sum_m (c_j/a_j)^m w^m.
        r = max(abs(c / a) for a, c in poles) if poles else 0.0
        order, _ = series_order(r, inf_norm(self.W), tol=1e-10, max_order=400)
        coef = np.zeros(order + 1)
        coef[0] = 1.0
        for a, c in poles:
            geo = (c / a) ** np.arange(order + 1) / a
            coef = np.convolve(coef, geo)[:order + 1]
        need = order + power
        if self._traces is None or len(self._traces) <= need:
            self._traces = trace_powers(self.W, need, seed=self.seed)
        return float(coef @ self._traces[power:power + order + 1])


def fit_dynamic(panel: PanelData, ld, *, effects: str, dynamic: str,
                bias_correction: str | None = "lee-yu", lags: bool = True) -> DynamicFit:
    r"""Fit the dynamic spatial lag / Durbin panel (see the module docstring).

    Parameters
    ----------
    panel : PanelData
        A balanced panel with T >= 3 consecutive periods.
    ld : LogDet
        The n x n log-determinant strategy of ``panel.W``.
    effects : {"unit", "twoway"}
    dynamic : {"time", "spacetime"}
    bias_correction : {"lee-yu", None}
    lags : bool
        ``False`` imposes :math:`\tau = \eta = 0` (the static model on periods 2..T with
        the same likelihood): the identity the tests check.
    """
    if bias_correction is not None and not lags:
        raise InputError("lags=False (tau = eta = 0) is the static model: use "
                         "bias_correction=None.")
    if dynamic not in DYNAMIC:
        raise InputError(f"dynamic must be one of {list(DYNAMIC)} or None; {dynamic!r} was "
                         "given.")
    if effects not in ("unit", "twoway"):
        raise ModelSpecificationError(
            "dynamic panels are estimated with unit or two-way fixed effects (the "
            f"Yu-de Jong-Lee / Lee-Yu estimator); effects={effects!r} was given. Use "
            "effects='unit' or effects='twoway'.")
    if bias_correction not in ("lee-yu", None):
        raise InputError(f"bias_correction must be 'lee-yu' or None; {bias_correction!r} "
                         "was given.")
    check_time_index(panel.times, panel.time_name)
    n, T = panel.n, panel.T
    Te = T - 1
    W = panel.W
    drop = effects == "twoway"
    if drop:
        if not is_row_standardised(W, allow_islands=False):
            raise ModelSpecificationError(
                "two-way effects in a dynamic panel are removed by the Lee-Yu transformation, "
                "which needs a row-standardised W without islands (W 1 = 1); row-standardise "
                "W or use effects='unit'.")
    y, Z, names = _design(panel, dynamic, lags)
    k = Z.shape[1]
    yt, Zt = within(y, n, Te, "unit"), within(Z, n, Te, "unit")
    if drop:
        D = np.kron(np.eye(Te), np.ones((n, 1)))
        Zfit = np.column_stack([Zt, D])
    else:
        Zfit = Zt
    n_star = n - 1 if drop else n
    N = n_star * Te
    design = Design(y=yt, X=Zfit, names=tuple(names), W=W,
                    counts=Counts(N, Te, drop, "Yu-de Jong-Lee QML"), T=Te,
                    n_nuisance=Zfit.shape[1] - k, sweep_periods=drop, rows=panel,
                    exog_names=tuple(c for c in panel.exog_names if c != "Intercept"),
                    lagged_names=tuple(panel.lagged_names), endog_name=panel.endog_name)
    # The search needs no tr(G'G): the covariance is computed below at the corrected values.
    raw = fit_lag(design, ld, information="observed")
    delta, rho = raw.beta, float(raw.spatial)
    sigma2, llf = raw.sigma2, raw.llf
    star = design.logdet(ld)

    # Fully within-transformed response and its lag (time effects swept by demeaning).
    yw = design.sweep(yt)
    Zw = design.sweep(Zt)
    Wyw = design.sweep(design.lag(yw))

    def information_at(d, r, s2):
        ew = yw - r * Wyw - Zw @ d
        return lag_information(design, star, d, r, s2, ew,
                               expected=bool(getattr(ld, "provides_tr_GtG", False)))

    theta_hat = np.concatenate([delta, [rho, sigma2]])
    info0, kind = information_at(delta, rho, sigma2)
    bias = None
    theta = theta_hat
    if bias_correction == "lee-yu":
        tau = delta[0]
        eta = delta[1] if dynamic == "spacetime" else 0.0
        spec = _Spectral(ld, W, drop)
        R = [(1.0 - tau, rho + eta)]                 # ((1 - tau) I - (rho + eta) W)^{-1}
        S = [(1.0, rho)]                             # (I - rho W)^{-1}
        b = np.zeros(k + 2)
        b[0] = spec.trace(0, R)
        if dynamic == "spacetime":
            b[1] = spec.trace(1, R)
        b[k] = tau * spec.trace(1, S + R) + eta * spec.trace(2, S + R) + spec.trace(1, S)
        b[k + 1] = n_star / (2.0 * sigma2)
        bias = inv_information(info0) @ b
        theta = theta_hat + bias
    d1, r1, s1 = theta[:k], float(theta[k]), float(theta[k + 1])
    lo, hi = ld.bounds
    at_bound = raw.at_bound or not (lo < r1 < hi)
    if not (lo < r1 < hi):
        warnings.warn(
            f"the bias-corrected rho = {r1:.6g} lies outside the admissible interval "
            f"({lo:.6g}, {hi:.6g}) (uncorrected {rho:.6g}); the correction is not reliable "
            "here and the covariance is not defined. Compare with bias_correction=None.",
            BoundaryWarning, stacklevel=3)
    info1, kind = information_at(d1, r1, s1)
    cov_full = inv_information(info1)
    e1 = yw - r1 * Wyw - Zw @ d1
    tau1 = d1[0] if lags else 0.0
    eta1 = d1[1] if dynamic == "spacetime" and lags else 0.0
    stat = stationarity(tau1, r1, eta1, ld.bounds)
    if not stat["stationary"]:
        warnings.warn(
            f"the estimates are outside the stationarity region of the dynamic spatial panel: "
            f"tau + rho + eta = {stat['tau_rho_eta']:.4f} (must be < 1 for a row-standardised "
            f"W); spectral radius bound {stat['radius']:.4f} >= 1. The process is explosive or "
            "spatially cointegrated; long-run effects are not defined and the bias correction "
            "(stable case) does not apply.", NonStationaryWarning, stacklevel=3)
    uncorrected = {"params": dict(zip(names + ["rho"], np.concatenate([delta, [rho]]))),
                   "sigma2": sigma2, "llf": float(llf)}
    return DynamicFit(
        names=names + ["rho"], params=np.concatenate([d1, [r1]]), cov_full=cov_full,
        sigma2=s1, llf=float(llf), resid=e1, fitted=yw - e1, converged=raw.converged,
        at_bound=bool(at_bound), information=kind, uncorrected=uncorrected, bias=bias,
        stationarity=stat, counts={"n_star": n_star, "T_eff": Te, "N": N},
        optimizer=raw.optimizer, design=design)


# ------------------------------------------------------------------------------- effects
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
    for stat, suffix in (("point", ""), ("se", "_se"), ("z", "_z"), ("p", "_p"),
                         ("lower", "_lower"), ("upper", "_upper")):
        for key in _EFFECTS:
            cols[key + suffix] = stats_[key][stat]
    frame = pd.DataFrame(cols, index=pd.Index(variables, name="variable"))
    frame.attrs.update(method="simulation", level=level, n_draws=int(n_draws),
                       rejected_draws=rejected, seed=seed, horizon=horizon,
                       trace_method=kernel.trace_method)
    return frame
