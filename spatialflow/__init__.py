"""spatialflow: spatial econometrics of urban-rural factor flows.

County polygons and spatial weights, spatial lag and Durbin models (cross-section and panel)
with effects and their core-periphery split, and the field's measurement toolkit.
"""
from .models import (GNS, OLS, SAC, SAR, SDEM, SDM, SEM, SLX, SpatialResults, chow_test, compare,
                     lm_tests, specification_search)

__version__ = "0.1.0"

__all__ = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS", "SpatialResults", "compare", "specification_search",
           "lm_tests", "chow_test", "__version__"]
