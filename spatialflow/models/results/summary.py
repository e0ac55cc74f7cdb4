"""Presentation of fitted spatial models: :class:`Summary` and :func:`compare`.

A :class:`Summary` (one model) and a :class:`Comparison` (several models side by side) are
immutable snapshots built from results objects. Both keep their content as pandas
DataFrames for export (``Summary.tables``, ``Comparison.table``) and render it as plain
text, Markdown, LaTeX (``booktabs``) or HTML, following statsmodels' ``Summary`` and
linearmodels' ``compare``. Nothing here prints or modifies a results object.

Numbers are formatted and tables laid out by :mod:`spatialflow._render` (shared with the
report). One value (:func:`format_number`): magnitudes from 0.01 up to 1e6 with 4 decimals
(``-1.0316``); non-zero magnitudes below 0.01 with 4 significant digits (``0.0003912``; below
1e-4 in scientific notation, ``3.912e-05``) so that a small variance such as sigma2 is not
shown as ``0.0004``; magnitudes at or above 1e6 in scientific notation (``1.2346e+07``).
The columns of the coefficient and effects tables share one format per column
(:func:`spatialflow._render.format_column`: never ``0.004898`` beside ``4.004e-05``).
P-values always use 3 decimals, ``<0.001`` below 0.001 (:func:`format_pvalue`, the one
p-value format of the package). Counts are integers; missing
values are blank. In :func:`compare` a column holds different parameters and fit statistics
of one model, so its cells keep the one-value rule.

Significance stars in :func:`compare`: ``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.10
(strict inequalities: p = 0.05 gets ``*``). The renderers pad the trailing stars or closing
parenthesis of a number to the widest in its column, so that estimates with and without
stars and their standard errors line up on the decimal point (``0.3427   `` above
``0.0624** `` above ``(0.0123)  ``).

Data notice: when any fitted model's ``model.data`` carries ``attrs["synthetic"]`` (as the
frames of :func:`spatialflow.datasets.synthetic.synthetic_panel` do), every rendering says
so under its title, with ``attrs["description"]`` or :data:`SYNTHETIC_NOTE`.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from ... import _stats as stats  # scipy.stats kernels without its 0.5 s import

from ..._render import (STAR_LEVELS, STARS_NOTE, Block, Renderable, format_column,
                       format_number, format_pvalue, significance_stars)
from ..._vocabulary import wide
from ...exceptions import InputError
from .._design.naming import MODEL_KINDS, is_lag_name, lag_name

__all__ = ["Summary", "Comparison", "make_summary", "compare", "significance_stars",
           "format_number", "format_pvalue", "SYNTHETIC_NOTE", "STAR_LEVELS", "STARS_NOTE"]

# Model kinds whose coefficients on X are not the marginal effects (W enters y or X).
EFFECTS_KINDS = frozenset(k for k, f in MODEL_KINDS.items() if f.has_effects)

SYNTHETIC_NOTE = "SYNTHETIC data: not real statistics"

# ---------------------------------------------------------------------------------------
# Summary of one model
# ---------------------------------------------------------------------------------------
def _ci_labels(level: float) -> tuple[str, str]:
    alpha = 1.0 - level
    return f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"


def _check_level(level: float) -> None:
    if not (isinstance(level, Real) and 0.0 < float(level) < 1.0):
        raise InputError(f"level must be a number strictly between 0 and 1; {level!r} was given.")


def _endog_name(results: Any) -> str:
    """Dependent variable name: on the results, else on its model, else ``"y"``."""
    name = getattr(results, "endog_name", None)
    if name is None:
        name = getattr(getattr(results, "model", None), "endog_name", None)
    return str(name) if name is not None else "y"


def _uses_t(results: Any) -> bool:
    """OLS may report t inference (``use_t``); spatial ML models report z."""
    return bool(getattr(results, "use_t", False))


def _coefficient_frame(results: Any, level: float) -> pd.DataFrame:
    r"""Coefficient table with the interval

    .. math:: \hat\theta_j \pm q_{(1+\text{level})/2}\,\mathrm{se}(\hat\theta_j),

    ``q`` the normal quantile, or Student's t with ``df_resid`` degrees of freedom when the
    results use t inference; the statistic columns are then labelled ``t`` and ``P>|t|``.
    """
    lower_label, upper_label = _ci_labels(level)
    use_t = _uses_t(results)
    crit = (stats.t.ppf(0.5 + level / 2.0, results.df_resid) if use_t
            else stats.norm.ppf(0.5 + level / 2.0))
    stat = "t" if use_t else "z"
    params = results.params.astype(float)
    bse = results.bse.reindex(params.index).astype(float)
    return pd.DataFrame(
        {
            "coef": params,
            "std err": bse,
            stat: results.tvalues.reindex(params.index).astype(float),
            f"P>|{stat}|": results.pvalues.reindex(params.index).astype(float),
            lower_label: params - crit * bse,
            upper_label: params + crit * bse,
        }
    )


def _effects_frame(effects: pd.DataFrame, level: float) -> pd.DataFrame:
    """Long table indexed by (variable, effect) from the wide effects contract frame.

    Uses the z, p and interval columns of the effects frame when present (their interval
    may be a simulation percentile interval); otherwise the normal approximation.
    """
    lower_label, upper_label = _ci_labels(level)
    crit = stats.norm.ppf(0.5 + level / 2.0)
    records = []
    for variable, row in effects.iterrows():
        for kind in ("direct", "indirect", "total"):
            est = float(row[kind])
            se = float(row[wide(kind, "se")])
            z = float(row[wide(kind, "z")]) if wide(kind, "z") in row.index else est / se
            p = (
                float(row[wide(kind, "p")])
                if wide(kind, "p") in row.index
                else 2.0 * stats.norm.sf(abs(z))
            )
            lo = float(row[f"{kind}_lower"]) if f"{kind}_lower" in row.index else est - crit * se
            hi = float(row[f"{kind}_upper"]) if f"{kind}_upper" in row.index else est + crit * se
            records.append((variable, kind, est, se, z, p, lo, hi))
    frame = pd.DataFrame.from_records(
        records,
        columns=["variable", "effect", "estimate", "std err", "z", "P>|z|", lower_label, upper_label],
    )
    return frame.set_index(["variable", "effect"])


def _inference_block(title: str, frame: pd.DataFrame, labels: Sequence[str]) -> Block:
    # One number format per column (estimates, standard errors, ...), p-values fixed.
    columns = [format_column(frame[col].tolist(), pvalue=str(col).startswith("P>"))
               for col in frame.columns]
    rows = tuple((label, *cells) for label, cells in zip(labels, zip(*columns)))
    return Block(title=title, columns=("",) + tuple(frame.columns), rows=rows)


def _effective_nobs(results: Any) -> int | None:
    """The panel estimator's effective sample size when it differs from ``nobs``, else None."""
    panel = getattr(results, "panel", None) or {}
    eff = panel.get("nobs_effective")
    if eff is None or int(eff) == int(results.nobs):
        return None
    return int(eff)


