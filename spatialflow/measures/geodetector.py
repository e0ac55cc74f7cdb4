r"""Geographical detector (Geodetector): how much of the spatial pattern of ``y`` strata explain.

Factor detector (Wang et al. 2010; Wang, Zhang & Fu 2016). For ``y`` partitioned by a factor
into :math:`L` strata :math:`h = 1..L` of :math:`N_h` units,

.. math::

    q = 1 - \frac{\sum_h N_h \sigma_h^2}{N \sigma^2} = 1 - \frac{SSW}{SST},

with :math:`\sigma_h^2`, :math:`\sigma^2` the variances of ``y`` within stratum :math:`h` and
overall (``SSW``/``SST``: within and total sums of squares). Under the null of no
stratification effect Wang, Zhang & Fu (2016, Ecological Indicators 67, 250–256, eq. 3–4)
give

.. math::

    F = \frac{N - L}{L - 1}\,\frac{q}{1 - q} \sim F(L - 1,\ N - L;\ \lambda),\qquad
    \lambda = \frac{1}{\sigma^2}\Big[\sum_h \bar Y_h^2
              - \frac{1}{N}\Big(\sum_h \sqrt{N_h}\,\bar Y_h\Big)^2\Big],

a noncentral F with noncentrality :math:`\lambda` (:math:`\bar Y_h`: mean of stratum
:math:`h`); ``p_value`` is its upper tail at :math:`F`. The paper's :math:`\sigma^2` is the
population variance :math:`SST/N` (the same :math:`\sigma^2` as in :math:`q`; R ``gdverse``);
the authors' R package ``geodetector`` uses the sample variance :math:`SST/(N-1)`
(``variance="sample"`` reproduces it: :math:`\lambda` smaller by :math:`(N-1)/N`).

Interaction detector: the strata of two factors crossed (every observed pair of levels is a
stratum) give :math:`q(X_1 \cap X_2)`, compared with :math:`q_1 = q(X_1)`, :math:`q_2 =
q(X_2)` (Wang et al. 2010, table 1): *weaken, nonlinear* if :math:`q_{12} < \min(q_1, q_2)`;
*weaken, uni-* if :math:`\min \le q_{12} \le \max`; *enhance, bi-* if :math:`\max < q_{12} <
q_1 + q_2`; *independent* if :math:`q_{12} = q_1 + q_2` (to :data:`INDEPENDENT_RTOL`);
*enhance, nonlinear* if :math:`q_{12} > q_1 + q_2`.

Risk detector: Welch's t test (scipy) between the means of ``y`` in each pair of strata of
a factor. Ecological detector: :math:`F = SSW_1 / SSW_2 = (1 - q_1)/(1 - q_2)` on
:math:`(N - 1, N - 1)` degrees of freedom (Wang et al. 2010, eq. 5 with
:math:`N_{X_1} = N_{X_2} = N`), two-sided p-value.

References
----------
Wang, J.F., Li, X.H., Christakos, G., Liao, Y.L., Zhang, T., Gu, X., Zheng, X.Y. (2010).
Geographical detectors-based health risk assessment and its application in the neural tube
defects study of the Heshun Region, China. IJGIS 24(1), 107–127.
Wang, J.F., Zhang, T.L., Fu, B.J. (2016). A measure of spatial stratified heterogeneity.
Ecological Indicators 67, 250–256.
"""
from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import InputError, MissingDataError, format_ids
from ._validation import as_series, match_index

if TYPE_CHECKING:  # an annotation only
    from numpy.typing import ArrayLike

__all__ = ["geodetector", "factor_detector", "interaction_detector", "risk_detector",
           "ecological_detector", "interaction_type", "INDEPENDENT_RTOL", "INTERACTION_TYPES"]

#: Relative tolerance of "q12 = q1 + q2" (independent factors): q is a ratio of sums of
#: squares, so equality is decided to round-off, not exactly.
INDEPENDENT_RTOL = 1e-9

#: The five interaction types of Wang et al. (2010), in increasing order of q12.
INTERACTION_TYPES = ("weaken, nonlinear", "weaken, uni-", "enhance, bi-", "independent",
                     "enhance, nonlinear")

#: Separator of a crossed stratum label and of an interaction row ("a:b", R's notation).
_SEP = ":"


