"""Entropy weight method and the two-level composite factor-flow index.

Reference values are derived by hand from the formulas in DOMAIN.md (written out in each
test), not from the code under test.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import (
    DuplicateIdError,
    InputError,
    MissingDataError,
    MissingValueWarning,
    ZeroRangeWarning,
)
from spatialflow.measures import FACTORS, entropy_weights, factor_flow_index

RTOL = 1e-12  # closed-form arithmetic: only floating-point rounding separates the values


@pytest.fixture
def small():
    return pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 9.0]}, index=["x", "y", "z"])


def _hand_small():
    # a' = (0, 1/2, 1): p = (0, 1/3, 2/3); b' = (0, 0, 1): p = (0, 0, 1) -> e_b = 0.
    e_a = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / math.log(3)
    d_a, d_b = 1 - e_a, 1.0
    return e_a, d_a / (d_a + d_b), d_b / (d_a + d_b)


def test_hand_computed_weights_scores_entropy(small):
    e_a, w_a, w_b = _hand_small()
    res = entropy_weights(small)
    np.testing.assert_allclose(res.entropy.to_numpy(), [e_a, 0.0], rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(res.weights.to_numpy(), [w_a, w_b], rtol=RTOL)
    np.testing.assert_allclose(res.scores.to_numpy(), [0.0, 0.5 * w_a, w_a + w_b], rtol=RTOL)
    assert list(res.scores.index) == ["x", "y", "z"]
    assert list(res.weights.index) == ["a", "b"]
    assert res.weights.sum() == pytest.approx(1.0, rel=RTOL)


def test_negative_direction_reverses_scaling(small):
    res = entropy_weights(small, directions={"a": "-", "b": "positive"})
    np.testing.assert_allclose(res.scaled["a"].to_numpy(), [1.0, 0.5, 0.0], rtol=RTOL)
    e_a, w_a, w_b = _hand_small()  # same proportions, reversed order: same entropy
    np.testing.assert_allclose(res.weights.to_numpy(), [w_a, w_b], rtol=RTOL)
    np.testing.assert_allclose(res.scores.to_numpy(), [w_a, 0.5 * w_a, w_b], rtol=RTOL)


def test_weights_sum_to_one_and_invariant_to_rescaling():
    rng = np.random.default_rng(42)
    df = pd.DataFrame(rng.lognormal(size=(30, 4)), columns=list("abcd"))
    base = entropy_weights(df, directions={"a": "+", "b": "-", "c": "+", "d": "-"})
    rescaled = df.assign(a=df["a"] * 1e4 + 7.0, c=df["c"] / 3.0)
    again = entropy_weights(rescaled, directions={"a": "+", "b": "-", "c": "+", "d": "-"})
    assert base.weights.sum() == pytest.approx(1.0, rel=RTOL)
    np.testing.assert_allclose(again.weights.to_numpy(), base.weights.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(again.scores.to_numpy(), base.scores.to_numpy(), rtol=1e-10)


def test_pooled_panel_uses_ln_nT_and_period_variant_per_year():
    df = pd.DataFrame({
        "id": [1, 2, 1, 2], "year": [2020, 2020, 2021, 2021],
        "a": [0.0, 1.0, 2.0, 4.0], "b": [1.0, 2.0, 3.0, 4.0],
    })
    pooled = entropy_weights(df, id="id", time="year")
    # a' = (0, 1/4, 1/2, 1): p = (0, 1/7, 2/7, 4/7); N = nT = 4 rows pooled.
    p = np.array([1, 2, 4]) / 7
    e_a = -(p * np.log(p)).sum() / math.log(4)
    q = np.array([1, 2, 3]) / 6  # b' = (0, 1/3, 2/3, 1)
    e_b = -(q * np.log(q)).sum() / math.log(4)
    np.testing.assert_allclose(pooled.entropy.to_numpy(), [e_a, e_b], rtol=RTOL)
    per = entropy_weights(df, id="id", time="year", per="period")
    # Each year has 2 rows with scaled values (0, 1) for both indicators: e = 0, w = 1/2.
    np.testing.assert_allclose(per.weights.to_numpy(), np.full((2, 2), 0.5), rtol=RTOL)
    np.testing.assert_allclose(per.scores.to_numpy(), [0.0, 1.0, 0.0, 1.0], rtol=RTOL)
    assert list(per.weights.index) == [2020, 2021]


def test_constant_indicator_raises_or_gets_zero_weight(small):
    df = small.assign(c=5.0)
    with pytest.raises(InputError, match=r"\['c'\] are constant"):
        entropy_weights(df)
    with pytest.warns(ZeroRangeWarning, match="weight 0"):
        res = entropy_weights(df, zero_range="zero")
    assert res.weights["c"] == 0.0
    assert res.entropy["c"] == 1.0
    _, w_a, w_b = _hand_small()
    np.testing.assert_allclose(res.weights[["a", "b"]].to_numpy(), [w_a, w_b], rtol=RTOL)


def test_missing_values_name_cells_or_drop_with_warning(small):
    df = small.copy()
    df.loc["y", "b"] = np.nan
    with pytest.raises(MissingDataError, match=r"\('y', 'b'\)"):
        entropy_weights(df)
    with pytest.warns(MissingValueWarning, match=r"\['y'\]"):
        res = entropy_weights(df, missing="drop")
    assert math.isnan(res.scores["y"])
    # Rows x, z alone: both indicators scale to (0, 1): equal weights.
    np.testing.assert_allclose(res.weights.to_numpy(), [0.5, 0.5], rtol=RTOL)


def test_bad_directions(small):
    with pytest.raises(InputError, match=r"unknown direction\(s\) \{'a': 'up'\}"):
        entropy_weights(small, directions={"a": "up", "b": "+"})
    with pytest.raises(InputError, match=r"without a direction \['b'\]"):
        entropy_weights(small, directions={"a": "+"})
    with pytest.raises(InputError, match=r"unknown indicator\(s\) \['zz'\]"):
        entropy_weights(small, directions={"a": "+", "b": "+", "zz": "-"})


def test_input_not_modified(small):
    before = small.copy()
    entropy_weights(small, directions={"a": "-", "b": "+"}, shift=1e-4)
    pd.testing.assert_frame_equal(small, before)


def test_factor_flow_index_two_level_hand_computed():
    df = pd.DataFrame({
        "lab_in": [0.0, 1.0, 2.0], "lab_in2": [0.0, 2.0, 4.0],
        "cap_in": [0.0, 0.0, 1.0],
        "lab_out": [1.0, 1.0, 0.0], "cap_out": [3.0, 2.0, 1.0],
    }, index=["c1", "c2", "c3"])
    spec = {
        "labour": {"urban_to_rural": ["lab_in", "lab_in2"], "rural_to_urban": ["lab_out"]},
        "capital": {"urban_to_rural": ["cap_in"], "rural_to_urban": ["cap_out"]},
    }
    res = factor_flow_index(df, spec)
    # Level 1, u->r: labour indicators both scale to (0, .5, 1): equal weights, score (0, .5, 1);
    # capital scales to (0, 0, 1). Level 2 = the small example of test 1: weights (w_a, w_b).
    _, w_a, w_b = _hand_small()
    np.testing.assert_allclose(res.factor_scores[("urban_to_rural", "labour")].to_numpy(),
                               [0.0, 0.5, 1.0], rtol=RTOL)
    np.testing.assert_allclose(res.factor_weights.loc["urban_to_rural"].to_numpy(), [w_a, w_b],
                               rtol=RTOL)
    u2r = np.array([0.0, 0.5 * w_a, 1.0])
    # r->u: labour (1,1,0) -> (1,1,0): p = (.5,.5,0), e = ln2/ln3; capital (3,2,1) -> (1,.5,0).
    e_l = math.log(2) / math.log(3)
    e_c = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(3)
    v_l, v_c = (1 - e_l) / (2 - e_l - e_c), (1 - e_c) / (2 - e_l - e_c)
    r2u = np.array([v_l + v_c, v_l + 0.5 * v_c, 0.0])
    np.testing.assert_allclose(res.composite["urban_to_rural"].to_numpy(), u2r, rtol=RTOL)
    np.testing.assert_allclose(res.composite["rural_to_urban"].to_numpy(), r2u, rtol=RTOL)
    np.testing.assert_allclose(res.net.to_numpy(), u2r - r2u, rtol=RTOL)
    assert list(res.composite.index) == ["c1", "c2", "c3"]


def test_factor_flow_index_rejects_unknown_factor():
    df = pd.DataFrame({"a": [0.0, 1.0]})
    with pytest.raises(InputError, match=r"unknown factor\(s\) \['labor'\]"):
        factor_flow_index(df, {"labor": ["a"]})
    assert FACTORS == ("labour", "land", "capital", "technology", "data", "ecology")


def test_factor_flow_index_per_period_weights_sum_to_one():
    rng = np.random.default_rng(8)
    df = pd.DataFrame(rng.uniform(size=(12, 4)), columns=list("abcd"))
    df["id"], df["year"] = np.tile(range(4), 3), np.repeat([2020, 2021, 2022], 4)
    spec = {"labour": {"urban_to_rural": ["a", "b"]}, "data": {"urban_to_rural": ["c", "d"]}}
    res = factor_flow_index(df, spec, id="id", time="year", per="period")
    sums = res.factor_weights.groupby(level=["direction", "year"]).sum()
    np.testing.assert_allclose(sums.to_numpy(), np.ones(3), rtol=RTOL)
    # Each year's level-1 scores equal entropy_weights on that year alone.
    year = df[df["year"] == 2021]
    alone = entropy_weights(year[["a", "b"]]).scores
    np.testing.assert_allclose(res.factor_scores[("urban_to_rural", "labour")].loc[year.index],
                               alone.to_numpy(), rtol=RTOL)


def _panel(seed=3, n=5, years=(2020, 2021, 2022)):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.uniform(size=(n * len(years), 2)), columns=["a", "b"])
    df["code"] = np.tile([f"c{i}" for i in range(n)], len(years))
    df["year"] = np.repeat(list(years), n)
    return df


def test_pooled_weights_on_a_non_unique_index_equal_the_positional_result():
    # QA: a panel indexed by county code (each code repeats once per year) crashed in pandas.
    df = _panel()
    by_code = entropy_weights(df.set_index("code")[["a", "b"]])
    by_row = entropy_weights(df[["a", "b"]])
    np.testing.assert_allclose(by_code.weights.to_numpy(), by_row.weights.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(by_code.scores.to_numpy(), by_row.scores.to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(by_code.scaled.to_numpy(), by_row.scaled.to_numpy(), rtol=RTOL)
    assert list(by_code.scores.index) == list(df["code"])


def test_missing_drop_on_a_non_unique_index_keeps_rows_in_place():
    df = _panel().set_index("code")[["a", "b"]]
    df.iloc[1, 0] = np.nan  # second row: code 'c1' of 2020 (c1 repeats in 2021, 2022)
    with pytest.warns(MissingValueWarning, match=r"1 row\(s\).*\['c1'\]"):
        res = entropy_weights(df, missing="drop")
    alone = entropy_weights(df.reset_index(drop=True).drop(index=1))
    assert np.isnan(res.scores.iloc[1])
    np.testing.assert_allclose(np.delete(res.scores.to_numpy(), 1), alone.scores.to_numpy(),
                               rtol=RTOL)


def test_per_period_with_ids_in_the_index_works_and_equals_per_year_runs():
    df = _panel()
    res = entropy_weights(df.set_index("code")[["year", "a", "b"]], time="year", per="period")
    year = df[df["year"] == 2021]
    alone = entropy_weights(year[["a", "b"]])
    np.testing.assert_allclose(res.weights.loc[2021].to_numpy(), alone.weights.to_numpy(),
                               rtol=RTOL)
    np.testing.assert_allclose(res.scores.to_numpy()[df["year"].to_numpy() == 2021],
                               alone.scores.to_numpy(), rtol=RTOL)


def test_duplicated_unit_in_a_period_names_the_pairs_and_says_what_to_pass():
    df = _panel()
    doubled = pd.concat([df, df.iloc[[0]]])
    with pytest.raises(DuplicateIdError,
                       match=r"index label, 'year'\) pair must occur once.*"
                             r"duplicated pairs: \[\('c0', 2020\)\]. Pass id="):
        entropy_weights(doubled.set_index("code")[["year", "a", "b"]], time="year",
                        per="period")
    with pytest.raises(DuplicateIdError,
                       match=r"each \('code', 'year'\) pair must occur once.*"
                             r"duplicated pairs: \[\('c0', 2020\)\]\.$"):
        entropy_weights(doubled, id="code", time="year", indicators=["a", "b"])
    with pytest.raises(DuplicateIdError, match=r"each id in column 'code' must occur once.*"
                                               r"\['c0', 'c1', 'c2', 'c3', 'c4'\]"):
        entropy_weights(df, id="code", indicators=["a", "b"])


def test_factor_flow_index_names_missing_indicators_with_their_factor():
    df = _panel()
    spec = {"labour": {"urban_to_rural": ["a", "zz"]}, "capital": {"rural_to_urban": ["b", "yy"]}}
    with pytest.raises(InputError,
                       match=r"not found in the frame: \['zz'\] under factor 'labour' "
                             r"\(urban_to_rural\); \['yy'\] under factor 'capital' "
                             r"\(rural_to_urban\)\. Its columns are \['a', 'b', 'code', 'year'\]"):
        factor_flow_index(df, spec)


def test_factor_flow_index_requires_an_explicit_direction():
    df = _panel()
    with pytest.raises(InputError, match=r"factor 'labour' was given a flat indicator list "
                                         r"\['a', 'b'\]; the flow direction must be explicit"):
        factor_flow_index(df, {"labour": ["a", "b"]})


def test_factor_flow_index_on_a_non_unique_index_equals_the_positional_result():
    df = _panel()
    spec = {"labour": {"urban_to_rural": ["a"], "rural_to_urban": ["b"]},
            "capital": {"urban_to_rural": ["b"], "rural_to_urban": ["a"]}}
    by_code = factor_flow_index(df.set_index("code"), spec, time="year", per="period")
    by_row = factor_flow_index(df, spec, id="code", time="year", per="period")
    np.testing.assert_allclose(by_code.composite.to_numpy(), by_row.composite.to_numpy(),
                               rtol=RTOL)
    assert list(by_code.composite.index) == list(df["code"])


@pytest.mark.parametrize("shift", ["0.1", None, True])
def test_shift_must_be_a_number(shift):
    # QA: shift="x" raised numpy's "ufunc 'isfinite' not supported".
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    with pytest.raises(InputError, match=r"shift must be a finite number >= 0"):
        entropy_weights(frame, shift=shift)


def test_one_indicator_name_is_not_split_into_letters():
    # QA: indicators="ab" was read as the two columns 'a' and 'b'.
    frame = pd.DataFrame({"ab": [1.0, 2.0, 3.0], "a": [1.0, 3.0, 2.0], "b": [2.0, 1.0, 3.0]})
    out = entropy_weights(frame, indicators="ab")
    assert list(out.weights.index) == ["ab"]
