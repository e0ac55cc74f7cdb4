"""Derived variables of a config: ``[derive] name = "expression"``, evaluated safely.

An expression is arithmetic over data columns and earlier derived names::

    [derive]
    urban_rate = "100 * urban_pop / pop"
    ln_gdppc = { expr = "log(gdp * 1e8 / (pop * 1e4))", unit = "log yuan per person" }

Allowed: numbers, column names, ``+ - * / **``, unary ``-``/``+``, parentheses and the
functions ``log`` (natural), ``exp`` and ``sqrt`` of one argument. The text is parsed with
:mod:`ast` and every node is checked against that list before anything is evaluated; nothing
is passed to :func:`eval`, so no attribute, subscript, call of another function, comparison
or name outside the data can run. Errors name the expression and what is wrong in it.

``[data] carry = { column = year }`` fills ``column`` on every row from the same unit's row
of ``year`` (e.g. census covariates of 2020 on 2023 rows), see :func:`carry_columns`.
"""
from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import ConfigError, InputError, format_ids
from ._notes import note

__all__ = ["DeriveSpec", "parse_derive", "evaluate_derive", "carry_columns", "FUNCTIONS",
           "formula_names"]

#: The functions an expression may call (one argument each).
FUNCTIONS = {"log": np.log, "exp": np.exp, "sqrt": np.sqrt}
_OPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
        ast.Pow: np.power}
_UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}
_SPEC_KEYS = ("expr", "unit", "unit_zh", "label", "label_zh")
_IDENT = re.compile(r"^[^\d\W]\w*$")


@dataclass(frozen=True)
class DeriveSpec:
    """One derived variable: its expression, the names it reads, unit and labels."""

    name: str
    expr: str
    tree: ast.Expression
    names: tuple
    unit: str | None = None
    unit_zh: str | None = None
    label: str | None = None
    label_zh: str | None = None

    def as_dict(self) -> dict:
        """The spec as written in the manifest (TOML-like, None left out)."""
        out = {"expr": self.expr}
        out.update({k: getattr(self, k) for k in _SPEC_KEYS[1:] if getattr(self, k)})
        return out


def _parse(name: str, expr: str) -> tuple[ast.Expression, tuple]:
    where = f"derive.{name} = {expr!r}"
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as err:
        raise ConfigError(f"{where} is not an arithmetic expression ({err.msg} at character "
                          f"{err.offset}).") from None
    names = []

    def check(node):
        if isinstance(node, ast.Expression):
            return check(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return check(node.left), check(node.right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return check(node.operand)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ConfigError(f"{where}: only numbers are allowed as constants; "
                                  f"{node.value!r} was given.")
            return None
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ConfigError(f"{where}: {node.id!r} is a function; write "
                                  f"{node.id}(...).")
            names.append(node.id)
            return None
        if isinstance(node, ast.Call):
            fname = node.func.id if isinstance(node.func, ast.Name) else None
            if fname not in FUNCTIONS:
                shown = fname or ast.unparse(node.func)
                raise ConfigError(f"{where}: the function {shown!r} is not allowed; "
                                  f"allowed: {sorted(FUNCTIONS)} (one argument each).")
            if len(node.args) != 1 or node.keywords:
                raise ConfigError(f"{where}: {fname}() takes exactly one argument.")
            return check(node.args[0])
        what = type(getattr(node, "op", node)).__name__
        raise ConfigError(f"{where}: {what} ({ast.unparse(node)!r}) is not allowed; an "
                          "expression may use numbers, column names, + - * / **, "
                          f"parentheses and {sorted(FUNCTIONS)}.")

    check(tree)
    return tree, tuple(dict.fromkeys(names))


def parse_derive(values) -> dict:
    """Check a ``[derive]`` table; return ``{name: DeriveSpec}`` in the order written.

    Each value is an expression string or a table ``{expr = "...", unit = "...",
    unit_zh = "...", label = "...", label_zh = "..."}``. A name may use the names derived
    before it, never after it (no cycles).
    """
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(f"[derive] must be a table of name = \"expression\"; {values!r} was "
                          "given.")
    out = {}
    for name, value in values.items():
        if not isinstance(name, str) or not _IDENT.match(name) or name in FUNCTIONS:
            raise ConfigError(f"derive: {name!r} is not a valid name for a derived column (a "
                              "letter or underscore, then letters, digits or underscores; "
                              f"not one of {sorted(FUNCTIONS)}).")
        if isinstance(value, str):
            value = {"expr": value}
        if not isinstance(value, dict) or not isinstance(value.get("expr"), str) \
                or not value["expr"].strip():
            raise ConfigError(f"derive.{name} expects an expression string or a table "
                              "{expr = \"...\", unit = \"...\", label = \"...\", label_zh = "
                              f"\"...\"}}; {value!r} was given.")
        stray = [k for k in value if k not in _SPEC_KEYS]
        bad = [k for k in value if k in _SPEC_KEYS and not isinstance(value[k], str)]
        if stray or bad:
            raise ConfigError(f"derive.{name}: only the keys {list(_SPEC_KEYS)} (text); "
                              f"unknown {stray}, not text {bad}.")
        tree, names = _parse(name, value["expr"])
        later = [n for n in names if n in values and n not in out]
        if later:
            raise ConfigError(f"derive.{name} = {value['expr']!r} uses {later}, derived "
                              "after it (or itself); derive a name before using it.")
        out[name] = DeriveSpec(name=name, expr=value["expr"], tree=tree, names=names,
                               **{k: value.get(k) for k in _SPEC_KEYS[1:]})
    return out


def _evaluate(node, columns: dict):
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, columns)
    if isinstance(node, ast.BinOp):
        return _OPS[type(node.op)](_evaluate(node.left, columns),
                                   _evaluate(node.right, columns))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, columns))
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return columns[node.id]
    if isinstance(node, ast.Call):  # checked by _parse: one of FUNCTIONS, one argument
        return FUNCTIONS[node.func.id](_evaluate(node.args[0], columns))
    raise AssertionError(f"unchecked node {ast.dump(node)}")  # pragma: no cover - _parse


