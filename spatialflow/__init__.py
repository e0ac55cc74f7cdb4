"""spatialflow: spatial econometrics of urban-rural factor flows.

County polygons and spatial weights, spatial lag and Durbin models (cross-section and panel)
with effects and their core-periphery split, and the field's measurement toolkit.
"""
from importlib import import_module

__version__ = "0.1.0"
#: The distribution name on the package registry (``pip install spatialflow-econ``): the
#: name ``spatialflow`` there is an unrelated project. The import name stays ``spatialflow``.
DISTRIBUTION = "spatialflow-econ"

__all__ = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS", "SpatialResults", "compare", "specification_search",
           "lm_tests", "chow_test", "model_probabilities", "__version__"]

# `import spatialflow` stays fast (the CLI, `spatialflow --help`, a report that only reads
# data): the models (scipy, pandas, formulaic) load on first use of one of these names
# (PEP 562 module __getattr__), and `from spatialflow import SDM` works as usual.
_MODELS = frozenset(__all__) - {"__version__"}


_SUBPACKAGES = frozenset({"models", "weights", "datasets", "measures", "exceptions", "cli", "plot",
                          "pipeline", "flows"})


def __getattr__(name: str):
    if name in _MODELS:
        value = getattr(import_module(".models", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:  # `import spatialflow; spatialflow.weights.build(...)`
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
