"""Batches of jobs in the contained worker pool, thread pinning, and studies over them.

A batch hands several jobs to one worker at once; each job of it stays contained on its own: a
crash, hang or memory kill fails only the job that was running, and the batch's jobs that had
not started run in a fresh worker, none lost and none run twice.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
from batch_jobs import job

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.execution.containment import JobResult, Limits, run_contained
from hpobench.execution.planning import plan_study
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.execution.store import RUNS_DIR
from hpobench.execution.study import run_study
from hpobench.execution.threads import ENV_VARS, pinned_threads, thread_environ, thread_share


def _run(
    items: list[tuple[str, int]], *, jobs: int = 1, limits: Limits | None = None, batch: int = 64
) -> list[JobResult[tuple[str, int], int]]:
    limits = limits or Limits(timeout=60.0)
    results = list(run_contained(job, items, jobs=jobs, limits=limits, group=_group, batch=batch))
    assert Counter(r.item for r in results) == Counter(items), "every job ends exactly once"
    return results


def _group(item: tuple[str, int]) -> str:
    return item[0] if item[0] in ("a", "b") else "one"


def _batch_with(kind: str) -> list[tuple[str, int]]:
    # one group, one worker: the first batch (half the queue) holds jobs 0-8, ``kind`` is job 1
    return [("ok", 0), (kind, 1)] + [("ok", i) for i in range(2, 18)]


@pytest.mark.parametrize(
    ("kind", "limits", "cause"),
    [
        ("exit", Limits(timeout=60.0), "crashed: exit code 3"),
        ("hang", Limits(timeout=0.5), "timeout after 0.5 s"),
        ("grow", Limits(timeout=60.0, max_memory=250 * 10**6), "memory limit"),
    ],
)
def test_a_job_killed_inside_a_batch_fails_alone_and_the_rest_of_the_batch_runs(
    kind: str, limits: Limits, cause: str
) -> None:
    results = _run(_batch_with(kind), limits=limits)
    failed = [r for r in results if r.failure is not None]
    assert [r.item for r in failed] == [(kind, 1)]
    assert str(failed[0].failure).startswith(cause)
    ok = {r.item[1]: r.value for r in results if r.failure is None}
    assert sorted(ok) == [0, *range(2, 18)]
    assert ok[0] == failed[0].pid, "the job before it ran in the worker that was killed"
    after = {ok[i] for i in range(2, 18)}
    assert len(after) == 1, "the rest of its batch, and the jobs after, ran in one fresh worker"
    assert after != {ok[0]}


def test_a_job_that_raises_inside_a_batch_fails_alone_in_the_same_worker() -> None:
    results = _run(_batch_with("raise"))
    failed = [r for r in results if r.failure is not None]
    assert [(r.item, r.failure) for r in failed] == [(("raise", 1), "ValueError: job raised")]
    assert len({r.pid for r in results}) == 1


def test_each_worker_keeps_to_its_group_while_it_has_jobs() -> None:
    items = [(group, i) for i in range(12) for group in ("a", "b")]  # interleaved groups
    results = _run(items, jobs=2, batch=4)
    ran: dict[int, list[str]] = {}
    for r in results:  # completion order; per worker, the order it ran its jobs
        ran.setdefault(r.value, []).append(r.item[0])
    assert len(ran) == 2
    assert {groups[0] for groups in ran.values()} == {"a", "b"}, "the workers start on different groups"
    for groups in ran.values():  # one group, then (once that ran out) the rest of the other
        switches = sum(x != y for x, y in itertools.pairwise(groups))
        assert switches <= 1


def test_more_workers_than_groups_spread_over_the_groups() -> None:
    """Each worker starts on the group with the fewest workers: two on each, not three on the first."""
    items = [(group, i) for group in ("a", "b") for i in range(24)]
    results = _run(items, jobs=4, batch=4)
    first: dict[int, str] = {}
    for r in results:  # completion order; a worker's first answer is from its first batch
        first.setdefault(r.value, r.item[0])
    assert len(first) == 4
    assert Counter(first.values()) == {"a": 2, "b": 2}


def test_batches_are_checked() -> None:
    with pytest.raises(ValueError, match="batch"):
        list(run_contained(job, [("ok", 0)], jobs=1, limits=Limits(), batch=0))


def test_thread_limits_are_checked_and_pinned() -> None:
    import numpy  # noqa: F401  # loads a BLAS library to pin

    assert thread_share(10**6) == 1
    assert thread_environ(3) == dict.fromkeys(ENV_VARS, "3")
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="thread limit"):
            thread_environ(bad)  # type: ignore[arg-type]
    with pinned_threads(1) as record:
        assert record["limit"] == 1
        assert record["pools"], "numpy's BLAS is found"
        assert all(pool["threads"] == 1 for pool in record["pools"])


def _study(
    out: Path,
    *,
    jobs: int,
    threads: int | None,
    benchmarks: tuple[str, ...] = ("synthetic/branin", "synthetic/hartmann3"),
    budget: str = "12",
    seeds: tuple[int, ...] = (0, 1, 2),
    data_dir: Path | None = None,
) -> dict[str, bytes]:
    plan = plan_study(
        benchmarks=[BenchmarkSpec.parse(b) for b in benchmarks],
        methods=["random_search", "gp_bo"],
        seeds=list(seeds),
        budget=Budget.parse(budget),
    )
    summary = run_study(plan, out=out, jobs=jobs, threads=threads, data_dir=data_dir, progress=False)
    assert summary.executed == len(plan.runs)
    assert not summary.failed
    return {p.name: p.read_bytes() for p in sorted((out / RUNS_DIR).glob("*.parquet"))}


def _limits(out: Path) -> set[int]:
    """The thread limits the runs of the study in ``out`` recorded, pool by pool and overall."""
    found: set[int] = set()
    for path in (out / RUNS_DIR).glob("*.json"):
        record = json.loads(path.read_text())["threads"]
        found |= {record["limit"], *(pool["threads"] for pool in record["pools"])}
    return found


def test_runs_take_one_thread_by_default_so_results_do_not_depend_on_jobs(
    tmp_path: Path, data_dir: Path
) -> None:
    # GP-BO's linear algebra over 100 evaluations: OpenBLAS splits these sums between threads
    # (on 2 threads this run picks another configuration from its 12th evaluation on), so with a
    # run's share of the cores as its limit, --jobs 1 and --jobs 2 differed on a 2-core machine
    def study(name: str, jobs: int) -> dict[str, bytes]:
        return _study(
            tmp_path / name,
            jobs=jobs,
            threads=None,
            benchmarks=("fcnet/naval_propulsion",),
            budget="100x",
            seeds=(0,),
            data_dir=data_dir,
        )

    one, every = study("one", 1), study("every", -1)
    assert one == every
    assert _limits(tmp_path / "one") == _limits(tmp_path / "every") == {1}


def test_a_run_outside_a_study_takes_one_thread_by_default() -> None:
    import numpy  # noqa: F401  # loads a BLAS library to pin

    spec = RunSpec(
        benchmark=BenchmarkSpec.parse("synthetic/branin"),
        method="random_search",
        seed=0,
        budget=Budget.parse("5"),
    )
    record = execute_run(spec).provenance["threads"]
    assert record["limit"] == 1
    assert record["pools"], "numpy's BLAS is found"
    assert all(pool["threads"] == 1 for pool in record["pools"])


def test_more_threads_are_an_explicit_choice_recorded_in_provenance(tmp_path: Path) -> None:
    _study(tmp_path / "two", jobs=1, threads=2)
    assert _limits(tmp_path / "two") == {2}


def test_thread_counts_are_checked(tmp_path: Path) -> None:
    plan = plan_study(
        benchmarks=[BenchmarkSpec.parse("synthetic/branin")],
        methods=["random_search"],
        seeds=[0],
        budget=Budget.parse("3"),
    )
    with pytest.raises(ValueError, match="threads"):
        run_study(plan, out=tmp_path, threads=0, progress=False)
