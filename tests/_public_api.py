"""The public callables of spatialflow, one list for the docstring and the annotation tests.

The public API (issue 26, item 6): the functions and classes in ``__all__`` of
``spatialflow``, ``spatialflow.models``, ``spatialflow.weights``, ``spatialflow.measures``,
``spatialflow.simulate``, ``spatialflow.grid``, ``spatialflow.montecarlo``,
``spatialflow.flows`` and ``spatialflow.causal``, and the public methods and properties
(defined in spatialflow, inherited ones included) of every class among them -- the model
classes, ``SpatialResults``, ``Summary``, ``Comparison``, ``FlowModel``, ``SpatialDiD`` ...
"""
from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator

#: Documented on the API pages beyond the ``__all__`` lists (the options of ``effects()``;
#: what public functions of flows and causal return, the gravity baseline, the DiD Monte Carlo).
DOCUMENTED = ("spatialflow.models.results.effects.compute_effects",
              "spatialflow.models.results.effects.compute_unit_effects",
              "spatialflow.flows.effects.FlowEffects", "spatialflow.flows.results.FlowSummary",
              "spatialflow.flows.simulate.FlowSimulation", "spatialflow.flows.gravity.gravity",
              "spatialflow.flows.gravity.GravityResults",
              "spatialflow.causal.simulate.monte_carlo_did")

MODULES = ("spatialflow", "spatialflow.models", "spatialflow.weights", "spatialflow.measures",
           "spatialflow.simulate", "spatialflow.grid", "spatialflow.montecarlo",
           "spatialflow.flows", "spatialflow.causal")


def _own(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").startswith("spatialflow")


def _members(cls) -> Iterator[tuple[str, object]]:
    """Public methods and properties of ``cls`` written in spatialflow, by the class that
    defines them (``SAR.fit`` is ``SpatialModel.fit``)."""
    for klass in cls.__mro__:
        if not _own(klass):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                if value.fget is not None and _own(value.fget):
                    yield f"{klass.__module__}.{klass.__qualname__}.{name}", value
            elif inspect.isfunction(value) and _own(value):
                yield f"{klass.__module__}.{klass.__qualname__}.{name}", value


def public_callables() -> dict[str, object]:
    """``{dotted name where the object is defined: object}``, each object once."""
    found: dict[str, object] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj) or not _own(obj):
                continue
            found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
            if inspect.isclass(obj):
                for member_name, member in _members(obj):
                    found.setdefault(member_name, member)
    for dotted in DOCUMENTED:
        module_name, name = dotted.rsplit(".", 1)
        found.setdefault(dotted, getattr(importlib.import_module(module_name), name))
    return found
