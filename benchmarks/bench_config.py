"""Size and speed of the pipeline's config schema (issue 26, item 7).

Run: ``python benchmarks/bench_config.py [--repeat 7] [--source DIR]``.

- lines of ``spatialflow/pipeline/config.py`` and of the schema module(s) beside it
  (all lines, and lines that are neither blank nor comments);
- import: the median over ``--repeat`` fresh interpreters of the cumulative ``-X importtime``
  of ``spatialflow.pipeline.config`` (its own imports included; the package's ``__init__``,
  which loads the runner, is not);
- the first check: the wall time of the first ``load_config(data/example.toml)`` in a fresh
  interpreter, after the import (pydantic builds its validators on first use), median over
  ``--repeat`` interpreters;
- loading: the median wall time of ``load_config(data/example.toml)`` (read, parse, check;
  the whole example), of ``load_config`` of the shipped census config and of
  ``make_config({})`` (the defaults), each over 200 calls after one warm-up.

``--source`` puts another checkout first on ``sys.path`` (to time an older commit). The
machine is shared: read the ratios, not the digits.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_TIMING = r"""
import statistics, sys, time, warnings
from spatialflow.pipeline import load_config, make_config
from spatialflow.cli import example_config
example, census = sys.argv[1], example_config("census")
def median_ms(f, n=200):
    f()
    times = []
    for _ in range(n):
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)
print(median_ms(lambda: load_config(example)), median_ms(lambda: load_config(census)),
      median_ms(lambda: make_config({})))
"""


_FIRST = r"""
import sys, time
from spatialflow.pipeline import load_config
t = time.perf_counter(); load_config(sys.argv[1]); print(time.perf_counter() - t)
"""


def _env(source):
    env = dict(os.environ)
    if source:
        env["PYTHONPATH"] = source + os.pathsep + env.get("PYTHONPATH", "")
    return env


def import_us(source) -> int:
    err = subprocess.run([sys.executable, "-X", "importtime", "-c",
                          "import spatialflow.pipeline.config"], capture_output=True, text=True,
                         env=_env(source), check=True, cwd=tempfile.gettempdir()).stderr
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() == "spatialflow.pipeline.config":
            return int(parts[1])  # the first (nested) line: the module and its imports
    raise RuntimeError("spatialflow.pipeline.config not in the importtime output")


def lines(source) -> dict:
    folder = Path(source or ROOT) / "spatialflow" / "pipeline"
    out = {}
    for path in sorted(folder.glob("config*.py")) + sorted(folder.glob("_schema*.py")):
        text = path.read_text(encoding="utf-8").splitlines()
        code = [t for t in text if t.strip() and not t.strip().startswith("#")]
        out[path.name] = (len(text), len(code))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--source", default=None)
    args = parser.parse_args()
    source = str(Path(args.source).resolve()) if args.source else str(ROOT)
    for name, (total, code) in lines(source).items():
        print(f"{name}: {total} lines, {code} non-blank non-comment")
    imports = [import_us(source) for _ in range(args.repeat)]
    print(f"import spatialflow.pipeline.config (cumulative, median of {args.repeat}): "
          f"{statistics.median(imports) / 1e3:.1f} ms")
    first = [float(subprocess.run(
        [sys.executable, "-c", _FIRST, str(ROOT / "data" / "example.toml")],
        capture_output=True, text=True, env=_env(source), check=True,
        cwd=tempfile.gettempdir()).stdout) for _ in range(args.repeat)]
    print(f"first load_config(example.toml) in a fresh process (median of {args.repeat}): "
          f"{1e3 * statistics.median(first):.1f} ms")
    out = subprocess.run([sys.executable, "-c", _TIMING, str(ROOT / "data" / "example.toml")],
                         capture_output=True, text=True, env=_env(source), check=True,
                         cwd=tempfile.gettempdir()).stdout.split()
    example, census, defaults = map(float, out)
    print(f"load_config(example.toml): {example:.3f} ms; load_config(census.toml): "
          f"{census:.3f} ms; make_config({{}}): {defaults:.3f} ms (medians of 200)")


if __name__ == "__main__":
    main()
