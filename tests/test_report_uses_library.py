"""The report computes through the library, not beside it (issue 26, item 3).

- the counterfactual decomposition = ``res.scenario(...)`` group means, number for number,
  for the same seed (own part, its simulated SE, and the gap closed = the all-groups
  scenario's difference of group means);
- the report's LISA = ``spatialflow.measures.local_moran_by_period`` (same p for the same
  seed);
- the deficit trend = ``scipy.stats.linregress``;
- ``rng=`` (Scientific Python SPEC 7) next to its alias ``seed=``; global Moran's
  permutations from a Generator reproduce esda's statistic for the same permutations;
  nothing in the package seeds numpy's global RNG except the one giddy tie-break.
"""
from __future__ import annotations

import pathlib
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import spatialflow
from spatialflow.exceptions import SeedError
from spatialflow.measures import local_moran_by_period, moran_by_period
from spatialflow.report.counterfactual import counterfactual
from spatialflow.report.deficits import ols_trend
from spatialflow.measures import local_moran

#: Two float computations of the same linear quantity (a sum of solves vs a solve of a sum).
RTOL_LINEAR = 1e-12


def _rook(k):
    from libpysal.weights import lat2W

    w = lat2W(k, k)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def sdm():
    import spatialflow as sf

    w = _rook(5)
    ids = list(w.id_order)
    rng = np.random.default_rng(11)
    X = pd.DataFrame(rng.normal(size=(25, 2)), index=ids, columns=["x1", "x2"])
    labels = pd.Series(np.array(["core"] * 9 + ["A"] * 8 + ["B"] * 8), index=ids)
    X.loc[labels == "core"] += 0.8
    y = pd.Series(0.2 + X @ np.array([0.6, -0.3]) + rng.normal(size=25), index=ids, name="y")
    res = sf.SDM.from_formula("y ~ x1 + x2", data=X.assign(y=y), w=w).fit()
    return res, X, y, labels


def test_counterfactual_is_the_scenario_for_the_same_seed(sdm):
    res, X, y, labels = sdm
    cf = counterfactual(res, X, y, labels, core="core", higher_is_better=True, n_draws=120,
                        seed=5).set_index("group")
    x_core = X[labels == "core"].mean()
    deltas = {}
    for g in ("A", "B"):
        shift = pd.Series(cf.attrs["shift"][g])     # the core's means minus the group's
        np.testing.assert_allclose(shift, x_core - X[labels == g].mean(), rtol=RTOL_LINEAR)
        deltas[g] = pd.DataFrame([shift] * int((labels == g).sum()),
                                 index=X.index[labels == g])
    for g, delta in deltas.items():
        sc = res.scenario(delta, n_draws=120, seed=5)
        by = sc.by(labels, how="mean")
        # the group's own part: its own scenario's mean change over its units, exactly
        assert cf.loc[g, "own"] == by.loc[g, "change"]
        # its SE: the SD of the same draws (summed in another order: round-off only)
        np.testing.assert_allclose(cf.loc[g, "own_std_error"],
                                   sc.by_draws(labels, how="mean")[g].std(ddof=1),
                                   rtol=RTOL_LINEAR)
    # the gap closed: the all-groups scenario, mean over g minus mean over the core
    both = pd.concat(deltas.values())
    sc = res.scenario(both, n_draws=120, seed=5)
    by, draws = sc.by(labels, how="mean"), sc.by_draws(labels, how="mean")
    for g in ("A", "B"):
        np.testing.assert_allclose(cf.loc[g, "closed"],
                                   by.loc[g, "change"] - by.loc["core", "change"],
                                   rtol=RTOL_LINEAR)
        np.testing.assert_allclose(cf.loc[g, "closed_std_error"],
                                   (draws[g] - draws["core"]).std(ddof=1), rtol=RTOL_LINEAR)
    # rng= and its alias seed= are one argument; a Generator works too
    by_rng = counterfactual(res, X, y, labels, core="core", higher_is_better=True,
                            n_draws=120, rng=5).set_index("group")
    pd.testing.assert_frame_equal(by_rng, cf)
    gen = counterfactual(res, X, y, labels, core="core", higher_is_better=True, n_draws=50,
                         rng=np.random.default_rng(1))
    assert gen["closed_std_error"].gt(0).all()
    with pytest.raises(SeedError, match=r"give rng= or its alias seed=, not both"):
        counterfactual(res, X, y, labels, core="core", higher_is_better=True, n_draws=50,
                       rng=4, seed=5)


