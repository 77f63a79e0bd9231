"""The one value rule (hpobench.contracts.values) on every family; check_benchmark holds plugins to it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import ConfigSpace as CS
import numpy as np
import pytest

from hpobench.contracts.benchmark import paired_fidelities
from hpobench.contracts.errors import InvalidConfigError, InvalidFidelityError, InvalidSeedError
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Evaluation, Trial
from hpobench.data.registry import load_benchmark
from hpobench.surrogates.synthetic import SyntheticBenchmark
from hpobench.testing import check_benchmark

BAD_FIDELITIES = ["10", True, False, np.True_, math.nan, math.inf, -math.inf]
BAD_SEEDS = ["1", None, -1, True, 1.0, np.float64(1.0)]


@pytest.mark.parametrize("fidelity", BAD_FIDELITIES, ids=repr)
def test_a_trial_refuses_a_fidelity_that_is_not_a_finite_real_number(fidelity: Any) -> None:
    with pytest.raises(InvalidFidelityError, match="finite real number"):
        Trial(config={"x": 1.0}, fidelity=fidelity)
    for good in (3, 3.5, np.int64(3), np.float32(3.5), 10**400):  # the range is the benchmark's to check
        assert Trial(config={}, fidelity=good).fidelity is good


def _codec() -> SpaceCodec:
    space = CS.ConfigurationSpace()
    space.add(
        [
            CS.UniformFloatHyperparameter("lr", 0.0, 1.0),
            CS.UniformIntegerHyperparameter("layers", 0, 4),
            CS.OrdinalHyperparameter("width", [0, 1, 2]),
            CS.CategoricalHyperparameter("flag", [True, False]),
        ]
    )
    return SpaceCodec(space)


GOOD = {"lr": 0.5, "layers": 1, "width": 1, "flag": True}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("lr", 10**400),  # out of range, not an OverflowError
        ("layers", 10**400),
        ("width", True),  # True == 1, but a boolean is not the choice 1
        ("width", np.False_),
        ("flag", 1),  # 1 == True, but a number is not the choice True
        ("flag", 0.0),
    ],
    ids=lambda v: repr(v)[:20],
)
def test_the_codec_matches_choices_by_kind_and_refuses_huge_numbers(name: str, value: Any) -> None:
    codec = _codec()
    with pytest.raises(InvalidConfigError, match=name):
        codec.validate({**GOOD, name: value})
    # the same value in another type of its kind is still valid
    for good in ({"lr": np.float32(0.25)}, {"layers": np.int64(2)}, {"width": 1.0}, {"flag": np.False_}):
        assert codec.is_valid({**GOOD, **good})


def test_paired_fidelities_refuse_non_real_values_by_dtype_or_element_type() -> None:
    configs: list[dict[str, Any]] = [{}, {}]
    assert paired_fidelities(configs, np.array([1, 2])) == [1, 2]
    assert paired_fidelities(configs, [None, np.float64(2.0)]) == [None, 2.0]
    for bad in (np.array([True, False]), np.array(["1", "2"]), [1.0, "2"], [True, 2.0], [[1.0], 2.0]):
        with pytest.raises(InvalidFidelityError):
            paired_fidelities(configs, bad)  # type: ignore[arg-type]


# --- the reproductions of the issue, on the real families ---------------------------------------


@pytest.fixture(scope="module")
def fitted_taskset() -> Any:
    return load_benchmark("fitted/taskset.FixedTextRNNClassification_imdb_patch32_GRU128_bs128")


def _config(bench: Any) -> dict[str, Any]:
    return bench.codec.sample(np.random.default_rng(0), 1)[0]


def test_fitted_taskset_refuses_a_string_fidelity_it_used_to_take_as_a_number(fitted_taskset: Any) -> None:
    config = _config(fitted_taskset)
    with pytest.raises(InvalidFidelityError):
        fitted_taskset.evaluate([Trial(config=config, fidelity="10")], seed=0)
    with pytest.raises(InvalidFidelityError):
        fitted_taskset.evaluate_arrays([config], seed=0, fidelities=["10"])
    with pytest.raises(InvalidFidelityError):
        fitted_taskset.evaluate_arrays([config], seed=0, fidelities=np.array([True]))
    with pytest.raises(InvalidConfigError):  # a huge int is out of range, not an OverflowError
        fitted_taskset.evaluate([Trial(config={**config, next(iter(config)): 10**400})], seed=0)


def test_a_boolean_fidelity_is_not_the_fidelity_one_on_a_grid_table() -> None:
    bench = load_benchmark("fcnet_own/naval_propulsion")  # our own FCNet table: epochs 1..100
    config = _config(bench)
    assert bench.evaluate([Trial(config=config, fidelity=1)], seed=0)  # epoch 1 is recorded
    with pytest.raises(InvalidFidelityError):
        bench.evaluate([Trial(config=config, fidelity=True)], seed=0)
    with pytest.raises(InvalidFidelityError):
        bench.evaluate_arrays([config], seed=0, fidelities=[True])
    with pytest.raises(InvalidConfigError):  # dropout 0.0 is on the grid: False is not
        bench.evaluate([Trial(config={**config, "dropout_1": False})], seed=0)
    with pytest.raises(InvalidConfigError):  # the grid lookup of one configuration
        bench.evaluate([Trial(config={**config, "dropout_2": np.False_}, fidelity=1)], seed=0)
    many = [dict(config) for _ in range(12)]
    many[7]["dropout_2"] = np.False_
    with pytest.raises(InvalidConfigError):  # the batch path (one numpy pass per column)
        bench.evaluate([Trial(config=c) for c in many], seed=0)
    with pytest.raises(InvalidConfigError):
        bench.evaluate_arrays(many, seed=0)


def _refuses_booleans_for(bench: Any, row: dict[str, Any], name: str) -> None:
    bench.evaluate([Trial(config=row)], seed=0)  # listed or now remembered: a dictionary hit
    for value in (True, np.True_) if row[name] == 1.0 else (False, np.False_):
        bad = {**row, name: value}
        with pytest.raises(InvalidConfigError):
            bench.evaluate([Trial(config=bad)], seed=0)
        with pytest.raises(InvalidConfigError):
            bench.evaluate_arrays([bad] * 12, seed=0)


def test_a_boolean_is_not_a_number_of_a_candidate_set() -> None:
    bench = load_benchmark("lcbench_own/australian")  # num_layers 1.0 is listed
    row = next(c for c in bench.candidate_configs() if c["num_layers"] == 1.0)
    _refuses_booleans_for(bench, row, "num_layers")


def test_a_boolean_is_not_a_remembered_snapped_value(data_dir: Path) -> None:
    bench = load_benchmark(
        "taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_avg_bs64", data_dir=data_dir
    )
    row = {**bench.candidate_configs()[0], "learning_rate": 1.0}  # inside the box, not listed
    _refuses_booleans_for(bench, row, "learning_rate")


SEED_TASKS = [
    ("synthetic/branin", False),
    ("fcnet/protein_structure", True),
    ("taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_avg_bs64", True),
    ("fitted/fcnet.protein_structure", False),
    ("yahpo/lcbench-3945", True),
]


@pytest.mark.parametrize(("task", "needs_data"), SEED_TASKS)
@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
def test_a_bad_seed_is_a_value_error_naming_the_seed(
    request: Any, task: str, needs_data: bool, seed: Any
) -> None:
    if task.startswith("yahpo"):
        pytest.importorskip("onnxruntime")
    bench = load_benchmark(task, data_dir=request.getfixturevalue("data_dir") if needs_data else None)
    config = _config(bench)
    with pytest.raises(InvalidSeedError, match="seed"):
        bench.evaluate([Trial(config=config)], seed=seed)
    if hasattr(bench, "evaluate_arrays"):
        with pytest.raises(InvalidSeedError, match="seed"):
            bench.evaluate_arrays([config], seed=seed)
    assert issubclass(InvalidSeedError, ValueError)


# --- check_benchmark holds plugins to the rule ---------------------------------------------------


class _IgnoresSeed(SyntheticBenchmark):
    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        return super().evaluate(trials, seed=0)  # never looks at the seed it was given


class _FloatsEveryValue(SyntheticBenchmark):
    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        try:
            converted = [
                Trial(config={k: float(v) for k, v in t.config.items()}, fidelity=t.fidelity) for t in trials
            ]
        except (TypeError, ValueError) as exc:  # float("abc"): refused, as an InvalidConfigError
            raise InvalidConfigError(str(exc)) from exc
        out = super().evaluate(converted, seed=seed)
        return [replace(e, trial=t) for e, t in zip(out, trials, strict=True)]


class _FloatsArrayFidelities(SyntheticBenchmark):
    def evaluate_arrays(self, configs: Sequence[dict[str, Any]], *, seed: int, fidelities: Any = None) -> Any:
        fid = np.asarray([100.0] * len(configs) if fidelities is None else fidelities, dtype=float)
        if not np.all((fid >= 1) & (fid <= 100)):
            raise InvalidFidelityError("out of range")
        trials = [Trial(config=c, fidelity=float(f)) for c, f in zip(configs, fid, strict=True)]
        return np.array([[e.values["value"]] for e in self.evaluate(trials, seed=seed)]), np.zeros(
            len(configs)
        )


@pytest.mark.parametrize(
    ("cls", "match"),
    [
        (_IgnoresSeed, "seed=-1 .* must raise ValueError"),
        (_FloatsEveryValue, "the value True .* must raise InvalidConfigError"),
        (
            _FloatsArrayFidelities,
            "evaluate_arrays with a fidelity of True .* must raise InvalidFidelityError",
        ),
    ],
)
def test_check_benchmark_catches_a_plugin_that_breaks_the_value_rule(
    cls: type[SyntheticBenchmark], match: str
) -> None:
    with pytest.raises(AssertionError, match=match):
        check_benchmark(cls("branin"))
