"""Tests of spatialflow.models.results.summary: Summary renderers and compare().

Numbers shown must equal the results' numbers to the shown precision (4 decimals; p-values 3,
or "<0.001"), so the tests parse the rendered text/markdown/LaTeX/HTML back and compare with the source values
within half a unit of the last shown decimal (``SHOWN_ATOL``).

The rendering tests use real fits on Columbus (old columns; ``columbus`` fixture of
conftest.py). Cases that need controlled numbers (p-values at the star boundaries, effects
that fail, panel info) use stand-in namespaces carrying the Columbus estimates of R spatialreg
(tests/reference/columbus/columbus_ref.txt, script columbus.R beside it) and only the
SpatialResults attributes of docs/design.md.
"""
from __future__ import annotations

import re
import types
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import spatialflow
from spatialflow.exceptions import InputError
from spatialflow.models.results.summary import (
    Comparison,
    Summary,
    compare,
    format_number,
    format_pvalue,
    make_summary,
    significance_stars,
)

# Values are shown with 4 decimals: a shown number is within half a unit of the 4th decimal.
SHOWN_ATOL = 0.5e-4 + 1e-12
NUM = r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?"


def _stand_in(kind, params, bse, *, llf, sigma2, nobs=49, endog_name="CRIME",
              effects=None, panel=None):
    """A results-like namespace with the SpatialResults attributes summary uses."""
    params = pd.Series(params, dtype=float)
    bse = pd.Series(bse, dtype=float).reindex(params.index)
    z = params / bse
    k = len(params) + 1  # + sigma2
    spatial = "rho" if "rho" in params.index else ("lambda" if "lambda" in params.index else None)
    calls = []

    def effects_method(n_draws=1000, seed=0, **kwargs):
        calls.append((n_draws, seed))
        if isinstance(effects, Exception):
            raise effects
        return effects.copy()

    lagged = [n[2:] for n in params.index if n.startswith("W_")]
    return types.SimpleNamespace(
        kind=kind,
        params=params,
        bse=bse,
        tvalues=z,
        pvalues=pd.Series(2 * stats.norm.sf(np.abs(z)), index=params.index),
        llf=llf,
        aic=-2 * llf + 2 * k,
        bic=-2 * llf + k * np.log(nobs),
        sigma2=sigma2,
        nobs=nobs,
        k=k,
        spatial_param=spatial,
        converged=True,
        panel=panel,
        exog_names=[n for n in params.index if n not in ("rho", "lambda") and not n.startswith("W_")],
        lagged_names=lagged,
        model=types.SimpleNamespace(endog_name=endog_name),
        effects=effects_method if effects is not None else None,
        effect_calls=calls,
    )


# R spatialreg, Columbus oldcol: SDM impacts (mixed, exact) with simulated SE, z and p.
SDM_EFFECTS = pd.DataFrame(
    {
        "direct": [-1.0238910, -0.2792275],
        "indirect": [-1.476711, 0.195385],
        "total": [-2.50060224, -0.08384256],
        "direct_std_error": [0.32674338, 0.09310634],
        "indirect_std_error": [0.8522080, 0.3190201],
        "total_std_error": [0.9072600, 0.3537437],
        "direct_statistic": [-3.098592, -3.022782],
        "indirect_statistic": [-1.7699293, 0.6182655],
        "total_statistic": [-2.7784673, -0.2380284],
        "direct_p_value": [0.0019444, 0.0025046],
        "indirect_p_value": [0.076739, 0.536400],
        "total_p_value": [0.0054616, 0.8118590],
    },
    index=pd.Index(["INC", "HOVAL"]),
)


# R spatialreg, Columbus oldcol: SAR impacts (lag, exact) with simulated SE only, so the
# summary must fall back to the normal approximation for z, p and the interval.
SAR_EFFECTS = pd.DataFrame(
    {
        "direct": [-1.0860220, -0.2799509],
        "indirect": [-0.7270848, -0.1874254],
        "total": [-1.8131068, -0.4673763],
        "direct_std_error": [0.30645805, 0.09555386],
        "indirect_std_error": [0.4049343, 0.1343259],
        "total_std_error": [0.5952751, 0.2054061],
    },
    index=pd.Index(["INC", "HOVAL"]),
)


def sdm(effects=SDM_EFFECTS, **kw):
    return _stand_in(
        "SDM",
        {"Intercept": 42.8224128, "INC": -0.9142232, "HOVAL": -0.2937378,
         "W_INC": -0.5202835, "W_HOVAL": 0.2456403, "rho": 0.4263355},
        {"Intercept": 12.66720432, "INC": 0.33109401, "HOVAL": 0.08921192,
         "W_INC": 0.56512898, "W_HOVAL": 0.17891745, "rho": 0.1562344},
        llf=-181.3935, sigma2=91.79122, effects=effects, **kw,
    )


