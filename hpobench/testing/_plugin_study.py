"""What a test of the hpobench pytest plugin runs: its ``hpo`` declaration, its runs, the session study.

:func:`declaration_of` merges the ``hpo`` markers of a test and its parents (closest value
wins; bad keys or values are a ``pytest.UsageError``); :func:`unrunnable` says why a
(task, method) parameter cannot run here (missing data, optional packages, fidelity);
:func:`item_study` plans one test's runs into a frozen :class:`ItemStudy`; :class:`SessionStudy`
executes the union of every test's runs once and hands out score frames. Used only by
:mod:`hpobench.testing.pytest_plugin`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import HpobenchError
from hpobench.data import registry
from hpobench.data.datadir import ENV_VAR
from hpobench.evaluation.scoring import score_study
from hpobench.execution.planning import StudyPlan, plan_study
from hpobench.execution.runspec import RunSpec
from hpobench.execution.study import StudySummary, run_study
from hpobench.pytest_options import DEFAULT_BUDGET, DEFAULT_SEEDS
from hpobench.testing._plugin_markers import all_tasks, task_markers
from hpobench.testing._plugin_options import HpoOptions, parse_seeds


@dataclass(frozen=True, kw_only=True)
class Declaration:
    methods: tuple[str, ...] = ()
    baselines: tuple[str, ...] = ()
    benchmarks: tuple[str, ...] = ()
    seeds: tuple[int, ...] | None = None
    budget: Budget | None = None
    method_kwargs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


_KEYS = ("methods", "baselines", "benchmarks", "seeds", "budget", "method_kwargs")


def declaration_of(node: Any) -> Declaration:
    """Merge the ``hpo`` markers of a test and its parents (closest value of each key wins)."""
    found: dict[str, Any] = {}
    for mark in node.iter_markers("hpo"):
        if mark.args:
            raise pytest.UsageError(f"{node.nodeid}: use keyword arguments in @pytest.mark.hpo({_KEYS})")
        unknown = set(mark.kwargs) - set(_KEYS)
        if unknown:
            raise pytest.UsageError(f"{node.nodeid}: unknown @pytest.mark.hpo keys {sorted(unknown)}")
        for key, value in mark.kwargs.items():
            found.setdefault(key, value)
    try:
        seeds = found.get("seeds")
        budget = found.get("budget")
        return Declaration(
            methods=_names(found.get("methods", ())),
            baselines=_names(found.get("baselines", ())),
            benchmarks=_names(found.get("benchmarks", ())),
            seeds=None if seeds is None else parse_seeds(",".join(map(str, _names(seeds)))),
            budget=None if budget is None else Budget.parse(str(budget)),
            method_kwargs=dict(found.get("method_kwargs") or {}),
        )
    except ValueError as exc:
        raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.hpo: {exc}") from exc


def _names(value: str | int | Sequence[Any]) -> tuple[Any, ...]:
    if isinstance(value, (str, int)):
        return (value,)
    return tuple(value)


def declared_benchmarks(decl: Declaration, node: Any, data_dir: Path | None) -> list[BenchmarkSpec]:
    try:
        if decl.benchmarks:
            return registry.expand_benchmarks(list(decl.benchmarks), data_dir=data_dir)
        return [BenchmarkSpec.parse(i.name) for i in all_tasks(data_dir)]
    except HpobenchError as exc:
        raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.hpo: {exc}") from exc


def declared_methods(decl: Declaration) -> tuple[str, ...]:
    return decl.methods or tuple(registry.method_names())


def unrunnable(
    spec: BenchmarkSpec | None, method: str | None, options: HpoOptions
) -> tuple[list[Any], str | None]:
    """Marks for a parameter and why it cannot run here (``None`` if it can)."""
    marks: list[Any] = []
    reason = None
    if spec is not None:
        info = registry.task_info(spec, data_dir=options.data_dir)
        marks += [getattr(pytest.mark, name) for name in task_markers(info)]
        if info.needs_data and options.data_dir is None:
            reason = f"{spec.name} needs the benchmark data directory (--hpo-data-dir or ${ENV_VAR})"
    if method is not None and reason is None:
        try:
            cls = registry.load_method(method)
        except HpobenchError as exc:
            return marks, str(exc)
        missing = [m for m in cls.requires if _find_spec(m) is None]
        if missing:
            reason = f"{method} needs the optional package(s) {', '.join(missing)}"
        elif (
            spec is not None
            and cls.capabilities.requires_fidelity
            and not registry.task_info(spec, data_dir=options.data_dir).multi_fidelity
        ):
            reason = f"{method} needs a multi-fidelity task and {spec.name} has no fidelity"
    return marks, reason


def _find_spec(module: str) -> object:
    import importlib.util

    return importlib.util.find_spec(module)


class SessionStudy:
    """The runs of every selected test, planned once after collection and executed once.

    Attributes:
        plan: Union of the runs of every selected test (deduplicated), in collection order.
        out: The study directory.
    """

    def __init__(self, *, plan: StudyPlan, out: Path, options: HpoOptions) -> None:
        self.plan = plan
        self.out = out
        self.options = options
        self.summary: StudySummary | None = None
        self._scores: pd.DataFrame | None = None

    def scores(self, run_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Score frame of ``run_ids`` (all planned runs by default), executing the plan first.

        The first call runs every planned run (``--hpo-jobs`` processes); later calls only select.
        """
        if self._scores is None:
            if self.plan.runs:
                self.summary = run_study(
                    self.plan,
                    out=self.out,
                    jobs=self.options.jobs,
                    data_dir=self.options.data_dir,
                    progress=False,
                )
                self._scores = score_study(self.out, run_ids=[r.run_id for r in self.plan.runs])
            else:
                self._scores = pd.DataFrame()
        if run_ids is None:
            return self._scores
        return self._scores[self._scores["run_id"].isin(list(run_ids))].reset_index(drop=True)


