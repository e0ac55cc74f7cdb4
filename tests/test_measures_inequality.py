"""Dagum Gini and Theil decompositions, and the urban-rural income gap.

Hand-worked example (Dagum 1997 formulas): values a = (1, 3), b = (2, 6); n = 4, mu = 3.
Sum over ordered pairs of |y_i - y_r| = 32, so G = 32 / (2 * 16 * 3) = 1/3.
G_aa = 4 / (2*4*2) = 1/4, G_bb = 8 / (2*4*4) = 1/4; p = (1/2, 1/2), s = (1/3, 2/3):
G_w = 1/4 * (1/2 * 1/3 + 1/2 * 2/3) = 1/8.  b is richer: sum |b - a| = 10,
G_ba = 10 / (2*2*(4+2)) = 5/12; d_ba = 9/4, p_ba = 1/4, D_ba = 0.8;
p_b s_a + p_a s_b = 1/2: G_nb = 5/12 * 1/2 * 0.8 = 1/6, G_t = 5/12 * 1/2 * 0.2 = 1/24.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import IdMismatchError, InputError, MissingDataError
from spatialflow.measures import dagum_gini, dagum_gini_by, gini, income_gap, theil, theil_by

RTOL = 1e-12
IDENTITY_ATOL = 1e-12  # the tolerance for G = G_w + G_nb + G_t


def _plain_gini(y):
    """Independent Gini: mean absolute difference over all ordered pairs / (2 mu)."""
    y = np.asarray(y, dtype=float)
    return np.abs(y[:, None] - y[None, :]).mean() / (2 * y.mean())


def test_dagum_hand_computed():
    res = dagum_gini([1.0, 3.0, 2.0, 6.0], ["a", "a", "b", "b"])
    assert res.total == pytest.approx(1 / 3, rel=RTOL)
    assert res.within == pytest.approx(1 / 8, rel=RTOL)
    assert res.net_between == pytest.approx(1 / 6, rel=RTOL)
    assert res.transvariation == pytest.approx(1 / 24, rel=RTOL)
    assert res.between_gini.loc["b", "a"] == pytest.approx(5 / 12, rel=RTOL)
    assert res.relative_economic_affluence.loc["b", "a"] == pytest.approx(0.8, rel=RTOL)
    assert list(res.group_mean.index) == ["b", "a"]  # ordered by decreasing mean
    np.testing.assert_allclose(res.group_gini.to_numpy(), [0.25, 0.25], rtol=RTOL)


def test_dagum_identity_and_equals_ordinary_gini():
    rng = np.random.default_rng(2024)
    y = rng.lognormal(10, 0.8, size=300)
    g = rng.choice(["PRD", "East", "West", "North"], size=300)
    res = dagum_gini(y, g)
    parts = res.within + res.net_between + res.transvariation
    assert abs(parts - res.total) <= IDENTITY_ATOL
    assert res.total == pytest.approx(_plain_gini(y), rel=1e-12)
    assert gini(y) == pytest.approx(_plain_gini(y), rel=1e-12)
    assert res.contributions.sum() == pytest.approx(1.0, rel=1e-12)
    # Order of rows is irrelevant.
    perm = rng.permutation(300)
    again = dagum_gini(y[perm], g[perm])
    assert again.net_between == pytest.approx(res.net_between, rel=1e-12)


def test_dagum_matches_series_by_index():
    y = pd.Series([1.0, 3.0, 2.0, 6.0], index=["w", "x", "y", "z"])
    g = pd.Series(["b", "b", "a", "a"], index=["y", "z", "w", "x"])  # shuffled, matched by index
    res = dagum_gini(y, g)
    assert res.within == pytest.approx(1 / 8, rel=RTOL)


def test_dagum_bad_input():
    with pytest.raises(InputError, match=r"negative cell\(s\) at .* \[\(1, 'values'\)\]"):
        dagum_gini([1.0, -3.0, 2.0], ["a", "a", "b"])
    with pytest.raises(MissingDataError, match=r"\(2, 'values'\)"):
        dagum_gini([1.0, 3.0, np.nan], ["a", "a", "b"])
    with pytest.raises(InputError, match=r"groups \['z'\] have mean 0"):
        dagum_gini([1.0, 3.0, 0.0], ["a", "a", "z"])


def test_theil_hand_computed_and_identity():
    res = theil([1.0, 1.0, 2.0, 2.0], ["a", "a", "b", "b"])
    expected = 0.5 * (2 / 3 * math.log(2 / 3) + 4 / 3 * math.log(4 / 3))
    assert res.total == pytest.approx(expected, rel=RTOL)
    assert res.between == pytest.approx(expected, rel=RTOL)
    assert res.within == 0.0
    rng = np.random.default_rng(5)
    y, g = rng.lognormal(size=200), rng.choice(list("pqr"), size=200)
    r = theil(y, g)
    assert r.total == pytest.approx(r.between + r.within, rel=1e-12)
    assert r.total == pytest.approx(np.mean(y / y.mean() * np.log(y / y.mean())), rel=1e-12)
    w = rng.uniform(1, 9, size=200)
    rw = theil(y, g, weights=w)
    assert rw.total == pytest.approx(rw.between + rw.within, rel=1e-12)


def test_income_theil_hand_and_equals_weighted_theil():
    df = pd.DataFrame({"yu": [2.0, 56905.0], "yr": [1.0, 23598.0], "pu": [1.0, 94.0],
                       "pr": [1.0, 33.0]}, index=["toy", "gd"])
    out = income_gap(df, urban_income="yu", rural_income="yr", urban_population="pu",
                     rural_population="pr")
    # toy: income shares (2/3, 1/3), population shares (1/2, 1/2).
    toy = 2 / 3 * math.log(4 / 3) + 1 / 3 * math.log(2 / 3)
    assert out.loc["toy", "theil"] == pytest.approx(toy, rel=RTOL)
    gd = theil([56905.0, 23598.0], ["u", "r"], weights=[94.0, 33.0]).total
    assert out.loc["gd", "theil"] == pytest.approx(gd, rel=1e-12)
    assert out.loc["toy", "ratio"] == 2.0


def test_income_ratio_guangdong_published():
    # DOMAIN.md: Guangdong 2022 56,905 / 23,598 = 2.41; 2023 59,307 / 25,142 = 2.36.
    df = pd.DataFrame({"u": [56905.0, 59307.0], "r": [23598.0, 25142.0]}, index=[2022, 2023])
    ratio = income_gap(df, urban_income="u", rural_income="r")["ratio"]
    np.testing.assert_allclose(ratio.round(2).to_numpy(), [2.41, 2.36], rtol=0, atol=1e-12)
    with pytest.raises(InputError, match=r"\(2023, 'r'\)"):
        income_gap(df.assign(r=[23598.0, 0.0]), urban_income="u", rural_income="r")


def test_by_period_tidy_frames():
    df = pd.DataFrame({"year": [1, 1, 1, 1, 2, 2, 2, 2], "y": [1.0, 3, 2, 6, 1, 1, 2, 2],
                       "region": list("aabb") * 2})
    dg = dagum_gini_by(df, value="y", group="region", time="year")
    assert dg["year"].tolist() == [1, 2]
    assert dg.loc[0, "total"] == pytest.approx(1 / 3, rel=RTOL)
    th = theil_by(df, value="y", group="region", time="year")
    assert th.loc[1, "within"] == 0.0
    assert th.loc[1, "between"] == pytest.approx(th.loc[1, "total"], rel=RTOL)


def test_weights_with_another_index_raise_id_mismatch_before_nan_checks():
    # QA: Series weights with other labels were reported as "weights must be finite; NaN".
    y = pd.Series(np.arange(1.0, 41.0), index=[f"c{i}" for i in range(40)])
    g = pd.Series(["a", "b"] * 20, index=y.index)
    w = pd.Series(1.0, index=[f"c{i}" for i in range(1, 41)])
    with pytest.raises(IdMismatchError, match=r"only in values: \['c0'\]; only in weights: "
                                              r"\['c40'\]"):
        theil(y, g, weights=w)
    # Same labels in another order are matched by index, not position.
    shuffled = pd.Series(np.arange(1.0, 41.0), index=y.index)[::-1]
    by_label = theil(y, g, weights=shuffled)
    by_position = theil(y.to_numpy(), g.to_numpy(), weights=np.arange(1.0, 41.0))
    assert by_label.total == pytest.approx(by_position.total, rel=RTOL)


def test_groups_with_another_index_raise_id_mismatch_in_dagum_and_theil():
    y = pd.Series([1.0, 3.0, 2.0, 6.0], index=["w", "x", "y", "z"])
    g = pd.Series(["a", "a", "b", "b"])  # RangeIndex: not the values' ids
    for fn in (dagum_gini, theil):
        with pytest.raises(IdMismatchError, match=r"values and groups .* only in values: "
                                                  r"\['w', 'x', 'y', 'z'\]; only in groups: "
                                                  r"\[0, 1, 2, 3\]"):
            fn(y, g)


@pytest.mark.parametrize("fn", [theil_by, dagum_gini_by])
def test_by_period_refuses_missing_periods(fn):
    # QA: rows with a missing period were dropped by groupby without a word.
    frame = pd.DataFrame({"v": [1.0, 2, 3, 4, 2, 3, 4, 5], "g": list("aabbaabb"),
                          "t": [np.nan, 1, 1, 1, 2, 2, 2, 2]}, index=list("pqrstuvw"))
    with pytest.raises(MissingDataError, match=r"time column 't' has missing values at rows "
                                               r"\['p'\]"):
        fn(frame, value="v", group="g", time="t")
    with pytest.raises(InputError, match=r"the frame has no rows"):
        fn(frame.iloc[:0], value="v", group="g", time="t")


def test_theil_by_with_weights_matches_per_period_theil():
    frame = pd.DataFrame({"v": [1.0, 2, 3, 4, 2, 3, 4, 5], "g": list("aabbaabb"),
                          "t": [1, 1, 1, 1, 2, 2, 2, 2], "pop": [1.0, 2, 1, 3, 2, 2, 1, 1]})
    out = theil_by(frame, value="v", group="g", time="t", weights="pop").set_index("t")
    second = frame[frame["t"] == 2]
    ref = theil(second["v"], second["g"], weights=second["pop"])
    assert out.loc[2, "total"] == pytest.approx(ref.total, rel=1e-12)


def test_income_gap_needs_two_distinct_columns():
    # QA: urban_income == rural_income raised pandas' "Cannot set a DataFrame with multiple
    # columns to the single column ratio".
    frame = pd.DataFrame({"u": [3.0, 4.0], "r": [1.0, 2.0]})
    with pytest.raises(InputError, match=r"columns must be distinct; \['u'\] given more than "
                                         r"once in \['u', 'u'\]"):
        income_gap(frame, urban_income="u", rural_income="u")


def test_gini_names_the_offending_values():
    # QA: every failure read "gini needs finite, non-negative values with a positive sum".
    with pytest.raises(InputError, match=r"non-negative values; not so at rows \['b', 'c'\] "
                                         r"\(values \[-1\.0, nan\]\)"):
        gini(pd.Series([1.0, -1.0, np.nan], index=list("abc")))
    with pytest.raises(InputError, match=r"at least one value"):
        gini([])
    with pytest.raises(InputError, match=r"positive sum; all are 0"):
        gini([0.0, 0.0])


def test_complex_values_are_refused_not_truncated():
    # QA: complex indicators lost their imaginary part with only numpy's ComplexWarning.
    with pytest.raises(InputError, match=r"values must be real numbers; dtype complex128"):
        gini(np.array([1 + 1j, 2.0]))
    with pytest.raises(InputError, match=r"values must be numeric; dtype complex128"):
        gini(pd.Series([1 + 1j, 2.0]))
    frame = pd.DataFrame({"u": [3.0 + 0j, 4.0], "r": [1.0, 2.0]})
    with pytest.raises(InputError, match=r"columns must be numeric; \['u'\] have dtypes "
                                         r"\['complex128'\]"):
        income_gap(frame, urban_income="u", rural_income="r")
