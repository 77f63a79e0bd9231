"""Frozen values that cross layers: tasks, trials, evaluations and reference optima.

Every value is an immutable keyword-only dataclass. Benchmarks create :class:`Task` and
:class:`Evaluation`; methods create :class:`Trial`; the runner moves them between the two and
into the result store. None of them is mutated after construction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import FrozenInstanceError, dataclass, field, fields
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hpobench.contracts.errors import InvalidFidelityError
from hpobench.contracts.values import is_finite_real

if TYPE_CHECKING:
    from ConfigSpace import ConfigurationSpace

Config = Mapping[str, Any]
"""A configuration: hyperparameter name -> value (inactive hyperparameters are absent)."""


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _construct(cls: type[Any], kwargs: dict[str, Any]) -> Any:
    return cls(**kwargs)


class FrozenValue:
    """Base of frozen values: pickles through the constructor (read-only mappings travel as dicts).

    ``MappingProxyType`` fields keep values immutable but do not pickle; this keeps values
    picklable for joblib workers, checkpoints and the compliance checks.
    """

    __slots__ = ()  # lets slotted subclasses (Evaluation) do without an instance ``__dict__``

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {
            f.name: dict(v) if isinstance(v := getattr(self, f.name), MappingProxyType) else v
            for f in fields(self)  # type: ignore[arg-type]
        }
        return (_construct, (type(self), kwargs))


class Direction(Enum):
    """Whether an objective is to be minimised or maximised."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @property
    def sign(self) -> float:
        """+1 for minimisation, -1 for maximisation: ``sign * value`` is always a loss."""
        return 1.0 if self is Direction.MINIMIZE else -1.0


class Status(Enum):
    """Outcome of one evaluation."""

    OK = "ok"
    """The objective values are finite and usable."""
    FAILED = "failed"
    """The training run failed or produced a non-finite value; values are NaN."""


@dataclass(frozen=True, kw_only=True)
class Objective:
    """One objective of a task.

    Attributes:
        name: Column name of the metric, e.g. ``"valid_mse"``.
        direction: Whether lower or higher is better.
    """

    name: str
    direction: Direction


@dataclass(frozen=True, kw_only=True)
class Fidelity:
    """The fidelity (budget) dimension of a multi-fidelity task.

    Attributes:
        name: What the fidelity counts, e.g. ``"epoch"``.
        low: Smallest valid fidelity.
        high: Largest valid fidelity; the target fidelity at which regret is measured.
        integer: Whether only integer fidelities are valid.
    """

    name: str
    low: float
    high: float
    integer: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and 0 < self.low <= self.high):
            raise ValueError(f"fidelity {self.name!r} needs 0 < low <= high, got [{self.low}, {self.high}]")

    def contains(self, value: float) -> bool:
        """Return whether ``value`` is a valid fidelity."""
        if not (self.low <= value <= self.high):
            return False
        return not self.integer or float(value).is_integer()


@dataclass(frozen=True, kw_only=True)
class Task:
    """What a method optimises: search space, objectives and fidelity.

    Attributes:
        name: Full task name, ``"family/task"``.
        space: The search space (a ConfigSpace ``ConfigurationSpace``); treat as read-only.
        objectives: The objectives; the first one is primary (used for regret and rankings).
        fidelity: The fidelity dimension, or ``None`` for a single-fidelity task.
        candidates: Number of configurations when the space is a finite candidate set
            (a tabular grid), ``None`` for continuous or unbounded spaces.
        tags: Free-form labels (``"synthetic"``, ``"tabular"``, the family name, ...).
        continuation: Whether an evaluation at a higher fidelity can continue the training state
            of an earlier one (freeze-thaw, see :attr:`Trial.resume_from`): the task's answers at
            increasing fidelities under one seed are points of one training run, so the runner
            charges only the extra cost. Requires a fidelity.
    """

    name: str
    space: ConfigurationSpace
    objectives: tuple[Objective, ...]
    fidelity: Fidelity | None = None
    candidates: int | None = None
    tags: frozenset[str] = frozenset()
    continuation: bool = False

    def __post_init__(self) -> None:
        if not self.objectives:
            raise ValueError(f"task {self.name!r} needs at least one objective")
        if self.continuation and self.fidelity is None:
            raise ValueError(f"task {self.name!r} cannot support continuation without a fidelity")

    @property
    def family(self) -> str:
        """The family part of :attr:`name`."""
        return self.name.split("/", 1)[0]

    @property
    def multi_fidelity(self) -> bool:
        """Whether the task has a fidelity dimension."""
        return self.fidelity is not None

    @property
    def multi_objective(self) -> bool:
        """Whether the task has more than one objective."""
        return len(self.objectives) > 1

    @property
    def objective(self) -> Objective:
        """The primary objective."""
        return self.objectives[0]


