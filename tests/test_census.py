"""The embedded 2010/2020 census of Guangdong (spatialflow.datasets.census).

Checks against the source workbooks run only when the shared reference folder
(``shared/reference/census`` beside the repository or one of its parents) exists; everything
else runs on the shipped files.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialflow.datasets import (census_crosswalk, load_guangdong_census,
                                  load_guangdong_census_units, load_guangdong_counties)
from spatialflow.exceptions import InputError

ROOT = Path(__file__).resolve().parent.parent
PROVINCE = {2010: 104_320_459, 2020: 126_012_510}


def _shared() -> Path | None:
    for parent in [ROOT, *ROOT.parents][1:4]:
        folder = parent / "shared" / "reference" / "census"
        if (folder / "census_county_2020_v1.xlsx").exists():
            return folder
    return None


SHARED = _shared()
needs_shared = pytest.mark.skipif(SHARED is None, reason="shared/reference/census is absent")


def _build_module():
    spec = importlib.util.spec_from_file_location("build_census", ROOT / "scripts" /
                                                  "build_census.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def county():
    return load_guangdong_census()


@pytest.fixture(scope="module")
def comparable():
    return load_guangdong_census(level="comparable")


@pytest.fixture(scope="module")
def source():
    """The Guangdong rows of both workbooks, keyed by (year, code), as strings."""
    cols10 = ["区划代码", "地区", "合计", "城镇人口", "迁入人口（人）-本省其他县\n（市）、市区",
              "迁入人口（人）-外省", "大学专科-男", "大学专科-女", "大学本科及以上-男",
              "大学本科及以上-女", "各种行业人口\n总计",
              "农林牧渔业", "专业技术人员", "各种职业人口\n总计", "65岁及以上（%）"]
    cols20 = ["区划代码", "区县", "人口数_合计", "城镇人口", "户口登记地在外乡镇街道人口_本省其他县",
              "户口登记地在外乡镇街道人口_省外", "大学专科_男", "大学专科_女", "本科及以上_男",
              "本科及以上_女", "各种行业人口总计", "农林牧渔业", "专业技术人员", "各种职业人口总计",
              "人口比重_65岁及以上"]
    a = pd.read_excel(SHARED / "census_county_2010_v1.xlsx", dtype=str, usecols=cols10)
    b = pd.read_excel(SHARED / "census_county_2020_v1.xlsx", dtype=str, usecols=cols20)
    a = a[a["区划代码"].fillna("").str.startswith("44")].set_index("区划代码")
    b = b[b["区划代码"].fillna("").str.startswith("44")].set_index("区划代码")
    return {2010: a, 2020: b}


# ----------------------------------------------------------------------------- shape
def test_2020_has_exactly_the_layer_codes(county):
    codes = county.loc[county["year"] == 2020, "code"]
    assert codes.is_unique
    assert set(codes) == set(load_guangdong_counties().index)
    assert codes.str.fullmatch(r"\d{6}").all()


def test_contract_columns_and_attrs(county):
    for col in ["code", "year", "pop", "urban_rate", "schooling_years",
                "inflow_other_county_share", "inflow_other_province_share"]:
        assert col in county.columns
    assert set(county["year"]) == {2010, 2020}
    assert not county.duplicated(["code", "year"]).any()
    attrs = county.attrs
    for key in ("labels", "labels_zh", "units", "units_zh", "questions"):
        assert "urban_rate" in attrs[key] and "inflow_other_province_share" in attrs[key]
    assert attrs["labels_zh"]["urban_rate"] == "城镇化率"
    assert "leiii/census" in attrs["source"] and "MIT" in attrs["source"]


def test_2010_only_where_the_territory_is_one_of_todays_units(county):
    cw = census_crosswalk()
    multi = set(cw.loc[cw["unit"].str.contains("+", regex=False), "code_2020"])
    have_2010 = set(county.loc[county["year"] == 2010, "code"])
    assert have_2010 == set(load_guangdong_counties().index) - multi
    assert len(multi) == 15 and len(have_2010) == 109


def test_province_totals_add_up_on_comparable_units(comparable):
    totals = comparable.groupby("year")["pop"].sum()
    assert totals.to_dict() == PROVINCE
    assert comparable.groupby("code").size().eq(2).all()   # balanced: both years for all
    assert comparable["code"].nunique() == 116


def test_bad_level_is_refused():
    with pytest.raises(InputError, match="level must be 'county' or 'comparable'"):
        load_guangdong_census(level="units")


# ----------------------------------------------------------------------------- crosswalk
def test_crosswalk_covers_every_code_of_both_years():
    cw = census_crosswalk()
    assert cw["code_2010"].nunique() == 123
    assert set(cw["code_2020"]) == set(load_guangdong_counties().index)
    gone = set(cw["code_2010"]) - set(cw["code_2020"])
    assert gone == {"440116", "440183", "440184", "440903", "440923", "441283", "441421",
                    "441723", "441827", "445121", "445221", "445323"}
    new = set(cw["code_2020"]) - set(cw["code_2010"])
    assert len(new) == 13 and {"440309", "440310", "440311"} <= new
    changed = cw[cw["type"] != "same"]
    assert (changed["source"] != "").all()          # every change says where it comes from
    assert set(cw["type"]) == {"same", "rename", "merge", "split", "transfer"}
    # a comparable unit never crosses a prefecture: harmonisation is within cities
    assert (cw["code_2010"].str[:4] == cw["code_2020"].str[:4]).all()


def test_renames_are_one_to_one_and_merges_add_up(county):
    cw = census_crosswalk()
    renamed = cw[cw["type"] == "rename"]
    assert renamed["code_2010"].is_unique and renamed["code_2020"].is_unique
    assert (renamed["unit"] == renamed["code_2020"]).all()
    rows = pd.read_parquet(Path(__file__).resolve().parent.parent / "spatialflow" / "datasets"
                           / "_data" / "guangdong_census.parquet")
    src10 = rows[rows["year"] == 2010].set_index("source_code")["pop"]
    c10 = county[county["year"] == 2010].set_index("code")["pop"]
    for old, new in zip(renamed["code_2010"], renamed["code_2020"]):
        assert c10[new] == src10[old]
    # Huangpu 2020 territory = Huangpu + Luogang of 2010
    assert c10["440112"] == src10["440112"] + src10["440116"]


def test_dissolved_layer_matches_comparable_units(comparable):
    units = load_guangdong_census_units()
    assert len(units) == 116
    assert set(units.index) == set(comparable["code"])
    layer = load_guangdong_counties()
    assert units["members"].sum() == len(layer)
    shenzhen = units.loc["440306+440309+440311"]
    assert shenzhen["name_zh"] == "宝安区+龙华区+光明区" and bool(shenzhen["core"])
    merged = layer.loc[["440306", "440309", "440311"]].to_crs(6933).area.sum()
    assert units.loc[["440306+440309+440311"]].to_crs(6933).area.iloc[0] == pytest.approx(
        merged, rel=1e-6)


def test_indicators_of_combined_units_are_computed_from_summed_counts(comparable):
    row = comparable.set_index(["code", "year"]).loc[("440306+440309+440311", 2020)]
    assert row["urban_rate"] == pytest.approx(100 * row["urban_pop"] / row["pop"], rel=1e-12)
    assert row["pop"] == 4476554 + 2528872 + 1095289


def test_example_input_is_the_comparable_table(comparable):
    shipped = pd.read_csv(ROOT / "spatialflow" / "datasets" / "_data" / "census_comparable.csv",
                          dtype={"unit": str})
    counts = comparable.set_index(["code", "year"])
    shipped = shipped.set_index(["unit", "year"])
    for col in ["pop", "urban_pop", "inflow_other_county", "inflow_other_province",
                "employed", "ind_agri"]:
        np.testing.assert_allclose(shipped[col].to_numpy(float),
                                   counts.loc[shipped.index, col].to_numpy(float), rtol=1e-12)


# ----------------------------------------------------------------------------- against the source
@needs_shared
def test_source_checksums_are_the_recorded_ones():
    build = _build_module()
    build.verify(SHARED)   # raises SystemExit on a mismatch


@needs_shared
@pytest.mark.slow
def test_build_script_reproduces_the_shipped_files(tmp_path):
    build = _build_module()
    build.build(SHARED, tmp_path)
    shipped = ROOT / "spatialflow" / "datasets" / "_data"
    for name in ("guangdong_census.parquet", "guangdong_census_crosswalk.csv",
                 "census_comparable.csv", "LICENSE-census.txt"):
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name


@needs_shared
def test_2020_counts_equal_the_independent_extract(county):
    """guangdong_real/ holds the same 2020 columns, extracted separately (its SOURCES.md)."""
    real = pd.read_csv(SHARED.parent / "guangdong_real" / "guangdong_counties_real.csv",
                       dtype={"code": str}).query("year == 2020").set_index("code")
    mine = county[county["year"] == 2020].set_index("code").loc[real.index]
    np.testing.assert_allclose(mine["pop"] / 1e4, real["pop_10k"], rtol=1e-12)
    np.testing.assert_allclose(mine["urban_pop"] / 1e4, real["urban_pop_10k"], rtol=1e-12)
    np.testing.assert_allclose(mine["share_65plus"], real["share_age65plus_pct"], rtol=1e-12)
    assert len(real) == 124


# reading the two workbooks takes about 12 s
@needs_shared
@pytest.mark.slow
def test_every_2020_population_equals_the_source(county, source):
    src = source[2020]
    mine = county[county["year"] == 2020].set_index("code")
    assert (mine["pop"].astype(int) == src.loc[mine.index, "人口数_合计"].astype(int)).all()
    assert int(src.loc["440000", "人口数_合计"]) == PROVINCE[2020] == int(mine["pop"].sum())
    assert int(source[2010].loc["440000", "合计"]) == PROVINCE[2010]


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize("code,year", [("440523", 2020), ("441481", 2020), ("440106", 2010),
                                       ("445224", 2010), ("441900", 2020)])
def test_indicators_recomputed_by_hand(county, source, code, year):
    src = source[year].loc[code]
    v = lambda col: float(src[col])  # noqa: E731
    mine = county.set_index(["code", "year"]).loc[(code, year)]
    if year == 2020:
        pop, urban = v("人口数_合计"), v("城镇人口")
        other_county, other_prov = (v("户口登记地在外乡镇街道人口_本省其他县"),
                                    v("户口登记地在外乡镇街道人口_省外"))
        college = v("大学专科_男") + v("大学专科_女") + v("本科及以上_男") + v("本科及以上_女")
        employed, agri = v("各种行业人口总计"), v("农林牧渔业")
        prof, occupied = v("专业技术人员"), v("各种职业人口总计")
        old = v("人口比重_65岁及以上")
    else:
        pop, urban = v("合计"), v("城镇人口")
        other_county, other_prov = (v("迁入人口（人）-本省其他县\n（市）、市区"),
                                    v("迁入人口（人）-外省"))
        college = (v("大学专科-男") + v("大学专科-女") + v("大学本科及以上-男")
                   + v("大学本科及以上-女"))
        employed, agri = v("各种行业人口\n总计"), v("农林牧渔业")
        prof, occupied = v("专业技术人员"), v("各种职业人口\n总计")
        old = v("65岁及以上（%）")
    expected = {"pop": pop, "urban_rate": 100 * urban / pop,
                "inflow_other_county_share": 100 * other_county / pop,
                "inflow_other_province_share": 100 * other_prov / pop,
                "inflow_share": 100 * (other_county + other_prov) / pop,
                "college_share": 100 * college / pop,
                "nonagri_employment_share": 100 - 100 * agri / employed,
                "prof_tech_share": 100 * prof / occupied, "share_65plus": old}
    for name, value in expected.items():
        assert mine[name] == pytest.approx(value, rel=1e-12), name


# ----------------------------------------------------------------------------- the example run
def test_example_config_derives_the_loader_indicators(tmp_path):
    """`spatialflow run --example census`: its [derive] formulas give the loader's indicators."""
    from spatialflow.cli import example_config
    from spatialflow.pipeline import load_config, plan

    cfg = load_config(example_config("census"), **{"output.folder": str(tmp_path / "o")})
    p = plan(cfg)
    panel = p.inputs.panel.set_index(["unit", "year"]).sort_index()
    ref = load_guangdong_census(level="comparable").set_index(["code", "year"]).sort_index()
    assert len(panel) == 232 and list(panel.index) == list(ref.index)
    for col in ["urban_rate", "nonagri_employment_share", "inflow_other_county_share",
                "inflow_other_province_share", "schooling_years"]:
        np.testing.assert_allclose(panel[col], ref[col], rtol=1e-12, err_msg=col)
    assert len(p.inputs.layer) == 116 and not p.inputs.synthetic
    assert p.island_links == {"queen": [("440523", "440515")]}   # Nan'ao, said aloud
    assert len(p.models) == 6
    assert not (tmp_path / "o").exists()


