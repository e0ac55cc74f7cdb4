"""Number formatting and table rendering shared by summaries and reports (a leaf module).

Nothing here knows about models: it formats numbers and lays out tables of strings as plain
text, GitHub Markdown, LaTeX (``booktabs``) or HTML. :mod:`spatialflow.models.results.summary` builds
its blocks from results and renders them here; the report renders generic DataFrames with
:func:`render_frame`.

Number format, one cell (:func:`format_number`): magnitudes from 0.01 up to 1e6 with 4
decimals (``-1.0316``); non-zero magnitudes below 0.01 with 4 significant digits
(``0.0003912``; below 1e-4 in scientific notation, ``3.912e-05``); magnitudes at or above 1e6
in scientific notation with 4 decimals (``1.2346e+07``). P-values use 3 decimals and
``<0.001`` below 0.001 (:func:`format_pvalue`). Counts are integers; missing values are blank.

Number format, one column (:func:`format_column`): the cells of a column share one format,
so that ``0.004898`` never stands beside ``4.004e-05``: 4 decimals when every non-zero
magnitude is in [0.01, 1e6); otherwise fixed-point with enough decimals to give the smallest
non-zero magnitude 4 significant digits, when that is at most 6 decimals and nothing reaches
1e6; otherwise scientific notation with 4 significant digits for every cell.

Text tables count display width, not code points: a Chinese character (East Asian wide or
full-width, :func:`unicodedata.east_asian_width`) takes two columns of a terminal, so
``"广州市"`` is padded as six columns wide (:func:`display_width`).

This module is the package's ONE place for significance stars (:func:`significance_stars`),
number and p-value formats, LaTeX escaping (:func:`latex_escape`) and the table style sheet
(:data:`TABLE_CSS`): model summaries, :mod:`spatialflow.views`, ``weights.describe`` and the
report render through it.
"""
from __future__ import annotations

import html
import math
import re
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np
import pandas as pd

from .exceptions import InputError

__all__ = ["format_number", "format_pvalue", "p_text", "format_fixed", "significance_stars",
           "format_column", "display_width", "latex_escape", "render_frame", "render_blocks",
           "Block", "Renderable", "STAR_LEVELS", "STARS_NOTE", "TABLE_CSS", "TableFormat"]

TableFormat = Literal["text", "markdown", "latex", "html"]

# Thresholds of the significance stars, strictest first.
STAR_LEVELS: tuple[tuple[float, str], ...] = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
STARS_NOTE = "Significance: *** p < 0.01, ** p < 0.05, * p < 0.10."

_DECIMALS = 4
_SIGNIFICANT = 4  # significant digits of magnitudes below _FIXED_BELOW
_SCI_ABOVE = 1e6
_FIXED_BELOW = 0.01
# A column shown in fixed point may use up to this many decimals (0.001234 -> 6 decimals).
_MAX_COLUMN_DECIMALS = 6
# Trailing marks that follow a number in a cell (stars, the SE's closing parenthesis).
_SUFFIX = re.compile(r"^(.*?)([*)]*)$", re.DOTALL)
# U+2007 FIGURE SPACE pads Markdown cells: GFM trims ASCII spaces at the cell ends, not it.
_FIGURE_SPACE = "\u2007"

# LaTeX's special characters, and symbols the Latin Modern text fonts lack (typeset in math
# mode), so that a name such as "W_x", a note with "ρ ≤ 1" or a figure space compiles.
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "≤": r"$\le$", "≥": r"$\ge$", "→": r"$\to$", "←": r"$\leftarrow$", "×": r"$\times$",
    "−": r"$-$", "±": r"$\pm$", "≈": r"$\approx$", "≠": r"$\ne$", "·": r"$\cdot$",
    "θ": r"$\theta$", "ρ": r"$\rho$", "β": r"$\beta$", "λ": r"$\lambda$", "σ": r"$\sigma$",
    "χ": r"$\chi$", "μ": r"$\mu$", "α": r"$\alpha$", "Δ": r"$\Delta$", "⁻": r"$^{-}$",
    "¹": r"$^{1}$", "²": r"$^2$", "³": r"$^{3}$", "√": r"$\surd$", "∑": r"$\sum$",
    "∞": r"$\infty$", "\u2009": r"\,", "\u2007": "~",
}


