"""Hostile inputs to the models, weights, results, simulation and report (issue 27).

One regression test per bad case of the issue's adversarial review, each asserting the exact
error type, that the message names the culprit, and that the user's objects are unchanged.
"""
from __future__ import annotations

import copy
import pickle
import warnings

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

import spatialflow as sf
from spatialflow.exceptions import (DroppedNeighboursWarning, EmptyInputError,
                                    GroupConflictError, InputError, InsufficientMemoryError,
                                    InvalidWeightsError, IslandWarning,
                                    ResponseInRegressorsError, SeedError)
from spatialflow.simulate import Simulator, simulate
from spatialflow.weights import as_sparse, build

#: Differences between two fits of the same likelihood that stop at the optimiser's own
#: tolerance (xatol 1e-12 on rho, relative to its interval): observed ~5e-8 on the params.
OPTIMIZER_RTOL = 1e-6


@pytest.fixture(scope="module")
def lattice():
    w = libpysal.weights.lat2W(5, 5)
    w.transform = "r"
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=25), "g": np.repeat(["a", "b"], [12, 13])},
                      index=w.id_order)
    df["y"] = df["x"] + rng.normal(size=25)
    return df, w


def _binary_w(scale: float) -> libpysal.weights.W:
    base = libpysal.weights.lat2W(5, 5)
    return libpysal.weights.W(dict(base.neighbors),
                              {k: [scale] * len(v) for k, v in base.neighbors.items()})


# ------------------------------------------------------------------- bad case 4
@pytest.mark.parametrize("formula, term", [
    ("y ~ y + x", r"'y'\]"),
    ("y ~ x + np.log(y ** 2)", r"'np\.log\(y \*\* 2\)'"),
    ("np.exp(y) ~ y", "'y'"),
])
def test_response_as_regressor_is_refused_in_formulas(lattice, formula, term):
    df, w = lattice
    before = df.copy()
    with pytest.raises(ResponseInRegressorsError, match=rf"used as a regressor: the term\(s\) \[{term}"):
        sf.SDM.from_formula(formula, data=df, w=w)
    pd.testing.assert_frame_equal(df, before)


def test_a_copy_of_the_response_is_refused_on_both_paths(lattice):
    df, w = lattice
    data = df.assign(y_copy=df["y"])
    before = data.copy()
    with pytest.raises(ResponseInRegressorsError, match=r"\['y_copy'\] are numerically identical"):
        sf.SAR.from_formula("y ~ x + y_copy", data=data, w=w)
    with pytest.raises(ResponseInRegressorsError, match=r"\['y_copy'\] are numerically identical"):
        sf.SAR(data["y"], data[["x", "y_copy"]], w)
    X = data[["x", "y"]].to_numpy()
    with pytest.raises(ResponseInRegressorsError, match=r"\['x1'\] are numerically identical"):
        sf.SAR(data["y"].to_numpy(), X, w)
    pd.testing.assert_frame_equal(data, before)
    # a constant response is still reported as such, not as a copy of the intercept
    with pytest.raises(sf.exceptions.ConstantResponseError, match="is constant"):
        sf.SAR.from_formula("c ~ x", data=df.assign(c=1.0), w=w)


def test_response_as_regressor_is_refused_in_panels(lattice):
    _, w = lattice
    rng = np.random.default_rng(1)
    panel = pd.DataFrame({"code": np.tile(w.id_order, 3), "year": np.repeat([1, 2, 3], 25),
                          "x": rng.normal(size=75)})
    panel["y"] = panel["x"] + rng.normal(size=75)
    with pytest.raises(ResponseInRegressorsError, match=r"the term\(s\) \['y'\]"):
        sf.SDM.from_formula("y ~ y + x", data=panel, w=w, id="code", time="year",
                            effects="twoway")


# ------------------------------------------------------------------- bad case 5
# pandas 3 deprecates inplace= (PDEP-8); users still write it, and it must not reach a fit.
INPLACE = pytest.mark.filterwarnings("ignore:The inplace keyword")


