"""Origin-destination flow models (issue 23): exact ML at 124, 1,000 and 2,875 nodes, R spflow
beside.

For each size: flows drawn from model_9 (rho_d = 0.4, rho_o = 0.3, rho_w = -0.1) on a
row-standardised rook lattice (124 = the Guangdong counties' count, on a 31 x 4 lattice; 1,000 =
40 x 25; 2,875 = 115 x 25, the national county count), then timed, each size in a fresh
process (peak memory = its maximum resident set):

* ``prepare``: ``FlowModel.from_formula`` (checks, id alignment, formula);
* ``fit``: ``.fit("ml")`` — moments, spectrum of W, exact-log-determinant Newton ML and
  analytic standard errors;
* R spflow (``spflow(..., estimation_method = "mle")``, default ``logdet_approx_order = 2``,
  and order 40 where requested) on the same data written to CSV, timed inside R (its network
  objects and its fit), when ``Rscript`` and spflow are available (``--r-lib``).

Run:  python benchmarks/flows.py [--sizes 124 1000 2875] [--r-lib /path/to/R/lib] [--r-max 1000]
Writes benchmarks/results/flows_2026-12.md.
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
SHAPES = {124: (31, 4), 1000: (40, 25), 2875: (115, 25)}

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    from libpysal.weights import lat2W
    from spatialflow.flows import FlowModel
    from spatialflow.flows.simulate import simulate_flows
    r, c, out = {r}, {c}, {out!r}
    w = lat2W(r, c, rook=True); w.transform = "r"
    sim = simulate_flows(w, seed=1)
    t0 = time.perf_counter()
    model = FlowModel.from_formula(sim.formula, sim.nodes, sim.pairs, w)
    t1 = time.perf_counter()
    res = model.fit("ml")
    t2 = time.perf_counter()
    if out:
        sim.nodes.to_csv(out + "_nodes.csv")
        sim.pairs[["orig", "dest", "dist", "y"]].to_csv(out + "_pairs.csv", index=False)
        import scipy.sparse as sp
        W = sp.coo_matrix(w.sparse)
        import pandas as pd
        pd.DataFrame({{"i": W.row + 1, "j": W.col + 1, "x": W.data}}).to_csv(
            out + "_W.csv", index=False)
    print(json.dumps({{"n": r * c, "prepare": t1 - t0, "fit": t2 - t1,
                      "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                      "rho": res.params.iloc[:3].round(5).tolist()}}))
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


def run_python(n: int, stem: str) -> dict:
    r, c = SHAPES[n]
    code = CHILD.format(root=str(ROOT), r=r, c=c, out=stem)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


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
            py = run_python(n, stem)
            row = {"n": n, "flows": n * n, "py": py}
            if n <= args.r_max:
                row["r2"] = run_r(stem, 2, args.r_lib)
                row["r40"] = run_r(stem, 40, args.r_lib) if n <= 124 else None
            rows.append(row)
            print(json.dumps(row), flush=True)
    lines = ["# Flow models: exact ML (spatialflow.flows) beside R spflow", "",
             f"Run: `python benchmarks/flows.py --r-lib <lib>` on {platform.node()} "
             f"({os.cpu_count()} cores, shared; BLAS threads as set by the environment). "
             "Times in seconds (wall clock), peak = maximum resident set of the process.",
             "Data: model_9 flows (rho = 0.4, 0.3, -0.1) on rook lattices; formula "
             "`y ~ O_(x) + D_(x) + I_(x) + P_(dist)`.", "",
             "| nodes | flows | prepare (s) | fit (s) | peak (GB) | rho (d, o, w) | "
             "spflow order 2: prepare + fit (s), peak (GB), rho | spflow order 40 |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        py = row["py"]

        def r_cell(r):
            if not r:
                return "not run"
            if "error" in r:
                return f"failed: {r['error']}"
            return (f"{r['prepare']:.2f} + {r['fit']:.2f}, {r['peak_gb']:.2f}, "
                    f"{tuple(round(x, 4) for x in r['rho'])}")

        lines.append(f"| {row['n']:,} | {row['flows']:,} | {py['prepare']:.2f} | {py['fit']:.2f} | "
                     f"{py['peak_gb']:.2f} | {tuple(py['rho'])} | {r_cell(row.get('r2'))} | "
                     f"{r_cell(row.get('r40'))} |")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
