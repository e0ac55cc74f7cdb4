"""The default pipeline and the command line on the embedded data."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from spatialflow.cli import main
from spatialflow.exceptions import InputError
from spatialflow.pipeline import PipelineConfig, run


def test_pipeline_writes_tables_and_a_manifest(tmp_path):
    out = run(PipelineConfig(out=str(tmp_path), n_draws=200, seed=1))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config"]["seed"] == 1
    assert "SYNTHETIC" in manifest["data_notice"]
    assert set(manifest["inputs"]) == {"guangdong_counties.parquet", "regions.csv"}
    for name in manifest["outputs"]:
        assert (tmp_path / name).exists(), name
    assert manifest["versions"]["spatialflow"] is not None
    # The layer summary is the standard grouping: 9 / 4 / 3 / 5 cities, 124 units.
    layer = out["layer"]
    assert layer["cities"].to_dict() == {"East": 4, "North": 5, "PRD": 9, "West": 3}
    assert layer["units"].sum() == 124
    # The synthetic process's parameters are recovered within 4 standard errors.
    rec = out["recovery"]
    z = (rec["estimate"] - rec["true"]) / rec["estimate_se"]
    assert np.all(np.abs(z) < 4), rec
    # Blocks add up to the total effects.
    totals = out["blocks"].groupby("variable")["effect"].sum()
    np.testing.assert_allclose(totals.loc[out["effects"].index], out["effects"]["total"],
                               rtol=1e-10)


def test_pipeline_is_reproducible(tmp_path):
    a = run(PipelineConfig(out=str(tmp_path / "a"), n_draws=50))
    b = run(PipelineConfig(out=str(tmp_path / "b"), n_draws=50))
    assert a["manifest"]["outputs"] == b["manifest"]["outputs"]


def test_cli_run_prints_the_synthetic_notice(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path), "--draws", "50"]) == 0
    printed = capsys.readouterr().out
    assert "SYNTHETIC" in printed and "Core/periphery spillover blocks" in printed
    blocks = pd.read_csv(tmp_path / "synthetic_core_periphery_blocks.csv")
    assert set(blocks["from"]) == {"core", "periphery"}


def test_every_result_file_is_labelled_synthetic(tmp_path):
    out = run(PipelineConfig(out=str(tmp_path), n_draws=20))
    for name in out["manifest"]["outputs"]:
        if name in ("layer_summary.csv", "weights_summary.json", "README.txt"):
            continue  # real polygons only
        assert name.startswith("synthetic_"), name
    for name in ("synthetic_sdm_summary.txt", "synthetic_sdm_summary.md",
                 "synthetic_sdm_summary.html", "README.txt"):
        assert "SYNTHETIC" in (tmp_path / name).read_text(encoding="utf-8"), name
    notice = out["panel"].attrs["description"]
    # The summary itself carries the notice (read from model.data.attrs), exactly once per
    # file, and the text files end with a newline.
    assert out["results"].summary(include_effects=False).warnings == (notice,)
    for name in ("synthetic_sdm_summary.txt", "synthetic_sdm_summary.md"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n"), name
        assert " ".join(text.split()).count(notice) == 1, name
    # The HTML file is a full UTF-8 document with the notice inside the body, before the tables.
    page = (tmp_path / "synthetic_sdm_summary.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert page.index("<body>") < page.index(notice) < page.index("<table")
    assert page.count(notice) == 1 and page.rstrip().endswith("</html>")


def test_cli_weights_choices_and_bare_options(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "knn"), "--weights", "knn", "--draws", "20"]) == 0
    assert "Spatial weights (knn" in capsys.readouterr().out
    assert main(["run", "--out", str(tmp_path / "idw"), "--weights", "inverse_distance",
                 "--draws", "20"]) == 0


def test_pipeline_rejects_weights_that_need_options(tmp_path):
    import pytest
    from spatialflow.exceptions import InputError
    with pytest.raises(InputError, match="economic"):
        run(PipelineConfig(out=str(tmp_path), weights="economic"))


def test_cli_layer_prints_the_layer_and_the_island(capsys):
    assert main(["layer", "--head", "3"]) == 0
    out = capsys.readouterr().out
    assert "440523" in out and "n_components" in out and "PRD" in out


def test_config_file_drives_the_run_and_options_override_it(tmp_path, capsys):
    import pytest
    from spatialflow.exceptions import InputError
    from spatialflow.pipeline import load_config

    cfg = tmp_path / "run.toml"
    cfg.write_text('seed = 7\nweights = "rook"\nyears = [2016, 2020]\nn_draws = 30\n'
                   'formula = "tfp ~ labour_flow + capital_flow"\nbias_correction = "none"\n')
    config = load_config(cfg, out=str(tmp_path / "o"))
    assert (config.seed, config.weights, config.years, config.bias_correction) == \
        (7, "rook", (2016, 2020), None)
    assert main(["run", "--config", str(cfg), "--out", str(tmp_path / "o"), "--seed", "8"]) == 0
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["config"]["seed"] == 8 and manifest["config"]["weights"] == "rook"
    assert manifest["config"]["years"] == [2016, 2020]
    assert "rook" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('seed = 1\nn_draw = 10\n')
    with pytest.raises(InputError, match=r"unknown key\(s\) \['n_draw'\]"):
        load_config(bad)
    bad.write_text('years = [2020, 2016]\n')
    with pytest.raises(InputError, match="first < last"):
        load_config(bad)


@pytest.mark.parametrize("field, value, message", [
    ("seed", 1.5, r"seed must be a non-negative integer; 1\.5 \(float\) was given"),
    ("seed", -1, r"seed must be a non-negative integer; -1 \(int\)"),
    ("seed", "x", r"seed must be a non-negative integer; 'x' \(str\)"),
    ("seed", True, r"seed must be a non-negative integer; True \(bool\)"),
    ("n_draws", 2.5, r"n_draws must be an integer >= 1; 2\.5 \(float\)"),
    ("n_draws", "100", r"n_draws must be an integer >= 1; '100' \(str\)"),
    ("n_draws", 0, r"n_draws must be an integer >= 1; 0 \(int\)"),
    ("years", (2014.0, 2020), r"years must be \[first, last\] integers"),
    ("formula", None, r"formula must be a string"),
    ("out", 5, r"out must be a folder path; 5 was given"),
    ("effects", "random", r"effects must be 'unit', 'time' or 'twoway'"),
    ("bias_correction", "lee_yu", r"bias_correction must be 'lee-yu' or None"),
])
def test_config_values_are_checked_before_anything_is_written(tmp_path, field, value, message):
    out = tmp_path / "never"
    with pytest.raises(InputError, match=message):
        PipelineConfig(**{"out": str(out), field: value})
    assert not out.exists()


def test_config_file_with_a_float_seed_is_refused(tmp_path):
    from spatialflow.pipeline import load_config

    cfg = tmp_path / "run.toml"
    cfg.write_text("seed = 1.5\n")
    with pytest.raises(InputError, match=r"seed must be a non-negative integer; 1\.5"):
        load_config(cfg)


def test_cli_reports_a_bad_setting_without_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit, match="2"):
        main(["run", "--out", str(tmp_path / "o"), "--seed", "-1"])
    assert "spatialflow: error: seed must be a non-negative integer; -1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_layer_head_must_not_be_negative(capsys):
    with pytest.raises(SystemExit, match="2"):
        main(["layer", "--head", "-1"])
    assert "must be >= 0; -1 was given" in capsys.readouterr().err
