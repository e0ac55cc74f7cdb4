"""Run a configured pipeline: check everything, fit every outcome x kind x weights, write.

Order (no folder is created before step 4):

1. the config (types, values, unknown keys);
2. the layer, the data (reader checks), missing cells, the measures, the model columns;
3. every weights specification over the layer, and every model (formula and id alignment);
4. fitting (progress bar), the tables, the report — all written into a temporary sibling of
   the output folder, ``manifest.json`` last, then renamed into place.
"""
from __future__ import annotations

import json
import platform
import time
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import ConfigError, SpatialflowError, format_ids
from .config import PipelineConfig, make_config
from ._notes import note, note_text
from .inputs import Inputs, build_weights, prepare_inputs
from .output import GENERATOR, AtomicFolder, hash_tree, sha256_file

__all__ = ["run", "plan", "RunResult", "Plan"]

_VERSIONED = ["spatialflow", "numpy", "scipy", "pandas", "geopandas", "shapely", "libpysal",
              "spreg", "esda", "statsmodels", "formulaic", "matplotlib", "openpyxl", "pyarrow"]


def _model_class(kind):
    from .. import models
    return getattr(models, kind)


@dataclass
class Plan:
    """A checked run, before anything is fitted or written (see :func:`plan`)."""

    config: PipelineConfig
    inputs: Inputs
    weights: dict
    models: dict          # label -> (outcome, kind, weights name, model object)
    files: dict           # label -> Path of every input
    indicators: list      # the report's Indicator list
    island_links: dict = field(default_factory=dict)  # weights name -> [(island, linked)]

    def describe(self) -> str:
        """What the run will do, one line per item."""
        n_units = self.inputs.panel[self.inputs.id].nunique()
        periods = sorted(self.inputs.panel[self.inputs.time].unique())
        lines = [f"data: {'embedded SYNTHETIC example panel' if self.config.synthetic_example else self.config.data['path']}"
                 f" ({n_units} units, {periods[0]}..{periods[-1]})",
                 f"layer: {self.config.layer['source']} ({len(self.inputs.layer)} units), "
                 f"group {self.config.layer['group']!r}, core {self.config.layer['core']!r}",
                 f"weights: {', '.join(self.weights)}",
                 f"models: {len(self.models)} = {len(self.config.models['outcomes'])} outcome(s)"
                 f" x {len(self.config.models['kinds'])} kind(s) x {len(self.weights)} weights"]
        lines += [f"  {label}" for label in self.models]
        lines += [f"note: {note_text(n)}" for n in self.inputs.notes]
        lines.append(f"output: {self.config.out}/")
        return "\n".join(lines)


@dataclass
class RunResult:
    """What :func:`run` returns (everything is also in the output folder)."""

    folder: Path
    results: dict         # label -> SpatialResults
    tables: dict          # name -> DataFrame (as written)
    report: object        # spatialflow.report.Report
    manifest: dict
    plan: Plan

    @property
    def recovery(self) -> pd.DataFrame | None:
        return self.tables.get("parameter_recovery")


def _config(config, overrides) -> PipelineConfig:
    if config is None:
        config = make_config({})
    elif isinstance(config, dict):
        config = make_config(config)
    elif isinstance(config, (str, Path)):
        from .config import load_config
        config = load_config(config)
    if not isinstance(config, PipelineConfig):
        raise ConfigError(f"config must be a PipelineConfig, a dict or a TOML path; "
                          f"{type(config).__name__} was given.")
    if any(v is not None for v in overrides.values()):
        from .config import apply_overrides
        raw = apply_overrides(_strip_defaults(config.as_dict()), overrides)
        config = make_config(raw, base=config.base, path=config.path)
    return config


def _strip_defaults(raw: dict) -> dict:
    """A checked config back to TOML-like input (None values left out, derived keys too)."""
    out = {}
    for section, values in raw.items():
        if isinstance(values, dict):
            if section == "measures":
                m = {}
                for key, sub in values.items():
                    if sub is None:
                        continue
                    if key == "flows":
                        m[key] = {"per": sub["per"], **sub["factors"]}
                    else:
                        m[key] = {k: v for k, v in sub.items() if v is not None}
                out[section] = m
                continue
            cleaned = {k: (list(v) if isinstance(v, tuple) else v) for k, v in values.items()
                       if v is not None}
            if section == "models" and values.get("bias_correction") is None:
                cleaned["bias_correction"] = "none"
            out[section] = cleaned
        elif isinstance(values, list):
            out[section] = [{k: v for k, v in w.items() if v is not None} for w in values]
        else:
            out[section] = values
    return out


