"""Spatial weights: one entry point, :func:`build`, returning a libpysal ``Graph``.

>>> from spatialflow.weights import build, describe, as_sparse, weights_ids

The builders need libpysal and geopandas, which take seconds to import, while the models
need only the light id alignment: every name loads on first use (``lazy_loader``,
Scientific Python SPEC 1).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["align", "attribute", "builders", "contiguity", "description", "distance",
                "flow", "islands", "sparse"],
    submod_attrs={
        "align": ["as_sparse", "weights_ids"],
        "sparse": ["from_sparse"],
        "builders": ["build", "KINDS"],
        "description": ["describe", "WeightsDescription"],
        "distance": ["distance_matrix_km"],
    },
)
