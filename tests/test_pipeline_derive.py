"""[derive] expressions, [data] carry, formulas over any data column, and subsets said aloud."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.datasets import load_guangdong_counties
from spatialflow.exceptions import ConfigError, InputError
from spatialflow.pipeline import make_config, plan
from spatialflow.pipeline._notes import note_text
from spatialflow.pipeline.derive import (carry_columns, evaluate_derive, formula_names,
                                         parse_derive)
from spatialflow.weights import build

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "example_yearbook_synthetic.csv"
REAL = next((p for p in (base / "shared" / "reference" / "guangdong_real" /
                         "guangdong_counties_real.csv" for base in (ROOT.parent,
                                                                     ROOT.parent.parent))
             if p.is_file()), None)
needs_real = pytest.mark.skipif(REAL is None, reason="shared/reference/guangdong_real is "
                                "absent (its yearbook figures are not redistributed)")


# ----------------------------------------------------------------------------- the evaluator
def test_expressions_are_evaluated_in_order():
    frame = pd.DataFrame({"gdp": [10.0, 20.0], "pop": [2.0, 8.0]})
    specs = parse_derive({"gdppc": "gdp * 1e4 / (pop * 1e4)",
                          "ln_gdppc": {"expr": "log(gdppc)", "unit": "log yuan"},
                          "z": "-sqrt(pop) ** 2 + exp(0) - 1"})
    out = evaluate_derive(frame, specs)
    np.testing.assert_allclose(out["gdppc"], [5.0, 2.5], rtol=1e-15)
    np.testing.assert_allclose(out["ln_gdppc"], np.log([5.0, 2.5]), rtol=1e-15)
    np.testing.assert_allclose(out["z"], [-2.0, -8.0], rtol=1e-15)
    assert list(frame.columns) == ["gdp", "pop"]          # the input is not modified
    assert specs["ln_gdppc"].as_dict() == {"expr": "log(gdppc)", "unit": "log yuan"}


@pytest.mark.parametrize("expr,match", [
    ("__import__('os').system('true')", r"the function \"__import__\('os'\).system\" is not "
                                        "allowed"),
    ("__import__('os')", r"the function '__import__' is not allowed"),
    ("gdp.real", r"Attribute \('gdp.real'\) is not allowed"),
    ("gdp[0]", r"Subscript"),
    ("gdp > 1", r"Compare"),
    ("(lambda: 1)()", r"function .*lambda.* is not allowed"),
    ("log(gdp, 10)", r"log\(\) takes exactly one argument"),
    ("'text'", "only numbers are allowed as constants"),
    ("gdp +", "is not an arithmetic expression"),
    ("abs(gdp)", r"function 'abs' is not allowed; allowed: \['exp', 'log', 'sqrt'\]"),
    ("log", "'log' is a function"),
    ("gdp // 2", r"FloorDiv"),
])
def test_anything_but_arithmetic_is_refused_before_evaluation(expr, match):
    with pytest.raises(ConfigError, match=match) as info:
        parse_derive({"x": expr})
    assert "derive.x" in str(info.value)


def test_names_must_be_defined_before_use_and_be_identifiers():
    with pytest.raises(ConfigError, match=r"derive.a = 'b \+ 1' uses \['b'\], derived after"):
        parse_derive({"a": "b + 1", "b": "gdp"})
    with pytest.raises(ConfigError, match="not a valid name"):
        parse_derive({"1x": "gdp"})
    with pytest.raises(ConfigError, match=r"only the keys .*unknown \['units'\]"):
        parse_derive({"x": {"expr": "gdp", "units": "yuan"}})


def test_evaluation_errors_name_the_expression_columns_and_rows():
    frame = pd.DataFrame({"code": ["a", "b"], "year": [2020, 2020], "gdp": [1.0, 0.0],
                          "label": ["x", "y"]})
    with pytest.raises(InputError, match=r"derive.y = 'gpd \* 2': unknown column\(s\) 'gpd' "
                                         r"\(closest: \['gdp'\]\)"):
        evaluate_derive(frame, parse_derive({"y": "gpd * 2"}))
    with pytest.raises(InputError, match=r"not finite .* at \(id, period\) \[\('b', 2020\)\]"):
        evaluate_derive(frame, parse_derive({"y": "log(gdp)"}), id="code", time="year")
    with pytest.raises(InputError, match=r"column 'label' is not numeric"):
        evaluate_derive(frame, parse_derive({"y": "label + 1"}), id="code", time="year")
    with pytest.raises(InputError, match="never overwrites data"):
        evaluate_derive(frame, parse_derive({"gdp": "label"}))


def test_carry_fills_every_row_from_the_reference_year():
    frame = pd.DataFrame({"code": ["a", "a", "b", "b", "c"], "year": [2020, 2023] * 2 + [2023],
                          "school": [9.0, np.nan, 8.0, 7.5, np.nan]})
    out, notes = carry_columns(frame, {"school": 2020}, id="code", time="year")
    assert out["school"].tolist()[:4] == [9.0, 9.0, 8.0, 8.0]
    assert np.isnan(out["school"].iloc[4])               # c has no 2020 row: missing, said
    assert "1 of them held a different value" in notes[0]["en"] and "['c']" in notes[0]["en"]
    assert "其中 1 行原值不同" in notes[0]["zh"] and "['c']" in notes[0]["zh"]
    with pytest.raises(InputError, match="no rows of 2019"):
        carry_columns(frame, {"school": 2019}, id="code", time="year")
    with pytest.raises(InputError, match=r"'shool'.*closest: \['school'\]"):
        carry_columns(frame, {"shool": 2020}, id="code", time="year")


def test_formula_names_skip_functions():
    assert formula_names("y ~ x1 + np.log(x2) + C(g) + I(x3 ** 2) + x1:x4") == \
        ["x1", "x2", "x3", "x4"]   # g is categorical: read as it is


# ----------------------------------------------------------------------------- in a config
def _example_config(tmp_path, **sections):
    raw = {"data": {"path": str(EXAMPLE), "missing": "interpolate",
                    "columns": {"地区代码": "code", "年份": "year",
                                "地区生产总值（万元，2014年不变价）": "real_gdp",
                                "年末从业人员（万人）": "employment",
                                "城镇居民人均可支配收入（元）": "urban_income",
                                "农村居民人均可支配收入（元）": "rural_income"},
                    "synthetic": True},
           "derive": {"ln_labour_productivity": "log(real_gdp / employment)",
                      "income_ratio": "urban_income / rural_income"},
           "models": {"outcomes": ["income_ratio"], "kinds": ["SAR"],
                      "formulas": {"income_ratio": "income_ratio ~ ln_labour_productivity "
                                                   "+ np.log(employment)"}},
           "report": {"indicators": {"income_ratio": {"higher_is_better": False,
                                                      "scale": "level"}}},
           "output": {"folder": str(tmp_path / "out")}}
    for key, value in sections.items():
        raw[key] = {**raw.get(key, {}), **value}
    return make_config(raw)


def test_formulas_use_any_column_and_regressors_are_optional(tmp_path):
    """No `regressors`, a raw column (employment) only in a formula: the plan builds."""
    p = plan(_example_config(tmp_path))
    panel = p.inputs.panel
    np.testing.assert_allclose(panel["income_ratio"],
                               panel["urban_income"] / panel["rural_income"], rtol=1e-15)
    (outcome, kind, wname, model), = p.models.values()
    assert kind == "SAR" and outcome == "income_ratio"
    assert any("derived: ln_labour_productivity = log(real_gdp / employment)" in n
               for n in map(note_text, p.inputs.notes))
    assert p.config.as_dict()["derive"]["income_ratio"] == {"expr": "urban_income / "
                                                                    "rural_income"}


def test_regressors_are_still_needed_when_a_formula_is_missing(tmp_path):
    cfg = _example_config(tmp_path, models={"outcomes": ["income_ratio", "ln_labour_productivity"],
                                            "formulas": {"income_ratio": "income_ratio ~ "
                                                                         "employment"}})
    with pytest.raises(ConfigError, match=r"no formula for \['ln_labour_productivity'\]"):
        plan(cfg)


def test_derive_needs_a_data_file():
    with pytest.raises(ConfigError, match=r"\[derive\] builds columns from a data file"):
        make_config({"derive": {"x": "tfp * 2"}})


# ----------------------------------------------------------------------------- real data
def _fit_sdm(p):
    label = next(k for k in p.models if k.startswith("SDM"))
    return p.models[label][3].fit()


@needs_real
def test_derive_reproduces_the_precomputed_2020_urbanisation_fit(tmp_path):
    """2020 urbanisation on schooling and ageing, 124 units: the config's [derive] gives the
    fit a user got by precomputing the rate in pandas (same W, same estimates)."""
    cfg = make_config({
        "data": {"path": str(REAL), "name": "name_zh", "years": [2020, 2020]},
        "derive": {"urban_rate": "100 * urban_pop_10k / pop_10k"},
        "models": {"outcomes": ["urban_rate"], "kinds": ["SDM"], "formulas": {
            "urban_rate": "urban_rate ~ avg_schooling_years + share_age65plus_pct"}},
        "report": {"indicators": {"urban_rate": {"higher_is_better": True,
                                                 "scale": "share"}}},
        "output": {"folder": str(tmp_path / "out")}})
    mine = _fit_sdm(plan(cfg))
    raw = pd.read_csv(REAL, dtype={"code": str}).query("year == 2020").set_index("code")
    raw["urban_rate"] = 100 * raw["urban_pop_10k"] / raw["pop_10k"]
    layer = load_guangdong_counties()
    w = build(layer, kind="queen", islands="knn")
    ref = sf.SDM.from_formula("urban_rate ~ avg_schooling_years + share_age65plus_pct",
                              data=raw.loc[layer.index], w=w).fit()
    assert mine.nobs == 124
    pd.testing.assert_series_equal(mine.params, ref.params, rtol=1e-9, atol=0)
    pd.testing.assert_series_equal(mine.bse, ref.bse, rtol=1e-7, atol=0)


@needs_real
def test_derive_and_carry_reproduce_the_precomputed_2023_gdp_fit(tmp_path):
    """2023 log GDP per capita on schooling, ageing, urbanisation (census 2020, carried) and
    loans/GDP: 75 units (3 of the 78 lack loans or deposits... loans: dropped, said aloud);
    W is built on the 75 kept units, where Chaoyang 440513 has lost every queen neighbour
    and is linked to Jiedong 445203 (and Nan'ao to Chenghai)."""
    cfg = make_config({
        "data": {"path": str(REAL), "name": "name_zh", "years": [2023, 2023],
                 "missing": "drop-units",
                 "carry": {"pop_10k": 2020, "urban_pop_10k": 2020,
                           "avg_schooling_years": 2020, "share_age65plus_pct": 2020}},
        "layer": {"units": "data"},
        "derive": {"ln_gdppc": "log(gdp_100m_yuan * 1e8 / (pop_10k * 1e4))",
                   "urban_rate": "100 * urban_pop_10k / pop_10k",
                   "loans_gdp": "loans_100m_yuan / gdp_100m_yuan"},
        "models": {"outcomes": ["ln_gdppc"], "kinds": ["SDM"], "formulas": {
            "ln_gdppc": "ln_gdppc ~ avg_schooling_years + share_age65plus_pct + urban_rate "
                        "+ loans_gdp"}},
        "report": {"indicators": {"ln_gdppc": {"higher_is_better": True, "scale": "log"}}},
        "output": {"folder": str(tmp_path / "out")}})
    p = plan(cfg)
    mine = _fit_sdm(p)
    raw = pd.read_csv(REAL, dtype={"code": str})
    census = raw.query("year == 2020").set_index("code")
    y23 = raw.query("year == 2023").set_index("code").dropna(subset=["loans_100m_yuan"])
    for col in ("pop_10k", "urban_pop_10k", "avg_schooling_years", "share_age65plus_pct"):
        y23[col] = census.loc[y23.index, col]
    y23["ln_gdppc"] = np.log(y23["gdp_100m_yuan"] * 1e8 / (y23["pop_10k"] * 1e4))
    y23["urban_rate"] = 100 * y23["urban_pop_10k"] / y23["pop_10k"]
    y23["loans_gdp"] = y23["loans_100m_yuan"] / y23["gdp_100m_yuan"]
    layer = load_guangdong_counties().loc[sorted(y23.index)]
    w = build(layer, kind="queen", islands="knn")
    ref = sf.SDM.from_formula("ln_gdppc ~ avg_schooling_years + share_age65plus_pct + "
                              "urban_rate + loans_gdp", data=y23.loc[layer.index], w=w).fit()
    assert mine.nobs == 75 == len(layer)
    pd.testing.assert_series_equal(mine.params, ref.params, rtol=1e-9, atol=0)
    pd.testing.assert_series_equal(mine.bse, ref.bse, rtol=1e-7, atol=0)
    # said aloud: the three dropped for a missing cell and the islands linked
    assert p.island_links == {"queen": [("440513", "445203"), ("440523", "440515")]}
    notes = " ".join(map(note_text, p.inputs.notes))
    assert "440513 潮阳区 -> 445203 揭东区" in notes
    assert "3 with missing cells" in notes and "440403 斗门区 (1 cell(s))" in notes
    assert "445224 惠来县" in notes and "445281 普宁市" in notes
    assert "data.carry: 'pop_10k' on every row is the unit's 2020 value" in notes
    assert sorted(p.inputs.dropped)[:2] == ["440103", "440104"] and len(p.inputs.dropped) == 49


@needs_real
@pytest.mark.slow
def test_islands_and_drops_reach_every_output(tmp_path):
    from spatialflow.pipeline import run
    cfg = make_config({
        "data": {"path": str(REAL), "name": "name_zh", "years": [2023, 2023],
                 "missing": "drop-units", "carry": {"pop_10k": 2020}},
        "layer": {"units": "data"},
        "derive": {"ln_gdppc": "log(gdp_100m_yuan * 1e8 / (pop_10k * 1e4))",
                   "loans_gdp": "loans_100m_yuan / gdp_100m_yuan"},
        "models": {"outcomes": ["ln_gdppc"], "kinds": ["SAR"],
                   "formulas": {"ln_gdppc": "ln_gdppc ~ loans_gdp"}},
        "effects": {"n_draws": 20},
        "report": {"indicators": {"ln_gdppc": {"higher_is_better": True, "scale": "log"}}},
        "output": {"folder": str(tmp_path / "out")}})
    said = []
    res = run(cfg, say=said.append)
    assert "440513 潮阳区 -> 445203 揭东区" in "\n".join(said)           # stdout
    summary = pd.read_csv(res.folder / "weights_summary.csv")
    assert json.loads(summary.loc[0, "islands"]) == ["440513", "440523"]
    assert json.loads(summary.loc[0, "island_links"]) == ["440513->445203", "440523->440515"]
    assert "445224" in json.loads(summary.loc[0, "units_dropped"])
    manifest = json.loads((res.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["island_links"] == {"queen": [["440513", "445203"], ["440523", "440515"]]}
    assert "445281" in manifest["units_dropped"]
    html = (res.folder / "report.html").read_text(encoding="utf-8")
    assert "440513 潮阳区 -&gt; 445203 揭东区" in html and "445224 惠来县" in html
