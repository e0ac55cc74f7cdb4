"""spatialflow.plot: what each map draws (colours per polygon, legend entries, classes,
where the furniture sits), checked against values computed here independently.

References: class bounds = numpy quantiles (mapclassify's Quantiles rule); effects and
shock responses = the dense inverse (I - rho W)^-1 (beta I + theta W); LISA = the report's
local_moran (itself checked against esda in test_report.py) with esda.fdr's cutoff; CIE L*
from the sRGB definition and the Machado et al. (2009) deuteranopia matrix, coded here.
"""
from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import Normalize, TwoSlopeNorm, to_hex
from matplotlib.figure import Figure
from shapely.geometry import box
from shapely.ops import unary_union

import spatialflow as sf
from spatialflow import plot
from spatialflow.exceptions import InputError

RTOL_EXACT = 1e-10  # two exact computations of the same quantity (float round-off)


# ------------------------------------------------------------------------ fixtures
def _grid(nx=6, ny=6, size=10_000.0, crs="EPSG:32650"):
    """A projected grid of square 10 km units indexed 'u00'.. (row-major)."""
    cells = [box(i * size, j * size, (i + 1) * size, (j + 1) * size)
             for j in range(ny) for i in range(nx)]
    ids = [f"u{k:02d}" for k in range(nx * ny)]
    return gpd.GeoDataFrame({"row": [k // nx for k in range(nx * ny)]}, geometry=cells,
                            crs=crs, index=pd.Index(ids, name="id"))


def _ax():
    return Figure(figsize=(6, 5)).subplots()


def _facecolours(ax) -> list[str]:
    """Face colour of every polygon drawn, in drawing order (collections, then paths)."""
    out = []
    for coll in ax.collections:
        fc = coll.get_facecolors()
        n = len(coll.get_paths())
        out += [to_hex(fc[i % len(fc)]) for i in range(n)] if len(fc) else []
    return out


def _legend(ax):
    leg = ax.get_legend()
    return ([t.get_text() for t in leg.get_texts()],
            [to_hex(h.get_facecolor()) for h in leg.legend_handles], leg.get_title().get_text())


# ------------------------------------------------------------------------ palettes
def _lstar(hexcolour, deuteranopia=False):
    c = np.array([int(hexcolour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    if deuteranopia:
        m = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                      [-0.011820, 0.042940, 0.968881]])
        lin = np.clip(m @ lin, 0, 1)
    y = lin @ [0.2126, 0.7152, 0.0722]
    f = y ** (1 / 3) if y > 0.008856 else 7.787 * y + 16 / 116
    return 116 * f - 16


def _min_gap(colours, deuteranopia):
    return min(abs(_lstar(a, deuteranopia) - _lstar(b, deuteranopia))
               for a, b in itertools.combinations(colours, 2))


def test_three_colours_differ_in_lightness_also_for_deuteranopes():
    colours = list(plot.THREE_COLOUR.values())
    assert _min_gap(colours, False) >= 20
    assert _min_gap(colours, True) >= 20
    # ordered: green lightest, red darkest (reads in greyscale)
    l = [_lstar(plot.THREE_COLOUR[k]) for k in ("green", "yellow", "red")]
    assert l[0] > l[1] > l[2]
    # the old green/red pair the issue reported fails this check (the test can fail)
    assert abs(_lstar("#2e7d32", True) - _lstar("#c62828", True)) < 20
    from spatialflow.plot.palettes import deuteranopia_lightness, lightness
    for c in colours:
        assert lightness(c) == pytest.approx(_lstar(c), rel=RTOL_EXACT)
        assert deuteranopia_lightness(c) == pytest.approx(_lstar(c, True), rel=RTOL_EXACT)


# ------------------------------------------------------------------------ choropleth
def test_choropleth_quantile_classes_colours_and_bracketed_labels():
    layer = _grid()
    rng = np.random.default_rng(3)
    values = pd.Series(rng.gamma(2.0, 1.0, len(layer)), index=layer.index)
    ax = plot.choropleth(layer, values, scheme="quantiles", k=4, unit="yuan", ax=_ax())
    bins = np.quantile(values, [0.25, 0.5, 0.75, 1.0])
    labels, handles, title = _legend(ax)
    f = "{:.3g}".format
    lower = [values.min(), *bins[:-1]]
    assert labels == [f"[{f(lower[0])}, {f(bins[0])}]"] + [
        f"({f(a)}, {f(b)}]" for a, b in zip(lower[1:], bins[1:])]
    assert "Quantiles, 4 classes" in title and "yuan" in title
    expected = [to_hex(c) for c in matplotlib.colormaps["viridis"](np.linspace(0, 1, 4))]
    assert handles == expected
    klass = np.searchsorted(bins, values.to_numpy(), side="left")  # y <= bin
    assert _facecolours(ax)[:len(layer)] == [expected[k] for k in klass]


@pytest.mark.filterwarnings("ignore::spatialflow.exceptions.CJKFontWarning")
@pytest.mark.filterwarnings("ignore:Glyph:UserWarning")  # machines without a CJK font
def test_choropleth_missing_values_are_hatched_no_data():
    layer = _grid(4, 4)
    values = pd.Series(np.arange(16, dtype=float), index=layer.index)
    values.iloc[[2, 5]] = np.nan
    ax = plot.choropleth(layer, values, k=3, ax=_ax(), lang="zh")
    labels, handles, title = _legend(ax)
    assert labels[-1] == "无数据" and len(labels) == 4
    assert "分位数分级" in title
    hatched = [c for c in ax.collections if c.get_hatch()]
    assert len(hatched) == 1 and len(hatched[0].get_paths()) == 2


def test_sequential_for_one_signed_diverging_only_around_zero():
    layer = _grid(5, 5)
    pos = pd.Series(np.linspace(1.0, 9.0, 25), index=layer.index)
    ax = plot.choropleth(layer, pos, scheme=None, ax=_ax())
    drawn = _facecolours(ax)[:25]
    seq = matplotlib.colormaps["viridis"](Normalize(1.0, 9.0)(pos.to_numpy()))
    assert drawn == [to_hex(c) for c in seq]
    # mixed signs: RdBu centred on zero, arms as long as the data (-2 .. 8)
    mixed = pd.Series(np.linspace(-2.0, 8.0, 25), index=layer.index)
    ax = plot.choropleth(layer, mixed, scheme=None, ax=_ax())
    div = matplotlib.colormaps["RdBu"](TwoSlopeNorm(0.0, -2.0, 8.0)(mixed.to_numpy()))
    assert _facecolours(ax)[:25] == [to_hex(c) for c in div]
    # zero sits at the middle colour of the diverging map
    assert to_hex(matplotlib.colormaps["RdBu"](TwoSlopeNorm(0.0, -2.0, 8.0)(0.0))) == \
        to_hex(matplotlib.colormaps["RdBu"](0.5))
    with pytest.raises(InputError, match="both sides of zero"):
        plot.choropleth(layer, pos, diverging=True, ax=_ax())


def test_legend_scale_bar_and_north_arrow_stay_off_the_land():
    # land everywhere except a 4 x 4 block at the lower left: the legend takes that corner
    # (the only one free of land); the scale bar and arrow find open ground elsewhere.
    layer = _grid(8, 8)
    keep = ~layer.index.isin([f"u{8 * r + c:02d}" for r in range(4) for c in range(4)])
    layer = layer[keep]
    ax = plot.choropleth(layer, layer["row"].astype(float), ax=_ax(), k=3)
    assert ax.get_legend()._loc == 3  # matplotlib code of "lower left"
    land = unary_union(list(layer.geometry))
    bar = [ln for ln in ax.lines if ln.get_gid() == "sf-scale-bar"]
    assert len(bar) == 1
    from shapely.geometry import LineString, Point
    xs, ys = bar[0].get_data()
    assert not LineString(list(zip(xs, ys))).intersects(land)
    from spatialflow.plot.maps import _legend_box
    assert not _legend_box(ax, ax.get_legend()).intersects(land)
    north = [t for t in ax.texts if t.get_gid() == "sf-north-arrow"]
    assert len(north) == 1 and north[0].get_text() == "N"
    assert not Point(north[0].get_position()).intersects(land)
    label = [t for t in ax.texts if t.get_gid() == "sf-scale-label"][0].get_text()
    # a round length: 1, 2 or 5 x 10^k km
    km = float(label.split()[0])
    assert km / 10 ** np.floor(np.log10(km)) in (1, 2, 5)


def test_legend_goes_beside_the_map_when_no_corner_is_free():
    layer = _grid(8, 8)  # land in every corner
    ax = plot.choropleth(layer, layer["row"].astype(float), ax=_ax(), k=3)
    leg = ax.get_legend()
    assert leg._loc == 6 and tuple(leg.get_bbox_to_anchor().bounds) != ()  # "center left"
    # anchored right of the axes: it covers no part of the map
    anchor = leg.get_bbox_to_anchor().transformed(ax.transAxes.inverted())
    assert anchor.x0 > 1.0


def test_bad_inputs_are_named():
    layer = _grid(3, 3)
    with pytest.raises(InputError, match="not in the layer"):
        plot.choropleth(layer, "nope", ax=_ax())
    with pytest.raises(InputError, match="not units of the layer"):
        plot.choropleth(layer, pd.Series([1.0], index=["zz"]), ax=_ax())
    with pytest.raises(InputError, match="GeoDataFrame"):
        plot.choropleth(pd.DataFrame(layer), "row", ax=_ax())


# ------------------------------------------------------------------------ warning colours
def test_warning_map_colours_hatches_and_legend():
    layer = _grid(3, 3)
    colours = pd.Series(["green", "yellow", "red"] * 3, index=layer.index)
    colours.iloc[0] = None
    ax = plot.warning_map(layer, colours, hatch=True, ax=_ax())
    labels, handles, _ = _legend(ax)
    assert labels == ["green", "yellow", "red", "no data"]
    assert handles[:3] == [plot.THREE_COLOUR[k] for k in ("green", "yellow", "red")]
    by_colour = {to_hex(c.get_facecolors()[0]): c for c in ax.collections}
    assert len(by_colour[plot.THREE_COLOUR["green"]].get_paths()) == 2  # one became no data
    assert by_colour[plot.THREE_COLOUR["red"]].get_hatch() == "///"


# ------------------------------------------------------------------------ LISA
def _rook(layer):
    from libpysal.graph import Graph
    return Graph.build_contiguity(layer, rook=True).transform("r")


def test_lisa_map_draws_the_clusters_with_and_without_fdr():
    import esda

    from spatialflow.report.lisa import local_moran
    from spatialflow.weights.align import weights_on
    layer = _grid(7, 7)
    rng = np.random.default_rng(0)
    x = np.array([g.centroid.x for g in layer.geometry])
    y = pd.Series(x / 10_000 + rng.normal(0, 0.7, len(layer)), index=layer.index)
    w = _rook(layer)
    lm = local_moran(y, weights_on(w, y.index), permutations=199, seed=4)
    cut = esda.fdr(lm["p_sim"].to_numpy(), 0.05)
    for fdr, sig in ((None, lm["p_sim"] < 0.05), (0.05, lm["p_sim"] <= cut)):
        expected = np.where(sig, lm["quadrant"], "ns")
        ax = plot.lisa_map(y, w, layer, fdr=fdr, permutations=199, seed=4, ax=_ax())
        colour_of = {}
        for coll, cat in zip(ax.collections, [c for c in plot.LISA_COLOURS
                                              if (expected == c).any()]):
            colour_of[cat] = to_hex(coll.get_facecolors()[0])
            assert len(coll.get_paths()) == int((expected == cat).sum())
        assert colour_of == {c: plot.LISA_COLOURS[c] for c in colour_of}
        labels, _, title = _legend(ax)
        assert labels == [("not significant" if c == "ns" else c)
                          for c in plot.LISA_COLOURS if (expected == c).any()]
        assert title == ("p < 0.05" if fdr is None else f"FDR 0.05 (p ≤ {cut:.2g})")
    assert (lm["p_sim"] <= cut).sum() <= (lm["p_sim"] < 0.05).sum()
    assert (lm["p_sim"] < 0.05).sum() > 0


# ------------------------------------------------------------------------ model maps
@pytest.fixture(scope="module")
def fitted():
    layer = _grid(6, 6)
    w = _rook(layer)
    rng = np.random.default_rng(1)
    n = len(layer)
    data = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)}, index=layer.index)
    W = w.sparse.toarray()
    e = rng.normal(scale=0.5, size=n)
    y = np.linalg.solve(np.eye(n) - 0.4 * W, 1 + 2 * data.x + 0.8 * W @ data.x - data.z + e)
    data["y"] = y
    res = sf.SDM.from_formula("y ~ x + z", data, w).fit()
    return layer, w, res


