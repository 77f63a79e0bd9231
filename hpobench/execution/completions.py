"""What a simulation records: finished evaluations in simulated time, and the checkpoints they leave.

:class:`Completed` is one evaluation with its start, end and worker; :class:`CompletedColumns` the
same for a whole run as columns (what the runner turns into the result table); :class:`Checkpoint`
a training state a trial left for later continuation. :class:`hpobench.execution.simulator.Simulation`
builds them when they are read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from hpobench.contracts.types import Config, Evaluation, Trial

__all__ = ["Checkpoint", "Completed", "CompletedColumns"]

_Saved = tuple[Config, float, int, float]  # a checkpoint: config, fidelity, seed, cost


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


@dataclass(frozen=True, kw_only=True)
class CompletedColumns:
    """The completed evaluations as columns, in completion order (see :class:`Completed`).

    Attributes:
        trials: The trials as asked.
        evaluations: The evaluations told to the methods.
        fidelity: Fidelity evaluated, shape ``(n,)``.
        start: Simulated start times, shape ``(n,)``.
        end: Simulated end times, shape ``(n,)``.
        worker: Worker indices, shape ``(n,)``.
        resumed_fidelity: Fidelity of the continued checkpoint, NaN where the evaluation trained
            from scratch, shape ``(n,)``.
    """

    trials: list[Trial]
    evaluations: list[Evaluation]
    fidelity: np.ndarray
    start: np.ndarray
    end: np.ndarray
    worker: np.ndarray
    resumed_fidelity: np.ndarray


class _Checkpoints(Mapping[str, Checkpoint]):
    """Read-only view of the simulation's checkpoints (values built when read)."""

    def __init__(self, saved: dict[str, _Saved]) -> None:
        self._saved = saved

    def __getitem__(self, name: str) -> Checkpoint:
        config, fidelity, seed, cost = self._saved[name]
        return Checkpoint(config=config, fidelity=fidelity, seed=seed, cost=cost)

    def __iter__(self) -> Iterator[str]:
        return iter(self._saved)

    def __len__(self) -> int:
        return len(self._saved)
