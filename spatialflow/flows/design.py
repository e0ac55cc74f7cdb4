"""Regressors of a flow model kept in their relational form, and their moments.

A regressor of the ``N`` flows is never expanded to an ``N``-vector: it is a :class:`Term`
of one of five kinds, each an ``n x n`` matrix ``A[o, d]`` in compact form::

    const  A = 1 1'          orig  A = a 1'  (origin characteristic a)
    dest   A = 1 b'          intra A = diag(c)  (intra-regional characteristic)
    pair   A = P  (a pair variable, the flows and their lags)

The inner product of two regressors over the sample ``M`` (a 0/1 matrix, all ones when the
design is Cartesian) is :math:`\\langle A, B \\rangle_M = \\sum_{o,d} M_{od} A_{od} B_{od}`;
:func:`inner` evaluates it from the compact forms in ``O(n)`` for two node terms and
``O(n^2)`` when a pair term is involved (LeSage & Pace 2008; Dargel 2021, whose R package
spflow computes its moments the same way). All moment matrices of OLS, ML and S2SLS are
such inner products.

Regressors follow spflow's construction (names included, so that results line up with R):
``D_x`` and ``O_x`` with their spatial lags ``D_x.lag1 = W x`` (destination) and
``O_x.lag1 = W x`` (origin) unless ``lags=False``; ``I_x`` unlagged (spflow's ``"same"``
shortcut does not lag intra-regional variables); ``P_g`` for pair variables. S2SLS
instruments, as spflow's defaults: two further lags of each node variable, the double lags
``W G W'`` and ``W^2 G W'^2`` of each pair variable, and eight lags of the intra-regional
indicator.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .logdet import row_blocks

__all__ = ["Term", "inner", "gram", "Design"]

KINDS = ("const", "orig", "dest", "intra", "pair")


@dataclass(frozen=True)
class Term:
    """One regressor (or instrument, or flow lag) in compact form."""

    name: str
    kind: str
    value: np.ndarray | float

    def dense(self, n: int) -> np.ndarray:
        """The ``n x n`` matrix (for tests and small examples only)."""
        one = np.ones(n)
        if self.kind == "const":
            return np.ones((n, n))
        if self.kind == "orig":
            return np.outer(self.value, one)
        if self.kind == "dest":
            return np.outer(one, self.value)
        if self.kind == "intra":
            return np.diag(self.value)
        return np.asarray(self.value, dtype=float)


class SampleSums:
    """Row, column and diagonal counts of the sample used by :func:`inner`."""

    def __init__(self, mask: np.ndarray | None, n: int):
        self.n = n
        self.mask = None if mask is None else mask.astype(float)
        if mask is None:
            self.rows = np.full(n, float(n))
            self.cols = np.full(n, float(n))
            self.diag = np.ones(n)
        else:
            self.rows = self.mask.sum(axis=1)
            self.cols = self.mask.sum(axis=0)
            self.diag = np.diag(self.mask).copy()

    def masked(self, P: np.ndarray) -> np.ndarray:
        return P if self.mask is None else P * self.mask


def _node_vector(t: Term, n: int) -> np.ndarray:
    return np.ones(n) if t.kind == "const" else np.asarray(t.value, dtype=float)


def inner(a: Term, b: Term, s: SampleSums) -> float:
    """:math:`\\sum_{o,d} M_{od} A_{od} B_{od}` from the compact forms of ``a`` and ``b``."""
    order = {k: i for i, k in enumerate(KINDS)}
    if order[a.kind] > order[b.kind]:
        a, b = b, a
    ka = "orig" if a.kind == "const" else a.kind
    kb = "orig" if b.kind == "const" else b.kind
    n = s.n
    if kb == "pair":
        P = s.masked(np.asarray(b.value))
        if ka == "pair":
            return float(np.vdot(np.asarray(a.value), P))
        x = _node_vector(a, n)
        if ka == "orig":
            return float(x @ P.sum(axis=1))
        if ka == "dest":
            return float(P.sum(axis=0) @ x)
        return float(x @ np.diag(P))  # intra
    x, y = _node_vector(a, n), _node_vector(b, n)
    if ka == "orig" and kb == "orig":
        return float(np.sum(x * y * s.rows))
    if ka == "orig" and kb == "dest":
        return float(x.sum() * y.sum()) if s.mask is None else float(x @ s.mask @ y)
    if ka == "dest" and kb == "dest":
        return float(np.sum(x * y * s.cols))
    return float(np.sum(x * y * s.diag))  # any node term with an intra term


def gram(left: list[Term], right: list[Term], s: SampleSums) -> np.ndarray:
    """The matrix of :func:`inner` products ``left x right``."""
    out = np.empty((len(left), len(right)))
    same = left is right
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            if same and j < i:
                out[i, j] = out[j, i]
            else:
                out[i, j] = inner(a, b, s)
    return out


def _right_lag(P: np.ndarray, W: sp.csr_matrix) -> np.ndarray:
    """:math:`P W'` by blocks of rows of ``P`` (``(W P_b')'`` for each block ``P_b``), so that
    no transposed copy of the whole ``n x n`` matrix is made."""
    P = np.asarray(P)
    out = np.empty(P.shape, dtype=np.result_type(P, W.dtype))
    for rows in row_blocks(P.shape[0], P.shape[1]):
        out[rows] = np.asarray(W @ P[rows].T).T
    return out


def lag_pair(P: np.ndarray, W: sp.csr_matrix, side: str, mask=None) -> np.ndarray:
    """Spatial lags of an ``n x n`` pair matrix: ``"d"`` = P W', ``"o"`` = W P, ``"w"`` = W P W'.

    In a non-Cartesian sample the lag is taken over the zero-filled matrix and then
    restricted to the sample, as spflow does.
    """
    if side == "o":
        out = np.asarray(W @ P)
    else:
        out = _right_lag(P, W)
        if side == "w":
            out = np.asarray(W @ out)
    if mask is not None:
        out *= mask
    return out


def flow_lags(y: np.ndarray, W: sp.csr_matrix, mask=None) -> tuple[np.ndarray, ...]:
    """The three lags ``(y W', W y, W y W')`` of the flows (each as :func:`lag_pair`), with
    ``W y W'`` taken from the unrestricted ``y W'``: three sparse products, no ``n x n``
    temporaries beyond the results."""
    yd = _right_lag(y, W)
    yw = np.asarray(W @ yd)
    yo = np.asarray(W @ y)
    if mask is not None:
        for lag in (yd, yo, yw):
            lag *= mask
    return yd, yo, yw


@dataclass
class Design:
    """The terms of a flow model: regressors ``Z``, instruments ``H`` and flows ``Y``.

    ``flows`` holds ``y`` and its three lags ``W_d y``, ``W_o y``, ``W_w y`` (as pair terms);
    the variant decides which lags enter.
    """

    Z: list
    H: list
    flows: list

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.Z]


def node_terms(part: str, frame, W: sp.csr_matrix, *, lags: int, instruments: int,
               kind: str) -> tuple[list[Term], list[Term]]:
    """Terms of one node part: each variable, its ``lags`` spatial lags (regressors) and
    ``instruments`` further lags (instruments), named as spflow names them."""
    regs, insts = [], []
    for col in frame.columns:
        x = frame[col].to_numpy(dtype=float)
        name = f"{part}{col}"
        regs.append(Term(name, kind, x))
        lagged = x
        for k in range(1, lags + instruments + 1):
            lagged = np.asarray(W @ lagged)
            (regs if k <= lags else insts).append(Term(f"{name}.lag{k}", kind, lagged))
    return regs, insts


def intra_instruments(W: sp.csr_matrix, mask) -> list[Term]:
    """spflow's eight instruments of the intra-regional constant: lags of ``I_n``.

    Computed as spflow does, in its orientation (destination rows, ``L = W M`` and
    ``R = M W'``), each lag restricted to the sample before it is lagged again, then
    transposed to ours (origin rows). In a Cartesian sample they are ``W, W', W W', W^2,
    W'^2, W^2 W', W W'^2, W^2 W'^2``.
    """
    Wd = W.toarray()
    ind = None if mask is None else mask.T.astype(float)

    def cut(m):
        return m if ind is None else m * ind

    M0 = cut(np.eye(Wd.shape[0]))
    wM = Wd @ M0
    wMw = wM @ Wd.T
    Mw = cut(M0 @ Wd.T)
    wMw, wM = cut(wMw), cut(wM)
    wwMw = Wd @ wMw
    wwMww = wwMw @ Wd.T
    wwM = Wd @ wM
    Mww = Mw @ Wd.T
    wMww = Wd @ Mww
    lags = {"wI": wM, "Iw": Mw, "wIw": wMw, "wwI": cut(wwM), "Iww": cut(Mww),
            "wwIw": cut(wwMw), "wIww": cut(wMww), "wwIww": cut(wwMww)}
    return [Term(f"(Intra).{key}", "pair", m.T.copy()) for key, m in lags.items()]


def pair_instruments(name: str, P: np.ndarray, W: sp.csr_matrix, mask) -> list[Term]:
    """spflow's reduced pair instruments: ``W G W'`` and ``W^2 G W'^2`` (ours: origin rows)."""
    one = lag_pair(P, W, "w", mask)
    two = lag_pair(one, W, "w", mask)
    return [Term(f"{name}.wMw", "pair", one), Term(f"{name}.wwMww", "pair", two)]
