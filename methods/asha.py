"""ASHA: asynchronous successive halving.

Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from hpobench.method import Capabilities, Method
from hpobench.methods._brackets import (
    max_bracket_index,
    resolve_fidelity_range,
    rung_fidelities,
    validate_eta,
)
from hpobench.methods._pending import PendingTrials, loss_of
from hpobench.space import SpaceCodec
from hpobench.types import Evaluation, Task, Trial

__all__ = ["ASHA"]


class ASHA(Method):
    """Asynchronous successive halving with one bracket (early-stopping rate 0).

    Rungs ``k = 0..K`` sit at fidelities ``max_fidelity * eta**-(K - k)`` with
    ``K = floor(log_eta(max_fidelity / min_fidelity))`` (rounded for integer fidelities, the last
    one exactly ``max_fidelity``). :meth:`ask` follows Algorithm 2 of Li et al. (2020): scanning
    rungs from the top-but-one down, it promotes the best configuration that is among the top
    ``floor(n_k / eta)`` of the ``n_k`` results of rung ``k`` and was not promoted from rung ``k``
    before; if there is none, it samples a new configuration from the prior at rung 0. It never
    waits (never returns ``None``), so it keeps any number of workers busy. Failed evaluations
    rank last and are never promoted. Ties are broken by the order in which results arrived.

    Promoted configurations are re-evaluated from scratch at the higher fidelity (the benchmark
    interface has no checkpoints); tags are ``"rung=k"``.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator that samples configurations.
        eta: Reduction factor, a number ``>= 2``.
        min_fidelity: Fidelity of rung 0; ``None`` for the task's lowest fidelity.
        max_fidelity: Fidelity of the top rung; ``None`` for the task's maximal fidelity.

    Raises:
        ValueError: A hyperparameter is invalid or the task has no fidelity.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_fidelity=True, requires_fidelity=True, asynchronous=True
    )

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        eta: float = 3,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        self._eta = validate_eta(eta)
        fid, r_min, r_max = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        k = max_bracket_index(self._eta, r_min, r_max)
        self.rung_fidelities: tuple[float, ...] = rung_fidelities(
            k + 1, eta=self._eta, r_min=r_min, r_max=r_max, integer=fid.integer
        )
        self._rng = np.random.default_rng(seed)
        self._codec = SpaceCodec(task.space)
        self._configs: list[dict[str, Any]] = []
        # per rung: (loss, arrival, config index) of every result; indices promoted from it
        self._results: list[list[tuple[float, int, int]]] = [[] for _ in self.rung_fidelities]
        self._promoted: list[set[int]] = [set() for _ in self.rung_fidelities]
        self._arrivals = 0
        self._pending: PendingTrials[tuple[int, int]] = PendingTrials("ASHA")

    def _promotion(self) -> tuple[int, int] | None:
        for k in reversed(range(len(self.rung_fidelities) - 1)):
            results = self._results[k]
            n_top = math.floor(len(results) / self._eta + 1e-9)
            for loss, _, index in sorted(results)[:n_top]:
                if index not in self._promoted[k] and math.isfinite(loss):
                    self._promoted[k].add(index)
                    return index, k + 1
        return None

    def ask(self) -> Trial:
        """Promote a configuration if a rung allows it, else start a new one at rung 0 (never ``None``)."""
        found = self._promotion()
        if found is None:
            self._configs.append(self._codec.sample(self._rng, 1)[0])
            found = (len(self._configs) - 1, 0)
        index, rung = found
        trial = Trial(config=self._configs[index], fidelity=self.rung_fidelities[rung], tag=f"rung={rung}")
        return self._pending.add(trial, found)

    def tell(self, evaluation: Evaluation) -> None:
        """Record the result on its rung (failed or NaN results count as ``+inf`` loss).

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        index, rung = self._pending.pop(evaluation.trial)
        self._results[rung].append((loss_of(evaluation, self.task), self._arrivals, index))
        self._arrivals += 1
