r"""Ring exposure (Butts 2023): direct effects and spillovers on untreated neighbours.

For unit :math:`i` in period :math:`t` let :math:`d_{it} = \min\{d_{ij} : D_{jt} = 1\}` be
the distance to the nearest unit treated by :math:`t` (:math:`\infty` before any
adoption). With breakpoints :math:`r_0 < r_1 < \dots < r_K` the exposure terms are

.. math::
    R^{(k)}_{it} = (1 - D_{it})\,\mathbb 1\{r_{k-1} \le d_{it} < r_k\}\quad (k < K),\qquad
    R^{(K)}_{it} = (1 - D_{it})\,\mathbb 1\{r_{K-1} \le d_{it} \le r_K\}

(interior rings half-open, the outermost closed: ``diff-diff``'s convention), and the model

.. math::
    y_{it} = \tau D_{it} + \sum_k \delta_k R^{(k)}_{it} + x_{it}\gamma + \mu_i + \lambda_t
             + \varepsilon_{it}.

**Estimands** (Butts 2023, Prop. 2.3, under parallel trends and no spillovers beyond
:math:`r_K`): :math:`\tau` is the ATT on the treated (their own effect plus spillovers from
other treated units), :math:`\delta_k` the average spillover on untreated units in ring
:math:`k`; the untreated units beyond :math:`r_K` ("far away") are the clean comparison
group. ``effects()`` reports ``direct`` = :math:`\tau`, ``indirect`` = the exposure-weighted
mean spillover :math:`\sum_k w_k\delta_k` (:math:`w_k` the share of exposed untreated rows in
ring :math:`k`; delta-method SE :math:`\sqrt{w'Vw}`), and ``total`` as NaN: in the ring
design the spillover falls on *other* units than the direct effect, so the two do not add
up to a per-unit effect (the SDM-DID's total does).

Distances: great-circle km between unit locations (``coords=``, ``rings`` = breakpoints in
km) or contiguity orders of ``w`` (``rings`` = an int K: ring k holds the untreated units
whose nearest treated unit is k contiguity steps away, k = 1..K).

Estimators: ``estimator="twfe"`` (ours) is the one-step least-squares fit of the model with
unit and period effects swept out (two-way within transform of a balanced panel). Its
covariance: ``"classic"`` HC1 with :math:`N/(N - k - n - T + 1)`, ``"cluster"`` CR1 by unit
:math:`\tfrac{G}{G-1}\tfrac{N-1}{N-k-n-T+1}`, ``"conley"`` (:mod:`spatialflow.causal.conley`).
Under staggered adoption with heterogeneous effects the one-step fit is biased;
``estimator="gardner"`` calls ``diff-diff``'s ``SpilloverDiD`` (Gardner's two-stage DiD:
unit and period effects from the untreated and unexposed rows only), which is robust to
that heterogeneity. Without controls and with one adoption date the two give the same
point estimates (Gardner's identity; checked by the tests).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import _stats as stats
from ..exceptions import ExposureError, InputError, ModelSpecificationError
from .conley import conley_meat, pairwise_distance, spatial_kernel, unit_coordinates
from .treatment import treatment_paths

__all__ = ["RingsDesign", "RingsFit", "RingsKernel", "ring_exposure", "contiguity_orders",
           "fit_rings"]


def contiguity_orders(W) -> np.ndarray:
    """Shortest-path number of contiguity steps between units (inf if unreachable)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import shortest_path
    A = sp.csr_matrix(W)
    A = sp.csr_matrix((np.ones(A.nnz), A.indices, A.indptr), shape=A.shape)
    return shortest_path(A, method="D", unweighted=True, directed=False)


