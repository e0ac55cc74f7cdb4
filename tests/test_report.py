"""spatialflow.report: unit checks against independent computations.

References: deficits = plain pandas group means; trends = statsmodels OLS; LISA = esda
Moran_Local (statistic and quadrants); Markov counts = transitions counted with pandas;
the counterfactual = a dense-inverse recomputation and, for a linear (SLX) case, the exact
delta-method variance a'Va of the simulated SE.
"""
from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.exceptions import (CJKFontWarning, DuplicateIdError, EmptyInputError,
                                    IdMismatchError, InputError, MissingDataError)
from spatialflow.report import DEFAULT_INDICATORS, ColourRule, Indicator, build
from spatialflow.report.counterfactual import counterfactual
from spatialflow.report.deficits import ols_trend
from spatialflow.report.lisa import local_moran

RTOL_EXACT = 1e-10      # two exact computations of the same quantity (float round-off)
RTOL_MC = 0.06          # simulated SE vs exact SE with 4000 draws (MC error ~ 1/sqrt(2R))


@pytest.fixture(scope="module")
def gd():
    return load_guangdong_counties()


@pytest.fixture(scope="module")
def panel(gd):
    return synthetic_panel(gd, years=range(2018, 2023), seed=1)


def _quick(panel, layer, **kw):
    kw.setdefault("indicators", DEFAULT_INDICATORS[:2])
    kw.setdefault("figures", False)
    return build(panel, layer, **kw)


# ------------------------------------------------------------------------- deficits
def test_deficits_are_differences_of_group_means(gd, panel):
    rep = _quick(panel, gd)
    d = rep.tables["deficits"]
    last = panel[panel["year"] == 2022]
    core = last.loc[last["region"] == "PRD", "tfp"].mean()
    north = last.loc[last["region"] == "North", "tfp"].mean()
    row = d[(d["indicator"] == "tfp") & (d["group"] == "North") & (d["period"] == 2022)].iloc[0]
    np.testing.assert_allclose(row["deficit"], core - north, rtol=RTOL_EXACT)
    # lower is better: the income ratio's deficit is group minus core
    core_g = last.loc[last["region"] == "PRD", "income_gap"].mean()
    east_g = last.loc[last["region"] == "East", "income_gap"].mean()
    row = d[(d["indicator"] == "income_gap") & (d["group"] == "East") & (d["period"] == 2022)]
    np.testing.assert_allclose(row["deficit"].iloc[0], east_g - core_g, rtol=RTOL_EXACT)
    np.testing.assert_allclose(row["deficit_pct"].iloc[0], 100 * (east_g - core_g) / core_g,
                               rtol=RTOL_EXACT)
    # the whole periphery pools every non-core unit
    per = last.loc[last["region"] != "PRD", "tfp"].mean()
    row = d[(d["indicator"] == "tfp") & (d["group"] == "Periphery") & (d["period"] == 2022)]
    np.testing.assert_allclose(row["deficit"].iloc[0], core - per, rtol=RTOL_EXACT)


def test_trend_matches_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    t = np.arange(2010, 2022, dtype=float)
    d = 0.5 - 0.01 * (t - 2010) + rng.normal(0, 0.02, t.size)
    fit = sm.OLS(d, sm.add_constant(t)).fit()
    got = ols_trend(t, d)
    np.testing.assert_allclose(got["slope"], fit.params[1], rtol=1e-9)
    np.testing.assert_allclose(got["std_error"], fit.bse[1], rtol=1e-9)
    np.testing.assert_allclose(got["p_value"], fit.pvalues[1], rtol=1e-7)
    np.testing.assert_allclose([got["lower"], got["upper"]], fit.conf_int(0.05)[1], rtol=1e-9)


def test_trend_verdict_follows_direction(gd, panel):
    # Lower is better for the income ratio: a falling ratio in the periphery (relative to
    # the core) is a closing deficit.
    p = panel.copy()
    shift = (p["year"] - 2018) * 0.05 * (p["region"] != "PRD")
    p["income_gap"] = p["income_gap"] - shift
    rep = _quick(p, gd)
    tr = rep.tables["trends"].set_index(["indicator", "group"])
    assert tr.loc[("income_gap", "Periphery"), "slope"] < 0
    assert tr.loc[("income_gap", "Periphery"), "verdict"] == "closing (significant at 5%)"


# ----------------------------------------------------------------------- bad input
def test_indicator_direction_must_be_declared():
    with pytest.raises(TypeError, match="higher_is_better"):
        Indicator("tfp")
    with pytest.raises(InputError, match="declared, never guessed"):
        Indicator("tfp", higher_is_better=1)


