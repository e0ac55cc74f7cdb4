"""Spatial econometric models: estimators, results, effects and tests."""
from .base import GNS, OLS, SAC, SAR, SDEM, SDM, SEM, SLX, SpatialModel
from .results import SpatialResults
from .summary import Comparison, Summary, compare
from .hypotheses import (chow_test, common_factor_lr, common_factor_test, hausman_test,
                         lr_test, wald_test)
from .lm import lm_tests, moran_residuals, panel_lm_tests
from .workflows import durbin_tests, effects_lr_tests, specification_search
# The Wald test that also reads text restrictions ("INC = HOVAL"); same signature as
# hypotheses.wald_test, which it extends.
from .inference import t_test, tidy, wald_test  # noqa: F811
from .probabilities import model_probabilities

__all__ = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS", "SpatialModel", "SpatialResults",
           "Summary", "Comparison", "compare", "lm_tests", "moran_residuals", "lr_test",
           "wald_test", "common_factor_test", "common_factor_lr", "specification_search",
           "chow_test", "panel_lm_tests", "effects_lr_tests", "hausman_test", "durbin_tests",
           "model_probabilities", "t_test", "tidy"]
