"""Global and local Moran's I of a variable, period by period (esda), as tidy frames."""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

import numpy as np
import pandas as pd

from .._validation import check_count, check_seed
from ..exceptions import ConstantVariableWarning, InputError, format_ids
from ._validation import check_panel_keys, numeric_block, raise_if_missing

if TYPE_CHECKING:  # an annotation only: importing libpysal costs more than a second
    from .._typing import WeightsLike

__all__ = ["moran_by_period", "local_moran_by_period"]

_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}

#: A period's values count as constant when their range is at most this share of their
#: largest magnitude: below it, deviations from the mean are rounding noise and I is 0/0.
_CONSTANT_RTOL = 1e-12


def _is_constant(y: np.ndarray) -> bool:
    return bool(np.ptp(y) <= _CONSTANT_RTOL * np.max(np.abs(y)))


def _warn_constant(value: str, periods: list, stacklevel: int = 3) -> None:
    if periods:
        # Python scalars in the message: "[2015]", not "[np.int64(2015)]".
        periods = [p.item() if isinstance(p, np.generic) else p for p in periods]
        where = ("" if periods == [None] else f" in period(s) {format_ids(periods)}")
        warnings.warn(f"{value!r} is constant{where}: Moran's I is undefined (0/0) and is "
                      "reported as NaN there, with NaN z-scores, p-values and quadrants.",
                      ConstantVariableWarning, stacklevel=stacklevel)


#: esda's transformations of the weights (libpysal codes), any case.
_TRANSFORMATIONS = ("r", "b", "d", "v", "o")


def _check_options(permutations, seed, transformation) -> tuple[int, int | None]:
    if not (isinstance(transformation, str) and transformation.lower() in _TRANSFORMATIONS):
        raise InputError(f"transformation must be one of {list(_TRANSFORMATIONS)} (any case: "
                         "'r' row-standardised, 'b' binary, 'd' doubly standardised, 'v' "
                         f"variance stabilising, 'o' original); {transformation!r} was given.")
    return (check_count(permutations, "permutations", minimum=0),
            check_seed(seed, "seed", allow_none=True))


@contextmanager
def _seeded_global_rng(seed: int | None) -> Iterator[None]:
    """esda.Moran draws permutations from numpy's global RNG: seed it, then restore it."""
    if seed is None:
        yield
        return
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _periods(frame, value, w, id, time):
    """Yield (period, values ordered like ids, Graph over ids) for each period."""
    from libpysal.graph import Graph

    from ..weights.align import as_sparse, weights_ids

    check_panel_keys(frame, id, time)
    block = numeric_block(frame, [value], what="value")
    raise_if_missing(block, what=f"values of {value!r}")
    weights_ids(w)  # fail early, with a clear message, on a non-weights object
    # Work by position: with ids in a (non-unique) panel index, label lookups would mix years.
    if time is None:
        groups = [(None, np.arange(len(frame)))]
    else:
        groups = sorted(frame.groupby(time, sort=True).indices.items())
    for period, positions in groups:
        part = frame.iloc[positions]
        part_ids = pd.Index(part.index if id is None else part[id])
        if len(part_ids) < 3:
            raise InputError(
                f"Moran's I needs at least 3 units; period {format_ids([period])[1:-1]} has "
                f"{len(part_ids)}."
            )
        # Align the weights to this period's units (raises naming ids that differ).
        matrix = as_sparse(w, part_ids)
        graph = Graph.from_sparse(matrix, ids=part_ids)
        yield period, block[value].to_numpy()[positions], graph, part_ids


