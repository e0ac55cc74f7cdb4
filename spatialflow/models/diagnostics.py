"""Specification tests for cross-sectional spatial models.

Pure functions: plain arrays (or fitted results) in, labelled pandas / frozen dataclasses out.

- :func:`moran_residuals` -- Moran's I of regression residuals (wraps :class:`esda.Moran`).
- :func:`lm_tests` -- Anselin's (1988) LM-error / LM-lag, the robust versions of Anselin,
  Bera, Florax and Yoon (1996) and the joint SARMA test, computed with sparse algebra.
- :func:`lr_test`, :func:`wald_test`, :func:`common_factor_test`, :func:`common_factor_lr`
  -- nested-model tests between fitted :class:`~spatialflow.models.results.SpatialResults`.
- :func:`specification_search` -- Elhorst's (2010, 2014) specific-to-general then
  general-to-specific sequence, returned (never printed) as a :class:`SpecificationSearch`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from ..exceptions import (
    CollinearityError,
    IdMismatchError,
    InputError,
    MissingDataError,
    ModelSpecificationError,
    format_ids,
)

__all__ = [
    "TestResult",
    "MoranResult",
    "SpecificationSearch",
    "moran_residuals",
    "lm_tests",
    "lr_test",
    "wald_test",
    "common_factor_test",
    "common_factor_lr",
    "specification_search",
]

Alternative = Literal["greater", "less", "two-sided"]


# --------------------------------------------------------------------------------------
# result containers
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestResult:
    """One hypothesis test: its name, statistic, degrees of freedom and p-value.

    ``distribution`` names the reference distribution of the statistic under H0
    (``"chi2"`` or ``"normal"``).
    """

    __test__ = False  # keep pytest from collecting this class as a test case

    name: str
    statistic: float
    df: float
    pvalue: float
    distribution: str = "chi2"

    def __repr__(self) -> str:
        return (
            f"TestResult({self.name}: statistic={self.statistic:.6g}, "
            f"{self.distribution}(df={self.df:g}), p={self.pvalue:.4g})"
        )

    def to_series(self) -> pd.Series:
        """The test as a labelled Series (``statistic``, ``df``, ``pvalue``, ``distribution``)."""
        return pd.Series(
            {"statistic": self.statistic, "df": self.df, "pvalue": self.pvalue,
             "distribution": self.distribution},
            name=self.name,
        )


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
            f"Var[I]={self.variance:.6g}, z={self.z:.6g}, p={self.pvalue:.4g} "
            f"[{self.alternative}]{sim})"
        )


def _chi2_result(name: str, statistic: float, df: float) -> TestResult:
    return TestResult(name, float(statistic), float(df),
                      float(stats.chi2.sf(statistic, df)), "chi2")


# --------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# Moran's I of residuals
# --------------------------------------------------------------------------------------
def moran_residuals(
    resid,
    W=None,
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
    import esda
    import libpysal

    if alternative not in ("greater", "less", "two-sided"):
        raise InputError(
            "'alternative' needs to be one of {'greater', 'less', 'two-sided'}; "
            f"{alternative!r} was given instead."
        )
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
        from ..weights.align import as_sparse

        W = as_sparse(W, ids)
    W = _as_sparse_square(W, n)
    graph = libpysal.graph.Graph.from_sparse(W, ids=np.asarray(ids))
    state = np.random.get_state()  # esda permutes with the global generator
    np.random.seed(seed)
    try:
        mi = esda.Moran(values, graph, transformation="O", permutations=permutations,
                        two_tailed=False)
    finally:
        np.random.set_state(state)
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


# --------------------------------------------------------------------------------------
# Lagrange multiplier tests
# --------------------------------------------------------------------------------------
def _trace_T(W: sp.csr_matrix) -> float:
    """:math:`T = \\operatorname{tr}(W'W + W^2)` in O(nnz): elementwise products only."""
    return float(W.multiply(W).sum() + W.multiply(W.T).sum())


def lm_tests(y, X=None, W=None) -> pd.DataFrame:
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
        columns ``statistic``, ``df``, ``pvalue``.

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
        from ..weights.align import as_sparse

        W = as_sparse(W, pd.Index(ids))
    W = _as_sparse_square(W, n)

    beta, *_ = np.linalg.lstsq(Xv, yv, rcond=None)
    e = yv - Xv @ beta
    s2 = float(e @ e) / n
    We = W @ e
    d_err = float(e @ We) / s2
    d_lag = float(e @ (W @ yv)) / s2
    T = _trace_T(W)
    WXb = W @ (Xv @ beta)
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
    return _frame(rows)


def _lm_inputs_from_results(res, X, W):
    """y, X, W and ids of a fitted cross-sectional OLS/SLX for :func:`lm_tests`."""
    if X is not None:
        raise InputError("lm_tests(results) takes the regressors from the fit; do not pass X "
                         "as well (pass W= to test against other weights).")
    kind = getattr(res, "kind", type(res).__name__)
    if kind not in ("OLS", "SLX"):
        raise ModelSpecificationError(
            "the LM tests are computed on least-squares residuals: pass the results of an OLS "
            f"(or SLX) fit; a {kind} fit was given.")
    frame = getattr(res.model, "frame", None)
    if frame is None:
        raise ModelSpecificationError(
            "lm_tests(results) needs a cross-sectional fit; these are panel results. Use "
            "spatialflow.models.panel_tests.panel_lm_tests for panels.")
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


def _frame(results: Sequence[TestResult]) -> pd.DataFrame:
    out = pd.DataFrame(
        {"statistic": [r.statistic for r in results], "df": [r.df for r in results],
         "pvalue": [r.pvalue for r in results]},
        index=pd.Index([r.name for r in results], name="test"),
    )
    return out


# --------------------------------------------------------------------------------------
# tests between fitted models
# --------------------------------------------------------------------------------------
def _panel_settings(res) -> dict | None:
    panel = getattr(res, "panel", None)
    if not panel:
        return None
    return {key: panel.get(key) for key in ("effects", "bias_correction", "T", "n", "estimator")}


def _fix_hint(key: str, a, b) -> str:
    if key == "bias_correction":
        return " Fit both with the same correction, e.g. fit(bias_correction='lee-yu') for both."
    if key == "effects":
        return f" Fit both with the same effects= (e.g. effects={a!r} for both)."
    if key == "estimator":
        return " Fit both with the same effects= and bias_correction=."
    return " Fit both models on the same panel."


def check_comparable(first, second, *, labels=("restricted", "unrestricted"),
                     test: str = "an LR test", same_effects: bool = True) -> None:
    """Raise unless two fits have comparable likelihoods (same sample, response, panel set-up).

    Likelihoods of fits on different observations, of different responses, or of panel
    fits with different effects or bias corrections (which count different effective
    observations and log-determinant terms) are not comparable, so no LR statistic can be
    formed from them.

    Parameters
    ----------
    first, second : SpatialResults
    labels : tuple of str
        How the two fits are named in the message.
    test : str
        Name of the test for the message.
    same_effects : bool, default True
        Whether the panel effects must agree (False for the LR tests of the effects
        themselves, which compare e.g. two-way against unit effects by design).

    Raises
    ------
    ModelSpecificationError
        Naming what differs and how to refit.
    """
    la, lb = labels
    if first.nobs != second.nobs:
        raise ModelSpecificationError(
            f"{test} needs both models fitted on the same observations; "
            f"nobs {first.nobs} ({la}) vs {second.nobs} ({lb}). Fit both on the same data "
            "(same rows, same missing=/balance= handling).")
    ya = getattr(first, "endog_name", None)
    yb = getattr(second, "endog_name", None)
    if ya != yb:
        raise ModelSpecificationError(
            f"{test} needs both models to explain the same response; {ya!r} ({la}) vs "
            f"{yb!r} ({lb}).")
    ids_a, ids_b = getattr(first, "ids", None), getattr(second, "ids", None)
    if ids_a is not None and ids_b is not None:
        ids_a, ids_b = pd.Index(ids_a), pd.Index(ids_b)
        if not (len(ids_a) == len(ids_b) and ids_a.sort_values().equals(ids_b.sort_values())):
            only_a = ids_a.difference(ids_b, sort=False)
            only_b = ids_b.difference(ids_a, sort=False)
            raise ModelSpecificationError(
                f"{test} needs both models fitted on the same units; ids only in the {la} "
                f"fit {format_ids(only_a)}, only in the {lb} fit {format_ids(only_b)}.")
    pa, pb = _panel_settings(first), _panel_settings(second)
    if (pa is None) != (pb is None):
        raise ModelSpecificationError(
            f"{test} cannot compare a panel fit with a cross-sectional one "
            f"({la}: {'panel' if pa else 'cross-section'}, "
            f"{lb}: {'panel' if pb else 'cross-section'}).")
    if pa is None:
        return
    keys = ["effects", "bias_correction", "T", "n", "estimator"]
    if not same_effects:
        keys = ["T", "n"]
    for key in keys:
        if pa[key] != pb[key]:
            raise ModelSpecificationError(
                f"{test} compares likelihoods of the same panel estimator only; the fits "
                f"differ in {key}: {pa[key]!r} ({la}) vs {pb[key]!r} ({lb})."
                + _fix_hint(key, pa[key], pb[key]))


def lr_test(restricted, unrestricted, *, name: str | None = None) -> TestResult:
    r"""Likelihood-ratio test of a restricted model against the model nesting it.

    .. math::

        LR = 2(\ell_u - \ell_r) \sim \chi^2(k_u - k_r).

    The two log-likelihoods must be comparable: the fits must share the observations
    (``nobs`` and ``ids``), the response, and for panels the effects, the bias correction,
    T and the estimator (the Lee-Yu and the uncorrected within likelihoods count different
    effective observations, so mixing them gives meaningless statistics); the restricted
    model must have fewer parameters. Otherwise a :class:`ModelSpecificationError` names
    what differs.

    Parameters
    ----------
    restricted, unrestricted : SpatialResults
        Fitted on the same observations; ``k`` counts every estimated parameter.
    name : str, optional
        Label of the test (default ``"LR <unrestricted> vs <restricted>"``).

    Returns
    -------
    TestResult

    Raises
    ------
    ModelSpecificationError
        The fits are not nested comparable fits (see above).
    """
    for label, res in (("restricted", restricted), ("unrestricted", unrestricted)):
        if not all(hasattr(res, a) for a in ("llf", "k", "nobs")):
            raise InputError(
                f"{label} must be a fitted results object with llf, k and nobs; "
                f"{type(res).__name__} was given instead."
            )
    check_comparable(restricted, unrestricted)
    df = unrestricted.k - restricted.k
    if df <= 0:
        raise ModelSpecificationError(
            "the unrestricted model must have more parameters than the restricted one; "
            f"k = {unrestricted.k} ({getattr(unrestricted, 'kind', '?')}) unrestricted vs "
            f"k = {restricted.k} ({getattr(restricted, 'kind', '?')}) restricted. "
            "Pass the nested (smaller) model first."
        )
    stat = 2.0 * (float(unrestricted.llf) - float(restricted.llf))
    if name is None:
        name = (f"LR {getattr(unrestricted, 'kind', 'unrestricted')} vs "
                f"{getattr(restricted, 'kind', 'restricted')}")
    return _chi2_result(name, max(stat, 0.0), df)


def _restriction_matrix(R, names: pd.Index) -> np.ndarray:
    if isinstance(R, str):
        R = [R]
    if isinstance(R, (list, tuple)) and all(isinstance(r, str) for r in R):
        missing = [r for r in R if r not in names]
        if missing:
            raise InputError(
                f"restricted parameters must be among {list(names)}; "
                f"{missing} were given."
            )
        out = np.zeros((len(R), len(names)))
        for i, r in enumerate(R):
            out[i, names.get_loc(r)] = 1.0
        return out
    if isinstance(R, pd.DataFrame):
        extra = R.columns.difference(names, sort=False)
        if len(extra):
            raise InputError(
                f"the columns of R must be parameter names {list(names)}; "
                f"unknown columns {list(extra)}."
            )
        return R.reindex(columns=names, fill_value=0.0).to_numpy(dtype=float)
    R = np.atleast_2d(np.asarray(R, dtype=float))
    if R.shape[1] != len(names):
        raise InputError(
            f"R must have one column per parameter ({len(names)}: {list(names)}); "
            f"{R.shape[1]} were given."
        )
    return R


def wald_test(results, R, r=None, *, name: str = "Wald") -> TestResult:
    r"""Wald test of linear restrictions :math:`R\theta = r` on ``results.params``.

    .. math::

        W = (R\hat\theta - r)' \left(R \hat V R'\right)^{-1} (R\hat\theta - r)
        \sim \chi^2(q), \qquad q = \operatorname{rank} R,

    with :math:`\hat V` = ``results.cov``.

    Parameters
    ----------
    results : SpatialResults
    R : list of str, DataFrame or array (q, p)
        A list of parameter names tests that they are all zero; a DataFrame has parameter
        names as columns (missing ones are zero); an array follows ``results.params``.
    r : array-like (q,), optional
        Right-hand side (zeros by default).
    name : str
        Label of the test.

    Returns
    -------
    TestResult
    """
    params = results.params
    cov = results.cov.loc[params.index, params.index].to_numpy(dtype=float)
    Rm = _restriction_matrix(R, params.index)
    q = Rm.shape[0]
    rv = np.zeros(q) if r is None else np.asarray(r, dtype=float).ravel()
    if rv.shape[0] != q:
        raise InputError(f"r must have {q} entries (one per row of R); {rv.shape[0]} given.")
    return _wald(Rm @ params.to_numpy(dtype=float) - rv, Rm @ cov @ Rm.T, name)


def _wald(g: np.ndarray, V: np.ndarray, name: str) -> TestResult:
    rank = np.linalg.matrix_rank(V)
    if rank < V.shape[0]:
        raise ModelSpecificationError(
            f"the restrictions of {name!r} are linearly dependent or their covariance is "
            f"singular (rank {rank} < {V.shape[0]} restrictions)."
        )
    stat = float(g @ np.linalg.solve(V, g))
    return _chi2_result(name, stat, V.shape[0])


def _lagged_pairs(results) -> list[tuple[str, str]]:
    params = results.params
    pairs = [(x, f"W_{x}") for x in getattr(results, "lagged_names", [])]
    pairs = [(x, wx) for x, wx in pairs if x in params.index and wx in params.index]
    if not pairs:
        raise ModelSpecificationError(
            "the common factor test needs a spatial Durbin model with lagged regressors "
            f"(W_<x> in params); the params given are {list(params.index)}."
        )
    return pairs


def common_factor_test(sdm_results) -> TestResult:
    r"""Wald test of the common factor restrictions of an SDM (SDM reducible to SEM).

    For the SDM :math:`y = \rho Wy + X\beta + WX\theta + \varepsilon`, the SEM is the
    special case :math:`\theta_k + \rho\beta_k = 0` for every lagged regressor :math:`k`.
    With :math:`g(\hat\psi) = \hat\theta + \hat\rho\hat\beta` and its Jacobian
    :math:`G` (:math:`\partial g_k/\partial\theta_k = 1`,
    :math:`\partial g_k/\partial\beta_k = \rho`, :math:`\partial g_k/\partial\rho = \beta_k`),
    the delta-method statistic is

    .. math::

        W = g' (G \hat V G')^{-1} g \sim \chi^2(K_\theta).

    Parameters
    ----------
    sdm_results : SpatialResults
        A fitted SDM (``spatial_param == "rho"``, lagged regressors ``W_<x>``).

    Returns
    -------
    TestResult
    """
    if getattr(sdm_results, "spatial_param", None) != "rho":
        raise ModelSpecificationError(
            "the common factor test applies to a spatial Durbin (lag) model with 'rho'; "
            f"a {getattr(sdm_results, 'kind', type(sdm_results).__name__)} model was given."
        )
    pairs = _lagged_pairs(sdm_results)
    params = sdm_results.params
    names = params.index
    cov = sdm_results.cov.loc[names, names].to_numpy(dtype=float)
    rho = float(params["rho"])
    g = np.array([params[wx] + rho * params[x] for x, wx in pairs], dtype=float)
    G = np.zeros((len(pairs), len(names)))
    for i, (x, wx) in enumerate(pairs):
        G[i, names.get_loc(wx)] = 1.0
        G[i, names.get_loc(x)] = rho
        G[i, names.get_loc("rho")] = params[x]
    return _wald(g, G @ cov @ G.T, "Wald common factor (SDM vs SEM)")


def common_factor_lr(sdm_results, sem_results) -> TestResult:
    r"""LR version of the common factor test: SDM against the SEM it nests.

    .. math::

        LR = 2(\ell_{SDM} - \ell_{SEM}) \sim \chi^2(K_\theta).
    """
    kinds = (getattr(sdm_results, "kind", None), getattr(sem_results, "kind", None))
    if kinds != ("SDM", "SEM"):
        raise ModelSpecificationError(
            f"common_factor_lr compares an SDM with an SEM; ({kinds[0]}, {kinds[1]}) given."
        )
    return lr_test(sem_results, sdm_results, name="LR common factor (SDM vs SEM)")


# --------------------------------------------------------------------------------------
# specification search
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpecificationSearch:
    """Outcome of :func:`specification_search`.

    Attributes
    ----------
    tests : pd.DataFrame
        Every test run: ``hypothesis``, ``statistic``, ``df``, ``pvalue``, ``decision``
        (``"reject"`` / ``"not rejected"`` at ``alpha``), indexed by test name.
    ranking : pd.DataFrame
        Models by AIC with ``logL``, ``k``, ``aic``, ``bic``, ``rank_aic``, ``rank_bic``.
    decision : str
        The chosen model (``"OLS"``, ``"SLX"``, ``"SAR"``, ``"SEM"``, ``"SDM"``).
    reason : str
        Why, in words.
    results : dict
        The fitted results by model name.
    alpha : float
    criterion : str
    """

    tests: pd.DataFrame
    ranking: pd.DataFrame
    decision: str
    reason: str
    results: dict = field(repr=False, default_factory=dict)
    alpha: float = 0.05
    criterion: str = "lr"

    def __repr__(self) -> str:
        return (f"SpecificationSearch(decision={self.decision!r}, alpha={self.alpha}, "
                f"criterion={self.criterion!r}, {len(self.tests)} tests)\n{self.reason}")


def _lm_direction(lm: pd.DataFrame, alpha: float) -> str:
    """Which model the LM tests point to: 'lag', 'error', or 'none'.

    The robust tests decide; when both (or neither) robust tests reject, the larger
    statistic wins among the rejected ones (Anselin's decision rule); if no robust test
    rejects, the classic tests are read the same way.
    """
    for lag, err in (("robust LM-lag", "robust LM-error"), ("LM-lag", "LM-error")):
        p_lag, p_err = lm.loc[lag, "pvalue"], lm.loc[err, "pvalue"]
        if p_lag < alpha and p_err < alpha:
            return "lag" if lm.loc[lag, "statistic"] >= lm.loc[err, "statistic"] else "error"
        if p_lag < alpha:
            return "lag"
        if p_err < alpha:
            return "error"
    return "none"


def specification_search(
    formula: str,
    data: pd.DataFrame,
    w,
    *,
    alpha: float = 0.05,
    criterion: Literal["lr", "wald"] = "lr",
    **model_options,
) -> SpecificationSearch:
    r"""Choose among OLS, SLX, SAR, SEM and SDM by Elhorst's testing sequence.

    The sequence (Elhorst 2010, *Spatial Economic Analysis* 5(1); Elhorst 2014, ch. 2):

    1. **Specific to general.** Estimate OLS and compute the LM tests and their robust
       versions (:func:`lm_tests`). If no LM test rejects at ``alpha``, estimate SLX and
       test :math:`\theta = 0` (SLX vs OLS); if it is not rejected, **OLS** is chosen.
    2. **General to specific.** Otherwise estimate the SDM and test
       :math:`H_0^a: \theta = 0` (SDM vs SAR) and :math:`H_0^b: \theta + \rho\beta = 0`
       (SDM vs SEM, common factor), by LR (``criterion="lr"``) or Wald
       (``criterion="wald"``; :func:`wald_test`, :func:`common_factor_test`).

       - both rejected: **SDM**;
       - :math:`H_0^a` not rejected and the (robust) LM tests pointed to the lag: **SAR**;
       - :math:`H_0^b` not rejected and the (robust) LM tests pointed to the error: **SEM**;
       - otherwise (LM and LR/Wald disagree): **SDM**, which nests both.

    SDEM vs SEM (:math:`\theta = 0` in the SDEM) and SDEM vs SLX (:math:`\lambda = 0`) are
    reported as well, and every model is ranked by AIC and BIC in ``ranking``; these do not
    override the sequence, but the reason notes when AIC prefers another model.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"`` (formulaic syntax).
    data : pd.DataFrame
        Indexed by unit id.
    w : libpysal Graph or W
        Keyed by the same ids.
    alpha : float, default 0.05
        Significance level of every test.
    criterion : {"lr", "wald"}, default "lr"
        Which nested test drives step 2 (both are reported).
    **model_options
        Passed to every ``from_formula`` (e.g. ``logdet="lu"``, ``regimes="core"``,
        ``missing="drop"``), so all six models are fitted on the same sample and design;
        except ``lagged=`` (which regressors get a ``W_<x>`` lag), which is passed to the
        Durbin models only (SLX, SDM, SDEM): OLS, SAR and SEM have no lagged regressors.

    Returns
    -------
    SpecificationSearch
        ``.tests``, ``.ranking``, ``.decision``, ``.reason``, ``.results``.
    """
    if not (0.0 < alpha < 1.0):
        raise InputError(f"alpha must lie in (0, 1); {alpha!r} was given.")
    if criterion not in ("lr", "wald"):
        raise InputError(f"'criterion' needs to be one of {{'lr', 'wald'}}; "
                         f"{criterion!r} was given instead.")
    panel_options = [k for k in ("id", "time", "effects") if model_options.get(k) is not None]
    if panel_options:
        # Checked before fitting anything: the cross-sectional LM tests do not apply.
        raise ModelSpecificationError(
            "specification_search runs on a cross-section; panel options "
            f"{panel_options} were given. For panels, fit the models with id=, time= and "
            "effects= and use spatialflow.models.panel_lm_tests (LM tests), "
            "spatialflow.models.durbin_tests (SDM vs SAR / SEM) and "
            "spatialflow.models.effects_lr_tests.")
    from . import base

    # lagged= selects the W_<x> terms, so it goes to the Durbin models only (SLX, SDM, SDEM);
    # the other models refuse it.
    lagged_option = {k: model_options.pop(k) for k in ("lagged",) if k in model_options}

    def fit(kind: str):
        cls = getattr(base, kind)
        options = dict(model_options, **(lagged_option if cls.durbin else {}))
        return cls.from_formula(formula, data=data, w=w, **options).fit()

    res = {kind: fit(kind) for kind in ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM")}
    ols, slx, sdm = res["OLS"], res["SLX"], res["SDM"]

    rows: list[tuple[str, TestResult]] = []
    # The LM tests need only y, X and W: take them from the OLS model frame (so regimes and
    # dropped rows are as in the fits) and W from the SLX fit, aligned to the same ids.
    frame = ols.model.frame
    if not pd.Index(frame.ids).equals(pd.Index(slx.ids)):
        raise IdMismatchError("OLS and SLX were fitted on different units; cannot run the "
                              "LM tests on a common sample.")
    y, X = frame.y, frame.X
    lm = lm_tests(y, X, slx.W)
    lm_h0 = {"LM-error": "lambda = 0 (OLS)", "LM-lag": "rho = 0 (OLS)",
             "robust LM-error": "lambda = 0 (OLS), robust to rho",
             "robust LM-lag": "rho = 0 (OLS), robust to lambda",
             "SARMA": "rho = lambda = 0 (OLS)"}
    for test_name, row in lm.iterrows():
        rows.append((lm_h0[test_name],
                     TestResult(test_name, row["statistic"], row["df"], row["pvalue"])))

    wx_names = [f"W_{x}" for x in sdm.lagged_names]
    rows += [
        ("theta = 0 (SLX -> OLS)", lr_test(ols, slx, name="LR SLX vs OLS")),
        ("theta = 0 (SLX -> OLS)", wald_test(slx, wx_names, name="Wald SLX vs OLS")),
        ("theta = 0 (SDM -> SAR)", lr_test(res["SAR"], sdm, name="LR SDM vs SAR")),
        ("theta = 0 (SDM -> SAR)", wald_test(sdm, wx_names, name="Wald SDM vs SAR")),
        ("theta + rho beta = 0 (SDM -> SEM)", common_factor_lr(sdm, res["SEM"])),
        ("theta + rho beta = 0 (SDM -> SEM)", common_factor_test(sdm)),
        ("theta = 0 (SDEM -> SEM)", lr_test(res["SEM"], res["SDEM"], name="LR SDEM vs SEM")),
        ("theta = 0 (SDEM -> SEM)", wald_test(res["SDEM"], wx_names, name="Wald SDEM vs SEM")),
        ("lambda = 0 (SDEM -> SLX)", lr_test(slx, res["SDEM"], name="LR SDEM vs SLX")),
    ]
    tests = pd.DataFrame(
        {
            "hypothesis": [h for h, _ in rows],
            "statistic": [t.statistic for _, t in rows],
            "df": [t.df for _, t in rows],
            "pvalue": [t.pvalue for _, t in rows],
        },
        index=pd.Index([t.name for _, t in rows], name="test"),
    )
    tests["decision"] = np.where(tests["pvalue"] < alpha, "reject", "not rejected")

    ranking = pd.DataFrame(
        {
            "logL": [r.llf for r in res.values()],
            "k": [r.k for r in res.values()],
            "aic": [r.aic for r in res.values()],
            "bic": [r.bic for r in res.values()],
        },
        index=pd.Index(list(res), name="model"),
    )
    ranking["rank_aic"] = ranking["aic"].rank(method="min").astype(int)
    ranking["rank_bic"] = ranking["bic"].rank(method="min").astype(int)
    ranking = ranking.sort_values(["aic", "bic"])

    decision, reason = _elhorst_decision(tests, lm, alpha, criterion)
    best_aic = ranking.index[0]
    if best_aic != decision:
        reason += f" (AIC alone would prefer {best_aic}.)"
    return SpecificationSearch(tests=tests, ranking=ranking, decision=decision,
                               reason=reason, results=res, alpha=alpha,
                               criterion=criterion)


def _elhorst_decision(tests: pd.DataFrame, lm: pd.DataFrame, alpha: float,
                      criterion: str) -> tuple[str, str]:
    tag = "LR" if criterion == "lr" else "Wald"
    p = tests["pvalue"]
    any_lm = bool((lm.loc[["LM-error", "LM-lag", "robust LM-error", "robust LM-lag"],
                          "pvalue"] < alpha).any())
    direction = _lm_direction(lm, alpha)
    if not any_lm:
        p_slx = p[f"{tag} SLX vs OLS"]
        if p_slx >= alpha:
            return "OLS", (
                f"No LM test rejects at alpha={alpha} and theta = 0 in SLX is not rejected "
                f"({tag} p={p_slx:.4g}): OLS."
            )
        step1 = (f"No LM test rejects at alpha={alpha}, but theta = 0 in SLX is rejected "
                 f"({tag} p={p_slx:.4g}); moving to the SDM.")
    else:
        step1 = f"The LM tests reject OLS at alpha={alpha} (they point to the {direction})."
    p_a = p[f"{tag} SDM vs SAR"]
    p_b = p["LR common factor (SDM vs SEM)" if tag == "LR" else
            "Wald common factor (SDM vs SEM)"]
    tail = f" {tag}: theta = 0 p={p_a:.4g}; theta + rho beta = 0 p={p_b:.4g}."
    if p_a < alpha and p_b < alpha:
        return "SDM", step1 + " Both SDM restrictions are rejected: SDM." + tail
    if p_a >= alpha and direction == "lag":
        return "SAR", step1 + " theta = 0 is not rejected and the LM tests point to the " \
                              "lag: SAR." + tail
    if p_b >= alpha and direction == "error":
        return "SEM", step1 + " The common factor restriction is not rejected and the LM " \
                              "tests point to the error: SEM." + tail
    return "SDM", step1 + (" The LM and the nested SDM tests disagree, so the SDM, which "
                           "nests both SAR and SEM, is kept.") + tail
