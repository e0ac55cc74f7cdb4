"""Weights values a model cannot use: self-loops, negative weights, NaN/inf weights.

They are refused in the one alignment path (``weights.as_sparse``) that models and measures
use, and reported by ``describe()``. Hand-built 3-unit and Columbus (R spatialreg reference
data, see tests/reference/columbus) weights; values written out from the definitions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from libpysal.graph import Graph
from libpysal.weights import W

import spatialflow as sf
from spatialflow.exceptions import InvalidWeightsError, IslandWarning, MissingDataError
from spatialflow.measures import moran_by_period
from spatialflow.weights import as_sparse, describe
from spatialflow.weights.align import check_weights_values

EXACT = 1e-12  # rtol for values copied through sparse conversions

IDS = ["a", "b", "c"]


def _graph(dense) -> Graph:
    return Graph.from_sparse(sp.csr_matrix(np.asarray(dense, dtype=float)), ids=np.array(IDS))


CHAIN = [[0, 1, 0], [1, 0, 1], [0, 1, 0]]  # a - b - c


def test_self_loops_refused_naming_units_and_reported_by_describe():
    g = _graph([[0.5, 1, 0], [1, 0, 1], [0, 1, 2.0]])
    with pytest.raises(InvalidWeightsError, match=r"2 self-loop\(s\).*units \['a', 'c'\]"):
        as_sparse(g, IDS)
    d = describe(g)
    assert d.n_self_loops == 2
    assert d.self_loops == ("a", "c")
    assert d.n_links == 4  # the diagonal is not a link
    assert d.neighbours_min == 1


def test_self_loops_accepted_behind_the_option():
    g = _graph([[0.5, 1, 0], [1, 0, 1], [0, 1, 2.0]])
    m = as_sparse(g, ["c", "b", "a"], allow_self_loops=True)
    np.testing.assert_allclose(m.diagonal(), [2.0, 0.0, 0.5], rtol=EXACT)


def test_libpysal_zero_self_link_of_an_island_is_not_a_self_loop():
    # libpysal's Graph stores an island as an explicit zero-weight self-link.
    g = _graph([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    assert ("c", "c") in set(zip(g.adjacency.index.get_level_values(0),
                                  g.adjacency.index.get_level_values(1)))
    m = as_sparse(g, IDS)
    assert m.nnz == 2
    d = describe(g)
    assert d.n_self_loops == 0 and d.self_loops == ()
    assert d.islands == ("c",)


def test_assign_self_weight_zero_is_accepted():
    g = _graph(CHAIN).assign_self_weight(0)
    assert as_sparse(g, IDS).nnz == 4


def test_negative_weights_refused_naming_pairs():
    g = _graph([[0, -1, 0], [1, 0, 1], [0, -2, 0]])
    with pytest.raises(InvalidWeightsError,
                       match=r"2 weight\(s\) are negative.*\[\('a', 'b'\), \('c', 'b'\)\]"):
        as_sparse(g, IDS)
    assert describe(g).n_negative == 2
    m = as_sparse(g, IDS, allow_negative=True)
    assert m[0, 1] == -1.0


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_weight_in_libpysal_w_names_the_unit(bad):
    w = W({"a": ["b"], "b": ["a", "c"], "c": ["b"]},
          {"a": [1.0], "b": [1.0, bad], "c": [1.0]}, silence_warnings=True)
    with pytest.raises(InvalidWeightsError,
                       match=r"NaN or infinite, in the rows of unit\(s\) \['b'\].*\('b', 'c'\)"):
        as_sparse(w, IDS)
    assert describe(w).n_nonfinite == 1


def test_infinite_weight_in_graph_names_the_unit():
    # Graph itself refuses NaN; an infinite weight (1/d at d = 0) gets through it.
    g = _graph(CHAIN)
    adj = g.adjacency.copy()
    adj.loc[("c", "b")] = np.inf
    bad = Graph(adj, is_sorted=True)
    with pytest.raises(InvalidWeightsError, match=r"unit\(s\) \['c'\]"):
        as_sparse(bad, IDS)


def test_check_weights_values_on_a_raw_matrix():
    # The helper models use for a scipy matrix given without ids of its own.
    with pytest.raises(InvalidWeightsError, match=r"self-loop.*units \[2\]"):
        check_weights_values(sp.csr_matrix(np.diag([0.0, 0.0, 1.0])), [0, 1, 2])
    check_weights_values(sp.csr_matrix(np.diag([0.0, 0.0, 1.0])), [0, 1, 2],
                         allow_self_loops=True)


# ---- end to end: the models refuse such weights --------------------------------------------

def _columbus_graph(columbus) -> tuple[pd.DataFrame, Graph]:
    df, w = columbus
    return df, Graph.from_W(w)


def test_sar_refuses_self_loops(columbus):
    df, g = _columbus_graph(columbus)
    looped = g.assign_self_weight(1.0).transform("r")
    with pytest.raises(InvalidWeightsError, match=r"49 self-loop\(s\).*'1', '2'"):
        sf.SAR(df["CRIME"], df[["INC", "HOVAL"]], looped)


def test_sdm_formula_refuses_negative_and_nan_weights(columbus):
    df, g = _columbus_graph(columbus)
    adj = g.adjacency.copy()
    negated = Graph(-adj, is_sorted=True)
    with pytest.raises(InvalidWeightsError, match="non-negative"):
        sf.SDM.from_formula("CRIME ~ INC + HOVAL", data=df, w=negated)
    _, w = columbus
    weights = {i: list(v) for i, v in w.weights.items()}
    weights["7"][0] = np.nan
    nan = W(w.neighbors, weights, id_order=w.id_order, silence_warnings=True)
    with pytest.raises(InvalidWeightsError, match=r"rows of unit\(s\) \['7'\]"):
        sf.SDM.from_formula("CRIME ~ INC + HOVAL", data=df, w=nan)


def test_moran_refuses_self_loops(columbus):
    df, g = _columbus_graph(columbus)
    looped = g.assign_self_weight(1.0)
    with pytest.raises(InvalidWeightsError, match="self-loop"):
        moran_by_period(df, "CRIME", w=looped, permutations=0)


def test_island_graph_still_fits_with_an_island_warning(columbus):
    # Explicit zero self-links of islands must not be mistaken for self-loops end to end.
    df, g = _columbus_graph(columbus)
    sparse = sp.lil_matrix(g.sparse)
    unit = 0
    sparse[unit, :] = 0
    sparse[:, unit] = 0
    island = Graph.from_sparse(sp.csr_matrix(sparse), ids=g.unique_ids.to_numpy()).transform("r")
    assert describe(island).n_self_loops == 0
    with pytest.warns(IslandWarning, match=repr(str(g.unique_ids[unit]))):
        sf.SAR(df["CRIME"], df[["INC", "HOVAL"]], island)


# ---- missing ids ----------------------------------------------------------------------------

@pytest.mark.parametrize("index", [["a", None, "c", None], [1.0, np.nan, 3.0, 4.0]])
def test_build_names_missing_ids_not_duplicates(index):
    # QA: two None ids gave "Duplicate index entries"; a single NaN id built a unit "nan".
    import geopandas as gpd
    import shapely

    from spatialflow.weights import build

    frame = gpd.GeoDataFrame(geometry=[shapely.box(i, 0, i + 1, 1) for i in range(4)],
                             index=index, crs="EPSG:32650")
    positions = [1, 3] if index[3] is None else [1]
    with pytest.raises(MissingDataError,
                       match=rf"the frame's index has {len(positions)} missing id\(s\) "
                             rf"\(None or NaN\) at row position\(s\) \[{', '.join(map(str, positions))}\]"):
        build(frame, "queen")


def test_models_name_missing_ids_in_the_data(columbus):
    df, w = columbus
    bad = df.rename(index={"3": None})
    with pytest.raises(MissingDataError, match=r"the data's index has 1 missing id.*\[2\]"):
        sf.SAR(bad["CRIME"], bad[["INC", "HOVAL"]], w)


def test_weights_on_a_subset_of_units_is_restricted_and_restandardised():
    """weights_on: rows and columns of the ids asked for, in their order, standardised by
    row again (as R's subset.listw); an id the weights do not know is named."""
    import libpysal

    from spatialflow.exceptions import IdMismatchError
    from spatialflow.weights.align import as_sparse, weights_on
    w = libpysal.weights.lat2W(3, 3)
    w.transform = "r"
    full = as_sparse(w, w.id_order)
    ids = [8, 0, 4, 2]                        # a subset, in another order
    sub = weights_on(w, ids)
    raw = sp.csr_matrix(full[ids][:, ids]).toarray()
    rows = raw.sum(axis=1, keepdims=True)
    expected = np.divide(raw, rows, out=np.zeros_like(raw), where=rows > 0)
    np.testing.assert_allclose(sub.toarray(), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(weights_on(w, w.id_order).toarray(), full.toarray())
    with pytest.raises(IdMismatchError, match=r"1 id\(s\) are not units of the weights: \[99\]"):
        weights_on(w, [0, 99])
