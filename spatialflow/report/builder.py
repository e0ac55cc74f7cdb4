"""``build``: the whole core-periphery deficit report from a panel, a layer and fitted models."""
from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._random import as_int_seed, rng_alias
from ..exceptions import InputError, ReducibleChainError, ReportWarning
from . import convergence as _conv
from . import counterfactual as _cf
from . import decompositions as _dec
from . import deficits as _def
from . import modeltables as _mt
from . import monitoring as _mon
from ._data import PERIPHERY, REGION_ZH, ReportData, check_run_options, prepare
from ._text import join as _join
from ._text import t
from .document import Report, Section
from .fonts import figure_fonts, resolve_lang
from .groups import HEATMAP_GROUPS, more_groups, rank_groups
from .vocabulary import Vocabulary, check_labels

__all__ = ["build", "OPTIONAL_SECTIONS", "DEFAULT_SECTIONS"]

_LANGS = ("en", "zh")
#: Sections a caller can leave out (``build(sections=...)``, ``[report] sections``).
OPTIONAL_SECTIONS = ("convergence", "dynamics", "drivers")
#: The optional sections a report has unless told otherwise (drivers fit GWR/MGWR: asked for).
DEFAULT_SECTIONS = ("convergence", "dynamics")

# Table captions (English, Chinese).
_TITLES = {
    "deficits": ("Deficits against the core by group and period (deficit > 0: behind the core). "
                 "deficit_pct: percent of the core's mean for a level or share; for a log "
                 "indicator the shortfall in levels, 100(1 - exp(-deficit)); none for an index "
                 "(arbitrary zero). 'Periphery' = all non-core units together.",
                 "各组与核心区的差距（差距 > 0 表示落后于核心区）。差距（%）：水平值与比例指标为占核心区"
                 "均值的百分比；对数指标为水平值上的短缺 100(1 − exp(−差距))；指数（零点任意）不计算"
                 "百分比。“外围区”为全部非核心单元。"),
    "trends": ("Trend of each deficit: OLS slope per period with standard error and 95% interval "
               "(column 'of': the percent deficit in levels for a log indicator, else the "
               "deficit); a direction is named only when significant at 5%",
               "差距的趋势：OLS斜率（每期）、标准误与95%区间（“趋势对象”列：对数指标为水平值上的百分比差距，"
               "其余为差距）；仅在5%水平显著时判断缩小或扩大"),
    "deficits_by_type": ("Deficit of each group's units of one type (district / county / "
                         "county-level city) against the whole core, last period: the "
                         "composition of each deficit",
                         "各组按单元类型（市辖区/县/县级市）分别与整个核心区的差距（最后一期）：差距的构成"),
    "model_choice": ("Model choice: the evidence for the lead model (Durbin LR/Wald tests, "
                     "LeSage posterior model probabilities, AIC) and the rule that chose it",
                     "模型选择：主导模型的依据（Durbin LR/Wald检验、LeSage后验模型概率、AIC）及选择规则"),
    "markov_longrun": ("Long run of the colour chain: observed shares (last period), steady-state "
                       "shares and mean first passage time to green, in periods (giddy)",
                       "颜色马尔可夫链的长期状态：最后一期占比、稳态占比与首次到达绿色的平均时间（期数，giddy）"),
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
    "dagum": ("Dagum Gini decomposition by period: G = within + net between + transvariation "
              "(column 'on': exp(value) = on the levels of a log indicator)",
              "Dagum基尼系数分解：G = 组内 + 净组间 + 超变密度（“计算对象”列为水平值 exp(原值) 时按对数指标的水平值计算）"),
    "dagum_pairs": ("Between-group Gini G_jh and relative affluence D_jh of each pair of groups",
                    "各组对之间的组间基尼系数 G_jh 与相对经济富裕程度 D_jh"),
    "dagum_groups": ("Within-group Gini, mean and size of each group",
                     "各组组内基尼系数、均值与单元数"),
    "theil": ("Theil T decomposition by period: T = between + within (on the levels of a log "
              "indicator)", "泰尔指数分解：T = 组间 + 组内（对数指标按水平值计算）"),
    "sigma": ("Sigma-convergence: cross-unit SD and coefficient of variation by group and period "
              "(on the levels exp(value) of a log indicator; no CV for an index)",
              "σ收敛：各组各期单元间标准差与变异系数（对数指标按水平值 exp(原值) 计算；指数不计算变异系数）"),
    "sigma_trend": ("Trend of the cross-unit SD (converging / diverging only when significant at "
                    "5%)", "标准差的趋势（仅在5%水平显著时判断收敛或发散）"),
    "counterfactual": ("Counterfactual decomposition through each outcome's lead model: deficit "
                       "closed if every peripheral group's flows were at the core's mean, split "
                       "into own direct effects, spillovers within the group, spillovers from "
                       "other peripheral groups and the core's response (SE from simulated "
                       "parameter draws; share only for groups behind the core)",
                       "基于各被解释变量主导模型简化式的反事实分解：若各外围组要素流动达到核心区均值可缩小的差距，"
                       "分为本组直接效应、组内溢出、其他外围组溢出与核心区响应（标准误来自参数模拟抽样；"
                       "仅对落后于核心区的组计算占差距比例）"),
    "beta_summary": ("Beta-convergence at a glance: all units (OLS and SDM), the core and the "
                     "periphery; speed per year, half-life in years (only where beta is "
                     "significantly negative)",
                     "β收敛概览：全部单元（OLS与SDM）、核心区与外围区；收敛速度（每年）与半衰期（年，"
                     "仅在β显著为负时列出）"),
    "beta": ("Beta-convergence: growth per year from the first to the last period on the initial "
             "log level, by group (OLS) and for all units (SAR, SEM, SDM under the report's "
             "weights); speed = -log(1 + beta T)/T per year and half-life = log 2 / speed in "
             "years, delta-method SEs; 'direction' only when beta is significant at 5%",
             "β收敛：首期至末期的年均增长率对初始水平对数的回归，分组（OLS）及全部单元（SAR、SEM、SDM，"
             "采用报告的权重矩阵）；收敛速度 = −log(1 + βT)/T（每年），半衰期 = log 2 / 速度（年），"
             "标准误由delta方法计算；仅在β于5%水平显著时判断方向"),
    "sigma_log": ("Sigma-convergence beside beta: cross-unit SD of the log level in the first and "
                  "last period, by group (descriptive)",
                  "与β收敛并列的σ收敛：各组首期与末期水平对数的单元间标准差（描述性）"),
    "clubs": ("Phillips-Sul club convergence: log t test of each club (b, HAC SE, t; club 0 = "
              "divergent units)", "Phillips-Sul俱乐部收敛：各俱乐部的log t检验（b、HAC标准误、t；"
              "俱乐部0为发散单元）"),
    "densities": ("Kernel densities of the relative level: per period and reference (all units' "
                  "mean or the neighbours' mean), the Gaussian kernel's bandwidth h (Scott's "
                  "rule), the SD, the mode and the number of peaks",
                  "相对水平的核密度：各期、各参照（全体均值或邻居均值）的高斯核带宽 h（Scott规则）、"
                  "标准差、众数与峰数"),
    "markov_classes": ("Markov chain of the relative level in pooled quintile classes: upper bound, "
                       "shares in the first and last period and the steady state (giddy)",
                       "相对水平的马尔可夫链（按全部观测的五分位分类）：类别上限、首期与末期占比及稳态占比（giddy）"),
    "spatial_markov_tests": ("Spatial Markov: do transitions depend on the neighbours' class? Q and "
                             "LR homogeneity tests (Bickenbach-Bode, giddy)",
                             "空间马尔可夫：转移是否依赖于邻居的类别？Q与LR同质性检验（Bickenbach-Bode，giddy）"),
    "models_fit": ("Fitted models: fit statistics and convergence", "模型拟合统计与收敛情况"),
    "models_compare": ("Model comparison (estimates, SE in parentheses)",
                       "模型比较（估计值，括号内为标准误）"),
    "effects": ("LeSage-Pace direct, indirect and total effects with simulated inference",
                "LeSage-Pace直接、间接和总效应（模拟推断）"),
    "robustness": ("Robustness across models and weights: total effect (SE)",
                   "不同模型与权重矩阵下的稳健性：总效应（标准误）"),
    "blocks_cp": ("Spillover blocks, core / periphery: effect of a change in the source group's "
                  "regressor on the receiving group. 'estimate': block total (blocks sum to the "
                  "total effect; grows with group size); 'per_receiving_unit': block total x n "
                  "/ n_to, the mean effect on one receiving unit (intensity)",
                  "核心/外围溢出分块：来源组解释变量变化对接收组的效应。“估计值”为分块总量（各块之和为总效应，"
                  "随组的规模增大）；“每接收单元”= 分块总量 × n / 接收单元数，即对一个接收单元的平均效应（强度）"),
    "blocks_groups": ("Spillover blocks, group x group ('estimate': block total, blocks sum to the "
                      "total effect; 'per_receiving_unit': mean effect on one receiving unit)",
                      "组×组溢出分块（“估计值”为分块总量，各块之和为总效应；“每接收单元”为对一个接收单元的平均效应）"),
    "unit_effects": ("Per-county effects of the lead model: the direct effect of a county's own "
                     "change, the indirect effect it sends to all other counties (column sums of "
                     "the off-diagonal effects) and the effect it receives from counties outside "
                     "its own group (row sums over the other groups' columns)",
                     "主导模型的分县效应：本县变化的直接效应、向其他各县发出的间接效应（非对角效应的列和）"
                     "以及从本组以外各县接收的效应（其他组各列的行和）"),
    "lisa": ("Local Moran (LISA) cluster of every unit and indicator, last period",
             "各单元各指标的局部莫兰（LISA）集聚类型，最后一期"),
    "drivers_q": ("Geodetector factor detector, last period: q = 1 - SSW/SST of each outcome "
                  "stratified by each regressor (discretised by the optimal-parameter rule: "
                  "method and number of classes with the largest q, Song et al. 2020), with "
                  "the noncentral-F p-value of Wang, Zhang & Fu (2016)",
                  "地理探测器因子探测（最后一期）：各被解释变量按各解释变量分层的 q = 1 − SSW/SST"
                  "（解释变量按最优参数离散化：取 q 最大的方法与分类数，Song 等 2020），p值为 Wang、Zhang"
                  " 与 Fu（2016）的非中心F检验"),
    "drivers_interaction": ("Geodetector interaction detector: q of each pair of regressors' "
                            "strata crossed, and the interaction type (Wang et al. 2010)",
                            "地理探测器交互作用探测：两解释变量分层交叉后的 q 值及交互类型（Wang 等 2010）"),
    "drivers_bandwidths": ("GWR and MGWR of the standardised outcome on the standardised "
                           "regressors, last period (adaptive bisquare kernel, bandwidths in "
                           "nearest neighbours by AICc; mgwr): the GWR bandwidth, each term's "
                           "MGWR bandwidth (small = local, close to the number of units = "
                           "global) and the spread of its MGWR local estimates",
                           "标准化被解释变量对标准化解释变量的GWR与MGWR（最后一期；自适应bisquare核，"
                           "带宽为近邻数，按AICc选择；mgwr）：GWR带宽、各项的MGWR带宽（小 = 局部，接近单元数 = "
                           "全局）及其MGWR局部估计的分布"),
}


