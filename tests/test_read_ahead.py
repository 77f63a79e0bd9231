"""Runs read while a study runs (hpobench.execution.read_ahead): used only while their files are unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from report_data import synthesise

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.execution import combined_write, read_ahead, store
from hpobench.execution import study as study_module
from hpobench.execution.planning import plan_study
from hpobench.execution.read_ahead import ReadAhead, run_fingerprint
from hpobench.execution.runfiles import Inspected, inspect_run, run_fingerprints, write_run
from hpobench.execution.store import write_combined
from hpobench.execution.study import run_study
from hpobench.execution.threads import available_cores

METHODS = ("random_search", "m1")  # the method names synthesise gives
IDS = [f"t{t}.{m}.s{s}" for t in range(2) for m in METHODS for s in range(2)]


def _combined_bytes(out: Path) -> bytes:
    folder = out / "combined"
    return (folder / "evaluations.parquet").read_bytes() + (folder / "runs.json").read_bytes()


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the runs write_combined reads from disk."""
    read: list[str] = []
    original = combined_write.inspect_run

    def counted(runs: Path, run_id: str) -> Inspected:
        read.append(run_id)
        return original(runs, run_id)

    monkeypatch.setattr(combined_write, "inspect_run", counted)
    return read


def _reference_and_copy(tmp_path: Path) -> None:
    """Eight runs in ``a`` with their combined table written from the files; a copy in ``b`` without it."""
    synthesise(tmp_path / "a", methods=2, tasks=2, seeds=2, evals=10)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    write_combined(tmp_path / "a")


def test_runs_read_ahead_are_not_read_again_and_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthesise(tmp_path / "a", methods=2, tasks=2, seeds=2, evals=10)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert write_combined(tmp_path / "a") == 8
    ahead = ReadAhead(tmp_path / "b")
    for run_id in IDS[:5]:
        ahead.add(run_id)
    assert len(ahead) == 5
    read = _counting(monkeypatch)
    assert write_combined(tmp_path / "b", ahead=ahead) == 8
    assert sorted(read) == sorted(IDS[5:])  # only the runs not read ahead
    assert _combined_bytes(tmp_path / "b") == _combined_bytes(tmp_path / "a")


def test_a_run_changed_after_it_was_read_ahead_is_read_from_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthesise(tmp_path, methods=2, tasks=2, seeds=2, evals=10)
    ahead = ReadAhead(tmp_path)
    for run_id in IDS:
        ahead.add(run_id)
    runs = tmp_path / "runs"
    changed = pd.read_parquet(runs / "t0.m1.s0.parquet")
    changed["value_max"] = changed["value_max"] + 1.0
    write_run(tmp_path, "t0.m1.s0", changed, json.loads((runs / "t0.m1.s0.json").read_text()))
    (runs / "t1.random_search.s1.parquet").write_bytes(b"not parquet")  # damaged after it was read
    read = _counting(monkeypatch)
    assert write_combined(tmp_path, ahead=ahead) == 7  # the damaged run is left out
    assert sorted(read) == ["t0.m1.s0", "t1.random_search.s1"]
    combined = store.read_combined(tmp_path)
    assert combined is not None
    assert "t1.random_search.s1" not in combined.runs
    rows = combined.table.to_pandas()
    own = rows[rows["run_id"] == "t0.m1.s0"]["value_max"].to_numpy()
    assert (own == changed["value_max"].to_numpy()).all()


def test_a_run_without_its_files_is_not_kept(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=1, tasks=1, seeds=1, evals=5)
    (tmp_path / "runs" / "t0.random_search.s0.parquet").unlink()
    ahead = ReadAhead(tmp_path)
    ahead.add("t0.random_search.s0")
    ahead.add("never.ran")
    assert len(ahead) == 0
    assert run_fingerprint(tmp_path / "runs", "t0.random_search.s0") is None


def test_one_run_fingerprint_equals_the_folder_scan(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=2, tasks=1, seeds=2, evals=5)
    for run_id, fingerprint in run_fingerprints(tmp_path).items():
        assert run_fingerprint(tmp_path / "runs", run_id) == fingerprint


def test_a_study_reads_its_runs_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_study(
        benchmarks=[BenchmarkSpec(family="synthetic", task="branin")],
        methods=["random_search"],
        seeds=[0, 1, 2],
        budget=Budget.parse("3x"),
    )
    read = _counting(monkeypatch)
    run_study(plan, out=tmp_path / "s", jobs=2, progress=False)
    assert read == []  # write_combined took every run from the read-ahead
    shutil.copytree(tmp_path / "s", tmp_path / "t")
    (tmp_path / "t" / "combined" / "evaluations.parquet").unlink()
    (tmp_path / "t" / "combined" / "runs.json").unlink()
    monkeypatch.undo()
    write_combined(tmp_path / "t")  # from the files alone
    assert _combined_bytes(tmp_path / "s") == _combined_bytes(tmp_path / "t")