def plan(config=None, **overrides) -> Plan:
    """Check the config, the data, the layer join, the weights and every model; fit nothing,
    write nothing. ``overrides`` are ``"section.key"`` values (e.g. ``{"effects.n_draws":
    200}``), as the command line gives them. The output folder is not looked at here: a run
    checks it after the plan, before fitting."""
    config = _config(config, overrides)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inputs = prepare_inputs(config)
        weights, wfiles = build_weights(config, inputs.layer)
    inputs.notes[:0] = list(config.report.get("notes") or [])   # the user's own, first
    # e.g. the island policy linking a unit without neighbours: said in the notes, not lost
    inputs.notes.extend(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught
                                      if issubclass(w.category, UserWarning)))
    from .subsets import island_links, island_notes
    links = island_links(config, inputs.layer, weights)
    inputs.notes.extend(island_notes(inputs.layer, links))
    models = {}
    m = config.models
    outcomes = m["outcomes"]
    regressors = m["regressors"]
    formulas = m["formulas"] or {}
    if regressors is None:
        regressors = [c for c in inputs.built if c.endswith("_flow") and c != "net_flow"]
        uncovered = [o for o in outcomes if o not in formulas]
        if not regressors and uncovered:
            raise ConfigError(f"models.regressors is not set, no factor-flow column was built "
                              f"and models.formulas has no formula for {uncovered}; list the "
                              "regressors, give a formula for every outcome, or give "
                              "[measures.flows].")
    panel = inputs.panel
    effects = None if m["effects"] == "none" else m["effects"]
    cross_section = panel[inputs.time].nunique() == 1
    if cross_section:
        # One period: cross-section models over the units (no panel effects to take out).
        panel = panel.set_index(inputs.id, drop=False)
        period = panel[inputs.time].iloc[0]
        inputs.notes.append(note(
            f"one period ({period}): cross-section models; models.effects and "
            "models.bias_correction do not apply.",
            f"只有一个时期（{period}）：截面模型；models.effects 和 models.bias_correction "
            "不适用。"))
    for outcome in outcomes:
        formula = formulas.get(outcome, f"{outcome} ~ {' + '.join(regressors)}")
        for wname, w in weights.items():
            for kind in m["kinds"]:
                label = f"{kind} · {wname} · {outcome}"
                cls = _model_class(kind)
                kwargs = ({} if cross_section else
                          dict(id=inputs.id, time=inputs.time, effects=effects))
                try:
                    model = cls.from_formula(formula, data=panel, w=w, **kwargs)
                except SpatialflowError as err:
                    raise type(err)(f"model {label!r} ({formula!r}): {err}") from err
                except Exception as err:  # noqa: BLE001 - formulaic's own errors (names, syntax)
                    raise ConfigError(f"model {label!r}: the formula {formula!r} could not be "
                                      f"built ({type(err).__name__}: {err})") from err
                models[label] = (outcome, kind, wname, model)
    files = {**inputs.files, **wfiles}
    if config.path is not None:
        files = {"config": Path(config.path), **files}
    indicators = _indicators(config, inputs)
    return Plan(config=config, inputs=inputs, weights=weights, models=models, files=files,
                indicators=indicators, island_links=links)


def _versions() -> dict:
    from .. import __version__

    # The import name, not the distribution's: "spatialflow" on the registry is another
    # project (ours is DISTRIBUTION), and a source checkout has no installed metadata.
    out = {"python": platform.python_version(), "spatialflow": __version__}
    for name in (n for n in _VERSIONED if n != "spatialflow"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _progress(iterable, *, enabled, desc, total=None):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, desc=desc, total=total, leave=False, unit="model")


