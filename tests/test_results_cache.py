"""Expensive derived quantities are cached on the results (issue 26, item 2).

``summary()`` asks for the effects with 1,000 simulation draws; the results are immutable, so
the draws are computed once per full argument tuple and every call hands out a fresh copy.
"""
from __future__ import annotations

import copy
import inspect
import pickle

import libpysal
import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import EffectsInterpretationWarning, SeedError
from spatialflow.models.results import base


@pytest.fixture(scope="module")
def fit():
    w = libpysal.weights.lat2W(6, 6)
    w.transform = "r"
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": rng.normal(size=36), "g": np.repeat(["a", "b"], 18)},
                      index=w.id_order)
    df["y"] = 0.5 * df["x"] + rng.normal(size=36)
    return sf.SDM.from_formula("y ~ x", data=df, w=w).fit()


@pytest.fixture
def calls(monkeypatch):
    """Count the calls of the effects computation behind ``results.effects``."""
    counted: list[dict] = []
    real = base.compute_effects

    def counting(results, **kwargs):
        counted.append(kwargs)
        return real(results, **kwargs)

    counting.__name__ = real.__name__
    counting.__signature__ = inspect.signature(real)
    monkeypatch.setattr(base, "compute_effects", counting)
    return counted


def _fresh_results(fit):
    """The same fit without its cache (a deep copy is rebuilt through the constructor)."""
    return copy.deepcopy(fit)


def test_second_summary_draws_nothing_and_is_identical(fit, calls):
    res = _fresh_results(fit)
    first = res.summary().as_text()
    assert len(calls) == 1 and calls[0]["n_draws"] == 1000
    second = res.summary().as_text()
    assert len(calls) == 1           # no new draws
    assert second == first
    # the cached numbers are those of a computation from scratch
    pd.testing.assert_frame_equal(res.effects(n_draws=1000, seed=0, level=0.95),
                                  base.compute_effects(_fresh_results(fit)), rtol=0, atol=0)
    assert len(calls) == 2


def test_other_arguments_recompute(fit, calls):
    res = _fresh_results(fit)
    a = res.effects(n_draws=200, seed=1)
    res.effects(n_draws=200, seed=1)
    assert len(calls) == 1
    b = res.effects(n_draws=200, seed=2)                    # another seed
    assert len(calls) == 2
    assert not np.allclose(a["direct_std_error"], b["direct_std_error"], rtol=1e-12, atol=0)
    res.effects(n_draws=200, seed=1, level=0.9)             # another level
    res.effects(n_draws=300, seed=1)                        # more draws
    res.effects(n_draws=200, seed=1, method="delta")        # another method
    res.effects(n_draws=200, seed=1, partition="g")         # blocks by a column
    assert len(calls) == 6
    # the defaults filled in: the same call spelt two ways is one entry
    res.effects(n_draws=200, seed=1, level=0.95, method="simulation")
    res.effects(200, 1, partition="g")
    assert len(calls) == 6


def test_uncacheable_calls_are_computed_each_time(fit, calls):
    res = _fresh_results(fit)
    part = pd.Series(np.repeat(["a", "b"], 18), index=res.ids)
    res.effects(n_draws=100, seed=1, partition=part)        # a Series: unhashable
    res.effects(n_draws=100, seed=1, partition=part)
    res.effects(n_draws=100, seed=None)                     # fresh entropy each call
    res.effects(n_draws=100, seed=None)
    labels = dict(zip(res.ids, np.repeat(["a", "b"], 18)))
    res.effects(n_draws=100, seed=1, partition=labels)      # a dict: unhashable too
    res.effects(n_draws=100, seed=1, partition=labels)
    assert len(calls) == 6


def test_bad_arguments_still_raise_after_a_hit(fit):
    res = _fresh_results(fit)
    res.effects(n_draws=100, seed=1)
    with pytest.raises(SeedError, match="seed"):
        res.effects(n_draws=100, seed=True)                 # True == 1, but refused
    with pytest.raises(sf.exceptions.InputError, match="unknown option"):
        res.effects(n_draws=100, seed=1, bogus=3)


def test_copies_edited_in_place_never_reach_the_cache(fit):
    res = _fresh_results(fit)
    first = res.effects(n_draws=100, seed=1)
    kept = first.copy(deep=True)
    first.loc["x", "direct"] = 99.0
    del first["total"]
    first.attrs["rejected_draws"] = -1
    again = res.effects(n_draws=100, seed=1)
    pd.testing.assert_frame_equal(again, kept, rtol=0, atol=0)
    assert again.attrs == kept.attrs
    assert again is not res.effects(n_draws=100, seed=1)


def test_cache_is_not_pickled_and_copies_agree(fit):
    res = _fresh_results(fit)
    eff = res.effects(n_draws=100, seed=1)
    assert "_derived_cache" in vars(res)
    for other in (pickle.loads(pickle.dumps(res)), copy.deepcopy(res), copy.copy(res)):
        assert "_derived_cache" not in vars(other)
        pd.testing.assert_frame_equal(other.effects(n_draws=100, seed=1), eff, rtol=0, atol=0)


def test_a_hit_repeats_the_interpretation_warning():
    w = libpysal.weights.lat2W(5, 5)
    w.transform = "r"
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=25), "z": rng.normal(size=25)}, index=w.id_order)
    df["y"] = df["x"] + rng.normal(size=25)
    res = sf.SAR.from_formula("y ~ x + x:z", data=df, w=w).fit()
    for _ in range(2):
        with pytest.warns(EffectsInterpretationWarning, match=r"'x' enters") as record:
            res.effects(n_draws=50, seed=0)
        assert record[0].filename == __file__  # pointed at the caller, hit or miss
