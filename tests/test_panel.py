"""Spatial panel models (issue 5): estimators checked against spreg and identities.

References used here:
- spreg 1.9 ``Panel_FE_Lag`` / ``Panel_FE_Error`` (Elhorst's within ML, unit effects) and
  ``Panel_RE_Lag`` (Elhorst's SAR RE) on the same simulated data.
- The two-way within estimator = ML on two-way demeaned data with I_T (x) W (what R
  spatialreg computes given those data), on a torus whose W is doubly stochastic; and with
  the time effects as period dummies for a general W.
- Lee-Yu (2010): the literal transformation approach (orthonormal F_{T,T-1}, F_{n,n-1},
  W* = F_n' W F_n) fitted with the cross-sectional engine on the (n-1)(T-1) transformed
  observations must give the same estimates *and* covariance.
"""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.linalg as la
import scipy.sparse as sp
import spreg

import spatialflow as sf
from spatialflow.models._linalg.logdet import make_logdet
from spatialflow.models._estimation.ml import fit_error, fit_lag
from spatialflow.models._design.problem import Design
from spatialflow.models._design.panel_data import within

#: The cross-section engine's optimiser stops at xatol=1e-12 on rho; spreg's at 1e-7.
RTOL_SPREG = 1e-6
#: Two fits of the same likelihood with the same optimiser.
RTOL_SAME = 1e-7
#: Two different floating-point likelihoods with one maximiser: rho resolved to ~1e-8.
RTOL_OPTIMISER = 1e-6


def simulate(w, T=6, rho=0.4, beta=(1.0, -0.5), theta=(0.3, 0.0), sigma=1.0, seed=1,
             effects=True, error=False):
    """Long panel from y_t = (I - rho W)^-1 (X_t b + W X_t t + mu + lambda_t + e_t)."""
    rng = np.random.default_rng(seed)
    W = w.sparse.toarray()
    n = W.shape[0]
    mu = rng.normal(size=n) if effects else np.zeros(n)
    lam = rng.normal(size=T) if effects else np.zeros(T)
    X = rng.normal(size=(T, n, 2))
    A = np.eye(n) - rho * W
    Y = np.empty((T, n))
    for t in range(T):
        eps = sigma * rng.normal(size=n)
        det = X[t] @ np.asarray(beta) + W @ X[t] @ np.asarray(theta) + mu + lam[t]
        Y[t] = (det + la.solve(A, eps)) if error else la.solve(A, det + eps)
    return pd.DataFrame({"code": np.tile(w.id_order, T),
                         "year": np.repeat(np.arange(2001, 2001 + T), n),
                         "y": Y.ravel(), "x1": X[..., 0].ravel(), "x2": X[..., 1].ravel()})


@pytest.fixture(scope="module")
def lattice():
    w = libpysal.weights.lat2W(9, 11)
    w.transform = "r"
    return w


@pytest.fixture(scope="module")
def panel(lattice):
    # Rows shuffled: the panel is aligned by (id, time), never by position.
    return simulate(lattice).sample(frac=1.0, random_state=3)


def fit(cls, df, w, effects, bc="lee-yu", formula="y ~ x1 + x2", information="expected",
        **kw):
    # The references here (spreg, R on transformed data, the literal Lee-Yu model, fit_lag
    # with exact traces) report the expected information: like with like.
    return cls.from_formula(formula, data=df, w=w, id="code", time="year", effects=effects,
                            **kw).fit(bias_correction=bc, information=information)


# ------------------------------------------------------------------------------ spreg
@pytest.mark.parametrize("kind, peer", [("SAR", spreg.Panel_FE_Lag),
                                        ("SEM", spreg.Panel_FE_Error)])
def test_unit_fe_matches_spreg(panel, lattice, kind, peer):
    res = fit(getattr(sf, kind), panel, lattice, "unit", bc=None)
    d = panel.sort_values(["year", "code"])   # spreg stacks time-major
    ref = peer(d[["y"]].to_numpy(), d[["x1", "x2"]].to_numpy(), lattice)
    np.testing.assert_allclose(res.params.to_numpy(), ref.betas.ravel(), rtol=RTOL_SPREG)
    np.testing.assert_allclose(res.sigma2, np.ravel(ref.sig2)[0], rtol=RTOL_SPREG)
    assert list(res.params.index) == ["x1", "x2", "rho" if kind == "SAR" else "lambda"]


