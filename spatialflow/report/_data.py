"""Input checks of :func:`spatialflow.report.build`: one prepared, validated view of the data.

Everything the report computes starts from :class:`ReportData`; the user's frames are never
modified (copies are taken), and every problem is either a typed error or a visible note.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._validation import check_count, check_magnitude, check_seed
from ..exceptions import (DuplicateIdError, EmptyInputError, GroupConflictError,
                          IdMismatchError, InputError, MissingDataError, format_ids)
from ._text import join, t
from .indicators import Indicator, as_indicators

__all__ = ["ReportData", "prepare", "check_run_options"]

#: Region names of Guangdong in Chinese (the embedded layer's ``region`` column).
REGION_ZH = {"PRD": "珠三角", "East": "粤东", "West": "粤西", "North": "粤北",
             "core": "核心区", "periphery": "外围区", "Core": "核心区", "Periphery": "外围区"}
PERIPHERY = "Periphery"


@dataclass
class ReportData:
    """The validated inputs (internal)."""

    panel: pd.DataFrame              # copy, columns id, period, indicators, _group
    layer: object                    # GeoDataFrame indexed by id (copy, only the report's units)
    indicators: list[Indicator]
    id: str
    time: str | None
    group: str
    core: object
    groups: list                     # core first, then peripheral groups in the layer's order
    unit_group: pd.Series            # id -> group label
    periods: list
    notes: list[str] = field(default_factory=list)
    weight_by: str | None = None       # panel column of the group means' weights (or None)
    unit_type: pd.Series | None = None  # id -> unit type (district / county / ...), if known

    @property
    def peripheral(self) -> list:
        return [g for g in self.groups if g != self.core]

    @property
    def last(self):
        return self.periods[-1]

    @property
    def first(self):
        return self.periods[0]

    @property
    def is_panel(self) -> bool:
        return self.time is not None and len(self.periods) > 1

    def values(self, column: str, period=None) -> pd.Series:
        """``column`` of one period (default: the last) indexed by unit id."""
        period = self.last if period is None else period
        part = self.panel[self.panel["_period"] == period]
        return pd.Series(part[column].to_numpy(), index=pd.Index(part[self.id].to_numpy(),
                                                                name=self.id), name=column)


def _names(layer, panel, id_col, ids) -> list[str]:
    """``code (name)`` labels for an error message, from whichever frame has names."""
    out = []
    for i in ids:
        name = None
        for frame, col in ((panel, "name_en"), (panel, "name_zh"), (panel, "name")):
            if col in frame.columns:
                hit = frame.loc[frame[id_col] == i, col]
                if len(hit):
                    name = hit.iloc[0]
                    break
        out.append(f"{i} ({name})" if name is not None else str(i))
    return out


def check_run_options(*, n_draws, seed, permutations) -> None:
    """The report's simulation options, checked before any work: ``n_draws`` an integer
    >= 2, ``seed`` a non-negative integer, ``permutations`` an integer >= 0 (0: no LISA
    pseudo p-values). ``-1``, ``2.5`` or ``"999"`` raise an :class:`InputError` naming
    the argument (numpy's errors would name nothing)."""
    check_count(n_draws, "n_draws", minimum=2)
    check_seed(seed, "seed")
    check_count(permutations, "permutations", minimum=0)


def prepare(panel, layer, *, indicators, id, time, group, core, lang="en",
            weight_by=None, unit_type="unit_type") -> ReportData:
    """Validate the report's inputs; return copies aligned by id (never by position).

    ``lang`` is the language of the notes (errors are always in English). ``weight_by``
    names a panel column of positive weights for the group means (e.g. population);
    ``unit_type`` a layer or panel column of unit types (used when present).
    """
    import geopandas as gpd

    if not isinstance(panel, pd.DataFrame):
        raise InputError(f"panel must be a pandas DataFrame (long: one row per {id!r}, "
                         f"{time!r}); a {type(panel).__name__} was given.")
    if not isinstance(layer, gpd.GeoDataFrame):
        raise InputError("layer must be a GeoDataFrame of the units' polygons indexed by id; "
                         f"a {type(layer).__name__} was given.")
    if len(panel) == 0:
        raise EmptyInputError("panel has no rows.")
    inds = as_indicators(indicators)
    needed = [id] + ([time] if time is not None else [])
    missing_keys = [c for c in needed if c not in panel.columns]
    if missing_keys:
        raise InputError(f"panel lacks the key column(s) {missing_keys} (id={id!r}, "
                         f"time={time!r}); its columns are {list(panel.columns)}.")
    missing_ind = [i.column for i in inds if i.column not in panel.columns]
    if missing_ind:
        raise InputError(f"indicator column(s) {missing_ind} are not in the panel; its columns "
                         f"are {list(panel.columns)}.")
    not_numeric = [i.column for i in inds if not pd.api.types.is_numeric_dtype(panel[i.column])
                   or pd.api.types.is_bool_dtype(panel[i.column])]
    if not_numeric:
        raise InputError(f"indicator column(s) {not_numeric} must be numeric; dtypes: "
                         f"{ {c: str(panel[c].dtype) for c in not_numeric} }.")
    keys = panel[needed]
    if keys.isna().any().any():
        bad = panel.index[keys.isna().any(axis=1).to_numpy()]
        raise MissingDataError(f"panel has missing {needed} at rows {format_ids(bad)}.")
    dup = keys.duplicated(keep=False)
    if dup.any():
        pairs = list(keys[dup].drop_duplicates().itertuples(index=False, name=None))
        what = f"({id}, {time})" if time is not None else id
        raise DuplicateIdError(f"panel has duplicated {what} rows: {format_ids(pairs)}.")
    if layer.index.has_duplicates:
        raise DuplicateIdError("layer index (the unit ids) has duplicates "
                               f"{format_ids(layer.index[layer.index.duplicated()].unique())}.")

    data_ids = pd.Index(pd.unique(panel[id]))
    not_in_layer = data_ids.difference(layer.index, sort=False)
    if len(not_in_layer):
        kinds = ({type(v).__name__ for v in data_ids[:5]}, {type(v).__name__ for v in layer.index[:5]})
        hint = (f" (panel ids are {sorted(kinds[0])}, layer ids are {sorted(kinds[1])}: "
                "convert one side)" if kinds[0] != kinds[1] else "")
        raise IdMismatchError(
            f"{len(not_in_layer)} unit(s) of the panel are not in the layer (code (name)): "
            f"{format_ids(_names(layer, panel, id, not_in_layer))}{hint}.")
    notes: list[str] = []
    only_layer = layer.index.difference(data_ids, sort=False)
    if len(only_layer):
        # Units are named in the report's language when the layer has the names.
        name_col = next((c for c in (("name_zh", "name_en") if lang == "zh" else ("name_en",))
                         if c in layer.columns), None)
        label = layer[name_col] if name_col is not None else None
        lp, rp = ("（", "）") if lang == "zh" else (" (", ")")
        listed = [f"{i}{lp}{label[i]}{rp}" if label is not None else str(i) for i in only_layer]
        notes.append(t("note_layer_no_data", lang, count=len(only_layer),
                       units=format_ids(listed)))

    unit_group = _unit_groups(panel, layer, id=id, group=group, data_ids=data_ids)
    present = list(pd.unique(unit_group))
    if core not in present:
        raise InputError(f"core={core!r} is not a label of the grouping column {group!r}; its "
                         f"labels are {present}.")
    if isinstance(unit_group.dtype, pd.CategoricalDtype):
        empty = [c for c in unit_group.cat.categories if c not in present]
        if empty:
            raise EmptyInputError(f"group(s) {empty} of {group!r} have no unit with data; drop "
                                  "them (e.g. .cat.remove_unused_categories()) or supply data.")
        order = [c for c in unit_group.cat.categories]
    else:
        order = present
    if len(order) < 2:
        raise EmptyInputError(f"the grouping {group!r} has only the core group {core!r}: "
                              "a core-periphery report needs at least one other group.")
    groups = [core] + [g for g in order if g != core]

    frame = panel.copy()
    frame["_period"] = frame[time] if time is not None else 0
    frame["_group"] = frame[id].map(unit_group).to_numpy()
    periods = sorted(pd.unique(frame["_period"]))
    _check_core_every_period(frame, periods, core=core, group=group, time=time)
    for ind in inds:
        col = frame[ind.column]
        inf = np.isinf(col.to_numpy(dtype=float))
        if inf.any():
            raise MissingDataError(f"indicator {ind.column!r} has infinite values at (id, "
                                   f"period) {format_ids(list(frame.loc[inf, [id, '_period']].itertuples(index=False, name=None)))}.")
        by_period = col.isna().groupby(frame["_period"]).agg(["sum", "size"])
        all_nan = by_period.index[by_period["sum"] == by_period["size"]].tolist()
        if len(all_nan) == len(periods):
            raise MissingDataError(f"indicator {ind.column!r} is missing (all NaN) in every "
                                   "period.")
        if all_nan:
            notes.append(t("note_all_missing", lang, column=ind.column,
                           periods=join(all_nan, lang)))
        partial = by_period[(by_period["sum"] > 0) & (by_period["sum"] < by_period["size"])]
        if len(partial):
            colon = "：" if lang == "zh" else ": "
            detail = join((f"{p}{colon}{int(r['sum'])}" for p, r in partial.iterrows()), lang)
            notes.append(t("note_some_missing", lang, column=ind.column, detail=detail))
    _check_scales(frame, inds, id)
    if weight_by is not None:
        _check_weights(frame, weight_by, id)
    types = None
    if unit_type is not None:
        if unit_type in layer.columns:
            types = layer[unit_type].reindex(data_ids)
        elif unit_type in panel.columns:
            types = panel.groupby(id, sort=False)[unit_type].first().reindex(data_ids)
        if types is not None:
            types.index.name = id
    check_magnitude(frame[list(dict.fromkeys(ind.column for ind in inds))].set_axis(
        pd.MultiIndex.from_frame(frame[[id, "_period"]])), where=" of the panel")
    layer_all = layer.copy()
    layer_all["_group"] = unit_group.reindex(layer_all.index).to_numpy()
    return ReportData(panel=frame, layer=layer_all, indicators=inds, id=id, time=time,
                      group=group, core=core, groups=groups, unit_group=unit_group,
                      periods=periods, notes=notes, weight_by=weight_by, unit_type=types)


def _check_scales(frame: pd.DataFrame, inds: list[Indicator], id: str) -> None:
    """Values that the declared scale cannot hold: negative levels or shares, logs whose
    level overflows. The offending (id, period) pairs are named."""
    for ind in inds:
        x = frame[ind.column].to_numpy(dtype=float)
        if ind.scale in ("level", "share"):
            bad = x < 0
            why = (f"is declared scale={ind.scale!r} (amounts >= 0 with a true zero) but has "
                   "negative values")
            fix = ("declare scale='index' if its zero is arbitrary (a score, a net flow), or "
                   "scale='log' if it is a logarithm")
        elif ind.scale == "log":
            with np.errstate(over="ignore"):
                bad = np.isfinite(x) & ~np.isfinite(np.exp(x))
            why = "is declared scale='log' but exp(value) is not finite (the level overflows)"
            fix = "check that the column holds natural logarithms"
        else:
            continue
        if bad.any():
            where = list(frame.loc[bad, [id, "_period"]].itertuples(index=False, name=None))
            raise InputError(f"indicator {ind.column!r} {why} at (id, period) "
                             f"{format_ids(where)}; {fix}.")


def _check_weights(frame: pd.DataFrame, column: str, id: str) -> None:
    """The weights of the group means: a numeric panel column, positive and finite."""
    if column not in frame.columns:
        raise InputError(f"weight_by={column!r} is not a column of the panel; its columns "
                         f"are {[c for c in frame.columns if not c.startswith('_')]}.")
    if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(
            frame[column]):
        raise InputError(f"weight_by={column!r} must be numeric (e.g. population); dtype "
                         f"{frame[column].dtype} was given.")
    v = frame[column].to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v <= 0)
    if bad.any():
        where = list(frame.loc[bad, [id, "_period"]].itertuples(index=False, name=None))
        raise MissingDataError(f"weight_by={column!r} must be positive and finite; it is "
                               f"not at (id, period) {format_ids(where)}.")


