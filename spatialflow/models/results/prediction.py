r"""Prediction and policy scenarios from a fitted spatial model.

With :math:`A(\rho) = I - \rho W`, the trend :math:`\mu = X\beta + WX\theta` and the data
:math:`y`, the in-sample predictors are those of R spatialreg's ``predict.Sarlm``
(Goulard, Laurent and Thomas-Agnan 2017):

=============  ==============================================  =======================
``type``       predictor                                       R ``pred.type``
=============  ==============================================  =======================
``"fitted"``   :math:`\rho Wy + \mu` (lag); :math:`y-\hat\varepsilon` (error)   ``"TS"``
``"trend"``    :math:`\mu`                                     ``"trend"``
``"reduced"``  :math:`A^{-1}\mu` (the reduced form)            ``"TC"``
``"bp"``       :math:`\hat y_{TC} - D^{-1}(Q-D)(y-\hat y_{TC})`  ``"BP"``
=============  ==============================================  =======================

where :math:`Q = A'A/\sigma^2` is the precision of :math:`y` in the lag model and
:math:`D = \mathrm{diag}(Q)`: the best predictor of each :math:`y_i` given all the other
observations. For error models (:math:`y = \mu + A(\lambda)^{-1}\varepsilon`) the reduced
form is the trend, and ``"bp"`` uses :math:`Q = A(\lambda)'A(\lambda)/\sigma^2` around the
trend (the same conditional-mean formula; R has no BP for error models). Every predictor needs
only sparse products and one sparse LU solve: no dense inverse.

New regressors on the same units (``data=``) give the trend and the reduced form at the new
X (the counterfactual outcome); "fitted" and "bp" condition on the observed y and are only
in-sample.

A **scenario** changes the regressors of chosen units by :math:`\Delta X` (a frame by unit
and variable) and reports the change of every unit's expected outcome,

.. math::
    \Delta y = A(\rho)^{-1}\left(\Delta X\,\beta + W\Delta X\,\theta\right)

(:math:`\rho = 0` without a spatial lag of y), with simulated confidence bands: the
parameters are drawn from :math:`N(\hat\phi, \hat V)` (seeded; draws of :math:`\rho` outside
the admissible interval are rejected, as for the effects), one sparse LU solve per draw up to
``SERIES_MIN_N`` units and above it the power series :math:`\sum_j\rho^jW^j` applied to the
Krylov vectors of the changed columns (truncation bound ``SERIES_TOL``, an
:class:`~spatialflow.exceptions.ApproximationWarning` if it cannot be met).
Sums and means of :math:`\Delta y` over any partition of the units (core / periphery,
region) are summarised from the same draws.

Examples
--------
>>> import libpysal, numpy as np, pandas as pd
>>> import spatialflow as sf
>>> w = libpysal.weights.lat2W(5, 5); w.transform = "r"
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"x": rng.normal(size=25)}, index=w.id_order)
>>> df["y"] = 1 + df["x"] + rng.normal(size=25)
>>> res = sf.SDM.from_formula("y ~ x", data=df, w=w).fit()
>>> res.predict(type="bp").shape
(25,)
>>> sc = res.scenario(pd.DataFrame({"x": 1.0}, index=w.id_order[:5]), n_draws=200)
>>> list(sc.units.columns)
['change', 'std_error', 'lower', 'upper', 'changed']
>>> groups = pd.Series(["north"] * 10 + ["south"] * 15, index=w.id_order)
>>> list(sc.by(groups).index)
['north', 'south']
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import lazy_loader as lazy

formulaic = lazy.load("formulaic")  # loaded by the first new-data prediction
import scipy.sparse as sp

from ...exceptions import (ApproximationWarning, IdMismatchError, InputError,
                          ModelSpecificationError, format_ids)
from ..._validation import check_count, check_seed, check_level
from .effects import _draw, _partition_codes, _resolve_partition, _without_dropped_units
from .._linalg.memory import check_draws_memory
from .._linalg.operator import SpatialOperator
from .._design.naming import kind_flags, lag_name
from .._design.panel_data import lag_panel
from .._linalg.traces import inf_norm, series_order

__all__ = ["PREDICTION_TYPES", "predict", "scenario", "ScenarioResult"]

PREDICTION_TYPES = ("fitted", "trend", "reduced", "bp")
#: Above this many units the simulated scenario draws of lag models use the power series of
#: (I - rho W)^{-1} (Krylov vectors of the changed columns) instead of one LU per draw.
SERIES_MIN_N = 2000
#: Truncation bound of that series (per unit of the change's scale).
SERIES_TOL = 1e-10


# ------------------------------------------------------------------------ design pieces
def _unit_W(results) -> sp.csr_matrix:
    if results.W is None:
        raise ModelSpecificationError("this model was fitted without W; predictions of a "
                                      "spatial model need it.")
    return sp.csr_matrix(results.W, dtype=float)


def _split_params(results):
    """(beta over exog_names, theta over lagged_names, spatial value)."""
    p = results.params
    beta = p[list(results.exog_names)].to_numpy(dtype=float)
    theta = p[[lag_name(c) for c in results.lagged_names]].to_numpy(dtype=float)
    sp_val = float(p[results.spatial_param]) if results.spatial_param else 0.0
    return beta, theta, sp_val


def _solve(W: sp.csr_matrix, r: float, b: np.ndarray) -> np.ndarray:
    return SpatialOperator.of(W).solve(r, b)


def _exog_from(results, data: pd.DataFrame) -> pd.DataFrame:
    """The model's regressor columns (exog_names) for new data on the fitted units."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame indexed by unit id; "
                         f"{type(data).__name__} was given.")
    ids = results.ids
    if data.index.has_duplicates:
        raise InputError(f"data must have one row per unit; duplicated ids "
                         f"{format_ids(data.index[data.index.duplicated()].unique())}.")
    extra = data.index.difference(ids, sort=False)
    missing = ids.difference(data.index, sort=False)
    if len(extra) or len(missing):
        raise IdMismatchError(
            "new data must hold exactly the fitted units (prediction for other units needs "
            f"their weights): {len(extra)} id(s) not in the fit {format_ids(extra)}; "
            f"{len(missing)} fitted unit(s) missing {format_ids(missing)}.")
    data = data.reindex(ids)
    exog = list(results.exog_names)
    have = [c for c in exog if c in data.columns]
    if len(have) == len(exog) or (set(exog) - set(have) == {"Intercept"}):
        X = data.reindex(columns=exog).astype(float)
        if "Intercept" in exog and "Intercept" not in data.columns:
            X["Intercept"] = 1.0
    else:
        formula = getattr(results.model, "formula", None)
        if formula is None:
            raise InputError(f"data must have the regressor columns {exog}; missing "
                             f"{[c for c in exog if c not in data.columns]}.")

        rhs = formula.split("~", 1)[1]
        X = pd.DataFrame(formulaic.model_matrix(rhs, data, na_action="ignore")).astype(float)
        X.index = data.index
        absent = [c for c in exog if c not in X.columns]
        if absent:
            raise InputError(f"the formula's right-hand side on the new data does not give "
                             f"the columns {absent} (categories missing?).")
        X = X[exog]
    bad = ~np.isfinite(X.to_numpy()).all(axis=1)
    if bad.any():
        raise InputError(f"new regressors have non-finite values at ids "
                         f"{format_ids(ids[bad])}.")
    return X


