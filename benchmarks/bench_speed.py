"""Issue 22: the workloads of the speed issue, this code beside the code before it and spreg.

One run measures, each case in its own child process (so imports and first-call costs are
its own) and each timing the best of ``--repeats`` runs inside that process (the operator
cache is cleared between repeats, so no repeat reuses an earlier one's eigenvalues, ordering
or traces -- except in the loop case, whose point is that reuse):

* ``counties``: SDM fit + effects (1,000 draws), 2,875 national counties (queen, islands
  kept), the default fit; also ``information="expected"``; spreg ``ML_Lag(slx_lags=1,
  method="LU")`` (fit only) in the same run;
* ``house``: SAR fit with SEs at n = 25,357 (the size of the Lucas county house data of R
  spatialreg; the data are not shipped offline, so row-standardised 6-nearest-neighbour
  weights on seeded random points stand in), the default, and the approximate path for its
  difference from the exact answer;
* ``lattice``: SDM fit + effects on a 316 x 316 queen lattice (n = 99,856);
* ``million`` (``--million``): the same on 1000 x 1000 cells;
* ``loop``: 100 SAR fits (formula to results) on one 30 x 30 queen W (n = 900), with
  spreg ``ML_Lag(method="full")`` timed on 10 of the same data sets;
* ``import``: ``from spatialflow import SDM`` after ``import pandas, scipy.sparse``, best
  of 5 fresh interpreters; ``import spreg`` for comparison.

"before" is the code of ``--baseline`` (default: the commit this branch started from,
unpacked with ``git archive`` into a temporary folder). The R column (when ``Rscript`` with
spatialreg is on the PATH; :func:`run_r`) runs R spatialreg on the same data and W, timed
inside R with ``system.time`` (elapsed and CPU): ``lagsarlm(Durbin=TRUE, method="Matrix")``
+ ``impacts(tr=trW(W, type="mult"), R=1000)`` for the counties (and ``trW(type="MC")``'s
time beside it), ``lagsarlm(method="LU")`` for the house size (its k-nearest-neighbour W
is not symmetric, which R's "Matrix" method requires), ``lagsarlm(method="eigen")`` on 10
of the loop's data sets, extrapolated to 100; R's rho, coefficients and direct effects
come back for the number-wise comparison. Every spatialflow case also reports the CPU time
(``process_time``, all threads) of its best run. The machine is shared (2 cores, other
engineers' jobs): the load average is recorded with every case, so read the ratios
measured in the same run.

Run: ``python benchmarks/bench_speed.py [--repeats 3] [--million] [--baseline REV]
[--only counties,house,...]``; writes ``benchmarks/results/speed.json`` (``speed_<only>.json``
with ``--only``), from which the tables of ``speed_2026-12.md`` are written.

The large-n cases of issue 22 item 3 run apart (``scale_main``): ``--scale [--only
lattice,million] [--ten-million]`` times the Graph, the formula, the fit and the effects of
the SDM on the 99,856 and 10^6 lattices (before/after, wall and CPU seconds, peak memory) and
the exact LU answer at 99,856 once; ``--ten-million`` adds the 10^7 lattice (this code only;
run it under ``flock /tmp/bigmem.lock``). Writes ``scale_speed_<cases>.json``, summarised in
``benchmarks/results/scale_2026-12.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))
from bench_scale import counties_W, lattice_W, simulate  # noqa: E402

HOUSE_N = 25_357
LOOP_SIDE, LOOP_FITS, SPREG_LOOP_FITS, R_LOOP_FITS = 30, 100, 10, 10


def knn_W(n: int, k: int = 6, seed: int = 0) -> sp.csr_matrix:
    from scipy.spatial import cKDTree
    pts = np.random.default_rng(seed).uniform(size=(n, 2))
    _, idx = cKDTree(pts).query(pts, k + 1)
    rows = np.repeat(np.arange(n), k)
    return sp.csr_matrix((np.full(n * k, 1.0 / k), (rows, idx[:, 1:].ravel())), shape=(n, n))


# ------------------------------------------------------------------------------ child side
def _graph(W):
    import libpysal
    return libpysal.graph.Graph.from_sparse(W, ids=pd.RangeIndex(W.shape[0]))


def _clear_cache():
    try:
        from spatialflow.models._linalg import operator_cache
    except ImportError:              # the code before issue 22 has no cache
        return
    operator_cache.clear()


#: CPU time (process_time, all threads) of the run ``_best`` reported last ("total"), and
#: the least CPU time of its repeats ("min": on a loaded machine the least-disturbed run).
CPU: dict = {}


def _best(fn, repeats):
    """Best time of ``repeats`` runs and the output of that run."""
    best, out = float("inf"), None
    CPU["min"] = float("inf")
    for _ in range(repeats):
        _clear_cache()
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        CPU["min"] = min(CPU["min"], cpu)
        if elapsed < best:
            best, out = elapsed, result
            CPU["total"] = cpu                  # CPU time of the best run
    return best, out


def child(case: dict) -> dict:
    warnings.simplefilter("ignore")
    tmp, repeats = Path(case["tmp"]), case["repeats"]
    load = os.getloadavg()[0]
    name = case["name"]
    if name == "import":
        return {"load": load}
    if case.get("spreg"):
        return _child_spreg(case, tmp, repeats, load)
    import spatialflow as sf
    data = pd.read_parquet(tmp / f"{case['data']}.parquet")
    W = sp.load_npz(tmp / f"{case['data']}_W.npz").tocsr()
    g = _graph(W)
    data.index = pd.RangeIndex(W.shape[0])
    fit_opts = case.get("fit", {})
    if name == "loop":
        frames = [data.assign(y=data[f"y{r}"]) for r in range(LOOP_FITS)]

        def run():
            return [sf.SAR.from_formula("y ~ x1", data=f, w=g).fit(**fit_opts) for f in frames]
        t, fits = _best(run, 1)
        return {"t_total": t, "rho_mean": float(np.mean([f.params["rho"] for f in fits])),
                "logdet": fits[0].extra["logdet"], "load": load, "cpu_total": CPU["total"],
                "rho_first": [float(f.params["rho"]) for f in fits[:R_LOOP_FITS]]}
    kind = getattr(sf, case["model"])
    formula = "y ~ x1 + x2" if case["model"] == "SDM" else "y ~ x1"

    def run():
        t0 = time.perf_counter()
        res = kind.from_formula(formula, data=data, w=g).fit(**fit_opts)
        t_fit = time.perf_counter() - t0
        eff = res.effects(n_draws=1000, seed=0) if case.get("effects") else None
        return res, eff, t_fit, time.perf_counter() - t0 - t_fit
    best, (res, eff, t_fit, t_eff) = _best(run, repeats)
    extra = res.extra
    out = {"t_total": best, "t_fit": t_fit, "t_effects": t_eff, "load": load,
           "cpu_total": CPU["total"], "cpu_min": CPU["min"],
           "logdet": extra.get("logdet"), "information": res.information,
           "rho": float(res.params["rho"]), "se": res.bse.tolist(),
           "params": res.params.tolist()}
    if eff is not None:
        out["direct"] = eff["direct"].tolist()
    return out


def _child_spreg(case, tmp, repeats, load):
    import libpysal
    import spreg
    data = pd.read_parquet(tmp / f"{case['data']}.parquet")
    W = sp.load_npz(tmp / f"{case['data']}_W.npz").tocsr()
    w = libpysal.weights.WSP(W).to_W(silence_warnings=True)
    w.transform = "r"
    if case["name"] == "loop":
        c0, t0 = time.process_time(), time.perf_counter()
        for r in range(SPREG_LOOP_FITS):
            spreg.ML_Lag(data[[f"y{r}"]].to_numpy(), data[["x1"]].to_numpy(), w,
                         method="full", spat_diag=False, spat_impacts=None)
        per_fit = (time.perf_counter() - t0) / SPREG_LOOP_FITS
        cpu_per_fit = (time.process_time() - c0) / SPREG_LOOP_FITS
        return {"t_per_fit": per_fit, "t_total_100": per_fit * LOOP_FITS, "load": load,
                "cpu_total_100": cpu_per_fit * LOOP_FITS}
    y, X = data[["y"]].to_numpy(), data[["x1", "x2"]].to_numpy()

    def run():
        return spreg.ML_Lag(y, X, w, slx_lags=1, method="LU", spat_diag=False,
                            spat_impacts=None)
    best, reg = _best(run, repeats)
    return {"t_total": best, "rho": float(np.ravel(reg.betas)[-1]), "load": load,
            "cpu_total": CPU["total"], "cpu_min": CPU["min"]}


# ------------------------------------------------------------------------------------ R side
#: One script for the three R cases (``sdm``: counties SDM + impacts; ``sar``: house SAR;
#: ``loop``: SAR fits on the loop data). W reaches R as its non-zero pattern (1-based i, j)
#: and is row-standardised there (``nb2listw(style = "W")``): every W of these cases is a
#: row-standardised binary matrix, so R fits the same W. Times come from ``system.time``
#: inside R (elapsed and user + system CPU), so R's start-up and the CSV reading are not in
#: them.
R_SPEED = r"""
suppressPackageStartupMessages({library(spdep); library(spatialreg); library(Matrix)})
args <- commandArgs(TRUE); mode <- args[1]; d <- read.csv(args[2]); e <- read.csv(args[3])
n <- nrow(d)
nb <- split(e$j, factor(e$i, levels = seq_len(n)))
nb <- lapply(nb, function(v) if (length(v)) sort(as.integer(v)) else 0L)
attr(nb, "region.id") <- as.character(seq_len(n)); class(nb) <- "nb"
lw <- nb2listw(nb, style = "W", zero.policy = TRUE)
tm <- function(t) c(t[["elapsed"]], t[["user.self"]] + t[["sys.self"]])
out <- list(versions = c(R.version.string, as.character(packageVersion("spatialreg")),
                         as.character(packageVersion("spdep")),
                         as.character(packageVersion("Matrix"))))
