"""The shared validators of seeds, counts, flags and numbers (spatialflow._validation)."""
from __future__ import annotations

import numpy as np
import pytest

from spatialflow._validation import check_count, check_flag, check_seed, is_real_number
from spatialflow.exceptions import InputError


@pytest.mark.parametrize("seed", [0, 7, np.int64(7), np.uint32(3), 2**70])
def test_seed_accepts_non_negative_integers(seed):
    got = check_seed(seed)
    assert got == seed and type(got) is int


@pytest.mark.parametrize("seed", [1.5, 2.0, -1, "x", "3", True, np.bool_(False), None, [1]])
def test_seed_refuses_everything_else(seed):
    with pytest.raises(InputError, match=r"^seed must be a non-negative integer; .* was given\.$"):
        check_seed(seed)


def test_seed_options_none_and_generator():
    rng = np.random.default_rng(1)
    assert check_seed(None, allow_none=True) is None
    assert check_seed(rng, allow_generator=True) is rng
    with pytest.raises(InputError, match=r"^draw_seed must be a non-negative integer or None or "
                                         r"a numpy\.random\.Generator; -2 \(int\)"):
        check_seed(-2, "draw_seed", allow_none=True, allow_generator=True)
    with pytest.raises(InputError, match=r"\(Generator\) was given"):
        check_seed(rng)


@pytest.mark.parametrize("n", [2.5, "100", True, 0, -3, 10.0, None])
def test_count_refuses_non_integers_and_small_values(n):
    with pytest.raises(InputError, match=r"^n_draws must be an integer >= 1; "):
        check_count(n, "n_draws")


def test_count_minimum_and_numpy_integers():
    assert check_count(np.int32(0), "permutations", minimum=0) == 0
    assert type(check_count(np.int64(5), "n_draws")) is int


def test_flag_and_real_number():
    assert check_flag(np.bool_(True), "binary") is True
    with pytest.raises(InputError, match=r"^binary must be True or False; 'no' \(str\)"):
        check_flag("no", "binary")
    assert is_real_number(1) and is_real_number(np.float32(0.5)) and is_real_number(np.nan)
    assert not any(is_real_number(v) for v in (True, "1", None, 1j, [1.0]))
