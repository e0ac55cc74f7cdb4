"""Input checks shared by the weights builders (run once, up front)."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..exceptions import (
    DuplicateIdError,
    EmptyInputError,
    GeometryError,
    InputError,
    format_ids,
)
from .align import check_ids_present

__all__ = ["check_frame", "check_geometries", "check_finite_centroids"]


def check_frame(frame, *, need_geometry: bool, kind: str, label: str | None = None) -> None:
    """Type, emptiness and unique ids of the frame the weights are built on.

    ``label`` names the caller in messages (default ``kind='<kind>'``).
    """
    label = label or f"kind={kind!r}"
    expected = gpd.GeoDataFrame if need_geometry else pd.DataFrame
    if not isinstance(frame, expected):
        raise InputError(
            f"{label} needs a {expected.__name__} whose index holds the unit ids; "
            f"{type(frame).__name__} was given instead."
        )
    if len(frame) == 0:
        raise EmptyInputError(f"the frame has no rows; {label} needs at least 2 units.")
    if len(frame) == 1:
        raise InputError(f"the frame has 1 row (id {frame.index[0]!r}); {label} needs at least "
                         "2 units: a single unit has no neighbours to weigh.")
    check_ids_present(frame.index, "the frame's index")
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique()
        raise DuplicateIdError(
            f"the frame's index must hold unique unit ids; duplicated ids: {format_ids(dup)}."
        )


def check_geometries(gdf: gpd.GeoDataFrame, *, polygons: bool, kind: str,
                     label: str | None = None) -> None:
    """Missing, empty, invalid or (for contiguity) non-polygonal geometries, named by id."""
    label = label or f"kind={kind!r}"
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    invalid = ~missing & ~empty & ~shapely.is_valid(geoms)
    problems = []
    for problem, mask in (("missing (None)", missing), ("empty", empty),
                          ("invalid", invalid)):
        if mask.any():
            problems.append(f"{problem}: {format_ids(gdf.index[mask])}")
    if problems:
        hint = " Repair invalid ones with gdf.make_valid()." if invalid.any() else ""
        raise GeometryError(
            f"{label} needs a valid, non-empty geometry for every unit; "
            + "; ".join(problems) + "." + hint
        )
    if polygons:
        kinds = shapely.get_type_id(geoms)
        not_poly = ~np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
        if not_poly.any():
            raise GeometryError(
                f"{label} needs Polygon or MultiPolygon geometries; these ids have other "
                f"types: {format_ids(gdf.index[not_poly])}. Use a distance-based kind for points."
            )


def check_finite_centroids(xy: np.ndarray, ids: pd.Index, crs) -> None:
    """Refuse centroids that are NaN or infinite (after projecting), naming the units.

    A frame whose CRS says degrees but whose coordinates are not (e.g. metres labelled
    EPSG:4326) projects to inf; nearest-unit searches and distances would fail inside
    scipy with a message that names nothing.
    """
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise GeometryError(
            f"the centroids of unit(s) {format_ids(ids[bad])} are not finite numbers after "
            f"projecting from the frame's CRS ({crs}): their coordinates lie outside the "
            "CRS's valid range (e.g. metres in a frame labelled EPSG:4326 degrees). Set the "
            "CRS the coordinates are in (gdf.set_crs(..., allow_override=True)).")
