"""The report says what the runs were made with, and warns where a study's runs disagree on it.

Studies are real: runs executed by ``run_study`` (one with another ``--threads``, one with
verification off) and a run whose record names another hpobench version, written as a study
resumed after an upgrade would leave it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.execution.planning import StudyPlan, plan_study
from hpobench.execution.runner import execute_run
from hpobench.execution.store import RUNS_DIR, write_run
from hpobench.execution.study import run_study
from hpobench.results.load import load_results
from hpobench.results.provenance import environment
from hpobench.results.report import write_report

BRANIN = BenchmarkSpec(family="synthetic", task="branin")


def _plan(seeds: list[int], methods: tuple[str, ...] = ("random_search", "hyperband")) -> StudyPlan:
    return plan_study(benchmarks=[BRANIN], methods=list(methods), seeds=seeds, budget=Budget.parse("3x"))


def _report(out: Path) -> tuple[str, str]:
    report = write_report(out, formats=("md", "html"))
    return report.documents["md"].read_text(), report.documents["html"].read_text()


def test_a_uniform_study_names_its_versions_threads_and_data_check(tmp_path: Path) -> None:
    run_study(_plan([0, 1]), out=tmp_path, progress=False)
    record = json.loads(next((tmp_path / RUNS_DIR).glob("*.json")).read_text())
    markdown, html = _report(tmp_path)
    line = next(x for x in markdown.splitlines() if x.startswith("Made with "))
    versions = record["versions"]
    for key in ("hpobench", "numpy", "scipy", "pandas", "ConfigSpace"):
        assert f"{key} {versions[key]}" in line
    assert f"Python {versions['python']}" in line
    assert "1 BLAS/OpenMP thread per run" in line
    assert "data checked against the pinned checksums" in line
    assert line in html
    assert "different" not in markdown


def test_runs_of_another_thread_limit_and_unverified_data_are_named_in_the_notes(tmp_path: Path) -> None:
    run_study(_plan([0, 1]), out=tmp_path, progress=False)
    run_study(_plan([0, 1, 2]), out=tmp_path, progress=False, threads=2)  # resumed: seed 2 only
    run_study(_plan([0, 1, 2, 3]), out=tmp_path, progress=False, verify_data=False)
    markdown, html = _report(tmp_path)
    notes = markdown.split("## Notes", 1)[1].split("\n## ", 1)[0]
    assert "different BLAS/OpenMP thread limits: 1 (6 runs), 2 (2 runs)" in notes
    assert "2 of 8 run(s) read benchmark data that was not checked" in notes
    line = next(x for x in markdown.splitlines() if x.startswith("Made with "))
    assert "thread" not in line
    assert "data checked" not in line
    assert "different BLAS/OpenMP thread limits" in html


def test_a_run_of_another_hpobench_version_is_named_with_its_count(tmp_path: Path) -> None:
    plan = _plan([0, 1, 2], methods=("random_search",))
    run_study(plan, out=tmp_path, progress=False)
    outcome = execute_run(_plan([7], methods=("random_search",)).runs[0])
    older = {**outcome.provenance, "versions": {**outcome.provenance["versions"], "hpobench": "0.0.9"}}
    write_run(tmp_path, outcome.provenance["run_id"], outcome.frame, older)
    line, notes = environment(load_results(tmp_path).runs)
    current = outcome.provenance["versions"]["hpobench"]
    assert notes == [
        f"the runs were made with different hpobench versions: {current} (3 runs), 0.0.9 (1 run); "
        "methods that use BLAS, torch or onnxruntime (and any code that changed between them) can "
        "give other results, so compare these runs with care"
    ]
    assert "hpobench" not in line
    assert f"numpy {outcome.provenance['versions']['numpy']}" in line
    markdown, _ = _report(tmp_path)
    assert notes[0] in markdown


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({}, "Made with no versions recorded; thread limit unrecorded."),  # a run older than these fields
        (
            {
                "versions": {"hpobench": "1.0", "python": "3.12.1"},
                "threads": {"limit": 4},
                "data_verified": True,
            },
            "Made with hpobench 1.0; Python 3.12.1; 4 BLAS/OpenMP threads per run; "
            "data checked against the pinned checksums.",
        ),
    ],
)
def test_the_line_of_runs_that_agree(tmp_path: Path, record: dict[str, object], expected: str) -> None:
    outcome = execute_run(_plan([0], methods=("random_search",)).runs[0])
    prov = {k: v for k, v in outcome.provenance.items() if k not in ("versions", "threads", "data_verified")}
    write_run(tmp_path, outcome.provenance["run_id"], outcome.frame, {**prov, **record})
    assert environment(load_results(tmp_path).runs) == (expected, [])


def test_runs_made_on_two_platforms_are_named_as_such(tmp_path: Path) -> None:
    outcome = execute_run(_plan([0], methods=("random_search",)).runs[0])
    write_run(tmp_path, outcome.provenance["run_id"], outcome.frame, outcome.provenance)
    moved = execute_run(_plan([1], methods=("random_search",)).runs[0])
    versions = {**moved.provenance["versions"], "platform": "another machine"}
    elsewhere = {**moved.provenance, "versions": versions}
    write_run(tmp_path, moved.provenance["run_id"], moved.frame, elsewhere)
    line, notes = environment(load_results(tmp_path).runs)
    first, second = sorted([outcome.provenance["versions"]["platform"], "another machine"])  # a tie: by text
    assert notes == [
        f"the runs were made on different platforms: {first} (1 run), {second} (1 run); methods "
        "that use BLAS, torch or onnxruntime can give other results, so compare these runs with care"
    ]
    assert "platform" not in line


def test_no_runs_give_no_claim() -> None:
    empty = pd.DataFrame({"versions": [], "thread_limit": [], "data_verified": []})
    assert environment(empty) == ("Made with no versions recorded.", [])