if (mode == "sdm") {
  t <- system.time(m <- lagsarlm(y ~ x1 + x2, data = d, listw = lw, method = "Matrix",
                                 Durbin = TRUE, zero.policy = TRUE))
  out$fit <- tm(t)
  W <- as(lw, "CsparseMatrix")
  out$trW_mult <- tm(system.time(tr <- trW(W, type = "mult")))
  set.seed(1)
  out$impacts <- tm(system.time(im <- impacts(m, tr = tr, R = 1000)))
  out$trW_MC <- tm(system.time(trW(W, type = "MC")))
  out$rho <- m$rho; out$coef <- unname(coef(m)); out$direct <- im$res$direct
} else if (mode == "sar") {
  # The Lucas-size stand-in is k-nearest-neighbour W: not symmetric, so R's "Matrix"
  # (Cholesky) method refuses it; "LU" is R's exact sparse LU, like spatialflow's default.
  out$fit <- tm(system.time(m <- lagsarlm(y ~ x1, data = d, listw = lw, method = "LU",
                                          zero.policy = TRUE)))
  out$rho <- m$rho; out$coef <- unname(coef(m))
} else {
  k <- as.integer(args[4]); rhos <- numeric(k)
  out$fit <- tm(system.time(for (r in seq_len(k)) {
    f <- as.formula(sprintf("y%d ~ x1", r - 1))
    rhos[r] <- lagsarlm(f, data = d, listw = lw, method = "eigen")$rho
  }))
  out$rho_first <- rhos
}
cat(paste0("{", paste(sprintf("\"%s\": [%s]", names(out),
    sapply(out, function(v) paste(if (is.character(v)) sprintf("\"%s\"", v)
                                  else sprintf("%.17g", v), collapse = ", "))),
    collapse = ", "), "}"), "\n")
