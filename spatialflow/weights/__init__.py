"""Spatial weights: one entry point, :func:`build`, returning a libpysal ``Graph``.

>>> from spatialflow.weights import build, describe, as_sparse, weights_ids
"""
from importlib import import_module

from .align import as_sparse, weights_ids

__all__ = ["build", "describe", "as_sparse", "weights_ids", "KINDS", "WeightsDescription",
           "distance_matrix_km"]

# Imported on first use (PEP 562): the builders need libpysal and geopandas, which take
# seconds to import, while the models only need the light id alignment above.
_LAZY = {"build": ".build", "KINDS": ".build", "describe": ".describe",
         "WeightsDescription": ".describe", "distance_matrix_km": ".distance"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
