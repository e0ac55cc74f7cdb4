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
flaky; there is no deadline (a fit's time depends on the machine's load). ``explore`` draws
1,000 other examples on each run (``--hypothesis-seed=N`` replays one), to hunt for bugs.
"""
from __future__ import annotations

import atexit
import copy
import os
import shutil
import string
import tempfile
import warnings
import zlib

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from shapely.geometry import Point, box

import spatialflow as sf
from spatialflow.exceptions import SpatialflowError, SpatialflowWarning

# Hypothesis keeps caches (constants, unicode tables) in `.hypothesis/` of the working
# directory even without an example database: in a fresh temporary folder instead, removed
# at exit (set before any test is collected, when hypothesis first writes there).
_HOME = tempfile.mkdtemp(prefix="spatialflow-hypothesis-")
set_hypothesis_home_dir(_HOME)
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)

_COMMON = dict(derandomize=True, database=None, deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=50, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
# Hunting for new bugs: other inputs on every run (pass --hypothesis-seed=N to replay one).
settings.register_profile("explore", max_examples=1000,
                          **{**_COMMON, "derandomize": False})
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
    # the outcomes' mix, in --hypothesis-show-statistics: "works" or the error's class
    # (and the start of its message with PROPERTY_EVENTS=1, to tune the strategies)
    if isinstance(out, SpatialflowError):
        detail = f": {str(out)[:50]}" if os.environ.get("PROPERTY_EVENTS") else ""
        event(f"raised {type(out).__name__}{detail}")
    else:
        event("works")
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
    style = draw(st.sampled_from(["noise"] * 6 + ["hostile", "constant", "int", "hostile"]))
    if style == "noise":
        seed = draw(st.integers(0, 2**16))
        # the column's name in the seed: y, x1 and x2 differ even when their seeds agree
        return np.random.default_rng([seed, zlib.crc32(name.encode())]).normal(size=n)
    if style == "constant":
        return np.full(n, draw(FINITE))
    if style == "int":
        return np.asarray(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)))
    return np.asarray(draw(st.lists(HOSTILE_FLOAT, min_size=n, max_size=n)), dtype=float)


# --------------------------------------------------------------------------- models
KINDS = ["OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS"]


@st.composite
def model_inputs(draw):
    rows, cols = draw(st.integers(2, 4)), draw(st.integers(1, 4))
    n = rows * cols
    w = libpysal.weights.lat2W(rows, cols)
    if draw(st.integers(0, 9)) == 0:
        w = libpysal.weights.lat2W(1, 1)           # one unit, no neighbours
    n = len(w.id_order)
    w.transform = draw(st.sampled_from(["r", "r", "b", "o"]))
    ids = np.asarray(w.id_order)
    how = draw(st.sampled_from(["same"] * 4 + ["shuffled", "strings", "duplicate",
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
    formula = draw(st.sampled_from(["y ~ x1", "y ~ x1 + x2"] * 3 + [
        "y ~ x1 + x2 - 1", "y ~ x1 + C(g)", "y ~ np.log(x1)", "y ~ y + x1",
        "y ~ x1 + I(2 * x1)", "y ~ zz"]))
    missing = draw(st.sampled_from(["raise", "drop"] * 3 + ["skip"]))
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
        rows = (pd.RangeIndex(len(inputs["data"])) if inputs["path"] == "numpy"
                else inputs["data"].index)                 # numpy arrays meet W by position
        assert set(out.ids) <= set(rows)
    _same_frame(inputs["data"], data_before)
    assert (w.neighbors, w.weights, w.transform) == w_before


# --------------------------------------------------------------------------- weights
WEIGHT_KINDS = ["queen", "rook", "knn", "distance_band", "inverse_distance", "economic",
                "nested", "unknown"]


@st.composite
def layers(draw):
    """A few grid cells (polygons, possibly not touching) or points, hostile ids and CRS."""
    n = draw(st.integers(2, 7)) if draw(st.integers(0, 4)) else draw(st.integers(0, 1))
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
    ids = draw(st.sampled_from(["letters", "ints"] * 3 + ["dup"]))
    index = (list(string.ascii_lowercase[:n]) if ids == "letters" else list(range(100, 100 + n)))
    if ids == "dup" and n > 1:
        index[-1] = index[0]
    crs = draw(st.sampled_from(["EPSG:32650"] * 4 + ["EPSG:4326", None]))
    values = (draw(st.lists(HOSTILE_FLOAT, min_size=n, max_size=n)) if draw(st.booleans())
              else list(np.random.default_rng(draw(st.integers(0, 99))).normal(size=n)))
    frame = gpd.GeoDataFrame({"v": values},
                             geometry=geoms, index=index, crs=crs)
    return frame


def _mostly(good: list, bad: list):
    """Valid values three times as often as hostile ones (valid ones first: hypothesis
    tries the first values first and shrinks towards them)."""
    return st.sampled_from(good * 3 + bad)


OPTION_VALUES = {
    "k": _mostly([1, 2, 3], [0, -1, 10, 2.5, "3"]),
    "threshold_km": _mostly([150.0, 1e4, 0.5], [0.0, -1.0, np.nan, np.inf]),
    "power": _mostly([1, 2, 0.5], [50, 400, 0, -1, "2"]),
    "binary": _mostly([True, False], ["yes"]),
    "islands": _mostly(["knn", "keep", "raise"], ["drop"]),
    "k_islands": _mostly([1, 2], [0, 1.5]),
    "transform": _mostly(["r", "b", None, "R"], ["d", "v", "o", "x"]),
    "project": st.sampled_from([False, True]),
    "column": _mostly(["v"], ["missing"]),
    "epsilon": _mostly([None, 0.1], [1e-9, -1.0]),
    "phi": _mostly([0.5, 0.0, 1.0], [1.5]),
    "geo": _mostly(["inverse_distance", "knn", "queen"], ["flow"]),
}


@given(layers(), _mostly(WEIGHT_KINDS[:-1], WEIGHT_KINDS[-1:]), st.data())
def test_weights_build_works_or_raises_a_spatialflow_error(frame, kind, data):
    from spatialflow.weights.builders import _COMMON as common, _OPTIONS as own
    # mostly the kind's own options; sometimes any (an option of another kind is an error)
    pool = sorted(OPTION_VALUES) if data.draw(st.integers(0, 5)) == 0 else \
        sorted(k for k in OPTION_VALUES if k in {**common, **own.get(kind, {})})
    keys = data.draw(st.lists(st.sampled_from(pool), max_size=4, unique=True)) if pool else []
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


TOKENS = st.one_of(st.sampled_from(["2020", "20199", "2020.5", "-1", "1,000", "NA", "", "..",
                                     "—", '"', "1e400", "440103 ", "４４０１０３", "x"]),
                   st.text(max_size=4))


@st.composite
def csv_bytes(draw):
    """A well-formed panel (2 units x 2 years) that hostile edits may break: a header
    renamed or dropped, a cell replaced, a row duplicated or cut short, an extra field,
    another encoding, the file truncated, or random bytes instead."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=40))
    header = ["code", "year", "x", "y"]
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    rows = [[code, str(year), f"{rng.random():.3f}", f"{rng.random() * 10:.2f}"]
            for code in ("440103", "440104") for year in (2020, 2021)]
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(["cell", "cell", "header", "duplicate", "short",
                                     "extra", "drop_row"]))
        if edit == "cell":
            row = rows[draw(st.integers(0, len(rows) - 1))]
            if row:
                row[draw(st.integers(0, len(row) - 1))] = draw(TOKENS)
        elif edit == "header":
            header[draw(st.integers(0, 3))] = draw(st.sampled_from(["年份", "", "code", "Year"]))
        elif edit == "duplicate":
            rows.append(list(rows[draw(st.integers(0, len(rows) - 1))]))
        elif edit == "short":
            row = rows[draw(st.integers(0, len(rows) - 1))]
            if row:
                row.pop()
        elif edit == "extra":
            rows[draw(st.integers(0, len(rows) - 1))].append("9")
        elif len(rows) > 1:
            rows.pop(draw(st.integers(0, len(rows) - 1)))
    text = "\n".join(",".join(r) for r in [header] + rows) + "\n"
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["gbk", "utf-16"]))
    try:
        payload = text.encode(encoding)
    except UnicodeEncodeError:
        payload = text.encode("utf-8")
    if draw(st.integers(0, 4)) == 0:
        payload = payload[: draw(st.integers(0, max(len(payload), 1)))]
    return payload


