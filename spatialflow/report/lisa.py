r"""Local Moran's I (LISA) with conditional-permutation pseudo p-values, in plain numpy.

Same statistic and conventions as ``esda.Moran_Local`` (which the tests compare against):

.. math::

    I_i = (n-1)\,\frac{z_i \sum_j w_{ij} z_j}{\sum_k z_k^2},\qquad z = y - \bar y,

with row-standardised :math:`W`. Quadrants: HH (:math:`z_i > 0`, lag > 0), LH, LL, HL.
Pseudo p-value: :math:`R` conditional permutations keep :math:`z_i` and draw its
:math:`k_i` neighbours' values without replacement from the other :math:`n-1` units; with
:math:`L` the number of simulated :math:`I_i` at or above the observed one,
:math:`p = (\min(L, R-L)+1)/(R+1)` (folded, as esda). esda compiles its permutation kernel
with numba on first use (a minute on a busy machine); this vectorised version needs no
compilation and is seeded through a :class:`numpy.random.Generator`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..exceptions import InputError

__all__ = ["local_moran"]

QUADRANTS = np.array(["", "HH", "LH", "LL", "HL"], dtype=object)


def local_moran(y: pd.Series, W: sp.csr_matrix, *, permutations: int = 999,
                seed: int = 0) -> pd.DataFrame:
    """LISA of ``y`` (indexed by unit id, ordered like the rows of ``W``).

    ``W`` is row-standardised here (rows of islands stay zero: their lag is 0).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``y``: ``Is``, ``quadrant``, ``p_sim`` (NaN with ``permutations=0``).
    """
    values = y.to_numpy(dtype=float)
    n = len(values)
    if n < 3 or not np.isfinite(values).all():
        raise InputError(f"LISA needs at least 3 finite values; {n} values, "
                         f"{int((~np.isfinite(values)).sum())} not finite.")
    W = sp.csr_matrix(W, dtype=float)
    rows = np.asarray(W.sum(axis=1)).ravel()
    W = sp.diags(np.where(rows > 0, 1.0 / np.where(rows > 0, rows, 1.0), 0.0)) @ W
    W = sp.csr_matrix(W)
    W.sort_indices()
    z = values - values.mean()
    ss = float(z @ z)
    if ss == 0:
        raise InputError("LISA needs a variable that is not constant.")
    lag = W @ z
    factor = (n - 1) / ss
    Is = factor * z * lag
    q = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    p = np.full(n, np.nan)
    if permutations:
        rng = np.random.default_rng(seed)
        counts = np.diff(W.indptr)
        kmax = int(counts.max()) if n else 0
        # One matrix of draws shared by all units (as esda): each row is a sample of kmax
        # distinct positions among n-1; unit i maps positions >= i one up to skip itself.
        draws = np.argsort(rng.random((permutations, n - 1)), axis=1)[:, :kmax]
        for i in range(n):
            k = counts[i]
            if k == 0:
                p[i] = np.nan
                continue
            idx = draws[:, :k]
            idx = idx + (idx >= i)
            wts = W.data[W.indptr[i]:W.indptr[i + 1]]
            sim = factor * z[i] * (z[idx] @ wts)
            larger = int((sim >= Is[i]).sum())
            larger = min(larger, permutations - larger)
            p[i] = (larger + 1.0) / (permutations + 1.0)
    return pd.DataFrame({"Is": Is, "quadrant": QUADRANTS[q], "p_sim": p}, index=y.index)
