"""Write the notebooks in notebooks/ from the cells below (kept in code so diffs stay readable).

    python scripts/make_notebook.py            # all notebooks
    python scripts/make_notebook.py lab        # the ones whose file name contains "lab"

The lab (LAB below) is written twice: with its solutions to notebooks/lab/solutions/, and
without them (scripts/strip_solutions.py drops the cells tagged ``solution``) to notebooks/lab/.

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
blocks.pivot_table(index=["variable", "from"], columns="to", values="estimate").round(4)"""),
]

REPLICATION = [
    ("markdown", """# Replication: spatialflow against R spatialreg on Columbus

What this notebook shows: the Columbus crime data (Anselin 1988; 49 neighbourhoods) estimated
with spatialflow's SAR, SDM, SEM and SDEM, next to the output of **R spatialreg 1.2.6** for the
same data and weights, number by number, with the differences. The R output is read from the
raw console log kept with the tests (`tests/reference/columbus/columbus_ref.txt`, produced by
`columbus.R` beside it): nothing below is typed in by hand.

R prints 7 significant digits, so agreement can only be shown to about 5e-7 relatively; the
test suite (`tests/test_models_columbus.py`) holds coefficients, rho/lambda, log-likelihood,
sigma2, AIC and the standard errors of the expected information (what R's `method="eigen"`
reports) to exactly that, 5e-7 relative. The simulated standard errors of the effects come
from random draws (2,000 in R, 2,000 here with another generator): they agree only to
simulation error."""),
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
                         ses[var][j], ours.loc[var, f"{part}_std_error"]))
effects = pd.DataFrame(rows, columns=["model", "variable", "effect", "R", "spatialflow",
                                      "R se", "spatialflow se"])
effects["relative difference"] = (effects["spatialflow"] - effects["R"]).abs() / effects["R"].abs()
show(effects.set_index(["model", "variable", "effect"]))"""),
    ("markdown", """## Diagnostics of the OLS fit: LM tests and Moran's I

R printed the LM statistics with 5 significant digits (e.g. `RLMlag = 3.72`), so here the
differences are R's rounding, up to 5e-5 relative (the tests allow 1e-4)."""),
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
ax.axvline(5e-7, linestyle="--", color="black",
           label="R's printed precision (7 digits) = test tolerance, estimates and SEs")
ax.axvline(1e-4, linestyle="-.", color="tab:purple",
           label="test tolerance, LM tests (R prints 5 digits: 1e-4)")
ax.set_xlabel("|spatialflow - R| / |R|")
ax.set_title("Columbus: spatialflow vs R spatialreg 1.2.6")
ax.legend(loc="lower right", fontsize=8)
plt.show()
worst = points.groupby("kind")["relative"].max().rename("largest relative difference")
worst.map("{:.1e}".format).to_frame()"""),
]

GUANGDONG = [
    ("markdown", f"""# Guangdong core-periphery analysis: a paper's workflow

What this notebook shows, in the order a paper presents it:

**Part I, on REAL data** -- the 2010 and 2020 population censuses of Guangdong's counties
(`spatialflow.datasets.load_guangdong_census`, 116 units comparable across the decade's
boundary changes): descriptive statistics by region, the spatial autocorrelation of the
urbanisation rate (global Moran's I, LISA clusters on the map), the specification tests and
the choice of model with its evidence (panel LM tests, LR/Wald tests of the spatial Durbin
model's restrictions, LR tests of the fixed effects, posterior model probabilities), then the
model, its direct/indirect/total effects and their split between the core (Pearl River Delta)
and the periphery.

**Part II, on SYNTHETIC data, for TFP only** -- the census has no productivity measure, so the
TFP analysis (entropy-weighted flow index, Dagum's Gini, the two-way fixed-effects SDM under
three weights matrices, region-by-region effect blocks, deficits against the core and the
report) runs on a panel simulated on the real county map. {SYNTHETIC_NOTE}"""),
    ("code", """import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import spatialflow as sf
from spatialflow.datasets import load_guangdong_census, load_guangdong_census_units
from spatialflow.measures import moran_by_period
from spatialflow.models import durbin_tests, effects_lr_tests, panel_lm_tests
from spatialflow.views import effects_view
from spatialflow.weights import build, describe

census = load_guangdong_census(level="comparable")   # REAL: one row per unit and census year
units = load_guangdong_census_units()                 # the layer dissolved into those units
wc = build(units, kind="queen", islands="knn")        # Nan'ao (an island) -> nearest unit
census["region"] = census["code"].map(units["region"])
census["core"] = census["code"].map(units["core"])
OUTCOME = "urban_rate"
REGRESSORS = ["inflow_other_county_share", "inflow_other_province_share", "schooling_years"]
LABELS = census.attrs["labels"]
print("Source:", census.attrs["source"])
describe(wc)"""),
    ("markdown", """## Part I -- the censuses (real data)

### 1. Descriptive statistics

Means by region and census year (unweighted across units; the PRD is the core). Shares are in
per cent of residents (urbanisation, inflows) or of the employed; schooling in years for
persons aged 6 and over, recomputed in both years on the same base."""),
    ("code", """VARS = [OUTCOME, *REGRESSORS, "nonagri_employment_share"]
table = (census.groupby(["region", "year"])[VARS].mean()
         .rename(columns=LABELS).round(2).unstack("year"))
table.loc[["PRD", "East", "West", "North"]]"""),
    ("code", """summary = census.groupby("year")[VARS].agg(["mean", "std", "min", "max"]).T
summary.index = [f"{LABELS[v]} ({s})" for v, s in summary.index]
summary.round(2)"""),
    ("code", """wide = census.pivot_table(index="code", columns="year", values=OUTCOME)
maps = units.join(wide.rename(columns=str))
maps["change"] = maps["2020"] - maps["2010"]
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, column, title, cmap in ((axes[0], "2020", "Urbanisation rate 2020 (%)", "viridis"),
                                (axes[1], "change", "Change 2010-2020 (percentage points)",
                                 "RdBu")):
    maps.plot(column=column, cmap=cmap, legend=True, ax=ax, edgecolor="white", linewidth=0.2,
              legend_kwds={"shrink": 0.6})
    units[units["core"]].dissolve().boundary.plot(ax=ax, color="black", linewidth=1)
    ax.set_title(title + " -- census")
    ax.set_axis_off()
plt.show()"""),
    ("markdown", """### 2. Spatial autocorrelation: Moran's I and LISA

Global Moran's I of each variable in each census year (99 permutations for the pseudo
p-value), then the local Moran's I of the urbanisation rate in 2020: **HH** units are high
and surrounded by high values, **LL** low among low, **HL** / **LH** the spatial outliers;
only units with a pseudo p-value below 0.05 are coloured."""),
    ("code", """moran = pd.concat({LABELS[v]: moran_by_period(census, v, w=wc, id="code", time="year",
                                              permutations=99, seed=0)
                   .set_index("period")[["I", "z_norm", "p_sim"]]
                   for v in [OUTCOME, *REGRESSORS]})
moran.round(3)"""),
    ("code", """# The package's one LISA (measures.local_statistics): esda.Moran_Local's statistic with
# conditional permutations from a seeded numpy Generator; the report, the maps and
# measures.local_moran give the same p-values for the same seed (and no numba compile).
from spatialflow.report.lisa import local_moran
from spatialflow.weights import as_sparse

y20 = census[census["year"] == 2020].set_index("code")[OUTCOME].reindex(units.index)
lisa20 = local_moran(y20, as_sparse(wc, y20.index), permutations=99, seed=0)
cluster = lisa20["quadrant"].where(lisa20["p_sim"] < 0.05, "not significant")
COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9",
           "not significant": "#eeeeee"}