def _effective_nobs_note(results: Any) -> str | None:
    r"""Footnote explaining the effective count, e.g. the Lee-Yu :math:`n^*T^*`.

    Under the Lee-Yu transformation unit effects remove one period (:math:`T^* = T - 1`) and
    time effects one unit (:math:`n^* = n - 1`); the likelihood and
    :math:`\hat\sigma^2 = SSE/(n^*T^*)` use :math:`n^*T^*`.
    """
    eff = _effective_nobs(results)
    if eff is None:
        return None
    panel = results.panel
    n, T, effects = panel.get("n"), panel.get("T"), panel.get("effects")
    how = str(panel.get("estimator") or "the panel estimator")
    if panel.get("bias_correction") == "lee-yu":
        how = "the Lee-Yu transformation"
    text = f"Effective observations: {eff} of {int(results.nobs)} after {how}"
    if n is not None and T is not None:
        n_star = int(n) - 1 if effects in ("time", "twoway") else int(n)
        T_star = int(T) - 1 if effects in ("unit", "twoway") else int(T)
        if n_star * T_star == eff:
            text += f" ({n_star} units x {T_star} periods)"
    return text + f"; the log-likelihood and sigma2 = SSE/{eff} use this count."


def _header_items(results: Any) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    left: list[tuple[str, Any]] = [
        ("Dep. variable", _endog_name(results)),
        ("Model", results.kind),
        ("No. observations", int(results.nobs)),
    ]
    eff = _effective_nobs(results)
    if eff is not None:
        left.append(("Effective obs.", eff))
    left += [
        ("No. parameters", int(results.k)),
        ("Converged", bool(results.converged)),
    ]
    extra = getattr(results, "extra", None) or {}
    if extra.get("estimator"):
        left.append(("Estimator", extra["estimator"]))
    left.append(("Covariance", extra.get("cov_label", "classic (inverse information)")))
    approximation = extra.get("approximation")
    if approximation:
        # Say where readers look first that the log-determinant is approximate, and how
        # precise it is at the estimate (Monte Carlo SE of the probes; the truncation bound
        # is in results.approximation).
        text = f"{approximation.get('method', 'approximate')} (approximate)"
        if approximation.get("logdet_se") is not None:
            text += f", MC SE {float(approximation['logdet_se']):.1e}"
        left.append(("Log-determinant", text))
    elif extra.get("logdet"):
        left.append(("Log-determinant", f"{extra['logdet']} (exact)"))
    if getattr(results, "information", None) in ("expected", "observed"):
        left.append(("Information", results.information))
    panel = getattr(results, "panel", None)
    if panel is not None:
        left += [
            ("Panel effects", panel.get("effects")),
            ("Periods (T)", panel.get("T")),
            ("Bias correction", panel.get("bias_correction") or "none"),
        ]
        if panel.get("dynamic"):
            left.append(("Dynamic", f"{panel['dynamic']} (periods used: "
                                    f"{panel.get('periods_used')})"))
            stat = getattr(results, "extra", {}).get("stationarity") or {}
            if stat:
                left.append(("Stationary", f"{'yes' if stat['stationary'] else 'NO'} "
                                           f"(tau+rho+eta = {stat['tau_rho_eta']:.4f})"))
    right: list[tuple[str, Any]] = [
        ("Log-likelihood", float(results.llf)),
        ("AIC", float(results.aic)),
        ("BIC", float(results.bic)),
        ("sigma2", float(results.sigma2)),
    ]
    name = getattr(results, "spatial_param", None)
    if name is not None:
        # SAC / GNS carry rho and lambda, dynamic panels tau and eta as well.
        shown = [p for p in ("tau", "eta", "rho", "lambda")
                 if p in results.params.index and (p == name or p not in results.exog_names)]
        for p in shown:
            right += [(p, float(results.params[p])), (f"SE({p})", float(results.bse[p]))]
    return left, right


