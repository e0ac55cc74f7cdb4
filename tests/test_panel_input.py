"""Bad input to spatial panel models: typed errors and named warnings (issue 5)."""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import (CollinearityError, DuplicateIdError, IdMismatchError,
                                    InputError, MissingDataError, MissingValueWarning,
                                    ModelSpecificationError,
                                    PanelError, UnbalancedPanelError, UnbalancedPanelWarning)


@pytest.fixture(scope="module")
def w():
    w = libpysal.weights.lat2W(5, 6)
    w.transform = "r"
    return w


@pytest.fixture
def df(w):
    rng = np.random.default_rng(0)
    T = 4
    out = pd.DataFrame({"code": np.tile(w.id_order, T), "year": np.repeat(np.arange(T), w.n),
                        "x1": rng.normal(size=w.n * T), "x2": rng.normal(size=w.n * T)})
    out["y"] = out["x1"] - out["x2"] + rng.normal(size=len(out))
    return out


def model(df, w, effects="twoway", cls=sf.SDM, formula="y ~ x1 + x2", **kw):
    return cls.from_formula(formula, data=df, w=w, id="code", time="year", effects=effects,
                            **kw)


def test_unbalanced_panel_raises_with_per_id_counts(df, w):
    bad = df.drop(index=df.index[(df["code"].isin([3, 7])) & (df["year"] == 2)])
    with pytest.raises(UnbalancedPanelError, match=r"2 unit\(s\).*\{3: 3, 7: 3\}"):
        model(bad, w)


def test_balance_drop_warns_with_ids_and_subsets_weights(df, w):
    bad = df.drop(index=df.index[(df["code"] == 3) & (df["year"] == 2)])
    with pytest.warns(UnbalancedPanelWarning, match=r"dropped 1 incomplete unit.*\{3: 3\}"):
        m = model(bad, w, balance="drop")
    res = m.fit()
    assert 3 not in res.ids and res.panel["n"] == w.n - 1
    np.testing.assert_allclose(np.asarray(res.W.sum(axis=1)).ravel(), 1.0, rtol=1e-12)
    assert list(res.extra["dropped_units"]) == [3]


def test_duplicated_id_time_rows(df, w):
    bad = pd.concat([df, df.iloc[[5]]], ignore_index=True)
    with pytest.raises(DuplicateIdError, match=r"\(5, 0\)"):
        model(bad, w)


def test_ids_absent_from_weights(df, w):
    bad = df.copy()
    bad.loc[bad["code"] == 4, "code"] = 99
    with pytest.raises(IdMismatchError, match=r"in the data but not in the weights \[99\]"):
        model(bad, w)


def test_ids_as_text_hint(df, w):
    bad = df.assign(code=df["code"].astype(str))
    with pytest.raises(IdMismatchError, match="agree as text"):
        model(bad, w)


def test_time_invariant_regressor_under_unit_effects(df, w):
    bad = df.assign(area=np.tile(np.arange(w.n, dtype=float), 4))
    with pytest.raises(CollinearityError, match=r"\['area', 'W_area'\] do not vary within "
                                                 r"units"):
        model(bad, w, effects="unit", formula="y ~ x1 + area")
    model(bad, w, effects="time", formula="y ~ x1 + area")  # fine under time effects


def test_period_constant_regressor_under_time_effects(df, w):
    bad = df.assign(trend=df["year"].astype(float))
    with pytest.raises(CollinearityError, match=r"\['trend'\] do not vary within periods"):
        model(bad, w, effects="time", cls=sf.SAR, formula="y ~ x1 + trend")


def test_single_period(df, w):
    with pytest.raises(PanelError, match="at least T = 2 periods; the data have T = 1"):
        model(df[df["year"] == 0], w)


def test_missing_id_column_and_bad_effects(df, w):
    with pytest.raises(PanelError, match="time='yr' is not a column"):
        sf.SDM.from_formula("y ~ x1", data=df, w=w, id="code", time="yr", effects="unit")
    with pytest.raises(InputError, match=r"effects must be one of .*'both' was given"):
        model(df, w, effects="both")
    with pytest.raises(InputError, match="bias_correction must be 'lee-yu' or None"):
        model(df, w).fit(bias_correction="elhorst")


def test_random_effects_durbin_rejected(df, w):
    with pytest.raises(ModelSpecificationError, match="random effects are implemented for SAR"):
        model(df, w, effects="random")


def test_missing_values(df, w):
    bad = df.copy()
    bad.loc[3, "x1"] = np.nan
    with pytest.raises(MissingDataError, match=r"columns \['x1'\] at 1 \(id, time\) row"):
        model(bad, w)
    with pytest.warns(UnbalancedPanelWarning, match="dropped 1 incomplete unit"):
        with pytest.warns(MissingValueWarning, match=r"non-finite values in \['x1'\]"):
            res = model(bad, w, missing="drop", balance="drop").fit()
    assert res.panel["n"] == w.n - 1


def test_long_frame_indexed_by_id_is_fine(df, w):
    # A long frame is often indexed by the unit id, which then repeats: rows stay aligned.
    a = model(df, w).fit()
    b = model(df.set_index(df["code"].rename("idx")), w).fit()
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-12)
