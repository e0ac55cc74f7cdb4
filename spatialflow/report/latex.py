r"""The report in LaTeX a paper can ``\input``: table floats, long tables, figure floats.

* A table of up to :data:`LONG_ROWS` rows is a ``table`` float with ``\caption`` and
  ``\label{tab:<key>}``, ``booktabs`` rules, shrunk to the line width only when it is wider
  (``\sffit``); a longer one is a ``longtable`` that breaks across pages, repeating its
  header ("continued"), on landscape pages beyond :data:`LANDSCAPE_COLUMNS` columns and
  split by columns into parts that repeat the code and name beyond :data:`MAX_COLUMNS`.
  Long headers wrap at spaces.
* Every column has one number format (:func:`spatialflow._render.format_column`); p-values
  print with 3 decimals and ``<0.001`` below 0.001; text columns of long cells wrap in a
  ragged-right paragraph column instead of running past the margin.
* Figures are ``figure`` floats with one caption (LaTeX numbers them) and
  ``\label{fig:<key>}``.
* :func:`preamble` starts a document that compiles with ``xelatex``; Chinese text loads
  ``ctex`` (Fandol fonts, shipped with TeX Live), as does English text holding Chinese names.
"""
from __future__ import annotations

import re

import pandas as pd

from .._render import _is_number_cell, format_column, format_number, latex_escape
from ._tables import _is_pvalue_column, format_p

__all__ = ["table", "figure", "preamble", "escape", "LONG_ROWS", "PACKAGES"]

LONG_ROWS = 40          # more rows than this: a longtable (about a page of a table float)
WRAP_CHARS = 40         # text cells longer than this wrap in a paragraph column
HEADER_CHARS = 14       # header cells longer than this wrap at spaces
PACKAGES = "booktabs,longtable,array,graphicx,pdflscape"
LANDSCAPE_COLUMNS = 8   # a long table with more columns is set on landscape pages
MAX_COLUMNS = 11        # a long table with more columns is split by columns into parts
KEY_COLUMNS = 2         # columns every part repeats (code, name)

# \sffit{...}: its content at natural width, or shrunk to \linewidth when wider.
SFFIT = (r"\providecommand{\sffit}[1]{\sbox0{#1}\ifdim\wd0>\linewidth"
         r"\resizebox{\linewidth}{!}{\usebox0}\else\usebox0\fi}")

_TEXT = {"en": {"continued": "continued", "next": "continued on the next page"},
         "zh": {"continued": "续", "next": "接下页"}}
_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")


#: LaTeX-escape ``text`` (special characters, and symbols outside the text fonts): the
#: package's one escape, :func:`spatialflow._render.latex_escape`.
escape = latex_escape


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _column(values: pd.Series, name) -> list[str]:
    vals = [None if _missing(v) else v for v in values.tolist()]
    if _is_pvalue_column(name) and pd.api.types.is_float_dtype(values):
        return [format_p(v) if v is not None else "" for v in vals]
    if pd.api.types.is_float_dtype(values):
        # -0.0 + 0.0 == 0.0: no sign that is not there
        vals = [None if v is None else float(v) + 0.0 for v in vals]
        return format_column(vals)
    return [format_number(v) if v is not None else "" for v in vals]


def _missing(v) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _spec(cells: list[str]) -> str:
    filled = [c for c in cells if c]
    if filled and all(_is_number_cell(c) or c.startswith("<") for c in filled):
        return "r"
    if filled and max(len(c) for c in filled) > WRAP_CHARS:
        return r">{\raggedright\arraybackslash}p{0.25\linewidth}"
    return "l"


