"""The labelled synthetic panel: bad arguments are refused, naming what is wrong."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatialflow.datasets import load_guangdong_counties
from spatialflow.datasets.synthetic import synthetic_panel
from spatialflow.exceptions import DuplicateIdError, InputError, MissingDataError


@pytest.fixture(scope="module")
def counties():
    return load_guangdong_counties()


def test_panel_is_labelled_and_a_pure_function_of_the_seed(counties):
    a = synthetic_panel(counties, years=[2020, 2021], seed=np.int64(3))
    b = synthetic_panel(counties, years=range(2020, 2022), seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["synthetic"] is True and a.attrs["seed"] == 3
    assert type(a.attrs["seed"]) is int  # JSON-serialisable in the pipeline's manifest
    assert not a.duplicated(["code", "year"]).any() and len(a) == 2 * len(counties)


def test_duplicated_years_are_refused(counties):
    # QA: years=[2020, 2020] returned duplicated (code, year) rows.
    with pytest.raises(DuplicateIdError, match=r"years must be distinct; duplicated: \[2020\]"):
        synthetic_panel(counties, years=[2020, 2021, 2020])


@pytest.mark.parametrize("years, message", [
    ([2020.0, 2021], r"years must be integers; \[2020\.0\] are not"),
    (["2020", "2021"], r"years must be integers; \['2020', '2021'\] are not"),
    ([True, 2021], r"years must be integers; \[True\] are not"),
    ([], r"a panel needs at least two years; \[\] was given"),
    ([2020], r"a panel needs at least two years; \[2020\] was given"),
    (2020, r"years must be an iterable of integer years"),
    ("2020", r"years must be an iterable of integer years"),
    ([2021, 2020], r"years must be increasing .* \[2021, 2020\] was given"),
])
def test_bad_years_are_refused(counties, years, message):
    with pytest.raises(InputError, match=message):
        synthetic_panel(counties, years=years)


@pytest.mark.parametrize("seed", [1.5, -1, "x", True, None])
def test_seed_must_be_a_non_negative_integer(counties, seed):
    with pytest.raises(InputError, match=r"seed must be a non-negative integer; "):
        synthetic_panel(counties, years=[2020, 2021], seed=seed)


def test_core_must_be_boolean_and_complete(counties):
    text = counties.assign(core=counties["core"].map({True: "True", False: "False"}))
    with pytest.raises(InputError, match=r"'core' column must be boolean.*values \['True', "
                                         r"'False'\]"):
        synthetic_panel(text, years=[2020, 2021])
    gaps = counties.assign(core=counties["core"].astype(object))
    gaps.loc[gaps.index[4], "core"] = None
    with pytest.raises(MissingDataError, match=rf"'core' column has missing values at ids "
                                               rf"\['{gaps.index[4]}'\]"):
        synthetic_panel(gaps, years=[2020, 2021])
    ones = counties.assign(core=counties["core"].astype(int))
    pd.testing.assert_frame_equal(
        synthetic_panel(ones, years=[2020, 2021]).drop(columns="core"),
        synthetic_panel(counties, years=[2020, 2021]).drop(columns="core"))


def test_truth_is_checked_against_the_default_shape(counties):
    # QA: truth={"tfp": {}} raised a bare KeyError: 'rho'.
    import copy

    from spatialflow.datasets import DEFAULT_TRUTH

    with pytest.raises(InputError, match=r"truth\['tfp'\]\['rho'\] must be a finite number; "
                                         r"None was given.*truth\['income_gap'\] is missing"):
        synthetic_panel(counties, years=[2020, 2021], truth={"tfp": {}})
    bad = copy.deepcopy(DEFAULT_TRUTH)
    bad["tfp"]["rho"] = 1.2
    bad["income_gap"]["gamma"].pop("land_flow")
    with pytest.raises(InputError, match=r"'rho'\] must lie in \(-1, 1\); 1\.2.*"
                                         r"\['gamma'\] needs a number for \['land_flow'\]"):
        synthetic_panel(counties, years=[2020, 2021], truth=bad)
    ok = copy.deepcopy(DEFAULT_TRUTH)
    ok["tfp"]["rho"] = 0.5
    assert synthetic_panel(counties, years=[2020, 2021], truth=ok).attrs["truth"]["tfp"]["rho"] == 0.5
