r"""Choropleths and category maps (the drawing every map of :mod:`spatialflow.plot` shares).

Every function draws on a matplotlib ``Axes`` (a new one when ``ax=None``) and returns it.
The layer is a :class:`geopandas.GeoDataFrame` indexed by unit id; values are matched to it
by id, never by position. A layer in degrees is projected to a metric CRS for drawing
(:func:`spatialflow.datasets.to_metric`) so the scale bar reads in kilometres.

Scales. One-signed values get a sequential scale (one hue, lightness monotone); values on
both sides of zero get a diverging scale centred on zero (``TwoSlopeNorm``), whose two arms
may differ in length. Classed maps use :mod:`mapclassify`; a class ``(a, b]`` holds the
values :math:`a < y \le b` (mapclassify's upper-bound rule), the first class is closed,
``[min, b_0]``, and the legend title names the scheme and the number of classes.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize, TwoSlopeNorm, to_hex
from matplotlib.legend import Legend
from matplotlib.patches import Patch
from shapely.geometry import box

from ..exceptions import InputError
from . import furniture
from .palettes import DIVERGING, NO_DATA, SEQUENTIAL, THREE_COLOUR, THREE_COLOUR_HATCH

__all__ = ["choropleth", "categorical_map", "warning_map", "scheme_name", "class_labels",
           "value_scale"]

_TEXT = {
    "en": {"no_data": "no data", "km": "km", "ns": "not significant",
           "classes": "{name}, {k} classes", "p": "p < {alpha:g}",
           "fdr": "FDR {alpha:g} (p ≤ {cut:.2g})", "shocked": "shocked unit",
           "green": "green", "yellow": "yellow", "red": "red",
           "direct": "direct effect", "indirect_sent": "indirect effect sent",
           "received_from_other_groups": "effect received from other groups",
           "residual": "residual", "residual_mean": "mean residual",
           "shock": "response to a change of {size:g} in {variable} at {unit}"},
    "zh": {"no_data": "无数据", "km": "公里", "ns": "不显著",
           "classes": "{name}，{k}类", "p": "p < {alpha:g}",
           "fdr": "FDR {alpha:g}（p ≤ {cut:.2g}）", "shocked": "冲击所在单元",
           "green": "绿", "yellow": "黄", "red": "红",
           "direct": "直接效应", "indirect_sent": "发出的间接效应",
           "received_from_other_groups": "从其他组接收的效应",
           "residual": "残差", "residual_mean": "平均残差",
           "shock": "{unit}的{variable}变化{size:g}时各单元的响应"},
}
_SCHEMES = {
    "quantiles": ("Quantiles", "分位数分级"), "equalinterval": ("Equal interval", "等距分级"),
    "fisherjenks": ("Fisher–Jenks natural breaks", "Fisher–Jenks自然断点"),
    "naturalbreaks": ("Natural breaks", "自然断点"), "stdmean": ("Standard deviation", "标准差分级"),
    "boxplot": ("Box plot", "箱线图分级"), "percentiles": ("Percentiles", "百分位分级"),
    "headtailbreaks": ("Head/tail breaks", "头尾断点"), "jenkscaspall": ("Jenks–Caspall", "Jenks–Caspall分级"),
    "maximumbreaks": ("Maximum breaks", "最大断点"),
}


def _tx(lang: str, key: str, **kw) -> str:
    if lang not in _TEXT:
        raise InputError(f"lang must be 'en' or 'zh'; {lang!r} was given.")
    return _TEXT[lang][key].format(**kw)


def scheme_name(scheme: str, lang: str = "en") -> str:
    """A reader's name for a mapclassify scheme (``"quantiles"`` -> ``"Quantiles"``)."""
    key = str(scheme).lower().replace("_", "").replace(" ", "")
    names = _SCHEMES.get(key)
    return names[1 if lang == "zh" else 0] if names else str(scheme)


def class_labels(lower: float, bins, fmt: str = "{:.3g}") -> list[str]:
    """Interval labels of mapclassify classes: ``[min, b0]``, ``(b0, b1]``, ..."""
    out, lo = [], lower
    for i, hi in enumerate(bins):
        out.append(("[" if i == 0 else "(") + f"{fmt.format(lo)}, {fmt.format(hi)}]")
        lo = hi
    return out


