"""Spatial econometric interaction models of origin-destination flows.

``FlowModel.from_formula(formula, nodes, pairs, w, model="model_9").fit(method="ml")``:
the LeSage & Pace (2008) model of the ``n^2`` flows between ``n`` nodes in its matrix form
(moments, log-determinant and effects from ``n x n`` objects), with the nine variants in
R spflow's numbering, exact ML (log-determinant from the eigenvalues of ``W``), spatial
2SLS, OLS and MCMC; a gravity baseline
(:func:`spatialflow.flows.gravity.gravity`) and a simulator
(:func:`spatialflow.flows.simulate.simulate_flows`). See ``docs/flows.md``.
"""
from .data import FlowData, pairs_from_matrices
from .effects import flow_change, flow_effects
from .model import FlowModel
from .results import FlowResults
from .simulate import simulate_flows
from .variants import MODELS

__all__ = ["FlowModel", "FlowResults", "FlowData", "pairs_from_matrices", "MODELS",
           "flow_effects", "flow_change", "simulate_flows"]
# gravity() stays in spatialflow.flows.gravity: re-exporting it here would shadow its module
