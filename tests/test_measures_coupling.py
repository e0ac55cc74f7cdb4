"""Coupling coordination (standard and Wang et al. 2021) and the ten grades.

Expected values are worked by hand from the formulas (shown). The corrected formula is the one
of Wang, Kong, Ren, Zhi & Dai (2021), J. Natural Resources 36(3): 793-810; the CRAN package
`coupling` (vignette "ccd") prints the same n-system form.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import InputError, MissingDataError
from spatialflow.measures import COORDINATION_GRADES, coordination_grade, coupling_coordination

RTOL = 1e-12


def test_two_systems_standard_and_corrected():
    u = pd.DataFrame({"eco": [0.4, 0.1], "env": [0.6, 0.2]}, index=["p", "q"])
    std = coupling_coordination(u)
    # C = 2 sqrt(U1 U2) / (U1 + U2)
    c_std = [2 * math.sqrt(0.24) / 1.0, 2 * math.sqrt(0.02) / 0.3]
    np.testing.assert_allclose(std["C"].to_numpy(), c_std, rtol=RTOL)
    np.testing.assert_allclose(std["T"].to_numpy(), [0.5, 0.15], rtol=RTOL)
    d_std = np.sqrt(np.array(c_std) * [0.5, 0.15])
    np.testing.assert_allclose(std["D"].to_numpy(), d_std, rtol=RTOL)
    wang = coupling_coordination(u, method="wang2021")
    # C = sqrt((1 - |U2 - U1|) * min/max)
    c_w = [math.sqrt(0.8 * 0.4 / 0.6), math.sqrt(0.9 * 0.5)]
    np.testing.assert_allclose(wang["C"].to_numpy(), c_w, rtol=RTOL)
    assert list(wang.index) == ["p", "q"]


def test_three_systems_hand_computed():
    u = pd.DataFrame({"a": [0.2], "b": [0.4], "c": [0.8]})
    # standard: 3 (0.064)^(1/3) / 1.4 = 3 * 0.4 / 1.4
    std = coupling_coordination(u)
    assert std["C"].iloc[0] == pytest.approx(1.2 / 1.4, rel=RTOL)
    # corrected: spread = (0.2 + 0.6 + 0.4)/3 = 0.4; (0.25 * 0.5 * 1)^(1/2)
    wang = coupling_coordination(u, method="wang2021")
    assert wang["C"].iloc[0] == pytest.approx(math.sqrt(0.6 * math.sqrt(0.125)), rel=RTOL)
    weighted = coupling_coordination(u, weights={"a": 0.5, "b": 0.25, "c": 0.25})
    assert weighted["T"].iloc[0] == pytest.approx(0.1 + 0.1 + 0.2, rel=RTOL)


def test_equal_subsystems_give_full_coupling_both_methods():
    u = pd.DataFrame({"a": [0.3, 0.7], "b": [0.3, 0.7], "c": [0.3, 0.7]})
    for method in ("standard", "wang2021"):
        np.testing.assert_allclose(coupling_coordination(u, method=method)["C"].to_numpy(),
                                   [1.0, 1.0], rtol=RTOL)


def test_ten_grades_boundaries():
    d = [0.0, 0.0999, 0.1, 0.45, 0.5, 0.8999, 0.9, 1.0]
    got = coordination_grade(d).astype(str).tolist()
    assert got == [
        "extreme imbalance", "extreme imbalance", "serious imbalance",
        "on the verge of imbalance", "barely coordinated", "good coordination",
        "high-quality coordination", "high-quality coordination",
    ]
    assert len(COORDINATION_GRADES) == 10


def test_all_zero_row_has_zero_coupling():
    out = coupling_coordination(pd.DataFrame({"a": [0.0], "b": [0.0]}), method="wang2021")
    assert out.loc[0, ["C", "T", "D"]].tolist() == [0.0, 0.0, 0.0]
    assert out.loc[0, "level"] == 1


def test_bad_input():
    with pytest.raises(InputError, match=r"outside at \(row, column\) \[\(0, 'b'\)\]"):
        coupling_coordination(pd.DataFrame({"a": [0.2], "b": [1.5]}))
    with pytest.raises(InputError, match="at least 2 distinct subsystems"):
        coupling_coordination(pd.DataFrame({"a": [0.2]}))
    with pytest.raises(MissingDataError, match=r"\(1, 'a'\)"):
        coupling_coordination(pd.DataFrame({"a": [0.2, np.nan], "b": [0.1, 0.3]}))
    with pytest.raises(InputError, match="summing to 1"):
        coupling_coordination(pd.DataFrame({"a": [0.2], "b": [0.1]}), weights=[0.5, 0.6])
    # one check_option for the package (issue 26): the wording of the models' options
    with pytest.raises(InputError, match="method must be 'standard' or 'wang2021'; 'fan' was "
                                         "given"):
        coupling_coordination(pd.DataFrame({"a": [0.2], "b": [0.1]}), method="fan")


@pytest.mark.parametrize("d, shown", [([0.5, 1.2], r"\[\(1, 1\.2\)\]"), ([-0.1], r"\[\(0, -0\.1\)\]"),
                                      ([np.inf], r"\[\(0, inf\)\]")])
def test_grade_refuses_degrees_outside_unit_interval(d, shown):
    # QA: D = 1.2 was graded "high-quality coordination" and D = -0.1 "extreme imbalance".
    with pytest.raises(InputError, match=rf"D must lie in \[0, 1\]; 1 value\(s\) do not, at "
                                         rf"\(label, D\) {shown}"):
        coordination_grade(d)


def test_grade_of_missing_degree_is_missing_and_text_is_refused():
    # QA: NaN was graded "extreme imbalance" (with a numpy cast warning).
    got = coordination_grade(pd.Series([np.nan, 0.55], index=["x", "y"]))
    assert pd.isna(got["x"]) and got["y"] == "barely coordinated"
    assert list(got.index) == ["x", "y"]
    with pytest.raises(InputError, match=r"d must be numeric"):
        coordination_grade(["high"])
    assert coordination_grade(1.0 + 1e-15).tolist() == ["high-quality coordination"]
