"""Spatial weights: one entry point, :func:`build`, returning a libpysal ``Graph``.

>>> from spatialflow.weights import build, describe, as_sparse, weights_ids
"""
import sys
import types
from importlib import import_module

from .align import as_sparse, weights_ids

__all__ = ["build", "describe", "as_sparse", "weights_ids", "KINDS", "WeightsDescription",
           "distance_matrix_km"]

# Imported on first use: the builders need libpysal and geopandas, which take seconds to
# import, while the models only need the light id alignment above.
_LAZY = {"build": ".build", "KINDS": ".build", "describe": ".describe",
         "WeightsDescription": ".describe", "distance_matrix_km": ".distance"}


def _function(name: str):
    return getattr(import_module(_LAZY[name], __name__), name)


class _WeightsPackage(types.ModuleType):
    """`build` and `describe` are both functions and the names of their submodules.

    Importing the submodule ``spatialflow.weights.build`` makes Python set the package
    attribute ``build`` to the module; these properties keep ``spatialflow.weights.build``
    the function (as an eager ``from .build import build`` did), while the submodule stays
    in ``sys.modules``.
    """

    @property
    def build(self):
        return _function("build")

    @build.setter
    def build(self, value):  # the import system recording the submodule: nothing to keep
        if not isinstance(value, types.ModuleType):
            raise AttributeError("spatialflow.weights.build cannot be reassigned")

    @property
    def describe(self):
        return _function("describe")

    @describe.setter
    def describe(self, value):
        if not isinstance(value, types.ModuleType):
            raise AttributeError("spatialflow.weights.describe cannot be reassigned")


sys.modules[__name__].__class__ = _WeightsPackage


def __getattr__(name: str):
    if name in _LAZY:
        value = _function(name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
