r"""Club convergence: the Phillips–Sul (2007) log t test and their clustering algorithm.

Relative transition paths of :math:`x_{it}` (usually :math:`\ln y_{it}`, with the business
cycle filtered out beforehand) and their cross-sectional variance:

.. math::

    h_{it} = \frac{x_{it}}{N^{-1}\sum_j x_{jt}}, \qquad H_t = N^{-1}\sum_i (h_{it} - 1)^2 .

The log t regression over :math:`t = [rT] + 1, \dots, T` (the first fraction :math:`r` of the
periods discarded; :math:`r = 1/3` by default, Phillips & Sul's choice for :math:`T < 50`):

.. math::

    \ln\frac{H_1}{H_t} - 2 \ln \ln t = a + b \ln t + u_t .

Convergence (:math:`b \ge 0`) is rejected at 5% when :math:`t_b < -1.65`, with the standard
error of :math:`b` from a quadratic-spectral HAC variance with Andrews' (1991) AR(1)
plug-in bandwidth. The speed at which the units converge is :math:`b/2` (for
:math:`b \le 2`).

Clustering (Phillips & Sul 2007, section 4; 2009): (1) order the units by their last value,
highest first; (2) the core group: the first pair of consecutive units with :math:`t_b >
-1.65`, extended one unit at a time while :math:`t_b > -1.65`, keeping the size with the
largest :math:`|t_b|`; (3) sieve: every other unit joins the core's club if the core plus
that unit has :math:`t_b > c^*` (default :math:`c^* = 0`); (4) repeat on the units left; if
they converge as a whole they form the last club, if no pair converges they are divergent.

The implementation follows the R package ConvergenceClubs (Sichera & Pizzuto 2019) step for
step, including its HAC variance (``ps_andrews_hac``, the GAUSS code of Phillips and Sul) and
its choice of the core size by :math:`\max |t_b|`; the test
``tests/test_measures_clubs.py`` checks the clubs and every club's :math:`t_b` against
ConvergenceClubs 2.2.5 on its own data (152 countries, Phillips & Sul 2009).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from .._stats import norm
from ..exceptions import InputError, MissingDataError, NonPositiveLevelError, format_ids
from .._validation import check_option
from .._vocabulary import renamed
from ._validation import check_panel_keys, require_columns

__all__ = ["LogTTest", "ConvergenceClubs", "log_t_test", "convergence_clubs"]

#: Phillips and Sul's one-sided 5% critical value of the log t test
CRITICAL = -1.65


# Built by log_t_test() and convergence_clubs(), never by users: the fields are documented
# under Attributes (tests/test_docstrings.py checks that every field is).
@dataclass(frozen=True)
class LogTTest:  # numpydoc ignore=PR01
    """Result of the log t test: the slope ``b``, its HAC standard error ``bse``, the
    ``statistic`` :math:`t_b` and the one-sided ``pvalue`` :math:`\\Phi(t_b)` (small:
    convergence rejected).

    Attributes
    ----------
    b : float
        Slope :math:`b` of :math:`\\ln(H_1/H_t) - 2\\ln\\ln t` on :math:`\\ln t` (module
        docstring); :math:`b \\ge 0` is consistent with convergence.
    bse : float
        Its standard error (quadratic-spectral HAC, Andrews' AR(1) bandwidth).
    statistic : float
        :math:`t_b = b / \\operatorname{se}(b)`; convergence is rejected at 5% when
        :math:`t_b < -1.65`.
    pvalue : float
        One-sided :math:`\\Phi(t_b)`.
    n : int
        Units in the test.
    periods : int
        Periods :math:`T` in the panel (before the first fraction ``trim`` is discarded).
    """

    b: float
    bse: float
    statistic: float
    pvalue: float
    n: int
    periods: int

    se = renamed("se", "bse")
    t = renamed("t", "statistic")
    p_value = renamed("p_value", "pvalue")

    @property
    def converges(self) -> bool:
        """Convergence not rejected at 5% (:math:`t > -1.65`)."""
        return bool(self.statistic > CRITICAL)

    @property
    def speed(self) -> float:
        """:math:`b / 2`, the speed at which the cross-sectional variation decays."""
        return self.b / 2.0


# Built by convergence_clubs(), never by users (fields documented under Attributes).
@dataclass(frozen=True)
class ConvergenceClubs:  # numpydoc ignore=PR01
    """Result of :func:`convergence_clubs`.

    Attributes
    ----------
    membership : pandas.Series
        Club of every unit (``1, 2, ...`` in the order found, highest club first; ``0`` for
        divergent units), indexed by id.
    tests : pandas.DataFrame
        One row per club: ``club, n, b, std_error, statistic, cstar`` (``statistic`` the
        log t test's :math:`t_b`; ``attrs["statistic"] == "t"``).
    overall : LogTTest
        The log t test on all units.
    trim : float
        Fraction of the first periods discarded in every log t regression.
    cstar : float
        Sieve threshold :math:`c^*` used.
    order : list
        The unit ids ordered by their last value, highest first (the clustering's order).
    """

    membership: pd.Series
    tests: pd.DataFrame
    overall: LogTTest
    trim: float = 1 / 3
    cstar: float = 0.0
    order: list = field(default_factory=list, repr=False)

    @property
    def n_clubs(self) -> int:
        """Number of convergence clubs found (numbered 1, 2, ...; divergent units are not a
        club)."""
        return int((self.tests["club"] > 0).sum())

    @property
    def divergent(self) -> list:
        """Ids of the divergent units (club 0) in the data's order; empty when every unit is
        in a club."""
        return self.membership.index[self.membership == 0].tolist()


def _hac(x: np.ndarray) -> float:
    """Long-run variance of the residuals: quadratic-spectral kernel, Andrews' AR(1)
    bandwidth (ConvergenceClubs' ``ps_andrews_hac``, from Phillips and Sul's GAUSS code,
    including its use of the first T - 1 residuals in the autocovariances)."""
    t = len(x)
    x1, x2 = x[:-1], x[1:]
    b1 = np.sum(x1 * x2) / np.sum(x1 ** 2)
    a = 4.0 * b1 ** 2 / (1.0 - b1) ** 4
    bw = 1.3221 * (a * t) ** 0.2
    lag = np.arange(1, t)
    z = 1.2 * np.pi * lag / bw
    k = (np.sin(z) / z - np.cos(z)) * (3.0 / z ** 2)
    t2 = t - 1
    out = 0.0
    for i in range(1, t2):
        out += 2.0 * float(x[:t2 - i] @ x[i:t2]) * k[i - 1] / t2
    return out + float(x @ x) / t2


def _log_t(X: np.ndarray, trim: float) -> tuple[float, float, float]:
    """(b, se, t) of the log t regression on the units (rows) x periods (columns) ``X``."""
    h = X / X.mean(axis=0)
    H = ((h - 1.0) ** 2).mean(axis=0)
    T = X.shape[1]
    r = np.arange(int(round(T * trim)) + 1, T + 1)        # 1-based periods kept
    logt = np.log(r)
    lhs = np.log(H[0] / H[r - 1]) - 2.0 * np.log(logt)
    Z = np.column_stack([np.ones_like(logt), logt])
    coef, *_ = np.linalg.lstsq(Z, lhs, rcond=None)
    resid = lhs - Z @ coef
    var = np.diag(np.linalg.inv(Z.T @ Z)) * _hac(resid)
    se = float(np.sqrt(var[1]))
    return float(coef[1]), se, float(coef[1] / se)


def _matrix(data, column, id, time, transform) -> pd.DataFrame:
    """Units x periods of ``column`` (log-transformed), checked."""
    if not isinstance(data, pd.DataFrame):
        raise InputError("data must be a pandas DataFrame (long: one row per id and time); a "
                         f"{type(data).__name__} was given.")
    require_columns(data, [id, time, column])
    check_panel_keys(data, id, time)
    check_option(transform, ("log", "none"), "transform")
    X = data.pivot(index=id, columns=time, values=column).reindex(pd.unique(data[id]))
    X = X[sorted(X.columns)]
    bad = X.isna()
    if bad.to_numpy().any():
        cells = [(i, p) for p in X.columns for i in X.index[bad[p].to_numpy()]]
        raise MissingDataError(f"the log t test needs a balanced panel without gaps; "
                               f"{len(cells)} (id, period) cell(s) of {column!r} are missing: "
                               f"{format_ids(cells)}.")
    X = X.astype(float)
    if transform == "log":
        bad = X <= 0
        if bad.to_numpy().any():
            cells = [(i, p) for p in X.columns for i in X.index[bad[p].to_numpy()]]
            raise NonPositiveLevelError(f"column {column!r} must be positive (its log is "
                                        f"taken); cell(s) <= 0 at {format_ids(cells)}. Pass "
                                        "transform='none' for a column already in logs.")
        X = np.log(X)
    mean = X.mean(axis=0)
    if not (mean > 0).all():
        raise InputError("the relative transition h_it = x_it / mean_j x_jt needs a positive "
                         "cross-sectional mean in every period; it is <= 0 in periods "
                         f"{format_ids(mean.index[~(mean > 0)])} (log levels below 1? "
                         "rescale the levels).")
    if X.shape[1] < 3:
        raise InputError(f"the log t test needs a time series: {X.shape[1]} period(s) given.")
    return X


def _check_trim(trim, T):
    if not (isinstance(trim, (int, float)) and 0 < trim < 1):
        raise InputError(f"trim must be a fraction in (0, 1); {trim!r} was given.")
    if T - int(round(T * trim)) < 3:
        raise InputError(f"trim={trim} leaves {T - int(round(T * trim))} of {T} periods for "
                         "the log t regression; at least 3 are needed.")


def log_t_test(data: pd.DataFrame, column: str, *, id: str = "code", time: str = "year",
               trim: float = 1 / 3, transform: Literal["log", "none"] = "log") -> LogTTest:
    r"""The Phillips–Sul log t convergence test (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel, one row per (``id``, ``time``).
    column : str
        Level (``transform="log"``: its log is taken) or a log already
        (``transform="none"``), ideally with the cycle filtered out.
    id, time : str
        Unit and period columns.
    trim : float
        Fraction of the first periods discarded (default 1/3): the regression runs over
        :math:`t = [rT] + 1, \dots, T`.
    transform : {"log", "none"}
        ``"log"``: :math:`x_{it} = \ln y_{it}` (``column`` strictly positive); ``"none"``:
        ``column`` is :math:`x_{it}` already.

    Returns
    -------
    LogTTest
        ``b``, ``bse``, ``statistic``, ``pvalue``; ``converges`` when :math:`t > -1.65`.
    """
    X = _matrix(data, column, id, time, transform)
    _check_trim(trim, X.shape[1])
    b, se, t = _log_t(X.to_numpy(), trim)
    return LogTTest(b=b, bse=se, statistic=t, pvalue=float(norm.cdf(t)), n=X.shape[0],
                    periods=X.shape[1])


def _core(X: np.ndarray, trim: float) -> list | None:
    """Rows of the core group among the rows of ``X`` (ordered, highest first), or None."""
    nr = len(X)
    start = None
    for i in range(1, nr):
        t = _log_t(X[[i - 1, i]], trim)[2]
        if t > CRITICAL:
            start = i
            break
    if start is None:
        return None
    groups, tvals = [[start - 1, start]], [t]
    units = [start - 1, start]
    for k in range(start + 1, nr):
        units = [*units, k]
        t = _log_t(X[units], trim)[2]
        if not t > CRITICAL:
            break
        groups.append(units)
        tvals.append(t)
    # ConvergenceClubs keeps the size with the largest |t| (Phillips and Sul: the largest t;
    # the two agree whenever the best t is positive, as it is in practice)
    return groups[int(np.argmax(np.abs(tvals)))]


def convergence_clubs(data: pd.DataFrame, column: str, *, id: str = "code",
                      time: str = "year", trim: float = 1 / 3, cstar: float = 0.0,
                      transform: Literal["log", "none"] = "log") -> ConvergenceClubs:
    r"""Phillips–Sul clustering into convergence clubs (module docstring).

    Parameters
    ----------
    data, column, id, time, trim, transform
        As in :func:`log_t_test`.
    cstar : float
        Sieve threshold :math:`c^*`: a unit joins the core's club when the core plus that
        unit has :math:`t_b > c^*` (Phillips & Sul's default 0, conservative).

    Returns
    -------
    ConvergenceClubs
        ``membership`` (club of each unit, 0 = divergent), ``tests`` (log t of each club),
        ``overall`` (log t of all units).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = np.arange(1, 31)
    >>> paths = {"a": 3 + 1 / t, "b": 3 - 1 / t, "c": 5 + 1 / t, "d": 5 - 1 / t}
    >>> df = pd.DataFrame([{"code": k, "year": 1990 + s, "x": v[s]}
    ...                    for k, v in paths.items() for s in range(30)])
    >>> convergence_clubs(df, "x", transform="none").membership.to_dict()
    {'a': 2, 'b': 2, 'c': 1, 'd': 1}
    """
    X = _matrix(data, column, id, time, transform)
    _check_trim(trim, X.shape[1])
    if not isinstance(cstar, (int, float)):
        raise InputError(f"cstar must be a number; {cstar!r} was given.")
    values = X.to_numpy()
    ids = X.index
    b, se, t = _log_t(values, trim)
    overall = LogTTest(b=b, bse=se, statistic=t, pvalue=float(norm.cdf(t)), n=len(ids),
                       periods=values.shape[1])
    # highest last value first; a stable sort keeps the data's order among ties (as R)
    order = np.argsort(-values[:, -1], kind="stable")
    remaining = list(order)
    membership = pd.Series(0, index=ids, name="club")
    rows = []
    club = 0
    while len(remaining) > 0:
        if len(remaining) == 1:
            break                                   # a single unit left is divergent
        sub = values[remaining]
        b, se, t = _log_t(sub, trim)
        if t > CRITICAL:
            club += 1
            membership.iloc[remaining] = club
            rows.append({"club": club, "n": len(remaining), "b": b, "std_error": se, "statistic": t,
                         "cstar": float(cstar)})
            break
        core = _core(sub, trim)
        if core is None:
            break                                   # no converging pair: all divergent
        members = [remaining[k] for k in core]
        others = [u for u in remaining if u not in members]
        joins = [u for u in others if _log_t(values[[*members, u]], trim)[2] > cstar]
        members += joins
        b, se, t = _log_t(values[members], trim)
        club += 1
        membership.iloc[members] = club
        rows.append({"club": club, "n": len(members), "b": b, "std_error": se, "statistic": t,
                     "cstar": float(cstar)})
        remaining = [u for u in remaining if u not in set(members)]
    left = membership[membership == 0]
    if len(left):
        rows.append({"club": 0, "n": len(left), "b": np.nan, "std_error": np.nan,
                     "statistic": np.nan,
                     "cstar": float(cstar)})
    tests = pd.DataFrame(rows, columns=["club", "n", "b", "std_error", "statistic", "cstar"])
    tests.attrs["statistic"] = "t"
    return ConvergenceClubs(membership=membership, tests=tests, overall=overall,
                            trim=float(trim), cstar=float(cstar), order=list(ids[order]))
