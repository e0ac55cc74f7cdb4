r"""Tests and fit measures on a results object: Wald and t tests of linear restrictions
written as text, a ``tidy()`` frame, and pseudo-R².

Restrictions are linear equations in the parameter names, e.g. ``"INC = HOVAL"``,
``"W_INC + W_HOVAL = 0"``, ``"2*INC - rho = 1"``; several are separated by commas or given as
a list. A name that is not a Python identifier (``np.log(INC)``) is matched literally. They
become :math:`R\theta = r`, and

.. math::
    W = (R\hat\theta - r)'(R\hat VR')^{-1}(R\hat\theta - r) \sim \chi^2_q,\qquad
    t_j = (R\hat\theta - r)_j / \sqrt{(R\hat VR')_{jj}}

with :math:`\hat V` the covariance of the results (classic or robust, whichever the results
carry); t statistics use the t distribution with the residual degrees of freedom for least
squares fits (OLS, SLX) and the normal otherwise, as the coefficient table does.

Pseudo-R² (a spatial ML fit has no R² with the OLS decomposition):

.. math::
    R^2_{corr} = \mathrm{corr}(y, \hat y)^2,\qquad
    R^2_{var} = \mathrm{var}(\hat y) / \mathrm{var}(y),

for a chosen predictor :math:`\hat y` (default: the reduced form
:math:`(I-\rho W)^{-1}(X\beta + WX\theta)` of a cross-section; panels: the fitted values of
y minus the residuals, the fixed effects counted as fitted).

Examples
--------
>>> import libpysal, numpy as np, pandas as pd
>>> import spatialflow as sf
>>> w = libpysal.weights.lat2W(5, 5); w.transform = "r"
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"x": rng.normal(size=25), "z": rng.normal(size=25)}, index=w.id_order)
>>> df["y"] = 1 + df["x"] + rng.normal(size=25)
>>> res = sf.SDM.from_formula("y ~ x + z", data=df, w=w).fit()
>>> int(res.wald_test("W_x = 0, W_z = 0").df)
2
>>> list(res.t_test("x = z").index)
['x - z = 0']
>>> list(res.tidy().columns)
['term', 'estimate', 'std_error', 'statistic', 'p_value', 'lower', 'upper']
"""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Literal, Sequence, Union

import numpy as np
import pandas as pd
from ... import _stats as stats  # scipy.stats kernels without its 0.5 s import

from ..._validation import check_level
from ..._vocabulary import wide
from ...exceptions import InputError, ModelSpecificationError
from .testing import _restriction_matrix, _wald
from .prediction import predict

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike

    from .base import SpatialResults
    from .testing import TestResult

#: What ``wald_test`` and ``t_test`` accept as restrictions: text (``"x = z, W_x = 0"``),
#: names tested as zero, or the matrix R (a DataFrame with parameter columns, or an array).
Restrictions = Union[str, Sequence[str], pd.DataFrame, np.ndarray]

__all__ = ["parse_restrictions", "wald_test", "t_test", "tidy", "pseudo_r2"]


def _linear(node, tokens: dict[str, int], p: int, text: str):
    """(coefficients, constant) of a linear expression tree; raises if it is not linear."""
    if isinstance(node, ast.Expression):
        return _linear(node.body, tokens, p, text)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return np.zeros(p), float(node.value)
    if isinstance(node, ast.Name) and node.id in tokens:
        c = np.zeros(p)
        c[tokens[node.id]] = 1.0
        return c, 0.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        c, k = _linear(node.operand, tokens, p, text)
        return (-c, -k) if isinstance(node.op, ast.USub) else (c, k)
    if isinstance(node, ast.BinOp):
        lc, lk = _linear(node.left, tokens, p, text)
        rc, rk = _linear(node.right, tokens, p, text)
        if isinstance(node.op, ast.Add):
            return lc + rc, lk + rk
        if isinstance(node.op, ast.Sub):
            return lc - rc, lk - rk
        if isinstance(node.op, ast.Mult):
            if lc.any() and rc.any():
                raise InputError(f"restriction {text!r} is not linear in the parameters (a "
                                 "product of two parameters); use common_factor_test or a "
                                 "likelihood-ratio test for non-linear restrictions.")
            return (lc * rk + rc * lk), lk * rk
        if isinstance(node.op, ast.Div):
            if rc.any():
                raise InputError(f"restriction {text!r} divides by a parameter; only linear "
                                 "restrictions are supported.")
            if rk == 0:
                raise InputError(f"restriction {text!r} divides by zero.")
            return lc / rk, lk / rk
    if isinstance(node, ast.Name):
        raise InputError(f"{node.id!r} in restriction {text!r} is not a parameter; "
                         f"parameters are {list(tokens)}.")
    raise InputError(f"could not read restriction {text!r}: only parameter names, numbers, "
                     "+, -, * and / are allowed, with one '='.")


