"""Entropy weight method (熵值法) for composite indices, pooled or per period."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from .._validation import check_option, is_real_number
from ..exceptions import InputError, MissingValueWarning, ZeroRangeWarning, format_ids
from ._validation import (
    check_panel_keys,
    column_list,
    numeric_block,
    raise_if_missing,
)

__all__ = ["EntropyResult", "entropy_weights", "parse_directions"]

_POSITIVE = {"+", "positive", "pos", "benefit", 1, 1.0}
_NEGATIVE = {"-", "negative", "neg", "cost", -1, -1.0}


# A result, built by the function that returns it, never by users: the fields are documented
# under Attributes (tests/test_docstrings.py checks that every field is), not as parameters.
@dataclass(frozen=True)
class EntropyResult:  # numpydoc ignore=PR01
    """Weights, scores and entropies of the entropy weight method.

    Attributes
    ----------
    weights : pandas.Series or pandas.DataFrame
        ``w_j`` indexed by indicator (pooled); per period, a DataFrame indexed by period with
        one column per indicator. Each set of weights sums to 1.
    scores : pandas.Series
        ``S_i = sum_j w_j x'_ij``, indexed like the input frame (NaN for rows dropped under
        ``missing="drop"``).
    entropy : pandas.Series or pandas.DataFrame
        ``e_j`` per indicator (per period: a DataFrame like ``weights``). Constant indicators
        have ``e_j = 1`` (no information).
    scaled : pandas.DataFrame
        The min-max scaled indicators ``x'_ij`` (direction applied), indexed like the input.
    directions : pandas.Series
        ``+1`` (positive) or ``-1`` (negative) per indicator.
    per : str
        ``"pooled"`` or ``"period"``.
    """

    weights: pd.Series | pd.DataFrame
    scores: pd.Series
    entropy: pd.Series | pd.DataFrame
    scaled: pd.DataFrame
    directions: pd.Series
    per: str

    @property
    def redundancy(self) -> pd.Series | pd.DataFrame:
        """Information utility ``d_j = 1 - e_j`` (the un-normalised weight)."""
        return 1.0 - self.entropy


def parse_directions(directions, indicators: Sequence) -> pd.Series:
    """Map user directions to ``+1``/``-1`` per indicator, raising on unknown values.

    ``None`` means every indicator is positive. A mapping must cover every indicator and
    name no other column, so that a misspelt name cannot silently default to positive.
    """
    indicators = list(indicators)
    if directions is None:
        return pd.Series(1.0, index=pd.Index(indicators, name="indicator"), name="direction")
    if not isinstance(directions, (Mapping, pd.Series)):
        raise InputError(
            "directions must be None or a mapping {indicator: '+' or '-'}; "
            f"{type(directions).__name__} was given."
        )
    directions = dict(directions)
    extra = [k for k in directions if k not in indicators]
    absent = [k for k in indicators if k not in directions]
    if extra or absent:
        raise InputError(
            "directions must name exactly the indicators; "
            f"unknown indicator(s) {format_ids(extra)}, indicator(s) without a direction "
            f"{format_ids(absent)}."
        )
    out = {}
    bad = {}
    for key in indicators:
        value = directions[key]
        norm = value.strip().lower() if isinstance(value, str) else value
        if norm in _POSITIVE:
            out[key] = 1.0
        elif norm in _NEGATIVE:
            out[key] = -1.0
        else:
            bad[key] = value
    if bad:
        raise InputError(
            "each direction needs to be one of ('+', 'positive', 1, '-', 'negative', -1); "
            f"unknown direction(s) {bad} were given."
        )
    return pd.Series(out, name="direction").rename_axis("indicator")


def _minmax(block: pd.DataFrame, signs: pd.Series, shift: float) -> tuple[pd.DataFrame, pd.Index]:
    """Direction-aware min-max scaling; constant columns become 0 (reported separately)."""
    lo, hi = block.min(), block.max()
    span = hi - lo
    constant = span.index[~(span > 0)]
    safe = span.where(span > 0, 1.0)
    pos = (block - lo) / safe
    neg = (hi - block) / safe
    # Broadcast the direction over rows explicitly: DataFrame.where aligns a Series on rows.
    positive = np.broadcast_to(signs.reindex(block.columns).to_numpy() > 0, block.shape)
    scaled = pos.where(positive, neg)
    scaled.loc[:, constant] = 0.0
    return scaled + shift, constant


def _entropy_of(scaled: pd.DataFrame, constant: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Entropy ``e_j`` and weights ``w_j`` of already scaled indicators."""
    n = scaled.shape[0]
    x = scaled.to_numpy(dtype=float)
    col_sum = x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(col_sum > 0, x / np.where(col_sum > 0, col_sum, 1.0), 0.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)  # 0 ln 0 = 0
    e = 0.0 - plogp.sum(axis=0) / np.log(n)  # "0.0 -" avoids printing -0.0
    e = np.where(col_sum > 0, e, 1.0)
    e = pd.Series(e, index=scaled.columns, name="entropy")
    e.loc[constant] = 1.0
    d = 1.0 - e
    if not d.sum() > 0:
        raise InputError(
            "every indicator has entropy 1 (all constant), so no weights can be formed; "
            f"indicators {format_ids(scaled.columns)}."
        )
    w = (d / d.sum()).rename("weight")
    return e, w