@INPLACE
def test_results_cannot_be_changed_through_their_labels(lattice):
    df, w = lattice
    res = sf.SDM.from_formula("y ~ x", data=df, w=w).fit()
    params, bse, cov = res.params, res.bse, res.cov
    effects = res.effects(n_draws=50)
    text = res.summary().as_text()

    res.params.index = ["a", "b", "c", "d"]
    res.cov_full.columns = list("abcde")
    res.params.drop("rho", inplace=True)
    res.params.rename({"x": "z"}, inplace=True)
    res.resid.sort_values(inplace=True)
    res.fitted.index.name = "renamed"
    res.ids.name = "renamed"

    pd.testing.assert_series_equal(res.params, params)
    pd.testing.assert_series_equal(res.bse, bse)
    pd.testing.assert_frame_equal(res.cov, cov)
    pd.testing.assert_frame_equal(res.effects(n_draws=50), effects)
    assert res.summary().as_text() == text
    assert res.resid.index.equals(res.ids) and res.ids.name is None
    # values stay read-only on the fresh objects
    with pytest.raises(ValueError, match="read-only"):
        res.params.to_numpy()[0] = 1.0


@INPLACE
def test_panel_extra_vectors_cannot_be_relabelled():
    w = libpysal.weights.lat2W(5, 5)
    w.transform = "r"
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"code": np.tile(w.id_order, 4), "year": np.repeat(np.arange(4), 25),
                       "x": rng.normal(size=100)})
    df["y"] = df["x"] + rng.normal(size=100)
    fe = sf.SDM.from_formula("y ~ x", data=df, w=w, id="code", time="year",
                             effects="twoway").fit()
    unit = fe.extra.unit_effects
    fe.extra.unit_effects.index = range(100, 125)
    fe.extra["resid_by_id_time"].sort_values(inplace=True)
    pd.testing.assert_series_equal(fe.extra.unit_effects, unit)
    assert fe.extra.resid_by_id_time.index.equals(fe.extra.fitted_by_id_time.index)
    again = pickle.loads(pickle.dumps(fe))
    pd.testing.assert_series_equal(again.extra.unit_effects, unit)
    assert again.panel.bias_correction == "lee-yu"


def test_results_survive_pickle_and_deepcopy_read_only(lattice):
    df, w = lattice
    res = sf.SDM.from_formula("y ~ x", data=df, w=w).fit()
    effects = res.effects(n_draws=50)
    for other in (pickle.loads(pickle.dumps(res)), copy.deepcopy(res)):
        pd.testing.assert_series_equal(other.params, res.params, rtol=0, atol=0)
        pd.testing.assert_series_equal(other.bse, res.bse, rtol=0, atol=0)
        pd.testing.assert_frame_equal(other.effects(n_draws=50), effects, rtol=0, atol=0)
        with pytest.raises(ValueError, match="read-only"):
            params = other.params
            params.iloc[0] = 1.0
        with pytest.raises(ValueError, match="read-only"):
            other.W.data[0] = 1.0
        with pytest.raises(TypeError, match="does not support item assignment"):
            other.extra.optimizer["nfev"] = 0


def test_the_model_keeps_its_own_copy_of_the_data(lattice):
    df, w = lattice
    data = df.copy()
    res = sf.SDM.from_formula("y ~ x", data=data, w=w).fit()
    by_group = res.effects(n_draws=50, partition="g")
    data["g"] = data["g"].to_numpy()[::-1]       # the user permutes the column afterwards
    pd.testing.assert_frame_equal(res.effects(n_draws=50, partition="g"), by_group)


# ------------------------------------------------------------------- bad case 6
@pytest.mark.parametrize("scale, match", [
    (1e300, r"largest row or column sum is 4e\+300"),
    (1e308, r"the sums of the weights overflow"),
    (1e-150, r"largest row or column sum is 4e-150"),
    (1e50, r"largest row or column sum is 4e\+50 .*it must lie in \[1e-50, 1e\+50\]"),
])
@pytest.mark.parametrize("kind", ["SAR", "SEM", "SDM"])
def test_weights_too_large_or_small_are_refused(lattice, scale, match, kind):
    df, _ = lattice
    w = _binary_w(scale)
    weights_before = copy.deepcopy(w.weights)
    with pytest.raises(InvalidWeightsError, match=match):
        getattr(sf, kind).from_formula("y ~ x", data=df, w=w)
    assert w.weights == weights_before


