"""Speed of the measures at Guangdong scale and beyond, each beside a plain reference.

Run: ``python benchmarks/bench_measures.py``. Prints wall-clock seconds (best of 3).
- DEA-Malmquist (VRS split) for 124 counties x 5 years, 2 inputs, 1 output (HiGHS LPs).
- Dagum Gini: the sorted O(n log n) pair sums against the dense n x n |y_i - y_j| matrix.
- Entropy weights: 124 counties x 20 years x 12 indicators, pooled and per period.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from spatialflow.measures import dagum_gini, entropy_weights, malmquist


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    n, years = 124, [2019, 2020, 2021, 2022, 2023]
    panel = pd.DataFrame({
        "id": np.tile(np.arange(n), len(years)), "year": np.repeat(years, n),
        "k": rng.lognormal(3, 1, n * len(years)), "l": rng.lognormal(2, 1, n * len(years)),
        "gdp": rng.lognormal(3, 1, n * len(years)),
    })
    t = best_of(lambda: malmquist(panel, inputs=["k", "l"], outputs=["gdp"], id="id",
                                  time="year", returns="vrs"), repeat=1)
    lps = (len(years) - 1) * n * 6
    print(f"malmquist VRS 124 x 5 ({lps} LPs): {t:.2f} s ({1e3 * t / lps:.2f} ms per LP)")

    for size in (2_000, 5_000):
        y = rng.lognormal(10, 1, size)
        g = rng.choice(list("ABCD"), size)
        fast = best_of(lambda: dagum_gini(y, g))
        dense = best_of(lambda: np.abs(y[:, None] - y[None, :]).sum() / (2 * size**2 * y.mean()))
        print(f"dagum_gini n={size}: {fast * 1e3:.1f} ms; dense ordinary Gini alone "
              f"{dense * 1e3:.1f} ms (memory {size**2 * 8 / 2**20:.0f} MiB for the matrix)")
    y = rng.lognormal(10, 1, 1_000_000)
    g = rng.choice(list("ABCD"), 1_000_000)
    print(f"dagum_gini n=1,000,000: {best_of(lambda: dagum_gini(y, g), repeat=1):.2f} s "
          "(dense: 7.3 TiB, not attempted)")

    frame = pd.DataFrame(rng.lognormal(size=(124 * 20, 12)), columns=[f"x{i}" for i in range(12)])
    frame["id"], frame["year"] = np.tile(np.arange(124), 20), np.repeat(np.arange(2004, 2024), 124)
    pooled = best_of(lambda: entropy_weights(frame, id="id", time="year"))
    per = best_of(lambda: entropy_weights(frame, id="id", time="year", per="period"))
    print(f"entropy_weights 2480 x 12: pooled {pooled * 1e3:.1f} ms, per period {per * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
