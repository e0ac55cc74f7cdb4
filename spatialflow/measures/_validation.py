"""Input checks shared by the measures: one place, so every measure fails the same way."""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..exceptions import (
    DuplicateIdError,
    EmptyInputError,
    IdMismatchError,
    InputError,
    MissingDataError,
    PanelError,
    format_ids,
)

__all__ = [
    "column_list",
    "require_columns",
    "numeric_block",
    "missing_cells",
    "check_nonnegative",
    "check_positive",
    "check_panel_keys",
    "as_series",
    "match_index",
]


def column_list(columns, *, name: str) -> list:
    """``columns`` as a list of column names; one name given as a string is one column.

    ``list("ab")`` would be ``['a', 'b']``: a single name must never be split into letters.
    """
    if isinstance(columns, str):
        return [columns]
    try:
        return list(columns)
    except TypeError:
        raise InputError(f"{name} must be a column name or a list of column names; "
                         f"{columns!r} was given.") from None


def require_columns(frame: pd.DataFrame, columns: Iterable, *, what: str = "column") -> None:
    """Raise naming every requested column that ``frame`` lacks."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"a pandas DataFrame was expected; {type(frame).__name__} was given.")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise InputError(
            f"{what}(s) {format_ids(absent)} not found in the frame; its columns are "
            f"{format_ids(frame.columns)}."
        )


def missing_cells(block: pd.DataFrame, limit: int = 20) -> str:
    """Describe the non-finite cells of ``block`` as ``(row label, column)`` pairs."""
    mask = ~np.isfinite(block.to_numpy(dtype=float))
    rows, cols = np.nonzero(mask)
    rl, cl = block.index.tolist(), block.columns.tolist()  # python scalars for messages
    cells = [(rl[r], cl[c]) for r, c in zip(rows, cols)]
    return format_ids(cells, limit=limit)


def numeric_block(
    frame: pd.DataFrame, columns: Sequence, *, what: str = "indicator"
) -> pd.DataFrame:
    """A float copy of ``frame[columns]``; raise naming non-numeric columns or empty input."""
    require_columns(frame, columns, what=what)
    if len(columns) == 0:
        raise EmptyInputError(f"at least one {what} column is needed; none was given.")
    if len(frame) == 0:
        raise EmptyInputError(f"the frame has no rows; {what} values are needed.")
    repeated = pd.Index(list(columns))
    repeated = repeated[repeated.duplicated()].unique()
    if len(repeated):
        raise InputError(f"{what} columns must be distinct; {format_ids(repeated.tolist())} "
                         f"given more than once in {format_ids(list(columns))}.")
    # bool is numeric to pandas, and complex casts to float by dropping the imaginary part.
    bad = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c])
           or pd.api.types.is_bool_dtype(frame[c]) or pd.api.types.is_complex_dtype(frame[c])]
    if bad:
        raise InputError(
            f"{what} columns must be numeric; {format_ids(bad)} have dtypes "
            f"{[str(frame[c].dtype) for c in bad]}."
        )
    return frame.loc[:, list(columns)].astype(float).copy()


def raise_if_missing(block: pd.DataFrame, *, what: str, hint: str = "") -> None:
    """Raise :class:`MissingDataError` naming the (row, column) cells that are NaN or inf."""
    values = block.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        n_bad = int((~np.isfinite(values)).sum())
        raise MissingDataError(
            f"{what} must be finite; {n_bad} cell(s) are NaN or infinite at (row, column) "
            f"{missing_cells(block)}.{(' ' + hint) if hint else ''}"
        )


def check_nonnegative(block: pd.DataFrame, *, what: str, why: str) -> None:
    """Raise naming the cells of ``block`` that are negative."""
    values = block.to_numpy(dtype=float)
    rows, cols = np.nonzero(values < 0)
    if rows.size:
        rl, cl = block.index.tolist(), block.columns.tolist()  # python scalars for messages
        cells = [(rl[r], cl[c]) for r, c in zip(rows, cols)]
        raise InputError(
            f"{what} must be non-negative ({why}); {rows.size} negative cell(s) at "
            f"(row, column) {format_ids(cells)}."
        )


def check_positive(block: pd.DataFrame, *, what: str, why: str) -> None:
    """Raise naming the cells of ``block`` that are zero or negative."""
    values = block.to_numpy(dtype=float)
    rows, cols = np.nonzero(~(values > 0))
    if rows.size:
        rl, cl = block.index.tolist(), block.columns.tolist()  # python scalars for messages
        cells = [(rl[r], cl[c]) for r, c in zip(rows, cols)]
        raise InputError(
            f"{what} must be strictly positive ({why}); {rows.size} cell(s) are <= 0 at "
            f"(row, column) {format_ids(cells)}."
        )


def check_panel_keys(frame: pd.DataFrame, id: str | None, time: str | None) -> None:
    """Raise if the id/time columns are absent or a unit occurs twice (in one period).

    With ``id`` and ``time`` each (id, time) pair must occur once; with ``id`` alone each id
    must occur once. With ``time`` alone the frame's index labels stand for the units, so
    each (index label, time) pair must occur once: a time column on its own repeats by
    design in a panel and is not a key.
    """
    keys = [k for k in (id, time) if k is not None]
    require_columns(frame, keys, what="panel key")
    if not keys:
        return
    if frame[keys].isna().any().any():
        bad = frame.index[frame[keys].isna().any(axis=1)]
        raise PanelError(f"panel keys {keys} must not be missing; rows {format_ids(bad)}.")
    if id is None:
        pairs = pd.MultiIndex.from_arrays([frame.index, frame[time]])
        dup = pairs.duplicated(keep=False)
        if dup.any():
            shown = list(pd.unique(pd.Series(list(pairs[dup]))))
            raise DuplicateIdError(
                f"with time={time!r} and no id=, the frame's index labels are taken as the unit "
                f"ids, so each (index label, {time!r}) pair must occur once (every unit once per "
                f"period); duplicated pairs: {format_ids(shown)}. Pass id='<unit column>' so "
                "that (id, time) pairs are unique, or give the frame an index whose labels are "
                "unique within each period."
            )
        return
    dup = frame.duplicated(subset=keys, keep=False)
    if dup.any():
        if time is None:
            shown = list(pd.unique(frame.loc[dup, id]))
            raise DuplicateIdError(
                f"each id in column {id!r} must occur once (one row per unit); duplicated "
                f"ids: {format_ids(shown)}. For a panel, pass time='<period column>' as well."
            )
        shown = list(frame.loc[dup, keys].drop_duplicates().itertuples(index=False, name=None))
        raise DuplicateIdError(
            f"each ({id!r}, {time!r}) pair must occur once (every unit once per period); "
            f"duplicated pairs: {format_ids(shown)}."
        )


def as_series(values, *, name: str) -> pd.Series:
    """A float copy of ``values`` as a Series (keeping a Series' index)."""
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InputError(
                f"{name} must be one-dimensional; a DataFrame with columns "
                f"{format_ids(values.columns)} was given."
            )
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
                and not pd.api.types.is_complex_dtype(values)):
            raise InputError(f"{name} must be numeric; dtype {values.dtype} was given.")
        return values.astype(float).copy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InputError(
            f"{name} must be one-dimensional; an array of shape {arr.shape} was given."
        )
    if np.iscomplexobj(arr):
        raise InputError(f"{name} must be real numbers; dtype {arr.dtype} was given.")
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric; dtype {arr.dtype} was given.") from exc
    return pd.Series(arr, name=name)


