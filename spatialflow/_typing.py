"""Literal option types shared across spatialflow (one place, so signatures agree).

The same types validate the options at run time (:func:`spatialflow._validation.check_option`,
importable from here too), so a signature and its error message cannot drift apart.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Union

from ._validation import check_option, literal_values  # noqa: F401 - the models import them here

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

# spatialflow.causal (issue 24)
DiDModel = Literal["SDM", "SAR", "SDEM", "rings"]
DiDCovType = Literal["classic", "cluster", "driscoll-kraay", "conley"]
ConleyKernel = Literal["bartlett", "uniform"]
DistanceMetric = Literal["haversine", "euclidean"]
RingEstimator = Literal["twfe", "gardner"]
