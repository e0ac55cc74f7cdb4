r"""The model classes: OLS, SLX, SAR, SEM, SDM, SDEM, SAC and GNS.

.. math::
    y = \rho W y + X\beta + W X\theta + u,\qquad u = \lambda W u + \varepsilon

=====  ============  ===========  ==========
model  :math:`\rho`  :math:`\theta`  :math:`\lambda`
=====  ============  ===========  ==========
OLS    0             0            0
SLX    0             free         0
SAR    free          0            0
SEM    0             0            free
SDM    free          free         0
SDEM   0             free         free
SAC    free          0            free
GNS    free          free         free
=====  ============  ===========  ==========

A model object only stores its validated inputs; :meth:`fit` does the work and returns an
immutable :class:`~spatialflow.models.results.base.SpatialResults`. The same classes estimate
panels when given ``id=``, ``time=`` and ``effects=`` (see :mod:`spatialflow.models._estimation.panel`).
"""
from __future__ import annotations

import warnings

from typing import Any, ClassVar, Literal, Sequence

import numpy as np
import pandas as pd

from .._typing import (BalancePolicy, BiasCorrection, CovType, DynamicOption,
                       InformationMatrix, LogDetMethod, MissingPolicy, PanelEffects,
                       WeightsLike, check_option)
from ..exceptions import InputError, ModelSpecificationError, RenamedOptionWarning, format_ids
from .results.covariance import COV_TYPES, with_covariance
from ._design.design import (align_response, build_frame, check_response_not_regressor,
                     formula_matrices, reject_option)
from ._linalg.operator import SpatialOperator
from ._estimation.gmm import (GMM_COV_FROM_ROBUST, GMM_COV_TYPES, GMM_OPTIONS,
                              GMM_ROBUST_FROM_COV, fit_gmm)
from ._estimation.builder import build_results
from ._estimation.ml import DEFAULT_INFORMATION, fit_error, fit_lag, fit_ols, warn_if_expensive
from ._design.naming import MODEL_KINDS
from ._estimation.panel import PanelSpec, fit_panel
from ._design.problem import Design, UnitRows
from .results.base import SpatialResults
from ._estimation.sac import fit_sac

__all__ = ["SpatialModel", "OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS"]

_UNSET = object()


_PARAMETERS = """
    Parameters
    ----------
    y : pandas Series or 1-d array
        Response, indexed by unit id (a plain array uses the index of ``X``).
    X : pandas DataFrame
        Regressors indexed by unit id. An ``Intercept`` column is added unless
        ``add_constant=False`` or one is present.
    w : libpysal Graph or W
        Spatial weights keyed by the data's ids (aligned by id, never by position).
        Optional for OLS, where it is kept for residual diagnostics (``lm_tests``).
    lagged : str or list of str, optional
        Durbin models (SLX, SDM, SDEM, GNS): regressors whose spatial lags enter (default:
        all but the intercept); lags are named ``W_<name>``. ``[]`` means no lags, and the
        results are labelled as the model without them (SAR, SEM, OLS, SAC).
    add_constant : bool
        Array path only (``from_formula`` leaves the intercept to the formula: ``- 1``
        drops it).
    regimes : str or Series, optional
        Regime labels (a column of the data, such as ``core`` or ``region``): the chosen
        coefficients (``regime_vars``, default all) differ by regime; rho/lambda is common.
        See :func:`spatialflow.chow_test`.
    regime_vars : list of str, optional
        The regressors that differ by regime.
    missing : {"raise", "drop"}
        Non-finite values raise :class:`~spatialflow.exceptions.MissingDataError` naming
        columns and ids, or ``"drop"`` removes those rows and their rows and columns of W
        (re-standardised by row if W was), with a
        :class:`~spatialflow.exceptions.MissingValueWarning`.
    logdet : {"auto", "eigen", "lu", "lu-observed", "approx", "chebyshev", "taylor"}
        Log-determinant strategy (see :mod:`spatialflow.models._linalg.logdet`): ``"auto"`` takes
        dense eigenvalues for n <= 1500, the exact sparse LU factorisation up to n = 30,000
        (no dense n x n matrix) and above that trace approximations with stated error bounds
        (:mod:`spatialflow.models._linalg.logdet_approx`; reported in ``results.approximation``);
        the summary names the strategy and whether it is exact. Every strategy uses the
        observed information by default (see ``fit(information=)``); ``results.information``
        says which was used.
    id, time : str, optional
        Panels: the columns of ``data`` holding the unit id and the period (long format).
    effects : {"unit", "time", "twoway", "random"}, optional
        Panels: fixed effects (estimated by the within transformation; Lee-Yu corrected by
        default, see :meth:`fit`) or random effects (SAR, SEM). ``None`` with ``id`` and
        ``time``: pooled.
    balance : {"raise", "drop"}
        Panels: unbalanced data raise with per-id counts, or ``"drop"`` removes incomplete
        units with an :class:`~spatialflow.exceptions.UnbalancedPanelWarning`.
    dynamic : {"time", "spacetime"}, optional
        Dynamic spatial panels (SAR and SDM with ``effects="unit"`` or ``"twoway"``):
        ``"time"`` adds :math:`\\tau y_{t-1}`, ``"spacetime"`` also :math:`\\eta Wy_{t-1}`
        (params ``tau``, ``eta``); estimated by the bias-corrected QML of Yu, de Jong and
        Lee (2008) / Lee and Yu (2010) (see :mod:`spatialflow.models._estimation.dynamic`); needs
        T >= 3 consecutive periods. ``results.effects(horizon="short" | "long")``.
    data : pandas DataFrame, optional
        The frame the model was built from (``from_formula`` passes it): kept, as a
        copy, to look up partition, regime and cluster columns by name.
    formula : str, optional
        The formula the model was built from (``from_formula`` passes it), shown in
        ``repr``.
"""