# What the summary says after an indicator's name about its declared scale (en, zh).
_SCALE_WORDS = {"log": (" [log scale: percent = shortfall in levels]",
                        "［对数尺度：百分比为水平值上的短缺］"),
                "index": (" [index, arbitrary zero: no percent]",
                          "［指数，零点任意：不计算百分比］")}


# Captions of a report without periods (one cross-section): the words that name a period go.
_CROSS_SECTION_WORDS = (
    (" by group and period", " by group"), (" by period", ""), (" (last period)", ""),
    (", last period", ""), ("：最后一期及期间变化", ""), ("（最后一期）", ""), ("，最后一期", ""),
    ("各组各期", "各组"), ("各期", ""))


# The per-county quantities in words (en, zh), for the notes.
_UNIT_EFFECT_WORDS = {"direct": ("direct effect", "直接效应"),
                      "indirect_sent": ("indirect effect sent", "发出的间接效应"),
                      "received_from_other_groups": ("effect received from other groups",
                                                     "从本组以外接收的效应")}


def _g(value, digits: int = 3) -> str:
    """A number in running text: ``digits`` significant digits, never "-0"."""
    return f"{float(value) + 0.0:.{digits}g}"


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in str(text)).strip("_").lower()
    return out or "table"


def build(panel, layer, w=None, *, indicators, models=None, id="code", time="year",
          group="region", core="PRD", lang="en", synthetic=False, source=None, title=None,
          n_draws=1000, seed=0, tests=None, rule=None, font=None, permutations=999,
          figures=True, lead="auto", weight_by=None, unit_type="unit_type",
          notes=None, lisa_fdr=None, rng=None, sections=DEFAULT_SECTIONS,
          labels=None) -> Report:
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
        What to report; each declares ``higher_is_better`` and ``scale`` (see
        :data:`spatialflow.report.DEFAULT_INDICATORS` for the synthetic example).
    models : dict label -> SpatialResults, optional
        Fitted models (cross-section or panel); effects, spillover blocks, the comparison
        and robustness tables and the counterfactual decomposition come from them. A model
        that did not converge is shown as such (a note and ``converged = no``), never
        dropped.
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
    rng : int or numpy.random.Generator, optional
        The same as ``seed`` (Scientific Python SPEC 7 name; give one of them). A Generator
        gives the one integer seed every step of the report uses (``Generator.integers``).
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
    lisa_fdr : float, optional
        A false discovery rate q for the LISA clusters: a unit is in a cluster when its
        pseudo p-value is at or below :func:`esda.fdr`'s Benjamini–Hochberg cutoff at level
        q (per indicator). Default: p < 0.05 unit by unit.
    figures : bool
        ``False`` skips the figures (tables only; faster).
    lead : "auto" or str
        The model that leads the summary, the blocks, the per-county effects and the
        counterfactual. ``"auto"`` chooses among the converged models with spillovers by
        evidence (:mod:`spatialflow.report.lead`: Durbin LR/Wald tests, then LeSage
        posterior model probabilities, then the lowest AIC), per outcome; a label forces
        that model. The choice and its evidence: ``Report.lead``,
        ``Report.tables["model_choice"]``.
    weight_by : str, optional
        Panel column of positive weights (e.g. ``"pop"``) for the group means of the
        deficits (stated in the captions); default unweighted.
    unit_type : str, optional
        Layer (or panel) column of unit types (district / county / county-level city);
        when present each deficit is also split by unit type (``deficits_by_type``).
    notes : sequence, optional
        Notes from whoever prepared the data (the pipeline, a reader): units dropped and
        why, islands linked, cells interpolated, one period. Each is a ``str`` (shown as it
        is in both languages) or a mapping ``{"en": ..., "zh": ...}`` (the report's
        language is shown). They open the report's notes box, before its own notes.
    sections : sequence of str
        Optional sections to include, among :data:`OPTIONAL_SECTIONS`: ``"convergence"``
        (β-convergence by group and model with speed and half-life, σ of log levels,
        Phillips–Sul clubs from 10 periods on) and ``"dynamics"`` (kernel densities by
        period, stochastic kernels, Markov and spatial Markov chains); see
        :mod:`spatialflow.report.convergence`. Both by default; ``()`` for neither. They
        need at least two periods (a note says so otherwise). ``"drivers"`` (not by
        default) adds the drivers section (:mod:`spatialflow.report.drivers`): for each
        outcome of ``models``, on the last period, the Geodetector q of its regressors (optimal
        discretisation, factor and interaction detectors) and the GWR and MGWR bandwidths
        with maps of the MGWR local estimates. Needs ``models`` and at least
        :data:`~spatialflow.report.drivers.MIN_UNITS` units; MGWR's bandwidth search takes
        about a minute per outcome for ~100 units.
    labels : mapping, optional
        Words for variables, weights and models the report cannot know: ``{code: "中文"}``
        or ``{code: {"en": ..., "zh": ...}}`` (e.g. ``{"pop": "常住人口"}``). With
        ``lang="zh"`` every variable, weights kind, model label (``"SDM · queen · y"`` ->
        ``"SDM · 后相邻 · <y's label>"``), statistic and setting is shown in Chinese, from
        these labels, the indicators' ``label_zh`` and
        :mod:`spatialflow.report.vocabulary`; a code none of them knows is shown as it is.
        The models' labels in ``Report.tables`` and ``Report.lead`` are the shown ones.

    Returns
    -------
    Report

    Raises
    ------
    InputError
        A missing or non-numeric indicator or key column, a grouping column missing or
        without the core label, duplicated (id, time) rows, values the declared scale
        cannot hold (negative levels), a ``lead`` that names no model; subclasses name
        the ids.
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
    seed = rng_alias(rng, seed)
    if isinstance(seed, np.random.Generator):
        seed = as_int_seed(seed)
    check_run_options(n_draws=n_draws, seed=seed, permutations=permutations)
    if not (isinstance(lead, str) and (lead == "auto" or lead in models)):
        raise InputError(f"lead must be 'auto' or the label of one of the models; {lead!r} "
                         f"was given and the models are {list(models)}.")
    if lisa_fdr is not None and not (isinstance(lisa_fdr, (int, float))
                                     and 0 < float(lisa_fdr) < 1):
        raise InputError(f"lisa_fdr must be None or a level in (0, 1); {lisa_fdr!r} was given.")
    if isinstance(sections, str) or not all(isinstance(x, str) for x in sections):
        raise InputError(f"sections must be a list of section names among "
                         f"{list(OPTIONAL_SECTIONS)}; {sections!r} was given.")
    unknown = [x for x in sections if x not in OPTIONAL_SECTIONS]
    if unknown:
        raise InputError(f"unknown section(s) {unknown}; the optional sections are "
                         f"{list(OPTIONAL_SECTIONS)}.")
    external = _external_notes(notes, lang)
    labels = check_labels(labels)
    synthetic = bool(synthetic or getattr(panel, "attrs", {}).get("synthetic", False))
    data = prepare(panel, layer, indicators=indicators, id=id, time=time, group=group,
                   core=core, lang=lang, weight_by=weight_by, unit_type=unit_type)
    data.notes[0:0] = external
    vocab = Vocabulary(lang, data.indicators, labels)
    # the models under the labels a reader sees (Chinese words in a Chinese report)
    shown = vocab.models(models)
    models = {shown[k]: v for k, v in models.items()}
    lead = shown.get(lead, lead)
    builder = _Builder(data, lang=lang, synthetic=synthetic, source=source, rule=rule,
                       n_draws=n_draws, seed=seed, permutations=permutations, lead=lead,
                       lisa_fdr=lisa_fdr, sections=tuple(sections), vocab=vocab,
                       given={v: k for k, v in shown.items()})
    return builder.run(w=w, models=dict(models), tests=tests or {}, font=font,
                       figures=figures, title=title)


