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

Continuation (freeze-thaw): on a task with ``Task.continuation``, a trial that completed with
status OK and named a ``checkpoint`` leaves its training state under that name (a later trial
saving under the same name replaces it). A trial with ``resume_from`` continues that state: it is
evaluated under the checkpoint's benchmark seed (the same recorded training run), it is charged
only ``cost(config, fidelity) - cost(config, checkpoint fidelity)`` under that seed (never less
than zero), and only the fidelity difference counts towards fidelity budgets. The evaluation told
to the method carries the charged cost. Resuming from an unknown checkpoint, at a fidelity not
above the checkpoint's, or on a task without continuation fails the run with
:class:`~hpobench.errors.MethodError`.

Cost per event is ``O(log workers)`` plus the method's and the benchmark's own work: the event
queue and the free workers are heaps, checkpoints a dictionary, and benchmark noise seeds are
drawn in blocks (the same stream as one draw per evaluation).
"""

from __future__ import annotations

import dataclasses
import heapq
import time
from dataclasses import dataclass

import numpy as np

from hpobench.benchmark import Benchmark
from hpobench.budget import Budget
from hpobench.errors import InvalidConfigError, InvalidFidelityError, MethodError
from hpobench.method import Method
from hpobench.types import Config, Evaluation, Status, Trial

__all__ = ["Checkpoint", "Completed", "Simulation"]

_SEED_BLOCK = 1024  # noise seeds drawn at once; the stream equals one draw per evaluation


@dataclass(frozen=True, kw_only=True)
class Completed:
    """One finished evaluation with its place in simulated time.

    Attributes:
        trial: The trial as asked.
        evaluation: The evaluation told to the method; for a continuation its ``cost`` is the
            charged extra cost (``end - start``).
        fidelity: The fidelity evaluated (the maximal one when the trial said ``None``).
        start: Simulated time the evaluation started.
        end: Simulated time it finished (``start + cost``).
        worker: Index of the simulated worker that ran it.
        resumed_fidelity: Fidelity of the checkpoint the trial continued, ``None`` when it
            trained from scratch.
    """

    trial: Trial
    evaluation: Evaluation
    fidelity: float
    start: float
    end: float
    worker: int
    resumed_fidelity: float | None = None

    @property
    def continued(self) -> bool:
        """Whether the evaluation continued a checkpoint."""
        return self.resumed_fidelity is not None


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """A training state kept by the simulation for later continuation.

    Attributes:
        config: Configuration of the trial that saved it.
        fidelity: Fidelity it reached.
        seed: Benchmark seed of its training run (continuations are evaluated under it).
        cost: Cost in seconds of reaching ``fidelity`` from scratch under ``seed``.
    """

    config: Config
    fidelity: float
    seed: int
    cost: float


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
        task = benchmark.task
        self.high = task.fidelity.high if task.fidelity is not None else 1.0
        self.continuation = task.continuation
        self.completed: list[Completed] = []
        self.checkpoints: dict[str, Checkpoint] = {}
        self.now = 0.0
        self.started = 0
        self.fidelity_started = 0.0
        self.method_seconds = 0.0
        self.benchmark_seconds = 0.0
        self._noise = np.random.default_rng(noise_seed)
        self._seeds: list[int] = []
        self._free = list(range(workers))  # a heap: the lowest free worker id starts next
        # (end, start order, worker, start, fidelity, resumed fidelity, trial, told evaluation,
        #  cost from scratch, benchmark seed): a heap ordered by end time, then start order
        self._running: list[
            tuple[float, int, int, float, float, float | None, Trial, Evaluation, float, int]
        ] = []

    def _budget_reached(self) -> bool:
        return self.budget.exhausted(
            evaluations=self.started, fidelity=self.fidelity_started, seconds=self.now
        )

    def _next_seed(self) -> int:
        if not self._seeds:
            self._seeds = self._noise.integers(2**63 - 1, size=_SEED_BLOCK).tolist()[::-1]
        return int(self._seeds.pop())

    def _evaluate(self, trials: list[Trial], seed: int) -> list[Evaluation]:
        try:
            return self.benchmark.evaluate(trials, seed=seed)
        except (InvalidConfigError, InvalidFidelityError) as exc:
            raise MethodError(f"the method proposed an invalid trial: {exc}") from exc

    def _resume(
        self, trial: Trial, name: str, fidelity: float
    ) -> tuple[Evaluation, float, float, Checkpoint]:
        """Evaluate a continuation; return (told evaluation, full cost, checkpoint fidelity, checkpoint)."""
        if not self.continuation:
            raise MethodError(
                f"the method asked to resume checkpoint {name!r}, but {self.benchmark.task.name!r} "
                "does not support continuation (Task.continuation is False)"
            )
        ck = self.checkpoints.get(name)
        if ck is None:
            raise MethodError(
                f"the method asked to resume checkpoint {name!r}, which no completed trial saved "
                "(trials in flight and failed trials save none)"
            )
        if not fidelity > ck.fidelity:
            raise MethodError(
                f"a trial resuming checkpoint {name!r} must ask for a fidelity above its {ck.fidelity:g}, "
                f"got {fidelity:g}"
            )
        if trial.config == ck.config:
            evaluation = self._evaluate([trial], ck.seed)[0]
            base = ck.cost
        else:  # a copied state with changed hyperparameters (PBT): cost of the new config
            evaluation, before = self._evaluate(
                [trial, Trial(config=trial.config, fidelity=ck.fidelity)], ck.seed
            )
            base = float(before.cost)
        full = float(evaluation.cost)
        told = dataclasses.replace(evaluation, cost=max(0.0, full - base))
        return told, full, ck.fidelity, ck

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
        seed = self._next_seed()
        fidelity = trial.fidelity if trial.fidelity is not None else self.high
        resumed: float | None = None
        if trial.resume_from is None:
            evaluation = self._evaluate([trial], seed)[0]
            full = float(evaluation.cost)
        else:
            evaluation, full, resumed, ck = self._resume(trial, trial.resume_from, fidelity)
            seed = ck.seed
        self.benchmark_seconds += time.perf_counter() - t1
        worker = heapq.heappop(self._free)
        end = self.now + float(evaluation.cost)
        heapq.heappush(
            self._running,
            (end, self.started, worker, self.now, fidelity, resumed, trial, evaluation, full, seed),
        )
        self.started += 1
        self.fidelity_started += (fidelity - (resumed or 0.0)) / self.high
        return True

    def _finish_next(self) -> None:
        end, _, worker, start, fidelity, resumed, trial, evaluation, full, seed = heapq.heappop(self._running)
        self.now = end
        heapq.heappush(self._free, worker)
        self.completed.append(
            Completed(
                trial=trial,
                evaluation=evaluation,
                fidelity=fidelity,
                start=start,
                end=end,
                worker=worker,
                resumed_fidelity=resumed,
            )
        )
        if trial.checkpoint is not None and evaluation.status is Status.OK:
            self.checkpoints[trial.checkpoint] = Checkpoint(
                config=trial.config, fidelity=fidelity, seed=seed, cost=full
            )
        t0 = time.perf_counter()
        self.method.tell(evaluation)
        self.method_seconds += time.perf_counter() - t0

    def run(self) -> None:
        """Run until the budget is reached and every started trial has completed.

        Raises:
            MethodError: The method stalled, proposed an invalid trial, resumed a checkpoint it
                may not resume, or the cap was reached.
            Exception: Whatever the method's ``ask``/``tell`` raised.
        """
        while True:
            while self._free and not self._budget_reached():
                if not self._start_one():
                    break
            if not self._running:
                return
            self._finish_next()