@dataclass(frozen=True, kw_only=True)
class ItemStudy:
    benchmarks: tuple[str, ...]
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    budget: Budget
    runs: tuple[RunSpec, ...]
    skipped: tuple[str, ...]
    error: str | None = None


def item_study(item: pytest.Item, options: HpoOptions) -> ItemStudy:
    decl = declaration_of(item)
    params = getattr(getattr(item, "callspec", None), "params", {})
    budget = options.budget or decl.budget or Budget.parse(DEFAULT_BUDGET)
    seeds = options.seeds or decl.seeds or parse_seeds(DEFAULT_SEEDS)
    if "hpo_benchmark" in params:
        specs = [BenchmarkSpec.parse(params["hpo_benchmark"])]
    else:
        specs = [
            s
            for s in declared_benchmarks(decl, item, options.data_dir)
            if unrunnable(s, None, options)[1] is None
        ]
    methods = (params["hpo_method"],) if "hpo_method" in params else decl.methods
    methods = tuple(dict.fromkeys((*methods, *decl.baselines)))
    names = tuple(s.name for s in specs)
    if not methods:
        return ItemStudy(
            benchmarks=names,
            seeds=seeds,
            budget=budget,
            methods=(),
            runs=(),
            skipped=(),
            error="name the methods: @pytest.mark.hpo(methods=[...])",
        )
    kwargs = {m: decl.method_kwargs[m] for m in methods if m in decl.method_kwargs}
    try:
        plan = plan_study(
            benchmarks=specs,
            methods=list(methods),
            seeds=seeds,
            budget=budget,
            method_kwargs=kwargs,
            data_dir=options.data_dir,
        )
    except (HpobenchError, ValueError) as exc:
        return ItemStudy(
            benchmarks=names, seeds=seeds, budget=budget, methods=methods, runs=(), skipped=(), error=str(exc)
        )
    skipped = tuple(f"{s.benchmark} x {s.method}: {s.reason}" for s in plan.skipped)
    return ItemStudy(
        benchmarks=names, seeds=seeds, budget=budget, methods=methods, runs=plan.runs, skipped=skipped
    )
