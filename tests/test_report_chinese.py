"""A Chinese report in Chinese all the way (issue 20, item 6): models, weights, variables,
statistics, settings, table headers and figure labels. The only Latin words left are codes
and proper names (ALLOWED)."""
from __future__ import annotations

import html as _html
import re
import shutil
import subprocess

import pytest

from spatialflow.datasets import load_guangdong_counties, synthetic_panel
from spatialflow.exceptions import InputError
from spatialflow.models import SAR, SDM, SEM
from spatialflow.report import DEFAULT_INDICATORS, build
from spatialflow.report.vocabulary import (SETTINGS_ZH, TERMS_ZH, WEIGHTS_ZH, Vocabulary,
                                           check_labels)
from spatialflow.weights import build as build_w

# Latin words a Chinese reader meets in Chinese papers too: model kinds, statistics'
# abbreviations, LISA quadrants, proper names, the libraries cited by name, and formula
# symbols.
ALLOWED = {
    "SAR", "SEM", "SDM", "SDEM", "SLX", "SAC", "OLS", "LISA", "HH", "HL", "LH", "LL", "AIC",
    "BIC", "LR", "Wald", "Durbin", "LeSage", "LeSage-Pace", "Pace", "Lee", "Yu", "Lee–Yu",
    "Dagum", "Markov", "Spatial_Markov", "giddy", "mapclassify", "esda", "spatialflow",
    "G_jh", "D_jh", "S_k", "exp", "log",
    # the convergence and dynamics sections cite their methods by author, as Chinese papers do
    "Rey", "Montouri", "Arbia", "Le", "Gallo", "Piras", "Quah", "Scott", "Phillips–Sul",
    "Bickenbach-Bode", "delta",
}
# Codes that must never reach a Chinese reader: every entry of the vocabulary and the
# variables of the models below.
CODES = (set(TERMS_ZH) | set(SETTINGS_ZH) | set(WEIGHTS_ZH) | {"labour_flow", "capital_flow",
         "W_labour_flow", "W_capital_flow", "tfp", "income_gap", "code"}) - ALLOWED


def latin_words(text: str) -> set[str]:
    text = re.sub(r"\d(?:\.\d+)?e[-+]\d+", " ", text)   # 1.2e-05 is a number
    return set(re.findall(r"[A-Za-z][A-Za-z_\-–]*[A-Za-z]", text))


def _models(panel, gd):
    w = build_w(gd, kind="queen", islands="knn")
    formula = "tfp ~ labour_flow + capital_flow"
    return {f"{k.__name__} · queen · tfp": k.from_formula(
        formula, panel, w, id="code", time="year", effects="twoway").fit(
        bias_correction="lee-yu") for k in (SDM, SAR, SEM)}


@pytest.fixture(scope="module")
def zh():
    """A Chinese report of panel models (twoway effects, Lee-Yu), tables only: fast."""
    gd = load_guangdong_counties()
    panel = synthetic_panel(gd, years=range(2019, 2021), seed=5)
    models = _models(panel, gd)
    rep = build(panel, gd, indicators=DEFAULT_INDICATORS[:1], models=models, n_draws=20,
                permutations=0, seed=5, lang="zh", figures=False)
    return dict(rep=rep, panel=panel, gd=gd, models=models)


# The same with every figure (maps of 124 counties, ~15 s): slow.
@pytest.fixture(scope="module")
def zh_figures(zh):
    rep = build(zh["panel"], zh["gd"], indicators=DEFAULT_INDICATORS[:2], models=zh["models"],
                n_draws=50, permutations=49, seed=5, lang="zh")
    return dict(rep=rep)


def _visible_html_text(rep) -> str:
    page = rep.as_html()
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", " ", page)
    return _html.unescape(re.sub(r"<[^>]+>", "\n", page))


@pytest.mark.parametrize("which", ["zh", pytest.param("zh_figures", marks=pytest.mark.slow)])
def test_chinese_report_shows_no_english_words(which, request):
    text = _visible_html_text(request.getfixturevalue(which)["rep"])
    assert "后相邻" in text and "全要素生产率" in text and "双向固定效应" in text
    assert latin_words(text) <= ALLOWED, sorted(latin_words(text) - ALLOWED)


def test_chinese_tables_translate_every_code(zh):
    rep = zh["rep"]
    for key, frame in rep.display.items():
        cells = {str(v) for col in frame.columns if frame[col].dtype == object
                 for v in frame[col].dropna().unique()}
        assert not (set(map(str, frame.columns)) & CODES), key
        assert not (cells & CODES), (key, cells & CODES)
    compare = rep.display["models_compare"]
    assert "SDM · 后相邻 · 全要素生产率" in compare.columns
    params = set(compare["参数"])
    assert {"W·劳动力流动指数", "ρ", "λ", "对数似然值"} <= params
    fit = rep.display["models_fit"]
    assert set(fit["面板效应"]) == {"双向固定效应"} and set(fit["是否收敛"]) == {"是"}
    # the machine-readable tables keep the codes of the variables
    assert set(rep.tables["effects"]["variable"]) == {"labour_flow", "capital_flow"}


