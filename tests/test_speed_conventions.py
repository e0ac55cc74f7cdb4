"""Issue 22: exact where affordable, one cheap covariance convention, the reused operator.

No timings here (benchmarks/ has them): these tests pin the choices that make fits fast --
the strategy ``logdet="auto"`` takes, the warning before an expensive information matrix,
and that what a fit reuses from an earlier fit on the same W gives the numbers a fresh fit
gives, bit for bit.
"""
from __future__ import annotations

import warnings

import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.spatial import cKDTree
from threadpoolctl import threadpool_info, threadpool_limits

import spatialflow as sf
from spatialflow.exceptions import ExpensiveInformationWarning
from spatialflow.models._linalg import operator_cache, traces
from spatialflow.models._design.problem import Design
from spatialflow.models._estimation.ml import EXPENSIVE_RATIO, warn_if_expensive
from spatialflow.models._linalg import logdet as logdet_module
from spatialflow.models._linalg.logdet import APPROX_MIN_N, SparseLULogDet, make_logdet

#: The Lucas county house data of R spatialreg / LeSage (25,357 sales): the size at which
#: users replicate R's exact LU answer.
HOUSE_N = 25_357


def _knn_weights(n: int, k: int = 6, seed: int = 0) -> sp.csr_matrix:
    """Row-standardised k-nearest-neighbour weights on seeded random points (house-like)."""
    pts = np.random.default_rng(seed).uniform(size=(n, 2))
    _, idx = cKDTree(pts).query(pts, k + 1)
    rows = np.repeat(np.arange(n), k)
    return sp.csr_matrix((np.full(n * k, 1.0 / k), (rows, idx[:, 1:].ravel())), shape=(n, n))


def _lattice(side: int, seed: int = 0, rho: float = 0.4):
    w = libpysal.weights.lat2W(side, side, rook=False)
    w.transform = "r"
    n = side * side
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    A = sp.csc_matrix(sp.identity(n) - rho * w.sparse)
    y = sp.linalg.splu(A).solve(1 + x + rng.normal(size=n))
    return pd.DataFrame({"y": y, "x": x}, index=w.id_order), w


def test_the_chooser_keeps_the_house_data_size_exact_and_warns_before_its_expected_information():
    # No fit at n = 25,357: the strategy "auto" picks and the cost model the warning reads
    # (one LU at the ordering's rho) are what fit() consults before its search.
    W = _knn_weights(HOUSE_N)
    logdet = make_logdet(W, "auto")
    assert type(logdet) is SparseLULogDet and logdet.method == "lu"
    assert not getattr(logdet, "approximate", False) and logdet.approximation(0.5) is None
    design = Design.cross_section(np.zeros(HOUSE_N), np.ones((HOUSE_N, 1)), W)
    assert logdet.expected_information_cost() > EXPENSIVE_RATIO
    with pytest.warns(ExpensiveInformationWarning, match=r"25,357 sparse solves"):
        warn_if_expensive(design, logdet, "expected")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExpensiveInformationWarning)
        warn_if_expensive(design, logdet, "observed")        # the default: no extra work


@pytest.mark.parametrize("approx_min_n, expected", [(30_000, "lu"), (2_000, "chebyshev")])
def test_a_models_default_fit_takes_the_choosers_strategy(monkeypatch, approx_min_n,
                                                          expected):
    # The chooser's threshold moved below n = 2,025 moves the model's default fit with it:
    # the default fit has no path of its own around make_logdet.
    monkeypatch.setattr(logdet_module, "APPROX_MIN_N", approx_min_n)
    df, w = _lattice(45)
    res = sf.SAR.from_formula("y ~ x", data=df, w=w).fit()
    assert res.extra["logdet"] == expected
    assert (res.approximation is None) == (expected == "lu")


@pytest.mark.slow
def test_default_at_the_house_data_size_is_the_exact_path():
    assert HOUSE_N < APPROX_MIN_N
    W = _knn_weights(HOUSE_N)
    assert isinstance(make_logdet(W, "auto"), SparseLULogDet)
    ids = pd.RangeIndex(HOUSE_N)
    g = libpysal.graph.Graph.from_sparse(W, ids=ids)
    rng = np.random.default_rng(1)
    x = rng.normal(size=HOUSE_N)
    y = sp.linalg.splu(sp.csc_matrix(sp.identity(HOUSE_N) - 0.5 * W)).solve(
        1 + x + rng.normal(size=HOUSE_N))
    df = pd.DataFrame({"y": y, "x": x}, index=ids)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExpensiveInformationWarning)   # the default is cheap
        res = sf.SAR.from_formula("y ~ x", data=df, w=g).fit()
    assert res.extra["logdet"] == "lu" and res.approximation is None
    assert res.information == "observed"
    text = res.summary().as_text()
    assert "Log-determinant:   lu (exact)" in text and "approximate" not in text


