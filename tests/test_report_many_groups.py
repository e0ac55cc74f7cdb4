"""Reports with many groups stay readable (issue 20, item 5): 21 prefectures instead of
Guangdong's 4 regions. Summaries name the largest groups and leave the rest to the table,
the group x group heatmap becomes its table, line charts highlight a few groups, and map
labels never overlap."""
from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.models import SDM
from spatialflow.plot.labels import label_places
from spatialflow.report import DEFAULT_INDICATORS, build
from spatialflow.report import figures as F
from spatialflow.report.groups import (HEATMAP_GROUPS, LINE_HIGHLIGHT, SUMMARY_GROUPS,
                                       more_groups, rank_groups)
from spatialflow.weights import build as build_w


def test_rank_groups_keeps_few_groups_in_order():
    named, more = rank_groups([("East", 0.1), ("West", -3.0), ("North", 2.0)], limit=5)
    assert named == ["East", "West", "North"] and more == 0


def test_rank_groups_names_the_largest_magnitudes_first():
    values = [("a", 0.1), ("b", -5.0), ("c", float("nan")), ("d", 2.0), ("e", 2.0),
              ("Periphery", 0.01)]
    named, more = rank_groups(values, limit=3, keep={"Periphery"})
    # |value| descending, ties in the given order, NaN never ahead of a number
    assert named == ["Periphery", "b", "d", "e"] and more == 2
    assert more_groups(more, "en") == "; 2 more groups in the table"
    assert more_groups(more, "zh") == "；其余 2 组见表"
    assert more_groups(0, "en") == ""


def _overlap(a, b) -> bool:
    return a.overlaps(b)


def test_label_places_hides_the_lower_priority_of_two_colliding_labels():
    fig = Figure(figsize=(4, 4))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    texts = label_places(ax, [(5, 5), (5.1, 5.0), (1, 9)], ["Guangzhou", "Foshan", "Shaoguan"],
                         priority=[1.0, 3.0, 2.0])
    fig.canvas.draw()
    shown = {t.get_text(): t.get_visible() for t in texts}
    # Foshan outranks Guangzhou at the same spot; Shaoguan is far from both
    assert shown == {"Foshan": True, "Shaoguan": True, "Guangzhou": False}
    # drawn again (e.g. a resize), the same decision
    fig.canvas.draw()
    assert [t.get_visible() for t in texts] == [True, True, False]


# The whole report with 21 groups takes ~15 s (maps of 124 counties): marked slow. The
# fast tests below draw the same figures from small frames.
@pytest.fixture(scope="module")
def prefectures():
    """The synthetic panel grouped by the 21 prefecture-level cities (core: Guangzhou)."""
    gd = load_guangdong_counties()
    panel = synthetic_panel(gd, years=range(2018, 2021), seed=3)
    last = panel[panel["year"] == 2020].set_index("code")
    w = build_w(gd.loc[last.index], kind="queen", islands="knn")
    res = SDM.from_formula("tfp ~ labour_flow + capital_flow", last, w).fit()
    rep = build(panel, gd, indicators=DEFAULT_INDICATORS[:1], group="city_en",
                core="Guangzhou", models={"SDM": res}, n_draws=50, permutations=0, seed=3)
    return dict(rep=rep, n=gd["city_en"].nunique())


@pytest.mark.slow
def test_summary_names_the_largest_deficits_and_points_to_the_table(prefectures):
    rep, n = prefectures["rep"], prefectures["n"]
    deficits = rep.tables["deficits"]
    last = deficits[(deficits["period"] == 2020) & (deficits["indicator"] == "tfp")]
    peripheral = last[~last["group"].isin(["Periphery"])].dropna(subset=["deficit"])
    assert len(peripheral) == n - 1 > SUMMARY_GROUPS
    text = next(s for s, _ in rep.summary if s.startswith("TFP"))
    named = re.findall(r"(?:: |; )([A-Z][a-z]+) -?\d", text)
    top = peripheral.reindex(peripheral["deficit"].abs().sort_values(ascending=False).index)
    assert named == ["Periphery", *top["group"].iloc[:SUMMARY_GROUPS]]
    assert f"{n - 1 - SUMMARY_GROUPS} more groups in the table" in text
    # every group is still in the table the summary cites
    assert set(peripheral["group"]) <= set(rep.tables["deficit_summary"]["group"])
    assert len(text.split()) < 100
    colours = next(s for s, _ in rep.summary if s.startswith("Three-colour"))
    assert colours.count("/") == SUMMARY_GROUPS and "more groups in the table" in colours