def _trend(results, X: np.ndarray, W: sp.csr_matrix) -> np.ndarray:
    beta, theta, _ = _split_params(results)
    mu = X @ beta
    if len(theta):
        pos = [list(results.exog_names).index(c) for c in results.lagged_names]
        mu = mu + W @ (X[:, pos] @ theta)
    return mu


def predict(results, data: pd.DataFrame | None = None, *, type: str = "reduced") -> pd.Series:
    """Predictions of a fit (module docstring for the formulas).

    Panels (fixed effects or pooled): per period, with the recovered fixed effects in the
    trend; ``data`` is then long data with the fit's id and time columns.

    Parameters
    ----------
    results : SpatialResults
    data : DataFrame, optional
        New regressors for the fitted units (indexed by unit id, any order; model columns,
        or the raw data columns of a formula model). ``None``: in-sample.
    type : {"reduced", "trend", "fitted", "bp"}
        ``"reduced"`` (R's "TC"), ``"trend"``, ``"fitted"`` (R's "TS") or ``"bp"`` (the best
        predictor of Goulard et al. 2017, R's "BP").

    Returns
    -------
    Series indexed by unit id.
    """
    if type not in PREDICTION_TYPES:
        raise InputError(f"type must be one of {list(PREDICTION_TYPES)}; {type!r} was given.")
    if data is not None and type in ("fitted", "bp"):
        raise InputError(f"type={type!r} conditions on the observed outcomes and is "
                         "in-sample only; with new data use type='reduced' or 'trend'.")
    flags = kind_flags(results.kind)
    if type == "bp" and flags.lag_y and (flags.error or "lambda" in results.params.index):
        raise ModelSpecificationError(
            f"type='bp' is implemented for lag or error models; a {results.kind} with rho and "
            "lambda needs the precision A'B'BA (not implemented). Use 'reduced' or 'trend'.")
    if results.panel is not None:
        if results.panel.get("dynamic"):
            raise ModelSpecificationError("predictions of dynamic panels are not implemented.")
        return _predict_panel(results, data, type)
    W = _unit_W(results) if results.kind != "OLS" else None
    f = results.model.frame
    if data is None:
        X = np.asarray(f.X[:, :len(results.exog_names)], dtype=float)
    else:
        X = _exog_from(results, data).to_numpy()
    if results.kind == "OLS" and not results.lagged_names:
        mu = X @ _split_params(results)[0]
        return pd.Series(mu, index=results.ids, name=type)
    mu = _trend(results, X, W)
    r = results.spatial if results.spatial_param else 0.0
    if type == "trend":
        out = mu
    elif type == "fitted":
        out = results.fitted.to_numpy()
    else:
        lag = kind_flags(results.kind).lag_y
        red = _solve(W, r, mu) if lag else mu
        if type == "reduced":
            out = red
        else:
            y = np.asarray(f.y, dtype=float)
            if results.spatial_param is None:
                out = red
            else:
                A = sp.identity(W.shape[0], format="csr") - r * W
                Q = (A.T @ A).tocsr()
                d = Q.diagonal()
                resid = y - red
                out = red - (Q @ resid - d * resid) / d
    return pd.Series(np.asarray(out, dtype=float), index=results.ids, name=type)


