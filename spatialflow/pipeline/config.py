"""The run's configuration: a TOML file, every key documented and checked before anything runs.

:data:`SCHEMA` is the one place where keys, types, defaults and meanings are written;
:func:`config_reference` renders it (``spatialflow keys`` prints it, and ``data/README.md``
carries the same table). Unknown keys are refused with the closest valid key; a wrong type or
value is refused with one message naming the key, what was expected and what was given.

The flat keys of the first pipeline (``out``, ``seed``, ``weights``, ``years``, ``formula``,
``n_draws``, ``effects``, ``bias_correction``) still work: each is moved to its section with a
:class:`~spatialflow.exceptions.ConfigKeyWarning` saying where it now lives.
"""
from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..exceptions import ConfigError, ConfigKeyWarning

__all__ = ["PipelineConfig", "load_config", "make_config", "config_reference", "SCHEMA",
           "MODEL_KINDS", "WEIGHTS_KINDS"]

MODEL_KINDS = ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM")
WEIGHTS_KINDS = ("queen", "rook", "knn", "distance_band", "inverse_distance", "file")
FACTORS = ("labour", "land", "capital", "technology", "data", "ecology")


# ----------------------------------------------------------------------------- checkers
class _Bad(Exception):
    """A value failed its check; carries the expectation (the caller adds key and value)."""


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(lo=None, hi=None):
    def check(v):
        if not _is_int(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = (f" >= {lo}" if hi is None else f" in [{lo}, {hi}]") if lo is not None else ""
            raise _Bad(f"an integer{rng}")
        return v
    return check


def _float(lo=None, hi=None, *, open_=False):
    def check(v):
        ok = (isinstance(v, (int, float)) and not isinstance(v, bool))
        if ok and lo is not None:
            ok = v > lo if open_ else v >= lo
        if ok and hi is not None:
            ok = v < hi if open_ else v <= hi
        if not ok:
            br = ("(", ")") if open_ else ("[", "]")
            rng = f" in {br[0]}{lo}, {hi}{br[1]}" if lo is not None and hi is not None else (
                f" > {lo}" if lo is not None and open_ else (f" >= {lo}" if lo is not None else ""))
            raise _Bad(f"a number{rng}")
        return float(v)
    return check


def _str(v):
    if not isinstance(v, str) or not v.strip():
        raise _Bad("a non-empty string")
    return v


def _bool(v):
    if not isinstance(v, bool):
        raise _Bad("true or false")
    return v


def _choice(*options, lower=True):
    def check(v):
        w = v.lower() if (lower and isinstance(v, str)) else v
        if w not in options:
            raise _Bad(f"one of {list(options)}")
        return w
    return check


def _list_of(item: Callable, what: str, *, min_len=1):
    def check(v):
        if not isinstance(v, list) or len(v) < min_len:
            raise _Bad(f"a list of {what}" + (f" (at least {min_len})" if min_len > 1 else ""))
        try:
            return [item(x) for x in v]
        except _Bad:
            raise _Bad(f"a list of {what}") from None
    return check


def _years(v):
    if (not isinstance(v, list) or len(v) != 2 or not all(_is_int(y) for y in v)
            or v[0] > v[1]):
        raise _Bad("[first, last]: two integers with first <= last")
    return tuple(v)


def _table_str(v):
    if not isinstance(v, dict) or not all(isinstance(k, str) and isinstance(x, str) and x
                                          for k, x in v.items()):
        raise _Bad("a table of strings, e.g. {\"年份\" = \"year\"}")
    return dict(v)


def _str_or_table(v):
    if isinstance(v, str) and v:
        return v
    return _table_str(v)


def _str_or_int(v):
    if _is_int(v) or (isinstance(v, str) and v):
        return v
    raise _Bad("a sheet name or a 0-based sheet number")


_INDICATOR_KEYS = ("higher_is_better", "scale", "label", "label_zh", "unit", "unit_zh")
_SCALES = ("level", "log", "index", "share")
#: How an indicator's values read (issue 19): levels, logs, an index or a share.
INDICATOR_SCALES = _SCALES


def _indicators(v):
    if not isinstance(v, dict):
        raise _Bad("a table column -> {higher_is_better = true|false, scale = \"level\"|"
                   "\"log\"|\"index\"|\"share\", label = \"...\", label_zh = \"...\", "
                   "unit = \"...\"}")
    out = {}
    for column, spec in v.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("higher_is_better"), bool):
            raise _Bad(f"for {column!r} a table with higher_is_better = true or false (declared, "
                       "never guessed), scale and optional label, label_zh, unit, unit_zh")
        if spec.get("scale") not in _SCALES:
            raise _Bad(f"for {column!r} scale = one of {list(_SCALES)} (declared, never "
                       "guessed: level = amounts >= 0 with a true zero, log = natural logs of "
                       "a level, index = an arbitrary zero, share = a proportion); "
                       f"{spec.get('scale')!r} was given")
        stray = [k for k in spec if k not in _INDICATOR_KEYS]
        bad = [k for k in spec if k != "higher_is_better" and not isinstance(spec[k], str)]
        if stray or bad:
            raise _Bad(f"for {column!r} only the keys {list(_INDICATOR_KEYS)} (text except "
                       f"higher_is_better); unknown {stray}, not text {bad}")
        out[column] = dict(spec)
    return out


