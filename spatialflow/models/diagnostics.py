"""Former home of the specification tests, kept so that existing imports keep working.

The tests now live where their dependencies run one way:
:mod:`~spatialflow.models.hypotheses` (TestResult, LR / Wald / common factor / Chow /
Hausman), :mod:`~spatialflow.models.lm` (Moran's I of residuals, LM tests) and
:mod:`~spatialflow.models.workflows` (specification_search). Import from there in new code.
"""
from __future__ import annotations

from .hypotheses import (TestResult, _chi2_result, _fix_hint, _frame, _lagged_pairs,
                         _panel_settings, _restriction_matrix, _wald, check_comparable,
                         common_factor_lr, common_factor_test, lr_test, wald_test)
from .lm import (Alternative, MoranResult, _as_sparse_square, _finite_vector,
                 _lm_inputs_from_results, _trace_T, lm_tests, moran_residuals)
from .workflows import SpecificationSearch, _elhorst_decision, _lm_direction, specification_search

__all__ = ["TestResult", "MoranResult", "SpecificationSearch", "moran_residuals", "lm_tests",
           "lr_test", "wald_test", "common_factor_test", "common_factor_lr",
           "specification_search", "check_comparable"]