def test_sar_random_effects_matches_spreg(panel, lattice):
    res = fit(sf.SAR, panel, lattice, "random")
    d = panel.sort_values(["year", "code"])
    ref = spreg.Panel_RE_Lag(d[["y"]].to_numpy(), d[["x1", "x2"]].to_numpy(), lattice)
    # spreg: betas = [constant, x1, x2, rho, phi] with phi^2 = sigma2 / (T sigma2_mu + sigma2)
    np.testing.assert_allclose(res.params.to_numpy(), ref.betas.ravel()[:4], rtol=1e-5)
    np.testing.assert_allclose(res.extra["theta"], ref.betas.ravel()[4], rtol=1e-5)
    np.testing.assert_allclose(res.sigma2, np.ravel(ref.sig2)[0], rtol=1e-5)
    assert res.panel["effects"] == "random" and res.panel["bias_correction"] is None


# ----------------------------------------------------------------- two-way identities
def test_twoway_within_is_ml_on_demeaned_data_torus():
    # A torus: every unit has 4 neighbours, so row-standardised W is doubly stochastic and
    # demeaning y by period commutes with W; ML on two-way demeaned data with I_T (x) W is
    # then exactly the within estimator (R: lagsarlm(y_dd ~ x_dd - 1, listw=kron(I_T, W))).
    w = libpysal.weights.lat2W(8, 10, rook=True)
    nb = {}
    for i in range(8):
        for j in range(10):
            k = i * 10 + j
            nb[k] = [((i + a) % 8) * 10 + (j + b) % 10 for a, b in
                     ((1, 0), (-1, 0), (0, 1), (0, -1))]
    w = libpysal.weights.W(nb)
    w.transform = "r"
    df = simulate(w, T=5, seed=7)
    res = fit(sf.SDM, df, w, "twoway", bc=None)
    n, T = w.n, 5
    d = df.sort_values(["year", "code"])
    X = d[["x1", "x2"]].to_numpy()
    WX = np.vstack([w.sparse @ X[t * n:(t + 1) * n] for t in range(T)])
    yd = within(d["y"].to_numpy(), n, T, "twoway")
    Zd = within(np.column_stack([X, WX]), n, T, "twoway")
    ref = fit_lag(Design.stacked(yd, Zd, w.sparse, T), make_logdet(w.sparse, "eigen"))
    np.testing.assert_allclose(res.params.to_numpy(), [*ref.beta, ref.spatial], rtol=RTOL_SAME)
    np.testing.assert_allclose(res.sigma2, ref.sigma2, rtol=RTOL_SAME)
    np.testing.assert_allclose(res.llf, ref.llf, rtol=RTOL_SAME)
    # The SEs are smooth functions of the estimates, which agree to RTOL_SAME (Brent's
    # resolution: measured |drho| = 5e-9 with the symmetric eigenvalue path of issue 22).
    np.testing.assert_allclose(res.bse.to_numpy(),
                               np.sqrt(np.diag(ref.cov_full))[:-1], rtol=RTOL_SAME)


@pytest.mark.parametrize("kind", ["SDM", "SDEM"])
def test_twoway_within_is_ml_with_period_dummies(panel, lattice, kind):
    # General W: time effects as T period dummies next to the unit-demeaned data.
    res = fit(getattr(sf, kind), panel, lattice, "twoway", bc=None)
    n, T = lattice.n, 6
    d = panel.sort_values(["year", "code"])
    X = d[["x1", "x2"]].to_numpy()
    WX = np.vstack([lattice.sparse @ X[t * n:(t + 1) * n] for t in range(T)])
    yd = within(d["y"].to_numpy(), n, T, "unit")
    Zd = np.column_stack([within(np.column_stack([X, WX]), n, T, "unit"),
                          np.kron(np.eye(T), np.ones((n, 1)))])
    engine = fit_lag if kind == "SDM" else fit_error
    ref = engine(Design.stacked(yd, Zd, lattice.sparse, T, n_nuisance=T),
                 make_logdet(lattice.sparse, "eigen"))
    np.testing.assert_allclose(res.params.to_numpy(), [*ref.beta[:4], ref.spatial],
                               rtol=RTOL_SAME)
    np.testing.assert_allclose(res.sigma2, ref.sigma2, rtol=RTOL_SAME)


# ---------------------------------------------------------------------------- Lee-Yu
def _orthonormal_complement(m: int) -> np.ndarray:
    """F_{m,m-1}: eigenvectors of J_m = I - 11'/m for the eigenvalue one."""
    vals, vecs = la.eigh(np.eye(m) - np.ones((m, m)) / m)
    return vecs[:, vals > 0.5]