@pytest.mark.parametrize("kind", ["SAR", "SEM", "SDM", "SAC", "GNS"])
@pytest.mark.parametrize("scale", [1e12, 1e49, 1e-49])
def test_scaled_weights_give_the_unscaled_estimates(lattice, scale, kind):
    # rho's interval is 1/scale as wide: an absolute optimiser tolerance once returned
    # rho ~ 0 for a binary W times 1e12 (SAC/GNS: a wrong rho and lambda from 1e8).
    df, _ = lattice
    ref = getattr(sf, kind).from_formula("y ~ x", data=df, w=_binary_w(1.0)).fit()
    res = getattr(sf, kind).from_formula("y ~ x", data=df, w=_binary_w(scale)).fit()
    rescaled = res.params.copy()
    for name in rescaled.index:
        if name in ("rho", "lambda") or name.startswith("W_"):
            rescaled[name] *= scale
    np.testing.assert_allclose(rescaled, ref.params, rtol=OPTIMIZER_RTOL)
    np.testing.assert_allclose(res.bse["x"], ref.bse["x"], rtol=OPTIMIZER_RTOL)


# ------------------------------------------------------------------- bad case 7
@pytest.fixture(scope="module")
def points():
    xy = [(0, 0), (30_000, 0), (0, 40_000), (50_000, 50_000), (90_000, 10_000)]
    return gpd.GeoDataFrame({"v": np.arange(5.0)}, geometry=[Point(p) for p in xy],
                            index=list("abcde"), crs="EPSG:32650")


@pytest.mark.parametrize("kind, options", [
    ("inverse_distance", {"power": 400}),
    ("distance_band", {"threshold_km": 100, "binary": False, "power": 400}),
    ("inverse_distance", {"power": 400, "islands": "keep"}),
])
def test_distance_weights_that_underflow_are_refused(points, kind, options):
    before = points.copy()
    with pytest.raises(InvalidWeightsError,
                       match=r"power=400: the weights d\*\*-400 of \d+ of \d+ linked pairs are "
                             r"not representable.*underflow.*units involved: \['a', 'b'"):
        build(points, kind, **options)
    pd.testing.assert_frame_equal(points, before)


def test_distance_weights_that_overflow_are_refused():
    close = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(1, 0), Point(2, 0)],
                             index=["p", "q", "r"], crs="EPSG:32650")   # 1 m apart
    with pytest.raises(InvalidWeightsError, match=r"overflow to inf \(distances below 1 km\)"):
        build(close, "inverse_distance", power=200)
    # a moderate power on the same points is fine (no over/underflow)
    assert build(close, "inverse_distance", power=2).sparse.nnz == 6


def test_links_added_to_islands_are_checked_too(points):
    # within 35 km only a-b are linked; c, d, e are islands; the knn links of the islands
    # are 40-60 km long and d**-250 underflows for them.
    with pytest.raises(InvalidWeightsError, match=r"d\*\*-250"):
        build(points, "distance_band", threshold_km=35, binary=False, power=250,
              islands="knn")


# ------------------------------------------------------------------- bad cases 8 and 9
@pytest.fixture(scope="module")
def guangdong():
    from spatialflow.datasets import load_guangdong_counties
    from spatialflow.datasets.synthetic import synthetic_panel
    layer = load_guangdong_counties()
    w = build(layer, kind="queen", islands="knn")
    return layer, w, synthetic_panel(layer, w, years=range(2019, 2022), seed=3)


def _report(panel, layer, w, **options):
    from spatialflow import report
    return report.build(panel, layer, w, indicators=report.DEFAULT_INDICATORS,
                        group="region", core="PRD", figures=False,
                        **{"n_draws": 20, "permutations": 9, **options})


