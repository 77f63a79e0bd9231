"""NSGA-II: the elitist non-dominated sorting genetic algorithm.

Deb, Pratap, Agarwal and Meyarivan, "A fast and elitist multiobjective genetic algorithm:
NSGA-II", IEEE Transactions on Evolutionary Computation 6(2), 2002.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.pareto import crowding_distance, nondominated_ranks
from hpobench.contracts.types import Evaluation, Task, Trial
from hpobench.methods._encoding import Encoding, FloatArray, IntArray
from hpobench.methods._model import check_number
from hpobench.methods._objectives import loss_vector, rankable
from hpobench.methods._pending import PendingTrials

__all__ = ["NSGA2", "crowded_order", "polynomial_mutation", "sbx_crossover"]

_RETRIES = 10
"""Redraws of a second parent equal to the first, and re-mutations of a child equal to a parent."""


def crowded_order(losses: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """NSGA-II's crowded-comparison order of points (minimisation; non-finite rows last).

    Returns:
        ``(order, ranks, crowding)``: indices best first (by non-domination rank, then by larger
        crowding distance within the front, then by index), the rank of every point and its
        crowding distance within its front.
    """
    losses = rankable(losses)
    ranks = nondominated_ranks(losses)
    crowding = np.zeros(len(losses))
    for front in np.unique(ranks):
        members = np.flatnonzero(ranks == front)
        crowding[members] = crowding_distance(losses[members])
    order = np.lexsort((np.arange(len(losses)), -crowding, ranks))
    return order, ranks, crowding


def sbx_crossover(
    rng: np.random.Generator, a: FloatArray, b: FloatArray, *, eta: float
) -> tuple[FloatArray, FloatArray]:
    """Bounded simulated binary crossover on the unit interval (Deb and Agrawal 1995).

    As in Deb's reference implementation (and pymoo's ``SBX``): each coordinate is crossed with
    probability 0.5 when the parents differ there, with the spread factor of the bounded
    variant so that children stay in ``[0, 1]``; each crossed pair of values is swapped between
    the children with probability 0.5.
    """
    c1, c2 = a.copy(), b.copy()
    n = len(a)
    cross = (rng.random(n) < 0.5) & (np.abs(a - b) > 1e-14)
    u, swap = rng.random(n), rng.random(n) < 0.5
    if not cross.any():
        return c1, c2
    y1, y2 = np.minimum(a, b)[cross], np.maximum(a, b)[cross]
    uu, gap = u[cross], y2 - y1

    def betaq(beta: FloatArray) -> FloatArray:
        alpha = 2.0 - beta ** -(eta + 1.0)
        small = uu <= 1.0 / alpha
        inner = np.where(small, uu * alpha, 1.0 / np.maximum(2.0 - uu * alpha, 1e-300))
        return np.asarray(inner ** (1.0 / (eta + 1.0)), dtype=float)

    low = 0.5 * ((y1 + y2) - betaq(1.0 + 2.0 * y1 / gap) * gap)
    high = 0.5 * ((y1 + y2) + betaq(1.0 + 2.0 * (1.0 - y2) / gap) * gap)
    low, high = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
    s = swap[cross]
    c1[cross] = np.where(s, high, low)
    c2[cross] = np.where(s, low, high)
    return c1, c2


def polynomial_mutation(rng: np.random.Generator, x: FloatArray, *, eta: float, prob: float) -> FloatArray:
    """Bounded polynomial mutation on the unit interval (Deb's reference implementation, pymoo's ``PM``)."""
    out = x.copy()
    mutate = rng.random(len(x)) < prob
    u = rng.random(len(x))
    if not mutate.any():
        return out
    y, uu = x[mutate], u[mutate]
    power = 1.0 / (eta + 1.0)
    lower = uu < 0.5
    val_low = 2.0 * uu + (1.0 - 2.0 * uu) * (1.0 - y) ** (eta + 1.0)
    val_high = 2.0 * (1.0 - uu) + 2.0 * (uu - 0.5) * y ** (eta + 1.0)
    delta = np.where(lower, val_low**power - 1.0, 1.0 - val_high**power)
    out[mutate] = np.clip(y + delta, 0.0, 1.0)
    return out


class NSGA2(Method):
    """NSGA-II (Deb et al. 2002) over the encoded search space, asynchronous.

    Selection is NSGA-II's elitist ``(mu + lambda)`` step with ``mu = lambda = population_size``:
    whenever ``population_size`` new results have arrived since the last selection, the parents
    and those results are ranked by non-dominated sorting and, within a front, by crowding
    distance (:func:`crowded_order`), and the best ``population_size`` become the new parents
    (the first selection picks among the initial random population). Offspring are made from
    the current parents by binary tournaments on the crowded comparison, then, with probability
    ``crossover_prob``, simulated binary crossover (:func:`sbx_crossover`, index
    ``crossover_eta``) of the numeric coordinates and uniform crossover of the categorical ones,
    and finally polynomial mutation (:func:`polynomial_mutation`, index ``mutation_eta``) of
    each numeric coordinate and uniform resampling of each categorical one, each with
    probability ``mutation_prob`` (default ``1 / number of hyperparameters``). Each crossover
    makes two children; the second is asked next (unless a selection happens first). As in
    pymoo's ``NSGA2`` (which draws tournaments from permutations and eliminates duplicates), the
    two parents differ, and a child that equals a parent after rounding is mutated again (up to
    10 times), so that evaluations are not spent on copies.

    Numeric coordinates are those of :class:`~hpobench.methods._encoding.Encoding` (floats,
    log-floats, integers and ordinals in ``[0, 1]``); children are rounded to valid
    configurations, so grids (candidate sets) work. Defaults are pymoo's (crossover
    probability ``0.9``, SBX index ``15``, mutation index ``20``, mutation probability ``1/n``;
    Deb et al. use an SBX index of 20) except the population, 20 by default for HPO budgets of
    a few hundred evaluations (Deb et al. use 100, pymoo 100, Optuna's ``NSGAIISampler`` 50).

    Asynchronous: :meth:`ask` never waits. Until the first selection it samples the prior
    (uniform in the encoded space); afterwards trials asked while others are in flight are
    children of the current parents, and results that arrive after a selection enter the next
    one. With one worker this is exactly generational NSGA-II. Failed evaluations are dominated
    by every success (see :mod:`hpobench.methods._objectives`). Always asks at the maximal
    fidelity. Tags: ``"random"`` or ``"generation=g"``.

    Args:
        task: The task; read-only. Its space must have no conditions.
        seed: Seed of the private generator.
        population_size: Parents kept, and results per generation (``>= 2``).
        crossover_prob: Probability that a pair of parents is crossed rather than copied.
        crossover_eta: Distribution index of SBX (larger: children closer to the parents).
        mutation_eta: Distribution index of polynomial mutation.
        mutation_prob: Per-coordinate mutation probability; ``None`` for ``1 / dim``.

    Raises:
        ValueError: A hyperparameter is out of range, or the space cannot be encoded.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_objective=True, candidate_set=True, asynchronous=True, conditional_spaces=False
    )

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        population_size: int = 20,
        crossover_prob: float = 0.9,
        crossover_eta: float = 15.0,
        mutation_eta: float = 20.0,
        mutation_prob: float | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.population_size = population_size
        self.crossover_prob = crossover_prob
        self.crossover_eta = crossover_eta
        self.mutation_eta = mutation_eta
        self.mutation_prob = mutation_prob
        check_number("population_size", population_size, low=2, integer=True)
        check_number("crossover_prob", crossover_prob, low=0.0, high=1.0)
        check_number("crossover_eta", crossover_eta, low=0.0)
        check_number("mutation_eta", mutation_eta, low=0.0)
        if mutation_prob is not None:
            check_number("mutation_prob", mutation_prob, low=0.0, high=1.0)
        self._rng = np.random.default_rng(seed)
        self._enc = Encoding(task.space)
        self._mut_prob = 1.0 / max(self._enc.dim, 1) if mutation_prob is None else float(mutation_prob)
        self._xn: list[FloatArray] = []
        self._xc: list[IntArray] = []
        self._losses: list[FloatArray] = []
        self._parents: IntArray | None = None  # observation indices of the parents
        self._parent_ranks = np.zeros(0, dtype=np.int64)
        self._parent_crowding = np.zeros(0)
        self._fresh: list[int] = []  # observations told since the last selection
        self._queue: list[tuple[FloatArray, IntArray]] = []  # second children, asked next
        self._generation = 0
        self._pending: PendingTrials[tuple[FloatArray, IntArray]] = PendingTrials("NSGA2")

    def _tournament(self) -> int:
        a, b = self._rng.integers(len(self._parent_ranks), size=2)
        ra, rb = self._parent_ranks[a], self._parent_ranks[b]
        if ra != rb:
            return int(a if ra < rb else b)
        return int(a if self._parent_crowding[a] >= self._parent_crowding[b] else b)

    def _mutate(self, xn: FloatArray, xc: IntArray) -> tuple[FloatArray, IntArray]:
        rng = self._rng
        xn = polynomial_mutation(rng, xn, eta=float(self.mutation_eta), prob=self._mut_prob)
        redraw = rng.random(len(xc)) < self._mut_prob
        fresh = (rng.random(len(xc)) * self._enc.n_choices).astype(np.int64)
        return xn, np.where(redraw, fresh, xc).astype(np.int64)

    def _same(self, xn: FloatArray, xc: IntArray, parent: int) -> bool:
        sn, sc = self._enc.snap(xn[None, :], xc[None, :])
        return bool(np.array_equal(sn[0], self._xn[parent]) and np.array_equal(sc[0], self._xc[parent]))

    def _offspring(self) -> list[tuple[FloatArray, IntArray]]:
        assert self._parents is not None
        a, b = self._tournament(), self._tournament()
        for _ in range(_RETRIES):  # two different parents (as pymoo's permutation tournaments)
            if a != b:
                break
            b = self._tournament()
        i, j = int(self._parents[a]), int(self._parents[b])
        an, bn, ac, bc = self._xn[i], self._xn[j], self._xc[i], self._xc[j]
        rng = self._rng
        if rng.random() < float(self.crossover_prob):
            an, bn = sbx_crossover(rng, an, bn, eta=float(self.crossover_eta))
            swap = rng.random(len(ac)) < 0.5
            ac, bc = np.where(swap, bc, ac), np.where(swap, ac, bc)
        children = []
        for xn, xc in ((an, ac), (bn, bc)):
            xn, xc = self._mutate(xn, xc)
            for _ in range(_RETRIES):  # a copy of a parent would waste an evaluation
                if not (self._same(xn, xc, i) or self._same(xn, xc, j)):
                    break
                xn, xc = self._mutate(xn, xc)
            children.append((xn, xc))
        return children

    def ask(self) -> Trial:
        """Propose a child of the current parents, or a random configuration before the first selection."""
        if self._parents is None:
            xn, xc = self._enc.sample(self._rng, 1)
            tag = "random"
        else:
            if not self._queue:
                self._queue = self._offspring()[::-1]
            cn, cc = self._queue.pop()
            xn, xc = cn[None, :], cc[None, :]
            tag = f"generation={self._generation}"
        config = self._enc.decode(xn, xc)[0]
        sn, sc = self._enc.snap(xn, xc)
        return self._pending.add(Trial(config=config, tag=tag), (sn[0], sc[0]))

    def tell(self, evaluation: Evaluation) -> None:
        """Record a result; select new parents once ``population_size`` new results are in.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        xn, xc = self._pending.pop(evaluation.trial)
        self._xn.append(xn)
        self._xc.append(xc)
        self._losses.append(loss_vector(evaluation, self.task))
        self._fresh.append(len(self._losses) - 1)
        if len(self._fresh) >= int(self.population_size):
            self._select()

    def _select(self) -> None:
        old = np.zeros(0, dtype=np.int64) if self._parents is None else self._parents
        pool = np.concatenate([old, np.asarray(self._fresh, dtype=np.int64)])
        order, ranks, crowding = crowded_order(np.stack([self._losses[i] for i in pool]))
        keep = order[: int(self.population_size)]
        self._parents = pool[keep]
        self._parent_ranks, self._parent_crowding = ranks[keep], crowding[keep]
        self._fresh = []
        self._queue = []
        self._generation += 1

    @property
    def generation(self) -> int:
        """Number of selections made so far (0 while the initial population is evaluated)."""
        return self._generation

    def parents(self) -> list[dict[str, object]]:
        """The current parent configurations (empty before the first selection)."""
        if self._parents is None:
            return []
        xn = np.stack([self._xn[i] for i in self._parents])
        xc = np.stack([self._xc[i] for i in self._parents])
        return list(self._enc.decode(xn, xc))