@dataclass(frozen=True, kw_only=True)
class Trial(FrozenValue):
    """A request to evaluate one configuration at one fidelity, made by a method's ``ask``.

    Attributes:
        config: The configuration (copied into a read-only mapping).
        fidelity: The fidelity, or ``None`` for the task's maximal fidelity: a finite real number
            (``int``, ``float`` or a numpy integer or floating scalar; never a ``bool`` or a
            string, see :mod:`hpobench.contracts.values`). Whether it lies in a task's range is checked by
            the benchmark that evaluates the trial.
        tag: A label the method chooses for its own book-keeping (e.g. ``"bracket=1,rung=0"``);
            recorded in the results.
        checkpoint: Name under which the runner keeps the training state reached by this trial
            (once it completed with status OK), so that a later trial can continue it; ``None``
            keeps nothing. A later trial saving under the same name replaces the state.
        resume_from: Name of a checkpoint to continue from instead of training from scratch
            (freeze-thaw), only on tasks with :attr:`Task.continuation`. The trial's fidelity
            must exceed the checkpoint's; the runner evaluates it under the checkpoint's seed
            and charges only ``cost(fidelity) - cost(checkpoint fidelity)``. The configuration
            may differ from the checkpoint's (population-based training changes
            hyperparameters of a copied state); the answer is then the task's value of the new
            configuration, an approximation that tabular benchmarks cannot avoid.
    """

    config: Config
    fidelity: float | None = None
    tag: str = ""
    checkpoint: str | None = None
    resume_from: str | None = None

    def __post_init__(self) -> None:
        """Freeze the configuration and check the fidelity's type.

        Raises:
            InvalidFidelityError: ``fidelity`` is not ``None`` and not a finite real number.
        """
        object.__setattr__(self, "config", _frozen(self.config))
        fidelity = self.fidelity
        if fidelity is not None and not is_finite_real(fidelity):
            raise InvalidFidelityError(
                f"a fidelity must be a finite real number (int or float), "
                f"got {fidelity!r} ({type(fidelity).__name__})"
            )

    __hash__ = None  # type: ignore[assignment]  # configs are mappings; trials are compared, not hashed

    @staticmethod
    def _shared(
        config: MappingProxyType[str, Any],
        fidelity: float | None,
        tag: str = "",
        checkpoint: str | None = None,
        resume_from: str | None = None,
    ) -> Trial:
        """Fast constructor for methods that ask many trials of the same configurations (private to hpobench).

        Equal to ``Trial(config=config, fidelity=..., ...)`` but it shares ``config`` instead of
        copying it: the caller passes a read-only view of a dict that it built itself and never
        changes, so several trials of one configuration may share it. Skips the dataclass
        ``__init__`` and the fidelity check: ``fidelity`` must already be ``None`` or a finite
        real number (a method passes values it checked once, e.g. its rung fidelities).
        """
        trial = _NEW(Trial)
        trial.__dict__.update(
            config=config, fidelity=fidelity, tag=tag, checkpoint=checkpoint, resume_from=resume_from
        )
        return trial


@dataclass(frozen=True, kw_only=True, slots=True)
class Evaluation(FrozenValue):
    """The answer of a benchmark to one trial.

    Slotted (no instance ``__dict__``): benchmarks create one per evaluation, millions per study,
    so each instance is one GC-tracked object plus its read-only mappings.

    Attributes:
        trial: The trial that was evaluated (the very object the method asked for).
        values: Objective name -> observed value (NaN when ``status`` is FAILED).
        cost: Simulated cost of the evaluation in seconds.
        status: Whether the evaluation succeeded.
        extras: Further metrics that are recorded but not optimised (e.g. a test metric).
    """

    trial: Trial
    values: Mapping[str, float]
    cost: float
    status: Status = Status.OK
    extras: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _frozen(self.values))
        object.__setattr__(self, "extras", _frozen(self.extras))

    __hash__ = None  # type: ignore[assignment]  # holds mappings

    @staticmethod
    def _owned(
        trial: Trial,
        values: dict[str, float],
        cost: float,
        status: Status = Status.OK,
        extras: dict[str, float] | None = None,
    ) -> Evaluation:
        """Fast constructor for benchmarks that answer large batches (private to hpobench).

        Equal to ``Evaluation(trial=..., values=..., cost=..., status=..., extras=...)`` but it
        takes ownership of ``values`` and ``extras`` instead of copying them: the caller passes
        dicts it built for this evaluation alone and never touches again (they are wrapped
        read-only, so the evaluation stays immutable). ``extras=None`` means no extras. Skips
        the dataclass ``__init__`` (several times faster); the arguments must already have the field
        types (``cost`` a float, ``status`` a :class:`Status`).
        """
        evaluation = _NEW(_Unfrozen)
        evaluation.trial = trial
        evaluation.values = _PROXY(values)
        evaluation.cost = cost
        evaluation.status = status
        evaluation.extras = _NO_EXTRAS if extras is None else _PROXY(extras)
        evaluation.__class__ = Evaluation  # type: ignore[assignment]  # frozen from here on
        return evaluation  # type: ignore[return-value]

    @staticmethod
    def _recosted(evaluation: Evaluation, cost: float) -> Evaluation:
        """``evaluation`` with another ``cost`` (a float), its mappings shared (private to hpobench).

        Equal to ``dataclasses.replace(evaluation, cost=cost)``; the values and extras views are
        shared rather than copied (an evaluation's mappings are views of dicts nothing changes).
        """
        new = _NEW(_Unfrozen)
        new.trial = evaluation.trial
        new.values = evaluation.values
        new.cost = cost
        new.status = evaluation.status
        new.extras = evaluation.extras
        new.__class__ = Evaluation  # type: ignore[assignment]  # frozen from here on
        return new  # type: ignore[return-value]