def _carry(v):
    if not isinstance(v, dict) or not v or not all(
            isinstance(k, str) and k and _is_int(y) for k, y in v.items()):
        raise _Bad("a table column -> year, e.g. {avg_schooling_years = 2020}")
    return dict(v)


def _title(v):
    if isinstance(v, str) and v.strip():
        return v
    if (isinstance(v, dict) and v and set(v) <= {"en", "zh"}
            and all(isinstance(x, str) and x.strip() for x in v.values())):
        return dict(v)
    raise _Bad("a string or a table {en = \"...\", zh = \"...\"}")


def _optional_bias(v):
    w = v.lower() if isinstance(v, str) else v
    if w not in ("lee-yu", "none"):
        raise _Bad("'lee-yu' or 'none'")
    return None if w == "none" else w


def _kinds(v):
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not v:
        raise _Bad(f"a list of model kinds among {list(MODEL_KINDS)}")
    out = []
    for x in v:
        if not isinstance(x, str) or x.upper() not in MODEL_KINDS:
            raise _Bad(f"a list of model kinds among {list(MODEL_KINDS)}")
        if x.upper() not in out:
            out.append(x.upper())
    return out


@dataclass(frozen=True)
class Key:
    """One config key: its check, default (``None`` = not set) and meaning."""

    check: Callable
    default: Any
    doc: str
    type: str


def _k(check, default, type_, doc):
    return Key(check, default, doc, type_)