def test_unit_missing_from_layer_is_named(gd, panel):
    with pytest.raises(IdMismatchError, match=r"440523 \(Nan'ao County\)"):
        _quick(panel, gd.drop(index="440523"))


def test_unit_of_layer_without_data_is_a_note(gd, panel):
    rep = _quick(panel[panel["code"] != "440523"], gd)
    assert any("440523 (Nan'ao County)" in n for n in rep.notes)


def test_grouping_column_errors(gd, panel):
    with pytest.raises(InputError, match="grouping column 'zone' is in neither the layer"):
        _quick(panel, gd, group="zone")
    with pytest.raises(InputError, match=r"core='Core' is not a label of the grouping column"):
        _quick(panel, gd, core="Core")
    layer = gd.copy()
    layer["region"] = pd.Categorical(layer["region"], categories=["PRD", "East", "West",
                                                                  "North", "Hainan"])
    with pytest.raises(EmptyInputError, match=r"group\(s\) \['Hainan'\]"):
        _quick(panel, layer)
    only_core = gd.assign(region="PRD")
    with pytest.raises(EmptyInputError, match="only the core group"):
        # the panel's own region column would contradict the layer's (GroupConflictError)
        _quick(panel.drop(columns="region"), only_core)


def test_indicator_missing_or_all_nan(gd, panel):
    with pytest.raises(InputError, match=r"indicator column\(s\) \['gdp'\] are not in the panel"):
        _quick(panel, gd, indicators=[Indicator("gdp", higher_is_better=True, scale="level")])
    p = panel.copy()
    p.loc[p["year"] == 2019, "tfp"] = np.nan
    rep = _quick(p, gd)
    assert any("'tfp' is all missing in period(s) 2019" in n for n in rep.notes)
    d = rep.tables["deficits"]
    assert d.loc[(d["indicator"] == "tfp") & (d["period"] == 2019), "deficit"].isna().all()
    p["tfp"] = np.nan
    with pytest.raises(MissingDataError, match="'tfp' is missing .all NaN. in every period"):
        _quick(p, gd)


def test_duplicated_rows_and_bad_arguments(gd, panel):
    with pytest.raises(DuplicateIdError, match=r"duplicated \(code, year\) rows"):
        _quick(pd.concat([panel, panel.iloc[:1]]), gd)
    with pytest.raises(InputError, match="lang must be one of"):
        _quick(panel, gd, lang="fr")
    with pytest.raises(InputError, match="models must be a dict"):
        _quick(panel, gd, models=[1])


def test_user_objects_are_not_modified(gd, panel):
    p0, g0 = panel.copy(), gd.copy()
    _quick(panel, gd)
    pd.testing.assert_frame_equal(panel, p0)
    pd.testing.assert_frame_equal(gd, g0)


# ------------------------------------------------------------------- three colours
def test_colour_rule_by_hand(gd, panel):
    rule = ColourRule(yellow=0.5, red=1.0)
    rep = _quick(panel, gd, indicators=[DEFAULT_INDICATORS[0]], rule=rule)
    last = panel[panel["year"] == 2022].set_index("code")["tfp"]
    med = last[gd["region"] == "PRD"].median()
    z = (med - last) / last.std()
    expect = np.where(z > 1.0, "red", np.where(z > 0.5, "yellow", "green"))
    got = rep.tables["colours"].set_index("code")["tfp"].reindex(last.index)
    assert (got.to_numpy() == expect).all()
    with pytest.raises(InputError, match="0 <= yellow < red"):
        ColourRule(yellow=1.0, red=0.5)


def test_markov_counts_match_transitions(gd, panel):
    rep = _quick(panel, gd, indicators=DEFAULT_INDICATORS[:3])
    # the overall colour per unit and year, recomputed by hand from the shortfalls
    from spatialflow.report._data import prepare
    from spatialflow.report.monitoring import period_colours, shortfalls

    data = prepare(panel, gd, indicators=DEFAULT_INDICATORS[:3], id="code", time="year",
                   group="region", core="PRD")
    pc = period_colours(data, ColourRule(), shortfalls(data, ColourRule()))
    pairs = pd.concat([pd.DataFrame({"from": pc[a].to_numpy(), "to": pc[b].to_numpy()})
                       for a, b in zip(pc.columns[:-1], pc.columns[1:])])
    counts = pairs.value_counts()
    m = rep.tables["markov"].set_index("from")
    for colour in ("green", "yellow", "red"):
        n = int(counts[colour].sum()) if colour in counts.index.get_level_values(0) else 0
        assert m.loc[colour, "transitions"] == n
        if n:
            np.testing.assert_allclose(m.loc[colour, "to red"],
                                       counts.get((colour, "red"), 0) / n, rtol=RTOL_EXACT)


