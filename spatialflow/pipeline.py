"""The default, reproducible paper pipeline on the embedded data.

``spatialflow run`` (or :func:`run`) does, in order:

1. load the embedded Guangdong county layer (real polygons, 124 units) and summarise it;
2. build row-standardised queen contiguity (Nan'ao attached to its nearest neighbours) and
   describe it;
3. simulate the clearly labelled **synthetic** factor-flow panel on those units;
4. fit the field's standard model, a two-way fixed-effects spatial Durbin model of TFP on the
   factor flows with the Lee-Yu correction, and report LeSage-Pace effects with simulated
   inference and their split into core/periphery spillover blocks;
5. write every table, the model summary and a ``manifest.json`` (versions, seed, input and
   output hashes) to the output folder.
"""
from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from os import PathLike
from pathlib import Path

import pandas as pd

from ._validation import check_count, check_seed
from .exceptions import InputError

__all__ = ["PipelineConfig", "run", "load_config"]

_VERSIONED = ["spatialflow", "numpy", "scipy", "pandas", "geopandas", "shapely", "libpysal",
              "spreg", "esda", "statsmodels", "formulaic"]


@dataclass(frozen=True)
class PipelineConfig:
    """Settings of one run (all of them go into the manifest)."""

    out: str = "spatialflow-output"
    seed: int = 0
    weights: str = "queen"
    years: tuple[int, int] = (2014, 2023)
    formula: str = "tfp ~ labour_flow + capital_flow + land_flow + technology_flow"
    n_draws: int = 1000
    effects: str = "twoway"
    bias_correction: str | None = "lee-yu"
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        # Checked when the configuration is made (from Python, TOML or the command line), so
        # that a bad value fails before anything is written to the output folder.
        check_seed(self.seed, "seed")
        check_count(self.n_draws, "n_draws")
        if self.weights not in WEIGHTS_CHOICES:
            raise InputError(f"the pipeline's weights must be one of {sorted(WEIGHTS_CHOICES)}; "
                             f"{self.weights!r} was given. Other kinds need options: build "
                             "them with spatialflow.weights.build and fit the models directly.")
        years = self.years
        if (not isinstance(years, (list, tuple)) or len(years) != 2
                or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)
                or years[0] >= years[1]):
            raise InputError(f"years must be [first, last] integers with first < last; "
                             f"{years!r} was given.")
        object.__setattr__(self, "years", tuple(years))
        if not isinstance(self.formula, str):
            raise InputError(f"formula must be a string; {self.formula!r} was given.")
        if not isinstance(self.out, (str, PathLike)) or not str(self.out).strip():
            raise InputError(f"out must be a folder path; {self.out!r} was given.")
        # The pipeline fits a fixed-effects SDM: random effects are not an SDM option.
        if self.effects not in ("unit", "time", "twoway"):
            raise InputError(f"effects must be 'unit', 'time' or 'twoway' (fixed effects of "
                             f"the pipeline's SDM); {self.effects!r} was given.")
        if self.bias_correction not in ("lee-yu", None):
            raise InputError(f"bias_correction must be 'lee-yu' or None ('none' in a TOML "
                             f"file); {self.bias_correction!r} was given.")


#: Weights kinds the pipeline can build without further input, with the options it uses.
WEIGHTS_CHOICES = {
    "queen": {"islands": "knn"},
    "rook": {"islands": "knn"},
    "knn": {"k": 5, "project": True},
    "inverse_distance": {"power": 1, "project": True},
}

_OUTPUT_README = """spatialflow default pipeline output

{notice}
The county polygons, ids, names and the region grouping are real; every file whose name
starts with "synthetic_" is computed from the simulated panel.

layer_summary.csv                    units and cities by region and unit type
weights_summary.json                 the spatial weights (describe())
synthetic_panel.csv                  the simulated panel (true parameters in the manifest)
synthetic_sdm_params.csv             two-way FE SDM estimates (Lee-Yu)
synthetic_parameter_recovery.csv     estimates beside the true values
synthetic_effects.csv                direct / indirect / total effects with inference
synthetic_core_periphery_blocks.csv  effects split into core/periphery blocks
synthetic_sdm_summary.*              the model summary (text, Markdown, HTML)
manifest.json                        versions, seed, configuration, input and output hashes
"""


