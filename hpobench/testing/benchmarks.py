"""Compliance checks for benchmark plugins, in the spirit of scikit-learn's ``check_estimator``.

A benchmark author runs :func:`check_benchmark` on an instance of their plugin (in a test, or
through the suite's compliance tests that cover every registered family). Each check raises an
:class:`AssertionError` naming the violated part of the :class:`~hpobench.contracts.benchmark.Benchmark`
contract.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.batch import EvaluationBatch
from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import HpobenchError, InvalidConfigError, InvalidFidelityError
from hpobench.contracts.objectives import checked_pareto_reference
from hpobench.contracts.pareto import pareto_mask, to_minimisation
from hpobench.contracts.types import Evaluation, Fidelity, Reference, Status, Task, Trial
from hpobench.testing.bad_values import check_bad_values, expect_error
from hpobench.testing.pareto_checks import check_pareto_reference

__all__ = ["check_benchmark"]

_UNKNOWN_HP = "__hpobench_not_a_hyperparameter__"
_NOT_A_VALUE = "__hpobench_not_a_value__"


def check_benchmark(benchmark: Benchmark, *, seed: int = 0, n: int = 16) -> None:
    """Check that ``benchmark`` honours the Benchmark contract.

    Checks, in order: the task is well formed; ``n`` configurations sampled from the space
    (``benchmark.codec.sample(np.random.default_rng(seed), n)``) evaluate, at the maximal fidelity
    and, for multi-fidelity tasks, at the lowest one, to one :class:`Evaluation` per trial holding
    the very trial object, with the objectives' names, finite values when the status is OK and a
    finite cost >= 0; a batch equals the concatenation of single-trial batches; equal seeds give
    equal answers (and other seeds too where the benchmark sets ``seed_free``); ``fidelity=None``
    equals the maximal fidelity; an empty batch gives ``[]``;
    invalid configurations (unknown or missing hyperparameter, out-of-range value) raise
    :class:`InvalidConfigError` in ``evaluate`` and ``reference_values``; invalid fidelities raise
    :class:`InvalidFidelityError`; values that break the rule of :mod:`hpobench.contracts.values` (string,
    boolean, NaN, infinite or huge fidelities and hyperparameter values, in ``evaluate`` and in
    ``evaluate_arrays`` where the benchmark has it) raise :class:`InvalidFidelityError` or
    :class:`InvalidConfigError`, and seeds that are not non-negative integers (``-1``, ``"1"``,
    ``None``, ``True``, ``1.0``) a ``ValueError`` naming the seed; ``reference_values`` has shape
    ``(n, n_objectives)``, equals ``evaluated_reference_values`` (also asked in two consecutive
    parts where the benchmark sets ``chunked_references``) and no finite value beats
    ``optimum().best``, whose names match the objectives. For a multi-objective task, its Pareto
    reference names its objectives, has a reference point worse than the front's nadir and a front
    of mutually non-dominated points, and
    :func:`~hpobench.testing.pareto_checks.check_pareto_reference` checks it against the task (a
    front no sampled configuration dominates where it claims to be exact, and a reference point
    that every front point strictly dominates).

    Args:
        benchmark: The benchmark under test; it is only read and evaluated.
        seed: Seed of the configuration sample and of the evaluations.
        n: Number of sampled configurations (at least 2).

    Raises:
        AssertionError: The benchmark violates the contract; the message says how.
    """
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    task = benchmark.task
    _check_task(task)
    assert benchmark.task is task or benchmark.task == task, "benchmark.task changed between two reads"
    if task.multi_objective:
        _check_pareto_reference(benchmark)
    configs = benchmark.codec.sample(np.random.default_rng(seed), n)
    for config in configs:
        assert benchmark.codec.is_valid(config), f"codec sampled an invalid configuration {config!r}"

    fidelities: list[float | None] = [None]
    if task.fidelity is not None:
        fidelities += [task.fidelity.low, task.fidelity.high]
    for fidelity in fidelities:
        trials = [Trial(config=c, fidelity=fidelity, tag=f"check-{i}") for i, c in enumerate(configs)]
        batch = _evaluate(benchmark, trials, seed)
        singles = [_evaluate(benchmark, [t], seed)[0] for t in trials]
        for i, (b, s) in enumerate(zip(batch, singles, strict=True)):
            assert _same(b, s), (
                f"a batch must equal the concatenation of single-trial batches; trial {i} at fidelity "
                f"{fidelity!r}: batch gave {_show(b)}, single gave {_show(s)}"
            )
        again = _evaluate(benchmark, trials, seed)
        for i, (b, a) in enumerate(zip(batch, again, strict=True)):
            assert _same(b, a), (
                f"evaluate is not deterministic for seed {seed}: trial {i}: {_show(b)} != {_show(a)}"
            )
        if benchmark.seed_free:  # the claim that lets a run batch trials of different seeds
            for other in (seed + 1, seed + 7919):
                for i, (b, o) in enumerate(zip(batch, _evaluate(benchmark, trials, other), strict=True)):
                    assert _same(b, o), (
                        f"{type(benchmark).__name__} sets seed_free, but trial {i} at fidelity {fidelity!r} "
                        f"gave {_show(b)} under seed {seed} and {_show(o)} under seed {other}"
                    )

    if task.fidelity is not None:
        at_none = _evaluate(benchmark, [Trial(config=c) for c in configs], seed)
        at_max = _evaluate(benchmark, [Trial(config=c, fidelity=task.fidelity.high) for c in configs], seed)
        for i, (a, b) in enumerate(zip(at_none, at_max, strict=True)):
            assert _same(a, b), (
                f"fidelity=None must mean the maximal fidelity; trial {i}: {_show(a)} != {_show(b)}"
            )

    empty = benchmark.evaluate([], seed=seed)
    assert list(empty) == [], f"an empty batch must give [], got {empty!r}"

    _check_invalid_configs(benchmark, configs[0], seed)
    _check_invalid_fidelities(benchmark, configs[0], seed)
    check_bad_values(benchmark, configs[0], seed)
    _check_reference(benchmark, configs)
    if task.multi_objective:
        check_pareto_reference(benchmark, configs)


def _check_pareto_reference(benchmark: Benchmark) -> None:
    """A multi-objective task's Pareto reference fits it (and its front is non-dominated)."""
    try:
        reference = checked_pareto_reference(benchmark)
    except HpobenchError as exc:
        raise AssertionError(str(exc)) from None
    losses = to_minimisation(reference.front, directions=[o.direction for o in benchmark.task.objectives])
    dominated = np.flatnonzero(~pareto_mask(losses)).tolist()
    assert not dominated, (
        f"the reference front of {benchmark.task.name!r} holds dominated points (rows {dominated[:5]})"
    )


