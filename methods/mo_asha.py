"""MO-ASHA and MO-Hyperband: successive halving whose promotions rank by non-dominated sorting.

Schmucker, Donini, Zafar, Salinas and Archambeau, "Multi-objective Asynchronous Successive
Halving", arXiv:2106.12639, 2021 (the method of Syne Tune's ``MOASHA``); the same ranking in
synchronous Hyperband brackets (Li et al. 2018) is ``mo_hyperband``.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from typing import ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities
from hpobench.contracts.pareto import crowding_distance, nondominated_ranks
from hpobench.contracts.types import Evaluation, Task
from hpobench.methods._brackets import _RungState
from hpobench.methods._encoding import FloatArray, IntArray
from hpobench.methods._objectives import loss_vector, rankable
from hpobench.methods.asha import ASHA
from hpobench.methods.hyperband import Hyperband

__all__ = ["MOASHA", "MOHyperband", "epsilon_net_order", "mo_order"]

_TIE_BREAKS = ("epsilon_net", "crowding")
_PAIRWISE = 512
"""Fronts of at most this many points get their pairwise distances at once (2 MB at most)."""


def epsilon_net_order(points: FloatArray) -> IntArray:
    """Farthest-first order of the points of one front (an ε-net, Clarkson 2005).

    Objectives are scaled to ``[0, 1]`` by the points' own range; the first point is the one
    with the smallest first objective (ties: lowest index), and each next point is the one
    farthest (Euclidean) from those already chosen (ties: lowest index).
    """
    n = len(points)
    if n <= 1:
        return np.arange(n)
    lo, hi = points.min(axis=0), points.max(axis=0)
    scaled = (points - lo) / np.where(hi > lo, hi - lo, 1.0)
    order = [int(np.lexsort((np.arange(n), scaled[:, 0]))[0])]
    # squared distances (same order as distances), every pair at once for fronts that fit
    # (each row the very numbers of ``((scaled - scaled[i]) ** 2).sum(axis=1)``)
    pairs = ((scaled[:, None, :] - scaled[None, :, :]) ** 2).sum(axis=2) if n <= _PAIRWISE else None
    nearest = ((scaled - scaled[order[0]]) ** 2).sum(axis=1) if pairs is None else pairs[order[0]].copy()
    nearest[order[0]] = -1.0
    for _ in range(n - 1):
        pick = int(nearest.argmax())
        order.append(pick)
        row = ((scaled - scaled[pick]) ** 2).sum(axis=1) if pairs is None else pairs[pick]
        # distances are >= 0, so the points chosen before keep their -1 through the minimum
        np.minimum(nearest, row, out=nearest)
        nearest[pick] = -1.0
    return np.array(order, dtype=np.int64)


def _ranks_2d(points: FloatArray) -> IntArray:
    """Non-dominated front of every point of a 2-d set in one sweep, ``O(n log n)``.

    Visiting points by ascending ``(f1, f2)``, a point is dominated by a front exactly when the
    front's smallest ``f2`` so far is no larger than its own (duplicates share a front), and
    those minima increase from front to front, so a bisection finds its front.
    """
    order = np.lexsort((points[:, 1], points[:, 0])).tolist()
    xs, ys = points[:, 0].tolist(), points[:, 1].tolist()  # Python floats, read once
    ranks = [0] * len(xs)
    minima: list[float] = []
    px: float | None = None  # the previous point (duplicates share its front)
    py: float | None = None
    rank = 0
    for i in order:
        x, y = xs[i], ys[i]
        if x != px or y != py:
            rank = bisect_right(minima, y)
            if rank == len(minima):
                minima.append(y)
            else:
                minima[rank] = y
            px, py = x, y
        ranks[i] = rank
    return np.array(ranks, dtype=np.int64)


def mo_order(
    losses: FloatArray,
    *,
    tie_break: str,
    limit: int | None = None,
    memo: dict[tuple[bytes, bytes], IntArray] | None = None,
) -> IntArray:
    """Indices best first: by non-dominated front, then within a front by ``tie_break``.

    ``"epsilon_net"``: :func:`epsilon_net_order` (Schmucker et al.'s recommended variant);
    ``"crowding"``: NSGA-II's crowding distance (larger first). Non-finite rows come last.
    With ``limit``, fronts are ordered only until ``limit`` points are (the result may be
    longer: the last front is ordered whole).

    ``memo`` (a caller's dict, replaced in place by the fronts of this call) keeps each front's
    order under the front's members and their values: a later call whose front has the same
    members with the same values takes its order from there instead of ordering it again (the
    order is a function of exactly these). The result is the same with or without it.
    """
    finite = rankable(losses)
    if len(finite) == 0:
        return np.zeros(0, dtype=np.int64)
    if finite.shape[1] == 1:  # fronts are the distinct values, in order
        ranks = np.unique(finite[:, 0], return_inverse=True)[1].reshape(-1).astype(np.int64)
    elif finite.shape[1] == 2:
        ranks = _ranks_2d(finite)
    else:
        ranks = nondominated_ranks(finite)
    by_front = np.argsort(ranks, kind="stable")
    bounds = np.searchsorted(ranks[by_front], np.arange(int(ranks.max()) + 2))
    out: list[IntArray] = []
    done = 0
    seen: dict[tuple[bytes, bytes], IntArray] = {}
    for start, stop in itertools.pairwise(bounds.tolist()):
        if limit is not None and done >= limit:
            break
        members = by_front[start:stop]
        points = finite[members]
        key = None if memo is None else (members.tobytes(), points.tobytes())
        ordered = None if memo is None or key is None else memo.get(key)
        if ordered is None:
            if tie_break == "crowding":
                within = np.lexsort((np.arange(len(members)), -crowding_distance(points)))
            else:
                within = epsilon_net_order(points)
            ordered = members[within]
        if key is not None:
            seen[key] = ordered
        out.append(ordered)
        done += len(members)
    if memo is not None:
        memo.clear()
        memo.update(seen)
    return np.concatenate(out)


class _MORung:
    """Results of one rung; promotes the best unpromoted member of the top ``floor(n / eta)``.

    "Best" is the multi-objective order :func:`mo_order` over all results of the rung,
    recomputed after a change, and only as far as the top reaches (fronts beyond it are not
    sorted).
    """

    def __init__(self, eta: float, tie_break: str) -> None:
        self.eta = eta
        self.tie_break = tie_break
        self.losses: list[FloatArray] = []
        self.indices: list[int] = []
        self.promoted: set[int] = set()
        self._order: IntArray | None = None
        self._fronts: dict[tuple[bytes, bytes], IntArray] = {}  # mo_order's memo of front orders
        self._rows = np.empty((0, 0))  # the losses stacked, with room to grow (rows past len unused)

    def add(self, losses: FloatArray, index: int) -> None:
        self.losses.append(losses)
        self.indices.append(index)
        self._order = None
        n = len(self.losses)
        if n > len(self._rows):  # doubling: each loss vector is copied O(1) times on average
            grown = np.empty((max(16, 2 * n), len(losses)))
            if n > 1:
                grown[: n - 1] = self._rows[: n - 1]
            self._rows = grown
        self._rows[n - 1] = losses

    def _stacked(self) -> FloatArray:
        """``np.stack(self.losses)``, kept up to date by :meth:`add` (a view: read, never written)."""
        return self._rows[: len(self.losses)]

    def promote(self) -> int | None:
        n_top = int(np.floor(len(self.losses) / self.eta + 1e-9))
        if n_top == 0:
            return None
        if self._order is None or len(self._order) < n_top:
            self._order = mo_order(self._stacked(), tie_break=self.tie_break, limit=n_top, memo=self._fronts)
        positions: list[int] = self._order[:n_top].tolist()
        for position in positions:
            index = self.indices[position]
            if index in self.promoted:
                continue
            if not np.isfinite(self.losses[position]).all():
                return None  # the rest of the top failed too
            self.promoted.add(index)
            return index
        return None


class MOASHA(ASHA):
    """MO-ASHA (Schmucker et al. 2021): ASHA with promotions ranked by non-dominated sorting.

    Everything is :class:`~hpobench.methods.asha.ASHA` (rungs at ``min_fidelity * eta**k``, the
    top rung at the maximal fidelity, promotions scanned from the top-but-one rung down, new
    configurations from the prior at rung 0, continuation of checkpoints where the task supports
    it), except the ranking of a rung's results: the objective vectors (in minimisation) are
    sorted into non-dominated fronts, and within a front ordered by an ε-net
    (``tie_break="epsilon_net"``, the variant Schmucker et al. recommend: farthest-first over the
    front scaled to its range, starting from the best point of the first objective) or by
    NSGA-II's crowding distance (``"crowding"``). A configuration is promoted from rung ``k``
    when it is among the first ``floor(n_k / eta)`` of that order and was not promoted before.
    Failed evaluations rank last and are never promoted. On a single-objective task it is ASHA.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator that samples configurations.
        eta: Reduction factor, a number ``>= 2``.
        min_fidelity: Fidelity of rung 0; ``None`` for the task's lowest fidelity.
        max_fidelity: Fidelity of the top rung; ``None`` for the task's maximal fidelity.
        continuation: As in :class:`~hpobench.methods.asha.ASHA`.
        tie_break: ``"epsilon_net"`` or ``"crowding"``.

    Raises:
        ValueError: A hyperparameter is invalid or the task has no fidelity.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_fidelity=True,
        requires_fidelity=True,
        multi_objective=True,
        asynchronous=True,
        continuation=True,
    )

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        eta: float = 3,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
        continuation: bool | None = None,
        tie_break: str = "epsilon_net",
    ) -> None:
        super().__init__(
            task,
            seed=seed,
            eta=eta,
            min_fidelity=min_fidelity,
            max_fidelity=max_fidelity,
            continuation=continuation,
        )
        self.tie_break = tie_break
        if tie_break not in _TIE_BREAKS:
            raise ValueError(f"tie_break must be one of {list(_TIE_BREAKS)}, got {tie_break!r}")
        self._rungs = []  # ASHA's scalar rungs are replaced by multi-objective ones
        self._mo_rungs = [_MORung(self._eta, tie_break) for _ in self.rung_fidelities]

    def _promote_from(self, rung: int) -> int | None:
        return self._mo_rungs[rung].promote()

    def tell(self, evaluation: Evaluation) -> None:
        """Record the result's objective vector on its rung (failures: ``+inf``).

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        index, rung = self._pending.pop(evaluation.trial)
        self._mo_rungs[rung].add(loss_vector(evaluation, self.task), index)
        self._arrivals += 1


class MOHyperband(Hyperband):
    """MO-Hyperband: Hyperband (Li et al. 2018) whose rungs promote by non-dominated sorting.

    Brackets, schedule, sampling and the synchronous ask/tell protocol are
    :class:`~hpobench.methods.hyperband.Hyperband`'s; when a rung completes, its configurations
    are ordered by :func:`mo_order` (non-dominated fronts, then ``tie_break`` within a front, as
    in :class:`MOASHA`; failures last) and the first ``n_{i+1}`` are promoted. On a
    single-objective task it is Hyperband except that ties between equal losses are broken by
    the ε-net order instead of the sampling order.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator that samples configurations.
        eta: Halving rate, a number ``>= 2``.
        min_fidelity: Smallest fidelity; ``None`` for the task's lowest fidelity.
        max_fidelity: Largest fidelity; ``None`` for the task's maximal fidelity.
        tie_break: ``"epsilon_net"`` or ``"crowding"``.

    Raises:
        ValueError: A hyperparameter is invalid or the task has no fidelity.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_fidelity=True, requires_fidelity=True, multi_objective=True, candidate_set=True
    )

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        eta: float = 3,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
        tie_break: str = "epsilon_net",
    ) -> None:
        super().__init__(task, seed=seed, eta=eta, min_fidelity=min_fidelity, max_fidelity=max_fidelity)
        self.tie_break = tie_break
        if tie_break not in _TIE_BREAKS:
            raise ValueError(f"tie_break must be one of {list(_TIE_BREAKS)}, got {tie_break!r}")
        self._vectors: dict[int, FloatArray] = {}  # index in the rung -> objective vector

    def tell(self, evaluation: Evaluation) -> None:
        """Record the result's objective vector; the last result of a rung triggers promotion.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        entry = self._pending.get(id(evaluation.trial))
        if entry is None or entry[0] is not evaluation.trial:
            entry = next((e for e in self._pending.values() if e[0] == evaluation.trial), None)
        if entry is not None:
            self._vectors[entry[1]] = loss_vector(evaluation, self.task)
        super().tell(evaluation)

    def _finish_rung(self, state: _RungState) -> None:
        # Rank by the multi-objective order; the base class then keeps the first n_{i+1}.
        vectors = np.stack([self._vectors[j] for j in range(len(state.configs))])
        position = np.empty(len(vectors))
        position[mo_order(vectors, tie_break=self.tie_break)] = np.arange(len(vectors))
        state.losses = position.tolist()
        self._vectors = {}
        super()._finish_rung(state)
