r"""Geographically weighted regression (GWR) and multiscale GWR (MGWR) through ``mgwr``,
with prediction at new locations for both.

GWR (Brunsdon, Fotheringham & Charlton 1996) fits at every location :math:`u`

.. math::

    \hat\beta(u) = (X^\top W(u) X)^{-1} X^\top W(u)\, y,\qquad
    w_i(u) = K\big(d(u, u_i) / b\big),

one bandwidth :math:`b` for every covariate. MGWR (Fotheringham, Yang & Kang 2017) gives
each covariate :math:`j` its own bandwidth :math:`b_j`, estimated by backfitting: at
convergence each surface is the univariate GWR of its partial residual,

.. math::

    \hat\beta_j(u_i) = \frac{x_j^\top W_j(u_i)\, e_j}{x_j^\top W_j(u_i)\, x_j},\qquad
    e_j = y - \sum_{k \ne j} x_k \circ \hat\beta_k,

with :math:`W_j(u)` the kernel weights of bandwidth :math:`b_j`. ``mgwr`` does not predict
from an MGWR fit (pysal/mgwr#51). Here the same fixed-point equation is evaluated at a new
location :math:`u`: :math:`\hat\beta_j(u)` is the univariate kernel regression of the fitted
partial residual :math:`e_j` on :math:`x_j` with the covariate's own bandwidth, and
:math:`\hat y(u) = \sum_j x_j(u)\,\hat\beta_j(u)`. At a calibration point this returns the
fitted :math:`\hat\beta_j(u_i)` (to the backfitting tolerance); for GWR it is ``mgwr``'s
own ``GWR.predict``.

Kernels and bandwidths are ``mgwr``'s: ``kernel="bisquare"`` (default), ``"gaussian"`` or
``"exponential"``; ``fixed=False`` (default) is an adaptive bandwidth counted in nearest
neighbours (the location itself included at a calibration point), ``fixed=True`` a
distance in the units of the coordinates. MGWR bandwidths are comparable across covariates
only when y and X are standardised (as in ``mgwr``'s examples): do that before fitting.
"""
from __future__ import annotations

import copy
import functools
from contextlib import contextmanager
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from ..exceptions import CRSError, IdMismatchError, InputError, MissingDataError, format_ids
from ._validation import as_series, match_index, numeric_block, raise_if_missing

if TYPE_CHECKING:  # annotations only: importing geopandas costs about a second
    import geopandas as gpd
    from numpy.typing import ArrayLike

__all__ = ["gwr", "mgwr", "LocalRegressionResults", "KERNELS"]

KERNELS = ("bisquare", "gaussian", "exponential")
_CONST = "Intercept"


@contextmanager
def _quiet():
    """mgwr draws tqdm progress bars on stderr (bandwidth search, backfitting, inference,
    Monte Carlo); a library call does not print, so they are disabled for its duration."""
    try:
        import tqdm.auto
        import tqdm.autonotebook
    except ImportError:  # mgwr then passes its ranges through
        yield
        return
    saved = tqdm.auto.tqdm, tqdm.autonotebook.tqdm
    tqdm.auto.tqdm = functools.partial(saved[0], disable=True)
    tqdm.autonotebook.tqdm = functools.partial(saved[1], disable=True)
    try:
        yield
    finally:
        tqdm.auto.tqdm, tqdm.autonotebook.tqdm = saved