fig, ax = plt.subplots(figsize=(7, 5))
for label, colour in COLOURS.items():
    part = units.loc[cluster.index[cluster == label]]
    if len(part):
        part.plot(ax=ax, color=colour, edgecolor="grey", linewidth=0.2,
                  label=f"{label} ({len(part)})")
units[units["core"]].dissolve().boundary.plot(ax=ax, color="black", linewidth=1)
from matplotlib.patches import Patch
ax.legend(handles=[Patch(color=c, label=f"{k} ({int((cluster == k).sum())})")
                   for k, c in COLOURS.items()], loc="lower right", fontsize=8,
          title="LISA, p < 0.05")
ax.set_title("Urbanisation rate 2020: local Moran clusters (census)")
ax.set_axis_off()
plt.show()
cluster.value_counts().rename("units").to_frame()"""),
    ("markdown", r"""### 3. Specification tests and the choice of model

With two censuses, a two-way fixed-effects panel (unit and period effects) identifies the
relation from changes over the decade. The evidence, in Elhorst's (2014) order:

1. **LM tests** on the non-spatial two-way model: is there spatial dependence, and do the
   (robust) tests point to a lag or an error?
2. **LR / Wald tests of the SDM's restrictions**: $\theta = 0$ (SDM vs SAR) and the common
   factor $\theta + \rho\beta = 0$ (SDM vs SEM).
3. **LR tests of the fixed effects**: are unit and period effects both needed?
4. **Posterior model probabilities** (LeSage 2014; equal priors) as a check on the tests.

The rule that turns the tests into a choice is written out below, not hidden: both SDM
restrictions rejected -> SDM; otherwise the restricted model the LM tests point to, if its
restriction is not rejected; when tests disagree, the SDM, which nests both."""),
    ("code", """FORMULA = f"{OUTCOME} ~ " + " + ".join(REGRESSORS)
fits = {kind: getattr(sf, kind).from_formula(FORMULA, data=census, w=wc, id="code",
                                             time="year", effects="twoway").fit()
        for kind in ("SAR", "SEM", "SDM")}
lm = panel_lm_tests(fits["SAR"])      # the non-spatial two-way model's LM tests
durbin = durbin_tests(fits["SDM"])
fe = effects_lr_tests(fits["SDM"])
probabilities = sf.model_probabilities(FORMULA, census, wc, id="code", time="year",
                                       effects="twoway", models=("SAR", "SEM", "SDM", "SDEM"))
evidence = pd.concat({"LM (two-way OLS)": lm, "SDM restrictions": durbin,
                      "fixed effects": fe})[["statistic", "df", "p_value"]]
evidence.round(4)"""),
    ("code", """ALPHA = 0.05

def lm_direction(lm, alpha=ALPHA):
    # the robust tests decide; if neither rejects, the classic ones (larger statistic wins)
    for lag, err in (("robust LM-lag", "robust LM-error"), ("LM-lag", "LM-error")):
        rejected = {k: lm.loc[k, "statistic"] for k in (lag, err) if lm.loc[k, "p_value"] < alpha}
        if rejected:
            return "lag" if max(rejected, key=rejected.get) == lag else "error"
    return "none"

direction = lm_direction(lm)
p_sar, p_sem = durbin.loc["LR SDM vs SAR", "p_value"], durbin.loc["LR SDM vs SEM", "p_value"]
if p_sar < ALPHA and p_sem < ALPHA:
    chosen = "SDM"
elif p_sar >= ALPHA and direction == "lag":
    chosen = "SAR"
elif p_sem >= ALPHA and direction == "error":
    chosen = "SEM"
else:
    chosen = "SDM"
print(f"LM tests point to the {direction}; LR SDM vs SAR p = {p_sar:.3f}, SDM vs SEM "
      f"p = {p_sem:.3f} -> {chosen}.")
print("AIC:", {k: round(r.aic, 2) for k, r in fits.items()})
probabilities.round(3)"""),
    ("markdown", """**Reading the evidence.** The LM tests reject the non-spatial model, but neither
restriction of the SDM is rejected, the robust LM tests cannot separate lag from error, AIC
differs by less than one point between SAR and SEM, and the posterior probabilities are spread
over the four models: with 116 units and two censuses the data say that there is spatial
dependence, not confidently which kind. The paper reports the chosen model, and the SDM beside
it as the general model that does not impose how (or whether) the effects spill over."""),
    ("code", """sf.compare({f"{k} (chosen)" if k == chosen else k: r for k, r in fits.items()})"""),
    ("markdown", """### 4. Effects, and their split between core and periphery

LeSage-Pace effects of the chosen model and of the SDM (simulation inference, 500 draws). A SEM
has no spillovers by construction (indirect effects are 0); the SDM estimates them. The blocks
split the SDM's effects by where the change happens (**from**) and who responds (**to**):
core (PRD) and periphery. Rows of the heatmap are the responding group, as in the report."""),
    ("code", """census_effects = {name: fits[name].effects(n_draws=500, seed=0)
                  for name in dict.fromkeys([chosen, "SDM"])}
effects_view(census_effects["SDM"], title="Effects on the urbanisation rate, two-way FE SDM "
                                          "(census)")"""),
    ("code", """groups = units["core"].map({True: "core (PRD)", False: "periphery"})
census_blocks = fits["SDM"].effects(n_draws=500, seed=0, partition=groups)
school = census_blocks[census_blocks["variable"] == "schooling_years"].pivot_table(
    index="to", columns="from", values="estimate")
fig, ax = plt.subplots(figsize=(5, 3.5))
im = ax.imshow(school.to_numpy(), cmap="RdBu", vmin=-abs(school).to_numpy().max(),
               vmax=abs(school).to_numpy().max())
