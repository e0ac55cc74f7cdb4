"""SAC and GNS fits: spatialflow vs R spatialreg ``sacsarlm``, side by side in one run.

Cases: Columbus (n = 49, R ``method="eigen"``, analytic covariance) and a 50 x 50 queen
lattice (n = 2,500, simulated SAC with rho = 0.4, lambda = 0.3; R ``method="Matrix"``,
numerical-Hessian covariance; spatialflow sparse LU, analytic expected information from
blocked sparse solves).
The R column appears when ``Rscript`` with spatialreg is on the PATH.

Run: ``python benchmarks/bench_sac.py``; writes ``benchmarks/results/sac.json``.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import libpysal
import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import spatialflow as sf
from spatialflow.exceptions import WeakIdentificationWarning

RESULTS = Path(__file__).parent / "results"
REF = Path(__file__).parents[1] / "tests" / "reference" / "columbus"


def best_of(fn, repeat=3):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def cases():
    df = pd.read_csv(REF / "columbus_oldcol.csv", dtype={"id": str}).set_index("id")
    gal = libpysal.io.open(str(REF / "columbus_oldcol.gal"))
    wc = gal.read()
    gal.close()
    wc.transform = "r"
    yield "Columbus", df.rename(columns={"CRIME": "y", "INC": "x1", "HOVAL": "x2"}), wc, "eigen"
    w = libpysal.weights.lat2W(50, 50, rook=False)
    w.transform = "r"
    W = w.sparse.tocsr()
    n = W.shape[0]
    rng = np.random.default_rng(20261129)
    X = rng.normal(size=(n, 2))
    u = spla.spsolve((sp.identity(n) - 0.3 * W).tocsc(), rng.normal(size=n))
    y = spla.spsolve((sp.identity(n) - 0.4 * W).tocsc(), 1 + X @ [0.5, -0.3] + u)
    yield ("lattice 50x50", pd.DataFrame({"y": y, "x1": X[:, 0], "x2": X[:, 1]},
                                         index=w.id_order), w, "Matrix")


def r_fit(df, w, method, durbin):
    with tempfile.TemporaryDirectory() as tmp:
        df.reset_index(drop=True).to_csv(Path(tmp) / "d.csv", index=False)
        ids = list(df.index)
        pos = {i: k + 1 for k, i in enumerate(ids)}
        rows = [(pos[i], pos[j]) for i in ids for j in sorted(w.neighbors[i], key=pos.get)]
        pd.DataFrame(rows, columns=["i", "j"]).to_csv(Path(tmp) / "nb.csv", index=False)
        (Path(tmp) / "b.R").write_text(f"""
suppressPackageStartupMessages({{library(spdep); library(spatialreg)}})
d <- read.csv('{tmp}/d.csv'); e <- read.csv('{tmp}/nb.csv'); n <- nrow(d)
nb <- lapply(seq_len(n), function(i) as.integer(e$j[e$i == i])); class(nb) <- 'nb'
lw <- nb2listw(nb, style='W')
t <- system.time(m <- sacsarlm(y ~ x1 + x2, data=d, listw=lw, method='{method}',
                               Durbin={'TRUE' if durbin else 'FALSE'}))[['elapsed']]
cat(t, m$rho, m$lambda, '\\n')
""")
        out = subprocess.run(["Rscript", str(Path(tmp) / "b.R")], capture_output=True,
                             text=True)
    if out.returncode != 0:
        return {"R_error": out.stderr[-300:]}
    t, rho, lam = map(float, out.stdout.split()[:3])
    return {"R_sacsarlm_s": t, "rho_R": rho, "lambda_R": lam}


def main() -> None:
    rows = []
    for name, df, w, r_method in cases():
        for cls in (sf.SAC, sf.GNS):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", WeakIdentificationWarning)
                t_sf, res = best_of(lambda: cls.from_formula("y ~ x1 + x2", data=df,
                                                             w=w).fit())
            row = {"data": name, "n": len(df), "model": cls.kind,
                   "spatialflow_s": round(t_sf, 4), "information": res.information,
                   "rho": float(res.params["rho"]), "lambda": float(res.params["lambda"])}
            if shutil.which("Rscript"):
                row["R_method"] = r_method
                row.update(r_fit(df, w, r_method, durbin=cls is sf.GNS))
            rows.append(row)
            print(json.dumps(row))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sac.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
