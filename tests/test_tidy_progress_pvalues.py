"""Tables like etable (issue 20, item 8): effects in tidy long form with tidy()'s columns,
one p-value format everywhere, and progress bars only where someone watches."""
from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow._progress import show_progress
from spatialflow._render import format_pvalue, p_text
from spatialflow.exceptions import InputError
from spatialflow.grid import run_grid
from spatialflow.report._tables import format_p


@pytest.fixture(scope="module")
def sdm(columbus):
    df, w = columbus
    return sf.SDM.from_formula("CRIME ~ INC + HOVAL", data=df, w=w).fit()


def test_effects_tidy_is_the_wide_frame_in_long_form(sdm):
    wide = sdm.effects(n_draws=300, seed=4, level=0.9)
    long = sdm.effects(n_draws=300, seed=4, level=0.9, tidy=True)
    # the vocabulary of results.tidy(), plus which effect
    assert list(long.columns) == ["term", "effect", *[c for c in sdm.tidy().columns
                                                      if c != "term"]]
    assert len(long) == 3 * len(wide)
    for _, r in long.iterrows():
        e = r["effect"]
        assert r["estimate"] == wide.loc[r["term"], e]
        assert r["std_error"] == wide.loc[r["term"], f"{e}_std_error"]
        assert r["statistic"] == wide.loc[r["term"], f"{e}_statistic"]
        assert r["p_value"] == wide.loc[r["term"], f"{e}_p_value"]
        assert (r["lower"], r["upper"]) == (wide.loc[r["term"], f"{e}_lower"],
                                            wide.loc[r["term"], f"{e}_upper"])
    assert list(long["effect"].iloc[:3]) == ["direct", "indirect", "total"]
    totals = long[long["effect"] == "total"].set_index("term")["estimate"]
    parts = long[long["effect"] != "total"].groupby("term")["estimate"].sum()
    np.testing.assert_allclose(parts.reindex(totals.index), totals, rtol=1e-12)


def test_effects_tidy_blocks(sdm, columbus):
    df, _ = columbus
    half = pd.Series(np.where(np.arange(len(df)) < 24, "north", "south"), index=df.index)
    wide = sdm.effects(n_draws=200, seed=2, partition=half)
    long = sdm.effects(n_draws=200, seed=2, partition=half, tidy=True)
    assert list(long.columns[:9]) == ["term", "from", "to", "estimate", "std_error",
                                      "statistic", "p_value", "lower", "upper"]
    np.testing.assert_array_equal(long["estimate"], wide["estimate"])
    np.testing.assert_array_equal(long["p_value"], wide["p_value"])


def test_effects_tidy_must_be_a_bool(sdm):
    with pytest.raises(InputError, match="tidy must be True or False; 'yes' was given"):
        sdm.effects(n_draws=10, tidy="yes")


def test_one_pvalue_format_everywhere(sdm):
    assert format_p is format_pvalue        # the report's and the summary's are one function
    assert [format_pvalue(p) for p in (1e-12, 0.0009999, 0.001, 0.04999, 0.5)] == \
        ["<0.001", "<0.001", "0.001", "0.050", "0.500"]
    assert p_text(1e-5) == "p < 0.001" and p_text(0.0468) == "p = 0.047"
    # summary(): every p-value cell is in that format
    text = sdm.summary().as_text()
    cells = [format_pvalue(p) for p in sdm.pvalues]
    assert "<0.001" in cells
    for cell in cells:
        assert cell in text
    assert not any(s in text for s in ("0.0000", "e-0"))


def test_progress_switch(monkeypatch):
    assert show_progress(True) is True and show_progress(False) is False
    monkeypatch.setattr(sys, "stderr", io.StringIO())    # a log file, not a terminal
    assert show_progress(None) is False

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Tty())
    assert show_progress(None) is True
    with pytest.raises(InputError, match="progress must be True, False or None"):
        show_progress("auto")


def _square(task, rng):
    return task * task


def test_grid_is_quiet_by_default_off_a_terminal(capfd):
    assert run_grid(_square, [1, 2, 3], seed=1, executor="serial") == [1, 4, 9]
    assert capfd.readouterr().err == ""
    run_grid(_square, [1, 2, 3], seed=1, executor="serial", progress=True)
    assert "grid:" in capfd.readouterr().err   # forced on: a bar, even in a log
