"""Property-based fuzzing of ``evaluate`` and ``evaluate_arrays`` with valid and invalid values.

One task per benchmark family, loaded once per module. Every case mixes a valid configuration,
fidelity and seed with wrong types (booleans, strings, None, lists), NaN, infinities, huge
numbers, missing and extra keys: it must either answer (and the answer must keep the
Evaluation contract) or raise exactly one of the documented classes that belong to the inputs
it broke (:class:`InvalidConfigError`, :class:`InvalidFidelityError`, :class:`InvalidSeedError`,
the ``ValueError`` of seeds). Nothing else: no ``TypeError``, ``KeyError``, ``IndexError``,
``OverflowError`` or numpy error, and no answer to an invalid input.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ConfigSpace as CS
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpobench.contracts.batch import EvaluationBatch
from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import InvalidConfigError, InvalidFidelityError, InvalidSeedError
from hpobench.contracts.types import Evaluation, Status, Trial
from hpobench.data.registry import load_benchmark

EXAMPLES = 1000
EXTRA_KEY = "__fuzz_extra__"
HUGE_INT = 10**400  # beyond float64: must be out of range, never an OverflowError

TASKS = {
    "synthetic": ("synthetic/hartmann3", False),
    "fcnet": ("fcnet/protein_structure", True),
    "hpobench_nn": ("hpobench_nn/australian", True),
    "nb201": ("nb201/cifar10", True),
    "taskset": ("taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_avg_bs64", True),
    "fitted": ("fitted/taskset.FixedTextRNNClassification_imdb_patch32_GRU128_bs128", False),
    "yahpo": ("yahpo/lcbench-3945", True),
    "fcnet_own": ("fcnet_own/naval_propulsion", False),
    "lcbench_own": ("lcbench_own/australian", False),
}


@dataclass(frozen=True, kw_only=True)
class Value:
    """A drawn value and whether the benchmark must accept it."""

    value: Any
    valid: bool


def _spellings(v: Any) -> list[Any]:
    """The same valid number in several types (``8``, ``8.0``, ``np.int64(8)``, ...)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return [v]
    out: list[Any] = [v, np.float64(v)]
    if float(v).is_integer() and abs(v) < 2**53:
        out += [int(v), float(v), np.int64(int(v))]
    return out


def _bad_numbers(v: Any) -> list[Any]:
    """Values that are never a valid number, built around a valid one ``v``."""
    return [
        True,
        False,
        np.True_,
        np.False_,
        str(v),
        None,
        [v],
        np.array([v]),
        math.nan,
        math.inf,
        -math.inf,
        np.float64("nan"),
        HUGE_INT,
        -HUGE_INT,
        1e300,
        -1e300,
    ]


