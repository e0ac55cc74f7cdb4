r"""Discrete and spatial Markov chains of relative levels (giddy behind our API).

Each unit's relative level :math:`r_{it} = y_{it} / \bar y_t` (``relative=True``, the usual
choice for a trending level: Quah 1993, Rey 2001) is put into one of :math:`k` classes by the
quantiles of all unit-periods pooled (``mapclassify.Quantiles``, as giddy's ``fixed=True``);
the transition counts :math:`n_{ij}` between consecutive periods give the maximum-likelihood
transition probabilities :math:`\hat p_{ij} = n_{ij} / \sum_j n_{ij}`
(``giddy.markov.Markov``), whose steady state :math:`\pi = \pi P` and mean first passage times
come from ``giddy.ergodic``.

Spatial Markov (Rey 2001): the same transitions, each conditioned on the class of the unit's
spatial lag :math:`\sum_j w_{ij} r_{jt}` in the origin period (:math:`k` lag classes by pooled
quantiles), one matrix :math:`P(l)` per lag class (``giddy.markov.Spatial_Markov``). The
homogeneity tests of Bickenbach & Bode (2003), as giddy computes them: :math:`H_0`:
:math:`P(l) = P` for every lag class :math:`l`,

.. math::

    Q = \sum_l \sum_i \sum_j n_{l,i}\,\frac{(\hat p_{l,ij} - \hat p_{ij})^2}{\hat p_{ij}},
    \qquad
    LR = 2 \sum_l \sum_i \sum_j n_{l,ij} \ln\frac{\hat p_{l,ij}}{\hat p_{ij}},

both :math:`\chi^2` with the degrees of freedom giddy counts (cells with
:math:`\hat p_{ij} > 0` and observed origins). Rows of classes never observed as an origin are
filled with a 1 on the diagonal (giddy's ``fill_empty_classes=True``) so that every matrix is
stochastic; the tests use the counts and are not affected.

With few periods (e.g. two censuses: one transition per unit) these are descriptive: a
:class:`~spatialflow.exceptions.ThinDataWarning` says so, and ``result.thin`` is True.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import InputError, ThinDataWarning
from .dynamics import wide_panel

if TYPE_CHECKING:  # an annotation only: importing libpysal costs more than a second
    from .._typing import WeightsLike

__all__ = ["MarkovChain", "SpatialMarkov", "markov_chain", "spatial_markov", "long_run"]

#: fewer transitions per cell of a k x k matrix than this reads as thin
THIN_PER_CELL = 5


def _classes(R: pd.DataFrame, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Class ids (units x periods) by pooled quantiles, and the upper bounds of the
    classes (the last is the maximum)."""
    import mapclassify as mc

    q = mc.Quantiles(R.to_numpy().ravel(), k=k)
    return q.yb.reshape(R.shape), np.asarray(q.bins)


def _check_k(k, R):
    if not (isinstance(k, (int, np.integer)) and k >= 2):
        raise InputError(f"k (the number of classes) must be an integer >= 2; {k!r} was given.")
    if R.shape[1] < 2:
        raise InputError(f"a Markov chain needs at least 2 periods; the data have "
                         f"{R.shape[1]}.")
    distinct = np.unique(R.to_numpy()).size
    if distinct < k:
        # mapclassify would silently use fewer classes
        raise InputError(f"k={k} classes need at least {k} distinct values of the (relative) "
                         f"level; the data have {distinct}.")


def long_run(P: np.ndarray, labels) -> tuple[pd.Series, pd.DataFrame]:
    r"""Steady state :math:`\pi = \pi P` and mean first passage times of a transition matrix
    (``giddy.ergodic``). A matrix with several recurrent classes has no single steady state:
    NaN then (with a :class:`~spatialflow.exceptions.ThinDataWarning`)."""
    from giddy.ergodic import mfpt, steady_state

    P = np.asarray(P, dtype=float)
    k = P.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            pi = np.asarray(steady_state(P, fill_empty_classes=True), dtype=float)
        except np.linalg.LinAlgError:
            pi = np.full((2, k), np.nan)
        try:
            M = np.asarray(mfpt(P, fill_empty_classes=True), dtype=float)
        except np.linalg.LinAlgError:
            # a class that is never left (absorbing, e.g. observed once): passage times to
            # and from it are not all finite and giddy's solve is singular
            warnings.warn("mean first passage times not computed: the chain has an absorbing "
                          "class (singular system).", ThinDataWarning, stacklevel=3)
            M = np.full((k, k), np.nan)
    if pi.ndim == 2:
        warnings.warn(f"the chain is reducible ({pi.shape[0]} recurrent classes or more): no "
                      "single steady state.", ThinDataWarning, stacklevel=3)
        pi = np.full(k, np.nan)
    labels = list(labels)
    return (pd.Series(pi, index=labels, name="steady_state"),
            pd.DataFrame(M, index=labels, columns=labels))


