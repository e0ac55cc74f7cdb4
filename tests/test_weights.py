"""spatialflow.weights.build on small hand-checkable frames, values checked by hand.

Frames: a 3 x 3 grid of 1 km squares (UTM 50N, metres) labelled a..i row by row from the
bottom-left; points on a line at x = 0, 1, 3, 6 km. Reference values are written out from
the definitions (queen/rook counts, 1/d, 1/|dy|), not produced by the code under test.
"""
from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal.graph import Graph
from libpysal.weights import Queen, Rook
from shapely.geometry import Point, Polygon, box

from spatialflow.datasets import load_guangdong_counties
from spatialflow.exceptions import (
    CRSError,
    DuplicateIdError,
    EmptyInputError,
    GeometryError,
    IdMismatchError,
    InputError,
    IslandError,
    IslandWarning,
    MissingDataError,
    WeightsKindError,
)
from spatialflow.weights import (
    KINDS,
    as_sparse,
    build,
    describe,
    distance_matrix_km,
    weights_ids,
)

EXACT = 1e-12  # rtol for sums and quotients of a handful of floats
UTM50 = "EPSG:32650"


@pytest.fixture
def grid():
    squares = [box(x * 1000, y * 1000, (x + 1) * 1000, (y + 1) * 1000)
               for y in range(3) for x in range(3)]
    return gpd.GeoDataFrame({"y": [1.0, 2, 4, 8, 16, 32, 64, 128, 256]},
                            geometry=squares, index=list("abcdefghi"), crs=UTM50)


@pytest.fixture
def line():
    xs = [0.0, 1.0, 3.0, 6.0]  # km
    return gpd.GeoDataFrame({"y": [1.0, 2.0, 4.0, 8.0]},
                            geometry=[Point(x * 1000, 5e6) for x in xs],
                            index=pd.Index(["p0", "p1", "p3", "p6"], name="id"), crs=UTM50)


def dense(graph):
    return as_sparse(graph, weights_ids(graph)).toarray()


def neighbours(graph, uid):
    return sorted(graph.neighbors[uid])


# --- contiguity --------------------------------------------------------------------------

def test_queen_grid_values(grid):
    w = build(grid, "queen")
    assert neighbours(w, "e") == list("abcdfghi")
    np.testing.assert_allclose(dense(w)[4, [0, 1, 2, 3, 5, 6, 7, 8]], 1 / 8, rtol=EXACT)
    assert neighbours(w, "a") == ["b", "d", "e"]
    np.testing.assert_allclose(dense(w)[0, [1, 3, 4]], 1 / 3, rtol=EXACT)
    np.testing.assert_allclose(dense(w).sum(axis=1), 1.0, rtol=EXACT)
    assert list(weights_ids(w)) == list("abcdefghi")


def test_rook_grid_values(grid):
    w = build(grid, "rook")
    assert neighbours(w, "e") == ["b", "d", "f", "h"]
    np.testing.assert_allclose(dense(w)[4, [1, 3, 5, 7]], 1 / 4, rtol=EXACT)
    assert neighbours(w, "a") == ["b", "d"]


def test_transform_options(grid):
    raw = dense(build(grid, "queen", transform=None))
    binary = dense(build(grid, "queen", transform="b"))
    assert set(np.unique(raw)) == {0.0, 1.0}
    np.testing.assert_array_equal(raw, binary)
    assert raw.sum() == 40  # 4 corners x 3 + 4 edges x 5 + centre x 8
    np.testing.assert_array_equal(raw, raw.T)


def test_describe_grid(grid):
    d = describe(build(grid, "queen"))
    assert (d.n, d.n_links, d.islands, d.n_components) == (9, 40, (), 1)
    assert (d.neighbours_min, d.neighbours_median, d.neighbours_max) == (3, 5.0, 8)
    np.testing.assert_allclose(d.neighbours_mean, 40 / 9, rtol=EXACT)
    assert d.symmetric and d.asymmetric_share == 0.0 and d.transform == "R"
    assert d.to_series()["n_links"] == 40


