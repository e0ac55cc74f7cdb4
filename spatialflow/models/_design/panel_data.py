r"""Panel data for spatial models: validation, balancing, stacking and within transforms.

A panel arrives in long format (one row per unit and period, an ``id`` and a ``time``
column) with weights keyed by the unit ids. Everything is checked here once: the id and
time columns exist, every (id, time) pair occurs once, every unit is observed in every
period (or incomplete units are dropped on request, with a warning naming them), the ids
match the weights, T >= 2. The data are then stacked *time-major*: the first n rows are
period 1 in the order of :attr:`PanelData.ids`, so the lag operator of the stacked data is
:math:`I_T \otimes W`.

Within transforms of a stacked vector :math:`z` (viewed as a T x n array :math:`z_{ti}`):

.. math::
    \text{unit:}\ z_{ti} - \bar z_{\cdot i},\qquad
    \text{time:}\ z_{ti} - \bar z_{t\cdot},\qquad
    \text{twoway:}\ z_{ti} - \bar z_{\cdot i} - \bar z_{t\cdot} + \bar z_{\cdot\cdot}

and the random-effects quasi-demeaning :math:`z_{ti} - (1-\theta)\bar z_{\cdot i}`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..._typing import BalancePolicy, MissingPolicy, PanelEffects, check_option, literal_values
from ..._validation import check_magnitude
from ...exceptions import (CollinearityError, DuplicateIdError, IdMismatchError, InputError,
                          MissingDataError, MissingValueWarning, PanelError,
                          UnbalancedPanelError, UnbalancedPanelWarning, format_ids)
from ...weights.align import as_sparse, subset_weights, weights_ids
from .design import (check_rank, check_response, default_lagged, lag_name, orphans_of_drop,
                     warn_islands)

__all__ = ["spec_of", "unit_attribute", "PanelData", "prepare_panel", "within", "quasi_demean", "period_means",
           "unit_means", "EFFECTS"]

#: Accepted values of ``effects=`` (None: pooled, no individual effects).
EFFECTS = literal_values(PanelEffects)


@dataclass(frozen=True)
class PanelData:
    """A balanced panel stacked time-major (period 1 units 1..n, period 2 units 1..n, ...).

    Attributes
    ----------
    y : ndarray (nT,)
    X : DataFrame (nT, k)
        Regressors as given (including ``Intercept`` if the formula has one), stacked.
    WX : ndarray (nT, len(lagged_names))
        Spatial lags of the lagged regressors, period by period, on the *raw* data.
    ids, times : Index
        The n units (in the order of ``W``) and the T periods (sorted).
    W : csr_matrix (n, n)
        Weights aligned to ``ids``.
    index : MultiIndex (nT,)
        (id, time) of every stacked row.
    row_labels : Index (nT,)
        The labels of the user's rows that were kept, in the user's order.
    user_order : ndarray of int (nT,)
        ``z_stacked[user_order]`` puts a stacked vector in the order of ``row_labels``.
    """

    y: np.ndarray
    X: pd.DataFrame
    WX: np.ndarray
    ids: pd.Index
    times: pd.Index
    W: sp.csr_matrix
    index: pd.MultiIndex
    lagged_names: list
    endog_name: str
    id_name: str
    time_name: str
    dropped_units: pd.Index
    row_labels: pd.Index | None = None
    user_order: np.ndarray | None = None

    def to_user_rows(self, z: np.ndarray, name: str | None = None) -> pd.Series:
        """A stacked (time-major) vector as a Series on the user's row labels and order."""
        if self.row_labels is None:  # a panel built without the user's rows
            return pd.Series(z, index=self.index, name=name)
        return pd.Series(np.asarray(z)[self.user_order], index=self.row_labels, name=name)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def T(self) -> int:
        return len(self.times)

    @property
    def exog_names(self) -> list:
        return list(self.X.columns)

    def with_exog(self, columns: list) -> "PanelData":
        """The same panel restricted to the regressors ``columns`` (lags kept if lagged)."""
        keep_lag = [j for j, c in enumerate(self.lagged_names) if c in columns]
        return replace(self, X=self.X[columns], WX=self.WX[:, keep_lag],
                       lagged_names=[self.lagged_names[j] for j in keep_lag])


# ----------------------------------------------------------------------- transforms
def _cube(z: np.ndarray, n: int, T: int) -> np.ndarray:
    return z.reshape((T, n) + z.shape[1:])


def unit_means(z: np.ndarray, n: int, T: int) -> np.ndarray:
    """Time means of each unit, shape (n, ...)."""
    return _cube(z, n, T).mean(axis=0)


