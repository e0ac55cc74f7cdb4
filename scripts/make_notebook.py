"""Write the notebooks in notebooks/ from the cells below (kept in code so diffs stay readable).

    python scripts/make_notebook.py            # all notebooks
    python scripts/make_notebook.py teaching   # the ones whose file name contains "teaching"

The notebooks are written with their outputs stripped; the test suite executes every code
cell (tests/test_notebooks.py) and `scripts/build_docs.py` executes them again to render the
documentation site.
"""
import json
import sys
from pathlib import Path

# Notebooks run with the working directory at notebooks/ (Jupyter) or at the repository root
# (the tests): every path is resolved from the repository root found here.
FIND_ROOT = '''from pathlib import Path
ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "pyproject.toml").exists())'''

SYNTHETIC_NOTE = ("**The panel used here is synthetic**: simulated on the real county units by "
                  "`spatialflow.datasets.synthetic_panel` with known parameters. "
                  "It is not statistics of Guangdong.")

QUICKSTART = [
    ("markdown", f"""# spatialflow quickstart

What this notebook shows: the real Guangdong county polygons and a map of the core (Pearl River
Delta) and periphery; spatial weights; the six cross-sectional spatial models side by side and a
specification search; a two-way fixed-effects spatial Durbin panel with the Lee-Yu correction;
the LeSage-Pace effects as a table and a plot; and their split into core/periphery blocks.

{SYNTHETIC_NOTE}"""),
    ("code", """import matplotlib.pyplot as plt
import pandas as pd

import spatialflow as sf
from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.views import effects_view
from spatialflow.weights import build, describe

counties = load_guangdong_counties()
counties.groupby("region").agg(units=("name_zh", "size"), cities=("city_code", "nunique"))"""),
    ("code", """fig, ax = plt.subplots(figsize=(7, 5))
counties.plot(column="region", categorical=True, legend=True, cmap="Set2",
              edgecolor="white", linewidth=0.3, ax=ax,
              legend_kwds={"title": "region", "loc": "lower right"})
counties[counties["core"]].dissolve().boundary.plot(ax=ax, color="black", linewidth=1.2)
ax.set_title("Guangdong's 124 county-level units; core (PRD) outlined")
ax.set_axis_off()
plt.show()"""),
    ("code", """# Nan'ao is an island: attach it to its nearest county instead of raising.
w = build(counties, kind="queen", islands="knn")
describe(w)"""),
    ("code", """panel = synthetic_panel(counties, w, seed=0)
print(panel.attrs["description"])
panel.head()"""),
    ("code", """fig, ax = plt.subplots(figsize=(7, 5))
last = counties.join(panel[panel["year"] == 2023].set_index("code")[["tfp"]])
last.plot(column="tfp", cmap="viridis", legend=True, ax=ax, edgecolor="white", linewidth=0.2,
          legend_kwds={"label": "log TFP index (synthetic)", "shrink": 0.7})
ax.set_title("TFP in 2023 -- SYNTHETIC data on real counties")
ax.set_axis_off()
plt.show()"""),
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
    ("code", """# The data were simulated, so the truth is known: set the estimates beside it.
truth = panel.attrs["truth"]["tfp"]
true_params = pd.Series({**truth["beta"], **{f"W_{k}": v for k, v in truth["theta"].items()},
                         "rho": truth["rho"]})
pd.DataFrame({"true": true_params, "estimate": fe.params, "std err": fe.bse}).loc[fe.params.index].round(4)"""),
    ("markdown", """## Effects and their core/periphery blocks

`effects()` returns a wide frame (estimates, SEs, z, p and intervals); `effects_view` shows
it as a paper-style table. Direct: the average effect of a county's own factor flow on its own
TFP; indirect: the spillover to (and from) the other counties."""),
    ("code", """effects = fe.effects(n_draws=500, seed=0)
effects_view(effects)"""),
    ("code", """fig, ax = plt.subplots(figsize=(7, 3.5))
parts = ["direct", "indirect", "total"]
x = range(len(effects.index))
for i, part in enumerate(parts):
    err = [effects[part] - effects[f"{part}_lower"], effects[f"{part}_upper"] - effects[part]]
    ax.errorbar([v + (i - 1) * 0.2 for v in x], effects[part], yerr=err, fmt="o", capsize=3,
                label=part)
ax.axhline(0, color="grey", linewidth=0.8)
ax.set_xticks(list(x), effects.index)
ax.set_ylabel("effect on log TFP")
ax.set_title("Effects with 95% intervals (SDM, two-way FE; synthetic panel)")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()"""),
    ("markdown", """The blocks below split each total effect by a partition of the counties: row `from` is
the group whose regressor rises, column `to` the group whose TFP responds (summed over the
units and divided by n). The four blocks of a variable add up to its total effect above."""),
    ("code", """groups = counties["core"].map({True: "core", False: "periphery"})
blocks = fe.effects(n_draws=500, seed=0, partition=groups)
blocks.pivot_table(index=["variable", "from"], columns="to", values="effect").round(4)"""),
]