@pytest.mark.slow
def test_group_heatmap_becomes_its_table(prefectures):
    rep, n = prefectures["rep"], prefectures["n"]
    assert n > HEATMAP_GROUPS
    assert "blocks_heatmap" not in rep.figures and "blocks_cp_heatmap" in rep.figures
    blocks = rep.tables["blocks_groups"]
    assert len(blocks) == 2 * n * n   # two regressors, every (from, to) pair
    assert any(f"between the {n} groups are given as a table" in note for note in rep.notes)
    items = [k for s in rep.sections for what, k in s.items if what == "figure"]
    assert "blocks_heatmap" not in items and set(items) <= set(rep.figures)


@pytest.mark.slow
def test_deficit_lines_highlight_the_largest_groups(prefectures):
    fig = prefectures["rep"].figures["deficit_trends"]
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "Periphery" or "Periphery" in legend
    assert len(legend) == LINE_HIGHLIGHT + 1
    grey = [ln for ln in ax.get_lines() if ln.get_color() == "#c8c8c8"]
    assert len(grey) == prefectures["n"] - 1 - LINE_HIGHLIGHT
    coloured = {ln.get_color() for ln in ax.get_lines() if ln.get_label() in legend}
    assert len(coloured) == LINE_HIGHLIGHT + 1   # no two highlighted groups share a colour


@pytest.mark.slow
def test_map_group_labels_do_not_overlap(prefectures):
    fig = prefectures["rep"].figures["colours_map"]
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_bbox_patch() is not None]
    assert len(labels) == prefectures["n"]
    shown = [t.get_window_extent(renderer) for t in labels if t.get_visible()]
    assert 0 < len(shown) < prefectures["n"]
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            assert not _overlap(a, b)
    # what is shown, is shown whole (no clipped "Guangzh")
    assert all(t.get_text() in set(load_guangdong_counties()["city_en"])
               for t in labels if t.get_visible())


# ------------------------------------------------------------------ fast figure checks
class _Ind:
    column, scale = "tfp", "level"

    def text(self, lang):
        return "TFP"

    def unit_text(self, lang):
        return ""


@pytest.fixture(scope="module")
def ctx():
    gd = load_guangdong_counties()
    layer = gd.assign(_group=gd["city_en"])
    groups = list(dict.fromkeys(gd["city_en"]))
    return F.FigureContext(layer=layer, groups=groups, core="Guangzhou")


def test_deficit_lines_of_many_groups_grey_all_but_the_largest(ctx):
    import pandas as pd
    groups = [g for g in ctx.groups if g != "Guangzhou"] + ["Periphery"]
    rng = np.random.default_rng(0)
    last = dict(zip(groups, rng.normal(size=len(groups))))
    rows = [dict(indicator="tfp", group=g, period=p, deficit=last[g] - 0.1 * (2020 - p))
            for g in groups for p in (2018, 2019, 2020)]
    fig = F.deficit_lines(ctx, pd.DataFrame(rows), [_Ind()])
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    peripheral = {g: v for g, v in last.items() if g != "Periphery"}
    top = sorted(peripheral, key=lambda g: -abs(peripheral[g]))[:LINE_HIGHLIGHT]
    assert legend == [g for g in groups if g in top or g == "Periphery"]
    grey = [ln for ln in ax.get_lines() if ln.get_color() == "#c8c8c8"]
    assert len(grey) == len(peripheral) - LINE_HIGHLIGHT
    coloured = [ln.get_color() for ln in ax.get_lines() if ln.get_label() in legend]
    assert len(set(coloured)) == LINE_HIGHLIGHT + 1   # no two highlighted groups alike
    # integer periods: year ticks, never "2018.5"
    FigureCanvasAgg(fig).draw()
    assert all(float(t).is_integer() for t in ax.get_xticks())


def test_group_names_on_a_map_of_21_prefectures_do_not_overlap(ctx):
    fig = Figure(figsize=(4.6, 3.9), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ctx.base(ax)
    ax.set_aspect("equal")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_bbox_patch() is not None]
    assert len(labels) == len(ctx.groups) == 21
    shown = [t for t in labels if t.get_visible()]
    assert 0 < len(shown) < 21
    boxes = [t.get_window_extent(renderer) for t in shown]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    # the largest prefecture (by area) is always named
    area = ctx.outlines.geometry.area
    assert area.idxmax() in {t.get_text() for t in shown}
