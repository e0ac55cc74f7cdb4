"""From a formula or arrays to aligned model matrices: y, X, WX and the n x n W.

Everything a model needs is checked here, once, up front: ids unique and shared with the
weights, finite values (or an explicit ``missing="drop"``), numeric regressors, full column
rank, ``n > k``. The user's frame and weights are never modified.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import lazy_loader as lazy
import numpy as np
import pandas as pd

# formulaic takes most of a second to import: loaded by the first formula, not by
# `import spatialflow.models`.
formulaic = lazy.load("formulaic")
import scipy.linalg as la
import scipy.sparse as sp

from ..._typing import MissingPolicy, check_option
from ..._validation import check_magnitude
from ...exceptions import (CollinearityError, ConstantResponseError, DuplicateIdError,
                          EmptyInputError, IdMismatchError, InputError,
                          DroppedNeighboursWarning, IslandWarning, MissingDataError,
                          MissingValueWarning,
                          ModelSpecificationError, ResponseInRegressorsError,
                          format_ids)
from ...weights.align import as_sparse, is_row_standardised, subset_weights
from .naming import lag_name
from .regimes import expand_design

__all__ = ["ModelFrame", "formula_matrices", "build_frame", "lag_name", "check_finite",
           "check_rank", "check_response", "check_response_not_regressor", "align_response",
           "is_row_standardised", "warn_islands", "orphans_of_drop"]


@dataclass(frozen=True)
class ModelFrame:
    """Aligned, validated inputs of one model (arrays plus their labels)."""

    y: np.ndarray
    X: np.ndarray               # [exog, W exog_lagged]
    exog_names: list[str]
    lagged_names: list[str]
    ids: pd.Index
    W: sp.csr_matrix | None
    endog_name: str = "y"
    dropped: pd.Index = field(default_factory=lambda: pd.Index([]))
    regime_info: object | None = None

    @property
    def names(self) -> list[str]:
        return self.exog_names + [lag_name(n) for n in self.lagged_names]

    @property
    def n(self) -> int:
        return len(self.y)


def formula_matrices(formula: str, data: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Evaluate ``formula`` with formulaic, keeping every row (missing values are checked later).

    Returns the response as a Series and the regressors as a DataFrame, both indexed like
    ``data``.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame; {type(data).__name__} was given.")
    if len(data) == 0:
        raise EmptyInputError("data has no rows; a model needs at least k + 1 observations.")
    if "~" not in formula:
        raise InputError(f"formula must have a response, as in 'y ~ x1 + x2'; {formula!r} "
                         "was given.")
    _check_text_variables(formula, data)
    try:
        # np.log(x) of a non-positive x gives NaN/-inf: the missing-data check names the
        # column and the ids (or drops them on request), a RuntimeWarning would name nothing.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            mm = formulaic.model_matrix(formula, data, na_action="ignore")
    except formulaic.errors.FormulaicError as err:
        raise InputError(f"could not evaluate formula {formula!r} on the data: {err}. "
                         f"Available columns: {list(data.columns)}.") from err
    _check_text_terms(formula, mm.rhs.model_spec, data)
    lhs = pd.DataFrame(mm.lhs)
    if lhs.shape[1] != 1:
        raise InputError(f"the formula must have one response; it gives {list(lhs.columns)}.")
    y = lhs.iloc[:, 0].astype(float)
    X = pd.DataFrame(mm.rhs).astype(float)
    X.index = data.index
    y.index = data.index
    _propagate_missing_categories(mm.rhs.model_spec, data, X)
    X.attrs["column_variables"] = column_variables(mm.rhs.model_spec, data)
    y.attrs["variables"] = frozenset(v for v in mm.lhs.model_spec.required_variables
                                     if v in data.columns)
    return y, X


def _is_text(column: pd.Series) -> bool:
    """Text columns (object or string dtype); categoricals and booleans are deliberate."""
    return (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)) \
        and not isinstance(column.dtype, pd.CategoricalDtype)


def _examples(column: pd.Series) -> str:
    values = list(pd.unique(column.dropna()))[:3]
    return ", ".join(repr(v) for v in values)


def _check_text_variables(formula: str, data: pd.DataFrame) -> None:
    """Refuse a text response before formulaic turns it into one column per distinct value."""
    lhs = formula.split("~", 1)[0].strip()
    if lhs in data.columns and _is_text(data[lhs]):
        col = data[lhs]
        numeric = pd.to_numeric(col, errors="coerce")
        hint = (" Its values look like numbers stored as text: convert them with "
                f"pd.to_numeric(data[{lhs!r}]) (remove thousands separators first)."
                if numeric.notna().sum() >= 0.5 * col.notna().sum() else "")
        raise InputError(f"the response {lhs!r} of formula {formula!r} is not numeric (dtype "
                         f"{col.dtype}, e.g. {_examples(col)}); a model needs a numeric "
                         "response." + hint)


def _check_text_terms(formula: str, spec, data: pd.DataFrame) -> None:
    """Name the text columns used as bare regressors.

    formulaic dummy-codes a text column silently: a column of numbers stored as text, or an
    id column, becomes one regressor per distinct value. A categorical is asked for
    explicitly with ``C(column)`` (or a pandas ``category`` column).
    """
    bare = []
    for structure in spec.structure:
        for factor in structure.term.factors:
            name = str(factor.expr)
            if name in data.columns and _is_text(data[name]) and name not in bare:
                bare.append(name)
    if bare:
        details = "; ".join(f"{c!r} (dtype {data[c].dtype}, {data[c].nunique()} distinct "
                            f"values, e.g. {_examples(data[c])})" for c in bare)
        raise InputError(
            f"formula {formula!r} uses text column(s) as regressors: {details}. Write C(column) "
            "for a categorical variable (one dummy per level but the first), or convert numbers "
            "stored as text with pd.to_numeric.")


def column_variables(spec, data: pd.DataFrame) -> dict[str, frozenset]:
    """For each model-matrix column, the data columns it is built from (formulaic terms)."""
    variables = [v for v in spec.required_variables if v in data.columns]
    out: dict[str, frozenset] = {}
    for structure in spec.structure:
        exprs = " ".join(str(f.expr) for f in structure.term.factors)
        used = frozenset(v for v in variables
                         if re.search(rf"(?<![\w.]){re.escape(v)}(?![\w])", exprs))
        for col in structure.columns:
            out[col] = used
    return out


def _propagate_missing_categories(spec, data: pd.DataFrame, X: pd.DataFrame) -> None:
    """Make a missing raw value visible in every column built from it.

    formulaic (with ``na_action="ignore"``) codes a missing category as all-zero dummies,
    i.e. silently as the baseline level; setting those cells to NaN lets the one missing-data
    check (and ``missing="drop"``) see them.
    """
    variables = [v for v in spec.required_variables if v in data.columns]
    missing = {v: data[v].isna().to_numpy() for v in variables if data[v].isna().any()}
    if not missing:
        return
    for structure in spec.structure:
        exprs = " ".join(str(f.expr) for f in structure.term.factors)
        for var, rows in missing.items():
            if re.search(rf"(?<![\w.]){re.escape(var)}(?![\w])", exprs):
                for col in structure.columns:
                    values = X[col].to_numpy(dtype=float, copy=True)
                    values[rows] = np.nan
                    X[col] = values


def check_finite(y: pd.Series, X: pd.DataFrame) -> pd.Series:
    """Boolean Series (indexed by id): True where y and every regressor are finite."""
    # The sum of a column is finite only if each of its values is (NaN and inf propagate):
    # one reduction per column instead of a copy of the frame and an n x (k+1) mask; a
    # column whose finite values overflow their sum gets the full check.
    columns = [y] + [X.iloc[:, j] for j in range(X.shape[1])]
    with np.errstate(over="ignore", invalid="ignore"):
        if all(np.isfinite(np.sum(c.to_numpy(dtype=float))) for c in columns):
            return pd.Series(np.ones(len(y), dtype=bool), index=y.index)
    values = pd.concat([y.rename(y.name or "y"), X], axis=1)
    bad = ~np.isfinite(values.to_numpy(dtype=float))
    ok = pd.Series(~bad.any(axis=1), index=y.index)
    if not ok.all():
        ok.attrs["bad_columns"] = [c for c, b in zip(values.columns, bad.any(axis=0)) if b]
    return ok


def check_response(y: np.ndarray, name: str) -> None:
    """Raise :class:`ConstantResponseError` if the (finite) response does not vary.

    A constant response has nothing to explain: least squares fits it exactly and the
    likelihood is unbounded (sigma2 -> 0), so every "estimate" would be an artefact.
    """
    values = np.asarray(y, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) and np.ptp(values) <= 1e-12 * max(float(np.max(np.abs(values))), 1e-300):
        raise ConstantResponseError(
            f"the response {name!r} is constant (every one of its {len(values)} values is "
            f"{values[0]:g}); a regression needs a response that varies.")


def _plain_numeric(column) -> bool:
    return (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
            and not isinstance(getattr(column, "dtype", None), pd.CategoricalDtype))


def check_response_not_regressor(y: pd.Series, X: pd.DataFrame, name: str) -> None:
    """Raise :class:`ResponseInRegressorsError` if the response is among the regressors.

    Two ways, both before any row is dropped: a formula term built from the response's
    variable (``"tfp ~ tfp + x"``, ``"tfp ~ np.log(tfp)"``; from the ``variables`` the formula
    path records), and a column numerically identical to the response on the rows where
    both are finite (the array path, or a copy of the response under another name). Either
    makes the fit degenerate: the coefficient of that column is 1, sigma2 is 0 and rho ~ 0.
    """
    response_vars = y.attrs.get("variables", frozenset())
    built = X.attrs.get("column_variables", {})
    from_response = [c for c in X.columns if built.get(c, frozenset()) & response_vars]
    if from_response:
        raise ResponseInRegressorsError(
            f"the response {name!r} is used as a regressor: the term(s) {from_response} are "
            f"built from {sorted(response_vars)}, the response's variable(s), so they are "
            "endogenous by construction (y on itself fits exactly: coefficient 1, sigma2 0, "
            "rho ~ 0). Remove the term(s); for the past of y use a dynamic panel "
            "(dynamic='time'), for its spatial lag a SAR or SDM.")
    if not _plain_numeric(y):
        return  # build_frame names non-numeric columns
    yv = y.to_numpy(dtype=float)
    copies = []
    for column in X.columns:
        if not _plain_numeric(X[column]):
            continue
        xv = X[column].to_numpy(dtype=float)
        if _differs_early(xv, yv):
            continue
        both = np.isfinite(yv) & np.isfinite(xv)
        # a constant response is ConstantResponseError's to report, not an intercept's
        if both.sum() >= 2 and np.ptp(xv[both]) > 0 and np.array_equal(xv[both], yv[both]):
            copies.append(column)
    if copies:
        raise ResponseInRegressorsError(
            f"the regressor(s) {copies} are numerically identical to the response {name!r} "
            "(on every row where both are finite): the response is used as a regressor, and "
            "the fit would be exact (coefficient 1, sigma2 0, rho ~ 0). Remove them.")


#: Rows of a regressor compared with the response before the whole columns are.
_EARLY_ROWS = 1024


def _differs_early(xv: np.ndarray, yv: np.ndarray) -> bool:
    """True if, among the first :data:`_EARLY_ROWS` rows, one where both are finite holds
    different values: then the column is not a copy of the response, which the full
    comparison would also find (it needs equality on every such row). Nearly every
    regressor differs in its first rows; the full masks and copies of 10^6 rows are left to
    the rest."""
    x, y = xv[:_EARLY_ROWS], yv[:_EARLY_ROWS]
    return bool(np.any((x != y) & np.isfinite(x) & np.isfinite(y)))


#: Rows above which the rank check first reduces X to a stack of R factors of row blocks.
TSQR_MIN_ROWS = 50_000
_TSQR_BLOCK = 4096


def _stacked_r(A: np.ndarray) -> np.ndarray:
    r"""``A`` itself, or for a tall ``A`` the stacked R factors of its row blocks.

    With :math:`A_b = Q_bR_b`, :math:`A = \mathrm{diag}(Q_b)\,[R_1; R_2; \dots]`, so the
    stack has the same R (and the same pivoted QR) as ``A`` up to signs and rounding: the
    tall-skinny QR. Blocks of a few thousand rows stay in cache, where LAPACK's QR of the
    whole ``10^6 x k`` matrix streams it from memory once per column (0.3 s against 0.03 s).
    """
    if A.shape[0] <= TSQR_MIN_ROWS:
        return A
    return np.vstack([np.linalg.qr(A[i:i + _TSQR_BLOCK], mode="r")
                      for i in range(0, A.shape[0], _TSQR_BLOCK)])


#: Rows from which the rank check first tries the Gram matrix (:func:`gram_full_rank`).
GRAM_MIN_ROWS = TSQR_MIN_ROWS
#: Smallest squared column norm the Gram check accepts (below it squares lose precision in
#: subnormal numbers; such a column goes to the QR, as does one whose squares overflow).
_GRAM_TINY = 1e-250


def rank_tolerance(n: int, k: int) -> float:
    """The QR rank check's threshold on ``|R_jj| / |R_00|`` of the column-scaled X."""
    return max(n, k) * np.finfo(float).eps * 1e3


