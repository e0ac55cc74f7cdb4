"""Shared fixtures: the Columbus reference case (R spatialreg 1.2.6, see reference/columbus)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# numba (through giddy -> quantecon and esda) writes its on-disk cache into site-packages. Two
# pytest-xdist workers compiling the same cached gufunc at once can leave a cache entry that
# aborts the next process that loads it ("LLVM ERROR: Symbol not found: __gufunc__..."), so each
# worker compiles into a cache folder of its own. Must be set before numba is first imported.
os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="spatialflow-numba-"))

# pytest-xdist runs one worker per core; each worker's BLAS would start a thread per core too,
# and OpenBLAS threads that wait for a descheduled sibling spin: a 900 x 900 eigvalsh measured
# 0.05 s alone and 3-5 s beside another busy process. One BLAS thread per worker.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

if os.environ.get("PYTEST_XDIST_WORKER"):
    threadpool_limits(limits=1)   # in case numpy was loaded before this file (a plugin)
from _reference import read_gal

REFERENCE = Path(__file__).parent / "reference"
COLUMBUS = REFERENCE / "columbus"


@pytest.fixture(scope="session")
def columbus():
    """(data indexed by str id '1'..'49', row-standardised libpysal W with the same ids)."""
    df = pd.read_csv(COLUMBUS / "columbus_oldcol.csv", dtype={"id": str}).set_index("id")
    return df, read_gal(COLUMBUS / "columbus_oldcol.gal")


class _StubReport:
    """Stands in for spatialflow.report.Report in tests about writing, not about the report."""

    def to_html(self, path):
        Path(path).write_text("<html>stub report</html>", encoding="utf-8")


@pytest.fixture
def stub_report(monkeypatch):
    """The pipeline writes a one-line stub instead of building the report (fast tests of
    output folders, manifests and errors)."""
    import spatialflow.pipeline.runner as runner
    monkeypatch.setattr(runner, "_report", lambda *a, **k: _StubReport())