def test_counterfactual_code_has_no_factorisation():
    """No LU of I - rho W in the report: the solves are the library's (issue 26)."""
    source = pathlib.Path(spatialflow.__file__).parent / "report" / "counterfactual.py"
    assert not re.search(r"splu|scipy\.sparse\.linalg|spsolve", source.read_text())


def test_report_lisa_is_the_measures_lisa():
    w = _rook(6)
    ids = list(w.id_order)
    y = pd.Series(np.random.default_rng(2).normal(size=36), index=ids)
    ours = local_moran(y, w, permutations=99, seed=8)           # the measures' one LISA
    ref = local_moran_by_period(y.rename("v").to_frame(), "v", w=w, permutations=99, seed=8)
    np.testing.assert_array_equal(ours["p_sim"].to_numpy(), ref["p_sim"].to_numpy())
    np.testing.assert_array_equal(ours["Is"].to_numpy(), ref["Is"].to_numpy())
    assert list(ours["quadrant"]) == list(ref["quadrant"])
    # the report's sparse-matrix call (rows ordered like y) gives the same
    from spatialflow.report.lisa import local_moran as report_lisa
    from spatialflow.weights.align import as_sparse

    sparse = report_lisa(y, as_sparse(w, pd.Index(ids)), permutations=99, seed=8)
    np.testing.assert_array_equal(sparse["p_sim"].to_numpy(), ref["p_sim"].to_numpy())


def test_global_moran_permutations_reproduce_esda():
    """Our Generator-driven permutations compute esda's statistic: fed the permutations
    esda draws from the (here seeded) global RNG, they give esda's ``sim`` and p."""
    import esda
    from libpysal.graph import Graph

    from spatialflow.measures.autocorrelation import _from_permutations

    w = _rook(6)
    y = np.random.default_rng(4).normal(size=36)
    np.random.seed(17)  # the test reproduces esda's own draws; the package never does this
    ref = esda.Moran(y, w, permutations=99)
    m = esda.Moran(y, Graph.from_W(w), permutations=0)
    state = np.random.RandomState(17)
    z = y - y.mean()
    perms = np.array([state.permutation(z) for _ in range(99)])
    got = _from_permutations(m, perms)
    np.testing.assert_allclose(got["sim"], ref.sim, rtol=RTOL_LINEAR)
    assert got["p_sim"] == ref.p_sim
    np.testing.assert_allclose(got["z_sim"], ref.z_sim, rtol=1e-9)


def test_moran_rng_forms_agree_and_leave_global_state_alone():
    w = _rook(5)
    df = pd.DataFrame({"v": np.random.default_rng(3).normal(size=25)}, index=w.id_order)
    before = np.random.get_state()[1].copy()
    a = moran_by_period(df, "v", w=w, permutations=49, rng=7)
    b = moran_by_period(df, "v", w=w, permutations=49, seed=7)
    c = moran_by_period(df, "v", w=w, permutations=49, rng=np.random.default_rng(7))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)      # an int seeds default_rng: the same stream
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    with pytest.raises(SeedError, match=r"rng must be a non-negative integer"):
        moran_by_period(df, "v", w=w, rng=-1)