def _panel_exog(results, pdata, data) -> np.ndarray:
    """New regressors of a panel fit (long data with the fit's id and time columns)."""
    exog = list(results.exog_names)
    if data is None:
        return pdata.X[exog].to_numpy(dtype=float)
    id_col, time_col = pdata.id_name, pdata.time_name
    if not isinstance(data, pd.DataFrame) or id_col not in data.columns \
            or time_col not in data.columns:
        raise InputError(f"new panel data must be a DataFrame with the columns {id_col!r} and "
                         f"{time_col!r} of the fit.")
    keyed = data.set_index([id_col, time_col])
    if keyed.index.has_duplicates:
        raise InputError(f"new panel data have duplicated ({id_col}, {time_col}) rows.")
    extra = keyed.index.difference(pdata.index)
    missing = pdata.index.difference(keyed.index)
    if len(extra) or len(missing):
        raise IdMismatchError(
            f"new panel data must hold exactly the fitted (id, time) rows: {len(extra)} not in "
            f"the fit {format_ids(list(extra))}; {len(missing)} missing "
            f"{format_ids(list(missing))}.")
    keyed = keyed.reindex(pdata.index)
    if all(c in keyed.columns for c in exog if c != "Intercept"):
        X = keyed.reindex(columns=exog).astype(float)
        if "Intercept" in exog:
            X["Intercept"] = 1.0
    else:
        formula = getattr(results.model, "formula", None)
        if formula is None:
            raise InputError(f"new data must have the regressor columns {exog}.")
        X = pd.DataFrame(formulaic.model_matrix(formula.split("~", 1)[1], keyed.reset_index(),
                                                na_action="ignore")).astype(float)
        absent = [c for c in exog if c not in X.columns]
        if absent:
            raise InputError(f"the formula on the new data does not give the columns {absent}.")
        X = X[exog]
    values = X.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise InputError("new regressors have non-finite values.")
    return values


