"""The report's ONE adapter to the package's table renderer (:mod:`spatialflow._render`).

Every table of the report goes through :func:`render` (Markdown, LaTeX or HTML through
:func:`spatialflow._render.render_frame`, one shared number format per column) and every
number written into a sentence or a cell by hand through :func:`format_value`
(:func:`spatialflow._render.format_number`). Nothing else in ``report/`` formats numbers or
writes table markup.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .._render import format_number, format_pvalue, render_frame

__all__ = ["render", "format_value", "format_p"]

Format = Literal["markdown", "latex", "html"]

def format_value(value) -> str:
    """One number by the package's rule (missing values blank, no "-0")."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value == 0.0:
        value = 0.0
    return format_number(value)


def _is_pvalue_column(name) -> bool:
    name = str(name)
    return (name in ("p_value", "p_sim", "p", "p值", "伪p值", "Pseudo p")
            or name.endswith("_p_value")
            or name.endswith(" p值") or name.endswith(" p"))


# The package's one p-value format (3 decimals, "<0.001"), under the report's name.
format_p = format_pvalue


def render(df: pd.DataFrame, fmt: Format, *, title: str | None = None,
           notes: Sequence[str] = (), index: bool = True) -> str:
    """Render ``df`` with the package's table renderer (p-value columns as p-values)."""
    frame = df.copy()
    for col in frame.columns:
        if pd.api.types.is_float_dtype(frame[col]):
            frame[col] = frame[col] + 0.0  # -0.0 + 0.0 == 0.0: no sign that is not there
    float_format = {c: format_p for c in frame.columns if _is_pvalue_column(c)
                    and pd.api.types.is_float_dtype(frame[c])}
    return render_frame(frame, fmt, title=title, notes=notes,
                        float_format=float_format or None, index=index)
