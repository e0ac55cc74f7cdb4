"""Panels align their weights the way cross-sections do (issue 11): one path, as_sparse."""
from __future__ import annotations

import warnings

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import IslandWarning, UnbalancedPanelWarning
from spatialflow.weights.align import is_row_standardised


def _graph_with_island():
    neighbours = {i: list(v) for i, v in libpysal.weights.lat2W(4, 4).neighbors.items()}
    neighbours[16] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal's own island warning
        w = libpysal.weights.W(neighbours)
    # a Graph stores the island as an explicit zero self-link
    return libpysal.graph.Graph.from_W(w).transform("r")


def _panel(n=17, T=4, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"code": np.tile(np.arange(n), T), "year": np.repeat(np.arange(T), n),
                       "x": rng.normal(size=n * T)})
    df["y"] = df["x"] + rng.normal(size=n * T)
    return df


def test_panel_island_warns_and_unit_effects_stay_finite():
    g = _graph_with_island()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "divide by zero in log"
        with pytest.warns(IslandWarning, match=r"1 unit\(s\) have no neighbours in W: \[16\]"):
            res = sf.SDM.from_formula("y ~ x", data=_panel(), w=g, id="code", time="year",
                                      effects="unit").fit()
        u = res.unit_effects(n_draws=50)
    assert np.isfinite(u[["direct", "indirect", "total"]].to_numpy()).all()
    assert res.W.diagonal().tolist() == [0.0] * 17 and res.W.nnz == 48  # no stored zeros


def test_panel_and_cross_section_get_the_same_matrix():
    g = _graph_with_island()
    df = _panel()
    with pytest.warns(IslandWarning, match=r"\[16\]"):
        panel = sf.SAR.from_formula("y ~ x", data=df, w=g, id="code", time="year",
                                    effects="unit").fit()
    cs = df[df["year"] == 0].set_index("code")
    with pytest.warns(IslandWarning, match=r"\[16\]"):
        cross = sf.SAR.from_formula("y ~ x", data=cs, w=g).fit()
    assert (panel.W != cross.W).nnz == 0


def test_dropped_units_restandardise_the_rows_once():
    w = libpysal.weights.lat2W(4, 4)
    w.transform = "r"
    df = _panel(n=16)
    df = df[~((df["code"] == 5) & (df["year"] == 2))]  # unit 5 incomplete
    with pytest.warns(UnbalancedPanelWarning, match=r"dropped 1 incomplete unit"):
        res = sf.SAR.from_formula("y ~ x", data=df, w=w, id="code", time="year",
                                  effects="unit", balance="drop").fit()
    assert 5 not in res.ids and is_row_standardised(res.W, allow_islands=False)
    assert list(res.extra["dropped_units"]) == [5]


def test_panel_weights_values_are_checked_like_a_cross_section():
    w = libpysal.weights.lat2W(4, 4)
    neg = libpysal.weights.W(w.neighbors, {k: [-1.0] * len(v) for k, v in w.neighbors.items()})
    with pytest.raises(sf.exceptions.InputError, match=r"negative"):
        sf.SAR.from_formula("y ~ x", data=_panel(n=16), w=neg, id="code", time="year",
                            effects="unit")
