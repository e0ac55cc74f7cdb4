"""Local Moran's I (LISA) for the report: the array-level computation lives in
:mod:`spatialflow.measures.local_statistics` (one implementation for the report, the plots
and :func:`spatialflow.measures.local_moran`); this name is kept for existing callers."""
from __future__ import annotations

from ..measures.local_statistics import QUADRANTS
from ..measures.local_statistics import lisa as local_moran

__all__ = ["local_moran", "QUADRANTS"]
