"""From the config to checked model inputs: the layer, the panel, the measures, the weights.

Nothing here writes a file: every check runs before the output folder is created.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import ConfigError, InputError, UnreadableFileError, format_ids
from ._notes import note
from .config import PipelineConfig

__all__ = ["Inputs", "prepare_inputs", "build_weights"]

SYNTHETIC_NOTICE = ("SYNTHETIC panel simulated on real county units; not statistics of "
                    "Guangdong.")


@dataclass
class Inputs:
    """What a run works on (see :func:`prepare_inputs`)."""

    layer: object                 # GeoDataFrame indexed by id (str), with the group column
    panel: pd.DataFrame           # long model panel: id, time, outcomes, regressors, group
    id: str
    time: str
    synthetic: bool
    notice: str | None
    truth: dict | None            # true parameters (embedded synthetic example only)
    files: dict                   # label -> Path of every input file (hashed in the manifest)
    tables: dict = field(default_factory=dict)   # name -> DataFrame written to the output
    notes: list = field(default_factory=list)
    built: list = field(default_factory=list)    # columns built by measures
    dropped: list = field(default_factory=list)  # layer units the run left out


# ----------------------------------------------------------------------------- layer
_LAYER_FILES = ("guangdong_counties.parquet", "regions.csv")
_CENSUS_LAYER_FILES = _LAYER_FILES + ("guangdong_census_crosswalk.csv",)


def _embedded_files(names=_LAYER_FILES) -> dict:
    """The embedded files a layer is read from (hashed in the manifest)."""
    folder = Path(__file__).resolve().parent.parent / "datasets" / "_data"
    return {f"embedded:{name}": folder / name for name in names}


def load_layer(config: PipelineConfig):
    """The layer of the config, indexed by string ids, and the files it was read from."""
    spec = config.layer
    source = spec["source"]
    if source == "guangdong":
        from ..datasets import load_guangdong_counties
        if spec["id"] is not None or spec["province"] is not None:
            raise ConfigError("layer.id and layer.province apply to other layers; the embedded "
                              "Guangdong layer is indexed by its 6-digit codes.")
        layer = load_guangdong_counties(regions=spec["regions"])
        return layer, _embedded_files()
    if source == "guangdong-census":
        from ..datasets import load_guangdong_census_units
        if spec["id"] is not None or spec["province"] is not None:
            raise ConfigError("layer.id and layer.province apply to other layers; the census "
                              "units layer is indexed by its comparable-unit codes.")
        layer = load_guangdong_census_units(regions=spec["regions"])
        return layer, _embedded_files(_CENSUS_LAYER_FILES)
    if source == "china":
        from ..datasets import load_china_counties
        layer = load_china_counties(spec["province"])
        return layer, {}
    import geopandas as gpd

    path = config.resolve(source)
    if not path.exists():
        raise ConfigError(f"config key 'layer.source' expects \"guangdong\", \"china\" or a "
                          f"polygons file; {source!r} is neither (no file {str(path)!r}).")
    try:
        layer = (gpd.read_parquet(path) if path.suffix.lower() in (".parquet", ".geoparquet")
                 else gpd.read_file(path))
    except Exception as err:  # noqa: BLE001 - any reader failure becomes one clear message
        raise UnreadableFileError(f"layer file {str(path)!r} could not be read as polygons "
                                  f"({type(err).__name__}: {err}).") from err
    if spec["id"] is None:
        raise ConfigError(f"a polygons file needs layer.id, its id column; columns: "
                          f"{format_ids(layer.columns)}.")
    if spec["id"] not in layer.columns:
        raise ConfigError(f"layer.id {spec['id']!r} is not a column of {str(path)!r}; "
                          f"columns: {format_ids(layer.columns)}.")
    from ..datasets.reader import _as_code
    ids = layer[spec["id"]].map(_as_code)
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise InputError(f"layer ids must be unique; {format_ids(dup)} occur more than once in "
                         f"{str(path)!r}.")
    layer = layer.drop(columns=spec["id"]).set_index(pd.Index(ids, name="code"))
    files = {"layer": path}
    if path.suffix.lower() == ".shp":
        files.update({f"layer{p.suffix}": p for p in sorted(path.parent.glob(path.stem + ".*"))
                      if p != path})
    return layer, files


# ----------------------------------------------------------------------------- measures
def _needed_columns(config: PipelineConfig) -> tuple[list, list, list]:
    """(numeric columns to read, columns that must be >= 0, columns that must be > 0)."""
    m = config.measures
    numeric, nonneg, pos = [], [], []
    if m["flows"] is not None:
        for spec in m["flows"]["factors"].values():
            for cols in spec.values():
                numeric += cols
                nonneg += cols
    if m["tfp"] is not None:
        t = m["tfp"]
        if t["method"] == "column":
            numeric.append(t["column"])
            if t["log"]:
                pos.append(t["column"])
        else:
            cols = [c for c in (t["output"], t["capital"], t["investment"], t["labour"],
                                t["deflator"]) if c]
            numeric += cols
            pos += cols
    if m["income_gap"] is not None:
        g = m["income_gap"]
        if g["method"] == "column":
            numeric.append(g["column"])
        else:
            cols = [c for c in (g["urban_income"], g["rural_income"], g["urban_population"],
                                g["rural_population"]) if c]
            numeric += cols
            pos += cols
    return list(dict.fromkeys(numeric)), list(dict.fromkeys(nonneg)), list(dict.fromkeys(pos))


def _model_columns(config: PipelineConfig, built: list) -> tuple[list, list]:
    """(outcomes, regressors) the models use."""
    models = config.models
    regressors = models["regressors"]
    if regressors is None:
        regressors = [c for c in built if c.endswith("_flow") and c != "net_flow"]
    return list(models["outcomes"]), list(regressors)


def build_measures(frame: pd.DataFrame, config: PipelineConfig, *, id: str, time: str):
    """Add the configured measures to ``frame``; return (frame, built columns, tables)."""
    from .. import measures as ms

    m = config.measures
    frame = frame.copy()
    built, tables, notes = [], {}, []
    if m["flows"] is not None:
        factors = m["flows"]["factors"]
        if not factors:
            raise ConfigError("[measures.flows] lists no factor; give at least one, e.g. "
                              "[measures.flows.labour] urban_to_rural = [...].")
        index = ms.factor_flow_index(frame, factors, id=id, time=time, per=m["flows"]["per"])
        scores = index.factor_scores
        for factor in factors:
            dirs = factors[factor]
            u = scores[("urban_to_rural", factor)] if "urban_to_rural" in dirs else 0.0
            r = scores[("rural_to_urban", factor)] if "rural_to_urban" in dirs else 0.0
            frame[f"{factor}_flow"] = np.asarray(u, float) - np.asarray(r, float)
            built.append(f"{factor}_flow")
        if "net" in index.composite:
            frame["net_flow"] = index.composite["net"].to_numpy()
            built.append("net_flow")
        weights = index.indicator_weights.rename("weight").reset_index()
        tables["measures_indicator_weights"] = weights
        tables["measures_factor_weights"] = index.factor_weights.rename("weight").reset_index()
    if m["tfp"] is not None:
        t = m["tfp"]
        if t["method"] == "column":
            values = frame[t["column"]].astype(float)
            frame["tfp"] = np.log(values) if t["log"] else values
            info = {"method": "column", "column": t["column"], "log": t["log"]}
        else:
            capital = t["capital"]
            if t["investment"]:
                frame["capital_stock_pim"] = ms.capital_stock(
                    frame, investment=t["investment"], id=id, time=time,
                    deflator=t["deflator"], delta=t["delta"]).to_numpy()
                capital = "capital_stock_pim"
                built.append(capital)
            if t["method"] == "solow":
                res = ms.solow_tfp(frame, output=t["output"], capital=capital,
                                   labour=t["labour"], alpha=t["alpha"])
                frame["tfp"] = (res.ln_tfp if t["log"] else res.tfp).to_numpy()
                info = {"method": "solow", "alpha": res.alpha,
                        "alpha_std_error": res.alpha_std_error,
                        "alpha_estimated": res.estimated, "log": t["log"],
                        "capital": capital, "delta": t["delta"] if t["investment"] else None}
            else:
                mq = ms.malmquist(frame, inputs=[capital, t["labour"]], outputs=[t["output"]],
                                  id=id, time=time)
                frame["tfp"] = _cumulative_malmquist(frame, mq, id=id, time=time,
                                                     log=t["log"])
                info = {"method": "malmquist (cumulative, first period = 1)", "log": t["log"],
                        "capital": capital}
        built.append("tfp")
        tables["measures_tfp"] = pd.DataFrame([info])
    if m["income_gap"] is not None:
        g = m["income_gap"]
        if g["method"] == "column":
            frame["income_gap"] = frame[g["column"]].astype(float)
        else:
            gap = ms.income_gap(frame, urban_income=g["urban_income"],
                                rural_income=g["rural_income"],
                                urban_population=g["urban_population"],
                                rural_population=g["rural_population"])
            frame["income_gap"] = gap["ratio" if g["method"] == "ratio" else "theil"].to_numpy()
        built.append("income_gap")
    return frame, built, tables, notes


def _cumulative_malmquist(frame, mq, *, id, time, log):
    """Chain the adjacent-period Malmquist indices into a level: M_t0 = 1, M_t = M_{t-1}·m_t."""
    # malmquist() returns one row per unit and pair of periods: (id, period_from, period, tfpch)
    unit_col = id if id in mq.columns else mq.columns[0]
    step = mq.set_index([unit_col, "period"])["tfpch"]
    out = []
    for unit, part in frame.groupby(id, sort=False):
        periods = sorted(part[time])
        level, values = 1.0, {}
        for i, t in enumerate(periods):
            if i:
                level *= float(step.get((unit, t), np.nan))
            values[t] = level
        out.append(pd.Series([values[t] for t in part[time]], index=part.index))
    series = pd.concat(out).reindex(frame.index)
    return np.log(series.to_numpy()) if log else series.to_numpy()


# ----------------------------------------------------------------------------- inputs
def prepare_inputs(config: PipelineConfig) -> Inputs:
    """Read and check everything the run needs, in order: layer, data, measures, columns."""
    layer, files = load_layer(config)
    group = config.layer["group"]
    if config.synthetic_example:
        return _synthetic_inputs(config, layer, files)

    from ..datasets.reader import handle_missing, read_county_panel

    from .derive import carry_columns, evaluate_derive, formula_names

    d = config.data
    path = config.resolve(d["path"])
    numeric, nonneg, pos = _needed_columns(config)
    outcomes, regressors = _model_columns(config, [])
    # Columns the models take straight from the data (not built by a measure or [derive]).
    derived = set(config.derive)
    built_names = _built_names(config) | derived
    formulas = config.models["formulas"] or {}
    direct = [c for c in outcomes + (config.models["regressors"] or [])
              + [n for f in formulas.values() for n in formula_names(f)]
              + [n for spec in config.derive.values() for n in spec.names]
              + list(d["carry"] or {})
              if c not in built_names]
    numeric = [c for c in dict.fromkeys(numeric + direct) if c not in derived]
    nonneg = [c for c in nonneg if c not in derived]
    pos = [c for c in pos if c not in derived]
    crosswalk = d["crosswalk"]
    if isinstance(crosswalk, str):
        crosswalk = config.resolve(crosswalk)
        files["crosswalk"] = crosswalk
    panel = read_county_panel(
        path, id=d["id"], time=d["time"], columns=d["columns"], layer=layer, numeric=numeric,
        nonnegative=nonneg, positive=pos, years=None if d["carry"] else d["years"],
        crosswalk=crosswalk,
        aggregate=d["aggregate"], units=config.layer["units"], name=d["name"],
        text=[] if group in layer.columns else [group],
        sheet=d["sheet"], encoding=d["encoding"])
    files = {"data": path, **files}
    notes = list(panel.notes)
    if d["carry"]:
        panel, carry_notes = _carry(panel, d["carry"], d["years"], carry_columns)
        notes += carry_notes
    ids = panel.ids
    # The grid is the periods observed (never range(first, last): a typo such as 20199 would
    # make it 18,000 periods long); a period absent for every unit is said in the notes.
    periods = _periods(panel.periods, notes)
    steps = sorted(set(np.diff(periods).tolist()))
    if len(steps) > 1:
        shown = format_ids(periods, limit=40)
        notes.append(note(f"the periods are not evenly spaced ({shown}); "
                          "the models take them in this order as consecutive.",
                          f"时期间隔不均匀（{shown}）；模型按此顺序把它们当作相邻时期。"))
    frame, report = handle_missing(panel, numeric, policy=d["missing"], ids=ids,
                                   periods=periods)
    if len(report):
        acted = report["action"].value_counts().to_dict()
        notes.append(note(f"missing cells ({d['missing']}): {acted}; see missing_cells.csv.",
                          f"缺失单元格（{d['missing']}）：{acted}；见 missing_cells.csv。"))
    kept = pd.Index(frame[panel.id].unique())
    from .subsets import dropped_units
    notes += dropped_units(layer, kept, report, policy=d["missing"])
    dropped = [c for c in layer.index if c not in set(kept)]
    if len(kept) < len(layer):
        layer = layer.loc[layer.index.isin(kept)]
    if config.derive:
        frame = evaluate_derive(frame, config.derive, id=panel.id, time=panel.time)
        derived = [f"{k} = {s.expr}" for k, s in config.derive.items()]
        notes.append(note("derived: " + "; ".join(derived) + ".",
                          "派生变量：" + "；".join(derived) + "。"))
    frame, built, tables, mnotes = build_measures(frame, config, id=panel.id, time=panel.time)
    notes += mnotes
    outcomes, regressors = _model_columns(config, built)
    used = list(dict.fromkeys(outcomes + regressors))
    absent = [c for c in used if c not in frame.columns]
    if absent:
        raise ConfigError(f"the models use column(s) {absent} that are neither in the data nor "
                          f"built by [measures] (built: {built}; data columns: "
                          f"{format_ids(panel.data.columns, limit=40)}).")
    if group not in frame.columns and group not in layer.columns:
        raise ConfigError(f"layer.group {group!r} is neither a column of the layer "
                          f"({format_ids(layer.columns)}) nor of the data.")
    if group in layer.columns and group not in frame.columns:
        frame[group] = layer[group].reindex(frame[panel.id]).to_numpy()
    core = config.layer["core"]
    if core not in set(frame[group].astype(str)):
        raise ConfigError(f"layer.core {core!r} is not a label of the group column {group!r} "
                          f"(labels: {sorted(frame[group].astype(str).unique())}).")
    tables["data_coverage"] = panel.coverage.reset_index()
    tables["missing_cells"] = report
    synthetic = bool(d["synthetic"])
    notice = ("SYNTHETIC data (labelled synthetic in the config): not statistics of any "
              "region." if synthetic else None)
    frame.attrs["synthetic"] = synthetic
    if notice:
        frame.attrs["description"] = notice
    return Inputs(layer=layer, panel=frame, id=panel.id, time=panel.time, synthetic=synthetic,
                  notice=notice, truth=None, files=files, tables=tables, notes=notes,
                  built=built, dropped=dropped)


def _carry(panel, carry, years, carry_columns):
    """Carry reference-year columns onto every row, then keep ``years`` (the reader read
    every period so that the reference year is there)."""
    from dataclasses import replace

    data, notes = carry_columns(panel.data, carry, id=panel.id, time=panel.time)
    if years is not None:
        keep = data[panel.time].between(years[0], years[1])
        left = sorted(set(data.loc[~keep, panel.time]))
        if left:
            notes.append(note(f"periods {left} left out (data.years = {list(years)}) after "
                              "data.carry read them.",
                              f"data.carry 读取了时期 {left} 之后，又将其排除"
                              f"（data.years = {list(years)}）。"))
        data = data.loc[keep].reset_index(drop=True)
        if data.empty:
            raise InputError(f"data.years = {list(years)} keeps no row; the data have periods "
                             f"{sorted(set(panel.data[panel.time]))}.")
    return replace(panel, data=data), notes


def _periods(present: list, notes: list) -> list:
    """The periods of the balanced grid: the periods the data have. Years absent from every
    unit (a census every ten years) are not missing cells; they are said in the notes."""
    present = sorted(int(p) for p in present)
    gaps = sorted(set(range(present[0], present[-1] + 1)) - set(present))
    if gaps:
        notes.append(note(f"periods {present}: the data have no row for {_span(gaps)}; the "
                          "panel has the observed periods only.",
                          f"时期 {present}：数据中没有 {_span(gaps)} 的行；面板只包含观测到的时期。"))
    return present


def _span(years: list) -> str:
    return (f"{years[0]}-{years[-1]}" if len(years) > 2 and years[-1] - years[0] == len(years) - 1
            else ", ".join(map(str, years)))


def _built_names(config: PipelineConfig) -> set:
    m = config.measures
    names = set()
    if m["flows"] is not None:
        names |= {f"{f}_flow" for f in m["flows"]["factors"]} | {"net_flow"}
    if m["tfp"] is not None:
        names.add("tfp")
    if m["income_gap"] is not None:
        names.add("income_gap")
    return names


def _synthetic_inputs(config: PipelineConfig, layer, files) -> Inputs:
    from ..datasets.synthetic import synthetic_panel
    from ..weights import build

    years = config.data["years"] or (2014, 2023)
    w = build(layer, kind="queen", islands="knn")
    panel = synthetic_panel(layer, w, years=range(years[0], years[1] + 1), seed=config.seed)
    outcomes, regressors = _model_columns(config, list(panel.columns))
    absent = [c for c in outcomes + regressors if c not in panel.columns]
    if absent:
        raise ConfigError(f"the embedded synthetic panel has no column(s) {absent}; its "
                          f"columns are {format_ids(panel.columns)}.")
    notice = panel.attrs.get("description", SYNTHETIC_NOTICE)
    return Inputs(layer=layer, panel=panel, id="code", time="year", synthetic=True,
                  notice=notice, truth=panel.attrs["truth"], files=files,
                  built=[c for c in panel.columns if c.endswith("_flow")] + ["tfp",
                                                                             "income_gap"])


# ----------------------------------------------------------------------------- weights
def build_weights(config: PipelineConfig, layer) -> tuple[dict, dict]:
    """Every [[weights]] specification over the layer's units: (name -> Graph, files)."""
    from ..weights import build

    out, files = {}, {}
    for spec in config.weights:
        kind = spec["kind"]
        transform = None if spec["transform"] == "none" else spec["transform"]
        if kind == "file":
            path = config.resolve(spec["path"])
            files[f"weights:{spec['name']}"] = path
            out[spec["name"]] = _read_weights_file(path, layer.index, transform)
            continue
        options = {"transform": transform}
        if kind in ("queen", "rook", "knn", "distance_band", "inverse_distance"):
            options.update(islands=spec["islands"], k_islands=spec["k_islands"])
        if kind == "knn":
            options["k"] = spec["k"]
        for key in ("threshold_km", "power", "binary"):
            if spec[key] is not None:
                options[key] = spec[key]
        if kind in ("knn", "distance_band", "inverse_distance"):
            options["project"] = True
        if kind == "knn":
            options.pop("islands"), options.pop("k_islands")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            out[spec["name"]] = build(layer, kind=kind, **options)
    return out, files


