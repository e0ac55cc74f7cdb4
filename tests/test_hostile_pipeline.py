"""Issue 27, the pipeline side: hostile inputs get typed errors and nothing is lost.

--overwrite replaces only a folder the package wrote (a manifest of ours whose hashes still
match), a year typo is named instead of growing an 18,000-period grid, unreadable files give
one typed error naming the file, a failing grid task stops the grid with its index, seed and
the completed results, a killed run's partial folder is cleaned by the next run (only ours),
and the output folder follows the config file and the umask.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialflow.cli import main
from spatialflow.exceptions import (ConfigError, ForeignFolderError, GridTaskError,
                                    InputError, PanelError, UnreadableFileError)
from spatialflow.pipeline import load_config, make_config, plan, run
from spatialflow.pipeline.output import MARKER, AtomicFolder, check_target, remove_stale

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_TOML = ROOT / "data" / "example.toml"
EXAMPLE_CSV = ROOT / "data" / "example_yearbook_synthetic.csv"


def _snapshot(folder: Path) -> dict:
    """Every file under ``folder`` with its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _small(out, **sections):
    base = {"seed": 1, "models": {"kinds": ["SAR"], "outcomes": ["income_gap"]},
            "effects": {"n_draws": 5}, "output": {"folder": str(out)}}
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return make_config(base)


# ----------------------------------------------------------------------------- bad case 1
def test_overwrite_refuses_a_web_app_folder_and_leaves_it_untouched(tmp_path, capsys):
    app = tmp_path / "app"
    app.mkdir()
    (app / "manifest.json").write_text(json.dumps({"name": "My App", "start_url": "/"}))
    (app / "index.html").write_text("<html>my app</html>")
    before = _snapshot(app)
    assert main(["run", "--out", str(app), "--overwrite", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "its manifest.json was not written by spatialflow" in err
    with pytest.raises(ForeignFolderError, match="was not written by spatialflow"):
        check_target(app, overwrite=True)
    assert _snapshot(app) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app"]


def test_overwrite_needs_every_hash_of_our_manifest_to_match(tmp_path, stub_report):
    target = tmp_path / "out"
    first = run(_small(target))
    # A forged manifest (our generator field, hashes that do not match) is not enough.
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "data.csv").write_text("precious")
    (forged / "manifest.json").write_text(json.dumps(
        {"generator": "spatialflow", "outputs": {"data.csv": "0" * 64}}))
    snapshot = _snapshot(forged)
    with pytest.raises(ForeignFolderError, match=r"\['data.csv'\] changed since spatialflow"):
        run(_small(forged, output={"overwrite": True}))
    assert _snapshot(forged) == snapshot
    # Our own output, edited by the user since the run: refused too, the edit kept.
    (target / "README.txt").write_text("my notes", encoding="utf-8")
    edited = _snapshot(target)
    with pytest.raises(ForeignFolderError, match=r"\['README.txt'\] changed"):
        run(_small(target, seed=2, output={"overwrite": True}))
    assert _snapshot(target) == edited
    # A manifest that lists a file outside the folder ("../x") never matches.
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["outputs"]["../secret"] = "0" * 64
    (target / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ForeignFolderError, match=r"listed but absent \['../secret'\]"):
        check_target(target, overwrite=True)
    assert first.manifest["generator"] == "spatialflow"


# ----------------------------------------------------------------------------- bad case 2
def _example_with(tmp_path, edit) -> Path:
    """A copy of the example config and data, with ``edit(lines)`` applied to the CSV."""
    shutil.copy(EXAMPLE_TOML, tmp_path / "example.toml")
    lines = EXAMPLE_CSV.read_text(encoding="utf-8").split("\n")
    edit(lines)
    (tmp_path / EXAMPLE_CSV.name).write_text("\n".join(lines), encoding="utf-8")
    return tmp_path / "example.toml"


def _year_typo(lines):
    header = lines[0].split(",")
    col = header.index("年份")
    cells = lines[5].split(",")
    assert cells[col] == "2018"
    cells[col] = "20189"
    lines[5] = ",".join(cells)


def test_a_year_typo_is_named_not_turned_into_an_18000_period_grid(tmp_path, capsys,
                                                                    monkeypatch):
    config = _example_with(tmp_path, _year_typo)
    source = (tmp_path / EXAMPLE_CSV.name).read_bytes()
    with pytest.raises(PanelError, match=r"period\(s\) far outside the others \(2014\.\.2023"
                                         r".*20189 at line 6 \(code='440103'\) \(2018\?\).*typo"):
        plan(config)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spatialflow: error: the time column 'year'") and "line 6" in err
    assert (tmp_path / EXAMPLE_CSV.name).read_bytes() == source
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["example.toml",
                                                                 EXAMPLE_CSV.name])


