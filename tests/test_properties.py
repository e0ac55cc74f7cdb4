"""Property-based tests (hypothesis) over the public entry points (issue 27).

For any input drawn here, a public entry point either works or raises a spatialflow error
(a subclass of :class:`~spatialflow.exceptions.SpatialflowError`), and the user's objects
(frames, weights) are left exactly as they were. The inputs are tiny and hostile: random
shapes, NaN and inf, constant columns, duplicated or mismatched ids, wrong types, extreme
option values.

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (the default: 50 examples per entry point, the
whole file in about 20 s) and ``thorough`` (1,000 examples per entry
point, for a run by hand: ``HYPOTHESIS_PROFILE=thorough pytest tests/test_properties.py``).
Both are derandomized and keep no example database, so a run is reproducible and CI is not
flaky; there is no deadline (a fit's time depends on the machine's load).
"""
from __future__ import annotations

import copy
import os
import string
import warnings

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

import spatialflow as sf
from spatialflow.exceptions import SpatialflowError, SpatialflowWarning

_COMMON = dict(derandomize=True, database=None, deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=50, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: Warnings an entry point may issue on hostile input: the package's named warnings, and
#: pandas' deprecations. Anything else (a numpy RuntimeWarning, say) fails the property.
ALLOWED_WARNINGS = (SpatialflowWarning, DeprecationWarning, FutureWarning)


def _call(fn):
    """Run ``fn``; return its value or the spatialflow error it raised. Any other exception
    or an unnamed warning fails the test (with the input hypothesis shrank to)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn()
        except SpatialflowError as err:
            out = err
    stray = [w for w in caught if not issubclass(w.category, ALLOWED_WARNINGS)]
    assert not stray, f"unnamed warning(s): {[(w.category.__name__, str(w.message)) for w in stray]}"
    return out


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.attrs == b.attrs


# --------------------------------------------------------------------------- values
FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
HOSTILE_FLOAT = st.one_of(
    FINITE, FINITE, FINITE,
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0, 1e300, -1e300, 5e-324]),
)


@st.composite
def columns(draw, n: int, name: str):
    """A numeric column: finite noise, or hostile (NaN/inf/constant/extreme)."""
    style = draw(st.sampled_from(["noise", "noise", "noise", "hostile", "constant", "int"]))
    if style == "noise":
        seed = draw(st.integers(0, 2**16))
        return np.random.default_rng(seed).normal(size=n)
    if style == "constant":
        return np.full(n, draw(FINITE))
    if style == "int":
        return np.asarray(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)))
    return np.asarray(draw(st.lists(HOSTILE_FLOAT, min_size=n, max_size=n)), dtype=float)


# --------------------------------------------------------------------------- models
KINDS = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS"]


@st.composite
def model_inputs(draw):
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    n = rows * cols
    w = libpysal.weights.lat2W(rows, cols)
    w.transform = draw(st.sampled_from(["r", "b", "o"]))
    ids = np.asarray(w.id_order)
    how = draw(st.sampled_from(["same", "same", "shuffled", "strings", "duplicate",
                                "mismatch", "positional"]))
    if how == "shuffled":
        ids = np.random.default_rng(draw(st.integers(0, 99))).permutation(ids)
    elif how == "strings":
        ids = ids.astype(str)
    elif how == "duplicate" and n > 1:
        ids = ids.copy()
        ids[-1] = ids[0]
    elif how == "mismatch":
        ids = ids + 1
    data = pd.DataFrame({"y": draw(columns(n, "y")), "x1": draw(columns(n, "x1")),
                         "x2": draw(columns(n, "x2"))},
                        index=pd.RangeIndex(n) if how == "positional" else ids)
    if draw(st.booleans()):
        data["g"] = draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
    kind = draw(st.sampled_from(KINDS))
    formula = draw(st.sampled_from(["y ~ x1", "y ~ x1 + x2", "y ~ x1 + x2 - 1",
                                    "y ~ x1 + C(g)", "y ~ np.log(x1)", "y ~ y + x1",
                                    "y ~ x1 + I(2 * x1)", "y ~ zz"]))
    missing = draw(st.sampled_from(["raise", "drop", "skip"]))
    path = draw(st.sampled_from(["formula", "formula", "arrays", "numpy"]))
    return dict(data=data, w=w, kind=kind, formula=formula, missing=missing, path=path)


def _fit(inputs):
    cls = getattr(sf, inputs["kind"])
    data, w = inputs["data"], inputs["w"]
    if inputs["path"] == "formula":
        model = cls.from_formula(inputs["formula"], data=data, w=w, missing=inputs["missing"])
    elif inputs["path"] == "arrays":
        model = cls(data["y"], data[["x1", "x2"]], w, missing=inputs["missing"])
    else:
        model = cls(data["y"].to_numpy(), data[["x1", "x2"]].to_numpy(), w,
                    missing=inputs["missing"])
    res = model.fit()
    res.summary().as_text()
    if res.spatial_param is not None or res.lagged_names:
        res.effects(n_draws=20, seed=0)
    return res


@given(model_inputs())
def test_models_work_or_raise_a_spatialflow_error(inputs):
    data_before = inputs["data"].copy()
    w = inputs["w"]
    w_before = (copy.deepcopy(w.neighbors), copy.deepcopy(w.weights), w.transform)
    out = _call(lambda: _fit(inputs))
    if not isinstance(out, SpatialflowError):
        assert np.isfinite(out.params.to_numpy()).all(), out.params
        assert np.isfinite(out.sigma2) and out.sigma2 > 0
        assert set(out.ids) <= set(inputs["data"].index)
    _same_frame(inputs["data"], data_before)
    assert (w.neighbors, w.weights, w.transform) == w_before


# --------------------------------------------------------------------------- weights
WEIGHT_KINDS = ["queen", "rook", "knn", "distance_band", "inverse_distance", "economic",
                "nested", "unknown"]


@st.composite
def layers(draw):
    """A few grid cells (polygons, possibly not touching) or points, hostile ids and CRS."""
    n = draw(st.integers(0, 7))
    size = draw(st.sampled_from([1.0, 1000.0, 1e5]))
    if draw(st.booleans()):
        cells = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                              min_size=n, max_size=n, unique=True))
        geoms = [box(x * size, y * size, (x + 1) * size, (y + 1) * size) for x, y in cells]
    else:
        coords = draw(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)),
                               min_size=n, max_size=n))
        geoms = [Point(x * size, y * size) for x, y in coords]
    n = len(geoms)
    ids = draw(st.sampled_from(["letters", "ints", "dup"]))
    index = (list(string.ascii_lowercase[:n]) if ids == "letters" else list(range(100, 100 + n)))
    if ids == "dup" and n > 1:
        index[-1] = index[0]
    crs = draw(st.sampled_from(["EPSG:32650", "EPSG:32650", "EPSG:4326", None]))
    frame = gpd.GeoDataFrame({"v": draw(st.lists(HOSTILE_FLOAT, min_size=n, max_size=n))},
                             geometry=geoms, index=index, crs=crs)
    return frame


OPTION_VALUES = {
    "k": st.sampled_from([1, 2, 3, 0, -1, 10, 2.5, "3"]),
    "threshold_km": st.sampled_from([0.5, 1.0, 150.0, 1e4, 0.0, -1.0, np.nan, np.inf]),
    "power": st.sampled_from([1, 2, 0.5, 50, 400, 0, -1, "2"]),
    "binary": st.sampled_from([True, False, "yes"]),
    "islands": st.sampled_from(["raise", "knn", "keep", "drop"]),
    "k_islands": st.sampled_from([1, 2, 0, 1.5]),
    "transform": st.sampled_from(["r", "b", "d", "v", None, "o", "R", "x"]),
    "project": st.sampled_from([False, True]),
    "column": st.sampled_from(["v", "missing"]),
    "epsilon": st.sampled_from([None, 1e-9, 0.1, -1.0]),
    "phi": st.sampled_from([0.0, 0.5, 1.0, 1.5]),
    "geo": st.sampled_from(["inverse_distance", "knn", "queen", "flow"]),
}


@given(layers(), st.sampled_from(WEIGHT_KINDS), st.data())
def test_weights_build_works_or_raises_a_spatialflow_error(frame, kind, data):
    keys = data.draw(st.lists(st.sampled_from(sorted(OPTION_VALUES)), max_size=4, unique=True))
    options = {key: data.draw(OPTION_VALUES[key]) for key in keys}
    if kind == "knn" and "k" not in options:
        options["k"] = 1
    if kind == "distance_band" and "threshold_km" not in options:
        options["threshold_km"] = 150.0
    if kind in ("economic", "nested") and "column" not in options:
        options["column"] = "v"
    if kind == "nested" and "phi" not in options:
        options["phi"] = 0.5
    before = frame.copy()
    out = _call(lambda: sf.weights.build(frame, kind, **options))
    if not isinstance(out, SpatialflowError):
        assert list(out.unique_ids) == list(frame.index)
        matrix = out.sparse
        assert np.isfinite(matrix.data).all() and (matrix.data >= 0).all()
        assert (matrix.diagonal() == 0).all()
    pd.testing.assert_frame_equal(pd.DataFrame(frame.drop(columns="geometry")),
                                  pd.DataFrame(before.drop(columns="geometry")))
    assert frame.geometry.geom_equals_exact(before.geometry, tolerance=0).all()
    assert frame.crs == before.crs


# --------------------------------------------------------------------------- reader
#: Unreadable files that issue 27's bad case 3 lists (raw pandas / codec errors), typed on
#: the reader/pipeline branch: (payload, options, the raw errors of that case).
_BAD_CASE_3 = [
    (b"", {}, (pd.errors.EmptyDataError,)),
    (b"code,year\n1,2020\n1,2021,3,4\n", {}, (pd.errors.ParserError,)),
    (b"code,year\n1,2020\n", {"encoding": "no-such-codec"}, (LookupError,)),
    ("code,year\n一,2020\n".encode("gbk"), {"encoding": "utf-8"}, (UnicodeDecodeError,)),
]


def _untyped_parse_errors() -> tuple:
    """The raw errors of bad case 3 that this checkout still raises.

    They are typed on the reader/pipeline branch; until it is merged they are tolerated
    here, and nothing else. Each probe whose file now gives a spatialflow error (or reads)
    drops its errors from the tolerated set, so once merged the property is strict.
    """
    import tempfile
    from spatialflow.datasets import read_county_panel
    tolerated = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "probe.csv")
        for payload, options, errors in _BAD_CASE_3:
            with open(path, "wb") as fh:
                fh.write(payload)
            try:
                read_county_panel(path, **options)
            except errors:
                tolerated.extend(errors)
            except Exception:  # noqa: BLE001 - typed (or another outcome): the fix is in
                pass
    return tuple(tolerated)


HEADERS = st.lists(st.sampled_from(["code", "year", "x", "y", "name", "年份", "", "code"]),
                   min_size=0, max_size=4)
CELLS = st.one_of(st.sampled_from(["440103", "440104", "2020", "2021", "20199", "2020.5",
                                   "1", "-1", "1,000", "NA", "", "..", "—", "x", '"', "1e400",
                                   "440103 ", "４４０１０３"]),
                  st.text(max_size=4))


@st.composite
def csv_bytes(draw):
    header = draw(HEADERS)
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=5), max_size=5))
    text = "\n".join([",".join(header)] + [",".join(r) for r in rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "gbk", "utf-16"]))
    try:
        payload = text.encode(encoding)
    except UnicodeEncodeError:
        payload = text.encode("utf-8")
    if draw(st.booleans()):
        payload = payload[: draw(st.integers(0, max(len(payload), 1)))]
    return payload


@pytest.fixture(scope="module")
def reader_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("reader")


@pytest.fixture(scope="module")
def tolerated():
    return _untyped_parse_errors()


@given(payload=csv_bytes(), options=st.fixed_dictionaries({}, optional={
    "numeric": st.sampled_from([["x"], ["x", "y"], []]),
    "years": st.sampled_from([(2020, 2021), (2021, 2020), (2020, 2020)]),
    "units": st.sampled_from(["all", "data"]),
    "encoding": st.sampled_from(["utf-8", "gbk", "latin-1", "no-such-codec"]),
    "layer": st.sampled_from([["440103", "440104"], ["440103"]]),
}))
def test_reader_works_or_raises_a_spatialflow_error(reader_dir, tolerated, payload, options):
    from spatialflow.datasets import read_county_panel
    path = reader_dir / "panel.csv"
    path.write_bytes(payload)
    try:
        out = _call(lambda: read_county_panel(path, **options))
    except tolerated:
        return
    if not isinstance(out, SpatialflowError):
        assert {"code", "year"} <= set(out.data.columns)
        assert not out.data.duplicated(["code", "year"]).any()
    assert path.read_bytes() == payload


# --------------------------------------------------------------------------- report
@st.composite
def report_inputs(draw):
    n = draw(st.integers(2, 6))
    regions = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n))
    layer = gpd.GeoDataFrame(
        {"region": regions},
        geometry=[box(i * 1000.0, 0, (i + 1) * 1000.0, 1000.0) for i in range(n)],
        index=[f"u{i}" for i in range(n)], crs="EPSG:32650")
    years = draw(st.lists(st.integers(2018, 2022), min_size=1, max_size=3, unique=True))
    panel = pd.DataFrame({"code": np.tile(layer.index, len(years)),
                          "year": np.repeat(years, n)})
    m = len(panel)
    panel["v"] = draw(st.lists(HOSTILE_FLOAT, min_size=m, max_size=m))
    panel["z"] = np.abs(draw(columns(m, "z")))
    drop = draw(st.lists(st.integers(0, m - 1), max_size=3, unique=True))
    panel = panel.drop(index=drop)
    if draw(st.booleans()):
        panel["region"] = panel["code"].map(layer["region"])
        if draw(st.booleans()) and len(panel):
            panel.iloc[0, panel.columns.get_loc("region")] = "B"
    if draw(st.booleans()) and len(panel):
        panel = pd.concat([panel, panel.iloc[[0]]])          # a duplicated row
    if draw(st.booleans()):
        layer = layer.drop(columns="region")
    options = draw(st.fixed_dictionaries({}, optional={
        "core": st.sampled_from(["A", "B", "Z"]),
        "time": st.sampled_from(["year", None]),
        "permutations": st.sampled_from([0, 9, -1, 2.5]),
        "seed": st.sampled_from([0, 7, -1, 1.5, None]),
        "n_draws": st.sampled_from([2, 10, 1, 2.7]),
        "lang": st.sampled_from(["en", "zh", "fr"]),
    }))
    return panel, layer, options


@given(report_inputs())
@settings(suppress_health_check=list(HealthCheck))
def test_report_works_or_raises_a_spatialflow_error(inputs):
    from spatialflow import report
    panel, layer, options = inputs
    options = {"core": "A", "n_draws": 2, "permutations": 0, **options}
    if options.get("time", "year") is None:
        assume(not panel["code"].duplicated().any())
    panel_before, layer_before = panel.copy(), layer.copy()
    indicators = [report.Indicator("v", higher_is_better=True),
                  report.Indicator("z", higher_is_better=False)]
    out = _call(lambda: report.build(panel, layer, indicators=indicators, group="region",
                                     figures=False, **options))
    if not isinstance(out, SpatialflowError):
        assert "deficits" in out.tables
    _same_frame(panel, panel_before)
    pd.testing.assert_frame_equal(pd.DataFrame(layer.drop(columns="geometry")),
                                  pd.DataFrame(layer_before.drop(columns="geometry")))
