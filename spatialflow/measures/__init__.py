"""Measurement toolkit: the variables a paper on urban-rural factor flows builds first.

Entropy weights and composite factor-flow indices, coupling coordination, gravity flows
(for flow-based weights), capital stock and TFP (Solow residual, DEA-Malmquist), the
urban-rural income gap, Dagum Gini and Theil decompositions, Moran's I over time, and the
drivers of a spatial pattern: Geodetector q-statistics (with optimal discretisation) and
local regressions (GWR, MGWR with prediction at new locations), local Moran and Getis-Ord
Gi* hot spots with a false-discovery-rate cutoff.
Pandas in, pandas out; the formula of each measure is in its docstring.
"""
from .autocorrelation import local_moran_by_period, moran_by_period
from .clubs import ConvergenceClubs, LogTTest, convergence_clubs, log_t_test
from .convergence import BetaConvergence, beta_convergence, speed_and_half_life
from .coupling import COORDINATION_GRADES, coordination_grade, coupling_coordination
from .dea import dea_efficiency, malmquist
from .dynamics import (
    KernelDensities,
    StochasticKernel,
    kernel_densities,
    relative_levels,
    stochastic_kernel,
)
from .discretise import (
    DISCRETISATION_METHODS,
    OptimalDiscretisation,
    discretise,
    optimal_discretisation,
)
from .entropy import EntropyResult, entropy_weights
from .flows import FACTORS, FLOW_DIRECTIONS, FactorFlowIndex, factor_flow_index
from .geodetector import (
    INTERACTION_TYPES,
    ecological_detector,
    factor_detector,
    geodetector,
    interaction_detector,
    risk_detector,
)
from .gravity import gravity_flows, gravity_matrix
from .income import income_gap
from .local_regression import LocalRegressionResults, gwr, mgwr
from .local_statistics import getis_ord, local_moran
from .inequality import (
    DagumGini,
    TheilDecomposition,
    dagum_gini,
    dagum_gini_by,
    gini,
    theil,
    theil_by,
)
from .markov import MarkovChain, SpatialMarkov, markov_chain, spatial_markov
from .tfp import DEFAULT_DEPRECIATION, SolowResult, capital_stock, solow_tfp

__all__ = [
    "stochastic_kernel",
    "spatial_markov",
    "relative_levels",
    "markov_chain",
    "kernel_densities",
    "StochasticKernel",
    "SpatialMarkov",
    "MarkovChain",
    "KernelDensities",
    "BetaConvergence",
    "COORDINATION_GRADES",
    "ConvergenceClubs",
    "LogTTest",
    "DEFAULT_DEPRECIATION",
    "DISCRETISATION_METHODS",
    "DagumGini",
    "EntropyResult",
    "FACTORS",
    "FLOW_DIRECTIONS",
    "FactorFlowIndex",
    "INTERACTION_TYPES",
    "LocalRegressionResults",
    "OptimalDiscretisation",
    "SolowResult",
    "TheilDecomposition",
    "beta_convergence",
    "capital_stock",
    "convergence_clubs",
    "coordination_grade",
    "coupling_coordination",
    "dagum_gini",
    "dagum_gini_by",
    "dea_efficiency",
    "discretise",
    "ecological_detector",
    "entropy_weights",
    "factor_detector",
    "factor_flow_index",
    "geodetector",
    "getis_ord",
    "gini",
    "gravity_flows",
    "gwr",
    "gravity_matrix",
    "income_gap",
    "interaction_detector",
    "local_moran",
    "local_moran_by_period",
    "log_t_test",
    "malmquist",
    "mgwr",
    "moran_by_period",
    "optimal_discretisation",
    "risk_detector",
    "solow_tfp",
    "speed_and_half_life",
    "theil",
    "theil_by",
]
