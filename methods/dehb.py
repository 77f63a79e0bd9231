"""DEHB: differential evolution inside Hyperband brackets (Awad, Mallik & Hutter, IJCAI 2021)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from hpobench.method import Capabilities, Method
from hpobench.methods._brackets import Bracket, hyperband_brackets, resolve_fidelity_range, validate_eta
from hpobench.methods._encoding import Encoding, FloatArray
from hpobench.methods._pending import PendingTrials, loss_of
from hpobench.types import Evaluation, Task, Trial

__all__ = ["DEHB", "binomial_crossover", "fix_bounds", "rand1_mutation"]


def rand1_mutation(pool: FloatArray, factor: float, rng: np.random.Generator) -> FloatArray:
    """DE/rand/1 mutant ``x_r1 + factor * (x_r2 - x_r3)`` of three distinct rows of ``pool``.

    Pools with fewer than three rows give a uniform random vector (DEHB does the same by adding
    random individuals).
    """
    if pool.shape[0] < 3:
        random: FloatArray = rng.random((pool.shape[1],))
        return random
    r1, r2, r3 = rng.choice(pool.shape[0], size=3, replace=False)
    out: FloatArray = pool[r1] + factor * (pool[r2] - pool[r3])
    return out


def binomial_crossover(
    target: FloatArray, mutant: FloatArray, prob: float, rng: np.random.Generator
) -> FloatArray:
    """Binomial crossover: each coordinate from ``mutant`` with probability ``prob``, at least one."""
    take = np.asarray(rng.random((target.shape[0],)) < prob, dtype=bool)
    take[rng.integers(target.shape[0])] = True
    out: FloatArray = np.where(take, mutant, target)
    return out


def fix_bounds(vector: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Resample coordinates outside ``[0, 1]`` uniformly (DEHB's default ``boundary_fix_type``)."""
    bad = (vector < 0.0) | (vector > 1.0)
    out = vector.copy()
    out[bad] = rng.random(int(bad.sum()))
    return out


@dataclass(kw_only=True)
class _Rung:
    bracket: Bracket
    cycle: int
    rung: int
    level: int
    vectors: list[FloatArray]
    targets: list[int | None]  # index into the level's subpopulation, None while initialising
    losses: list[float] = field(default_factory=list)
    issued: int = 0
    told: int = 0


