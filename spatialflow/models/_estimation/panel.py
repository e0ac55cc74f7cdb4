r"""Static spatial panel models: fixed effects (within and Lee-Yu), random effects, pooled.

.. math::
    y_{it} = \rho (Wy)_{it} + x_{it}\beta + (Wx)_{it}\theta + \mu_i + \lambda_t
             + \varepsilon_{it}
    \quad\text{(or } u = \lambda (I_T\otimes W) u + \varepsilon \text{ for error models)}

with ``effects="unit"`` (:math:`\mu_i`), ``"time"`` (:math:`\lambda_t`), ``"twoway"``
(both), ``"random"`` (:math:`\mu_i \sim N(0, \sigma^2_\mu)`) or ``None`` (pooled).

Fixed effects, ``bias_correction=None`` -- the *within* (direct-approach) ML estimator:
the unit effects are swept out by time-demeaning, the time effects by two-way demeaning of
:math:`y`, :math:`X` and of the spatial lag :math:`(I_T\otimes W)y` (for a row-standardised
W without islands; exactly what period dummies do, :func:`panel_design`) or by T period
dummies (any other W), and the concentrated likelihood of
:func:`spatialflow.models._estimation.ml.fit_lag` / :func:`~spatialflow.models._estimation.ml.fit_error` is maximised
with the stacked operator :math:`I_T\otimes W` and the log-determinant counted T times:

.. math::
    \ell(\rho) = -\tfrac{nT}{2}\ln\hat\sigma^2(\rho) + T\ln|I_n-\rho W| + c,\qquad
    \hat\sigma^2 = \hat\varepsilon'\hat\varepsilon / (nT).

Fixed effects, ``bias_correction="lee-yu"`` (the default) -- the *transformation approach*
of Lee and Yu (2010, J. Econometrics 154, sections 3-4): the unit effects are removed with the
orthonormal :math:`F_{T,T-1}` (T - 1 effective periods), the time effects with
:math:`F_{n,n-1}` from the eigenvectors of :math:`J_n = I_n - \iota\iota'/n` (n - 1 effective
units, W row-standardised so that :math:`W^* = F_n'WF_n` has the eigenvalues of W but 1).
With :math:`n^* = n - 1` under time effects (else n) and :math:`T^* = T - 1` under unit
effects (else T), the estimator maximises

.. math::
    \ell^*(\rho) = -\tfrac{n^*T^*}{2}\ln\hat\sigma^2(\rho)
        + T^*\left[\ln|I_n-\rho W| - \delta\ln(1-\rho)\right] + c,\qquad
    \hat\sigma^2 = \hat\varepsilon'\hat\varepsilon / (n^*T^*),

:math:`\delta = 1` under time effects (else 0). The residual sum of squares is the one of
the within estimator (the transformations are orthonormal), so for unit effects
:math:`\hat\rho,\hat\beta` equal the within estimates and
:math:`\hat\sigma^2_{LY} = \tfrac{T}{T-1}\hat\sigma^2_{within}`; for two-way effects
:math:`\hat\rho` differs as well. The covariance is the inverse of the information matrix of
the transformed model (traces of :math:`G^* = F_n'GF_n`:
:math:`\mathrm{tr}\,G^* = \mathrm{tr}\,G - 1/(1-\rho)`,
:math:`\mathrm{tr}\,G^{*2} = \mathrm{tr}\,G^2 - 1/(1-\rho)^2`,
:math:`\mathrm{tr}\,G^{*\prime}G^* = \mathrm{tr}\,G'G - \lVert G'\iota\rVert^2/n`).
This is Elhorst's (2014, ch. 3) bias-corrected estimator for the unit case; a Monte Carlo test
(``tests/test_panel_montecarlo.py``) checks that it removes the :math:`(T-1)/T` bias of
:math:`\hat\sigma^2`.

No Kronecker product is ever formed: the log-determinant and its traces are those of the
n x n W counted :math:`T^*` times (:math:`\ln|I_T\otimes A| = T\ln|A|`,
:math:`\mathrm{tr}(I_T\otimes W)^k = T\,\mathrm{tr}\,W^k`), solves and lags with
:math:`I_T\otimes(I-\rho W)` and :math:`I_T\otimes W` run period by period on the (T, n)
view of the stacked data, and the transformed design is built once per model. A two-way FE
SDM with effects at N T = 10^6 (99,856 units x 10 periods) costs a few seconds and about
1 GB (``benchmarks/results/panel_2026-12.md``); there ``logdet="auto"`` takes the
Chebyshev approximation of the n x n log-determinant, whose stated error is in
``results.approximation`` (:mod:`spatialflow.models._linalg.logdet`).

Random effects (``effects="random"``; the lag and error models) by ML after quasi-demeaning
:math:`z_{it} - (1-\theta)\bar z_i`, :math:`\theta^2 = \sigma^2/(T\sigma^2_\mu+\sigma^2)`:

.. math::
    \ell(\beta,\rho,\theta,\sigma^2) = -\tfrac{nT}{2}\ln(2\pi\sigma^2) + \tfrac n2\ln\theta^2
        + T\ln|I-\rho W| - \tfrac{1}{2\sigma^2} e'e

(Elhorst 2003, 2014); for the error model the random effects are spatially filtered too
(the Kapoor-Kelejian-Prucha specification, R splm's ``spatial.error="kkp"``). The covariance
of :math:`\beta,\rho,\sigma^2` is conditional on :math:`\hat\theta`; the standard error of
:math:`\hat\theta` comes from the curvature of the profile likelihood.

Recovered fixed effects (Elhorst 2014): with :math:`r_{it} = y_{it} - \hat\rho(Wy)_{it} -
x_{it}\hat\beta - (Wx)_{it}\hat\theta`, :math:`\hat\mu_i = \bar r_{i\cdot}` (unit),
:math:`\hat\lambda_t = \bar r_{\cdot t}` (time), and for two-way effects
:math:`\hat\alpha = \bar r`, :math:`\hat\mu_i = \bar r_{i\cdot}-\hat\alpha`,
:math:`\hat\lambda_t = \bar r_{\cdot t}-\hat\alpha` (both sum to zero).

Residuals and fitted values (``results.resid``, ``results.fitted``) are Series on the
*user's* row labels, in the user's row order (rows dropped by ``balance="drop"`` or
``missing="drop"`` are absent), so ``data["resid"] = results.resid`` lines up; the stacked
view indexed by (id, time) is ``results.extra["resid_by_id_time"]`` (and
``"fitted_by_id_time"``). Under fixed effects the residuals are those of the within
(demeaned) model; under random effects those of the quasi-demeaned model
(``extra["resid_raw"]``: on the original scale, unit effect included).

Examples
--------
>>> import libpysal, numpy as np, pandas as pd
>>> import spatialflow as sf
>>> w = libpysal.weights.lat2W(6, 6)
>>> w.transform = "r"
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"code": np.tile(w.id_order, 4),
...                    "year": np.repeat(np.arange(2001, 2005), 36),
...                    "x": rng.normal(size=144)})
>>> df["y"] = 2 * df["x"] + rng.normal(size=144)
>>> res = sf.SDM.from_formula("y ~ x", data=df, w=w, id="code", time="year",
...                           effects="twoway").fit(bias_correction="lee-yu")
>>> list(res.params.index), res.panel["estimator"]
(['x', 'W_x', 'rho'], 'Lee-Yu transformation approach')
>>> res.extra["unit_effects"].shape, res.extra["time_effects"].shape
((36,), (4,))
"""
from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import scipy.linalg as la

