r"""Deficits of the peripheral groups against the core: levels, gaps and trends.

For an indicator :math:`x` with direction :math:`s = +1` (higher is better) or :math:`-1`
(lower is better), a group :math:`g` and period :math:`t`, with :math:`\bar x_{gt}` the mean
over the group's units observed in :math:`t`:

.. math::

    D_{gt} = s\,(\bar x_{\text{core},t} - \bar x_{gt}),\qquad
    D^{\%}_{gt} = 100\,\frac{D_{gt}}{|\bar x_{\text{core},t}|},

so a positive deficit always means the group is behind the core. The trend is the OLS slope
:math:`b` of :math:`D_{gt} = a + b\,t + e_t` with its classical standard error; the deficit
is **closing** when :math:`b < 0` and **widening** when :math:`b > 0` (the verdict column adds
whether the slope differs from zero at the 5% level).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._data import PERIPHERY, ReportData

__all__ = ["group_levels", "deficits", "deficit_trends", "ols_trend"]


def _groupings(data: ReportData) -> list[tuple[object, np.ndarray]]:
    """(label, boolean mask over panel rows) for each group and the periphery as a whole."""
    g = data.panel["_group"].to_numpy()
    out = [(label, g == label) for label in data.groups]
    if len(data.peripheral) > 1:
        out.append((PERIPHERY, g != data.core))
    return out


def group_levels(data: ReportData) -> pd.DataFrame:
    """Mean, median and count of each indicator by group (and the whole periphery), period.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, period, group, n, mean, median, sd``.
    """
    frames = []
    per = data.panel["_period"]
    for label, mask in _groupings(data):
        part = data.panel[mask]
        for ind in data.indicators:
            stats = part.groupby(per[mask], sort=True)[ind.column].agg(
                ["count", "mean", "median", "std"])
            stats = stats.reindex(data.periods)
            frames.append(pd.DataFrame({
                "indicator": ind.column, "period": stats.index, "group": label,
                "n": stats["count"].fillna(0).astype(int).to_numpy(),
                "mean": stats["mean"].to_numpy(), "median": stats["median"].to_numpy(),
                "sd": stats["std"].to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    order = {ind.column: k for k, ind in enumerate(data.indicators)}
    out = out.sort_values(["indicator", "period"], key=lambda c: c.map(order)
                          if c.name == "indicator" else c, kind="stable")
    return out.reset_index(drop=True)


def deficits(data: ReportData, levels: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each peripheral group's deficit against the core, by indicator and period.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, period, group, core_mean, group_mean, gap`` (group minus core),
        ``deficit`` (:math:`D_{gt}`, positive = behind the core) and ``deficit_pct``.
    """
    levels = group_levels(data) if levels is None else levels
    core = levels[levels["group"] == data.core].set_index(["indicator", "period"])["mean"]
    rows = levels[levels["group"] != data.core].copy()
    direction = {ind.column: ind.direction for ind in data.indicators}
    key = pd.MultiIndex.from_frame(rows[["indicator", "period"]])
    rows["core_mean"] = core.reindex(key).to_numpy()
    rows["group_mean"] = rows["mean"]
    rows["gap"] = rows["group_mean"] - rows["core_mean"]
    sign = rows["indicator"].map(direction).to_numpy()
    rows["deficit"] = -sign * rows["gap"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * rows["deficit"].to_numpy() / np.abs(rows["core_mean"].to_numpy())
    rows["deficit_pct"] = np.where(rows["core_mean"].to_numpy() == 0, np.nan, pct)
    return rows[["indicator", "period", "group", "core_mean", "group_mean", "gap", "deficit",
                 "deficit_pct"]].reset_index(drop=True)


def ols_trend(t: np.ndarray, d: np.ndarray) -> dict:
    r"""OLS of :math:`d = a + b t + e`: slope, classical SE, two-sided t-test p-value and
    95% interval (:math:`m - 2` degrees of freedom); NaN with fewer than 3 points.

    .. math::

        b = \frac{\sum (t-\bar t)(d-\bar d)}{\sum (t-\bar t)^2},\qquad
        \mathrm{se}(b) = \sqrt{\frac{\sum e^2/(m-2)}{\sum (t-\bar t)^2}}
    """
    from scipy import stats

    t = np.asarray(t, dtype=float)
    d = np.asarray(d, dtype=float)
    m = len(d)
    out = {"slope": np.nan, "se": np.nan, "p": np.nan, "lower": np.nan, "upper": np.nan}
    if m < 3 or not np.isfinite(t).all():
        return out
    tc = t - t.mean()
    sxx = float(tc @ tc)
    if sxx == 0:
        return out
    b = float(tc @ (d - d.mean())) / sxx
    resid = d - d.mean() - b * tc
    se = float(np.sqrt((resid @ resid) / (m - 2) / sxx))
    q = stats.t.ppf(0.975, m - 2)
    p = 2 * stats.t.sf(abs(b / se), m - 2) if se > 0 else 0.0
    out.update(slope=b, se=se, p=float(p), lower=b - q * se, upper=b + q * se)
    return out


def deficit_trends(data: ReportData, table: pd.DataFrame) -> pd.DataFrame:
    """OLS trend of each group's deficit over the periods, with standard error and verdict.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, group, periods, deficit_first, deficit_last, slope, se, p,
        lower, upper`` (95% interval) and ``verdict`` ("closing", "widening", with
        "(significant at 5%)" or "(not significant)"; "no trend" with fewer than 3 periods
        or periods that are not numbers; with exactly two periods, e.g. two censuses, the
        change ``deficit_last - deficit_first`` without a test: "closing by 0.7 from 2010 to
        2020, two periods, no test").
    """
    rows = []
    for (ind, grp), part in table.groupby(["indicator", "group"], sort=False):
        part = part.dropna(subset=["deficit"])
        t = pd.to_numeric(part["period"], errors="coerce").to_numpy(dtype=float)
        d = part["deficit"].to_numpy(dtype=float)
        row = {"indicator": ind, "group": grp, "periods": len(d),
               "deficit_first": d[0] if len(d) else np.nan,
               "deficit_last": d[-1] if len(d) else np.nan}
        row.update(ols_trend(t, d))
        if len(d) == 2 and np.isfinite(t).all():
            change = d[-1] - d[0]
            word = "closing" if change < 0 else "widening"
            row["verdict"] = (f"{word} by {abs(change):.3g} from {part['period'].iloc[0]} to "
                              f"{part['period'].iloc[-1]}, two periods, no test")
        elif np.isnan(row["slope"]):
            row["verdict"] = "no trend (fewer than 3 numeric periods)"
        else:
            word = "closing" if row["slope"] < 0 else "widening"
            sig = "significant at 5%" if row["p"] < 0.05 else "not significant"
            row["verdict"] = f"{word} ({sig})"
        rows.append(row)
    return pd.DataFrame(rows)
