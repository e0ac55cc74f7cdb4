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
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = {"quickstart.ipynb", "replication_columbus.ipynb", "teaching_lab.ipynb",
            "guangdong_core_periphery.ipynb"}


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
    totals = blocks.groupby("variable")["effect"].sum()
    eff = fe.effects(n_draws=10, seed=0)
    assert totals.loc[eff.index].round(10).equals(eff["total"].round(10))


def _check_replication(ns):
    comparison, effects, lm = ns["comparison"], ns["effects"], ns["lm_table"]
    # 4 models x (params x 2 + 3 fit statistics), every R number found and compared
    assert len(comparison) == 2 * (4 + 6 + 4 + 6) + 4 * 3
    assert comparison[["R spatialreg", "spatialflow"]].notna().all().all()
    est = comparison[comparison["quantity"] != "std err"]
    assert est["relative"].max() < 1e-5, est.sort_values("relative").tail()
    assert comparison.loc[comparison["quantity"] == "std err", "relative"].max() < 1e-3
    assert effects["relative difference"].max() < 1e-5
    assert lm["relative difference"].max() < 1e-4


def _check_teaching(ns):
    mc, true_x, rho = ns["mc"], ns["BETA"]["x"], ns["RHO"]
    ols_bias = abs(mc["OLS beta"].mean() - true_x)
    ml_bias = abs(mc["ML beta"].mean() - true_x)
    if rho >= 0.3:  # the lesson the notebook teaches, at its default parameters
        assert ols_bias > 5 * ml_bias, (ols_bias, ml_bias)
    response, shocked, eff = ns["response"], ns["shocked"], ns["gd"].true_effects().loc["x"]
    assert response[shocked] > response.drop(shocked).max() > 0
    # the OLS slope tracks the direct effect (within Monte Carlo error of 40 draws)
    curve = ns["curve"]
    assert np.all(np.abs(curve["OLS slope"] - curve["direct"]) < 0.05)
    assert eff["total"] == pytest.approx(1.0 / (1 - rho), rel=1e-10)


def _check_guangdong(ns):
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
    blocks = ns["core_periphery"].groupby("variable")["effect"].sum()
    totals = ns["effects"]["SDM · queen · tfp"]["total"]
    np.testing.assert_allclose(blocks.loc[totals.index], totals, rtol=1e-10)
    assert ns["out"].exists() and ns["out"].stat().st_size > 0


CHECKS = {"quickstart.ipynb": _check_quickstart, "replication_columbus.ipynb": _check_replication,
          "teaching_lab.ipynb": _check_teaching, "guangdong_core_periphery.ipynb": _check_guangdong}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
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


def test_the_four_notebooks_exist():
    assert {p.name for p in NOTEBOOKS} == EXPECTED
    assert set(CHECKS) == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_outputs_are_stripped_in_git(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, \
                f"{path.name}:{cell['id']} has stored outputs: run scripts/make_notebook.py"


def test_notebooks_are_what_the_generator_writes(tmp_path, monkeypatch):
    """notebooks/*.ipynb are generated by scripts/make_notebook.py: edit the script, not the file."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_notebook", ROOT / "scripts" / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in module.NOTEBOOKS:
        assert (ROOT / "notebooks" / name).exists(), f"{name}: run scripts/make_notebook.py"
        stored = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        cells = [("".join(c["source"])) for c in stored["cells"]]
        assert cells == [text for _, text in module.NOTEBOOKS[name]], \
            f"{name} differs from scripts/make_notebook.py: run the script"
    assert os.path.exists(ROOT / "scripts" / "make_notebook.py")
