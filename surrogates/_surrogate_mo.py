"""Shared part of the multi-objective surrogate tasks (``yahpo_mo``, ``fitted_mo``).

A :class:`SurrogateMOBenchmark` wraps the single-objective surrogate benchmark of the same task
(space, codec, fidelity, cost and data files are the base's) and answers
:meth:`pareto_reference` from a stored estimate, or estimates it when first asked (a model file
other than the one the estimate was made from): :func:`~hpobench.surrogates.pareto_fronts.estimate_front`
with the settings below.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Config, Objective, ParetoReference, Task
from hpobench.surrogates.pareto_fronts import estimate_front, stored_entry

__all__ = ["N_RANDOM", "SEED", "SIGMAS", "SOURCE", "SurrogateMOBenchmark", "stored_estimate"]

N_RANDOM = 20_000
SEED = 0
SIGMAS = (0.1, 0.1, 0.05, 0.05, 0.02, 0.02, 0.01, 0.01)
SOURCE = (
    f"estimated: non-dominated set of {N_RANDOM} random configurations (seed {SEED}) refined by "
    f"{len(SIGMAS)} rounds of local search, at the maximal fidelity; a method may dominate points of it"
)


def stored_estimate(
    name: str, model_sha256: str | None
) -> tuple[ParetoReference | None, Mapping[str, float] | None]:
    """The stored reference and ``worst`` of ``name`` if made from this model file, else ``(None, None)``."""
    entry = stored_entry(name)
    if entry is None or model_sha256 is None or entry[1].get("model_sha256") != model_sha256:
        return None, None
    return entry[0], entry[1]["worst"]


class SurrogateMOBenchmark(Benchmark):
    """A surrogate task with several objectives and an estimated reference front.

    Args:
        base: The single-objective benchmark of the same task.
        name: The full task name.
        objectives: The objectives (the first is primary).
        pareto: The reference, or ``None`` to estimate it when first asked.
        worst: The median random configuration's value per objective, or ``None`` likewise.
    """

    def __init__(
        self,
        *,
        base: Benchmark,
        name: str,
        objectives: tuple[Objective, ...],
        pareto: ParetoReference | None,
        worst: Mapping[str, float] | None,
    ) -> None:
        self._base = base
        self._pareto = pareto
        self._worst = dict(worst) if worst is not None else None
        self._task = Task(
            name=name,
            space=base.task.space,
            objectives=objectives,
            fidelity=base.task.fidelity,
            tags=base.task.tags | {"multi-objective"},
        )

    @property
    def task(self) -> Task:
        """The task (constant)."""
        return self._task

    @cached_property
    def codec(self) -> SpaceCodec:
        """The base benchmark's codec."""
        return self._base.codec

    def data_files(self) -> Mapping[str, str]:
        """The base benchmark's files with their sha256."""
        return self._base.data_files()

    def typical_cost(self) -> float | None:
        """As the base benchmark."""
        return self._base.typical_cost()

    @abstractmethod
    def neighbour(self, config: Config, sigma: float, rng: np.random.Generator) -> Config:
        """A random step of size ``sigma`` (unit cube) from ``config``, for the local search."""

    def estimate(self) -> tuple[ParetoReference, dict[str, float]]:
        """The reference and the median random configuration (stored, or estimated now and kept)."""
        if self._pareto is None or self._worst is None:
            self._pareto, self._worst = estimate_front(
                self, neighbour=self.neighbour, n_random=N_RANDOM, seed=SEED, sigmas=SIGMAS, source=SOURCE
            )
        return self._pareto, self._worst

    def pareto_reference(self) -> ParetoReference:
        """The stored (or, for a different model file, freshly estimated) reference front."""
        return self.estimate()[0]

    def stored_extras(self) -> dict[str, Any]:
        """What the store keeps beside the front: ``worst`` and the model file's sha256."""
        model = next(
            (sha for path, sha in self.data_files().items() if path.endswith((".onnx", ".npz"))), None
        )
        return {"worst": self.estimate()[1], "model_sha256": model}