class DEHB(Method):
    """DEHB: Hyperband brackets whose configurations come from differential evolution.

    Every fidelity level ``j`` of Hyperband (``max_fidelity * eta**-(s_max - j)``) owns a DE
    subpopulation of ``N_j`` unit-hypercube vectors, ``N_j`` being the size of rung ``j`` of the most
    aggressive bracket. Brackets and rung sizes are Hyperband's (cycled ``s_max..0``).

    - The very first bracket initialises the subpopulations as Hyperband would: random vectors at
      the lowest level, and each higher level holds the best ``N_j`` of the level below.
    - In every later bracket, each trial of a rung at level ``j`` is a DE/rand/1/bin offspring of a
      target taken in turn from subpopulation ``j``: the mutant's parents come from subpopulation
      ``j`` itself on a bracket's first rung, and from the *parent pool* — the best ``n_i`` of the
      subpopulation one level lower — on higher rungs. Pools of fewer than three vectors are
      extended with all subpopulations (then a random vector). Out-of-bounds coordinates are
      resampled uniformly. When told, an offspring replaces its target if it is not worse.

    The encoding has one coordinate per hyperparameter: numeric ones as in
    :class:`~hpobench.methods._encoding.Encoding`, categoricals as the centre of their choice's cell
    (decoded by binning), so the vector lives in ``[0, 1]**d`` as in the reference implementation.

    Deviations from the reference ``dehb`` package: synchronous (rungs wait for all their results;
    ``ask`` returns ``None`` meanwhile) like the paper's Algorithm 1 rather than the package's
    asynchronous default; the parent pool is the ``n_i`` best of the lower level without the
    package's filter of vectors already present at the higher level; promoted vectors of the first
    bracket are re-evaluated at the higher fidelity (no checkpoints). Tags are
    ``"round=c,bracket=s,rung=i"``.

    Args:
        task: The task; it must have a fidelity and an unconditional space.
        seed: Seed of the private generator.
        eta: Halving rate, a number ``>= 2``.
        min_fidelity: Smallest fidelity; ``None`` for the task's lowest fidelity.
        max_fidelity: Largest fidelity; ``None`` for the task's maximal fidelity.
        mutation_factor: DE scale factor ``F`` in ``(0, 2]``.
        crossover_prob: Binomial crossover probability in ``[0, 1]``.

    Raises:
        ValueError: A hyperparameter is invalid, the task has no fidelity, or the space is conditional.
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
        mutation_factor: float = 0.5,
        crossover_prob: float = 0.5,
    ) -> None:
        super().__init__(task, seed=seed)
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        self.mutation_factor = mutation_factor
        self.crossover_prob = crossover_prob
        if not (isinstance(mutation_factor, (int, float)) and 0 < mutation_factor <= 2):
            raise ValueError(f"mutation_factor must be in (0, 2], got {mutation_factor!r}")
        if not (isinstance(crossover_prob, (int, float)) and 0 <= crossover_prob <= 1):
            raise ValueError(f"crossover_prob must be in [0, 1], got {crossover_prob!r}")
        fid, r_min, r_max = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        self.brackets = hyperband_brackets(
            eta=validate_eta(eta), r_min=r_min, r_max=r_max, integer=fid.integer
        )
        self._s_max = self.brackets[0].s
        self.pop_sizes: tuple[int, ...] = tuple(r.n_configs for r in self.brackets[0].rungs)
        self._encoding = Encoding(task.space)
        self._n_choices = self._encoding.n_choices
        self._rng = np.random.default_rng(seed)
        self._pops: list[FloatArray] = [np.empty((0, self._dim)) for _ in self.pop_sizes]
        self._fitness: list[FloatArray] = [np.empty(0) for _ in self.pop_sizes]
        self._next_target = [0] * len(self.pop_sizes)
        self._n_started = 0
        self._state: _Rung | None = None
        self._previous: tuple[list[FloatArray], list[float]] = ([], [])
        self._pending: PendingTrials[int] = PendingTrials("DEHB")

    @property
    def _dim(self) -> int:
        return self._encoding.n_numeric + self._encoding.n_categorical

    # --- encoding --------------------------------------------------------------------------------

    def decode(self, vector: FloatArray) -> dict[str, Any]:
        """The configuration of a unit-hypercube vector (categoricals by binning their coordinate)."""
        n = self._encoding.n_numeric
        u = np.clip(vector[n:], 0.0, 1.0 - 1e-12)
        xc = np.floor(u * self._n_choices).astype(np.int64)
        return self._encoding.decode(vector[None, :n], xc[None, :])[0]

    # --- schedule --------------------------------------------------------------------------------

    def _start_rung(self, bracket: Bracket, cycle: int, rung: int) -> _Rung:
        level = self._s_max - bracket.s + rung
        n = bracket.rungs[rung].n_configs
        first_bracket = self._n_started == 1
        if first_bracket and rung == 0:
            vectors = list(self._rng.random((n, self._dim)))
            targets: list[int | None] = [None] * n
        elif first_bracket:
            prev_vectors, prev_losses = self._previous
            order = np.argsort(np.asarray(prev_losses), kind="stable")[:n]
            vectors = [prev_vectors[i] for i in order]
            targets = [None] * n
        else:
            vectors, targets = self._evolve(level, n, parents_from_below=rung > 0)
        return _Rung(bracket=bracket, cycle=cycle, rung=rung, level=level, vectors=vectors, targets=targets)

    def _evolve(
        self, level: int, n: int, *, parents_from_below: bool
    ) -> tuple[list[FloatArray], list[int | None]]:
        if parents_from_below:
            below = self._pops[level - 1]
            pool = below[np.argsort(self._fitness[level - 1], kind="stable")[:n]]
        else:
            pool = self._pops[level]
        if pool.shape[0] < 3:
            pool = np.concatenate(self._pops, axis=0)
        vectors: list[FloatArray] = []
        targets: list[int | None] = []
        for _ in range(n):
            t = self._next_target[level] % self.pop_sizes[level]
            self._next_target[level] = t + 1
            mutant = fix_bounds(rand1_mutation(pool, float(self.mutation_factor), self._rng), self._rng)
            vectors.append(
                binomial_crossover(self._pops[level][t], mutant, float(self.crossover_prob), self._rng)
            )
            targets.append(t)
        return vectors, targets

    def _next_rung(self) -> _Rung:
        state = self._state
        if state is not None and state.rung + 1 < len(state.bracket.rungs):
            return self._start_rung(state.bracket, state.cycle, state.rung + 1)
        bracket = self.brackets[self._n_started % len(self.brackets)]
        cycle = self._n_started // len(self.brackets)
        self._n_started += 1
        return self._start_rung(bracket, cycle, 0)

    # --- ask / tell ------------------------------------------------------------------------------

    def ask(self) -> Trial | None:
        """The next trial of the current rung; ``None`` while the rung waits for results."""
        state = self._state
        if state is None or state.told == len(state.vectors):
            state = self._state = self._next_rung()
            state.losses = [math.inf] * len(state.vectors)
        if state.issued == len(state.vectors):
            return None
        i = state.issued
        state.issued += 1
        trial = Trial(
            config=self.decode(state.vectors[i]),
            fidelity=state.bracket.rungs[state.rung].fidelity,
            tag=f"round={state.cycle},bracket={state.bracket.s},rung={state.rung}",
        )
        return self._pending.add(trial, i)

    def tell(self, evaluation: Evaluation) -> None:
        """Record a result; DE selection replaces the target if the offspring is not worse.

        Failed or NaN evaluations count as ``+inf`` loss.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        i = self._pending.pop(evaluation.trial)
        state = self._state
        assert state is not None  # a pending trial implies a rung in progress
        loss = loss_of(evaluation, self.task)
        state.losses[i] = loss
        state.told += 1
        target = state.targets[i]
        if target is not None and loss <= self._fitness[state.level][target]:
            self._pops[state.level][target] = state.vectors[i]
            self._fitness[state.level][target] = loss
        if state.told == len(state.vectors):
            if state.targets and state.targets[0] is None:  # first bracket: initialise the level
                self._pops[state.level] = np.array(state.vectors)
                self._fitness[state.level] = np.array(state.losses)
            self._previous = (state.vectors, state.losses)
