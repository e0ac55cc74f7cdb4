"""Global and local Moran's I of a variable, period by period (esda), as tidy frames."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._random import as_generator, as_int_seed, resolve_rng
from .._validation import check_count
from ..exceptions import ConstantVariableWarning, InputError, format_ids
from ._validation import check_panel_keys, numeric_block, raise_if_missing

if TYPE_CHECKING:  # an annotation only: importing libpysal costs more than a second
    from .._typing import WeightsLike

__all__ = ["moran_by_period", "local_moran_by_period"]

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


def _check_options(permutations, rng, seed, transformation):
    if not (isinstance(transformation, str) and transformation.lower() in _TRANSFORMATIONS):
        raise InputError(f"transformation must be one of {list(_TRANSFORMATIONS)} (any case: "
                         "'r' row-standardised, 'b' binary, 'd' doubly standardised, 'v' "
                         f"variance stabilising, 'o' original); {transformation!r} was given.")
    return (check_count(permutations, "permutations", minimum=0),
            resolve_rng(rng, seed))


def _permutation_inference(m, rng: np.random.Generator, permutations: int) -> dict:
    r"""Pseudo p-value and z of a global Moran's I from ``permutations`` random
    permutations of :math:`z` drawn from ``rng`` (esda.Moran draws them from numpy's global
    RNG, which we never seed): the same statistic as esda's ``sim``,

    .. math::

        I^{(r)} = \frac{n}{S_0}\frac{z^{(r)\prime} W z^{(r)}}{z'z},\qquad
        p = \frac{\min(L, R - L) + 1}{R + 1},\qquad
        z_{sim} = \frac{I - \overline{I^{(r)}}}{\operatorname{sd}(I^{(r)})},

    with :math:`L` the number of :math:`I^{(r)} \ge I` (esda's folded convention).
    """
    z = np.asarray(m.y, dtype=float) - float(np.mean(m.y))
    perms = rng.permuted(np.tile(z, (permutations, 1)), axis=1)
    return _from_permutations(m, perms)


def _from_permutations(m, perms: np.ndarray) -> dict:
    """``_permutation_inference`` for given permuted vectors (rows of ``perms``)."""
    import scipy.sparse as sp

    W = sp.csr_matrix(m.w.sparse)
    z = np.asarray(m.y, dtype=float) - float(np.mean(m.y))
    sim = m.n / W.sum() * np.einsum("ri,ri->r", perms, (W @ perms.T).T) / float(z @ z)
    R = len(sim)
    larger = int((sim >= m.I).sum())
    larger = min(larger, R - larger)
    with np.errstate(divide="ignore"):
        z_sim = (m.I - sim.mean()) / sim.std()
    return {"sim": sim, "p_sim": (larger + 1.0) / (R + 1.0), "z_sim": float(z_sim)}


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
    rng: int | np.random.Generator | None = 0,
    seed: int | np.random.Generator | None = None,
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
    rng : int, numpy.random.Generator or None
        Seed of the permutations (Scientific Python SPEC 7): an integer >= 0 (reproducible),
        a Generator (its stream is used) or None (fresh entropy). numpy's global RNG is
        never touched.
    seed : int, numpy.random.Generator or None
        Alias of ``rng`` (its older name): give one of them, not both.

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

    permutations, rng = _check_options(permutations, rng, seed, transformation)
    gen = as_generator(rng, default=None)
    rows, constant = [], []
    for period, y, graph, ids in _periods(frame, value, w, id, time):
        if _is_constant(y):
            constant.append(period)
            rows.append({"period": period, "I": np.nan, "EI": -1.0 / (len(ids) - 1),
                         "z_norm": np.nan, "p_norm": np.nan, "z_sim": np.nan,
                         "p_sim": np.nan, "n": len(ids)})
            continue
        m = esda.Moran(y, graph, transformation=transformation, permutations=0)
        sim = (_permutation_inference(m, gen, permutations) if permutations
               else {"z_sim": np.nan, "p_sim": np.nan})
        rows.append({
            "period": period, "I": float(m.I), "EI": float(m.EI), "z_norm": float(m.z_norm),
            "p_norm": float(m.p_norm), "z_sim": float(sim["z_sim"]),
            "p_sim": float(sim["p_sim"]), "n": len(ids),
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
    rng: int | np.random.Generator | None = 0,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    r"""Local Moran's I (LISA) of ``value`` per unit and period: esda.Moran_Local's statistic
    and conventions, computed by the package's one LISA routine
    (:func:`spatialflow.measures.local_statistics.lisa`: conditional permutations from a
    seeded :class:`numpy.random.Generator`, as in the report and the plots).

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
    rng : int, numpy.random.Generator or None
        Seed of the conditional permutations: an integer >= 0 (reproducible), a Generator
        (one integer seed is drawn from it, once per call, and every period uses it) or
        None (fresh entropy). numpy's global RNG is never touched.
    seed : int, numpy.random.Generator or None
        Alias of ``rng`` (its older name): give one of them, not both.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``id``, ``period``, ``Is``, ``quadrant`` ("HH", "LH", "LL", "HL": the unit's
        value high/low and its neighbours' lag high/low), ``p_sim``. In a period where
        ``value`` is
        constant there is no high or low: ``Is``, ``quadrant`` and ``p_sim`` are NaN, with a
        :class:`~spatialflow.exceptions.ConstantVariableWarning` naming the periods.
    """
    from .local_statistics import lisa

    permutations, rng = _check_options(permutations, rng, seed, transformation)
    seed = as_int_seed(rng, default=None)
    parts, constant = [], []
    for period, y, graph, ids in _periods(frame, value, w, id, time):
        if _is_constant(y):
            constant.append(period)
            parts.append(pd.DataFrame({"id": ids.to_numpy(), "period": period, "Is": np.nan,
                                       "quadrant": pd.Series([np.nan] * len(ids),
                                                             dtype=object),
                                       "p_sim": np.nan}))
            continue
        # the package's one LISA computation (seeded numpy Generator, no numba compile), on
        # the weights transformed as esda would transform them
        code = transformation.upper()
        W = graph.sparse if code == "O" else graph.transform(code).sparse
        m = lisa(pd.Series(y, index=ids), W, permutations=permutations, seed=seed,
                 row_standardise=False)
        parts.append(pd.DataFrame({
            "id": ids.to_numpy(), "period": period, "Is": m["Is"].to_numpy(),
            "quadrant": m["quadrant"].to_numpy(), "p_sim": m["p_sim"].to_numpy(),
        }))
    _warn_constant(value, constant)
    return pd.concat(parts, ignore_index=True)
