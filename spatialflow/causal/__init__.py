"""Policy evaluation with spillovers: spatial difference-in-differences.

>>> from spatialflow.causal import SpatialDiD

* :class:`SpatialDiD` -- SDM-DID, SAR-DID, SDEM-DID on two-way fixed-effects panels (direct,
  indirect and total ATT as LeSage-Pace effects of the treatment), and ring exposure
  (Butts 2023) with ``model="rings"``;
* results: ``.effects()``, ``.event_study()``, ``.pretrend_test()``,
  ``.permutation_test()`` (:mod:`spatialflow.causal.results`);
* Conley spatial-HAC covariance (:mod:`spatialflow.causal.conley`);
* simulated programmes with known effects (:mod:`spatialflow.causal.simulate`).
"""
from .model import SpatialDiD
from .permutation import PermutationTest
from .results import CohortEffects, EventStudy, SpatialDiDResults
from .simulate import DiDSimulation, SpatialDiDSimulator, simulate_spatial_did

__all__ = ["SpatialDiD", "SpatialDiDResults", "EventStudy", "CohortEffects", "PermutationTest",
           "SpatialDiDSimulator", "DiDSimulation", "simulate_spatial_did"]
