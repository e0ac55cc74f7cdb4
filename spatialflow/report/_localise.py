"""Chinese display copies of the report's tables: headers, group, colour and indicator names.

The numbers are untouched; ``Report.tables`` keeps the machine-readable codes (and the CSV
files written by ``to_markdown``/``to_latex`` too), the rendered tables show these copies.
"""
from __future__ import annotations

import re

import pandas as pd

from ._data import PERIPHERY, REGION_ZH

__all__ = ["localise", "english_headers"]

HEADERS_ZH = {
    "indicator": "指标", "group": "组别", "period": "时期", "core_mean": "核心区均值",
    "group_mean": "组均值", "gap": "差值", "deficit": "差距", "deficit_pct": "差距（%）",
    "slope": "斜率", "std_error": "标准误", "p_value": "p值", "lower": "95%下限", "upper": "95%上限",
    "verdict": "判断", "n": "单元数", "mean": "均值", "median": "中位数", "sd": "标准差",
    "periods": "期数", "deficit_first": "首期差距", "deficit_last": "末期差距",
    "colour": "颜色", "change_colour": "变化颜色", "median_shortfall": "短缺中位数",
    "median_change": "短缺变化中位数", "from": "来源", "to": "接收", "transitions": "转移次数",
    "to green": "转为绿", "to yellow": "转为黄", "to red": "转为红", "neighbours": "邻居众数颜色",
    "total": "总计", "within": "组内", "net_between": "净组间", "transvariation": "超变密度",
    "total_share": "总计占比", "within_share": "组内占比", "net_between_share": "净组间占比",
    "transvariation_share": "超变密度占比", "between": "组间", "between_share": "组间占比",
    "group_a": "组A", "group_b": "组B", "gini_between": "组间基尼系数",
    "affluence_D": "相对经济富裕程度D", "gini_within": "组内基尼系数", "cv": "变异系数",
    "model": "模型", "outcome": "被解释变量", "closed": "可缩小差距", "share": "占差距比例",
    "own": "本组流动", "spillover": "其他组溢出", "core_response": "核心区响应",
    "variable": "变量", "direct": "直接效应", "indirect": "间接效应", "effect": "效应",
    "name_zh": "名称", "city_zh": "所属市", "overall": "综合", "overall_score": "综合得分",
    "overall_change": "综合变化", "Is": "局部莫兰I", "quadrant": "象限", "p_sim": "伪p值",
    "cluster": "集聚类型", "kind": "模型类型", "converged": "是否收敛", "nobs": "观测数",
    "panel effects": "面板效应", "spatial parameter": "空间参数", "estimate": "估计值",
    "parameter": "参数", "n_from": "来源单元数", "n_to": "接收单元数", "green": "绿",
    "yellow": "黄", "red": "红", "z": "z值", "closed_lower": "缩小量95%下限",
    "closed_upper": "缩小量95%上限",
    "of": "趋势对象", "first": "首期", "last": "末期", "per_receiving_unit": "每接收单元",
    "own_direct": "本组直接效应", "within_group": "组内溢出", "behind": "落后于核心区",
    "unit_type": "单元类型", "core_same_type_mean": "核心区同类单元均值",
    "evidence": "依据", "value": "数值", "df": "自由度", "reading": "解读",
    "observed_share": "最后一期占比", "steady_state_share": "稳态占比",
    "mfpt_to_green": "首次转为绿色的平均期数", "indirect_sent": "发出的间接效应",
    "received_from_other_groups": "从本组以外接收的效应", "on": "计算对象",
    # convergence and distribution dynamics
    "beta": "β", "speed": "收敛速度（每年）", "half_life": "半衰期（年）",
    "start": "起始期", "end": "结束期", "direction": "方向", "sd_log_first": "首期对数标准差",
    "sd_log_last": "末期对数标准差", "sd_log_change": "对数标准差变化", "relative": "参照",
    "bandwidth": "带宽", "mode": "众数", "peaks": "峰数", "class": "类别",
    "upper_bound": "类别上限", "share_first": "首期占比", "share_last": "末期占比",
    "steady_state": "稳态占比", "units": "单元数", "cells": "单元格数", "Q": "Q统计量",
    "Q_p_value": "Q p值", "LR": "LR统计量", "LR_p_value": "LR p值", "dof": "自由度",
    "club": "俱乐部", "b": "b（log t）",
    "factor": "因子", "method": "离散化方法", "classes": "分类数", "q": "q值", "p_value": "p值",
    "factor_1": "因子1", "factor_2": "因子2", "q_1": "因子1 q值", "q_2": "因子2 q值",
    "interaction": "交互类型", "term": "项", "gwr_bandwidth": "GWR带宽（近邻数）",
    "mgwr_bandwidth": "MGWR带宽（近邻数）", "share_of_units": "带宽占单元数比例",
    "min": "最小值", "max": "最大值",
    "logL": "对数似然值", "llf": "对数似然值", "T": "期数", "name_en": "名称", "city_en": "所属市",
}
_SUFFIX = {"_std_error": "标准误", "_p_value": " p值", "_lower": " 95%下限", "_upper": " 95%上限",
           "_change": "变化", "_share": "占比"}
