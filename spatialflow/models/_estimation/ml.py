r"""Concentrated maximum likelihood for spatial lag and spatial error models.

Lag (SAR / SDM, with ``X`` holding any lagged regressors):

.. math::
    y = \rho W y + X\beta + \varepsilon,\qquad \varepsilon\sim N(0,\sigma^2 I)

    \ell(\rho) = -\tfrac{n}{2}\left[\ln(2\pi) + 1 + \ln\hat\sigma^2(\rho)\right]
                 + s\,\ln|I-\rho W|,\qquad
    \hat\sigma^2(\rho) = \tfrac1n\,\lVert e_0 - \rho e_L\rVert^2

where :math:`e_0, e_L` are the OLS residuals of :math:`y` and :math:`Wy` on :math:`X`.

Error (SEM / SDEM):

.. math::
    y = X\beta + u,\quad u = \lambda W u + \varepsilon,\qquad
    \ell(\lambda) = -\tfrac{n}{2}\left[\ln(2\pi) + 1 + \ln\hat\sigma^2(\lambda)\right]
                    + s\,\ln|I-\lambda W|

with :math:`\hat\beta(\lambda)` the GLS estimate on :math:`(I-\lambda W)y, (I-\lambda W)X`.

The engines take a :class:`~spatialflow.models._design.problem.Design` (a cross-section, or a panel
after its transformation: the stacked data, the n x n W whose operator is
:math:`I_T\otimes W`, the effective number of observations :math:`N^*` and the multiplicity
``s`` = :math:`T^*` of the log-determinant). The covariance of all
parameters (beta, rho/lambda, sigma2) is the inverse of an analytic information matrix,
whatever n and whatever log-determinant strategy (the convention never changes with n):

* ``information="observed"`` (the default, issue 22): the analytic observed information (the
  negative Hessian of the log-likelihood at the estimate). It needs only
  :math:`\mathrm{tr}(G)` and :math:`\mathrm{tr}(G^2)`, the first two derivatives of the
  log-determinant the fit evaluates anyway (exact from the eigenvalues, a central second
  difference of the exact sparse LU log-determinant, or the analytic derivative of the trace
  series), so it costs nothing beyond the fit at any n. It is what R's numerical-Hessian
  covariance (``method="LU"``/``"Matrix"``) approximates (agreement 1.3e-7 at n = 2,025,
  ``tests/test_models_lattice_r.py``), what Stata's ``spregress, ml`` reports (OIM) and what
  LeSage's toolbox computes for large n.
* ``information="expected"``: the expected information, with :math:`\mathrm{tr}(G'G)` and
  :math:`GX\beta` (:math:`G = W(I-\rho W)^{-1}`). It is what R spatialreg's
  ``method="eigen"`` and spreg's ML estimators report (SEs agree with both to 1e-6 and better
  in the reference tests, which ask for it). Its extra cost, :math:`\mathrm{tr}(G'G)`, is a
  dense solve next to the eigenvalues (small n), n sparse solves on the exact sparse path
  (:math:`O(n\cdot\mathrm{nnz}(LU))`: 15-50 fits' worth at n = 2,000-25,000, so
  :func:`warn_if_expensive` warns first with an
  :class:`~spatialflow.exceptions.ExpensiveInformationWarning`), or, with the approximate
  log-determinants, a Hutchinson estimate with a control variate whose Monte Carlo SE is
  reported (``results.approximation["tr_GtG_se"]``).

The matrix itself is written once, for every design, in
:mod:`spatialflow.models._estimation.information`. The two agree asymptotically; in a sample they differ
by the curvature of its likelihood (up to 10% of an SE at n = 49: Columbus SAR; for Columbus GNS the
correlation of rho and lambda is -0.90 observed, -0.98 expected). Until issue 11,
``logdet="auto"`` switched between them at n = 1,500 (later 5,000), which moved SEs by up
to 10% when a few units were added; until issue 22 the expected one was the default, whose
tr(G'G) cost up to 15x the fit at 2,875 counties and 472 s at n = 99,856.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import lazy_loader as lazy
import numpy as np
import scipy.linalg as la

from ...exceptions import (BoundaryWarning, ConvergenceWarning, ExpensiveInformationWarning,
                           NumericalError,
                          InputError, ModelSpecificationError)
from .information import error_information, lag_information
from .search import corrected_search, polish_minimum
from .._linalg.logdet import LogDet
from .._design.problem import Design

_optimize = lazy.load("scipy.optimize", suppress_warning=True)  # 0.1-0.3 s: loaded by the first fit

__all__ = ["MLFit", "fit_ols", "fit_lag", "fit_error", "inv_information", "LOG2PI",
           "DEFAULT_INFORMATION", "EXPENSIVE_RATIO", "warn_if_expensive"]

LOG2PI = float(np.log(2 * np.pi))
#: The covariance convention of ``fit()`` (module docstring): the observed information.
DEFAULT_INFORMATION = "observed"
#: An information matrix estimated to cost more than this many fits warns before the fit.
EXPENSIVE_RATIO = 10.0
#: Relative distance to a bound of the admissible interval below which we warn.
BOUND_TOL = 1e-6


@dataclass(frozen=True)
class MLFit:
    """Raw estimates of one fit (arrays; the results object adds labels)."""

    beta: np.ndarray
    spatial: float | None
    sigma2: float
    llf: float
    cov_full: np.ndarray  # order: beta..., [spatial], sigma2
    resid: np.ndarray
    fitted: np.ndarray
    converged: bool = True
    at_bound: bool = False
    information: str = "expected"
    optimizer: dict = field(default_factory=dict)


def _ols(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    # Solve on unit-norm columns and scale back: regressors in yuan next to shares would
    # otherwise look rank deficient to the solver's tolerance.
    norms = np.linalg.norm(X, axis=0)
    norms[norms == 0] = 1.0
    coef, *_ = la.lstsq(X / norms, y, lapack_driver="gelsy")
    return coef / (norms[:, None] if coef.ndim == 2 else norms)


def inv_information(info: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix after diagonal equilibration.

    Inverting :math:`D^{-1/2} I D^{-1/2}` (unit diagonal) and scaling back is exact in
    arithmetic and keeps the covariance accurate when parameters differ in scale by many
    orders of magnitude.
    """
    info = np.asarray_chkfinite(info)      # ValueError on inf/NaN, as scipy's inv raised
    d = np.sqrt(np.abs(np.diag(info)))
    d[d == 0] = 1.0
    try:
        # numpy's LU inverse: scipy >= 1.16's la.inv first detects the matrix structure, which
        # cost 3-15 ms per call for a 10 x 10 matrix with two BLAS threads on the loaded
        # project machine (0.02 ms here) -- a tenth of an SDM fit at n = 2,875.
        return np.linalg.inv(info / np.outer(d, d)) / np.outer(d, d)
    except la.LinAlgError as err:
        raise NumericalError(
            f"the information matrix ({info.shape[0]} x {info.shape[1]}) is singular, so the "
            "estimates have no covariance: usually collinear regressors (after the panel "
            "transformation or with their spatial lags) or a parameter that does not enter "
            f"the likelihood. ({err})") from err


