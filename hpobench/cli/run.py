"""``hpobench run``: check the whole study, run it (resuming a study folder) and summarise it.

Before the first run the study is checked as a whole (names, ``--set`` values, optional packages,
data, budgets: :func:`hpobench.execution.preflight.study_problems`, in worker processes of their
own, as many as ``--jobs``, so the task data they load is not kept here); then the plan is printed
in one line, the runs execute, and the summary line counts executed, resumed, damaged, retried
and failed runs. Exit status 1 while any run of the study is failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpobench.cli.arguments import _parse_set
from hpobench.contracts.errors import HpobenchError
from hpobench.data.datadir import resolve_data_dir

if TYPE_CHECKING:  # the study module is imported only when a study runs
    from hpobench.contracts.benchmark import BenchmarkSpec
    from hpobench.execution.scalarization import Scalarization
    from hpobench.execution.study import StudySummary


def _cmd_run(args: argparse.Namespace) -> int:
    from hpobench.cli.memory import return_freed_memory
    from hpobench.execution.containment import start_fork_server

    start_fork_server()  # the workers' imports, in a process of their own, overlap ours below
    return_freed_memory()  # before the imports, so that their allocations follow it too
    from hpobench.execution.planning import plan_study
    from hpobench.execution.study import run_study

    data_dir = resolve_data_dir(args.data_dir)
    benchmarks, kwargs, scalar = _checked_study(args, data_dir)
    plan = plan_study(
        benchmarks=benchmarks,
        methods=args.methods,
        seeds=args.seeds,
        budget=args.budget,
        method_kwargs=kwargs,
        workers=args.workers,
        data_dir=data_dir,
        scalarizations=scalar,
    )
    for skip in plan.skipped:
        print(f"skipped {skip.benchmark} x {skip.method}: {skip.reason}", file=sys.stderr)
    if not plan.runs:
        raise HpobenchError("nothing to run: every benchmark x method pairing was skipped")
    out = Path(args.out)
    print(_study_line(args, benchmarks, len(plan.skipped), len(plan.runs), out), file=sys.stderr)
    summary = run_study(
        plan,
        out=out,
        jobs=args.jobs,
        data_dir=data_dir,
        timeout=args.timeout or None,
        max_memory=args.max_memory,
        retry_failed=args.retry_failed,
        verify_data=args.verify,
        progress=not args.quiet,
        backend=args.backend,
        scheduler=args.scheduler,
        threads=args.threads,
    )
    print(_summary_line(summary, out))
    for run_id, reason in summary.damaged:
        print(f"DAMAGED {run_id}: {reason} (files moved aside, run executed again)", file=sys.stderr)
    for run_id, error in summary.still_failed:
        print(f"FAILED {run_id}: {error}", file=sys.stderr)
    for line in _provenance_warnings(out, [r.run_id for r in plan.runs], threads=args.threads):
        print(line, file=sys.stderr)
    print(f"next: hpobench report {out}")
    return 1 if summary.still_failed else 0


def _provenance_warnings(out: Path, run_ids: Sequence[str], *, threads: int) -> list[str]:
    """Warnings from the runs' provenance, each run's record read once.

    ``WARNING <run>: <text>`` for each warning of a method's report, then one line naming the
    runs whose thread limit is not ``threads`` (this call's): a study resumed with
    another ``--threads`` holds runs whose methods that use BLAS or torch may differ in their
    last bits from what this limit gives (:mod:`hpobench.execution.threads`). Runs without a
    readable record are skipped (the summary lists failed and damaged ones).
    """
    from hpobench.execution.store import readable_records

    lines: list[str] = []
    other: dict[str, Any] = {}  # run id -> its thread limit, where not this call's
    for run_id, record in readable_records(out, run_ids):
        report = record.get("method_report")
        if isinstance(report, dict):
            lines += [f"WARNING {run_id}: {w}" for w in report.get("warnings", ())]
        pinned = record.get("threads")
        limit = pinned.get("limit") if isinstance(pinned, dict) else None
        if limit is not None and limit != threads:
            other[run_id] = limit
    if other:
        limits = ", ".join(str(v) for v in sorted(set(other.values()), key=str))
        first = ", ".join(list(other)[:3]) + (", ..." if len(other) > 3 else "")
        lines.append(
            f"WARNING {len(other)} run(s) of this study ran with a thread limit of {limits}, "
            f"not this call's {threads} ({first}): a method that uses BLAS or torch can give other last "
            "bits, and so another trajectory, at another limit (each run's provenance records its own)"
        )
    return lines


def _study_line(
    args: argparse.Namespace, benchmarks: Sequence[BenchmarkSpec], skipped: int, runs: int, out: Path
) -> str:
    """The study's size as a sum that adds up: tasks x methods x seeds, less the skipped pairings."""
    seeds = len(args.seeds)
    size = f"{len(benchmarks)} benchmark(s) x {len(args.methods)} method(s) x {seeds} seed(s)"
    if skipped:
        size += f" - {skipped} skipped pairing(s) x {seeds} seed(s)"
    return f"study: {size} = {runs} runs, budget {args.budget} each, {_jobs_text(args)} -> {out}"


def _jobs_text(args: argparse.Namespace) -> str:
    """The study's worker processes as they will run: ``-1`` resolved, and more than the usable cores said."""
    if args.backend != "loky":
        return f"{args.jobs} job(s) on the {args.backend} cluster"
    from hpobench.contracts.cores import available_cores

    cores = available_cores()
    if args.jobs == -1:
        return f"{cores} job(s) (one per usable core)"
    if args.jobs > cores:
        return f"{args.jobs} job(s) on {cores} usable core(s): the runs share cores"
    return f"{args.jobs} job(s)"


def _parse_scalarize(items: Sequence[str]) -> dict[str, Scalarization]:
    """Parse ``METHOD=KIND:NAME=WEIGHT,...`` items.

    See :class:`hpobench.execution.scalarization.Scalarization`.
    """
    from hpobench.execution.scalarization import Scalarization

    out: dict[str, Scalarization] = {}
    for item in items:
        method, sep, rest = item.partition("=")
        try:
            if not sep or not method:
                raise ValueError("no METHOD=")
            out[method] = Scalarization.parse(rest)
        except ValueError as exc:
            raise HpobenchError(
                f"cannot read --scalarize {item!r} ({exc}): use METHOD=KIND:OBJECTIVE=WEIGHT,..., "
                "e.g. tpe=chebyshev:loss=1,time=1"
            ) from None
    return out


def _checked_study(
    args: argparse.Namespace, data_dir: Path | None
) -> tuple[list[BenchmarkSpec], dict[str, dict[str, Any]], dict[str, Scalarization]]:
    """The study's tasks, method arguments and scalarisations, checked before the first run.

    Raises:
        InvalidStudyError: Naming every problem found (see :mod:`hpobench.execution.preflight`).
    """
    from hpobench.contracts.errors import InvalidStudyError, UnknownNameError
    from hpobench.data import registry
    from hpobench.execution.preflight import contained_study_problems

    problems: list[str] = []
    benchmarks: list[BenchmarkSpec] = []
    for pattern in args.benchmarks:
        try:
            benchmarks.extend(
                s for s in registry.expand_benchmarks([pattern], data_dir=data_dir) if s not in benchmarks
            )
        except UnknownNameError as exc:
            problems.append(str(exc))
    try:
        kwargs = _parse_set(args.set)
    except HpobenchError as exc:
        problems.append(str(exc))
        kwargs = {}
    try:
        scalar = _parse_scalarize(args.scalarize)
    except HpobenchError as exc:
        problems.append(str(exc))
        scalar = {}
    problems += contained_study_problems(
        jobs=args.jobs,  # the study's processes share the checks out (its tasks load in parallel)
        benchmarks=benchmarks,
        methods=args.methods,
        budget=args.budget,
        method_kwargs=kwargs,
        data_dir=data_dir,
        verify=args.verify,
        scalarizations=scalar,
    )
    if problems:
        raise InvalidStudyError(problems)
    return benchmarks, kwargs, scalar


def _summary_line(summary: StudySummary, out: Path) -> str:
    """One line on what a study call did and how the study stands (see ``StudySummary``)."""
    parts = [f"done: {summary.executed} run(s) executed, {summary.resumed} already finished (resumed)"]
    if summary.damaged:
        parts.append(f"{len(summary.damaged)} damaged (moved to {out / 'damaged'} and re-run)")
    if summary.retried:
        parts.append(f"{summary.retried} failed run(s) retried")
    if summary.still_failed:
        parts.append(f"{len(summary.still_failed)} run(s) of the study failed")
    return "; ".join(parts) if len(parts) > 1 else parts[0]
