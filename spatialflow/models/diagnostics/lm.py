r"""Lagrange multiplier tests and Moran's I of residuals (cross-section and panel).

- :func:`moran_residuals` -- Moran's I of regression residuals (wraps :class:`esda.Moran`).
- :func:`lm_tests` -- Anselin's (1988) LM-error / LM-lag, the robust versions of Anselin,
  Bera, Florax and Yoon (1996) and the joint SARMA test, computed with sparse algebra.
- :func:`panel_lm_tests` -- the same statistics on the (within) panel regression with
  :math:`I_T\otimes W` (Anselin, Le Gallo and Jayet 2008; Elhorst 2010/2014; Debarsy and
  Ertur 2010), where :math:`\mathrm{tr}[(I_T\otimes W)'(I_T\otimes W) + (I_T\otimes W)^2]
  = T\,T_W`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Sequence

import lazy_loader as lazy
import numpy as np
import pandas as pd
import scipy.sparse as sp
from ..._render import p_text
from ... import _stats as stats  # scipy.stats kernels without its 0.5 s import

from ...exceptions import (CollinearityError, IdMismatchError, InputError, MissingDataError,
                          ModelSpecificationError, format_ids)
from ..._validation import check_count, check_seed, seeded_global_rng
from ...weights.align import as_sparse
from .hypotheses import _chi2_result, test_frame
from .._design.naming import MODEL_KINDS, kind_flags
from .._estimation.panel import panel_design, spec_of

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike

    from ..._typing import WeightsLike
    from ..estimators import SpatialModel
    from ..results.base import SpatialResults

esda = lazy.load("esda")          # Moran's I of residuals: loaded on first use
libpysal = lazy.load("libpysal")

__all__ = ["MoranResult", "moran_residuals", "lm_tests", "panel_lm_tests"]

Alternative = Literal["greater", "less", "two-sided"]



@dataclass(frozen=True)
class MoranResult:
    """Moran's I of a variable (here: regression residuals) under randomisation.

    Attributes
    ----------
    I, expectation, variance, z, pvalue
        Moran's I, its expectation :math:`-1/(n-1)`, its variance under the randomisation
        assumption, the standard deviate and its normal p-value (``alternative``).
    variance_normal
        The variance under the normality assumption (for reference).
    permutations, p_sim
        Number of random permutations and the pseudo p-value (None if ``permutations=0``).
    """

    I: float  # noqa: E741 (the statistic's name)
    expectation: float
    variance: float
    z: float
    pvalue: float
    alternative: str
    variance_normal: float
    permutations: int = 0
    p_sim: float | None = None

    def __repr__(self) -> str:
        sim = f", p_sim={self.p_sim:.4g} ({self.permutations} perms)" if self.permutations else ""
        return (
            f"MoranResult(I={self.I:.6g}, E[I]={self.expectation:.6g}, "
            f"Var[I]={self.variance:.6g}, z={self.z:.6g}, {p_text(self.pvalue)} "
            f"[{self.alternative}]{sim})"
        )


def _as_sparse_square(W, n: int, what: str = "W") -> sp.csr_matrix:
    if not sp.issparse(W):
        if isinstance(W, np.ndarray):
            W = sp.csr_matrix(W)
        else:
            raise InputError(
                f"{what} must be a scipy.sparse matrix (or a numpy array); "
                f"{type(W).__name__} was given instead."
            )
    W = sp.csr_matrix(W, dtype=float)
    if W.shape != (n, n):
        raise InputError(f"{what} must be {n} x {n} to match the data; {W.shape} was given.")
    return W


def _finite_vector(v, name: str, index: pd.Index | None = None) -> np.ndarray:
    arr = np.asarray(v, dtype=float)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional; shape {np.shape(v)} was given.")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = index[bad] if index is not None else np.flatnonzero(bad)
        raise MissingDataError(
            f"{name} must be finite; NaN/inf at {'ids' if index is not None else 'rows'} "
            f"{format_ids(where)}."
        )
    return arr


def moran_residuals(
    resid: ArrayLike | pd.Series | SpatialResults,
    W: sp.spmatrix | np.ndarray | WeightsLike | None = None,
    ids: Sequence | pd.Index | None = None,
    permutations: int = 0,
    *,
    alternative: Alternative = "greater",
    seed: int = 0,
) -> MoranResult:
    r"""Moran's I of regression residuals, by :class:`esda.Moran`.

    .. math::

        I = \frac{n}{S_0}\frac{e' W e}{e'e}, \qquad S_0 = \sum_{ij} w_{ij},

    with the expectation :math:`E[I] = -1/(n-1)` and the variance under randomisation
    (Cliff and Ord 1981), as in R's ``spdep::moran.test`` (which treats the residuals as a
    plain variable; for the exact moments of regression residuals use ``lm.morantest``).

    Parameters
    ----------
    resid : array-like, pd.Series or fitted cross-sectional results
        Residuals (a Series carries its ids in the index). Fitted results
        (``moran_residuals(ols)``) give their residuals, ids and the W they carry.
    W : scipy.sparse matrix, libpysal W or Graph, optional
        Weights used as given (no re-standardisation). A libpysal object is aligned to
        ``ids`` (or the Series index) by :func:`spatialflow.weights.as_sparse`. Optional
        with fitted results (default: their W).
    ids : sequence, optional
        Unit ids of ``resid`` (defaults to the Series index, else ``0..n-1``).
    permutations : int, default 0
        Random permutations for a pseudo p-value (``esda``'s ``p_sim``).
    alternative : {"greater", "less", "two-sided"}, default "greater"
        Alternative of the normal p-value ("greater" is R's default).
    seed : int, default 0
        Seed of the permutations (the global NumPy state is restored afterwards).

    Returns
    -------
    MoranResult

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> n = 6  # a line of six units; alternating residuals: perfect negative autocorrelation
    >>> W = sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="csr")
    >>> W = sp.csr_matrix(W.multiply(1 / W.sum(axis=1)))
    >>> round(moran_residuals(np.array([1., -1., 1., -1., 1., -1.]), W).I, 6)
    -1.0
    """
    # esda and libpysal take seconds to import: loaded by the first Moran test, not by
    # `import spatialflow.models`.

    if alternative not in ("greater", "less", "two-sided"):
        raise InputError(
            "'alternative' needs to be one of {'greater', 'less', 'two-sided'}; "
            f"{alternative!r} was given instead."
        )
    permutations = check_count(permutations, "permutations", minimum=0)
    seed = check_seed(seed)
    if hasattr(resid, "params") and hasattr(resid, "resid"):
        resid, W, ids = _moran_inputs_from_results(resid, W, ids)
    if W is None:
        raise InputError("moran_residuals needs the weights: pass W= (a sparse matrix, or a "
                         "libpysal W/Graph), or pass fitted results, which carry their W.")
    if isinstance(resid, pd.Series) and ids is None:
        ids = resid.index
    values = _finite_vector(resid, "resid", pd.Index(ids) if ids is not None else None)
    n = values.shape[0]
    ids = pd.RangeIndex(n) if ids is None else pd.Index(ids)
    if len(ids) != n:
        raise IdMismatchError(f"ids has {len(ids)} entries but resid has {n}.")
    if hasattr(W, "unique_ids") or hasattr(W, "id_order"):
        W = as_sparse(W, ids)
    W = _as_sparse_square(W, n)
    graph = libpysal.graph.Graph.from_sparse(W, ids=np.asarray(ids))
    with seeded_global_rng(seed):  # esda permutes with the global generator
        mi = esda.Moran(values, graph, transformation="O", permutations=permutations,
                        two_tailed=False)
    z = float(mi.z_rand)
    if alternative == "greater":
        p = stats.norm.sf(z)
    elif alternative == "less":
        p = stats.norm.cdf(z)
    else:
        p = 2.0 * stats.norm.sf(abs(z))
    return MoranResult(
        I=float(mi.I), expectation=float(mi.EI), variance=float(mi.VI_rand), z=z,
        pvalue=float(p), alternative=alternative, variance_normal=float(mi.VI_norm),
        permutations=int(permutations),
        p_sim=float(mi.p_sim) if permutations else None,
    )


def _moran_inputs_from_results(res, W, ids):
    """Residuals, weights and ids of fitted cross-sectional results for Moran's I."""
    if ids is not None:
        raise InputError("moran_residuals(results) takes the ids from the fit; do not pass "
                         "ids as well.")
    if getattr(res, "panel", None) is not None:
        raise ModelSpecificationError(
            "moran_residuals(results) works on a cross-sectional fit; these are panel results. "
            "Use spatialflow.models.panel_lm_tests for panels.")
    if W is None:
        W = res.W
    if W is None:
        W = getattr(getattr(res, "model", None), "w", None)
    if W is None:
        raise InputError(f"the {res.kind} fit carries no weights; pass them: "
                         "moran_residuals(results, W=w).")
    return res.resid, W, pd.Index(res.ids)


def _trace_T(W: sp.csr_matrix) -> float:
    """:math:`T = \\operatorname{tr}(W'W + W^2)` in O(nnz): elementwise products only."""
    return float(W.multiply(W).sum() + W.multiply(W.T).sum())


def lm_tests(y: ArrayLike | pd.Series | SpatialResults,
             X: ArrayLike | pd.DataFrame | None = None,
             W: sp.spmatrix | np.ndarray | WeightsLike | None = None) -> pd.DataFrame:
    r"""Lagrange multiplier tests for spatial dependence in an OLS regression.

    With OLS residuals :math:`e`, :math:`\hat\sigma^2 = e'e/n`, :math:`M = I - X(X'X)^{-1}X'`
    and

    .. math::

        d_\lambda = \frac{e'We}{\hat\sigma^2}, \quad
        d_\rho = \frac{e'Wy}{\hat\sigma^2}, \quad
        T = \operatorname{tr}(W'W + W^2), \quad
        D = \frac{(WX\hat\beta)' M (WX\hat\beta)}{\hat\sigma^2} + T,

    the statistics (Anselin 1988; Anselin, Bera, Florax and Yoon 1996) are

    .. math::

        LM_\lambda = \frac{d_\lambda^2}{T}, \quad
        LM_\rho = \frac{d_\rho^2}{D}, \quad
        LM^*_\lambda = \frac{(d_\lambda - T D^{-1} d_\rho)^2}{T (1 - T D^{-1})}, \quad
        LM^*_\rho = \frac{(d_\rho - d_\lambda)^2}{D - T}, \quad
        SARMA = LM^*_\rho + LM_\lambda,

    each :math:`\chi^2(1)` under its null, SARMA :math:`\chi^2(2)`. Only sparse products
    with ``W`` are used: :math:`T` costs O(nnz).

    Parameters
    ----------
    y : array-like, shape (n,), or fitted OLS / SLX results
        The response; a pandas Series carries the unit ids in its index. Given the results
        of a cross-sectional OLS or SLX fit instead (``lm_tests(ols_results)``), its
        response, regressors (including ``W_<x>`` lags for SLX, and after any dropped rows)
        and weights are used; ``X`` must then be omitted and ``W`` is optional.
    X : array-like or DataFrame, shape (n, k)
        Regressors including the constant column (none is added).
    W : scipy.sparse matrix, numpy array, libpysal W or Graph
        A matrix is used as given, in the row order of ``y``. A libpysal object is aligned
        to the ids of ``y`` (its Series index, or the results' ids) by
        :func:`spatialflow.weights.align.as_sparse`, which raises on ids that differ; with
        a plain array ``y`` there are no ids to align by, so pass the sparse matrix.

    Returns
    -------
    pd.DataFrame
        Rows ``LM-error``, ``LM-lag``, ``robust LM-error``, ``robust LM-lag``, ``SARMA``;
        columns ``statistic``, ``df``, ``p_value``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> rng = np.random.default_rng(0)
    >>> n = 30
    >>> W = sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="csr")
    >>> W = sp.csr_matrix(W.multiply(1 / W.sum(axis=1)))
    >>> X = np.column_stack([np.ones(n), rng.normal(size=n)])
    >>> lm_tests(X @ [1., 2.] + rng.normal(size=n), X, W).shape
    (5, 3)
    """
    ids = None
    if hasattr(y, "params") and hasattr(y, "model"):
        y, X, W, ids = _lm_inputs_from_results(y, X, W)
    elif X is None or W is None:
        raise InputError("lm_tests needs y, X and W (or the fitted OLS results as the only "
                         f"argument); X={type(X).__name__}, W={type(W).__name__} were given.")
    elif isinstance(y, pd.Series):
        ids = y.index
    yv = _finite_vector(y, "y", ids)
    Xv = np.asarray(X, dtype=float)
    n = yv.shape[0]
    if Xv.ndim == 1:
        Xv = Xv[:, None]
    if Xv.shape[0] != n:
        raise InputError(f"X must have {n} rows like y; {Xv.shape[0]} were given.")
    if isinstance(X, pd.DataFrame) and ids is not None and not X.index.equals(pd.Index(ids)):
        raise IdMismatchError("X must be indexed like y (the same ids in the same order); "
                              f"ids of y not in X: {format_ids(pd.Index(ids).difference(X.index))}.")
    if not np.isfinite(Xv).all():
        rows = np.flatnonzero(~np.isfinite(Xv).all(axis=1))
        raise MissingDataError(f"X must be finite; NaN/inf in rows {format_ids(rows)}.")
    rank = np.linalg.matrix_rank(Xv)
    if rank < Xv.shape[1]:
        names = list(X.columns) if isinstance(X, pd.DataFrame) else list(range(Xv.shape[1]))
        raise CollinearityError(
            f"X must have full column rank {Xv.shape[1]}; its rank is {rank} "
            f"(columns {names})."
        )
    if hasattr(W, "unique_ids") or hasattr(W, "id_order"):
        if ids is None:
            raise InputError(
                "a libpysal W/Graph can only be aligned to y by ids: pass y as a pandas Series "
                "indexed by the unit ids, or pass W as a scipy.sparse matrix in the row order "
                f"of y; {type(y).__name__} y and a {type(W).__name__} were given.")
        W = as_sparse(W, pd.Index(ids))
    W = _as_sparse_square(W, n)
    return _lm_statistics(yv, Xv, lambda z: W @ z, _trace_T(W))


def _lm_statistics(yv: np.ndarray, Xv: np.ndarray, lag, T: float) -> pd.DataFrame:
    r"""The five statistics of :func:`lm_tests` from the lag :math:`z \mapsto Wz` and
    :math:`T = \mathrm{tr}(W'W + W^2)` (checked inputs; panels pass the lag of
    :math:`I_T\otimes W`, applied period by period, and :math:`T\,T_W`)."""
    n = yv.shape[0]
    beta, *_ = np.linalg.lstsq(Xv, yv, rcond=None)
    e = yv - Xv @ beta
    s2 = float(e @ e) / n
    We = lag(e)
    d_err = float(e @ We) / s2
    d_lag = float(e @ lag(yv)) / s2
    WXb = lag(Xv @ beta)
    coef, *_ = np.linalg.lstsq(Xv, WXb, rcond=None)
    MWXb = WXb - Xv @ coef
    D = float(MWXb @ MWXb) / s2 + T

    lm_err = d_err**2 / T
    lm_lag = d_lag**2 / D
    rlm_err = (d_err - T / D * d_lag) ** 2 / (T * (1.0 - T / D))
    rlm_lag = (d_lag - d_err) ** 2 / (D - T)
    sarma = rlm_lag + lm_err
    rows = [
        _chi2_result("LM-error", lm_err, 1),
        _chi2_result("LM-lag", lm_lag, 1),
        _chi2_result("robust LM-error", rlm_err, 1),
        _chi2_result("robust LM-lag", rlm_lag, 1),
        _chi2_result("SARMA", sarma, 2),
    ]
    return test_frame(rows)


def _lm_inputs_from_results(res, X, W):
    """y, X, W and ids of a fitted cross-sectional OLS/SLX for :func:`lm_tests`."""
    if X is not None:
        raise InputError("lm_tests(results) takes the regressors from the fit; do not pass X "
                         "as well (pass W= to test against other weights).")
    kind = getattr(res, "kind", type(res).__name__)
    if kind not in MODEL_KINDS or not kind_flags(kind).least_squares:
        raise ModelSpecificationError(
            "the LM tests are computed on least-squares residuals: pass the results of an OLS "
            f"(or SLX) fit; a {kind} fit was given.")
    frame = getattr(res.model, "frame", None)
    if frame is None:
        raise ModelSpecificationError(
            "lm_tests(results) needs a cross-sectional fit; these are panel results. Use "
            "spatialflow.models.diagnostics.panel_lm_tests for panels.")
    W = res.W if W is None else W
    if W is None:
        W = getattr(frame, "W", None)
    if W is None:
        # OLS keeps no matrix; the weights it was given are aligned to its ids below.
        W = getattr(res.model, "w", None)
    if W is None:
        raise InputError(f"the {kind} fit carries no weights; pass them: lm_tests(results, W=w).")
    X = pd.DataFrame(frame.X, index=pd.Index(frame.ids), columns=list(frame.names))
    y = pd.Series(frame.y, index=pd.Index(frame.ids), name=frame.endog_name)
    return y, X, W, pd.Index(frame.ids)


def panel_lm_tests(obj: SpatialModel | SpatialResults) -> pd.DataFrame:
    r"""LM tests for a spatial lag or spatial error in a panel regression.

    The non-spatial model with the same regressors (lags ``W_<x>`` included for Durbin
    models) and effects is fitted by least squares on the transformed data; the
    cross-sectional statistics (see :func:`lm_tests`) are
    then computed with :math:`I_T\otimes W`, applied period by period (no Kronecker
    product is formed: :math:`O(NTk)` work and memory):

    .. math::
        LM_\rho = \frac{[e'(I_T\otimes W)y/\hat\sigma^2]^2}{J},\quad
        LM_\lambda = \frac{[e'(I_T\otimes W)e/\hat\sigma^2]^2}{T\,T_W},\quad
        T_W = \mathrm{tr}(W'W + W^2),

    :math:`J = [(I_T\otimes W)X\hat\beta]'M[(I_T\otimes W)X\hat\beta]/\hat\sigma^2 + T\,T_W`,
    and the robust versions of Anselin et al. (1996) (Elhorst 2010). Time effects are
    profiled out as by period dummies, so the spatial lag is demeaned by period as in the
    direct approach (for a row-standardised W without islands by demeaning y, X and the lag
    by period, which gives the statistics of the dummies exactly; otherwise with the
    dummies). Random-effects models are tested on the pooled regression.

    Parameters
    ----------
    obj : panel model or SpatialResults
        A panel model (or its results): its regressors, effects and W are used.

    Returns
    -------
    DataFrame
        Rows ``LM-error``, ``LM-lag``, ``robust LM-error``, ``robust LM-lag``, ``SARMA``;
        columns ``statistic``, ``df``, ``p_value``.
    """
    spec = spec_of(obj)
    effects = spec.effects if spec.effects != "random" else None
    # the model's design (checked for rank when it was built), or the pooled one
    design = spec.design() if effects == spec.effects else panel_design(spec.data, effects)
    out = _lm_statistics(design.y, design.X, design.lag,
                         design.T * _trace_T(sp.csr_matrix(design.W)))
    out.attrs["effects"] = effects
    return out