def fit_ols(y: np.ndarray, X: np.ndarray) -> MLFit:
    r"""Ordinary least squares, reported as R's ``lm`` does.

    :math:`\hat\beta = (X'X)^{-1}X'y`; the covariance uses :math:`s^2 = e'e/(n-k)`;
    the log-likelihood uses the ML variance :math:`e'e/n`.
    """
    n, k = X.shape
    beta = _ols(X, y)
    e = y - X @ beta
    sse = float(e @ e)
    s2 = sse / (n - k)
    llf = -0.5 * n * (LOG2PI + 1.0 + np.log(sse / n))
    cov_beta = s2 * inv_information(X.T @ X)
    cov_full = la.block_diag(cov_beta, np.array([[2 * s2**2 / (n - k)]]))
    return MLFit(beta, None, s2, llf, cov_full, e, y - e, information="ols")


def minimize_scalar(*args, **kwargs):
    """:func:`scipy.optimize.minimize_scalar`; scipy.optimize (0.1-0.3 s to import) loads
    with the first fit, not with ``from spatialflow import SDM``."""
    return _optimize.minimize_scalar(*args, **kwargs)


def _maximise(negll, lower: float, upper: float, xatol: float):
    # Keep clear of the singular end points, where ln|I - rho W| = -inf.
    width = upper - lower
    lo, hi = lower + 1e-10 * width, upper - 1e-10 * width
    # xatol is meant for an interval of width ~2 (rho of a row-standardised W); a W scaled
    # by s has an interval 1/s as wide, where an absolute tolerance would stop at once on a
    # wrong rho (a binary W times 1e12: rho ~ 0). Scaled down, never up.
    res = minimize_scalar(negll, bounds=(lo, hi), method="bounded",
                          options={"xatol": xatol * min(1.0, width / 2), "maxiter": 500})
    at_bound = min(res.x - lower, upper - res.x) < BOUND_TOL * width
    return res, at_bound


