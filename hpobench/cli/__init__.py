"""The ``hpobench`` command: ``list``, ``run``, ``report``, ``regress`` and ``data``.

Every expected failure (unknown name, bad budget, missing data, ...) ends with a one-line
``hpobench: error: ...`` message and exit status 2; a study whose runs partly failed completes,
lists the failures and exits with status 1.

The interfaces, the top layer: this package holds the command (this module: the parser and
:func:`main`), one module per command (:mod:`.run`, :mod:`.report`, :mod:`.regress`, :mod:`.data`,
:mod:`.listing`, :mod:`.table`) and the ``--hpo-*`` pytest options (:mod:`.pytest_options`, loaded
into every pytest session, so it imports nothing heavy). It may import every layer below; nothing
of the project imports it but the pytest plugin and ``python -m hpobench``. Each command imports
its work lazily, so ``hpobench --help`` starts without numpy.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import DataError, HpobenchError
from hpobench.data.datadir import ENV_VAR, resolve_data_dir

if TYPE_CHECKING:  # the study module is imported only when a study runs
    from hpobench.contracts.benchmark import BenchmarkSpec
    from hpobench.execution.scalarization import Scalarization
    from hpobench.execution.study import StudySummary

DEFAULT_BENCHMARKS = ("synthetic", "fcnet_own/parkinsons_telemonitoring")
DEFAULT_METHODS = ("random_search", "successive_halving", "hyperband")
DEFAULT_SEEDS = "0-4"
DEFAULT_BUDGET = "50x"
DEFAULT_OUT = "hpobench-results"


def _parse_seeds(text: str) -> list[int]:
    """Parse ``"0-4"``, ``"0,3,7"`` or a mix such as ``"0-2,10"``."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            if sep and lo and hi and int(lo) > int(hi):
                raise argparse.ArgumentTypeError(
                    f"seed range {part.strip()!r} is reversed: write it low-high, e.g. {int(hi)}-{int(lo)}"
                )
            seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read seeds {text!r}: use e.g. 0-9 or 0,1,5") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"seeds must be non-negative integers, got {text!r}")
    return list(dict.fromkeys(seeds))


