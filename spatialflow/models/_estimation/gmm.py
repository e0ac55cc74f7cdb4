r"""GMM / instrumental-variable estimation of the spatial models, by PySAL spreg.

``fit(method="gmm")`` on a cross-sectional SAR, SDM, SEM or SDEM runs the spreg estimator
below on the model's aligned data (W reindexed to the data's ids) and returns our
:class:`~spatialflow.models.results.base.SpatialResults` (labels, ids, summary, effects):

=====================  ================================  ==================================
model                  estimator                         spreg
=====================  ================================  ==================================
SAR, SDM               spatial 2SLS, instruments         ``GM_Lag`` (``slx_lags=1`` and
                       :math:`H = [X, WX, \dots, W^qX]`  ``slx_vars`` for SDM)
SEM, SDEM              GM error, heteroskedasticity-     ``GM_Error_Het`` (Arraiz, Drukker,
                       robust moments                    Kelejian and Prucha 2010)
SAR, SDM, ``sarar``    GS2SLS lag + error, het.-robust   ``GM_Combo_Het``
=====================  ================================  ==================================

Spatial 2SLS (Kelejian and Prucha 1998): with :math:`Z = [X, Wy]` and
:math:`P_H = H(H'H)^{-1}H'`,

.. math::
    \hat\delta = (Z'P_HZ)^{-1}Z'P_Hy,\qquad
    \hat V = \hat\sigma^2 (Z'P_HZ)^{-1},\ \hat\sigma^2 = \hat u'\hat u / n;

``cov_type="white"`` replaces :math:`\hat\sigma^2 Z'P_HZ` by
:math:`\hat Z'\mathrm{diag}(\hat u^2)\hat Z` (:math:`\hat Z = P_HZ`), ``cov_type="hac"`` by
Kelejian and Prucha's (2007) spatial HAC :math:`\hat Z'(\hat u\hat u' \circ K)\hat Z` with
kernel weights :math:`K_{ij} = k(d_{ij}/h_i)` from the units' coordinates (``kernel``,
``bandwidth`` fixed, or an adaptive bandwidth: the distance to the ``k``-th nearest unit).
With an adaptive bandwidth :math:`K` is not symmetric and spreg's covariance is not either;
we report its symmetric part, the HAC with :math:`(K+K')/2` (the same standard errors).
The lag of the Durbin model is instrumented by :math:`W^2X, \dots` of the lagged regressors
(``w_lags`` powers beyond those in the model).

The model is **under-identified** when the instruments do not span the regressors (no
regressor besides the intercept, or instruments collinear with X, as with a W whose lags of X
are constant): :class:`~spatialflow.exceptions.UnderIdentificationError` names the counts.

Results carry ``extra["method"] = "gmm"``, ``extra["estimator"]`` and ``extra["gmm"]`` (the
settings); ``llf``, ``aic`` and
``bic`` are NaN (no likelihood), ``sigma2`` is :math:`\hat u'\hat u/n` (lag) or
:math:`\hat\varepsilon'\hat\varepsilon/n` of the filtered residuals (error), and
``cov_full`` has NaN for the (not estimated) variance of sigma2. For SARAR (``sarar=True``)
``params`` holds ``rho`` and ``lambda``; the effects use ``rho``.

Examples
--------
>>> import libpysal, numpy as np, pandas as pd
>>> import spatialflow as sf
>>> w = libpysal.weights.lat2W(6, 6); w.transform = "r"
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"x": rng.normal(size=36)}, index=w.id_order)
>>> df["y"] = 1 + df["x"] + rng.normal(size=36)
>>> res = sf.SAR.from_formula("y ~ x", data=df, w=w).fit(method="gmm", cov_type="white")
>>> list(res.params.index), res.extra["cov_label"]
(['Intercept', 'x', 'rho'], 'GMM, White heteroskedasticity-robust')
"""
from __future__ import annotations

import contextlib
import io
import warnings