ax.set_xticks(range(2), school.columns)
ax.set_yticks(range(2), school.index)
ax.set_xlabel("from (where schooling rises)")
ax.set_ylabel("to (responding group)")
for i in range(2):
    for j in range(2):
        ax.text(j, i, f"{school.iat[i, j]:.2f}", ha="center", va="center", fontsize=9)
fig.colorbar(im, ax=ax, shrink=0.8, label="effect on urbanisation (pp per year of schooling)")
ax.set_title("SDM effect blocks, schooling (census)")
plt.show()
census_blocks.pivot_table(index=["variable", "to"], columns="from",
                          values=["estimate", "std_error"]).round(3)"""),
    ("markdown", """## Part II -- TFP on a SYNTHETIC panel

**Everything below is simulated**: the census has no productivity measure, so the TFP
analysis runs on `synthetic_panel`, drawn on the real county map (124 units, 2010-2023) with
known parameters. It shows the workflow, not facts about Guangdong."""),
    ("code", """from spatialflow import measures
from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.report import DEFAULT_INDICATORS
from spatialflow.report import build as build_report

counties = load_guangdong_counties()
w = build(counties, kind="queen", islands="knn")
panel = synthetic_panel(counties, w, seed=0)
FLOWS = ["labour_flow", "capital_flow", "land_flow", "technology_flow"]
print(panel.attrs["description"])
panel.groupby("region")[["tfp", "income_gap", *FLOWS]].mean().round(3)"""),
    ("markdown", """### 5. Measures (synthetic)

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
    ("markdown", """### 6. Models across several W (synthetic)

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
    ("markdown", """### 7. Effects: core and periphery, region by region (synthetic)

The total effect of each factor flow, under each W, and then the queen model's effects split
into blocks: how much of a region's response comes from its own counties and how much from
the other regions."""),
    ("code", """effects = {name: res.effects(n_draws=300, seed=0) for name, res in models.items()}
totals = pd.DataFrame({name: e["total"] for name, e in effects.items()})
fig, ax = plt.subplots(figsize=(7, 3.5))
totals.plot.bar(ax=ax, rot=0,
                yerr=pd.DataFrame({n: e["total_std_error"] * 1.96 for n, e in effects.items()}))
ax.set_ylabel("total effect on log TFP (95% interval)")
ax.set_title("Robustness of the total effects to W (SYNTHETIC data)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
plt.show()
effects_view(effects["SDM · queen · tfp"], title="Effects, SDM with queen W")"""),
    ("code", """queen = models["SDM · queen · tfp"]
by_region = queen.effects(n_draws=300, seed=0, partition=counties["region"])
# rows = the responding region ("to"), columns = where the flow rises ("from"): as the report
labour = by_region[by_region["variable"] == "labour_flow"].pivot_table(
    index="to", columns="from", values="estimate")
order = ["PRD", "East", "West", "North"]
labour = labour.loc[order, order]
fig, ax = plt.subplots(figsize=(5, 4))
im = ax.imshow(labour.to_numpy(), cmap="Blues")
ax.set_xticks(range(4), order)
ax.set_yticks(range(4), order)
ax.set_xlabel("from (region whose labour flow rises)")
ax.set_ylabel("to (responding region)")
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
core_periphery.pivot_table(index=["variable", "from"], columns="to", values="estimate").round(4)"""),
    ("markdown", """### 8. Deficits, decomposition and maps: the report (synthetic)

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
                                  "core_response", "closed", "closed_std_error", "share"]].round(4)"""),
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

# --------------------------------------------------------------------------------------
# The lab: three notebooks for a two-hour master's class, with exercises and checkpoints.
# Cell kinds: "exercise" (the task, `...` where the answer goes), "solution" (the answer;
# scripts/strip_solutions.py drops it from the students' version), "checkpoint" (asserts a
# student runs to check the answer).
# --------------------------------------------------------------------------------------
LAB_HOW_TO = """**How to work.** Cells starting `# EXERCISE` are yours: replace each `...` and run the
cell. The `# CHECKPOINT` cell below it checks your answer with `assert` -- no error means it is
right; an `AssertionError` says what to look at. The lecturer's copy with the solutions is
`notebooks/lab/solutions/` (the students' copy is generated from it by
`scripts/strip_solutions.py`, which drops the cells tagged `solution`).
All data here are **simulated** (`spatialflow.simulate`) on the real county map of Guangdong:
they are not statistics of any place."""

LAB_SETUP = '''import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import spatialflow as sf
from spatialflow.datasets import load_guangdong_counties
from spatialflow.simulate import Simulator
from spatialflow.weights import build

counties = load_guangdong_counties()
# Queen contiguity, row-standardised; Nan'ao (an island) is linked to its nearest county.
w = build(counties, kind="queen", islands="knn")'''

LAB_1 = [
    ("markdown", rf"""# Lab 1 of 3 -- Spatial dependence in OLS residuals, and the two biases of OLS