REPLICATION = [
    ("markdown", """# Replication: spatialflow against R spatialreg on Columbus

What this notebook shows: the Columbus crime data (Anselin 1988; 49 neighbourhoods) estimated
with spatialflow's SAR, SDM, SEM and SDEM, next to the output of **R spatialreg 1.2.6** for the
same data and weights, number by number, with the differences. The R output is read from the
raw console log kept with the tests (`tests/reference/columbus/columbus_ref.txt`, produced by
`columbus.R` beside it): nothing below is typed in by hand.

R prints 7 significant digits, so agreement can only be shown to about 5e-7 relatively; the
test suite holds coefficients, rho/lambda, log-likelihood and sigma2 to 1e-5 relative and
standard errors to 1e-3. The simulated standard errors of the effects come from random draws
(2,000 in R, 2,000 here with another generator): they agree only to simulation error."""),
    ("code", FIND_ROOT + """
import re

import libpysal
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import spatialflow as sf
from spatialflow.models import moran_residuals

REF = ROOT / "tests" / "reference" / "columbus"
data = pd.read_csv(REF / "columbus_oldcol.csv", dtype={"id": str}).set_index("id")
w = libpysal.io.open(str(REF / "columbus_oldcol.gal")).read()
w.transform = "r"          # R: nb2listw(COL.nb, style = "W")
raw = (REF / "columbus_ref.txt").read_text()
data.describe().round(2)"""),
    ("markdown", """## Reading R's output

A small parser for the blocks `columbus.R` printed: the coefficient vector, the standard
errors, and the line with the log-likelihood, sigma2 and AIC of each model."""),
    ("code", """R_NAMES = {"(Intercept)": "Intercept", "lag.INC": "W_INC", "lag.HOVAL": "W_HOVAL"}


def numbers(line):
    return [float(v) for v in line.split()]


def r_model(name):
    block = raw.split(f"## {name} \\n")[1].split("## ")[0].splitlines()
    names = [R_NAMES.get(v, v) for v in block[0].split()]
    coef = dict(zip(names, numbers(block[1])))
    se_names = [R_NAMES.get(v, v) for v in block[3].split()]
    se = dict(zip(se_names, numbers(block[4])))
    spatial = re.search(r"rho_or_lambda (\\S+) se (\\S+)", block[5])
    se[names[0]] = float(spatial.group(2))
    fit = re.search(r"logLik (\\S+) sigma2 (\\S+) AIC (\\S+)", block[6])
    stats = dict(zip(["logL", "sigma2", "AIC"], map(float, fit.groups())))
    return coef, se, stats


def r_impacts(label):
    block = raw.split(f"Impact measures ({label}, exact):\\n")[1].splitlines()
    point = {row.split()[0]: numbers(" ".join(row.split()[1:])) for row in block[1:3]}
    start = block.index("Simulated standard errors")
    ses = {row.split()[0]: numbers(" ".join(row.split()[1:])) for row in block[start + 2:start + 4]}
    return point, ses


def show(frame):
    # numbers as R prints them (7 significant digits); differences in scientific notation
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind == "f":
            fmt = "{:.2e}" if ("difference" in col or col == "relative") else "{:.7g}"
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else fmt.format(v))
    return out


coef, se, stats = r_model("SAR")
pd.DataFrame({"coefficient": coef, "std err": se})"""),
    ("markdown", "## The four models: coefficients and standard errors"),
    ("code", """FORMULA = "CRIME ~ INC + HOVAL"
MODELS = {"SAR": sf.SAR, "SDM": sf.SDM, "SEM": sf.SEM, "SDEM": sf.SDEM}
# R's method="eigen" reports the expected information; spatialflow's default is the
# observed one (the negative Hessian, R's LU path), so ask for R's here.
fits = {name: cls.from_formula(FORMULA, data=data, w=w, logdet="eigen").fit(
            information="expected")
        for name, cls in MODELS.items()}

rows = []
for name, res in fits.items():
    coef, se, stats = r_model(name)
    for param in res.params.index:
        rows.append((name, param, "coefficient", coef[param], res.params[param]))
        rows.append((name, param, "std err", se[param], res.bse[param]))
    for stat, ours in (("logL", res.llf), ("sigma2", res.sigma2), ("AIC", res.aic)):
        rows.append((name, stat, "fit", stats[stat], ours))
comparison = pd.DataFrame(rows, columns=["model", "parameter", "quantity", "R spatialreg",
                                         "spatialflow"])
comparison["difference"] = comparison["spatialflow"] - comparison["R spatialreg"]
comparison["relative"] = comparison["difference"].abs() / comparison["R spatialreg"].abs()
show(comparison[comparison["quantity"] != "std err"].set_index(["model", "parameter"]))"""),
    ("code", """show(comparison[comparison["quantity"] == "std err"].set_index(["model", "parameter"]))"""),
    ("markdown", """## Effects (LeSage-Pace): SAR and SDM

The point estimates are exact in both programs (R: `impacts(..., tr = traces)` with exact
traces); the standard errors (`se` columns) are simulated in both, from different random
draws, so they agree only to simulation error (a few per cent)."""),
    ("code", """rows = []
for name, label in (("SAR", "lag"), ("SDM", "mixed")):
    point, ses = r_impacts(label)
    ours = fits[name].effects(n_draws=2000, seed=20261123)
    for var in ("INC", "HOVAL"):
        for j, part in enumerate(("direct", "indirect", "total")):
            rows.append((name, var, part, point[var][j], ours.loc[var, part],
                         ses[var][j], ours.loc[var, f"{part}_se"]))
effects = pd.DataFrame(rows, columns=["model", "variable", "effect", "R", "spatialflow",
                                      "R se", "spatialflow se"])
effects["relative difference"] = (effects["spatialflow"] - effects["R"]).abs() / effects["R"].abs()
show(effects.set_index(["model", "variable", "effect"]))"""),
    ("markdown", """## Diagnostics of the OLS fit: LM tests and Moran's I

R printed the LM statistics with 5 significant digits (e.g. `RLMlag = 3.72`), so here the
differences are R's rounding, up to about 1e-5."""),
    ("code", """ols = sf.OLS.from_formula(FORMULA, data=data).fit()
lm = sf.lm_tests(ols, W=w)
r_lm = {label: float(v) for label, v in re.findall(r"(\\w+) = ([0-9.]+), df", raw)}
lm_table = pd.DataFrame({
    "R spdep": [r_lm["LMerr"], r_lm["LMlag"], r_lm["RLMerr"], r_lm["RLMlag"], r_lm["SARMA"]],
    "spatialflow": lm["statistic"].to_numpy()}, index=lm.index)
moran = moran_residuals(ols.resid, w)
r_moran = float(re.search(r"Moran I statistic\\s+Expectation\\s+Variance\\s+([0-9.]+)", raw).group(1))
lm_table.loc["Moran's I of residuals"] = [r_moran, moran.I]
lm_table["relative difference"] = (lm_table["spatialflow"] - lm_table["R spdep"]).abs() / lm_table["R spdep"]
show(lm_table)"""),
    ("markdown", """## How close? Every comparison on one axis

Each dot is one number printed by R. Point estimates sit at the rounding of R's printout
(7 significant digits, dotted line); the dashed line is the test suite's tolerance for
estimates, the dash-dotted one for the LM statistics, which R printed with 5 digits only."""),
    ("code", """points = pd.concat([
    comparison.assign(kind=comparison["quantity"].replace({"coefficient": "coefficients",
                                                          "fit": "logL, sigma2, AIC"})),
    effects.assign(kind="effects (point)", relative=effects["relative difference"]),
    lm_table.assign(kind="LM tests, Moran", relative=lm_table["relative difference"]),
])[["kind", "relative"]]
floor = 1e-12    # exact agreement drawn at the floor of the log scale
order = ["coefficients", "std err", "logL, sigma2, AIC", "effects (point)", "LM tests, Moran"]
fig, ax = plt.subplots(figsize=(8, 3.5))
for i, kind in enumerate(order):
    vals = points.loc[points["kind"] == kind, "relative"].clip(lower=floor)
    jitter = np.linspace(-0.15, 0.15, len(vals))
    ax.scatter(vals, i + jitter, s=18)
ax.set_xscale("log")
ax.set_yticks(range(len(order)), order)
ax.axvline(5e-7, linestyle=":", color="grey", label="R's printed precision (7 digits)")
ax.axvline(1e-5, linestyle="--", color="black", label="test tolerance, estimates (1e-5)")
ax.axvline(1e-4, linestyle="-.", color="tab:purple",
           label="test tolerance, LM tests (R prints 5 digits: 1e-4)")
ax.set_xlabel("|spatialflow - R| / |R|")
ax.set_title("Columbus: spatialflow vs R spatialreg 1.2.6")
ax.legend(loc="lower right", fontsize=8)
plt.show()
worst = points.groupby("kind")["relative"].max().rename("largest relative difference")
worst.map("{:.1e}".format).to_frame()"""),
]

