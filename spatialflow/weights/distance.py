"""Distance-based weights on centroids in kilometres: k nearest, distance band, inverse distance."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree
from scipy.spatial.distance import pdist, squareform

from typing import TYPE_CHECKING

from .._crs import metre_factor, to_metric
from ..exceptions import GeometryError, InputError, InvalidWeightsError, format_ids
from ._checks import check_finite_centroids, check_frame, check_geometries

if TYPE_CHECKING:  # annotations only
    from pyproj import CRS

__all__ = [
    "centroids_km", "knn_matrix", "distance_band_matrix", "inverse_distance_matrix",
    "check_threshold", "check_power", "pairwise_km", "check_distance_weights",
]


def centroids_km(gdf: gpd.GeoDataFrame, project=False) -> np.ndarray:
    """Centroid coordinates (n x 2) in kilometres of a metric CRS.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Points or polygons with a CRS.
    project : bool or CRS-like, default False
        ``False`` requires ``gdf`` to be in a projected CRS already (else :class:`CRSError`).
        ``True`` projects a geographic frame with :func:`spatialflow.datasets.to_metric`
        (Albers equal-area conic); a CRS projects to that CRS. Centroids are computed after
        projecting, never in degrees.
    """
    if project is not False and project is not None:
        crs = None if project is True else project
        if project is True and gdf.crs is not None and gdf.crs.is_projected:
            metric = gdf
        else:
            metric = to_metric(gdf, crs)
    else:
        if gdf.crs is not None and not gdf.crs.is_projected:
            metre_factor(gdf.crs)  # raises CRSError with the remedies
        metric = gdf
    factor = metre_factor(metric.crs)
    with np.errstate(invalid="ignore"):  # inf coordinates: named by the check below
        centroids = metric.geometry.centroid
    xy = np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()])
    xy = xy * factor / 1000.0
    check_finite_centroids(xy, gdf.index, gdf.crs)
    _check_distinct(xy, gdf.index)
    return xy


def _check_distinct(xy: np.ndarray, ids) -> None:
    _, first, counts = np.unique(xy, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        _, inverse = np.unique(xy, axis=0, return_inverse=True)
        shared = np.isin(inverse.ravel(), np.flatnonzero(counts > 1))
        raise GeometryError(
            "distance weights need distinct centroids; these ids share a centroid with "
            f"another unit: {format_ids(ids[shared])}."
        )


def knn_matrix(xy: np.ndarray, k: int) -> sp.csr_matrix:
    """Binary k-nearest-neighbour matrix (row i marks the k units closest to i)."""
    n = len(xy)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 or k >= n:
        raise InputError(
            f"knn needs an integer k with 1 <= k < n (n = {n} units); k={k!r} was given."
        )
    _, nearest = cKDTree(xy).query(xy, k=k + 1)
    # centroids are distinct, so column 0 is the unit itself
    cols = nearest[:, 1:].ravel()
    rows = np.repeat(np.arange(n), k)
    return sp.csr_matrix((np.ones(n * k), (rows, cols)), shape=(n, n))


def _band_distances(xy: np.ndarray, threshold_km: float) -> sp.csr_matrix:
    tree = cKDTree(xy)
    dist = tree.sparse_distance_matrix(tree, threshold_km, output_type="coo_matrix").tocsr()
    dist.setdiag(0)
    dist.eliminate_zeros()
    return dist


def check_threshold(threshold_km, required: bool) -> float | None:
    if threshold_km is None and not required:
        return None
    if isinstance(threshold_km, bool) or not isinstance(threshold_km, (int, float, np.number)) \
            or not np.isfinite(threshold_km) or threshold_km <= 0:
        raise InputError(
            f"threshold_km must be a positive number of kilometres; {threshold_km!r} was given."
        )
    return float(threshold_km)


def check_power(power) -> float:
    if isinstance(power, bool) or not isinstance(power, (int, float, np.number)) or power <= 0:
        raise InputError(f"power must be a positive number (usually 1 or 2); {power!r} was given.")
    return float(power)


def distance_band_matrix(
    xy: np.ndarray, threshold_km: float, *, binary: bool = True, power: float = 1.0
) -> sp.csr_matrix:
    """Units within ``threshold_km`` (inclusive): weight 1, or ``d**-power`` if not binary."""
    dist = _band_distances(xy, threshold_km)
    if binary:
        dist.data[:] = 1.0
    else:
        # Over- and underflow are kept as inf / 0 and refused, naming the units, by
        # check_distance_weights (a numpy RuntimeWarning alone would be missed).
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            dist.data = dist.data ** -power
    return dist


def inverse_distance_matrix(
    xy: np.ndarray, *, power: float = 1.0, threshold_km: float | None = None
) -> sp.csr_matrix:
    """Inverse-distance weights :math:`w_{ij} = d_{ij}^{-p}` (km), all pairs or within a band.

    Without a threshold the matrix is dense (n^2 entries); pass ``threshold_km`` for large n.
    """
    if threshold_km is not None:
        return distance_band_matrix(xy, threshold_km, binary=False, power=power)
    dist = squareform(pdist(xy))
    # Every pair is a link (centroids are distinct): stored explicitly, so that a weight
    # that underflows to 0 stays visible to check_distance_weights instead of vanishing.
    rows, cols = np.nonzero(~np.eye(len(xy), dtype=bool))
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        data = dist[rows, cols] ** -power
    return sp.csr_matrix((data, (rows, cols)), shape=dist.shape)


def check_distance_weights(matrix: sp.spmatrix, ids: pd.Index, *, power: float,
                           kind: str) -> None:
    r"""Refuse distance weights :math:`d_{ij}^{-p}` that over- or underflowed.

    A large ``power`` makes :math:`d^{-p}` overflow to inf for :math:`d < 1` km and
    underflow to 0 (or to a subnormal number with a few bits of precision) for longer
    distances: the links would be lost silently (an all-zero W that bypasses the island
    policy) or turn the row standardisation into NaN.

    Raises
    ------
    InvalidWeightsError
        Naming the number of pairs, the units and the distances affected.
    """
    coo = sp.coo_matrix(matrix)
    bad = ~(np.isfinite(coo.data) & (np.abs(coo.data) >= np.finfo(float).tiny))
    if not bad.any():
        return
    over = bad & ~np.isfinite(coo.data)
    units = pd.unique(np.concatenate([coo.row[bad], coo.col[bad]]))
    what = []
    if over.any():
        what.append(f"{int(over.sum())} overflow to inf (distances below 1 km)")
    if (bad & ~over).any():
        what.append(f"{int((bad & ~over).sum())} underflow to 0 or lose their precision")
    raise InvalidWeightsError(
        f"kind={kind!r} with power={power:g}: the weights d**-{power:g} of {int(bad.sum())} of "
        f"{coo.nnz} linked pairs are not representable as floating-point numbers "
        f"({'; '.join(what)}), so those links would be lost or become NaN; units involved: "
        f"{format_ids(ids[units])}. Use a smaller power (usually 1 or 2), or a threshold_km "
        "that keeps only the pairs you mean to link.")


def pairwise_km(xy: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Distances (km) of the pairs (rows[i], cols[i])."""
    return np.hypot(*(xy[rows] - xy[cols]).T)



