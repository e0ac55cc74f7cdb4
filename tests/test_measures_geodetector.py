"""Geodetector: q, its noncentral F test, the interaction, risk and ecological detectors and
the optimal discretisation, against hand computations and the R package ``geodetector``
(tests/reference/geodetector/PROVENANCE.md)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spatialflow.exceptions import IdMismatchError, InputError, MissingDataError
from spatialflow.measures import (
    INTERACTION_TYPES,
    discretise,
    ecological_detector,
    factor_detector,
    geodetector,
    interaction_detector,
    optimal_discretisation,
    risk_detector,
)
from spatialflow.measures.geodetector import interaction_type

REF = Path(__file__).parent / "reference" / "geodetector"

#: q, F and lambda are closed-form sums of squares: equal to round-off.
EXACT_RTOL = 1e-12
#: R prints 17 significant digits of the same sums.
R_RTOL = 1e-12
#: Noncentral F tails against R: R's pf(ncp=) sums its Poisson mixture of beta tails to an
#: absolute error of 1e-9 (errmax in R's nmath/pnbeta.c); measured differences up to 9.5e-10
#: (8e-6 relative at p = 1.2e-4, where scipy agrees with a 40-digit mpmath sum to 1e-15).
NCF_ATOL_R = 2e-9
#: scipy.stats.ncf against a 40-digit mpmath series of the same mixture.
NCF_RTOL_MP = 1e-10


def _ref() -> dict:
    out = {}
    lines = []
    for name in ("geodetector_ref.txt", "gdverse_ref.txt"):
        lines += (REF / name).read_text(encoding="utf-8").splitlines()
    for line in lines:
        if line.startswith("KV "):
            _, det, qty, name, value = line.split()
            out[(det, qty, name)] = float(value)
        elif line.startswith("KVS "):
            _, det, qty, name, value = line.split()
            out[(det, qty, name)] = {"TRUE": True, "FALSE": False}.get(value, value)
    return out


@pytest.fixture(scope="module")
def ref():
    return _ref()


@pytest.fixture(scope="module")
def collect():
    return pd.read_csv(REF / "collectdata.csv")


FACTORS = ["soiltype", "watershed", "elevation"]


# ----------------------------------------------------------- hand-computed table
def _tiny():
    y = pd.Series([1.0, 2.0, 3.0, 7.0, 8.0, 9.0], index=list("uvwxyz"))
    X = pd.DataFrame({"zone": list("aaabbb"), "side": list("cddccd")}, index=y.index)
    return y, X


def test_q_F_lambda_of_a_hand_computed_table(ref):
    # zone: strata {1,2,3} and {7,8,9}: SSW = 2 + 2 = 4, SST = 58 (mean 5), so q = 27/29;
    # F = (N-L)/(L-1) q/(1-q) = 4 * 27/2 = 54; lambda = (sum of mean^2 - (sum sqrt(N_h)
    # mean_h)^2/N)/sigma^2 = (68 - 300/6)/(58/6) = 54/29 (sample variance 58/5: 45/29).
    y, X = _tiny()
    fd = factor_detector(y, X[["zone"]])
    assert fd.loc["zone", "q"] == pytest.approx(27 / 29, rel=EXACT_RTOL)
    assert fd.loc["zone", "F"] == pytest.approx(54.0, rel=EXACT_RTOL)
    assert fd.loc["zone", "lambda"] == pytest.approx(54 / 29, rel=EXACT_RTOL)
    assert fd.loc["zone", "p_value"] == pytest.approx(ref[("tiny", "p_population", "zone")],
                                                      rel=0, abs=NCF_ATOL_R)
    fs = factor_detector(y, X[["zone"]], variance="sample")
    assert fs.loc["zone", "lambda"] == pytest.approx(45 / 29, rel=EXACT_RTOL)
    assert fs.loc["zone", "p_value"] == pytest.approx(ref[("tiny", "p_package", "zone")],
                                                      rel=0, abs=NCF_ATOL_R)
    assert ref[("tiny", "q_package", "zone")] == pytest.approx(27 / 29, rel=R_RTOL)


def test_interaction_and_ecological_of_the_hand_computed_table():
    # side: {1,7,8} and {2,3,9}, both SSW 86/3, so q2 = 1 - (172/3)/58 = 1/87. Crossed:
    # {1}, {2,3}, {7,8}, {9}: SSW = 1, q12 = 57/58 > q1 + q2 = 82/87: enhance, nonlinear.
    y, X = _tiny()
    it = interaction_detector(y, X)
    row = it.loc["zone:side"]
    assert row["q_2"] == pytest.approx(1 / 87, rel=EXACT_RTOL)
    assert row["q"] == pytest.approx(57 / 58, rel=EXACT_RTOL)
    assert row["interaction"] == "enhance, nonlinear"
    assert row["strata"] == 4
    # ecological: F = SSW_zone / SSW_side = 4 / (172/3) = 3/43
    ec = ecological_detector(y, X)
    assert ec.loc["zone:side", "F"] == pytest.approx(3 / 43, rel=EXACT_RTOL)
    from scipy import stats
    assert ec.loc["zone:side", "p_value"] == pytest.approx(
        2 * stats.f.cdf(3 / 43, 5, 5), rel=EXACT_RTOL)


def test_risk_detector_welch_t_by_hand():
    # strata means 2 and 8, variances 1 and 1, n = 3: t = -6/sqrt(2/3), df = 4 exactly
    y, X = _tiny()
    rd = risk_detector(y, X[["zone"]])
    assert len(rd) == 1
    r = rd.iloc[0]
    assert (r["stratum_1"], r["stratum_2"]) == ("a", "b")
    assert r["statistic"] == pytest.approx(-6 / np.sqrt(2 / 3), rel=EXACT_RTOL)
    assert r["df"] == pytest.approx(4.0, rel=EXACT_RTOL)
    assert bool(r["significant"]) is True


def test_geodetector_public_contract():
    y, X = _tiny()
    g = geodetector(y, X)
    assert list(g.columns) == ["q", "p_value"]
    assert list(g.index) == ["zone", "side"]
    gi = geodetector(y, X, interaction=True)
    assert list(gi.index) == ["zone", "side", "zone:side"]
    assert gi.loc["zone:side", "q"] == pytest.approx(57 / 58, rel=EXACT_RTOL)
    assert gi.loc["zone:side", "interaction"] == "enhance, nonlinear"
    assert gi.loc["zone", "interaction"] == ""


@pytest.mark.parametrize("q1,q2,q12,kind", [
    (0.3, 0.4, 0.2, "weaken, nonlinear"), (0.3, 0.4, 0.35, "weaken, uni-"),
    (0.3, 0.4, 0.4, "weaken, uni-"), (0.3, 0.4, 0.5, "enhance, bi-"),
    (0.3, 0.4, 0.7, "independent"), (0.3, 0.4, 0.8, "enhance, nonlinear")])
def test_interaction_types_follow_wang_2010(q1, q2, q12, kind):
    assert interaction_type(q1, q2, q12) == kind
    assert kind in INTERACTION_TYPES


# ------------------------------------------------------------------ R parity
def test_factor_detector_equals_r_geodetector(collect, ref):
    fd = factor_detector(collect["incidence"], collect[FACTORS], variance="sample")
    for x in FACTORS:
        assert fd.loc[x, "q"] == pytest.approx(ref[("factor", "q", x)], rel=R_RTOL)
        assert fd.loc[x, "p_value"] == pytest.approx(ref[("factor", "p", x)], rel=0, abs=NCF_ATOL_R)
    pop = factor_detector(collect["incidence"], collect[FACTORS])
    for x in FACTORS:
        assert pop.loc[x, "lambda"] == pytest.approx(ref[("factor_population", "lambda", x)],
                                                     rel=R_RTOL)
        assert pop.loc[x, "F"] == pytest.approx(ref[("factor_population", "F", x)], rel=R_RTOL)
        assert pop.loc[x, "p_value"] == pytest.approx(ref[("factor_population", "p", x)],
                                                      rel=0, abs=NCF_ATOL_R)


def test_interaction_detector_equals_r_geodetector(collect, ref):
    it = interaction_detector(collect["incidence"], collect[FACTORS], variance="sample")
    assert len(it) == 3
    for key, row in it.iterrows():
        assert row["q"] == pytest.approx(ref[("interaction", "q", key)], rel=R_RTOL)
        assert row["p_value"] == pytest.approx(ref[("interaction", "p", key)], rel=0, abs=NCF_ATOL_R)
        # R's own rule applied to R's numbers gives the same type
        r1 = ref[("factor", "q", row["factor_1"])]
        r2 = ref[("factor", "q", row["factor_2"])]
        assert row["interaction"] == interaction_type(r1, r2, ref[("interaction", "q", key)])


def test_factor_ecological_interaction_equal_gdverse(collect, ref):
    y, X = collect["incidence"], collect[FACTORS]
    fd = factor_detector(y, X)  # population variance, as gdverse
    for x in FACTORS:
        assert fd.loc[x, "q"] == pytest.approx(ref[("gdverse_factor", "q", x)], rel=R_RTOL)
        assert fd.loc[x, "p_value"] == pytest.approx(ref[("gdverse_factor", "p", x)], rel=0,
                                                     abs=NCF_ATOL_R)
    ec = ecological_detector(y, X)
    for key, row in ec.iterrows():
        assert row["F"] == pytest.approx(ref[("gdverse_ecological", "F", key)], rel=R_RTOL)
        upper = ref[("gdverse_ecological", "p_upper", key)]
        assert row["p_value"] == pytest.approx(2 * min(upper, 1 - upper), rel=1e-10)
    # gdverse drops one-unit strata before q: the crossed strata of its interaction detector
    # lose those units; dropping them first gives its q
    ours = interaction_detector(y, X)
    for key in ["soiltype:watershed", "soiltype:elevation", "watershed:elevation"]:
        a, b = key.split(":")
        crossed = X[a].astype(str) + "_" + X[b].astype(str)
        keep = crossed.map(crossed.value_counts()) > 1
        q = factor_detector(y[keep], crossed[keep].to_frame("c"))["q"].iloc[0]
        assert q == pytest.approx(ref[("gdverse_interaction", "q", key)], rel=R_RTOL)
        # the type agrees although gdverse's q differs ("Enhance,_bi-" -> "enhance, bi-")
        gd_type = ref[("gdverse_interaction", "type", key)].replace("_", " ").lower()
        assert ours.loc[key, "interaction"] == gd_type


def test_risk_detector_equals_r(collect, ref):
    rd = risk_detector(collect["incidence"], collect[FACTORS])
    n_checked = 0
    for _, r in rd.iterrows():
        a, b = r["stratum_1"], r["stratum_2"]
        assert r["mean_1"] == pytest.approx(ref[("risk", "mean", f"{r['factor']}={a}")],
                                            rel=R_RTOL)
        key = f"{r['factor']}={a}|{b}"
        if ("risk_welch", "t", key) in ref:
            assert r["statistic"] == pytest.approx(ref[("risk_welch", "t", key)], rel=1e-10)
            assert r["df"] == pytest.approx(ref[("risk_welch", "df", key)], rel=1e-10)
            assert r["p_value"] == pytest.approx(ref[("risk_welch", "p", key)], rel=1e-8)
            n_checked += 1
        # the package rounds df before its 5% test; the flags agree on this data
        assert bool(r["significant"]) == ref[("risk", "significant", key)]
    assert n_checked == len(rd) == 10 + 36 + 21


def test_noncentral_f_tail_against_a_high_precision_sum(collect):
    mp = pytest.importorskip("mpmath", reason="the 40-digit reference sum needs mpmath (a sympy dependency)")
    mp.mp.dps = 40

    def sf(f, d1, d2, lam):  # P(F' > f) = sum_j Pois(j; lam/2) (1 - I_x(d1/2 + j, d2/2))
        x = mp.mpf(d1) * f / (d1 * f + d2)
        # Poisson(lam/2) weights beyond mean + 20 SD are below 1e-80
        terms = int(lam / 2 + 20 * mp.sqrt(lam / 2) + 50)
        return mp.fsum(mp.exp(-lam / 2) * (lam / 2) ** j / mp.factorial(j)
                       * (1 - mp.betainc(mp.mpf(d1) / 2 + j, mp.mpf(d2) / 2, 0, x,
                                         regularized=True)) for j in range(terms))

    fd = factor_detector(collect["incidence"], collect[FACTORS])
    for x in FACTORS:
        r = fd.loc[x]
        n, L = int(r["n"]), int(r["strata"])
        exact = float(sf(mp.mpf(r["F"]), L - 1, n - L, mp.mpf(r["lambda"])))
        assert r["p_value"] == pytest.approx(exact, rel=NCF_RTOL_MP)


# ----------------------------------------------------------- invariances, inputs
def test_q_is_invariant_to_labels_and_row_order(collect):
    y, X = collect["incidence"], collect[FACTORS]
    base = geodetector(y, X)
    perm = np.random.default_rng(3).permutation(len(y))
    relabelled = X.iloc[perm].astype(str).radd("z")
    shuffled = geodetector(y.iloc[perm], relabelled)
    pd.testing.assert_frame_equal(base, shuffled, rtol=EXACT_RTOL)


def test_user_objects_not_modified(collect):
    y, X = collect["incidence"].copy(), collect[FACTORS].copy()
    geodetector(y, X, interaction=True)
    pd.testing.assert_frame_equal(X, collect[FACTORS])
    pd.testing.assert_series_equal(y, collect["incidence"])


def test_bad_inputs_raise_typed_errors():
    y, X = _tiny()
    with pytest.raises(IdMismatchError, match="only in factors"):
        geodetector(y.rename(index={"u": "q"}), X)
    holed = X.copy()
    holed.loc["v", "side"] = None
    with pytest.raises(MissingDataError, match=r"\('v', 'side'\)"):
        geodetector(y, holed)
    with pytest.raises(InputError, match="1 stratum"):
        geodetector(y, X.assign(zone="a"))
    with pytest.raises(InputError, match="its own stratum"):
        geodetector(y, pd.DataFrame({"id": list("abcdef")}, index=y.index))
    with pytest.raises(InputError, match="constant"):
        geodetector(y * 0 + 1, X)
    with pytest.raises(InputError, match="variance must be"):
        geodetector(y, X, variance="N")
    with pytest.raises(InputError, match="at least 2 factors"):
        interaction_detector(y, X[["zone"]])


# ----------------------------------------------------------- discretisation
def test_optimal_discretisation_is_the_max_of_the_brute_force_grid(collect):
    rng = np.random.default_rng(0)
    x = pd.Series(rng.gamma(2.0, 3.0, size=60), name="x")
    y = pd.Series(np.sin(x / 2) + 0.3 * rng.standard_normal(60))
    best = optimal_discretisation(y, x, k=range(3, 6))
    assert best.q == pytest.approx(best.table["q"].max(), rel=EXACT_RTOL)
    assert len(best.table) == 4 * 3
    # each candidate's q is the factor detector's q of its classes
    for _, row in best.table.iterrows():
        classes, breaks = discretise(x, row["method"], int(row["k"]))
        q = factor_detector(y, classes.to_frame("c"))["q"].iloc[0]
        assert q == pytest.approx(row["q"], rel=EXACT_RTOL)
        assert classes.nunique() == row["classes"]
    assert best.strata.nunique() == best.table.set_index(["method", "k"]).loc[
        (best.method, best.k), "classes"]


def test_discretise_classes_are_half_open_intervals():
    x = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    classes, breaks = discretise(x, "equal", 2)
    assert breaks.tolist() == [3.5, 6.0]
    assert classes.tolist() == [1, 1, 1, 2, 2, 2]
    classes, breaks = discretise(x, "geometric", 2)
    assert breaks[0] == pytest.approx(np.sqrt(6.0), rel=EXACT_RTOL)  # 1 * (6/1)^(1/2)
    assert classes.tolist() == [1, 1, 2, 2, 2, 2]
    with pytest.raises(InputError, match="positive values"):
        discretise(x - 2, "geometric", 2)
    with pytest.raises(InputError, match="k must be integers"):
        optimal_discretisation(x, x, k=[9])
