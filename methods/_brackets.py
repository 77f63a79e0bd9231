"""Bracket schedules and the synchronous successive-halving engine shared by SH and Hyperband.

Terminology follows Li et al., "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
Optimization" (JMLR 2018): a *bracket* is one run of successive halving; it has *rungs*
``i = 0..s``, rung ``i`` evaluates ``n_i`` configurations at fidelity ``r_i`` and promotes the
``n_{i+1} = floor(n_i / eta)`` best of them to the next rung. The last rung of every bracket is
at the maximal fidelity.

Only :class:`BracketMethod` holds state; everything else here is a pure function of the
hyperparameters so that schedules can be tested (and printed) without running anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from hpobench.contracts.errors import IncompatibleError
from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Evaluation, Fidelity, Task, Trial
from hpobench.methods._pending import loss_of

__all__ = [
    "Bracket",
    "BracketMethod",
    "Rung",
    "hpbandster_brackets",
    "hyperband_brackets",
    "is_positive_int",
    "max_bracket_index",
    "resolve_fidelity_range",
    "successive_halving_bracket",
]

_EPS = 1e-9  # guards floor/ceil of products such as 5/3 * 9 = 15.000000000000002


def _floor(x: float) -> int:
    return math.floor(x + _EPS * max(1.0, abs(x)))


def _ceil(x: float) -> int:
    return math.ceil(x - _EPS * max(1.0, abs(x)))


@dataclass(frozen=True, kw_only=True)
class Rung:
    """One rung of a bracket.

    Attributes:
        n_configs: Number of configurations evaluated on this rung.
        fidelity: Fidelity at which they are evaluated.
    """

    n_configs: int
    fidelity: float


@dataclass(frozen=True, kw_only=True)
class Bracket:
    """One successive-halving bracket.

    Attributes:
        s: Bracket index in Hyperband's numbering (``s + 1`` rungs; ``s = s_max`` is the most
            aggressive bracket, ``s = 0`` is random search at the maximal fidelity).
        rungs: The rungs, lowest fidelity first; the last one is at the maximal fidelity.
    """

    s: int
    rungs: tuple[Rung, ...]


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def is_positive_int(value: object) -> bool:
    """Return whether ``value`` is an integer ``>= 1`` (``bool`` excluded)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) >= 1


def validate_eta(eta: object) -> float:
    """Return ``eta`` as a float, or raise ``ValueError`` unless it is a finite real ``>= 2``."""
    if isinstance(eta, (int, float, np.integer, np.floating)) and not isinstance(eta, bool):
        value = float(eta)
        if math.isfinite(value) and value >= 2:
            return value
    raise ValueError(f"eta must be a finite number >= 2 (the halving rate), got {eta!r}")


def resolve_fidelity_range(
    task: Task, min_fidelity: float | None, max_fidelity: float | None
) -> tuple[Fidelity, float, float]:
    """Resolve the fidelity range a bracket method works on.

    Args:
        task: The task; it must have a fidelity.
        min_fidelity: Smallest fidelity to use, ``None`` for ``task.fidelity.low``.
        max_fidelity: Largest fidelity (the last rung), ``None`` for ``task.fidelity.high``.

    Returns:
        The task's fidelity and the resolved ``(r_min, r_max)`` as floats.

    Raises:
        IncompatibleError: The task has no fidelity (a ``ValueError``).
        ValueError: A bound is not a valid fidelity of the task, or ``min_fidelity > max_fidelity``.
    """
    fid = task.fidelity
    if fid is None:
        raise IncompatibleError(
            f"bracket methods need a multi-fidelity task and {task.name!r} has no fidelity"
        )
    bounds = []
    for name, value, default in (
        ("min_fidelity", min_fidelity, fid.low),
        ("max_fidelity", max_fidelity, fid.high),
    ):
        value = default if value is None else value
        if not _is_real(value) or not fid.contains(float(value)):
            kind = "an integer " if fid.integer else "a number "
            raise ValueError(
                f"{name} must be {kind}in the fidelity range [{fid.low:g}, {fid.high:g}] of "
                f"{task.name!r} ({fid.name}), got {value!r}"
            )
        bounds.append(float(value))
    r_min, r_max = bounds
    if r_min > r_max:
        raise ValueError(f"min_fidelity ({r_min:g}) must not exceed max_fidelity ({r_max:g})")
    return fid, r_min, r_max


def max_bracket_index(eta: float, r_min: float, r_max: float) -> int:
    """Return ``s_max = floor(log_eta(r_max / r_min))``, robust to floating-point error."""
    s = 0
    while r_min * eta ** (s + 1) <= r_max * (1 + _EPS):
        s += 1
    return s


def rung_fidelities(
    n_rungs: int, *, eta: float, r_min: float, r_max: float, integer: bool
) -> tuple[float, ...]:
    """Geometric fidelities ``r_max * eta**-(n_rungs - 1 - i)`` of rungs ``i = 0..n_rungs-1``.

    Values are rounded to the nearest integer when ``integer``, clipped to ``[r_min, r_max]``,
    and the last one is exactly ``r_max``.
    """
    out = []
    for i in range(n_rungs):
        r = r_max / eta ** (n_rungs - 1 - i)
        if integer:
            r = float(math.floor(r + 0.5))
        out.append(min(max(r, r_min), r_max))
    out[-1] = r_max
    return tuple(out)


