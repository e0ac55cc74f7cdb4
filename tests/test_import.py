"""`import spatialflow` is light: heavy libraries load where they are needed (issue 11).

Timing belongs in benchmarks/ (benchmarks/import_time.py); these tests check the cause
of a slow import instead: which libraries an import pulls in.
"""
import subprocess
import sys

HEAVY = ("libpysal", "esda", "spreg", "statsmodels", "geopandas", "matplotlib", "formulaic",
         "sklearn", "shapely", "pyproj")


def _loaded_after(statement: str) -> set[str]:
    code = (f"import sys; {statement}; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
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