What this notebook shows (about 40 minutes): OLS fitted to data from a spatial lag process
leaves clustered residuals (a map, Moran's I); the LM tests say which spatial model to try;
leaving $\rho W y$ out of OLS is an **omitted-variable** bias, putting $Wy$ in as a regressor a
**simultaneity** bias -- both measured against the known truth in a small Monte Carlo study.

The true process throughout: $y = \rho W y + \beta_0 + \beta x + \varepsilon$, i.e.
$y = (I-\rho W)^{{-1}}(\beta_0 + \beta x + \varepsilon)$, on Guangdong's 124 counties.

{LAB_HOW_TO}"""),
    ("code", """# ---- parameters a class can change ----
RHO = 0.6                               # strength of the spatial lag in the true process
BETA = {"Intercept": 1.0, "x": 1.0}
REPS = 30                               # Monte Carlo replications (part 3)
SEED = 2026"""),
    ("code", LAB_SETUP + """
from spatialflow.models import lm_tests, moran_residuals

dgp = Simulator("SAR", w, beta=BETA, rho=RHO, seed=SEED)
data = dgp.draw(seed=SEED).data          # indexed by county code: y and x
print(data.attrs["description"])
data.head()"""),
    ("markdown", r"""## 1. Is there spatial dependence left in the OLS residuals?

Fit OLS of $y$ on $x$ -- the model that ignores $W$ -- and look at its residuals $e$. Moran's I
of the residuals,
$I = \frac{n}{S_0}\,\frac{e'We}{e'e}$ with $S_0 = \sum_{ij} w_{ij}$, is near its expectation
$-1/(n-1)$ when neighbouring residuals are unrelated and positive when they cluster."""),
    ("exercise", """# EXERCISE 1.1: fit OLS of y on x (sf.OLS.from_formula("y ~ x", data=data).fit()) and
# compute Moran's I of its residuals (moran_residuals(ols.resid, w)).
ols = ...
moran = ..."""),
    ("solution", """ols = sf.OLS.from_formula("y ~ x", data=data).fit()
moran = moran_residuals(ols.resid, w)
moran"""),
    ("checkpoint", """# CHECKPOINT 1.1
assert ols is not ... and moran is not ..., "fit `ols` and compute `moran` first"
e = ols.resid.reindex(dgp.ids).to_numpy()
W = dgp.W.toarray()                      # rows and columns in the order of dgp.ids
by_hand = len(e) / W.sum() * (e @ W @ e) / (e @ e)
assert abs(moran.I - by_hand) < 1e-10, "Moran's I of the OLS residuals, with the queen W"
assert moran.pvalue < 0.05, "with rho = 0.6 the residuals should cluster (p < 0.05)"
print(f"Moran's I = {moran.I:.3f} (expected {moran.expectation:.4f} without dependence), "
      f"p = {moran.pvalue:.2g}")"""),
    ("code", """fig, ax = plt.subplots(figsize=(7, 5))
top = ols.resid.abs().max()
counties.assign(residual=ols.resid).plot(column="residual", cmap="RdBu_r", vmin=-top, vmax=top,
                                         legend=True, ax=ax, edgecolor="grey", linewidth=0.2,
                                         legend_kwds={"label": "OLS residual", "shrink": 0.7})
ax.set_title(f"OLS residuals cluster: Moran's I = {moran.I:.2f} (simulated data)")
ax.set_axis_off()
plt.show()"""),
    ("markdown", r"""## 2. Which spatial model? The LM tests

The Lagrange multiplier tests use only the OLS fit: $LM_\lambda$ tests for a spatial error
process, $LM_\rho$ for a spatial lag; their **robust** versions $LM^*$ test each one allowing for
the other (Anselin, Bera, Florax and Yoon 1996). The usual rule: follow the robust test that
rejects more strongly."""),
    ("exercise", """# EXERCISE 1.2: compute the LM tests of the OLS fit (lm_tests(ols, W=w)) and say which
# alternative they point to: "lag" or "error".
lm = ...
points_to = ..."""),
    ("solution", """lm = lm_tests(ols, W=w)
points_to = ("lag" if lm.loc["robust LM-lag", "p_value"] < lm.loc["robust LM-error", "p_value"]
             else "error")
lm"""),
    ("checkpoint", """# CHECKPOINT 1.2
assert isinstance(lm, pd.DataFrame), "lm should be the table lm_tests returns"
assert points_to in ("lag", "error"), 'points_to is "lag" or "error"'
stronger = lm.loc["robust LM-lag", "statistic"] > lm.loc["robust LM-error", "statistic"]
assert points_to == ("lag" if stronger else "error"), "compare the two robust tests again"
print(f"The robust LM tests point to the {points_to} (the truth is a spatial lag).")"""),
    ("markdown", r"""## 3. Two biases of OLS

**Leaving $\rho Wy$ out** (omitted variable). OLS of $y$ on $x$ estimates neither $\beta$ nor the
total effect: with $x$ independent across units its slope tends to the **average direct effect**
$\frac1n\operatorname{tr}[(I-\rho W)^{-1}]\,\beta$, which includes the feedback through the
neighbours; its intercept absorbs the level of $\rho Wy$.

**Putting $Wy$ in as a regressor** (simultaneity). $Wy = W(I-\rho W)^{-1}(X\beta+\varepsilon)$
contains the errors of the neighbours, and those contain feedback from unit $i$'s own error:
$Wy$ is correlated with $\varepsilon$, so OLS of $y$ on $x$ and $Wy$ is inconsistent for
$\rho$. Maximum likelihood (`sf.SAR`) accounts for the Jacobian $\ln|I-\rho W|$ and is not."""),
    ("exercise", """# EXERCISE 1.3: write `ols_with_lag(data)`: add the column Wy = W y (use dgp.W, whose rows
# are in the order of data's index) and return the params of OLS of y on x and Wy.
def ols_with_lag(data):
    ..."""),
    ("solution", """def ols_with_lag(data):
    frame = data.assign(Wy=dgp.W @ data["y"].to_numpy())
    return sf.OLS.from_formula("y ~ x + Wy", data=frame).fit().params

ols_with_lag(data)"""),
    ("checkpoint", """# CHECKPOINT 1.3
params = ols_with_lag(data)
assert params is not None and set(params.index) == {"Intercept", "x", "Wy"}, \\
    "return the params Series of OLS of y on x and Wy"
Z = np.column_stack([np.ones(len(data)), data["x"], dgp.W @ data["y"].to_numpy()])
coef = np.linalg.lstsq(Z, data["y"].to_numpy(), rcond=None)[0]
assert np.allclose(params[["Intercept", "x", "Wy"]], coef, rtol=1e-8), "Wy = W @ y, in data's order"
print("ok: OLS with Wy, as numpy's least squares computes it")"""),
    ("code", """# The Monte Carlo study: REPS draws of the same process (x fixed, new errors each time).
rows = []
for draw in dgp.draws(REPS, seed=SEED):
    d = draw.data
    leave_out = sf.OLS.from_formula("y ~ x", data=d).fit().params
    put_in = ols_with_lag(d)
    ml = sf.SAR.from_formula("y ~ x", data=d, w=w).fit().params
    rows.append({"OLS without Wy: beta": leave_out["x"], "OLS with Wy: beta": put_in["x"],
                 "ML (SAR): beta": ml["x"], "OLS with Wy: rho": put_in["Wy"],
                 "ML (SAR): rho": ml["rho"]})
mc = pd.DataFrame(rows)
true = dgp.true_effects().loc["x"]
truth = pd.Series({"OLS without Wy: beta": BETA["x"], "OLS with Wy: beta": BETA["x"],
                   "ML (SAR): beta": BETA["x"], "OLS with Wy: rho": RHO, "ML (SAR): rho": RHO})
summary = pd.DataFrame({"truth": truth, "mean": mc.mean(), "sd": mc.std()})
summary["bias"] = summary["mean"] - summary["truth"]
summary["bias / MC s.e."] = summary["bias"] / (summary["sd"] / np.sqrt(REPS))
print(f"true average direct effect of x: {true['direct']:.4f}; total effect: {true['total']:.4f}")
summary.round(4)"""),
    ("code", """fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].hist(mc["OLS with Wy: rho"], bins=12, alpha=0.6, label="OLS with Wy")
