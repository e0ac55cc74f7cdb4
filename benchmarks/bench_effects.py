"""Time and accuracy of the LeSage-Pace effect multipliers, side by side with spreg.

For queen lattices of growing size (row-standardised) and rho = 0.6 it measures, in the
same run:

* spatialflow ``EffectsKernel.scalars`` for the point estimate (exact: dense eigenvalues;
  power: Hutchinson traces + exact moments) and for 1,000 simulated rho values;
* spreg 1.9 ``sputils.spmultiplier`` with ``method="full"`` (dense inverse, small n only)
  and ``method="power"`` (explicit sparse powers of W);
* the relative error of each average direct multiplier against the exact value (when the
  exact one is affordable).

Run:  /work/venv/bin/python benchmarks/bench_effects.py [max_side]
(default max_side = 100, i.e. n up to 10,000; 316 gives n ~ 10^5.)
"""
from __future__ import annotations

import sys
import time
import warnings

import libpysal
import numpy as np
import scipy.sparse as sp
from spreg.sputils import spmultiplier

from spatialflow.exceptions import ApproximationWarning
from spatialflow.models.results.effects import EffectsKernel

RHO = 0.6


def lattice(side: int):
    w = libpysal.weights.lat2W(side, side, rook=False)
    w.transform = "r"
    return w, sp.csr_matrix(w.sparse, dtype=float)


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main(max_side: int = 100) -> None:
    rng = np.random.default_rng(0)
    draws = np.clip(rng.normal(RHO, 0.1, 1000), -0.99, 0.99)
    print(f"{'n':>8} {'method':<28} {'seconds':>9} {'a_d':>12} {'rel.err':>10}")
    for side in (7, 30, 45, 100, 316):
        if side > max_side:
            break
        w, W = lattice(side)
        n = W.shape[0]
        exact = None
        if n <= 2000:
            k = EffectsKernel(W, trace_method="exact")
            m, s = timed(lambda: k.scalars([RHO]))
            exact = m["a_d"][0]
            print(f"{n:>8} {'spatialflow exact (point)':<28} {s:9.3f} {exact:12.8f} {0:10.1e}")
            _, s = timed(lambda: k.scalars(draws))
            print(f"{n:>8} {'spatialflow exact 1000 draws':<28} {s:9.3f}")
            ref, s = timed(lambda: spmultiplier(w, RHO, method="full"))
            print(f"{n:>8} {'spreg full (dense inverse)':<28} {s:9.3f} {ref['adi']:12.8f} "
                  f"{abs(ref['adi'] / exact - 1):10.1e}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ApproximationWarning)
            k = EffectsKernel(W, trace_method="power", n_probes=50)
        m, s = timed(lambda: k.scalars([RHO]))
        err = abs(m["a_d"][0] / exact - 1) if exact else float("nan")
        print(f"{n:>8} {'spatialflow power (point)':<28} {s:9.3f} {m['a_d'][0]:12.8f} {err:10.1e}")
        _, s = timed(lambda: k.scalars(draws))
        print(f"{n:>8} {'spatialflow power 1000 draws':<28} {s:9.3f}")
        if n <= 10_000:
            ref, s = timed(lambda: spmultiplier(w, RHO, method="power"))
            err = abs(ref["adi"] / exact - 1) if exact else float("nan")
            print(f"{n:>8} {'spreg power (sparse W^j)':<28} {s:9.3f} {ref['adi']:12.8f} "
                  f"{err:10.1e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
