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
``None`` with nothing in flight is a stall and fails the run. On a seed-free benchmark, trials
the method promises (``Method.upcoming``) are evaluated ahead in one batch, with the same answers
(:mod:`hpobench.execution.ahead`).

Continuation (freeze-thaw): on a task with ``Task.continuation``, a trial that completed with
status OK and named a ``checkpoint`` leaves its training state under that name (a later trial
saving under the same name replaces it). A trial with ``resume_from`` continues that state: it is
evaluated under the checkpoint's benchmark seed (the same recorded training run), it is charged
only ``cost(config, fidelity) - cost(config, checkpoint fidelity)`` under that seed (never less
than zero), and only the fidelity difference counts towards fidelity budgets. The evaluation told
to the method carries the charged cost. Resuming from an unknown checkpoint, at a fidelity not
above the checkpoint's, or on a task without continuation fails the run with
:class:`~hpobench.contracts.errors.MethodError`.

Cost per event is ``O(log workers)`` plus the method's and the benchmark's own work: event queue
and free workers are heaps, checkpoints a dictionary, noise seeds drawn in blocks (the same stream
as one draw per evaluation). Completions are the event queue's own records, made into frozen
values only when read (:meth:`Simulation.columns` hands the runner whole columns).
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import math
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from operator import itemgetter

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.budget import Budget, BudgetKind
from hpobench.contracts.errors import BudgetError, InvalidConfigError, InvalidFidelityError, MethodError
from hpobench.contracts.method import Method
from hpobench.contracts.types import Evaluation, Status, Trial
from hpobench.execution.ahead import evaluator
from hpobench.execution.completions import (  # the records; _Saved and _Checkpoints are private to both
    Checkpoint,
    Completed,
    CompletedColumns,
    _Checkpoints,
    _Saved,
)

__all__ = ["Simulation", "young_collections_only"]

_SEED_BLOCK = 1024  # noise seeds drawn at once; the stream equals one draw per evaluation
_REFERENCE_CHUNK = 4096
"""Completed evaluations whose reference values are asked for at once during a run (see
:meth:`Simulation.reference_values`); well below the configurations a benchmark's cache keeps."""
_OK = Status.OK
_NO_LIMIT = math.inf

# One event (also one completion, in completion order): (end, start order, worker, start,
# fidelity, resumed fidelity, trial, told evaluation, cost from scratch, benchmark seed). The
# running ones form a heap ordered by end time, then start order.
_Event = tuple[float, int, int, float, float, float | None, Trial, Evaluation, float, int]


_GC_LOCK = threading.Lock()
_GC_STATE: list[tuple[int, ...] | None] = [None]  # the thresholds to restore
_GC_USERS = [0]