axes[0].hist(mc["ML (SAR): rho"], bins=12, alpha=0.6, label="ML (SAR)")
axes[0].axvline(RHO, color="black", linestyle="--", label="true rho")
axes[0].set_xlabel("estimate of rho")
axes[1].hist(mc["OLS without Wy: beta"], bins=12, alpha=0.6, label="OLS without Wy")
axes[1].hist(mc["ML (SAR): beta"], bins=12, alpha=0.6, label="ML (SAR)")
axes[1].axvline(BETA["x"], color="black", linestyle="--", label="true beta")
axes[1].axvline(true["direct"], color="grey", linestyle=":", label="true direct effect")
axes[1].set_xlabel("estimate of beta")
for ax in axes:
    ax.set_ylabel("replications")
    ax.legend(fontsize=8)
fig.suptitle(f"{REPS} simulated draws, n = {len(counties)}, rho = {RHO}")
plt.show()"""),
    ("exercise", """# EXERCISE 1.4: from `summary`, read the simultaneity bias (the bias of OLS with Wy for rho)
# and the bias of ML for rho.
simultaneity_bias = ...
ml_bias = ..."""),
    ("solution", """simultaneity_bias = summary.loc["OLS with Wy: rho", "bias"]
ml_bias = summary.loc["ML (SAR): rho", "bias"]"""),
    ("checkpoint", """# CHECKPOINT 1.4
assert simultaneity_bias is not ... and ml_bias is not ..., "read both biases from `summary`"
assert np.isclose(simultaneity_bias, mc["OLS with Wy: rho"].mean() - RHO)
assert np.isclose(ml_bias, mc["ML (SAR): rho"].mean() - RHO)
if RHO >= 0.3:   # the lesson, at the notebook's parameters
    assert simultaneity_bias > 2 * abs(ml_bias), "OLS with Wy overstates rho; ML does not"
print(f"OLS with Wy: rho off by {simultaneity_bias:+.3f}; ML: {ml_bias:+.3f}")"""),
    ("markdown", """## Questions for discussion

1. Set `RHO = 0` and re-run: what happens to Moran's I, the LM tests and both biases?
2. The OLS slope without $Wy$ lands near the *direct* effect, not near $\\beta$: why is that
   not a reason to use OLS? (Hint: what about the indirect effect?)
3. Replace `"SAR"` by `"SEM"` (with `lam=` instead of `rho=`): do the LM tests now point to the
   error? Is OLS still biased for $\\beta$, and are its standard errors still right?"""),
]

LAB_2 = [
    ("markdown", rf"""# Lab 2 of 3 -- Standard errors, coverage, the wrong model and the wrong W

What this notebook shows (about 45 minutes): a Monte Carlo study in one call
(`Simulator.monte_carlo`) that sets every estimate -- coefficients, $\rho$ and the direct,
indirect and total effects -- beside the truth, with bias, RMSE, the ratio of the average
standard error to the actual spread, and the coverage of the 95 % intervals; what happens when
a spatial lag model (SAR) is fitted to data from a spatial Durbin process (SDM); and what a
wrong weights matrix does to the effects.

The true process: $y = (I-\rho W)^{{-1}}(\beta_0 + X\beta + WX\theta + \varepsilon)$ (SDM).

{LAB_HOW_TO}"""),
    ("code", """# ---- parameters a class can change ----
RHO = 0.4
BETA = {"Intercept": 1.0, "x1": 1.0, "x2": -0.5}
THETA = {"x1": 0.5, "x2": 0.3}         # the spillover terms W x1, W x2
REPS = 50                               # Monte Carlo replications
SEED = 2026"""),
    ("code", LAB_SETUP + """