def sar(effects=SAR_EFFECTS, **kw):
    return _stand_in(
        "SAR",
        {"Intercept": 45.0792499, "INC": -1.0316157, "HOVAL": -0.2659263, "rho": 0.4310232},
        {"Intercept": 7.17734651, "INC": 0.30514297, "HOVAL": 0.08849862, "rho": 0.1176807},
        llf=-182.3904, sigma2=95.4945, effects=effects, **kw,
    )


def sem(**kw):
    return _stand_in(
        "SEM",
        {"Intercept": 59.8932190, "INC": -0.9413120, "HOVAL": -0.3022502, "lambda": 0.5617903},
        {"Intercept": 5.36616256, "INC": 0.33056857, "HOVAL": 0.09047605, "lambda": 0.1338687},
        llf=-183.3805, sigma2=95.5745, **kw,
    )


@pytest.fixture(scope="module")
def fits(columbus):
    """Real fits of every cross-section kind on Columbus, CRIME ~ INC + HOVAL."""
    df, w = columbus
    # R's reference tables (method="eigen") report the expected information: like with like.
    return {kind: getattr(spatialflow, kind).from_formula("CRIME ~ INC + HOVAL", data=df, w=w).fit(
                **({} if kind in ("OLS", "SLX") else {"information": "expected"}))
            for kind in ("OLS", "SLX", "SAR", "SEM", "SDM", "SDEM")}


def _numbers(line):
    return [float(x) for x in re.findall(NUM, line)]


def _cell(text):
    """A shown number; the p-value floor ``<0.001`` (LaTeX ``\\textless{}0.001``) as 0.001."""
    return float(text.replace(r"\textless{}", "").removeprefix("<"))


# P-values print with 3 decimals, and "<0.001" below 0.001 (issue 20: one p-value format).
PVALUE_ATOL = 0.5e-3 + 1e-12


def _assert_row_matches(numbers, expected, p_at=3):
    """Estimate, SE, statistic and interval within half a unit of their 4th decimal; the
    p-value (position ``p_at``) within half a unit of its 3rd, or below the 0.001 floor."""
    keep = [i for i in range(len(expected)) if i != p_at]
    np.testing.assert_allclose([numbers[i] for i in keep], [expected[i] for i in keep],
                               rtol=0, atol=SHOWN_ATOL)
    shown, p = numbers[p_at], expected[p_at]
    if not (shown == 0.001 and p < 0.001):
        assert abs(shown - p) <= PVALUE_ATOL, (shown, p)


def _coef_expected(res, name):
    crit = (stats.t.ppf(0.975, res.df_resid) if getattr(res, "use_t", False)
            else stats.norm.ppf(0.975))
    p, s = res.params[name], res.bse[name]
    return [p, s, res.tvalues[name], res.pvalues[name], p - crit * s, p + crit * s]


# --------------------------------------------------------------------------- formatting
def test_format_number_rule():
    assert format_number(-1.03161574) == "-1.0316"
    assert format_number(45.0792499) == "45.0792"
    assert format_number(12345678.9) == "1.2346e+07"
    assert format_number(1.2e-6) == "1.200e-06"
    # below 0.01: 4 significant digits, not 4 decimals (QA: sigma2 shown as 0.0004)
    assert format_number(0.00039123) == "0.0003912"
    assert format_number(-0.0062449) == "-0.006245"
    assert format_number(0.001) == "0.001000"
    assert format_number(3.9123e-05) == "3.912e-05"
    assert format_number(0.01) == "0.0100"
    assert format_number(0.0) == "0.0000"
    assert format_number(np.int64(49)) == "49"
    assert format_number(float("nan")) == ""
    assert format_number(True) == "yes"
    # one p-value format (issue 20): 3 decimals, "<0.001" below 0.001
    assert format_pvalue(1e-9) == "<0.001"
    assert format_pvalue(0.04999) == "0.050"


@pytest.mark.parametrize("p, expected", [(0.009, "***"), (0.04, "**"), (0.09, "*"), (0.2, ""),
                                         (0.01, "**"), (0.05, "*"), (0.10, ""), (np.nan, "")])
def test_significance_stars_boundaries(p, expected):
    assert significance_stars(p) == expected