def gram_full_rank(X: np.ndarray) -> bool:
    r"""True only if X certainly has full column rank for :func:`check_rank`'s QR.

    One BLAS pass over X (:math:`G = X^\top X`, k x k) and the eigenvalues of the
    column-scaled Gram matrix :math:`C = D^{-1} G D^{-1}`, :math:`D = \mathrm{diag}(G)^{1/2}`:
    :math:`\lambda_{\min}(C) = \sigma_{\min}(XD^{-1})^2`, and every :math:`|R_{jj}|` of a
    QR of :math:`XD^{-1}` is at least :math:`\sigma_{\min}(XD^{-1})` (:math:`|R_{00}| = 1`),
    so the QR finds rank k whenever :math:`\sigma_{\min}` is well above its tolerance
    ``tol`` (:func:`rank_tolerance`). The Gram matrix squares the condition number: its
    rounding error is at most :math:`\gamma_n \approx n\epsilon` per scaled entry, i.e.
    :math:`k n \epsilon` in :math:`\lambda_{\min}`. Hence the stated threshold

    .. math:: \hat\lambda_{\min}(C) > 10\,k\,n\,\epsilon + (100\,\mathrm{tol})^2

    (at n = 10^6, k = 5: :math:`\sigma_{\min} > 1.1 \times 10^{-4}`, where the QR's tolerance
    is 2.2e-7). Anything else -- near-collinear columns, a zero, tiny or overflowing column,
    NaN -- returns False and the caller runs the QR, which decides and names the columns.
    At 10^6 x 5 this is ~10 ms against ~70 ms for the blocked QR.
    """
    X = np.asarray(X, dtype=float)          # integer products would wrap around silently
    n, k = X.shape
    with np.errstate(over="ignore", invalid="ignore"):   # such X go to the QR (its warnings)
        G = X.T @ X
    d = np.diag(G).copy()
    if not (np.isfinite(G).all() and (d > _GRAM_TINY).all()):
        return False
    s = 1.0 / np.sqrt(d)
    lam = np.linalg.eigvalsh(G * s[:, None] * s[None, :])[0]
    eps = np.finfo(float).eps
    return bool(lam > 10 * k * max(n, k) * eps + (100 * rank_tolerance(n, k)) ** 2)