def _header_block(left: list[tuple[str, Any]], right: list[tuple[str, Any]]) -> Block:
    """Two label/value pairs per row, statsmodels style."""
    rows = []
    for i in range(max(len(left), len(right))):
        cells: list[str] = []
        for side in (left, right):
            label, value = side[i] if i < len(side) else ("", None)
            cells += [f"{label}:" if label else "", format_number(value)]
        rows.append(tuple(cells))
    return Block(title="", columns=("", "", "", ""), rows=tuple(rows), show_header=False,
                  stretch=1, label_columns=(0, 2), kv_header=("Item", "Value"))


def _synthetic_notes(results_list: Sequence[Any], names: Sequence[str] | None = None) -> list[str]:
    """Data notices of the models fitted on data flagged ``attrs["synthetic"]``.

    One notice per distinct description; in a comparison it names the models concerned
    unless all of them are.
    """
    found: dict[str, list[str]] = {}
    for i, res in enumerate(results_list):
        data = getattr(getattr(res, "model", None), "data", None)
        attrs = getattr(data, "attrs", None)
        if not isinstance(attrs, Mapping) or not attrs.get("synthetic"):
            continue
        text = str(attrs.get("description") or SYNTHETIC_NOTE)
        found.setdefault(text, []).append(names[i] if names is not None else "")
    notes = []
    for text, models in found.items():
        if names is not None and len(models) < len(results_list):
            text = f"{', '.join(models)}: {text}"
        notes.append(text)
    return notes


class Summary(Renderable):
    """Summary of one fitted spatial model, built by :func:`make_summary`.

    Parameters
    ----------
    title : str
        The heading.
    tables : sequence of pandas.DataFrame
        The numeric tables (see ``tables`` below).
    blocks : sequence of Block
        The same tables as formatted blocks, what the renderers show.
    notes, warnings : sequence of str
        Footnotes, and data notices shown under the title.

    Attributes
    ----------
    title : str
    tables : list of pandas.DataFrame
        ``[header, coefficients]`` plus ``effects`` when available: the header as a one-column
        frame (``value``) indexed by label; the coefficients indexed by parameter name with
        columns ``coef``, ``std err``, ``z``, ``P>|z|`` and the interval bounds; the effects
        indexed by ``(variable, effect)`` with the same inference columns.
    notes : tuple of str
    warnings : tuple of str
        Data notices shown under the title in every rendering (synthetic data).

    Renderers: :meth:`as_text` (also ``str()``), :meth:`as_markdown`, :meth:`as_latex`,
    :meth:`as_html` (also ``_repr_html_`` in notebooks).
    """

    _css_class = "spatialflow-summary"

    def __init__(
        self,
        title: str,
        tables: Sequence[pd.DataFrame],
        blocks: Sequence[Block],
        notes: Sequence[str] = (),
        warnings: Sequence[str] = (),
    ) -> None:
        self.title = title
        self._tables = tuple(t.copy() for t in tables)
        self._blocks = tuple(blocks)
        self.notes = tuple(notes)
        self.warnings = tuple(warnings)

    @property
    def tables(self) -> list[pd.DataFrame]:
        """Copies of the tables, so exporting code cannot alter the summary."""
        return [t.copy() for t in self._tables]

    def __repr__(self) -> str:
        return self.as_text()


