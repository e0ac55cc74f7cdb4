"""spatialflow.report: deficits against the core, checked against plain group means."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.exceptions import IdMismatchError, InputError
from spatialflow.report import DEFAULT_INDICATORS, Indicator, build


@pytest.fixture(scope="module")
def gd():
    return load_guangdong_counties()


@pytest.fixture(scope="module")
def panel(gd):
    return synthetic_panel(gd, years=range(2018, 2023), seed=1)


def test_deficits_are_differences_of_group_means(gd, panel):
    rep = build(panel, gd, indicators=DEFAULT_INDICATORS[:2], n_draws=20)
    d = rep.tables["deficits"]
    last = panel[panel["year"] == 2022]
    core = last.loc[last["region"] == "PRD", "tfp"].mean()
    north = last.loc[last["region"] == "North", "tfp"].mean()
    row = d[(d["indicator"] == "tfp") & (d["group"] == "North") & (d["period"] == 2022)].iloc[0]
    np.testing.assert_allclose(row["deficit"], core - north, rtol=1e-12)
    # lower is better: the income ratio's deficit is group minus core
    core_g = last.loc[last["region"] == "PRD", "income_gap"].mean()
    east_g = last.loc[last["region"] == "East", "income_gap"].mean()
    row = d[(d["indicator"] == "income_gap") & (d["group"] == "East") & (d["period"] == 2022)]
    np.testing.assert_allclose(row["deficit"].iloc[0], east_g - core_g, rtol=1e-12)
    np.testing.assert_allclose(row["deficit_pct"].iloc[0], 100 * (east_g - core_g) / core_g,
                               rtol=1e-12)


def test_indicator_direction_must_be_declared():
    with pytest.raises(TypeError, match="higher_is_better"):
        Indicator("tfp")
    with pytest.raises(InputError, match="declared, never guessed"):
        Indicator("tfp", higher_is_better=1)


def test_unit_missing_from_layer_is_named(gd, panel):
    with pytest.raises(IdMismatchError, match=r"440523 \(Nan'ao County\)"):
        build(panel, gd.drop(index="440523"), indicators=DEFAULT_INDICATORS[:1])