@pytest.mark.parametrize("kind", ["SDM", "SEM"])
@pytest.mark.parametrize("effects", ["unit", "time", "twoway"])
def test_lee_yu_equals_literal_transformation(panel, lattice, kind, effects):
    """Lee & Yu (2010) sec. 3-4: transform by F_T (and F_n), fit the (n-1)(T-1) model."""
    res = fit(getattr(sf, kind), panel, lattice, effects)
    n, T = lattice.n, 6
    d = panel.sort_values(["year", "code"])
    X = d[["x1", "x2"]].to_numpy()
    cols = [X]
    if kind == "SDM":
        cols.append(np.vstack([lattice.sparse @ X[t * n:(t + 1) * n] for t in range(T)]))
    Z = np.column_stack(cols).reshape(T, n, -1)
    Y = d["y"].to_numpy().reshape(T, n)
    FT = _orthonormal_complement(T) if effects != "time" else np.eye(T)
    T_star = FT.shape[1]
    W = lattice.sparse.toarray()
    if effects in ("time", "twoway"):
        Fn = _orthonormal_complement(n)
        Wn = Fn.T @ W @ Fn
    else:
        Fn, Wn = np.eye(n), W
    Ys = np.einsum("ts,si,ij->tj", FT.T, Y, Fn).ravel()
    Zs = np.einsum("ts,sik,ij->tjk", FT.T, Z, Fn).reshape(-1, Z.shape[2])
    Ws = sp.csr_matrix(Wn)
    engine = fit_lag if kind == "SDM" else fit_error
    ref = engine(Design.stacked(Ys, Zs, Ws, T_star), make_logdet(Ws, "eigen"))
    # Two floating-point functions with one maximiser (ln|I - rho W*| from W's eigenvalues
    # less ln(1 - rho), against the eigenvalues of F'WF): each search resolves rho to ~1e-8
    # (the likelihood is flat to rounding there), which moves small slopes by a few 1e-7.
    np.testing.assert_allclose(res.params.to_numpy(), [*ref.beta, ref.spatial],
                               rtol=RTOL_OPTIMISER)
    np.testing.assert_allclose(res.sigma2, ref.sigma2, rtol=1e-6)
    np.testing.assert_allclose(res.llf, ref.llf, rtol=1e-8)
    np.testing.assert_allclose(res.cov_full.to_numpy(), ref.cov_full, rtol=1e-6)
    assert res.panel["estimator"] == "Lee-Yu transformation approach"


def test_lee_yu_unit_rescales_sigma2_only(panel, lattice):
    ly = fit(sf.SDM, panel, lattice, "unit")
    ml = fit(sf.SDM, panel, lattice, "unit", bc=None)
    np.testing.assert_allclose(ly.params.to_numpy(), ml.params.to_numpy(), rtol=RTOL_SAME)
    np.testing.assert_allclose(ly.sigma2, ml.sigma2 * 6 / 5, rtol=RTOL_SAME)
    assert ly.panel["bias_correction"] == "lee-yu" and ml.panel["bias_correction"] is None


def test_lee_yu_twoway_needs_row_standardised_w(panel):
    w = libpysal.weights.lat2W(9, 11)   # binary
    with pytest.raises(sf.exceptions.ModelSpecificationError, match="row-standardised W"):
        fit(sf.SDM, panel, w, "twoway")
    res = fit(sf.SDM, panel, w, "twoway", bc=None)   # the within estimator needs no such W
    assert res.converged


