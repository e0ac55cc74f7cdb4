"""The exact log-determinant of the flow filter from the eigenvalues of ``W``.

For a Cartesian sample the filter of the ``n^2`` flows is
:math:`A = I - \\rho_d I \\otimes W - \\rho_o W \\otimes I - \\rho_w W \\otimes W`. With
:math:`W = V \\Lambda V^{-1}` (or its Schur form when ``W`` is not diagonalisable),
:math:`A = (V \\otimes V)(I - \\rho_d I \\otimes \\Lambda - \\rho_o \\Lambda \\otimes I -
\\rho_w \\Lambda \\otimes \\Lambda)(V \\otimes V)^{-1}`, so

.. math::

    \\log|A| = \\sum_{i=1}^n \\sum_{j=1}^n
        \\log\\lvert 1 - \\rho_d \\lambda_j - \\rho_o \\lambda_i
                        - \\rho_w \\lambda_i \\lambda_j \\rvert ,

exact, from ``n`` eigenvalues: ``O(n^3)`` once for the spectrum and ``O(n^2)`` per
evaluation; the ``n^2 x n^2`` matrix is never formed. Complex eigenvalues come in conjugate
pairs, so the product of the factors is real; its modulus is what is summed.

The admissible region is the set of :math:`(\\rho_d, \\rho_o, \\rho_w)` that can be reached
from 0 without making ``A`` singular. For a real spectrum each factor is linear in the
:math:`\\rho`'s and bilinear in :math:`(\\lambda_i, \\lambda_j)`, so the region is the convex
polygon where the four factors at :math:`\\lambda_i, \\lambda_j \\in \\{\\lambda_{min},
\\lambda_{max}\\}` are positive (exact). For a complex spectrum the region used is where every
factor has a positive real part (convex, contains 0, and sufficient).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from ..models._linalg.logdet_approx import symmetriser  # the models' check of a real spectrum

__all__ = ["Spectrum", "TaylorSpectrum", "spectrum", "row_blocks", "BLOCK_ELEMENTS"]

#: Largest number of grid factors held at once by the blocked sums (``2^20``: 8 MB float64).
BLOCK_ELEMENTS = 1 << 20


def row_blocks(n_rows: int, n_cols: int, block: int | None = None):
    """Slices of consecutive rows covering ``range(n_rows)``, each with at most ``block``
    (default :data:`BLOCK_ELEMENTS`) elements of an ``n_rows x n_cols`` grid (at least one
    row per slice)."""
    size = BLOCK_ELEMENTS if block is None else block
    step = max(1, size // max(1, n_cols))
    for start in range(0, n_rows, step):
        yield slice(start, min(n_rows, start + step))


class Spectrum:
    """Eigenvalues of ``W`` and the log-determinant of the flow filter with its derivatives.

    Parameters
    ----------
    eigenvalues : ndarray
        The ``n`` eigenvalues of ``W`` (real or complex).
    """

    def __init__(self, eigenvalues: np.ndarray):
        lam = np.asarray(eigenvalues)
        scale = max(1.0, float(np.max(np.abs(lam))))
        if np.iscomplexobj(lam) and np.max(np.abs(lam.imag)) <= 1e-10 * scale:
            lam = lam.real
        self.lam = lam
        self.is_real = not np.iscomplexobj(lam)
        self.n = lam.size
        self._li = lam[:, None]  # origin index i
        self._lj = lam[None, :]  # destination index j

    def factors(self, rho, rows: slice | None = None) -> np.ndarray:
        """The ``n x n`` grid of factors
        :math:`1 - \\rho_d\\lambda_j - \\rho_o\\lambda_i - \\rho_w\\lambda_i\\lambda_j`
        (rows ``i``: origins, columns ``j``: destinations), or only its rows ``rows``."""
        rd, ro, rw = (float(r) for r in rho)
        lam = self.lam
        li = lam if rows is None else lam[rows]
        # 1 - ro l_i - (rd + rw l_i) l_j: one outer product, then one in-place subtraction
        out = np.outer(rd + rw * li, lam)
        np.subtract((1.0 - ro * li)[:, None], out, out=out)
        return out

    V = None
    Vinv = None

    def solve(self, M: np.ndarray, rho) -> np.ndarray:
        """:math:`A(\\rho)^{-1}` applied to the flows of the ``n x n`` matrix ``M``: the ``Y``
        with :math:`Y - \\rho_d Y W' - \\rho_o W Y - \\rho_w W Y W' = M`, as
        :math:`Y = V [(V^{-1} M V^{-T}) \\oslash G] V^T` with ``G`` the grid of
        :meth:`factors` (``O(n^3)``; needs ``vectors=True`` in :func:`spectrum`)."""
        if self.V is None:
            raise ValueError("this spectrum holds no eigenvectors; build it with vectors=True")
        Mt = (self.Vinv @ M @ self.Vinv.T) / self.factors(rho)
        out = self.V @ Mt @ self.V.T
        return out.real if np.iscomplexobj(out) else out

    def admissible(self, rho, margin: float = 0.0) -> bool:
        """True if ``rho = (rho_d, rho_o, rho_w)`` is in the admissible region (see module)."""
        if self.is_real:
            return bool(np.all(self.constraints(rho) > margin))
        # complex spectrum: every factor's real part, checked block by block
        return all(float(self.factors(rho, rows).real.min()) > margin
                   for rows in row_blocks(self.n, self.n))

    def constraints(self, rho) -> np.ndarray:
        """Values that must all be positive for ``rho`` to be admissible."""
        rd, ro, rw = (float(r) for r in rho)
        if self.is_real:
            ext = np.array([self.lam.min(), self.lam.max()])
            li, lj = np.meshgrid(ext, ext, indexing="ij")
            return (1.0 - rd * lj - ro * li - rw * li * lj).ravel()
        return self.factors(rho).real.ravel()

    def logdet(self, rho) -> float:
        """:math:`\\log|A(\\rho)|` (``-inf`` outside the admissible region), summed over
        row blocks of the grid (see :meth:`logdet_derivatives`)."""
        if not self.admissible(rho):
            return -np.inf
        value = 0.0
        for rows in row_blocks(self.n, self.n):
            z = self.factors(rho, rows)
            # real spectrum: every factor is positive inside the region
            value += self._log_modulus(z)
        return float(value)

    def _log_modulus(self, z: np.ndarray) -> float:
        """:math:`\\sum \\log|z|` over one block (overwrites ``z``)."""
        if self.is_real:
            return float(np.sum(np.log(np.abs(z, out=z), out=z)))
        return float(0.5 * np.sum(np.log(z.real ** 2 + z.imag ** 2)))

    def logdet_derivatives(self, rho) -> tuple[float, np.ndarray, np.ndarray]:
        """Value, gradient (3,) and Hessian (3, 3) of :math:`\\log|A|` in
        :math:`(\\rho_d, \\rho_o, \\rho_w)`:
        :math:`\\partial/\\partial\\rho_k = -\\sum a_k / z`,
        :math:`\\partial^2/\\partial\\rho_k\\partial\\rho_l = -\\sum a_k a_l / z^2`, with
        :math:`a = (\\lambda_j, \\lambda_i, \\lambda_i\\lambda_j)` (real parts of the sums).

        Each sum is a bilinear form :math:`u' Z^{-1} v` in powers of the eigenvalues, so the
        ``n^2`` grid is traversed a handful of times (matrix-vector products do the rest).
        The grid is visited in blocks of rows of at most :data:`BLOCK_ELEMENTS` factors
        (8 MB), each used in place, so an evaluation needs ``O(n)`` memory beyond the
        spectrum, not ``O(n^2)``: at ``n = 10,000`` the whole grid would be 0.8 GB per
        temporary. Summing block by block only reorders the additions (a test pins the
        blocked sums to the single-block ones at ``1e-12``).
        """
        lam = self.lam
        l2 = lam * lam
        value = 0.0
        g = np.zeros(3, dtype=lam.dtype)
        h = np.zeros(6, dtype=lam.dtype)
        for rows in row_blocks(self.n, self.n):
            z = self.factors(rho, rows)
            if self.is_real:
                value += float(np.sum(np.log(np.abs(z))))
            else:
                value += float(0.5 * np.sum(np.log(z.real ** 2 + z.imag ** 2)))
            inv = np.reciprocal(z, out=z)
            lr, l2r = lam[rows], l2[rows]
            # u' M v with u over origins (this block's rows), v over destinations
            inv_one, inv_lam = inv.sum(axis=1), inv @ lam
            g += [inv_lam.sum(), lr @ inv_one, lr @ inv_lam]
            inv2 = np.multiply(inv, inv, out=inv)
            s_one, s_lam, s_l2 = inv2.sum(axis=1), inv2 @ lam, inv2 @ l2
            # hdd, hoo, hww, hdo, hdw, how
            h += [s_l2.sum(), l2r @ s_one, l2r @ s_l2, lr @ s_lam, lr @ s_l2, l2r @ s_lam]
        g, h = g.real, h.real
        grad = -g
        hdd, hoo, hww, hdo, hdw, how = h
        hess = -np.array([[hdd, hdo, hdw], [hdo, hoo, how], [hdw, how, hww]])
        return float(value), grad, hess


class TaylorSpectrum(Spectrum):
    r"""The order-``m`` power series of the log-determinant, as R spflow's
    ``logdet_approx_order = m`` computes it (for comparison only):

    .. math::

        \log|A| \approx -\sum_{k=1}^{m} \frac{\operatorname{tr}(B^k)}{k}
        = -\sum_{k=1}^{m} \frac{1}{k} \sum_{i,j} b_{ij}^k ,\qquad
        b_{ij} = \rho_d\lambda_j + \rho_o\lambda_i + \rho_w\lambda_i\lambda_j ,

    with :math:`B = \rho_d W_d + \rho_o W_o + \rho_w W_w` (its traces are the power sums of
    the :math:`b_{ij}`). spflow's default is ``m = 2``.
    """

    def __init__(self, eigenvalues: np.ndarray, order: int):
        super().__init__(eigenvalues)
        self.order = int(order)

    def logdet(self, rho) -> float:
        if not self.admissible(rho):
            return -np.inf
        return self.logdet_derivatives(rho)[0]

    def logdet_derivatives(self, rho):
        b = 1.0 - self.factors(rho)
        a = (np.broadcast_to(self._lj, b.shape), np.broadcast_to(self._li, b.shape),
             self._li * self._lj)
        value, s1, s2 = 0.0, np.zeros(b.shape, dtype=b.dtype), np.zeros(b.shape, dtype=b.dtype)
        pw_km2 = np.ones_like(b)  # b^(k-2)
        pw_km1 = np.ones_like(b)  # b^(k-1)
        for k in range(1, self.order + 1):
            pw_k = pw_km1 * b
            value -= np.sum(pw_k).real / k
            s1 = s1 + pw_km1
            if k >= 2:
                s2 = s2 + (k - 1) * pw_km2
            pw_km2, pw_km1 = pw_km1, pw_k
        grad = np.array([-np.sum(ak * s1).real for ak in a])
        hess = np.empty((3, 3))
        for k in range(3):
            for m in range(k, 3):
                hess[k, m] = hess[m, k] = -np.sum(a[k] * a[m] * s2).real
        return float(value), grad, hess


def _symmetrisable(W: sp.csr_matrix) -> np.ndarray | None:
    """A diagonal ``q`` with ``diag(q) W`` symmetric (``W`` symmetric, or a binary pattern
    scaled row by row such as a row-standardised contiguity), else None: then ``W`` is
    similar to a symmetric matrix and its eigenvalues are real (found by ``eigvalsh``, fast
    and exact). The models' check (:func:`~spatialflow.models._linalg.logdet_approx.symmetriser`)."""
    return symmetriser(sp.csr_matrix(W, dtype=float))