def _estimate(negll, logdet: LogDet, name: str, fixed: float | None, xatol: float):
    """Maximise the concentrated likelihood over the admissible interval (or take ``fixed``).

    ``negll(r, ld)`` is the negative concentrated log-likelihood with log-determinant
    ``ld`` (``logdet`` by default). An exact strategy with a cheap surrogate is searched by
    :func:`~spatialflow.models._estimation.search.corrected_search` (six factorisations
    instead of fourteen on the sparse LU path); otherwise, or when its conditions fail,
    Brent's bounded search on the exact function.

    Returns the estimate, whether the optimiser converged, whether it sits at a bound, and
    the optimiser's report. A strategy that started from a conservative interval (large n)
    is asked for the exact one when the estimate reaches its lower end, and the search reruns.
    """
    if fixed is not None:
        return float(fixed), True, False, {"fixed": True}
    bounds = logdet.bounds
    found = corrected_search(negll, logdet, bounds)
    if found is not None:
        return found.x, True, False, {"nfev": found.nfev, "message": found.message}
    res, at_bound = _maximise(negll, *bounds, xatol=xatol)
    if at_bound and res.x < 0 and logdet.refine_bounds():
        bounds = logdet.bounds
        res, at_bound = _maximise(negll, *bounds, xatol=xatol)
    # An approximate strategy whose truncation bound at the estimate exceeds its tolerance
    # (rho near a bound) raises its order; the search reruns on the more accurate objective.
    if getattr(logdet, "refine_at", None) is not None and logdet.refine_at(float(res.x)):
        res, at_bound = _maximise(negll, *bounds, xatol=xatol)
    _warn_fit(name, res, at_bound, bounds)
    x = float(res.x)
    if res.success and not at_bound and not getattr(logdet, "costly_evaluations", False):
        # Brent's search resolves rho only to ~sqrt(eps)|rho|: a few more evaluations of a
        # cheap objective (dense eigenvalues, trace series) find the root of its slope to
        # ~1e-11 (search.polish_minimum), so that two forms of one likelihood give one rho.
        width = bounds[1] - bounds[0]
        x = polish_minimum(negll, x, bounds[0] + 1e-10 * width, bounds[1] - 1e-10 * width)
    return x, bool(res.success), at_bound, {"nfev": int(res.nfev),
                                            "message": str(res.message)}


def _warn_fit(name: str, res, at_bound: bool, bounds) -> None:
    if at_bound:
        warnings.warn(
            f"{name} = {res.x:.6g} is at the edge of its admissible interval "
            f"({bounds[0]:.6g}, {bounds[1]:.6g}); the likelihood may have no interior "
            "maximum and its standard error is unreliable.", BoundaryWarning, stacklevel=5)
    if not res.success:
        warnings.warn(f"the optimiser for {name} did not converge: {res.message}",
                      ConvergenceWarning, stacklevel=5)