# ---------------------------------------------------------------------------------------
# formatting helpers
# ---------------------------------------------------------------------------------------
def format_number(value: Any) -> str:
    """Format one cell value by the module's single number rule (see module docstring).

    Examples
    --------
    >>> [format_number(v) for v in (-1.03161574, 0.00039123, 3.9123e-05, 1.23456789e7, 0.0, 49)]
    ['-1.0316', '0.0003912', '3.912e-05', '1.2346e+07', '0.0000', '49']
    """
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        x = float(value)
        if not math.isfinite(x):
            return "" if math.isnan(x) else str(x)
        if abs(x) >= _SCI_ABOVE:
            return f"{x:.{_DECIMALS}e}"
        if x != 0.0 and abs(x) < _FIXED_BELOW:
            # '#' keeps trailing zeros, so every small value shows 4 significant digits;
            # 'g' switches to scientific notation below 1e-4.
            return f"{x:#.{_SIGNIFICANT}g}"
        return f"{x:.{_DECIMALS}f}"
    return str(value)


# P-values as papers print them: 3 decimals, and "<0.001" below 0.001 (never "0.0000").
_P_DECIMALS = 3
_P_FLOOR = 10.0 ** -_P_DECIMALS


def format_pvalue(p: float) -> str:
    """The package's ONE p-value format: 3 decimals, ``<0.001`` below 0.001, blank if
    missing (summary, effects, tests, compare and the report all use it).

    Examples
    --------
    >>> [format_pvalue(p) for p in (0.0, 0.00049, 0.001, 0.0123, 0.04999, 0.5, float("nan"))]
    ['<0.001', '<0.001', '0.001', '0.012', '0.050', '0.500', '']
    """
    if p is None or (isinstance(p, Real) and math.isnan(float(p))):
        return ""
    p = float(p)
    return f"<{_P_FLOOR:.{_P_DECIMALS}f}" if p < _P_FLOOR else f"{p:.{_P_DECIMALS}f}"


def p_text(p: float) -> str:
    """A p-value in running text: ``p = 0.012`` or ``p < 0.001`` (:func:`format_pvalue`)."""
    cell = format_pvalue(p)
    return f"p {cell[0]} {cell[1:]}" if cell.startswith("<") else f"p = {cell or 'nan'}"


def format_fixed(value: Any, digits: int) -> str:
    """``value`` with exactly ``digits`` decimals; blank when missing or not finite.

    >>> format_fixed(0.5, 3), format_fixed(float("nan"), 3)
    ('0.500', '')
    """
    if value is None or value is pd.NA:
        return ""
    x = float(value)
    if not math.isfinite(x):
        return ""
    return f"{x:.{int(digits)}f}"


def significance_stars(p: float) -> str:
    """Stars for a p-value: ``***`` if p < 0.01, ``**`` if p < 0.05, ``*`` if p < 0.10.

    Parameters
    ----------
    p : float
        Two-sided p-value; NaN gives no stars.

    Returns
    -------
    str

    Examples
    --------
    >>> [significance_stars(p) for p in (0.009, 0.04, 0.09, 0.2)]
    ['***', '**', '*', '']
    """
    if p is None or not math.isfinite(float(p)):
        return ""
    for threshold, stars in STAR_LEVELS:
        if p < threshold:
            return stars
    return ""


