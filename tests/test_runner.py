from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget, BudgetKind
from hpobench.contracts.errors import InvalidSeedError, PluginImportError, UnknownNameError
from hpobench.execution.planning import plan_study
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.execution.store import finished_run_ids
from hpobench.execution.study import run_study

BRANIN = BenchmarkSpec(family="synthetic", task="branin")


def spec(
    method: str, *, seed: int = 0, budget: str = "20", bench: BenchmarkSpec = BRANIN, **kw: object
) -> RunSpec:
    return RunSpec(benchmark=bench, method=method, seed=seed, budget=Budget.parse(budget), method_kwargs=kw)


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("test_raising", "RuntimeError (raised in plugin code): deliberate failure in ask"),
        ("test_invalid_config", "the method proposed an invalid trial: value 1000000000.0 is not allowed"),
        (
            "test_invalid_fidelity",
            "the method proposed an invalid trial: fidelity 1000.0 is outside the range",
        ),
        ("test_stalling", "ask() returned None with no trial in flight"),
    ],
)
def test_misbehaving_method_fails_its_run_with_a_clear_message(
    plugins: Path, method: str, message: str
) -> None:
    outcome = execute_run(spec(method))
    assert outcome.failed
    assert message in outcome.provenance["error"]
    # evaluations made before the failure are kept
    assert len(outcome.frame) == 3
    assert list(outcome.frame["eval"]) == [0, 1, 2]


@pytest.mark.parametrize("method", ["random_search", "test_raising"])
def test_provenance_splits_a_runs_time_into_method_benchmark_simulation_and_table(
    plugins: Path, method: str
) -> None:
    outcome = execute_run(spec(method))
    timing = outcome.provenance["timing"]
    assert set(timing) == {
        "method_seconds",
        "benchmark_seconds",
        "simulation_seconds",
        "reference_seconds",
        "record_seconds",
        "method_us_per_trial",
    }
    # the simulation holds the method's and the benchmark's time (also when the method raised);
    # the simulation, the reference values asked for after it and the table fit in the run's wall time
    assert timing["simulation_seconds"] >= timing["method_seconds"] + timing["benchmark_seconds"] > 0.0
    assert timing["record_seconds"] > 0.0
    assert timing["reference_seconds"] > 0.0  # evaluations were made, so values were asked for
    wall = outcome.provenance["wall_seconds"]
    assert timing["simulation_seconds"] + timing["reference_seconds"] + timing["record_seconds"] <= wall


def test_hanging_method_is_stopped_by_the_timeout(plugins: Path) -> None:
    outcome = execute_run(spec("test_hanging"), timeout=1.0)
    assert outcome.failed
    assert "timeout after 1 s: the run was stopped at its wall-clock limit" in outcome.provenance["error"]
    assert len(outcome.frame) == 3


def test_bad_method_kwargs_fail_the_run(plugins: Path) -> None:
    outcome = execute_run(spec("test_counting", nonsense=3))
    assert outcome.failed
    assert "rejected its keyword arguments" in outcome.provenance["error"]


def test_plugin_that_fails_to_import_is_named(plugins: Path) -> None:
    outcome = execute_run(spec("test_broken_import"))
    assert outcome.failed
    assert "test_broken_import" in outcome.provenance["error"]
    with pytest.raises(PluginImportError, match="could not be loaded"):
        plan_study(benchmarks=[BRANIN], methods=["test_broken_import"], seeds=[0], budget=Budget.parse("5"))


def test_failed_evaluations_are_recorded_and_told(plugins: Path) -> None:
    flaky = BenchmarkSpec(family="flaky", task="nan_half")
    outcome = execute_run(spec("test_counting", bench=flaky, budget="50"))
    assert not outcome.failed, outcome.provenance.get("error")
    statuses = set(outcome.frame["status"])
    assert statuses == {"ok", "failed"}
    failed = outcome.frame[outcome.frame["status"] == "failed"]
    assert failed["value"].isna().all()


def test_study_completes_when_some_runs_fail(plugins: Path, tmp_path: Path) -> None:
    plan = plan_study(
        benchmarks=[BRANIN],
        methods=["test_counting", "test_raising"],
        seeds=[0, 1],
        budget=Budget.parse("10"),
    )
    summary = run_study(plan, out=tmp_path, jobs=1, progress=False)
    assert summary.executed == 4
    assert [run_id.split(".")[2] for run_id, _ in summary.failed] == ["test_raising", "test_raising"]
    assert len(finished_run_ids(tmp_path)) == 4
    record = json.loads((tmp_path / "runs" / f"{plan.runs[2].run_id}.json").read_text())
    assert record["status"] == "failed"
    assert "deliberate failure" in record["error"]
    assert "Traceback" in record["traceback"]