def _predict_panel(results, data, type: str) -> pd.Series:
    r"""Panel predictions per period with the recovered fixed effects (Elhorst 2014):
    trend :math:`\mu_t = X_t\beta + WX_t\theta + \hat\mu + \hat\lambda_t\iota`, reduced form
    :math:`A^{-1}\mu_t`, BP as in the cross-section, period by period."""
    panel = results.panel
    if panel.get("effects") == "random":
        raise ModelSpecificationError(
            "predictions of random-effects panels need the predicted unit effects (BLUP), "
            "which are not implemented; fit fixed effects or a pooled panel.")
    pdata = results.model.panel_options.data
    n, T = pdata.n, pdata.T
    W = sp.csr_matrix(pdata.W, dtype=float)
    if type == "fitted":
        if data is not None:
            raise InputError("type='fitted' is in-sample only.")
        return results.fitted.rename("fitted")
    X = _panel_exog(results, pdata, data)
    beta, theta, r = _split_params(results)
    mu = X @ beta
    if len(theta):
        pos = [list(results.exog_names).index(c) for c in results.lagged_names]
        mu = mu + lag_panel(W, X[:, pos] @ theta, n, T)
    extra = results.extra
    if "unit_effects" in extra:
        mu = mu + np.tile(extra["unit_effects"].reindex(pdata.ids).to_numpy(), T)
    if "time_effects" in extra:
        mu = mu + np.repeat(extra["time_effects"].reindex(pdata.times).to_numpy(), n)
    mu = mu + float(extra.get("intercept", 0.0))
    lag = kind_flags(results.kind).lag_y
    if type == "trend":
        out = mu
    else:
        red = mu
        if lag and r != 0:
            red = SpatialOperator.of(W).solve_panel(r, mu, T)
        out = red
        if type == "bp" and results.spatial_param is not None:
            res = pdata.y - red
            Ar = res - r * lag_panel(W, res, n, T)
            Q_res = Ar - r * lag_panel(W.T.tocsr(), Ar, n, T)
            col2 = np.asarray(W.multiply(W).sum(axis=0)).ravel()
            d = np.tile(1.0 - 2.0 * r * W.diagonal() + r * r * col2, T)
            out = red - (Q_res - d * res) / d
    return pdata.to_user_rows(np.asarray(out, dtype=float), type)


# ------------------------------------------------------------------------------ scenarios
@dataclass(frozen=True)
class ScenarioResult:
    """The change of every unit's expected outcome under a change of regressors.

    Attributes
    ----------
    units : DataFrame
        By unit id: ``change`` (at the estimates), ``std_error`` (SD of the draws), ``lower``,
        ``upper`` (percentile band at ``level``) and ``changed`` (whether the unit's own
        regressors changed).
    draws : ndarray (n_draws, n)
        Simulated changes (for other summaries).
    param_draws : DataFrame (n_draws, p)
        The simulated parameters behind ``draws``.
    """

    units: pd.DataFrame
    draws: np.ndarray
    point: np.ndarray
    ids: pd.Index
    level: float
    results: object
    rejected_draws: int = 0
    param_draws: pd.DataFrame | None = None

    def by(self, partition, *, how: str = "sum") -> pd.DataFrame:
        """Sum (``how="sum"``) or mean (``"mean"``) of the changes within each group of a
        partition (a Series by unit id, or a column of the model's data), with bands."""
        pt, dr, index, sizes = self._grouped(partition, how)
        return self._table(pt, dr, index, sizes=sizes)

    def by_draws(self, partition, *, how: str = "sum") -> pd.DataFrame:
        """The simulated group sums or means behind :meth:`by`: one row per draw, one
        column per group (for statistics that combine groups or scenarios drawn with the
        same seed, whose draws of the parameters are then the same)."""
        _, dr, index, _ = self._grouped(partition, how)
        return pd.DataFrame(dr, columns=index)

    def _grouped(self, partition, how: str):
        if how not in ("sum", "mean"):
            raise InputError(f"how must be 'sum' or 'mean'; {how!r} was given.")
        labels = _without_dropped_units(self.results,
                                        _resolve_partition(self.results, partition))
        codes, groups, sizes = _partition_codes(labels, self.ids)
        Ind = np.zeros((len(self.ids), len(groups)))
        Ind[np.arange(len(self.ids)), codes] = 1.0
        if how == "mean":
            Ind = Ind / sizes
        return self.point @ Ind, self.draws @ Ind, pd.Index(groups, name="group"), sizes

    def total(self, *, how: str = "sum") -> pd.Series:
        """Sum or mean of the change over all units, with its band."""
        if how not in ("sum", "mean"):
            raise InputError(f"how must be 'sum' or 'mean'; {how!r} was given.")
        v = np.ones(len(self.ids)) / (len(self.ids) if how == "mean" else 1.0)
        return self._table(np.array([self.point @ v]), (self.draws @ v)[:, None],
                           pd.Index(["all"], name="group"),
                           sizes=np.array([len(self.ids)])).iloc[0]

    def _table(self, pt, dr, index, sizes=None) -> pd.DataFrame:
        a = (1 - self.level) / 2
        out = pd.DataFrame({"change": pt, "std_error": dr.std(axis=0, ddof=1),
                            "lower": np.quantile(dr, a, axis=0),
                            "upper": np.quantile(dr, 1 - a, axis=0)}, index=index)
        if sizes is not None:
            out.insert(0, "n_units", sizes)
        return out

    def __repr__(self) -> str:
        n_changed = int(self.units["changed"].sum())
        return (f"<ScenarioResult: {n_changed} unit(s) changed, {len(self.ids)} units, "
                f"{self.draws.shape[0]} draws>")


