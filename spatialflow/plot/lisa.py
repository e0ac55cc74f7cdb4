"""LISA cluster maps: Local Moran's I by unit, at p < alpha or an FDR cutoff (esda)."""
from __future__ import annotations

import pandas as pd

from .._random import rng_alias
from ..exceptions import InputError
from .maps import _check_layer, _tx, _values, categorical_map
from .palettes import LISA_COLOURS

__all__ = ["lisa_clusters", "lisa_map"]


def lisa_clusters(y: pd.Series, w, *, alpha: float = 0.05, fdr: float | None = None,
                  permutations: int = 999, seed: int = 0,
                  rng=None) -> tuple[pd.DataFrame, float]:
    """Local Moran clusters of ``y`` (by id): frame ``Is, quadrant, p_sim, cluster`` and the
    p-value cutoff used (``alpha``, or :func:`esda.fdr`'s Benjamini–Hochberg cutoff at level
    ``fdr``); a unit is in its quadrant's cluster when ``p_sim <= cutoff``, else "ns".
    Computed by :func:`spatialflow.measures.local_moran` (``rng``: SPEC 7 name of ``seed``, an
    integer or a Generator; give one of them)."""
    from ..measures.local_statistics import local_moran
    y = y.dropna()
    if fdr is not None and not (isinstance(fdr, (int, float)) and 0 < fdr < 1):
        raise InputError(f"fdr must be a level in (0, 1); {fdr!r} was given.")
    lm = local_moran(y, w, permutations=permutations, seed=rng_alias(rng, seed),
                     alpha=alpha, fdr=fdr)
    return lm, float(lm.attrs["cutoff"])


def lisa_map(y, w, layer, *, fdr: float | None = None, alpha: float = 0.05,
             permutations: int = 999, seed: int = 0, lang: str = "en", ax=None,
             title: str | None = None, scale_bar: bool = True, north_arrow: bool = True,
             rng=None):
    """LISA cluster map of ``y`` (a column of ``layer`` or a Series by id) under weights ``w``.

    Local Moran's I with conditional-permutation pseudo p-values (``esda.Moran_Local``
    through :func:`spatialflow.measures.local_moran_by_period`, seeded by ``seed`` or its
    SPEC 7 name ``rng``); significance at ``alpha`` (p < alpha) or, with ``fdr=q``, at the
    Benjamini–Hochberg cutoff of :func:`esda.fdr` (p <= cutoff). Units without a value are
    drawn as "no data". Returns the Axes.

    Examples
    --------
    >>> ax = spatialflow.plot.lisa_map("income", w, layer, fdr=0.05)  # doctest: +SKIP
    """
    _check_layer(layer)
    values = _values(layer, y, "y")
    clusters, cut = lisa_clusters(values, w, alpha=alpha, fdr=fdr,
                                  permutations=permutations, seed=seed, rng=rng)
    names = {c: (_tx(lang, "ns") if c == "ns" else c) for c in LISA_COLOURS}
    head = (_tx(lang, "fdr", alpha=fdr, cut=cut) if fdr is not None
            else _tx(lang, "p", alpha=alpha))
    return categorical_map(layer, clusters["cluster"], LISA_COLOURS, names, lang=lang, ax=ax,
                           title=title, legend_title=head, scale_bar=scale_bar,
                           north_arrow=north_arrow)
