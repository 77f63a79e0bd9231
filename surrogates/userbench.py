"""Your own benchmark in a few lines: :func:`tabular` (a table of runs) and :func:`function_benchmark`.

Both return a :class:`~hpobench.contracts.benchmark.Benchmark` to use at once (``check_benchmark``,
a :class:`~hpobench.execution.simulator.Simulation`, your own loop). Studies (``run_study``, ``hpobench
run``, the pytest plugin) run in worker processes that load benchmarks *by name*, so for them
pass ``data_dir``: the benchmark is then also written as the folder ``DATA_DIR/tables/FAMILY/``
(the same folder route as a hand-written one: a Parquet table and ``meta.json``, or a
``meta.json`` naming the function by import path) and its name ``FAMILY/TASK`` runs with that
data directory. The heavy imports (pandas, ConfigSpace, the table code) happen inside the calls.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpobench.contracts.errors import HpobenchError
from hpobench.contracts.types import Direction, Fidelity, Objective

if TYPE_CHECKING:
    import ConfigSpace as CS
    import pandas as pd

    from hpobench.contracts.benchmark import Benchmark

__all__ = ["function_benchmark", "tabular"]

Objectives = str | Sequence[str | Objective] | Mapping[str, str | Direction]
"""One objective column (minimised), several (minimised), or column -> direction."""


def _objectives(objectives: Objectives) -> tuple[Objective, ...]:
    if isinstance(objectives, str):
        objectives = [objectives]
    if isinstance(objectives, Mapping):
        items = [(str(k), v) for k, v in objectives.items()]
        try:
            return tuple(Objective(name=k, direction=Direction(v)) for k, v in items)
        except ValueError as exc:
            raise HpobenchError(f"an objective's direction must be 'minimize' or 'maximize': {exc}") from None
    out = tuple(
        o if isinstance(o, Objective) else Objective(name=o, direction=Direction.MINIMIZE) for o in objectives
    )
    if not out:
        raise HpobenchError("give at least one objective")
    return out


def _folder(data_dir: str | os.PathLike[str], name: str) -> tuple[Path, str, str]:
    """The table folder of ``name`` in ``data_dir``; refused before anything is written.

    Raises:
        HpobenchError: ``name`` is not ``family/task``.
        DataError: The family name is unusable or an installed family has it.
    """
    from hpobench.data.registry import installed_family_names
    from hpobench.surrogates._user_meta import check_family_name

    family, sep, task = name.partition("/")
    if not sep or not family or not task or "/" in task:
        raise HpobenchError(f"a benchmark name has the form 'family/task', got {name!r}")
    folder = Path(data_dir).expanduser() / "tables" / family
    check_family_name(family, where=str(folder), shipped=installed_family_names())
    return folder, family, task


def tabular(
    frame: pd.DataFrame,
    *,
    hyperparameters: Sequence[str] | Mapping[str, Mapping[str, Any]],
    objectives: Objectives,
    fidelity: str | None = None,
    cost: str | None = None,
    seed: str | None = None,
    name: str = "table/main",
    provenance: str = "",
    data_dir: str | os.PathLike[str] | None = None,
) -> Benchmark:
    """A benchmark answered from a long table, one row per (configuration, seed, fidelity).

    The columns mean what a folder's ``meta.json`` says (:mod:`hpobench.surrogates._user_meta`);
    the rows are checked and built as in :mod:`hpobench.surrogates._user_build` (a full grid
    becomes a grid task, other numeric configurations a candidate set; several objectives: the
    first is optimised, the others are extras).

    Args:
        frame: The table (a pandas DataFrame).
        hyperparameters: Hyperparameter columns, or column -> options (``log``, ``values``,
            ``low``, ``high``).
        objectives: Objective column(s); a mapping gives directions (``"minimize"`` /
            ``"maximize"``), names alone are minimised.
        fidelity: The fidelity column, or ``None``.
        cost: The column of seconds from scratch up to the row's fidelity, or ``None``.
        seed: The column of the repeated run's index, or ``None``.
        name: The task name ``"family/task"``.
        provenance: Where the data comes from (kept in ``meta.json``).
        data_dir: Also write the table to ``DATA_DIR/tables/FAMILY/TASK.parquet`` with its
            ``meta.json`` so that studies can run ``name`` with this data directory (the folder
            must not hold a different ``meta.json``); their sha256 are recorded as the ones
            later loads check (writing through this call is a change on purpose).

    Raises:
        DataError: A problem in the table, naming the column and row.
        HpobenchError: A bad argument (a direction, a name), or the folder's meta differs.
    """
    import json

    from hpobench.data.datadir import file_sha256
    from hpobench.surrogates._user_build import build_benchmark
    from hpobench.surrogates._user_meta import TableMeta
    from hpobench.surrogates.user_tables import record_checksums

    hps = {h: {} for h in hyperparameters} if not isinstance(hyperparameters, Mapping) else hyperparameters
    raw = {
        "hyperparameters": {k: dict(v) for k, v in hps.items()},
        "objectives": {o.name: o.direction.value for o in _objectives(objectives)},
        "fidelity": fidelity,
        "cost": cost,
        "seed": seed,
        "provenance": provenance,
    }
    meta = TableMeta.from_json(raw, where="tabular(...)")
    if data_dir is None:
        return build_benchmark(frame, meta, name=name, where="the frame")
    folder, _, task = _folder(data_dir, name)
    benchmark = build_benchmark(frame, meta, name=name, where="the frame")  # checked before writing
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "meta.json"
    text = json.dumps(meta.to_json(), indent=1) + "\n"
    if (
        target.exists()
        and TableMeta.from_json(json.loads(target.read_text(encoding="utf-8")), where="") != meta
    ):
        raise HpobenchError(
            f"{str(target)!r} holds another meta; the tables of one folder share one meta.json"
        )
    tmp = folder / f".{task}.{os.getpid()}.tmp"
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, folder / f"{task}.parquet")
    if not target.exists():
        target.write_text(text, encoding="utf-8")
    # written on purpose: record these files as the ones to check from now on
    record_checksums(folder, {p.name: file_sha256(p) for p in (target, folder / f"{task}.parquet")})
    return benchmark


def function_benchmark(
    fn: Callable[..., Mapping[str, Any]],
    space: CS.ConfigurationSpace | Mapping[str, Any],
    *,
    objectives: Objectives,
    fidelity: Fidelity | tuple[str, float, float] | None = None,
    cost: str | None = None,
    reference: tuple[float, float] | None = None,
    name: str | None = None,
    provenance: str = "",
    data_dir: str | os.PathLike[str] | None = None,
) -> Benchmark:
    """A live benchmark that calls ``fn(config, [fidelity=...,] seed=...) -> {objective: value, ...}``.

    See :mod:`hpobench.surrogates.function_benchmark` for the contract (cost, failures,
    reference values, reproducibility).

    Args:
        fn: The training function.
        space: A ConfigSpace ``ConfigurationSpace``, or a dict that ConfigSpace turns into one
            (``{"lr": (1e-4, 1e-1), "layers": (1, 4), "act": ["relu", "tanh"]}``).
        objectives: As in :func:`tabular`: the keys of ``fn``'s result to optimise (the first).
        fidelity: A :class:`~hpobench.contracts.types.Fidelity`, or ``(name, low, high)`` (integer when
            both bounds are ints), or ``None``.
        cost: The key of ``fn``'s result that holds the cost in seconds; ``None`` measures the
            call's wall-clock time.
        reference: Known ``(best, worst)`` of the first objective (e.g. ``(0.0, 0.9)`` for the
            error of a 10-class classifier: none better, chance level), for normalised regret;
            ``None``: unknown, reports use the best value observed.
        name: The task name ``"family/task"`` (default ``"function/<fn name>"``; with
            ``data_dir`` the task is always the function's name).
        provenance: Free text kept in ``meta.json``.
        data_dir: Also write ``DATA_DIR/tables/FAMILY/meta.json`` naming the function, so that
            studies can run it by name in worker processes (``fn`` must then be importable).

    Raises:
        HpobenchError: ``fn`` cannot reach worker processes (only with ``data_dir``), or a bad
            argument.
    """
    import ConfigSpace as CS

    from hpobench.surrogates.function_benchmark import FunctionBenchmark, save_function

    cs = space if isinstance(space, CS.ConfigurationSpace) else CS.ConfigurationSpace(dict(space))
    if isinstance(fidelity, tuple):
        fname, low, high = fidelity
        fidelity = Fidelity(
            name=fname, low=low, high=high, integer=isinstance(low, int) and isinstance(high, int)
        )
    objs = _objectives(objectives)
    task = getattr(fn, "__name__", "function")
    full = name or f"function/{task}"
    if data_dir is not None:
        folder, family, _ = _folder(data_dir, full)
        save_function(
            folder,
            fn=fn,
            space=cs,
            objectives=objs,
            fidelity=fidelity,
            cost=cost,
            reference=reference,
            provenance=provenance,
        )
        full = f"{family}/{task}"
    return FunctionBenchmark(
        fn=fn, name=full, space=cs, objectives=objs, fidelity=fidelity, cost=cost, reference=reference
    )
