"""Datasets: the embedded Guangdong county layer, the national county loader, projections.

>>> from spatialflow.datasets import load_guangdong_counties, to_metric
>>> gd = load_guangdong_counties()
>>> gd["region"].value_counts().to_dict()
{'PRD': 50, 'North': 37, 'East': 19, 'West': 18}
"""
from .._crs import CHINA_ALBERS, GUANGDONG_ALBERS, to_metric
from .census import (census_crosswalk, census_indicators, load_guangdong_census,
                     load_guangdong_census_units)
from .china import load_china_counties
from .guangdong import REGIONS, load_guangdong_counties, load_regions
from .reader import CountyPanel, handle_missing, read_county_panel
from .synthetic import DEFAULT_TRUTH, synthetic_panel

__all__ = [
    "load_guangdong_counties",
    "load_guangdong_census",
    "load_guangdong_census_units",
    "census_crosswalk",
    "census_indicators",
    "load_regions",
    "load_china_counties",
    "to_metric",
    "GUANGDONG_ALBERS",
    "CHINA_ALBERS",
    "REGIONS",
    "synthetic_panel",
    "DEFAULT_TRUTH",
    "read_county_panel",
    "handle_missing",
    "CountyPanel",
]