#: Every section and key. ``weights`` is a list of tables (``[[weights]]``), ``measures``
#: has sub-tables (``[measures.flows]``, ``[measures.tfp]``, ``[measures.income_gap]``).
SCHEMA: dict[str, dict[str, Key]] = {
    "": {
        "seed": _k(_int(0), 0, "int", "Seed of every random step (synthetic panel, effects "
                                       "draws, report simulations)."),
    },
    "data": {
        "path": _k(_str, None, "str", "The panel file: CSV (UTF-8 or GBK), Excel (.xlsx) or "
                   "Parquet, relative to the config file. Absent: the embedded SYNTHETIC "
                   "example panel."),
        "id": _k(_str, "code", "str", "Unit id column (after `columns`): the layer's codes."),
        "time": _k(_str, "year", "str", "Period column (whole numbers)."),
        "name": _k(_str, None, "str", "Optional unit-name column, used to suggest codes for "
                   "unknown ids."),
        "columns": _k(_table_str, None, "table", "Header mapping, file header -> name, e.g. "
                      "{\"年份\" = \"year\", \"地区生产总值（万元）\" = \"gdp\"}."),
        "sheet": _k(_str_or_int, None, "str or int", "Excel sheet (default the first)."),
        "encoding": _k(_str, None, "str", "CSV encoding (default UTF-8, then GB18030)."),
        "years": _k(_years, None, "[int, int]", "First and last period kept (inclusive)."),
        "missing": _k(_choice("raise", "drop-units", "interpolate"), "raise", "str",
                      "Missing cells in the columns used: \"raise\" lists them; "
                      "\"drop-units\" drops those units (and their polygons); \"interpolate\" "
                      "fills interior gaps linearly in time (never extrapolates). What was "
                      "done is written to missing_cells.csv."),
        "crosswalk": _k(_str_or_table, None, "str or table", "Old code -> current code: a CSV "
                        "(columns old,new) or a table {\"440116\" = \"440112\"}. Rows of "
                        "merged units are aggregated."),
        "aggregate": _k(_str_or_table, "sum", "str or table", "How merged units combine: "
                        "\"sum\" (extensive quantities), \"mean\", \"min\", \"max\", \"first\", "
                        "or a table column -> rule (unlisted columns: sum)."),
        "carry": _k(_carry, None, "table", "Column -> year: fill the column on every row "
                    "from the same unit's row of that year, e.g. {avg_schooling_years = "
                    "2020} puts 2020 census covariates on 2023 rows (before `years` keeps "
                    "periods; stated in the run's notes)."),
        "synthetic": _k(_bool, False, "bool", "The data are synthetic: every output and "
                        "report page says so."),
        "source": _k(_title, None, "str or table", "Source note printed under the report's "
                     "figures and tables, or one per language: {en = \"...\", zh = \"...\"}."),
    },
    "derive": {
        "<name>": _k(None, None, "str or table", "A derived column: name = \"expression\" over "
                     "data columns and earlier derived names with numbers, + - * / **, "
                     "parentheses, log, exp, sqrt (parsed, never eval'd), e.g. urban_rate = "
                     "\"100 * urban_pop / pop\"; or a table {expr = \"...\", unit, unit_zh, "
                     "label, label_zh}. Usable in formulas, regressors, outcomes, measures."),
    },
    "layer": {
        "source": _k(_str, "guangdong", "str", "\"guangdong\" (embedded 124 units), "
                     "\"guangdong-census\" (the 116 units comparable between the 2010 and 2020 "
                     "censuses, split and exchanged units dissolved), \"china\" "
                     "(national layer, extra `china`), or a polygons file (GeoPackage, "
                     "GeoParquet, shapefile, GeoJSON) relative to the config file."),
        "province": _k(_str, None, "str", "With source = \"china\": keep one province."),
        "id": _k(_str, None, "str", "Id column of a polygons file (codes as in the data)."),
        "group": _k(_str, "region", "str", "Grouping column for core/periphery (layer or "
                    "data)."),
        "core": _k(_str, "PRD", "str", "The core group's label in `group`."),
        "regions": _k(_table_str, None, "table", "Guangdong only: city code -> region "
                      "overrides, e.g. {\"4453\" = \"West\"}."),
        "units": _k(_choice("all", "data"), "all", "str", "\"all\": every layer unit must be "
                    "in the data; \"data\": keep only the units in the data."),
    },
    "measures.flows": {
        "per": _k(_choice("pooled", "period"), "pooled", "str", "Entropy weights over all "
                  "unit-periods (\"pooled\") or per period."),
        **{f: _k(None, None, "table", f"{f.capitalize()} indicators by direction: "
                 "{urban_to_rural = [...], rural_to_urban = [...]}; yields "
                 f"`{f}_flow` = urban->rural score - rural->urban score.") for f in FACTORS},
    },
    "measures.tfp": {
        "method": _k(_choice("column", "solow", "malmquist"), None, "str",
                     "\"column\" (TFP given), \"solow\" (Solow residual, capital by perpetual "
                     "inventory when `investment` is given) or \"malmquist\" (cumulative "
                     "DEA-Malmquist index). The outcome is `tfp` (log TFP)."),
        "column": _k(_str, None, "str", "method = \"column\": the TFP column (levels; logged "
                     "when `log` = true)."),
        "log": _k(_bool, True, "bool", "Model ln TFP (true) or TFP (false)."),
        "output": _k(_str, None, "str", "Real output column (> 0)."),
        "capital": _k(_str, None, "str", "Capital stock column (> 0); or give `investment`."),
        "investment": _k(_str, None, "str", "Investment column (> 0): capital by perpetual "
                         "inventory."),
        "deflator": _k(_str, None, "str", "Investment price index column (base year = 1)."),
        "delta": _k(_float(0, 1, open_=True), 0.096, "float", "Depreciation rate (Zhang Jun "
                    "et al. 2004: 9.6%)."),
        "labour": _k(_str, None, "str", "Employment column (> 0)."),
        "alpha": _k(_float(0, 1, open_=True), None, "float", "Capital elasticity; estimated "
                    "by pooled OLS when absent."),
    },
    "measures.income_gap": {
        "method": _k(_choice("column", "ratio", "theil"), None, "str", "\"ratio\" (urban / "
                     "rural per-capita income), \"theil\" (needs populations) or \"column\"."),
        "column": _k(_str, None, "str", "method = \"column\": the income-gap column."),
        "urban_income": _k(_str, None, "str", "Urban per-capita disposable income (> 0)."),
        "rural_income": _k(_str, None, "str", "Rural per-capita disposable income (> 0)."),
        "urban_population": _k(_str, None, "str", "Urban population (theil)."),
        "rural_population": _k(_str, None, "str", "Rural population (theil)."),
    },
    "models": {
        "outcomes": _k(_list_of(_str, "column names"), ["tfp", "income_gap"], "[str]",
                       "Outcome columns, each fitted with every kind and weights."),
        "regressors": _k(_list_of(_str, "column names"), None, "[str]", "Regressors "
                         "(default: the factor-flow columns)."),
        "formulas": _k(_table_str, None, "table", "Outcome -> formula (formulaic), "
                       "overriding `regressors` for that outcome, e.g. {tfp = \"tfp ~ "
                       "labour_flow + capital_flow\"}."),
        "kinds": _k(_kinds, ["SAR", "SEM", "SDM"], "[str]",
                    f"Model kinds among {list(MODEL_KINDS)}."),
        "effects": _k(_choice("unit", "time", "twoway", "random", "none"), "twoway", "str",
                      "Panel effects (\"none\": pooled)."),
        "bias_correction": _k(_optional_bias, "lee-yu", "str", "\"lee-yu\" (Lee & Yu 2010) "
                              "or \"none\" (fixed-effects panels)."),
    },
    "weights": {
        "kind": _k(_choice(*WEIGHTS_KINDS), "queen", "str", f"One of {list(WEIGHTS_KINDS)}."),
        "name": _k(_str, None, "str", "Label in tables (default: the kind, with k)."),
        "k": _k(_int(1), None, "int", "knn: number of neighbours (required)."),
        "threshold_km": _k(_float(0, open_=True), None, "float", "distance_band (required) "
                           "and inverse_distance (optional) cut-off in km."),
        "power": _k(_float(0, open_=True), None, "float", "inverse_distance: w = d^-power "
                    "(default 1)."),
        "binary": _k(_bool, None, "bool", "distance_band: weight 1 (true) or d^-power."),
        "islands": _k(_choice("knn", "keep", "raise"), "knn", "str", "Units without "
                      "neighbours (e.g. Nan'ao): linked to their nearest units, kept with zero "
                      "rows, or refused."),
        "k_islands": _k(_int(1), 1, "int", "Neighbours given to each island."),
        "path": _k(_str, None, "str", "kind = \"file\": a GAL file or an edge-list CSV "
                   "(columns focal, neighbor[, weight]) keyed by the data's ids."),
        "transform": _k(_choice("r", "b", "none"), "r", "str", "\"r\" row-standardised "
                        "(default), \"b\" binary, \"none\" raw."),
    },
    "effects": {
        "n_draws": _k(_int(1), 1000, "int", "Simulation draws for effects inference."),
        "method": _k(_choice("simulation", "delta"), "simulation", "str",
                     "Effects inference."),
    },
    "report": {
        "lang": _k(_choice("en", "zh"), "en", "str", "Language of the report."),
        "title": _k(_title, None, "str or table", "Report title, or one per language: "
                    "{en = \"...\", zh = \"...\"}."),
        "notes": _k(_list_of(_str, "strings"), None, "[str]", "Notes of your own (caveats of "
                    "the data, definitions), printed with the run's notes: stdout, "
                    "README.txt, manifest.json and the report's notes."),
        "indicators": _k(_indicators, None, "table", "Report indicators for columns the "
                         "package does not know (tfp, income_gap and *_flow are known): "
                         "[report.indicators.my_outcome] higher_is_better = true and scale = "
                         "\"level\", \"log\", \"index\" or \"share\" (both required, never "
                         "guessed: see data/README.md), label, label_zh, unit, unit_zh."),
        "formats": _k(_list_of(_choice("html", "markdown", "latex"), "'html', 'markdown', "
                               "'latex'"), ["html"], "[str]",
                      "Report formats: report.html, report_md/, report_tex/."),
    },
    "output": {
        "folder": _k(_str, "spatialflow-output", "str", "Output folder, relative to the "
                     "config file (the command line's --out: to the current directory); "
                     "written atomically."),
        "overwrite": _k(_bool, False, "bool", "Replace an existing non-empty folder "
                        "(atomically), only one a previous run wrote and nobody changed (its "
                        "manifest's hashes are checked)."),
    },
}

