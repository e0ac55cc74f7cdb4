"""The fast paths of the input checks at 10^6 rows (issue 22 item 3) give the old checks'
answers: the same error type and message on the same bad input, and no error on good input.

Each fast path only *accepts* (it returns "nothing to report" or steps aside); the reference
is the full check of before, reached here by switching the fast path off (monkeypatch). Bad
inputs: NaN/inf/negative weights, self-loops, row sums that overflow or lie outside
``WEIGHTS_SCALE_LIMITS``; exactly and nearly collinear, zero, tiny and overflowing columns
(scipy's pivoted QR is the rank reference); a response copied among the regressors; values
beyond ``MAGNITUDE_LIMIT``. Each test also checks that the fast path is taken on good input,
so that it cannot pass by never running.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.linalg as la
import scipy.sparse as sp
from libpysal.graph import Graph

import spatialflow as sf
from spatialflow import _validation
from spatialflow.exceptions import CollinearityError
from spatialflow.models._design import design
from spatialflow.models._design.design import (GRAM_MIN_ROWS, check_finite, check_rank,
                                               check_response_not_regressor, gram_full_rank,
                                               rank_tolerance)
from spatialflow.weights import align, from_sparse
from spatialflow.weights.align import WEIGHTS_SCALE_LIMITS, as_sparse, check_weights_values

from _lattice import queen, row_std


def outcome(fn, *args, **kwargs):
    """(exception type, message) of a call, or None if it returns."""
    try:
        fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 -- compared, not swallowed
        return type(err), str(err)
    return None




# ----------------------------------------------------------------------------- weights
def _with(W, i, j, value):
    W = sp.lil_matrix(W, copy=True)
    W[i, j] = value
    return sp.csr_matrix(W)


B = queen(6)                           # 36 units, binary
R = row_std(B)
LOW, HIGH = WEIGHTS_SCALE_LIMITS
BIG = np.full((4, 4), 1e308) - np.diag(np.full(4, 1e308))     # finite weights, inf row sums
WEIGHTS = {
    "nan": _with(R, 0, 1, np.nan),
    "inf": _with(R, 2, 3, np.inf),
    "minus inf": _with(R, 2, 3, -np.inf),
    "negative": _with(R, 4, 5, -0.25),
    "self-loop": _with(R, 7, 7, 0.5),
    "self-loop and negative": _with(_with(R, 7, 7, 0.5), 4, 5, -0.25),
    "nan and self-loop": _with(_with(R, 7, 7, 0.5), 0, 1, np.nan),
    "sums overflow": sp.csr_matrix(BIG),
    "scale too large": sp.csr_matrix(B * 1e60),
    "scale just above": sp.csr_matrix(B * (HIGH / 7.9)),         # max row sum 8 * w > h
    "scale too small": sp.csr_matrix(B * 1e-60),
    # one weight carries the scale, the mean is far below it: the full check decides (passes)
    "tiny mean, fine scale": sp.csr_matrix(_with(B * 1e-300, 0, 1, 1e-49)),
    "total above h/2, scale fine": sp.csr_matrix(B * (HIGH / 200)),
}


@pytest.mark.parametrize("name", sorted(WEIGHTS))
@pytest.mark.parametrize("allow", [(False, False), (True, False), (False, True), (True, True)])
def test_weights_checks_fast_equals_full(name, allow, monkeypatch):
    W = WEIGHTS[name]
    ids = [f"u{i}" for i in range(W.shape[0])]
    options = dict(allow_self_loops=allow[0], allow_negative=allow[1])
    fast = outcome(check_weights_values, W, ids, **options)
    monkeypatch.setattr(align, "_plainly_valid", lambda *a: False)
    full = outcome(check_weights_values, W, ids, **options)
    assert fast == full
    if name in ("nan", "inf", "sums overflow", "scale too large", "scale too small"):
        assert full is not None          # these are refused whatever is allowed


def test_weights_fast_path_taken_on_good_weights_and_agrees():
    for W in (R, B, sp.csr_matrix(B * 1e40), sp.csr_matrix(B * 1e-40)):
        assert align._plainly_valid(W, False, False)
        assert outcome(check_weights_values, W, list(range(W.shape[0]))) is None
    assert align._plainly_valid(WEIGHTS["negative"], False, True)
    assert align._plainly_valid(WEIGHTS["self-loop"], True, False)


@pytest.mark.parametrize("name", ["inf", "negative", "self-loop", "scale too large"])
def test_as_sparse_on_a_graph_fast_equals_full(name, monkeypatch):
    W = WEIGHTS[name]
    ids = [f"u{i}" for i in range(W.shape[0])]
    g = Graph.from_sparse(W, ids=np.array(ids))
    fast = outcome(as_sparse, g, ids)
    monkeypatch.setattr(align, "_plainly_valid", lambda *a: False)
    monkeypatch.setattr(align, "_graph_csr", lambda w: None)          # libpysal's route
    assert fast == outcome(as_sparse, g, ids)
    assert fast is not None and fast[0].__name__ == "InvalidWeightsError"


def test_graph_route_drops_island_zeros_and_copies():
    W = row_std(queen(5)).tolil()
    W[12, :] = 0                                 # unit 12 loses its links ...
    W[:, 12] = 0                                 # ... and is nobody's neighbour
    W = row_std_keep_islands(sp.csr_matrix(W))
    ids = pd.Index([f"c{i}" for i in range(25)])
    g = from_sparse(W, ids)                      # stores the island as a zero self-link
    assert (g._adjacency.to_numpy() == 0).sum() == 1
    before = g._adjacency.to_numpy().copy()
    matrix, wids = align._graph_csr(g)
    assert wids.equals(ids)
    assert matrix.nnz == W.nnz and abs(matrix - W).max() == 0
    assert matrix.indptr[13] == matrix.indptr[12]                    # the island's row is empty
    assert not np.shares_memory(matrix.data, g._adjacency.to_numpy())
    M = as_sparse(g, ids)
    M.data[:] = -1.0                              # whatever a caller does to the model's W ...
    np.testing.assert_array_equal(g._adjacency.to_numpy(), before)   # ... the Graph keeps
    # and without islands the same arrays, copied as well
    g2 = from_sparse(R, pd.RangeIndex(36))
    m2, _ = align._graph_csr(g2)
    assert abs(m2 - R).max() == 0 and not np.shares_memory(m2.data, g2._adjacency.to_numpy())


def row_std_keep_islands(A):
    sums = np.asarray(A.sum(axis=1)).ravel()
    out = (sp.diags(np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)) @ A).tocsr()
    out.eliminate_zeros()
    return out


def test_graph_route_declines_unsorted_focal_codes():
    # codes 0, 2, 1, 3 change n - 1 times, from 0 to n - 1, but are not sorted: libpysal's
    # own route (w.sparse) is taken
    index = pd.MultiIndex.from_arrays([["a", "c", "b", "d"], ["b", "d", "a", "c"]],
                                      names=["focal", "neighbor"])
    g = Graph(pd.Series([1.0, 1.0, 1.0, 1.0], index=index, name="weight"), is_sorted=True)
    assert list(g._adjacency.index.codes[0]) == [0, 2, 1, 3]
    assert align._graph_csr(g) is None
    # a focal level without links (codes 0, 0, 2, 2 of three ids) as well
    index = pd.MultiIndex(levels=[["a", "b", "c"], ["a", "b", "c"]],
                          codes=[[0, 0, 2, 2], [1, 2, 0, 1]], names=["focal", "neighbor"])
    g = Graph(pd.Series([0.5, 0.5, 0.5, 0.5], index=index, name="weight"), is_sorted=True)
    assert align._graph_csr(g) is None


# -------------------------------------------------------------------------------- rank
N = GRAM_MIN_ROWS + 10
NAMES = ["Intercept", "a", "b", "c"]


def _design(seed=3):
    rng = np.random.default_rng(seed)
    return np.column_stack([np.ones(N), rng.normal(size=(N, 3))])


def _qr_min_ratio(X):
    R = la.qr(X / np.linalg.norm(X, axis=0), mode="r", pivoting=True)[0]
    d = np.abs(np.diag(R))
    return d.min() / d[0]


def _cases():
    rng = np.random.default_rng(5)
    X = _design()
    out = {"full rank": X}
    c = X.copy(); c[:, 3] = c[:, 1] - 2 * c[:, 2]
    out["collinear"] = c
    for size in (1e-3, 1e-6, 1e-9, 1e-12):                       # near-collinear
        c = X.copy(); c[:, 3] = c[:, 1] - 2 * c[:, 2] + size * rng.normal(size=N)
        out[f"near {size:g}"] = c
    c = X.copy(); c[:, 2] = 0.0
    out["zero column"] = c
    c = X.copy(); c[:, 1] = 1e6 + 1e-3 * rng.normal(size=N)       # nearly the intercept
    out["near intercept"] = c
    c = X.copy(); c[:, 2] *= 1e160
    out["squares overflow"] = c
    c = X.copy(); c[:, 2] *= 1e-160
    out["squares underflow"] = c
    return out


CASES = _cases()


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")   # the QR's norms
@pytest.mark.parametrize("name", sorted(CASES))
def test_rank_check_gram_equals_qr(name, monkeypatch):
    X = CASES[name]
    fast = outcome(check_rank, X, NAMES)
    monkeypatch.setattr(design, "GRAM_MIN_ROWS", np.inf)          # the QR alone, as before
    assert fast == outcome(check_rank, X, NAMES)
    if name in ("collinear", "near 1e-09", "near 1e-12", "zero column"):
        assert fast is not None and fast[0] is CollinearityError
    if name in ("full rank", "near 0.001"):
        assert fast is None


def test_gram_accepts_only_what_the_qr_accepts_with_a_margin():
    tol = rank_tolerance(N, 4)
    for name, X in CASES.items():
        if gram_full_rank(X):
            assert _qr_min_ratio(X) > 100 * tol, name
    assert gram_full_rank(CASES["full rank"])
    # near-collinear columns the QR still accepts go to the QR, not through the Gram check
    for name in ("near 1e-06", "near intercept", "collinear", "near 1e-09",
                 "zero column", "squares overflow", "squares underflow"):
        assert not gram_full_rank(CASES[name]), name
    assert _qr_min_ratio(CASES["near 1e-06"]) > tol                  # QR: full rank
    assert outcome(check_rank, CASES["near 1e-06"], NAMES) is None


def test_gram_check_of_integer_columns_in_floats():
    # int64 squares of 4e9 wrap around; in floats the columns are plainly independent
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(N, dtype=np.int64),
                         rng.integers(-4 * 10**9, 4 * 10**9, size=(N, 2))])
    assert gram_full_rank(X) and gram_full_rank(X.astype(float))
    X[:, 2] = 3 * X[:, 1]
    assert not gram_full_rank(X)
    assert outcome(check_rank, X, NAMES[:3])[0] is CollinearityError


def test_collinear_regressors_refused_from_a_formula_at_scale():
    side = 225                                    # 50,625 rows: the Gram check runs first
    W = row_std(queen(side))
    n = W.shape[0]
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"y": rng.normal(size=n), "x1": rng.normal(size=n)})
    df["x2"] = 3 * df["x1"] + 1
    assert n >= GRAM_MIN_ROWS
    with pytest.raises(CollinearityError, match=r"rank 3 < 5.*\['x2', 'W_x2'\]"):
        sf.SLX.from_formula("y ~ x1 + x2", data=df, w=from_sparse(W, pd.RangeIndex(n)))


# ------------------------------------------------------- finite, magnitude, response copy
def _frame(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y": rng.normal(size=n), "x1": rng.normal(size=n),
                         "d": (rng.uniform(size=n) > 0.5).astype(float)},
                        index=pd.Index([f"id{i}" for i in range(n)]))


def _spoil(col, rows, value):
    def f(df):
        df = df.copy()
        df.iloc[rows, df.columns.get_loc(col)] = value
        return df
    return f


FRAMES = {
    "clean": lambda df: df,
    "big": _spoil("x1", [5, 2000], 1e101),
    "minus big": _spoil("y", [7], -2e150),
    "tiny": _spoil("d", [9], 1e-101),
    "subnormal": _spoil("x1", [2999], 5e-324),
    "nan and big": lambda df: _spoil("x1", [3], np.nan)(_spoil("x1", [4], 1e200)(df)),
    "nan only": _spoil("y", [0, 1], np.nan),
    "inf": _spoil("x1", [10], -np.inf),
    "huge finite, sum overflows": _spoil("x1", list(range(4)), 1e308),
    "at the limit": _spoil("x1", [1], 1e100),
}


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_magnitude_and_finite_fast_equal_full(name, monkeypatch):
    df = FRAMES[name](_frame())
    y, X = df["y"], df[["x1", "d"]]
    fast_mag = outcome(_validation.check_magnitude, df)
    fast_ok = check_finite(y, X)
    monkeypatch.setattr(_validation, "_plainly_in_range", lambda v: False)
    assert fast_mag == outcome(_validation.check_magnitude, df)
    full_ok = _full_check_finite(y, X)
    pd.testing.assert_series_equal(fast_ok, full_ok)
    assert fast_ok.attrs == full_ok.attrs
    if name in ("big", "minus big", "tiny", "subnormal", "nan and big"):
        assert fast_mag is not None and fast_mag[0].__name__ == "InputError"


def _full_check_finite(y, X):
    """check_finite as it was (before the column sums)."""
    values = pd.concat([y.rename(y.name or "y"), X], axis=1)
    bad = ~np.isfinite(values.to_numpy(dtype=float))
    ok = pd.Series(~bad.any(axis=1), index=y.index)
    if not ok.all():
        ok.attrs["bad_columns"] = [c for c, b in zip(values.columns, bad.any(axis=0)) if b]
    return ok


def test_magnitude_fast_path_taken_on_clean_columns():
    df = _frame()
    assert all(_validation._plainly_in_range(df[c].to_numpy()) for c in df.columns)
    assert not _validation._plainly_in_range(np.array([0.0, 1e-101]))
    assert not _validation._plainly_in_range(np.array([1.0, np.nan]))


def _copies():
    df = _frame(5000)
    y = df["y"]
    out = {"none": df[["x1", "d"]]}
    out["copy"] = df.assign(ycopy=y)[["x1", "ycopy"]]
    late = y.copy()
    late.iloc[4000] += 1.0                          # differs only after the first rows
    out["differs late"] = df.assign(almost=late)[["x1", "almost"]]
    holes = y.copy()
    holes.iloc[:1500] = np.nan                      # NaN over the first rows, equal after
    out["copy with leading NaN"] = df.assign(holes=holes)[["x1", "holes"]]
    inf = y.copy()
    inf.iloc[0] = np.inf
    out["copy with inf"] = df.assign(inf=inf)[["inf", "d"]]
    out["constant"] = df.assign(one=1.0)[["one", "x1"]]
    return y, out


@pytest.mark.parametrize("name", ["none", "copy", "differs late", "copy with leading NaN",
                                  "copy with inf", "constant"])
def test_response_copy_fast_equals_full(name, monkeypatch):
    y, frames = _copies()
    X = frames[name]
    fast = outcome(check_response_not_regressor, y, X, "y")
    monkeypatch.setattr(design, "_differs_early", lambda x, y: False)
    assert fast == outcome(check_response_not_regressor, y, X, "y")
    if name in ("copy", "copy with leading NaN", "copy with inf"):
        assert fast is not None and fast[0].__name__ == "ResponseInRegressorsError"
    else:
        assert fast is None


def test_response_with_leading_nan_compared_in_full():
    y, frames = _copies()
    y = y.copy()
    y.iloc[:2000] = np.nan                          # nothing comparable in the first rows
    X = frames["copy"].assign(ycopy=y)
    assert not design._differs_early(X["ycopy"].to_numpy(), y.to_numpy())
    with pytest.raises(sf.exceptions.ResponseInRegressorsError, match="ycopy"):
        check_response_not_regressor(y, X, "y")


def _old_is_row_standardised(matrix, *, allow_islands=True, atol=1e-10):
    """is_row_standardised as it was (scipy's row sums and np.allclose)."""
    M = sp.csr_matrix(matrix)
    rows = np.asarray(M.sum(axis=1)).ravel()
    nonzero = rows != 0 if allow_islands else np.ones(len(rows), dtype=bool)
    if M.nnz and M.data.min() < 0:
        return False
    return bool(np.allclose(rows[nonzero], 1.0, rtol=atol, atol=atol * 1e-2))


def test_row_standardised_test_equals_allclose():
    island = row_std_keep_islands(sp.csr_matrix(_with(B, 3, slice(None), 0.0)))
    cases = [R, B, island, sp.csr_matrix((4, 4)), WEIGHTS["nan"], WEIGHTS["negative"],
             sp.csr_matrix(R * (1 + 5e-11)), sp.csr_matrix(R * (1 + 2e-10)),
             sp.csr_matrix(R * (1 - 5e-11)), sp.csr_matrix(R * (1 - 2e-10)), WEIGHTS["inf"]]
    seen = set()
    for M in cases:
        for islands in (True, False):
            expect = _old_is_row_standardised(M, allow_islands=islands)
            assert align.is_row_standardised(M, allow_islands=islands) == expect
            seen.add(expect)
    assert seen == {True, False}
