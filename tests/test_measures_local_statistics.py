"""Local Moran and Getis-Ord Gi* with FDR behind spatialflow.measures: statistics against
esda and the formulas of Ord & Getis (1995), seeded permutations, cluster rules."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from spatialflow.exceptions import IdMismatchError, InputError
from spatialflow.measures import getis_ord, local_moran

#: Two exact computations of the same closed form.
EXACT_RTOL = 1e-10
R = 199


def _grid(k=8):
    import geopandas as gpd
    from libpysal.graph import Graph

    cells = [box(i, j, i + 1, j + 1) for j in range(k) for i in range(k)]
    layer = gpd.GeoDataFrame(geometry=cells, crs="EPSG:3857",
                             index=pd.Index([f"c{n:02d}" for n in range(k * k)], name="id"))
    w = Graph.build_contiguity(layer, rook=False).transform("r")
    return layer, w


@pytest.fixture(scope="module")
def grid():
    layer, w = _grid()
    rng = np.random.default_rng(2)
    x = np.array([g.centroid.x for g in layer.geometry])
    yv = np.array([g.centroid.y for g in layer.geometry])
    # a hot corner (high values) and a cold one, on positive noise
    y = 10 + rng.gamma(2.0, 1.0, len(layer))
    y[(x < 3) & (yv < 3)] += 12
    y[(x > 5) & (yv > 5)] -= 8
    return layer, w, pd.Series(y, index=layer.index)


def test_local_moran_equals_esda_and_applies_fdr(grid):
    import esda

    _, w, y = grid
    lm = local_moran(y, w, permutations=R, seed=3, fdr=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # esda's notice on alternatives
        ref = esda.Moran_Local(y.to_numpy(), w, permutations=0)
    np.testing.assert_allclose(lm["Is"].to_numpy(), ref.Is, rtol=EXACT_RTOL)
    assert (lm["quadrant"].to_numpy() == np.array(["", "HH", "LH", "LL", "HL"])[ref.q]).all()
    cut = float(esda.fdr(lm["p_sim"].to_numpy(), 0.05))
    assert lm.attrs["cutoff"] == cut
    expected = np.where(lm["p_sim"] <= cut, lm["quadrant"], "ns")
    assert (lm["cluster"].to_numpy() == expected).all()
    plain = local_moran(y, w, permutations=R, seed=3)
    np.testing.assert_array_equal(plain["p_sim"], lm["p_sim"])  # same seed, same draws
    assert (lm["cluster"] != "ns").sum() <= (plain["cluster"] != "ns").sum()
    assert {"HH", "LL"} <= set(plain["cluster"])
    # the report's and the plots' LISA is this one computation
    from spatialflow.plot import lisa_clusters
    frame, _ = lisa_clusters(y, w, fdr=0.05, permutations=R, seed=3)
    pd.testing.assert_frame_equal(frame, lm)


def test_getis_ord_star_follows_ord_getis_1995(grid):
    _, w, y = grid
    gi = getis_ord(y, w, permutations=0)
    B = (w.sparse.toarray() > 0).astype(float)
    np.fill_diagonal(B, 1.0)
    v, n = y.to_numpy(), len(y)
    G = B @ v / v.sum()
    Wi = B.sum(axis=1)
    s2 = (v ** 2).mean() - v.mean() ** 2
    z = (G - Wi / n) / np.sqrt(Wi * (n - Wi) / (n ** 2 * (n - 1)) * s2 / v.mean() ** 2)
    np.testing.assert_allclose(gi["G"].to_numpy(), G, rtol=EXACT_RTOL)
    np.testing.assert_allclose(gi["z"].to_numpy(), z, rtol=EXACT_RTOL)
    from scipy import stats
    np.testing.assert_allclose(gi["p_norm"].to_numpy(), stats.norm.sf(np.abs(z)),
                               rtol=EXACT_RTOL)
    assert gi["p_sim"].isna().all()
    # permutations=0: significance on p_norm
    assert (gi["cluster"] == np.where(gi["p_norm"] < 0.05,
                                      np.where(gi["z"] > 0, "hot", "cold"), "ns")).all()


def test_getis_ord_permutations_find_the_planted_spots(grid):
    layer, w, y = grid
    gi = getis_ord(y, w, permutations=R, seed=np.random.default_rng(8), fdr=0.05)
    assert set(np.unique(np.round(gi["p_sim"] * (R + 1)))) <= set(range(1, R + 2))
    hot_corner = ["c00", "c01", "c08", "c09"]
    assert (gi.loc[hot_corner, "cluster"] == "hot").all()
    assert (gi.loc[["c63", "c62", "c55", "c54"], "cluster"] == "cold").all()
    # the unit whose neighbourhood holds the largest values beats every random draw
    top = gi["G"].idxmax()
    assert gi.loc[top, "p_sim"] == pytest.approx(1 / (R + 1), rel=EXACT_RTOL)
    again = getis_ord(y, w, permutations=R, seed=np.random.default_rng(8), fdr=0.05)
    pd.testing.assert_frame_equal(gi, again)


def test_local_statistics_bad_inputs(grid):
    _, w, y = grid
    with pytest.raises(InputError, match=r"non-negative values; negative at ids \['c05'\]"):
        getis_ord(y.where(y.index != "c05", -1.0), w)
    with pytest.raises(InputError, match="fdr must be a level"):
        local_moran(y, w, fdr=1.5)
    with pytest.raises(IdMismatchError, match="'zz'"):
        local_moran(y.rename(index={"c00": "zz"}), w)
    with pytest.raises(InputError, match="pandas Series"):
        getis_ord(y.to_numpy(), w)


@pytest.mark.parametrize("transformation", ["r", "b"])
def test_local_moran_by_period_is_the_same_computation(grid, transformation):
    import esda

    from spatialflow.measures import local_moran_by_period
    _, w, y = grid
    frame = pd.DataFrame({"code": y.index, "v": y.to_numpy()})
    out = local_moran_by_period(frame, "v", w=w, id="code", transformation=transformation,
                                permutations=R, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ref = esda.Moran_Local(y.to_numpy(), w, transformation=transformation, permutations=0)
    np.testing.assert_allclose(out["Is"].to_numpy(), ref.Is, rtol=EXACT_RTOL)
    if transformation == "r":
        same = local_moran(y, w, permutations=R, seed=5)
        np.testing.assert_array_equal(out["p_sim"].to_numpy(), same["p_sim"].to_numpy())