class Fuzz:
    """Strategies of valid and invalid inputs for one benchmark."""

    def __init__(self, bench: Benchmark) -> None:
        self.bench = bench
        self.task = bench.task
        self.space = self.task.space
        assert not self.space.conditions, "the fuzzed tasks have unconditional spaces"
        self.names = list(self.space.keys())
        self.pool = bench.codec.sample(np.random.default_rng(0), 64)
        fid = self.task.fidelity
        recorded = getattr(bench, "fidelity_values", None)
        self.grid_fidelities: list[float] | None = None if recorded is None else list(recorded)
        if fid is not None and self.grid_fidelities is None and fid.integer:
            self.grid_fidelities = [float(x) for x in range(int(fid.low), int(fid.high) + 1)]

    def hp_value(self, data: st.DataObject, name: str, current: Any) -> Value:
        hp = self.space[name]
        if isinstance(hp, (CS.UniformFloatHyperparameter, CS.UniformIntegerHyperparameter)):
            if data.draw(st.booleans()):
                if isinstance(hp, CS.UniformIntegerHyperparameter):
                    v: Any = data.draw(st.integers(int(hp.lower), int(hp.upper)))
                else:
                    v = data.draw(st.floats(float(hp.lower), float(hp.upper)))
                return Value(value=data.draw(st.sampled_from(_spellings(v))), valid=True)
            span = float(hp.upper - hp.lower)
            bad = [*_bad_numbers(current), hp.upper + span + 1.0, hp.lower - span - 1.0]
            if isinstance(hp, CS.UniformIntegerHyperparameter) and hp.lower + 0.5 < hp.upper:
                bad.append(hp.lower + 0.5)
            return Value(value=data.draw(st.sampled_from(bad)), valid=False)
        if isinstance(hp, CS.Constant):
            choices: list[Any] = [hp.value]
        else:
            choices = list(hp.sequence if isinstance(hp, CS.OrdinalHyperparameter) else hp.choices)
        if data.draw(st.booleans()):
            v = data.draw(st.sampled_from(choices))
            return Value(value=data.draw(st.sampled_from(_spellings(v))), valid=True)
        numeric = all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in choices)
        bad = [True, False, np.True_, None, math.nan, math.inf, HUGE_INT, [choices[0]], "__not_a_choice__"]
        if numeric:
            bad += [str(choices[0]), max(choices) + abs(max(choices) - min(choices)) + 1.0]
        else:
            bad += [0, 1, 1.0, b"x"]
        return Value(value=data.draw(st.sampled_from(bad)), valid=False)

    def config(self, data: st.DataObject) -> Value:
        config = dict(self.pool[data.draw(st.integers(0, len(self.pool) - 1))])
        bad: set[str] = set()  # hyperparameters that hold an invalid value
        for _ in range([0, 0, 0, 0, 0, 1, 1, 1, 2, 2][data.draw(st.integers(0, 9))]):
            what = data.draw(st.sampled_from(["value", "value", "value", "missing", "extra"]))
            if what == "extra":
                config[EXTRA_KEY] = data.draw(st.sampled_from([1, 0.5, "x", None]))
                continue
            name = data.draw(st.sampled_from(self.names))
            if what == "missing":
                config.pop(name, None)
                bad.discard(name)
                continue
            drawn = self.hp_value(data, name, config.get(name, 1.0))
            config[name] = drawn.value
            if drawn.valid:
                bad.discard(name)
            else:
                bad.add(name)
        return Value(value=config, valid=not bad and set(config) == set(self.names))

    def fidelity(self, data: st.DataObject) -> Value:
        fid = self.task.fidelity
        if data.draw(st.integers(0, 3)) == 0:
            return Value(value=None, valid=True)
        if fid is None:  # None is the only valid fidelity: draw it as often as valid values elsewhere
            if data.draw(st.integers(0, 2)) > 0:
                return Value(value=None, valid=True)
            return Value(value=data.draw(st.sampled_from([1, 1.0, True, "1", math.nan])), valid=False)
        if data.draw(st.integers(0, 2)) > 0:
            if self.grid_fidelities is not None:
                v: Any = data.draw(st.sampled_from(self.grid_fidelities))
            else:
                v = data.draw(st.floats(fid.low, fid.high))
            return Value(value=data.draw(st.sampled_from(_spellings(v))), valid=True)
        bad = [v for v in _bad_numbers(fid.high) if v is not None]  # None: the maximal fidelity
        bad += [fid.low / 2.0, 0, -1, fid.high * 2.0 + 1.0, np.float64(fid.high + 1)]
        if fid.integer:
            bad.append(fid.low + 0.5)
        grid = self.grid_fidelities
        if grid is not None and len(grid) > 1 and (grid[0] + grid[1]) / 2 not in grid:
            bad.append((grid[0] + grid[1]) / 2)  # inside the range, off the recorded grid
        return Value(value=data.draw(st.sampled_from(bad)), valid=False)


def _seed(data: st.DataObject) -> Value:
    if data.draw(st.integers(0, 7)) > 0:
        v = data.draw(st.integers(0, 2**63))
        return Value(value=data.draw(st.sampled_from([v, np.int64(v % 2**62), v % 5])), valid=True)
    bad = [-1, -(2**70), "1", None, True, False, np.True_, 1.0, np.float64(2.0), [1], math.nan]
    return Value(value=data.draw(st.sampled_from(bad)), valid=False)


def _check_answer(bench: Benchmark, trials: list[Trial], out: Sequence[Evaluation]) -> None:
    names = {o.name for o in bench.task.objectives}
    assert isinstance(out, (list, EvaluationBatch))
    assert len(out) == len(trials)
    for trial, ev in zip(trials, out, strict=True):
        assert ev.trial is trial
        assert set(ev.values) == names
        values = [float(v) for v in ev.values.values()]
        if ev.status is Status.OK:
            assert all(math.isfinite(v) for v in values), ev
        else:
            assert all(math.isnan(v) for v in values), ev
        assert math.isfinite(ev.cost)
        assert ev.cost >= 0


