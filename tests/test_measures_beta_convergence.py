"""beta_convergence: hand-derived speed and half-life, parity with statsmodels and with the
package's own spatial fits of the growth regression, panel growth, typed errors."""
import libpysal
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from spatialflow.exceptions import (
    InputError,
    MissingDataError,
    ModelSpecificationError,
    NonPositiveLevelError,
    PeriodNotFoundError,
    UndefinedSpeedWarning,
)
from spatialflow.measures import beta_convergence, speed_and_half_life
from spatialflow.models import OLS, SAR, SDM, SEM

#: two evaluations of the same closed form
RTOL_EXACT = 1e-12
#: the same estimator run twice on the same numbers
RTOL_SAME = 1e-10
#: statsmodels' QR-based least squares against the package's: round-off only
RTOL_LSTSQ = 1e-9


def _exact(beta=-0.02, T=10, alpha=0.1):
    """Four units whose growth is exactly alpha + beta log y0 over T years."""
    y0 = np.array([1.0, 2.0, 4.0, 8.0])
    y1 = y0 * np.exp(T * (alpha + beta * np.log(y0)))
    return pd.DataFrame({"code": [*"abcd", *"abcd"], "year": [2000] * 4 + [2000 + T] * 4,
                         "income": [*y0, *y1]})


@pytest.fixture(scope="module")
def lattice():
    w = libpysal.weights.lat2W(6, 6)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def panel(lattice):
    rng = np.random.default_rng(7)
    n = len(lattice.id_order)
    ly = rng.normal(1.0, 0.5, n)
    rows = []
    for t in range(5):
        x = rng.normal(size=n)
        rows += [dict(code=i, year=2000 + 2 * t, income=np.exp(v), x=xi)
                 for i, v, xi in zip(lattice.id_order, ly, x)]
        ly = ly + 2 * (0.05 - 0.03 * ly + 0.01 * x + rng.normal(0, 0.05, n))
    # rows shuffled: everything must meet by (id, year), never by position
    return pd.DataFrame(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)


def test_hand_derived_speed_and_half_life():
    r = beta_convergence(_exact(), "income")
    # growth = 0.1 - 0.02 log y0 exactly; lambda = -log(1 - 0.2)/10, h = log 2 / lambda
    lam = -np.log(0.8) / 10
    np.testing.assert_allclose(r.beta, -0.02, rtol=RTOL_LSTSQ)
    np.testing.assert_allclose(r.speed, lam, rtol=RTOL_LSTSQ)
    np.testing.assert_allclose(r.half_life, np.log(2) / lam, rtol=RTOL_LSTSQ)
    np.testing.assert_allclose([lam, np.log(2) / lam], [0.022314355131420976,
                                                        31.062837195053895], rtol=RTOL_EXACT)
    assert r.span == 10 and r.start == 2000 and r.end == 2010 and not r.conditional


def test_delta_method_matches_numerical_derivative():
    beta, se, T = -0.031, 0.004, 12.0
    r = speed_and_half_life(beta, se, T)
    h = 1e-7
    speed = lambda b: -np.log(1 + b * T) / T  # noqa: E731
    d_speed = (speed(beta + h) - speed(beta - h)) / (2 * h)
    d_half = (np.log(2) / speed(beta + h) - np.log(2) / speed(beta - h)) / (2 * h)
    # central differences: truncation error O(h^2) relative to the derivative
    np.testing.assert_allclose(r["speed_std_error"], abs(d_speed) * se, rtol=1e-6)
    np.testing.assert_allclose(r["half_life_std_error"], abs(d_half) * se, rtol=1e-6)


def test_no_convergence_warns_and_leaves_half_life_undefined():
    with pytest.warns(UndefinedSpeedWarning, match="no beta-convergence"):
        r = speed_and_half_life(0.01, 0.002, 10)
    assert r["speed"] < 0 and np.isnan(r["half_life"]) and np.isnan(r["half_life_std_error"])
    with pytest.warns(UndefinedSpeedWarning, match="undefined"):
        r = speed_and_half_life(-0.2, 0.01, 10)
    assert np.isnan(r["speed"])


def test_ols_equals_statsmodels_on_hand_built_growth(panel):
    before = panel.copy()
    r = beta_convergence(panel, "income", controls=["x"])
    pd.testing.assert_frame_equal(panel, before)           # the user's frame is untouched
    wide = panel.pivot(index="code", columns="year", values="income")
    g = (np.log(wide[2008]) - np.log(wide[2000])) / 8
    x0 = panel[panel["year"] == 2000].set_index("code")["x"].reindex(wide.index)
    X = sm.add_constant(pd.DataFrame({"l": np.log(wide[2000]), "x": x0}))
    ref = sm.OLS(g, X).fit()
    np.testing.assert_allclose(r.beta, ref.params["l"], rtol=RTOL_LSTSQ)
    np.testing.assert_allclose(r.bse["beta"], ref.bse["l"], rtol=RTOL_LSTSQ)
    assert r.conditional and r.controls == ("x",)


