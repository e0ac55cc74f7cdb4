"""The report's drivers section: its Geodetector tables equal the measures' on the same
cross-section, and the whole section (with GWR/MGWR) renders in both languages."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.measures import factor_detector, optimal_discretisation
from spatialflow.report import DEFAULT_INDICATORS, build
from spatialflow.report._data import prepare
from spatialflow.report.drivers import CLASSES, drivers, specs_from_models

EXACT_RTOL = 1e-12
FLOWS = ["labour_flow", "capital_flow", "land_flow"]


@pytest.fixture(scope="module")
def data():
    gd = load_guangdong_counties()
    panel = synthetic_panel(gd, years=range(2019, 2021), seed=3)
    d = prepare(panel, gd, indicators=DEFAULT_INDICATORS, id="code", time="year",
                group="region", core="PRD")
    return gd, panel, d


def test_geodetector_tables_are_the_measures_on_the_last_period(data):
    _, panel, d = data
    out = drivers(d, {"tfp": FLOWS}, local=False)
    assert "bandwidths" not in out and out["fits"] == {} and out["skipped"] == {}
    last = panel[panel["year"] == 2020].set_index("code")
    q = out["q"].set_index("factor")
    assert list(q.index) == FLOWS
    for x in FLOWS:
        best = optimal_discretisation(last["tfp"], last[x], k=CLASSES)
        ref = factor_detector(last["tfp"], best.strata.to_frame(x))
        assert q.loc[x, "q"] == pytest.approx(ref.loc[x, "q"], rel=EXACT_RTOL)
        assert q.loc[x, "p_value"] == pytest.approx(ref.loc[x, "p_value"], rel=EXACT_RTOL)
        assert q.loc[x, "method"] == best.method
    assert len(out["interaction"]) == 3
    assert set(out["interaction"]["interaction"]) <= {
        "weaken, nonlinear", "weaken, uni-", "enhance, bi-", "independent",
        "enhance, nonlinear"}


def test_specs_take_each_outcomes_first_model():
    class R:  # the two attributes specs_from_models reads
        def __init__(self, y, xs):
            self.endog_name, self.exog_names = y, ["Intercept", *xs]

    models = {"SAR tfp": R("tfp", ["a", "b"]), "SDM tfp": R("tfp", ["a"]),
              "SAR gap": R("gap", ["b", "zz"])}
    assert specs_from_models(models, ["tfp", "gap", "a", "b"]) == {"tfp": ["a", "b"],
                                                                   "gap": ["b"]}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_drivers_section_renders_with_mgwr(data, lang, tmp_path):
    from spatialflow.models import SAR
    from spatialflow.weights import build as wbuild

    gd, panel, _ = data
    last = panel[panel["year"] == 2020].set_index("code")
    w = wbuild(gd, kind="queen", islands="knn")
    res = SAR.from_formula("tfp ~ " + " + ".join(FLOWS), last, w=w).fit()
    rep = build(panel, gd, w, indicators=DEFAULT_INDICATORS[:2], models={"SAR": res},
                lang=lang, sections=("drivers",), n_draws=50, permutations=9)
    keys = [s.key for s in rep.sections]
    assert keys.index("drivers") == keys.index("models") + 1
    bw = rep.tables["drivers_bandwidths"]
    assert list(bw["term"]) == ["Intercept", *FLOWS]
    n = len(last)
    assert np.allclose(bw["share_of_units"] * n, bw["mgwr_bandwidth"])
    assert ((bw["mgwr_bandwidth"] >= 2) & (bw["mgwr_bandwidth"] <= n)).all()
    assert {"drivers_q_bars", "drivers_mgwr_tfp"} <= set(rep.figures)
    assert rep.titles["drivers_q"] != rep.titles["drivers_q_bars"]  # table keeps its caption
    html = rep.as_html()
    heading = "驱动因素" if lang == "zh" else "Drivers: Geodetector"
    assert heading in html
    assert any("drivers_q" in keys for _, keys in rep.summary)
