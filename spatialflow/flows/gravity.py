"""Gravity baselines with origin and destination fixed effects.

- ``method="ppml"``: Poisson pseudo-maximum likelihood (Santos Silva & Tenreyro 2006),
  :math:`E[y_{od}] = \\exp(\\mu_o + \\nu_d + g_{od}'\\gamma)`, which keeps zero flows;
  heteroskedasticity-robust (HC0 sandwich) standard errors.
- ``method="ols"``: least squares of :math:`\\log y_{od}` on the same terms; zero or
  negative flows cannot be logged and are dropped with a :class:`MissingValueWarning`
  saying how many (the reason PPML is preferred).

Both are fitted by a maintained library behind this API: statsmodels (GLM Poisson / OLS
with fixed-effect dummies; the default) or pyfixest (``fepois`` / ``feols`` with absorbed
effects; install the ``flows`` extra), which agree to the IRLS tolerance.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _stats
from .._validation import check_level
from ..exceptions import InputError, MissingDataError, MissingValueWarning, OptionalDependencyError

__all__ = ["gravity", "GravityResults"]


@dataclass(frozen=True)
class GravityResults:  # numpydoc ignore=PR01
    """Coefficients of the pair variables (the fixed effects are not reported).

    Built by :func:`gravity`, not by users.

    Attributes
    ----------
    params : pandas.Series
        The coefficients of the pair variables.
    bse : pandas.Series
        Their heteroskedasticity-robust standard errors.
    nobs : int
        The number of pairs used.
    method : {"ppml", "ols"}
        The estimator.
    engine : {"statsmodels", "pyfixest"}
        The library that fitted it.
    dropped : int
        OLS: pairs dropped because their flow is zero or negative (0 for PPML).
    """

    params: pd.Series
    bse: pd.Series
    nobs: int
    method: str
    engine: str
    dropped: int = 0

    @property
    def tvalues(self) -> pd.Series:
        """The z statistics ``params / bse``."""
        return (self.params / self.bse).rename("tvalues")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of :attr:`tvalues` under the standard normal (statsmodels'
        reference with a robust covariance, either engine)."""
        return _stats.wald_pvalues(self.tvalues)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals ``params +- z bse``.

        Parameters
        ----------
        level : float, default 0.95
            Coverage, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Columns ``lower`` and ``upper``, one row per pair variable.
        """
        return _stats.wald_interval(self.params, self.bse, check_level(level))

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """The coefficients with their inference, in the tidy vocabulary.

        Parameters
        ----------
        level : float, default 0.95
            Coverage of the intervals.

        Returns
        -------
        pandas.DataFrame
            Columns ``estimate``, ``std_error``, ``statistic``, ``p_value``, ``lower``,
            ``upper``, one row per pair variable.
        """
        ci = self.conf_int(level)
        return pd.DataFrame({"estimate": self.params, "std_error": self.bse,
                             "statistic": self.tvalues, "p_value": self.pvalues,
                             "lower": ci["lower"], "upper": ci["upper"]})


def gravity(pairs: pd.DataFrame, flow: str, pair_vars: str | Sequence[str], *, orig: str = "orig",
            dest: str = "dest", method: str = "ppml",
            engine: str = "statsmodels") -> GravityResults:
    """Fit a gravity model of ``flow`` on ``pair_vars`` with origin and destination effects.

    Parameters
    ----------
    pairs : pandas.DataFrame
        One row per pair with ``orig``, ``dest``, ``flow`` and the ``pair_vars`` columns.
    flow : str
        The flow column (the response).
    pair_vars : str or list of str
        Pair regressors (e.g. ``["log_dist"]``); node characteristics are absorbed by the
        fixed effects.
    orig, dest : str
        The origin and destination id columns (their fixed effects are estimated).
    method : {"ppml", "ols"}
        PPML of the flow, or least squares of its log (zero flows dropped).
    engine : {"statsmodels", "pyfixest"}
        The library that fits the model.

    Returns
    -------
    GravityResults
        The coefficients of ``pair_vars`` and their robust standard errors.

    Raises
    ------
    InputError
        Unknown columns, options, or negative flows for PPML.
    MissingDataError
        Missing values in the columns used (named).
    """
    if method not in ("ppml", "ols"):
        raise InputError(f"method must be 'ppml' or 'ols'; {method!r} was given.")
    if engine not in ("statsmodels", "pyfixest"):
        raise InputError(f"engine must be 'statsmodels' or 'pyfixest'; {engine!r} was given.")
    pair_vars = [pair_vars] if isinstance(pair_vars, str) else list(pair_vars)
    cols = [orig, dest, flow] + pair_vars
    absent = [c for c in cols if c not in pairs.columns]
    if absent:
        raise InputError(f"column(s) {absent} are not in the pair table {list(pairs.columns)}.")
    df = pairs[cols].copy()
    bad = df[[flow] + pair_vars].isna().any()
    if bad.any():
        raise MissingDataError(f"missing values in column(s) {list(bad[bad].index)} of the pair "
                               "table.")
    y = df[flow].to_numpy(dtype=float)
    dropped = 0
    if method == "ppml":
        if (y < 0).any():
            raise InputError(f"PPML needs non-negative flows; {int((y < 0).sum())} are negative.")
    else:
        keep = y > 0
        dropped = int((~keep).sum())
        if dropped:
            warnings.warn(f"gravity OLS of log({flow}) drops {dropped} pair(s) with a zero or "
                          "negative flow; PPML keeps them.", MissingValueWarning, stacklevel=2)
        df = df.loc[keep].copy()
        df["_log_y"] = np.log(df[flow].to_numpy(dtype=float))
    df["_o"] = df[orig].astype(str)
    df["_d"] = df[dest].astype(str)
    dep = flow if method == "ppml" else "_log_y"
    if engine == "pyfixest":
        try:
            import pyfixest as pf
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise OptionalDependencyError("engine='pyfixest' needs pyfixest: pip install "
                                          "'spatialflow-econ[flows]'.") from exc
        safe = {v: f"v{i}" for i, v in enumerate(pair_vars)}
        data = df.rename(columns=safe)
        fml = f"{dep} ~ {' + '.join(safe.values())} | _o + _d"
        fit = (pf.fepois(fml, data, vcov="hetero", iwls_tol=1e-12) if method == "ppml"
               else pf.feols(fml, data, vcov="hetero"))
        inv = {v: k for k, v in safe.items()}
        params = fit.coef().rename(index=inv)
        bse = fit.se().rename(index=inv)
        nobs = int(fit._N)
    else:
        import statsmodels.api as sm

        X = pd.concat([df[pair_vars].astype(float),
                       pd.get_dummies(df["_o"], prefix="o", dtype=float),
                       pd.get_dummies(df["_d"], prefix="d", dtype=float, drop_first=True)],
                      axis=1)
        yv = df[dep].to_numpy(dtype=float)
        if method == "ppml":
            fit = sm.GLM(yv, X, family=sm.families.Poisson()).fit(cov_type="HC0", tol=1e-12)
        else:
            fit = sm.OLS(yv, X).fit(cov_type="HC1")
        params = fit.params[pair_vars]
        bse = fit.bse[pair_vars]
        nobs = int(fit.nobs)
    return GravityResults(params=pd.Series(params, name="params"), bse=pd.Series(bse, name="bse"),
                          nobs=nobs, method=method, engine=engine, dropped=dropped)