def _check_task(task: Task) -> None:
    assert isinstance(task, Task), f"benchmark.task must be a hpobench Task, got {type(task).__name__}"
    family, sep, name = task.name.partition("/")
    assert sep, f"task name must have the form 'family/task', got {task.name!r}"
    assert family, f"task name must have the form 'family/task', got {task.name!r}"
    assert name, f"task name must have the form 'family/task', got {task.name!r}"
    assert task.family == family
    assert isinstance(task.space, CS.ConfigurationSpace), (
        "task.space must be a ConfigSpace ConfigurationSpace"
    )
    assert len(list(task.space.keys())) > 0, f"the space of {task.name!r} has no hyperparameter"
    names = [o.name for o in task.objectives]
    assert names, f"task {task.name!r} has no objective"
    assert len(set(names)) == len(names), f"objective names must be unique: {names}"
    assert task.fidelity is None or isinstance(task.fidelity, Fidelity), (
        "task.fidelity must be a Fidelity or None"
    )
    if task.candidates is not None:
        assert isinstance(task.candidates, int), (
            f"task.candidates must be an int or None, got {task.candidates!r}"
        )
        assert task.candidates > 0, f"task.candidates must be positive, got {task.candidates!r}"
    assert isinstance(task.tags, frozenset), f"task.tags must be a frozenset, got {task.tags!r}"
    assert all(isinstance(t, str) for t in task.tags), f"task.tags must hold str, got {task.tags!r}"


def _evaluate(benchmark: Benchmark, trials: Sequence[Trial], seed: int) -> Sequence[Evaluation]:
    out = benchmark.evaluate(trials, seed=seed)
    assert isinstance(out, (list, EvaluationBatch)), (
        f"evaluate must return a list or an EvaluationBatch, got {type(out).__name__}"
    )
    assert len(out) == len(trials), f"evaluate returned {len(out)} evaluations for {len(trials)} trials"
    objectives = {o.name for o in benchmark.task.objectives}
    for i, (trial, ev) in enumerate(zip(trials, out, strict=True)):
        assert isinstance(ev, Evaluation), f"evaluation {i} is a {type(ev).__name__}, not an Evaluation"
        assert ev.trial is trial, f"evaluation {i} must hold the very trial object it answers"
        assert set(ev.values) == objectives, (
            f"evaluation {i} must name the objectives {sorted(objectives)}, got {sorted(ev.values)}"
        )
        assert isinstance(ev.status, Status), f"evaluation {i}: status must be a Status, got {ev.status!r}"
        values = [float(v) for v in ev.values.values()]
        if ev.status is Status.OK:
            assert all(math.isfinite(v) for v in values), (
                f"evaluation {i} is OK but has non-finite values {values}"
            )
        else:
            assert all(math.isnan(v) for v in values), (
                f"evaluation {i} FAILED but its values are not NaN: {values}"
            )
        assert math.isfinite(ev.cost), f"evaluation {i}: cost must be finite, got {ev.cost}"
        assert ev.cost >= 0, f"evaluation {i}: cost must be >= 0, got {ev.cost}"
    return out