@contextlib.contextmanager
def young_collections_only() -> Iterator[None]:
    """Pause the garbage collector's full (oldest-generation) collections for the block.

    A simulation keeps every trial and evaluation it made alive until it ends, so each full
    collection traverses all of them: a run of 175,000 evaluations spent over a quarter of its
    time in about ten of them. The young generations are still collected (cyclic garbage made
    by the method is freed as before); the thresholds are restored when the last simulation
    running in the process ends. Nothing observable but the time changes.
    """
    with _GC_LOCK:
        if _GC_USERS[0] == 0:
            thresholds = gc.get_threshold()
            _GC_STATE[0] = thresholds
            if len(thresholds) >= 3 and thresholds[0] > 0:
                gc.set_threshold(thresholds[0], thresholds[1], 2**30)
        _GC_USERS[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_USERS[0] -= 1
            restore = _GC_STATE[0]
            if _GC_USERS[0] == 0 and restore is not None:
                gc.set_threshold(*restore)
                _GC_STATE[0] = None


def _limits(budget: Budget) -> tuple[float, float, float]:
    """Evaluations, fidelity and seconds at which ``budget`` is reached (as :meth:`Budget.exhausted`)."""
    return (
        budget.amount if budget.kind is BudgetKind.EVALUATIONS else _NO_LIMIT,
        budget.amount if budget.kind is BudgetKind.FIDELITY else _NO_LIMIT,
        budget.amount if budget.kind is BudgetKind.SECONDS else _NO_LIMIT,
    )


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
        self.now = 0.0
        self.started = 0
        self.fidelity_started = 0.0
        # wall seconds in the method, in the benchmark (evaluations, in-loop reference values), in the loop
        self.method_seconds = self.benchmark_seconds = self.run_seconds = 0.0
        self._noise = np.random.default_rng(noise_seed)
        self._seeds: list[int] = []
        self._free = list(range(workers))  # a heap: the lowest free worker id starts next
        self._running: list[_Event] = []  # a heap ordered by end time, then start order
        self._done: list[_Event] = []  # completions, in completion order
        self._completed: list[Completed] = []  # Completed values built so far (a prefix of _done)
        self._saved: dict[str, _Saved] = {}
        # reference values of _done[:_referenced], asked for during the run in chunks
        self._references: list[np.ndarray] = []
        self._referenced = 0
        self._chunked = benchmark.chunked_references
        if budget.kind not in (BudgetKind.EVALUATIONS, BudgetKind.FIDELITY, BudgetKind.SECONDS):
            raise ValueError(f"unsupported budget kind {budget.kind}")
        self._max_started, self._max_fidelity, self._max_seconds = _limits(budget)

    @property
    def completed(self) -> list[Completed]:
        """The finished evaluations, in completion order (the simulation's own list: do not modify)."""
        built, done = self._completed, self._done
        if len(built) < len(done):
            built.extend(
                Completed(
                    trial=trial,
                    evaluation=evaluation,
                    fidelity=fidelity,
                    start=start,
                    end=end,
                    worker=worker,
                    resumed_fidelity=resumed,
                )
                for end, _, worker, start, fidelity, resumed, trial, evaluation, _, _ in done[len(built) :]
            )
        return built

    @property
    def checkpoints(self) -> Mapping[str, Checkpoint]:
        """The training states kept for continuation, by name (a read-only live view)."""
        return _Checkpoints(self._saved)

    def columns(self) -> CompletedColumns:
        """The finished evaluations as columns, in completion order (no per-evaluation objects)."""
        done = self._done
        if not done:
            empty = np.empty(0)
            return CompletedColumns(
                trials=[],
                evaluations=[],
                fidelity=empty,
                start=empty,
                end=empty,
                worker=np.empty(0, dtype=np.int64),
                resumed_fidelity=empty,
            )
        n = len(done)

        def column(field: int, dtype: type) -> np.ndarray:
            return np.fromiter(map(itemgetter(field), done), dtype=dtype, count=n)

        resumed = list(map(itemgetter(5), done))  # None unless continued (usually none: one count)
        return CompletedColumns(
            trials=list(map(itemgetter(6), done)),
            evaluations=list(map(itemgetter(7), done)),
            fidelity=column(4, float),
            start=column(3, float),
            end=column(0, float),
            worker=column(2, np.int64),
            resumed_fidelity=np.full(n, math.nan)
            if resumed.count(None) == n
            else np.fromiter((math.nan if r is None else r for r in resumed), dtype=float, count=n),
        )

    def reference_values(self) -> np.ndarray:
        """The benchmark's evaluated reference values of the completed evaluations, in order.

        :meth:`~hpobench.contracts.benchmark.Benchmark.evaluated_reference_values` of the completed
        evaluations' configurations, in completion order, shape ``(n, n_objectives)``.

        For a benchmark with :attr:`~hpobench.contracts.benchmark.Benchmark.chunked_references`, a run asks
        for them every :data:`_REFERENCE_CHUNK` completions (while the benchmark's caches still
        hold those configurations) and this call asks only for the rest; otherwise all are asked
        for at once. The values are the same either way. A benchmark that raised for a chunk
        during the run is asked again here, for everything, so that its error surfaces here.

        Raises:
            Exception: Whatever the benchmark raised.
        """
        n_objectives = len(self.benchmark.task.objectives)
        done = self._done
        if not done:
            return np.full((0, n_objectives), np.nan)
        if self._referenced < len(done):
            self._add_references(len(done))
        return np.concatenate(self._references).reshape(len(done), n_objectives)

    def _add_references(self, upto: int) -> None:
        configs = [event[6].config for event in self._done[self._referenced : upto]]
        values = np.asarray(self.benchmark.evaluated_reference_values(configs), dtype=float)
        self._references.append(values.reshape(len(configs), -1))
        self._referenced = upto

    def _reference_chunk(self) -> float:
        """Ask for the reference values of the last chunk of completions (during a run); its seconds."""
        start = time.perf_counter()
        try:
            self._add_references(len(self._done))
        except Exception:  # asked again by reference_values, where the error belongs
            self._chunked = False
            self._references, self._referenced = [], 0
        return time.perf_counter() - start

    def _next_seed(self) -> int:
        if not self._seeds:  # refilled in place: the event loop holds the list
            self._seeds.extend(self._noise.integers(2**63 - 1, size=_SEED_BLOCK).tolist()[::-1])
        return int(self._seeds.pop())

    def _evaluate(self, trials: list[Trial], seed: int) -> Sequence[Evaluation]:
        try:
            return self.benchmark.evaluate(trials, seed=seed)
        except (InvalidConfigError, InvalidFidelityError) as exc:
            raise MethodError(f"the method proposed an invalid trial: {exc}") from exc

    def _resume(self, trial: Trial, name: str, fidelity: float) -> tuple[Evaluation, float, float, int]:
        """Evaluate a continuation; return (told evaluation, full cost, checkpoint fidelity, its seed)."""
        if not self.continuation:
            raise MethodError(
                f"the method asked to resume checkpoint {name!r}, but {self.benchmark.task.name!r} "
                "does not support continuation (Task.continuation is False)"
            )
        saved = self._saved.get(name)
        if saved is None:
            raise MethodError(
                f"the method asked to resume checkpoint {name!r}, which no completed trial saved "
                "(trials in flight and failed trials save none)"
            )
        config, ck_fidelity, seed, ck_cost = saved
        if not fidelity > ck_fidelity:
            raise MethodError(
                f"a trial resuming checkpoint {name!r} must ask for a fidelity above its {ck_fidelity:g}, "
                f"got {fidelity:g}"
            )
        if trial.config is config or trial.config == config:
            evaluation = self._evaluate([trial], seed)[0]
            base = ck_cost
        else:  # a copied state with changed hyperparameters (PBT): cost of the new config
            evaluation, before = self._evaluate(
                [trial, Trial(config=trial.config, fidelity=ck_fidelity)], seed
            )
            base = float(before.cost)
        full = float(evaluation.cost)
        # dataclasses.replace(evaluation, cost=...), sharing its read-only values and extras
        return Evaluation._recosted(evaluation, max(0.0, full - base)), full, ck_fidelity, seed

    def _cap_error(self, now: float) -> BudgetError:
        return BudgetError(
            f"the run reached the cap of {self.max_evaluations:,} evaluations after "
            f"{now:g} simulated seconds, before its budget of {self.budget} was spent; "
            "give a smaller budget"
        )

    def run(self) -> None:
        """Run until the budget is reached and every started trial has completed.

        Raises:
            MethodError: The method stalled, proposed an invalid trial or resumed a checkpoint it
                may not resume.
            BudgetError: The cap on evaluations was reached before the budget.
            Exception: Whatever the method's ``ask``/``tell`` raised.
        """
        with young_collections_only():
            self._loop()

    def _loop(self) -> None:
        """The event loop of :meth:`run`.

        While a worker is free and the budget is not reached: ask the method for a trial (``None``:
        wait), evaluate it (or resume its checkpoint) with the next noise seed and put its completion
        on the running heap. Then pop the earliest completion, advance the clock, free its worker,
        save its checkpoint and tell the method. Look-ups are hoisted out of the loop and counters
        kept in locals, written back (with the loop's wall time, added to ``run_seconds``) however
        the loop ends, so a run that raises leaves them as they were at the failure.
        """
        free, running, done, saved, seeds = self._free, self._running, self._done, self._saved, self._seeds
        ask, tell = self.method.ask, self.method.tell
        # benchmark.evaluate, or the same answers with promised trials batched ahead (ahead.py)
        left = self._max_started - self.started
        evaluate = evaluator(method=self.method, benchmark=self.benchmark, left=left)
        clock, push, pop = time.perf_counter, heapq.heappush, heapq.heappop
        begun = clock()
        max_started, max_fidelity, max_seconds = self._max_started, self._max_fidelity, self._max_seconds
        high, cap = self.high, self.max_evaluations
        chunk = _REFERENCE_CHUNK if self._chunked else 0
        next_chunk: float = self._referenced + chunk
        started, fidelity_started, now = self.started, self.fidelity_started, self.now
        method_seconds, benchmark_seconds = self.method_seconds, self.benchmark_seconds
        try:
            while True:
                while free and not (
                    started >= max_started or fidelity_started >= max_fidelity or now >= max_seconds
                ):
                    if started >= cap:
                        raise self._cap_error(now)
                    t0 = clock()
                    trial = ask()
                    t1 = clock()
                    method_seconds += t1 - t0
                    if trial is None:
                        if not running:
                            raise MethodError(
                                "ask() returned None with no trial in flight (the method stalled)"
                            )
                        break
                    if type(trial) is not Trial and not isinstance(trial, Trial):
                        raise MethodError(f"ask() must return a Trial, got {type(trial).__name__}")
                    seed = seeds.pop() if seeds else self._next_seed()
                    fidelity = trial.fidelity
                    if fidelity is None:
                        fidelity = high
                    resumed: float | None = None
                    if trial.resume_from is None:
                        try:
                            evaluation = evaluate([trial], seed=seed)[0]
                        except (InvalidConfigError, InvalidFidelityError) as exc:
                            raise MethodError(f"the method proposed an invalid trial: {exc}") from exc
                        full = float(evaluation.cost)
                        cost = full
                    else:
                        evaluation, full, resumed, seed = self._resume(trial, trial.resume_from, fidelity)
                        cost = float(evaluation.cost)
                    benchmark_seconds += clock() - t1
                    push(
                        running,
                        (
                            now + cost,
                            started,
                            pop(free),
                            now,
                            fidelity,
                            resumed,
                            trial,
                            evaluation,
                            full,
                            seed,
                        ),
                    )
                    started += 1
                    fidelity_started += (fidelity - (resumed or 0.0)) / high
                if not running:
                    return
                event = pop(running)
                done.append(event)
                now = event[0]
                push(free, event[2])
                trial, evaluation = event[6], event[7]
                if trial.checkpoint is not None and evaluation.status is _OK:
                    saved[trial.checkpoint] = (trial.config, event[4], event[9], event[8])
                t0 = clock()
                tell(evaluation)
                method_seconds += clock() - t0
                if chunk and len(done) >= next_chunk:
                    benchmark_seconds += self._reference_chunk()  # the benchmark's time too
                    next_chunk = len(done) + chunk if self._chunked else math.inf
        finally:
            self.started, self.fidelity_started, self.now = started, fidelity_started, now
            self.method_seconds, self.benchmark_seconds = method_seconds, benchmark_seconds
            self.run_seconds += clock() - begun
