"""Queen/rook contiguity for China's 2,875 counties: spatialflow vs libpysal, side by side.

Run (needs the ``china`` extra; the first run assembles and caches the national layer)::

    python benchmarks/bench_contiguity.py [--rook] [--repeat 1]

Prints the wall time of libpysal's legacy ``Queen.from_dataframe`` (``Rook`` with --rook),
of ``libpysal.graph.Graph.build_contiguity`` and of ``spatialflow.weights.build`` (vectorised
shared-vertex hashing), checks that all three give identical neighbour sets, and reports the
islands and connected components (DOMAIN.md: 7 islands, 11 components under queen).
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings

import libpysal
from libpysal import weights as legacy
from libpysal.graph import Graph

from spatialflow.datasets import load_china_counties
from spatialflow.exceptions import IslandWarning
from spatialflow.weights import build, describe


def timed(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rook", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    kind = "rook" if args.rook else "queen"

    t_load, gdf = timed(load_china_counties, 1)
    legacy_cls = legacy.Rook if args.rook else legacy.Queen
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_legacy, w_legacy = timed(
            lambda: legacy_cls.from_dataframe(gdf, use_index=True, silence_warnings=True),
            args.repeat,
        )
        t_graph, g_lib = timed(
            lambda: Graph.build_contiguity(gdf.geometry, rook=args.rook), args.repeat
        )
        warnings.simplefilter("ignore", IslandWarning)
        t_ours, g_ours = timed(
            lambda: build(gdf, kind, islands="keep", transform=None), args.repeat
        )

    def sets(neighbors):
        return {k: frozenset(v) for k, v in neighbors.items()}

    ours = sets(g_ours.neighbors)
    same_legacy = ours == sets(w_legacy.neighbors)
    same_graph = ours == sets(g_lib.neighbors)
    d = describe(g_ours)
    out = sys.stdout
    out.write(
        f"python {platform.python_version()}, libpysal {libpysal.__version__}; "
        f"{len(gdf)} county units (layer loaded in {t_load:.2f} s)\n"
    )
    out.write(f"{kind} contiguity, best of {args.repeat}:\n")
    out.write(f"  libpysal.weights.{legacy_cls.__name__}.from_dataframe : {t_legacy:8.2f} s\n")
    out.write(f"  libpysal.graph.Graph.build_contiguity      : {t_graph:8.2f} s\n")
    out.write(f"  spatialflow.weights.build                  : {t_ours:8.2f} s "
              f"({t_legacy / t_ours:.1f}x faster than legacy)\n")
    out.write(f"  identical neighbour sets: legacy {same_legacy}, Graph {same_graph}\n")
    out.write(
        f"  links {d.n_links}, islands {len(d.islands)} {list(d.islands)}, "
        f"components {d.n_components}\n"
    )
    return 0 if same_legacy and same_graph else 1


if __name__ == "__main__":
    raise SystemExit(main())