def _equal_floats(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    if set(a) != set(b):
        return False
    return all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def _same(a: Evaluation, b: Evaluation) -> bool:
    return (
        a.status is b.status
        and a.cost == b.cost
        and _equal_floats(a.values, b.values)
        and _equal_floats(a.extras, b.extras)
    )


def _show(ev: Evaluation) -> str:
    return f"(values={dict(ev.values)}, cost={ev.cost}, status={ev.status.name}, extras={dict(ev.extras)})"


def _out_of_range(hp: Any) -> Any:
    """A value that hyperparameter ``hp`` does not allow."""
    upper = getattr(hp, "upper", None)
    lower = getattr(hp, "lower", None)
    if isinstance(upper, (int, float)) and isinstance(lower, (int, float)):
        return upper + max(1.0, float(upper - lower))
    sequence = getattr(hp, "sequence", None) or getattr(hp, "choices", None)
    if sequence is not None and all(isinstance(v, (int, float)) for v in sequence):
        return max(sequence) + max(1.0, float(max(sequence) - min(sequence)))
    return _NOT_A_VALUE


def _check_invalid_configs(benchmark: Benchmark, config: Mapping[str, Any], seed: int) -> None:
    space = benchmark.task.space
    name = next(iter(config))
    bad: list[tuple[str, dict[str, Any]]] = [
        ("an unknown hyperparameter", {**config, _UNKNOWN_HP: 0}),
        (f"an out-of-range value for {name!r}", {**config, name: _out_of_range(space[name])}),
    ]
    if not (space.conditions or space.forbidden_clauses):
        bad.append((f"a missing hyperparameter {name!r}", {k: v for k, v in config.items() if k != name}))
    for what, cfg in bad:
        trial = Trial(config=cfg)
        expect_error(
            InvalidConfigError, partial(benchmark.evaluate, [trial], seed=seed), f"evaluate with {what}"
        )
        expect_error(
            InvalidConfigError, partial(benchmark.reference_values, [cfg]), f"reference_values with {what}"
        )


def _check_invalid_fidelities(benchmark: Benchmark, config: Mapping[str, Any], seed: int) -> None:
    fid = benchmark.task.fidelity
    if fid is None:
        bad = [1.0]
        label = "a fidelity on a task without fidelity"
    else:
        bad = [fid.low / 2.0, fid.high * 2.0 + 1.0]
        if fid.integer and fid.low + 0.5 < fid.high:
            bad.append(fid.low + 0.5)
        label = f"a fidelity outside {fid.name} in [{fid.low:g}, {fid.high:g}]"
    for value in bad:
        trial = Trial(config=config, fidelity=value)
        expect_error(
            InvalidFidelityError,
            partial(benchmark.evaluate, [trial], seed=seed),
            f"evaluate with {label} ({value})",
        )


def _check_reference(benchmark: Benchmark, configs: Sequence[Mapping[str, Any]]) -> None:
    task = benchmark.task
    names = [o.name for o in task.objectives]
    ref = benchmark.optimum()
    assert isinstance(ref, Reference), f"optimum() must return a Reference, got {type(ref).__name__}"
    assert set(ref.best) == set(names), (
        f"optimum().best must name the objectives {names}, got {sorted(ref.best)}"
    )
    assert set(ref.worst) == set(names), (
        f"optimum().worst must name the objectives {names}, got {sorted(ref.worst)}"
    )
    assert ref.source, "optimum().source must say how the reference values were obtained"
    values = np.asarray(benchmark.reference_values(list(configs)))
    assert values.shape == (len(configs), len(names)), (
        f"reference_values must have shape {(len(configs), len(names))}, got {values.shape}"
    )
    evaluated = np.asarray(benchmark.evaluated_reference_values(list(configs)))
    assert np.array_equal(evaluated, values, equal_nan=True), (
        f"evaluated_reference_values must equal reference_values: {evaluated.tolist()} != {values.tolist()}"
    )
    if benchmark.chunked_references:  # the simulator may ask for them in consecutive chunks
        for cut in (1, len(configs) // 2, len(configs) - 1):
            parts = [configs[:cut], configs[cut:]]
            joined = np.concatenate(
                [np.asarray(benchmark.evaluated_reference_values(list(p))) for p in parts]
            )
            assert np.array_equal(joined, evaluated, equal_nan=True), (
                f"chunked_references is set, but evaluated_reference_values of the first {cut} "
                f"configurations and of the rest differ from one call on all: {joined.tolist()} != "
                f"{evaluated.tolist()}"
            )
    for j, objective in enumerate(task.objectives):
        best, worst = float(ref.best[objective.name]), float(ref.worst[objective.name])
        assert math.isfinite(best), f"optimum().best of {objective.name!r} must be finite, got {best}"
        assert math.isfinite(worst), f"optimum().worst of {objective.name!r} must be finite, got {worst}"
        sign = objective.direction.sign
        assert sign * best <= sign * worst, f"{objective.name!r}: best {best} is worse than worst {worst}"
        column = values[:, j][np.isfinite(values[:, j])]
        tolerance = 1e-9 * max(1.0, abs(best))
        beating = column[sign * (column - best) < -tolerance]
        assert beating.size == 0, (
            f"{objective.name!r}: reference values {beating.tolist()} beat optimum().best = {best}"
        )
