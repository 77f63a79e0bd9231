"""Configurations as columns (hpobench.contracts.columns): the same answers and errors as rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpobench.contracts.columns import as_columns, column_rows, configs_of
from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.types import Direction, Objective
from hpobench.data import registry
from hpobench.surrogates._candidate_columns import RowMatcher
from hpobench.surrogates.tabular import TabularBenchmark

TASKS = [
    "fcnet/protein_structure",
    "hpobench_nn/kc1",
    "nb201/cifar10",
    "taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_bs64",
    "yahpo/lcbench-167168",
    "fitted/fcnet.protein_structure",
]


def _columns(configs: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    return {hp: np.array([c[hp] for c in configs]) for hp in configs[0]}


def _sample(bench: Any, n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    if hasattr(bench, "config_at"):
        return [bench.config_at(int(i)) for i in rng.integers(bench.n_configs, size=n)]
    if hasattr(bench, "candidate_configs"):
        listed = bench.candidate_configs()
        return [listed[int(i)] for i in rng.integers(len(listed), size=n)]
    space = bench.task.space
    space.seed(seed)
    return [dict(c) for c in space.sample_configuration(n)]


@pytest.mark.parametrize("name", TASKS)
def test_columns_give_the_answers_of_rows_bit_for_bit(data_dir: Path, name: str) -> None:
    bench = _loaded(name, data_dir)
    configs = _sample(bench, 300, 1)
    fid = bench.task.fidelity
    fids = None
    if fid is not None and hasattr(bench, "fidelity_values"):
        fids = list(np.random.default_rng(2).choice(bench.fidelity_values, size=len(configs)).tolist())
    for seed in (0, 3):
        rows = bench.evaluate_arrays(configs, seed=seed, fidelities=fids)
        cols = bench.evaluate_arrays(_columns(configs), seed=seed, fidelities=fids)
        for a, b in zip(rows, cols, strict=True):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype


def _loaded(name: str, data_dir: Path) -> Any:
    try:
        return registry.load_benchmark(name, data_dir=data_dir)
    except registry.UnknownNameError:
        pytest.skip(f"{name} is not in this data directory")


def _grid_bench() -> TabularBenchmark:
    # 20 learning rates and 3 dropouts (the perfect hash of their bits; test_grid_column_hash.py has
    # the binary search of larger grids), booleans-prone
    # 0/1 digits (the lookup table of integer columns), strings of two lengths
    grid = {
        "act": ("relu", "tanh", "sigmoid"),
        "layers": (0, 1, 2),
        "lr": tuple(float(x) for x in np.geomspace(1e-4, 1.0, 20)),
        "drop": (0.5, 0.0, 0.25),
    }
    n = 3 * 3 * 20 * 3
    table = np.arange(n * 2, dtype=float).reshape(n, 2, 1, 1)
    return TabularBenchmark(
        name="toy/columns",
        grid=grid,
        table=table,
        metrics=("loss",),
        objectives=(Objective(name="loss", direction=Direction.MINIMIZE),),
        cost=np.ones(1),
    )


def test_every_grid_point_in_shuffled_columns_finds_its_row() -> None:
    bench = _grid_bench()
    order = np.random.default_rng(0).permutation(bench.n_configs)
    configs = [bench.config_at(int(i)) for i in order]
    np.testing.assert_array_equal(bench._column_index(*as_columns(_columns(configs))), order)
    # numbers match by value across dtypes: layers as float64 and uint8, learning rates as float32
    # do not (float32(1e-4) is another number) and are refused
    columns = _columns(configs)
    for layers in (columns["layers"].astype(np.float64), columns["layers"].astype(np.uint8)):
        found = bench._column_index(*as_columns({**columns, "layers": layers}))
        np.testing.assert_array_equal(found, order)
    with pytest.raises(InvalidConfigError):
        bench.evaluate_arrays({**columns, "lr": columns["lr"].astype(np.float32)}, seed=0)
    # the column order does not matter; object columns take the row path with the same answer
    reordered = {hp: columns[hp] for hp in reversed(list(columns))}
    obj = {**columns, "act": columns["act"].astype(object)}
    want = bench.evaluate_arrays(configs, seed=1)
    for other in (reordered, obj):
        for a, b in zip(want, bench.evaluate_arrays(other, seed=1), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"layers": np.array([True, False])}, "layers"),  # a boolean is never the number 1
        ({"layers": np.array([1, 3])}, "layers"),  # off the grid
        ({"lr": np.array([np.nan, 1.0])}, "lr"),
        ({"lr": np.array(["1.0", "1.0"])}, "lr"),  # a string is not a number
        ({"act": np.array(["relu", "gelu"])}, "act"),
        ({"act": np.array(["relu", "tan"])}, "act"),  # a prefix of a grid value
        ({"act": np.array([b"relu", b"relu"])}, "act"),
        ({"act": np.array([1, 2])}, "act"),
        ({"drop": np.array([0.5, 0.75])}, "drop"),  # between grid values, and above the largest
        ({"drop": np.array([-0.25, 0.0])}, "drop"),  # below the smallest
        ({"drop": np.array([0.5, np.inf])}, "drop"),
        ({"layers": np.array([2**64 - 1, 0], dtype=np.uint64)}, "layers"),
        ({"layers": np.array([-1, 0])}, "layers"),
        ({"layers": np.array([0.5, 1.0])}, "layers"),  # a float column of an integral grid, between
        ({"layers": np.array([np.nan, 1.0])}, "layers"),
        ({"extra": np.array([1, 1])}, "extra"),
    ],
)
def test_bad_columns_raise_invalid_config_error_naming_the_hyperparameter(
    change: dict[str, np.ndarray], says: str
) -> None:
    bench = _grid_bench()
    good = {
        "act": np.array(["relu", "tanh"]),
        "layers": np.array([0, 2]),
        "lr": np.array([1.0, 1.0]),
        "drop": np.array([0.0, 0.5]),
    }
    bad = {**good, **change}
    for n in (2, 40):  # a few rows take the row path, more are matched in numpy
        bench.evaluate_arrays({hp: np.resize(column, n) for hp, column in good.items()}, seed=0)
        with pytest.raises(InvalidConfigError, match=says):
            bench.evaluate_arrays({hp: np.resize(column, n) for hp, column in bad.items()}, seed=0)


@pytest.mark.parametrize(
    "columns",
    [
        {},
        {
            "act": np.array(["relu"]),
            "layers": np.array([0, 1]),
            "lr": np.array([1.0]),
            "drop": np.array([0.0]),
        },
        {
            "act": np.array([["relu"]]),
            "layers": np.array([[0]]),
            "lr": np.array([[1.0]]),
            "drop": np.array([[0.0]]),
        },
        {"act": "relu", "layers": 0, "lr": 1.0, "drop": 0.0},  # one configuration, not columns
    ],
)
def test_malformed_columns_raise_invalid_config_error(columns: dict[str, Any]) -> None:
    with pytest.raises(InvalidConfigError, match="column"):
        _grid_bench().evaluate_arrays(columns, seed=0)


def test_missing_hyperparameter_and_mismatched_fidelities_are_refused() -> None:
    bench = _grid_bench()
    with pytest.raises(InvalidConfigError, match="lr"):
        bench.evaluate_arrays(
            {"act": np.array(["relu"]), "layers": np.array([0]), "drop": np.array([0.0])}, seed=0
        )
    good = {
        "act": np.array(["relu"]),
        "layers": np.array([0]),
        "lr": np.array([1.0]),
        "drop": np.array([0.0]),
    }
    with pytest.raises(ValueError, match="1 configurations but 2 fidelities"):
        bench.evaluate_arrays(good, seed=0, fidelities=[None, None])


def test_columns_match_by_value_whatever_their_layout() -> None:
    bench = _grid_bench()
    order = np.random.default_rng(1).permutation(bench.n_configs)
    configs = [bench.config_at(int(i)) for i in order]
    columns = _columns(configs)
    variants = {
        "wide strings": {**columns, "act": columns["act"].astype("U12")},
        "big-endian strings": {**columns, "act": columns["act"].astype(">U7")},
        "strided strings": {**columns, "act": np.repeat(columns["act"], 2)[::2]},
        "strided numbers": {**columns, "drop": np.repeat(columns["drop"], 2)[::2]},
        "negative zero": {**columns, "drop": columns["drop"] * np.where(columns["drop"] == 0, -1.0, 1.0)},
        "float32 dropouts": {**columns, "drop": columns["drop"].astype(np.float32)},  # exact in float32
        "int8 layers": {**columns, "layers": columns["layers"].astype(np.int8)},
    }
    for name, variant in variants.items():
        found = bench._column_index(*as_columns(variant))
        np.testing.assert_array_equal(found, order, err_msg=name)


def test_integers_beyond_float64_precision_are_never_rounded_onto_the_grid() -> None:
    # 2**53 + 1 is 2**53 as a float64: a float comparison would find it; the row path refuses it
    grid = {"units": (1, 2**53), "act": ("a", "bb")}
    bench = TabularBenchmark(
        name="toy/huge",
        grid=grid,
        table=np.arange(4.0).reshape(4, 1, 1, 1),
        metrics=("loss",),
        objectives=(Objective(name="loss", direction=Direction.MINIMIZE),),
        cost=np.ones(1),
    )
    good = {"units": np.array([2**53, 1]), "act": np.array(["bb", "a"])}
    np.testing.assert_array_equal(
        bench.evaluate_arrays(good, seed=0)[0], bench.evaluate_arrays(column_rows(good), seed=0)[0]
    )
    with pytest.raises(InvalidConfigError, match="units"):
        bench.evaluate_arrays({**good, "units": np.array([2**53 + 1, 1])}, seed=0)


def test_candidate_tables_snap_columns_as_they_snap_rows(data_dir: Path) -> None:
    bench = _loaded(TASKS[3], data_dir)
    space = bench.task.space
    space.seed(5)
    sampled = [dict(c) for c in space.sample_configuration(200)]  # off the candidates: snapped
    listed = _sample(bench, 100, 6)  # on them
    configs = sampled + listed + sampled[:50]  # repeats too
    columns = _columns(configs)
    want = bench.config_index(configs)
    for fresh in (True, False):  # snapped anew, then found in the memo of recent snaps
        if fresh:
            bench._memo.clear()
            bench._memo_old.clear()
        np.testing.assert_array_equal(bench._column_index(*as_columns(columns)), want)
    for a, b in zip(
        bench.evaluate_arrays(configs, seed=0), bench.evaluate_arrays(columns, seed=0), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    hp = next(iter(columns))
    low, high = space[hp].lower, space[hp].upper
    for bad in (np.nan, high + abs(high - low), -np.inf):
        broken = {**columns, hp: np.where(np.arange(len(configs)) == 7, bad, columns[hp])}
        with pytest.raises(InvalidConfigError, match=hp):
            bench.evaluate_arrays(broken, seed=0)


def test_fidelity_lists_with_and_without_leading_none_give_the_same_slices(data_dir: Path) -> None:
    bench = _loaded(TASKS[3], data_dir)
    configs = _sample(bench, 40, 8)
    steps = list(bench.fidelity_values)
    mixed = [None if i % 3 == 0 else steps[i % len(steps)] for i in range(len(configs))]
    for fids in (mixed, mixed[1:] + mixed[:1], [None] * len(configs)):
        got = bench.evaluate_arrays(configs, seed=0, fidelities=fids)[0]
        one = [
            bench.evaluate_arrays([c], seed=0, fidelities=[f])[0][0]
            for c, f in zip(configs, fids, strict=True)
        ]
        np.testing.assert_array_equal(got, np.array(one))


def test_row_matcher_finds_listed_rows_by_value_and_nothing_else() -> None:
    matcher = RowMatcher({(0.0, 1.0): 4, (2.0, -3.5): 7, (1e-300, 5.0): 9})
    assert matcher.usable
    first = np.array([-0.0, 2.0, 1e-300, 2.0, np.nan, 0.0, 2.0])
    second = np.array([1.0, -3.5, 5.0, 3.5, 1.0, 1.0 + 2**-52, -3.5])
    np.testing.assert_array_equal(matcher.match([first, second]), [4, 7, 9, -1, -1, -1, 7])
    # integers float64 would round are left to the caller, exact ones are matched by value
    assert matcher.match([np.array([2**53 + 1, 2]), np.array([1.0, -3.5])]) is None
    np.testing.assert_array_equal(matcher.match([np.array([2**53, 2]), np.array([1.0, -3.5])]), [-1, 7])
    nothing = RowMatcher({})
    assert not nothing.usable
    np.testing.assert_array_equal(nothing.match([first, second]), [-1] * len(first))


def test_rows_of_columns_are_plain_python_values() -> None:
    rows = column_rows({"a": np.array([1, 2]), "b": np.array(["x", "y"])})
    assert rows == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert type(rows[0]["a"]) is int
    assert type(rows[0]["b"]) is str
    listed = [{"a": 1}]
    assert configs_of(listed) is listed
