"""Data envelopment analysis and the Malmquist productivity index (scipy HiGHS LPs)."""
from __future__ import annotations

import warnings
from typing import Literal, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from ..exceptions import ConvergenceWarning, InputError, UnbalancedPanelError, format_ids
from .._validation import check_option
from ._validation import (
    check_panel_keys,
    check_positive,
    column_list,
    numeric_block,
    raise_if_missing,
)

__all__ = ["dea_efficiency", "malmquist"]


def _farrell(x0, y0, xref, yref, *, vrs: bool, orientation: str) -> float:
    """Farrell efficiency of (x0, y0) against the reference technology (xref, yref).

    Input orientation: min theta s.t. X lam <= theta x0, Y lam >= y0, lam >= 0 (+ sum lam = 1).
    Output orientation: max phi s.t. X lam <= x0, Y lam >= phi y0; returns 1/phi, which under
    CRS equals the input theta and is Shephard's output distance function D_o(x0, y0).
    Returns NaN when the LP is infeasible (possible only for VRS across periods).
    """
    m, n = xref.shape
    s = yref.shape[0]
    c = np.zeros(n + 1)
    if orientation == "input":
        c[0] = 1.0
        a_ub = np.block([[-x0[:, None], xref], [np.zeros((s, 1)), -yref]])
        b_ub = np.concatenate([np.zeros(m), -y0])
    else:
        c[0] = -1.0
        a_ub = np.block([[np.zeros((m, 1)), xref], [y0[:, None], -yref]])
        b_ub = np.concatenate([x0, np.zeros(s)])
    a_eq = b_eq = None
    if vrs:
        a_eq = np.concatenate([[0.0], np.ones(n)])[None, :]
        b_eq = np.array([1.0])
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                  bounds=[(0, None)] * (n + 1), method="highs")
    if res.status != 0:
        return np.nan
    score = res.x[0]
    return score if orientation == "input" else 1.0 / score


def _farrell_batch(x0, y0, xref, yref, *, vrs: bool, orientation: str) -> np.ndarray:
    """Farrell efficiencies of the K columns of (x0, y0) against one reference technology.

    The K LPs are independent, so they are stacked into one block-diagonal sparse LP whose
    objective is the sum of the K objectives: its optimum is the K optima side by side.
    One HiGHS call instead of K removes scipy's per-call overhead (~5 ms), which dominated.
    If the stacked LP is not solved (an infeasible block, e.g. VRS across periods), each
    unit is solved alone so that only the infeasible ones become NaN.
    """
    m, n = xref.shape
    s = yref.shape[0]
    k = x0.shape[1]
    eye = sp.identity(k, format="csr")

    def column_blocks(values, offset):
        # Unit o's own vector sits in rows offset + o*len .. and column o.
        rows_per = values.shape[0]
        rows = offset + np.arange(rows_per * k)
        cols = np.repeat(np.arange(k), rows_per)
        return sp.csr_matrix((values.T.ravel(), (rows, cols)), shape=((m + s) * k, k))

    if orientation == "input":
        theta_cols = column_blocks(-x0, 0)
        lam = sp.vstack([sp.kron(eye, xref), sp.kron(eye, -yref)])
        b_ub = np.concatenate([np.zeros(m * k), -y0.T.ravel()])
        c = np.concatenate([np.ones(k), np.zeros(n * k)])
    else:
        theta_cols = column_blocks(y0, m * k)
        lam = sp.vstack([sp.kron(eye, xref), sp.kron(eye, -yref)])
        b_ub = np.concatenate([x0.T.ravel(), np.zeros(s * k)])
        c = np.concatenate([-np.ones(k), np.zeros(n * k)])
    a_ub = sp.hstack([theta_cols, lam]).tocsc()
    a_eq = b_eq = None
    if vrs:
        a_eq = sp.hstack([sp.csr_matrix((k, k)), sp.kron(eye, np.ones((1, n)))]).tocsc()
        b_eq = np.ones(k)
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None),
                  method="highs")
    if res.status != 0:
        return np.array([
            _farrell(x0[:, o], y0[:, o], xref, yref, vrs=vrs, orientation=orientation)
            for o in range(k)
        ])
    score = res.x[:k]
    return score if orientation == "input" else 1.0 / score


