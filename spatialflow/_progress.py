"""Progress bars (tqdm.auto) that appear only where someone is watching.

Long loops (a grid of tasks, a Monte Carlo study) take ``progress=``: ``True`` shows a bar,
``False`` none, and ``None`` (the default) decides by where the code runs: a terminal on
stderr or a Jupyter kernel that can draw a widget (ipywidgets installed) shows one; a
script writing to a log, a test run or a notebook executed headless without widgets shows
nothing. Plain-text bars from a notebook fill its exported HTML with hundreds of stderr
lines (issue 20); a widget is one line that updates in place.
"""
from __future__ import annotations

import importlib.util
import sys

__all__ = ["show_progress", "progress_bar"]


def _in_widget_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython() if hasattr(ipython, "get_ipython") else None
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    # tqdm.auto draws a widget only with ipywidgets; else it falls back to text lines
    return importlib.util.find_spec("ipywidgets") is not None


def show_progress(progress: bool | None) -> bool:
    """Whether to draw a bar: ``progress`` itself when given, else whether the process is
    watched (stderr is a terminal, or a Jupyter kernel with ipywidgets)."""
    if progress is not None:
        if not isinstance(progress, bool):
            from .exceptions import InputError
            raise InputError(f"progress must be True, False or None (automatic); {progress!r} "
                             "was given.")
        return progress
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):   # a closed or replaced stderr
        pass
    return _in_widget_kernel()


def progress_bar(iterable=None, *, total: int | None = None, desc: str | None = None,
                 progress: bool | None = None, unit: str = "it"):
    """A ``tqdm.auto`` bar (disabled unless :func:`show_progress`), usable as an iterable
    or a context manager with ``update()``."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=False,
                disable=not show_progress(progress))
