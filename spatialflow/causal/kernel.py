r"""A lean re-estimator of a fitted SDM/SAR/SDEM-DID for many treatment assignments.

Randomisation inference refits the model once per permuted treatment; only :math:`D` and
:math:`WD` change, W and the controls do not. This kernel reproduces the point estimates of
the package's two-way fixed-effects panel estimator (:mod:`spatialflow.models.panel`; tests
check agreement with ``fit()`` to the optimiser's tolerance) from quantities computed once:
the eigenvalues :math:`\lambda_j` of W and the within-transformed data.

With :math:`\tilde z` the unit-demeaned data with the period means removed (which is what
appending period dummies does) and :math:`N^* = (n-1)(T-1)`, :math:`T^* = T-1` under the
Lee-Yu transformation (:math:`N^* = nT`, :math:`T^* = T` and no :math:`\ln(1-\rho)` term
for the uncorrected within estimator), the concentrated log-likelihoods are

.. math::
    \text{lag (SAR, SDM):}\quad \ell(\rho) = -\tfrac{N^*}{2}\ln\mathrm{RSS}(\rho)
        + T^*\Big[\sum_j \ln(1-\rho\lambda_j) - \ln(1-\rho)\Big],\quad
    \mathrm{RSS}(\rho) = \lVert e_0 - \rho\, e_W\rVert^2

(:math:`e_0`, :math:`e_W`: residuals of :math:`\tilde y` and :math:`\widetilde{Wy}` on
:math:`\tilde Z`, so each evaluation costs O(n)), and for the error model (SDEM) the same
with :math:`\mathrm{RSS}(\lambda)` the least-squares residual sum of the filtered
:math:`\tilde y - \lambda\widetilde{Wy}` on :math:`\tilde Z - \lambda\widetilde{WZ}`.
Effects of D (W row-standardised, as the Lee-Yu two-way estimator requires): direct
:math:`\beta\,\overline{(1-\rho\lambda)^{-1}} + \theta\,\overline{\lambda(1-\rho\lambda)^{-1}}`,
total :math:`(\beta+\theta)/(1-\rho)`; SDEM: direct :math:`\beta`, indirect :math:`\theta`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..exceptions import ModelSpecificationError
from ._bridge import SpatialOperator, lag_panel, within

__all__ = ["DiDKernel"]

#: Largest n for which the kernel computes the eigenvalues of W densely (O(n^3) once).
_DENSE_EIGEN_MAX_N = 5000


def _resid(Q: np.ndarray, v: np.ndarray) -> np.ndarray:
    return v - Q @ (Q.T @ v)


@dataclass
class DiDKernel:
    """Point estimates of direct, indirect and total effects of D for any assignment.

    Build it with :meth:`from_results`; call it with a stacked (time-major) 0/1 vector.
    """

    y: np.ndarray             # (nT,) response, stacked time-major
    controls: np.ndarray      # (nT, c) the other regressors (intercept removed)
    lag_controls: np.ndarray  # (nT, c_l) W-lags of the lagged controls
    lag_treatment: bool       # W D among the regressors (SDM, SDEM)
    W: sp.csr_matrix
    eig: np.ndarray           # eigenvalues of W (complex allowed)
    bounds: tuple
    n: int
    T: int
    kind: str                 # "SAR", "SDM" or "SDEM"
    corrected: bool           # Lee-Yu transformation (else uncorrected within)

    @classmethod
    def from_results(cls, fit, treatment: str, W: sp.csr_matrix) -> "DiDKernel":
        """The kernel of a fitted two-way panel SAR/SDM/SDEM with regressor ``treatment``."""
        pdata = fit.model.panel_options.data
        n, T = pdata.n, pdata.T
        exog = [c for c in pdata.exog_names if c not in ("Intercept", treatment)]
        lagged = [c for c in pdata.lagged_names if c != treatment]
        lag_ctrl = lag_panel(pdata.W, pdata.X[lagged].to_numpy(float), n, T) if lagged \
            else np.empty((n * T, 0))
        if n > _DENSE_EIGEN_MAX_N:
            raise ModelSpecificationError(
                f"randomisation inference re-estimates the model from W's dense eigenvalues; "
                f"n = {n} exceeds {_DENSE_EIGEN_MAX_N}. Use the analytic standard errors "
                "(cov_type='cluster' or 'conley') at this size.")
        # W's eigenvalues and bounds from its SpatialOperator (computed once per W and
        # shared with the fit that this kernel re-estimates)
        logdet = SpatialOperator.of(W).logdet("eigen")
        eig, bounds = logdet.eigenvalues, logdet.bounds
        return cls(y=np.asarray(pdata.y, float), controls=pdata.X[exog].to_numpy(float),
                   lag_controls=lag_ctrl, lag_treatment=treatment in pdata.lagged_names,
                   W=sp.csr_matrix(pdata.W), eig=eig, bounds=bounds, n=n, T=T,
                   kind=fit.kind,
                   corrected=fit.panel.get("bias_correction") == "lee-yu")

    # ------------------------------------------------------------------ pieces
    def _two_way(self, z: np.ndarray) -> np.ndarray:
        return within(within(z, self.n, self.T, "unit"), self.n, self.T, "time")

    def _lag(self, z: np.ndarray) -> np.ndarray:
        return lag_panel(self.W, z, self.n, self.T)

    def _counts(self):
        if self.corrected:
            return (self.n - 1) * (self.T - 1), self.T - 1, 1.0
        return self.n * self.T, self.T, 0.0

    def _logdet(self, r: float) -> float:
        return float(np.sum(np.log(1.0 - r * self.eig)).real)

    def _maximise(self, neg):
        from scipy.optimize import minimize_scalar
        lo, hi = self.bounds
        width = hi - lo
        res = minimize_scalar(neg, bounds=(lo + 1e-10 * width, hi - 1e-10 * width),
                              method="bounded", options={"xatol": 1e-12 * min(1.0, width / 2),
                                                         "maxiter": 500})
        return float(res.x)

    # ------------------------------------------------------------------ estimate
    def design(self, d: np.ndarray) -> np.ndarray:
        """The regressors ``[controls, D, W-lagged controls, WD]`` for the assignment d."""
        cols = [self.controls, d[:, None], self.lag_controls]
        if self.lag_treatment:
            cols.append(self._lag(d)[:, None])
        return np.column_stack(cols)

    def params(self, d: np.ndarray) -> tuple[float, float, float]:
        """(beta_D, theta_D, rho or lambda) for the stacked assignment ``d``."""
        d = np.asarray(d, dtype=float)
        Z = self.design(d)
        jD = self.controls.shape[1]
        jW = Z.shape[1] - 1 if self.lag_treatment else None
        Ns, Ts, delta = self._counts()
        yu = within(self.y, self.n, self.T, "unit")
        Zu = within(Z, self.n, self.T, "unit")
        if self.kind in ("SAR", "SDM"):
            yt, Zt = within(yu, self.n, self.T, "time"), within(Zu, self.n, self.T, "time")
            Wyt = within(self._lag(yu), self.n, self.T, "time")
            Q, R = np.linalg.qr(Zt)
            e0, eW = _resid(Q, yt), _resid(Q, Wyt)
            a, b, c = e0 @ e0, e0 @ eW, eW @ eW

            def neg(r):
                rss = a - 2 * r * b + r * r * c
                return 0.5 * Ns * np.log(rss) - Ts * (self._logdet(r) - delta * np.log(1 - r))

            r = self._maximise(neg)
            coef = np.linalg.solve(R, Q.T @ (yt - r * Wyt))
        else:  # SDEM: spatial error
            yt, Zt = within(yu, self.n, self.T, "time"), within(Zu, self.n, self.T, "time")
            Lyt = within(self._lag(yu), self.n, self.T, "time")
            LZt = within(self._lag(Zu), self.n, self.T, "time")

            def ols(r):
                Zf = Zt - r * LZt
                yf = yt - r * Lyt
                coef, *_ = np.linalg.lstsq(Zf, yf, rcond=None)
                e = yf - Zf @ coef
                return coef, float(e @ e)

            def neg(r):
                return 0.5 * Ns * np.log(ols(r)[1]) - Ts * (self._logdet(r)
                                                             - delta * np.log(1 - r))

            r = self._maximise(neg)
            coef = ols(r)[0]
        beta = float(coef[jD])
        theta = float(coef[jW]) if jW is not None else 0.0
        return beta, theta, r

    def effects_of(self, paths) -> dict:
        """:meth:`effects` of a :class:`~spatialflow.causal.treatment.TreatmentPaths`."""
        return self.effects(paths.stacked())

    def effects(self, d: np.ndarray) -> dict:
        """Direct, indirect and total effects of D (module docstring) for assignment ``d``."""
        beta, theta, r = self.params(d)
        if self.kind == "SDEM":
            direct, total = beta, beta + theta
        else:
            inv = 1.0 / (1.0 - r * self.eig)
            direct = float((beta * inv + theta * self.eig * inv).mean().real)
            total = (beta + theta) / (1.0 - r)
        return {"direct": direct, "indirect": total - direct, "total": total}
