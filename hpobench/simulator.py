"""Event-driven simulation of parallel workers inside one run, in simulated time.

``workers`` simulated workers share a virtual clock. Whenever a worker is free, the method is
asked for a trial; the benchmark answers at once, but the answer is revealed to the method only
when the simulated clock reaches ``start + cost``. Completions are processed in order of
simulated end time, ties broken by start order, so the simulation is deterministic. With one
worker this is exactly the sequential ask/evaluate/tell loop.

Budget semantics: a new trial is started only while the budget is not reached, counting the
evaluations and fidelity of trials *started* (committed resources) and, for time budgets, the
simulated clock; trials in flight when the budget is reached run to completion and are kept.

A method's ``ask`` may return ``None`` to wait for results (synchronous methods); returning
``None`` with nothing in flight is a stall and fails the run.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import numpy as np

from hpobench.benchmark import Benchmark
from hpobench.budget import Budget
from hpobench.errors import InvalidConfigError, InvalidFidelityError, MethodError
from hpobench.method import Method
from hpobench.types import Evaluation, Trial

__all__ = ["Completed", "Simulation"]


@dataclass(frozen=True, kw_only=True)
class Completed:
    """One finished evaluation with its place in simulated time.

    Attributes:
        trial: The trial as asked.
        evaluation: The benchmark's answer.
        fidelity: The fidelity evaluated (the maximal one when the trial said ``None``).
        start: Simulated time the evaluation started.
        end: Simulated time it finished (``start + cost``).
        worker: Index of the simulated worker that ran it.
    """

    trial: Trial
    evaluation: Evaluation
    fidelity: float
    start: float
    end: float
    worker: int


class Simulation:
    """Drive a method against a benchmark with simulated workers until the budget is spent.

    Args:
        benchmark: The benchmark (already loaded).
        method: A fresh method instance for the benchmark's task.
        budget: The run's budget.
        workers: Number of simulated workers (at least 1).
        noise_seed: Seed of the stream that draws each evaluation's benchmark seed.
        max_evaluations: Hard cap on started evaluations.
    """

    def __init__(
        self,
        *,
        benchmark: Benchmark,
        method: Method,
        budget: Budget,
        workers: int,
        noise_seed: int,
        max_evaluations: int,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.benchmark = benchmark
        self.method = method
        self.budget = budget
        self.max_evaluations = max_evaluations
        fid = benchmark.task.fidelity
        self.high = fid.high if fid is not None else 1.0
        self.completed: list[Completed] = []
        self.now = 0.0
        self.started = 0
        self.fidelity_started = 0.0
        self.method_seconds = 0.0
        self.benchmark_seconds = 0.0
        self._noise = np.random.default_rng(noise_seed)
        self._free = list(range(workers))  # a heap: the lowest free worker id starts next
        self._running: list[tuple[float, int, int, float, float, Trial, Evaluation]] = []

    def _budget_reached(self) -> bool:
        return self.budget.exhausted(
            evaluations=self.started, fidelity=self.fidelity_started, seconds=self.now
        )

    def _start_one(self) -> bool:
        """Ask for a trial and start it on a free worker; return False if the method waits."""
        if self.started >= self.max_evaluations:
            raise MethodError(f"the run reached the cap of {self.max_evaluations} evaluations")
        t0 = time.perf_counter()
        trial = self.method.ask()
        t1 = time.perf_counter()
        self.method_seconds += t1 - t0
        if trial is None:
            if not self._running:
                raise MethodError("ask() returned None with no trial in flight (the method stalled)")
            return False
        if not isinstance(trial, Trial):
            raise MethodError(f"ask() must return a Trial, got {type(trial).__name__}")
        seed = int(self._noise.integers(2**63 - 1))
        try:
            evaluation = self.benchmark.evaluate([trial], seed=seed)[0]
        except (InvalidConfigError, InvalidFidelityError) as exc:
            raise MethodError(f"the method proposed an invalid trial: {exc}") from exc
        self.benchmark_seconds += time.perf_counter() - t1
        fidelity = trial.fidelity if trial.fidelity is not None else self.high
        worker = heapq.heappop(self._free)
        end = self.now + float(evaluation.cost)
        heapq.heappush(self._running, (end, self.started, worker, self.now, fidelity, trial, evaluation))
        self.started += 1
        self.fidelity_started += fidelity / self.high
        return True

    def _finish_next(self) -> None:
        end, _, worker, start, fidelity, trial, evaluation = heapq.heappop(self._running)
        self.now = end
        heapq.heappush(self._free, worker)
        self.completed.append(
            Completed(
                trial=trial, evaluation=evaluation, fidelity=fidelity, start=start, end=end, worker=worker
            )
        )
        t0 = time.perf_counter()
        self.method.tell(evaluation)
        self.method_seconds += time.perf_counter() - t0

    def run(self) -> None:
        """Run until the budget is reached and every started trial has completed.

        Raises:
            MethodError: The method stalled, proposed an invalid trial, or the cap was reached.
            Exception: Whatever the method's ``ask``/``tell`` raised.
        """
        while True:
            while self._free and not self._budget_reached():
                if not self._start_one():
                    break
            if not self._running:
                return
            self._finish_next()