_EXAMPLES = """
    Examples
    --------
    >>> import spatialflow as sf
    >>> from spatialflow.datasets import load_guangdong_counties, synthetic_panel
    >>> from spatialflow.weights import build
    >>> counties = load_guangdong_counties()
    >>> w = build(counties, kind="queen", islands="knn")
    >>> panel = synthetic_panel(counties, w)          # SYNTHETIC data on real units
    >>> cs = panel[panel["year"] == 2023].set_index("code")
    >>> res = sf.SDM.from_formula("tfp ~ labour_flow + capital_flow", data=cs, w=w).fit()
    >>> list(res.params.index)
    ['Intercept', 'labour_flow', 'capital_flow', 'W_labour_flow', 'W_capital_flow', 'rho']
"""


class SpatialModel:
    __doc__ = ("Common machinery of the model classes; use one of OLS, SLX, SAR, SEM, SDM, "
               "SDEM, SAC, GNS.\n" + _PARAMETERS + _EXAMPLES)

    kind: ClassVar[str] = ""
    # Where W enters (see spatialflow.models._design.naming.MODEL_KINDS, the one table of them):
    # set on each subclass from its kind.
    lag_y: ClassVar[bool] = False
    error: ClassVar[bool] = False
    durbin: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            flags = MODEL_KINDS[cls.kind]
            cls.lag_y, cls.error, cls.durbin = flags.lag_y, flags.error, flags.durbin

    def __init__(self, y: pd.Series | np.ndarray, X: pd.DataFrame | np.ndarray,
                 w: WeightsLike | None = None, *,
                 lagged: str | Sequence[str] | None = None, add_constant: bool = True,
                 regimes: str | pd.Series | np.ndarray | None = None,
                 regime_vars: Sequence[str] | None = None,
                 missing: MissingPolicy = "raise", logdet: LogDetMethod = "auto",
                 id: str | None = None, time: str | None = None, effects: PanelEffects = None,
                 balance: BalancePolicy = "raise", dynamic: DynamicOption = None,
                 data: pd.DataFrame | None = None, formula: str | None = None) -> None:
        if not isinstance(X, pd.DataFrame):
            X = np.asarray(X, dtype=float)
            if X.ndim == 1:
                X = X[:, None]
            X = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
        if not isinstance(y, pd.Series):
            y = np.asarray(y).ravel()
            if len(y) != len(X):
                raise InputError(f"y has {len(y)} rows and X has {len(X)}; they must match.")
            y = pd.Series(y, index=X.index, name="y")  # an array meets X by position
        # Series meet by id: the same ids in another order are aligned, others are named.
        y = align_response(y, X)
        check_response_not_regressor(y, X, str(y.name) if y.name is not None else "y")
        X = X.copy()
        if add_constant and "Intercept" not in X.columns:
            X.insert(0, "Intercept", 1.0)
        if isinstance(lagged, str):
            lagged = [lagged]
        if lagged is not None and len(lagged) and not self.durbin:
            raise reject_option(self.kind, "lagged")
        if lagged is not None and not self.durbin:
            lagged = None  # an empty list is "no lags", which these models have anyway
        self.formula = formula
        # Kept to look up partition/regime columns by name. A copy: a column the user
        # changes later (e.g. permutes) must not change res.effects(partition=...). Shallow
        # is enough under pandas' copy-on-write: a later write to either frame copies.
        data = data.copy(deep=False) if isinstance(data, pd.DataFrame) else data
        self.data = data
        self.column_variables: dict = {}  # model-matrix column -> data columns (formula path)
        self.w = w
        self.logdet_method = logdet
        self.panel_options = None
        if isinstance(regimes, str):
            if data is None or regimes not in data.columns:
                raise InputError(f"regimes={regimes!r} is not a column of the data.")
            regimes = data[regimes]
        if regimes is not None and not isinstance(regimes, pd.Series):
            regimes = pd.Series(np.asarray(regimes), index=X.index, name="regime")
        if regimes is not None:
            regimes = regimes.reindex(X.index)

        if dynamic is not None and id is None and time is None and effects is None:
            raise ModelSpecificationError(
                f"dynamic={dynamic!r} needs a panel (id=, time= and effects='unit' or "
                "'twoway'); this is a cross-sectional model.")
        if id is not None or time is not None or effects is not None:
            if regimes is not None:
                raise ModelSpecificationError(
                    "regimes= is not available for panel models yet; interact the regime "
                    "dummy with the regressors in the formula instead (e.g. 'x:C(core)').")
            self.panel_options = PanelSpec(data=data, y=y, X=X, w=w, id=id, time=time,
                                           effects=effects, balance=balance,
                                           lagged=lagged, durbin=self.durbin,
                                           missing=missing, model_kind=self.kind,
                                           dynamic=dynamic)
            self.frame = None
            return
        self.frame = build_frame(
            y, X, w, needs_w=self.kind != "OLS",
            lagged=(lagged if lagged is not None else ("default" if self.durbin else None)),
            regimes=regimes, regime_vars=regime_vars, missing=missing,
            endog_name=str(y.name) if y.name is not None else "y")

    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, w: WeightsLike | None = None,
                     **kwargs: Any) -> SpatialModel:
        """Build the model from a formulaic formula, e.g. ``"tfp ~ labour_flow + capital_flow"``.

        Parameters
        ----------
        formula : str
            ``"y ~ x1 + x2"`` in formulaic's syntax (``- 1`` drops the intercept,
            ``C(region)`` adds dummies, ``x1:x2`` interactions, ``np.log(x)`` transforms).
        data : pandas DataFrame
            Indexed by unit id (cross-section) or holding the ``id``/``time`` columns
            (panel).
        w : libpysal Graph or W, optional
            Spatial weights keyed by the unit ids (optional for OLS only).
        **kwargs
            The other options of the class (``lagged``, ``missing``, ``logdet``, ``id``,
            ``time``, ``effects``, ``regimes`` ...).

        Returns
        -------
        SpatialModel
            An instance of the class it is called on (``SDM.from_formula`` gives an SDM).
        """
        y, X = formula_matrices(formula, data)
        kwargs.setdefault("add_constant", False)  # formulaic decides (use "- 1" to drop it)
        model = cls(y, X, w, data=data, formula=formula, **kwargs)
        model.column_variables = X.attrs.get("column_variables", {})
        return model

    # --------------------------------------------------------------------- fit
    def fit(self, *, bias_correction: BiasCorrection = _UNSET,
            logdet: LogDetMethod | None = None,
            information: InformationMatrix | None = None, cov_type: CovType = "classic",
            lags: int | None = None, clusters: str | pd.Series | None = None,
            method: Literal["ml", "gmm"] = "ml", **gmm_options: Any) -> SpatialResults:
        """Estimate by (concentrated) maximum likelihood (OLS and SLX: least squares).

        Parameters
        ----------
        bias_correction : {"lee-yu", None}
            Fixed-effects panels only: ``"lee-yu"`` (the default) reports the Lee-Yu (2010)
            transformation estimator, ``None`` the uncorrected within ML estimator. Dynamic
            panels: ``"lee-yu"`` is the Yu-de Jong-Lee (2008) bias-corrected QML, ``None``
            the uncorrected QML (two-way effects are still removed by the Lee-Yu
            transformation).
        logdet : {"auto", "eigen", "lu", "lu-observed", "approx", "chebyshev", "taylor"} or LogDet, optional
            Overrides the strategy given at construction. A strategy object built once by
            :func:`~spatialflow.models._linalg.logdet.make_logdet` (e.g. with ``n_probes=``) can be
            passed to many fits on the same W: its traces are computed once.
        information : {"expected", "observed"}, optional
            The information matrix whose inverse is the covariance. Default ``"observed"``
            at every n (the negative Hessian: no cost beyond the fit; what R's LU/Matrix
            methods approximate numerically and Stata's ``spregress`` reports);
            ``"expected"`` as R's ``method="eigen"`` and spreg report it, whose exact
            tr(G'G) on the sparse path warns first when estimated above 10 fits
            (:class:`~spatialflow.exceptions.ExpensiveInformationWarning`). Dynamic panels
            use their own (expected) covariance. See :mod:`spatialflow.models._estimation.ml`.
        cov_type : {"classic", "nonnormal", "cluster", "driscoll-kraay", "white", "hac"}
            The covariance of the estimates (:mod:`spatialflow.models.results.covariance`):
            the inverse information (``"classic"``), Lee's (2004) QML covariance for
            non-normal i.i.d. errors (cross-sections, pooled panels), or for panels clustered
            by unit (or by ``clusters``) or Driscoll-Kraay with ``lags`` Bartlett lags. A new
            results object; the summary names the covariance. With ``method="gmm"``:
            ``"classic"`` (homoskedastic), ``"white"`` or ``"hac"`` (spreg's ``robust=``,
            which is still accepted with a :class:`~spatialflow.exceptions.RenamedOptionWarning`).
        lags : int, optional
            Driscoll-Kraay lag length (``0 <= lags < T``).
        clusters : str or Series, optional
            Cluster labels: a unit-level column of the data or a Series by unit id.
        method : {"ml", "gmm"}
            ``"gmm"``: GMM / IV by spreg for cross-sectional SAR, SDM (spatial 2SLS), SEM,
            SDEM (heteroskedasticity-robust GM error) and, with ``sarar=True`` (or for SAC,
            GNS), the combined lag-and-error model (see :mod:`spatialflow.models._estimation.gmm`).
        **gmm_options
            ``method="gmm"`` only: ``w_lags`` (powers of W in the instruments, default 1),
            ``sarar``, and for ``cov_type="hac"`` ``coords``, ``kernel``, ``bandwidth`` or
            ``k``.

        Returns
        -------
        SpatialResults
            The immutable, labelled results (``params``, ``bse``, ``cov``, ``effects()``,
            ``summary()`` ...).
        """
        if method not in ("ml", "gmm"):
            raise InputError(f"method must be 'ml' or 'gmm'; {method!r} was given.")
        if method == "gmm":
            unknown = sorted(set(gmm_options) - set(GMM_OPTIONS) - {"robust"})
            if unknown:
                raise InputError(f"unknown option(s) {unknown} for method='gmm'; valid: "
                                 f"{[o for o in GMM_OPTIONS if o != 'robust']}.")
            if "robust" in gmm_options:
                # spreg's name; cov_type is the one covariance switch of every fit.
                robust = gmm_options.pop("robust")
                warnings.warn(
                    f"fit(method='gmm', robust={robust!r}) is spelled "
                    f"cov_type={GMM_COV_FROM_ROBUST.get(robust, robust)!r} now; robust= will be "
                    "removed.", RenamedOptionWarning, stacklevel=2)
                if cov_type != "classic":
                    raise InputError("give the covariance once: cov_type= (robust= is its old "
                                     "GMM-only name).")
                cov_type = GMM_COV_FROM_ROBUST.get(robust, robust)
            if cov_type not in GMM_COV_TYPES:
                raise InputError(f"cov_type for method='gmm' must be one of "
                                 f"{list(GMM_COV_TYPES)}; {cov_type!r} was given.")
            if lags is not None or clusters is not None:
                raise ModelSpecificationError(
                    "lags/clusters apply to maximum-likelihood covariances; GMM's are "
                    f"cov_type={list(GMM_COV_TYPES)}.")
            if bias_correction is not _UNSET or logdet is not None or information is not None:
                raise ModelSpecificationError("bias_correction, logdet and information apply "
                                              "to maximum likelihood, not to method='gmm'.")
            return fit_gmm(self, robust=GMM_ROBUST_FROM_COV[cov_type], **gmm_options)
        if gmm_options:
            raise InputError(f"option(s) {sorted(gmm_options)} apply to method='gmm'; "
                             "method='ml' was given.")
        if cov_type not in COV_TYPES:
            hint = (" ('white' and 'hac' are GMM covariances: fit(method='gmm', "
                    f"cov_type={cov_type!r}))" if cov_type in GMM_COV_TYPES else "")
            raise InputError(f"cov_type must be one of {list(COV_TYPES)}; {cov_type!r} was "
                             f"given{hint}.")
        res = self._fit_classic(bias_correction=bias_correction, logdet=logdet,
                                information=information)
        return with_covariance(res, cov_type, lags=lags, clusters=clusters)

    def _fit_classic(self, *, bias_correction=_UNSET, logdet=None,
                     information=None) -> SpatialResults:
        if bias_correction is not _UNSET:
            check_option(bias_correction, BiasCorrection, "bias_correction")
        method = logdet or self.logdet_method
        if information is not None:
            check_option(information, InformationMatrix, "information")
        if self.panel_options is not None:
            # None reaches the panel code: dynamic panels have their own covariance.
            return fit_panel(self, bias_correction=("lee-yu" if bias_correction is _UNSET
                                                    else bias_correction),
                             logdet=method, information=information)
        if information is None:
            information = DEFAULT_INFORMATION
        if bias_correction is not _UNSET:
            raise ModelSpecificationError(
                "bias_correction applies to fixed-effects panels (id=, time=, effects=); this "
                "is a cross-sectional model.")
        design = self._design()
        spatial = int(self.lag_y) + int(self.error)
        n, k = design.X.shape
        if spatial and n <= k + spatial:
            # e.g. a GNS with 3 regressors on 4 units: rho and lambda can make the residuals
            # vanish, and the likelihood is unbounded (sigma2 -> 0)
            raise InputError(
                f"the {self.kind} has {k} regressors and {spatial} spatial parameter(s) but only "
                f"{n} observations; it needs n > k + {spatial}. Use fewer regressors or more "
                "units.")
        ld = None
        if self.lag_y or self.error:
            ld = SpatialOperator.of(design.W).logdet(method)
        if ld is not None:
            warn_if_expensive(design, ld, information)
        if self.lag_y and self.error:
            # SAC/GNS: the information asked for (the expected one with traces estimated by
            # an approximate log-determinant; see spatialflow.models._estimation.sac).
            raw = fit_sac(design, ld, name=self.kind,
                          expected=None if information == "expected" else False)
        elif self.lag_y:
            raw = fit_lag(design, ld, information=information)
        elif self.error:
            raw = fit_error(design, ld, information=information)
        else:
            raw = fit_ols(design.y, design.X)
        return build_results(self, design, raw, ld, regime_info=self.frame.regime_info)

    def _design(self) -> Design:
        """The cross-section as the engines see it (:class:`~spatialflow.models._design.problem.Design`)."""
        f = self.frame
        return Design.cross_section(
            f.y, f.X, f.W, names=f.names, rows=UnitRows(f.ids, f.dropped),
            exog_names=tuple(f.exog_names), lagged_names=tuple(f.lagged_names),
            endog_name=f.endog_name)

    def unit_attribute(self, column: str) -> pd.Series:
        """A column of the model's data as one label per unit id (e.g. an effects partition).

        Parameters
        ----------
        column : str
            A column of the data the model was built from.

        Returns
        -------
        pandas.Series
            The column indexed by unit id. Panels: the column must be constant within
            units (see :meth:`spatialflow.models._estimation.panel.PanelSpec.unit_attribute`).
        """
        if self.panel_options is not None:
            return self.panel_options.unit_attribute(column)
        data = self.data
        if not isinstance(data, pd.DataFrame):
            raise InputError(
                f"partition={column!r} names a column, but the model keeps no data frame to "
                "look it up in; pass a Series of labels indexed by unit id.")
        if column not in data.columns:
            raise InputError(f"partition column {column!r} is not in the data; columns are "
                             f"{format_ids(data.columns)}.")
        return data[column]

    def __repr__(self) -> str:
        what = self.formula or "arrays"
        return f"{self.kind}({what})"


