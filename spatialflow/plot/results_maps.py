r"""Maps of a fitted model: per-county effects, residuals and the response to one county's
change, drawn with :func:`spatialflow.plot.choropleth`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..exceptions import InputError
from .maps import _metric, _tx, choropleth

__all__ = ["effects_map", "residual_map", "shock_map", "shock_response"]


def _variable(result, variable):
    names = [x for x in result.exog_names if x != "Intercept"]
    if variable is None:
        if len(names) != 1:
            raise InputError(f"the model has {len(names)} regressors; name one with "
                             f"variable= (one of {names}).")
        return names[0]
    if variable not in names:
        raise InputError(f"variable {variable!r} is not a regressor of the model; "
                         f"regressors: {names}.")
    return variable


_EFFECT_KINDS = ("direct", "indirect_sent", "received_from_other_groups")


def effects_map(result, layer, kind: str = "direct", *, variable: str | None = None,
                groups=None, lang: str = "en", ax=None, title: str | None = None, **kw):
    r"""Per-county effects of a fitted spatial model on the county layer; returns the Axes.

    ``kind`` is one of ``"direct"`` (:math:`[S_k]_{ii}`), ``"indirect_sent"``
    (:math:`\sum_{j\ne i}[S_k]_{ji}`) or ``"received_from_other_groups"``
    (:math:`\sum_{j\notin g(i)}[S_k]_{ij}`, needs ``groups``: a Series of group by id), with
    :math:`S_k=(I-\rho W)^{-1}(\beta_k I+\theta_k W)` at the estimates
    (:func:`spatialflow.report.unit_effects.unit_effects`). Other keywords go to
    :func:`choropleth`.
    """
    from ..report.unit_effects import unit_effects
    if kind not in _EFFECT_KINDS:
        raise InputError(f"kind must be one of {list(_EFFECT_KINDS)}; {kind!r} was given.")
    v = _variable(result, variable)
    ids = pd.Index(result.ids)
    if groups is None:
        if kind == "received_from_other_groups":
            raise InputError("kind='received_from_other_groups' needs groups= (a Series of "
                             "each unit's group, by id).")
        groups = pd.Series(0, index=ids)
    units = unit_effects(result, groups)
    values = units[units["variable"] == v].set_index("id")[kind]
    kw.setdefault("unit", f"{_tx(lang, kind)}: {v}")
    return choropleth(layer, values, lang=lang, ax=ax, title=title, **kw)


def residual_map(result, layer, *, period=None, lang: str = "en", ax=None,
                 title: str | None = None, **kw):
    """Residuals of a fitted model by unit (a panel: of ``period``, or their mean over
    periods when ``period=None``), diverging around zero. Other keywords go to
    :func:`choropleth`. Returns the Axes."""
    by_time = getattr(result.extra, "resid_by_id_time", None) if result.panel else None
    if by_time is not None:
        level = by_time.index.names[1]
        if period is None:
            values = by_time.groupby(level=0, sort=False).mean()
            label = _tx(lang, "residual_mean")
        else:
            times = by_time.index.get_level_values(1)
            if period not in set(times):
                raise InputError(f"period {period!r} is not a period of the fit; periods: "
                                 f"{sorted(set(times))}.")
            values = by_time.xs(period, level=level)
            label = f"{_tx(lang, 'residual')} ({period})"
    else:
        if period is not None:
            raise InputError("period= applies to panel fits only; this is a cross-section.")
        values = pd.Series(np.asarray(result.resid, dtype=float), index=pd.Index(result.ids))
        label = _tx(lang, "residual")
    kw.setdefault("unit", label)
    return choropleth(layer, values, lang=lang, ax=ax, title=title, **kw)


def shock_response(result, unit, *, variable: str | None = None, size: float = 1.0) -> pd.Series:
    r"""Change of every unit's outcome when ``variable`` changes by ``size`` at ``unit``:
    :math:`size\cdot S_k e_j` with :math:`S_k=(I-\rho W)^{-1}(\beta_k I+\theta_k W)`
    (a sparse solve; :math:`\rho=0` for models without a spatial lag of y)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    from ..models._design.naming import lag_name
    from ..report.unit_effects import LAG_KINDS
    v = _variable(result, variable)
    ids = pd.Index(result.ids)
    if unit not in ids:
        raise InputError(f"unit {unit!r} is not a unit of the model ({len(ids)} units, e.g. "
                         f"{ids[:5].tolist()}).")
    W = sp.csr_matrix(result.W)
    n = W.shape[0]
    j = ids.get_loc(unit)
    e = np.zeros(n)
    e[j] = size
    params = result.params
    rhs = float(params[v]) * e + float(params.get(lag_name(v), 0.0)) * (W @ e)
    rho = float(params["rho"]) if result.kind in LAG_KINDS else 0.0
    out = spsolve(sp.csc_matrix(sp.identity(n) - rho * W), rhs) if rho else rhs
    return pd.Series(np.asarray(out, dtype=float), index=ids, name=v)


def shock_map(result, layer, unit, *, variable: str | None = None, size: float = 1.0,
              lang: str = "en", ax=None, title: str | None = None, **kw):
    """Map of :func:`shock_response`: every unit's response to a change of ``size`` in
    ``variable`` at ``unit`` (outlined in black). Other keywords go to :func:`choropleth`."""
    values = shock_response(result, unit, variable=variable, size=size)
    kw.setdefault("unit", _tx(lang, "shock", size=size, variable=values.name, unit=unit))
    ax = choropleth(layer, values, lang=lang, ax=ax, title=title, **kw)
    shocked = _metric(layer)[0].loc[[unit]]
    shocked.boundary.plot(ax=ax, color="black", linewidth=1.8, gid="sf-shocked")
    return ax
