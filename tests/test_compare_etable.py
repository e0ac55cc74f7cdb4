"""compare() as pyfixest's etable (issue 20): rename, keep/drop/order, digits, stats, dep_var.

The cells are checked against the fitted results' own numbers; the pseudo-R2 row against
corr(y, reduced-form prediction)^2 computed here with numpy.
"""
from __future__ import annotations

import numpy as np
import pytest

import spatialflow
from spatialflow import compare
from spatialflow._render import significance_stars
from spatialflow.exceptions import InputError

RTOL_SHOWN = 5e-4  # a number printed with 4 decimals read back


@pytest.fixture(scope="module")
def fits(columbus):
    df, w = columbus
    return {k: getattr(spatialflow, k).from_formula("CRIME ~ INC + HOVAL", data=df, w=w).fit()
            for k in ("SAR", "SDM")}


def _labels(c):
    return [lab for lab in c.table.index if lab]


def test_keep_drop_order_rename(fits):
    c = compare(fits, keep=["^W_", "rho"])
    assert _labels(c)[:3] == ["W_INC", "W_HOVAL", "rho"]
    assert "INC" not in c.table.index and "Intercept" not in c.table.index
    c = compare(fits, drop="Intercept", order=["HOVAL$"], rename={"INC": "Income"})
    labels = _labels(c)
    assert labels[:2] == ["HOVAL", "W_HOVAL"] and "Intercept" not in labels
    assert "Income" in labels and "INC" not in labels
    assert "INC" in c.params.index  # numeric frames keep the parameter names
    assert list(c.params.index) == ["HOVAL", "W_HOVAL"] + [
        n for n in c.params.index if n not in ("HOVAL", "W_HOVAL")]


def test_digits_and_dep_var(fits):
    c = compare(fits, digits=2, dep_var=True)
    assert c.table.index[0] == "Dependent variable"
    assert list(c.table.iloc[0]) == ["CRIME", "CRIME"]
    sdm = fits["SDM"]
    row = list(c.table.index).index("INC")
    est, se = c.table.iloc[row]["SDM"], c.table.iloc[row + 1]["SDM"]
    assert est == f"{sdm.params['INC']:.2f}" + significance_stars(sdm.pvalues["INC"])
    assert se == f"({sdm.bse['INC']:.2f})"


def test_stats_selection(fits):
    c = compare(fits, stats=("nobs", "aic", "pseudo_r2"))
    tail = list(c.table.index[-3:])
    assert tail == ["n", "AIC", "pseudo R2 (corr²)"]
    assert "logL" not in c.table.index
    for name, res in fits.items():
        y = np.asarray(res.model.frame.y, dtype=float)
        yhat = np.asarray(res.predict(type="reduced"), dtype=float)
        r2 = np.corrcoef(y, yhat)[0, 1] ** 2
        assert float(c.table.loc["pseudo R2 (corr²)", name]) == pytest.approx(r2, rel=RTOL_SHOWN)
        assert float(c.table.loc["AIC", name]) == pytest.approx(res.aic, rel=RTOL_SHOWN)
        assert c.stats.loc["pseudo R2 (corr²)", name] == pytest.approx(r2, rel=1e-12)


def test_bad_options_are_named(fits):
    with pytest.raises(InputError, match="not known"):
        compare(fits, stats=("r2_within",))
    with pytest.raises(InputError, match="regular expression"):
        compare(fits, keep=["("])
    with pytest.raises(InputError, match="digits"):
        compare(fits, digits=-1)
    with pytest.raises(InputError, match="leave no parameter"):
        compare(fits, keep=["nothing_matches"])
    with pytest.raises(InputError, match="rename"):
        compare(fits, rename=["INC"])