# --------------------------------------------------------------------------- LISA
def test_lisa_matches_esda(gd):
    import esda

    from spatialflow.weights import build as wbuild
    from spatialflow.weights.align import as_sparse

    w = wbuild(gd, kind="queen", islands="knn")
    y = pd.Series(np.random.default_rng(0).normal(size=len(gd)), index=gd.index)
    ours = local_moran(y, as_sparse(w, gd.index), permutations=99, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # esda's notice on alternatives
        ref = esda.Moran_Local(y.to_numpy(), w, permutations=0)
    np.testing.assert_allclose(ours["Is"].to_numpy(), ref.Is, rtol=RTOL_EXACT)
    quad = np.array(["", "HH", "LH", "LL", "HL"])[ref.q]
    assert (ours["quadrant"].to_numpy() == quad).all()
    assert ours["p_sim"].between(1 / 100, 0.51).all()
    again = local_moran(y, as_sparse(w, gd.index), permutations=99, seed=1)
    np.testing.assert_array_equal(again["p_sim"], ours["p_sim"])


# -------------------------------------------------------------------- counterfactual
def _lattice(k=4):
    n = k * k
    A = np.zeros((n, n))
    for i in range(k):
        for j in range(k):
            for di, dj in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                a, b = i + di, j + dj
                if 0 <= a < k and 0 <= b < k:
                    A[i * k + j, a * k + b] = 1
    return A / A.sum(axis=1, keepdims=True)


def _fit(kind, k=4, *, labels, seed=4, core_shift=0.0):
    """A real fit of ``kind`` (y ~ x1 + x2) on a k x k rook lattice, with its data."""
    import spatialflow as sf
    from libpysal.weights import full2W

    W = _lattice(k)
    n = W.shape[0]
    ids = [f"u{i:02d}" for i in range(n)]
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 2)), index=ids, columns=["x1", "x2"])
    lab = pd.Series(np.asarray(labels), index=ids)
    X.loc[lab == "core"] += core_shift
    y = pd.Series(0.1 + X @ np.array([0.5, -0.2]) + rng.normal(size=n), index=ids, name="y")
    w = full2W(W, ids=ids)
    res = getattr(sf, kind).from_formula("y ~ x1 + x2", data=X.assign(y=y), w=w).fit()
    return res, W, X, y, lab


def test_counterfactual_matches_dense_inverse():
    res, W, X, y, labels = _fit("SDM", labels=["core"] * 6 + ["A"] * 5 + ["B"] * 5,
                                core_shift=1.0)
    n = W.shape[0]
    got = counterfactual(res, X, y, labels, core="core", higher_is_better=True, n_draws=0)
    # brute force: dense inverse, group by group, at the fit's estimates
    p = res.params
    S = np.linalg.inv(np.eye(n) - p["rho"] * W)
    beta, theta = p[["x1", "x2"]].to_numpy(), p[["W_x1", "W_x2"]].to_numpy()
    core = (labels == "core").to_numpy()
    xc = X.to_numpy()[core].mean(axis=0)
    dy = {}
    for g in ("A", "B"):
        m = (labels == g).to_numpy()
        D = np.zeros((n, 2))
        D[m] = xc - X.to_numpy()[m].mean(axis=0)
        dy[g] = S @ (D @ beta + W @ D @ theta)
    for g, other in (("A", "B"), ("B", "A")):
        m = (labels == g).to_numpy()
        row = got.set_index("group").loc[g]
        np.testing.assert_allclose(row["own"], dy[g][m].mean(), rtol=RTOL_EXACT)
        np.testing.assert_allclose(row["spillover"], dy[other][m].mean(), rtol=RTOL_EXACT)
        np.testing.assert_allclose(row["core_response"], -(dy["A"] + dy["B"])[core].mean(),
                                   rtol=RTOL_EXACT)
        deficit = y[core].mean() - y[m].mean()
        np.testing.assert_allclose(row["deficit"], deficit, rtol=RTOL_EXACT)
        np.testing.assert_allclose(row["share"], row["closed"] / deficit, rtol=RTOL_EXACT)
        assert np.isnan(row["closed_std_error"])          # n_draws=0: no standard errors
    # lower is better flips every sign
    flip = counterfactual(res, X, y, labels, core="core", higher_is_better=False, n_draws=0)
    np.testing.assert_allclose(flip["closed"], -got["closed"], rtol=RTOL_EXACT)


