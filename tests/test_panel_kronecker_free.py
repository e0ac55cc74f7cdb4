"""Panels without Kronecker products (issue 22 item 4).

Every log-determinant, trace, solve and lag of the stacked operator :math:`I_T\\otimes W` (and
of its Lee-Yu transform :math:`I_{T^*}\\otimes W^*`, :math:`W^* = F_n'WF_n`) is computed from
the n x n W: the log-determinant and traces counted :math:`T^*` times, solves and lags period
by period. Here each is compared with the dense Kronecker product it replaces, formed
explicitly on a small lattice; and the period demeaning that replaces the T period dummies
(for :math:`W\\iota = \\iota`) with the dummies themselves.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.linalg as la
import scipy.sparse as sp

import spatialflow as sf
from spatialflow.exceptions import ModelSpecificationError, WeakIdentificationWarning
from spatialflow.models import diagnostics
from spatialflow.models._design.panel_data import within
from spatialflow.models._design.problem import Counts, Design
from spatialflow.models._estimation import panel as panel_module
from spatialflow.models._estimation.sac import fit_sac
from spatialflow.models._linalg.logdet import make_logdet
from spatialflow.models._linalg.operator import SpatialOperator

#: Dense Kronecker algebra against the n x n identities: the same quantity in two orders
#: of floating-point summation (log-determinants of order 10, traces of order 10-100).
RTOL_KRON = 1e-12
#: Period dummies against period demeaning: the same likelihood as two floating-point
#: functions; the search polishes Brent's answer to the root of the slope (~1e-11 in the
#: spatial parameter: search.polish_minimum), so the estimates agree to 1e-8 relative
#: (measured 1.2e-9, a small lambda), where Brent's own resolution allowed only 1e-6; the
#: maximised log-likelihood is flat there and agrees to rounding.
RTOL_RHO = 1e-8
RTOL_LLF = 1e-12
#: SAC/GNS (Newton to the rounding level of the maximum) and least squares.
RTOL_NEWTON = 1e-9

N_SIDE, T = (4, 5), 4
MODELS = Path(sf.__file__).resolve().parent / "models"
RHOS = (-0.35, 0.2, 0.75)


@pytest.fixture(scope="module")
def W() -> sp.csr_matrix:
    w = libpysal.weights.lat2W(*N_SIDE, rook=False)
    w.transform = "r"
    return sp.csr_matrix(w.sparse)


def _complement(m: int) -> np.ndarray:
    """F_{m,m-1}: orthonormal eigenvectors of J_m = I - 11'/m for the eigenvalue one."""
    vals, vecs = la.eigh(np.eye(m) - np.ones((m, m)) / m)
    return vecs[:, vals > 0.5]


def _dense_terms(Wbig: np.ndarray, rho: float) -> np.ndarray:
    """log|I - rho Wbig|, tr G, tr G^2, tr G'G of the explicit stacked operator."""
    A = np.eye(len(Wbig)) - rho * Wbig
    G = Wbig @ np.linalg.inv(A)
    return np.array([np.linalg.slogdet(A)[1], np.trace(G), np.trace(G @ G), np.sum(G * G)])


def _design(W, effects, correction):
    n = W.shape[0]
    counts = panel_module.panel_counts(n, T, effects, correction)
    return Design(y=np.zeros(n * T), X=np.zeros((n * T, 1)), names=("x",), W=W,
                  counts=counts, T=T)


@pytest.mark.parametrize("method", ["eigen", "lu"])
@pytest.mark.parametrize("effects,correction", [("unit", None), ("unit", "lee-yu"),
                                                ("time", "lee-yu"), ("twoway", "lee-yu")])
def test_logdet_and_traces_equal_the_kronecker_ones(W, method, effects, correction):
    n = W.shape[0]
    design = _design(W, effects, correction)
    ld = design.logdet(make_logdet(W, method))
    Fn = _complement(n) if design.counts.drop_unit_root else np.eye(n)
    Ts = design.counts.T
    Wbig = np.kron(np.eye(Ts), Fn.T @ W.toarray() @ Fn)        # I_{T*} (x) W*
    assert Ts == (T - 1 if effects in ("unit", "twoway") and correction else T)
    for rho in RHOS:
        ours = Ts * np.array([ld(rho), ld.tr_G(rho), ld.tr_GG(rho),
                              ld.tr_GtG(rho) if method == "eigen" else np.nan])
        dense = _dense_terms(Wbig, rho)
        if method == "lu":  # exact log-determinant; its traces are by differences
            np.testing.assert_allclose(ours[0], dense[0], rtol=RTOL_KRON)
        else:
            np.testing.assert_allclose(ours, dense, rtol=RTOL_KRON)