def _use_expected(information: str | None, logdet: LogDet) -> bool:
    # None (engine callers that do not choose): what the strategy offers, expected first.
    # The models' fit() always chooses (default "expected").
    if information is None:
        return bool(logdet.provides_tr_GtG)
    if information not in ("expected", "observed"):
        raise InputError(f"information must be 'expected' or 'observed'; {information!r} was "
                         "given.")
    if information == "expected" and not logdet.provides_tr_GtG:
        raise ModelSpecificationError(
            f"the expected information needs tr(G'G), which the {logdet.method!r} "
            "log-determinant strategy does not provide; pass information='observed' (or "
            "another logdet).")
    return information == "expected"


def warn_if_expensive(design: Design, logdet: LogDet, information: str, *, solves: int = 1,
                      evaluations: int | None = None, stacklevel: int = 4) -> None:
    r"""Warn (:class:`~spatialflow.exceptions.ExpensiveInformationWarning`) before a fit whose
    expected information would cost more than :data:`EXPENSIVE_RATIO` times the fit.

    Only the exact sparse path can: its :math:`\mathrm{tr}(G'G)` solves for every column of
    :math:`(I-\rho W)^{-1}` (:meth:`~spatialflow.models._linalg.logdet.SparseLULogDet.
    expected_information_cost` estimates the ratio from the LU's fill). The eigenvalue path
    costs about one more eigen-decomposition, and the approximate path's Hutchinson
    estimate about as much as its traces.
    """
    if information != "expected" or not getattr(logdet, "provides_tr_GtG", False):
        return
    cost = getattr(logdet, "expected_information_cost", None)
    if cost is None:
        return
    options = {"solves": solves}
    if evaluations is not None:
        options["evaluations"] = evaluations
    ratio = cost(**options)
    if ratio > EXPENSIVE_RATIO:
        n = design.W.shape[0]
        warnings.warn(
            f"information='expected' needs the exact tr(G'G) of the n = {n:,} sparse LU path: "
            f"{n:,} sparse solves, estimated at {ratio:.0f} times the cost of the fit itself. "
            "information='observed' (the default: what R's LU/Matrix methods and Stata's "
            "spregress report) needs no extra work; logdet='approx' estimates tr(G'G) with "
            "a stated Monte Carlo error.", ExpensiveInformationWarning, stacklevel=stacklevel)


def fit_lag(design: Design, logdet: LogDet, *, rho: float | None = None,
            xatol: float = 1e-12, information: str | None = None) -> MLFit:
    """Spatial lag model by concentrated ML (see the module docstring).

    Parameters
    ----------
    design : Design
        The estimation problem (:mod:`spatialflow.models._design.problem`): a cross-section
        (``Design.cross_section(y, X, W)``) or a transformed panel.
    logdet : LogDet
        The n x n strategy of ``design.W``; the design counts it ``counts.T`` times and drops
        the unit root under the Lee-Yu transformation.
    rho : float, optional
        Fix rho instead of estimating it (for restricted fits and identities).
    information : {"expected", "observed"}, optional
        Which information matrix the covariance inverts (module docstring); default: the
        expected one if the strategy provides tr(G'G), else the observed one.

    Returns
    -------
    MLFit
        ``beta`` holds the ``design.k`` reported coefficients (nuisance columns estimated
        but left out), ``cov_full`` is ordered (beta, rho, sigma2).
    """
    logdet = design.logdet(logdet)
    expected = _use_expected(information, logdet)
    y, X = design.y, design.X
    N, Ts, k = design.counts.N, design.counts.T, design.k
    Wy = design.lag(y)
    coef = _ols(X, np.column_stack([y, Wy]))
    b0, bL = coef[:, 0], coef[:, 1]
    e0, eL = y - X @ b0, Wy - X @ bL
    s00, s0L, sLL = float(e0 @ e0), float(e0 @ eL), float(eL @ eL)

    def negll(r: float, ld=logdet) -> float:
        # The form spreg and R maximise (ld: the log-determinant, or a model of it).
        sse = s00 - 2 * r * s0L + r * r * sLL
        return 0.5 * N * np.log(sse / N) - Ts * ld(r)

    rho_hat, converged, at_bound, opt = _estimate(negll, logdet, "rho", rho, xatol)

    beta = (b0 - rho_hat * bL)[:k]
    e = e0 - rho_hat * eL
    sigma2 = float(e @ e) / N
    llf = -0.5 * N * (LOG2PI + 1.0 + np.log(sigma2)) + Ts * logdet(rho_hat)
    info, information = lag_information(design, logdet, beta, rho_hat, sigma2, e,
                                        expected=expected)
    cov_full = _covariance(info, fixed=rho is not None)
    return MLFit(beta, rho_hat, sigma2, llf, cov_full, e, y - e, converged, at_bound,
                 information, opt)