from ..._typing import BiasCorrection, PanelEffects, check_option, literal_values
from ...exceptions import (BoundaryWarning, ConvergenceWarning, InputError,
                          ModelSpecificationError, PanelError, format_ids)
from ...weights.align import is_row_standardised
from .dynamic import DYNAMIC, ETA, TAU, check_time_index, fit_dynamic
from .._linalg.operator import SpatialOperator
from .._design.naming import MODEL_KINDS
from .ml import (DEFAULT_INFORMATION, LOG2PI, MLFit, fit_error, fit_lag, fit_ols, minimize_scalar,
                 warn_if_expensive)
from .._design.panel_data import spec_of, unit_attribute  # noqa: F401  (public here too)
from .._design.panel_data import (PanelData, lag_panel, prepare_panel, quasi_demean,
                         transformed_design, within)
from .builder import build_results
from .._design.problem import Counts, Design
from ..results.base import PanelInfo, SpatialResults
from .sac import fit_sac

__all__ = ["PanelSpec", "fit_panel", "panel_design", "unit_attribute", "spec_of"]

FIXED = ("unit", "time", "twoway")
CORRECTIONS = literal_values(BiasCorrection)


class PanelSpec:
    """Validated panel inputs of a model (built by the model classes when ``id=`` is given).

    Parameters are those of :class:`spatialflow.models.estimators.SpatialModel`; the data are
    checked and stacked by :func:`spatialflow.models._design.panel_data.prepare_panel`.
    """

    def __init__(self, *, data, y, X, w, id, time, effects, balance="raise", lagged=None,
                 durbin=False, missing="raise", model_kind="", dynamic=None):
        check_option(effects, PanelEffects, "effects")
        if dynamic is not None:
            if dynamic not in DYNAMIC:
                raise InputError(f"dynamic must be one of {list(DYNAMIC)} or None; "
                                 f"{dynamic!r} was given.")
            flags = MODEL_KINDS[model_kind]
            if not flags.lag_y or flags.error:
                raise ModelSpecificationError(
                    f"dynamic panels are implemented for SAR and SDM; a {model_kind} was "
                    "requested.")
            if effects not in ("unit", "twoway"):
                raise ModelSpecificationError(
                    "dynamic panels are estimated with unit or two-way fixed effects (the "
                    f"Yu-de Jong-Lee / Lee-Yu estimator); effects={effects!r} was given.")
        self.dynamic = dynamic
        flags = MODEL_KINDS[model_kind]
        # Random effects: the lag and error models only (not Durbin, not SAC/GNS).
        random_available = not flags.durbin and not (flags.lag_y and flags.error)
        if effects == "random" and not random_available:
            raise ModelSpecificationError(
                f"random effects are implemented for SAR, SEM (and OLS); a {model_kind} was "
                "requested. Use fixed effects for Durbin models.")
        self.effects = effects
        self.model_kind = model_kind
        self.inputs = dict(data=data, y=y, X=X, w=w, id=id, time=time, balance=balance,
                           lagged=lagged, missing=missing)
        self.data: PanelData = prepare_panel(data, y, X, w, id=id, time=time, balance=balance,
                                             missing=missing, lagged=lagged, durbin=durbin)
        # Fail at construction, not at fit, on regressors the effects absorb; the design
        # (within transform and rank check: about a second at N T = 10^6) is built once.
        self._design = panel_design(self.data, effects, random_available=random_available)
        if dynamic is not None:
            check_time_index(self.data.times, self.data.time_name)
        self._logdets: dict = {}

    def unit_attribute(self, column: str) -> pd.Series:
        """A column of the long data that is constant within units, as a Series by unit id."""
        data, id_col = self.inputs["data"], self.inputs["id"]
        if column not in data.columns:
            raise InputError(f"{column!r} is not a column of the data; columns: "
                             f"{list(data.columns)}.")
        groups = data.groupby(id_col, sort=False)[column]
        varying = groups.nunique(dropna=False)
        varying = varying[varying > 1]
        if len(varying):
            raise PanelError(f"column {column!r} must be constant within units to label them; "
                             f"it changes over time for {len(varying)} unit(s) "
                             f"{format_ids(varying.index)}.")
        return groups.first().reindex(self.data.ids).rename(column)

    def design(self, correction=None) -> Design:
        """The transformed :class:`~spatialflow.models._design.problem.Design` of the spec's
        effects with the counts of ``correction`` (see :func:`panel_design`)."""
        d = self._design
        return replace(d, counts=panel_counts(self.data.n, self.data.T, self.effects,
                                              correction))

    def logdet(self, method: str):
        """The n x n log-determinant strategy, built once per method (W is fixed)."""
        operator = SpatialOperator.of(self.data.W)
        if not isinstance(method, str):
            return operator.logdet(method)
        if method not in self._logdets:
            self._logdets[method] = operator.logdet(method)
        return self._logdets[method]