def _S(res, v):
    W = res.W.toarray()
    n = W.shape[0]
    from spatialflow.models._design.naming import lag_name
    theta = float(res.params[lag_name(v)])
    return np.linalg.inv(np.eye(n) - float(res.params["rho"]) * W) @ (
        float(res.params[v]) * np.eye(n) + theta * W)


def test_effects_map_colours_the_direct_effects(fitted):
    layer, _, res = fitted
    S = _S(res, "x")
    direct = np.diag(S)
    ax = plot.effects_map(res, layer, "direct", variable="x", scheme=None, ax=_ax())
    cm, norm = matplotlib.colormaps["viridis"], Normalize(direct.min(), direct.max())
    order = pd.Index(res.ids).get_indexer(layer.index)
    assert _facecolours(ax)[:len(layer)] == [to_hex(c) for c in cm(norm(direct[order]))]
    sent = S.sum(axis=0) - direct
    ax = plot.effects_map(res, layer, "indirect_sent", variable="x", k=3, ax=_ax())
    labels, _, title = _legend(ax)
    assert len(labels) == 3 and "indirect effect sent: x" in title
    assert labels[0].startswith(f"[{sent.min():.3g}, ")
    with pytest.raises(InputError, match="name one with"):
        plot.effects_map(res, layer, ax=_ax())
    with pytest.raises(InputError, match="kind must be"):
        plot.effects_map(res, layer, "total", variable="x", ax=_ax())


