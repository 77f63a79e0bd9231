"""Every run is contained: real crashing, hanging and memory-hungry plugins in worker processes,
a real SIGKILL of the study process, and one writer per study folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import HpobenchError
from hpobench.execution.containment import Limits, parse_memory, run_contained
from hpobench.execution.planning import plan_study
from hpobench.execution.store import RUNS_DIR
from hpobench.execution.study import run_study
from hpobench.execution.studylock import LOCK_NAME, StudyBusyError, study_lock

BRANIN = BenchmarkSpec(family="synthetic", task="branin")


def record(out: Path, run_id: str) -> dict[str, object]:
    data = json.loads((out / RUNS_DIR / f"{run_id}.json").read_text())
    assert isinstance(data, dict)
    return data


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False


def test_crashing_runs_fail_with_their_cause_and_the_study_completes(plugins: Path, tmp_path: Path) -> None:
    plan = plan_study(
        benchmarks=[BRANIN],
        methods=["test_exiting", "test_segfaulting", "test_counting"],
        seeds=[0, 1],
        budget=Budget.parse("10"),
    )
    summary = run_study(plan, out=tmp_path, jobs=2, progress=False)
    assert summary.executed == 6
    errors = dict(summary.failed)
    assert len(errors) == 4
    for spec in plan.runs:
        rec = record(tmp_path, spec.run_id)
        if spec.method == "test_counting":
            assert rec["status"] == "ok"
            continue
        assert rec["status"] == "failed"
        expected = (
            "crashed: exit code 3" if spec.method == "test_exiting" else "crashed: exit code -11 (SIGSEGV"
        )
        assert str(rec["error"]).startswith(expected), rec["error"]
        assert errors[spec.run_id] == rec["error"]
    assert dict(summary.still_failed) == errors


def test_a_hang_that_swallows_every_exception_is_killed_from_outside(plugins: Path, tmp_path: Path) -> None:
    plan = plan_study(
        benchmarks=[BRANIN],
        methods=["test_stubborn", "test_catching_exception", "test_counting"],
        seeds=[0],
        budget=Budget.parse("10"),
    )
    started = time.monotonic()
    summary = run_study(plan, out=tmp_path, jobs=1, timeout=1.0, progress=False)
    assert time.monotonic() - started < 30
    runs = {spec.method: spec.run_id for spec in plan.runs}
    stubborn = record(tmp_path, runs["test_stubborn"])
    assert str(stubborn["error"]).startswith("timeout after 1 s: the run did not stop when asked")
    # a loop that catches Exception is stopped inside the run: its evaluations are kept
    polite = record(tmp_path, runs["test_catching_exception"])
    assert str(polite["error"]).startswith("timeout after 1 s: the run was stopped")
    assert polite["evaluations"] == 3
    assert record(tmp_path, runs["test_counting"])["status"] == "ok"  # ran in a replacement worker
    assert len(summary.failed) == 2


def test_a_run_over_the_memory_cap_is_killed_and_recorded(plugins: Path, tmp_path: Path) -> None:
    plan = plan_study(
        benchmarks=[BRANIN],
        methods=["test_memory_hog", "test_counting"],
        seeds=[0],
        budget=Budget.parse("10"),
    )
    summary = run_study(plan, out=tmp_path, jobs=1, max_memory=parse_memory("400MB"), progress=False)
    hog = record(tmp_path, plan.runs[0].run_id)
    assert str(hog["error"]).startswith("memory limit: the run's worker used"), hog["error"]
    assert "(limit 400 MB)" in str(hog["error"])
    assert record(tmp_path, plan.runs[1].run_id)["status"] == "ok"
    assert [r for r, _ in summary.failed] == [plan.runs[0].run_id]


def test_memory_sizes_are_read_or_refused() -> None:
    assert parse_memory("4GB") == 4 * 10**9
    assert parse_memory("512MiB") == 512 * 2**20
    assert parse_memory("2.5g") == 2_500_000_000
    for bad in ("", "-1GB", "4 parsecs", "nanGB", "0"):
        with pytest.raises(ValueError, match="cannot read memory size"):
            parse_memory(bad)


def _double(x: int) -> int:
    return 2 * x


def test_jobs_run_in_other_processes_and_workers_stop_afterwards() -> None:
    seen: list[list[int]] = []
    results = list(run_contained(_double, [1, 2, 3, 4, 5], jobs=2, limits=Limits(), on_workers=seen.append))
    assert sorted(r.value for r in results if r.value is not None) == [2, 4, 6, 8, 10]
    assert {r.pid for r in results} <= set(seen[0])
    assert os.getpid() not in seen[0]
    assert seen[-1] == []
    time.sleep(0.2)
    assert not any(alive(pid) for pid in seen[0])


def test_failed_runs_are_retried_on_resume_unless_told_otherwise(
    plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = plan_study(
        benchmarks=[BRANIN], methods=["test_needs_fix", "test_counting"], seeds=[0], budget=Budget.parse("5")
    )
    first = run_study(plan, out=tmp_path, progress=False)
    assert [r for r, _ in first.still_failed] == [plan.runs[0].run_id]
    assert "the optional dependency is missing" in first.still_failed[0][1]
    monkeypatch.setenv("HPOBENCH_TEST_FIXED", "1")  # the missing extra is now installed
    kept = run_study(plan, out=tmp_path, retry_failed=False, progress=False)
    assert (kept.executed, kept.retried) == (0, 0)
    assert [r for r, _ in kept.still_failed] == [plan.runs[0].run_id]
    retried = run_study(plan, out=tmp_path, progress=False)
    assert (retried.executed, retried.retried, retried.resumed) == (1, 1, 1)
    assert not retried.still_failed
    assert not retried.failed
    assert record(tmp_path, plan.runs[0].run_id)["status"] == "ok"


def test_provenance_names_the_distributions_of_the_plugins(plugins: Path, tmp_path: Path) -> None:
    plan = plan_study(benchmarks=[BRANIN], methods=["test_counting"], seeds=[0], budget=Budget.parse("3"))
    run_study(plan, out=tmp_path, progress=False)
    rec = record(tmp_path, plan.runs[0].run_id)
    plugins_ = rec["plugins"]
    assert isinstance(plugins_, dict)
    assert plugins_["method"] == {
        "name": "test_counting",
        "entry_point": "hpobench_testplugins:Counting",
        "distribution": "hpobench-testplugins",
        "version": "0.1",
    }
    assert plugins_["benchmark"]["distribution"] == "hpobench"
    assert plugins_["benchmark"]["entry_point"] == "hpobench.surrogates.synthetic:FAMILY"


def _cli(plugins: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hpobench",
        "run",
        "--benchmarks",
        "synthetic/branin",
        "--methods",
        "test_slow",
        "--seeds",
        "0-3",
        "--budget",
        "12",
        "--jobs",
        "2",
        "--quiet",
        "--out",
        str(out),
        *extra,
    ]


def _env(plugins: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugins), *sys.path])}


def _workers(out: Path, timeout: float = 60.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            lock = json.loads((out / LOCK_NAME).read_text())
        except (FileNotFoundError, ValueError):
            lock = {}
        if len(lock.get("workers", [])) == 2:
            return [int(p) for p in lock["workers"]]
        time.sleep(0.05)
    raise AssertionError("the study never started its two workers")


@pytest.mark.slow
def test_sigkill_of_the_study_stops_its_workers_and_the_folder_has_one_writer(
    plugins: Path, tmp_path: Path
) -> None:
    out = tmp_path / "study"
    # trials of 2 s keep the owner busy however slowly the checks below start on a loaded machine
    slow = {**_env(plugins), "HPOBENCH_TEST_SLOW": "2"}
    owner = subprocess.Popen(_cli(plugins, out), env=slow, cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        workers = _workers(out)
        # a second study on the same folder is refused while the owner lives
        second = subprocess.run(
            _cli(plugins, out), env=_env(plugins), cwd=tmp_path, capture_output=True, text=True
        )
        assert second.returncode == 2
        assert f"is in use by process {owner.pid}" in second.stderr
        plan = plan_study(benchmarks=[BRANIN], methods=["test_counting"], seeds=[0], budget=Budget.parse("3"))
        with pytest.raises(StudyBusyError, match=f"process {owner.pid}"):
            run_study(plan, out=out, progress=False)
        time.sleep(0.5)  # runs are in flight
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
    finally:
        if owner.poll() is None:
            owner.kill()
    deadline = time.monotonic() + 5.0
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(alive(pid) for pid in workers), "workers outlived the killed study"
    # the dead owner's lock is taken over, and the study resumes to completion
    with study_lock(out) as lock:
        assert lock.previous is not None
        assert lock.previous["pid"] == owner.pid
    resumed = subprocess.run(
        _cli(plugins, out), env=_env(plugins), cwd=tmp_path, capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "run(s) executed" in resumed.stdout
    assert len(list((out / RUNS_DIR).glob("*.json"))) == 4


@pytest.mark.slow
def test_the_exit_status_reflects_the_study_as_it_stands(plugins: Path, tmp_path: Path) -> None:
    def cli(*extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "hpobench", "run", "--benchmarks", "synthetic/branin"]
        command += ["--methods", "test_needs_fix", "test_counting", "--seeds", "0", "--budget", "5"]
        command += ["--quiet", "--out", str(tmp_path), *extra]
        return subprocess.run(command, env=_env(plugins), cwd=tmp_path, capture_output=True, text=True)

    first = cli()
    assert first.returncode == 1
    kept = cli("--no-retry-failed")
    assert kept.returncode == 1, "a resumed study that still holds a failed run exits 1"
    assert "done: 0 run(s) executed, 2 already finished (resumed); 1 run(s) of the study failed" in (
        kept.stdout
    )
    assert "FAILED" in kept.stderr
    assert "the optional dependency is missing" in kept.stderr


def test_workers_that_cannot_start_stop_the_pool_with_a_clear_error() -> None:
    ghost = types.ModuleType("hpobench_ghost_module")  # importable here, nowhere else

    def job(x: int) -> int:
        return x

    job.__module__ = ghost.__name__
    job.__qualname__ = "job"
    ghost.job = job  # type: ignore[attr-defined]
    sys.modules[ghost.__name__] = ghost
    try:
        with pytest.raises(HpobenchError, match="worker processes die while starting"):
            list(run_contained(job, [1, 2, 3], jobs=1, limits=Limits()))
    finally:
        del sys.modules[ghost.__name__]


@pytest.mark.slow
def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    script = f"""
import pathlib
from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.execution.planning import plan_study
from hpobench.execution.study import run_study

