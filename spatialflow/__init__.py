"""spatialflow: spatial econometrics of urban-rural factor flows.

County polygons and spatial weights, spatial lag and Durbin models (cross-section and panel)
with effects and their core-periphery split, and the field's measurement toolkit.

Every public name and subpackage loads on first use (``lazy_loader``, Scientific Python
SPEC 1): ``import spatialflow`` stays fast (the CLI, ``spatialflow --help``, a report that
only reads data), ``from spatialflow import SDM`` loads the estimators and what a fit needs,
and ``spatialflow.report``, ``spatialflow.plot``, ``spatialflow.simulate`` ... work without
importing them first.
"""
import lazy_loader as _lazy

__version__ = "0.1.0"
#: The distribution name on the package registry (``pip install spatialflow-econ``): the
#: name ``spatialflow`` there is an unrelated project. The import name stays ``spatialflow``.
DISTRIBUTION = "spatialflow-econ"

#: The public subpackages and modules.
SUBPACKAGES = ["models", "weights", "datasets", "measures", "exceptions", "plot", "pipeline",
               "report", "simulate", "grid", "montecarlo", "causal", "flows", "cli"]
#: The estimators and the functions used most, at the top level.
MODEL_NAMES = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS", "SpatialResults",
               "compare", "specification_search", "lm_tests", "chow_test",
               "model_probabilities"]

__getattr__, _, _ = _lazy.attach(
    __name__, submodules=SUBPACKAGES, submod_attrs={"models": MODEL_NAMES})

del _
__all__ = [*MODEL_NAMES, *SUBPACKAGES, "__version__", "DISTRIBUTION"]


def __dir__():
    """Exactly the public names (no helpers of the lazy loader)."""
    return sorted(__all__)