def make_summary(
    results: Any,
    *,
    include_effects: bool | None = None,
    level: float = 0.95,
    n_draws: int = 1000,
    seed: int = 0,
) -> Summary:
    r"""Build the :class:`Summary` of a fitted model.

    Parameters
    ----------
    results : SpatialResults
        Uses ``kind``, ``params``, ``bse``, ``tvalues``, ``pvalues``, ``llf``, ``aic``, ``bic``,
        ``sigma2``, ``nobs``, ``k``, ``converged``, ``spatial_param``, ``panel``,
        ``endog_name`` (or ``model.endog_name``), ``use_t``/``df_resid`` if present and, for
        effects, ``effects(n_draws=..., seed=...)``.
    include_effects : bool, optional
        Add the LeSage–Pace direct/indirect/total effects table. Default: True for the
        kinds in which W enters the mean of y through X or y (SAR, SDM, SLX, SDEM), where
        coefficients are not marginal effects. An error while computing them propagates.
    level : float, default 0.95
        Coverage of the coefficient interval

        .. math:: \hat\theta_j \pm z_{(1+\text{level})/2}\,\mathrm{se}(\hat\theta_j)

        (Student's t quantile instead of z when the results use t inference).
    n_draws, seed : int
        Passed to ``results.effects`` (simulated effect inference is reproducible by seed).

    Returns
    -------
    Summary
        Panel fits whose estimator uses fewer observations than ``nobs`` (the Lee-Yu
        transformation: :math:`n^*T^*`) show both counts and say which one sigma2 uses.
        A fit on data flagged ``attrs["synthetic"]`` carries the data notice in
        ``Summary.warnings``, shown under the title.
    """
    _check_level(level)
    if include_effects is None:
        include_effects = results.kind in EFFECTS_KINDS

    left, right = _header_items(results)
    header_table = pd.DataFrame(
        {"value": pd.Series([v for _, v in left + right], index=[k for k, _ in left + right], dtype=object)}
    )
    coefs = _coefficient_frame(results, level)
    tables = [header_table, coefs]
    blocks = [
        _header_block(left, right),
        _inference_block("Coefficients", coefs, [str(i) for i in coefs.index]),
    ]
    notes: list[str] = []
    eff_note = _effective_nobs_note(results)
    if eff_note:
        notes.append(eff_note)

    if include_effects:
        # An error here is a bug or a bad option and propagates: it is never a footnote.
        effects = results.effects(n_draws=n_draws, seed=seed, level=level)
        eff = _effects_frame(effects, level)
        tables.append(eff)
        labels = [f"{var}: {kind}" for var, kind in eff.index]
        title = "Effects (LeSage-Pace)"
        if getattr(results, "panel", None) and results.panel.get("dynamic"):
            title = "Short-run effects (LeSage-Pace; long run: effects(horizon='long'))"
        blocks.append(_inference_block(title, eff, labels))
        notes.append(f"Effects inference: {n_draws} simulation draws, seed {seed}.")

    title = f"{results.kind} Regression Results"
    return Summary(title, tables, blocks, notes, _synthetic_notes([results]))


# ---------------------------------------------------------------------------------------
# compare several models
# ---------------------------------------------------------------------------------------
def _unique_names(kinds: Sequence[str]) -> list[str]:
    """Model kinds as column names; repeated kinds get ``-1``, ``-2``, ... suffixes."""
    counts = pd.Series(kinds).value_counts()
    seen: dict[str, int] = {}
    names = []
    for kind in kinds:
        if counts[kind] == 1:
            names.append(kind)
        else:
            seen[kind] = seen.get(kind, 0) + 1
            names.append(f"{kind}-{seen[kind]}")
    return names


def _panel_label(res: Any) -> str | None:
    """``"twoway, lee-yu"``-style description of a panel fit (None for a cross-section)."""
    panel = getattr(res, "panel", None)
    if not panel:
        return None
    effects = panel.get("effects")
    if effects is None:
        return "pooled"
    if effects == "random":
        return "random"
    correction = panel.get("bias_correction")
    return f"{effects}, {correction if correction else 'no correction'}"


def _default_labels(results_list: Sequence[Any]) -> list[str]:
    """Column labels: the kind, with the panel set-up added when a kind repeats."""
    kinds = [str(r.kind) for r in results_list]
    labels = []
    for kind, res in zip(kinds, results_list):
        extra = _panel_label(res) if kinds.count(kind) > 1 else None
        labels.append(f"{kind} ({extra})" if extra else kind)
    return labels