# ------------------------------------------------------------------ inputs
def _coords(coords, ids: pd.Index, spherical: bool) -> np.ndarray:
    """(n, 2) coordinates in the order of ``ids``: from a GeoSeries/GeoDataFrame (points or
    the centroids of polygons), a DataFrame of two columns, or an (n, 2) array."""
    import geopandas as gpd

    if isinstance(coords, (gpd.GeoSeries, gpd.GeoDataFrame)):
        geometry = coords.geometry
        crs = getattr(coords, "crs", None)
        if crs is None:
            raise CRSError("coords has geometries without a CRS: distances need a projected "
                           "CRS (metres), or longitude/latitude with spherical=True.")
        if crs.is_geographic and not spherical:
            raise CRSError(f"coords are in a geographic CRS ({crs.name}): project them (e.g. "
                           "spatialflow's to_metric) or pass spherical=True for great-circle "
                           "distances in km.")
        geom = geometry
        pts = geom if (geom.geom_type == "Point").all() else geom.representative_point()
        frame = pd.DataFrame({"x": pts.x, "y": pts.y}, index=geometry.index)
    elif isinstance(coords, pd.DataFrame):
        if coords.shape[1] != 2:
            raise InputError(f"coords must have 2 columns (x, y); {list(coords.columns)} were "
                             "given.")
        frame = numeric_block(coords, list(coords.columns), what="coordinate")
    else:
        arr = np.asarray(coords, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise InputError(f"coords must be (n, 2); an array of shape {arr.shape} was given.")
        if len(arr) != len(ids):
            raise InputError(f"coords has {len(arr)} rows and the data {len(ids)}; an array is "
                             "paired by position, so the lengths must agree.")
        frame = pd.DataFrame(arr, index=ids, columns=["x", "y"])
    if not frame.index.equals(ids):
        only_data, only_coords = ids.difference(frame.index), frame.index.difference(ids)
        if len(only_data) or len(frame) != len(ids):
            raise IdMismatchError(f"coords must cover the data's ids; only in the data: "
                                  f"{format_ids(only_data)}; only in coords: "
                                  f"{format_ids(only_coords)}.")
        frame = frame.reindex(ids)
    raise_if_missing(frame, what="coordinates")
    return frame.to_numpy(dtype=float)


def _data(y, X) -> tuple[pd.Series, pd.DataFrame]:
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"X must be a pandas DataFrame of covariates; a {type(X).__name__} "
                         "was given.")
    block = numeric_block(X, list(X.columns), what="covariate")
    if _CONST in block.columns:
        raise InputError(f"X must not contain {_CONST!r}: the intercept is added (constant).")
    yy = as_series(y, name=getattr(y, "name", None) or "y")
    if isinstance(y, pd.Series):
        yy = match_index(yy, block.index, name="y", target_name="X")
    elif len(yy) != len(block):
        raise InputError(f"y has {len(yy)} values and X {len(block)} rows.")
    else:
        yy.index = block.index
    if block.index.has_duplicates:
        raise InputError(f"X's index (the unit ids) must be unique; "
                         f"{format_ids(block.index[block.index.duplicated()].unique())} repeat.")
    raise_if_missing(block, what="covariates")
    bad = yy.index[~np.isfinite(yy.to_numpy())]
    if len(bad):
        raise MissingDataError(f"y must be finite; rows {format_ids(bad)} are NaN or infinite.")
    return yy, block