def test_unknown_names_are_rejected_when_planning() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown method .nope.; known methods: .*random_search"):
        plan_study(benchmarks=[BRANIN], methods=["nope"], seeds=[0], budget=Budget.parse("5"))
    with pytest.raises(UnknownNameError, match="unknown benchmark 'synthetic/nope'"):
        plan_study(
            benchmarks=[BenchmarkSpec(family="synthetic", task="nope")],
            methods=["random_search"],
            seeds=[0],
            budget=Budget.parse("5"),
        )


def test_incompatible_pairings_are_skipped_with_a_reason(plugins: Path) -> None:
    flaky = BenchmarkSpec(family="flaky", task="nan_half")
    plan = plan_study(
        benchmarks=[flaky], methods=["hyperband", "test_counting"], seeds=[0], budget=Budget.parse("5")
    )
    assert [r.method for r in plan.runs] == ["test_counting"]
    assert "needs a multi-fidelity task" in plan.skipped[0].reason


@pytest.mark.parametrize("budget", ["37", "7x", "900s"])
def test_budget_is_respected_and_the_crossing_evaluation_kept(budget: str) -> None:
    outcome = execute_run(spec("hyperband", budget=budget))
    assert not outcome.failed, outcome.provenance.get("error")
    frame = outcome.frame
    b = Budget.parse(budget)
    column = {
        BudgetKind.EVALUATIONS: "eval",
        BudgetKind.FIDELITY: "fidelity_spent",
        BudgetKind.SECONDS: "time",
    }
    spent = frame[column[b.kind]].to_numpy(dtype=float)
    if b.kind is BudgetKind.EVALUATIONS:
        spent = spent + 1
    assert spent[-1] >= b.amount
    assert spent[-2] < b.amount


def test_same_spec_gives_identical_results_and_seeds_differ() -> None:
    a = execute_run(spec("hyperband", budget="10x"))
    b = execute_run(spec("hyperband", budget="10x"))
    c = execute_run(spec("hyperband", seed=1, budget="10x"))
    assert a.frame.equals(b.frame)
    assert not np.array_equal(a.frame["value"].to_numpy(), c.frame["value"].to_numpy())


def test_run_ids_are_stable_and_distinguish_specs() -> None:
    assert spec("random_search").run_id == spec("random_search").run_id
    ids = {
        spec("random_search").run_id,
        spec("random_search", seed=1).run_id,
        spec("hyperband", eta=2).run_id,
    }
    assert len(ids) == 3
    assert spec("random_search").run_id.startswith("synthetic.branin.random_search.s0.")


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "runs").glob("*.parquet"))}


def test_jobs_1_and_2_give_byte_identical_tables(tmp_path: Path) -> None:
    plan = plan_study(
        benchmarks=[BRANIN, BenchmarkSpec(family="synthetic", task="hartmann3")],
        methods=["random_search", "hyperband"],
        seeds=[0, 1, 2],
        budget=Budget.parse("5x"),
    )
    run_study(plan, out=tmp_path / "one", jobs=1, progress=False)
    run_study(plan, out=tmp_path / "two", jobs=2, progress=False)
    one, two = _tables(tmp_path / "one"), _tables(tmp_path / "two")
    assert len(one) == 12
    assert one == two


def test_resume_skips_finished_runs_and_redoes_missing_ones(tmp_path: Path) -> None:
    plan = plan_study(
        benchmarks=[BRANIN], methods=["random_search"], seeds=[0, 1, 2], budget=Budget.parse("15")
    )
    run_study(plan, out=tmp_path, progress=False)
    before = _tables(tmp_path)
    victim = plan.runs[1].run_id
    (tmp_path / "runs" / f"{victim}.json").unlink()
    (tmp_path / "runs" / ".tmp-leftover").write_bytes(b"half a file")
    summary = run_study(plan, out=tmp_path, progress=False)
    assert (summary.executed, summary.resumed) == (1, 2)
    assert _tables(tmp_path) == before
    assert not list((tmp_path / "runs").glob(".tmp-*"))


@pytest.mark.parametrize("seed", [-1, "1", True, 1.0, None])
def test_a_run_spec_holds_its_seed_to_the_one_seed_rule(seed: object) -> None:
    with pytest.raises(InvalidSeedError, match="seed must be a non-negative integer"):
        RunSpec(benchmark=BRANIN, method="random_search", seed=seed, budget=Budget.parse("5"))  # type: ignore[arg-type]
    assert (
        type(
            RunSpec(benchmark=BRANIN, method="random_search", seed=np.int64(3), budget=Budget.parse("5")).seed
        )
        is int
    )