def test_trace_powers_of_the_stacked_operator_are_T_times_those_of_W(W):
    # exact from the eigenvalues; the default sparse path is exact up to the fourth power
    op = SpatialOperator.of(W)
    Wbig = np.kron(np.eye(T), W.toarray())
    dense = [np.trace(np.linalg.matrix_power(Wbig, k)) for k in range(7)]
    np.testing.assert_allclose(T * op.trace_powers(6, method="exact"), dense,
                               rtol=RTOL_KRON, atol=1e-12)
    np.testing.assert_allclose(T * op.trace_powers(4), dense[:5], rtol=RTOL_KRON, atol=1e-12)


@pytest.mark.parametrize("transpose", [False, True])
def test_solves_and_lags_equal_the_kronecker_ones(W, transpose):
    n = W.shape[0]
    rng = np.random.default_rng(0)
    z = rng.normal(size=n * T)
    Z = rng.normal(size=(n * T, 3))
    Wbig = np.kron(np.eye(T), W.toarray())
    A = np.eye(n * T) - 0.6 * Wbig
    op = SpatialOperator.of(W)
    np.testing.assert_allclose(op.solve_panel(0.6, z, T, transpose=transpose),
                               np.linalg.solve(A.T if transpose else A, z), rtol=RTOL_KRON)
    design = Design.stacked(z, Z, W, T)
    if not transpose:
        np.testing.assert_allclose(design.solver(0.6)(z), np.linalg.solve(A, z),
                                   rtol=RTOL_KRON)
    np.testing.assert_allclose(design.lag(Z), Wbig @ Z, rtol=RTOL_KRON)
    # the lag of a period-demeaned design: M_D (I_T x W), and M_D (I x W) M_D = M_D (I x W)
    D = np.repeat(np.eye(T), n, axis=0)
    M = np.eye(n * T) - D @ D.T / n
    swept = Design(y=z, X=Z, names=("a", "b", "c"), W=W, counts=Counts(n * T, T), T=T,
                   sweep_periods=True, lag_demeaned=True)
    np.testing.assert_allclose(swept.lag(Z), M @ Wbig @ Z, atol=1e-13)
    np.testing.assert_allclose(M @ Wbig @ M @ Z, M @ Wbig @ Z, atol=1e-13)


# ----------------------------------------------------------------- dummies vs demeaning
@pytest.fixture(scope="module")
def panel(W):
    n = W.shape[0]
    rng = np.random.default_rng(3)
    Wd = W.toarray()
    mu, lam = rng.normal(size=n), rng.normal(size=T)
    X = rng.normal(size=(T, n, 2))
    Ainv = np.linalg.inv(np.eye(n) - 0.4 * Wd)
    Y = np.stack([Ainv @ (X[t] @ [1.0, -0.5] + Wd @ X[t] @ [0.3, 0.1] + mu + lam[t]
                          + rng.normal(size=n)) for t in range(T)])
    return pd.DataFrame({"code": np.tile(np.arange(n), T), "year": np.repeat(np.arange(T), n),
                         "y": Y.ravel(), "x1": X[..., 0].ravel(), "x2": X[..., 1].ravel()})


def _fit(kind, panel, W, effects, correction, dummies, monkeypatch):
    original = panel_module.panel_design
    monkeypatch.setattr(panel_module, "panel_design",
                        lambda *a, **k: original(*a, **{**k, "dummies": dummies}))
    g = libpysal.graph.Graph.from_sparse(W, ids=pd.RangeIndex(W.shape[0]))
    model = getattr(sf, kind).from_formula("y ~ x1 + x2", data=panel, w=g, id="code",
                                           time="year", effects=effects)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeakIdentificationWarning)
        res = model.fit(bias_correction=correction)
    monkeypatch.setattr(panel_module, "panel_design", original)
    return model, res