"""


def _r_inputs(tmp: Path, name: str) -> tuple[Path, Path]:
    """The case's data and W's pattern as CSV for R (written once per data set)."""
    data_csv, nb_csv = tmp / f"{name}_r.csv", tmp / f"{name}_r_nb.csv"
    if not data_csv.exists():
        pd.read_parquet(tmp / f"{name}.parquet").to_csv(data_csv, index=False)
        coo = sp.load_npz(tmp / f"{name}_W.npz").tocoo()
        pd.DataFrame({"i": coo.row + 1, "j": coo.col + 1}).to_csv(nb_csv, index=False)
    return data_csv, nb_csv


def run_r(case: dict) -> dict:
    """R spatialreg on the case's data, timed inside R (``R_SPEED``); its answers come back
    for the comparison with spatialflow's."""
    if not shutil.which("Rscript"):
        return {"error": "Rscript not found (the R column is left out)"}
    tmp = Path(case["tmp"])
    data_csv, nb_csv = _r_inputs(tmp, case["data"])
    script = tmp / "speed.R"
    script.write_text(R_SPEED)
    load = os.getloadavg()[0]
    cmd = ["Rscript", str(script), case["r"], str(data_csv), str(nb_csv), str(R_LOOP_FITS)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(
        os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2"))
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-3:]}
    raw = json.loads(proc.stdout.strip().splitlines()[-1])
    out = {"load": load, "versions": raw.pop("versions")}
    for key, value in raw.items():
        if key in ("fit", "trW_mult", "impacts", "trW_MC"):
            out[f"t_{key}"], out[f"cpu_{key}"] = value
        else:
            out[key] = value if len(value) > 1 or key in ("rho_first",) else value[0]
    if case["r"] == "sdm":
        out["t_total"] = out["t_fit"] + out["t_trW_mult"] + out["t_impacts"]
        out["cpu_total"] = out["cpu_fit"] + out["cpu_trW_mult"] + out["cpu_impacts"]
    elif case["r"] == "loop":
        out["t_per_fit"] = out["t_fit"] / R_LOOP_FITS
        out["t_total_100"] = out["t_per_fit"] * LOOP_FITS
        out["cpu_total_100"] = out["cpu_fit"] / R_LOOP_FITS * LOOP_FITS
    else:
        out["t_total"], out["cpu_total"] = out["t_fit"], out["cpu_fit"]
    return out


