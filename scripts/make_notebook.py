"""Write notebooks/quickstart.ipynb from the cells below (kept in code so diffs stay readable).

The test suite executes every code cell of the notebook (tests/test_notebooks.py).
"""
import json
from pathlib import Path

CELLS = [
    ("markdown", """# spatialflow quickstart

Real Guangdong county polygons, spatial weights, cross-sectional and panel spatial models,
effects and their core/periphery split.

**The panel used here is synthetic**: simulated on the real county units by
`spatialflow.datasets.synthetic_panel` with known parameters. It is not statistics of Guangdong."""),
    ("code", """import spatialflow as sf
from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.weights import build, describe

counties = load_guangdong_counties()
counties.groupby("region").agg(units=("name_zh", "size"), cities=("city_code", "nunique"))"""),
    ("code", """# Nan'ao is an island: attach it to its nearest county instead of raising.
w = build(counties, kind="queen", islands="knn")
describe(w)"""),
    ("code", """panel = synthetic_panel(counties, w, seed=0)
panel.attrs["description"]"""),
    ("markdown", "## Cross-section: one year, the six models side by side"),
    ("code", """cs = panel[panel["year"] == 2023].set_index("code")
formula = "tfp ~ labour_flow + capital_flow + technology_flow"
fits = [cls.from_formula(formula, data=cs, w=w).fit()
        for cls in (sf.OLS, sf.SLX, sf.SAR, sf.SEM, sf.SDM, sf.SDEM)]
sf.compare(fits)"""),
    ("code", """search = sf.specification_search(formula, data=cs, w=w)
print(search.decision, "--", search.reason)
search.tests"""),
    ("markdown", "## Panel: two-way fixed-effects SDM with the Lee-Yu correction"),
    ("code", """fe = sf.SDM.from_formula(formula, data=panel, w=w, id="code", time="year",
                         effects="twoway").fit(bias_correction="lee-yu")
fe.summary()"""),
    ("code", """truth = panel.attrs["truth"]["tfp"]
{"rho (true)": truth["rho"], "rho (estimate)": round(fe.params["rho"], 4)}"""),
    ("markdown", "## Effects and their core/periphery blocks"),
    ("code", """fe.effects(n_draws=500, seed=0)[["direct", "direct_se", "indirect", "indirect_se", "total", "total_se"]]"""),
    ("code", """groups = counties["core"].map({True: "core", False: "periphery"})
blocks = fe.effects(n_draws=500, seed=0, partition=groups)
blocks.pivot_table(index=["variable", "from"], columns="to", values="effect")"""),
]


def main() -> None:
    nb = {"cells": [], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                   "name": "python3"},
                                    "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    for i, (kind, text) in enumerate(CELLS):
        cell = {"cell_type": kind, "id": f"cell-{i}", "metadata": {},
                "source": text.splitlines(keepends=True)}
        if kind == "code":
            cell.update({"execution_count": None, "outputs": []})
        nb["cells"].append(cell)
    out = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"
    out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