def run(config=None, *, progress: bool = False, say=None, **overrides) -> RunResult:
    """Run the pipeline of ``config`` (default: the embedded synthetic example).

    Parameters
    ----------
    config : PipelineConfig, dict, path or None
        From :func:`~spatialflow.pipeline.load_config`, a dict of TOML sections, or a TOML
        file; None runs the default on the embedded data (every key at its default).
    progress : bool
        Show tqdm progress bars on stderr (the command line turns them on).
    say : callable, optional
        Called with a one-line message at each step.
    **overrides
        ``"section.key"`` values that win over the config (the command-line options), e.g.
        ``run(**{"output.folder": "out", "effects.n_draws": 200})``. A relative
        ``output.folder`` is resolved against the config file's folder, as ``data.path``.

    Returns
    -------
    RunResult
    """
    say = say or (lambda message: None)
    p = plan(config, **overrides)
    config = p.config
    inputs = p.inputs
    say(p.describe())
    with AtomicFolder(config.out, overwrite=config.output["overwrite"]) as tmp:
        results = {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for label in _progress(p.models, enabled=progress, desc="fitting"):
                outcome, kind, wname, model = p.models[label]
                if model.panel_options is not None:
                    res = model.fit(bias_correction=config.models["bias_correction"])
                else:
                    res = model.fit()
                results[label] = res
        notes = [note_text(n) for n in inputs.notes]   # stdout, README, manifest: English
        notes += sorted({f"{w.category.__name__}: {w.message}" for w in caught
                         if issubclass(w.category, UserWarning)})
        tables = dict(inputs.tables)
        tables.update(_model_tables(p, results, progress=progress))
        if inputs.truth is not None:
            tables["parameter_recovery"] = recovery_table(p, results, inputs.truth)
        tables["layer_summary"] = _layer_summary(inputs.layer, config.layer["group"])
        tables["weights_summary"] = _weights_summary(p.weights, p.island_links,
                                                     p.inputs.dropped)
        tables["model_panel"] = inputs.panel
        # The report has no progress bar of its own: say when it starts and how long it took.
        say("building the report (maps, LISA permutations, effect blocks) ...")
        started = time.perf_counter()
        report = _report(p, results, lang=config.report["lang"])
        say(f"report built in {time.perf_counter() - started:.1f} s; writing the files")
        # the run's own notes (units dropped, islands linked, carried and derived columns)
        # went into the report's notes box through build(notes=); list only the report's own
        shown = {note_text(n, config.report["lang"]) for n in inputs.notes}
        notes += [f"report: {n}" for n in getattr(report, "notes", []) if n not in shown]
        _write(tmp, p, tables, report, results, notes)
        manifest = _manifest(p, tmp, notes)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False,
                                                      default=_json_default) + "\n",
                                           encoding="utf-8")
    folder = Path(config.out)
    return RunResult(folder=folder, results=results, tables=tables, report=report,
                     manifest=manifest, plan=p)


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (Path,)):
        return obj.as_posix()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    return str(obj)


# ----------------------------------------------------------------------------- tables
def _model_tables(p: Plan, results: dict, *, progress: bool) -> dict:
    rows, fits, effects = [], [], []
    n_draws = p.config.effects["n_draws"]
    method = p.config.effects["method"]
    for label in _progress(results, enabled=progress, desc="effects"):
        res = results[label]
        outcome, kind, wname, _ = p.models[label]
        head = {"model": label, "outcome": outcome, "kind": kind, "weights": wname}
        for name in res.params.index:
            rows.append({**head, "parameter": name, "estimate": res.params[name],
                         "std_error": res.bse[name], "statistic": res.tvalues[name],
                         "p_value": res.pvalues[name]})
        fits.append({**head, "nobs": res.nobs, "llf": res.llf, "aic": res.aic, "bic": res.bic,
                     "sigma2": res.sigma2, "converged": bool(res.converged)})
        if kind in ("OLS", "SEM"):
            continue  # no spillovers: effects equal the coefficients (in the estimates table)
        eff = res.effects(n_draws=n_draws, seed=p.config.seed, method=method)
        eff = eff.reset_index().rename(columns={"index": "variable"})
        eff.insert(0, "model", label)
        effects.append(eff)
    estimates = pd.DataFrame(rows)
    wide = estimates.assign(cell=[f"{e:.4f} ({s:.4f})" for e, s in zip(estimates["estimate"],
                                                                       estimates["std_error"])])
    order = list(dict.fromkeys(estimates["parameter"]))
    robustness = (wide.pivot_table(index=["outcome", "parameter"], columns=["kind", "weights"],
                                   values="cell", aggfunc="first", sort=False)
                  .reindex(columns=pd.MultiIndex.from_tuples(
                      list(dict.fromkeys(zip(wide["kind"], wide["weights"]))),
                      names=["kind", "weights"])))
    robustness = robustness.reindex(sorted(robustness.index, key=lambda k: (
        list(dict.fromkeys(estimates["outcome"])).index(k[0]), order.index(k[1]))))
    robustness.columns = [f"{k} · {w}" for k, w in robustness.columns]
    robustness = robustness.fillna("")  # a parameter the model does not have
    out = {"estimates": estimates, "robustness": robustness.reset_index(),
           "fit_statistics": pd.DataFrame(fits)}
    if effects:
        out["effects"] = pd.concat(effects, ignore_index=True)
    return out