def _relative(data, column, id, time, relative):
    X = wide_panel(data, column, id=id, time=time, positive=relative)
    return X / X.mean(axis=0) if relative else X


def _thin(T: np.ndarray, n_periods: int, what: str) -> bool:
    thin = n_periods < 3 or T.sum() < THIN_PER_CELL * T.size
    if thin:
        shape = " x ".join(str(s) for s in T.shape)
        warnings.warn(f"{what}: {int(T.sum())} transitions over {n_periods - 1} period "
                      f"step(s) for {shape} cells; read the probabilities as descriptive, "
                      "not as a long-run forecast.", ThinDataWarning, stacklevel=3)
    return thin


# Built by markov_chain(), never by users: the fields are documented under Attributes
# (tests/test_docstrings.py checks that every field is), not as constructor parameters.
@dataclass(frozen=True)
class MarkovChain:  # numpydoc ignore=PR01
    """Result of :func:`markov_chain`.

    Attributes
    ----------
    P : pandas.DataFrame
        Transition probabilities, origin class (rows) to destination class.
    transitions : pandas.DataFrame
        Counts :math:`n_{ij}`.
    steady_state : pandas.Series
        :math:`\\pi` (NaN for a reducible chain).
    mfpt : pandas.DataFrame
        Mean first passage times (periods; the diagonal: recurrence times).
    bins : numpy.ndarray
        Upper bound of each class (relative level; the last is the maximum).
    initial, final : pandas.Series
        Share of units per class in the first and last period.
    thin : bool
        Too few transitions to read as a forecast (module docstring).
    classes : pandas.DataFrame
        Class id (0 = C1, the lowest) of every unit (rows) in every period (columns).
    """

    P: pd.DataFrame
    transitions: pd.DataFrame
    steady_state: pd.Series
    mfpt: pd.DataFrame
    bins: np.ndarray
    initial: pd.Series
    final: pd.Series
    thin: bool
    classes: pd.DataFrame = field(repr=False, default=None)


def _labels(k):
    return [f"C{j + 1}" for j in range(k)]


