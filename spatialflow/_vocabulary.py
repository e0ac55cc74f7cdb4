"""The one vocabulary of inference names (docs/design.md, "Vocabulary").

Two namespaces, each with one set of words:

* **Result-object attributes** follow statsmodels: ``params``, ``bse``, ``tvalues``,
  ``pvalues`` (pandas Series over the parameter names) and ``conf_int(level=0.95)``
  (columns ``lower``, ``upper``). An object that is a single test (one hypothesis) has the
  scalars ``statistic`` and ``pvalue`` (and ``df`` where it applies), as scipy's and
  statsmodels' test results do.
* **Data columns** (tidy, long, effects, event-study, club and trend tables) use the broom
  words of ``results.tidy()``: ``estimate``, ``std_error``, ``statistic``, ``p_value``,
  ``lower``, ``upper``. Wide frames join a quantity and a word with ``_``: ``direct``,
  ``direct_std_error``, ``direct_statistic``, ``direct_p_value``, ``direct_lower``,
  ``direct_upper``; the point estimate keeps the bare quantity name.

Printed labels ("std err", "P>|z|", Chinese labels) are rendering: they are mapped from these
names where tables are rendered (``models/results/summary.py``, ``report/_localise.py``), never
stored as data.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

from .exceptions import RenamedAttributeWarning

ESTIMATE = "estimate"
STD_ERROR = "std_error"
STATISTIC = "statistic"
P_VALUE = "p_value"
LOWER = "lower"
UPPER = "upper"

#: The columns of a tidy frame, in order (after the label columns such as ``term``).
TIDY_COLUMNS = (ESTIMATE, STD_ERROR, STATISTIC, P_VALUE, LOWER, UPPER)

#: The suffix of each statistic in a wide frame, keyed by the inference engine's own short
#: names (``point``, ``se``, ``z``, ``p``, ``lower``, ``upper``).
WIDE_SUFFIXES = (("point", ""), ("se", "_" + STD_ERROR), ("z", "_" + STATISTIC),
                 ("p", "_" + P_VALUE), ("lower", "_" + LOWER), ("upper", "_" + UPPER))

#: Column suffixes and names that are not in the vocabulary (tests/test_vocabulary.py).
FORBIDDEN_SUFFIXES = ("_se", "_p", "_z", "_pvalue", "_pval", "_stderr", "_std_err")
FORBIDDEN_NAMES = ("se", "p", "z", "pvalue", "pval", "stderr", "std err", "std_err", "P>|z|",
                   "P>|t|", "t")


def wide(quantity: str, stat: str) -> str:
    """The wide-frame column of ``stat`` (an engine short name) of ``quantity``.

    Parameters
    ----------
    quantity : str
        The quantity, e.g. ``"direct"``.
    stat : str
        One of ``point``, ``se``, ``z``, ``p``, ``lower``, ``upper``.

    Returns
    -------
    str
        E.g. ``wide("direct", "se") == "direct_std_error"``.
    """
    return quantity + dict(WIDE_SUFFIXES)[stat]


def renamed(old: str, new: str, get: Callable[[Any], Any] | None = None) -> property:
    """A read-only property ``old`` that warns and returns what ``new`` names.

    Parameters
    ----------
    old : str
        The deprecated attribute name.
    new : str
        The new spelling, as the warning shows it (``"bse"``, ``'bse["beta"]'``).
    get : callable, optional
        ``get(self)`` gives the value; by default ``getattr(self, new)``.

    Returns
    -------
    property
        Warns :class:`~spatialflow.exceptions.RenamedAttributeWarning` on every access.
    """
    def getter(self: Any) -> Any:
        warnings.warn(f"{type(self).__name__}.{old} is renamed {new} (one vocabulary: "
                      f"docs/design.md); the old name will be removed.",
                      RenamedAttributeWarning, stacklevel=2)
        return get(self) if get is not None else getattr(self, new)
    getter.__name__ = old
    getter.renamed_to = new   # tests/test_vocabulary.py finds every alias by this mark
    getter.__doc__ = f"Deprecated alias of ``{new}`` (warns)."
    return property(getter)
