"""The Method contract: an HPO method as an ask/tell object with declared capabilities.

Lifecycle: the runner constructs one instance per run with ``Method(task, seed=..., **kwargs)``,
then alternates :meth:`Method.ask` and :meth:`Method.tell` until the run's budget is spent. The
same instance is never shared between runs or threads.
"""

from __future__ import annotations

import inspect
import weakref
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hpobench.contracts.types import Evaluation, Task, Trial

__all__ = ["Capabilities", "Method", "MethodReport"]


@dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What a method can handle; the runner refuses pairings a method cannot handle.

    Attributes:
        multi_fidelity: Uses the task's fidelity (asks for trials below the maximal fidelity).
        requires_fidelity: Cannot run on a task without a fidelity (e.g. Hyperband).
        multi_objective: Optimises several objectives at once.
        candidate_set: Handles finite candidate-set tasks by proposing listed configurations.
        asynchronous: Can have several trials in flight and asks without waiting for results.
        continuation: Asks trials that continue a checkpoint (``Trial.resume_from``) when the
            task supports it (``Task.continuation``); it must not do so on other tasks.
        requires_continuation: Cannot run without continuation (e.g. population-based
            training); implies ``requires_fidelity``.
        conditional_spaces: Handles search spaces with conditions or forbidden clauses
            (methods built on a fixed numeric encoding of the space do not).
        max_objectives: The most objectives the method optimises at once (``None``: any
            number), e.g. 2 for a method that trades performance against one cost.
    """

    multi_fidelity: bool = False
    requires_fidelity: bool = False
    multi_objective: bool = False
    candidate_set: bool = True
    asynchronous: bool = False
    continuation: bool = False
    requires_continuation: bool = False
    conditional_spaces: bool = True
    max_objectives: int | None = None

    def incompatibility(self, task: Task) -> str | None:
        """Return why this method cannot run on ``task``, or ``None`` if it can."""
        if (self.requires_fidelity or self.requires_continuation) and task.fidelity is None:
            return f"it needs a multi-fidelity task and {task.name!r} has no fidelity"
        if self.requires_continuation and not task.continuation:
            return (
                f"it needs a task that supports continuation (freeze-thaw) and {task.name!r} "
                "does not (Task.continuation is False)"
            )
        if task.multi_objective and not self.multi_objective:
            return f"{task.name!r} is multi-objective and the method is not"
        if task.candidates is not None and not self.candidate_set:
            return f"{task.name!r} is a finite candidate set and the method cannot propose candidates"
        if not self.conditional_spaces and (task.space.conditions or task.space.forbidden_clauses):
            return f"{task.name!r} has a conditional search space and the method needs an unconditional one"
        if self.max_objectives is not None and len(task.objectives) > self.max_objectives:
            return (
                f"{task.name!r} has {len(task.objectives)} objectives and the method optimises at most "
                f"{self.max_objectives}"
            )
        return None


@dataclass(frozen=True, kw_only=True)
class MethodReport:
    """What a method says about a run it made, recorded in the run's provenance (``method_report``).

    Attributes:
        warnings: Ways in which the run did not do what the method's name and parameters promise
            (e.g. a library's sampler that fell back to another algorithm), one sentence each.
        counts: Named counters behind the warnings, e.g. ``{"independent_sampling": 12}``.
    """

    warnings: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready record: ``{"warnings": [...], "counts": {...}}``."""
        return {"warnings": list(self.warnings), "counts": {str(k): int(v) for k, v in self.counts.items()}}


_PARAM_NAMES: weakref.WeakKeyDictionary[type, tuple[str, ...]] = weakref.WeakKeyDictionary()
"""Each method class's :meth:`Method.param_names`, read once from its signature."""


class Method(ABC):
    """Base class of HPO methods.

    Subclasses follow scikit-learn's estimator rule: ``__init__(self, task, *, seed, **kw)`` takes
    explicit keyword hyperparameters and only stores them, each under an attribute of the same
    name, so :meth:`params` can record them. All randomness comes from a private
    ``numpy.random.Generator`` created from ``seed`` (never the global state).

    Args:
        task: The task to optimise; read-only.
        seed: Seed of the method's private generator.
    """

    capabilities: ClassVar[Capabilities] = Capabilities()
    """Declared capabilities of the method."""

    requires: ClassVar[tuple[str, ...]] = ()
    """Top-level modules of optional dependencies the method imports (lazily, at construction).

    Test suites skip a method whose requirements are not importable; the registry lists it anyway.
    """

    def __init__(self, task: Task, *, seed: int) -> None:
        self.task = task
        self.seed = seed

    @abstractmethod
    def ask(self) -> Trial | None:
        """Propose the next trial.

        Called by the runner whenever a worker is free. Returns ``None`` when the method must
        wait for results of trials in flight (synchronous methods); returning ``None`` with no
        trial in flight is a stall and fails the run.
        """

    @abstractmethod
    def tell(self, evaluation: Evaluation) -> None:
        """Receive the result of a trial this method asked for.

        ``evaluation.trial`` is the very object returned by :meth:`ask`. The evaluation may have
        status FAILED with NaN values; methods must treat it as a bad result, not raise.
        """

    def upcoming(self) -> Sequence[Trial]:
        """Trials that later calls of :meth:`ask` will return, in this order: a promise (default: none).

        Called by the runner right after :meth:`ask` returned a trial. A method whose coming
        trials are already fixed (a rung of successive halving, a buffer of random samples, the
        next new configurations of ASHA) may list them, as the very objects its later asks return,
        in order, whatever it is told in between; other trials (ASHA's promotions) may be asked
        between them, and it may list fewer than it will ask. On a benchmark whose answers do not
        depend on the seed (:attr:`~hpobench.contracts.benchmark.Benchmark.seed_free`), the runner
        then evaluates them together with the trial just asked, in one batch: the same answers,
        at a batched model's cost per trial. A broken promise costs only time: when a promised
        trial is asked out of its order, the rest of the promise is dropped. Must not change what
        the method asks, or its random state; :func:`hpobench.testing.check_method` checks both.
        """
        return ()

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """Names of the explicit keyword hyperparameters of ``__init__`` (``seed`` excluded).

        Read from the signature once per class (every run records them).
        """
        known = _PARAM_NAMES.get(cls)
        if known is not None:
            return known
        signature = inspect.signature(cls.__init__)
        names = []
        for name, p in signature.parameters.items():
            if name in ("self", "task", "seed"):
                continue
            if p.kind is not inspect.Parameter.KEYWORD_ONLY:
                raise TypeError(f"{cls.__name__}.__init__ parameter {name!r} must be keyword-only")
            names.append(name)
        _PARAM_NAMES[cls] = tuple(names)
        return tuple(names)

    def params(self) -> dict[str, Any]:
        """The method's hyperparameters as passed to ``__init__`` (for provenance)."""
        return {name: getattr(self, name) for name in self.param_names()}

    def report(self) -> MethodReport:
        """What the method says about the run so far (default: nothing).

        Called by the runner once, after the run has ended (also when it failed), and recorded
        in its provenance; the CLI prints the warnings. Must not mutate the method.
        """
        return MethodReport()
