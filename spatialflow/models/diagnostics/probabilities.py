r"""Bayesian posterior model probabilities of OLS, SLX, SAR, SDM, SEM and SDEM (LeSage 2014).

Priors (LeSage 2014, LeSage and Pace 2009 ch. 6): flat :math:`p(\beta)\propto 1`,
:math:`p(\sigma^2)\propto 1/\sigma^2`, and :math:`\rho` (or :math:`\lambda`) uniform on the
admissible interval :math:`(\rho_{min}, \rho_{max}) = (1/\omega_{min}, 1/\omega_{max})` of
W. Integrating :math:`\beta` and :math:`\sigma^2` analytically gives, with
:math:`a = (N - k)/2`,

.. math::
    p(y\mid\rho) = \Gamma(a)\,\pi^{-a}\,|A(\rho)|^{s}\,|X_\rho'X_\rho|^{-1/2}\,
                   Q(\rho)^{-a},

where for lag models (SAR, SDM) :math:`X_\rho = X` and :math:`Q(\rho)` is the residual sum
of squares of :math:`A(\rho)y` on :math:`X`, and for error models (SEM, SDEM)
:math:`X_\rho = A(\lambda)X` and :math:`Q` that of :math:`A(\lambda)y` on :math:`A(\lambda)X`;
OLS and SLX have no :math:`\rho`. The log-marginal likelihood is

.. math::
    \ln p(y) = \ln\int_{\rho_{min}}^{\rho_{max}} p(y\mid\rho)\,
               \frac{d\rho}{\rho_{max}-\rho_{min}},

computed by adaptive quadrature (``scipy.integrate.quad``, with the posterior mode as a break
point, on the integrand scaled by its maximum, over the window where it exceeds
:math:`e^{-50}` of the maximum), and the posterior probabilities under equal
prior model probabilities are :math:`p(M_j\mid y) = p_j(y)/\sum_l p_l(y)`.

Panels (static, ``effects="unit"|"time"|"twoway"`` or pooled): the fixed effects are removed
by the within transformation and the likelihood is that of the Lee-Yu transformed model:
:math:`N = n^*T^*`, :math:`s = T^*` and, under time effects,
:math:`\ln|A| - \ln(1-\rho)` per period (n* = n - 1 with time effects, T* = T - 1 with unit
effects). Cross-sections have N = n, s = 1.

Differences from LeSage's MATLAB ``log_marginal_panel*`` routines (and ports of them): the
constant here is :math:`\pi^{-a}` (the exact integral for a unit flat prior on
:math:`\beta`); their :math:`(2\pi)^{-a}` shifts each model's log-marginal by
:math:`-a\ln 2`, which depends on the number of regressors k. Some versions of those routines
also integrate with the trapezoid rule's factors swapped (the sum of the grid *points* times
the differences of the *integrand*) and add the result without a logarithm; here the integral
is computed as written above.

The flat priors on :math:`\beta` are improper, so the probabilities depend on the units of the
regressors through :math:`|X'X|^{-1/2}` where models differ in their regressors (as in
LeSage's practice); they are comparable across models fitted to the same y and sample only.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd
from scipy import integrate
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

from ...exceptions import IncomparableModelsError, InputError, ModelSpecificationError
from ...weights.align import is_row_standardised
from .. import estimators as base
from .._linalg.operator import SpatialOperator
from .._estimation.panel import panel_design

if TYPE_CHECKING:  # annotations only
    from ..._typing import WeightsLike
    from ..estimators import SpatialModel
    from ..results.base import SpatialResults

__all__ = ["model_probabilities", "log_marginal"]

_KINDS = ("OLS", "SLX", "SAR", "SDM", "SEM", "SDEM")
_DEFAULT = ("SAR", "SDM", "SEM", "SDEM")


def _design(model):
    """The model's :class:`~spatialflow.models._design.problem.Design` seen as the marginal
    likelihood needs it: fully transformed y and X (period dummies swept out), the lag of the
    transformed data, N* and T* of the Lee-Yu likelihood, whether the unit root is dropped."""
    if model.panel_options is None:
        design = model._design()
    else:
        spec = model.panel_options
        if spec.effects == "random":
            raise ModelSpecificationError("model probabilities are implemented for "
                                          "fixed-effects and pooled static panels; "
                                          "effects='random' was given.")
        design = panel_design(spec.data, spec.effects, "lee-yu")
        if design.counts.drop_unit_root and not is_row_standardised(design.W,
                                                                     allow_islands=False):
            raise ModelSpecificationError(
                "time (or two-way) effects need a row-standardised W without islands "
                "(W 1 = 1) for the Lee-Yu likelihood used here; row-standardise W.")
    y = design.sweep(design.y)
    X = design.sweep(design.X[:, :design.k])
    y_raw = design.y if model.panel_options is None else model.panel_options.data.y
    return dict(design=design, y=y, X=X, W=design.W, N=design.counts.N, s=design.counts.T,
                y_raw=y_raw,
                # lags of the transformed data: W acts within periods, so it commutes with
                # the unit demeaning; the period means are removed again under time effects
                lag=lambda z: design.sweep(design.lag(z)))


def log_marginal(model, *, logdet=None) -> float:
    """Log-marginal likelihood of one model object under the priors of the module docstring."""
    d = _design(model)
    y, X, N, s = d["y"], d["X"], d["N"], d["s"]
    k = X.shape[1]
    a = 0.5 * (N - k)
    if a <= 0:
        raise ModelSpecificationError(f"the {model.kind} model has {k} regressors for {N} "
                                      "effective observations: no degrees of freedom left.")
    const = gammaln(a) - a * np.log(np.pi)
    XX = X.T @ X
    sign, logdet_xx = np.linalg.slogdet(XX)
    if sign <= 0:
        raise ModelSpecificationError(f"X'X of the {model.kind} model is singular.")
    lag, err = model.lag_y, model.error
    if not (lag or err):
        coef = np.linalg.lstsq(X, y, rcond=None)[0]
        e = y - X @ coef
        return float(const - 0.5 * logdet_xx - a * np.log(e @ e))
    W = d["W"]
    ld = logdet if logdet is not None else SpatialOperator.of(W).logdet("auto")
    lo, hi = ld.bounds

    ld_star = d["design"].logdet(ld)      # Lee-Yu: the unit root dropped

    def logdet_term(r):
        return s * ld_star(r)

    if lag:
        # A(rho) y in the transformed space: y - rho * (time part of W (unit part of y)).
        Wy = d["lag"](y)
        coef = np.linalg.lstsq(X, np.column_stack([y, Wy]), rcond=None)[0]
        e0, eL = y - X @ coef[:, 0], Wy - X @ coef[:, 1]
        s00, s0L, sLL = e0 @ e0, e0 @ eL, eL @ eL

        def f(r):
            return logdet_term(r) - a * np.log(max(s00 - 2 * r * s0L + r * r * sLL,
                                                   np.finfo(float).tiny))
        base = const - 0.5 * logdet_xx
    else:
        # Lags of the transformed data: with unit effects the within transform and W commute
        # (W acts within periods); with time effects the period means are removed again.
        Wy = d["lag"](y)
        WX = d["lag"](X)
        XX0, XW, WW = XX, X.T @ WX, WX.T @ WX
        Xy, XWy, WXy, WXWy = X.T @ y, X.T @ Wy, WX.T @ y, WX.T @ Wy
        yy, yWy, WyWy = y @ y, y @ Wy, Wy @ Wy

        def f(r):
            A = XX0 - r * (XW + XW.T) + r * r * WW
            b = Xy - r * (XWy + WXy) + r * r * WXWy
            sgn, lda = np.linalg.slogdet(A)
            beta = np.linalg.solve(A, b)
            q = (yy - 2 * r * yWy + r * r * WyWy) - b @ beta
            return logdet_term(r) - a * np.log(max(q, np.finfo(float).tiny)) - 0.5 * lda
        base = const
    width = hi - lo
    eps = 1e-9 * width
    a_lo, a_hi = lo + eps, hi - eps
    # The mode only anchors the quadrature: a loose tolerance saves log-determinants.
    opt = minimize_scalar(lambda r: -f(r), bounds=(a_lo, a_hi), method="bounded",
                          options={"xatol": 1e-7 * width})
    mode = float(opt.x)
    fmax = f(mode)
    # Integrate over the window where the integrand is above exp(-CUT) of its peak (a few
    # posterior SDs, found by doubling steps from the mode); for large n the posterior of rho
    # is a narrow spike and quadrature over the whole interval wastes log-determinants.
    left, right = _window(f, fmax, mode, a_lo, a_hi, width)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        val, _ = integrate.quad(lambda r: np.exp(f(r) - fmax), left, right,
                                points=[mode] if left < mode < right else None,
                                limit=200, epsabs=0.0, epsrel=1e-9)
    return float(base + fmax + np.log(val) - np.log(width))


#: The integrand is cut where it falls below exp(-CUT) of its maximum (relative mass lost
#: below 1e-20 for any unimodal integrand over the admissible interval).
CUT = 50.0


def _window(f, fmax, mode, lo, hi, width):
    """Interval around ``mode`` outside which ``f < fmax - CUT`` (by doubling steps)."""
    ends = []
    for sign, bound in ((-1.0, lo), (1.0, hi)):
        step = 1e-4 * width
        x = mode
        while True:
            x_new = mode + sign * step
            if (sign < 0 and x_new <= bound) or (sign > 0 and x_new >= bound):
                x = bound
                break
            if f(x_new) < fmax - CUT:
                x = x_new
                break
            step *= 2.0
        ends.append(x)
    return ends[0], ends[1]


def _check_comparable(models) -> None:
    first = models[0]
    ref = _design(first)

    def ids(m):
        return m.frame.ids if m.panel_options is None else m.panel_options.data.index

    for m in models[1:]:
        d = _design(m)
        what = None
        if (m.panel_options is None) != (first.panel_options is None):
            what = "one is a panel and the other a cross-section"
        elif not ids(m).equals(ids(first)):
            diff = ids(m).symmetric_difference(ids(first))
            what = (f"their samples differ ({len(diff)} row id(s) not in both"
                    + (f", e.g. {list(diff[:5])}" if len(diff) else ", or in another order")
                    + ")")
        elif (m.frame.endog_name if m.panel_options is None
              else m.panel_options.data.endog_name) != (
                first.frame.endog_name if first.panel_options is None
                else first.panel_options.data.endog_name) or \
                not np.allclose(d.get("y_raw", d["y"]), ref.get("y_raw", ref["y"]),
                                rtol=0, atol=0):
            what = "their outcomes differ"
        elif d["W"] is not None and ref["W"] is not None and (
                d["W"].shape != ref["W"].shape or abs(d["W"] - ref["W"]).max() > 0):
            what = "their weights differ"
        elif m.panel_options is not None and \
                m.panel_options.effects != first.panel_options.effects:
            what = (f"their panel effects differ ({first.panel_options.effects!r} vs "
                    f"{m.panel_options.effects!r})")
        if what:
            raise IncomparableModelsError(
                f"posterior model probabilities compare models of the same outcome on the same "
                f"sample and W; {first!r} and {m!r} cannot be compared: {what}.")


def model_probabilities(formula: str | None = None, data: pd.DataFrame | None = None,
                        w: WeightsLike | None = None, *,
                        models: str | Sequence[str | SpatialModel | SpatialResults] = _DEFAULT,
                        **model_options: Any) -> pd.DataFrame:
    r"""Log-marginal likelihoods and posterior probabilities of spatial models.

    Parameters
    ----------
    formula, data, w
        As in ``Model.from_formula``; every model in ``models`` named by its kind is built
        from them (with ``model_options``: ``id``, ``time``, ``effects`` for panels,
        ``lagged``, ``missing``...).
    models : sequence
        Model kinds among "OLS", "SLX", "SAR", "SDM", "SEM", "SDEM" (default the four spatial
        ones), or model objects / fitted results (then formula, data and w are not needed).
        All must share the outcome, the sample and W
        (:class:`~spatialflow.exceptions.IncomparableModelsError` otherwise).
    **model_options
        Passed to every ``from_formula`` (``id``, ``time``, ``effects`` for panels,
        ``lagged``, ``missing`` ...).

    Returns
    -------
    DataFrame
        Indexed by model, columns ``log_marginal`` and ``probability`` (equal prior model
        probabilities).

    Examples
    --------
    >>> import libpysal, numpy as np, pandas as pd
    >>> import spatialflow as sf
    >>> w = libpysal.weights.lat2W(8, 8); w.transform = "r"
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.normal(size=64)}, index=w.id_order)
    >>> df["y"] = 1 + df["x"] + rng.normal(size=64)
    >>> out = sf.model_probabilities("y ~ x", df, w, models=("OLS", "SAR", "SEM"))
    >>> list(out.columns), round(float(out["probability"].sum()), 12)
    (['log_marginal', 'probability'], 1.0)
    """
    if isinstance(models, str):
        models = (models,)
    models = list(models)
    if not models:
        raise InputError("models must name at least one model, e.g. ('SAR', 'SDM').")
    objs, labels = [], []
    for m in models:
        if isinstance(m, str):
            if m not in _KINDS:
                raise InputError(f"models must be kinds among {list(_KINDS)} or model objects; "
                                 f"{m!r} was given.")
            if formula is None or data is None:
                raise InputError("models given by name need formula= and data= (and w=).")
            cls = getattr(base, m)
            opts = dict(model_options)
            if not cls.durbin:
                opts.pop("lagged", None)
            objs.append(cls.from_formula(formula, data=data, w=w, **opts))
            labels.append(m)
        else:
            obj = getattr(m, "model", m)
            if not hasattr(obj, "kind") or not hasattr(obj, "panel_options"):
                raise InputError(f"models must be kinds, model objects or results; "
                                 f"{type(m).__name__} was given.")
            objs.append(obj)
            labels.append(obj.kind)
    if len(set(labels)) < len(labels):
        counts = pd.Series(labels).value_counts()
        labels = [f"{lab}_{i}" if counts[lab] > 1 else lab for i, lab in enumerate(labels)]
    _check_comparable(objs)
    logdets: dict = {}
    lm = []
    for obj in objs:
        W = _design(obj)["W"]
        ld = None
        if W is not None and (obj.lag_y or obj.error):
            key = id(W)
            if key not in logdets:
                logdets[key] = SpatialOperator.of(W).logdet("auto")
            ld = logdets[key]
        lm.append(log_marginal(obj, logdet=ld))
    lm = np.array(lm)
    p = np.exp(lm - lm.max())
    out = pd.DataFrame({"log_marginal": lm, "probability": p / p.sum()},
                       index=pd.Index(labels, name="model"))
    out.attrs["priors"] = ("beta flat, sigma2 ~ 1/sigma2, rho/lambda uniform on the "
                           "admissible interval; equal model priors")
    return out
