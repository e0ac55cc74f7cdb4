r"""Draw data with known truth from the spatial models (cross-sections and panels).

For teaching and for checking estimators: every draw comes with the parameters that
produced it, the errors that were drawn, and the *true* LeSage--Pace effects, so that an
estimate can be set beside the value it estimates. The data are simulated; every frame
says so in ``attrs["synthetic"]``.

The data-generating processes, for one period, with :math:`A = I - \rho W` and
:math:`B = I - \lambda W`:

.. math::
    \begin{aligned}
    \text{OLS}:&\quad y = X\beta + \varepsilon &
    \text{SLX}:&\quad y = X\beta + WX\theta + \varepsilon\\
    \text{SAR}:&\quad y = A^{-1}(X\beta + \varepsilon) &
    \text{SDM}:&\quad y = A^{-1}(X\beta + WX\theta + \varepsilon)\\
    \text{SEM}:&\quad y = X\beta + B^{-1}\varepsilon &
    \text{SDEM}:&\quad y = X\beta + WX\theta + B^{-1}\varepsilon\\
    \text{SAC}:&\quad y = A^{-1}(X\beta + B^{-1}\varepsilon) &
    \text{GNS}:&\quad y = A^{-1}(X\beta + WX\theta + B^{-1}\varepsilon)
    \end{aligned}

Panels stack periods :math:`t = 1..T` with the same :math:`W`; unit effects :math:`\mu_i`
and period effects :math:`\alpha_t` enter the mean equation (inside :math:`A^{-1}` for the
lag models, outside the error process for the error models), as in the fixed-effects
models of Elhorst (2014) and R ``splm``.

:math:`A^{-1}` is never formed: :math:`I-\rho W` is factorised once by a sparse LU
(the weights' :class:`~spatialflow.models._linalg.operator.SpatialOperator`) and every draw is a pair of triangular solves.

Examples
--------
>>> import libpysal
>>> from spatialflow.simulate import simulate
>>> w = libpysal.weights.lat2W(10, 10, rook=True); w.transform = "r"
>>> sim = simulate("SAR", w, beta={"Intercept": 1.0, "x1": 2.0}, rho=0.5, seed=1)
>>> sim.data.shape, float(sim.truth.params["rho"])
((100, 2), 0.5)
>>> import numpy as np, scipy.sparse as sp
>>> y, X = sim.data["y"].to_numpy(), sim.data[["x1"]].to_numpy()
>>> eps = y - 0.5 * (sim.W @ y) - 1.0 - 2.0 * X[:, 0]
>>> bool(np.allclose(eps, sim.epsilon.to_numpy(), rtol=0, atol=1e-12))
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Hashable, Iterator, Literal, Mapping, Sequence, Union

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._random import rng_alias
from ._validation import check_count, check_seed
from .exceptions import InputError, ModelSpecificationError, PanelError
from .models._linalg.operator import SpatialOperator
from .flows.simulate import FlowSimulation, simulate_flows  # noqa: F401  (OD flows, spatialflow.flows)

if TYPE_CHECKING:  # annotations only
    from distributed import Client
    from numpy.typing import ArrayLike

    from ._typing import WeightsLike
    from .models import SpatialModel
    from .montecarlo import MonteCarloResult

#: Weights as the simulator takes them: libpysal, or a square matrix used as given.
WeightsInput = Union["WeightsLike", sp.spmatrix, np.ndarray]
#: Coefficients by name (a mapping or Series), or a sequence named x1, x2, ...
Coefficients = Union[Mapping[str, float], pd.Series, Sequence[float]]
#: Estimators of a Monte Carlo study: model classes or names, or a mapping label -> either.
Estimators = Union[Sequence[Union[type["SpatialModel"], str]],
                   Mapping[str, Union[type["SpatialModel"], str]]]

__all__ = ["simulate", "Simulator", "Simulation", "Truth", "MODELS", "admissible_interval"]

#: The data-generating processes, and which of rho / lambda / theta each one has.
MODELS = {
    #        lag (rho), error (lambda), Durbin (theta)
    "OLS": (False, False, False),
    "SLX": (False, False, True),
    "SAR": (True, False, False),
    "SEM": (False, True, False),
    "SDM": (True, False, True),
    "SDEM": (False, True, True),
    "SAC": (True, True, False),
    "GNS": (True, True, True),
}

ErrorDistribution = Literal["normal", "t", "chi2"]
FixedEffects = Literal["unit", "time", "twoway"] | None

#: Above this n the admissible interval uses sparse (ARPACK) extreme eigenvalues.
_DENSE_EIGEN_MAX_N = 1500


# --------------------------------------------------------------------------------------
# The truth
# --------------------------------------------------------------------------------------
# A result, built by the simulator, never by users: the fields are documented under
# Attributes (tests/test_docstrings.py checks that every field is), not as parameters.
@dataclass(frozen=True)
class Truth:  # numpydoc ignore=PR01
    """The parameters that produced a draw.

    Attributes
    ----------
    model : str
        One of :data:`MODELS`.
    params : pandas.Series
        Named as spatialflow's estimators name them: ``Intercept`` (if any), the regressors,
        ``W_<name>`` for the Durbin terms, then ``rho`` and/or ``lambda``.
    sigma2 : float
        Average error variance :math:`\\sigma^2`.
    errors : str
        Error distribution (``"normal"``, ``"t"`` or ``"chi2"``, each scaled to variance
        :math:`\\sigma^2`).
    df : float or None
        Its degrees of freedom (None for normal).
    heteroskedastic : bool
        Whether error variances differ across observations.
    unit_effects, time_effects : pandas.Series or None
        The panel's fixed effects :math:`\\mu_i` (by id) and :math:`\\alpha_t` (by period).
    """

    model: str
    params: pd.Series
    sigma2: float
    errors: str = "normal"
    df: float | None = None
    heteroskedastic: bool = False
    unit_effects: pd.Series | None = None
    time_effects: pd.Series | None = None

    @property
    def rho(self) -> float | None:
        """The spatial lag parameter, or None."""
        return float(self.params["rho"]) if "rho" in self.params.index else None

    @property
    def lam(self) -> float | None:
        """The spatial error parameter, or None."""
        return float(self.params["lambda"]) if "lambda" in self.params.index else None

    def to_dict(self) -> dict:
        """Plain Python values (for ``DataFrame.attrs`` and JSON).

        Returns
        -------
        dict
            ``model``, ``params`` (name -> float), ``sigma2``, ``errors``, ``df``,
            ``heteroskedastic`` and, for panels, ``unit_effects`` / ``time_effects``.
        """
        out = {"model": self.model, "params": {k: float(v) for k, v in self.params.items()},
               "sigma2": float(self.sigma2), "errors": self.errors, "df": self.df,
               "heteroskedastic": self.heteroskedastic}
        if self.unit_effects is not None:
            out["unit_effects"] = {str(k): float(v) for k, v in self.unit_effects.items()}
        if self.time_effects is not None:
            out["time_effects"] = {str(k): float(v) for k, v in self.time_effects.items()}
        return out


# A result, built by the simulator, never by users: the fields are documented under
# Attributes (tests/test_docstrings.py checks that every field is), not as parameters.
@dataclass(frozen=True)
class Simulation:  # numpydoc ignore=PR01
    """One draw: the data, the truth, and the errors that were drawn.

    Attributes
    ----------
    data : pandas.DataFrame
        Cross-section: indexed by id, columns ``y`` then the regressors. Panel: long format,
        one row per (id, period), columns id, period, ``y``, regressors, sorted by id then
        period. ``attrs`` holds ``synthetic=True``, ``seed`` and ``truth`` (as a dict).
    truth : Truth
    epsilon : pandas.Series
        The innovations :math:`\\varepsilon` aligned with the rows of ``data`` (for SEM-type
        models the *innovations*, before :math:`(I-\\lambda W)^{-1}`).
    W : scipy.sparse.csr_matrix
        The weights, rows and columns in the order of ``ids``.
    ids : pandas.Index
        The units.
    simulator : Simulator
        The process that drew it (its truth answers :meth:`true_effects`, :meth:`shock`).
    """

    data: pd.DataFrame
    truth: Truth
    epsilon: pd.Series
    W: sp.csr_matrix = field(repr=False)
    ids: pd.Index = field(repr=False)
    simulator: "Simulator" = field(repr=False, compare=False)

    def true_effects(self) -> pd.DataFrame:
        """The true LeSage--Pace effects of this draw's parameters.

        Returns
        -------
        pandas.DataFrame
            ``direct``, ``indirect``, ``total`` by regressor (see
            :meth:`Simulator.true_effects`).
        """
        return self.simulator.true_effects()

    def shock(self, unit: Hashable, variable: str, size: float = 1.0) -> pd.Series:
        """Response of every unit to a change in one unit's regressor.

        Parameters
        ----------
        unit : object
            Id of the unit whose regressor changes.
        variable : str
            The regressor that changes.
        size : float
            The change (default 1).

        Returns
        -------
        pandas.Series
            Indexed by the ids of ``W`` (see :meth:`Simulator.shock`).
        """
        return self.simulator.shock(unit, variable, size=size)


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------
def _weights(w, ids) -> tuple[sp.csr_matrix, pd.Index]:
    from .weights.align import as_sparse, weights_ids

    if sp.issparse(w) or isinstance(w, np.ndarray):
        matrix = sp.csr_matrix(w, dtype=float)
        if matrix.shape[0] != matrix.shape[1]:
            raise InputError(f"W must be square; a {matrix.shape[0]}x{matrix.shape[1]} matrix "
                             "was given.")
        n = matrix.shape[0]
        ids = pd.RangeIndex(n) if ids is None else pd.Index(ids)
        if len(ids) != n:
            raise InputError(f"ids must have one entry per row of W ({n}); {len(ids)} were given.")
        if ids.has_duplicates:
            raise InputError(f"ids must be unique; duplicated: {list(ids[ids.duplicated()][:10])}.")
    else:
        ids = weights_ids(w) if ids is None else pd.Index(ids)
        matrix = as_sparse(w, ids)
    if matrix.nnz and not np.all(np.isfinite(matrix.data)):
        raise InputError("W has non-finite entries (NaN or inf).")
    matrix = matrix.copy()
    matrix.setdiag(0.0)
    matrix.eliminate_zeros()
    if matrix.nnz == 0:
        raise InputError("W has no links: every unit is an island, so there is nothing spatial "
                         "to simulate.")
    return matrix.tocsr(), ids


def admissible_interval(W: sp.spmatrix | np.ndarray) -> tuple[float, float]:
    r"""The interval :math:`(1/\omega_{\min}, 1/\omega_{\max})` of :math:`\rho` (or :math:`\lambda`).

    :math:`\omega` are the real eigenvalues of ``W``; :math:`I-\rho W` is non-singular, with
    a positive determinant, for every :math:`\rho` strictly inside. For a row-standardised
    ``W``, :math:`\omega_{\max} = 1`. Dense eigenvalues up to n = 1500, ARPACK above.

    Parameters
    ----------
    W : scipy.sparse matrix or ndarray
        Square weights matrix (used as given).

    Returns
    -------
    tuple of float
        ``(lower, upper)``: :math:`1/\omega_{\min}` and :math:`1/\omega_{\max}`.

    Raises
    ------
    InputError
        When ``W`` has no negative or no positive real eigenvalue.

    Examples
    --------
    >>> import libpysal
    >>> from spatialflow.simulate import admissible_interval
    >>> w = libpysal.weights.lat2W(3, 3); w.transform = "r"
    >>> lo, hi = admissible_interval(w.sparse)
    >>> round(lo, 4), hi
    (-1.0, 1.0)
    """
    W = sp.csr_matrix(W, dtype=float)
    n = W.shape[0]
    if n <= _DENSE_EIGEN_MAX_N:
        values = np.linalg.eigvals(W.toarray())
        scale = max(1.0, float(np.max(np.abs(values))))
        values = values[np.abs(values.imag) <= 1e-10 * scale].real
        lo, hi = float(values.min()), float(values.max())
    else:
        lo = float(spla.eigs(W, k=1, which="SR", return_eigenvectors=False)[0].real)
        hi = float(spla.eigs(W, k=1, which="LR", return_eigenvectors=False)[0].real)
    rows = np.asarray(W.sum(axis=1)).ravel()
    if abs(hi - 1.0) < 1e-8 and np.all((np.abs(rows - 1.0) < 1e-10) | (rows == 0)):
        # A row-standardised W has the eigenvalue 1 exactly; rounding must not admit rho = 1.
        hi = 1.0
    if lo >= 0 or hi <= 0:
        raise InputError("W needs a negative and a positive real eigenvalue to define an "
                         f"admissible interval; its real eigenvalues span [{lo}, {hi}].")
    return 1.0 / lo, 1.0 / hi


def _named(values, names_if_sequence, what: str) -> pd.Series:
    if isinstance(values, pd.Series):
        s = values.astype(float)
    elif isinstance(values, Mapping):
        s = pd.Series({str(k): v for k, v in values.items()}, dtype=float)
    else:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
        if arr.ndim != 1:
            raise InputError(f"{what} must be a mapping name -> value or a 1-d sequence; an "
                             f"array of shape {arr.shape} was given.")
        s = pd.Series(arr, index=names_if_sequence(len(arr)), dtype=float)
    if s.index.has_duplicates:
        raise InputError(f"{what} names must be unique; duplicated: "
                         f"{list(s.index[s.index.duplicated()])}.")
    bad = s.index[~np.isfinite(s.to_numpy())]
    if len(bad):
        raise InputError(f"{what} must be finite; non-finite for {list(bad)}.")
    return s


def _check_spatial(name: str, value, W: sp.csr_matrix, bounds_of) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise InputError(f"{name} must be a finite number; {value!r} was given.")
    # |eigenvalue| <= max absolute row sum, so |value| below its reciprocal is inside the
    # interval without computing eigenvalues (always the case for a row-standardised W and
    # |value| < 1); otherwise the extreme eigenvalues decide.
    norm = float(np.max(np.asarray(abs(W).sum(axis=1)).ravel(), initial=0.0))
    if abs(value) * norm < 1.0:
        return value
    lo, hi = bounds_of()
    if not (lo < value < hi):
        raise InputError(f"{name} must lie strictly inside the admissible interval "
                         f"({lo:.6g}, {hi:.6g}) of this W (1/smallest and 1/largest real "
                         f"eigenvalue); {name}={value!r} was given.")
    return value


# --------------------------------------------------------------------------------------
# The simulator
# --------------------------------------------------------------------------------------
class Simulator:
    r"""A data-generating process on a fixed W with fixed regressors; draw from it repeatedly.

    The regressors, fixed effects and error variances are drawn once (``seed``) and then held
    fixed -- the textbook design of "fixed X in repeated samples" -- so that a Monte Carlo
    study varies only the errors (:meth:`draws`). The LU factors of :math:`I-\rho W` and
    :math:`I-\lambda W` are computed once.

    Parameters
    ----------
    model : {"OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS"}
        The data-generating process (module docstring).
    w : libpysal Graph or W, or a square scipy.sparse matrix / ndarray
        Spatial weights, used as given (row-standardise them first if that is what you want).
    beta : mapping name -> value, Series or sequence
        Coefficients of the regressors. The key ``"Intercept"`` adds a constant. A plain
        sequence names its entries ``x1, x2, ...`` (no constant).
    theta : mapping, Series or sequence, optional
        Coefficients of the spatially lagged regressors :math:`WX` (Durbin models only). A
        regressor not named has :math:`\theta = 0`; an unknown name is an error.
    rho, lam : float, optional
        Spatial lag and spatial error parameters; required exactly by the models that have
        them and checked to lie strictly inside :func:`admissible_interval` of ``W``.
    sigma2 : float
        Error variance :math:`\sigma^2 > 0` (the average variance when heteroskedastic).
    X : DataFrame or ndarray, optional
        Regressors. Cross-section: ``(n, k)`` array or a frame indexed by the ids of ``W``
        with the columns named in ``beta``. Panel: ``(T, n, k)`` array. Default: independent
        :math:`N(0, 1)` draws (plus ``x_effect_corr`` times the unit effect in panels).
    ids : sequence, optional
        Ids of the rows of a sparse/array ``W`` (default ``0..n-1``); with a libpysal ``W``
        or ``Graph``, a reordering of its ids.
    T : int, optional
        Number of periods (``T >= 1``) for a panel; ``None`` (default) for a cross-section.
    periods : sequence, optional
        Labels of the periods (default ``0..T-1``); gives ``T`` when ``T`` is None.
    effects : {"unit", "time", "twoway"} or None
        Which fixed effects a panel has, drawn as :math:`N(0, \texttt{effects\_sd}^2)` unless
        ``unit_effects`` / ``time_effects`` give them.
    unit_effects, time_effects : array-like, optional
        Explicit :math:`\mu` (length n, or a Series by id) and :math:`\alpha` (length T).
    effects_sd : float
        Standard deviation of drawn fixed effects.
    x_effect_corr : float
        Panels: each drawn regressor gets ``x_effect_corr`` times :math:`\mu_i`, so that the
        unit effects are correlated with X (pooled estimators are then biased; the within
        estimator is not).
    errors : {"normal", "t", "chi2"}
        Distribution of the innovations, each standardised to mean 0 and variance
        :math:`\sigma^2`: Student t with ``df`` degrees of freedom (``df > 2``), or a centred
        chi-square (right-skewed) with ``df`` degrees of freedom.
    df : float, optional
        Degrees of freedom for ``"t"`` (default 5) and ``"chi2"`` (default 3).
    heteroskedastic : float or array-like, optional
        A float :math:`h` makes :math:`\mathrm{Var}(\varepsilon_i) = \sigma^2 e^{h x_{1i}} /
        \overline{e^{h x_1}}` (variance rising with the first regressor, mean variance
        :math:`\sigma^2`); an array gives positive variance multipliers per unit (length n)
        or per observation (``(T, n)``).
    epsilon : array-like, optional
        Explicit innovations (``(n,)`` or ``(T, n)``) for the first draw instead of random
        ones (e.g. the same shocks under several models).
    seed : int or numpy Generator
        Seeds the regressors, fixed effects and the first draw's errors.
    y_name, id_name, time_name : str
        Column names of the outcome, the unit id and the period (panels).
    rng : int or numpy Generator, optional
        The same as ``seed`` (Scientific Python SPEC 7 name; give one of them).

    Raises
    ------
    ModelSpecificationError
        Unknown model; a parameter the model does not have, or a missing one.
    InputError
        Parameters outside the admissible interval, non-positive ``sigma2``, shapes that do
        not match ``W``, ``T < 1``.
    """

    def __init__(self, model: str, w: WeightsInput, *, beta: Coefficients,
                 theta: Coefficients | None = None, rho: float | None = None,
                 lam: float | None = None, sigma2: float = 1.0,
                 X: pd.DataFrame | np.ndarray | None = None,
                 ids: Sequence | pd.Index | None = None,
                 T: int | None = None, periods: Sequence | None = None,
                 effects: FixedEffects = None, unit_effects: ArrayLike | pd.Series | None = None,
                 time_effects: ArrayLike | pd.Series | None = None,
                 effects_sd: float = 1.0, x_effect_corr: float = 0.0,
                 errors: ErrorDistribution = "normal", df: float | None = None,
                 heteroskedastic: float | ArrayLike | None = None,
                 epsilon: ArrayLike | None = None, seed: int | np.random.Generator = 0,
                 y_name: str = "y", id_name: str = "id", time_name: str = "time",
                 rng: int | np.random.Generator | None = None) -> None:
        model = str(model).upper()
        if model not in MODELS:
            raise ModelSpecificationError(f"model must be one of {list(MODELS)}; {model!r} was "
                                          "given.")
        has_rho, has_lam, durbin = MODELS[model]
        self.model = model
        self.W, self.ids = _weights(w, ids)
        n = self.W.shape[0]
        self.n = n
        seed = check_seed(rng_alias(rng, seed), "seed", allow_generator=True)
        self._seed = seed
        rng = np.random.default_rng(seed)

        # ---- parameters ----
        for name, value, needed in (("rho", rho, has_rho), ("lam", lam, has_lam)):
            if needed and value is None:
                raise ModelSpecificationError(f"the {model} process needs {name}=...; it was "
                                              "not given.")
            if not needed and value is not None:
                raise ModelSpecificationError(f"the {model} process has no {name}; {name}="
                                              f"{value!r} was given (models with it: "
                                              f"{[m for m, f in MODELS.items() if f[0 if name == 'rho' else 1]]}).")
        if theta is not None and not durbin:
            raise ModelSpecificationError(f"the {model} process has no WX term; theta was given "
                                          "(Durbin processes: SLX, SDM, SDEM, GNS).")
        if durbin and theta is None:
            raise ModelSpecificationError(f"the {model} process needs theta=... (coefficients of "
                                          "WX); it was not given.")
        beta = _named(beta, lambda k: [f"x{i + 1}" for i in range(k)], "beta")
        self.intercept = float(beta.get("Intercept", 0.0)) if "Intercept" in beta.index else None
        slopes = beta.drop("Intercept", errors="ignore")
        if slopes.empty:
            raise ModelSpecificationError("beta must name at least one regressor besides "
                                          "'Intercept'.")
        self.names = list(slopes.index)
        self.beta = slopes.to_numpy()
        k = len(self.names)
        if durbin:
            th = _named(theta, lambda m: self.names[:m] if m == k else
                        _raise_len("theta", m, k), "theta")
            unknown = th.index.difference(self.names)
            if len(unknown):
                raise InputError(f"theta names regressors that beta does not have: "
                                 f"{list(unknown)}; regressors: {self.names}.")
            self.theta = th.reindex(self.names, fill_value=0.0).to_numpy()
        else:
            self.theta = None
        sigma2 = float(sigma2)
        if not np.isfinite(sigma2) or sigma2 <= 0:
            raise InputError(f"sigma2 must be a positive finite variance; {sigma2!r} was given.")
        self.sigma2 = sigma2
        self.rho = self.lam = None
        self._bounds = None
        if has_rho:
            self.rho = _check_spatial("rho", rho, self.W, lambda: self.bounds)
        if has_lam:
            self.lam = _check_spatial("lam", lam, self.W, lambda: self.bounds)

        # ---- panel shape ----
        if T is None and periods is None:
            self.panel = False
            T = 1
            periods = None
        else:
            if periods is not None:
                periods = list(periods)
                if T is None:
                    T = len(periods)
                elif len(periods) != T:
                    raise PanelError(f"periods has {len(periods)} labels but T={T}.")
                if len(set(periods)) != len(periods):
                    raise PanelError("periods must be distinct.")
            if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
                raise PanelError(f"T must be an integer >= 1; {T!r} was given.")
            T = int(T)
            periods = list(range(T)) if periods is None else periods
            self.panel = True
        self.T, self.periods = T, periods
        if not self.panel and (effects is not None or unit_effects is not None
                               or time_effects is not None):
            raise PanelError("fixed effects need a panel: pass T= (or periods=).")
        if effects not in (None, "unit", "time", "twoway"):
            raise InputError(f"effects must be None, 'unit', 'time' or 'twoway'; {effects!r} was "
                             "given.")
        self.y_name, self.id_name, self.time_name = y_name, id_name, time_name
        if self.panel and (id_name in self.names or time_name in self.names or id_name == time_name):
            raise InputError(f"id_name {id_name!r} and time_name {time_name!r} must differ from "
                             f"each other and from the regressors {self.names}.")
        if y_name in self.names:
            raise InputError(f"y_name {y_name!r} is also a regressor name.")

        # ---- fixed effects (before X: X may be correlated with them) ----
        mu = alpha = None
        if unit_effects is not None or effects in ("unit", "twoway"):
            mu = (self._by_unit(unit_effects, "unit_effects") if unit_effects is not None
                  else rng.normal(0.0, effects_sd, n))
        if time_effects is not None or effects in ("time", "twoway"):
            if time_effects is not None:
                alpha = np.asarray(time_effects, dtype=float).ravel()
                if alpha.shape != (T,) or not np.all(np.isfinite(alpha)):
                    raise PanelError(f"time_effects must be {T} finite values; shape "
                                     f"{np.shape(time_effects)} was given.")
            else:
                alpha = rng.normal(0.0, effects_sd, T)
        self.mu, self.alpha = mu, alpha

        # ---- regressors, shape (T, n, k) ----
        self.X = self._regressors(X, rng, x_effect_corr)
        self.WX = (np.stack([self.W @ Xt for Xt in self.X]) if durbin else None)

        # ---- error distribution ----
        if errors not in ("normal", "t", "chi2"):
            raise InputError(f"errors must be 'normal', 't' or 'chi2'; {errors!r} was given.")
        if errors == "normal":
            if df is not None:
                raise InputError("df applies to errors='t' or 'chi2', not to 'normal'.")
        else:
            df = float({"t": 5.0, "chi2": 3.0}[errors] if df is None else df)
            if errors == "t" and not df > 2:
                raise InputError(f"Student t errors need df > 2 for a finite variance; df={df}.")
            if errors == "chi2" and not df > 0:
                raise InputError(f"chi-square errors need df > 0; df={df}.")
        self.errors, self.df = errors, df
        self.scale = self._scales(heteroskedastic)

        # ---- factorisations, once ----
        self._factorise()

        self._rng = rng
        self._first_epsilon = self._explicit_epsilon(epsilon)
        self.truth = self._truth(heteroskedastic is not None)

    def __getstate__(self):
        # SuperLU factors cannot be pickled (process and Dask workers): refactorise on arrival.
        state = self.__dict__.copy()
        state["_lu_rho"] = state["_lu_lam"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._factorise()

    def _factorise(self) -> None:
        # The model's operator factorises I - rho W and I - lambda W once (SpatialOperator).
        op = SpatialOperator.of(self.W)
        self._lu_rho = op.factor(self.rho) if self.rho is not None else None
        self._lu_lam = op.factor(self.lam) if self.lam is not None else None

    def monte_carlo(self, estimators: Estimators, reps: int,
                    seed: int | np.random.SeedSequence = 0,
                    scheduler: Client | str | None = None, *,
                    executor: Literal["serial", "threads", "processes"] = "serial",
                    max_workers: int | None = None, level: float = 0.95, effects: bool = True,
                    effects_method: Literal["delta", "simulation"] = "delta",
                    fit_options: Mapping | None = None, progress: bool | None = None,
                    rng: int | np.random.Generator | None = None) -> MonteCarloResult:
        r"""Fit ``estimators`` to ``reps`` draws and compare every estimate with the truth.

        Each replication draws new errors (the regressors stay fixed), fits every estimator
        and records its coefficients, :math:`\rho` / :math:`\lambda`, and the effects
        ``direct:x``, ``indirect:x``, ``total:x`` of each regressor, with standard errors and
        ``level`` intervals. The truth of a parameter the process does not have is 0 (every
        model is nested in GNS); the truth of the effects is :meth:`true_effects`, whatever
        is fitted. Formulas: :mod:`spatialflow.montecarlo`.

        Parameters
        ----------
        estimators : sequence of model classes or names, or mapping label -> class/name
            E.g. ``[spatialflow.SAR, spatialflow.SDM]`` or ``["OLS", "SAR"]``. The models
            take the regressors of the process (with an intercept if it has one).
        reps : int
            Replications (``>= 2``).
        seed : int or numpy.random.SeedSequence
            Root seed: replication ``r`` uses ``SeedSequence(seed).spawn(reps)[r]``
            (:func:`spatialflow.grid.run_grid`), so the table is the same on every executor.
        rng : int, numpy.random.SeedSequence or numpy.random.Generator, optional
            The same as ``seed`` (Scientific Python SPEC 7 name; give one of them); a
            Generator's own ``SeedSequence`` spawns the root (a new one on each call).
        scheduler : dask.distributed.Client or str, optional
            Run the replications on a Dask cluster (:mod:`spatialflow.grid`).
        executor : {"serial", "threads", "processes"}
            Local executor when ``scheduler`` is None.
        max_workers : int, optional
            Local workers (default: the CPU count).
        level : float
            Level of the intervals whose coverage is counted.
        effects : bool
            Also estimate and score the effects.
        effects_method : {"delta", "simulation"}
            Inference for the effects (delta method: fast and deterministic).
        fit_options : mapping, optional
            Passed to every ``fit`` (e.g. ``{"information": "observed"}``).
        progress : bool, optional
            Show a progress bar (``tqdm.auto``). Default: only where someone watches (a
            terminal, or a Jupyter kernel with ipywidgets); ``True`` / ``False`` force it.

        Returns
        -------
        spatialflow.montecarlo.MonteCarloResult
            ``.table`` (``estimator``, ``parameter``, ``truth``, ``reps``, ``mean``,
            ``bias``, ``sd``, ``rmse``, ``mean_std_error``, ``std_error_sd_ratio``,
            ``coverage``, ``bias_mcse``, ``coverage_mcse``) and ``.draws`` (one row per replication,
            estimator and parameter: ``estimate``, ``std_error``, ``lower``, ``upper``).

        Raises
        ------
        GridTaskError
            When a fit fails in some replication: the error names the replication and its seed.

        Examples
        --------
        >>> import libpysal
        >>> from spatialflow.simulate import Simulator
        >>> w = libpysal.weights.lat2W(7, 7); w.transform = "r"
        >>> dgp = Simulator("SAR", w, beta={"Intercept": 1.0, "x": 1.0}, rho=0.5, seed=0)
        >>> mc = dgp.monte_carlo(["OLS", "SAR"], reps=5, seed=1, progress=False)
        >>> list(mc.table.columns[:7])
        ['estimator', 'parameter', 'truth', 'reps', 'mean', 'bias', 'sd']
        >>> sorted(set(mc.table["parameter"]))
        ['Intercept', 'direct:x', 'indirect:x', 'rho', 'total:x', 'x']
        """
        from .montecarlo import run_monte_carlo

        return run_monte_carlo(self, estimators, reps, seed=seed, rng=rng, scheduler=scheduler,
                               executor=executor, max_workers=max_workers, level=level,
                               effects=effects, effects_method=effects_method,
                               fit_options=fit_options, progress=progress)

    @property
    def bounds(self) -> tuple[float, float]:
        """The admissible interval of rho / lambda for this W (:func:`admissible_interval`)."""
        if self._bounds is None:
            self._bounds = admissible_interval(self.W)
        return self._bounds

    # ---- construction helpers ----
    def _by_unit(self, values, what: str) -> np.ndarray:
        if isinstance(values, pd.Series):
            missing = self.ids.difference(values.index)
            if len(missing):
                raise InputError(f"{what} has no value for ids {list(missing[:10])}.")
            arr = values.reindex(self.ids).to_numpy(dtype=float)
        else:
            arr = np.asarray(values, dtype=float).ravel()
        if arr.shape != (self.n,) or not np.all(np.isfinite(arr)):
            raise InputError(f"{what} must be {self.n} finite values (one per unit of W); shape "
                             f"{np.shape(values)} was given.")
        return arr

    def _regressors(self, X, rng, corr) -> np.ndarray:
        n, T, k = self.n, self.T, len(self.names)
        if X is None:
            out = rng.normal(0.0, 1.0, size=(T, n, k))
            if self.mu is not None and corr:
                out = out + corr * self.mu[None, :, None]
            return out
        if isinstance(X, pd.DataFrame):
            if self.panel:
                raise InputError("panel regressors must be a (T, n, k) array; a DataFrame was "
                                 "given.")
            missing_cols = [c for c in self.names if c not in X.columns]
            if missing_cols:
                raise InputError(f"X lacks the columns named in beta: {missing_cols}; it has "
                                 f"{list(X.columns)}.")
            missing = self.ids.difference(X.index)
            if len(missing):
                raise InputError(f"X has no rows for ids {list(missing[:10])} of W.")
            arr = X.reindex(self.ids)[self.names].to_numpy(dtype=float)[None]
        else:
            arr = np.asarray(X, dtype=float)
            if arr.ndim == 2 and not self.panel:
                arr = arr[None]
            if arr.shape != (T, n, k):
                want = f"({n}, {k})" if not self.panel else f"({T}, {n}, {k})"
                raise InputError(f"X must have shape {want} (periods, units, regressors in the "
                                 f"order of beta); shape {np.shape(X)} was given.")
        if not np.all(np.isfinite(arr)):
            raise InputError("X has non-finite values.")
        return arr.copy()

    def _scales(self, heteroskedastic) -> np.ndarray:
        """Standard-deviation multipliers, shape (T, n), mean variance 1."""
        T, n = self.T, self.n
        if heteroskedastic is None:
            return np.ones((T, n))
        if np.ndim(heteroskedastic) == 0:
            h = float(heteroskedastic)
            v = np.exp(h * self.X[:, :, 0])
            return np.sqrt(v / v.mean())
        v = np.asarray(heteroskedastic, dtype=float)
        if v.shape == (n,):
            v = np.broadcast_to(v, (T, n))
        if v.shape != (T, n) or not np.all(np.isfinite(v)) or np.any(v <= 0):
            raise InputError(f"heteroskedastic must be a float or positive variance multipliers "
                             f"of shape ({n},) or ({T}, {n}); shape {np.shape(heteroskedastic)} "
                             "was given (or values not positive).")
        return np.sqrt(np.array(v, dtype=float))

    def _explicit_epsilon(self, epsilon):
        if epsilon is None:
            return None
        e = np.asarray(epsilon, dtype=float)
        if e.ndim == 1:
            e = e[None]
        if e.shape != (self.T, self.n) or not np.all(np.isfinite(e)):
            raise InputError(f"epsilon must be finite with shape ({self.n},) or ({self.T}, "
                             f"{self.n}); shape {np.shape(epsilon)} was given.")
        return e.copy()

    def _truth(self, hetero: bool) -> Truth:
        values, index = [], []
        if self.intercept is not None:
            values.append(self.intercept), index.append("Intercept")
        values += list(self.beta)
        index += self.names
        if self.theta is not None:
            values += list(self.theta)
            index += [f"W_{c}" for c in self.names]
        if self.rho is not None:
            values.append(self.rho), index.append("rho")
        if self.lam is not None:
            values.append(self.lam), index.append("lambda")
        return Truth(
            model=self.model, params=pd.Series(values, index=index, dtype=float),
            sigma2=self.sigma2, errors=self.errors, df=self.df, heteroskedastic=hetero,
            unit_effects=None if self.mu is None else pd.Series(self.mu, index=self.ids),
            time_effects=None if self.alpha is None else pd.Series(self.alpha,
                                                                   index=self.periods))

    # ---- drawing ----
    def _innovations(self, rng) -> np.ndarray:
        size = (self.T, self.n)
        if self.errors == "normal":
            z = rng.standard_normal(size)
        elif self.errors == "t":
            z = rng.standard_t(self.df, size) / np.sqrt(self.df / (self.df - 2.0))
        else:
            z = (rng.chisquare(self.df, size) - self.df) / np.sqrt(2.0 * self.df)
        return np.sqrt(self.sigma2) * self.scale * z

    def _outcome(self, eps: np.ndarray) -> np.ndarray:
        out = np.empty((self.T, self.n))
        for t in range(self.T):
            # Written in this order so synthetic_panel's historic draws are reproduced bit for bit.
            rhs = self.X[t] @ self.beta
            if self.intercept is not None:
                rhs = rhs + self.intercept
            if self.WX is not None:
                rhs = rhs + self.WX[t] @ self.theta
            if self.mu is not None:
                rhs = rhs + self.mu
            if self.alpha is not None:
                rhs = rhs + self.alpha[t]
            u = eps[t] if self._lu_lam is None else self._lu_lam.solve(eps[t])
            rhs = rhs + u
            out[t] = rhs if self._lu_rho is None else self._lu_rho.solve(rhs)
        return out

    def _frame(self, y: np.ndarray, eps: np.ndarray, seed) -> tuple[pd.DataFrame, pd.Series]:
        if not self.panel:
            data = pd.DataFrame(self.X[0], index=self.ids.copy(), columns=self.names)
            data.insert(0, self.y_name, y[0])
            data.index.name = self.ids.name or self.id_name
            epsilon = pd.Series(eps[0], index=data.index, name="epsilon")
        else:
            n, T = self.n, self.T
            # rows by id then period: unit i, period t is X[t, i]
            data = pd.DataFrame(self.X.transpose(1, 0, 2).reshape(n * T, -1), columns=self.names)
            data.insert(0, self.y_name, y.T.ravel())
            data.insert(0, self.time_name, np.tile(np.asarray(self.periods, dtype=object)
                                                   if not _numeric(self.periods)
                                                   else np.asarray(self.periods), n))
            data.insert(0, self.id_name, np.repeat(self.ids.to_numpy(), T))
            epsilon = pd.Series(eps.T.ravel(), index=data.index, name="epsilon")
        data.attrs.update({
            "synthetic": True, "seed": seed if isinstance(seed, (int, np.integer)) else None,
            "truth": self.truth.to_dict(),
            "description": f"SIMULATED data from a {self.model} process with known parameters "
                           "(spatialflow.simulate); not observations of any real place."})
        return data, epsilon

    def draw(self, seed: int | np.random.Generator | None = None, *,
             rng: int | np.random.Generator | None = None) -> Simulation:
        """One draw of the outcome (new errors; the regressors and fixed effects are fixed).

        Parameters
        ----------
        seed : int or Generator, optional
            Seed of this draw's errors. ``None`` continues the simulator's own generator
            (the first call after construction uses ``epsilon`` if it was given).
        rng : int or Generator, optional
            The same as ``seed`` (Scientific Python SPEC 7 name; give one of them).

        Returns
        -------
        Simulation
            The data, the truth and the errors drawn.
        """
        seed = check_seed(rng_alias(rng, seed, seed_default=None), "seed", allow_none=True,
                          allow_generator=True)
        if seed is None:
            if self._first_epsilon is not None:
                eps, self._first_epsilon = self._first_epsilon, None
            else:
                eps = self._innovations(self._rng)
            label = self._seed
        else:
            eps = self._innovations(np.random.default_rng(seed))
            label = seed
        y = self._outcome(eps)
        data, epsilon = self._frame(y, eps, label)
        return Simulation(data=data, truth=self.truth, epsilon=epsilon, W=self.W, ids=self.ids,
                          simulator=self)

    def draws(self, n_draws: int, *, seed: int | np.random.SeedSequence = 0,
              rng: int | np.random.Generator | None = None) -> Iterator[Simulation]:
        """``n_draws`` independent draws (for a Monte Carlo study), reproducible from ``seed``.

        Each draw gets its own child seed (``numpy.random.SeedSequence(seed).spawn``), so
        draw ``r`` is the same whatever ``n_draws`` is.

        Parameters
        ----------
        n_draws : int
            Number of draws (``>= 1``).
        seed : int or numpy.random.SeedSequence
            Root of the draws' seeds.
        rng : int, numpy.random.SeedSequence or numpy.random.Generator, optional
            The same as ``seed`` (SPEC 7 name; give one of them); a Generator spawns the
            draws' generators (``Generator.spawn``).

        Returns
        -------
        iterator of Simulation
            One draw at a time (same regressors, new errors); the arguments are checked at
            the call, not at the first ``next()``.
        """
        # checked here, at the call (a generator body would run only at the first next())
        n_draws = check_count(n_draws, "n_draws")
        seed = rng_alias(rng, seed)
        if isinstance(seed, np.random.Generator):
            return (self.draw(seed=child) for child in seed.spawn(n_draws))
        if not isinstance(seed, np.random.SeedSequence):
            seed = check_seed(seed, "seed")
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        return (self.draw(seed=np.random.default_rng(child)) for child in root.spawn(n_draws))

    # ---- the truth as effects ----
    def _effect_operator_diag(self, block: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """diag(A^{-1}) and diag(A^{-1} W) by blocked sparse solves (exact, O(n) memory per block)."""
        n = self.n
        if self._lu_rho is None:
            return np.ones(n), np.asarray(self.W.diagonal()).ravel()
        d0, d1 = np.empty(n), np.empty(n)
        Wc = self.W.tocsc()
        for start in range(0, n, block):
            cols = np.arange(start, min(start + block, n))
            E = np.zeros((n, len(cols)))
            E[cols, np.arange(len(cols))] = 1.0
            d0[cols] = self._lu_rho.solve(E)[cols, np.arange(len(cols))]
            d1[cols] = self._lu_rho.solve(Wc[:, cols].toarray())[cols, np.arange(len(cols))]
        return d0, d1

    def true_effects(self) -> pd.DataFrame:
        r"""The true direct, indirect and total effects of each regressor.

        .. math::
            S_k = (I-\rho W)^{-1}(\beta_k I + \theta_k W),\quad
            \text{direct}_k = \tfrac1n \mathrm{tr}\, S_k,\quad
            \text{total}_k = \tfrac1n \iota' S_k \iota,\quad
            \text{indirect}_k = \text{total}_k - \text{direct}_k

        (LeSage and Pace 2009); :math:`\rho = 0` for the models without a spatial lag, whose
        effects are :math:`\beta_k` and :math:`\theta_k \bar r` with :math:`\bar r` the mean
        row sum of :math:`W`. Exact: the diagonals come from blocked sparse solves.

        Returns
        -------
        DataFrame
            Indexed by regressor, columns ``direct``, ``indirect``, ``total``.
        """
        d0, d1 = self._effect_operator_diag()
        ones = np.ones(self.n)
        a_inv_1 = ones if self._lu_rho is None else self._lu_rho.solve(ones)
        a_inv_w1 = self.W @ ones if self._lu_rho is None else self._lu_rho.solve(self.W @ ones)
        theta = self.theta if self.theta is not None else np.zeros(len(self.names))
        direct = (self.beta * d0.sum() + theta * d1.sum()) / self.n
        total = (self.beta * a_inv_1.sum() + theta * a_inv_w1.sum()) / self.n
        return pd.DataFrame({"direct": direct, "indirect": total - direct, "total": total},
                            index=pd.Index(self.names, name="variable"))

    def shock(self, unit: Hashable, variable: str, size: float = 1.0) -> pd.Series:
        r"""How every unit's expected outcome moves when one unit's regressor rises by ``size``.

        Column ``j`` of :math:`S_k = (I-\rho W)^{-1}(\beta_k I + \theta_k W)` times ``size``:
        the entry for ``unit`` itself is its own (direct) response, all others are the
        spillovers, which fade with the order of neighbourhood.

        Parameters
        ----------
        unit : object
            Id of the unit whose regressor changes (an id of ``W``).
        variable : str
            The regressor that changes.
        size : float
            The change (default 1).

        Returns
        -------
        Series
            Indexed by the ids of ``W``.
        """
        if variable not in self.names:
            raise InputError(f"variable must be one of the regressors {self.names}; {variable!r} "
                             "was given.")
        pos = self.ids.get_indexer([unit])[0]
        if pos < 0:
            raise InputError(f"unit {unit!r} is not an id of W (ids such as "
                             f"{list(self.ids[:5])}).")
        k = self.names.index(variable)
        e = np.zeros(self.n)
        e[pos] = float(size)
        rhs = self.beta[k] * e
        if self.theta is not None:
            rhs = rhs + self.theta[k] * (self.W @ e)
        out = rhs if self._lu_rho is None else self._lu_rho.solve(rhs)
        return pd.Series(out, index=self.ids.copy(), name=f"response to {variable} at {unit}")


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) for v in values)


def _raise_len(what, got, want):
    raise InputError(f"{what} as a sequence must have one value per regressor ({want}); {got} "
                     "were given.")


def simulate(model: str, w: WeightsInput, **options: Any) -> Simulation:
    """Draw one data set with known truth (shorthand for ``Simulator(model, w, ...).draw()``).

    Use :class:`Simulator` and its :meth:`~Simulator.draws` or :meth:`~Simulator.monte_carlo`
    for Monte Carlo studies: it keeps the regressors fixed and factorises :math:`I-\\rho W` once.

    Parameters
    ----------
    model : {"OLS", "SLX", "SAR", "SEM", "SDM", "SDEM", "SAC", "GNS"}
        The data-generating process.
    w : libpysal Graph or W, or a square scipy.sparse matrix / ndarray
        Spatial weights, used as given.
    **options
        ``beta``, ``theta``, ``rho``, ``lam``, ``sigma2``, ``X``, ``T``, ``effects``,
        ``errors``, ``seed`` ...: the parameters of :class:`Simulator`.

    Returns
    -------
    Simulation
        The data, the truth, the errors drawn, and ``true_effects()`` / ``shock()``.

    Examples
    --------
    >>> import libpysal
    >>> from spatialflow.simulate import simulate
    >>> w = libpysal.weights.lat2W(8, 8); w.transform = "r"
    >>> sim = simulate("SDM", w, beta={"Intercept": 1, "x": 1.0}, theta={"x": 0.5}, rho=0.4,
    ...                T=5, effects="twoway", seed=3)
    >>> list(sim.data.columns), len(sim.data)
    (['id', 'time', 'y', 'x'], 320)
    >>> eff = sim.true_effects()          # total = (beta + theta) / (1 - rho) here
    >>> round(float(eff.loc["x", "total"]), 10), round(float(eff.loc["x", "direct"]), 3)
    (2.5, 1.117)
    """
    return Simulator(model, w, **options).draw()

