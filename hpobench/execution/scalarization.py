"""A single-objective method on a multi-objective task, through a declared scalarisation.

A study may run a method without the ``multi_objective`` capability on a multi-objective task
when it declares how the objectives are combined into one (:class:`Scalarization`, given per
method to :func:`hpobench.execution.planning.plan_study`). The method then sees a copy of the task with the
one objective :data:`SCALAR_OBJECTIVE` (minimised), and each evaluation it is told carries the
scalarised value of the task's objectives; the run still records every objective, is scored by
hypervolume regret like any other run on the task, and is labelled as scalarised (its method
label ends in ``[scalarised: ...]``).

The objectives are combined after scaling each one as hypervolume regret does (a loss, 0 at the
ideal point of the task's reference front and 1 at its reference point), so weights compare
objectives of different units: ``weighted_sum`` is ``sum_j w_j s_j`` and ``chebyshev``
``max_j w_j s_j`` (which can reach every Pareto-optimal point, also on non-convex fronts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from types import MappingProxyType
from typing import Any

import numpy as np

from hpobench.contracts.method import Capabilities, Method, MethodReport
from hpobench.contracts.objectives import objective_indices
from hpobench.contracts.types import (
    Direction,
    Evaluation,
    FrozenValue,
    Objective,
    ParetoReference,
    Task,
    Trial,
)

__all__ = ["SCALAR_OBJECTIVE", "Scalarization", "ScalarizationKind", "ScalarizedMethod"]

SCALAR_OBJECTIVE = "scalarised"
"""Name of the one objective a scalarised method sees."""


class ScalarizationKind(Enum):
    """How scaled objectives are combined."""

    WEIGHTED_SUM = "weighted_sum"
    CHEBYSHEV = "chebyshev"


@dataclass(frozen=True, kw_only=True)
class Scalarization(FrozenValue):
    """A declared scalarisation: a kind and one non-negative weight per objective name.

    Attributes:
        kind: Weighted sum or Chebyshev.
        weights: Objective name -> weight (>= 0, at least one > 0); objectives not named get 0.

    Raises:
        ValueError: On construction, for a negative, non-finite or all-zero weight.
    """

    kind: ScalarizationKind
    weights: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ScalarizationKind(self.kind))
        weights = {str(k): float(v) for k, v in self.weights.items()}
        if not weights or any(not math.isfinite(w) or w < 0 for w in weights.values()):
            raise ValueError(f"scalarisation weights must be finite and >= 0, got {weights}")
        if not any(w > 0 for w in weights.values()):
            raise ValueError("a scalarisation needs at least one positive weight")
        object.__setattr__(self, "weights", MappingProxyType(dict(sorted(weights.items()))))

    __hash__ = None  # type: ignore[assignment]  # holds a mapping

    @classmethod
    def parse(cls, text: str) -> Scalarization:
        """From ``"KIND:NAME=W,NAME=W"``, e.g. ``"weighted_sum:loss=0.5,time=0.5"``.

        Raises:
            ValueError: Malformed text or an unknown kind.
        """
        kind, sep, rest = text.partition(":")
        try:
            weights = (
                {k.strip(): float(v) for k, v in (p.split("=", 1) for p in rest.split(","))} if sep else {}
            )
            chosen = ScalarizationKind(kind.strip())
        except ValueError:
            kinds = ", ".join(k.value for k in ScalarizationKind)
            raise ValueError(
                f"a scalarisation reads KIND:NAME=WEIGHT,... with KIND one of {kinds}, got {text!r}"
            ) from None
        return cls(kind=chosen, weights=weights)

    @property
    def text(self) -> str:
        """``"weighted_sum f1=0.5,f2=0.5"``: the label part and the record of the scalarisation."""
        return f"{self.kind.value} " + ",".join(f"{k}={v:g}" for k, v in self.weights.items())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"kind": ..., "weights": {...}}``."""
        return {"kind": self.kind.value, "weights": dict(self.weights)}

    def check(self, task: Task) -> None:
        """Check that every weighted objective is one of ``task``'s.

        Raises:
            UnknownNameError: A weight names an objective the task does not have.
        """
        objective_indices(task, list(self.weights))


def scalar_task(task: Task) -> Task:
    """``task`` with the one minimised objective :data:`SCALAR_OBJECTIVE`."""
    return replace(task, objectives=(Objective(name=SCALAR_OBJECTIVE, direction=Direction.MINIMIZE),))


class ScalarizedMethod(Method):
    """A single-objective method told the scalarised value of a multi-objective task's objectives.

    Built by the runner (never registered): it asks what the inner method asks and tells it each
    evaluation with the values replaced by ``{SCALAR_OBJECTIVE: value}`` (NaN when failed); the
    task's own values move to the evaluation's extras.

    Args:
        task: The multi-objective task.
        seed: Unused (the inner method owns the randomness).
        inner: The single-objective method, built on :func:`scalar_task` of ``task``.
        scalarization: How the objectives are combined (checked against ``task``).
        reference: The task's checked Pareto reference (its scale), columns in the task's order.
    """

    capabilities = Capabilities(multi_objective=True, candidate_set=True, asynchronous=True)

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        inner: Method,
        scalarization: Scalarization,
        reference: ParetoReference,
    ) -> None:
        super().__init__(task, seed=seed)
        scalarization.check(task)
        self.inner = inner
        self.scalarization = scalarization
        signs = np.array([o.direction.sign for o in task.objectives])
        front = np.asarray(reference.front, dtype=float) * signs
        self._signs = signs
        self._ideal = front.min(axis=0)
        self._span = np.asarray(reference.reference_point, dtype=float) * signs - self._ideal
        self._names = [o.name for o in task.objectives]
        self._weights = np.array([scalarization.weights.get(n, 0.0) for n in self._names])

    def ask(self) -> Trial | None:
        """The inner method's next trial."""
        return self.inner.ask()

    def value(self, values: Mapping[str, float]) -> float:
        """The scalarised value of one evaluation's objective values (NaN if one is NaN)."""
        raw = np.array([values.get(n, math.nan) for n in self._names], dtype=float)
        scaled = (raw * self._signs - self._ideal) / self._span
        weighted = self._weights * scaled
        if self.scalarization.kind is ScalarizationKind.CHEBYSHEV:
            return float(np.max(weighted))
        return float(np.sum(weighted))

    def tell(self, evaluation: Evaluation) -> None:
        """Tell the inner method the evaluation with its scalarised value."""
        self.inner.tell(
            Evaluation(
                trial=evaluation.trial,
                values={SCALAR_OBJECTIVE: self.value(evaluation.values)},
                cost=evaluation.cost,
                status=evaluation.status,
                extras={**evaluation.extras, **evaluation.values},
            )
        )

    def params(self) -> dict[str, Any]:
        """The inner method's hyperparameters (the scalarisation is recorded with the run's spec)."""
        return self.inner.params()

    def report(self) -> MethodReport:
        """The inner method's report."""
        return self.inner.report()