def _breakpoints(rings) -> tuple[np.ndarray, list, str]:
    """(breakpoints, labels, kind) from ``rings``: an int K (contiguity orders) or distances."""
    if isinstance(rings, (int, np.integer)) and not isinstance(rings, bool):
        if rings < 1:
            raise ExposureError(f"rings as contiguity orders must be an int >= 1; {rings} was "
                                "given.")
        K = int(rings)
        # [0, 1.5), [1.5, 2.5), ...: ring k holds order k (and the treated units, d = 0,
        # in the first ring, whose exposure (1 - D) removes them; diff-diff's convention)
        breaks = np.concatenate([[0.0], np.arange(1, K + 1) + 0.5])
        return breaks, [f"order {k}" for k in range(1, K + 1)], "order"
    try:
        br = np.asarray(list(rings), dtype=float)
    except (TypeError, ValueError):
        raise ExposureError(f"rings must be an int (contiguity orders) or a sequence of "
                            f"distance breakpoints in km; {rings!r} was given.") from None
    if br.ndim != 1 or br.size < 2 or not np.isfinite(br).all() or (br < 0).any() \
            or (np.diff(br) <= 0).any():
        raise ExposureError(f"ring breakpoints must be at least 2 finite, non-negative, "
                            f"strictly increasing distances; {list(rings)} was given.")
    K = br.size - 1
    labels = [f"[{br[k]:g}, {br[k + 1]:g}{']' if k == K - 1 else ')'}" for k in range(K)]
    return br, labels, "distance"


def ring_exposure(D: np.ndarray, dist: np.ndarray, breakpoints: np.ndarray) -> np.ndarray:
    r"""Ring indicators :math:`R^{(k)}_{it}`, shape (T, n, K), from the treatment (T, n)
    and the unit distances (n, n) (module docstring)."""
    T, n = D.shape
    treated = D > 0
    d = np.full((T, n), np.inf)
    for t in range(T):
        if treated[t].any():
            d[t] = dist[:, treated[t]].min(axis=1)
    K = len(breakpoints) - 1
    out = np.zeros((T, n, K))
    for k in range(K):
        lo, hi = breakpoints[k], breakpoints[k + 1]
        inside = (d >= lo) & ((d <= hi) if k == K - 1 else (d < hi))
        out[:, :, k] = inside & ~treated
    return out


@dataclass
class RingsDesign:
    """The validated panel of a ring model: stacked data, paths, distances, exposures."""

    did: object
    y: np.ndarray
    controls: pd.DataFrame
    paths: object
    dist: np.ndarray
    breakpoints: np.ndarray
    labels: list
    kind: str
    ids: pd.Index
    times: pd.Index
    coords: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def build(cls, did, D: pd.Series) -> "RingsDesign":
        from ..models import OLS
        # the package's panel checks (balance, duplicates, ids against w, finiteness)
        X = pd.concat([did._controls, D], axis=1)
        spec = OLS(did._y, X, did.w, data=did.data, id=did.id, time=did.time,
                   effects="twoway", add_constant=False).panel_options
        pdata = spec.data
        paths = treatment_paths(did.data, did.treatment, did.id, did.time, pdata.ids,
                                pdata.times, absorbing=did.absorbing,
                                require_never_treated=did.require_never_treated)
        breakpoints, labels, kind = _breakpoints(did.rings)
        coords = None
        if did.coords is not None:
            coords = unit_coordinates(did.coords, did.data, did.id, pdata.ids)
        if kind == "order":
            dist = contiguity_orders(pdata.W)
        else:
            if coords is None:
                raise ExposureError("distance rings need unit locations: pass coords= (lat, "
                                    "lon columns of the data or a frame by id), or give rings "
                                    "as an int for contiguity orders of w.")
            dist = pairwise_distance(coords, did.metric)
        controls = pdata.X.drop(columns=[did.treatment]).drop(columns=["Intercept"],
                                                               errors="ignore")
        out = cls(did=did, y=np.asarray(pdata.y, float), controls=controls, paths=paths,
                  dist=dist, breakpoints=breakpoints, labels=labels, kind=kind,
                  ids=pdata.ids, times=pdata.times, coords=coords)
        out._check_exposure()
        return out

    def exposure(self) -> np.ndarray:
        """Ring indicators stacked time-major, (nT, K)."""
        R = ring_exposure(self.paths.D, self.dist, self.breakpoints)
        return R.reshape(-1, R.shape[2])

    def _check_exposure(self) -> None:
        R = self.exposure()
        empty = [lab for lab, c in zip(self.labels, R.sum(axis=0)) if c == 0]
        if empty:
            raise ExposureError(f"no untreated row falls in ring(s) {empty}; their spillover is "
                                "not identified. Use other breakpoints.")
        clean = (R.sum(axis=1) == 0) & (self.paths.stacked() == 0)
        post = self.paths.D.reshape(-1) > 0
        periods = np.repeat(np.arange(self.paths.T), self.paths.n)
        adopted = np.unique(periods[post])
        missing = self.times[[t for t in adopted if not clean[periods == t].any()]].tolist()
        if missing:
            raise ExposureError(
                f"in period(s) {missing} every untreated unit lies within the outermost ring "
                f"({self.breakpoints[-1]:g}); no far-away comparison is left (Butts 2023, "
                "Assumption 5). Use a smaller outermost ring.")