def recovery_table(p: Plan, results: dict, truth: dict) -> pd.DataFrame:
    """Estimates beside the true parameters of the synthetic process, per fitted outcome.

    Only fits whose model contains the outcome's data-generating process are compared: TFP is
    simulated from a spatial Durbin model (``beta``, ``theta``, ``rho``), the income gap from a
    spatial lag model (``gamma``, ``rho``; its ``W_x`` terms are truly 0), so TFP is compared
    for SDM fits and the income gap for SAR and SDM fits. Rows follow each model's parameter
    order.
    """
    rows = []
    for label, res in results.items():
        outcome, kind, wname, _ = p.models[label]
        if outcome not in truth:
            continue
        t = truth[outcome]
        slopes = t.get("beta", t.get("gamma", {}))
        lags = t.get("theta")
        dgp_durbin = lags is not None
        if kind not in (("SDM",) if dgp_durbin else ("SAR", "SDM")):
            continue
        for name in res.params.index:
            if name in slopes:
                value = slopes[name]
            elif name.startswith("W_") and name[2:] in slopes:
                value = lags.get(name[2:], 0.0) if dgp_durbin else 0.0
            elif name == "rho":
                value = t["rho"]
            else:
                value = np.nan  # e.g. an intercept or a regressor outside the process
            rows.append({"model": label, "outcome": outcome, "kind": kind, "weights": wname,
                         "parameter": name, "true": value, "estimate": res.params[name],
                         "std_error": res.bse[name]})
    table = pd.DataFrame(rows, columns=["model", "outcome", "kind", "weights", "parameter",
                                        "true", "estimate", "std_error"])
    table["statistic"] = (table["estimate"] - table["true"]) / table["std_error"]
    return table


def _layer_summary(layer, group) -> pd.DataFrame:
    if group not in layer.columns:
        return pd.DataFrame({"units": [len(layer)]})
    table = layer.groupby(group).size().rename("units").to_frame()
    if "unit_type" in layer.columns:
        table = table.join(layer.groupby([group, "unit_type"]).size().unstack(fill_value=0))
    if "city_code" in layer.columns:
        table["cities"] = layer.groupby(group)["city_code"].nunique()
    return table.reset_index()


def _weights_summary(weights: dict, links: dict | None = None,
                     dropped: list | None = None) -> pd.DataFrame:
    """describe() of each W; ``islands`` lists the units that had no neighbours among the
    units kept (linked by the island policy: ``island_links`` says to whom), and
    ``units_dropped`` the layer units the run left out before building W."""
    from dataclasses import asdict

    from ..weights import describe
    links = links or {}
    rows = []
    for name, w in weights.items():
        d = asdict(describe(w))
        pairs = links.get(name, [])
        if pairs and not d["islands"]:
            d["islands"] = list(dict.fromkeys(a for a, _ in pairs))
        d["island_links"] = [f"{a}->{b}" for a, b in pairs]
        d["units_dropped"] = list(dropped or [])
        rows.append({"weights": name, **{k: (json.dumps(v, default=str, ensure_ascii=False)
                                             if isinstance(v, (list, dict, tuple)) else v)
                                         for k, v in d.items()}})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- report