def parse_restrictions(restrictions, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``R`` (q x p) and ``r`` (q,) from text such as ``"INC = HOVAL, W_INC = 0"``.

    Parameters
    ----------
    restrictions : str or list of str
        Linear equations in the parameter names; an expression without ``=`` means ``= 0``.
    names : sequence of str
        The parameter names (``results.params.index``).
    """
    if isinstance(restrictions, str):
        parts = _split_top_level(restrictions)
    else:
        parts = [str(s) for s in restrictions]
    parts = [s.strip() for s in parts if s.strip()]
    if not parts:
        raise InputError("no restriction was given; write e.g. 'INC = HOVAL'.")
    names = list(names)
    # Replace names by placeholders, longest first, so 'W_INC' is not read as 'W_' + 'INC'
    # and names such as 'np.log(INC)' or 'C(region)[T.East]' are taken literally.
    order = sorted(range(len(names)), key=lambda i: -len(names[i]))
    tokens = {f"__p{i}__": i for i in range(len(names))}
    R, r = [], []
    for text in parts:
        if text.count("=") != 1 or "==" in text:
            if "=" in text:
                raise InputError(f"restriction {text!r} must have exactly one '='.")
            text_eq = text + " = 0"
        else:
            text_eq = text
        coded = text_eq
        for i in order:
            coded = re.sub(rf"(?<![\w.]){re.escape(names[i])}(?![\w])", f"__p{i}__", coded)
        lhs, rhs = coded.split("=")
        try:
            left = ast.parse(lhs.strip(), mode="eval")
            right = ast.parse(rhs.strip(), mode="eval")
        except SyntaxError as err:
            raise InputError(f"could not read restriction {text!r}: {err.msg}.") from None
        lc, lk = _linear(left, tokens, len(names), text)
        rc, rk = _linear(right, tokens, len(names), text)
        row = lc - rc
        if not row.any():
            raise InputError(f"restriction {text!r} involves no parameter.")
        R.append(row)
        r.append(rk - lk)
    return np.array(R), np.array(r)


def _split_top_level(text: str) -> list[str]:
    """Split on commas/semicolons outside parentheses and brackets."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch in ",;" and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _restriction_arrays(results, restrictions, r):
    names = list(results.params.index)
    if isinstance(restrictions, str) or (
            isinstance(restrictions, (list, tuple)) and restrictions
            and all(isinstance(s, str) for s in restrictions)
            and any(("=" in s) or any(op in s for op in "+-*/") for s in restrictions)):
        if r is not None:
            raise InputError("r= is given inside the text of the restrictions "
                             "('INC = 1'); do not pass it separately.")
        return parse_restrictions(restrictions, names)
    R = _restriction_matrix(restrictions, results.params.index)
    rv = np.zeros(R.shape[0]) if r is None else np.asarray(r, dtype=float).ravel()
    if rv.shape[0] != R.shape[0]:
        raise InputError(f"r must have {R.shape[0]} entries (one per row of R); "
                         f"{rv.shape[0]} given.")
    return R, rv


def wald_test(results: SpatialResults, restrictions: Restrictions,
              r: ArrayLike | None = None, *, name: str = "Wald") -> TestResult:
    r"""Wald test of linear restrictions, with the covariance the results carry.

    :math:`W = (R\hat\theta - r)'(R\hat VR')^{-1}(R\hat\theta - r) \sim \chi^2_q`.

    Parameters
    ----------
    results : SpatialResults
        A fit.
    restrictions : str, list of str, DataFrame or array
        Text (``"INC = HOVAL, W_INC = 0"``), a list of names tested as zero, a DataFrame
        with parameter columns, or an array (with ``r``).
    r : array-like, optional
        The right-hand side with an array or DataFrame ``restrictions`` (default 0).
    name : str, default "Wald"
        The name of the test in the result.

    Returns
    -------
    TestResult
        The statistic, its degrees of freedom q and p-value.
    """
    R, rv = _restriction_arrays(results, restrictions, r)
    theta = results.params.to_numpy(dtype=float)
    V = results.cov.to_numpy(dtype=float)
    return _wald(R @ theta - rv, R @ V @ R.T, name)


def _labels(R, rv, names) -> list[str]:
    out = []
    for row, k in zip(R, rv):
        terms = []
        for c, nm in zip(row, names):
            if c == 0:
                continue
            coef = "" if abs(c) == 1 else f"{abs(c):g}*"
            sign = "-" if c < 0 else "+"
            terms.append(f"{sign} {coef}{nm}")
        txt = " ".join(terms).lstrip("+ ").strip()
        if txt.startswith("- "):
            txt = "-" + txt[2:]
        out.append(f"{txt} = {k:g}")
    return out


def t_test(results: SpatialResults, restrictions: Restrictions, r: ArrayLike | None = None,
           *, level: float = 0.95) -> pd.DataFrame:
    """One t (or z) test per restriction.

    Parameters
    ----------
    results : SpatialResults
        A fit.
    restrictions : str, list of str, DataFrame or array
        As in :func:`wald_test`.
    r : array-like, optional
        The right-hand side with an array or DataFrame ``restrictions`` (default 0).
    level : float, default 0.95
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        ``estimate`` (:math:`R\\hat\\theta - r`), ``std_error``, ``statistic``,
        ``p_value``, ``lower``, ``upper``, indexed by the restriction written out.
    """
    level = check_level(level)
    R, rv = _restriction_arrays(results, restrictions, r)
    theta = results.params.to_numpy(dtype=float)
    V = results.cov.to_numpy(dtype=float)
    est = R @ theta - rv
    se = np.sqrt(np.einsum("ij,jk,ik->i", R, V, R))
    stat = est / se
    dist = stats.t(results.df_resid) if results.use_t else stats.norm()
    q = dist.ppf((1 + level) / 2)
    return pd.DataFrame({"estimate": est, "std_error": se, "statistic": stat,
                         "p_value": 2 * dist.sf(np.abs(stat)), "lower": est - q * se,
                         "upper": est + q * se},
                        index=pd.Index(_labels(R, rv, list(results.params.index)),
                                       name="restriction"))


def tidy(results: SpatialResults, *, level: float = 0.95) -> pd.DataFrame:
    """The coefficient table as a plain frame, one row per parameter.

    Parameters
    ----------
    results : SpatialResults
        A fit.
    level : float, default 0.95
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``estimate``, ``std_error``, ``statistic``, ``p_value``, ``lower``,
        ``upper``, from the covariance the results carry.
    """
    ci = results.conf_int(level=level)
    return pd.DataFrame({"term": list(results.params.index),
                         "estimate": results.params.to_numpy(),
                         "std_error": results.bse.to_numpy(),
                         "statistic": results.tvalues.to_numpy(),
                         "p_value": results.pvalues.to_numpy(),
                         "lower": ci["lower"].to_numpy(), "upper": ci["upper"].to_numpy()})


_EFFECTS = ("direct", "indirect", "total")
_TIDY = ["term", "effect", "estimate", "std_error", "statistic", "p_value", "lower", "upper"]
_TIDY_BLOCKS = ["term", "from", "to", "estimate", "std_error", "statistic", "p_value",
                "lower", "upper"]


def tidy_effects(frame: pd.DataFrame) -> pd.DataFrame:
    """The effects in long form with :func:`tidy`'s vocabulary: one row per regressor and
    effect (``direct``, ``indirect``, ``total``) with ``term``, ``effect``, ``estimate``,
    ``std_error``, ``statistic``, ``p_value``, ``lower``, ``upper``; blocks of a partition:
    one row per regressor and (``from``, ``to``) pair (``n_from``, ``n_to`` kept). The
    numbers are the wide frame's, moved, never recomputed."""
    if {"from", "to", "estimate"} <= set(frame.columns):
        out = frame.rename(columns={"variable": "term"})
        extra = [c for c in ("n_from", "n_to") if c in out.columns]
        out = out[_TIDY_BLOCKS + extra].reset_index(drop=True)
    else:
        rows = []
        for term, r in frame.iterrows():
            for e in _EFFECTS:
                rows.append((term, e, r[e], r[wide(e, "se")], r.get(wide(e, "z"), np.nan),
                             r[wide(e, "p")], r[wide(e, "lower")], r[wide(e, "upper")]))
        out = pd.DataFrame(rows, columns=_TIDY)
    out.attrs = dict(frame.attrs)
    return out


def pseudo_r2(results: SpatialResults, *,
              predictor: Literal["reduced", "fitted", "trend"] = "reduced") -> pd.Series:
    """Squared correlation of y with a predictor, and the variance ratio (module docstring).

    Parameters
    ----------
    predictor : {"reduced", "fitted", "trend"}
        Cross-sections: any in-sample predictor of :func:`spatialflow.models.results.prediction.predict`
        (not "bp"). Panels: y minus the residuals of the (transformed) model, i.e. with the
        fixed effects counted as fitted (``"reduced"`` and ``"fitted"`` both give it).
    """
    if results.panel is not None:
        if predictor not in ("reduced", "fitted"):
            raise InputError("panels support predictor='fitted' (the transformed model's "
                             f"fitted values); {predictor!r} was given.")
        fitted = results.extra["fitted_by_id_time"].to_numpy()
        y = fitted + results.extra["resid_by_id_time"].to_numpy()
        label = "fitted: y minus residuals"
    else:
        if predictor not in ("reduced", "fitted", "trend"):
            raise InputError("predictor must be 'reduced', 'fitted' or 'trend'; "
                             f"{predictor!r} was given.")
        fitted = predict(results, type=predictor).to_numpy()
        y = np.asarray(results.model.frame.y, dtype=float)
        label = predictor
    if np.std(y) == 0:
        raise ModelSpecificationError("the outcome is constant: pseudo-R2 is undefined.")
    corr = float(np.corrcoef(y, fitted)[0, 1]) if np.std(fitted) > 0 else 0.0
    out = pd.Series({"squared_corr": corr**2,
                     "variance_ratio": float(np.var(fitted) / np.var(y))},
                    name=f"pseudo_r2[{label}]")
    return out
