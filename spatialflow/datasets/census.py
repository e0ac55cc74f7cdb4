"""The 2010 and 2020 population censuses of Guangdong's county-level units (real data).

Source: the county tables of the 6th (1 November 2010) and 7th (1 November 2020) national
population censuses as compiled by Lei Dong (GitHub ``leiii/census``, commit ``0ba0f1e``,
MIT licence, "Copyright (c) 2022 Lei Dong"; notice in ``_data/LICENSE-census.txt``), built
into ``_data/guangdong_census.parquet`` by ``scripts/build_census.py`` (checksums of both
workbooks verified there; provenance in ``data/README.md``).

Boundaries changed between the two censuses. ``_data/guangdong_census_crosswalk.csv`` lists
every 2010 code with the 2020 code(s) its territory went to, the type of change and its
source. Renamings map one to one and merges add up; where territory was split or moved
between units (Shenzhen's new districts, towns moved between neighbours) the units involved
form one *comparable unit* in both years (never an apportioned guess), with the dissolved
polygons from :func:`load_guangdong_census_units`.

>>> from spatialflow.datasets import load_guangdong_census
>>> census = load_guangdong_census()
>>> census.groupby("year")["pop"].sum().astype(int).to_dict()
{2010: 88759157, 2020: 126012510}
>>> comparable = load_guangdong_census(level="comparable")
>>> comparable.groupby("year")["pop"].sum().astype(int).to_dict()
{2010: 104320459, 2020: 126012510}
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from ..exceptions import InputError

__all__ = ["load_guangdong_census", "load_guangdong_census_units", "census_crosswalk",
           "census_indicators", "CENSUS_VARIABLES"]

_DATA = resources.files("spatialflow.datasets") / "_data"

#: Counts that add up over merged units.
_COUNTS = ["pop", "urban_pop", "family_hh_pop", "inflow_same_county", "inflow_other_county",
           "inflow_other_province", "edu_none", "edu_preschool", "edu_primary", "edu_junior",
           "edu_senior", "edu_college", "edu_bachelor", "occupied", "occ_prof_tech", "occ_agri",
           "employed", "ind_agri"]
#: Published averages and their weights when units are combined.
_AVERAGES = {"share_65plus_published": "pop", "floor_area_pp_published": "family_hh_pop"}

#: Years of schooling per level, as in the census tabulations (no schooling 0, primary 6,
#: junior secondary 9, senior secondary 12, junior college 15, bachelor and above 16).
SCHOOLING_YEARS = {"edu_none": 0, "edu_primary": 6, "edu_junior": 9, "edu_senior": 12,
                   "edu_college": 15, "edu_bachelor": 16}

_SOURCE = ("6th (2010) and 7th (2020) population census, county tables, compiled by Lei Dong "
           "(github.com/leiii/census, commit 0ba0f1e, MIT licence); boundary harmonisation "
           "by spatialflow (guangdong_census_crosswalk.csv).")

#: name -> (label, label_zh, unit, unit_zh, what the census asked and how the years differ)
CENSUS_VARIABLES = {
    "pop": ("Resident population", "常住人口", "persons", "人",
            "Persons usually resident on census day (present, or away from their registered "
            "place for six months or more). 2010 province total 104,320,459 (the 2010 "
            "yearbook; the 2020 bulletin quotes a revised 2010 base of 104,303,132)."),
    "urban_rate": ("Urbanisation rate", "城镇化率", "% of residents", "%",
                   "100 x urban residents / residents. Urban by the NBS urban-rural "
                   "classification of each census' neighbourhood and village codes; "
                   "reclassification between censuses moves places into 'urban'."),
    "inflow_other_county_share": (
        "Inflow from other counties of the province", "省内跨县流入人口占比",
        "% of residents", "%",
        "100 x residents whose household registration (hukou) is in another county of "
        "Guangdong / residents. 2010 asks for in-migrants (迁入人口) by the place of "
        "registration and counts registration in another district of the same city's urban "
        "area (本市市区) as 'same county'; the 2020 column is residents registered in another "
        "township (户口登记地在外乡镇街道) by place, with 'same county' (本县) the county-level "
        "unit. Moves between a city's districts can therefore count as other-county in 2020 "
        "but not in 2010: compare the change of urban districts with care."),
    "inflow_other_province_share": (
        "Inflow from other provinces", "跨省流入人口占比", "% of residents", "%",
        "100 x residents whose household registration is in another province / residents "
        "(2010: 迁入人口-外省; 2020: 户口登记地在外乡镇街道人口-省外). Same definition in "
        "both years."),
    "inflow_share": ("Inflow from outside the county", "县外流入人口占比", "% of residents", "%",
                     "inflow_other_county_share + inflow_other_province_share."),
    "inflow_same_county_share": (
        "Registered in another township of the county", "县内跨乡镇人户分离占比",
        "% of residents", "%",
        "100 x residents registered in another township of the same county / residents "
        "(2010: 本县（市）/本市市区, see the other-county note)."),
    "schooling_years": (
        "Average years of schooling (aged 6+)", "平均受教育年限（6岁及以上）", "years", "年",
        "(6 primary + 9 junior + 12 senior + 15 junior college + 16 bachelor+) / persons aged "
        "6+ by education, the same formula in both years. The published column "
        "(schooling_years_published) is not comparable across the years: its 2010 province "
        "value (9.55) is the bulletin's figure for persons aged 15+, its 2020 province value "
        "(9.88) is this 6+ formula (the 2020 bulletin's 15+ figure is 10.38); its 2020 unit "
        "values differ from the formula by 0.001 to 0.17 years on a base the source does not "
        "state."),
    "college_share": ("College-educated residents", "大专及以上人口占比", "% of residents", "%",
                      "100 x (junior college + bachelor and above) / residents (the census "
                      "bulletins' 'per 100,000 residents' / 1,000). Full count both years."),
    "share_65plus": ("Residents aged 65 and over", "65岁及以上人口占比", "% of residents", "%",
                     "As published (age on census day); combined units weighted by "
                     "residents."),
    "nonagri_employment_share": (
        "Non-agricultural employment", "非农就业占比", "% of the employed", "%",
        "100 x (1 - employed in agriculture, forestry, animal husbandry and fishery / "
        "employed), by industry of the employed (long-form 10% sample). Industry "
        "classification GB/T 4754-2002 (2010) and -2017 (2020); section A is the same."),
    "prof_tech_share": (
        "Professional and technical staff", "专业技术人员占比", "% of the employed", "%",
        "100 x professional and technical personnel / employed, by occupation (long-form "
        "sample). Occupation classification of 1999 (2010) and 2015 (2020); the "
        "professional-technical major group exists in both."),
    "floor_area_pp": ("Housing floor area per person", "人均住房建筑面积", "m2 per person",
                      "平方米/人",
                      "Building floor area of family households' housing per person "
                      "(long-form sample), as published; combined units weighted by the "
                      "family-household population (exact up to the sample's composition)."),
}


def _read_rows() -> pd.DataFrame:
    with (_DATA / "guangdong_census.parquet").open("rb") as fh:
        return pd.read_parquet(fh)


def census_crosswalk() -> pd.DataFrame:
    """Every 2010 code -> 2020 code link of Guangdong's county-level units.

    Columns ``code_2010``, ``name_2010``, ``code_2020``, ``name_2020``, ``type`` (``same``,
    ``rename``, ``merge``, ``split``, ``transfer`` of part of the area), ``unit`` (the
    comparable unit: the 2020 code, or the 2020 codes joined by ``+`` when territory was
    split or moved between them) and ``source`` (the approval and where it was checked).
    """
    with (_DATA / "guangdong_census_crosswalk.csv").open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def _combine(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Rows of one year summed by ``by``: counts add; published averages are weighted."""
    frame = rows.copy()
    for col, weight in _AVERAGES.items():
        frame[f"_{col}"] = frame[col] * frame[weight]
        frame[f"_w_{col}"] = frame[weight].where(frame[col].notna())
    g = frame.groupby([by, "year"], sort=True)
    out = g[_COUNTS].sum(min_count=1)
    for col in _AVERAGES:
        out[col] = g[f"_{col}"].sum(min_count=1) / g[f"_w_{col}"].sum(min_count=1)
    n = g.size()
    # An average years of schooling as published cannot be combined (its base differs by
    # year, see CENSUS_VARIABLES): kept only for units of one source row.
    first = g["schooling_years_published"].first()
    out["schooling_years_published"] = first.where(n == 1)
    out["name_zh"] = g["source_name"].agg("+".join)
    out["source_codes"] = g["source_code"].agg("+".join)
    return out.reset_index()


