"""``hpobench regress``: test a method against stored reference runs, or update them.

``--update-reference`` re-runs methods and stores their runs
(:func:`hpobench.evaluation.reference.update_reference`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hpobench.cli.arguments import _parse_set
from hpobench.contracts.errors import HpobenchError
from hpobench.data.datadir import resolve_data_dir


def _cmd_regress(args: argparse.Namespace) -> int:
    from hpobench.execution.containment import start_fork_server

    start_fork_server()  # the workers' imports, in a process of their own, overlap ours below
    from hpobench.evaluation import reference, regress, suites

    data_dir = resolve_data_dir(args.data_dir)
    store = reference.ReferenceStore(Path(args.reference_dir)) if args.reference_dir else None
    out = Path(args.out) if args.out else None
    suite: str | suites.Suite = args.suite
    if args.benchmarks:
        if store is None:
            raise HpobenchError(
                "--benchmarks needs a --reference-dir of its own (the packaged store is fixed)"
            )
        from hpobench.data import registry

        tasks = registry.expand_benchmarks(args.benchmarks, data_dir=data_dir)
        suite = suites.Suite(
            name="custom", benchmarks=tuple(s.name for s in tasks), description="tasks named by --benchmarks"
        )
    if args.update_reference:
        reference.update_reference(
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
