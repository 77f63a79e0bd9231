"""ASHA: asynchronous successive halving.

Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020.
"""

from __future__ import annotations

import heapq
import math
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Evaluation, Task, Trial
from hpobench.methods._brackets import max_bracket_index, resolve_fidelity_range, validate_eta
from hpobench.methods._pending import PendingTrials, loss_from

__all__ = ["ASHA", "PromotionRung", "asha_rung_fidelities"]

_PRIOR_BLOCK = 64
"""New configurations are sampled from the prior this many at a time (one vectorised draw)."""


def asha_rung_fidelities(*, eta: float, r_min: float, r_max: float, integer: bool) -> tuple[float, ...]:
    """ASHA's rung fidelities ``r_min * eta**k`` for ``k = 0..K-1``, then ``r_max``.

    ``K = floor(log_eta(r_max / r_min))`` (Li et al. 2020, Algorithm 2: rung ``k`` trains for
    ``r * eta**k`` with ``r`` the minimum resource). The lowest rung is exactly ``r_min``; the top
    rung ``K`` is ``r_max`` rather than ``r_min * eta**K <= r_max`` so that the incumbent is
    evaluated at the maximal fidelity. Values are rounded to the nearest integer when
    ``integer`` and clipped to ``[r_min, r_max]``.
    """
    k_max = max_bracket_index(eta, r_min, r_max)
    out = []
    for k in range(k_max):
        r = r_min * eta**k
        if integer:
            r = float(math.floor(r + 0.5))
        out.append(min(max(r, r_min), r_max))
    return (*out, r_max)


class PromotionRung:
    """Results of one rung, answering ASHA's promotion query in ``O(log n)`` per result.

    Results are ordered by ``(loss, arrival)``. The ``floor(n / eta)`` best of the ``n`` results
    (the *top*) live in a max-heap, the others in a min-heap; a lazy min-heap holds the top's
    members that were not promoted yet. Equivalent to sorting all results on every query, as
    Algorithm 2 of Li et al. (2020) reads, without its ``O(n log n)`` cost per ask.
    """

    def __init__(self, eta: float) -> None:
        self.eta = eta
        self.n = 0
        self.top: list[tuple[float, int, int]] = []  # (-loss, -arrival, index): a max-heap
        self.rest: list[tuple[float, int, int]] = []  # (loss, arrival, index): a min-heap
        self.open: list[tuple[float, int, int]] = []  # top members not promoted yet (lazy)
        self.in_top: set[int] = set()
        self.promoted: set[int] = set()

    def _enter_top(self, entry: tuple[float, int, int]) -> None:
        loss, arrival, index = entry
        heapq.heappush(self.top, (-loss, -arrival, index))
        self.in_top.add(index)
        if index not in self.promoted:
            heapq.heappush(self.open, entry)

    def add(self, loss: float, arrival: int, index: int) -> None:
        """Record a result (``loss`` may be ``+inf``; ``arrival`` breaks ties and is unique per rung).

        ASHA passes arrivals in increasing order; any unique integers order the results the same way
        as sorting them by ``(loss, arrival)`` would.
        """
        self.n += 1
        entry = (loss, arrival, index)
        if self.top and (loss, arrival) < (-self.top[0][0], -self.top[0][1]):
            neg_loss, neg_arrival, out = heapq.heappushpop(self.top, (-loss, -arrival, index))
            self.in_top.discard(out)
            heapq.heappush(self.rest, (-neg_loss, -neg_arrival, out))
            self.in_top.add(index)
            if index not in self.promoted:
                heapq.heappush(self.open, entry)
        else:
            heapq.heappush(self.rest, entry)
        n_top = math.floor(self.n / self.eta + 1e-9)
        while len(self.top) < n_top:
            self._enter_top(heapq.heappop(self.rest))

    def promote(self) -> int | None:
        """Mark and return the best unpromoted configuration of the top, if it has a finite loss."""
        while self.open:
            loss, _, index = self.open[0]
            if index in self.promoted or index not in self.in_top:
                heapq.heappop(self.open)  # stale: promoted already, or pushed out of the top
                continue
            if not math.isfinite(loss):
                return None  # the rest of the top failed too
            heapq.heappop(self.open)
            self.promoted.add(index)
            return index
        return None