def panel_design(panel: PanelData, effects, correction=None, *,
                 random_available: bool = True, dummies: bool | None = None) -> Design:
    r"""The panel as the engines see it: a :class:`~spatialflow.models._design.problem.Design`.

    Unit effects: y and X are time-demeaned. Time effects, W row-standardised without
    islands (:math:`W\iota = \iota`, always so under the Lee-Yu correction): y and X are
    demeaned by period as well and so is the spatial lag (``Design.lag_demeaned``), which is
    exactly what period dummies do (Frisch-Waugh-Lovell; the module docstring of
    :mod:`~spatialflow.models._design.problem`) at :math:`O(NTk)`. Time effects with any
    other W (or ``dummies=True``): T period dummies are appended (the ``n_nuisance``
    trailing columns), which profiles the time effects out of y, X *and* of the spatial lag
    for any W. Random/pooled: raw data (with the intercept). The counts are those of the
    estimator (:func:`panel_counts`).
    """
    # raises on absorbed regressors; Z is transformed for ``effects`` (two-way demeaned)
    Z, names = transformed_design(panel, effects, random_available=random_available)
    n, T = panel.n, panel.T
    exog = names[:len(names) - len(panel.lagged_names)]
    sweep = effects in ("time", "twoway")
    if dummies is None:
        dummies = sweep and not is_row_standardised(panel.W, allow_islands=False)
    dummies = bool(dummies and sweep)
    fixed = effects in FIXED
    y = within(panel.y, n, T, effects) if fixed else panel.y
    n_nuisance = 0
    if dummies:
        # unit-demeaned (or raw) y and X next to the T period indicators
        unit = "unit" if effects == "twoway" else None
        raw = np.column_stack([panel.X[exog].to_numpy(), panel.WX])
        y, Z = within(panel.y, n, T, unit), within(raw, n, T, unit)
        Z = np.column_stack([Z, np.repeat(np.eye(T), n, axis=0)])
        n_nuisance = T
    return Design(y=y, X=Z, names=tuple(names), W=panel.W,
                  counts=panel_counts(n, T, effects, correction), T=T, n_nuisance=n_nuisance,
                  sweep_periods=sweep, lag_demeaned=sweep and not dummies, rows=panel,
                  exog_names=tuple(exog), lagged_names=tuple(panel.lagged_names),
                  endog_name=panel.endog_name)


