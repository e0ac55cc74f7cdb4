r"""Deficits of the peripheral groups against the core: levels, gaps and trends.

For an indicator :math:`x` with direction :math:`s = +1` (higher is better) or :math:`-1`
(lower is better), a group :math:`g` and period :math:`t`, with :math:`\bar x_{gt}` the mean
over the group's units observed in :math:`t`:

.. math::

    D_{gt} = s\,(\bar x_{\text{core},t} - \bar x_{gt}),\qquad
    D^{\%}_{gt} = \begin{cases}
        100\,D_{gt} / |\bar x_{\text{core},t}| & \text{scale "level" or "share"}\\
        100\,(1 - e^{-D_{gt}}) & \text{scale "log" (the shortfall in levels)}\\
        \text{none} & \text{scale "index" (arbitrary zero)}\end{cases}

so a positive deficit always means the group is behind the core. For a log indicator
:math:`D_{gt}` is a difference of mean logs and :math:`D^{\%}_{gt}` the group's shortfall as
a percent of the core's (geometric-mean) level, which stays put when both grow alike.
With ``weight_by`` the means are weighted (e.g. by population).

The trend is the OLS slope :math:`b` of :math:`D^{\%}_{gt} = a + b\,t + e_t` for a log
indicator and of :math:`D_{gt}` otherwise (column ``of``), with its classical standard
error. The verdict names a direction only when the slope differs from zero at the 5% level:
**closing** (:math:`b < 0`) or **widening** (:math:`b > 0`), else "no significant trend".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._data import PERIPHERY, ReportData

__all__ = ["group_levels", "deficits", "deficit_trends", "ols_trend", "ALPHA",
           "trend_verdict"]

#: Level of the trend tests whose verdicts the report prints.
ALPHA = 0.05


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
        Columns ``indicator, period, group, n, mean, median, sd``; with
        ``data.weight_by`` the mean is weighted by that column (median and SD are not).
    """
    frames = []
    per = data.panel["_period"]
    for label, mask in _groupings(data):
        part = data.panel[mask]
        for ind in data.indicators:
            stats = part.groupby(per[mask], sort=True)[ind.column].agg(
                ["count", "mean", "median", "std"])
            if data.weight_by is not None:
                stats["mean"] = _weighted_means(part, ind.column, data.weight_by,
                                                per[mask]).reindex(stats.index)
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


def _weighted_means(part: pd.DataFrame, column: str, weight: str, per: pd.Series) -> pd.Series:
    """Weighted mean of ``column`` by period over the units observed."""
    x = part[column].astype(float)
    w = part[weight].astype(float).where(x.notna(), 0.0)
    num = (x.fillna(0.0) * w).groupby(per).sum()
    den = w.groupby(per).sum()
    return (num / den).where(den > 0)


def percent_deficit(deficit, core_mean, scale: str):
    """:math:`D^{\\%}` of the module docstring for one scale (NaN for an index)."""
    deficit = np.asarray(deficit, dtype=float)
    core_mean = np.asarray(core_mean, dtype=float)
    if scale == "index":
        return np.full(deficit.shape, np.nan)
    if scale == "log":
        return 100.0 * -np.expm1(-deficit)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * deficit / np.abs(core_mean)
    return np.where(core_mean == 0, np.nan, pct)


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
    rows["deficit_pct"] = np.nan
    for ind in data.indicators:
        hit = (rows["indicator"] == ind.column).to_numpy()
        rows.loc[hit, "deficit_pct"] = percent_deficit(
            rows.loc[hit, "deficit"], rows.loc[hit, "core_mean"], ind.scale)
    return rows[["indicator", "period", "group", "core_mean", "group_mean", "gap", "deficit",
                 "deficit_pct"]].reset_index(drop=True)


def ols_trend(t: np.ndarray, d: np.ndarray) -> dict:
    r"""OLS of :math:`d = a + b t + e` (:func:`scipy.stats.linregress`): slope, classical SE,
    two-sided t-test p-value and 95% interval (:math:`m - 2` degrees of freedom); NaN with
    fewer than 3 points or no spread in :math:`t`.

    .. math::

        b = \frac{\sum (t-\bar t)(d-\bar d)}{\sum (t-\bar t)^2},\qquad
        \mathrm{se}(b) = \sqrt{\frac{\sum e^2/(m-2)}{\sum (t-\bar t)^2}},\qquad
        b \pm t_{0.975,\,m-2}\,\mathrm{se}(b)
    """
    from scipy import stats

    t = np.asarray(t, dtype=float)
    d = np.asarray(d, dtype=float)
    m = len(d)
    out = {"slope": np.nan, "std_error": np.nan, "p_value": np.nan, "lower": np.nan,
           "upper": np.nan}
    if m < 3 or not np.isfinite(t).all() or np.ptp(t) == 0:
        return out
    if np.ptp(d) <= 1e-9 * max(1.0, float(np.abs(d).max())):
        # A flat series (up to round-off): its slope is 0 and there is no evidence of a
        # trend; a t statistic of round-off over round-off would be noise.
        out.update(slope=0.0, std_error=0.0, p_value=1.0, lower=0.0, upper=0.0)
        return out
    fit = stats.linregress(t, d)
    b, se = float(fit.slope), float(fit.stderr)
    q = stats.t.ppf(0.975, m - 2)
    out.update(slope=b, std_error=se, p_value=float(fit.pvalue), lower=b - q * se,
               upper=b + q * se)
    return out


