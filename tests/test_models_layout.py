"""The layout of spatialflow.models (issue 11): one-way dependencies, names in one place."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import spatialflow.models as models
from spatialflow.models.naming import (MODEL_KINDS, is_lag_name, kind_flags, lag_name,
                                       parse_lag_name, regime_column)

MODELS = Path(models.__file__).parent


def _imports(path: Path):
    """(module-level relative imports, function-level relative imports) of one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top, inner = set(), []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            top.add(node.module or "")
            if node.module is None:
                top.update(a.name for a in node.names)
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks are annotations only
            continue
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and sub.level >= 1:
                    inner.append((node.name, sub.module))
    return top, inner


def test_no_function_level_imports_inside_models():
    found = {p.name: _imports(p)[1] for p in MODELS.glob("*.py") if _imports(p)[1]}
    assert found == {}, found


def test_dependencies_inside_models_are_acyclic():
    graph = {p.stem: {m.split(".")[0] for m in _imports(p)[0]} & {q.stem for q in MODELS.glob("*.py")}
             for p in MODELS.glob("*.py") if p.stem != "__init__"}
    state: dict[str, int] = {}

    def visit(node, path):
        if state.get(node) == 1:
            raise AssertionError(f"import cycle: {' -> '.join(path + [node])}")
        if state.get(node) == 2:
            return
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            visit(dep, path + [node])
        state[node] = 2

    for node in graph:
        visit(node, [])
    # the building blocks import no test, workflow or presentation module
    for low in ("naming", "logdet", "traces", "design", "problem", "information", "ml", "builder",
                "panel_data", "panel", "base"):
        assert not graph[low] & {"hypotheses", "lm", "workflows", "summary", "diagnostics",
                                 "panel_tests"}, (low, graph[low])
    assert graph["naming"] == set()


def test_lag_and_regime_names():
    assert lag_name("INC") == "W_INC" and parse_lag_name("W_INC") == "INC"
    assert parse_lag_name("INC") is None and is_lag_name("W_x") and not is_lag_name(3)
    assert regime_column("INC", "core") == "INC[core]"


def test_model_classes_take_their_flags_from_the_one_table():
    for kind, flags in MODEL_KINDS.items():
        cls = getattr(models, kind)
        assert (cls.lag_y, cls.error, cls.durbin) == (flags.lag_y, flags.error, flags.durbin)
    assert kind_flags("SDM").without_lags == "SAR" and kind_flags("SDEM").without_lags == "SEM"
    assert kind_flags("SLX").without_lags == "OLS" and kind_flags("SEM").spatial_param == "lambda"
    with pytest.raises(KeyError, match="unknown model kind 'SARAR'"):
        kind_flags("SARAR")


def test_historical_import_paths_still_work():
    from spatialflow.models.diagnostics import lm_tests, specification_search
    from spatialflow.models.panel_tests import durbin_tests, hausman_test, panel_lm_tests
    from spatialflow.models.regimes import chow_test
    assert lm_tests is models.lm_tests and specification_search is models.specification_search
    assert chow_test is models.chow_test and hausman_test is models.hausman_test
    assert durbin_tests is models.durbin_tests and panel_lm_tests is models.panel_lm_tests


def test_literal_types_drive_option_validation(columbus):
    import spatialflow as sf
    from spatialflow._typing import MissingPolicy, PanelEffects, check_option, literal_values
    from spatialflow.exceptions import InputError
    assert literal_values(PanelEffects) == ("unit", "time", "twoway", "random", None)
    assert check_option(None, PanelEffects, "effects") is None
    with pytest.raises(InputError, match=r"missing must be 'raise' or 'drop'; 'skip' was given"):
        check_option("skip", MissingPolicy, "missing")
    df, w = columbus
    with pytest.raises(InputError, match=r"missing must be 'raise' or 'drop'; 'skip' was given"):
        sf.SAR.from_formula("CRIME ~ INC", data=df, w=w, missing="skip")
    res = sf.SDM.from_formula("CRIME ~ INC", data=df, w=w).fit()
    with pytest.raises(InputError, match=r"trace_method must be one of \['auto', 'exact', "
                                         r"'power'\]; 'fast' was given"):
        res.effects(trace_method="fast")
    with pytest.raises(InputError, match=r"direction must be 'received' or 'emitted'; 'in'"):
        res.unit_effects(direction="in")


def test_one_results_builder_and_one_place_for_the_lee_yu_corrections():
    """Issue 11: every ML fit is labelled by builder.build_results (GMM, which spreg
    estimates, builds its own), and ln(1 - rho) is subtracted in LeeYuLogDet only."""
    sources = {p.stem: p.read_text(encoding="utf-8") for p in MODELS.glob("*.py")}
    builders = {m for m, text in sources.items() if "SpatialResults(" in text
                and m not in ("results",)}
    assert builders == {"builder", "gmm"}, builders
    corrections = {m for m, text in sources.items() if "log1p(-r)" in text}
    assert corrections == {"problem"}, corrections
