"""A user's Python training function as a live benchmark (:func:`hpobench.function_benchmark`).

The function is called as ``fn(config, seed=seed)`` (single-fidelity) or ``fn(config,
fidelity=fidelity, seed=seed)`` (``seed`` an int in ``[0, 2**32)``, the evaluation seed modulo
``2**32``) and returns a mapping holding a number for every objective (and
for the ``cost`` key when one is named); other numeric entries become extras. A non-finite
objective value gives status FAILED; an exception propagates (the run fails with it).

Cost: the returned ``cost`` entry in seconds, or else the call's measured wall-clock seconds.
Studies are reproducible when the function is deterministic given ``(config, fidelity, seed)``
*and* the cost is returned (wall-clock costs differ between runs).

Reference values: a live function has no optimum that could be looked up. Give the bounds you
know (``reference=(best, worst)``, e.g. an error of 0 and the error of chance) and
:meth:`FunctionBenchmark.optimum` answers them (normalised regret as for every task, and
:func:`hpobench.testing.check_benchmark` passes); without them it answers NaN and reports fall
back to the best value observed (and say so).
:meth:`FunctionBenchmark.reference_values` is the value at the maximal fidelity under seed 0.
Answers are memoised per instance on ``(config, fidelity, seed)``, so re-reading a
configuration (a reference value, a promotion) does not train again.

Studies: runs load benchmarks by name inside worker processes, so a function benchmark that a
study runs is saved as a folder ``DATA_DIR/tables/NAME/meta.json`` naming the function by its
import path ``module:qualname`` (see :func:`save_function`). The function must therefore be
importable there: defined at the top level of a module on the workers' ``sys.path``, not in
``__main__`` (a script or notebook) and not a lambda or nested function.
"""

from __future__ import annotations

import importlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import DataError, HpobenchError
from hpobench.contracts.types import Config, Evaluation, Fidelity, Objective, Reference, Status, Task, Trial
from hpobench.contracts.values import check_seed

__all__ = ["FunctionBenchmark", "function_from_meta", "import_path", "save_function"]

TrainFunction = Callable[..., Mapping[str, Any]]
_SEEDS = 2**32
"""The function receives ``seed % 2**32`` (what numpy's and scikit-learn's ``random_state`` take)."""


def import_path(fn: TrainFunction) -> str:
    """``module:qualname`` of a function that worker processes can import.

    Raises:
        HpobenchError: The function lives in ``__main__`` or is a lambda or nested function,
            or importing the path does not give back the same function.
    """
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "")
    if module in (None, "__main__") or "<" in qualname:
        raise HpobenchError(
            f"{qualname or fn!r} (module {module}) cannot reach the study's worker processes: they "
            "import the function by name, so define it at the top level of an importable module "
            "(e.g. train.py beside your script or notebook, then `from train import fn`), not in "
            "__main__ or a notebook cell, and not as a lambda or nested function"
        )
    target = f"{module}:{qualname}"
    if _resolve(target) is not fn:
        raise HpobenchError(f"importing {target} does not give back the function passed")
    return target


