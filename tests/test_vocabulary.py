"""One vocabulary (docs/design.md, "Vocabulary"): fitted results of every family -- SAR,
an SDM panel, a random-effects panel, flows and their gravity baseline, a spatial DiD,
beta-convergence and convergence clubs -- are walked, and every result attribute and every
data column is checked against the one set of words; every old name still reads, warns
:class:`RenamedAttributeWarning` and equals its new spelling."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

import spatialflow as sf
from spatialflow import _vocabulary as vocab
from spatialflow.causal import SpatialDiD, SpatialDiDSimulator
from spatialflow.exceptions import RenamedAttributeWarning, RenamedOptionWarning
from spatialflow.flows import FlowModel
from spatialflow.flows.gravity import gravity
from spatialflow.flows.simulate import simulate_flows
from spatialflow.measures import beta_convergence, convergence_clubs, log_t_test, solow_tfp
from spatialflow.measures.geodetector import risk_detector
from spatialflow.montecarlo import DRAW_COLUMNS, TABLE_COLUMNS
from spatialflow.report.deficits import ols_trend

# Attribute names that are not in the vocabulary (a result speaks statsmodels: bse, pvalues;
# a single test: statistic, pvalue; a named scalar: <name>_std_error).
BAD_ATTRIBUTE_NAMES = {"se", "p", "p_value", "pval", "std_error", "stderr", "std_err", "t", "z",
                       "zvalues", "pvals", "std_errors"}
BAD_ATTRIBUTE_SUFFIXES = ("_se", "_p", "_z", "_pvalue", "_pval", "_stderr", "_std_err",
                          "_bse")


def _bad_column(name) -> bool:
    name = str(name)
    return name in vocab.FORBIDDEN_NAMES or name.endswith(vocab.FORBIDDEN_SUFFIXES)


def _bad_attribute(name: str) -> bool:
    return name in BAD_ATTRIBUTE_NAMES or name.endswith(BAD_ATTRIBUTE_SUFFIXES)


def _aliases(obj) -> dict[str, str]:
    """The deprecated properties of ``obj``'s class: old name -> new spelling."""
    out = {}
    for klass in type(obj).__mro__:
        for name, value in vars(klass).items():
            if isinstance(value, property) and hasattr(value.fget, "renamed_to"):
                out[name] = value.fget.renamed_to
    return out


def _public_attributes(obj) -> set[str]:
    names = {n for n in dir(obj) if not n.startswith("_")}
    return names - set(_aliases(obj))


# ------------------------------------------------------------------------------ the fits
@pytest.fixture(scope="module")
def w():
    w = lat2W(5, 5)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def cross_section(w):
    rng = np.random.default_rng(3)
    n = len(w.id_order)
    df = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)}, index=w.id_order)
    df["y"] = 1.0 + df["x"] - 0.5 * df["z"] + rng.normal(size=n)
    return df


@pytest.fixture(scope="module")
def sar(w, cross_section):
    return sf.SAR.from_formula("y ~ x + z", data=cross_section, w=w).fit()


@pytest.fixture(scope="module")
def ols(w, cross_section):
    return sf.OLS.from_formula("y ~ x + z", data=cross_section, w=w).fit()


@pytest.fixture(scope="module")
def long_panel(w):
    rng = np.random.default_rng(5)
    n, T = len(w.id_order), 4
    mu = rng.normal(size=n)
    rows = [dict(id=i, year=2000 + t, x=rng.normal(), u=mu[k])
            for t in range(T) for k, i in enumerate(w.id_order)]
    df = pd.DataFrame(rows)
    df["y"] = df["u"] + 0.8 * df["x"] + rng.normal(size=len(df))
    return df.drop(columns="u")


@pytest.fixture(scope="module")
def sdm_panel(w, long_panel):
    return sf.SDM.from_formula("y ~ x", data=long_panel, w=w, id="id", time="year",
                               effects="unit").fit()


@pytest.fixture(scope="module")
def re_panel(w, long_panel):
    return sf.SAR.from_formula("y ~ x", data=long_panel, w=w, id="id", time="year",
                               effects="random").fit()


@pytest.fixture(scope="module")
def flow():
    wf = lat2W(3, 3)
    wf.transform = "r"
    sim = simulate_flows(wf, seed=0)
    res = FlowModel.from_formula("y ~ O_(x) + D_(x) + I_(x) + P_(dist)", sim.nodes, sim.pairs,
                                 wf).fit()
    return res, res.effects("x", draws=50, seed=0)


