r"""A clearly labelled **synthetic** county panel for examples, tests and the default pipeline.

The numbers are simulated, not statistics of Guangdong: only the county polygons, ids,
names and the core/periphery grouping are real. Every frame returned here carries
``attrs["synthetic"] = True``, the seed, and the true parameters of the data-generating
process, so examples can show that the estimators recover them.

The data-generating process is a two-way fixed-effects spatial Durbin model for county TFP,

.. math::
    \mathrm{tfp}_t = (I-\rho W)^{-1}\left(X_t\beta + W X_t\theta + \mu + \lambda_t\iota
    + \varepsilon_t\right),\qquad \varepsilon_t \sim N(0, \sigma^2 I),

and a spatial lag model for the urban-rural income ratio,
:math:`\mathrm{gap}_t = (I-\rho_g W)^{-1}(X_t\gamma + \mu^g + \lambda^g_t\iota + u_t)`.
Factor-flow indices are higher, on average, in the core (PRD), as the literature reports.
Both equations are drawn by :class:`spatialflow.simulate.Simulator` (the panel is one use of
the general simulator), with the shocks drawn here so that a seed reproduces earlier panels.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_seed
from ..exceptions import DuplicateIdError, InputError, MissingDataError, format_ids

__all__ = ["synthetic_panel", "FACTOR_COLUMNS", "DEFAULT_TRUTH"]

FACTOR_COLUMNS = ["labour_flow", "capital_flow", "land_flow", "technology_flow"]

#: True parameters of the default data-generating process.
DEFAULT_TRUTH = {
    "tfp": {"rho": 0.35, "sigma2": 0.02 ** 2,
            "beta": {"labour_flow": 0.30, "capital_flow": 0.20, "land_flow": 0.05,
                     "technology_flow": 0.25},
            "theta": {"labour_flow": 0.10, "capital_flow": -0.05, "land_flow": 0.0,
                      "technology_flow": 0.15}},
    "income_gap": {"rho": 0.25, "sigma2": 0.03 ** 2,
                   "gamma": {"labour_flow": -0.20, "capital_flow": -0.10, "land_flow": 0.0,
                             "technology_flow": -0.05}},
}


def _ordered(coefficients: dict) -> dict:
    """Coefficients in the order of FACTOR_COLUMNS (the columns of X), naming any missing."""
    missing = [c for c in FACTOR_COLUMNS if c not in coefficients]
    if missing:
        raise InputError(f"truth must give a coefficient for every factor column; missing "
                         f"{missing} (factor columns: {FACTOR_COLUMNS}).")
    return {c: coefficients[c] for c in FACTOR_COLUMNS}


def synthetic_panel(counties=None, w=None, years=range(2014, 2024), *, seed: int = 0,
                    truth: dict | None = None) -> pd.DataFrame:
    """Simulate the labelled synthetic panel on real county units.

    Parameters
    ----------
    counties : GeoDataFrame, optional
        Units indexed by id with a boolean ``core`` column (default: the embedded Guangdong
        layer, :func:`spatialflow.datasets.load_guangdong_counties`).
    w : libpysal Graph or W, optional
        Weights over the same ids (default: row-standardised queen contiguity with Nan'ao
        attached to its nearest neighbours).
    years : iterable of int
        The periods, distinct increasing integers (default 2014..2023, T = 10; at least 2).
    seed : int
        Seed of the random generator, a non-negative integer (the result is a pure function
        of the inputs).
    truth : dict, optional
        Parameters of the process, shaped like :data:`DEFAULT_TRUTH` (every key present:
        ``rho`` in (-1, 1), ``sigma2`` > 0, a coefficient for each of
        :data:`FACTOR_COLUMNS`).

    Returns
    -------
    DataFrame
        Long format, one row per (code, year), sorted by code then year, with the factor-flow
        indices, ``tfp`` (log TFP index) and ``income_gap`` (urban/rural income ratio), plus
        ``name_en``, ``region`` and ``core`` when the county frame has them.
        ``attrs`` holds ``synthetic=True``, ``seed`` and ``truth``.

    Raises
    ------
    InputError
        ``seed`` not a non-negative integer; ``years`` not distinct increasing integers
        (duplicated, non-integer or out-of-order years are named); ``core`` not boolean.
    DuplicateIdError
        Duplicated years.
    MissingDataError
        Missing ``core`` values.
    IdMismatchError, InvalidWeightsError
        Weights on other units, or unusable weights (see
        :func:`spatialflow.weights.as_sparse`).
    """
    from ..simulate import Simulator
    from ..weights.align import as_sparse

    seed = check_seed(seed)
    years = _check_years(years)
    if counties is None:
        from .guangdong import load_guangdong_counties
        counties = load_guangdong_counties()
    if not isinstance(counties, pd.DataFrame) or "core" not in counties.columns:
        columns = list(counties.columns) if isinstance(counties, pd.DataFrame) else None
        raise InputError("counties needs a (Geo)DataFrame with a boolean 'core' column (True "
                         f"for core units); {type(counties).__name__} with columns {columns} "
                         "was given.")
    _check_core(counties["core"])
    if w is None:
        from ..weights import build
        w = build(counties, kind="queen", islands="knn")
    truth = DEFAULT_TRUTH if truth is None else _check_truth(truth)
    ids = pd.Index(counties.index)
    W = as_sparse(w, ids)
    n, T = len(ids), len(years)
    rng = np.random.default_rng(seed)
    core = counties["core"].to_numpy(dtype=bool)

    # Factor flows: a persistent county level (higher in the core), a common upward trend
    # and idiosyncratic noise, all on an index scale of roughly 0..1.
    level = rng.normal(0.0, 0.08, size=(n, len(FACTOR_COLUMNS))) + 0.25 + 0.15 * core[:, None]
    trend = np.linspace(0.0, 0.2, T)
    X = level[None, :, :] + trend[:, None, None] + rng.normal(0, 0.05, size=(T, n, len(FACTOR_COLUMNS)))

    mu = 0.3 * core + rng.normal(0, 0.1, n)                 # county fixed effects
    lam = np.linspace(0.0, 0.15, T) + rng.normal(0, 0.02, T)  # year effects
    mu_g = 2.5 - 0.2 * core + rng.normal(0, 0.1, n)
    lam_g = -np.linspace(0.0, 0.2, T)
    # The two equations' shocks are drawn period by period, interleaved, as they always were,
    # so that a seed gives the same panel as before the simulator existed.
    eps, u = np.empty((T, n)), np.empty((T, n))
    for t in range(T):
        eps[t] = rng.normal(0, np.sqrt(truth["tfp"]["sigma2"]), n)
        u[t] = rng.normal(0, np.sqrt(truth["income_gap"]["sigma2"]), n)

    common = dict(X=X, ids=ids, periods=years, id_name="code", time_name="year")
    tfp = Simulator("SDM", W, beta=_ordered(truth["tfp"]["beta"]), theta=_ordered(truth["tfp"]["theta"]),
                    rho=truth["tfp"]["rho"], sigma2=truth["tfp"]["sigma2"],
                    unit_effects=mu, time_effects=lam, epsilon=eps, y_name="tfp",
                    **common).draw()
    # mu_g is the income gap's long-run county level: scaled by (1 - rho_g) so that it is the
    # level the spatial multiplier returns to.
    gap = Simulator("SAR", W, beta=_ordered(truth["income_gap"]["gamma"]),
                    rho=truth["income_gap"]["rho"],
                    sigma2=truth["income_gap"]["sigma2"],
                    unit_effects=(1 - truth["income_gap"]["rho"]) * mu_g, time_effects=lam_g,
                    epsilon=u, y_name="income_gap", **common).draw()
    panel = tfp.data[["code", "year", *FACTOR_COLUMNS, "tfp"]].copy()
    panel["income_gap"] = gap.data["income_gap"].to_numpy()
    for col in ("name_en", "region", "core"):
        if col in counties.columns:
            panel[col] = counties[col].reindex(panel["code"]).to_numpy()
    panel = panel.sort_values(["code", "year"], kind="stable").reset_index(drop=True)
    panel.attrs.clear()
    panel.attrs.update({"synthetic": True, "seed": seed, "truth": truth,
                        "description": "SYNTHETIC panel simulated on real county units; "
                                       "not statistics of Guangdong."})
    return panel


def _check_years(years) -> list[int]:
    """Distinct increasing integer years as Python ints, or an error naming the culprits."""
    if isinstance(years, (str, bytes)) or not hasattr(years, "__iter__"):
        raise InputError(f"years must be an iterable of integer years (e.g. range(2014, 2024)); "
                         f"{years!r} was given.")
    years = list(years)
    bad = [y for y in years if not isinstance(y, (int, np.integer))
           or isinstance(y, (bool, np.bool_))]
    if bad:
        raise InputError(f"years must be integers; {format_ids(bad)} are not.")
    years = [int(y) for y in years]
    if len(years) < 2:
        raise InputError(f"a panel needs at least two years; {years!r} was given.")
    dup = pd.Index(years)
    dup = dup[dup.duplicated()].unique()
    if len(dup):
        raise DuplicateIdError(f"years must be distinct; duplicated: {format_ids(dup.tolist())} "
                               "(each would give a second (code, year) row).")
    if years != sorted(years):
        raise InputError(f"years must be increasing (the simulated trends follow their "
                         f"order); {years!r} was given.")
    return years


def _check_core(core: pd.Series) -> None:
    """``core`` must be boolean without gaps: ``astype(bool)`` reads NaN and "False" as True."""
    if core.isna().any():
        raise MissingDataError(f"the 'core' column has missing values at ids "
                               f"{format_ids(core.index[core.isna()].tolist())}.")
    bad = core[~core.isin([True, False])]  # 0/1 pass (0 == False); "False" does not
    if len(bad):
        raise InputError(
            "the 'core' column must be boolean (True for core units, or 1/0); values "
            f"{format_ids(bad.unique().tolist())} at ids {format_ids(bad.index.tolist())} "
            "are not.")


def _check_truth(truth) -> dict:
    """The user's parameters, checked against the shape of :data:`DEFAULT_TRUTH`."""
    from .._validation import is_real_number

    problems = []
    if not isinstance(truth, dict):
        raise InputError(f"truth must be a dict shaped like DEFAULT_TRUTH; "
                         f"{type(truth).__name__} was given.")
    for model, spec in DEFAULT_TRUTH.items():
        given = truth.get(model)
        if not isinstance(given, dict):
            problems.append(f"truth[{model!r}] is missing or not a dict")
            continue
        for key, default in spec.items():
            value = given.get(key)
            if isinstance(default, dict):
                if not isinstance(value, dict):
                    problems.append(f"truth[{model!r}][{key!r}] is missing or not a dict")
                    continue
                absent = [c for c in default if not is_real_number(value.get(c))]
                if absent:
                    problems.append(f"truth[{model!r}][{key!r}] needs a number for "
                                    f"{format_ids(absent)}")
            elif not is_real_number(value) or not np.isfinite(value):
                problems.append(f"truth[{model!r}][{key!r}] must be a finite number; "
                                f"{value!r} was given")
            elif key == "rho" and not -1 < value < 1:
                problems.append(f"truth[{model!r}]['rho'] must lie in (-1, 1); {value!r} was given")
            elif key == "sigma2" and not value > 0:
                problems.append(f"truth[{model!r}]['sigma2'] must be > 0; {value!r} was given")
    if problems:
        raise InputError("truth does not describe the process: " + "; ".join(problems)
                         + ". Start from a copy of DEFAULT_TRUTH.")
    return truth
