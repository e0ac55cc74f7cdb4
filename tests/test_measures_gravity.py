"""Gravity flow intensity F_ij = k_ij sqrt(P_i G_i) sqrt(P_j G_j) / D_ij^2, k_ij = G_i/(G_i+G_j)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import EmptyInputError, IdMismatchError, InputError
from spatialflow.measures import gravity_flows, gravity_matrix

RTOL = 1e-12


@pytest.fixture
def three():
    pop = pd.Series({"a": 1.0, "b": 4.0, "c": 9.0})
    gdp = pd.Series({"a": 1.0, "b": 1.0, "c": 2.0})
    dist = pd.DataFrame([[0, 2, 3], [2, 0, 1], [3, 1, 0]], index=list("abc"), columns=list("abc"),
                        dtype=float)
    return pop, gdp, dist


def test_hand_computed_matrix(three):
    f = gravity_matrix(*three)
    m = {"a": 1.0, "b": 2.0, "c": math.sqrt(18.0)}  # sqrt(P G)
    expected = pd.DataFrame(0.0, index=list("abc"), columns=list("abc"))
    expected.loc["a", "b"] = 0.5 * m["a"] * m["b"] / 4
    expected.loc["b", "a"] = 0.5 * m["a"] * m["b"] / 4
    expected.loc["a", "c"] = (1 / 3) * m["a"] * m["c"] / 9
    expected.loc["c", "a"] = (2 / 3) * m["a"] * m["c"] / 9
    expected.loc["b", "c"] = (1 / 3) * m["b"] * m["c"] / 1
    expected.loc["c", "b"] = (2 / 3) * m["b"] * m["c"] / 1
    np.testing.assert_allclose(f.to_numpy(), expected.to_numpy(), rtol=RTOL)
    assert list(f.index) == list("abc") and list(f.columns) == list("abc")


def test_inputs_matched_by_id_not_position(three):
    pop, gdp, dist = three
    f = gravity_matrix(pop, gdp.iloc[::-1], dist.loc[list("cab"), list("bca")])
    pd.testing.assert_frame_equal(f, gravity_matrix(pop, gdp, dist))


def test_tidy_od_table_matches_matrix(three):
    table = gravity_flows(*three)
    f = gravity_matrix(*three)
    assert list(table.columns) == ["origin", "destination", "flow"]
    assert len(table) == 6
    for row in table.itertuples(index=False):
        assert row.flow == pytest.approx(f.loc[row.origin, row.destination], rel=RTOL)
    assert len(gravity_flows(*three, min_flow=1.0)) == 2  # only b<->c exceed 1


def test_zero_distance_between_distinct_units_raises(three):
    pop, gdp, dist = three
    dist = dist.copy()
    dist.loc["a", "c"] = dist.loc["c", "a"] = 0.0
    with pytest.raises(InputError, match=r"pairs \[\('a', 'c'\)\]"):
        gravity_matrix(pop, gdp, dist)


def test_bad_masses_and_ids(three):
    pop, gdp, dist = three
    with pytest.raises(InputError, match=r"population must be finite and > 0; .* ids \['b'\]"):
        gravity_matrix(pop.replace(4.0, -4.0), gdp, dist)
    with pytest.raises(IdMismatchError, match=r"only in population \['c'\]"):
        gravity_matrix(pop, gdp.drop("c"), dist)


def test_od_table_feeds_the_flow_weights_builder(three):
    """Integration with spatialflow.weights (kind="flow"): w_ij = F_{i->j} for direction="out"."""
    from spatialflow.weights import flow
    table = gravity_flows(*three)
    ids = pd.Index(["a", "b", "c"])
    w = flow.flow_matrix(ids, table, direction="out")
    np.testing.assert_allclose(w.toarray(), gravity_matrix(*three).to_numpy(), rtol=RTOL)


def test_gravity_on_county_polygons_with_distance_matrix_km():
    """Distances from the embedded layer: symmetric, zero diagonal, plausible km."""
    from spatialflow.datasets import load_guangdong_counties
    from spatialflow.measures import gravity_matrix
    from spatialflow.weights import distance_matrix_km

    counties = load_guangdong_counties()
    d = distance_matrix_km(counties, project=True)  # degrees -> Albers, explicitly
    np.testing.assert_allclose(d.to_numpy(), d.to_numpy().T, rtol=0, atol=1e-9)
    assert (np.diag(d) == 0).all()
    # Guangzhou's Yuexiu to Shenzhen's Futian: about 105 km between centroids.
    assert 90 < d.loc["440104", "440304"] < 120
    pop = pd.Series(1.0, index=counties.index)
    F = gravity_matrix(pop, pop * 2, d)
    # Equal masses: F_ij = 0.5 * 2 / d_ij^2.
    np.testing.assert_allclose(F.loc["440104", "440304"], 1.0 / d.loc["440104", "440304"] ** 2,
                               rtol=1e-12)


def _three_units():
    pop = pd.Series([1.0, 2.0, 3.0], index=list("abc"))
    gdp = pd.Series([2.0, 2.0, 2.0], index=list("abc"))
    dist = pd.DataFrame([[0, 1, 2], [1, 0, 1], [2, 1, 0.0]], index=list("abc"),
                        columns=list("abc"))
    return pop, gdp, dist


@pytest.mark.parametrize("exponent", ["2", None, True])
def test_exponent_must_be_a_number(exponent):
    # QA: exponent="2" raised numpy's "ufunc 'isfinite' not supported".
    pop, gdp, dist = _three_units()
    with pytest.raises(InputError, match=r"exponent must be a finite number > 0"):
        gravity_matrix(pop, gdp, dist, exponent=exponent)


def test_min_flow_must_be_a_number():
    pop, gdp, dist = _three_units()
    with pytest.raises(InputError, match=r"min_flow must be a finite number >= 0; '0' was given"):
        gravity_flows(pop, gdp, dist, min_flow="0")


@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_units_are_refused(n):
    # QA: empty inputs returned an empty matrix.
    pop, gdp, dist = _three_units()
    ids = list("abc")[:n]
    with pytest.raises(EmptyInputError, match=rf"at least 2 units; {n} given"):
        gravity_matrix(pop[ids], gdp[ids], dist.loc[ids, ids])
