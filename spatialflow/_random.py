"""``rng=`` as Scientific Python SPEC 7 has it, with ``seed=`` kept as its alias.

A public function that draws random numbers takes ``rng``: an integer seed (reproducible),
a :class:`numpy.random.Generator` (its stream is used, and advanced), or None (fresh entropy
from the operating system). ``seed=`` is the older name of the same argument: giving both
is an error, so that neither is silently ignored. Every call makes or takes ONE
Generator; nothing here, or in the functions that use it, touches numpy's global RNG.
"""
from __future__ import annotations

import numpy as np

from ._validation import check_seed
from .exceptions import SeedError

__all__ = ["as_generator", "as_int_seed", "resolve_rng", "rng_alias"]

#: The largest seed numba's and legacy numpy's Mersenne Twister accept (esda's kernels).
_MAX_INT_SEED = 2**32 - 1


def resolve_rng(rng, seed, *, default=0, seed_default=None):
    """The one random argument of a call: ``rng`` or its alias ``seed``, checked.

    ``default`` and ``seed_default`` are the two arguments' defaults in the signature: an
    argument equal to its default counts as not given. The one given is used; neither:
    ``default`` (or ``seed_default`` when ``default`` is None, for signatures whose older
    ``seed=0`` keeps its default beside a new ``rng=None``). Both given:
    :class:`~spatialflow.exceptions.SeedError`, so that neither is silently ignored.
    Returns an int, a Generator or None (ints checked non-negative).

    >>> resolve_rng(0, 5), resolve_rng(None, 0, default=None, seed_default=0)
    (5, 0)
    """
    rng_given = not _same(rng, default)
    seed_given = not _same(seed, seed_default)
    if rng_given and seed_given:
        raise SeedError(f"give rng= or its alias seed=, not both; rng={rng!r} and "
                        f"seed={seed!r} were given.")
    if seed_given:
        return check_seed(seed, "seed", allow_none=True, allow_generator=True)
    value = rng if rng_given or default is not None else seed_default
    return check_seed(value, "rng", allow_none=True, allow_generator=True)


def _same(a, b) -> bool:
    return a is b or (isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                      and isinstance(b, (int, np.integer)) and int(a) == int(b))


def as_generator(rng=0, seed=None, *, default=0, seed_default=None) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from ``rng`` / ``seed`` (see :func:`resolve_rng`).

    >>> a = as_generator(3).random(2); b = as_generator(seed=3).random(2)
    >>> bool((a == b).all())
    True
    """
    value = resolve_rng(rng, seed, default=default, seed_default=seed_default)
    if isinstance(value, np.random.Generator):
        return value
    return np.random.default_rng(value)


def as_int_seed(rng=0, seed=None, *, default=0, seed_default=None) -> int:
    """An integer seed for a library that takes only integers (esda's permutation kernels):
    the integer itself, or one drawn from the Generator (which advances it), or fresh
    entropy for None."""
    value = resolve_rng(rng, seed, default=default, seed_default=seed_default)
    if isinstance(value, (int, np.integer)):
        return int(value)
    gen = value if isinstance(value, np.random.Generator) else np.random.default_rng()
    return int(gen.integers(0, _MAX_INT_SEED, endpoint=True))


def rng_alias(rng, seed, *, seed_default=0):
    """For a signature that keeps its older ``seed=<default>`` and adds ``rng=None``: the
    value given (unchecked, so the caller's own check and message apply).

    >>> rng_alias(None, 3), rng_alias(5, 0)
    (3, 5)
    """
    if rng is None:
        return seed
    if not _same(seed, seed_default):
        raise SeedError(f"give rng= or its alias seed=, not both; rng={rng!r} and "
                        f"seed={seed!r} were given.")
    return rng