def _header(text: str, spec: str) -> str:
    """A header cell; a long header wraps at spaces into a stack of short lines."""
    words = str(text).split(" ")
    if len(str(text)) <= HEADER_CHARS or len(words) == 1:
        return escape(text)
    lines, line = [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > HEADER_CHARS:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    align = "r" if spec == "r" else "l"
    return (r"\begin{tabular}[b]{@{}" + align + "@{}}" + r" \\ ".join(escape(x) for x in lines)
            + r"\end{tabular}")


def _body(frame: pd.DataFrame):
    cols = [_column(frame[c], c) for c in frame.columns]
    specs = [_spec(c) for c in cols]
    head = " & ".join(_header(c, sp) for c, sp in zip(frame.columns, specs)) + r" \\"
    specs = "".join(specs)
    rows = [" & ".join(escape(c) for c in row) + r" \\" for row in zip(*cols)]
    return specs, head, rows


def table(frame: pd.DataFrame, caption: str, label: str, notes=(), *, lang: str = "en",
          long_rows: int = LONG_ROWS) -> str:
    """``frame`` as a ``table`` float (or a ``longtable`` beyond ``long_rows`` rows).

    A long table wider than :data:`MAX_COLUMNS` is split by columns into parts that repeat
    its first :data:`KEY_COLUMNS` columns (the unit's code and name), each part a longtable
    captioned "part i of n"; only the first carries the label.
    """
    if len(frame) > long_rows and len(frame.columns) > MAX_COLUMNS:
        key = list(frame.columns[:KEY_COLUMNS])
        rest = list(frame.columns[KEY_COLUMNS:])
        step = MAX_COLUMNS - KEY_COLUMNS
        chunks = [rest[i:i + step] for i in range(0, len(rest), step)]
        parts = []
        for i, chunk in enumerate(chunks, start=1):
            word = (f"（第{i}部分，共{len(chunks)}部分）" if lang == "zh"
                    else f" (part {i} of {len(chunks)})")
            part = table(frame[key + chunk], caption + word,
                         label if i == 1 else f"{label}-part{i}",
                         notes if i == len(chunks) else (), lang=lang, long_rows=long_rows)
            parts.append(part)
        return "\n".join(parts)
    specs, head, rows = _body(frame)
    ncol = max(len(frame.columns), 1)
    cap = r"\caption{" + escape(caption) + r"}\label{tab:" + label + "}"
    foot = [r"\par\smallskip{\footnotesize " + escape(n) + r"\par}" for n in notes]
    if len(rows) <= long_rows:
        return "\n".join([r"\begin{table}[htbp]", r"\centering", cap,
                          r"\sffit{\begin{tabular}{" + specs + "}", r"\toprule", head,
                          r"\midrule", *rows, r"\bottomrule", r"\end{tabular}}", *foot,
                          r"\end{table}"]) + "\n"
    tx = _TEXT[lang]
    wide = ncol > LANDSCAPE_COLUMNS
    size = r"\scriptsize" if wide else r"\footnotesize"
    return "\n".join([
        *([r"\begin{landscape}"] if wide else []),
        "{" + size + r"\setlength{\tabcolsep}{3pt}",
        r"\begin{longtable}{" + specs + "}", cap + r" \\", r"\toprule", head, r"\midrule",
        r"\endfirsthead",
        r"\multicolumn{" + str(ncol) + r"}{l}{\tablename~\thetable{} (" + tx["continued"]
        + r")} \\", r"\toprule", head, r"\midrule", r"\endhead",
        r"\midrule", r"\multicolumn{" + str(ncol) + r"}{r}{(" + tx["next"] + r")} \\",
        r"\endfoot", r"\bottomrule", r"\endlastfoot", *rows, r"\end{longtable}}",
        *[f.replace(r"\par\smallskip", r"\noindent") for f in foot],
        *([r"\end{landscape}"] if wide else [])]) + "\n"


def figure(path: str, caption: str, label: str) -> str:
    """A ``figure`` float: the image at line width (at most 80 % of the page's height)."""
    return (r"\begin{figure}[htbp]" "\n" r"\centering" "\n"
            r"\includegraphics[width=\linewidth,height=0.8\textheight,keepaspectratio]{"
            + path + "}\n" r"\caption{" + escape(caption) + r"}\label{fig:" + label + "}\n"
            r"\end{figure}" "\n")


def preamble(title: str, lang: str, *, cjk: bool = False) -> str:
    """Start of a document that compiles with ``xelatex`` (``ctex`` for Chinese)."""
    if lang == "zh":
        head = [r"\documentclass[11pt,a4paper,fontset=fandol]{ctexart}"]
    else:
        head = [r"\documentclass[11pt,a4paper]{article}", r"\usepackage{fontspec}"]
        if cjk:  # Chinese names in an English report
            head.append(r"\usepackage[fontset=fandol,scheme=plain]{ctex}")
    head += [r"\usepackage[margin=2.2cm]{geometry}", r"\usepackage{" + PACKAGES + "}",
             r"\usepackage[font=small,labelfont=bf]{caption}",
             SFFIT,
             r"\title{" + escape(title) + "}", r"\date{}", r"\begin{document}", r"\maketitle"]
    return "\n".join(head) + "\n"
