r"""Covariances of ML spatial estimators beyond the classical inverse information.

Every estimator here is an M-estimator: it solves :math:`\sum_r s_r(\hat\theta) = 0` over the
(transformed) rows :math:`r` of the data, with :math:`\theta = (\beta, \rho\text{ or }\lambda,
\sigma^2)`. With :math:`\Sigma` the information matrix of the classical covariance
(:math:`\hat V_{classic} = \Sigma^{-1}`), the covariances are sandwiches
:math:`\Sigma^{-1} S\, \Sigma^{-1}` that differ in the "meat" :math:`S`.

**Row scores.** For the lag model on the (within-transformed) data :math:`\tilde y,\tilde X`
with :math:`\varepsilon = \tilde y - \rho\widetilde{Wy} - \tilde X\beta` and
:math:`G = W(I-\rho W)^{-1}`:

.. math::
    s_{r,\beta} = \tilde x_r\varepsilon_r/\sigma^2,\qquad
    s_{r,\rho} = \widetilde{Wy}_r\,\varepsilon_r/\sigma^2 - c_r,\qquad
    s_{r,\sigma^2} = \varepsilon_r^2/(2\sigma^4) - d_r/(2\sigma^2),

and for the error model (:math:`\varepsilon = (I-\lambda W)(\tilde y - \tilde X\beta)`,
:math:`G = W(I-\lambda W)^{-1}`) :math:`\tilde x_r` is replaced by the filtered
:math:`(\tilde X - \lambda W\tilde X)_r` and :math:`\widetilde{Wy}_r` by :math:`(W\tilde u)_r`.
The constants split the log-determinant terms of the estimator's own equations over the rows
in proportion to their expectation under the model: :math:`c_r = m_t\,[M_nG]_{ii}` and
:math:`d_r = m_t\,[M_n]_{ii}` for the row of unit :math:`i` in period :math:`t`, with
:math:`m_t = (T-1)/T` under unit effects and :math:`M_n = I - \iota\iota'/n` under time
effects (Lee-Yu transformation approach); :math:`c_r = G_{ii}`, :math:`d_r = 1` for
cross-sections, pooled panels and the uncorrected within estimator. They add up exactly to
the log-determinant terms the estimator solves, so :math:`\sum_r s_r(\hat\theta) = 0`
(checked by the tests).

* ``"cluster"`` (panels; clusters are the units unless ``clusters=`` groups them):
  :math:`S = \tfrac{G}{G-1}\sum_g \big(\sum_{r\in g}s_r\big)\big(\sum_{r\in g}s_r\big)'`.
  Robust to heteroskedasticity and any serial correlation within a cluster.
* ``"driscoll-kraay"`` (panels): with the period sums :math:`h_t = \sum_{r\in t} s_r` and
  :math:`\Gamma_l = \sum_{t>l} h_t h_{t-l}'`,
  :math:`S = \Gamma_0 + \sum_{l=1}^{L}(1-\tfrac{l}{L+1})(\Gamma_l+\Gamma_l')` (Driscoll and
  Kraay 1998; Bartlett weights as Stata's ``xtscc``; default
  :math:`L = \lfloor 4(T/100)^{2/9}\rfloor`). Robust to cross-sectional dependence of any form
  and serial correlation up to lag :math:`L`; it needs a long panel (large T).
* ``"nonnormal"`` (cross-sections and pooled panels): the QML covariance of Lee (2004, Econometrica 72) for
  i.i.d. errors that are not normal. Each score is a linear-quadratic form
  :math:`a_j'\varepsilon + \varepsilon'B_j\varepsilon - \sigma^2\mathrm{tr}B_j`; with
  :math:`\mu_3 = E\varepsilon^3`, :math:`\mu_4 = E\varepsilon^4` (residual moments),

  .. math::
      \hat V = \Sigma^{-1} + \Sigma^{-1}\Omega\Sigma^{-1},\qquad
      \Omega_{jk} = (\mu_4 - 3\sigma^4)\sum_i B_{j,ii}B_{k,ii}
                  + \mu_3\sum_i (a_{j,i}B_{k,ii} + a_{k,i}B_{j,ii}),

  with :math:`a_\beta = X/\sigma^2` (lag) or :math:`(X-\lambda WX)/\sigma^2` (error),
  :math:`a_\rho = GX\beta/\sigma^2`, :math:`B_\rho = G/\sigma^2`,
  :math:`B_\lambda = G(\lambda)/\sigma^2`, :math:`B_{\sigma^2} = I/(2\sigma^4)`. Under
  normality :math:`\Omega = 0` and it is the classical covariance.

Only :math:`\mathrm{diag}(G)` (and for time effects the column sums of G) is needed: no dense
inverse beyond the exact-trace path of
:class:`~spatialflow.models.results.effects.EffectsKernel` (dense only for :math:`n\le 2000`). Above
that, the diagonal comes from the kernel's power series (exact for the first powers of W,
Hutchinson estimates for higher ones), so the row constants -- and the score sums -- are
accurate to that approximation.


Examples
--------
>>> import libpysal, numpy as np, pandas as pd
>>> import spatialflow as sf
>>> w = libpysal.weights.lat2W(5, 5); w.transform = "r"
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"code": np.tile(w.id_order, 6), "year": np.repeat(range(6), 25),
...                    "x": rng.normal(size=150)})
>>> df["y"] = df["x"] + rng.normal(size=150)
>>> model = sf.SAR.from_formula("y ~ x", data=df, w=w, id="code", time="year",
...                             effects="unit")
>>> dk = model.fit(cov_type="driscoll-kraay", lags=1)
>>> dk.cov_type, dk.extra["cov_label"]
('driscoll-kraay', 'Driscoll-Kraay (Bartlett, 1 lags)')
>>> bool(dk.params.equals(model.fit().params))   # same estimates, another covariance
True

References
----------
Lee, L.-F. (2004). Asymptotic distributions of quasi-maximum likelihood estimators for
spatial autoregressive models. *Econometrica* 72(6), 1899-1925.
Driscoll, J. C. and Kraay, A. C. (1998). Consistent covariance matrix estimation with
spatially dependent panel data. *Review of Economics and Statistics* 80(4), 549-560.
"""
from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...exceptions import IdMismatchError, InputError, ModelSpecificationError, format_ids
from .effects import EffectsKernel
from .._design.naming import kind_flags
from .._linalg.operator import SpatialOperator
from .._design.panel_data import lag_panel, unit_attribute, within