# --------------------------------------------------------------------------- Summary
@pytest.mark.parametrize("kind", ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM"])
def test_summary_text_values_match_params(fits, kind):
    res = fits[kind]
    summ = res.summary(include_effects=False)
    assert isinstance(summ, Summary)
    text = summ.as_text()
    assert str(summ) == text
    lines = text.splitlines()
    for name in res.params.index:
        line = next(l for l in lines if l.split()[0] == name)
        _assert_row_matches(_numbers(line.split(maxsplit=1)[1]), _coef_expected(res, name))
    assert "[0.025" in text and "0.975]" in text


def test_summary_header_values(fits):
    res = fits["SDM"]
    text = res.summary(include_effects=False).as_text()
    for label, value in [("Log-likelihood:", res.llf), ("AIC:", res.aic), ("BIC:", res.bic),
                         ("sigma2:", res.sigma2), ("rho:", res.params["rho"]),
                         ("SE(rho):", res.bse["rho"])]:
        assert f"{label}" in text
        shown = re.search(re.escape(label) + r"\s+(" + NUM + ")", text).group(1)
        assert float(shown) == pytest.approx(value, rel=0, abs=SHOWN_ATOL)
    assert re.search(r"Dep\. variable:\s+CRIME", text)
    assert re.search(r"No\. observations:\s+49\b", text)
    assert re.search(r"No\. parameters:\s+7\b", text)
    assert re.search(r"Converged:\s+yes", text)
    assert re.search(r"Model:\s+SDM", text)


def test_summary_level(fits):
    res = fits["SAR"]
    coefs = res.summary(include_effects=False, level=0.90).tables[1]
    assert list(coefs.columns[-2:]) == ["[0.05", "0.95]"]
    np.testing.assert_allclose(coefs["0.95]"], res.conf_int(0.90)["upper"], rtol=1e-12)
    with pytest.raises(InputError, match=r"strictly between 0 and 1; 95 was given"):
        res.summary(level=95)


def test_summary_default_endog_name_is_y():
    res = sar()
    res.model = types.SimpleNamespace()
    assert re.search(r"Dep\. variable:\s+y\b", make_summary(res).as_text())


@pytest.mark.parametrize("kind", ["OLS", "SDM"])
def test_summary_interval_matches_conf_int(fits, kind):
    res = fits[kind]
    coefs = res.summary(include_effects=False).tables[1]
    ci = res.conf_int(0.95)
    np.testing.assert_allclose(coefs["[0.025"], ci["lower"], rtol=1e-12)
    np.testing.assert_allclose(coefs["0.975]"], ci["upper"], rtol=1e-12)
    assert ("t" in coefs.columns) == (kind == "OLS")  # OLS reports t inference


def test_summary_matches_r_reference(fits):
    # R spatialreg lagsarlm(type="mixed"), Columbus oldcol: rho 0.4263355 (se 0.1562344),
    # logLik -181.3935 -- the end-to-end path from fit to rendered text.
    text = fits["SDM"].summary(include_effects=False).as_text()
    assert re.search(r"rho:\s+0\.4263\b", text) and re.search(r"SE\(rho\):\s+0\.1562\b", text)
    assert re.search(r"Log-likelihood:\s+-181\.3935\b", text)


def test_summary_real_effects(fits):
    res = fits["SDM"]
    eff = res.effects(n_draws=1000, seed=0)
    table = res.summary().tables[2]
    np.testing.assert_allclose(table.xs("total", level="effect")["estimate"], eff["total"], rtol=1e-14)
    np.testing.assert_allclose(table.xs("indirect", level="effect")["std err"], eff["indirect_std_error"],
                               rtol=1e-14)


def test_summary_tables_are_exportable_frames():
    res = sdm()
    summ = make_summary(res)
    header, coefs, effects = summ.tables
    pd.testing.assert_series_equal(coefs["coef"], res.params, check_names=False)
    pd.testing.assert_series_equal(coefs["std err"], res.bse, check_names=False)
    crit = stats.norm.ppf(0.975)
    np.testing.assert_allclose(coefs["[0.025"], res.params - crit * res.bse, rtol=1e-14)
    np.testing.assert_allclose(coefs["0.975]"], res.params + crit * res.bse, rtol=1e-14)
    assert header.loc["Log-likelihood", "value"] == res.llf
    assert list(effects.index) == [(v, e) for v in ("INC", "HOVAL") for e in ("direct", "indirect", "total")]
    np.testing.assert_allclose(effects.loc[("INC", "indirect"), "std err"], 0.8522080, rtol=1e-14)
    # total = direct + indirect holds in the displayed table as in the source
    for var in ("INC", "HOVAL"):
        d, i, t = (effects.loc[(var, e), "estimate"] for e in ("direct", "indirect", "total"))
        assert t == pytest.approx(d + i, rel=1e-5)  # R printed 7 digits
    # exported copies cannot alter the summary
    exported = summ.tables[1]
    exported.iloc[0, 0] = 0.0
    assert summ.tables[1].iloc[0, 0] == res.params.iloc[0]


def test_summary_effects_rows_in_text():
    res = sdm()
    text = make_summary(res).as_text()
    line = next(l for l in text.splitlines() if l.startswith("INC: indirect"))
    nums = _numbers(line.split(":", 1)[1].replace("indirect", ""))
    row = SDM_EFFECTS.loc["INC"]
    crit = stats.norm.ppf(0.975)
    _assert_row_matches(nums, [row["indirect"], row["indirect_std_error"], row["indirect_statistic"], row["indirect_p_value"],
                               row["indirect"] - crit * row["indirect_std_error"],
                               row["indirect"] + crit * row["indirect_std_error"]])
    assert res.effect_calls == [(1000, 0)]


def test_summary_effects_normal_fallback():
    eff = make_summary(sar()).tables[2]
    est, se = SAR_EFFECTS.loc["HOVAL", "indirect"], SAR_EFFECTS.loc["HOVAL", "indirect_std_error"]
    row = eff.loc[("HOVAL", "indirect")]
    np.testing.assert_allclose(row["z"], est / se, rtol=1e-14)
    np.testing.assert_allclose(row["P>|z|"], 2 * stats.norm.sf(abs(est / se)), rtol=1e-12)
    np.testing.assert_allclose(row["0.975]"], est + stats.norm.ppf(0.975) * se, rtol=1e-14)


def test_summary_effects_defaults_and_opt_out():
    res = sdm()
    summ = make_summary(res, include_effects=False)
    assert len(summ.tables) == 2 and res.effect_calls == []
    assert "Effects" not in summ.as_text()
    sem_summary = make_summary(sem())  # SEM: coefficients are the marginal effects
    assert len(sem_summary.tables) == 2


@pytest.mark.parametrize("exc", [NotImplementedError("effects not ready"), AttributeError("no W")])
def test_summary_never_turns_an_effects_error_into_a_footnote(exc):
    # An AttributeError inside effects is a bug: it must surface, not become a note.
    with pytest.raises(type(exc), match=str(exc)):
        make_summary(sdm(effects=exc))
    with pytest.raises(type(exc), match=str(exc)):
        compare([sdm(effects=exc)], include_effects=True)


def test_summary_propagates_other_effects_errors():
    with pytest.raises(ValueError, match="boom"):
        make_summary(sdm(effects=ValueError("boom")))


def test_summary_does_not_mutate_results(fits):
    res = fits["SDM"]
    params, cov_full = res.params.copy(), res.cov_full.copy()
    summ = res.summary(include_effects=False)
    summ.as_text(), summ.as_html(), summ.as_latex(), summ.as_markdown()
    compare([res, fits["SAR"]]).as_text()
    pd.testing.assert_series_equal(res.params, params)
    pd.testing.assert_frame_equal(res.cov_full, cov_full)


def test_summary_panel_info():
    res = sar(panel={"effects": "unit", "T": 5, "bias_correction": "lee-yu"})
    text = make_summary(res, include_effects=False).as_text()
    assert re.search(r"Panel effects:\s+unit", text)
    assert re.search(r"Periods \(T\):\s+5\b", text)
    assert re.search(r"Bias correction:\s+lee-yu", text)
    assert "Panel" not in make_summary(sar(), include_effects=False).as_text()


def test_summary_markdown_values(fits):
    res = fits["SDM"]
    md = res.summary(include_effects=False).as_markdown()
    rows = {}
    for line in md.splitlines():
        if line.startswith("| "):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[0]] = cells[1:]
    for name in res.params.index:
        _assert_row_matches([_cell(c) for c in rows[name]], _coef_expected(res, name))
    assert r"P>\|z\|" in md  # pipes inside cells are escaped