# ----------------------------------------------------------- the large-n cases (issue 22 item 3)
#: Lattice sides of the scale cases: 316^2 = 99,856, 1000^2 = 10^6, 3163^2 = 10,004,569.
SCALE_SIDES = {"lattice": 316, "million": 1000, "ten-million": 3163}
SCALE_BASELINE = "4b75f08"      # the commit before the scale work


def _vm_hwm_mb() -> float:
    """Peak resident memory of this process (VmHWM, MB)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def scale_child(case: dict) -> dict:
    """One large-n case in this process: Graph, formula, fit, effects, each with wall and CPU
    seconds, the peak memory and the approximation's stated errors."""
    warnings.simplefilter("ignore")
    tmp, name = Path(case["tmp"]), case["data"]
    data = pd.read_parquet(tmp / f"{name}.parquet")
    W = sp.load_npz(tmp / f"{name}_W.npz").tocsr()
    ids = pd.RangeIndex(W.shape[0])
    data.index = ids
    load = os.getloadavg()
    import spatialflow as sf
    try:                        # the probe threads of this code (the code before has none)
        from spatialflow.models._linalg import logdet_approx
        logdet_approx.PROBE_THREADS = int(case.get("threads", 1))
    except ImportError:
        pass
    times = {}

    def timed(label, fn):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times[label] = (time.perf_counter() - t0, time.process_time() - c0)
        return out

    try:                        # this code: the Graph straight from the CSR arrays
        from spatialflow.weights import from_sparse
        g = timed("graph", lambda: from_sparse(W, ids))
        graph_route = "spatialflow.weights.from_sparse"
    except ImportError:         # the code before: libpysal's route
        import libpysal
        g = timed("graph", lambda: libpysal.graph.Graph.from_sparse(W, ids=ids))
        graph_route = "libpysal Graph.from_sparse"
    del W
    model = timed("formula", lambda: sf.SDM.from_formula("y ~ x1 + x2", data=data, w=g))
    res = timed("fit", lambda: model.fit(**case.get("fit", {})))
    eff = timed("effects", lambda: res.effects(n_draws=1000, seed=0)) if case.get("effects") \
        else None
    approx = res.approximation
    out = {"times": times, "load": load, "peak_mb": _vm_hwm_mb(), "graph_route": graph_route,
           "logdet": res.extra.get("logdet"), "params": res.params.tolist(),
           "names": list(res.params.index), "bse": res.bse.tolist(),
           "approximation": json.loads(json.dumps(dict(approx), default=str)) if approx
           else None}
    if eff is not None:
        out["direct"] = eff["direct"].tolist()
        out["total"] = eff["total"].tolist()
    return out


