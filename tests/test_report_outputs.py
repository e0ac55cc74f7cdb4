"""The report's files as a paper or a printer takes them (issue 20): palette PNGs and one
stylesheet in report.html, LaTeX floats / longtables that compile with xelatex (English, and
Chinese with ctex), Markdown that links long tables, and a PDF that prints every table.

xelatex and Chromium are optional: their tests skip when the program is not installed.
"""
from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.exceptions import OptionalDependencyError
from spatialflow.report import DEFAULT_INDICATORS, build
from spatialflow.report._tables import format_p
from spatialflow.report.document import _palette_png

# Mean absolute difference (0..255 scale) between a figure and its 256-colour palette copy:
# flat colours are exact, only anti-aliased edges and colour-bar gradients move slightly.
PALETTE_MEAN_ABS_DIFF = 1.0


@pytest.fixture(scope="module")
def small():
    gd = load_guangdong_counties()
    panel = synthetic_panel(gd, years=range(2018, 2023), seed=1)
    rep = build(panel, gd, indicators=DEFAULT_INDICATORS[:2], permutations=49, seed=1)
    return dict(gd=gd, panel=panel, rep=rep)


def _table_keys(rep):
    return [k for s in rep.sections for (what, k) in s.items if what == "table"]


def test_html_embeds_palette_pngs_and_one_table_stylesheet(small):
    html = small["rep"].as_html()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == len(small["rep"].figures) > 0
    for data in images:
        with Image.open(io.BytesIO(base64.b64decode(data))) as img:
            assert img.format == "PNG" and img.mode == "P"
            assert len(img.getcolors(maxcolors=256) or []) <= 256
    # the table renderer's stylesheet once, in the head; none inside the body
    assert html.count(".sf-summary {display: inline-block") == 1
    head, body = html.split("<body>", 1)
    assert "<style>" not in body and head.count("<style>") == 2
    # a print style and the script that opens folded tables for print
    assert "@media print" in head and "details::details-content" in head
    assert 'addEventListener("beforeprint"' in head


def test_palette_png_keeps_the_picture(small):
    fig = small["rep"].figures[next(iter(small["rep"].figures))]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    original = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    palette = Image.open(io.BytesIO(_palette_png(buf.getvalue())))
    assert palette.mode == "P" and palette.size == original.size
    diff = np.abs(np.asarray(original, dtype=float) - np.asarray(palette.convert("RGB"), dtype=float))
    assert diff.mean() < PALETTE_MEAN_ABS_DIFF
    assert len(_palette_png(buf.getvalue())) < 0.6 * len(buf.getvalue())


def test_pvalue_format():
    assert [format_p(p) for p in (0.0, 0.00049, 0.001, 0.0123, 0.5, float("nan"))] == \
        ["<0.001", "<0.001", "0.001", "0.012", "0.500", ""]


def test_latex_floats_captions_labels_and_long_tables(small, tmp_path):
    rep = small["rep"]
    folder = rep.to_latex(tmp_path / "tex")
    doc = (folder / "report.tex").read_text(encoding="utf-8")
    for key in _table_keys(rep):
        tex = (folder / "tables" / f"{key}.tex").read_text(encoding="utf-8")
        assert tex.count(r"\caption{") == 1 and f"\\label{{tab:{key}}}" in tex
        long = len(rep.tables[key]) > 40
        assert (r"\begin{longtable}" in tex) == long
        assert (r"\begin{table}" in tex) == (not long)
        assert r"\toprule" in tex and r"\bottomrule" in tex
        assert f"\\label{{tab:{key}}}" in doc
    # human headers, not codes
    assert "core\\_mean" not in (folder / "tables" / "deficits.tex").read_text(encoding="utf-8")
    # one caption per figure, numbered by LaTeX (no "Figure 1." typed into it)
    figures = re.findall(r"\\begin\{figure\}(.*?)\\end\{figure\}", doc, flags=re.S)
    assert len(figures) == len(rep.figures)
    for f in figures:
        assert f.count(r"\caption{") == 1
        assert not re.search(r"\\caption\{Figure \d", f)
    assert not re.search(r"\\caption\{Table \d", doc)
    # summary statements cite tables by \ref
    assert r"Table~\ref{tab:" in doc


def test_markdown_links_long_tables(small, tmp_path):
    rep = small["rep"]
    md = (rep.to_markdown(tmp_path / "md") / "report.md").read_text(encoding="utf-8")
    long = [k for k in _table_keys(rep) if len(rep.tables[k]) > 40]
    assert long
    for key in long:
        assert f"](tables/{key}.md)" in md
    # inline pipe tables: exactly the short ones (header + separator + rows each)
    short = [k for k in _table_keys(rep) if len(rep.tables[k]) <= 40]
    pipe_lines = [line for line in md.splitlines() if line.startswith("|")]
    assert len(pipe_lines) == sum(len(rep.tables[k]) + 2 for k in short)


