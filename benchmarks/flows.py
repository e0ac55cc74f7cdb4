"""Origin-destination flow models (issue 23): exact ML at 124 to 10,000 nodes, R spflow beside.

For each size: flows drawn from model_9 (rho_d = 0.4, rho_o = 0.3, rho_w = -0.1) on a
row-standardised rook lattice (124 = the Guangdong counties' count, on a 31 x 4 lattice; 1,000 =
40 x 25; 2,875 = 115 x 25, the national county count; 4,000 = 80 x 50; 10,000 = 100 x 100).
Two fresh processes per size:

1. the simulation (``simulate_flows``; Chebyshev solver beyond 2,875 nodes, see
   ``solver="iterative"``), which writes the node and pair columns as ``.npy`` files (and CSV
   for R when spflow is run at that size);
2. the fit, which loads them into the user's ``nodes`` and ``pairs`` frames and times
   * ``prepare``: ``FlowModel.from_formula`` (checks, id alignment, formula);
   * ``fit``: ``.fit("ml")`` -- moments, spectrum of W, exact-log-determinant Newton ML and
     analytic standard errors;
   wall clock and CPU time (``time.process_time``); its peak memory (maximum resident set)
   therefore counts the user's pair table (orig, dest, dist, y: 32 bytes per flow) plus
   preparation and fit, not the simulation.

R spflow (``spflow(..., estimation_method = "mle")``, default ``logdet_approx_order = 2``,
and order 40 where requested) on the same data written to CSV, timed inside R (its network
objects and its fit), when ``Rscript`` and spflow are available (``--r-lib``).

Run:  python benchmarks/flows.py [--sizes 124 1000 2875] [--r-lib /path/to/R/lib] [--r-max 1000]
Sizes above 3,000 need several GB: run them under ``flock /tmp/bigmem.lock``.
Writes benchmarks/results/flows_2026-12.md (``--out``; ``--append`` adds rows to it).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHAPES = {124: (31, 4), 1000: (40, 25), 2000: (50, 40), 2875: (115, 25), 4000: (80, 50),
          5000: (100, 50), 10000: (100, 100)}
ITERATIVE_FROM = 3000  # simulate by Chebyshev iteration from this many nodes

SIMULATE = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    import numpy as np
    from libpysal.weights import lat2W
    from spatialflow.flows.simulate import simulate_flows
    r, c, out, csv = {r}, {c}, {out!r}, {csv}
    w = lat2W(r, c, rook=True); w.transform = "r"
    t0 = time.perf_counter()
    sim = simulate_flows(w, seed=1, solver={solver!r})
    t1 = time.perf_counter()
    np.save(out + "_x.npy", sim.nodes["x"].to_numpy())
    for col in ("orig", "dest", "dist", "y"):
        np.save(out + "_" + col + ".npy", sim.pairs[col].to_numpy())
    if csv:
        sim.nodes.to_csv(out + "_nodes.csv")
        sim.pairs[["orig", "dest", "dist", "y"]].to_csv(out + "_pairs.csv", index=False)
        import scipy.sparse as sp
        import pandas as pd
        W = sp.coo_matrix(w.sparse)
        pd.DataFrame({{"i": W.row + 1, "j": W.col + 1, "x": W.data}}).to_csv(
            out + "_W.csv", index=False)
    print(json.dumps({{"simulate": t1 - t0,
                      "truth": sim.truth[["rho_d", "rho_o", "rho_w"]].tolist(),
                      "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}}))
""")

CHILD = textwrap.dedent("""
    import json, os, resource, sys, time
    sys.path.insert(0, {root!r})
    import numpy as np
    import pandas as pd
    from libpysal.weights import lat2W
    from spatialflow.flows import FlowModel
    from spatialflow.flows.simulate import FORMULA
    r, c, out = {r}, {c}, {out!r}
    w = lat2W(r, c, rook=True); w.transform = "r"
    nodes = pd.DataFrame({{"x": np.load(out + "_x.npy")}},
                         index=pd.Index(np.arange(r * c), name="id"))
    pairs = pd.DataFrame({{col: np.load(out + "_" + col + ".npy")
                          for col in ("orig", "dest", "dist", "y")}}, copy=False)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    t0, c0 = time.perf_counter(), time.process_time()
    model = FlowModel.from_formula(FORMULA, nodes, pairs, w)
    t1, c1 = time.perf_counter(), time.process_time()
    res = model.fit("ml")
    t2, c2 = time.perf_counter(), time.process_time()
    print(json.dumps({{"n": r * c, "prepare": t1 - t0, "fit": t2 - t1,
                      "prepare_cpu": c1 - c0, "fit_cpu": c2 - c1, "loaded_gb": loaded,
                      "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                      "load": os.getloadavg()[0],
                      "rho": res.params.iloc[:3].round(5).tolist(),
                      "rho_se": res.bse.iloc[:3].round(5).tolist()}}))
""")

