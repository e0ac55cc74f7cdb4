"""Spatial econometric models: estimators, results, effects and tests.

The public names load on first use (PEP 562 module ``__getattr__``): ``from spatialflow
import SDM`` imports the estimators and what a fit needs, not the specification tests, the
model probabilities or the inference helpers (issue 22: import time). Submodules are
reachable as attributes too (``spatialflow.models._linalg.logdet``).
"""
import lazy_loader as lazy

#: public name -> the submodule that defines it
_WHERE = {
    **{name: "estimators" for name in ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS",
                                 "SpatialModel")},
    "SpatialResults": "results.base",
    **{name: "results.summary" for name in ("Comparison", "Summary", "compare")},
    **{name: "diagnostics.hypotheses" for name in ("chow_test", "common_factor_lr", "common_factor_test",
                                       "hausman_test", "lr_test")},
    **{name: "diagnostics.lm" for name in ("lm_tests", "moran_residuals", "panel_lm_tests")},
    **{name: "diagnostics.workflows" for name in ("durbin_tests", "effects_lr_tests",
                                      "specification_search")},
    # The Wald test that also reads text restrictions ("INC = HOVAL"); same signature as
    # hypotheses.wald_test, which it extends.
    **{name: "results.inference" for name in ("t_test", "tidy", "wald_test")},
    "model_probabilities": "diagnostics.probabilities",
}

__all__ = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS", "SpatialModel", "SpatialResults",
           "Summary", "Comparison", "compare", "lm_tests", "moran_residuals", "lr_test",
           "wald_test", "common_factor_test", "common_factor_lr", "specification_search",
           "chow_test", "panel_lm_tests", "effects_lr_tests", "hausman_test", "durbin_tests",
           "model_probabilities", "t_test", "tidy"]


__getattr__, _, _ = lazy.attach(
    __name__,
    submodules=["estimators", "results", "diagnostics", "_linalg", "_design", "_estimation"],
    submod_attrs={module: [name for name, where in _WHERE.items() if where == module]
                  for module in sorted(set(_WHERE.values()))})
del _


def __dir__():
    """The public names of the models (the sub-packages stay reachable as attributes)."""
    return sorted(__all__)