VALUES_ZH = {"green": "绿", "yellow": "黄", "red": "红", "All": "全部", "ns": "不显著",
             PERIPHERY: "外围区", "overall": "综合", "district": "市辖区", "county": "县",
             "county-level city": "县级市", "autonomous county": "自治县",
             "city": "地级市（不设区）", "exp(value)": "水平值 exp(原值)", "value": "原值",
             "deficit": "差距", "deficit_pct": "差距（%）", "converging": "收敛",
             "diverging": "发散", "not significant": "不显著", "mean": "全体均值",
             "neighbours": "邻居均值", "OLS": "OLS", "SAR": "SAR", "SEM": "SEM", "SDM": "SDM",
             "deficit": "差距", "deficit_pct": "差距（%）",
             # Geodetector: discretisation methods and interaction types
             "equal": "等间距", "natural": "自然断点", "quantile": "分位数", "geometric": "几何间隔",
             "weaken, nonlinear": "非线性减弱", "weaken, uni-": "单因子非线性减弱",
             "enhance, bi-": "双因子增强", "independent": "独立", "enhance, nonlinear": "非线性增强"}
# Phrases of the model_choice table's readings (the numbers in them stay as they are).
_READING = (("both restrictions of the SDM are rejected at", "SDM的两个约束均在以下水平被拒绝："),
            ("lowest AIC among such SDMs", "此类SDM中AIC最小"),
            ("theta = 0 is not rejected", "θ = 0 未被拒绝"),
            ("while the common factor restriction is", "而共同因子约束被拒绝"),
            ("the SDM reduces to the SAR", "SDM退化为SAR"),
            ("the Durbin tests do not decide", "Durbin检验无法判定"),
            ("highest posterior model probability among the models with spillovers",
             "在含溢出效应的模型中后验模型概率最高"),
            ("lowest AIC among the models with spillovers", "在含溢出效应的模型中AIC最小"),
            ("the lowest AIC among the leads of", "AIC最小，比较的主导模型来自"),
            ("weights matrices", "个权重矩阵"),
            ("without spillovers, is more probable", "（不含溢出效应）后验概率更高"),
            ("the common factor restriction is not rejected", "共同因子约束未被拒绝"),
            ("the SDM reduces to the SEM, which has no spillovers to report",
             "SDM退化为不含溢出效应的SEM"),
            ("chosen by the user (lead=...)", "由用户指定（lead=...）"),
            ("not a candidate: did not converge", "非候选：未收敛"),
            ("not a candidate: no spillovers", "非候选：无溢出效应"),
            ("candidate", "候选"), ("not rejected at", "未被拒绝，水平"),
            ("rejected at", "被拒绝，水平"), ("among", "共"),
            ("fits with the same W", "个同一W的模型"), ("not applicable", "不适用"),
            ("not computed", "未计算"),
            ("transitions depend on the neighbours' class", "转移概率依赖于邻居的类别"),
            ("no evidence that neighbours matter", "无证据表明邻居类别影响转移"),
            ("not tested: ", "未检验："), (" transitions for ", "次转移，"),
            (" cells (fewer than ", "个单元格（每格少于"), (" per cell)", "次）"))
_GROUP_COLUMNS = ("group", "from", "to", "group_a", "group_b")
_VERDICT = {"closing": "缩小", "widening": "扩大", "converging": "收敛", "diverging": "发散"}