dgp = Simulator("SDM", w, beta=BETA, theta=THETA, rho=RHO, seed=SEED)
dgp.true_effects()    # the truth the estimated effects are compared with"""),
    ("markdown", r"""## 1. A Monte Carlo study in one call

`dgp.monte_carlo([...], reps, seed)` draws `reps` data sets (same $X$, new errors), fits each
estimator to each, and returns `.draws` (one row per replication, estimator and parameter:
estimate, standard error, 95 % interval) and `.table`:

| column | meaning |
|---|---|
| `bias` | mean of the estimates minus the truth |
| `rmse` | $\sqrt{\frac1R\sum_r(\hat\theta_r-\theta)^2}$ |
| `sd`, `mean_std_error`, `std_error_sd_ratio` | spread of the estimates, average reported standard error, and their ratio (1 when the standard errors are right) |
| `coverage` | share of the 95 % intervals that contain the truth |
| `bias_mcse`, `coverage_mcse` | their Monte Carlo standard errors: a bias within two of them may be noise |

Replication $r$ uses its own random stream, so the table is the same on any executor (pass
`executor="processes"` or a Dask `scheduler=` for big studies)."""),
    ("code", """mc = dgp.monte_carlo(["OLS", "SAR", "SDM"], reps=REPS, seed=SEED)
mc.table.round(3)"""),
    ("exercise", """# EXERCISE 2.1: from mc.draws, compute by hand the coverage of the SDM's 95 % interval for
# the total effect of x2: the share of replications whose [lower, upper] contains the truth.
my_coverage = ..."""),
    ("solution", """d = mc.draws[(mc.draws["estimator"] == "SDM") & (mc.draws["parameter"] == "total:x2")]
my_coverage = ((d["lower"] <= d["truth"]) & (d["truth"] <= d["upper"])).mean()"""),
    ("checkpoint", """# CHECKPOINT 2.1
assert my_coverage is not ..., "compute my_coverage from mc.draws"
row = mc.table.set_index(["estimator", "parameter"]).loc[("SDM", "total:x2")]
assert np.isclose(my_coverage, row["coverage"]), "filter estimator == 'SDM', parameter == 'total:x2'"
print(f"SDM, total effect of x2: coverage {my_coverage:.2f} "
      f"(Monte Carlo s.e. {row['coverage_mcse']:.2f}; nominal 0.95)")"""),
    ("markdown", r"""## 2. The wrong model: a SAR fitted to SDM data

The SAR has no $WX\theta$: all spillovers must pass through $\rho$, so every regressor gets the
same ratio of indirect to direct effect. When the truth has $\theta \ne 0$, the SAR's effects
are wrong even if its $\rho$ looks reasonable. OLS has no spillover at all (its indirect effect
is 0 by construction)."""),
    ("code", """effects = [p for p in mc.table["parameter"].unique() if ":" in p]
draws = mc.draws[mc.draws["parameter"].isin(effects)]
fig, axes = plt.subplots(1, len(effects), figsize=(15, 3.2), sharey=False)
for ax, p in zip(axes, effects):
    one = draws[draws["parameter"] == p]
    ax.boxplot([one.loc[one["estimator"] == e, "estimate"] for e in ["OLS", "SAR", "SDM"]])
    ax.set_xticks([1, 2, 3], ["OLS", "SAR", "SDM"])
    ax.axhline(one["truth"].iloc[0], color="crimson", linestyle="--")
    ax.set_title(p, fontsize=9)
fig.suptitle("Estimated effects over the replications; dashed: the truth")
plt.show()
mc.pivot("bias").loc[effects].round(3)"""),
    ("exercise", """# EXERCISE 2.2: how many Monte Carlo standard errors is the SAR's bias for the total effect
# of x2 away from zero? (bias / bias_mcse, from mc.table). Same for the SDM.
sar_z = ...
sdm_z = ..."""),
    ("solution", """t = mc.table.set_index(["estimator", "parameter"])
sar_z = t.loc[("SAR", "total:x2"), "bias"] / t.loc[("SAR", "total:x2"), "bias_mcse"]
sdm_z = t.loc[("SDM", "total:x2"), "bias"] / t.loc[("SDM", "total:x2"), "bias_mcse"]"""),
    ("checkpoint", """# CHECKPOINT 2.2
assert sar_z is not ... and sdm_z is not ..., "compute both ratios"
t = mc.table.set_index(["estimator", "parameter"])
for est, z in (("SAR", sar_z), ("SDM", sdm_z)):
    assert np.isclose(z, t.loc[(est, "total:x2"), "bias"] / t.loc[(est, "total:x2"), "bias_mcse"])
assert abs(sar_z) > 3 > abs(sdm_z), "the SAR's bias is far beyond Monte Carlo noise; the SDM's is not"
print(f"SAR: {sar_z:+.1f} Monte Carlo s.e.; SDM: {sdm_z:+.1f}")"""),
    ("markdown", r"""## 3. Standard errors: right on average?

`std_error_sd_ratio` compares the average reported standard error with the actual spread of the
estimates over the replications. With 50 replications the spread itself is uncertain (its
relative error is about $1/\sqrt{2(R-1)} \approx 10\%$): read ratios between 0.8 and 1.2 as
"about right", and re-run with more `REPS` before concluding more."""),
    ("code", """mc.pivot("std_error_sd_ratio").round(2)"""),
    ("markdown", r"""## 4. The wrong W

The data were generated with queen contiguity. Fit the right model (SDM) with a different,
plausible weights matrix -- the 6 nearest neighbours -- and compare the effects with the truth."""),
    ("exercise", """# EXERCISE 2.3: write `sdm_effects(data, weights)` returning the estimated effects table
# of an SDM of y on x1 and x2 fitted with `weights`
# (sf.SDM.from_formula(..., data=data, w=weights).fit().effects(method="delta")).
def sdm_effects(data, weights):
    ..."""),
    ("solution", """def sdm_effects(data, weights):
    fit = sf.SDM.from_formula("y ~ x1 + x2", data=data, w=weights).fit()
    return fit.effects(method="delta")"""),
    ("checkpoint", """# CHECKPOINT 2.3
one = dgp.draw(seed=SEED).data
eff = sdm_effects(one, w)
assert isinstance(eff, pd.DataFrame) and list(eff.index) == ["x1", "x2"], \\
    "return the effects table (rows x1, x2)"
assert np.allclose(eff["total"], eff["direct"] + eff["indirect"], rtol=1e-12)
ref = sf.SDM.from_formula("y ~ x1 + x2", data=one, w=w).fit()
assert np.allclose(eff["total"], ref.effects(method="delta")["total"], rtol=1e-10)
print("ok")"""),
    ("code", """knn = build(counties, kind="knn", k=6, project=True)   # distances in km, not degrees
rows = []
for draw in dgp.draws(10, seed=SEED):
    for name, weights in (("queen (right)", w), ("6 nearest (wrong)", knn)):
        eff = sdm_effects(draw.data, weights)
        for kind in ("direct", "indirect", "total"):
            rows.append({"W": name, "effect": f"{kind}:x1", "estimate": eff.loc["x1", kind]})
wrong_w = (pd.DataFrame(rows).groupby(["effect", "W"])["estimate"].agg(["mean", "std"])
           .unstack("W"))
true = dgp.true_effects().loc["x1"]
wrong_w[("truth", "")] = [true[e.split(":")[0]] for e in wrong_w.index]
wrong_w.round(3)"""),
    ("markdown", """## Questions for discussion

1. Which estimator has the smallest RMSE for `x1`? For `total:x1`? Why can both answers differ?
2. The SAR's $\\hat\\rho$ is biased upwards here: where does the missing $WX\\theta$ go?
3. Increase `REPS` to 100 (and wait): which coverage rates move towards 0.95, which do not?
4. With the wrong W, are the *direct* effects hurt as much as the *indirect* ones? Why?"""),
]

