"""``build``: the whole core-periphery deficit report from a panel, a layer and fitted models."""
from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..exceptions import InputError, ReportWarning
from . import counterfactual as _cf
from . import decompositions as _dec
from . import deficits as _def
from . import modeltables as _mt
from . import monitoring as _mon
from ._data import PERIPHERY, REGION_ZH, ReportData, check_run_options, prepare
from ._text import t
from .document import Report, Section
from .fonts import figure_fonts, resolve_lang

__all__ = ["build"]

_LANGS = ("en", "zh")

# Table captions (English, Chinese).
_TITLES = {
    "deficits": ("Deficits against the core by group and period (deficit > 0: behind the core; "
                 "percent of the core mean). 'Periphery' = all non-core units together.",
                 "各组与核心区的差距（差距 > 0 表示落后于核心区；占核心区均值的百分比）。“外围区”为全部非核心单元。"),
    "trends": ("Trend of each deficit: OLS slope per period with standard error and 95% interval "
               "(negative slope = closing)",
               "差距的趋势：差距对时间的OLS斜率、标准误与95%区间（斜率为负 = 缩小）"),
    "levels": ("Indicator levels by group and period (mean, median, SD over units)",
               "各组各期指标水平（单元均值、中位数、标准差）"),
    "colours": ("Three-colour classification of every unit: last period and change over the period",
                "各单元三色分类：最后一期及期间变化"),
    "colour_counts": ("Number of units by group and overall colour (last period)",
                      "各组综合颜色的单元数（最后一期）"),
    "group_colours": ("Colour of each group per indicator (median shortfall of its units)",
                      "各组分指标颜色（组内单元短缺的中位数）"),
    "markov": ("Markov transition probabilities of the overall colour (giddy.Markov)",
               "综合颜色的马尔可夫转移概率（giddy.Markov）"),
    "spatial_markov": ("Spatial Markov: transitions conditioned on the neighbours' modal colour "
                       "(giddy.Spatial_Markov)",
                       "空间马尔可夫：以邻居众数颜色为条件的转移概率（giddy.Spatial_Markov）"),
    "dagum": ("Dagum Gini decomposition by period: G = within + net between + transvariation",
              "Dagum基尼系数分解：G = 组内 + 净组间 + 超变密度"),
    "dagum_pairs": ("Between-group Gini G_jh and relative affluence D_jh of each pair of groups",
                    "各组对之间的组间基尼系数 G_jh 与相对经济富裕程度 D_jh"),
    "dagum_groups": ("Within-group Gini, mean and size of each group",
                     "各组组内基尼系数、均值与单元数"),
    "theil": ("Theil T decomposition by period: T = between + within",
              "泰尔指数分解：T = 组间 + 组内"),
    "sigma": ("Sigma-convergence: cross-unit SD and coefficient of variation by group and period",
              "σ收敛：各组各期单元间标准差与变异系数"),
    "sigma_trend": ("Trend of the cross-unit SD (negative slope = converging)",
                    "标准差的趋势（斜率为负 = 收敛）"),
    "counterfactual": ("Counterfactual decomposition through the model's reduced form: deficit "
                       "closed if every peripheral group's flows were at the core's mean (SE from "
                       "simulated parameter draws)",
                       "基于模型简化式的反事实分解：若各外围组要素流动达到核心区均值可缩小的差距"
                       "（标准误来自参数模拟抽样）"),
    "models_fit": ("Fitted models: fit statistics and convergence", "模型拟合统计与收敛情况"),
    "models_compare": ("Model comparison (estimates, SE in parentheses)",
                       "模型比较（估计值，括号内为标准误）"),
    "effects": ("LeSage-Pace direct, indirect and total effects with simulated inference",
                "LeSage-Pace直接、间接和总效应（模拟推断）"),
    "robustness": ("Robustness across models and weights: total effect (SE)",
                   "不同模型与权重矩阵下的稳健性：总效应（标准误）"),
    "blocks_cp": ("Spillover blocks, core / periphery: effect of a change in the source group's "
                  "regressor on the receiving group (blocks sum to the total effect)",
                  "核心/外围溢出分块：来源组解释变量变化对接收组的效应（各块之和为总效应）"),
    "blocks_groups": ("Spillover blocks, group x group (blocks sum to the total effect)",
                      "组×组溢出分块（各块之和为总效应）"),
    "lisa": ("Local Moran (LISA) cluster of every unit and indicator, last period",
             "各单元各指标的局部莫兰（LISA）集聚类型，最后一期"),
}


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in str(text)).strip("_").lower()
    return out or "table"


