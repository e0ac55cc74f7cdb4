"""The words a reader sees for the report's codes: variables, weights, models, statistics.

A Chinese report shows every model, weights matrix, variable, statistic and setting in
Chinese (issue 20): ``"SDM · queen · urban_rate"`` reads ``"SDM · 后相邻 · 城镇化率"``,
``W_schooling_years`` reads ``"W·平均受教育年限"``, ``twoway`` reads "双向固定效应". Model
kinds (SAR, SDM, ...), statistics' abbreviations (AIC, LR) and proper names stay as they
are: they are how the Chinese literature writes them too.

A variable's words come, in this order, from the caller's ``labels=`` mapping, the report's
indicators, :data:`~spatialflow.report.DEFAULT_INDICATORS`, else the code itself (a code
the report cannot translate is shown as it is, never guessed).
"""
from __future__ import annotations

from collections.abc import Mapping

from ..exceptions import InputError

__all__ = ["Vocabulary", "WEIGHTS_ZH", "TERMS_ZH", "SETTINGS_ZH", "check_labels"]

# Weights kinds (spatialflow.weights.build) as the Chinese literature names them.
WEIGHTS_ZH = {"queen": "后相邻", "rook": "车相邻", "knn": "K近邻", "distance_band": "距离阈值",
              "inverse_distance": "反距离", "economic": "经济距离", "nested": "经济地理嵌套",
              "flow": "流量"}
# Parameters and statistics that are not variables.
TERMS_ZH = {"Intercept": "常数项", "const": "常数项", "rho": "ρ", "lambda": "λ",
            "sigma2": "σ²", "n": "单元数", "n (effective)": "有效观测数", "nobs": "观测数",
            "logL": "对数似然值", "llf": "对数似然值", "AIC": "AIC", "BIC": "BIC",
            "pseudo_r2": "伪R²", "pseudo R2": "伪R²", "panel effects": "面板效应",
            "bias correction": "偏误修正", "converged": "是否收敛", "T": "期数",
            "dependent variable": "被解释变量", "spatial parameter": "空间参数"}
# Settings shown as cell values (panel effects, bias correction, yes/no).
SETTINGS_ZH = {"twoway": "双向固定效应", "unit": "个体固定效应", "time": "时间固定效应",
               "random": "随机效应", "lee-yu": "Lee–Yu修正", "none": "无", "yes": "是",
               "no": "否", "rho": "ρ", "lambda": "λ"}
# The separator of the pipeline's model labels: "kind · weights · outcome".
MODEL_SEP = " · "
# Prefixes of a spatial lag's name (spatialflow.models.naming.LAG_PREFIX and W: forms).
_LAG_PREFIXES = ("W_", "W:")


def check_labels(labels) -> dict:
    """``labels=`` as ``{code: {"en": ..., "zh": ...}}``; a str value is the Chinese word
    (English keeps the code or the indicator's label)."""
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise InputError("labels must be a mapping variable -> label (a str, the Chinese "
                         f"label, or {{'en': ..., 'zh': ...}}); a {type(labels).__name__} "
                         "was given.")
    out = {}
    for key, value in labels.items():
        if isinstance(value, str):
            out[str(key)] = {"zh": value}
        elif isinstance(value, Mapping) and value and set(value) <= {"en", "zh"} and all(
                isinstance(v, str) for v in value.values()):
            out[str(key)] = dict(value)
        else:
            raise InputError(f"labels[{key!r}] must be a str or a mapping with keys 'en' "
                             f"and/or 'zh' and str values; {value!r} was given.")
    return out


class Vocabulary:
    """Codes to a reader's words in one language.

    Parameters
    ----------
    lang : {"en", "zh"}
    indicators : iterable of Indicator
        The report's indicators (their ``label`` / ``label_zh``).
    labels : mapping, optional
        Output of :func:`check_labels`: ``{code: {"en": ..., "zh": ...}}``.
    """

    def __init__(self, lang: str, indicators=(), labels: Mapping | None = None):
        from .indicators import DEFAULT_INDICATORS

        self.lang = lang
        self._labels = dict(labels or {})
        self._indicators = {i.column: i for i in DEFAULT_INDICATORS}
        self._indicators.update({i.column: i for i in indicators})

    def in_lang(self, lang: str) -> "Vocabulary":
        """The same words in another language (figures fall back to English without a
        Chinese font)."""
        out = Vocabulary.__new__(Vocabulary)
        out.lang, out._labels, out._indicators = lang, self._labels, self._indicators
        return out

    # ---------------------------------------------------------------- variables
    def var(self, name) -> str:
        """A variable's words; a spatial lag ``W_x`` reads ``W·<x's words>``."""
        name = str(name)
        own = self._labels.get(name, {}).get(self.lang)
        if own:
            return own
        if self.lang == "zh" and name in self._indicators:
            return self._indicators[name].text("zh")
        for prefix in _LAG_PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix):
                inner = name[len(prefix):]
                words = self.var(inner)
                if words != inner:
                    return f"W·{words}"
        return name

    def term(self, name) -> str:
        """A parameter or statistic: ``rho`` -> ρ, ``Intercept`` -> 常数项, else a variable."""
        if self.lang == "zh" and isinstance(name, str) and name in TERMS_ZH:
            return TERMS_ZH[name]
        return self.var(name) if isinstance(name, str) else name

    def setting(self, value):
        """A setting shown as a value (``twoway``, ``lee-yu``, yes/no, True/False)."""
        if self.lang != "zh":
            return value
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, str):
            return SETTINGS_ZH.get(value, value)
        return value

    # ---------------------------------------------------------------- models, weights
    def weights(self, name) -> str:
        name = str(name)
        own = self._labels.get(name, {}).get(self.lang)
        if own:
            return own
        return WEIGHTS_ZH.get(name, name) if self.lang == "zh" else name

    def model(self, label) -> str:
        """A model label ``"kind · weights · outcome"`` in words (any other label: its
        parts that are known codes translated, the rest as given)."""
        label = str(label)
        own = self._labels.get(label, {}).get(self.lang)
        if own or self.lang != "zh":
            return own or label
        parts = label.split(MODEL_SEP)
        if len(parts) == 1:
            return label
        out = [parts[0]]
        for part in parts[1:]:
            word = self.weights(part)
            out.append(word if word != part else self.var(part))
        return MODEL_SEP.join(out)

    def models(self, models: Mapping) -> dict:
        """``{words: result}``, or the labels as given when two would read the same."""
        words = {label: self.model(label) for label in models}
        if len(set(words.values())) < len(words):
            return {label: label for label in models}
        return words