def test_report_refuses_a_unit_whose_region_differs_between_panel_and_layer(guangdong):
    layer, w, panel = guangdong
    moved = panel.copy()
    moved.loc[moved["code"] == "440103", "region"] = "East"
    before, layer_before = moved.copy(), layer.copy()
    with pytest.raises(GroupConflictError,
                       match=r"disagree for 1 unit\(s\) \(code \['440103'\]: '440103': layer "
                             r"'PRD', panel 'East'\)"):
        _report(moved, layer, w)
    pd.testing.assert_frame_equal(moved, before)
    pd.testing.assert_frame_equal(layer, layer_before)


def test_report_refuses_a_unit_changing_region_across_years(guangdong):
    layer, w, panel = guangdong
    changing = panel.copy()
    changing.loc[(changing["code"] == "440103") & (changing["year"] == 2021), "region"] = "East"
    with pytest.raises(GroupConflictError,
                       match=r"changes over time for unit\(s\) \['440103'\] \('440103': "
                             r"\['East', 'PRD'\]\)"):
        _report(changing, layer, w)
    # also when only the panel has the column
    with pytest.raises(GroupConflictError, match="changes over time"):
        _report(changing, layer.drop(columns="region"), w)


def test_report_names_the_period_without_the_core(guangdong):
    layer, w, panel = guangdong
    core = layer.index[layer["region"] == "PRD"]
    gap = panel[~((panel["year"] == 2020) & panel["code"].isin(core))]
    with pytest.raises(EmptyInputError, match=r"core group 'PRD' of 'region' has no rows in "
                                              r"period\(s\) \[2020\] of 'year'"):
        _report(gap, layer, w)


@pytest.mark.parametrize("option, value, error, match", [
    ("permutations", -1, InputError, r"permutations must be an integer >= 0; -1"),
    ("permutations", 9.5, InputError, r"permutations must be an integer >= 0; 9.5"),
    ("seed", -1, SeedError, r"seed must be a non-negative integer; -1"),
    ("seed", 1.5, SeedError, r"seed must be a non-negative integer; 1.5"),
    ("n_draws", 2.7, InputError, r"n_draws must be an integer >= 2; 2.7"),
])
def test_report_checks_its_simulation_options(guangdong, option, value, error, match):
    layer, w, panel = guangdong
    with pytest.raises(error, match=match):
        _report(panel, layer, w, **{option: value})


def test_simulation_seeds_are_checked(lattice):
    _, w = lattice
    beta = {"Intercept": 1.0, "x": 1.0}
    with pytest.raises(SeedError, match=r"seed must be a non-negative integer or a numpy"):
        simulate("SAR", w, beta=beta, rho=0.3, seed=-1)
    with pytest.raises(SeedError, match=r"1.5 \(float\)"):
        Simulator("SAR", w, beta=beta, rho=0.3, seed=1.5)
    sim = Simulator("SAR", w, beta=beta, rho=0.3, seed=0)
    with pytest.raises(SeedError, match=r"-2 \(int\)"):
        sim.draw(seed=-2)
    with pytest.raises(SeedError, match=r"-3 \(int\)"):
        sim.draws(5, seed=-3)                 # at the call, not at the first next()
    with pytest.raises(InputError, match=r"n_draws must be an integer >= 1; 2.7"):
        sim.draws(2.7)
    assert len(list(sim.draws(2, seed=4))) == 2


def test_effects_and_scenario_seeds_are_checked(lattice):
    df, w = lattice
    res = sf.SDM.from_formula("y ~ x", data=df, w=w).fit()
    with pytest.raises(SeedError, match=r"seed must be a non-negative integer or None; -1"):
        res.effects(seed=-1)
    with pytest.raises(SeedError, match=r"-1 \(int\)"):
        res.scenario(pd.DataFrame({"x": [1.0]}, index=[0]), seed=-1)


