"""Coupling coordination degree of 2..n subsystems, standard and corrected (Wang et al. 2021)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from .._validation import check_option, is_real_number
from ..exceptions import InputError, format_ids
from ._validation import as_series, column_list, numeric_block, raise_if_missing

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike

__all__ = ["COORDINATION_GRADES", "coupling_coordination", "coordination_grade"]

#: The ten grades of the coordination degree D, as lower bounds of [a, b) intervals.
COORDINATION_GRADES = pd.DataFrame(
    {
        "lower": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        "upper": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
        "grade": [
            "extreme imbalance",
            "serious imbalance",
            "moderate imbalance",
            "mild imbalance",
            "on the verge of imbalance",
            "barely coordinated",
            "primary coordination",
            "intermediate coordination",
            "good coordination",
            "high-quality coordination",
        ],
    },
    index=pd.RangeIndex(1, 11, name="level"),
)


def coordination_grade(d: float | ArrayLike | pd.Series) -> pd.Series:
    """Map coordination degrees ``D`` in [0, 1] to the ten grades (an ordered categorical).

    Intervals are ``[0, 0.1), [0.1, 0.2), ..., [0.9, 1]``: the last one is closed so that
    ``D = 1`` is "high-quality coordination". A missing ``D`` (NaN) gets a missing grade.

    Parameters
    ----------
    d : float, array-like or pandas.Series
        Coordination degrees (a Series keeps its index).

    Returns
    -------
    pandas.Series
        The grades, an ordered categorical of :data:`COORDINATION_GRADES`.

    Raises
    ------
    InputError
        Non-numeric input, or values outside [0, 1] (named by label): a degree of 1.2 or
        -0.1 is not a coordination degree, and clipping it to a grade would hide the error.
    """
    d = as_series([d] if is_real_number(d) else d, name="d")
    values = d.to_numpy()
    # D = sqrt(C T) can exceed 1 by rounding only: a tolerance of a few ulps, no more.
    outside = np.isfinite(values) & ((values < -_ROUNDING) | (values > 1 + _ROUNDING))
    outside |= np.isinf(values)
    if outside.any():
        cells = list(zip(d.index[outside].tolist(), values[outside].tolist()))
        raise InputError(f"coordination degrees D must lie in [0, 1]; {int(outside.sum())} "
                         f"value(s) do not, at (label, D) {format_ids(cells)}.")
    missing = np.isnan(values)
    level = np.clip(np.floor(np.where(missing, 0.0, values) * 10.0 + 1e-12).astype(int), 0, 9)
    labels = COORDINATION_GRADES["grade"].to_numpy()
    codes = np.where(missing, -1, level)
    cat = pd.Categorical.from_codes(codes, categories=list(labels), ordered=True)
    return pd.Series(cat, index=d.index, name="grade")


_ROUNDING = 1e-12


def _standard_c(u: np.ndarray) -> np.ndarray:
    n = u.shape[1]
    total = u.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        # n * (prod U / (sum U)^n)^(1/n) = geometric mean / arithmetic mean
        c = n * np.prod(u, axis=1) ** (1.0 / n) / total
    return np.where(total > 0, c, 0.0)


def _wang_c(u: np.ndarray) -> np.ndarray:
    n = u.shape[1]
    i, j = np.triu_indices(n, k=1)
    spread = np.abs(u[:, i] - u[:, j]).sum(axis=1) / (n * (n - 1) / 2.0)
    top = u.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.prod(u / top[:, None], axis=1) ** (1.0 / (n - 1))
    ratio = np.where(top > 0, ratio, 0.0)
    return np.sqrt(np.clip(1.0 - spread, 0.0, None) * ratio)


def coupling_coordination(
    frame: pd.DataFrame,
    subsystems: Sequence | None = None,
    *,
    weights: Mapping | Sequence | None = None,
    method: Literal["standard", "wang2021"] = "standard",
) -> pd.DataFrame:
    r"""Coupling degree C, comprehensive index T, coordination degree D and its grade.

    For subsystem scores :math:`U_1,\dots,U_n \in [0, 1]` of one unit:

    .. math::

        T = \sum_i \alpha_i U_i, \qquad D = \sqrt{C\,T},

    with, for ``method="standard"`` (the textbook form),

    .. math::

        C = n\left[\frac{\prod_i U_i}{\left(\sum_i U_i\right)^n}\right]^{1/n}
          = \frac{\left(\prod_i U_i\right)^{1/n}}{\frac{1}{n}\sum_i U_i},

    and for ``method="wang2021"`` the corrected form of Wang, Kong, Ren, Zhi & Dai (2021),

    .. math::

        C = \left\{\left[1 - \frac{\sum_{i>j}\sqrt{(U_i - U_j)^2}}{\sum_{m=1}^{n-1} m}\right]
            \left[\prod_{i=1}^n \frac{U_i}{\max_k U_k}\right]^{1/(n-1)}\right\}^{1/2},

    which for two subsystems is :math:`C = \sqrt{(1 - |U_2 - U_1|)\,\min(U)/\max(U)}`.

    The difference: the standard C is the ratio of the geometric to the arithmetic mean, so
    it only measures how *similar* the subsystems are *relative to their level*; it crowds
    near 1 (for n = 2, U = (0.1, 0.2) gives C = 0.943) and so barely discriminates, and the
    many published variants that drop the factor n or the power 1/n, or use
    :math:`C = [\prod U_i / \prod (U_i + U_j)]^{1/n}`, do not even lie in [0, 1]. Wang et al.
    show these misuses and propose the corrected C, which falls with the absolute gaps
    between subsystems and spreads over the whole [0, 1] interval. Report which one you use.

    D is graded in ten bands: [0, 0.1) extreme imbalance, [0.1, 0.2) serious imbalance,
    [0.2, 0.3) moderate imbalance, [0.3, 0.4) mild imbalance, [0.4, 0.5) on the verge of
    imbalance, [0.5, 0.6) barely coordinated, [0.6, 0.7) primary coordination,
    [0.7, 0.8) intermediate coordination, [0.8, 0.9) good coordination,
    [0.9, 1] high-quality coordination (see :data:`COORDINATION_GRADES`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Subsystem scores (e.g. entropy scores), one row per unit or unit-period. Not modified.
    subsystems : sequence of str, optional
        The n >= 2 subsystem columns; default all columns.
    weights : mapping or sequence, optional
        Contribution weights :math:`\alpha_i` (non-negative, summing to 1); default equal.
    method : {"standard", "wang2021"}

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame``, with columns ``C``, ``T``, ``D``, ``level`` (1..10) and
        ``grade`` (ordered categorical). A row whose subsystems are all 0 has C = T = D = 0
        (the limit of C as any U_i -> 0).

    Raises
    ------
    InputError
        Fewer than 2 subsystems, scores outside [0, 1], bad weights.
    MissingDataError
        NaN/inf scores; the message names the cells.

    References
    ----------
    Wang S., Kong W., Ren L., Zhi D., Dai B. (2021). Research on misuses and modification of
    coupling coordination degree model in China. *Journal of Natural Resources*, 36(3),
    793-810 (王淑佳 等, 国内耦合协调度模型的误区及修正, 自然资源学报).

    Examples
    --------
    >>> import pandas as pd
    >>> from spatialflow.measures import coupling_coordination
    >>> u = pd.DataFrame({"economy": [0.4], "ecology": [0.6]})
    >>> out = coupling_coordination(u, method="wang2021")
    >>> round(float(out["C"].iloc[0]), 6)  # sqrt(0.8 * 0.4 / 0.6)
    0.730297
    """
    check_option(method, ("standard", "wang2021"), "method")
    if subsystems is None:
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"frame must be a pandas DataFrame; {type(frame).__name__} was given.")
        subsystems = list(frame.columns)
    subsystems = column_list(subsystems, name="subsystems")
    if len(subsystems) < 2 or len(set(subsystems)) != len(subsystems):
        raise InputError(
            f"coupling needs at least 2 distinct subsystems; {format_ids(subsystems)} was given."
        )
    block = numeric_block(frame, subsystems, what="subsystem")
    raise_if_missing(block, what="subsystem scores")
    u = block.to_numpy()
    outside = (u < 0) | (u > 1)
    if outside.any():
        rows, cols = np.nonzero(outside)
        rl, cl = block.index.tolist(), block.columns.tolist()  # python scalars for messages
        cells = [(rl[r], cl[c]) for r, c in zip(rows, cols)]
        raise InputError(
            "subsystem scores must lie in [0, 1] (e.g. entropy scores); "
            f"{rows.size} cell(s) outside at (row, column) {format_ids(cells)}."
        )
    n = len(subsystems)
    if weights is None:
        alpha = np.full(n, 1.0 / n)
    else:
        if isinstance(weights, Mapping):
            absent = [s for s in subsystems if s not in weights]
            extra = [k for k in weights if k not in subsystems]
            if absent or extra:
                raise InputError(
                    "weights must name exactly the subsystems; missing "
                    f"{format_ids(absent)}, unknown {format_ids(extra)}."
                )
            alpha = np.array([float(weights[s]) for s in subsystems])
        else:
            alpha = np.asarray(weights, dtype=float)
        sums_to_one = np.isclose(alpha.sum(), 1.0, rtol=0, atol=1e-9)
        if alpha.shape != (n,) or (alpha < 0).any() or not sums_to_one:
            raise InputError(
                f"weights must be {n} non-negative numbers summing to 1; "
                f"{alpha.tolist()} was given."
            )
    c = _standard_c(u) if method == "standard" else _wang_c(u)
    t = u @ alpha
    d = np.sqrt(c * t)
    out = pd.DataFrame({"C": c, "T": t, "D": d}, index=block.index)
    grade = coordination_grade(out["D"])
    out["level"] = np.clip(np.floor(d * 10.0 + 1e-12).astype(int), 0, 9) + 1
    out["grade"] = grade.to_numpy()
    return out