# ------------------------------------------------------------------ inputs
def _inputs(y, factors) -> tuple[pd.Series, pd.DataFrame]:
    """``y`` as a float Series on ``factors``' index; raise on anything unusable."""
    if isinstance(factors, pd.Series):
        factors = factors.to_frame(name=factors.name if factors.name is not None else "x")
    if not isinstance(factors, pd.DataFrame):
        raise InputError("factors must be a pandas DataFrame of categorical strata (one "
                         f"column per factor); a {type(factors).__name__} was given.")
    if factors.shape[1] == 0 or len(factors) == 0:
        raise InputError(f"factors must have at least one column and one row; shape "
                         f"{factors.shape} was given.")
    if factors.columns.has_duplicates:
        dup = factors.columns[factors.columns.duplicated()].unique()
        raise InputError(f"factor names must be distinct; {format_ids(dup)} repeat.")
    yy = as_series(y, name="y")
    if isinstance(y, pd.Series):
        yy = match_index(yy, factors.index, name="y", target_name="factors")
    elif len(yy) != len(factors):
        raise InputError(f"y has {len(yy)} values and factors {len(factors)} rows; an array y "
                         "is paired with factors by position, so the lengths must agree.")
    else:
        yy.index = factors.index
    bad_y = yy.index[~np.isfinite(yy.to_numpy())]
    if len(bad_y):
        raise MissingDataError(f"y must be finite; rows {format_ids(bad_y)} are NaN or "
                               "infinite.")
    missing = factors.isna()
    if missing.to_numpy().any():
        cells = [(r, c) for c in factors.columns for r in factors.index[missing[c].to_numpy()]]
        raise MissingDataError(f"factors must not be missing (a missing stratum is not a "
                               f"stratum); (row, factor) {format_ids(cells)}.")
    if np.ptp(yy.to_numpy()) == 0:
        raise InputError("y is constant: q = 1 - SSW/SST is 0/0.")
    return yy, factors


def _codes(x: pd.Series) -> np.ndarray:
    """Integer stratum codes of a factor column (any hashable labels)."""
    return pd.factorize(x, sort=True)[0]


# ------------------------------------------------------------------ core
def _q_test(y: np.ndarray, codes: np.ndarray, variance: str) -> dict:
    """q, F, lambda and p of one partition (module docstring)."""
    N = len(y)
    L = int(codes.max()) + 1
    counts = np.bincount(codes, minlength=L).astype(float)
    sums = np.bincount(codes, weights=y, minlength=L)
    means = sums / counts
    sst = float(((y - y.mean()) ** 2).sum())
    ssw = float(((y - means[codes]) ** 2).sum())
    q = 1.0 - ssw / sst
    sigma2 = sst / N if variance == "population" else sst / (N - 1)
    lam = (float((means ** 2).sum()) - float((np.sqrt(counts) * means).sum()) ** 2 / N) / sigma2
    if L < 2 or L >= N:
        F = p = np.nan
    else:
        F = (N - L) / (L - 1) * q / (1.0 - q) if q < 1 else np.inf
        p = float(stats.ncf.sf(F, L - 1, N - L, lam)) if np.isfinite(F) else 0.0
    return {"q": q, "F": F, "lambda": lam, "p_value": p, "strata": L, "ssw": ssw}


def _check_variance(variance) -> None:
    if variance not in ("population", "sample"):
        raise InputError("variance must be 'population' (Wang, Zhang & Fu 2016: sigma^2 = "
                         "SST/N) or 'sample' (R package geodetector: SST/(N-1)); "
                         f"{variance!r} was given.")


def _check_strata(factors: pd.DataFrame) -> None:
    n = len(factors)
    for c in factors.columns:
        L = factors[c].nunique()
        if L < 2:
            raise InputError(f"factor {c!r} has {L} stratum; at least 2 are needed for q.")
        if L >= n:
            raise InputError(f"factor {c!r} has {L} strata for {n} rows: every unit is its own "
                             "stratum, q = 1 by construction and F has no degrees of freedom. "
                             "Discretise it (optimal_discretisation).")


def factor_detector(y: pd.Series | ArrayLike, factors: pd.DataFrame | pd.Series, *,
                    variance: Literal["population", "sample"] = "population"
                    ) -> pd.DataFrame:
    """q-statistic of each factor with its noncentral F test (module docstring).

    Parameters
    ----------
    y : pandas.Series or array-like
        The variable to explain; a Series is matched to ``factors`` by index.
    factors : pandas.DataFrame or pandas.Series
        One column of categorical strata per factor (a Series: one factor; any labels;
        continuous variables must be discretised first, e.g. with
        :func:`optimal_discretisation`). Not modified.
    variance : {"population", "sample"}
        The :math:`\\sigma^2` in the noncentrality parameter (module docstring).

    Returns
    -------
    pandas.DataFrame
        Indexed by factor: ``q``, ``p_value``, ``F``, ``lambda``, ``strata`` (L), ``n``.
    """
    _check_variance(variance)
    yy, factors = _inputs(y, factors)
    _check_strata(factors)
    y_ = yy.to_numpy()
    rows = {c: _q_test(y_, _codes(factors[c]), variance) for c in factors.columns}
    out = pd.DataFrame.from_dict(rows, orient="index")[["q", "p_value", "F", "lambda",
                                                        "strata"]]
    out["n"] = len(y_)
    out.index.name = "factor"
    return out


