"""Figures of convergence and distribution dynamics: the β-convergence scatter, kernel
densities by period and the stochastic kernel's contour plot.

Each function draws on ``ax`` (``None``: a new figure) and returns the Axes; labels in
English or Chinese (``lang``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import InputError
from .maps import _new_ax

__all__ = ["convergence_scatter", "density_plot", "stochastic_kernel_plot"]

_TEXT = {
    "en": {"initial": "log level, {start}", "growth": "growth per year, {start}–{end}",
           "fit": "OLS, all units: β = {beta:.3g}", "half": ", half-life {h:.0f} years",
           "relative_mean": "level relative to the mean", "density": "density",
           "relative_neighbours": "level relative to the neighbours' mean",
           "from": "relative level, t", "to": "relative level, t + {step}",
           "diagonal": "no change (45°)", "bandwidth": "h = {h:.3g}"},
    "zh": {"initial": "初始水平对数（{start}年）", "growth": "年均增长率（{start}—{end}年）",
           "fit": "OLS（全部单元）：β = {beta:.3g}", "half": "，半衰期 {h:.0f} 年",
           "relative_mean": "相对于均值的水平", "density": "密度",
           "relative_neighbours": "相对于邻居均值的水平",
           "from": "相对水平（t期）", "to": "相对水平（t + {step}期）",
           "diagonal": "不变（45°线）", "bandwidth": "h = {h:.3g}"},
}


def _tx(lang, key, **kw):
    if lang not in _TEXT:
        raise InputError(f"lang must be 'en' or 'zh'; {lang!r} was given.")
    return _TEXT[lang][key].format(**kw)


def convergence_scatter(result, *, groups: pd.Series | None = None, names: dict | None = None,
                        lang: str = "en", ax=None):
    """Growth against the initial log level (a cross-sectional
    :class:`~spatialflow.measures.BetaConvergence`), points coloured by ``groups`` (a Series
    by id), with the fitted OLS line when ``result`` is an OLS.

    Parameters
    ----------
    result : BetaConvergence
        A cross-sectional result (``effects=None``).
    groups : pandas.Series, optional
        Group label of each unit id.
    names : dict, optional
        Display name of each group label.
    """
    if getattr(result, "effects", None) is not None:
        raise InputError("convergence_scatter draws a cross-section; this result is a panel "
                         f"(effects={result.effects!r}).")
    ax = _new_ax(ax)
    g = result.growth
    if groups is not None:
        labels = groups.reindex(g.index)
        for k, (lab, idx) in enumerate(labels.groupby(labels, sort=False).groups.items()):
            part = g.loc[idx]
            ax.scatter(part["log_initial"], part["growth"], s=18, alpha=0.8,
                       marker="os^Dv<>"[k % 7],
                       label=(names or {}).get(lab, str(lab)))
    else:
        ax.scatter(g["log_initial"], g["growth"], s=18, alpha=0.8)
    if result.kind == "OLS":
        x = np.linspace(g["log_initial"].min(), g["log_initial"].max(), 50)
        a = float(result.model.params.get("Intercept", 0.0))
        label = _tx(lang, "fit", beta=result.beta)
        # a half-life only for a beta significantly below zero
        if np.isfinite(result.half_life) and result.beta < 0 and result.pvalues["beta"] < 0.05:
            label += _tx(lang, "half", h=result.half_life)
        if not result.controls:
            ax.plot(x, a + result.beta * x, color="#222222", linewidth=1.4, label=label)
    ax.set_xlabel(_tx(lang, "initial", start=result.start))
    ax.set_ylabel(_tx(lang, "growth", start=result.start, end=result.end))
    ax.grid(color="#eeeeee")
    ax.legend(fontsize=7.5)
    return ax


def density_plot(densities, *, lang: str = "en", ax=None, periods=None, linestyle="-"):
    """Kernel densities of a :class:`~spatialflow.measures.KernelDensities`, one line per
    period (``periods``: a subset), the bandwidth of each in the legend."""
    ax = _new_ax(ax)
    cols = list(densities.density.columns) if periods is None else list(periods)
    for p in cols:
        ax.plot(densities.grid, densities.density[p], linestyle=linestyle, linewidth=1.5,
                label=f"{p} ({_tx(lang, 'bandwidth', h=densities.bandwidth[p])})")
    ax.axvline(1.0, color="#888888", linewidth=0.8, linestyle=":")
    # the grid runs 5 bandwidths beyond the data; 2 show the tails
    h = float(densities.bandwidth.max())
    ax.set_xlim(float(densities.levels.min().min()) - 2 * h,
                float(densities.levels.max().max()) + 2 * h)
    ax.set_xlabel(_tx(lang, f"relative_{densities.relative}"))
    ax.set_ylabel(_tx(lang, "density"))
    ax.grid(color="#eeeeee")
    ax.legend(fontsize=7.5)
    return ax


def stochastic_kernel_plot(kernel, *, lang: str = "en", ax=None, levels: int = 8):
    """Contour plot of a :class:`~spatialflow.measures.StochasticKernel`'s conditional
    density :math:`f(r_{t+s} \\mid r_t)` (x: today, y: ``step`` periods ahead), with the
    45° line (no change) and the observed pairs."""
    ax = _new_ax(ax)
    grid, cond = kernel.grid, kernel.conditional
    pairs = kernel.pairs
    # the plot is cropped to the data (the grid runs 5 bandwidths beyond it)
    lo = float(min(pairs["r_from"].min(), pairs["r_to"].min()))
    hi = float(max(pairs["r_from"].max(), pairs["r_to"].max()))
    pad = 0.05 * (hi - lo)
    keep = (grid >= lo - pad) & (grid <= hi + pad)
    g = grid[keep]
    z = np.ma.masked_invalid(cond[np.ix_(keep, keep)].T)
    cs = ax.contourf(g, g, z, levels=levels, cmap="Blues")
    ax.contour(g, g, z, levels=levels, colors="#1f3b5a", linewidths=0.4)
    ax.scatter(pairs["r_from"], pairs["r_to"], s=5, color="#d95f02", alpha=0.6)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#222222", linewidth=1.0,
            linestyle="--", label=_tx(lang, "diagonal"))
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(_tx(lang, "from"))
    ax.set_ylabel(_tx(lang, "to", step=kernel.step))
    ax.legend(fontsize=7.5, loc="upper left")
    ax.figure.colorbar(cs, ax=ax, shrink=0.8)
    return ax
