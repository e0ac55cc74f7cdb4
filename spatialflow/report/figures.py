"""The report's figures (matplotlib + geopandas): maps, heatmaps, forest plot, trends, bars.

Every figure has a title, the indicator's unit where it has one, and a footer with the
source note and, for synthetic data, "SYNTHETIC data, not real statistics". Maps draw the
unit polygons with the groups' outlines (a dissolve of the layer by group), group names, a
legend with class bounds (mapclassify quantiles) or a colour bar, and a kilometre scale bar
when the layer has a CRS. Figures are :class:`matplotlib.figure.Figure` objects built
without pyplot, so building a report never opens a window or leaks global figures.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .. import plot
from .._render import significance_stars
from ..plot.labels import label_places
from ..plot.maps import value_scale
from ..plot.palettes import LISA_COLOURS, MUTED, QUALITATIVE, THREE_COLOUR, lightness
from ._data import PERIPHERY, REGION_ZH
from ._text import t
from .groups import LINE_GROUPS, LINE_HIGHLIGHT, rank_groups

__all__ = ["FigureContext"]

COLOUR_HEX = THREE_COLOUR
LISA_HEX = LISA_COLOURS

FIG_TEXT = {
    "en": {
        "level": "{period}", "change": "change {first}–{last}",
        "map_title": "{label}: level and change by county",
        "colours_title": "Three-colour monitoring, all indicators ({period})",
        "colours_overall": "overall, {period}", "colours_change": "overall change {first}–{last}",
        "colours_ind_title": "Three-colour monitoring by indicator ({period})",
        "green": "green", "yellow": "yellow", "red": "red",
        "change_green": "catching up", "change_yellow": "about the same", "change_red": "falling behind",
        "lisa_title": "LISA clusters of each indicator ({period}; permutation p < 0.05)",
        # cross-sections without a period (time=None): the same without it
        "level_cs": "level", "colours_title_cs": "Three-colour monitoring, all indicators",
        "colours_overall_cs": "overall",
        "colours_ind_title_cs": "Three-colour monitoring by indicator",
        "lisa_title_cs": "LISA clusters of each indicator (permutation p < 0.05)",
        "lisa_title_fdr": "LISA clusters of each indicator ({period}; FDR q = {q:g})",
        "lisa_title_fdr_cs": "LISA clusters of each indicator (FDR q = {q:g})",
        "map_title_cs": "{label}: level by county",
        "ns": "not significant",
        "units_title": "Total effect received by each county ({model})",
        "units_indirect_sent": "Indirect effect each county's change sends to all others ({model})",
        "units_received_from_other_groups": ("Effect each county receives from counties outside "
                                             "its own group ({model})"),
        "blocks_title": "Spillover blocks, source group → receiving group ({model})",
        "from": "source (from)", "to": "receiving (to)",
        "forest_title": "Effects with 95% intervals, by model",
        "deficit_title": "Deficit against the core over time (positive = behind the core)",
        "dagum_title": "Dagum Gini decomposition by period",
        "within": "within", "net_between": "net between", "transvariation": "transvariation",
        "cf_title": "Counterfactual: deficit closed if flows were at the core's level ({model})",
        "observed": "observed deficit", "own": "own flows", "spillover": "other groups' spillovers",
        "core_response": "core's response", "closed": "closed (95% interval)",
        "own_direct": "own direct effects", "within_group": "spillovers within the group",
        "pct_levels": "% of the core's level",
        "direct": "direct", "indirect": "indirect", "total": "total", "km": "km",
        "conv_title": "Beta-convergence: growth per year against the initial log level",
        "dens_title": ("Kernel densities of the relative level by period (Gaussian kernel, "
                       "Scott's bandwidth h)"),
        "dens_mean": "{label}: relative to the mean", "dens_nb": "{label}: relative to neighbours",
        "kernel_title": ("Stochastic kernels: density of the relative level {step} period(s) "
                         "ahead given today's"),
        "gini": "Gini",
        "largest": "{k} of {n} groups with the largest |deficit| (others grey)",
    },
    "zh": {
        "level": "{period}年", "change": "{first}—{last}年变化",
        "map_title": "{label}：各县水平与变化",
        "colours_title": "三色预警：全部指标（{period}年）",
        "colours_overall": "综合，{period}年", "colours_change": "综合变化 {first}—{last}年",
        "colours_ind_title": "分指标三色预警（{period}年）",
        "green": "绿", "yellow": "黄", "red": "红",
        "change_green": "追赶", "change_yellow": "基本持平", "change_red": "落后扩大",
        "lisa_title": "各指标LISA集聚（{period}年；置换检验 p < 0.05）",
        "level_cs": "水平", "colours_title_cs": "三色预警：全部指标",
        "colours_overall_cs": "综合", "colours_ind_title_cs": "分指标三色预警",
        "lisa_title_cs": "各指标LISA集聚（置换检验 p < 0.05）",
        "lisa_title_fdr": "各指标LISA集聚（{period}年；错误发现率 q = {q:g}）",
        "lisa_title_fdr_cs": "各指标LISA集聚（错误发现率 q = {q:g}）",
        "map_title_cs": "{label}：各县水平",
        "ns": "不显著",
        "units_title": "各县受到的总效应（{model}）",
        "units_indirect_sent": "各县变化向其他各县发出的间接效应（{model}）",
        "units_received_from_other_groups": "各县从本组以外各县接收的效应（{model}）",
        "blocks_title": "溢出分块：来源组 → 接收组（{model}）",
        "from": "来源组", "to": "接收组",
        "forest_title": "各模型效应及95%区间",
        "deficit_title": "与核心区差距随时间变化（正值 = 落后于核心区）",
        "dagum_title": "Dagum基尼系数分解",
        "within": "组内", "net_between": "净组间", "transvariation": "超变密度",
        "cf_title": "反事实：要素流动达到核心区水平可缩小的差距（{model}）",
        "observed": "实际差距", "own": "本组要素流动", "spillover": "其他外围组溢出",
        "core_response": "核心区响应", "closed": "缩小部分（95%区间）",
        "own_direct": "本组直接效应", "within_group": "组内溢出",
        "pct_levels": "占核心区水平的%",
        "direct": "直接", "indirect": "间接", "total": "总", "km": "公里",
        "conv_title": "β收敛：年均增长率与初始水平对数",
        "dens_title": "各期相对水平的核密度（高斯核，Scott带宽 h）",
        "dens_mean": "{label}：相对于全体均值", "dens_nb": "{label}：相对于邻居均值",
        "kernel_title": "随机核：给定当期相对水平时{step}期后相对水平的条件密度",
        "gini": "基尼系数",
        "largest": "{n} 组中差距绝对值最大的 {k} 组（其余为灰色）",
    },
}


@dataclass
class FigureContext:
    """What every figure needs: language, layer (projected), groups and the footer."""

    layer: object          # GeoDataFrame indexed by id with column _group
    groups: list
    core: object
    lang: str = "en"
    synthetic: bool = False
    source: str | None = None
    vocab: object = None   # spatialflow.report.vocabulary.Vocabulary (variables' words)

    def __post_init__(self):
        layer = self.layer
        self.metric = False
        if layer.crs is not None:
            if layer.crs.is_projected:
                self.metric = True
            else:
                from ..datasets import to_metric
                layer = to_metric(layer)
                self.metric = True
        self.layer = layer
        self.outlines = layer[["_group", "geometry"]].dissolve(by="_group")
        if self.vocab is None:
            from .vocabulary import Vocabulary
            self.vocab = Vocabulary(self.lang)

    def var(self, name) -> str:
        """A variable's (or parameter's) words in the figure's language."""
        return self.vocab.term(name)

    # ------------------------------------------------------------------ text
    def tx(self, key: str, **kw) -> str:
        # period=None: a cross-section without a period; its variant names none
        if "period" in kw and kw["period"] is None:
            key = f"{key}_cs"
        return FIG_TEXT[self.lang][key].format(**kw)

    def gname(self, label) -> str:
        if label == PERIPHERY:
            return t("periphery", self.lang)
        return REGION_ZH.get(label, str(label)) if self.lang == "zh" else str(label)

    def finish(self, fig: Figure, title: str) -> Figure:
        fig.suptitle(title, fontweight="bold", x=0.01, ha="left")
        # Keep a strip at the bottom for the footer (constrained layout ignores fig.text).
        height = fig.get_size_inches()[1]
        fig.get_layout_engine().set(rect=(0, 0.32 / height, 1, 1 - 0.32 / height))
        bits = []
        if self.synthetic:
            bits.append(t("synthetic_short", self.lang))
        if self.source:
            bits.append(f"{t('source', self.lang)}{'：' if self.lang == 'zh' else ': '}"
                        f"{self.source}")
        if bits:
            fig.text(0.01, 0.005, " · ".join(bits), fontsize=8.5, ha="left", va="bottom",
                     color="#b3261e" if self.synthetic else "#444444",
                     fontweight="bold" if self.synthetic else "normal")
        return fig

    # ------------------------------------------------------------------ maps
    # The maps themselves are spatialflow.plot's (legend, scale bar and north arrow placed
    # off the land, lightness-ordered warning colours); the report adds the groups' outlines
    # and names on top.
    def base(self, ax, *, labels: bool = True) -> None:
        self.outlines.boundary.plot(ax=ax, color="#222222", linewidth=1.1)
        if labels:
            # with many groups (21 prefectures) names would collide: the larger group's
            # name wins, the other is left to the tables (spatialflow.plot.labels)
            points = [(p.x, p.y) for p in self.outlines.geometry.representative_point()]
            label_places(ax, points, [self.gname(g) for g in self.outlines.index],
                         priority=self.outlines.geometry.area.to_numpy())

    def choropleth(self, ax, values: pd.Series, *, title: str, unit: str, diverging: bool,
                   reverse: bool = False) -> None:
        """Levels: quantile classes on a sequential scale; changes (``diverging=True``):
        a continuous scale, diverging around zero only when changes have both signs."""
        if diverging:
            plot.choropleth(self.layer, values, scheme=None, diverging="auto",
                            reverse=reverse, unit=unit, lang=self.lang, ax=ax, scale_bar=self.metric)
        else:
            plot.choropleth(self.layer, values, scheme="quantiles", k=5, diverging=False,
                            reverse=reverse, unit=unit, lang=self.lang, ax=ax,
                            scale_bar=self.metric)
        self.base(ax)
        ax.set_title(title)

    def categorical(self, ax, labels: pd.Series, colours: dict, names: dict, *,
                    title: str, legend_title: str | None = None) -> None:
        plot.categorical_map(self.layer, labels, colours, names, lang=self.lang, ax=ax,
                             keep=tuple(k for k in ("green", "yellow", "red") if k in colours),
                             legend_title=legend_title, scale_bar=self.metric)
        self.base(ax)
        ax.set_title(title)


