r"""Discretising a continuous factor for the Geodetector, and the optimal-parameter choice.

The q-statistic needs strata. For a continuous factor the "optimal parameters-based
Geodetector" (OPGD; Song, Wang, Ge & Xu 2020, GIScience & Remote Sensing 57(5), 593–610)
tries every combination of a classification method and a number of classes and keeps the
one with the largest :math:`q` of ``y``:

.. math::

    (m^*, k^*) = \arg\max_{m \in M,\ k \in K} q\big(y \mid \text{classes}_{m,k}(x)\big).

Methods (breaks from :mod:`mapclassify` where it has them; classes are intervals
:math:`(b_{j-1}, b_j]`, the first closed at the minimum):

- ``"equal"``: equal-width intervals (``mapclassify.EqualInterval``);
- ``"natural"``: Fisher–Jenks natural breaks, the exact optimum of within-class variance of
  ``x`` (``mapclassify.FisherJenks``; deterministic, unlike sampled Jenks);
- ``"quantile"``: equal-count classes (``mapclassify.Quantiles``; ties can merge classes);
- ``"geometric"``: breaks in geometric progression :math:`b_j = \min x\,r^j`,
  :math:`r = (\max x / \min x)^{1/k}` (positive ``x`` only; skipped otherwise).

``k`` counts the classes asked for; a method can return fewer distinct classes (ties), and
the table reports the classes actually obtained. Ties in q go to fewer classes, then to the
earlier method in ``methods``. Larger k never lowers q much on its own (finer strata), so
the range of k is a modelling choice to state: the default 3–8 is gdverse's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Sequence

import numpy as np
import pandas as pd

from ..exceptions import InputError, format_ids
from ._validation import as_series, match_index

if TYPE_CHECKING:  # an annotation only
    from numpy.typing import ArrayLike

__all__ = ["discretise", "optimal_discretisation", "OptimalDiscretisation",
           "DISCRETISATION_METHODS"]

DISCRETISATION_METHODS = ("equal", "natural", "quantile", "geometric")


def _breaks(x: np.ndarray, method: str, k: int) -> np.ndarray | None:
    """Upper bounds of the k classes (None when the method cannot classify ``x``)."""
    import mapclassify

    if method == "equal":
        return np.asarray(mapclassify.EqualInterval(x, k=k).bins, dtype=float)
    if method == "natural":
        return np.asarray(mapclassify.FisherJenks(x, k=k).bins, dtype=float)
    if method == "quantile":
        return np.unique(np.asarray(mapclassify.Quantiles(x, k=k).bins, dtype=float))
    if method == "geometric":
        lo, hi = float(x.min()), float(x.max())
        if lo <= 0:
            return None
        b = lo * (hi / lo) ** (np.arange(1, k + 1) / k)
        b[-1] = hi  # exactly the maximum, not a rounding below it
        return b
    raise InputError(f"method must be one of {list(DISCRETISATION_METHODS)}; {method!r} was "
                     "given.")


def _classes(x: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Class number 1..k of each value: (b_{j-1}, b_j], the first class from the minimum."""
    return np.searchsorted(breaks, x, side="left") + 1


def discretise(x: pd.Series | ArrayLike,
               method: Literal["equal", "natural", "quantile", "geometric"] = "natural",
               k: int = 5) -> tuple[pd.Series, np.ndarray]:
    """Classes of ``x`` by ``method`` into ``k`` classes (module docstring).

    Class :math:`j` is the interval :math:`(b_{j-1}, b_j]` of the breaks :math:`b`, the first
    closed at the minimum.

    Parameters
    ----------
    x : pandas.Series or array-like
        The continuous variable (finite, not constant). Not modified.
    method : {"equal", "natural", "quantile", "geometric"}
        Equal-width intervals, Fisher–Jenks natural breaks, equal-count classes, or breaks
        in geometric progression :math:`b_j = \\min x\\, r^j` (positive ``x`` only).
    k : int
        Number of classes asked for (>= 2); ties can give fewer distinct classes.

    Returns
    -------
    (pandas.Series, numpy.ndarray)
        Class numbers 1..k on ``x``'s index (an array ``x`` gets a RangeIndex), and the
        upper bounds of the classes.
    """
    xs = as_series(x, name="x")
    _check_x(xs)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise InputError(f"k must be an integer >= 2; {k!r} was given.")
    b = _breaks(xs.to_numpy(), method, int(k))
    if b is None:
        raise InputError(f"method {method!r} needs positive values of x; its minimum is "
                         f"{float(xs.min())!r}.")
    return pd.Series(_classes(xs.to_numpy(), b), index=xs.index, name=xs.name), b


def _check_x(xs: pd.Series) -> None:
    bad = xs.index[~np.isfinite(xs.to_numpy())]
    if len(bad):
        from ..exceptions import MissingDataError
        raise MissingDataError(f"x must be finite; rows {format_ids(bad)} are NaN or infinite.")
    if xs.nunique() < 2:
        raise InputError("x is constant: it cannot be discretised.")


