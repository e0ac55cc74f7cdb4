r"""Procedures that fit several models and test between them.

- :func:`specification_search` -- Elhorst's (2010, 2014) specific-to-general then
  general-to-specific sequence over OLS, SLX, SAR, SEM, SDM (and SDEM), returned (never
  printed) as a :class:`SpecificationSearch`.
- :func:`refit` -- the same panel data as another model kind or with other effects.
- :func:`effects_lr_tests` -- LR tests of the joint significance of the unit and of the
  time fixed effects (Elhorst 2014, sec. 3.3), from within (uncorrected) fits.
- :func:`durbin_tests` -- LR and Wald tests SDM -> SAR (:math:`\theta = 0`) and SDM -> SEM
  (:math:`\theta + \rho\beta = 0`) for a panel SDM, with the same effects and correction.

The tests themselves are in :mod:`~spatialflow.models.diagnostics.hypotheses` and
:mod:`~spatialflow.models.diagnostics.lm`; this module only fits and assembles.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..._render import p_text
from ...exceptions import IdMismatchError, InputError, ModelSpecificationError
from .. import estimators as base
from .hypotheses import (TestResult, _chi2_result, check_comparable, common_factor_lr,
                         common_factor_test, lr_test, test_frame, wald_test)
from .lm import lm_tests
from .._design.naming import lag_name
from .._estimation.panel import spec_of

if TYPE_CHECKING:  # annotations only
    from ..._typing import WeightsLike
    from ..estimators import SpatialModel
    from ..results.base import SpatialResults

__all__ = ["SpecificationSearch", "specification_search", "refit", "effects_lr_tests",
           "durbin_tests"]


@dataclass(frozen=True)
class SpecificationSearch:
    """Outcome of :func:`specification_search`.

    Attributes
    ----------
    tests : pd.DataFrame
        Every test run: ``hypothesis``, ``statistic``, ``df``, ``p_value``, ``decision``
        (``"reject"`` / ``"not rejected"`` at ``alpha``), indexed by test name.
    ranking : pd.DataFrame
        Models by AIC with ``logL``, ``k``, ``aic``, ``bic``, ``rank_aic``, ``rank_bic``.
    decision : str
        The chosen model (``"OLS"``, ``"SLX"``, ``"SAR"``, ``"SEM"``, ``"SDM"``).
    reason : str
        Why, in words.
    results : dict
        The fitted results by model name.
    alpha : float
    criterion : str
    """

    tests: pd.DataFrame
    ranking: pd.DataFrame
    decision: str
    reason: str
    results: dict = field(repr=False, default_factory=dict)
    alpha: float = 0.05
    criterion: str = "lr"

    def __repr__(self) -> str:
        return (f"SpecificationSearch(decision={self.decision!r}, alpha={self.alpha}, "
                f"criterion={self.criterion!r}, {len(self.tests)} tests)\n{self.reason}")


def _lm_direction(lm: pd.DataFrame, alpha: float) -> str:
    """Which model the LM tests point to: 'lag', 'error', or 'none'.

    The robust tests decide; when both (or neither) robust tests reject, the larger
    statistic wins among the rejected ones (Anselin's decision rule); if no robust test
    rejects, the classic tests are read the same way.
    """
    for lag, err in (("robust LM-lag", "robust LM-error"), ("LM-lag", "LM-error")):
        p_lag, p_err = lm.loc[lag, "p_value"], lm.loc[err, "p_value"]
        if p_lag < alpha and p_err < alpha:
            return "lag" if lm.loc[lag, "statistic"] >= lm.loc[err, "statistic"] else "error"
        if p_lag < alpha:
            return "lag"
        if p_err < alpha:
            return "error"
    return "none"


def specification_search(
    formula: str,
    data: pd.DataFrame,
    w: WeightsLike,
    *,
    alpha: float = 0.05,
    criterion: Literal["lr", "wald"] = "lr",
    **model_options: Any,
) -> SpecificationSearch:
    r"""Choose among OLS, SLX, SAR, SEM and SDM by Elhorst's testing sequence (SDEM, SAC and
    GNS are fitted and tested as well).

    The sequence (Elhorst 2010, *Spatial Economic Analysis* 5(1); Elhorst 2014, ch. 2):

    1. **Specific to general.** Estimate OLS and compute the LM tests and their robust
       versions (:func:`lm_tests`). If no LM test rejects at ``alpha``, estimate SLX and
       test :math:`\theta = 0` (SLX vs OLS); if it is not rejected, **OLS** is chosen.
    2. **General to specific.** Otherwise estimate the SDM and test
       :math:`H_0^a: \theta = 0` (SDM vs SAR) and :math:`H_0^b: \theta + \rho\beta = 0`
       (SDM vs SEM, common factor), by LR (``criterion="lr"``) or Wald
       (``criterion="wald"``; :func:`wald_test`, :func:`common_factor_test`).

       - both rejected: **SDM**;
       - :math:`H_0^a` not rejected and the (robust) LM tests pointed to the lag: **SAR**;
       - :math:`H_0^b` not rejected and the (robust) LM tests pointed to the error: **SEM**;
       - otherwise (LM and LR/Wald disagree): **SDM**, which nests both.

    SDEM vs SEM (:math:`\theta = 0` in the SDEM) and SDEM vs SLX (:math:`\lambda = 0`) are
    reported as well, and so is the top of the nesting tree (Elhorst 2014, fig. 2.1): the
    GNS against SDM (:math:`\lambda = 0`), SDEM (:math:`\rho = 0`) and SAC
    (:math:`\theta = 0`), and the SAC against SAR (:math:`\lambda = 0`) and SEM
    (:math:`\rho = 0`), by LR. Every model (the eight) is ranked by AIC and BIC in
    ``ranking``; these do not override the sequence (the GNS is usually over-parameterised
    and weakly identified), but the reason notes when AIC prefers another model.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"`` (formulaic syntax).
    data : pd.DataFrame
        Indexed by unit id.
    w : libpysal Graph or W
        Keyed by the same ids.
    alpha : float, default 0.05
        Significance level of every test.
    criterion : {"lr", "wald"}, default "lr"
        Which nested test drives step 2 (both are reported).
    **model_options
        Passed to every ``from_formula`` (e.g. ``logdet="lu"``, ``regimes="core"``,
        ``missing="drop"``), so all eight models are fitted on the same sample and design;
        except ``lagged=`` (which regressors get a ``W_<x>`` lag), which is passed to the
        Durbin models only (SLX, SDM, SDEM, GNS): OLS, SAR, SEM and SAC have no lagged
        regressors.

    Returns
    -------
    SpecificationSearch
        ``.tests``, ``.ranking``, ``.decision``, ``.reason``, ``.results``.
    """
    if not (0.0 < alpha < 1.0):
        raise InputError(f"alpha must lie in (0, 1); {alpha!r} was given.")
    if criterion not in ("lr", "wald"):
        raise InputError(f"'criterion' needs to be one of {{'lr', 'wald'}}; "
                         f"{criterion!r} was given instead.")
    panel_options = [k for k in ("id", "time", "effects") if model_options.get(k) is not None]
    if panel_options:
        # Checked before fitting anything: the cross-sectional LM tests do not apply.
        raise ModelSpecificationError(
            "specification_search runs on a cross-section; panel options "
            f"{panel_options} were given. For panels, fit the models with id=, time= and "
            "effects= and use spatialflow.models.panel_lm_tests (LM tests), "
            "spatialflow.models.durbin_tests (SDM vs SAR / SEM) and "
            "spatialflow.models.effects_lr_tests.")
    # lagged= selects the W_<x> terms, so it goes to the Durbin models only (SLX, SDM, SDEM);
    # the other models refuse it.
    lagged_option = {k: model_options.pop(k) for k in ("lagged",) if k in model_options}

    def fit(kind: str):
        cls = getattr(base, kind)
        options = dict(model_options, **(lagged_option if cls.durbin else {}))
        return cls.from_formula(formula, data=data, w=w, **options).fit()

    res = {kind: fit(kind) for kind in ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC",
                                        "GNS")}
    ols, slx, sdm = res["OLS"], res["SLX"], res["SDM"]

    rows: list[tuple[str, TestResult]] = []
    # The LM tests need only y, X and W: take them from the OLS model frame (so regimes and
    # dropped rows are as in the fits) and W from the SLX fit, aligned to the same ids.
    frame = ols.model.frame
    if not pd.Index(frame.ids).equals(pd.Index(slx.ids)):
        raise IdMismatchError("OLS and SLX were fitted on different units; cannot run the "
                              "LM tests on a common sample.")
    y, X = frame.y, frame.X
    lm = lm_tests(y, X, slx.W)
    lm_h0 = {"LM-error": "lambda = 0 (OLS)", "LM-lag": "rho = 0 (OLS)",
             "robust LM-error": "lambda = 0 (OLS), robust to rho",
             "robust LM-lag": "rho = 0 (OLS), robust to lambda",
             "SARMA": "rho = lambda = 0 (OLS)"}
    for test_name, row in lm.iterrows():
        rows.append((lm_h0[test_name],
                     TestResult(test_name, row["statistic"], row["df"], row["p_value"])))

    wx_names = [lag_name(x) for x in sdm.lagged_names]
    rows += [
        ("theta = 0 (SLX -> OLS)", lr_test(ols, slx, name="LR SLX vs OLS")),
        ("theta = 0 (SLX -> OLS)", wald_test(slx, wx_names, name="Wald SLX vs OLS")),
        ("theta = 0 (SDM -> SAR)", lr_test(res["SAR"], sdm, name="LR SDM vs SAR")),
        ("theta = 0 (SDM -> SAR)", wald_test(sdm, wx_names, name="Wald SDM vs SAR")),
        ("theta + rho beta = 0 (SDM -> SEM)", common_factor_lr(sdm, res["SEM"])),
        ("theta + rho beta = 0 (SDM -> SEM)", common_factor_test(sdm)),
        ("theta = 0 (SDEM -> SEM)", lr_test(res["SEM"], res["SDEM"], name="LR SDEM vs SEM")),
        ("theta = 0 (SDEM -> SEM)", wald_test(res["SDEM"], wx_names, name="Wald SDEM vs SEM")),
        ("lambda = 0 (SDEM -> SLX)", lr_test(slx, res["SDEM"], name="LR SDEM vs SLX")),
        ("lambda = 0 (SAC -> SAR)", lr_test(res["SAR"], res["SAC"], name="LR SAC vs SAR")),
        ("rho = 0 (SAC -> SEM)", lr_test(res["SEM"], res["SAC"], name="LR SAC vs SEM")),
        ("lambda = 0 (GNS -> SDM)", lr_test(sdm, res["GNS"], name="LR GNS vs SDM")),
        ("rho = 0 (GNS -> SDEM)", lr_test(res["SDEM"], res["GNS"], name="LR GNS vs SDEM")),
        ("theta = 0 (GNS -> SAC)", lr_test(res["SAC"], res["GNS"], name="LR GNS vs SAC")),
        ("theta = 0 (GNS -> SAC)", wald_test(res["GNS"], wx_names, name="Wald GNS vs SAC")),
    ]
    tests = pd.DataFrame(
        {
            "hypothesis": [h for h, _ in rows],
            "statistic": [t.statistic for _, t in rows],
            "df": [t.df for _, t in rows],
            "p_value": [t.pvalue for _, t in rows],
        },
        index=pd.Index([t.name for _, t in rows], name="test"),
    )
    if np.all(np.mod(tests["df"].to_numpy(dtype=float), 1) == 0):
        tests["df"] = tests["df"].astype(int)   # degrees of freedom are counts: 1, never "1.0"
    tests["decision"] = np.where(tests["p_value"] < alpha, "reject", "not rejected")

    ranking = pd.DataFrame(
        {
            "logL": [r.llf for r in res.values()],
            "k": [r.k for r in res.values()],
            "aic": [r.aic for r in res.values()],
            "bic": [r.bic for r in res.values()],
        },
        index=pd.Index(list(res), name="model"),
    )
    ranking["rank_aic"] = ranking["aic"].rank(method="min").astype(int)
    ranking["rank_bic"] = ranking["bic"].rank(method="min").astype(int)
    ranking = ranking.sort_values(["aic", "bic"])

    decision, reason = _elhorst_decision(tests, lm, alpha, criterion)
    best_aic = ranking.index[0]
    if best_aic != decision:
        reason += f" (AIC alone would prefer {best_aic}.)"
    return SpecificationSearch(tests=tests, ranking=ranking, decision=decision,
                               reason=reason, results=res, alpha=alpha,
                               criterion=criterion)


def _elhorst_decision(tests: pd.DataFrame, lm: pd.DataFrame, alpha: float,
                      criterion: str) -> tuple[str, str]:
    tag = "LR" if criterion == "lr" else "Wald"
    p = tests["p_value"]
    any_lm = bool((lm.loc[["LM-error", "LM-lag", "robust LM-error", "robust LM-lag"],
                          "p_value"] < alpha).any())
    direction = _lm_direction(lm, alpha)
    if not any_lm:
        p_slx = p[f"{tag} SLX vs OLS"]
        if p_slx >= alpha:
            return "OLS", (
                f"No LM test rejects at alpha={alpha} and theta = 0 in SLX is not rejected "
                f"({tag} {p_text(p_slx)}): OLS."
            )
        step1 = (f"No LM test rejects at alpha={alpha}, but theta = 0 in SLX is rejected "
                 f"({tag} {p_text(p_slx)}); moving to the SDM.")
    else:
        step1 = f"The LM tests reject OLS at alpha={alpha} (they point to the {direction})."
    p_a = p[f"{tag} SDM vs SAR"]
    p_b = p["LR common factor (SDM vs SEM)" if tag == "LR" else
            "Wald common factor (SDM vs SEM)"]
    tail = f" {tag}: theta = 0 {p_text(p_a)}; theta + rho beta = 0 {p_text(p_b)}."
    if p_a < alpha and p_b < alpha:
        return "SDM", step1 + " Both SDM restrictions are rejected: SDM." + tail
    if p_a >= alpha and direction == "lag":
        return "SAR", step1 + " theta = 0 is not rejected and the LM tests point to the " \
                              "lag: SAR." + tail
    if p_b >= alpha and direction == "error":
        return "SEM", step1 + " The common factor restriction is not rejected and the LM " \
                              "tests point to the error: SEM." + tail
    return "SDM", step1 + (" The LM and the nested SDM tests disagree, so the SDM, which "
                           "nests both SAR and SEM, is kept.") + tail


def refit(obj, kind: str | None = None, *, effects="__same__", bias_correction="__same__"):
    """Fit the same panel data again as another model ``kind`` and/or with other effects.

    ``obj`` is a panel model or results; unspecified options are taken from it
    (``bias_correction`` from the results when given results, else ``"lee-yu"``).
    """
    spec = spec_of(obj)
    model = getattr(obj, "model", obj)
    kind = kind or model.kind
    cls = getattr(base, kind, None)
    if cls is None or not isinstance(cls, type) or not issubclass(cls, base.SpatialModel):
        raise InputError(f"kind must be one of OLS, SLX, SAR, SEM, SDM, SDEM, SAC, GNS; "
                         f"{kind!r} given.")
    if effects == "__same__":
        effects = spec.effects
    if bias_correction == "__same__":
        panel = getattr(obj, "panel", None)
        bias_correction = panel["bias_correction"] if panel else "lee-yu"
    kw = dict(spec.inputs)
    if not cls.durbin:
        kw.pop("lagged")
    data, y, X, w = kw.pop("data"), kw.pop("y"), kw.pop("X"), kw.pop("w")
    # A dynamic panel is refitted as a dynamic panel (PanelSpec names the kinds that can be).
    new = cls(y, X, w, data=data, effects=effects, add_constant=False,
              logdet=model.logdet_method, formula=model.formula,
              dynamic=getattr(spec, "dynamic", None), **kw)
    return new.fit(bias_correction=bias_correction)


def effects_lr_tests(obj: SpatialResults | SpatialModel) -> pd.DataFrame:
    r"""LR tests of the joint significance of the unit and the time fixed effects.

    With the within log-likelihoods (``bias_correction=None``, all fixed effects as
    parameters: Elhorst 2014, sec. 3.3) of the same model under two-way, unit and time
    effects:

    .. math::
        LR_\mu = 2(\ell_{twoway} - \ell_{time}) \sim \chi^2(n-1),\qquad
        LR_\lambda = 2(\ell_{twoway} - \ell_{unit}) \sim \chi^2(T-1).

    Parameters
    ----------
    obj : SpatialResults or SpatialModel
        A panel model or its results: the same data are refitted with two-way, unit and
        time effects.

    Returns
    -------
    DataFrame
        Rows ``LR unit effects``, ``LR time effects``; columns ``statistic``, ``df``,
        ``p_value``.
    """
    spec = spec_of(obj)
    fits = {e: refit(obj, effects=e, bias_correction=None) for e in ("twoway", "unit", "time")}
    for e in ("unit", "time"):
        # Different effects by design; everything else (sample, response, within ML) equal.
        check_comparable(fits[e], fits["twoway"], labels=(e, "twoway"),
                         test="the LR test of the effects", same_effects=False)
        if fits[e].panel["bias_correction"] is not None:
            raise ModelSpecificationError("the LR tests of the effects need within (uncorrected) "
                                          "fits; a bias-corrected fit was given.")
    n, T = spec.data.n, spec.data.T
    rows = [
        _chi2_result("LR unit effects", 2 * (fits["twoway"].llf - fits["time"].llf), n - 1),
        _chi2_result("LR time effects", 2 * (fits["twoway"].llf - fits["unit"].llf), T - 1),
    ]
    return test_frame(rows)


def durbin_tests(sdm: SpatialResults) -> pd.DataFrame:
    r"""LR and Wald tests of SDM -> SAR and SDM -> SEM for a fitted panel SDM.

    SAR: :math:`\theta = 0` (Wald on the ``W_<x>`` coefficients; LR against the SAR refitted
    with the same effects and correction). SEM: :math:`\theta + \rho\beta = 0` (the common
    factor Wald test; LR against the refitted SEM).

    Parameters
    ----------
    sdm : SpatialResults
        The results of a panel SDM.

    Returns
    -------
    DataFrame
        Rows ``Wald SDM vs SAR``, ``LR SDM vs SAR``, ``Wald SDM vs SEM``, ``LR SDM vs SEM``.
    """
    if getattr(sdm, "kind", None) != "SDM" or not getattr(sdm, "panel", None):
        raise ModelSpecificationError("durbin_tests needs the results of a panel SDM; "
                                      f"{getattr(sdm, 'kind', type(sdm).__name__)} given.")
    thetas = [lag_name(x) for x in sdm.lagged_names]
    sar = refit(sdm, "SAR")
    sem = refit(sdm, "SEM")
    rows = [
        wald_test(sdm, thetas, name="Wald SDM vs SAR"),
        lr_test(sar, sdm, name="LR SDM vs SAR"),
        common_factor_test(sdm),
        common_factor_lr(sdm, sem),
    ]
    rows[2] = TestResult("Wald SDM vs SEM", rows[2].statistic, rows[2].df, rows[2].pvalue)
    rows[3] = TestResult("LR SDM vs SEM", rows[3].statistic, rows[3].df, rows[3].pvalue)
    return test_frame(rows)
