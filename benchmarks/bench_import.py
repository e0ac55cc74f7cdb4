"""Import time of spatialflow beside its peers, in one run (``python -X importtime``).

Run: ``python benchmarks/bench_import.py [--repeat 7] [--source DIR]``.

Each statement runs in a fresh interpreter ``--repeat`` times; the table shows the median
cumulative import time reported by ``-X importtime`` for the top-level module. ``--source``
puts another checkout of the package first on ``sys.path`` (to time an older commit, e.g. a
``git archive`` of it). The machine is shared: read the ratios, not the digits.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

STATEMENTS = [
    ("import spatialflow", "spatialflow"),
    ("import spatialflow.models", "spatialflow.models"),
    ("import pandas", "pandas"),
    ("import libpysal", "libpysal"),
    ("import spreg", "spreg"),
]


def cumulative_us(statement: str, module: str, source: str | None) -> int:
    env = dict(os.environ)
    if source:
        env["PYTHONPATH"] = source + os.pathsep + env.get("PYTHONPATH", "")
    # Run outside any checkout: with -c the current directory comes first on sys.path.
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", statement],
                         capture_output=True, text=True, env=env, check=True,
                         cwd=tempfile.gettempdir()).stderr
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() == module:
            return int(parts[1])
    raise RuntimeError(f"{module} not in the importtime output of {statement!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--source", default=None)
    args = parser.parse_args()
    print(f"{'statement':32s} {'median s':>9s} {'min s':>9s}")
    for statement, module in STATEMENTS:
        times = [cumulative_us(statement, module, args.source) / 1e6 for _ in range(args.repeat)]
        print(f"{statement:32s} {statistics.median(times):9.3f} {min(times):9.3f}")


if __name__ == "__main__":
    main()
