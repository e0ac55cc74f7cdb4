"""The report's optional convergence and distribution-dynamics sections: their numbers are
those of spatialflow.measures on the same levels, thin data are said to be thin, both
languages render, and the sections can be switched off (build and the pipeline config)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.exceptions import ConfigError, InputError, UndefinedSpeedWarning
from spatialflow.measures import beta_convergence, markov_chain
from spatialflow.report import DEFAULT_INDICATORS, build

RTOL_SAME = 1e-10   # the same estimator on the same numbers, reached two ways


@pytest.fixture(scope="module")
def gd():
    return load_guangdong_counties()


@pytest.fixture(scope="module")
def panel(gd):
    return synthetic_panel(gd, years=range(2018, 2023), seed=1)


@pytest.fixture(scope="module")
def report(gd, panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # tfp (a log indicator) and labour_flow (an index, to be left out)
        return build(panel, gd, indicators=[DEFAULT_INDICATORS[0], DEFAULT_INDICATORS[2]],
                     figures=False, permutations=0)


def test_sections_and_numbers_equal_the_measures(report, panel):
    keys = [s.key for s in report.sections]
    assert keys.index("decomposition") < keys.index("convergence") < keys.index("dynamics")
    beta = report.tables["beta"]
    # labour_flow is an index (arbitrary zero): left out, with a note
    assert set(beta["indicator"]) == {"tfp"}
    assert any("labour_flow" in n or "Labour" in n for n in report.notes if "index" in n)
    row = beta[(beta["indicator"] == "tfp") & (beta["group"] == "All")
               & (beta["model"] == "OLS")].iloc[0]
    levels = panel.assign(level=np.exp(panel["tfp"]))     # a log indicator: on its levels
    with pytest.warns(UndefinedSpeedWarning, match="no beta-convergence"):  # beta > 0 here
        ref = beta_convergence(levels, "level", id="code", time="year")
    np.testing.assert_allclose([row["beta"], row["beta_std_error"], row["speed"]],
                               [ref.beta, ref.bse["beta"], ref.speed], rtol=RTOL_SAME)
    assert set(beta["model"]) == {"OLS", "SAR", "SEM", "SDM"}
    assert set(beta.loc[beta["model"] != "OLS", "group"]) == {"All"}
    glance = report.tables["beta_summary"]
    assert set(zip(glance["group"], glance["model"])) == {("All", "OLS"), ("All", "SDM"),
                                                         ("PRD", "OLS"), ("Periphery", "OLS")}
    # half-lives only where beta is significantly negative
    shown = beta["half_life"].notna()
    assert (beta.loc[shown, "direction"] == "converging").all()
    mk = report.tables["markov_classes"]
    ref = markov_chain(levels, "level", id="code", time="year", k=5)
    np.testing.assert_allclose(mk[mk["indicator"] == "tfp"]["steady_state"],
                               ref.steady_state, rtol=RTOL_SAME)
    dens = report.tables["densities"]
    assert set(dens["relative"]) == {"mean", "neighbours"} and (dens["bandwidth"] > 0).all()


def test_two_periods_say_they_are_thin(gd, panel):
    two = panel[panel["year"].isin([2018, 2022])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = build(two, gd, indicators=DEFAULT_INDICATORS[:1], figures=True, permutations=0)
    mk = rep.tables["markov_classes"]
    assert "steady_state" not in mk.columns and mk["share_first"].notna().all()
    assert "one transition per unit" in rep.titles["markov_classes"]
    tests = rep.tables["spatial_markov_tests"]
    assert tests["Q"].isna().all() and tests["reading"].str.startswith("not tested").all()
    assert any("1 transition(s)" in n for n in rep.notes)
    assert rep.tables["beta"]["end"].eq(2022).all()
    assert {"convergence", "densities", "stochastic_kernel"} <= set(rep.figures)
    assert "Phillips–Sul clubs need a time series" in next(
        s.lead for s in rep.sections if s.key == "convergence")


def test_chinese_sections(gd, panel):
    two = panel[panel["year"].isin([2018, 2022])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = build(two, gd, indicators=DEFAULT_INDICATORS[:1], figures=False,
                    permutations=0, lang="zh")
    titles = {s.key: s.title for s in rep.sections}
    assert titles["convergence"] == "收敛：β、σ与俱乐部" and titles["dynamics"] == "分布动态"
    assert "半衰期（年）" in rep.display["beta"].columns
    assert rep.display["spatial_markov_tests"].iloc[0, -1].startswith("未检验")
    assert any(text.startswith("TFP的β收敛") or "β收敛" in text for text, _ in rep.summary)


def test_sections_can_be_switched_off_and_names_are_checked(gd, panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = build(panel, gd, indicators=DEFAULT_INDICATORS[:1], figures=False,
                    permutations=0, sections=())
        assert not {"beta", "densities"} & set(rep.tables)
        with pytest.raises(InputError, match=r"unknown section\(s\) \['hotspots'\]"):
            build(panel, gd, indicators=DEFAULT_INDICATORS[:1], sections=["hotspots"])
        cross = panel[panel["year"] == 2022].drop(columns="year")
        rep = build(cross, gd, indicators=DEFAULT_INDICATORS[:1], time=None, figures=False,
                    permutations=0)
    assert "beta" not in rep.tables
    assert any("at least two periods" in n for n in rep.notes)


def test_pipeline_key(tmp_path):
    from spatialflow.pipeline import make_config

    cfg = make_config({"report": {"sections": []}}, base=tmp_path)
    assert cfg.report["sections"] == []
    assert make_config({}, base=tmp_path).report["sections"] == ["convergence", "dynamics"]
    with pytest.raises(ConfigError, match="sections"):
        make_config({"report": {"sections": ["clubs"]}}, base=tmp_path)


def test_degenerate_levels_become_notes_not_failures(gd):
    from spatialflow.exceptions import SpatialflowWarning
    from spatialflow.report import Indicator

    v = np.exp(np.random.default_rng(0).normal(size=len(gd)))
    n = len(gd)
    panel = pd.DataFrame({"code": np.tile(gd.index, 2), "year": np.repeat([2010, 2020], n),
                          "v": np.concatenate([v, 2 * v]),       # every unit grows alike
                          "c": np.r_[np.ones(n), 2 * np.ones(n)]})  # no spread at all
    inds = [Indicator("v", higher_is_better=True, scale="level"),
            Indicator("c", higher_is_better=True, scale="level")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rep = build(panel, gd, indicators=inds, figures=False, permutations=0)
    assert all(issubclass(w.category, SpatialflowWarning) for w in caught), \
        [(w.category.__name__, str(w.message)) for w in caught]
    failed = [n for n in rep.notes if n.startswith("beta-convergence of")]
    assert len(failed) == 2 and all("is constant" in n for n in failed)   # one per indicator
    assert any(n.startswith("Kernel density of c") for n in rep.notes)
    assert "beta" not in rep.tables