#: Flat keys of the first pipeline -> (section, key).
#: ``effects`` and ``weights`` come first: their names are also sections.
LEGACY = {"effects": ("models", "effects"), "weights": ("weights", "kind"),
          "out": ("output", "folder"), "years": ("data", "years"),
          "formula": ("models", "formulas"), "n_draws": ("effects", "n_draws"),
          "bias_correction": ("models", "bias_correction")}


def _all_keys() -> list[str]:
    keys = []
    for section, table in SCHEMA.items():
        keys += [f"{section}.{k}" if section else k for k in table]
    return keys + [s for s in SCHEMA if s] + ["measures"]


def _unknown(key: str, where: str, valid) -> ConfigError:
    valid = list(valid)
    near = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if not near:  # a key put in the wrong section
        near = [k for k in _all_keys() if k.rsplit(".", 1)[-1] == key][:1]
    hint = f"; did you mean {near[0]!r}?" if near else "."
    return ConfigError(f"unknown key {key!r} in {where}{hint} Valid keys there: "
                       f"{sorted(valid)}.")


def _check_table(values: dict, section: str) -> dict:
    where = f"[{section}]" if section else "the top level"
    schema = SCHEMA[section]
    out = {}
    for key, value in values.items():
        if key not in schema:
            raise _unknown(key, where, schema)
        spec = schema[key]
        if spec.check is None:
            out[key] = value
            continue
        try:
            out[key] = spec.check(value)
        except _Bad as bad:
            name = f"{section}.{key}" if section else key
            raise ConfigError(f"config key {name!r} expects {bad}; {value!r} "
                              f"({type(value).__name__}) was given.") from None
    return {**{k: s.default for k, s in schema.items() if s.check is not None}, **out}


