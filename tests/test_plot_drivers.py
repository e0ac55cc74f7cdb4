"""spatialflow.plot's drivers figures: Geodetector bars and GWR/MGWR local-estimate maps."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from shapely.geometry import box

from spatialflow import plot
from spatialflow.exceptions import InputError
from spatialflow.measures import LocalRegressionResults


def _ax():
    return Figure().subplots()


def test_geodetector_bars_sorted_with_stars():
    table = pd.DataFrame({"q": [0.2, 0.6, 0.4], "p_value": [0.3, 0.001, 0.04]},
                         index=["a", "b", "c"])
    ax = plot.geodetector_bars(table, labels={"b": "B label"}, ax=_ax())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c", "B label"]  # bottom up
    assert [round(p.get_width(), 12) for p in ax.patches] == [0.2, 0.4, 0.6]
    assert [t.get_text() for t in ax.texts] == ["0.20", "0.40*", "0.60*"]
    with pytest.raises(InputError, match="'q' and 'p_value'"):
        plot.geodetector_bars(table.rename(columns={"q": "Q"}), ax=_ax())


def _fake_fit(layer):
    """A LocalRegressionResults built by hand (no mgwr fit): the maps read params and
    bandwidths only."""
    n = len(layer)
    x = np.array([g.centroid.x for g in layer.geometry])
    params = pd.DataFrame({"Intercept": np.ones(n), "a": x - x.mean()}, index=layer.index)
    empty = np.zeros((n, 2))
    return LocalRegressionResults(
        kind="MGWR", _params=params, _bse=params * 0, _tvalues=params * 0,
        _bandwidths=pd.Series([30.0, 12.0], index=params.columns), aicc=0.0, r2=0.0,
        kernel="bisquare", fixed=False, spherical=False, model=None, selector=None,
        _coords=empty.copy(), _y=np.zeros(n), _X=empty.copy())


def test_local_estimate_maps_one_panel_per_term_with_its_bandwidth():
    import geopandas as gpd

    cells = [box(i, j, i + 1, j + 1) for j in range(5) for i in range(6)]
    layer = gpd.GeoDataFrame(geometry=cells, crs="EPSG:3857",
                             index=pd.Index([f"u{k}" for k in range(30)], name="id"))
    fit = _fake_fit(layer)
    fig = plot.local_estimate_maps(fit, layer, terms=["a"], labels={"a": "slope of a"})
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title() for ax in visible] == ["slope of a (bandwidth 12 neighbours)"]
    fig = plot.local_estimate_maps(fit, layer)
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == [
        "Intercept (bandwidth 30 neighbours)", "a (bandwidth 12 neighbours)"]
    with pytest.raises(InputError, match="not terms of the fit"):
        plot.local_estimate_maps(fit, layer, terms=["zz"])
    # the results hand out copies: editing one does not edit the fit
    p = fit.params
    p.iloc[0, 0] = 99.0
    assert fit.params.iloc[0, 0] == 1.0
