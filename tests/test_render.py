"""Tests of spatialflow._render: number formats, display width, render_frame."""
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from spatialflow._render import (display_width, format_column, format_number, format_pvalue,
                                 render_frame, significance_stars)
from spatialflow.exceptions import InputError


def test_render_is_a_leaf_module():
    import ast
    import pathlib

    import spatialflow._render as r
    tree = ast.parse(pathlib.Path(r.__file__).read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    inner = [m for m in imported if m and m.startswith(("spatialflow", "."))]
    # only the exceptions module, nothing of models/ or report/
    assert set(inner) <= {"exceptions", ".exceptions"}


def test_format_column_never_mixes_fixed_and_scientific():
    cells = format_column([0.004898, 4.004e-05, -0.25])
    assert cells == ["4.898e-03", "4.004e-05", "-2.500e-01"]
    assert format_column([1.25, 0.00123]) == ["1.250000", "0.001230"]
    assert format_column([1.25, -0.5, 12, None, np.nan]) == ["1.2500", "-0.5000", "12", "", ""]
    assert format_column([1.5e7, 2.0]) == ["1.500e+07", "2.000e+00"]
    assert format_column([0.0, 0.0]) == ["0.0000", "0.0000"]
    assert format_column([0.04, 1e-9], pvalue=True) == ["0.040", "<0.001"]
    # the one-value rule is unchanged
    assert format_number(0.004898) == "0.004898" and format_number(4.004e-05) == "4.004e-05"
    assert format_pvalue(0.5) == "0.500" and significance_stars(0.04) == "**"


def test_display_width_counts_wide_characters_twice():
    assert display_width("广州市") == 6
    assert display_width("Nan'ao 南澳县") == 13
    assert display_width("ＡＢ") == 4  # full-width Latin
    assert display_width("e\u0301") == 1  # combining accent


def test_text_table_aligns_chinese_names_by_display_width():
    df = pd.DataFrame({"县": ["南澳县", "Doumen", "从化区"], "gap": [2.41, 0.5, 12.25]})
    text = render_frame(df, "text", index=False, title="收入差距")
    lines = [l for l in text.splitlines() if "0" in l and not set(l) <= {"=", "-"}]
    ends = {display_width(l) for l in lines}
    assert len(ends) == 1, lines  # numbers right-aligned on the same display column
    rule = next(l for l in text.splitlines() if set(l) == {"="})
    assert all(display_width(l) <= len(rule) for l in text.splitlines())


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "html"])
def test_render_frame_every_format(fmt):
    df = pd.DataFrame({"coef": [0.004898, 4.004e-05], "p": [0.01, 0.2], "name": ["a_b", "c&d"]},
                      index=pd.Index(["x1", "x2"], name="var"))
    out = render_frame(df, fmt, title="Table 1", notes=["Source: test."])
    assert "4.898e-03" in out and "4.004e-05" in out and "0.004898" not in out
    assert "Table 1" in out and "Source: test." in out
    if fmt == "latex":
        assert r"a\_b" in out and r"c\&d" in out and r"\toprule" in out
    if fmt == "html":
        root = ET.fromstring(out.replace("<style>", "<style><![CDATA[").replace("</style>", "]]></style>"))
        assert [t.get("class") for t in root.iter("table")] == ["sf-table"]
        assert "c&d" in "".join(root.itertext())
    if fmt == "markdown":
        assert "|:---|---:|---:|:---|" in out


def test_render_frame_options():
    df = pd.DataFrame({"a": [1.23456, 2.0], "b": [0.5, 0.25]})
    out = render_frame(df, "text", index=False, float_format=".2f")
    assert "1.23" in out and "0.50" in out and "\n0" not in out
    out = render_frame(df, "markdown", float_format={"a": "{:.1f}"})
    assert "| 1.2 |" in out and "0.5000" in out
    with pytest.raises(InputError, match=r"fmt must be one of .*'pdf' was given"):
        render_frame(df, "pdf")
    with pytest.raises(InputError, match=r"float_format names columns \['z'\]"):
        render_frame(df, "text", float_format={"z": ".1f"})
    with pytest.raises(InputError, match="needs a pandas DataFrame; list was given"):
        render_frame([1, 2], "text")
    multi = df.set_index(pd.MultiIndex.from_tuples([("g", 1), ("g", 2)], names=["grp", "k"]))
    assert "grp" in render_frame(multi, "text")


def test_html_tables_are_compact_in_notebooks():
    # JupyterLab and the classic notebook set `table-layout: fixed` and auto margins on every
    # table of an output: the scoped rule must reset both, and the box must shrink to fit.
    out = render_frame(pd.DataFrame({"a": [1.0]}), "html")
    assert "table.sf-table {" in out and "table-layout: auto" in out
    assert "width: fit-content" in out
