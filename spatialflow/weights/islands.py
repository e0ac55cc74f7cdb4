"""What to do with units that have no neighbours: raise, attach to nearest units, or keep."""
from __future__ import annotations

import warnings
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from .._crs import to_metric
from ..exceptions import InputError, IslandError, IslandWarning, format_ids
from ._checks import check_finite_centroids

__all__ = ["find_islands", "apply_island_policy", "ISLAND_POLICIES"]

ISLAND_POLICIES = ("raise", "knn", "keep")


def find_islands(matrix: sp.csr_matrix) -> np.ndarray:
    """Positions of rows without any non-zero weight."""
    return np.flatnonzero(np.diff(matrix.indptr) == 0)


def _label(frame: pd.DataFrame, pos: np.ndarray) -> str:
    labels = []
    for p in pos[:20]:
        uid = frame.index[p]
        names = [str(frame[c].iloc[p]) for c in ("name_zh", "name_en") if c in frame.columns]
        labels.append(f"{uid!r} ({' / '.join(names)})" if names else repr(uid))
    if len(pos) > 20:
        labels.append(f"... ({len(pos) - 20} more)")
    return ", ".join(labels)


def _ranking_xy(frame: pd.DataFrame) -> np.ndarray:
    """Centroids for finding nearest units: metric if a CRS is set, raw coordinates if not."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("islands='knn' needs a GeoDataFrame (geometries to find nearest units).")
    metric = frame
    if frame.crs is not None and not frame.crs.is_projected:
        metric = to_metric(frame)
    with np.errstate(invalid="ignore"):  # inf coordinates: named by the check below
        centroids = metric.geometry.centroid
    xy = np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()])
    check_finite_centroids(xy, frame.index, frame.crs)
    return xy


def apply_island_policy(
    matrix: sp.csr_matrix,
    frame: pd.DataFrame,
    *,
    kind: str,
    policy: str,
    k_islands: int = 1,
    xy_km: np.ndarray | None = None,
    link_weight: Callable[[np.ndarray], np.ndarray] | None = None,
    stacklevel: int = 4,
) -> sp.csr_matrix:
    """Apply the island policy to an unstandardised weights matrix.

    Parameters
    ----------
    policy : {"raise", "knn", "keep"}
        ``"raise"``: :class:`IslandError` naming each island (id and name). ``"knn"``: link
        each island to its ``k_islands`` nearest units by centroid distance, in both
        directions so a symmetric W stays symmetric. ``"keep"``: keep the zero rows and warn
        (:class:`IslandWarning`).
    xy_km : array, optional
        Metric centroids in km (distance kinds); otherwise computed (a geographic frame is
        projected with :func:`spatialflow.datasets.to_metric` just to rank neighbours).
    link_weight : callable, optional
        Weight of an added link from its length in km (``d**-power`` for inverse-distance
        kinds); 1.0 when None.
    """
    if policy not in ISLAND_POLICIES:
        raise InputError(f"islands must be one of {list(ISLAND_POLICIES)}; {policy!r} was given.")
    pos = find_islands(matrix)
    if len(pos) == 0:
        return matrix
    if policy == "raise":
        raise IslandError(
            f"{len(pos)} unit(s) have no neighbours under kind={kind!r}: {_label(frame, pos)}. "
            "Choose islands='knn' to link each to its k_islands nearest units (by centroid), "
            "islands='keep' to keep it with a zero row of W (an IslandWarning is issued), "
            "or drop it from the frame."
        )
    if policy == "keep":
        warnings.warn(
            f"{len(pos)} unit(s) without neighbours under kind={kind!r} kept with zero rows "
            f"of W: {_label(frame, pos)}.",
            IslandWarning,
            stacklevel=stacklevel,  # point at the user's call of build()
        )
        return matrix
    n = matrix.shape[0]
    if isinstance(k_islands, bool) or not isinstance(k_islands, (int, np.integer)) \
            or not 1 <= k_islands < n:
        raise InputError(
            f"k_islands must be an integer with 1 <= k_islands < n (n = {n}); "
            f"{k_islands!r} was given."
        )
    xy = xy_km if xy_km is not None else _ranking_xy(frame)
    dist, nearest = cKDTree(xy).query(xy[pos], k=k_islands + 1)
    # drop the island itself from its own neighbour list, wherever it sorted
    rows, cols, lengths = [], [], []
    for island, d_row, j_row in zip(pos, dist, nearest):
        keep = j_row != island
        j_row, d_row = j_row[keep][:k_islands], d_row[keep][:k_islands]
        rows.extend([island] * len(j_row))
        cols.extend(j_row)
        lengths.extend(d_row)
    rows, cols = np.asarray(rows), np.asarray(cols)
    weights = np.ones(len(rows)) if link_weight is None else link_weight(np.asarray(lengths))
    both_ways = (np.concatenate([rows, cols]), np.concatenate([cols, rows]))
    added = sp.csr_matrix((np.concatenate([weights, weights]), both_ways), shape=matrix.shape)
    # maximum, not sum: a link that already exists (j -> island) keeps one weight
    return sp.csr_matrix(matrix.maximum(added))