@pytest.mark.parametrize("rook", [False, True])
def test_contiguity_matches_libpysal_on_guangdong(rook):
    gd = load_guangdong_counties()
    shuffled = gd.sample(frac=1.0, random_state=0)  # order must not matter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IslandWarning)
        ours = build(shuffled, "rook" if rook else "queen", islands="keep")
    reference = Graph.build_contiguity(gd.geometry, rook=rook)
    assert {k: set(v) for k, v in ours.neighbors.items()} == \
        {k: set(v) for k, v in reference.neighbors.items()}
    assert list(weights_ids(ours)) == list(shuffled.index)


def test_queen_shared_corner_only_is_neighbour_rook_is_not():
    two = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 1, 2, 2)], index=[10, 20],
                           crs=UTM50)
    assert neighbours(build(two, "queen"), 10) == [20]
    with pytest.raises(IslandError, match="2 unit\\(s\\) have no neighbours.*10.*20"):
        build(two, "rook")


def test_enclave_and_multipolygon_contiguity():
    """An enclave touches the hole of its host; a two-part unit touches via either part."""
    host = Polygon(box(0, 0, 3, 3).exterior.coords, [box(1, 1, 2, 2).exterior.coords])
    enclave = box(1, 1, 2, 2)
    split = shapely.MultiPolygon([box(3, 0, 4, 1), box(10, 0, 11, 1)])
    far = box(11, 0, 12, 1)
    frame = gpd.GeoDataFrame(geometry=[host, enclave, split, far],
                             index=["host", "enclave", "split", "far"], crs=UTM50)
    w = build(frame, "rook")
    assert neighbours(w, "enclave") == ["host"]
    # split meets host at the vertex (3, 0) only: host has no vertex at (3, 1), and
    # contiguity compares vertices (libpysal's rule), so queen links them and rook does not
    assert neighbours(w, "split") == ["far"]
    assert neighbours(build(frame, "queen"), "split") == ["far", "host"]
    for kind, legacy in (("queen", Queen), ("rook", Rook)):
        reference = legacy.from_dataframe(frame, use_index=True, silence_warnings=True)
        assert {k: set(v) for k, v in build(frame, kind).neighbors.items()} == \
            {k: set(v) for k, v in reference.neighbors.items()}


# --- islands -------------------------------------------------------------------------------

def test_island_policies_on_guangdong():
    gd = load_guangdong_counties()
    with pytest.raises(IslandError, match="'440523' \\(南澳县 / Nan'ao County\\).*islands='knn'"):
        build(gd, "queen")
    with pytest.warns(IslandWarning, match="440523"):
        kept = build(gd, "queen", islands="keep")
    assert len(kept.neighbors["440523"]) == 0
    linked = build(gd, "queen", islands="knn", k_islands=2, transform=None)
    near = neighbours(linked, "440523")
    assert len(near) == 2
    for other in near:  # symmetric links
        assert "440523" in linked.neighbors[other]
    assert describe(linked).symmetric and describe(linked).n_components == 1


def test_distance_band_island_knn_uses_distance_weight(line):
    with pytest.raises(IslandError, match="'p6'"):
        build(line, "distance_band", threshold_km=2)
    w = build(line, "distance_band", threshold_km=2, binary=False, islands="knn",
              transform=None)
    m = dense(w)
    np.testing.assert_allclose(m[3, 2], 1 / 3, rtol=EXACT)  # p6 -> p3, 3 km
    np.testing.assert_allclose(m[2, 3], 1 / 3, rtol=EXACT)
    np.testing.assert_allclose(m[0, 1], 1.0, rtol=EXACT)
    np.testing.assert_allclose(m[1, 2], 1 / 2, rtol=EXACT)
    assert m[0, 2] == 0.0  # 3 km > threshold


# --- distance kinds -------------------------------------------------------------------------

def test_knn_line(line):
    w = build(line, "knn", k=1, transform=None)
    assert [neighbours(w, u) for u in line.index] == [["p1"], ["p0"], ["p1"], ["p3"]]
    d = describe(w)
    assert not d.symmetric and d.asymmetric_share == 0.5  # p3->p1, p6->p3 lack reverses
    w2 = build(line, "knn", k=2)
    np.testing.assert_allclose(dense(w2)[3], [0, 0.5, 0.5, 0], rtol=EXACT)  # 5 and 3 km
    assert neighbours(w2, "p6") == ["p1", "p3"]