def _grid(n: int, ncols: int):
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    return nrows, ncols


# ---------------------------------------------------------------------- map figures
def indicator_map(ctx: FigureContext, ind, last: pd.Series, change: pd.Series | None,
                  first, last_period) -> Figure:
    ncols = 2 if change is not None else 1
    fig = Figure(figsize=(6.4 * ncols, 5.4), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    unit = ind.unit_text(ctx.lang)
    ctx.choropleth(axes[0], last, title=ctx.tx("level", period=last_period), unit=unit,
                   diverging=False, reverse=not ind.higher_is_better)
    if change is not None:
        ctx.choropleth(axes[1], change, title=ctx.tx("change", first=first, last=last_period),
                       unit=unit, diverging=True, reverse=not ind.higher_is_better)
    fig.get_layout_engine().set(h_pad=0.3)
    return ctx.finish(fig, ctx.tx("map_title" if change is not None else "map_title_cs",
                                  label=ind.text(ctx.lang)) +
                      (f" ({unit})" if unit else ""))


def colour_maps(ctx: FigureContext, colours: pd.DataFrame, rule_text: str, first, last,
                has_change: bool) -> Figure:
    ncols = 2 if has_change else 1
    fig = Figure(figsize=(6.4 * ncols, 5.6), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    names = {k: ctx.tx(k) for k in COLOUR_HEX}
    ctx.categorical(axes[0], colours["overall"], COLOUR_HEX, names,
                    title=ctx.tx("colours_overall", period=last))
    if has_change:
        change_names = {k: ctx.tx(f"change_{k}") for k in COLOUR_HEX}
        ctx.categorical(axes[1], colours["overall_change"], COLOUR_HEX, change_names,
                        title=ctx.tx("colours_change", first=first, last=last))
    return ctx.finish(fig, ctx.tx("colours_title", period=last))


def colour_maps_by_indicator(ctx: FigureContext, colours: pd.DataFrame, indicators,
                             last) -> Figure:
    nrows, ncols = _grid(len(indicators), 3)
    fig = Figure(figsize=(4.6 * ncols, 3.9 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    names = {k: ctx.tx(k) for k in COLOUR_HEX}
    for ax, ind in zip(axes, indicators):
        ctx.categorical(ax, colours[ind.column], COLOUR_HEX, names, title=ind.text(ctx.lang))
    for ax in axes[len(indicators):]:
        ax.set_visible(False)
    return ctx.finish(fig, ctx.tx("colours_ind_title", period=last))


def lisa_maps(ctx: FigureContext, lisa: pd.DataFrame, indicators, last,
              fdr: float | None = None) -> Figure:
    nrows, ncols = _grid(len(indicators), 3)
    fig = Figure(figsize=(4.6 * ncols, 3.9 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    names = {k: (ctx.tx("ns") if k == "ns" else k) for k in LISA_HEX}
    for ax, ind in zip(axes, indicators):
        part = lisa[lisa["indicator"] == ind.column].set_index("id")["cluster"]
        ctx.categorical(ax, part, LISA_HEX, names, title=ind.text(ctx.lang))
    for ax in axes[len(indicators):]:
        ax.set_visible(False)
    if fdr is not None:
        return ctx.finish(fig, ctx.tx("lisa_title_fdr", period=last, q=fdr))
    return ctx.finish(fig, ctx.tx("lisa_title", period=last))


def unit_effect_maps(ctx: FigureContext, units: pd.DataFrame, model: str, unit: str,
                     column: str = "total", title: str = "units_title") -> Figure:
    """One map per regressor of ``units[column]`` (a long frame ``id, variable, ...``)."""
    variables = list(pd.unique(units["variable"]))
    nrows, ncols = _grid(len(variables), 2)
    fig = Figure(figsize=(6.2 * ncols, 4.9 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, v in zip(axes, variables):
        values = units[units["variable"] == v].set_index("id")[column]
        plot.choropleth(ctx.layer, values, scheme="quantiles", k=5, unit=unit or None,
                        lang=ctx.lang, ax=ax, scale_bar=ctx.metric)
        ctx.base(ax)
        ax.set_title(ctx.var(v))
    for ax in axes[len(variables):]:
        ax.set_visible(False)
    return ctx.finish(fig, ctx.tx(title, model=model))


# ---------------------------------------------------------------------- charts
def block_heatmaps(ctx: FigureContext, blocks: pd.DataFrame, model: str,
                   groups: list | None = None) -> Figure:
    variables = list(pd.unique(blocks["variable"]))
    groups = groups if groups is not None else ctx.groups
    groups = [g for g in groups if g in set(blocks["from"]) | set(blocks["to"])]
    nrows, ncols = _grid(len(variables), 2)
    side = 1.2 + 1.1 * len(groups)
    fig = Figure(figsize=((side + 1.4) * ncols, (side + 0.6) * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, v in zip(axes, variables):
        part = blocks[blocks["variable"] == v]
        mat = part.pivot(index="to", columns="from", values="estimate").reindex(
            index=groups, columns=groups)
        pv = part.pivot(index="to", columns="from", values="p_value").reindex(index=groups,
                                                                           columns=groups)
        finite = mat.to_numpy()[np.isfinite(mat.to_numpy())]
        cmap, norm, _ = value_scale(finite)  # diverging only when blocks have both signs
        im = ax.imshow(mat.to_numpy(), cmap=cmap, norm=norm)
        for i in range(len(groups)):
            for j in range(len(groups)):
                val, p = mat.iat[i, j], pv.iat[i, j]
                stars = significance_stars(p)
                # text in white on dark cells (CIE L* of the cell's colour below 50)
                dark = np.isfinite(val) and lightness(cmap(norm(val))) < 50
                ax.text(j, i, f"{val:.3f}{stars}", ha="center", va="center", fontsize=8.5,
                        color="white" if dark else "black")
        names = [ctx.gname(g) for g in groups]
        ax.set_xticks(range(len(groups)), names)
        ax.set_yticks(range(len(groups)), names)
        ax.set_xlabel(ctx.tx("from"))
        ax.set_ylabel(ctx.tx("to"))
        ax.set_title(ctx.var(v))
        fig.colorbar(im, ax=ax, shrink=0.8)
    for ax in axes[len(variables):]:
        ax.set_visible(False)
    return ctx.finish(fig, ctx.tx("blocks_title", model=model)
                      + "\n*** p<0.01, ** p<0.05, * p<0.1")


def forest_plot(ctx: FigureContext, effects: pd.DataFrame) -> Figure:
    models = list(pd.unique(effects["model"]))
    variables = list(pd.unique(effects["variable"]))
    fig = Figure(figsize=(13, 1.1 + 0.42 * len(variables) * len(models)), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    offsets = np.linspace(-0.3, 0.3, len(models)) if len(models) > 1 else np.zeros(1)
    palette = ["#1f5f99", "#c2410c", "#15803d", "#7e22ce", "#a16207", "#0e7490", "#be123c"]
    for ax, kind in zip(axes, ("direct", "indirect", "total")):
        for m_pos, m in enumerate(models):
            part = effects[effects["model"] == m].set_index("variable").reindex(variables)
            y = np.arange(len(variables)) + offsets[m_pos]
            est = part[kind].to_numpy(dtype=float)
            lo = part[f"{kind}_lower"].to_numpy(dtype=float)
            hi = part[f"{kind}_upper"].to_numpy(dtype=float)
            ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", ms=4, capsize=2,
                        color=palette[m_pos % len(palette)], label=m)
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.set_title(ctx.tx(kind))
        ax.grid(axis="x", color="#e5e5e5")
    axes[0].set_yticks(range(len(variables)), [ctx.var(v) for v in variables])
    axes[0].invert_yaxis()
    axes[-1].legend(loc="best", fontsize=8)
    return ctx.finish(fig, ctx.tx("forest_title"))


def deficit_lines(ctx: FigureContext, deficits: pd.DataFrame, indicators) -> Figure:
    """Deficit of each group over time, one panel per indicator. Beyond ``LINE_GROUPS``
    groups each panel colours the ``LINE_HIGHLIGHT`` largest last-period deficits (and the
    whole periphery) and draws the other groups thin and grey, with its own legend."""
    nrows, ncols = _grid(len(indicators), 3)
    groups = list(pd.unique(deficits["group"]))
    n_groups = len([g for g in groups if g != PERIPHERY])
    many = n_groups > LINE_GROUPS
    fig = Figure(figsize=(4.4 * ncols, (4.2 if many else 3.3) * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, ind in zip(axes, indicators):
        part = deficits[deficits["indicator"] == ind.column]
        # a log indicator's deficit is read in levels: the percent shortfall, whose trend
        # the trends table tests
        column = "deficit_pct" if ind.scale == "log" else "deficit"
        if many:
            last = part[part["period"] == part["period"].max()]
            shown, _ = rank_groups(zip(last["group"], last[column]), limit=LINE_HIGHLIGHT,
                                   keep={PERIPHERY})
        else:
            shown = groups
        colour = iter(QUALITATIVE)
        for grp, rows in part.groupby("group", sort=False):
            if grp not in shown:
                ax.plot(rows["period"], rows[column], color=MUTED, linewidth=0.8, zorder=1)
                continue
            ax.plot(rows["period"], rows[column], marker="o", ms=3,
                    linestyle="--" if grp == PERIPHERY else "-",
                    color="#333333" if grp == PERIPHERY else next(colour, None),
                    linewidth=2.2 if grp == PERIPHERY else 1.4, label=ctx.gname(grp), zorder=2)
        ax.axhline(0, color="#555555", linewidth=0.8)
        unit = ctx.tx("pct_levels") if ind.scale == "log" else ind.unit_text(ctx.lang)
        ax.set_title(ind.text(ctx.lang))
        ax.set_ylabel(unit)
        ax.grid(color="#eeeeee")
        if pd.api.types.is_integer_dtype(part["period"]):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, never "2018.5"
        if many:
            # each panel names its own largest deficits, below the plot
            ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2,
                      title=ctx.tx("largest", k=LINE_HIGHLIGHT, n=n_groups),
                      title_fontsize=7, frameon=False)
    if not many:
        axes[0].legend(fontsize=8)
    for ax in axes[len(indicators):]:
        ax.set_visible(False)
    return ctx.finish(fig, ctx.tx("deficit_title"))


def dagum_bars(ctx: FigureContext, dagum: pd.DataFrame, indicators) -> Figure:
    inds = [i for i in indicators if i.column in set(dagum.get("indicator", []))]
    nrows, ncols = _grid(max(len(inds), 1), 3)
    fig = Figure(figsize=(4.4 * ncols, 3.3 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    colours = {"within": "#4c78a8", "net_between": "#f58518", "transvariation": "#9ecae9"}
    for ax, ind in zip(axes, inds):
        part = dagum[dagum["indicator"] == ind.column]
        x = np.arange(len(part))
        bottom = np.zeros(len(part))
        for comp, col in colours.items():
            vals = part[comp].to_numpy(dtype=float)
            ax.bar(x, vals, bottom=bottom, color=col, label=ctx.tx(comp))
            bottom += vals
        ax.set_xticks(x, [str(p) for p in part["period"]], rotation=45, fontsize=8)
        ax.set_title(ind.text(ctx.lang))
        ax.set_ylabel(ctx.tx("gini"))
    if inds:
        axes[0].legend(fontsize=8)
    for ax in axes[len(inds):]:
        ax.set_visible(False)
    return ctx.finish(fig, ctx.tx("dagum_title"))


def counterfactual_bars(ctx: FigureContext, cf: pd.DataFrame, model: str, unit: str) -> Figure:
    # many groups: wider, and the names slanted so that they do not run into each other
    fig = Figure(figsize=(max(8.5, 2.0 + 0.55 * len(cf)), 4.6), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(cf))
    ax.bar(x - 0.2, cf["deficit"], width=0.36, color="#9e9e9e", label=ctx.tx("observed"))
    bottom_pos = np.zeros(len(cf))
    bottom_neg = np.zeros(len(cf))
    split = "own_direct" in cf.columns and cf["own_direct"].notna().all()
    parts = ((("own_direct", "#1f5f99"), ("within_group", "#4f8fc9")) if split
             else (("own", "#1f5f99"),))
    for comp, col in (*parts, ("spillover", "#9ecae1"), ("core_response", "#e6550d")):
        vals = cf[comp].to_numpy(dtype=float)
        base = np.where(vals >= 0, bottom_pos, bottom_neg)
        ax.bar(x + 0.2, vals, width=0.36, bottom=base, color=col, label=ctx.tx(comp))
        bottom_pos += np.where(vals >= 0, vals, 0)
        bottom_neg += np.where(vals < 0, vals, 0)
    closed = cf["closed"].to_numpy(dtype=float)
    ax.errorbar(x + 0.2, closed, yerr=[closed - cf["closed_lower"], cf["closed_upper"] - closed],
                fmt="D", color="black", ms=5, capsize=3, label=ctx.tx("closed"))
    ax.axhline(0, color="#555555", linewidth=0.8)
    slant = len(cf) > LINE_GROUPS
    ax.set_xticks(x, [ctx.gname(g) for g in cf["group"]], rotation=40 if slant else 0,
                  ha="right" if slant else "center", rotation_mode="anchor")
    ax.set_ylabel(unit)
    top = float(np.nanmax(np.r_[cf["deficit"].to_numpy(dtype=float), cf["closed_upper"].to_numpy(dtype=float), bottom_pos]))
    ax.set_ylim(top=top * 1.45 if top > 0 else None)  # room for the legend above the bars
    ax.legend(fontsize=8, loc="upper center", ncol=3)
    ax.grid(axis="y", color="#eeeeee")
    return ctx.finish(fig, ctx.tx("cf_title", model=model))


# ------------------------------------------------------- convergence and dynamics
def convergence_scatters(ctx: FigureContext, fits: dict, unit_group: pd.Series,
                         indicators) -> Figure:
    """One scatter per indicator: growth against the initial log level by group, with the
    all-units OLS line (:func:`spatialflow.plot.convergence_scatter`)."""
    inds = [i for i in indicators if i.column in fits]
    nrows, ncols = _grid(max(len(inds), 1), 3)
    fig = Figure(figsize=(4.6 * ncols, 3.8 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    names = {g: ctx.gname(g) for g in ctx.groups}
    for ax, ind in zip(axes, inds):
        plot.convergence_scatter(fits[ind.column], groups=unit_group, names=names,
                                 lang=ctx.lang, ax=ax)
        ax.set_title(ind.text(ctx.lang), fontsize=10)
    for ax in axes[len(inds):]:
        ax.set_visible(False)
    return ctx.finish(fig, ctx.tx("conv_title"))


def density_panels(ctx: FigureContext, objects: dict, indicators) -> Figure:
    """Per indicator: the densities of the level relative to the mean and to the
    neighbours' mean, one line per period (:func:`spatialflow.plot.density_plot`)."""
    inds = [i for i in indicators if i.column in objects]
    fig = Figure(figsize=(10.0, 3.3 * max(len(inds), 1)), layout="constrained")
    axes = np.atleast_2d(fig.subplots(max(len(inds), 1), 2, squeeze=False))
    for row, ind in zip(axes, inds):
        for ax, rel, key in ((row[0], "mean", "dens_mean"), (row[1], "neighbours", "dens_nb")):
            kd = objects[ind.column].get(rel)
            if kd is None:
                ax.set_visible(False)
                continue
            plot.density_plot(kd, lang=ctx.lang, ax=ax)
            ax.set_title(ctx.tx(key, label=ind.text(ctx.lang)), fontsize=10)
    return ctx.finish(fig, ctx.tx("dens_title"))


def kernel_contours(ctx: FigureContext, objects: dict, indicators) -> Figure:
    """Per indicator: the stochastic kernel's conditional density as contours
    (:func:`spatialflow.plot.stochastic_kernel_plot`)."""
    inds = [i for i in indicators if "kernel" in objects.get(i.column, {})]
    nrows, ncols = _grid(max(len(inds), 1), 3)
    fig = Figure(figsize=(4.6 * ncols, 4.2 * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    step = 1
    for ax, ind in zip(axes, inds):
        sk = objects[ind.column]["kernel"]
        step = sk.step
        plot.stochastic_kernel_plot(sk, lang=ctx.lang, ax=ax)
        ax.set_title(ind.text(ctx.lang), fontsize=10)
    for ax in axes[len(inds):]:
        ax.set_visible(False)
    return ctx.finish(fig, ctx.tx("kernel_title", step=step))