def _check_core_every_period(frame, periods, *, core, group, time) -> None:
    """Every period needs rows of the core group: its deficits, colour thresholds and
    transitions are measured against the core's values of the same period."""
    with_core = set(pd.unique(frame.loc[frame["_group"] == core, "_period"]))
    without = [p for p in periods if p not in with_core]
    if without:
        raise EmptyInputError(
            f"the core group {core!r} of {group!r} has no rows in period(s) "
            f"{format_ids(without)} of {time!r}; every deficit is measured against the core "
            "of the same period. Add the core's rows for those periods, or drop the periods "
            f"from the panel (e.g. panel[~panel[{time!r}].isin({pd.Index(without).tolist()!r})]).")


def _unit_groups(panel, layer, *, id, group, data_ids) -> pd.Series:
    """One group label per unit, from the layer or the panel; where both have the column
    they must agree (a unit's group is never chosen silently from one of them)."""
    in_panel = None
    if group in panel.columns:
        per_unit = panel.groupby(id, sort=False)[group].nunique(dropna=False)
        changing = per_unit.index[per_unit > 1]
        if len(changing):
            values = (panel[panel[id].isin(changing)].groupby(id, sort=False)[group]
                      .agg(lambda v: sorted(pd.unique(v.dropna()).tolist(), key=str)))
            detail = "; ".join(f"{u!r}: {values[u]}" for u in list(changing)[:10])
            raise GroupConflictError(
                f"grouping column {group!r} of the panel changes over time for unit(s) "
                f"{format_ids(changing)} ({detail}); a unit needs one group in every period. "
                "Fix the panel's column, or drop it and let the layer's column decide.")
        in_panel = panel.groupby(id, sort=False)[group].first().reindex(data_ids)
    if group in layer.columns:
        labels = layer[group].reindex(data_ids)
        source = "layer"
        if in_panel is not None:
            _check_groups_agree(labels, in_panel, group=group, id=id)
    elif in_panel is not None:
        labels = in_panel
        source = "panel"
    else:
        raise InputError(f"grouping column {group!r} is in neither the layer (columns "
                         f"{[c for c in layer.columns if c != 'geometry']}) nor the panel "
                         f"(columns {list(panel.columns)}).")
    if labels.isna().any():
        raise MissingDataError(f"grouping column {group!r} ({source}) is missing for unit(s) "
                               f"{format_ids(labels.index[labels.isna().to_numpy()])}.")
    labels.index.name = id
    return labels.rename(group)


def _check_groups_agree(layer_labels: pd.Series, panel_labels: pd.Series, *, group,
                        id) -> None:
    """Raise :class:`GroupConflictError` naming the units whose group differs between the
    layer and the panel (a missing value on one side is a difference too)."""
    same = (layer_labels.astype(object).to_numpy() == panel_labels.astype(object).to_numpy())
    both_missing = layer_labels.isna().to_numpy() & panel_labels.isna().to_numpy()
    differ = layer_labels.index[~(same | both_missing)]
    if len(differ):
        pairs = "; ".join(f"{u!r}: layer {layer_labels[u]!r}, panel {panel_labels[u]!r}"
                          for u in list(differ)[:10])
        raise GroupConflictError(
            f"the grouping column {group!r} is in both the layer and the panel, and they "
            f"disagree for {len(differ)} unit(s) ({id} {format_ids(differ)}: {pairs}). "
            f"Correct one of them, or drop the column from one (e.g. "
            f"panel.drop(columns={group!r})) so the other decides.")