def test_check_example_writes_nothing(tmp_path, monkeypatch, capsys):
    from spatialflow.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["check", "--example", "census"]) == 0
    out = capsys.readouterr().out
    assert "layer: guangdong-census (116 units)" in out and "(116 units, 2010..2020)" in out
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SystemExit):
        main(["run", "--example", "nope"])


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_example_report_is_real_and_complete(tmp_path, lang):
    import json
    import time

    from spatialflow.cli import main

    started = time.process_time()
    assert main(["run", "--example", "census", "--quiet", "--out", str(tmp_path / "out"),
                 "--lang", lang]) == 0
    folder = tmp_path / "out"
    html = (folder / "report.html").read_text(encoding="utf-8")
    import re
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", html, flags=re.S))
    assert "synthetic" not in text.lower() and "合成数据" not in text   # what a reader sees
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is False and manifest["data_notice"] is None
    assert not any(name.startswith("synthetic_") for name in manifest["outputs"])
    assert ("closing by" in html or "widening by" in html) if lang == "en" else "两期比较" in html
    assert "440523 南澳县 -&gt; 440515 澄海区" in html
    effects = pd.read_csv(folder / "effects.csv")
    assert {"direct", "indirect", "total"} <= set(effects.columns)
    assert time.process_time() - started < 60