def format_column(values: Sequence[Any], *, pvalue: bool = False) -> list[str]:
    """Format the cells of one column with one shared number format (module docstring).

    Non-numbers (text, booleans, integers, None/NaN) are formatted one by one as in
    :func:`format_number`; the shared format is chosen from the finite floats only.
    ``pvalue=True`` formats every float as :func:`format_pvalue`.

    Examples
    --------
    >>> format_column([0.004898, 4.004e-05])
    ['4.898e-03', '4.004e-05']
    >>> format_column([1.25, 0.00123])
    ['1.250000', '0.001230']
    >>> format_column([1.25, -0.5, 12])
    ['1.2500', '-0.5000', '12']
    """
    values = list(values)
    if pvalue:
        return [format_pvalue(v) if _is_float(v) else format_number(v) for v in values]
    floats = [abs(float(v)) for v in values if _is_float(v) and math.isfinite(float(v))]
    nonzero = [x for x in floats if x != 0.0]
    if not nonzero or (min(nonzero) >= _FIXED_BELOW and max(nonzero) < _SCI_ABOVE):
        spec = f".{_DECIMALS}f"
    else:
        smallest, largest = min(nonzero), max(nonzero)
        # decimals that show `smallest` with _SIGNIFICANT significant digits
        decimals = max(_DECIMALS, _SIGNIFICANT - 1 - math.floor(math.log10(smallest)))
        if largest < _SCI_ABOVE and decimals <= _MAX_COLUMN_DECIMALS:
            spec = f".{decimals}f"
        else:
            spec = f".{_SIGNIFICANT - 1}e"
    out = []
    for v in values:
        if _is_float(v) and math.isfinite(float(v)):
            out.append(format(float(v), spec))
        else:
            out.append(format_number(v))
    return out


def _is_float(value: Any) -> bool:
    return (isinstance(value, Real) and not isinstance(value, (Integral, bool, np.bool_)))