@pytest.fixture(scope="module")
def grav():
    rng = np.random.default_rng(0)
    n = 8
    xy = rng.uniform(size=(n, 2))
    o, d = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    dist = np.hypot(*(xy[o] - xy[d]).T)
    pairs = pd.DataFrame({"orig": o, "dest": d, "dist": dist,
                          "flow": rng.poisson(np.exp(2.0 - 2.0 * dist))})
    return gravity(pairs, "flow", "dist")


@pytest.fixture(scope="module")
def did():
    wd = lat2W(5, 5)
    wd.transform = "r"
    data = SpatialDiDSimulator(wd, T=6, start=2001, seed=4, share_treated=0.4).draw(seed=1).data
    return SpatialDiD.from_formula("y ~ x", data, wd, id="id", time="year",
                                   treatment="D").fit()


@pytest.fixture(scope="module")
def growth_panel(w):
    rng = np.random.default_rng(7)
    n = len(w.id_order)
    ly = rng.normal(1.0, 0.5, n)
    rows = []
    for t in range(12):
        rows += [dict(code=i, year=2000 + t, income=np.exp(v)) for i, v in zip(w.id_order, ly)]
        ly = ly + 0.05 - 0.03 * ly + rng.normal(0, 0.02, n)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def conv(growth_panel):
    return beta_convergence(growth_panel, "income", start=2000, end=2011)


@pytest.fixture(scope="module")
def clubs(growth_panel):
    return convergence_clubs(growth_panel, "income")


@pytest.fixture(scope="module")
def solow():
    df = pd.DataFrame({"Y": [10.0, 12.0, 15.0, 11.0, 20.0, 18.0],
                       "K": [20.0, 25.0, 33.0, 21.0, 45.0, 40.0],
                       "L": [5.0, 5.5, 6.0, 5.2, 7.0, 6.5]})
    return solow_tfp(df, output="Y", capital="K", labour="L")


# ------------------------------------------------------------------------------ walks
def _frames(sar, ols, sdm_panel, flow, grav, did, conv, clubs, w, cross_section):
    """Every data frame of the fits, named for the failure message."""
    groups = pd.Series(["a"] * 12 + ["b"] * 13, index=w.id_order)
    sc = sar.scenario(pd.DataFrame({"x": 1.0}, index=w.id_order[:5]), n_draws=50, seed=0)
    res_flow, flow_eff = flow
    es = did.event_study(leads=2, lags=2, method="delta")
    rows = pd.DataFrame({g: ols_trend(np.arange(5.0), np.arange(5.0) ** 1.5)
                         for g in ("a",)}).T
    return {
        "SAR tidy": sar.tidy(),
        "SAR effects": sar.effects(n_draws=50, seed=0),
        "SAR effects, delta": sar.effects(method="delta"),
        "SAR effects, tidy": sar.effects(n_draws=50, seed=0, tidy=True),
        "SAR blocks": sar.effects(n_draws=50, seed=0, partition=groups),
        "SAR unit effects": sar.unit_effects(n_draws=50, seed=0),
        "SAR scenario": sc.units,
        "SAR scenario by group": sc.by(groups),
        "LM tests": sf.lm_tests(ols),
        "Wald test": sar.wald_test("x = 0").to_series().to_frame().T,
        "SDM panel effects": sdm_panel.effects(n_draws=50, seed=0),
        "SDM panel tidy": sdm_panel.tidy(),
        "flow effects": flow_eff.table,
        "gravity": grav.summary_frame(),
        "DiD effects": did.effects(method="delta"),
        "DiD event study": es.table,
        "convergence": conv.to_frame(),
        "clubs": clubs.tests,
        "risk detector": risk_detector(cross_section["y"],
                                       (cross_section["x"] > 0).rename("hi")),
        "trend": rows,
        "Monte Carlo": pd.DataFrame(columns=DRAW_COLUMNS + TABLE_COLUMNS),
    }


