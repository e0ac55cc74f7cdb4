"""Specification tests and model choice on fitted results.

- :mod:`~spatialflow.models.diagnostics.hypotheses` -- LR, Wald, common-factor, Chow and
  Hausman tests between and within fitted models;
- :mod:`~spatialflow.models.diagnostics.lm` -- Moran's I of residuals, the LM tests
  (cross-section and panel);
- :mod:`~spatialflow.models.diagnostics.workflows` -- procedures that refit models
  (specification search, Durbin and effects LR tests);
- :mod:`~spatialflow.models.diagnostics.probabilities` -- Bayesian posterior model
  probabilities.

The top layer of the models: it may import the estimators (to refit), nothing imports it
but the public surface of :mod:`spatialflow.models`.
"""
from __future__ import annotations

from ..results.testing import TestResult
from .hypotheses import (check_comparable, chow_test, common_factor_lr, common_factor_test,
                         hausman_test, lr_test, wald_test)
from .lm import MoranResult, lm_tests, moran_residuals, panel_lm_tests
from .probabilities import model_probabilities
from .workflows import (SpecificationSearch, durbin_tests, effects_lr_tests, refit,
                        specification_search)

__all__ = ["TestResult", "MoranResult", "SpecificationSearch", "moran_residuals", "lm_tests",
           "panel_lm_tests", "lr_test", "wald_test", "common_factor_test", "common_factor_lr",
           "chow_test", "hausman_test", "check_comparable", "specification_search",
           "durbin_tests", "effects_lr_tests", "refit", "model_probabilities"]