__all__ = ["COV_TYPES", "COVARIANCES", "CovarianceEstimator", "register_covariance",
           "with_covariance", "classic_fit", "row_scores", "default_dk_lags"]

#: The covariance types accepted by ``fit(cov_type=...)``.


_LABELS = {
    "classic": "classic (inverse information)",
    "nonnormal": "QML, non-normal i.i.d. errors (Lee 2004)",
    "cluster": "clustered by {what} ({G} clusters)",
    "driscoll-kraay": "Driscoll-Kraay (Bartlett, {lags} lags)",
}


@dataclass(frozen=True)
class RowScores:
    """Per-row scores of an ML fit and the pieces the sandwiches need.

    ``scores`` is (N, p + 1) over ``names`` (the params and ``sigma2``); ``unit`` and
    ``period`` are integer codes of each row (period 0 for a cross-section).
    """

    scores: np.ndarray
    names: list
    unit: np.ndarray
    period: np.ndarray
    n: int
    T: int
    resid: np.ndarray
    linear: dict          # parameter -> a_j (N,) linear part (for "nonnormal")
    diag: dict            # parameter -> diag(B_j) (N,) quadratic part (for "nonnormal")


def default_dk_lags(T: int) -> int:
    r"""Newey-West's rule used by Stata's ``xtscc``: :math:`\lfloor 4(T/100)^{2/9}\rfloor`."""
    return int(np.floor(4.0 * (T / 100.0) ** (2.0 / 9.0)))


def _diag_and_colsum_G(W: sp.csr_matrix, r: float, need_colsum: bool):
    """diag(G) and (optionally) the column sums of G = W (I - r W)^{-1}, without a dense
    inverse on large n (the effects kernel picks exact or series diagonals)."""
    n = W.shape[0]
    if r == 0:
        diag = W.diagonal().astype(float)
        col = np.asarray(W.sum(axis=0)).ravel() if need_colsum else None
        return diag, col
    diag = EffectsKernel(W).units([r])["diag_b"][0]
    col = None
    if need_colsum:
        # iota' W A^{-1} = z' with A' z = W' iota
        col = SpatialOperator.of(W).solve(r, np.asarray(W.T @ np.ones(n)).ravel(),
                                          transpose=True)
    return np.asarray(diag, dtype=float), col


