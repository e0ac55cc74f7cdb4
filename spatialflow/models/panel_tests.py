r"""Specification tests for spatial panels.

- :func:`panel_lm_tests` -- LM-lag, LM-error and their robust versions on the (within)
  residuals with :math:`I_T\otimes W` (Anselin, Le Gallo and Jayet 2008; Elhorst 2010/2014;
  Debarsy and Ertur 2010): the cross-sectional statistics of
  :func:`spatialflow.models.diagnostics.lm_tests` applied to the stacked transformed data,
  where :math:`\mathrm{tr}[(I_T\otimes W)'(I_T\otimes W) + (I_T\otimes W)^2] = T\,T_W`.
- :func:`effects_lr_tests` -- LR tests of the joint significance of the unit and of the
  time fixed effects (Elhorst 2014, sec. 3.3), from within (uncorrected) fits.
- :func:`hausman_test` -- Hausman FE vs RE on the common coefficients.
- :func:`durbin_tests` -- LR and Wald tests SDM -> SAR (:math:`\theta = 0`) and SDM -> SEM
  (:math:`\theta + \rho\beta = 0`) for a panel SDM, with the same effects and correction.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from ..exceptions import HausmanWarning, InputError, ModelSpecificationError
from .diagnostics import (TestResult, check_comparable, common_factor_lr, common_factor_test,
                          lm_tests, lr_test, wald_test)
from .panel import panel_design

__all__ = ["panel_lm_tests", "effects_lr_tests", "hausman_test", "durbin_tests", "refit"]


def _spec(obj):
    model = getattr(obj, "model", obj)
    spec = getattr(model, "panel_options", None)
    if spec is None:
        raise InputError("a panel test needs a panel model or its results (built with id=, "
                         f"time= and effects=); {type(obj).__name__} was given.")
    return model, spec


def refit(obj, kind: str | None = None, *, effects="__same__", bias_correction="__same__"):
    """Fit the same panel data again as another model ``kind`` and/or with other effects.

    ``obj`` is a panel model or results; unspecified options are taken from it
    (``bias_correction`` from the results when given results, else ``"lee-yu"``).
    """
    from . import base

    model, spec = _spec(obj)
    kind = kind or model.kind
    cls = getattr(base, kind, None)
    if cls is None or not isinstance(cls, type) or not issubclass(cls, base.SpatialModel):
        raise InputError(f"kind must be one of OLS, SLX, SAR, SEM, SDM, SDEM; {kind!r} given.")
    if effects == "__same__":
        effects = spec.effects
    if bias_correction == "__same__":
        panel = getattr(obj, "panel", None)
        bias_correction = panel["bias_correction"] if panel else "lee-yu"
    kw = dict(spec.inputs)
    if not cls.durbin:
        kw.pop("lagged")
    data, y, X, w = kw.pop("data"), kw.pop("y"), kw.pop("X"), kw.pop("w")
    new = cls(y, X, w, data=data, effects=effects, add_constant=False,
              logdet=model.logdet_method, formula=model.formula, **kw)
    return new.fit(bias_correction=bias_correction)


def panel_lm_tests(obj) -> pd.DataFrame:
    r"""LM tests for a spatial lag or spatial error in a panel regression.

    The non-spatial model with the same regressors (lags ``W_<x>`` included for Durbin
    models) and effects is fitted by least squares on the transformed data; the
    cross-sectional statistics (see :func:`~spatialflow.models.diagnostics.lm_tests`) are
    then computed with :math:`I_T\otimes W`:

    .. math::
        LM_\rho = \frac{[e'(I_T\otimes W)y/\hat\sigma^2]^2}{J},\quad
        LM_\lambda = \frac{[e'(I_T\otimes W)e/\hat\sigma^2]^2}{T\,T_W},\quad
        T_W = \mathrm{tr}(W'W + W^2),

    :math:`J = [(I_T\otimes W)X\hat\beta]'M[(I_T\otimes W)X\hat\beta]/\hat\sigma^2 + T\,T_W`,
    and the robust versions of Anselin et al. (1996) (Elhorst 2010). Time effects enter as
    period dummies, so the spatial lag is demeaned by period as in the direct approach.
    Random-effects models are tested on the pooled regression.

    Parameters
    ----------
    obj : panel model or SpatialResults

    Returns
    -------
    DataFrame
        Rows ``LM-error``, ``LM-lag``, ``robust LM-error``, ``robust LM-lag``, ``SARMA``;
        columns ``statistic``, ``df``, ``pvalue``.
    """
    _, spec = _spec(obj)
    effects = spec.effects if spec.effects != "random" else None
    y, Z, names, n_nuis = panel_design(spec.data, effects)
    T = spec.data.T
    Wop = sp.kron(sp.identity(T, format="csr"), spec.data.W, format="csr")
    cols = names + [f"period[{t}]" for t in spec.data.times] if n_nuis else names
    out = lm_tests(y, pd.DataFrame(Z, columns=cols), Wop)
    out.attrs["effects"] = effects
    return out


def _chi2(name: str, stat: float, df: int) -> TestResult:
    return TestResult(name, float(stat), float(df), float(stats.chi2.sf(max(stat, 0.0), df)))


def effects_lr_tests(obj) -> pd.DataFrame:
    r"""LR tests of the joint significance of the unit and the time fixed effects.

    With the within log-likelihoods (``bias_correction=None``, all fixed effects as
    parameters: Elhorst 2014, sec. 3.3) of the same model under two-way, unit and time
    effects:

    .. math::
        LR_\mu = 2(\ell_{twoway} - \ell_{time}) \sim \chi^2(n-1),\qquad
        LR_\lambda = 2(\ell_{twoway} - \ell_{unit}) \sim \chi^2(T-1).

    Returns
    -------
    DataFrame
        Rows ``LR unit effects``, ``LR time effects``; columns ``statistic``, ``df``,
        ``pvalue``.
    """
    _, spec = _spec(obj)
    fits = {e: refit(obj, effects=e, bias_correction=None) for e in ("twoway", "unit", "time")}
    for e in ("unit", "time"):
        # Different effects by design; everything else (sample, response, within ML) equal.
        check_comparable(fits[e], fits["twoway"], labels=(e, "twoway"),
                         test="the LR test of the effects", same_effects=False)
        if fits[e].panel["bias_correction"] is not None:
            raise ModelSpecificationError("the LR tests of the effects need within (uncorrected) "
                                          "fits; a bias-corrected fit was given.")
    n, T = spec.data.n, spec.data.T
    rows = [
        _chi2("LR unit effects", 2 * (fits["twoway"].llf - fits["time"].llf), n - 1),
        _chi2("LR time effects", 2 * (fits["twoway"].llf - fits["unit"].llf), T - 1),
    ]
    return _frame(rows)


def hausman_test(fe, re, *, names=None) -> TestResult:
    r"""Hausman test of random against fixed (unit) effects on their common coefficients.

    .. math::
        H = (\hat b_{FE} - \hat b_{RE})'\,[\hat V_{FE} - \hat V_{RE}]^{-}\,
            (\hat b_{FE} - \hat b_{RE}) \sim \chi^2(q),

    over the slopes and ``rho``/``lambda`` that both models estimate (not the intercept);
    :math:`[\cdot]^-` is the Moore-Penrose inverse and q its rank.

    **Which fits to compare.** Under H0 (effects uncorrelated with the regressors) both
    estimators are consistent and RE is efficient, so :math:`V_{FE} - V_{RE}` is positive
    semi-definite asymptotically. The random-effects model has *unit* effects only, so the
    fixed-effects fit must have ``effects="unit"`` (a time or two-way FE fit estimates a
    different model; it is refused). Use the **Lee-Yu** FE fit (``bias_correction="lee-yu"``,
    the default): its :math:`\hat\sigma^2` is consistent. The uncorrected within ML
    estimator (``bias_correction=None``) has :math:`E\hat\sigma^2 \approx
    \tfrac{T-1}{T}\sigma^2`, so its covariance is too small by that factor; with short
    panels this makes :math:`V_{FE} - V_{RE}` indefinite and the statistic negative.
    (For unit effects both FE fits give the same coefficients; only the covariance differs.)

    **Unreliable cases.** When :math:`V_{FE} - V_{RE}` is not positive definite, or the
    statistic is negative, a :class:`~spatialflow.exceptions.HausmanWarning` says so; the
    statistic is reported as computed and the p-value is the :math:`\chi^2(q)` upper tail at
    it, which is 1 for a negative statistic: that means the test is uninformative on these
    fits, not that RE is supported.

    Parameters
    ----------
    fe, re : SpatialResults
        Fixed-effects (``effects="unit"``, preferably Lee-Yu) and random-effects fits of
        the same model on the same data.
    names : list of str, optional
        The coefficients to compare (default: all common ones but the intercept).

    Returns
    -------
    TestResult

    Raises
    ------
    ModelSpecificationError
        ``fe``/``re`` are not unit fixed/random effects panel fits, or not fitted on the
        same observations, units and response.

    Warns
    -----
    HausmanWarning
        The covariance difference is not positive definite or the statistic is negative.
    """
    for label, res, want in (("fe", fe, ("unit", "twoway", "time")), ("re", re, ("random",))):
        panel = getattr(res, "panel", None)
        if not panel or panel.get("effects") not in want:
            raise ModelSpecificationError(
                f"{label} must be panel results with effects in {list(want)}; "
                f"{None if not panel else panel.get('effects')!r} was given.")
    if fe.panel["effects"] != "unit":
        raise ModelSpecificationError(
            "the Hausman test compares unit fixed effects with unit random effects; the FE "
            f"fit has effects={fe.panel['effects']!r}, which also sweeps out time effects that "
            "the RE model does not have, so the two are not comparable. Refit the FE model "
            "with effects='unit' (bias_correction='lee-yu').")
    check_comparable(fe, re, labels=("fe", "re"), test="the Hausman test", same_effects=False)
    if names is None:
        names = [c for c in fe.params.index if c in re.params.index and c != "Intercept"]
    missing = [c for c in names if c not in fe.params.index or c not in re.params.index]
    if missing or not names:
        raise InputError(f"coefficients {missing or names} are not estimated by both models; "
                         f"FE: {list(fe.params.index)}, RE: {list(re.params.index)}.")
    d = fe.params[names].to_numpy() - re.params[names].to_numpy()
    V = fe.cov.loc[names, names].to_numpy() - re.cov.loc[names, names].to_numpy()
    V = 0.5 * (V + V.T)
    q = int(np.linalg.matrix_rank(V))
    stat = float(d @ np.linalg.pinv(V) @ d)
    eig = np.linalg.eigvalsh(V)
    if eig.min() <= 0.0 or stat < 0.0:
        hint = ""
        if fe.panel.get("bias_correction") is None:
            hint = (" The FE fit is uncorrected (bias_correction=None): its sigma^2, and so "
                    "V_FE, is biased down by (T-1)/T; refit it with bias_correction='lee-yu'.")
        p = float(stats.chi2.sf(max(stat, 0.0), q))
        reading = (f"H < 0 gets p-value 1 (chi2({q}) tail), which does not support RE: the "
                   "test is uninformative here." if stat < 0 else
                   f"its chi2({q}) p-value {p:.4g} rests on a covariance difference that is "
                   "not a covariance: read it with caution.")
        warnings.warn(
            f"Hausman test unreliable: V_FE - V_RE is not positive definite (smallest "
            f"eigenvalue {eig.min():.4g}); H = {stat:.6g}; " + reading + hint,
            HausmanWarning, stacklevel=2)
    return _chi2("Hausman FE vs RE", stat, q)


def durbin_tests(sdm) -> pd.DataFrame:
    r"""LR and Wald tests of SDM -> SAR and SDM -> SEM for a fitted panel SDM.

    SAR: :math:`\theta = 0` (Wald on the ``W_<x>`` coefficients; LR against the SAR refitted
    with the same effects and correction). SEM: :math:`\theta + \rho\beta = 0` (the common
    factor Wald test; LR against the refitted SEM).

    Returns
    -------
    DataFrame
        Rows ``Wald SDM vs SAR``, ``LR SDM vs SAR``, ``Wald SDM vs SEM``, ``LR SDM vs SEM``.
    """
    if getattr(sdm, "kind", None) != "SDM" or not getattr(sdm, "panel", None):
        raise ModelSpecificationError("durbin_tests needs the results of a panel SDM; "
                                      f"{getattr(sdm, 'kind', type(sdm).__name__)} given.")
    thetas = [f"W_{x}" for x in sdm.lagged_names]
    sar = refit(sdm, "SAR")
    sem = refit(sdm, "SEM")
    rows = [
        wald_test(sdm, thetas, name="Wald SDM vs SAR"),
        lr_test(sar, sdm, name="LR SDM vs SAR"),
        common_factor_test(sdm),
        common_factor_lr(sdm, sem),
    ]
    rows[2] = TestResult("Wald SDM vs SEM", rows[2].statistic, rows[2].df, rows[2].pvalue)
    rows[3] = TestResult("LR SDM vs SEM", rows[3].statistic, rows[3].df, rows[3].pvalue)
    return _frame(rows)


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame({"statistic": [r.statistic for r in rows], "df": [r.df for r in rows],
                         "pvalue": [r.pvalue for r in rows]},
                        index=pd.Index([r.name for r in rows], name="test"))
