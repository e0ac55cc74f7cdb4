"""Draw origin-destination flows from any of the nine variants, with the truth returned.

.. math::

    Y = A(\\rho)^{-1}\\left[\\alpha + \\alpha_I I + x_o\\beta_o' + \\ldots + \\gamma G
        + \\sigma E\\right],\\qquad E_{od} \\sim N(0, 1),

solved in matrix form from the eigen-decomposition of ``W``
(:meth:`spatialflow.flows.logdet.Spectrum.solve`, ``solver="spectral"``: ``O(n^3)`` time and
about a dozen ``n x n`` arrays) or, for thousands of nodes, by Chebyshev iteration with sparse
products only (:func:`solve_filter_iterative`, ``solver="iterative"``: ``O(n^2)`` per
iteration, a handful of ``n x n`` arrays); the ``n^2 x n^2`` filter is never formed.
The node characteristic ``x`` is standard normal and the pair variable ``dist`` is the
Euclidean distance between nodes placed uniformly in the unit square (or between the
``coords`` given). The data are simulated: the frames say so in ``attrs["synthetic"]``.

Examples
--------
>>> from libpysal.weights import lat2W
>>> from spatialflow.flows.simulate import simulate_flows
>>> w = lat2W(4, 4); w.transform = "r"
>>> sim = simulate_flows(w, rho={"rho_d": 0.4, "rho_o": 0.3, "rho_w": -0.1}, seed=7)
>>> sim.pairs.shape, float(sim.truth["rho_d"])
((256, 5), 0.4)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._validation import check_seed
from ..exceptions import InadmissibleEstimateError, InputError, NumericalError
from ..weights.align import as_sparse, weights_ids
from .design import lag_pair
from .logdet import Spectrum, _symmetrisable, spectrum
from .variants import variant

if TYPE_CHECKING:
    from .._typing import WeightsLike

__all__ = ["simulate_flows", "solve_filter_iterative", "FlowSimulation", "DEFAULT_COEFFICIENTS",
           "FORMULA"]

#: Relative residual :math:`\|M - A(\rho) Y\|_F / \|M\|_F` at which the iterative solve stops.
ITERATIVE_RTOL = 1e-13

#: The formula whose parameters the simulation's truth holds.
FORMULA = "y ~ O_(x) + D_(x) + I_(x) + P_(dist)"
DEFAULT_COEFFICIENTS = {"(Intercept)": 1.0, "(Intra)": 0.5, "D_x": 1.0, "D_x.lag1": 0.5,
                        "O_x": -0.5, "O_x.lag1": -0.25, "I_x": 0.3, "P_dist": -1.0}
DEFAULT_RHO = {"rho_d": 0.4, "rho_o": 0.3, "rho_w": -0.1, "rho_od": 0.5, "rho_odw": 0.5}


@dataclass(frozen=True)
class FlowSimulation:  # numpydoc ignore=PR01
    """One draw: ``nodes`` (column ``x``), ``pairs`` (``orig``, ``dest``, ``dist``, ``y``,
    ``mean``), the ``truth`` (a Series named as the model's ``params``, with ``sigma2``) and
    the implied ``(rho_d, rho_o, rho_w)``.

    Built by :func:`simulate_flows`, not by users.

    Attributes
    ----------
    nodes : pandas.DataFrame
        The node table (column ``x``), indexed by the node ids of ``w``.
    pairs : pandas.DataFrame
        One row per pair: ``orig``, ``dest``, ``dist``, the flow ``y`` and its mean ``mean``.
    truth : pandas.Series
        The true parameters, named as the fitted ``params`` of :data:`FORMULA`, and
        ``sigma2``.
    rho_full : numpy.ndarray
        The implied :math:`(\\rho_d, \\rho_o, \\rho_w)`.
    model : str
        The variant the flows were drawn from.
    formula : str
        The formula whose parameters ``truth`` holds (:data:`FORMULA`).
    """

    nodes: pd.DataFrame
    pairs: pd.DataFrame
    truth: pd.Series
    rho_full: np.ndarray
    model: str
    formula: str = FORMULA


def _extreme_eigenvalues(W: sp.csr_matrix) -> np.ndarray:
    """The smallest and largest eigenvalue of a ``W`` similar to a symmetric matrix, by
    Lanczos (ARPACK) on :math:`D^{1/2} W D^{-1/2}` (sparse; no dense ``n x n`` array)."""
    q = _symmetrisable(W)
    if q is None:
        raise InputError("solver='iterative' needs a W similar to a symmetric matrix (symmetric, "
                         "or binary contiguity row-standardised), whose eigenvalues are real; "
                         "use solver='spectral' for this W.")
    s = np.sqrt(q)
    S = sp.diags(s) @ sp.csr_matrix(W) @ sp.diags(1.0 / s)
    S = 0.5 * (S + S.T)
    if S.shape[0] <= 50:  # ARPACK needs k < n - 1 and is pointless for tiny matrices
        lam = np.linalg.eigvalsh(S.toarray())
        return np.array([lam[0], lam[-1]])
    lo = spla.eigsh(S, k=1, which="SA", tol=1e-12, return_eigenvectors=False)[0]
    hi = spla.eigsh(S, k=1, which="LA", tol=1e-12, return_eigenvectors=False)[0]
    return np.array([lo, hi])


def solve_filter_iterative(W: sp.csr_matrix, M: np.ndarray, rho, *,
                           rtol: float = ITERATIVE_RTOL, max_iter: int = 1000,
                           bounds: np.ndarray | None = None) -> np.ndarray:
    """:math:`A(\\rho)^{-1}` applied to the flows of ``M`` by Chebyshev iteration: the ``Y``
    with :math:`Y - \\rho_d Y W' - \\rho_o W Y - \\rho_w W Y W' = M`.

    For a ``W`` similar to a symmetric matrix the filter's eigenvalues are the real
    :math:`1 - \\rho_d\\lambda_j - \\rho_o\\lambda_i - \\rho_w\\lambda_i\\lambda_j`, bilinear in
    :math:`(\\lambda_i, \\lambda_j)`, so their interval :math:`[\\alpha, \\beta]` is spanned by
    the four corners :math:`\\lambda_i, \\lambda_j \\in \\{\\lambda_{min}, \\lambda_{max}\\}`
    (from two Lanczos runs). Chebyshev iteration on that interval (Saad 2003, Algorithm
    12.1) reduces the error by about :math:`(\\sqrt\\kappa - 1)/(\\sqrt\\kappa + 1)`,
    :math:`\\kappa = \\beta / \\alpha`, per step, each step three sparse products
    (``O(n^2)``), with five ``n x n`` arrays alive. It stops when the relative residual
    :math:`\\|M - A Y\\|_F / \\|M\\|_F` is below ``rtol``.

    Parameters
    ----------
    W : scipy.sparse.csr_matrix
        Node weights, similar to a symmetric matrix.
    M : numpy.ndarray
        The ``n x n`` right-hand side (origin rows).
    rho : sequence of float
        :math:`(\\rho_d, \\rho_o, \\rho_w)`, admissible.
    rtol : float, default :data:`ITERATIVE_RTOL`
        The relative residual at which to stop.
    max_iter : int, default 1000
        Most iterations before giving up.
    bounds : numpy.ndarray, optional
        ``(lambda_min, lambda_max)`` of ``W`` if known (else computed).

    Returns
    -------
    numpy.ndarray
        ``Y`` (``n x n``).

    Raises
    ------
    InputError
        If ``W`` is not similar to a symmetric matrix.
    InadmissibleEstimateError
        If ``rho`` is outside the admissible region.
    NumericalError
        If the residual is not below ``rtol`` after ``max_iter`` steps.
    """
    W = sp.csr_matrix(W)
    rd, ro, rw = (float(r) for r in rho)
    ext = _extreme_eigenvalues(W) if bounds is None else np.asarray(bounds, dtype=float)
    corners = Spectrum(ext).constraints((rd, ro, rw))  # the filter's extreme eigenvalues
    alpha, beta = float(corners.min()), float(corners.max())
    if alpha <= 0:
        raise InadmissibleEstimateError(f"rho {(rd, ro, rw)} is outside the admissible region "
                                        "of this W.")

    def apply(D):  # A(rho) D = D - rd D W' - rw W D W' - ro W D, three n x n arrays at most
        out = lag_pair(D, W, "d")
        both = np.asarray(W @ out)
        both *= rw
        out *= rd
        out += both
        del both
        lagged = np.asarray(W @ D)
        lagged *= ro
        out += lagged
        del lagged
        return np.subtract(D, out, out=out)

    M = np.asarray(M, dtype=float)
    norm_m = np.linalg.norm(M)
    Y = np.zeros_like(M)
    if norm_m == 0:
        return Y
    if beta - alpha <= 1e-14 * beta:  # A = alpha I (e.g. rho = 0)
        return M / alpha
    theta, delta = (beta + alpha) / 2, (beta - alpha) / 2
    sigma = theta / delta
    r = M.copy()
    rk = 1.0 / sigma
    D = r / theta
    for _ in range(max_iter):
        Y += D
        r -= apply(D)
        if np.linalg.norm(r) <= rtol * norm_m:
            return Y
        rk_next = 1.0 / (2 * sigma - rk)
        D *= rk_next * rk
        D += (2 * rk_next / delta) * r
        rk = rk_next
    raise NumericalError(f"the Chebyshev solve of the flow filter did not reach a relative "
                         f"residual of {rtol:g} in {max_iter} iterations (rho {(rd, ro, rw)}).")


def simulate_flows(w: WeightsLike, *, model: str = "model_9",
                   rho: dict[str, float] | Sequence[float] | None = None,
                   coefficients: dict | None = None, sigma: float = 1.0,
                   seed: int | None = None, coords: np.ndarray | None = None,
                   spectrum_: Spectrum | None = None,
                   solver: str = "spectral") -> FlowSimulation:
    """Draw flows on the nodes of ``w`` from ``model`` with known parameters.

    Parameters
    ----------
    w : libpysal.graph.Graph or libpysal.weights.W
        Node weights (their ids become the node ids).
    model : {"model_1", ..., "model_9"}
    rho : dict or sequence, optional
        The variant's autoregressive parameters by name (``rho_d``, ``rho_o``, ``rho_w``,
        ``rho_od``, ``rho_odw``), or a sequence in the variant's order; defaults
        ``rho_d = 0.4, rho_o = 0.3, rho_w = -0.1`` (``rho_od = rho_odw = 0.5``).
    coefficients : dict, optional
        Overrides of :data:`DEFAULT_COEFFICIENTS` (names as in the fitted ``params``).
    sigma : float
        Standard deviation of the errors.
    seed : int, optional
    coords : ndarray (n, 2), optional
        Node coordinates for ``dist`` (default: uniform in the unit square).
    spectrum_ : Spectrum, optional
        The eigen-decomposition of ``W`` with vectors (``spectrum(W, vectors=True)``), to
        reuse it across draws; computed when None (``solver="spectral"`` only).
    solver : {"spectral", "iterative"}, default "spectral"
        How :math:`A(\\rho)^{-1}` is applied: from the eigenvectors of ``W``
        (``O(n^3)``, any ``W``), or by Chebyshev iteration with sparse products
        (:func:`solve_filter_iterative`, ``W`` similar to a symmetric matrix; the
        flows agree with the spectral ones to the solve's relative residual ``1e-13``).
        Use ``"iterative"`` beyond a few thousand nodes.

    Returns
    -------
    FlowSimulation

    Raises
    ------
    InputError
        Unknown parameter names, a wrong number of rho's, or ``sigma <= 0``.
    InadmissibleEstimateError
        If ``rho`` is outside the admissible region for this ``W``.
    """
    var = variant(model)
    ids = weights_ids(w)
    W = as_sparse(w, ids)
    n = len(ids)
    rng = np.random.default_rng(check_seed(seed, allow_none=True))
    if isinstance(sigma, bool) or not (isinstance(sigma, (int, float)) and sigma > 0):
        raise InputError(f"sigma must be a positive number; {sigma!r} was given.")
    if rho is None:
        theta = np.array([DEFAULT_RHO[k] for k in var.names[:var.k]])
    elif isinstance(rho, dict):
        unknown = set(rho) - set(var.names)
        if unknown or set(var.names[:var.k]) - set(rho):
            raise InputError(f"{model} takes rho {list(var.names[:var.k])}; {sorted(rho)} "
                             "was given.")
        theta = np.array([float(rho[k]) for k in var.names[:var.k]])
    else:
        theta = np.asarray(rho, dtype=float).ravel()
        if theta.size != var.k:
            raise InputError(f"{model} has {var.k} autoregressive parameter(s) "
                             f"{list(var.names[:var.k])}; {theta.size} given.")
    coefs = dict(DEFAULT_COEFFICIENTS)
    if coefficients:
        unknown = set(coefficients) - set(coefs)
        if unknown:
            raise InputError(f"unknown coefficient(s) {sorted(unknown)}; the simulation's "
                             f"coefficients are {list(coefs)}.")
        coefs.update({k: float(v) for k, v in coefficients.items()})
    rho_full = var.rho(theta)
    if solver not in ("spectral", "iterative"):
        raise InputError(f"solver must be 'spectral' or 'iterative'; {solver!r} was given.")
    if solver == "spectral":
        spec = spectrum_ if spectrum_ is not None else spectrum(W, vectors=True)
        solve = spec.solve
    else:
        spec = Spectrum(_extreme_eigenvalues(W))  # the region needs only the extremes

        def solve(M, rho):
            return solve_filter_iterative(W, M, rho, bounds=spec.lam)
    if not spec.admissible(rho_full):
        raise InadmissibleEstimateError(
            f"rho {dict(zip(var.names, theta))} is outside the admissible region of this W.")
    x = rng.normal(size=n)
    if coords is None:
        xy = rng.uniform(size=(n, 2))
    else:
        xy = np.asarray(coords, dtype=float)
        if xy.shape != (n, 2) or not np.isfinite(xy).all():
            raise InputError(f"coords must be a finite array of shape ({n}, 2), one row per node "
                             f"of w; shape {xy.shape} was given.")
    dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    Wx = np.asarray(W @ x)
    one = np.ones(n)
    M = (coefs["(Intercept)"] + coefs["(Intra)"] * np.eye(n)
         + np.outer(one, coefs["D_x"] * x + coefs["D_x.lag1"] * Wx)
         + np.outer(coefs["O_x"] * x + coefs["O_x.lag1"] * Wx, one)
         + np.diag(coefs["I_x"] * x) + coefs["P_dist"] * dist)
    mean = solve(M, rho_full) if var.name != "model_1" else M
    del M
    eps = solve(sigma * rng.normal(size=(n, n)), rho_full) if var.name != "model_1" \
        else sigma * rng.normal(size=(n, n))
    y = mean + eps
    del eps
    ids_arr = ids.to_numpy()
    nodes = pd.DataFrame({"x": x}, index=pd.Index(ids_arr, name="id"))
    pairs = pd.DataFrame({"orig": np.repeat(ids_arr, n), "dest": np.tile(ids_arr, n),
                          "dist": dist.ravel(), "y": y.ravel(), "mean": mean.ravel()})
    for frame in (nodes, pairs):
        frame.attrs["synthetic"] = True
        frame.attrs["description"] = f"Simulated flows ({model}); not real statistics."
    reported = list(var.names) if var.name != "model_8" else ["rho_d", "rho_o", "rho_w"]
    rvals = list(theta) if var.name != "model_8" else list(rho_full)
    truth = pd.Series(rvals + list(coefs.values()) + [sigma ** 2],
                      index=reported + list(coefs) + ["sigma2"], name="truth")
    return FlowSimulation(nodes=nodes, pairs=pairs, truth=truth, rho_full=rho_full, model=model)
