"""Typed errors and named warnings raised by spatialflow.

Every error says what was expected, what was given, and which rows, ids or columns are at
fault. Warnings are classes so that users can filter them precisely, e.g.::

    import warnings
    from spatialflow.exceptions import IslandWarning
    warnings.simplefilter("ignore", IslandWarning)
"""
from __future__ import annotations

from typing import Iterable

__all__ = [
    "SpatialflowError",
    "PrintToPDFError",
    "InputError",
    "IdMismatchError",
    "DuplicateIdError",
    "EmptyInputError",
    "MissingDataError",
    "CollinearityError",
    "ConstantResponseError",
    "WeightsKindError",
    "IslandError",
    "CRSError",
    "GeometryError",
    "PanelError",
    "UnbalancedPanelError",
    "ModelSpecificationError",
    "OptionalDependencyError",
    "SpatialflowWarning",
    "IslandWarning",
    "MissingValueWarning",
    "BoundaryWarning",
    "ConvergenceWarning",
    "ApproximationWarning",
    "ZeroRangeWarning",
    "UnbalancedPanelWarning",
    "format_ids",
]


def _plain(value):
    """A numpy scalar as the Python scalar it holds (also inside tuples), so that messages
    read ``[2015]`` and ``('a', 'b')`` rather than ``[np.int64(2015)]``."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def format_ids(ids: Iterable, limit: int = 20) -> str:
    """Render a list of ids for an error message, truncated after ``limit`` items."""
    ids = list(ids)
    shown = ", ".join(repr(_plain(i)) for i in ids[:limit])
    if len(ids) > limit:
        shown += f", ... ({len(ids) - limit} more)"
    return f"[{shown}]"


class SpatialflowError(Exception):
    """Base class of all spatialflow errors."""


class InputError(SpatialflowError, ValueError):
    """An argument has the wrong value, type or shape."""


class IdMismatchError(InputError):
    """Ids of data and weights (or of two inputs) differ."""


class DuplicateIdError(InputError):
    """An id (or an (id, time) pair) occurs more than once."""


class EmptyInputError(InputError):
    """A frame or array has no rows."""


class MissingDataError(InputError):
    """NaN or infinite values where finite numbers are required."""


class CollinearityError(InputError):
    """Regressors are perfectly collinear (the design matrix is rank deficient)."""


class ConstantResponseError(InputError):
    """The response of a model does not vary (there is nothing to explain)."""


class WeightsKindError(InputError):
    """An unknown spatial weights kind was requested."""


class IslandError(InputError):
    """Units without neighbours where the island policy is ``"raise"``."""


class CRSError(InputError):
    """A coordinate reference system is missing or unsuitable (e.g. degrees for distances)."""


class GeometryError(InputError):
    """Missing, empty or invalid geometries."""


class PanelError(InputError):
    """A panel is malformed: duplicated (id, time) rows, T = 1, ids missing from weights."""


class UnbalancedPanelError(PanelError):
    """Some units are not observed in every period."""


class ModelSpecificationError(InputError):
    """A model was asked for something it cannot do (e.g. spillover blocks for OLS)."""


class OptionalDependencyError(SpatialflowError, ImportError):
    """An optional dependency (an extra) is needed and not installed."""


class SpatialflowWarning(UserWarning):
    """Base class of all spatialflow warnings."""


class IslandWarning(SpatialflowWarning):
    """Units without neighbours were kept (their rows of W are zero)."""


class MissingValueWarning(SpatialflowWarning):
    """Rows with missing values were dropped on request (``missing="drop"``)."""


class BoundaryWarning(SpatialflowWarning):
    """A spatial parameter was estimated at (or numerically next to) its admissible bound."""


class ConvergenceWarning(SpatialflowWarning):
    """The optimiser did not report convergence; results are flagged ``converged=False``."""


class ApproximationWarning(SpatialflowWarning):
    """An approximate method was used where an exact one would be cheap, or vice versa."""


class ZeroRangeWarning(SpatialflowWarning):
    """An indicator has zero range (constant) and receives zero weight."""


class UnbalancedPanelWarning(SpatialflowWarning):
    """Incomplete units were dropped from a panel on request (``balance="drop"``)."""


class HausmanWarning(SpatialflowWarning):
    """The Hausman covariance difference :math:`V_{FE} - V_{RE}` is not positive definite
    (or the statistic is negative): the test is unreliable on these fits."""


__all__ += ["HausmanWarning"]


class EffectsInterpretationWarning(SpatialflowWarning):
    """Several regressors are built from the same variable (interactions, powers): the effect
    of one column holding the others fixed is not the effect of changing that variable."""


__all__ += ["EffectsInterpretationWarning"]


class ConfigError(InputError):
    """A run's configuration (TOML file or command-line option) is invalid: unknown key,
    wrong type or impossible value; the message names the key, what was expected and what
    was given."""


class OutputExistsError(InputError):
    """The output folder exists and is not empty, and overwriting was not asked for."""


class ConfigKeyWarning(SpatialflowWarning):
    """A deprecated (flat) config key was read and moved to its section."""


__all__ += ["ConfigError", "OutputExistsError", "ConfigKeyWarning"]


class CJKFontWarning(SpatialflowWarning):
    """No installed font has Chinese glyphs: figures fall back to English labels (instead
    of drawing Chinese characters as empty boxes)."""


class ReportWarning(SpatialflowWarning):
    """Part of a report could not be computed (e.g. a model's effects); the report says
    which part and why in its notes."""


__all__ += ["CJKFontWarning", "ReportWarning"]


class InvalidWeightsError(InputError):
    """Weights a model cannot use as given: non-finite weights, negative weights or
    self-loops (a non-zero diagonal); the message names the units."""


class CacheRebuiltWarning(SpatialflowWarning):
    """A cached file was unreadable, empty or not the expected content and was rebuilt."""


class ConstantVariableWarning(SpatialflowWarning):
    """A variable is constant (in a period): statistics that divide by its variance, such
    as Moran's I, are undefined and reported as NaN."""


__all__ += ["InvalidWeightsError", "CacheRebuiltWarning", "ConstantVariableWarning"]


class InadmissibleEstimateError(InputError):
    """A parameter estimated from the data lies outside the range the method requires (e.g.
    a Solow capital elasticity outside (0, 1)): the data do not support the assumed model."""


__all__ += ["InadmissibleEstimateError"]


class WeakIdentificationWarning(SpatialflowWarning):
    """Two spatial parameters (rho and lambda of a SAC / GNS model) are weakly identified:
    the likelihood is nearly flat along a ridge or has several comparable maxima."""


class NonStationaryWarning(SpatialflowWarning):
    """A dynamic spatial panel estimate violates the stationarity condition (for a
    row-standardised W: tau + rho + eta >= 1, or another eigenvalue condition); long-run
    effects are not defined there."""


__all__ += ["WeakIdentificationWarning", "NonStationaryWarning"]


class EigenvalueBoundsError(InputError):
    """No cheap enclosure of the spectrum of W is known, which an approximate
    log-determinant needs for a valid error bound (callers fall back to an exact method)."""


class EigenvalueBoundsWarning(SpatialflowWarning):
    """An approximate log-determinant was asked for, but no cheap, valid bound on the
    eigenvalues of W exists: the exact method was used instead (never a guessed bound)."""


class InsufficientMemoryError(SpatialflowError, MemoryError):
    """A computation would need more memory than is available; the message gives both
    figures and the option that needs less."""


class SchedulerUnreachableError(SpatialflowError, ConnectionError):
    """A Dask scheduler could not be reached within the timeout."""


__all__ += ["EigenvalueBoundsError", "EigenvalueBoundsWarning", "InsufficientMemoryError",
            "SchedulerUnreachableError"]


class UnderIdentificationError(ModelSpecificationError):
    """GMM/IV: the instruments do not identify the parameters (fewer independent instruments
    than regressors, e.g. no regressor to lag, or instruments collinear with X)."""


class IncomparableModelsError(InputError):
    """Models cannot be compared: different samples, outcomes or weights."""


__all__ += ["UnderIdentificationError", "IncomparableModelsError"]


class ForeignFolderError(OutputExistsError):
    """An existing output folder is not one spatialflow wrote (no manifest of ours, or its
    files differ from the hashes the manifest lists): it is never replaced or deleted, even
    with ``--overwrite``."""


class UnreadableFileError(InputError):
    """A file could not be read as the format its name or the config says (empty, ragged,
    truncated, wrong encoding, another format); the message names the file and what to do."""


class GridTaskError(SpatialflowError, RuntimeError):
    """A task of a grid raised: the grid stopped. ``index``, ``task`` and ``seed`` (the task's
    own :class:`numpy.random.SeedSequence`) identify it, ``results`` holds the completed
    results (``None`` where a task did not complete) and ``__cause__`` the task's error."""

    def __init__(self, message, *, index, task, seed, results):
        super().__init__(message)
        self.index = index
        self.task = task
        self.seed = seed
        self.results = results

    def __reduce__(self):
        return (_grid_task_error, (str(self), self.index, self.task, self.seed, self.results))


def _grid_task_error(message, index, task, seed, results):
    return GridTaskError(message, index=index, task=task, seed=seed, results=results)


__all__ += ["ForeignFolderError", "UnreadableFileError", "GridTaskError"]


class ExpensiveInformationWarning(SpatialflowWarning):
    """The information matrix asked for would cost far more than the fit itself (the
    expected information's exact tr(G'G) at large n): the message gives the estimated
    ratio and names the cheaper option (``information="observed"``, the default)."""


__all__ += ["ExpensiveInformationWarning"]


class ResponseInRegressorsError(ModelSpecificationError):
    """The response is among the regressors: a regressor is the response itself, a
    transformation of it (formula terms built from the response's variable), or a column
    numerically identical to it; or the regressors reproduce the response exactly. The fit
    would be degenerate (sigma2 = 0, the response's coefficient 1, rho ~ 0)."""


class SeedError(InputError):
    """A random seed is not a non-negative integer (or None, a numpy Generator or
    SeedSequence where those are accepted)."""


__all__ += ["ResponseInRegressorsError", "SeedError"]


class GroupConflictError(InputError):
    """A unit's group (e.g. its region) is ambiguous: the panel and the layer give it
    different groups, or the panel gives it different groups in different periods."""


__all__ += ["GroupConflictError"]


class DroppedNeighboursWarning(IslandWarning):
    """Dropping units (``missing="drop"``, ``balance="drop"``) left other units without
    neighbours: their rows of the subset W are zero. Weights rebuilt on the kept units
    (``spatialflow.weights.build(layer.loc[kept], ...)``) may link them instead."""


__all__ += ["DroppedNeighboursWarning"]


class PrintToPDFError(SpatialflowError, RuntimeError):
    """The headless browser that prints a report to PDF failed or wrote no file; the message
    names the browser and ends with its own error output."""


class RenamedOptionWarning(SpatialflowWarning, FutureWarning):
    """An option was given under its old name (e.g. GMM's ``robust=``, now ``cov_type=``);
    it still works, and the message gives the new spelling."""


class NumericalError(SpatialflowError):
    """A computation failed numerically on valid input: a singular or indefinite information
    matrix, a factorisation that broke down, an optimiser that produced no finite value. The
    message says which quantity failed and what usually causes it."""
__all__ += ["RenamedOptionWarning", "NumericalError"]


class TreatmentError(InputError):
    """The treatment column of a difference-in-differences is unusable: values other than
    0/1 (or missing), a treatment that switches off when adoption must be absorbing, no
    never-treated (or no treated) units, units treated in every period. The message names
    the (id, time) rows or the ids at fault."""


class ExposureError(InputError):
    """Spillover exposure rings cannot be built: breakpoints not increasing, no coordinates
    or weights to measure the distance, no unexposed untreated rows left to identify the
    counterfactual. The message names the rings, columns or periods at fault."""


class ConleyWarning(SpatialflowWarning):
    """A Conley spatial-HAC meat has a materially negative eigenvalue: its kernel (radial
    Bartlett or uniform) does not guarantee a positive semi-definite covariance."""


__all__ += ["TreatmentError", "ExposureError", "ConleyWarning"]


class NonPositiveLevelError(InputError):
    """A level whose logarithm is needed (growth rates, β-convergence, relative levels of a
    distribution) is zero or negative; the message names the units and periods."""


class PeriodNotFoundError(PanelError):
    """A period the analysis needs (the start or end year of a growth rate) is not in the
    data, or some units have no row in it; the message names the period and the units."""


class UndefinedSpeedWarning(SpatialflowWarning):
    """The convergence speed -log(1 + βT)/T is not a speed of convergence: β >= 0 (no
    convergence, the speed is <= 0 and the half-life is undefined) or 1 + βT <= 0 (the log
    is undefined: overshooting)."""


class ThinDataWarning(SpatialflowWarning):
    """A distribution-dynamics estimate rests on very few observations (e.g. a Markov chain
    with one transition per unit, a class never observed as an origin): read it as
    descriptive, not as a long-run forecast."""


__all__ += ["NonPositiveLevelError", "PeriodNotFoundError", "UndefinedSpeedWarning",
            "ThinDataWarning"]


# ---- origin-destination flow models (spatialflow.flows) -------------------------------------
class FlowDataError(InputError):
    """A table of origin-destination pairs is malformed: unknown node ids, duplicated pairs,
    missing pairs under ``missing="raise"``, or intra-regional pairs against the ``intra``
    option. The message names the pairs at fault."""


class FlowFormulaError(ModelSpecificationError):
    """A flow formula is malformed: a term outside ``O_()``, ``D_()``, ``I_()``, ``P_()``,
    a variable absent from the node or pair table, or an unknown model variant."""


class NotYetImplementedError(SpatialflowError, NotImplementedError):
    """A documented option whose implementation is planned but not yet available."""


__all__ += ["FlowDataError", "FlowFormulaError", "NotYetImplementedError"]


class ReducibleChainError(InputError):
    """A Markov chain of classes (e.g. the three colours) is reducible: it has several
    steady states, so no single long-run distribution exists to report."""


__all__ += ["ReducibleChainError"]


class RenamedAttributeWarning(RenamedOptionWarning):
    """An attribute of a result was read under its old name (e.g. ``BetaConvergence.beta_se``,
    now ``bse["beta"]``; one vocabulary, docs/design.md); it still works, and the message
    gives the new name."""


__all__ += ["RenamedAttributeWarning"]
