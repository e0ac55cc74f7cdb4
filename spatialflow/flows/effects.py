"""Effects of a node characteristic on the flows (LeSage & Thomas-Agnan 2015).

A unit change of characteristic ``x`` at node ``r`` shifts the systematic part of every
flow by the ``n x n`` matrix :math:`M_r = u_r 1' + 1 v_r' + \\beta_I\\,\\mathrm{diag}(e_r)`,
with :math:`u_r = (\\beta_o I + \\theta_o W) e_r` (origin terms and their lag),
:math:`v_r = (\\beta_d I + \\theta_d W) e_r` (destination terms), and the flows by
:math:`\\Delta_r = A(\\rho)^{-1} M_r`. Its parts:

- **intra**: :math:`\\Delta_r[r, r]`, the flow within node ``r``;
- **origin**: :math:`\\sum_{d \\ne r} \\Delta_r[r, d]`, the flows leaving ``r``;
- **destination**: :math:`\\sum_{o \\ne r} \\Delta_r[o, r]`, the flows arriving in ``r``;
- **network**: all other flows (between third nodes), so that the four add up to
- **total**: :math:`1'\\Delta_r 1`.

Reported as averages over the ``n`` nodes (the average effects of LeSage & Thomas-Agnan) and
node by node. With :math:`W = V \\Lambda V^{-1}` and :math:`\\tilde M_r = V^{-1} M_r V^{-T}`
of rank at most three, every part is a bilinear form
:math:`(V_r \\circ a)' H (V_r \\circ b)` with :math:`H = 1 \\oslash G` (``G`` the grid of
factors of :mod:`.logdet`), so all ``n`` nodes cost ``O(n^3)`` together; nothing of size
``n^2 x n^2`` (or ``n`` solves) is formed.

Inference by simulation: parameters are drawn from :math:`N(\\hat\\mu, \\widehat{Var})`
(for an MCMC fit: the posterior draws), draws outside the admissible region are discarded,
and the effects recomputed.

In a non-Cartesian sample the flows outside the sample are not modelled: each part sums over
the sample only, from one solve with the sample's filter per node (:mod:`.subset`,
``O(n)`` solves), which makes simulation inference there ``O(n)`` times slower.

A *change* in ``x`` at a set of nodes (``flow_change``) gives the whole matrix of flow
changes, summed by blocks of a node grouping (core/periphery: flows from the periphery to
the core, within the core, ...).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._validation import check_seed
from ..exceptions import InputError, ModelSpecificationError

if TYPE_CHECKING:
    from .results import FlowResults

__all__ = ["flow_effects", "flow_change", "FlowEffects", "PARTS"]

PARTS = ("origin", "destination", "intra", "network", "total")


@dataclass(frozen=True)
class FlowEffects:  # numpydoc ignore=PR01
    """Average effects (``table``), node-by-node effects (``by_node``) and, with ``groups``,
    the flow changes by block (``blocks``) of a unit change of ``variable``.

    Built by :func:`flow_effects`, not by users.

    Attributes
    ----------
    variable : str
        The node characteristic whose change the effects describe.
    table : pandas.DataFrame
        The average origin, destination, intra, network and total effects (``estimate``),
        with simulated ``std_error``, ``lower`` and ``upper`` when ``draws > 0``.
    by_node : pandas.DataFrame
        The same effects of a unit change at each node, one row per node id.
    blocks : pandas.DataFrame or None
        With ``groups``: the change of the flows from group A to group B when the
        characteristic rises by one at every node of group S (rows S, columns ``A -> B``);
        None without ``groups``.
    """

    variable: str
    table: pd.DataFrame
    by_node: pd.DataFrame
    blocks: pd.DataFrame | None = None


def _coefs(names: list, params: np.ndarray, variable: str) -> dict:
    get = {n: params[i] for i, n in enumerate(names)}
    c = {key: get.get(name, 0.0) for key, name in (
        ("bo", f"O_{variable}"), ("to", f"O_{variable}.lag1"), ("bd", f"D_{variable}"),
        ("td", f"D_{variable}.lag1"), ("bi", f"I_{variable}"))}
    return c


def _node_parts(spec, W, rho, c: dict) -> np.ndarray:
    """``n x 5`` array: origin, destination, intra, network, total effect of each node.

    ``W`` sparse. Each component costs two ``n x n`` matrix products with ``H`` (its row
    sums against ``1`` and against the node's own row are read off the same products), and
    at most nine ``n x n`` arrays are alive (``V``, ``V^{-1}``, ``H`` among them).
    """
    V, Vi = spec.V, spec.Vinv
    n = V.shape[0]
    H = np.reciprocal(spec.factors(rho))
    q = Vi @ np.ones(n)
    s = V.T @ np.ones(n)        # s_i = sum_k V_ki
    W = sp.csr_matrix(W)

    def lagged(b, t):  # rows a_r of A = (V^{-1} (b I + t W))'
        out = np.asarray(W.T @ Vi.T) * t if t else np.zeros((n, n), dtype=Vi.dtype)
        out += b * Vi.T
        return out

    comps = []  # (A rows a_r, B rows b_r), each n x n
    if c["bo"] or c["to"]:
        comps.append((lambda: lagged(c["bo"], c["to"]), lambda: np.broadcast_to(q, (n, n))))
    if c["bd"] or c["td"]:
        comps.append((lambda: np.broadcast_to(q, (n, n)), lambda: lagged(c["bd"], c["td"])))
    if c["bi"]:
        comps.append((lambda: c["bi"] * Vi.T, lambda: Vi.T))
    total = row = col = intra = 0.0
    for make_a, make_b in comps:
        A = make_a()
        SAH = (A * s[None, :]) @ H
        RAH = (A * V) @ H       # (V_r o a_r)' H, row r of V times a_r
        del A
        B = make_b()
        SB = B * s[None, :]
        total = total + np.einsum("ij,ij->i", SAH, SB)
        row = row + np.einsum("ij,ij->i", RAH, SB)
        del SB
        RB = B * V
        del B
        intra = intra + np.einsum("ij,ij->i", RAH, RB)
        col = col + np.einsum("ij,ij->i", SAH, RB)
        del RB, SAH, RAH
    out = np.column_stack([np.asarray(row - intra), np.asarray(col - intra), np.asarray(intra),
                           np.asarray(total - row - col + intra), np.asarray(total)])
    out = out.real if np.iscomplexobj(out) else out
    if not comps:
        out = np.zeros((n, 5))
    return out


def _groups(results, groups) -> pd.Series:
    ids = results.model.data.ids
    if isinstance(groups, str):
        nodes = results.model.data.nodes
        if groups not in nodes.columns:
            raise InputError(f"groups={groups!r} is not a column of the node table "
                             f"{list(nodes.columns)}.")
        groups = nodes[groups]
    if not isinstance(groups, pd.Series):
        raise InputError("groups must be a node column name or a Series indexed by node id; "
                         f"{type(groups).__name__} was given.")
    missing = ids.difference(groups.index)
    if len(missing):
        from ..exceptions import IdMismatchError, format_ids
        raise IdMismatchError(f"groups has no value for node(s) {format_ids(missing)}.")
    g = groups.reindex(ids)
    if g.isna().any():
        from ..exceptions import MissingDataError, format_ids
        raise MissingDataError(f"groups is missing for node(s) {format_ids(ids[g.isna()])}.")
    return g


def _block_sums(D: np.ndarray, g: pd.Series) -> pd.Series:
    labels = pd.unique(g.to_numpy())
    out = {}
    for a in labels:
        ra = (g == a).to_numpy()
        for b in labels:
            cb = (g == b).to_numpy()
            out[f"{a} -> {b}"] = float(D[np.ix_(ra, cb)].sum())
    return pd.Series(out)


def _solver(results):
    """``M -> A^{-1} M`` on the model's sample: spectral (Cartesian) or :mod:`.subset`."""
    model = results.model
    return model.eigen if model.data.is_cartesian else model.subset_spectrum


def _node_parts_by_solves(results, rho, c: dict) -> np.ndarray:
    """The parts of :func:`_node_parts` node by node, one solve per node (non-Cartesian
    samples, where the filter has no Kronecker structure): ``O(n)`` solves."""
    model = results.model
    solver = _solver(results)
    W = model.data.W
    n = model.data.n
    one = np.ones(n)
    out = np.zeros((n, 5))
    for r in range(n):
        e = np.zeros(n)
        e[r] = 1.0
        We = np.asarray(W[:, [r]].toarray()).ravel()
        M = (np.outer(c["bo"] * e + c["to"] * We, one) + np.outer(one, c["bd"] * e + c["td"] * We)
             + np.diag(c["bi"] * e))
        D = solver.solve(M, rho)
        intra, row, col, total = D[r, r], D[r].sum(), D[:, r].sum(), D.sum()
        out[r] = [row - intra, col - intra, intra, total - row - col + intra, total]
    return out


def flow_change(results: FlowResults, variable: str, change: pd.Series, *,
                params: np.ndarray | None = None) -> pd.DataFrame:
    """The ``n x n`` matrix of flow changes (origin rows, destination columns) when the node
    characteristic ``variable`` changes by ``change`` (a Series over node ids; missing ids
    mean no change), :math:`\\Delta Y = A^{-1}\\sum_r \\Delta x_r M_r`.

    Parameters
    ----------
    results : FlowResults
        A fitted flow model.
    variable : str
        A node characteristic as it appears in the formula (``"x"`` for ``O_x``, ``D_x``,
        ``I_x`` and their lags).
    change : pandas.Series
        The change of ``variable`` at each node, indexed by node id.
    params : numpy.ndarray, optional
        A parameter vector in the order of ``results.params`` to use instead of the
        estimates (e.g. a draw); default the estimates.

    Returns
    -------
    pandas.DataFrame
        The ``n x n`` flow changes, node ids as index (origins) and columns (destinations).

    Raises
    ------
    IdMismatchError
        If ``change`` names ids that are not nodes of the model.
    """
    model = results.model
    ids = model.data.ids
    if not isinstance(change, pd.Series):
        raise InputError("change must be a pandas Series indexed by node id.")
    unknown = change.index.difference(ids)
    if len(unknown):
        from ..exceptions import IdMismatchError, format_ids
        raise IdMismatchError(f"change names ids that are not nodes: {format_ids(unknown)}.")
    dx = change.reindex(ids).fillna(0.0).to_numpy(dtype=float)
    names = list(results.params.index)
    p = results.params.to_numpy() if params is None else params
    c = _coefs(names, p, variable)
    rho = _rho(results, p)
    W = model.data.W
    n = model.data.n
    u = c["bo"] * dx + c["to"] * np.asarray(W @ dx)
    v = c["bd"] * dx + c["td"] * np.asarray(W @ dx)
    M = np.outer(u, np.ones(n)) + np.outer(np.ones(n), v) + np.diag(c["bi"] * dx)
    D = _solver(results).solve(M, rho)
    return pd.DataFrame(D, index=ids, columns=ids)


def _rho(results, p) -> np.ndarray:
    var = results.model.variant
    if var.name == "model_1":
        return np.zeros(3)
    if var.name == "model_8":
        return np.array([p[0], p[1], -p[0] * p[1]])
    return var.rho(p[:var.k])


def flow_effects(results: FlowResults, variable: str, *, draws: int = 500, level: float = 0.95,
                 seed: int | None = None,
                 groups: str | pd.Series | None = None) -> FlowEffects:
    """Average and node-level origin, destination, intra, network and total effects.

    Parameters
    ----------
    results : FlowResults
        A fitted flow model.
    variable : str
        A node characteristic as it appears in the formula (``"x"`` for ``O_x``,
        ``D_x``, ``I_x`` and their lags).
    draws : int, default 500
        Parameter draws for the simulated standard errors and intervals (0: none).
    level : float
        Coverage of the intervals (quantiles of the draws).
    seed : int, optional
        Seed of the parameter draws.
    groups : str or pandas.Series, optional
        A node column (or Series over node ids) such as a core/periphery region: adds
        ``blocks``, the change of the flows from group A to group B when ``x`` rises by one
        at every node of group S, for each S (rows) and ``A -> B`` (columns).

    Returns
    -------
    FlowEffects
    """
    names = list(results.params.index)
    c0 = _coefs(names, results.params.to_numpy(), variable)
    present = [f"{p}_{variable}{s}" for p in ("O", "D", "I") for s in ("", ".lag1")
               if f"{p}_{variable}{s}" in names]
    if not present:
        raise ModelSpecificationError(
            f"{variable!r} is not a node characteristic of the model; its coefficients are "
            f"{[n for n in names if n[:2] in ('O_', 'D_', 'I_')]}.")
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 0:
        raise InputError(f"draws must be a non-negative integer; {draws!r} was given.")
    if not 0 < level < 1:
        raise InputError(f"level must be in (0, 1); {level!r} was given.")
    model = results.model
    spec = model.eigen
    W = model.data.W
    p_hat = results.params.to_numpy()
    cartesian = model.data.is_cartesian

    def parts(rho, c):
        return (_node_parts(spec, W, rho, c) if cartesian
                else _node_parts_by_solves(results, rho, c))

    point = parts(_rho(results, p_hat), c0)
    ids = model.data.ids
    by_node = pd.DataFrame(point, index=ids, columns=list(PARTS))
    avg = point.mean(axis=0)
    table = pd.DataFrame({"estimate": avg}, index=list(PARTS))
    g = _groups(results, groups) if groups is not None else None
    blocks = None
    if g is not None:
        labels = pd.unique(g.to_numpy())
        blocks = pd.DataFrame({a: _block_sums(flow_change(results, variable,
                                                          (g == a).astype(float)).to_numpy(), g)
                               for a in labels}).T
        blocks.index.name = "x rises by 1 in"
    if draws:
        rng = np.random.default_rng(check_seed(seed, allow_none=True))
        posterior = results.samples
        if posterior is not None:  # MCMC: the posterior draws themselves, evenly thinned
            kept = posterior.to_numpy()[:, :-1]
            sims = kept[np.linspace(0, len(kept) - 1, min(draws, len(kept))).astype(int)]
        else:
            sims = rng.multivariate_normal(p_hat, results.cov.to_numpy(), size=draws,
                                           method="eigh")
        out = []
        for p in sims:
            rho = _rho(results, p)
            if not spec.admissible(rho):
                continue
            out.append(parts(rho, _coefs(names, p, variable)).mean(axis=0))
        out = np.asarray(out)
        alpha = (1 - level) / 2
        table["std_error"] = out.std(axis=0, ddof=1)
        table["lower"] = np.quantile(out, alpha, axis=0)
        table["upper"] = np.quantile(out, 1 - alpha, axis=0)
        table.attrs["draws_kept"] = len(out)
    return FlowEffects(variable=variable, table=table, by_node=by_node, blocks=blocks)
