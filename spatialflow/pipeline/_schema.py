"""Every key of a run's config, as pydantic models: type, default, constraint and meaning.

This module is the one place where keys are declared. :mod:`.config` validates a TOML table
with :class:`Config`, turns pydantic's errors into :class:`~spatialflow.exceptions.ConfigError`
messages (key, expected, given, the closest valid key) and renders the key reference
(``spatialflow keys``, ``data/README.md``) from the same fields.

Each key's type carries a :class:`Doc`: its type as the reference prints it and what an error
message says it expects. The helpers below (:func:`Int`, :func:`Number`, :func:`Choice`, ...)
build both from the same constraint, so a bound and its description cannot disagree.
Rules across keys (``kind = "knn"`` needs ``k``, a TFP method needs its columns) are model
validators that raise :class:`~spatialflow.exceptions.ConfigError` with the full message.
"""
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field,
                      StrictBool, StrictInt, StrictStr, model_validator)

from ..exceptions import ConfigError
from ..models._design.naming import MODEL_KINDS as _MODEL_KINDS  # a table of names: no estimator import

__all__ = ["Config", "Doc", "MODEL_KINDS", "WEIGHTS_KINDS", "FACTORS", "INDICATOR_SCALES",
           "WEIGHTS_OPTIONS"]

#: Model kinds a config may ask for: the one list of :mod:`spatialflow.models._design.naming`.
MODEL_KINDS = tuple(_MODEL_KINDS)
WEIGHTS_KINDS = ("queen", "rook", "knn", "distance_band", "inverse_distance", "file")
# Equal to spatialflow.measures.FACTORS and spatialflow.report.indicators.SCALES (a test
# checks): written out so that checking a config imports neither the measures nor the report.
FACTORS = ("labour", "land", "capital", "technology", "data", "ecology")
#: How an indicator's values read (issue 19): levels, logs, an index or a share.
INDICATOR_SCALES = ("level", "log", "index", "share")
#: The options each weights kind takes (any other option given is refused).
WEIGHTS_OPTIONS = {"queen": (), "rook": (), "knn": ("k",),
                   "distance_band": ("threshold_km", "binary", "power"),
                   "inverse_distance": ("threshold_km", "power"), "file": ("path",)}


@dataclass(frozen=True)
class Doc:
    """A key's type as the reference prints it, and what its error message says it expects.

    ``explain(sub, value)``, when given, words the expectation for an error at ``sub`` (the
    part of the error's location below the key) instead of ``expects``.
    """

    type: str
    expects: str
    explain: Optional[Callable[[tuple, Any], str]] = None


# ----------------------------------------------------------------------------- key types
def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value


def _lower(value):
    return value.lower() if isinstance(value, str) else value


#: A non-empty string (not only spaces).
Text = Annotated[StrictStr, AfterValidator(_not_blank), Doc("str", "a non-empty string")]
Flag = Annotated[StrictBool, Doc("bool", "true or false")]


def Int(ge: int):
    """An integer >= ``ge`` (a bool or a float such as 2.0 is refused)."""
    return Annotated[StrictInt, Field(ge=ge), Doc("int", f"an integer >= {ge}")]


def Number(gt: float, lt: Optional[float] = None):
    """A number in the open interval (``gt``, ``lt``) (integers are read as floats)."""
    rng = f"in ({gt}, {lt})" if lt is not None else f"> {gt}"
    return Annotated[float, Field(strict=True, gt=gt, lt=lt), Doc("float", f"a number {rng}")]


def Choice(*options: str):
    """One of ``options``, case-insensitive (stored lower-case)."""
    return Annotated[Literal[options], BeforeValidator(_lower),
                     Doc("str", f"one of {list(options)}")]


def Names(what: str = "column names", item=Text):
    """A non-empty list (a TOML array) of ``item``."""
    return Annotated[list[item], Field(min_length=1), Doc("[str]", f"a list of {what}")]


def _ordered(years: tuple) -> tuple:
    if years[0] > years[1]:
        raise ValueError("first > last")
    return years


