"""Compliance cases for the one value rule (:mod:`hpobench.contracts.values`), part of ``check_benchmark``.

Every benchmark, built in or third party, must refuse wrongly typed and non-finite values with
the documented class, whatever path it takes inside: strings, booleans, NaN, infinities and
huge numbers as fidelities (:class:`InvalidFidelityError`) or as hyperparameter values
(:class:`InvalidConfigError`), and seeds that are not non-negative integers (a ``ValueError``
whose message names the seed). ``evaluate_arrays``, where a benchmark has it, is held to the
same cases for its array inputs (including numpy arrays of ``bool`` and string dtype), with the
configurations given as a sequence and as columns (:mod:`hpobench.contracts.columns`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import InvalidConfigError, InvalidFidelityError
from hpobench.contracts.types import Trial

__all__ = ["check_bad_values", "expect_error"]

HUGE_INT = 10**400
"""An int beyond float64: out of every range (never an ``OverflowError``)."""

BAD_SEEDS: tuple[Any, ...] = (-1, "1", None, True, False, 1.0, np.float64(2.0), np.True_)
"""Seeds that are not non-negative integers."""


def _bad_numbers(valid: Any) -> list[Any]:
    """Values that are never a real number in range, built around a valid one."""
    return [True, False, np.True_, str(valid), math.nan, -math.inf, math.inf, 1e300, HUGE_INT, -HUGE_INT]


def expect_error(error: type[Exception], call: Callable[[], object], what: str, *, says: str = "") -> None:
    """Raise :class:`AssertionError` unless ``call()`` raises ``error`` (whose message has ``says``)."""
    try:
        call()
    except error as exc:
        if says and says not in str(exc):
            raise AssertionError(f"{what}: the {error.__name__} must mention {says!r}, got: {exc}") from exc
        return
    except Exception as exc:
        raise AssertionError(
            f"{what} must raise {error.__name__}, raised {type(exc).__name__}: {exc}"
        ) from exc
    raise AssertionError(f"{what} must raise {error.__name__}, but nothing was raised")


def _arrays(benchmark: Benchmark) -> Callable[..., Any] | None:
    method = getattr(benchmark, "evaluate_arrays", None)
    return method if callable(method) else None


def _evaluate_at(benchmark: Benchmark, config: Mapping[str, Any], fidelity: Any, seed: int) -> object:
    """Evaluate ``config`` at ``fidelity``; the Trial itself may already refuse the fidelity's type."""
    return benchmark.evaluate([Trial(config=config, fidelity=fidelity)], seed=seed)


def _bad_values_of(hp: Any, valid: Any) -> list[Any]:
    """Values hyperparameter ``hp`` must refuse, whatever its kind."""
    if isinstance(hp, CS.hyperparameters.NumericalHyperparameter):
        return _bad_numbers(valid)
    choices = getattr(hp, "sequence", None) or getattr(hp, "choices", None) or [getattr(hp, "value", valid)]
    if all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in choices):
        return _bad_numbers(valid)  # a numeric grid (True == 1 must not find the choice 1)
    bad: list[Any] = [math.nan, None, b"not a choice"]
    bad += [v for v in (True, False, 0, 1, 1.0, "1") if not any(type(v) is type(c) for c in choices)]
    return bad


def check_bad_values(benchmark: Benchmark, config: Mapping[str, Any], seed: int) -> None:
    """Check that ``benchmark`` refuses badly typed values, given one valid configuration.

    Args:
        benchmark: The benchmark under test.
        config: A valid configuration of its space.
        seed: A valid seed.

    Raises:
        AssertionError: A bad value was answered or raised another class than the documented one.
    """
    arrays = _arrays(benchmark)
    task = benchmark.task
    fid = task.fidelity
    top = fid.high if fid is not None else 1.0
    for value in [*_bad_numbers(top), top * 1e6 + 1.0]:
        what = f"a fidelity of {value!r} ({type(value).__name__})"
        expect_error(
            InvalidFidelityError,
            partial(_evaluate_at, benchmark, config, value, seed),
            f"evaluate with {what}",
        )
        if arrays is not None:
            expect_error(
                InvalidFidelityError,
                partial(arrays, [dict(config)], seed=seed, fidelities=[value]),
                f"evaluate_arrays with {what}",
            )
    if arrays is not None and fid is not None:
        for array in (np.array([True]), np.array([str(top)]), np.array([[top]])):
            expect_error(
                InvalidFidelityError,
                partial(arrays, [dict(config)], seed=seed, fidelities=array),
                f"evaluate_arrays with fidelities {array!r}",
            )

    space = task.space
    for name in config:
        for value in _bad_values_of(space[name], config[name]):
            bad = {**config, name: value}
            what = f"the value {value!r} ({type(value).__name__}) for {name!r}"
            expect_error(
                InvalidConfigError,
                partial(benchmark.evaluate, [Trial(config=bad)], seed=seed),
                f"evaluate with {what}",
            )
            if arrays is not None:
                expect_error(
                    InvalidConfigError, partial(arrays, [bad], seed=seed), f"evaluate_arrays with {what}"
                )
                # the column form (hpobench.contracts.columns): a list column and a numpy one
                listed = {k: [v] for k, v in bad.items()}
                for columns in (listed, {**listed, name: np.array([value])}):
                    expect_error(
                        InvalidConfigError,
                        partial(arrays, columns, seed=seed),
                        f"evaluate_arrays with {what} in a column",
                    )

    for bad_seed in BAD_SEEDS:
        what = f"seed={bad_seed!r} ({type(bad_seed).__name__})"
        call = partial(benchmark.evaluate, [Trial(config=config)], seed=bad_seed)
        expect_error(ValueError, call, f"evaluate with {what}", says="seed")
        if arrays is not None:
            expect_error(
                ValueError,
                partial(arrays, [dict(config)], seed=bad_seed),
                f"evaluate_arrays with {what}",
                says="seed",
            )
