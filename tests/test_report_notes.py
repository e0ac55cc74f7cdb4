"""The notes box of the report in English and Chinese.

Every note comes from one phrase table (``spatialflow.report._text.TEXT``): the same
placeholders in both languages, the English wording unchanged, identifiers and exception
messages embedded verbatim. The notes are triggered by real conditions on the embedded
data (real county polygons, SYNTHETIC panel): NaNs in an indicator, a unit of the layer
without data, a level indicator that is zero in one period (no Gini: a negative level is
refused since issue 19), non-numeric periods, a model fitted on more units than
the report has (its effects and counterfactual cannot be computed), an OLS fit, a model
whose outcome is not a declared indicator, and a fit flagged as not converged.
"""
from __future__ import annotations

import dataclasses
import re
import string
import warnings

import numpy as np
import pandas as pd
import pytest

from spatialflow import OLS, SDM
from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.exceptions import ReportWarning, SpatialflowError
from spatialflow.report.builder import _Builder, _whole
from spatialflow.report import DEFAULT_INDICATORS, build
from spatialflow.report._text import TEXT, t
from spatialflow.weights import build as build_w

CJK = re.compile(r"[\u4e00-\u9fff]")
DROPPED = "440523"            # Nan'ao County: in the layer, left out of the report's panel
FORMULA = "tfp ~ labour_flow + capital_flow"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.fixture(scope="module")
def case():
    gd = load_guangdong_counties()
    w = build_w(gd, kind="queen", islands="knn")
    panel = synthetic_panel(gd, w, years=range(2019, 2024), seed=3)
    # The models are fitted on every county of the last year ...
    last = panel[panel["year"] == 2023].set_index("code")
    sdm = SDM.from_formula(FORMULA, data=last, w=w).fit()
    ols = OLS.from_formula("labour_flow ~ capital_flow", data=last, w=w).fit()
    models = {"SDM · queen": sdm,
              # a fit the optimiser reports as not converged (the flag the report reads)
              "SDM (stuck)": dataclasses.replace(sdm, converged=False),
              "OLS · labour": ols}
    # ... the report's panel lacks one of them, has gaps and a level that is all zero.
    p = panel[panel["code"] != DROPPED].copy()
    p.loc[p.index[:3], "tfp"] = np.nan
    p.loc[p["year"] == 2020, "income_gap"] = np.nan
    p.loc[p["year"] == 2022, "income_gap"] = 0.0
    reps, caught = {}, {}
    for lang in ("en", "zh"):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            reps[lang] = build(p, gd, w, indicators=DEFAULT_INDICATORS[:2], models=models,
                               n_draws=20, permutations=9, figures=False, lang=lang)
        caught[lang] = [str(r.message) for r in rec if issubclass(r.category, ReportWarning)]
    # A second pair: no models, default weights, periods that are not numbers.
    q = panel.assign(year="Y" + panel["year"].astype(str))
    plain = {lang: build(q, gd, indicators=DEFAULT_INDICATORS[:1], figures=False,
                         permutations=9, lang=lang) for lang in ("en", "zh")}
    return dict(gd=gd, panel=p, sdm=sdm, reps=reps, caught=caught, plain=plain)


def _pairs(case):
    for reps in (case["reps"], case["plain"]):
        assert len(reps["en"].notes) == len(reps["zh"].notes)
        yield from zip(reps["en"].notes, reps["zh"].notes)


def test_every_chinese_note_is_chinese(case):
    pairs = list(_pairs(case))
    assert len(pairs) >= 12
    for en, zh in pairs:
        assert CJK.search(zh), zh
        assert zh != en
        assert not CJK.search(en), en


def test_notes_cover_the_conditions(case):
    # Which templates the two reports used, read back from the English notes.
    en = case["reps"]["en"].notes + case["plain"]["en"].notes
    starts = {"note_layer_no_data": "1 unit(s) of the layer have no data",
              "note_some_missing": "Indicator 'tfp' has missing values",
              "note_all_missing": "Indicator 'income_gap' is all missing",
              "note_inequality_skipped": "Dagum Gini and Theil of 'income_gap'",
              "note_not_converged": "Model 'SDM (stuck)' did NOT converge",
              "note_effects_failed": "Effects of model 'SDM · queen' could not be computed",
              "note_no_spillovers": "Model 'OLS · labour' (OLS) has no spillover effects",
              "note_cf_outcome": "Counterfactual for model 'OLS · labour': its outcome",
              "note_cf_failed": "Counterfactual for model 'SDM · queen' not computed",
              "note_markov_subset": "Colour transitions on the",
              "note_default_weights": "Weights for the LISA map",
              "note_periods_not_numeric": "The periods of 'year' are not numeric",
              "no_models": "No fitted model was given"}
    for key, start in starts.items():
        assert any(n.startswith(start) for n in en), key


