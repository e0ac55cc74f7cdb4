"""Every notebook in notebooks/ runs top to bottom, draws at least one figure, and shows its
results as a reader expects (numbers as numbers). Each notebook also has checks of its own
results, below.

The cells are executed in order in one namespace, as Jupyter would, in this process (no
kernel start-up); the value of a cell's last expression is kept, as Jupyter displays it.
"""
from __future__ import annotations

import ast
import contextlib
import json
import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.figure  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).parents[1]
LAB = ROOT / "notebooks" / "lab"
# The lab runs in its solutions version (the students' version stops at the first checkpoint).
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((LAB / "solutions").glob("*.ipynb"))
LAB_NAMES = {"lab_1_diagnostics.ipynb", "lab_2_monte_carlo.ipynb",
             "lab_3_search_and_shocks.ipynb"}
EXPECTED = {"quickstart.ipynb", "replication_columbus.ipynb",
            "guangdong_core_periphery.ipynb", "policy_spillovers.ipynb",
            "flows_guangdong.ipynb"} | LAB_NAMES


def _blas_one_thread():
    # On a shared 2-core machine, multi-threaded BLAS in small dense eigen problems spins far
    # longer than it computes; the notebooks' results do not depend on the thread count.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional speed-up only
        return contextlib.nullcontext()
    return threadpool_limits(1)


