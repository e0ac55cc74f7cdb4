"""Issue 19: every statistic of the report on the right scale, the lead model chosen by
evidence, per-county effects that vary, counterfactual shares only where they mean
something, cross-sections without a period "0", and the caller's notes in the report.

References: closed forms of a constructed panel (a constant log gap), the package's own
LeSage-Pace effects (mean of the per-county direct effects = the direct effect; mean of the
effects each county sends = the indirect effect), dense-inverse recomputations, numpy's
weighted average and giddy's steady state (pi P = pi).
"""
from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from spatialflow import SAR, SDM
from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.exceptions import InputError, MissingDataError
from spatialflow.measures import dagum_gini
from spatialflow.report import DEFAULT_INDICATORS, Indicator, build
from spatialflow.report.counterfactual import counterfactual
from spatialflow.weights import build as build_w

RTOL_EXACT = 1e-10   # the same number two ways (round-off only)
ATOL_FLAT = 1e-9     # "constant across periods" (the tolerance)
FORMULA = "tfp ~ labour_flow + capital_flow + land_flow + technology_flow"


# ----------------------------------------------------------------- a constant log gap
def _grid_layer():
    """12 square units in 3 groups of 4 (core, A, B), ids u00..u11."""
    rows = []
    for k in range(12):
        rows.append({"id": f"u{k:02d}", "region": ("core", "A", "B")[k // 4],
                     "geometry": box(k % 4, k // 4, k % 4 + 1, k // 4 + 1)})
    return gpd.GeoDataFrame(rows, crs=None).set_index("id")


def _log_gap_panel(years=range(2014, 2024), gap=0.6, growth=0.05):
    """Log values: the core grows by `growth` a year, A and B stay `gap` (resp. 1.5 gap)
    below it; every group has the same within-group offsets, so the arithmetic means of
    the levels keep the same ratios as the geometric means."""
    offsets = np.array([-0.1, 0.0, 0.05, 0.05])
    shift = {"core": 0.0, "A": -gap, "B": -1.5 * gap}
    layer = _grid_layer()
    rows = []
    for year in years:
        for k, (uid, g) in enumerate(layer["region"].items()):
            rows.append({"id": uid, "year": year,
                         "x": 1.0 + growth * (year - years[0]) + shift[g] + offsets[k % 4]})
    return pd.DataFrame(rows), layer


def test_constant_log_gap_gives_constant_percent_deficit_and_level_gini():
    panel, layer = _log_gap_panel()
    ind = Indicator("x", higher_is_better=True, scale="log")
    rep = build(panel, layer, indicators=[ind], id="id", time="year", group="region",
                core="core", figures=False, permutations=9)
    d = rep.tables["deficits"]
    for g, gap in (("A", 0.6), ("B", 0.9)):
        pct = d.loc[d["group"] == g, "deficit_pct"].to_numpy()
        assert np.ptp(pct) < ATOL_FLAT
        np.testing.assert_allclose(pct, 100 * (1 - np.exp(-gap)), rtol=RTOL_EXACT)
    tr = rep.tables["trends"].set_index("group")
    assert (tr["of"] == "deficit_pct").all()
    assert (tr["p_value"] >= 0.05).all()
    assert tr["verdict"].str.startswith("no significant trend").all()
    # Gini on levels is constant; on the logs themselves it would have fallen
    dag = rep.tables["dagum"]
    assert (dag["on"] == "exp(value)").all()
    assert np.ptp(dag["total"].to_numpy()) < ATOL_FLAT
    first = panel[panel["year"] == 2014]
    last = panel[panel["year"] == 2023]
    grp = lambda p: p["id"].map(layer["region"])  # noqa: E731
    g_log = [dagum_gini(p["x"], grp(p)).total for p in (first, last)]
    assert abs(g_log[0] - g_log[1]) > 0.01          # the misleading reading the scale avoids
    np.testing.assert_allclose(dag["total"].iloc[0],
                               dagum_gini(np.exp(first["x"]), grp(first)).total,
                               rtol=RTOL_EXACT)
    # the same data exponentiated and declared as a level: the same percent deficits
    lev = panel.assign(x=np.exp(panel["x"]))
    rep2 = build(lev, layer, indicators=[Indicator("x", higher_is_better=True, scale="level")],
                 id="id", time="year", group="region", core="core", figures=False,
                 permutations=9)
    # (groups A and B; the pooled periphery mixes two dispersions, where arithmetic and
    # geometric means differ by construction)
    d2 = rep2.tables["deficits"]
    for g in ("A", "B"):
        np.testing.assert_allclose(d2.loc[d2["group"] == g, "deficit_pct"].to_numpy(),
                                   d.loc[d["group"] == g, "deficit_pct"].to_numpy(),
                                   rtol=RTOL_EXACT)
    # the summary says which scale the percent is on
    assert any("log scale: percent = shortfall in levels" in s for s, _ in rep.summary)


def test_index_gets_no_percent_and_no_inequality():
    panel, layer = _log_gap_panel()
    panel["s"] = panel["x"] - 1.2        # an index with an arbitrary zero (negative values)
    rep = build(panel, layer, indicators=[Indicator("s", higher_is_better=True,
                                                    scale="index")],
                id="id", time="year", group="region", core="core", figures=False,
                permutations=9)
    assert rep.tables["deficits"]["deficit_pct"].isna().all()
    assert "dagum" not in rep.tables and "theil" not in rep.tables
    assert rep.tables["sigma"]["cv"].isna().all()
    assert rep.tables["sigma"]["sd"].notna().all()
    assert any("scale 'index'" in n for n in rep.notes)


def test_scale_is_declared_never_guessed():
    with pytest.raises(InputError, match=r"Indicator 'gdp': scale is missing; declare one of "
                                         r"\['level', 'log', 'index', 'share'\]"):
        Indicator("gdp", higher_is_better=True)
    with pytest.raises(InputError, match=r"Indicator 'gdp': scale is 'ratio'; declare one of"):
        Indicator("gdp", higher_is_better=True, scale="ratio")
    panel, layer = _log_gap_panel()
    panel.loc[(panel["id"] == "u05") & (panel["year"] == 2016), "x"] = -0.3
    with pytest.raises(InputError, match=r"indicator 'x' is declared scale='level' .* "
                                         r"negative values at \(id, period\) \[\('u05', 2016\)\]"):
        build(panel, layer, indicators=[Indicator("x", higher_is_better=True, scale="level")],
              id="id", time="year", group="region", core="core", figures=False)
    panel.loc[0, "x"] = 800.0           # exp(800) overflows: not a natural log
    with pytest.raises(InputError, match=r"scale='log' but exp\(value\) is not finite"):
        build(panel, layer, indicators=[Indicator("x", higher_is_better=True, scale="log")],
              id="id", time="year", group="region", core="core", figures=False)


def test_weighted_means_and_bad_weights():
    panel, layer = _log_gap_panel(years=range(2020, 2023))
    rng = np.random.default_rng(0)
    panel["pop"] = rng.uniform(10, 100, len(panel))
    panel["x"] = np.exp(panel["x"])
    ind = Indicator("x", higher_is_better=True, scale="level")
    rep = build(panel, layer, indicators=[ind], id="id", time="year", group="region",
                core="core", figures=False, permutations=9, weight_by="pop")
    lv = rep.tables["levels"].set_index(["group", "period"])["mean"]
    part = panel[(panel["year"] == 2021) & (panel["id"].map(layer["region"]) == "A")]
    np.testing.assert_allclose(lv[("A", 2021)], np.average(part["x"], weights=part["pop"]),
                               rtol=RTOL_EXACT)
    assert "weighted by 'pop'" in rep.titles["deficits"]
    assert "weighted by 'pop'" in rep.titles["deficit_summary"]
    assert any("group means weighted by 'pop'" in s for s, _ in rep.summary)
    panel.loc[3, "pop"] = 0.0
    with pytest.raises(MissingDataError, match=r"weight_by='pop' must be positive"):
        build(panel, layer, indicators=[ind], id="id", time="year", group="region",
              core="core", figures=False, weight_by="pop")
    with pytest.raises(InputError, match=r"weight_by='people' is not a column"):
        build(panel, layer, indicators=[ind], id="id", time="year", group="region",
              core="core", figures=False, weight_by="people")


# ------------------------------------------------------------ the real layer, fitted models
@pytest.fixture(scope="module")
def gd():
    return load_guangdong_counties()


@pytest.fixture(scope="module")
def fitted(gd):
    w = build_w(gd, kind="queen", islands="knn")
    panel = synthetic_panel(gd, w, years=range(2019, 2024), seed=5)   # an SDM process
    opts = dict(data=panel, w=w, id="code", time="year", effects="twoway")
    models = {"SAR": SAR.from_formula(FORMULA, **opts).fit(),      # SAR first on purpose
              "SDM": SDM.from_formula(FORMULA, **opts).fit()}
    last = panel[panel["year"] == 2023].set_index("code", drop=False)
    cross = {"SDM": SDM.from_formula(FORMULA, data=last, w=w).fit()}
    return dict(w=w, panel=panel, models=models, last=last, cross=cross)


def test_lead_is_chosen_by_evidence_not_by_order(gd, fitted):
    rep = build(fitted["panel"], gd, fitted["w"], indicators=DEFAULT_INDICATORS[:2],
                models=fitted["models"], n_draws=50, figures=False, permutations=9)
    assert rep.lead == "SDM"
    mc = rep.tables["model_choice"]
    lead_row = mc[mc["evidence"] == "lead"].iloc[0]
    assert lead_row["model"] == "SDM" and "both restrictions" in lead_row["reading"]
    lr = mc[mc["evidence"].str.startswith("LR against 'SAR'")]
    assert len(lr) == 1 and lr["p_value"].iloc[0] < 0.05
    assert mc["evidence"].str.startswith("Wald: theta + rho*beta").any()
    probs = mc[mc["evidence"].str.startswith("posterior model probability")]
    np.testing.assert_allclose(probs["value"].sum(), 1.0, rtol=RTOL_EXACT)
    # everything the lead feeds comes from the SDM
    assert set(rep.tables["counterfactual"]["model"]) == {"SDM"}
    assert any(s.startswith("Lead model: SDM") for s, _ in rep.summary)
    assert any(s.startswith("SDM: share of each regressor") for s, _ in rep.summary)
    assert any(s.startswith("Counterfactual (SDM)") for s, _ in rep.summary)
    assert not any(s.startswith("SAR:") or "(SAR)" in s for s, _ in rep.summary)
    # blocks: the block total is n_to / n times the mean effect on one receiving unit
    b = rep.tables["blocks_cp"]
    n = len(fitted["models"]["SDM"].ids)
    np.testing.assert_allclose(b["per_receiving_unit"] * b["n_to"] / n, b["estimate"],
                               rtol=RTOL_EXACT)
    # a SAR lead states one share for every regressor, as a property of the model
    rep_sar = build(fitted["panel"], gd, fitted["w"], indicators=DEFAULT_INDICATORS[:2],
                    models=fitted["models"], n_draws=50, figures=False, permutations=9,
                    lead="SAR")
    assert rep_sar.lead == "SAR"
    text = next(s for s, _ in rep_sar.summary if s.startswith("SAR (SAR)"))
    assert "for every regressor alike" in text and "labour_flow" not in text
    with pytest.raises(InputError, match=r"lead must be 'auto' or the label of one of the "
                                         r"models; 'SEM' was given and the models are "
                                         r"\['SAR', 'SDM'\]"):
        build(fitted["panel"], gd, fitted["w"], indicators=DEFAULT_INDICATORS[:2],
              models=fitted["models"], figures=False, lead="SEM")


def test_unit_effects_vary_and_average_to_the_lesage_effects(gd, fitted):
    rep = build(fitted["panel"], gd, fitted["w"], indicators=DEFAULT_INDICATORS[:2],
                models=fitted["models"], n_draws=50, figures=False, permutations=9)
    u = rep.tables["unit_effects"]
    assert list(u.columns) == ["code", "group", "variable", "direct", "indirect_sent",
                               "received_from_other_groups"]
    eff = fitted["models"]["SDM"].effects(n_draws=2)   # the point estimates are used
    for v, part in u.groupby("variable"):
        for col in ("direct", "indirect_sent", "received_from_other_groups"):
            assert np.ptp(part[col].to_numpy()) > 1e-6, (v, col)   # no constant column
        np.testing.assert_allclose(part["direct"].mean(), eff.loc[v, "direct"], rtol=1e-8)
        np.testing.assert_allclose(part["indirect_sent"].mean(), eff.loc[v, "indirect"],
                                   rtol=1e-8)


@pytest.mark.slow
def test_cross_section_has_no_period_zero_and_no_trend(gd, fitted):
    last = fitted["last"].reset_index(drop=True).drop(columns="year")
    rep = build(last, gd, fitted["w"], indicators=DEFAULT_INDICATORS[:2],
                models=fitted["cross"], time=None, n_draws=50, figures=True,
                permutations=9)
    assert rep.tables["deficits"]["period"].isna().all()
    assert "trends" not in rep.tables and "markov" not in rep.tables
    html = rep.as_html()
    text = re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", html))
    assert not re.search(r"\bin 0\b|\b0年|level in|change since|over the period", text)
    assert not re.search(r"[Tt]rend", " ".join(rep.titles.values()))
    assert all("trend" not in s for s, _ in rep.summary)
    assert any("Cross-section (one period)" in n for n in rep.notes)


def test_groups_ahead_of_the_core_get_no_share(gd, fitted):
    # by prefecture, with a core in the middle: some prefectures are ahead of it
    last = fitted["last"].reset_index(drop=True).drop(columns="year")
    core = "Shaoguan"
    rep = build(last, gd, fitted["w"], indicators=DEFAULT_INDICATORS[:1],
                models=fitted["cross"], time=None, group="city_en", core=core, n_draws=50,
                figures=False, permutations=9)
    cf = rep.tables["counterfactual"].set_index("group")
    ahead = cf[~cf["behind"]]
    assert len(ahead) and len(cf[cf["behind"]])
    assert ahead["share"].isna().all() and ahead["share_std_error"].isna().all()
    assert (cf.loc[cf["behind"], "deficit"] > 0).all()
    assert cf.loc[cf["behind"], "share"].notna().all()
    text = next(s for s, _ in rep.summary if s.startswith("Counterfactual"))
    # 20 groups: the sentence names the 5 largest gaps closed, the table all (issue 20)
    assert "15 more groups in the table" in text
    for g in ahead.index:
        # a group ahead of the core, when named, gets no share of a deficit
        assert f"{g}: not behind the core (—)" in text or f"{g} " not in text
    assert any(f"{g}: not behind the core (—)" in text for g in ahead.index)
    assert any(re.search(r"not behind the core on 'tfp', so no share", n) for n in rep.notes)


def test_counterfactual_split_matches_dense_inverse():
    k = 4
    n = k * k
    A = np.zeros((n, n))
    for i in range(k):
        for j in range(k):
            for di, dj in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                if 0 <= i + di < k and 0 <= j + dj < k:
                    A[i * k + j, (i + di) * k + j + dj] = 1
    W = A / A.sum(axis=1, keepdims=True)
    import spatialflow as sf
    from libpysal.weights import full2W

    ids = [f"u{i:02d}" for i in range(n)]
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(n, 2)), index=ids, columns=["x1", "x2"])
    labels = pd.Series(np.array(["core"] * 6 + ["A"] * 5 + ["B"] * 5), index=ids)
    y = pd.Series(0.1 + X @ np.array([0.5, -0.2]) + rng.normal(size=n), index=ids)
    res = sf.SDM.from_formula("y ~ x1 + x2", data=X.assign(y=y), w=full2W(W, ids=ids)).fit()
    p = res.params
    got = counterfactual(res, X, y, labels, core="core", higher_is_better=True, n_draws=200)
    M = np.linalg.inv(np.eye(n) - p["rho"] * W)
    S = [p[x] * M + p[f"W_{x}"] * M @ W for x in ("x1", "x2")]
    xc = X.to_numpy()[:6].mean(axis=0)
    for g in ("A", "B"):
        m = (labels == g).to_numpy()
        delta = xc - X.to_numpy()[m].mean(axis=0)
        direct = sum(np.diag(S[j])[m].mean() * delta[j] for j in range(2))
        row = got.set_index("group").loc[g]
        np.testing.assert_allclose(row["own_direct"], direct, rtol=RTOL_EXACT)
        np.testing.assert_allclose(row["own_direct"] + row["within_group"], row["own"],
                                   rtol=RTOL_EXACT)
        assert row["own_direct_std_error"] > 0 and row["within_group_std_error"] > 0
        assert row["behind"] == (row["deficit"] > 0)
        if not row["behind"]:
            assert np.isnan(row["share"])


def test_external_notes_markov_long_run_and_unit_types(gd):
    panel = synthetic_panel(gd, years=range(2018, 2023), seed=1)
    notes = ["units dropped: 2 (no data)",
             {"en": "island 440523 linked to 440513", "zh": "孤岛 440523 已与 440513 相连"}]
    reps = {lang: build(panel, gd, indicators=DEFAULT_INDICATORS[:2], figures=False,
                        permutations=9, lang=lang, notes=notes) for lang in ("en", "zh")}
    assert reps["en"].notes[:2] == ["units dropped: 2 (no data)",
                                    "island 440523 linked to 440513"]
    assert reps["zh"].notes[:2] == ["units dropped: 2 (no data)", "孤岛 440523 已与 440513 相连"]
    assert "孤岛 440523 已与 440513 相连" in reps["zh"].as_html()
    with pytest.raises(InputError, match=r"notes\[0\] must be a str or a mapping"):
        build(panel, gd, indicators=DEFAULT_INDICATORS[:1], figures=False, notes=[3])
    # giddy's steady state is stationary under the estimated transition matrix
    rep = reps["en"]
    P = rep.tables["markov"][["to green", "to yellow", "to red"]].to_numpy(dtype=float)
    lr = rep.tables["markov_longrun"]
    pi = lr["steady_state_share"].to_numpy()
    np.testing.assert_allclose(pi @ P, pi, atol=1e-10)
    np.testing.assert_allclose(pi.sum(), 1.0, rtol=RTOL_EXACT)
    assert any("steady state" in s for s, _ in rep.summary)
    # the deficit of each unit type against the whole core, by hand
    bt = rep.tables["deficits_by_type"]
    last = panel[panel["year"] == 2022].set_index("code")
    typ = gd["unit_type"].reindex(last.index)
    core = last["region"] == "PRD"
    sel = (last["region"] == "North") & (typ == "county")
    row = bt[(bt["indicator"] == "income_gap") & (bt["group"] == "North")
             & (bt["unit_type"] == "county")].iloc[0]
    np.testing.assert_allclose(row["deficit"], last.loc[sel, "income_gap"].mean()
                               - last.loc[core, "income_gap"].mean(), rtol=RTOL_EXACT)
    assert row["n"] == sel.sum()


def test_a_per_county_quantity_without_spread_is_left_out(gd, fitted):
    # SLX: S_k = beta_k I + theta_k W, so every county's direct effect is beta_k
    from spatialflow import SLX

    last = fitted["last"]
    slx = SLX.from_formula(FORMULA, data=last, w=fitted["w"]).fit()
    rep = build(last.reset_index(drop=True).drop(columns="year"), gd, fitted["w"],
                indicators=DEFAULT_INDICATORS[:1], models={"SLX": slx}, time=None,
                n_draws=20, figures=True, permutations=9)
    u = rep.tables["unit_effects"]
    assert "direct" not in u.columns
    assert {"indirect_sent", "received_from_other_groups"} <= set(u.columns)
    assert any(n.startswith("The per-county direct effect of 'SLX' does not vary")
               for n in rep.notes)
    assert "unit_indirect_sent" in rep.figures
    # theta_k times the column sums of W: the effect each county sends
    W = slx.W.toarray()
    part = u[u["variable"] == "labour_flow"]
    np.testing.assert_allclose(part["indirect_sent"].to_numpy(),
                               slx.params["W_labour_flow"] * (W.sum(axis=0) - np.diag(W)),
                               rtol=RTOL_EXACT)


def test_an_indicator_without_spread_is_not_mapped():
    panel, layer = _log_gap_panel(years=range(2020, 2023))
    panel["flat"] = 3.0
    inds = [Indicator("x", higher_is_better=True, scale="log"),
            Indicator("flat", higher_is_better=True, scale="level", label="Flat")]
    rep = build(panel, layer, indicators=inds, id="id", time="year", group="region",
                core="core", figures=True, permutations=9)
    assert "map_x" in rep.figures and "map_flat" not in rep.figures
    assert any(n.startswith("The map of Flat is not drawn") for n in rep.notes)


def test_model_choice_reads_in_chinese(gd, fitted):
    rep = build(fitted["panel"], gd, fitted["w"], indicators=DEFAULT_INDICATORS[:1],
                models=fitted["models"], n_draws=20, figures=False, permutations=9, lang="zh")
    assert rep.lead == "SDM"
    shown = rep.display["model_choice"]
    lead = shown[shown["依据"] == "主导模型"]
    assert lead["解读"].iloc[0].startswith("SDM的两个约束均在5%水平被拒绝")
    assert any(s.startswith("主导模型：SDM（SDM），依据：SDM的两个约束") for s, _ in rep.summary)
    # the numbers are the same as in the machine-readable table
    np.testing.assert_allclose(shown["数值"].to_numpy(dtype=float),
                               rep.tables["model_choice"]["value"].to_numpy(dtype=float))


def test_lead_rules_on_simulated_sar_data():
    """SAR-generated data: theta = 0 survives, the common factor does not -> the SAR leads;
    an unknown lead label is refused in choose_leads too."""
    import libpysal

    from spatialflow import SEM
    from spatialflow.report.lead import choose_leads
    from spatialflow.simulate import simulate

    w = libpysal.weights.lat2W(15, 15)
    w.transform = "r"
    sim = simulate("SAR", w, beta={"Intercept": 1.0, "x": 3.0}, rho=0.6, seed=11)
    data = sim.data                       # indexed by id (cross-section)
    fits = {k: cls.from_formula("y ~ x", data=data, w=w).fit()
            for k, cls in (("SDM", SDM), ("SAR", SAR), ("SEM", SEM))}
    lead, by, table = choose_leads(fits)
    tests = table.set_index("evidence")["p_value"]
    p_theta = tests[tests.index.str.contains("theta = 0 ")].iloc[0]
    p_cf = tests[tests.index.str.contains("rho\\*beta")].iloc[0]
    assert p_theta >= 0.05 and p_cf < 0.05
    assert lead == "SAR" and by == {"y": "SAR"}
    assert "the SDM reduces to the SAR" in table.attrs["reasons"]["SAR"][0]
    with pytest.raises(InputError, match=r"the models are \['SDM', 'SAR', 'SEM'\]"):
        choose_leads(fits, lead="SLX")


def test_lead_across_weights_matrices(gd, fitted):
    """Tests and probabilities never compare fits under different W; across matrices the
    lead with the lowest AIC is taken, and the reason says so."""
    from spatialflow.report.lead import choose_leads

    knn = build_w(gd, kind="knn", k=5, project=True)
    sdm_knn = SDM.from_formula(FORMULA, data=fitted["panel"], w=knn, id="code", time="year",
                               effects="twoway").fit()
    models = {**fitted["models"], "SDM knn": sdm_knn}
    lead, _, table = choose_leads(models)
    probs = table[table["evidence"].str.startswith("posterior")]
    assert "SDM knn" not in set(probs["model"])          # alone under its W: no probability
    np.testing.assert_allclose(probs["value"].sum(), 1.0, rtol=RTOL_EXACT)
    assert not table["evidence"].str.contains("against 'SDM knn'").any()
    assert lead == min(("SDM", "SDM knn"), key=lambda k: models[k].aic)
    assert table.attrs["reasons"][lead][0].endswith(
        "the lowest AIC among the leads of 2 weights matrices")
