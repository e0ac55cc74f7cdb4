"""Capital stock by perpetual inventory and Solow-residual TFP."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import is_real_number
from .._vocabulary import renamed
from ..exceptions import (
    CollinearityError,
    InadmissibleEstimateError,
    InputError,
    PanelError,
    format_ids,
)
from ._validation import check_panel_keys, check_positive, numeric_block, raise_if_missing

__all__ = ["capital_stock", "SolowResult", "solow_tfp", "DEFAULT_DEPRECIATION"]

#: Zhang Jun, Wu Guiying & Zhang Jipeng (2004), Economic Research Journal, 10: 35-44.
DEFAULT_DEPRECIATION = 0.096

#: ln(K/L) whose range is at most this share of its magnitude counts as constant.
_FLAT_TOL = 1e-10


def _sorted_panel(frame: pd.DataFrame, id: str, time: str) -> pd.DataFrame:
    check_panel_keys(frame, id, time)
    if not pd.api.types.is_integer_dtype(frame[time]):
        raise PanelError(
            f"the time column {time!r} must hold integer years for the perpetual inventory; "
            f"dtype {frame[time].dtype} was given."
        )
    ordered = frame.sort_values([id, time], kind="mergesort")
    gaps = ordered.groupby(id, sort=False)[time].diff().dropna()
    bad = ordered.loc[gaps.index[gaps != 1], id].unique().tolist()
    if len(bad):
        raise PanelError(
            "the perpetual inventory needs consecutive years for every unit; units with gaps: "
            f"{format_ids(bad)}."
        )
    return ordered


def capital_stock(
    frame: pd.DataFrame,
    *,
    investment: str,
    id: str,
    time: str,
    deflator: str | None = None,
    price_base: float = 1.0,
    delta: float = DEFAULT_DEPRECIATION,
    growth: float | pd.Series | None = None,
) -> pd.Series:
    r"""Real capital stock by the perpetual inventory method.

    .. math::

        I^{r}_{it} = \frac{I_{it}}{P_{it}/P_0},\qquad
        K_{i,t_0} = \frac{I^{r}_{i,t_0}}{g_i + \delta},\qquad
        K_{it} = (1 - \delta) K_{i,t-1} + I^{r}_{it},

    where :math:`P_{it}/P_0` is the investment price index relative to the base year
    (``price_base`` is the index value of the base year, 1 or 100), :math:`\delta` the
    depreciation rate (9.6%, Zhang Jun et al. 2004) and :math:`g_i` the growth rate of
    real investment used for the base-year stock (Hall & Jones 1999 rule).

    Parameters
    ----------
    frame : pandas.DataFrame
        Long panel with ``id``, ``time`` (consecutive integer years per unit) and the
        investment (and deflator) columns. Not modified.
    investment : str
        Nominal (or, without ``deflator``, real) gross fixed capital formation.
    id, time : str
        Panel keys.
    deflator : str, optional
        Investment price index column (same base for all units).
    price_base : float
        Value of the price index in the base year (1 or 100).
    delta : float
        Depreciation rate in (0, 1).
    growth : float or pandas.Series, optional
        :math:`g` for the base-year stock: one number, or a Series indexed by unit id.
        Default: each unit's average geometric growth of real investment over its sample,
        :math:`g_i = (I^r_{i,T}/I^r_{i,t_0})^{1/(T-1)} - 1`.

    Returns
    -------
    pandas.Series
        ``capital`` indexed like ``frame`` (its original row order).

    Raises
    ------
    InputError
        Non-positive investment or deflators, ``delta`` outside (0, 1), ``g + delta <= 0``.
    PanelError
        Duplicated (id, time) pairs or gaps in a unit's years.
    MissingDataError
        Missing investment or deflator cells (named).

    Examples
    --------
    >>> import pandas as pd
    >>> from spatialflow.measures import capital_stock
    >>> df = pd.DataFrame({"id": [1, 1], "year": [2000, 2001], "inv": [10.0, 11.0]})
    >>> capital_stock(df, investment="inv", id="id", time="year", growth=0.1,
    ...               delta=0.1).round(6).tolist()  # K0 = 10/0.2 = 50; K1 = 45 + 11
    [50.0, 56.0]
    """
    if not (is_real_number(delta) and 0 < delta < 1):
        raise InputError(f"delta must lie in (0, 1); {delta!r} was given.")
    if not (is_real_number(price_base) and np.isfinite(price_base) and price_base > 0):
        raise InputError(f"price_base must be > 0; {price_base!r} was given.")
    cols = [investment] + ([deflator] if deflator is not None else [])
    block = numeric_block(frame, cols, what="investment/deflator")
    raise_if_missing(block, what="investment and deflator")
    check_positive(block, what="investment and deflator", why="the base-year stock divides by "
                   "real investment and growth rates take logs")
    ordered = _sorted_panel(frame[[id, time]].join(block), id, time)
    real = ordered[investment]
    if deflator is not None:
        real = real / (ordered[deflator] / price_base)

    units = pd.unique(ordered[id])
    if growth is None:
        first = real.groupby(ordered[id], sort=False).first()
        last = real.groupby(ordered[id], sort=False).last()
        periods = ordered.groupby(id, sort=False)[time].count()
        short = periods.index[periods < 2]
        if len(short):
            raise InputError(
                "estimating g needs at least 2 years per unit; units with one year: "
                f"{format_ids(short)}. Pass growth= explicitly."
            )
        g = (last / first) ** (1.0 / (periods - 1)) - 1.0
    elif isinstance(growth, pd.Series):
        absent = pd.Index(units).difference(growth.index)
        if len(absent):
            raise InputError(f"growth has no rate for units {format_ids(absent)}.")
        g = growth.astype(float).reindex(units)
    elif is_real_number(growth):
        g = pd.Series(float(growth), index=units)
    else:
        raise InputError("growth must be None, a number or a Series indexed by unit id; "
                         f"{growth!r} ({type(growth).__name__}) was given.")
    bad = g.index[~(np.isfinite(g) & (g + delta > 0))]
    if len(bad):
        raise InputError(
            f"the base-year stock I0/(g + delta) needs g + delta > 0; not so for units "
            f"{format_ids(bad)} (g = {g.loc[bad].round(4).tolist()}, delta = {delta})."
        )

    capital = pd.Series(np.nan, index=ordered.index, name="capital")
    for unit, rows in ordered.groupby(id, sort=False).groups.items():
        inv = real.loc[rows].to_numpy()
        k = np.empty_like(inv)
        k[0] = inv[0] / (g.loc[unit] + delta)
        for t in range(1, inv.size):
            k[t] = (1.0 - delta) * k[t - 1] + inv[t]
        capital.loc[rows] = k
    return capital.reindex(frame.index)


# A result, built by the function that returns it, never by users: the fields are documented
# under Attributes (tests/test_docstrings.py checks that every field is), not as parameters.
@dataclass(frozen=True)
class SolowResult:  # numpydoc ignore=PR01
    """Solow-residual TFP.

    Attributes
    ----------
    ln_tfp, tfp : pandas.Series
        ``ln A`` and ``A``, indexed like the input.
    alpha : float
        Output elasticity of capital used.
    alpha_std_error : float or None
        Its OLS standard error when estimated, else None.
    estimated : bool
        Whether ``alpha`` was estimated.
    """

    ln_tfp: pd.Series
    tfp: pd.Series
    alpha: float
    alpha_std_error: float | None
    estimated: bool

    alpha_se = renamed("alpha_se", "alpha_std_error")


def solow_tfp(
    frame: pd.DataFrame,
    *,
    output: str,
    capital: str,
    labour: str,
    alpha: float | None = None,
) -> SolowResult:
    r"""Total factor productivity as the Solow residual of a Cobb-Douglas technology.

    .. math::

        \ln A_{it} = \ln Y_{it} - \alpha \ln K_{it} - (1 - \alpha)\ln L_{it}.

    With ``alpha=None`` the elasticity is estimated by pooled OLS of the intensive form
    under constant returns, :math:`\ln(Y/L) = c + \alpha \ln(K/L) + u` (statsmodels);
    the intercept stays in :math:`\ln A`.

    Parameters
    ----------
    frame : pandas.DataFrame
        Real output, real capital (see :func:`capital_stock`) and labour. Not modified.
    output, capital, labour : str
        Column names; all values must be > 0.
    alpha : float, optional
        Capital elasticity in (0, 1); estimated when None.

    Returns
    -------
    SolowResult

    Raises
    ------
    InputError
        Non-positive values (named cells), a given ``alpha`` outside (0, 1).
    CollinearityError
        ``alpha=None`` while capital is proportional to labour (:math:`\ln(K/L)` constant):
        the regression cannot separate :math:`\alpha` from the intercept.
    InadmissibleEstimateError
        ``alpha=None`` and the estimate lies outside (0, 1). An estimated elasticity is
        held to the same range as a given one: refused, never clipped or merely warned,
        since a residual computed with, say, :math:`\alpha = 3` is not a TFP measure.
    MissingDataError
        Missing cells (named).
    """
    block = numeric_block(frame, [output, capital, labour], what="production")
    raise_if_missing(block, what="output, capital and labour")
    check_positive(block, what="output, capital and labour", why="the Solow residual takes logs")
    logs = np.log(block)
    alpha_se = None
    if alpha is None:
        import statsmodels.api as sm

        if len(block) < 3:
            raise InputError(f"estimating alpha needs at least 3 rows; {len(block)} given.")
        y = logs[output] - logs[labour]
        ln_kl = (logs[capital] - logs[labour]).rename("ln_k_per_l")
        # ln(K/L) constant up to rounding (K = c L) leaves alpha unidentified: OLS would
        # return whatever the rounding noise dictates (0.81 or 0.32 on the same data).
        if np.ptp(ln_kl.to_numpy()) <= _FLAT_TOL * max(1.0, float(ln_kl.abs().max())):
            ratio = float(np.exp(ln_kl.mean()))
            raise CollinearityError(
                f"alpha is not identified: capital {capital!r} is proportional to labour "
                f"{labour!r} ({capital}/{labour} = {ratio:.6g} in every row), so ln(K/L) is "
                "collinear with the intercept of ln(Y/L) = c + alpha ln(K/L). Pass alpha= "
                "(e.g. a share from the national accounts).")
        x = sm.add_constant(ln_kl)
        fit = sm.OLS(y.to_numpy(), x.to_numpy()).fit()
        alpha, alpha_se, estimated = float(fit.params[1]), float(fit.bse[1]), True
        if not (0 < alpha < 1):
            raise InadmissibleEstimateError(
                f"the estimated alpha = {alpha:.6g} (SE {alpha_se:.3g}) lies outside (0, 1), "
                "the range of a capital elasticity under constant returns (a given alpha "
                "outside it is refused too): the pooled intensive-form regression does not "
                "describe these data. Pass alpha= explicitly.")
    else:
        estimated = False
        if not (is_real_number(alpha) and 0 < alpha < 1):
            raise InputError(f"alpha must be a number in (0, 1) (or None to estimate it); "
                             f"{alpha!r} was given.")
    ln_a = (logs[output] - alpha * logs[capital] - (1 - alpha) * logs[labour]).rename("ln_tfp")
    return SolowResult(ln_tfp=ln_a, tfp=np.exp(ln_a).rename("tfp"), alpha=float(alpha),
                       alpha_std_error=alpha_se, estimated=estimated)
