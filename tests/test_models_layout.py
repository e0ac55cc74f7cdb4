"""The layout of spatialflow.models (issue 11): one-way dependencies, names in one place."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import spatialflow.models as models
from spatialflow.models._design.naming import (MODEL_KINDS, is_lag_name, kind_flags, lag_name,
                                       parse_lag_name, regime_column)

MODELS = Path(models.__file__).parent


def _function_level_imports(path: Path) -> list[tuple[str, str]]:
    """(function, module) of every import statement inside a function or method body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import):
                    found += [(node.name, a.name) for a in sub.names]
                elif isinstance(sub, ast.ImportFrom):
                    found.append((node.name, "." * sub.level + (sub.module or "")))
    return found


def _sources(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root.parent)): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*.py"))}


def test_no_function_level_imports_inside_models():
    """Issue 26: every dependency of a models module is visible at its top (heavy optional
    libraries load lazily through lazy_loader there, not inside functions)."""
    found = {str(p.relative_to(MODELS)): _function_level_imports(p)
             for p in MODELS.rglob("*.py") if _function_level_imports(p)}
    assert found == {}, found


def test_the_import_layers_hold():
    """Issue 26: the one-way layering of pyproject.toml's import-linter contracts (models:
    diagnostics > estimators > _estimation > results > _design > _linalg; the package:
    applications > models > weights > foundations)."""
    pytest.importorskip("importlinter", reason="import-linter is a test extra")
    root = MODELS.parent.parent
    assert (root / "pyproject.toml").is_file(), "the contracts live in the repository's pyproject"
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
         "sys.argv = ['lint-imports', '--no-cache']; lint_imports_command()"],
        cwd=root, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout, run.stdout[-3000:]


def test_only_the_spatial_operator_factorises_and_builds_log_determinants():
    """Issue 26: SuperLU of I - rho W is called in models/_linalg/lu.py only (for the
    SpatialOperator and the exact sparse log-determinant it hands out), and log-determinant
    strategies are built inside models/_linalg only (everything else asks the operator)."""
    package = MODELS.parent
    sources = _sources(package)
    splu = {f for f, text in sources.items() if re.search(r"\bsplu\(", text)}
    assert splu == {"spatialflow/models/_linalg/lu.py"}, splu
    builders = {f for f, text in sources.items()
                if re.search(r"\b(make_logdet|logdet_strategy)\(", text)
                and not f.startswith("spatialflow/models/_linalg/")}
    assert builders == set(), builders


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
    from spatialflow.models.diagnostics import durbin_tests, hausman_test, panel_lm_tests
    from spatialflow.models import chow_test
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
    """Issues 11 and 26: every fit -- ML, SAC, panels and GMM -- constructs its results in
    builder.assemble only, and ln(1 - rho) is subtracted in LeeYuLogDet only."""
    sources = _sources(MODELS)
    builders = {f for f, text in sources.items() if "SpatialResults(" in text
                and not f.endswith("results/base.py")}
    assert builders == {"models/_estimation/builder.py"}, builders
    corrections = {f for f, text in sources.items() if "log1p(-r)" in text}
    assert corrections == {"models/_linalg/lee_yu.py"}, corrections
