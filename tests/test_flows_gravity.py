"""The gravity baseline: two maintained engines behind one API agree; zero flows are handled
as documented."""
import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import InputError, MissingValueWarning
from spatialflow.flows.gravity import gravity

RTOL_ENGINES = 1e-6  # both stop IRLS / solve at <= 1e-8


@pytest.fixture(scope="module")
def pairs():
    rng = np.random.default_rng(0)
    n = 12
    xy = rng.uniform(size=(n, 2))
    o, d = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    dist = np.hypot(*(xy[o] - xy[d]).T)
    mu = np.exp(1.0 + rng.normal(size=n)[o] * 0.3 + rng.normal(size=n)[d] * 0.3 - 2.0 * dist)
    return pd.DataFrame({"orig": o, "dest": d, "dist": dist, "flow": rng.poisson(mu)})


@pytest.mark.slow  # importing pyfixest (numba) takes ~10 s
@pytest.mark.parametrize("method", ["ppml", "ols"])
def test_engines_agree(pairs, method):
    pytest.importorskip("pyfixest", reason="the pyfixest engine of gravity() needs pyfixest (test and flows extras)")
    with pytest.warns(MissingValueWarning) if method == "ols" else _nothing():
        a = gravity(pairs, "flow", ["dist"], method=method, engine="statsmodels")
    with pytest.warns(MissingValueWarning) if method == "ols" else _nothing():
        b = gravity(pairs, "flow", ["dist"], method=method, engine="pyfixest")
    np.testing.assert_allclose(a.params, b.params, rtol=RTOL_ENGINES)
    assert a.nobs == b.nobs


def test_ppml_keeps_zero_flows_and_ols_drops_them(pairs):
    zeros = int((pairs["flow"] == 0).sum())
    assert zeros > 0
    ppml = gravity(pairs, "flow", "dist")
    assert ppml.nobs == len(pairs) and ppml.params["dist"] < 0
    with pytest.warns(MissingValueWarning, match=f"drops {zeros} pair"):
        ols = gravity(pairs, "flow", "dist", method="ols")
    assert ols.nobs == len(pairs) - zeros and ols.dropped == zeros


def test_gravity_bad_input(pairs):
    with pytest.raises(InputError, match=r"\['nope'\]"):
        gravity(pairs, "flow", ["nope"])
    with pytest.raises(InputError, match="non-negative"):
        gravity(pairs.assign(flow=-pairs["flow"] - 1), "flow", ["dist"])
    with pytest.raises(InputError, match="'probit'"):
        gravity(pairs, "flow", ["dist"], method="probit")


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