def _delta_matrix(results, delta: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Delta X over exog_names (n x k) and the mask of units whose regressors change."""
    if not isinstance(delta, pd.DataFrame):
        raise InputError("delta must be a DataFrame indexed by unit id with one column per "
                         f"regressor to change; {type(delta).__name__} was given.")
    ids = results.ids
    if delta.index.has_duplicates:
        raise InputError(f"delta must have one row per unit; duplicated ids "
                         f"{format_ids(delta.index[delta.index.duplicated()].unique())}.")
    unknown = delta.index.difference(ids, sort=False)
    if len(unknown):
        raise IdMismatchError(f"delta names {len(unknown)} unit(s) that are not in the fit "
                              f"{format_ids(unknown)}.")
    vals = delta.to_numpy(dtype=float)
    if not np.isfinite(vals).all():
        raise InputError("delta has non-finite values; use 0 for no change.")
    exog = list(results.exog_names)
    pos = ids.get_indexer(delta.index)
    changed = np.zeros(len(ids), dtype=bool)
    changed[pos] = np.any(vals != 0, axis=1)
    if all(c in exog for c in delta.columns):
        D = np.zeros((len(ids), len(exog)))
        for j, c in enumerate(delta.columns):
            D[pos, exog.index(c)] = vals[:, j]
        return D, changed
    model = results.model
    data = getattr(model, "data", None)
    if results.panel is not None:
        raise InputError(f"for panel fits, delta columns must be regressors of the model "
                         f"{exog}; {[c for c in delta.columns if c not in exog]} are not.")
    if getattr(model, "formula", None) is None or data is None:
        raise InputError(f"delta columns must be regressors of the model {exog}; "
                         f"{[c for c in delta.columns if c not in exog]} are not.")
    not_data = [c for c in delta.columns if c not in data.columns]
    if not_data:
        raise InputError(f"delta columns {not_data} are neither regressors of the model "
                         f"{exog} nor columns of its data.")
    # Raw data columns: rebuild the design on the changed data, so that logs, powers and
    # interactions of a changed variable change consistently.
    new = data.loc[ids].copy()
    for c in delta.columns:
        col = new[c].to_numpy(dtype=float, copy=True)
        col[pos] += delta[c].to_numpy(dtype=float)
        new[c] = col
    X1 = _exog_from(results, new).to_numpy()
    X0 = np.asarray(model.frame.X[:, :len(exog)], dtype=float)
    return X1 - X0, changed


def _series_draws(W, D, lag_pos, P, k, m, *, tol: float = SERIES_TOL,
                  max_order: int = 1000) -> np.ndarray:
    r"""Simulated changes for many draws by the series
    :math:`A(\rho)^{-1}v = \sum_{j\le q}\rho^j W^j v`: the Krylov vectors :math:`W^j d` of the
    changed columns are computed once, each draw costs :math:`O(qn)` per column instead of a
    sparse LU factorisation."""
    rhos = P[:, -1]
    q, bound = series_order(float(np.max(np.abs(rhos))), inf_norm(W), tol=tol,
                            max_order=max_order)
    if bound > tol:
        warnings.warn(
            f"the power series for the scenario draws is truncated at order {q}; its bound "
            f"{bound:.3g} exceeds {tol:g} (|rho| * ||W||_inf close to 1). The point change "
            "is exact (sparse LU); the bands are approximate.", ApproximationWarning,
            stacklevel=3)
    V = np.power.outer(rhos, np.arange(q + 1))                     # (R, q+1)
    out = np.zeros((P.shape[0], D.shape[0]))
    lagged_cols = {c: i for i, c in enumerate(lag_pos)}
    for c in np.flatnonzero(np.any(D != 0, axis=0)):
        seq = np.empty((q + 2, D.shape[0]))
        seq[0] = D[:, c]
        for j in range(1, q + 2):
            seq[j] = W @ seq[j - 1]
        out += P[:, [c]] * (V @ seq[:q + 1])
        if c in lagged_cols:
            out += P[:, [k + lagged_cols[c]]] * (V @ seq[1:q + 2])
    return out


def scenario(results, delta: pd.DataFrame, *, n_draws: int = 1000, seed: int | None = 0,
             level: float = 0.95) -> ScenarioResult:
    r"""Change of every unit's expected outcome when chosen units' regressors change.

    Parameters
    ----------
    results : SpatialResults
        A cross-sectional or static panel fit. For panels the change is that of every
        period's expected outcome when the units' regressors change by ``delta`` in that
        period (static models: the same in every period; fixed effects are unchanged).
    delta : DataFrame
        Indexed by unit id (only the units that change), one column per variable: a model
        regressor (the change enters linearly) or, for a formula model, a raw data column
        (the design is rebuilt, so ``np.log(x)`` or ``x:z`` change consistently).
    n_draws, seed : int
        Simulation of the parameters (seeded).
    level : float
        Coverage of the percentile bands.

    Returns
    -------
    ScenarioResult
        ``.units`` by unit, ``.by(partition)`` by group, ``.total()``.

    Examples
    --------
    A 10% higher capital inflow in the periphery: ``delta = 0.1 * cs.loc[periphery,
    ["capital_flow"]]``; ``res.scenario(delta).by("core", how="mean")`` gives the mean change
    of TFP in core and periphery counties.
    """
    if results.panel is not None and results.panel.get("dynamic"):
        raise ModelSpecificationError("scenarios of dynamic panels are not implemented; use "
                                      "results.effects(horizon=...) for their multipliers.")
    level = check_level(level)
    n_draws = check_count(n_draws, "n_draws", minimum=2)
    seed = check_seed(seed, allow_none=True)
    D, changed = _delta_matrix(results, delta)
    is_lag = kind_flags(results.kind).lag_y
    W = _unit_W(results) if (results.lagged_names or is_lag) else None
    exog = list(results.exog_names)
    lag_pos = [exog.index(c) for c in results.lagged_names]

    def change(beta, theta, r):
        v = D @ beta
        if lag_pos:
            v = v + W @ (D[:, lag_pos] @ theta)
        return _solve(W, r, v) if is_lag else v

    names = exog + [lag_name(c) for c in results.lagged_names]
    if is_lag:
        names.append("rho")
    beta, theta, r = _split_params(results)
    point = change(beta, theta, r if is_lag else 0.0)
    mean = results.params[names].to_numpy(dtype=float)
    cov = results.cov.loc[names, names].to_numpy(dtype=float)
    # the draws of the parameters and of every unit's change
    check_draws_memory(n_draws, len(mean) + len(results.ids), what="simulating the scenario")
    rng = np.random.default_rng(seed)
    P, rejected = _draw(mean, cov, int(n_draws), rng, len(names) - 1 if is_lag else None,
                        results.bounds)
    k, m = len(exog), len(lag_pos)
    if is_lag and len(results.ids) > SERIES_MIN_N:
        draws = _series_draws(W, D, lag_pos, P, k, m)
    else:
        draws = np.empty((P.shape[0], len(results.ids)))
        for i, p in enumerate(P):
            draws[i] = change(p[:k], p[k:k + m], p[-1] if is_lag else 0.0)
    a = (1 - level) / 2
    units = pd.DataFrame({"change": point, "std_error": draws.std(axis=0, ddof=1),
                          "lower": np.quantile(draws, a, axis=0),
                          "upper": np.quantile(draws, 1 - a, axis=0),
                          "changed": changed}, index=results.ids)
    return ScenarioResult(units=units, draws=draws, point=point, ids=results.ids,
                          level=level, results=results, rejected_draws=rejected,
                          param_draws=pd.DataFrame(P, columns=names))
