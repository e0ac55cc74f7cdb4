r"""β-convergence: the growth of a level regressed on its initial log level.

Cross-section (Barro & Sala-i-Martin 1992; spatial versions: Rey & Montouri 1999; Arbia,
Le Gallo & Piras 2008). For unit :math:`i`, start year :math:`s` and end year :math:`e`
(:math:`T = e - s`),

.. math::

    g_i = \frac{\ln y_{ie} - \ln y_{is}}{T} = \alpha + \beta \ln y_{is} + z_{is}'\gamma
          + \varepsilon_i,

absolute without controls :math:`z`, conditional with them (the controls are taken at the
start year, as the growth they condition is that of the following :math:`T` years). The
spatial versions are the package's own SAR, SEM and SDM of this regression
(:mod:`spatialflow.models`), on the same growth rates.

The speed of convergence and the half-life (the time in which half of a gap closes) follow
from :math:`1 + \beta T = e^{-\lambda T}`:

.. math::

    \lambda = -\frac{\ln(1 + \beta T)}{T}, \qquad h = \frac{\ln 2}{\lambda},

with delta-method standard errors
:math:`\operatorname{se}(\lambda) = \operatorname{se}(\beta) / |1 + \beta T|` and
:math:`\operatorname{se}(h) = \ln 2\, \operatorname{se}(\lambda) / \lambda^2`.

Which β enters the speed. The coefficient of :math:`\ln y_{is}` in every model, as Rey &
Montouri (1999) and Arbia, Le Gallo & Piras (2008) do for the spatial lag and error models and
as most applied SDM papers do: the speed is a parameter of the unit's own growth process,
given its neighbours'. In the SAR and SDM the coefficient is not the marginal effect of the
initial level: the LeSage-Pace direct and indirect effects of ``log_initial`` are in
``result.model.effects()`` for readers who prefer them (the direct effect's speed is then
computed by the same formulas by hand).

Panel (``effects="unit"`` or ``"twoway"``). The span :math:`[s, e]` is cut at every observed
period into intervals of equal length :math:`\tau` (the spacing of the periods), and

.. math::

    g_{it} = \frac{\ln y_{i,t+\tau} - \ln y_{it}}{\tau} = \mu_i\,(+\lambda_t)
             + \beta \ln y_{it} + z_{it}'\gamma + \varepsilon_{it},

with unit (and time) fixed effects, fitted by the package's panel models (spatial ones
with their Lee-Yu correction). The speed and half-life then use :math:`T = \tau`: the speed
of convergence of each unit towards its own steady state (Islam 1995), not towards a
common one.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import (
    InputError,
    MissingDataError,
    ModelSpecificationError,
    NonPositiveLevelError,
    PeriodNotFoundError,
    UndefinedSpeedWarning,
    format_ids,
)
from .. import _stats as stats  # scipy.stats kernels without its 0.5 s import
from .._validation import check_level, check_option
from .._vocabulary import renamed
from ._validation import check_panel_keys, column_list, require_columns

if TYPE_CHECKING:  # an annotation only: importing libpysal costs more than a second
    from .._typing import WeightsLike

__all__ = ["BetaConvergence", "beta_convergence", "speed_and_half_life", "growth_rates"]

MODELS = ("OLS", "SAR", "SEM", "SDM")
PANEL_EFFECTS = (None, "unit", "twoway")
#: name of the initial log level in the growth regression
INITIAL = "log_initial"
GROWTH = "growth"
#: the index of BetaConvergence.params / bse / pvalues
_PARAMS = ("beta", "speed", "half_life")


def speed_and_half_life(beta: float, se: float, T: float) -> dict:
    r"""Speed :math:`\lambda = -\ln(1+\beta T)/T`, half-life :math:`h = \ln 2/\lambda` and
    their delta-method standard errors (module docstring).

    Undefined values are NaN, with an :class:`~spatialflow.exceptions.UndefinedSpeedWarning`:
    the speed when :math:`1 + \beta T \le 0`, the half-life when :math:`\lambda \le 0`
    (:math:`\beta \ge 0`: no convergence).

    Parameters
    ----------
    beta : float
        Coefficient :math:`\beta` of the initial log level in the growth regression.
    se : float
        Its standard error :math:`\operatorname{se}(\beta)`.
    T : float
        Length of the growth interval :math:`T` (units of time, e.g. years).

    Returns
    -------
    dict
        ``speed`` :math:`\lambda`, ``speed_std_error``
        :math:`\operatorname{se}(\beta) / |1 + \beta T|`, ``half_life``
        :math:`h = \ln 2 / \lambda` and ``half_life_std_error``
        :math:`\ln 2\, \operatorname{se}(\lambda) / \lambda^2`, all floats (NaN where
        undefined).

    Examples
    --------
    >>> r = speed_and_half_life(-0.02, 0.005, 10)
    >>> round(r["speed"], 6), round(r["half_life"], 3)
    (0.022314, 31.063)
    """
    beta, se, T = float(beta), float(se), float(T)
    out = {"speed": np.nan, "speed_std_error": np.nan, "half_life": np.nan,
           "half_life_std_error": np.nan}
    arg = 1.0 + beta * T
    if not arg > 0:
        warnings.warn(f"1 + beta*T = {arg:.4g} <= 0 (beta = {beta:.4g}, T = {T:g}): the speed "
                      "-log(1 + beta*T)/T is undefined (growth overshoots the gap).",
                      UndefinedSpeedWarning, stacklevel=3)
        return out
    speed = float(-np.log(arg) / T)
    out["speed"] = speed
    out["speed_std_error"] = se / arg                    # |d lambda / d beta| = 1 / (1 + beta T)
    if speed > 0:
        out["half_life"] = float(np.log(2.0) / speed)
        out["half_life_std_error"] = float(np.log(2.0) * out["speed_std_error"] / speed ** 2)
    else:
        warnings.warn(f"beta = {beta:.4g} >= 0: no beta-convergence (speed {speed:.4g} <= 0); "
                      "the half-life is undefined.", UndefinedSpeedWarning, stacklevel=3)
    return out


# Built by beta_convergence(), never by users: the fields are documented under Attributes
# (tests/test_docstrings.py checks that every field is), not as constructor parameters.
@dataclass(frozen=True)
class BetaConvergence:  # numpydoc ignore=PR01
    """Result of :func:`beta_convergence`.

    Attributes
    ----------
    beta : float
        Coefficient of the initial log level (``model.params["log_initial"]``).
    speed, half_life : float
        Speed of convergence (per unit of time) and half-life (in units of time); NaN where
        undefined (no convergence).
    bse : pandas.Series
        Standard errors of ``params`` (``beta``, ``speed``, ``half_life``): the model's for
        β, delta-method ones for the speed and the half-life (:func:`speed_and_half_life`).
    model : SpatialResults
        The fitted growth regression (``model.params["log_initial"]`` is ``beta``).
    kind : str
        ``"OLS"``, ``"SAR"``, ``"SEM"`` or ``"SDM"``.
    start, end : object
        First and last period of the growth rates.
    span : float
        :math:`T` of the speed formula: ``end - start`` (cross-section) or the interval
        :math:`\\tau` between consecutive periods (panel).
    effects : str or None
        Panel fixed effects (``"unit"``, ``"twoway"``) or None (cross-section).
    controls : tuple of str
        Control variables (empty: absolute convergence).
    growth : pandas.DataFrame
        The regression's data: ``growth``, ``log_initial`` and the controls (indexed by id
        for a cross-section; with id and time columns for a panel).
    """

    beta: float
    speed: float
    half_life: float
    model: object = field(repr=False)
    kind: str = "OLS"
    start: object = None
    end: object = None
    span: float = np.nan
    effects: str | None = None
    controls: tuple = ()
    growth: pd.DataFrame = field(default=None, repr=False)
    _bse: tuple = field(default=(np.nan, np.nan, np.nan), repr=False)

    @property
    def conditional(self) -> bool:
        """True when controls were given (conditional convergence)."""
        return bool(self.controls)

    @property
    def params(self) -> pd.Series:
        """``beta``, ``speed`` and ``half_life`` as one Series (statsmodels' name)."""
        return pd.Series([self.beta, self.speed, self.half_life], index=list(_PARAMS),
                         name="params", dtype=float)

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params`: the model's for β, delta-method ones for the
        speed and the half-life."""
        return pd.Series(self._bse, index=list(_PARAMS), name="bse", dtype=float)

    @property
    def tvalues(self) -> pd.Series:
        """β's statistic from the model; NaN for the speed and half-life (their null, a zero
        speed, is β = 0: read ``tvalues["beta"]``)."""
        return pd.Series([float(self.model.tvalues[INITIAL]), np.nan, np.nan],
                         index=list(_PARAMS), name="tvalues")

    @property
    def pvalues(self) -> pd.Series:
        """β's p-value from the model's own inference; NaN for the speed and half-life
        (not tested: a zero speed is β = 0, tested by ``pvalues["beta"]``)."""
        return pd.Series([float(self.model.pvalues[INITIAL]), np.nan, np.nan],
                         index=list(_PARAMS), name="pvalues")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Intervals of :attr:`params`: the model's for β, delta-method normal ones
        (:math:`\\hat\\lambda \\pm z\\,\\mathrm{se}`) for the speed and the half-life.

        Parameters
        ----------
        level : float, default 0.95
            Coverage, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Columns ``lower`` and ``upper``, rows ``beta``, ``speed``, ``half_life``.
        """
        level = check_level(level)
        out = stats.wald_interval(self.params, self.bse, level)
        out.loc["beta"] = self.model.conf_int(level).loc[INITIAL, ["lower", "upper"]].to_numpy()
        return out

    beta_se = renamed("beta_se", 'bse["beta"]', lambda self: float(self.bse["beta"]))
    speed_se = renamed("speed_se", 'bse["speed"]', lambda self: float(self.bse["speed"]))
    half_life_se = renamed("half_life_se", 'bse["half_life"]',
                           lambda self: float(self.bse["half_life"]))
    p_value = renamed("p_value", 'pvalues["beta"]', lambda self: float(self.pvalues["beta"]))

    @property
    def n(self) -> int:
        """Number of units."""
        g = self.growth
        return int(g.index.nunique()) if self.effects is None else int(g.iloc[:, 0].nunique())

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row table.

        Returns
        -------
        pandas.DataFrame
            One row with columns ``model``, ``effects``, ``start``, ``end``, ``span``,
            ``n``, ``conditional``, ``beta``, ``beta_std_error``, ``beta_p_value``,
            ``speed``, ``speed_std_error``, ``half_life`` and ``half_life_std_error``.
        """
        se, p = self.bse, self.pvalues
        return pd.DataFrame([{
            "model": self.kind, "effects": self.effects or "none", "start": self.start,
            "end": self.end, "span": self.span, "n": self.n,
            "conditional": self.conditional, "beta": self.beta,
            "beta_std_error": se["beta"], "beta_p_value": p["beta"], "speed": self.speed,
            "speed_std_error": se["speed"], "half_life": self.half_life,
            "half_life_std_error": se["half_life"]}])


def _py(value):
    """A numpy scalar as the Python scalar it holds, for messages (``2008``, not
    ``np.int64(2008)``)."""
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value


def _periods(data: pd.DataFrame, time: str, start, end) -> tuple[list, object, object]:
    periods = [_py(p) for p in sorted(pd.unique(data[time]))]
    if not pd.api.types.is_numeric_dtype(data[time]):
        raise InputError(f"the time column {time!r} must be numeric (years): growth rates "
                         f"divide by end - start; its dtype is {data[time].dtype}.")
    start = periods[0] if start is None else start
    end = periods[-1] if end is None else end
    for name, value in (("start", start), ("end", end)):
        if value not in periods:
            raise PeriodNotFoundError(f"{name}={value!r} is not a period of column {time!r}; "
                                      f"the periods are {format_ids(periods)}.")
    if not end > start:
        raise InputError(f"end must be after start; start={start!r} and end={end!r} were "
                         "given.")
    return [p for p in periods if start <= p <= end], start, end


def _wide(data: pd.DataFrame, columns: list, id: str, time: str, periods: list,
          column: str) -> dict[str, pd.DataFrame]:
    """Each column as a units x periods table over ``periods``; raise naming the units
    without a row, or with a missing value, in one of them."""
    part = data[data[time].isin(periods)]
    ids = pd.Index(pd.unique(data[id]))
    out = {}
    for c in columns:
        out[c] = part.pivot(index=id, columns=time, values=c).reindex(index=ids,
                                                                     columns=periods)
    present = part.assign(_row=1).pivot(index=id, columns=time, values="_row").reindex(
        index=ids, columns=periods)
    for p in periods:
        p = _py(p)
        absent = present.index[present[p].isna()]
        if len(absent):
            raise PeriodNotFoundError(f"{len(absent)} unit(s) have no row in period {p!r} "
                                      f"(column {time!r}): {format_ids(absent)}; every unit "
                                      "needs the start and end periods (and, for a panel, "
                                      "every period between).")
    for c in columns:
        bad = out[c].isna() | ~np.isfinite(out[c].astype(float))
        if bad.to_numpy().any():
            cells = [(i, p) for p in periods for i in out[c].index[bad[p].to_numpy()]]
            raise MissingDataError(f"column {c!r} is missing or not finite for {len(cells)} "
                                   f"(id, period) cell(s): {format_ids(cells)}.")
    levels = out[column]
    bad = levels <= 0
    if bad.to_numpy().any():
        cells = [(i, p) for p in periods for i in levels.index[bad[p].to_numpy()]]
        raise NonPositiveLevelError(f"column {column!r} must be positive (its log is taken); "
                                    f"{len(cells)} (id, period) cell(s) are <= 0: "
                                    f"{format_ids(cells)}.")
    return out


def growth_rates(data: pd.DataFrame, column: str, *, id: str = "code", time: str = "year",
                 start=None, end=None, controls=None, panel: bool = False) -> pd.DataFrame:
    r"""The growth regression's data (module docstring): ``growth``, ``log_initial`` and the
    controls at the start of each interval.

    Cross-section (``panel=False``): one row per unit, indexed by ``id``; growth from
    ``start`` to ``end``. Panel: one row per unit and interval start, with ``id`` and ``time``
    columns (``time`` = the interval's first period); consecutive observed periods, which
    must be equally spaced.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame (long: one row per id and time); a "
                         f"{type(data).__name__} was given.")
    controls = column_list(controls, name="controls") if controls is not None else []
    require_columns(data, [id, time, column, *controls])
    if column in controls:
        raise InputError(f"{column!r} is the level whose growth is explained; it cannot also "
                         f"be a control (controls: {controls}).")
    check_panel_keys(data, id, time)
    bad = [c for c in [column, *controls] if not pd.api.types.is_numeric_dtype(data[c])
           or pd.api.types.is_bool_dtype(data[c])]
    if bad:
        raise InputError(f"columns {format_ids(bad)} must be numeric; dtypes "
                         f"{[str(data[c].dtype) for c in bad]}.")
    periods, start, end = _periods(data, time, start, end)
    used = periods if panel else [start, end]
    wide = _wide(data, [column, *controls], id, time, used, column)
    logs = np.log(wide[column].astype(float))
    if not panel:
        T = float(end - start)
        out = pd.DataFrame({GROWTH: (logs[end] - logs[start]) / T, INITIAL: logs[start]})
        for c in controls:
            out[c] = wide[c][start].astype(float)
        out.index.name = id
        out.attrs.update(span=T, start=start, end=end)
        return out
    if len(used) < 3:
        raise PeriodNotFoundError(f"a panel growth regression needs at least 3 periods between "
                                  f"start and end (2 growth intervals); {format_ids(used)} "
                                  "given. Use the cross-section (effects=None).")
    steps = np.diff(np.asarray(used, dtype=float))
    if not np.allclose(steps, steps[0]):
        raise InputError(f"panel growth rates need equally spaced periods; the periods "
                         f"{format_ids(used)} are spaced {format_ids(steps.tolist())}. Choose "
                         "start/end or keep equally spaced years.")
    tau = float(steps[0])
    frames = []
    for a, b in zip(used[:-1], used[1:]):
        part = pd.DataFrame({id: logs.index, time: a,
                             GROWTH: ((logs[b] - logs[a]) / tau).to_numpy(),
                             INITIAL: logs[a].to_numpy()})
        for c in controls:
            part[c] = wide[c][a].astype(float).to_numpy()
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(span=tau, start=start, end=end)
    return out


def beta_convergence(data: pd.DataFrame, column: str, *, id: str = "code",
                     time: str = "year", w: WeightsLike | None = None, model: str = "OLS",
                     controls: str | Sequence[str] | None = None,
                     start: int | float | None = None, end: int | float | None = None,
                     effects: str | None = None) -> BetaConvergence:
    r"""β-convergence of ``column``: growth on the initial log level (module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per (``id``, ``time``); not modified.
    column : str
        The level (strictly positive: its log is taken), e.g. per-capita income.
    id, time : str
        Key columns; ``time`` numeric (years).
    w : libpysal.graph.Graph or libpysal.weights.W, optional
        Weights over the ids; required for ``"SAR"``, ``"SEM"``, ``"SDM"`` and for panels
        (whose OLS is the package's panel model, which takes W for its diagnostics).
    model : {"OLS", "SAR", "SEM", "SDM"}
        The growth regression; the spatial ones are the package's models (the SDM lags
        ``log_initial`` and the controls).
    controls : str or list of str, optional
        Conditioning variables (conditional convergence), taken at the start of each growth
        interval. None: absolute convergence.
    start, end : int or float, optional
        First and last period, values of ``time`` (default: the data's first and last).
    effects : {None, "unit", "twoway"}
        None: one cross-section of growth from ``start`` to ``end``. ``"unit"`` /
        ``"twoway"``: panel of growth over consecutive periods with unit (and time) fixed
        effects; the speed then refers to the interval between periods.

    Returns
    -------
    BetaConvergence
        ``.beta``, ``.speed``, ``.half_life``, their SEs and ``.model`` (the fit).

    Raises
    ------
    PeriodNotFoundError
        ``start``/``end`` not among the periods, or units without a row in one of them.
    NonPositiveLevelError
        Levels <= 0 (names the (id, period) cells).
    MissingDataError
        Missing or infinite values in the level or the controls (names the cells).
    ModelSpecificationError
        A spatial model, or a panel, without ``w``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> y0 = np.array([1.0, 2.0, 4.0, 8.0])
    >>> y1 = y0 * np.exp(10 * (0.1 - 0.02 * np.log(y0)))   # beta = -0.02 exactly
    >>> df = pd.DataFrame({"code": [*"abcd", *"abcd"], "year": [2000] * 4 + [2010] * 4,
    ...                    "income": [*y0, *y1]})
    >>> r = beta_convergence(df, "income")
    >>> round(r.beta, 10), round(r.speed, 6), round(r.half_life, 3)
    (-0.02, 0.022314, 31.063)
    """
    check_option(model, MODELS, "model")
    check_option(effects, PANEL_EFFECTS, "effects")
    if model != "OLS" and w is None:
        raise ModelSpecificationError(f"model={model!r} is spatial and needs w= (weights over "
                                      "the ids); none was given.")
    if effects is not None and w is None:
        raise ModelSpecificationError(
            f"effects={effects!r} fits the growth panel with the package's panel models, which "
            "need w= even for model='OLS' (the weights do not enter an OLS's estimates); none "
            "was given.")
    controls = tuple(column_list(controls, name="controls")) if controls is not None else ()
    if INITIAL in controls or GROWTH in controls:
        raise InputError(f"controls must not be named {INITIAL!r} or {GROWTH!r} (the names of "
                         "the regression's own columns).")
    panel = effects is not None
    frame = growth_rates(data, column, id=id, time=time, start=start, end=end,
                         controls=list(controls), panel=panel)
    from .. import models as _models

    cls = getattr(_models, model)
    y = frame[GROWTH]
    X = frame[[INITIAL, *controls]]
    if panel:
        fitted = cls(y, X, w, data=frame, id=id, time=time, effects=effects).fit()
    else:
        fitted = cls(y, X, w).fit()
    beta = float(fitted.params[INITIAL])
    se = float(fitted.bse[INITIAL])
    span = float(frame.attrs["span"])
    sh = speed_and_half_life(beta, se, span)
    return BetaConvergence(beta=beta, speed=sh["speed"], half_life=sh["half_life"],
                           model=fitted, kind=model, start=frame.attrs["start"],
                           end=frame.attrs["end"], span=span, effects=effects,
                           controls=controls, growth=frame,
                           _bse=(se, sh["speed_std_error"], sh["half_life_std_error"]))