def _visible_figure_text(fig) -> set[str]:
    words = set()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        texts = [ax.title, *ax.texts]
        if ax.axison:
            texts += [ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(),
                      *ax.get_yticklabels()]
        legend = ax.get_legend()
        if legend is not None:
            texts += [*legend.get_texts(), legend.get_title()]
        words |= {t.get_text() for t in texts if t.get_visible()}
    words |= {t.get_text() for t in fig.texts}
    if fig._suptitle is not None:
        words.add(fig._suptitle.get_text())
    return words


@pytest.mark.slow
def test_chinese_figures_have_no_english_labels(zh_figures):
    rep = zh_figures["rep"]
    seen = set()
    for key, fig in rep.figures.items():
        texts = _visible_figure_text(fig)
        seen |= texts
        bad = set().union(*(latin_words(t) for t in texts)) - ALLOWED
        assert not bad, (key, sorted(bad))
    assert "劳动力流动指数" in seen   # the forest plot's regressors, in words


def test_vocabulary_words():
    v = Vocabulary("zh", DEFAULT_INDICATORS, check_labels({"pop": "常住人口",
                                                           "w_trade": {"zh": "贸易权重"}}))
    assert v.model("SDM · queen · tfp") == "SDM · 后相邻 · 全要素生产率"
    assert v.model("SAR · w_trade · pop") == "SAR · 贸易权重 · 常住人口"
    assert v.var("W_labour_flow") == "W·劳动力流动指数"
    assert v.term("rho") == "ρ" and v.term("Intercept") == "常数项"
    assert v.setting(True) == "是" and v.setting("lee-yu") == "Lee–Yu修正"
    # a code nobody labelled is shown as it is, never guessed
    assert v.var("my_column") == "my_column" and v.var("W_my_column") == "W_my_column"
    # English keeps the codes unless labelled
    en = Vocabulary("en", DEFAULT_INDICATORS, check_labels({"pop": {"en": "Population"}}))
    assert en.model("SDM · queen · tfp") == "SDM · queen · tfp" and en.var("pop") == "Population"
    # two labels that would read the same stay as given
    assert v.models({"a · queen": 1, "a · 后相邻": 2}) == {"a · queen": "a · queen",
                                                          "a · 后相邻": "a · 后相邻"}


def test_labels_must_be_words():
    with pytest.raises(InputError, match=r"labels\['pop'\] must be a str or a mapping"):
        check_labels({"pop": {"fr": "population"}})
    with pytest.raises(InputError, match="labels must be a mapping"):
        check_labels(["pop"])


def test_labels_name_user_variables(zh):
    gd, panel = zh["gd"], zh["panel"]
    w = build_w(gd, kind="queen", islands="knn")
    last = panel[panel["year"] == 2020].set_index("code").assign(pop_k=lambda f: f["land_flow"] * 1000)
    res = SAR.from_formula("tfp ~ labour_flow + pop_k", last, w).fit()
    rep = build(panel, gd, indicators=DEFAULT_INDICATORS[:1], models={"m": res}, n_draws=20,
                permutations=0, seed=1, lang="zh", figures=False,
                labels={"pop_k": "人口（千人）", "m": "空间滞后模型"})
    assert set(rep.display["effects"]["变量"]) == {"劳动力流动指数", "人口（千人）"}
    assert rep.lead == "空间滞后模型"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xelatex") is None or shutil.which("pdftotext") is None,
                    reason="needs xelatex (texlive-xetex, texlive-lang-chinese) and pdftotext")
def test_chinese_latex_compiles_and_reads_chinese(zh_figures, tmp_path):
    folder = zh_figures["rep"].to_latex(tmp_path / "tex")
    for _ in range(2):
        proc = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error",
                               "report.tex"], cwd=folder, capture_output=True, text=True,
                              timeout=300)
    log = (folder / "report.log").read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, log[-3000:]
    assert "Missing character" not in log
    text = subprocess.run(["pdftotext", str(folder / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "后相邻" in text and "双向固定效应" in text
    flat = re.sub(r"\s+", "", text)
    assert not [c for c in ("queen", "labour_flow", "twoway", "lee-yu") if c in flat]


def test_chinese_forest_plot_names_variables_and_models_in_chinese(zh):
    from spatialflow.report import figures as F

    rep = zh["rep"]
    ctx = F.FigureContext(layer=zh["gd"].assign(_group=zh["gd"]["region"]),
                          groups=["PRD", "East", "West", "North"], core="PRD", lang="zh",
                          vocab=Vocabulary("zh", DEFAULT_INDICATORS))
    fig = F.forest_plot(ctx, rep.tables["effects"])
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["劳动力流动指数", "资本流动指数"]
    legend = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert legend == ["SDM · 后相邻 · 全要素生产率", "SAR · 后相邻 · 全要素生产率"]
