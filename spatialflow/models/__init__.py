"""Spatial econometric models: estimators, results, effects and tests.

The public names load on first use (PEP 562 module ``__getattr__``): ``from spatialflow
import SDM`` imports the estimators and what a fit needs, not the specification tests, the
model probabilities or the inference helpers (issue 22: import time). Submodules are
reachable as attributes too (``spatialflow.models.logdet``).
"""
from importlib import import_module

#: public name -> the submodule that defines it
_WHERE = {
    **{name: "base" for name in ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS",
                                 "SpatialModel")},
    "SpatialResults": "results",
    **{name: "summary" for name in ("Comparison", "Summary", "compare")},
    **{name: "hypotheses" for name in ("chow_test", "common_factor_lr", "common_factor_test",
                                       "hausman_test", "lr_test")},
    **{name: "lm" for name in ("lm_tests", "moran_residuals", "panel_lm_tests")},
    **{name: "workflows" for name in ("durbin_tests", "effects_lr_tests",
                                      "specification_search")},
    # The Wald test that also reads text restrictions ("INC = HOVAL"); same signature as
    # hypotheses.wald_test, which it extends.
    **{name: "inference" for name in ("t_test", "tidy", "wald_test")},
    "model_probabilities": "probabilities",
}

__all__ = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS", "SpatialModel", "SpatialResults",
           "Summary", "Comparison", "compare", "lm_tests", "moran_residuals", "lr_test",
           "wald_test", "common_factor_test", "common_factor_lr", "specification_search",
           "chow_test", "panel_lm_tests", "effects_lr_tests", "hausman_test", "durbin_tests",
           "model_probabilities", "t_test", "tidy"]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("__"):
        try:  # a submodule: spatialflow.models.logdet
            return import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