def test_shock_map_is_one_column_of_the_multiplier(fitted):
    layer, _, res = fitted
    S = _S(res, "x")
    j = list(res.ids).index("u14")
    resp = pd.Series(2.0 * S[:, j], index=pd.Index(res.ids)).reindex(layer.index)
    got = plot.shock_response(res, "u14", variable="x", size=2.0).reindex(layer.index)
    np.testing.assert_allclose(got, resp, rtol=1e-9)
    ax = plot.shock_map(res, layer, "u14", variable="x", size=2.0, scheme=None, ax=_ax())
    cm, norm, _ = plot.maps.value_scale(resp.to_numpy())
    assert _facecolours(ax)[:len(layer)] == [to_hex(c) for c in cm(norm(resp.to_numpy()))]
    outline = [c for c in ax.collections if c.get_gid() == "sf-shocked"]
    assert len(outline) == 1
    with pytest.raises(InputError, match="not a unit"):
        plot.shock_map(res, layer, "nowhere", variable="x", ax=_ax())


def test_residual_map_diverges_around_zero(fitted):
    layer, _, res = fitted
    r = pd.Series(np.asarray(res.resid, dtype=float), index=pd.Index(res.ids)).reindex(layer.index)
    assert r.min() < 0 < r.max()
    ax = plot.residual_map(res, layer, scheme=None, ax=_ax())
    expected = matplotlib.colormaps["RdBu"](TwoSlopeNorm(0.0, r.min(), r.max())(r.to_numpy()))
    assert _facecolours(ax)[:len(layer)] == [to_hex(c) for c in expected]


