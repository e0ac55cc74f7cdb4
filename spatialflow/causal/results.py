r"""Results of a spatial difference-in-differences: treatment effects, event study, tests.

:class:`SpatialDiDResults` wraps the fitted panel model (a
:class:`spatialflow.models.SpatialResults` for the spatial models; a least-squares fit for
rings) and reads the policy quantities off it:

* :meth:`~SpatialDiDResults.effects` -- direct, indirect and total ATT with SEs and
  intervals;
* :meth:`~SpatialDiDResults.pretrend_test` and :meth:`~SpatialDiDResults.event_study` --
  leads and lags of adoption, with a joint Wald test that every lead (and its spatial lag) is
  zero;
* :meth:`~SpatialDiDResults.cohort_effects` -- effects by adoption cohort with a test of
  equality;
* :meth:`~SpatialDiDResults.permutation_test` -- randomisation inference: the treatment
  paths are permuted across units (within strata if given), the model is re-estimated for
  every permutation (:class:`spatialflow.causal.kernel.DiDKernel`;
  :class:`spatialflow.causal.rings.RingsKernel`), and the two-sided
  p-value is :math:`p = (1 + \#\{b: |\hat\tau_b| \ge |\hat\tau|\}) / (1 + B)`, exact under
  the sharp null of no direct and no spillover effect for any unit.

Every method returns a new object; the results never change.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._validation import check_level
from ..exceptions import InputError, ModelSpecificationError, format_ids
from ._bridge import TestResult, row_scores
from .conley import conley_meat, pairwise_distance, spatial_kernel, unit_coordinates
from .treatment import event_dummies

if TYPE_CHECKING:
    import matplotlib.axes
    from distributed import Client

    from ..models.results.base import SpatialResults
    from ..models.results.summary import Summary
    from .model import SpatialDiD
    from .permutation import PermutationTest
    from .rings import RingsFit

__all__ = ["SpatialDiDResults", "EventStudy", "CohortEffects", "fit_did", "with_conley"]

_ROWS = ["direct", "indirect", "total"]
_COV_TYPES = ("classic", "cluster", "driscoll-kraay", "conley")


# ----------------------------------------------------------------------------- fitting
def fit_did(did: SpatialDiD, *, cov_type: str = "classic",
            clusters: str | pd.Series | None = None, lags: int | None = None,
            cutoff: float | None = None, lag_cutoff: int = 0, kernel: str = "bartlett",
            bias_correction: str | None = "lee-yu",
            estimator: str = "twfe") -> SpatialDiDResults:
    """Fit a :class:`~spatialflow.causal.model.SpatialDiD` (its ``fit`` calls this).

    Parameters
    ----------
    did : SpatialDiD
        The model.
    cov_type : {"classic", "cluster", "driscoll-kraay", "conley"}, default "classic"
        The covariance type.
    clusters : str or pandas.Series, optional
        ``cov_type="cluster"``: cluster labels (default: the units).
    lags : int, optional
        ``cov_type="driscoll-kraay"``: time lags.
    cutoff : float, optional
        ``cov_type="conley"``: the distance cutoff.
    lag_cutoff : int, default 0
        ``cov_type="conley"``: the time lags of the serial correlation kept.
    kernel : {"bartlett", "uniform"}, default "bartlett"
        ``cov_type="conley"``: the spatial kernel.
    bias_correction : {"lee-yu", None}, default "lee-yu"
        Spatial models: the Lee-Yu two-way estimator or the uncorrected within one.
    estimator : {"twfe", "gardner"}, default "twfe"
        Rings: one-step two-way fixed effects or Gardner's two-stage DiD.

    Returns
    -------
    SpatialDiDResults
        The fitted model; the options are kept for its refits.
    """
    if cov_type not in _COV_TYPES:
        raise InputError(f"cov_type must be one of {list(_COV_TYPES)}; {cov_type!r} was given.")
    options = dict(cov_type=cov_type, clusters=clusters, lags=lags, cutoff=cutoff,
                   lag_cutoff=lag_cutoff, kernel=kernel, bias_correction=bias_correction,
                   estimator=estimator)
    if did.kind == "rings":
        from .rings import fit_rings
        return SpatialDiDResults(did, fit_rings(did.rings_design, **options), options)
    if estimator != "twfe":
        raise ModelSpecificationError(f"estimator={estimator!r} applies to model='rings'; the "
                                      f"{did.kind}-DID is a two-way fixed-effects ML fit.")
    return SpatialDiDResults(did, _fit_spatial(did, did.spatial_model, options), options)


def _fit_spatial(did, model, options: dict):
    cov_type = options["cov_type"]
    if cov_type != "conley":
        if options["cutoff"] is not None or options["lag_cutoff"] \
                or options["kernel"] != "bartlett":
            raise InputError("cutoff=, lag_cutoff= and kernel= apply to cov_type='conley'; "
                             f"cov_type={cov_type!r} was given.")
        return model.fit(cov_type=cov_type, clusters=options["clusters"], lags=options["lags"],
                         bias_correction=options["bias_correction"])
    if options["clusters"] is not None or options["lags"] is not None:
        raise InputError("clusters= and lags= do not apply to cov_type='conley' (use "
                         "cutoff=, lag_cutoff= and kernel=).")
    fit = model.fit(bias_correction=options["bias_correction"])
    return with_conley(fit, did, cutoff=options["cutoff"], lag_cutoff=options["lag_cutoff"],
                       kernel=options["kernel"])


def with_conley(fit: SpatialResults, did: SpatialDiD, *, cutoff: float | None,
                lag_cutoff: int = 0, kernel: str = "bartlett") -> SpatialResults:
    """A copy of an ML panel fit with the Conley covariance :math:`V S V`.

    ``V`` is the classical covariance and ``S`` the Conley meat of the per-row scores
    (:mod:`spatialflow.causal.conley`).

    Parameters
    ----------
    fit : SpatialResults
        An ML fit of the two-way panel model.
    did : SpatialDiD
        The model, for the unit locations (``coords``), the data and the distance metric.
    cutoff : float
        The distance beyond which scores are uncorrelated (km for haversine coordinates);
        None raises.
    lag_cutoff : int, default 0
        The Bartlett time lag of the serial correlation kept.
    kernel : {"bartlett", "uniform"}, default "bartlett"
        The spatial kernel.

    Returns
    -------
    SpatialResults
        ``fit`` with the Conley covariance and its label (the estimates unchanged).
    """
    if did.coords is None:
        raise ModelSpecificationError("cov_type='conley' needs unit locations: pass coords= "
                                      "(lat, lon columns of the data, or a frame by id) to "
                                      "SpatialDiD.")
    if cutoff is None:
        raise InputError("cov_type='conley' needs cutoff= (the distance beyond which scores "
                         "are uncorrelated; km for haversine coordinates).")
    pdata = fit.model.panel_options.data
    xy = unit_coordinates(did.coords, did.data, did.id, pdata.ids)
    K = spatial_kernel(pairwise_distance(xy, did.metric), cutoff, kernel)
    rs = row_scores(fit)
    meat = conley_meat(rs.scores, K, pdata.n, pdata.T, lag_cutoff)
    V = fit.cov_full.to_numpy(dtype=float)
    cov = V @ meat @ V
    cov = pd.DataFrame(0.5 * (cov + cov.T), index=fit.cov_full.index,
                       columns=fit.cov_full.columns)
    label = (f"Conley spatial HAC ({kernel}, cutoff {cutoff:g} {_unit(did.metric)}, "
             f"{lag_cutoff} time lags)")
    extra = dict(fit.extra, cov_type="conley", cov_label=label,
                 cov_options={"cutoff": float(cutoff), "lag_cutoff": int(lag_cutoff),
                              "kernel": kernel, "metric": did.metric})
    return dataclasses.replace(fit, cov_full=cov, extra=extra)


def _unit(metric: str) -> str:
    return "km" if metric == "haversine" else "coordinate units"


# ----------------------------------------------------------------------------- results
class SpatialDiDResults:
    """A fitted spatial difference-in-differences (module docstring).

    Built by :meth:`SpatialDiD.fit <spatialflow.causal.model.SpatialDiD.fit>`, not by users.

    Parameters
    ----------
    model : SpatialDiD
        The model that was fitted.
    fit : SpatialResults or RingsFit
        The fit of the panel model (spatial models) or of the ring regression (rings).
    options : dict
        The options of :meth:`SpatialDiD.fit <spatialflow.causal.model.SpatialDiD.fit>`
        (``cov_type``, ``clusters``, ``lags``, ``cutoff``, ...), reused by the refits of the
        event study, pre-trend test and cohort effects.

    Attributes
    ----------
    model : SpatialDiD
        The model that was fitted.
    fit : SpatialResults or RingsFit
        The underlying fit (``fit.summary()``, ``fit.params``, ``fit.cov``).
    cohorts : DataFrame
        Adoption cohorts: first period, units, treated rows.
    """

    def __init__(self, model: SpatialDiD, fit: SpatialResults | RingsFit,
                 options: dict) -> None:
        self.model = model
        self.fit = fit
        self._options = dict(options)

    # ------------------------------------------------------------------ basics
    @property
    def params(self) -> pd.Series:
        """The estimates of the underlying fit (spatial model or ring regression)."""
        return self.fit.params

    @property
    def bse(self) -> pd.Series:
        """The standard errors of the underlying fit, with its covariance type."""
        return self.fit.bse

    @property
    def tvalues(self) -> pd.Series:
        """The z (or t) statistics ``params / bse`` of the underlying fit."""
        return self.fit.tvalues

    @property
    def pvalues(self) -> pd.Series:
        """The two-sided p-values of the underlying fit."""
        return self.fit.pvalues

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals of :attr:`params` from the underlying fit.

        Parameters
        ----------
        level : float, default 0.95
            Coverage, in (0, 1).

        Returns
        -------
        DataFrame
            Columns ``lower`` and ``upper``, one row per parameter.
        """
        return self.fit.conf_int(check_level(level))

    @property
    def cov(self) -> pd.DataFrame:
        """The labelled covariance matrix of the underlying fit."""
        return self.fit.cov

    @property
    def cov_type(self) -> str:
        """The covariance type the model was fitted with (``"classic"``, ``"conley"``...)."""
        return self._options["cov_type"]

    @property
    def cohorts(self) -> pd.DataFrame:
        """Adoption cohorts: first treated period, number of units, treated rows."""
        return self.model.paths.cohorts()

    def summary(self) -> Summary | pd.DataFrame:
        """The summary of the underlying fit (renderers ``as_text``, ``as_html``...).

        Returns
        -------
        Summary or pandas.DataFrame
            Spatial models: the panel model's :class:`~spatialflow.models.Summary`; rings:
            the table of ring coefficients.
        """
        return self.fit.summary()

    def __repr__(self) -> str:
        return f"<SpatialDiDResults {self.model!r}, cov_type={self.cov_type!r}>"

    # ------------------------------------------------------------------ effects
    def effects(self, *, method: str = "simulation", n_draws: int = 1000, seed: int | None = 0,
                level: float = 0.95) -> pd.DataFrame:
        r"""Direct, indirect and total average treatment effects with inference.

        Spatial models: the LeSage-Pace effects of :math:`D` (:mod:`~spatialflow.causal.model`),
        by :meth:`spatialflow.models.SpatialResults.effects` (``method="simulation"`` with
        ``n_draws`` seeded draws, or ``"delta"``). Rings: ``direct`` is the ATT on the treated,
        ``indirect`` the exposure-weighted mean spillover on untreated units in the rings,
        ``total`` is not defined (NaN; see :mod:`spatialflow.causal.rings`).

        Parameters
        ----------
        method : {"simulation", "delta"}, default "simulation"
            Spatial models: the inference of the effects (ignored by rings).
        n_draws : int, default 1000
            Spatial models, ``method="simulation"``: the number of parameter draws.
        seed : int or None, default 0
            Spatial models, ``method="simulation"``: the seed of the draws.
        level : float, default 0.95
            Coverage of the intervals, in (0, 1).

        Returns
        -------
        DataFrame
            Indexed ``["direct", "indirect", "total"]`` with ``estimate``, ``std_error``,
            ``statistic``, ``p_value``, ``lower``, ``upper``.
        """
        level = check_level(level)
        if self.model.kind == "rings":
            return self.fit.effects(level=level)
        tab = self.fit.effects(n_draws=n_draws, seed=seed, method=method, level=level)
        return _effects_rows(tab, self.model.treatment)

    # ------------------------------------------------------------------ event study
    def event_study(self, leads: int = 3, lags: int = 3, *, method: str = "simulation",
                    n_draws: int = 1000, seed: int | None = 0,
                    level: float = 0.95) -> "EventStudy":
        r"""Leads and lags of adoption in place of :math:`D` (same model, same covariance).

        The indicators :math:`D^{(k)}` (:mod:`spatialflow.causal.treatment`; reference
        :math:`k = -1`, endpoints binned) replace :math:`D`; in SDM/SDEM their spatial lags
        enter too. Each :math:`k` has direct, indirect and total effects; the joint pre-trend
        test is the Wald test that every lead coefficient (and its spatial lag) is zero.
        Spatial models only.

        Parameters
        ----------
        leads : int, default 3
            Leads :math:`k = -L, \dots, -2` (the earliest binned).
        lags : int, default 3
            Lags :math:`k = 0, \dots, K` (the latest binned).
        method : {"simulation", "delta"}, default "simulation"
            The inference of the effects.
        n_draws : int, default 1000
            ``method="simulation"``: the number of parameter draws.
        seed : int or None, default 0
            ``method="simulation"``: the seed of the draws.
        level : float, default 0.95
            Coverage of the intervals, in (0, 1).

        Returns
        -------
        EventStudy
            The effects by event time, the joint pre-trend test and the refitted model.
        """
        self._spatial_only("event_study")
        level = check_level(level)
        ev = event_dummies(self.model.paths, self.model.treatment, leads, lags)
        fit = self._refit_with(ev)
        tab = fit.effects(n_draws=n_draws, seed=seed, method=method, level=level)
        rows = []
        for name in ev.columns:
            k = _event_k(name, self.model.treatment)
            block = _effects_rows(tab, name)
            for eff, r in block.iterrows():
                rows.append({"event_time": k, "effect": eff, **r.to_dict()})
        table = pd.DataFrame(rows)
        leads_cols = [c for c in ev.columns if _event_k(c, self.model.treatment) < 0]
        pre = _wald_leads(fit, leads_cols)
        return EventStudy(table=table, pretrend=pre, fit=fit, leads=leads, lags=lags,
                          level=level)

    def pretrend_test(self, leads: int = 3) -> TestResult:
        r"""Joint Wald test of no anticipation / parallel pre-trends.

        Adds the lead indicators :math:`D^{(-L)},\dots,D^{(-2)}` (the earliest one binned,
        :math:`k = -1` the reference) to the model with the static :math:`D` (and, in
        SDM/SDEM, their spatial lags) and tests that all their coefficients are zero
        (:math:`\chi^2` with as many degrees of freedom as coefficients), with the fit's
        covariance type. Spatial models only.

        Parameters
        ----------
        leads : int, default 3
            The number of leads :math:`L`.

        Returns
        -------
        TestResult
            The :math:`\chi^2` statistic, its degrees of freedom and p-value.
        """
        self._spatial_only("pretrend_test")
        ev = event_dummies(self.model.paths, self.model.treatment, leads, 0)
        leads_cols = [c for c in ev.columns if _event_k(c, self.model.treatment) < 0]
        # the binned k >= 0 indicator is D itself
        ev = ev[leads_cols].assign(**{self.model.treatment: self.model.paths.stacked()})
        fit = self._refit_with(ev)
        return _wald_leads(fit, leads_cols)

    def cohort_effects(self, *, method: str = "simulation", n_draws: int = 1000,
                       seed: int | None = 0, level: float = 0.95) -> "CohortEffects":
        r"""Effects by adoption cohort, and a test that they are equal.

        :math:`D` is split into :math:`D^{[g]}_{it} = D_{it}\,\mathbb 1\{g_i = g\}`, one
        indicator per cohort (with its spatial lag in SDM/SDEM); the cohort x period structure
        then lets every cohort have its own direct, indirect and total effect (the effect of
        treating that cohort's units). ``homogeneity`` is the Wald test that the cohorts'
        coefficients (and their spatial lags) are equal -- the assumption under which the
        static :meth:`effects` is the ATT. Spatial models only.

        Parameters
        ----------
        method : {"simulation", "delta"}, default "simulation"
            The inference of the effects.
        n_draws : int, default 1000
            ``method="simulation"``: the number of parameter draws.
        seed : int or None, default 0
            ``method="simulation"``: the seed of the draws.
        level : float, default 0.95
            Coverage of the intervals, in (0, 1).

        Returns
        -------
        CohortEffects
            The effects of each cohort, the homogeneity test and the refitted model.
        """
        self._spatial_only("cohort_effects")
        level = check_level(level)
        paths, treatment = self.model.paths, self.model.treatment
        firsts = [p for p in np.unique(paths.first) if p < paths.T]
        if len(firsts) < 2:
            raise ModelSpecificationError("cohort effects need at least two adoption cohorts; "
                                          f"the panel has one ({paths.times[firsts[0]]!r}).")
        cols = {}
        for p in firsts:
            name = f"{treatment}_c{paths.times[p]}"
            cols[name] = (paths.D * (paths.first == p)[None, :]).reshape(-1)
        fit = self._refit_with(pd.DataFrame(cols))
        tab = fit.effects(n_draws=n_draws, seed=seed, method=method, level=level)
        rows = []
        for p, name in zip(firsts, cols):
            for eff, r in _effects_rows(tab, name).iterrows():
                rows.append({"cohort": paths.times[p], "effect": eff, **r.to_dict()})
        names = list(fit.params.index)
        R = []
        first, others = list(cols)[0], list(cols)[1:]
        for prefix in ("", "W_"):
            if f"{prefix}{first}" not in names:
                continue
            for other in others:
                row = np.zeros(len(names))
                row[names.index(f"{prefix}{first}")] = 1.0
                row[names.index(f"{prefix}{other}")] = -1.0
                R.append(row)
        test = fit.wald_test(np.array(R), np.zeros(len(R)))
        homogeneity = TestResult(f"equal cohort effects: {len(R)} restriction(s)",
                                 test.statistic, test.df, test.pvalue, test.distribution)
        return CohortEffects(table=pd.DataFrame(rows), homogeneity=homogeneity, fit=fit)

    def _spatial_only(self, what: str):
        if self.model.kind == "rings":
            raise ModelSpecificationError(
                f"{what} is implemented for the SDM/SAR/SDEM-DID; for rings use diff-diff's "
                "SpilloverDiD(event_study=True) (estimator='gardner' wraps it for the static "
                "effects).")

    def _refit_with(self, stacked: pd.DataFrame):
        """The same spatial model with the treatment replaced by ``stacked`` columns."""
        did = self.model
        base = did.spatial_model
        pdata = base.panel_options.data
        clash = [c for c in stacked.columns if c in did._controls.columns]
        if clash:
            raise InputError(f"the treatment's indicator columns {clash} clash with controls "
                             "of the same name; rename the treatment column.")
        cols = {c: pdata.to_user_rows(stacked[c].to_numpy(), c) for c in stacked.columns}
        X = pd.concat([did._controls.loc[pdata.row_labels], pd.DataFrame(cols)], axis=1)
        y = did._y.loc[pdata.row_labels]
        from .model import _model_class
        options = {}
        if did.kind in ("SDM", "SDEM") and did.lagged is not None:
            # the treatment's lag, if asked for, becomes the lags of its replacements
            lagged = [c for c in did.lagged if c != did.treatment]
            if did.treatment in did.lagged:
                lagged += list(stacked.columns)
            options["lagged"] = lagged
        model = _model_class(did.kind)(y, X, did.w, data=did.data.loc[pdata.row_labels],
                                       id=did.id, time=did.time, effects="twoway",
                                       add_constant=False, **options)
        return _fit_spatial(did, model, self._options)

    # ------------------------------------------------------------------ permutation
    def permutation_test(self, n: int = 999, seed: int = 0,
                         scheduler: Client | str | None = None, *,
                         strata: str | pd.Series | None = None,
                         executor: str = "processes", max_workers: int | None = None,
                         progress: bool = False) -> PermutationTest:
        r"""Randomisation inference: permute the units' treatment paths ``n`` times.

        Unit :math:`i` receives the whole treatment path (cohort) of unit :math:`\pi(i)`,
        :math:`\pi` a uniform permutation (within the groups of ``strata`` if given); the
        model is re-estimated and the direct, indirect and total effects recorded (rings:
        the one-step regression with the exposures rebuilt from the permuted paths; no total,
        so its p-value is NaN). Draw
        :math:`b` uses its own generator ``SeedSequence(seed).spawn(n)[b]``
        (:func:`spatialflow.grid.run_grid`), so results do not depend on the executor or the
        number of workers.

        Parameters
        ----------
        n : int
            Number of permutations.
        seed : int
            Root seed.
        scheduler : dask Client or address, optional
            Run on a Dask cluster (else local ``executor`` with ``max_workers``).
        strata : str or Series, optional
            A unit-level column of the data (e.g. ``"region"``) or labels by unit id:
            treatment is permuted within each stratum only.
        executor : {"processes", "threads", "serial"}, default "processes"
            How the permutations run locally (see :func:`spatialflow.grid.run_grid`).
        max_workers : int, optional
            Local workers (default: the CPU count).
        progress : bool, default False
            Show a progress bar.

        Returns
        -------
        PermutationTest
            The observed effects, the permuted draws and the p-values.
        """
        from .permutation import run_permutations
        kernel = self._kernel()
        paths = self.model.paths
        groups = self._strata_codes(strata, paths.ids)
        return run_permutations(kernel, paths, groups, n=n, seed=seed, scheduler=scheduler,
                                executor=executor, max_workers=max_workers, progress=progress,
                                strata=None if strata is None else str(
                                    getattr(strata, "name", strata)))

    def _kernel(self):
        """The re-estimator of the point effects for any treatment paths."""
        if self.model.kind == "rings":
            from .rings import RingsKernel
            if self._options["estimator"] != "twfe":
                raise ModelSpecificationError(
                    "permutation_test re-estimates the one-step ring regression; fit with "
                    "estimator='twfe' (Gardner's two-stage fit is not re-run per draw).")
            return RingsKernel(self.model.rings_design)
        from .kernel import DiDKernel
        return DiDKernel.from_results(self.fit, self.model.treatment,
                                      self.fit.model.panel_options.data.W)

    def _strata_codes(self, strata, ids: pd.Index) -> np.ndarray:
        if strata is None:
            return np.zeros(len(ids), dtype=int)
        if isinstance(strata, str):
            labels = _unit_attribute(self.model, strata)
        elif isinstance(strata, pd.Series):
            missing = ids.difference(strata.index)
            if len(missing):
                raise InputError(f"strata has no label for units {format_ids(missing)}.")
            labels = strata.reindex(ids)
        else:
            raise InputError("strata must be a unit-level column name or a Series by unit id; "
                             f"{type(strata).__name__} was given.")
        if labels.isna().any():
            raise InputError(f"strata labels are missing for units "
                             f"{format_ids(ids[labels.isna().to_numpy()])}.")
        return pd.factorize(labels.reindex(ids))[0]