def _flows(values) -> dict:
    if not isinstance(values, dict):
        raise ConfigError(f"[measures.flows] must be a table; {values!r} was given.")
    base = _check_table({k: v for k, v in values.items() if k not in FACTORS},
                        "measures.flows")
    factors = {}
    for factor in FACTORS:
        if factor not in values:
            continue
        spec = values[factor]
        if not isinstance(spec, dict) or not spec:
            raise ConfigError(f"config key 'measures.flows.{factor}' expects a table "
                              "{urban_to_rural = [...], rural_to_urban = [...]}; "
                              f"{spec!r} was given.")
        for direction, cols in spec.items():
            if direction not in ("urban_to_rural", "rural_to_urban"):
                near = difflib.get_close_matches(direction, ["urban_to_rural",
                                                             "rural_to_urban"], n=1)
                raise ConfigError(
                    f"unknown key {direction!r} in [measures.flows.{factor}]"
                    + (f"; did you mean {near[0]!r}?" if near else "")
                    + " Valid keys there: ['rural_to_urban', 'urban_to_rural'].")
            if (not isinstance(cols, list) or not cols
                    or not all(isinstance(c, str) and c for c in cols)):
                raise ConfigError(f"config key 'measures.flows.{factor}.{direction}' expects "
                                  f"a list of column names; {cols!r} was given.")
        factors[factor] = {d: list(c) for d, c in spec.items()}
    base["factors"] = factors
    return base