# Built by optimal_discretisation(), never by users: the fields are documented under
# Attributes (tests/test_docstrings.py checks that every field is).
@dataclass(frozen=True)
class OptimalDiscretisation:  # numpydoc ignore=PR01
    """The chosen discretisation of a continuous factor (OPGD) and every candidate's q.

    Attributes
    ----------
    method, k : str, int
        The chosen method and number of classes asked for.
    q : float
        q of ``y`` under the chosen classes.
    breaks : numpy.ndarray
        Upper bounds of the chosen classes.
    strata : pandas.Series
        Class number of every unit (on ``x``'s index): pass it to
        :func:`~spatialflow.measures.geodetector` as a factor column.
    table : pandas.DataFrame
        ``method``, ``k``, ``classes`` (distinct classes obtained), ``q``: every candidate.
    """

    method: str
    k: int
    q: float
    breaks: np.ndarray = field(repr=False)
    strata: pd.Series = field(repr=False)
    table: pd.DataFrame = field(repr=False)


def optimal_discretisation(y: pd.Series | ArrayLike, x: pd.Series | ArrayLike, *,
                           methods: Sequence[str] = DISCRETISATION_METHODS,
                           k: Sequence[int] = range(3, 9)) -> OptimalDiscretisation:
    """The method and number of classes of ``x`` that maximise the q of ``y`` (Song et al.
    2020; module docstring).

    Parameters
    ----------
    y : pandas.Series or array-like
        The variable to explain; a Series is matched to a Series ``x`` by index.
    x : pandas.Series or array-like
        The continuous factor.
    methods : sequence of str
        Among :data:`DISCRETISATION_METHODS`.
    k : sequence of int
        Numbers of classes to try (each >= 2 and below the number of distinct values).

    Returns
    -------
    OptimalDiscretisation
        The chosen method, k, q, breaks and strata, and the q of every candidate.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> x = pd.Series(np.arange(1.0, 31.0))
    >>> y = (x > 10).astype(float) + (x > 20) + 0.01 * np.sin(x)
    >>> best = optimal_discretisation(y, x, methods=["equal"], k=[2, 3, 4])
    >>> print(best.method, best.k, f"{best.q:.4f}")
    equal 3 0.9999
    """
    from .geodetector import _q_test

    xs = as_series(x, name="x")
    ys = as_series(y, name="y")
    if isinstance(x, pd.Series) and isinstance(y, pd.Series):
        ys = match_index(ys, xs.index, name="y", target_name="x")
    elif len(ys) != len(xs):
        raise InputError(f"y has {len(ys)} values and x {len(xs)}; they must have equal "
                         "length.")
    else:
        ys.index = xs.index
    _check_x(xs)
    bad = ys.index[~np.isfinite(ys.to_numpy())]
    if len(bad):
        from ..exceptions import MissingDataError
        raise MissingDataError(f"y must be finite; rows {format_ids(bad)} are NaN or infinite.")
    if np.ptp(ys.to_numpy()) == 0:
        raise InputError("y is constant: q = 1 - SSW/SST is 0/0.")
    methods = [methods] if isinstance(methods, str) else list(methods)
    unknown = [m for m in methods if m not in DISCRETISATION_METHODS]
    if unknown or not methods:
        raise InputError(f"methods must be among {list(DISCRETISATION_METHODS)}; "
                         f"{methods!r} was given.")
    ks = list(k)
    n_distinct = xs.nunique()
    bad_k = [v for v in ks if isinstance(v, bool) or not isinstance(v, (int, np.integer))
             or not 2 <= v < n_distinct]
    if bad_k or not ks:
        raise InputError(f"k must be integers from 2 to {n_distinct - 1} (below the "
                         f"{n_distinct} distinct values of x); {ks!r} was given.")
    xv, yv = xs.to_numpy(), ys.to_numpy()
    rows, found = [], {}
    for m in methods:
        for kk in ks:
            b = _breaks(xv, m, int(kk))
            if b is None:
                continue
            codes = _classes(xv, b)
            distinct = np.unique(codes)
            q = _q_test(yv, np.searchsorted(distinct, codes), "population")["q"]
            rows.append({"method": m, "k": int(kk), "classes": len(distinct), "q": q})
            found[(m, int(kk))] = (b, codes)
    if not rows:
        raise InputError(f"no method in {methods} could classify x (geometric needs x > 0).")
    table = pd.DataFrame(rows)
    order = {m: i for i, m in enumerate(methods)}
    best = table.assign(_m=table["method"].map(order)).sort_values(
        ["q", "classes", "_m"], ascending=[False, True, True], kind="mergesort").iloc[0]
    b, codes = found[(best["method"], int(best["k"]))]
    return OptimalDiscretisation(method=str(best["method"]), k=int(best["k"]),
                                 q=float(best["q"]), breaks=b,
                                 strata=pd.Series(codes, index=xs.index, name=xs.name),
                                 table=table)
