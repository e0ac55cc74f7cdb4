r"""The normal, Student t and chi-squared tail and quantile functions the estimators use.

The same ``scipy.special`` kernels that ``scipy.stats`` evaluates for these distributions
(:math:`\Phi` = ``ndtr``, :math:`\Phi^{-1}` = ``ndtri``, the t cdf ``stdtr`` and its inverse
``stdtrit``, the chi-squared survival function ``chdtrc``), so the numbers are the same, but
without importing ``scipy.stats``, which takes 0.5-0.7 s and was most of
``from spatialflow import SDM`` (issue 22). The objects mimic the small part of the
``scipy.stats`` interface the package calls (``norm.sf(x)``, ``t.ppf(q, df)``,
``chi2.sf(x, df)``, ``t(df).ppf(q)``), so a module switches by its import line only.
A leaf: imports numpy, and scipy.special (0.1 s) on the first call.
"""
from __future__ import annotations

import importlib

import numpy as np
import pandas as pd


class _Special:
    """``scipy.special``, imported on first use."""

    def __getattr__(self, name):
        return getattr(importlib.import_module("scipy.special"), name)


special = _Special()

__all__ = ["norm", "t", "chi2", "wald_pvalues", "wald_interval"]


class _Frozen:
    """A distribution with its parameters fixed (``t(df)``, ``norm()``)."""

    def __init__(self, dist, *args):
        self._dist, self._args = dist, args

    def sf(self, x):
        return self._dist.sf(x, *self._args)

    def cdf(self, x):
        return self._dist.cdf(x, *self._args)

    def ppf(self, q):
        return self._dist.ppf(q, *self._args)


class _Norm:
    """Standard normal: ``cdf`` :math:`\\Phi(x)`, ``sf`` :math:`\\Phi(-x)`, ``ppf``
    :math:`\\Phi^{-1}(q)`."""

    def __call__(self):
        return _Frozen(self)

    @staticmethod
    def cdf(x):
        return special.ndtr(np.asarray(x, dtype=float))

    @staticmethod
    def sf(x):
        return special.ndtr(-np.asarray(x, dtype=float))

    @staticmethod
    def ppf(q):
        return special.ndtri(np.asarray(q, dtype=float))


class _T:
    """Student t with ``df`` degrees of freedom."""

    def __call__(self, df):
        return _Frozen(self, df)

    @staticmethod
    def cdf(x, df):
        return special.stdtr(df, np.asarray(x, dtype=float))

    @staticmethod
    def sf(x, df):
        return special.stdtr(df, -np.asarray(x, dtype=float))

    @staticmethod
    def ppf(q, df):
        return special.stdtrit(df, np.asarray(q, dtype=float))


class _Chi2:
    """Chi-squared with ``df`` degrees of freedom (survival function only)."""

    @staticmethod
    def sf(x, df):
        # Below the support the survival function is 1, as scipy.stats returns it (the
        # kernel itself gives NaN there); NaN stays NaN.
        x = np.asarray(x, dtype=float)
        out = special.chdtrc(df, np.where(x < 0, 0.0, x))
        return np.where(x < 0, 1.0, out)[()]


norm = _Norm()
t = _T()
chi2 = _Chi2()


def wald_pvalues(tvalues: pd.Series, df: float | None = None) -> pd.Series:
    r"""Two-sided p-values :math:`2\,P(|Z| > |z_k|)` of Wald statistics (Student's t with
    ``df`` degrees of freedom when given), as a Series named ``pvalues``."""
    stat = np.abs(np.asarray(tvalues, dtype=float))
    p = 2 * (t.sf(stat, df) if df is not None else norm.sf(stat))
    return pd.Series(p, index=tvalues.index, name="pvalues")


def wald_interval(params: pd.Series, bse: pd.Series, level: float,
                  df: float | None = None) -> pd.DataFrame:
    r"""Wald intervals :math:`\hat\theta \pm q_{(1+level)/2}\,\mathrm{se}` with the normal
    quantile (Student's t with ``df`` when given): columns ``lower`` and ``upper``."""
    q = t.ppf((1 + level) / 2, df) if df is not None else norm.ppf((1 + level) / 2)
    half = q * bse
    return pd.DataFrame({"lower": params - half, "upper": params + half})