class ASHA(Method):
    """Asynchronous successive halving with one bracket (early-stopping rate 0).

    Rungs ``k = 0..K`` sit at fidelities ``min_fidelity * eta**k`` with
    ``K = floor(log_eta(max_fidelity / min_fidelity))``, as in Li et al. (2020); the top rung is
    ``max_fidelity`` itself (see :func:`asha_rung_fidelities`). Deviation from the paper: when
    ``max_fidelity / min_fidelity`` is not a power of ``eta``, the last step is larger than ``eta``
    (up to ``eta**2``) instead of the top rung stopping short of ``max_fidelity``, so that the
    incumbent is always evaluated at the maximal fidelity (which is what regret is measured on;
    no reference ASHA is installable here to measure the difference against).
    :meth:`ask` follows Algorithm 2 of Li et al. (2020): scanning
    rungs from the top-but-one down, it promotes the best configuration that is among the top
    ``floor(n_k / eta)`` of the ``n_k`` results of rung ``k`` and was not promoted from rung ``k``
    before; if there is none, it samples a new configuration from the prior at rung 0. It never
    waits (never returns ``None``), so it keeps any number of workers busy. New configurations
    come from the prior in blocks of 64 draws (the sequence depends only on ``seed``). Failed evaluations
    rank last and are never promoted. Ties are broken by the order in which results arrived.
    Each ask and tell costs ``O(K log n)``: the cost per evaluation does not grow with the run.

    Promotions and continuation: with ``continuation`` on (the default where the task supports
    it, ``Task.continuation``), every trial saves its training state under the checkpoint name
    ``"asha-<i>"`` of its configuration and a promotion resumes it (``Trial.resume_from``), so
    the runner charges only the cost from the previous rung's fidelity up (freeze-thaw, as in
    the paper's experiments). Otherwise a promoted configuration is retrained from scratch at
    the higher fidelity. Tags are ``"rung=k"``.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator that samples configurations.
        eta: Reduction factor, a number ``>= 2``.
        min_fidelity: Fidelity of rung 0; ``None`` for the task's lowest fidelity.
        max_fidelity: Fidelity of the top rung; ``None`` for the task's maximal fidelity.
        continuation: ``None`` (default): promotions continue checkpoints exactly when the task
            supports continuation; ``True``: they must (the task must support it); ``False``:
            promoted configurations are retrained from scratch.

    Raises:
        ValueError: A hyperparameter is invalid, the task has no fidelity, or ``continuation``
            is ``True`` on a task without continuation.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_fidelity=True, requires_fidelity=True, asynchronous=True, continuation=True
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
    ) -> None:
        super().__init__(task, seed=seed)
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        self.continuation = continuation
        self._eta = validate_eta(eta)
        fid, r_min, r_max = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        if continuation not in (None, True, False):
            raise ValueError(f"continuation must be None, True or False, got {continuation!r}")
        if continuation and not task.continuation:
            raise ValueError(f"continuation=True, but {task.name!r} does not support continuation")
        self._resume = task.continuation if continuation is None else bool(continuation)
        self.rung_fidelities: tuple[float, ...] = asha_rung_fidelities(
            eta=self._eta, r_min=r_min, r_max=r_max, integer=fid.integer
        )
        for fidelity in self.rung_fidelities:  # checked once here: ask builds trials without the check
            Trial(config={}, fidelity=fidelity)
        self._rng = np.random.default_rng(seed)
        self._codec = SpaceCodec(task.space)
        self._configs: list[dict[str, Any]] = []
        self._views: list[MappingProxyType[str, Any]] = []  # read-only views of _configs, shared by trials
        self._prior: list[dict[str, Any]] = []  # prior samples drawn ahead, next one last
        self._made: list[Trial] = []  # rung-0 trials of the last entries of _prior, made by upcoming()
        self._rungs = [PromotionRung(self._eta) for _ in self.rung_fidelities]
        self._scan = tuple((k, k + 1) for k in reversed(range(len(self._rungs) - 1)))
        self._checkpoints: list[str] = []  # "asha-<i>" of configuration i, made once
        self._tags = tuple(f"rung={k}" for k in range(len(self.rung_fidelities)))
        self._arrivals = 0
        self._pending: PendingTrials[tuple[int, int]] = PendingTrials("ASHA")
        self._objective = task.objective.name  # what loss_of looks up on each call
        self._sign = task.objective.direction.sign

    def _promote_from(self, rung: int) -> int | None:
        """The configuration to promote from ``rung`` (marked promoted), or ``None``."""
        return self._rungs[rung].promote()

    def _promotion(self) -> tuple[int, int] | None:
        if type(self)._promote_from is ASHA._promote_from:  # ASHA's own rungs: no call per rung
            rungs = self._rungs
            for k, above in self._scan:  # from the top-but-one rung down
                if rungs[k].open:
                    index = rungs[k].promote()
                    if index is not None:
                        return index, above
            return None
        for k, above in self._scan:  # a subclass's rungs
            index = self._promote_from(k)
            if index is not None:
                return index, above
        return None

    def ask(self) -> Trial:
        """Promote a configuration if a rung allows it, else start a new one at rung 0 (never ``None``).

        Trials of one configuration share one read-only view of it (see ``Trial._shared``).
        """
        found = self._promotion()
        if found is None:
            if not self._prior:
                self._prior = self._codec.sample(self._rng, _PRIOR_BLOCK)[::-1]
            config = self._prior.pop()
            index = len(self._configs)
            self._configs.append(config)
            self._checkpoints.append(f"asha-{index}")
            if self._made:  # promised: hand out that very trial
                made = self._made.pop()
                self._views.append(made.config)  # type: ignore[arg-type]  # the view it was made with
                return self._pending.add(made, (index, 0))
            self._views.append(MappingProxyType(config))
            found = (index, 0)
        index, rung = found
        view, fidelity, tag = self._views[index], self.rung_fidelities[rung], self._tags[rung]
        if self._resume:
            name = self._checkpoints[index]
            trial = Trial._shared(view, fidelity, tag, name, name if rung > 0 else None)
        else:
            trial = Trial._shared(view, fidelity, tag)
        return self._pending.add(trial, found)

    def upcoming(self) -> list[Trial]:
        """The rung-0 trials of the next new configurations (already drawn), in order.

        Promotions may be asked between them (:meth:`Method.upcoming`).
        """
        made, prior = self._made, self._prior
        if len(made) < len(prior):  # the last entries of _prior have theirs: make the others'
            first = len(self._configs) + len(prior) - 1  # index of prior[0], asked last
            fidelity, tag = self.rung_fidelities[0], self._tags[0]
            missing = []
            for i, config in enumerate(prior[: len(prior) - len(made)]):
                view = MappingProxyType(config)
                if self._resume:
                    name = f"asha-{first - i}"
                    missing.append(Trial._shared(view, fidelity, tag, name, None))
                else:
                    missing.append(Trial._shared(view, fidelity, tag))
            made[:0] = missing
        return made[::-1]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_views"]  # read-only views do not pickle; rebuilt from _configs
        state["_made"] = []  # made again when asked (equal trials)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._views = [MappingProxyType(config) for config in self._configs]

    def tell(self, evaluation: Evaluation) -> None:
        """Record the result on its rung (failed or NaN results count as ``+inf`` loss).

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        index, rung = self._pending.pop(evaluation.trial)
        loss = loss_from(evaluation, self._objective, self._sign)  # loss_of, lookups done once
        self._rungs[rung].add(loss, self._arrivals, index)
        self._arrivals += 1
