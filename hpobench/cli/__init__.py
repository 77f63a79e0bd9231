"""The ``hpobench`` command: ``list``, ``run``, ``report``, ``regress`` and ``data``.

Every expected failure (unknown name, bad budget, missing data, ...) ends with a one-line
``hpobench: error: ...`` message and exit status 2; a study whose runs partly failed completes,
lists the failures and exits with status 1.

The interfaces, the top layer: this package holds the command (this module: the parser and
:func:`main`), one module per command (:mod:`.run`, :mod:`.report`, :mod:`.regress`, :mod:`.data`,
:mod:`.listing`, :mod:`.table`; the argument types they share in :mod:`.arguments`, the allocator
setting of ``run`` and ``report`` in :mod:`.memory`). It may
import every layer below; nothing of the project imports it but ``python -m hpobench``. Each
command imports its work lazily, so ``hpobench --help`` starts without numpy. The ``--hpo-*``
pytest options are the same layer but live in :mod:`hpobench.pytest_options`, outside this
package: pytest loads them into every session, so they import nothing else.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from hpobench.cli.arguments import _parse_budget, _parse_memory, _parse_seeds, _parse_threads, _parse_timeout
from hpobench.cli.data import _cmd_data_fetch, _cmd_data_list, _cmd_data_verify
from hpobench.cli.regress import _cmd_regress
from hpobench.cli.report import _cmd_report
from hpobench.cli.run import _cmd_run
from hpobench.cli.surrogate import _cmd_surrogate_fit, _cmd_surrogate_quality
from hpobench.contracts.errors import HpobenchError
from hpobench.data.datadir import ENV_VAR, resolve_data_dir
from hpobench.execution.threads import DEFAULT_THREADS

DEFAULT_BENCHMARKS = ("synthetic", "fcnet_own/parkinsons_telemonitoring")
DEFAULT_METHODS = ("random_search", "successive_halving", "hyperband")
DEFAULT_SEEDS = "0-4"
DEFAULT_BUDGET = "50x"
DEFAULT_OUT = "hpobench-results"
INTERRUPTED = 130
"""Exit status of a command stopped by Ctrl-C (128 + SIGINT, as shells report it)."""


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
    p_run.add_argument("--jobs", type=int, default=1, help="worker processes (-1: one per usable core)")
    p_run.add_argument(
        "--threads",
        type=_parse_threads,
        default=DEFAULT_THREADS,
        help="BLAS/OpenMP threads per run; more can speed up large networks but may change the last "
        "bits of methods that use BLAS or torch (recorded in each run's provenance)",
    )
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
        type=_parse_timeout,
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
    p_regress.add_argument("--jobs", type=int, default=1, help="worker processes (-1: one per usable core)")
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
    from hpobench.surrogates import commands  # arguments only: the fitting code is imported when it runs

    p_fit = sur_sub.add_parser("fit", help="fit MLP-ensemble surrogates of a tabular family")
    commands.add_fit_arguments(p_fit)
    p_fit.set_defaults(func=_cmd_surrogate_fit)
    p_quality = sur_sub.add_parser("quality", help="held-out quality report of fitted surrogates")
    commands.add_quality_arguments(p_quality)
    p_quality.set_defaults(func=_cmd_surrogate_quality)

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
    try:  # the parser too: an interrupt while it imports what it lists is an interrupt like any other
        args = build_parser().parse_args(argv)
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
        return INTERRUPTED


def command() -> NoReturn:
    """The ``hpobench`` executable (and ``python -m hpobench``): :func:`main`, then exit with its status.

    Once :func:`main` has returned, the command's work is done and said: from then on an
    interrupt is ignored. Without this, a Ctrl-C during the interpreter's shutdown (as a study
    ends) would kill the process by the signal once Python has put back its default handler, and
    a finished study would exit as if interrupted (-2 instead of 0).
    """
    status = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # kept through the shutdown (Python restores its own only)
    if status == INTERRUPTED:
        _forget_interrupt()
    raise SystemExit(status)


def _forget_interrupt() -> None:
    """Clear CPython's note of an interrupt that escaped code run through ``PyRun_String``.

    Compiled modules (Cython) run parts of their import that way; a Ctrl-C that lands there makes
    CPython note "unhandled KeyboardInterrupt" even though :func:`main` handled it, and a process
    started as ``python -m hpobench`` then ends by SIGINT (-2) instead of with status 130 (5 of 24
    interrupts 0.2-0.5 s after the start of a study did). The note is cleared whenever code runs
    through that function again, so an empty statement is run through it. Other interpreters
    have no such note: nothing is done there.
    """
    if sys.implementation.name != "cpython":
        return
    import ctypes

    ctypes.pythonapi.PyRun_SimpleString(b"pass")


if __name__ == "__main__":
    command()