def _blocks(frame, inputs, outputs):
    inputs = column_list(inputs, name="inputs")
    outputs = column_list(outputs, name="outputs")
    if not inputs or not outputs:
        raise InputError(f"DEA needs at least one input and one output; inputs={inputs}, "
                         f"outputs={outputs} were given.")
    overlap = set(inputs) & set(outputs)
    if overlap:
        raise InputError(f"a column cannot be both input and output: {format_ids(overlap)}.")
    block = numeric_block(frame, inputs + outputs, what="DEA input/output")
    raise_if_missing(block, what="DEA inputs and outputs")
    check_positive(block, what="DEA inputs and outputs",
                   why="radial efficiency is defined for positive quantities")
    return block[inputs].to_numpy().T, block[outputs].to_numpy().T


def dea_efficiency(
    frame: pd.DataFrame,
    *,
    inputs: Sequence[str],
    outputs: Sequence[str],
    returns: Literal["crs", "vrs"] = "crs",
    orientation: Literal["input", "output"] = "input",
) -> pd.Series:
    r"""Farrell technical efficiency of each unit by DEA (CCR for CRS, BCC for VRS).

    Input orientation, for unit :math:`o` with inputs :math:`x_o` and outputs :math:`y_o`:

    .. math::

        \theta_o = \min_{\theta,\lambda}\ \theta\quad \text{s.t.}\quad
        \sum_j \lambda_j x_j \le \theta x_o,\ \sum_j \lambda_j y_j \ge y_o,\ \lambda \ge 0
        \ \left(\text{VRS: } \textstyle\sum_j \lambda_j = 1\right).

    Output orientation solves :math:`\max \phi` with :math:`\sum_j\lambda_j x_j \le x_o`,
    :math:`\sum_j \lambda_j y_j \ge \phi y_o` and reports :math:`1/\phi`. Efficiencies lie in
    (0, 1]; units on the frontier score 1 (CRS: both orientations agree). Each unit's LP is
    solved with ``scipy.optimize.linprog(method="highs")`` (the units' independent LPs
    stacked block-diagonally into one sparse LP).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per decision-making unit (one period). Not modified.
    inputs, outputs : sequence of str
        Column names; all values must be > 0.
    returns : {"crs", "vrs"}
    orientation : {"input", "output"}

    Returns
    -------
    pandas.Series
        ``efficiency`` indexed like ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> from spatialflow.measures import dea_efficiency
    >>> df = pd.DataFrame({"x": [2.0, 4.0], "y": [2.0, 2.0]})
    >>> dea_efficiency(df, inputs=["x"], outputs=["y"]).tolist()
    [1.0, 0.5]
    """
    check_option(returns, ("crs", "vrs"), "returns")
    check_option(orientation, ("input", "output"), "orientation")
    x, y = _blocks(frame, inputs, outputs)
    eff = _farrell_batch(x, y, x, y, vrs=returns == "vrs", orientation=orientation)
    # The LP optimum is 1 up to HiGHS' tolerance for frontier units; clip the 1 + 1e-9 noise.
    eff = np.minimum(np.asarray(eff, dtype=float), 1.0)
    return pd.Series(eff, index=frame.index.copy(), name="efficiency")