def _external_notes(notes, lang: str) -> list[str]:
    """The caller's notes in ``lang`` (module docstring of ``build``: ``notes=``)."""
    if notes is None:
        return []
    if isinstance(notes, (str, Mapping)):
        notes = [notes]
    try:
        items = list(notes)
    except TypeError:
        raise InputError("notes must be a list of str or of {'en': ..., 'zh': ...}; a "
                         f"{type(notes).__name__} was given.") from None
    out = []
    for k, n in enumerate(items):
        if isinstance(n, Mapping):
            text = n.get(lang, n.get("en"))
            if not isinstance(text, str):
                raise InputError(f"notes[{k}] must have a text for 'en' (and optionally 'zh'); "
                                 f"{dict(n)!r} was given.")
        elif isinstance(n, str):
            text = n
        else:
            raise InputError(f"notes[{k}] must be a str or a mapping {{'en': ..., 'zh': ...}}; "
                             f"a {type(n).__name__} was given.")
        if text and text not in out:
            out.append(text)
    return out


def _whole(percent: float) -> str:
    """A percentage rounded to a whole number, without the "-0" of a small negative."""
    text = f"{percent:.0f}"
    return "0" if text == "-0" else text


class _Builder:
    def __init__(self, data: ReportData, *, lang, synthetic, source, rule, n_draws, seed,
                 permutations, lead="auto", lisa_fdr=None, sections=(), vocab=None, given=None):
        self.d = data
        self.optional = sections
        self.conv_objects: dict = {}
        self.drivers = None
        self.given = dict(given or {})   # shown model label -> the caller's label
        self.vocab = vocab if vocab is not None else Vocabulary(lang, data.indicators)
        self.lisa_fdr = lisa_fdr
        self.lead_arg = lead
        self.head = None
        self.leads: dict = {}
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
        over_time = [x for x in self.optional if x in ("convergence", "dynamics")]
        if over_time and not d.is_panel:
            self.notes.append(t("note_sections_one_period", self.lang))
        elif over_time:
            if "convergence" in self.optional:
                self._convergence(w)
            if "dynamics" in self.optional:
                self._dynamics(w)
        self._models(models)
        if "drivers" in self.optional:
            self._drivers(models)
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
        if not d.is_panel:
            self.notes.append(t("note_cross_section", self.lang))
            for key, text in self.titles.items():
                for old, new in _CROSS_SECTION_WORDS:
                    text = text.replace(old, new)
                self.titles[key] = text
        if d.time is None:
            # a cross-section has no period: blank, never a made-up "0"
            for key, frame in self.tables.items():
                if "period" in frame.columns and not key.startswith("test_"):
                    self.tables[key] = frame.assign(period=np.nan)
        display = {}
        if self.zh():
            from ._localise import localise
            labels = {i.column: i.text("zh") for i in d.indicators}
            display = {k: localise(v, labels, self.vocab) for k, v in self.tables.items()
                       if not k.startswith("test_")}
            if "model_choice" in display:
                # the lead's reason in Chinese, as the summary gives it
                mc, shown = self.tables["model_choice"], display["model_choice"].copy()
                reasons = mc.attrs.get("reasons", {})
                for i in np.flatnonzero((mc["evidence"] == "lead").to_numpy()):
                    zh = reasons.get(mc["model"].iloc[i], (None, None))[1]
                    if zh:
                        shown.iloc[i, list(mc.columns).index("reading")] = zh
                display["model_choice"] = shown
            # the id column's header (the user's key, e.g. "code")
            display = {k: v.rename(columns={d.id: "代码"}) if d.id in v.columns else v
                       for k, v in display.items()}
        else:
            from ._localise import english_headers
            labels = {i.column: i.text("en") for i in d.indicators}
            display = {k: english_headers(v, labels) for k, v in self.tables.items()
                       if not k.startswith("test_")}
        return Report(tables=self.tables, figures=self.figures, notes=self.notes,
                      display=display,
                      summary=self.summary, sections=self.sections, titles=self.titles,
                      title=title or t("title", self.lang), lang=self.lang,
                      synthetic=self.synthetic, source=self.source, lead=self.head)

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
        # the warning names the model as the caller labelled it
        en = {k: self.given.get(v, v) if k == "label" else v for k, v in values.items()}
        warnings.warn(t(key, "en", **en), ReportWarning, stacklevel=4)

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
        order = ["deficits", "monitoring", "decomposition", "convergence", "dynamics",
                 "counterfactual", "spillovers", "models", "drivers", "maps"]
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
        self.add("levels", levels, title=self._levels_title())
        items.append(("table", "levels"))
        if d.weight_by is not None:
            self.titles["deficits"] += t("weighted_caption", self.lang, column=d.weight_by)
        by_type = _def.deficits_by_type(d)
        if by_type is not None and len(by_type):
            self.add("deficits_by_type", by_type)
            items.append(("table", "deficits_by_type"))
        index = [i.text(self.lang) for i in d.indicators if not i.has_percent]
        if index:
            self.notes.append(t("note_index_no_percent", self.lang,
                                columns=_join(index, self.lang)))
        # The compact view the summary cites: last period's deficits beside their trends.
        compact = table[table["period"] == d.last][["indicator", "group", "core_mean",
                                                   "group_mean", "deficit", "deficit_pct"]]
        if trends is not None:
            compact = compact.merge(trends[["indicator", "group", "of", "slope", "std_error",
                                            "p_value",
                                            "verdict"]],
                                    on=["indicator", "group"], how="left")
        if trends is not None:
            title = (f"{d.last}年与核心区的差距及其趋势（斜率为每期变化，负值 = 缩小；仅在5%水平显著时判断方向）"
                     if self.zh() else
                     f"Deficits against the core in {d.last} and their trends (slope per period; "
                     "negative = closing; a direction only when significant at 5%)")
        elif d.time is None:
            title = ("与核心区的差距（截面数据：仅水平值）" if self.zh() else
                     "Deficits against the core (cross-section: levels only)")
        else:
            title = (f"{d.last}年与核心区的差距（仅一期：仅水平值）" if self.zh() else
                     f"Deficits against the core in {d.last} (one period: levels only)")
        if d.weight_by is not None:
            title += t("weighted_caption", self.lang, column=d.weight_by)
            if "deficits_by_type" in self.titles:
                self.titles["deficits_by_type"] += t("weighted_caption", self.lang,
                                                     column=d.weight_by)
        self.add("deficit_summary", compact.reset_index(drop=True), title=title)
        items.insert(0, ("table", "deficit_summary"))
        self._section("deficits").lead = (
            "各指标按组的水平与差距；差距方向已按指标“越高越好/越低越好”调整；百分比按各指标声明的"
            "尺度计算（对数指标按水平值）。" if self.zh() else
            "Levels and deficits of each indicator by group; the sign follows each "
            "indicator's declared direction (higher or lower is better), and the percent "
            "follows its declared scale (a log indicator's in levels).")
        last = table[table["period"] == d.last]
        for ind in d.indicators:
            rows = last[(last["indicator"] == ind.column) & last["deficit"].notna()]
            if rows.empty:
                continue
            # many groups: the largest deficits are named, the rest are in the table
            named, n_more = rank_groups(zip(rows["group"], rows["deficit"]), keep={PERIPHERY})
            rows = rows.set_index("group", drop=False).loc[named]
            parts = []
            for _, r in rows.iterrows():
                verdict = ""
                if trends is not None:
                    hit = trends[(trends["indicator"] == ind.column) & (trends["group"] == r["group"])]
                    if len(hit):
                        verdict = self._verdict(hit.iloc[0])
                sep = "，" if self.zh() else ", "
                pct = "" if np.isnan(r["deficit_pct"]) else f"{sep}{r['deficit_pct']:.1f}%"
                parts.append(f"{self.gname(r['group'])} {r['deficit']:.3g}{pct}"
                             + (f"{sep}{verdict}" if verdict else ""))
            unit = ind.unit_text(self.lang)
            what = self._ind_with_unit(ind)
            scale = _SCALE_WORDS.get(ind.scale, ("", ""))[1 if self.zh() else 0]
            if d.weight_by is not None:
                scale += (f"［各组均值以“{d.weight_by}”加权］" if self.zh() else
                          f" [group means weighted by {d.weight_by!r}]")
            if self.zh():
                text = (f"{what}{scale}，{self.when_zh()}各组与核心区"
                        f"（{self.gname(d.core)}）的差距：" + "；".join(parts)
                        + more_groups(n_more, self.lang) + "。")
            else:
                text = (f"{what}{scale}, deficit against the core "
                        f"({self.gname(d.core)}){self.when_en()}: " + "; ".join(parts)
                        + more_groups(n_more, self.lang) + ".")
            del unit
            self.summary.append((text, ["deficit_summary", "deficits"]
                                 + (["trends"] if trends is not None else [])))

    def _levels_title(self) -> str:
        d = self.d
        w = (t("weighted_caption", self.lang, column=d.weight_by) if d.weight_by is not None
             else "")
        if d.is_panel:
            base = ("各组各期指标水平（单元均值、中位数、标准差）" if self.zh() else
                    "Indicator levels by group and period (mean, median, SD over units)")
        else:
            base = ("各组指标水平（单元均值、中位数、标准差）" if self.zh() else
                    "Indicator levels by group (mean, median, SD over units)")
        return base + w

    def _ind_with_unit(self, ind) -> str:
        unit = ind.unit_text(self.lang)
        if not unit:
            return ind.text(self.lang)
        return f"{ind.text(self.lang)}（{unit}）" if self.zh() else f"{ind.text('en')} ({unit})"

    def when_en(self) -> str:
        """" in 2022", or nothing for a cross-section without a period."""
        return "" if self.d.time is None else f" in {self.d.last}"

    def when_zh(self) -> str:
        return "" if self.d.time is None else f"{self.d.last}年"

    def _verdict(self, row) -> str:
        v = str(row["verdict"])
        if self.zh():
            from ._localise import _verdict as zh_verdict
            return zh_verdict(v)
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
        self.add("colours", colours, title=(
            None if d.is_panel else
            ("各单元三色分类" if self.zh() else "Three-colour classification of every unit")))
        counts = (colours.groupby(["group", "overall"]).size().unstack(fill_value=0)
                  .reindex(index=d.groups, columns=list(_mon.COLOURS), fill_value=0))
        counts.loc["All"] = counts.sum()
        counts.index.name = "group"
        counts = counts.reset_index()
        self.add("colour_counts", counts, title=(
            None if d.time is not None else
            ("各组综合颜色的单元数" if self.zh() else "Number of units by group and overall colour")))
        gcol = _mon.group_colours(d, self.rule, z)
        self.add("group_colours", gcol)
        items = self._section_items("monitoring")
        items += [("table", "colour_counts"), ("table", "group_colours")]
        self._section("monitoring").lead = self.rule.describe(self.lang, change=d.is_panel)
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
                self._long_run(markov, colours["overall"], items)
        items.append(("table", "colours"))
        last = counts[counts["group"] == "All"].iloc[0]
        total = int(last[list(_mon.COLOURS)].sum())
        per = {g: counts[counts["group"] == g].iloc[0] for g in d.groups}
        sizes = {g: int(per[g][list(_mon.COLOURS)].sum()) for g in d.groups}
        # many groups: those with the largest red shares are named, the rest are in the table
        named, n_more = rank_groups((g, per[g]["red"] / sizes[g] if sizes[g] else np.nan)
                                    for g in d.groups)
        red_by = ("；" if self.zh() else "; ").join(
            f"{self.gname(g)} {int(per[g]['red'])}/{sizes[g]}" for g in named) \
            + more_groups(n_more, self.lang)
        if self.zh():
            text = (f"{self.when_zh()}综合三色：{int(last['green'])} 个单元为绿、{int(last['yellow'])} 个为黄、"
                    f"{int(last['red'])} 个为红（共 {total} 个）；各组红色单元：{red_by}。")
        else:
            text = (f"Three-colour monitoring{self.when_en().replace(' in', ',')}: "
                    f"{int(last['green'])} units green, "
                    f"{int(last['yellow'])} yellow, {int(last['red'])} red (of {total}); red "
                    f"units by group: {red_by}.")
        self.summary.append((text, ["colour_counts", "colours"]))
        self.w = w

    def _long_run(self, markov, last_colours, items):
        """Steady state and mean first passage time to green of the colour chain. The red
        share "shrinks" or "grows" only by more than one unit's share (100/n %)."""
        try:
            lr = _mon.long_run(markov, last_colours.dropna())
        except ReducibleChainError:
            # a property of the data, not a failure: said in the report's language
            self.notes.append(t("note_markov_reducible", self.lang))
            return
        except Exception as err:  # noqa: BLE001 - giddy / numpy raise many kinds
            self.fail("note_markov_longrun_failed", error=f"{type(err).__name__}: {err}")
            return
        self.add("markov_longrun", lr)
        items.append(("table", "markov_longrun"))
        red = lr.set_index("colour").loc["red"]
        now, later = 100 * red["observed_share"], 100 * red["steady_state_share"]
        mf = red["mfpt_to_green"]
        # a change smaller than one unit's share is no change a reader could see on the map
        one_unit = 100.0 / max(int(last_colours.notna().sum()), 1)
        if abs(later - now) < one_unit:
            move = ("基本持平（差异小于一个单元）" if self.zh() else
                    "stays about the same (the change is less than one unit)")
        elif later < now:
            move = "缩小" if self.zh() else "shrinks"
        else:
            move = "扩大" if self.zh() else "grows"
        mf_txt = (f"{mf:.1f}" if np.isfinite(mf) else ("∞" if self.zh() else "never"))
        text = (f"若转移概率保持不变，红色单元占比将由 {now:.1f}% 变为稳态的 {later:.1f}%（{move}）；"
                f"红色单元首次转为绿色平均需 {mf_txt} 期（giddy）。" if self.zh() else
                f"If the transition probabilities persist, the red share {move}: {now:.1f}% now, "
                f"{later:.1f}% in the steady state; a red unit first turns green after "
                f"{mf_txt} periods on average (mean first passage time, giddy).")
        self.summary.append((text, ["markov_longrun", "markov"]))

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
        logs = [i.text(self.lang) for i in d.indicators if i.scale == "log"]
        if logs:
            self.notes.append(t("note_log_levels", self.lang, columns=_join(logs, self.lang)))
        dag = tabs["dagum"]
        if len(dag):
            last = dag[dag["period"] == d.last]
            parts = []
            for ind in d.indicators:
                row = last[last["indicator"] == ind.column]
                if len(row):
                    r = row.iloc[0]
                    lv = (("（水平值）" if self.zh() else " (on levels)")
                          if ind.scale == "log" else "")
                    if not r["total"] > 0:
                        parts.append(f"{ind.text(self.lang)}{lv} G = 0（无不平等）" if self.zh()
                                     else f"{ind.text(self.lang)}{lv} G = 0 (no inequality)")
                        continue
                    sh = {k: 100 * r[k] / r["total"] for k in ("within", "net_between",
                                                                "transvariation")}
                    parts.append(
                        f"{ind.text(self.lang)}{lv} G = {r['total']:.3f}：组内 {sh['within']:.0f}%，"
                        f"净组间 {sh['net_between']:.0f}%，超变密度 {sh['transvariation']:.0f}%"
                        if self.zh() else
                        f"{ind.text(self.lang)}{lv} G = {r['total']:.3f}: within groups "
                        f"{sh['within']:.0f}%, net between groups {sh['net_between']:.0f}%, "
                        f"transvariation (overlap of the groups) {sh['transvariation']:.0f}%")
            if parts:
                text = ((f"{self.when_zh()}Dagum基尼系数分解：" + "；".join(parts) + "。") if self.zh()
                        else f"Dagum Gini{self.when_en()}: " + "; ".join(parts) + ".")
                self.summary.append((text, ["dagum"]))

    # -------------------------------------------- convergence and dynamics
    def _convergence(self, w):
        """Section "convergence" (:mod:`spatialflow.report.convergence`)."""
        d = self.d
        out = _conv.convergence_tables(d, w, self.notes, self.lang, t)
        if not out or out["beta"].empty:
            return
        self.conv_objects["fits"] = out["_fits"]
        items = self._section_items("convergence")
        # the rows a reader looks for first (all units, OLS and SDM; core; periphery),
        # open; the full table by group and model below it, folded when long
        b = out["beta"]
        heads = [("All", "OLS"), ("All", "SDM"), (d.core, "OLS"), (PERIPHERY, "OLS")]
        if len(d.peripheral) == 1:
            heads[-1] = (d.peripheral[0], "OLS")
        keep = np.zeros(len(b), dtype=bool)
        for grp, kind in heads:
            keep |= ((b["group"] == grp) & (b["model"] == kind)).to_numpy()
        self.add("beta_summary", b.loc[keep, ["indicator", "group", "model", "n", "beta",
                                              "beta_std_error", "speed", "half_life",
                                              "direction"]].reset_index(drop=True))
        items.append(("table", "beta_summary"))
        for key in ("beta", "sigma_log", "clubs"):
            if key in out and len(out[key]):
                self.add(key, out[key])
                items.append(("table", key))
        T = d.last - d.first
        clubs = ("" if "clubs" in out else
                 (f"Phillips–Sul clubs need a time series (at least "
                  f"{_conv.MIN_PERIODS_CLUBS} periods) and are not computed with "
                  f"{len(d.periods)}." if not self.zh() else
                  f"Phillips–Sul俱乐部收敛需要时间序列（至少{_conv.MIN_PERIODS_CLUBS}期），"
                  f"本报告只有{len(d.periods)}期，未计算。"))
        self._section("convergence").lead = (
            f"β收敛为{d.first}—{d.last}年（T = {T:g}）的一个截面：各单元年均增长率 "
            "(log y_末 − log y_初)/T 对 log y_初 回归；β < 0 且显著即为收敛，速度 λ = −log(1 + βT)/T，"
            "半衰期 log 2/λ（差距缩小一半所需年数）。空间模型（SAR、SEM、SDM）使用β系数本身"
            "（Rey & Montouri 1999；Arbia, Le Gallo & Piras 2008），SAR/SDM中其直接效应另见模型效应。"
            "σ收敛为对数水平标准差的变化。" + clubs if self.zh() else
            f"Beta-convergence is one cross-section from {d.first} to {d.last} (T = {T:g}): each "
            "unit's growth per year (log y_end − log y_start)/T regressed on log y_start; "
            "beta < 0 and significant means convergence, at the speed λ = −log(1 + βT)/T with "
            "half-life log 2/λ (years for half of a gap to close). The spatial models (SAR, "
            "SEM, SDM) use the coefficient β itself (Rey & Montouri 1999; Arbia, Le Gallo & "
            "Piras 2008). Sigma-convergence: the change of the SD of the log level. " + clubs)
        beta = out["beta"]
        for ind in d.indicators:
            rows = beta[(beta["indicator"] == ind.column) & (beta["model"] == "OLS")]
            if rows.empty:
                continue
            parts = []
            for _, r in rows.iterrows():
                if r["group"] not in ("All", d.core, PERIPHERY):
                    continue
                finite = np.isfinite(r["half_life"])
                hl = ((f"，半衰期 {r['half_life']:.0f} 年" if self.zh() else
                       f", half-life {r['half_life']:.0f} years") if finite else "")
                word = {"converging": ("converging", "收敛"), "diverging": ("diverging", "发散"),
                        "not significant": ("not significant", "不显著")}[r["direction"]]
                parts.append(
                    f"{self.gname(r['group']) if r['group'] != 'All' else ('全部' if self.zh() else 'all units')} "
                    + (f"β = {r['beta']:.3g}（标准误 {r['beta_std_error']:.2g}，{word[1]}{hl}）"
                       if self.zh() else
                       f"β = {r['beta']:.3g} (SE {r['beta_std_error']:.2g}, {word[0]}{hl})"))
            sdm = beta[(beta["indicator"] == ind.column) & (beta["model"] == "SDM")]
            if len(sdm):
                r = sdm.iloc[0]
                parts.append(f"SDM β = {r['beta']:.3g}（标准误 {r['beta_std_error']:.2g}）" if self.zh()
                             else f"SDM β = {r['beta']:.3g} (SE {r['beta_std_error']:.2g})")
            text = ((f"{ind.text(self.lang)}的β收敛（{d.first}—{d.last}年）：" + "；".join(parts) + "。")
                    if self.zh() else
                    f"Beta-convergence of {ind.text(self.lang)}, {d.first}–{d.last}: "
                    + "; ".join(parts) + ".")
            self.summary.append((text, ["beta_summary", "beta", "sigma_log"]))

    def _dynamics(self, w):
        """Section "dynamics" (:mod:`spatialflow.report.convergence`)."""
        d = self.d
        out = _conv.dynamics_tables(d, w, self.notes, self.lang, t)
        if not out.get("_objects"):
            return
        self.conv_objects["dynamics"] = out["_objects"]
        items = self._section_items("dynamics")
        for key in ("densities", "markov_classes", "spatial_markov_tests"):
            if key in out and len(out[key]):
                self.add(key, out[key])
                items.append(("table", key))
        steps = len(d.periods) - 1
        tests = out.get("spatial_markov_tests")
        if steps < 2 or (tests is not None and tests["Q"].isna().any()):
            self.notes.append(t("note_dyn_thin", self.lang, periods=len(d.periods),
                                steps=steps, per_cell=_conv.MIN_PER_CELL))
            self.titles["markov_classes"] += (
                ("（每个单元仅一次转移：不计算稳态）" if steps < 2 else "（仅描述观测到的转移，非预测）")
                if self.zh() else
                (" (one transition per unit: no steady state computed)" if steps < 2 else
                 " (descriptive of the observed transitions, not a forecast)"))
        self._section("dynamics").lead = (
            "相对水平 = 单元水平 / 当期全体均值（或 / 邻居均值，即空间条件化，Quah 1996）。"
            "核密度采用高斯核与Scott带宽（表中列出）；随机核为 t+1 期相对水平在 t 期给定时的条件密度，"
            "质量集中在45°线上表示持续，转向1表示收敛。马尔可夫链按全部观测的五分位将相对水平分为5类"
            f"（C1最低）；本报告每个单元有{steps}次转移。" if self.zh() else
            "Relative level = a unit's level / the period's mean over all units (or / its "
            "neighbours' mean: the spatially conditioned distribution, Quah 1996). Densities: "
            "Gaussian kernel with Scott's bandwidth (stated in the table). The stochastic "
            "kernel is the density of the relative level one period ahead given today's: mass "
            "on the 45° line is persistence, mass turned towards 1 is convergence. Markov "
            "chains: the relative level in 5 classes by pooled quintiles (C1 lowest); each unit "
            f"makes {steps} transition(s) here.")
        mk = out.get("markov_classes")
        if mk is not None:
            for ind in d.indicators:
                rows = mk[mk["indicator"] == ind.column]
                if rows.empty:
                    continue
                lo, hi = rows.iloc[0], rows.iloc[-1]
                if steps < 2:
                    tail = ("每个单元仅一次转移，不外推稳态" if self.zh() else
                            "with one transition per unit no steady state is extrapolated")
                elif np.isfinite(lo.get("steady_state", np.nan)):
                    tail = (f"按观测转移的稳态为 {100 * lo['steady_state']:.0f}%，最高类C5稳态 "
                            f"{100 * hi['steady_state']:.0f}%（描述性）" if self.zh() else
                            f"repeated, the observed transitions would lead to "
                            f"{100 * lo['steady_state']:.0f}% (C5: "
                            f"{100 * hi['steady_state']:.0f}%; descriptive)")
                else:
                    tail = ("观测到的转移把类别分成互不相通的部分，没有唯一稳态" if self.zh() else
                            "the observed transitions split the classes into parts that do not "
                            "communicate: no single steady state")
                text = (f"{ind.text(self.lang)}：最低类C1占比由 {100 * lo['share_first']:.0f}% 变为 "
                        f"{100 * lo['share_last']:.0f}%；{tail}。" if self.zh() else
                        f"{ind.text(self.lang)}: the lowest class C1 holds "
                        f"{100 * lo['share_first']:.0f}% of units in {d.first} and "
                        f"{100 * lo['share_last']:.0f}% in {d.last}; {tail}.")
                self.summary.append((text, ["markov_classes", "densities"]))

    # --------------------------------------------------------------- models
    def _models(self, models: dict):
        if not models:
            return
        d = self.d
        from .lead import choose_leads

        items = self._section_items("models")
        self.head, self.leads, choice = choose_leads(models, self.lead_arg)
        self.add("model_choice", choice)
        items.append(("table", "model_choice"))
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
        self._lead_summary(models, choice)
        if self.head is not None and models[self.head].kind in _mt.EFFECT_KINDS:
            self._unit_effects_table(models[self.head], sp_items)
        self._counterfactuals(models)
        if eff and self.head in set(eff["blocks_cp"]["model"]):
            self._spillover_summary(models[self.head], eff)

    def _unit_effects_table(self, res, sp_items):
        """The lead model's per-county effects (:mod:`spatialflow.report.unit_effects`);
        a quantity constant across counties by construction (e.g. the direct effect beta_k
        of an SLX) is left out, with a note."""
        from .unit_effects import has_spread, unit_effects

        d = self.d
        try:
            units = unit_effects(res, d.unit_group)
        except InputError as err:
            self.fail("note_unit_effects_failed", label=self.head, error=err)
            return
        for column in ("direct", "indirect_sent", "received_from_other_groups"):
            if not any(has_spread(part[column]) for _, part in units.groupby("variable")):
                rng = float(np.ptp(units.groupby("variable")[column].agg(np.ptp)))
                self.notes.append(t("note_no_spread", self.lang,
                                    what=_UNIT_EFFECT_WORDS[column][1 if self.zh() else 0],
                                    label=self.head, spread=f"{rng:.2g}"))
                units = units.drop(columns=column)
        en, zh = _TITLES["unit_effects"]
        self.add("unit_effects", units.rename(columns={"id": d.id}),
                 title=(zh if self.zh() else en) + f" ({self.head})")
        self.effect_res = res
        sp_items.append(("table", "unit_effects"))

    def _lead_summary(self, models, choice):
        """The summary's statement of which model leads and why (model_choice table)."""
        if self.head is None:
            return
        reason = choice.attrs.get("reasons", {}).get(self.head, ("", ""))[1 if self.zh() else 0]
        self.notes.append(t("note_lead", self.lang, label=self.head, reason=reason))
        others = [f"{self.vocab.var(o)}: {lab}" for o, lab in self.leads.items()
                  if lab != self.head]
        if self.zh():
            text = (f"主导模型：{self.head}（{models[self.head].kind}），依据：{reason}。"
                    "摘要、溢出分块、分县效应和反事实均来自主导模型"
                    + (f"（其他被解释变量：{'；'.join(others)}）" if others else "") + "。")
        else:
            text = (f"Lead model: {self.head} ({models[self.head].kind}), because {reason}. "
                    "The spillover blocks, per-county effects and counterfactual below come "
                    "from it" + (f" (other outcomes: {'; '.join(others)})" if others else "")
                    + ".")
        self.summary.append((text, ["model_choice", "models_fit"]))

    def _spillover_summary(self, res, eff):
        d = self.d
        b = eff["blocks_cp"][eff["blocks_cp"]["model"] == self.head]
        e = eff["effects"][eff["effects"]["model"] == self.head].set_index("variable")
        shares = {}
        for v, part in b.groupby("variable", sort=False):
            into_p = part[(part["from"] == d.core) & (part["to"] == PERIPHERY)]
            if len(into_p) and e.loc[v, "total"] != 0:
                shares[v] = 100 * into_p["estimate"].iloc[0] / e.loc[v, "total"]
        if not shares:
            return
        per_unit = {}
        for v, part in b.groupby("variable", sort=False):
            hit = part[(part["from"] == d.core) & (part["to"] == PERIPHERY)]
            if len(hit):
                per_unit[v] = float(hit["per_receiving_unit"].iloc[0])
        if res.kind in ("SAR", "SAC"):
            # S_k = beta_k (I - rho W)^-1: every block's share of the total is the same for
            # every regressor, a property of the model, not a finding
            self.notes.append(t("note_sar_shares", self.lang, label=self.head, kind=res.kind))
            share = next(iter(shares.values()))
            text = ((f"{self.head}（{res.kind}）：核心区要素变化溢出到外围区的部分占总效应的 {_whole(share)}%，"
                     "在该模型中所有解释变量相同（构造使然，非分变量的发现）。") if self.zh() else
                    f"{self.head} ({res.kind}): the core's change spilling over to the periphery "
                    f"is {_whole(share)}% of the total effect for every regressor alike (the same by "
                    "construction in this model, not a finding per regressor).")
        else:
            parts = [f"{self.vocab.var(v)} {_whole(shares[v])}%" + (f"（每个外围单元 {per_unit[v]:.3g}）" if self.zh()
                                               else f" (per peripheral unit {per_unit[v]:.3g})")
                     for v in shares if v in per_unit]
            text = ((f"{self.head}：核心区要素变化溢出到外围区的分块总量占总效应的比例："
                     + "；".join(parts) + "。分块总量随组的规模增大；括号内为对一个外围单元的平均效应。")
                    if self.zh() else
                    f"{self.head}: share of each regressor's total effect that is the core's "
                    "change spilling over to the periphery (block total, which grows with the "
                    "periphery's size; in parentheses the mean effect on one peripheral unit): "
                    + "; ".join(parts) + ".")
        self.summary.append((text, ["blocks_cp", "effects"]))

    def _counterfactuals(self, models: dict):
        d = self.d
        directions = {i.column: i for i in d.indicators}
        rows = []
        # one counterfactual per outcome, from that outcome's lead model (an outcome whose
        # models have no spillovers: its first converged model, e.g. an OLS)
        chosen = []
        for outcome in dict.fromkeys(getattr(r, "endog_name", None) for r in models.values()):
            if outcome in self.leads:
                chosen.append(self.leads[outcome])
                continue
            fits = [k for k, r in models.items() if getattr(r, "endog_name", None) == outcome]
            conv = [k for k in fits if getattr(models[k], "converged", True)]
            chosen.append((conv or fits)[0])
        for label in chosen:
            res = models[label]
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
            ahead = [self.gname(g) for g in cf.loc[~cf["behind"], "group"]]
            if ahead:
                self.notes.append(t("note_cf_ahead", self.lang, label=label,
                                    groups=_join(ahead, self.lang), outcome=outcome))
            if cf["own_direct"].isna().all():
                self.notes.append(t("note_cf_no_split", self.lang, label=label))
            cf.insert(0, "outcome", outcome)
            cf.insert(0, "model", label)
            rows.append(cf)
        if not rows:
            return
        table = pd.concat(rows, ignore_index=True)
        self.add("counterfactual", table)
        sec = self._section("counterfactual")
        sec.items.append(("table", "counterfactual"))
        period = self.when_zh() if self.zh() else self.when_en().strip()
        sec.lead = (
            f"情景：{period}各外围组的解释变量取核心区均值，其余不变；通过各被解释变量主导模型的简化式 "
            "Δy = (I − ρW)⁻¹(ΔXβ + WΔXθ) 计算（稀疏求解）。“本组直接”为各单元自身变化的直接效应，"
            "“组内溢出”为本组其他单元的溢出，“其他组溢出”为其他外围组的溢出，“核心区响应”为核心区自身均值的变化。"
            "占差距比例仅对落后于核心区的组计算。" if self.zh() else
            f"Scenario{(' ' + period) if period else ''}: each peripheral group's regressors are "
            "set to the core's means, everything else unchanged; the outcome responds through "
            "its lead model's reduced form Δy = (I − ρW)⁻¹(ΔXβ + WΔXθ) (sparse solves). "
            "'own_direct' = each unit's direct effect of its own change; 'within_group' = "
            "spillovers among the group's units; 'spillover' = spillovers from the other "
            "peripheral groups; 'core_response' = minus the change of the core's own mean. "
            "Fixed effects are held constant. The share is given only for groups behind the "
            "core.")
        for label in table["model"].unique():
            part = table[table["model"] == label]
            self.summary.append((self._cf_text(label, part), ["counterfactual"]))

    def _cf_share(self, share: float, significant: bool, has_se: bool) -> str:
        """How the gap closed reads as a share of the deficit.

        The same rule as the spillovers' share: a ratio to a change that cannot be told from
        zero (|z| <= 1.96) is noise, not a finding (-194 % with an SE of 35 points said
        nothing), so it is not printed; a significant negative change widens the gap and a
        share above 100 % overshoots the core: both are said in words.
        """
        zh = self.zh()
        if has_se and not significant:
            return "与零无显著差异，不计占差距比例" if zh else \
                "not distinguishable from zero, so no share of the deficit"
        pct = 100 * share
        if pct < 0:
            return f"差距反而扩大 {-pct:.0f}%" if zh else f"widens the deficit by {-pct:.0f}%"
        if pct > 100:
            return f"超过差距（{pct:.0f}%），超越核心区" if zh else \
                f"{pct:.0f}% of its deficit: overshoots the core"
        return f"占差距 {pct:.0f}%" if zh else f"{pct:.0f}% of its deficit"

    def _cf_text(self, model, head) -> str:
        parts, judged, significant = [], 0, 0
        # many groups: the largest gaps closed are named, the rest are in the table
        named, n_more = rank_groups(zip(head["group"], head["closed"]))
        head = head.set_index("group", drop=False).loc[named]
        se_all = head.loc[head["behind"], "closed_std_error"].to_numpy(dtype=float)
        closed_all = head.loc[head["behind"], "closed"].to_numpy(dtype=float)
        # none of the changes differs from zero: the sentence says so once, not per group
        all_noise = bool(len(se_all)) and bool(np.all(np.isfinite(se_all))) and \
            not bool(np.any(np.abs(closed_all) > 1.96 * se_all))
        for _, r in head.iterrows():
            g = self.gname(r["group"])
            if not r["behind"]:
                parts.append(f"{g}：不落后于核心区（—）" if self.zh() else
                             f"{g}: not behind the core (—)")
                continue
            spill = r["within_group"] + r["spillover"]
            split = not np.isnan(r["own_direct"])
            # a share of the gap closed only when the gap closed differs from zero (|z| > 1.96):
            # a ratio to noise is not a finding
            se = r["closed_std_error"]
            sig = abs(r["closed"]) > 1.96 * se if np.isfinite(se) \
                else False
            judged += bool(np.isfinite(se))
            significant += bool(sig)
            spill_share = 100 * spill / r["closed"] if split and sig else np.nan
            share_text = self._cf_share(r["share"], sig, np.isfinite(r["closed_std_error"]))
            share_text = "" if all_noise else share_text + ("；" if self.zh() else "; ")
            if self.zh():
                txt = f"{g} {_g(r['closed'])}（标准误 {_g(r['closed_std_error'], 2)}，{share_text}"
                txt += (f"本组直接 {_g(r['own_direct'])}，组内溢出 {_g(r['within_group'])}，"
                        if split else f"本组 {_g(r['own'])}，")
                txt += f"其他组溢出 {_g(r['spillover'])}，核心区响应 {_g(r['core_response'])}"
                if np.isfinite(spill_share):
                    txt += f"；溢出合计占缩小量 {_whole(spill_share)}%"
                parts.append(txt + "）")
            else:
                txt = f"{g} {_g(r['closed'])} (SE {_g(r['closed_std_error'], 2)}; {share_text}"
                txt += (f"own direct {_g(r['own_direct'])}, within-group spillovers "
                        f"{_g(r['within_group'])}, " if split else f"own flows {_g(r['own'])}, ")
                txt += (f"other groups' spillovers {_g(r['spillover'])}, core response "
                        f"{_g(r['core_response'])}")
                if np.isfinite(spill_share):
                    txt += f"; spillovers together {_whole(spill_share)}% of the gap closed"
                parts.append(txt + ")")
        outcome = head["outcome"].iloc[0]
        ind = next((i for i in self.d.indicators if i.column == outcome), None)
        name = ind.text(self.lang) if ind is not None else outcome
        # "would close by" only when some group's change differs from zero: a list of changes
        # none of which is distinguishable from zero is said to be just that
        if judged and not significant:
            verb_zh = "差距的变化均与零无显著差异（正值为缩小）："
            verb_en = (f"the {name} deficit would change by amounts none of which differs "
                       "from zero at 5% (positive = closes): ")
        else:
            verb_zh = "差距可缩小："
            verb_en = f"the {name} deficit would close by: "
        return ((f"反事实（{model}）：若各外围组的解释变量（要素流动）取核心区均值，{name} {verb_zh}"
                 + "；".join(parts) + more_groups(n_more, self.lang) + "。") if self.zh() else
                f"Counterfactual ({model}): with each peripheral group's regressors (its "
                f"flows) at the core's means, {verb_en}"
                + "; ".join(parts) + more_groups(n_more, self.lang) + ".")

    # -------------------------------------------------------------- drivers
    def _drivers(self, models: dict):
        """Geodetector q and GWR/MGWR bandwidths of each outcome (report.drivers)."""
        from . import drivers as _drv

        if not models:
            self.notes.append(t("note_drivers_no_models", self.lang))
            return
        specs = _drv.specs_from_models(models, self.d.panel.columns)
        try:
            out = _drv.drivers(self.d, specs)
        except InputError as err:
            self.fail("note_drivers_failed", error=err)
            return
        for outcome, why in out["skipped"].items():
            self.notes.append(t("note_drivers_skipped", self.lang, outcome=outcome, why=why))
        if out["q"].empty:
            return
        self.drivers = out
        sec = self._section("drivers")
        self.add("drivers_q", out["q"])
        sec.items.append(("table", "drivers_q"))
        if not out["interaction"].empty:
            self.add("drivers_interaction", out["interaction"])
            sec.items.append(("table", "drivers_interaction"))
        if "bandwidths" in out and not out["bandwidths"].empty:
            self.add("drivers_bandwidths", out["bandwidths"])
            sec.items.append(("table", "drivers_bandwidths"))
        sec.lead = t("drivers_lead", self.lang)
        names = {i.column: i.text(self.lang) for i in self.d.indicators}
        for outcome, part in out["q"].groupby("outcome", sort=False):
            top = part.sort_values("q", ascending=False).iloc[0]
            bws = out.get("bandwidths")
            bw = bws[bws["outcome"] == outcome] if bws is not None and len(bws) else None
            local = ""
            if bw is not None and len(bw):
                n = int(round(float(bw["mgwr_bandwidth"].iloc[0] / bw["share_of_units"].iloc[0])))
                terms = [r for _, r in bw.iterrows() if r["term"] != "Intercept"]
                most = min(terms, key=lambda r: r["mgwr_bandwidth"])
                local = t("drivers_summary_local", self.lang,
                          term=names.get(most["term"], most["term"]),
                          bw=f"{most['mgwr_bandwidth']:g}", n=n)
            self.summary.append((t("drivers_summary", self.lang,
                                   outcome=names.get(outcome, outcome),
                                   factor=names.get(top["factor"], top["factor"]),
                                   q=_g(top["q"], 2), p=_g(top["p_value"], 2)) + local,
                                 ["drivers_q", "drivers_bandwidths"]
                                 if local else ["drivers_q"]))

    # -------------------------------------------------------------- figures
    def _figures(self, fig_lang: str, models: dict):
        from . import figures as F

        d = self.d
        ctx = F.FigureContext(layer=d.layer, groups=d.groups, core=d.core, lang=fig_lang,
                              synthetic=self.synthetic, source=self.source,
                              vocab=self.vocab.in_lang(fig_lang))
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
        if self.conv_objects.get("fits"):
            put("convergence", F.convergence_scatters(ctx, self.conv_objects["fits"],
                                                      d.unit_group, d.indicators),
                "Beta-convergence: growth against the initial log level, by group",
                "β收敛：增长率与初始水平对数（分组）")
            self._section_items("convergence").insert(0, ("figure", "convergence"))
        if self.conv_objects.get("dynamics"):
            objs = self.conv_objects["dynamics"]
            put("densities", F.density_panels(ctx, objs, d.indicators),
                "Kernel densities of the relative level by period",
                "各期相对水平的核密度")
            put("stochastic_kernel", F.kernel_contours(ctx, objs, d.indicators),
                "Stochastic kernels (contours of the conditional density; dashed: no change)",
                "随机核（条件密度等值线；虚线：不变）")
            self._section_items("dynamics")[0:0] = [("figure", "densities"),
                                                    ("figure", "stochastic_kernel")]
        # three-colour maps
        colours = self.colours.set_index(d.id)
        label = d.last if d.time is not None else None
        put("colours_map", F.colour_maps(ctx, colours, self.rule.describe(), d.first, label,
                                         d.is_panel),
            "Three-colour monitoring: overall colour and its change" if d.is_panel else
            "Three-colour monitoring: overall colour",
            "三色预警：综合颜色及其变化" if d.is_panel else "三色预警：综合颜色")
        put("colours_by_indicator", F.colour_maps_by_indicator(ctx, colours, d.indicators, label),
            "Three-colour monitoring by indicator", "分指标三色预警")
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
                 title=(f"各单元{self.when_zh()}指标值" + (f"及{d.first}年以来变化" if d.is_panel else "")
                        if self.zh() else f"Indicator values of every unit{self.when_en()}"
                        + (f" and change since {d.first}" if d.is_panel else "")))
        from .unit_effects import has_spread

        for ind in d.indicators:
            last = d.values(ind.column)
            change = (d.values(ind.column) - d.values(ind.column, d.first)) if d.is_panel else None
            if not has_spread(last) and (change is None or not has_spread(change)):
                # a map of one colour (or of round-off) shows nothing
                self.notes.append(t("note_no_spread_map", self.lang, name=ind.text(self.lang),
                                    spread=f"{float(np.ptp(last.dropna())):.2g}"
                                    if last.notna().any() else "—"))
                continue
            key = f"map_{_slug(ind.column)}"
            # the caption names the classification (mapclassify quantiles, 5 classes)
            put(key, F.indicator_map(ctx, ind, last, change, d.first, label),
                f"{ind.text('en')}: level{self.when_en()}"
                + (f" and change since {d.first}" if d.is_panel else "")
                + "; levels in quantile classes (mapclassify, 5 classes, intervals (a, b])"
                + ("; change on a continuous scale, diverging around zero only when it has "
                   "both signs" if d.is_panel else ""),
                f"{ind.text('zh')}：{self.when_zh()}水平" + (f"及{d.first}年以来变化" if d.is_panel else "")
                + "；水平按分位数分级（mapclassify，5类，区间 (a, b]）"
                + ("；变化为连续色标，仅在有正有负时以零为中心" if d.is_panel else ""))
            maps.append(("figure", key))
        maps.append(("table", "unit_values"))
        # LISA (last period), each indicator on the units observed
        from ..measures.local_statistics import local_moran
        from ..weights.align import weights_ids

        lisa = []
        n_units = len(weights_ids(self.w))
        for ind in d.indicators:
            y = d.values(ind.column).dropna()
            try:
                lm = local_moran(y, self.w, permutations=self.permutations, seed=self.seed,
                                 fdr=self.lisa_fdr)
            except InputError as err:
                self.fail("note_lisa_failed", column=ind.column, error=err)
                continue
            if len(y) < n_units:
                self.notes.append(t("note_lisa_subset", self.lang, column=ind.column,
                                    k=len(y), n=n_units))
            cluster = lm["cluster"].to_numpy()
            lisa.append(pd.DataFrame({"id": lm.index, "indicator": ind.column,
                                      "Is": lm["Is"].to_numpy(), "quadrant": lm["quadrant"].to_numpy(),
                                      "p_sim": lm["p_sim"].to_numpy(), "cluster": cluster}))
        if lisa:
            lisa = pd.concat(lisa, ignore_index=True)
            self.add("lisa", lisa.rename(columns={"id": d.id}))
            put("lisa", F.lisa_maps(ctx, lisa, d.indicators, label, fdr=self.lisa_fdr),
                f"LISA cluster maps{self.when_en()}", f"{self.when_zh()}LISA集聚图")
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
            n_groups = len(set(bg["from"]) | set(bg["to"]))
            if n_groups <= HEATMAP_GROUPS:
                put("blocks_heatmap", F.block_heatmaps(ctx, bg[bg["model"] == head], head),
                    f"Spillover blocks between groups ({head})", f"组间溢出分块（{head}）")
            else:
                # n x n cells of a few pixels each: the table carries the numbers
                self.notes.append(t("note_heatmap_as_table", self.lang, n=n_groups,
                                    limit=HEATMAP_GROUPS))
            bcp = eff["blocks_cp"]
            put("blocks_cp_heatmap", F.block_heatmaps(ctx, bcp[bcp["model"] == head], head,
                                                      groups=[d.core, PERIPHERY]),
                f"Spillover blocks, core and periphery ({head})",
                f"核心区与外围区溢出分块（{head}）")
            sp = self._section_items("spillovers")
            sp[0:0] = [("figure", k) for k in ("blocks_cp_heatmap", "blocks_heatmap", "forest")
                       if k in self.figures]
            _unit_effect_maps(self, ctx, F, head, sp)
        if "counterfactual" in self.tables:
            cf = self.tables["counterfactual"]
            model = self.head if self.head in set(cf["model"]) else cf["model"].iloc[0]
            part = cf[cf["model"] == model]
            unit = directions_unit(d, models[model], ctx.lang)
            put("counterfactual", F.counterfactual_bars(ctx, part, model, unit),
                f"Counterfactual decomposition of the deficit ({model})",
                f"差距的反事实分解（{model}）")
            self._section_items("counterfactual").insert(0, ("figure", "counterfactual"))
        if self.drivers is not None:
            self._drivers_figures(ctx, put)
        del titles

    def _drivers_figures(self, ctx, put):
        from ..plot.drivers import geodetector_bars, local_estimate_maps
        from ..plot.maps import _fonts

        q = self.drivers["q"]
        names = {i.column: i.text(ctx.lang) for i in self.d.indicators}
        outcomes = list(pd.unique(q["outcome"]))
        from matplotlib.figure import Figure
        fig = Figure(figsize=(6.4 * min(2, len(outcomes)), 0.5 + 0.55 * q.groupby(
            "outcome").size().max() + 1.2), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, min(2, len(outcomes)), squeeze=False)).ravel()
        for ax, outcome in zip(axes, outcomes[:2]):
            part = q[q["outcome"] == outcome].set_index("factor")
            geodetector_bars(part, labels=names, lang=ctx.lang, ax=ax,
                             title=names.get(outcome, outcome))
        sec = self._section_items("drivers")
        # figures and tables share the titles: the figure's key differs from the table's
        put("drivers_q_bars", ctx.finish(fig, F_TEXT[ctx.lang]["drivers_q"]),
            F_TEXT["en"]["drivers_q"], F_TEXT["zh"]["drivers_q"])
        sec.insert(0, ("figure", "drivers_q_bars"))
        pos = 1
        for outcome, res in self.drivers["fits"].items():
            terms = [c for c in res.params.columns if c != "Intercept"]
            with _fonts(ctx.lang):
                fig = local_estimate_maps(res, ctx.layer.loc[res.params.index], terms=terms,
                                          labels=names, lang=ctx.lang, scale_bar=ctx.metric)
            for ax in fig.axes:
                if ax.get_visible() and ax.get_title():
                    ctx.base(ax, labels=False)
            key = f"drivers_mgwr_{_slug(outcome)}"
            caption = {lang: F_TEXT[lang]["drivers_mgwr"].format(outcome=next(
                (i.text(lang) for i in self.d.indicators if i.column == outcome), outcome))
                for lang in ("en", "zh")}
            put(key, ctx.finish(fig, caption[ctx.lang]), caption["en"], caption["zh"])
            sec.insert(pos, ("figure", key))
            pos += 1


