"""The covariance convention does not change with n (issue 11): observed by default (issue
22: it costs nothing beyond the fit at any n), the expected information on request."""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import InputError

FORMULA = "CRIME ~ INC + HOVAL"
#: The same expected information from eigenvalues and from sparse solves; the two exact
#: log-determinants differ by rounding, so the maximisers (and the SEs at them) differ at the
#: optimiser's tolerance: measured 1.6e-8.
RTOL_SAME_INFORMATION = 1e-7


def _lattice(k, seed=0):
    w = libpysal.weights.lat2W(k, k)
    w.transform = "r"
    rng = np.random.default_rng(seed)
    n = k * k
    df = pd.DataFrame({"x": rng.normal(size=n)}, index=w.id_order)
    W = w.sparse.toarray() if n <= 500 else None
    e = rng.normal(size=n)
    df["y"] = 1 + df["x"] + e if W is None else np.linalg.solve(np.eye(n) - 0.4 * W,
                                                                1 + df["x"] + e)
    return df, w


@pytest.mark.parametrize("cls", [sf.SAR, sf.SEM, sf.SDM])
def test_default_is_observed_whatever_the_strategy(cls):
    df, w = _lattice(20)
    eigen = cls.from_formula("y ~ x", data=df, w=w, logdet="eigen").fit()
    lu = cls.from_formula("y ~ x", data=df, w=w, logdet="lu").fit()
    assert eigen.information == lu.information == "observed"
    np.testing.assert_allclose(lu.bse.to_numpy(), eigen.bse.to_numpy(),
                               rtol=RTOL_SAME_INFORMATION)
    e_eigen = cls.from_formula("y ~ x", data=df, w=w, logdet="eigen").fit(
        information="expected")
    e_lu = cls.from_formula("y ~ x", data=df, w=w, logdet="lu").fit(information="expected")
    assert e_eigen.information == e_lu.information == "expected"
    np.testing.assert_allclose(e_lu.bse.to_numpy(), e_eigen.bse.to_numpy(),
                               rtol=RTOL_SAME_INFORMATION)
    # Two different matrices: the same estimates, different SEs.
    np.testing.assert_allclose(e_eigen.params.to_numpy(), eigen.params.to_numpy(), rtol=1e-12)
    assert not np.allclose(e_eigen.bse.to_numpy(), eigen.bse.to_numpy(), rtol=1e-6)


def test_auto_above_1500_units_keeps_the_observed_information():
    df, w = _lattice(39)  # n = 1521: auto takes the sparse LU log-determinant
    res = sf.SAR.from_formula("y ~ x", data=df, w=w).fit()
    assert res.extra["logdet"] == "lu" and res.information == "observed"
    # Exact tr(G'G) is 1,521 sparse solves here, estimated above 10 fits: it warns first.
    with pytest.warns(sf.exceptions.ExpensiveInformationWarning,
                      match=r"information='observed' \(the default"):
        expected = sf.SAR.from_formula("y ~ x", data=df, w=w).fit(information="expected")
    assert expected.information == "expected"
    np.testing.assert_allclose(expected.params.to_numpy(), res.params.to_numpy(), rtol=1e-12)


def test_observed_on_request_and_lu_observed(columbus):
    df, w = columbus
    a = sf.SDM.from_formula(FORMULA, data=df, w=w).fit(information="observed")
    b = sf.SDM.from_formula(FORMULA, data=df, w=w, logdet="lu-observed").fit()
    assert a.information == b.information == "observed"
    np.testing.assert_allclose(a.bse.to_numpy(), b.bse.to_numpy(), rtol=1e-6)
    with pytest.raises(sf.exceptions.ModelSpecificationError, match="does not provide"):
        sf.SDM.from_formula(FORMULA, data=df, w=w, logdet="lu-observed").fit(
            information="expected")
    with pytest.raises(InputError, match=r"information must be 'expected' or 'observed'; "
                                         r"'hessian' was given"):
        sf.SDM.from_formula(FORMULA, data=df, w=w).fit(information="hessian")


def test_panels_take_the_same_option():
    w = libpysal.weights.lat2W(5, 5)
    w.transform = "r"
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"code": np.tile(w.id_order, 4), "year": np.repeat(np.arange(4), 25),
                       "x": rng.normal(size=100)})
    df["y"] = df["x"] + rng.normal(size=100)
    model = sf.SDM.from_formula("y ~ x", data=df, w=w, id="code", time="year",
                                effects="twoway")
    obs, exp = model.fit(), model.fit(information="expected")
    assert exp.information == "expected" and obs.information == "observed"
    np.testing.assert_allclose(obs.params.to_numpy(), exp.params.to_numpy(), rtol=1e-12)
    assert not np.allclose(obs.bse.to_numpy(), exp.bse.to_numpy(), rtol=1e-10)


def test_dynamic_panels_refuse_an_information_they_do_not_report():
    w = libpysal.weights.lat2W(5, 5)
    w.transform = "r"
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"code": np.tile(w.id_order, 6), "year": np.repeat(np.arange(6), 25),
                       "x": rng.normal(size=150)})
    df["y"] = df["x"] + rng.normal(size=150)
    model = sf.SDM.from_formula("y ~ x", data=df, w=w, id="code", time="year",
                                effects="unit", dynamic="time")
    with pytest.raises(sf.exceptions.ModelSpecificationError,
                       match=r"information='observed' is not available for dynamic panels"):
        model.fit(information="observed")
