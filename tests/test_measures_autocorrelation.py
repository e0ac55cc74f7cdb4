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

from spatialflow.exceptions import ConstantVariableWarning, IdMismatchError, InputError
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


# ---- bad input ------------------------------------------------------------------------------

def test_constant_variable_gives_nan_not_a_p_value(path):
    # QA: a constant variable gave I = NaN with p_sim = 0.01 and every unit 'LL'.
    df, w = path
    df = df.assign(v=np.where(df["year"] == 2, 5.0, df["v"]))  # period 2 is constant
    with pytest.warns(ConstantVariableWarning, match=r"'v' is constant in period\(s\) \[2\]"):
        out = moran_by_period(df, "v", w=w, id="county", time="year", permutations=99, seed=1)
    second = out.set_index("period").loc[2]
    assert np.isnan(second["I"]) and np.isnan(second["p_sim"]) and np.isnan(second["p_norm"])
    assert np.isnan(second["z_norm"]) and np.isnan(second["z_sim"])
    assert second["EI"] == pytest.approx(-0.5, rel=RTOL)  # E[I] does not depend on y
    assert out.set_index("period").loc[1, "I"] == pytest.approx(-1 / 28, rel=RTOL)
    with pytest.warns(ConstantVariableWarning, match=r"constant in period\(s\) \[2\]"):
        local = local_moran_by_period(df, "v", w=w, id="county", time="year",
                                      permutations=99, seed=1)
    flat = local[local["period"] == 2]
    assert flat["quadrant"].isna().all() and flat["Is"].isna().all()
    assert flat["p_sim"].isna().all()
    assert local.loc[local["period"] == 1, "quadrant"].notna().all()


def test_constant_cross_section_warns_without_a_period(path):
    df, w = path
    one = df[df["year"] == 1].set_index("county").assign(v=0.0)
    with pytest.warns(ConstantVariableWarning, match=r"^'v' is constant: Moran's I"):
        out = moran_by_period(one, "v", w=w, permutations=0)
    assert np.isnan(out.loc[0, "I"])


@pytest.mark.parametrize("seed", [1.5, -1, "x", True])
def test_seed_must_be_a_non_negative_integer(path, seed):
    df, w = path
    # rng= (alias seed=) also takes a numpy Generator, which the message names
    message = r"seed must be a non-negative integer or None or a numpy\.random\.Generator; "
    with pytest.raises(InputError, match=message):
        moran_by_period(df, "v", w=w, id="county", time="year", seed=seed)
    with pytest.raises(InputError, match=message):
        local_moran_by_period(df, "v", w=w, id="county", time="year", seed=seed)


@pytest.mark.parametrize("permutations", [2.5, "99", -1, True])
def test_permutations_must_be_a_count(path, permutations):
    df, w = path
    with pytest.raises(InputError, match=r"permutations must be an integer >= 0; "):
        moran_by_period(df, "v", w=w, id="county", time="year", permutations=permutations)


def test_numpy_integer_seed_and_none_are_accepted(path):
    df, w = path
    a = moran_by_period(df, "v", w=w, id="county", time="year", permutations=49,
                        seed=np.int64(7))
    b = moran_by_period(df, "v", w=w, id="county", time="year", permutations=49, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert moran_by_period(df, "v", w=w, id="county", time="year", permutations=9,
                           seed=None)["p_sim"].notna().all()


def test_transformation_is_checked(path):
    # QA: an unknown transformation surfaced as esda's ValueError.
    df, w = path
    with pytest.raises(InputError, match=r"transformation must be one of \['r', 'b', 'd', 'v', "
                                         r"'o'\].*'x' was given"):
        moran_by_period(df, "v", w=w, id="county", time="year", transformation="x")
    upper = moran_by_period(df, "v", w=w, id="county", time="year", transformation="B",
                            permutations=0)
    lower = moran_by_period(df, "v", w=w, id="county", time="year", transformation="b",
                            permutations=0)
    pd.testing.assert_frame_equal(upper, lower)
