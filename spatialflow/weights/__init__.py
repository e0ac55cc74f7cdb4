"""Spatial weights: one entry point, :func:`build`, returning a libpysal ``Graph``.

>>> from spatialflow.weights import build, describe, as_sparse, weights_ids
"""
from .align import as_sparse, weights_ids
from .build import KINDS, build
from .describe import WeightsDescription, describe
from .distance import distance_matrix_km

__all__ = ["build", "describe", "as_sparse", "weights_ids", "KINDS", "WeightsDescription",
           "distance_matrix_km"]
