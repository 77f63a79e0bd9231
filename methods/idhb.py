"""Iterative Deepening Hyperband (Brandt, Wever, Iliadis, Bengs & Hüllermeier, 2023)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Evaluation, Task, Trial
from hpobench.methods._brackets import (
    Bracket,
    hyperband_brackets,
    max_bracket_index,
    resolve_fidelity_range,
    rung_fidelities,
    validate_eta,
)
from hpobench.methods._pending import PendingTrials, loss_of

__all__ = ["IDHB", "VARIANTS", "idhb_max_fidelities"]

VARIANTS = ("preserving", "discarding")
"""How a grown bracket treats configurations promoted by its predecessor (see :class:`IDHB`)."""


def idhb_max_fidelities(*, eta: float, start: float, cap: float, n: int) -> tuple[float, ...]:
    """The maximal fidelities of the first ``n`` iterations: ``min(start * eta**t, cap)``."""
    return tuple(min(start * eta**t, cap) for t in range(n))


@dataclass(kw_only=True)
class _BracketRun:
    bracket: Bracket
    iteration: int
    members: list[list[int]] = field(default_factory=list)  # config indices per rung so far


class IDHB(Method):
    """Iterative Deepening Hyperband: Hyperband whose maximal fidelity grows by ``eta`` per iteration.

    Iteration ``t`` runs Hyperband's brackets (``s = s_max(t)..0``) up to the maximal fidelity
    ``R_t = min(start_max_fidelity * eta**t, max_fidelity)``. Growing ``R`` by ``eta`` adds one rung on
    top of every bracket and one new bracket: bracket ``s + 1`` of iteration ``t + 1`` starts at the
    fidelity where bracket ``s`` of iteration ``t`` started, so it *continues* that bracket instead of
    starting over (the incremental idea of the paper):

    - its first rung holds the predecessor's configurations plus freshly sampled ones up to
      Hyperband's larger ``n`` (new configurations fill the bigger first rung);
    - on each rung, results already known at that fidelity are reused, never re-evaluated;
    - promotion keeps ``n_{i+1}`` configurations: ``variant="preserving"`` keeps every
      configuration the predecessor promoted and fills the remaining slots with the best others
      (the paper's preserving variant, which keeps Hyperband's guarantees), ``"discarding"``
      re-ranks all and keeps the best ``n_{i+1}`` (earlier promotions may be dropped);
    - the new bracket ``s = 0`` samples fresh configurations at ``R_{t+1}``.

    Once ``R_t`` has reached ``max_fidelity``, later iterations are plain Hyperband rounds with
    fresh configurations. Rungs are synchronous (``ask`` returns ``None`` while a rung waits for
    results); failed evaluations rank last. Tags are ``"iteration=t,bracket=s,rung=i"``.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator that samples configurations.
        eta: Halving and growth rate, a number ``>= 2``.
        min_fidelity: Smallest fidelity; ``None`` for the task's lowest fidelity.
        max_fidelity: Cap of the growing maximal fidelity; ``None`` for the task's maximal fidelity.
        start_max_fidelity: Maximal fidelity of the first iteration; ``None`` for
            ``max_fidelity * eta**-(s_max - 1)`` (``s_max = floor(log_eta(max_fidelity /
            min_fidelity))``), the second rung of Hyperband's full grid, so that every iteration
            uses the fidelities of that grid and the last growth step lands exactly on
            ``max_fidelity``.
        variant: ``"preserving"`` or ``"discarding"`` (see above).

    Raises:
        ValueError: A hyperparameter is invalid or the task has no fidelity.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(multi_fidelity=True, requires_fidelity=True)

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        eta: float = 3,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
        start_max_fidelity: float | None = None,
        variant: str = "preserving",
    ) -> None:
        super().__init__(task, seed=seed)
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        self.start_max_fidelity = start_max_fidelity
        self.variant = variant
        self._eta = validate_eta(eta)
        fid, self._r_min, self._cap = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        self._integer = fid.integer
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if start_max_fidelity is None:
            s_max = max_bracket_index(self._eta, self._r_min, self._cap)
            start = rung_fidelities(
                s_max + 1, eta=self._eta, r_min=self._r_min, r_max=self._cap, integer=fid.integer
            )[min(1, s_max)]
        else:
            _, _, start = resolve_fidelity_range(task, self._r_min, start_max_fidelity)
        self._start = start
        self._rng = np.random.default_rng(seed)
        self._codec = SpaceCodec(task.space)
        self._configs: list[dict[str, Any]] = []
        self._known: dict[tuple[int, float], float] = {}  # (config index, fidelity) -> loss
        self._iteration = -1
        self._queue: list[Bracket] = []  # brackets of the current iteration still to run
        self._previous: dict[int, _BracketRun] = {}  # s -> finished bracket of the last iteration
        self._finished: dict[int, _BracketRun] = {}  # s -> finished bracket of this iteration
        self._grows = False
        self._run: _BracketRun | None = None
        self._to_issue: list[int] = []
        self._waiting = 0
        self._pending: PendingTrials[int] = PendingTrials("IDHB")

    def max_fidelity_of(self, iteration: int) -> float:
        """Maximal fidelity ``R_t`` of iteration ``t``."""
        r = min(self._start * self._eta**iteration, self._cap)
        if r > self._cap * (1 - 1e-9):
            return self._cap
        if self._integer:
            r = min(float(math.floor(r + 0.5)), self._cap)
        return r

    def _sample(self, n: int) -> list[int]:
        first = len(self._configs)
        self._configs.extend(self._codec.sample(self._rng, n))
        return list(range(first, first + n))

    def _next_bracket(self) -> _BracketRun:
        if not self._queue:
            self._iteration += 1
            r_prev = self.max_fidelity_of(self._iteration - 1) if self._iteration else None
            r_max = self.max_fidelity_of(self._iteration)
            self._grows = r_prev is not None and r_max > r_prev
            self._previous, self._finished = self._finished, {}
            self._queue = list(
                hyperband_brackets(eta=self._eta, r_min=self._r_min, r_max=r_max, integer=self._integer)
            )
        bracket = self._queue.pop(0)
        run = _BracketRun(bracket=bracket, iteration=self._iteration)
        n = bracket.rungs[0].n_configs
        parent = self._previous.get(bracket.s - 1) if self._grows else None
        reused = list(parent.members[0][:n]) if parent is not None else []
        run.members.append(reused + self._sample(n - len(reused)))
        return run

    def _promote(self, run: _BracketRun) -> list[int]:
        rung = len(run.members)
        below = run.members[-1]
        fidelity = run.bracket.rungs[rung - 1].fidelity
        k = run.bracket.rungs[rung].n_configs
        ranked = sorted(below, key=lambda c: (self._known.get((c, fidelity), math.inf), c))
        parent = self._previous.get(run.bracket.s - 1) if self._grows else None
        if self.variant == "preserving" and parent is not None and rung < len(parent.members):
            kept = [c for c in parent.members[rung] if c in set(below)][:k]
            return kept + [c for c in ranked if c not in set(kept)][: k - len(kept)]
        return ranked[:k]

    def _advance(self) -> None:
        """Move to the next rung (or bracket) until some configuration needs an evaluation."""
        while not self._to_issue and not self._waiting:
            run = self._run
            if run is None or len(run.members) == len(run.bracket.rungs):
                if run is not None:
                    self._finished[run.bracket.s] = run
                run = self._run = self._next_bracket()
            else:
                run.members.append(self._promote(run))
            fidelity = run.bracket.rungs[len(run.members) - 1].fidelity
            self._to_issue = [c for c in run.members[-1] if (c, fidelity) not in self._known]

    def ask(self) -> Trial | None:
        """The next evaluation of the current rung; ``None`` while the rung waits for results."""
        self._advance()
        if not self._to_issue:
            return None
        run = self._run
        assert run is not None  # _advance always leaves a bracket running
        index = self._to_issue.pop(0)
        rung = len(run.members) - 1
        self._waiting += 1
        trial = Trial(
            config=self._configs[index],
            fidelity=run.bracket.rungs[rung].fidelity,
            tag=f"iteration={run.iteration},bracket={run.bracket.s},rung={rung}",
        )
        return self._pending.add(trial, index)

    def tell(self, evaluation: Evaluation) -> None:
        """Record a result (failed or NaN results count as ``+inf`` loss).

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        index = self._pending.pop(evaluation.trial)
        fidelity = evaluation.trial.fidelity
        assert fidelity is not None  # IDHB always sets the fidelity
        self._known[(index, float(fidelity))] = loss_of(evaluation, self.task)
        self._waiting -= 1
