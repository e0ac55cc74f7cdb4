"""The county data reader: every bad input of a yearbook extract, named precisely."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialflow.datasets import handle_missing, load_guangdong_counties, read_county_panel
from spatialflow.exceptions import (DuplicateIdError, IdMismatchError, InputError,
                                    MissingDataError, PanelError)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "example_yearbook_synthetic.csv"
# CI lays ../shared beside the clone; a git worktree one level deeper finds it at ../../shared.
REAL = next((p for p in (base / "shared" / "reference" / "guangdong_real" /
                         "guangdong_counties_real.csv" for base in (ROOT.parent,
                                                                     ROOT.parent.parent))
             if p.is_file()), ROOT.parent / "shared" / "absent")


@pytest.fixture(scope="module")
def layer():
    return load_guangdong_counties()


def _small(codes=("440103", "440104"), years=(2022, 2023)):
    rows = [{"代码": c, "年份": y, "GDP": str(100 + i + j), "名称": f"n{c}"}
            for i, c in enumerate(codes) for j, y in enumerate(years)]
    return pd.DataFrame(rows)


def test_example_file_reads_with_chinese_headers(layer):
    panel = read_county_panel(EXAMPLE, columns={"地区代码": "code", "年份": "year",
                                                "地区名称": "name"},
                              layer=layer, name="name")
    assert panel.data["code"].map(type).eq(str).all()
    assert panel.coverage["units"].tolist() == [124] * 10
    assert panel.coverage["expected"].tolist() == [124] * 10
    # the five blank or dashed cells of the generator, each with its file line
    assert len(panel.missing) == 5
    assert panel.missing["row"].notna().all()
    assert "数据性质" not in panel.numeric  # an all-text column is a label, not numbers
    # the line numbers point at the file's lines (header = line 1)
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    first = panel.missing.iloc[0]
    assert lines[int(first["row"]) - 1].startswith(f"{first['id']},")


def test_generator_reproduces_the_shipped_example(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_example",
                                                  ROOT / "scripts" / "make_example_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main(tmp_path / "again.csv")
    assert out.read_bytes() == EXAMPLE.read_bytes()


def test_excel_and_parquet_with_numeric_codes(tmp_path, layer):
    frame = _small()
    frame["代码"] = frame["代码"].astype(int)  # Excel stores codes as numbers
    xlsx = tmp_path / "panel.xlsx"
    frame.to_excel(xlsx, index=False)
    panel = read_county_panel(xlsx, columns={"代码": "code", "年份": "year"}, name="名称",
                              layer=layer, units="data")
    assert panel.ids.tolist() == ["440103", "440104"]
    assert panel.data["GDP"].tolist() == [100.0, 101.0, 101.0, 102.0]
    assert any("not in the data" in n for n in panel.notes)
    pq = tmp_path / "panel.parquet"
    frame.assign(GDP=frame["GDP"].astype(float)).to_parquet(pq)
    again = read_county_panel(pq, columns={"代码": "code", "年份": "year"}, name="名称")
    pd.testing.assert_frame_equal(again.data, panel.data, check_dtype=False)


def test_gbk_csv_is_read_and_noted(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(_small().to_csv(index=False).encode("gbk"))
    panel = read_county_panel(path, columns={"代码": "code", "年份": "year"}, name="名称")
    assert panel.data["名称"].iloc[0] == "n440103"
    assert any("read as gb18030" in n for n in panel.notes)


def test_unknown_ids_get_closest_codes_and_the_redistricting_note(layer):
    frame = _small(codes=("440116", "440112"))
    frame["名称"] = ["萝岗区", "萝岗区", "黄埔区", "黄埔区"]
    with pytest.raises(IdMismatchError,
                       match=r"'440116': closest codes \[.*'440117'.*\].*Huangpu|redistricting"):
        read_county_panel(frame, columns={"代码": "code", "年份": "year"}, layer=layer,
                          name="名称", units="data")
    frame.loc[0:1, "名称"] = "增城市"
    frame.loc[0:1, "代码"] = "440183"
    with pytest.raises(IdMismatchError, match=r"closest names for '增城市': \['440118 增城区'\]"
                                              r".*2014.*萝岗 440116.*crosswalk"):
        read_county_panel(frame, columns={"代码": "code", "年份": "year"}, layer=layer,
                          name="名称", units="data")


def test_layer_units_missing_from_the_data(layer):
    with pytest.raises(IdMismatchError, match=r"122 unit\(s\) of the layer have no rows in the "
                                              r"data: \['440105 海珠区'"):
        read_county_panel(_small(), columns={"代码": "code", "年份": "year"}, layer=layer)


def test_duplicate_rows_name_the_lines(tmp_path):
    frame = pd.concat([_small(), _small().iloc[[1]]], ignore_index=True)
    path = tmp_path / "dup.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DuplicateIdError,
                       match=r"duplicated: \[\"\('440103', 2023\) at \[line 3, line 6\]\"\]"):
        read_county_panel(path, columns={"代码": "code", "年份": "year"})


def test_non_numeric_cells_name_line_column_and_value(tmp_path):
    frame = _small()
    frame.loc[2, "GDP"] = "1,234"
    frame.loc[3, "GDP"] = "12万"
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"2 non-numeric cell\(s\).*line 4, column 'GDP' "
                                         r"\(code='440104', year=2022\): '1,234'.*'12万'"):
        read_county_panel(path, columns={"代码": "code", "年份": "year"}, numeric=["GDP"])
    # yearbook dashes are "not available", not errors
    frame.loc[2:3, "GDP"] = ["—", "…"]
    panel = read_county_panel(frame, columns={"代码": "code", "年份": "year"},
                              numeric=["GDP"])
    assert panel.data["GDP"].isna().sum() == 2


def test_negative_values_where_a_measure_needs_non_negative():
    frame = _small()
    frame.loc[1, "GDP"] = "-5"
    with pytest.raises(InputError, match=r"1 cell\(s\) must be non-negative.*'440103', "
                                         r"year=2023\) 'GDP' = -5.0"):
        read_county_panel(frame, columns={"代码": "code", "年份": "year"}, numeric=["GDP"],
                          nonnegative=["GDP"])
    frame.loc[1, "GDP"] = "0"
    with pytest.raises(InputError, match="strictly positive"):
        read_county_panel(frame, columns={"代码": "code", "年份": "year"}, numeric=["GDP"],
                          positive=["GDP"])


def test_bad_headers_time_and_file_type(tmp_path):
    with pytest.raises(InputError, match=r"'年分' \(closest headers: \['年份'\]\)"):
        read_county_panel(_small(), columns={"代码": "code", "年分": "year"})
    with pytest.raises(InputError, match=r"time column 'year' is not in the data"):
        read_county_panel(_small(), columns={"代码": "code"})
    frame = _small().astype({"年份": object})
    frame.loc[0, "年份"] = "2022年"
    with pytest.raises(PanelError, match=r"whole numbers \(years\); \[\"row 0: '2022年'\"\]"):
        read_county_panel(frame, columns={"代码": "code", "年份": "year"})
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match=r"unknown file type '.json'"):
        read_county_panel(tmp_path / "x.json")
    with pytest.raises(InputError, match="does not exist"):
        read_county_panel(tmp_path / "absent.csv")


def test_crosswalk_merges_luogang_into_huangpu_and_renames_zengcheng(layer):
    frame = pd.DataFrame({
        "code": ["440112", "440116", "440183", "440112", "440116"],
        "year": [2013, 2013, 2013, 2012, 2012],
        "gdp": [10.0, 5.0, 7.0, 1.0, np.nan],
        "income": [30.0, 20.0, 25.0, 3.0, 2.0]})
    panel = read_county_panel(frame, crosswalk={"440116": "440112", "440183": "440118"},
                              aggregate={"income": "mean"}, layer=layer, units="data")
    data = panel.data.set_index(["code", "year"])
    assert data.loc[("440112", 2013), "gdp"] == 15.0          # summed (extensive)
    assert data.loc[("440112", 2013), "income"] == 25.0       # mean, as asked
    assert np.isnan(data.loc[("440112", 2012), "gdp"])        # a missing part stays missing
    assert data.loc[("440118", 2013), "gdp"] == 7.0           # renamed
    assert any("2 units combined into 440112 in 2 period(s)" in n for n in panel.notes)
    with pytest.raises(InputError, match="both old and new codes"):
        read_county_panel(frame, crosswalk={"440116": "440112", "440112": "440113"})
    with pytest.raises(InputError, match=r"aggregate must be among"):
        read_county_panel(frame, crosswalk={"440116": "440112"}, aggregate="median")


def test_missing_policies_raise_drop_interpolate():
    frame = pd.DataFrame({"code": ["a"] * 4 + ["b"] * 4, "year": [1, 2, 3, 4] * 2,
                          "x": [1.0, np.nan, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0]})
    frame = frame.drop(index=7)  # b has no row for year 4
    panel = read_county_panel(frame)
    with pytest.raises(MissingDataError, match=r"2 missing cell\(s\).*\(a, 2, 'x'\).*"
                                               r"\(b, 4, 'x'\) \[no row\]"):
        handle_missing(panel, ["x"])
    with pytest.raises(MissingDataError, match="every unit has a missing cell"):
        handle_missing(panel, ["x"], policy="drop-units")
    full = read_county_panel(pd.concat([frame, pd.DataFrame(
        {"code": ["b"], "year": [4], "x": [4.0]})]))
    kept, report = handle_missing(full, ["x"], policy="drop-units")
    assert set(kept["code"]) == {"b"} and len(kept) == 4
    assert report[["id", "action", "value"]].values.tolist() == [["a", "unit dropped", 1.0]]


def test_interpolation_is_linear_and_never_extrapolates():
    frame = pd.DataFrame({"code": ["a"] * 4 + ["b"] * 4, "year": [1, 2, 3, 4] * 2,
                          "x": [1.0, np.nan, np.nan, 7.0, 1.0, 2.0, 3.0, 4.0]})
    filled, report = handle_missing(read_county_panel(frame), ["x"], policy="interpolate")
    np.testing.assert_allclose(filled.loc[filled["code"] == "a", "x"], [1, 3, 5, 7], rtol=0)
    assert report["value"].tolist() == [3.0, 5.0]
    frame.loc[7, "x"] = np.nan
    with pytest.raises(MissingDataError, match=r"start or end.*\('b', 4, 'x'\)"):
        handle_missing(read_county_panel(frame), ["x"], policy="interpolate")
    with pytest.raises(InputError, match="missing must be one of"):
        handle_missing(read_county_panel(frame), ["x"], policy="zero")


@pytest.mark.skipif(not REAL.is_file(), reason="../shared/reference/guangdong_real is not "
                    "beside the repository (its yearbook figures are not redistributed)")
def test_real_guangdong_extract(layer):
    """The real extract (census 2020, county yearbook 2023) through the reader; values are
    read from ../shared at test time, never copied into the repository."""
    with pytest.raises(IdMismatchError, match=r"46 unit\(s\) of the layer have no rows"):
        read_county_panel(REAL, layer=layer, name="name_zh", years=(2023, 2023))
    panel = read_county_panel(REAL, layer=layer, name="name_zh")
    assert panel.coverage["units"].to_dict() == {2020: 124, 2023: 78}
    assert "prefecture_zh" not in panel.numeric
    y23 = read_county_panel(REAL, layer=layer, name="name_zh", years=(2023, 2023),
                            units="data")
    d = y23.data
    assert len(d) == 78
    # SOURCES.md: GDP = primary + secondary + tertiary within 0.05 (100 million yuan)
    parts = d[["gdp_primary_100m_yuan", "gdp_secondary_100m_yuan",
               "gdp_tertiary_100m_yuan"]].sum(axis=1)
    assert (parts - d["gdp_100m_yuan"]).abs().max() < 0.05
    # the removed loans cells (Huilai, Puning) and Doumen's deposits are reported missing
    gaps = y23.missing.groupby("column")["id"].apply(set).to_dict()
    assert {"445224", "445281"} <= gaps["loans_100m_yuan"]
    assert gaps["household_savings_100m_yuan"] == {"440403"}
    with pytest.raises(MissingDataError, match=r"440403"):
        handle_missing(y23, ["gdp_100m_yuan", "household_savings_100m_yuan"])