def test_plot_is_a_lazy_public_subpackage():
    import spatialflow
    assert spatialflow.plot.lisa_map is plot.lisa_map
    for name in ("choropleth", "lisa_map", "effects_map", "residual_map", "shock_map"):
        assert name in plot.__all__


def test_residual_map_of_a_panel_averages_or_picks_a_period():
    layer = _grid(5, 5)
    w = _rook(layer)
    rng = np.random.default_rng(2)
    W = w.sparse.toarray()
    rows = []
    for year in (2020, 2021, 2022, 2023):
        x = rng.normal(size=len(layer))
        y = np.linalg.solve(np.eye(len(layer)) - 0.3 * W, 1 + x + rng.normal(size=len(layer)))
        rows.append(pd.DataFrame({"id": layer.index, "year": year, "x": x, "y": y}))
    panel = pd.concat(rows, ignore_index=True)
    fe = sf.SAR.from_formula("y ~ x", data=panel, w=w, id="id", time="year",
                             effects="unit").fit()
    by_time = fe.extra.resid_by_id_time
    for period, expected in ((None, by_time.groupby(level=0).mean()),
                             (2022, by_time.xs(2022, level=1))):
        r = expected.reindex(layer.index).to_numpy()
        ax = plot.residual_map(fe, layer, period=period, scheme=None, ax=_ax())
        colours = matplotlib.colormaps["RdBu"](TwoSlopeNorm(0.0, r.min(), r.max())(r))
        assert _facecolours(ax)[:len(layer)] == [to_hex(c) for c in colours]
    with pytest.raises(InputError, match="not a period"):
        plot.residual_map(fe, layer, period=1999, ax=_ax())
