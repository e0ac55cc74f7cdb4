r"""Randomisation inference: permuted treatment paths, one seeded stream per draw.

Unit :math:`i` receives the whole treatment path (cohort) of unit :math:`\pi(i)`, a uniform
permutation within strata; a kernel re-estimates the point effects
(:class:`~spatialflow.causal.kernel.DiDKernel`, :class:`~spatialflow.causal.rings.RingsKernel`)
on :func:`spatialflow.grid.run_grid`, draw :math:`b` with the generator
``SeedSequence(seed).spawn(n)[b]``. The two-sided p-value is

.. math::
    p = \frac{1 + \#\{b : |\hat\tau_b| \ge |\hat\tau|\}}{1 + B},

exact under the sharp null of no direct and no spillover effect for any unit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import InputError

if TYPE_CHECKING:
    from distributed import Client

    from .kernel import DiDKernel
    from .rings import RingsKernel
    from .treatment import TreatmentPaths

__all__ = ["PermutationTest", "run_permutations"]

_ROWS = ["direct", "indirect", "total"]


def run_permutations(kernel: DiDKernel | RingsKernel, paths: TreatmentPaths,
                     groups: np.ndarray, *, n: int, seed: int | np.random.SeedSequence,
                     scheduler: Client | str | None = None, executor: str = "processes",
                     max_workers: int | None = None, progress: bool = False,
                     strata: str | None = None) -> "PermutationTest":
    """``n`` permutations of ``paths`` within ``groups``, each re-estimated by the kernel.

    See the module docstring; :meth:`SpatialDiDResults.permutation_test
    <spatialflow.causal.results.SpatialDiDResults.permutation_test>` calls this.

    Parameters
    ----------
    kernel : DiDKernel or RingsKernel
        The re-estimator: ``kernel.effects_of(paths)`` gives the direct, indirect and total
        effects for any treatment paths.
    paths : TreatmentPaths
        The observed treatment paths.
    groups : numpy.ndarray
        Integer stratum codes, one per unit; paths are permuted within each code.
    n : int
        Number of permutations.
    seed : int or numpy.random.SeedSequence
        Root seed: permutation ``b`` uses ``SeedSequence(seed).spawn(n)[b]``.
    scheduler : distributed.Client or str, optional
        Run on this Dask cluster instead of locally.
    executor : {"processes", "threads", "serial"}, default "processes"
        Local executor when ``scheduler`` is None.
    max_workers : int, optional
        Local workers (default: the CPU count).
    progress : bool, default False
        Show a progress bar.
    strata : str, optional
        The name of the strata, recorded in the result.

    Returns
    -------
    PermutationTest
        The observed effects, the permuted draws and the p-values.
    """
    from ..grid import run_grid
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n must be a positive integer; {n!r} was given.")
    observed = kernel.effects_of(paths)
    rows = run_grid(_PermutationDraw(kernel, paths, groups), list(range(int(n))), seed=seed,
                    scheduler=scheduler, executor=executor, max_workers=max_workers,
                    progress=progress, desc="permutations")
    draws = pd.DataFrame(rows, columns=_ROWS)
    draws.index.name = "draw"
    return PermutationTest.from_draws(pd.Series(observed)[_ROWS], draws, strata=strata)


class _PermutationDraw:
    """One permutation (picklable for process pools and Dask)."""

    def __init__(self, kernel, paths, groups: np.ndarray):
        self.kernel, self.paths, self.groups = kernel, paths, groups

    def order(self, rng: np.random.Generator) -> np.ndarray:
        """Unit i receives the path of unit order[i]; units are shuffled within groups."""
        order = np.arange(self.paths.n)
        for g in np.unique(self.groups):
            members = np.flatnonzero(self.groups == g)
            order[members] = rng.permutation(members)
        return order

    def __call__(self, task, rng: np.random.Generator) -> dict:
        return self.kernel.effects_of(self.paths.permuted(self.order(rng)))


@dataclass(frozen=True)
class PermutationTest:  # numpydoc ignore=PR01
    """Randomisation inference for the direct, indirect and total effects.

    Attributes
    ----------
    table : DataFrame
        Indexed ``direct, indirect, total``: ``observed``, ``p_value`` (two-sided),
        ``n_permutations``, and the ``mean``/``sd`` of the permutation distribution.
    draws : DataFrame
        One row per permutation.
    strata : str or None
        The name of the strata the treatment was permuted within (None: all units).
    """

    table: pd.DataFrame
    draws: pd.DataFrame
    strata: str | None = None

    @classmethod
    def from_draws(cls, observed: pd.Series, draws: pd.DataFrame,
                   strata: str | None = None) -> PermutationTest:
        """The test from the observed effects and their permutation draws.

        The two-sided p-value is
        :math:`(1 + \\#\\{b: |\\hat\\tau_b| \\ge |\\hat\\tau|\\}) / (1 + B)`
        (ties within a relative :math:`10^{-10}` count as extreme); NaN where the observed
        effect is NaN (the total of rings).

        Parameters
        ----------
        observed : pandas.Series
            The estimated ``direct``, ``indirect`` and ``total`` effects.
        draws : pandas.DataFrame
            One row per permutation, columns ``direct``, ``indirect``, ``total``.
        strata : str, optional
            The name of the strata the treatment was permuted within.

        Returns
        -------
        PermutationTest
            The table of p-values and the draws.
        """
        B = len(draws)
        obs = observed.to_numpy(dtype=float)
        # ties within round-off count as extreme (conservative)
        tol = 1e-10 * np.maximum(1.0, np.abs(obs))
        exceed = (np.abs(draws.to_numpy(dtype=float)) >= np.abs(obs) - tol).sum(axis=0)
        p = np.where(np.isnan(obs), np.nan, (1.0 + exceed) / (1.0 + B))  # rings: no total
        table = pd.DataFrame({"observed": obs, "p_value": p,
                              "n_permutations": B,
                              "mean": draws.mean().to_numpy(), "sd": draws.std(ddof=1).to_numpy()},
                             index=pd.Index(_ROWS, name="effect"))
        return cls(table=table, draws=draws, strata=strata)

    @property
    def pvalues(self) -> pd.Series:
        """The two-sided permutation p-values of the direct, indirect and total effects."""
        return self.table["p_value"]
