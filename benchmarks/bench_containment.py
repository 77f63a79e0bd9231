"""What containment costs: hpobench.execution.containment's worker pool against joblib/loky, in the same run.

Before the study runner contained its runs, it fanned them out with joblib's loky backend (and ran
``--jobs 1`` in-process). This script times both pools on the same jobs, interleaved, min and
median over repeats:

* start-up: the first job of a fresh pool (fork server started once per process; loky's
  executor shut down between repeats so that each repeat starts its two workers);
* dispatch: per-job overhead over 2,000 trivial jobs on a warm pool (one worker, two workers).

Run: ``python benchmarks/bench_containment.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from joblib import Parallel, delayed
from joblib.externals.loky import get_reusable_executor

from hpobench.execution.containment import Limits, run_contained

_job = abs  # an importable function: workers never import this script's __main__


def _ours(n: int, jobs: int) -> None:
    results = list(run_contained(_job, list(range(n)), jobs=jobs, limits=Limits(timeout=600.0)))
    assert len(results) == n


def _loky(n: int, jobs: int) -> None:
    results = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")(
        delayed(_job)(i) for i in range(n)
    )
    assert len(list(results)) == n


def _fresh_loky(n: int, jobs: int) -> None:
    get_reusable_executor().shutdown(wait=True)
    _loky(n, jobs)


def _time(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    _ours(1, 1)  # the fork server starts once per process; a study pays it once
    rows: list[tuple[str, str, list[float], list[float]]] = []
    cases: list[tuple[str, str, Callable[[], None], Callable[[], None], int]] = [
        ("start-up + 1 job", "s", lambda: _ours(1, 1), lambda: _fresh_loky(2, 2), 1),
        ("2,000 jobs, 1 worker *", "us/job", lambda: _ours(2000, 1), lambda: _loky(2000, 1), 2000),
        ("2,000 jobs, 2 workers", "us/job", lambda: _ours(2000, 2), lambda: _loky(2000, 2), 2000),
    ]
    for name, unit, ours, theirs, n in cases:
        a: list[float] = []
        b: list[float] = []
        for _ in range(args.repeats):  # interleaved: both see the same machine state
            a.append(_time(ours))
            b.append(_time(theirs))
        scale = 1.0 if unit == "s" else 1e6 / n
        rows.append((name, unit, [x * scale for x in a], [x * scale for x in b]))
    header = f"{'measure':<24} {'unit':<7} {'hpobench min/median':>22} {'joblib-loky min/median':>24}"
    print(f"{header} {'ratio':>6}")
    for name, unit, a, b in rows:
        ratio = statistics.median(a) / statistics.median(b)
        print(
            f"{name:<24} {unit:<7} {min(a):>10.3g} / {statistics.median(a):<9.3g}"
            f" {min(b):>12.3g} / {statistics.median(b):<9.3g} {ratio:>6.2f}"
        )
    print("* joblib runs n_jobs=1 in-process (as the study runner did before): no worker at all")
    print("start-up: hpobench forks 1 worker from its fork server; loky starts 2 fresh workers")
    print("(a contained run also gets crash, timeout and memory containment, which loky has not)")


if __name__ == "__main__":
    main()
