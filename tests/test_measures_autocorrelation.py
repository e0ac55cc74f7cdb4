"""Global and local Moran's I over time (esda), tidy output, ids matched to the weights.

Hand value: path a - b - c, row-standardised, y = (1, 2, 4): z = (-4/3, -1/3, 5/3),
sum z^2 = 42/9, sum_ij w_ij z_i z_j = 1.5 z_b (z_a + z_c) = -1/6, S0 = n = 3, so
I = -(1/6) / (42/9) = -1/28. Local (esda's m2 = sum z^2 / (n - 1) = 7/3):
I_a = z_a * z_b / m2 = (4/9) / (7/3) = 4/21.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from libpysal.graph import Graph

from spatialflow.exceptions import IdMismatchError
from spatialflow.measures import local_moran_by_period, moran_by_period

RTOL = 1e-12

# With n = 3 esda's randomisation variance divides by (n - 3) = 0: expected, irrelevant here.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


@pytest.fixture
def path():
    a = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0.0]]))
    w = Graph.from_sparse(a, ids=["a", "b", "c"])
    df = pd.DataFrame({"county": ["c", "a", "b", "a", "b", "c"], "year": [1, 1, 1, 2, 2, 2],
                       "v": [4.0, 1.0, 2.0, 3.0, 2.0, 1.0]})
    return df, w


def test_global_moran_hand_value_per_period(path):
    df, w = path
    out = moran_by_period(df, "v", w=w, id="county", time="year", permutations=99, seed=1)
    assert out["period"].tolist() == [1, 2]
    # Period 2 is y = (3, 2, 1): z = (1, 0, -1), cross products vanish: I = 0.
    np.testing.assert_allclose(out["I"].to_numpy(), [-1 / 28, 0.0], rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(out["EI"].to_numpy(), [-0.5, -0.5], rtol=RTOL)
    assert set(out.columns) >= {"period", "I", "EI", "z_norm", "p_norm", "z_sim", "p_sim"}


def test_local_moran_hand_value_and_seed(path):
    df, w = path
    out = local_moran_by_period(df, "v", w=w, id="county", time="year", permutations=99, seed=3)
    first = out[out["period"] == 1].set_index("id")
    assert first.loc["a", "Is"] == pytest.approx(4 / 21, rel=RTOL)
    assert first.loc["a", "quadrant"] == "LL"
    again = local_moran_by_period(df, "v", w=w, id="county", time="year", permutations=99, seed=3)
    pd.testing.assert_frame_equal(out, again)


def test_seeded_permutations_reproducible_and_rng_restored(path):
    df, w = path
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    a = moran_by_period(df, "v", w=w, id="county", time="year", permutations=49, seed=7)
    assert np.random.random() == expected_next  # the user's global RNG stream is untouched
    b = moran_by_period(df, "v", w=w, id="county", time="year", permutations=49, seed=7)
    pd.testing.assert_frame_equal(a, b)


def test_ids_must_match_weights(path):
    df, w = path
    bad = df.replace({"county": {"c": "zz"}})
    with pytest.raises(IdMismatchError, match=r"\['zz'\]"):
        moran_by_period(bad, "v", w=w, id="county", time="year", permutations=0)


def test_moran_by_period_with_ids_in_the_index():
    """id=None: unit ids from the index (one row per unit and period)."""
    import libpysal
    from spatialflow.measures import moran_by_period

    w = libpysal.weights.lat2W(4, 4)
    ids = list(w.id_order)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"year": np.repeat([2020, 2021], 16),
                          "v": rng.normal(size=32)}, index=ids * 2)
    by_index = moran_by_period(frame, "v", w=w, time="year", permutations=0)
    by_column = moran_by_period(frame.rename_axis("unit").reset_index(), "v", w=w, id="unit",
                                time="year", permutations=0)
    pd.testing.assert_frame_equal(by_index, by_column)