def interaction_type(q1: float, q2: float, q12: float) -> str:
    """The interaction type of Wang et al. (2010) from the three q (module docstring)."""
    lo, hi, total = min(q1, q2), max(q1, q2), q1 + q2
    if np.isclose(q12, total, rtol=INDEPENDENT_RTOL, atol=0.0):
        return "independent"
    if q12 < lo:
        return "weaken, nonlinear"
    if q12 <= hi:
        return "weaken, uni-"
    if q12 < total:
        return "enhance, bi-"
    return "enhance, nonlinear"


def _crossed(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Codes of the crossed strata of two factors (each observed pair of levels)."""
    return pd.factorize(pd.MultiIndex.from_arrays([_codes(a), _codes(b)]), sort=True)[0]


def interaction_detector(y: pd.Series | ArrayLike, factors: pd.DataFrame | pd.Series, *,
                         variance: Literal["population", "sample"] = "population"
                         ) -> pd.DataFrame:
    """q of every pair of factors crossed, and the type of their interaction.

    The strata of two factors crossed (every observed pair of levels) give
    :math:`q(X_1 \\cap X_2) = 1 - SSW/SST`, compared with :math:`q_1` and :math:`q_2`
    (module docstring, Wang et al. 2010, table 1).

    Parameters
    ----------
    y : pandas.Series or array-like
        The variable to explain; a Series is matched to ``factors`` by index.
    factors : pandas.DataFrame
        Categorical strata, at least two columns (one per factor). Not modified.
    variance : {"population", "sample"}
        The :math:`\\sigma^2` in the noncentrality parameter of the F test (module
        docstring).

    Returns
    -------
    pandas.DataFrame
        One row per pair, indexed ``"a:b"``: ``factor_1``, ``factor_2``, ``q_1``, ``q_2``,
        ``q`` (of the crossed strata), ``p_value`` (its noncentral F test), ``interaction``
        (one of :data:`INTERACTION_TYPES`), ``strata`` (observed crossed strata).
    """
    _check_variance(variance)
    yy, factors = _inputs(y, factors)
    if factors.shape[1] < 2:
        raise InputError("the interaction detector needs at least 2 factors; "
                         f"{list(factors.columns)} was given.")
    _check_strata(factors)
    y_ = yy.to_numpy()
    single = {c: _q_test(y_, _codes(factors[c]), variance)["q"] for c in factors.columns}
    rows = {}
    for a, b in combinations(factors.columns, 2):
        r = _q_test(y_, _crossed(factors[a], factors[b]), variance)
        rows[f"{a}{_SEP}{b}"] = {
            "factor_1": a, "factor_2": b, "q_1": single[a], "q_2": single[b], "q": r["q"],
            "p_value": r["p_value"],
            "interaction": interaction_type(single[a], single[b], r["q"]),
            "strata": r["strata"]}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "factor"
    return out


def geodetector(y: pd.Series | ArrayLike, factors: pd.DataFrame | pd.Series, *,
                interaction: bool = False,
                variance: Literal["population", "sample"] = "population") -> pd.DataFrame:
    """Geodetector q of each factor for ``y`` (factor detector), optionally with interactions.

    Parameters
    ----------
    y : pandas.Series or array-like
        The variable to explain; a Series is matched to ``factors`` by index (ids that differ
        raise :class:`~spatialflow.exceptions.IdMismatchError`).
    factors : pandas.DataFrame or pandas.Series
        Categorical strata, one column per factor (a Series: one factor). Not modified.
    interaction : bool
        Add one row per pair of factors, indexed ``"a:b"``, with the q of the crossed strata
        and its test, and a column ``interaction`` naming its type (module docstring; empty
        for the single factors).
    variance : {"population", "sample"}
        The :math:`\\sigma^2` of the noncentrality parameter: the paper's population
        variance, or the sample variance of the R package ``geodetector``.

    Returns
    -------
    pandas.DataFrame
        Indexed by factor (then ``"a:b"`` pairs): ``q``, ``p_value`` (and ``interaction``).

    Raises
    ------
    InputError
        A factor with fewer than 2 strata or one stratum per unit, constant ``y``, missing
        values (:class:`~spatialflow.exceptions.MissingDataError`, naming the rows).

    Examples
    --------
    >>> import pandas as pd
    >>> y = pd.Series([1.0, 2.0, 3.0, 7.0, 8.0, 9.0])
    >>> X = pd.DataFrame({"zone": list("aaabbb")})
    >>> print(f"{geodetector(y, X).loc['zone', 'q']:.6f}")  # 1 - SSW/SST = 1 - 4/58
    0.931034
    """
    table = factor_detector(y, factors, variance=variance)[["q", "p_value"]]
    if not interaction:
        return table
    pairs = interaction_detector(y, factors, variance=variance)
    table = table.assign(interaction="")
    return pd.concat([table, pairs[["q", "p_value", "interaction"]]])


def risk_detector(y: pd.Series | ArrayLike, factors: pd.DataFrame | pd.Series, *,
                  alpha: float = 0.05) -> pd.DataFrame:
    r"""Risk detector: Welch's t test between the means of ``y`` in each pair of strata.

    .. math::

        t = \frac{\bar Y_a - \bar Y_b}{\sqrt{s_a^2/n_a + s_b^2/n_b}},

    with Welch–Satterthwaite degrees of freedom (:func:`scipy.stats.ttest_ind`,
    ``equal_var=False``). A pair with a one-unit stratum has no variance: t, df and p are NaN.
    The R package ``geodetector`` rounds the degrees of freedom and reports only
    ``|t| > t_{0.975}``; here df is not rounded.

    Parameters
    ----------
    y : pandas.Series or array-like
        The variable to explain; a Series is matched to ``factors`` by index.
    factors : pandas.DataFrame or pandas.Series
        Categorical strata, one column per factor (a Series: one factor). Not modified.
    alpha : float
        Level in (0, 1) of the ``significant`` column.

    Returns
    -------
    pandas.DataFrame
        ``factor``, ``stratum_1``, ``stratum_2``, ``mean_1``, ``mean_2``, ``n_1``, ``n_2``,
        ``statistic`` (Welch's t; ``attrs["statistic"] == "t"``), ``df``, ``p_value``
        (two-sided), ``significant`` (p < alpha).
    """
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise InputError(f"alpha must be a level in (0, 1); {alpha!r} was given.")
    yy, factors = _inputs(y, factors)
    rows = []
    for c in factors.columns:
        groups = {k: v.to_numpy() for k, v in yy.groupby(factors[c], sort=True)}
        for a, b in combinations(groups, 2):
            ya, yb = groups[a], groups[b]
            if len(ya) > 1 and len(yb) > 1 and (ya.var() > 0 or yb.var() > 0):
                res = stats.ttest_ind(ya, yb, equal_var=False)
                t, df, p = float(res.statistic), float(res.df), float(res.pvalue)
            else:
                t = df = p = np.nan
            rows.append({"factor": c, "stratum_1": a, "stratum_2": b, "mean_1": ya.mean(),
                         "mean_2": yb.mean(), "n_1": len(ya), "n_2": len(yb), "statistic": t,
                         "df": df, "p_value": p, "significant": bool(p < alpha)})
    out = pd.DataFrame(rows)
    out.attrs["statistic"] = "t"
    return out


def ecological_detector(y: pd.Series | ArrayLike, factors: pd.DataFrame | pd.Series, *,
                        alpha: float = 0.05) -> pd.DataFrame:
    r"""Ecological detector: whether two factors explain ``y`` to a different degree.

    .. math::

        F = \frac{SSW_1}{SSW_2} = \frac{1 - q_1}{1 - q_2} \sim F(N-1,\ N-1)

    (Wang et al. 2010, eq. 5, both factors on the same N units), with the two-sided p-value
    :math:`2\min\{P(F' \le F), P(F' \ge F)\}`.

    Parameters
    ----------
    y : pandas.Series or array-like
        The variable to explain; a Series is matched to ``factors`` by index.
    factors : pandas.DataFrame
        Categorical strata, at least two columns (one per factor). Not modified.
    alpha : float
        Level in (0, 1) of the ``significant`` column.

    Returns
    -------
    pandas.DataFrame
        One row per pair, indexed ``"a:b"``: ``factor_1``, ``factor_2``, ``q_1``, ``q_2``,
        ``F``, ``p_value``, ``significant`` (p < alpha).
    """
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise InputError(f"alpha must be a level in (0, 1); {alpha!r} was given.")
    yy, factors = _inputs(y, factors)
    if factors.shape[1] < 2:
        raise InputError("the ecological detector needs at least 2 factors; "
                         f"{list(factors.columns)} was given.")
    _check_strata(factors)
    y_ = yy.to_numpy()
    N = len(y_)
    fit = {c: _q_test(y_, _codes(factors[c]), "population") for c in factors.columns}
    rows = {}
    for a, b in combinations(factors.columns, 2):
        F = fit[a]["ssw"] / fit[b]["ssw"] if fit[b]["ssw"] > 0 else np.inf
        p = float(min(1.0, 2 * min(stats.f.cdf(F, N - 1, N - 1), stats.f.sf(F, N - 1, N - 1))))
        rows[f"{a}{_SEP}{b}"] = {"factor_1": a, "factor_2": b, "q_1": fit[a]["q"],
                                 "q_2": fit[b]["q"], "F": F, "p_value": p,
                                 "significant": bool(p < alpha)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "factor"
    return out