# English display headers: the codes of Report.tables (kept in the CSV files) in words.
HEADERS_EN = {
    "indicator": "Indicator", "group": "Group", "period": "Period", "core_mean": "Core mean",
    "group_mean": "Group mean", "gap": "Gap", "deficit": "Deficit", "deficit_pct": "Deficit (%)",
    "slope": "Slope", "std_error": "SE", "p_value": "p", "lower": "95% lower", "upper": "95% upper",
    "verdict": "Verdict", "n": "Units", "mean": "Mean", "median": "Median", "sd": "SD",
    "periods": "Periods", "deficit_first": "Deficit, first period",
    "deficit_last": "Deficit, last period", "colour": "Colour", "change_colour": "Change colour",
    "median_shortfall": "Median shortfall", "median_change": "Median change of shortfall",
    "from": "From", "to": "To", "transitions": "Transitions", "to green": "To green",
    "to yellow": "To yellow", "to red": "To red", "neighbours": "Neighbours' modal colour",
    "total": "Total", "within": "Within", "net_between": "Net between",
    "transvariation": "Transvariation", "total_share": "Total share",
    "within_share": "Within share", "net_between_share": "Net between share",
    "transvariation_share": "Transvariation share", "between": "Between",
    "between_share": "Between share", "group_a": "Group A", "group_b": "Group B",
    "gini_between": "Gini between", "affluence_D": "Relative affluence D",
    "gini_within": "Gini within", "cv": "CV", "model": "Model", "outcome": "Outcome",
    "closed": "Closed", "share": "Share of deficit", "own": "Own flows",
    "spillover": "Other groups' spillovers", "core_response": "Core's response",
    "variable": "Variable", "direct": "Direct", "indirect": "Indirect", "effect": "Effect",
    "name_zh": "Name", "name_en": "Name", "city_zh": "City", "city_en": "City",
    "overall": "Overall", "overall_score": "Overall score", "overall_change": "Overall change",
    "Is": "Local Moran I", "quadrant": "Quadrant", "p_sim": "Pseudo p", "cluster": "Cluster",
    "kind": "Model type", "converged": "Converged", "nobs": "Observations",
    "panel effects": "Panel effects", "spatial parameter": "Spatial parameter",
    "estimate": "Estimate", "parameter": "Parameter", "n_from": "Source units",
    "n_to": "Receiving units", "green": "Green", "yellow": "Yellow", "red": "Red", "z": "z",
    "closed_lower": "Closed, 95% lower", "closed_upper": "Closed, 95% upper",
    "of": "Trend of", "first": "First period", "last": "Last period",
    "per_receiving_unit": "Per receiving unit", "own_direct": "Own direct effects",
    "within_group": "Spillovers within the group", "behind": "Behind the core",
    "unit_type": "Unit type", "core_same_type_mean": "Core mean, same unit type",
    "evidence": "Evidence", "value": "Value", "df": "df", "reading": "Reading",
    "observed_share": "Share, last period", "steady_state_share": "Steady-state share",
    "mfpt_to_green": "Mean periods to green", "indirect_sent": "Indirect effect sent",
    "received_from_other_groups": "Received from other groups", "on": "Computed on",
    "llf": "Log-likelihood", "aic": "AIC", "bic": "BIC", "logL": "Log-likelihood",
    # convergence and distribution dynamics
    "beta": "β", "speed": "Speed (per year)", "half_life": "Half-life (years)",
    "start": "Start", "end": "End", "direction": "Direction",
    "sd_log_first": "SD of log, first period", "sd_log_last": "SD of log, last period",
    "sd_log_change": "SD of log, change", "relative": "Relative to", "bandwidth": "Bandwidth",
    "mode": "Mode", "peaks": "Peaks", "class": "Class", "upper_bound": "Upper bound",
    "share_first": "Share, first period", "share_last": "Share, last period",
    "steady_state": "Steady-state share", "units": "Units", "cells": "Cells", "Q": "Q",
    "Q_p_value": "Q p", "LR": "LR", "LR_p_value": "LR p", "dof": "df", "club": "Club",
    "b": "b (log t)",
    "factor": "Factor", "method": "Discretisation", "classes": "Classes", "q": "q",
    "p_value": "p", "factor_1": "Factor 1", "factor_2": "Factor 2", "q_1": "q, factor 1",
    "q_2": "q, factor 2", "interaction": "Interaction", "term": "Term",
    "gwr_bandwidth": "GWR bandwidth (neighbours)", "mgwr_bandwidth": "MGWR bandwidth (neighbours)",
    "share_of_units": "Bandwidth / units", "min": "Min", "max": "Max",
}
_SUFFIX_EN = {"_std_error": " SE", "_p_value": " p", "_lower": ", 95% lower",
              "_upper": ", 95% upper",
              "_change": " change", "_share": " share"}


def english_headers(frame: pd.DataFrame, indicators: dict) -> pd.DataFrame:
    """A copy of ``frame`` whose headers are words (``core_mean`` -> "Core mean"; an
    indicator's column -> its label); the cells are untouched."""
    def header(col: str) -> str:
        if col == "statistic":
            return statistic_label(frame)
        if col in HEADERS_EN:
            return HEADERS_EN[col]
        if col in indicators:
            return indicators[col]
        for suffix, word in _SUFFIX_EN.items():
            if col.endswith(suffix) and len(col) > len(suffix):
                return header(col[: -len(suffix)]) + word
        return col

    out = frame.copy()
    out.columns = [header(str(c)) for c in out.columns]
    return out