def _solve(W: sp.csr_matrix, r: float, b: np.ndarray) -> np.ndarray:
    return SpatialOperator.of(W).solve(r, b)


def row_scores(results) -> RowScores:
    """Per-row scores of a cross-section or fixed-effects/pooled panel ML fit (module doc)."""
    model = results.model
    if model is None:
        raise ModelSpecificationError("these results carry no model: robust covariances need "
                                      "the data of the fit.")
    params = results.params
    spatial = results.spatial_param
    k = len(params) - (1 if spatial else 0)
    beta = params.to_numpy(dtype=float)[:k]
    r = float(params[spatial]) if spatial else 0.0
    sigma2 = float(results.sigma2)
    panel = results.panel
    if panel is None:
        f = model.frame
        n, T = f.n, 1
        W = f.W
        y, Z = np.asarray(f.y, float), np.asarray(f.X, float)
        unit_fx = time_fx = False
        corrected = False

        def unit_part(z):
            return z

        def time_part(z):
            return z

        def lag(z):
            return W @ z
    else:
        effects = panel["effects"]
        if effects == "random":
            raise ModelSpecificationError(
                "robust covariances are implemented for fixed-effects and pooled panels; the "
                "random-effects likelihood is not a sum over rows of the data. Use "
                "effects='unit' (or 'twoway') for cov_type='cluster'/'driscoll-kraay'.")
        pdata = model.panel_options.data
        n, T, W = pdata.n, pdata.T, pdata.W
        exog = list(params.index[:k - len(pdata.lagged_names)])
        Z = pdata.X[exog].to_numpy(dtype=float)
        if pdata.WX.shape[1]:
            Z = np.column_stack([Z, pdata.WX])
        y = np.asarray(pdata.y, float)
        unit_fx = effects in ("unit", "twoway")
        time_fx = effects in ("time", "twoway")
        corrected = panel.get("bias_correction") == "lee-yu"

        def unit_part(z):
            return within(z, n, T, "unit") if unit_fx else z

        def time_part(z):
            return within(z, n, T, "time") if time_fx else z

        def lag(z):
            return lag_panel(W, z, n, T)

    yu, Zu = unit_part(y), unit_part(Z)
    N = len(y)
    names = list(params.index) + ["sigma2"]
    linear, diag_q = {}, {}
    if spatial == "rho":
        Wyu = lag(yu)
        yt, Xt, Wyt = time_part(yu), time_part(Zu), time_part(Wyu)
        e = yt - r * Wyt - Xt @ beta
        Xs, Lsp = Xt, Wyt
    elif spatial == "lambda":
        uu = yu - Zu @ beta
        Wuu = lag(uu)
        e = time_part(uu - r * Wuu)
        Xs = time_part(Zu - r * lag(Zu))
        Lsp = time_part(Wuu)
    else:
        Xs = time_part(Zu)
        e = time_part(yu) - Xs @ beta
        Lsp = None
        # Least squares report s^2 = e'e/(N - k) in the classic covariance (the bread): the
        # scores must use the same variance, or the sandwich is off by N/(N - k).
        Vbb = results.cov_full.to_numpy(dtype=float)[:k, :k]
        sigma2 = float(np.mean(np.diag(Vbb @ (Xs.T @ Xs))))

    # Row constants of the log-determinant and sigma2 terms (module docstring).
    m_t = (T - 1) / T if (corrected and unit_fx) else 1.0
    shrink_n = corrected and time_fx
    S = np.empty((N, len(names)))
    S[:, :k] = Xs * (e / sigma2)[:, None]
    if spatial:
        dG, colG = _diag_and_colsum_G(W, r, need_colsum=shrink_n)
        c_unit = dG - colG / n if shrink_n else dG
        c = m_t * np.tile(c_unit, T)
        S[:, k] = Lsp * e / sigma2 - c
        diag_q[spatial] = np.tile(dG, T) / sigma2
        if spatial == "rho":
            Xb = (Z @ beta)
            linear[spatial] = time_part(unit_part(lag(_solve_panel(W, r, Xb, n, T)))) / sigma2
        else:
            linear[spatial] = np.zeros(N)
    d = m_t * ((n - 1) / n if shrink_n else 1.0)
    S[:, -1] = e**2 / (2 * sigma2**2) - d / (2 * sigma2)
    for j, name in enumerate(names[:k]):
        linear[name] = Xs[:, j] / sigma2
        diag_q[name] = np.zeros(N)
    linear["sigma2"] = np.zeros(N)
    diag_q["sigma2"] = np.full(N, 1.0 / (2 * sigma2**2))
    unit = np.tile(np.arange(n), T)
    period = np.repeat(np.arange(T), n)
    return RowScores(S, names, unit, period, n, T, e, linear, diag_q)


