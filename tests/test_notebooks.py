"""Every notebook in notebooks/ runs top to bottom (its code cells executed in order)."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path):
    matplotlib.use("Agg")
    nb = json.loads(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__notebook__"}
    executed = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        exec(compile("".join(cell["source"]), f"{path.name}:{cell['id']}", "exec"), namespace)
        executed += 1
    assert executed >= 5, f"{path.name} has only {executed} code cells"
    # The notebook's last cells produce the core/periphery blocks: they must add up.
    blocks = namespace["blocks"]
    fe = namespace["fe"]
    totals = blocks.groupby("variable")["effect"].sum()
    eff = namespace["fe"].effects(n_draws=10, seed=0)
    assert fe.panel is not None
    assert totals.loc[eff.index].round(10).equals(eff["total"].round(10))


def test_there_is_a_notebook():
    assert NOTEBOOKS, "notebooks/ must hold at least one executed example"