def test_summary_latex_escapes_and_values(fits):
    res = fits["SDM"]
    tex = res.summary(include_effects=False).as_latex()
    assert r"W\_INC" in tex and r"W\_HOVAL" in tex
    assert "W_INC" not in tex
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 2
    line = next(l for l in tex.splitlines() if l.startswith(r"W\_INC &"))
    cells = [c.strip() for c in line.rstrip(r"\ ").split("&")[1:]]
    _assert_row_matches([_cell(c) for c in cells], _coef_expected(res, "W_INC"))


def test_summary_html_well_formed_and_values(fits):
    res = fits["SDM"]
    summ = res.summary(include_effects=False)
    html_text = summ._repr_html_()
    assert html_text == summ.as_html()
    assert html_text.lstrip().startswith("<div")
    root = ET.fromstring(html_text)  # raises if not well-formed XML
    rows = {}
    for tr in root.iter("tr"):
        cells = ["".join(c.itertext()) for c in tr]
        if cells and cells[0]:
            rows[cells[0]] = cells[1:]
    for name in res.params.index:
        _assert_row_matches([_cell(c) for c in rows[name]], _coef_expected(res, name))
    assert "P&gt;|z|" in html_text


# --------------------------------------------------------------------------- compare
def test_compare_aligns_params_with_blanks(fits):
    a, b, c = fits["SAR"], fits["SDM"], fits["SEM"]
    cmp = compare([a, b, c])
    assert isinstance(cmp, Comparison)
    table = cmp.table
    assert list(table.columns) == ["SAR", "SDM", "SEM"]
    labels = [i for i in table.index if i]
    assert labels == ["Intercept", "INC", "HOVAL", "W_INC", "W_HOVAL", "rho", "lambda",
                      "n", "logL", "AIC", "BIC", "sigma2"]
    pos = list(table.index).index("W_INC")
    assert table.iloc[pos]["SAR"] == "" and table.iloc[pos + 1]["SAR"] == ""
    assert table.iloc[pos]["SDM"].rstrip("*") == format_number(b.params["W_INC"])
    assert table.iloc[pos + 1]["SDM"] == f"({format_number(b.bse['W_INC'])})"
    lam = list(table.index).index("lambda")
    assert table.iloc[lam]["SAR"] == "" and table.iloc[lam]["SEM"] != ""
    assert np.isnan(cmp.params.loc["W_INC", "SAR"])
    assert cmp.params.loc["rho", "SDM"] == b.params["rho"]
    n_row = table.loc["n"]
    assert list(n_row) == ["49", "49", "49"]
    assert float(table.loc["logL", "SEM"]) == pytest.approx(c.llf, rel=0, abs=SHOWN_ATOL)
    assert cmp.stats.loc["AIC", "SDM"] == b.aic