#: Figure titles of the drivers section (en, zh).
F_TEXT = {
    "en": {"drivers_q": "Geodetector q of each regressor (last period; * p < 0.05)",
           "drivers_mgwr": "MGWR local estimates, standardised: {outcome}"},
    "zh": {"drivers_q": "各解释变量的地理探测器 q 值（最后一期；* p < 0.05）",
           "drivers_mgwr": "MGWR局部估计（标准化）：{outcome}"},
}


def _unit_effect_maps(b: _Builder, ctx, F, head, sp) -> None:
    """Maps of the lead model's per-county effects (table ``unit_effects``; a quantity
    without spread was left out of it, with a note)."""
    if "unit_effects" not in b.tables:
        return
    units = b.tables["unit_effects"].rename(columns={b.d.id: "id"})
    # after the section's leading figures (heatmaps, forest plot)
    pos = next((i for i, (what, _) in enumerate(sp) if what != "figure"), len(sp))
    for column in ("indirect_sent", "received_from_other_groups"):
        if column not in units.columns:
            continue
        key = f"unit_{column}"
        unit = directions_unit(b.d, b.effect_res, ctx.lang)
        b.figures[key] = F.unit_effect_maps(ctx, units, head, unit, column=column,
                                            title=f"units_{column}")
        b.titles[key] = F.FIG_TEXT[b.lang][f"units_{column}"].format(model=head)
        sp.insert(pos, ("figure", key))
        pos += 1


def directions_unit(d: ReportData, res, lang: str = "en") -> str:
    """The unit of a model's outcome (in ``lang``) when it is a declared indicator."""
    for ind in d.indicators:
        if ind.column == getattr(res, "endog_name", None):
            return ind.unit_text(lang)
    return ""
