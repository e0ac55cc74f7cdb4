"""Monte Carlo check of the Lee-Yu (2010) correction on the Guangdong county weights.

Design: the 124 Guangdong county units (embedded layer), queen contiguity with the island
Nan'ao linked to its nearest unit, row-standardised; T = 5; two-way fixed effects drawn
once (mu_i ~ N(0, 1), lambda_t ~ N(0, 1), x correlated with mu); SDM with
rho = 0.4, beta = (1, -0.5), theta = (0.5, 0.2), sigma^2 = 1; R = 200 replications,
seed 20100. Expected (Lee and Yu 2010): the transformation-approach estimates of sigma^2
and rho are unbiased up to O(1/(nT)); the uncorrected within sigma^2 has mean
sigma^2 (n-1)(T-1)/(nT) (the (T-1)/T incidental-parameter bias, and (n-1)/n for the time
effects). Tolerances: 4 Monte Carlo standard errors of the mean.

Runs in about 10 s on 2 cores.
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.linalg as la

import spatialflow as sf

R = 200
N_SE = 4.0          # tolerance in Monte Carlo standard errors
RHO, BETA, THETA, SIGMA2 = 0.4, np.array([1.0, -0.5]), np.array([0.5, 0.2]), 1.0
T = 5


@pytest.fixture(scope="module")
def guangdong_w():
    from spatialflow.datasets import load_guangdong_counties
    gdf = load_guangdong_counties()
    try:
        from spatialflow.weights.build import build
        return build(gdf, kind="queen", islands="knn")
    except ImportError:  # pragma: no cover - older trees without weights.build
        import libpysal
        w = libpysal.weights.Queen.from_dataframe(gdf, use_index=True, silence_warnings=True)
        knn = libpysal.weights.KNN.from_dataframe(gdf.to_crs(3857).centroid.to_frame("g"),
                                                  k=1, ids=list(gdf.index))
        w = libpysal.weights.attach_islands(w, knn)
        w.transform = "r"
        return w


def _one_blas_thread():
    # Many tiny dense problems: BLAS threads only add overhead (3x slower on 2 cores).
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(1)


@pytest.fixture(scope="module")
def replications(guangdong_w):
    with _one_blas_thread():
        return _simulate(guangdong_w)


def _simulate(w):
    ids = pd.Index(w.unique_ids if hasattr(w, "unique_ids") else w.id_order)
    W = w.sparse.toarray()
    n = len(ids)
    rng = np.random.default_rng(20100)
    mu = rng.normal(size=n)
    lam = rng.normal(size=T)
    X = rng.normal(size=(T, n, 2)) + 0.5 * mu[None, :, None]
    det = np.stack([X[t] @ BETA + W @ X[t] @ THETA + mu + lam[t] for t in range(T)])
    lu = la.lu_factor(np.eye(n) - RHO * W)
    frame = pd.DataFrame({"code": np.tile(ids, T), "year": np.repeat(np.arange(T), n),
                          "x1": X[..., 0].ravel(), "x2": X[..., 1].ravel()})
    Xdf = frame[["x1", "x2"]]
    out = []
    for _ in range(R):
        eps = np.sqrt(SIGMA2) * rng.normal(size=(T, n))
        y = pd.Series(la.lu_solve(lu, (det + eps).T).T.ravel(), index=frame.index, name="y")
        model = sf.SDM(y, Xdf, w, data=frame, id="code", time="year", effects="twoway",
                       add_constant=False, logdet="eigen")
        with warnings.catch_warnings():
            warnings.simplefilter("error")   # no boundary or convergence trouble allowed
            ly = model.fit(bias_correction="lee-yu")
            ml = model.fit(bias_correction=None)
        out.append([ly.params["rho"], ly.sigma2, ml.params["rho"], ml.sigma2,
                    *ly.params[["x1", "x2", "W_x1", "W_x2"]]])
    return n, pd.DataFrame(out, columns=["rho_ly", "s2_ly", "rho_ml", "s2_ml",
                                         "x1", "x2", "W_x1", "W_x2"])


def _within_mc_error(values: pd.Series, target: float) -> bool:
    se = values.std(ddof=1) / np.sqrt(len(values))
    return abs(values.mean() - target) < N_SE * se


def test_lee_yu_sigma2_and_rho_unbiased(replications):
    _, mc = replications
    assert _within_mc_error(mc["s2_ly"], SIGMA2), mc["s2_ly"].describe()
    assert _within_mc_error(mc["rho_ly"], RHO), mc["rho_ly"].describe()
    for name, value in zip(["x1", "x2", "W_x1", "W_x2"], [*BETA, *THETA]):
        assert _within_mc_error(mc[name], value), (name, mc[name].mean())


def test_uncorrected_sigma2_has_incidental_parameter_bias(replications):
    n, mc = replications
    expected = SIGMA2 * (n - 1) * (T - 1) / (n * T)     # about 0.79 sigma^2
    assert _within_mc_error(mc["s2_ml"], expected), mc["s2_ml"].mean()
    # and the bias is far outside simulation error
    se = mc["s2_ml"].std(ddof=1) / np.sqrt(R)
    assert SIGMA2 - mc["s2_ml"].mean() > 20 * se