def _indicators(config: PipelineConfig, inputs: Inputs) -> list:
    """The report's indicators: the outcomes and the built flow columns. Known columns take
    :data:`spatialflow.report.DEFAULT_INDICATORS`; any other outcome must be declared in
    ``[report.indicators]`` (whether higher is better is never guessed)."""
    from ..report import DEFAULT_INDICATORS, Indicator

    known = {ind.column: ind for ind in DEFAULT_INDICATORS}
    known.setdefault("net_flow", Indicator(
        "net_flow", higher_is_better=True, scale="index", label="Net urban-to-rural flow index",
        label_zh="城乡要素净流入指数", unit="index", unit_zh="指数"))
    from dataclasses import fields
    accepted = {f.name for f in fields(Indicator)}
    for column, spec in (config.report["indicators"] or {}).items():
        spec = dict(spec)
        derived = config.derive.get(column)
        for key in ("label", "label_zh", "unit", "unit_zh"):
            # a [derive] table's label and unit serve the report unless it says otherwise
            if derived is not None and getattr(derived, key) and key not in spec:
                spec[key] = getattr(derived, key)
        # `scale` (issue 19) is passed on only where Indicator takes it
        known[column] = Indicator(column, **{k: v for k, v in spec.items() if k in accepted})
    declared = config.report["indicators"] or {}
    absent = [c for c in declared if c not in inputs.panel.columns]
    if absent:
        raise ConfigError(f"report.indicators names column(s) {absent} that the model panel "
                          f"does not have (columns: {format_ids(inputs.panel.columns)}).")
    wanted = list(config.models["outcomes"]) + [c for c in inputs.built
                                                if c.endswith("_flow")] + list(declared)
    undeclared = [c for c in config.models["outcomes"] if c not in known]
    if undeclared:
        raise ConfigError(
            f"outcome(s) {undeclared} need a report indicator: add [report.indicators."
            f"{undeclared[0]}] higher_is_better = true or false (is a higher value better? "
            "it fixes the sign of every deficit; it is never guessed) and scale = \"level\", "
            "\"log\", \"index\" or \"share\" (it decides which percentages and "
            "inequality measures mean anything), and optionally label, label_zh, unit.")
    return [known[c] for c in dict.fromkeys(wanted) if c in inputs.panel.columns]


def _report(p: Plan, results: dict, *, lang: str):
    from ..report import build

    cfg = p.config
    first_w = next(iter(p.weights.values()))
    indicators = p.indicators
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one_period = p.inputs.panel[p.inputs.time].nunique() == 1
        return build(p.inputs.panel, p.inputs.layer, first_w, indicators=indicators,
                     models=results, id=p.inputs.id,
                     time=None if one_period else p.inputs.time,
                     group=cfg.layer["group"], core=cfg.layer["core"], lang=lang,
                     synthetic=p.inputs.synthetic, source=_title(cfg.data["source"], lang),
                     title=_title(cfg.report["title"], lang), n_draws=cfg.effects["n_draws"],
                     seed=cfg.seed, notes=list(p.inputs.notes),
                     sections=tuple(cfg.report["sections"]),
                     labels=_labels(cfg))


def _labels(cfg) -> dict:
    """The [derive] tables' labels, for variables the report shows but does not report on
    as indicators (e.g. a regressor): ``{column: {"en": label, "zh": label_zh}}``."""
    out = {}
    for column, spec in cfg.derive.items():
        words = {lang: getattr(spec, key) for lang, key in (("en", "label"), ("zh", "label_zh"))
                 if getattr(spec, key, None)}
        if words:
            out[column] = words
    return out


def _title(title, lang):
    """The report title in ``lang``: a string as given, a table {en, zh} by language (the
    other language when that one is missing)."""
    if isinstance(title, dict):
        return title.get(lang) or next(iter(title.values()))
    return title


