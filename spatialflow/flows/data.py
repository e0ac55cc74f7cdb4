"""The origin-destination data container: nodes, pairs and W, met by id.

Flows live in an ``n x n`` matrix ``Y[o, d]`` (origin rows, destination columns), with nodes in
the order of the node table. The vector of flows is ``vec`` of that matrix origin-major (pair
``o * n + d``), so that :math:`W_d = I \\otimes W`, :math:`W_o = W \\otimes I` and
:math:`W_w = W \\otimes W` act on the matrix as ``Y W'``, ``W Y`` and ``W Y W'``.

A design is *Cartesian* when every ``(o, d)`` pair is in the sample, and *non-Cartesian*
otherwise (a subset of pairs, e.g. a migration table without intra-regional flows); the
sample is the boolean matrix :attr:`FlowData.mask`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..exceptions import (
    DuplicateIdError,
    FlowDataError,
    IdMismatchError,
    InputError,
    MissingDataError,
    format_ids,
)
from ..weights.align import as_sparse, check_ids_present

if TYPE_CHECKING:
    from .._typing import WeightsLike

__all__ = ["FlowData", "pairs_from_matrices"]

MISSING_POLICIES = ("raise", "subset")


def _pair_labels(orig_ids, dest_ids, limit: int = 10) -> str:
    return format_ids(list(zip(orig_ids, dest_ids)), limit=limit)


@dataclass(frozen=True)
class FlowData:  # numpydoc ignore=PR01
    """Checked origin-destination data on ``n`` nodes.

    Build it with :meth:`from_frames`; the attributes are read-only views for the
    estimators.

    Attributes
    ----------
    nodes : pandas.DataFrame
        The node table (a copy), indexed by node id; its order is the order of rows and
        columns of every ``n x n`` matrix.
    pairs : dict of str -> ndarray
        Each pair column as an ``n x n`` matrix (``NaN`` outside the sample).
    mask : ndarray of bool or None
        ``mask[o, d]`` is True if the pair is in the sample; None for a Cartesian design.
    W : scipy.sparse.csr_matrix
        The node weights aligned to ``nodes.index``.
    """

    nodes: pd.DataFrame
    pairs: dict
    mask: np.ndarray | None
    W: sp.csr_matrix

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def ids(self) -> pd.Index:
        """The node ids, in the order of the rows and columns of every ``n x n`` matrix."""
        return self.nodes.index

    @property
    def is_cartesian(self) -> bool:
        """True if all ``n^2`` pairs (intra-regional ones included) are in the sample."""
        return self.mask is None

    @property
    def n_pairs(self) -> int:
        """Number of pairs in the sample (``N``)."""
        return self.n * self.n if self.mask is None else int(self.mask.sum())

    @classmethod
    def from_frames(cls, nodes: pd.DataFrame, pairs: pd.DataFrame, w: WeightsLike, *,
                    orig: str = "orig",
                    dest: str = "dest", missing: str = "raise", intra: bool = True,
                    columns: Sequence[str] | None = None) -> "FlowData":
        """Check and assemble nodes, pairs and W.

        Parameters
        ----------
        nodes : pandas.DataFrame
            One row per node, indexed by node id (unique, no missing ids).
        pairs : pandas.DataFrame
            One row per origin-destination pair: the columns ``orig`` and ``dest`` hold node
            ids; the other columns are pair variables (the flow, distances, ...).
        w : libpysal.graph.Graph or libpysal.weights.W
            Weights over the node ids (matched by id, never by position).
        orig, dest : str
            Names of the origin and destination id columns of ``pairs``.
        missing : {"raise", "subset"}
            What to do when some of the ``n^2`` pairs (``n^2 - n`` with ``intra=False``)
            are absent, or hold a missing value in one of ``columns``: ``"raise"`` names
            them; ``"subset"`` keeps the observed pairs as a non-Cartesian sample.
        intra : bool, default True
            Whether intra-regional pairs (``o = d``) belong to the sample. With False they
            must be absent from ``pairs`` (or are refused) and the design is
            non-Cartesian.
        columns : list of str, optional
            The pair columns to keep (default: all but ``orig`` and ``dest``).

        Raises
        ------
        InputError, DuplicateIdError, IdMismatchError, FlowDataError, MissingDataError
            Each names the ids, pairs or columns at fault.
        """
        if missing not in MISSING_POLICIES:
            raise InputError(f"missing must be 'raise' or 'subset'; {missing!r} was given.")
        if not isinstance(intra, (bool, np.bool_)):
            raise InputError(f"intra must be True or False; {intra!r} was given.")
        if not isinstance(nodes, pd.DataFrame) or not isinstance(pairs, pd.DataFrame):
            raise InputError("nodes and pairs must be pandas DataFrames; "
                             f"{type(nodes).__name__} and {type(pairs).__name__} were given.")
        if len(nodes) < 2:
            raise InputError(f"a flow model needs at least 2 nodes; {len(nodes)} given.")
        ids = nodes.index
        check_ids_present(ids, "the node table's index")
        if ids.has_duplicates:
            raise DuplicateIdError("node ids must be unique; duplicated ids: "
                                   f"{format_ids(ids[ids.duplicated()].unique())}.")
        for col in (orig, dest):
            if col not in pairs.columns:
                raise InputError(f"the pair table has no column {col!r} (origin/destination "
                                 f"ids); its columns are {list(pairs.columns)}.")
        W = as_sparse(w, ids)
        o_pos = ids.get_indexer(pairs[orig])
        d_pos = ids.get_indexer(pairs[dest])
        unknown = pd.Index(pd.concat([pairs[orig][o_pos < 0], pairs[dest][d_pos < 0]]).unique())
        if len(unknown):
            raise IdMismatchError(
                f"{len(unknown)} id(s) of the pair table are not in the node table: "
                f"{format_ids(unknown)}.")
        n = len(ids)
        is_intra = o_pos == d_pos if not intra else None
        # flat pair index o * n + d, built in place: at 10^8 pairs every extra index
        # array is 0.8 GB
        flat = o_pos.astype(np.int64, copy=False)
        flat *= n
        flat += d_pos
        del o_pos, d_pos
        observed = np.zeros(n * n, dtype=bool)
        observed[flat] = True
        if np.count_nonzero(observed) < flat.size:  # some pair occurs twice: name them
            dup = pd.Index(flat).duplicated(keep=False)
            bad = pairs.loc[dup, [orig, dest]].drop_duplicates()
            raise DuplicateIdError(
                f"{int(dup.sum())} rows of the pair table repeat an (origin, destination) pair: "
                f"{_pair_labels(bad[orig], bad[dest])}; aggregate them first.")
        if is_intra is not None and is_intra.any():
            raise FlowDataError(
                f"intra=False but the pair table holds {int(is_intra.sum())} intra-regional "
                f"pair(s) (origin = destination), e.g. "
                f"{_pair_labels(pairs[orig][is_intra], pairs[dest][is_intra], 5)}; drop them or "
                "pass intra=True.")
        # the pair table in origin-major order with every pair (the usual layout): the
        # values are copied as they are, without a scatter
        in_order = flat.size == n * n and bool(np.all(flat[1:] > flat[:-1]))
        columns = [c for c in pairs.columns if c not in (orig, dest)] if columns is None \
            else list(columns)
        values = {}
        for col in columns:
            if col not in pairs.columns:
                raise InputError(f"the pair table has no column {col!r}; its columns are "
                                 f"{list(pairs.columns)}.")
            x = pd.to_numeric(pairs[col], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(x)
            if bad.any():
                if missing == "raise":
                    raise MissingDataError(
                        f"pair column {col!r} is missing or not finite for {int(bad.sum())} "
                        f"pair(s): {_pair_labels(pairs[orig][bad], pairs[dest][bad])}; pass "
                        "missing='subset' to estimate on the other pairs.")
                observed[flat[bad]] = False
            if in_order:
                full = x.copy()
            else:
                full = np.full(n * n, np.nan)
                full[flat] = x
            values[col] = full.reshape(n, n)
        expected = np.ones((n, n), dtype=bool)
        if not intra:
            np.fill_diagonal(expected, False)
        absent_by_table = expected.ravel().copy()
        absent_by_table[flat] = False
        if absent_by_table.any() and missing == "raise":
            k = np.flatnonzero(absent_by_table)
            diag_only = intra and np.array_equal(k, np.arange(n) * (n + 1))
            hint = (" The intra-regional pairs (origin = destination) are the ones missing: "
                    "pass intra=False to model flows between distinct nodes."
                    if diag_only else " Pass missing='subset' to estimate on the pairs given "
                    "(a non-Cartesian design).")
            raise FlowDataError(
                f"the pair table lacks {k.size} of the {int(expected.sum())} "
                f"origin-destination pairs, e.g. "
                f"{_pair_labels(ids[k[:10] // n], ids[k[:10] % n])}.{hint}")
        mask = expected.ravel() & observed
        if not mask.any():
            raise InputError("no origin-destination pair is left in the sample.")
        mask = None if mask.all() else mask.reshape(n, n)
        if mask is not None:
            for col in values:
                values[col][~mask] = np.nan
        nodes = nodes.copy()
        return cls(nodes=nodes, pairs=values, mask=mask, W=W)

    def pair_matrix(self, name: str) -> np.ndarray:
        """The pair column ``name`` as an ``n x n`` matrix, zero outside the sample.

        Parameters
        ----------
        name : str
            A pair column kept by :meth:`from_frames`.

        Returns
        -------
        numpy.ndarray
            A fresh ``n x n`` array (origin rows, destination columns).
        """
        if name not in self.pairs:
            raise InputError(f"unknown pair column {name!r}; available: {list(self.pairs)}.")
        x = self.pairs[name]
        return np.where(np.isnan(x), 0.0, x) if self.mask is not None else x.copy()


def pairs_from_matrices(**matrices: pd.DataFrame) -> pd.DataFrame:
    """A long pair table from square origin x destination matrices.

    Parameters
    ----------
    **matrices : pandas.DataFrame
        Square frames with origin ids as index and destination ids as columns (the same
        ids in the same order for all), e.g. ``flow=F, dist=D``.

    Returns
    -------
    pandas.DataFrame
        Columns ``orig``, ``dest`` and one column per matrix, origin-major.

    Raises
    ------
    InputError
        If a matrix is not square, its axes hold different ids, or the matrices disagree.

    Examples
    --------
    >>> import pandas as pd
    >>> F = pd.DataFrame([[0, 2], [3, 0]], index=["a", "b"], columns=["a", "b"])
    >>> pairs_from_matrices(flow=F)
      orig dest  flow
    0    a    a     0
    1    a    b     2
    2    b    a     3
    3    b    b     0
    """
    if not matrices:
        raise InputError("pairs_from_matrices needs at least one matrix, e.g. flow=F.")
    ref = None
    out = {}
    for name, m in matrices.items():
        if not isinstance(m, pd.DataFrame):
            raise InputError(f"matrix {name!r} must be a DataFrame with origin ids as index "
                             f"and destination ids as columns; {type(m).__name__} given.")
        if m.shape[0] != m.shape[1] or not m.index.equals(m.columns):
            raise InputError(f"matrix {name!r} must be square with the same ids, in the same "
                             f"order, on both axes; its shape is {m.shape}.")
        if ref is None:
            ref = m.index
        elif not m.index.equals(ref):
            raise InputError(f"matrix {name!r} has other ids than {next(iter(matrices))!r}.")
        out[name] = m.to_numpy().ravel()
    n = len(ref)
    frame = pd.DataFrame({"orig": np.repeat(ref.to_numpy(), n),
                          "dest": np.tile(ref.to_numpy(), n)})
    for name, v in out.items():
        frame[name] = v
    return frame