def test_inverse_distance_values(line):
    d = np.array([[0, 1, 3, 6], [1, 0, 2, 5], [3, 2, 0, 3], [6, 5, 3, 0]], dtype=float)
    with np.errstate(divide="ignore"):
        inv = np.where(d > 0, 1 / d, 0.0)
    raw = dense(build(line, "inverse_distance", transform=None))
    np.testing.assert_allclose(raw, inv, rtol=EXACT)
    row = dense(build(line, "inverse_distance"))
    np.testing.assert_allclose(row, inv / inv.sum(axis=1, keepdims=True), rtol=EXACT)
    sq = dense(build(line, "inverse_distance", power=2, transform=None))
    np.testing.assert_allclose(sq, inv**2, rtol=EXACT)
    banded = dense(build(line, "inverse_distance", threshold_km=3, transform=None))
    np.testing.assert_allclose(banded, np.where(d <= 3, inv, 0.0), rtol=EXACT)


def test_distance_band_binary(line):
    w = build(line, "distance_band", threshold_km=3.0, transform=None)
    assert neighbours(w, "p0") == ["p1", "p3"]  # 3 km is inside (inclusive)
    assert neighbours(w, "p6") == ["p3"]


def test_polygon_centroids_in_km(grid):
    raw = dense(build(grid, "inverse_distance", transform=None))
    np.testing.assert_allclose(raw[0, 1], 1.0, rtol=EXACT)  # centres 1 km apart
    np.testing.assert_allclose(raw[0, 8], 1 / np.sqrt(8), rtol=EXACT)


def test_geographic_crs_needs_projection(line):
    geo = line.to_crs(4326)
    with pytest.raises(CRSError, match="projected.*project=True"):
        build(geo, "inverse_distance")
    with pytest.raises(CRSError, match="no CRS"):
        build(line.set_crs(None, allow_override=True), "knn", k=1)
    projected = dense(build(geo, "inverse_distance", project=UTM50, transform=None))
    np.testing.assert_allclose(projected, dense(build(line, "inverse_distance",
                                                      transform=None)), rtol=1e-6)
    albers = dense(build(geo, "inverse_distance", project=True, transform=None))
    np.testing.assert_allclose(albers[0, 1], 1.0, rtol=0.01)  # 1 km, Albers far from UTM50's area


# --- economic, nested, flow ---------------------------------------------------------------

def test_economic_values(line):
    y = line["y"].to_numpy()
    diff = np.abs(y[:, None] - y[None, :])
    with np.errstate(divide="ignore"):
        expected = np.where(diff > 0, 1 / diff, 0.0)
    plain = pd.DataFrame(line.drop(columns="geometry"))
    raw = dense(build(plain, "economic", column="y", transform=None))
    np.testing.assert_allclose(raw, expected, rtol=EXACT)
    np.testing.assert_allclose(raw[0, 1], 1.0, rtol=EXACT)
    np.testing.assert_allclose(raw[0, 3], 1 / 7, rtol=EXACT)
    eps = dense(build(plain, "economic", column="y", epsilon=0.5, transform=None))
    np.testing.assert_allclose(eps[0, 1], 1 / 1.5, rtol=EXACT)