def _solve_panel(W, r, z, n, T):
    """(I_T kron (I - rW))^{-1} z for a time-major stacked vector."""
    if r == 0:
        return z
    return SpatialOperator.of(W).solve_panel(r, z, T)


def _sandwich(results, meat: np.ndarray) -> np.ndarray:
    V = results.cov_full.to_numpy(dtype=float)
    out = V @ meat @ V
    return 0.5 * (out + out.T)


def _cluster_codes(results, rs: RowScores, clusters):
    if clusters is None:
        return rs.unit, "unit"
    ids = results.ids
    if isinstance(clusters, str):
        model = results.model
        data = getattr(model, "data", None)
        if data is None or clusters not in data.columns:
            raise InputError(f"clusters={clusters!r} is not a column of the data.")
        if results.panel is not None:
            labels = unit_attribute(results, clusters)
        else:
            labels = data[clusters]
        what = clusters
    elif isinstance(clusters, pd.Series):
        labels, what = clusters, clusters.name or "the given groups"
    else:
        raise InputError("clusters must be None (by unit), the name of a unit-level column of "
                         "the data, or a Series of group labels indexed by unit id; "
                         f"{type(clusters).__name__} was given.")
    missing = ids.difference(labels.index)
    if len(missing):
        raise IdMismatchError(f"clusters has no label for {len(missing)} unit(s) of the fit "
                              f"{format_ids(missing)}.")
    labels = labels.reindex(ids) if labels.index.is_unique else None
    if labels is None:
        raise InputError("clusters must have one label per unit id (its index has duplicates).")
    if labels.isna().any():
        raise InputError(f"clusters has missing labels for units "
                         f"{format_ids(ids[labels.isna().to_numpy()])}.")
    codes = pd.factorize(labels)[0]
    return codes[rs.unit], what


def cluster_meat(rs: RowScores, codes: np.ndarray, what: str) -> tuple[np.ndarray, int]:
    G = int(codes.max()) + 1 if len(codes) else 0
    if G < 2:
        raise InputError(f"cov_type='cluster' needs at least 2 clusters; the {what} labels "
                         f"give {G}. A single cluster has no variance to estimate.")
    sums = np.zeros((G, rs.scores.shape[1]))
    np.add.at(sums, codes, rs.scores)
    return G / (G - 1) * sums.T @ sums, G


def dk_meat(rs: RowScores, lags: int) -> np.ndarray:
    h = np.zeros((rs.T, rs.scores.shape[1]))
    np.add.at(h, rs.period, rs.scores)
    S = h.T @ h
    for l in range(1, lags + 1):
        G = h[l:].T @ h[:-l]
        S += (1.0 - l / (lags + 1.0)) * (G + G.T)
    return S


def nonnormal_omega(rs: RowScores, sigma2: float) -> tuple[np.ndarray, float, float]:
    e = rs.resid
    mu3, mu4 = float(np.mean(e**3)), float(np.mean(e**4))
    names = rs.names
    A = np.column_stack([rs.linear[nm] for nm in names])
    D = np.column_stack([rs.diag[nm] for nm in names])
    excess = mu4 - 3.0 * sigma2**2
    omega = excess * D.T @ D + mu3 * (A.T @ D + D.T @ A)
    return omega, mu3, mu4