def moran_by_period(
    frame: pd.DataFrame,
    value: str,
    *,
    w: WeightsLike,
    id: str | None = None,
    time: str | None = None,
    transformation: str = "r",
    permutations: int = 999,
    seed: int | None = 0,
) -> pd.DataFrame:
    r"""Global Moran's I of ``value`` in each period (esda.Moran), one tidy row per period.

    .. math::

        I = \frac{n}{S_0}\frac{\sum_i\sum_j w_{ij} z_i z_j}{\sum_i z_i^2},\qquad
        E[I] = -\frac{1}{n-1},

    with :math:`z` the deviations from the period mean and :math:`S_0 = \sum_{ij} w_{ij}`.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long frame with ``id``, ``time`` and ``value``. Not modified.
    value : str
        Variable to test.
    w : libpysal.graph.Graph or libpysal.weights.W
        Weights over the unit ids; matched to each period's units by id (the user's object is
        not modified: a new Graph is built from the aligned matrix).
    id, time : str
        Key columns; ``id=None`` takes the unit ids from the index; with ``time=None`` the
        frame is one cross-section.
    transformation : str
        esda transformation of the weights ("r" row-standardised, "b" binary, ...).
    permutations : int
        Random permutations for the pseudo p-value (0 to skip).
    seed : int or None
        Seed of the permutations, a non-negative integer (numpy's global RNG is restored
        afterwards); None draws from numpy's global RNG as it stands.

    Returns
    -------
    pandas.DataFrame
        Columns ``period``, ``I``, ``EI``, ``z_norm``, ``p_norm``, ``z_sim``, ``p_sim``, ``n``.
        In a period where ``value`` is constant, ``I`` (0/0) and every z-score and p-value
        are NaN, with a :class:`~spatialflow.exceptions.ConstantVariableWarning` naming the
        periods.

    Raises
    ------
    InputError
        ``seed`` not a non-negative integer or None, ``permutations`` not an integer >= 0,
        fewer than 3 units in a period.
    MissingDataError, IdMismatchError, InvalidWeightsError
        Missing values, ids absent from the weights, unusable weights.
    """
    import esda

    permutations, seed = _check_options(permutations, seed, transformation)
    rows, constant = [], []
    for period, y, graph, ids in _periods(frame, value, w, id, time):
        if _is_constant(y):
            constant.append(period)
            rows.append({"period": period, "I": np.nan, "EI": -1.0 / (len(ids) - 1),
                         "z_norm": np.nan, "p_norm": np.nan, "z_sim": np.nan,
                         "p_sim": np.nan, "n": len(ids)})
            continue
        with _seeded_global_rng(seed):
            m = esda.Moran(y, graph, transformation=transformation, permutations=permutations)
        rows.append({
            "period": period, "I": float(m.I), "EI": float(m.EI), "z_norm": float(m.z_norm),
            "p_norm": float(m.p_norm),
            "z_sim": float(m.z_sim) if permutations else np.nan,
            "p_sim": float(m.p_sim) if permutations else np.nan,
            "n": len(ids),
        })
    _warn_constant(value, constant)
    return pd.DataFrame(rows)


def local_moran_by_period(
    frame: pd.DataFrame,
    value: str,
    *,
    w: WeightsLike,
    id: str | None = None,
    time: str | None = None,
    transformation: str = "r",
    permutations: int = 999,
    seed: int | None = 0,
) -> pd.DataFrame:
    r"""Local Moran's I (LISA, esda.Moran_Local) of ``value`` per unit and period.

    .. math::

        I_i = \frac{z_i}{m_2}\sum_j w_{ij} z_j,\qquad m_2 = \frac{1}{n-1}\sum_i z_i^2

    (esda's convention: :math:`n-1` in :math:`m_2`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Long frame with ``id``, ``time`` and ``value``. Not modified.
    value : str
        Variable to map.
    w : libpysal.graph.Graph or libpysal.weights.W
        Weights over the unit ids, matched to each period's units by id.
    id, time : str
        Key columns, as in :func:`moran_by_period`.
    transformation : str
        esda transformation of the weights ("r" row-standardised, "b" binary, ...).
    permutations : int
        Random permutations for the pseudo p-values.
    seed : int or None
        Seed of the permutations (numpy's global RNG is restored afterwards); None draws
        from numpy's global RNG as it stands.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``id``, ``period``, ``Is``, ``quadrant`` ("HH", "LH", "LL", "HL": the unit's
        value high/low and its neighbours' lag high/low), ``p_sim``.
        Other parameters as in :func:`moran_by_period`. In a period where ``value`` is
        constant there is no high or low: ``Is``, ``quadrant`` and ``p_sim`` are NaN, with a
        :class:`~spatialflow.exceptions.ConstantVariableWarning` naming the periods.
    """
    import esda

    permutations, seed = _check_options(permutations, seed, transformation)
    parts, constant = [], []
    for period, y, graph, ids in _periods(frame, value, w, id, time):
        if _is_constant(y):
            constant.append(period)
            parts.append(pd.DataFrame({"id": ids.to_numpy(), "period": period, "Is": np.nan,
                                       "quadrant": pd.Series([np.nan] * len(ids),
                                                             dtype=object),
                                       "p_sim": np.nan}))
            continue
        with warnings.catch_warnings():
            # esda announces a future change of its default alternative hypothesis; our
            # signature does not expose that option, so the notice is not actionable here.
            warnings.filterwarnings("ignore", message="The alternative hypothesis",
                                    category=DeprecationWarning)
            m = esda.Moran_Local(y, graph, transformation=transformation,
                                 permutations=max(permutations, 1), seed=seed)
        parts.append(pd.DataFrame({
            "id": ids.to_numpy(), "period": period, "Is": m.Is,
            "quadrant": [_QUADRANTS.get(int(q), "") for q in m.q],
            "p_sim": m.p_sim if permutations else np.nan,
        }))
    _warn_constant(value, constant)
    return pd.concat(parts, ignore_index=True)