def build(panel, layer, w=None, *, indicators, models=None, id="code", time="year",
          group="region", core="PRD", lang="en", synthetic=False, source=None, title=None,
          n_draws=1000, seed=0, tests=None, rule=None, font=None, permutations=999,
          figures=True) -> Report:
    """Build the core-periphery deficit report.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long data, one row per (``id``, ``time``); with ``time=None`` one cross-section
        (one row per ``id``). Not modified.
    layer : geopandas.GeoDataFrame
        The units' polygons indexed by id (the same ids and dtype as ``panel[id]``), with the
        grouping column (or the panel has it) and, for the unit list, ``name_en`` /
        ``name_zh`` and ``city_en`` / ``city_zh``. Not modified. Units of the layer without
        data are drawn blank and listed in the notes; units of the panel missing from the
        layer raise :class:`~spatialflow.exceptions.IdMismatchError` (code and name).
    w : libpysal W or Graph, optional
        Weights over the layer's ids for the LISA map and the spatial Markov chain (default:
        row-standardised queen contiguity, islands attached to their nearest neighbours).
    indicators : list of Indicator or dict name -> Indicator
        What to report; each declares ``higher_is_better`` (see
        :data:`spatialflow.report.DEFAULT_INDICATORS` for the synthetic example).
    models : dict label -> SpatialResults, optional
        Fitted models (cross-section or panel); effects, spillover blocks, the comparison
        and robustness tables and the counterfactual decomposition come from them. The
        first converged model with spillovers (SDM, SAR, SDEM, SLX) leads the figures and
        the summary. A model that did not converge is shown as such (a note and
        ``converged = no``), never dropped.
    id, time : str
        Key columns of ``panel``.
    group : str
        Grouping column (in ``layer`` or ``panel``), e.g. ``"region"``. One group per unit:
        where both frames have the column they must agree, and the panel's must not change
        over time (else :class:`~spatialflow.exceptions.GroupConflictError` naming the
        units). The core group needs rows in every period.
    core : object
        The core group's label in ``group``; every other group is peripheral.
    lang : {"en", "zh"}
        Language of headings, captions, figure labels, unit / group names and the notes
        (``Report.notes``; warnings and errors stay in English, and a note that embeds an
        error's message keeps the message as it is). Chinese
        figures need a font with Chinese glyphs (see ``font``); without one they fall back
        to English labels with a :class:`~spatialflow.exceptions.CJKFontWarning`.
    synthetic : bool
        Say on every page, table and figure that the data are synthetic. Also switched on
        by ``panel.attrs["synthetic"]`` (as set by :func:`spatialflow.datasets.synthetic_panel`).
    source : str, optional
        Source note printed under every figure and table.
    title : str, optional
        Title of the report.
    n_draws, seed : int
        Simulation draws (effects, blocks, counterfactual standard errors, LISA
        permutations' seed) and their seed: an integer >= 2 and a non-negative integer.
    tests : dict label -> DataFrame, optional
        Specification-test tables to include as they are.
    rule : ColourRule, optional
        Three-colour thresholds (default ``ColourRule()``: shortfall against the core median
        in cross-unit SDs, yellow beyond 0.5, red beyond 1; see
        :mod:`spatialflow.report.monitoring`).
    font : str or path, optional
        Family name or font file for Chinese labels (default: the first installed of Noto
        Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang, ...).
    permutations : int
        Permutations of the LISA pseudo p-values (an integer >= 0; 0: no p-values).
    figures : bool
        ``False`` skips the figures (tables only; faster).

    Returns
    -------
    Report

    Raises
    ------
    InputError
        A missing or non-numeric indicator or key column, a grouping column missing or
        without the core label, duplicated (id, time) rows; subclasses name the ids.
    """
    from .monitoring import ColourRule

    if lang not in _LANGS:
        raise InputError(f"lang must be one of {list(_LANGS)}; {lang!r} was given.")
    models = {} if models is None else models
    if not isinstance(models, Mapping):
        raise InputError("models must be a dict label -> fitted SpatialResults; a "
                         f"{type(models).__name__} was given.")
    bad = [k for k, v in models.items() if not (hasattr(v, "params") and hasattr(v, "kind"))]
    if bad:
        raise InputError(f"models {bad} are not fitted spatialflow results (SpatialResults).")
    if tests is not None and not isinstance(tests, Mapping):
        raise InputError("tests must be a dict label -> DataFrame; a "
                         f"{type(tests).__name__} was given.")
    if tests and any(not isinstance(v, pd.DataFrame) for v in tests.values()):
        raise InputError("every value of tests must be a pandas DataFrame.")
    rule = ColourRule() if rule is None else rule
    if not isinstance(rule, ColourRule):
        raise InputError(f"rule must be a ColourRule; a {type(rule).__name__} was given.")
    check_run_options(n_draws=n_draws, seed=seed, permutations=permutations)
    synthetic = bool(synthetic or getattr(panel, "attrs", {}).get("synthetic", False))
    data = prepare(panel, layer, indicators=indicators, id=id, time=time, group=group,
                   core=core, lang=lang)
    builder = _Builder(data, lang=lang, synthetic=synthetic, source=source, rule=rule,
                       n_draws=n_draws, seed=seed, permutations=permutations)
    return builder.run(w=w, models=dict(models), tests=tests or {}, font=font,
                       figures=figures, title=title)