@dataclass(frozen=True)
class CohortEffects:  # numpydoc ignore=PR01
    """Effects of each adoption cohort's treatment.

    Attributes
    ----------
    table : DataFrame
        Long: ``cohort``, ``effect``, ``estimate``, ``std_error``, ``statistic``, ``p_value``,
        ``lower``, ``upper``.
    homogeneity : TestResult
        Wald test that the cohorts' coefficients (and spatial lags) are equal.
    fit : SpatialResults
        The model with one treatment indicator per cohort.
    """

    table: pd.DataFrame
    homogeneity: TestResult
    fit: object


@dataclass(frozen=True)
class EventStudy:  # numpydoc ignore=PR01
    """Event-study effects by event time with the joint pre-trend test.

    Attributes
    ----------
    table : DataFrame
        Long: ``event_time``, ``effect`` (direct / indirect / total), ``estimate``,
        ``std_error``, ``statistic``, ``p_value``, ``lower``, ``upper`` (the reference period
        -1 is absent).
    pretrend : TestResult
        Wald test that all lead coefficients (and their spatial lags) are zero.
    fit : SpatialResults
        The event-study model.
    leads : int
        The number of leads asked for.
    lags : int
        The number of lags asked for.
    level : float
        Coverage of the intervals in ``table``.
    """

    table: pd.DataFrame
    pretrend: TestResult
    fit: object
    leads: int
    lags: int
    level: float

    def plot(self, ax: matplotlib.axes.Axes | None = None, *,
             effects: Sequence[str] = ("direct", "indirect")) -> matplotlib.axes.Axes:
        """Coefficient plot by event time (:func:`spatialflow.plot.event_study_plot`).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw (a new figure when None).
        effects : sequence of {"direct", "indirect", "total"}, default ("direct", "indirect")
            Which effects to draw.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        from ..plot.event_study import event_study_plot
        return event_study_plot(self, ax=ax, effects=effects)


# ----------------------------------------------------------------------------- helpers
def _effects_rows(tab: pd.DataFrame, name: str) -> pd.DataFrame:
    if name not in tab.index:
        raise ModelSpecificationError(f"the fit has no effects of {name!r}; regressors: "
                                      f"{list(tab.index)}.")
    row = tab.loc[name]
    out = pd.DataFrame({
        "estimate": [row[e] for e in _ROWS],
        "std_error": [row[f"{e}_std_error"] for e in _ROWS],
        "statistic": [row[f"{e}_statistic"] for e in _ROWS],
        "p_value": [row[f"{e}_p_value"] for e in _ROWS],
        "lower": [row[f"{e}_lower"] for e in _ROWS],
        "upper": [row[f"{e}_upper"] for e in _ROWS],
    }, index=pd.Index(_ROWS, name="effect")).astype(float)
    return out


def _unit_attribute(did, column: str) -> pd.Series:
    """A column of the long data that is constant within units, by unit id."""
    data = did.data
    if column not in data.columns:
        raise InputError(f"{column!r} is not a column of the data; columns: "
                         f"{list(data.columns)}.")
    groups = data.groupby(did.id, sort=False)[column]
    varying = groups.nunique(dropna=False)
    varying = varying[varying > 1]
    if len(varying):
        raise InputError(f"strata column {column!r} must be constant within units; it changes "
                         f"over time for {format_ids(varying.index)}.")
    return groups.first().rename(column)


def _event_k(name: str, treatment: str) -> int:
    if name == treatment:
        return 0
    tail = name[len(treatment) + 1:]
    return -int(tail[1:]) if tail[0] == "m" else int(tail[1:])


def _wald_leads(fit, leads_cols: list) -> TestResult:
    names = [c for c in fit.params.index
             if c in leads_cols or any(c == f"W_{l}" for l in leads_cols)]
    test = fit.wald_test(names)
    return TestResult(f"pre-trends: {len(names)} lead coefficient(s) = 0", test.statistic,
                      test.df, test.pvalue, test.distribution)

