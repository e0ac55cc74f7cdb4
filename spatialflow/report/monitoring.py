r"""Three-colour (green / yellow / red) monitoring of units and groups, and colour transitions.

The rule (:class:`ColourRule`, configurable). For indicator :math:`k` with direction
:math:`s_k` (+1 higher is better, -1 lower is better), unit :math:`i` and period :math:`t`,
the **shortfall** against the core median :math:`m_{kt}` is

.. math::

    z_{ikt} = s_k\,\frac{m_{kt} - x_{ikt}}{c_{kt}},\qquad
    c_{kt} = \begin{cases} \mathrm{SD}_i(x_{ikt}) & \text{scale = "sd" (default)}\\
                           |m_{kt}| & \text{scale = "relative"}\end{cases}

(positive = worse than the core median). Colours: **green** if :math:`z \le` ``yellow``,
**yellow** if ``yellow`` :math:`< z \le` ``red``, **red** if :math:`z >` ``red``. Defaults:
``scale="sd"``, ``yellow=0.5``, ``red=1.0`` (a unit is yellow when it falls more than half
a cross-unit standard deviation short of the core median, red beyond one SD);
``ColourRule.relative()`` uses 10% and 25% of the core median instead.

Overall colour: the mean of the indicator colour scores (green 0, yellow 1, red 2) is green
below 0.5, yellow below 1.5, red otherwise. Groups are coloured by the median shortfall of
their units. The **change** colour compares the first and the last period:
:math:`\Delta_{ik} = z_{ik,\text{first}} - z_{ik,\text{last}}` (positive = catching up);
green if :math:`\Delta \ge` ``change``, red if :math:`\Delta \le -` ``change``, yellow
otherwise (default ``change=0.25`` SD).

Transitions between overall colours from one period to the next are estimated as a Markov
chain (``giddy.markov.Markov``), and conditioned on the neighbours' modal colour (spatial
Markov, ``giddy.markov.Spatial_Markov`` with ``discrete=True``).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._random import as_int_seed
from .._validation import seeded_global_rng
from ..exceptions import InputError, ReducibleChainError
from ._data import ReportData

__all__ = ["ColourRule", "COLOURS", "unit_colours", "group_colours", "colour_transitions"]

COLOURS = ("green", "yellow", "red")
COLOURS_ZH = {"green": "绿", "yellow": "黄", "red": "红"}


@dataclass(frozen=True)
class ColourRule:
    """Thresholds of the three-colour rule (see the module docstring for the formula).

    Parameters
    ----------
    scale : {"sd", "relative"}
        Shortfall in cross-unit standard deviations, or as a fraction of the core median.
    yellow, red : float
        Shortfall above which a unit is yellow, resp. red (``0 <= yellow < red``).
    change : float
        Improvement (or worsening) of the shortfall over the period that makes the change
        colour green (red).
    """

    scale: str = "sd"
    yellow: float = 0.5
    red: float = 1.0
    change: float = 0.25

    def __post_init__(self):
        if self.scale not in ("sd", "relative"):
            raise InputError(f"ColourRule.scale must be 'sd' or 'relative'; {self.scale!r} "
                             "was given.")
        if not (0 <= self.yellow < self.red) or not self.change > 0:
            raise InputError("ColourRule needs 0 <= yellow < red and change > 0; got "
                             f"yellow={self.yellow}, red={self.red}, change={self.change}.")

    @classmethod
    def relative(cls, yellow: float = 0.10, red: float = 0.25, change: float = 0.05):
        """Shortfall as a fraction of the core median: yellow beyond 10%, red beyond 25%."""
        return cls(scale="relative", yellow=yellow, red=red, change=change)

    def describe(self, lang: str = "en", change: bool = True) -> str:
        """The rule in words (``lang`` "en" or "zh"), printed in the report; ``change=False``
        leaves out the change colour (a cross-section has no change)."""
        if lang == "zh":
            unit = "个单元间标准差" if self.scale == "sd" else "核心区中位数"
            fmt = ((lambda v: f"{v:g}{unit}") if self.scale == "sd"
                   else (lambda v: f"{unit}的{100 * v:g}%"))
            return (f"三色规则：以核心区中位数为基准的短缺程度；短缺不超过{fmt(self.yellow)}为绿，"
                    f"不超过{fmt(self.red)}为黄，超过为红；"
                    + (f"期间变化：短缺缩小至少{fmt(self.change)}为绿，扩大同样幅度为红，其余为黄；"
                       if change else "")
                    + "综合颜色 = 各指标颜色得分的均值（绿0、黄1、红2；< 0.5为绿，< 1.5为黄）。")
        unit = "cross-county SD" if self.scale == "sd" else "of the core median"
        fmt = (lambda v: f"{v:g} {unit}") if self.scale == "sd" else (lambda v: f"{100*v:g}% {unit}")
        return (f"Colour rule: shortfall against the core median; green up to {fmt(self.yellow)}, "
                f"yellow up to {fmt(self.red)}, red beyond; "
                + (f"change over the period: green if the shortfall fell by at least "
                   f"{fmt(self.change)}, red if it rose by as much, yellow otherwise; "
                   if change else "")
                + "overall colour = mean score of the indicators "
                "(green 0, yellow 1, red 2; < 0.5 green, < 1.5 yellow).")

    def colour(self, z: np.ndarray) -> np.ndarray:
        out = np.where(z > self.red, "red", np.where(z > self.yellow, "yellow", "green"))
        return np.where(np.isnan(z), "", out).astype(object)

    def change_colour(self, delta: np.ndarray) -> np.ndarray:
        out = np.where(delta >= self.change, "green",
                       np.where(delta <= -self.change, "red", "yellow"))
        return np.where(np.isnan(delta), "", out).astype(object)


_SCORE = {"green": 0.0, "yellow": 1.0, "red": 2.0}


def _overall(scores: pd.DataFrame) -> np.ndarray:
    s = scores.apply(lambda c: c.map(_SCORE)).mean(axis=1, skipna=True).to_numpy()
    out = np.where(s >= 1.5, "red", np.where(s >= 0.5, "yellow", "green"))
    return np.where(np.isnan(s), "", out).astype(object)


def shortfalls(data: ReportData, rule: ColourRule) -> pd.DataFrame:
    """Shortfall :math:`z_{ikt}` of every unit, indicator and period (long frame)."""
    frames = []
    panel = data.panel
    is_core = (panel["_group"] == data.core).to_numpy()
    for ind in data.indicators:
        x = panel[ind.column].astype(float)
        per = panel["_period"]
        median = x[is_core].groupby(per[is_core]).median().reindex(per).to_numpy()
        if rule.scale == "sd":
            scale = x.groupby(per).transform("std").to_numpy()
        else:
            scale = np.abs(median)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = ind.direction * (median - x.to_numpy()) / scale
        z = np.where(scale > 0, z, np.nan)
        # The core's own median unit sits at 0 up to rounding; show it as 0, not 3e-16.
        z = np.where(np.abs(z) < 1e-12, 0.0, z)
        frames.append(pd.DataFrame({"id": panel[data.id].to_numpy(), "period": per.to_numpy(),
                                    "group": panel["_group"].to_numpy(),
                                    "indicator": ind.column, "value": x.to_numpy(),
                                    "core_median": median, "shortfall": z}))
    return pd.concat(frames, ignore_index=True)


def unit_colours(data: ReportData, rule: ColourRule, z: pd.DataFrame | None = None) -> pd.DataFrame:
    """Colour of every unit per indicator and overall, last period and change.

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``id``, ``group``, ``<indicator>`` colours (last period),
        ``overall``, ``<indicator>_change`` and ``overall_change`` (first to last period;
        only with two periods or more), ``overall_score``.
    """
    z = shortfalls(data, rule) if z is None else z
    wide = z.pivot_table(index=["id", "period"], columns="indicator", values="shortfall",
                         dropna=False)
    cols = [i.column for i in data.indicators]
    wide = wide.reindex(columns=cols)
    last = wide.xs(data.last, level="period")
    out = pd.DataFrame(index=last.index)
    out["group"] = data.unit_group.reindex(out.index).to_numpy()
    colours = pd.DataFrame({c: rule.colour(last[c].to_numpy()) for c in cols}, index=last.index)
    colours = colours.replace("", np.nan)
    for c in cols:
        out[c] = colours[c]
    out["overall"] = _overall(colours)
    out["overall_score"] = colours.apply(lambda c: c.map(_SCORE)).mean(axis=1).to_numpy()
    if data.is_panel:
        first = wide.xs(data.first, level="period").reindex(last.index)
        delta = first - last
        changes = pd.DataFrame({c: rule.change_colour(delta[c].to_numpy()) for c in cols},
                               index=last.index).replace("", np.nan)
        for c in cols:
            out[f"{c}_change"] = changes[c]
        out["overall_change"] = _overall(changes)
    out.index.name = "id"
    return out.reset_index()


def period_colours(data: ReportData, rule: ColourRule, z: pd.DataFrame) -> pd.DataFrame:
    """Overall colour of every unit in every period (units x periods)."""
    wide = z.pivot_table(index=["id", "period"], columns="indicator", values="shortfall",
                         dropna=False)
    cols = [i.column for i in data.indicators]
    wide = wide.reindex(columns=cols)
    colours = pd.DataFrame({c: rule.colour(wide[c].to_numpy()) for c in cols},
                           index=wide.index).replace("", np.nan)
    # a unit without any indicator in a period has no colour: NaN (not ""), so that the
    # chains leave it out as they say they do
    overall = pd.Series(_overall(colours), index=wide.index).replace("", np.nan)
    return overall.unstack("period").reindex(columns=data.periods)


def group_colours(data: ReportData, rule: ColourRule, z: pd.DataFrame) -> pd.DataFrame:
    """Colour of each group per indicator (median shortfall of its units), last period,
    and overall (``indicator == "overall"``: mean colour score, as for units).

    Returns
    -------
    pandas.DataFrame
        ``group, indicator, median_shortfall, colour`` and, for panels,
        ``median_change`` (first minus last shortfall) and ``change_colour``.
    """
    rows = []
    for (grp, ind), part in z.groupby(["group", "indicator"], sort=False):
        last = part.loc[part["period"] == data.last].set_index("id")["shortfall"]
        med = float(last.median())
        med = 0.0 if abs(med) < 1e-12 else med  # rounding noise of the core's own median
        row = {"group": grp, "indicator": ind, "median_shortfall": med,
               "colour": rule.colour(np.array([med]))[0]}
        if data.is_panel:
            first = part.loc[part["period"] == data.first].set_index("id")["shortfall"]
            delta = float((first - last.reindex(first.index)).median())
            row.update(median_change=delta, change_colour=rule.change_colour(np.array([delta]))[0])
        rows.append(row)
    out = pd.DataFrame(rows)
    # Overall colour of each group: the same rule as for units (mean colour score).
    overall = []
    for grp, part in out.groupby("group", sort=False):
        row = {"group": grp, "indicator": "overall", "median_shortfall": np.nan,
               "colour": _overall(part[["colour"]].replace("", np.nan))[0]}
        if data.is_panel:
            row.update(median_change=np.nan,
                       change_colour=_overall(part[["change_colour"]].replace("", np.nan))[0])
        overall.append(row)
    out = pd.concat([out, pd.DataFrame(overall)], ignore_index=True)
    order_g = {g: k for k, g in enumerate(data.groups)}
    order_i = {i.column: k for k, i in enumerate(data.indicators)}
    order_i["overall"] = len(order_i)
    out = out.sort_values(["indicator", "group"], key=lambda c: c.map(order_i if c.name ==
                          "indicator" else order_g), kind="stable")
    return out.reset_index(drop=True)


def colour_transitions(data: ReportData, rule: ColourRule, z: pd.DataFrame, w, *,
                       rng=0, seed=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Markov and spatial Markov transition probabilities of the overall colour.

    ``rng`` (alias ``seed``): an integer seed or a Generator (which gives one) for the
    random tie-breaks of the neighbours' modal colour.

    Returns
    -------
    (markov, spatial) : pandas.DataFrame, pandas.DataFrame
        ``markov``: ``from, transitions, to green, to yellow, to red`` (probabilities).
        ``spatial``: the same with ``neighbours`` (the neighbours' modal colour in the
        origin period) first.
        Units with a missing colour in any period are left out (the count is in
        ``attrs["units"]``).
    """
    import libpysal
    from giddy.markov import Markov, Spatial_Markov

    from ..weights.align import weights_ids, weights_on

    table = period_colours(data, rule, z).dropna(axis=0, how="any")
    ids = pd.Index(table.index)
    code = {c: k for k, c in enumerate(COLOURS)}
    y = table.apply(lambda c: c.map(code)).to_numpy(dtype=int)
    # the chain runs on the units with a colour in every period: W restricted to them
    S = weights_on(w, ids)
    wobj = libpysal.weights.WSP(S.tocsr(), id_order=list(ids)).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        # giddy warns about classes without transitions; the zero rows are shown as such.
        warnings.simplefilter("ignore", RuntimeWarning)
        m = Markov(y, classes=np.arange(3), summary=False)
        with seeded_global_rng(as_int_seed(rng, seed)):  # giddy breaks ties with numpy's global RNG
            sm = Spatial_Markov(y, wobj, discrete=True)
    markov = _long(m.transitions, np.asarray(m.p))
    # Spatial_Markov relabels the observed classes 0..k-1: map them back to colours.
    observed = [COLOURS[int(c)] for c in sm.classes]
    parts = []
    for j, lab in enumerate(observed):
        part = _long(sm.T[j], sm.P[j], labels=observed)
        part.insert(0, "neighbours", lab)
        parts.append(part)
    spatial = pd.concat(parts, ignore_index=True)
    for frame in (markov, spatial):
        frame.attrs["units"] = len(ids)
        frame.attrs["weights_units"] = len(weights_ids(w))
    return markov, spatial