def _panel_settings(results_list: Sequence[Any], names: Sequence[str]) -> pd.DataFrame | None:
    """Rows ``panel effects``, ``bias correction``, ``T`` by model when any fit is a panel."""
    panels = [getattr(r, "panel", None) or None for r in results_list]
    if not any(panels):
        return None
    rows: dict[str, list] = {"panel effects": [], "bias correction": [], "T": []}
    for panel in panels:
        if panel is None:
            rows["panel effects"].append("")
            rows["bias correction"].append("")
            rows["T"].append(None)
            continue
        effects = panel.get("effects")
        rows["panel effects"].append("pooled" if effects is None else str(effects))
        fixed = effects in ("unit", "time", "twoway")
        correction = panel.get("bias_correction")
        rows["bias correction"].append((correction or "none") if fixed else "")
        rows["T"].append(int(panel["T"]) if panel.get("T") is not None else None)
    return pd.DataFrame(rows, index=list(names), dtype=object).T


def _sigma2_note(results_list: Sequence[Any], names: Sequence[str]) -> str:
    """Footnote: which sigma2 each column shows (least-squares vs ML divisor)."""
    ls = [n for n, r in zip(names, results_list)
          if _least_squares(r) and not getattr(r, "panel", None)]
    dynamic = [n for n, r in zip(names, results_list)
               if (getattr(r, "panel", None) or {}).get("dynamic")]
    panel = [n for n, r in zip(names, results_list)
             if getattr(r, "panel", None) and n not in dynamic]
    gmm = [n for n, r in zip(names, results_list)
           if (getattr(r, "extra", None) or {}).get("method") == "gmm"]
    ml = [n for n in names if n not in ls and n not in panel and n not in dynamic
          and n not in gmm]
    parts = []
    if ls:
        parts.append(f"SSE/(n - k) for {', '.join(ls)} (least squares, as R's lm)")
    if ml:
        parts.append(f"SSE/n for {', '.join(ml)} (maximum likelihood)")
    if gmm:
        parts.append(f"SSE/n for {', '.join(gmm)} (GMM residuals; no likelihood)")
    if panel:
        parts.append(f"SSE/n_eff for {', '.join(panel)} (panel maximum likelihood; n_eff is "
                     "the 'n (effective)' row: n*T* = (n - 1 under time effects) x "
                     "(T - 1 under unit effects) after the Lee-Yu transformation, nT otherwise)")
    if dynamic:
        parts.append(f"bias-corrected QML estimate for {', '.join(dynamic)} (dynamic panel, "
                     "Yu-de Jong-Lee; n_eff = n* x (T - 1), n* = n - 1 under two-way effects)")
    return "sigma2: " + "; ".join(parts) + "."


def _least_squares(results: Any) -> bool:
    flags = MODEL_KINDS.get(str(results.kind))
    return flags is not None and flags.least_squares


def _param_group(name: str, results: Any) -> float:
    """Order key: Intercept, regressors, W_ regressors, tau, eta, rho, lambda."""
    if name == "Intercept":
        return 0
    if name in ("tau", "eta") and (getattr(results, "panel", None) or {}).get("dynamic"):
        return 2.5 if name == "tau" else 2.6
    if name == "rho":
        return 3
    if name == "lambda":
        return 4
    lagged = getattr(results, "lagged_names", None)
    if lagged is not None:
        return 2 if name in {lag_name(n) for n in lagged} else 1
    return 2 if is_lag_name(name) else 1


def _ordered_params(results_list: Sequence[Any]) -> list[str]:
    groups: dict[str, float] = {}
    for res in results_list:
        for name in res.params.index:
            groups.setdefault(str(name), _param_group(str(name), res))
    # Stable sort keeps first-appearance order inside each group.
    return sorted(groups, key=lambda n: groups[n])


def _cell(est: float, se: float, p: float, stars: bool,
          digits: int | None = None) -> tuple[str, str]:
    if est is None or (isinstance(est, float) and math.isnan(est)):
        return "", ""
    mark = significance_stars(p) if stars else ""
    fmt = format_number if digits is None else (lambda v: f"{float(v):.{digits}f}")
    return fmt(est) + mark, f"({fmt(se)})"


# compare(stats=...): name -> (row label, value of one results object)
def _pseudo_r2(r) -> float:
    # the results' own method (no import of the inference module from here: layering)
    try:
        return float(r.pseudo_r2(predictor="fitted" if getattr(r, "panel", None) else "reduced")
                     ["squared_corr"])
    except (InputError, AttributeError, ValueError):
        return float("nan")


_STATS = {
    "nobs": ("n", lambda r: int(r.nobs)),
    "llf": ("logL", lambda r: float(r.llf)),
    "aic": ("AIC", lambda r: float(getattr(r, "aic", np.nan))),
    "bic": ("BIC", lambda r: float(getattr(r, "bic", np.nan))),
    "sigma2": ("sigma2", lambda r: float(getattr(r, "sigma2", np.nan))),
    "pseudo_r2": ("pseudo R2 (corr²)", _pseudo_r2),
}


