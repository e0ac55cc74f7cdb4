"""Reproducible paper pipelines: a TOML config from a county panel to the report.

``spatialflow run`` (no config) runs the default on the embedded data: the real Guangdong
county layer, the clearly labelled SYNTHETIC panel, TFP and the income gap fitted with SAR,
SEM and SDM (two-way fixed effects, Lee-Yu) on queen weights, the report and the tables.
``spatialflow run --config run.toml`` does the same on the user's own panel, reading it with
:func:`spatialflow.datasets.read_county_panel`, building the measures from raw indicators
and fitting every outcome x model kind x weights specification.

Modules: :mod:`._schema` (every key, as pydantic models), :mod:`.config` (checks, errors,
:func:`config_reference`), :mod:`.inputs` (layer, data, measures, weights), :mod:`.run`
(planning, fitting, tables, report), :mod:`.output` (atomic folder, hashes).

>>> from spatialflow.pipeline import make_config
>>> make_config({"seed": 1.5})
Traceback (most recent call last):
...
spatialflow.exceptions.ConfigError: config key 'seed' expects an integer >= 0; 1.5 (float) was given.
"""
from .config import PipelineConfig, config_reference, load_config, make_config
from .runner import Plan, RunResult, plan, recovery_table, run

__all__ = ["PipelineConfig", "load_config", "make_config", "config_reference", "plan", "run",
           "Plan", "RunResult", "recovery_table"]