class _Builder:
    def __init__(self, data: ReportData, *, lang, synthetic, source, rule, n_draws, seed,
                 permutations):
        self.d = data
        self.lang = lang
        self.synthetic = synthetic
        self.source = source
        self.rule = rule
        self.n_draws = n_draws
        self.seed = seed
        self.permutations = permutations
        self.notes = list(data.notes)
        self.tables: dict[str, pd.DataFrame] = {}
        self.titles: dict[str, str] = {}
        self.figures: dict = {}
        self.summary: list[tuple[str, list[str]]] = []
        self.sections: list[Section] = []

    # ------------------------------------------------------------- helpers
    def zh(self) -> bool:
        return self.lang == "zh"

    def gname(self, label) -> str:
        if label == PERIPHERY:
            return t("periphery", self.lang)
        return REGION_ZH.get(label, str(label)) if self.zh() else str(label)

    def add(self, key: str, frame: pd.DataFrame, title: str | None = None) -> str:
        self.tables[key] = frame
        en, zh = _TITLES.get(key, (title or key, title or key))
        self.titles[key] = (title if title is not None else (zh if self.zh() else en))
        return key

    def unit_names(self) -> pd.DataFrame:
        layer = self.d.layer
        out = pd.DataFrame(index=layer.index)
        for col in (("name_zh", "city_zh") if self.zh() else ("name_en", "city_en")):
            if col in layer.columns:
                out[col] = layer[col]
        if out.shape[1] == 0:
            for col in ("name", "name_en", "name_zh"):
                if col in layer.columns:
                    out[col] = layer[col]
                    break
        return out

    # ----------------------------------------------------------------- run
    def run(self, *, w, models, tests, font, figures, title) -> Report:
        d = self.d
        w = self._weights(w)
        fig_lang, family, font_note = resolve_lang(self.lang, font) if figures else (self.lang, None, None)
        if font_note:
            self.notes.append(font_note)
        self._deficits()
        self._monitoring(w)
        self._decompositions()
        self._models(models)
        for label, frame in tests.items():
            key = f"test_{_slug(label)}"
            self.add(key, frame.reset_index() if frame.index.name or isinstance(
                frame.index, pd.MultiIndex) else frame, title=str(label))
            self._section_items("models").append(("table", key))
        if figures:
            with figure_fonts(family):
                self._figures(fig_lang, models)
        self._order_sections()
        if not models:
            self.notes.append(t("no_models", self.lang))
        display = {}
        if self.zh():
            from ._localise import localise
            labels = {i.column: i.text("zh") for i in d.indicators}
            display = {k: localise(v, labels) for k, v in self.tables.items()
                       if not k.startswith("test_")}
        return Report(tables=self.tables, figures=self.figures, notes=self.notes,
                      display=display,
                      summary=self.summary, sections=self.sections, titles=self.titles,
                      title=title or t("title", self.lang), lang=self.lang,
                      synthetic=self.synthetic, source=self.source)

    def _weights(self, w):
        if w is not None:
            return w
        from ..weights import build as build_w
        layer = self.d.layer.loc[self.d.unit_group.index]
        with warnings.catch_warnings():
            # The island policy is stated here, in the report's notes, instead.
            from ..exceptions import IslandWarning
            warnings.simplefilter("ignore", IslandWarning)
            w = build_w(layer, kind="queen", islands="knn")
        self.notes.append(t("note_default_weights", self.lang))
        return w

    def fail(self, key: str, **values) -> None:
        """A part of the report could not be computed: a note in the report's language and
        a warning (in English, like every warning and error of the package)."""
        self.notes.append(t(key, self.lang, **values))
        warnings.warn(t(key, "en", **values), ReportWarning, stacklevel=4)

    def _section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        s = Section(key, t(key, self.lang))
        self.sections.append(s)
        return s

    def _section_items(self, key: str) -> list:
        return self._section(key).items

    def _order_sections(self):
        order = ["deficits", "monitoring", "decomposition", "counterfactual", "spillovers",
                 "models", "maps"]
        self.sections.sort(key=lambda s: order.index(s.key) if s.key in order else 99)
        self.sections = [s for s in self.sections if s.items]

    # ------------------------------------------------------------ deficits
    def _deficits(self):
        d = self.d
        levels = _def.group_levels(d)
        table = _def.deficits(d, levels)
        self.add("deficits", table)
        items = self._section_items("deficits")
        items.append(("table", "deficits"))
        trends = None
        if d.is_panel:
            trends = _def.deficit_trends(d, table)
            if trends["slope"].isna().all() and len(d.periods) >= 3:
                self.notes.append(t("note_periods_not_numeric", self.lang, time=d.time))
            self.add("trends", trends)
            items.append(("table", "trends"))
        self.add("levels", levels)
        items.append(("table", "levels"))
        # The compact view the summary cites: last period's deficits beside their trends.
        compact = table[table["period"] == d.last][["indicator", "group", "core_mean",
                                                   "group_mean", "deficit", "deficit_pct"]]
        if trends is not None:
            compact = compact.merge(trends[["indicator", "group", "slope", "se", "p", "verdict"]],
                                    on=["indicator", "group"], how="left")
        self.add("deficit_summary", compact.reset_index(drop=True),
                 title=(f"{d.last}年与核心区的差距及其趋势（斜率为每期变化，负值 = 缩小）" if self.zh()
                        else f"Deficits against the core in {d.last} and their trends (slope "
                             "per period; negative = closing)"))
        items.insert(0, ("table", "deficit_summary"))
        self._section("deficits").lead = (
            "各指标按组的水平与差距；差距方向已按指标“越高越好/越低越好”调整。" if self.zh() else
            "Levels and deficits of each indicator by group; the sign follows each "
            "indicator's declared direction (higher or lower is better).")
        last = table[table["period"] == d.last]
        for ind in d.indicators:
            rows = last[(last["indicator"] == ind.column) & last["deficit"].notna()]
            if rows.empty:
                continue
            parts = []
            for _, r in rows.iterrows():
                verdict = ""
                if trends is not None:
                    hit = trends[(trends["indicator"] == ind.column) & (trends["group"] == r["group"])]
                    if len(hit):
                        verdict = self._verdict(hit.iloc[0])
                sep, lp, rp = ("，", "（", "）") if self.zh() else (", ", " (", ")")
                pct = "" if np.isnan(r["deficit_pct"]) else f"{sep}{r['deficit_pct']:.1f}%"
                parts.append(f"{self.gname(r['group'])} {r['deficit']:.3g}{pct}"
                             + (f"{lp}{verdict}{rp}" if verdict else ""))
            unit = ind.unit_text(self.lang)
            if self.zh():
                text = (f"{ind.text('zh')}（{unit}），{d.last}年各组与核心区"
                        f"（{self.gname(d.core)}）的差距：" + "；".join(parts) + "。")
            else:
                text = (f"{ind.text('en')} ({unit}), deficit against the core "
                        f"({self.gname(d.core)}) in {d.last}: " + "; ".join(parts) + ".")
            self.summary.append((text, ["deficit_summary", "deficits"]
                                 + (["trends"] if trends is not None else [])))

    def _verdict(self, row) -> str:
        v = str(row["verdict"])
        if self.zh():
            word = ("缩小" if v.startswith("closing") else "扩大" if v.startswith("widening")
                    else "无趋势")
            sig = "，显著" if "(significant" in v else "，不显著" if "not significant" in v else ""
            return f"{word}{sig}"
        return v

    # ----------------------------------------------------------- monitoring
    def _monitoring(self, w):
        d = self.d
        z = _mon.shortfalls(d, self.rule)
        colours = _mon.unit_colours(d, self.rule, z).rename(columns={"id": d.id})
        names = self.unit_names()
        colours = pd.concat([colours[[d.id]], names.reindex(colours[d.id]).reset_index(drop=True),
                             colours.drop(columns=[d.id])], axis=1)
        self.colours = colours
        self.add("colours", colours)
        counts = (colours.groupby(["group", "overall"]).size().unstack(fill_value=0)
                  .reindex(index=d.groups, columns=list(_mon.COLOURS), fill_value=0))
        counts.loc["All"] = counts.sum()
        counts.index.name = "group"
        counts = counts.reset_index()
        self.add("colour_counts", counts)
        gcol = _mon.group_colours(d, self.rule, z)
        self.add("group_colours", gcol)
        items = self._section_items("monitoring")
        items += [("table", "colour_counts"), ("table", "group_colours")]
        self._section("monitoring").lead = self.rule.describe(self.lang)
        if d.is_panel:
            try:
                markov, spatial = _mon.colour_transitions(d, self.rule, z, w, seed=self.seed)
            except Exception as err:  # noqa: BLE001 - giddy/libpysal raise many kinds
                # A report must not fail on an optional chain; say what happened.
                self.fail("note_markov_failed", error=f"{type(err).__name__}: {err}")
            else:
                self.add("markov", markov)
                self.add("spatial_markov", spatial)
                if markov.attrs["units"] < markov.attrs["weights_units"]:
                    self.notes.append(t("note_markov_subset", self.lang,
                                        k=markov.attrs["units"],
                                        n=markov.attrs["weights_units"]))
                items += [("table", "markov"), ("table", "spatial_markov")]
                red = markov[markov["from"] == "red"]
                if len(red) and int(red["transitions"].iloc[0]) > 0:
                    p_red = float(red["to red"].iloc[0])
                    text = (f"红色单元下一期仍为红色的概率为 {p_red:.2f}（马尔可夫链）。" if self.zh()
                            else f"A red unit stays red the next period with probability "
                                 f"{p_red:.2f} (Markov chain of the overall colour).")
                    self.summary.append((text, ["markov", "spatial_markov"]))
        items.append(("table", "colours"))
        last = counts[counts["group"] == "All"].iloc[0]
        total = int(last[list(_mon.COLOURS)].sum())
        per = {g: counts[counts["group"] == g].iloc[0] for g in d.groups}
        red_by = ("；" if self.zh() else "; ").join(f"{self.gname(g)} {int(per[g]['red'])}/{int(per[g][list(_mon.COLOURS)].sum())}"
                           for g in d.groups)
        if self.zh():
            text = (f"{d.last}年综合三色：{int(last['green'])} 个单元为绿、{int(last['yellow'])} 个为黄、"
                    f"{int(last['red'])} 个为红（共 {total} 个）；各组红色单元：{red_by}。")
        else:
            text = (f"Three-colour monitoring, {d.last}: {int(last['green'])} units green, "
                    f"{int(last['yellow'])} yellow, {int(last['red'])} red (of {total}); red "
                    f"units by group: {red_by}.")
        self.summary.append((text, ["colour_counts", "colours"]))
        self.w = w

    # ------------------------------------------------------- decompositions
    def _decompositions(self):
        d = self.d
        tabs = _dec.inequality_tables(d, self.notes, lang=self.lang)
        items = self._section_items("decomposition")
        for key in ("dagum", "dagum_pairs", "dagum_groups", "theil"):
            if len(tabs[key]):
                self.add(key, tabs[key])
                items.append(("table", key))
        sigma, trend = _dec.sigma_convergence(d, self.tables["levels"])
        self.add("sigma", sigma)
        if len(trend):
            self.add("sigma_trend", trend)
            items.append(("table", "sigma_trend"))
        items.append(("table", "sigma"))
        dag = tabs["dagum"]
        if len(dag):
            last = dag[dag["period"] == d.last]
            parts = []
            for ind in d.indicators:
                row = last[last["indicator"] == ind.column]
                if len(row):
                    r = row.iloc[0]
                    if not r["total"] > 0:
                        # G = 0 (all values equal): no share of a zero total to report
                        parts.append(f"{ind.text(self.lang)} G = {r['total']:.3f}")
                        continue
                    between = 100 * (r["net_between"] + r["transvariation"]) / r["total"]
                    parts.append(f"{ind.text(self.lang)} G = {r['total']:.3f}"
                                 + (f"，组间（净组间+超变密度）占 {between:.0f}%" if self.zh()
                                    else f", between groups (net between + transvariation) "
                                         f"{between:.0f}%"))
            if parts:
                text = ((f"{d.last}年Dagum基尼系数：" + "；".join(parts) + "。") if self.zh() else
                        f"Dagum Gini in {d.last}: " + "; ".join(parts) + ".")
                self.summary.append((text, ["dagum"]))

    # --------------------------------------------------------------- models
    def _models(self, models: dict):
        if not models:
            return
        d = self.d
        items = self._section_items("models")
        self.add("models_fit", _mt.fit_table(models, self.notes, lang=self.lang))
        items.append(("table", "models_fit"))
        comp = _mt.comparison_table(models, self.notes, lang=self.lang)
        if comp is not None:
            self.add("models_compare", comp)
            items.append(("table", "models_compare"))
        eff = _mt.effects_tables(models, d.unit_group, d.core, n_draws=self.n_draws,
                                 seed=self.seed, notes=self.notes, lang=self.lang)
        self.effects = eff
        sp_items = self._section_items("spillovers")
        if eff:
            self.add("effects", eff["effects"])
            self.add("robustness", _mt.robustness_table(eff["effects"]))
            self.add("blocks_cp", eff["blocks_cp"])
            self.add("blocks_groups", eff["blocks_groups"])
            items.insert(0, ("table", "robustness"))
            sp_items += [("table", "effects"), ("table", "blocks_cp"), ("table", "blocks_groups")]
        self.head = _mt.headline(models)
        self._counterfactuals(models)
        if eff and self.head in set(eff["blocks_cp"]["model"]):
            b = eff["blocks_cp"][eff["blocks_cp"]["model"] == self.head]
            e = eff["effects"][eff["effects"]["model"] == self.head].set_index("variable")
            parts = []
            for v, part in b.groupby("variable", sort=False):
                into_p = part[(part["from"] == d.core) & (part["to"] == PERIPHERY)]
                if len(into_p) and e.loc[v, "total"] != 0:
                    share = 100 * into_p["effect"].iloc[0] / e.loc[v, "total"]
                    parts.append(f"{v} {share:.0f}%")
            if parts:
                text = ((f"{self.head}：核心区要素变化溢出到外围区的部分占总效应的比例：" + "；".join(parts) + "。")
                        if self.zh() else
                        f"{self.head}: share of each regressor's total effect that is the core's "
                        "change spilling over to the periphery: " + "; ".join(parts) + ".")
                self.summary.append((text, ["blocks_cp", "effects"]))

    def _counterfactuals(self, models: dict):
        d = self.d
        directions = {i.column: i for i in d.indicators}
        rows = []
        for label, res in models.items():
            outcome = getattr(res, "endog_name", None)
            variables = [v for v in res.exog_names if v != "Intercept"]
            missing = [v for v in [outcome, *variables] if v not in d.panel.columns]
            if missing:
                self.notes.append(t("note_cf_columns", self.lang, label=label, missing=missing))
                continue
            ind = directions.get(outcome)
            higher = True if ind is None else ind.higher_is_better
            if ind is None:
                self.notes.append(t("note_cf_outcome", self.lang, label=label, outcome=outcome))
            X = pd.DataFrame({v: d.values(v) for v in variables})
            try:
                cf = _cf.counterfactual(res, X, d.values(outcome), d.unit_group, core=d.core,
                                        higher_is_better=higher, n_draws=self.n_draws,
                                        seed=self.seed)
            except InputError as err:
                self.fail("note_cf_failed", label=label, error=err)
                continue
            cf.insert(0, "outcome", outcome)
            cf.insert(0, "model", label)
            rows.append(cf)
        if not rows:
            return
        table = pd.concat(rows, ignore_index=True)
        self.add("counterfactual", table)
        sec = self._section("counterfactual")
        sec.items.append(("table", "counterfactual"))
        sec.lead = (
            f"情景：{d.last}年各外围组的解释变量取核心区均值，其余不变；通过模型简化式 "
            "Δy = (I − ρW)⁻¹(ΔXβ + WΔXθ) 计算（稀疏求解）。“本组”为本组要素流动的作用，"
            "“其他组”为其他外围组的溢出，“核心区响应”为核心区自身均值的变化。"
            if self.zh() else
            f"Scenario: in {d.last}, each peripheral group's regressors are set to the core's "
            "means, everything else unchanged; the outcome responds through the model's reduced "
            "form Δy = (I − ρW)⁻¹(ΔXβ + WΔXθ) (sparse solves). 'own' = through the group's own "
            "flows, 'spillover' = through the other peripheral groups' flows, 'core_response' "
            "= minus the change of the core's own mean. Fixed effects are held constant.")
        head = table[table["model"] == self.head] if self.head in set(table["model"]) else \
            table[table["model"] == table["model"].iloc[0]]
        parts = []
        for _, r in head.iterrows():
            parts.append(
                f"{self.gname(r['group'])} {r['closed']:.3g}（SE {r['closed_se']:.2g}，占差距 "
                f"{100 * r['share']:.0f}%；本组 {r['own']:.3g}，溢出 {r['spillover']:.3g}，"
                f"核心区响应 {r['core_response']:.3g}）" if self.zh() else
                f"{self.gname(r['group'])} {r['closed']:.3g} (SE {r['closed_se']:.2g}; "
                f"{100 * r['share']:.0f}% of its deficit; own flows {r['own']:.3g}, other "
                f"groups' flows {r['spillover']:.3g}, core response {r['core_response']:.3g})")
        model = head["model"].iloc[0]
        outcome = head["outcome"].iloc[0]
        text = ((f"反事实（{model}）：若外围区要素流动达到核心区水平，{outcome} 差距可缩小："
                 + "；".join(parts) + "。") if self.zh() else
                f"Counterfactual ({model}): with the periphery's flows at the core's level, "
                f"the {outcome} deficit would close by: " + "; ".join(parts) + ".")
        self.summary.append((text, ["counterfactual"]))

    # -------------------------------------------------------------- figures
    def _figures(self, fig_lang: str, models: dict):
        from . import figures as F

        d = self.d
        ctx = F.FigureContext(layer=d.layer, groups=d.groups, core=d.core, lang=fig_lang,
                              synthetic=self.synthetic, source=self.source)
        titles = {}

        def put(key, fig, en, zh):
            self.figures[key] = fig
            self.titles[key] = zh if self.lang == "zh" else en
            return key

        # deficits over time, decomposition bars
        if d.is_panel:
            put("deficit_trends", F.deficit_lines(ctx, self.tables["deficits"], d.indicators),
                "Deficits against the core over time, by group", "各组与核心区差距的变化")
            self._section_items("deficits").insert(0, ("figure", "deficit_trends"))
        if "dagum" in self.tables:
            put("dagum", F.dagum_bars(ctx, self.tables["dagum"], d.indicators),
                "Dagum Gini decomposition by period", "Dagum基尼系数分解")
            self._section_items("decomposition").insert(0, ("figure", "dagum"))
        # three-colour maps
        colours = self.colours.set_index(d.id)
        put("colours_map", F.colour_maps(ctx, colours, self.rule.describe(), d.first, d.last,
                                         d.is_panel),
            "Three-colour monitoring: overall colour and its change",
            "三色监测：综合颜色及其变化")
        put("colours_by_indicator", F.colour_maps_by_indicator(ctx, colours, d.indicators, d.last),
            "Three-colour monitoring by indicator", "分指标三色监测")
        mon = self._section_items("monitoring")
        mon[0:0] = [("figure", "colours_map"), ("figure", "colours_by_indicator")]
        # indicator maps; their numbers are the table "unit_values"
        maps = self._section_items("maps")
        values = self.unit_names().reindex(d.unit_group.index)
        values.insert(0, "group", d.unit_group)
        for ind in d.indicators:
            values[ind.column] = d.values(ind.column).reindex(values.index)
            if d.is_panel:
                values[f"{ind.column}_change"] = (d.values(ind.column)
                                                  - d.values(ind.column, d.first)
                                                  ).reindex(values.index)
        values.index.name = d.id
        self.add("unit_values", values.reset_index(),
                 title=(f"各单元{d.last}年指标值" + (f"及{d.first}年以来变化" if d.is_panel else "")
                        if self.zh() else f"Indicator values of every unit in {d.last}"
                        + (f" and change since {d.first}" if d.is_panel else "")))
        for ind in d.indicators:
            last = d.values(ind.column)
            change = (d.values(ind.column) - d.values(ind.column, d.first)) if d.is_panel else None
            key = f"map_{_slug(ind.column)}"
            put(key, F.indicator_map(ctx, ind, last, change, d.first, d.last),
                f"{ind.text('en')}: level in {d.last}" + (f" and change since {d.first}" if d.is_panel else ""),
                f"{ind.text('zh')}：{d.last}年水平" + (f"及{d.first}年以来变化" if d.is_panel else ""))
            maps.append(("figure", key))
        maps.append(("table", "unit_values"))
        # LISA (last period), each indicator on the units observed
        from ..weights.align import weights_ids, weights_on
        from .lisa import local_moran

        lisa = []
        n_units = len(weights_ids(self.w))
        for ind in d.indicators:
            y = d.values(ind.column).dropna()
            try:
                lm = local_moran(y, weights_on(self.w, y.index), permutations=self.permutations,
                                 seed=self.seed)
            except InputError as err:
                self.fail("note_lisa_failed", column=ind.column, error=err)
                continue
            if len(y) < n_units:
                self.notes.append(t("note_lisa_subset", self.lang, column=ind.column,
                                    k=len(y), n=n_units))
            cluster = np.where(lm["p_sim"] < 0.05, lm["quadrant"], "ns")
            lisa.append(pd.DataFrame({"id": lm.index, "indicator": ind.column,
                                      "Is": lm["Is"].to_numpy(), "quadrant": lm["quadrant"].to_numpy(),
                                      "p_sim": lm["p_sim"].to_numpy(), "cluster": cluster}))
        if lisa:
            lisa = pd.concat(lisa, ignore_index=True)
            self.add("lisa", lisa.rename(columns={"id": d.id}))
            put("lisa", F.lisa_maps(ctx, lisa, d.indicators, d.last),
                f"LISA cluster maps ({d.last})", f"LISA集聚图（{d.last}年）")
            maps.append(("figure", "lisa"))
            maps.append(("table", "lisa"))
        # models
        eff = getattr(self, "effects", {})
        if eff:
            put("forest", F.forest_plot(ctx, eff["effects"]),
                "Direct, indirect and total effects by model (95% intervals)",
                "各模型的直接、间接与总效应（95%区间）")
            bg = eff["blocks_groups"]
            head = self.head if self.head in set(bg["model"]) else bg["model"].iloc[0]
            put("blocks_heatmap", F.block_heatmaps(ctx, bg[bg["model"] == head], head),
                f"Spillover blocks between groups ({head})", f"组间溢出分块（{head}）")
            bcp = eff["blocks_cp"]
            put("blocks_cp_heatmap", F.block_heatmaps(ctx, bcp[bcp["model"] == head], head,
                                                      groups=[d.core, PERIPHERY]),
                f"Spillover blocks, core and periphery ({head})",
                f"核心区与外围区溢出分块（{head}）")
            sp = self._section_items("spillovers")
            sp[0:0] = [("figure", "blocks_cp_heatmap"), ("figure", "blocks_heatmap"),
                       ("figure", "forest")]
            res = models[head]
            try:
                units = res.unit_effects(n_draws=min(self.n_draws, 200), seed=self.seed)
            except InputError as err:
                self.fail("note_unit_effects_failed", label=head, error=err)
            else:
                unit = directions_unit(d, res)
                shown = units[["id", "variable", "direct", "indirect", "total", "total_se",
                               "total_lower", "total_upper"]].rename(columns={"id": d.id})
                self.add("unit_effects", shown,
                         title=(f"各县受到的效应（{head}，行和）" if self.zh() else
                                f"Effects received by each county ({head}; row sums of S_k)"))
                put("unit_effects", F.unit_effect_maps(ctx, units, head, unit),
                    f"Total effect received by each county ({head})", f"各县受到的总效应（{head}）")
                sp.insert(3, ("figure", "unit_effects"))
                sp.append(("table", "unit_effects"))
        if "counterfactual" in self.tables:
            cf = self.tables["counterfactual"]
            model = self.head if self.head in set(cf["model"]) else cf["model"].iloc[0]
            part = cf[cf["model"] == model]
            unit = directions_unit(d, models[model])
            put("counterfactual", F.counterfactual_bars(ctx, part, model, unit),
                f"Counterfactual decomposition of the deficit ({model})",
                f"差距的反事实分解（{model}）")
            self._section_items("counterfactual").insert(0, ("figure", "counterfactual"))
        del titles


def directions_unit(d: ReportData, res) -> str:
    """The unit of a model's outcome when it is a declared indicator."""
    for ind in d.indicators:
        if ind.column == getattr(res, "endog_name", None):
            return ind.unit_text("en")
    return ""
