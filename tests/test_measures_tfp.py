"""Perpetual-inventory capital, Solow-residual TFP, DEA and the Malmquist index.

The DEA and Malmquist reference values are derived analytically here (no published table is
quoted): for the two-input example the frontier is drawn by hand and the radial contraction
solved exactly; for the one-input/one-output Malmquist case under CRS, the Shephard distance
function is D^s(x, y) = (y/x) / max_j (y_j^s / x_j^s), so tfpch is the unit's own productivity
growth, techch is the growth of the best productivity and effch their ratio (Färe, Grosskopf,
Norris & Zhang 1994, AER 84(1), decomposition M = EC x TC).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import (
    CollinearityError,
    InadmissibleEstimateError,
    InputError,
    MissingDataError,
    PanelError,
    UnbalancedPanelError,
)
from spatialflow.measures import (
    DEFAULT_DEPRECIATION,
    capital_stock,
    dea_efficiency,
    malmquist,
    solow_tfp,
)

RTOL = 1e-12
LP_RTOL = 1e-8  # HiGHS solves to ~1e-9 primal/dual feasibility


def test_capital_stock_steady_state_with_deflator():
    # Nominal investment grows only with prices: real investment is constant (100), so g = 0
    # and K0 = 100 / (0 + 0.096) is already the steady state K = I / delta.
    df = pd.DataFrame({"id": ["u"] * 3, "year": [2000, 2001, 2002],
                       "inv": [100.0, 110.0, 121.0], "p": [100.0, 110.0, 121.0]})
    k = capital_stock(df, investment="inv", deflator="p", price_base=100.0, id="id", time="year")
    np.testing.assert_allclose(k.to_numpy(), np.full(3, 100 / DEFAULT_DEPRECIATION), rtol=RTOL)
    assert DEFAULT_DEPRECIATION == 0.096


def test_capital_stock_growth_rule_and_row_order_preserved():
    df = pd.DataFrame({"id": ["v", "u", "v", "u"], "year": [2001, 2001, 2000, 2000],
                       "inv": [121.0, 50.0, 100.0, 50.0]}, index=[10, 11, 12, 13])
    k = capital_stock(df, investment="inv", id="id", time="year", delta=0.1)
    # v: g = 121/100 - 1 = 0.21; K0 = 100/0.31; K1 = 0.9 K0 + 121. u: g = 0: K = 500.
    k0 = 100 / 0.31
    expected = pd.Series([0.9 * k0 + 121, 500.0, k0, 500.0], index=[10, 11, 12, 13])
    np.testing.assert_allclose(k.to_numpy(), expected.to_numpy(), rtol=RTOL)
    assert list(k.index) == [10, 11, 12, 13]


def test_capital_stock_bad_input():
    df = pd.DataFrame({"id": [1, 1, 1], "year": [2000, 2001, 2003], "inv": [1.0, 2.0, 3.0]})
    with pytest.raises(PanelError, match=r"units with gaps: \[1\]"):
        capital_stock(df, investment="inv", id="id", time="year")
    bad = df.assign(year=[2000, 2001, 2002], inv=[1.0, -2.0, 3.0])
    with pytest.raises(InputError, match=r"\(1, 'inv'\)"):
        capital_stock(bad, investment="inv", id="id", time="year")
    with pytest.raises(MissingDataError, match=r"\(2, 'inv'\)"):
        capital_stock(bad.assign(inv=[1.0, 2.0, np.nan]), investment="inv", id="id", time="year")
    with pytest.raises(InputError, match="delta must lie in"):
        capital_stock(bad.assign(inv=1.0), investment="inv", id="id", time="year", delta=1.5)


def test_solow_residual_given_and_estimated_alpha():
    rng = np.random.default_rng(3)
    k, l = rng.lognormal(3, 1, 40), rng.lognormal(2, 1, 40)
    y = 2.5 * k**0.35 * l**0.65  # exact Cobb-Douglas, A = 2.5
    df = pd.DataFrame({"Y": y, "K": k, "L": l})
    given = solow_tfp(df, output="Y", capital="K", labour="L", alpha=0.35)
    np.testing.assert_allclose(given.tfp.to_numpy(), np.full(40, 2.5), rtol=1e-12)
    est = solow_tfp(df, output="Y", capital="K", labour="L")
    assert est.estimated and est.alpha == pytest.approx(0.35, rel=1e-10)
    np.testing.assert_allclose(est.ln_tfp.to_numpy(), np.full(40, np.log(2.5)), rtol=1e-10)
    with pytest.raises(InputError, match=r"\(0, 'L'\)"):
        solow_tfp(df.assign(L=np.r_[0.0, l[1:]]), output="Y", capital="K", labour="L")


def test_solow_alpha_not_identified_when_capital_is_proportional_to_labour():
    # QA: K = 3 L gave an arbitrary alpha (0.81 or 0.32, depending on rounding noise).
    rng = np.random.default_rng(5)
    l = rng.lognormal(2, 1, 30)
    df = pd.DataFrame({"Y": rng.lognormal(4, 1, 30), "K": 3.0 * l, "L": l})
    with pytest.raises(CollinearityError,
                       match=r"alpha is not identified: capital 'K' is proportional to labour "
                             r"'L' \(K/L = 3 in every row\)"):
        solow_tfp(df, output="Y", capital="K", labour="L")
    # A given alpha needs no identification.
    assert solow_tfp(df, output="Y", capital="K", labour="L", alpha=0.4).alpha == 0.4


def test_solow_estimated_alpha_outside_unit_interval_is_refused_like_a_given_one():
    # Output elasticity 3 in K/L: the estimate (3) is refused as alpha=1.2 is.
    rng = np.random.default_rng(7)
    k, l = rng.lognormal(3, 1, 40), rng.lognormal(2, 1, 40)
    df = pd.DataFrame({"Y": l * (k / l) ** 3.0 * rng.lognormal(0, 0.01, 40), "K": k, "L": l})
    with pytest.raises(InadmissibleEstimateError,
                       match=r"estimated alpha = 3\.00\d* \(SE .*\) lies outside \(0, 1\)"):
        solow_tfp(df, output="Y", capital="K", labour="L")
    with pytest.raises(InputError, match=r"alpha must be a number in \(0, 1\).*1\.2 was given"):
        solow_tfp(df, output="Y", capital="K", labour="L", alpha=1.2)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, np.nan, True, "0.3"])
def test_solow_given_alpha_must_be_in_open_unit_interval(alpha):
    df = pd.DataFrame({"Y": [1.0, 2.0], "K": [1.0, 3.0], "L": [1.0, 1.5]})
    with pytest.raises(InputError, match=r"alpha must be a number in \(0, 1\)"):
        solow_tfp(df, output="Y", capital="K", labour="L", alpha=alpha)


TWO_INPUT = pd.DataFrame(
    {"x1": [4, 7, 8, 4, 2, 10.0], "x2": [3, 3, 1, 2, 4, 1.0], "y": [1.0] * 6}, index=list("ABCDEF")
)


def test_dea_two_input_hand_solved():
    # Frontier (unit isoquant) E(2,4) - D(4,2) - C(8,1). A's ray (4t, 3t) meets D-E at t = 6/7;
    # B's ray (7t, 3t) meets D-C at t = 12/19. F(10,1) lies on C's horizontal extension: 1.
    eff = dea_efficiency(TWO_INPUT, inputs=["x1", "x2"], outputs=["y"])
    np.testing.assert_allclose(eff.to_numpy(), [6 / 7, 12 / 19, 1, 1, 1, 1], rtol=LP_RTOL)
    out = dea_efficiency(TWO_INPUT, inputs=["x1", "x2"], outputs=["y"], orientation="output")
    np.testing.assert_allclose(out.to_numpy(), eff.to_numpy(), rtol=LP_RTOL)  # CRS: same
    assert list(eff.index) == list("ABCDEF")


def test_dea_vrs_and_orientation_one_input():
    df = pd.DataFrame({"x": [2.0, 4.0, 6.0, 8.0], "y": [1.0, 3.0, 4.0, 4.0]})
    crs = dea_efficiency(df, inputs=["x"], outputs=["y"])
    # CRS: (y/x) / max(y/x) with max = 3/4.
    np.testing.assert_allclose(crs.to_numpy(), [2 / 3, 1, 8 / 9, 2 / 3], rtol=LP_RTOL)
    vrs_in = dea_efficiency(df, inputs=["x"], outputs=["y"], returns="vrs")
    # VRS hull (2,1)-(4,3)-(6,4): unit 4 needs only x = 6 for y = 4.
    np.testing.assert_allclose(vrs_in.to_numpy(), [1, 1, 1, 0.75], rtol=LP_RTOL)
    vrs_out = dea_efficiency(df, inputs=["x"], outputs=["y"], returns="vrs", orientation="output")
    np.testing.assert_allclose(vrs_out.to_numpy(), [1, 1, 1, 1], rtol=LP_RTOL)


def test_dea_random_in_unit_interval_with_frontier():
    rng = np.random.default_rng(7)
    df = pd.DataFrame(rng.uniform(1, 10, size=(25, 3)), columns=["k", "l", "gdp"])
    for returns in ("crs", "vrs"):
        eff = dea_efficiency(df, inputs=["k", "l"], outputs=["gdp"], returns=returns)
        assert (eff > 0).all() and (eff <= 1).all()
        assert np.isclose(eff.max(), 1.0, rtol=LP_RTOL)
    # With one input and one output the CRS frontier is the best ratio y/x: exact values.
    single = dea_efficiency(df, inputs=["k"], outputs=["gdp"])
    ratio = df["gdp"] / df["k"]
    np.testing.assert_allclose(single.to_numpy(), (ratio / ratio.max()).to_numpy(), rtol=LP_RTOL)


def test_dea_rejects_nonpositive():
    with pytest.raises(InputError, match=r"\('B', 'x1'\)"):
        dea_efficiency(TWO_INPUT.assign(x1=[4, -7, 8, 4, 2, 10.0]),
                       inputs=["x1", "x2"], outputs=["y"])


def _malmquist_panel():
    return pd.DataFrame({
        "id": ["a", "b", "c"] * 2, "t": [0] * 3 + [1] * 3,
        "x": [1.0, 2.0, 4.0, 1.0, 2.0, 4.0], "y": [1.0, 3.0, 2.0, 2.0, 3.0, 4.0],
    })


def test_malmquist_single_input_analytic():
    res = malmquist(_malmquist_panel(), inputs=["x"], outputs=["y"], id="id", time="t")
    # productivity p0 = (1, 1.5, .5), max 1.5; p1 = (2, 1.5, 1), max 2.
    np.testing.assert_allclose(res["tfpch"].to_numpy(), [2.0, 1.0, 2.0], rtol=LP_RTOL)
    np.testing.assert_allclose(res["techch"].to_numpy(), np.full(3, 4 / 3), rtol=LP_RTOL)
    np.testing.assert_allclose(res["effch"].to_numpy(), [1.5, 0.75, 1.5], rtol=LP_RTOL)
    assert res["id"].tolist() == ["a", "b", "c"] and res["period"].tolist() == [1, 1, 1]


def test_malmquist_vrs_split_identity():
    rng = np.random.default_rng(11)
    n, periods = 8, [2019, 2020, 2021]
    df = pd.DataFrame({
        "id": np.tile(np.arange(n), 3), "year": np.repeat(periods, n),
        "k": rng.uniform(1, 5, 3 * n), "l": rng.uniform(1, 5, 3 * n),
        "gdp": rng.uniform(1, 5, 3 * n),
    })
    res = malmquist(df, inputs=["k", "l"], outputs=["gdp"], id="id", time="year", returns="vrs")
    assert len(res) == 2 * n
    np.testing.assert_allclose(res["tfpch"], res["effch"] * res["techch"], rtol=RTOL)
    np.testing.assert_allclose(res["effch"], res["pech"] * res["sech"], rtol=RTOL)
    crs = malmquist(df, inputs=["k", "l"], outputs=["gdp"], id="id", time="year",
                    orientation="output")
    np.testing.assert_allclose(crs["tfpch"], res["tfpch"], rtol=LP_RTOL)


def test_malmquist_unbalanced_panel_raises():
    df = _malmquist_panel().iloc[:-1]
    with pytest.raises(UnbalancedPanelError, match=r"incomplete units: \['c'\]"):
        malmquist(df, inputs=["x"], outputs=["y"], id="id", time="t")


@pytest.mark.parametrize("returns", ["crs", "vrs"])
@pytest.mark.parametrize("orientation", ["input", "output"])
def test_stacked_lp_matches_one_lp_per_unit(returns, orientation):
    """Method parity: the block-diagonal batch equals solving each unit's LP alone."""
    from spatialflow.measures.dea import _farrell, _farrell_batch

    rng = np.random.default_rng(19)
    x, y = rng.uniform(1, 9, size=(2, 15)), rng.uniform(1, 9, size=(2, 15))
    xr, yr = rng.uniform(1, 9, size=(2, 12)), rng.uniform(1, 9, size=(2, 12))
    vrs = returns == "vrs"
    batch = _farrell_batch(x, y, xr, yr, vrs=vrs, orientation=orientation)
    single = [_farrell(x[:, o], y[:, o], xr, yr, vrs=vrs, orientation=orientation)
              for o in range(15)]
    np.testing.assert_allclose(batch, single, rtol=LP_RTOL, equal_nan=True)