def test_phrase_table_pairs_have_the_same_placeholders():
    assert set(TEXT["en"]) == set(TEXT["zh"])
    for key, en in TEXT["en"].items():
        zh = TEXT["zh"][key]
        assert _fields(en) == _fields(zh), key
        assert CJK.search(zh), key
        if key.startswith("note_"):
            # Chinese sentences, Chinese punctuation; no English sentence punctuation
            # outside the embedded values and code (font='...', w=).
            bare = re.sub(r"\{[^}]*\}|'[^']*'|[A-Za-z_]+=", "", zh)
            assert not re.search(r"[,;](\s|$)|\.\s|\.$", bare), (key, zh)
            assert "：" in zh or "，" in zh, key


def test_chinese_templates_fill_every_placeholder():
    for key, en in TEXT["en"].items():
        values = {f: f"<{f}>" for f in _fields(en)}
        for lang in ("en", "zh"):
            text = t(key, lang, **values)
            assert all(v in text for v in values.values()), (key, lang)
            assert "{" not in text, (key, lang)


def test_missing_values_note_in_both_languages(case):
    p = case["panel"]
    counts = p["tfp"].isna().groupby(p["year"]).sum()
    counts = counts[(counts > 0) & (counts < p.groupby("year").size())]
    en_detail = ", ".join(f"{y}: {int(c)}" for y, c in counts.items())
    zh_detail = "、".join(f"{y}：{int(c)}" for y, c in counts.items())
    assert en_detail == "2019: 1, 2020: 1, 2021: 1"
    assert (f"Indicator 'tfp' has missing values (period: count) {en_detail}; group means use "
            "the units observed.") in case["reps"]["en"].notes
    assert (f"指标“tfp”存在缺失值（时期：缺失个数）：{zh_detail}；各组均值仅以有观测值的单元计算。"
            in case["reps"]["zh"].notes)
    assert ("Indicator 'income_gap' is all missing in period(s) 2020: those periods are left "
            "out for it (blank in tables, no trend point).") in case["reps"]["en"].notes
    assert any(n.startswith("指标“income_gap”在以下时期全部为缺失值：2020。")
               for n in case["reps"]["zh"].notes)
    # the unit without data: id verbatim, its name in the report's language
    assert ("1 unit(s) of the layer have no data and are shown blank on the maps: "
            "[\"440523 (Nan'ao County)\"].") in case["reps"]["en"].notes
    zh_name = case["gd"].loc[DROPPED, "name_zh"]
    assert f"图层中有 1 个单元没有数据，在地图上留白：['440523（{zh_name}）']。" \
        in case["reps"]["zh"].notes


def test_non_converged_model_note_in_both_languages(case):
    assert ("Model 'SDM (stuck)' did NOT converge: its numbers are shown, flagged converged = "
            "no, and should not be relied on.") in case["reps"]["en"].notes
    assert ("模型“SDM (stuck)”未收敛：其结果照常列示并标记为 converged = no，但不宜作为依据。"
            in case["reps"]["zh"].notes)
    # the converged one has no such note
    assert not any("SDM · queen" in n and "未收敛" in n for n in case["reps"]["zh"].notes)


def test_effects_failure_keeps_the_error_verbatim(case):
    # The error the model itself raises for the report's partition (one unit unlabelled).
    sdm = case["sdm"]
    p = case["panel"]
    labels = p.groupby("code")["region"].first().reindex(sdm.ids)
    with pytest.raises(SpatialflowError, match=DROPPED) as info:
        sdm.effects(n_draws=20, seed=0, partition=labels)
    err = str(info.value)
    assert f"Effects of model 'SDM · queen' could not be computed: {err}" \
        in case["reps"]["en"].notes
    # the Chinese note names the model in Chinese (issue 20), the error stays verbatim
    assert f"模型“SDM · 后相邻”的效应未能计算：{err}" in case["reps"]["zh"].notes


def test_warnings_stay_english_while_notes_are_chinese(case):
    # A part that fails is a note in the report's language and a ReportWarning in English.
    en, zh = case["caught"]["en"], case["caught"]["zh"]
    assert en and en == zh
    assert any(m.startswith("Counterfactual for model 'SDM · queen' not computed: ")
               for m in zh)
    assert not any(CJK.search(m) for m in zh)
    cf = [n for n in case["reps"]["zh"].notes if n.startswith("模型“SDM · 后相邻”的反事实未计算：")]
    assert len(cf) == 1
    assert cf[0].split("：", 1)[1] == next(
        m for m in zh if m.startswith("Counterfactual for model 'SDM · queen'")).split(": ", 1)[1]


