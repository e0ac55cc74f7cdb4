"""The documentation site builds without a single warning (``sphinx-build -W``).

Runs when the ``docs`` extra is installed (``pip install -e ".[docs]"``). The notebooks are
not executed here (the test suite runs them in test_notebooks.py): the pages are built from
docs/notebooks/ when scripts/build_docs.py has filled it, else from the stripped notebooks.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    pytest.importorskip("myst_nb", reason="the docs extra is not installed")
    pytest.importorskip("numpydoc", reason="the docs extra is not installed")
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    for page in ("index.html", "getting_started.html", "validation.html",
                 "user_guide/simulate.html", "api/simulate.html", "api/models.html",
                 "notebooks/quickstart.html", "notebooks/replication_columbus.html",
                 "notebooks/lab/lab_1_diagnostics.html", "notebooks/lab/lab_2_monte_carlo.html",
                 "notebooks/lab/lab_3_search_and_shocks.html",
                 "notebooks/guangdong_core_periphery.html"):
        assert page in pages, f"{page} missing from the site"
    api = (out / "api" / "simulate.html").read_text(encoding="utf-8")
    assert "Simulator" in api and "admissible_interval" in api