def panel_counts(n: int, T: int, effects, correction) -> Counts:
    """Effective sizes: :math:`N^* = n^*T^*` and the log-determinant counted :math:`T^*`
    times under the Lee-Yu transformation, nT and T otherwise (module docstring)."""
    if effects not in FIXED or correction is None:
        est = {"random": "random effects ML", None: "pooled ML"}.get(effects, "within ML")
        return Counts(n * T, T, False, est)
    n_star = n - 1 if effects in ("time", "twoway") else n
    T_star = T - 1 if effects in ("unit", "twoway") else T
    return Counts(n_star * T_star, T_star, effects in ("time", "twoway"),
                  "Lee-Yu transformation approach")


# -------------------------------------------------------------------------- fit
def fit_panel(model, *, bias_correction="lee-yu", logdet: str = "auto",
              information: str | None = None) -> SpatialResults:
    """Fit a model built with ``id=``/``time=``/``effects=`` (called by ``model.fit``).

    Parameters
    ----------
    model : SpatialModel
        With ``model.panel_options`` a :class:`PanelSpec`.
    bias_correction : {"lee-yu", None}
        Fixed effects only (ignored, and recorded as None, for random/pooled models):
        the Lee-Yu transformation approach or the uncorrected within ML estimator.
    logdet : {"auto", "eigen", "lu"}
        The n x n log-determinant strategy (its values and traces are counted T times).
    information : {"expected", "observed"}, optional
        The information matrix of the covariance (see :mod:`spatialflow.models._estimation.ml`);
        default the observed one (dynamic panels: their bias-corrected QML covariance).
    """
    spec: PanelSpec = model.panel_options
    check_option(bias_correction, BiasCorrection, "bias_correction")
    effects = spec.effects
    if effects not in FIXED:
        bias_correction = None
    panel = spec.data
    n, T = panel.n, panel.T
    counts = panel_counts(n, T, effects, bias_correction)
    if counts.drop_unit_root and not is_row_standardised(panel.W, allow_islands=False):
        raise ModelSpecificationError(
            "the Lee-Yu correction for time (or two-way) effects needs a row-standardised W "
            "without islands (W 1 = 1), so that the time effects can be transformed away; "
            f"{_zero_rows(panel)} Row-standardise W (libpysal: w.transform = 'r'; give "
            "islands a neighbour), or pass bias_correction=None for the within estimator.")
    if spec.dynamic is not None:
        if information == "observed":  # asked for explicitly (None: their own covariance)
            raise ModelSpecificationError(
                "information='observed' is not available for dynamic panels: their covariance "
                "is the one of the bias-corrected QML estimator (spatialflow.models._estimation.dynamic).")
        return fit_panel_dynamic(model, spec, bias_correction=bias_correction, logdet=logdet)
    if information is None:
        information = DEFAULT_INFORMATION
    if effects == "random":
        spatial = "rho" if model.lag_y else ("lambda" if model.error else None)
        return _fit_random(model, panel, spatial, spec.logdet(logdet) if spatial else None,
                           information)
    design = spec.design(bias_correction)
    ld = None
    if model.lag_y or model.error:
        ld = spec.logdet(logdet)
        if not (model.lag_y and model.error):   # SAC/GNS panels: the observed information
            warn_if_expensive(design, ld, information, stacklevel=5)
    if model.lag_y and model.error:
        # Covariance: the observed information of the transformed model with the time
        # dummies profiled out (see spatialflow.models._estimation.sac).
        raw = fit_sac(design, ld, expected=False, name=model.kind)
        rho = raw.rho
    elif model.lag_y or model.error:
        engine = fit_lag if model.lag_y else fit_error
        raw = engine(design, ld, information=information)
        rho = raw.spatial if model.lag_y else 0.0
    else:
        raw = _fit_panel_ols(design)
        rho = 0.0
    e = raw.resid
    extra = _recover_effects(panel, effects, list(design.names), raw.beta, rho)
    extra.update(sigma2_within=float(e @ e) / (n * T))
    # fitted = y - e on the original scale (the unit effects are in it; resid is within)
    return build_results(model, design, raw, ld, fitted=panel.y - e,
                         panel=_panel_info(panel, effects, bias_correction, counts),
                         extra=extra)