R_SCRIPT = textwrap.dedent("""
    suppressMessages({{library(spflow); library(Matrix)}})
    args <- commandArgs(TRUE); stem <- args[1]; order <- as.integer(args[2])
    nodes <- read.csv(paste0(stem, "_nodes.csv")); pairs <- read.csv(paste0(stem, "_pairs.csv"))
    Wt <- read.csv(paste0(stem, "_W.csv"))
    W <- sparseMatrix(Wt$i, Wt$j, x = Wt$x, dims = c(nrow(nodes), nrow(nodes)))
    nodes$id <- factor(nodes$id); pairs$orig <- factor(pairs$orig, levels(nodes$id))
    pairs$dest <- factor(pairs$dest, levels(nodes$id))
    t0 <- Sys.time()
    net <- spflow_network("n", node_neighborhood = W, node_data = nodes, node_key_column = "id")
    pr <- spflow_network_pair("n", "n", pair_data = pairs, orig_key_column = "orig",
                              dest_key_column = "dest")
    multi <- spflow_network_multi(net, pr)
    t1 <- Sys.time()
    fit <- spflow(y ~ O_(x) + D_(x) + I_(x) + P_(dist), multi,
                  estimation_control = spflow_control(logdet_approx_order = order))
    t2 <- Sys.time()
    r <- results(fit)
    mem <- sum(gc()[, 6])
    cat(sprintf('{{"prepare": %f, "fit": %f, "rho": [%f, %f, %f], "r_max_mb": %f}}\\n',
                as.numeric(t1 - t0, units = "secs"), as.numeric(t2 - t1, units = "secs"),
                r["rho_d", "est"], r["rho_o", "est"], r["rho_w", "est"], mem))
""")


def run_python(n: int, stem: str, csv: bool) -> dict:
    r, c = SHAPES[n]
    solver = "iterative" if n >= ITERATIVE_FROM else "spectral"
    sim = subprocess.run([sys.executable, "-c", SIMULATE.format(
        root=str(ROOT), r=r, c=c, out=stem, csv=csv, solver=solver)],
        capture_output=True, text=True, check=True)
    fit = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), r=r, c=c,
                                                              out=stem)],
                         capture_output=True, text=True, check=True)
    out = json.loads(fit.stdout.strip().splitlines()[-1])
    out["sim"] = json.loads(sim.stdout.strip().splitlines()[-1])
    return out


def run_r(stem: str, order: int, r_lib: str) -> dict | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_SCRIPT.format())
    env = dict(os.environ, R_LIBS=r_lib) if r_lib else None
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", rscript, fh.name, stem, str(order)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-2:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["peak_gb"] = int(proc.stderr.strip().splitlines()[-1]) / 1e6
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[124, 1000, 2875])
    ap.add_argument("--r-lib", default="", help="R library holding spflow")
    ap.add_argument("--r-max", type=int, default=1000, help="largest n for R spflow")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "flows_2026-12.md"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            stem = os.path.join(tmp, f"n{n}")
            py = run_python(n, stem, csv=n <= args.r_max)
            row = {"n": n, "flows": n * n, "py": py}
            if n <= args.r_max:
                row["r2"] = run_r(stem, 2, args.r_lib)
                row["r40"] = run_r(stem, 40, args.r_lib) if n <= 124 else None
            rows.append(row)
            print(json.dumps(row), flush=True)
    lines = ["# Flow models: exact ML (spatialflow.flows) beside R spflow", "",
             f"Run: `python benchmarks/flows.py --r-lib <lib>` on {platform.node()} "
             f"({os.cpu_count()} cores, shared; BLAS threads as set by the environment). "
             "Times in seconds, wall clock [CPU], load = 1-minute load average at the end; "
             "peak = maximum resident set of the fitting process, which holds the user's "
             "pair table (32 bytes per flow) loaded before `prepare`.",
             "Data: model_9 flows (rho = 0.4, 0.3, -0.1) on rook lattices; formula "
             "`y ~ O_(x) + D_(x) + I_(x) + P_(dist)`.", "",
             "| nodes | flows | prepare (s) | fit (s) | peak (GB) | load | rho (d, o, w) | "
             "se(rho) | spflow order 2: prepare + fit (s), peak (GB), rho | spflow order 40 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        py = row["py"]

        def r_cell(r):
            if not r:
                return "not run"
            if "error" in r:
                return f"failed: {r['error']}"
            return (f"{r['prepare']:.2f} + {r['fit']:.2f}, {r['peak_gb']:.2f}, "
                    f"{tuple(round(x, 4) for x in r['rho'])}")

        lines.append(f"| {row['n']:,} | {row['flows']:,} | {py['prepare']:.2f} "
                     f"[{py['prepare_cpu']:.2f}] | {py['fit']:.2f} [{py['fit_cpu']:.2f}] | "
                     f"{py['peak_gb']:.2f} | {py['load']:.1f} | {tuple(py['rho'])} | "
                     f"{tuple(py['rho_se'])} | {r_cell(row.get('r2'))} | "
                     f"{r_cell(row.get('r40'))} |")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
