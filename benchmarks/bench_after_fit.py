"""After the fit (issue 14): GMM, robust covariances, scenarios and model probabilities.

Side by side with the peers in the same run, on queen lattices (row-standardised):

* GMM spatial 2SLS, n = 10,000: spreg ``GM_Lag`` called directly vs ``SAR.fit(method="gmm")``
  (formula to labelled results: the wrapper's overhead), same estimates;
* Driscoll-Kraay covariance of pooled OLS, n = 2,500, T = 20: linearmodels ``PooledOLS``
  (``cov_type="kernel"``) vs ``OLS(..., id=, time=).fit(cov_type="driscoll-kraay")``, same SEs;
* clustered covariance of a unit-FE SAR (n = 2,500, T = 10): the fit alone vs fit + cluster
  (no peer: spreg's panel ML has no robust covariance);
* a scenario on n = 10,000 units with 1,000 draws (sparse LU per draw; a dense inverse would
  need 0.8 GB per draw);
* model probabilities of SAR, SDM, SEM, SDEM at n = 2,500.

Run:  python benchmarks/bench_after_fit.py
"""
from __future__ import annotations

import contextlib
import io
import time
import warnings

import libpysal
import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import spatialflow as sf


def lattice(side: int):
    w = libpysal.weights.lat2W(side, side, rook=False)
    w.transform = "r"
    return w, sp.csr_matrix(w.sparse, dtype=float)


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def cross_section(side: int, seed: int = 0):
    w, W = lattice(side)
    n = W.shape[0]
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    lu = spla.splu(sp.csc_matrix(sp.identity(n) - 0.5 * W))
    y = lu.solve(1 + x1 - 0.5 * x2 + rng.normal(size=n))
    return w, pd.DataFrame({"y": y, "x1": x1, "x2": x2}, index=w.id_order)


def main() -> None:
    import spreg
    from linearmodels.panel import PooledOLS

    rows = []
    # GMM
    w, df = cross_section(100)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        ref, t_ref = timed(lambda: spreg.GM_Lag(df[["y"]].to_numpy(),
                                                df[["x1", "x2"]].to_numpy(), w=w))
    ours, t_ours = timed(lambda: sf.SAR.from_formula("y ~ x1 + x2", data=df, w=w)
                         .fit(method="gmm"))
    diff = np.max(np.abs(ours.params.to_numpy() - ref.betas.ravel()))
    rows.append(("GMM spatial 2SLS, n = 10,000", t_ours, f"spreg GM_Lag {t_ref:.3f} s",
                 f"max |diff| {diff:.1e}"))
    # Driscoll-Kraay
    side, T = 50, 20
    w2, _ = lattice(side)
    n = side * side
    rng = np.random.default_rng(1)
    panel = pd.DataFrame({"code": np.tile(w2.id_order, T), "year": np.repeat(np.arange(T), n),
                          "x": rng.normal(size=n * T)})
    panel["y"] = 1 + panel["x"] + rng.normal(size=n * T)
    keyed = panel.set_index(["code", "year"]).assign(const=1.0)
    ref, t_ref = timed(lambda: PooledOLS(keyed["y"], keyed[["const", "x"]]).fit(
        cov_type="kernel", kernel="bartlett", bandwidth=2, debiased=False))
    ours, t_ours = timed(lambda: sf.OLS.from_formula(
        "y ~ x", data=panel, w=w2, id="code", time="year", effects=None).fit(
        cov_type="driscoll-kraay", lags=2))
    diff = np.max(np.abs(ours.bse.to_numpy() / ref.std_errors.to_numpy() - 1))
    rows.append(("Driscoll-Kraay, pooled OLS, n = 2,500, T = 20", t_ours,
                 f"linearmodels PooledOLS {t_ref:.3f} s", f"SE rel. diff {diff:.1e}"))
    # cluster on a FE SAR
    T = 10
    sub = panel[panel["year"] < T]
    model = sf.SAR.from_formula("y ~ x", data=sub, w=w2, id="code", time="year",
                                effects="unit")
    _, t_fit = timed(lambda: model.fit())
    _, t_cl = timed(lambda: model.fit(cov_type="cluster"))
    rows.append(("unit-FE SAR n = 2,500, T = 10: fit + cluster", t_cl,
                 f"fit alone {t_fit:.3f} s", "no peer"))
    # scenario
    w, df = cross_section(100)
    res = sf.SDM.from_formula("y ~ x1 + x2", data=df, w=w).fit()
    delta = pd.DataFrame({"x1": 1.0}, index=df.index[:500])
    sc, t_sc = timed(lambda: res.scenario(delta, n_draws=1000, seed=0))
    rows.append(("scenario, n = 10,000, 1,000 draws", t_sc, "dense inverse: 0.8 GB per draw",
                 f"total change {sc.total()['change']:.3f}"))
    # model probabilities
    w, df = cross_section(50)
    out, t_mp = timed(lambda: sf.model_probabilities("y ~ x1 + x2", df, w))
    rows.append(("model probabilities, 4 models, n = 2,500", t_mp, "—",
                 f"P(SAR) = {out.loc['SAR', 'probability']:.3f}"))
    print(f"{'task':<48} {'spatialflow':>12}  {'peer':<34} note")
    for task, t, peer, note in rows:
        print(f"{task:<48} {t:>10.3f} s  {peer:<34} {note}")


if __name__ == "__main__":
    main()