def _resolve(target: str) -> Any:
    module, _, qualname = target.partition(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise DataError(
            f"cannot import the function {target}: {type(exc).__name__}: {exc}; it must live in a "
            "module the worker processes can import (not __main__)"
        ) from exc
    return obj


class FunctionBenchmark(Benchmark):
    """A benchmark that calls a user's training function (see the module docstring).

    Args:
        fn: The training function.
        name: The task name, ``"family/task"``.
        space: The search space.
        objectives: The objectives (the first is optimised; the others are reported too).
        fidelity: The fidelity range, or ``None``.
        cost: Key of the returned cost in seconds, or ``None`` for measured wall-clock seconds.
        reference: Known ``(best, worst)`` of the first objective, or ``None`` (unknown: NaN).
    """

    def __init__(
        self,
        *,
        fn: TrainFunction,
        name: str,
        space: CS.ConfigurationSpace,
        objectives: Sequence[Objective],
        fidelity: Fidelity | None = None,
        cost: str | None = None,
        reference: tuple[float, float] | None = None,
    ) -> None:
        if not objectives:
            raise ValueError("a function benchmark needs at least one objective")
        self._fn = fn
        self._cost = cost
        self._reference = reference
        self._names = tuple(o.name for o in objectives)
        self._memo: dict[tuple[str, float | None, int], Evaluation] = {}
        self._task = Task(
            name=name,
            space=space,
            objectives=tuple(objectives[:1]),
            fidelity=fidelity,
            tags=frozenset({"function", "live", name.split("/", 1)[0]}),
        )

    @property
    def task(self) -> Task:
        """The task: the given space, the first objective, the fidelity."""
        return self._task

    def _call(self, trial: Trial, fidelity: float | None, seed: int) -> Evaluation:
        key = (json.dumps(dict(trial.config), sort_keys=True, default=repr), fidelity, seed)
        cached = self._memo.get(key)
        if cached is not None:
            return Evaluation(
                trial=trial,
                values=cached.values,
                cost=cached.cost,
                status=cached.status,
                extras=cached.extras,
            )
        kwargs: dict[str, Any] = {"seed": seed % _SEEDS}
        if self._task.fidelity is not None:
            kwargs["fidelity"] = fidelity
        start = time.perf_counter()
        out = self._fn(dict(trial.config), **kwargs)
        seconds = time.perf_counter() - start
        if not isinstance(out, Mapping):
            raise HpobenchError(f"the training function returned {type(out).__name__}, not a mapping")
        missing = [k for k in (*self._names, *([self._cost] if self._cost else [])) if k not in out]
        if missing:
            raise HpobenchError(f"the training function's result lacks {missing} (it returned {sorted(out)})")
        values = {n: float(out[n]) for n in self._names[:1]}
        extras = {
            str(k): float(v)
            for k, v in out.items()
            if k not in values and k != self._cost and isinstance(v, int | float) and not isinstance(v, bool)
        }
        ok = all(math.isfinite(v) for v in values.values())
        cost = float(out[self._cost]) if self._cost else seconds
        evaluation = Evaluation(
            trial=trial,
            values=values if ok else dict.fromkeys(values, math.nan),
            cost=cost,
            status=Status.OK if ok else Status.FAILED,
            extras=extras,
        )
        self._memo[key] = evaluation
        return evaluation

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        """Call the function once per trial not answered before (see the module docstring)."""
        check_seed(seed)
        fidelities = self.check_trials(trials)
        has = self._task.fidelity is not None
        return [
            self._call(t, float(f) if has else None, seed)
            for t, f in zip(trials, fidelities.tolist(), strict=True)
        ]

    def optimum(self) -> Reference:
        """The given ``reference`` bounds, or NaN (unknown: reports fall back to the best value observed)."""
        name = self._names[0]
        if self._reference is None:
            return Reference(best={name: math.nan}, worst={name: math.nan}, source="unknown: a live function")
        best, worst = self._reference
        return Reference(best={name: best}, worst={name: worst}, source="given by the user")

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """The value at the maximal fidelity under seed 0, shape ``(len(configs), 1)``."""
        trials = [Trial(config=dict(c)) for c in configs]
        evaluations = self.evaluate(trials, seed=0)
        return np.array([[e.values[self._names[0]]] for e in evaluations], dtype=float)


def save_function(
    folder: Path,
    *,
    fn: TrainFunction,
    space: CS.ConfigurationSpace,
    objectives: Sequence[Objective],
    fidelity: Fidelity | None,
    cost: str | None,
    reference: tuple[float, float] | None,
    provenance: str,
) -> None:
    """Write ``folder/meta.json`` describing a function family (read by :func:`function_from_meta`).

    Raises:
        HpobenchError: The function cannot be imported by worker processes (:func:`import_path`).
    """
    meta = {
        "function": import_path(fn),
        "space": space.to_serialized_dict(),
        "objectives": {o.name: o.direction.value for o in objectives},
        "fidelity": None
        if fidelity is None
        else {"name": fidelity.name, "low": fidelity.low, "high": fidelity.high, "integer": fidelity.integer},
        "cost": cost,
        "reference": None if reference is None else list(reference),
        "provenance": provenance,
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def function_from_meta(raw: Mapping[str, Any], *, family: str, where: str) -> FunctionBenchmark:
    """Rebuild a function family's benchmark from its ``meta.json`` object (inside a worker).

    Raises:
        DataError: The meta is invalid or the function cannot be imported.
    """
    from hpobench.contracts.types import Direction

    try:
        target = str(raw["function"])
        space = CS.ConfigurationSpace.from_serialized_dict(dict(raw["space"]))
        objectives = [Objective(name=k, direction=Direction(v)) for k, v in dict(raw["objectives"]).items()]
        fid = raw.get("fidelity")
        fidelity = None if fid is None else Fidelity(**fid)
        cost = raw.get("cost")
        bounds = raw.get("reference")
        reference = None if bounds is None else (float(bounds[0]), float(bounds[1]))
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{where}: not a valid function meta.json: {type(exc).__name__}: {exc}") from exc
    fn = _resolve(target)
    task = target.rpartition(".")[2].rpartition(":")[2]
    return FunctionBenchmark(
        fn=fn,
        name=f"{family}/{task}",
        space=space,
        objectives=objectives,
        fidelity=fidelity,
        cost=cost,
        reference=reference,
    )