def _read_weights_file(path: Path, ids: pd.Index, transform):
    from libpysal.graph import Graph

    if not path.is_file():
        raise ConfigError(f"weights file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".gal":
        import libpysal
        try:
            w = libpysal.io.open(str(path)).read()
        except (ValueError, IndexError, UnicodeDecodeError) as err:  # libpysal's parse errors
            raise UnreadableFileError(f"weights file {str(path)!r} is not a readable GAL file "
                                      f"({type(err).__name__}: {err}); a GAL file starts with "
                                      "a header line (0 n), then per unit a line 'id "
                                      "n_neighbours' and a line of neighbour ids.") from err
        graph = Graph.from_W(w)
    elif suffix == ".csv":
        from ..datasets.reader import read_csv_file
        edges = read_csv_file(path, what="edge-list file", dtype={"focal": str, "neighbor": str})
        need = {"focal", "neighbor"}
        if not need <= set(edges.columns):
            raise InputError(f"edge-list file {str(path)!r} needs columns focal, neighbor "
                             f"(and optionally weight); it has {list(edges.columns)}.")
        if "weight" not in edges.columns:
            edges["weight"] = 1.0
        from ..datasets.reader import _as_code
        edges["focal"] = edges["focal"].map(_as_code)
        edges["neighbor"] = edges["neighbor"].map(_as_code)
        graph = Graph.from_adjacency(edges, focal_col="focal", neighbor_col="neighbor",
                                     weight_col="weight")
    else:
        raise ConfigError(f"weights file {str(path)!r}: expected a .gal file or an edge-list "
                          ".csv; {suffix!r} was given.")
    gids = pd.Index([str(i) for i in graph.unique_ids])
    if not set(ids) <= set(gids):
        missing = sorted(set(ids) - set(gids))
        raise InputError(f"weights file {str(path)!r} lacks unit(s) of the layer: "
                         f"{format_ids(missing)}.")
    graph = Graph.from_adjacency(
        graph.adjacency.reset_index().assign(
            focal=lambda f: f["focal"].astype(str), neighbor=lambda f: f["neighbor"].astype(str)),
        focal_col="focal", neighbor_col="neighbor", weight_col="weight")
    graph = graph.subgraph(list(ids)) if len(gids) > len(ids) else graph
    if transform is not None:
        graph = graph.transform(transform.upper())
    return graph