def test_compare_stars_in_cells():
    # p-values set by hand at the boundaries of the star levels
    b = sdm()
    b.pvalues = pd.Series([0.009, 0.04, 0.09, 0.2, 0.5, 0.001], index=b.params.index)
    table = compare([b]).table
    got = [table.loc[n, "SDM"] for n in ["Intercept", "INC", "HOVAL", "W_INC"]]
    stars = [g[len(g.rstrip("*")):] for g in got]
    assert stars == ["***", "**", "*", ""]
    assert all("*" not in v for v in compare([b], stars=False).table["SDM"])
    assert "*** p < 0.01, ** p < 0.05, * p < 0.10" in compare([b]).as_text()


def test_compare_default_names_unique_and_mapping():
    cmp = compare([sdm(), sdm(), sar()])
    assert list(cmp.table.columns) == ["SDM-1", "SDM-2", "SAR"]
    cmp = compare({"lag": sar(), "durbin": sdm()})
    assert list(cmp.table.columns) == ["lag", "durbin"]
    assert list(compare([sar()], names=["m"]).table.columns) == ["m"]


def test_compare_rejects_bad_input():
    with pytest.raises(InputError, match="at least one"):
        compare([])
    with pytest.raises(InputError, match="2 expected, 1 given"):
        compare([sar(), sdm()], names=["a"])
    with pytest.raises(InputError, match=r"repeated: \['a'\]"):
        compare([sar(), sdm()], names=["a", "a"])
    with pytest.raises(InputError, match=r"item 1 \(int\) lacks"):
        compare([sar(), 3])


def test_compare_effects_rows():
    a, b = sem(), sdm()
    cmp = compare([a, b], include_effects=True)
    table = cmp.table
    labels = [i for i in table.index if i]
    assert labels[-6:] == ["direct: INC", "direct: HOVAL", "indirect: INC", "indirect: HOVAL",
                           "total: INC", "total: HOVAL"]
    pos = list(table.index).index("indirect: INC")
    assert table.iloc[pos]["SEM"] == ""
    assert table.iloc[pos]["SDM"] == format_number(-1.476711) + "*"  # p = 0.0767
    assert table.iloc[pos + 1]["SDM"] == f"({format_number(0.8522080)})"
    assert cmp.effects.loc[("SDM", "HOVAL", "total"), "estimate"] == -0.08384256
    assert compare([a, b]).effects is None and b.effect_calls == [(1000, 0)]


