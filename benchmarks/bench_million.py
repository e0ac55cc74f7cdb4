"""Issue 22: the 10^6 SDM fit and 1,000-draw effects, this code beside a baseline, in one run.

Fresh processes alternate the baseline (``--baseline REV``, default 42775a4: the code before
the ``million`` branch, unpacked with ``git archive``) and this code, ``--repeats`` times each;
every process runs :func:`bench_speed.scale_child` (the Graph from the sparse matrix, the
formula, the fit and the effects, each with wall and CPU seconds, and the peak memory). The
best run of each side is the one with the least fit + effects wall time; the load average is
recorded with every run. The numbers of the two sides (rho, coefficients, SEs, effects) are
compared in the same run.

Run: ``python benchmarks/bench_million.py [--repeats 3] [--baseline REV] [--threads 1]``;
writes ``benchmarks/results/million_fit_effects.json``. ``--stages`` instead times the
stages of the log-determinant set-up and the effects kernel (best of 3 inside one process
per side, both sides twice in alternating order; printed, not written).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_scale import lattice_W, simulate  # noqa: E402
from bench_speed import _baseline  # noqa: E402


def run(case: dict, code_root: Path, threads: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code_root), OMP_NUM_THREADS=str(max(threads, 2)))
    proc = subprocess.run([sys.executable, str(HERE / "bench_speed.py"), "--scale-child",
                           json.dumps(case)], capture_output=True, text=True, env=env,
                          cwd=str(HERE), check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def stages_child(W_path: str) -> dict:
    """Best-of-3 wall and CPU seconds of each stage on the W saved at ``W_path``."""
    import time

    from spatialflow.models._linalg import logdet_approx as la
    from spatialflow.models._linalg import operator_cache
    from spatialflow.models.results.effects import EffectsKernel
    W = sp.load_npz(W_path).tocsr()
    best: dict[str, tuple[float, float]] = {}

    def timed(label, fn):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        run = (time.perf_counter() - t0, time.process_time() - c0)
        best[label] = min(best.get(label, (float("inf"), float("inf"))), run)
        return out

    for _ in range(3):
        d = timed("symmetriser", lambda: la.symmetriser(W))
        S = timed("similar S", lambda: la._similar_symmetric(W, d))
        timed("exact tr(W^k), k <= 4", lambda: la._exact_power_traces(W, d, S))
        timed("spectral enclosure", lambda: la.spectral_enclosure(W, symmetric=True))
        X = sp.csr_matrix(S, dtype=np.float32)
        timed("probe moments (30 probes, order 20)",
              lambda: la._chebyshev_moments(X, 20, 30, 0, 4, "float32"))
        timed("effects kernel set-up", lambda: EffectsKernel(W, trace_method="power"))
        with operator_cache.disabled():
            timed("TraceLogDet(W), all of it", lambda: la.TraceLogDet(W))
    return {"stages": best, "load": os.getloadavg()[0]}


def stages(args, tmp: Path, roots: dict) -> None:
    for order in (("before", "after"), ("after", "before")):
        for side in order:
            env = dict(os.environ, PYTHONPATH=f"{roots[side]}{os.pathsep}{HERE}",
                       OMP_NUM_THREADS="2")
            proc = subprocess.run([sys.executable, __file__, "--stages-child",
                                   str(tmp / "million_W.npz")], capture_output=True, text=True,
                                  env=env, cwd=str(HERE), check=True)
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            print(side, f"load {out['load']:.2f}",
                  "; ".join(f"{k} {w:.3f} s (CPU {c:.3f})" for k, (w, c) in out["stages"].items()),
                  flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline", default="42775a4")
    ap.add_argument("--threads", type=int, default=1, help="PROBE_THREADS of both sides")
    ap.add_argument("--stages", action="store_true")
    ap.add_argument("--stages-child")
    args = ap.parse_args()
    if args.stages_child:
        print(json.dumps(stages_child(args.stages_child)))
        return
    runs: dict[str, list] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        W = lattice_W(1000)
        sp.save_npz(tmp / "million_W.npz", W, compressed=False)
        simulate(W).to_parquet(tmp / "million.parquet")
        del W
        (tmp / "base").mkdir()
        roots = {"before": _baseline(args.baseline, tmp / "base"), "after": ROOT}
        if args.stages:
            stages(args, tmp, roots)
            return
        case = {"tmp": str(tmp), "data": "million", "effects": True, "threads": args.threads}
        for _ in range(args.repeats):
            for side, root in roots.items():
                out = run(case, root, args.threads)
                t = out["times"]
                print(f"{side:6s} fit {t['fit'][0]:.2f} s (CPU {t['fit'][1]:.2f}) effects "
                      f"{t['effects'][0]:.2f} s (CPU {t['effects'][1]:.2f}) formula "
                      f"{t['formula'][0]:.2f} peak {out['peak_mb']:.0f} MB "
                      f"load {out['load'][0]:.2f}", flush=True)
                runs[side].append(out)
    best = {side: min(v, key=lambda o: o["times"]["fit"][0] + o["times"]["effects"][0])
            for side, v in runs.items()}
    diffs = {}
    for key in ("params", "bse", "direct", "total"):
        b, a = np.array(best["before"][key]), np.array(best["after"][key])
        diffs[key] = float(np.max(np.abs(a - b) / np.abs(b)))
    print("max relative differences after/before:", diffs)
    (HERE / "results" / "million_fit_effects.json").write_text(json.dumps(
        {"baseline": args.baseline, "threads": args.threads, "runs": runs,
         "best": {k: {"times": v["times"], "peak_mb": v["peak_mb"], "load": v["load"]}
                  for k, v in best.items()},
         "max_relative_difference": diffs}, indent=1))


if __name__ == "__main__":
    main()
