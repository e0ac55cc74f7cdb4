"""Tables from the fitted models: fit statistics, comparison, effects, robustness, blocks.

Nothing is dropped: a model that did not converge stays in every table with
``converged = no`` and a note; a part that cannot be computed for a model (e.g. effects of
an OLS fit) is named in the notes with the reason.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._render import significance_stars
from ..exceptions import SpatialflowError
from ..models._design.naming import MODEL_KINDS
from ._data import PERIPHERY
from ._tables import format_value
from ._text import t

__all__ = ["fit_table", "comparison_table", "effects_tables", "robustness_table", "headline"]

SPATIAL_KINDS = ("SLX", "SAR", "SEM", "SDM", "SDEM")
#: Kinds whose effects differ from their coefficients (W in y or in X).
EFFECT_KINDS = tuple(k for k, f in MODEL_KINDS.items() if f.has_effects)


def headline(models: dict) -> str | None:
    """The model the figures and the summary lead with: the first converged model with
    spillovers (SDM, SAR, SDEM, SLX), else the first model."""
    for label, res in models.items():
        if getattr(res, "converged", True) and res.kind in EFFECT_KINDS:
            return label
    return next(iter(models), None)


def fit_table(models: dict, notes: list[str], lang: str = "en") -> pd.DataFrame:
    """One row per model: kind, outcome, n, T, log-likelihood, AIC, BIC, spatial parameter,
    converged and at-bound flags (a model not converged or at a bound: a note in ``lang``)."""
    rows = []
    for label, res in models.items():
        panel = getattr(res, "panel", None) or {}
        converged = bool(getattr(res, "converged", True))
        if not converged:
            notes.append(t("note_not_converged", lang, label=label))
        if getattr(res, "at_bound", False):
            notes.append(t("note_at_bound", lang, label=label))
        rows.append({
            "model": label, "kind": res.kind, "outcome": getattr(res, "endog_name", ""),
            "n": len(res.ids), "T": panel.get("T", 1), "nobs": res.nobs,
            "panel effects": panel.get("effects", ""), "logL": res.llf, "AIC": res.aic,
            "BIC": res.bic,
            "spatial parameter": res.spatial_param or "",
            "estimate": res.spatial if res.spatial_param else np.nan,
            "converged": converged})
    return pd.DataFrame(rows)


def comparison_table(models: dict, notes: list[str], lang: str = "en") -> pd.DataFrame | None:
    """The package's side-by-side comparison (:func:`spatialflow.models.compare`)."""
    from ..models import compare

    try:
        table = compare(dict(models)).table
    except SpatialflowError as err:
        notes.append(t("note_comparison_failed", lang, error=err))
        return None
    table = table.copy()
    table.index.name = "parameter"
    return table.reset_index()


def effects_tables(models: dict, unit_group: pd.Series, core, *, n_draws: int, seed: int,
                   notes: list[str], lang: str = "en") -> dict[str, pd.DataFrame]:
    """``effects`` (direct / indirect / total with SE, p and 95% interval, all models),
    ``blocks_cp`` (core / periphery blocks) and ``blocks_groups`` (group x group blocks).

    A block's ``estimate`` is :math:`1_{to}'S_k1_{from}/n` (the blocks sum to the total
    effect, so a block grows with the size of its groups); ``per_receiving_unit`` is
    :math:`1_{to}'S_k1_{from}/n_{to}`, the mean effect on one receiving unit of a unit
    change in every source unit (an intensity, comparable across groups of different size).
    """
    effects, blocks_cp, blocks_g = [], [], []
    for label, res in models.items():
        if res.kind not in EFFECT_KINDS:
            notes.append(t("note_no_spillovers", lang, label=label, kind=res.kind))
            continue
        try:
            eff = res.effects(n_draws=n_draws, seed=seed)
            labels = unit_group.reindex(res.ids)
            cp = labels.where(labels == core, PERIPHERY)
            bcp = res.effects(n_draws=n_draws, seed=seed, partition=cp)
            bg = res.effects(n_draws=n_draws, seed=seed, partition=labels)
        except SpatialflowError as err:
            notes.append(t("note_effects_failed", lang, label=label, error=err))
            continue
        # z statistics are effect / std_error; leaving them out keeps the table readable.
        eff = eff.drop(columns=[c for c in eff.columns if c.endswith("_statistic")])
        eff = eff.reset_index().rename(columns={"index": "variable"})
        if "variable" not in eff.columns:
            eff = eff.rename(columns={eff.columns[0]: "variable"})
        eff.insert(0, "model", label)
        effects.append(eff)
        n = len(res.ids)
        for frame, store in ((bcp, blocks_cp), (bg, blocks_g)):
            frame = frame.copy()
            frame.insert(0, "model", label)
            # block total 1_to' S 1_from / n -> mean over the receiving units 1_to' S 1_from / n_to
            pos = list(frame.columns).index("estimate") + 1
            frame.insert(pos, "per_receiving_unit", frame["estimate"] * n / frame["n_to"])
            store.append(frame)
    out = {}
    if effects:
        out["effects"] = pd.concat(effects, ignore_index=True)
        out["blocks_cp"] = pd.concat(blocks_cp, ignore_index=True)
        out["blocks_groups"] = pd.concat(blocks_g, ignore_index=True)
    return out


def robustness_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Total effects (SE) with stars, regressors by models: the robustness panel."""
    def cell(row) -> str:
        p = row["total_p_value"]
        stars = significance_stars(p)
        se = format_value(float(row["total_std_error"]))
        return f"{format_value(float(row['total']))}{stars} ({se})"

    frame = effects.assign(cell=effects.apply(cell, axis=1))
    wide = frame.pivot(index="variable", columns="model", values="cell")
    wide = wide.reindex(index=list(pd.unique(effects["variable"])),
                        columns=list(pd.unique(effects["model"])))
    wide.columns.name = None
    return wide.fillna("").reset_index()
