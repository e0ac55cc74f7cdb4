r"""Local indicators of spatial association with a false-discovery-rate cutoff: local Moran's
I (LISA) and Getis–Ord :math:`G_i^*` hot spots.

Local Moran (Anselin 1995; esda's conventions, which the tests compare against):

.. math::

    I_i = (n-1)\,\frac{z_i \sum_j w_{ij} z_j}{\sum_k z_k^2},\qquad z = y - \bar y,

with row-standardised :math:`W`; quadrants HH (:math:`z_i > 0`, lag > 0), LH, LL, HL.

Getis–Ord :math:`G_i^*` (Getis & Ord 1992; Ord & Getis 1995), binary weights with the unit
itself included (:math:`w_{ii} = 1`), for a non-negative variable:

.. math::

    G_i^* = \frac{\sum_j w_{ij} y_j}{\sum_j y_j},\qquad
    z_i = \frac{G_i^* - W_i/n}{\sqrt{\frac{W_i (n - W_i)}{n^2 (n-1)}\,\frac{s^2}{\bar y^2}}},

:math:`W_i = \sum_j w_{ij}`, :math:`s^2` the variance of :math:`y` (divisor :math:`n`)
(``esda.G_Local(star=True, transform="B")``, which computes :math:`G_i^*`, :math:`z_i` and
``p_norm``, the normal tail beyond :math:`|z_i|`).

Pseudo p-values for both: :math:`R` conditional permutations keep unit :math:`i`'s value and
draw its :math:`k_i` neighbours' values without replacement from the other :math:`n-1`
units; with :math:`L` the number of simulated statistics at or above the observed one,
:math:`p = (\min(L, R-L)+1)/(R+1)` (folded, as esda). The draws come from one seeded
:class:`numpy.random.Generator`, vectorised (esda compiles its permutation kernel with numba
on first use, a minute on a busy machine).

Significance: a unit is significant at ``alpha`` (:math:`p <` alpha), or, with ``fdr=q``,
at the Benjamini–Hochberg cutoff of :func:`esda.fdr` (:math:`p \le` cutoff): with
:math:`p_{(1)} \le \dots \le p_{(n)}`, the largest :math:`p_{(k)} \le k q / n`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..exceptions import InputError, format_ids

if TYPE_CHECKING:  # an annotation only: importing libpysal costs more than a second
    from .._typing import WeightsLike

__all__ = ["local_moran", "getis_ord", "lisa", "significance_cutoff", "QUADRANTS"]

QUADRANTS = np.array(["", "HH", "LH", "LL", "HL"], dtype=object)


def _permutation_p(W: sp.csr_matrix, observed: np.ndarray, simulate: Callable,
                   permutations: int, seed) -> np.ndarray:
    """Folded conditional-permutation pseudo p-values (module docstring).

    ``simulate(i, idx, wts)`` returns the ``permutations`` simulated statistics of unit
    ``i`` given draws ``idx`` (permutations x k_i positions of other units) and the unit's
    neighbour weights ``wts``. ``W`` has no diagonal.
    """
    n = len(observed)
    p = np.full(n, np.nan)
    if not permutations:
        return p
    rng = np.random.default_rng(seed)
    counts = np.diff(W.indptr)
    kmax = int(counts.max()) if n else 0
    # One matrix of draws shared by all units (as esda): each row is a sample of kmax
    # distinct positions among n-1; unit i maps positions >= i one up to skip itself.
    draws = np.argsort(rng.random((permutations, n - 1)), axis=1)[:, :kmax]
    for i in range(n):
        k = counts[i]
        if k == 0:
            continue
        idx = draws[:, :k]
        idx = idx + (idx >= i)
        sim = simulate(i, idx, W.data[W.indptr[i]:W.indptr[i + 1]])
        larger = int((sim >= observed[i]).sum())
        larger = min(larger, permutations - larger)
        p[i] = (larger + 1.0) / (permutations + 1.0)
    return p


def _csr_without_diagonal(W) -> sp.csr_matrix:
    W = sp.csr_matrix(W, dtype=float)
    W.setdiag(0.0)
    W.eliminate_zeros()
    W.sort_indices()
    return W


def lisa(y: pd.Series, W, *, permutations: int = 999, seed=0,
         row_standardise: bool = True) -> pd.DataFrame:
    """Local Moran of ``y`` (indexed by unit id, ordered like the rows of the matrix ``W``).

    The array-level computation behind :func:`local_moran` (which aligns libpysal weights
    to ``y`` by id), the report's LISA and
    :func:`~spatialflow.measures.local_moran_by_period`. ``W`` is row-standardised here
    (rows of islands stay zero: their lag is 0) unless ``row_standardise=False`` (weights
    already transformed by the caller).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``y``: ``Is``, ``quadrant``, ``p_sim`` (NaN with ``permutations=0``).
    """
    values = y.to_numpy(dtype=float)
    n = len(values)
    if n < 3 or not np.isfinite(values).all():
        raise InputError(f"LISA needs at least 3 finite values; {n} values, "
                         f"{int((~np.isfinite(values)).sum())} not finite.")
    W = sp.csr_matrix(W, dtype=float)
    if row_standardise:
        rows = np.asarray(W.sum(axis=1)).ravel()
        W = sp.csr_matrix(sp.diags(np.where(rows > 0, 1.0 / np.where(rows > 0, rows, 1.0),
                                            0.0)) @ W)
    W.sort_indices()
    z = values - values.mean()
    ss = float(z @ z)
    if ss == 0:
        raise InputError("LISA needs a variable that is not constant.")
    lag = W @ z
    factor = (n - 1) / ss
    Is = factor * z * lag
    q = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    p = _permutation_p(W, Is, lambda i, idx, wts: factor * z[i] * (z[idx] @ wts),
                       permutations, seed)
    return pd.DataFrame({"Is": Is, "quadrant": QUADRANTS[q], "p_sim": p}, index=y.index)


def significance_cutoff(p: np.ndarray, *, alpha: float = 0.05,
                        fdr: float | None = None) -> tuple[np.ndarray, float]:
    """Which units are significant, and the p-value cutoff used (module docstring).

    ``p < alpha`` unit by unit, or ``p <= esda.fdr(p, fdr)`` (NaN p: never significant).
    """
    p = np.asarray(p, dtype=float)
    if fdr is not None:
        if isinstance(fdr, bool) or not isinstance(fdr, (int, float)) or not 0 < fdr < 1:
            raise InputError(f"fdr must be a level in (0, 1); {fdr!r} was given.")
        import esda

        finite = p[np.isfinite(p)]
        cut = float(esda.fdr(finite, fdr)) if len(finite) else np.nan
        with np.errstate(invalid="ignore"):
            return p <= cut, cut
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise InputError(f"alpha must be a level in (0, 1); {alpha!r} was given.")
    with np.errstate(invalid="ignore"):
        return p < alpha, float(alpha)


def _aligned(y, w) -> tuple[pd.Series, sp.csr_matrix]:
    """``y`` (finite values only) and the weights on its ids, in its order."""
    from ..weights.align import weights_on

    if not isinstance(y, pd.Series):
        raise InputError("y must be a pandas Series indexed by unit id (the weights' ids); a "
                         f"{type(y).__name__} was given.")
    if not (pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)):
        raise InputError(f"y must be numeric; dtype {y.dtype} was given.")
    if y.index.has_duplicates:
        raise InputError(f"y's index (unit ids) must be unique; "
                         f"{format_ids(y.index[y.index.duplicated()].unique())} repeat.")
    y = y.astype(float)
    return y, weights_on(w, y.index)


def local_moran(y: pd.Series, w: WeightsLike, *, permutations: int = 999,
                seed: int | np.random.Generator | None = 0, alpha: float = 0.05,
                fdr: float | None = None) -> pd.DataFrame:
    """Local Moran's I of ``y`` under weights ``w`` with LISA clusters (module docstring).

    Parameters
    ----------
    y : pandas.Series
        Values by unit id; the units are a subset of ``w``'s (the weights are restricted to
        them and row-standardised again). Missing values raise: drop them first.
    w : libpysal.graph.Graph or libpysal.weights.W
        Spatial weights over the unit ids.
    permutations : int
        Conditional permutations for ``p_sim`` (0: none, every unit "ns").
    seed : int, numpy.random.Generator or None
        Seed of the permutations (:func:`numpy.random.default_rng`; None: fresh entropy).
    alpha, fdr : float
        Significance unit by unit at ``alpha``, or the Benjamini–Hochberg cutoff at FDR
        level ``fdr``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``y``: ``Is``, ``quadrant``, ``p_sim``, ``cluster`` (the quadrant
        where significant, else ``"ns"``); ``attrs["cutoff"]`` is the p-value cutoff used.
    """
    y, W = _aligned(y, w)
    out = lisa(y, W, permutations=permutations, seed=seed)
    sig, cut = significance_cutoff(out["p_sim"].to_numpy(), alpha=alpha, fdr=fdr)
    out["cluster"] = np.where(sig, out["quadrant"], "ns")
    out.attrs["cutoff"] = cut
    return out


def getis_ord(y: pd.Series, w: WeightsLike, *, permutations: int = 999,
              seed: int | np.random.Generator | None = 0, alpha: float = 0.05,
              fdr: float | None = None) -> pd.DataFrame:
    """Getis–Ord :math:`G_i^*` hot and cold spots of ``y`` under weights ``w`` (module
    docstring: esda's statistic and z-score, seeded conditional permutations).

    The weights are used as binary (any positive weight is a neighbour) with each unit its
    own neighbour, the usual :math:`G_i^*`.

    Parameters
    ----------
    y : pandas.Series
        Non-negative values by unit id; the units are a subset of ``w``'s (the weights are
        restricted to them).
    w : libpysal.graph.Graph or libpysal.weights.W
        Spatial weights over the unit ids (used as binary, with :math:`w_{ii} = 1`).
    permutations : int
        Conditional permutations for ``p_sim``; with 0, significance uses the normal
        ``p_norm``.
    seed : int, numpy.random.Generator or None
        Seed of the permutations (:func:`numpy.random.default_rng`; None: fresh entropy).
    alpha : float
        Significance level unit by unit (:math:`p <` alpha), when ``fdr`` is None.
    fdr : float, optional
        False discovery rate: significance at the Benjamini–Hochberg cutoff instead.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``y``: ``G`` (:math:`G_i^*`), ``z``, ``p_norm``, ``p_sim``, ``cluster``
        (``"hot"`` for significant :math:`z > 0`, ``"cold"`` for :math:`z < 0`, else
        ``"ns"``); ``attrs["cutoff"]`` is the p-value cutoff used.

    Raises
    ------
    InputError
        Negative values of ``y`` (G is defined for non-negative variables; use
        :func:`local_moran` for a signed one), fewer than 3 units, constant or missing ``y``.
    """
    import esda
    from libpysal.weights import WSP

    y, W = _aligned(y, w)
    v = y.to_numpy()
    n = len(v)
    if n < 3 or not np.isfinite(v).all():
        raise InputError(f"Gi* needs at least 3 finite values; {n} values, "
                         f"{int((~np.isfinite(v)).sum())} not finite.")
    neg = y.index[v < 0]
    if len(neg):
        raise InputError(f"Getis-Ord G needs non-negative values; negative at ids "
                         f"{format_ids(neg)}. Use local_moran for a signed variable.")
    if np.ptp(v) == 0:
        raise InputError("Gi* needs a variable that is not constant.")
    B = _csr_without_diagonal(W)
    B.data[:] = 1.0
    star = sp.csr_matrix(B + sp.identity(n, format="csr"))
    g = esda.G_Local(v, WSP(star).to_W(silence_warnings=True), transform="B", star=None,
                     permutations=0)
    G, z = np.asarray(g.Gs, dtype=float), np.asarray(g.Zs, dtype=float)
    total = float(v.sum())
    p_sim = _permutation_p(B, G, lambda i, idx, wts: (v[i] + v[idx] @ wts) / total,
                           permutations, seed)
    p = p_sim if permutations else np.asarray(g.p_norm, dtype=float)
    sig, cut = significance_cutoff(p, alpha=alpha, fdr=fdr)
    out = pd.DataFrame({"G": G, "z": z, "p_norm": np.asarray(g.p_norm, dtype=float),
                        "p_sim": p_sim,
                        "cluster": np.where(sig, np.where(z > 0, "hot", "cold"), "ns")},
                       index=y.index)
    out.attrs["cutoff"] = cut
    return out
