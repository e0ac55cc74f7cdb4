r"""The treatment of a difference-in-differences: checks, adoption cohorts, event time.

A treatment column holds :math:`D_{it}\in\{0, 1\}` for unit :math:`i` in period :math:`t`.
Under *staggered adoption* (the default, ``absorbing=True``) a unit that is treated stays
treated: :math:`D_{it} = \mathbb 1\{t \ge g_i\}` with the unit's **cohort** :math:`g_i` (its
first treated period; :math:`g_i = \infty` for never-treated units). The panel then has a
cohort :math:`\times` period structure: every unit of cohort :math:`g` is untreated in the
periods before :math:`g` and treated from :math:`g` on, and its **event time** in period
:math:`t` is :math:`e_{it} = t - g_i` counted in panel periods (positions in the sorted
periods, not differences of the labels).

Event-study indicators with ``leads`` :math:`L` and ``lags`` :math:`K` (reference period
:math:`e = -1` omitted, endpoints binned so that no treated row is dropped):

.. math::
    D^{(k)}_{it} = \mathbb 1\{e_{it} = k\}\ (-L < k < -1,\ 0 \le k < K),\quad
    D^{(-L)}_{it} = \mathbb 1\{e_{it} \le -L\},\quad
    D^{(K)}_{it} = \mathbb 1\{e_{it} \ge K\},

all zero for never-treated units.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import InputError, TreatmentError, format_ids

__all__ = ["TreatmentPaths", "check_treatment_values", "treatment_paths", "event_dummies",
           "event_name"]


@dataclass(frozen=True)
class TreatmentPaths:
    """The treatment of a balanced panel as a periods x units array, with the cohorts.

    Attributes
    ----------
    D : ndarray (T, n)
        :math:`D_{it}` for the periods ``times`` (rows) and units ``ids`` (columns).
    ids, times : Index
        The units (in the order of the fitted W) and the sorted periods.
    first : ndarray of int (n,)
        Position (0 .. T-1) of each unit's first treated period; ``T`` when never treated.
    absorbing : bool
        Whether the treatment never switches off (then ``D[t, i] = 1{t >= first[i]}``).
    """

    D: np.ndarray
    ids: pd.Index
    times: pd.Index
    first: np.ndarray
    absorbing: bool

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def T(self) -> int:
        return len(self.times)

    @property
    def never_treated(self) -> pd.Index:
        return self.ids[self.first == self.T]

    def cohorts(self) -> pd.DataFrame:
        """One row per adoption cohort: its first period, the number of units and of treated
        rows (never-treated units: cohort ``"never"``)."""
        rows = []
        for pos in np.unique(self.first):
            units = self.first == pos
            label = "never" if pos == self.T else self.times[[pos]].tolist()[0]
            rows.append({"cohort": label, "n_units": int(units.sum()),
                         "treated_periods": 0 if pos == self.T else int(self.T - pos),
                         "treated_rows": int(self.D[:, units].sum())})
        return pd.DataFrame(rows).set_index("cohort")

    def permuted(self, order: np.ndarray) -> "TreatmentPaths":
        """Unit ``i`` receives the treatment path of unit ``order[i]``."""
        return TreatmentPaths(self.D[:, order], self.ids, self.times, self.first[order],
                              self.absorbing)

    def stacked(self) -> np.ndarray:
        """:math:`D` stacked time-major (period 1 units 1..n, period 2 ...), as the models."""
        return self.D.reshape(-1).astype(float)


def check_treatment_values(data: pd.DataFrame, treatment: str, id, time) -> None:
    """Raise :class:`TreatmentError` unless ``data[treatment]`` is exactly 0 or 1 everywhere.

    Missing values and anything else (0.5, 2, "yes", booleans stored as text) are named by
    their (id, time) rows; booleans are accepted as 0/1.
    """
    if not isinstance(treatment, str):
        raise InputError(f"treatment= must name a column of the data; {treatment!r} was given.")
    if treatment not in data.columns:
        raise TreatmentError(f"treatment={treatment!r} is not a column of the data; columns: "
                             f"{list(data.columns)}.")
    for what, col in (("id", id), ("time", time)):
        if col is None or col not in data.columns:
            raise InputError(f"a difference-in-differences needs the panel's {what} column: "
                             f"{what}={col!r} is not a column of the data.")
    values = data[treatment]
    numeric = pd.to_numeric(values, errors="coerce") if values.dtype != bool else \
        values.astype(float)
    ok = numeric.isin([0.0, 1.0]).to_numpy()
    if not ok.all():
        bad = data.loc[~ok, [id, time, treatment]]
        rows = [(i, t) for i, t in zip(bad[id], bad[time])]
        shown = sorted({repr(v) for v in bad[treatment].tolist()})[:10]
        raise TreatmentError(
            f"the treatment column {treatment!r} must hold 0 (untreated) or 1 (treated) in "
            f"every row; {len(rows)} row(s) hold other values {', '.join(shown)} at (id, time) "
            f"{format_ids(rows)}.")


def treatment_paths(data: pd.DataFrame, treatment: str, id, time, ids: pd.Index,
                    times: pd.Index, *, absorbing: bool = True,
                    require_never_treated: bool = True) -> TreatmentPaths:
    """Validate the treatment of a balanced panel and return its paths and cohorts.

    Parameters
    ----------
    data : DataFrame
        The long panel (values already checked by :func:`check_treatment_values`).
    treatment, id, time : str
        Column names.
    ids, times : Index
        The units (order of W) and sorted periods of the fitted panel.
    absorbing : bool
        Require staggered adoption: a treated unit stays treated.
    require_never_treated : bool
        Require at least one never-treated unit (the clean comparison group of the
        cohort x period design; with False the not-yet-treated units serve alone).

    Raises
    ------
    TreatmentError
        No treated row; units treated in the first period already (their effect is absorbed
        by the unit effect); treatment switching off (``absorbing=True``); no never-treated
        unit (``require_never_treated=True``). The message names the ids.
    """
    frame = data[[id, time, treatment]]
    wide = frame.pivot(index=time, columns=id, values=treatment)
    wide = wide.reindex(index=times, columns=ids)
    D = wide.to_numpy(dtype=float)
    T, n = D.shape
    if not np.isfinite(D).all():  # the panel checks make this unreachable; kept as a guard
        raise TreatmentError("the treatment has no value for some (id, time) of the panel.")
    ever = D.max(axis=0) > 0
    if not ever.any():
        raise TreatmentError(f"no unit is ever treated: the treatment column {treatment!r} is 0 "
                             f"in all {n * T} rows; there is no effect to estimate.")
    first = np.where(ever, np.argmax(D > 0, axis=0), T)
    always = ids[D[0] > 0]
    if len(always):
        raise TreatmentError(
            f"{len(always)} unit(s) are treated already in the first period "
            f"{times[[0]].tolist()[0]!r}, so "
            "their unit fixed effect absorbs the treatment and no before/after comparison "
            f"exists for them: {format_ids(always)}. Drop them or add earlier periods.")
    switching = np.diff(D, axis=0).min(axis=0) < 0 if T > 1 else np.zeros(n, bool)
    if absorbing and switching.any():
        bad = ids[switching]
        detail = []
        for j in np.flatnonzero(switching)[:10]:
            off = np.flatnonzero(np.diff(D[:, j]) < 0)
            detail.append(f"{ids[[j]].tolist()[0]!r}: off in {times[[off[0] + 1]].tolist()[0]!r}")
        raise TreatmentError(
            f"staggered adoption needs a treatment that never switches off, but {len(bad)} "
            f"unit(s) go from 1 back to 0: {format_ids(bad)} ({'; '.join(detail)}). Fix the "
            "column, or pass absorbing=False for an on/off treatment (no event study then).")
    never = ~ever
    if require_never_treated and not never.any():
        cohorts = sorted(set(times[np.unique(first)].tolist()))
        raise TreatmentError(
            f"every unit is treated at some point (cohorts {cohorts}), so no never-treated unit "
            "is left as a comparison group and the last cohort's effect rests on the time "
            "effects alone. Add never-treated units, or pass require_never_treated=False to "
            "identify from the not-yet-treated.")
    return TreatmentPaths(D, ids, times, first.astype(int), absorbing)


def event_name(treatment: str, k: int) -> str:
    """Column name of the event-time indicator ``k`` (``D_m2`` for k = -2, ``D_p0`` for 0)."""
    return f"{treatment}_m{-k}" if k < 0 else f"{treatment}_p{k}"


def event_dummies(paths: TreatmentPaths, treatment: str, leads: int,
                  lags: int) -> pd.DataFrame:
    """The binned event-time indicators (module docstring), stacked time-major.

    Columns from the earliest lead to the last lag, named by :func:`event_name`; the
    reference period :math:`e = -1` has no column.
    """
    if not paths.absorbing:
        raise TreatmentError("an event study needs staggered adoption (absorbing=True): event "
                             "time is undefined for a treatment that switches off and on.")
    for what, v, low in (("leads", leads, 2), ("lags", lags, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise InputError(f"{what} must be an integer >= {low}; {v!r} was given.")
    T = paths.T
    t = np.arange(T)[:, None]
    treated = paths.first < T
    e = np.where(treated[None, :], t - paths.first[None, :], np.iinfo(np.int64).min)
    cols = {}
    for k in range(-leads, lags + 1):
        if k == -1:
            continue
        if k == -leads:
            hit = treated[None, :] & (e <= k)
        elif k == lags:
            hit = treated[None, :] & (e >= k)
        else:
            hit = e == k
        if not hit.any():
            raise TreatmentError(
                f"no treated row has event time {k} (periods relative to adoption): the panel's "
                f"{T} periods and cohorts {list(paths.cohorts().index)} cannot identify "
                f"leads={leads}, lags={lags}. Ask for fewer leads or lags.")
        cols[event_name(treatment, k)] = hit.reshape(-1).astype(float)
    return pd.DataFrame(cols)