LAB_3 = [
    ("markdown", rf"""# Lab 3 of 3 -- Choosing the model, and a shock spreading through W

What this notebook shows (about 35 minutes): Elhorst's specification search (LM tests, then
LR tests of the SDM's restrictions) run on data whose true process we know -- does it find
it? -- and what an indirect effect is: one county's shock spreading through $W$ to every other
county, on the map, and the effects as averages of such responses.

{LAB_HOW_TO}"""),
    ("code", """# ---- parameters a class can change ----
RHO = 0.4
BETA = {"Intercept": 1.0, "x1": 1.0, "x2": -0.5}
THETA = {"x1": 0.5, "x2": 0.3}
SEED = 2026"""),
    ("code", LAB_SETUP + """
from spatialflow.models import specification_search

def process(kind):
    \"\"\"The data-generating process `kind` (SAR, SEM or SDM) with this notebook's parameters.\"\"\"
    options = {"SAR": {"rho": RHO}, "SEM": {"lam": RHO},
               "SDM": {"rho": RHO, "theta": THETA}}[kind]
    return Simulator(kind, w, beta=BETA, seed=SEED, **options)

sdm = process("SDM")
data = sdm.draw(seed=SEED).data
search = specification_search("y ~ x1 + x2", data, w)
print(search.reason)
search.tests.round(4)"""),
    ("code", """search.ranking.round(2)"""),
    ("exercise", """# EXERCISE 3.1: run the search on one draw (seed=SEED) of each of the SAR, SEM and SDM
# processes (use process(kind).draw(seed=SEED).data) and collect the decisions in a dict
# {true process: chosen model}.
decisions = ..."""),
    ("solution", """decisions = {kind: specification_search("y ~ x1 + x2", process(kind).draw(seed=SEED).data,
                                         w).decision
             for kind in ("SAR", "SEM", "SDM")}
decisions"""),
    ("checkpoint", """# CHECKPOINT 3.1
assert isinstance(decisions, dict) and set(decisions) == {"SAR", "SEM", "SDM"}, \\
    "a dict with keys SAR, SEM, SDM"
assert decisions["SDM"] == search.decision, "the SDM draw is the one searched above"
assert all(v in ("OLS", "SLX", "SAR", "SEM", "SDM") for v in decisions.values())
hits = sum(k == v for k, v in decisions.items())
print(f"the search found the true process {hits} times out of 3: {decisions}")"""),
    ("markdown", r"""One draw says little about a procedure: with another seed the search may choose otherwise.
A search that picks the model from the data also changes the standard errors of what follows
(the estimates are *conditional on the choice*) -- a Monte Carlo study of the whole procedure,
as in lab 2, is the honest check.

## A shock spreading through W

Raise $x_1$ by one in a single county $j$. Every county's expected $y$ moves by column $j$ of
$S_1 = (I-\rho W)^{-1}(\beta_1 I + \theta_1 W)$: the county itself by a bit more than $\beta_1$
(feedback through its neighbours), its neighbours by $\approx\theta_1/\text{their number of
neighbours}$ plus feedback, their neighbours by less again."""),
    ("code", """from matplotlib.colors import SymLogNorm

shocked = counties.index[counties["name_en"] == "Yingde City"][0]
response = sdm.shock(shocked, "x1")
top = response.abs().max()
fig, ax = plt.subplots(figsize=(7, 5))
counties.assign(response=response).plot(column="response", cmap="RdBu_r", legend=True, ax=ax,
                                        norm=SymLogNorm(linthresh=1e-3, vmin=-top, vmax=top),
                                        edgecolor="grey", linewidth=0.2,
                                        legend_kwds={"label": "change in y (symmetric log scale)",
                                                     "shrink": 0.7})
counties.loc[[shocked]].boundary.plot(ax=ax, color="black", linewidth=1.5)
ax.set_title(f"x1 rises by 1 in {counties.loc[shocked, 'name_en']} (outlined); simulated SDM")
ax.set_axis_off()
plt.show()"""),
    ("code", """# The response by order of neighbourhood (1 = neighbours, 2 = their neighbours, ...)
import scipy.sparse.csgraph as csgraph

order = csgraph.shortest_path(sdm.W, unweighted=True, indices=sdm.ids.get_loc(shocked))
by_order = (pd.DataFrame({"order": order, "response": response.to_numpy()})
            .replace(np.inf, np.nan).dropna().astype({"order": int}).groupby("order")["response"]
            .agg(["size", "mean", "sum"]).rename(columns={"size": "counties"}))
by_order.head(6).round(4)"""),
    ("markdown", r"""The **effects** are averages of such responses over every county as the shocked one
(LeSage and Pace 2009): the average own response is the **direct** effect, the average sum of
all responses the **total** effect, the difference the **indirect** effect."""),
    ("exercise", """# EXERCISE 3.2: shock every county in turn (sdm.shock(unit, "x1") for unit in sdm.ids) and
# compute the average own response (`avg_direct`) and the average sum of responses
# (`avg_total`).
avg_direct = ...
avg_total = ..."""),
    ("solution", """own, summed = [], []
for unit in sdm.ids:
    r = sdm.shock(unit, "x1")
    own.append(r[unit])
    summed.append(r.sum())
avg_direct, avg_total = np.mean(own), np.mean(summed)"""),
    ("checkpoint", """# CHECKPOINT 3.2
assert avg_direct is not ... and avg_total is not ..., "compute both averages"
true = sdm.true_effects().loc["x1"]
assert np.isclose(avg_direct, true["direct"], rtol=1e-8), "the own response, averaged over units"
assert np.isclose(avg_total, true["total"], rtol=1e-8), "the sum of all responses, averaged"
print(f"direct {avg_direct:.4f}, indirect {avg_total - avg_direct:.4f}, total {avg_total:.4f}: "
      "the LeSage-Pace effects, from shocks")"""),
    ("markdown", """## Questions for discussion

1. Shock a county in the Pearl River Delta (e.g. `"Tianhe District"`) instead: does the
   spillover reach as many counties? Why does the number of neighbours matter?
2. Set `THETA = {"x1": 0.0, "x2": 0.0}` and re-run exercise 3.1: which models does the search
   choose now, and is that right?
3. Why do the total effects here equal $(\\beta_1 + \\theta_1)/(1-\\rho)$ exactly? (Hint: the rows
   of a row-standardised $W$ sum to one.)"""),
]

