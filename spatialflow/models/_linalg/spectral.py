r"""Traces of rational functions of W, :math:`\sum_i f(\omega_i)`, for the dynamic panel.

Exact from the eigenvalues :math:`\omega_i` of W where a dense eigendecomposition is
affordable (or the log-determinant strategy already holds them), else by the power series
of :math:`f` with the traces of :math:`W^k`.
"""
from __future__ import annotations

import numpy as np

from .logdet import DENSE_MAX_N
from .traces import eigenvalues, inf_norm, series_order, trace_powers

__all__ = ["SpectralTraces"]


class SpectralTraces:
    r"""Traces :math:`\sum_i f(\omega_i)` of rational functions of W (exact or by series)."""

    def __init__(self, ld, W, drop: bool, seed: int = 0):
        self.drop = drop
        self.eig = getattr(ld, "eigenvalues", None)
        if self.eig is None and W.shape[0] <= DENSE_MAX_N:
            # exact where dense eigenvalues are affordable (as the log-determinant's "auto")
            self.eig = eigenvalues(W)
        self.W = W
        self.seed = seed
        self._traces = None

    def trace(self, power: int, poles: list[tuple[float, float]]) -> float:
        r""":math:`\mathrm{tr}\,[W^{p}\prod_j (a_j I - c_j W)^{-1}]` over the (star) space."""
        def f(w):
            out = w ** power
            for a, c in poles:
                out = out / (a - c * w)
            return out
        if self.eig is not None:
            total = float(np.sum(f(self.eig)).real)
        else:
            total = self._series(power, poles)
        return total - (float(f(1.0)) if self.drop else 0.0)

    def _series(self, power, poles) -> float:
        # Power series: prod_j 1/(a_j - c_j w) = prod_j (1/a_j) sum_m (c_j/a_j)^m w^m.
        r = max(abs(c / a) for a, c in poles) if poles else 0.0
        order, _ = series_order(r, inf_norm(self.W), tol=1e-10, max_order=400)
        coef = np.zeros(order + 1)
        coef[0] = 1.0
        for a, c in poles:
            geo = (c / a) ** np.arange(order + 1) / a
            coef = np.convolve(coef, geo)[:order + 1]
        need = order + power
        if self._traces is None or len(self._traces) <= need:
            self._traces = trace_powers(self.W, need, seed=self.seed)
        return float(coef @ self._traces[power:power + order + 1])
