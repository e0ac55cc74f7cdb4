"""Spatial econometric models: estimators, results, effects and tests."""
from .base import OLS, SAR, SDEM, SDM, SEM, SLX, SpatialModel
from .results import SpatialResults
from .summary import Comparison, Summary, compare

__all__ = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SpatialModel", "SpatialResults",
           "Summary", "Comparison", "compare"]
