"""Meeting data and weights by id, never by row position."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..exceptions import (
    DuplicateIdError,
    IdMismatchError,
    InputError,
    InvalidWeightsError,
    MissingDataError,
    format_ids,
)

if TYPE_CHECKING:  # an annotation only: importing libpysal costs more than a second
    from .._typing import WeightsLike

__all__ = ["weights_ids", "as_sparse", "weights_on", "check_weights_values", "check_ids_present",
           "check_weights_scale", "WEIGHTS_SCALE_LIMITS"]


def check_ids_present(ids: pd.Index, what: str) -> None:
    """Raise :class:`MissingDataError` if ``ids`` holds None/NaN, naming the row positions.

    Checked before duplicates: two missing ids would otherwise read as "duplicated ids
    [nan]", and a single one would slip through as a unit called NaN.
    """
    if isinstance(ids, pd.MultiIndex):  # tuple ids: missing if any level is
        missing = np.flatnonzero(ids.to_frame(index=False).isna().any(axis=1).to_numpy())
    else:
        missing = np.flatnonzero(pd.isna(ids))
    if missing.size:
        raise MissingDataError(
            f"{what} has {missing.size} missing id(s) (None or NaN) at row position(s) "
            f"{format_ids(missing.tolist())}; every unit needs an id (set the index to a "
            "complete id column, e.g. df.set_index('code')).")


def weights_ids(w: WeightsLike) -> pd.Index:
    """The ids of a libpysal ``Graph`` or ``W``, in the order of its sparse matrix.

    Parameters
    ----------
    w : libpysal.graph.Graph or libpysal.weights.W
        Spatial weights.

    Returns
    -------
    pandas.Index
        ``Graph.unique_ids`` or ``W.id_order``: the row and column order of ``w.sparse``.
    """
    # Graph keeps its ids in ``unique_ids``; W in ``id_order`` (both index ``.sparse``).
    if hasattr(w, "unique_ids"):
        return pd.Index(w.unique_ids)
    if hasattr(w, "id_order"):
        return pd.Index(w.id_order)
    raise InputError(
        "w must be a libpysal.graph.Graph or libpysal.weights.W; "
        f"{type(w).__name__} was given instead."
    )


def _graph_csr(w) -> tuple[sp.csr_matrix, pd.Index] | None:
    """A libpysal ``Graph``'s matrix and ids straight from its adjacency's MultiIndex codes.

    ``Graph.sparse`` pivots the adjacency through a pandas sparse Series (about 1 s per
    10^7 links) and ``Graph.unique_ids`` hashes the focal ids (0.3 s per 10^6 units). A
    canonically sorted Graph -- what every libpysal constructor makes -- has focal codes that
    run 0, 1, ..., n-1 in order and both levels equal to its ids, so the CSR matrix is the
    codes and the weights as they stand. Anything else returns None (the caller uses
    ``w.sparse`` and ``w.unique_ids``); the result is the same matrix either way
    (tests/test_scale_paths.py), without stored zeros, and its arrays are copies.
    """
    index = getattr(getattr(w, "_adjacency", None), "index", None)
    # (hasattr on the class: on the instance it would compute the cached unique_ids)
    if index is None or not hasattr(type(w), "unique_ids") or getattr(index, "nlevels", 0) != 2:
        return None
    focal_ids, neighbour_ids = index.levels
    focal, neighbour = index.codes
    n = len(focal_ids)
    if n == 0 or len(focal) == 0 or not focal_ids.equals(neighbour_ids) or focal[0] != 0:
        return None
    # Focal codes sorted and covering 0..n-1 exactly when they change n - 1 times and the
    # code after the k-th change is k: then row k starts at that change. (One comparison
    # pass; np.bincount of the codes cost three times as much at 10^7 links.)
    starts = np.flatnonzero(focal[1:] != focal[:-1]) + 1
    if len(starts) != n - 1 or not np.array_equal(focal[starts], np.arange(1, n)):
        return None
    weights = w._adjacency.to_numpy()
    index_dtype = np.int32 if len(focal) < 2**31 - 1 else np.int64     # scipy's own choice
    indptr = np.empty(n + 1, dtype=index_dtype)
    indptr[0], indptr[1:-1], indptr[-1] = 0, starts, len(focal)
    if weights.min() > 0:            # no stored zeros (nor NaN: the checks name those)
        # Copies: the matrix goes on to the models (and scipy's in-place routines), the
        # Graph's own arrays must never be touched.
        weights = np.array(weights, dtype=float)
        neighbour = np.array(neighbour, dtype=index_dtype)
    else:
        # libpysal stores an island as a zero-weight self-link: drop the stored zeros here
        # (as as_sparse's eliminate_zeros does for the other route), so that an island is
        # an empty row; boolean indexing copies.
        keep = weights != 0
        weights = np.asarray(weights[keep], dtype=float)
        neighbour = np.asarray(neighbour[keep], dtype=index_dtype)
        indptr[1:] = np.cumsum(keep, dtype=index_dtype)[indptr[1:] - 1]
    matrix = sp.csr_matrix((weights, neighbour, indptr), shape=(n, n))
    return matrix, pd.Index(focal_ids)


def as_sparse(w: WeightsLike, ids: Sequence | pd.Index, *, allow_self_loops: bool = False,
              allow_negative: bool = False) -> sp.csr_matrix:
    """Return the weights as a CSR matrix whose rows and columns follow ``ids``.

    The one path by which models and measures turn the user's weights into a matrix: ids
    are matched by value (never by position) and the weights' values are checked with
    :func:`check_weights_values`.

    Parameters
    ----------
    w : libpysal.graph.Graph or libpysal.weights.W
        Spatial weights keyed by unit id (already transformed as the user wants).
    ids : sequence
        The ids of the data rows, in data order.
    allow_self_loops : bool, default False
        Accept a non-zero diagonal (a unit in its own spatial lag). Refused by default: the
        spatial models assume :math:`w_{ii} = 0`, and a self-loop silently changes
        rho. libpysal's explicit *zero* self-links of islands are not self-loops.
    allow_negative : bool, default False
        Accept negative weights. Refused by default: the admissible interval of
        rho and row standardisation assume non-negative weights.

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
    InvalidWeightsError
        Non-finite weights, or (unless allowed) self-loops or negative weights; the
        message names the units.
    """
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__len__"):
        raise InputError(f"ids must be a sequence or Index of unit ids (the data's index); "
                         f"{type(ids).__name__} {ids!r} was given.")
    ids = pd.Index(ids)
    fast = _graph_csr(w)
    wids = fast[1] if fast is not None else weights_ids(w)
    check_ids_present(ids, "the data's index")
    check_ids_present(wids, "the weights")
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
    matrix = fast[0] if fast is not None else sp.csr_matrix(w.sparse, dtype=float)
    if matrix.shape != (len(wids), len(wids)):
        # libpysal's W of units without any neighbour (e.g. lat2W(1, 1)) has a 0 x 0 sparse
        if matrix.nnz:
            raise InvalidWeightsError(
                f"the weights' matrix is {matrix.shape[0]} x {matrix.shape[1]} but they have "
                f"{len(wids)} unit ids; rebuild them (e.g. with spatialflow.weights.build).")
        matrix = sp.csr_matrix((len(wids), len(wids)), dtype=float)
    if fast is None:
        # libpysal's Graph stores an island as a zero-weight self-link: drop stored zeros so
        # an island is an empty row (and nnz counts real links only). _graph_csr did so.
        matrix.eliminate_zeros()
    matrix.sum_duplicates()         # canonical (sorted, no duplicates): a no-op check usually
    check_weights_values(matrix, wids, allow_self_loops=allow_self_loops,
                         allow_negative=allow_negative)
    if not wids.equals(ids):
        order = wids.get_indexer(ids)
        matrix = matrix[order][:, order]
    matrix.sort_indices()
    return matrix.tocsr()


def weights_on(w, ids: Sequence | pd.Index, **options) -> sp.csr_matrix:
    """The weights restricted to ``ids``, a subset of their units, in the order of ``ids``.

    For statistics computed on the units observed (a variable missing for some units, a
    panel without some units of the layer): the rows and columns of the other units are
    dropped and a row-standardised W is standardised again by row (as R's ``subset.listw``
    and the models' ``missing="drop"``). ``options`` go to :func:`as_sparse`.

    Raises
    ------
    IdMismatchError
        If some ``ids`` are not units of the weights (the message names them).
    """
    ids = pd.Index(ids)
    wids = weights_ids(w)
    unknown = ids.difference(wids, sort=False)
    if len(unknown):
        raise IdMismatchError(f"{len(unknown)} id(s) are not units of the weights: "
                              f"{format_ids(unknown)}.")
    full = as_sparse(w, wids, **options)
    if len(ids) == len(wids):
        return as_sparse(w, ids, **options)
    keep = wids.isin(ids)
    sub = subset_weights(full, keep)
    order = wids[keep].get_indexer(ids)
    return sp.csr_matrix(sub[order][:, order])


def check_weights_values(matrix, ids: Sequence | pd.Index, *, allow_self_loops: bool = False,
                         allow_negative: bool = False) -> None:
    """Refuse non-finite weights, self-loops and negative weights, naming the units.

    Parameters
    ----------
    matrix : scipy.sparse matrix or numpy array
        Square weights, rows and columns in the order of ``ids``. Explicitly stored zeros
        (libpysal's zero self-link of an island) are not links and are ignored.
    ids : sequence
        The unit ids of the rows (for the messages).
    allow_self_loops, allow_negative : bool
        See :func:`as_sparse`.

    Raises
    ------
    InvalidWeightsError
        Naming the (unit, neighbour) pairs with NaN/inf or negative weights and the units
        with a non-zero self-weight.
    """
    # The checks read the stored values in the matrix's own order (CSR: no COO copy of 10^7
    # links); the (row, column) pairs are formed only for a message.
    csr = sp.csr_matrix(matrix) if sp.issparse(matrix) else None
    if csr is not None and _plainly_valid(csr, allow_self_loops, allow_negative):
        return
    coo = sp.coo_matrix(matrix) if csr is None else _LazyCoo(csr)
    data = csr.data if csr is not None else coo.data
    ids = pd.Index(ids)
    # Python scalars in messages: "('a', 'b')" rather than "(np.str_('a'), ...)"; the list is
    # made only for a message (10^6 ids take 0.1 s).
    labels = _Labels(ids)

    def pairs(mask):
        return [(labels[i], labels[j])
                for i, j in zip(coo.row[mask].tolist(), coo.col[mask].tolist())]

    if np.isfinite(data).all():
        bad = None
    else:
        bad = ~np.isfinite(data)
    if bad is not None:
        rows = pd.unique(coo.row[bad])
        raise InvalidWeightsError(
            f"the weights must be finite; {int(bad.sum())} weight(s) are NaN or infinite, in "
            f"the rows of unit(s) {format_ids([labels[i] for i in rows])}; (unit, neighbour) "
            f"pairs: {format_ids(pairs(bad), limit=10)}. Check the distances or attributes "
            "the weights were built from (e.g. two units at distance 0 give 1/d = inf).")
    check_weights_scale(csr if csr is not None else coo, ids)
    if not allow_self_loops and (csr is None or csr.diagonal().any()):
        loops = (coo.row == coo.col) & (data != 0)
        if loops.any():
            units = [labels[i] for i in coo.row[loops]]
            raise InvalidWeightsError(
                f"the weights have {len(units)} self-loop(s) (a non-zero diagonal w_ii): units "
                f"{format_ids(units)}. A unit must not be its own neighbour in a spatial lag "
                "(it changes rho and the effects); rebuild the weights without self-links "
                "(libpysal: Graph.assign_self_weight(0)), or pass allow_self_loops=True to "
                "as_sparse if this is intended.")
    if not allow_negative and data.size and data.min() < 0:
        neg = data < 0
        if neg.any():
            raise InvalidWeightsError(
                f"the weights must be non-negative; {int(neg.sum())} weight(s) are negative, "
                f"at (unit, neighbour) pairs {format_ids(pairs(neg), limit=10)}. The admissible "
                "interval of rho and row standardisation assume w_ij >= 0; pass "
                "allow_negative=True to as_sparse if this is intended.")


def _plainly_valid(csr: sp.csr_matrix, allow_self_loops: bool, allow_negative: bool) -> bool:
    r"""True only if every check of :func:`check_weights_values` passes, from three
    reductions of the stored weights (and W's diagonal) instead of a pass per check.

    It returns False (and the caller runs the checks one by one, with their messages) unless:

    * ``min(w) >= 0`` (unless negatives are allowed; then ``min(w)`` is finite) and
      :math:`t = \sum |w_{ij}|` is finite: NaN propagates through both and an infinite
      weight makes ``t`` infinite, so every weight is finite;
    * :math:`t \le h/2` and :math:`t / \mathrm{nnz} \ge l` (``(l, h)`` =
      :data:`WEIGHTS_SCALE_LIMITS`): every row or column sum of :math:`|w|` lies between its
      largest term and the total, and the largest term is at least the mean, so the scale
      (the largest such sum) is finite and in ``[l, h]`` without forming the n row and n
      column sums. The factor 2 covers rounding: a float sum of m non-negative terms is
      within a relative :math:`m\epsilon` of the exact one, and float summation of
      non-negative terms is monotone, so no row sum rounds below its largest term;
    * no non-zero diagonal (unless self-loops are allowed).

    Two reductions and the diagonal: at 10^7 links about a fifth of the separate checks (the
    column sums by ``np.bincount`` alone took 37 ms). tests/test_fast_checks.py pins that
    bad weights still get the separate checks' errors.
    """
    data = csr.data
    if data.size == 0 or data.dtype.kind != "f":     # (integer sums would wrap around)
        return False
    lo = data.min()
    if not lo >= 0 and not (allow_negative and np.isfinite(lo)):    # NaN fails both tests
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        total = data.sum() if lo >= 0 else np.abs(data).sum()
    low, high = WEIGHTS_SCALE_LIMITS
    if not (np.isfinite(total) and total <= high / 2 and total / data.size >= low):
        return False
    return allow_self_loops or not csr.diagonal().any()


#: Smallest and largest admissible scale of W (its largest absolute row or column sum).
#: Products of W with itself and with the data (W'W, tr(W^2), the cross-products of the
#: SAC/GNS search) must neither overflow nor underflow: a binary W times 1e49 or 1e-49
#: gives the estimates of the unscaled W for every model (rho and lambda scaled;
#: tests/test_hostile_models.py); SAC fails from 1e80, SAR from 1e140.
WEIGHTS_SCALE_LIMITS = (1e-50, 1e50)


def check_weights_scale(matrix, ids: Sequence) -> None:
    """Refuse weights whose row or column sums overflow or lie outside
    :data:`WEIGHTS_SCALE_LIMITS`, naming the units with the largest (smallest) sums.

    Finite weights can still have an infinite row sum (four weights of 1e308), which turns
    row standardisation and every lag into inf/NaN.
    """
    csr = sp.csr_matrix(matrix)
    if csr.nnz == 0:
        return
    labels = _Labels(pd.Index(ids))
    shape = csr.shape
    with np.errstate(over="ignore", invalid="ignore"):
        weights = np.abs(csr.data)
        rows = np.zeros(shape[0])
        filled = np.flatnonzero(np.diff(csr.indptr))
        rows[filled] = np.add.reduceat(weights, csr.indptr[filled])
        cols = np.bincount(csr.indices, weights=weights, minlength=shape[1])
    if not (np.isfinite(rows).all() and np.isfinite(cols).all()):
        bad = np.flatnonzero(~np.isfinite(rows) | ~np.isfinite(cols))
        raise InvalidWeightsError(
            f"the sums of the weights overflow (are infinite) in the rows or columns of "
            f"unit(s) {format_ids([labels[i] for i in bad])}: each weight is finite but their "
            "sum is not, so row standardisation and the spatial lags would be inf/NaN. "
            "Divide the weights by a constant (rho scales by it) or row-standardise them.")
    low, high = WEIGHTS_SCALE_LIMITS
    scale = max(rows.max(), cols.max())
    if not low <= scale <= high:
        worst = np.flatnonzero((rows == rows.max()) | (cols == cols.max()))
        raise InvalidWeightsError(
            f"the weights are scaled too far from 1 for the spatial computations: their "
            f"largest row or column sum is {scale:.3g} (units {format_ids([labels[i] for i in worst])}); "
            f"it must lie in [{low:g}, {high:g}], else products of W with itself (W'W, "
            "tr(W^2)) over- or underflow and rho cannot be estimated. Divide the weights by "
            "a constant (rho scales by it) or row-standardise them (transform='r').")


class _LazyCoo:
    """``row`` and ``col`` of a CSR matrix's stored entries, in its order, made on first use."""

    def __init__(self, csr: sp.csr_matrix):
        self._csr, self._coo = csr, None

    def __getattr__(self, name):
        if self._coo is None:
            self._coo = self._csr.tocoo(copy=False)
        return getattr(self._coo, name)


class _Labels:
    """``ids[i]`` as a Python scalar, for messages (the list is built on first use)."""

    def __init__(self, ids: pd.Index):
        self._ids, self._list = ids, None

    def __getitem__(self, i):
        if self._list is None:
            self._list = self._ids.tolist()
        return self._list[i]


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


def is_row_standardised(matrix, *, allow_islands: bool = True, atol: float = 1e-10) -> bool:
    """Whether every non-zero row of ``matrix`` sums to one and no weight is negative.

    ``allow_islands=False`` also requires every row to be non-zero (``W 1 = 1`` exactly, as
    the Lee-Yu transformation of time effects needs). The one test of row standardisation
    for the models (the trace code reports island rows separately).
    """
    M = sp.csr_matrix(matrix)
    if M.nnz and M.data.min() < 0:
        return False
    # W @ 1 adds each row's weights in their stored order, as M.sum(axis=1) does, at a
    # third of its cost (10^7 links: 12 ms against 36 ms); the test is np.allclose's
    # |s - 1| <= atol + rtol |1| without its n-sized temporaries.
    rows = M @ np.ones(M.shape[1])
    if allow_islands:
        rows = rows[rows != 0]
    with np.errstate(invalid="ignore"):
        return bool(np.abs(rows - 1.0).max(initial=0.0) <= atol * 1e-2 + atol * 1.0)


def row_standardise(matrix) -> sp.csr_matrix:
    """Divide each row by its sum; rows summing to zero (islands) stay zero."""
    M = sp.csr_matrix(matrix, dtype=float)
    sums = np.asarray(M.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums != 0)
    return sp.csr_matrix(sp.diags(scale) @ M)


def subset_weights(matrix, keep: np.ndarray) -> sp.csr_matrix:
    """Rows and columns ``keep`` of W, re-standardised by row if W was row-standardised.

    Dropping units removes neighbours from the rows of the others: a row-standardised W
    stays row-standardised (as R's ``subset.listw``), any other W is subset as it is.
    """
    row_std = is_row_standardised(matrix)
    sub = subset_sparse(sp.csr_matrix(matrix), keep)
    return row_standardise(sub) if row_std else sub
