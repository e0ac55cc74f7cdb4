r"""The report's convergence and distribution-dynamics sections: tables from
:mod:`spatialflow.measures` (β-convergence, σ of log levels, Phillips–Sul clubs, kernel
densities, stochastic kernels, Markov and spatial Markov chains).

Which indicators. Both sections need levels with a true zero, whose logs and ratios mean
something: indicators of scale ``level``, ``share`` and ``log`` (on their levels
:math:`e^x`); an ``index`` (arbitrary zero) is left out with a note, as are units without a
positive level in the periods used (named in a note).

β-convergence is one cross-section of growth from the first to the last period
(:func:`spatialflow.measures.beta_convergence`): OLS for all units, the core, the periphery
and each peripheral group, and SAR, SEM and SDM for all units under the report's weights
(the groups' own spatial fits would cut their border units' neighbourhoods). The half-life
is shown only where β is significantly negative (that of a β indistinguishable from zero is
no finding). σ-convergence beside it: the cross-unit SD of the log level in the first and
last period (scale-free, the companion of β; the decomposition section has the SD and CV of
the levels and their trend).
Phillips–Sul clubs need a time series: computed from :data:`MIN_PERIODS_CLUBS` periods on.

Distribution dynamics (all periods, balanced units): kernel densities of the level relative
to the period's mean and to the neighbours' mean; the stochastic kernel one period ahead;
Markov chains of the relative level in :data:`K_CLASSES` pooled-quantile classes, and the
spatial Markov homogeneity tests. With two periods (two censuses: one transition per unit)
only the class shares of the two periods are shown, not the steady state (it would extrapolate
a few moves per class to the long run), and the spatial Markov tests, whose :math:`\chi^2`
approximation needs several transitions per cell, are not computed: the tables say why.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..exceptions import InputError, SpatialflowWarning, ThinDataWarning
from ._data import PERIPHERY, ReportData

__all__ = ["convergence_tables", "dynamics_tables", "MIN_PERIODS_CLUBS", "K_CLASSES"]

#: Phillips–Sul's log t regression drops the first third of the periods; below this many
#: periods the remaining regression has too few points to be read.
MIN_PERIODS_CLUBS = 10
#: classes of the Markov chains (quintiles of the pooled relative level)
K_CLASSES = 5
#: spatial Markov tests: at least this many transitions per cell of the m x k x k table
MIN_PER_CELL = 5
#: the Markov steady state is reported from this many periods on (two transition steps)
MIN_PERIODS_STEADY = 3


def _eligible(data: ReportData, notes: list, key: str, t, lang) -> list:
    index = [i for i in data.indicators if i.scale == "index"]
    if index:
        notes.append(t(key, lang, columns=", ".join(i.text(lang) for i in index)))
    return [i for i in data.indicators if i.scale != "index"]


def _levels(data: ReportData, ind, periods) -> tuple[pd.DataFrame, list]:
    """Long frame ``id, _t, level`` of the units with a finite positive level in every one
    of ``periods``; and the ids left out."""
    p = data.panel[data.panel["_period"].isin(periods)]
    level = ind.levels(p[ind.column].astype(float))
    frame = pd.DataFrame({"id": p[data.id].to_numpy(), "_t": p["_period"].to_numpy(),
                          "level": level.to_numpy()})
    wide = frame.pivot(index="id", columns="_t", values="level").reindex(columns=periods)
    ok = (np.isfinite(wide) & (wide > 0)).all(axis=1)
    kept = wide.index[ok]
    dropped = list(wide.index[~ok])
    return frame[frame["id"].isin(kept)].reset_index(drop=True), dropped


def _group_sets(data: ReportData, ids: pd.Index) -> list[tuple[str, pd.Index]]:
    g = data.unit_group.reindex(ids)
    sets = [("All", ids), (data.core, ids[(g == data.core).to_numpy()])]
    if len(data.peripheral) > 1:
        sets.append((PERIPHERY, ids[(g != data.core).to_numpy()]))
    sets += [(lab, ids[(g == lab).to_numpy()]) for lab in data.peripheral]
    return sets


def _w_on(w, ids):
    """libpysal W over ``ids`` (the report's weights restricted, re-standardised)."""
    import libpysal

    from ..weights.align import weights_on

    S = weights_on(w, ids).tocsr()
    return libpysal.weights.WSP(S, id_order=list(ids)).to_W(silence_warnings=True)


def _direction(beta, p) -> str:
    if np.isfinite(p) and p < 0.05:
        return "converging" if beta < 0 else "diverging"
    return "not significant"


def convergence_tables(data: ReportData, w, notes: list, lang: str, t) -> dict:
    """``beta`` (one row per indicator, group and model), ``sigma_log`` (SD of the log
    level, first and last period), ``clubs`` (when there are enough periods) and, under
    ``"_fits"``, the all-units OLS results for the figure."""
    from ..measures import beta_convergence, convergence_clubs

    first, last = data.first, data.last
    rows, sig, club_rows, fits = [], [], [], {}
    numeric = all(isinstance(p, (int, float, np.integer, np.floating)) for p in data.periods)
    if not numeric:
        notes.append(t("note_conv_periods", lang, time=data.time))
        return {}
    for ind in _eligible(data, notes, "note_conv_index", t, lang):
        frame, dropped = _levels(data, ind, [first, last])
        if dropped:
            notes.append(t("note_conv_dropped", lang, name=ind.text(lang), k=len(dropped),
                           units=", ".join(map(str, dropped[:10]))
                           + (" ..." if len(dropped) > 10 else "")))
        ids = pd.Index(pd.unique(frame["id"]))
        failed_all = False
        for label, members in _group_sets(data, ids):
            if len(members) < 5 or failed_all:
                continue
            part = frame[frame["id"].isin(members)]
            models = ["OLS"] + (["SAR", "SEM", "SDM"] if label == "All" else [])
            for kind in models:
                try:
                    with warnings.catch_warnings():
                        # an undefined speed is the "direction" column's business; islands
                        # of the restricted W are the weights note's
                        warnings.simplefilter("ignore", SpatialflowWarning)
                        res = beta_convergence(part, "level", id="id", time="_t",
                                               model=kind, w=None if kind == "OLS" else
                                               _w_on(w, members))
                except InputError as err:
                    notes.append(t("note_conv_failed", lang, name=ind.text(lang), model=kind,
                                   group=label, error=err))
                    # all units by OLS failed (e.g. a constant growth rate): the groups and
                    # spatial models would fail alike; one note says it
                    failed_all = label == "All" and kind == "OLS"
                    if failed_all:
                        break
                    continue
                if label == "All" and kind == "OLS":
                    fits[ind.column] = res
                se, p = res.bse, res.pvalues
                direction = _direction(res.beta, p["beta"])
                # a half-life of a beta indistinguishable from zero is a number without meaning
                half = (res.half_life, se["half_life"]) if direction == "converging" else \
                    (np.nan, np.nan)
                rows.append({"indicator": ind.column, "group": label, "model": kind,
                             "n": res.n, "start": first, "end": last, "beta": res.beta,
                             "beta_std_error": se["beta"], "beta_p_value": p["beta"],
                             "speed": res.speed, "speed_std_error": se["speed"],
                             "half_life": half[0], "half_life_std_error": half[1],
                             "direction": direction})
            if failed_all:
                break
            logs = np.log(part.pivot(index="id", columns="_t", values="level"))
            sd0, sd1 = float(logs[first].std(ddof=1)), float(logs[last].std(ddof=1))
            sig.append({"indicator": ind.column, "group": label, "n": len(members),
                        "sd_log_first": sd0, "sd_log_last": sd1, "sd_log_change": sd1 - sd0})
        if len(data.periods) >= MIN_PERIODS_CLUBS:
            full, _ = _levels(data, ind, list(data.periods))
            try:
                cl = convergence_clubs(full, "level", id="id", time="_t")
            except InputError as err:
                notes.append(t("note_clubs_failed", lang, name=ind.text(lang), error=err))
            else:
                for _, r in cl.tests.iterrows():
                    club_rows.append({"indicator": ind.column, "club": int(r["club"]),
                                      "n": int(r["n"]), "b": r["b"],
                                      "std_error": r["std_error"],
                                      "statistic": r["statistic"]})
    out = {"beta": pd.DataFrame(rows), "sigma_log": pd.DataFrame(sig), "_fits": fits}
    if club_rows:
        out["clubs"] = pd.DataFrame(club_rows)
        out["clubs"].attrs["statistic"] = "t"   # printed "t": the log t test's t_b
    return out


def dynamics_tables(data: ReportData, w, notes: list, lang: str, t) -> dict:
    """``densities`` (per indicator, period and reference: bandwidth, SD, mode, peaks),
    ``markov_classes`` (class bounds, first and last shares, steady state),
    ``spatial_markov_tests``; under ``"_objects"`` the densities and kernels for the
    figures."""
    from ..measures import kernel_densities, markov_chain, spatial_markov, stochastic_kernel

    dens, classes, tests, objects = [], [], [], {}
    periods = list(data.periods)
    for ind in _eligible(data, notes, "note_dyn_index", t, lang):
        frame, dropped = _levels(data, ind, periods)
        if dropped:
            notes.append(t("note_dyn_dropped", lang, name=ind.text(lang), k=len(dropped),
                           units=", ".join(map(str, dropped[:10]))
                           + (" ..." if len(dropped) > 10 else "")))
        ids = pd.Index(pd.unique(frame["id"]))
        if len(ids) < 10:
            continue
        W = _w_on(w, ids)
        obj = {}
        for relative in ("mean", "neighbours"):
            try:
                kd = kernel_densities(frame, "level", id="id", time="_t", relative=relative,
                                      w=W if relative == "neighbours" else None)
            except InputError as err:
                notes.append(t("note_dyn_failed", lang, name=ind.text(lang), what=relative,
                               error=err))
                continue
            obj[relative] = kd
            s = kd.summary()
            s.insert(0, "relative", relative)
            s.insert(0, "indicator", ind.column)
            dens.append(s)
        try:
            obj["kernel"] = stochastic_kernel(frame, "level", id="id", time="_t")
        except InputError as err:
            notes.append(t("note_dyn_part_failed", lang, name=ind.text(lang),
                           what=t("word_kernel", lang), error=err))
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", ThinDataWarning)   # said in the tables
                mc = markov_chain(frame, "level", id="id", time="_t", k=K_CLASSES)
                sm = spatial_markov(frame, "level", W, id="id", time="_t", k=K_CLASSES)
        except Exception as err:  # noqa: BLE001 - giddy / mapclassify raise many kinds
            # e.g. fewer distinct values than classes; the section goes on without the chain
            notes.append(t("note_dyn_part_failed", lang, name=ind.text(lang),
                           what=t("word_markov", lang), error=f"{type(err).__name__}: {err}"))
            if obj:
                objects[ind.column] = obj
            continue
        obj["markov"] = mc
        objects[ind.column] = obj
        # one transition per unit (two periods): the steady state would extrapolate a
        # handful of moves per class to the long run; only the observed shares are shown
        long_run = len(periods) >= MIN_PERIODS_STEADY
        for j, c in enumerate(mc.P.index):
            row = {"indicator": ind.column, "class": c, "upper_bound": float(mc.bins[j]),
                   "share_first": float(mc.initial[c]), "share_last": float(mc.final[c])}
            if long_run:
                row["steady_state"] = float(mc.steady_state[c])
            classes.append(row)
        n_trans = int(sum(T.to_numpy().sum() for T in sm.transitions.values()))
        cells = len(sm.transitions) * K_CLASSES * K_CLASSES
        row = {"indicator": ind.column, "units": len(ids), "transitions": n_trans,
               "cells": cells, "Q": np.nan, "Q_p_value": np.nan, "LR": np.nan,
               "LR_p_value": np.nan, "dof": np.nan}
        if n_trans >= MIN_PER_CELL * cells:
            row.update(Q=sm.Q, Q_p_value=sm.Q_p_value, LR=sm.LR, LR_p_value=sm.LR_p_value,
                       dof=sm.dof, reading=("transitions depend on the neighbours' class"
                                            if min(sm.Q_p_value, sm.LR_p_value) < 0.05 else
                                            "no evidence that neighbours matter"))
        else:
            row["reading"] = (f"not tested: {n_trans} transitions for {cells} cells (fewer "
                              f"than {MIN_PER_CELL} per cell)")
        tests.append(row)
    out = {"_objects": objects}
    if dens:
        out["densities"] = pd.concat(dens, ignore_index=True)
    if classes:
        out["markov_classes"] = pd.DataFrame(classes)
    if tests:
        out["spatial_markov_tests"] = pd.DataFrame(tests)
    return out