def _scale_run(case: dict, code_root: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code_root),
               OMP_NUM_THREADS=str(case.get("threads", 2)))
    proc = subprocess.run([sys.executable, __file__, "--scale-child", json.dumps(case)],
                          capture_output=True, text=True, env=env, cwd=str(HERE))
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-3:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scale_main(args) -> None:
    """The lattice (99,856) and 10^6 cases before/after, the exact LU answer at 99,856 once,
    and with ``--ten-million`` the 10^7 lattice (this code only). Writes scale_speed.json."""
    names = ["lattice", "million"] + (["ten-million"] if args.ten_million else [])
    if args.only:
        names = [nm for nm in names if nm in args.only.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for nm in names:
            W = lattice_W(SCALE_SIDES[nm])
            sp.save_npz(tmp / f"{nm}_W.npz", W, compressed=False)
            simulate(W).to_parquet(tmp / f"{nm}.parquet")
            del W
        base = _baseline(args.scale_baseline, Path(tempfile.mkdtemp(prefix="sf_base_", dir=tmp)))
        for nm in names:
            case = {"tmp": str(tmp), "data": nm, "effects": True,
                    "threads": args.scale_threads}
            results[nm] = {"new": _scale_run(case, ROOT)}
            print(nm, "new", json.dumps(results[nm]["new"]["times"]
                                        if "times" in results[nm]["new"] else results[nm]),
                  flush=True)
            if nm != "ten-million":
                results[nm]["before"] = _scale_run(case, base)
                print(nm, "before", json.dumps(results[nm]["before"].get("times")), flush=True)
            if nm == "lattice":     # the exact answer, once
                exact = dict(case, effects=False, fit={"logdet": "lu"})
                results[nm]["exact"] = _scale_run(exact, ROOT)
                print(nm, "exact", json.dumps(results[nm]["exact"].get("times")), flush=True)
    RESULTS.mkdir(exist_ok=True)
    suffix = "_".join(names) + f"_{args.scale_threads}thread"
    (RESULTS / f"scale_speed_{suffix}.json").write_text(json.dumps(results, indent=1))


# ----------------------------------------------------------------------------- parent side
def _run(case: dict, code_root: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code_root), OMP_NUM_THREADS="2")
    if case["name"] == "import":
        return _import_times(code_root, env)
    if case.get("r"):
        return run_r(case)
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(case)],
                          capture_output=True, text=True, env=env, cwd=str(HERE))
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _import_times(code_root: Path, env: dict) -> dict:
    stmt = ("import time, pandas, scipy.sparse; t = time.perf_counter(); "
            "from spatialflow import SDM; print(time.perf_counter() - t)")
    spreg_stmt = ("import time, pandas, scipy.sparse; t = time.perf_counter(); import spreg; "
                  "print(time.perf_counter() - t)")

    def best(s):
        return min(float(subprocess.run([sys.executable, "-c", s], capture_output=True,
                                        text=True, env=env, check=True).stdout)
                   for _ in range(5))
    return {"t_total": best(stmt), "t_spreg": best(spreg_stmt), "load": os.getloadavg()[0]}