def halving_sizes(n: int, n_rungs: int, eta: float) -> tuple[int, ...]:
    """Rung sizes ``n_0 = n``, ``n_{i+1} = max(1, floor(n_i / eta))``."""
    sizes = [n]
    for _ in range(n_rungs - 1):
        sizes.append(max(1, _floor(sizes[-1] / eta)))
    return tuple(sizes)


def _bracket(s: int, n: int, *, eta: float, r_min: float, r_max: float, integer: bool) -> Bracket:
    fids = rung_fidelities(s + 1, eta=eta, r_min=r_min, r_max=r_max, integer=integer)
    sizes = halving_sizes(n, s + 1, eta)
    return Bracket(s=s, rungs=tuple(Rung(n_configs=k, fidelity=r) for k, r in zip(sizes, fids, strict=True)))


def hyperband_brackets(*, eta: float, r_min: float, r_max: float, integer: bool) -> tuple[Bracket, ...]:
    """Hyperband's brackets ``s = s_max..0`` (Li et al. 2018, Algorithm 1).

    Bracket ``s`` starts ``n = ceil((s_max + 1) / (s + 1) * eta**s)`` configurations at fidelity
    ``r_max * eta**-s``.
    """
    s_max = max_bracket_index(eta, r_min, r_max)
    return tuple(
        _bracket(s, _ceil((s_max + 1) / (s + 1) * eta**s), eta=eta, r_min=r_min, r_max=r_max, integer=integer)
        for s in range(s_max, -1, -1)
    )


def hpbandster_brackets(*, eta: float, r_min: float, r_max: float, integer: bool) -> tuple[Bracket, ...]:
    """The brackets ``s = s_max..0`` of HpBandSter and the ``dehb`` package.

    Rung fidelities are Hyperband's; bracket ``s`` starts ``floor((s_max + 1) / (s + 1)) * eta**s``
    configurations and rung ``i`` keeps ``max(1, int(n0 * eta**-i))`` of them (their
    ``get_next_iteration``; Hyperband's Algorithm 1 rounds ``(s_max + 1) / (s + 1) * eta**s``
    up instead).
    """
    hyperband = hyperband_brackets(eta=eta, r_min=r_min, r_max=r_max, integer=integer)
    s_max = hyperband[0].s
    out = []
    for bracket in hyperband:
        n0 = math.floor((s_max + 1) / (bracket.s + 1)) * eta**bracket.s
        sizes = [max(int(n0 * eta**-i + 1e-9), 1) for i in range(bracket.s + 1)]
        rungs = tuple(replace(r, n_configs=k) for r, k in zip(bracket.rungs, sizes, strict=True))
        out.append(replace(bracket, rungs=rungs))
    return tuple(out)


def successive_halving_bracket(
    *, eta: float, r_min: float, r_max: float, integer: bool, n_configs: int | None
) -> Bracket:
    """The successive-halving bracket from ``r_max * eta**-s_max`` up to ``r_max``.

    ``n_configs=None`` starts ``ceil(eta**s_max)`` configurations, as in Hyperband's most
    aggressive bracket.
    """
    s_max = max_bracket_index(eta, r_min, r_max)
    n = _ceil(eta**s_max) if n_configs is None else n_configs
    return _bracket(s_max, n, eta=eta, r_min=r_min, r_max=r_max, integer=integer)


@dataclass(kw_only=True)
class _RungState:
    """The rung in progress: its configurations and what is known about them."""

    bracket: Bracket
    number: int  # how many brackets were started before this one
    rung: int
    configs: list[dict[str, Any]]
    order: list[int]  # sampling order within the bracket, for stable tie-breaking
    losses: list[float]
    issued: int = 0
    told: int = 0
    trials: list[Trial | None] | None = None  # made ahead by upcoming(): what ask hands out

    def trial(self, i: int, tag: str) -> Trial:
        """The trial of configuration ``i`` (the one made ahead, if any)."""
        made = self.trials[i] if self.trials is not None else None
        return made if made is not None else Trial(config=self.configs[i], fidelity=self.fidelity, tag=tag)

    @property
    def fidelity(self) -> float:
        return self.bracket.rungs[self.rung].fidelity