def _options(kernel, criterion, n_jobs):
    if kernel not in KERNELS:
        raise InputError(f"kernel must be one of {list(KERNELS)}; {kernel!r} was given.")
    if criterion not in ("AICc", "AIC", "BIC", "CV"):
        raise InputError("criterion must be one of ['AICc', 'AIC', 'BIC', 'CV']; "
                         f"{criterion!r} was given.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise InputError(f"n_jobs must be a positive integer or -1; {n_jobs!r} was given.")


# ------------------------------------------------------------------ results
# Built by gwr() and mgwr(), never by users: the fields are documented under Attributes
# (tests/test_docstrings.py checks that every field is), not as constructor parameters.
@dataclass(frozen=True)
class LocalRegressionResults:  # numpydoc ignore=PR01
    """A fitted GWR or MGWR: local estimates by unit, bandwidths, prediction.

    Attributes
    ----------
    kind : {"GWR", "MGWR"}
    params, bse, tvalues : pandas.DataFrame
        Local estimates, their standard errors and t-values: one row per unit (the data's
        ids), one column per term (``Intercept`` first).
    bandwidths : pandas.Series
        Bandwidth per term (GWR: the same for every term).
    aicc, r2 : float
        Corrected AIC and R² of the fit (``mgwr``'s).
    kernel : {"bisquare", "gaussian", "exponential"}
        The kernel function :math:`K`.
    fixed : bool
        Fixed (distance) bandwidths, or adaptive ones (nearest neighbours).
    spherical : bool
        Great-circle distances (km) between longitude/latitude coordinates.
    model : mgwr GWRResults or MGWRResults
        The underlying ``mgwr`` results, for everything not mirrored here.
    selector : mgwr.sel_bw.Sel_BW
        The bandwidth selector of the fit (:meth:`spatial_variability` searches again with a
        copy).
    coords, y, X : numpy.ndarray
        Read-only copies of the fit's locations (n, 2), response (n,) and design (n, k,
        ``Intercept`` column first), kept for :meth:`predict` (private fields ``_coords``,
        ``_y``, ``_X``).
    n : int
        Number of units of the fit.
    """

    kind: str
    _params: pd.DataFrame = field(repr=False)
    _bse: pd.DataFrame = field(repr=False)
    _tvalues: pd.DataFrame = field(repr=False)
    _bandwidths: pd.Series = field(repr=False)
    aicc: float
    r2: float
    kernel: str
    fixed: bool
    spherical: bool
    model: object = field(repr=False)
    selector: object = field(repr=False)
    _coords: np.ndarray = field(repr=False)
    _y: np.ndarray = field(repr=False)
    _X: np.ndarray = field(repr=False)

    def __post_init__(self):
        for a in ("_coords", "_y", "_X"):
            # own read-only copies: never a flag set on an array the caller passed in
            arr = np.array(getattr(self, a), dtype=float, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, a, arr)

    # fresh copies on every access: the results cannot be edited through them
    @property
    def params(self) -> pd.DataFrame:
        """Local estimates :math:`\\hat\\beta_j(u_i)`: units x terms (a fresh copy)."""
        return self._params.copy()

    @property
    def bse(self) -> pd.DataFrame:
        """Standard errors of the local estimates: units x terms (a fresh copy)."""
        return self._bse.copy()

    @property
    def tvalues(self) -> pd.DataFrame:
        """t-values of the local estimates (``params / bse``): units x terms (a fresh copy)."""
        return self._tvalues.copy()

    @property
    def bandwidths(self) -> pd.Series:
        """Bandwidth of each term (GWR: one value repeated; a fresh copy)."""
        return self._bandwidths.copy()

    @property
    def n(self) -> int:
        """Number of units of the fit."""
        return len(self._y)

    def summary_table(self) -> pd.DataFrame:
        """Per term: bandwidth and the distribution of its local estimate over the units.

        Returns
        -------
        pandas.DataFrame
            Indexed by term: ``bandwidth``, ``mean``, ``sd`` (``ddof=0``), ``min``,
            ``median``, ``max`` of the column of :attr:`params`.
        """
        p = self.params
        return pd.DataFrame({"bandwidth": self.bandwidths, "mean": p.mean(), "sd": p.std(ddof=0),
                             "min": p.min(), "median": p.median(), "max": p.max()})

    def predict(self, coords: gpd.GeoSeries | gpd.GeoDataFrame | pd.DataFrame | ArrayLike,
                X: pd.DataFrame) -> pd.DataFrame:
        """Local estimates and predictions of ``y`` at new locations (module docstring).

        Parameters
        ----------
        coords : GeoSeries, GeoDataFrame, DataFrame or array
            New locations, as for the fit (GeoSeries/GeoDataFrame in the same CRS, DataFrame
            or (m, 2) array), matched to ``X`` by index.
        X : pandas.DataFrame
            The covariates at the new locations, with the fit's columns (any order).

        Returns
        -------
        pandas.DataFrame
            Indexed like ``X``: ``prediction`` and one column per term (its local estimate).
        """
        names = list(self.params.columns[1:])
        if not isinstance(X, pd.DataFrame):
            raise InputError(f"X must be a DataFrame with columns {names}; a "
                             f"{type(X).__name__} was given.")
        missing = [c for c in names if c not in X.columns]
        if missing:
            raise InputError(f"X lacks the fit's covariates {format_ids(missing)}.")
        block = numeric_block(X, names, what="covariate")
        raise_if_missing(block, what="covariates at the new locations")
        points = _coords(coords, block.index, self.spherical)
        P = np.hstack([np.ones((len(block), 1)), block.to_numpy()])
        if self.kind == "GWR":
            beta = self._gwr_params_at(points, P)
        else:
            beta = self._mgwr_params_at(points)
        out = pd.DataFrame(beta, index=block.index, columns=self.params.columns)
        out.insert(0, "prediction", (P * beta).sum(axis=1))
        return out

    def _gwr_params_at(self, points, P) -> np.ndarray:
        from mgwr.gwr import GWR

        bw = float(self.bandwidths.iloc[0])
        # a fresh model: mgwr's predict stores the points on the model it is called on
        model = GWR(self._coords, self._y.reshape(-1, 1), self._X[:, 1:], bw,
                    kernel=self.kernel, fixed=self.fixed, spherical=self.spherical, n_jobs=1)
        return np.asarray(model.predict(points, P[:, 1:]).params)

    def _mgwr_params_at(self, points) -> np.ndarray:
        from mgwr.kernels import Kernel

        X, beta = self._X, self.params.to_numpy()
        fitted = X * beta                                  # x_k o beta_k, (n, k)
        resid = self._y - fitted.sum(axis=1)
        out = np.empty((len(points), X.shape[1]))
        for j, bw in enumerate(self.bandwidths.to_numpy()):
            e_j = resid + fitted[:, j]                     # partial residual of term j
            xj = X[:, j]
            for i in range(len(points)):
                w = Kernel(i, self._coords, bw, fixed=self.fixed, function=self.kernel,
                           points=points, spherical=self.spherical).kernel
                den = float(np.sum(w * xj * xj))
                out[i, j] = float(np.sum(w * xj * e_j)) / den if den > 0 else np.nan
        return out

    def spatial_variability(self, n_iters: int = 1000, seed: int = 0) -> pd.Series:
        r"""Monte Carlo test of spatial variability of each surface (``mgwr``).

        The locations are permuted ``n_iters`` times; each time the model is refitted
        (bandwidths searched again) and the SD of every local estimate recorded.
        :math:`p_j = \#\{SD_j^{sim} > SD_j^{obs}\} / n_{iters}` (mgwr's formula, no +1):
        a small :math:`p_j` says the surface varies more than chance would make it.
        The bandwidths are searched again on every permutation (also when they were given to
        the fit). Slow: ``n_iters`` full refits. ``mgwr`` draws from numpy's global RNG; it is seeded
        with ``seed`` and restored afterwards.

        Parameters
        ----------
        n_iters : int
            Permutations of the locations (each a full refit), at least 1.
        seed : int
            Seed of numpy's global RNG during the test (a non-negative integer).

        Returns
        -------
        pandas.Series
            p-value per term.
        """
        from .._validation import check_count, check_seed

        n_iters = check_count(n_iters, "n_iters", minimum=1)
        seed = check_seed(seed, "seed")
        state = np.random.get_state()
        try:
            with _quiet():
                p = self.model.spatial_variability(copy.deepcopy(self.selector),
                                                   n_iters=n_iters, seed=seed)
        finally:
            np.random.set_state(state)
        return pd.Series(np.asarray(p, dtype=float).ravel(), index=self.params.columns,
                         name="p_value")


def _frame(values, ids, names) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(values, dtype=float), index=ids, columns=names)