def _refuse_set(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delete(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


# dataclass(slots=True) re-creates the class, and the generated frozen __setattr__ of 3.10/3.11
# then raises TypeError (from super()) for names that are not fields; refuse every name alike.
Evaluation.__setattr__ = _refuse_set  # type: ignore[method-assign]
Evaluation.__delattr__ = _refuse_delete  # type: ignore[method-assign]


class _Unfrozen(FrozenValue):
    """Evaluation's slot layout without its frozen ``__setattr__`` (private to the fast constructor).

    :meth:`Evaluation._owned` fills one with plain (specialised) slot stores, then turns it into
    an :class:`Evaluation` by assigning ``__class__``, which CPython allows between classes of
    identical layout (same base, same slot names). About half the cost of setting the slots
    through their descriptors (the dataclass ``__init__`` route).
    """

    __slots__ = ("cost", "extras", "status", "trial", "values")
    trial: Trial
    values: Mapping[str, float]
    cost: float
    status: Status
    extras: Mapping[str, float]


if sorted(Evaluation.__slots__) != sorted(_Unfrozen.__slots__):  # pragma: no cover - guards a field change
    raise AssertionError("Evaluation's fields and _Unfrozen's slots must match")

_NEW = object.__new__
_PROXY = MappingProxyType
_NO_EXTRAS: Mapping[str, float] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class Reference(FrozenValue):
    """Reference values of a task's objectives at the maximal fidelity, for normalised regret.

    Regret of a value ``y`` is ``sign * (y - best)``, normalised by ``sign * (worst - best)``,
    so that scores do not depend on which methods were run.

    Attributes:
        best: Objective name -> reference optimum (best noise-free value over the space).
        worst: Objective name -> reference worst value (the normalisation range).
        source: How the values were obtained (e.g. ``"analytic"``, ``"table: mean over 4 seeds"``).
    """

    best: Mapping[str, float]
    worst: Mapping[str, float]
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "best", _frozen(self.best))
        object.__setattr__(self, "worst", _frozen(self.worst))
        if set(self.best) != set(self.worst):
            raise ValueError("reference best and worst must name the same objectives")

    __hash__ = None  # type: ignore[assignment]  # holds mappings


@dataclass(frozen=True, kw_only=True)
class ParetoReference(FrozenValue):
    """Reference Pareto front and fixed reference point of a multi-objective task.

    Hypervolume regret is measured against this front with this reference point, both fixed by
    the task, so scores do not move when a method is added (as :class:`Reference` does for one
    objective).

    Attributes:
        objectives: Objective names, in the order of the front's columns.
        front: Non-dominated points in the objectives' own units and directions, one tuple per point.
        reference_point: One value per objective, worse than every front point in every
            objective (it bounds the hypervolume).
        source: How the front was obtained (e.g. ``"analytic"``, ``"table: mean over 4 seeds"``).

    Raises:
        ValueError: On construction, when the front is empty, a row or the reference point does
            not have one finite value per objective.
    """

    objectives: tuple[str, ...]
    front: tuple[tuple[float, ...], ...]
    reference_point: tuple[float, ...]
    source: str

    def __post_init__(self) -> None:
        k = len(self.objectives)
        object.__setattr__(self, "objectives", tuple(self.objectives))
        object.__setattr__(self, "front", tuple(tuple(float(v) for v in row) for row in self.front))
        object.__setattr__(self, "reference_point", tuple(float(v) for v in self.reference_point))
        if k < 2 or len(set(self.objectives)) != k:
            raise ValueError(f"a Pareto reference needs two or more distinct objectives: {self.objectives}")
        if not self.front:
            raise ValueError("a Pareto reference front must not be empty")
        if any(len(row) != k for row in self.front) or len(self.reference_point) != k:
            raise ValueError(f"every front point and the reference point must have {k} values")
        if not all(math.isfinite(v) for row in self.front for v in row) or not all(
            math.isfinite(v) for v in self.reference_point
        ):
            raise ValueError("a Pareto reference must hold finite values only")