FLOWS_NB = [
    ("markdown", """# Origin-destination flows between Guangdong's counties

What this notebook shows: the spatial interaction model of LeSage & Pace (2008) for the flows
between the 124 county-level units of Guangdong (`spatialflow.flows`, see `docs/flows.md`):
flows simulated from a known `model_9` on the real county geography; several of spflow's nine
variants fitted by exact ML and compared by log-likelihood and AIC; the estimates beside the
truth; and the origin, destination, intra-regional and network effects of a node
characteristic, with their core/periphery split and a map.

**The flows here are synthetic**: drawn by `spatialflow.flows.simulate_flows` with known
parameters, on the real counties (queen contiguity) and the real distances between their
centroids. The node characteristic `x` is simulated too (standard normal). Nothing below is a
statistic of Guangdong."""),
    ("code", """import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from spatialflow.datasets import load_guangdong_counties
from spatialflow.flows import FlowModel, simulate_flows
from spatialflow.plot import choropleth
from spatialflow.weights import build

layer = load_guangdong_counties()
w = build(layer, kind="queen", islands="knn")      # 124 units; Nan'ao linked to its nearest county
layer["zone"] = layer["core"].map({True: "core", False: "periphery"})
layer["zone"].value_counts()"""),
    ("markdown", """## Synthetic flows from a known model_9

`simulate_flows` draws the `124 x 124 = 15,376` flows
$y = \\rho_d W_d y + \\rho_o W_o y + \\rho_w W_w y + \\ldots + \\varepsilon$ (solved in matrix
form) with origin, destination and intra-regional effects of `x`, their spatial lags, and a
distance decay. Distances are between the county centroids, in units of 100 km.
$\\rho_w = 0.1$ is chosen away from $-\\rho_d\\rho_o$, so that the separable `model_8` is
wrong here."""),
    ("code", """ids = list(w.unique_ids)                          # the node order of the weights
centroids = layer.to_crs(32649).centroid.loc[ids]  # UTM zone 49N, metres
coords_100km = np.column_stack([centroids.x, centroids.y]) / 1e5
TRUE_RHO = {"rho_d": 0.4, "rho_o": 0.3, "rho_w": 0.1}
synthetic = simulate_flows(w, model="model_9", rho=TRUE_RHO, seed=2026, coords=coords_100km)
synthetic_nodes = synthetic.nodes.join(layer[["name_zh", "region", "zone"]])
synthetic_pairs = synthetic.pairs
true_params = synthetic.truth
print(synthetic_pairs.attrs["description"], "| formula:", synthetic.formula)
synthetic_pairs.head()"""),
    ("code", """# The synthetic flow matrix (origin rows, destination columns), core counties first
order = layer.loc[ids].sort_values(["zone", "region"]).index
Y = synthetic_pairs.pivot(index="orig", columns="dest", values="y").loc[order, order]
fig, ax = plt.subplots(figsize=(5.5, 4.5))
image = ax.imshow(Y.to_numpy(), cmap="viridis")
n_core = int((layer["zone"] == "core").sum())
for edge in (n_core - 0.5,):
    ax.axhline(edge, color="white", linewidth=0.8)
    ax.axvline(edge, color="white", linewidth=0.8)
fig.colorbar(image, ax=ax, shrink=0.8, label="y (synthetic)")
ax.set_title("SYNTHETIC flows: origin (rows) x destination (columns)")
ax.set_xlabel("destination (core first)")
ax.set_ylabel("origin (core first)")
plt.show()"""),
    ("markdown", """## Fitting the variants by ML and choosing one

Each variant is the same formula with different restrictions on the three $\\rho$'s
(`model_1`: none of them; `model_2`: destination dependence only; `model_7`: origin and
destination; `model_8`: the separable $\\rho_w = -\\rho_d\\rho_o$; `model_9`: all three free).
The log-determinant is exact (from the eigenvalues of $W$). The lowest AIC chooses."""),
    ("code", """VARIANTS = ["model_1", "model_2", "model_7", "model_8", "model_9"]
fits = {m: FlowModel.from_formula(synthetic.formula, synthetic_nodes, synthetic_pairs, w,
                                  model=m, orig="orig", dest="dest").fit(method="ml")
        for m in VARIANTS}
comparison = pd.DataFrame({"parameters": [r.df_model + 1 for r in fits.values()],
                           "log-likelihood": [r.llf for r in fits.values()],
                           "AIC": [r.aic for r in fits.values()]}, index=VARIANTS)
comparison["delta AIC"] = comparison["AIC"] - comparison["AIC"].min()
chosen = comparison["AIC"].idxmin()
print("chosen by AIC:", chosen)
comparison.round(2)"""),
    ("code", """# The data were simulated, so the truth is known: set the estimates beside it.
res = fits["model_9"]
estimates = pd.DataFrame({"truth": true_params, "estimate": res.params, "std err": res.bse})
estimates = estimates.loc[res.params.index]
estimates["z (estimate - truth)"] = (estimates["estimate"] - estimates["truth"]) / estimates["std err"]
estimates.round(4)"""),
    ("code", """print(res.summary())"""),
    ("markdown", """## Effects of `x` on the flows

A unit rise of `x` at county *r* moves all flows; its parts (LeSage & Thomas-Agnan 2015):
**origin** (flows leaving *r*), **destination** (flows arriving in *r*), **intra** (the flow
within *r*), **network** (the flows between all other counties) and their sum, the **total**.
The table averages them over the counties; intervals from 50 parameter draws (kept small
so the notebook stays fast). `blocks` splits the change of the flows when `x` rises by one in
every county of one zone (rows) into the four blocks of flows `from -> to` (columns)."""),
    ("code", """effects = res.effects("x", draws=50, seed=1, groups=synthetic_nodes["zone"])
effects.table.round(3)"""),
    ("code", """blocks = effects.blocks
blocks.round(1)"""),
    ("code", """# One map: the destination effect county by county (flows arriving in r when x rises at r)
ax = choropleth(layer, effects.by_node["destination"], scheme="quantiles", k=5,
                unit="change of inflows",
                title="Destination effect of x by county (SYNTHETIC flows, model_9)")
plt.show()"""),
    ("markdown", """## What to take away

- AIC picks the variant that generated the data. `model_7` ($\\rho_w = 0$) comes closest;
  the separable `model_8` forces $\\rho_w = -\\rho_d\\rho_o < 0$ where the truth is $+0.1$ and
  pays far more; ignoring dependence altogether (`model_1`) costs most.
- The coefficients of `x` are not its effects: through the $\\rho$'s the origin and destination
  terms spread over the network, which here carries more than half of the total.
- The four blocks of a zone's row add up to that zone's change of all flows; both rows
  together are $n$ times the average total effect."""),
]

LAB = {
    "lab_1_diagnostics.ipynb": LAB_1,
    "lab_2_monte_carlo.ipynb": LAB_2,
    "lab_3_search_and_shocks.ipynb": LAB_3,
}

NOTEBOOKS = {
    "quickstart.ipynb": QUICKSTART,
    "replication_columbus.ipynb": REPLICATION,
    "guangdong_core_periphery.ipynb": GUANGDONG,
    "flows_guangdong.ipynb": FLOWS_NB,
}


#: Lab cell kinds -> the tag they carry (all are code cells).
TAGGED = {"exercise": "exercise", "solution": "solution", "checkpoint": "checkpoint"}
REPO = Path(__file__).resolve().parents[1]
LAB_SOLUTIONS = REPO / "notebooks" / "lab" / "solutions"
LAB_STUDENTS = REPO / "notebooks" / "lab"


def build(cells) -> dict:
    """The notebook (nbformat 4, as a dict) of a list of (kind, source) cells."""
    nb = {"cells": [], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                   "name": "python3"},
                                    "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    for i, (kind, text) in enumerate(cells):
        metadata = {"tags": [TAGGED[kind]]} if kind in TAGGED else {}
        cell_type = "code" if kind in TAGGED else kind
        cell = {"cell_type": cell_type, "id": f"cell-{i}", "metadata": metadata,
                "source": text.splitlines(keepends=True)}
        if cell_type == "code":
            cell.update({"execution_count": None, "outputs": []})
        nb["cells"].append(cell)
    return nb


def write(name: str, cells, folder: Path = REPO / "notebooks") -> Path:
    out = folder / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(build(cells), indent=1, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    return out


def write_lab(name: str, cells) -> tuple[Path, Path]:
    """The lab notebook with solutions, and the students' version stripped from it."""
    sys.path.insert(0, str(REPO / "scripts"))
    from strip_solutions import dumps, strip_solutions

    solutions = write(name, cells, LAB_SOLUTIONS)
    students = LAB_STUDENTS / name
    students.write_text(dumps(strip_solutions(build(cells))), encoding="utf-8")
    return solutions, students


def main(argv=None) -> None:
    wanted = (argv if argv is not None else sys.argv[1:]) or [""]
    for name, cells in NOTEBOOKS.items():
        if any(w in name for w in wanted):
            print(f"wrote {write(name, cells)}")
    for name, cells in LAB.items():
        if any(w in name for w in wanted):
            print("wrote {} and {}".format(*write_lab(name, cells)))


if __name__ == "__main__":
    main()