def _check_arrays(bench: Benchmark, n: int, answer: tuple[np.ndarray, np.ndarray]) -> None:
    values, cost = answer
    assert values.shape == (n, len(bench.task.objectives))
    assert cost.shape == (n,)
    assert np.all(np.isfinite(cost))


@pytest.fixture(scope="module", params=sorted(TASKS))
def fuzz(request: pytest.FixtureRequest) -> Fuzz:
    task, needs_data = TASKS[request.param]
    if request.param == "yahpo":
        pytest.importorskip("onnxruntime")
    data_dir: Path | None = request.getfixturevalue("data_dir") if needs_data else None
    return Fuzz(load_benchmark(task, data_dir=data_dir))


def test_evaluate_answers_or_raises_the_documented_error(fuzz: Fuzz) -> None:
    bench = fuzz.bench
    has_arrays = callable(getattr(bench, "evaluate_arrays", None))
    counts: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def case(data: st.DataObject) -> None:
        config, fidelity, seed = fuzz.config(data), fuzz.fidelity(data), _seed(data)
        expected: set[type[Exception]] = set()
        if not config.valid:
            expected.add(InvalidConfigError)
        if not fidelity.valid:
            expected.add(InvalidFidelityError)
        if not seed.valid:
            expected.add(InvalidSeedError)
        # a single trial, a small batch, a batch past the tables' per-column threshold, or arrays
        mode = data.draw(st.sampled_from(["single", "batch", "large", "arrays"]))
        if mode == "arrays" and not has_arrays:
            mode = "single"
        others = [dict(c) for c in fuzz.pool[: {"single": 0, "batch": 2, "large": 11, "arrays": 3}[mode]]]
        position = data.draw(st.integers(0, len(others)))
        call: Callable[[], Any]
        if mode == "arrays":
            configs = [*others[:position], config.value, *others[position:]]
            fids: Any = [None] * len(configs)
            fids[position] = fidelity.value
            if fidelity.value is None and data.draw(st.booleans()):
                fids = None
            elif data.draw(st.booleans()):
                top = fuzz.task.fidelity.high if fuzz.task.fidelity is not None else None
                # the drawn fidelity for every configuration, so the dtype is its own (bool, str, ...)
                filled = [top if fidelity.value is None else fidelity.value] * len(configs)
                try:
                    fids = np.asarray(filled)  # any dtype numpy picks: bool, str, object, float
                except ValueError:  # a list among numbers
                    fids = np.empty(len(filled), dtype=object)
                    fids[:] = filled
                if fuzz.task.fidelity is None:
                    fids = [None] * len(configs)
                    fids[position] = fidelity.value
            call = lambda: bench.evaluate_arrays(configs, seed=seed.value, fidelities=fids)  # noqa: E731
        else:

            def call() -> tuple[list[Trial], Sequence[Evaluation]]:
                trials = [Trial(config=c) for c in others]
                trials.insert(position, Trial(config=config.value, fidelity=fidelity.value))
                return trials, bench.evaluate(trials, seed=seed.value)

        counts.update(f"{k}_valid" for k, v in (("c", config), ("f", fidelity), ("s", seed)) if v.valid)
        raised: Exception | None = None
        try:
            answer = call()
        except (InvalidConfigError, InvalidFidelityError, InvalidSeedError) as exc:
            raised = exc
        if raised is not None:
            assert type(raised) in expected, f"raised {raised!r} for inputs of that kind that are valid"
            counts["invalid"] += 1
            return
        assert not expected, (
            f"answered invalid inputs (expected one of {expected}): config={config.value!r}, "
            f"fidelity={fidelity.value!r}, seed={seed.value!r}"
        )
        counts["valid"] += 1
        if mode == "arrays":
            _check_arrays(bench, len(others) + 1, answer)
        else:
            _check_answer(bench, *answer)

    case()
    total = counts["valid"] + counts["invalid"]
    assert total >= EXAMPLES
    assert counts["valid"] >= 0.2 * total, counts
    assert counts["invalid"] >= 0.4 * total, counts
