"""Phillips-Sul log t test and clubs against ConvergenceClubs 2.2.5 (R) on its own data
(tests/reference/convergence/: the R script, its raw output, the data and PROVENANCE.md)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import InputError, MissingDataError, NonPositiveLevelError
from spatialflow.measures import convergence_clubs, log_t_test

REF = Path(__file__).parent / "reference" / "convergence"
#: the same arithmetic in R and numpy (least squares and a HAC sum): round-off only
#: (measured 6e-13 on the standard error)
RTOL_R = 1e-9


@pytest.fixture(scope="module")
def gdp():
    wide = pd.read_csv(REF / "filteredGDP.csv")
    long = wide.melt(id_vars="Countries", var_name="year", value_name="lgdp")
    long["year"] = long["year"].str[1:].astype(int)
    return long


@pytest.fixture(scope="module")
def r_output():
    lines = (REF / "phillips_sul_R.txt").read_text().splitlines()
    tests = {ln.split()[0]: [float(v) for v in ln.split()[1:4]] for ln in lines
             if ln.startswith(("ALL", "FIRST20"))}
    clubs = [ln.split() for ln in lines if ln.startswith("CLUB fixed")]
    return tests, clubs


def test_log_t_equals_convergenceclubs(gdp, r_output):
    tests, _ = r_output
    res = log_t_test(gdp, "lgdp", id="Countries", transform="none")
    np.testing.assert_allclose([res.b, res.bse, res.statistic], tests["ALL"], rtol=RTOL_R)
    assert not res.converges and res.n == 152 and res.periods == 34
    first = gdp[gdp["Countries"].isin(sorted(gdp["Countries"].unique())[:20])]
    res = log_t_test(first, "lgdp", id="Countries", transform="none")
    np.testing.assert_allclose([res.b, res.bse, res.statistic], tests["FIRST20"], rtol=RTOL_R)


def test_clubs_equal_convergenceclubs(gdp, r_output):
    _, clubs = r_output
    res = convergence_clubs(gdp, "lgdp", id="Countries", transform="none")
    assert res.n_clubs == len(clubs) == 7 and res.divergent == []
    for row in clubs:
        k = int(row[2].removeprefix("club"))
        members = set(row[6].split("|"))
        assert set(res.membership.index[res.membership == k]) == members
        got = res.tests.set_index("club").loc[k, ["b", "std_error", "statistic"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, [float(v) for v in row[3:6]], rtol=RTOL_R)


def test_hand_built_two_clubs_and_a_divergent_unit():
    # pairs c +- 1/t converge to 3 and to 5; e stays at 1.5, away from both
    t = np.arange(1, 41)
    paths = {"a": 3 + 1 / t, "b": 3 - 1 / t, "c": 5 + 1 / t, "d": 5 - 1 / t,
             "e": 1.5 + 0 * t}
    df = pd.DataFrame([{"code": k, "year": 1980 + s, "x": v[s]} for k, v in paths.items()
                       for s in range(40)])
    res = convergence_clubs(df, "x", transform="none")
    assert res.membership.to_dict() == {"a": 2, "b": 2, "c": 1, "d": 1, "e": 0}
    assert res.divergent == ["e"] and not res.overall.converges
    # by hand: a pair c +- 1/t has h = 1 +- 1/(ct), H_t = (ct)^-2, so the regressand is
    # 2 log t - 2 log log t whatever c; its OLS slope on log t over t = 14..40 is b
    r = np.arange(int(round(40 / 3)) + 1, 41)
    b_hand = np.polyfit(np.log(r), 2 * np.log(r) - 2 * np.log(np.log(r)), 1)[0]
    tests = res.tests.set_index("club")
    np.testing.assert_allclose(tests.loc[[1, 2], "b"], b_hand, rtol=1e-9)


def test_errors():
    df = pd.DataFrame({"code": list("aabb"), "year": [1, 2, 1, 2], "x": [1.0, 2.0, 0.0, 1.0]})
    with pytest.raises(NonPositiveLevelError, match=r"\('b', 1\)"):
        log_t_test(df, "x")
    with pytest.raises(InputError, match="time series: 2 period"):
        log_t_test(df.assign(x=df["x"] + 3), "x")
    gap = pd.DataFrame({"code": list("aaabb"), "year": [1, 2, 3, 1, 2], "x": 3.0})
    with pytest.raises(MissingDataError, match=r"\('b', 3\)"):
        log_t_test(gap, "x")
