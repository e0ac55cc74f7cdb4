r"""SuperLU factorisation of sparse :math:`I-\rho W` -- the package's only ``splu`` call.

Used by :class:`~spatialflow.models._linalg.operator.SpatialOperator` and by the exact
sparse log-determinant strategy it hands out (:class:`~spatialflow.models._linalg.logdet.SparseLULogDet`);
everything else asks the operator.
"""
from __future__ import annotations

import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["superlu"]


def superlu(A: sp.spmatrix, *, symmetric_mode: bool = False, natural_order: bool = False):
    r"""SuperLU factorisation of a sparse square matrix (the package's only ``splu`` call).

    ``symmetric_mode`` (with no diagonal pivoting) is stable for strictly diagonally dominant
    :math:`I-\rho W` (:math:`|\rho|\,\lVert W\rVert_\infty < 1`) and keeps the fill low;
    ``natural_order`` factorises a matrix already permuted by a fill-reducing ordering.
    """
    A = sp.csc_matrix(A)
    if natural_order:
        return spla.splu(A, permc_spec="NATURAL", diag_pivot_thresh=0.0,
                         options={"SymmetricMode": True})
    if symmetric_mode:
        return spla.splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                         options={"SymmetricMode": True})
    return spla.splu(A, permc_spec="MMD_AT_PLUS_A")
