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
>>> from spatialflow.models._linalg.operator import SpatialOperator
>>> lu = SpatialOperator.of(W).factor(0.3)
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

from ...exceptions import (BoundaryWarning, InputError, ModelSpecificationError,
                          NonStationaryWarning, PanelError)
from ...weights.align import is_row_standardised
from ..results.dynamic_effects import ETA, TAU, dynamic_effects, stationarity
from .information import lag_information
from .ml import fit_lag, inv_information
from .._design.naming import lag_name
from .._design.panel_data import PanelData, within
from .._design.problem import Counts, Design
from .._linalg.spectral import SpectralTraces

__all__ = ["DynamicFit", "fit_dynamic", "dynamic_effects", "check_time_index",
           "stationarity", "DYNAMIC", "TAU", "ETA"]

#: Accepted values of ``dynamic=``.
DYNAMIC = ("time", "spacetime")


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
    # Two-way: the time effects are removed by demeaning within periods as well (and the
    # spatial lag with them, Design.lag_demeaned), which W 1 = 1 makes exactly what Te
    # period dummy columns do (Frisch-Waugh-Lovell; models/_design/problem.py).
    effects_swept = "twoway" if drop else "unit"
    yt, Zt = within(y, n, Te, effects_swept), within(Z, n, Te, effects_swept)
    n_star = n - 1 if drop else n
    N = n_star * Te
    design = Design(y=yt, X=Zt, names=tuple(names), W=W,
                    counts=Counts(N, Te, drop, "Yu-de Jong-Lee QML"), T=Te,
                    sweep_periods=drop, lag_demeaned=drop, rows=panel,
                    exog_names=tuple(c for c in panel.exog_names if c != "Intercept"),
                    lagged_names=tuple(panel.lagged_names), endog_name=panel.endog_name)
    # The search needs no tr(G'G): the covariance is computed below at the corrected values.
    raw = fit_lag(design, ld, information="observed")
    delta, rho = raw.beta, float(raw.spatial)
    sigma2, llf = raw.sigma2, raw.llf
    star = design.logdet(ld)

    # The fully within-transformed response, regressors and lag: yt and Zt are already
    # demeaned by unit (and by period under two-way effects), and design.lag demeans the
    # lag by period when the periods are swept (Design.lag_demeaned).
    yw, Zw = yt, Zt
    Wyw = design.lag(yw)

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
        spec = SpectralTraces(ld, W, drop)
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
