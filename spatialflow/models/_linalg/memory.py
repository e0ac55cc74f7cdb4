r"""Peak-memory estimates for large fits, checked *before* the work starts.

A fit that needs more memory than the machine has does not fail cleanly: it swaps and stalls
(or is killed by the kernel). The strategies of :mod:`spatialflow.models._linalg.logdet` estimate their
peak from ``n`` and ``nnz(W)`` and call :func:`check_memory`, which raises
:class:`~spatialflow.exceptions.InsufficientMemoryError` naming what is needed, what is
available and the option that needs less.

Estimates (bytes, 8 per float; deliberately on the high side):

* dense eigenvalues: :math:`3 \cdot 8 n^2` (the matrix, LAPACK's work copy, and for complex
  spectra the eigenvalues' workspace);
* sparse LU: :math:`24 \cdot \mathrm{nnz}(W) \cdot f(n)` with a fill factor
  :math:`f(n) = \max(8, 3.5\log_{10} n - 3)` measured on queen lattices with the
  minimum-degree ordering (8 at :math:`10^4`, 11 at :math:`10^5`);
* trace approximations: three ``n x chunk`` probe blocks, the ``n x probes`` probes, and two
  blocks of rows of :math:`W^2` for the exact low-order traces;
* simulation inference (effects, scenarios): :math:`3 \cdot 8 R m` for ``R`` draws of ``m``
  values each (the draws, what they are turned into, and the sorted copy the quantiles take).
"""
from __future__ import annotations

import os

try:  # optional: /proc/meminfo serves without it
    import psutil
except ImportError:  # pragma: no cover
    psutil = None

import numpy as np

from ...exceptions import InsufficientMemoryError
from .logdet_approx import _BLOCK_BYTES, _W2_BLOCK_NNZ

__all__ = ["available_memory", "check_memory", "estimate_logdet_bytes", "format_bytes",
           "check_draws_memory"]

#: Fraction of the available memory a single computation may plan to use.
SAFETY = 0.8
#: Environment variable overriding the detected available memory (bytes), e.g. for a job
#: scheduler's limit that the kernel does not report.
ENV_LIMIT = "SPATIALFLOW_MEMORY_LIMIT"


def available_memory() -> int:
    """Bytes of memory available now: ``$SPATIALFLOW_MEMORY_LIMIT`` if set, else psutil's
    ``virtual_memory().available``, else ``MemAvailable`` of ``/proc/meminfo``."""
    limit = os.environ.get(ENV_LIMIT)
    if limit:
        return int(float(limit))
    if psutil is not None:
        return int(psutil.virtual_memory().available)
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 2**62  # unknown: do not refuse


def format_bytes(b: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if b >= size:
            return f"{b / size:.1f} {unit}"
    return f"{b / 1024:.0f} KiB"


def lu_fill(n: int) -> float:
    """Fill factor nnz(L + U) / nnz(W) of the sparse LU (see the module docstring)."""
    return max(8.0, 3.5 * np.log10(max(n, 10)) - 3.0)


def estimate_logdet_bytes(method: str, n: int, nnz: int, *, n_probes: int = 30) -> int:
    """Peak bytes of a log-determinant strategy on an ``n x n`` W with ``nnz`` entries."""
    base = 3 * 12 * nnz + 8 * 8 * n          # W, its CSC copy and pattern; a few n-vectors
    if method == "eigen":
        return base + 3 * 8 * n * n
    if method in ("lu", "lu-observed"):
        return base + int(24 * nnz * lu_fill(n))
    # approximations: probe blocks (chunked) and W^2 for the exact low-order traces
    w2 = 4 * 12 * _W2_BLOCK_NNZ           # two blocks of rows of W^2 and their product
    return base + min(3 * 8 * n * n_probes, _BLOCK_BYTES + 3 * 8 * n) + 8 * n * n_probes + w2


def check_memory(needed: int, *, what: str, advice: str) -> None:
    """Raise :class:`InsufficientMemoryError` if ``needed`` bytes exceed the budget.

    The budget is ``SAFETY`` times :func:`available_memory`.
    """
    available = available_memory()
    if needed > SAFETY * available:
        raise InsufficientMemoryError(
            f"{what} needs about {format_bytes(needed)} of memory, but only "
            f"{format_bytes(available)} is available (a computation may plan for "
            f"{SAFETY:.0%} of it). {advice}")


def check_draws_memory(n_draws: int, per_draw: int, *, what: str) -> None:
    """Raise :class:`InsufficientMemoryError` before simulating ``n_draws`` draws of
    ``per_draw`` floats each if they would not fit (``3 * 8 * n_draws * per_draw`` bytes),
    instead of numpy's ``MemoryError`` (or the machine swapping) halfway through."""
    check_memory(3 * 8 * int(n_draws) * int(per_draw), what=f"{what} with n_draws={n_draws:,}",
                 advice="Use fewer draws (1,000 draws estimate a standard error to about 2%), "
                        "or method='delta' where it is offered.")