def _measures(values) -> dict:
    if not isinstance(values, dict):
        raise ConfigError(f"[measures] must be a table; {values!r} was given.")
    out = {"flows": None, "tfp": None, "income_gap": None}
    for key, sub in values.items():
        if key not in out:
            raise _unknown(key, "[measures]", out)
        if key == "flows":
            out[key] = _flows(sub)
            continue
        if not isinstance(sub, dict):
            raise ConfigError(f"[measures.{key}] must be a table; {sub!r} was given.")
        table = _check_table(sub, f"measures.{key}")
        out[key] = table
    tfp = out["tfp"]
    if tfp is not None:
        need = {"column": ["column"], "solow": ["output", "labour"],
                "malmquist": ["output", "labour"], None: ["method"]}[tfp["method"]]
        if tfp["method"] in ("solow", "malmquist") and not (tfp["capital"] or tfp["investment"]):
            need = need + ["capital or investment"]
        _require(tfp, need, "measures.tfp", f"method = {tfp['method']!r}")
        if tfp["capital"] and tfp["investment"]:
            raise ConfigError("[measures.tfp] takes `capital` or `investment` (perpetual "
                              "inventory), not both.")
    gap = out["income_gap"]
    if gap is not None:
        need = {"column": ["column"], "ratio": ["urban_income", "rural_income"],
                "theil": ["urban_income", "rural_income", "urban_population",
                          "rural_population"], None: ["method"]}[gap["method"]]
        _require(gap, need, "measures.income_gap", f"method = {gap['method']!r}")
    return out


def _require(table, keys, section, why):
    missing = [k for k in keys if " or " not in k and table.get(k) is None]
    missing += [k for k in keys if " or " in k]
    if missing:
        raise ConfigError(f"[{section}] with {why} needs key(s) {missing}; given: "
                          f"{ {k: v for k, v in table.items() if v is not None} }.")


def _weights(values) -> list[dict]:
    if isinstance(values, dict):
        values = [values]
    if not isinstance(values, list) or not values or not all(isinstance(v, dict)
                                                             for v in values):
        raise ConfigError("[[weights]] expects one or more tables, e.g. [[weights]] kind = "
                          f"\"queen\"; {values!r} was given.")
    specs, names = [], set()
    for i, raw in enumerate(values):
        spec = _check_table(raw, "weights")
        kind = spec["kind"]
        if kind == "knn" and spec["k"] is None:
            raise ConfigError(f"[[weights]] #{i + 1}: kind = \"knn\" needs k (e.g. k = 5).")
        if kind == "distance_band" and spec["threshold_km"] is None:
            raise ConfigError(f"[[weights]] #{i + 1}: kind = \"distance_band\" needs "
                              "threshold_km.")
        if kind == "file" and spec["path"] is None:
            raise ConfigError(f"[[weights]] #{i + 1}: kind = \"file\" needs path (a .gal file "
                              "or an edge-list .csv).")
        allowed = {"queen": set(), "rook": set(), "knn": {"k"},
                   "distance_band": {"threshold_km", "binary", "power"},
                   "inverse_distance": {"threshold_km", "power"}, "file": {"path"}}[kind]
        stray = [k for k in ("k", "threshold_km", "power", "binary", "path")
                 if spec[k] is not None and k not in allowed]
        if stray:
            raise ConfigError(f"[[weights]] #{i + 1}: key(s) {stray} do not apply to kind = "
                              f"{kind!r} (it takes {sorted(allowed) or 'no options'}).")
        if spec["name"] is None:
            spec["name"] = (f"knn{spec['k']}" if kind == "knn" else
                            f"band{spec['threshold_km']:g}km" if kind == "distance_band"
                            else kind)
        if spec["name"] in names:
            raise ConfigError(f"[[weights]] #{i + 1}: name {spec['name']!r} is used twice; "
                              "give each weights specification its own name.")
        names.add(spec["name"])
        specs.append(spec)
    return specs