def trend_verdict(slope: float, p: float, *, down: str = "closing", up: str = "widening",
                  alpha: float = ALPHA) -> str:
    """A direction only when the slope is significant at ``alpha``; otherwise
    ``"no significant trend (p = ...)"``."""
    from .._render import p_text

    if np.isnan(slope):
        return "no trend (fewer than 3 numeric periods)"
    if p < alpha:
        return f"{down if slope < 0 else up} (significant at {100 * alpha:g}%)"
    return f"no significant trend ({p_text(p)})"


def deficit_trends(data: ReportData, table: pd.DataFrame) -> pd.DataFrame:
    """OLS trend of each group's deficit over the periods, with standard error and verdict.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, group, of`` (``deficit_pct`` for a log indicator, the deficit
        in levels; ``deficit`` otherwise), ``periods, first, last, slope, std_error, p_value, lower,
        upper`` (95% interval) and ``verdict`` (:func:`trend_verdict`; "no trend" with fewer
        than 3 periods or periods that are not numbers; with exactly two periods, e.g. two
        censuses, the change ``last - first`` without a test: "closing by 0.7 from 2010 to
        2020, two periods, no test").
    """
    scale = {i.column: i.scale for i in data.indicators}
    rows = []
    for (ind, grp), part in table.groupby(["indicator", "group"], sort=False):
        of = "deficit_pct" if scale[ind] == "log" else "deficit"
        part = part.dropna(subset=[of])
        t = pd.to_numeric(part["period"], errors="coerce").to_numpy(dtype=float)
        d = part[of].to_numpy(dtype=float)
        row = {"indicator": ind, "group": grp, "of": of, "periods": len(d),
               "first": d[0] if len(d) else np.nan, "last": d[-1] if len(d) else np.nan}
        row.update(ols_trend(t, d))
        if len(d) == 2 and np.isfinite(t).all():
            change = d[-1] - d[0]
            word = "closing" if change < 0 else "widening"
            row["verdict"] = (f"{word} by {abs(change):.3g} from {part['period'].iloc[0]} to "
                              f"{part['period'].iloc[-1]}, two periods, no test")
        else:
            row["verdict"] = trend_verdict(row["slope"], row["p_value"])
        rows.append(row)
    return pd.DataFrame(rows)


def deficits_by_type(data: ReportData) -> pd.DataFrame | None:
    """Each peripheral group's deficit split by unit type (last period): the mean of the
    group's units of one type against the whole core's mean, so that a deficit driven by
    composition (e.g. many rural counties against a core of urban districts) is visible.

    Returns
    -------
    pandas.DataFrame or None
        ``indicator, period, group, unit_type, n, group_mean, core_mean, deficit,
        deficit_pct`` and ``core_same_type_mean`` (the core's units of the same type; NaN
        when the core has none). None when no unit type is known.
    """
    if data.unit_type is None:
        return None
    part = data.panel[data.panel["_period"] == data.last].copy()
    part["_type"] = part[data.id].map(data.unit_type).to_numpy()
    if part["_type"].isna().all():
        return None
    per = pd.Series(0, index=part.index)
    rows = []
    for ind in data.indicators:
        obs = part[part[ind.column].notna()]

        def mean(frame):
            if not len(frame):
                return np.nan
            if data.weight_by is None:
                return float(frame[ind.column].mean())
            return float(_weighted_means(frame, ind.column, data.weight_by,
                                         per.loc[frame.index]).iloc[0])

        core = obs[obs["_group"] == data.core]
        core_mean = mean(core)
        for grp in data.peripheral:
            g = obs[obs["_group"] == grp]
            for typ, sub in g.groupby("_type", sort=True):
                gm = mean(sub)
                deficit = ind.direction * (core_mean - gm)
                rows.append({"indicator": ind.column, "period": data.last, "group": grp,
                             "unit_type": typ, "n": len(sub), "group_mean": gm,
                             "core_mean": core_mean, "deficit": deficit,
                             "deficit_pct": float(percent_deficit(deficit, core_mean,
                                                                  ind.scale)),
                             "core_same_type_mean": mean(core[core["_type"] == typ])})
    return pd.DataFrame(rows)