def test_compare_all_kinds_real(fits):
    cmp = compare(list(fits.values()))
    assert list(cmp.table.columns) == ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM"]
    for kind, res in fits.items():
        shown = cmp.params[kind].dropna()
        pd.testing.assert_series_equal(shown, res.params.reindex(shown.index), check_names=False)
        assert set(shown.index) == set(res.params.index)
        for name in res.params.index:
            cell = cmp.table.loc[name, kind]
            assert cell.rstrip("*") == format_number(res.params[name])
            assert cell[len(cell.rstrip("*")):] == significance_stars(res.pvalues[name])


def test_compare_renderers():
    cmp = compare([sar(), sdm(), sem()])
    text = str(cmp)
    assert text == cmp.as_text()
    tex = cmp.as_latex()
    assert r"W\_INC" in tex and "W_INC" not in tex
    html_text = cmp._repr_html_()
    assert html_text.lstrip().startswith("<div")
    root = ET.fromstring(html_text)
    heads = {"".join(th.itertext()) for th in root.iter("th")}
    assert {"Intercept", "INC", "HOVAL", "W_INC", "W_HOVAL", "rho", "lambda"} <= heads
    md = cmp.as_markdown()
    assert "| SAR | SDM | SEM |" in md
    # every coefficient shows in the text rendering with its SE below
    lines = text.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith("W_HOVAL"))
    assert format_number(sdm().params["W_HOVAL"]) in lines[i]
    assert f"({format_number(sdm().bse['W_HOVAL'])})" in lines[i + 1]


# --------------------------------------------------------------------------- QA regressions
def _panel(effects, correction, T=10):
    return {"effects": effects, "bias_correction": correction, "T": T, "n": 124,
            "estimator": "Lee-Yu transformation approach" if correction else "within ML"}


def test_compare_tells_panel_fits_apart():
    a = sdm(panel=_panel("twoway", None))
    b = sdm(panel=_panel("twoway", "lee-yu"))
    cmp = compare([a, b, sar()])
    assert list(cmp.table.columns) == ["SDM (twoway, no correction)", "SDM (twoway, lee-yu)",
                                       "SAR"]
    assert list(cmp.table.loc["panel effects"]) == ["twoway", "twoway", ""]
    assert list(cmp.table.loc["bias correction"]) == ["none", "lee-yu", ""]
    assert list(cmp.table.loc["T"]) == ["10", "10", ""]
    assert cmp.settings.loc["bias correction", "SDM (twoway, lee-yu)"] == "lee-yu"
    labels = [i for i in cmp.table.index if i]
    assert labels.index("panel effects") < labels.index("n")
    # the text rows do not turn the model columns to left alignment
    assert cmp._blocks[0].alignments()[1:] == ["r", "r", "r"]
    # identical set-ups still get unique names; no panel: no settings rows
    same = compare([sdm(panel=_panel("unit", "lee-yu")), sdm(panel=_panel("unit", "lee-yu"))])
    assert list(same.table.columns) == ["SDM (unit, lee-yu)-1", "SDM (unit, lee-yu)-2"]
    assert compare([sar(), sdm()]).settings is None
    assert "panel effects" not in compare([sar(), sdm()]).table.index


def test_compare_accepts_a_single_result():
    one = compare(sdm())
    assert list(one.table.columns) == ["SDM"]
    assert one.params["SDM"].to_dict() == sdm().params.to_dict()


def test_compare_sigma2_footnote_names_the_divisors(fits):
    cmp = compare([fits["OLS"], fits["SAR"]])
    note = [n for n in cmp.notes if n.startswith("sigma2:")]
    assert note == ["sigma2: SSE/(n - k) for OLS (least squares, as R's lm); SSE/n for SAR "
                    "(maximum likelihood)."]
    ols = fits["OLS"]
    e = ols.resid.to_numpy()
    np.testing.assert_allclose(cmp.stats.loc["sigma2", "OLS"],
                               e @ e / (ols.nobs - len(ols.params)), rtol=1e-12)
    assert note[0] in cmp.as_text()



# --------------------------------------------------------------------------- QA: rendering review
def _synthetic_frame(description=None):
    data = pd.DataFrame({"CRIME": [1.0, 2.0], "year": [2020, 2021]})
    data.attrs["synthetic"] = True
    if description is not None:
        data.attrs["description"] = description
    # the flag survives the usual subsetting (pandas propagates attrs)
    return data.query("year >= 2020").set_index("year")


def _lee_yu_panel(effects="unit"):
    # 124 counties x 10 years; Lee-Yu: unit effects drop one period -> 124 x 9 = 1116
    n_star = 123 if effects in ("time", "twoway") else 124
    t_star = 9 if effects in ("unit", "twoway") else 10
    return {"effects": effects, "bias_correction": "lee-yu", "T": 10, "n": 124,
            "estimator": "Lee-Yu transformation approach", "nobs_effective": n_star * t_star}


