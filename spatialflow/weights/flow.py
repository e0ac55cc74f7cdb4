"""Flow weights from an origin-destination table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..exceptions import DuplicateIdError, IdMismatchError, InputError, MissingDataError, format_ids

__all__ = ["flow_matrix"]


def flow_matrix(
    ids: pd.Index,
    flows: pd.DataFrame,
    *,
    origin: str = "origin",
    destination: str = "destination",
    value: str = "flow",
    direction: str = "in",
) -> sp.csr_matrix:
    r"""Weights from observed flows between units.

    With ``direction="in"`` (default) row *i* holds the flows *into* unit *i*:

    .. math:: w_{ij} = F_{j \to i},

    so after row-standardisation :math:`(Wy)_i` is the inflow-weighted mean of the origins'
    values (the units that send factors to *i*). ``direction="out"`` uses
    :math:`w_{ij} = F_{i \to j}` (where *i* sends to). Pairs absent from the table have
    weight 0; flow weights are generally asymmetric.

    Parameters
    ----------
    ids : pandas.Index
        The units, in the order of the matrix.
    flows : DataFrame
        One row per ordered (origin, destination) pair, non-negative finite flows, no
        self-flows, every id in ``ids``.
    """
    if direction not in ("in", "out"):
        raise InputError(f"direction must be 'in' or 'out'; {direction!r} was given.")
    if not isinstance(flows, pd.DataFrame):
        raise InputError(
            "kind='flow' needs flows=<DataFrame with origin, destination and flow columns>; "
            f"{type(flows).__name__} was given instead."
        )
    missing = [c for c in (origin, destination, value) if c not in flows.columns]
    if missing:
        raise InputError(
            f"the flow table lacks column(s) {missing}; expected origin={origin!r}, "
            f"destination={destination!r}, value={value!r}; it has {list(flows.columns)}."
        )
    gaps = flows[[origin, destination]].isna().any(axis=1).to_numpy()
    if gaps.any():
        raise MissingDataError(
            f"the flow table has missing origin or destination ids in rows "
            f"{format_ids(flows.index[gaps].tolist())}.")
    o, d = pd.Index(flows[origin]), pd.Index(flows[destination])
    unknown = o.append(d).unique().difference(ids, sort=False)
    if len(unknown):
        raise IdMismatchError(
            f"the flow table has {len(unknown)} id(s) that are not in the frame's index: "
            f"{format_ids(unknown)}."
        )
    f = flows[value]
    if (not pd.api.types.is_numeric_dtype(f) or pd.api.types.is_bool_dtype(f)
            or pd.api.types.is_complex_dtype(f)):
        raise InputError(f"flow column {value!r} must be numeric; its dtype is {f.dtype}.")
    f = f.to_numpy(dtype=float)
    rows_bad = ~np.isfinite(f)
    if rows_bad.any():
        raise MissingDataError(
            f"flow column {value!r} has NaN or infinite values in rows "
            f"{format_ids(flows.index[rows_bad])}."
        )
    if (f < 0).any():
        raise InputError(
            f"flows must be non-negative; negative values in rows {format_ids(flows.index[f < 0])}."
        )
    self_flow = (o == d)
    if self_flow.any():
        raise InputError(
            "the flow table has flows from a unit to itself (the diagonal of W must be 0) in "
            f"rows {format_ids(flows.index[self_flow])}; remove them."
        )
    pairs = pd.MultiIndex.from_arrays([o, d])
    if pairs.has_duplicates:
        dup = pairs[pairs.duplicated()].unique()
        raise DuplicateIdError(
            f"the flow table repeats (origin, destination) pairs {format_ids(list(dup))}; "
            "aggregate them first (e.g. flows.groupby([origin, destination]).sum())."
        )
    oi, di = ids.get_indexer(o), ids.get_indexer(d)
    rows, cols = (di, oi) if direction == "in" else (oi, di)
    n = len(ids)
    matrix = sp.csr_matrix((f, (rows, cols)), shape=(n, n))
    matrix.eliminate_zeros()
    return matrix
