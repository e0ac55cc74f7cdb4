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
:math:`\Delta y^{(g)} = (I-\rho W)^{-1}(D_g\beta + W D_g\theta)`, computed by sparse LU
solves (no dense inverse).

Decomposition for group :math:`h` with outcome direction :math:`s` (+1 higher is better):

.. math::

    \text{own}_h = s\,\overline{\Delta y^{(h)}}_h,\quad
    \text{spillover}_h = s\sum_{g\ne h}\overline{\Delta y^{(g)}}_h,\quad
    \text{core response}_h = -s\sum_g\overline{\Delta y^{(g)}}_{\text{core}},

    \text{closed}_h = \text{own}_h + \text{spillover}_h + \text{core response}_h,\qquad
    \text{share}_h = \text{closed}_h / D_h,\quad D_h = s(\bar y_{\text{core}} - \bar y_h),

where :math:`\overline{v}_h` is the mean of :math:`v` over group :math:`h`'s units. "Own"
is the part through the group's own flows (direct effects and feedback among its units),
"spillover" the part through the other peripheral groups' flows, "core response" the change
of the core's own mean (spillovers from the periphery into the core), which reduces the gap
closed when the core gains too.

Standard errors: :math:`R` parameter vectors are drawn from :math:`N(\hat\vartheta,
\hat V)` (the model's covariance of :math:`\beta, \theta, \rho`), with draws of
:math:`\rho` outside the model's admissible interval redrawn; each statistic's SE is the SD
over the draws and the 95% interval their 2.5 and 97.5 percentiles. Per draw only group
means are needed: they come from the power series
:math:`\sum_j\rho^j W^j` (sparse products computed once, cut at a remainder below
1e-12 relative) when it converges quickly, otherwise from one sparse LU solve per draw. The point estimate is
at :math:`\hat\vartheta`. The observed deficit :math:`D_h` is treated as fixed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..exceptions import InputError, format_ids

__all__ = ["counterfactual", "LAG_KINDS"]

LAG_KINDS = ("SAR", "SDM", "SAC")


def _coefficients(params: pd.Series, variables: list[str], kind: str):
    beta = np.array([params[v] for v in variables], dtype=float)
    theta = np.array([params.get(f"W_{v}", 0.0) for v in variables], dtype=float)
    rho = float(params["rho"]) if kind in LAG_KINDS else 0.0
    return beta, theta, rho


def responses(W: sp.csr_matrix, D: np.ndarray, beta, theta, rho) -> np.ndarray:
    r"""Responses :math:`\Delta y^{(g)}` (n x G) to the shifts ``D`` (G x n x K)."""
    rhs = np.einsum("gik,k->ig", D, beta) + W @ np.einsum("gik,k->ig", D, theta)
    if rho == 0.0:
        return rhs
    A = (sp.identity(W.shape[0], format="csc") - rho * W.tocsc()).tocsc()
    return spla.splu(A).solve(np.ascontiguousarray(rhs))


def _statistics(dy: np.ndarray, masks: dict, core_mask: np.ndarray, groups: list, s: int):
    core_total = dy[core_mask].sum(axis=1).mean()
    out = []
    for g_pos, h in enumerate(groups):
        rows = masks[h]
        own = dy[rows, g_pos].mean()
        spill = dy[rows].sum(axis=1).mean() - own
        out.append((s * own, s * spill, -s * core_total))
    return np.array(out)  # G x 3


def counterfactual(results, X: pd.DataFrame, y: pd.Series, labels: pd.Series, *, core,
                   higher_is_better: bool, n_draws: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The counterfactual decomposition of every peripheral group's deficit (module docs).

    Parameters
    ----------
    results : SpatialResults
        A fitted model; uses ``kind``, ``params``, ``cov``, ``W``, ``ids``, ``exog_names``,
        ``bounds``.
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
    n_draws, seed : int
        Simulation draws for the standard errors and their seed (0 draws: no SEs).

    Returns
    -------
    pandas.DataFrame
        One row per peripheral group: ``group, n, deficit, closed, closed_se, share,
        share_se, own, own_se, spillover, spillover_se, core_response, core_response_se,
        closed_lower, closed_upper``.
    """
    kind = results.kind
    if kind not in ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC"):
        raise InputError(f"counterfactual needs an OLS/SLX/SAR/SEM/SDM/SDEM fit; kind {kind!r}.")
    variables = [v for v in results.exog_names if v != "Intercept"]
    ids = pd.Index(results.ids)
    missing = ids.difference(X.index)
    if len(missing):
        raise InputError(f"counterfactual: no regressor values for model units {format_ids(missing)}.")
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
    n = len(ids)
    D = np.zeros((len(groups), n, len(variables)))
    for g_pos, g in enumerate(groups):
        D[g_pos, masks[g]] = x_core - Xm[masks[g]].mean(axis=0)
    # OLS keeps no W: its response has no spatial part (an empty W gives exactly that).
    W = sp.csr_matrix((n, n)) if results.W is None else sp.csr_matrix(results.W)
    params = results.params
    point = _statistics(responses(W, D, *_coefficients(params, variables, kind)), masks,
                        core_mask, groups, s)
    y_core = np.nanmean(ym[core_mask])
    deficit = np.array([s * (y_core - np.nanmean(ym[masks[g]])) for g in groups])

    draws = np.full((0, len(groups), 3), np.nan)
    if n_draws:
        names = list(params.index)
        draws_p = _draw(params.to_numpy(float), results.cov.loc[names, names].to_numpy(float),
                        n_draws, np.random.default_rng(seed),
                        names.index("rho") if kind in LAG_KINDS else None,
                        results.bounds if kind in LAG_KINDS else None)
        coefs = [_coefficients(pd.Series(p, index=names), variables, kind) for p in draws_p]
        series = _SeriesMeans.build(W, D, masks, core_mask, groups,
                                    max(abs(c[2]) for c in coefs))
        if series is not None:
            draws = np.stack([series.statistics(*c, s) for c in coefs])
        else:
            draws = np.stack([_statistics(responses(W, D, *c), masks, core_mask, groups, s)
                              for c in coefs])
    closed_draws = draws.sum(axis=2)
    se = draws.std(axis=0, ddof=1) if len(draws) > 1 else np.full((len(groups), 3), np.nan)
    closed = point.sum(axis=1)
    closed_se = closed_draws.std(axis=0, ddof=1) if len(draws) > 1 else np.full(len(groups), np.nan)
    lo, hi = (np.percentile(closed_draws, [2.5, 97.5], axis=0) if len(draws) > 1
              else (np.full(len(groups), np.nan),) * 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(deficit != 0, closed / deficit, np.nan)
        share_se = np.where(deficit != 0, closed_se / np.abs(deficit), np.nan)
    out = pd.DataFrame({
        "group": groups, "n": [int(masks[g].sum()) for g in groups], "deficit": deficit,
        "closed": closed, "closed_se": closed_se, "share": share, "share_se": share_se,
        "own": point[:, 0], "own_se": se[:, 0], "spillover": point[:, 1],
        "spillover_se": se[:, 1], "core_response": point[:, 2], "core_response_se": se[:, 2],
        "closed_lower": lo, "closed_upper": hi})
    out.attrs.update(variables=variables, kind=kind, n_draws=n_draws, seed=seed,
                     shift={g: dict(zip(variables, D[k][masks[g]][0]))
                            for k, g in enumerate(groups)})
    return out


class _SeriesMeans:
    r"""Group means of :math:`\Delta y^{(g)}` for many draws of :math:`(\beta,\theta,\rho)`.

    :math:`(I-\rho W)^{-1} = \sum_{j\ge0}\rho^j W^j` when :math:`|\rho|\,\|W\|_\infty < 1`,
    so the group means are :math:`\sum_j \rho^j\sum_k(\beta_k a_{jk} + \theta_k a_{j+1,k})`
    with :math:`a_{jk} = M W^j D_{\cdot k}` (M averages over groups). The terms are built
    once with sparse products; the series is cut where the remainder bound
    :math:`(|\rho|\|W\|_\infty)^{J+1}/(1-|\rho|\|W\|_\infty)` times the largest shift is
    below ``tol`` relative to it. Not used (None) when the series would be long or diverge:
    the draws then use sparse LU solves.
    """

    def __init__(self, A, groups, core_index):
        self.A = A                    # (J+2, K, H, G): means over H receiving sets
        self.groups = groups
        self.core_index = core_index

    @classmethod
    def build(cls, W, D, masks, core_mask, groups, rho_max, tol=1e-12, max_terms=600):
        norm = float(abs(W).sum(axis=1).max()) if W.nnz else 0.0
        q = rho_max * norm
        if q >= 0.98:
            return None
        terms = 1 if q == 0 else int(np.ceil(np.log(tol * (1 - q)) / np.log(q)))
        if terms > max_terms:
            return None
        G, n, K = D.shape
        sets = [masks[g] for g in groups] + [core_mask]
        M = np.zeros((len(sets), n))
        for h, m in enumerate(sets):
            M[h, m] = 1.0 / m.sum()
        V = D.transpose(1, 2, 0).reshape(n, K * G)    # columns (k, g)
        A = np.empty((terms + 2, K, len(sets), G))
        for j in range(terms + 2):
            A[j] = (M @ V).reshape(len(sets), K, G).transpose(1, 0, 2)
            V = W @ V
        return cls(A, groups, len(sets) - 1)

    def statistics(self, beta, theta, rho, s):
        J = self.A.shape[0] - 2
        powers = rho ** np.arange(J + 1)
        base = np.einsum("j,jkhg->khg", powers, self.A[:-1])
        lagged = np.einsum("j,jkhg->khg", powers, self.A[1:])
        means = np.einsum("k,khg->hg", beta, base) + np.einsum("k,khg->hg", theta, lagged)
        core_total = means[self.core_index].sum()
        out = []
        for g_pos in range(len(self.groups)):
            own = means[g_pos, g_pos]
            out.append((s * own, s * (means[g_pos].sum() - own), -s * core_total))
        return np.array(out)


def _draw(mean, cov, n_draws, rng, rho_pos, bounds, max_rounds: int = 100):
    """Multivariate normal draws; draws of rho outside ``bounds`` are redrawn."""
    cov = (cov + cov.T) / 2
    out = rng.multivariate_normal(mean, cov, size=n_draws, method="eigh")
    if rho_pos is None or bounds is None:
        return out
    lo, hi = bounds
    for _ in range(max_rounds):
        bad = (out[:, rho_pos] <= lo) | (out[:, rho_pos] >= hi)
        if not bad.any():
            return out
        out[bad] = rng.multivariate_normal(mean, cov, size=int(bad.sum()), method="eigh")
    raise InputError("counterfactual: could not draw rho inside its admissible interval "
                     f"{bounds} (estimate {mean[rho_pos]:.4f}); the covariance is too wide.")