class CovarianceEstimator(ABC):
    """A covariance of the ML estimates computed after the fit from its row scores.

    Subclasses set :attr:`name` (the ``cov_type`` string) and implement :meth:`compute`;
    :func:`register_covariance` makes a subclass available to ``fit(cov_type=...)`` and
    ``res.with_cov(...)``. ``check`` refuses designs the estimator does not cover, naming
    the alternative.
    """

    #: The ``cov_type`` that selects this estimator.
    name: ClassVar[str] = ""

    def check(self, results) -> None:
        """Raise :class:`~spatialflow.exceptions.ModelSpecificationError` for a design this
        estimator does not cover (default: none)."""

    @abstractmethod
    def compute(self, results, rs: RowScores) -> tuple[np.ndarray, dict, str]:
        """``(cov_full, options, label)`` from the classic fit ``results`` and its scores."""


#: ``cov_type`` -> estimator class (:func:`register_covariance` adds to it).
COVARIANCES: dict[str, type[CovarianceEstimator]] = {}


def register_covariance(cls: type[CovarianceEstimator]) -> type[CovarianceEstimator]:
    """Class decorator: make ``cls`` available as ``cov_type=cls.name``."""
    if not cls.name or cls.name in COVARIANCES:
        raise ValueError(f"covariance estimator {cls.__name__} needs a new name; "
                         f"{cls.name!r} is empty or taken.")
    COVARIANCES[cls.name] = cls
    return cls


@register_covariance
class NonNormal(CovarianceEstimator):
    r"""Lee's (2004) QML covariance for non-normal i.i.d. errors:
    :math:`V + V\Omega V` with :math:`\Omega` from the third and fourth moments."""

    name = "nonnormal"

    def check(self, results) -> None:
        panel = results.panel
        if panel is not None and panel.get("effects") is not None:
            raise ModelSpecificationError(
                "cov_type='nonnormal' (Lee 2004) is implemented for cross-sections and pooled "
                "panels (i.i.d. errors); the within-transformed errors of a fixed-effects panel "
                "are not independent. Use cov_type='cluster' or 'driscoll-kraay'.")

    def compute(self, results, rs):
        omega, mu3, mu4 = nonnormal_omega(rs, float(results.sigma2))
        V = results.cov_full.to_numpy(dtype=float)
        cov = V + V @ omega @ V
        return 0.5 * (cov + cov.T), {"mu3": mu3, "mu4": mu4}, _LABELS["nonnormal"]


@register_covariance
class Cluster(CovarianceEstimator):
    """Sandwich clustered by unit (panels) or by ``clusters`` (any data)."""

    name = "cluster"

    def __init__(self, clusters=None):
        self.clusters = clusters

    def check(self, results) -> None:
        if results.panel is None and self.clusters is None:
            raise ModelSpecificationError(
                "cov_type='cluster' on a cross-section needs clusters= (groups of units, e.g. "
                "the prefecture city of each county).")

    def compute(self, results, rs):
        codes, what = _cluster_codes(results, rs, self.clusters)
        meat, G = cluster_meat(rs, codes, what)
        return (_sandwich(results, meat), {"clusters": what, "n_clusters": G},
                _LABELS["cluster"].format(what=what, G=G))


@register_covariance
class DriscollKraay(CovarianceEstimator):
    """Driscoll-Kraay: period sums of the scores with ``lags`` Bartlett lags (panels)."""

    name = "driscoll-kraay"

    def __init__(self, lags: int | None = None):
        self.lags = lags

    def check(self, results) -> None:
        if results.panel is None:
            raise ModelSpecificationError(
                "cov_type='driscoll-kraay' needs a panel (id=, time=): it sums scores over "
                "the units of each period. For a cross-section use cov_type='nonnormal'.")

    def compute(self, results, rs):
        T, lags = rs.T, self.lags
        if lags is None:
            lags = default_dk_lags(T)
        if isinstance(lags, bool) or not isinstance(lags, (int, np.integer)) or lags < 0:
            raise InputError(f"lags must be a non-negative integer; {lags!r} was given.")
        if lags >= T:
            raise InputError(f"the Driscoll-Kraay lag length must be shorter than the panel: "
                             f"lags < T = {T}; lags={lags} was given.")
        return (_sandwich(results, dk_meat(rs, int(lags))),
                {"lags": int(lags), "kernel": "bartlett"},
                _LABELS["driscoll-kraay"].format(lags=int(lags)))