# ---------------------------------------------------------------------------- helpers
@contextmanager
def _fonts(lang: str):
    """Chinese labels: draw with an installed CJK font (:func:`spatialflow.report.find_cjk_font`);
    without one, a :class:`~spatialflow.exceptions.CJKFontWarning` (matplotlib would draw
    boxes)."""
    if lang != "zh":
        yield
        return
    from ..report.fonts import figure_fonts, find_cjk_font
    family = find_cjk_font()
    if family is None:
        from ..exceptions import CJKFontWarning
        warnings.warn("lang='zh' but no font with Chinese glyphs is installed: the labels "
                      "will show as boxes (install e.g. fonts-noto-cjk).", CJKFontWarning,
                      stacklevel=3)
    with figure_fonts(family):
        yield


def _new_ax(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when the caller wants a new figure
    _, ax = plt.subplots(figsize=(7, 6))
    return ax


def _metric(gdf):
    """(projected layer, metres per CRS unit or None when the layer has no CRS)."""
    if gdf.crs is None:
        return gdf, None
    if not gdf.crs.is_projected:
        from .._crs import to_metric
        gdf = to_metric(gdf)
    return gdf, float(gdf.crs.axis_info[0].unit_conversion_factor)


def _check_layer(layer):
    import geopandas as gpd
    if not isinstance(layer, gpd.GeoDataFrame):
        raise InputError(f"layer must be a geopandas GeoDataFrame indexed by unit id; "
                         f"{type(layer).__name__} was given.")
    if layer.index.has_duplicates:
        dup = layer.index[layer.index.duplicated()].unique().tolist()[:10]
        raise InputError(f"layer's index must hold unique unit ids; duplicated: {dup}.")


def _values(layer, values, what: str) -> pd.Series:
    """``values`` (a column name of ``layer`` or a Series by id) aligned to the layer."""
    if isinstance(values, str):
        if values not in layer.columns:
            raise InputError(f"{what}: column {values!r} is not in the layer; columns: "
                             f"{[c for c in layer.columns if c != layer.geometry.name]}.")
        s = layer[values]
    elif isinstance(values, pd.Series):
        extra = values.index.difference(layer.index)
        if len(extra):
            raise InputError(f"{what}: {len(extra)} id(s) are not units of the layer: "
                             f"{extra.tolist()[:10]}.")
        s = values.reindex(layer.index)
    else:
        raise InputError(f"{what} must be a column name or a pandas Series indexed by unit "
                         f"id; {type(values).__name__} was given.")
    try:
        return pd.Series(s.to_numpy(dtype=float), index=layer.index, name=s.name)
    except (TypeError, ValueError) as err:
        raise InputError(f"{what} must be numeric; {s.dtype} was given ({err}).") from None


def value_scale(finite, diverging="auto", cmap: str | None = None, reverse: bool = False):
    """(colormap, norm, is_diverging) for finite values: sequential if one-signed,
    diverging around zero (``TwoSlopeNorm(0, min, max)``) when they have both signs."""
    finite = np.asarray(finite, dtype=float)
    import matplotlib
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    mixed = lo < 0 < hi
    if diverging is True and not mixed:
        raise InputError("a diverging scale needs values on both sides of zero; these run "
                         f"from {lo:.4g} to {hi:.4g}: use diverging='auto' or False.")
    use_div = mixed and diverging in ("auto", True)
    name = cmap or (DIVERGING if use_div else SEQUENTIAL)
    cm = matplotlib.colormaps[name]
    if reverse:
        cm = cm.reversed()
    if use_div:
        return cm, TwoSlopeNorm(0.0, lo, hi), True
    if not cmap and hi <= 0 < hi - lo:
        # all values at or below zero: the darkest colour marks the largest magnitude
        cm = cm.reversed()
    return cm, Normalize(lo, hi if hi > lo else lo + 1.0), False


def _renderer(fig):
    canvas = fig.canvas
    if hasattr(canvas, "get_renderer"):
        return canvas.get_renderer()
    return fig._get_renderer()  # a bare Figure (no pyplot): matplotlib's own fallback


def _legend_box(ax, leg):
    """The legend's rectangle in data coordinates (after the axes' aspect is applied)."""
    ax.apply_aspect()
    bb = leg.get_window_extent(_renderer(ax.figure))
    (x0, y0), (x1, y1) = ax.transData.inverted().transform([[bb.x0, bb.y0], [bb.x1, bb.y1]])
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _land_under(geometries, rect) -> tuple[int, float]:
    """(number of polygons, their area) under ``rect``: a small island counts as much as
    a large county, so a legend never hides one to spare some mainland."""
    hit = geometries.iloc[geometries.sindex.query(rect, predicate="intersects")]
    return (len(hit), float(hit.intersection(rect).area.sum()) if len(hit) else 0.0)


class _LandAwareLegend(Legend):
    """A legend that settles its corner when drawn, in the final layout.

    Constrained layout, colour bars and titles resize the axes after a map is drawn, so a
    corner chosen at that moment may end up over land. At draw time every corner is tried
    (its box measured in data coordinates) and the one covering the least land wins;
    corners whose box would meet the scale bar and north arrow are skipped.
    """

    def __init__(self, ax, handles, *, geometries, corners, **kw):
        super().__init__(ax, handles, [h.get_label() for h in handles], loc=corners[0], **kw)
        self._sf_geometries = geometries
        self._sf_corners = list(corners)
        self._sf_keep_clear = None   # the scale bar and arrow's rectangle, set later

    def _sf_box(self, renderer):
        bb = self.get_window_extent(renderer)
        inv = self.axes.transData.inverted()
        (x0, y0), (x1, y1) = inv.transform([[bb.x0, bb.y0], [bb.x1, bb.y1]])
        return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def settle(self, renderer) -> None:
        best = None
        for corner in self._sf_corners:
            self.set_loc(corner)
            rect = self._sf_box(renderer)
            if self._sf_keep_clear is not None and rect.intersects(self._sf_keep_clear):
                continue
            score = _land_under(self._sf_geometries, rect)  # (polygons, area) under it
            if best is None or score < best[0]:
                best = (score, corner)
            if score[0] == 0:
                break
        self.set_loc(best[1] if best else self._sf_corners[0])

    def draw(self, renderer):
        if self.get_visible():
            self.axes.apply_aspect()
            self.settle(renderer)
        super().draw(renderer)


# A corner must stay free of land with the legend's box this much larger: the figure's
# final layout (colour bars, titles, footers added later) may still shrink the map.
LEGEND_MARGIN = 1.35


def _inflated(rect, corner: str):
    x0, y0, x1, y1 = rect.bounds
    dx, dy = (x1 - x0) * (LEGEND_MARGIN - 1), (y1 - y0) * (LEGEND_MARGIN - 1)
    return box(x0 if "left" in corner else x0 - dx, y0 if "lower" in corner else y0 - dy,
               x1 + dx if "left" in corner else x1, y1 + dy if "lower" in corner else y1)


def _place_legend(ax, geometries, handles, title, corners):
    """Legend in a corner where its box (with a margin) covers no land; when every corner
    would, beside the map (right of the axes), where it can cover nothing. A corner legend
    is re-checked when the figure is drawn (:class:`_LandAwareLegend`).

    Returns the corner used ("outside" beside the map) and the legend's box in data
    coordinates (None outside).
    """
    engine = ax.figure.get_layout_engine()
    if engine is not None:
        # measure in the laid-out figure (constrained layout resizes the axes at draw time)
        engine.execute(ax.figure)
    renderer = _renderer(ax.figure)
    ax.apply_aspect()
    kw = dict(fontsize=8, title=title, title_fontsize=8, frameon=True, framealpha=0.9)
    leg = _LandAwareLegend(ax, handles, geometries=geometries, corners=corners, **kw)
    free = []
    for corner in corners:
        leg.set_loc(corner)
        if _land_under(geometries, _inflated(leg._sf_box(renderer), corner))[0] == 0:
            free.append(corner)
    if free:
        leg._sf_corners = free + [c for c in corners if c not in free]
        leg.set_loc(free[0])
        ax.legend_ = leg
        leg._remove_method = ax._remove_legend
        leg.set_gid("sf-legend")
        return free[0], leg._sf_box(renderer)
    out = ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), **kw)
    out.set_gid("sf-legend")
    return "outside", None