def check_rank(X: np.ndarray, names: Sequence[str]) -> None:
    """Raise :class:`CollinearityError` naming the columns that are linear combinations.

    The rank is decided by a pivoted QR of the column-scaled X (for tall X on the stacked R
    factors of its row blocks, :func:`_stacked_r`). From :data:`GRAM_MIN_ROWS` rows a
    one-pass Gram check (:func:`gram_full_rank`) first accepts a clearly full-rank X; only
    an X it cannot vouch for pays for the QR (tests/test_fast_checks.py pins that both give
    the same errors).
    """
    n, k = X.shape
    if n <= k:
        raise InputError(f"the model has {k} regressors but only {n} observations; it needs "
                         "n > k.")
    if n >= GRAM_MIN_ROWS and gram_full_rank(X):
        return
    norms = np.linalg.norm(X, axis=0)
    zero = [names[j] for j in range(k) if norms[j] == 0]
    if zero:
        raise CollinearityError(f"regressors {zero} are identically zero.")
    _, R, piv = la.qr(_stacked_r(X / norms), mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    tol = max(n, k) * np.finfo(float).eps * diag[0] * 1e3     # = rank_tolerance * |R_00|
    rank = int(np.sum(diag > tol))
    if rank < k:
        dependent = [names[j] for j in piv[rank:]]
        raise CollinearityError(
            f"the regressors are perfectly collinear (rank {rank} < {k} columns): "
            f"{dependent} are linear combinations of the other columns. Drop them, or, for a "
            "Durbin model, leave them out of `lagged` (the lag of the intercept equals the "
            "intercept under a row-standardised W).")


def orphans_of_drop(W_full: sp.csr_matrix, keep: np.ndarray) -> np.ndarray:
    """Mask over the kept units: True where a unit had neighbours in ``W_full`` and has none
    among the kept units (all its neighbours were dropped)."""
    W_full = sp.csr_matrix(W_full)
    had = np.diff(W_full.indptr) > 0
    kept_links = np.asarray(W_full[:, np.flatnonzero(keep)].getnnz(axis=1)).ravel() > 0
    return (had & ~kept_links)[keep]


def warn_islands(W: sp.csr_matrix, ids: pd.Index, *, stacklevel: int,
                 orphans: np.ndarray | None = None) -> None:
    """IslandWarning naming the units whose row of W is empty (cross-section and panel).

    ``orphans`` (a mask over ``ids``, from :func:`orphans_of_drop`) marks the units whose
    neighbours were all dropped: they get a :class:`DroppedNeighboursWarning` that points at
    the weights rebuilt on the kept units (what the pipeline does), since a subset W and a
    rebuilt one differ exactly there (with ``islands="knn"`` the rebuilt W links them).
    """
    empty = np.asarray(W.getnnz(axis=1)).ravel() == 0
    if orphans is not None and orphans.any():
        lost = ids[orphans & empty]
        warnings.warn(
            f"dropping units left {len(lost)} unit(s) without neighbours: {format_ids(lost)} "
            "(all their neighbours in w were dropped); their rows of the subset W are zero, "
            "so their spatial lags are zero. To link them instead, build the weights on the "
            "kept units and fit on those rows, e.g. w = spatialflow.weights.build("
            "layer.loc[kept], kind=..., islands='knn') with kept = the ids without missing "
            "values (res.ids), as `spatialflow run` does.",
            DroppedNeighboursWarning, stacklevel=stacklevel + 1)
        empty = empty & ~orphans
    islands = ids[empty]
    if len(islands):
        warnings.warn(
            f"{len(islands)} unit(s) have no neighbours in W: {format_ids(islands)}. Their "
            "spatial lags are zero (as R's zero.policy=TRUE); the admissible interval of "
            "rho/lambda comes from W's eigenvalues as usual.", IslandWarning,
            stacklevel=stacklevel + 1)


def build_frame(y: pd.Series, X: pd.DataFrame, w, *, needs_w: bool, lagged=None,
                regimes: pd.Series | None = None, regime_vars=None, missing: str = "raise",
                endog_name: str | None = None) -> ModelFrame:
    """Validate and align y, X and w; add the lagged regressors.

    Parameters
    ----------
    y, X : Series, DataFrame
        Indexed by unit id (the same index).
    w : libpysal Graph or W, or None
        Weights keyed by the same ids (any order: they are aligned by id).
    needs_w : bool
        Whether the model uses W (all but OLS).
    lagged : list of str, "default" or None
        Regressors whose spatial lags enter (``None``: none; ``"default"``: all but the
        intercept, after any regime expansion).
    regimes : Series, optional
        Regime labels per id; see :func:`spatialflow.models._design.regimes.expand_design`.
    missing : {"raise", "drop"}
        Non-finite values raise :class:`MissingDataError` naming columns and ids, or drop the
        rows (with a :class:`MissingValueWarning` listing the ids) and the weights with them.
    """
    check_option(missing, MissingPolicy, "missing")
    ids = pd.Index(X.index)
    if len(ids) == 0:
        raise EmptyInputError("the data have no rows.")
    if ids.has_duplicates:
        unique = ids.unique()
        hint = ""
        if len(ids) % len(unique) == 0 and (ids.value_counts() == len(ids) // len(unique)).all():
            hint = (f" Each id occurs {len(ids) // len(unique)} times: this looks like a panel "
                    "in long format; pass id= and time= (the id and period columns).")
        raise DuplicateIdError(
            f"the data's index must hold unique unit ids; duplicated: "
            f"{format_ids(ids[ids.duplicated()].unique())}.{hint}")
    non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if not pd.api.types.is_numeric_dtype(y):
        non_numeric.insert(0, y.name or "y")
    if non_numeric:
        raise InputError(f"columns {non_numeric} are not numeric; encode categories first "
                         "(the formula path does this: C(column)).")
    X = X.astype(float)
    y = y.astype(float)

    W = None
    if needs_w and w is None:
        raise InputError("this model needs spatial weights: pass w= (a libpysal Graph or "
                         "W keyed by the data's index).")
    if w is not None:
        # Aligned (and subset with any dropped rows) even for OLS, whose residual
        # diagnostics use it.
        W = as_sparse(w, ids)

    ok = check_finite(y, X)
    dropped = pd.Index([])
    orphans = None  # units whose neighbours were all dropped
    if not ok.all():
        bad_ids = ids[~ok.to_numpy()]
        cols = ok.attrs.get("bad_columns", [])
        if missing == "raise":
            raise MissingDataError(
                f"non-finite values (NaN or inf) in columns {cols} at {len(bad_ids)} id(s) "
                f"{format_ids(bad_ids)}. Clean them, or pass missing='drop' to drop those rows "
                "and their rows and columns of W.")
        warnings.warn(f"dropped {len(bad_ids)} id(s) with non-finite values in {cols}: "
                      f"{format_ids(bad_ids)}; the weights were subset to the remaining units"
                      " (and re-standardised by row if they were row-standardised).",
                      MissingValueWarning, stacklevel=3)
        keep = ok.to_numpy()
        dropped = bad_ids
        y, X, ids = y[keep], X[keep], ids[keep]
        if regimes is not None:
            regimes = regimes[keep]
        if W is not None:
            orphans = orphans_of_drop(W, keep)
            W = subset_weights(W, keep)

    if W is not None and needs_w:
        warn_islands(W, ids, stacklevel=3, orphans=orphans)
    check_magnitude(pd.concat([y.rename(endog_name or y.name or "y"), X], axis=1))

    check_response(y.to_numpy(), endog_name or str(y.name or "y"))

    regime_info = None
    if regimes is not None:
        X, regime_info = expand_design(X, regimes, regime_vars)

    exog_names = list(X.columns)
    lagged_names: list[str] = []
    if isinstance(lagged, str):
        # "default" means all but the intercept; any other string is one regressor's name.
        lagged = default_lagged(exog_names) if lagged == "default" else [lagged]
    if lagged is not None:
        missing_cols = [c for c in lagged if c not in exog_names]
        if missing_cols and regime_info is not None:
            # Lag every regime-specific column of a lagged variable.
            mapping = getattr(regime_info, "columns", {})
            expanded = []
            for c in lagged:
                expanded.extend(mapping.get(c, [c]))
            lagged = expanded
            missing_cols = [c for c in lagged if c not in exog_names]
        if missing_cols:
            raise InputError(f"lagged names {missing_cols} are not regressors of the model; "
                             f"regressors: {exog_names}.")
        lagged_names = list(lagged)

    Xm = X.to_numpy()
    if lagged_names:
        WX = W @ X[lagged_names].to_numpy()
        Xm = np.column_stack([Xm, WX])
    names = exog_names + [lag_name(n) for n in lagged_names]
    check_rank(Xm, names)
    return ModelFrame(y=y.to_numpy(), X=Xm, exog_names=exog_names, lagged_names=lagged_names,
                      ids=ids, W=W, endog_name=endog_name or str(y.name or "y"),
                      dropped=dropped, regime_info=regime_info)


def align_response(y: pd.Series, X: pd.DataFrame) -> pd.Series:
    """``y`` in the row order of ``X``, matched by id (the package's rule: data meet by id).

    Raises :class:`IdMismatchError` naming the ids found on one side only (or duplicated).
    """
    if y.index.equals(X.index):
        return y
    yi, xi = pd.Index(y.index), pd.Index(X.index)
    if not yi.has_duplicates and not xi.has_duplicates:
        only_y, only_x = yi.difference(xi, sort=False), xi.difference(yi, sort=False)
        if not len(only_y) and not len(only_x):
            return y.reindex(xi)  # same ids in another order
        raise IdMismatchError(
            f"y and X must hold the same unit ids (they are matched by id): "
            f"{len(only_y)} id(s) of y are not in X {format_ids(only_y)}; {len(only_x)} id(s) "
            f"of X are not in y {format_ids(only_x)}.")
    if len(yi) == len(xi):
        raise IdMismatchError(
            "y and X have duplicated ids and differ in their order, so they cannot be matched "
            f"by id; duplicated in y: {format_ids(yi[yi.duplicated()].unique())}, in X: "
            f"{format_ids(xi[xi.duplicated()].unique())}. Give both the same index.")
    raise IdMismatchError(f"y has {len(yi)} rows and X has {len(xi)}; they must hold the same "
                          "unit ids.")


def default_lagged(exog_names: Sequence[str]) -> list[str]:
    """All regressors but the intercept (and regime intercepts)."""
    return [c for c in exog_names if c != "Intercept" and not c.startswith("Intercept[")]


def reject_option(kind: str, option: str) -> ModelSpecificationError:
    return ModelSpecificationError(f"{kind} does not take {option}=; use a Durbin model "
                                   "(SLX, SDM, SDEM) for lagged regressors.")
