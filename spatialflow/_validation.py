"""Validators of scalar arguments shared by every module (a leaf: imports only exceptions).

Options (``missing="drop"``, ``method="delta"``) are checked by :func:`check_option`, against a
``Literal`` type of :mod:`spatialflow._typing` or a tuple of values, with one wording.

Randomness enters spatialflow in several places (simulated effects inference, the synthetic
panel, Moran permutations, stochastic traces, the pipeline). Each checks its seed and its
counts here, so that ``seed=1.5``, ``seed=-1``, ``seed="x"`` or ``n_draws=2.5`` fail the same
way everywhere instead of reaching numpy's bit generator (which rejects some and silently
accepts others, e.g. ``True`` as the seed 1).
"""
from __future__ import annotations

import numbers
from contextlib import contextmanager
from typing import Any, Iterator, Literal, Union, get_args, get_origin

import numpy as np

from .exceptions import InputError, SeedError

__all__ = ["check_seed", "check_count", "is_real_number", "check_flag", "check_level",
           "MAGNITUDE_LIMIT", "check_magnitude", "check_option", "literal_values",
           "seeded_global_rng"]


@contextmanager
def seeded_global_rng(seed: int | None) -> Iterator[None]:
    """Seed numpy's global RNG for the block, then restore its previous state.

    For wrapped libraries that draw from the global generator and take no ``rng=`` (esda's
    Moran permutations, giddy's tie breaks between neighbours' classes): the same seed gives
    the same draws, and the caller's own global stream is left as it was. ``None`` leaves the
    generator alone (the library's draws are then not reproducible).
    """
    if seed is None:
        yield
        return
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def literal_values(option_type) -> tuple:
    """The values a ``Literal`` (or a ``Union`` of Literals and None) admits, in order."""
    if get_origin(option_type) is Literal:
        return tuple(get_args(option_type))
    values: list = []
    for arg in get_args(option_type):
        if arg is type(None):
            values.append(None)
        else:
            values.extend(literal_values(arg))
    return tuple(values)


def check_option(value: Any, allowed, name: str) -> Any:
    """Return ``value`` if ``allowed`` admits it, else raise :class:`InputError`.

    ``allowed`` is a ``Literal`` type (or a ``Union`` of Literals and None) from
    :mod:`spatialflow._typing`, or the admitted values themselves (a tuple).

    >>> check_option("drop", Literal["raise", "drop"], "missing")
    'drop'
    >>> check_option("skip", ("raise", "drop"), "missing")
    Traceback (most recent call last):
    ...
    spatialflow.exceptions.InputError: missing must be 'raise' or 'drop'; 'skip' was given.
    """
    options = literal_values(allowed) if get_origin(allowed) in (Literal, Union) \
        else tuple(allowed)
    # `is` first: None, and no 1 == True or numpy-scalar surprises; strings by value
    if not any(value is a or (isinstance(value, str) and value == a) for a in options):
        if len(options) == 2:
            expected = f"{options[0]!r} or {options[1]!r}"
        else:
            expected = f"one of {list(options)}"
        raise InputError(f"{name} must be {expected}; {value!r} was given.")
    return value


def _is_integer(value) -> bool:
    # bool is an int subclass (True == 1): a flag passed by mistake, never a seed or a count.
    return (isinstance(value, (numbers.Integral, np.integer))
            and not isinstance(value, (bool, np.bool_)))


