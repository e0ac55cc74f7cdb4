r"""Difference-in-differences with spatial spillovers: SDM-DID, SAR-DID, SDEM-DID and rings.

**Spatial models** (``model="SDM"``, ``"SAR"``, ``"SDEM"``), two-way fixed effects:

.. math::
    y_{it} = \rho\,(Wy)_{it} + \beta D_{it} + \theta\,(WD)_{it} + x_{it}\gamma
             + (Wx)_{it}\delta + \mu_i + \lambda_t + \varepsilon_{it}

(SAR: :math:`\theta = \delta = 0`; SDEM: :math:`\rho = 0` and
:math:`u = \lambda_u (I_T\otimes W)u + \varepsilon`), estimated by the package's panel
estimator (:class:`spatialflow.models.SDM` etc. with ``effects="twoway"``; Lee-Yu bias
correction by default). The treatment effects are the LeSage-Pace effects of :math:`D`:
with :math:`S_D = (I-\rho W)^{-1}(\beta I + \theta W)`,

.. math::
    \text{direct ATT} = \tfrac1n\mathrm{tr}\,S_D,\qquad
    \text{total} = \tfrac1n\iota' S_D\iota,\qquad
    \text{indirect} = \text{total} - \text{direct},

the average effect on a unit of its own treatment, and the average effect on a unit of
treating all *other* units (the spillover), with the package's effects inference
(simulation or delta method; :meth:`spatialflow.models.SpatialResults.effects`).

**Staggered adoption.** :math:`D_{it} = \mathbb 1\{t \ge g_i\}` for the cohort
:math:`g_i` (first treated period) of each unit; never-treated units and the not-yet-treated
periods of later cohorts are the comparisons (cohort x period structure:
:func:`spatialflow.causal.treatment.treatment_paths`, ``results.cohorts``). The static
coefficient pools all cohorts and periods after adoption; it is the ATT when the effect is
the same across cohorts and event time. Heterogeneous effects bias a static two-way
estimator (Goodman-Bacon 2021): read :meth:`SpatialDiDResults.event_study`, and for
heterogeneity-robust estimates use ``model="rings", estimator="gardner"`` (diff-diff's
two-stage DiD with exposure rings).

**Rings** (``model="rings"``, Butts 2023): :mod:`spatialflow.causal.rings`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._typing import (ConleyKernel, DiDCovType, DiDModel, DistanceMetric, RingEstimator,
                       check_option)
from ..exceptions import InputError, ModelSpecificationError
from ._bridge import formula_matrices
from .treatment import check_treatment_values, treatment_paths

if TYPE_CHECKING:
    from .._typing import BiasCorrection, WeightsLike
    from .results import SpatialDiDResults

__all__ = ["SpatialDiD"]

_SPATIAL = ("SDM", "SAR", "SDEM")


class SpatialDiD:
    r"""Difference-in-differences with spatial spillovers (module docstring for the model).

    Build with :meth:`from_formula`; :meth:`fit` returns a
    :class:`~spatialflow.causal.results.SpatialDiDResults`.

    Parameters
    ----------
    formula : str
        Outcome and controls, e.g. ``"tfp ~ labour_flow"`` (``"y ~ 1"`` without controls);
        the treatment is added by the model and must not appear in it.
    data : DataFrame
        Long panel: one row per unit and period, with the ``id``, ``time`` and
        ``treatment`` columns. Not modified.
    w : libpysal Graph or W
        Weights keyed by the unit ids (row-standardised for the Lee-Yu two-way estimator).
    id, time, treatment : str
        Column names; ``treatment`` holds 0/1.
    model : {"SDM", "SAR", "SDEM", "rings"}
    rings : sequence of float or int, optional
        ``model="rings"`` only: distance breakpoints in km (needs ``coords``), or an int K
        for contiguity orders 1..K of ``w`` (see :mod:`spatialflow.causal.rings`).
    coords : (str, str) or DataFrame, optional
        Unit locations (lat, lon columns of ``data``, or a frame / GeoDataFrame by id):
        distance rings and Conley standard errors.
    absorbing : bool, default True
        Staggered adoption: a unit, once treated, stays treated (else
        :class:`~spatialflow.exceptions.TreatmentError`). False allows on/off treatments for
        the static spatial models (no event study).
    require_never_treated : bool, default True
        Raise when every unit is eventually treated.
    lagged : list of str, optional
        SDM/SDEM: the regressors whose spatial lags enter (default: the treatment and every
        control).
    metric : {"haversine", "euclidean"}
        How ``coords`` measure distance (km on the sphere, or planar units).
    """

    def __init__(self, formula: str, data: pd.DataFrame, w: WeightsLike | None, *, id: str,
                 time: str, treatment: str, model: DiDModel = "SDM",
                 rings: Sequence[float] | int | None = None,
                 coords: tuple[str, str] | pd.DataFrame | None = None,
                 absorbing: bool = True, require_never_treated: bool = True,
                 lagged: list[str] | None = None,
                 metric: DistanceMetric = "haversine") -> None:
        check_option(model, DiDModel, "model")
        check_option(metric, DistanceMetric, "metric")
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"data must be a pandas DataFrame (the long panel); "
                             f"{type(data).__name__} was given.")
        if rings is not None and model != "rings":
            raise ModelSpecificationError(f"rings= applies to model='rings'; model={model!r} "
                                          "was given.")
        if model == "rings" and rings is None:
            raise ModelSpecificationError("model='rings' needs rings=: distance breakpoints "
                                          "in km (with coords=) or an int K for contiguity "
                                          "orders 1..K of w.")
        if lagged is not None and model not in ("SDM", "SDEM"):
            raise ModelSpecificationError(f"lagged= applies to SDM and SDEM; model={model!r} "
                                          "was given.")
        check_treatment_values(data, treatment, id, time)
        self.formula, self.w, self.id, self.time = formula, w, id, time
        self.treatment, self.kind, self.rings = treatment, model, rings
        self.coords, self.metric, self.lagged = coords, metric, lagged
        self.absorbing, self.require_never_treated = bool(absorbing), bool(require_never_treated)
        # Only the columns the model uses are kept (shallow copy: the user's frame is never
        # written to).
        self.data = data.copy(deep=False)
        y, X = formula_matrices(formula, self.data)
        if treatment in X.columns or any(str(c).startswith(f"{treatment}[") for c in X.columns):
            raise ModelSpecificationError(
                f"the treatment {treatment!r} is added by SpatialDiD; remove it from the "
                f"formula {formula!r} (which holds the outcome and the controls).")
        if str(y.name) == treatment:
            raise ModelSpecificationError(f"the outcome and the treatment are the same column "
                                          f"{treatment!r}.")
        self._y, self._controls = y, X.drop(columns=["Intercept"], errors="ignore")
        _precheck_paths(self.data, treatment, id, time, self.absorbing,
                        self.require_never_treated)
        D = pd.to_numeric(self.data[treatment]).astype(float).rename(treatment)
        if model == "rings":
            from .rings import RingsDesign
            self.spatial_model = None
            self.rings_design = RingsDesign.build(self, D)
            self.paths = self.rings_design.paths
            return
        cls = _model_class(model)
        X = pd.concat([self._controls, D], axis=1)
        options = {"lagged": lagged} if model in ("SDM", "SDEM") else {}
        self.spatial_model = cls(y, X, w, data=self.data, id=id, time=time, effects="twoway",
                                 add_constant=False, formula=f"{formula} + {treatment}",
                                 **options)
        pdata = self.spatial_model.panel_options.data
        self.paths = treatment_paths(self.data, treatment, id, time, pdata.ids, pdata.times,
                                     absorbing=self.absorbing,
                                     require_never_treated=self.require_never_treated)

    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, w: WeightsLike | None = None, *,
                     id: str, time: str, treatment: str, model: DiDModel = "SDM",
                     rings: Sequence[float] | int | None = None,
                     **options: Any) -> SpatialDiD:
        """Build the model (the class documents the parameters in full).

        Parameters
        ----------
        formula : str
            Outcome and controls, e.g. ``"tfp ~ labour_flow"``; the treatment is added by
            the model.
        data : pandas.DataFrame
            Long panel: one row per unit and period. Not modified.
        w : libpysal.graph.Graph or libpysal.weights.W, optional
            Weights keyed by the unit ids (needed by the spatial models and contiguity
            rings).
        id, time, treatment : str
            Column names of ``data``; ``treatment`` holds 0/1.
        model : {"SDM", "SAR", "SDEM", "rings"}, default "SDM"
            The model.
        rings : sequence of float or int, optional
            ``model="rings"`` only: distance breakpoints in km, or an int K for contiguity
            orders 1..K of ``w``.
        **options : Any
            ``coords``, ``absorbing``, ``require_never_treated``, ``lagged``, ``metric``
            (see :class:`SpatialDiD`).

        Returns
        -------
        SpatialDiD
            The unfitted model.

        Examples
        --------
        >>> from libpysal.weights import lat2W
        >>> from spatialflow.causal import SpatialDiD, simulate_spatial_did
        >>> w = lat2W(6, 6); w.transform = "r"
        >>> sim = simulate_spatial_did(w, T=8, seed=1)     # SYNTHETIC programme
        >>> res = SpatialDiD.from_formula("y ~ x", sim.data, w, id="id", time="year",
        ...                               treatment="D").fit()
        >>> eff = res.effects(method="delta")
        >>> list(eff.index), list(eff.columns[:4])
        (['direct', 'indirect', 'total'], ['estimate', 'std_error', 'statistic', 'p_value'])
        """
        return cls(formula, data, w, id=id, time=time, treatment=treatment, model=model,
                   rings=rings, **options)

    def fit(self, *, cov_type: DiDCovType = "classic", clusters: str | pd.Series | None = None,
            lags: int | None = None, cutoff: float | None = None, lag_cutoff: int = 0,
            kernel: ConleyKernel = "bartlett", bias_correction: BiasCorrection = "lee-yu",
            estimator: RingEstimator = "twfe") -> SpatialDiDResults:
        """Estimate the model.

        Parameters
        ----------
        cov_type : {"classic", "cluster", "driscoll-kraay", "conley"}
            ``"classic"``: the inverse information (spatial models) or HC1 (rings);
            ``"cluster"``: clustered by unit (or ``clusters``, a unit-level column);
            ``"driscoll-kraay"`` (spatial models) with ``lags``; ``"conley"``: spatial HAC
            with ``cutoff`` (km for haversine coordinates), ``lag_cutoff`` and ``kernel``
            (:mod:`spatialflow.causal.conley`; needs ``coords=``).
        clusters : str or pandas.Series, optional
            ``cov_type="cluster"``, spatial models only: cluster labels, a unit-level column
            of ``data`` or a Series by unit id (default: the units).
        lags : int, optional
            ``cov_type="driscoll-kraay"``: the number of time lags of the Newey-West
            weights.
        cutoff : float, optional
            ``cov_type="conley"``: the distance cutoff of the spatial kernel (km for
            haversine coordinates).
        lag_cutoff : int, default 0
            ``cov_type="conley"``: the time lags of the serial correlation kept.
        kernel : {"bartlett", "uniform"}, default "bartlett"
            ``cov_type="conley"``: the spatial kernel.
        bias_correction : {"lee-yu", None}
            Spatial models: the Lee-Yu two-way estimator or the uncorrected within one.
        estimator : {"twfe", "gardner"}
            Rings: one-step two-way fixed effects (ours), or Gardner's two-stage DiD with
            the same rings by ``diff-diff``'s ``SpilloverDiD`` (heterogeneity-robust under
            staggered adoption).

        Returns
        -------
        SpatialDiDResults
            The treatment coefficient, its direct, indirect and total effects and the
            event-study, pre-trend and permutation tools.
        """
        check_option(cov_type, DiDCovType, "cov_type")
        check_option(kernel, ConleyKernel, "kernel")
        check_option(estimator, RingEstimator, "estimator")
        from .results import fit_did
        return fit_did(self, cov_type=cov_type, clusters=clusters, lags=lags, cutoff=cutoff,
                       lag_cutoff=lag_cutoff, kernel=kernel, bias_correction=bias_correction,
                       estimator=estimator)

    def __repr__(self) -> str:
        return f"SpatialDiD({self.kind}: {self.formula} + {self.treatment})"


def _precheck_paths(data, treatment, id, time, absorbing, require_never_treated) -> None:
    """Check the treatment paths before the panel is built (whose own checks would report a
    constant treatment as collinear); an unbalanced or duplicated panel is left to the
    panel's checks, which name the rows."""
    ids = pd.Index(pd.unique(data[id]))
    try:
        times = pd.Index(pd.unique(data[time])).sort_values()
    except TypeError:
        return
    if len(data) != len(ids) * len(times) or data.duplicated([id, time]).any():
        return
    treatment_paths(data, treatment, id, time, ids, times, absorbing=absorbing,
                    require_never_treated=require_never_treated)


def _model_class(kind: str):
    from ..models import SAR, SDEM, SDM
    return {"SDM": SDM, "SAR": SAR, "SDEM": SDEM}[kind]