def classic_fit(results):
    """The classic (inverse-information) fit behind ``results``: itself, or the one a
    robust covariance was computed from (kept in ``extra["classic_cov_full"]``)."""
    if results.extra.get("cov_type", "classic") == "classic":
        return results
    classic = results.extra.get("classic_cov_full")
    if classic is None:
        raise ModelSpecificationError(
            f"these results carry a {results.extra['cov_type']!r} covariance and not the "
            "classic fit it came from; refit with cov_type='classic'.")
    extra = {k: v for k, v in results.extra.items()
             if k not in ("cov_type", "cov_label", "cov_options", "classic_cov_full")}
    return dataclasses.replace(results, cov_full=classic, extra=extra)


#: The covariances an ML fit offers: ``"classic"`` and every registered estimator.
COV_TYPES = ("classic", *COVARIANCES)


def with_covariance(results, cov_type: str = "classic", *, lags: int | None = None,
                    clusters=None):
    """A new results object with the covariance ``cov_type`` (see the module docstring).

    Parameters
    ----------
    results : SpatialResults
        A classical ML fit (cross-section, pooled or fixed-effects panel).
    cov_type : {"classic", "nonnormal", "cluster", "driscoll-kraay"}
    lags : int, optional
        Driscoll-Kraay: the Bartlett lag length L, ``0 <= L < T`` (default
        :func:`default_dk_lags`).
    clusters : str or Series, optional
        Cluster: a unit-level column of the data or a Series of labels by unit id (e.g. the
        prefecture city of each county); default: each unit is its own cluster.

    Returns
    -------
    SpatialResults
        A copy with ``cov_full`` replaced and ``cov_type`` recorded (``results.cov_type``,
        ``results.extra["cov_options"]``); the input is not modified.
    """
    if cov_type not in COV_TYPES:
        raise InputError(f"cov_type must be one of {list(COV_TYPES)}; {cov_type!r} was given.")
    if results.extra.get("method", "ml") == "ml":
        results = classic_fit(results)  # every covariance is computed from the classic fit
    if cov_type != "driscoll-kraay" and lags is not None:
        raise InputError(f"lags= applies to cov_type='driscoll-kraay'; cov_type={cov_type!r} "
                         "was given.")
    if cov_type != "cluster" and clusters is not None:
        raise InputError(f"clusters= applies to cov_type='cluster'; cov_type={cov_type!r} was "
                         "given.")
    if cov_type == "classic":
        return classic_fit(results) if results.extra.get("method", "ml") == "ml" else results
    if results.extra.get("method", "ml") != "ml":
        raise ModelSpecificationError(
            f"cov_type={cov_type!r} applies to maximum-likelihood fits; a GMM fit takes "
            "its covariance at the fit: fit(method='gmm', cov_type='classic'|'white'|'hac').")
    flags = kind_flags(results.kind)
    if flags.lag_y and flags.error:
        raise ModelSpecificationError(
            f"cov_type={cov_type!r} is implemented for models with one spatial parameter; a "
            f"{results.kind} has rho and lambda. Use method='gmm' (heteroskedasticity-robust "
            "GS2SLS) for a robust alternative.")
    panel = results.panel
    if panel is not None and panel.get("dynamic"):
        raise ModelSpecificationError(
            f"cov_type={cov_type!r} is implemented for static panels; this is a dynamic "
            f"panel ({panel.get('dynamic')!r}).")
    options = {"cluster": {"clusters": clusters}, "driscoll-kraay": {"lags": lags}}
    estimator = COVARIANCES[cov_type](**options.get(cov_type, {}))
    estimator.check(results)
    rs = row_scores(results)
    cov, options, label = estimator.compute(results, rs)
    cov_full = pd.DataFrame(cov, index=results.cov_full.index, columns=results.cov_full.columns)
    extra = dict(results.extra, cov_type=cov_type, cov_label=label, cov_options=options,
                 classic_cov_full=results.cov_full)
    return dataclasses.replace(results, cov_full=cov_full, extra=extra)