def period_means(z: np.ndarray, n: int, T: int) -> np.ndarray:
    """Cross-sectional means of each period, shape (T, ...)."""
    return _cube(z, n, T).mean(axis=1)


def within(z: np.ndarray, n: int, T: int, effects: str | None) -> np.ndarray:
    """Within transform of stacked (time-major) data for ``effects`` (see module docstring).

    ``effects=None`` and ``"random"`` return a copy (no transform).
    """
    z = np.asarray(z)
    # One copy, demeaned in place on the (T, n, ...) view: O(nT) time, one array of memory.
    c = np.array(_cube(z, n, T), dtype=float)
    if effects in ("unit", "twoway"):
        c -= c.mean(axis=0, keepdims=True)
    if effects in ("time", "twoway"):
        c -= c.mean(axis=1, keepdims=True)
    return c.reshape(z.shape)


def quasi_demean(z: np.ndarray, n: int, T: int, theta: float) -> np.ndarray:
    r"""Random-effects transform :math:`z_{ti} - (1-\theta)\bar z_{\cdot i}`."""
    c = _cube(np.asarray(z, dtype=float), n, T)
    return (c - (1.0 - theta) * c.mean(axis=0, keepdims=True)).reshape(z.shape)


def lag_panel(W: sp.csr_matrix, z: np.ndarray, n: int, T: int) -> np.ndarray:
    r""":math:`(I_T\otimes W) z` without forming the Kronecker product."""
    c = _cube(np.asarray(z, dtype=float), n, T)
    flat = np.moveaxis(c, 1, 0).reshape(n, -1)          # n x (T * ...)
    lagged = (W @ flat).reshape((n, T) + c.shape[2:])
    return np.moveaxis(lagged, 0, 1).reshape(z.shape)


# ----------------------------------------------------------------------- validation
def _column(data: pd.DataFrame, name, what: str) -> pd.Series:
    if name is None:
        raise PanelError(f"a panel needs both id= and time= columns; {what}=None was given.")
    if name not in data.columns:
        raise PanelError(f"{what}={name!r} is not a column of the data; columns: "
                         f"{list(data.columns)}.")
    col = data[name]
    if col.isna().any():
        rows = list(data.index[col.isna().to_numpy()])
        raise MissingDataError(f"the {what} column {name!r} has missing values at rows "
                               f"{format_ids(rows)}.")
    return col


def _weights_matrix(w, ids: pd.Index, dropped: pd.Index) -> tuple[sp.csr_matrix, pd.Index]:
    """W over ``ids`` and the ids in the weights' order (dropped units removed from W).

    The weights are aligned by :func:`spatialflow.weights.align.as_sparse`, the one path
    from the user's weights to a matrix (ids matched by value and checked, weights' values
    checked, libpysal's zero self-links of islands removed); units dropped from the panel
    are then removed with :func:`~spatialflow.weights.align.subset_weights`, which
    re-standardises a row-standardised W as a cross-section does.
    """
    if w is None:
        raise InputError("a spatial panel model needs weights: pass w= (a libpysal Graph or W "
                         "keyed by the unit ids).")
    wids = weights_ids(w)
    # Units follow the weights' order: results do not depend on the order of the rows.
    units = ids.append(pd.Index(dropped)) if len(dropped) else ids
    in_weights = pd.Index(wids[wids.isin(units)])
    missing = units.difference(wids, sort=False)
    ordered = in_weights.append(missing) if len(missing) else in_weights
    matrix = as_sparse(w, ordered.rename(ids.name))   # raises naming any ids that differ
    kept = ~ordered.isin(dropped)
    orphans = None
    if not kept.all():
        orphans = orphans_of_drop(matrix, kept)
        matrix = subset_weights(matrix, kept)
    return matrix, pd.Index(ordered[kept], name=ids.name), orphans


