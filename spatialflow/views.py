"""Readable views of wide result frames, for notebooks and teaching.

:func:`effects_view` turns the 18-column frame of LeSage--Pace effects
(:meth:`SpatialResults.effects`) into the table of an applied paper: one column each for the
direct, indirect and total effect, the estimate with significance stars and its standard
error in parentheses beneath. The wide frame stays available as ``.frame``.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import _stats as stats  # scipy.stats kernels without its 0.5 s import
from ._render import STAR_LEVELS, Block, Renderable, format_fixed, significance_stars
from .exceptions import InputError

__all__ = ["EffectsView", "effects_view", "stars"]

_PARTS = ("direct", "indirect", "total")
_HEADER = ("variable", "Direct", "Indirect", "Total")

#: ``***`` for p < 0.01, ``**`` for p < 0.05, ``*`` for p < 0.10 (the package's one rule,
#: :func:`spatialflow._render.significance_stars`; thresholds in ``STAR_LEVELS``).
stars = significance_stars


class EffectsView(Renderable):
    """A compact, paper-style view of an effects frame (see :func:`effects_view`).

    Rendered by the package's one table renderer (:mod:`spatialflow._render`): ``as_text``,
    ``as_markdown``, ``as_latex``, ``as_html`` and ``_repr_html_`` in notebooks.

    Attributes
    ----------
    frame : DataFrame
        The wide effects frame, unchanged (a copy).
    table : DataFrame
        The displayed strings: two rows per variable (estimate with stars; ``(SE)``),
        columns ``Direct``, ``Indirect``, ``Total``.
    """

    _css_class = "spatialflow-effects"

    def __init__(self, frame: pd.DataFrame, *, digits: int = 3, title: str | None = None):
        missing = [c for c in _PARTS if c not in frame.columns]
        if missing:
            raise InputError(f"an effects frame needs the columns {list(_PARTS)} (as returned by "
                             f"SpatialResults.effects()); missing {missing}; columns given: "
                             f"{list(frame.columns)}.")
        if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
            raise InputError(f"digits must be an integer in 0..10; {digits!r} was given.")
        self.frame = frame.copy()
        self.digits = digits
        kind = frame.attrs.get("kind")
        self.title = title or (f"Effects of the {kind} model (LeSage-Pace)" if kind
                               else "Effects (LeSage-Pace)")
        self.table = self._table()
        self.notes = tuple(self._notes())
        self._blocks = (self._block(),)

    def _p(self, row: pd.Series, part: str) -> float:
        if f"{part}_p_value" in row.index:
            return float(row[f"{part}_p_value"])
        se = row.get(f"{part}_std_error", np.nan)
        if se is None or not np.isfinite(se) or se <= 0:
            return math.nan
        return float(2 * stats.norm.sf(abs(row[part] / se)))

    def _table(self) -> pd.DataFrame:
        rows, index = [], []
        has_se = any(f"{p}_std_error" in self.frame.columns for p in _PARTS)
        for name, row in self.frame.iterrows():
            rows.append([format_fixed(row[p], self.digits) + stars(self._p(row, p))
                         if np.isfinite(row[p]) else "" for p in _PARTS])
            index.append(str(name))
            if has_se:
                rows.append([f"({format_fixed(row.get(f'{p}_std_error', np.nan), self.digits)})"
                             if np.isfinite(row.get(f"{p}_std_error", np.nan)) else ""
                             for p in _PARTS])
                index.append("")
        return pd.DataFrame(rows, index=pd.Index(index, name="variable"),
                            columns=["Direct", "Indirect", "Total"])

    def _notes(self) -> list[str]:
        notes = ["Significance: " + ", ".join(f"{mark} p < {level:.2f}"
                                              for level, mark in STAR_LEVELS)
                 + "; standard errors in parentheses."]
        a = self.frame.attrs
        if a.get("method") == "simulation" and a.get("n_draws"):
            notes.append(f"Inference: {a['n_draws']} simulation draws of the parameters "
                         f"(seed {a.get('seed')}).")
        elif a.get("method"):
            notes.append(f"Inference: {a['method']} method.")
        notes.append("Direct: own-unit effect averaged over units; indirect: spillovers to and "
                     "from the other units; total = direct + indirect.")
        return notes

    def _block(self) -> Block:
        """The table as one block of the package renderer: estimate rows and (SE) rows."""
        rows = tuple((name, *row) for name, row in zip(self.table.index, self.table.to_numpy()))
        se_rows = [i for i, name in enumerate(self.table.index) if name == ""]
        # a rule under each variable's (SE) row except the last groups estimate with its SE
        rules = tuple(i for i in se_rows[:-1])
        return Block(title="", columns=_HEADER, rows=rows, rules_after=rules)

    def __repr__(self) -> str:
        return self.as_text()


def effects_view(frame: pd.DataFrame, *, digits: int = 3, title: str | None = None) -> EffectsView:
    """A readable view of an effects frame: direct / indirect / total with SEs and stars.

    Parameters
    ----------
    frame : DataFrame
        The wide frame of :meth:`SpatialResults.effects` (columns ``direct``, ``indirect``,
        ``total`` and, when present, ``*_std_error`` and ``*_p_value``; p-values are
        computed from :math:`z = \\hat e / \\mathrm{se}` when ``*_p_value`` is absent).
        Not modified.
    digits : int
        Decimals shown.
    title : str, optional
        Caption (default names the model kind when the frame records it).

    Returns
    -------
    EffectsView
        Renders as HTML in notebooks, as a fixed-width table in ``print``; ``.frame`` is the
        wide frame, ``.table`` the displayed strings.

    Examples
    --------
    >>> import pandas as pd
    >>> from spatialflow.views import effects_view
    >>> frame = pd.DataFrame({"direct": [0.5], "indirect": [0.25], "total": [0.75],
    ...                       "direct_std_error": [0.1], "indirect_std_error": [0.2],
    ...                       "total_std_error": [0.25]},
    ...                      index=pd.Index(["x"], name="variable"))
    >>> print(effects_view(frame))  # doctest: +NORMALIZE_WHITESPACE
             Effects (LeSage-Pace)
    ========================================
    variable     Direct  Indirect      Total
    ----------------------------------------
    x          0.500***    0.250    0.750***
              (0.100)     (0.200)  (0.250)
    ========================================
    Significance: *** p < 0.01, ** p < 0.05, * p < 0.10; standard errors in parentheses.
    Direct: own-unit effect averaged over units; indirect: spillovers to and from the other units; total = direct + indirect.
    """
    return EffectsView(frame, digits=digits, title=title)