def test_counterfactual_simulated_se_matches_exact_linear_case():
    # SLX: the counterfactual is linear in (beta, theta), so its exact SE is sqrt(a'Va).
    res, W, X, y, labels = _fit("SLX", labels=["core"] * 6 + ["A"] * 10, seed=5)
    n = W.shape[0]
    got = counterfactual(res, X, y, labels, core="core", higher_is_better=True, n_draws=4000,
                         seed=2).iloc[0]
    m = (labels == "A").to_numpy()
    core = ~m
    D = np.zeros((n, 2))
    D[m] = X.to_numpy()[core].mean(axis=0) - X.to_numpy()[m].mean(axis=0)
    # closed = mean_A(dy) - mean_core(dy), dy = D beta + W D theta
    wa = np.where(m, 1 / m.sum(), 0) - np.where(core, 1 / core.sum(), 0)
    names = ["Intercept", "x1", "x2", "W_x1", "W_x2"]
    a = np.r_[0.0, wa @ D, wa @ (W @ D)]
    np.testing.assert_allclose(got["closed"], a @ res.params[names].to_numpy(),
                               rtol=RTOL_EXACT)
    V = res.cov.loc[names, names].to_numpy()
    np.testing.assert_allclose(got["closed_std_error"], np.sqrt(a @ V @ a), rtol=RTOL_MC)


# --------------------------------------------------------------------------- fonts
def _glyph_warnings(fig) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    return [str(c.message) for c in caught if "missing from" in str(c.message)]


def test_chinese_labels_render_without_missing_glyphs():
    from matplotlib.figure import Figure

    from spatialflow.report.fonts import figure_fonts, find_cjk_font

    family = find_cjk_font()
    if family is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk; .ci/run installs it); "
                    "the fallback path is tested below")
    with figure_fonts(family):
        fig = Figure()
        ax = fig.subplots()
        ax.set_title("珠三角 粤东 粤西 粤北")
        ax.plot([0, 1], [0, 1], label="全要素生产率")
        ax.legend()
    # Saved outside the context, as Report.to_html does: the family must stick.
    assert _glyph_warnings(fig) == []
    # Control: the same text with matplotlib's default font does warn (the check can fail).
    plain = Figure()
    plain.subplots().set_title("珠三角")
    assert _glyph_warnings(plain)


def test_missing_cjk_font_falls_back_to_english(gd, panel, monkeypatch):
    from matplotlib import font_manager

    from spatialflow.report import fonts

    kept = [e for e in font_manager.fontManager.ttflist
            if not fonts._covers(e.fname)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", kept)
    # ... nor among the system's font files outside matplotlib's cache
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    assert fonts.find_cjk_font() is None
    with pytest.warns(CJKFontWarning, match="no installed font with Chinese glyphs"):
        rep = build(panel, gd, indicators=DEFAULT_INDICATORS[:1], lang="zh",
                    permutations=9, n_draws=10)
    assert any(n.startswith("未找到含中文字形的已安装字体") and "图中改用英文标签" in n
               for n in rep.notes)
    fig = rep.figures["deficit_trends"]
    texts = [t.get_text() for ax in fig.axes for t in [ax.title]]
    assert "TFP" in texts
    assert _glyph_warnings(fig) == []


def test_id_types_must_match_and_group_may_come_from_panel(gd, panel):
    layer = gd.copy()
    layer.index = layer.index.astype(int)
    with pytest.raises(IdMismatchError,
                       match=r"panel ids are \[.str.\], layer ids are \[.int.\]: convert one side"):
        _quick(panel, layer)
    # the grouping column may live in the panel (constant per unit)
    p = panel.assign(zone=np.where(panel["region"] == "PRD", "inner", "outer"))
    rep = _quick(p, gd.drop(columns="region"), group="zone", core="inner")
    assert set(rep.tables["deficits"]["group"]) == {"outer"}
    p.loc[p.index[0], "zone"] = "outer" if p.loc[p.index[0], "zone"] == "inner" else "inner"
    with pytest.raises(InputError, match="changes over time for unit"):
        _quick(p, gd.drop(columns="region"), group="zone", core="inner")


def test_cjk_font_installed_after_matplotlib_cache_is_found(monkeypatch):
    """A CJK font file the font cache does not list (installed after matplotlib built its
    cache) is found among the system's font files and registered."""
    from matplotlib import font_manager

    from spatialflow.report import fonts

    system = [f for f in font_manager.findSystemFonts()
              if any(h in f.lower() for h in fonts._CJK_FILE_HINTS) and fonts._covers(f)]
    if not system:
        pytest.skip("no CJK font file on this machine (Debian: fonts-noto-cjk)")
    kept = [e for e in font_manager.fontManager.ttflist if not fonts._covers(e.fname)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", kept)
    family = fonts.find_cjk_font()
    assert family in fonts.CJK_FAMILIES
    assert any(e.name == family and fonts._covers(e.fname)
               for e in font_manager.fontManager.ttflist)
