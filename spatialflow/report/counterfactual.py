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

#: Largest n for which the own-direct / within-group split is computed (dense eigenvectors).
MAX_SPLIT_UNITS = 2000


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
        One row per peripheral group: ``group, n, deficit, behind`` (deficit > 0),
        ``closed, closed_se, share, share_se`` (NaN unless behind), ``own, own_se,
        own_direct, own_direct_se, within_group, within_group_se, spillover, spillover_se,
        core_response, core_response_se, closed_lower, closed_upper``.
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
    diag = _Diagonal.build(W, D, masks, groups, rho=kind in LAG_KINDS)
    direct_point = (s * diag.direct(*_coefficients(params, variables, kind)) if diag is not None
                    else np.full(len(groups), np.nan))
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
        if diag is not None:
            direct_draws = np.stack([s * diag.direct(*c) for c in coefs])
    closed_draws = draws.sum(axis=2)
    if len(draws) > 1 and diag is not None:
        direct_se = direct_draws.std(axis=0, ddof=1)
        within_se = (draws[:, :, 0] - direct_draws).std(axis=0, ddof=1)
    else:
        direct_se = within_se = np.full(len(groups), np.nan)
    se = draws.std(axis=0, ddof=1) if len(draws) > 1 else np.full((len(groups), 3), np.nan)
    closed = point.sum(axis=1)
    closed_se = closed_draws.std(axis=0, ddof=1) if len(draws) > 1 else np.full(len(groups), np.nan)
    lo, hi = (np.percentile(closed_draws, [2.5, 97.5], axis=0) if len(draws) > 1
              else (np.full(len(groups), np.nan),) * 2)
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
        "closed": closed, "closed_se": closed_se, "share": share, "share_se": share_se,
        "own": point[:, 0], "own_se": se[:, 0], "own_direct": direct_point,
        "own_direct_se": direct_se, "within_group": within,
        "within_group_se": within_se, "spillover": point[:, 1],
        "spillover_se": se[:, 1], "core_response": point[:, 2], "core_response_se": se[:, 2],
        "closed_lower": lo, "closed_upper": hi})
    out.attrs.update(variables=variables, kind=kind, n_draws=n_draws, seed=seed,
                     shift={g: dict(zip(variables, D[k][masks[g]][0]))
                            for k, g in enumerate(groups)})
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
    def build(cls, W, D, masks, groups, *, rho: bool):
        n = W.shape[0]
        delta = np.array([D[g_pos][masks[g]][0] if masks[g].any() else np.zeros(D.shape[2])
                          for g_pos, g in enumerate(groups)])
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
