"""Capabilities.conditional_spaces and max_objectives: declared as the methods behave, skipped by plans.

A method built on a fixed numeric encoding refuses a search space with conditions; it declares so,
and a study leaves it out of the tasks its family declares conditional (YAHPO rbv2_xgboost) instead
of stopping; a task that only shows its conditions once loaded is refused up front by the preflight.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.data import registry
from hpobench.execution import preflight
from hpobench.execution.planning import plan_study, skip_reason
from hpobench.surrogates._yahpo_scenarios import SCENARIOS

SO_TASK, MO_TASK = "yahpo/rbv2_xgboost-12", "yahpo_mo/rbv2_xgboost-12"


@pytest.mark.parametrize("method", registry.method_names())
def test_conditional_spaces_is_declared_as_the_constructor_behaves(method: str, data_dir: Path) -> None:
    cls = registry.load_method(method)
    name = MO_TASK if cls.capabilities.multi_objective else SO_TASK
    task = registry.load_benchmark(name, data_dir=data_dir).task
    assert task.space.conditions
    if replace(cls.capabilities, conditional_spaces=True).incompatibility(task) is not None:
        pytest.skip(f"{method} cannot run on {task.name} for another reason")
    refusal = ""
    try:
        cls(task, seed=0)
    except ImportError as exc:
        pytest.skip(str(exc))
    except ValueError as exc:
        refusal = str(exc)
    assert (refusal == "") is cls.capabilities.conditional_spaces, refusal
    assert refusal == "" or "conditional" in refusal
    assert (cls.capabilities.incompatibility(task) is None) is (refusal == "")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_yahpo_scenarios_declare_their_conditions(scenario: str, data_dir: Path) -> None:
    first = SCENARIOS[scenario].instances[0]
    space = registry.load_benchmark(f"yahpo/{scenario}-{first}", data_dir=data_dir).task.space
    assert bool(space.conditions) is SCENARIOS[scenario].conditional
    info = registry.task_info(BenchmarkSpec.parse(f"yahpo/{scenario}-{first}"))
    assert info.conditional is SCENARIOS[scenario].conditional


def test_a_study_leaves_methods_out_of_conditional_and_too_wide_tasks(data_dir: Path) -> None:
    specs = [BenchmarkSpec.parse(t) for t in (SO_TASK, "yahpo/lcbench-3945", "synthetic_mo/dtlz2")]
    plan = plan_study(
        benchmarks=specs, methods=["tpe", "random_search", "carbs_like"], seeds=[0], budget=Budget.parse("2x")
    )
    skipped = {(s.benchmark, s.method): s.reason for s in plan.skipped}
    assert "unconditional" in skipped[(SO_TASK, "tpe")]
    assert "at most 2 objectives" in skipped[("synthetic_mo/dtlz2", "carbs_like")]
    planned = {(r.benchmark.name, r.method) for r in plan.runs}
    assert {(SO_TASK, "random_search"), ("yahpo/lcbench-3945", "tpe")} <= planned
    assert (
        preflight.study_problems(
            benchmarks=specs,
            methods=["tpe", "random_search", "carbs_like"],
            budget=Budget.parse("2x"),
            data_dir=data_dir,
        )
        == []
    )


def test_preflight_refuses_a_conditional_task_its_family_did_not_declare(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = registry.task_info
    monkeypatch.setattr(registry, "task_info", lambda spec, **kw: replace(real(spec, **kw), conditional=None))
    assert skip_reason("tpe", registry.task_info(BenchmarkSpec.parse(SO_TASK))) is None  # planned
    problems = preflight.study_problems(
        benchmarks=[BenchmarkSpec.parse(SO_TASK)],
        methods=["tpe"],
        budget=Budget.parse("2x"),
        data_dir=data_dir,
    )
    assert len(problems) == 1
    assert "method 'tpe' cannot run on yahpo/rbv2_xgboost-12" in problems[0]
    assert "conditional search space" in problems[0]