# ------------------------------------------------------------------ fitting
def gwr(y: pd.Series | ArrayLike, X: pd.DataFrame,
        coords: gpd.GeoSeries | gpd.GeoDataFrame | pd.DataFrame | ArrayLike, *,
        bw: float | None = None,
        kernel: Literal["bisquare", "gaussian", "exponential"] = "bisquare",
        fixed: bool = False, criterion: Literal["AICc", "AIC", "BIC", "CV"] = "AICc",
        spherical: bool = False, n_jobs: int = 1) -> LocalRegressionResults:
    """Geographically weighted regression of ``y`` on ``X`` (``mgwr.gwr.GWR``).

    Parameters
    ----------
    y : pandas.Series or array-like
        Response; a Series is matched to ``X`` by index.
    X : pandas.DataFrame
        Covariates indexed by unit id (an intercept is added). Not modified.
    coords : GeoSeries, GeoDataFrame, DataFrame or array
        Unit locations: points, or polygons (their representative points); projected
        coordinates, or longitude/latitude with ``spherical=True``.
    bw : float, optional
        Bandwidth (neighbours if adaptive, distance if ``fixed``); default: golden-section
        search on ``criterion`` (``mgwr.sel_bw.Sel_BW``).
    kernel, fixed, criterion, spherical
        As in ``mgwr`` (module docstring).
    n_jobs : int
        Processes for ``mgwr`` (1: none; its default -1 uses every core).

    Returns
    -------
    LocalRegressionResults

    Examples
    --------
    >>> res = gwr(data["PctBach"], data[["PctRural", "PctPov"]], layer)  # doctest: +SKIP
    >>> res.bandwidths, res.predict(new_layer, new_data)                   # doctest: +SKIP
    """
    _options(kernel, criterion, n_jobs)
    yy, block = _data(y, X)
    pts = _coords(coords, block.index, spherical)
    if bw is not None:
        bw = _check_bw(bw, fixed, len(yy))
    from mgwr.gwr import GWR  # after the checks: importing mgwr compiles its numba kernels
    from mgwr.sel_bw import Sel_BW

    Y, Xa = yy.to_numpy().reshape(-1, 1), block.to_numpy()
    selector = Sel_BW(pts, Y, Xa, kernel=kernel, fixed=fixed, spherical=spherical,
                      n_jobs=n_jobs)
    with _quiet():
        if bw is None:
            bw = float(selector.search(criterion=criterion))
        res = GWR(pts, Y, Xa, bw, kernel=kernel, fixed=fixed, spherical=spherical,
                  n_jobs=n_jobs).fit()
    names = [_CONST, *block.columns]
    return LocalRegressionResults(
        kind="GWR", _params=_frame(res.params, block.index, names),
        _bse=_frame(res.bse, block.index, names), _tvalues=_frame(res.tvalues, block.index, names),
        _bandwidths=pd.Series(bw, index=names, name="bandwidth"), aicc=float(res.aicc),
        r2=float(res.R2), kernel=kernel, fixed=fixed, spherical=spherical, model=res,
        selector=selector, _coords=pts, _y=Y.ravel().copy(),
        _X=np.hstack([np.ones((len(Y), 1)), Xa]))