def test_no_column_outside_the_vocabulary(sar, ols, sdm_panel, flow, grav, did, conv, clubs,
                                          w, cross_section):
    frames = _frames(sar, ols, sdm_panel, flow, grav, did, conv, clubs, w, cross_section)
    bad = {k: [c for c in f.columns if _bad_column(c)] for k, f in frames.items()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"columns outside the vocabulary: {bad}"
    # the tidy words themselves, where a frame has inference
    for key in ("SAR tidy", "SAR effects, tidy", "DiD effects", "gravity", "SDM panel tidy"):
        assert set(vocab.TIDY_COLUMNS) <= set(frames[key].columns), key
    # wide frames: every column is a quantity or quantity + one of the suffixes
    wide = frames["SAR effects"]
    assert list(wide.columns) == [vocab.wide(e, s) for s, _ in vocab.WIDE_SUFFIXES
                                  for e in ("direct", "indirect", "total")]
    np.testing.assert_allclose(wide["total_statistic"], wide["total"] / wide["total_std_error"],
                               rtol=1e-12)


def test_results_speak_statsmodels(sar, sdm_panel, re_panel, flow, grav, did, conv):
    for label, res in {"SAR": sar, "SDM panel": sdm_panel, "RE panel": re_panel,
                       "flows": flow[0], "gravity": grav, "DiD": did,
                       "convergence": conv}.items():
        bad = sorted(n for n in _public_attributes(res) if _bad_attribute(n))
        assert not bad, f"{label}: attributes outside the vocabulary {bad}"
        params, bse = res.params, res.bse
        pd.testing.assert_index_equal(bse.index, params.index)
        pd.testing.assert_index_equal(res.pvalues.index, params.index)
        ci = res.conf_int(0.9)
        assert list(ci.columns) == ["lower", "upper"], label
        finite = res.pvalues.dropna()
        assert len(finite) and ((finite >= 0) & (finite <= 1)).all(), label
        t = res.tvalues.dropna()
        np.testing.assert_allclose(t, (params / bse)[t.index], rtol=1e-10, err_msg=label)
        assert (ci["lower"] < params).all() and (params < ci["upper"]).all(), label
    for label, extra in {"RE panel extra": re_panel.extra}.items():
        bad = sorted(n for n in extra if _bad_attribute(n))
        assert not bad, f"{label}: keys outside the vocabulary {bad}"


def test_single_tests_have_statistic_and_pvalue(sar, clubs, growth_panel):
    for test in (sar.wald_test("x = 0"), clubs.overall,
                 log_t_test(growth_panel, "income")):
        assert np.isfinite(test.statistic) and 0 <= test.pvalue <= 1
        bad = sorted(n for n in _public_attributes(test) if _bad_attribute(n))
        assert not bad, f"{type(test).__name__}: {bad}"


# Every deprecated alias in the package, with an independent reading of its new value.
EXPECTED_ALIASES = {
    ("BetaConvergence", "beta_se"): lambda r: r.model.bse["log_initial"],
    ("BetaConvergence", "speed_se"): lambda r: r.bse["speed"],
    ("BetaConvergence", "half_life_se"): lambda r: r.bse["half_life"],
    ("BetaConvergence", "p_value"): lambda r: r.model.pvalues["log_initial"],
    ("LogTTest", "se"): lambda r: r.bse,
    ("LogTTest", "t"): lambda r: r.b / r.bse,
    ("LogTTest", "p_value"): lambda r: r.pvalue,
    ("SolowResult", "alpha_se"): lambda r: r.alpha_std_error,
    ("FitInfo", "theta_se"): lambda r: r.theta_std_error,
}


def test_old_names_warn_and_equal_the_new(conv, clubs, solow, re_panel):
    objects = [conv, clubs.overall, solow, re_panel.extra]
    found = {(type(o).__name__, old) for o in objects for old in _aliases(o)}
    assert found == set(EXPECTED_ALIASES)
    for obj in objects:
        for old in _aliases(obj):
            with pytest.warns(RenamedAttributeWarning, match=f"{old} is renamed"):
                value = getattr(obj, old)
            expected = EXPECTED_ALIASES[(type(obj).__name__, old)](obj)
            np.testing.assert_allclose(value, expected, rtol=1e-12, err_msg=old)
    # the mapping reading of results.extra keeps the old key too, with the warning
    with pytest.warns(RenamedAttributeWarning):
        assert re_panel.extra["theta_se"] == re_panel.extra["theta_std_error"]
    # a renamed attribute is a renamed option's kin: filters on the older class catch it
    assert issubclass(RenamedAttributeWarning, RenamedOptionWarning)


def test_new_names_do_not_warn(conv, clubs, solow, re_panel):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RenamedAttributeWarning)
        conv.bse, conv.pvalues, conv.to_frame(), clubs.overall.statistic, clubs.overall.bse
        solow.alpha_std_error, re_panel.extra["theta_std_error"], dict(re_panel.extra)
    assert [w for w in caught if issubclass(w.category, RenamedAttributeWarning)] == []
