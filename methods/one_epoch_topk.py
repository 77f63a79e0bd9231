"""The one-epoch top-K baseline of multi-fidelity HPO.

Egele, Guyon, Vishwanath & Balaprakash, "Is One Epoch All You Need For Multi-Fidelity
Hyperparameter Optimization?" (2023/2024).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Evaluation, Task, Trial
from hpobench.methods._brackets import is_positive_int, resolve_fidelity_range
from hpobench.methods._pending import PendingTrials, loss_of

__all__ = ["OneEpochTopK"]


class OneEpochTopK(Method):
    """Train ``n_configs`` random configurations for one epoch, then the best ``k`` to the end.

    A *round* has two phases. Phase 1 samples ``n_configs`` configurations from the prior and
    evaluates each at ``min_fidelity`` (one epoch: the task's lowest fidelity by default); its asks
    never wait. Phase 2 starts when every phase-1 result is in (``ask`` returns ``None`` until
    then) and evaluates the ``k`` best of them at ``max_fidelity``. Failed evaluations rank last
    and are not promoted unless fewer than ``k`` succeeded; ties keep sampling order. When the
    budget outlasts a round, a new round starts with fresh configurations. Tags are
    ``"round=r,phase=1"`` and ``"round=r,phase=2"``.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator that samples configurations.
        n_configs: Configurations trained for one epoch per round (``N``).
        k: Configurations trained at the maximal fidelity per round (``K <= N``).
        min_fidelity: Fidelity of phase 1; ``None`` for the task's lowest fidelity.
        max_fidelity: Fidelity of phase 2; ``None`` for the task's maximal fidelity.

    Raises:
        ValueError: A hyperparameter is invalid or the task has no fidelity.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(multi_fidelity=True, requires_fidelity=True)

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        n_configs: int = 100,
        k: int = 3,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.n_configs = n_configs
        self.k = k
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        if not is_positive_int(n_configs):
            raise ValueError(f"n_configs must be a positive integer, got {n_configs!r}")
        if not is_positive_int(k) or int(k) > int(n_configs):
            raise ValueError(f"k must be a positive integer <= n_configs ({n_configs}), got {k!r}")
        _, self._low, self._high = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        self._rng = np.random.default_rng(seed)
        self._codec = SpaceCodec(task.space)
        self._round = -1
        self._configs: list[dict[str, Any]] = []
        self._losses: list[float] = []
        self._queue: list[tuple[int, int]] = []  # (phase, config index) still to ask
        self._phase = 2
        self._told = 0
        self._pending: PendingTrials[tuple[int, int]] = PendingTrials("OneEpochTopK")

    def _next_phase(self) -> None:
        if self._phase == 2:
            self._round += 1
            self._phase = 1
            self._configs = self._codec.sample(self._rng, int(self.n_configs))
            self._losses = [math.inf] * len(self._configs)
            self._queue = [(1, i) for i in range(len(self._configs))]
        else:
            self._phase = 2
            best = sorted(range(len(self._losses)), key=lambda i: (self._losses[i], i))[: int(self.k)]
            self._queue = [(2, i) for i in best]
        self._told = 0

    def ask(self) -> Trial | None:
        """The next evaluation of the current phase; ``None`` while phase 1 results are missing."""
        if not self._queue:
            expected = int(self.n_configs) if self._phase == 1 else int(self.k)
            if self._round >= 0 and self._told < expected:
                return None
            self._next_phase()
        phase, index = self._queue.pop(0)
        fidelity = self._low if phase == 1 else self._high
        trial = Trial(
            config=self._configs[index], fidelity=fidelity, tag=f"round={self._round},phase={phase}"
        )
        return self._pending.add(trial, (phase, index))

    def tell(self, evaluation: Evaluation) -> None:
        """Record a result (failed or NaN results count as ``+inf`` loss).

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        phase, index = self._pending.pop(evaluation.trial)
        if phase == 1:
            self._losses[index] = loss_of(evaluation, self.task)
        self._told += 1
