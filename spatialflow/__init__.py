"""spatialflow: spatial econometrics of urban-rural factor flows.

County polygons and spatial weights, spatial lag and Durbin models (cross-section and panel)
with effects and their core-periphery split, and the field's measurement toolkit.
"""
from .models import (OLS, SAR, SDEM, SDM, SEM, SLX, SpatialResults, chow_test, compare,
                     lm_tests, model_probabilities, specification_search)

__version__ = "0.1.0"

__all__ = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SpatialResults", "compare", "specification_search",
           "lm_tests", "chow_test", "model_probabilities", "__version__"]