def display_width(text: str) -> int:
    """Columns that ``text`` takes in a terminal: East Asian wide/full-width characters
    count two, combining marks zero, everything else one.

    >>> display_width("广州市"), display_width("abc")
    (6, 3)
    """
    width = 0
    for ch in str(text):
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _ljust(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def _rjust(text: str, width: int) -> str:
    return " " * max(width - display_width(text), 0) + text


def _center(text: str, width: int) -> str:
    spare = max(width - display_width(text), 0)
    left = spare // 2
    return " " * left + text + " " * (spare - left)


def latex_escape(text: Any) -> str:
    r"""LaTeX-escape ``text``: the special characters, and symbols outside the text fonts
    in math mode.

    >>> print(latex_escape("W_x & 5% (ρ ≤ 1)"))
    W\_x \& 5\% ($\rho$ $\le$ 1)
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


_latex_escape = latex_escape


def _markdown_escape(text: str) -> str:
    return text.replace("|", r"\|")


def _is_number_cell(text: str) -> bool:
    """Right-align cells that look numeric (incl. ``(0.1234)``, starred values and the
    p-value floor ``<0.001``)."""
    core = text.strip("()*").removeprefix("<")
    try:
        float(core)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------
# a renderable block: title, header row, string rows, rules, notes
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """One table already formatted as strings; renderers only lay it out."""

    title: str
    columns: tuple[str, ...]  # header cells, first one labels the row-label column
    rows: tuple[tuple[str, ...], ...]
    rules_after: tuple[int, ...] = ()  # draw a thin rule after these row positions
    show_header: bool = True
    stretch: int = 0  # in text, the column that absorbs spare width
    text_rows: tuple[int, ...] = ()  # rows of labels (e.g. panel effects) that never decide alignment
    label_columns: tuple[int, ...] = (0,)  # columns of row labels (HTML <th scope="row">)
    # Markdown needs a header row: a block without one whose rows are label/value pairs side
    # by side is rendered there as a two-column key/value table under this header.
    kv_header: tuple[str, str] | None = None

    def alignments(self) -> list[str]:
        """'l' for the label columns and for text columns, 'r' for numeric columns."""
        aligns = []
        for j in range(len(self.columns)):
            if j in self.label_columns:
                aligns.append("l")
                continue
            cells = [row[j] for i, row in enumerate(self.rows)
                     if row[j] and i not in self.text_rows]
            numeric = bool(cells) and all(_is_number_cell(c) for c in cells)
            aligns.append("r" if numeric else "l")
        return aligns

    def split_cells(self) -> list[list[tuple[str, str | None]]]:
        """Each cell as ``(number, suffix)`` in numeric columns, ``(text, None)`` elsewhere.

        The suffix (stars, closing parenthesis) is left-justified to the widest suffix of its
        column, so right-aligned numbers with and without stars share the decimal point.
        """
        aligns = self.alignments()
        width = [0] * len(self.columns)
        for i, row in enumerate(self.rows):
            for j, cell in enumerate(row):
                if aligns[j] == "r" and i not in self.text_rows and _is_number_cell(cell):
                    width[j] = max(width[j], len(_SUFFIX.match(cell).group(2)))
        out = []
        for i, row in enumerate(self.rows):
            cells: list[tuple[str, str | None]] = []
            for j, cell in enumerate(row):
                if width[j] and i not in self.text_rows and _is_number_cell(cell):
                    core, suffix = _SUFFIX.match(cell).groups()
                    cells.append((core, suffix.ljust(width[j])))
                elif width[j]:
                    # blank or text cell in a starred column: an empty slot keeps it aligned
                    cells.append((cell, "" if i in self.text_rows else " " * width[j]))
                else:
                    cells.append((cell, None))
            out.append(cells)
        return out

    def kv_pairs(self) -> list[tuple[str, str]]:
        """The label/value pairs of a side-by-side block, column group by column group."""
        pairs = []
        for j in range(0, len(self.columns) - 1, 2):
            pairs += [(row[j], row[j + 1]) for row in self.rows if row[j]]
        return pairs


def _joined(cells: Sequence[tuple[str, str | None]], pad: str = " ") -> list[str]:
    return [core + ("" if suffix is None else suffix.replace(" ", pad)) for core, suffix in cells]


def _wrap(text: str, width: int) -> list[str]:
    if display_width(text) != len(text):
        # textwrap counts code points: wrap wide (Chinese) text by display width instead
        lines, line = [], ""
        for ch in text:
            if display_width(line + ch) > max(width, 40):
                lines.append(line.rstrip())
                line = ch.lstrip()
            else:
                line += ch
        return lines + [line] if line else lines or [""]
    return textwrap.wrap(text, width=max(width, 40)) or [""]


def _text(blocks: Sequence[Block], title: str, notes: Sequence[str],
          warnings: Sequence[str] = ()) -> str:
    padded = [[_joined(cells) for cells in block.split_cells()] for block in blocks]
    widths_all = []
    for block, rows in zip(blocks, padded):
        cells = ([block.columns] if block.show_header else []) + rows
        widths = [max(display_width(r[j]) for r in cells) for j in range(len(block.columns))]
        widths_all.append(widths)
    total = max(sum(w) + 2 * (len(w) - 1) for w in widths_all)
    total = max(total, display_width(title))
    out = ([_center(title, total).rstrip()] if title else []) + ["=" * total]
    for warning in warnings:
        out += _wrap(f"NOTE: {warning}", total) + ["=" * total]
    for block, rows, widths in zip(blocks, padded, widths_all):
        aligns = block.alignments()
        # Spread spare width over the gaps so every block spans the same rule length.
        spare = total - (sum(widths) + 2 * (len(widths) - 1))
        widths = list(widths)
        widths[block.stretch] += spare

        def line(row: Sequence[str]) -> str:
            parts = [
                _ljust(cell, w) if a == "l" else _rjust(cell, w)
                for cell, w, a in zip(row, widths, aligns)
            ]
            return "  ".join(parts).rstrip()

        if block.title:
            out.append(block.title)
            out.append("-" * total)
        if block.show_header:
            out.append(line(block.columns))
            out.append("-" * total)
        for i, row in enumerate(rows):
            out.append(line(row))
            if i in block.rules_after:
                out.append("-" * total)
        out.append("=" * total)
    out.extend(notes)
    return "\n".join(out)


def _markdown(blocks: Sequence[Block], title: str, notes: Sequence[str],
              warnings: Sequence[str] = ()) -> str:
    out = [f"**{_markdown_escape(title)}**", ""] if title else []
    for warning in warnings:
        out += [f"> **{_markdown_escape(warning)}**", ""]
    for block in blocks:
        if block.title:
            out += [f"*{_markdown_escape(block.title)}*", ""]
        if not block.show_header and block.kv_header is not None:
            out.append("| " + " | ".join(_markdown_escape(c) for c in block.kv_header) + " |")
            out.append("|:---|:---|")
            for label, value in block.kv_pairs():
                out.append(f"| {_markdown_escape(label)} | {_markdown_escape(value)} |")
            out.append("")
            continue
        aligns = block.alignments()
        header = block.columns if block.show_header else tuple("" for _ in block.columns)
        out.append("| " + " | ".join(_markdown_escape(c) for c in header) + " |")
        out.append("|" + "|".join(":---" if a == "l" else "---:" for a in aligns) + "|")
        for cells in block.split_cells():
            row = _joined(cells, pad=_FIGURE_SPACE)
            out.append("| " + " | ".join(_markdown_escape(c) for c in row) + " |")
        out.append("")
    out += [_markdown_escape(n) for n in notes]
    return "\n".join(out).rstrip() + "\n"


def _latex(blocks: Sequence[Block], title: str, notes: Sequence[str],
           warnings: Sequence[str] = ()) -> str:
    out = [r"% requires \usepackage{booktabs}", r"\begin{center}"]
    if title:
        out.append(r"\textbf{" + _latex_escape(title) + r"}\\[0.5ex]")
    for warning in warnings:
        out.append(r"\textbf{" + _latex_escape(warning) + r"}\\[0.5ex]")
    for block in blocks:
        ncol = len(block.columns)
        out.append(r"\begin{tabular}{" + "".join(block.alignments()) + "}")
        out.append(r"\toprule")
        if block.title:
            out.append(
                r"\multicolumn{" + str(ncol) + r"}{c}{" + _latex_escape(block.title) + r"} \\"
            )
            out.append(r"\midrule")
        if block.show_header:
            out.append(" & ".join(_latex_escape(c) for c in block.columns) + r" \\")
            out.append(r"\midrule")
        for i, cells in enumerate(block.split_cells()):
            # \phantom reserves the width of the missing stars: decimal points line up.
            row = [_latex_escape(core) if suffix is None else
                   _latex_escape(core) + _latex_escape(suffix.rstrip())
                   + (r"\phantom{" + "*" * (len(suffix) - len(suffix.rstrip())) + "}"
                      if suffix.rstrip() != suffix else "")
                   for core, suffix in cells]
            out.append(" & ".join(row) + r" \\")
            if i in block.rules_after:
                out.append(r"\midrule")
        out.append(r"\bottomrule")
        out.append(r"\end{tabular}\\[1ex]")
    for note in notes:
        out.append(r"{\footnotesize " + _latex_escape(note) + r"}\\")
    out.append(r"\end{center}")
    return "\n".join(out) + "\n"


# Scoped to the summary's own class: a notebook's or page's other tables are not touched.
# Every table of one summary spans the width of the widest (a shrink-to-fit div, tables at
# 100% of it); notes get zero width with a 100% minimum, so long notes wrap instead of
# widening the tables. JupyterLab (.jp-RenderedHTMLCommon table) and the classic notebook
# (.rendered_html table) give tables `table-layout: fixed` and auto side margins, which make
# a 100%-wide table fill the whole output area: the layout and margins are reset here with
# a selector of higher specificity (.sf-summary table.sf-table) so the tables stay compact.
TABLE_CSS = """<style>
.sf-summary {display: inline-block; width: fit-content; max-width: 100%; font-size: 13px;
  line-height: 1.35}
.sf-summary h4 {margin: 0.2em 0 0.4em 0; text-align: center}
.sf-summary table.sf-table {border-collapse: collapse; table-layout: auto; width: 100%;
  max-width: none; margin: 0 0 0.8em 0; border-top: 2px solid #222;
  border-bottom: 2px solid #222}
.sf-summary table caption {caption-side: top; text-align: left; font-weight: bold;
  padding: 2px 8px}
.sf-summary table td, .sf-summary table th {padding: 2px 8px; vertical-align: top;
  border: none; background: none}
.sf-summary table th {text-align: left; font-weight: normal; white-space: nowrap}
.sf-summary table thead th {font-weight: bold; border-bottom: 1px solid #222}
.sf-summary table .num {text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap}
.sf-summary table .txt {text-align: left}
.sf-summary table tr.sf-rule td, .sf-summary table tr.sf-rule th {border-bottom: 1px solid #777}
.sf-summary .sfx {display: inline-block; text-align: left}
.sf-summary .sf-note {margin: 0.15em 0; font-size: 90%}
.sf-summary .sf-synthetic {margin: 0.3em 0 0.6em 0; padding: 4px 8px; font-weight: bold;
  color: #8a1c00; border: 1px solid #8a1c00; background: #fff4ef}
.sf-summary .sf-note, .sf-summary .sf-synthetic {width: 0; min-width: calc(100% - 18px)}
</style>"""
_HTML_STYLE = TABLE_CSS


def _html(blocks: Sequence[Block], title: str, notes: Sequence[str], css_class: str,
          warnings: Sequence[str] = ()) -> str:
    esc = html.escape
    out = [f'<div class="sf-summary {css_class}">', TABLE_CSS]
    if title:
        out.append(f"<h4>{esc(title)}</h4>")
    for warning in warnings:
        out.append(f'<p class="sf-synthetic" role="note">{esc(warning)}</p>')
    for block in blocks:
        aligns = block.alignments()
        kinds = ["num" if a == "r" else "txt" for a in aligns]
        out.append('<table class="sf-table">')
        if block.title:
            out.append(f"<caption>{esc(block.title)}</caption>")
        if block.show_header:
            out.append("<thead><tr>" + "".join(
                f'<th scope="col" class="{k}">{esc(c)}</th>' for c, k in zip(block.columns, kinds)
            ) + "</tr></thead>")
        out.append("<tbody>")
        for i, cells in enumerate(block.split_cells()):
            parts = []
            for j, (core, suffix) in enumerate(cells):
                if j in block.label_columns:
                    parts.append(f'<th scope="row">{esc(core)}</th>')
                    continue
                content = esc(core)
                if suffix is not None and suffix != "":
                    # a fixed-width slot for the stars keeps the numbers' right edges aligned
                    content += (f'<span class="sfx" style="width: {len(suffix)}ch">'
                                f"{esc(suffix.rstrip())}</span>")
                parts.append(f'<td class="{kinds[j]}">{content}</td>')
            rule = ' class="sf-rule"' if i in block.rules_after else ""
            out.append(f"<tr{rule}>" + "".join(parts) + "</tr>")
        out.append("</tbody>")
        out.append("</table>")
    for note in notes:
        out.append(f'<p class="sf-note">{esc(note)}</p>')
    out.append("</div>")
    return "\n".join(out) + "\n"


class Renderable:
    """Shared renderers over ``self._blocks``, ``self.title``, ``self.notes``, ``self.warnings``."""

    _blocks: tuple[Block, ...]
    title: str
    notes: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    _css_class = "spatialflow"

    def as_text(self) -> str:
        """Plain-text rendering (fixed-width columns).

        Returns
        -------
        str
            The title, the tables and the notes.
        """
        return _text(self._blocks, self.title, self.notes, self.warnings)

    def as_markdown(self) -> str:
        """GitHub-flavoured Markdown (pipe tables).

        Returns
        -------
        str
            The title as a heading, one pipe table per block, the notes.
        """
        return _markdown(self._blocks, self.title, self.notes, self.warnings)

    def as_latex(self) -> str:
        """LaTeX ``tabular`` environments using ``booktabs`` rules; special characters escaped.

        Returns
        -------
        str
            One ``tabular`` per block (needs ``\\usepackage{booktabs}``).
        """
        return _latex(self._blocks, self.title, self.notes, self.warnings)

    def as_html(self) -> str:
        """HTML fragment for notebooks; see :meth:`as_html_document` for a file.

        Returns
        -------
        str
            A ``<div>`` with a scoped ``<style>`` and one ``<table>`` per block; text is
            HTML-escaped.
        """
        return _html(self._blocks, self.title, self.notes, self._css_class, self.warnings)

    def as_html_document(self, *, preface: Sequence[str] = ()) -> str:
        """A standalone UTF-8 HTML page.

        Parameters
        ----------
        preface : sequence of str
            Paragraphs (plain text, e.g. a data notice) shown above the tables.

        Returns
        -------
        str
            The page: the preface, then :meth:`as_html`.
        """
        esc = html.escape
        body = "".join(f'<p class="sf-preface"><strong>{esc(p)}</strong></p>\n' for p in preface)
        return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f"<title>{esc(self.title)}</title>\n</head>\n<body>\n{body}{self.as_html()}"
                "</body>\n</html>\n")

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()



# ---------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------
_RENDERERS = {"text": _text, "markdown": _markdown, "latex": _latex}


def render_blocks(blocks: Sequence[Block], fmt: TableFormat, *, title: str = "",
                  notes: Sequence[str] = (), warnings: Sequence[str] = (),
                  css_class: str = "spatialflow") -> str:
    """Render already formatted blocks (see :class:`Block`) as ``fmt``.

    ``warnings`` are data notices shown under the title (e.g. synthetic data).
    """
    _check_format(fmt)
    if fmt == "html":
        return _html(blocks, title, notes, css_class, warnings)
    return _RENDERERS[fmt](blocks, title, notes, warnings)


def _check_format(fmt) -> None:
    allowed = ("text", "markdown", "latex", "html")
    if fmt not in allowed:
        raise InputError(f"fmt must be one of {list(allowed)}; {fmt!r} was given.")


def _cell_formatter(spec) -> Callable[[Any], str]:
    if callable(spec):
        return lambda v: format_number(v) if not _is_float(v) else str(spec(v))
    if isinstance(spec, str):
        def fmt(v):
            if not _is_float(v):
                return format_number(v)
            if not math.isfinite(float(v)):
                return format_number(v)
            return spec.format(float(v)) if "{" in spec else format(float(v), spec)
        return fmt
    raise InputError("float_format must be a format spec such as '.3f' or '{:.3f}', a "
                     f"callable, or a dict of them by column; {spec!r} was given.")


def _format_frame_column(values: list, spec) -> list[str]:
    if spec is None:
        return format_column(values)
    f = _cell_formatter(spec)
    return [f(v) for v in values]


def render_frame(df: pd.DataFrame, fmt: TableFormat, *, title: str | None = None,
                 notes: Sequence[str] = (), float_format=None, index: bool = True) -> str:
    """Render a DataFrame as a plain-text, Markdown, LaTeX or HTML table.

    Parameters
    ----------
    df : pandas.DataFrame
        Any frame; its cells may be numbers, text (Chinese names included) or missing.
    fmt : {"text", "markdown", "latex", "html"}
    title : str, optional
        Shown above the table.
    notes : sequence of str
        Footnotes under the table.
    float_format : str, callable or dict, optional
        Format of the float cells: a format spec (``".3f"`` or ``"{:.3f}"``), a callable
        ``float -> str``, or a dict of those by column (other columns use the default).
        Default: :func:`format_column`, one shared format per column.
    index : bool, default True
        Show the index as the first column(s) (one per level of a MultiIndex).

    Returns
    -------
    str
        Text tables pad by display width (Chinese characters count two columns); numeric
        columns are right-aligned; Markdown, LaTeX and HTML escape their special characters.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"city": ["广州", "Shantou"], "gap": [2.41, 0.04]})
    >>> print(render_frame(df, "text", index=False))
    ===============
    city        gap
    ---------------
    广州     2.4100
    Shantou  0.0400
    ===============
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"render_frame needs a pandas DataFrame; {type(df).__name__} was given.")
    _check_format(fmt)
    if isinstance(float_format, dict):
        unknown = [c for c in float_format if c not in df.columns]
        if unknown:
            raise InputError(f"float_format names columns {unknown} that are not in the frame; "
                             f"columns: {list(df.columns)}.")
    columns: list[list[str]] = []
    header: list[str] = []
    label_columns: tuple[int, ...] = ()
    if index:
        levels = df.index.nlevels
        names = list(df.index.names)
        for level in range(levels):
            values = (df.index.get_level_values(level) if levels > 1 else df.index)
            columns.append([_label(v) for v in values])
            header.append("" if names[level] is None else str(names[level]))
        label_columns = tuple(range(levels))
    for col in df.columns:
        spec = float_format.get(col) if isinstance(float_format, dict) else float_format
        values = [None if _missing(v) else v for v in df[col].tolist()]
        columns.append(_format_frame_column(values, spec))
        header.append(_label(col))
    rows = tuple(zip(*columns)) if columns else ()
    if not rows:
        rows = ()
    block = Block(title="", columns=tuple(header), rows=tuple(tuple(r) for r in rows),
                  label_columns=label_columns or (-1,))
    return render_blocks([block], fmt, title=title or "", notes=notes,
                         css_class="spatialflow-table")


def _label(value: Any) -> str:
    if isinstance(value, tuple):
        return " / ".join(str(v) for v in value)
    return "" if _missing(value) else str(value)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # array-like cells are not missing values
        return False