def _upper_list(value):
    """``"sdm"`` -> ``["SDM"]``; a list's strings upper-cased (anything else left to fail)."""
    value = [value] if isinstance(value, str) else value
    return [v.upper() if isinstance(v, str) else v for v in value] \
        if isinstance(value, list) else value


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


def _bias(value):
    return None if value == "none" else value


Years = Annotated[tuple[StrictInt, StrictInt], Field(strict=False), AfterValidator(_ordered),
                  Doc("[int, int]", "[first, last]: two integers with first <= last")]
StrTable = Annotated[dict[StrictStr, Text],
                     Doc("table", "a table of strings, e.g. {\"年份\" = \"year\"}")]
Kinds = Annotated[list[Literal[MODEL_KINDS]], BeforeValidator(_upper_list), Field(min_length=1),
                  AfterValidator(_unique),
                  Doc("[str]", f"a list of model kinds among {list(MODEL_KINDS)}")]
Title = Annotated[Union[Text, Annotated[dict[Literal["en", "zh"], Text], Field(min_length=1)]],
                  Doc("str or table", "a string or a table {en = \"...\", zh = \"...\"}")]
ColumnNames = Names()
NonNegativeInt, PositiveInt = Int(0), Int(1)
PositiveNumber, UnitInterval = Number(0), Number(0, 1)


def _explain_indicator(sub: tuple, value) -> str:
    """The message of issue 19: which indicator, which of its keys, what was given."""
    if not sub:
        return ("a table column -> {higher_is_better = true|false, scale = \"level\"|\"log\"|"
                "\"index\"|\"share\", label = \"...\", label_zh = \"...\", unit = \"...\"}")
    column = sub[0]
    spec = value.get(column) if isinstance(value, dict) else None
    if not isinstance(spec, dict) or not isinstance(spec.get("higher_is_better"), bool):
        return (f"for {column!r} a table with higher_is_better = true or false (declared, "
                "never guessed), scale and optional label, label_zh, unit, unit_zh")
    if spec.get("scale") not in INDICATOR_SCALES:
        return (f"for {column!r} scale = one of {list(INDICATOR_SCALES)} (declared, never "
                "guessed: level = amounts >= 0 with a true zero, log = natural logs of a "
                "level, index = an arbitrary zero, share = a proportion); "
                f"{spec.get('scale')!r} was given")
    keys = list(Indicator.model_fields)
    stray = [k for k in spec if k not in keys]
    bad = [k for k in spec if k in keys and k != "higher_is_better"
           and not isinstance(spec[k], str)]
    return (f"for {column!r} only the keys {keys} (text except higher_is_better); unknown "
            f"{stray}, not text {bad}")


