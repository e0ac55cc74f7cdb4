r"""Simulated programmes with known direct and spillover effects (SYNTHETIC data).

A staggered programme on a fixed W: a share of the units is treated, each in one adoption
cohort, and the outcome follows a two-way fixed-effects spatial Durbin (or Durbin error)
process

.. math::
    y_t = (I-\rho W)^{-1}\big(\beta D_t + \theta W D_t + \gamma x_t + \mu + \alpha_t\iota
          + \varepsilon_t\big)\quad\text{(SDM)},\qquad
    y_t = \beta D_t + \theta W D_t + \gamma x_t + \mu + \alpha_t\iota
          + (I-\lambda W)^{-1}\varepsilon_t\quad\text{(SDEM)},

drawn by :class:`spatialflow.simulate.Simulator`. :math:`\beta` and :math:`\theta` are
solved from the *targets* ``direct`` and ``indirect`` (W row-standardised, eigenvalues
:math:`\lambda_j`):

.. math::
    \text{direct} = \beta\,\overline{(1-\rho\lambda_j)^{-1}} +
                    \theta\,\overline{\lambda_j(1-\rho\lambda_j)^{-1}},\qquad
    \text{direct} + \text{indirect} = \frac{\beta + \theta}{1-\rho}

(SDEM: :math:`\beta` = direct, :math:`\theta` = indirect). The returned truth is recomputed
from the process (:meth:`Simulator.true_effects`), not copied from the targets.

Every frame is labelled synthetic in ``attrs``; none describes a real programme.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import pandas as pd

from .._validation import check_count, check_seed
from ..exceptions import InputError, ModelSpecificationError

if TYPE_CHECKING:
    from distributed import Client

    from .._typing import WeightsLike

__all__ = ["SpatialDiDSimulator", "DiDSimulation", "simulate_spatial_did", "monte_carlo_did"]


@dataclass(frozen=True)
class DiDSimulation:  # numpydoc ignore=PR01
    """One draw: the long panel, the true effects and the design.

    Attributes
    ----------
    data : DataFrame
        Columns ``id``, ``year``, ``y``, ``D`` (0/1), ``x`` (a control), ``cohort`` (first
        treated year, NaN for never treated). ``attrs["synthetic"] = True``.
    truth : Series
        True ``direct``, ``indirect``, ``total`` effects of D, and ``beta``, ``theta``,
        ``rho`` (or ``lambda``), ``gamma``.
    cohorts : Series
        The adoption year of each unit by unit id (NaN for never treated).
    """

    data: pd.DataFrame
    truth: pd.Series
    cohorts: pd.Series = field(repr=False)


class SpatialDiDSimulator:
    """A fixed staggered design on W; :meth:`draw` varies only the errors.

    Parameters
    ----------
    w : libpysal Graph or W
        Row-standardised weights (e.g. the Guangdong county W).
    T : int
        Periods (years ``start .. start + T - 1``).
    start : int
        The first year.
    model : {"SDM", "SDEM"}
        The process (module docstring).
    direct, indirect : float
        Target direct and indirect effects of the treatment.
    rho : float
        Spatial parameter (rho for SDM, lambda for SDEM).
    cohorts : sequence of int, optional
        Adoption years (default: three cohorts in the second half of the panel).
    share_treated : float
        Share of units ever treated (the rest never treated).
    treated : Series, optional
        Explicit cohort (adoption year, NaN = never) by unit id, instead of a random draw.
    gamma : float
        Coefficient of the control ``x`` (standard normal, correlated with the unit effect).
    sigma2 : float
        Error variance.
    seed : int
        Seeds the assignment, the control and the fixed effects.
    """

    def __init__(self, w: WeightsLike, *, T: int = 12, start: int = 2013, model: str = "SDM",
                 direct: float = 1.0, indirect: float = 0.4, rho: float = 0.3,
                 cohorts: Sequence[int] | None = None, share_treated: float = 0.4,
                 treated: pd.Series | None = None, gamma: float = 0.5, sigma2: float = 1.0,
                 seed: int = 0) -> None:
        from ..simulate import Simulator
        from ..weights import as_sparse, weights_ids
        if model not in ("SDM", "SDEM"):
            raise ModelSpecificationError(f"model must be 'SDM' or 'SDEM'; {model!r} was given "
                                          "(a SAR process cannot set direct and indirect "
                                          "effects separately).")
        T = check_count(T, "T")
        if T < 4:
            raise InputError(f"a staggered design needs T >= 4 periods; T={T} was given.")
        if not 0 < share_treated < 1:
            raise InputError(f"share_treated must lie in (0, 1); {share_treated!r} was given.")
        seed = check_seed(seed, "seed")
        rng = np.random.default_rng(seed)
        ids = pd.Index(weights_ids(w), name="id")
        W = as_sparse(w, ids)
        n = len(ids)
        rows = np.asarray(W.sum(axis=1)).ravel()
        if not np.allclose(rows, 1.0, rtol=0, atol=1e-12):
            raise InputError("the simulator needs a row-standardised W without islands (every "
                             "row sums to 1), so that total = (beta + theta)/(1 - rho).")
        years = np.arange(start, start + T)
        cohort = self._cohorts(ids, years, cohorts, share_treated, treated, rng)
        first = cohort.to_numpy(dtype=float)
        D = (years[:, None] >= np.where(np.isnan(first), np.inf, first)[None, :]).astype(float)
        # the control is correlated with the unit effects (as real covariates are)
        mu = rng.normal(0.0, 1.0, n)
        x = rng.normal(0.0, 1.0, (T, n)) + 0.5 * mu[None, :]
        beta, theta = _coefficients(W, model, direct, indirect, rho)
        spatial = {"rho": rho} if model == "SDM" else {"lam": rho}
        self.simulator = Simulator(
            model, W, ids=ids, beta={"D": beta, "x": gamma}, theta={"D": theta, "x": 0.0},
            X=np.stack([D, x], axis=2), T=T, periods=list(years), effects="twoway",
            unit_effects=mu, sigma2=sigma2, seed=rng, id_name="id", time_name="year",
            **spatial)
        true = self.simulator.true_effects().loc["D"]
        self.truth = pd.Series({"direct": true["direct"], "indirect": true["indirect"],
                                "total": true["total"], "beta": beta, "theta": theta,
                                ("rho" if model == "SDM" else "lambda"): rho, "gamma": gamma})
        self.cohorts, self.model, self.ids, self.years = cohort, model, ids, years

    @staticmethod
    def _cohorts(ids, years, cohorts, share, treated, rng) -> pd.Series:
        if treated is not None:
            if not isinstance(treated, pd.Series):
                raise InputError("treated must be a Series of adoption years by unit id.")
            missing = ids.difference(treated.index)
            if len(missing):
                raise InputError(f"treated has no entry for units {list(missing[:10])}.")
            out = treated.reindex(ids).astype(float)
            bad = out.dropna()[~out.dropna().isin(years[1:])]
            if len(bad):
                raise InputError(f"adoption years must be periods after the first "
                                 f"({list(years[1:])}); units {list(bad.index[:10])} have "
                                 f"{sorted(set(bad))}.")
            return out.rename("cohort")
        T = len(years)
        cohorts = list(years[T // 2::2][:3]) if cohorts is None else list(cohorts)
        if not cohorts or not set(cohorts) <= set(years[1:]):
            raise InputError(f"cohorts must be adoption years within {list(years[1:])}; "
                             f"{cohorts} was given.")
        n = len(ids)
        k = max(1, int(round(share * n)))
        chosen = rng.choice(n, size=k, replace=False)
        out = np.full(n, np.nan)
        out[chosen] = rng.choice(np.asarray(cohorts, dtype=float), size=k)
        return pd.Series(out, index=ids, name="cohort")

    def draw(self, seed: int | np.random.Generator | None = None) -> DiDSimulation:
        """One draw (new errors; assignment, control and fixed effects fixed).

        Parameters
        ----------
        seed : int or numpy.random.Generator, optional
            Seed of this draw's errors; None continues the simulator's own generator.

        Returns
        -------
        DiDSimulation
            The long panel, the true effects and the cohorts.
        """
        sim = self.simulator.draw(seed=seed)
        data = sim.data.copy()
        data["D"] = data["D"].astype(int)
        data["cohort"] = data["id"].map(self.cohorts).to_numpy()
        data.attrs.update(sim.data.attrs)
        data.attrs["description"] = ("SIMULATED staggered programme with known direct and "
                                     "spillover effects (spatialflow.causal.simulate); not "
                                     "observations of any real place or policy.")
        data.attrs["truth_effects"] = self.truth.to_dict()
        return DiDSimulation(data=data, truth=self.truth.copy(), cohorts=self.cohorts.copy())

    def draws(self, n_draws: int, *,
              seed: int | np.random.SeedSequence = 0) -> Iterator[DiDSimulation]:
        """``n_draws`` reproducible draws (child seeds of ``seed``).

        Parameters
        ----------
        n_draws : int
            The number of draws.
        seed : int or numpy.random.SeedSequence, default 0
            Root seed: draw ``b`` uses ``SeedSequence(seed).spawn(n_draws)[b]``.

        Returns
        -------
        Iterator of DiDSimulation
            The draws, generated lazily.
        """
        n_draws = check_count(n_draws, "n_draws")
        return (self.draw(seed=np.random.default_rng(child))
                for child in np.random.SeedSequence(check_seed(seed, "seed")).spawn(n_draws))


def simulate_spatial_did(w: WeightsLike, *, seed: int = 0,
                         draw_seed: int | np.random.Generator | None = None,
                         **options: Any) -> DiDSimulation:
    """One draw of :class:`SpatialDiDSimulator` (``seed`` fixes the design, ``draw_seed``
    the errors; default ``seed``).

    Parameters
    ----------
    w : libpysal.graph.Graph or libpysal.weights.W
        Row-standardised weights.
    seed : int, default 0
        Seeds the assignment, the control and the fixed effects.
    draw_seed : int or numpy.random.Generator, optional
        Seed of the errors (default: ``seed``).
    **options : Any
        The other parameters of :class:`SpatialDiDSimulator` (``T``, ``start``, ``model``,
        ``direct``, ``indirect``, ``rho``, ``cohorts``, ``share_treated``, ``treated``,
        ``gamma``, ``sigma2``).

    Returns
    -------
    DiDSimulation
        The long panel, the true effects and the cohorts.
    """
    sim = SpatialDiDSimulator(w, seed=seed, **options)
    return sim.draw(seed=seed if draw_seed is None else draw_seed)


def _coefficients(W, model: str, direct: float, indirect: float, rho: float):
    """(beta, theta) that give the target effects (module docstring)."""
    if model == "SDEM":
        return float(direct), float(indirect)
    lam = np.linalg.eigvals(W.toarray())
    real = lam.real[np.abs(lam.imag) < 1e-10]
    if not 1.0 / real.min() < rho < 1.0 / real.max():
        raise InputError(f"rho={rho} is outside the admissible interval "
                         f"({1 / real.min():.4g}, {1 / real.max():.4g}) of W.")
    inv = 1.0 / (1.0 - rho * lam)
    a, b = float(inv.mean().real), float((lam * inv).mean().real)
    total = direct + indirect
    s = total * (1.0 - rho)             # beta + theta
    beta = (direct - s * b) / (a - b)
    return float(beta), float(s - beta)


# ----------------------------------------------------------------------------- Monte Carlo
def monte_carlo_did(simulator: SpatialDiDSimulator, w: WeightsLike, reps: int, *,
                    seed: int | np.random.SeedSequence = 0, model: str = "SDM",
                    level: float = 0.95, executor: str = "serial",
                    max_workers: int | None = None, scheduler: Client | str | None = None,
                    progress: bool = False) -> pd.DataFrame:
    r"""Replications of the spatial DiD and of a plain two-way FE DiD on one design.

    Replication ``r`` draws new errors (seed ``SeedSequence(seed).spawn(reps)[r]``, through
    :func:`spatialflow.grid.run_grid`), fits :class:`~spatialflow.causal.SpatialDiD`
    (``model``) and records, for each effect, the estimate, its delta-method SE and whether
    the ``level`` interval covers the truth; ``twfe`` is the coefficient of :math:`D` in
    the plain two-way fixed-effects regression :math:`y_{it} = \beta D_{it} + \gamma x_{it}
    + \mu_i + \lambda_t + \varepsilon_{it}` (no spillover term), which estimates
    neither the direct effect nor the spillover when spillovers exist.

    Parameters
    ----------
    simulator : SpatialDiDSimulator
        The fixed design; each replication draws new errors.
    w : libpysal.graph.Graph or libpysal.weights.W
        The weights the spatial DiD is fitted with.
    reps : int
        Number of replications.
    seed : int or numpy.random.SeedSequence, default 0
        Root seed of the replications.
    model : {"SDM", "SAR", "SDEM"}, default "SDM"
        The spatial DiD fitted to each draw.
    level : float, default 0.95
        Coverage of the intervals whose coverage of the truth is recorded.
    executor : {"processes", "threads", "serial"}, default "serial"
        Local executor when ``scheduler`` is None.
    max_workers : int, optional
        Local workers (default: the CPU count).
    scheduler : distributed.Client or str, optional
        Run on this Dask cluster instead.
    progress : bool, default False
        Show a progress bar.

    Returns
    -------
    DataFrame
        One row per replication; ``attrs["truth"]`` holds the true effects.
    """
    from ..grid import run_grid
    reps = check_count(reps, "reps")
    rows = run_grid(_Replication(simulator, w, model, level), list(range(reps)), seed=seed,
                    executor=executor, max_workers=max_workers, scheduler=scheduler,
                    progress=progress, desc="spatial DiD Monte Carlo")
    out = pd.DataFrame(rows)
    out.index.name = "rep"
    out.attrs["truth"] = simulator.truth.to_dict()
    out.attrs["synthetic"] = True
    return out


class _Replication:
    """One Monte Carlo replication (picklable)."""

    def __init__(self, simulator, w, model, level):
        self.simulator, self.w, self.model, self.level = simulator, w, model, level

    def __call__(self, task, rng) -> dict:
        import warnings

        from .model import SpatialDiD
        data = self.simulator.draw(seed=rng).data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a boundary warning counts as a replication too
            res = SpatialDiD.from_formula("y ~ x", data, self.w, id="id", time="year",
                                          treatment="D", model=self.model).fit()
            eff = res.effects(method="delta", level=self.level)
        truth = self.simulator.truth
        row = {}
        for e in ("direct", "indirect", "total"):
            row[e] = eff.loc[e, "estimate"]
            row[f"{e}_std_error"] = eff.loc[e, "std_error"]
            row[f"{e}_covered"] = bool(eff.loc[e, "lower"] <= truth[e] <= eff.loc[e, "upper"])
        row["twfe"] = _twfe_did(data)
        return row


def _twfe_did(data: pd.DataFrame) -> float:
    """The coefficient of D in a two-way within regression of y on D and x (balanced)."""
    wide = {c: data.pivot(index="year", columns="id", values=c).to_numpy(float)
            for c in ("y", "D", "x")}

    def two_way(a):
        return a - a.mean(axis=0) - a.mean(axis=1, keepdims=True) + a.mean()

    Z = np.column_stack([two_way(wide["D"]).ravel(), two_way(wide["x"]).ravel()])
    coef, *_ = np.linalg.lstsq(Z, two_way(wide["y"]).ravel(), rcond=None)
    return float(coef[0])
