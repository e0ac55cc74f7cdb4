r"""Read a user's county panel (CSV, Excel, Parquet) and check it against a county layer.

Yearbook extracts (Guangdong Statistical Yearbook, Guangdong Rural Statistical Yearbook, China
County Statistical Yearbook) arrive with Chinese headers, codes stored as numbers, dashes for
"not available", units that were merged or renamed by redistricting, and gaps. Everything is
checked here, before any measure or model sees the numbers, and every problem is reported with
the file row, the unit id, the period and the column:

- ids unknown to the layer, each with the closest known codes (and names): codes change with
  redistricting, e.g. Guangzhou 2014, when 黄埔 (440112) and 萝岗 (440116) merged into the new
  黄埔 and 增城 / 从化 (440183 / 440184) became districts (440118 / 440117). An optional
  crosswalk maps old codes to current ones, aggregating merged units;
- ids of the layer missing from the data;
- duplicate (id, time) rows;
- non-numeric cells;
- negative (or non-positive) values in columns whose measure needs them non-negative
  (positive);
- coverage per period (units observed, missing cells per column).

Missing cells are never filled or dropped silently: :func:`handle_missing` either refuses
with the list of cells, drops the units that have any (``"drop-units"``), or interpolates
interior gaps linearly in time (``"interpolate"``), and returns a table of what it did.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from ..exceptions import (
    DuplicateIdError,
    IdMismatchError,
    InputError,
    MissingDataError,
    OptionalDependencyError,
    PanelError,
    UnreadableFileError,
    format_ids,
)

__all__ = [
    "CountyPanel",
    "read_county_panel",
    "read_table",
    "handle_missing",
    "YEARBOOK_NA",
    "AGGREGATIONS",
    "REDISTRICTING_NOTE",
]

#: Cell values read as "not available" (besides empty cells): the dashes and ellipses
#: yearbooks print for missing figures. Any other text in a numeric column is an error.
YEARBOOK_NA = ("", "NA", "N/A", "NaN", "nan", "-", "--", "—", "——", "–", "…", "……", "...")

#: How the rows of units merged by a crosswalk combine, per column. "sum" is right for
#: extensive quantities (output, investment, employment, population, loans); intensive ones
#: (per-capita income, ratios) need "mean" (unweighted) or, better, recomputation from sums.
AGGREGATIONS = ("sum", "mean", "min", "max", "first")

#: The sentence every unknown-id message carries.
REDISTRICTING_NOTE = (
    "County codes change with redistricting (e.g. Guangzhou 2014: 黄埔 440112 and 萝岗 "
    "440116 merged into the new 黄埔 440112; 增城 440183 and 从化 440184 became the districts "
    "440118 and 440117): map old codes to current ones with a crosswalk (old code -> new code; "
    "rows of merged units are aggregated, by default summed)."
)

_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".xlsx": "excel", ".xlsm": "excel",
             ".xls": "excel", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class CountyPanel:
    """A checked county panel, as returned by :func:`read_county_panel`.

    Attributes
    ----------
    data : pandas.DataFrame
        Long format, one row per (id, time), sorted by id then time; the id column holds
        strings, the time column integers, the numeric columns floats (NaN where missing).
    id, time : str
        Names of the id and time columns (after the column mapping).
    numeric : tuple of str
        The columns read as numbers.
    coverage : pandas.DataFrame
        One row per period: ``units`` observed, ``expected`` (units of the layer, when given)
        and the number of missing cells of each numeric column.
    missing : pandas.DataFrame
        Every missing numeric cell: ``id``, ``time``, ``column``, ``row`` (1-based line of the
        file, header = line 1; NaN for frames).
    notes : tuple of str
        What was done that a user should know (crosswalk merges, periods left out, encoding).
    source : str or None
        The file read (None for a DataFrame).
    """

    data: pd.DataFrame
    id: str
    time: str
    numeric: tuple
    coverage: pd.DataFrame
    missing: pd.DataFrame
    notes: tuple = field(default_factory=tuple)
    source: str | None = None

    @property
    def ids(self) -> pd.Index:
        """The unit ids present, sorted."""
        return pd.Index(sorted(self.data[self.id].unique()), name=self.id)

    @property
    def periods(self) -> list:
        """The periods present, sorted."""
        return sorted(self.data[self.time].unique().tolist())


# ----------------------------------------------------------------------------- reading
def read_table(source, *, sheet=None, encoding: str | None = None) -> tuple[pd.DataFrame, str | None, list]:
    """Read a CSV, Excel or Parquet file as text cells (ids keep leading zeros, nothing is
    converted yet). A DataFrame is copied. Returns (frame, source name, notes)."""
    notes: list[str] = []
    if isinstance(source, pd.DataFrame):
        return source.copy(), None, notes
    if not isinstance(source, (str, PathLike)):
        raise InputError("the data must be a file path (CSV, Excel, Parquet) or a pandas "
                         f"DataFrame; {type(source).__name__} was given.")
    path = Path(source)
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"data file {str(path)!r}: unknown file type {path.suffix!r}; expected "
                         f"one of {sorted(_SUFFIXES)} (CSV, Excel or Parquet).")
    if not path.is_file():
        raise InputError(f"data file {str(path)!r} does not exist.")
    if sheet is not None and kind != "excel":
        raise InputError(f"sheet={sheet!r} applies to Excel files; {str(path)!r} is {kind}.")
    if kind in ("csv", "tsv"):
        sep = "\t" if kind == "tsv" else ","
        _check_encoding(encoding)
        tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
        for enc in tried:
            try:
                frame = read_csv_file(path, what="data file", dtype=str, keep_default_na=False,
                                      sep=sep, encoding=enc)
            except UnicodeDecodeError as err:
                if enc == tried[-1]:
                    raise InputError(f"data file {str(path)!r} could not be decoded as "
                                     f"{' or '.join(tried)} ({err}); give the encoding "
                                     "explicitly (e.g. encoding = \"gbk\").") from err
                continue
            if enc != tried[0]:
                notes.append(f"{path.name} is not UTF-8; read as {enc} (Chinese GB encoding).")
            break
    elif kind == "excel":
        try:
            import openpyxl  # noqa: F401
        except ImportError as err:  # pragma: no cover - openpyxl is a dependency
            raise OptionalDependencyError("reading Excel files needs openpyxl "
                                          "(pip install openpyxl).") from err
        import zipfile
        if path.stat().st_size == 0:
            raise UnreadableFileError(f"data file {str(path)!r} is empty (0 bytes); save the "
                                      "workbook again from Excel.")
        try:
            frame = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=object)
        except (zipfile.BadZipFile, KeyError, EOFError, ImportError) as err:
            # .xlsx is a zip archive: a truncated copy, a renamed CSV or an old .xls land here
            raise UnreadableFileError(
                f"data file {str(path)!r} is not a readable Excel workbook "
                f"({type(err).__name__}: {err}): the file is truncated or not an .xlsx "
                "workbook; save it again from Excel as .xlsx, or export it as CSV.") from err
        except ValueError as err:
            raise InputError(f"data file {str(path)!r}: {err}") from err
    else:
        import pyarrow
        try:
            frame = pd.read_parquet(path)
        except (pyarrow.ArrowException, OSError, ValueError) as err:
            raise UnreadableFileError(
                f"data file {str(path)!r} is not a readable Parquet file "
                f"({type(err).__name__}: {err}); if it is really a CSV or an Excel file, give "
                "it the matching extension (.csv, .xlsx), else write it again.") from err
    return frame, str(path), notes


def _check_encoding(encoding) -> None:
    """Refuse an unknown encoding name up front (pandas would raise a bare LookupError)."""
    if encoding is None:
        return
    import codecs
    try:
        if not isinstance(encoding, str):
            raise LookupError(encoding)
        codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"encoding must be a known text encoding such as 'utf-8', 'gbk' or "
                         f"'gb18030' (or left out: UTF-8, then GB18030); {encoding!r} was "
                         "given.") from None


def read_csv_file(path, *, what: str = "file", **options) -> pd.DataFrame:
    """``pandas.read_csv`` whose failures are :class:`UnreadableFileError` naming the file and
    the line (an empty file, a ragged row); a ``UnicodeDecodeError`` passes through, for the
    caller's encoding fallback."""
    path = Path(path)
    where = f"{what} {str(path)!r}"
    if path.is_file() and path.stat().st_size == 0:
        raise UnreadableFileError(f"{where} is empty (0 bytes); export the table again (a "
                                  "header line, then one line per row).")
    try:
        return pd.read_csv(path, **options)
    except UnicodeDecodeError:
        raise
    except pd.errors.EmptyDataError as err:
        raise UnreadableFileError(f"{where} has no header line and no data ({err}); export "
                                  "the table again.") from err
    except pd.errors.ParserError as err:
        import re
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if m:
            expected, line, saw = m.groups()
            raise UnreadableFileError(
                f"{where}: line {line} has {saw} fields where the header has {expected} (a "
                "stray separator, or a cell holding a comma without quotes); fix that line, "
                "or quote the cell (\"1,234\").") from err
        raise UnreadableFileError(f"{where} could not be parsed as CSV ({err}); check the "
                                  "separator and quoting.") from err