def prepare_panel(data: pd.DataFrame, y: pd.Series, X: pd.DataFrame, w, *, id, time,
                  balance: str = "raise", missing: str = "raise", lagged=None,
                  durbin: bool = False) -> PanelData:
    """Validate a long panel and stack it time-major (see the module docstring).

    Raises
    ------
    PanelError
        Missing id/time columns, T = 1, fewer than 2 units.
    DuplicateIdError
        Duplicated (id, time) rows (the message lists them).
    UnbalancedPanelError
        Units not observed in every period (the message lists them with their counts);
        ``balance="drop"`` drops them instead, with an :class:`UnbalancedPanelWarning`.
    IdMismatchError
        Unit ids absent from the weights or weights ids absent from the data.
    MissingDataError
        Non-finite values (unless ``missing="drop"``).
    """
    if not isinstance(data, pd.DataFrame):
        raise PanelError("a panel model needs data= (the long DataFrame with the id and time "
                         f"columns); {type(data).__name__} was given.")
    check_option(balance, BalancePolicy, "balance")
    check_option(missing, MissingPolicy, "missing")
    idc, tc = _column(data, id, "id"), _column(data, time, "time")
    if not data.index.equals(y.index):
        # Arrays given separately: meet the data by index (which must then be unique).
        if data.index.has_duplicates or not y.index.isin(data.index).all():
            raise PanelError("y and X must be indexed like data (the long frame with the id "
                             "and time columns), or data's index must be unique and contain "
                             "theirs.")
        idc, tc = idc.reindex(y.index), tc.reindex(y.index)
    non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if non_numeric:
        raise InputError(f"columns {non_numeric} are not numeric; encode categories first.")

    keys = pd.MultiIndex.from_arrays([idc.to_numpy(), tc.to_numpy()], names=[id, time])
    if keys.has_duplicates:
        dup = keys[keys.duplicated()].unique()
        raise DuplicateIdError(f"every (id, time) pair must occur once; {len(dup)} pair(s) are "
                               f"duplicated: {format_ids(list(dup))}.")

    values = pd.concat([y.rename("__y__"), X], axis=1).to_numpy(dtype=float)
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        cols = [c for c, b in zip([y.name or "y"] + list(X.columns),
                                  (~np.isfinite(values)).any(axis=0)) if b]
        bad = list(keys[~finite])
        if missing == "raise":
            raise MissingDataError(f"non-finite values in columns {cols} at {len(bad)} "
                                   f"(id, time) row(s) {format_ids(bad)}. Clean them, or pass "
                                   "missing='drop' (with balance='drop' for the units left "
                                   "incomplete).")
        warnings.warn(f"dropped {len(bad)} (id, time) row(s) with non-finite values in {cols}: "
                      f"{format_ids(bad)}.", MissingValueWarning, stacklevel=4)
        y, X, keys = y[finite], X[finite], keys[finite]

    unit = pd.Index(keys.get_level_values(0))
    ids = pd.Index(pd.unique(unit), name=id)
    times = pd.Index(pd.unique(keys.get_level_values(1)), name=time)
    try:
        times = times.sort_values()
    except TypeError:
        pass  # unorderable labels: keep the order of first appearance
    counts = pd.Series(unit).value_counts().reindex(ids)
    incomplete = counts[counts < len(times)]
    dropped = pd.Index([], name=id)
    if len(incomplete):
        listing = ", ".join(f"{i!r}: {c}" for i, c in list(incomplete.items())[:20])
        if len(incomplete) > 20:
            listing += f", ... ({len(incomplete) - 20} more)"
        if balance == "raise":
            raise UnbalancedPanelError(
                f"the panel is unbalanced: {len(times)} periods, but {len(incomplete)} unit(s) "
                f"are observed fewer times ({{id: periods}} {{{listing}}}). Complete the data "
                "or pass balance='drop' to drop those units.")
        dropped = pd.Index(incomplete.index, name=id)
        warnings.warn(f"dropped {len(dropped)} incomplete unit(s) from the panel "
                      f"({{id: periods}} {{{listing}}}); the weights were subset to the "
                      "remaining units (re-standardised by row if they were).",
                      UnbalancedPanelWarning, stacklevel=4)
        keep = ~unit.isin(dropped)
        y, X, keys = y[keep], X[keep], keys[keep]
        ids = ids.difference(dropped, sort=False)
    if len(times) < 2:
        raise PanelError(f"a panel needs at least T = 2 periods; the data have T = {len(times)} "
                         f"({list(times)}). Fit a cross-sectional model instead.")
    if len(ids) < 2:
        raise PanelError(f"a spatial panel needs at least 2 complete units; {len(ids)} remain.")

    W, ids, orphans = _weights_matrix(w, ids, dropped)
    warn_islands(W, ids, stacklevel=4, orphans=orphans)

    # Stack time-major in the order of ids: row t*n + i holds (ids[i], times[t]). Every
    # (unit, period) occurs exactly once by now (duplicates raised, incomplete units raised
    # or dropped), so data row r goes to t(r) n + i(r): two hash look-ups of 1-D labels,
    # not a MultiIndex of N T pairs.
    target = pd.MultiIndex.from_product([times, ids], names=[time, id])
    unit_pos = ids.get_indexer(keys.get_level_values(0))
    time_pos = times.get_indexer(keys.get_level_values(1))
    pos = np.empty(len(ids) * len(times), dtype=np.intp)
    pos[time_pos * len(ids) + unit_pos] = np.arange(len(unit_pos))
    ys = y.to_numpy(dtype=float)[pos]
    check_response(ys, str(y.name or "y"))
    Xs = X.iloc[pos].reset_index(drop=True).astype(float)
    index = pd.MultiIndex.from_arrays([target.get_level_values(1), target.get_level_values(0)],
                                      names=[id, time])
    check_magnitude(pd.concat([pd.Series(ys, name=str(y.name or "y")), Xs], axis=1)
                    .set_axis(index), where=f" (rows ({id}, {time}))")
    n, T = len(ids), len(times)

    if lagged is not None and not durbin:
        raise InputError("lagged= is for Durbin models (SLX, SDM, SDEM).")
    if durbin:
        lagged = default_lagged(list(Xs.columns)) if lagged is None else list(lagged)
        unknown = [c for c in lagged if c not in Xs.columns]
        if unknown:
            raise InputError(f"lagged names {unknown} are not regressors of the model; "
                             f"regressors: {list(Xs.columns)}.")
    else:
        lagged = []
    WX = lag_panel(W, Xs[lagged].to_numpy(), n, T) if lagged else np.empty((n * T, 0))
    # Stacked row j holds the user's (kept) row pos[j]; invert for the way back.
    user_order = np.empty(len(pos), dtype=np.intp)
    user_order[pos] = np.arange(len(pos))
    return PanelData(y=ys, X=Xs, WX=WX, ids=ids, times=times, W=W, index=index,
                     lagged_names=list(lagged), endog_name=str(y.name or "y"),
                     id_name=str(id), time_name=str(time), dropped_units=dropped,
                     row_labels=y.index.copy(), user_order=user_order)


