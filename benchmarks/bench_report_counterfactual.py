"""Time of the report's counterfactual decomposition, now computed through ``res.scenario``.

An SDM on an 11 x 11 rook lattice (121 units; a core of 40 and three peripheral groups of
27), 1,000 simulation draws. Usage (from the repository root)::

    python benchmarks/bench_report_counterfactual.py [--old path/to/old_counterfactual.py]

``--old`` times a copy of the former ``spatialflow/report/counterfactual.py`` (for example
``git show 4db4ce6:spatialflow/report/counterfactual.py > /tmp/old_cf.py``) on the same fit.
Results: benchmarks/results/report_counterfactual_2026-12.md.
"""
from __future__ import annotations

import argparse
import importlib.util
import time

import libpysal
import numpy as np
import pandas as pd

import spatialflow as sf
from spatialflow.report.counterfactual import counterfactual


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", help="a copy of the former report/counterfactual.py")
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    w = libpysal.weights.lat2W(11, 11)
    w.transform = "r"
    ids = list(w.id_order)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(len(ids), 2)), index=ids, columns=["x1", "x2"])
    labels = pd.Series(np.array(["core"] * 40 + ["A"] * 27 + ["B"] * 27 + ["C"] * 27),
                       index=ids)
    y = 1 + X["x1"] - 0.5 * X["x2"] + rng.normal(size=len(ids))
    res = sf.SDM.from_formula("y ~ x1 + x2", data=X.assign(y=y), w=w).fit()
    runs = [("scenario (now)", counterfactual)]
    if args.old:
        spec = importlib.util.spec_from_file_location("spatialflow.report._old_cf", args.old)
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
        runs.append(("former module", old.counterfactual))
    for name, fn in runs:
        start = time.perf_counter()
        cf = fn(res, X, y, labels, core="core", higher_is_better=True, n_draws=args.draws,
                seed=0)
        print(f"{name:16s} {time.perf_counter() - start:6.2f} s   closed_se "
              f"{np.round(cf['closed_std_error' if 'closed_std_error' in cf else 'closed_se'].to_numpy(), 4).tolist()}")


if __name__ == "__main__":
    main()