# ------------------------------------------------------------------- weak cases
def test_too_many_draws_raise_insufficient_memory(lattice, monkeypatch):
    monkeypatch.setenv("SPATIALFLOW_MEMORY_LIMIT", str(2**30))   # 1 GiB, whatever the host
    df, w = lattice
    res = sf.SDM.from_formula("y ~ x", data=df, w=w).fit()
    with pytest.raises(InsufficientMemoryError,
                       match=r"effects' distribution with n_draws=1,000,000,000 needs about"):
        res.effects(n_draws=10**9)
    with pytest.raises(InsufficientMemoryError, match=r"scenario with n_draws=1,000,000,000"):
        res.scenario(pd.DataFrame({"x": [1.0]}, index=[0]), n_draws=10**9)
    assert res.effects(n_draws=200).shape[0] == 1     # an ordinary request still runs


@pytest.mark.parametrize("level, match", [
    ("95%", r"level must be in \(0, 1\), a number such as 0.95; '95%' \(str\)"),
    (95, r"95 \(int\) was given \(for 95% write 0.95\)"),
    (True, r"True \(bool\)"),
])
def test_confidence_level_must_be_a_fraction(lattice, level, match):
    df, w = lattice
    res = sf.SDM.from_formula("y ~ x", data=df, w=w).fit()
    for call in (lambda: res.conf_int(level=level), lambda: res.tidy(level=level),
                 lambda: res.effects(n_draws=20, level=level)):
        with pytest.raises(InputError, match=match):
            call()


# ------------------------------------------------------------------- issue 21, item 4
@pytest.mark.filterwarnings("ignore::spatialflow.exceptions.MissingValueWarning")
def test_dropping_all_neighbours_of_a_unit_warns_and_names_it(guangdong):
    layer, w, panel = guangdong
    neighbours = list(w.neighbors["440513"])     # Chaoyang: all five get a missing value
    df = panel.query("year == 2021").set_index("code")
    df.loc[neighbours, "labour_flow"] = np.nan
    before = df.copy()
    with pytest.warns(DroppedNeighboursWarning,
                      match=r"left 1 unit\(s\) without neighbours: \['440513'\].*"
                            r"spatialflow.weights.build\(layer.loc\[kept\]"):
        res = sf.SDM.from_formula("tfp ~ labour_flow", data=df, w=w, missing="drop").fit()
    pd.testing.assert_frame_equal(df, before)
    assert issubclass(DroppedNeighboursWarning, IslandWarning)   # existing filters hold
    row = res.ids.get_loc("440513")
    assert res.W[row].nnz == 0
    # the route the warning points at links Chaoyang (islands="knn")
    rebuilt = build(layer.loc[res.ids], kind="queen", islands="knn")
    assert as_sparse(rebuilt, res.ids)[row].nnz == 1


