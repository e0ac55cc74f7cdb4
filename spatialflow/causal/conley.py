r"""Conley (1999) spatial-HAC covariance for panels: distances, kernels, the meat.

For per-row scores :math:`s_{it}` (stacked time-major: period 1 units 1..n, period 2 ...),
the meat of the sandwich is the block form of R ``conleyreg`` and of ``diff-diff``:

.. math::
    S = \sum_t \sum_{i,j} K\!\left(\frac{d_{ij}}{h}\right) s_{it}s_{jt}'
      \;+\; \sum_i \sum_{0 < |t-u| \le L} \left(1 - \frac{|t-u|}{L+1}\right) s_{it}s_{iu}',

with the spatial kernel :math:`K(u) = \max(0, 1-|u|)` (``"bartlett"``) or
:math:`\mathbb 1\{|u|\le 1\}` (``"uniform"``), distance cutoff :math:`h` (km for
``metric="haversine"``, the coordinates' unit for ``"euclidean"``) and time-lag cutoff
:math:`L` (Bartlett weights over time; :math:`L = 0`: no serial term). The covariance is
:math:`\hat V = B S B` with the bread :math:`B` (the inverse information of an ML fit, or
:math:`(\tilde X'\tilde X)^{-1}` for least squares).

Distances: great-circle km with the Earth radius 6371.01 km (``conleyreg``'s convention,
which ``diff-diff`` follows) or planar Euclidean. Neither kernel guarantees a positive
semi-definite meat (Conley 1999, fn. 11); an indefinite one raises a named warning.

References
----------
Conley, T. G. (1999). GMM estimation with cross sectional dependence. *Journal of
Econometrics* 92(1), 1-45.
"""
from __future__ import annotations

import warnings
import numpy as np
import pandas as pd

from .._typing import ConleyKernel, DistanceMetric
from ..exceptions import ConleyWarning, IdMismatchError, InputError, format_ids

__all__ = ["EARTH_RADIUS_KM", "pairwise_distance", "unit_coordinates",
           "spatial_kernel", "conley_meat"]

#: Mean Earth radius of R conleyreg's haversine distance (km).
EARTH_RADIUS_KM = 6371.01



