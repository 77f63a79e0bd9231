"""The freeze-thaw loop shared by learning-curve methods (DyHPO, DPL, the freeze-thaw baseline).

A pool holds every configuration that was started plus a block of random candidates not started
yet. Each started configuration keeps its observed partial learning curve. Every :meth:`ask`
scores the configurations that can advance (started, not in flight, not failed, below the
maximal fidelity) and the candidates by a subclass's acquisition over its curve model, and
advances the best one by one fidelity step: a started configuration continues its checkpoint
(``Trial.resume_from``) where the task supports continuation and is retrained from scratch at
the next step otherwise; a candidate starts at the first step.

Fidelity steps: ``b_k = low + k * step`` for ``k = 0, 1, ...`` with the last step clipped to
``high``; ``step`` defaults to the task's minimal fidelity ``low`` when that gives at most
``max_steps`` steps (one epoch on epoch-indexed curve tasks), else ``(high - low) / (max_steps - 1)``;
integer fidelities round the step up to an integer.

Curve values: a result's loss (``sign * value``, see :func:`loss_of`) is mapped to
``y in [0, 1]``, higher is better, by min-max scaling over every finite loss observed so far
(recomputed at each decision, as ifBO does; a method cannot see the benchmark's reference
range); failed results get ``y = 0``. Budgets are given to models as ``t = b / high in (0, 1]``.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from hpobench.contracts.errors import IncompatibleError
from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.types import Evaluation, Trial
from hpobench.methods._encoding import Encoding
from hpobench.methods._model import check_number
from hpobench.methods._pending import PendingTrials, loss_of

__all__ = ["CurveData", "FreezeThawMethod", "expected_improvement_max", "fidelity_steps", "normalise_losses"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def fidelity_steps(*, low: float, high: float, integer: bool, max_steps: int) -> tuple[float, ...]:
    """The fidelity grid of the freeze-thaw loop (see the module docstring).

    Args:
        low: The task's lowest fidelity (``> 0``).
        high: The task's maximal fidelity (``>= low``).
        integer: Whether fidelities must be integers.
        max_steps: Largest number of steps (``>= 2``).

    Returns:
        Increasing fidelities from ``low`` to ``high``, both included (one value if equal).
    """
    if high <= low:
        return (float(high),)
    step = low if (high - low) / low + 1 <= max_steps else (high - low) / (max_steps - 1)
    if integer:
        step = float(max(1, math.ceil(step - 1e-9)))
    n = math.ceil((high - low) / step - 1e-9)
    out = [min(low + k * step, high) for k in range(n)]
    return (*out, float(high))


def expected_improvement_max(mean: FloatArray, std: FloatArray, best: FloatArray | float) -> FloatArray:
    """Expected improvement above ``best`` (maximisation) of normal predictions; ``std`` floored at 1e-9."""
    s = np.maximum(std, 1e-9)
    z = (mean - best) / s
    return np.asarray(s * (z * ndtr(z) + np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)), dtype=np.float64)


def normalise_losses(losses: FloatArray) -> FloatArray:
    """Map losses to ``[0, 1]``, higher is better, by min-max over the finite ones; ``inf`` -> 0.

    A constant set of finite losses maps to ``0.5``.
    """
    out = np.zeros(losses.shape)
    finite = np.isfinite(losses)
    if not finite.any():
        return out
    lo, hi = float(losses[finite].min()), float(losses[finite].max())
    out[finite] = 0.5 if hi <= lo else (hi - losses[finite]) / (hi - lo)
    return out


@dataclass(frozen=True, kw_only=True)
class CurveData:
    """Everything a curve model sees at one decision.

    Attributes:
        x: Unit-cube encodings of every configuration in the pool, shape ``(n_configs, d)``.
        ids: Configuration index of each observed curve point, shape ``(n,)``.
        steps: Fidelity-step index of each observed point, shape ``(n,)``.
        t: Normalised budget ``b / high`` of each observed point, shape ``(n,)``.
        y: Normalised value (``[0, 1]``, higher is better) of each observed point, shape ``(n,)``.
        budgets: Normalised budget of each step of the grid, shape ``(n_steps,)``.
        query_ids: Configurations that can advance, shape ``(m,)``.
        query_steps: The step each of them would be evaluated at next, shape ``(m,)``.
    """

    x: FloatArray
    ids: IntArray
    steps: IntArray
    t: FloatArray
    y: FloatArray
    budgets: FloatArray
    query_ids: IntArray
    query_steps: IntArray

    def curve(self, config: int) -> FloatArray:
        """The observed values of ``config`` in step order (empty if it has none)."""
        mask = self.ids == config
        out: FloatArray = self.y[mask][np.argsort(self.steps[mask], kind="stable")]
        return out


@dataclass(kw_only=True)
class _Entry:
    """Book-keeping of one configuration of the pool (mutable)."""

    config: dict[str, Any]
    level: int = -1  # last completed step (-1: not started)
    pending: bool = False
    dead: bool = False  # failed: never advanced again


class FreezeThawMethod(Method):
    """Base of freeze-thaw methods: the pool, the fidelity grid, continuation and book-keeping.

    Subclasses implement :meth:`_acquisition`. Asynchronous: a configuration with a trial in
    flight is excluded from the choice, so any number of workers are kept busy (never returns
    ``None``). The first ``n_initial`` trials start random candidates (in the order they were
    sampled), and so does every ask before the first result arrives. Ties of the acquisition go
    to the lowest pool index. Tags are ``"config=i,step=k"``.

    Args:
        task: The task; it must have a fidelity (a single-objective, unconditional space).
        seed: Seed of the private generator (candidates, subclasses' randomness).
        n_candidates: Number of random candidates not started yet kept in the pool.
        n_initial: Number of random starts before the model is used (at least 1).
        max_steps: Largest number of fidelity steps (see :func:`fidelity_steps`).
        continuation: ``None`` (default): continue checkpoints exactly when the task supports
            continuation; ``True``: it must; ``False``: retrain from scratch at every step.

    Raises:
        IncompatibleError: The task has no fidelity or is multi-objective.
        ValueError: A hyperparameter is invalid, the space is conditional, or
            ``continuation=True`` on a task without continuation.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_fidelity=True,
        requires_fidelity=True,
        asynchronous=True,
        continuation=True,
        conditional_spaces=False,
    )
    _prefix: ClassVar[str] = "ft"

    def _setup(
        self,
        *,
        n_candidates: int,
        n_initial: int,
        max_steps: int,
        continuation: bool | None,
    ) -> None:
        task = self.task
        reason = self.capabilities.incompatibility(task)
        if reason is not None:
            raise IncompatibleError(f"{type(self).__name__} cannot run on {task.name!r}: {reason}")
        fid = task.fidelity
        assert fid is not None  # checked by incompatibility()
        check_number("n_candidates", n_candidates, low=1, integer=True)
        check_number("n_initial", n_initial, low=1, integer=True)
        check_number("max_steps", max_steps, low=2, integer=True)
        if continuation not in (None, True, False):
            raise ValueError(f"continuation must be None, True or False, got {continuation!r}")
        if continuation and not task.continuation:
            raise ValueError(f"continuation=True, but {task.name!r} does not support continuation")
        self._resume = task.continuation if continuation is None else bool(continuation)
        self._n_init, self._n_cand = int(n_initial), int(n_candidates)
        self.fidelities = fidelity_steps(
            low=float(fid.low), high=float(fid.high), integer=fid.integer, max_steps=int(max_steps)
        )
        self._budgets = np.asarray(self.fidelities, dtype=np.float64) / float(fid.high)
        self._encoding = Encoding(task.space)
        self._rng = np.random.default_rng(self.seed)
        self._entries: list[_Entry] = []
        self._x = np.zeros((0, self._encoding.onehot_dim))
        self._unstarted: list[int] = []  # candidate indices, in sampling order
        self._ids: list[int] = []
        self._steps: list[int] = []
        self._losses: list[float] = []
        self._started = 0
        self._pending: PendingTrials[tuple[int, int]] = PendingTrials(type(self).__name__)

    # ---------------------------------------------------------------------------------------
    # ask / tell

    def ask(self) -> Trial:
        """Advance the configuration with the best acquisition by one step (never ``None``)."""
        self._refill()
        if self._started < self._n_init or not self._ids:  # no result yet: nothing to model
            index = self._unstarted[0]
        else:
            data = self._data()
            if data.query_ids.size == 0:
                index = self._unstarted[0]
            else:
                scores = np.asarray(self._acquisition(data), dtype=np.float64)
                scores = np.where(np.isfinite(scores), scores, -np.inf)
                index = int(data.query_ids[int(np.argmax(scores))])
        entry = self._entries[index]
        if entry.level < 0:
            self._unstarted.remove(index)
            self._started += 1
        step = entry.level + 1
        entry.pending = True
        fidelity = self.fidelities[step]
        tag = f"config={index},step={step}"
        if self._resume:
            name = f"{self._prefix}-{index}"
            resume = name if entry.level >= 0 else None
            trial = Trial(
                config=entry.config, fidelity=fidelity, tag=tag, checkpoint=name, resume_from=resume
            )
        else:
            trial = Trial(config=entry.config, fidelity=fidelity, tag=tag)
        return self._pending.add(trial, (index, step))

    def tell(self, evaluation: Evaluation) -> None:
        """Record one curve point (failed or NaN results: ``y = 0`` and the configuration stops).

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        index, step = self._pending.pop(evaluation.trial)
        entry = self._entries[index]
        entry.pending = False
        loss = loss_of(evaluation, self.task)
        entry.level = step
        if not math.isfinite(loss):
            entry.dead = True
        self._ids.append(index)
        self._steps.append(step)
        self._losses.append(loss)

    # ---------------------------------------------------------------------------------------
    # the model's view

    @abstractmethod
    def _acquisition(self, data: CurveData) -> FloatArray:
        """Score each of ``data.query_ids`` (advanced to ``data.query_steps``); higher is chosen."""

    def _refill(self) -> None:
        need = self._n_cand - len(self._unstarted)
        if need <= 0:
            return
        xn, xc = self._encoding.sample(self._rng, need)
        configs = self._encoding.decode(xn, xc)
        xs, cs = self._encoding.encode(configs)  # snapped to the space's grid
        start = len(self._entries)
        self._entries.extend(_Entry(config=c) for c in configs)
        self._x = np.vstack([self._x, self._encoding.to_unit(xs, cs)])
        self._unstarted.extend(range(start, start + need))

    def _data(self) -> CurveData:
        last = len(self.fidelities) - 1
        query = [
            (i, e.level + 1)
            for i, e in enumerate(self._entries)
            if not e.pending and not e.dead and e.level < last
        ]
        ids = np.asarray(self._ids, dtype=np.int64)
        steps = np.asarray(self._steps, dtype=np.int64)
        return CurveData(
            x=self._x,
            ids=ids,
            steps=steps,
            t=self._budgets[steps],
            y=normalise_losses(np.asarray(self._losses, dtype=np.float64)),
            budgets=self._budgets,
            query_ids=np.asarray([q[0] for q in query], dtype=np.int64),
            query_steps=np.asarray([q[1] for q in query], dtype=np.int64),
        )