def _patterns(value, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    value = list(value)
    for v in value:
        if not isinstance(v, str):
            raise InputError(f"{what} must be a regular expression or a list of them; "
                             f"{v!r} was given.")
        try:
            re.compile(v)
        except re.error as err:
            raise InputError(f"{what}: {v!r} is not a valid regular expression ({err}).") from None
    return value


def _select(names: list[str], keep, drop, order) -> list[str]:
    """keep (regexes: only matches, in pattern order), drop (regexes), order (matches first)."""
    keep_p, drop_p, order_p = (_patterns(keep, "keep"), _patterns(drop, "drop"),
                               _patterns(order, "order"))
    out = list(names)
    if keep_p:
        out = list(dict.fromkeys(n for pat in keep_p for n in out if re.search(pat, n)))
    out = [n for n in out if not any(re.search(pat, n) for pat in drop_p)]
    if order_p:
        first = list(dict.fromkeys(n for pat in order_p for n in out if re.search(pat, n)))
        out = first + [n for n in out if n not in first]
    return out


class Comparison(Renderable):
    """Several fitted models side by side, built by :func:`compare`.

    Parameters
    ----------
    title : str
        The heading.
    table : pandas.DataFrame
        The displayed table as strings (see ``table`` below).
    numeric : dict of str to pandas.DataFrame or None
        ``params``, ``bse``, ``pvalues``, ``stats``, ``effects`` and ``settings`` as
        numbers (see below).
    blocks : sequence of Block
        The formatted blocks the renderers show.
    notes, warnings : sequence of str
        Footnotes, and data notices shown under the title.

    Attributes
    ----------
    table : pandas.DataFrame
        The displayed table as strings: per parameter a row with the estimate (and stars)
        followed by a row (labelled ``""``) with its standard error in parentheses; blank
        where a model has no such parameter; then the panel set-up rows (panels only),
        ``n``, ``n (effective)`` (panels only), ``logL``, ``AIC``, ``BIC``,
        ``sigma2`` and, if requested, effects rows ``<effect>: <variable>``.
    params, bse, pvalues : pandas.DataFrame
        Numeric values, parameters by models (NaN where absent), for export.
    stats : pandas.DataFrame
        Numeric fit statistics, statistics by models.
    effects : pandas.DataFrame or None
        Long effects table indexed by (model, variable, effect), if requested.
    settings : pandas.DataFrame or None
        Panel set-up (``panel effects``, ``bias correction``, ``T``) by model, when any model
        is a panel fit.
    """

    _css_class = "spatialflow-comparison"

    def __init__(
        self,
        title: str,
        table: pd.DataFrame,
        numeric: dict[str, pd.DataFrame | None],
        blocks: Sequence[Block],
        notes: Sequence[str],
        warnings: Sequence[str] = (),
    ) -> None:
        self.title = title
        self._table = table.copy()
        self._numeric = {k: (None if v is None else v.copy()) for k, v in numeric.items()}
        self._blocks = tuple(blocks)
        self.notes = tuple(notes)
        self.warnings = tuple(warnings)

    @property
    def table(self) -> pd.DataFrame:
        """The displayed table as strings (a copy)."""
        return self._table.copy()

    @property
    def params(self) -> pd.DataFrame:
        """Estimates, parameters by models (NaN where absent)."""
        return self._numeric["params"].copy()

    @property
    def bse(self) -> pd.DataFrame:
        """Standard errors, parameters by models (NaN where absent)."""
        return self._numeric["bse"].copy()

    @property
    def pvalues(self) -> pd.DataFrame:
        """p-values, parameters by models (NaN where absent)."""
        return self._numeric["pvalues"].copy()

    @property
    def stats(self) -> pd.DataFrame:
        """Fit statistics, statistics by models."""
        return self._numeric["stats"].copy()

    @property
    def effects(self) -> pd.DataFrame | None:
        """Long effects table indexed by (model, variable, effect); None unless requested."""
        eff = self._numeric["effects"]
        return None if eff is None else eff.copy()

    @property
    def settings(self) -> pd.DataFrame | None:
        """Panel set-up by model (``panel effects``, ``bias correction``, ``T``); None without panels."""
        out = self._numeric.get("settings")
        return None if out is None else out.copy()

    def __repr__(self) -> str:
        return self.as_text()


def compare(
    results_list: Sequence[Any] | Mapping[str, Any],
    names: Sequence[str] | None = None,
    stars: bool = True,
    include_effects: bool = False,
    *,
    n_draws: int = 1000,
    seed: int = 0,
    rename: Mapping[str, str] | None = None,
    keep: str | Sequence[str] | None = None,
    drop: str | Sequence[str] | None = None,
    order: str | Sequence[str] | None = None,
    digits: int | None = None,
    stats: Sequence[str] | None = None,
    dep_var: bool = False,
) -> Comparison:
    """Compare fitted models side by side.

    Parameters
    ----------
    results_list : results, sequence of results, or mapping name -> results
        Fitted models (any mix of kinds); a single results object gives one column. With a
        mapping, its keys are the column names.
    names : sequence of str, optional
        Column names; default the model kinds. When a kind repeats, panel fits are told
        apart by their set-up (``SDM (twoway, lee-yu)``, ``SDM (twoway, no correction)``)
        and any names still equal get ``-1``, ``-2`` suffixes (``SDM-1``, ``SDM-2``).
    stars : bool, default True
        Mark estimates with ``***`` (p < 0.01), ``**`` (p < 0.05), ``*`` (p < 0.10).
    include_effects : bool, default False
        Add direct, indirect and total effects (with SE) per regressor for the models of
        kind SAR, SDM, SLX or SDEM; calls ``results.effects(n_draws=..., seed=...)``.
    n_draws, seed : int
        Passed to ``results.effects``.
    rename : mapping, optional
        Display labels of parameters (``{"labour_flow": "Labour inflow"}``); the numeric
        frames keep the parameter names.
    keep, drop, order : str or list of str, optional
        Regular expressions (:func:`re.search`) on parameter names, as pyfixest's
        ``etable``: ``keep`` shows only the matches (in pattern order), ``drop`` removes
        matches, ``order`` moves matches to the top in pattern order.
    digits : int, optional
        Fixed decimals for estimates and SEs (default: the package's number rule).
    stats : sequence of str, optional
        Fit statistics to show, in this order, from ``"nobs"``, ``"llf"``, ``"aic"``,
        ``"bic"``, ``"sigma2"``, ``"pseudo_r2"`` (squared correlation of y with the
        reduced-form prediction; panels: the fitted values). Default: n, ``n (effective)``
        for panels, logL, AIC, BIC, sigma2.
    dep_var : bool, default False
        Add a first row naming each model's dependent variable.

    Returns
    -------
    Comparison
        Rows: Intercept, regressors, ``W_`` regressors, ``rho``, ``lambda`` (the union over
        models, each with its SE below in parentheses), then -- when any model is a panel
        fit -- ``panel effects``, ``bias correction`` and ``T`` (also in
        ``Comparison.settings``), then n, ``n (effective)`` (panels: the estimator's count,
        :math:`n^*T^*` under the Lee-Yu transformation), logL, AIC, BIC, sigma2. A footnote
        says which sigma2 each column shows: :math:`SSE/(n-k)` for cross-sectional OLS and
        SLX (least squares, as R's ``lm``), :math:`SSE/n` for the cross-sectional ML models,
        :math:`SSE/n_{eff}` for panels (values are shown as estimated, not converted).
        Models fitted on data flagged ``attrs["synthetic"]`` put a data notice under the
        title (``Comparison.warnings``).

    Raises
    ------
    InputError
        If no models are given, ``names`` has the wrong length or repeats a name, or an item
        is not a fitted results object.
    """
    if hasattr(results_list, "params") and hasattr(results_list, "kind"):
        results_list = [results_list]  # one fitted model: a one-column comparison
    if isinstance(results_list, Mapping):
        if names is not None:
            raise InputError("names must not be given when results_list is a mapping (its keys are the names).")
        names = [str(k) for k in results_list]
        results_list = list(results_list.values())
    results_list = list(results_list)
    if not results_list:
        raise InputError("compare needs at least one fitted results object; an empty list was given.")
    for i, res in enumerate(results_list):
        missing = [a for a in ("kind", "params", "bse", "pvalues", "nobs", "llf") if not hasattr(res, a)]
        if missing:
            raise InputError(
                f"compare expects fitted results objects; item {i} ({type(res).__name__}) "
                f"lacks attribute(s) {missing}."
            )
    if names is None:
        names = _unique_names(_default_labels(results_list))
    else:
        names = [str(n) for n in names]
        if len(names) != len(results_list):
            raise InputError(
                f"names must have one entry per model: {len(results_list)} expected, "
                f"{len(names)} given ({names})."
            )
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError(f"names must be unique; repeated: {dup}.")

    if rename is not None and not isinstance(rename, Mapping):
        raise InputError(f"rename must be a mapping of parameter names to labels; "
                         f"{type(rename).__name__} was given.")
    if digits is not None and (not isinstance(digits, int) or isinstance(digits, bool)
                               or not 0 <= digits <= 12):
        raise InputError(f"digits must be an integer from 0 to 12; {digits!r} was given.")
    if stats is not None:
        stats = [stats] if isinstance(stats, str) else list(stats)
        unknown = [x for x in stats if x not in _STATS]
        if unknown:
            raise InputError(f"stats {unknown} are not known; choose from {list(_STATS)}.")
    rename = dict(rename or {})
    order = _select(_ordered_params(results_list), keep, drop, order)
    if not order:
        raise InputError("keep/drop leave no parameter to show; parameters: "
                         f"{_ordered_params(results_list)}.")
    params = pd.DataFrame({n: r.params for n, r in zip(names, results_list)}).reindex(order)
    bse = pd.DataFrame({n: r.bse for n, r in zip(names, results_list)}).reindex(order)
    pvals = pd.DataFrame({n: r.pvalues for n, r in zip(names, results_list)}).reindex(order)
    settings = _panel_settings(results_list, names)
    if stats is not None:
        stat_rows = {_STATS[x][0]: [_STATS[x][1](r) for r in results_list] for x in stats}
    else:
        stat_rows = {"n": [int(r.nobs) for r in results_list]}
        if settings is not None:
            # Panels: the estimator's own count (n*T* under Lee-Yu) beside n = nT.
            stat_rows["n (effective)"] = [
                int((r.panel or {}).get("nobs_effective", r.nobs)) if getattr(r, "panel", None)
                else None for r in results_list]
        stat_rows |= {
            "logL": [float(r.llf) for r in results_list],
            "AIC": [float(getattr(r, "aic", np.nan)) for r in results_list],
            "BIC": [float(getattr(r, "bic", np.nan)) for r in results_list],
            "sigma2": [float(getattr(r, "sigma2", np.nan)) for r in results_list],
        }
    stats_frame = pd.DataFrame(stat_rows, index=names, dtype=float).T

    labels: list[str] = []
    body: list[list[str]] = []
    rules: list[int] = []
    text_rows = []
    if dep_var:
        text_rows.append(0)
        labels.append("Dependent variable")
        body.append([str(getattr(r, "endog_name", "")) for r in results_list])
        rules.append(0)
    for name in order:
        est_row, se_row = [], []
        for model in names:
            est, se = _cell(params.at[name, model], bse.at[name, model], pvals.at[name, model],
                            stars, digits)
            est_row.append(est)
            se_row.append(se)
        labels += [rename.get(name, name), ""]
        body += [est_row, se_row]
    rules.append(len(body) - 1)
    if settings is not None:
        for setting, row in settings.iterrows():
            if setting != "T":
                text_rows.append(len(body))
            labels.append(str(setting))
            body.append([format_number(v) for v in row.to_numpy()])
        rules.append(len(body) - 1)
    for stat, values in stat_rows.items():
        labels.append(stat)
        body.append([format_number(v) for v in values])

    effects_long = None
    notes = [STARS_NOTE] if stars else []
    notes.append(_sigma2_note(results_list, names))
    if include_effects:
        frames = {}
        for model, res in zip(names, results_list):
            if res.kind not in EFFECTS_KINDS:
                continue
            eff = res.effects(n_draws=n_draws, seed=seed)
            frames[model] = _effects_frame(eff, 0.95)
        if frames:
            effects_long = pd.concat(frames, names=["model"])
            rules.append(len(body) - 1)
            variables = list(dict.fromkeys(v for f in frames.values() for v, _ in f.index))
            keys = [(kind, v) for kind in ("direct", "indirect", "total") for v in variables]
            for kind, variable in keys:
                est_row, se_row = [], []
                for model in names:
                    f = frames.get(model)
                    if f is not None and (variable, kind) in f.index:
                        row = f.loc[(variable, kind)]
                        est, se = _cell(float(row["estimate"]), float(row["std err"]),
                                        float(row["P>|z|"]), stars, digits)
                    else:
                        est, se = "", ""
                    est_row.append(est)
                    se_row.append(se)
                labels += [f"{kind}: {rename.get(variable, variable)}", ""]
                body += [est_row, se_row]
            notes.append(f"Effects: simulated inference, {n_draws} draws, seed {seed}.")
    covs = [(n, (getattr(r, "extra", None) or {}).get("cov_label"))
            for n, r in zip(names, results_list)]
    if any(label for _, label in covs):
        notes.append("Standard errors in parentheses; covariance: " + "; ".join(
            f"{n}: {label or 'classic (inverse information)'}" for n, label in covs) + ".")
    else:
        notes.append("Standard errors in parentheses.")

    table = pd.DataFrame(body, index=pd.Index(labels, name=None), columns=names)
    block = Block(
        title="",
        columns=("",) + tuple(names),
        rows=tuple((lab, *cells) for lab, cells in zip(labels, body)),
        rules_after=tuple(rules),
        text_rows=tuple(text_rows),
    )
    numeric = {"params": params, "bse": bse, "pvalues": pvals, "stats": stats_frame,
               "effects": effects_long, "settings": settings}
    return Comparison("Model Comparison", table, numeric, [block], notes,
                      _synthetic_notes(results_list, names))