@pytest.mark.parametrize("kind", ["SDM", "SDEM", "SAC", "SLX"])
@pytest.mark.parametrize("effects,correction", [("twoway", "lee-yu"), ("time", None)])
def test_period_demeaning_gives_the_period_dummies_estimates(panel, W, kind, effects,
                                                             correction, monkeypatch):
    model, swept = _fit(kind, panel, W, effects, correction, None, monkeypatch)
    assert model.panel_options.design().lag_demeaned and \
        model.panel_options.design().n_nuisance == 0
    _, dummies = _fit(kind, panel, W, effects, correction, True, monkeypatch)
    rtol = RTOL_NEWTON if kind in ("SAC", "SLX") else RTOL_RHO
    np.testing.assert_allclose(swept.params, dummies.params, rtol=rtol)
    np.testing.assert_allclose(swept.bse, dummies.bse, rtol=rtol)
    np.testing.assert_allclose(swept.llf, dummies.llf, rtol=RTOL_LLF)
    np.testing.assert_allclose(swept.resid, dummies.resid, rtol=rtol, atol=rtol)


def test_a_general_w_keeps_the_period_dummies(panel, W):
    binary = sp.csr_matrix((W > 0).astype(float))
    g = libpysal.graph.Graph.from_sparse(binary, ids=pd.RangeIndex(W.shape[0]))
    model = sf.SDM.from_formula("y ~ x1 + x2", data=panel, w=g, id="code", time="year",
                                effects="twoway")
    design = model.panel_options.design()
    assert design.n_nuisance == T and not design.lag_demeaned
    res = model.fit(bias_correction=None)
    assert np.isfinite(res.bse).all()


def test_panel_lm_tests_twoway_equal_the_kronecker_formulas(panel, W):
    """Two-way effects as period dummies, I_T (x) W dense (Elhorst 2010; Anselin 1988)."""
    g = libpysal.graph.Graph.from_sparse(W, ids=pd.RangeIndex(W.shape[0]))
    out = diagnostics.panel_lm_tests(sf.SAR.from_formula(
        "y ~ x1 + x2", data=panel, w=g, id="code", time="year", effects="twoway"))
    n = W.shape[0]
    y = within(panel["y"].to_numpy(), n, T, "unit")
    X = np.column_stack([within(panel[["x1", "x2"]].to_numpy(), n, T, "unit"),
                         np.repeat(np.eye(T), n, axis=0)])
    WW = np.kron(np.eye(T), W.toarray())
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    s2 = e @ e / (n * T)
    trace = np.trace(WW.T @ WW + WW @ WW)
    M = np.eye(n * T) - X @ np.linalg.pinv(X)
    WXb = WW @ X @ b
    D = WXb @ M @ WXb / s2 + trace
    d_err, d_lag = e @ WW @ e / s2, e @ WW @ y / s2
    expected = [d_err**2 / trace, d_lag**2 / D,
                (d_err - trace / D * d_lag) ** 2 / (trace * (1 - trace / D)),
                (d_lag - d_err) ** 2 / (D - trace)]
    expected.append(expected[3] + expected[0])
    np.testing.assert_allclose(out["statistic"].to_numpy(), expected, rtol=1e-10)


def test_sac_panel_refuses_the_expected_information(panel, W):
    g = libpysal.graph.Graph.from_sparse(W, ids=pd.RangeIndex(W.shape[0]))
    spec = sf.SAC.from_formula("y ~ x1 + x2", data=panel, w=g, id="code", time="year",
                               effects="unit").panel_options
    with pytest.raises(ModelSpecificationError, match="observed information"):
        fit_sac(spec.design("lee-yu"), make_logdet(W, "eigen"), expected=True)


def test_no_kronecker_product_in_the_models():
    """I_T (x) W is never formed: every use goes through the n x n W (the rule of this file)."""
    offenders = [f"{path.relative_to(MODELS)}:{i}" for path in sorted(MODELS.rglob("*.py"))
                 for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bkron\(", line) and not line.lstrip().startswith("#")]
    assert offenders == []
