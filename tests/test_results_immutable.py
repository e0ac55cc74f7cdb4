"""Results are immutable in fact (issue 11): nothing a user can reach changes a fit."""
from __future__ import annotations

import dataclasses

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import MissingValueWarning
from spatialflow.models.results.base import FitInfo, PanelInfo

FORMULA = "CRIME ~ INC + HOVAL"


@pytest.fixture(scope="module")
def fe():
    w = libpysal.weights.lat2W(5, 5)
    w.transform = "r"
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"code": np.tile(w.id_order, 4), "year": np.repeat(np.arange(4), 25),
                       "x": rng.normal(size=100)})
    df["y"] = df["x"] + rng.normal(size=100)
    return sf.SDM.from_formula("y ~ x", data=df, w=w, id="code", time="year",
                               effects="twoway").fit()


def test_cross_section_results_cannot_be_changed(columbus):
    df, w = columbus
    res = sf.SDM.from_formula(FORMULA, data=df, w=w).fit()
    with pytest.raises(TypeError, match="does not support item assignment"):
        res.extra["logdet"] = "lu"
    with pytest.raises(AttributeError, match="'tuple' object has no attribute 'append'"):
        res.exog_names.append("x")
    with pytest.raises(AttributeError, match="'tuple' object has no attribute 'append'"):
        res.lagged_names.append("x")
    with pytest.raises(ValueError, match="read-only"):
        res.W.data[0] = 99.0
    with pytest.raises(ValueError, match="read-only"):
        res.W.indices[0] = 3
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field"):
        res.extra.logdet = "lu"
    # the model's own matrix is not handed out
    assert res.W is not res.model.frame.W
    assert isinstance(res.extra, FitInfo) and res.extra["logdet"] == res.extra.logdet == "eigen"
    assert res.extra.optimizer["nfev"] > 0
    with pytest.raises(TypeError, match="does not support item assignment"):
        res.extra.optimizer["nfev"] = 0
    # effects and summaries work on the read-only W
    assert res.effects(n_draws=50).shape == (2, 18)


def test_panel_information_is_frozen_and_reads_both_ways(fe):
    assert isinstance(fe.panel, PanelInfo)
    assert fe.panel["bias_correction"] == fe.panel.bias_correction == "lee-yu"
    assert fe.panel.get("nobs_effective") == 24 * 3 and "effects" in fe.panel
    with pytest.raises(TypeError, match="does not support item assignment"):
        fe.panel["bias_correction"] = None
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field"):
        fe.panel.bias_correction = None
    with pytest.raises(ValueError, match="read-only"):
        fe.extra["unit_effects"].iloc[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        fe.extra["resid_by_id_time"].iloc[0] = 1.0
    with pytest.raises(KeyError, match="theta"):
        fe.extra["theta"]  # a random-effects key: absent from a fixed-effects fit
    assert "theta" not in fe.extra and fe.extra.get("theta") is None
    assert dict(fe.panel)["effects"] == "twoway"


def test_lr_test_still_refuses_mixed_corrections(fe):
    # `fe.panel["bias_correction"] = None` once made check_comparable accept this pair
    within = fe.model.fit(bias_correction=None)
    with pytest.raises(sf.exceptions.InputError, match="bias_correction"):
        sf.models.lr_test(within, fe)


def test_one_key_for_dropped_units(columbus):
    df, w = columbus
    bad = df.copy()
    bad.loc["7", "INC"] = np.nan
    with pytest.warns(MissingValueWarning, match=r"dropped 1 id\(s\)"):
        res = sf.SAR.from_formula(FORMULA, data=bad, w=w, missing="drop").fit()
    assert list(res.extra["dropped_units"]) == ["7"]
    assert "dropped" not in res.extra
    full = sf.SAR.from_formula(FORMULA, data=df, w=w).fit()
    assert len(full.extra["dropped_units"]) == 0