class RingsKernel:
    """Point effects of the one-step ring regression for any treatment paths (randomisation
    inference): the exposures are rebuilt from the permuted paths, the two-way demeaned
    regression refitted; ``direct`` = tau, ``indirect`` = the exposure-weighted mean ring
    spillover, ``total`` = NaN (as :meth:`RingsFit.effects`)."""

    def __init__(self, design: RingsDesign):
        from ._bridge import within
        self.dist, self.breakpoints = design.dist, design.breakpoints
        self.n, self.T = design.paths.n, design.paths.T
        self.yt = within(design.y, self.n, self.T, "twoway")
        self.Ct = within(design.controls.to_numpy(float), self.n, self.T, "twoway")
        self._within = within

    def effects_of(self, paths) -> dict:
        R = ring_exposure(paths.D, self.dist, self.breakpoints).reshape(self.n * self.T, -1)
        Z = self._within(np.column_stack([paths.stacked(), R]), self.n, self.T, "twoway")
        coef, *_ = np.linalg.lstsq(np.column_stack([Z, self.Ct]), self.yt, rcond=None)
        counts = R.sum(axis=0)
        indirect = float(coef[1:1 + R.shape[1]] @ counts / counts.sum()) if counts.sum() \
            else np.nan
        return {"direct": float(coef[0]), "indirect": indirect, "total": np.nan}


@dataclass(frozen=True)
class RingsFit:
    """A fitted ring model: coefficients, covariance, the ring table."""

    params: pd.Series
    cov: pd.DataFrame
    ring_table: pd.DataFrame
    weights: pd.Series
    estimator: str
    cov_label: str
    nobs: int

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index,
                         name="bse")

    @property
    def tvalues(self) -> pd.Series:
        return (self.params / self.bse).rename("tvalues")

    @property
    def pvalues(self) -> pd.Series:
        # normal reference distribution, as the ring table's p_value column
        return stats.wald_pvalues(self.tvalues)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        return stats.wald_interval(self.params, self.bse, level)

    def effects(self, level: float = 0.95) -> pd.DataFrame:
        """``direct`` (tau), ``indirect`` (exposure-weighted spillover), ``total`` (NaN)."""
        z = float(stats.norm.ppf(0.5 + level / 2))
        names = list(self.weights.index)
        g_ind = np.zeros(len(self.params))
        idx = [self.params.index.get_loc(c) for c in names]
        g_ind[idx] = self.weights.to_numpy()
        g_dir = np.zeros(len(self.params))
        g_dir[0] = 1.0
        V = self.cov.to_numpy()
        rows = []
        for g in (g_dir, g_ind):
            est = float(g @ self.params.to_numpy())
            se = float(np.sqrt(g @ V @ g))
            rows.append([est, se, est / se, 2 * float(stats.norm.sf(abs(est / se))), est - z * se,
                         est + z * se])
        rows.append([np.nan] * 6)
        return pd.DataFrame(rows, columns=["estimate", "std_error", "statistic", "p_value", "lower",
                                           "upper"],
                            index=pd.Index(["direct", "indirect", "total"], name="effect"))

    def summary(self):
        return self.ring_table


