"""The README's notebook example runs as written (a user's first contact with the API)."""
from __future__ import annotations

import pytest
import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write files (report.html): keep them out of the tree
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README.md has no python example"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    res, fe = namespace["res"], namespace["fe"]
    assert res.kind == "SDM" and fe.panel["effects"] == "twoway"
    assert abs(fe.params["rho"] - 0.35) < 0.15  # the synthetic process has rho = 0.35
    rep = namespace["rep"]
    assert {"deficits", "counterfactual", "blocks_cp", "model_choice", "unit_effects"} <= set(
        rep.tables)
    assert rep.lead == "SDM · queen"        # the README says: chosen by evidence, SAR first