@dataclass(frozen=True)
class PipelineConfig:
    """A checked configuration (build it with :func:`load_config` or :func:`make_config`).

    Each section is a dict with every key of :data:`SCHEMA` (defaults filled); ``weights`` is
    a tuple of dicts. ``base`` is the folder relative paths are resolved against (the config
    file's folder); ``path`` the config file itself (None when built from a dict).
    """

    seed: int = 0
    data: dict = field(default_factory=dict)
    layer: dict = field(default_factory=dict)
    measures: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)
    weights: tuple = ()
    effects: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    output: dict = field(default_factory=dict)
    derive: dict = field(default_factory=dict)   # name -> DeriveSpec, in order
    base: str = "."
    path: str | None = None

    def __post_init__(self):
        # Built by make_config (which checks every key); a direct construction gets the same
        # check of the scalar it can get wrong, so nothing unchecked reaches a run.
        try:
            _int(0)(self.seed)
        except _Bad as bad:
            raise ConfigError(f"config key 'seed' expects {bad}; {self.seed!r} "
                              f"({type(self.seed).__name__}) was given.") from None
        for section in ("data", "layer", "models", "effects", "report", "output"):
            value = getattr(self, section)
            if value and set(value) != set(SCHEMA[section]):
                raise ConfigError(f"PipelineConfig.{section} must hold every key of "
                                  f"[{section}]; build configs with make_config or "
                                  "load_config.")

    @property
    def synthetic_example(self) -> bool:
        """True when the run uses the embedded synthetic panel (no data file)."""
        return self.data.get("path") is None

    @property
    def out(self) -> str:
        """The output folder, relative to the config file's folder (as ``data.path``)."""
        return str(self.resolve(self.output["folder"]))

    def resolve(self, path: str) -> Path:
        """A path of the config, relative to the config file's folder."""
        p = Path(path)
        return p if p.is_absolute() else Path(self.base) / p

    def as_dict(self) -> dict:
        """The configuration as written to the manifest (plain JSON types)."""
        return {"seed": self.seed, "data": self.data, "layer": self.layer,
                "measures": self.measures, "models": self.models,
                "weights": [dict(w) for w in self.weights], "effects": self.effects,
                "report": self.report, "output": self.output,
                "derive": {k: s.as_dict() for k, s in self.derive.items()}}


def _migrate(values: dict) -> dict:
    values = dict(values)
    for old, (section, key) in LEGACY.items():
        if old not in values or (old in SCHEMA and isinstance(values[old], (dict, list))):
            continue  # 'weights' / 'effects' as tables are the new sections
        value = values.pop(old)
        table = values.setdefault(section, {})
        if section == "weights":
            if isinstance(table, list):
                raise ConfigError("the flat key 'weights' and a [[weights]] table were both "
                                  "given; keep the [[weights]] table.")
            table = values[section] = {}
        if isinstance(table, dict) and key in table:
            raise ConfigError(f"{old!r} (flat key) and '{section}.{key}' were both given; "
                              f"keep '{section}.{key}'.")
        if old == "formula":
            if not isinstance(value, str) or "~" not in value:
                raise ConfigError(f"config key 'formula' expects a formula string such as "
                                  f"\"tfp ~ labour_flow\"; {value!r} ({type(value).__name__}) "
                                  "was given.")
            outcome = value.split("~", 1)[0].strip()
            value = {outcome: value}
            table.setdefault("outcomes", [outcome])
        else:
            try:
                value = SCHEMA[section][key].check(value)
            except _Bad as bad:
                raise ConfigError(f"config key {old!r} (flat key, now [{section}] {key}) expects "
                                  f"{bad}; {value!r} ({type(value).__name__}) was given.") \
                    from None
            if old == "years":
                value = list(value)
            if old == "bias_correction" and value is None:
                value = "none"
        table[key] = value
        hint = f"[{section}] {key}" if section != "weights" else "[[weights]] kind"
        warnings.warn(f"the flat config key {old!r} is deprecated: write it as {hint} = ... "
                      "(it was read as that).", ConfigKeyWarning, stacklevel=4)
    return values


def make_config(values: dict, *, base=".", path=None) -> PipelineConfig:
    """Check a configuration given as a (TOML-like) dict and return a :class:`PipelineConfig`."""
    if not isinstance(values, dict):
        raise ConfigError(f"a configuration is a table of keys; {type(values).__name__} "
                          "was given.")
    values = _migrate(values)
    sections = {s for s in SCHEMA if s and "." not in s} | {"measures"}
    top = {k: v for k, v in values.items() if k not in sections}
    for key in top:
        if key not in SCHEMA[""]:
            raise _unknown(key, "the top level", list(SCHEMA[""]) + sorted(sections))
    seed = _check_table(top, "")["seed"]
    parts = {}
    for section in ("data", "layer", "models", "effects", "report", "output"):
        raw = values.get(section, {})
        if not isinstance(raw, dict):
            first = next(iter(SCHEMA[section]))
            raise ConfigError(f"config key {section!r} is a section: write [{section}] and its "
                              f"keys below it (e.g. [{section}] {first} = {_toml(raw)}); "
                              f"{raw!r} ({type(raw).__name__}) was given.")
        parts[section] = _check_table(raw, section)
    parts["measures"] = _measures(values.get("measures", {}))
    parts["weights"] = tuple(_weights(values.get("weights", {"kind": "queen"})))
    from .derive import parse_derive
    parts["derive"] = parse_derive(values.get("derive"))
    _cross_checks(parts)
    return PipelineConfig(seed=seed, base=str(base), path=None if path is None else str(path),
                          **parts)


