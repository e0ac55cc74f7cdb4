r"""The report's drivers section: what explains the spatial pattern of each modelled outcome.

For each outcome of the fitted models, on the last period's cross-section of the units
observed, with the outcome's regressors (those of its first model, spatial lags left out):

- **Geodetector** (:func:`spatialflow.measures.geodetector`): each regressor discretised by
  the optimal-parameter rule (:func:`~spatialflow.measures.optimal_discretisation`: method
  and number of classes with the largest q, :data:`CLASSES` classes tried), its q-statistic
  and noncentral-F p-value, and the q of each pair crossed with its interaction type.
- **GWR and MGWR** (:func:`~spatialflow.measures.gwr`, :func:`~spatialflow.measures.mgwr`)
  of the standardised outcome on the standardised regressors (so that bandwidths and local
  estimates compare across terms), adaptive bisquare kernel, bandwidths by AICc, on the
  units' representative points in a metric projection: the GWR bandwidth, each term's MGWR
  bandwidth (also as a share of the units) and the spread of its local estimates.
"""
from __future__ import annotations

import pandas as pd

from ..exceptions import InputError
from ._data import ReportData

__all__ = ["drivers", "CLASSES", "MIN_UNITS"]

#: Numbers of classes tried for each regressor (Song et al. 2020 try 3 to 7 or 8; few
#: units per class beyond 6 with ~100 counties).
CLASSES = range(3, 7)
#: GWR's adaptive bandwidth search in mgwr starts at 40 + 2k neighbours: fewer units than
#: this and the section is skipped with a note.
MIN_UNITS = 50


def _cross_section(d: ReportData, outcome: str, regressors: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: d.values(c) for c in [outcome, *regressors]})
    return frame.dropna()


def _coords(d: ReportData, ids) -> pd.DataFrame:
    from .._crs import to_metric

    layer = d.layer.loc[ids]
    if layer.crs is not None and not layer.crs.is_projected:
        layer = to_metric(layer)
    pts = layer.geometry.representative_point()
    return pd.DataFrame({"x": pts.x.to_numpy(), "y": pts.y.to_numpy()}, index=pd.Index(ids))


def _standardise(frame: pd.DataFrame) -> pd.DataFrame:
    return (frame - frame.mean()) / frame.std(ddof=0)


def drivers(d: ReportData, specs: dict[str, list[str]], *, local: bool = True
            ) -> dict[str, object]:
    """Tables (and fitted local models) of the drivers section.

    Parameters
    ----------
    d : ReportData
    specs : dict outcome -> regressors
    local : bool
        Fit GWR and MGWR (slow: a bandwidth search by backfitting per outcome).

    Returns
    -------
    dict
        ``q`` (outcome, factor, method, classes, q, p_value), ``interaction`` (outcome,
        factor_1, factor_2, q_1, q_2, q, interaction), ``bandwidths`` (outcome, term,
        gwr_bandwidth, mgwr_bandwidth, share_of_units, mean, sd, min, max; absent without
        ``local``), ``fits`` (outcome -> MGWR results), ``skipped`` (outcome -> reason).
    """
    from ..measures import (
        factor_detector,
        gwr,
        interaction_detector,
        mgwr,
        optimal_discretisation,
    )

    q_rows, inter_rows, bw_rows, fits, skipped = [], [], [], {}, {}
    for outcome, regressors in specs.items():
        data = _cross_section(d, outcome, regressors)
        if len(data) < MIN_UNITS:
            skipped[outcome] = f"{len(data)} units with values (fewer than {MIN_UNITS})"
            continue
        y = data[outcome]
        strata, chosen = {}, {}
        for x in regressors:
            try:
                best = optimal_discretisation(y, data[x], k=[k for k in CLASSES
                                                             if k < data[x].nunique()])
            except InputError as err:
                skipped.setdefault(outcome, f"{x}: {err}")
                continue
            strata[x], chosen[x] = best.strata, best
        if not strata:
            continue
        factors = pd.DataFrame(strata)
        fd = factor_detector(y, factors)
        for x in factors.columns:
            q_rows.append({"outcome": outcome, "factor": x, "method": chosen[x].method,
                           "classes": int(factors[x].nunique()), "q": fd.loc[x, "q"],
                           "p_value": fd.loc[x, "p_value"]})
        if factors.shape[1] >= 2:
            it = interaction_detector(y, factors)
            for _, r in it.iterrows():
                inter_rows.append({"outcome": outcome, **{k: r[k] for k in (
                    "factor_1", "factor_2", "q_1", "q_2", "q", "interaction")}})
        if not local:
            continue
        ys, Xs = _standardise(y), _standardise(data[regressors])
        coords = _coords(d, data.index)
        g = gwr(ys, Xs, coords)
        m = mgwr(ys, Xs, coords)
        fits[outcome] = m
        n = len(data)
        summary = m.summary_table()
        for term, r in summary.iterrows():
            # adaptive kernel: bandwidths are whole numbers of neighbours
            bw_rows.append({"outcome": outcome, "term": term,
                            "gwr_bandwidth": int(round(g.bandwidths[term])),
                            "mgwr_bandwidth": int(round(r["bandwidth"])),
                            "share_of_units": float(r["bandwidth"]) / n,
                            "mean": r["mean"], "sd": r["sd"], "min": r["min"], "max": r["max"]})
    out = {"q": pd.DataFrame(q_rows), "interaction": pd.DataFrame(inter_rows),
           "fits": fits, "skipped": skipped}
    if local:
        out["bandwidths"] = pd.DataFrame(bw_rows)
    return out


def specs_from_models(models: dict, panel_columns) -> dict[str, list[str]]:
    """outcome -> regressors of its first model (intercept and spatial lags ``W:x`` left
    out; only columns of the panel)."""
    specs: dict[str, list[str]] = {}
    for res in models.values():
        outcome = getattr(res, "endog_name", None)
        if outcome is None or outcome in specs or outcome not in panel_columns:
            continue
        # exog_names holds the regressors themselves; lags (W:x) are not panel columns
        names = [v for v in getattr(res, "exog_names", []) if v != "Intercept"
                 and v in panel_columns]
        if names:
            specs[outcome] = names
    return specs