@pytest.mark.parametrize("option, value, message", [
    ("delta", "0.1", r"delta must lie in \(0, 1\); '0\.1' was given"),
    ("price_base", "1", r"price_base must be > 0; '1' was given"),
    ("growth", "0.1", r"growth must be None, a number or a Series indexed by unit id; '0\.1'"),
])
def test_capital_stock_options_must_be_numbers(option, value, message):
    # QA: delta="0.1" and price_base="1" raised raw TypeErrors; growth="0.1" was accepted.
    df = pd.DataFrame({"id": [1, 1], "year": [2000, 2001], "inv": [10.0, 11.0]})
    with pytest.raises(InputError, match=message):
        capital_stock(df, investment="inv", id="id", time="year", **{option: value})


def test_solow_columns_must_be_distinct():
    # QA: output=capital=labour raised a raw TypeError from pandas.
    df = pd.DataFrame({"Y": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match=r"production columns must be distinct; \['Y'\]"):
        solow_tfp(df, output="Y", capital="Y", labour="Y")


def test_dea_single_input_name_is_one_column():
    df = pd.DataFrame({"xy": [1.0, 2.0], "x": [5.0, 1.0], "y": [1.0, 1.0], "out": [1.0, 1.0]})
    np.testing.assert_allclose(
        dea_efficiency(df, inputs="xy", outputs="out").to_numpy(), [1.0, 0.5], rtol=LP_RTOL)