@pytest.mark.parametrize("kind, cls", [("SAR", SAR), ("SEM", SEM), ("SDM", SDM)])
def test_spatial_versions_equal_the_package_fit_of_the_growth_regression(panel, lattice,
                                                                        kind, cls):
    r = beta_convergence(panel, "income", w=lattice, model=kind)
    # units in the data's order of first appearance, as beta_convergence keeps them
    wide = panel.pivot(index="code", columns="year", values="income").reindex(
        pd.unique(panel["code"]))
    y = ((np.log(wide[2008]) - np.log(wide[2000])) / 8).rename("growth")
    X = pd.DataFrame({"log_initial": np.log(wide[2000])})
    ref = cls(y, X, lattice).fit()
    pd.testing.assert_series_equal(r.model.params, ref.params, rtol=RTOL_SAME)
    pd.testing.assert_series_equal(r.model.bse, ref.bse, rtol=RTOL_SAME)
    np.testing.assert_allclose(r.beta, ref.params["log_initial"], rtol=RTOL_SAME)
    lam = -np.log(1 + r.beta * 8) / 8
    np.testing.assert_allclose(r.speed, lam, rtol=RTOL_EXACT)
    np.testing.assert_allclose(r.bse["speed"], ref.bse["log_initial"] / (1 + r.beta * 8),
                               rtol=RTOL_SAME)


def test_panel_growth_with_unit_effects_equals_dummy_ols(panel, lattice):
    r = beta_convergence(panel, "income", w=lattice, effects="unit")
    assert r.span == 2 and r.effects == "unit"
    g = r.growth
    # the panel growth definition: consecutive periods, divided by their spacing
    wide = panel.pivot(index="code", columns="year", values="income")
    row = g[(g["code"] == 5) & (g["year"] == 2004)].iloc[0]
    np.testing.assert_allclose(row["growth"], (np.log(wide.loc[5, 2006])
                                               - np.log(wide.loc[5, 2004])) / 2, rtol=RTOL_EXACT)
    assert len(g) == 36 * 4
    D = pd.get_dummies(g["code"], dtype=float)
    ref = sm.OLS(g["growth"], pd.concat([g[["log_initial"]], D], axis=1)).fit()
    np.testing.assert_allclose(r.beta, ref.params["log_initial"], rtol=RTOL_LSTSQ)


def test_panel_spatial_equals_package_panel_fit(panel, lattice):
    r = beta_convergence(panel, "income", w=lattice, model="SAR", effects="twoway")
    g = r.growth
    ref = SAR(g["growth"], g[["log_initial"]], lattice, data=g, id="code", time="year",
              effects="twoway").fit()
    pd.testing.assert_series_equal(r.model.params, ref.params, rtol=RTOL_SAME)


def test_ols_without_w_and_to_frame(panel):
    row = beta_convergence(panel, "income", start=2002, end=2006).to_frame().iloc[0]
    assert row["span"] == 4 and row["n"] == 36 and row["model"] == "OLS"
    assert isinstance(OLS, type)


def test_errors_name_the_culprits(panel, lattice):
    bad = panel.copy()
    bad.loc[(bad["code"] == 3) & (bad["year"] == 2000), "income"] = 0.0
    with pytest.raises(NonPositiveLevelError, match=r"\(3, 2000\)"):
        beta_convergence(bad, "income")
    with pytest.raises(PeriodNotFoundError, match="start=1999"):
        beta_convergence(panel, "income", start=1999)
    short = panel.drop(panel.index[(panel["code"] == 7) & (panel["year"] == 2008)])
    with pytest.raises(PeriodNotFoundError, match=r"no row in period 2008.*\[7\]"):
        beta_convergence(short, "income")
    gap = panel.copy()
    gap.loc[(gap["code"] == 4) & (gap["year"] == 2000), "x"] = np.nan
    with pytest.raises(MissingDataError, match=r"'x'.*\(4, 2000\)"):
        beta_convergence(gap, "income", controls="x")
    with pytest.raises(ModelSpecificationError, match="needs w="):
        beta_convergence(panel, "income", model="SDM")
    with pytest.raises(ModelSpecificationError, match="effects='unit'.*need w="):
        beta_convergence(panel, "income", effects="unit")
    uneven = panel[panel["year"] != 2004]
    with pytest.raises(InputError, match="equally spaced"):
        beta_convergence(uneven, "income", w=lattice, effects="unit")
    with pytest.raises(InputError, match="model must be one of"):
        beta_convergence(panel, "income", model="GWR")
