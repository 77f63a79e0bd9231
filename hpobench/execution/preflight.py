"""Checks of a whole study before its first run, reporting every problem at once.

:func:`study_problems` is called by the ``run`` command after the study is planned and before
any worker starts. It checks what would otherwise fail run by run, each with its own traceback:
method names and their keyword arguments (names against the constructor's signature with a
"did you mean", values against its annotations and the constructor itself), optional packages a
method or benchmark family needs (``requires``), the data of every task (present, and matching
its pinned sha256 unless verification is off: each task is loaded once here) and whether the
budget can run out on the task. It returns the problems as sentences;
:func:`check_study` raises one :class:`~hpobench.contracts.errors.InvalidStudyError` naming all of them.
:func:`contained_study_problems` runs the same checks in worker processes of their own, as many
as the study's jobs (what the ``run`` command does), so the task data they load leaves with them.

This module belongs to the execution layer: it imports the core contracts and the registry.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import re
import types
import typing
from collections.abc import Mapping, Sequence
from enum import Enum
from functools import cache
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import Benchmark, BenchmarkSpec
from hpobench.contracts.budget import Budget, BudgetKind
from hpobench.contracts.errors import HpobenchError, InvalidStudyError, UnknownNameError
from hpobench.contracts.method import Method
from hpobench.contracts.objectives import checked_pareto_reference
from hpobench.contracts.types import Trial
from hpobench.data import registry
from hpobench.data.datadir import ENV_VAR
from hpobench.execution.containment import Limits, run_contained
from hpobench.execution.planning import skip_reason
from hpobench.execution.scalarization import Scalarization
from hpobench.execution.threads import local_workers

__all__ = [
    "check_study",
    "contained_study_problems",
    "did_you_mean",
    "install_hint",
    "missing_modules",
    "study_problems",
]


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest of ``known`` to ``name``, or ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def missing_modules(modules: Sequence[str]) -> list[str]:
    """The top-level modules of ``modules`` that cannot be imported (looked up, not imported)."""
    return [m for m in modules if importlib.util.find_spec(m) is None]


@cache
def _extras() -> dict[str, str]:
    """Requirement name -> the narrowest extra of hpobench that installs it."""
    try:
        lines = requires("hpobench") or []
    except PackageNotFoundError:  # running from a source tree that is not installed
        return {}
    found: dict[str, list[str]] = {}
    for line in lines:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+).*extra\s*==\s*['\"]([^'\"]+)['\"]", line)
        if match:
            found.setdefault(match[1].lower().replace("_", "-"), []).append(match[2])
    # an extra of the package's own name (yahpo -> onnxruntime) beats aggregates such as test/all
    return {
        name: min(extras, key=lambda e: (e in ("all", "test", "dev"), e)) for name, extras in found.items()
    }


def install_hint(module: str) -> str:
    """How to install ``module``: ``pip install 'hpobench[EXTRA]'`` when an extra has it."""
    extra = _extras().get(module.lower().replace("_", "-"))
    return f"pip install 'hpobench[{extra}]'" if extra else f"pip install {module}"


def _requires_message(what: str, modules: Sequence[str]) -> str:
    hints = ", ".join(f"{m} ({install_hint(m)})" for m in modules)
    return f"{what} needs {hints}, which is not installed"


def _conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` (read from JSON) fits the annotation ``hint``; unknown hints accept."""
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_conforms(value, arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return any(value == arg and type(value) is type(arg) for arg in typing.get_args(hint))
    if origin is not None:
        hint = origin
    if not isinstance(hint, type):
        return True
    if hint is bool:
        return isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if issubclass(hint, Enum):
        return isinstance(value, hint) or value in {m.value for m in hint}
    if hint in (tuple, list) or hint.__module__ == "collections.abc":
        return not isinstance(value, str) and isinstance(value, (list, tuple, dict, hint))
    return isinstance(value, hint) or hint not in (str, dict)


def _hints(cls: type[Method]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:  # an annotation that names a type only imported for type checkers
        return {}


def _method_problems(name: str, kwargs: Mapping[str, Any]) -> tuple[type[Method] | None, list[str]]:
    """Load method ``name`` and check its keyword arguments against its constructor."""
    known = registry.method_names()
    if name not in known:
        return None, [str(UnknownNameError("method", name, known))]
    try:
        cls = registry.load_method(name)
    except (HpobenchError, ImportError) as exc:
        return None, [str(exc)]
    problems = []
    missing = missing_modules(cls.requires)
    if missing:
        problems.append(_requires_message(f"method {name!r}", missing))
    params = cls.param_names()
    hints = _hints(cls)
    for key, value in kwargs.items():
        if key not in params:
            listed = ", ".join(params) or "none"
            hint = did_you_mean(key, params)
            problems.append(f"method {name!r} has no argument {key!r}{hint} (its arguments: {listed})")
        elif key in hints and not _conforms(value, hints[key]):
            shown = getattr(hints[key], "__name__", None) or str(hints[key]).replace("typing.", "")
            problems.append(f"{name}.{key}={value!r} is not of the type {shown} that {name!r} takes")
    return (None if problems else cls), problems


def _budget_problem(benchmark: Benchmark, budget: Budget) -> str | None:
    """Why ``budget`` cannot run out on ``benchmark`` (a time budget on costless evaluations)."""
    if budget.kind is not BudgetKind.SECONDS:
        return None
    task = benchmark.task
    config = benchmark.codec.sample(np.random.default_rng(0), 1)[0]
    (evaluation,) = benchmark.evaluate([Trial(config=config)], seed=0)
    if evaluation.cost > 0:
        return None
    return (
        f"{task.name} records no evaluation cost, so the time budget {budget} never runs out: "
        "use an evaluation budget (N) or a fidelity budget (Nx)"
    )


def _objective_problems(
    spec: BenchmarkSpec,
    benchmark: Benchmark,
    classes: Mapping[str, type[Method]],
    *,
    data_dir: Path | None,
    scalarizations: Mapping[str, Scalarization],
) -> list[str]:
    """A multi-objective task's unusable Pareto reference, and single-objective methods planned on it.

    :func:`~hpobench.execution.planning.plan_study` leaves single-objective methods out of tasks whose family
    declares them multi-objective (:attr:`~hpobench.contracts.benchmark.TaskInfo.multi_objective`); a task
    that only shows it once loaded is caught here.
    """
    task = benchmark.task
    if not task.multi_objective:
        return []
    problems = []
    try:
        checked_pareto_reference(benchmark)
    except HpobenchError as exc:
        problems.append(str(exc))
    for name, how in scalarizations.items():
        try:
            how.check(task)
        except HpobenchError as exc:
            problems.append(f"the scalarisation of {name!r} names an objective {spec.name} lacks: {exc}")
    if not registry.task_info(spec, data_dir=data_dir).multi_objective:
        names = ", ".join(o.name for o in task.objectives)
        problems += [
            f"method {name!r} is single-objective and {spec.name} has {len(task.objectives)} objectives "
            f"({names}): leave it out of this task or choose a multi-objective method"
            for name, cls in classes.items()
            if not cls.capabilities.multi_objective
        ]
    return problems


def study_problems(
    *,
    benchmarks: Sequence[BenchmarkSpec],
    methods: Sequence[str],
    budget: Budget,
    method_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    data_dir: Path | None = None,
    verify: bool = True,
    scalarizations: Mapping[str, Scalarization] | None = None,
) -> list[str]:
    """Every problem that would make runs of the study fail for reasons known up front.

    Loads each task once (checking its data against the pins when ``verify``) and constructs
    each method on each task it can handle with the study's keyword arguments (constructors only
    store them, so this is cheap), so invalid argument values a constructor refuses are found
    too. Pairings a method declares it cannot handle are not problems where the study's plan
    skips them (:func:`~hpobench.execution.planning.skip_reason`, from what the family declares);
    one that only shows once the task is loaded (e.g. a conditional space the family did not
    declare) is.

    Args:
        benchmarks: The study's tasks.
        methods: The study's method names.
        budget: The budget of every run.
        method_kwargs: Method name -> keyword arguments (from ``--set``).
        data_dir: The benchmark data directory, or ``None``.
        verify: Whether data files must match their pinned sha256.
        scalarizations: Method name -> declared scalarisation (from ``--scalarize``): each must
            name only objectives of the multi-objective tasks.

    Returns:
        The problems as sentences, in a fixed order, without duplicates; empty when the study
        can start.
    """
    arguments = {
        "benchmarks": benchmarks,
        "methods": methods,
        "budget": budget,
        "method_kwargs": method_kwargs,
        "data_dir": data_dir,
        "verify": verify,
        "scalarizations": scalarizations,
    }
    wide, classes = _study_wide_problems(arguments)
    tasks = [_task_problems(arguments, spec, classes) for spec in benchmarks]
    return _merged(wide, benchmarks, tasks)


def _study_wide_problems(arguments: Mapping[str, Any]) -> tuple[list[str], dict[str, type[Method]]]:
    """The problems of the study's method names and arguments, and the classes of the usable methods."""
    methods = arguments["methods"]
    kwargs = arguments.get("method_kwargs") or {}
    problems: list[str] = []
    for name in kwargs:
        if name not in methods:
            problems.append(
                f"--set names method {name!r}, which is not in the study{did_you_mean(name, methods)}"
            )
    for name in arguments.get("scalarizations") or {}:
        if name not in methods:
            problems.append(
                f"--scalarize names method {name!r}, which is not in the study{did_you_mean(name, methods)}"
            )
    classes: dict[str, type[Method]] = {}
    for name in dict.fromkeys(methods):
        cls, found = _method_problems(name, dict(kwargs.get(name, {})))
        problems.extend(found)
        if cls is not None:
            classes[name] = cls
    return problems, classes


def _task_problems(
    arguments: Mapping[str, Any], spec: BenchmarkSpec, classes: Mapping[str, type[Method]]
) -> tuple[list[str], bool]:
    """The problems of one task of the study, and whether it needs the data directory it lacks."""
    data_dir: Path | None = arguments.get("data_dir")
    kwargs = arguments.get("method_kwargs") or {}
    family = registry.load_family(spec.family, data_dir=data_dir)
    missing = missing_modules(getattr(family, "requires", ()))
    if missing:
        return [_requires_message(f"benchmark family {spec.family!r}", missing)], False
    if registry.task_info(spec, data_dir=data_dir).needs_data and data_dir is None:
        return [], True
    try:
        benchmark = registry.load_benchmark(spec, data_dir=data_dir, verify=arguments.get("verify", True))
    except (HpobenchError, ImportError, OSError, ValueError) as exc:
        text = str(exc)  # a loader's message often names the task itself: name it once
        return [text if text.startswith(f"{spec.name}:") else f"{spec.name}: {text}"], False
    problems: list[str] = []
    budget_problem = _budget_problem(benchmark, arguments["budget"])
    if budget_problem:
        problems.append(budget_problem)
    problems.extend(
        _objective_problems(
            spec, benchmark, classes, data_dir=data_dir, scalarizations=arguments.get("scalarizations") or {}
        )
    )
    info = registry.task_info(spec, data_dir=data_dir)
    for name, cls in classes.items():
        reason = cls.capabilities.incompatibility(benchmark.task)
        if reason is not None:
            single = benchmark.task.multi_objective and not cls.capabilities.multi_objective
            if not single and skip_reason(name, info) is None:  # planned, so it would fail
                problems.append(
                    f"method {name!r} cannot run on {spec.name}: {reason}; leave it out of this task"
                )
            continue
        try:
            cls(benchmark.task, seed=0, **kwargs.get(name, {}))
        except Exception as exc:  # a constructor refusing a value, whatever it raises
            problems.append(f"method {name!r} refuses its arguments on {spec.name}: {exc}")
    return problems, False


def _merged(
    wide: Sequence[str], benchmarks: Sequence[BenchmarkSpec], tasks: Sequence[tuple[list[str], bool]]
) -> list[str]:
    """The study-wide problems, each task's in the study's order, then the tasks lacking data (no repeats)."""
    problems = list(wide)
    for found, _ in tasks:
        problems.extend(found)
    needing = [spec.name for spec, (_, needs) in zip(benchmarks, tasks, strict=True) if needs]
    if needing:
        names = ", ".join(needing)
        problems.append(
            f"{names} need(s) the benchmark data directory: pass --data-dir DIR or set ${ENV_VAR}"
        )
    return list(dict.fromkeys(problems))


def _tasks_job(part: tuple[dict[str, Any], list[int]]) -> tuple[list[str], list[tuple[list[str], bool]]]:
    """The study-wide problems and those of the tasks at the given positions (a share of the checks)."""
    arguments, positions = part
    wide, classes = _study_wide_problems(arguments)
    return wide, [_task_problems(arguments, arguments["benchmarks"][i], classes) for i in positions]


def contained_study_problems(*, jobs: int = 1, **arguments: Any) -> list[str]:
    """:func:`study_problems` (same keyword arguments) in contained worker processes of their own.

    The tasks the checks load (hundreds of MB for a study of many tasks) leave with those
    processes, so the process that then hands out the study's runs holds none of their data; and
    a check that crashes the interpreter (a plugin's constructor, say) is reported as a problem
    instead of ending the caller. Each run's worker loads its own tasks anyway.

    With ``jobs`` above 1 (``-1``: one per core), the tasks are shared out among up to ``jobs``
    processes (runs of consecutive tasks, :data:`_SHARES_PER_JOB` per process, handed out as
    processes free up), so checking many tasks takes about ``1 / jobs`` of the time; the problems
    are the same, in the same order, as one process gives.

    Returns:
        The problems, as :func:`study_problems` gives them; if the checks could not finish (a
        worker crashed, or a check raised an error of its own), one problem per distinct cause
        saying why (and no other).
    """
    n = len(arguments.get("benchmarks", ()))
    workers = local_workers(jobs)  # as run_study counts its workers
    shares = max(1, min(n, workers * _SHARES_PER_JOB)) if workers > 1 else 1
    # consecutive tasks (a family's, which may share a model) go to the same share
    parts = [(arguments, list(range(k * n // shares, (k + 1) * n // shares))) for k in range(shares)]
    found = list(run_contained(_tasks_job, parts, jobs=min(workers, shares), limits=Limits()))
    failures = [
        "the study could not be checked before its first run: "
        + (r.failure or "the checking process returned nothing")
        for r in found
        if r.failure is not None or r.value is None
    ]
    if failures:
        return list(dict.fromkeys(failures))
    tasks: list[tuple[list[str], bool]] = [([], False)] * n
    wide: list[str] = []
    for result in found:
        assert result.value is not None
        wide, shared = result.value  # the same study-wide problems in every share
        for position, task in zip(result.item[1], shared, strict=True):
            tasks[position] = task
    return _merged(wide, arguments.get("benchmarks", ()), tasks)


_SHARES_PER_JOB = 4
"""Shares of the tasks per checking process (more than one, so that a process whose share holds
the slow loads does not finish alone, long after the others)."""


def check_study(
    *,
    benchmarks: Sequence[BenchmarkSpec],
    methods: Sequence[str],
    budget: Budget,
    method_kwargs: Mapping[str, Mapping[str, Any]] | None = None,
    data_dir: Path | None = None,
    verify: bool = True,
    scalarizations: Mapping[str, Scalarization] | None = None,
) -> None:
    """Raise :class:`~hpobench.contracts.errors.InvalidStudyError` naming every :func:`study_problems` one."""
    problems = study_problems(
        benchmarks=benchmarks,
        methods=methods,
        budget=budget,
        method_kwargs=method_kwargs,
        data_dir=data_dir,
        verify=verify,
        scalarizations=scalarizations,
    )
    if problems:
        raise InvalidStudyError(problems)
