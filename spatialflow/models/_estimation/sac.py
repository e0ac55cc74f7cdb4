r"""Concentrated maximum likelihood for the SAC (SARAR) and GNS models.

.. math::
    y = \rho W y + X\beta + u,\qquad u = \lambda W u + \varepsilon,\qquad
    \varepsilon \sim N(0, \sigma^2 I)

(GNS: :math:`X` holds the lagged regressors :math:`WX` as well). With
:math:`A = I-\rho W`, :math:`B = I-\lambda W` and :math:`\varepsilon = B(Ay - X\beta)`,
:math:`\beta` and :math:`\sigma^2` are concentrated out for fixed :math:`(\rho, \lambda)`:

.. math::
    \hat\beta(\rho,\lambda) = (X_\lambda'X_\lambda)^{-1}X_\lambda'y_{\rho\lambda},\quad
    X_\lambda = BX,\quad y_{\rho\lambda} = BAy,\qquad
    \hat\sigma^2 = \tfrac1N \lVert y_{\rho\lambda} - X_\lambda\hat\beta\rVert^2,

    \ell(\rho,\lambda) = -\tfrac{N}{2}\left[\ln(2\pi) + 1 + \ln\hat\sigma^2(\rho,\lambda)\right]
        + s\ln|I-\rho W| + s\ln|I-\lambda W|

(R spatialreg's ``sacsar.f``). Because
:math:`y_{\rho\lambda} = y - (\rho+\lambda)Wy + \rho\lambda W^2y`, every evaluation needs only
fixed cross-products (:math:`O(k^2)` work) plus two log-determinants.

The two-dimensional surface is often flat along a ridge (:math:`\rho` and :math:`\lambda`
weakly identified, above all with :math:`WX` in the model), so it is searched robustly: the
profile is evaluated on a ``grid`` x ``grid`` lattice of the admissible box, and a damped
Newton search (analytic gradient and Hessian, Levenberg damping, backtracking inside the box)
starts from the best lattice point and from every other local maximum of the lattice (up to
four); the best end point wins. The result is therefore
never worse than the lattice maximum. The maximum is flagged *weakly identified*
(:class:`~spatialflow.exceptions.WeakIdentificationWarning`) when the estimated correlation
of :math:`\hat\rho` and :math:`\hat\lambda` exceeds :data:`WEAK_CORR` in absolute value, or when
a separate local maximum lies within :data:`WEAK_LLF_GAP` log-likelihood units of the global
one.

Covariance of :math:`(\beta, \rho, \lambda, \sigma^2)`: by default (``fit()``, every n)
the inverse of the analytic *observed* information (below); with
``fit(information="expected")`` the analytic *expected* information of Anselin (1988, ch. 6),
as R's ``sacsarlm(method="eigen")``; with :math:`G_A = WA^{-1}`, :math:`G_B = WB^{-1}`,
:math:`H = BG_AB^{-1}`:

.. math::
    I_{\beta\beta} = X_\lambda'X_\lambda/\sigma^2,\quad
    I_{\beta\rho} = X_\lambda'BG_AX\beta/\sigma^2,\quad I_{\beta\lambda} = 0,

    I_{\rho\rho} = \mathrm{tr}\,G_A^2 + \mathrm{tr}\,H'H + \lVert BG_AX\beta\rVert^2/\sigma^2,\quad
    I_{\lambda\lambda} = \mathrm{tr}\,G_B^2 + \mathrm{tr}\,G_B'G_B,

    I_{\rho\lambda} = \mathrm{tr}\,G_B'H + \mathrm{tr}\,WG_AB^{-1},\quad
    I_{\rho\sigma^2} = \mathrm{tr}\,G_A/\sigma^2,\quad
    I_{\lambda\sigma^2} = \mathrm{tr}\,G_B/\sigma^2,\quad I_{\sigma^2\sigma^2} = N/(2\sigma^4).

Its Frobenius products come from blocked sparse solves, or, with the approximate
log-determinants (n > 5,000 by default), from Rademacher probes and series solves
(:func:`_expected_information`; no n x n matrix). The analytic *observed* information (the
negative Hessian of :math:`\ell`; panels always) needs only :math:`\mathrm{tr}\,G_A^2` and
:math:`\mathrm{tr}\,G_B^2`; ``results.information`` says which.

Examples
--------
>>> import libpysal, numpy as np, pandas as pd, scipy.sparse as sp
>>> import spatialflow as sf
>>> w = libpysal.weights.lat2W(10, 10)
>>> w.transform = "r"
>>> W = w.sparse.tocsc()
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=100)
>>> u = sp.linalg.spsolve(sp.identity(100, format="csc") - 0.3 * W, rng.normal(size=100))
>>> y = sp.linalg.spsolve(sp.identity(100, format="csc") - 0.4 * W, 1 + 2 * x + u)
>>> res = sf.SAC.from_formula("y ~ x", data=pd.DataFrame({"y": y, "x": x}), w=w).fit()
>>> list(res.params.index), res.information
(['Intercept', 'x', 'rho', 'lambda'], 'observed')
>>> sorted(res.extra["identification"])
['corr', 'local_maxima', 'reason', 'weak']
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ...exceptions import (BoundaryWarning, ConvergenceWarning, ModelSpecificationError,
                           WeakIdentificationWarning)
from .._linalg.logdet import map_column_blocks
from .._linalg.operator import SpatialOperator
from .ml import LOG2PI, _ols, inv_information
from .._design.problem import Design

__all__ = ["SACFit", "fit_sac", "sac_profile", "WEAK_CORR", "WEAK_LLF_GAP", "GRID"]

#: |corr(rho, lambda)| above which the maximum is reported as weakly identified.
WEAK_CORR = 0.95
#: A second local maximum within this many log-likelihood units (half the 95% chi2(1)
#: critical value) is statistically indistinguishable from the global one.
WEAK_LLF_GAP = 1.92
#: The random stream (of the log-determinant's seed) of the SAC trace probes at large n.
SAC_PROBE_STREAM = 2
#: Default lattice size per axis of the profile grid.
GRID = 25
#: Distance to a bound of the admissible interval, relative to its width, below which the
#: estimate is reported at the boundary: the log-determinant diverges there, so an estimate
#: this close is pinned by the Jacobian, not by the data, and its information-matrix SE
#: is unreliable.
BOUND_TOL = 1e-3


@dataclass(frozen=True)
class SACFit:
    """Raw estimates of one SAC / GNS fit (arrays; the results object adds labels).

    ``cov_full`` is ordered ``beta..., rho, lambda, sigma2``; ``identification`` holds the
    weak-identification diagnostics: ``corr`` (of rho and lambda), ``local_maxima`` (other
    maxima as ``(rho, lambda, logL below the global maximum)``), ``weak`` and ``reason``.
    """

    beta: np.ndarray
    rho: float
    lam: float
    sigma2: float
    llf: float
    cov_full: np.ndarray
    resid: np.ndarray
    fitted: np.ndarray
    converged: bool = True
    at_bound: bool = False
    information: str = "expected"
    optimizer: dict = field(default_factory=dict)
    identification: dict = field(default_factory=dict)


class _Cross:
    r"""Cross-products that make the concentrated likelihood O(k^2) per evaluation.

    ``lag`` is the design's lag :math:`z \mapsto (I_T\otimes W)z` (period by period, no
    Kronecker product).
    """

    def __init__(self, y, X, lag):
        Wy = lag(y)
        WWy = lag(Wy)
        WX = lag(X)
        self.Y = np.column_stack([y, Wy, WWy])
        self.WX = WX
        self.YY = self.Y.T @ self.Y
        self.XX, self.XWX, self.WXWX = X.T @ X, X.T @ WX, WX.T @ WX
        self.XY, self.WXY = X.T @ self.Y, WX.T @ self.Y
        # Unit-norm columns keep the small normal equations well conditioned.
        self.scale = np.sqrt(np.maximum(np.diag(self.XX), np.finfo(float).tiny))

    def solve(self, r: float, l: float):
        """(SSE, beta, c, A, b) at (rho, lambda); c maps Y to y_{rho,lambda}."""
        c = np.array([1.0, -(r + l), r * l])
        A = self.XX - l * (self.XWX + self.XWX.T) + l * l * self.WXWX
        b = (self.XY - l * self.WXY) @ c
        s = self.scale
        beta = la.solve(A / np.outer(s, s), b / s, assume_a="pos") / s
        sse = float(c @ self.YY @ c) - float(b @ beta)
        return max(sse, np.finfo(float).tiny), beta, c, A, b

    def sse_gradient(self, r: float, l: float):
        r"""SSE and its gradient in (rho, lambda) by the envelope theorem.

        :math:`\partial SSE/\partial\theta = 2e'\,\partial(y_{\rho\lambda}-X_\lambda\beta)/
        \partial\theta` at the concentrated :math:`\hat\beta`.
        """
        sse, beta, c, A, b = self.solve(r, l)
        XlY = self.XY - l * self.WXY          # X_l' Y
        # e'Yd = c'Y'Yd - beta' X_l'Y d for any d
        def eY(d):
            return float(c @ self.YY @ d) - float(beta @ (XlY @ d))
        d_rho = np.array([0.0, -1.0, l])
        d_lam = np.array([0.0, -1.0, r])
        # e'WX beta = c'Y'WX beta - beta' X_l'WX beta, X_l'WX = X'WX - l WX'WX
        eWXb = float(c @ (self.WXY.T @ beta)) - float(beta @ ((self.XWX - l * self.WXWX) @ beta))
        g = np.array([2 * eY(d_rho), 2 * (eY(d_lam) + eWXb)])
        return sse, g


def sac_profile(design: Design, logdet):
    r"""The concentrated log-likelihood :math:`\ell(\rho, \lambda)` as a function.

    Returned as ``f(rho, lam) -> float`` for tests and plots of the surface.
    """
    cross = _Cross(design.y, design.X, design.lag)
    N, ld_weight = design.counts.N, design.counts.T
    logdet = design.logdet(logdet)

    def llf(r: float, l: float) -> float:
        sse, *_ = cross.solve(r, l)
        return (-0.5 * N * (LOG2PI + 1.0 + np.log(sse / N))
                + ld_weight * (logdet(r) + logdet(l)))
    return llf


def fit_sac(design: Design, logdet, *, grid: int = GRID, expected: bool | None = None,
            name: str = "SAC") -> SACFit:
    """SAC / GNS by concentrated ML (see the module docstring).

    Parameters
    ----------
    design : Design
        The estimation problem (:mod:`spatialflow.models._design.problem`; GNS: ``X`` with the
        lagged regressors). Its nuisance columns (panel time dummies) are estimated but left
        out of the reported covariance; the likelihood counts ``counts.N`` observations and
        both log-determinants ``counts.T`` times (less the unit roots under Lee-Yu).
    logdet : LogDet-like
        The n x n strategy of ``design.W`` (callable, ``bounds``, ``tr_G``, ``tr_GG``).
    grid : int
        Lattice points per axis of the starting profile grid.
    expected : bool, optional
        Expected or observed information; default expected when the strategy has exact
        traces and the model is a cross-section (N = n).
    """
    y, X, lag = design.y, design.X, design.lag
    logdet = design.logdet(logdet)
    k_all = X.shape[1]
    k, N, ld_weight = design.k, design.counts.N, design.counts.T
    if expected and design.T > 1:
        raise ModelSpecificationError(
            f"the expected information of a {name} panel is not implemented (its Frobenius "
            "products would need the transformed operator); panels report the observed "
            "information, pass expected=False.")
    cross = _Cross(y, X, lag)
    lo, hi = logdet.bounds
    width = hi - lo
    # Keep clear of the singular end points, where ln|I - rho W| = -inf.
    box = (lo + 1e-6 * width, hi - 1e-6 * width)
    # The scale of rho and lambda: of order 1 for an ordinary W (row-standardised, binary),
    # whose search is left as tuned (scale 1). A W scaled by s has an interval 1/s as wide,
    # where the steps and tolerances below (meant for values of order 1) would be too
    # coarse (s > 1) or too fine (s < 1): it is searched in units of the interval instead.
    extent = max(abs(lo), abs(hi))
    scale = 1.0 if 1e-3 <= extent <= 1e3 else extent

    # rho and lambda share one log-determinant function: remember its values (a sparse LU
    # factorisation each for large n).
    ld_cache: dict = {}

    def ld(v):
        v = float(v)
        if v not in ld_cache:
            ld_cache[v] = logdet(v)
        return ld_cache[v]

    exact = getattr(getattr(logdet, "base", logdet), "method", "") == "eigen"

    def ld_derivs(v):
        """ln|I - vW|, tr G(v) = -d/dv, tr G(v)^2 = -d2/dv2 (exact, or one 3-point stencil)."""
        if exact:
            return ld(v), logdet.tr_G(v), logdet.tr_GG(v)
        # h balances the O(h^2) truncation against rounding in ln|.| (about 1e-13 relative)
        h = min(3e-5 * max(scale, abs(v)), 0.25 * min(v - lo, hi - v))
        a, b, c = ld(v - h), ld(v), ld(v + h)
        return b, -(c - a) / (2 * h), -(c - 2 * b + a) / h**2

    def sse_part(p):
        sse, g = cross.sse_gradient(p[0], p[1])
        return 0.5 * N * np.log(sse / N), 0.5 * N * g / sse

    def objective(p):
        return cross_obj(p) - ld_weight * (ld(p[0]) + ld(p[1]))

    def cross_obj(p):
        sse = cross.solve(p[0], p[1])[0]
        return 0.5 * N * np.log(sse / N)

    def full(p):
        """Objective, analytic gradient and Hessian (SSE part by differences of its
        analytic gradient: O(k^2), no log-determinant)."""
        f, g = sse_part(p)
        hstep = 1e-6 * scale
        H = np.empty((2, 2))
        for i in range(2):
            d = np.zeros(2)
            d[i] = hstep
            H[:, i] = (sse_part(p + d)[1] - sse_part(p - d)[1]) / (2 * hstep)
        H = 0.5 * (H + H.T)
        lr, gr, hr = ld_derivs(p[0])
        ll, gl, hl = ld_derivs(p[1])
        return (f - ld_weight * (lr + ll), g + ld_weight * np.array([gr, gl]),
                H + ld_weight * np.diag([hr, hl]))

    # --- lattice: the log-determinant is one function of one argument, evaluated once
    axis = np.linspace(box[0], box[1], grid + 2)[1:-1]
    ld_axis = np.array([ld(a) for a in axis])
    surface = np.empty((grid, grid))
    for i, r in enumerate(axis):
        for j, l in enumerate(axis):
            sse = cross.solve(r, l)[0]
            surface[i, j] = 0.5 * N * np.log(sse / N) - ld_weight * (ld_axis[i] + ld_axis[j])
    starts = _lattice_minima(surface)
    runs = []
    def full_scaled(u):
        f, g, H = full(u * scale)
        return f, g * scale, H * scale ** 2

    for i, j in starts:
        res = _damped_newton(full_scaled, lambda u: objective(u * scale),
                             np.array([axis[i], axis[j]]) / scale,
                             (box[0] / scale, box[1] / scale), lo / scale, hi / scale)
        res.x = res.x * scale
        runs.append((float(res.fun), res, (axis[i], axis[j])))
    runs.sort(key=lambda t: t[0])
    best_f, best, _ = runs[0]
    grid_best = float(surface.min())
    if best_f > grid_best:  # a failed local search never beats the lattice
        i, j = np.unravel_index(np.argmin(surface), surface.shape)
        best_x = np.array([axis[i], axis[j]])
        best_f = grid_best
        converged = False
    else:
        best_x, converged = best.x, best.success
    r_hat, l_hat = float(best_x[0]), float(best_x[1])
    if min(r_hat, l_hat) - lo < BOUND_TOL * width and min(r_hat, l_hat) < 0 \
            and logdet.refine_bounds():
        # A strategy that started from a conservative interval (very large n) widens it to
        # the exact one when an estimate reaches its lower end; search again.
        return fit_sac(design, getattr(logdet, "base", logdet), grid=grid, expected=expected,
                       name=name)

    at_bound = any(min(v - lo, hi - v) < BOUND_TOL * width for v in (r_hat, l_hat))
    if at_bound:
        which = [nm for nm, v in (("rho", r_hat), ("lambda", l_hat))
                 if min(v - lo, hi - v) < BOUND_TOL * width]
        warnings.warn(
            f"{name}: {' and '.join(which)} at (or next to) the edge of the admissible interval "
            f"({lo:.6g}, {hi:.6g}) (rho = {r_hat:.6g}, lambda = {l_hat:.6g}); there the maximum "
            "is pinned by the log-determinant rather than by the data and the standard "
            "errors are unreliable. Consider the nested models (SDM, SDEM, SAC).",
            BoundaryWarning, stacklevel=3)
    if not converged:
        warnings.warn(f"{name}: the optimiser for (rho, lambda) did not converge: "
                      f"{best.message}", ConvergenceWarning, stacklevel=3)

    # --- final estimates: least squares on the filtered data (more accurate than the
    # normal equations used inside the search)
    Wy = lag(y)
    WX = cross.WX
    Xl = X - l_hat * WX
    ys = y - (r_hat + l_hat) * Wy + r_hat * l_hat * lag(Wy)
    beta = _ols(Xl, ys)
    e = ys - Xl @ beta
    sigma2 = float(e @ e) / N
    llf = (-0.5 * N * (LOG2PI + 1.0 + np.log(sigma2))
           + ld_weight * (logdet(r_hat) + logdet(l_hat)))

    if expected is None:
        # Cross-sections, at any n (traces exact, or estimated by an approximate strategy);
        # panels use the observed information (results.information says which).
        expected = bool(getattr(logdet, "provides_tr_GtG", False)) and design.T == 1
    if expected:
        info = _expected_information(X, design.W, beta, r_hat, l_hat, sigma2, N, logdet)
    else:
        info = _observed_information(y, X, lag, logdet, beta, r_hat, l_hat, sigma2, N,
                                     ld_weight)
    cov_all = inv_information(info)
    keep = list(range(k)) + [k_all, k_all + 1, k_all + 2]
    cov_full = cov_all[np.ix_(keep, keep)]

    ident = _identification(cov_full, k, runs, best_f, r_hat, l_hat, width)
    if ident["weak"]:
        warnings.warn(
            f"{name}: rho and lambda are weakly identified ({ident['reason']}); the "
            "likelihood is nearly flat along a ridge, so their split (and the effects that "
            "depend on rho) is fragile. Compare with the nested models (SDM, SDEM, SAC).",
            WeakIdentificationWarning, stacklevel=3)
    opt = {"starts": [tuple(map(float, s)) for _, _, s in runs],
           "ends": [tuple(map(float, res.x)) for _, res, _ in runs],
           "end_llf": [float(-f) for f, _, _ in runs], "grid": grid,
           "grid_max_llf": _llf_from_neg(grid_best, N),
           "nfev": int(sum(res.nfev for _, res, _ in runs)), "message": str(best.message)}
    fitted = y - e
    return SACFit(beta[:k], r_hat, l_hat, sigma2, float(llf), cov_full, e, fitted, converged,
                  at_bound, "expected" if expected else "observed", opt, ident)


@dataclass
class _Search:
    x: np.ndarray
    fun: float
    success: bool
    nfev: int
    message: str


def _damped_newton(full, objective, x, box, lo, hi, max_iter: int = 100) -> _Search:
    """Minimise the 2-D concentrated objective by Newton steps with the analytic Hessian.

    Levenberg damping when the Hessian is not positive definite (flat ridges), backtracking
    (Armijo) that keeps every iterate inside the box; converged when the step falls below
    1e-10. Newton reaches the rounding level of the maximum, which quasi-Newton methods
    stopping on their line search do not (they end about 1e-8 away).
    """
    x = np.asarray(x, dtype=float)
    f, g, H = full(x)
    nfev = 1
    for _ in range(max_iter):
        evals = np.linalg.eigvalsh(H)
        scale = max(1.0, float(np.max(np.abs(evals))))
        mu = 0.0 if evals.min() > 1e-10 * scale else -evals.min() + 1e-6 * scale
        step = la.solve(H + mu * np.eye(2), g)
        t = 1.0
        # Near the optimum the objective changes less than its rounding error (its curvature
        # times step^2), so a line search on f would stall there: take small Newton steps as
        # they are, where they converge quadratically on the exact gradient.
        local = mu == 0.0 and np.max(np.abs(step)) < 1e-5
        while True:
            x_new = x - t * step
            if box[0] < x_new[0] < box[1] and box[0] < x_new[1] < box[1]:
                if local:
                    break
                f_new = objective(x_new)
                nfev += 1
                if f_new <= f - 1e-4 * t * float(g @ step) or t * np.max(np.abs(step)) < 1e-12:
                    break
            t *= 0.5
            if t < 1e-12:
                # no descent along the Newton direction: a maximum on the box edge (the
                # caller reports it) or the rounding floor of a flat optimum
                edge = any(min(v - lo, hi - v) < 1e-4 * (hi - lo) for v in x)
                return _Search(x, f, bool(edge), nfev, "line search found no descent")
        moved = t * np.max(np.abs(step))
        x = x_new
        f, g, H = full(x)
        nfev += 1
        if moved < 1e-10:
            return _Search(x, f, True, nfev, "step below 1e-10")
    return _Search(x, f, False, nfev, f"no convergence in {max_iter} Newton iterations")


def _llf_from_neg(f: float, N: float) -> float:
    # The search minimises 0.5 N ln(SSE/N) - logdets; add back the constants of l.
    return float(-f - 0.5 * N * (LOG2PI + 1.0))


def _lattice_minima(surface: np.ndarray, max_starts: int = 4) -> list[tuple[int, int]]:
    """Indices of the lattice's best point and its other strict local minima (8-neighbour)."""
    g = surface.shape[0]
    padded = np.pad(surface, 1, constant_values=np.inf)
    minima = []
    for i in range(g):
        for j in range(g):
            window = padded[i:i + 3, j:j + 3].copy()
            centre = window[1, 1]
            window[1, 1] = np.inf
            if np.isfinite(centre) and centre <= window.min():
                minima.append((centre, i, j))
    minima.sort()
    best = np.unravel_index(np.argmin(surface), surface.shape)
    out = [tuple(int(v) for v in best)]
    for _, i, j in minima:
        if (i, j) not in out:
            out.append((i, j))
        if len(out) >= max_starts:
            break
    return out