def evaluate_derive(frame: pd.DataFrame, specs: dict, *, id: str | None = None,
                    time: str | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with the derived columns of ``specs`` added, in order.

    Raises
    ------
    InputError
        An expression names a column that is neither in ``frame`` nor derived before it
        (with the closest names), reads a non-numeric column, would overwrite an existing
        column, or gives a non-finite value where its inputs are finite (a log or square
        root of a value <= 0 or < 0, a division by zero), naming the rows.
    """
    frame = frame.copy()
    for spec in specs.values():
        where = f"derive.{spec.name} = {spec.expr!r}"
        if spec.name in frame.columns:
            raise InputError(f"{where}: the data already has a column {spec.name!r}; a derived "
                             "column never overwrites data. Rename it.")
        unknown = [n for n in spec.names if n not in frame.columns]
        if unknown:
            hints = "; ".join(
                f"{n!r} (closest: {difflib.get_close_matches(n, map(str, frame.columns), n=3)})"
                for n in unknown)
            raise InputError(f"{where}: unknown column(s) {hints}. Columns: "
                             f"{format_ids(frame.columns, limit=60)}.")
        columns = {}
        for n in spec.names:
            values = pd.to_numeric(frame[n], errors="coerce")
            bad = frame[n].notna() & values.isna()
            if bad.any():
                raise InputError(f"{where}: column {n!r} is not numeric at "
                                 f"{_rows(frame, bad, id, time)}.")
            columns[n] = values.to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            result = np.broadcast_to(np.asarray(_evaluate(spec.tree, columns), dtype=float),
                                     (len(frame),))
        finite_in = np.ones(len(frame), bool)
        for v in columns.values():
            finite_in &= np.isfinite(v)
        broken = finite_in & ~np.isfinite(result)
        if broken.any():
            raise InputError(f"{where} is not finite (log or sqrt of a value out of range, or "
                             f"a division by zero) at {_rows(frame, broken, id, time)}.")
        frame[spec.name] = result
    return frame


def _rows(frame, mask, id, time) -> str:
    mask = np.asarray(mask, bool)
    if id in frame.columns and time in frame.columns:
        keys = list(zip(frame.loc[mask, id], frame.loc[mask, time]))
        return f"(id, period) {format_ids(keys)}"
    return f"rows {format_ids(frame.index[mask])}"


def carry_columns(frame: pd.DataFrame, carry: dict, *, id: str, time: str):
    """Fill each ``column`` of ``carry = {column: year}`` on every row from the same unit's
    row of ``year``; return (new frame, notes).

    Every row of a unit gets the value of that unit's ``year`` row, whatever it held before
    (the reference year's value is the one that counts; rows whose own value differed are
    counted in the note). A unit without a row (or a value) in ``year`` gets a missing
    value, which the ``missing`` policy then handles like any other gap.
    """
    frame = frame.copy()
    notes = []
    periods = set(frame[time])
    for column, year in carry.items():
        if column not in frame.columns:
            near = difflib.get_close_matches(column, map(str, frame.columns), n=3)
            raise InputError(f"data.carry names column {column!r}, which is not in the data "
                             f"(closest: {near}).")
        if year not in periods:
            raise InputError(f"data.carry: {column!r} from {year}, but the data have no rows "
                             f"of {year} (periods: {sorted(periods)}).")
        ref = frame.loc[frame[time] == year].set_index(id)[column]
        values = frame[id].map(ref)
        own = frame[column]
        changed = int((own.notna() & values.notna() & (own != values)).sum())
        absent = sorted(set(frame[id]) - set(ref.dropna().index))
        frame[column] = values.to_numpy()
        filled = int((frame[time] != year).sum())
        en = (f"data.carry: {column!r} on every row is the unit's {year} value "
              f"({filled} rows of other periods filled")
        en += f"; {changed} of them held a different value" if changed else ""
        en += (f"; no {year} value for {len(absent)} unit(s): {format_ids(absent)}"
               if absent else "") + ")."
        zh = (f"data.carry：{column!r} 在每一行上取该单元 {year} 年的值（填充了其他时期的 "
              f"{filled} 行")
        zh += f"；其中 {changed} 行原值不同" if changed else ""
        zh += (f"；{len(absent)} 个单元没有 {year} 年的值：{format_ids(absent)}"
               if absent else "") + "）。"
        notes.append(note(en, zh))
    return frame, notes


def formula_names(formula: str) -> list:
    """Names a formula's right-hand side reads as numbers: identifiers not called as
    functions, outside ``C(...)`` (a categorical column stays as it is read)."""
    rhs = re.sub(r"(?<![\w.])C\([^()]*\)", " ", formula.split("~", 1)[-1])
    names = re.findall(r"(?<![\w.])([^\d\W]\w*)(?!\w)(?!\s*[(.])", rhs)
    return list(dict.fromkeys(names))
