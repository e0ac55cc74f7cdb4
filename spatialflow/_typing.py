"""Literal option types shared across spatialflow (one place, so signatures agree).

The same types validate the options at run time (:func:`check_option`), so a signature and
its error message cannot drift apart.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin

from .exceptions import InputError

if TYPE_CHECKING:  # an annotation only: importing libpysal costs more than a second
    import libpysal

WeightsKind = Literal[
    "queen", "rook", "knn", "distance_band", "inverse_distance", "economic", "nested", "flow"
]
IslandPolicy = Literal["raise", "knn", "keep"]
MissingPolicy = Literal["raise", "drop"]
BalancePolicy = Literal["raise", "drop"]
PanelEffects = Union[Literal["unit", "time", "twoway", "random"], None]
BiasCorrection = Union[Literal["lee-yu"], None]
DynamicOption = Union[Literal["time", "spacetime"], None]
LogDetMethod = Literal["auto", "eigen", "lu", "lu-observed", "approx", "chebyshev", "taylor"]
CovType = Literal["classic", "nonnormal", "cluster", "driscoll-kraay"]
InformationMatrix = Literal["expected", "observed"]
EffectsInference = Literal["simulation", "delta"]
BlockNormalization = Literal["total", "to"]
EffectsDirection = Literal["received", "emitted"]
TraceMethod = Literal["auto", "exact", "power"]
WeightsLike = Union["libpysal.graph.Graph", "libpysal.weights.W"]


def literal_values(option_type) -> tuple:
    """The values a ``Literal`` (or a ``Union`` of Literals and None) admits, in order."""
    if get_origin(option_type) is Literal:
        return tuple(get_args(option_type))
    values: list = []
    for arg in get_args(option_type):
        if arg is type(None):
            values.append(None)
        else:
            values.extend(literal_values(arg))
    return tuple(values)


def check_option(value: Any, option_type, name: str) -> Any:
    """Return ``value`` if ``option_type`` admits it, else raise :class:`InputError`.

    >>> check_option("drop", MissingPolicy, "missing")
    'drop'
    """
    allowed = literal_values(option_type)
    if not any(value is a or (isinstance(value, str) and value == a) for a in allowed):
        if len(allowed) == 2:
            expected = f"{allowed[0]!r} or {allowed[1]!r}"
        else:
            expected = f"one of {list(allowed)}"
        raise InputError(f"{name} must be {expected}; {value!r} was given.")
    return value

# spatialflow.causal (issue 24)
DiDModel = Literal["SDM", "SAR", "SDEM", "rings"]
DiDCovType = Literal["classic", "cluster", "driscoll-kraay", "conley"]
ConleyKernel = Literal["bartlett", "uniform"]
DistanceMetric = Literal["haversine", "euclidean"]
RingEstimator = Literal["twfe", "gardner"]
