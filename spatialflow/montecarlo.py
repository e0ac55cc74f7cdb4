r"""Monte Carlo studies of spatial estimators against a known truth, in one call.

:meth:`spatialflow.simulate.Simulator.monte_carlo` draws ``reps`` data sets from one
data-generating process (fixed regressors, new errors each time), fits every estimator to every
draw and sets each estimate -- coefficients, :math:`\rho`, :math:`\lambda` and the LeSage--Pace
effects ``direct:x``, ``indirect:x``, ``total:x`` -- beside the value it estimates.

The truth of a parameter
    Every model here is nested in the GNS model, so the truth of a parameter the process does not
    have is 0: an SDM fitted to SAR data estimates :math:`\theta = 0`, a SAR fitted to SEM data
    estimates :math:`\rho = 0`. The truth of the effects is :meth:`Simulator.true_effects`
    (the process's own effects), whatever model is fitted: a wrongly specified model is judged
    by how far its effects land from the real ones.

The summary (one row per estimator and parameter, over the :math:`R` replications with
estimates :math:`\hat\theta_r`, standard errors :math:`s_r` and intervals
:math:`[l_r, u_r]`, truth :math:`\theta`):

.. math::
    \text{mean} = \bar\theta = \tfrac1R\textstyle\sum_r \hat\theta_r,\quad
    \text{bias} = \bar\theta - \theta,\quad
    \text{sd} = \sqrt{\tfrac{1}{R-1}\textstyle\sum_r (\hat\theta_r-\bar\theta)^2},\quad
    \text{rmse} = \sqrt{\tfrac1R\textstyle\sum_r (\hat\theta_r-\theta)^2}

.. math::
    \text{mean\_std\_error} = \tfrac1R\textstyle\sum_r s_r,\quad
    \text{std\_error\_sd\_ratio} = \text{mean\_std\_error}/\text{sd},\quad
    \text{coverage} = \tfrac1R\textstyle\sum_r \mathbf 1[l_r \le \theta \le u_r]

with Monte Carlo standard errors ``bias_mcse`` :math:`= \text{sd}/\sqrt R` and
``coverage_mcse`` :math:`= \sqrt{c(1-c)/R}` (the binomial SE of a coverage rate :math:`c`), so
that a reader can tell a real bias from simulation noise.

**Reproducible.** Replication :math:`r` draws its errors from the generator that
:func:`spatialflow.grid.run_grid` gives task :math:`r` (``SeedSequence(seed).spawn(reps)[r]``):
the same ``seed`` gives the same table on the serial, thread, process and Dask executors.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ._random import rng_alias
from .exceptions import InputError, ModelSpecificationError

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

    from .simulate import Estimators, Simulator

__all__ = ["MonteCarloResult", "summarise_draws", "run_monte_carlo", "DRAW_COLUMNS",
           "TABLE_COLUMNS"]

#: Columns of :attr:`MonteCarloResult.draws`, in order.
DRAW_COLUMNS = ["rep", "estimator", "parameter", "truth", "estimate", "std_error", "lower",
                "upper"]
#: Columns of :attr:`MonteCarloResult.table`, in order.
TABLE_COLUMNS = ["estimator", "parameter", "truth", "reps", "mean", "bias", "sd", "rmse",
                 "mean_std_error", "std_error_sd_ratio", "coverage", "bias_mcse", "coverage_mcse"]

_MODEL_NAMES = ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS")


# A result, built by run_monte_carlo, never by users: the fields are documented under
# Attributes (tests/test_docstrings.py checks that every field is), not as parameters.
@dataclass(frozen=True)
class MonteCarloResult:  # numpydoc ignore=PR01
    """The outcome of :meth:`Simulator.monte_carlo`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per estimator and parameter: ``estimator``, ``parameter``, ``truth``,
        ``reps``, ``mean``, ``bias``, ``sd``, ``rmse``, ``mean_std_error``, ``std_error_sd_ratio``,
        ``coverage``, ``bias_mcse``, ``coverage_mcse`` (module docstring for the formulas).
    draws : pandas.DataFrame
        One row per replication, estimator and parameter: ``rep``, ``estimator``,
        ``parameter``, ``truth``, ``estimate``, ``std_error``, ``lower``, ``upper``.
    level : float
        Level of the intervals whose coverage is counted.
    seed : int
        Root seed of the replications.
    model : str
        The data-generating process.
    """

    _table: pd.DataFrame = field(repr=False)
    _draws: pd.DataFrame = field(repr=False)
    level: float
    seed: Any
    model: str

    # A fresh copy on every access: editing what you were given never changes the result.
    @property
    def table(self) -> pd.DataFrame:
        """The summary, one row per estimator and parameter (a copy)."""
        return self._table.copy()

    @property
    def draws(self) -> pd.DataFrame:
        """The per-replication estimates (a copy)."""
        return self._draws.copy()

    def pivot(self, value: str = "bias") -> pd.DataFrame:
        """One statistic of :attr:`table` as parameters x estimators.

        Parameters
        ----------
        value : str
            A statistic column of :attr:`table`, e.g. ``"bias"``, ``"rmse"``, ``"coverage"``.

        Returns
        -------
        pandas.DataFrame
            Parameters (rows, in the table's order) x estimators (columns).
        """
        if value not in self.table.columns or value in ("estimator", "parameter"):
            raise InputError(f"value must be a statistic of the table "
                             f"{TABLE_COLUMNS[2:]}; {value!r} was given.")
        order = list(dict.fromkeys(self.table["parameter"]))
        wide = self.table.pivot(index="parameter", columns="estimator", values=value)
        return wide.reindex(order)[list(dict.fromkeys(self.table["estimator"]))]

    def _repr_html_(self) -> str:
        return self._table.to_html(index=False, float_format=lambda v: f"{v:.4g}")


def summarise_draws(draws: pd.DataFrame) -> pd.DataFrame:
    """The bias / RMSE / coverage table of a frame of draws (module docstring for formulas).

    Parameters
    ----------
    draws : pandas.DataFrame
        With the columns of :data:`DRAW_COLUMNS` (``rep`` may be absent): one row per
        replication, estimator and parameter. Replications whose estimate is missing (NaN)
        are not counted; ``reps`` says how many were.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TABLE_COLUMNS`, rows in the order estimators and parameters first
        appear in ``draws``.

    Examples
    --------
    >>> import pandas as pd
    >>> from spatialflow.montecarlo import summarise_draws
    >>> d = pd.DataFrame({"estimator": "SAR", "parameter": "rho", "truth": 0.5,
    ...                   "estimate": [0.4, 0.6, 0.8], "std_error": [0.1, 0.1, 0.1],
    ...                   "lower": [0.3, 0.4, 0.6], "upper": [0.6, 0.8, 1.0]})
    >>> t = summarise_draws(d).iloc[0]
    >>> [round(float(t[c]), 10) for c in ("bias", "rmse", "coverage")]
    [0.1, 0.1914854216, 0.6666666667]
    """
    missing = [c for c in DRAW_COLUMNS if c != "rep" and c not in draws.columns]
    if missing:
        raise InputError(f"draws lacks the columns {missing}; it has {list(draws.columns)}.")
    rows = []
    keys = draws[["estimator", "parameter"]].drop_duplicates()
    groups = draws.groupby(["estimator", "parameter"], sort=False)
    for estimator, parameter in keys.itertuples(index=False):
        g = groups.get_group((estimator, parameter))
        g = g[np.isfinite(g["estimate"].to_numpy(dtype=float))]
        truths = g["truth"].unique()
        if len(truths) > 1:
            raise InputError(f"{estimator} {parameter}: the truth differs across replications "
                             f"({list(truths[:5])}); one design per table.")
        truth = float(truths[0]) if len(truths) else np.nan
        est = g["estimate"].to_numpy(dtype=float)
        se = g["std_error"].to_numpy(dtype=float)
        reps = len(est)
        mean = est.mean() if reps else np.nan
        sd = est.std(ddof=1) if reps > 1 else np.nan
        covered = ((g["lower"].to_numpy(dtype=float) <= truth)
                   & (truth <= g["upper"].to_numpy(dtype=float)))
        coverage = covered.mean() if reps else np.nan
        mean_se = np.nanmean(se) if reps and np.isfinite(se).any() else np.nan
        rows.append({
            "estimator": estimator, "parameter": parameter, "truth": truth, "reps": reps,
            "mean": mean, "bias": mean - truth, "sd": sd,
            "rmse": np.sqrt(np.mean((est - truth) ** 2)) if reps else np.nan,
            "mean_std_error": mean_se,
            # a zero spread (e.g. an indirect effect fixed at 0) has no meaningful ratio
            "std_error_sd_ratio": mean_se / sd if sd and np.isfinite(sd) and sd > 0 else np.nan,
            "coverage": coverage,
            "bias_mcse": sd / np.sqrt(reps) if reps > 1 else np.nan,
            "coverage_mcse": np.sqrt(coverage * (1 - coverage) / reps) if reps else np.nan,
        })
    return pd.DataFrame(rows, columns=TABLE_COLUMNS).astype({"reps": int})


# --------------------------------------------------------------------------------------
# The replication
# --------------------------------------------------------------------------------------
def _estimators(estimators) -> dict[str, type]:
    """Label -> model class from classes, names, or a mapping label -> class/name."""
    from . import models

    if isinstance(estimators, (str, type)):
        estimators = [estimators]
    if isinstance(estimators, Mapping):
        items = list(estimators.items())
    else:
        items = []
        for e in estimators:
            label = e if isinstance(e, str) else getattr(e, "__name__", repr(e))
            items.append((str(label).upper() if isinstance(e, str) else label, e))
    if not items:
        raise InputError("estimators must name at least one model, e.g. ['SAR', 'SDM'].")
    out: dict[str, type] = {}
    for label, spec in items:
        if isinstance(spec, str):
            if spec.upper() not in _MODEL_NAMES:
                raise ModelSpecificationError(f"estimator {spec!r} is not one of "
                                              f"{list(_MODEL_NAMES)}.")
            cls = getattr(models, spec.upper())
        elif isinstance(spec, type) and issubclass(spec, models.SpatialModel) and spec.kind:
            cls = spec
        else:
            raise InputError(f"an estimator must be a spatialflow model class (e.g. "
                             f"spatialflow.SAR) or its name; {spec!r} was given.")
        if label in out:
            raise InputError(f"estimator label {label!r} is given twice; pass a mapping "
                             "label -> model to fit one model in two ways.")
        out[str(label)] = cls
    return out


def _one_blas_thread():
    # Many small fits: one BLAS thread each is several times faster than a thread pool per fit
    # on a shared machine, and the results do not depend on it.
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional speed-up only
        return contextlib.nullcontext()
    return threadpool_limits(1)


class _Replication:
    """Picklable task: draw from the simulator with the task's generator, fit, tabulate."""

    def __init__(self, simulator: "Simulator", estimators: dict[str, type], level: float,
                 effects: bool, effects_method: str, fit_options: dict):
        self.simulator = simulator
        self.estimators = estimators
        self.level = level
        self.effects = effects
        self.effects_method = effects_method
        self.fit_options = fit_options
        self.pin_blas = False  # set for process and Dask workers
        self._graph = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_graph"] = None  # rebuilt on the worker
        return state

    def graph(self):
        if self._graph is None:
            from libpysal.graph import Graph
            self._graph = Graph.from_sparse(self.simulator.W, ids=self.simulator.ids)
        return self._graph

    def truth(self) -> pd.Series:
        sim = self.simulator
        values = sim.truth.params.copy()
        if self.effects:
            eff = sim.true_effects()
            for kind in ("direct", "indirect", "total"):
                for name, v in eff[kind].items():
                    values[f"{kind}:{name}"] = v
        return values

    def __call__(self, rep: int, rng: np.random.Generator) -> list[dict]:
        sim = self.simulator
        draw = sim.draw(seed=rng)
        y, X = draw.data[sim.y_name], draw.data[sim.names]
        truth = self.truth()
        rows = []
        # In this process (serial, threads) the caller has already pinned BLAS for the whole
        # grid: entering and leaving limits from several threads at once would race.
        with _one_blas_thread() if self.pin_blas else contextlib.nullcontext():
            for label, cls in self.estimators.items():
                args = (y, X) if cls.kind == "OLS" else (y, X, self.graph())
                res = cls(*args, add_constant=sim.intercept is not None).fit(**self.fit_options)
                ci = res.conf_int(self.level)
                for name, est in res.params.items():
                    rows.append({"rep": rep, "estimator": label, "parameter": name,
                                 "truth": float(truth.get(name, 0.0)), "estimate": float(est),
                                 "std_error": float(res.bse[name]),
                                 "lower": float(ci.loc[name, "lower"]),
                                 "upper": float(ci.loc[name, "upper"])})
                if self.effects:
                    rows += self._effect_rows(rep, label, res, truth)
        return rows

    def _effect_rows(self, rep, label, res, truth) -> list[dict]:
        if res.W is None:
            # No W in the model (OLS): it asserts direct = beta and no spillover at all.
            ci = res.conf_int(self.level)
            frame = pd.DataFrame({"direct": res.params, "direct_std_error": res.bse,
                                  "direct_lower": ci["lower"], "direct_upper": ci["upper"]})
            frame = frame.loc[self.simulator.names]
            for col in ("indirect", "indirect_std_error", "indirect_lower", "indirect_upper"):
                frame[col] = 0.0
            for stat in ("", "_std_error", "_lower", "_upper"):
                frame["total" + stat] = frame["direct" + stat]
        else:
            frame = res.effects(method=self.effects_method, n_draws=1000, seed=rep,
                                level=self.level)
        rows = []
        for kind in ("direct", "indirect", "total"):
            for name in self.simulator.names:
                key = f"{kind}:{name}"
                rows.append({"rep": rep, "estimator": label, "parameter": key,
                             "truth": float(truth[key]),
                             "estimate": float(frame.loc[name, kind]),
                             "std_error": float(frame.loc[name, f"{kind}_std_error"]),
                             "lower": float(frame.loc[name, f"{kind}_lower"]),
                             "upper": float(frame.loc[name, f"{kind}_upper"])})
        return rows


def run_monte_carlo(simulator: Simulator, estimators: Estimators, reps: int, *,
                    seed: int | np.random.SeedSequence = 0,
                    scheduler: Client | str | None = None,
                    executor: str = "serial", max_workers: int | None = None,
                    level: float = 0.95, effects: bool = True, effects_method: str = "delta",
                    fit_options: Mapping | None = None, progress: bool | None = None,
                    rng: int | np.random.SeedSequence | np.random.Generator | None = None
                    ) -> MonteCarloResult:
    """Fit ``estimators`` to ``reps`` draws of ``simulator`` (what :meth:`Simulator.monte_carlo` runs).

    Parameters
    ----------
    simulator : spatialflow.simulate.Simulator
        A cross-sectional data-generating process.
    estimators, reps, seed, scheduler, executor, max_workers, level, effects, effects_method, fit_options, progress
        As in :meth:`spatialflow.simulate.Simulator.monte_carlo`.
    rng : int, numpy.random.SeedSequence or numpy.random.Generator, optional
        The same as ``seed`` (Scientific Python SPEC 7 name; give one of them). A
        Generator's ``SeedSequence`` spawns the root of the replications' seeds.

    Returns
    -------
    MonteCarloResult
    """
    from .grid import _is_int, run_grid

    seed = rng_alias(rng, seed)
    if isinstance(seed, np.random.Generator):
        # the grid takes a root SeedSequence: the Generator's own, spawned (advanced per call)
        seed = seed.bit_generator.seed_seq.spawn(1)[0]
    if simulator.panel:
        raise ModelSpecificationError("monte_carlo fits cross-sectional models; this "
                                      f"simulator draws a panel of T={simulator.T} periods.")
    if not _is_int(reps) or reps < 2:
        raise InputError(f"reps must be an integer >= 2 (a standard deviation needs two "
                         f"replications); {reps!r} was given.")
    if not (isinstance(level, float) and 0 < level < 1):
        raise InputError(f"level must be a float in (0, 1), e.g. 0.95; {level!r} was given.")
    if effects_method not in ("delta", "simulation"):
        raise InputError(f"effects_method must be 'delta' or 'simulation'; {effects_method!r} "
                         "was given.")
    fit_options = dict(fit_options or {})
    task = _Replication(simulator, _estimators(estimators), level, bool(effects),
                        effects_method, fit_options)
    task.pin_blas = scheduler is not None or executor == "processes"
    with _one_blas_thread():
        rows = run_grid(task, list(range(int(reps))), seed=seed, executor=executor,
                        max_workers=max_workers, scheduler=scheduler, progress=progress,
                        desc=f"monte carlo ({simulator.model})")
    draws = pd.DataFrame([row for rep_rows in rows for row in rep_rows], columns=DRAW_COLUMNS)
    draws.attrs.update({"synthetic": True, "model": simulator.model, "seed": seed})
    return MonteCarloResult(summarise_draws(draws), draws, level=level, seed=seed,
                            model=simulator.model)
