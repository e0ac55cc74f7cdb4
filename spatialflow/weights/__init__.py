"""Spatial weights: one entry point, :func:`build`, returning a libpysal ``Graph``."""
from .align import as_sparse, weights_ids

__all__ = ["as_sparse", "weights_ids"]