def test_expensive_information_warns_before_the_fit_and_names_the_cheaper_option():
    df, w = _lattice(45)                       # n = 2,025: sparse LU
    model = sf.SAR.from_formula("y ~ x", data=df, w=w)
    # Raised as an error, the warning stops the fit before its n solves: it comes first.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExpensiveInformationWarning)
        with pytest.raises(ExpensiveInformationWarning,
                           match=r"2,025 sparse solves, estimated at \d+ times the cost of the "
                                 r"fit itself\. information='observed' \(the default"):
            model.fit(information="expected")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExpensiveInformationWarning)
        assert model.fit().information == "observed"                    # the default
        small = sf.SAR.from_formula("y ~ x", data=_lattice(20)[0], w=_lattice(20)[1])
        assert small.fit(information="expected").information == "expected"   # eigen: cheap


def _numbers(res):
    return (res.params.to_numpy(), res.bse.to_numpy(), res.llf, res.sigma2)


@pytest.mark.parametrize("side, logdet, information", [
    (20, "eigen", "expected"), (20, "eigen", "observed"), (45, "lu", "observed"),
    (45, "approx", "observed"), (45, "approx", "expected")])
def test_cached_operator_gives_the_numbers_of_a_fresh_one(side, logdet, information):
    df, w = _lattice(side, seed=side)
    with operator_cache.disabled():
        fresh = sf.SDM.from_formula("y ~ x", data=df, w=w, logdet=logdet).fit(
            information=information)
    operator_cache.clear()
    first = sf.SDM.from_formula("y ~ x", data=df, w=w, logdet=logdet).fit(
        information=information)
    hits = operator_cache.info()["hits"]
    # Another model on a copy of the same W (other y): the cache is keyed by W's content.
    other = df.assign(y=df["y"] * 2.0 + 1.0)
    sf.SAR.from_formula("y ~ x", data=other, w=w, logdet=logdet).fit(information=information)
    second = sf.SDM.from_formula("y ~ x", data=df, w=w, logdet=logdet).fit(
        information=information)
    assert operator_cache.info()["hits"] > hits
    for a, b, c in zip(_numbers(fresh), _numbers(first), _numbers(second)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_cache_key_is_the_content_of_w():
    df, w = _lattice(10)
    W = sp.csr_matrix(w.sparse)
    assert operator_cache.fingerprint(W) == operator_cache.fingerprint(W.copy())
    assert operator_cache.fingerprint(W) == operator_cache.fingerprint(W.tocoo())
    changed = W.copy()
    changed.data[0] *= 1.0 + 1e-12
    assert operator_cache.fingerprint(changed) != operator_cache.fingerprint(W)
    operator_cache.clear()
    for side in (5, 6, 7, 8, 9, 10):
        make_logdet(libpysal.weights.lat2W(side, side).sparse, "eigen")
    assert operator_cache.info()["operators"] == operator_cache.MAX_OPERATORS


def _blas_threads(task, rng):
    from threadpoolctl import threadpool_info, threadpool_limits
    return {"threads": max((p["num_threads"] for p in threadpool_info()
                            if p.get("user_api") == "blas"), default=1)}


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_grid_workers_run_blas_with_one_thread(executor):
    from spatialflow.grid import monte_carlo
    out = monte_carlo(_blas_threads, 2, seed=0, executor=executor, progress=False,
                      max_workers=2)
    assert (out["threads"] == 1).all()


def test_small_dense_eigenproblems_run_on_one_blas_thread(monkeypatch):
    # two OpenBLAS threads beside another busy process spin (0.05 s -> 3-5 s at n = 900):
    # the dense eigenvalues of a small W are computed with one thread, larger ones untouched
    seen = []
    real = np.linalg.eigvalsh

    def spy(S):
        seen.append((S.shape[0], max(p["num_threads"] for p in threadpool_info()
                                     if p["user_api"] == "blas")))
        return real(S)

    monkeypatch.setattr(traces.np.linalg, "eigvalsh", spy)
    monkeypatch.setattr(traces, "SINGLE_THREAD_MAX_N", 50)
    with threadpool_limits(limits=2):                   # the caller's setting (pytest-xdist: 1)
        for side in (5, 8):                             # n = 25 (one thread), n = 64 (untouched)
            operator_cache.clear()
            traces.eigenvalues(libpysal.weights.lat2SW(side, side, criterion="rook",
                                                       row_st=True).tocsr())
    assert seen == [(25, 1), (64, 2)]