def test_economic_ties_raise_or_use_epsilon(line):
    tied = line.assign(y=[1.0, 1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="equal 'y'.*\\('p0', 'p1'\\).*epsilon"):
        build(tied, "economic", column="y")
    w = dense(build(tied, "economic", column="y", epsilon=1.0, transform=None))
    np.testing.assert_allclose(w[0, 1], 1.0, rtol=EXACT)


def test_nested_is_phi_mix_of_row_standardised_parts(line):
    phi = 0.3
    wd = dense(build(line, "inverse_distance", power=2))
    we = dense(build(line, "economic", column="y"))
    nested = dense(build(line, "nested", phi=phi, column="y", power=2, transform=None))
    np.testing.assert_allclose(nested, phi * wd + (1 - phi) * we, rtol=EXACT)
    np.testing.assert_allclose(nested.sum(axis=1), 1.0, rtol=EXACT)


def test_nested_with_contiguity_component(grid):
    wq = dense(build(grid, "queen"))
    we = dense(build(grid, "economic", column="y"))
    nested = dense(build(grid, "nested", phi=0.6, column="y", geo="queen"))
    np.testing.assert_allclose(nested, 0.6 * wq + 0.4 * we, rtol=EXACT)
    with pytest.raises(WeightsKindError, match="geographic kind.*'economic'"):
        build(grid, "nested", phi=0.5, column="y", geo="economic")
    with pytest.raises(InputError, match="phi in \\[0, 1\\].*1.5"):
        build(grid, "nested", phi=1.5, column="y")


@pytest.fixture
def flows():
    return pd.DataFrame({"origin": ["p0", "p3", "p1", "p6"],
                         "destination": ["p1", "p1", "p0", "p3"],
                         "flow": [10.0, 5.0, 2.0, 4.0]})


def test_flow_direction(line, flows):
    with pytest.warns(IslandWarning, match="'p6'"):  # nothing flows into p6
        w_in = dense(build(line, "flow", flows=flows, islands="keep", transform=None))
    # row = destination: w[p1, p0] = flow p0 -> p1
    assert w_in[1, 0] == 10.0 and w_in[1, 2] == 5.0 and w_in[0, 1] == 2.0 and w_in[2, 3] == 4.0
    assert w_in.sum() == 21.0
    # every unit sends something, so "out" has no islands
    w_out = dense(build(line, "flow", flows=flows, direction="out", transform=None))
    np.testing.assert_array_equal(w_out, w_in.T)
    with pytest.raises(IslandError, match="'p6'"):
        build(line, "flow", flows=flows)


def test_flow_errors(line, flows):
    bad = pd.concat([flows, pd.DataFrame({"origin": ["zz"], "destination": ["p0"],
                                          "flow": [1.0]})], ignore_index=True)
    with pytest.raises(IdMismatchError, match="not in the frame's index.*'zz'"):
        build(line, "flow", flows=bad)
    with pytest.raises(DuplicateIdError, match="repeats.*'p0', 'p1'"):
        build(line, "flow", flows=pd.concat([flows, flows.iloc[:1]]))
    with pytest.raises(InputError, match="lacks column.*'flow'"):
        build(line, "flow", flows=flows.rename(columns={"flow": "amount"}))
    with pytest.raises(InputError, match="non-negative.*rows \\[0\\]"):
        build(line, "flow", flows=flows.assign(flow=[-1.0, 5, 2, 4]))
    with pytest.raises(InputError, match="to itself"):
        build(line, "flow", flows=flows.assign(destination=["p0", "p1", "p0", "p3"]))
    with pytest.raises(MissingDataError, match="NaN.*rows \\[2\\]"):
        build(line, "flow", flows=flows.assign(flow=[1.0, 5, np.nan, 4]))
    with pytest.raises(InputError, match="islands='knn' is not defined for flow"):
        build(line, "flow", flows=flows, islands="knn")


# --- bad input ------------------------------------------------------------------------------

def test_unknown_kind(grid):
    with pytest.raises(WeightsKindError, match="one of \\['queen', 'rook'.*'flow'\\]; 'queeen'"):
        build(grid, "queeen")
    assert KINDS == ("queen", "rook", "knn", "distance_band", "inverse_distance", "economic",
                     "nested", "flow")


def test_options_are_checked(grid):
    with pytest.raises(InputError, match="\\['k'\\] do not apply to kind='queen'"):
        build(grid, "queen", k=3)
    with pytest.raises(InputError, match="needs the option\\(s\\) \\['k'\\]"):
        build(grid, "knn")
    with pytest.raises(InputError, match="transform must be one of.*'x'"):
        build(grid, "queen", transform="x")
    with pytest.raises(InputError, match="islands must be one of.*'drop'"):
        build(grid, "queen", islands="drop")
    with pytest.raises(InputError, match="threshold_km must be a positive.*-1"):
        build(grid, "distance_band", threshold_km=-1)
    with pytest.raises(InputError, match="power must be a positive.*0"):
        build(grid, "inverse_distance", power=0)


def test_duplicate_ids(grid):
    dup = grid.rename(index={"b": "a"})
    with pytest.raises(DuplicateIdError, match="duplicated ids: \\['a'\\]"):
        build(dup, "queen")


def test_empty_frame(grid):
    with pytest.raises(EmptyInputError, match="no rows"):
        build(grid.iloc[:0], "queen")


def test_not_a_geodataframe(grid):
    with pytest.raises(InputError, match="needs a GeoDataFrame.*DataFrame was given"):
        build(pd.DataFrame(grid.drop(columns="geometry")), "queen")


@pytest.mark.parametrize("k", [4, 5, 0, 1.5])
def test_knn_k_out_of_range(line, k):
    with pytest.raises(InputError, match=f"1 <= k < n \\(n = 4 units\\); k={k!r}"):
        build(line, "knn", k=k)


def test_invalid_missing_and_empty_geometries(grid):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    bad = grid.copy()
    bad.loc["c", "geometry"] = bowtie
    bad.loc["e", "geometry"] = None
    bad.loc["g", "geometry"] = Polygon()
    with pytest.raises(GeometryError, match=r"missing \(None\): \['e'\]; empty: \['g'\]; "
                                            r"invalid: \['c'\].*make_valid"):
        build(bad, "queen")
    with pytest.raises(GeometryError, match="missing"):
        build(bad, "inverse_distance")


def test_points_for_contiguity(line):
    with pytest.raises(GeometryError, match="Polygon or MultiPolygon.*'p0'"):
        build(line, "queen")


def test_coincident_centroids(line):
    twin = line.copy()
    twin.loc["p1", "geometry"] = Point(0, 5e6)
    with pytest.raises(GeometryError, match="distinct centroids.*'p0', 'p1'"):
        build(twin, "inverse_distance")


def test_economic_column_errors(line):
    with pytest.raises(InputError, match="'gdp' is not in the frame"):
        build(line, "economic", column="gdp")
    with pytest.raises(InputError, match="'s' must be numeric"):
        build(line.assign(s=list("abcd")), "economic", column="s")
    with pytest.raises(MissingDataError, match="NaN or infinite.*\\['p3'\\]"):
        build(line.assign(y=[1.0, 2.0, np.nan, 4.0]), "economic", column="y")


@pytest.mark.parametrize(
    "kind, options",
    [
        ("queen", {}), ("rook", {}), ("knn", {"k": 2}), ("distance_band", {"threshold_km": 1.5}),
        ("inverse_distance", {"power": 2}), ("economic", {"column": "y"}),
        ("nested", {"phi": 0.5, "column": "y"}),
        ("flow", {"flows": pd.DataFrame({"origin": list("abcdefghi"),
                                         "destination": list("bcdefghia"),
                                         "flow": np.arange(1.0, 10.0)})}),
    ],
)
def test_inputs_are_not_modified(grid, kind, options):
    before = grid.copy()
    before_opts = {k: (v.copy() if hasattr(v, "copy") else v) for k, v in options.items()}
    w = build(grid, kind, **options)
    pd.testing.assert_frame_equal(pd.DataFrame(grid.drop(columns="geometry")),
                                  pd.DataFrame(before.drop(columns="geometry")))
    assert grid.geometry.geom_equals_exact(before.geometry, tolerance=0).all()
    assert grid.crs == before.crs
    for key, val in options.items():
        if isinstance(val, pd.DataFrame):
            pd.testing.assert_frame_equal(val, before_opts[key])
    assert list(weights_ids(w)) == list("abcdefghi")
    np.testing.assert_allclose(dense(w).sum(axis=1), 1.0, rtol=EXACT)


def test_describe_legacy_w(grid):
    w = build(grid, "rook").to_W()
    d = describe(w)
    assert (d.n, d.n_links, d.neighbours_max) == (9, 24, 4)


def test_transform_is_case_insensitive_and_round_trips_describe(grid):
    # QA: describe() reports "R" but build(transform="R") was rejected.
    lower = dense(build(grid, "queen", transform="r"))
    for code in ("R", " r ", describe(build(grid, "queen")).transform):
        np.testing.assert_allclose(dense(build(grid, "queen", transform=code)), lower,
                                   rtol=EXACT)
    binary = dense(build(grid, "queen", transform="B"))
    assert binary[4].sum() == 8.0
    raw = dense(build(grid, "inverse_distance", transform=None))
    np.testing.assert_allclose(dense(build(grid, "inverse_distance", transform="O")), raw,
                               rtol=EXACT)
    with pytest.raises(InputError, match=r"transform must be one of .*'X' was given"):
        build(grid, "queen", transform="X")


def test_distance_matrix_km_needs_explicit_projection_like_build(line):
    geo = line.to_crs(4326)
    with pytest.raises(CRSError, match="projected.*project=True"):
        distance_matrix_km(geo)
    with pytest.raises(CRSError, match="projected.*project=True"):
        build(geo, "inverse_distance")
    d = distance_matrix_km(geo, project=UTM50)
    np.testing.assert_allclose(d.loc["p0", "p6"], 6.0, rtol=1e-6)  # back in UTM50: exact km
    np.testing.assert_allclose(distance_matrix_km(line).to_numpy(), d.to_numpy(), rtol=1e-6)


# ---- hostile options (issue 11) -------------------------------------------------------------

@pytest.mark.parametrize("k_islands", [0, "1", 1.5, True])
def test_k_islands_is_checked_even_without_islands(grid, k_islands):
    # QA: k_islands=0, "1" and 1.5 were accepted when no unit happened to be an island.
    with pytest.raises(InputError, match=r"k_islands must be an integer >= 1"):
        build(grid, "queen", k_islands=k_islands)


@pytest.mark.parametrize("binary", ["no", 0, None])
def test_binary_must_be_a_bool(line, binary):
    # QA: binary="no" is truthy and silently gave binary weights.
    with pytest.raises(InputError, match=r"binary must be True or False"):
        build(line, "distance_band", threshold_km=2, binary=binary)


def test_single_unit_is_refused(grid):
    with pytest.raises(InputError, match=r"1 row \(id 'a'\); kind='queen' needs at least 2 units"):
        build(grid.iloc[:1], "queen", islands="keep")


def test_multiindex_ids_are_kept_as_tuples(grid):
    w = build(grid.set_index([grid.index, grid.index.str.upper()]), "queen")
    assert list(w.unique_ids[:2]) == [("a", "A"), ("b", "B")]


def test_distance_matrix_km_checks_its_frame(line):
    with pytest.raises(InputError, match=r"distance_matrix_km needs a GeoDataFrame"):
        distance_matrix_km(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(EmptyInputError, match=r"no rows; distance_matrix_km needs at least 2"):
        distance_matrix_km(line.iloc[:0])
    with pytest.raises(GeometryError, match=r"distance_matrix_km needs a valid.*'p1'"):
        distance_matrix_km(line.set_geometry([Point(0, 0), None, Point(1, 1), Point(2, 2)],
                                             crs=UTM50))


def test_describe_and_as_sparse_refuse_nonsense(grid):
    w = build(grid, "queen")
    with pytest.raises(EmptyInputError, match=r"the weights have no units"):
        describe(w.subgraph([]))
    with pytest.raises(InputError, match=r"ids must be a sequence or Index of unit ids.*"
                                         r"str 'abcdefghi'"):
        as_sparse(w, "abcdefghi")


def test_flow_table_with_missing_ids_names_the_rows(line):
    flows = pd.DataFrame({"origin": ["p0", None], "destination": ["p1", "p3"],
                          "flow": [1.0, 2.0]}, index=[10, 11])
    with pytest.raises(MissingDataError, match=r"missing origin or destination ids in rows "
                                               r"\[11\]"):
        build(line, "flow", flows=flows, islands="keep")


def test_complex_columns_are_refused(line):
    with pytest.raises(InputError, match=r"column 'y' must be numeric; its dtype is complex128"):
        build(line.assign(y=line["y"] + 0j), "economic", column="y")