def test_tables_over_the_memory_budget_are_not_kept_and_are_read_once_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _reference_and_copy(tmp_path)
    runs = tmp_path / "b" / "runs"
    one = inspect_run(runs, IDS[0]).table
    assert one is not None
    ahead = ReadAhead(tmp_path / "b", max_bytes=2 * one.nbytes + 1)  # room for two of the eight tables
    for run_id in IDS:
        ahead.add(run_id)
    entries = {r: ahead.get(r, fp) for r, fp in run_fingerprints(tmp_path / "b").items() if fp is not None}
    assert len(ahead) == 8
    assert all(e is not None for e in entries.values())
    kept = [r for r, e in entries.items() if e is not None and e.table is not None]
    assert len(kept) == 2
    assert 0 < ahead.held_bytes <= 2 * one.nbytes + 1
    monkeypatch.setattr(combined_write, "HELD_BYTES", 0)  # write_combined holds nothing more itself
    read = _counting(monkeypatch)
    assert write_combined(tmp_path / "b", ahead=ahead) == 8
    assert sorted(read) == sorted(set(IDS) - set(kept))  # each run over the budget read once, while streaming
    assert (tmp_path / "b" / "combined" / "evaluations.parquet").read_bytes() == (
        tmp_path / "a" / "combined" / "evaluations.parquet"
    ).read_bytes()


def test_the_budget_is_64_mib_a_worker_up_to_1_gib() -> None:
    assert read_ahead.held_bytes(1) == read_ahead.HELD_BYTES == 64 << 20
    assert read_ahead.held_bytes(2) == 128 << 20
    assert read_ahead.held_bytes(16) == read_ahead.MAX_HELD_BYTES == 1 << 30
    assert read_ahead.held_bytes(1000) == 1 << 30
    with pytest.raises(ValueError, match="at least 1"):
        read_ahead.held_bytes(0)


@pytest.mark.parametrize("jobs", [1, 2, -1])
def test_a_study_holds_the_budget_of_its_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    plan = plan_study(
        benchmarks=[BenchmarkSpec(family="synthetic", task="branin")],
        methods=["random_search"],
        seeds=[0],
        budget=Budget.parse("2x"),
    )
    budgets: list[int] = []
    original = study_module.ReadAhead

    def recorded(out: Path, *, max_bytes: int = read_ahead.HELD_BYTES) -> ReadAhead:
        budgets.append(max_bytes)
        return original(out, max_bytes=max_bytes)

    monkeypatch.setattr(study_module, "ReadAhead", recorded)
    run_study(plan, out=tmp_path / "s", jobs=jobs, progress=False)
    workers = available_cores() if jobs == -1 else jobs
    assert budgets == [read_ahead.held_bytes(workers)]


def test_write_combined_holds_what_the_read_ahead_may_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _reference_and_copy(tmp_path)
    ahead = ReadAhead(tmp_path / "b", max_bytes=1 << 30)
    for run_id in IDS[:2]:
        ahead.add(run_id)
    monkeypatch.setattr(combined_write, "HELD_BYTES", 0)  # the read-ahead's budget alone
    read = _counting(monkeypatch)
    assert write_combined(tmp_path / "b", ahead=ahead) == 8
    assert sorted(read) == sorted(IDS[2:])  # read once each and held: not decoded again while streaming
    assert _combined_bytes(tmp_path / "a") == _combined_bytes(tmp_path / "b")


def test_reads_submitted_to_the_thread_equal_reads_made_inline(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=2, tasks=2, seeds=2, evals=10)
    inline, threaded = ReadAhead(tmp_path), ReadAhead(tmp_path)
    for run_id in IDS:
        inline.add(run_id)
        threaded.submit(run_id)
    threaded.wait()
    assert len(threaded) == len(inline) == 8
    assert threaded.held_bytes == inline.held_bytes
    for run_id, fingerprint in run_fingerprints(tmp_path).items():
        assert fingerprint is not None
        mine, theirs = threaded.get(run_id, fingerprint), inline.get(run_id, fingerprint)
        assert mine is not None
        assert theirs is not None
        assert (mine.sha256, mine.check) == (theirs.sha256, theirs.check)
        assert mine.table is not None
        assert theirs.table is not None
        assert mine.table.equals(theirs.table)
    threaded.wait()  # nothing left: returns at once


def test_an_error_in_a_submitted_read_is_raised_by_wait_unless_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthesise(tmp_path, methods=1, tasks=1, seeds=2, evals=5)

    def broken(runs: Path, run_id: str) -> Inspected:
        raise RuntimeError(f"cannot read {run_id}")

    monkeypatch.setattr(read_ahead, "inspect_run", broken)
    ahead = ReadAhead(tmp_path)
    ahead.submit("t0.random_search.s0")
    ahead.submit("t0.random_search.s1")
    with pytest.raises(RuntimeError, match=r"cannot read t0\.random_search\.s0"):
        ahead.wait()
    ahead.submit("t0.random_search.s0")
    ahead.wait(cancel=True)  # an interrupted study gives the reads up: nothing raised
    assert len(ahead) == 0
