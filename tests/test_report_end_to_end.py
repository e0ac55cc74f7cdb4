"""End to end: the report on the embedded data (real county polygons, SYNTHETIC panel) with
a two-way fixed-effects SDM, its numbers checked against the library's own functions.

- deficits = plain group means of the panel;
- spillover blocks sum to the model's total effects (effects(partition=...) vs effects());
- the Dagum identity G = G_w + G_nb + G_t, and equality with measures.dagum_gini;
- the counterfactual decomposition against a dense-inverse brute force with the fit's
  params and W;
- the HTML: every image embedded (data URI), no external URL, every table the summary cites
  exists, and the synthetic notice is on the page, under every table and in every figure.
"""
from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from spatialflow import SDM, SAR
from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.measures import dagum_gini
from spatialflow.report import DEFAULT_INDICATORS, build
from spatialflow.weights import build as build_w

RTOL_EXACT = 1e-10   # the same number computed two ways (round-off only)
N_DRAWS = 40         # few draws: the tests check identities, not Monte Carlo precision
FORMULA = "tfp ~ labour_flow + capital_flow + land_flow + technology_flow"


@pytest.fixture(scope="module")
def setup():
    gd = load_guangdong_counties()
    w = build_w(gd, kind="queen", islands="knn")
    panel = synthetic_panel(gd, w, years=range(2019, 2024), seed=3)
    sdm = SDM.from_formula(FORMULA, data=panel, w=w, id="code", time="year",
                           effects="twoway").fit()
    sar = SAR.from_formula(FORMULA, data=panel, w=w, id="code", time="year",
                           effects="twoway").fit()
    # A model flagged as not converged must be shown as such, never dropped.
    stuck = dataclasses.replace(sar, converged=False)
    models = {"SDM · queen · tfp": sdm, "SAR · queen · tfp": sar, "SAR (stuck)": stuck}
    rep = build(panel, gd, w, indicators=DEFAULT_INDICATORS[:4], models=models, n_draws=N_DRAWS,
                permutations=49, seed=1, source="test run")
    return dict(gd=gd, w=w, panel=panel, sdm=sdm, rep=rep)


def test_deficits_equal_group_means(setup):
    panel, rep = setup["panel"], setup["rep"]
    levels = rep.tables["levels"]
    direct = panel.groupby(["year", "region"])["capital_flow"].mean()
    got = levels[levels["indicator"] == "capital_flow"].set_index(["period", "group"])["mean"]
    for (year, region), value in direct.items():
        np.testing.assert_allclose(got[(year, region)], value, rtol=RTOL_EXACT)
    d = rep.tables["deficits"]
    d = d[(d["indicator"] == "capital_flow") & (d["period"] == 2023)].set_index("group")
    for region in ("North", "East", "West"):
        np.testing.assert_allclose(d.loc[region, "deficit"],
                                   direct[(2023, "PRD")] - direct[(2023, region)],
                                   rtol=RTOL_EXACT)


def test_blocks_sum_to_total_effects(setup):
    rep = setup["rep"]
    eff = rep.tables["effects"].set_index(["model", "variable"])["total"]
    for key in ("blocks_cp", "blocks_groups"):
        sums = rep.tables[key].groupby(["model", "variable"])["estimate"].sum()
        for idx, value in sums.items():
            np.testing.assert_allclose(value, eff[idx], rtol=1e-8)
    # same seed, same draws: the report's effects are the model's own
    own = setup["sdm"].effects(n_draws=N_DRAWS, seed=1)
    np.testing.assert_allclose(eff.loc["SDM · queen · tfp"].reindex(own.index), own["total"],
                               rtol=RTOL_EXACT)


def test_dagum_identity_and_library(setup):
    rep, panel = setup["rep"], setup["panel"]
    dag = rep.tables["dagum"]
    np.testing.assert_allclose(dag["within"] + dag["net_between"] + dag["transvariation"],
                               dag["total"], rtol=1e-12)
    last = panel[panel["year"] == 2023]
    ref = dagum_gini(last["income_gap"], last["region"])
    row = dag[(dag["indicator"] == "income_gap") & (dag["period"] == 2023)].iloc[0]
    np.testing.assert_allclose([row["total"], row["within"], row["net_between"]],
                               [ref.total, ref.within, ref.net_between], rtol=RTOL_EXACT)


def test_counterfactual_against_dense_inverse(setup):
    rep, sdm, panel, gd = setup["rep"], setup["sdm"], setup["panel"], setup["gd"]
    cf = rep.tables["counterfactual"]
    cf = cf[cf["model"] == "SDM · queen · tfp"].set_index("group")
    last = panel[panel["year"] == 2023].set_index("code").reindex(sdm.ids)
    region = gd["region"].reindex(sdm.ids).to_numpy()
    xs = ["labour_flow", "capital_flow", "land_flow", "technology_flow"]
    X = last[xs].to_numpy()
    W = sdm.W.toarray()
    beta = sdm.params[xs].to_numpy()
    theta = sdm.params[[f"W_{x}" for x in xs]].to_numpy()
    S = np.linalg.inv(np.eye(len(W)) - sdm.params["rho"] * W)
    core = region == "PRD"
    dy = {}
    for g in ("North", "East", "West"):
        m = region == g
        D = np.zeros_like(X)
        D[m] = X[core].mean(axis=0) - X[m].mean(axis=0)
        dy[g] = S @ (D @ beta + W @ D @ theta)
    total = sum(dy.values())
    for g in ("North", "East", "West"):
        m = region == g
        np.testing.assert_allclose(cf.loc[g, "own"], dy[g][m].mean(), rtol=RTOL_EXACT)
        np.testing.assert_allclose(cf.loc[g, "spillover"], (total - dy[g])[m].mean(),
                                   rtol=RTOL_EXACT)
        np.testing.assert_allclose(cf.loc[g, "closed"], total[m].mean() - total[core].mean(),
                                   rtol=RTOL_EXACT)
        np.testing.assert_allclose(cf.loc[g, "deficit"],
                                   last["tfp"][core].mean() - last["tfp"][m].mean(),
                                   rtol=RTOL_EXACT)
        assert cf.loc[g, "closed_std_error"] > 0


