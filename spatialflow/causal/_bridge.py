"""The one place where spatialflow.causal reaches into private modules of spatialflow.models.

Everything else in the subpackage uses the public API (``spatialflow.models``,
``spatialflow.weights``, ``spatialflow.exceptions``). When the models are restructured
(issue 26) only these imports need repointing.
"""
from ..models.results.covariance import row_scores  # per-row ML scores of a fitted panel model
from ..models._design.design import formula_matrices  # formulaic -> (y Series, X DataFrame)
from ..models.results.testing import TestResult  # the package's test record
from ..models._design.panel_data import lag_panel, within  # (I_T kron W) z and within transforms

__all__ = ["row_scores", "formula_matrices", "TestResult", "lag_panel", "within", "SpatialOperator"]
from ..models._linalg.operator import SpatialOperator  # eigenvalues, bounds of W
