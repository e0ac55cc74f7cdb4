r"""Indicators of the report: which column, what it is called, its unit, which way is better,
and on which scale its values are measured.

The scale is declared, never guessed, because it decides which statistics mean anything:

========  ==========================================  =====================  ===========
scale     values                                      deficit_pct            Gini, Theil
========  ==========================================  =====================  ===========
level     amounts >= 0 with a true zero (yuan, ratio)  of the core's mean     on the values
share     proportions or percentages >= 0              of the core's mean     on the values
log       natural logarithms of a level (log TFP)     in levels (see below)  on exp(values)
index     an arbitrary zero (scores, net flows)       none                   none
========  ==========================================  =====================  ===========

For a log indicator with group means :math:`\bar x_g` (means of logs) and direction :math:`s`,
the deficit in levels is :math:`100\,(1 - e^{-s(\bar x_{core} - \bar x_g)})`: the group's
shortfall as a percent of the core's (geometric-mean) level. A difference of logs read as a
percent of the core's log mean would move whenever the core grows, with the gap unchanged.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..exceptions import InputError

__all__ = ["Indicator", "DEFAULT_INDICATORS", "as_indicators", "SCALES"]

#: The scales an indicator can declare (see the module docstring).
SCALES = ("level", "log", "index", "share")


@dataclass(frozen=True)
class Indicator:
    """One indicator of the report: a numeric column of the panel and how to read it.

    Parameters
    ----------
    column : str
        Column of the panel.
    higher_is_better : bool
        Required, never guessed: ``True`` for TFP or inflows, ``False`` for the urban-rural
        income ratio. It fixes the sign of every deficit, trend verdict and colour.
    label, label_zh : str, optional
        English and Chinese names (default: the column name; the English label when
        ``label_zh`` is missing).
    scale : {"level", "log", "index", "share"}
        Required, never guessed: how the values are measured (module docstring). It decides
        whether percentages, Gini and Theil are computed and on what (``log``: on
        :math:`e^x`; ``index``: not at all).
    unit, unit_zh : str, optional
        Unit shown on axes and in tables (e.g. ``"index"``, ``"ratio"``).

    Examples
    --------
    >>> Indicator("income_gap", higher_is_better=False, scale="level",
    ...           label="Urban-rural income ratio", label_zh="城乡收入比", unit="ratio").text("zh")
    '城乡收入比'
    """

    column: str
    higher_is_better: bool = field(kw_only=True)
    scale: str | None = field(default=None, kw_only=True)  # required: checked below
    label: str | None = field(default=None, kw_only=True)
    label_zh: str | None = field(default=None, kw_only=True)
    unit: str = field(default="", kw_only=True)
    unit_zh: str | None = field(default=None, kw_only=True)

    def __post_init__(self):
        if not isinstance(self.column, str) or not self.column:
            raise InputError(f"Indicator.column must be a non-empty column name; "
                             f"{self.column!r} was given.")
        # bool only: 0/1 or "yes" would be a guess about the user's intent.
        if not isinstance(self.higher_is_better, bool):
            raise InputError(
                f"Indicator {self.column!r}: higher_is_better must be True or False (declared, "
                f"never guessed); {self.higher_is_better!r} was given.")
        if self.scale not in SCALES:
            what = "is missing" if self.scale is None else f"is {self.scale!r}"
            raise InputError(
                f"Indicator {self.column!r}: scale {what}; declare one of {list(SCALES)} "
                "(level: amounts >= 0 with a true zero; log: natural logs of a level, e.g. "
                "log TFP; index: an arbitrary zero, e.g. a score or net flow; share: a "
                "proportion or percentage). It is never guessed.")

    @property
    def has_percent(self) -> bool:
        """Whether a deficit in percent of the core means anything (not for an index)."""
        return self.scale != "index"

    @property
    def has_inequality(self) -> bool:
        """Whether Gini / Theil / coefficients of variation mean anything (not for an index)."""
        return self.scale != "index"

    def levels(self, values):
        """The values on which inequality is measured: :math:`e^x` for a log indicator,
        the values themselves otherwise."""
        import numpy as np

        return np.exp(values) if self.scale == "log" else values

    @property
    def direction(self) -> int:
        """+1 when higher is better, -1 when lower is better."""
        return 1 if self.higher_is_better else -1

    def text(self, lang: str = "en") -> str:
        """The indicator's name in ``lang`` ("en" or "zh")."""
        if lang == "zh" and self.label_zh:
            return self.label_zh
        return self.label or self.column

    def unit_text(self, lang: str = "en") -> str:
        """The unit in ``lang``."""
        if lang == "zh" and self.unit_zh:
            return self.unit_zh
        return self.unit


#: Indicators for the columns of :func:`spatialflow.datasets.synthetic_panel`.
DEFAULT_INDICATORS: tuple[Indicator, ...] = (
    Indicator("tfp", higher_is_better=True, scale="log", label="TFP",
              label_zh="全要素生产率", unit="log index", unit_zh="对数指数"),
    Indicator("income_gap", higher_is_better=False, scale="level",
              label="Urban-rural income ratio",
              label_zh="城乡收入比", unit="ratio", unit_zh="比值"),
    Indicator("labour_flow", higher_is_better=True, scale="index", label="Labour flow index",
              label_zh="劳动力流动指数", unit="index", unit_zh="指数"),
    Indicator("capital_flow", higher_is_better=True, scale="index", label="Capital flow index",
              label_zh="资本流动指数", unit="index", unit_zh="指数"),
    Indicator("land_flow", higher_is_better=True, scale="index", label="Land flow index",
              label_zh="土地流动指数", unit="index", unit_zh="指数"),
    Indicator("technology_flow", higher_is_better=True, scale="index",
              label="Technology flow index",
              label_zh="技术流动指数", unit="index", unit_zh="指数"),
)


def as_indicators(indicators) -> list[Indicator]:
    """Normalise ``indicators`` (a sequence of :class:`Indicator` or a mapping name ->
    Indicator) to a list, rejecting duplicates and anything else."""
    if isinstance(indicators, Indicator):
        indicators = [indicators]
    if isinstance(indicators, Mapping):
        items = list(indicators.values())
    elif isinstance(indicators, Sequence) and not isinstance(indicators, str):
        items = list(indicators)
    else:
        raise InputError("indicators must be a list of Indicator objects or a dict name -> "
                         f"Indicator; a {type(indicators).__name__} was given.")
    if not items:
        raise InputError("indicators is empty: name at least one Indicator.")
    bad = [repr(i) for i in items if not isinstance(i, Indicator)]
    if bad:
        raise InputError(
            "every indicator must be a spatialflow.report.Indicator (which declares "
            f"higher_is_better); got {', '.join(bad[:5])}.")
    columns = [i.column for i in items]
    dup = sorted({c for c in columns if columns.count(c) > 1})
    if dup:
        raise InputError(f"indicators name the same column twice: {dup}.")
    return items