def test_missing_cells_use_the_observed_periods_only():
    from spatialflow.datasets import handle_missing, read_county_panel

    raw = pd.DataFrame({"code": ["a", "a", "b", "b"], "year": [2019, 30000, 2019, 30000],
                        "x": ["1", "2", "3", ""]})
    panel = read_county_panel(raw)  # two well-observed periods: not a typo
    with pytest.raises(Exception) as info:
        handle_missing(panel, ["x"], policy="raise")
    # one missing cell on a 2 x 2 grid (not 2 x 9,982 periods)
    assert "1 missing cell(s)" in str(info.value) and "(b, 30000, 'x')" in str(info.value)


# ----------------------------------------------------------------------------- bad case 3
def _config_for(tmp_path, data_name, **data):
    text = "\n".join(["[data]", f'path = "{data_name}"']
                     + [f'{k} = "{v}"' for k, v in data.items()]
                     + ["[models]", 'outcomes = ["tfp"]', 'regressors = ["labour_flow"]',
                        'kinds = ["SAR"]'])
    (tmp_path / "run.toml").write_text(text + "\n", encoding="utf-8")
    return tmp_path / "run.toml"


def _refused(tmp_path, capsys, name, error, match, **data):
    config = _config_for(tmp_path, name, **data)
    data_file = tmp_path / name
    before = data_file.read_bytes()
    with pytest.raises(error, match=match) as raised:
        plan(config)
    assert main(["check", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spatialflow: error: ") and err.count("\n") == 1
    assert data_file.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run.toml", name])
    return raised.value, err


def test_an_empty_csv_is_named(tmp_path, capsys):
    (tmp_path / "panel.csv").write_bytes(b"")
    error, line = _refused(tmp_path, capsys, "panel.csv", UnreadableFileError,
                           r"data file '.*panel.csv' is empty \(0 bytes\); export the table again")
    # the typed error and the command line's one-line message both name the culprit
    assert 'panel.csv' in str(error) and 'panel.csv' in line


def test_a_ragged_row_is_named_with_its_line(tmp_path, capsys):
    (tmp_path / "panel.csv").write_text("code,year,tfp\n440103,2020,1.0\n440104,2020,1,5\n")
    error, line = _refused(tmp_path, capsys, "panel.csv", UnreadableFileError,
                           r"panel.csv': line 3 has 4 fields where the header has 3")
    # the typed error and the command line's one-line message both name the culprit
    assert 'panel.csv' in str(error) and 'panel.csv' in line


def test_an_unknown_encoding_is_named(tmp_path, capsys):
    (tmp_path / "panel.csv").write_text("code,year,tfp\n440103,2020,1.0\n")
    error, line = _refused(tmp_path, capsys, "panel.csv", InputError,
                           r"encoding must be a known text encoding .*'utf9' was given", encoding="utf9")
    # the typed error and the command line's one-line message both name the culprit
    assert 'utf9' in str(error) and 'utf9' in line


def test_a_truncated_xlsx_is_named(tmp_path, capsys):
    pd.DataFrame({"code": ["440103"], "year": [2020], "tfp": [1.0]}).to_excel(
        tmp_path / "full.xlsx", index=False)
    whole = (tmp_path / "full.xlsx").read_bytes()
    (tmp_path / "full.xlsx").unlink()
    (tmp_path / "panel.xlsx").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(tmp_path / "panel.xlsx")   # truly truncated
    _refused(tmp_path, capsys, "panel.xlsx", UnreadableFileError,
             r"panel.xlsx' is not a readable Excel workbook \(BadZipFile.*truncated")


def test_a_csv_named_parquet_is_named(tmp_path, capsys):
    (tmp_path / "panel.parquet").write_text("code,year,tfp\n440103,2020,1.0\n")
    error, line = _refused(tmp_path, capsys, "panel.parquet", UnreadableFileError,
                           r"panel.parquet' is not a readable Parquet file \(ArrowInvalid.*give it the "
                           r"matching extension")
    # the typed error and the command line's one-line message both name the culprit
    assert 'panel.parquet' in str(error) and 'panel.parquet' in line


def test_a_gbk_config_is_named(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_bytes('[report]\ntitle = "广东县域要素流动"\n'.encode("gbk"))
    before = config.read_bytes()
    with pytest.raises(ConfigError, match=r"run.toml' is not UTF-8 text \(byte 0x[0-9a-f]{2} on "
                                          r"line 2; GBK.*save it again as UTF-8"):
        load_config(config)
    assert main(["check", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spatialflow: error: config file") and err.count("\n") == 1
    assert config.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["run.toml"]


def test_an_empty_crosswalk_edge_list_and_gal_file_are_named(tmp_path):
    from spatialflow.datasets import load_guangdong_counties
    from spatialflow.datasets.reader import _crosswalk
    from spatialflow.pipeline.inputs import build_weights

    (tmp_path / "cw.csv").write_bytes(b"")
    with pytest.raises(UnreadableFileError, match=r"crosswalk file '.*cw.csv' is empty"):
        _crosswalk(tmp_path / "cw.csv")
    (tmp_path / "edges.csv").write_text("focal,neighbor\n440103,440104\n440104,440103,1,2\n")
    cfg = make_config({"weights": [{"kind": "file", "path": "edges.csv"}]}, base=tmp_path)
    with pytest.raises(UnreadableFileError, match=r"edge-list file .* line 3 has 4 fields"):
        build_weights(cfg, load_guangdong_counties())
    (tmp_path / "w.gal").write_bytes(b"")
    cfg = make_config({"weights": [{"kind": "file", "path": "w.gal"}]}, base=tmp_path)
    with pytest.raises(UnreadableFileError, match=r"w.gal' is not a readable GAL file"):
        build_weights(cfg, load_guangdong_counties())


# ----------------------------------------------------------------------------- grid
def _fails_at_two(task, rng):
    if task == 2:
        raise ValueError("task two is broken")
    time.sleep(0.02)
    return float(task + rng.standard_normal())


_RAN: list = []


def _counted(task, rng):
    _RAN.append(task)
    return _fails_at_two(task, rng)


def test_a_failing_task_stops_the_grid_and_keeps_the_completed_results():
    from spatialflow.grid import run_grid, task_rngs

    expected = [float(t + r.standard_normal()) for t, r in zip(range(3), task_rngs(9, 30))]
    tasks = list(range(30))
    _RAN.clear()
    with pytest.raises(GridTaskError, match=r"grid task 2 \(2\) raised ValueError: task two is "
                                            r"broken.*SeedSequence\(entropy=9, spawn_key=\(2,\)\)"
                                            r".*2 of 30 task\(s\) completed") as info:
        run_grid(_counted, tasks, seed=9, executor="serial", progress=False)
    assert tasks == list(range(30))                # the caller's list is not touched
    err = info.value
    assert _RAN == [0, 1, 2]                       # serial: nothing after the failure ran
    assert (err.index, err.task) == (2, 2) and isinstance(err.__cause__, ValueError)
    assert err.seed.spawn_key == (2,) and err.seed.entropy == 9
    assert err.results[:2] == expected[:2] and err.results[2:] == [None] * 28
    # threads: the tasks not yet started are cancelled (one worker: at most the one running)
    _RAN.clear()
    with pytest.raises(GridTaskError, match="grid task 2") as info:
        run_grid(_counted, range(30), seed=9, executor="threads", max_workers=1,
                 progress=False)
    assert len(_RAN) < 30 and info.value.results[:2] == expected[:2]
    # processes: the same error, index and completed results
    with pytest.raises(GridTaskError, match="grid task 2") as info:
        run_grid(_fails_at_two, range(6), seed=9, executor="processes", max_workers=1,
                 progress=False)
    assert info.value.index == 2 and info.value.results[:2] == expected[:2]


def test_a_failing_task_on_dask_is_the_same_error():
    distributed = pytest.importorskip("distributed", reason="the Dask scheduler needs the dask extra")
    from spatialflow.grid import run_grid, task_rngs

    expected = [float(t + r.standard_normal()) for t, r in zip(range(4), task_rngs(9, 4))]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            with pytest.raises(GridTaskError, match="grid task 2") as info:
                run_grid(_fails_at_two, range(4), seed=9, scheduler=client, progress=False)
    err = info.value
    assert err.index == 2 and isinstance(err.__cause__, ValueError)
    done = [i for i, r in enumerate(err.results) if r is not None]
    # Dask runs in its own order: whatever completed is kept, with its own seed's value
    assert 2 not in done and all(err.results[i] == expected[i] for i in done)


def test_grid_arguments_are_checked():
    from spatialflow.grid import monte_carlo, run_grid

    with pytest.raises(InputError, match=r"n_reps must be a positive integer; 2.7 was given"):
        monte_carlo(_fails_at_two, 2.7, seed=0)
    with pytest.raises(InputError, match=r"max_workers must be an integer >= 1.*0 was given"):
        run_grid(_fails_at_two, [0], seed=0, max_workers=0)
    for seed in (-1, np.int64(-5), 1.5, True):
        with pytest.raises(InputError, match=r"seed must be an integer >= 0 or a numpy "
                                             r"SeedSequence"):
            run_grid(_fails_at_two, [0], seed=seed, executor="serial", progress=False)
        with pytest.raises(InputError, match=r"seed must be an integer >= 0"):
            monte_carlo(_fails_at_two, 1, seed=seed, executor="serial", progress=False)


# ----------------------------------------------------------------------------- folders
def _dead_process() -> dict:
    """The marker of a process that has ended (as a run killed with kill -9 leaves it)."""
    import socket

    import psutil
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = psutil.Process(child.pid).create_time()
    child.wait()
    return {"generator": "spatialflow", "host": socket.gethostname(), "pid": child.pid,
            "started": started}


def test_stale_partial_folders_are_removed_only_when_ours(tmp_path):
    import socket

    import psutil
    stale = tmp_path / ".out.partial-dead0001"
    stale.mkdir()
    (stale / MARKER).write_text(json.dumps(_dead_process()))
    (stale / "report.html").write_text("half written")
    alive = tmp_path / ".out.partial-live0001"     # a concurrent run, still writing
    alive.mkdir()
    (alive / MARKER).write_text(json.dumps(
        {"generator": "spatialflow", "host": socket.gethostname(), "pid": os.getpid(),
         "started": psutil.Process().create_time()}))
    foreign = tmp_path / ".out.partial-mine0001"   # the user's, named alike: no marker
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with AtomicFolder(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("new")
    assert not stale.exists()
    assert alive.is_dir() and (foreign / "keep.txt").read_text() == "mine"
    assert (tmp_path / "out" / "a.txt").read_text() == "new"
    assert not (tmp_path / "out" / MARKER).exists()


def test_a_kill_between_the_renames_restores_the_previous_output(tmp_path):
    old = tmp_path / ".out.old-dead0001"
    (old / "previous").mkdir(parents=True)
    (old / MARKER).write_text(json.dumps(_dead_process()))
    (old / "previous" / "report.html").write_text("the previous output")
    assert remove_stale(tmp_path / "out") == [old]
    assert (tmp_path / "out" / "report.html").read_text() == "the previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_ctrl_c_during_the_renames_waits_until_they_are_done(tmp_path, monkeypatch):
    import signal

    import spatialflow._io as output  # the one atomic-folder writer (issue 26)
    from spatialflow.pipeline.output import sha256_file

    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_text("old")
    (target / "manifest.json").write_text(json.dumps(
        {"generator": "spatialflow", "outputs": {"a.txt": sha256_file(target / "a.txt")}}))
    real_replace = os.replace
    calls = []

    def interrupted_replace(src, dst):
        calls.append(dst)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)   # arrives between the two renames
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        with AtomicFolder(target, overwrite=True) as tmp:
            (tmp / "a.txt").write_text("new")
    assert len(calls) == 2 and (target / "a.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_output_folder_mode_follows_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        with AtomicFolder(tmp_path / "out") as tmp:
            (tmp / "a.txt").write_text("1")
    finally:
        os.umask(previous)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755


def test_output_folder_is_relative_to_the_config_file(tmp_path, monkeypatch, stub_report):
    project = tmp_path / "project"
    project.mkdir()
    (project / "run.toml").write_text(
        'seed = 1\n[models]\nkinds = ["SAR"]\noutcomes = ["income_gap"]\n'
        '[effects]\nn_draws = 5\n[output]\nfolder = "results"\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    p = plan(project / "run.toml")
    assert Path(p.config.out) == project / "results"
    res = run(project / "run.toml")
    assert (project / "results" / "manifest.json").is_file() and res.folder == project / "results"
    assert list(elsewhere.iterdir()) == []
    # the command line's --out is relative to the current directory
    assert main(["run", "--config", str(project / "run.toml"), "--out", "here", "--quiet"]) == 0
    assert (elsewhere / "here" / "manifest.json").is_file()


def test_check_and_plan_ignore_an_existing_output_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spatialflow-output").mkdir()
    (tmp_path / "spatialflow-output" / "notes.txt").write_text("mine")
    p = plan(None)                    # the data are validated; the folder is not looked at
    assert len(p.models) == 6
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "note: the output folder" in out and "nothing was fitted or written" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spatialflow-output"]
    assert (tmp_path / "spatialflow-output" / "notes.txt").read_text() == "mine"


# ----------------------------------------------------------------------------- manifest
def test_manifest_records_the_version_and_only_the_settings_that_applied(tmp_path, stub_report):
    import spatialflow

    res = run(_small(tmp_path / "panel"))
    m = res.manifest
    assert m["generator"] == "spatialflow" and m["distribution"] == "spatialflow-econ"
    assert m["spatialflow_version"] == spatialflow.__version__ == m["versions"]["spatialflow"]
    assert m["config"]["models"]["effects"] == "twoway"
    from spatialflow.datasets import load_guangdong_counties, synthetic_panel
    layer = load_guangdong_counties()
    one = synthetic_panel(layer, years=range(2019, 2021), seed=5).query("year == 2020").drop(
        columns=["region", "core"])
    one.to_csv(tmp_path / "p.csv", index=False)
    cfg = make_config({"data": {"path": "p.csv", "synthetic": True},
                       "models": {"outcomes": ["tfp"], "kinds": ["SAR"],
                                  "regressors": ["labour_flow"]},
                       "effects": {"n_draws": 5}, "output": {"folder": "cross"}},
                      base=tmp_path)
    cross = run(cfg).manifest
    assert "effects" not in cross["config"]["models"]
    assert "bias_correction" not in cross["config"]["models"]
    assert cross["config"]["models"]["kinds"] == ["SAR"]


# ----------------------------------------------------------------------------- packaging
def test_one_version_in_the_package_the_citation_and_the_changelog():
    import re

    import spatialflow

    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert cff.startswith("cff-version: 1.2.0\n")
    assert re.search(r'^version: "([^"]+)"$', cff, re.M).group(1) == spatialflow.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog and f"## [{spatialflow.__version__}]" in changelog
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "spatialflow-econ"' in pyproject and spatialflow.DISTRIBUTION in pyproject
    assert 'version = { attr = "spatialflow.__version__" }' in pyproject