def _identification(cov_full, k, runs, best_f, r_hat, l_hat, width) -> dict:
    v_r, v_l, c_rl = cov_full[k, k], cov_full[k + 1, k + 1], cov_full[k, k + 1]
    corr = float(c_rl / np.sqrt(v_r * v_l)) if v_r > 0 and v_l > 0 else float("nan")
    others = []
    for f, res, _ in runs[1:]:
        far = max(abs(res.x[0] - r_hat), abs(res.x[1] - l_hat)) > 0.05 * width
        if far and f - best_f < WEAK_LLF_GAP and not any(
                max(abs(res.x[0] - o[0]), abs(res.x[1] - o[1])) <= 0.05 * width
                for o in others):
            others.append((float(res.x[0]), float(res.x[1]), float(f - best_f)))
    reasons = []
    if not np.isfinite(corr) or abs(corr) > WEAK_CORR:
        reasons.append(f"corr(rho, lambda) = {corr:.3f}")
    if others:
        reasons.append(f"{len(others)} other local maximum(s) within {WEAK_LLF_GAP} of the "
                       "log-likelihood: " + ", ".join(
                           f"(rho={a:.3f}, lambda={b:.3f}, logL lower by {d:.3f})"
                           for a, b, d in others))
    return {"corr": corr, "local_maxima": others, "weak": bool(reasons),
            "reason": "; ".join(reasons)}


