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

from ..exceptions import InputError

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
        The periods (default 2014..2023, T = 10).
    seed : int
        Seed of the random generator (the result is a pure function of the inputs).
    truth : dict, optional
        Parameters of the process (default :data:`DEFAULT_TRUTH`).

    Returns
    -------
    DataFrame
        Long format, one row per (code, year), sorted by code then year, with the factor-flow
        indices, ``tfp`` (log TFP index) and ``income_gap`` (urban/rural income ratio), plus
        ``name_en``, ``region`` and ``core`` when the county frame has them.
        ``attrs`` holds ``synthetic=True``, ``seed`` and ``truth``.
    """
    from ..simulate import Simulator
    from ..weights.align import as_sparse

    if counties is None:
        from .guangdong import load_guangdong_counties
        counties = load_guangdong_counties()
    if "core" not in counties.columns:
        raise InputError("counties needs a boolean 'core' column (True for core units); "
                         f"columns given: {list(counties.columns)}.")
    if w is None:
        from ..weights import build
        w = build(counties, kind="queen", islands="knn")
    years = list(years)
    if len(years) < 2:
        raise InputError(f"a panel needs at least two years; {years!r} was given.")
    truth = DEFAULT_TRUTH if truth is None else truth
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