# ----------------------------------------------------------------------------- writing
_DESCRIPTIONS = {
    "report.html": "the report (core-periphery deficits, models, effects, robustness)",
    "report_md/": "the report as Markdown (tables as .md and .csv, figures as .png)",
    "report_tex/": "the report as LaTeX (booktabs tables, figures as .png)",
    "estimates.csv": "every parameter of every model (outcome x kind x weights)",
    "robustness.csv": "the same side by side: estimate (standard error)",
    "fit_statistics.csv": "log-likelihood, AIC, BIC, sigma2, convergence per model",
    "effects.csv": "LeSage-Pace direct / indirect / total effects with inference",
    "parameter_recovery.csv": "estimates beside the true parameters of the synthetic process",
    "model_panel.csv": "the model inputs (after the measures)",
    "model_summaries.txt": "every model's summary",
    "data_coverage.csv": "units and missing cells per period, as read",
    "missing_cells.csv": "what the missing-cell policy did, cell by cell",
    "measures_indicator_weights.csv": "entropy weights of the flow indicators",
    "measures_factor_weights.csv": "entropy weights of the factor scores",
    "measures_tfp.csv": "how TFP was measured (method, alpha, depreciation)",
    "layer_summary.csv": "units of the layer by group",
    "weights_summary.csv": "each spatial weights matrix (describe())",
    "manifest.json": "versions, config, seed, hashes of every input and output (written "
                     "last: a folder with a manifest is complete)",
}


def _readme(names: list, notice: str | None, notes: list) -> str:
    lines = ["spatialflow pipeline output", ""]
    if notice:
        lines += [notice, "Every file whose name starts with \"synthetic_\" is computed from "
                  "it; the county polygons, ids, names and groups are real.", ""]
    width = max(len(n) for n in names) + 2
    for name in names:
        key = name[len("synthetic_"):] if name.startswith("synthetic_") else name
        lines.append(f"{name.ljust(width)}{_DESCRIPTIONS.get(key, '')}".rstrip())
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def _write(tmp: Path, p: Plan, tables: dict, report, results, notes) -> None:
    synthetic = p.inputs.synthetic
    prefix = "synthetic_" if synthetic else ""
    plain = {"layer_summary", "weights_summary"}
    for name, table in tables.items():
        if table is None:
            continue
        fname = f"{name}.csv" if name in plain else f"{prefix}{name}.csv"
        frame = table
        if name == "model_panel":
            frame = pd.DataFrame(table)  # attrs (truth) are in the manifest
        frame.to_csv(tmp / fname, index=False, float_format="%.10g")
    formats = p.config.report["formats"]
    if "html" in formats:
        report.to_html(tmp / "report.html")
    if "markdown" in formats:
        report.to_markdown(tmp / "report_md")
    if "latex" in formats:
        report.to_latex(tmp / "report_tex")
    summaries = []
    for label, res in results.items():
        summaries.append(f"== {label} ==\n{res.summary(include_effects=False).as_text()}\n")
    head = f"{p.inputs.notice}\n\n" if p.inputs.notice else ""
    (tmp / f"{prefix}model_summaries.txt").write_text(head + "\n".join(summaries),
                                                      encoding="utf-8")
    names = sorted(f.name + ("/" if f.is_dir() else "") for f in tmp.iterdir())
    names = [n for n in names if n.startswith("report")] + \
        [n for n in names if not n.startswith("report")] + ["manifest.json"]
    text = _readme(names, p.inputs.notice if synthetic else None, notes)
    (tmp / "README.txt").write_text(text, encoding="utf-8")


def _manifest(p: Plan, tmp: Path, notes) -> dict:
    cfg = p.config
    inputs = {}
    for label, path in p.files.items():
        path = Path(path)
        inputs[label] = {"path": path.as_posix() if not label.startswith("embedded:")
                         else f"spatialflow/datasets/_data/{path.name}",
                         "sha256": sha256_file(path)}
    from .. import DISTRIBUTION, __version__

    settings = cfg.as_dict()
    if p.inputs.panel[p.inputs.time].nunique() == 1:
        # cross-section models: the panel settings did not apply, so they are not recorded
        settings["models"] = {k: v for k, v in settings["models"].items()
                              if k not in ("effects", "bias_correction")}
    return {
        "generator": GENERATOR,
        "spatialflow_version": __version__,
        "distribution": DISTRIBUTION,
        "spatialflow_pipeline": 3,
        "data_notice": p.inputs.notice,
        "synthetic": p.inputs.synthetic,
        "seed": cfg.seed,
        "config": settings,
        "config_file": None if cfg.path is None else Path(cfg.path).as_posix(),
        "models": list(p.models),
        "true_parameters": p.inputs.truth,
        "notes": notes,
        "units_dropped": list(p.inputs.dropped),
        "island_links": {k: [list(pair) for pair in v] for k, v in p.island_links.items()},
        "versions": _versions(),
        "inputs": inputs,
        "outputs": hash_tree(tmp),
    }
