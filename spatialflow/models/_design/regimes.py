"""Spatial regimes: coefficients that differ by group (core vs periphery, region ...).

Regimes are an *option of any model*, not a model of their own: :func:`expand_design` turns
a design matrix into its regime-interacted form, which every estimator then uses as is
(the lagged ``W_<x>`` columns of Durbin models are built from the expanded columns), and
:func:`~spatialflow.models.diagnostics.hypotheses.chow_test` tests whether the regime coefficients are
equal (re-exported here).

For a variable :math:`x` varying over regimes :math:`r = 1, \\dots, R` the design holds

.. math::

    x_{[r]} = x \\cdot \\mathbb{1}\\{\\text{regime} = r\\}, \\qquad r = 1, \\dots, R,

so :math:`\\beta_{x[r]}` is the effect of :math:`x` in regime :math:`r`; the intercept
becomes the regime dummies.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ...exceptions import (
    CollinearityError,
    IdMismatchError,
    InputError,
    MissingDataError,
    ModelSpecificationError,
    format_ids,
)
from .naming import regime_column

__all__ = ["RegimeInfo", "expand_design", "regime_column"]


@dataclass(frozen=True)
class RegimeInfo:
    """How a design was expanded over regimes.

    Attributes
    ----------
    name : str or None
        Name of the regimes variable (the Series name).
    labels : tuple
        The regime labels, sorted.
    counts : pd.Series
        Observations per regime (index ``labels``).
    columns : dict
        Every original column -> the expanded columns that carry it (itself if fixed).
    varying : tuple of str
        The columns whose coefficients differ by regime.
    fixed : tuple of str
        The columns held common across regimes.
    membership : pd.Series
        The regime of every observation, indexed like the design.
    """

    name: str | None
    labels: tuple
    counts: pd.Series
    columns: dict
    varying: tuple
    fixed: tuple
    membership: pd.Series

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}: {v}" for k, v in self.counts.items())
        return (f"RegimeInfo({self.name!r}; regimes {{{counts}}}; varying {list(self.varying)};"
                f" fixed {list(self.fixed)})")


def _sorted_labels(values: pd.Series) -> list:
    uniques = list(pd.unique(values))
    try:
        return sorted(uniques)
    except TypeError:  # mixed label types (e.g. 1 and "a") have no natural order
        return sorted(uniques, key=str)


def expand_design(
    X: pd.DataFrame,
    regimes: pd.Series | Sequence,
    regime_vars: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, RegimeInfo]:
    r"""Interact the columns of a design matrix with regime indicators.

    Each varying column :math:`x` is replaced, in place, by :math:`R` columns
    :math:`x_{[r]} = x\,\mathbb{1}\{g_i = r\}` named ``f"{x}[{r}]"`` (regimes in sorted
    order); an ``Intercept`` becomes the regime dummies. Fixed columns are kept as they are.

    Parameters
    ----------
    X : pd.DataFrame
        The design (with its ``Intercept`` column if any), indexed by unit id.
    regimes : pd.Series or sequence
        The regime of each row. A Series must have the same ids as ``X`` (it is aligned by
        id, never by position); a plain sequence must have ``len(X)`` entries.
    regime_vars : list of str, optional
        Columns whose coefficients vary by regime; ``None`` means all (incl. Intercept).

    Returns
    -------
    X_expanded : pd.DataFrame
        Same index as ``X``.
    info : RegimeInfo

    Raises
    ------
    MissingDataError
        Missing regimes (the ids are named).
    IdMismatchError
        The ids of ``regimes`` and ``X`` differ.
    ModelSpecificationError
        Only one regime, or a regime with fewer observations than varying columns.
    InputError
        ``regime_vars`` not columns of ``X``.
    CollinearityError
        A varying column is zero throughout a regime.

    Examples
    --------
    >>> X = pd.DataFrame({"Intercept": 1.0, "x": [1., 2., 3., 4.]}, index=list("abcd"))
    >>> Xr, info = expand_design(X, pd.Series([0, 0, 1, 1], index=X.index), ["x"])
    >>> list(Xr.columns)
    ['Intercept', 'x[0]', 'x[1]']
    >>> Xr["x[1]"].tolist()
    [0.0, 0.0, 3.0, 4.0]
    """
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"X must be a pandas DataFrame; {type(X).__name__} was given.")
    if X.columns.has_duplicates:
        raise InputError(f"X has duplicated columns {list(X.columns[X.columns.duplicated()])}.")
    if isinstance(regimes, pd.Series):
        if not regimes.index.equals(X.index):
            only_x = X.index.difference(regimes.index, sort=False)
            only_r = regimes.index.difference(X.index, sort=False)
            if len(only_x) or len(only_r) or regimes.index.has_duplicates:
                raise IdMismatchError(
                    "the ids of regimes and X differ: "
                    f"{len(only_x)} id(s) in X only {format_ids(only_x)}; "
                    f"{len(only_r)} id(s) in regimes only {format_ids(only_r)}."
                )
            regimes = regimes.reindex(X.index)
        membership = regimes.copy()
    else:
        values = list(regimes)
        if len(values) != len(X):
            raise InputError(
                f"regimes must have one entry per row of X ({len(X)}); {len(values)} given."
            )
        membership = pd.Series(values, index=X.index, name=None)
    missing = membership.isna().to_numpy()
    if missing.any():
        raise MissingDataError(
            f"regimes must be known for every unit; missing at ids "
            f"{format_ids(X.index[missing])}."
        )

    if regime_vars is None:
        varying = list(X.columns)
    else:
        if isinstance(regime_vars, str):
            regime_vars = [regime_vars]
        regime_vars = list(regime_vars)
        unknown = [v for v in regime_vars if v not in X.columns]
        if unknown:
            raise InputError(
                f"regime_vars must be columns of the design {list(X.columns)}; "
                f"{unknown} are not."
            )
        dup = sorted({v for v in regime_vars if regime_vars.count(v) > 1})
        if dup:
            raise InputError(f"regime_vars lists {dup} more than once.")
        varying = [c for c in X.columns if c in set(regime_vars)]

    labels = _sorted_labels(membership)
    if len(labels) < 2:
        raise ModelSpecificationError(
            f"regimes need at least two distinct values; only {labels} was given "
            f"(all {len(X)} units are in one regime)."
        )
    counts = membership.value_counts().reindex(labels)
    counts.index.name = membership.name
    small = counts[counts < len(varying)]
    if len(small):
        raise ModelSpecificationError(
            f"each regime needs at least as many observations as varying columns "
            f"({len(varying)}: {varying}); regime(s) {format_ids(small.index)} have "
            f"{small.tolist()} observation(s)."
        )

    out: dict[str, pd.Series] = {}
    columns: dict[str, list[str]] = {}
    masks = {r: (membership == r).to_numpy() for r in labels}
    for col in X.columns:
        if col not in varying:
            out[col] = X[col].copy()
            columns[col] = [col]
            continue
        columns[col] = []
        values = X[col].to_numpy(dtype=float)
        for r in labels:
            name = regime_column(col, r)
            if name in X.columns:
                raise InputError(
                    f"the expanded column {name!r} would clash with an existing column of X."
                )
            expanded = np.where(masks[r], values, 0.0)
            if not np.any(expanded[masks[r]] != 0.0):
                raise CollinearityError(
                    f"column {col!r} is zero for every unit of regime {r!r}, so "
                    f"{name!r} cannot be estimated; hold {col!r} fixed across regimes "
                    "(leave it out of regime_vars)."
                )
            out[name] = pd.Series(expanded, index=X.index)
            columns[col].append(name)
    X_expanded = pd.DataFrame(out, index=X.index)
    info = RegimeInfo(
        name=membership.name,
        labels=tuple(labels),
        counts=counts.astype(int),
        columns=columns,
        varying=tuple(varying),
        fixed=tuple(c for c in X.columns if c not in varying),
        membership=membership,
    )
    return X_expanded, info