def _check_bw(bw, fixed, n):
    try:
        bw = float(bw)
    except (TypeError, ValueError):
        raise InputError(f"a bandwidth must be a number; {bw!r} was given.") from None
    if fixed and not bw > 0:
        raise InputError(f"a fixed bandwidth is a positive distance; {bw!r} was given.")
    if not fixed and not (bw == int(bw) and 2 <= bw <= n):
        raise InputError(f"an adaptive bandwidth is a number of neighbours from 2 to n = {n}; "
                         f"{bw!r} was given.")
    return bw


def mgwr(y: pd.Series | ArrayLike, X: pd.DataFrame,
         coords: gpd.GeoSeries | gpd.GeoDataFrame | pd.DataFrame | ArrayLike, *,
         bws: Sequence[float] | None = None,
         kernel: Literal["bisquare", "gaussian", "exponential"] = "bisquare",
         fixed: bool = False, criterion: Literal["AICc", "AIC", "BIC", "CV"] = "AICc",
         spherical: bool = False, n_jobs: int = 1,
         tol: float = 1e-5, max_iter: int = 200) -> LocalRegressionResults:
    """Multiscale GWR of ``y`` on ``X`` (``mgwr.gwr.MGWR``): one bandwidth per term.

    Standardise ``y`` and ``X`` first for bandwidths comparable across terms. Backfitting
    refits one GWR per term and iteration: slow beyond a few hundred units.

    Parameters
    ----------
    y : pandas.Series or array-like
        Response; a Series is matched to ``X`` by index.
    X : pandas.DataFrame
        Covariates indexed by unit id (an intercept is added). Not modified.
    coords : GeoSeries, GeoDataFrame, DataFrame or array
        Unit locations, as in :func:`gwr`.
    bws : sequence of float, optional
        Bandwidths of ``Intercept`` and each column of ``X``; default: searched by
        backfitting on ``criterion`` (``Sel_BW(multi=True)``). Given, they are held fixed
        and only the surfaces are backfitted.
    kernel : {"bisquare", "gaussian", "exponential"}
        Kernel function, shared by every term (module docstring).
    fixed : bool
        Fixed (distance) bandwidths instead of adaptive ones (nearest neighbours).
    criterion : {"AICc", "AIC", "BIC", "CV"}
        What the bandwidth search minimises.
    spherical : bool
        Great-circle distances (km) between longitude/latitude coordinates.
    n_jobs : int
        Processes for ``mgwr`` (1: none; -1: every core).
    tol : float
        Backfitting convergence tolerance (``mgwr``'s ``tol_multi``).
    max_iter : int
        Maximum backfitting iterations (``mgwr``'s ``max_iter_multi``).

    Returns
    -------
    LocalRegressionResults
        ``predict`` evaluates each term's surface at new locations with its own bandwidth
        (module docstring).
    """
    _options(kernel, criterion, n_jobs)
    yy, block = _data(y, X)
    pts = _coords(coords, block.index, spherical)
    names = [_CONST, *block.columns]
    options = dict(criterion=criterion, tol_multi=tol, max_iter_multi=max_iter, verbose=False)
    if bws is not None:
        bws = list(bws)
        if len(bws) != len(names):
            raise InputError(f"bws needs one bandwidth per term {names}; {len(bws)} given.")
        bws = [_check_bw(b, fixed, len(yy)) for b in bws]
        options.update(multi_bw_min=bws, multi_bw_max=bws)
    from mgwr.gwr import MGWR  # after the checks: importing mgwr compiles its numba kernels
    from mgwr.sel_bw import Sel_BW

    Y, Xa = yy.to_numpy().reshape(-1, 1), block.to_numpy()
    selector = Sel_BW(pts, Y, Xa, multi=True, kernel=kernel, fixed=fixed,
                      spherical=spherical, n_jobs=n_jobs)
    with _quiet():
        selector.search(**options)
        res = MGWR(pts, Y, Xa, selector, kernel=kernel, fixed=fixed, spherical=spherical,
                   n_jobs=n_jobs).fit()
    return LocalRegressionResults(
        kind="MGWR", _params=_frame(res.params, block.index, names),
        _bse=_frame(res.bse, block.index, names), _tvalues=_frame(res.tvalues, block.index, names),
        _bandwidths=pd.Series(np.asarray(selector.bw[0], dtype=float), index=names,
                             name="bandwidth"),
        aicc=float(res.aicc), r2=float(res.R2), kernel=kernel, fixed=fixed,
        spherical=spherical, model=res, selector=selector, _coords=pts, _y=Y.ravel().copy(),
        _X=np.hstack([np.ones((len(Y), 1)), Xa]))