import lazy_loader as lazy
import numpy as np
import pandas as pd

from ...exceptions import InputError, ModelSpecificationError, UnderIdentificationError
from ...exceptions import IdMismatchError, format_ids
from .._linalg.operator import SpatialOperator
from .._design.naming import kind_flags, lag_name, parse_lag_name
from .builder import assemble

# spreg costs about 2 s to import and serves method="gmm" only.
libpysal = lazy.load("libpysal")
spreg = lazy.load("spreg")

__all__ = ["GMM_OPTIONS", "GMM_COV_TYPES", "fit_gmm"]

#: Keyword options of ``fit(method="gmm", ...)``.
GMM_OPTIONS = ("w_lags", "robust", "sarar", "coords", "kernel", "bandwidth", "k")
#: ``cov_type`` of a GMM fit and spreg's ``robust`` it selects.
GMM_ROBUST_FROM_COV = {"classic": None, "white": "white", "hac": "hac"}
GMM_COV_TYPES = tuple(GMM_ROBUST_FROM_COV)
GMM_COV_FROM_ROBUST = {None: "classic", "none": "classic", "white": "white", "hac": "hac"}
_KERNELS = ("triangular", "uniform", "quadratic", "quartic", "gaussian")


def _hac_weights(model, ids, coords, kernel, bandwidth, k):

    if coords is None:
        raise InputError("cov_type='hac' needs coords= (a DataFrame with two coordinate "
                         "columns, or a GeoSeries/GeoDataFrame of the units, indexed by unit "
                         "id) to build the kernel weights.")
    if kernel not in _KERNELS:
        raise InputError(f"kernel must be one of {list(_KERNELS)}; {kernel!r} was given.")
    if hasattr(coords, "geometry") or hasattr(coords, "centroid"):
        geo = coords.geometry if hasattr(coords, "geometry") else coords
        pts = geo.centroid if not (geo.geom_type == "Point").all() else geo
        xy = pd.DataFrame({"x": pts.x, "y": pts.y}, index=geo.index)
    elif isinstance(coords, pd.DataFrame) and coords.shape[1] == 2:
        xy = coords
    else:
        raise InputError("coords must be a DataFrame with two coordinate columns, or a "
                         f"GeoSeries/GeoDataFrame, indexed by unit id; {type(coords).__name__} "
                         "was given.")
    missing = pd.Index(ids).difference(xy.index)
    if len(missing):
        raise IdMismatchError(f"coords lack {len(missing)} unit(s) of the fit "
                              f"{format_ids(missing)}.")
    pts = xy.loc[ids].to_numpy(dtype=float)
    if bandwidth is not None:
        if not np.isscalar(bandwidth) or not bandwidth > 0:
            raise InputError(f"bandwidth must be a positive number; {bandwidth!r} was given.")
        return libpysal.weights.Kernel(pts, bandwidth=float(bandwidth), fixed=True,
                                       function=kernel, diagonal=True)
    if not isinstance(k, (int, np.integer)) or not 1 <= k < len(ids):
        raise InputError(f"k (neighbours of the adaptive bandwidth) must be an integer in "
                         f"[1, n - 1]; {k!r} was given.")
    return libpysal.weights.Kernel(pts, k=int(k), fixed=False, function=kernel,
                                   diagonal=True)