class OLS(SpatialModel):
    """Ordinary least squares (the aspatial benchmark); ``w`` is optional."""
    kind = "OLS"


class SLX(SpatialModel):
    r"""Spatial lag of X: :math:`y = X\beta + WX\theta + \varepsilon` (least squares)."""
    kind = "SLX"


class SAR(SpatialModel):
    r"""Spatial lag (autoregressive) model: :math:`y = \rho Wy + X\beta + \varepsilon`."""
    kind = "SAR"


class SEM(SpatialModel):
    r"""Spatial error model: :math:`y = X\beta + u,\ u = \lambda W u + \varepsilon`."""
    kind = "SEM"


class SDM(SpatialModel):
    r"""Spatial Durbin model: :math:`y = \rho Wy + X\beta + WX\theta + \varepsilon`."""
    kind = "SDM"


class SDEM(SpatialModel):
    r"""Spatial Durbin error model: :math:`y = X\beta + WX\theta + u,\ u = \lambda Wu + \varepsilon`."""
    kind = "SDEM"


class SAC(SpatialModel):
    r"""Spatial autoregressive model with autoregressive errors (SARAR, Kelejian-Prucha's
    "SAC"): :math:`y = \rho Wy + X\beta + u,\ u = \lambda Wu + \varepsilon`.

    Estimated by ML over the two-dimensional admissible region, searched robustly (profile
    grid and Newton refinement from several starts; see :mod:`spatialflow.models._estimation.sac`), with
    the analytic information matrix (R spatialreg's ``sacsarlm``). ``params`` holds both
    ``rho`` and ``lambda``; the effects are those of the lag part, :math:`(I-\rho W)^{-1}\beta_k`.
    A weakly identified maximum raises a
    :class:`~spatialflow.exceptions.WeakIdentificationWarning` and is recorded in
    ``results.extra["identification"]``.
    """
    kind = "SAC"


class GNS(SpatialModel):
    r"""General nesting spatial model (SAC with lagged regressors; R's ``sacsarlm(Durbin=TRUE)``):
    :math:`y = \rho Wy + X\beta + WX\theta + u,\ u = \lambda Wu + \varepsilon`.

    Nests SDM (:math:`\lambda = 0`), SDEM (:math:`\rho = 0`) and SAC (:math:`\theta = 0`).
    Its likelihood is often flat in :math:`(\rho, \lambda)` (Elhorst 2014, ch. 2): read the
    identification diagnostics before interpreting the split between the two.
    """
    kind = "GNS"


# The concrete classes are what users open with help(): give each the full parameter list.
for _cls in (OLS, SLX, SAR, SEM, SDM, SDEM, SAC, GNS):
    _cls.__doc__ = _cls.__doc__ + "\n" + _PARAMETERS + _EXAMPLES
del _cls