def _long(counts, probs, labels=COLOURS) -> pd.DataFrame:
    """One row per origin colour: transitions observed and the probability of each
    destination colour (rows sum to 1 where a colour was observed)."""
    counts = np.asarray(counts)
    probs = np.asarray(probs)
    out = pd.DataFrame({"from": list(labels), "transitions": counts.sum(axis=1).astype(int)})
    for j, lab in enumerate(labels):
        out[f"to {lab}"] = probs[:, j]
    return out


def long_run(markov: pd.DataFrame, last_colours: pd.Series) -> pd.DataFrame:
    r"""Long-run reading of the colour chain (giddy.ergodic): where the transition
    probabilities lead if they persist.

    Steady state :math:`\pi = \pi P` and mean first passage times :math:`m_{ij}` (expected
    periods for a unit starting in colour :math:`i` to first become :math:`j`; for
    :math:`i = j` the recurrence time) of the estimated matrix :math:`P`. A colour never
    observed as an origin has no row of :math:`P`: giddy's ``fill_empty_classes`` keeps it
    (absorbing), and its passage times are infinite where no path leads out.

    Returns
    -------
    pandas.DataFrame
        One row per colour: ``colour, observed_share`` (last period),
        ``steady_state_share`` and ``mfpt_to_green`` (periods).
    """
    from giddy.ergodic import mfpt, steady_state

    P = markov[[f"to {c}" for c in COLOURS]].to_numpy(dtype=float)
    P = np.nan_to_num(P)
    empty = P.sum(axis=1) == 0
    P[empty, np.flatnonzero(empty)] = 1.0       # an unobserved origin stays put
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pi = np.asarray(steady_state(P, fill_empty_classes=True), dtype=float)
        if pi.ndim == 2:
            # a reducible chain has several steady states: no single long run
            raise ReducibleChainError("the colour chain is reducible (several steady states): no "
                             "single long-run distribution.")
        m = np.asarray(mfpt(P, fill_empty_classes=True), dtype=float)
    counts = last_colours.value_counts()
    total = counts.reindex(list(COLOURS), fill_value=0).sum()
    return pd.DataFrame({
        "colour": list(COLOURS),
        "observed_share": [counts.get(c, 0) / total if total else np.nan for c in COLOURS],
        "steady_state_share": pi.ravel(),
        "mfpt_to_green": m[:, 0]})