class BracketMethod(Method):
    """Synchronous successive halving over a cycle of brackets (base of SH and Hyperband).

    Subclasses validate and store their keyword hyperparameters in ``__init__`` and then call
    :meth:`_setup` with the brackets to cycle through. :meth:`ask` hands out the pending trials of
    the current rung one by one and returns ``None`` while the rung waits for results; the
    :meth:`tell` that completes a rung promotes its best configurations (lowest
    ``sign * value`` of the primary objective; FAILED or non-finite values count as ``+inf``;
    ties go to the configuration sampled first). When the last bracket of the cycle finishes,
    the cycle starts again with fresh configurations.

    Trials are tagged ``"round=<k>,bracket=<s>,rung=<i>"`` where ``k`` counts completed cycles.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_fidelity=True, requires_fidelity=True, candidate_set=True, asynchronous=False
    )

    def _setup(self, brackets: tuple[Bracket, ...]) -> None:
        """Initialise the derived state; called once at the end of a subclass's ``__init__``."""
        self._brackets = brackets
        self._rng = np.random.default_rng(self.seed)
        self._codec: SpaceCodec | None = None  # built lazily; not picklable, dropped by __getstate__
        self._state: _RungState | None = None
        self._n_started = 0
        self._pending: dict[int, tuple[Trial, int]] = {}  # id(trial) -> (trial, index in rung)
        self._tag = ""  # tag of the rung in progress

    @property
    def brackets(self) -> tuple[Bracket, ...]:
        """The brackets this method cycles through, in order."""
        return self._brackets

    def ask(self) -> Trial | None:
        """Return the next pending trial of the current rung, or ``None`` while it waits for results."""
        state = self._state if self._state is not None else self._start_bracket()
        i = state.issued
        if i == len(state.configs):
            return None
        state.issued = i + 1
        trial = state.trial(i, self._tag)
        self._pending[id(trial)] = (trial, i)
        return trial

    def upcoming(self) -> list[Trial]:
        """The rung's trials not yet asked, in order (:meth:`Method.upcoming`): they are fixed."""
        state = self._state
        if state is None or state.issued == len(state.configs):
            return []  # the next ask starts a new bracket or waits: nothing is fixed yet
        if state.trials is None:
            state.trials = [None] * len(state.configs)
        ahead = []
        for i in range(state.issued, len(state.configs)):
            made = state.trials[i] = state.trial(i, self._tag)
            ahead.append(made)
        return ahead

    def tell(self, evaluation: Evaluation) -> None:
        """Record the result of an asked trial; the last result of a rung triggers promotion.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        entry = self._pending.pop(id(evaluation.trial), None)
        if entry is None:
            entry = self._pop_equal(evaluation.trial)
        state = self._state
        assert state is not None  # a pending trial implies a rung in progress
        loss = loss_of(evaluation, self.task)
        state.losses[entry[1]] = loss
        self._observe(entry[0], loss)
        state.told += 1
        if state.told == len(state.configs):
            self._finish_rung(state)

    def _pop_equal(self, trial: Trial) -> tuple[Trial, int]:
        # The evaluation may carry a copy of the trial (e.g. after crossing a process boundary).
        for key, entry in self._pending.items():
            if entry[0] == trial:
                del self._pending[key]
                return entry
        raise ValueError(
            f"{type(self).__name__} was told about a trial it did not ask for (or told twice): {trial}"
        )

    def _start_bracket(self) -> _RungState:
        bracket = self._brackets[self._n_started % len(self._brackets)]
        n = bracket.rungs[0].n_configs
        state = _RungState(
            bracket=bracket,
            number=self._n_started,
            rung=0,
            configs=self._sample_configs(n),
            order=list(range(n)),
            losses=[math.inf] * n,
        )
        self._n_started += 1
        self._state = state
        self._set_tag(state)
        return state

    def _sample_configs(self, n: int) -> list[dict[str, Any]]:
        """Hook: the ``n`` configurations of a new bracket's first rung.

        Called when a bracket starts. The default samples the space's prior with the private
        generator; model-based subclasses (BOHB) override it.
        """
        if self._codec is None:
            self._codec = SpaceCodec(self.task.space)
        return self._codec.sample(self._rng, n)

    def _observe(self, trial: Trial, loss: float) -> None:
        """Hook: called by :meth:`tell` with each result (``loss = sign * value``, ``+inf`` if failed).

        The default does nothing; model-based subclasses record the observation.
        """

    def _finish_rung(self, state: _RungState) -> None:
        nxt = state.rung + 1
        if nxt == len(state.bracket.rungs):
            self._state = None  # the next ask starts the next bracket
            return
        k = state.bracket.rungs[nxt].n_configs
        ranked = sorted(range(len(state.configs)), key=lambda j: (state.losses[j], state.order[j]))[:k]
        state.configs = [state.configs[j] for j in ranked]
        state.order = [state.order[j] for j in ranked]
        state.losses = [math.inf] * k
        state.rung = nxt
        state.issued = state.told = 0
        state.trials = None
        self._set_tag(state)

    def _set_tag(self, state: _RungState) -> None:
        cycle = state.number // len(self._brackets)
        self._tag = f"round={cycle},bracket={state.bracket.s},rung={state.rung}"

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_codec"] = None
        # Trials hold read-only mappings that do not pickle; keep them as plain data. After
        # unpickling, tells match in-flight trials by equality (see ``_pop_equal``).
        state["_pending"] = [(dict(t.config), t.fidelity, t.tag, i) for t, i in self._pending.values()]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        trials = [(Trial(config=c, fidelity=f, tag=tag), i) for c, f, tag, i in state["_pending"]]
        state["_pending"] = {id(t): (t, i) for t, i in trials}
        self.__dict__.update(state)
