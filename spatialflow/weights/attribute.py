"""Economic-distance weights and the nested economic-geographic combination."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..exceptions import InputError, InvalidWeightsError, MissingDataError, format_ids

from .align import row_standardise  # the one implementation (re-exported here)

__all__ = ["economic_matrix", "nested_matrix", "row_standardise"]


def _column_values(frame: pd.DataFrame, column) -> np.ndarray:
    if column is None:
        raise InputError("kind='economic'/'nested' needs column=<name of a numeric column>.")
    if column not in frame.columns:
        raise InputError(
            f"column {column!r} is not in the frame; available columns: {list(frame.columns)}."
        )
    values = frame[column]
    if (not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
            or pd.api.types.is_complex_dtype(values)):
        raise InputError(f"column {column!r} must be numeric; its dtype is {values.dtype}.")
    values = values.to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise MissingDataError(
            f"column {column!r} has NaN or infinite values for ids {format_ids(frame.index[bad])}; "
            "economic weights need a finite value for every unit."
        )
    return values


def economic_matrix(frame: pd.DataFrame, column, *, epsilon: float | None = None) -> sp.csr_matrix:
    r"""Economic-distance weights from one column, all pairs (dense, n^2 entries).

    .. math:: w_{ij} = \frac{1}{|\bar y_i - \bar y_j| + \varepsilon}, \quad i \ne j

    Pass the panel mean :math:`\bar y_i` (e.g. mean GDP per capita over the sample years)
    as the column if that is what is wanted; the column is used as given.

    Parameters
    ----------
    frame : DataFrame
        Indexed by unit id.
    column : str
        Numeric column, finite for every unit.
    epsilon : float, optional
        Added to every absolute difference. By default (``None``) :math:`\varepsilon = 0` and
        two units with identical values raise :class:`InputError` naming the pairs, since
        their weight would be infinite; pass a small positive ``epsilon`` to allow ties.
    """
    y = _column_values(frame, column)
    eps = 0.0
    if epsilon is not None:
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.number)) \
                or not np.isfinite(epsilon) or epsilon <= 0:
            raise InputError(f"epsilon must be a positive number; {epsilon!r} was given.")
        eps = float(epsilon)
    diff = np.abs(y[:, None] - y[None, :])
    off = ~np.eye(len(y), dtype=bool)
    if eps == 0.0:
        tie_i, tie_j = np.nonzero((diff == 0) & off & np.triu(off))
        if len(tie_i):
            pairs = [(frame.index[i], frame.index[j]) for i, j in zip(tie_i, tie_j)]
            raise InputError(
                f"economic weights 1/|y_i - y_j| are infinite for units with equal {column!r}; "
                f"{len(pairs)} tied pair(s): {format_ids(pairs, limit=10)}. Pass epsilon=<small "
                "positive number> to use 1/(|y_i - y_j| + epsilon) instead."
            )
    w = np.zeros_like(diff)
    with np.errstate(over="ignore", divide="ignore"):
        w[off] = 1.0 / (diff[off] + eps)
    over_i, over_j = np.nonzero(np.isinf(w) & np.triu(off))
    if len(over_i):
        # a difference such as 5e-324 (a subnormal number) is not a tie but its reciprocal
        # overflows: named here rather than as an inf weight (or a NaN after standardising)
        pairs = [(frame.index[i], frame.index[j]) for i, j in zip(over_i, over_j)]
        raise InvalidWeightsError(
            f"economic weights 1/|y_i - y_j| overflow (are infinite) for {len(pairs)} pair(s) "
            f"whose {column!r} differ by less than about 1e-308: {format_ids(pairs, limit=10)}. "
            "Pass epsilon=<small positive number>, or rescale the column.")
    return sp.csr_matrix(w)



def nested_matrix(geo: sp.csr_matrix, econ: sp.csr_matrix, phi: float) -> sp.csr_matrix:
    r"""Nested economic-geographic weights.

    .. math:: W = \varphi\, \tilde W_d + (1 - \varphi)\, \tilde W_e

    where :math:`\tilde W_d` and :math:`\tilde W_e` are the row-standardised geographic and
    economic matrices, so every row of :math:`W` sums to one when both components have
    neighbours.
    """
    if isinstance(phi, bool) or not isinstance(phi, (int, float, np.number)) \
            or not 0.0 <= phi <= 1.0:
        raise InputError(f"nested weights need phi in [0, 1]; phi={phi!r} was given.")
    return sp.csr_matrix(phi * row_standardise(geo) + (1.0 - phi) * row_standardise(econ))