# ------------------------------------------------------------------ results contract
def test_results_fields_and_recovered_effects(panel, lattice):
    res = fit(sf.SDM, panel, lattice, "twoway", bc=None)
    n, T = lattice.n, 6
    assert list(res.params.index) == ["x1", "x2", "W_x1", "W_x2", "rho"]
    assert res.ids.equals(pd.Index(lattice.id_order, name="code"))
    assert res.W.shape == (n, n) and res.nobs == n * T
    assert res.panel["T"] == T and res.panel["n"] == n and res.panel["effects"] == "twoway"
    by_id_time = res.extra["resid_by_id_time"]
    assert by_id_time.index.names == ["code", "year"]
    # y = rho Wy + X b + WX t + alpha + mu_i + lambda_t + e, element by element
    mu, lam, alpha = res.extra["unit_effects"], res.extra["time_effects"], res.extra["intercept"]
    np.testing.assert_allclose([mu.sum(), lam.sum()], [0.0, 0.0], atol=1e-9)
    d = panel.set_index(["code", "year"]).loc[by_id_time.index]
    W = lattice.sparse
    wy = pd.concat([pd.Series(W @ g["y"].reindex(lattice.id_order).to_numpy(),
                              index=pd.MultiIndex.from_product([lattice.id_order, [t]]))
                    for t, g in panel.set_index("code").groupby("year")])
    wx = {v: pd.concat([pd.Series(W @ g[v].reindex(lattice.id_order).to_numpy(),
                                  index=pd.MultiIndex.from_product([lattice.id_order, [t]]))
                        for t, g in panel.set_index("code").groupby("year")]) for v in ("x1", "x2")}
    idx = by_id_time.index
    p = res.params
    rebuilt = (p["rho"] * wy.loc[idx].to_numpy() + p["x1"] * d["x1"].to_numpy()
               + p["x2"] * d["x2"].to_numpy() + p["W_x1"] * wx["x1"].loc[idx].to_numpy()
               + p["W_x2"] * wx["x2"].loc[idx].to_numpy() + alpha
               + mu.reindex(idx.get_level_values(0)).to_numpy()
               + lam.reindex(idx.get_level_values(1)).to_numpy() + by_id_time.to_numpy())
    np.testing.assert_allclose(rebuilt, d["y"].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose((res.extra["fitted_by_id_time"] + by_id_time).to_numpy(),
                               d["y"].to_numpy(), rtol=1e-12)
    # resid/fitted follow the user's rows: same labels, same order, fitted + resid = y.
    assert res.resid.index.equals(panel.index) and res.fitted.index.equals(panel.index)
    np.testing.assert_allclose((res.fitted + res.resid).to_numpy(), panel["y"].to_numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(
        res.resid.to_numpy(),
        by_id_time.loc[pd.MultiIndex.from_frame(panel[["code", "year"]])].to_numpy(),
        rtol=0, atol=0)


def test_row_order_and_id_relabelling_invariance(panel, lattice):
    a = fit(sf.SDM, panel, lattice, "twoway")
    b = fit(sf.SDM, panel.sort_values(["code", "year"], ascending=False), lattice, "twoway")
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=RTOL_SAME)
    np.testing.assert_allclose(a.bse.to_numpy(), b.bse.to_numpy(), rtol=1e-6)


def test_does_not_modify_user_data(panel, lattice):
    before = panel.copy()
    fit(sf.SDM, panel, lattice, "twoway")
    pd.testing.assert_frame_equal(panel, before)


def test_effects_work_on_panel_results(panel, lattice):
    from spatialflow.models.results.effects import effects_table
    res = fit(sf.SDM, panel, lattice, "twoway")
    eff = res.effects(n_draws=200, seed=0)
    ref = effects_table(res.params, res.cov, lattice.sparse, kind="SDM", n_draws=200, seed=0)
    np.testing.assert_allclose(eff["direct"].to_numpy(), ref["direct"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(eff["total"], eff["direct"] + eff["indirect"], rtol=1e-10)
    # the core/periphery blocks: a unit-level partition
    labels = pd.Series(np.arange(lattice.n) % 3 == 0, index=lattice.id_order).map(
        {True: "core", False: "periphery"})
    blocks = res.effects(n_draws=100, seed=0, partition=labels)
    assert set(blocks["from"]) == {"core", "periphery"}


def test_pooled_and_ols_panels(panel, lattice):
    pooled = fit(sf.SAR, panel, lattice, None)
    assert "Intercept" in pooled.params.index and pooled.panel["estimator"] == "pooled ML"
    ols = fit(sf.OLS, panel, lattice, "unit", bc=None)
    d = panel.sort_values(["year", "code"])
    n, T = lattice.n, 6
    X = within(d[["x1", "x2"]].to_numpy(), n, T, "unit")
    b, *_ = np.linalg.lstsq(X, within(d["y"].to_numpy(), n, T, "unit"), rcond=None)
    np.testing.assert_allclose(ols.params.to_numpy(), b, rtol=1e-10)


def test_sem_random_effects_maximises_kkp_likelihood(lattice):
    """Brute force: maximise the full KKP random-effects error likelihood with scipy.

    l = -nT/2 ln(2 pi s2) + n ln(theta) + T ln|B| - e'e/(2 s2),
    e = quasi-demeaned (I_T (x) B)(y - X b), B = I - lambda W.
    """
    from scipy.optimize import minimize

    df = simulate(lattice, T=4, seed=11, error=True)
    res = fit(sf.SEM, df, lattice, "random")
    n, T = lattice.n, 4
    d = df.sort_values(["year", "code"])
    y = d["y"].to_numpy()
    X = np.column_stack([np.ones(n * T), d[["x1", "x2"]].to_numpy()])
    W = lattice.sparse.toarray()
    eig = np.linalg.eigvals(W).real

    def negll(p):
        b, lam, theta = p[:3], p[3], p[4]
        if not (0 < theta <= 1 and -0.99 < lam < 0.99):
            return np.inf
        u = (y - X @ b).reshape(T, n)
        f = u - lam * u @ W.T
        e = f - (1 - theta) * f.mean(axis=0)
        s2 = np.sum(e**2) / (n * T)
        return -(-0.5 * n * T * (np.log(2 * np.pi * s2) + 1) + n * np.log(theta)
                 + T * np.sum(np.log(1 - lam * eig)))

    start = np.r_[res.params.to_numpy(), res.extra["theta"]] + 0.05
    ref = minimize(negll, start, method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40000, "maxfev": 40000})
    # Nelder-Mead's own accuracy limits the comparison.
    np.testing.assert_allclose(res.params.to_numpy(), ref.x[:4], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(res.extra["theta"], ref.x[4], rtol=1e-4)
    np.testing.assert_allclose(res.llf, -ref.fun, rtol=1e-9)


def test_summary_renders_panel_results(panel, lattice):
    res = fit(sf.SDM, panel, lattice, "twoway")
    text = res.summary(include_effects=False).as_text()
    assert "rho" in text and "W_x1" in text


def test_unit_attribute_for_partitions(panel, lattice):
    from spatialflow.exceptions import PanelError
    from spatialflow.models._estimation.panel import unit_attribute
    df = panel.assign(core=panel["code"] % 2 == 0, drift=panel["year"] > 2003)
    res = fit(sf.SDM, df, lattice, "twoway")
    core = unit_attribute(res, "core")
    assert core.index.equals(res.ids) and core.sum() == 50
    blocks = res.effects(n_draws=50, seed=1, partition=core)
    assert {"from", "to", "variable", "estimate", "std_error"} <= set(blocks.columns)
    with pytest.raises(PanelError, match="'drift' must be constant within units"):
        unit_attribute(res, "drift")


def test_logdet_strategies_agree(panel, lattice):
    # Method parity: dense eigenvalues and sparse LU (observed information) give the same
    # estimates; standard errors agree to the difference of expected/observed information.
    a = fit(sf.SDM, panel, lattice, "twoway", logdet="eigen")
    b = fit(sf.SDM, panel, lattice, "twoway", logdet="lu-observed", information="observed")
    # Brent's search stops within ~sqrt(eps) of rho; the two strategies' log-determinants
    # differ in the last bits, so the estimates agree to ~1e-7, not to machine precision.
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(a.bse.to_numpy(), b.bse.to_numpy(), rtol=0.05)
    assert (a.information, b.information) == ("expected", "observed")


def test_resid_and_fitted_follow_the_users_rows_after_drops(panel, lattice):
    # One unit loses a period (balance="drop") and one row has a NaN (missing="drop" then
    # balance="drop" removes that unit too): resid/fitted keep the user's labels and order
    # of the remaining rows, so assigning them into the frame lines up.
    df = panel.copy()
    gone_unit = lattice.id_order[3]
    nan_unit = lattice.id_order[7]
    df = df.drop(df.index[(df["code"] == gone_unit) & (df["year"] == 2003)])
    df.loc[df.index[(df["code"] == nan_unit) & (df["year"] == 2004)], "x1"] = np.nan
    with pytest.warns(sf.exceptions.UnbalancedPanelWarning, match="dropped 2 incomplete"), \
            pytest.warns(sf.exceptions.MissingValueWarning, match="non-finite"):
        res = fit(sf.SAR, df, lattice, "unit", missing="drop", balance="drop")
    kept = df.index[~df["code"].isin([gone_unit, nan_unit])]
    assert res.resid.index.equals(kept) and res.fitted.index.equals(kept)
    out = df.copy()
    out["resid"] = res.resid
    assert out["resid"].isna().to_numpy().tolist() == (~df.index.isin(kept)).tolist()
    np.testing.assert_allclose((res.fitted + res.resid).to_numpy(), df.loc[kept, "y"],
                               rtol=1e-12)
    by_id_time = res.extra["resid_by_id_time"]
    keys = pd.MultiIndex.from_frame(df.loc[kept, ["code", "year"]])
    np.testing.assert_array_equal(res.resid.to_numpy(), by_id_time.loc[keys].to_numpy())


def test_random_effects_resid_follow_the_users_rows(panel, lattice):
    res = fit(sf.SAR, panel, lattice, "random", bc=None)
    assert res.resid.index.equals(panel.index)
    np.testing.assert_allclose((res.fitted + res.resid).to_numpy(), panel["y"].to_numpy(),
                               rtol=1e-12)
    assert res.extra["resid_raw"].index.equals(panel.index)
