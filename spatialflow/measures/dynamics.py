r"""Distribution dynamics (Quah 1993, 1997): kernel densities of relative levels over time and
the stochastic kernel.

Relative level of unit :math:`i` in period :math:`t`: relative to the cross-sectional mean,
or (spatially conditioned, Quah 1996) to the mean of its neighbours under a
row-standardised :math:`W`:

.. math::

    r_{it} = \frac{y_{it}}{N^{-1}\sum_j y_{jt}} \qquad\text{or}\qquad
    r_{it} = \frac{y_{it}}{\sum_j w_{ij} y_{jt}} .

A ratio of 1 means "at the mean" (of all units, resp. of the neighbours); the spatially
conditioned distribution collapses towards 1 when a unit's level is explained by its
neighbours'.

Kernel density of :math:`r_{\cdot t}` per period: Gaussian kernel
(:class:`scipy.stats.gaussian_kde`), bandwidth by Scott's rule
:math:`h_t = \hat\sigma_t\, n_t^{-1/5}` (``"silverman"``:
:math:`\hat\sigma_t (3n_t/4)^{-1/5}`; or a fixed :math:`h`), evaluated on a common grid that
reaches 5 bandwidths beyond the data, so that each density integrates to 1 on it (the
trapezoidal integral is checked in the tests).

Stochastic kernel: the density of :math:`r_{t+s}` conditional on :math:`r_t` from the pooled
pairs :math:`(r_{it}, r_{i,t+s})`,
:math:`f(r_{t+s} \mid r_t) = f(r_t, r_{t+s}) / f(r_t)`, with a bivariate Gaussian kernel
(Scott's rule, full covariance: :math:`H = \hat\Sigma\, n^{-1/3}`) and the marginal
:math:`f(r_t) = \int f(r_t, v)\,dv` taken from the same joint density. Mass on the diagonal:
persistence; mass turned towards 1: convergence.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from ..exceptions import InputError, MissingDataError, NonPositiveLevelError, format_ids
from .._validation import check_option
from ._validation import check_panel_keys, require_columns

if TYPE_CHECKING:  # an annotation only: importing libpysal costs more than a second
    from .._typing import WeightsLike

__all__ = ["relative_levels", "kernel_densities", "stochastic_kernel", "KernelDensities",
           "StochasticKernel", "wide_panel"]

RELATIVE = ("mean", "neighbours")
#: grid reaches this many bandwidths beyond the data (Gaussian tail mass < 6e-7 outside)
CUT = 5.0


def wide_panel(data: pd.DataFrame, column: str, *, id: str, time: str,
               positive: bool = True) -> pd.DataFrame:
    """``column`` as units (rows, in the data's order) x periods (sorted), checked: no gaps,
    and strictly positive when ``positive``."""
    if not isinstance(data, pd.DataFrame):
        raise InputError("data must be a pandas DataFrame (long: one row per id and time); a "
                         f"{type(data).__name__} was given.")
    require_columns(data, [id, time, column])
    check_panel_keys(data, id, time)
    if not pd.api.types.is_numeric_dtype(data[column]) or pd.api.types.is_bool_dtype(
            data[column]):
        raise InputError(f"column {column!r} must be numeric; its dtype is "
                         f"{data[column].dtype}.")
    X = data.pivot(index=id, columns=time, values=column).reindex(pd.unique(data[id]))
    X = X[sorted(X.columns)].astype(float)
    bad = ~np.isfinite(X)
    if bad.to_numpy().any():
        cells = [(i, p) for p in X.columns for i in X.index[bad[p].to_numpy()]]
        raise MissingDataError(f"a balanced panel without gaps is needed; {len(cells)} "
                               f"(id, period) cell(s) of {column!r} are missing or not finite: "
                               f"{format_ids(cells)}.")
    if positive:
        bad = X <= 0
        if bad.to_numpy().any():
            cells = [(i, p) for p in X.columns for i in X.index[bad[p].to_numpy()]]
            raise NonPositiveLevelError(f"column {column!r} must be positive for relative "
                                        f"levels (ratios to a mean); {len(cells)} cell(s) <= 0: "
                                        f"{format_ids(cells)}.")
    return X


def _neighbour_matrix(w, ids: pd.Index):
    """Row-standardised W over ``ids`` (sparse); raise naming units without neighbours."""
    from ..weights.align import weights_on

    S = weights_on(w, ids).tocsr()
    rows = np.asarray(S.sum(axis=1)).ravel()
    lonely = ids[rows == 0]
    if len(lonely):
        raise InputError(f"relative='neighbours' divides by the neighbours' mean; "
                         f"{len(lonely)} unit(s) have no neighbours in w: "
                         f"{format_ids(lonely)}. Link islands (weights islands='knn').")
    import scipy.sparse as sp

    return sp.diags(1.0 / rows) @ S


def relative_levels(data: pd.DataFrame, column: str, *, id: str = "code",
                    time: str = "year", w: WeightsLike | None = None,
                    relative: Literal["mean", "neighbours"] = "mean") -> pd.DataFrame:
    r"""Relative levels :math:`r_{it}` (module docstring) as units x periods.

    .. math::

        r_{it} = \frac{y_{it}}{N^{-1}\sum_j y_{jt}} \qquad\text{or}\qquad
        r_{it} = \frac{y_{it}}{\sum_j m_{ij} y_{jt}},\quad
        m_{ij} = \frac{w_{ij}}{\sum_k w_{ik}} .

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel, one row per (``id``, ``time``), without gaps (not modified).
    column : str
        The level :math:`y_{it}`; strictly positive (a ratio to a mean is taken).
    id, time : str
        Unit and period columns.
    w : libpysal.graph.Graph or libpysal.weights.W, optional
        Weights over the ids (aligned by id); needed for ``relative="neighbours"``, ignored
        otherwise.
    relative : {"mean", "neighbours"}
        Ratio to the period's cross-sectional mean, or to the neighbours' mean under ``w``
        (row-standardised here whatever its transform).

    Returns
    -------
    pandas.DataFrame
        :math:`r_{it}`: units (rows, in the data's order) x periods (columns, sorted).

    Raises
    ------
    InputError
        ``relative="neighbours"`` without ``w``, or units without neighbours in ``w``.
    MissingDataError, NonPositiveLevelError
        Missing cells or levels <= 0 (naming the (id, period) cells).
    """
    check_option(relative, RELATIVE, "relative")
    X = wide_panel(data, column, id=id, time=time)
    if relative == "mean":
        return X / X.mean(axis=0)
    if w is None:
        raise InputError("relative='neighbours' needs w= (weights over the ids).")
    M = _neighbour_matrix(w, X.index)
    return X / (M @ X.to_numpy())


def _bandwidth_method(bandwidth, values: np.ndarray):
    if isinstance(bandwidth, str):
        check_option(bandwidth, ("scott", "silverman"), "bandwidth")
        return bandwidth
    if not (isinstance(bandwidth, (int, float)) and bandwidth > 0):
        raise InputError(f"bandwidth must be 'scott', 'silverman' or a positive number; "
                         f"{bandwidth!r} was given.")
    sd = np.std(values, ddof=1)
    return float(bandwidth) / sd


# Built by kernel_densities(), never by users: the fields are documented under Attributes
# (tests/test_docstrings.py checks that every field is), not as constructor parameters.
@dataclass(frozen=True)
class KernelDensities:  # numpydoc ignore=PR01
    """Result of :func:`kernel_densities`.

    Attributes
    ----------
    grid : numpy.ndarray
        Evaluation points (relative level).
    density : pandas.DataFrame
        One column per period, one row per grid point.
    bandwidth : pandas.Series
        The Gaussian kernel's standard deviation :math:`h_t` per period (relative-level
        units).
    relative : str
        ``"mean"`` or ``"neighbours"``: what the levels are relative to.
    rule : str
        ``"scott"``, ``"silverman"`` or ``"fixed"``.
    levels : pandas.DataFrame
        The relative levels (units x periods) the densities are of.
    """

    grid: np.ndarray
    density: pd.DataFrame
    bandwidth: pd.Series
    relative: str
    rule: str
    levels: pd.DataFrame = field(repr=False)

    def integrals(self) -> pd.Series:
        r"""Trapezoidal integral of each density over the grid.

        Returns
        -------
        pandas.Series
            One value per period: :math:`\int f_t(r)\,dr` by the trapezoidal rule on
            ``grid``, 1 up to the Gaussian tails beyond 5 bandwidths and the rule's error.
        """
        from scipy.integrate import trapezoid

        return self.density.apply(lambda c: trapezoid(c.to_numpy(), self.grid))

    def summary(self) -> pd.DataFrame:
        """One row per period describing its density.

        Returns
        -------
        pandas.DataFrame
            Columns ``period``, ``n`` (units), ``bandwidth`` (:math:`h_t`), ``sd`` of the
            relative level (``ddof=1``), ``mode`` (grid point of the highest peak) and
            ``peaks`` (number of local maxima above 10% of the highest).
        """
        rows = []
        for p in self.density.columns:
            d = self.density[p].to_numpy()
            inner = (d[1:-1] > d[:-2]) & (d[1:-1] >= d[2:]) & (d[1:-1] > 0.1 * d.max())
            rows.append({"period": p, "n": int(self.levels[p].notna().sum()),
                         "bandwidth": float(self.bandwidth[p]),
                         "sd": float(self.levels[p].std(ddof=1)),
                         "mode": float(self.grid[int(np.argmax(d))]),
                         "peaks": int(inner.sum())})
        return pd.DataFrame(rows)


def kernel_densities(data: pd.DataFrame, column: str, *, id: str = "code",
                     time: str = "year", w: WeightsLike | None = None,
                     relative: Literal["mean", "neighbours"] = "mean",
                     bandwidth: Literal["scott", "silverman"] | float = "scott",
                     n_grid: int = 512) -> KernelDensities:
    r"""Gaussian kernel densities of the relative level per period (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel (not modified).
    column : str
        Strictly positive level.
    id, time : str
        Unit and period columns.
    w : libpysal.graph.Graph or libpysal.weights.W, optional
        Needed for ``relative="neighbours"``.
    relative : {"mean", "neighbours"}
        What the levels are relative to (:func:`relative_levels`).
    bandwidth : {"scott", "silverman"} or float
        Rule per period (Scott: :math:`h_t = \hat\sigma_t n_t^{-1/5}`; Silverman:
        :math:`\hat\sigma_t (3 n_t / 4)^{-1/5}`), or one fixed :math:`h` > 0 for every
        period.
    n_grid : int
        Grid points (at least 16), spanning the data plus 5 times the largest bandwidth
        on each side.

    Returns
    -------
    KernelDensities
        The densities per period on one common grid, their bandwidths and the levels.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"code": list("abcdabcd"), "year": [1] * 4 + [2] * 4,
    ...                    "y": [1.0, 2.0, 3.0, 4.0, 2.0, 2.5, 3.0, 3.5]})
    >>> kd = kernel_densities(df, "y")
    >>> bool(abs(kd.integrals() - 1).max() < 1e-5)
    True
    """
    if not (isinstance(n_grid, (int, np.integer)) and n_grid >= 16):
        raise InputError(f"n_grid must be an integer >= 16; {n_grid!r} was given.")
    from scipy import stats   # on first use: scipy.stats costs ~0.5 s to import

    R = relative_levels(data, column, id=id, time=time, w=w, relative=relative)
    if len(R) < 3:
        raise InputError(f"a kernel density needs at least 3 units; {len(R)} given.")
    kdes, bws = {}, {}
    for p in R.columns:
        v = R[p].to_numpy()
        if np.ptp(v) == 0:
            raise InputError(f"the relative level is constant in period {p!r}: no density.")
        kde = stats.gaussian_kde(v, bw_method=_bandwidth_method(bandwidth, v))
        kdes[p] = kde
        bws[p] = float(np.sqrt(kde.covariance[0, 0]))
    h = max(bws.values())
    lo, hi = float(R.min().min()) - CUT * h, float(R.max().max()) + CUT * h
    grid = np.linspace(lo, hi, int(n_grid))
    dens = pd.DataFrame({p: kdes[p](grid) for p in R.columns})
    rule = bandwidth if isinstance(bandwidth, str) else "fixed"
    return KernelDensities(grid=grid, density=dens, bandwidth=pd.Series(bws, name="bandwidth"),
                           relative=relative, rule=rule, levels=R)


# Built by stochastic_kernel(), never by users (fields documented under Attributes).
@dataclass(frozen=True)
class StochasticKernel:  # numpydoc ignore=PR01
    """Result of :func:`stochastic_kernel`.

    Attributes
    ----------
    grid : numpy.ndarray
        Evaluation points for both axes (relative level).
    joint : numpy.ndarray
        :math:`f(r_t, r_{t+s})`, rows = :math:`r_t` (grid), columns = :math:`r_{t+s}`.
    conditional : numpy.ndarray
        :math:`f(r_{t+s} \\mid r_t)`, rows = :math:`r_t`; NaN where :math:`f(r_t)` is below
        1e-3 of its maximum (too few data there to condition on).
    marginal : numpy.ndarray
        :math:`f(r_t)` on the grid (the joint integrated over :math:`r_{t+s}`).
    bandwidth : numpy.ndarray
        The 2 x 2 kernel covariance :math:`H`.
    pairs : pandas.DataFrame
        ``id, from_period, to_period, r_from, r_to``.
    step : int
        :math:`s`, periods ahead.
    relative : str
        ``"mean"`` or ``"neighbours"``: what the levels are relative to.
    """

    grid: np.ndarray
    joint: np.ndarray
    conditional: np.ndarray
    marginal: np.ndarray
    bandwidth: np.ndarray
    pairs: pd.DataFrame = field(repr=False)
    step: int = 1
    relative: str = "mean"


def stochastic_kernel(data: pd.DataFrame, column: str, *, id: str = "code",
                      time: str = "year", step: int = 1, w: WeightsLike | None = None,
                      relative: Literal["mean", "neighbours"] = "mean",
                      n_grid: int = 100) -> StochasticKernel:
    r"""Stochastic kernel: density of the relative level ``step`` periods ahead conditional
    on today's (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel, one row per (``id``, ``time``), without gaps (not modified).
    column : str
        Strictly positive level.
    id, time : str
        Unit and period columns.
    step : int
        Periods ahead (1: consecutive observed periods).
    w : libpysal.graph.Graph or libpysal.weights.W, optional
        Weights over the ids; needed for ``relative="neighbours"``.
    relative : {"mean", "neighbours"}
        Relative to the cross-sectional mean or (spatially conditioned) to the neighbours'
        mean under ``w``.
    n_grid : int
        Grid points per axis.

    Returns
    -------
    StochasticKernel
        Joint, marginal and conditional densities on the grid, and the pooled pairs
        :math:`(r_{it}, r_{i,t+s})`.
    """
    if not (isinstance(step, (int, np.integer)) and step >= 1):
        raise InputError(f"step must be a positive integer; {step!r} was given.")
    if not (isinstance(n_grid, (int, np.integer)) and n_grid >= 16):
        raise InputError(f"n_grid must be an integer >= 16; {n_grid!r} was given.")
    from scipy import stats
    from scipy.integrate import trapezoid

    R = relative_levels(data, column, id=id, time=time, w=w, relative=relative)
    periods = list(R.columns)
    if len(periods) <= step:
        raise InputError(f"step={step} needs more than {step} periods; the data have "
                         f"{len(periods)} ({format_ids(periods)}).")
    parts = []
    for a, b in zip(periods[:-step], periods[step:]):
        parts.append(pd.DataFrame({"id": R.index, "from_period": a, "to_period": b,
                                   "r_from": R[a].to_numpy(), "r_to": R[b].to_numpy()}))
    pairs = pd.concat(parts, ignore_index=True)
    xy = pairs[["r_from", "r_to"]].to_numpy().T
    if len(pairs) < 4:
        raise InputError(f"a stochastic kernel needs at least 4 pairs; {len(pairs)} given.")
    try:
        kde = stats.gaussian_kde(xy)
    except np.linalg.LinAlgError:
        raise InputError("the pairs (r_t, r_t+step) lie on a line (e.g. relative levels "
                         "unchanged between periods): they have no bivariate density.") from None
    H = kde.covariance
    h = float(np.sqrt(max(H[0, 0], H[1, 1])))
    lo, hi = float(xy.min()) - CUT * h, float(xy.max()) + CUT * h
    grid = np.linspace(lo, hi, int(n_grid))
    gx, gy = np.meshgrid(grid, grid, indexing="ij")
    joint = kde(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    marginal = trapezoid(joint, grid, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cond = joint / marginal[:, None]
    cond[marginal < 1e-3 * marginal.max()] = np.nan
    return StochasticKernel(grid=grid, joint=joint, conditional=cond, marginal=marginal,
                            bandwidth=H, pairs=pairs, step=int(step), relative=relative)