def match_index(other: pd.Series, target: pd.Index, *, name: str, target_name: str) -> pd.Series:
    """``other`` reordered to the labels of ``target``; raise naming the ids that differ.

    Labelled inputs meet by index, never by position: a Series with other labels raises
    :class:`IdMismatchError` before any value is looked at (so a mismatch is not reported as
    missing values). Identical indices are paired as they are, duplicates included.
    """
    if other.index.equals(target):
        return other
    only_target = target.difference(other.index)
    only_other = other.index.difference(target)
    if len(only_target) or len(only_other) or len(other) != len(target):
        raise IdMismatchError(
            f"{target_name} and {name} are Series matched by index, so they must hold the same "
            f"labels; only in {target_name}: {format_ids(only_target)}; only in {name}: "
            f"{format_ids(only_other)}"
            + ("." if len(only_target) or len(only_other) else
               f"; lengths {len(target)} and {len(other)} (duplicated labels).")
        )
    if target.has_duplicates or other.index.has_duplicates:
        dup = target[target.duplicated()].union(other.index[other.index.duplicated()])
        raise DuplicateIdError(
            f"{target_name} and {name} hold the same labels in a different order, and some "
            f"repeat, so they cannot be matched by index; duplicated: {format_ids(dup)}. "
            "Give them a unique index, or the same index in the same order."
        )
    return other.reindex(target)
