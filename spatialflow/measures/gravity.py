"""Gravity-model flow intensity between units, as a labelled matrix or a tidy OD table."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import is_real_number
from ..exceptions import EmptyInputError, IdMismatchError, InputError, format_ids
from ._validation import as_series

__all__ = ["gravity_matrix", "gravity_flows"]


def _aligned_inputs(
    population, gdp, distance
) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    pop = as_series(population, name="population")
    g = as_series(gdp, name="gdp")
    if not isinstance(distance, pd.DataFrame):
        raise InputError(
            "distance must be a square pandas DataFrame in km, labelled by unit id on both "
            f"axes; {type(distance).__name__} was given."
        )
    ids = pd.Index(pop.index)
    if len(ids) < 2:
        raise EmptyInputError(f"gravity flows need at least 2 units; {len(ids)} given.")
    if ids.has_duplicates:
        raise InputError(
            f"unit ids must be unique; duplicated: {format_ids(ids[ids.duplicated()])}."
        )
    for name, labels in (("gdp", g.index), ("distance rows", distance.index),
                         ("distance columns", distance.columns)):
        if not pd.Index(labels).sort_values().equals(ids.sort_values()) or len(labels) != len(ids):
            raise IdMismatchError(
                f"the ids of population and {name} differ: only in population "
                f"{format_ids(ids.difference(labels))}; only in {name} "
                f"{format_ids(pd.Index(labels).difference(ids))}."
            )
    p = pop.to_numpy()
    gv = g.reindex(ids).to_numpy()
    d = distance.reindex(index=ids, columns=ids).to_numpy(dtype=float)
    for name, v in (("population", p), ("gdp", gv)):
        bad = ids[~(np.isfinite(v) & (v > 0))]
        if len(bad):
            raise InputError(f"{name} must be finite and > 0; not so for ids {format_ids(bad)}.")
    off = ~np.eye(len(ids), dtype=bool)
    bad = off & ~(np.isfinite(d) & (d > 0))
    if bad.any():
        r, c = np.nonzero(bad)
        labels = ids.tolist()
        # Name each unordered pair once when the matrix is symmetric in its defects.
        pairs = [(labels[i], labels[j]) for i, j in zip(r, c) if i < j] or [
            (labels[i], labels[j]) for i, j in zip(r, c)
        ]
        raise InputError(
            "distances between distinct units must be finite and > 0 km (a zero distance makes "
            f"the gravity flow infinite); {int(bad.sum())} off-diagonal cell(s) are not, e.g. "
            f"pairs {format_ids(pairs)}. Check duplicated centroids or use a minimum distance."
        )
    return ids, p, gv, d


def gravity_matrix(
    population: pd.Series, gdp: pd.Series, distance: pd.DataFrame, *, exponent: float = 2.0
) -> pd.DataFrame:
    r"""Gravity flow intensity between every ordered pair of units.

    .. math::

        F_{ij} = k_{ij}\,\frac{\sqrt{P_i G_i}\,\sqrt{P_j G_j}}{D_{ij}^{\,b}},\qquad
        k_{ij} = \frac{G_i}{G_i + G_j},\qquad F_{ii} = 0,

    with populations :math:`P`, GDP :math:`G`, distances :math:`D` in km (for county polygons:
    :func:`spatialflow.weights.distance_matrix_km`) and distance decay
    :math:`b` (2 by default). :math:`k_{ij}` gives the richer unit of a pair the larger share,
    so the matrix is asymmetric: row ``i`` is the pull of ``i`` on ``j``.

    Parameters
    ----------
    population, gdp : pandas.Series
        Indexed by unit id (same ids, any order). Must be positive.
    distance : pandas.DataFrame
        Square matrix of distances in km with the unit ids as index and columns (any order);
        the diagonal is ignored, off-diagonal cells must be > 0.
    exponent : float
        Distance decay :math:`b` > 0.

    Returns
    -------
    pandas.DataFrame
        ``F`` labelled by ``population``'s ids on both axes (``origin`` rows, ``destination``
        columns), zero diagonal.

    Raises
    ------
    IdMismatchError
        The three inputs do not cover the same ids (the message lists the differences).
    InputError
        Non-positive populations/GDP, zero, negative or missing distances between distinct
        units (the message names the pairs).

    Examples
    --------
    >>> import pandas as pd
    >>> from spatialflow.measures import gravity_matrix
    >>> pop = pd.Series({"a": 1.0, "b": 4.0}); gdp = pd.Series({"a": 1.0, "b": 1.0})
    >>> dist = pd.DataFrame([[0, 2.0], [2.0, 0]], index=["a", "b"], columns=["a", "b"])
    >>> gravity_matrix(pop, gdp, dist).loc["a", "b"]  # 0.5 * 1 * 2 / 4
    np.float64(0.25)
    """
    if not (is_real_number(exponent) and np.isfinite(exponent) and exponent > 0):
        raise InputError(f"exponent must be a finite number > 0; {exponent!r} was given.")
    ids, p, g, d = _aligned_inputs(population, gdp, distance)
    mass = np.sqrt(p * g)
    k = g[:, None] / (g[:, None] + g[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        f = k * np.outer(mass, mass) / d ** exponent
    np.fill_diagonal(f, 0.0)
    out = pd.DataFrame(f, index=ids.copy(), columns=ids.copy())
    out.index.name, out.columns.name = "origin", "destination"
    return out


def gravity_flows(
    population: pd.Series, gdp: pd.Series, distance: pd.DataFrame, *, exponent: float = 2.0, min_flow: float = 0.0
) -> pd.DataFrame:
    r"""Gravity flows as a tidy origin-destination table, for flow-based spatial weights.

    Same model as :func:`gravity_matrix`; pairs ``i != j`` with ``F_ij > min_flow`` are kept.
    Hand the table to ``spatialflow.weights.build(gdf, kind="flow", flows=table)`` to get a
    libpysal Graph (then row-standardise as usual).

    Parameters
    ----------
    population, gdp : pandas.Series
        Indexed by unit id (same ids, any order). Must be positive.
    distance : pandas.DataFrame
        Square matrix of distances in km labelled by the unit ids (see
        :func:`gravity_matrix`).
    exponent : float
        Distance decay :math:`b` > 0.
    min_flow : float, default 0
        Pairs with a flow at or below it are left out.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination``, ``flow``, ordered by origin then destination as in
        ``population``'s index.
    """
    if not (is_real_number(min_flow) and np.isfinite(min_flow) and min_flow >= 0):
        raise InputError(f"min_flow must be a finite number >= 0; {min_flow!r} was given.")
    f = gravity_matrix(population, gdp, distance, exponent=exponent)
    ids = f.index
    n = len(ids)
    rows, cols = np.nonzero((f.to_numpy() > min_flow) & ~np.eye(n, dtype=bool))
    return pd.DataFrame(
        {
            "origin": ids[rows],
            "destination": ids[cols],
            "flow": f.to_numpy()[rows, cols],
        }
    )