TEACHING = [
    ("markdown", """# Teaching lab: why OLS fails under spatial dependence, and what effects mean

What this notebook shows, with data simulated from a known process (`spatialflow.simulate`):

1. **OLS bias under a spatial lag.** When the truth is $y = \\rho W y + X\\beta + \\varepsilon$,
   OLS of $y$ on $X$ leaves $\\rho W y$ out; a Monte Carlo study (progress bar, histogram)
   shows OLS missing $\\beta$ and maximum likelihood recovering it.
2. **What the slope of OLS actually estimates**, and how the bias grows with $\\rho$.
3. **What indirect effects mean**: a map of one county's shock spreading through $W$.

**Change the parameters** in the next cell (the number of units `SIDE**2`, the strength `RHO`
of the spatial lag, the weights `W_KIND`, the number of replications) and re-run the notebook.
All data here are simulated."""),
    ("code", """# ---- parameters a class can change ----
SIDE = 15          # the lattice is SIDE x SIDE units: n = SIDE**2
RHO = 0.6          # spatial lag parameter, inside (-1, 1) for these weights
W_KIND = "rook"    # "rook" or "queen" contiguity on the lattice
REPLICATIONS = 100 # Monte Carlo replications
BETA = {"Intercept": 1.0, "x": 1.0}
SEED = 2026"""),
    ("code", """import libpysal
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from tqdm import tqdm

import spatialflow as sf
from spatialflow.simulate import Simulator
from spatialflow.weights import describe

w = libpysal.weights.lat2W(SIDE, SIDE, rook=(W_KIND == "rook"))
w.transform = "r"            # row-standardised: each unit's lag is the mean of its neighbours
describe(w)"""),
    ("markdown", """## 1. Monte Carlo: OLS against maximum likelihood

The regressor and the design stay fixed; each replication draws new errors and a new $y$.
`Simulator` factorises $I - \\rho W$ once and keeps the truth."""),
    ("code", """dgp = Simulator("SAR", w, beta=BETA, rho=RHO, seed=SEED)
dgp.truth.params"""),
    ("code", """rows = []
for draw in tqdm(dgp.draws(REPLICATIONS, seed=SEED), total=REPLICATIONS, desc="replications"):
    ols = sf.OLS.from_formula("y ~ x", data=draw.data).fit()
    ml = sf.SAR.from_formula("y ~ x", data=draw.data, w=w).fit()
    rows.append({"OLS beta": ols.params["x"], "ML beta": ml.params["x"], "ML rho": ml.params["rho"]})
mc = pd.DataFrame(rows)
summary = pd.DataFrame({"mean": mc.mean(), "sd": mc.std(), "truth": [BETA["x"], BETA["x"], RHO]})
summary["bias"] = summary["mean"] - summary["truth"]
summary.round(4)"""),
    ("code", """fig, ax = plt.subplots(figsize=(7, 3.5))
bins = np.linspace(min(mc.min()[["OLS beta", "ML beta"]]), max(mc.max()[["OLS beta", "ML beta"]]), 30)
ax.hist(mc["OLS beta"], bins=bins, alpha=0.6, label="OLS (omits rho W y)")
ax.hist(mc["ML beta"], bins=bins, alpha=0.6, label="ML spatial lag (SAR)")
ax.axvline(BETA["x"], color="black", linestyle="--", label="true beta")
ax.set_xlabel("estimate of beta")
ax.set_ylabel("replications")
ax.set_title(f"{REPLICATIONS} draws, n = {SIDE**2}, rho = {RHO}")
ax.legend()
plt.show()"""),
    ("markdown", """## 2. What OLS estimates instead

With $x$ drawn independently across units, the OLS slope converges to the **average direct
effect** $\\frac1n\\operatorname{tr}\\left[(I-\\rho W)^{-1}\\right]\\beta$, not to $\\beta$ and not to
the total effect $\\beta/(1-\\rho)$: OLS mixes the feedback through neighbours into the own
effect and misses the spillovers entirely. The simulator gives the true effects:"""),
    ("code", """true = dgp.true_effects()
pd.DataFrame({"true": [BETA["x"], true.loc["x", "direct"], true.loc["x", "total"]],
              "mean over replications": [mc["ML beta"].mean(), mc["OLS beta"].mean(), np.nan]},
             index=["beta (ML estimates it)", "direct effect (OLS drifts to it)",
                    "total effect"]).round(4)"""),
    ("code", """# The bias grows with rho: OLS only (fast), 40 draws per value of rho.
rhos = [0.0, 0.2, 0.4, 0.6, 0.8, 0.9]
curve = []
for r in tqdm(rhos, desc="rho"):
    sim = Simulator("SAR", w, beta=BETA, rho=r, seed=SEED)
    slopes = [sf.OLS.from_formula("y ~ x", data=d.data).fit().params["x"]
              for d in sim.draws(40, seed=SEED)]
    eff = sim.true_effects().loc["x"]
    curve.append({"rho": r, "OLS slope": np.mean(slopes), "direct": eff["direct"],
                  "total": eff["total"]})
curve = pd.DataFrame(curve).set_index("rho")
ax = curve.plot(style=["o", "-", "--"], figsize=(7, 3.5), logy=True)
ax.axhline(BETA["x"], color="black", linewidth=0.8)
ax.set_ylabel("effect of x on y (log scale)")
ax.set_title("OLS tracks the direct effect; beta (black) and the total effect differ")
plt.show()"""),
    ("markdown", """## 3. One unit's shock spreading through W

Raise $x$ by one in a single county and every county's expected $y$ moves: column $j$ of
$S = (I-\\rho W)^{-1}\\beta$. The county itself moves by a bit more than $\\beta$ (the feedback
through its neighbours); its neighbours by less, their neighbours by less again. Summed over all
other counties, these spillovers are the **indirect effect**. Here on the real Guangdong
county map (queen contiguity), with the same $\\rho$."""),
    ("code", """from spatialflow.datasets import load_guangdong_counties
from spatialflow.weights import build

counties = load_guangdong_counties()
wg = build(counties, kind="queen", islands="knn")
gd = Simulator("SAR", wg, beta=BETA, rho=RHO, seed=SEED)
shocked = counties.index[counties["name_en"] == "Yingde City"][0]
response = gd.shock(shocked, "x")
# A symmetric-log colour scale: the spillovers are orders of magnitude below the own response.
from matplotlib.colors import SymLogNorm

top = response.abs().max()
fig, ax = plt.subplots(figsize=(7, 5))
counties.assign(response=response).plot(column="response", cmap="RdBu_r", legend=True, ax=ax,
                                        norm=SymLogNorm(linthresh=1e-3, vmin=-top, vmax=top),
                                        edgecolor="grey", linewidth=0.2,
                                        legend_kwds={"label": "change in y (symmetric log scale)",
                                                     "shrink": 0.7})
counties.loc[[shocked]].boundary.plot(ax=ax, color="black", linewidth=1.5)
ax.set_title(f"x rises by 1 in {counties.loc[shocked, 'name_en']} (outlined); rho = {RHO}")
ax.set_axis_off()
plt.show()"""),
    ("code", """# The response by order of neighbourhood (1 = direct neighbours, 2 = their neighbours, ...)
import scipy.sparse.csgraph as csgraph

order = csgraph.shortest_path(gd.W, unweighted=True, indices=gd.ids.get_loc(shocked))
by_order = (pd.DataFrame({"order": order, "response": response.to_numpy()})
            .replace(np.inf, np.nan).dropna().astype({"order": int}).groupby("order")["response"]
            .agg(["size", "mean", "sum"]).rename(columns={"size": "counties"}))
eff = gd.true_effects().loc["x"]
print(f"own response {response[shocked]:.4f}; sum over all other counties "
      f"{response.drop(shocked).sum():.4f}")
print(f"averaged over every county as the shocked one: direct {eff['direct']:.4f}, "
      f"indirect {eff['indirect']:.4f}, total {eff['total']:.4f}")
by_order.head(6).round(4)"""),
    ("markdown", """## Exercises

1. Set `RHO = 0` and re-run: what happens to the OLS bias and to the map?
2. Set `W_KIND = "queen"`: more neighbours per unit -- does the direct effect change?
3. Double `SIDE`: which estimator's spread shrinks, and does the OLS bias shrink with it?
4. Replace `"SAR"` by `"SEM"` (with `lam=` instead of `rho=`) in the Monte Carlo: is OLS still
   biased for $\\beta$? What changes?"""),
]

