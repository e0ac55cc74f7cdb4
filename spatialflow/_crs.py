"""Projected (metric) coordinate reference systems for distances and areas."""
from __future__ import annotations

import geopandas as gpd
from pyproj import CRS
from pyproj.crs import ProjectedCRS
from pyproj.exceptions import CRSError as PyprojCRSError
from pyproj.crs.coordinate_operation import AlbersEqualAreaConversion

from .exceptions import CRSError, InputError

__all__ = ["GUANGDONG_ALBERS", "CHINA_ALBERS", "to_metric", "metre_factor"]

#: Albers equal-area conic for Guangdong (lat 20.2-25.5 N, lon 109.6-117.3 E): standard
#: parallels at 1/6 and 5/6 of the latitude range, centred on 113.5 E. Distances within
#: Guangdong are off by well under 1% (scale error of a conic between its parallels).
GUANGDONG_ALBERS = ProjectedCRS(
    name="Guangdong Albers Equal Area (WGS 84)",
    conversion=AlbersEqualAreaConversion(
        latitude_first_parallel=21.0, latitude_second_parallel=24.5,
        latitude_false_origin=23.0, longitude_false_origin=113.5,
    ),
)

#: The usual Albers equal-area conic for all of China (standard parallels 25 N and 47 N,
#: central meridian 105 E), as used for national maps.
CHINA_ALBERS = ProjectedCRS(
    name="China Albers Equal Area (WGS 84)",
    conversion=AlbersEqualAreaConversion(
        latitude_first_parallel=25.0, latitude_second_parallel=47.0,
        latitude_false_origin=0.0, longitude_false_origin=105.0,
    ),
)

# Frames whose bounds fall inside this box get the Guangdong projection by default.
_GUANGDONG_BOX = (109.0, 20.0, 118.0, 26.0)


def to_metric(gdf: gpd.GeoDataFrame, crs=None) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` projected to a metric (metre-based) CRS.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A frame with a CRS set (e.g. EPSG:4326 longitude/latitude).
    crs : None, "guangdong", "china" or anything :class:`pyproj.CRS` accepts
        ``None`` (default) picks :data:`GUANGDONG_ALBERS` when the frame lies within
        Guangdong's bounding box (109-118 E, 20-26 N) and :data:`CHINA_ALBERS` otherwise.
        A user CRS must be projected (not degrees).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame; ``gdf`` is not modified.

    Raises
    ------
    CRSError
        If ``gdf`` has no CRS or the requested CRS is geographic.

    Examples
    --------
    >>> from spatialflow.datasets import load_guangdong_counties, to_metric
    >>> to_metric(load_guangdong_counties()).crs.is_projected
    True
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"expected a GeoDataFrame; {type(gdf).__name__} was given instead.")
    if gdf.crs is None:
        raise CRSError(
            "the frame has no CRS, so it cannot be projected; set one first "
            "(e.g. gdf.set_crs('EPSG:4326') for longitude/latitude)."
        )
    target = _resolve(gdf, crs)
    if not target.is_projected:
        raise CRSError(f"expected a projected (metric) CRS; {target.name!r} is geographic.")
    return gdf.to_crs(target)


def _resolve(gdf: gpd.GeoDataFrame, crs) -> CRS:
    if crs is None:
        xmin, ymin, xmax, ymax = gdf.to_crs("EPSG:4326").total_bounds
        bx0, by0, bx1, by1 = _GUANGDONG_BOX
        inside = xmin >= bx0 and ymin >= by0 and xmax <= bx1 and ymax <= by1
        return GUANGDONG_ALBERS if inside else CHINA_ALBERS
    if isinstance(crs, str) and crs.lower() == "guangdong":
        return GUANGDONG_ALBERS
    if isinstance(crs, str) and crs.lower() == "china":
        return CHINA_ALBERS
    try:
        return CRS.from_user_input(crs)
    except (PyprojCRSError, TypeError) as exc:  # re-raise pyproj's error as ours
        raise CRSError(
            f"could not interpret crs={crs!r} as a coordinate reference system: {exc}"
        ) from exc


def metre_factor(crs) -> float:
    """Metres per unit of a projected CRS's first axis (1.0 for metre-based CRSs).

    Raises
    ------
    CRSError
        If ``crs`` is missing or geographic (degrees are not a length).
    """
    if crs is None:
        raise CRSError(
            "distances need a projected CRS, but the frame has no CRS; set one "
            "(gdf.set_crs(...)) or pass project=True after setting the geographic CRS."
        )
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        raise CRSError(
            f"distances need a projected (metric) CRS, but the frame is in {crs.name!r} "
            "(degrees). Pass project=True to project to an Albers equal-area conic "
            "(spatialflow.datasets.to_metric), project=<a metric CRS>, or reproject yourself."
        )
    return float(crs.axis_info[0].unit_conversion_factor)