def _panel_info(panel: PanelData, effects, correction, counts: Counts, *,
                estimator: str | None = None, **kwargs) -> PanelInfo:
    return PanelInfo(effects=effects, T=panel.T, n=panel.n,
                     bias_correction=correction if effects in FIXED else None,
                     estimator=estimator or counts.estimator, id=panel.id_name, time=panel.time_name,
                     times=panel.times, nobs_effective=counts.N, **kwargs)


def _fit_panel_ols(design: Design) -> MLFit:
    """Least squares on the transformed panel; the likelihood counts N* observations."""
    k, N = design.k, design.counts.N
    raw = fit_ols(design.y, design.X)
    e = raw.resid
    sigma2 = float(e @ e) / N
    llf = -0.5 * N * (LOG2PI + 1.0 + np.log(sigma2))
    # Classical covariance with s^2 = e'e/(N* - k) for the slopes (time dummies partialled).
    s2 = float(e @ e) / max(N - k, 1)
    cov = np.zeros((k + 1, k + 1))
    cov[:k, :k] = s2 * la.pinv(design.X.T @ design.X)[:k, :k]
    cov[k, k] = 2 * s2**2 / max(N - k, 1)
    return MLFit(raw.beta[:k], None, sigma2, llf, cov, e, design.y - e, information="ols")


