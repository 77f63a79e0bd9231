"""Regularized (aging) evolution (Real, Aggarwal, Huang & Le, AAAI 2019)."""

from __future__ import annotations

import math
from collections import deque
from typing import ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.types import Evaluation, Task, Trial
from hpobench.methods._encoding import Encoding, FloatArray, IntArray
from hpobench.methods._model import check_number
from hpobench.methods._pending import PendingTrials, loss_of

__all__ = ["RegularizedEvolution"]

Member = tuple[FloatArray, IntArray, float]
"""One population member: encoded numeric and categorical coordinates, loss."""


class RegularizedEvolution(Method):
    """Aging evolution: tournament selection, one-hyperparameter mutation, oldest member dies.

    The first ``population_size`` asks are random configurations. Afterwards each ask samples
    ``sample_size`` members of the current population uniformly without replacement, takes the
    best of them (lowest loss; ties go to the older member) as the parent and returns a child
    that differs in exactly one hyperparameter, chosen uniformly among those with more than one
    value: numeric hyperparameters get a fresh uniform value in the encoded space, ordinals and
    categoricals a different value chosen uniformly. Each result joins the population as its
    youngest member; when the population exceeds ``population_size`` its *oldest* member is
    removed, whatever its loss (the regularization of Real et al.).

    Asynchronous: asks never wait; while the population is still empty (every initial trial in
    flight), further random configurations are asked. Always asks at the maximal fidelity;
    losses are ``sign * value`` of the primary objective, failures count as ``+inf``.

    Args:
        task: The task; read-only. Its space must have no conditions.
        seed: Seed of the private generator.
        population_size: Population size ``P``.
        sample_size: Tournament size ``S`` (``S <= P``).

    Raises:
        ValueError: A hyperparameter is out of range, or the space cannot be encoded.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        candidate_set=True, asynchronous=True, conditional_spaces=False
    )

    def __init__(self, task: Task, *, seed: int, population_size: int = 50, sample_size: int = 10) -> None:
        super().__init__(task, seed=seed)
        self.population_size = population_size
        self.sample_size = sample_size
        check_number("population_size", population_size, low=1, integer=True)
        check_number("sample_size", sample_size, low=1, high=float(population_size), integer=True)
        self._rng = np.random.default_rng(seed)
        self._enc = Encoding(task.space)
        self._population: deque[Member] = deque()
        self._pending: PendingTrials[tuple[FloatArray, IntArray]] = PendingTrials(type(self).__name__)
        self._n_asked = 0
        # hyperparameters that can change: numeric ones with more than one value, and categoricals
        levels = self._enc.n_levels
        self._mutable = np.concatenate(
            [
                np.flatnonzero(levels != 1),
                self._enc.n_numeric + np.flatnonzero(self._enc.n_choices > 1),
            ]
        ).astype(np.int64)

    @property
    def population(self) -> list[tuple[dict[str, object], float]]:
        """The current population as ``(configuration, loss)``, oldest first."""
        return [(self._enc.decode(xn, xc)[0], loss) for xn, xc, loss in self._population]

    def ask(self) -> Trial:
        """Return a random configuration (initial phase) or a mutated tournament winner."""
        if self._n_asked < int(self.population_size) or not self._population:
            xn, xc = self._enc.sample(self._rng, 1)
            tag = "random"
        else:
            xn, xc = self._mutate(self._tournament())
            tag = "mutation"
        config = self._enc.decode(xn, xc)[0]
        sn, sc = self._enc.encode([config])
        trial = Trial(config=config, tag=tag)
        self._pending.add(trial, (sn[0], sc[0]))
        self._n_asked += 1
        return trial

    def tell(self, evaluation: Evaluation) -> None:
        """Add the result to the population as its youngest member; drop the oldest if too many.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        xn, xc = self._pending.pop(evaluation.trial)
        self._population.append((xn, xc, loss_of(evaluation, self.task)))
        while len(self._population) > int(self.population_size):
            self._population.popleft()

    def _tournament(self) -> Member:
        size = min(int(self.sample_size), len(self._population))
        picked = np.sort(self._rng.choice(len(self._population), size=size, replace=False))
        losses = [self._population[i][2] for i in picked]
        best = min(range(size), key=lambda j: (losses[j], j))  # ties: the older member
        return self._population[int(picked[best])]

    def _mutate(self, parent: Member) -> tuple[FloatArray, IntArray]:
        xn, xc = parent[0].copy()[None, :], parent[1].copy()[None, :]
        if not len(self._mutable):
            return xn, xc
        j = int(self._mutable[self._rng.integers(len(self._mutable))])
        enc = self._enc
        if j < enc.n_numeric:
            k = int(enc.n_levels[j])
            if k == 0:  # float: a fresh uniform value
                xn[0, j] = self._rng.random()
            else:  # integer or ordinal: another of its k cells
                cell = min(math.floor(xn[0, j] * k), k - 1)
                other = (cell + 1 + int(self._rng.integers(k - 1))) % k
                xn[0, j] = (other + 0.5) / k
        else:
            c = j - enc.n_numeric
            k = int(enc.n_choices[c])
            xc[0, c] = (xc[0, c] + 1 + int(self._rng.integers(k - 1))) % k
        return xn, xc
