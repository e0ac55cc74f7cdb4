"""A compact description of a spatial weights object."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..exceptions import EmptyInputError
from .align import weights_ids

__all__ = ["WeightsDescription", "describe"]


@dataclass(frozen=True)
class WeightsDescription:
    """Summary of spatial weights (see :func:`describe`)."""

    n: int
    n_links: int
    islands: tuple
    n_components: int
    neighbours_min: int
    neighbours_mean: float
    neighbours_median: float
    neighbours_max: int
    symmetric: bool
    asymmetric_share: float
    transform: str
    n_self_loops: int = 0
    self_loops: tuple = ()
    n_negative: int = 0
    n_nonfinite: int = 0

    def to_series(self) -> pd.Series:
        """The description as a pandas Series (islands as a tuple of ids)."""
        return pd.Series(asdict(self), dtype=object)


def describe(w) -> WeightsDescription:
    """Describe a libpysal ``Graph`` or ``W``.

    Returns
    -------
    WeightsDescription
        ``n`` units; ``n_links`` non-zero off-diagonal weights (directed: a symmetric pair
        counts twice); ``islands`` ids without neighbours; ``n_components`` weakly connected
        components; neighbour counts min/mean/median/max; ``symmetric`` whether the
        neighbour *relation* is symmetric (j is a neighbour of i iff i is of j -- row
        standardisation makes values asymmetric, not the relation);
        ``asymmetric_share`` share of links whose reverse link is absent; ``transform`` the
        libpysal transformation code ("O" original, "R" row-standardised, "B" binary, ...);
        ``n_self_loops`` and ``self_loops`` the count and ids of units with a non-zero
        self-weight :math:`w_{ii}` (libpysal's explicit zero self-link of an island is not
        one; models refuse self-loops, see :func:`~spatialflow.weights.as_sparse`);
        ``n_negative`` and ``n_nonfinite`` the numbers of negative and of NaN/inf weights
        (also refused by the models). Self-loops are not counted in ``n_links`` nor as
        neighbours.

    Examples
    --------
    >>> from spatialflow.datasets import load_guangdong_counties
    >>> from spatialflow.weights import build, describe
    >>> d = describe(build(load_guangdong_counties(), "queen", islands="knn"))
    >>> d.n, d.islands, d.n_components, d.symmetric
    (124, (), 1, True)
    """
    ids = weights_ids(w)
    if len(ids) == 0:
        raise EmptyInputError("the weights have no units; nothing to describe.")
    matrix = sp.csr_matrix(w.sparse, dtype=float)
    matrix.eliminate_zeros()
    diagonal = matrix.diagonal()
    loops = np.flatnonzero(diagonal != 0)
    n_negative = int(np.count_nonzero(matrix.data < 0))
    n_nonfinite = int(np.count_nonzero(~np.isfinite(matrix.data)))
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    pattern = matrix.copy()
    pattern.data[:] = 1.0
    counts = np.diff(pattern.indptr)
    n_links = int(pattern.nnz)
    reverse_missing = pattern - pattern.multiply(pattern.T)
    n_asym = int(np.count_nonzero(reverse_missing.data))
    n_comp, _ = connected_components(pattern, directed=True, connection="weak")
    transform = getattr(w, "transformation", None) or getattr(w, "transform", "O")
    return WeightsDescription(
        n=len(ids),
        n_links=n_links,
        islands=tuple(ids[counts == 0]),
        n_components=int(n_comp),
        neighbours_min=int(counts.min()),
        neighbours_mean=float(counts.mean()),
        neighbours_median=float(np.median(counts)),
        neighbours_max=int(counts.max()),
        symmetric=n_asym == 0,
        asymmetric_share=n_asym / n_links if n_links else 0.0,
        transform=str(transform).upper(),
        n_self_loops=int(loops.size),
        self_loops=tuple(ids[loops].tolist()),
        n_negative=n_negative,
        n_nonfinite=n_nonfinite,
    )