def pairwise_distance(coords: np.ndarray, metric: DistanceMetric = "haversine") -> np.ndarray:
    r"""Distances between all pairs of points, (n, n).

    ``"haversine"``: ``coords`` are (lat, lon) in degrees,
    :math:`d = 2R\arcsin\sqrt{\sin^2\frac{\Delta\phi}{2} + \cos\phi_1\cos\phi_2
    \sin^2\frac{\Delta\lambda}{2}}` with :math:`R` = 6371.01 km. ``"euclidean"``: planar.
    """
    c = np.asarray(coords, dtype=float)
    if c.ndim != 2 or c.shape[1] != 2:
        raise InputError(f"coordinates must be an (n, 2) array; shape {c.shape} was given.")
    if metric == "euclidean":
        diff = c[:, None, :] - c[None, :, :]
        return np.sqrt((diff**2).sum(axis=2))
    if metric != "haversine":
        raise InputError(f"metric must be 'haversine' or 'euclidean'; {metric!r} was given.")
    lat, lon = np.radians(c[:, 0]), np.radians(c[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_coordinates(coords, data: pd.DataFrame | None, id, ids: pd.Index) -> np.ndarray:
    """The (n, 2) coordinates of ``ids``: from two columns of the long data (constant within
    units), or from a DataFrame / GeoDataFrame indexed by id (two columns, or point
    centroids of its geometry in its own CRS)."""
    if isinstance(coords, (tuple, list)) and len(coords) == 2 and all(
            isinstance(c, str) for c in coords):
        if data is None:
            raise InputError("coords given as column names need the long data.")
        missing = [c for c in coords if c not in data.columns]
        if missing:
            raise InputError(f"coords columns {missing} are not columns of the data; columns: "
                             f"{list(data.columns)}.")
        g = data.groupby(id, sort=False)[list(coords)]
        varying = g.nunique().max(axis=1)
        varying = varying[varying > 1]
        if len(varying):
            raise InputError(f"coords {list(coords)} must be constant within units; they change "
                             f"over time for {format_ids(varying.index)}.")
        frame = g.first()
    elif isinstance(coords, pd.DataFrame):
        if "geometry" in coords.columns:
            pts = coords.geometry.representative_point()
            frame = pd.DataFrame({"y": pts.y, "x": pts.x}, index=coords.index)
        elif coords.shape[1] == 2:
            frame = coords
        else:
            raise InputError("coords as a DataFrame needs two columns (lat, lon) or a geometry; "
                             f"columns {list(coords.columns)} were given.")
    else:
        raise InputError("coords must be two column names of the data (lat, lon) or a "
                         f"DataFrame indexed by unit id; {type(coords).__name__} was given.")
    absent = ids.difference(frame.index)
    if len(absent):
        raise IdMismatchError(f"coords have no location for {len(absent)} unit(s) "
                              f"{format_ids(absent)}.")
    out = frame.loc[ids].to_numpy(dtype=float)
    if not np.isfinite(out).all():
        bad = ids[~np.isfinite(out).all(axis=1)]
        raise InputError(f"coords are missing or not finite for units {format_ids(bad)}.")
    return out


def spatial_kernel(dist: np.ndarray, cutoff: float, kernel: ConleyKernel) -> np.ndarray:
    """:math:`K(d/h)`: Bartlett ``max(0, 1 - d/h)`` or uniform ``1{d <= h}``."""
    if not (isinstance(cutoff, (int, float, np.floating)) and np.isfinite(cutoff)
            and cutoff > 0):
        raise InputError(f"the Conley distance cutoff must be a positive number; {cutoff!r} "
                         "was given.")
    u = np.asarray(dist, dtype=float) / float(cutoff)
    if kernel == "bartlett":
        return np.maximum(0.0, 1.0 - np.abs(u))
    if kernel == "uniform":
        return (np.abs(u) <= 1.0).astype(float)
    raise InputError(f"kernel must be 'bartlett' or 'uniform'; {kernel!r} was given.")


def conley_meat(scores: np.ndarray, K: np.ndarray, n: int, T: int, lag_cutoff: int) -> np.ndarray:
    """The Conley meat (module docstring) of time-major stacked ``scores`` (nT, p).

    ``K`` is the (n, n) spatial kernel matrix; ``lag_cutoff`` the Bartlett time lag L
    (``0 <= L < T``).
    """
    if isinstance(lag_cutoff, bool) or not isinstance(lag_cutoff, (int, np.integer)) \
            or not 0 <= lag_cutoff < T:
        raise InputError(f"lag_cutoff must be an integer with 0 <= lag_cutoff < T = {T}; "
                         f"{lag_cutoff!r} was given.")
    S = np.asarray(scores, dtype=float).reshape(T, n, -1)
    # spatial part, period by period: sum_t S_t' K S_t
    meat = np.einsum("tip,ij,tjq->pq", S, K, S)
    for lag in range(1, int(lag_cutoff) + 1):
        gamma = np.einsum("tip,tiq->pq", S[lag:], S[:-lag])
        meat += (1.0 - lag / (lag_cutoff + 1.0)) * (gamma + gamma.T)
    meat = 0.5 * (meat + meat.T)
    eig = np.linalg.eigvalsh(meat)
    if eig.min() < -1e-10 * max(abs(eig.max()), 1.0):
        warnings.warn(f"the Conley meat has a negative eigenvalue ({eig.min():.3g}): the "
                      "kernel does not guarantee a positive semi-definite covariance; try "
                      "another cutoff or the Bartlett kernel.", ConleyWarning, stacklevel=3)
    return meat