def test_zh_notes_box_in_html(case):
    from markupsafe import escape  # the page template's (jinja2) HTML escaping

    page = case["reps"]["zh"].as_html()
    assert "说明与警告" in page
    for note in case["reps"]["zh"].notes:
        assert f"<li>{escape(note)}</li>" in page
    assert "did NOT converge" not in page


def test_units_missing_from_the_data_restrict_the_weights(case):
    """A panel without a unit of the layer (and an indicator with gaps) still gets its colour
    transitions and LISA: the weights are restricted to the units observed, and a note says
    so (it used to fail with an id mismatch)."""
    rep = case["reps"]["en"]
    n = len(case["gd"])
    assert "markov" in rep.tables and "spatial_markov" in rep.tables
    assert not any("could not be estimated" in note for note in rep.notes), rep.notes
    assert not any(note.startswith("LISA of") and "not computed" in note for note in rep.notes)
    observed = case["panel"]["code"].nunique()
    assert observed == n - 1
    expected = t("note_markov_subset", "en", k=rep.tables["markov"].attrs["units"], n=n)
    assert expected in rep.notes
    zh = t("note_markov_subset", "zh", k=rep.tables["markov"].attrs["units"], n=n)
    assert zh in case["reps"]["zh"].notes
    if "lisa" in rep.tables:
        lisa = rep.tables["lisa"]
        last = case["panel"][case["panel"]["year"] == case["panel"]["year"].max()]
        for column in lisa["indicator"].unique():
            assert (lisa["indicator"] == column).sum() == last[column].notna().sum()


# ----------------------------------------------------- the counterfactual's share, in words
def _share_reader(lang):
    """The report builder's share rule without building a report (it reads only ``lang``)."""
    reader = object.__new__(_Builder)
    reader.lang = lang
    return reader


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_counterfactual_share_is_not_read_off_noise(lang):
    # census: non-agricultural employment "closes" by -23.6 points with an SE of 35; the old
    # text printed "-194% of its deficit" -- a ratio to a change indistinguishable from zero
    reader = _share_reader(lang)
    noise = reader._cf_share(-1.94, significant=False, has_se=True)
    assert "194" not in noise
    assert ("not distinguishable from zero" in noise) if lang == "en" else ("无显著差异" in noise)
    widens = reader._cf_share(-0.4, significant=True, has_se=True)
    assert ("widens the deficit by 40%" in widens) if lang == "en" else ("扩大 40%" in widens)
    over = reader._cf_share(1.3, significant=True, has_se=True)
    assert "130%" in over and (("overshoots" in over) if lang == "en" else ("超越" in over))
    plain = reader._cf_share(0.31, significant=True, has_se=True)
    assert "31%" in plain
    # without simulated SEs the share is all there is to say
    assert "31%" in reader._cf_share(0.31, significant=False, has_se=False)


def _cf_rows(closed, se):
    """Counterfactual rows of two peripheral groups as the report's table holds them."""
    n = len(closed)
    return pd.DataFrame({
        "group": ["North", "East"][:n], "outcome": "y", "behind": True,
        "closed": closed, "closed_std_error": se, "share": [c / 20 for c in closed],
        "own": closed, "own_direct": np.nan, "within_group": 0.0, "spillover": 0.0,
        "core_response": 0.0})


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_counterfactual_says_close_only_when_a_change_differs_from_zero(lang):
    reader = _share_reader(lang)
    reader.d = dataclasses.make_dataclass("D", [("indicators", list)])([])
    noise = reader._cf_text("SDM", _cf_rows([-23.6, 8.0], [35.0, 6.2]))
    found = reader._cf_text("SDM", _cf_rows([8.6, 8.0], [4.0, 6.2]))
    if lang == "en":
        assert "would close by" not in noise and "none of which differs from zero" in noise
        assert "not distinguishable" not in noise          # said once, not per group
        assert "would close by" in found and "% of its deficit" in found
    else:
        assert "差距可缩小" not in noise and "均与零无显著差异" in noise
        assert "不计占差距比例" not in noise
        assert "差距可缩小" in found and "占差距" in found


def test_a_small_negative_share_prints_as_zero_not_minus_zero():
    assert [_whole(x) for x in (-0.3, 0.4, -0.6, 12.5, 99.6)] == ["0", "0", "-1", "12", "100"]