def test_ols_trend_is_linregress():
    from scipy import stats

    t = np.arange(2010, 2022, dtype=float)
    d = 0.5 - 0.01 * (t - 2010) + np.random.default_rng(3).normal(0, 0.02, t.size)
    got = ols_trend(t, d)
    ref = stats.linregress(t, d)
    assert (got["slope"], got["std_error"], got["p_value"]) == (ref.slope, ref.stderr, ref.pvalue)
    q = stats.t.ppf(0.975, len(t) - 2)
    assert (got["lower"], got["upper"]) == (ref.slope - q * ref.stderr,
                                            ref.slope + q * ref.stderr)


def test_no_global_rng_seeding_outside_models():
    root = pathlib.Path(spatialflow.__file__).parent
    hits = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py")
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"np\.random\.seed\(|numpy\.random\.seed\(", line)
            and not line.lstrip().startswith(("#", ">>>"))]
    # wrapped libraries that take no seed (giddy's Spatial_Markov tie-break, esda's Moran of
    # residuals) are seeded in one scoped place that restores the caller's state
    assert hits == ["_validation.py:" + str(_line_of(root / "_validation.py",
                                                      "np.random.seed(seed)"))]


def _line_of(path, text):
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_rng_rejects_bad_values_by_name():
    from spatialflow._random import as_generator, as_int_seed

    with pytest.raises(SeedError, match=r"rng must be a non-negative integer or None or a "
                                        r"numpy\.random\.Generator; 1\.5 \(float\)"):
        as_generator(1.5)
    with pytest.raises(SeedError, match=r"seed must be .*'x' \(str\)"):
        as_generator(seed="x")
    assert as_int_seed(seed=9) == 9
    g1, g2 = np.random.default_rng(0), np.random.default_rng(0)
    assert as_int_seed(g1) == as_int_seed(g2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(as_generator(None), np.random.Generator)


def test_simulator_and_monte_carlo_take_rng():
    from spatialflow.simulate import Simulator

    w = _rook(5)
    beta = {"Intercept": 1.0, "x": 1.0}
    a = Simulator("SAR", w, beta=beta, rho=0.4, seed=3).draw()
    b = Simulator("SAR", w, beta=beta, rho=0.4, rng=3).draw()
    pd.testing.assert_frame_equal(a.data, b.data)
    with pytest.raises(SeedError, match=r"give rng= or its alias seed=, not both"):
        Simulator("SAR", w, beta=beta, rho=0.4, seed=3, rng=4)
    sim = Simulator("SAR", w, beta=beta, rho=0.4, seed=0)
    pd.testing.assert_frame_equal(sim.draw(rng=9).data, sim.draw(seed=9).data)
    by_seed = [d.data["y"].to_numpy() for d in sim.draws(3, seed=5)]
    by_rng = [d.data["y"].to_numpy() for d in sim.draws(3, rng=5)]
    np.testing.assert_array_equal(np.array(by_seed), np.array(by_rng))
    # a Generator spawns the draws' generators: reproducible from the same Generator seed
    g1 = [d.data["y"].to_numpy() for d in sim.draws(2, rng=np.random.default_rng(1))]
    g2 = [d.data["y"].to_numpy() for d in sim.draws(2, rng=np.random.default_rng(1))]
    np.testing.assert_array_equal(np.array(g1), np.array(g2))
    assert not np.array_equal(g1[0], g1[1])
    mc_seed = sim.monte_carlo(["OLS"], reps=2, seed=7, effects=False, progress=False)
    mc_rng = sim.monte_carlo(["OLS"], reps=2, rng=7, effects=False, progress=False)
    pd.testing.assert_frame_equal(mc_seed.draws, mc_rng.draws)


def test_report_build_takes_rng_or_seed_not_both():
    from spatialflow.datasets import load_guangdong_counties, synthetic_panel
    from spatialflow.report import DEFAULT_INDICATORS, build

    gd = load_guangdong_counties()
    panel = synthetic_panel(gd, years=range(2021, 2023), seed=1)
    with pytest.raises(SeedError, match=r"give rng= or its alias seed=, not both"):
        build(panel, gd, indicators=DEFAULT_INDICATORS[:1], seed=1, rng=2)