# ----------------------------------------------------------------------------- sections
class _Table(BaseModel):
    """A TOML table: unknown keys refused, no silent conversion ("100" is not 100).

    The validators are built on the first check, not at import (``spatialflow keys`` and
    ``import spatialflow.pipeline`` do not need them).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


MissingPolicy = Choice("raise", "drop-units", "interpolate")


class Data(_Table):
    path: Optional[Text] = Field(None, description=(
        "The panel file: CSV (UTF-8 or GBK), Excel (.xlsx) or Parquet, relative to the config "
        "file. Absent: the embedded SYNTHETIC example panel."))
    id: Text = Field("code", description="Unit id column (after `columns`): the layer's codes.")
    time: Text = Field("year", description="Period column (whole numbers).")
    name: Optional[Text] = Field(None, description=(
        "Optional unit-name column, used to suggest codes for unknown ids."))
    columns: Optional[StrTable] = Field(None, description=(
        "Header mapping, file header -> name, e.g. {\"年份\" = \"year\", "
        "\"地区生产总值（万元）\" = \"gdp\"}."))
    sheet: Optional[Annotated[Union[Text, StrictInt],
                              Doc("str or int", "a sheet name or a 0-based sheet number")]] = \
        Field(None, description="Excel sheet (default the first).")
    encoding: Optional[Text] = Field(None, description=(
        "CSV encoding (default UTF-8, then GB18030)."))
    years: Optional[Years] = Field(None, description=(
        "First and last period kept (inclusive)."))
    missing: MissingPolicy = Field("raise", description=(
        "Missing cells in the columns used: \"raise\" lists them; \"drop-units\" drops those "
        "units (and their polygons); \"interpolate\" fills interior gaps linearly in time "
        "(never extrapolates). What was done is written to missing_cells.csv."))
    crosswalk: Optional[Annotated[Union[Text, dict[StrictStr, Text]], Doc(
        "str or table", "a CSV file name or a table of strings, e.g. {\"440116\" = "
        "\"440112\"}")]] = Field(None, description=(
            "Old code -> current code: a CSV (columns old,new) or a table {\"440116\" = "
            "\"440112\"}. Rows of merged units are aggregated."))
    aggregate: Annotated[Union[Text, dict[StrictStr, Text]], Doc(
        "str or table", "a rule such as \"sum\" or a table of strings, e.g. {gdp = \"sum\"}")] \
        = Field("sum", description=(
            "How merged units combine: \"sum\" (extensive quantities), \"mean\", \"min\", "
            "\"max\", \"first\", or a table column -> rule (unlisted columns: sum)."))
    carry: Optional[Annotated[dict[Text, StrictInt], Field(min_length=1), Doc(
        "table", "a table column -> year, e.g. {avg_schooling_years = 2020}")]] = Field(
        None, description=(
            "Column -> year: fill the column on every row from the same unit's row of that "
            "year, e.g. {avg_schooling_years = 2020} puts 2020 census covariates on 2023 rows "
            "(before `years` keeps periods; stated in the run's notes)."))
    synthetic: Flag = Field(False, description=(
        "The data are synthetic: every output and report page says so."))
    source: Optional[Title] = Field(None, description=(
        "Source note printed under the report's figures and tables, or one per language: "
        "{en = \"...\", zh = \"...\"}."))


LayerUnits = Choice("all", "data")


class Layer(_Table):
    source: Text = Field("guangdong", description=(
        "\"guangdong\" (embedded 124 units), \"guangdong-census\" (the 116 units comparable "
        "between the 2010 and 2020 censuses, split and exchanged units dissolved), \"china\" "
        "(national layer, extra `china`), or a polygons file (GeoPackage, GeoParquet, "
        "shapefile, GeoJSON) relative to the config file."))
    province: Optional[Text] = Field(None, description=(
        "With source = \"china\": keep one province."))
    id: Optional[Text] = Field(None, description=(
        "Id column of a polygons file (codes as in the data)."))
    group: Text = Field("region", description=(
        "Grouping column for core/periphery (layer or data)."))
    core: Text = Field("PRD", description="The core group's label in `group`.")
    regions: Optional[StrTable] = Field(None, description=(
        "Guangdong only: city code -> region overrides, e.g. {\"4453\" = \"West\"}."))
    units: LayerUnits = Field("all", description=(
        "\"all\": every layer unit must be in the data; \"data\": keep only the units in the "
        "data."))


_FLOW_TABLE = "a table {urban_to_rural = [...], rural_to_urban = [...]}"


class FlowFactor(_Table):
    """The indicators of one factor, by direction (at least one direction)."""

    urban_to_rural: Optional[ColumnNames] = None
    rural_to_urban: Optional[ColumnNames] = None

    @model_validator(mode="before")
    @classmethod
    def _not_empty(cls, values):
        if isinstance(values, dict) and not values:
            raise ValueError("empty")  # worded by the factor key's Doc
        return values


def _factor(name: str):
    return Field(None, description=(
        f"{name.capitalize()} indicators by direction: {{urban_to_rural = [...], "
        f"rural_to_urban = [...]}}; yields `{name}_flow` = urban->rural score - rural->urban "
        "score."))


_Factor = Annotated[FlowFactor, Doc("table", _FLOW_TABLE)]


EntropyPer = Choice("pooled", "period")


class Flows(_Table):
    per: EntropyPer = Field("pooled", description=(
        "Entropy weights over all unit-periods (\"pooled\") or per period."))
    labour: Optional[_Factor] = _factor("labour")
    land: Optional[_Factor] = _factor("land")
    capital: Optional[_Factor] = _factor("capital")
    technology: Optional[_Factor] = _factor("technology")
    data: Optional[_Factor] = _factor("data")
    ecology: Optional[_Factor] = _factor("ecology")

    def as_config(self) -> dict:
        """``{"per": ..., "factors": {factor: {direction: [columns]}}}`` (the given ones)."""
        return {"per": self.per, "factors": {
            f: getattr(self, f).model_dump(exclude_none=True) for f in FACTORS
            if getattr(self, f) is not None}}


def _require(table: BaseModel, keys: list, section: str, why: str) -> None:
    missing = [k for k in keys if " or " in k or getattr(table, k) is None]
    if missing:
        given = {k: v for k, v in table.model_dump().items() if v is not None}
        raise ConfigError(f"[{section}] with {why} needs key(s) {missing}; given: {given}.")


TfpMethod = Choice("column", "solow", "malmquist")


class Tfp(_Table):
    method: Optional[TfpMethod] = Field(None, description=(
        "\"column\" (TFP given), \"solow\" (Solow residual, capital by perpetual inventory "
        "when `investment` is given) or \"malmquist\" (cumulative DEA-Malmquist index). The "
        "outcome is `tfp` (log TFP)."))
    column: Optional[Text] = Field(None, description=(
        "method = \"column\": the TFP column (levels; logged when `log` = true)."))
    log: Flag = Field(True, description="Model ln TFP (true) or TFP (false).")
    output: Optional[Text] = Field(None, description="Real output column (> 0).")
    capital: Optional[Text] = Field(None, description=(
        "Capital stock column (> 0); or give `investment`."))
    investment: Optional[Text] = Field(None, description=(
        "Investment column (> 0): capital by perpetual inventory."))
    deflator: Optional[Text] = Field(None, description=(
        "Investment price index column (base year = 1)."))
    delta: UnitInterval = Field(0.096, description=(
        "Depreciation rate (Zhang Jun et al. 2004: 9.6%)."))
    labour: Optional[Text] = Field(None, description="Employment column (> 0).")
    alpha: Optional[UnitInterval] = Field(None, description=(
        "Capital elasticity; estimated by pooled OLS when absent."))

    @model_validator(mode="after")
    def _columns_of_the_method(self):
        need = {"column": ["column"], "solow": ["output", "labour"],
                "malmquist": ["output", "labour"], None: ["method"]}[self.method]
        if self.method in ("solow", "malmquist") and not (self.capital or self.investment):
            need = need + ["capital or investment"]
        _require(self, need, "measures.tfp", f"method = {self.method!r}")
        if self.capital and self.investment:
            raise ConfigError("[measures.tfp] takes `capital` or `investment` (perpetual "
                              "inventory), not both.")
        return self


GapMethod = Choice("column", "ratio", "theil")


class IncomeGap(_Table):
    method: Optional[GapMethod] = Field(None, description=(
        "\"ratio\" (urban / rural per-capita income), \"theil\" (needs populations) or "
        "\"column\"."))
    column: Optional[Text] = Field(None, description=(
        "method = \"column\": the income-gap column."))
    urban_income: Optional[Text] = Field(None, description=(
        "Urban per-capita disposable income (> 0)."))
    rural_income: Optional[Text] = Field(None, description=(
        "Rural per-capita disposable income (> 0)."))
    urban_population: Optional[Text] = Field(None, description="Urban population (theil).")
    rural_population: Optional[Text] = Field(None, description="Rural population (theil).")

    @model_validator(mode="after")
    def _columns_of_the_method(self):
        need = {"column": ["column"], "ratio": ["urban_income", "rural_income"],
                "theil": ["urban_income", "rural_income", "urban_population",
                          "rural_population"], None: ["method"]}[self.method]
        _require(self, need, "measures.income_gap", f"method = {self.method!r}")
        return self


class Measures(_Table):
    """``[measures.flows]``, ``[measures.tfp]``, ``[measures.income_gap]``: each optional."""

    flows: Optional[Flows] = None
    tfp: Optional[Tfp] = None
    income_gap: Optional[IncomeGap] = None

    def as_config(self) -> dict:
        return {"flows": None if self.flows is None else self.flows.as_config(),
                "tfp": None if self.tfp is None else self.tfp.model_dump(),
                "income_gap": None if self.income_gap is None else self.income_gap.model_dump()}


PanelEffects = Choice("unit", "time", "twoway", "random", "none")


class Models(_Table):
    outcomes: ColumnNames = Field(["tfp", "income_gap"], description=(
        "Outcome columns, each fitted with every kind and weights."))
    regressors: Optional[ColumnNames] = Field(None, description=(
        "Regressors (default: the factor-flow columns)."))
    formulas: Optional[StrTable] = Field(None, description=(
        "Outcome -> formula (formulaic), overriding `regressors` for that outcome, e.g. "
        "{tfp = \"tfp ~ labour_flow + capital_flow\"}."))
    kinds: Kinds = Field(["SAR", "SEM", "SDM"], description=(
        f"Model kinds among {list(MODEL_KINDS)}."))
    effects: PanelEffects = Field("twoway", description=(
        "Panel effects (\"none\": pooled)."))
    bias_correction: Annotated[Literal["lee-yu", "none"], BeforeValidator(_lower),
                               AfterValidator(_bias), Doc("str", "'lee-yu' or 'none'")] = \
        Field("lee-yu", description="\"lee-yu\" (Lee & Yu 2010) or \"none\" (fixed-effects "
              "panels).")

    @model_validator(mode="after")
    def _formulas_and_effects(self):
        for outcome, formula in (self.formulas or {}).items():
            if "~" not in formula or formula.split("~", 1)[0].strip() != outcome:
                raise ConfigError(f"config key 'models.formulas.{outcome}' expects a formula "
                                  f"whose left-hand side is {outcome!r}; {formula!r} was "
                                  "given.")
        stray = [o for o in self.formulas or {} if o not in self.outcomes]
        if stray:
            raise ConfigError(f"models.formulas has outcome(s) {stray} that are not in "
                              f"models.outcomes {self.outcomes}.")
        if self.effects == "random":
            bad = [k for k in self.kinds if k not in ("SAR", "SEM", "OLS")]
            if bad:
                raise ConfigError(f"models.effects = \"random\" is available for SAR, SEM and "
                                  f"OLS; models.kinds also has {bad}.")
        return self


WeightsKind = Choice(*WEIGHTS_KINDS)
IslandPolicy = Choice("knn", "keep", "raise")
Transform = Choice("r", "b", "none")


class Weights(_Table):
    kind: WeightsKind = Field("queen", description=(
        f"One of {list(WEIGHTS_KINDS)}."))
    name: Optional[Text] = Field(None, description=(
        "Label in tables (default: the kind, with k)."))
    k: Optional[PositiveInt] = Field(None, description="knn: number of neighbours (required).")
    threshold_km: Optional[PositiveNumber] = Field(None, description=(
        "distance_band (required) and inverse_distance (optional) cut-off in km."))
    power: Optional[PositiveNumber] = Field(None, description=(
        "inverse_distance: w = d^-power (default 1)."))
    binary: Optional[Flag] = Field(None, description=(
        "distance_band: weight 1 (true) or d^-power."))
    islands: IslandPolicy = Field("knn", description=(
        "Units without neighbours (e.g. Nan'ao): linked to their nearest units, kept with "
        "zero rows, or refused."))
    k_islands: PositiveInt = Field(1, description="Neighbours given to each island.")
    path: Optional[Text] = Field(None, description=(
        "kind = \"file\": a GAL file or an edge-list CSV (columns focal, neighbor[, weight]) "
        "keyed by the data's ids."))
    transform: Transform = Field("r", description=(
        "\"r\" row-standardised (default), \"b\" binary, \"none\" raw."))

    def as_config(self) -> dict:
        """All keys; ``name`` defaults to the kind (``knn5``, ``band50km``)."""
        out = self.model_dump()
        if out["name"] is None:
            out["name"] = (f"knn{self.k}" if self.kind == "knn" else
                           f"band{self.threshold_km:g}km" if self.kind == "distance_band"
                           else self.kind)
        return out


def _one_or_more(value):
    return [value] if isinstance(value, dict) else value


def _check_weights(specs: list) -> list:
    """Each kind's required option, no option of another kind, names unique."""
    needs = {"knn": ("k", "k (e.g. k = 5)"), "distance_band": ("threshold_km", "threshold_km"),
             "file": ("path", "path (a .gal file or an edge-list .csv)")}
    names = set()
    for i, spec in enumerate(specs):
        where = f"[[weights]] #{i + 1}"
        key, say = needs.get(spec.kind, (None, None))
        if key is not None and getattr(spec, key) is None:
            raise ConfigError(f"{where}: kind = \"{spec.kind}\" needs {say}.")
        allowed = WEIGHTS_OPTIONS[spec.kind]
        stray = [k for k in ("k", "threshold_km", "power", "binary", "path")
                 if getattr(spec, k) is not None and k not in allowed]
        if stray:
            raise ConfigError(f"{where}: key(s) {stray} do not apply to kind = {spec.kind!r} "
                              f"(it takes {sorted(allowed) or 'no options'}).")
        name = spec.as_config()["name"]
        if name in names:
            raise ConfigError(f"{where}: name {name!r} is used twice; give each weights "
                              "specification its own name.")
        names.add(name)
    return specs