def transformed_design(panel: PanelData, effects: str | None, *,
                       random_available: bool = True) -> tuple[np.ndarray, list]:
    """The within-transformed design ``[X, WX]`` for ``effects`` and its column names.

    Under fixed effects the intercept is dropped; a regressor that the transform
    annihilates (constant within units under unit effects, within periods under time
    effects) raises :class:`CollinearityError` naming it. The message suggests random
    effects only when the model has them (``random_available``: SAR, SEM, OLS).
    """
    fixed = effects in ("unit", "time", "twoway")
    exog = [c for c in panel.exog_names if not (fixed and c == "Intercept")]
    names = exog + [lag_name(c) for c in panel.lagged_names]
    Z = np.column_stack([panel.X[exog].to_numpy(), panel.WX]) if names else \
        np.empty((len(panel.y), 0))
    n, T = panel.n, panel.T
    Zt = within(Z, n, T, effects) if fixed else Z
    if fixed and Z.shape[1]:
        scale = np.maximum(_abs_max(Z), 1.0)
        flat = _abs_max(Zt) <= 1e-10 * scale
        if flat.any():
            what = {"unit": "within units (over time)", "time": "within periods (across units)",
                    "twoway": "within units or within periods"}[effects]
            alternative = (" (or use effects='random')" if random_available else
                           " (random effects, which would keep them, are available for SAR "
                           "and SEM only)")
            raise CollinearityError(
                f"regressors {[names[j] for j in np.flatnonzero(flat)]} do not vary "
                f"{what}, so {effects!r} fixed effects absorb them; drop them from the "
                f"formula{alternative}.")
    if Zt.shape[1] == 0:
        raise InputError("the model has no regressors left after removing the intercept.")
    check_rank(Zt, names)
    return Zt, names


def _abs_max(Z: np.ndarray) -> np.ndarray:
    """max |Z| by column without an N x k temporary of absolute values."""
    return np.maximum(Z.max(axis=0), -Z.min(axis=0))


def spec_of(obj):
    """The :class:`PanelSpec` of a panel model or of its results (InputError otherwise)."""
    model = getattr(obj, "model", obj)
    spec = getattr(model, "panel_options", None)
    if spec is None:
        raise InputError("a panel test needs a panel model or its results (built with id=, "
                         f"time= and effects=); {type(obj).__name__} was given.")
    return spec


def unit_attribute(obj, column: str) -> pd.Series:
    """A unit-level column of a panel's long data (e.g. ``core``), as a Series by unit id.

    For effects partitions: ``results.effects(partition=unit_attribute(results, "core"))``
    (``results.effects(partition="core")`` does this itself). Raises :class:`PanelError`
    naming the units whose value changes over time.
    """
    model = getattr(obj, "model", obj)
    spec = getattr(model, "panel_options", None)
    if spec is None:
        raise InputError(f"unit_attribute needs a panel model or results; "
                         f"{type(obj).__name__} was given.")
    return spec.unit_attribute(column)