def _baseline(rev: str, folder: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "spatialflow"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _data(tmp: Path, million: bool, only: str = "") -> None:
    cases = {"counties": counties_W, "lattice": lambda: lattice_W(316),
             "house": lambda: knn_W(HOUSE_N)}
    if million:
        cases["million"] = lambda: lattice_W(1000)
    if only:
        cases = {k: v for k, v in cases.items() if k in only.split(",")}
    for name, make in cases.items():
        W = make()
        cases[name] = W[1] if isinstance(W, tuple) else W
    for name, W in cases.items():
        W = sp.csr_matrix(W)
        sp.save_npz(tmp / f"{name}_W.npz", W)
        simulate(W).to_parquet(tmp / f"{name}.parquet")
    W = lattice_W(LOOP_SIDE)
    sp.save_npz(tmp / "loop_W.npz", W)
    ys = {f"y{r}": simulate(W, seed=1000 + r)["y"].to_numpy() for r in range(LOOP_FITS)}
    pd.concat([simulate(W)[["x1"]], pd.DataFrame(ys)], axis=1).to_parquet(tmp / "loop.parquet")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--million", action="store_true")
    ap.add_argument("--baseline", default="367f99c")
    ap.add_argument("--only", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--scale", action="store_true",
                    help="the large-n cases only (lattice, million; before/after)")
    ap.add_argument("--ten-million", action="store_true",
                    help="with --scale: also the 10^7 lattice (needs ~12 GB; run under flock)")
    ap.add_argument("--scale-baseline", default=SCALE_BASELINE)
    ap.add_argument("--scale-threads", type=int, default=1,
                    help="threads of the probe products (PROBE_THREADS) and OMP_NUM_THREADS "
                         "of the scale cases")
    ap.add_argument("--scale-child")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    if args.scale_child:
        print(json.dumps(scale_child(json.loads(args.scale_child))))
        return
    if args.scale:
        scale_main(args)
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        _data(tmp, args.million, args.only)
        base = _baseline(args.baseline, Path(tempfile.mkdtemp(prefix="sf_base_", dir=tmp)))
        common = {"tmp": str(tmp), "repeats": args.repeats}
        plan = [
            ("counties", {"data": "counties", "model": "SDM", "effects": True}, True),
            ("counties, expected information",
             {"data": "counties", "model": "SDM", "effects": True,
              "fit": {"information": "expected"}}, False),
            ("counties, spreg ML_Lag LU", {"data": "counties", "spreg": True}, False),
            ("counties, R lagsarlm Matrix + impacts", {"data": "counties", "r": "sdm"}, False),
            ("house", {"data": "house", "model": "SAR"}, True),
            ("house, approximate", {"data": "house", "model": "SAR",
                                    "fit": {"logdet": "approx"}}, False),
            ("house, R lagsarlm LU", {"data": "house", "r": "sar"}, False),
            ("lattice", {"data": "lattice", "model": "SDM", "effects": True}, True),
            ("loop", {"data": "loop"}, True),
            ("loop, spreg ML_Lag full", {"data": "loop", "spreg": True}, False),
            ("loop, R lagsarlm eigen", {"data": "loop", "r": "loop"}, False),
            ("import", {}, True),
        ]
        if args.million:
            plan.insert(6, ("million", {"data": "million", "model": "SDM", "effects": True},
                            True))
        if args.only:
            plan = [p for p in plan if p[0].split(",")[0] in args.only.split(",")]
        results = {}
        for label, spec, with_base in plan:
            name = label.split(",")[0]
            case = dict(common, name=name, **spec)
            results[label] = {"new": _run(case, ROOT)}
            if with_base:
                results[label]["before"] = _run(case, base)
            print(label, json.dumps(results[label]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("speed.json" if not args.only else f"speed_{args.only.replace(',', '_')}.json")
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
