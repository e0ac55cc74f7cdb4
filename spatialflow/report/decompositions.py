r"""Inequality decompositions by group and period: Dagum Gini, Theil, sigma-convergence.

Dagum (1997): :math:`G = G_w + G_{nb} + G_t` with every pair's between-group Gini
:math:`G_{jh}` (:func:`spatialflow.measures.dagum_gini`). Theil T: :math:`T = T_b + T_w`
(:func:`spatialflow.measures.theil`). Both need non-negative values; an indicator with a
negative value in a period is left out of them, with a note. sigma-convergence: the
cross-unit standard deviation :math:`\sigma_{gt}` (and coefficient of variation) of each
group per period, with the OLS slope of :math:`\sigma_{gt}` on :math:`t`; "converging" or
"diverging" only when the slope is significant at 5%.

The indicator's declared scale decides what is measured (column ``on``): a ``log``
indicator's inequality is that of its levels :math:`e^x` (the Gini of logs falls whenever
the mean log rises, with the relative gaps unchanged); an ``index`` (arbitrary zero) gets no
Gini, Theil or coefficient of variation, only the SD, with a note.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import dagum_gini, theil
from ._data import PERIPHERY, ReportData
from ._text import join, t
from .deficits import ols_trend, trend_verdict

__all__ = ["inequality_tables", "sigma_convergence"]


def inequality_tables(data: ReportData, notes: list[str],
                      lang: str = "en") -> dict[str, pd.DataFrame]:
    """``dagum`` (components and shares), ``dagum_pairs`` (:math:`G_{jh}` and
    :math:`D_{jh}` of every pair), ``dagum_groups`` (within-group Gini, mean, size) and
    ``theil`` (total, between, within), per indicator and period. An indicator left out in
    a period is named in ``notes`` (in ``lang``)."""
    dag, pairs, groups, th = [], [], [], []
    index = [ind.text(lang) for ind in data.indicators if not ind.has_inequality]
    if index:
        notes.append(t("note_index_no_inequality", lang, columns=join(index, lang)))
    for ind in data.indicators:
        if not ind.has_inequality:
            continue
        on = "exp(value)" if ind.scale == "log" else "value"
        skipped = []
        for period in data.periods:
            part = data.panel[data.panel["_period"] == period]
            part = part[part[ind.column].notna()]
            if part.empty:
                continue
            values = ind.levels(part[ind.column].astype(float))
            if (values < 0).any() or values.sum() <= 0:
                skipped.append(period)
                continue
            grp = pd.Series(part["_group"].to_numpy(), index=values.index)
            res = dagum_gini(values, grp)
            row = res.to_frame().iloc[0].to_dict()
            dag.append({"indicator": ind.column, "period": period, "on": on, **row})
            labels = list(res.between_gini.index)
            for a, j in enumerate(labels):
                groups.append({"indicator": ind.column, "period": period, "group": j,
                               "n": int(res.group_size[j]), "mean": float(res.group_mean[j]),
                               "gini_within": float(res.group_gini[j])})
                for h in labels[a + 1:]:
                    pairs.append({"indicator": ind.column, "period": period,
                                  "group_a": j, "group_b": h,
                                  "gini_between": float(res.between_gini.loc[j, h]),
                                  "affluence_D": float(res.relative_economic_affluence.loc[j, h])})
            tt = theil(values, grp)
            th.append({"indicator": ind.column, "period": period, "on": on,
                       **tt.to_frame().iloc[0].to_dict()})
        if skipped:
            notes.append(t("note_inequality_skipped", lang, column=ind.column,
                           periods=join(skipped, lang)))
    return {"dagum": pd.DataFrame(dag), "dagum_pairs": pd.DataFrame(pairs),
            "dagum_groups": pd.DataFrame(groups), "theil": pd.DataFrame(th)}


def sigma_convergence(data: ReportData, levels: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-unit SD and CV by group and period, and the OLS trend of the SD.

    Returns
    -------
    (sigma, trend)
        ``sigma``: ``indicator, on, period, group, n, sd, cv`` (``on``: ``exp(value)`` for
        a log indicator, whose SD and CV are those of its levels; no CV for an index);
        ``trend``: ``indicator, group, slope, std_error, p_value, verdict`` ("converging" /
        "diverging" only when significant at 5%).
    """
    del levels  # recomputed here, on each indicator's levels
    frames = []
    per = data.panel["_period"]
    g = data.panel["_group"]
    sets = [(label, (g == label).to_numpy()) for label in data.groups]
    if len(data.peripheral) > 1:
        sets.append((PERIPHERY, (g != data.core).to_numpy()))
    sets.append(("All", np.ones(len(g), dtype=bool)))   # overall sigma-convergence
    for ind in data.indicators:
        x = ind.levels(data.panel[ind.column].astype(float))
        for label, mask in sets:
            stats = x[mask].groupby(per[mask]).agg(["count", "mean", "std"])
            stats = stats.reindex(data.periods)
            mean = stats["mean"].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                cv = np.where((mean != 0) & ind.has_inequality,
                              stats["std"].to_numpy() / np.abs(mean), np.nan)
            frames.append(pd.DataFrame({
                "indicator": ind.column, "on": "exp(value)" if ind.scale == "log" else "value",
                "period": stats.index, "group": label,
                "n": stats["count"].fillna(0).astype(int).to_numpy(),
                "sd": stats["std"].to_numpy(), "cv": cv}))
    sigma = pd.concat(frames, ignore_index=True)
    rows = []
    if data.is_panel:
        for (ind, grp), part in sigma.groupby(["indicator", "group"], sort=False):
            part = part.dropna(subset=["sd"])
            t = pd.to_numeric(part["period"], errors="coerce").to_numpy(dtype=float)
            row = {"indicator": ind, "group": grp, "slope": np.nan, "std_error": np.nan,
                   "p_value": np.nan,
                   "verdict": "no trend (fewer than 3 periods)"}
            trend = ols_trend(t, part["sd"].to_numpy(dtype=float))
            if not np.isnan(trend["slope"]):
                row.update(slope=trend["slope"], std_error=trend["std_error"],
                           p_value=trend["p_value"])
                row["verdict"] = trend_verdict(row["slope"], row["p_value"], down="converging",
                                               up="diverging")
            rows.append(row)
    order = {g: k for k, g in enumerate([*data.groups, PERIPHERY, "All"])}
    sigma = sigma.sort_values(["indicator", "group", "period"],
                              key=lambda c: c.map(order) if c.name == "group" else (
                                  c.map({i.column: k for k, i in enumerate(data.indicators)})
                                  if c.name == "indicator" else c), kind="stable")
    return sigma.reset_index(drop=True), pd.DataFrame(rows)