def fit_rings(design: RingsDesign, *, cov_type="classic", clusters=None, lags=None,
              cutoff=None, lag_cutoff=0, kernel="bartlett", bias_correction="lee-yu",
              estimator="twfe") -> RingsFit:
    """Fit the ring model (module docstring)."""
    if lags is not None:
        raise InputError("lags= (Driscoll-Kraay) is not available for rings; use "
                         "cov_type='conley' with lag_cutoff=.")
    if cov_type == "driscoll-kraay":
        raise ModelSpecificationError("cov_type='driscoll-kraay' is not available for rings; "
                                      "use 'classic' (HC1), 'cluster' or 'conley'.")
    if cov_type != "conley" and (cutoff is not None or lag_cutoff):
        raise InputError("cutoff= and lag_cutoff= apply to cov_type='conley'.")
    if clusters is not None:
        raise InputError("rings cluster by unit (cov_type='cluster'); clusters= groups are not "
                         "supported.")
    if estimator == "twfe":
        return _fit_twfe(design, cov_type, cutoff, lag_cutoff, kernel)
    if estimator == "gardner":
        return _fit_gardner(design, cov_type, cutoff, lag_cutoff, kernel)
    raise InputError(f"estimator must be 'twfe' or 'gardner'; {estimator!r} was given.")


def _weights(design: RingsDesign, R: np.ndarray) -> pd.Series:
    counts = R.sum(axis=0)
    return pd.Series(counts / counts.sum(), index=[f"ring_{k + 1}" for k in range(R.shape[1])],
                     name="weight")


def _fit_twfe(design: RingsDesign, cov_type, cutoff, lag_cutoff, kernel) -> RingsFit:
    from ._bridge import within
    did = design.did
    n, T = design.paths.n, design.paths.T
    R = design.exposure()
    ring_names = [f"ring_{k + 1}" for k in range(R.shape[1])]
    names = [did.treatment] + ring_names + list(design.controls.columns)
    Z = np.column_stack([design.paths.stacked(), R, design.controls.to_numpy(float)])
    Zt = within(Z, n, T, "twoway")
    yt = within(design.y, n, T, "twoway")
    bread = np.linalg.pinv(Zt.T @ Zt)
    if np.linalg.matrix_rank(Zt) < Zt.shape[1]:
        raise ExposureError(f"the ring design is collinear (columns {names}); fewer rings or "
                            "other breakpoints are needed.")
    coef = bread @ (Zt.T @ yt)
    e = yt - Zt @ coef
    N, k = len(yt), Zt.shape[1]
    dof = N - k - n - T + 1
    scores = Zt * e[:, None]
    if cov_type == "classic":
        meat = scores.T @ scores * N / dof
        label = "HC1"
    elif cov_type == "cluster":
        sums = scores.reshape(T, n, k).sum(axis=0)
        meat = sums.T @ sums * (n / (n - 1)) * ((N - 1) / dof)
        label = f"clustered by unit ({n} clusters, CR1)"
    elif cov_type == "conley":
        if design.coords is None or cutoff is None:
            raise ModelSpecificationError("cov_type='conley' needs coords= and cutoff=.")
        K = spatial_kernel(pairwise_distance(design.coords, did.metric), cutoff, kernel)
        meat = conley_meat(scores, K, n, T, lag_cutoff)
        label = f"Conley ({kernel}, cutoff {cutoff:g}, {lag_cutoff} time lags)"
    else:
        raise InputError(f"cov_type must be 'classic', 'cluster' or 'conley' for rings; "
                         f"{cov_type!r} was given.")
    cov = bread @ meat @ bread
    return _assemble(design, names, coef, 0.5 * (cov + cov.T), R, "two-way FE (one step)",
                     label, N)


