"""The exact log-determinant of the flow filter on a non-Cartesian sample.

On a sample ``S`` of the pairs (``N`` pairs observed, ``q = n^2 - N`` not) the filter is the
principal submatrix :math:`A_S` of the Cartesian :math:`A(\\rho)` (the lags of the zero-filled
flows, restricted to the sample, as spflow builds them). Two exact routes, the cheaper one is
used:

- **complement** (few pairs missing, e.g. ``intra=False``: ``q = n``): Jacobi's identity
  :math:`\\det A_S = \\det A \\cdot \\det\\big[(A^{-1})_{MM}\\big]`, ``M`` the missing pairs.
  With :math:`W = V\\Lambda V^{-1}`, :math:`(A^{-1})_{(a'b'),(ab)} = \\sum_{i,j}
  V_{a'i}V_{b'j}\\,G_{ij}^{-1}\\,V^{-1}_{ia}V^{-1}_{jb}`, so
  :math:`(A^{-1})_{MM} = X\\,\\mathrm{diag}(1 \\oslash G)\\,Y` with ``q x n^2`` and ``n^2 x q``
  factors formed once: ``O(q^2 n^2)`` per evaluation, and :math:`\\log\\det A` is the
  Cartesian one (:mod:`.logdet`).
- **dense** (few pairs observed): ``slogdet`` of the ``N x N`` matrix :math:`A_S`,
  ``O(N^3)`` per evaluation.

Gradient (complement route): :math:`\\partial_k \\log\\det A_S = \\partial_k \\log\\det A +
\\sum_{ij} a_{k,ij} G_{ij}^{-2} [Y B^{-1} X]_{(ij),(ij)}` with :math:`B = (A^{-1})_{MM}`;
Hessians by central differences of the analytic gradient (step ``1e-5``).

The admissible region used is the Cartesian one (for non-negative rho's the masked filter's
spectral radius is at most the full one's, Perron-Frobenius), and the sign of
:math:`\\det A_S` is checked at the estimate.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..exceptions import NotYetImplementedError

__all__ = ["SubsetSpectrum"]

#: largest problem (in multiply-adds per evaluation) handled exactly
MAX_COST = 3e10


class SubsetSpectrum:
    """Log-determinant of the flow filter restricted to ``mask`` (see module docstring)."""

    def __init__(self, eigen, W: sp.csr_matrix, mask: np.ndarray):
        self.full = eigen
        n = mask.shape[0]
        self.n = n
        self.mask = mask
        obs = np.flatnonzero(mask.ravel())
        mis = np.flatnonzero(~mask.ravel())
        N, q = obs.size, mis.size
        cost_comp = 2.0 * q * q * n * n
        cost_dense = N ** 3 / 3.0
        if min(cost_comp, cost_dense) > MAX_COST:
            raise NotYetImplementedError(
                f"exact ML of this non-Cartesian sample ({N:,} pairs observed, {q:,} missing, "
                f"{n:,} nodes) would cost ~{min(cost_comp, cost_dense):.1e} operations per "
                "likelihood evaluation; an approximation is planned. Use method='s2sls'.")
        self.method = "complement" if cost_comp <= cost_dense else "dense"
        if self.method == "complement":
            V, Vi = eigen.V, eigen.Vinv
            a, b = mis // n, mis % n
            # X[m', (i, j)] = V[a', i] V[b', j];  Y[(i, j), m] = Vinv[i, a] Vinv[j, b]
            self.X = (V[a][:, :, None] * V[b][:, None, :]).reshape(q, n * n)
            self.Y = (Vi[:, a].T[:, :, None] * Vi[:, b].T[:, None, :]).reshape(q, n * n).T
        else:
            I = sp.identity(n, format="csr")
            Ws = sp.csr_matrix(W)
            self.Wk = [sp.kron(I, Ws, format="csr")[obs][:, obs],
                       sp.kron(Ws, I, format="csr")[obs][:, obs],
                       sp.kron(Ws, Ws, format="csr")[obs][:, obs]]
            self.N = N

    def solve(self, M: np.ndarray, rho) -> np.ndarray:
        """:math:`A_S^{-1}` applied to the flows of ``M`` on the sample (zero elsewhere): by
        the block inverse :math:`A_S^{-1} = (A^{-1})_{SS} - (A^{-1})_{SM} B^{-1} (A^{-1})_{MS}`,
        :math:`B = (A^{-1})_{MM}` (two Cartesian solves), or densely."""
        mask = self.mask
        v = np.where(mask, M, 0.0)
        if self.method == "dense":
            A = np.asarray((sp.identity(self.N) - sum(r * Wk for r, Wk in zip(rho, self.Wk)))
                           .toarray())
            out = np.zeros(mask.shape)
            out[mask] = np.linalg.solve(A, v[mask])
            return out
        u = self.full.solve(v, rho)
        B, _ = self._B(rho)
        x = np.linalg.solve(B, u[~mask])
        E = np.zeros(mask.shape, dtype=x.dtype)
        E[~mask] = x
        out = u - self.full.solve(E, rho)
        out = out.real if np.iscomplexobj(out) else out
        return np.where(mask, out, 0.0)

    # the optimiser's interface (as Spectrum)
    def admissible(self, rho, margin: float = 0.0) -> bool:
        return self.full.admissible(rho, margin)

    def _B(self, rho):
        H = 1.0 / self.full.factors(rho)
        return self.X @ (H.ravel()[:, None] * self.Y), H

    def logdet(self, rho) -> float:
        if not self.admissible(rho):
            return -np.inf
        if self.method == "dense":
            A = np.eye(self.N) - sum(r * Wk for r, Wk in zip(rho, self.Wk))
            sign, value = np.linalg.slogdet(np.asarray(A))
            return float(value) if sign > 0 else -np.inf
        B, _ = self._B(rho)
        sign, value = np.linalg.slogdet(B)
        if np.iscomplexobj(sign):
            sign = sign.real
        if sign <= 0:
            return -np.inf
        return float(self.full.logdet(rho) + value)

    def gradient(self, rho) -> np.ndarray:
        if self.method == "dense":
            A = np.asarray(np.eye(self.N) - sum(r * Wk for r, Wk in zip(rho, self.Wk)))
            Ainv = np.linalg.inv(A)
            return np.array([-np.sum(Ainv.T * Wk.toarray()) for Wk in self.Wk])
        B, H = self._B(rho)
        _, g_full, _ = self.full.logdet_derivatives(rho)
        # diag(Y B^-1 X) over the n^2 grid
        d = np.sum((self.Y @ np.linalg.inv(B)) * self.X.T, axis=1).reshape(self.n, self.n)
        lam = self.full.lam
        w = H * H * d
        one = np.ones_like(lam)
        extra = np.array([(one @ w @ lam), (lam @ w @ one), (lam @ w @ lam)]).real
        return g_full + extra

    def optimisation_derivatives(self, rho):
        """Value and exact gradient, with the Cartesian log-determinant's Hessian standing in
        for the subset's (the optimiser's steps only; convergence is judged on the exact
        gradient, and the standard errors use :meth:`logdet_derivatives`)."""
        if self.method == "dense":
            return self.logdet_derivatives(rho)
        _, _, h_full = self.full.logdet_derivatives(rho)
        return self.logdet(rho), self.gradient(rho), h_full

    def logdet_derivatives(self, rho):
        value = self.logdet(rho)
        g = self.gradient(rho)
        h = np.empty((3, 3))
        step = 1e-5
        for k in range(3):
            e = np.zeros(3)
            e[k] = step
            rho_arr = np.asarray(rho, dtype=float)
            h[k] = (self.gradient(rho_arr + e) - self.gradient(rho_arr - e)) / (2 * step)
        return value, g, 0.5 * (h + h.T)
