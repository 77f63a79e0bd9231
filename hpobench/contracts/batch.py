"""A batch of evaluations held as columns, with lazy :class:`~hpobench.contracts.types.Evaluation` views.

A benchmark that answers a large batch from arrays (a table gather, a model's forward pass) need
not build one object per trial: :class:`EvaluationBatch` keeps the trials and the answer's
columns and builds each :class:`Evaluation` only when it is read, then keeps it (reading an item
twice gives the very same object). It is a read-only sequence equal to the list of its
evaluations, so callers of :meth:`hpobench.contracts.benchmark.Benchmark.evaluate` index, iterate, unpack
and compare it as before; those that want the numbers take :attr:`EvaluationBatch.values` and
:attr:`EvaluationBatch.costs` without any object.

Imports only :mod:`hpobench.contracts.types`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import repeat
from typing import Any, overload

import numpy as np

from hpobench.contracts.types import Evaluation, Status, Trial

__all__ = ["EvaluationBatch"]

_MAKE = Evaluation._owned
_OK, _FAILED = Status.OK, Status.FAILED


class EvaluationBatch(Sequence[Evaluation]):
    """The evaluations of one batch as columns; item ``i`` is built when first read.

    Args:
        trials: The trials, in order (each evaluation holds its trial object; copied).
        objective_names: Names of the objectives, one per column of ``values``.
        values: Objective values, shape ``(n, n_objectives)``; a row of NaN marks a FAILED
            evaluation (a row is either all finite or all NaN). Taken over, not copied: the
            caller passes a fresh array and never touches it again.
        costs: Costs in seconds, shape ``(n,)`` (taken over likewise).
        extra_names: Names of the extra metrics, one per column of ``extras``.
        extras: Extra metrics, shape ``(n, n_extras)``, as the evaluations hold them (the
            benchmark's convention: the dense tables give NaN for non-finite ones, YAHPO keeps
            the model's infinities), or ``None`` for none (then each evaluation's ``extras`` is
            empty). Taken over likewise.

    Raises:
        ValueError: The shapes do not fit the trials and names.
    """

    __slots__ = ("_built", "_costs", "_extra_names", "_extras", "_names", "_rows", "_trials", "_values")

    def __init__(
        self,
        *,
        trials: Sequence[Trial],
        objective_names: Sequence[str],
        values: np.ndarray,
        costs: np.ndarray,
        extra_names: Sequence[str] = (),
        extras: np.ndarray | None = None,
    ) -> None:
        n = len(trials)
        if values.shape != (n, len(objective_names)) or costs.shape != (n,):
            raise ValueError(
                f"values {values.shape} and costs {costs.shape} do not fit {n} trials "
                f"and {len(objective_names)} objective(s)"
            )
        if extras is not None and extras.shape != (n, len(extra_names)):
            raise ValueError(f"extras {extras.shape} do not fit {n} trials and {len(extra_names)} extras")
        values.flags.writeable = False
        costs.flags.writeable = False
        self._trials = tuple(trials)  # the caller may reuse its list
        self._names = tuple(objective_names)
        self._values = values
        self._costs = costs
        self._extra_names = tuple(extra_names)
        self._extras = extras
        self._built: list[Evaluation | None] | None = None
        self._rows: tuple[list[Any], list[float], list[Any] | None] | None = None

    @property
    def trials(self) -> Sequence[Trial]:
        """The trials, in order."""
        return self._trials

    @property
    def values(self) -> np.ndarray:
        """Objective values ``(n, n_objectives)``, NaN rows for FAILED evaluations (read-only)."""
        return self._values

    @property
    def costs(self) -> np.ndarray:
        """Costs in seconds ``(n,)`` (read-only)."""
        return self._costs

    def __len__(self) -> int:
        return len(self._trials)

    def _build(self, i: int) -> Evaluation:
        if self._rows is None:  # Python floats, as the evaluations hold them
            extras = None if self._extras is None else self._extras.tolist()
            self._rows = (self._values.tolist(), self._costs.tolist(), extras)
            self._built = [None] * len(self._trials)
        built = self._built
        assert built is not None
        evaluation = built[i]
        if evaluation is None:
            values, costs, extras = self._rows
            row = values[i]
            ok = row[0] == row[0]  # not NaN: the row is finite
            evaluation = _MAKE(
                self._trials[i],
                dict(zip(self._names, row, strict=True)),
                costs[i],
                _OK if ok else _FAILED,
                None if extras is None else dict(zip(self._extra_names, extras[i], strict=True)),
            )
            built[i] = evaluation
        return evaluation

    @overload
    def __getitem__(self, index: int) -> Evaluation: ...

    @overload
    def __getitem__(self, index: slice) -> list[Evaluation]: ...

    def __getitem__(self, index: int | slice) -> Evaluation | list[Evaluation]:
        if isinstance(index, slice):
            return [self._build(i) for i in range(*index.indices(len(self)))]
        n = len(self._trials)
        i = index.__index__()
        if not -n <= i < n:
            raise IndexError(f"batch index {index} out of range for {n} evaluations")
        return self._build(i + n if i < 0 else i)

    def __iter__(self) -> Iterator[Evaluation]:
        if self._built is None:  # nothing read yet: build every evaluation in a few C-level passes
            return iter(self._build_all())
        return map(self._build, range(len(self._trials)))

    def _build_all(self) -> list[Evaluation]:
        """Every evaluation, as :meth:`_build` builds each one (called before any is built)."""
        values, costs = self._values.tolist(), self._costs.tolist()
        extras = None if self._extras is None else self._extras.tolist()
        self._rows = (values, costs, extras)
        statuses = [_OK if row[0] == row[0] else _FAILED for row in values]  # NaN: FAILED
        extra_dicts = (
            repeat(None) if extras is None else map(dict, map(zip, repeat(self._extra_names), extras))
        )
        built = list(
            map(
                _MAKE,
                self._trials,
                map(dict, map(zip, repeat(self._names), values)),
                costs,
                statuses,
                extra_dicts,
            )
        )
        self._built = list(built)
        return built

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (EvaluationBatch, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared as a sequence, like a list

    def __repr__(self) -> str:
        return f"EvaluationBatch({list(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))  # crosses processes as the plain list it equals
