"""Urban-rural income gap: the income ratio and the urban-rural Theil index."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import check_positive, numeric_block, raise_if_missing

__all__ = ["income_gap"]


def income_gap(
    frame: pd.DataFrame,
    *,
    urban_income: str,
    rural_income: str,
    urban_population: str | None = None,
    rural_population: str | None = None,
) -> pd.DataFrame:
    r"""Urban/rural income ratio and, given populations, the urban-rural Theil index.

    .. math::

        R = \frac{y_u}{y_r},\qquad
        T = \sum_{j\in\{u,r\}} \frac{I_j}{I}\ln\!\left(\frac{I_j/I}{P_j/P}\right),\quad
        I_j = y_j P_j,\ I = I_u + I_r,\ P = P_u + P_r,

    with per-capita disposable incomes :math:`y_j` and populations :math:`P_j` (resident
    urban and rural population). :math:`T = 0` when the two incomes are equal, and it grows
    with the gap weighted by how many people live on each side.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per unit or unit-period (any extra columns are ignored). Not modified.
    urban_income, rural_income : str
        Per-capita income columns (> 0).
    urban_population, rural_population : str, optional
        Population columns (> 0); both or neither. Without them only the ratio is returned.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame`` with ``ratio`` and (with populations) ``theil``.

    Examples
    --------
    >>> import pandas as pd
    >>> from spatialflow.measures import income_gap
    >>> gd = pd.DataFrame({"u": [56905.0], "r": [23598.0]}, index=[2022])
    >>> round(float(income_gap(gd, urban_income="u", rural_income="r")["ratio"].iloc[0]), 2)
    2.41
    """
    from ..exceptions import InputError

    if (urban_population is None) != (rural_population is None):
        raise InputError(
            "give both urban_population and rural_population, or neither; got "
            f"urban_population={urban_population!r}, rural_population={rural_population!r}."
        )
    cols = [urban_income, rural_income]
    if urban_population is not None:
        cols += [urban_population, rural_population]
    block = numeric_block(frame, cols, what="income/population")
    raise_if_missing(block, what="incomes and populations")
    check_positive(block, what="incomes and populations", why="the ratio and the Theil index "
                   "divide by them and take logs")
    out = pd.DataFrame(index=block.index)
    out["ratio"] = block[urban_income] / block[rural_income]
    if urban_population is not None:
        inc_u = block[urban_income] * block[urban_population]
        inc_r = block[rural_income] * block[rural_population]
        inc = inc_u + inc_r
        pop = block[urban_population] + block[rural_population]
        theil = 0.0
        for inc_j, pop_j in ((inc_u, block[urban_population]), (inc_r, block[rural_population])):
            share = inc_j / inc
            theil = theil + share * np.log(share / (pop_j / pop))
        out["theil"] = theil
    return out
