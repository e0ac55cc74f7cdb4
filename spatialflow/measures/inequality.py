"""Inequality between groups of regions: Dagum Gini decomposition and the Theil index."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import EmptyInputError, InputError, MissingDataError, format_ids
from ._validation import as_series, check_nonnegative, match_index, raise_if_missing

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike

__all__ = ["DagumGini", "TheilDecomposition", "dagum_gini", "theil", "gini",
           "dagum_gini_by", "theil_by"]


def _prepare(values, groups, weights=None) -> tuple[pd.Series, pd.Series, pd.Series | None]:
    y = as_series(values, name="values")
    if isinstance(groups, str):
        raise InputError(
            "groups must be a sequence of group labels aligned with values (e.g. a Series); "
            f"the string {groups!r} was given."
        )
    labelled = isinstance(values, (pd.Series, pd.DataFrame))
    g = groups.copy() if isinstance(groups, pd.Series) else pd.Series(np.asarray(groups))
    if labelled and isinstance(groups, pd.Series):
        g = match_index(g, y.index, name="groups", target_name="values")
    elif len(g) != len(y):
        raise InputError(f"values and groups must have the same length; {len(y)} and {len(g)}.")
    else:
        g.index = y.index
    w = None
    if weights is not None:
        w = as_series(weights, name="weights")
        if labelled and isinstance(weights, (pd.Series, pd.DataFrame)):
            # Ids first: a mismatch would otherwise surface as NaN weights or bad values.
            w = match_index(w, y.index, name="weights", target_name="values")
        elif len(w) != len(y):
            raise InputError(f"weights must have the length of values ({len(y)}); {len(w)} given.")
        else:
            w.index = y.index
    if g.isna().any():
        bad = y.index[g.isna().to_numpy()]
        raise InputError(f"groups must not be missing; rows {format_ids(bad)}.")
    block = y.to_frame()
    raise_if_missing(block, what="values")
    check_nonnegative(block, what="values",
                      why="Gini and Theil are defined for non-negative incomes")
    if w is not None:
        raise_if_missing(w.to_frame(), what="weights")
        bad = y.index[~(w.to_numpy() > 0)]
        if len(bad):
            raise InputError(f"weights must be > 0; not so at rows {format_ids(bad)}.")
    if len(y) == 0:
        raise InputError("values is empty.")
    return y, g, w


def _abs_diff_sum(a: np.ndarray, b: np.ndarray) -> float:
    """sum_i sum_r |a_i - b_r| in O((n+m) log m), never forming the n x m matrix."""
    return _pos_part_sum(a, b) + _pos_part_sum(b, a)


def _pos_part_sum(a: np.ndarray, b: np.ndarray) -> float:
    """sum_i sum_r max(a_i - b_r, 0)."""
    b = np.sort(b)
    cum = np.concatenate([[0.0], np.cumsum(b)])
    k = np.searchsorted(b, a, side="left")  # number of b_r < a_i
    return float(np.sum(a * k - cum[k]))


def gini(values: ArrayLike | pd.Series) -> float:
    r"""Ordinary Gini coefficient :math:`G = \sum_i\sum_r |y_i - y_r| / (2 n^2 \mu)`.

    Parameters
    ----------
    values : array-like or pandas.Series
        Finite, non-negative values with a positive sum.

    Returns
    -------
    float
        G, in [0, 1 - 1/n].
    """
    series = as_series(values, name="values")
    y = series.to_numpy()
    if y.size == 0:
        raise EmptyInputError("gini needs at least one value; none was given.")
    bad = ~np.isfinite(y) | (y < 0)
    if bad.any():
        raise InputError(f"gini needs finite, non-negative values; not so at rows "
                         f"{format_ids(series.index[bad].tolist())} "
                         f"(values {format_ids(y[bad].tolist())}).")
    if y.sum() <= 0:
        raise InputError("gini needs values with a positive sum; all are 0.")
    return _abs_diff_sum(y, y) / (2.0 * y.size**2 * y.mean())


# A result, built by the function above, never by users: the fields are documented under
# Attributes (tests/test_docstrings.py checks that every field is), not as parameters.
@dataclass(frozen=True)
class DagumGini:  # numpydoc ignore=PR01
    """Dagum (1997) decomposition of the Gini coefficient by group.

    Attributes
    ----------
    total : float
        Overall Gini ``G = within + net_between + transvariation``.
    within, net_between, transvariation : float
        ``G_w``, ``G_nb``, ``G_t``.
    group_gini : pandas.Series
        Within-group Gini ``G_jj`` by group (groups ordered by decreasing mean).
    between_gini : pandas.DataFrame
        Pairwise ``G_jh`` (symmetric, diagonal = ``G_jj``).
    relative_economic_affluence : pandas.DataFrame
        ``D_jh`` (antisymmetric; row group = the one with the higher mean when positive).
    group_mean, group_size : pandas.Series
        ``mu_j`` and ``n_j``.
    """

    total: float
    within: float
    net_between: float
    transvariation: float
    group_gini: pd.Series
    between_gini: pd.DataFrame
    relative_economic_affluence: pd.DataFrame
    group_mean: pd.Series
    group_size: pd.Series

    @property
    def contributions(self) -> pd.Series:
        """Shares of ``G_w``, ``G_nb`` and ``G_t`` in ``G`` (sum to 1)."""
        parts = pd.Series({"within": self.within, "net_between": self.net_between,
                           "transvariation": self.transvariation})
        return parts / self.total

    def to_frame(self) -> pd.DataFrame:
        """One tidy row: total, the three components and their shares.

        Returns
        -------
        pandas.DataFrame
            Columns ``total``, ``within``, ``net_between``, ``transvariation`` and their
            ``*_share``.
        """
        row = {"total": self.total, "within": self.within, "net_between": self.net_between,
               "transvariation": self.transvariation}
        row.update({f"{k}_share": v for k, v in self.contributions.items()})
        return pd.DataFrame([row])


def dagum_gini(values: ArrayLike | pd.Series, groups: ArrayLike | pd.Series) -> DagumGini:
    r"""Dagum (1997) Gini decomposition into within, net between and transvariation parts.

    With k groups ordered so that :math:`\mu_1 \ge \dots \ge \mu_k`, :math:`p_j = n_j/n`,
    :math:`s_j = n_j\mu_j/(n\mu)`:

    .. math::

        G = \frac{\sum_j\sum_h\sum_i\sum_r |y_{ji} - y_{hr}|}{2 n^2 \mu},\qquad
        G_{jj} = \frac{\sum_i\sum_r |y_{ji}-y_{jr}|}{2 n_j^2 \mu_j},\qquad
        G_{jh} = \frac{\sum_i\sum_r |y_{ji}-y_{hr}|}{n_j n_h(\mu_j+\mu_h)},

        G_w = \sum_j G_{jj} p_j s_j,\quad
        G_{nb} = \sum_{j=2}^k\sum_{h=1}^{j-1} G_{jh}(p_j s_h + p_h s_j) D_{jh},\quad
        G_t = \sum_{j=2}^k\sum_{h=1}^{j-1} G_{jh}(p_j s_h + p_h s_j)(1 - D_{jh}),

        D_{jh} = \frac{d_{jh} - p_{jh}}{d_{jh} + p_{jh}},\quad
        d_{jh} = \frac{\sum_i\sum_r \max(y_{ji} - y_{hr}, 0)}{n_j n_h},\quad
        p_{jh} = \frac{\sum_i\sum_r \max(y_{hr} - y_{ji}, 0)}{n_j n_h},

    where in each pair :math:`j` is the group with the higher mean. The identity
    :math:`G = G_w + G_{nb} + G_t` holds exactly (tests check it to 1e-12).

    Parameters
    ----------
    values : array-like or pandas.Series
        Non-negative values (e.g. county TFP or per-capita income).
    groups : array-like or pandas.Series
        Group label of each value (e.g. region, core/periphery); matched by index when both
        are Series.

    Returns
    -------
    DagumGini

    Raises
    ------
    InputError
        Negative or missing values, missing group labels, a group whose mean is 0.

    References
    ----------
    Dagum, C. (1997). A new approach to the decomposition of the Gini income inequality
    ratio. *Empirical Economics*, 22(4), 515-531.

    Examples
    --------
    >>> from spatialflow.measures import dagum_gini
    >>> res = dagum_gini([1.0, 3.0, 2.0, 6.0], ["a", "a", "b", "b"])
    >>> round(res.within + res.net_between + res.transvariation - res.total, 12)
    0.0
    """
    y, g, _ = _prepare(values, groups)
    n, mu = len(y), float(y.mean())
    if mu <= 0:
        raise InputError("values must have a positive mean.")
    parts = {label: y.to_numpy()[(g == label).to_numpy()] for label in pd.unique(g)}
    means = pd.Series({k: v.mean() for k, v in parts.items()})
    zero = means.index[~(means > 0)]
    if len(zero):
        raise InputError(
            f"every group needs a positive mean; groups {format_ids(zero)} have mean 0."
        )
    order = means.sort_values(ascending=False, kind="mergesort").index
    labels = list(order)
    sizes = pd.Series({k: parts[k].size for k in labels})
    p = sizes / n
    s = sizes * means.reindex(labels) / (n * mu)
    k = len(labels)
    gjh = pd.DataFrame(np.zeros((k, k)), index=labels, columns=labels)
    djh = pd.DataFrame(np.zeros((k, k)), index=labels, columns=labels)
    total_abs = 0.0
    g_nb = g_t = 0.0
    for a, j in enumerate(labels):
        yj = parts[j]
        sjj = _abs_diff_sum(yj, yj)
        total_abs += sjj
        gjh.loc[j, j] = sjj / (2.0 * yj.size**2 * means[j])
        for h in labels[:a]:  # h has the higher (or equal) mean
            yh = parts[h]
            up = _pos_part_sum(yh, yj)    # n_h n_j d_hj with h the richer group
            down = _pos_part_sum(yj, yh)  # n_h n_j p_hj
            sjh = up + down
            total_abs += 2.0 * sjh
            value = sjh / (yj.size * yh.size * (means[j] + means[h]))
            gjh.loc[j, h] = gjh.loc[h, j] = value
            d = (up - down) / sjh if sjh > 0 else 0.0
            djh.loc[h, j], djh.loc[j, h] = d, -d
            weight = value * (p[j] * s[h] + p[h] * s[j])
            g_nb += weight * d
            g_t += weight * (1.0 - d)
    g_w = float(sum(gjh.loc[j, j] * p[j] * s[j] for j in labels))
    total = total_abs / (2.0 * n**2 * mu)
    for frame in (gjh, djh):
        frame.index.name, frame.columns.name = "group", "group"
    return DagumGini(
        total=float(total), within=g_w, net_between=float(g_nb), transvariation=float(g_t),
        group_gini=pd.Series(np.diag(gjh.to_numpy()), index=pd.Index(labels, name="group"),
                             name="gini"),
        between_gini=gjh, relative_economic_affluence=djh,
        group_mean=means.reindex(labels).rename("mean").rename_axis("group"),
        group_size=sizes.rename("n").rename_axis("group"),
    )


# A result, built by the function above, never by users: the fields are documented under
# Attributes (tests/test_docstrings.py checks that every field is), not as parameters.
@dataclass(frozen=True)
class TheilDecomposition:  # numpydoc ignore=PR01
    """Theil T index split into between-group and within-group parts.

    Attributes
    ----------
    total, between, within : float
        ``T = between + within``.
    group_theil : pandas.Series
        Within-group Theil ``T_j``.
    income_share, population_share : pandas.Series
        ``S_j`` (share of the total of ``weights * values``) and ``Pi_j`` (share of weights).
    """

    total: float
    between: float
    within: float
    group_theil: pd.Series
    income_share: pd.Series
    population_share: pd.Series

    @property
    def contributions(self) -> pd.Series:
        """Shares of the between and within parts in the total."""
        return pd.Series({"between": self.between, "within": self.within}) / self.total

    def to_frame(self) -> pd.DataFrame:
        """One tidy row: total, between, within and their shares.

        Returns
        -------
        pandas.DataFrame
            Columns ``total``, ``between``, ``within``, ``between_share``,
            ``within_share``.
        """
        row = {"total": self.total, "between": self.between, "within": self.within}
        row.update({f"{k}_share": v for k, v in self.contributions.items()})
        return pd.DataFrame([row])


def _theil_core(y: np.ndarray, w: np.ndarray) -> float:
    income = w * y
    s = income / income.sum()
    pi = w / w.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s > 0, s * np.log(np.where(s > 0, s, 1.0) / pi), 0.0)  # 0 ln 0 = 0
    return float(terms.sum())


def theil(values: ArrayLike | pd.Series, groups: ArrayLike | pd.Series, *,
          weights: ArrayLike | pd.Series | None = None) -> TheilDecomposition:
    r"""Theil T index and its exact between/within-group decomposition.

    With unit weights :math:`w_i` (population; 1 by default), income shares
    :math:`s_i = w_i y_i / \sum_k w_k y_k` and population shares
    :math:`\pi_i = w_i / \sum_k w_k`:

    .. math::

        T = \sum_i s_i \ln\frac{s_i}{\pi_i}
          = \underbrace{\sum_j S_j \ln\frac{S_j}{\Pi_j}}_{T_b}
          + \underbrace{\sum_j S_j T_j}_{T_w},

    where :math:`S_j, \Pi_j` are group totals of :math:`s_i, \pi_i` and :math:`T_j` is the
    Theil index within group :math:`j`. Unweighted, :math:`T = \frac1n\sum_i
    \frac{y_i}{\mu}\ln\frac{y_i}{\mu}` and :math:`T_b = \sum_j \frac{n_j\mu_j}{n\mu}
    \ln\frac{\mu_j}{\mu}`. Zero values contribute 0 (:math:`0\ln 0 = 0`).

    Parameters
    ----------
    values : array-like or pandas.Series
        Non-negative values (per-capita values when ``weights`` are populations).
    groups : array-like or pandas.Series
        Group labels.
    weights : array-like or pandas.Series, optional
        Positive unit weights (e.g. population).

    Returns
    -------
    TheilDecomposition

    Examples
    --------
    >>> from spatialflow.measures import theil
    >>> res = theil([1.0, 1.0, 2.0, 2.0], ["a", "a", "b", "b"])
    >>> round(res.within, 12), round(res.total - res.between, 12)
    (0.0, 0.0)
    """
    y, g, w = _prepare(values, groups, weights)
    wv = np.ones(len(y)) if w is None else w.to_numpy()
    yv = y.to_numpy()
    if not (wv * yv).sum() > 0:
        raise InputError("values must have a positive (weighted) total.")
    income = wv * yv
    labels = list(pd.unique(g))
    mask = {j: (g == j).to_numpy() for j in labels}
    big_s = pd.Series({j: income[mask[j]].sum() / income.sum() for j in labels})
    big_pi = pd.Series({j: wv[mask[j]].sum() / wv.sum() for j in labels})
    tj = pd.Series({j: (_theil_core(yv[mask[j]], wv[mask[j]]) if big_s[j] > 0 else 0.0)
                    for j in labels})
    with np.errstate(divide="ignore", invalid="ignore"):
        between = float(np.where(big_s > 0, big_s * np.log(big_s / big_pi), 0.0).sum())
    within = float((big_s * tj).sum())
    total = _theil_core(yv, wv)
    for series in (tj, big_s, big_pi):
        series.index.name = "group"
    return TheilDecomposition(total=total, between=between, within=within,
                              group_theil=tj.rename("theil"),
                              income_share=big_s.rename("income_share"),
                              population_share=big_pi.rename("population_share"))


def _by(frame, value, group, time, fn, weights: str | None = None) -> pd.DataFrame:
    from ._validation import require_columns

    require_columns(frame, [value, group, time] + ([weights] if weights is not None else []))
    if len(frame) == 0:
        raise EmptyInputError(f"the frame has no rows; {value!r} values are needed.")
    # groupby drops rows whose period is missing: refuse rather than lose them silently.
    missing = frame[time].isna().to_numpy()
    if missing.any():
        raise MissingDataError(f"the time column {time!r} has missing values at rows "
                               f"{format_ids(frame.index[missing].tolist())}.")
    rows = []
    for period, part in frame.groupby(time, sort=True):
        kw = {} if weights is None else {"weights": part[weights]}
        row = fn(part[value], part[group], **kw).to_frame()
        row.insert(0, time, period)
        rows.append(row)
    return pd.concat(rows, ignore_index=True)


def dagum_gini_by(frame: pd.DataFrame, *, value: str, group: str, time: str) -> pd.DataFrame:
    """:func:`dagum_gini` per period of a long panel, as a tidy frame (one row per period).

    Parameters
    ----------
    frame : pandas.DataFrame
        A long panel.
    value, group, time : str
        Its columns of the values, the group labels and the periods.

    Returns
    -------
    pandas.DataFrame
        One row per period: the period, then the columns of :meth:`DagumGini.to_frame`.

    Raises
    ------
    MissingDataError
        Missing periods (named rows); otherwise as :func:`dagum_gini`.
    """
    return _by(frame, value, group, time, dagum_gini)


def theil_by(frame: pd.DataFrame, *, value: str, group: str, time: str,
             weights: str | None = None) -> pd.DataFrame:
    """:func:`theil` per period of a long panel, as a tidy frame (one row per period).

    Parameters
    ----------
    frame : pandas.DataFrame
        A long panel.
    value, group, time : str
        Its columns of the values, the group labels and the periods.
    weights : str, optional
        Its column of unit weights (e.g. population).

    Returns
    -------
    pandas.DataFrame
        One row per period: the period, then the columns of
        :meth:`TheilDecomposition.to_frame`.

    Raises
    ------
    MissingDataError
        Missing periods (named rows); otherwise as :func:`theil`.
    """
    return _by(frame, value, group, time, theil, weights=weights)