@pytest.fixture(scope="module")
def reader_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("reader")


@pytest.fixture(scope="module")
def tolerated():
    return _untyped_parse_errors()


@given(payload=csv_bytes(), options=st.fixed_dictionaries({}, optional={
    "numeric": _mostly([["x"], ["x", "y"]], [[], ["z"]]),
    "years": _mostly([(2020, 2021), (2020, 2020)], [(2021, 2020), (1990, 1991)]),
    "units": st.sampled_from(["all", "data"]),
    "encoding": _mostly(["utf-8"], ["gbk", "latin-1", "no-such-codec"]),
    "layer": _mostly([["440103", "440104"]], [["440103"], ["440105"]]),
    "positive": _mostly([["y"]], [["x", "code"]]),
}))
def test_reader_works_or_raises_a_spatialflow_error(reader_dir, tolerated, payload, options):
    from spatialflow.datasets import read_county_panel
    path = reader_dir / "panel.csv"
    path.write_bytes(payload)
    try:
        out = _call(lambda: read_county_panel(path, **options))
    except tolerated as err:
        event(f"tolerated until bad case 3 is merged: {type(err).__name__}")
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
    panel["v"] = (draw(st.lists(HOSTILE_FLOAT, min_size=m, max_size=m)) if draw(st.booleans())
                  else draw(columns(m, "v")))
    panel["z"] = np.abs(draw(columns(m, "z")))
    drop = draw(st.lists(st.integers(0, m - 1), max_size=2, unique=True)) \
        if draw(st.booleans()) else []
    panel = panel.drop(index=drop)
    if draw(st.booleans()):
        panel["region"] = panel["code"].map(layer["region"])
        if draw(st.integers(0, 3)) == 0 and len(panel):
            panel.iloc[0, panel.columns.get_loc("region")] = "B"
    if draw(st.integers(0, 3)) == 0 and len(panel):
        panel = pd.concat([panel, panel.iloc[[0]]])          # a duplicated row
    if draw(st.integers(0, 3)) == 0:
        layer = layer.drop(columns="region")
    options = draw(st.fixed_dictionaries({}, optional={
        "core": _mostly(["A", "B"], ["Z"]),
        "time": _mostly(["year"], [None]),
        "permutations": _mostly([0, 9], [-1, 2.5]),
        "seed": _mostly([0, 7], [-1, 1.5, None]),
        "n_draws": _mostly([2, 10], [1, 2.7]),
        "lang": _mostly(["en", "zh"], ["fr"]),
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
    indicators = [report.Indicator("v", higher_is_better=True, scale="level"),
                  report.Indicator("z", higher_is_better=False, scale="index")]
    out = _call(lambda: report.build(panel, layer, indicators=indicators, group="region",
                                     figures=False, **options))
    if not isinstance(out, SpatialflowError):
        assert "deficits" in out.tables
    _same_frame(panel, panel_before)
    pd.testing.assert_frame_equal(pd.DataFrame(layer.drop(columns="geometry")),
                                  pd.DataFrame(layer_before.drop(columns="geometry")))
