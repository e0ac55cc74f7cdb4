"""Flow formulas written as R spflow writes them, parsed by formulaic.

``log(y) ~ O_(pop + school) + D_(pop + school) + I_(pop) + P_(log_dist)``: the response and
the ``P_()`` terms are evaluated on the pair table, ``O_()``, ``D_()`` and ``I_()`` on the node
table (as origin, destination and intra-regional characteristics). A global constant is
included unless the formula removes it (``- 1`` / ``0 +``); the intra-regional constant
``(Intra)`` is included unless ``I_()`` removes it (``I_(0 + pop)``) or the sample has no
intra-regional pairs. Any formulaic transformation works inside the parts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import FlowFormulaError, MissingDataError, format_ids

__all__ = ["FlowFormula", "parse_flow_formula", "plain_columns"]

PARTS = ("D_", "O_", "I_", "P_")
_SPECIAL = re.compile(r"^\s*(D_|O_|I_|P_)\((.*)\)\s*$", re.S)


@dataclass(frozen=True)
class FlowFormula:
    """A parsed flow formula: the response expression and the inner formula of each part."""

    response: str
    intercept: bool
    parts: dict = field(default_factory=dict)  # part -> inner formula (str)
    intra_constant: bool = True


def _has_intercept(inner: str) -> bool:
    from formulaic import Formula

    return "1" in [str(t) for t in Formula(inner)]


def parse_flow_formula(formula: str) -> FlowFormula:
    """Split ``formula`` into its response, constants and ``O_/D_/I_/P_`` parts.

    Raises
    ------
    FlowFormulaError
        If the formula is not two-sided, a right-hand term is outside the four parts, or a
        part occurs twice.
    """
    from formulaic import Formula
    from formulaic.errors import FormulaicError

    if not isinstance(formula, str):
        raise FlowFormulaError(f"formula must be a string such as 'y ~ O_(x) + D_(x) + "
                               f"P_(log_dist)'; {type(formula).__name__} was given.")
    try:
        parsed = Formula(formula)
    except FormulaicError as exc:
        raise FlowFormulaError(f"cannot parse the flow formula {formula!r}: {exc}") from exc
    if not hasattr(parsed, "lhs") or len(list(parsed.lhs)) != 1:
        raise FlowFormulaError(f"the flow formula needs one response left of '~': {formula!r}.")
    response = str(list(parsed.lhs)[0])
    parts: dict[str, str] = {}
    intercept = False
    for term in parsed.rhs:
        text = str(term)
        if text == "1":
            intercept = True
            continue
        match = _SPECIAL.match(text)
        if match is None or len(term.factors) != 1:
            raise FlowFormulaError(
                f"term {text!r} of {formula!r} is not inside O_(), D_(), I_() or P_(): write "
                "origin, destination, intra-regional and pair variables as "
                "'O_(pop) + D_(pop) + I_(pop) + P_(log_dist)'.")
        key, inner = match.group(1), match.group(2)
        if key in parts:
            raise FlowFormulaError(f"{key}() occurs twice in {formula!r}; list all its "
                                   f"variables in one {key}(...).")
        parts[key] = inner
    intra_constant = _has_intercept(parts["I_"]) if "I_" in parts else True
    return FlowFormula(response=response, intercept=intercept, parts=parts,
                       intra_constant=intra_constant)


def node_matrix(inner: str, nodes: pd.DataFrame, part: str) -> pd.DataFrame:
    """The columns of one node part (``O_``, ``D_``, ``I_``) evaluated on the node table."""
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) etc. is named below
            mm = model_matrix(inner, nodes, na_action="ignore")
    except (FormulaicError, NameError, KeyError, ValueError) as exc:
        raise FlowFormulaError(f"{part}({inner}) cannot be evaluated on the node table "
                               f"(columns {list(nodes.columns)}): {exc}") from exc
    mm = pd.DataFrame(mm).drop(columns="Intercept", errors="ignore")
    mm.index = nodes.index
    bad = ~np.isfinite(mm.to_numpy(dtype=float))
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise MissingDataError(
            f"{part}({inner}) is missing or not finite for node(s) "
            f"{format_ids(nodes.index[np.unique(rows)])} in column(s) "
            f"{sorted(set(mm.columns[cols]))}.")
    return mm


def plain_columns(expr: str, columns, *, response: bool) -> list | None:
    """The names of ``expr``'s terms, in formulaic's order, if every term (the constant
    aside) is a plain column of ``columns``; else None (the expression needs formulaic)."""
    from formulaic import Formula
    from formulaic.errors import FormulaicError

    try:
        terms = [str(t) for t in Formula(f"0 + {expr}" if response else expr)]
    except FormulaicError:
        return None
    names = [t for t in terms if t != "1"]
    if not names or not all(t.isidentifier() and t in columns for t in names):
        return None
    return names


def pair_matrices(expr: str, frame: pd.DataFrame, mask: np.ndarray, n: int,
                  what: str, ids: pd.Index) -> dict:
    """Evaluate ``expr`` (a response or the inside of ``P_()``) on the flattened pair table.

    ``frame`` has one row per ``(o, d)`` pair, origin-major, NaN outside the sample;
    returns ``{column: n x n matrix}`` with zeros outside the sample.
    """
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) etc. is named below
            mm = model_matrix(f"0 + {expr}" if what == "response" else expr, frame,
                              na_action="ignore")
    except (FormulaicError, NameError, KeyError, ValueError) as exc:
        raise FlowFormulaError(f"{expr!r} cannot be evaluated on the pair table (columns "
                               f"{list(frame.columns)}): {exc}") from exc
    mm = pd.DataFrame(mm).drop(columns="Intercept", errors="ignore")
    out = {}
    inside = mask.ravel()
    for col in mm.columns:
        x = mm[col].to_numpy(dtype=float)
        bad = inside & ~np.isfinite(x)
        if bad.any():
            k = np.flatnonzero(bad)
            pairs = list(zip(ids[k[:10] // n], ids[k[:10] % n]))
            raise MissingDataError(
                f"the {what} {col!r} is missing or not finite for {k.size} pair(s) of the "
                f"sample: {format_ids(pairs)} (e.g. log of 0?); transform it or pass "
                "missing='subset' with the pairs removed.")
        out[col] = np.where(inside, x, 0.0).reshape(n, n)
    return out
