"""Sphinx configuration of the spatialflow documentation site.

Build it with ``python scripts/build_docs.py`` (executes the notebooks into docs/notebooks/,
then runs ``sphinx-build -W``). Nothing is downloaded during the build.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("SPATIALFLOW_ROOT", DOCS.parent))
sys.path.insert(0, str(ROOT))

import spatialflow  # noqa: E402

project = "spatialflow"
author = "spatialflow developers"
copyright = "spatialflow developers, MIT licence"
version = release = spatialflow.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]

# The executed notebooks are written to docs/notebooks/ by scripts/build_docs.py. When they
# are absent (a quick check of the site without running them), the stripped notebooks are
# copied there so that every page still builds; their outputs are then missing.
_executed = DOCS / "notebooks"
# The lab's pages are its solutions version (notebooks/lab/solutions/ -> docs/notebooks/lab/).
if not any(_executed.glob("*.ipynb")):
    _executed.mkdir(exist_ok=True)
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(nb, _executed / nb.name)
if not any((_executed / "lab").glob("*.ipynb")):
    (_executed / "lab").mkdir(parents=True, exist_ok=True)
    for nb in (ROOT / "notebooks" / "lab" / "solutions").glob("*.ipynb"):
        shutil.copy(nb, _executed / "lab" / nb.name)
# docs/notebooks/ is generated: a copy whose notebook was renamed or removed since (e.g. the
# old teaching_lab.ipynb) would become an orphan page, so it is removed, never built.
for folder, source in ((_executed, ROOT / "notebooks"),
                       (_executed / "lab", ROOT / "notebooks" / "lab" / "solutions")):
    for stale in folder.glob("*.ipynb"):
        if not (source / stale.name).exists():
            stale.unlink()

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "design.md", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
master_doc = "index"

# Notebooks: never executed by Sphinx (the outputs come from scripts/build_docs.py, which runs
# the same notebooks the test suite runs). stderr (progress bars) is left out of the pages.
nb_execution_mode = "off"
nb_output_stderr = "remove"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# numpydoc validation of the public API (issue 26): the same checks as tests/test_docstrings.py,
# which reads this set. GL08 no docstring, PR01 a parameter not documented, PR02 an unknown
# parameter documented, RT01 no Returns section, SS01/SS03 no summary line / no final period;
# GL06, GL07, GL10, PR06, PR10, RT02, SS04 keep the sections well formed. A result class built
# by the package (not by users) documents its fields under Attributes and says
# "# numpydoc ignore=PR01" on its class line (the test checks that every field is documented).
numpydoc_validation_checks = {"GL06", "GL07", "GL08", "GL10", "PR01", "PR02", "PR06", "PR10",
                              "RT01", "RT02", "SS01", "SS03", "SS04"}
# The validated API is the one tests/_public_api.py lists (models, weights, measures,
# simulate, grid, montecarlo, flows, causal). The other pages (datasets, plot, report,
# pipeline, views, exceptions, cli) are not validated yet.
# The flows and causal pages also show their internal machinery, which no user calls and
# which is not exported (the spectrum and log-determinant of W, the estimators behind
# FlowModel.fit, the treatment-path, ring, Conley and re-estimation helpers behind
# SpatialDiD): documented for readers of the method, not validated as API.
numpydoc_validation_exclude = {
    r"^spatialflow\.(datasets|plot|report|pipeline|views|exceptions|cli)\b",
    r"^spatialflow\.flows\.(variants|logdet|subset|estimation|mcmc)\b",
    r"^spatialflow\.causal\.(treatment|rings|conley|kernel)\b"}

# Math is typeset in the browser by MathJax. The docs extra installs a copy of MathJax 3
# (django-static-mathjax): its single-file SVG build (fonts included) is copied into the site's
# _static/, so the equations render offline. SPATIALFLOW_MATHJAX (a path or URL of another
# MathJax 3 build) overrides it; without either, Sphinx's default CDN is used.
_MATHJAX_DIR = None
if os.environ.get("SPATIALFLOW_MATHJAX"):
    _mj = os.environ["SPATIALFLOW_MATHJAX"]
    mathjax_path = _mj if "://" in _mj else Path(_mj).resolve().as_uri()
else:
    import importlib.util

    _spec = importlib.util.find_spec("mathjax")
    _bundled = (Path(next(iter(_spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
                / "tex-svg.js") if _spec and _spec.submodule_search_locations else None
    if _bundled is not None and _bundled.exists():
        import tempfile

        # a scratch folder outside the source tree, holding only the one file to publish
        _MATHJAX_DIR = Path(tempfile.mkdtemp(prefix="spatialflow-mathjax-"))
        shutil.copy(_bundled, _MATHJAX_DIR / "tex-svg.js")
        mathjax_path = "tex-svg.js"  # relative to _static/

html_theme = "pydata_sphinx_theme"
html_title = f"spatialflow {release}"
html_static_path = ["_static"] + ([str(_MATHJAX_DIR)] if _MATHJAX_DIR is not None else [])
html_css_files = ["spatialflow.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
# Notebook pages and the wide tables get the full width (no left navigation column).
html_sidebars = {"notebooks/*": [], "notebooks/lab/*": [], "user_guide/*": [], "validation": [],
                 "getting_started": [], "index": []}
html_show_sourcelink = False
