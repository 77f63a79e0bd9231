"""The harness the method compliance checks drive a method with: objectives, a setup and a runner loop.

:class:`Setup` names what a check runs (method class, task, optional benchmark, seed, steps,
keyword arguments) and builds fresh method instances; :func:`drive` alternates ``ask`` and
``tell`` like a runner with one or several workers, checking every proposal
(:func:`validated_trial` raises :class:`AssertionError` naming the broken contract). Without a
benchmark, :class:`FakeObjective` answers: a cheap deterministic function of the configuration
(no salted ``hash``), picklable so that it runs in a spawned process too. Used by
:mod:`hpobench.testing.methods`.
"""

from __future__ import annotations

import math
import numbers
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.method import Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Evaluation, Status, Task, Trial

Evaluate = Callable[[Trial], Evaluation]


Step = tuple[tuple[tuple[str, Any], ...], float | None]
"""One proposal as plain data: sorted config items and fidelity."""


def _encode(value: Any) -> float:
    if isinstance(value, numbers.Real):
        return float(value)
    return zlib.crc32(repr(value).encode("utf-8")) / 2**32


class FakeObjective:
    """A cheap deterministic objective of the configuration and fidelity (picklable)."""

    def __init__(self, task: Task) -> None:
        self.task = task

    def __call__(self, trial: Trial) -> Evaluation:
        fid = self.task.fidelity
        frac = 1.0 if fid is None or trial.fidelity is None else trial.fidelity / fid.high
        base = sum(
            math.sin(1.7 * _encode(trial.config[k]) + 0.3 * j) for j, k in enumerate(sorted(trial.config))
        )
        values = {}
        for k, objective in enumerate(self.task.objectives):
            loss = base + 0.5 * k + (1.0 - frac) * math.cos(3.0 * base + k)
            values[objective.name] = objective.direction.sign * loss
        return Evaluation(trial=trial, values=values, cost=1.0)


class _BenchmarkObjective:
    def __init__(self, benchmark: Benchmark, seed: int) -> None:
        self.benchmark = benchmark
        self.seed = seed

    def __call__(self, trial: Trial) -> Evaluation:
        return self.benchmark.evaluate([trial], seed=self.seed)[0]


class Failing:
    """Wraps an objective so that every ``every``-th evaluation fails with NaN values."""

    def __init__(self, inner: Evaluate, task: Task, every: int) -> None:
        self.inner = inner
        self.nan = {o.name: math.nan for o in task.objectives}
        self.every = every
        self.count = 0

    def __call__(self, trial: Trial) -> Evaluation:
        self.count += 1
        if self.count % self.every == 0:
            return Evaluation(trial=trial, values=self.nan, cost=1.0, status=Status.FAILED)
        return self.inner(trial)


@dataclass(frozen=True, kw_only=True)
class Setup:
    method_cls: type[Method]
    task: Task
    benchmark: Benchmark | None
    seed: int
    n_steps: int
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def make(self, seed: int | None = None) -> Method:
        return self.method_cls(self.task, seed=self.seed if seed is None else seed, **self.kwargs)

    def objective(self) -> Evaluate:
        if self.benchmark is None:
            return FakeObjective(self.task)
        return _BenchmarkObjective(self.benchmark, self.seed)


def _step(trial: Trial) -> Step:
    return tuple(sorted(trial.config.items())), trial.fidelity


def validated_trial(method: Method, trial: object, codec: SpaceCodec) -> Trial:
    name = type(method).__name__
    if not isinstance(trial, Trial):
        raise AssertionError(f"{name}.ask() must return a Trial or None, got {trial!r}")
    try:
        codec.validate(trial.config)
    except InvalidConfigError as exc:
        raise AssertionError(f"{name}.ask() proposed a configuration outside the space: {exc}") from None
    fid = method.task.fidelity
    if trial.fidelity is not None:
        if fid is None:
            raise AssertionError(
                f"{name}.ask() proposed fidelity {trial.fidelity!r} on a task without fidelity "
                "(use fidelity=None)"
            )
        if not fid.contains(trial.fidelity):
            kind = "an integer " if fid.integer else ""
            raise AssertionError(
                f"{name}.ask() proposed fidelity {trial.fidelity!r}; it must be None or "
                f"{kind}in [{fid.low:g}, {fid.high:g}]"
            )
        if not method.capabilities.multi_fidelity and trial.fidelity != fid.high:
            raise AssertionError(
                f"{name} declares multi_fidelity=False but proposed fidelity {trial.fidelity!r} "
                f"below the maximum {fid.high:g}"
            )
    if not isinstance(trial.tag, str):
        raise AssertionError(f"{name}.ask() returned a trial whose tag is not a str: {trial.tag!r}")
    return trial


def drive(
    method: Method,
    evaluate: Evaluate,
    n_tells: int,
    *,
    n_workers: int = 1,
    in_flight: list[Trial] | None = None,
    after_ask: Callable[[Trial], None] | None = None,
) -> list[Step]:
    """Alternate asks and tells like a runner with ``n_workers`` workers; return the proposals.

    With several workers the results are told out of order. ``in_flight`` carries trials that
    were asked but not told across calls (it is mutated). ``after_ask`` is called with each
    trial asked, before anything is told (as the runner asks for :meth:`Method.upcoming`).
    """
    in_flight = [] if in_flight is None else in_flight
    codec = SpaceCodec(method.task.space)
    steps: list[Step] = []
    name = type(method).__name__
    for told in range(n_tells):
        while len(in_flight) < n_workers:
            trial = method.ask()
            if trial is None:
                if not in_flight:
                    raise AssertionError(
                        f"{name}.ask() returned None with no trial in flight (a stall); None is only "
                        "allowed while the method waits for results of trials it asked for"
                    )
                break
            in_flight.append(validated_trial(method, trial, codec))
            steps.append(_step(trial))
            if after_ask is not None:
                after_ask(trial)
        trial = in_flight.pop(told % len(in_flight))
        method.tell(evaluate(trial))
    return steps


def trajectory_in_child(setup: Setup) -> list[Step]:
    return drive(setup.make(), FakeObjective(setup.task), setup.n_steps)


def first_difference(a: list[Step], b: list[Step]) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"proposal {i} differs: {x} vs {y}"
    return f"the runs made {len(a)} and {len(b)} proposals"
