"""Trials a method promises ahead, answered in one batch on a benchmark whose seed changes nothing.

A method may list the trials its later asks will return (:meth:`Method.upcoming`: a rung of
successive halving, a buffer of random samples, ASHA's next new configurations). On a benchmark
that declares its answers independent of the seed (:attr:`Benchmark.seed_free`: YAHPO's models),
the simulator then evaluates the trial just asked together with the promised ones, in one call,
and answers the promised trials from that batch when they are asked. A batched model answers a
row for a fraction of a single query's cost (YAHPO lcbench: 16 us a row in a batch of 500, about
150 us alone), and its answer for a row does not depend on the batch (the Benchmark contract),
so the run's evaluations are the same, bit for bit.

Other trials may be asked between the promised ones (ASHA's promotions): they are evaluated on
their own. A broken promise costs only time: when a promised trial is asked before the one
promised ahead of it, the rest of the promise is dropped (evaluated for nothing); so is a promise
none of whose trials comes in :data:`MOST_AHEAD` asks in a row. After a batch that raises, the run is
answered trial by trial, so an invalid trial fails the run where it is asked, as without a batch.
Promised trials that are never asked (the budget ran out) were evaluated for nothing: at most
:data:`MOST_AHEAD` are evaluated ahead at once, and no more than the evaluations the budget has
left.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import MethodError
from hpobench.contracts.method import Method
from hpobench.contracts.types import Evaluation, Trial

__all__ = ["MOST_AHEAD", "Ahead", "evaluator"]

MOST_AHEAD = 256
"""Most promised trials evaluated ahead at once (one onnxruntime chunk of a YAHPO model)."""

Evaluate = Callable[..., Sequence[Evaluation]]
"""``benchmark.evaluate``'s signature: ``(trials, *, seed) -> evaluations``."""


class Ahead:
    """``evaluate`` for the simulator's loop that answers promised trials from earlier batches.

    Args:
        method: The run's method (its :meth:`~Method.upcoming` is asked after each new trial).
        benchmark: A benchmark with ``seed_free`` set.
        left: Evaluations the budget allows from now on (``math.inf`` without such a limit).
    """

    def __init__(self, *, method: Method, benchmark: Benchmark, left: float) -> None:
        self._upcoming = method.upcoming
        self._evaluate: Evaluate = benchmark.evaluate
        self._queue: deque[tuple[Trial, Evaluation]] = deque()
        self._queued: set[int] = set()  # ids of the queue's trials (the queue keeps them alive)
        self._between = 0  # asks since the queue's head was last answered
        self._left = left

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> Sequence[Evaluation]:
        """:meth:`Benchmark.evaluate` of the trials, a promised one answered from its batch."""
        if len(trials) != 1:
            return self._evaluate(trials, seed=seed)
        self._left -= 1
        trial = trials[0]
        queue = self._queue
        if queue:
            if queue[0][0] is trial:
                self._between = 0
                self._queued.discard(id(trial))
                return [queue.popleft()[1]]
            self._between += 1
            if id(trial) not in self._queued and self._between <= MOST_AHEAD:  # between promised ones
                return self._evaluate(trials, seed=seed)
            # a promised trial out of its order, or none for too long: the promise is not trusted
            queue.clear()
            self._queued.clear()
            self._between = 0
        promised = self._promised(trial)
        if not promised:
            return self._evaluate(trials, seed=seed)
        try:
            answers = list(self._evaluate([trial, *promised], seed=seed))
        except Exception:  # the error belongs to the trial that causes it, when it is asked
            self._left = 0  # and the rest of the run is evaluated trial by trial
            return self._evaluate(trials, seed=seed)
        queue.extend(zip(promised, answers[1:], strict=True))
        self._queued.update(map(id, promised))
        return answers[:1]

    def _promised(self, trial: Trial) -> list[Trial]:
        """The promised trials after ``trial`` that the budget may still ask (distinct objects).

        Raises:
            MethodError: The method's ``upcoming()`` raised.
        """
        most = min(MOST_AHEAD, self._left)
        if most < 1:
            return []
        promised: list[Trial] = []
        seen = {id(trial)}
        try:
            listed = self._upcoming()
        except Exception as exc:  # plugin code: fails the run as a raising ask() does
            raise MethodError(f"upcoming() raised {type(exc).__name__}: {exc}") from exc
        for item in listed:
            if len(promised) >= most or not isinstance(item, Trial) or id(item) in seen:
                break
            if item.resume_from is not None:  # a continuation is evaluated from its checkpoint
                break
            seen.add(id(item))
            promised.append(item)
        return promised


def evaluator(*, method: Method, benchmark: Benchmark, left: float = math.inf) -> Evaluate:
    """The ``evaluate`` a run's loop calls: promised trials batched ahead where the seed changes nothing.

    ``benchmark.evaluate`` itself unless the benchmark is ``seed_free`` and the method overrides
    :meth:`Method.upcoming`.
    """
    if benchmark.seed_free is not True or type(method).upcoming is Method.upcoming:
        return benchmark.evaluate
    return Ahead(method=method, benchmark=benchmark, left=left).evaluate
