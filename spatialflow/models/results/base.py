"""The immutable, labelled results of a fitted spatial model.

:class:`SpatialResults` is a frozen dataclass whose every part is read-only in fact: the
labelled vectors are built on non-writeable arrays, names are tuples, ``W`` is a copy whose
arrays are non-writeable, and the panel and fit information are the frozen dataclasses
:class:`PanelInfo` and :class:`FitInfo`, readable both as attributes
(``res.panel.bias_correction``) and as mappings (``res.panel["bias_correction"]``,
``res.extra.get("theta")``) for the code written against the earlier dicts.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from ... import _stats as stats  # scipy.stats kernels without its 0.5 s import

from ..._validation import check_level
from ..._vocabulary import renamed
from ...exceptions import InputError, ModelSpecificationError
from ...views import effects_view as _effects_view
from . import covariance as _covariance
from . import inference as _inference
from . import prediction as _prediction
from .dynamic_effects import dynamic_effects
from .effects import _warn_shared_variables, compute_effects, compute_unit_effects
from .summary import Summary, make_summary

if TYPE_CHECKING:  # annotations only
    from numpy.typing import ArrayLike

    from ...views import EffectsView
    from .inference import Restrictions
    from .prediction import ScenarioResult
    from .testing import TestResult

__all__ = ["SpatialResults", "PanelInfo", "FitInfo"]


def _read_only(obj):
    """A copy of a Series or DataFrame whose values cannot be assigned to."""
    values = np.array(obj.to_numpy(), copy=True)
    values.flags.writeable = False
    if isinstance(obj, pd.DataFrame):
        return pd.DataFrame(values, index=obj.index, columns=obj.columns, copy=False)
    return pd.Series(values, index=obj.index, name=obj.name, copy=False)


def _read_only_matrix(W) -> sp.csr_matrix | None:
    """A CSR copy of ``W`` whose data, indices and pointers cannot be written to."""
    if W is None:
        return None
    M = sp.csr_matrix(W, dtype=float, copy=True)
    M.sort_indices()  # sorted now: scipy would otherwise sort in place later
    for arr in (M.data, M.indices, M.indptr):
        arr.flags.writeable = False
    return M


def _fresh(obj):
    """A new pandas object over the same read-only values (and a copy of the labels).

    What every access to a result's pandas attribute returns: relabelling it
    (``res.params.index = [...]``, ``rename(..., inplace=True)``), dropping from it or
    sorting it in place changes that object only, never the results (and through them
    ``bse``, ``cov``, ``summary()`` or ``effects()``). The values are shared, not copied,
    and cannot be assigned to. Costs O(1) for the values and O(len) for the labels.
    """
    if obj is None:
        return None
    if isinstance(obj, pd.Index):
        return obj.copy()
    if isinstance(obj, pd.DataFrame):
        return pd.DataFrame(obj.to_numpy(), index=obj.index.copy(),
                            columns=obj.columns.copy(), copy=False)
    return pd.Series(obj.to_numpy(), index=obj.index.copy(), name=obj.name, copy=False)


_NO_DEFAULT = object()


def _cache_key(func: Callable, arguments: dict) -> tuple | None:
    """The full argument tuple of ``func(results, **arguments)``, defaults filled in, or None
    when the call must not be cached.

    Each value enters with its type, so ``seed=True`` (refused by the computation) never
    meets the entry of ``seed=1``. Not cached: a seed that is not an integer (None draws
    fresh entropy, a Generator has state), unhashable options (a partition given as a
    Series or dict) and arguments ``func`` does not accept (its own error is raised).
    """
    seed = arguments.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        return None
    signature = inspect.signature(func)
    try:
        bound = signature.bind(None, **arguments)
    except TypeError:
        return None
    bound.apply_defaults()
    items = []
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if name == "results":
            continue
        if kind is inspect.Parameter.VAR_KEYWORD:  # **kernel_options, by name
            items.extend((k, type(v), v) for k, v in sorted(value.items()))
        else:
            items.append((name, type(value), value))
    key = (func.__name__, tuple(items))
    try:
        hash(key)
    except TypeError:
        return None
    return key


class _Labelled:
    """A dataclass field holding a pandas Series, DataFrame or Index, stored read-only and
    handed out by :func:`_fresh` on every access (a data descriptor: the dataclass's
    ``__init__`` stores through it, so every constructor path is covered).

    ``default`` (None) makes the field optional; ``empty_index`` stores None as an empty
    Index (``FitInfo.dropped_units``).
    """

    def __init__(self, default=_NO_DEFAULT, *, empty_index: bool = False):
        self.default = default
        self.empty_index = empty_index

    def __set_name__(self, owner, name):
        self.name = name
        self.key = "_labelled_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            if self.default is _NO_DEFAULT:
                raise AttributeError(self.name)  # the dataclass: no default value
            return self.default
        return _fresh(obj.__dict__[self.key])

    def __set__(self, obj, value):
        if self.empty_index:
            value = pd.Index([] if value is None else value)
        if isinstance(value, pd.Index):
            value = value.copy()
        elif value is not None:
            value = _read_only(value)
        obj.__dict__[self.key] = value


def _rebuild(cls, state: dict):
    """Unpickle (and deep-copy) a results dataclass through its constructor, so that the
    restored object is read-only again (a pickled numpy array comes back writeable)."""
    return cls(**state)


def _pickle_state(obj) -> dict:
    """The dataclass's fields, read-only mappings as plain dicts (MappingProxyType cannot be
    pickled); the constructor makes them read-only again."""
    state = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        state[f.name] = dict(value) if isinstance(value, MappingProxyType) else value
    return state


class _FrozenMapping(Mapping):
    """Read-only mapping view of a frozen dataclass: the fields that are set (not None)."""

    #: old key -> new field (one vocabulary); the old key still reads, with a warning
    _renamed: ClassVar[dict] = {}

    def __getitem__(self, key: str):
        if key in self._set_fields() or (key in self._renamed
                                         and self._renamed[key] in self._set_fields()):
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self):
        return iter(self._set_fields())

    def __len__(self) -> int:
        return len(self._set_fields())

    def _set_fields(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


@dataclass(frozen=True, eq=False)
class PanelInfo(_FrozenMapping):
    """How a panel model was estimated (``results.panel``; None for a cross-section).

    Attributes
    ----------
    effects : {"unit", "time", "twoway", "random", None}
        The individual effects (None: pooled).
    T, n : int
        Periods and units of the balanced panel that was fitted.
    bias_correction : {"lee-yu", None}
        Fixed effects: the Lee-Yu transformation approach or the uncorrected within ML.
    estimator : str
        In words (``"Lee-Yu transformation approach"``, ``"within ML"``, ...).
    id, time : str
        The id and period columns.
    times : pandas.Index
        The periods, sorted.
    nobs_effective : int
        Observations the likelihood counts (:math:`n^*T^*` under Lee-Yu, else nT).
    dynamic : {"time", "spacetime", None}
        Dynamic panels: the lags of y in the model (None: static).
    periods_used : int or None
        Dynamic panels: the periods in the likelihood (T - 1; the first is the initial one).
    """

    effects: str | None
    T: int
    n: int
    bias_correction: str | None
    estimator: str
    id: str
    time: str
    times: pd.Index = _Labelled()
    nobs_effective: int
    dynamic: str | None = None
    periods_used: int | None = None

    def _set_fields(self) -> list[str]:
        # effects=None (pooled) and bias_correction=None are answers, not absent keys.
        return [f.name for f in fields(self)]

    def __repr__(self) -> str:
        return (f"PanelInfo(effects={self.effects!r}, bias_correction={self.bias_correction!r},"
                f" n={self.n}, T={self.T}, nobs_effective={self.nobs_effective})")


@dataclass(frozen=True, eq=False)
class FitInfo(_FrozenMapping):
    r"""What else a fit produced (``results.extra``): only the fields that apply are set.

    Attributes
    ----------
    optimizer : Mapping
        The optimiser's report (``nfev``, ``message``; ``fixed`` for a fixed parameter).
    logdet : str or None
        The log-determinant strategy (``"eigen"``, ``"lu"``, ...), None without W in y.
    dropped_units : pandas.Index
        Units dropped on request (``missing="drop"``; ``balance="drop"`` for panels): the one
        key for them, in cross-sections and panels alike.
    unit_effects, time_effects : pandas.Series
        Recovered fixed effects (Elhorst 2014); ``intercept`` their common level (two-way).
    sigma2_within : float
        Fixed effects: SSE / (nT), the uncorrected within variance.
    resid_by_id_time, fitted_by_id_time : pandas.Series
        Panels: residuals and fitted values on the stacked (id, time) index.
    theta, theta_std_error, phi, sigma2_mu : float
        Random effects: the quasi-demeaning weight, its standard error,
        :math:`\phi=\theta^2` and the variance of the unit effects.
    resid_raw : pandas.Series
        Random effects: residuals on the original scale (unit effect included).
    identification : Mapping
        SAC / GNS: ``corr`` of rho and lambda, other ``local_maxima``, ``weak``, ``reason``
        (see :mod:`spatialflow.models._estimation.sac`).
    uncorrected : Mapping
        Dynamic panels: the QML estimates before the bias correction (``params``,
        ``sigma2``, ``llf``).
    bias : pandas.Series
        Dynamic panels: the correction added to the QML estimates (incl. ``sigma2``).
    stationarity : Mapping
        Dynamic panels: ``stationary``, ``radius`` (bound on the spectral radius of
        :math:`(I-\rho W)^{-1}(\tau I+\eta W)`), ``tau_rho_eta``.
    approximation : Mapping
        Approximate log-determinants only (:mod:`spatialflow.models._linalg.logdet_approx`): the
        method and its stated error at the estimate (``method``, ``n_probes``, ``order``,
        ``logdet_se``, ``logdet_bound``, ``tr_G_se``, ...).
    logdet_strategy : TraceLogDet
        Approximate log-determinants only: the fitted strategy, whose traces the effects reuse.
    cov_type, cov_label : str
        The covariance behind ``cov`` (``"classic"`` when unset; ``"nonnormal"``,
        ``"cluster"``, ``"driscoll-kraay"``, ``"gmm"``) and its description in the summary.
    cov_options : Mapping
        Its settings (``lags``, ``clusters``, ``n_clusters``, ``mu3``, ``mu4``...).
    classic_cov_full : pandas.DataFrame
        A robust covariance's results: the classic covariance it was computed from, so that
        ``res.with_cov(...)`` always starts from the classic fit.
    method, estimator : str
        ``"gmm"`` fits: the method and the spreg estimator in words (ML fits leave them unset).
    gmm : Mapping
        GMM settings: ``robust``, ``w_lags``, ``sarar``, ``instruments``.
    """

    optimizer: Mapping = field(default_factory=dict)
    logdet: str | None = None
    dropped_units: pd.Index = _Labelled(None, empty_index=True)
    unit_effects: pd.Series | None = _Labelled(None)
    time_effects: pd.Series | None = _Labelled(None)
    intercept: float | None = None
    sigma2_within: float | None = None
    resid_by_id_time: pd.Series | None = _Labelled(None)
    fitted_by_id_time: pd.Series | None = _Labelled(None)
    theta: float | None = None
    theta_std_error: float | None = None
    phi: float | None = None
    sigma2_mu: float | None = None
    resid_raw: pd.Series | None = _Labelled(None)
    identification: Mapping | None = None
    uncorrected: Mapping | None = None
    bias: pd.Series | None = _Labelled(None)
    stationarity: Mapping | None = None
    approximation: Mapping | None = None
    logdet_strategy: Any = None
    cov_type: str | None = None
    cov_label: str | None = None
    cov_options: Mapping | None = None
    classic_cov_full: pd.DataFrame | None = _Labelled(None)
    method: str | None = None
    estimator: str | None = None
    gmm: Mapping | None = None

    def __post_init__(self):
        object.__setattr__(self, "optimizer", MappingProxyType(dict(self.optimizer)))
        for name in ("identification", "uncorrected", "stationarity", "approximation",
                     "cov_options", "gmm"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, MappingProxyType(dict(value)))
        # the pandas fields are read-only copies, handed out fresh (see _Labelled)

    _renamed: ClassVar[dict] = {"theta_se": "theta_std_error"}
    theta_se = renamed("theta_se", "theta_std_error")

    def __reduce__(self):
        return _rebuild, (type(self), _pickle_state(self))

    def __repr__(self) -> str:
        return f"FitInfo({', '.join(self)})"


# Built by the estimators, never by users: the fields are documented under Attributes
# (tests/test_docstrings.py checks that every field is), not as constructor parameters.
@dataclass(frozen=True, eq=False)
class SpatialResults:  # numpydoc ignore=PR01
    """Results of an OLS, SLX, SAR, SEM, SDM, SDEM, SAC or GNS fit (cross-section or panel).

    Every vector is a labelled pandas object: ``params`` holds ``Intercept``, the regressors,
    their lags ``W_<name>`` and ``rho`` (lag models) or ``lambda`` (error models); ``cov`` is
    the covariance of ``params``; ``cov_full`` adds ``sigma2``. Nothing here can be mutated
    after construction (read-only arrays, tuples, a read-only copy of ``W``, the frozen
    :class:`PanelInfo` in ``panel`` and :class:`FitInfo` in ``extra``): another covariance or
    inference method gives a new object. Expensive derived quantities (the simulated
    effects, which every ``summary()`` shows) are computed once per argument tuple and
    handed out as fresh copies.

    Attributes
    ----------
    kind : str
        ``"OLS"``, ``"SLX"``, ``"SAR"``, ``"SEM"``, ``"SDM"``, ``"SDEM"``, ``"SAC"`` or
        ``"GNS"``.
    params : pandas.Series
        The estimates, labelled (``sigma2`` is not among them).
    cov_full : pandas.DataFrame
        Covariance of ``params`` and ``sigma2`` (``cov`` leaves ``sigma2`` out).
    sigma2 : float
        The error variance.
    llf : float
        The maximised log-likelihood (NaN for GMM).
    nobs : int
        Observations (nT for panels).
    resid, fitted : pandas.Series
        Residuals and fitted values by unit id.
    ids : pandas.Index
        The unit ids (for panels: the n unit ids).
    W : scipy.sparse.csr_matrix or None
        A read-only copy of the weights, aligned to ``ids``.
    exog_names, lagged_names : tuple of str
        The columns of X (with ``Intercept``) and those whose spatial lags enter.
    spatial_param : {"rho", "lambda", None}
        The spatial parameter of the model (``"rho"`` for SAC and GNS, whose ``params``
        hold both).
    bounds : tuple of float or None
        The admissible interval of the spatial parameter.
    converged : bool
        Whether the optimiser converged.
    model : SpatialModel
        The model that produced the results.
    endog_name : str
        The name of y.
    use_t : bool
        t rather than normal inference (OLS, SLX).
    df_resid : int or None
        Residual degrees of freedom (t inference).
    information : {"expected", "observed", "ols"}
        The information matrix behind the classic covariance.
    at_bound : bool
        The spatial parameter lies at a bound of its admissible interval.
    panel : PanelInfo or None
        How a panel was estimated (None for a cross-section).
    regime_info : object
        The regimes of a regimes model (None otherwise).
    extra : FitInfo
        What else the fit produced (optimiser report, log-determinant, dropped units ...).
    """

    kind: str
    params: pd.Series = _Labelled()
    cov_full: pd.DataFrame = _Labelled()
    sigma2: float
    llf: float
    nobs: int
    resid: pd.Series = _Labelled()
    fitted: pd.Series = _Labelled()
    ids: pd.Index = _Labelled()
    W: sp.csr_matrix | None
    exog_names: tuple[str, ...]
    lagged_names: tuple[str, ...]
    spatial_param: str | None
    bounds: tuple[float, float] | None
    converged: bool
    model: Any = None
    endog_name: str = "y"
    use_t: bool = False
    df_resid: int | None = None
    information: str = "expected"
    at_bound: bool = False
    panel: PanelInfo | None = None
    regime_info: Any = None
    extra: FitInfo = field(default_factory=FitInfo)

    def __post_init__(self):
        # Immutable in fact, not only by convention: the labelled vectors are stored as
        # read-only copies and handed out as fresh objects over them (_Labelled), so
        # `res.params.iloc[0] = 1` raises and `res.params.index = [...]` or
        # `res.params.drop("rho", inplace=True)` change only the object returned, never what
        # bse, summary() and effects() compute later; W is a read-only copy (the model's
        # own matrix is never handed out), names are tuples.
        object.__setattr__(self, "W", _read_only_matrix(self.W))
        object.__setattr__(self, "exog_names", tuple(self.exog_names))
        object.__setattr__(self, "lagged_names", tuple(self.lagged_names))
        if isinstance(self.extra, dict):
            object.__setattr__(self, "extra", FitInfo(**self.extra))
        if isinstance(self.panel, dict):
            object.__setattr__(self, "panel", PanelInfo(**self.panel))

    def __reduce__(self):
        # through the constructor: read-only again after pickling or copy.deepcopy (and
        # without the cache of derived quantities, which the copy recomputes on demand)
        return _rebuild, (type(self), _pickle_state(self))

    # Expensive derived quantities (the effects' 1,000 simulation draws, which every
    # summary() asks for) depend only on the fit and the arguments -- the results are
    # immutable and the model keeps its own copy of the data -- so they are computed once per
    # full argument tuple (_cache_key). Every call gets a fresh copy (values and attrs): an
    # in-place edit never reaches the cache. The cache is not pickled (__reduce__).
    def _from_cache(self, key: tuple | None) -> pd.DataFrame | None:
        """A fresh copy of the cached frame under ``key``, or None (not computed yet).

        A hit re-issues the interpretation warning the computation gives (same stack depth
        as from :func:`compute_effects`); the approximation warnings come with the
        computation only, its stated error stays in ``attrs["approximation"]``.
        """
        frame = None if key is None else self.__dict__.get("_derived_cache", {}).get(key)
        if frame is None:
            return None
        if key[0] == compute_effects.__name__:
            _warn_shared_variables(self)
        return frame.copy(deep=True)

    def _to_cache(self, key: tuple | None, frame: pd.DataFrame) -> pd.DataFrame:
        """Keep ``frame`` under ``key`` (None: not cacheable) and return a copy of it."""
        if key is None:
            return frame
        self.__dict__.setdefault("_derived_cache", {})[key] = frame
        return frame.copy(deep=True)

    @property
    def approximation(self) -> dict | None:
        """None when the log-determinant is exact; otherwise its method and stated error at
        the estimate (``method``, ``n_probes``, ``order``, ``logdet_se``, ``logdet_bound``,
        ``tr_G_se`` ...; see :mod:`spatialflow.models._linalg.logdet_approx`)."""
        return (self.extra or {}).get("approximation")

    # ----------------------------------------------------------------- inference
    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of ``params`` (without sigma2)."""
        names = list(self.params.index)
        return self.cov_full.loc[names, names]

    @property
    def bse(self) -> pd.Series:
        """Standard errors of ``params``: the square roots of the diagonal of ``cov``."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index,
                         name="bse")

    @property
    def tvalues(self) -> pd.Series:
        """The z (or t) statistics ``params / bse``."""
        return (self.params / self.bse).rename("tvalues")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of ``tvalues`` (normal; Student's t with ``df_resid`` if
        ``use_t``)."""
        return stats.wald_pvalues(self.tvalues, self.df_resid if self.use_t else None)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        r"""Confidence intervals of ``params``.

        Parameters
        ----------
        level : float, default 0.95
            Coverage, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Columns ``lower`` and ``upper``: :math:`\hat\theta \pm q_{(1+level)/2}\,
            \mathrm{se}`, with the normal quantile (Student's t if ``use_t``).
        """
        return stats.wald_interval(self.params, self.bse, check_level(level),
                                   self.df_resid if self.use_t else None)

    @property
    def cov_type(self) -> str:
        """The covariance behind ``cov``: ``"classic"``, ``"nonnormal"``, ``"cluster"``,
        ``"driscoll-kraay"`` (see :mod:`spatialflow.models.results.covariance`)."""
        return self.extra.get("cov_type", "classic")

    def with_cov(self, cov_type: str = "classic", *, lags: int | None = None,
                 clusters: str | pd.Series | None = None) -> "SpatialResults":
        """The same fit with another covariance, computed from its classic fit.

        Parameters
        ----------
        cov_type : str
            A registered covariance (:data:`~spatialflow.models.results.covariance.COVARIANCES`):
            ``"classic"`` (the inverse information), ``"nonnormal"``, ``"cluster"``,
            ``"driscoll-kraay"``.
        lags : int, optional
            Driscoll-Kraay lag length (``0 <= lags < T``).
        clusters : str or pandas.Series, optional
            Cluster labels: a unit-level column of the data or a Series by unit id.

        Returns
        -------
        SpatialResults
            A new results object; this one is unchanged. ``res.with_cov("cluster")
            .with_cov("nonnormal")`` equals ``res.with_cov("nonnormal")``: each covariance
            starts from the classic fit, never from another robust one.

        Examples
        --------
        >>> import libpysal, numpy as np, pandas as pd, spatialflow as sf
        >>> w = libpysal.weights.lat2W(5, 5); w.transform = "r"
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=25)}, index=w.id_order)
        >>> df["y"] = 1 + df["x"] + rng.standard_t(5, size=25)
        >>> res = sf.SAR.from_formula("y ~ x", data=df, w=w).fit()
        >>> nn = res.with_cov("nonnormal")
        >>> nn.cov_type, nn.with_cov("classic").bse.equals(res.bse)
        ('nonnormal', True)
        """
        return _covariance.with_covariance(self, cov_type, lags=lags, clusters=clusters)

    # ------------------------------------------------------------------ tests
    def wald_test(self, restrictions: Restrictions, r: ArrayLike | None = None, *,
                  name: str = "Wald") -> TestResult:
        """Wald test of linear restrictions with the covariance these results carry.

        Parameters
        ----------
        restrictions : str, list of str, DataFrame or array
            E.g. ``"INC = HOVAL, W_INC = 0"`` (see
            :mod:`spatialflow.models.results.inference`), names tested as zero, or the
            matrix R (a DataFrame with parameter columns or an array).
        r : array-like, optional
            The right-hand side with an array or DataFrame ``restrictions`` (default 0).
        name : str, default "Wald"
            The name of the test in the result.

        Returns
        -------
        TestResult
            The chi-squared statistic, its degrees of freedom and p-value.
        """
        return _inference.wald_test(self, restrictions, r, name=name)

    def t_test(self, restrictions: Restrictions, r: ArrayLike | None = None, *,
               level: float = 0.95) -> pd.DataFrame:
        """One t (or z) test per linear restriction.

        Parameters
        ----------
        restrictions : str, list of str, DataFrame or array
            As in :meth:`wald_test`.
        r : array-like, optional
            The right-hand side with an array or DataFrame ``restrictions`` (default 0).
        level : float, default 0.95
            Coverage of the intervals.

        Returns
        -------
        pandas.DataFrame
            ``estimate``, ``std_error``, ``statistic``, ``p_value``, ``lower``, ``upper``,
            indexed by the restriction written out.
        """
        return _inference.t_test(self, restrictions, r, level=level)

    def tidy(self, *, level: float = 0.95) -> pd.DataFrame:
        r"""The coefficient table as a plain frame, one row per parameter.

        Parameters
        ----------
        level : float, default 0.95
            Level of the confidence interval, in (0, 1) (0.9 for 90%; "95%" or 95 are
            refused with a typed error).

        Returns
        -------
        pandas.DataFrame
            Columns ``term``, ``estimate``, ``std_error``, ``statistic`` (estimate / SE),
            ``p_value`` (two-sided, normal; t for OLS/SLX) and ``lower``, ``upper``
            (estimate :math:`\pm z_{(1+level)/2}` SE), from the covariance the results carry
            (see ``cov_type``).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from libpysal.weights import lat2W
        >>> import spatialflow as sf
        >>> w = lat2W(7, 7); w.transform = "r"
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame(rng.normal(size=(49, 2)), columns=["y", "x"], index=w.id_order)
        >>> t = sf.SAR.from_formula("y ~ x", data=df, w=w).fit().tidy(level=0.9)
        >>> list(t.columns)
        ['term', 'estimate', 'std_error', 'statistic', 'p_value', 'lower', 'upper']
        >>> list(t["term"])
        ['Intercept', 'x', 'rho']
        """
        return _inference.tidy(self, level=level)

    def pseudo_r2(self, *, predictor: str = "reduced") -> pd.Series:
        """Pseudo-R2: squared correlation of y and a predictor, and the variance ratio.

        Parameters
        ----------
        predictor : {"reduced", "fitted", "trend"}
            The in-sample predictor (see
            :func:`spatialflow.models.results.inference.pseudo_r2`).

        Returns
        -------
        pandas.Series
            ``squared_corr`` and ``variance_ratio``.
        """
        return _inference.pseudo_r2(self, predictor=predictor)

    # ------------------------------------------------------------ information criteria
    @property
    def k(self) -> int:
        """Number of estimated parameters, including rho/lambda and sigma2."""
        return len(self.params) + 1

    @property
    def aic(self) -> float:
        r"""Akaike's information criterion :math:`-2\,llf + 2k`."""
        return -2.0 * self.llf + 2.0 * self.k

    @property
    def bic(self) -> float:
        r"""Schwarz's criterion :math:`-2\,llf + \ln(nobs)\,k`."""
        return -2.0 * self.llf + np.log(self.nobs) * self.k

    @property
    def spatial(self) -> float | None:
        """The estimated rho or lambda (None for OLS and SLX)."""
        return None if self.spatial_param is None else float(self.params[self.spatial_param])

    # ------------------------------------------------------------------- effects
    def effects(self, n_draws: int = 1000, seed: int | None = 0, *,
                horizon: Literal["short", "long"] | None = None, tidy: bool = False,
                **kwargs: Any) -> pd.DataFrame:
        r"""LeSage-Pace direct, indirect and total effects with inference.

        For regressor :math:`k` of a lag model, :math:`S_k(W)=(I-\rho W)^{-1}(\beta_k I +
        \theta_k W)`; the direct effect is :math:`\mathrm{tr}(S_k)/n`, the total effect
        :math:`\iota' S_k \iota / n` and the indirect effect their difference (SEM: direct
        :math:`\beta_k`, no indirect; SLX / SDEM: direct :math:`\beta_k`, indirect
        :math:`\theta_k` times the mean row sum of W).

        Parameters
        ----------
        n_draws : int, default 1000
            Draws of the parameters from their asymptotic normal distribution
            (``method="simulation"``); ignored by ``method="delta"``. The memory of the draws is
            estimated first: too many raise :class:`~spatialflow.exceptions.InsufficientMemoryError`.
        seed : int, default 0
            Seed of the draws (and of the trace probes at large n): the same seed gives the
            same numbers.
        horizon : {"short", "long"}, optional
            Dynamic panels only: short-run (default) or long-run effects (below).
        tidy : bool, default False
            Long form with :meth:`tidy`'s columns: one row per regressor and effect,
            ``term, effect, estimate, std_error, statistic, p_value, lower, upper`` (with
            ``partition``: ``term, from, to, estimate, ...``). The same numbers as the
            wide frame.
        **kwargs
            Options of :func:`spatialflow.models.results.effects.compute_effects`:

            - ``method`` : {"simulation", "delta"}, default "simulation" -- inference by
              simulated draws (LeSage and Pace 2009) or the delta method;
            - ``partition`` : Series, dict or column name -- a group label per unit (e.g.
              core / periphery); returns the blocks of effects from each group to each group
              in long form instead;
            - ``level`` : float, default 0.95 -- level of the intervals;
            - ``trace_method`` : {"auto", "exact", "power"} -- how the traces of
              :math:`W^j` are computed ("auto": exact up to a few thousand units);
            - ``normalize`` : {"total", "to"} -- block normalisation with ``partition``.

        Returns
        -------
        pandas.DataFrame
            Indexed by regressor with ``direct``, ``indirect``, ``total`` and, for each,
            ``_std_error``, ``_statistic``, ``_p_value``, ``_lower``, ``_upper``. With
            ``partition``: long form with ``from, to, variable, estimate, std_error,
            statistic, p_value, lower, upper, n_from, n_to``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from libpysal.weights import lat2W
        >>> import spatialflow as sf
        >>> w = lat2W(7, 7); w.transform = "r"
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame(rng.normal(size=(49, 2)), columns=["y", "x"], index=w.id_order)
        >>> res = sf.SDM.from_formula("y ~ x", data=df, w=w).fit()
        >>> eff = res.effects(n_draws=200, seed=1, level=0.9)
        >>> list(eff.index), list(eff.columns[:3])
        (['x'], ['direct', 'indirect', 'total'])
        >>> bool(np.isclose(eff.loc["x", "direct"] + eff.loc["x", "indirect"],
        ...                 eff.loc["x", "total"]))
        True
        >>> half = pd.Series(np.where(np.arange(49) < 24, "north", "south"), index=w.id_order)
        >>> blocks = res.effects(n_draws=200, seed=1, partition=half)
        >>> sorted(set(blocks["from"]))
        ['north', 'south']
        >>> long = res.effects(n_draws=200, seed=1, level=0.9, tidy=True)
        >>> list(long.columns)
        ['term', 'effect', 'estimate', 'std_error', 'statistic', 'p_value', 'lower', 'upper']
        >>> bool(long.loc[long["effect"] == "total", "estimate"].iloc[0] == eff.loc["x", "total"])
        True

        Dynamic panels (``dynamic=``): ``horizon="short"`` (the default) gives the short-run
        effects :math:`(I-\rho W)^{-1}(\beta_k I+\theta_k W)`, ``horizon="long"`` the
        long-run effects :math:`((1-\tau)I-(\rho+\eta)W)^{-1}(\beta_k I+\theta_k W)`
        (simulation inference; see :func:`spatialflow.models._estimation.dynamic.dynamic_effects`).
        """
        if horizon not in (None, "short", "long"):
            raise InputError(f"horizon must be 'short' or 'long'; {horizon!r} was given.")
        if not isinstance(tidy, (bool, np.bool_)):
            raise InputError(f"tidy must be True or False; {tidy!r} was given.")
        dynamic = bool(self.panel is not None and self.panel.dynamic)
        if horizon == "long":
            if not dynamic:
                raise ModelSpecificationError(
                    "long-run effects need a dynamic panel (dynamic='time' or 'spacetime'); "
                    f"this {self.kind} is static, where short and long run coincide.")
            unknown = set(kwargs) - {"level", "method", "trace_method"}
            if unknown:
                raise InputError(f"long-run effects accept level, method and trace_method; "
                                 f"{sorted(unknown)} were given.")
            frame = dynamic_effects(self.params, self.cov, self.W,
                                    exog_names=list(self.exog_names),
                                    lagged_names=list(self.lagged_names), horizon="long",
                                    bounds=self.bounds, n_draws=n_draws, seed=seed, **kwargs)
            return _inference.tidy_effects(frame) if tidy else frame
        arguments = dict(n_draws=n_draws, seed=seed, **kwargs)
        key = _cache_key(compute_effects, arguments)
        frame = self._from_cache(key)
        if frame is None:
            frame = self._to_cache(key, compute_effects(self, **arguments))
        if dynamic:
            frame.attrs["horizon"] = "short"
        return _inference.tidy_effects(frame) if tidy else frame

    def effects_view(self, n_draws: int = 1000, seed: int | None = 0, *, digits: int = 3,
                     **kwargs: Any) -> EffectsView:
        """Direct, indirect and total effects as a readable table (stars, SEs in parentheses).

        Parameters
        ----------
        n_draws : int, default 1000
            As in :meth:`effects`.
        seed : int, default 0
            As in :meth:`effects`.
        digits : int, default 3
            Decimals shown.
        **kwargs
            The other options of :meth:`effects`.

        Returns
        -------
        EffectsView
            The same numbers as :meth:`effects`; the wide frame stays available as
            ``.frame``. See :func:`spatialflow.views.effects_view`.
        """
        return _effects_view(self.effects(n_draws=n_draws, seed=seed, **kwargs), digits=digits)

    def unit_effects(self, n_draws: int = 1000, seed: int | None = 0,
                     **kwargs: Any) -> pd.DataFrame:
        """Per-unit (e.g. per-county) total, direct and indirect effects, for mapping.

        To map one regressor's effects on the county layer::

            u = res.unit_effects()
            counties.join(u[u["variable"] == "labour_flow"].set_index("id")).plot("total")

        Parameters
        ----------
        n_draws : int, default 1000
            Simulation draws, as in :meth:`effects`.
        seed : int, default 0
            Seed of the draws.
        **kwargs
            ``method``, ``trace_method``, ``level`` and ``direction``: the effects received
            by each unit (row sums of :math:`S_k`, the default) or emitted by it (column
            sums); see :func:`spatialflow.models.results.effects.compute_unit_effects`.

        Returns
        -------
        pandas.DataFrame
            Long form with columns ``id``, ``variable``, ``direct``, ``indirect``,
            ``total``, their ``*_std_error`` and interval bounds ``*_lower``/``*_upper``.
        """
        return compute_unit_effects(self, n_draws=n_draws, seed=seed, **kwargs)

    # --------------------------------------------------------------- prediction
    def predict(self, data: pd.DataFrame | None = None, *,
                type: Literal["reduced", "trend", "fitted", "bp"] = "reduced") -> pd.Series:
        """In-sample predictions, or the trend / reduced form at new regressors.

        Parameters
        ----------
        data : pandas.DataFrame, optional
            New regressors of the same units (None: in sample).
        type : {"reduced", "trend", "fitted", "bp"}
            The predictor (see :func:`spatialflow.models.results.prediction.predict`).

        Returns
        -------
        pandas.Series
            The predictions by unit id (panels: by id and period).
        """
        return _prediction.predict(self, data, type=type)

    def scenario(self, delta: pd.DataFrame, *, n_draws: int = 1000, seed: int | None = 0,
                 level: float = 0.95) -> ScenarioResult:
        """Change of every unit's expected outcome when chosen units' regressors change.

        Parameters
        ----------
        delta : pandas.DataFrame
            The change of the regressors, by unit (rows) and variable (columns).
        n_draws : int, default 1000
            Simulation draws of the parameters for the bands.
        seed : int, default 0
            Seed of the draws.
        level : float, default 0.95
            Coverage of the bands.

        Returns
        -------
        ScenarioResult
            ``.units`` per unit with simulated bands; ``.by(partition)`` summarises it by
            group. See :func:`spatialflow.models.results.prediction.scenario`.
        """
        return _prediction.scenario(self, delta, n_draws=n_draws, seed=seed, level=level)

    # ------------------------------------------------------------------ summary
    def summary(self, **kwargs: Any) -> Summary:
        """The coefficient table, fit statistics and (lag models) effects, in one object.

        Parameters
        ----------
        **kwargs
            ``include_effects``, ``level``, ``n_draws``, ``seed`` of
            :func:`~spatialflow.models.results.summary.make_summary`. The effects are
            computed once per setting (a second ``summary()`` draws nothing).

        Returns
        -------
        Summary
            With ``as_text``, ``as_markdown``, ``as_latex`` and ``as_html``.
        """
        return make_summary(self, **kwargs)

    def _repr_html_(self) -> str:
        return self.summary(include_effects=False).as_html()

    def __repr__(self) -> str:
        sp_txt = ("" if self.spatial_param is None
                  else f", {self.spatial_param}={self.spatial:.4f}")
        return (f"<SpatialResults {self.kind} n={self.nobs} k={len(self.params)}"
                f"{sp_txt}, logL={self.llf:.4f}>")
