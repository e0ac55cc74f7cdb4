r"""Which fitted model leads the report: chosen by evidence, never by its place in the dict.

Candidates are the converged models with spillovers (SDM, SAR, SDEM, SLX, SAC) of one
outcome. Tests and probabilities are formed only between fits of the same outcome, sample
and weights matrix, so the rules below run within each weights matrix; when several
matrices each give a lead, the one with the lowest AIC (same outcome and sample) leads.
In this order (level :math:`\alpha = 0.05`):

1. **Spatial Durbin tests** for every SDM (Elhorst 2014; LeSage and Pace 2009 ch. 6):
   :math:`H_0: \theta = 0` (SDM reduces to SAR) and the common factor restriction
   :math:`H_0: \theta + \rho\beta = 0` (SDM reduces to SEM), each by the LR test against
   the restricted model when it was fitted too
   (:func:`spatialflow.models.diagnostics.hypotheses.lr_test`,
   :func:`~spatialflow.models.diagnostics.hypotheses.common_factor_lr`), else by the Wald test
   (:func:`~spatialflow.models.diagnostics.hypotheses.wald_test`,
   :func:`~spatialflow.models.diagnostics.hypotheses.common_factor_test`).
   Both rejected: the SDM leads (among several such SDMs, e.g. under different weights,
   the one with the lowest AIC). :math:`\theta = 0` not rejected while the common factor
   is: the SAR with the same weights leads, if it was fitted.
   :math:`\theta = 0` rejected while the common factor is not: the SDM reduces to the SEM,
   which has no spillovers to report; the reason says so and the next rules choose among
   the models with spillovers.
2. Otherwise, **LeSage's posterior model probabilities**
   (:func:`spatialflow.models.model_probabilities`: flat priors, equal model priors) over
   the fits that share the weights, where they can be computed: the candidate with the
   highest probability leads.
3. Otherwise the candidate with the **lowest AIC**.

Every piece of evidence is a row of the ``model_choice`` table; the last row names the
lead and the rule that chose it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._render import p_text
from ..exceptions import InputError, SpatialflowError
from ..models._design.naming import MODEL_KINDS

__all__ = ["choose_leads", "ALPHA", "EFFECT_KINDS"]

ALPHA = 0.05
EFFECT_KINDS = tuple(k for k, f in MODEL_KINDS.items() if f.has_effects)


def _same_w(a, b) -> bool:
    Wa, Wb = getattr(a, "W", None), getattr(b, "W", None)
    if Wa is None or Wb is None or Wa.shape != Wb.shape:
        return False
    if list(a.ids) != list(b.ids):
        return False
    return (abs(Wa - Wb) > 1e-12).nnz == 0


def _comparable(a, b) -> bool:
    from ..models.diagnostics.hypotheses import check_comparable

    try:
        check_comparable(a, b)
    except SpatialflowError:
        return False
    return _same_w(a, b)


def _aic(res) -> float:
    """AIC, or +inf where a fit has none (e.g. GMM): it then never wins on AIC."""
    try:
        value = float(res.aic)
    except (TypeError, ValueError, AttributeError):
        return np.inf
    return value if np.isfinite(value) else np.inf


def _reading(p: float) -> str:
    return (f"rejected at {100 * ALPHA:g}%" if p < ALPHA
            else f"not rejected at {100 * ALPHA:g}%")


def _durbin(label, sdm, family: dict) -> tuple[list[dict], float, float]:
    """The two restrictions of one SDM: rows and the two p-values (NaN if not formed)."""
    from ..models.diagnostics.hypotheses import (common_factor_lr, common_factor_test, lr_test,
                                     wald_test)
    from ..models._design.naming import lag_name

    rows = []
    out = []
    for restricted, name in (("SAR", "theta = 0 (SDM -> SAR)"),
                             ("SEM", "theta + rho*beta = 0 (SDM -> SEM)")):
        other = next(((k, r) for k, r in family.items() if r.kind == restricted
                      and getattr(r, "converged", True) and _comparable(r, sdm)), None)
        try:
            if other is not None:
                res = (lr_test(other[1], sdm) if restricted == "SAR"
                       else common_factor_lr(sdm, other[1]))
                how = f"LR against {other[0]!r}"
            elif restricted == "SAR":
                res = wald_test(sdm, [lag_name(x) for x in sdm.lagged_names])
                how = "Wald"
            else:
                res = common_factor_test(sdm)
                how = "Wald"
        except SpatialflowError as err:
            rows.append({"model": label, "kind": sdm.kind, "evidence": f"{name}",
                         "value": np.nan, "df": np.nan, "p_value": np.nan,
                         "reading": f"not computed: {err}"})
            out.append(np.nan)
            continue
        rows.append({"model": label, "kind": sdm.kind, "evidence": f"{how}: {name}",
                     "value": float(res.statistic), "df": float(res.df),
                     "p_value": float(res.pvalue), "reading": _reading(float(res.pvalue))})
        out.append(float(res.pvalue))
    return rows, out[0], out[1]


def _probabilities(family: dict) -> tuple[dict, list[dict]]:
    """Posterior model probabilities over each set of fits sharing W (two or more)."""
    from ..models import model_probabilities

    probs, rows, done = {}, [], set()
    labels = list(family)
    for a in labels:
        if a in done:
            continue
        same = [b for b in labels if b == a or (b not in done and _comparable(family[a],
                                                                               family[b]))]
        done.update(same)
        if len(same) < 2:
            continue
        kinds = [family[b].kind for b in same]
        if len(set(kinds)) < len(kinds):
            continue
        try:
            table = model_probabilities(models=[family[b] for b in same])
        except (SpatialflowError, ValueError, np.linalg.LinAlgError) as err:
            rows.append({"model": ", ".join(same), "kind": "", "evidence":
                         "posterior model probability", "value": np.nan, "df": np.nan,
                         "p_value": np.nan, "reading": f"not applicable: {err}"})
            continue
        for b, p in zip(same, table["probability"].to_numpy(dtype=float)):
            probs[b] = p
            rows.append({"model": b, "kind": family[b].kind,
                         "evidence": "posterior model probability (LeSage; equal priors)",
                         "value": p, "df": np.nan, "p_value": np.nan,
                         "reading": f"among {len(same)} fits with the same W"})
    return probs, rows


def _w_groups(fits: dict) -> list[dict]:
    """Fits that share the sample and the weights matrix (their likelihoods compare)."""
    groups: list[dict] = []
    for label, res in fits.items():
        for g in groups:
            if _comparable(next(iter(g.values())), res):
                g[label] = res
                break
        else:
            groups.append({label: res})
    return groups


def _decide(group: dict, rows: list) -> tuple[str | None, tuple[str, str]]:
    """Lead among the converged fits of one W (module docstring, rules 1-3)."""
    cands = {k: r for k, r in group.items() if r.kind in EFFECT_KINDS}
    if not cands:
        return None, ("no converged model with spillovers", "没有收敛且含溢出效应的模型")
    supported, to_sar, to_sem = [], [], []
    for label, res in cands.items():
        if res.kind != "SDM":
            continue
        drows, p_sar, p_sem = _durbin(label, res, group)
        rows += drows
        if p_sar < ALPHA and p_sem < ALPHA:
            supported.append((label, p_sar, p_sem))
        elif p_sar >= ALPHA and p_sem < ALPHA:
            sar = next((k for k, r in cands.items() if r.kind == "SAR"), None)
            if sar is not None:
                to_sar.append((sar, p_sar, p_sem))
        elif p_sar < ALPHA and p_sem >= ALPHA:
            to_sem.append((label, p_sar, p_sem))
    probs, prow = _probabilities(group)
    rows += prow
    if supported:
        label, p_sar, p_sem = min(supported, key=lambda s: _aic(cands[s[0]]))
        reason = (f"both restrictions of the SDM are rejected at {100 * ALPHA:g}% "
                  f"(theta = 0: {p_text(p_sar)}; theta + rho*beta = 0: {p_text(p_sem)})")
        zh = (f"SDM的两个约束均在{100 * ALPHA:g}%水平被拒绝（θ = 0：{p_text(p_sar)}；"
              f"θ + ρβ = 0：{p_text(p_sem)}）")
        return label, (reason, zh)
    if to_sar:
        label, p_sar, p_sem = to_sar[0]
        reason = (f"theta = 0 is not rejected ({p_text(p_sar)}) while the common factor "
                  f"restriction is ({p_text(p_sem)}): the SDM reduces to the SAR")
        zh = (f"θ = 0 未被拒绝（{p_text(p_sar)}），而共同因子约束被拒绝（{p_text(p_sem)}）："
              "SDM退化为SAR")
        return label, (reason, zh)
    # Evidence for a model without spillovers (an SEM the SDM reduces to, or one with the
    # highest posterior probability) is said, not hidden: the lead is then only the best
    # of the models that have spillovers to report.
    pre_en, pre_zh = "the Durbin tests do not decide", "Durbin检验无法判定"
    if to_sem:
        _, p_sar, p_sem = to_sem[0]
        pre_en = (f"the common factor restriction is not rejected ({p_text(p_sem)}) while "
                  f"theta = 0 is ({p_text(p_sar)}): the SDM reduces to the SEM, which has no "
                  "spillovers to report")
        pre_zh = (f"共同因子约束未被拒绝（{p_text(p_sem)}），θ = 0 被拒绝（{p_text(p_sar)}）："
                  "SDM退化为不含溢出效应的SEM")
    better = {k: p for k, p in probs.items() if k not in cands}
    best_other = max(better, key=better.get) if better else None
    with_p = {k: probs[k] for k in cands if k in probs}
    if len(with_p) >= 2:
        label = max(with_p, key=with_p.get)
        en = (f"{pre_en}; highest posterior model probability among the models with "
              f"spillovers ({with_p[label]:.3g})")
        zh = f"{pre_zh}；在含溢出效应的模型中后验模型概率最高（{with_p[label]:.3g}）"
        if best_other is not None and better[best_other] > with_p[label]:
            en += (f"; the {group[best_other].kind} {best_other!r}, without spillovers, is "
                   f"more probable ({better[best_other]:.3g})")
            zh += (f"；不含溢出效应的{group[best_other].kind}“{best_other}”后验概率更高"
                   f"（{better[best_other]:.3g}）")
        return label, (en, zh)
    label = min(cands, key=lambda k: _aic(cands[k]))
    return label, (f"{pre_en}; lowest AIC among the models with spillovers",
                   f"{pre_zh}；在含溢出效应的模型中AIC最小")


def _choose_one(family: dict) -> tuple[str | None, tuple[str, str], list[dict]]:
    """Lead of one outcome's fits: (label, (reason in English, in Chinese), evidence rows).

    The rules run within each set of fits sharing a weights matrix; when several matrices
    give a lead, the lead with the lowest AIC (same outcome and sample) is taken."""
    rows = []
    for label, res in family.items():
        conv = bool(getattr(res, "converged", True))
        spill = res.kind in EFFECT_KINDS
        reading = ("candidate" if conv and spill else
                   "not a candidate: did not converge" if not conv else
                   f"not a candidate: no spillovers ({res.kind})")
        rows.append({"model": label, "kind": res.kind, "evidence": "AIC",
                     "value": _aic(res) if np.isfinite(_aic(res)) else np.nan, "df": np.nan,
                     "p_value": np.nan, "reading": reading})
    converged = {k: r for k, r in family.items() if getattr(r, "converged", True)}
    leads = []
    for group in _w_groups(converged):
        label, reason = _decide(group, rows)
        if label is not None:
            leads.append((label, reason))
    if not leads:
        return None, ("no converged model with spillovers", "没有收敛且含溢出效应的模型"), rows
    if len(leads) == 1:
        return leads[0][0], leads[0][1], rows
    label, (en, zh) = min(leads, key=lambda item: _aic(family[item[0]]))
    return label, (f"{en}; the lowest AIC among the leads of {len(leads)} weights matrices",
                   f"{zh}；在{len(leads)}个权重矩阵各自的主导模型中AIC最小"), rows


def choose_leads(models: dict, lead="auto") -> tuple[str | None, dict, pd.DataFrame]:
    """The report's lead model and each outcome's lead, with the evidence.

    Parameters
    ----------
    models : dict label -> SpatialResults
    lead : "auto" or a label of ``models``
        A label is taken as it is (for its outcome; the other outcomes still choose by
        evidence).

    Returns
    -------
    (lead, by_outcome, table)
        ``lead``: the label leading the report (the lead of the first outcome that has a
        candidate, or the label given); ``by_outcome``: outcome -> label; ``table``: the
        ``model_choice`` evidence (``outcome, model, kind, evidence, value, df, p_value,
        reading``).

    Raises
    ------
    InputError
        ``lead`` is neither "auto" nor a label of ``models`` (the labels are listed).
    """
    if not (isinstance(lead, str) and (lead == "auto" or lead in models)):
        raise InputError(f"lead must be 'auto' or the label of a fitted model; {lead!r} was "
                         f"given and the models are {list(models)}.")
    outcomes = list(dict.fromkeys(getattr(r, "endog_name", None) for r in models.values()))
    by_outcome, frames, reasons = {}, [], {}
    for outcome in outcomes:
        family = {k: r for k, r in models.items() if getattr(r, "endog_name", None) == outcome}
        label, reason, rows = _choose_one(family)
        if lead != "auto" and lead in family:
            label, reason = lead, ("chosen by the user (lead=...)", "由用户指定（lead=...）")
        if label is not None:
            by_outcome[outcome] = label
            reasons[label] = reason
            rows.append({"model": label, "kind": family[label].kind, "evidence": "lead",
                         "value": np.nan, "df": np.nan, "p_value": np.nan, "reading": reason[0]})
        frame = pd.DataFrame(rows)
        frame.insert(0, "outcome", outcome)
        frames.append(frame)
    table = (pd.concat(frames, ignore_index=True) if frames else
             pd.DataFrame(columns=["outcome", "model", "kind", "evidence", "value", "df", "p_value",
                                   "reading"]))
    df = pd.to_numeric(table["df"], errors="coerce")
    if df.notna().any() and (df.dropna() % 1 == 0).all():
        table["df"] = df.astype("Int64")   # degrees of freedom are counts: 3, not "3.0000"
    table.attrs["reasons"] = reasons
    if lead != "auto":
        chosen = lead
    else:
        chosen = next(iter(by_outcome.values()), next(iter(models), None))
        if chosen is not None and chosen not in reasons:
            reasons[chosen] = ("no converged model has spillovers: the first model is shown",
                               "没有收敛且含溢出效应的模型：列示第一个模型")
    return chosen, by_outcome, table
