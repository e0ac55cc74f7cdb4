"""spatialflow.flows against R spflow on spflow's own example data (tests/reference/flows).

Tolerances (relative, named): OLS and S2SLS are closed-form in both programs, so their
estimates and standard errors must agree to ``RTOL_CLOSED = 1e-6`` (measured <= 2e-9).
ML: spflow replaces the log-determinant by a power series of order ``logdet_approx_order``
and stops L-BFGS-B at its default precision. With the *same* series (``logdet_order=m``)
our likelihood reproduces spflow's maximised log-likelihood to ``RTOL_LLF = 1e-8`` (measured
<= 2e-10) and its estimates within its optimiser's precision (``RTOL_OPTIM = 2e-4``, measured
<= 9e-5; one in 1e3 standard errors). Our *exact* ML agrees with spflow's order-40 fit on the
Germany data to ``RTOL_EXACT_VS_40 = 1e-5`` (measured 2.4e-6); on Paris the order-40 series
itself is 2e-4 off (PROVENANCE.md), so there we assert the series, not the exact fit.
"""
import numpy as np
import pytest

from _flows_reference import coefficients, model, reference

RTOL_CLOSED = 1e-6
RTOL_LLF = 1e-8
RTOL_OPTIM = 2e-4
RTOL_EXACT_VS_40 = 1e-5
RTOL_SE_ML = 1e-4  # spflow's mixed numerical/analytical Hessian


def _names(index):
    return [s.replace(" ", "") for s in index]


def _check_names(res, ref):
    assert _names(res.params.index) == _names(coefficients(ref).index)


@pytest.mark.parametrize("tag", ["ge", "paris", "usa"])
def test_ols_matches_spflow(tag):
    ref = reference(tag, "ols", "model_1")
    res = model(tag, "model_1").fit("ols")
    _check_names(res, ref)
    np.testing.assert_allclose(res.params, coefficients(ref)["est"], rtol=RTOL_CLOSED)
    np.testing.assert_allclose(res.bse, coefficients(ref)["sd"], rtol=RTOL_CLOSED)
    np.testing.assert_allclose(res.llf, ref.loc["_llf", "est"], rtol=RTOL_CLOSED)


@pytest.mark.parametrize("tag,variant", [("ge", f"model_{k}") for k in (2, 3, 4, 5, 6, 7, 9)]
                         + [("paris", "model_9"), ("usa", "model_9")])
def test_s2sls_matches_spflow(tag, variant):
    """Includes the non-Cartesian USA sample (30% of the pairs): masked lags and moments."""
    ref = reference(tag, "s2sls", variant)
    res = model(tag, variant).fit("s2sls")
    _check_names(res, ref)
    np.testing.assert_allclose(res.params, coefficients(ref)["est"], rtol=RTOL_CLOSED)
    np.testing.assert_allclose(res.bse, coefficients(ref)["sd"], rtol=RTOL_CLOSED)


# spflow's order-2 shortcut (derive_approxldet_cartesian2) is not the order-2 series for
# models 3-6 (model_3 adds the W_w trace, model_4 gets no log-determinant at all, models 5
# and 6 ignore the 1/2 and 1/3 scaling of their lag): PROVENANCE.md. Order 2 is compared for
# the other variants, order 40 for all.
@pytest.mark.parametrize("tag,variant,order", [("ge", f"model_{k}", 40) for k in range(2, 10)]
                         + [("ge", f"model_{k}", None) for k in (2, 7, 8, 9)]
                         + [("paris", "model_9", None), ("paris", "model_9", 40)])
def test_ml_with_spflows_series_matches_spflow(tag, variant, order):
    ref = reference(tag, "mle", variant, order)
    res = model(tag, variant).fit("ml", logdet_order=order or 2)
    _check_names(res, ref)
    np.testing.assert_allclose(res.llf, ref.loc["_llf", "est"], rtol=RTOL_LLF)
    est = coefficients(ref)["est"].to_numpy()
    np.testing.assert_allclose(res.params, est, rtol=RTOL_OPTIM)
    # and within 1e-3 standard errors, a scale-free reading of the same statement
    assert np.max(np.abs(res.params.to_numpy() - est) / res.bse.to_numpy()) < 1e-3
    if variant != "model_8":  # spflow's model_8 Hessian swaps d(rho_w)/d(rho_d) and d/d(rho_o)
        np.testing.assert_allclose(res.bse, coefficients(ref)["sd"], rtol=RTOL_SE_ML)


@pytest.mark.parametrize("variant", [f"model_{k}" for k in range(2, 10)])
def test_exact_ml_matches_spflow_order_40(variant):
    ref = reference("ge", "mle", variant, 40)
    res = model("ge", variant).fit("ml")
    np.testing.assert_allclose(res.params, coefficients(ref)["est"], rtol=RTOL_EXACT_VS_40)


def test_order_two_default_is_not_the_ml():
    """The documented error of spflow's default: on Paris, rho_d is 0.03 above the ML
    (several standard errors); the order-2 fit and the exact fit must differ."""
    exact = model("paris").fit("ml")
    order2 = coefficients(reference("paris", "mle", "model_9"))["est"]
    gap = (order2.to_numpy()[:3] - exact.params.to_numpy()[:3]) / exact.bse.to_numpy()[:3]
    assert np.max(np.abs(gap)) > 1.0
