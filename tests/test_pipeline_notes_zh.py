"""The run's own notes in Chinese (issue 20, item 6): every note the pipeline writes is
{"en": ..., "zh": ...}; the report shows the text of its language, while stdout, README.txt
and manifest.json keep the English text."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from spatialflow.cli import example_config
from spatialflow.exceptions import ConfigError
from spatialflow.pipeline import load_config, make_config, plan
from spatialflow.pipeline._notes import note_text
from spatialflow.pipeline.derive import carry_columns
from spatialflow.pipeline.inputs import _periods
from spatialflow.pipeline.subsets import dropped_units, island_notes
from spatialflow.report.builder import _external_notes

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def assert_translated(notes: list) -> None:
    """Each note is a mapping whose zh text has Chinese of its own (not only the unit names
    it shares with the English text) and whose en text has none beyond those names."""
    for n in notes:
        assert set(n) == {"en", "zh"}, n
        own_zh = set(CJK.findall(n["zh"])) - set(CJK.findall(n["en"]))
        assert own_zh, n["zh"]
        assert not CJK.findall(re.sub(r"\d{6} \w+", "", n["en"])), n["en"]


@pytest.fixture(scope="module")
def census():
    return plan(load_config(example_config("census")))


def test_census_notes_are_shown_in_the_report_language(census):
    notes = census.inputs.notes
    assert len(notes) == 5
    assert_translated(notes)
    zh = _external_notes(notes, "zh")          # what the report's notes box shows
    en = _external_notes(notes, "en")
    assert len(zh) == len(en) == 5
    assert all(CJK.search(text) for text in zh)
    # English unchanged (stdout, README.txt and manifest.json print these)
    assert en[2] == ("periods [2010, 2020]: the data have no row for 2011-2019; the panel has "
                     "the observed periods only.")
    assert en[3].startswith("derived: urban_rate = 100 * urban_pop / pop; ")
    assert en[4] == ("weights 'queen': 1 island link(s) added (islands = \"knn\", units without "
                     "neighbours among those kept linked to the nearest unit by centroid, both "
                     "directions): 440523 南澳县 -> 440515 澄海区.")
    assert zh[2] == "时期 [2010, 2020]：数据中没有 2011-2019 的行；面板只包含观测到的时期。"
    assert zh[3].startswith("派生变量：urban_rate = 100 * urban_pop / pop；")
    assert "440523 南澳县 -> 440515 澄海区" in zh[4]
    assert [note_text(n) for n in notes] == en
    assert "note: " + en[4] in census.describe()


def test_every_note_producer_writes_both_languages():
    layer = pd.DataFrame({"name_zh": ["甲区", "乙区", "丙区"]}, index=["440101", "440102", "440103"])
    report = pd.DataFrame({"id": ["440102"], "action": ["unit dropped"], "value": [2]})
    notes = dropped_units(layer, pd.Index(["440101"]), report, policy="drop_unit")
    assert notes[0]["en"] == ("units dropped (2 of 3; W is built on the 1 kept): 1 with missing "
                              "cells (missing = \"drop_unit\"): 440102 乙区 (2 cell(s)); 1 not in "
                              "the data (layer.units = \"data\"): 440103 丙区.")
    notes += island_notes(layer, {"queen": [("440101", "440103")], "knn": []})
    frame = pd.DataFrame({"code": ["a", "a", "b"], "year": [2020, 2023, 2023],
                          "x": [1.0, 2.0, 3.0]})
    notes += carry_columns(frame, {"x": 2020}, id="code", time="year")[1]
    _periods([2010, 2015, 2020], notes)
    assert len(notes) == 4
    assert_translated(notes)


def test_config_notes_take_a_string_or_a_table_with_en():
    cfg = make_config({"report": {"notes": ["plain", {"en": "mine", "zh": "我的"}]}})
    assert cfg.report["notes"] == ["plain", {"en": "mine", "zh": "我的"}]
    for bad in ([{"zh": "只有中文"}], [{"en": "a", "fr": "b"}], [3]):
        with pytest.raises(ConfigError, match=r"config key 'report.notes' expects a list of "
                           r"strings or tables \{en = \"...\", zh = \"...\"\} \(en required\)"):
            make_config({"report": {"notes": bad}})
