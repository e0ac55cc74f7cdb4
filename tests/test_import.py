"""`import spatialflow` is light: heavy libraries load where they are needed (issue 11).

Timing belongs in benchmarks/ (benchmarks/import_time.py); these tests check the cause
of a slow import instead: which libraries an import pulls in.
"""
import subprocess
import sys

HEAVY = ("libpysal", "esda", "spreg", "statsmodels", "geopandas", "matplotlib", "formulaic",
         "sklearn", "shapely", "pyproj")


#: Prints the modules actually executed: a module that lazy_loader.load registered but nobody
#: has touched yet (an importlib.util._LazyModule) costs nothing and does not count.
_EXECUTED = ("[m for m, mod in list(sys.modules.items()) "
             "if type(mod).__name__ != '_LazyModule']")


def _loaded_after(statement: str) -> set[str]:
    code = (f"import sys; {statement}; "
            f"print(' '.join(sorted({{m.split('.')[0] for m in {_EXECUTED}}})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return set(out.stdout.split())


def test_import_spatialflow_loads_no_scientific_library():
    loaded = _loaded_after("import spatialflow")
    assert not loaded & set(HEAVY + ("pandas", "scipy", "numpy"))


def test_models_load_without_libpysal_and_friends():
    loaded = _loaded_after("import spatialflow.models; from spatialflow import SDM, compare")
    assert "pandas" in loaded and "scipy" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_lazy_names_resolve():
    import spatialflow as sf
    from spatialflow.models import SDM, specification_search
    assert sf.SDM is SDM and sf.specification_search is specification_search
    assert set(sf.__all__) <= set(dir(sf))
    assert sf.weights.build is not None and callable(sf.weights.describe)
    try:
        sf.not_a_name
    except AttributeError as err:
        assert "not_a_name" in str(err)
    else:
        raise AssertionError("unknown attribute did not raise")


def test_estimators_load_without_spreg_matplotlib_or_scipy_stats():
    """Issue 22: `from spatialflow import SDM` loads what a fit needs and no more: spreg only
    for method="gmm", scipy.stats (0.5 s) replaced by the same scipy.special kernels,
    scipy.optimize with the first fit, the specification tests on first use."""
    code = ("import sys; import spatialflow; from spatialflow import SDM; "
            f"print(' '.join(sorted({_EXECUTED})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded = set(out.stdout.split())
    for module in ("spreg", "matplotlib", "scipy.stats", "scipy.optimize", "esda",
                   "geopandas", "spatialflow.models.diagnostics.lm", "spatialflow.models.diagnostics.probabilities"):
        assert module not in loaded, module
    assert "spatialflow.models.estimators" in loaded


def test_distribution_kernels_are_those_of_scipy_stats():
    import numpy as np
    import scipy.stats as st

    from spatialflow import _stats
    x = np.linspace(-8.0, 8.0, 401)
    q = np.linspace(1e-6, 1 - 1e-6, 401)
    np.testing.assert_array_equal(_stats.norm.sf(x), st.norm.sf(x))
    np.testing.assert_array_equal(_stats.norm.cdf(x), st.norm.cdf(x))
    np.testing.assert_array_equal(_stats.norm.ppf(q), st.norm.ppf(q))
    for df in (1, 3.5, 48, 1e6):
        np.testing.assert_array_equal(_stats.t.sf(x, df), st.t.sf(x, df))
        np.testing.assert_array_equal(_stats.t.ppf(q, df), st.t.ppf(q, df))
        np.testing.assert_array_equal(_stats.t(df).ppf(q), st.t(df).ppf(q))
        np.testing.assert_array_equal(_stats.chi2.sf(3 * x, df), st.chi2.sf(3 * x, df))
    # scalars and NaN as scipy.stats gives them (a negative Hausman statistic: p = 1)
    assert _stats.chi2.sf(-2.0, 3) == st.chi2.sf(-2.0, 3) == 1.0
    assert np.isnan(_stats.chi2.sf(np.nan, 3)) and np.isnan(_stats.norm.sf(np.nan))
    assert isinstance(_stats.chi2.sf(2.0, 3), np.floating)


def test_models_names_and_submodules_resolve_lazily():
    import spatialflow.models as models
    from spatialflow.models.diagnostics.hypotheses import wald_test as plain_wald
    from spatialflow.models.results.inference import wald_test
    assert models.wald_test is wald_test and models.wald_test is not plain_wald
    assert set(models.__all__) <= set(dir(models))
    assert models._linalg.operator.SpatialOperator is not None
    assert dir(models) == sorted(models.__all__)
    try:
        models.not_a_name
    except AttributeError as err:
        assert "not_a_name" in str(err)
    else:
        raise AssertionError("unknown attribute did not raise")


def test_public_subpackages_work_without_importing_them_first():
    """Issue 26: in a fresh process every public subpackage is an attribute of spatialflow,
    and dir() lists exactly the public names."""
    code = ("import spatialflow as sf; "
            "mods = [sf.report, sf.plot, sf.simulate, sf.grid, sf.montecarlo, sf.weights, "
            "sf.measures, sf.datasets, sf.pipeline, sf.models, sf.exceptions]; "
            "print(all(m.__name__.startswith('spatialflow.') for m in mods), "
            "dir(sf) == sorted(sf.__all__), sf.weights.build.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "True", "spatialflow.weights.builders"], out