def _closest(word, candidates, n=3) -> list:
    return difflib.get_close_matches(str(word), [str(c) for c in candidates], n=n, cutoff=0.5)


def _apply_mapping(frame: pd.DataFrame, columns: Mapping | None) -> pd.DataFrame:
    if columns is None:
        return frame
    if not isinstance(columns, Mapping):
        raise InputError("columns must map file headers to names, e.g. {'年份': 'year'}; "
                         f"{type(columns).__name__} was given.")
    absent = [k for k in columns if k not in frame.columns]
    if absent:
        hints = "; ".join(f"{k!r} (closest headers: {_closest(k, frame.columns)})"
                          for k in absent)
        raise InputError(f"the column mapping names header(s) the file does not have: {hints}. "
                         f"The file's headers are {format_ids(frame.columns, limit=60)}.")
    targets = list(columns.values())
    clash = sorted({t for t in targets if targets.count(t) > 1}
                   | {t for t in targets if t in frame.columns and t not in columns})
    if clash:
        raise InputError(f"the column mapping would create duplicate column(s) {clash}: each "
                         "target name must be new and used once.")
    return frame.rename(columns=dict(columns))


def _as_code(value):
    """Ids as strings: 440103, 440103.0 and ' 440103 ' are all '440103'."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text or None


def _file_rows(frame: pd.DataFrame, source) -> pd.Series:
    """The 1-based line of each row in its file (header = line 1); NaN for frames."""
    if source is None:
        return pd.Series(np.nan, index=frame.index)
    return pd.Series(np.arange(len(frame)) + 2, index=frame.index, dtype=float)


def _where(frame, rows, id, time, row_of) -> str:
    parts = []
    for r in rows:
        line = row_of.get(r, np.nan)
        at = f"line {int(line)}" if np.isfinite(line) else f"row {r!r}"
        parts.append(f"{at} ({id}={frame.at[r, id]!r}, {time}={int(frame.at[r, time])})")
    return format_ids(parts)


def _all_text(column: pd.Series, na_values) -> bool:
    if pd.api.types.is_numeric_dtype(column):
        return False
    text = column.map(lambda v: v.strip() if isinstance(v, str) else v)
    present = text[text.map(lambda v: isinstance(v, str) and v not in set(na_values))]
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").isna().all() \
        and len(present) == text.notna().sum()


def _to_numbers(frame: pd.DataFrame, columns, *, na_values, id, time, row_of) -> pd.DataFrame:
    na = set(na_values)
    bad = []
    out = {}
    for col in columns:
        raw = frame[col]
        if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            out[col] = raw.astype(float)
            continue
        text = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
        is_na = text.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v))
                         or (isinstance(v, str) and v in na))
        values = pd.to_numeric(text.where(~is_na), errors="coerce")
        wrong = values.isna() & ~is_na
        # Booleans are not numbers here, even though pandas would take them as 0/1.
        wrong |= text.map(lambda v: isinstance(v, (bool, np.bool_)))
        for r in frame.index[wrong]:
            line = row_of.get(r, np.nan)
            at = f"line {int(line)}" if np.isfinite(line) else f"row {r!r}"
            bad.append(f"{at}, column {col!r} ({id}={frame.at[r, id]!r}, "
                       f"{time}={int(frame.at[r, time])}): {raw[r]!r}")
        out[col] = values.astype(float)
    if bad:
        raise InputError(
            f"{len(bad)} non-numeric cell(s) in numeric columns: {format_ids(bad, limit=15)}. "
            "Numbers must be plain (no thousands separators or units); cells meaning "
            f"'not available' may be empty or one of {list(na_values)}.")
    return pd.DataFrame(out, index=frame.index)


def _crosswalk(crosswalk) -> dict:
    if crosswalk is None:
        return {}
    if isinstance(crosswalk, (str, PathLike)):
        path = Path(crosswalk)
        if not path.is_file():
            raise InputError(f"crosswalk file {str(path)!r} does not exist.")
        crosswalk = read_csv_file(path, what="crosswalk file", dtype=str,
                                  keep_default_na=False)
    if isinstance(crosswalk, pd.DataFrame):
        if not {"old", "new"} <= set(crosswalk.columns):
            raise InputError("a crosswalk table needs columns 'old' and 'new' (old code -> "
                             f"current code); columns given: {list(crosswalk.columns)}.")
        pairs = list(zip(crosswalk["old"], crosswalk["new"]))
    elif isinstance(crosswalk, Mapping):
        pairs = list(crosswalk.items())
    else:
        raise InputError("crosswalk must be a mapping {old: new}, a DataFrame or a CSV path "
                         f"with columns old,new; {type(crosswalk).__name__} was given.")
    mapping: dict = {}
    for old, new in pairs:
        old_c, new_c = _as_code(old), _as_code(new)
        if old_c is None or new_c is None:
            raise InputError(f"crosswalk entry {old!r} -> {new!r} has an empty code.")
        if old_c in mapping and mapping[old_c] != new_c:
            raise InputError(f"crosswalk maps {old_c!r} to both {mapping[old_c]!r} and "
                             f"{new_c!r}.")
        mapping[old_c] = new_c
    chained = sorted(set(mapping) & set(mapping.values()))
    chained = [c for c in chained if mapping[c] != c]
    if chained:
        raise InputError(f"crosswalk codes {chained} are both old and new codes; map every old "
                         "code directly to its current code.")
    return mapping


def _layer_ids_names(layer):
    if layer is None:
        return None, None
    if hasattr(layer, "index") and hasattr(layer, "columns"):
        ids = pd.Index([_as_code(i) for i in layer.index])
        names = None
        for col in ("name_zh", "name", "name_en"):
            if col in layer.columns:
                names = pd.Series(layer[col].astype(str).to_numpy(), index=ids)
                break
        return ids, names
    return pd.Index([_as_code(i) for i in layer]), None


def read_county_panel(
    source,
    *,
    id: str = "code",
    time: str = "year",
    columns: Mapping | None = None,
    layer=None,
    numeric: Sequence[str] | None = None,
    nonnegative: Sequence[str] = (),
    positive: Sequence[str] = (),
    years: tuple[int, int] | None = None,
    crosswalk=None,
    aggregate: Mapping[str, str] | str = "sum",
    units: Literal["all", "data"] = "all",
    name: str | None = None,
    text: Sequence[str] = (),
    sheet=None,
    encoding: str | None = None,
    na_values: Sequence[str] = YEARBOOK_NA,
) -> CountyPanel:
    """Read and check a county panel (long: one row per unit and period).

    Parameters
    ----------
    source : path or DataFrame
        CSV (UTF-8, or GB18030/GBK detected), TSV, Excel (``.xlsx``, needs openpyxl) or
        Parquet. Not modified.
    id, time : str
        Id and time columns, named as after the ``columns`` mapping.
    columns : mapping, optional
        File header -> name, e.g. ``{"地区代码": "code", "年份": "year", "地区生产总值(万元)":
        "gdp"}``; headers not listed keep their names.
    layer : GeoDataFrame, Index or sequence, optional
        The units of the county layer (its index, e.g.
        :func:`~spatialflow.datasets.load_guangdong_counties`). Ids of the data unknown to the
        layer raise :class:`~spatialflow.exceptions.IdMismatchError` listing each with the
        closest known codes (and names, when ``name`` and a layer name column are given);
        layer units absent from the data raise too unless ``units="data"``.
    numeric : list of str, optional
        Columns to read as numbers (default: every column but id, time and ``name``). A
        non-numeric cell raises with its line, id, period and column.
    nonnegative, positive : list of str
        Columns whose values must be >= 0 (raw counts and amounts that entropy weights or
        sums take) or > 0 (anything a measure takes logs of or divides by: output, capital,
        employment, incomes).
    years : (first, last), optional
        Keep these periods (inclusive); the rows left out are counted in ``notes``.
    crosswalk : mapping, DataFrame or CSV path, optional
        Old code -> current code. Rows of units mapped to the same code in the same period are
        combined by ``aggregate``.
    aggregate : str or mapping
        ``"sum"`` (default: right for extensive quantities), ``"mean"``, ``"min"``, ``"max"``,
        ``"first"``, or a mapping column -> one of those (unlisted columns are summed). A
        merged cell is missing when any of its parts is missing.
    units : {"all", "data"}
        ``"all"``: every unit of the layer must be in the data. ``"data"``: layer units absent
        from the data are allowed (listed in ``notes``); the caller restricts the layer.
    name : str, optional
        A column with unit names, used to suggest codes for unknown ids.
    text : list of str
        Other text columns to keep as they are (e.g. a grouping column); with an explicit
        ``numeric`` list, columns in neither list are left out of ``data``.
    sheet : str or int, optional
        Excel sheet (default the first).
    encoding : str, optional
        CSV encoding (default: UTF-8, then GB18030).
    na_values : sequence of str
        Cell texts meaning "not available" (default :data:`YEARBOOK_NA`).

    Returns
    -------
    CountyPanel

    Raises
    ------
    InputError
        Unreadable file, unknown headers, non-numeric cells, negative values, bad options.
    IdMismatchError
        Unknown ids (with suggestions and the redistricting note) or layer units missing.
    DuplicateIdError
        A (id, time) pair occurs twice (lines given).
    PanelError
        Missing ids or periods, periods that are not integers.

    Examples
    --------
    >>> import pandas as pd
    >>> from spatialflow.datasets import read_county_panel
    >>> raw = pd.DataFrame({"代码": ["440103", "440103"], "年份": [2022, 2023],
    ...                     "GDP": ["120.5", "—"]})
    >>> panel = read_county_panel(raw, columns={"代码": "code", "年份": "year"})
    >>> panel.data["GDP"].tolist(), panel.missing[["id", "time", "column"]].values.tolist()
    ([120.5, nan], [['440103', 2023, 'GDP']])
    """
    if units not in ("all", "data"):
        raise InputError(f"units must be 'all' or 'data'; {units!r} was given.")
    frame, src, notes = read_table(source, sheet=sheet, encoding=encoding)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = _apply_mapping(frame, columns)
    for key, what in ((id, "id"), (time, "time")):
        if key not in frame.columns:
            raise InputError(f"the {what} column {key!r} is not in the data (after the column "
                             f"mapping); closest: {_closest(key, frame.columns)}; columns: "
                             f"{format_ids(frame.columns, limit=60)}.")
    if len(frame) == 0:
        from ..exceptions import EmptyInputError
        raise EmptyInputError(f"the data {src or 'frame'} has no rows.")
    frame = frame.reset_index(drop=True)
    row_of = _file_rows(frame, src)

    codes = frame[id].map(_as_code)
    if codes.isna().any():
        raise PanelError(f"the id column {id!r} is empty at "
                         f"{_lines(frame.index[codes.isna()], row_of)}.")
    frame[id] = codes
    times = pd.to_numeric(frame[time].map(lambda v: v.strip() if isinstance(v, str) else v),
                          errors="coerce")
    bad_t = times.isna() | (times.notna() & (times % 1 != 0))
    if bad_t.any():
        shown = [f"{_lines([r], row_of)[1:-1]}: {frame.at[r, time]!r}"
                 for r in frame.index[bad_t]]
        raise PanelError(f"the time column {time!r} must hold whole numbers (years); "
                         f"{format_ids(shown)}.")
    frame[time] = times.astype(int)

    if name is not None and name not in frame.columns:
        raise InputError(f"name column {name!r} is not in the data; closest: "
                         f"{_closest(name, frame.columns)}.")
    absent = [c for c in text if c not in frame.columns]
    if absent:
        hints = "; ".join(f"{c!r} (closest: {_closest(c, frame.columns)})" for c in absent)
        raise InputError(f"text column(s) not in the data: {hints}.")
    text_cols = list(dict.fromkeys([c for c in (id, time, name) if c is not None] + list(text)))
    if numeric is None:
        # A column none of whose cells is a number is a label (names, prefecture): text.
        # A column mixing numbers and text is numeric with bad cells, and raises below.
        numeric = [c for c in frame.columns if c not in text_cols
                   and not _all_text(frame[c], na_values)]
    else:
        numeric = list(numeric)
        absent = [c for c in numeric if c not in frame.columns]
        if absent:
            hints = "; ".join(f"{c!r} (closest: {_closest(c, frame.columns)})" for c in absent)
            raise InputError(f"column(s) needed as numbers are not in the data: {hints}.")
    for opt, cols in (("nonnegative", nonnegative), ("positive", positive)):
        extra = [c for c in cols if c not in numeric]
        if extra:
            raise InputError(f"{opt} names column(s) {extra} that are not read as numbers "
                             f"(numeric columns: {numeric}).")

    if years is not None:
        first, last = _check_years(years)
        keep = frame[time].between(first, last)
        if not keep.any():
            raise PanelError(f"no rows in years {first}..{last}; the data has "
                             f"{sorted(frame[time].unique().tolist())}.")
        if (~keep).any():
            notes.append(f"{int((~keep).sum())} row(s) outside years {first}..{last} left out "
                         f"(periods {sorted(frame.loc[~keep, time].unique().tolist())}).")
        frame, row_of = frame.loc[keep], row_of[keep]

    _check_stray_periods(frame, id=id, time=time, row_of=row_of)

    dup = frame.duplicated([id, time], keep=False)
    if dup.any():
        groups = frame.loc[dup].groupby([id, time]).groups
        shown = [f"({k[0]!r}, {k[1]}) at {_lines(v, row_of)}" for k, v in groups.items()]
        raise DuplicateIdError(f"each ({id!r}, {time!r}) pair must occur once; duplicated: "
                               f"{format_ids(shown, limit=10)}.")

    values = _to_numbers(frame, numeric, na_values=na_values, id=id, time=time,
                         row_of=row_of.to_dict())
    data = pd.concat([frame[text_cols], values], axis=1)
    rows = row_of.copy()

    for cols, test, what in ((nonnegative, lambda v: v < 0, "non-negative"),
                             (positive, lambda v: v <= 0, "strictly positive")):
        cells = []
        for col in cols:
            for r in data.index[test(data[col]).fillna(False).to_numpy()]:
                cells.append(f"{_lines([r], rows)[1:-1]} ({id}={data.at[r, id]!r}, "
                             f"{time}={data.at[r, time]}) {col!r} = {data.at[r, col]}")
        if cells:
            raise InputError(f"{len(cells)} cell(s) must be {what} (the measures built from "
                             f"these columns need it; entropy weights and sums take raw "
                             f"amounts, logs and ratios need positives): "
                             f"{format_ids(cells, limit=15)}.")

    mapping = _crosswalk(crosswalk)
    if mapping:
        data, rows, merged = _apply_crosswalk(data, rows, mapping, id=id, time=time,
                                              numeric=numeric, aggregate=aggregate, name=name)
        notes.extend(merged)

    layer_ids, layer_names = _layer_ids_names(layer)
    if layer_ids is not None:
        _check_against_layer(data, layer_ids, layer_names, id=id, name=name, units=units,
                             notes=notes, crosswalk=bool(mapping))

    data = data.sort_values([id, time], kind="stable")
    rows = rows.reindex(data.index)
    data = data.reset_index(drop=True)
    rows = rows.reset_index(drop=True)
    missing = _missing_table(data, numeric, id=id, time=time, rows=rows)
    coverage = _coverage(data, numeric, id=id, time=time,
                         expected=None if layer_ids is None else len(layer_ids))
    return CountyPanel(data=data, id=id, time=time, numeric=tuple(numeric), coverage=coverage,
                       missing=missing, notes=tuple(notes), source=src)


def _check_stray_periods(frame, *, id, time, row_of) -> None:
    """Refuse a period observed for few units and far outside the others: a typo such as
    20199 for 2019, which would otherwise become a period of its own (and a grid of 18,000
    periods to anything that fills gaps between the first and the last).

    A period is *stray* when it has fewer than half the units of the fullest period, and
    either has another number of digits than every well-observed period or lies more than
    ``max(5 * span, 50)`` periods outside their range (``span`` = last - first of the
    well-observed periods).
    """
    units = frame.groupby(time)[id].nunique()
    if len(units) < 2:
        return
    dense = units.index[units >= 0.5 * units.max()]
    lo, hi = int(dense.min()), int(dense.max())
    reach = max(5 * (hi - lo), 50)
    digits = {len(str(abs(int(t)))) for t in dense}
    stray = [int(t) for t in units.index[units < 0.5 * units.max()]
             if len(str(abs(int(t)))) not in digits or t < lo - reach or t > hi + reach]
    if not stray:
        return
    observed = frame.groupby(id)[time].agg(set)
    dense_set = {int(d) for d in dense}
    shown = []
    for t in stray:
        rows = frame.index[frame[time] == t]
        parts = []
        for r in rows[:5]:
            # the likely intended period: one keystroke away, preferably one this unit lacks
            near = [d for d in sorted(dense_set) if _one_edit(str(t), str(d))]
            lacking = sorted(dense_set - observed[frame.at[r, id]])
            guess = [d for d in near if d in lacking] or near or (
                lacking if len(lacking) == 1 else [])
            hint = f" ({' or '.join(map(str, guess))}?)" if guess else ""
            parts.append(f"{_lines([r], row_of)[1:-1]} ({id}={frame.at[r, id]!r}){hint}")
        more = f"; ... ({len(rows) - 5} more)" if len(rows) > 5 else ""
        shown.append(f"{t} at {'; '.join(parts)}{more}")
    raise PanelError(
        f"the time column {time!r} has period(s) far outside the others ({lo}..{hi}, observed "
        f"for most units): {'; '.join(shown)}. This is almost certainly a typo: correct the "
        "cell; if the period is real, keep the periods you want with years = [first, last] "
        "(config key data.years).")


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` becomes ``b`` by one inserted, deleted, replaced or swapped character."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _lines(index, row_of) -> str:
    parts = []
    for r in index:
        line = row_of.get(r, np.nan) if hasattr(row_of, "get") else np.nan
        parts.append(f"line {int(line)}" if np.isfinite(line) else f"row {r!r}")
    return format_ids(parts).replace("'", "")


def _check_years(years) -> tuple[int, int]:
    if (not isinstance(years, (list, tuple)) or len(years) != 2
            or not all(isinstance(y, (int, np.integer)) and not isinstance(y, bool)
                       for y in years) or years[0] > years[1]):
        raise InputError(f"years must be [first, last] (integers, first <= last); {years!r} "
                         "was given.")
    return int(years[0]), int(years[1])


def _apply_crosswalk(data, rows, mapping, *, id, time, numeric, aggregate, name):
    if isinstance(aggregate, str):
        how = {c: aggregate for c in numeric}
    elif isinstance(aggregate, Mapping):
        unknown = [c for c in aggregate if c not in numeric]
        if unknown:
            raise InputError(f"aggregate names column(s) {unknown} that are not numeric "
                             f"columns of the data ({numeric}).")
        how = {c: aggregate.get(c, "sum") for c in numeric}
    else:
        raise InputError(f"aggregate must be one of {AGGREGATIONS} or a mapping column -> one "
                         f"of them; {aggregate!r} was given.")
    bad = {c: h for c, h in how.items() if h not in AGGREGATIONS}
    if bad:
        raise InputError(f"aggregate must be among {AGGREGATIONS}; given {bad}.")
    old = data[id]
    new = old.map(lambda c: mapping.get(c, c))
    notes = []
    renamed = sorted(set(old[old != new]))
    if not renamed:
        notes.append("the crosswalk matched no id of the data (nothing renamed).")
        return data, rows, notes
    data = data.assign(**{id: new})
    groups = data.groupby([id, time], sort=False)
    sizes = groups.size()
    multi = sizes[sizes > 1]
    for code in renamed:
        notes.append(f"crosswalk: {code} -> {mapping[code]}.")
    if len(multi) == 0:
        return data, rows, notes
    pieces, new_rows = [], []
    for (code, period), idx in groups.groups.items():
        part = data.loc[idx]
        if len(part) == 1:
            pieces.append(part.iloc[0])
            new_rows.append(rows[idx[0]])
            continue
        row = part.iloc[0].copy()
        for col in numeric:
            v = part[col]
            # a merged cell built from a missing part would understate the sum: keep it missing
            row[col] = np.nan if v.isna().any() else getattr(v, how[col])()
        pieces.append(row)
        new_rows.append(np.nan)
    merged = pd.DataFrame(pieces).reset_index(drop=True)
    for col in numeric:
        merged[col] = merged[col].astype(float)
    merged[time] = merged[time].astype(int)
    counts = multi.groupby(level=0).size()
    for code, n_periods in counts.items():
        notes.append(f"crosswalk: {int(multi.loc[code].iloc[0])} units combined into {code} in "
                     f"{n_periods} period(s) ({'; '.join(f'{c}: {how[c]}' for c in numeric[:6])}"
                     f"{'; ...' if len(numeric) > 6 else ''}).")
    return merged, pd.Series(new_rows, index=merged.index, dtype=float), notes


def _check_against_layer(data, layer_ids, layer_names, *, id, name, units, notes, crosswalk):
    have = pd.Index(data[id].unique())
    unknown = have.difference(layer_ids)
    if len(unknown):
        lines = []
        for code in unknown[:20]:
            hint = f"{code!r}: closest codes {_closest(code, layer_ids)}"
            if name is not None and layer_names is not None:
                label = data.loc[data[id] == code, name].iloc[0]
                near = _closest(label, layer_names.to_numpy())
                if near:
                    by_name = [f"{layer_names.index[layer_names == n][0]} {n}" for n in near]
                    hint += f", closest names for {label!r}: {by_name}"
            lines.append(hint)
        more = f" ... ({len(unknown) - 20} more)" if len(unknown) > 20 else ""
        raise IdMismatchError(
            f"{len(unknown)} id(s) of the data are not units of the layer ({len(layer_ids)} "
            f"units): {'; '.join(lines)}{more}. {REDISTRICTING_NOTE}"
            + (" A crosswalk was applied; these ids remain unknown after it." if crosswalk
               else ""))
    absent = layer_ids.difference(have)
    if len(absent):
        shown = [f"{c} {layer_names[c]}" if layer_names is not None else c for c in absent]
        if units == "all":
            raise IdMismatchError(
                f"{len(absent)} unit(s) of the layer have no rows in the data: "
                f"{format_ids(shown, limit=30)}. Add them, or restrict the layer to the units "
                "in the data (units = \"data\" / units=\"data\").")
        notes.append(f"{len(absent)} unit(s) of the layer are not in the data and are left "
                     f"out of the layer: {format_ids(shown, limit=30)}.")


def _missing_table(data, numeric, *, id, time, rows) -> pd.DataFrame:
    cells = []
    for col in numeric:
        for r in data.index[data[col].isna().to_numpy()]:
            cells.append((data.at[r, id], int(data.at[r, time]), col, rows.get(r, np.nan)))
    table = pd.DataFrame(cells, columns=["id", "time", "column", "row"])
    return table.sort_values(["id", "time", "column"], kind="stable").reset_index(drop=True)


def _coverage(data, numeric, *, id, time, expected) -> pd.DataFrame:
    table = data.groupby(time).agg(units=(id, "nunique"))
    if expected is not None:
        table["expected"] = expected
    if numeric:
        table = table.join(data[numeric].isna().groupby(data[time]).sum()
                           .add_prefix("missing:"))
    table.index.name = time
    return table


# ----------------------------------------------------------------------------- missing cells
MissingPolicy = Literal["raise", "drop-units", "interpolate"]


def handle_missing(
    panel: CountyPanel,
    columns: Sequence[str],
    *,
    policy: MissingPolicy = "raise",
    ids: Sequence | None = None,
    periods: Sequence[int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""Complete the (id x period) grid and deal with missing cells of ``columns``, visibly.

    Parameters
    ----------
    panel : CountyPanel
    columns : list of str
        The columns the analysis uses (others are left as they are).
    policy : {"raise", "drop-units", "interpolate"}
        ``"raise"``: refuse, listing every missing cell (absent rows included).
        ``"drop-units"``: drop the units with any missing cell (listed in the report).
        ``"interpolate"``: fill interior gaps of a unit's series linearly in time,
        :math:`x_t = x_a + (x_b - x_a)(t - a)/(b - a)` between the nearest observed periods
        :math:`a < t < b`; gaps at the start or end of a series are not extrapolated and
        raise.
    ids, periods : optional
        The full grid (default: the ids and periods present).

    Returns
    -------
    (data, report)
        The balanced frame sorted by (id, time) and one report row per cell or unit acted on
        (``id``, ``time``, ``column``, ``action``, ``value``).
    """
    if policy not in ("raise", "drop-units", "interpolate"):
        raise InputError("missing must be one of ('raise', 'drop-units', 'interpolate'); "
                         f"{policy!r} was given.")
    id, time = panel.id, panel.time
    data = panel.data
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise InputError(f"column(s) {absent} are not in the panel.")
    ids = pd.Index(panel.ids if ids is None else ids)
    periods = list(panel.periods if periods is None else periods)
    grid = pd.MultiIndex.from_product([ids, periods], names=[id, time])
    full = data.set_index([id, time]).reindex(grid)
    added = full.index.difference(data.set_index([id, time]).index)
    block = full[list(columns)]
    report_rows = []
    if not block.isna().any().any():
        return full.reset_index(), _report(report_rows)
    # vectorised: the grid can be large (units x periods), a Python loop over it is not
    flags = block.isna().stack()
    cells = list(flags.index[flags.to_numpy()])
    if policy == "raise":
        added = set(added)
        shown = format_ids([f"({i}, {t}, {c!r})" + (" [no row]" if (i, t) in added else "")
                            for i, t, c in cells[:25]])
        if len(cells) > 25:
            shown = f"{shown[:-1]}, ... ({len(cells) - 25} more)]"
        raise MissingDataError(
            f"{len(cells)} missing cell(s) (id, {time}, column) in the columns the run uses: "
            f"{shown}. Fill them in the data, or choose missing = "
            "\"drop-units\" (drop these units) or \"interpolate\" (linear in time, interior "
            "gaps only).")
    if policy == "drop-units":
        bad_units = sorted({i for i, _, _ in cells})
        for unit in bad_units:
            n = sum(1 for i, _, _ in cells if i == unit)
            report_rows.append((unit, None, None, "unit dropped", float(n)))
        keep = ~full.index.get_level_values(0).isin(bad_units)
        if not keep.any():
            raise MissingDataError("every unit has a missing cell; nothing would be left after "
                                   "dropping them.")
        return full[keep].reset_index(), _report(report_rows)
    # interpolate
    edge = []
    out = full.copy()
    for unit, series in block.groupby(level=0):
        for col in columns:
            s = series[col].droplevel(0)
            if not s.isna().any():
                continue
            obs = s.dropna()
            if obs.empty or s.index[0] < obs.index[0] or s.index[-1] > obs.index[-1]:
                edge.extend((unit, t, col) for t in s.index[s.isna()]
                            if obs.empty or t < obs.index[0] or t > obs.index[-1])
                continue
            filled = np.interp(np.asarray(s.index, float), np.asarray(obs.index, float),
                               obs.to_numpy(float))
            for t, v in zip(s.index[s.isna()], filled[s.isna().to_numpy()]):
                out.loc[(unit, t), col] = v
                report_rows.append((unit, int(t), col, "interpolated", float(v)))
    if edge:
        raise MissingDataError(
            f"{len(edge)} missing cell(s) at the start or end of a unit's series cannot be "
            f"interpolated (no extrapolation): {format_ids(edge, limit=25)}. Fill them, or "
            "choose missing = \"drop-units\".")
    return out.reset_index(), _report(report_rows)


def _report(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "time", "column", "action", "value"])