def is_real_number(value) -> bool:
    """True for a real scalar (Python or numpy int/float, NaN included), False for ``bool``,
    strings and everything else: lets a check compare numbers without a raw ``TypeError``.
    """
    return (isinstance(value, (numbers.Real, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def check_flag(value, name: str) -> bool:
    """Return ``value`` if it is a bool (Python or numpy); a string such as ``"no"`` is
    truthy and would silently mean True, so anything else is refused.

    Raises
    ------
    InputError
        If ``value`` is not a bool.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be True or False; {value!r} ({type(value).__name__}) "
                         "was given.")
    return bool(value)


def check_seed(seed, name: str = "seed", *, allow_none: bool = False,
               allow_generator: bool = False):
    """Return ``seed`` as a Python int after checking it is a non-negative integer.

    Parameters
    ----------
    seed : int
        The seed given by the user. Python and numpy integers are accepted; ``bool``,
        floats (even ``2.0``), strings and negative integers are refused.
    name : str
        The argument's name, for the message.
    allow_none : bool
        Accept ``None`` (returned unchanged) where the API documents it, e.g. "fresh entropy
        from the operating system" or "do not reseed".
    allow_generator : bool
        Accept a ``numpy.random.Generator`` (returned unchanged) where the API documents it.

    Returns
    -------
    int, None or numpy.random.Generator

    Raises
    ------
    SeedError
        (an :class:`InputError`) If ``seed`` is not a non-negative integer (or an allowed
        None / Generator).

    Examples
    --------
    >>> check_seed(7), check_seed(np.int64(7))
    (7, 7)
    >>> check_seed(1.5)
    Traceback (most recent call last):
    ...
    spatialflow.exceptions.SeedError: seed must be a non-negative integer; 1.5 (float) was given.
    """
    if seed is None and allow_none:
        return None
    if allow_generator and isinstance(seed, np.random.Generator):
        return seed
    if not _is_integer(seed) or seed < 0:
        accepted = "a non-negative integer"
        if allow_none:
            accepted += " or None"
        if allow_generator:
            accepted += " or a numpy.random.Generator"
        raise SeedError(f"{name} must be {accepted}; {seed!r} ({type(seed).__name__}) was "
                        "given.")
    return int(seed)


def check_count(n, name: str, *, minimum: int = 1) -> int:
    """Return ``n`` as a Python int after checking it is an integer ``>= minimum``.

    For counts such as ``n_draws``, ``permutations`` or ``k``: ``2.5``, ``"100"``, ``True``
    and ``2.0`` are refused (a count given as a float or text is a mistake upstream).

    Raises
    ------
    InputError
        If ``n`` is not an integer or is below ``minimum``.

    Examples
    --------
    >>> check_count(100, "n_draws")
    100
    >>> check_count("100", "n_draws")
    Traceback (most recent call last):
    ...
    spatialflow.exceptions.InputError: n_draws must be an integer >= 1; '100' (str) was given.
    """
    if not _is_integer(n) or n < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}; {n!r} ({type(n).__name__}) "
                         "was given.")
    return int(n)


def check_level(level, name: str = "level") -> float:
    """Return a confidence level as a float after checking it is a number in (0, 1).

    ``"95%"``, ``95`` and ``True`` are refused with a message that shows the accepted form
    (0.95): a level given as text or in percent is a mistake upstream, not a guess to make.

    Raises
    ------
    InputError
        If ``level`` is not a real number strictly between 0 and 1.

    Examples
    --------
    >>> check_level(0.9)
    0.9
    >>> check_level("95%")
    Traceback (most recent call last):
    ...
    spatialflow.exceptions.InputError: level must be in (0, 1), a number such as 0.95; '95%' (str) was given.
    """
    if not is_real_number(level) or not 0 < level < 1:
        hint = ""
        if is_real_number(level) and 1 < level < 100:
            hint = f" (for {level:g}% write {level / 100:g})"
        raise InputError(f"{name} must be in (0, 1), a number such as 0.95; {level!r} "
                         f"({type(level).__name__}) was given{hint}.")
    return float(level)


#: Largest absolute value a variable may hold (and the reciprocal of the smallest non-zero
#: one): sums of squares and cross-products (X'X, y'y, y'Wy) of larger values overflow,
#: ratios and shares of smaller ones (subnormal numbers such as 5e-324) overflow too. Real
#: data are far inside; rescale a variable (e.g. divide by 1e6, or take logs) that is not.
MAGNITUDE_LIMIT = 1e100


def _plainly_in_range(values: np.ndarray) -> bool:
    """True only if :func:`check_magnitude` finds nothing in ``values`` (one column).

    Its largest size is at most :data:`MAGNITUDE_LIMIT` (a NaN makes the maximum NaN and the
    answer False: the full check, which skips NaN, then decides) and no non-zero size is
    below the reciprocal. A column at a time, on the column's own array (a view for floats):
    the full check's copy of the whole frame and its 2-d masks cost six times as much at
    10^6 rows.
    """
    size = np.abs(values)
    return (bool(size.max(initial=0.0) <= MAGNITUDE_LIMIT)
            and not np.any((size < 1.0 / MAGNITUDE_LIMIT) & (size > 0)))


def check_magnitude(frame, where: str = "") -> None:
    """Raise :class:`InputError` naming the columns and rows whose finite values exceed
    :data:`MAGNITUDE_LIMIT` in absolute value, or are non-zero and below its reciprocal
    (NaN and inf are other checks' to report).

    Parameters
    ----------
    frame : pandas.DataFrame
        Numeric columns, indexed by the ids or rows to name.
    where : str
        Where the values come from, for the message (e.g. ``" of the panel"``).
    """
    if all(_plainly_in_range(frame.iloc[:, j].to_numpy(dtype=float))
           for j in range(frame.shape[1])):
        return
    values = frame.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        size = np.abs(values)
        big = np.isfinite(values) & (size > MAGNITUDE_LIMIT)
        tiny = (size > 0) & (size < 1.0 / MAGNITUDE_LIMIT)
    from .exceptions import format_ids
    for bad, what, worst in ((big, f"beyond +-{MAGNITUDE_LIMIT:g}", "up to"),
                             (tiny, f"non-zero and below {1.0 / MAGNITUDE_LIMIT:g} in size",
                              "down to")):
        if bad.any():
            cols = [c for c, b in zip(frame.columns, bad.any(axis=0)) if b]
            rows = frame.index[bad.any(axis=1)]
            extreme = size[bad].max() if bad is big else size[bad].min()
            raise InputError(
                f"column(s) {cols}{where} hold values {what} ({worst} {extreme:.3g}) at "
                f"{format_ids(rows)}: their squares, cross-products or ratios overflow. "
                "Rescale them (e.g. by a power of ten, or take logs), or set values that "
                "stand for zero to 0.")