def _expected_information(X, W, beta, r, l, sigma2, N, logdet) -> np.ndarray:
    r"""Anselin's (1988) expected information, without an n x n matrix, at any n.

    With :math:`A = I-\rho W`, :math:`B = I-\lambda W`, :math:`G_A = WA^{-1}`,
    :math:`G_B = WB^{-1}`, :math:`H = BG_AB^{-1}`, the traces
    :math:`\lVert H\rVert_F^2`, :math:`\lVert G_B\rVert_F^2`, :math:`\langle G_B, H\rangle_F`
    and :math:`\mathrm{tr}(WG_AB^{-1})` are :math:`\sum_c f(e_c)` over the columns
    :math:`e_c` of the identity, taken a block at a time with two sparse LU solves per block
    (exact strategies), or :math:`E f(z)` over Rademacher probes with the series solves of an
    approximate strategy (the Monte Carlo counterpart, its probes those of tr(G'G));
    :math:`\mathrm{tr}\,G`, :math:`\mathrm{tr}\,G^2` come from the strategy.
    """
    n, k = X.shape
    W = sp.csr_matrix(W)
    if getattr(logdet, "approximate", False):
        def solve_a(B):
            return logdet.solve(r, B)

        def solve_b(B):
            return logdet.solve(l, B)
    else:
        op = SpatialOperator.of(W)
        solve_a, solve_b = op.solver(r), op.solver(l)

    def terms(E: np.ndarray) -> np.ndarray:
        """Per column of E: |HE|^2, |G_B E|^2, (G_B E)'HE, E'W G_A B^-1 E."""
        U = solve_b(E)                         # B^{-1} E
        GAU = W @ solve_a(U)                   # G_A B^{-1} E
        H = GAU - l * (W @ GAU)                # B G_A B^{-1} E
        GB = W @ U                             # G_B E
        return np.array([np.einsum("ij,ij->j", H, H), np.einsum("ij,ij->j", GB, GB),
                         np.einsum("ij,ij->j", GB, H), np.einsum("ij,ij->j", E, W @ GAU)])

    if getattr(logdet, "approximate", False):
        p = logdet.gtg_probes()
        rng = np.random.default_rng([int(logdet.seed), SAC_PROBE_STREAM])
        chunk = max(1, min(p, (256 * 2**20) // (8 * 8 * n)))   # about 256 MB of blocks
        per_probe = []
        for start in range(0, p, chunk):
            m = min(chunk, p - start)
            per_probe.append(terms(rng.integers(0, 2, size=(n, m)).astype(float) * 2.0 - 1.0))
        fro_h, fro_gb, gb_h, tr_wgab = np.concatenate(per_probe, axis=1).mean(axis=1)
    else:
        fro_h, fro_gb, gb_h, tr_wgab = np.sum(
            map_column_blocks(n, lambda start, E: terms(E).sum(axis=1)), axis=0)
    GAXb = W @ solve_a(X @ beta)
    BGAXb = GAXb - l * (W @ GAXb)
    Xl = X - l * (W @ X)
    info = np.zeros((k + 3, k + 3))
    info[:k, :k] = Xl.T @ Xl / sigma2
    info[:k, k] = info[k, :k] = Xl.T @ BGAXb / sigma2
    info[k, k] = logdet.tr_GG(r) + fro_h + float(BGAXb @ BGAXb) / sigma2
    info[k + 1, k + 1] = logdet.tr_GG(l) + fro_gb
    info[k, k + 1] = info[k + 1, k] = gb_h + tr_wgab
    info[k, k + 2] = info[k + 2, k] = logdet.tr_G(r) / sigma2
    info[k + 1, k + 2] = info[k + 2, k + 1] = logdet.tr_G(l) / sigma2
    info[k + 2, k + 2] = N / (2 * sigma2**2)
    return info


def _observed_information(y, X, lag, logdet, beta, r, l, sigma2, N, ld_weight) -> np.ndarray:
    r"""Negative Hessian of :math:`\ell` at the estimate (any n; sparse products only).

    With :math:`e = B(Ay - X\beta)`: :math:`e_\beta = -BX`, :math:`e_\rho = -BWy`,
    :math:`e_\lambda = -W(Ay - X\beta)`, :math:`e_{\rho\lambda} = W^2y`,
    :math:`e_{\beta\lambda} = WX`; :math:`-\ell_{ij} = (e_i'e_j + e'e_{ij})/\sigma^2`
    plus :math:`s\,\mathrm{tr}\,G^2` on the diagonal of :math:`\rho` and :math:`\lambda`.
    ``lag`` applies :math:`W` (:math:`I_T\otimes W` period by period for a panel).
    """
    k = X.shape[1]
    Wy = lag(y)
    WX = lag(X)
    ra = y - r * Wy - X @ beta          # A y - X beta
    Wr = lag(ra)
    e = ra - l * Wr
    BX = X - l * WX
    WWy = lag(Wy)
    BWy = Wy - l * WWy
    info = np.zeros((k + 3, k + 3))
    info[:k, :k] = BX.T @ BX / sigma2
    info[:k, k] = info[k, :k] = BX.T @ BWy / sigma2
    info[:k, k + 1] = info[k + 1, :k] = (BX.T @ Wr + WX.T @ e) / sigma2
    info[k, k] = float(BWy @ BWy) / sigma2 + ld_weight * logdet.tr_GG(r)
    info[k + 1, k + 1] = float(Wr @ Wr) / sigma2 + ld_weight * logdet.tr_GG(l)
    info[k, k + 1] = info[k + 1, k] = (float(BWy @ Wr) + float(e @ WWy)) / sigma2
    info[:k, k + 2] = info[k + 2, :k] = BX.T @ e / sigma2**2
    info[k, k + 2] = info[k + 2, k] = float(e @ BWy) / sigma2**2
    info[k + 1, k + 2] = info[k + 2, k + 1] = float(e @ Wr) / sigma2**2
    info[k + 2, k + 2] = N / (2 * sigma2**2)
    return info
