r"""Per-county effects that are not constant by construction.

For regressor :math:`k` of a fitted model, :math:`S_k = (I-\rho W)^{-1}(\beta_k I +
\theta_k W)` (:math:`\rho = 0` for SLX / SDEM). The row sums of :math:`S_k` (the total
effect *received* by each county from a unit change everywhere) equal
:math:`(\beta_k + \theta_k)/(1-\rho)` for every county when :math:`W` is row-standardised,
so a map of them shows only floating-point noise. Reported instead, per county :math:`i`:

.. math::

    \text{direct}_i = [S_k]_{ii},\qquad
    \text{indirect sent}_i = \sum_{j\ne i}[S_k]_{ji},\qquad
    \text{received from other groups}_i = \sum_{j\notin g(i)}[S_k]_{ij},

the effect of county :math:`i`'s own change on itself (feedback included), the effect its
change has on all other counties (column sum of the off-diagonal part) and the effect it
receives when every county outside its own group changes. Computed from the dense inverse
(up to :data:`MAX_UNITS` counties), at the point estimates.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ..models._design.naming import MODEL_KINDS, lag_name

__all__ = ["unit_effects", "MAX_UNITS", "has_spread"]

MAX_UNITS = 4000
LAG_KINDS = tuple(k for k, f in MODEL_KINDS.items() if f.lag_y)


def unit_effects(results, unit_group: pd.Series) -> pd.DataFrame:
    """Direct, sent and received-from-other-groups effects of every county (module docs).

    Returns
    -------
    pandas.DataFrame
        ``id, group, variable, direct, indirect_sent, received_from_other_groups``.
    """
    W = results.W
    if W is None:
        raise InputError(f"model {results.kind} has no weights matrix: no per-county effects.")
    n = W.shape[0]
    if n > MAX_UNITS:
        raise InputError(f"per-county effects use a dense inverse, for up to {MAX_UNITS} "
                         f"units; the model has {n}.")
    Wd = W.toarray() if hasattr(W, "toarray") else np.asarray(W, dtype=float)
    params = results.params
    rho = float(params["rho"]) if results.kind in LAG_KINDS else 0.0
    M = np.linalg.inv(np.eye(n) - rho * Wd) if rho != 0.0 else np.eye(n)
    MW = M @ Wd
    ids = pd.Index(results.ids)
    groups = unit_group.reindex(ids).to_numpy()
    other = groups[:, None] != groups[None, :]        # [i, j]: j outside i's group
    rows = []
    for v in (x for x in results.exog_names if x != "Intercept"):
        beta = float(params[v])
        theta = float(params.get(lag_name(v), 0.0))
        S = beta * M + theta * MW
        diag = np.diag(S).copy()
        rows.append(pd.DataFrame({
            "id": ids, "group": groups, "variable": v, "direct": diag,
            "indirect_sent": S.sum(axis=0) - diag,
            "received_from_other_groups": np.where(other, S, 0.0).sum(axis=1)}))
    return pd.concat(rows, ignore_index=True)


def has_spread(values, rtol: float = 1e-9) -> bool:
    """Whether ``values`` vary by more than round-off (range > rtol x largest magnitude)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return False
    return float(np.ptp(v)) > rtol * max(float(np.abs(v).max()), np.finfo(float).tiny)