def _cross_checks(p: dict) -> None:
    data, models, measures = p["data"], p["models"], p["measures"]
    formulas = models["formulas"] or {}
    for outcome, formula in formulas.items():
        if "~" not in formula or formula.split("~", 1)[0].strip() != outcome:
            raise ConfigError(f"config key 'models.formulas.{outcome}' expects a formula "
                              f"whose left-hand side is {outcome!r}; {formula!r} was given.")
    stray = [o for o in formulas if o not in models["outcomes"]]
    if stray:
        raise ConfigError(f"models.formulas has outcome(s) {stray} that are not in "
                          f"models.outcomes {models['outcomes']}.")
    if models["effects"] == "random":
        bad = [k for k in models["kinds"] if k not in ("SAR", "SEM", "OLS")]
        if bad:
            raise ConfigError(f"models.effects = \"random\" is available for SAR, SEM and OLS; "
                              f"models.kinds also has {bad}.")
    if data["path"] is None:
        # The embedded synthetic example: its columns are fixed, nothing to read or measure.
        for key in ("columns", "crosswalk", "name", "sheet", "encoding", "carry"):
            if data[key] is not None:
                raise ConfigError(f"data.{key} applies to a data file; give data.path too "
                                  "(without it the run uses the embedded synthetic panel).")
        if p["derive"]:
            raise ConfigError("[derive] builds columns from a data file; give data.path too "
                              "(the embedded synthetic panel has its columns built).")
        if any(v is not None for v in measures.values()):
            raise ConfigError("[measures] builds variables from a data file's raw indicators; "
                              "give data.path too (the embedded synthetic panel has them "
                              "built).")
        if p["layer"]["source"] != "guangdong":
            raise ConfigError("the embedded synthetic panel lives on the Guangdong layer; "
                              "layer.source must be \"guangdong\" without data.path.")
    if p["layer"]["regions"] is not None and p["layer"]["source"] not in ("guangdong",
                                                                          "guangdong-census"):
        raise ConfigError("layer.regions overrides Guangdong's city grouping; it needs "
                          "layer.source = \"guangdong\" or \"guangdong-census\".")


def load_config(path, **overrides) -> PipelineConfig:
    """Read and check a TOML config; ``overrides`` (``"section.key"`` or flat names such as
    ``out``, ``seed``, ``n_draws``) win over the file. See :data:`SCHEMA` for every key."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        # e.g. a config saved as GBK by a Chinese Windows editor: TOML is UTF-8 only
        line = raw[:err.start].count(b"\n") + 1
        raise ConfigError(f"config file {str(path)!r} is not UTF-8 text (byte "
                          f"0x{raw[err.start]:02x} on line {line}; GBK, as some Windows "
                          "editors save Chinese, is not TOML): save it again as UTF-8.") from None
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {err}.") from err
    values = apply_overrides(values, overrides)
    return make_config(values, base=path.parent, path=path)


def apply_overrides(values: dict, overrides: dict) -> dict:
    """Set ``"section.key"`` overrides (None = not given) on a raw config dict."""
    values = {k: (dict(v) if isinstance(v, dict) else v) for k, v in values.items()}
    for name, value in overrides.items():
        if value is None:
            continue
        section, _, key = name.rpartition(".")
        if not section:
            values[key] = value
            continue
        if section == "weights":
            # --weights KIND replaces the weights list with one specification
            values.pop("weights", None)
            spec = {"kind": value} if key == "kind" else {key: value}
            if spec.get("kind") == "knn":
                spec["k"] = 5
            values["weights"] = [spec]
            continue
        table = values.setdefault(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] must be a table; {table!r} was given.")
        table[key] = value
    return values


def config_reference() -> str:
    """Every config key as a Markdown table (the text in ``data/README.md``)."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for section, table in SCHEMA.items():
        for key, spec in table.items():
            name = key if not section else (f"[[weights]] {key}" if section == "weights"
                                            else f"[{section}] {key}")
            default = "—" if spec.default is None else f"`{_toml(spec.default)}`"
            lines.append(f"| `{name}` | {spec.type} | {default} | {spec.doc} |")
    return "\n".join(lines) + "\n"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)
