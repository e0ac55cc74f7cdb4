"""One entry point for every kind of spatial weights: :func:`build`."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.graph import Graph

from typing import Any

from .._typing import IslandPolicy, WeightsKind
from .._validation import check_count, check_flag
from ..exceptions import InputError, WeightsKindError
from ._checks import check_frame, check_geometries
from .align import check_weights_values
from .attribute import economic_matrix, nested_matrix
from .contiguity import contiguity_matrix
from .distance import (
    centroids_km,
    check_distance_weights,
    check_power,
    check_threshold,
    distance_band_matrix,
    inverse_distance_matrix,
    knn_matrix,
)
from .flow import flow_matrix
from .islands import apply_island_policy
from .sparse import graph_of, row_standardised

__all__ = ["build", "KINDS", "TRANSFORMS"]

#: Options each kind accepts (with defaults; ``REQUIRED`` must be given).
REQUIRED = object()
_COMMON = {"transform": "r", "islands": "raise", "k_islands": 1}
_OPTIONS = {
    "queen": {},
    "rook": {},
    "knn": {"k": REQUIRED, "project": False},
    "distance_band": {"threshold_km": REQUIRED, "binary": True, "power": 1, "project": False},
    "inverse_distance": {"power": 1, "threshold_km": None, "project": False},
    "economic": {"column": REQUIRED, "epsilon": None},
    "nested": {
        "phi": REQUIRED, "column": REQUIRED, "epsilon": None, "geo": "inverse_distance",
        "power": 1, "threshold_km": None, "binary": True, "k": None, "project": False,
    },
    "flow": {
        "flows": REQUIRED, "origin": "origin", "destination": "destination", "value": "flow",
        "direction": "in",
    },
}
KINDS = tuple(_OPTIONS)
#: Accepted ``transform`` values: None keeps the raw weights; others are libpysal's codes.
TRANSFORMS = (None, "r", "b", "d", "v")
_GEO_KINDS = ("queen", "rook", "knn", "distance_band", "inverse_distance")


def build(frame: pd.DataFrame, kind: WeightsKind = "queen", *,
          transform: str | None = _COMMON["transform"],
          islands: IslandPolicy = _COMMON["islands"], k_islands: int = _COMMON["k_islands"],
          **options: Any) -> Graph:
    r"""Build spatial weights over the units of ``frame`` (keyed by its index).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame (pandas.DataFrame for "economic" and "flow")
        One row per unit; the index holds unique unit ids. Never modified.
    kind : str, default "queen"
        One of the kinds below.
    transform : {"r", "b", "d", "v", None}, default "r"
        Applied last: "r" row-standardises (rows sum to one), "b" binary, "d"/"v" as in
        libpysal; ``None`` (or ``"o"``, original) keeps the raw weights (e.g. :math:`1/d`).
        Case-insensitive: ``"R"``, as :func:`describe` reports it, is accepted.
    islands : {"raise", "knn", "keep"}, default "raise"
        Units without neighbours: raise :class:`~spatialflow.exceptions.IslandError` naming
        them (so that, e.g., the island county Nan'ao is noticed); "knn" links each island
        to its ``k_islands`` nearest units by centroid in both directions (weight 1, or the
        kind's distance weight); "keep" keeps a zero row with an
        :class:`~spatialflow.exceptions.IslandWarning`.
    k_islands : int, default 1
        Nearest units linked to each island with ``islands="knn"``.
    **options
        Kind-specific options:

        ``"queen"``, ``"rook"``
            Shared vertex / shared edge, exact coordinates (as libpysal's Queen/Rook).
            Polygons only. Weight 1.
        ``"knn"``: ``k`` (required), ``project``
            The ``k`` nearest centroids; weight 1; asymmetric in general.
        ``"distance_band"``: ``threshold_km`` (required), ``binary=True``, ``power=1``, ``project``
            Units whose centroids lie within ``threshold_km``: weight 1, or
            :math:`d_{ij}^{-p}` if ``binary=False``.
        ``"inverse_distance"``: ``power=1``, ``threshold_km=None``, ``project``
            :math:`w_{ij} = d_{ij}^{-p}` with :math:`d` in km between centroids; all pairs
            (dense) unless ``threshold_km`` is given.
        ``"economic"``: ``column`` (required), ``epsilon=None``
            :math:`w_{ij} = 1/(|\bar y_i - \bar y_j| + \varepsilon)`; ties with
            ``epsilon=None`` raise (see :func:`~spatialflow.weights.attribute.economic_matrix`).
            Pass the panel mean as the column if a mean is wanted.
        ``"nested"``: ``phi`` (required), ``column`` (required), ``geo="inverse_distance"``, the options of ``geo`` and ``epsilon``
            :math:`W = \varphi \tilde W_d + (1-\varphi) \tilde W_e` with both components
            row-standardised *before* combining (the island policy applies to
            :math:`W_d`); ``transform`` is applied after.
        ``"flow"``: ``flows`` (required DataFrame), ``origin="origin"``, ``destination="destination"``, ``value="flow"``, ``direction="in"``
            ``direction="in"``: :math:`w_{ij} = F_{j\to i}`, the flow from j into i;
            ``"out"``: :math:`w_{ij} = F_{i\to j}`. ``islands="knn"`` is not available.

        Distances are in km on a metric CRS. A frame in degrees raises
        :class:`~spatialflow.exceptions.CRSError` unless ``project=True`` (Albers
        equal-area conic, :func:`spatialflow.datasets.to_metric`) or ``project=<CRS>``;
        centroids are taken after projecting.

    Returns
    -------
    libpysal.graph.Graph
        Keyed by ``frame.index``, in the frame's order (``unique_ids``).

    Raises
    ------
    WeightsKindError, InputError, DuplicateIdError, EmptyInputError, CRSError,
    GeometryError, MissingDataError, IdMismatchError, IslandError

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from spatialflow.weights import build
    >>> grid = gpd.GeoDataFrame(
    ...     geometry=[box(x, y, x + 1, y + 1) for y in range(3) for x in range(3)],
    ...     index=list("abcdefghi"), crs="EPSG:32650")
    >>> w = build(grid, "queen")
    >>> sorted(w.neighbors["e"]), float(w.sparse[4].sum())
    (['a', 'b', 'c', 'd', 'f', 'g', 'h', 'i'], 1.0)
    """
    options = {"transform": transform, "islands": islands, "k_islands": k_islands, **options}
    opts = _resolve_options(kind, options)
    transform = _normalise_transform(opts.pop("transform"))
    check_frame(frame, need_geometry=kind not in ("economic", "flow"), kind=kind)
    if kind == "nested":
        geo = opts["geo"]
        if geo not in _GEO_KINDS:
            raise WeightsKindError(
                f"nested weights need a geographic kind geo in {list(_GEO_KINDS)}; "
                f"{geo!r} was given instead."
            )
        geo_opts = {key: opts[key] for key in _OPTIONS[geo] if key in opts}
        geo_matrix = _geographic(frame, geo, geo_opts, opts["islands"], opts["k_islands"])
        econ = economic_matrix(frame, opts["column"], epsilon=opts["epsilon"])
        matrix = nested_matrix(geo_matrix, econ, opts["phi"])
    elif kind == "economic":
        matrix = economic_matrix(frame, opts["column"], epsilon=opts["epsilon"])
    elif kind == "flow":
        if opts["islands"] == "knn":
            raise InputError(
                "islands='knn' is not defined for flow weights (links would carry no flow); "
                "use islands='raise' or 'keep'."
            )
        matrix = flow_matrix(
            frame.index, opts["flows"], origin=opts["origin"],
            destination=opts["destination"], value=opts["value"], direction=opts["direction"],
        )
        matrix = apply_island_policy(
            matrix, frame, kind=kind, policy=opts["islands"], stacklevel=3
        )
    else:
        geo_opts = {key: opts[key] for key in _OPTIONS[kind]}
        matrix = _geographic(frame, kind, geo_opts, opts["islands"], opts["k_islands"])
    return _to_graph(matrix, frame.index, transform)


def _resolve_options(kind, options: dict) -> dict:
    if not isinstance(kind, str) or kind not in _OPTIONS:
        raise WeightsKindError(
            f"kind must be one of {list(KINDS)}; {kind!r} was given instead."
        )
    allowed = {**_COMMON, **_OPTIONS[kind]}
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InputError(
            f"option(s) {unknown} do not apply to kind={kind!r}; its options are "
            f"{sorted(allowed)}."
        )
    resolved = {**allowed, **options}
    missing = [key for key, val in resolved.items() if val is REQUIRED]
    if missing:
        raise InputError(f"kind={kind!r} needs the option(s) {missing}.")
    # Checked even where unused (no islands, binary ignored): a wrong value is a mistake
    # that would surface only on other data.
    check_count(resolved["k_islands"], "k_islands")
    if "binary" in resolved:
        check_flag(resolved["binary"], "binary")
    return resolved


def _geographic(frame, kind: str, opts: dict, islands: str, k_islands: int) -> sp.csr_matrix:
    check_geometries(frame, polygons=kind in ("queen", "rook"), kind=kind)
    if kind in ("queen", "rook"):
        matrix = contiguity_matrix(frame.geometry.values, rook=kind == "rook")
        return apply_island_policy(
            matrix, frame, kind=kind, policy=islands, k_islands=k_islands
        )
    xy = centroids_km(frame, project=opts.get("project", False))
    if kind == "knn":
        return knn_matrix(xy, opts["k"])  # every unit has k neighbours: no islands
    power = check_power(opts.get("power", 1))
    if kind == "distance_band":
        threshold = check_threshold(opts["threshold_km"], required=True)
        matrix = distance_band_matrix(xy, threshold, binary=opts["binary"], power=power)
        weigh = None if opts["binary"] else _inverse_power(power)
    else:
        threshold = check_threshold(opts.get("threshold_km"), required=False)
        matrix = inverse_distance_matrix(xy, power=power, threshold_km=threshold)
        weigh = _inverse_power(power)
    check_distance_weights(matrix, frame.index, power=power, kind=kind)
    matrix = apply_island_policy(
        matrix, frame, kind=kind, policy=islands, k_islands=k_islands, xy_km=xy,
        link_weight=weigh,
    )
    # the links added to islands (islands="knn") are distance weights too
    check_distance_weights(matrix, frame.index, power=power, kind=kind)
    return matrix


def _inverse_power(power: float):
    """The weight d**-power of a link added to an island (over/underflow is checked after)."""
    def weigh(d):
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return np.asarray(d, dtype=float) ** -power
    return weigh


def _normalise_transform(transform):
    """libpysal's code in lower case, or None; "O" (original, as describe() reports it) is None.

    Case-insensitive like libpysal itself, so that ``describe(w).transform`` ("R") can be
    passed back to :func:`build`.
    """
    value = transform.strip().lower() if isinstance(transform, str) else transform
    if value == "o":
        value = None
    if value not in TRANSFORMS:
        raise InputError(
            f"transform must be one of {list(TRANSFORMS)} (any case; 'O' = None, the original "
            f"weights); {transform!r} was given instead."
        )
    return value


def _to_graph(matrix: sp.csr_matrix, ids: pd.Index, transform) -> Graph:
    matrix = sp.csr_matrix(matrix, dtype=float)
    matrix.eliminate_zeros()
    # Before the transform: an overflowing weight or row sum would become NaN in it.
    check_weights_values(matrix, ids)
    if transform in (None, "r"):
        # The Graph built from the CSR arrays directly: what Graph.from_sparse(...).transform
        # gives, without its pandas detour (seconds at 10^6 units; spatialflow.weights.sparse).
        matrix.sum_duplicates()
        if transform is None:
            return graph_of(matrix, ids, "O")
        return graph_of(row_standardised(matrix), ids, "R")
    graph = Graph.from_sparse(matrix, ids=ids.to_numpy())
    return graph.transform(transform)
