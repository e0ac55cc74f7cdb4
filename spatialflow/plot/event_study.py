r"""Event-study coefficient plot of a spatial difference-in-differences.

For each event time :math:`k` (periods since adoption; :math:`k = -1` is the reference,
drawn at zero without an interval) the estimate and its interval of each effect asked for
(direct, indirect, total), side by side with a small horizontal offset so that the
intervals do not overlap. A dashed line separates leads from lags; the title gives the
joint pre-trend test.
"""
from __future__ import annotations

import numpy as np

from ..exceptions import InputError

__all__ = ["event_study_plot", "EVENT_COLOURS"]

#: Direct, indirect, total: ColorBrewer Dark2-like hues of distinct lightness.
EVENT_COLOURS = {"direct": "#1b6ca8", "indirect": "#d95f02", "total": "#444444"}
_MARKERS = {"direct": "o", "indirect": "s", "total": "^"}


def event_study_plot(event_study, ax=None, *, effects=("direct", "indirect"),
                     title: str | None = None):
    """Draw :class:`spatialflow.causal.EventStudy` results; returns the Axes.

    Parameters
    ----------
    event_study : EventStudy
        From ``results.event_study(leads=, lags=)``.
    ax : matplotlib Axes, optional
        Where to draw (a new figure when None).
    effects : sequence of {"direct", "indirect", "total"}
        Which effects to draw.
    title : str, optional
        Default: the joint pre-trend test.
    """
    table = event_study.table
    unknown = [e for e in effects if e not in EVENT_COLOURS]
    if unknown or not effects:
        raise InputError(f"effects must be a non-empty subset of {list(EVENT_COLOURS)}; "
                         f"{list(effects)} was given.")
    if ax is None:
        import matplotlib.pyplot as plt  # only when the caller wants a new figure
        _, ax = plt.subplots(figsize=(7, 4))
    width = 0.12 * (len(effects) - 1)
    offsets = np.linspace(-width, width, len(effects)) if len(effects) > 1 else [0.0]
    for off, eff in zip(offsets, effects):
        rows = table[table["effect"] == eff].sort_values("event_time")
        k = np.append(rows["event_time"].to_numpy(dtype=float), -1.0)
        est = np.append(rows["estimate"].to_numpy(), 0.0)
        lo = np.append(rows["lower"].to_numpy(), 0.0)
        hi = np.append(rows["upper"].to_numpy(), 0.0)
        order = np.argsort(k)
        k, est, lo, hi = k[order] + off, est[order], lo[order], hi[order]
        ax.errorbar(k, est, yerr=[est - lo, hi - est], fmt=_MARKERS[eff], linestyle="-",
                    color=EVENT_COLOURS[eff], capsize=3, label=eff, linewidth=1.2)
    ax.axhline(0.0, color="#999999", linewidth=0.8)
    ax.axvline(-0.5, color="#999999", linewidth=0.8, linestyle="--")
    ax.set_xlabel("periods since adoption (reference: -1)")
    ax.set_ylabel(f"effect ({event_study.level:.0%} interval)")
    pre = event_study.pretrend
    ax.set_title(title if title is not None else
                 f"pre-trends: chi2({pre.df:g}) = {pre.statistic:.2f}, p = {pre.pvalue:.3f}")
    ax.legend(frameon=False)
    return ax