WeightsList = Annotated[list[Weights], BeforeValidator(_one_or_more), Field(min_length=1),
                        AfterValidator(_check_weights),
                        Doc("tables", "one or more tables, e.g. [[weights]] kind = \"queen\"")]


EffectsMethod = Choice("simulation", "delta")


class Effects(_Table):
    n_draws: PositiveInt = Field(1000, description="Simulation draws for effects inference.")
    method: EffectsMethod = Field("simulation", description=(
        "Effects inference."))


class Indicator(_Table):
    """One report indicator (issue 19): its direction and scale are declared, never guessed."""

    higher_is_better: StrictBool
    scale: Literal[INDICATOR_SCALES]
    label: Optional[StrictStr] = None
    label_zh: Optional[StrictStr] = None
    unit: Optional[StrictStr] = None
    unit_zh: Optional[StrictStr] = None


Lang = Choice("en", "zh")


def _needs_en(value: dict) -> dict:
    if "en" not in value:
        raise ValueError("the table has no en text (en is required, zh is optional)")
    return value


#: A note of the user's: shown in the report's language, in English everywhere else.
Note = Union[Text, Annotated[dict[Literal["en", "zh"], Text], AfterValidator(_needs_en)]]
Notes = Annotated[list[Note], Field(min_length=1),
                  Doc("[str or table]", "a list of strings or tables {en = \"...\", "
                      "zh = \"...\"} (en required)")]