def _parse_budget(text: str) -> Budget:
    try:
        return Budget.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parse_memory(text: str) -> int:
    from hpobench.execution.containment import parse_memory

    try:
        return parse_memory(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parse_set(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Parse ``METHOD.KEY=VALUE`` items (VALUE read as JSON, else as a string)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or not method or not name:
            raise HpobenchError(f"cannot read --set {item!r}: use METHOD.KEY=VALUE, e.g. hyperband.eta=2")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(method, {})[name] = value
    return out


def _cmd_list(args: argparse.Namespace) -> int:
    from hpobench.cli import listing

    data_dir = resolve_data_dir(args.data_dir)
    family_rows, method_rows = listing.families(data_dir), listing.methods()
    if args.json:
        print(json.dumps(listing.to_json(family_rows, method_rows), indent=1))
    elif args.tasks:
        print(listing.format_tasks(family_rows, method_rows))
    else:
        print(listing.format_families(family_rows, method_rows))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from hpobench.execution.study import plan_study, run_study

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
    )
    print(_summary_line(summary, out))
    for run_id, reason in summary.damaged:
        print(f"DAMAGED {run_id}: {reason} (files moved aside, run executed again)", file=sys.stderr)
    for run_id, error in summary.still_failed:
        print(f"FAILED {run_id}: {error}", file=sys.stderr)
    for line in _method_warnings(out, [r.run_id for r in plan.runs]):
        print(line, file=sys.stderr)
    print(f"next: hpobench report {out}")
    return 1 if summary.still_failed else 0


def _method_warnings(out: Path, run_ids: Sequence[str]) -> list[str]:
    """``WARNING <run>: <text>`` for each warning of a method's report in the runs' provenance.

    Runs without a readable record are skipped (the summary lists failed and damaged ones).
    """
    from hpobench.execution.runfiles import RUNS_DIR, read_provenance

    lines = []
    for run_id in run_ids:
        try:
            report = read_provenance(out / RUNS_DIR / f"{run_id}.json").get("method_report")
        except (OSError, ValueError):
            continue
        if isinstance(report, dict):
            lines += [f"WARNING {run_id}: {w}" for w in report.get("warnings", ())]
    return lines


def _study_line(
    args: argparse.Namespace, benchmarks: Sequence[BenchmarkSpec], skipped: int, runs: int, out: Path
) -> str:
    """The study's size as a sum that adds up: tasks x methods x seeds, less the skipped pairings."""
    seeds = len(args.seeds)
    size = f"{len(benchmarks)} benchmark(s) x {len(args.methods)} method(s) x {seeds} seed(s)"
    if skipped:
        size += f" - {skipped} skipped pairing(s) x {seeds} seed(s)"
    return f"study: {size} = {runs} runs, budget {args.budget} each, {args.jobs} job(s) -> {out}"


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
    from hpobench.execution.preflight import study_problems

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
    problems += study_problems(
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


def _cmd_report(args: argparse.Namespace) -> int:
    from hpobench.results.regret import XAxis
    from hpobench.results.report import FORMATS, write_report

    out = Path(args.out)
    if not out.is_dir():
        raise HpobenchError(f"results directory {str(out)!r} does not exist")
    formats = list(dict.fromkeys(args.format)) if args.format else list(FORMATS)
    report = write_report(out, axis=XAxis(args.x), formats=formats, blocks=args.blocks)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    print(_report_summary(report.documents, report.figures))
    return 0


def _report_summary(documents: dict[str, Path], figures: Sequence[Path]) -> str:
    """Where a report went, ending with the one file to open (not the report itself)."""
    folder = next(iter(documents.values()), None) or (figures[0] if figures else None)
    where = f" in {folder.parent}" if folder is not None else ""
    lines = [f"wrote {len(documents)} document(s) and {len(figures)} figure file(s){where}"]
    first = documents.get("html") or documents.get("md") or documents.get("latex")
    if first is not None:
        lines.append(f"open {first}")
    return "\n".join(lines)


def _cmd_regress(args: argparse.Namespace) -> int:
    from hpobench.evaluation import regress

    data_dir = resolve_data_dir(args.data_dir)
    store = regress.ReferenceStore(Path(args.reference_dir)) if args.reference_dir else None
    out = Path(args.out) if args.out else None
    suite: str | regress.Suite = args.suite
    if args.benchmarks:
        if store is None:
            raise HpobenchError(
                "--benchmarks needs a --reference-dir of its own (the packaged store is fixed)"
            )
        from hpobench.data import registry

        tasks = registry.expand_benchmarks(args.benchmarks, data_dir=data_dir)
        suite = regress.Suite(
            name="custom", benchmarks=tuple(s.name for s in tasks), description="tasks named by --benchmarks"
        )
    if args.update_reference:
        regress.update_reference(
            methods=args.method, suite=suite, store=store, data_dir=data_dir, jobs=args.jobs, out=out
        )
        return 0
    if len(args.method) != 1:
        raise HpobenchError("name exactly one METHOD to regress (or use --update-reference [METHOD ...])")
    kwargs = _parse_set([f"{args.method[0]}.{item}" for item in args.set])
    result = regress.regress(
        args.method[0],
        against=args.against,
        suite=suite,
        seeds=args.seeds,
        alpha=args.alpha,
        margin=args.margin,
        method_kwargs=kwargs.get(args.method[0]),
        store=store,
        data_dir=data_dir,
        jobs=args.jobs,
        out=out,
    )
    print(regress.format_result(result))
    return 1 if result.regression else 0


def _data_root(raw: str | None, *, create: bool) -> Path:
    """The data directory of the ``data`` commands (created for ``fetch``)."""
    import os

    chosen = raw if raw is not None else os.environ.get(ENV_VAR) or None
    if chosen is None:
        raise DataError(f"no data directory: pass --data-dir DIR or set ${ENV_VAR}")
    if create:
        Path(chosen).expanduser().mkdir(parents=True, exist_ok=True)
    found = resolve_data_dir(chosen)
    assert found is not None
    return found


def _cmd_data_list(args: argparse.Namespace) -> int:
    from hpobench.data import datasets

    root = resolve_data_dir(args.data_dir)
    print(f"datasets (data directory: {root if root is not None else f'none; --data-dir or ${ENV_VAR}'}):")
    for dataset in datasets.known_datasets():
        if root is None:
            present = "-"
        else:
            states = datasets.status(dataset, root, verify=False)
            n = sum(state is not datasets.FileState.MISSING for _, state in states)
            present = f"{n}/{len(states)} present"
        upstream = "mirror only" if all(s.url is None for s in dataset.sources) else "upstream URL"
        print(f"  {dataset.name:<12} {present:<14} {upstream:<12} {dataset.description}")
    return 0


def _cmd_data_verify(args: argparse.Namespace) -> int:
    from hpobench.data import datasets

    root = _data_root(args.data_dir, create=False)
    chosen = [datasets.find_dataset(n) for n in args.names] if args.names else datasets.known_datasets()
    failed = False
    for dataset in chosen:
        for file, state in datasets.status(dataset, root):
            print(f"{state.value.upper():<9} {dataset.name:<12} {file.path}")
            failed |= state is datasets.FileState.MISMATCH
            failed |= bool(args.names) and state is datasets.FileState.MISSING
    return 1 if failed else 0


def _cmd_data_fetch(args: argparse.Namespace) -> int:
    from hpobench.data import datasets

    if args.sha256 is not None and len(args.names) != 1:
        raise DataError("--sha256 is the digest of one dataset's download: fetch one dataset with it")
    root = _data_root(args.data_dir, create=True)
    for name in args.names:
        dataset = datasets.find_dataset(name)
        datasets.fetch(dataset, root, url_base=args.url_base, force=args.force, sha256=args.sha256, log=print)
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block), with a "did you mean"."""

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE (see: PROG --help)`` to stderr and exit with status 2."""
        choice = re.match(r"(argument [^:]+: )invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if choice:
            known = [c.strip().strip("'") for c in choice.group(3).split(",")]
            close = difflib.get_close_matches(choice.group(2), known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where = "" if choice.group(1).endswith("command: ") else choice.group(1)
            message = f"{where}invalid choice {choice.group(2)!r}{hint}; choose from {', '.join(known)}"
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help that shows each option's default, except flags and options without one."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if isinstance(action.default, bool) or action.default in (None, []):
            return action.help
        if isinstance(action.default, list):  # as typed on the command line, not a Python list
            return f"{action.help} (default: {' '.join(map(str, action.default))})"
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hpobench`` command."""
    parser = _Parser(prog="hpobench", description="Benchmark hyperparameter-optimization methods.")
    parser.add_argument("--version", action="version", version=f"hpobench {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="list benchmarks and methods with their capabilities")
    p_list.add_argument("--data-dir", default=None, help=f"benchmark data directory (default: ${ENV_VAR})")
    p_list.add_argument("--tasks", action="store_true", help="list every task (the long form)")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    p_list.set_defaults(func=_cmd_list)

    p_run = sub.add_parser(
        "run",
        help="run a study (default: a small study on the embedded synthetic benchmarks)",
        formatter_class=_DefaultsFormatter,
    )
    p_run.add_argument(
        "--benchmarks",
        nargs="+",
        default=list(DEFAULT_BENCHMARKS),
        help="families, family/task names or patterns (e.g. fcnet synthetic/hartmann*)",
    )
    p_run.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), help="registered method names")
    p_run.add_argument("--seeds", type=_parse_seeds, default=DEFAULT_SEEDS, help="e.g. 0-9 or 0,3,7")
    p_run.add_argument(
        "--budget",
        type=_parse_budget,
        default=DEFAULT_BUDGET,
        help="per run: N evaluations, Nx (multiples of the maximal fidelity) or Ns/Nm/Nh simulated time",
    )
    p_run.add_argument("--jobs", type=int, default=1, help="worker processes (-1: all cores)")
    p_run.add_argument(
        "--workers", type=int, default=1, help="simulated parallel workers inside each run (simulated time)"
    )
    p_run.add_argument(
        "--backend",
        choices=["loky", "dask", "ray"],
        default="loky",
        help="where runs execute: local processes, or a dask.distributed / Ray cluster (same results)",
    )
    p_run.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="cluster address, e.g. tcp://host:8786"
    )
    p_run.add_argument("--out", default=DEFAULT_OUT, help="study directory; re-running resumes it")
    p_run.add_argument("--data-dir", default=None, help=f"benchmark data directory (default: ${ENV_VAR})")
    p_run.add_argument(
        "--set", action="append", default=[], metavar="METHOD.KEY=VALUE", help="method argument"
    )
    p_run.add_argument(
        "--scalarize",
        action="append",
        default=[],
        metavar="METHOD=KIND:OBJ=W,...",
        help="run a single-objective METHOD on multi-objective tasks through a declared scalarisation "
        "(KIND: weighted_sum or chebyshev of the scaled objectives), labelled as such",
    )
    p_run.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="wall-clock seconds per run (0: none); a run that does not stop is killed 10%% (>= 2 s) later",
    )
    p_run.add_argument(
        "--max-memory",
        type=_parse_memory,
        default=None,
        metavar="SIZE",
        help="resident-memory cap per run, e.g. 4GB: a run above it is killed and recorded as failed",
    )
    p_run.add_argument(
        "--no-retry-failed",
        dest="retry_failed",
        action="store_false",
        help="when resuming, keep runs that failed earlier instead of executing them again",
    )
    p_run.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="accept data files that differ from their pinned sha256 (data edited on purpose; recorded)",
    )
    p_run.add_argument("--quiet", action="store_true", help="no progress bar")
    p_run.set_defaults(func=_cmd_run)

    p_report = sub.add_parser(
        "report",
        help="rankings, anytime regret, statistical tests: Markdown/LaTeX tables, PNG/SVG plots, HTML",
    )
    p_report.add_argument("out", help="study directory")
    p_report.add_argument(
        "--format",
        action="append",
        choices=["html", "md", "latex"],
        help="document(s) to write, repeatable (default: all three); plots and CSV are always written",
    )
    p_report.add_argument(
        "--x",
        choices=[a.value for a in _axes()],
        default="budget",
        help="x-axis of anytime curves, ranks over time, ECDF and speed-ups",
    )
    p_report.add_argument(
        "--blocks",
        choices=["task-seed", "task"],
        default="task-seed",
        help="blocks of the rank row, CD diagram and paired tests: (task, seed) pairs (default; seeds "
        "are paired by design) or tasks with seeds averaged (generalises over tasks, less power)",
    )
    p_report.set_defaults(func=_cmd_report)

    p_regress = sub.add_parser(
        "regress", help="test a method against the stored reference runs; exit 1 on a significant regression"
    )
    p_regress.add_argument("method", nargs="*", help="registered method name (shipped or a plugin)")
    p_regress.add_argument("--against", default=None, help="stored reference method (default: METHOD)")
    p_regress.add_argument("--suite", default="default", help="default (needs data) or smoke (synthetic)")
    p_regress.add_argument(
        "--benchmarks",
        nargs="+",
        default=None,
        metavar="TASK",
        help="a suite of these tasks instead of --suite (e.g. multi-objective ones, scored by hypervolume "
        "regret), with a --reference-dir of their own",
    )
    p_regress.add_argument("--seeds", type=_parse_seeds, default=None, help="subset of the stored seeds 0-9")
    p_regress.add_argument("--alpha", type=float, default=0.05, help="level of the one-sided Wilcoxon test")
    p_regress.add_argument(
        "--margin", type=float, default=0.0, help="tolerated worsening of normalised regret"
    )
    p_regress.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="method argument")
    p_regress.add_argument("--jobs", type=int, default=1, help="worker processes (-1: all cores)")
    p_regress.add_argument("--data-dir", default=None, help=f"benchmark data directory (default: ${ENV_VAR})")
    p_regress.add_argument("--out", default=None, help="keep (and resume) the runs in this study directory")
    p_regress.add_argument(
        "--reference-dir", default=None, help="reference store (default: the packaged one)"
    )
    p_regress.add_argument(
        "--update-reference",
        action="store_true",
        help="re-run METHOD(s) (default: all shipped) and store them",
    )
    p_regress.set_defaults(func=_cmd_regress)

    p_sur = sub.add_parser("surrogate", help="fit our own surrogates of tabular benchmarks (needs torch)")
    sur_sub = p_sur.add_subparsers(dest="surrogate_command", required=True)
    from hpobench.surrogates import commands  # the fitting code is imported only when it runs

    p_fit = sur_sub.add_parser("fit", help="fit MLP-ensemble surrogates of a tabular family")
    commands.add_fit_arguments(p_fit)
    p_fit.set_defaults(func=commands.run_fit)
    p_quality = sur_sub.add_parser("quality", help="held-out quality report of fitted surrogates")
    commands.add_quality_arguments(p_quality)
    p_quality.set_defaults(func=commands.run_quality)

    p_data = sub.add_parser("data", help="list, verify and fetch benchmark data")
    data_sub = p_data.add_subparsers(dest="data_command", required=True)
    p_dlist = data_sub.add_parser("list", help="known datasets and what the data directory holds")
    p_dverify = data_sub.add_parser("verify", help="check files against the manifest's sha256")
    p_dverify.add_argument("names", nargs="*", help="datasets to verify (default: all; missing is ok)")
    p_dfetch = data_sub.add_parser("fetch", help="download, verify and unpack datasets")
    p_dfetch.add_argument("names", nargs="+", help="datasets to fetch (see: hpobench data list)")
    p_dfetch.add_argument(
        "--url-base", default=None, help="mirror replacing upstream URLs (default: $HPOBENCH_DATA_URL)"
    )
    p_dfetch.add_argument("--force", action="store_true", help="download even if present and verified")
    p_dfetch.add_argument(
        "--sha256",
        default=None,
        metavar="HEX",
        help="digest you trust for a dataset whose download has no pinned sha256 (it is then enforced)",
    )
    for p_d, func in ((p_dlist, _cmd_data_list), (p_dverify, _cmd_data_verify), (p_dfetch, _cmd_data_fetch)):
        p_d.add_argument("--data-dir", default=None, help=f"benchmark data directory (default: ${ENV_VAR})")
        p_d.set_defaults(func=func)
    from hpobench.cli.table import add_table_parser  # argparse only; the work imports lazily

    add_table_parser(sub)
    return parser


def _version() -> str:
    """The installed distribution's version (``unknown`` in an uninstalled source tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hpobench")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _axes() -> list[Any]:
    from hpobench.results.axes import XAxis

    return list(XAxis)


def _check_counts(args: argparse.Namespace) -> None:
    """Refuse ``--jobs 0`` (or below -1) and ``--workers`` below 1 with a one-line error."""
    jobs = getattr(args, "jobs", 1)
    if jobs == 0:
        raise HpobenchError(f"--jobs must be a positive number of processes or -1 (all cores), got {jobs}")
    workers = getattr(args, "workers", 1)
    if workers < 1:
        raise HpobenchError(f"--workers must be at least 1, got {workers}")


def _silence_stdout() -> None:
    """Point stdout at /dev/null after its reader went away, so that exiting flushes nothing."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hpobench`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_counts(args)
        status = int(args.func(args))
        sys.stdout.flush()  # inside the try: a reader that stopped early (| head) is not an error
        return status
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except (HpobenchError, ValueError) as exc:
        print(f"hpobench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hpobench: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
