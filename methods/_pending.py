"""Book-keeping shared by methods: trials in flight and losses of evaluations.

A method remembers each trial it asked for together with a payload of its own (a config index,
a rung, ...). Results are matched to trials by identity, and by equality as a fallback: after a
method was pickled (or a trial crossed a process boundary) the evaluation carries an equal copy.
"""

from __future__ import annotations

import math
from typing import Any, Generic, TypeVar

from hpobench.contracts.types import Evaluation, Status, Task, Trial

__all__ = ["PendingTrials", "loss_from", "loss_of"]

P = TypeVar("P")
_OK = Status.OK  # a module constant: looking an Enum member up on its class is slow in Python 3.11


class PendingTrials(Generic[P]):
    """Trials asked for and not yet told, each with a payload; picklable.

    Args:
        owner: Name of the owning method, used in error messages.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._items: dict[int, tuple[Trial, P]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, trial: Trial, payload: P) -> Trial:
        """Remember ``trial`` with ``payload`` and return the trial."""
        self._items[id(trial)] = (trial, payload)
        return trial

    def pop(self, trial: Trial) -> P:
        """Forget ``trial`` and return its payload.

        Raises:
            ValueError: The trial was not asked for by the owner, or was already told.
        """
        entry = self._items.pop(id(trial), None)
        if entry is not None and entry[0] is trial:
            return entry[1]
        if entry is not None:  # an id was reused by a different object; put it back
            self._items[id(entry[0])] = entry
        for key, (known, payload) in self._items.items():
            if known == trial:
                del self._items[key]
                return payload
        raise ValueError(f"{self.owner} was told about a trial it did not ask for (or told twice): {trial}")

    def payloads(self) -> list[P]:
        """Payloads of the trials in flight, in the order they were asked."""
        return [payload for _, payload in self._items.values()]

    def __getstate__(self) -> dict[str, Any]:
        return {"owner": self.owner, "items": list(self._items.values())}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.owner = state["owner"]
        self._items = {id(trial): (trial, payload) for trial, payload in state["items"]}


def loss_of(evaluation: Evaluation, task: Task) -> float:
    """The primary objective of ``evaluation`` as a loss (``sign * value``); ``+inf`` if failed or NaN."""
    return loss_from(evaluation, task.objective.name, task.objective.direction.sign)


def loss_from(evaluation: Evaluation, objective: str, sign: float) -> float:
    """:func:`loss_of` for an objective's name and sign looked up once (a method's hot path)."""
    if evaluation.status is not _OK:
        return math.inf
    value = evaluation.values.get(objective)
    if value is None:
        return math.inf
    loss = sign * float(value)
    return loss if math.isfinite(loss) else math.inf
