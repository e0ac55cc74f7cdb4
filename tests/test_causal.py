"""spatialflow.causal: the SDM/SAR/SDEM-DID, its effects, tests and treatment checks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

from spatialflow.causal import SpatialDiD, SpatialDiDSimulator
from spatialflow.causal.kernel import DiDKernel
from spatialflow.causal.treatment import event_dummies
from spatialflow.exceptions import InputError, ModelSpecificationError, TreatmentError

#: the permutation kernel and the package's fit maximise the same likelihood with the same
#: bounded optimiser (xatol 1e-12); they agree to well below this
KERNEL_RTOL = 1e-6


@pytest.fixture(scope="module")
def lattice():
    w = lat2W(7, 7)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def sim(lattice):
    return SpatialDiDSimulator(lattice, T=8, start=2001, seed=4, share_treated=0.4)


@pytest.fixture(scope="module")
def panel(sim):
    return sim.draw(seed=11).data


@pytest.fixture(scope="module")
def sdm(panel, lattice):
    return SpatialDiD.from_formula("y ~ x", panel, lattice, id="id", time="year",
                                   treatment="D").fit()


def test_effects_contract_and_identity(sdm):
    eff = sdm.effects(method="delta")
    assert list(eff.index) == ["direct", "indirect", "total"]
    assert {"estimate", "std_error", "lower", "upper"} <= set(eff.columns)
    np.testing.assert_allclose(eff.loc["direct", "estimate"] + eff.loc["indirect", "estimate"],
                               eff.loc["total", "estimate"], rtol=1e-12)
    # the same numbers as the package's effects of the regressor D
    ref = sdm.fit.effects(method="delta").loc["D"]
    np.testing.assert_allclose(eff["estimate"].to_numpy(),
                               ref[["direct", "indirect", "total"]].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(eff["std_error"].to_numpy(),
                               ref[["direct_std_error", "indirect_std_error", "total_std_error"]].to_numpy(),
                               rtol=1e-12)
    assert (eff["lower"] < eff["estimate"]).all() and (eff["estimate"] < eff["upper"]).all()


def test_sdm_did_is_the_package_sdm_with_d(panel, lattice, sdm):
    import spatialflow as sf
    ref = sf.SDM.from_formula("y ~ x + D", data=panel, w=lattice, id="id", time="year",
                              effects="twoway").fit()
    np.testing.assert_allclose(sdm.params[ref.params.index].to_numpy(), ref.params.to_numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize("kind", ["SDM", "SAR", "SDEM"])
def test_kernel_reproduces_the_fit(panel, lattice, kind):
    res = SpatialDiD.from_formula("y ~ x", panel, lattice, id="id", time="year",
                                  treatment="D", model=kind).fit()
    kern = DiDKernel.from_results(res.fit, "D", res.fit.model.panel_options.data.W)
    beta, theta, r = kern.params(res.model.paths.stacked())
    spatial = "lambda" if kind == "SDEM" else "rho"
    np.testing.assert_allclose([beta, r], [res.params["D"], res.params[spatial]],
                               rtol=KERNEL_RTOL)
    if kind != "SAR":
        np.testing.assert_allclose(theta, res.params["W_D"], rtol=KERNEL_RTOL)
    eff = res.effects(method="delta")["estimate"]
    np.testing.assert_allclose(pd.Series(kern.effects(res.model.paths.stacked()))[eff.index],
                               eff, rtol=KERNEL_RTOL)


def test_simulator_truth_is_the_target(sim):
    np.testing.assert_allclose(sim.truth[["direct", "indirect", "total"]], [1.0, 0.4, 1.4],
                               rtol=1e-10)
    data = sim.draw(seed=1).data
    assert data.attrs["synthetic"] is True
    # staggered: D is 1{year >= cohort}
    expect = (data["year"] >= data["cohort"].fillna(np.inf)).astype(int)
    assert (data["D"] == expect).all()


def test_cohorts_and_event_dummies(sdm):
    cohorts = sdm.cohorts
    assert "never" in cohorts.index
    paths = sdm.model.paths
    ev = event_dummies(paths, "D", 3, 2)
    assert list(ev.columns) == ["D_m3", "D_m2", "D_p0", "D_p1", "D_p2"]
    # the post indicators add up to D; leads and lags never overlap
    np.testing.assert_array_equal(ev[["D_p0", "D_p1", "D_p2"]].sum(axis=1), paths.stacked())
    assert ev.sum(axis=1).max() == 1


def test_event_study_and_pretrend(sdm):
    es = sdm.event_study(leads=3, lags=2, method="delta")
    assert sorted(es.table["event_time"].unique()) == [-3, -2, 0, 1, 2]
    # leads and their spatial lags: 2 leads x (D, W D)
    assert es.pretrend.df == 4
    assert 0 <= es.pretrend.pvalue <= 1
    pre = sdm.pretrend_test(leads=3)
    assert pre.df == 4 and pre.pvalue > 0.01  # simulated without anticipation


def test_pretrend_detects_anticipation(sim, lattice):
    data = sim.draw(seed=5).data.copy()
    lead = (data["year"] == data["cohort"] - 1)  # an effect one year before adoption
    data.loc[lead, "y"] += 1.5
    res = SpatialDiD.from_formula("y ~ x", data, lattice, id="id", time="year",
                                  treatment="D").fit()
    assert res.pretrend_test(leads=2).pvalue < 1e-3


def test_cluster_and_driscoll_kraay(panel, lattice, sdm):
    model = SpatialDiD.from_formula("y ~ x", panel, lattice, id="id", time="year", treatment="D")
    for cov in ("cluster", "driscoll-kraay"):
        res = model.fit(cov_type=cov)
        assert res.cov_type == cov
        np.testing.assert_allclose(res.params, sdm.params, rtol=1e-12)
        assert not np.allclose(res.bse, sdm.bse)


def test_permutation_is_reproducible_and_respects_strata(sdm):
    a = sdm.permutation_test(n=6, seed=3, executor="serial")
    b = sdm.permutation_test(n=6, seed=3, executor="threads", max_workers=2)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    assert list(a.table.index) == ["direct", "indirect", "total"]
    assert ((a.table["p_value"] > 0) & (a.table["p_value"] <= 1)).all()
    # within strata: the treated count of each stratum is kept in every permutation
    ids = sdm.model.paths.ids
    strata = pd.Series(np.where(np.arange(len(ids)) < 20, "a", "b"), index=ids)
    draw = _one_permutation(sdm, strata)
    ever = sdm.model.paths.first < sdm.model.paths.T
    for g in ("a", "b"):
        m = (strata == g).to_numpy()
        assert ever[draw][m].sum() == ever[m].sum()


def _one_permutation(sdm, strata):
    from spatialflow.causal.permutation import _PermutationDraw
    groups = sdm._strata_codes(strata, sdm.model.paths.ids)
    order = _PermutationDraw(None, sdm.model.paths, groups).order(np.random.default_rng(0))
    assert sorted(order) == list(range(sdm.model.paths.n))   # a permutation
    assert not (order == np.arange(len(order))).all()
    return order


# ------------------------------------------------------------------- typed errors
def _bad(panel, **changes):
    data = panel.astype({"D": float})
    for (unit, year), value in changes.get("set", {}).items():
        data.loc[(data["id"] == unit) & (data["year"] == year), "D"] = value
    return data


def test_non_binary_treatment_names_rows(panel, lattice):
    unit = panel["id"].iloc[0]
    data = _bad(panel, set={(unit, 2003): 0.5})
    with pytest.raises(TreatmentError, match=rf"0\.5.*\({unit}, 2003\)"):
        SpatialDiD.from_formula("y ~ x", data, lattice, id="id", time="year", treatment="D")
    data = _bad(panel, set={(unit, 2004): np.nan})
    with pytest.raises(TreatmentError, match=rf"nan.*\({unit}, 2004\)"):
        SpatialDiD.from_formula("y ~ x", data, lattice, id="id", time="year", treatment="D")


def test_switching_off_names_ids(panel, lattice, sim):
    unit = sim.cohorts.dropna().index[0]
    last = panel["year"].max()
    data = _bad(panel, set={(unit, last): 0})
    with pytest.raises(TreatmentError, match=rf"switches off.*\[{unit}\].*{last}"):
        SpatialDiD.from_formula("y ~ x", data, lattice, id="id", time="year", treatment="D")
    # allowed on request (static model)
    SpatialDiD.from_formula("y ~ x", data, lattice, id="id", time="year", treatment="D",
                            absorbing=False)


def test_never_treated_absent_and_always_treated(panel, lattice):
    data = panel.copy()
    data.loc[data["year"] == data["year"].max(), "D"] = 1
    with pytest.raises(TreatmentError, match="no never-treated unit"):
        SpatialDiD.from_formula("y ~ x", data, lattice, id="id", time="year", treatment="D")
    data = panel.copy()
    never = data.loc[data["cohort"].isna(), "id"].iloc[0]
    data.loc[data["id"] == never, "D"] = 1
    with pytest.raises(TreatmentError, match=rf"first period.*\[{never}\]"):
        SpatialDiD.from_formula("y ~ x", data, lattice, id="id", time="year", treatment="D")
    data = panel.assign(D=0)
    with pytest.raises(TreatmentError, match="no unit is ever treated"):
        SpatialDiD.from_formula("y ~ x", data, lattice, id="id", time="year", treatment="D")


def test_specification_errors(panel, lattice):
    with pytest.raises(ModelSpecificationError, match="remove it from the formula"):
        SpatialDiD.from_formula("y ~ x + D", panel, lattice, id="id", time="year",
                                treatment="D")
    with pytest.raises(TreatmentError, match="'treated' is not a column"):
        SpatialDiD.from_formula("y ~ x", panel, lattice, id="id", time="year",
                                treatment="treated")
    with pytest.raises(ModelSpecificationError, match="rings= applies"):
        SpatialDiD.from_formula("y ~ x", panel, lattice, id="id", time="year",
                                treatment="D", rings=[0, 10])


def test_user_data_untouched(panel, lattice):
    before = panel.copy()
    SpatialDiD.from_formula("y ~ x", panel, lattice, id="id", time="year",
                            treatment="D").fit().event_study(leads=2, lags=1, method="delta")
    pd.testing.assert_frame_equal(panel, before)


def test_event_study_plot(sdm):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from spatialflow.plot import event_study_plot
    es = sdm.event_study(leads=3, lags=2, method="delta")
    ax = Figure().add_subplot()
    assert es.plot(ax=ax, effects=("direct", "indirect")) is ax
    lines = [c.lines[0] for c in ax.containers]  # the data line of each errorbar
    assert len(lines) == 2 and all(len(ln.get_xdata()) == 6 for ln in lines)  # 5 + ref
    direct = es.table[es.table["effect"] == "direct"].sort_values("event_time")
    # the reference period -1 is drawn at zero; the others at their estimates
    x, y = lines[0].get_xdata(), lines[0].get_ydata()
    ref = np.argmin(np.abs(x - (-1 + (x[0] - np.round(x[0])))))
    assert y[ref] == 0.0
    np.testing.assert_allclose(np.delete(y, ref), direct["estimate"], rtol=1e-12)
    assert f"p = {es.pretrend.pvalue:.3f}" in ax.get_title()
    with pytest.raises(InputError, match="effects must be a non-empty subset"):
        event_study_plot(es, ax=ax, effects=("spill",))


def test_cohort_effects_and_homogeneity(sdm, sim, lattice):
    ce = sdm.cohort_effects(method="delta")
    cohorts = sorted(sim.cohorts.dropna().unique())
    assert sorted(ce.table["cohort"].unique()) == cohorts
    # the cohorts' indicators add up to D: their coefficients and lags, 2 per extra cohort
    assert ce.homogeneity.df == 2 * (len(cohorts) - 1)
    assert ce.homogeneity.pvalue > 0.01   # simulated with one effect for every cohort
    # a cohort with twice the effect is detected
    data = sim.draw(seed=6).data.copy()
    late = data["cohort"] == cohorts[-1]
    data.loc[late & (data["D"] == 1), "y"] += 2.0
    res = SpatialDiD.from_formula("y ~ x", data, lattice, id="id", time="year",
                                  treatment="D").fit()
    assert res.cohort_effects(method="delta").homogeneity.pvalue < 1e-3