def fit_panel_dynamic(model, spec, *, bias_correction="lee-yu", logdet: str = "auto"):
    """Fit a model built with ``dynamic=`` and label the results (see
    :mod:`spatialflow.models._estimation.dynamic`).

    ``params``: the regressors, their lags ``W_<x>``, then ``tau``, ``eta`` (spacetime) and
    ``rho``. ``resid`` and ``fitted`` are on the user's rows, NaN in the first period (the
    initial condition has no residual); they are those of the within-transformed model.
    ``extra`` holds the uncorrected estimates, the bias, the stationarity check.
    """
    panel = spec.data
    ld = spec.logdet(logdet)
    fit = fit_dynamic(panel, ld, effects=spec.effects, dynamic=spec.dynamic,
                      bias_correction=bias_correction)
    dyn = [TAU] + ([ETA] if spec.dynamic == "spacetime" else [])
    regs = [nm for nm in fit.names if nm not in dyn and nm != "rho"]
    # Reported order: the regressors, their lags, tau, eta, then rho (and sigma2).
    order = regs + dyn
    pos = [fit.names.index(nm) for nm in order + ["rho"]]
    idx = pos + [len(fit.names)]
    labels = order + ["rho", "sigma2"]
    raw = MLFit(beta=fit.params[pos[:-1]], spatial=float(fit.params[pos[-1]]),
                sigma2=float(fit.sigma2), llf=float(fit.llf),
                cov_full=fit.cov_full[np.ix_(idx, idx)], resid=fit.resid, fitted=fit.fitted,
                converged=fit.converged, at_bound=fit.at_bound, information=fit.information,
                optimizer=fit.optimizer)
    pad = np.full(panel.n, np.nan)  # the initial period has no residual
    estimator = ("Yu-de Jong-Lee bias-corrected QML" if bias_correction else "QML (uncorrected)")
    if spec.effects == "twoway":
        estimator += ", Lee-Yu transformation of time effects"
    extra = dict(uncorrected=fit.uncorrected, stationarity=fit.stationarity,
                 bias=None if fit.bias is None else pd.Series(fit.bias[idx], index=labels,
                                                              name="bias"))
    return build_results(
        model, fit.design, raw, ld, names=order,
        resid=np.concatenate([pad, fit.resid]), fitted=np.concatenate([pad, fit.fitted]),
        panel=_panel_info(panel, spec.effects, bias_correction, fit.design.counts,
                          estimator=estimator, dynamic=spec.dynamic, periods_used=panel.T - 1),
        extra=extra)


def _zero_rows(panel: PanelData) -> str:
    rows = np.asarray(panel.W.sum(axis=1)).ravel()
    if not is_row_standardised(panel.W):
        return "The given W is not row-standardised."
    islands = panel.ids[rows == 0]
    return f"The given W has {len(islands)} island(s) with zero rows: {format_ids(islands)}."