with open({str(tmp_path / "log")!r}, "a") as fh:
    fh.write("ran\\n")
plan = plan_study(benchmarks=[BenchmarkSpec.parse("synthetic/branin")], methods=["random_search"],
                  seeds=[0, 1, 2], budget=Budget.parse("5"))
print(run_study(plan, out=pathlib.Path({str(tmp_path / "out")!r}), jobs=2, progress=False).executed)
"""
    (tmp_path / "script.py").write_text(script)
    for how in (["script.py"], ["-"]):  # a file without `if __name__ == "__main__"`, and stdin
        done = subprocess.run(
            [sys.executable, *how], input=script, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "log").read_text() == "ran\nran\n"


def test_a_kill_while_the_lock_record_is_rewritten_leaves_the_owner_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The owner's record is overwritten in one write: dying mid-update never empties it."""
    import hpobench.execution.studylock as studylock

    with study_lock(tmp_path) as lock:
        lock.set_workers([11, 12, 13])

        def killed(*args: object) -> int:  # the process dies at its first write of the update
            raise SystemExit("killed")

        monkeypatch.setattr(studylock.os, "pwrite", killed)
        monkeypatch.setattr(studylock.os, "write", killed)
        with pytest.raises(SystemExit):
            lock.set_workers([14])
        monkeypatch.undo()
        record = json.loads((tmp_path / LOCK_NAME).read_text())
        assert record["pid"] == os.getpid()
        assert record["workers"] == [11, 12, 13]
        lock.set_workers([14])  # a shorter record over a longer one still reads back whole
        assert json.loads((tmp_path / LOCK_NAME).read_text())["workers"] == [14]