Formats = Names("'html', 'markdown', 'latex'", Choice("html", "markdown", "latex"))
#: The report's optional sections (report.builder.OPTIONAL_SECTIONS); [] for none.
Sections = Annotated[list[Choice("convergence", "dynamics", "drivers")],
                     Doc("[str]", "a list of 'convergence', 'dynamics', 'drivers' (may be empty)")]


class Report(_Table):
    lang: Lang = Field("en", description="Language of the report.")
    title: Optional[Title] = Field(None, description=(
        "Report title, or one per language: {en = \"...\", zh = \"...\"}."))
    notes: Optional[Notes] = Field(None, description=(
        "Notes of your own (caveats of the data, definitions), printed with the run's notes: "
        "stdout, README.txt, manifest.json (in English) and the report's notes (in its "
        "language). Each is a string or a table {en = \"...\", zh = \"...\"}."))
    indicators: Optional[Annotated[dict[StrictStr, Indicator], Doc(
        "table", "", explain=_explain_indicator)]] = Field(None, description=(
            "Report indicators for columns the package does not know (tfp, income_gap and "
            "*_flow are known): [report.indicators.my_outcome] higher_is_better = true and "
            "scale = \"level\", \"log\", \"index\" or \"share\" (both required, never guessed: "
            "see data/README.md), label, label_zh, unit, unit_zh."))
    formats: Formats = Field(
        ["html"], description="Report formats: report.html, report_md/, report_tex/.")
    sections: Sections = Field(["convergence", "dynamics"], description=(
        "Optional report sections: \"convergence\" (beta-convergence by group with speed and "
        "half-life, sigma of log levels, Phillips-Sul clubs from 10 periods) and \"dynamics\" "
        "(kernel densities by period, stochastic kernels, Markov chains) by default; "
        "\"drivers\" (Geodetector q and GWR/MGWR bandwidths of each outcome, last period; "
        "MGWR takes about a minute per outcome) on request; [] for none. See "
        "docs/convergence.md and docs/drivers.md."))

    def as_config(self) -> dict:
        out = self.model_dump()
        if self.indicators is not None:  # the keys given, as given (the manifest shows them)
            out["indicators"] = {c: i.model_dump(exclude_unset=True)
                                 for c, i in self.indicators.items()}
        return out


