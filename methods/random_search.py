"""Random search: the reference every other method is compared with."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Evaluation, Task, Trial

__all__ = ["RandomSearch"]


def _is_positive_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) >= 1


class RandomSearch(Method):
    """Sample configurations independently from the space's prior, always at the maximal fidelity.

    Configurations are drawn ``chunk_size`` at a time from a private
    ``np.random.default_rng(seed)`` through :class:`~hpobench.contracts.space.SpaceCodec`, so one ask costs
    a few microseconds. On finite candidate sets (grids of ordinals and categoricals) the grid
    values are sampled directly. Asynchronous: :meth:`ask` never waits, and results may arrive in
    any order; they do not influence later proposals. The objectives are ignored, so the method
    runs on multi-objective tasks too.

    Args:
        task: The task; read-only.
        seed: Seed of the private generator.
        chunk_size: Configurations sampled per draw from the generator. The trajectory depends
            on it (it fixes the order of random draws), so it is recorded as a hyperparameter.

    Raises:
        ValueError: ``chunk_size`` is not a positive integer.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_objective=True, candidate_set=True, asynchronous=True
    )

    def __init__(self, task: Task, *, seed: int, chunk_size: int = 256) -> None:
        super().__init__(task, seed=seed)
        self.chunk_size = chunk_size
        if not _is_positive_int(chunk_size):
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        self._rng = np.random.default_rng(seed)
        self._codec: SpaceCodec | None = None  # built lazily; not picklable, dropped by __getstate__
        self._buffer: list[dict[str, Any]] = []  # sampled configurations, next one last
        self._made: list[Trial] = []  # trials of the buffer's last configurations, made by upcoming()
        self._pending: dict[int, Trial] = {}  # id(trial) -> trial, for trials in flight

    def ask(self) -> Trial:
        """Return a fresh random configuration at the maximal fidelity (never ``None``)."""
        if not self._buffer:
            if self._codec is None:
                self._codec = SpaceCodec(self.task.space)
            self._buffer = self._codec.sample(self._rng, int(self.chunk_size))
            self._buffer.reverse()
        config = self._buffer.pop()
        made = self._made
        # the sampled dict is this method's own and never changes: the trial shares a read-only
        # view of it instead of copying it (Trial._shared; the fidelity is the maximal one)
        trial = made.pop() if made else Trial._shared(MappingProxyType(config), None)
        self._pending[id(trial)] = trial
        return trial

    def upcoming(self) -> list[Trial]:
        """The trials of the configurations already sampled, in the order they will be asked."""
        made, buffer = self._made, self._buffer
        if len(made) < len(buffer):  # the buffer's last entries have theirs: make the others'
            missing = buffer[: len(buffer) - len(made)]
            made[:0] = [Trial._shared(MappingProxyType(config), None) for config in missing]
        return made[::-1]

    def tell(self, evaluation: Evaluation) -> None:
        """Accept a result; random search does not learn from it.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        if self._pending.pop(id(evaluation.trial), None) is not None:
            return
        # The evaluation may carry a copy of the trial (e.g. after crossing a process boundary).
        for key, trial in self._pending.items():
            if trial == evaluation.trial:
                del self._pending[key]
                return
        raise ValueError(
            f"RandomSearch was told about a trial it did not ask for (or told twice): {evaluation.trial}"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_codec"] = None
        # Trials hold read-only mappings that do not pickle; keep them as plain data. After
        # unpickling, tells match in-flight trials by equality.
        state["_pending"] = [(dict(t.config), t.fidelity, t.tag) for t in self._pending.values()]
        state["_made"] = []  # made again when asked (equal trials)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        trials = [Trial(config=c, fidelity=f, tag=tag) for c, f, tag in state["_pending"]]
        state["_pending"] = {id(t): t for t in trials}
        self.__dict__.update(state)