def malmquist(
    frame: pd.DataFrame,
    *,
    inputs: Sequence[str],
    outputs: Sequence[str],
    id: str,
    time: str,
    returns: Literal["crs", "vrs"] = "crs",
    orientation: Literal["input", "output"] = "input",
) -> pd.DataFrame:
    r"""DEA-Malmquist productivity index between adjacent periods, with its decomposition.

    With Shephard distance functions :math:`D^s(x^t, y^t)` of period-``t`` data against the
    period-``s`` CRS frontier (Färe, Grosskopf, Norris & Zhang 1994):

    .. math::

        M = \left[\frac{D^{t}(x^{t+1},y^{t+1})}{D^{t}(x^{t},y^{t})}\,
                  \frac{D^{t+1}(x^{t+1},y^{t+1})}{D^{t+1}(x^{t},y^{t})}\right]^{1/2}
          = \underbrace{\frac{D^{t+1}(x^{t+1},y^{t+1})}{D^{t}(x^{t},y^{t})}}_{EC}\;
            \underbrace{\left[\frac{D^{t}(x^{t+1},y^{t+1})}{D^{t+1}(x^{t+1},y^{t+1})}\,
            \frac{D^{t}(x^{t},y^{t})}{D^{t+1}(x^{t},y^{t})}\right]^{1/2}}_{TC}.

    :math:`M > 1` is productivity growth. The index is always built on the CRS technology
    (as in Färe et al. 1994 and Coelli's DEAP). With ``returns="vrs"`` the efficiency change is
    further split into pure efficiency change and scale efficiency change,
    :math:`EC = PEC \times SEC`, :math:`PEC = D_{v}^{t+1}(x^{t+1},y^{t+1}) / D_v^{t}(x^t,y^t)`
    (VRS frontiers, the chosen orientation).

    Parameters
    ----------
    frame : pandas.DataFrame
        Balanced long panel with ``id`` and ``time`` columns. Not modified.
    inputs, outputs : sequence of str
        E.g. ``["capital", "labour"]`` and ``["real_gdp"]``; values > 0.
    id, time : str
        Panel keys; periods are taken in sorted order and compared pairwise (t, t+1).
    returns : {"crs", "vrs"}
    orientation : {"input", "output"}
        Matters only for the VRS split (CRS distances are orientation-free).

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per unit and period pair: ``id``, ``period_from``, ``period`` (the later
        one), ``effch``, ``techch``, ``tfpch`` (= effch x techch), and with ``returns="vrs"``
        ``pech`` and ``sech``. Cross-period LPs that are infeasible give NaN with a
        :class:`ConvergenceWarning`.

    Raises
    ------
    UnbalancedPanelError
        Some unit is missing in some period (the message names them).
    PanelError, InputError, MissingDataError
        Duplicated keys, fewer than 2 periods, non-positive or missing values.
    """
    check_option(returns, ("crs", "vrs"), "returns")
    check_option(orientation, ("input", "output"), "orientation")
    check_panel_keys(frame, id, time)
    x_all, y_all = _blocks(frame, inputs, outputs)
    periods = np.sort(pd.unique(frame[time]))
    if len(periods) < 2:
        raise InputError(f"the Malmquist index needs at least 2 periods; {list(periods)} given.")
    units = pd.unique(frame[id])
    counts = frame.groupby(id, sort=False)[time].count()
    short = counts.index[counts != len(periods)]
    if len(short):
        raise UnbalancedPanelError(
            f"the Malmquist index needs every unit in every period {list(periods)}; "
            f"incomplete units: {format_ids(short)}."
        )
    position = pd.Series(np.arange(len(frame)), index=pd.MultiIndex.from_frame(frame[[id, time]]))

    def data(t):
        cols = position.loc[[(u, t) for u in units]].to_numpy()
        return x_all[:, cols], y_all[:, cols]

    rows = []
    infeasible = 0
    vrs = returns == "vrs"
    for t0, t1 in zip(periods[:-1], periods[1:]):
        x0, y0 = data(t0)
        x1, y1 = data(t1)
        d00 = _farrell_batch(x0, y0, x0, y0, vrs=False, orientation="input")
        d11 = _farrell_batch(x1, y1, x1, y1, vrs=False, orientation="input")
        d01 = _farrell_batch(x1, y1, x0, y0, vrs=False, orientation="input")  # t+1 on t
        d10 = _farrell_batch(x0, y0, x1, y1, vrs=False, orientation="input")  # t on t+1
        effch = d11 / d00
        techch = np.sqrt((d01 / d11) * (d00 / d10))
        block = pd.DataFrame({id: units, "period_from": t0, "period": t1, "effch": effch,
                              "techch": techch, "tfpch": effch * techch})
        if vrs:
            v00 = _farrell_batch(x0, y0, x0, y0, vrs=True, orientation=orientation)
            v11 = _farrell_batch(x1, y1, x1, y1, vrs=True, orientation=orientation)
            block["pech"] = v11 / v00
            block["sech"] = block["effch"] / block["pech"]
        infeasible += int(block["tfpch"].isna().sum())
        rows.append(block)
    if infeasible:
        warnings.warn(f"{infeasible} Malmquist index value(s) are NaN: a cross-period LP was "
                      "infeasible.", ConvergenceWarning, stacklevel=2)
    return pd.concat(rows, ignore_index=True)