def _header(col: str, indicators: dict) -> str:
    if col in HEADERS_ZH:
        return HEADERS_ZH[col]
    if col in indicators:
        return indicators[col]
    for suffix, word in _SUFFIX.items():
        if col.endswith(suffix):
            base = col[: -len(suffix)]
            words = _header(base, indicators) if base else base
            # only a known code takes the suffix's word: "x_share" of an unknown x (or a
            # model's label) is a name, shown as it is
            return words + word if words != base else col
    return col


def _unit_type(value):
    """``district+county`` (a unit merged from two types) -> 市辖区+县."""
    if not isinstance(value, str):
        return value
    return "+".join(VALUES_ZH.get(part, part) for part in value.split("+"))


def _verdict(text):
    if not isinstance(text, str):
        return text
    out = text
    for en, zh in _VERDICT.items():
        out = out.replace(en, zh)
    out = re.sub(r"no significant trend \(p ([=<]) ([^)]*)\)", r"无显著趋势（p \1 \2）", out)
    return (out.replace(" (significant at 5%)", "（5%水平显著）")
            .replace(" (not significant)", "（不显著）")
            .replace(", two periods, no test", "，两期比较，未检验）").replace(" to ", "至")
            .replace(" from ", "（").replace("缩小 by ", "缩小").replace("扩大 by ", "扩大")
            .replace("no trend (fewer than 3 numeric periods)", "无趋势（数值期数少于3）")
            .replace("no trend (fewer than 3 periods)", "无趋势（期数少于3）"))


_EVIDENCE = (("posterior model probability (LeSage; equal priors)",
              "后验模型概率（LeSage；等先验）"),
             ("LR against", "LR检验，对照"), ("theta + rho*beta = 0", "θ + ρβ = 0"),
             ("theta = 0", "θ = 0"))


def _evidence(text):
    if not isinstance(text, str):
        return text
    if text == "lead":
        return "主导模型"
    for en, zh in _EVIDENCE:
        text = text.replace(en, zh)
    return text


def _reading(text):
    if not isinstance(text, str):
        return text
    for en, zh in _READING:
        text = text.replace(en, zh)
    return text


def localise(frame: pd.DataFrame, indicators: dict, vocab=None) -> pd.DataFrame:
    """A Chinese display copy of ``frame`` (``indicators``: column -> Chinese label;
    ``vocab``: a :class:`~spatialflow.report.vocabulary.Vocabulary` for variables,
    parameters, statistics and settings)."""
    from .vocabulary import SETTINGS_ZH, Vocabulary

    vocab = vocab if vocab is not None else Vocabulary("zh")
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(vocab.setting)   # yes / no -> 是 / 否

    def names(v):
        if isinstance(v, str):
            return REGION_ZH.get(v, VALUES_ZH.get(v, v))
        return v

    for col in out.columns:
        if out[col].dtype != object and not pd.api.types.is_string_dtype(out[col]):
            continue
        if col in _GROUP_COLUMNS or col == "neighbours":
            out[col] = out[col].map(names)
        elif col in ("indicator", "factor", "factor_1", "factor_2", "term"):
            out[col] = out[col].map(lambda v: indicators.get(v, VALUES_ZH.get(v, v)))
        elif col in ("verdict",):
            out[col] = out[col].map(_verdict)
        elif col == "reading":
            out[col] = out[col].map(_reading)
        elif col == "evidence":
            out[col] = out[col].map(_evidence)
        elif col in ("variable", "parameter"):
            out[col] = out[col].map(vocab.term)
        elif col == "outcome":
            out[col] = out[col].map(vocab.var)
        elif col == "unit_type":
            out[col] = out[col].map(_unit_type)
        else:
            values = set(v for v in out[col].dropna().unique() if v != "")
            if values and values <= set(VALUES_ZH) | {"HH", "HL", "LH", "LL"}:
                out[col] = out[col].map(lambda v: VALUES_ZH.get(v, v))
            elif values and values <= set(SETTINGS_ZH) | {True, False}:
                out[col] = out[col].map(vocab.setting)   # panel effects, bias correction
            elif values and all(isinstance(v, str) for v in values):
                # a comparison's cells: settings rows (twoway, lee-yu, yes) among numbers
                out[col] = out[col].map(lambda v: SETTINGS_ZH.get(v, v))
    out.columns = [statistic_label(frame) + "值" if c == "statistic"
                   else _header(str(c), indicators) for c in out.columns]
    return out


def statistic_label(frame: pd.DataFrame) -> str:
    """The printed name of a frame's ``statistic`` column: ``frame.attrs["statistic"]``
    (``"t"`` for the log t test's HAC t) or ``"z"`` (effects, blocks, Wald z)."""
    return str(frame.attrs.get("statistic", "z"))
