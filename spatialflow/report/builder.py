"""``build``: the whole core-periphery deficit report from a panel, a layer and fitted models."""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..exceptions import InputError
from . import deficits as _def
from ._data import REGION_ZH, prepare
from ._text import t
from .document import Report, Section

__all__ = ["build"]

_LANGS = ("en", "zh")


def build(panel, layer, w=None, *, indicators, models=None, id="code", time="year",
          group="region", core="PRD", lang="en", synthetic=False, source=None, title=None,
          n_draws=1000, seed=0, tests=None) -> Report:
    """Build the core-periphery deficit report.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long data, one row per (``id``, ``time``); with ``time=None`` one cross-section
        (one row per ``id``). Not modified.
    layer : geopandas.GeoDataFrame
        The units' polygons indexed by id (the same ids as ``panel[id]``, same dtype), with
        the grouping column (or the panel has it) and, for bilingual labels, ``name_en`` /
        ``name_zh`` (and ``city_en`` / ``city_zh``). Not modified.
    w : libpysal W or Graph, optional
        Weights over the layer's ids for the LISA map and the spatial Markov chain (default:
        row-standardised queen contiguity, islands attached to their nearest neighbours).
    indicators : list of Indicator or dict name -> Indicator
        What to report; each declares ``higher_is_better`` (see
        :data:`spatialflow.report.DEFAULT_INDICATORS` for the synthetic example).
    models : dict label -> SpatialResults, optional
        Fitted models (cross-section or panel); effects, spillover blocks, the robustness
        table and the counterfactual decomposition come from them. A model that did not
        converge is shown as such (a note and a flag in the tables), never dropped.
    id, time : str
        Key columns of ``panel``.
    group : str
        Grouping column (in ``layer`` or ``panel``), e.g. ``"region"``.
    core : object
        The core group's label in ``group``; every other group is peripheral.
    lang : {"en", "zh"}
        Language of headings and of county / city / region names.
    synthetic : bool
        Say on every page, table and figure that the data are synthetic. ``True`` is also
        implied by ``panel.attrs["synthetic"]``.
    source : str, optional
        Source note printed under every figure and table.
    title : str, optional
        Title of the report.
    n_draws, seed : int
        Simulation draws (effects, blocks, counterfactual standard errors) and their seed.
    tests : dict label -> DataFrame, optional
        Specification-test tables to include as they are.

    Returns
    -------
    Report
    """
    if lang not in _LANGS:
        raise InputError(f"lang must be one of {list(_LANGS)}; {lang!r} was given.")
    if models is not None and not isinstance(models, Mapping):
        raise InputError("models must be a dict label -> fitted SpatialResults; a "
                         f"{type(models).__name__} was given.")
    if tests is not None and not isinstance(tests, Mapping):
        raise InputError("tests must be a dict label -> DataFrame; a "
                         f"{type(tests).__name__} was given.")
    synthetic = bool(synthetic or getattr(panel, "attrs", {}).get("synthetic", False))
    data = prepare(panel, layer, indicators=indicators, id=id, time=time, group=group,
                   core=core)
    notes = list(data.notes)
    tables: dict[str, pd.DataFrame] = {}
    titles: dict[str, str] = {}
    summary: list[tuple[str, list[str]]] = []
    sections: list[Section] = []

    def gname(label) -> str:
        return REGION_ZH.get(label, str(label)) if lang == "zh" else str(label)

    levels = _def.group_levels(data)
    table = _def.deficits(data, levels)
    tables["levels"] = levels
    titles["levels"] = "Indicator levels by group and period (mean, median, SD over units)"
    tables["deficits"] = table
    titles["deficits"] = ("Deficits against the core (positive = behind the core; percent of "
                          "the core mean)")
    items = [("table", "deficits"), ("table", "levels")]
    if data.is_panel:
        trends = _def.deficit_trends(data, table)
        tables["trends"] = trends
        titles["trends"] = "Trend of each deficit: OLS slope per period with standard error"
        items.insert(1, ("table", "trends"))
    sections.append(Section("deficits", t("deficits", lang), items=items))

    last = table[table["period"] == data.last]
    for ind in data.indicators:
        rows = last[(last["indicator"] == ind.column) & (last["group"].isin(data.peripheral))]
        if rows["deficit"].notna().any():
            worst = rows.loc[rows["deficit"].idxmax()]
            text = (f"{ind.text(lang)}: in {data.last}, the largest deficit against the core "
                    f"({gname(core)}) is {gname(worst['group'])}'s, "
                    f"{worst['deficit']:.3g} {ind.unit_text(lang)} "
                    f"({worst['deficit_pct']:.1f}% of the core mean).")
            keys = ["deficits"]
            if data.is_panel:
                tr = tables["trends"]
                hit = tr[(tr["indicator"] == ind.column) & (tr["group"] == worst["group"])]
                if len(hit):
                    text += f" Trend: {hit.iloc[0]['verdict']}."
                    keys.append("trends")
            summary.append((text, keys))

    return Report(tables=tables, figures={}, notes=notes, summary=summary, sections=sections,
                  titles=titles, title=title or t("title", lang), lang=lang,
                  synthetic=synthetic, source=source)
