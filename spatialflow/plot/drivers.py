"""Figures of the drivers of a spatial pattern: Geodetector q bars and GWR/MGWR local
estimate maps (one map per term, its bandwidth in the title)."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from ..exceptions import InputError
from .maps import _check_layer, _fonts, _new_ax, choropleth

__all__ = ["geodetector_bars", "local_estimate_maps"]

_TEXT = {
    "en": {"q": "q: share of the variance between strata",
           "bw_adaptive": "{term} (bandwidth {bw:g} neighbours)",
           "bw_fixed": "{term} (bandwidth {bw:.3g})", "sig": "* p < 0.05"},
    "zh": {"q": "q：层间方差占比",
           "bw_adaptive": "{term}（带宽 {bw:g} 个近邻）",
           "bw_fixed": "{term}（带宽 {bw:.3g}）", "sig": "* p < 0.05"},
}


def _lang(lang: str) -> str:
    if lang not in _TEXT:
        raise InputError(f"lang must be one of {list(_TEXT)}; {lang!r} was given.")
    return lang


def geodetector_bars(table: pd.DataFrame, *, labels: dict | None = None, lang: str = "en",
                     ax=None, title: str | None = None, alpha: float = 0.05):
    """Horizontal bars of the q of each factor (a :func:`~spatialflow.measures.geodetector`
    table, or any frame with ``q`` and ``p_value`` indexed by factor), largest at the top;
    a star marks ``p_value < alpha``. ``labels`` renames factors. Returns the Axes."""
    lang = _lang(lang)
    if not {"q", "p_value"} <= set(table.columns):
        raise InputError(f"table needs columns 'q' and 'p_value'; it has {list(table.columns)}.")
    part = table.sort_values("q")
    names = [str((labels or {}).get(i, i)) for i in part.index]
    with _fonts(lang):
        ax = _new_ax(ax)
        bars = ax.barh(names, part["q"].to_numpy(), color="#3b6ea8")
        for bar, p in zip(bars, part["p_value"].to_numpy()):
            star = "*" if np.isfinite(p) and p < alpha else ""
            ax.annotate(f"{bar.get_width():.2f}{star}", (bar.get_width(), bar.get_y()
                                                           + bar.get_height() / 2),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=9)
        ax.set_xlim(0, max(1.0, float(part["q"].max()) * 1.15))
        ax.set_xlabel(f"{_TEXT[lang]['q']}; {_TEXT[lang]['sig']}", fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        if title:
            ax.set_title(title)
    return ax


def local_estimate_maps(results, layer, *, terms=None, labels: dict | None = None,
                        lang: str = "en", fig=None, ncols: int = 2, scale_bar: bool = True):
    """One map per term of the local estimates of a fitted GWR/MGWR
    (:func:`~spatialflow.measures.gwr`, :func:`~spatialflow.measures.mgwr`), its bandwidth
    in the title; continuous colours, diverging around zero when a surface changes sign.

    Parameters
    ----------
    results : LocalRegressionResults
    layer : geopandas.GeoDataFrame
        The units' polygons indexed by the ids of the fit.
    terms : list of str, optional
        Terms to map (default: every term, ``Intercept`` included).
    labels : dict, optional
        Display names of the terms.
    fig : matplotlib.figure.Figure, optional
        Figure to draw on (default: a new one, without pyplot).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    lang = _lang(lang)
    _check_layer(layer)
    params = results.params
    terms = list(params.columns) if terms is None else list(terms)
    unknown = [x for x in terms if x not in params.columns]
    if unknown:
        raise InputError(f"terms {unknown} are not terms of the fit {list(params.columns)}.")
    ncols = min(ncols, len(terms))
    nrows = int(np.ceil(len(terms) / ncols))
    if fig is None:
        fig = Figure(figsize=(6.0 * ncols, 4.8 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    key = "bw_fixed" if results.fixed else "bw_adaptive"
    bws = results.bandwidths
    for ax, term in zip(axes, terms):
        choropleth(layer, params[term], scheme=None, diverging="auto", lang=lang, ax=ax,
                   scale_bar=scale_bar)
        # long indicator labels: wrapped, so that a title never runs off its panel
        ax.set_title(textwrap.fill(_TEXT[lang][key].format(
            term=(labels or {}).get(term, term), bw=float(bws[term])),
            width=24 if lang == "zh" else 48), fontsize=10)
    for ax in axes[len(terms):]:
        ax.set_visible(False)
    return fig
