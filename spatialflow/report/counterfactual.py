r"""Counterfactual decomposition of the core-periphery deficit through a model's reduced form.

Question: how much of peripheral group :math:`h`'s mean deficit in the outcome :math:`y`
(TFP, the income ratio, ...) against the core would close if the factor flows of every
peripheral group were at the core's levels?

Model and reduced form. For a fitted SAR / SDM / SAC (lag models) with regressors :math:`X`,
lagged regressors :math:`WX` and fixed effects or intercept :math:`\alpha`,

.. math::

    y = (I-\rho W)^{-1}(X\beta + WX\theta + \alpha + \varepsilon),

and for SLX / SEM / SDEM / OLS the same with :math:`\rho = 0` in the mean (the error
process does not move :math:`E[y]`). Shifting the regressors by :math:`\Delta X` moves the
expected outcome by :math:`\Delta y = (I-\rho W)^{-1}(\Delta X\beta + W\Delta X\theta)`.

Scenario. Each peripheral group :math:`g` has its units' regressors raised (or lowered) to
the core's means: :math:`\delta_g = \bar x_{\text{core}} - \bar x_g` (1 x K, means over the
units in the **last period** of the panel; a cross-section's only period), i.e.
:math:`\Delta X = \sum_g D_g`, with :math:`D_g = 1_g\delta_g` (rows of group :math:`g`).
The response to group :math:`g`'s shift is
:math:`\Delta y^{(g)} = (I-\rho W)^{-1}(D_g\beta + W D_g\theta)`, computed by the library's
scenario (sparse solves, no dense inverse).

Decomposition for group :math:`h` with outcome direction :math:`s` (+1 higher is better):

.. math::

    \text{own}_h = s\,\overline{\Delta y^{(h)}}_h,\quad
    \text{spillover}_h = s\sum_{g\ne h}\overline{\Delta y^{(g)}}_h,\quad
    \text{core response}_h = -s\sum_g\overline{\Delta y^{(g)}}_{\text{core}},

    \text{closed}_h = \text{own}_h + \text{spillover}_h + \text{core response}_h,\qquad
    \text{share}_h = \text{closed}_h / D_h,\quad D_h = s(\bar y_{\text{core}} - \bar y_h),

where :math:`\overline{v}_h` is the mean of :math:`v` over group :math:`h`'s units. "Own"
is the part through the group's own flows, "spillover" the part through the other peripheral
groups' flows, "core response" the change of the core's own mean (spillovers from the
periphery into the core), which reduces the gap closed when the core gains too. "Own" is
split into each unit's **direct** effect of its own shift (the diagonal of
:math:`S_k = (I-\rho W)^{-1}(\beta_k I + \theta_k W)`, feedback included) and the
spillovers **within the group** (its off-diagonal part among the group's units):

.. math::

    \text{own direct}_h = s\sum_k \delta_{hk}\,\overline{\operatorname{diag}(S_k)}_h,
    \qquad \text{within group}_h = \text{own}_h - \text{own direct}_h,

with :math:`\operatorname{diag}(S_k)` from the eigendecomposition :math:`W = V\Lambda V^{-1}`
(:math:`[(I-\rho W)^{-1}]_{ii} = \sum_j V_{ij}V^{-1}_{ji}/(1-\rho\lambda_j)`), computed once
for up to 2,000 units (beyond that the split is left out, NaN). The share is reported only
for a group **behind** the core (:math:`D_h > 0`); for a group level with or ahead of the
core a share of its "deficit" means nothing (NaN).

Computation: the library's own scenario. Each group's shift :math:`D_g` is one
:func:`spatialflow.models.results.prediction.scenario` (``results.scenario(delta_g, seed=...)``),
and the group means :math:`\overline{\Delta y^{(g)}}_h` are its ``by(labels, how="mean")``
(point) and ``by_draws`` (simulated). All groups' scenarios are drawn with the **same**
seed, so they share one set of parameter draws and the statistics above combine them draw
by draw; the report's numbers are therefore those of ``res.scenario`` for the same seed
(``closed`` is the difference of the all-groups scenario's group means, ``own`` the group's
own scenario's mean over its units). The scenario draws the parameters on the correlation
scale (so that covariances spanning many orders of magnitude keep their small-variance
directions), redraws :math:`\rho`
outside its admissible interval, and solves with sparse LU or, above 2,000 units, the
power series.

Standard errors: :math:`R` parameter vectors from :math:`N(\hat\vartheta, \hat V)`; each
statistic's SE is the SD over the draws and the 95% interval their 2.5 and 97.5 percentiles.
The point estimate is at :math:`\hat\vartheta`. The observed deficit :math:`D_h` is treated
as fixed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._random import as_int_seed
from ..exceptions import InputError, format_ids

__all__ = ["counterfactual", "LAG_KINDS"]

LAG_KINDS = ("SAR", "SDM", "SAC")

#: Largest n for which the own-direct / within-group split is computed (dense eigenvectors).
MAX_SPLIT_UNITS = 2000


def _coefficients(params: pd.Series, variables: list[str], kind: str):
    beta = np.array([params[v] for v in variables], dtype=float)
    theta = np.array([params.get(f"W_{v}", 0.0) for v in variables], dtype=float)
    rho = float(params["rho"]) if kind in LAG_KINDS else 0.0
    return beta, theta, rho


def _statistics(means: np.ndarray, groups: list, s: int) -> np.ndarray:
    r"""(own, spillover, core response) of every group from the group means
    ``means[..., g, h]`` of :math:`\Delta y^{(g)}` over group ``h`` (the core last)."""
    own = np.stack([means[..., g, g] for g in range(len(groups))], axis=-1)
    spill = means[..., :, :-1].sum(axis=-2) - own
    core = -means[..., :, -1].sum(axis=-1)
    return s * np.stack([own, spill, np.broadcast_to(core[..., None], own.shape)], axis=-1)


def counterfactual(results, X: pd.DataFrame, y: pd.Series, labels: pd.Series, *, core,
                   higher_is_better: bool, n_draws: int = 1000, rng=0,
                   seed=None) -> pd.DataFrame:
    """The counterfactual decomposition of every peripheral group's deficit (module docs).

    Parameters
    ----------
    results : SpatialResults
        A fitted model (``kind``, ``params``, ``W``, ``ids``, ``exog_names`` and its
        ``scenario`` method).
    X : pandas.DataFrame
        The regressors (columns named as in ``results.exog_names``) of the period used,
        indexed by unit id.
    y : pandas.Series
        The outcome of the same period, indexed by unit id (for the observed deficit).
    labels : pandas.Series
        Group of each unit, indexed by unit id.
    core : object
        The core group's label.
    higher_is_better : bool
        Direction of the outcome.
    n_draws : int
        Simulation draws for the standard errors (0: no SEs).
    rng : int, numpy.random.Generator or None
        Seed of the draws (SPEC 7); every group's scenario uses the same integer seed
        (drawn from a Generator once). ``seed`` is its alias.

    Returns
    -------
    pandas.DataFrame
        One row per peripheral group: ``group, n, deficit, behind`` (deficit > 0),
        ``closed, closed_std_error, share, share_std_error`` (NaN unless behind), ``own,
        own_std_error, own_direct, own_direct_std_error, within_group, within_group_std_error,
        spillover, spillover_std_error, core_response, core_response_std_error, closed_lower,
        closed_upper``.
        ``attrs["seed"]`` is the integer seed of the scenarios.
    """
    kind = results.kind
    if kind not in ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC"):
        raise InputError(f"counterfactual needs an OLS/SLX/SAR/SEM/SDM/SDEM/SAC fit; kind "
                         f"{kind!r} was given.")
    seed = as_int_seed(rng, seed)
    variables = [v for v in results.exog_names if v != "Intercept"]
    ids = pd.Index(results.ids)
    missing = ids.difference(X.index)
    if len(missing):
        raise InputError("counterfactual: no regressor values for model units "
                         f"{format_ids(missing)}.")
    Xm = X.reindex(ids)[variables].to_numpy(dtype=float)
    ym = y.reindex(ids).to_numpy(dtype=float)
    lab = labels.reindex(ids).to_numpy()
    if np.isnan(Xm).any():
        bad = ids[np.isnan(Xm).any(axis=1)]
        raise InputError(f"counterfactual: missing regressor values for units {format_ids(bad)}.")
    s = 1 if higher_is_better else -1
    core_mask = lab == core
    groups = [g for g in pd.unique(lab) if g != core]
    masks = {g: lab == g for g in groups}
    x_core = Xm[core_mask].mean(axis=0)
    shift = {g: x_core - Xm[masks[g]].mean(axis=0) for g in groups}
    partition = pd.Series(lab, index=ids)
    order = [*groups, core]
    # one scenario per group's shift, all with the same seed: the same parameter draws
    points, draws, params = [], [], None
    for g in groups:
        delta = pd.DataFrame(np.tile(shift[g], (int(masks[g].sum()), 1)),
                             index=ids[masks[g]], columns=variables)
        sc = results.scenario(delta, n_draws=max(int(n_draws), 2), seed=seed)
        points.append(sc.by(partition, how="mean")["change"].reindex(order).to_numpy())
        draws.append(sc.by_draws(partition, how="mean")[order].to_numpy())
        params = sc.param_draws
    point = _statistics(np.array(points), groups, s)                 # (G, 3)
    draws = (_statistics(np.stack(draws, axis=1), groups, s) if n_draws
             else np.full((0, len(groups), 3), np.nan))             # (R, G, 3)
    W = None if results.W is None else sp.csr_matrix(results.W, dtype=float)
    n = len(ids)
    diag = _Diagonal.build(sp.csr_matrix((n, n)) if W is None else W,
                           np.array([shift[g] for g in groups]), masks, groups,
                           rho=kind in LAG_KINDS)
    direct_point = (s * diag.direct(*_coefficients(results.params, variables, kind))
                    if diag is not None else np.full(len(groups), np.nan))
    y_core = np.nanmean(ym[core_mask])
    deficit = np.array([s * (y_core - np.nanmean(ym[masks[g]])) for g in groups])

    nan = np.full(len(groups), np.nan)
    closed = point.sum(axis=1)
    if len(draws) > 1:
        se = draws.std(axis=0, ddof=1)
        closed_draws = draws.sum(axis=2)
        closed_se = closed_draws.std(axis=0, ddof=1)
        lo, hi = np.percentile(closed_draws, [2.5, 97.5], axis=0)
        if diag is not None:
            direct_draws = np.stack([s * diag.direct(*_coefficients(row, variables, kind))
                                     for _, row in params.iterrows()])
            direct_se = direct_draws.std(axis=0, ddof=1)
            within_se = (draws[:, :, 0] - direct_draws).std(axis=0, ddof=1)
        else:
            direct_se = within_se = nan
    else:
        se = np.full((len(groups), 3), np.nan)
        closed_se = lo = hi = direct_se = within_se = nan
    within = point[:, 0] - direct_point
    # a group of one unit has no within-group spillover: 0, not round-off
    within = np.where(np.abs(within) <= 1e-10 * np.abs(point[:, 0]), 0.0, within)
    behind = deficit > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # a share of a "deficit" that is zero or negative (level with or ahead of the core)
        # means nothing: -3304 % is not a finding
        share = np.where(behind, closed / deficit, np.nan)
        share_se = np.where(behind, closed_se / np.abs(deficit), np.nan)
    out = pd.DataFrame({
        "group": groups, "n": [int(masks[g].sum()) for g in groups], "deficit": deficit,
        "behind": behind,
        "closed": closed, "closed_std_error": closed_se, "share": share,
        "share_std_error": share_se,
        "own": point[:, 0], "own_std_error": se[:, 0], "own_direct": direct_point,
        "own_direct_std_error": direct_se, "within_group": within,
        "within_group_std_error": within_se, "spillover": point[:, 1],
        "spillover_std_error": se[:, 1], "core_response": point[:, 2],
        "core_response_std_error": se[:, 2],
        "closed_lower": lo, "closed_upper": hi})
    out.attrs.update(variables=variables, kind=kind, n_draws=n_draws, seed=seed,
                     shift={g: dict(zip(variables, shift[g])) for g in groups})
    return out


class _Diagonal:
    r"""Group means of the direct part :math:`\operatorname{diag}(S_k)` of each group's own
    shift, for any :math:`(\beta, \theta, \rho)` (module docstring).

    With :math:`W = V\Lambda V^{-1}`, :math:`c_{hj} = \overline{V_{ij}V^{-1}_{ji}}_{i\in h}`:
    :math:`\overline{[(I-\rho W)^{-1}]_{ii}}_h = \sum_j c_{hj}/(1-\rho\lambda_j)` and
    :math:`\overline{[(I-\rho W)^{-1}W]_{ii}}_h = \sum_j c_{hj}\lambda_j/(1-\rho\lambda_j)`.
    """

    def __init__(self, c, lam, delta, rho, dw=None):
        self.c = c              # (G, n): averaging weights (complex with a lag)
        self.lam = lam          # (n,) complex eigenvalues (with a lag)
        self.delta = delta      # (G, K) each group's shift
        self.rho = rho          # whether the model has a spatial lag
        self.dw = dw            # diag(W) (without a lag)

    @classmethod
    def build(cls, W, delta, masks, groups, *, rho: bool):
        """``delta`` (G x K): each group's shift of its units' regressors."""
        n = W.shape[0]
        if not rho or W.nnz == 0:
            # no lag: diag(S_k) = beta_k + theta_k diag(W), and diag(W) = 0 for a W
            # without self-neighbours; computed directly
            dw = np.asarray(W.diagonal()) if W.nnz else np.zeros(n)
            c = np.array([np.where(masks[g], 1.0 / masks[g].sum(), 0.0) for g in groups])
            return cls(c, None, delta, False, dw)
        if n > MAX_SPLIT_UNITS:
            return None
        lam, V = np.linalg.eig(W.toarray())
        try:
            Vinv = np.linalg.inv(V)
        except np.linalg.LinAlgError:
            return None
        prod = V * Vinv.T                     # (n, n): V_ij Vinv_ji
        c = np.array([prod[masks[g]].mean(axis=0) for g in groups])
        return cls(c, lam, delta, True)

    def direct(self, beta, theta, rho):
        """Unsigned mean direct response of each group to its own shift (length G)."""
        beta = np.asarray(beta, float)
        theta = np.asarray(theta, float)
        if not self.rho:
            a = self.c.sum(axis=1)            # = 1: mean of the identity's diagonal
            b = self.c @ self.dw
        else:
            f = 1.0 / (1.0 - rho * self.lam)
            a = np.real(self.c @ f)
            b = np.real(self.c @ (self.lam * f))
        return self.delta @ beta * a + self.delta @ theta * b