class Output(_Table):
    folder: Text = Field("spatialflow-output", description=(
        "Output folder, relative to the config file (the command line's --out: to the current "
        "directory); written atomically."))
    overwrite: Flag = Field(False, description=(
        "Replace an existing non-empty folder (atomically), only one a previous run wrote and "
        "nobody changed (its manifest's hashes are checked)."))


_DERIVE_DOC = ("A derived column: name = \"expression\" over data columns and earlier derived "
               "names with numbers, + - * / **, parentheses, log, exp, sqrt (parsed, never "
               "eval'd), e.g. urban_rate = \"100 * urban_pop / pop\"; or a table {expr = "
               "\"...\", unit, unit_zh, label, label_zh}. Usable in formulas, regressors, "
               "outcomes, measures.")


class Config(_Table):
    """A whole config file. Field order is the order of the key reference."""

    seed: NonNegativeInt = Field(0, description=(
        "Seed of every random step (synthetic panel, effects draws, report simulations)."))
    data: Data = Field(default_factory=Data)
    # Checked by spatialflow.pipeline.derive.parse_derive (expressions parsed node by node).
    derive: Optional[Annotated[dict, Doc("str or table", "a table of name = \"expression\"")]] \
        = Field(None, description=_DERIVE_DOC, json_schema_extra={"key": "<name>"})
    layer: Layer = Field(default_factory=Layer)
    measures: Measures = Field(default_factory=Measures)
    models: Models = Field(default_factory=Models)
    weights: WeightsList = Field(default_factory=lambda: [Weights()])
    effects: Effects = Field(default_factory=Effects)
    report: Report = Field(default_factory=Report)
    output: Output = Field(default_factory=Output)

    @model_validator(mode="after")
    def _what_needs_a_data_file(self):
        data, layer = self.data, self.layer
        if data.path is None:
            # The embedded synthetic example: its columns are fixed, nothing to read or measure.
            for key in ("columns", "crosswalk", "name", "sheet", "encoding", "carry"):
                if getattr(data, key) is not None:
                    raise ConfigError(f"data.{key} applies to a data file; give data.path too "
                                      "(without it the run uses the embedded synthetic "
                                      "panel).")
            if self.derive:
                raise ConfigError("[derive] builds columns from a data file; give data.path "
                                  "too (the embedded synthetic panel has its columns built).")
            if any(getattr(self.measures, k) is not None for k in Measures.model_fields):
                raise ConfigError("[measures] builds variables from a data file's raw "
                                  "indicators; give data.path too (the embedded synthetic "
                                  "panel has them built).")
            if layer.source != "guangdong":
                raise ConfigError("the embedded synthetic panel lives on the Guangdong layer; "
                                  "layer.source must be \"guangdong\" without data.path.")
        if layer.regions is not None and layer.source not in ("guangdong", "guangdong-census"):
            raise ConfigError("layer.regions overrides Guangdong's city grouping; it needs "
                              "layer.source = \"guangdong\" or \"guangdong-census\".")
        return self

    def sections(self) -> dict:
        """The checked sections as plain dicts (every key, defaults filled; ``weights`` a
        tuple of dicts; ``measures`` with ``flows`` as ``{"per", "factors"}``)."""
        plain = {s: getattr(self, s).model_dump() for s in
                 ("data", "layer", "models", "effects", "output")}
        return {**plain, "report": self.report.as_config(),
                "measures": self.measures.as_config(),
                "weights": tuple(w.as_config() for w in self.weights)}
