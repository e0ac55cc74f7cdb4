"""Queen-contiguity lattices for the tests (shared by the test modules)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def queen(rows: int, cols: int | None = None) -> sp.csr_matrix:
    """Binary queen contiguity of a rows x cols lattice (cols = rows by default)."""
    cols = cols or rows
    a = sp.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(rows, rows))
    b = sp.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(cols, cols))
    A = sp.kron(a, b, format="csr")
    A.setdiag(0)
    A.eliminate_zeros()
    return A


def row_std(A: sp.spmatrix) -> sp.csr_matrix:
    """``A`` with every row divided by its sum (no empty rows)."""
    return (sp.diags(1.0 / np.asarray(A.sum(axis=1)).ravel()) @ A).tocsr()
