"""Benchmark: randomisation inference for the SDM-DID on the Guangdong counties (issue 24).

SYNTHETIC programme (spatialflow.causal.simulate): 124 county-level units x 12 years, the
periphery adopting in three waves (North 2019, East 2021, West 2023), true direct 1.0 and
indirect 0.4. Measures, in one run:

1. one SDM-DID fit (two-way FE, Lee-Yu) and its effects (delta method);
2. ``results.permutation_test(n=1000)`` on 2 local processes (one seeded stream per draw);
3. the same 1,000 permutations serially, and a check that both give identical draws;
4. the agreement of the permutation kernel with the package's fit on the observed data.

Target (issue 24): 1,000 permutations in <= 60 s on 2 cores.

Run: ``python benchmarks/causal.py`` (writes nothing; paste the printed table into
``benchmarks/results/causal_2026-12.md``).
"""
from __future__ import annotations

import os
import platform
import time

import numpy as np


def main(n_perm: int = 1000) -> None:
    from spatialflow.causal import SpatialDiD, SpatialDiDSimulator
    from spatialflow.causal.kernel import DiDKernel
    from spatialflow.datasets import load_guangdong_counties
    from spatialflow.weights import build

    layer = load_guangdong_counties()
    w = build(layer, kind="queen", islands="knn")
    cohort = layer["region"].map({"North": 2019, "East": 2021, "West": 2023, "PRD": np.nan})
    data = SpatialDiDSimulator(w, T=12, start=2013, treated=cohort, seed=2024).draw(seed=7).data

    t0 = time.perf_counter()
    res = SpatialDiD.from_formula("y ~ x", data, w, id="id", time="year",
                                  treatment="D").fit()
    eff = res.effects(method="delta")
    t_fit = time.perf_counter() - t0

    kernel = DiDKernel.from_results(res.fit, "D", res.fit.model.panel_options.data.W)
    k_eff = kernel.effects(res.model.paths.stacked())
    gap = max(abs(k_eff[e] - eff.loc[e, "estimate"]) / abs(eff.loc[e, "estimate"])
              for e in ("direct", "indirect", "total"))

    t0 = time.perf_counter()
    par = res.permutation_test(n=n_perm, seed=1, executor="processes", max_workers=2)
    t_par = time.perf_counter() - t0
    t0 = time.perf_counter()
    ser = res.permutation_test(n=n_perm, seed=1, executor="serial")
    t_ser = time.perf_counter() - t0
    same = bool(par.draws.equals(ser.draws))

    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}")
    print("| task | time |")
    print("|---|---:|")
    print(f"| SDM-DID fit + effects (delta), 124 x 12 | {t_fit:.2f} s |")
    print(f"| {n_perm} permutations, 2 processes | {t_par:.1f} s |")
    print(f"| {n_perm} permutations, serial | {t_ser:.1f} s |")
    print(f"\nidentical draws serial vs 2 processes: {same}")
    print(f"kernel vs fit, largest relative difference of the effects: {gap:.2e}")
    print(par.table.to_string())


if __name__ == "__main__":
    main()
