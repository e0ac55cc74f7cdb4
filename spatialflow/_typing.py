"""Literal option types shared across spatialflow (one place, so signatures agree)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Union

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
LogDetMethod = Literal["auto", "eigen", "lu", "lu-observed"]
CovType = Literal["classic", "nonnormal", "cluster", "driscoll-kraay"]
EffectsInference = Literal["simulation", "delta"]
TraceMethod = Literal["auto", "exact", "power"]
WeightsLike = Union["libpysal.graph.Graph", "libpysal.weights.W"]
