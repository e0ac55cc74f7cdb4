"""The one results builder: a fitted :class:`~spatialflow.models._design.problem.Design` becomes a
labelled, immutable :class:`~spatialflow.models.results.base.SpatialResults`.

Cross-sections, static panels (fixed, random, pooled), SAC/GNS and dynamic panels all end
here, so ``params`` is labelled the same way everywhere (the reported regressors, their lags
``W_<name>``, then ``rho`` and/or ``lambda``), ``cov_full`` adds ``sigma2``, residuals and
fitted values are put back on the user's rows by the design's row map (panels also keep the
stacked (id, time) view in ``extra``), and the log-determinant's method and stated
approximation error are recorded once.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .ml import MLFit
from .._design.naming import MODEL_KINDS
from .._design.problem import Design
from ..results.base import FitInfo, PanelInfo, SpatialResults
from .sac import SACFit

__all__ = ["assemble", "build_results", "results_kind"]


def results_kind(kind: str, design: Design) -> str:
    """A Durbin model fitted with ``lagged=[]`` is the model without lags: label it so, so
    that effects and comparisons treat it as what it is."""
    flags = MODEL_KINDS[kind]
    return flags.without_lags if flags.durbin and not design.lagged_names else kind


def build_results(model, design: Design, fit: MLFit | SACFit, logdet, *,
                  panel: PanelInfo | None = None, extra: dict | None = None,
                  names: Sequence[str] | None = None, resid: np.ndarray | None = None,
                  fitted: np.ndarray | None = None, regime_info=None) -> SpatialResults:
    """Label the raw estimates of ``fit`` on ``design``.

    Parameters
    ----------
    model : SpatialModel
        The model that was fitted (kept on the results).
    design : Design
        The problem that was estimated: names, row map, effective counts.
    fit : MLFit or SACFit
        Raw estimates; ``fit.beta`` holds the reported coefficients, ``fit.cov_full`` is
        ordered (beta, spatial parameter(s), sigma2).
    logdet : LogDet or None
        The strategy of the fit (its method and approximation are recorded).
    panel : PanelInfo, optional
        How a panel was estimated (None: cross-section).
    extra : dict, optional
        Fields of :class:`FitInfo` that only this estimator produces.
    names : sequence of str, optional
        Labels of ``fit.beta`` when they are not ``design.names`` (dynamic panels).
    resid, fitted : ndarray, optional
        Stacked vectors on ``design.rows`` when they differ from ``fit.resid``/``fit.fitted``
        (dynamic panels pad the initial period).
    """
    kind = results_kind(model.kind, design)
    spatial = MODEL_KINDS[kind].spatial_param
    labels = list(design.names if names is None else names)
    values = list(fit.beta)
    extra = dict(extra or {})
    if isinstance(fit, SACFit):
        labels += ["rho", "lambda"]
        values += [fit.rho, fit.lam]
        spatial_value = fit.rho
        extra.setdefault("identification", fit.identification)
    else:
        spatial_value = fit.spatial
        if spatial is not None:
            labels.append(spatial)
            values.append(fit.spatial)
    params = pd.Series(values, index=labels, name="params", dtype=float)
    full = labels + ["sigma2"]
    resid = fit.resid if resid is None else resid
    fitted = fit.fitted if fitted is None else fitted
    rows = design.rows
    if rows.index is not None:  # panels: the stacked (id, time) view as well
        extra.update(resid_by_id_time=pd.Series(resid, index=rows.index, name="resid"),
                     fitted_by_id_time=pd.Series(fitted, index=rows.index, name="fitted"))
    if logdet is not None:
        extra.setdefault("approximation", logdet.approximation(spatial_value))
        if getattr(logdet, "approximate", False):
            extra.setdefault("logdet_strategy", logdet)
    extra.setdefault("logdet", None if logdet is None else logdet.method)
    extra.setdefault("optimizer", fit.optimizer)
    extra.setdefault("dropped_units", rows.dropped_units)
    n_exog = len(design.exog_names)
    return assemble(
        kind=kind, params=params,
        cov_full=pd.DataFrame(fit.cov_full, index=full, columns=full),
        sigma2=float(fit.sigma2), llf=float(fit.llf), nobs=len(design.y),
        resid=design.map_rows(resid, "resid"), fitted=design.map_rows(fitted, "fitted"),
        ids=rows.ids, W=design.W, exog_names=list(labels[:n_exog]),
        lagged_names=list(design.lagged_names), spatial_param=spatial,
        bounds=None if logdet is None else logdet.bounds, converged=bool(fit.converged),
        model=model, endog_name=design.endog_name,
        use_t=panel is None and MODEL_KINDS[kind].least_squares,
        df_resid=design.counts.N - len(params), information=fit.information,
        at_bound=bool(fit.at_bound), panel=panel, regime_info=regime_info, extra=extra)


def assemble(*, extra: dict, **fields) -> SpatialResults:
    """The one constructor call of :class:`SpatialResults` for every estimator (ML, SAC,
    panels, dynamic panels through :func:`build_results`; GMM directly): ``extra`` becomes
    the read-only :class:`FitInfo`."""
    return SpatialResults(extra=FitInfo(**extra), **fields)
