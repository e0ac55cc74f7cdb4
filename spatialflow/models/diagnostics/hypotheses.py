r"""Hypothesis tests between and within fitted models.

- :class:`TestResult` -- one test: name, statistic, degrees of freedom, p-value.
- :func:`lr_test`, :func:`wald_test` -- nested models; :func:`check_comparable` refuses
  likelihoods that cannot be compared (other sample, response or panel set-up).
- :func:`common_factor_test`, :func:`common_factor_lr` -- SDM -> SEM
  (:math:`\theta + \rho\beta = 0`).
- :func:`chow_test` -- equality of regime coefficients (Wald).
- :func:`hausman_test` -- fixed against random effects.

Pure functions of results objects: this module fits nothing (the multi-fit procedures are in
:mod:`spatialflow.models.diagnostics.workflows`) and imports no other module of the models but
:mod:`~spatialflow.models._design.naming`.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd
from ..._render import p_text
from ... import _stats as stats  # scipy.stats kernels without its 0.5 s import

from ...exceptions import HausmanWarning, InputError, ModelSpecificationError, format_ids
from .._design.naming import lag_name
from ..results.testing import TestResult, _chi2_result, _frame, _restriction_matrix, _wald

if TYPE_CHECKING:  # an annotation only: regimes builds designs, it is not needed here
    from .._design.regimes import RegimeInfo
    from ..results.base import SpatialResults

__all__ = ["TestResult", "check_comparable", "lr_test", "wald_test", "common_factor_test",
           "common_factor_lr", "chow_test", "hausman_test", "test_frame"]


def _panel_settings(res) -> dict | None:
    panel = getattr(res, "panel", None)
    if not panel:
        return None
    return {key: panel.get(key) for key in ("effects", "bias_correction", "T", "n", "estimator")}


def _fix_hint(key: str, a, b) -> str:
    if key == "bias_correction":
        return " Fit both with the same correction, e.g. fit(bias_correction='lee-yu') for both."
    if key == "effects":
        return f" Fit both with the same effects= (e.g. effects={a!r} for both)."
    if key == "estimator":
        return " Fit both with the same effects= and bias_correction=."
    return " Fit both models on the same panel."


def check_comparable(first, second, *, labels=("restricted", "unrestricted"),
                     test: str = "an LR test", same_effects: bool = True) -> None:
    """Raise unless two fits have comparable likelihoods (same sample, response, panel set-up).

    Likelihoods of fits on different observations, of different responses, or of panel
    fits with different effects or bias corrections (which count different effective
    observations and log-determinant terms) are not comparable, so no LR statistic can be
    formed from them.

    Parameters
    ----------
    first, second : SpatialResults
    labels : tuple of str
        How the two fits are named in the message.
    test : str
        Name of the test for the message.
    same_effects : bool, default True
        Whether the panel effects must agree (False for the LR tests of the effects
        themselves, which compare e.g. two-way against unit effects by design).

    Raises
    ------
    ModelSpecificationError
        Naming what differs and how to refit.
    """
    la, lb = labels
    if first.nobs != second.nobs:
        raise ModelSpecificationError(
            f"{test} needs both models fitted on the same observations; "
            f"nobs {first.nobs} ({la}) vs {second.nobs} ({lb}). Fit both on the same data "
            "(same rows, same missing=/balance= handling).")
    ya = getattr(first, "endog_name", None)
    yb = getattr(second, "endog_name", None)
    if ya != yb:
        raise ModelSpecificationError(
            f"{test} needs both models to explain the same response; {ya!r} ({la}) vs "
            f"{yb!r} ({lb}).")
    ids_a, ids_b = getattr(first, "ids", None), getattr(second, "ids", None)
    if ids_a is not None and ids_b is not None:
        ids_a, ids_b = pd.Index(ids_a), pd.Index(ids_b)
        if not (len(ids_a) == len(ids_b) and ids_a.sort_values().equals(ids_b.sort_values())):
            only_a = ids_a.difference(ids_b, sort=False)
            only_b = ids_b.difference(ids_a, sort=False)
            raise ModelSpecificationError(
                f"{test} needs both models fitted on the same units; ids only in the {la} "
                f"fit {format_ids(only_a)}, only in the {lb} fit {format_ids(only_b)}.")
    pa, pb = _panel_settings(first), _panel_settings(second)
    if (pa is None) != (pb is None):
        raise ModelSpecificationError(
            f"{test} cannot compare a panel fit with a cross-sectional one "
            f"({la}: {'panel' if pa else 'cross-section'}, "
            f"{lb}: {'panel' if pb else 'cross-section'}).")
    if pa is None:
        return
    keys = ["effects", "bias_correction", "T", "n", "estimator"]
    if not same_effects:
        keys = ["T", "n"]
    for key in keys:
        if pa[key] != pb[key]:
            raise ModelSpecificationError(
                f"{test} compares likelihoods of the same panel estimator only; the fits "
                f"differ in {key}: {pa[key]!r} ({la}) vs {pb[key]!r} ({lb})."
                + _fix_hint(key, pa[key], pb[key]))


def lr_test(restricted: SpatialResults, unrestricted: SpatialResults, *, name: str | None = None) -> TestResult:
    r"""Likelihood-ratio test of a restricted model against the model nesting it.

    .. math::

        LR = 2(\ell_u - \ell_r) \sim \chi^2(k_u - k_r).

    The two log-likelihoods must be comparable: the fits must share the observations
    (``nobs`` and ``ids``), the response, and for panels the effects, the bias correction,
    T and the estimator (the Lee-Yu and the uncorrected within likelihoods count different
    effective observations, so mixing them gives meaningless statistics); the restricted
    model must have fewer parameters. Otherwise a :class:`ModelSpecificationError` names
    what differs.

    Parameters
    ----------
    restricted, unrestricted : SpatialResults
        Fitted on the same observations; ``k`` counts every estimated parameter.
    name : str, optional
        Label of the test (default ``"LR <unrestricted> vs <restricted>"``).

    Returns
    -------
    TestResult

    Raises
    ------
    ModelSpecificationError
        The fits are not nested comparable fits (see above).
    """
    for label, res in (("restricted", restricted), ("unrestricted", unrestricted)):
        if not all(hasattr(res, a) for a in ("llf", "k", "nobs")):
            raise InputError(
                f"{label} must be a fitted results object with llf, k and nobs; "
                f"{type(res).__name__} was given instead."
            )
    check_comparable(restricted, unrestricted)
    df = unrestricted.k - restricted.k
    if df <= 0:
        raise ModelSpecificationError(
            "the unrestricted model must have more parameters than the restricted one; "
            f"k = {unrestricted.k} ({getattr(unrestricted, 'kind', '?')}) unrestricted vs "
            f"k = {restricted.k} ({getattr(restricted, 'kind', '?')}) restricted. "
            "Pass the nested (smaller) model first."
        )
    stat = 2.0 * (float(unrestricted.llf) - float(restricted.llf))
    if name is None:
        name = (f"LR {getattr(unrestricted, 'kind', 'unrestricted')} vs "
                f"{getattr(restricted, 'kind', 'restricted')}")
    return _chi2_result(name, max(stat, 0.0), df)


def wald_test(results, R, r=None, *, name: str = "Wald") -> TestResult:
    r"""Wald test of linear restrictions :math:`R\theta = r` on ``results.params``.

    .. math::

        W = (R\hat\theta - r)' \left(R \hat V R'\right)^{-1} (R\hat\theta - r)
        \sim \chi^2(q), \qquad q = \operatorname{rank} R,

    with :math:`\hat V` = ``results.cov``.

    Parameters
    ----------
    results : SpatialResults
    R : list of str, DataFrame or array (q, p)
        A list of parameter names tests that they are all zero; a DataFrame has parameter
        names as columns (missing ones are zero); an array follows ``results.params``.
    r : array-like (q,), optional
        Right-hand side (zeros by default).
    name : str
        Label of the test.

    Returns
    -------
    TestResult
    """
    params = results.params
    cov = results.cov.loc[params.index, params.index].to_numpy(dtype=float)
    Rm = _restriction_matrix(R, params.index)
    q = Rm.shape[0]
    rv = np.zeros(q) if r is None else np.asarray(r, dtype=float).ravel()
    if rv.shape[0] != q:
        raise InputError(f"r must have {q} entries (one per row of R); {rv.shape[0]} given.")
    return _wald(Rm @ params.to_numpy(dtype=float) - rv, Rm @ cov @ Rm.T, name)


def _lagged_pairs(results) -> list[tuple[str, str]]:
    params = results.params
    pairs = [(x, lag_name(x)) for x in getattr(results, "lagged_names", [])]
    pairs = [(x, wx) for x, wx in pairs if x in params.index and wx in params.index]
    if not pairs:
        raise ModelSpecificationError(
            "the common factor test needs a spatial Durbin model with lagged regressors "
            f"(W_<x> in params); the params given are {list(params.index)}."
        )
    return pairs


def common_factor_test(sdm_results: SpatialResults) -> TestResult:
    r"""Wald test of the common factor restrictions of an SDM (SDM reducible to SEM).

    For the SDM :math:`y = \rho Wy + X\beta + WX\theta + \varepsilon`, the SEM is the
    special case :math:`\theta_k + \rho\beta_k = 0` for every lagged regressor :math:`k`.
    With :math:`g(\hat\psi) = \hat\theta + \hat\rho\hat\beta` and its Jacobian
    :math:`G` (:math:`\partial g_k/\partial\theta_k = 1`,
    :math:`\partial g_k/\partial\beta_k = \rho`, :math:`\partial g_k/\partial\rho = \beta_k`),
    the delta-method statistic is

    .. math::

        W = g' (G \hat V G')^{-1} g \sim \chi^2(K_\theta).

    Parameters
    ----------
    sdm_results : SpatialResults
        A fitted SDM (``spatial_param == "rho"``, lagged regressors ``W_<x>``).

    Returns
    -------
    TestResult
    """
    if getattr(sdm_results, "spatial_param", None) != "rho":
        raise ModelSpecificationError(
            "the common factor test applies to a spatial Durbin (lag) model with 'rho'; "
            f"a {getattr(sdm_results, 'kind', type(sdm_results).__name__)} model was given."
        )
    pairs = _lagged_pairs(sdm_results)
    params = sdm_results.params
    names = params.index
    cov = sdm_results.cov.loc[names, names].to_numpy(dtype=float)
    rho = float(params["rho"])
    g = np.array([params[wx] + rho * params[x] for x, wx in pairs], dtype=float)
    G = np.zeros((len(pairs), len(names)))
    for i, (x, wx) in enumerate(pairs):
        G[i, names.get_loc(wx)] = 1.0
        G[i, names.get_loc(x)] = rho
        G[i, names.get_loc("rho")] = params[x]
    return _wald(g, G @ cov @ G.T, "Wald common factor (SDM vs SEM)")


def common_factor_lr(sdm_results: SpatialResults, sem_results: SpatialResults) -> TestResult:
    r"""LR version of the common factor test: SDM against the SEM it nests.

    .. math::

        LR = 2(\ell_{SDM} - \ell_{SEM}) \sim \chi^2(K_\theta).

    Parameters
    ----------
    sdm_results, sem_results : SpatialResults
        An SDM and an SEM fitted on the same observations.

    Returns
    -------
    TestResult
        The LR statistic, :math:`K_\theta` degrees of freedom and the p-value.
    """
    kinds = (getattr(sdm_results, "kind", None), getattr(sem_results, "kind", None))
    if kinds != ("SDM", "SEM"):
        raise ModelSpecificationError(
            f"common_factor_lr compares an SDM with an SEM; ({kinds[0]}, {kinds[1]}) given."
        )
    return lr_test(sem_results, sdm_results, name="LR common factor (SDM vs SEM)")


test_frame = _frame  # the tests as a frame (statistic, df, p_value), by name


def chow_test(results: SpatialResults, info: RegimeInfo | None = None) -> pd.DataFrame:
    r"""Chow-type Wald tests that the regime coefficients are equal.

    For each varying variable :math:`x` with coefficients
    :math:`\beta_{x[1]}, \dots, \beta_{x[R]}` the restrictions
    :math:`\beta_{x[1]} - \beta_{x[r]} = 0` (:math:`r = 2..R`) are tested by

    .. math::

        W = (R\hat\beta)' (R \hat V R')^{-1} (R\hat\beta) \sim \chi^2(R - 1),

    with :math:`\hat V` = ``results.cov`` (which, for ML spatial models, includes the
    covariance of the coefficients with :math:`\rho`/:math:`\lambda`); the ``joint`` row
    stacks all restrictions (:math:`\chi^2(K_r(R-1))`), as ``spreg``'s ``chow.regi`` and
    ``chow.joint``. Lagged regressors ``W_<x[r]>`` of Durbin models are tested as the
    variable ``W_<x>``.

    Parameters
    ----------
    results : SpatialResults
        Fitted on the design returned by :func:`expand_design`.
    info : RegimeInfo, optional
        Default: the expansion the model made (``results.regime_info``, set when the model
        was given ``regimes=``).

    Returns
    -------
    pd.DataFrame
        Index: the varying variables then ``"joint"``; columns ``statistic``, ``df``,
        ``p_value``.
    """
    if info is None:
        info = getattr(results, "regime_info", None)
        if info is None:
            raise ModelSpecificationError(
                "these results were not fitted with regimes=; a Chow test needs regime-"
                "specific coefficients (fit e.g. SAR.from_formula(..., regimes='core')).")
    params = results.params
    names = params.index
    groups: dict[str, list[str]] = {}
    for var in info.varying:
        cols = info.columns[var]
        missing = [c for c in cols if c not in names]
        if missing:
            raise ModelSpecificationError(
                f"the results do not carry the regime coefficients {missing} of {var!r}; "
                f"were they fitted on this expansion? params: {list(names)}."
            )
        groups[var] = cols
        lagged = [lag_name(c) for c in cols]
        if all(c in names for c in lagged):
            groups[lag_name(var)] = lagged
    cov = results.cov.loc[names, names].to_numpy(dtype=float)
    beta = params.to_numpy(dtype=float)
    rows: list[TestResult] = []
    blocks = []
    for var, cols in groups.items():
        Rm = np.zeros((len(cols) - 1, len(names)))
        first = names.get_loc(cols[0])
        for i, c in enumerate(cols[1:]):
            Rm[i, first] = 1.0
            Rm[i, names.get_loc(c)] = -1.0
        blocks.append(Rm)
        rows.append(_wald(Rm @ beta, Rm @ cov @ Rm.T, var))
    Rj = np.vstack(blocks)
    rows.append(_wald(Rj @ beta, Rj @ cov @ Rj.T, "joint"))
    out = _frame(rows)
    out.index.name = "variable"
    return out


def hausman_test(fe: SpatialResults, re: SpatialResults, *,
                 names: Sequence[str] | None = None) -> TestResult:
    r"""Hausman test of random against fixed (unit) effects on their common coefficients.

    .. math::
        H = (\hat b_{FE} - \hat b_{RE})'\,[\hat V_{FE} - \hat V_{RE}]^{-}\,
            (\hat b_{FE} - \hat b_{RE}) \sim \chi^2(q),

    over the slopes and ``rho``/``lambda`` that both models estimate (not the intercept);
    :math:`[\cdot]^-` is the Moore-Penrose inverse and q its rank.

    **Which fits to compare.** Under H0 (effects uncorrelated with the regressors) both
    estimators are consistent and RE is efficient, so :math:`V_{FE} - V_{RE}` is positive
    semi-definite asymptotically. The random-effects model has *unit* effects only, so the
    fixed-effects fit must have ``effects="unit"`` (a time or two-way FE fit estimates a
    different model; it is refused). Use the **Lee-Yu** FE fit (``bias_correction="lee-yu"``,
    the default): its :math:`\hat\sigma^2` is consistent. The uncorrected within ML
    estimator (``bias_correction=None``) has :math:`E\hat\sigma^2 \approx
    \tfrac{T-1}{T}\sigma^2`, so its covariance is too small by that factor; with short
    panels this makes :math:`V_{FE} - V_{RE}` indefinite and the statistic negative.
    (For unit effects both FE fits give the same coefficients; only the covariance differs.)

    **Unreliable cases.** When :math:`V_{FE} - V_{RE}` is not positive definite, or the
    statistic is negative, a :class:`~spatialflow.exceptions.HausmanWarning` says so; the
    statistic is reported as computed and the p-value is the :math:`\chi^2(q)` upper tail at
    it, which is 1 for a negative statistic: that means the test is uninformative on these
    fits, not that RE is supported.

    Parameters
    ----------
    fe, re : SpatialResults
        Fixed-effects (``effects="unit"``, preferably Lee-Yu) and random-effects fits of
        the same model on the same data.
    names : list of str, optional
        The coefficients to compare (default: all common ones but the intercept).

    Returns
    -------
    TestResult

    Raises
    ------
    ModelSpecificationError
        ``fe``/``re`` are not unit fixed/random effects panel fits, or not fitted on the
        same observations, units and response.

    Warns
    -----
    HausmanWarning
        The covariance difference is not positive definite or the statistic is negative.
    """
    for label, res, want in (("fe", fe, ("unit", "twoway", "time")), ("re", re, ("random",))):
        panel = getattr(res, "panel", None)
        if not panel or panel.get("effects") not in want:
            raise ModelSpecificationError(
                f"{label} must be panel results with effects in {list(want)}; "
                f"{None if not panel else panel.get('effects')!r} was given.")
    if fe.panel["effects"] != "unit":
        raise ModelSpecificationError(
            "the Hausman test compares unit fixed effects with unit random effects; the FE "
            f"fit has effects={fe.panel['effects']!r}, which also sweeps out time effects that "
            "the RE model does not have, so the two are not comparable. Refit the FE model "
            "with effects='unit' (bias_correction='lee-yu').")
    check_comparable(fe, re, labels=("fe", "re"), test="the Hausman test", same_effects=False)
    if names is None:
        names = [c for c in fe.params.index if c in re.params.index and c != "Intercept"]
    missing = [c for c in names if c not in fe.params.index or c not in re.params.index]
    if missing or not names:
        raise InputError(f"coefficients {missing or names} are not estimated by both models; "
                         f"FE: {list(fe.params.index)}, RE: {list(re.params.index)}.")
    d = fe.params[names].to_numpy() - re.params[names].to_numpy()
    V = fe.cov.loc[names, names].to_numpy() - re.cov.loc[names, names].to_numpy()
    V = 0.5 * (V + V.T)
    q = int(np.linalg.matrix_rank(V))
    stat = float(d @ np.linalg.pinv(V) @ d)
    eig = np.linalg.eigvalsh(V)
    if eig.min() <= 0.0 or stat < 0.0:
        hint = ""
        if fe.panel.get("bias_correction") is None:
            hint = (" The FE fit is uncorrected (bias_correction=None): its sigma^2, and so "
                    "V_FE, is biased down by (T-1)/T; refit it with bias_correction='lee-yu'.")
        p = float(stats.chi2.sf(max(stat, 0.0), q))
        reading = (f"H < 0 gets p-value 1 (chi2({q}) tail), which does not support RE: the "
                   "test is uninformative here." if stat < 0 else
                   f"its chi2({q}) p-value ({p_text(p)}) rests on a covariance difference that is "
                   "not a covariance: read it with caution.")
        warnings.warn(
            f"Hausman test unreliable: V_FE - V_RE is not positive definite (smallest "
            f"eigenvalue {eig.min():.4g}); H = {stat:.6g}; " + reading + hint,
            HausmanWarning, stacklevel=2)
    return _chi2_result("Hausman FE vs RE", stat, q)

