"""Meeting data and weights by id, never by row position."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..exceptions import DuplicateIdError, IdMismatchError, InputError, format_ids

__all__ = ["weights_ids", "as_sparse"]


def weights_ids(w) -> pd.Index:
    """The ids of a libpysal ``Graph`` or ``W``, in the order of its sparse matrix."""
    # Graph keeps its ids in ``unique_ids``; W in ``id_order`` (both index ``.sparse``).
    if hasattr(w, "unique_ids"):
        return pd.Index(w.unique_ids)
    if hasattr(w, "id_order"):
        return pd.Index(w.id_order)
    raise InputError(
        "w must be a libpysal.graph.Graph or libpysal.weights.W; "
        f"{type(w).__name__} was given instead."
    )


def as_sparse(w, ids: Sequence | pd.Index) -> sp.csr_matrix:
    """Return the weights as a CSR matrix whose rows and columns follow ``ids``.

    Parameters
    ----------
    w : libpysal.graph.Graph or libpysal.weights.W
        Spatial weights keyed by unit id (already transformed as the user wants).
    ids : sequence
        The ids of the data rows, in data order.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``W[i, j]`` is the weight of unit ``ids[j]`` in the lag of unit ``ids[i]``.

    Raises
    ------
    DuplicateIdError
        If ``ids`` has duplicates.
    IdMismatchError
        If the ids of the data and of the weights differ; the message names them.
    """
    ids = pd.Index(ids)
    wids = weights_ids(w)
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique()
        hint = ""
        if len(ids) % len(ids.unique()) == 0 and set(ids.unique()) <= set(wids):
            hint = (f" Each id occurs {len(ids) // len(ids.unique())} times: this looks like "
                    "a panel in long format; pass id= and time= to the model.")
        raise DuplicateIdError(
            f"data ids must be unique; duplicated ids: {format_ids(dup)}.{hint}")
    if not wids.equals(ids):
        only_data = ids.difference(wids, sort=False)
        only_w = wids.difference(ids, sort=False)
        if len(only_data) or len(only_w):
            hint = _mismatch_hint(ids, wids)
            raise IdMismatchError(
                "the ids of the data and of the weights differ: "
                f"{len(only_data)} id(s) in the data but not in the weights "
                f"{format_ids(only_data)}; {len(only_w)} id(s) in the weights but not in the "
                f"data {format_ids(only_w)}. Build the weights on the same units, or subset "
                "them (e.g. Graph.subgraph) to the data's index." + hint
            )
    matrix = sp.csr_matrix(w.sparse, dtype=float)
    # libpysal's Graph stores an island as a zero-weight self-link: drop stored zeros so an
    # island is an empty row (and nnz counts real links only).
    matrix.eliminate_zeros()
    if not wids.equals(ids):
        order = wids.get_indexer(ids)
        matrix = matrix[order][:, order]
    matrix.sort_indices()
    return matrix.tocsr()


def _mismatch_hint(ids: pd.Index, wids: pd.Index) -> str:
    """The likeliest cause of an id mismatch, in words (empty if none is recognised)."""
    def positional(index: pd.Index) -> bool:
        return (pd.api.types.is_integer_dtype(index)
                and index.sort_values().equals(pd.RangeIndex(len(index))))

    if pd.Index(ids.astype(str)).sort_values().equals(pd.Index(wids.astype(str)).sort_values()):
        return (f" The ids agree as text: the data's are {ids.dtype} and the weights' are "
                f"{wids.dtype} (e.g. {ids[0]!r} vs {wids[0]!r}); convert one side.")
    if positional(ids) and not positional(wids):
        extra = ""
        if len(ids) > len(wids) and len(ids) % len(wids) == 0:
            extra = (f" It has {len(ids) // len(wids)} times as many rows as the weights have "
                     "units: for a panel in long format pass id= and time= instead.")
        return (" The data have a default integer index (0..n-1) while the weights are keyed "
                "by unit ids: index the data by the ids (e.g. df.set_index('code'))." + extra)
    if positional(wids) and not positional(ids):
        return (" The weights are keyed by position (0..n-1): build them on a frame indexed "
                "by the unit ids.")
    return ""


def subset_sparse(matrix: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """Rows and columns ``keep`` (a boolean mask) of a square sparse matrix."""
    idx = np.flatnonzero(keep)
    return sp.csr_matrix(matrix[idx][:, idx])
