"""The combined table of a study: kept up to date by studies and reports, used only for unchanged runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from report_data import synthesise

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.execution.planning import plan_study
from hpobench.execution.runfiles import digested_json, json_digest
from hpobench.execution.store import (
    finished_run_ids,
    read_combined,
    remove_stale_temporaries,
    write_combined,
    write_run,
)
from hpobench.execution.study import run_study
from hpobench.results.load import load_results
from hpobench.results.report import write_report


def test_study_keeps_a_combined_table_that_reads_like_the_run_files(tmp_path: Path) -> None:
    branin = [BenchmarkSpec(family="synthetic", task="branin")]
    plan = plan_study(benchmarks=branin, methods=["random_search"], seeds=[0, 1], budget=Budget.parse("3x"))
    run_study(plan, out=tmp_path, progress=False)
    combined = read_combined(tmp_path)
    assert combined is not None
    assert set(combined.runs) == finished_run_ids(tmp_path)
    fast, slow = load_results(tmp_path), load_results(tmp_path, combined=False)
    pd.testing.assert_frame_equal(fast.evaluations, slow.evaluations)
    pd.testing.assert_frame_equal(fast.runs, slow.runs)
    # extending the study (one more seed) brings the combined table up to date
    more = plan_study(
        benchmarks=branin, methods=["random_search"], seeds=[0, 1, 2], budget=Budget.parse("3x")
    )
    run_study(more, out=tmp_path, progress=False)
    combined = read_combined(tmp_path)
    assert combined is not None
    assert set(combined.runs) == finished_run_ids(tmp_path)
    assert len(combined.runs) == 3


def test_combined_table_is_used_only_for_runs_whose_files_are_unchanged(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=3, tasks=2, seeds=2, evals=10)
    assert write_combined(tmp_path) == 12
    index = tmp_path / "combined" / "runs.json"
    stamp = index.stat().st_mtime_ns
    assert write_combined(tmp_path) == 12  # up to date: nothing rewritten
    assert index.stat().st_mtime_ns == stamp
    runs_dir = tmp_path / "runs"
    # a run rewritten after combining: its new rows are read from its own files
    changed = pd.read_parquet(runs_dir / "t0.m1.s0.parquet")
    changed["value_max"] = changed["value_max"] + 1.0
    changed = pd.concat([changed, changed.tail(1).assign(eval=len(changed))], ignore_index=True)
    prov = json.loads((runs_dir / "t0.m1.s0.json").read_text())
    write_run(tmp_path, "t0.m1.s0", changed, prov)
    # a run removed, a run added, a run damaged
    for suffix in (".json", ".parquet"):
        (runs_dir / f"t1.m2.s1{suffix}").unlink()
    added = pd.read_parquet(runs_dir / "t1.m2.s0.parquet").assign(run_id="t1.m2.s7", seed=7)
    write_run(
        tmp_path,
        "t1.m2.s7",
        added,
        {**json.loads((runs_dir / "t1.m2.s0.json").read_text()), "run_id": "t1.m2.s7"},
    )
    (runs_dir / "t0.m2.s1.parquet").write_bytes(b"not parquet")
    fast, slow = load_results(tmp_path), load_results(tmp_path, combined=False)
    pd.testing.assert_frame_equal(fast.evaluations, slow.evaluations)
    pd.testing.assert_frame_equal(fast.runs, slow.runs)
    assert fast.problems == slow.problems
    assert any("t0.m2.s1" in p for p in fast.problems)
    ids = set(fast.runs["run_id"])
    assert "t1.m2.s7" in ids
    assert "t1.m2.s1" not in ids
    rows = fast.evaluations[fast.evaluations["run_id"] == "t0.m1.s0"]
    np.testing.assert_array_equal(rows["value_max"], changed["value_max"])
    # the report brings the combined table up to date (the damaged run stays out of it)
    write_report(tmp_path, formats=["md"])
    combined = read_combined(tmp_path)
    assert combined is not None
    assert set(combined.runs) == finished_run_ids(tmp_path) - {"t0.m2.s1"}
    assert set(combined.unreadable) == {"t0.m2.s1"}
    # ... and remembers the damaged run, so the next report does not rewrite it
    stamp = index.stat().st_mtime_ns
    write_report(tmp_path, formats=["md"])
    assert index.stat().st_mtime_ns == stamp


def test_a_torn_or_damaged_combined_table_is_ignored(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=3, tasks=1, seeds=2, evals=10)
    write_combined(tmp_path)
    table = tmp_path / "combined" / "evaluations.parquet"
    old_table = table.read_bytes()
    write_run(
        tmp_path,
        "t0.m9.s0",
        pd.read_parquet(tmp_path / "runs" / "t0.m1.s0.parquet").assign(method="m9"),
        {**json.loads((tmp_path / "runs" / "t0.m1.s0.json").read_text()), "run_id": "t0.m9.s0"},
    )
    write_combined(tmp_path)
    assert read_combined(tmp_path) is not None
    table.write_bytes(old_table)  # a table from another write than the index: never paired
    assert read_combined(tmp_path) is None
    expected = load_results(tmp_path, combined=False)
    pd.testing.assert_frame_equal(load_results(tmp_path).evaluations, expected.evaluations)
    (tmp_path / "combined" / "runs.json").write_text("{not json")
    assert read_combined(tmp_path) is None
    pd.testing.assert_frame_equal(load_results(tmp_path).evaluations, expected.evaluations)
    (tmp_path / "combined" / ".tmp-leftover").write_bytes(b"x")
    assert remove_stale_temporaries(tmp_path) == 1


def test_an_index_edited_where_it_still_parses_is_never_used(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=2, tasks=1, seeds=2, evals=10)
    write_combined(tmp_path)
    expected = load_results(tmp_path, combined=False)
    index = tmp_path / "combined" / "runs.json"
    text = index.read_bytes()
    # one changed byte each: a run's reference optimum, a renamed key, a failure status
    for old, new in ((b'"best":0.0', b'"best":8.0'), (b'"objective"', b'"objectivf"'), (b'"ok"', b'"oj"')):
        assert old in text
        index.write_bytes(text.replace(old, new, 1))
        json.loads(index.read_text())  # still valid JSON
        assert read_combined(tmp_path) is None
        got = load_results(tmp_path)
        pd.testing.assert_frame_equal(got.evaluations, expected.evaluations)
        pd.testing.assert_frame_equal(got.runs, expected.runs)
    index.write_bytes(text)
    assert read_combined(tmp_path) is not None


def test_a_run_that_names_no_benchmark_is_left_out_and_said(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=2, tasks=1, seeds=2, evals=10)
    record = json.loads((tmp_path / "runs" / "t0.m1.s0.json").read_text())
    del record["spec"]["benchmark"]
    del record["table"]
    frame = pd.read_parquet(tmp_path / "runs" / "t0.m1.s0.parquet")
    write_run(tmp_path, "t0.m1.s0", frame, record)  # a well-formed record that names no task
    for combined in (True, False):
        results = load_results(tmp_path, combined=combined)
        assert "t0.m1.s0" not in set(results.runs["run_id"])
        assert "t0.m1.s0" not in set(results.evaluations["run_id"].astype(str))
        assert "skipped t0.m1.s0: it names no benchmark" in results.problems


def test_the_index_is_canonical_json_with_its_own_digest(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=2, tasks=2, seeds=2, evals=10)
    write_combined(tmp_path)
    text = (tmp_path / "combined" / "runs.json").read_bytes()
    index = json.loads(text)
    # the digest's own text: sorted keys, no spaces, ASCII (its entry in its sorted place)
    assert text == json.dumps(index, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    assert index["sha256"] == json_digest(index, leave_out="sha256")
    assert len(index["runs"]) == 8


def test_digested_json_reads_back_to_its_digest() -> None:
    record = {
        "version": 3,
        "zeta": {"b": [1, 2.5, None, True], "a": "\u00e9t\u00e9 \u2713", "c": (1, 2)},
        "alpha": {"path": Path("/x/y"), "nan": float("nan"), "inf": float("inf"), "deep": {"z": {}, "y": []}},
        "sha256": "stale",  # replaced
    }
    text = digested_json(record, key="sha256")
    back = json.loads(text)
    assert back["sha256"] == json_digest(back, leave_out="sha256")
    assert text == json.dumps(back, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    assert back["alpha"]["path"] == "/x/y"  # the str of what JSON cannot hold
    assert back["zeta"]["c"] == [1, 2]
    assert list(back) == ["alpha", "sha256", "version", "zeta"]
    assert record["sha256"] == "stale"  # the caller's mapping is not modified
