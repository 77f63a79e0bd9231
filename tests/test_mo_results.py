"""Multi-objective runs end to end: recording, checks up front, hypervolume regret, scoring, regress.

Uses the ``testmo`` family of ``mo_plugin.py`` (ZDT1 and a 3-objective DTLZ2 with a fidelity and
a maximised objective, analytic Pareto fronts), registered through a real dist-info.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hpobench import cli
from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import InvalidStudyError, UnknownNameError
from hpobench.contracts.objectives import check_pareto_reference, objective_indices
from hpobench.contracts.pareto import hypervolume, igd_plus, pareto_mask
from hpobench.contracts.types import Direction, Objective, ParetoReference
from hpobench.data.registry import load_benchmark, load_method, task_info
from hpobench.evaluation import reference, regress, suites
from hpobench.evaluation.scoring import score_study
from hpobench.execution.planning import plan_study
from hpobench.execution.preflight import check_study
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.execution.scalarization import Scalarization, ScalarizationKind, ScalarizedMethod, scalar_task
from hpobench.execution.study import run_study
from hpobench.results.curves import anytime_curves
from hpobench.results.hypervolume_regret import (
    MOReference,
    add_hv_regret,
    final_hv_regret,
    hv_regret_of,
    mo_references,
)
from hpobench.results.load import load_results
from hpobench.results.regret import XAxis
from hpobench.testing import check_benchmark
from hpobench.testing.pytest_plugin import task_markers

pytestmark = pytest.mark.usefixtures("mo_family")

ZDT1, DTLZ2 = "testmo/zdt1", "testmo/dtlz2_fid"
MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE


def _spec(bench: str, method: str = "random_search", *, budget: str = "15", seed: int = 0) -> RunSpec:
    return RunSpec(
        benchmark=BenchmarkSpec.parse(bench), method=method, seed=seed, budget=Budget.parse(budget)
    )


def _two(
    front: list[tuple[float, float]], point: tuple[float, float], *, dirs: tuple[Direction, ...] = (MIN, MIN)
) -> MOReference:
    return MOReference(
        objectives=(Objective(name="a", direction=dirs[0]), Objective(name="b", direction=dirs[1])),
        reference=ParetoReference(
            objectives=("a", "b"), front=tuple(front), reference_point=point, source="test"
        ),
    )


@pytest.mark.parametrize("workers", [1, 3])
def test_mo_run_records_every_objective_and_its_reference(workers: int) -> None:
    outcome = execute_run(replace(_spec(DTLZ2, budget="12"), workers=workers))  # simulated workers too
    assert outcome.provenance["status"] == "ok", outcome.provenance.get("error")
    frame = outcome.frame
    observed = np.vstack(frame["objective_values"].to_numpy())
    at_max = np.vstack(frame["objective_values_max"].to_numpy())
    assert observed.shape == at_max.shape == (12, 3)
    np.testing.assert_array_equal(observed[:, 0], frame["value"].to_numpy())
    np.testing.assert_array_equal(at_max[:, 0], frame["value_max"].to_numpy())
    bench = load_benchmark(BenchmarkSpec.parse(DTLZ2))
    configs = [json.loads(c) for c in frame["config"]]
    np.testing.assert_allclose(at_max, bench.reference_values(configs))
    task = outcome.provenance["task"]
    assert task["objectives"] == [
        {"name": "f1", "direction": "minimize"},
        {"name": "f2", "direction": "minimize"},
        {"name": "score", "direction": "maximize"},
    ]
    pareto = outcome.provenance["pareto_reference"]
    assert pareto["objectives"] == ["f1", "f2", "score"]
    assert pareto["reference_point"] == [1.1, 1.1, 0.9]
    assert len(pareto["front"]) == 225
    assert pareto["source"] == "analytic"


def test_single_objective_tables_and_records_are_unchanged() -> None:
    outcome = execute_run(_spec("synthetic/branin", budget="5"))
    assert "objective_values" not in outcome.frame.columns
    assert "objectives" not in outcome.provenance["task"]
    assert "pareto_reference" not in outcome.provenance


def test_mo_study_resumes_and_reads_back_from_combined_and_run_files(tmp_path: Path) -> None:
    out = tmp_path / "study"
    benches = [BenchmarkSpec.parse(b) for b in (ZDT1, DTLZ2, "synthetic/branin")]
    first = plan_study(benchmarks=benches, methods=["random_search"], seeds=[0], budget=Budget.parse("10"))
    run_study(first, out=out, jobs=1, progress=False)
    full = plan_study(benchmarks=benches, methods=["random_search"], seeds=[0, 1], budget=Budget.parse("10"))
    summary = run_study(full, out=out, jobs=1, progress=False)
    assert (summary.executed, summary.resumed) == (3, 3)
    combined = load_results(out)
    own = load_results(out, combined=False)
    pd.testing.assert_frame_equal(combined.evaluations, own.evaluations)
    assert set(combined.provenance) == set(own.provenance)
    assert len(own.provenance) == 4
    branin = combined.evaluations[combined.evaluations["benchmark"] == "synthetic/branin"]
    assert branin["objective_values"].isna().all()
    schema = pq.read_schema(next((out / "runs").glob("synthetic.branin.*.parquet")))
    assert "objective_values" not in schema.names  # the run's own file stays single-objective
    assert set(combined.runs.loc[combined.runs["benchmark"] == DTLZ2, "objectives"]) == {"f1,f2,score"}


def test_bad_reference_point_and_unknown_objective_are_refused_up_front() -> None:
    spec = BenchmarkSpec.parse("testmo/zdt1_badref")
    with pytest.raises(InvalidStudyError, match=r"reference point of 'testmo/zdt1_badref' does not dominate"):
        check_study(benchmarks=[spec], methods=["random_search"], budget=Budget.parse("5"))
    outcome = execute_run(_spec("testmo/zdt1_badref"))
    assert outcome.failed
    assert "f1 (minimize): reference 0.5, nadir 1" in outcome.provenance["error"]
    task = load_benchmark(BenchmarkSpec.parse(ZDT1)).task
    with pytest.raises(
        UnknownNameError, match=r"^testmo/zdt1: unknown objective 'loss'; known objectives: f1, f2$"
    ):
        objective_indices(task, ["loss"])
    wrong = ParetoReference(
        objectives=("f1", "loss"), front=((0.0, 1.0),), reference_point=(2, 2), source="x"
    )
    with pytest.raises(UnknownNameError, match="unknown objective 'loss'"):
        check_pareto_reference(task, wrong)
    flipped = ParetoReference(
        objectives=("f2", "f1"), front=((1.0, 0.0),), reference_point=(3, 2), source="x"
    )
    assert check_pareto_reference(task, flipped).front == ((0.0, 1.0),)  # reordered to the task's order


def test_single_objective_method_on_mo_task_is_left_out_with_a_reason_or_refused() -> None:
    plan = plan_study(
        benchmarks=[BenchmarkSpec.parse(ZDT1)],
        methods=["tpe", "random_search"],
        seeds=[0],
        budget=Budget.parse("5"),
    )
    assert [r.method for r in plan.runs] == ["random_search"]
    assert plan.skipped[0].reason == "tpe is single-objective and testmo/zdt1 has 2 objectives (f1, f2)"
    undeclared = BenchmarkSpec.parse("testmo/zdt1_undeclared")  # only known once loaded: refused up front
    plan = plan_study(benchmarks=[undeclared], methods=["tpe"], seeds=[0], budget=Budget.parse("5"))
    assert len(plan.runs) == 1
    with pytest.raises(
        InvalidStudyError, match=r"method 'tpe' is single-objective and testmo/zdt1_undeclared"
    ):
        check_study(benchmarks=[undeclared], methods=["tpe", "random_search"], budget=Budget.parse("5"))
    outcome = execute_run(_spec(ZDT1, "tpe"))  # asked for anyway: the run fails with the reason
    assert outcome.failed
    assert "is multi-objective and the method is not" in outcome.provenance["error"]


def test_hypervolume_regret_by_hand() -> None:
    ref = _two([(0.0, 1.0), (1.0, 0.0)], (2.0, 2.0))
    assert ref.front_hypervolume == pytest.approx(0.75)
    assert hv_regret_of(np.array([[0.0, 1.0], [1.0, 0.0]]), ref) == pytest.approx(0.0)
    assert hv_regret_of(np.array([[1.0, 0.0]]), ref) == pytest.approx(1 / 3)
    assert hv_regret_of(np.array([[2.0, 0.0], [5.0, 5.0]]), ref) == 1.0  # nothing dominates the point
    assert hv_regret_of(np.array([[np.nan, 0.0], [0.0, 0.0]]), ref) < 0  # beats the front; NaN rows ignored
    # a maximised objective: the same numbers negated give the same regret
    flipped = _two([(0.0, -1.0), (1.0, 0.0)], (2.0, -2.0), dirs=(MIN, MAX))
    assert hv_regret_of(np.array([[1.0, 0.0]]), flipped) == pytest.approx(1 / 3)


def test_anytime_hv_regret_matches_a_recomputation_from_scratch(tmp_path: Path) -> None:
    plan = plan_study(
        benchmarks=[BenchmarkSpec.parse(b) for b in (ZDT1, DTLZ2)],
        methods=["random_search"],
        seeds=[0, 1],
        budget=Budget.parse("40"),
    )
    run_study(plan, out=tmp_path, jobs=1, progress=False)
    loaded = load_results(tmp_path)
    refs, notes = mo_references(loaded.provenance, loaded.runs)
    assert set(refs) == {ZDT1, DTLZ2}
    assert notes == []
    scored = add_hv_regret(loaded.evaluations, refs, anytime_igd=True)
    lazy = add_hv_regret(loaded.evaluations, refs)
    np.testing.assert_array_equal(lazy["hv_regret"], scored["hv_regret"])
    last = lazy.groupby("run_id").tail(1).index
    np.testing.assert_array_equal(lazy.loc[last, "igd_plus"], scored.loc[last, "igd_plus"])
    assert lazy.drop(index=last)["igd_plus"].isna().all()
    for run_id, rows in scored.groupby("run_id"):
        ref = refs[rows["benchmark"].iloc[0]]
        observed = np.vstack(rows["objective_values"].to_numpy())
        at_max = np.vstack(rows["objective_values_max"].to_numpy())
        for i in (0, 9, 39):  # the observed front's noise-free values, from scratch
            losses = observed[: i + 1] * ref.signs
            found = at_max[: i + 1][pareto_mask(losses)]
            assert rows["hv_regret"].iloc[i] == pytest.approx(hv_regret_of(found, ref), abs=1e-12), run_id
            expected_igd = igd_plus(ref.scaled(found), front=ref.front)
            assert rows["igd_plus"].iloc[i] == pytest.approx(expected_igd, abs=1e-12)
        if rows["benchmark"].iloc[0] == ZDT1:  # noise-free, one fidelity: never gets worse
            assert np.all(np.diff(rows["hv_regret"].to_numpy()) <= 1e-15)
    for axis in XAxis:  # anytime curves over evaluations, fidelity budget and simulated time
        curves = anytime_curves(scored, axis=axis, column="hv_regret", points=20, resamples=50)
        zdt = curves[curves["benchmark"] == ZDT1]
        assert len(zdt) > 0
        assert np.all(np.diff(zdt["mean"].to_numpy()) <= 1e-12)
        assert (zdt["lo"] <= zdt["mean"] + 1e-12).all()
        assert (zdt["n"] == 2).all()
    final = final_hv_regret(scored)
    assert len(final) == 4
    assert final["hv_regret"].between(0, 1).all()
    scores = score_study(tmp_path)
    assert (scores["metric"] == "hv_regret").all()
    merged = scores.merge(final, on=["benchmark", "method", "seed"])
    np.testing.assert_allclose(merged["normalized_regret"], merged["hv_regret"])
    # the reference front itself scores 0
    ref = refs[ZDT1]
    assert hv_regret_of(np.asarray(ref.reference.front), ref) == pytest.approx(0.0, abs=1e-12)
    assert ref.front_hypervolume == pytest.approx(hypervolume(ref.front, reference=[1.0, 1.0]))


def test_regress_scores_mo_tasks_by_hypervolume_regret(
    regress_plugins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = ["--benchmarks", ZDT1, DTLZ2, "--reference-dir", str(tmp_path / "store")]
    assert cli.main(["regress", "--update-reference", "random_search", *ref]) == 0
    store = reference.ReferenceStore(tmp_path / "store")
    assert "pareto_reference" in store.record()["tasks"][ZDT1]
    assert len(store.scores()) == 2 * len(suites.REFERENCE_SEEDS)
    capsys.readouterr()
    assert cli.main(["regress", "test_same_random_search", "--against", "random_search", *ref]) == 0
    out = capsys.readouterr().out
    assert "final hypervolume regret" in out
    assert "p = 1," in out  # every (task, seed) pair reproduces its reference
    assert cli.main(["regress", "test_lazy_random_search", "--against", "random_search", *ref]) == 1
    assert "REGRESSION: test_lazy_random_search is significantly worse" in capsys.readouterr().out
    suite = suites.Suite(name="mo", benchmarks=(ZDT1,), description="one task")
    same = regress.regress("test_same_random_search", against="random_search", suite=suite, store=store)
    assert not same.regression
    assert same.hv_tasks == (ZDT1,)
    assert cli.main(["regress", "random_search", "--benchmarks", ZDT1]) == 2  # the packaged store is fixed
    assert "--benchmarks needs a --reference-dir" in capsys.readouterr().err


def test_multi_objective_marker_and_listing_show_the_objectives(capsys: pytest.CaptureFixture[str]) -> None:
    assert "multi_objective" in task_markers(task_info(BenchmarkSpec.parse(ZDT1)))
    assert "multi_objective" not in task_markers(task_info(BenchmarkSpec.parse("synthetic/branin")))
    assert cli.main(["list", "--tasks"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "testmo/dtlz2_fid" in x)
    assert line.endswith("objectives: f1 (min), f2 (min), score (max)")
    assert cli.main(["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    family = next(f for f in listed["families"] if f["name"] == "testmo")
    assert family["tasks"][0]["objectives"] == [
        {"name": "f1", "direction": "minimize"},
        {"name": "f2", "direction": "minimize"},
    ]


def test_single_objective_method_through_a_declared_scalarisation(tmp_path: Path) -> None:
    how = Scalarization.parse("chebyshev:f1=1,f2=1")
    assert how.kind is ScalarizationKind.CHEBYSHEV
    assert dict(how.weights) == {"f1": 1.0, "f2": 1.0}
    plan = plan_study(
        benchmarks=[BenchmarkSpec.parse(b) for b in (ZDT1, "synthetic/branin")],
        methods=["tpe"],
        seeds=[0],
        budget=Budget.parse("12"),
        scalarizations={"tpe": how},
    )
    labels = {r.benchmark.name: r.label for r in plan.runs}
    assert labels == {ZDT1: "tpe [scalarised: chebyshev f1=1,f2=1]", "synthetic/branin": "tpe"}
    assert plan.runs[1].run_id == _spec("synthetic/branin", "tpe", budget="12").run_id  # unchanged
    run_study(plan, out=tmp_path, jobs=1, progress=False)
    scores = score_study(tmp_path)
    row = scores[scores["benchmark"] == ZDT1].iloc[0]
    assert row["status"] == "ok"
    assert row["metric"] == "hv_regret"
    assert row["method_name"] == "tpe"
    record = json.loads(next((tmp_path / "runs").glob("testmo.zdt1.tpe.*.json")).read_text())
    assert record["spec"]["scalarization"] == {"kind": "chebyshev", "weights": {"f1": 1.0, "f2": 1.0}}
    frame = pd.read_parquet(next((tmp_path / "runs").glob("testmo.zdt1.tpe.*.parquet")))
    assert frame["method"].iloc[0] == "tpe [scalarised: chebyshev f1=1,f2=1]"
    assert len(np.vstack(frame["objective_values"].to_numpy())[0]) == 2  # every objective recorded
    # the value the method was told: scaled as hypervolume regret does, then combined
    bench = load_benchmark(BenchmarkSpec.parse(ZDT1))
    wrapped = ScalarizedMethod(
        bench.task,
        seed=0,
        inner=load_method("random_search")(scalar_task(bench.task), seed=0),
        scalarization=Scalarization(kind=ScalarizationKind.WEIGHTED_SUM, weights={"f1": 1, "f2": 2}),
        reference=bench.pareto_reference(),
    )
    assert wrapped.value({"f1": 0.55, "f2": 3.0}) == pytest.approx(
        0.5 + 2 * 0.5
    )  # ideal (0, 0), point (1.1, 6)
    with pytest.raises(UnknownNameError, match="unknown objective 'loss'"):
        Scalarization.parse("weighted_sum:loss=1").check(bench.task)
    with pytest.raises(
        InvalidStudyError, match="the scalarisation of 'tpe' names an objective testmo/zdt1 lacks"
    ):
        check_study(
            benchmarks=[BenchmarkSpec.parse(ZDT1)],
            methods=["tpe"],
            budget=Budget.parse("5"),
            scalarizations={"tpe": Scalarization.parse("weighted_sum:loss=1")},
        )
    with pytest.raises(ValueError, match="KIND one of weighted_sum, chebyshev"):
        Scalarization.parse("sum:f1=1")


def test_cli_scalarize_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = [
        "run",
        "--benchmarks",
        ZDT1,
        "--methods",
        "tpe",
        "--seeds",
        "0",
        "--budget",
        "5",
        "--out",
        str(tmp_path),
    ]
    assert cli.main([*args, "--scalarize", "tpe=weighted_sum:loss=1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "names an objective testmo/zdt1 lacks: testmo/zdt1: unknown objective 'loss'" in err[0]
    assert cli.main([*args, "--scalarize", "tpe=sum"]) == 2
    assert "cannot read --scalarize 'tpe=sum'" in capsys.readouterr().err


def test_compliance_checks_the_pareto_reference() -> None:
    check_benchmark(load_benchmark(BenchmarkSpec.parse(DTLZ2)), n=4)
    with pytest.raises(AssertionError, match="does not dominate the front's nadir"):
        check_benchmark(load_benchmark(BenchmarkSpec.parse("testmo/zdt1_badref")), n=4)


def test_max_fidelity_rule_keeps_cheap_low_fidelity_points_out_of_the_front() -> None:
    # a cost-like objective that grows with the fidelity: the 1-epoch evaluation looks cheap when
    # observed, but trained fully the configuration is mediocre in both objectives
    ref = _two([(0.0, 1.0), (1.0, 0.0)], (2.0, 2.0))
    evaluations = pd.DataFrame(
        {
            "run_id": ["r", "r"],
            "eval": [0, 1],
            "benchmark": ["t/x", "t/x"],
            "status": ["ok", "ok"],
            "fidelity": [1.0, 10.0],
            "objective_values": [[0.5, 0.01], [0.5, 0.5]],
            "objective_values_max": [[1.5, 1.5], [0.5, 0.5]],
        }
    )
    runs = pd.DataFrame({"run_id": ["r"], "fidelity_high": [10.0]})
    any_fid = add_hv_regret(evaluations, {"t/x": ref})
    at_max = add_hv_regret(evaluations, {"t/x": ref}, runs=runs, max_fidelity_only=True)
    # any fidelity: the cheap-looking point dominates the full training in observed values
    assert any_fid["hv_regret"].iloc[-1] == pytest.approx(hv_regret_of(np.array([[1.5, 1.5]]), ref))
    assert np.isnan(at_max["hv_regret"].iloc[0])  # nothing fully trained yet
    assert at_max["hv_regret"].iloc[-1] == pytest.approx(hv_regret_of(np.array([[0.5, 0.5]]), ref))
    assert at_max["hv_regret"].iloc[-1] < any_fid["hv_regret"].iloc[-1]
    with pytest.raises(ValueError, match="runs table"):
        add_hv_regret(evaluations, {"t/x": ref}, max_fidelity_only=True)
