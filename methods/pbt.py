"""Population-based training (Jaderberg et al., "Population Based Training of Neural Networks", 2017).

Asynchronous PBT on tasks that support continuation (``Task.continuation``): a population of
members trains in steps of ``step`` fidelity units, each step continuing the member's checkpoint
(``Trial.resume_from``), so the runner charges only the extra cost of each step.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.errors import IncompatibleError
from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.space import SpaceCodec, to_python
from hpobench.contracts.types import Config, Evaluation, Status, Task, Trial
from hpobench.methods._model import check_number
from hpobench.methods._pending import PendingTrials, loss_of

__all__ = ["PBT"]


@dataclass(kw_only=True)
class _Member:
    """One slot of the population: the state it last reached (mutable book-keeping)."""

    config: dict[str, Any]
    checkpoint: str | None = None  # name of its latest completed OK state
    fidelity: float = 0.0  # fidelity of that state
    loss: float | None = None  # its latest result (+inf if failed); None: no result yet
    generation: int = 0


class PBT(Method):
    """Asynchronous population-based training with truncation selection.

    Lifecycle: ``population_size`` members start from configurations sampled from the prior.
    Whenever a member is idle, :meth:`ask` trains it by one *step*: from its checkpoint at
    fidelity ``f`` to ``min(f + step, max)`` (the first step from scratch to ``low + step``).
    Before each step the member is ranked among the population by its latest result
    (``(loss, slot)``; failed results count as ``+inf``). If it is in the bottom ``quantile``
    (of at least two ranked members), it *exploits*: it copies the checkpoint and configuration
    of a member drawn uniformly from the top ``quantile`` (with a finite loss), and *explores*:
    each hyperparameter is resampled from the prior with probability ``resample_probability``,
    otherwise perturbed — floats and integers multiplied by one of ``perturbation_factors``
    (drawn uniformly; integers rounded; both clipped to their bounds), ordinals moved one value
    down or up (the lower or higher factor), categoricals kept. A perturbed configuration that
    violates the space's conditions is replaced by a prior sample. Otherwise the member
    continues its own checkpoint unchanged. A member whose last step failed and that cannot
    exploit restarts from scratch with a prior sample. A member that reaches the maximal
    fidelity retires and its slot restarts from scratch with a prior sample, so the method keeps
    proposing until the run's budget ends.

    Continuation: each step saves its state under a fresh checkpoint name ``"pbt-<n>"``; the
    runner evaluates a continued step under the checkpoint's seed and charges
    ``cost(new config, f + step) - cost(new config, f)`` (see ``Trial.resume_from``). On tabular
    tasks the answer for a changed configuration is the table's value of the new configuration,
    the usual approximation of simulated PBT.

    Asynchrony: up to ``population_size`` trials are in flight; with more workers than members
    :meth:`ask` returns ``None`` until a member is idle. Tags are
    ``"member=<slot>,gen=<g>"`` plus ``",exploit=<donor slot>"`` or ``",new"``.

    Args:
        task: The task; it must have a fidelity and support continuation.
        seed: Seed of the private generator (prior samples, donors, perturbations).
        population_size: Number of members, at least 2.
        step: Fidelity added per step; ``None`` for a tenth of the fidelity range (rounded up
            to an integer for integer fidelities).
        quantile: Fraction of the ranked population in the top and bottom groups, in
            ``(0, 0.5]``; at least one member each.
        resample_probability: Probability, per hyperparameter, of resampling instead of
            perturbing, in ``[0, 1]``.
        perturbation_factors: The two multiplicative factors, lower then higher (positive).

    Raises:
        ValueError: A hyperparameter is invalid, or the task has no fidelity or no continuation.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_fidelity=True,
        requires_fidelity=True,
        asynchronous=True,
        continuation=True,
        requires_continuation=True,
    )

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        population_size: int = 8,
        step: float | None = None,
        quantile: float = 0.25,
        resample_probability: float = 0.25,
        perturbation_factors: Sequence[float] = (0.8, 1.2),
    ) -> None:
        super().__init__(task, seed=seed)
        self.population_size = population_size
        self.step = step
        self.quantile = quantile
        self.resample_probability = resample_probability
        self.perturbation_factors = perturbation_factors
        reason = self.capabilities.incompatibility(task)
        if reason is not None:
            raise IncompatibleError(f"PBT cannot run on {task.name!r}: {reason}")
        fid = task.fidelity
        assert fid is not None  # checked by incompatibility()
        check_number("population_size", population_size, low=2, integer=True)
        check_number("quantile", quantile, low=0.0, high=0.5)
        if quantile <= 0:
            raise ValueError(f"quantile must be in (0, 0.5], got {quantile!r}")
        check_number("resample_probability", resample_probability, low=0.0, high=1.0)
        factors = tuple(perturbation_factors)
        if len(factors) != 2:
            raise ValueError(f"perturbation_factors must be two numbers, got {perturbation_factors!r}")
        for f in factors:
            check_number("a perturbation factor", f, low=0.0)
        if not 0 < float(factors[0]) < float(factors[1]):
            raise ValueError(f"perturbation_factors must be 0 < lower < higher, got {perturbation_factors!r}")
        span = fid.high - fid.low
        if step is None:
            resolved = span / 10 if span > 0 else 1.0
            resolved = float(max(1, math.ceil(resolved - 1e-9))) if fid.integer else resolved
        else:
            check_number("step", step, low=0.0, integer=fid.integer)
            resolved = float(step)
            if resolved <= 0:
                raise ValueError(f"step must be positive, got {step!r}")
        self._step = resolved
        self._low, self._high = float(fid.low), float(fid.high)
        self._factors = (float(factors[0]), float(factors[1]))
        self._rng = np.random.default_rng(seed)
        self._codec = SpaceCodec(task.space)
        self._members: list[_Member] = []
        self._idle: deque[int] = deque(range(int(population_size)))
        self._n_trials = 0
        self._pending: PendingTrials[tuple[int, str]] = PendingTrials("PBT")

    # ---------------------------------------------------------------------------------------
    # ask / tell

    def ask(self) -> Trial | None:
        """Train the next idle member by one step (exploiting/exploring first if it ranks low).

        Returns ``None`` while every member has a trial in flight.
        """
        if not self._idle:
            return None
        slot = self._idle.popleft()
        if slot == len(self._members):  # the first step of the initial population
            self._members.append(_Member(config=self._sample()))
        member = self._members[slot]
        donor = self._donor(slot) if member.loss is not None else None
        if donor is not None:
            source = self._members[donor]
            config, resume, start = self._explore(source.config), source.checkpoint, source.fidelity
            tag = f"member={slot},gen={source.generation + 1},exploit={donor}"
            member.generation = source.generation
        elif member.checkpoint is not None:
            config, resume, start = member.config, member.checkpoint, member.fidelity
            tag = f"member={slot},gen={member.generation + 1}"
        else:  # a fresh member, a retired slot, or a failed member with nobody to copy
            if member.generation > 0:  # not the initial sample: start a new member in the slot
                member.config, member.loss, member.generation = self._sample(), None, 0
            config, resume, start = member.config, None, self._low
            tag = f"member={slot},gen=1,new"
        fidelity = min(self._high, (start if resume is not None else self._low) + self._step)
        name = f"pbt-{self._n_trials}"
        self._n_trials += 1
        trial = Trial(config=config, fidelity=fidelity, tag=tag, checkpoint=name, resume_from=resume)
        return self._pending.add(trial, (slot, name))

    def tell(self, evaluation: Evaluation) -> None:
        """Record a member's step: its new state, or its failure.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        slot, name = self._pending.pop(evaluation.trial)
        trial = evaluation.trial
        member = self._members[slot]
        member.config = dict(trial.config)
        member.generation += 1
        member.loss = loss_of(evaluation, self.task)
        fidelity = self._high if trial.fidelity is None else float(trial.fidelity)
        if evaluation.status is Status.OK and fidelity < self._high:
            member.checkpoint, member.fidelity = name, fidelity
        else:  # failed (no state saved) or finished: the slot restarts unless it can exploit
            member.checkpoint, member.fidelity = None, 0.0
            if fidelity >= self._high:
                member.loss = None  # retired: unranked until its new member reports
        self._idle.append(slot)

    # ---------------------------------------------------------------------------------------
    # selection and perturbation

    def _donor(self, slot: int) -> int | None:
        ranked = sorted(
            (m.loss, i) for i, m in enumerate(self._members) if m.loss is not None
        )  # ties: the lower slot
        n = len(ranked)
        if n < 2:
            return None
        k = max(1, math.floor(float(self.quantile) * n + 1e-9))
        if slot not in {i for _, i in ranked[n - k :]}:
            return None
        top = [i for loss, i in ranked[:k] if math.isfinite(loss) and self._members[i].checkpoint is not None]
        top = [i for i in top if i != slot]
        if not top:
            return None
        return top[int(self._rng.integers(len(top)))]

    def _sample(self) -> dict[str, Any]:
        return self._codec.sample(self._rng, 1)[0]

    def _explore(self, config: Config) -> dict[str, Any]:
        prior = self._sample()
        out: dict[str, Any] = {}
        space = self.task.space
        for name in space:
            if name not in config:
                continue
            if self._rng.random() < float(self.resample_probability):
                if name in prior:
                    out[name] = prior[name]
                continue
            higher = bool(self._rng.integers(2))
            out[name] = self._perturb(space[name], config[name], higher)
        if not self._codec.is_valid(out):
            return prior
        return out

    def _perturb(self, hp: Any, value: Any, higher: bool) -> Any:
        factor = self._factors[1] if higher else self._factors[0]
        if isinstance(hp, CS.UniformFloatHyperparameter):
            return float(min(max(float(value) * factor, float(hp.lower)), float(hp.upper)))
        if isinstance(hp, CS.UniformIntegerHyperparameter):
            return int(min(max(round(float(value) * factor), int(hp.lower)), int(hp.upper)))
        if isinstance(hp, CS.OrdinalHyperparameter):
            sequence = [to_python(v) for v in hp.sequence]
            i = sequence.index(to_python(value))
            return sequence[min(max(i + (1 if higher else -1), 0), len(sequence) - 1)]
        return value  # categoricals and constants are kept (resampled only by resample_probability)
