r"""Local Moran's I (LISA) of one cross-section for the report and the LISA maps.

A thin adapter over :func:`spatialflow.measures.local_moran_by_period` (``esda.Moran_Local``
with its conditional permutations), so that the report, the maps and ``measures`` give the
same statistics and the same pseudo p-values for the same seed:

.. math::

    I_i = \frac{z_i}{m_2}\sum_j w_{ij} z_j,\qquad m_2 = \frac{1}{n-1}\sum_k z_k^2,
    \qquad z = y - \bar y,

with row-standardised :math:`W`; quadrants HH (:math:`z_i > 0`, lag > 0), LH, LL, HL.
esda compiles its permutation kernel with numba on its first use in a process (seconds to
a minute on a busy machine); later calls are fast.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..exceptions import InputError

__all__ = ["local_moran"]


def local_moran(y: pd.Series, W, *, permutations: int = 999, rng=0,
                seed=None) -> pd.DataFrame:
    """LISA of ``y`` (indexed by unit id).

    Parameters
    ----------
    y : pandas.Series
        Values by unit id (finite).
    W : scipy.sparse matrix, libpysal W or Graph
        Weights: a sparse matrix ordered like ``y``'s rows, or a weights object over (at
        least) ``y``'s ids, aligned by id. Row-standardised here.
    permutations : int
        Conditional permutations for the pseudo p-value (0: ``p_sim`` is NaN).
    rng : int, numpy.random.Generator or None
        Seed of the permutations (``seed`` is its alias); see
        :func:`spatialflow.measures.local_moran_by_period`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``y``: ``Is``, ``quadrant``, ``p_sim``.
    """
    from ..measures import local_moran_by_period

    values = y.to_numpy(dtype=float)
    if len(values) < 3 or not np.isfinite(values).all():
        raise InputError(f"LISA needs at least 3 finite values; {len(values)} values, "
                         f"{int((~np.isfinite(values)).sum())} not finite.")
    if np.ptp(values) == 0:
        raise InputError("LISA needs a variable that is not constant.")
    if sp.issparse(W):
        from libpysal.graph import Graph

        W = Graph.from_sparse(sp.csr_matrix(W, dtype=float), ids=pd.Index(y.index))
    frame = pd.DataFrame({"value": values}, index=pd.Index(y.index))
    out = local_moran_by_period(frame, "value", w=W, permutations=permutations, rng=rng,
                                seed=seed)
    return pd.DataFrame({"Is": out["Is"].to_numpy(), "quadrant": out["quadrant"].to_numpy(),
                         "p_sim": out["p_sim"].to_numpy(dtype=float)}, index=y.index)
