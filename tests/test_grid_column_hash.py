"""Real grid dimensions matched by a perfect hash of the values' bits (surrogates._grid_columns).

A column value is on the grid exactly when it equals a grid value: every grid value finds its
digit, and no other float64 (neighbours one ulp away, NaNs of any payload, infinities, random
bit patterns) is taken for one, whatever slot it hashes to.
"""

from __future__ import annotations

import numpy as np
import pytest

from hpobench.surrogates._grid_columns import _HASHED_MAX, ColumnRule, column_rule

STRIDE = 7


def _grids() -> dict[str, list[float]]:
    rng = np.random.default_rng(3)
    return {
        "one value": [0.5],
        "dropouts": [0.0, 0.3, 0.6],
        "learning rates": [1e-1, 5e-2, 1e-2, 5e-3, 1e-3, 5e-4],
        "integral floats": [16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
        "signs and zero": [-2.5, 0.0, 2.5, -1e-300, 1e300],
        "adjacent floats": [1.0, float(np.nextafter(1.0, 2.0)), float(np.nextafter(1.0, 0.0))],
        "largest hashed": rng.normal(size=_HASHED_MAX).tolist(),
        "binary search": np.geomspace(1e-5, 1.0, _HASHED_MAX + 36).tolist(),
    }


def _digits(rule: ColumnRule, column: np.ndarray) -> np.ndarray | None:
    """``digit * stride`` of each value, ``None`` when the rule refuses the column."""
    out = np.zeros(len(column), dtype=np.intp)
    try:
        rule.add_digits(column, out)
    except KeyError:
        return None
    return out


@pytest.mark.parametrize("name", list(_grids()))
def test_every_grid_value_finds_its_digit_in_any_order_and_dtype(name: str) -> None:
    values = _grids()[name]
    rule = column_rule(values, STRIDE)
    assert bool(len(rule.hash_values)) == (len(values) <= _HASHED_MAX)  # the path this grid takes
    order = np.random.default_rng(0).permutation(np.repeat(np.arange(len(values)), 5))
    column = np.asarray(values)[order]
    found = _digits(rule, column)
    assert found is not None
    np.testing.assert_array_equal(found, order * STRIDE)
    # strided, negative zero, float32 where exact: the same digits
    np.testing.assert_array_equal(_digits(rule, np.repeat(column, 2)[::2]), order * STRIDE)
    if 0.0 in values:
        negative = np.where(column == 0.0, -0.0, column)
        assert np.signbit(negative).any()
        np.testing.assert_array_equal(_digits(rule, negative), order * STRIDE)
    if all(float(np.float32(v)) == v for v in values):
        np.testing.assert_array_equal(_digits(rule, column.astype(np.float32)), order * STRIDE)


@pytest.mark.parametrize("name", list(_grids()))
def test_no_other_number_is_taken_for_a_grid_value(name: str) -> None:
    values = _grids()[name]
    rule = column_rule(values, STRIDE)
    grid = np.asarray(values)
    rng = np.random.default_rng(1)
    others = [
        np.nextafter(grid, np.inf),
        np.nextafter(grid, -np.inf),
        -grid[grid != 0.0],
        np.array([np.nan, -np.nan, np.inf, -np.inf]),
        np.array([0x7FF0000000000001, 0xFFF8000000000123], dtype=np.uint64).view(np.float64),  # NaNs
        rng.integers(0, 2**64, size=2000, dtype=np.uint64).view(np.float64),  # any bit pattern
        rng.normal(size=2000) * grid.max(),
    ]
    candidates = np.concatenate(others)
    off = candidates[~np.isin(candidates, grid)]  # NaN is never in the grid
    assert len(off) > 2000
    with np.errstate(all="raise"):  # nothing is computed on the values: no flag, whatever the bits
        for value in off.tolist():
            # one off-grid value among grid values: the whole column is refused
            assert _digits(rule, np.array([*values, value])) is None, value
    assert _digits(rule, grid) is not None


def test_the_same_grid_gets_the_same_table() -> None:
    values = _grids()["learning rates"]
    first, second = column_rule(values, STRIDE), column_rule(list(values), STRIDE)
    assert first.hash_multiplier == second.hash_multiplier
    np.testing.assert_array_equal(first.hash_values, second.hash_values)
    np.testing.assert_array_equal(first.hash_steps, second.hash_steps)