def _recover_effects(panel: PanelData, effects, names, beta, rho) -> dict:
    """Elhorst's (2014) estimates of the fixed effects from the raw data (module docstring)."""
    if effects not in FIXED:
        return {}
    n, T = panel.n, panel.T
    exog = names[:len(names) - len(panel.lagged_names)]
    Z = np.column_stack([panel.X[exog].to_numpy(), panel.WX])
    r = panel.y - Z @ beta
    if rho:
        r = r - rho * lag_panel(panel.W, panel.y, n, T)
    R = r.reshape(T, n)
    out = {}
    if effects == "unit":
        out["unit_effects"] = pd.Series(R.mean(axis=0), index=panel.ids, name="unit_effects")
    elif effects == "time":
        out["time_effects"] = pd.Series(R.mean(axis=1), index=panel.times, name="time_effects")
    else:
        alpha = float(R.mean())
        out["intercept"] = alpha
        out["unit_effects"] = pd.Series(R.mean(axis=0) - alpha, index=panel.ids,
                                        name="unit_effects")
        out["time_effects"] = pd.Series(R.mean(axis=1) - alpha, index=panel.times,
                                        name="time_effects")
    return out


# -------------------------------------------------------------------------- random effects
def _fit_random(model, panel: PanelData, spatial, ld,
                information: str = "expected") -> SpatialResults:
    r"""Random effects by ML: profile the likelihood over :math:`\theta\in(0, 1]`."""
    base = panel_design(panel, "random")
    y0, Z0 = base.y, base.X
    n, T = panel.n, panel.T
    k = base.k
    N = base.counts.N

    def inner(theta: float, final: bool = False) -> MLFit:
        design = replace(base, y=quasi_demean(y0, n, T, theta), X=quasi_demean(Z0, n, T, theta))
        if spatial is None:
            return fit_ols(design.y, design.X)
        engine = fit_lag if spatial == "rho" else fit_error
        if final:
            return engine(design, ld, information=information)
        # Inside the search the observed information (no extra traces) is enough.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoundaryWarning)
            return engine(design, ld, xatol=1e-10, information="observed")

    def profile(theta: float) -> float:
        fit = inner(theta)
        sse = float(fit.resid @ fit.resid)
        logdet_term = T * ld(fit.spatial) if spatial else 0.0
        return -(-0.5 * N * (LOG2PI + 1.0 + np.log(sse / N)) + n * np.log(theta)
                 + logdet_term)

    res = minimize_scalar(profile, bounds=(1e-6, 1.0), method="bounded",
                          options={"xatol": 1e-10, "maxiter": 500})
    theta = float(res.x)
    if not res.success:
        warnings.warn(f"the optimiser for theta did not converge: {res.message}",
                      ConvergenceWarning, stacklevel=3)
    fit = inner(theta, final=True)
    sigma2 = float(fit.resid @ fit.resid) / N
    llf = -float(profile(theta))
    h = 1e-4 * max(theta, 1e-3)
    lo, hi = max(theta - h, 1e-7), min(theta + h, 1.0)
    mid = 0.5 * (lo + hi)
    curv = (profile(hi) - 2 * profile(mid) + profile(lo)) / (0.5 * (hi - lo)) ** 2
    theta_se = float(1.0 / np.sqrt(curv)) if curv > 0 else np.nan
    cov_full = fit.cov_full
    if spatial is None:
        cov_beta = fit.cov_full[:k, :k] * (N - k) / N  # ML variance, as the spatial fits
        cov_full = la.block_diag(cov_beta, np.array([[2 * sigma2**2 / N]]))
    # Residuals on the original scale: y minus the systematic part and the unit effect.
    r = panel.y - Z0 @ fit.beta
    if spatial == "rho":
        r = r - fit.spatial * lag_panel(panel.W, panel.y, n, T)
    sigma2_mu = max(sigma2 / theta**2 - sigma2, 0.0) / T
    extra = dict(theta=theta, theta_std_error=theta_se, sigma2_mu=sigma2_mu, phi=theta**2,
                 optimizer={"nfev": int(res.nfev), "message": str(res.message)},
                 resid_raw=panel.to_user_rows(r, "resid_raw"))
    fit = replace(fit, sigma2=sigma2, llf=llf, cov_full=cov_full,
                  converged=fit.converged and bool(res.success))
    return build_results(model, base, fit, ld, fitted=panel.y - fit.resid,
                         panel=_panel_info(panel, "random", None, base.counts), extra=extra)