def _xelatex(folder):
    for _ in range(2):  # second pass resolves \ref
        proc = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error",
                               "report.tex"], cwd=folder, capture_output=True, text=True,
                              timeout=240)
    log = (folder / "report.log").read_text(encoding="utf-8", errors="replace")
    return proc.returncode, log


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xelatex") is None, reason="xelatex is not installed")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_latex_compiles_with_xelatex(small, tmp_path, lang):
    rep = small["rep"] if lang == "en" else build(
        small["panel"], small["gd"], indicators=DEFAULT_INDICATORS[:2], permutations=49,
        seed=1, lang="zh", figures=False)
    folder = rep.to_latex(tmp_path / f"tex_{lang}")
    code, log = _xelatex(folder)
    assert code == 0, log[-3000:]
    assert "Missing character" not in log
    assert "undefined references" not in log
    assert (folder / "report.pdf").stat().st_size > 10_000
    if lang == "zh":
        assert "ctex" in log


@pytest.mark.skipif(shutil.which("chromium") is None or shutil.which("pdftotext") is None,
                    reason="needs chromium and pdftotext (poppler-utils)")
@pytest.mark.slow
def test_printed_pdf_holds_every_table(small, tmp_path):
    rep = small["rep"]
    pdf = rep.to_pdf(tmp_path / "report.pdf", browser=shutil.which("chromium"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    folded = [k for k in _table_keys(rep) if len(rep.tables[k]) > 40]
    assert folded  # the test covers tables folded away on screen
    for key in _table_keys(rep):
        caption = re.sub(r"\s+", " ", f"Table {rep._number('table', key)}. {rep._caption(key)}")
        assert caption[:60] in flat, key
    # the last row of a folded table made it onto paper too
    last = rep.display.get(folded[0], rep.tables[folded[0]])
    assert str(last.iloc[-1, 0]) in flat


def test_to_pdf_without_a_browser_names_what_is_missing(small, tmp_path, monkeypatch):
    monkeypatch.delenv("SPATIALFLOW_CHROMIUM", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(OptionalDependencyError, match="chromium"):
        small["rep"].to_pdf(tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()


def test_report_lisa_with_fdr(small):
    import esda

    from spatialflow.exceptions import InputError
    rep = build(small["panel"], small["gd"], indicators=DEFAULT_INDICATORS[:2], permutations=49,
                seed=1, lisa_fdr=0.1)  # the LISA is computed with the maps
    lisa = rep.tables["lisa"]
    for _, part in lisa.groupby("indicator"):
        cut = esda.fdr(part["p_sim"].to_numpy(), 0.1)
        expected = np.where(part["p_sim"] <= cut, part["quadrant"], "ns")
        assert (part["cluster"].to_numpy() == expected).all()
    default = small["rep"].tables["lisa"]
    assert (lisa["cluster"] != "ns").sum() <= (default["cluster"] != "ns").sum()
    assert "FDR q = 0.1" in rep.figures["lisa"].texts[0].get_text()
    with pytest.raises(InputError, match="lisa_fdr"):
        build(small["panel"], small["gd"], indicators=DEFAULT_INDICATORS[:2], figures=False,
              lisa_fdr=1.5)


def test_wide_long_table_splits_into_parts_repeating_the_key_columns():
    import pandas as pd

    from spatialflow.report import latex
    frame = pd.DataFrame({"code": [f"{i:06d}" for i in range(60)],
                          "name": [f"unit {i}" for i in range(60)],
                          **{f"v{j}": np.linspace(0, 1, 60) * j for j in range(19)}})
    tex = latex.table(frame, "Wide", "wide", ["a note"])
    parts = tex.count(r"\begin{longtable}")
    step = latex.MAX_COLUMNS - latex.KEY_COLUMNS
    assert parts == -(-19 // step)
    assert tex.count(r"\label{tab:wide}") == 1 and tex.count("(part 1 of") == 1
    for spec in re.findall(r"\\begin\{longtable\}\{([^\n]*)\}\n", tex):
        assert len(re.findall(r"[lr]|p\{", spec)) <= latex.MAX_COLUMNS
    # every part repeats code and name in its header
    assert tex.count("code & name &") == 2 * parts  # first head and continued head
    assert tex.count("a note") == 1
