"""The ``hpobench`` command: ``list``, ``run`` and ``report``.

Every expected failure (unknown name, bad budget, missing data, ...) ends with a one-line
``hpobench: error: ...`` message and exit status 2; a study whose runs partly failed completes,
lists the failures and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hpobench.budget import Budget
from hpobench.datadir import ENV_VAR, resolve_data_dir
from hpobench.errors import DataError, HpobenchError

DEFAULT_BENCHMARKS = ("synthetic",)
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
    from hpobench import registry

    data_dir = resolve_data_dir(args.data_dir)
    print("benchmarks (family/task):")
    for family_name in registry.family_names():
        try:
            infos = registry.load_family(family_name).tasks()
        except HpobenchError as exc:
            print(f"  {family_name}/* BROKEN: {exc}")
            continue
        for info in infos:
            fidelity = "multi-fidelity" if info.multi_fidelity else "single-fidelity"
            data = "needs data" if info.needs_data else "embedded"
            if info.needs_data and data_dir is None:
                data += f" (no data dir: --data-dir or ${ENV_VAR})"
            tags = ",".join(sorted(info.tags))
            print(f"  {info.name:<44} {fidelity:<16} {data:<12} [{tags}]")
    print("methods:")
    for name in registry.method_names():
        try:
            cls = registry.load_method(name)
        except HpobenchError as exc:
            print(f"  {name:<22} BROKEN: {exc}")
            continue
        caps = [k for k, v in vars(cls.capabilities).items() if v]
        params = ", ".join(cls.param_names()) or "-"
        print(f"  {name:<22} capabilities: {', '.join(caps) or '-'}; hyperparameters: {params}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from hpobench import registry
    from hpobench.study import plan_study, run_study

    data_dir = resolve_data_dir(args.data_dir)
    benchmarks = registry.expand_benchmarks(args.benchmarks)
    needing = [b.name for b in benchmarks if registry.task_info(b).needs_data]
    if needing and data_dir is None:
        raise DataError(
            f"{', '.join(needing)} need(s) the benchmark data directory: "
            f"pass --data-dir DIR or set ${ENV_VAR}"
        )
    for name in args.methods:
        registry.load_method(name)
    kwargs = _parse_set(args.set)
    plan = plan_study(
        benchmarks=benchmarks,
        methods=args.methods,
        seeds=args.seeds,
        budget=args.budget,
        method_kwargs=kwargs,
    )
    for skip in plan.skipped:
        print(f"skipped {skip.benchmark} x {skip.method}: {skip.reason}", file=sys.stderr)
    if not plan.runs:
        raise HpobenchError("nothing to run: every benchmark x method pairing was skipped")
    out = Path(args.out)
    print(
        f"study: {len(benchmarks)} benchmark(s) x {len(args.methods)} method(s) x {len(args.seeds)} seed(s) "
        f"= {len(plan.runs)} runs, budget {args.budget} each, {args.jobs} job(s) -> {out}",
        file=sys.stderr,
    )
    summary = run_study(
        plan,
        out=out,
        jobs=args.jobs,
        data_dir=data_dir,
        timeout=args.timeout or None,
        progress=not args.quiet,
    )
    print(f"done: {summary.executed} run(s) executed, {summary.resumed} already finished (resumed)")
    for run_id, error in summary.failed:
        print(f"FAILED {run_id}: {error}", file=sys.stderr)
    print(f"next: hpobench report {out}")
    return 1 if summary.failed else 0


def _cmd_report(args: argparse.Namespace) -> int:
    from hpobench.results.regret import XAxis
    from hpobench.results.report import write_report

    out = Path(args.out)
    if not out.is_dir():
        raise HpobenchError(f"results directory {str(out)!r} does not exist")
    report = write_report(out, axis=XAxis(args.x))
    print(report.markdown)
    print(f"wrote {report.markdown_path} and {report.plot_path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hpobench`` command."""
    parser = argparse.ArgumentParser(
        prog="hpobench", description="Benchmark hyperparameter-optimization methods."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="list benchmarks and methods with their capabilities")
    p_list.add_argument("--data-dir", default=None, help=f"benchmark data directory (default: ${ENV_VAR})")
    p_list.set_defaults(func=_cmd_list)

    p_run = sub.add_parser(
        "run", help="run a study (default: a small study on the embedded synthetic benchmarks)"
    )
    p_run.add_argument(
        "--benchmarks",
        nargs="+",
        default=list(DEFAULT_BENCHMARKS),
        help="families, family/task names or patterns (e.g. fcnet synthetic/hartmann*)",
    )
    p_run.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), help="registered method names")
    p_run.add_argument(
        "--seeds", type=_parse_seeds, default=_parse_seeds(DEFAULT_SEEDS), help="e.g. 0-9 or 0,3,7"
    )
    p_run.add_argument(
        "--budget",
        type=_parse_budget,
        default=Budget.parse(DEFAULT_BUDGET),
        help="per run: N evaluations, Nx (multiples of the maximal fidelity) or Ns/Nm/Nh simulated time",
    )
    p_run.add_argument("--jobs", type=int, default=1, help="worker processes (-1: all cores)")
    p_run.add_argument("--out", default=DEFAULT_OUT, help="study directory; re-running resumes it")
    p_run.add_argument("--data-dir", default=None, help=f"benchmark data directory (default: ${ENV_VAR})")
    p_run.add_argument(
        "--set", action="append", default=[], metavar="METHOD.KEY=VALUE", help="method argument"
    )
    p_run.add_argument("--timeout", type=float, default=1800.0, help="wall-clock seconds per run (0: none)")
    p_run.add_argument("--quiet", action="store_true", help="no progress bar")
    p_run.set_defaults(func=_cmd_run)

    p_report = sub.add_parser(
        "report", help="write a regret table (Markdown) and an anytime-regret plot (PNG)"
    )
    p_report.add_argument("out", help="study directory")
    p_report.add_argument(
        "--x", choices=[a.value for a in _axes()], default="budget", help="x-axis of the plot"
    )
    p_report.set_defaults(func=_cmd_report)
    return parser


def _axes() -> list[Any]:
    from hpobench.results.regret import XAxis

    return list(XAxis)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hpobench`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "jobs", 1) == 0:
        parser.error("--jobs must be a positive number or -1")
    try:
        return int(args.func(args))
    except (HpobenchError, ValueError) as exc:
        print(f"hpobench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hpobench: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
