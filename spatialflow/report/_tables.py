"""The report's ONE adapter to the package's table renderer (numbers and tables).

Every table of the report goes through :func:`render`; nothing else in ``report/`` formats
numbers or writes table markup, so switching the renderer is a change to this file only.
Until ``spatialflow._render`` lands, the cells use :func:`spatialflow.models.summary.format_number`
(the package's one number rule) and a small Markdown / LaTeX / HTML layout here.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..models.summary import format_number

__all__ = ["render", "format_value"]

Format = Literal["markdown", "latex", "html"]

_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}"}


def format_value(value) -> str:
    """One cell by the package's number rule (missing values blank)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value == 0.0:
        value = 0.0  # "-0.0000" would suggest a sign that is not there
    return format_number(value)


def _cells(df: pd.DataFrame, index: bool) -> tuple[list[str], list[list[str]], list[bool]]:
    header, columns, numeric = [], [], []
    if index:
        names = list(df.index.names)
        for level in range(df.index.nlevels):
            values = df.index.get_level_values(level)
            header.append("" if names[level] is None else str(names[level]))
            columns.append([format_value(v) for v in values])
            numeric.append(False)
    for col in df.columns:
        header.append(str(col))
        columns.append([format_value(v) for v in df[col].tolist()])
        numeric.append(pd.api.types.is_numeric_dtype(df[col].dtype)
                       and not pd.api.types.is_bool_dtype(df[col].dtype))
    rows = [list(r) for r in zip(*columns)] if columns else []
    return header, rows, numeric


def render(df: pd.DataFrame, fmt: Format, *, title: str | None = None,
           notes: Sequence[str] = (), index: bool = True, table_id: str | None = None) -> str:
    """Render ``df`` as a Markdown, LaTeX (booktabs) or HTML table with title and notes."""
    header, rows, numeric = _cells(df, index)
    if fmt == "markdown":
        esc = lambda s: s.replace("|", r"\|")  # noqa: E731
        out = [f"**{esc(title)}**", ""] if title else []
        out.append("| " + " | ".join(esc(h) for h in header) + " |")
        out.append("|" + "|".join("---:" if n else ":---" for n in numeric) + "|")
        out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
        out += [""] + [f"*{esc(n)}*  " for n in notes] if notes else []
        return "\n".join(out) + "\n"
    if fmt == "latex":
        esc = lambda s: "".join(_LATEX.get(ch, ch) for ch in s)  # noqa: E731
        spec = "".join("r" if n else "l" for n in numeric)
        out = [r"\begin{table}[htbp]", r"\centering"]
        if title:
            out.append(r"\caption{" + esc(title) + "}")
        out += [r"\begin{tabular}{" + spec + "}", r"\toprule",
                " & ".join(esc(h) for h in header) + r" \\", r"\midrule"]
        out += [" & ".join(esc(c) for c in r) + r" \\" for r in rows]
        out += [r"\bottomrule", r"\end{tabular}"]
        out += [r"\par\footnotesize " + esc(n) for n in notes]
        out.append(r"\end{table}")
        return "\n".join(out) + "\n"
    if fmt == "html":
        ident = f' id="{html.escape(table_id)}"' if table_id else ""
        out = [f'<table class="sf-table"{ident}>']
        if title:
            out.append(f"<caption>{html.escape(title)}</caption>")
        out.append("<thead><tr>" + "".join(
            f'<th class="{"num" if n else "txt"}">{html.escape(h)}</th>'
            for h, n in zip(header, numeric)) + "</tr></thead><tbody>")
        for r in rows:
            out.append("<tr>" + "".join(f'<td class="{"num" if n else "txt"}">'
                                        f"{html.escape(c)}</td>" for c, n in zip(r, numeric))
                       + "</tr>")
        out.append("</tbody></table>")
        out += [f'<p class="sf-note">{html.escape(n)}</p>' for n in notes]
        return "\n".join(out) + "\n"
    from ..exceptions import InputError
    raise InputError(f"table format must be 'markdown', 'latex' or 'html'; {fmt!r} was given.")
