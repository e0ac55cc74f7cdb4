"""Composite factor-flow index over the six factors, by two-level entropy weighting."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

import pandas as pd

from ..exceptions import InputError, format_ids
from ._validation import require_columns
from .entropy import EntropyResult, entropy_weights

__all__ = ["FACTORS", "FLOW_DIRECTIONS", "FactorFlowIndex", "factor_flow_index"]

#: The paper's six factors: traditional (labour, land, capital) and new (technology, data, ecology).
FACTORS = ("labour", "land", "capital", "technology", "data", "ecology")
#: Flow directions an indicator list can be given for.
FLOW_DIRECTIONS = ("urban_to_rural", "rural_to_urban")


# A result, built by the function that returns it, never by users: the fields are documented
# under Attributes (tests/test_docstrings.py checks that every field is), not as parameters.
@dataclass(frozen=True)
class FactorFlowIndex:  # numpydoc ignore=PR01
    """Result of :func:`factor_flow_index`.

    Attributes
    ----------
    factor_scores : pandas.DataFrame
        Level-1 scores, columns ``(direction, factor)`` (a MultiIndex), indexed like the input.
    composite : pandas.DataFrame
        Level-2 composite index per direction (columns ``urban_to_rural``, ``rural_to_urban``)
        and ``net`` = urban_to_rural - rural_to_urban when both directions are given.
    indicator_weights : pandas.Series
        Within-factor weights, indexed by (direction, factor, indicator); with
        ``per="period"`` by (direction, factor, period, indicator).
    indicator_entropy : pandas.Series
        Within-factor entropies, same index.
    factor_weights : pandas.Series
        Across-factor weights, indexed by (direction, factor) (per period: (direction,
        period, factor)).
    factor_entropy : pandas.Series
        Across-factor entropies, same index.
    """

    factor_scores: pd.DataFrame
    composite: pd.DataFrame
    indicator_weights: pd.Series
    indicator_entropy: pd.Series
    factor_weights: pd.Series
    factor_entropy: pd.Series

    @property
    def net(self) -> pd.Series:
        """Net urban-to-rural flow index (NaN-free only when both directions are given)."""
        if "net" not in self.composite:
            raise InputError("the net flow needs indicators for both directions.")
        return self.composite["net"]


def _long(values: pd.Series | pd.DataFrame) -> pd.Series:
    """Per-period weights (period x indicator frame) as a Series indexed (period, indicator)."""
    if isinstance(values, pd.DataFrame):
        return values.stack(future_stack=True)
    return values


def _shown(cols) -> str:
    return format_ids(cols) if isinstance(cols, (list, tuple, pd.Index)) else repr(cols)


def _check_indicators(frame: pd.DataFrame, spec: dict[str, dict[str, list]]) -> None:
    """Raise naming every listed indicator the frame lacks, with its factor and direction."""
    absent = [
        f"{format_ids(missing)} under factor {factor!r} ({d})"
        for d, by_factor in spec.items()
        for factor, cols in by_factor.items()
        if (missing := [c for c in cols if c not in frame.columns])
    ]
    if absent:
        raise InputError(
            f"indicator(s) not found in the frame: {'; '.join(absent)}. Its columns are "
            f"{format_ids(frame.columns)}."
        )


def _normalise_spec(factors: Mapping) -> dict[str, dict[str, list]]:
    if not isinstance(factors, Mapping) or not factors:
        raise InputError(
            "factors must be a non-empty mapping "
            "{factor: {'urban_to_rural': [indicators], 'rural_to_urban': [indicators]}} "
            "(either direction may be left out); "
            f"{type(factors).__name__} was given."
        )
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        raise InputError(
            f"factors must be among {FACTORS}; unknown factor(s) {format_ids(unknown)}."
        )
    spec: dict[str, dict[str, list]] = {d: {} for d in FLOW_DIRECTIONS}
    for factor, lists in factors.items():
        if isinstance(lists, Mapping):
            bad = [d for d in lists if d not in FLOW_DIRECTIONS]
            if bad:
                raise InputError(
                    f"flow directions of factor {factor!r} must be among {FLOW_DIRECTIONS}; "
                    f"{format_ids(bad)} was given."
                )
            for d, cols in lists.items():
                spec[d][factor] = list(cols)
        else:
            # The direction is never guessed: labelling an undirected or rural-to-urban list
            # "urban_to_rural" would silently flip the sign of the net index.
            raise InputError(
                f"factor {factor!r} was given a flat indicator list {_shown(lists)}; the flow "
                f"direction must be explicit, e.g. {{{factor!r}: {{'urban_to_rural': "
                f"{_shown(lists)}}}}} or {{{factor!r}: {{'rural_to_urban': [...]}}}} "
                f"(directions among {FLOW_DIRECTIONS}; give both for a net index)."
            )
    for d in FLOW_DIRECTIONS:
        for factor, cols in spec[d].items():
            if not cols:
                raise InputError(f"factor {factor!r} ({d}) has no indicators.")
    return {d: v for d, v in spec.items() if v}


def factor_flow_index(
    frame: pd.DataFrame,
    factors: Mapping,
    *,
    directions: Mapping | None = None,
    id: str | None = None,
    time: str | None = None,
    per: Literal["pooled", "period"] = "pooled",
    zero_range: Literal["raise", "zero"] = "raise",
) -> FactorFlowIndex:
    r"""Composite factor-flow index by two-level entropy weighting, in both flow directions.

    Level 1 (within factor :math:`f`, direction :math:`d`): entropy weights of the factor's
    indicators give the factor score :math:`F_{i,fd} = \sum_{j\in f} w_j x'_{ij}`.
    Level 2 (across factors): the factor scores are themselves entropy-weighted,

    .. math::

        \text{FFI}_{i,d} = \sum_f v_{fd}\, F'_{i,fd},\qquad
        \text{net}_i = \text{FFI}_{i,\,u\to r} - \text{FFI}_{i,\,r\to u},

    where :math:`F'` is the min-max scaled factor score and :math:`v_{fd}` its entropy weight
    (see :func:`~spatialflow.measures.entropy_weights` for the formulas). A positive net index
    means the unit receives more factor inflow from cities than it sends.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indicator columns plus optional ``id``/``time``. Not modified.
    factors : mapping
        Factor name (among :data:`FACTORS`) to ``{"urban_to_rural": [...],
        "rural_to_urban": [...]}``, the indicator columns of each flow direction; either
        direction may be left out (the ``net`` index then is not formed). A flat list
        ``{"labour": ["a", "b"]}`` is rejected: the direction of a flow is never guessed.
    directions : mapping, optional
        Indicator directions ``{indicator: "+" | "-"}`` for all indicators used (default +).
    id, time, per, zero_range
        As in :func:`~spatialflow.measures.entropy_weights`. With ``per="period"`` the weights
        of both levels are computed per period.

    Returns
    -------
    FactorFlowIndex
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"frame must be a pandas DataFrame; {type(frame).__name__} was given.")
    spec = _normalise_spec(factors)
    _check_indicators(frame, spec)
    require_columns(frame, [k for k in (id, time) if k is not None], what="panel key")
    used = sorted({c for d in spec.values() for cols in d.values() for c in cols}, key=str)
    if directions is not None:
        extra = [k for k in directions if k not in used]
        if extra:
            raise InputError(
                f"directions name indicator(s) not used by any factor: {format_ids(extra)}."
            )
    keys = [k for k in (id, time) if k is not None]
    scores, iw, ie, fw, fe, composite = {}, {}, {}, {}, {}, {}
    for d, by_factor in spec.items():
        level1 = {}
        for factor, cols in by_factor.items():
            dirs = None if directions is None else {c: directions.get(c, "+") for c in cols}
            res: EntropyResult = entropy_weights(
                frame[keys + cols], indicators=cols, directions=dirs, id=id, time=time,
                per=per, zero_range=zero_range,
            )
            # Arrays, not Series: the frame's index need not be unique (rows go by position).
            level1[factor] = res.scores.to_numpy()
            scores[(d, factor)] = res.scores.to_numpy()
            iw[(d, factor)], ie[(d, factor)] = _long(res.weights), _long(res.entropy)
        level1 = pd.DataFrame(level1, index=frame.index)
        if level1.shape[1] == 1:
            # One factor: its score is the composite and gets all the weight.
            factor = level1.columns[0]
            composite[d] = level1[factor].to_numpy()
            fw[d] = pd.Series({factor: 1.0}, name="weight").rename_axis("factor")
            fe[d] = pd.Series({factor: float("nan")}, name="entropy").rename_axis("factor")
            continue
        level2_frame = level1.assign(**{k: frame[k].to_numpy() for k in keys})
        res2 = entropy_weights(level2_frame, indicators=list(level1.columns), id=id, time=time,
                               per=per, zero_range=zero_range)
        composite[d] = res2.scores.to_numpy()
        fw[d] = _long(res2.weights).rename_axis(index={"indicator": "factor"})
        fe[d] = _long(res2.entropy).rename_axis(index={"indicator": "factor"})
    comp = pd.DataFrame(composite, index=frame.index)
    if set(FLOW_DIRECTIONS) <= set(comp.columns):
        comp["net"] = comp["urban_to_rural"] - comp["rural_to_urban"]

    def stack(parts: dict, names: list[str]) -> pd.Series:
        return pd.concat(parts, names=names) if parts else pd.Series(dtype=float)

    return FactorFlowIndex(
        factor_scores=pd.DataFrame(scores, index=frame.index).rename_axis(
            columns=["direction", "factor"]),
        composite=comp,
        indicator_weights=stack(iw, ["direction", "factor"]),
        indicator_entropy=stack(ie, ["direction", "factor"]),
        factor_weights=stack(fw, ["direction"]),
        factor_entropy=stack(fe, ["direction"]),
    )
