"""SpaceCodec.all_valid: a batch checked by columns never passes one configuration that is not valid."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ConfigSpace as CS
import numpy as np
import pytest

from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Trial
from hpobench.data.registry import load_benchmark


def _space() -> CS.ConfigurationSpace:
    return CS.ConfigurationSpace(
        {
            "lr": CS.UniformFloatHyperparameter("lr", 1e-5, 1e-1, log=True),
            "momentum": (0.0, 0.99),
            "width": CS.UniformIntegerHyperparameter("width", 16, 512, log=True),
            "depth": (1, 8),
            "act": ["relu", "tanh", "gelu"],
        }
    )


GOOD = {"lr": 1e-3, "momentum": 0.5, "width": 64, "depth": 3, "act": "relu"}

CHANGES = [
    ({"lr": 1.0}, True),  # out of range
    ({"lr": float("nan")}, True),
    ({"lr": -float("inf")}, True),
    ({"momentum": -0.0001}, True),
    ({"width": 513}, True),
    ({"depth": 0}, True),
    ({"depth": 2.5}, True),
    ({"depth": True}, True),  # a boolean is not a number
    ({"momentum": False}, True),
    ({"act": "elu"}, True),  # not a choice
    ({"act": 1}, True),
    ({"act": ["relu"]}, True),  # unhashable
    ({"extra": 1.0}, True),  # an unknown hyperparameter
    ({"depth": 2, "extra": 1}, True),
    ({"momentum": np.float64(0.5)}, False),  # valid, but only the full check takes numpy scalars
    ({"depth": np.int64(2)}, False),
    ({"momentum": 0}, False),  # an int for a float: valid, the full check's
]


def odd_batches(
    codec: SpaceCodec, configs: list[dict[str, Any]], odd: Any, places: tuple[int, ...]
) -> Iterator[tuple[int, list[Any]]]:
    """``(place, configs with odd there)`` for each place; the batch passes whole, each odd one fails.

    The whole batch must pass :meth:`SpaceCodec.all_valid`, as dicts and as the read-only views
    that trials hold; with ``odd`` in any place it must not.
    """
    assert codec.all_valid(configs)
    assert codec.all_valid([Trial(config=c).config for c in configs])
    for where in places:
        batch: list[Any] = list(configs)
        batch[where] = odd
        assert not codec.all_valid(batch)
        yield where, batch


@pytest.mark.parametrize(("change", "invalid"), CHANGES, ids=[repr(c) for c, _ in CHANGES])
def test_one_bad_or_unusual_configuration_fails_the_batch(change: dict[str, Any], invalid: bool) -> None:
    codec = SpaceCodec(_space())
    configs = codec.sample(np.random.default_rng(0), 50)
    for where, batch in odd_batches(codec, configs, {**GOOD, **change}, (0, 25, 49)):
        if invalid:
            with pytest.raises(InvalidConfigError):
                codec.validate(batch[where])
        else:
            codec.validate(batch[where])


def test_a_missing_hyperparameter_fails_the_batch() -> None:
    codec = SpaceCodec(_space())
    configs = codec.sample(np.random.default_rng(1), 10)
    short = {k: v for k, v in GOOD.items() if k != "act"}
    assert not codec.all_valid([*configs, short])
    assert not codec.all_valid([*configs, {**short, "other": "relu"}])  # as many keys, one unknown
    assert not codec.all_valid([*configs, [("lr", 1e-3)]])  # not a mapping
    assert not codec.all_valid([])


def test_spaces_without_plain_columns_are_left_to_the_full_check() -> None:
    conditional = _space()
    conditional.add(CS.UniformFloatHyperparameter("beta", 0.0, 1.0))
    conditional.add(CS.EqualsCondition(conditional["beta"], conditional["act"], "gelu"))
    ordinal = CS.ConfigurationSpace({"o": CS.OrdinalHyperparameter("o", ["a", "b"]), "x": (0.0, 1.0)})
    numbers = CS.ConfigurationSpace({"c": [1, 2, 4], "x": (0.0, 1.0)})  # a categorical of numbers
    constant = CS.ConfigurationSpace({"k": CS.Constant("k", "v"), "x": (0.0, 1.0)})
    for space in (conditional, ordinal, numbers, constant):
        codec = SpaceCodec(space)
        configs = codec.sample(np.random.default_rng(2), 20)
        for config in configs:
            codec.validate(config)
        assert not codec.all_valid(configs)
    # every key present, each value of its kind and in range, yet beta is inactive for relu
    inactive = [{**GOOD, "beta": 0.5}] * 3
    with pytest.raises(InvalidConfigError):
        SpaceCodec(conditional).validate(inactive[0])
    assert not SpaceCodec(conditional).all_valid(inactive)
    forbidden = _space()
    forbidden.add(CS.ForbiddenEqualsClause(forbidden["act"], "tanh"))
    with pytest.raises(InvalidConfigError):
        SpaceCodec(forbidden).validate({**GOOD, "act": "tanh"})
    assert not SpaceCodec(forbidden).all_valid([{**GOOD, "act": "tanh"}] * 3)


def test_a_batch_evaluation_still_refuses_a_bad_configuration() -> None:
    bench = load_benchmark("synthetic/hartmann6")
    configs = bench.codec.sample(np.random.default_rng(3), 100)
    trials = [Trial(config=c) for c in configs]
    assert bench.codec.all_valid([t.config for t in trials])
    batch = bench.evaluate(trials, seed=0)
    assert [e.values for e in batch] == [bench.evaluate([t], seed=0)[0].values for t in trials]
    name = next(iter(configs[0]))
    trials[60] = Trial(config={**configs[60], name: 7.0})  # outside [0, 1]
    with pytest.raises(InvalidConfigError):
        bench.evaluate(trials, seed=0)


def _one_by_one(bench: Any, configs: list[Any], fidelities: list[Any]) -> Any:
    """What checking the trials one at a time gives: the fidelities, or the first error."""
    out = []
    for config, fidelity in zip(configs, fidelities, strict=True):
        try:
            out.append(bench.check_configs([config], [fidelity])[0])  # one trial: the one-by-one check
        except Exception as exc:
            return type(exc), str(exc)
    return np.array(out)


@pytest.mark.parametrize("name", ["synthetic/branin", "yahpo/lcbench-3945"])  # float, integer fidelity
def test_a_batch_checks_its_fidelities_as_the_one_by_one_check_does(name: str, data_dir: Path) -> None:
    bench = load_benchmark(name, data_dir=data_dir)
    fid = bench.task.fidelity
    configs = bench.codec.sample(np.random.default_rng(5), 40)
    middle = float(int((fid.low + fid.high) // 2))
    good = [fid.low, fid.high, None, int(fid.high), middle, int(middle)]
    odd = [math.nan, math.inf, -math.inf, fid.low - 1, fid.high + 1, True, np.float64(middle), "2", -0.0]
    odd += [10**400]  # an int no float holds
    odd += [middle + 0.5] if fid.integer else [fid.low + 0.25]
    fidelities = [good[i % len(good)] for i in range(len(configs))]
    checked = bench.check_configs(configs, fidelities)
    np.testing.assert_array_equal(checked, _one_by_one(bench, configs, fidelities))
    for value in odd:
        for at in (0, 17, len(configs) - 1):
            changed = [*fidelities[:at], value, *fidelities[at + 1 :]]
            expected = _one_by_one(bench, configs, changed)
            try:
                got: Any = bench.check_configs(configs, changed)
            except Exception as exc:
                got = type(exc), str(exc)
            if isinstance(expected, tuple):
                assert got == expected, (value, at)
            else:
                np.testing.assert_array_equal(got, expected)
