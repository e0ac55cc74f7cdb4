"""Readable views of wide result frames, for notebooks and teaching.

:func:`effects_view` turns the 18-column frame of LeSage--Pace effects
(:meth:`SpatialResults.effects`) into the table of an applied paper: one column each for the
direct, indirect and total effect, the estimate with significance stars and its standard
error in parentheses beneath. The wide frame stays available as ``.frame``.
"""
from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
from . import _stats as stats  # scipy.stats kernels without its 0.5 s import

from .exceptions import InputError

__all__ = ["EffectsView", "effects_view", "stars"]

_PARTS = ("direct", "indirect", "total")
#: Significance thresholds of the stars, the economics convention.
STAR_LEVELS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))


def stars(p: float) -> str:
    """``***`` for p < 0.01, ``**`` for p < 0.05, ``*`` for p < 0.10, else ``""``."""
    if p is None or not np.isfinite(p):
        return ""
    for level, mark in STAR_LEVELS:
        if p < level:
            return mark
    return ""


def _fmt(x: float, digits: int) -> str:
    if x is None or not np.isfinite(x):
        return ""
    return f"{float(x):.{digits}f}"


class EffectsView:
    """A compact, paper-style view of an effects frame (see :func:`effects_view`).

    Attributes
    ----------
    frame : DataFrame
        The wide effects frame, unchanged (a copy).
    table : DataFrame
        The displayed strings: two rows per variable (estimate with stars; ``(SE)``),
        columns ``Direct``, ``Indirect``, ``Total``.
    """

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
        self.notes = self._notes()

    def _p(self, row: pd.Series, part: str) -> float:
        if f"{part}_p" in row.index:
            return float(row[f"{part}_p"])
        se = row.get(f"{part}_se", np.nan)
        if se is None or not np.isfinite(se) or se <= 0:
            return math.nan
        return float(2 * stats.norm.sf(abs(row[part] / se)))

    def _table(self) -> pd.DataFrame:
        rows, index = [], []
        has_se = any(f"{p}_se" in self.frame.columns for p in _PARTS)
        for name, row in self.frame.iterrows():
            rows.append([_fmt(row[p], self.digits) + stars(self._p(row, p)) for p in _PARTS])
            index.append(str(name))
            if has_se:
                rows.append([f"({_fmt(row.get(f'{p}_se', np.nan), self.digits)})"
                             if np.isfinite(row.get(f"{p}_se", np.nan)) else "" for p in _PARTS])
                index.append("")
        return pd.DataFrame(rows, index=pd.Index(index, name="variable"),
                            columns=["Direct", "Indirect", "Total"])

    def _notes(self) -> list[str]:
        notes = ["*** p<0.01, ** p<0.05, * p<0.1; standard errors in parentheses."]
        a = self.frame.attrs
        if a.get("method") == "simulation" and a.get("n_draws"):
            notes.append(f"Inference: {a['n_draws']} simulation draws of the parameters "
                         f"(seed {a.get('seed')}).")
        elif a.get("method"):
            notes.append(f"Inference: {a['method']} method.")
        notes.append("Direct: own-unit effect averaged over units; indirect: spillovers to and "
                     "from the other units; total = direct + indirect.")
        return notes

    # ---- renderers ----
    def as_text(self) -> str:
        """Fixed-width plain text."""
        t = self.table
        w0 = max([len("variable")] + [len(i) for i in t.index])
        widths = [max(len(c), *(len(v) for v in t[c])) for c in t.columns]
        line = "-" * (w0 + sum(w + 2 for w in widths))
        out = [self.title, line,
               "variable".ljust(w0) + "".join(c.rjust(w + 2) for c, w in zip(t.columns, widths)),
               line]
        for name, row in t.iterrows():
            out.append(name.ljust(w0) + "".join(v.rjust(w + 2) for v, w in zip(row, widths)))
        out.append(line)
        out += self.notes
        return "\n".join(out)

    def as_markdown(self) -> str:
        """A GitHub-flavoured Markdown pipe table with the notes beneath."""
        t = self.table
        out = [f"**{self.title}**", "", "| variable | Direct | Indirect | Total |",
               "|:--|--:|--:|--:|"]
        for name, row in t.iterrows():
            cells = [v.replace("*", r"\*") for v in row]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        out += [""] + [n.replace("*", r"\*") for n in self.notes]
        return "\n".join(out) + "\n"

    def as_html(self) -> str:
        """An HTML fragment sized to its content (not stretched to the page width)."""
        esc = html.escape
        style = ("<style>.sf-effects table{width:auto;border-collapse:collapse;margin:0}"
                 ".sf-effects th,.sf-effects td{padding:2px 10px;text-align:right;"
                 "font-variant-numeric:tabular-nums;white-space:nowrap}"
                 ".sf-effects th:first-child,.sf-effects td:first-child{text-align:left}"
                 ".sf-effects thead th{border-bottom:1px solid #444}"
                 ".sf-effects tbody tr.se td{color:#555;padding-bottom:6px}"
                 ".sf-effects caption{text-align:left;font-weight:bold;padding-bottom:4px}"
                 ".sf-effects p{font-size:85%;margin:2px 0;color:#444}</style>")
        head = "".join(f"<th>{esc(c)}</th>" for c in ["variable", *self.table.columns])
        body = []
        for name, row in self.table.iterrows():
            cls = ' class="se"' if name == "" else ""
            body.append(f"<tr{cls}><td>{esc(name)}</td>"
                        + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>")
        notes = "".join(f"<p>{esc(n)}</p>" for n in self.notes)
        return (f'<div class="sf-effects">{style}<table><caption>{esc(self.title)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
                f"{notes}</div>")

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()


def effects_view(frame: pd.DataFrame, *, digits: int = 3, title: str | None = None) -> EffectsView:
    """A readable view of an effects frame: direct / indirect / total with SEs and stars.

    Parameters
    ----------
    frame : DataFrame
        The wide frame of :meth:`SpatialResults.effects` (columns ``direct``, ``indirect``,
        ``total`` and, when present, ``*_se`` and ``*_p``; p-values are computed from
        :math:`z = \\hat e / \\mathrm{se}` when ``*_p`` is absent). Not modified.
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
    ...                       "direct_se": [0.1], "indirect_se": [0.2], "total_se": [0.25]},
    ...                      index=pd.Index(["x"], name="variable"))
    >>> print(effects_view(frame))
    Effects (LeSage-Pace)
    --------------------------------------
    variable    Direct  Indirect     Total
    --------------------------------------
    x         0.500***     0.250  0.750***
               (0.100)   (0.200)   (0.250)
    --------------------------------------
    *** p<0.01, ** p<0.05, * p<0.1; standard errors in parentheses.
    Direct: own-unit effect averaged over units; indirect: spillovers to and from the other units; total = direct + indirect.
    """
    return EffectsView(frame, digits=digits, title=title)