def _corner_of(leg) -> str:
    codes = {1: "upper right", 2: "upper left", 3: "lower left", 4: "lower right"}
    return codes.get(leg._loc, "lower right")


def _furnish(ax, layer, metres, lang, legend_items, *, scale_bar=True, north_arrow=True):
    """Pad the frame; legend where it covers the least land, then the scale bar and north
    arrow on open ground elsewhere (:mod:`spatialflow.plot.furniture`)."""
    frame = furniture.pad_frame(ax, layer.total_bounds)
    ax.set_axis_off()
    ax.set_aspect("equal")
    corners = furniture.free_corners(layer.geometry, frame)
    avoid = []
    if legend_items is not None:
        handles, title = legend_items
        used, rect = _place_legend(ax, layer.geometry, handles, title, corners)
        if rect is not None:
            avoid.append(rect)
            corners = [c for c in corners if c != used] + [used]
    clear = furniture.scale_and_arrow(ax, layer.geometry, frame, corners, metres,
                                      _tx(lang, "km"), bar=scale_bar and metres is not None,
                                      arrow=north_arrow, avoid=avoid)
    if isinstance(ax.get_legend(), _LandAwareLegend) and clear is not None:
        ax.get_legend()._sf_keep_clear = clear
    return corners


# ---------------------------------------------------------------------------- maps
def choropleth(gdf, column, *, scheme: str | None = "quantiles", k: int = 5,
               lang: str = "en", ax=None, cmap: str | None = None, diverging="auto",
               reverse: bool = False, unit: str | None = None, title: str | None = None,
               legend: bool = True, fmt: str = "{:.3g}", scale_bar: bool = True,
               north_arrow: bool = True, edgecolor: str = "white", linewidth: float = 0.3):
    r"""Draw ``column`` of ``gdf`` as a choropleth; return the Axes.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The units, indexed by id.
    column : str or pandas.Series
        A column of ``gdf`` or values by id (ids not in ``gdf`` raise; units without a value
        are drawn hatched as "no data").
    scheme : str or None, default "quantiles"
        A :func:`mapclassify.classify` scheme (``"quantiles"``, ``"fisherjenks"``,
        ``"equalinterval"``, ...) with ``k`` classes and an interval legend, or None for a
        continuous colour bar.
    diverging : {"auto", True, False}
        "auto": diverging around zero only when values lie on both sides of it; True
        insists (and raises for one-signed values); False is always sequential.
    reverse : bool
        Reverse the colour map (e.g. for an indicator where lower is better).
    unit : str, optional
        Shown in the legend title beside the scheme's name.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check_layer(gdf)
    values = _values(gdf, column, "column")
    with _fonts(lang):
        return _choropleth(gdf, values, scheme=scheme, k=k, lang=lang, ax=ax, cmap=cmap,
                           diverging=diverging, reverse=reverse, unit=unit, title=title,
                           legend=legend, fmt=fmt, scale_bar=scale_bar,
                           north_arrow=north_arrow, edgecolor=edgecolor, linewidth=linewidth)


def _choropleth(gdf, values, *, scheme, k, lang, ax, cmap, diverging, reverse, unit, title,
                legend, fmt, scale_bar, north_arrow, edgecolor, linewidth):
    layer, metres = _metric(gdf)
    ax = _new_ax(ax)
    ok = np.isfinite(values.to_numpy())
    finite = values.to_numpy()[ok]
    cm, norm, is_div = value_scale(finite, diverging, cmap, reverse)
    legend_items = None
    if ok.any():
        if scheme is None:
            colours = cm(norm(finite))
            layer[ok].plot(ax=ax, color=colours, edgecolor=edgecolor, linewidth=linewidth)
            if legend:
                from matplotlib.cm import ScalarMappable
                bar = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cm), ax=ax,
                                         shrink=0.6, label=unit or "")
                # proportional spacing: a short negative arm stays short on the bar
                bar.ax.set_yscale("linear")
                bar.ax.set_gid("sf-colorbar")
        else:
            import mapclassify
            with warnings.catch_warnings():
                # mapclassify lowers k for variables with few distinct values and says so;
                # the legend shows the classes actually used.
                warnings.filterwarnings("ignore", message="Not enough unique values")
                warnings.filterwarnings("ignore", message="Warning: Not enough unique")
                klass = mapclassify.classify(finite, scheme, k=min(k, len(np.unique(finite))))
            bins = np.asarray(klass.bins, dtype=float)
            lower = np.r_[finite.min(), bins[:-1]]
            mids = (lower + bins) / 2.0
            if is_div:
                class_colours = [to_hex(c) for c in cm(norm(mids))]
            else:
                # evenly spaced along the sequential map: equal lightness steps per class
                pos = np.linspace(0.0, 1.0, len(bins)) if len(bins) > 1 else np.array([0.5])
                class_colours = [to_hex(c) for c in cm(pos)]
            yb = np.asarray(klass.yb, dtype=int)
            layer[ok].plot(ax=ax, color=[class_colours[i] for i in yb], edgecolor=edgecolor,
                           linewidth=linewidth)
            labels = class_labels(float(finite.min()), bins, fmt)
            handles = [Patch(facecolor=c, edgecolor="#888888", label=lab)
                       for c, lab in zip(class_colours, labels)]
            name = _tx(lang, "classes", name=scheme_name(scheme, lang), k=len(bins))
            legend_items = (handles, f"{unit} · {name}" if unit else name)
    if (~ok).any():
        layer[~ok].plot(ax=ax, facecolor=NO_DATA["color"], edgecolor=NO_DATA["edgecolor"],
                        hatch=NO_DATA["hatch"], linewidth=linewidth)
        if legend_items is not None:
            legend_items[0].append(Patch(facecolor=NO_DATA["color"], hatch=NO_DATA["hatch"],
                                         edgecolor=NO_DATA["edgecolor"],
                                         label=_tx(lang, "no_data")))
    _furnish(ax, layer, metres, lang, legend_items if legend else None,
             scale_bar=scale_bar, north_arrow=north_arrow)
    if title:
        ax.set_title(title)
    return ax


def categorical_map(gdf, labels, colours: dict, names: dict | None = None, *,
                    lang: str = "en", ax=None, hatches: dict | None = None,
                    title: str | None = None, legend_title: str | None = None,
                    keep: tuple = (), scale_bar: bool = True, north_arrow: bool = True):
    """Draw categories (``labels`` by id or a column of ``gdf``) in fixed ``colours``.

    ``names`` gives the legend text of each category; the legend lists the categories that
    occur plus those in ``keep`` (e.g. all three warning colours); ``hatches`` adds a
    hatch pattern per category (a second cue beside colour).
    """
    _check_layer(gdf)
    if isinstance(labels, str):
        labels = gdf[labels]
    extra = pd.Index(labels.index).difference(gdf.index)
    if len(extra):
        raise InputError(f"labels: {len(extra)} id(s) are not units of the layer: "
                         f"{extra.tolist()[:10]}.")
    lab = labels.reindex(gdf.index)
    unknown = sorted({str(v) for v in lab.dropna().unique()} - {str(c) for c in colours})
    if unknown:
        raise InputError(f"labels hold categories without a colour: {unknown}; colours are "
                         f"given for {list(colours)}.")
    with _fonts(lang):
        return _categorical(gdf, lab, colours, names or {c: str(c) for c in colours},
                            lang=lang, ax=ax, hatches=hatches, title=title,
                            legend_title=legend_title, keep=keep, scale_bar=scale_bar,
                            north_arrow=north_arrow)


def _categorical(gdf, lab, colours, names, *, lang, ax, hatches, title, legend_title, keep,
                 scale_bar, north_arrow):
    layer, metres = _metric(gdf)
    ax = _new_ax(ax)
    for cat, colour in colours.items():
        part = layer[(lab == cat).to_numpy()]
        if len(part):
            part.plot(ax=ax, facecolor=colour, edgecolor="white", linewidth=0.3,
                      hatch=(hatches or {}).get(cat) or None)
    missing = lab.isna().to_numpy()
    if missing.any():
        layer[missing].plot(ax=ax, facecolor=NO_DATA["color"], edgecolor=NO_DATA["edgecolor"],
                            hatch=NO_DATA["hatch"], linewidth=0.3)
    handles = [Patch(facecolor=colours[c], edgecolor="#888888", label=names[c],
                     hatch=(hatches or {}).get(c) or None)
               for c in colours if (lab == c).any() or c in keep]
    if missing.any():
        handles.append(Patch(facecolor=NO_DATA["color"], edgecolor=NO_DATA["edgecolor"],
                             hatch=NO_DATA["hatch"], label=_tx(lang, "no_data")))
    _furnish(ax, layer, metres, lang, (handles, legend_title), scale_bar=scale_bar,
             north_arrow=north_arrow)
    if title:
        ax.set_title(title)
    return ax


def warning_map(gdf, colours, *, names: dict | None = None, lang: str = "en", ax=None,
                hatch: bool = False, title: str | None = None):
    """The three-colour warning map (``colours``: "green" / "yellow" / "red" by id)."""
    names = names or {c: _tx(lang, c) for c in THREE_COLOUR}
    return categorical_map(gdf, colours, THREE_COLOUR, names, lang=lang, ax=ax,
                           hatches=THREE_COLOUR_HATCH if hatch else None, title=title,
                           keep=tuple(THREE_COLOUR))