def comparable_counts(rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts of both censuses on comparable units (one row per unit and year)."""
    rows = _read_rows() if rows is None else rows
    return _combine(rows, "unit")


def census_indicators(counts: pd.DataFrame) -> pd.DataFrame:
    """The derived indicators of a frame of census counts (new columns, nothing modified).

    With :math:`P` residents, :math:`U` urban residents, :math:`M_c` and :math:`M_p` residents
    registered in another county of the province and in another province, :math:`E_l` persons
    aged 6+ whose highest level is :math:`l` (:math:`s_l` its years), :math:`N` the employed
    (long-form sample), :math:`A` of them in agriculture, :math:`T` professional and technical
    staff among :math:`O` with an occupation:

    .. math::

        \\text{urban\\_rate} = 100\\,U/P, \\quad
        \\text{inflow\\_other\\_county\\_share} = 100\\,M_c/P, \\quad
        \\text{inflow\\_other\\_province\\_share} = 100\\,M_p/P,

        \\text{inflow\\_share} = 100\\,(M_c + M_p)/P, \\quad
        \\text{schooling\\_years} = \\sum_l s_l E_l / \\sum_l E_l, \\quad
        \\text{college\\_share} = 100\\,(E_{college} + E_{bachelor})/P,

        \\text{nonagri\\_employment\\_share} = 100\\,(1 - A/N), \\quad
        \\text{prof\\_tech\\_share} = 100\\,T/O,

    ``share_65plus`` and ``floor_area_pp`` are the published values (population-weighted over
    combined units). The levels :math:`l` exclude pre-school education (2020 only), so that
    both years use persons aged 6 and over.
    """
    c = counts
    out = pd.DataFrame(index=c.index)
    pop = c["pop"].astype(float)
    out["urban_rate"] = 100.0 * c["urban_pop"] / pop
    out["inflow_same_county_share"] = 100.0 * c["inflow_same_county"] / pop
    out["inflow_other_county_share"] = 100.0 * c["inflow_other_county"] / pop
    out["inflow_other_province_share"] = 100.0 * c["inflow_other_province"] / pop
    out["inflow_share"] = out["inflow_other_county_share"] + out["inflow_other_province_share"]
    educated = sum(c[col] for col in SCHOOLING_YEARS)
    out["schooling_years"] = sum(s * c[col] for col, s in SCHOOLING_YEARS.items()) / educated
    out["college_share"] = 100.0 * (c["edu_college"] + c["edu_bachelor"]) / pop
    out["share_65plus"] = c["share_65plus_published"]
    out["nonagri_employment_share"] = 100.0 * (1.0 - c["ind_agri"] / c["employed"])
    out["prof_tech_share"] = 100.0 * c["occ_prof_tech"] / c["occupied"]
    out["floor_area_pp"] = c["floor_area_pp_published"]
    return out


def load_guangdong_census(level: str = "county") -> pd.DataFrame:
    """Real census indicators of Guangdong's county-level units, 2010 and 2020.

    Parameters
    ----------
    level : {"county", "comparable"}
        ``"county"`` (default): one row per code of the embedded layer and census year. 2020
        has all 124 units; 2010 has the units whose 2010 territory is one of today's units
        (unchanged, renamed, or merged into one: 109 codes). The 15 codes whose 2010
        territory was split or exchanged with a neighbour have no 2010 row (their
        comparable unit has one at ``level="comparable"``). ``"comparable"``: one row per
        comparable unit and year (116 units, both years complete), indexed like the polygons
        of :func:`load_guangdong_census_units`.

    Returns
    -------
    pandas.DataFrame
        Long (tidy) table, one row per unit and year, sorted by unit and year, with
        ``code`` (str; at ``level="comparable"`` the unit id, 6 digits or 2020 codes joined
        by ``+``), ``unit`` (the comparable unit), ``year`` (2010, 2020), ``name_zh`` (the
        names in that year's source, joined by ``+`` when combined), ``source_codes``, the
        counts read from the source (``pop``, ``urban_pop``, ``inflow_*``, ``edu_*``
        (``edu_preschool`` exists in 2020 only), ``occupied``, ``occ_*``, ``employed``,
        ``ind_agri``, ...; employment counts are the long-form sample's), the published
        ``schooling_years_published`` (not comparable across years; kept for units of one
        source row only) and the derived indicators
        of :func:`census_indicators`: ``urban_rate``, ``inflow_other_county_share``,
        ``inflow_other_province_share``, ``inflow_share``, ``inflow_same_county_share``,
        ``schooling_years``, ``college_share``, ``share_65plus``,
        ``nonagri_employment_share``, ``prof_tech_share``, ``floor_area_pp``.
        ``.attrs`` carry ``labels`` (en), ``labels_zh``, ``units``, ``units_zh``,
        ``questions`` (what the census measured and where 2010 and 2020 differ), ``source``
        and ``level``.

    Examples
    --------
    >>> from spatialflow.datasets import load_guangdong_census
    >>> c = load_guangdong_census()
    >>> c.query("year == 2020").shape[0], c.query("year == 2010").shape[0]
    (124, 109)
    >>> float(round(c.set_index(["code", "year"]).loc[("440523", 2020), "urban_rate"], 2))
    79.57
    """
    if level not in ("county", "comparable"):
        raise InputError(f"level must be 'county' or 'comparable'; {level!r} was given.")
    rows = _read_rows()
    if level == "county":
        counts = _combine(rows.dropna(subset=["code"]), "code")
        unit = rows.dropna(subset=["code"]).drop_duplicates("code").set_index("code")["unit"]
        counts.insert(1, "unit", counts["code"].map(unit))
    else:
        counts = _combine(rows, "unit")
        counts.insert(0, "code", counts["unit"])
    counts["year"] = counts["year"].astype(int)
    frame = pd.concat([counts, census_indicators(counts)], axis=1)
    frame = frame.sort_values(["code", "year"]).reset_index(drop=True)
    frame.attrs.update(
        labels={k: v[0] for k, v in CENSUS_VARIABLES.items()},
        labels_zh={k: v[1] for k, v in CENSUS_VARIABLES.items()},
        units={k: v[2] for k, v in CENSUS_VARIABLES.items()},
        units_zh={k: v[3] for k, v in CENSUS_VARIABLES.items()},
        questions={k: v[4] for k, v in CENSUS_VARIABLES.items()},
        source=_SOURCE, level=level)
    return frame


def load_guangdong_census_units(regions=None):
    """The embedded layer dissolved into the census' comparable units (116 polygons).

    Units whose territory was split or exchanged between 2010 and 2020 (see
    :func:`census_crosswalk`) are dissolved into one polygon indexed by their 2020 codes
    joined with ``+`` (e.g. ``"440306+440309+440311"``: Bao'an with Longhua and Guangming);
    every other unit keeps its polygon and code. Members of a unit always share their city,
    so ``city_code``, ``region`` and ``core`` carry over; names are joined with ``+``.

    Parameters
    ----------
    regions : optional
        As in :func:`~spatialflow.datasets.load_guangdong_counties`.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``code`` (the comparable unit), same columns as the county layer plus
        ``members`` (the number of 2020 units).
    """
    from .guangdong import load_guangdong_counties

    layer = load_guangdong_counties(regions=regions)
    unit = census_crosswalk().drop_duplicates("code_2020").set_index("code_2020")["unit"]
    layer = layer.assign(unit=layer.index.map(unit))
    text = {c: "+".join for c in ("name_zh", "name_en", "unit_type")}
    keep = {c: "first" for c in ("city_code", "city_zh", "city_en", "region", "core")}
    out = layer.dissolve(by="unit", aggfunc={**text, **keep}, sort=True)
    out["members"] = layer.groupby("unit").size().reindex(out.index).to_numpy()
    if (layer.groupby("unit")["city_code"].nunique() > 1).any():  # pragma: no cover - data
        raise InputError("a comparable unit spans two cities; the crosswalk is wrong.")
    out.index = out.index.rename("code")
    return out[list(layer.columns.drop("unit")) + ["members"]]