GUANGDONG = [
    ("markdown", f"""# Guangdong core-periphery analysis

What this notebook shows, on the real county map of Guangdong: the measures a paper builds
first (an entropy-weighted composite of the factor flows, Dagum's Gini by region); the same
two-way fixed-effects spatial Durbin model under three weights matrices (robustness to W);
the effects split between the core (Pearl River Delta) and the periphery, and region by
region; then the deficits of each peripheral region against the core, their decomposition and
maps, through the report module (`spatialflow.report.build`).

{SYNTHETIC_NOTE} Every table and figure of the report says so."""),
    ("code", """import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import spatialflow as sf
from spatialflow import measures
from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.report import DEFAULT_INDICATORS
from spatialflow.report import build as build_report
from spatialflow.views import effects_view
from spatialflow.weights import build, describe

counties = load_guangdong_counties()
w = build(counties, kind="queen", islands="knn")
panel = synthetic_panel(counties, w, seed=0)
FLOWS = ["labour_flow", "capital_flow", "land_flow", "technology_flow"]
print(panel.attrs["description"])
panel.groupby("region")[["tfp", "income_gap", *FLOWS]].mean().round(3)"""),
    ("markdown", """## 1. Measures

An entropy-weighted composite of the four flow indices (pooled over all county-years, so the
scores are comparable over time), and Dagum's Gini of TFP by region with its decomposition
$G = G_w + G_{nb} + G_t$ (within regions, net between, transvariation)."""),
    ("code", """ew = measures.entropy_weights(panel, indicators=FLOWS, id="code", time="year")
panel["flow_index"] = ew.scores.to_numpy()
ew.weights.rename("entropy weight").round(4).to_frame()"""),
    ("code", """gini = measures.dagum_gini_by(panel, value="tfp", group="region", time="year")
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.stackplot(gini["year"], gini["within"], gini["net_between"], gini["transvariation"],
             labels=["within regions", "net between regions", "transvariation"], alpha=0.8)
ax.set_ylabel("Dagum Gini of TFP")
ax.set_title("Inequality of TFP across counties, by source (SYNTHETIC data)")
ax.legend(loc="upper right", fontsize=8)
plt.show()
gini.set_index("year")[["total", "within", "net_between", "transvariation"]].round(4).tail(3)"""),
    ("code", """latest = panel[panel["year"] == panel["year"].max()].set_index("code")
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, column, label in zip(axes, ["flow_index", "tfp"], ["factor-flow index", "log TFP"]):
    counties.join(latest[[column]]).plot(column=column, cmap="viridis", legend=True, ax=ax,
                                         edgecolor="white", linewidth=0.2,
                                         legend_kwds={"shrink": 0.6})
    counties[counties["core"]].dissolve().boundary.plot(ax=ax, color="black", linewidth=1)
    ax.set_title(f"{label}, {latest['year'].iloc[0]} (SYNTHETIC)")
    ax.set_axis_off()
plt.show()"""),
    ("markdown", """## 2. Models across several W

Results are sensitive to W, so the same two-way fixed-effects SDM (Lee-Yu corrected) is fitted
under queen contiguity, 5 nearest neighbours, and inverse squared distance (1/d², d in km
between centroids, all pairs). All are row-standardised."""),
    ("code", """weights = {
    "queen": w,
    "knn5": build(counties, kind="knn", k=5, project=True),
    "inverse distance²": build(counties, kind="inverse_distance", power=2, project=True),
}
pd.DataFrame({name: describe(g).to_series() for name, g in weights.items()}).loc[
    ["n_links", "neighbours_mean", "neighbours_max", "symmetric"]]"""),
    ("code", """FORMULA = "tfp ~ labour_flow + capital_flow + technology_flow"
models = {}
for name, g in weights.items():
    models[f"SDM · {name} · tfp"] = sf.SDM.from_formula(
        FORMULA, data=panel, w=g, id="code", time="year", effects="twoway"
    ).fit(bias_correction="lee-yu")
sf.compare(models)"""),
    ("markdown", """## 3. Effects: core and periphery, region by region

The total effect of each factor flow, under each W, and then the queen model's effects split
into blocks: how much of a region's response comes from its own counties and how much from
the other regions."""),
    ("code", """effects = {name: res.effects(n_draws=300, seed=0) for name, res in models.items()}
totals = pd.DataFrame({name: e["total"] for name, e in effects.items()})
fig, ax = plt.subplots(figsize=(7, 3.5))
totals.plot.bar(ax=ax, rot=0,
                yerr=pd.DataFrame({n: e["total_se"] * 1.96 for n, e in effects.items()}))
ax.set_ylabel("total effect on log TFP (95% interval)")
ax.set_title("Robustness of the total effects to W (SYNTHETIC data)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()
effects_view(effects["SDM · queen · tfp"], title="Effects, SDM with queen W")"""),
    ("code", """queen = models["SDM · queen · tfp"]
by_region = queen.effects(n_draws=300, seed=0, partition=counties["region"])
labour = by_region[by_region["variable"] == "labour_flow"].pivot_table(
    index="from", columns="to", values="effect")
order = ["PRD", "East", "West", "North"]
labour = labour.loc[order, order]
fig, ax = plt.subplots(figsize=(5, 4))
im = ax.imshow(labour.to_numpy(), cmap="Blues")
ax.set_xticks(range(4), order)
ax.set_yticks(range(4), order)
ax.set_xlabel("to (responding region)")
ax.set_ylabel("from (region whose labour flow rises)")
for i in range(4):
    for j in range(4):
        dark = labour.iat[i, j] > 0.6 * labour.to_numpy().max()
        ax.text(j, i, f"{labour.iat[i, j]:.3f}", ha="center", va="center", fontsize=8,
                color="white" if dark else "black")
fig.colorbar(im, ax=ax, shrink=0.8)
ax.set_title("Labour-flow effect blocks (SYNTHETIC)")
plt.show()
core_periphery = queen.effects(n_draws=300, seed=0,
                               partition=counties["core"].map({True: "core", False: "periphery"}))
core_periphery.pivot_table(index=["variable", "from"], columns="to", values="effect").round(4)"""),
    ("markdown", """## 4. Deficits, decomposition and maps: the report

`spatialflow.report.build` takes the panel, the county layer, the weights and the fitted
models and returns tables, figures and a self-contained HTML page. Each indicator states
whether higher is better (TFP and the flows: higher; the income gap: lower)."""),
    ("code", """report = build_report(panel, counties, w, indicators=DEFAULT_INDICATORS, models=models,
                      group="region", core="PRD", synthetic=True, n_draws=200, seed=0,
                      permutations=99)
print("tables: ", ", ".join(report.tables))
print("figures:", ", ".join(report.figures))"""),
    ("markdown", """The deficit of a peripheral region is how far its mean lies behind the core's, in per
cent of the core's mean, oriented so that a **positive deficit means behind the core**
(for the income gap, where lower is better, a larger gap than the core's)."""),
    ("code", """deficits = report.tables["deficits"]
last = deficits[deficits["period"] == deficits["period"].max()]
last.pivot_table(index="group", columns="indicator", values="deficit_pct").round(1)"""),
    ("code", """report.figures["deficit_trends"]"""),
    ("markdown", """The counterfactual decomposition asks: if every peripheral region's factor flows were at the
core's levels (last year), how much of its TFP deficit would close, through the model's
reduced form? `own` works through the region's own flows, `spillover` through the other
peripheral regions' flows, `core_response` is the core's own gain (which widens the gap
again); `share` = closed / deficit. One row per model: the answer under each W."""),
    ("code", """report.tables["counterfactual"][["model", "group", "deficit", "own", "spillover",
                                  "core_response", "closed", "closed_se", "share"]].round(4)"""),
    ("code", """report.figures["colours_map"]"""),
    ("code", """report.figures["blocks_heatmap"]"""),
    ("code", """# The whole report as one self-contained HTML file (here in a temporary folder).
import tempfile
from pathlib import Path

out = Path(tempfile.mkdtemp()) / "guangdong_report.html"
report.to_html(out)
print(f"{out.name}: {out.stat().st_size / 1e6:.1f} MB; notes:")
for note in report.notes:
    print(" -", note)"""),
]

NOTEBOOKS = {
    "quickstart.ipynb": QUICKSTART,
    "replication_columbus.ipynb": REPLICATION,
    "teaching_lab.ipynb": TEACHING,
    "guangdong_core_periphery.ipynb": GUANGDONG,
}


def write(name: str, cells) -> Path:
    nb = {"cells": [], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                   "name": "python3"},
                                    "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    for i, (kind, text) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"cell-{i}", "metadata": {},
                "source": text.splitlines(keepends=True)}
        if kind == "code":
            cell.update({"execution_count": None, "outputs": []})
        nb["cells"].append(cell)
    out = Path(__file__).resolve().parents[1] / "notebooks" / name
    out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def main(argv=None) -> None:
    wanted = (argv if argv is not None else sys.argv[1:]) or [""]
    for name, cells in NOTEBOOKS.items():
        if any(w in name for w in wanted):
            print(f"wrote {write(name, cells)}")


if __name__ == "__main__":
    main()