def fit_gmm(model, *, w_lags: int = 1, robust: str | None = None, sarar: bool = False,
            coords=None, kernel: str = "triangular", bandwidth: float | None = None,
            k: int = 15):
    """Fit ``model`` by GMM / IV (module docstring). Called by ``model.fit(method="gmm")``."""

    kind = model.kind
    if model.panel_options is not None:
        raise ModelSpecificationError("method='gmm' is implemented for cross-sections; panel "
                                      "models are fitted by maximum likelihood.")
    if kind in ("OLS", "SLX"):
        raise ModelSpecificationError(f"{kind} has no endogenous spatial term: least squares "
                                      "is already its estimator (method='ml').")
    f = model.frame
    if f.regime_info is not None:
        raise ModelSpecificationError("method='gmm' does not support regimes yet.")
    lag = kind_flags(kind).lag_y
    # SAC and GNS (lag and error) are the combined model: GS2SLS with heteroskedastic errors.
    sarar = bool(sarar) or (lag and kind_flags(kind).error)
    if sarar and not lag:
        raise ModelSpecificationError("sarar=True adds an error component to a lag model "
                                      f"(SAR, SDM); a {kind} was given.")
    if robust is not None and robust not in ("white", "hac"):
        raise InputError(f"robust must be None, 'white' or 'hac'; {robust!r} was given.")
    if robust is not None and (not lag or sarar):
        raise ModelSpecificationError(
            "the GM error and SARAR estimators (GM_Error_Het, GM_Combo_Het) already use "
            "heteroskedasticity-robust moments and covariance; cov_type='white'/'hac' applies "
            "to the spatial 2SLS of SAR/SDM.")
    if isinstance(w_lags, bool) or not isinstance(w_lags, (int, np.integer)) or w_lags < 1:
        raise InputError(f"w_lags must be a positive integer; {w_lags!r} was given.")
    exog = list(f.exog_names)
    if "Intercept" not in exog:
        raise ModelSpecificationError("spreg's GMM estimators always include a constant; the "
                                      "model has no Intercept column.")
    xnames = [c for c in exog if c != "Intercept"]
    n = f.n
    if not xnames:
        raise UnderIdentificationError(
            "the model has no regressor besides the intercept, so there are no instruments "
            "(W X, W^2 X, ...) for the spatial lag: it is under-identified by GMM.")
    X = np.asarray(f.X[:, [exog.index(c) for c in xnames]], dtype=float)
    y = np.asarray(f.y, dtype=float)[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.WSP(f.W).to_W(silence_warnings=True)
    slx = 1 if f.lagged_names else 0
    slx_vars = [c in f.lagged_names for c in xnames] if slx else "All"
    common = dict(name_x=xnames, name_y=f.endog_name)
    try:
        # spreg 1.9 writes the estimator's name to stdout while building its output table;
        # a library call must not print.
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            if lag and not sarar:
                gwk = (_hac_weights(model, f.ids, coords, kernel, bandwidth, k)
                       if robust == "hac" else None)
                est = spreg.GM_Lag(y, X, w=w, w_lags=int(w_lags), slx_lags=slx,
                                   slx_vars=slx_vars, robust=robust, gwk=gwk,
                                   spat_diag=False, spat_impacts=None, **common)
                estimator = "spatial 2SLS (spreg GM_Lag)"
            elif lag:
                est = spreg.GM_Combo_Het(y, X, w=w, w_lags=int(w_lags), slx_lags=slx,
                                         slx_vars=slx_vars, **common)
                estimator = "GS2SLS with heteroskedastic errors (spreg GM_Combo_Het)"
            else:
                est = spreg.GM_Error_Het(y, X, w=w, slx_lags=slx, slx_vars=slx_vars, **common)
                estimator = "GM error, heteroskedastic (spreg GM_Error_Het)"
    except Exception as err:  # spreg raises plain Exception on singular moment matrices
        if not isinstance(err, np.linalg.LinAlgError) and "singular" not in str(err).lower():
            raise
        raise UnderIdentificationError(
            f"the instruments do not identify the model (spreg: {err}): the spatial lag is "
            "under-identified by GMM on these data and W (instruments W X, W^2 X collinear "
            "with X).") from err
    h = getattr(est, "h", None)
    z = getattr(est, "z", None)
    if h is not None and z is not None:
        rank_h = np.linalg.matrix_rank(h)
        if rank_h < z.shape[1]:
            raise UnderIdentificationError(
                f"the instruments span {rank_h} dimensions for {z.shape[1]} regressors "
                "(including the spatial lag): the model is under-identified by GMM.")
    spreg_names = list(est.name_z if lag else est.name_x)
    betas = np.asarray(est.betas, dtype=float).ravel()
    vm = np.asarray(est.vm, dtype=float)
    # spreg's HAC uses the adaptive kernel matrix as built (K_ij = k(d_ij / h_i) is not
    # symmetric), so its covariance is not symmetric either. The symmetric part is the HAC
    # with the kernel (K + K')/2: same standard errors, a proper covariance matrix.
    vm = 0.5 * (vm + vm.T)
    # spreg: CONSTANT, x..., W_x..., W_<y>, lambda; ours: exog (formula order), W_x, rho, lambda
    rename = {"CONSTANT": "Intercept"}
    for j, nm in enumerate(spreg_names):
        if parse_lag_name(nm) is not None and parse_lag_name(nm) not in xnames \
                and nm not in rename:
            rename[nm] = "rho"
    mapped = [rename.get(nm, nm) for nm in spreg_names]
    if "lambda" in spreg_names[-1:]:
        mapped[-1] = "lambda"
    names = exog + [lag_name(c) for c in f.lagged_names]
    spatial = "rho" if lag else "lambda"
    names.append(spatial)
    if sarar and spatial != "lambda":
        names.append("lambda")
    if sorted(mapped) != sorted(names):
        raise ModelSpecificationError(f"unexpected spreg coefficient names {spreg_names}; "
                                      f"expected {names}.")
    order = [mapped.index(nm) for nm in names]
    params = pd.Series(betas[order], index=names, name="params")
    full = names + ["sigma2"]
    cov = np.full((len(full), len(full)), np.nan)
    cov[:-1, :-1] = vm[np.ix_(order, order)]
    if lag and not sarar:
        resid = np.asarray(est.u, dtype=float).ravel()
    else:
        resid = np.asarray(est.e_filtered, dtype=float).ravel()
    sigma2 = float(resid @ resid) / n
    cov[-1, -1] = np.nan
    # The admissible interval as the ML fits compute it (for the simulated effects): exact for
    # small n, the conservative (-1, 1) of a large row-standardised W unless rho is near -1.
    ld = SpatialOperator.of(f.W).logdet("auto")
    if lag and float(params["rho"]) <= ld.lower + 1e-6:
        ld.refine_bounds()
    bounds = ld.bounds
    lagged = list(f.lagged_names)
    kind_out = kind
    extra = {"method": "gmm", "estimator": estimator, "dropped_units": f.dropped,
             "gmm": {"robust": robust or "none", "w_lags": int(w_lags) if lag else None,
                     "sarar": bool(sarar),
                     "instruments": tuple(getattr(est, "name_h", []) or [])},
             "cov_type": "gmm",
             "cov_label": _cov_label(lag, sarar, robust, kernel, bandwidth, k)}
    return assemble(
        kind=kind_out, params=params, cov_full=pd.DataFrame(cov, index=full, columns=full),
        sigma2=sigma2, llf=float("nan"), nobs=n,
        resid=pd.Series(resid, index=f.ids, name="resid"),
        fitted=pd.Series(y.ravel() - resid, index=f.ids, name="fitted"), ids=f.ids, W=f.W,
        exog_names=exog, lagged_names=lagged, spatial_param=spatial, bounds=bounds,
        converged=True, model=model, endog_name=f.endog_name, use_t=False,
        df_resid=n - len(names), information="gmm", at_bound=False, extra=extra)


def _cov_label(lag, sarar, robust, kernel, bandwidth, k) -> str:
    if not lag or sarar:
        return "GMM, heteroskedasticity-robust (Arraiz et al. 2010)"
    if robust == "white":
        return "GMM, White heteroskedasticity-robust"
    if robust == "hac":
        bw = f"bandwidth {bandwidth:g}" if bandwidth is not None else f"adaptive, k={k}"
        return f"GMM, spatial HAC ({kernel} kernel, {bw})"
    return "GMM, homoskedastic"