def markov_chain(data: pd.DataFrame, column: str, *, id: str = "code", time: str = "year",
                 k: int = 5, relative: bool = True) -> MarkovChain:
    r"""Discrete Markov chain of the relative level in ``k`` pooled-quantile classes
    (module docstring; ``giddy.markov.Markov``).

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel (not modified).
    column : str
        The level (strictly positive when ``relative``).
    id, time : str
        Unit and period columns.
    k : int
        Number of classes (C1 lowest).
    relative : bool
        Divide by each period's cross-sectional mean first.

    Returns
    -------
    MarkovChain
        Transition probabilities :math:`\hat p_{ij} = n_{ij} / \sum_j n_{ij}`, counts,
        steady state and mean first passage times.
    """
    from giddy.markov import Markov

    R = _relative(data, column, id, time, relative)
    _check_k(k, R)
    ids, bins = _classes(R, k)
    k = len(bins)
    labels = _labels(k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # empty rows: filled below
        m = Markov(ids, classes=np.arange(k), fill_empty_classes=True, summary=False)
    pi, M = long_run(np.asarray(m.p), labels)
    thin = _thin(np.asarray(m.transitions), R.shape[1], "Markov chain")
    def share(col):
        return pd.Series(np.bincount(col, minlength=k) / len(col), index=labels)

    return MarkovChain(
        P=pd.DataFrame(np.asarray(m.p), index=labels, columns=labels),
        transitions=pd.DataFrame(np.asarray(m.transitions), index=labels, columns=labels),
        steady_state=pi, mfpt=M, bins=bins, initial=share(ids[:, 0]), final=share(ids[:, -1]),
        thin=thin, classes=pd.DataFrame(ids, index=R.index, columns=R.columns))


# Built by spatial_markov(), never by users (fields documented under Attributes).
@dataclass(frozen=True)
class SpatialMarkov:  # numpydoc ignore=PR01
    r"""Result of :func:`spatial_markov`.

    Attributes
    ----------
    Q, Q_p_value, LR, LR_p_value : float
        Homogeneity tests across lag classes (module docstring) and their
        :math:`\chi^2` p-values.
    dof : int
        Degrees of freedom of both tests (as giddy counts them).
    steady_state : pandas.DataFrame
        Steady state of each lag class's chain: rows = neighbours' class, columns = own class
        (NaN row: reducible).
    P : dict
        Lag class (``"L1"``, ...) -> transition matrix :math:`P(l)` (DataFrame).
    transitions : dict
        Lag class -> transition counts :math:`n_{l,ij}` (DataFrame).
    chain : MarkovChain
        The chain without conditioning (same classes).
    bins : numpy.ndarray
        Upper bounds of the classes of the (relative) level.
    lag_bins : numpy.ndarray
        Upper bounds of the lag classes.
    thin : bool
        Too few transitions to read as a forecast (module docstring).
    giddy : giddy.markov.Spatial_Markov
        The underlying giddy object, for everything not mirrored here.
    """

    Q: float
    Q_p_value: float
    LR: float
    LR_p_value: float
    dof: int
    steady_state: pd.DataFrame
    P: dict
    transitions: dict
    chain: MarkovChain
    bins: np.ndarray
    lag_bins: np.ndarray
    thin: bool
    giddy: object = field(repr=False, default=None)

    def long_table(self) -> pd.DataFrame:
        r"""The conditional transition matrices as one long table.

        Returns
        -------
        pandas.DataFrame
            One row per (neighbours' class, origin class): ``neighbours``, ``from``,
            ``transitions`` (count of transitions out of the origin) and one column
            ``to C<j>`` per destination class with :math:`\hat p_{l,ij}`.
        """
        rows = []
        for lag, P in self.P.items():
            T = self.transitions[lag]
            for origin in P.index:
                rows.append({"neighbours": lag, "from": origin,
                             "transitions": int(T.loc[origin].sum()),
                             **{f"to {c}": float(P.loc[origin, c]) for c in P.columns}})
        return pd.DataFrame(rows)


def spatial_markov(data: pd.DataFrame, column: str, w: WeightsLike, *, id: str = "code",
                   time: str = "year", k: int = 5, relative: bool = True) -> SpatialMarkov:
    """Spatial Markov chain with the Q and LR homogeneity tests (module docstring;
    ``giddy.markov.Spatial_Markov`` with ``fixed=True``, ``k = m``).

    Parameters
    ----------
    data : pandas.DataFrame
        Long balanced panel (not modified).
    column : str
        The level (strictly positive when ``relative``).
    w : libpysal.graph.Graph or libpysal.weights.W
        Weights over the ids (aligned by id; row-standardised by giddy's lag as given).
    id, time : str
        Unit and period columns.
    k : int
        Classes of the level and of its spatial lag.
    relative : bool
        Divide by each period's cross-sectional mean first.

    Returns
    -------
    SpatialMarkov
        ``.Q``, ``.Q_p_value``, ``.LR``, ``.LR_p_value``, ``.steady_state`` and more.
    """
    import libpysal
    from giddy.markov import Spatial_Markov

    from ..weights.align import weights_on

    R = _relative(data, column, id, time, relative)
    _check_k(k, R)
    S = weights_on(w, R.index).tocsr()
    wobj = libpysal.weights.WSP(S, id_order=list(R.index)).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sm = Spatial_Markov(R.to_numpy(), wobj, k=k, m=k, fixed=True, fill_empty_classes=True)
        Q, Qp, LR, LRp, dof = (float(sm.Q), float(sm.Q_p_value), float(sm.LR),
                               float(sm.LR_p_value), int(sm.dof_hom))
    kk = int(sm.k)
    labels = _labels(kk)
    lag_labels = [f"L{j + 1}" for j in range(int(sm.m))]
    P = {lab: pd.DataFrame(np.asarray(sm.P[j], dtype=float), index=labels, columns=labels)
         for j, lab in enumerate(lag_labels)}
    T = {lab: pd.DataFrame(np.asarray(sm.T[j], dtype=float), index=labels, columns=labels)
         for j, lab in enumerate(lag_labels)}
    steady = []
    for lab in lag_labels:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ThinDataWarning)
            steady.append(long_run(P[lab].to_numpy(), labels)[0].rename(lab))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThinDataWarning)
        chain = markov_chain(data, column, id=id, time=time, k=k, relative=relative)
    thin = _thin(np.asarray(sm.T), R.shape[1], "spatial Markov chain")
    return SpatialMarkov(Q=Q, Q_p_value=Qp, LR=LR, LR_p_value=LRp, dof=dof,
                         steady_state=pd.DataFrame(steady), P=P, transitions=T, chain=chain,
                         bins=np.asarray(sm.cutoffs, dtype=float),
                         lag_bins=np.asarray(sm.lag_cutoffs, dtype=float), thin=thin, giddy=sm)