def distance_matrix_km(gdf: gpd.GeoDataFrame, project: bool | str | CRS = False) -> pd.DataFrame:
    """Centroid-to-centroid distances in km, labelled by the frame's index on both axes.

    Centroids are taken in a metric CRS (see :func:`centroids_km`). As in :func:`build` for
    the distance kinds, a frame in a geographic CRS (degrees) raises
    :class:`~spatialflow.exceptions.CRSError` unless ``project=True`` (Albers equal-area
    conic, :func:`spatialflow.datasets.to_metric`) or ``project=<CRS>`` is passed, so that
    the conversion is always visible in the calling code. Dense (n x n): meant for
    county-sized problems such as gravity flows
    (:func:`spatialflow.measures.gravity_matrix`), not for n in the tens of thousands.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        One geometry per unit, indexed by unit id.
    project : bool, str or pyproj.CRS, default False
        ``True`` projects a frame in degrees to the Albers equal-area conic, a CRS to
        that CRS; ``False`` requires a metric CRS.

    Returns
    -------
    pandas.DataFrame
        The n x n distances in km, indexed and labelled by ``gdf.index``.

    Examples
    --------
    >>> from spatialflow.datasets import load_guangdong_counties
    >>> d = distance_matrix_km(load_guangdong_counties(), project=True)
    >>> d.shape, float(d.loc["440103", "440103"])
    ((124, 124), 0.0)
    """
    check_frame(gdf, need_geometry=True, kind="", label="distance_matrix_km")
    check_geometries(gdf, polygons=False, kind="", label="distance_matrix_km")
    xy = centroids_km(gdf, project=project)
    return pd.DataFrame(squareform(pdist(xy)), index=gdf.index.copy(), columns=gdf.index.copy())