def test_pipeline_and_api_routes_give_the_same_weights_and_fit(guangdong, tmp_path):
    from spatialflow.pipeline import make_config, plan
    layer, w, panel = guangdong
    neighbours = list(w.neighbors["440513"])
    data = panel.drop(columns=["region", "core"]).copy()
    data.loc[data["code"].isin(neighbours) & (data["year"] == 2020), "labour_flow"] = np.nan
    data.to_csv(tmp_path / "p.csv", index=False)
    config = make_config({
        "data": {"path": "p.csv", "synthetic": True, "missing": "drop-units"},
        "models": {"outcomes": ["tfp"], "kinds": ["SAR"], "regressors": ["labour_flow"]},
        "output": {"folder": str(tmp_path / "o")}}, base=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        p = plan(config)
    (label, (_, _, wname, model)), = p.models.items()
    kept = pd.Index(sorted(p.inputs.layer.index))
    assert "440513" in kept and not kept.isin(neighbours).any()

    # the documented API route: weights built on the kept units, fit on their rows
    w_api = build(layer.loc[kept], kind="queen", islands="knn")
    pipeline_W = as_sparse(p.weights[wname], kept)
    api_W = as_sparse(w_api, kept)
    assert (pipeline_W != api_W).nnz == 0
    rows = panel[panel["code"].isin(kept)].drop(columns=["region", "core"])
    api = sf.SAR.from_formula("tfp ~ labour_flow", data=rows, w=w_api, id="code",
                              time="year", effects="twoway").fit()
    ours = model.fit()
    np.testing.assert_allclose(ours.params[api.params.index], api.params, rtol=1e-10)
    np.testing.assert_allclose(ours.bse[api.params.index], api.bse, rtol=1e-10)


# ----------------------------------------- found by the property layer (test_properties.py)
def test_values_beyond_the_magnitude_limit_are_refused(lattice, guangdong):
    df, w = lattice
    big = df.assign(x=df["x"].where(df.index != 5, 1e300))
    before = big.copy()
    with pytest.raises(InputError, match=r"column\(s\) \['x'\] hold values beyond \+-1e\+100 "
                                         r"\(up to 1e\+300\) at \[5\]"):
        sf.SAR.from_formula("y ~ x", data=big, w=w)
    pd.testing.assert_frame_equal(big, before)
    layer, w_gd, panel = guangdong
    huge = panel.assign(tfp=panel["tfp"].where(panel.index != 0, -1e300))
    with pytest.raises(InputError, match=r"\['tfp'\] of the panel hold values beyond"):
        _report(huge, layer, w_gd)


def test_a_model_needs_more_observations_than_parameters(lattice):
    df, w = lattice
    small = df.iloc[:4]
    w4 = libpysal.weights.lat2W(2, 2)
    w4.transform = "r"
    with pytest.raises(InputError, match=r"the GNS has 3 regressors and 2 spatial parameter\(s\)"
                                         r" but only 4 observations; it needs n > k \+ 2"):
        sf.GNS.from_formula("y ~ x", data=small.set_axis(w4.id_order), w=w4).fit()


def test_weights_of_a_single_unit_without_neighbours(lattice):
    df, _ = lattice
    one = df.iloc[:1]
    lone = libpysal.weights.lat2W(1, 1)          # libpysal gives a 0 x 0 sparse matrix
    with pytest.raises(sf.exceptions.ConstantResponseError):
        sf.SAR.from_formula("y ~ x", data=one, w=lone)
    assert as_sparse(lone, [0]).shape == (1, 1)


def test_a_formula_transform_giving_nan_is_named_without_runtime_warnings(lattice):
    df, w = lattice
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(sf.exceptions.MissingDataError,
                           match=r"non-finite values \(NaN or inf\) in columns \['np.log\(x\)'\]"):
            sf.SAR.from_formula("y ~ np.log(x)", data=df, w=w)


def test_report_with_a_constant_indicator_has_no_zero_division(guangdong):
    layer, w, panel = guangdong
    flat = panel.assign(income_gap=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        rep = _report(flat, layer, w)
    assert "deficits" in rep.tables


def test_subnormal_values_are_refused(lattice, guangdong):
    df, w = lattice
    with pytest.raises(InputError, match=r"\['x'\] hold values non-zero and below 1e-100 in "
                                         r"size \(down to 4.94e-324\) at \[3\]"):
        sf.SAR.from_formula("y ~ x", data=df.assign(x=df["x"].where(df.index != 3, 5e-324)),
                            w=w)
    layer, w_gd, panel = guangdong
    with pytest.raises(InputError, match=r"\['land_flow'\] of the panel hold values non-zero"):
        _report(panel.assign(land_flow=panel["land_flow"].where(panel.index != 0, 5e-324)),
                layer, w_gd)


def test_economic_weights_that_overflow_are_refused():
    frame = pd.DataFrame({"v": [0.0, 5e-324, 1.0]}, index=["a", "b", "c"])
    with pytest.raises(InvalidWeightsError, match=r"overflow \(are infinite\) for 1 pair\(s\) "
                                                  r"whose 'v' differ .*\[\('a', 'b'\)\]"):
        build(frame, "economic", column="v")


def test_coordinates_outside_their_crs_are_refused():
    # metres labelled as degrees: projecting gives inf, which scipy refused naming nothing
    frame = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000), box(0, 3000, 1000, 4000)],
                             index=["a", "b"], crs="EPSG:4326")
    with pytest.raises(sf.exceptions.GeometryError,
                       match=r"centroids of unit\(s\) \['a', 'b'\] are not finite"):
        build(frame, "queen", islands="knn")
    with pytest.raises(sf.exceptions.GeometryError, match="are not finite"):
        build(frame, "knn", k=1, project=True)
