"""Former home of the panel specification tests, kept so that existing imports keep working.

:func:`panel_lm_tests` is in :mod:`~spatialflow.models.lm`, :func:`hausman_test` in
:mod:`~spatialflow.models.hypotheses`, and the procedures that refit models
(:func:`effects_lr_tests`, :func:`durbin_tests`, :func:`refit`) in
:mod:`~spatialflow.models.workflows`. Import from there (or from :mod:`spatialflow.models`)
in new code.
"""
from __future__ import annotations

from .hypotheses import hausman_test
from .lm import panel_lm_tests
from .workflows import durbin_tests, effects_lr_tests, refit

__all__ = ["panel_lm_tests", "effects_lr_tests", "hausman_test", "durbin_tests", "refit"]
