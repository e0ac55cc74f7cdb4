"""Readable notebook objects: the effects view and the weights description."""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import InputError
from spatialflow.simulate import simulate
from spatialflow.views import effects_view, stars
from spatialflow.weights import describe


@pytest.fixture(scope="module")
def effects():
    w = libpysal.weights.lat2W(9, 9)
    w.transform = "r"
    sim = simulate("SDM", w, beta={"Intercept": 1.0, "x1": 1.0, "x2": 0.0},
                   theta={"x1": 0.5, "x2": 0.0}, rho=0.4, seed=1)
    res = sf.SDM.from_formula("y ~ x1 + x2", data=sim.data, w=w).fit()
    return res.effects(n_draws=200, seed=0)


def test_stars_follow_the_economics_convention():
    assert [stars(p) for p in (0.001, 0.01, 0.049, 0.05, 0.099, 0.1, np.nan)] == \
        ["***", "**", "**", "*", "*", "", ""]


def test_effects_view_shows_estimates_stars_and_ses(effects):
    before = effects.copy()
    view = effects_view(effects, digits=3)
    pd.testing.assert_frame_equal(effects, before)          # user frame untouched
    pd.testing.assert_frame_equal(view.frame, effects)      # the wide frame still there
    t = view.table
    assert list(t.columns) == ["Direct", "Indirect", "Total"]
    assert list(t.index) == ["x1", "", "x2", ""]
    for i, name in enumerate(effects.index):
        for part, col in (("direct", "Direct"), ("indirect", "Indirect"), ("total", "Total")):
            est = t.iloc[2 * i][col]
            assert est == f"{effects.loc[name, part]:.3f}" + stars(effects.loc[name, f"{part}_p_value"])
            assert t.iloc[2 * i + 1][col] == f"({effects.loc[name, f'{part}_std_error']:.3f})"
    html = view._repr_html_()
    # the package's one table renderer and style sheet (this pinned the view's own CSS)
    from spatialflow._render import TABLE_CSS
    assert TABLE_CSS in html and 'class="sf-table"' in html
    assert "SDM" in html and "(" in html and "<style>.sf-effects" not in html
    text = str(view)
    assert "x1" in text and "standard errors in parentheses" in text
    assert "200 simulation draws" in text
    assert view.as_markdown().count("\n|") >= 5


def test_effects_view_computes_p_from_z_when_absent():
    frame = pd.DataFrame({"direct": [0.5], "indirect": [0.1], "total": [0.6],
                          "direct_std_error": [0.2], "indirect_std_error": [0.1], "total_std_error": [0.3]},
                         index=["x"])
    # z = 2.5 -> p = 0.0124 (**); z = 1 -> p = 0.317 (); z = 2 -> p = 0.0455 (**)
    assert view_row(frame) == ["0.50**", "0.10", "0.60**"]


def view_row(frame):
    return list(effects_view(frame, digits=2).table.iloc[0])


def test_effects_view_bad_input_is_named():
    with pytest.raises(InputError, match=r"missing \['total'\]"):
        effects_view(pd.DataFrame({"direct": [1.0], "indirect": [1.0]}))
    with pytest.raises(InputError, match="digits must be an integer"):
        effects_view(pd.DataFrame({"direct": [1.0], "indirect": [1.0], "total": [2.0]}),
                     digits=-1)


def test_describe_renders_as_a_table_and_keeps_its_attributes():
    w = libpysal.weights.lat2W(3, 3)
    w.transform = "r"
    d = describe(w)
    assert (d.n, d.n_links, d.neighbours_max) == (9, 24, 4)
    html = d._repr_html_()
    assert "<table" in html and "units" in html and "R (row-standardised)" in html
    frame = d.to_frame()
    assert frame.loc["units", "value"] == "9"
    assert frame.loc["islands (units without neighbours)", "value"] == "none"
    assert str(d).splitlines()[0] == "Spatial weights"