def entropy_weights(
    frame: pd.DataFrame,
    *,
    indicators: Sequence | None = None,
    directions: Mapping | None = None,
    id: str | None = None,
    time: str | None = None,
    per: Literal["pooled", "period"] = "pooled",
    zero_range: Literal["raise", "zero"] = "raise",
    missing: Literal["raise", "drop"] = "raise",
    shift: float = 0.0,
) -> EntropyResult:
    r"""Entropy weights and composite scores of a set of indicators.

    Each indicator is min-max scaled (reversed for negative indicators), turned into
    proportions, and weighted by how far its entropy is below the maximum:

    .. math::

        x'_{ij} = \frac{x_{ij} - \min_i x_{ij}}{\max_i x_{ij} - \min_i x_{ij}} \;(+),\qquad
        x'_{ij} = \frac{\max_i x_{ij} - x_{ij}}{\max_i x_{ij} - \min_i x_{ij}} \;(-),

        p_{ij} = \frac{x'_{ij}}{\sum_i x'_{ij}},\qquad
        e_j = -\frac{1}{\ln N}\sum_i p_{ij}\ln p_{ij}\quad(0\ln 0 = 0),

        w_j = \frac{1 - e_j}{\sum_k (1 - e_k)},\qquad S_i = \sum_j w_j x'_{ij}.

    With ``per="pooled"`` a panel pools all rows (``N = nT``, one set of weights, scores
    comparable over time); with ``per="period"`` scaling, entropy and weights are computed
    separately within each period of ``time`` (``N = n``).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per unit (or unit-period). Not modified.
    indicators : sequence of str, optional
        Indicator columns. Default: every column except ``id`` and ``time``.
    directions : mapping, optional
        ``{indicator: "+" | "-"}`` (also ``"positive"``/``"negative"``, ``1``/``-1``). It must
        name every indicator. Default: all positive.
    id, time : str, optional
        Panel key columns (excluded from the indicators; ``time`` is needed for
        ``per="period"``). (id, time) pairs must be unique; with ``time`` but no ``id`` the
        index labels stand for the units, so (index label, time) pairs must be unique. The
        index itself need not be unique (e.g. a pooled panel indexed by county code): rows
        are matched by position.
    per : {"pooled", "period"}
    zero_range : {"raise", "zero"}
        A constant indicator carries no information. ``"raise"`` (default) raises naming it;
        ``"zero"`` gives it entropy 1 and weight 0 and emits :class:`ZeroRangeWarning`.
    missing : {"raise", "drop"}
        Non-finite cells raise (naming them) or, with ``"drop"``, their rows are left out of
        the computation with a :class:`MissingValueWarning` and get a NaN score.
    shift : float
        Added to every scaled value (some authors use 1e-4 so that no ``p_ij`` is zero).
        Default 0 (the ``0 ln 0 = 0`` convention is used instead).

    Returns
    -------
    EntropyResult
        ``weights``, ``scores``, ``entropy``, ``scaled``, ``directions``.

    Raises
    ------
    InputError
        Unknown indicator or direction, non-numeric columns, a constant indicator under
        ``zero_range="raise"``, fewer than two rows.
    MissingDataError
        NaN/inf cells under ``missing="raise"``; the message names the (row, column) cells.

    Notes
    -----
    The weights are invariant to a positive affine rescaling of any indicator (min-max
    scaling removes units), and to the order of the rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from spatialflow.measures import entropy_weights
    >>> df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 9.0]})
    >>> res = entropy_weights(df)
    >>> round(float(res.weights.sum()), 12)
    1.0
    >>> bool(res.weights["b"] > res.weights["a"])
    True
    """
    check_option(per, ("pooled", "period"), "per")
    check_option(zero_range, ("raise", "zero"), "zero_range")
    check_option(missing, ("raise", "drop"), "missing")
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"frame must be a pandas DataFrame; {type(frame).__name__} was given.")
    if per == "period" and time is None:
        raise InputError(
            "per='period' needs the name of the time column in 'time'; None was given."
        )
    check_panel_keys(frame, id, time)
    keys = [k for k in (id, time) if k is not None]
    if indicators is None:
        indicators = [c for c in frame.columns if c not in keys]
    indicators = column_list(indicators, name="indicators")
    if len(set(indicators)) != len(indicators):
        raise InputError(f"indicators must be distinct; {format_ids(indicators)} was given.")
    block = numeric_block(frame, indicators, what="indicator")
    signs = parse_directions(directions, indicators)
    if not is_real_number(shift) or not np.isfinite(shift) or shift < 0:
        raise InputError(f"shift must be a finite number >= 0; {shift!r} was given.")

    finite = np.isfinite(block.to_numpy()).all(axis=1)
    if not finite.all():
        if missing == "raise":
            raise_if_missing(block, what="indicators",
                             hint="Pass missing='drop' to leave those rows out.")
        warnings.warn(
            f"{int((~finite).sum())} row(s) with missing indicator values were left out of the "
            f"entropy weights and get a NaN score: {format_ids(block.index[~finite])}.",
            MissingValueWarning,
            stacklevel=2,
        )
    # Rows are addressed by position throughout: the index need not be unique (pooled
    # weights do not need ids, e.g. a panel indexed by county code).
    if per == "pooled":
        groups = [(None, np.flatnonzero(finite))]
    else:
        period = frame[time].to_numpy()
        groups = [(t, np.flatnonzero(finite & (period == t))) for t in pd.unique(period[finite])]

    weights, entropies = {}, {}
    scaled_all = pd.DataFrame(np.nan, index=block.index, columns=block.columns)
    scores = np.full(len(block), np.nan)
    for label, rows in groups:
        where = "" if label is None else f" in period {format_ids([label])[1:-1]}"
        part = block.iloc[rows]
        if len(part) < 2:
            raise InputError(f"the entropy method needs at least 2 rows{where}; {len(part)} given.")
        scaled, constant = _minmax(part, signs, shift)
        if len(constant):
            if zero_range == "raise":
                raise InputError(
                    f"indicator(s) {format_ids(constant)} are constant{where} (zero range), so "
                    "they cannot be min-max scaled. Drop them, or pass zero_range='zero' to "
                    "give them weight 0."
                )
            warnings.warn(
                f"indicator(s) {format_ids(constant)} are constant{where}; they get entropy 1 "
                "and weight 0.",
                ZeroRangeWarning,
                stacklevel=2,
            )
        e, w = _entropy_of(scaled, constant)
        weights[label], entropies[label] = w, e
        scaled_all.iloc[rows] = scaled.to_numpy()
        scores[rows] = scaled.to_numpy() @ w.to_numpy()

    scores = pd.Series(scores, index=block.index, name="score")
    if per == "pooled":
        w_out = weights[None].rename_axis("indicator")
        e_out = entropies[None].rename_axis("indicator")
    else:
        w_out = pd.DataFrame(weights).T.rename_axis(time)
        e_out = pd.DataFrame(entropies).T.rename_axis(time)
        w_out.columns.name = e_out.columns.name = "indicator"
    return EntropyResult(
        weights=w_out,
        scores=scores,
        entropy=e_out,
        scaled=scaled_all,
        directions=signs,
        per=per,
    )