def run_notebook(path: Path, monkeypatch) -> tuple[dict, list, int]:
    """Execute the code cells; return (namespace, displayed values, figures created)."""
    created = []
    original_init = matplotlib.figure.Figure.__init__

    def counting_init(self, *args, **kwargs):
        created.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "__init__", counting_init)
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    monkeypatch.chdir(path.parent)  # as Jupyter starts it
    nb = json.loads(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__notebook__"}
    displayed = []
    # rc_context: a notebook's style settings must not leak into the rest of the suite
    with _blas_one_thread(), matplotlib.rc_context():
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            name = f"{path.name}:{cell['id']}"
            exec(compile(tree, name, "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), name, "eval"), namespace)
                displayed.append((cell["id"], value))
    plt.close("all")
    return namespace, displayed, len(created)


def _check_quickstart(ns):
    # The notebook's last cells produce the core/periphery blocks: they must add up.
    blocks, fe = ns["blocks"], ns["fe"]
    assert fe.panel is not None
    totals = blocks.groupby("variable")["estimate"].sum()
    eff = fe.effects(n_draws=10, seed=0)
    assert totals.loc[eff.index].round(10).equals(eff["total"].round(10))


def _check_replication(ns):
    comparison, effects, lm = ns["comparison"], ns["effects"], ns["lm_table"]
    # 4 models x (params x 2 + 3 fit statistics), every R number found and compared
    assert len(comparison) == 2 * (4 + 6 + 4 + 6) + 4 * 3
    assert comparison[["R spatialreg", "spatialflow"]].notna().all().all()
    est = comparison[comparison["quantity"] != "std err"]
    # what the notebook states: R's 7 printed digits, as tests/test_models_columbus.py asserts
    assert est["relative"].max() < 5e-7, est.sort_values("relative").tail()
    assert comparison.loc[comparison["quantity"] == "std err", "relative"].max() < 5e-7
    assert effects["relative difference"].max() < 1e-5
    assert lm["relative difference"].max() < 1e-4


def _check_lab_1(ns):
    moran, lm, summary = ns["moran"], ns["lm"], ns["summary"]
    assert moran.pvalue < 1e-6 and ns["points_to"] == "lag"
    assert lm.loc["robust LM-lag", "p_value"] < lm.loc["robust LM-error", "p_value"]
    # OLS with Wy overstates rho by more than 4 Monte Carlo s.e.; ML is within 3 of the truth
    assert summary.loc["OLS with Wy: rho", "bias / MC s.e."] > 4
    assert abs(summary.loc["ML (SAR): rho", "bias / MC s.e."]) < 3
    # the OLS slope without Wy drifts to the direct effect, not to beta
    direct = ns["true"]["direct"]
    ols = ns["mc"]["OLS without Wy: beta"]
    assert abs(ols.mean() - direct) < 3 * ols.std() / np.sqrt(len(ols))


def _check_lab_2(ns):
    mc, dgp = ns["mc"], ns["dgp"]
    t = mc.table.set_index(["estimator", "parameter"])
    # the lesson: SAR fitted to SDM data, total effect of x2 far from the truth
    assert t.loc[("SAR", "total:x2"), "truth"] == pytest.approx(-1 / 3, rel=1e-10)
    assert t.loc[("SAR", "total:x2"), "mean"] < -0.8
    assert abs(ns["sar_z"]) > 10
    true = dgp.true_effects()
    total = (np.array([1.0, -0.5]) + np.array([0.5, 0.3])) / (1 - ns["RHO"])
    np.testing.assert_allclose(true["total"], total, rtol=1e-10)
    assert set(ns["wrong_w"].index) == {"direct:x1", "indirect:x1", "total:x1"}


def _check_lab_3(ns):
    assert ns["decisions"] == {"SAR": "SAR", "SEM": "SEM", "SDM": "SDM"}
    response, shocked = ns["response"], ns["shocked"]
    assert response[shocked] > response.drop(shocked).max() > 0


def _check_guangdong(ns):
    # Part I: the real census, never labelled synthetic; 116 comparable units in both years
    census = ns["census"]
    assert not census.attrs.get("synthetic", False)
    assert census.groupby("year")["code"].nunique().to_dict() == {2010: 116, 2020: 116}
    moran = ns["moran"]
    urban = moran.loc[census.attrs["labels"]["urban_rate"]]
    assert (urban["I"] > 0.5).all() and (urban["p_sim"] <= 0.01).all()
    # the model choice follows from the tests shown, by the rule written in the notebook
    lm, durbin, chosen = ns["lm"], ns["durbin"], ns["chosen"]
    assert chosen in ("SAR", "SEM", "SDM")
    p_sar, p_sem = durbin.loc["LR SDM vs SAR", "p_value"], durbin.loc["LR SDM vs SEM", "p_value"]
    if p_sar < 0.05 and p_sem < 0.05:
        assert chosen == "SDM"
    if chosen == "SEM":
        assert p_sem >= 0.05 and ns["direction"] == "error"
    assert (lm.loc[["LM-lag", "LM-error"], "p_value"] < 0.05).any()
    probabilities = ns["probabilities"]["probability"]
    assert probabilities.sum() == pytest.approx(1.0, rel=1e-12)
    # the census blocks add up to the SDM's total effects
    blocks = ns["census_blocks"].groupby("variable")["estimate"].sum()
    totals = ns["census_effects"]["SDM"]["total"]
    np.testing.assert_allclose(blocks.loc[totals.index], totals, rtol=1e-10)
    # Part II: the TFP panel is synthetic
    report, models = ns["report"], ns["models"]
    assert ns["panel"].attrs["synthetic"] is True
    assert len(models) == 3 and all(r.converged for r in models.values())
    # every model's rho strictly inside its interval (none stuck at a bound)
    for res in models.values():
        lo, hi = res.bounds
        assert lo + 1e-3 < res.params["rho"] < hi - 1e-3, res.params["rho"]
    assert {"deficits", "counterfactual"} <= set(report.tables)
    assert {"colours_map", "deficit_trends"} <= set(report.figures)
    deficits = ns["last"]
    assert set(deficits["group"]) >= {"East", "West", "North"}
    # the core-periphery blocks add up to the total effect of the queen model
    blocks = ns["core_periphery"].groupby("variable")["estimate"].sum()
    totals = ns["effects"]["SDM · queen · tfp"]["total"]
    np.testing.assert_allclose(blocks.loc[totals.index], totals, rtol=1e-10)
    assert ns["out"].exists() and ns["out"].stat().st_size > 0


def _check_policy(ns):
    # SYNTHETIC programme: labelled so, and its truth is the target
    assert ns["data"].attrs["synthetic"] is True
    truth, effects, mc = ns["truth"], ns["effects"], ns["mc"]
    assert truth["direct"] == pytest.approx(1.0, rel=1e-10)
    assert truth["indirect"] == pytest.approx(0.4, rel=1e-10)
    assert list(effects.index) == ["direct", "indirect", "total"]
    # the notebook's lesson: the SDM-DID centres on the truth, the plain DID does not
    summary = ns["summary"]
    assert abs(summary.loc["SDM-DID direct", "bias / MC s.e."]) < 3
    assert abs(summary.loc["SDM-DID indirect", "bias / MC s.e."]) < 3
    assert summary.loc["plain DID (read as direct)", "bias / MC s.e."] > 4
    assert len(mc) == 40 and ns["perm"].table["n_permutations"].eq(999).all()
    assert ns["pretrend"].df == 4 and 0 <= ns["homogeneity"].pvalue <= 1


def _check_flows(ns):
    # SYNTHETIC flows on the real counties: labelled so, 124 nodes, all 124^2 pairs
    pairs, truth, res = ns["synthetic_pairs"], ns["true_params"], ns["res"]
    assert pairs.attrs["synthetic"] is True and len(pairs) == 124 ** 2
    assert res.model.variant.name == "model_9" and res.converged
    # the rho's recovered: within 4 standard errors of the truth (15,376 flows; ~0.01 each)
    for name, value in ns["TRUE_RHO"].items():
        assert truth[name] == value
        assert abs(res.params[name] - value) < 4 * res.bse[name], (name, res.params[name])
        assert res.bse[name] < 0.03
    # and every coefficient within 4 standard errors
    z = ns["estimates"]["z (estimate - truth)"]
    assert z.abs().max() < 4, z
    # the variant that generated the data is chosen by AIC, and nesting orders the llf's
    comparison = ns["comparison"]
    assert ns["chosen"] == "model_9" == comparison["AIC"].idxmin()
    llf = comparison["log-likelihood"]
    assert llf["model_1"] < llf["model_2"] < llf["model_7"] < llf["model_9"]
    assert llf["model_8"] < llf["model_9"]
    assert list(comparison["parameters"]) == [9, 10, 11, 11, 12]
    # what the notebook's take-away says: model_7 closest, then model_8, model_1 last
    delta = comparison["delta AIC"]
    assert 0 < delta["model_7"] < delta["model_8"] < delta["model_2"] < delta["model_1"]
    # effects: five parts, the four add up to the total, average and node by node
    effects = ns["effects"]
    table, by_node = effects.table, effects.by_node
    assert list(table.index) == ["origin", "destination", "intra", "network", "total"]
    np.testing.assert_allclose(table.loc[["origin", "destination", "intra", "network"],
                                         "estimate"].sum(), table.loc["total", "estimate"],
                               rtol=1e-10)
    assert table.loc["network", "estimate"] > 0.5 * table.loc["total", "estimate"]
    assert by_node.shape == (124, 5)
    np.testing.assert_allclose(by_node.drop(columns="total").sum(axis=1), by_node["total"],
                               rtol=1e-10)
    assert (table["lower"] <= table["estimate"]).all() and (table["estimate"] <= table["upper"]).all()
    # blocks: zones x (from -> to); all of them = n x the average total effect
    blocks = ns["blocks"]
    assert set(blocks.index) == {"core", "periphery"} and blocks.shape == (2, 4)
    np.testing.assert_allclose(blocks.to_numpy().sum(), 124 * table.loc["total", "estimate"],
                               rtol=1e-9)


CHECKS = {"quickstart.ipynb": _check_quickstart, "policy_spillovers.ipynb": _check_policy, "replication_columbus.ipynb": _check_replication,
          "guangdong_core_periphery.ipynb": _check_guangdong,
          "flows_guangdong.ipynb": _check_flows,
          "lab_1_diagnostics.ipynb": _check_lab_1, "lab_2_monte_carlo.ipynb": _check_lab_2,
          "lab_3_search_and_shocks.ipynb": _check_lab_3}


#: Notebooks that fit the whole census pipeline (tens of seconds): run with -m slow (CI does).
SLOW_NOTEBOOKS = {"guangdong_core_periphery.ipynb"}


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow)
                                  if p.name in SLOW_NOTEBOOKS else p for p in NOTEBOOKS],
                         ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_draws_figures_and_shows_numbers(path, monkeypatch):
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and "shows" in "".join(first["source"]), \
        f"{path.name}: the first cell must say what the notebook shows"
    namespace, displayed, n_figures = run_notebook(path, monkeypatch)
    n_code = sum(c["cell_type"] == "code" for c in nb["cells"])
    assert n_code >= 5, f"{path.name} has only {n_code} code cells"
    assert n_figures >= 1, f"{path.name} drew no matplotlib figure"
    for cell_id, value in displayed:
        # as Jupyter shows it: HTML when the object gives some (a Figure gives None), else repr
        shown = value._repr_html_() if hasattr(value, "_repr_html_") else None
        shown = repr(value) if shown is None else shown
        assert "np.float64(" not in shown and "np.int64(" not in shown, \
            f"{path.name}:{cell_id} displays a NumPy scalar repr: {shown[:200]}"
    CHECKS[path.name](namespace)


def test_the_notebooks_exist():
    assert {p.name for p in NOTEBOOKS} == EXPECTED
    assert set(CHECKS) == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_outputs_are_stripped_in_git(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, \
                f"{path.name}:{cell['id']} has stored outputs: run scripts/make_notebook.py"


def _generator():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_notebook", ROOT / "scripts" / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_what_the_generator_writes():
    """notebooks/ is generated by scripts/make_notebook.py: edit the script, not the files."""
    module = _generator()
    for name in module.NOTEBOOKS:
        assert (ROOT / "notebooks" / name).exists(), f"{name}: run scripts/make_notebook.py"
        stored = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        cells = [("".join(c["source"])) for c in stored["cells"]]
        assert cells == [text for _, text in module.NOTEBOOKS[name]], \
            f"{name} differs from scripts/make_notebook.py: run the script"
    assert set(module.LAB) == LAB_NAMES
    for name, cells in module.LAB.items():
        stored = json.loads((LAB / "solutions" / name).read_text(encoding="utf-8"))
        assert stored == module.build(cells), f"lab {name}: run scripts/make_notebook.py lab"


def _tags(cell):
    return cell["metadata"].get("tags", [])


@pytest.mark.parametrize("name", sorted(LAB_NAMES))
def test_lab_students_version_is_the_solutions_without_solution_cells(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location("strip_solutions",
                                                  ROOT / "scripts" / "strip_solutions.py")
    strip = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(strip)
    solutions = json.loads((LAB / "solutions" / name).read_text(encoding="utf-8"))
    students = json.loads((LAB / name).read_text(encoding="utf-8"))
    assert students == strip.strip_solutions(solutions)
    assert (LAB / name).read_text(encoding="utf-8") == strip.dumps(students)
    kinds = [(_tags(c) or [c["cell_type"]])[0] for c in solutions["cells"]]
    assert not any("solution" in _tags(c) for c in students["cells"])
    # every solution sits between its exercise and its checkpoint; at least two exercises
    assert kinds.count("solution") >= 2
    for i, kind in enumerate(kinds):
        if kind == "solution":
            assert kinds[i - 1] == "exercise" and kinds[i + 1] == "checkpoint", (name, i)
    assert kinds.count("exercise") == kinds.count("solution") == kinds.count("checkpoint")
    for cell in students["cells"]:
        if "exercise" in _tags(cell):
            assert "EXERCISE" in "".join(cell["source"]) and "..." in "".join(cell["source"])


def test_a_students_checkpoint_fails_until_the_exercise_is_done(monkeypatch):
    """The students' lab 1 runs up to its first checkpoint, which then fails with a hint."""
    with pytest.raises(AssertionError, match="fit `ols` and compute `moran` first"):
        run_notebook(LAB / "lab_1_diagnostics.ipynb", monkeypatch)