def fit_error(design: Design, logdet: LogDet, *, lam: float | None = None,
              xatol: float = 1e-12, information: str | None = None) -> MLFit:
    """Spatial error model by concentrated ML (see the module docstring and :func:`fit_lag`)."""
    logdet = design.logdet(logdet)
    expected = _use_expected(information, logdet)
    y, X = design.y, design.X
    N, Ts, k = design.counts.N, design.counts.T, design.k
    Wy = design.lag(y)
    WX = design.lag(X)
    # Cross-products as quadratic polynomials in lambda: each evaluation is O(k^2).
    XX, XWX, WXWX = X.T @ X, X.T @ WX, WX.T @ WX
    Xy, XWy, WXy, WXWy = X.T @ y, X.T @ Wy, WX.T @ y, WX.T @ Wy
    yy, yWy, WyWy = float(y @ y), float(y @ Wy), float(Wy @ Wy)

    def gls(l: float):
        A = XX - l * (XWX + XWX.T) + l * l * WXWX
        b = Xy - l * (XWy + WXy) + l * l * WXWy
        beta = la.solve(A, b, assume_a="pos")
        sse = (yy - 2 * l * yWy + l * l * WyWy) - float(b @ beta)
        return beta, max(sse, np.finfo(float).tiny)

    def negll(l: float, ld=logdet) -> float:
        _, sse = gls(l)
        return 0.5 * N * np.log(sse / N) - Ts * ld(l)

    lam_hat, converged, at_bound, opt = _estimate(negll, logdet, "lambda", lam, xatol)

    # Final coefficients by least squares on the filtered data (more accurate than the
    # normal equations used inside the search).
    beta_all = _ols(X - lam_hat * WX, y - lam_hat * Wy)
    u = y - X @ beta_all
    e = u - lam_hat * (Wy - WX @ beta_all)  # the innovations epsilon
    sigma2 = float(e @ e) / N
    llf = -0.5 * N * (LOG2PI + 1.0 + np.log(sigma2)) + Ts * logdet(lam_hat)
    beta = beta_all[:k]
    info, information = error_information(design, logdet, beta, lam_hat, sigma2, e,
                                          expected=expected)
    cov_full = _covariance(info, fixed=lam is not None)
    # Fitted values as R's errorsarlm reports them: y minus the innovations.
    return MLFit(beta, lam_hat, sigma2, llf, cov_full, e, y - e, converged, at_bound,
                 information, opt)


def _covariance(info: np.ndarray, *, fixed: bool) -> np.ndarray:
    """Inverse information; a fixed spatial parameter (row k) has no sampling variance."""
    if not fixed:
        return inv_information(info)
    k = info.shape[0] - 2
    keep = [i for i in range(k + 2) if i != k]
    return inv_information(info[np.ix_(keep, keep)])