def test_synthetic_data_notice_in_every_renderer():
    res = sar()
    res.model.data = _synthetic_frame("SYNTHETIC panel for a test")
    summ = make_summary(res, include_effects=False)
    assert summ.warnings == ("SYNTHETIC panel for a test",)
    for rendered in (summ.as_text(), summ.as_markdown(), summ.as_latex(), summ.as_html()):
        assert "SYNTHETIC panel for a test" in rendered
    # the notice sits under the title, before the first table
    text = summ.as_text()
    assert text.index("SYNTHETIC") < text.index("Dep. variable")
    # no description: the default notice; real data: none
    plain = sar()
    plain.model.data = _synthetic_frame()
    assert make_summary(plain, include_effects=False).warnings == ("SYNTHETIC data: not real statistics",)
    real = sar()
    real.model.data = pd.DataFrame({"CRIME": [1.0]})
    assert make_summary(real, include_effects=False).warnings == ()
    assert "SYNTHETIC" not in make_summary(sar(), include_effects=False).as_html()


def test_compare_synthetic_notice_names_the_models():
    a, b = sar(), sdm()
    a.model.data = _synthetic_frame()
    cmp = compare([a, b])
    assert cmp.warnings == ("SAR: SYNTHETIC data: not real statistics",)
    for rendered in (cmp.as_text(), cmp.as_markdown(), cmp.as_latex(), cmp.as_html()):
        # (the text rendering wraps the notice to the table width)
        assert "SAR: SYNTHETIC data: not real statistics" in " ".join(rendered.split())
    b.model.data = _synthetic_frame()
    assert compare([a, b]).warnings == ("SYNTHETIC data: not real statistics",)


def test_small_magnitudes_keep_significant_digits_in_every_renderer():
    res = sar()
    res.sigma2 = 0.00039123
    summ = make_summary(res, include_effects=False)
    cmp = compare([res, sdm()])
    for rendered in (summ.as_text(), summ.as_markdown(), summ.as_latex(), summ.as_html(),
                     cmp.as_text(), cmp.as_markdown(), cmp.as_latex(), cmp.as_html()):
        assert "0.0003912" in rendered
        assert "0.0004 " not in rendered and "0.0004<" not in rendered
    assert cmp.table.loc["sigma2", "SAR"] == "0.0003912"


def _one_column_compare():
    b = sdm()
    # stars ***, **, *, none, none, *** on Intercept .. rho
    b.pvalues = pd.Series([0.009, 0.04, 0.09, 0.2, 0.5, 0.001], index=b.params.index)
    return b, compare([b])


def test_compare_text_aligns_stars_on_the_decimal_point():
    b, cmp = _one_column_compare()
    lines = cmp.as_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("Intercept"))
    body = lines[start:start + 2 * len(b.params)]  # estimates and their SE rows
    points = {l.rindex(".") for l in body}
    assert len(points) == 1, body
    # stars are padded to a fixed width: an unstarred estimate ends with blanks
    w_inc = next(l for l in body if l.startswith("W_INC"))
    assert w_inc.endswith(format_number(b.params["W_INC"]))  # rstrip of the line
    assert cmp.table.loc["W_INC", "SDM"] == format_number(b.params["W_INC"])  # data unpadded


def test_compare_markdown_and_html_align_stars():
    b, cmp = _one_column_compare()
    cells = []
    for line in cmp.as_markdown().splitlines():
        parts = [c.strip(" ") for c in line.split("|")[1:-1]]
        if len(parts) == 2 and parts[0] in set(b.params.index) | {""} and "." in parts[1]:
            cells.append(parts[1])
    assert len(cells) == 2 * len(b.params)
    # figure spaces pad the stars: every cell has the same length after the decimal point
    assert {len(c) - c.index(".") for c in cells} == {len(".1234***")}
    root = ET.fromstring(cmp.as_html())
    slots = {span.get("style") for span in root.iter("span") if span.get("class") == "sfx"}
    assert slots == {"width: 3ch"}
    starred = [td for td in root.iter("td") if td.get("class") == "num"
               and "".join(td.itertext()).startswith(("(", "-", "0", "4"))]
    assert all(td.find("span") is not None for td in starred[:2 * len(b.params)])