def load_config(path, **overrides) -> PipelineConfig:
    """A :class:`PipelineConfig` from a TOML file (keys as the dataclass fields).

    Example file::

        out = "results/sdm-twoway"
        seed = 20261123
        weights = "rook"
        years = [2015, 2023]
        formula = "tfp ~ labour_flow + capital_flow"
        n_draws = 2000
        effects = "twoway"
        bias_correction = "lee-yu"   # or "none" for the uncorrected estimator

    ``overrides`` (e.g. from the command line) win over the file.
    """
    from dataclasses import fields

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    path = Path(path)
    if not path.is_file():
        raise InputError(f"config file {str(path)!r} does not exist.")
    with open(path, "rb") as fh:
        try:
            values = tomllib.load(fh)
        except tomllib.TOMLDecodeError as err:
            raise InputError(f"config file {str(path)!r} is not valid TOML: {err}.") from err
    known = {f.name for f in fields(PipelineConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"unknown key(s) {unknown} in {str(path)!r}; valid keys: "
                         f"{sorted(known - {'extra'})}.")
    values.update({k: v for k, v in overrides.items() if v is not None})
    if str(values.get("bias_correction", "lee-yu")).lower() == "none":
        values["bias_correction"] = None
    return PipelineConfig(**values)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def run(config: PipelineConfig = PipelineConfig(), *, progress=None) -> dict:
    """Run the default pipeline; return a dict of the main tables (also written to disk).

    Parameters
    ----------
    config : PipelineConfig
        Output folder, seed, weights kind, years, formula, number of draws.
    progress : callable, optional
        Called with a short message at each step (the CLI prints them).
    """
    from . import SDM
    from .datasets import load_guangdong_counties
    from .datasets.synthetic import synthetic_panel
    from .weights import build, describe

    say = progress or (lambda message: None)
    started = time.time()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)

    say("loading the embedded Guangdong county layer")
    counties = load_guangdong_counties()
    layer = (counties.groupby(["region", "unit_type"]).size().unstack(fill_value=0))
    layer["units"] = layer.sum(axis=1)
    layer["cities"] = counties.groupby("region")["city_code"].nunique()

    say(f"building {config.weights} weights")
    w = build(counties, kind=config.weights, **WEIGHTS_CHOICES[config.weights])
    wdesc = describe(w)

    say("simulating the SYNTHETIC factor-flow panel (seed %d)" % config.seed)
    years = range(config.years[0], config.years[1] + 1)
    panel = synthetic_panel(counties, w, years=years, seed=config.seed)

    say(f"fitting a {config.effects} fixed-effects SDM ({config.bias_correction or 'uncorrected'})")
    model = SDM.from_formula(config.formula, data=panel, w=w, id="code", time="year",
                             effects=config.effects)
    res = model.fit(bias_correction=config.bias_correction)
    say(f"effects with {config.n_draws} simulation draws, and core/periphery blocks")
    effects = res.effects(n_draws=config.n_draws, seed=config.seed)
    partition = counties["core"].map({True: "core", False: "periphery"})
    blocks = res.effects(n_draws=config.n_draws, seed=config.seed, partition=partition)

    truth = panel.attrs["truth"]["tfp"]
    recovery = pd.DataFrame({
        "true": pd.Series({**truth["beta"],
                           **{f"W_{k}": v for k, v in truth["theta"].items()},
                           "rho": truth["rho"]}),
        "estimate": res.params})
    recovery["estimate_se"] = res.bse

    summary = res.summary(n_draws=config.n_draws, seed=config.seed)
    notice = panel.attrs["description"]
    # Every file computed from the synthetic panel says so: in its name, and in the text
    # of the human-readable summaries. The summary carries the panel's notice itself (it
    # reads model.data.attrs); the files add it only if it is missing, never twice.
    preface = () if notice in summary.warnings else (notice,)
    text_head = "".join(f"{line}\n\n" for line in preface)
    md_head = "".join(f"> **{line}**\n\n" for line in preface)
    files = {
        "layer_summary.csv": layer.to_csv(),
        "weights_summary.json": json.dumps(_jsonable(wdesc), indent=2, default=str),
        "synthetic_panel.csv": panel.to_csv(index=False),
        "synthetic_sdm_params.csv": pd.DataFrame({"estimate": res.params, "se": res.bse,
                                                  "p": res.pvalues}).to_csv(),
        "synthetic_parameter_recovery.csv": recovery.to_csv(),
        "synthetic_effects.csv": effects.to_csv(),
        "synthetic_core_periphery_blocks.csv": blocks.to_csv(index=False),
        "synthetic_sdm_summary.txt": f"{text_head}{summary.as_text().rstrip()}\n",
        "synthetic_sdm_summary.md": f"{md_head}{summary.as_markdown().rstrip()}\n",
        # a standalone page: full document, UTF-8 declared, any notice inside the body
        "synthetic_sdm_summary.html": summary.as_html_document(preface=preface),
        "README.txt": _OUTPUT_README.format(notice=notice),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")

    manifest = {
        "spatialflow_pipeline": "default",
        "data_notice": panel.attrs["description"],
        "config": asdict(config),
        "true_parameters": panel.attrs["truth"],
        "versions": _versions(),
        "inputs": {p.name: _sha256(p) for p in _embedded_data_files()},
        "outputs": {name: hashlib.sha256(text.encode("utf-8")).hexdigest()
                    for name, text in files.items()},
        "seconds": round(time.time() - started, 3),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return {"layer": layer, "weights": wdesc, "panel": panel, "results": res,
            "effects": effects, "blocks": blocks, "recovery": recovery, "manifest": manifest}


def _embedded_data_files() -> list[Path]:
    """The package data the run reads (the county layer and the region table)."""
    folder = Path(__file__).parent / "datasets" / "_data"
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _jsonable(obj):
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    return obj
