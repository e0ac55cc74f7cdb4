"""Effects on models that dropped units or carry regimes (from a user-perspective review)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spatialflow as sf
from spatialflow.exceptions import IdMismatchError, MissingValueWarning

FORMULA = "CRIME ~ INC + HOVAL"


@pytest.fixture()
def dropped_fit(columbus):
    df, w = columbus
    bad = df.assign(side=np.where(df["INC"] > df["INC"].median(), "rich", "poor"))
    bad.loc["7", "INC"] = np.nan
    with pytest.warns(MissingValueWarning):
        res = sf.SDM.from_formula(FORMULA, data=bad, w=w, missing="drop").fit()
    return res, bad


def test_partition_of_all_units_fits_a_model_that_dropped_some(dropped_fit):
    res, bad = dropped_fit
    by_name = res.effects(partition="side", n_draws=100, seed=1)
    by_series = res.effects(partition=bad["side"], n_draws=100, seed=1)
    pd.testing.assert_frame_equal(by_name, by_series)
    assert by_name.groupby("from")["n_from"].first().sum() == 48
    totals = by_name.groupby("variable")["estimate"].sum()
    eff = res.effects(n_draws=10)
    np.testing.assert_allclose(totals.loc[eff.index], eff["total"], rtol=1e-10)


def test_partition_ids_unknown_to_the_data_still_raise(dropped_fit):
    res, bad = dropped_fit
    labels = bad["side"].copy()
    labels.loc["999"] = "rich"
    with pytest.raises(IdMismatchError, match="'999'"):
        res.effects(partition=labels, n_draws=10)


def test_regime_intercepts_have_no_effects(columbus):
    df, w = columbus
    reg = df.assign(reg=(df["INC"] > df["INC"].median()).astype(int))
    res = sf.SAR.from_formula(FORMULA, data=reg, w=w, regimes="reg").fit()
    eff = res.effects(n_draws=50)
    assert list(eff.index) == ["INC[0]", "INC[1]", "HOVAL[0]", "HOVAL[1]"]


def test_a_misspelt_effects_option_names_the_valid_ones(columbus):
    from spatialflow.exceptions import InputError
    df, w = columbus
    res = sf.SDM.from_formula(FORMULA, data=df, w=w).fit()
    with pytest.raises(InputError, match=r"unknown option\(s\) \['n_draw'\].*n_draws"):
        res.effects(n_draw=100)
    with pytest.raises(InputError, match="unknown option"):
        res.unit_effects(draws=10)


def test_simulated_effect_ses_do_not_depend_on_the_regressors_units(columbus):
    """Rescaling a regressor by 1e10 rescales its effects and SEs by 1e-10, nothing else."""
    df, w = columbus
    base = sf.SDM.from_formula(FORMULA, data=df, w=w).fit().effects(n_draws=2000, seed=3)
    scaled_df = df.assign(INC=df["INC"] * 1e10)
    scaled = sf.SDM.from_formula(FORMULA, data=scaled_df, w=w).fit().effects(n_draws=2000,
                                                                             seed=3)
    for col in ("direct", "indirect", "total", "direct_std_error", "indirect_std_error", "total_std_error"):
        np.testing.assert_allclose(scaled.loc["INC", col] * 1e10, base.loc["INC", col],
                                   rtol=1e-6, err_msg=col)
        np.testing.assert_allclose(scaled.loc["HOVAL", col], base.loc["HOVAL", col],
                                   rtol=1e-6, err_msg=col)


def test_interactions_warn_that_column_effects_are_conditional(columbus):
    from spatialflow.exceptions import EffectsInterpretationWarning
    df, w = columbus
    res = sf.SDM.from_formula("CRIME ~ INC * HOVAL", data=df, w=w).fit()
    with pytest.warns(EffectsInterpretationWarning, match=r"'INC' enters \['INC', 'INC:HOVAL'\]"):
        res.effects(n_draws=20)
    squared = sf.SAR.from_formula("CRIME ~ INC + I(INC**2) + HOVAL", data=df, w=w).fit()
    with pytest.warns(EffectsInterpretationWarning, match=r"I\(INC \*\* 2\)"):
        squared.effects(n_draws=20)


def test_plain_regressors_do_not_warn(columbus):
    import warnings

    from spatialflow.exceptions import EffectsInterpretationWarning
    df, w = columbus
    res = sf.SDM.from_formula("CRIME ~ INC + np.log(HOVAL)", data=df, w=w).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", EffectsInterpretationWarning)
        eff = res.effects(n_draws=20)
    assert list(eff.index) == ["INC", "np.log(HOVAL)"]