def test_non_converged_model_is_flagged_not_dropped(setup):
    rep = setup["rep"]
    fit = rep.tables["models_fit"].set_index("model")
    assert not fit.loc["SAR (stuck)", "converged"]
    assert any("'SAR (stuck)' did NOT converge" in n for n in rep.notes)
    assert "SAR (stuck)" in set(rep.tables["effects"]["model"])


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.ids, self.hrefs, self.summary_hrefs = [], set(), [], []
        self._in_summary = 0
        self.attrs_text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attrs_text += [str(v) for v in a.values()]
        if "id" in a:
            self.ids.add(a["id"])
        if a.get("id") == "summary":
            self._in_summary = 1
        elif self._in_summary and tag == "section":
            self._in_summary += 1
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag == "a":
            self.hrefs.append(a.get("href", ""))
            if self._in_summary:
                self.summary_hrefs.append(a.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "section" and self._in_summary:
            self._in_summary -= 1


@pytest.mark.slow
def test_html_is_self_contained_and_traceable(setup, tmp_path):
    rep = setup["rep"]
    path = rep.to_html(tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(text)
    assert len(parser.imgs) == len(rep.figures) > 10
    assert all(src.startswith("data:image/png;base64,") for src in parser.imgs)
    assert not re.search(r"https?://|url\(|@import", text)
    assert parser.summary_hrefs, "the summary cites no table"
    for href in parser.summary_hrefs + parser.hrefs:
        assert href.startswith("#") and href[1:] in parser.ids, href
    # every cited table is one of the report's tables
    cited = {h[len("#tab-"):] for h in parser.summary_hrefs}
    assert cited <= set(rep.tables)
    # the synthetic notice: banner, under every table, and on every figure
    assert "SYNTHETIC DATA" in text
    assert text.count("SYNTHETIC data, not real statistics.") >= len(rep.tables)
    for key, fig in rep.figures.items():
        assert any("SYNTHETIC data" in t.get_text() for t in fig.texts), key
    # summary before evidence
    assert text.index('id="summary"') < text.index('id="sec-deficits"')
    # written atomically: nothing else left in the folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_markdown_and_latex_folders(setup, tmp_path):
    rep = setup["rep"]
    md = rep.to_markdown(tmp_path / "md")
    assert (md / "report.md").read_text(encoding="utf-8").count("](figures/") == len(rep.figures)
    assert {p.stem for p in (md / "tables").glob("*.md")} == set(rep.tables)
    tex = rep.to_latex(tmp_path / "tex")
    body = (tex / "report.tex").read_text(encoding="utf-8")
    deficits = (tex / "tables" / "deficits.tex").read_text(encoding="utf-8")
    # a table float with caption and label, or a longtable beyond 40 rows (issue 20)
    env = "longtable" if len(rep.tables["deficits"]) > 40 else "tabular"
    assert f"\\begin{{{env}}}" in deficits and "\\label{tab:deficits}" in deficits
    assert "\\end{document}" in body
    # re-writing replaces the folder as a whole
    rep.to_markdown(tmp_path / "md")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["md", "tex"]


def test_interrupted_write_leaves_nothing(setup, tmp_path):
    rep = setup["rep"]

    class Boom:
        def savefig(self, *a, **k):
            raise KeyboardInterrupt

    rep.to_html(tmp_path.parent / f"{tmp_path.name}-warm.html")  # render the PNGs once
    (tmp_path.parent / f"{tmp_path.name}-warm.html").unlink()
    png = {k: v for k, v in rep._png.items() if k != "dagum"}
    broken = dataclasses.replace(rep, figures={**rep.figures, "dagum": Boom()}, _png=png)
    with pytest.raises(KeyboardInterrupt):
        broken.to_html(tmp_path / "report.html")
    with pytest.raises(KeyboardInterrupt):
        broken.to_markdown(tmp_path / "md")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_main_pipeline_writes_the_report_with_library_numbers(tmp_path):
    """`spatialflow run`'s pipeline on the embedded data: report.html is written, and the
    report's numbers are the library's (group means of the run's panel, blocks = totals)."""
    from spatialflow.pipeline import make_config, run

    out = tmp_path / "out"
    result = run(make_config({"seed": 2, "models": {"kinds": ["SDM"]},
                              "effects": {"n_draws": 20}, "output": {"folder": str(out)}}))
    html = (out / "report.html").read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(html)
    assert parser.imgs and all(s.startswith("data:image/png;base64,") for s in parser.imgs)
    assert "SYNTHETIC" in html
    rep, panel = result.report, result.plan.inputs.panel
    d = rep.tables["deficits"]
    last = panel[panel["year"] == panel["year"].max()]
    means = last.groupby("region")["tfp"].mean()
    row = d[(d["indicator"] == "tfp") & (d["period"] == last["year"].iloc[0])].set_index("group")
    for region in ("North", "East", "West"):
        np.testing.assert_allclose(row.loc[region, "deficit"], means["PRD"] - means[region],
                                   rtol=RTOL_EXACT)
    eff = rep.tables["effects"].set_index(["model", "variable"])["total"]
    sums = rep.tables["blocks_groups"].groupby(["model", "variable"])["estimate"].sum()
    np.testing.assert_allclose(sums.to_numpy(), eff.reindex(sums.index).to_numpy(), rtol=1e-8)