def _symmetrise(a: np.ndarray, block: int = 512) -> np.ndarray:
    """Overwrite the square ``a`` with ``(a + a') / 2`` block by block (no ``n x n``
    temporary; the same additions as the whole-matrix expression)."""
    n = a.shape[0]
    for i0 in range(0, n, block):
        i1 = min(n, i0 + block)
        for j0 in range(0, i1, block):
            j1 = min(n, j0 + block)
            avg = 0.5 * (a[i0:i1, j0:j1] + a[j0:j1, i0:i1].T)
            a[i0:i1, j0:j1] = avg
            a[j0:j1, i0:i1] = avg.T
    return a


def spectrum(W: sp.csr_matrix, *, vectors: bool = False) -> Spectrum:
    """The :class:`Spectrum` of ``W``: ``eigh`` of :math:`D^{1/2} W D^{-1/2}` when ``W`` is
    similar to a symmetric matrix (row-standardised contiguity), else ``numpy.linalg.eig``.

    With ``vectors=True`` the spectrum also holds ``V`` and ``V^{-1}`` (``W = V diag(lam)
    V^{-1}``), used by :meth:`Spectrum.solve`.

    Memory: the eigenvalues alone take one dense ``n x n`` array (0.8 GB at ``n = 10,000``),
    symmetrised in place and overwritten by LAPACK's ``dsyevd``; the eigenvectors take
    three more.
    """
    q = _symmetrisable(W)
    dense = sp.csr_matrix(W).toarray()
    if q is not None:
        s = np.sqrt(q)
        sym = dense
        sym *= s[:, None]
        sym /= s[None, :]
        _symmetrise(sym)
        if not vectors:
            # dsyevd as numpy.linalg.eigvalsh, without its copy of the matrix
            # (sym.T: the same symmetric matrix in the Fortran order LAPACK works in)
            return Spectrum(sla.eigh(sym.T, eigvals_only=True, overwrite_a=True,
                                     check_finite=False, driver="evd"))
        lam, Q = np.linalg.eigh(sym)
        del sym, dense
        out = Spectrum(lam)
        out.V, out.Vinv = Q / s[:, None], Q.T * s[None, :]
        return out
    if not vectors:
        return Spectrum(np.linalg.eigvals(dense))
    lam, V = np.linalg.eig(dense)
    out = Spectrum(lam)
    out.lam = lam  # keep complex, matching V
    out.is_real = not np.iscomplexobj(lam) or np.max(np.abs(lam.imag)) == 0
    out._li, out._lj = lam[:, None], lam[None, :]
    out.V, out.Vinv = V, np.linalg.inv(V)
    return out
