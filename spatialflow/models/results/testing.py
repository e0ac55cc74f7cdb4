"""A hypothesis test's result and the Wald statistic of linear restrictions on estimates.

The building blocks that both the results' own inference (``res.wald_test``) and the
specification tests of :mod:`~spatialflow.models.diagnostics` use; they need estimates and
their covariance only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ... import _stats as stats  # scipy.stats kernels without its 0.5 s import
from ..._render import p_text
from ...exceptions import InputError, ModelSpecificationError

__all__ = ["TestResult"]


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test: its name, statistic, degrees of freedom and p-value.

    ``distribution`` names the reference distribution of the statistic under H0
    (``"chi2"`` or ``"normal"``).
    """

    __test__ = False  # keep pytest from collecting this class as a test case

    name: str
    statistic: float
    df: float
    pvalue: float
    distribution: str = "chi2"

    def __repr__(self) -> str:
        return (
            f"TestResult({self.name}: statistic={self.statistic:.6g}, "
            f"{self.distribution}(df={self.df:g}), {p_text(self.pvalue)})"
        )

    def to_series(self) -> pd.Series:
        """The test as a labelled Series (``statistic``, ``df``, ``p_value``,
        ``distribution``: the data-column words of the frames of tests)."""
        return pd.Series(
            {"statistic": self.statistic, "df": self.df, "p_value": self.pvalue,
             "distribution": self.distribution},
            name=self.name,
        )


def _chi2_result(name: str, statistic: float, df: float) -> TestResult:
    return TestResult(name, float(statistic), float(df),
                      float(stats.chi2.sf(statistic, df)), "chi2")


def _frame(results: Sequence[TestResult]) -> pd.DataFrame:
    out = pd.DataFrame(
        {"statistic": [r.statistic for r in results], "df": [r.df for r in results],
         "p_value": [r.pvalue for r in results]},
        index=pd.Index([r.name for r in results], name="test"),
    )
    return out


def _restriction_matrix(R, names: pd.Index) -> np.ndarray:
    if isinstance(R, str):
        R = [R]
    if isinstance(R, (list, tuple)) and all(isinstance(r, str) for r in R):
        missing = [r for r in R if r not in names]
        if missing:
            raise InputError(
                f"restricted parameters must be among {list(names)}; "
                f"{missing} were given."
            )
        out = np.zeros((len(R), len(names)))
        for i, r in enumerate(R):
            out[i, names.get_loc(r)] = 1.0
        return out
    if isinstance(R, pd.DataFrame):
        extra = R.columns.difference(names, sort=False)
        if len(extra):
            raise InputError(
                f"the columns of R must be parameter names {list(names)}; "
                f"unknown columns {list(extra)}."
            )
        return R.reindex(columns=names, fill_value=0.0).to_numpy(dtype=float)
    R = np.atleast_2d(np.asarray(R, dtype=float))
    if R.shape[1] != len(names):
        raise InputError(
            f"R must have one column per parameter ({len(names)}: {list(names)}); "
            f"{R.shape[1]} were given."
        )
    return R


def _wald(g: np.ndarray, V: np.ndarray, name: str) -> TestResult:
    rank = np.linalg.matrix_rank(V)
    if rank < V.shape[0]:
        raise ModelSpecificationError(
            f"the restrictions of {name!r} are linearly dependent or their covariance is "
            f"singular (rank {rank} < {V.shape[0]} restrictions)."
        )
    stat = float(g @ np.linalg.solve(V, g))
    return _chi2_result(name, stat, V.shape[0])