def _fit_gardner(design: RingsDesign, cov_type, cutoff, lag_cutoff, kernel) -> RingsFit:
    """Gardner's two-stage DiD with the same rings, by diff-diff's SpilloverDiD."""
    from diff_diff import SpilloverDiD
    did = design.did
    if design.controls.shape[1]:
        raise ModelSpecificationError(
            "estimator='gardner' (diff-diff's SpilloverDiD) takes no controls yet; use the "
            f"formula 'y ~ 1' or estimator='twfe' (controls {list(design.controls.columns)}).")
    n, T = design.paths.n, design.paths.T
    frame = pd.DataFrame({"unit": np.tile(np.arange(n), T),
                          "time": np.repeat(np.arange(T), n),
                          "y": design.y, "D": design.paths.stacked().astype(int)})
    if design.kind == "order":
        # unit positions as coordinates; the metric looks the contiguity orders up
        frame["cx"], frame["cy"] = frame["unit"].astype(float), 0.0
        orders = np.where(np.isfinite(design.dist), design.dist, 1e12)

        def metric(a, b, _o=orders):
            return _o[np.ix_(a[:, 0].astype(int), b[:, 0].astype(int))]
        options = dict(conley_coords=("cx", "cy"), conley_metric=metric)
        if cov_type == "conley":
            raise ModelSpecificationError("cov_type='conley' with contiguity-order rings is not "
                                          "defined (no distances); use distance rings.")
    else:
        frame["lat"] = design.coords[frame["unit"], 0]
        frame["lon"] = design.coords[frame["unit"], 1]
        options = dict(conley_coords=("lat", "lon"), conley_metric=did.metric)
    if cov_type == "cluster":
        options["cluster"] = "unit"
    elif cov_type == "conley":
        if cutoff is None:
            raise InputError("cov_type='conley' needs cutoff=.")
        if kernel != "bartlett":
            options["conley_kernel"] = kernel
        options.update(vcov_type="conley", conley_cutoff_km=float(cutoff),
                       conley_lag_cutoff=int(lag_cutoff))
    elif cov_type != "classic":
        raise InputError(f"cov_type must be 'classic', 'cluster' or 'conley' for rings; "
                         f"{cov_type!r} was given.")
    est = SpilloverDiD(rings=list(design.breakpoints), **options)
    res = est.fit(frame, outcome="y", unit="unit", time="time", treatment="D")
    ring_names = [f"ring_{k + 1}" for k in range(len(design.labels))]
    names = [did.treatment] + ring_names
    coef = np.concatenate([[res.att], res.spillover_effects["coef"].to_numpy()])
    R = design.exposure()
    return _assemble(design, names, coef, np.asarray(res.vcov, float), R,
                     "Gardner two-stage (diff-diff SpilloverDiD)",
                     f"diff-diff {cov_type if cov_type != 'classic' else 'hc1'} "
                     "(with the first-stage correction)", int(res.n_obs))


def _assemble(design, names, coef, cov, R, estimator, label, nobs) -> RingsFit:
    params = pd.Series(coef, index=names, name="params")
    cov = pd.DataFrame(cov, index=names, columns=names)
    K = R.shape[1]
    se = np.sqrt(np.diag(cov.to_numpy()))[1:K + 1]
    table = pd.DataFrame({"ring": design.labels, "estimate": coef[1:K + 1], "std_error": se,
                          "rows": R.sum(axis=0).astype(int)},
                         index=pd.Index(names[1:K + 1], name="term"))
    return RingsFit(params=params, cov=cov, ring_table=table, weights=_weights(design, R),
                    estimator=estimator, cov_label=label, nobs=nobs)