def test_html_fragment_is_styled_and_scoped(fits):
    summ = fits["SDM"].summary(include_effects=False)
    frag = summ.as_html()
    root = ET.fromstring(frag)
    assert "sf-summary" in root.get("class").split()
    css = root.find("style").text
    for rule in ("border-collapse: collapse", "text-align: left", "padding: 2px 8px",
                 "font-variant-numeric: tabular-nums"):
        assert rule in css
    # every selector is scoped to the summary's class
    selectors = [sel.strip() for block in css.split("}") if "{" in block
                 for sel in block.split("{")[0].split(",")]
    assert selectors and all(sel.startswith(".sf-summary") for sel in selectors), selectors
    assert "<html" not in frag and "<!DOCTYPE" not in frag
    # header block: both label columns are row headers, both values plain cells
    header = root.findall("table")[0]
    first = header.find("tbody/tr")
    assert [c.tag for c in first] == ["th", "td", "th", "td"]
    assert all(th.get("scope") == "row" for th in header.iter("th"))
    # numeric cells are right-aligned by class, row labels are <th scope="row">
    coef_rows = root.findall("table")[1].findall("tbody/tr")
    assert all(tr[0].tag == "th" and tr[0].get("scope") == "row" for tr in coef_rows)
    assert all(td.get("class") == "num" for tr in coef_rows for td in tr[1:])


def test_compare_html_rules_between_sections():
    a = sdm(panel=_lee_yu_panel("unit"), nobs=1240)
    cmp = compare([a, sar()], include_effects=True)
    root = ET.fromstring(cmp.as_html())
    rows = root.find("table").findall("tbody/tr")
    ruled = [rows[i][0].text or "" for i in range(len(rows)) if rows[i].get("class") == "sf-rule"]
    # the rule closes each section: coefficients (last SE row), panel set-up, fit statistics
    assert ruled == ["", "T", "sigma2"]
    assert "border-bottom" in root.find("style").text


def test_html_document_for_files():
    res = sar()
    doc = make_summary(res, include_effects=False).as_html_document(preface=["Notice & more"])
    assert doc.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in doc
    body = doc.index("<body>")
    assert body < doc.index("Notice &amp; more") < doc.index('<div class="sf-summary')
    assert doc.rstrip().endswith("</html>")


def test_markdown_header_block_has_no_empty_header_row():
    md = make_summary(sdm(), include_effects=False).as_markdown()
    assert not re.search(r"^\|(\s*\|)+\s*$", md, flags=re.M), md
    assert "| Item | Value |" in md
    assert re.search(r"^\| Log-likelihood: \| -181\.3935 \|$", md, flags=re.M)
    assert re.search(r"^\| Dep\. variable: \| CRIME \|$", md, flags=re.M)


def test_panel_shows_effective_observations():
    res = sdm(panel=_lee_yu_panel("unit"), nobs=1240)
    summ = make_summary(res, include_effects=False)
    text = summ.as_text()
    assert re.search(r"No\. observations:\s+1240\b", text)
    assert re.search(r"Effective obs\.:\s+1116\b", text)
    assert ("Effective observations: 1116 of 1240 after the Lee-Yu transformation "
            "(124 units x 9 periods); the log-likelihood and sigma2 = SSE/1116 use this "
            "count.") in summ.notes
    assert summ.tables[0].loc["Effective obs.", "value"] == 1116
    two = make_summary(sdm(panel=_lee_yu_panel("twoway"), nobs=1240), include_effects=False)
    assert "(123 units x 9 periods)" in two.as_text()
    # no correction: n = nT is the estimator's count, nothing extra
    plain = make_summary(sdm(panel=_panel("unit", None) | {"nobs_effective": 1240}, nobs=1240),
                         include_effects=False)
    assert "Effective" not in plain.as_text()


def test_compare_effective_observations_and_footnote():
    a = sdm(panel=_lee_yu_panel("unit"), nobs=1240)
    cmp = compare([a, sar(), _stand_in("OLS", {"Intercept": 1.0}, {"Intercept": 0.5},
                                       llf=-1.0, sigma2=2.0)])
    assert list(cmp.table.loc["n"]) == ["1240", "49", "49"]
    assert list(cmp.table.loc["n (effective)"]) == ["1116", "", ""]
    assert cmp.stats.loc["n (effective)", "SDM"] == 1116
    labels = list(cmp.table.index)
    assert labels.index("n (effective)") == labels.index("n") + 1
    note = next(n for n in cmp.notes if n.startswith("sigma2:"))
    assert "SSE/(n - k) for OLS" in note and "SSE/n for SAR (maximum likelihood)" in note
    assert "SSE/n_eff for SDM (panel maximum likelihood; n_eff is the 'n (effective)' row" in note
    assert "n (effective)" not in compare([sar(), sdm()]).table.index
