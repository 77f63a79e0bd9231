"""Hypervolume time (ours vs moocore vs pymoo) and end-to-end time of a small multi-objective study.

Hypervolume: non-dominated fronts of 100 / 1,000 / 10,000 points with 2 objectives (on the curve
``f2 = 1 - sqrt(f1)``) and 3 objectives (on the unit sphere's positive octant), reference point
``1.1`` in every objective; every implementation computes the same number (checked to 1e-12
relative before timing). ``sweep`` is ours (``use_moocore=False``), ``default`` what
``hpobench.contracts.pareto.hypervolume`` does by default (our sweep for 2 objectives, moocore for 3 where
installed). Each repeat times every implementation once, in turn (interleaved);
min and median over repeats. A peer whose single untimed warm-up call already takes longer than
``--slow`` seconds is reported with that one call and not repeated.

End to end: ``run_study`` of random search and Optuna (its default multi-objective sampler) on
the two multi-objective tasks of the test family (``tests/mo_plugin.py``: ZDT1 and a 3-objective
DTLZ2 with a fidelity) x ``--seeds`` seeds x ``--evals`` evaluations, then ``score_study``
(hypervolume regret of every run) and ``write_report`` (Markdown only). Run::

    python benchmarks/bench_hypervolume.py [--repeats 5] [--seeds 5] [--evals 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from _timing import interleaved, peer

from hpobench.contracts.pareto import hypervolume


def front(n: int, k: int, seed: int = 0) -> np.ndarray:
    """``n`` mutually non-dominated points with ``k`` objectives (minimisation)."""
    rng = np.random.default_rng(seed)
    if k == 2:
        x = np.sort(rng.uniform(0, 1, n))
        return np.c_[x, 1 - np.sqrt(x)]
    v = np.abs(rng.normal(size=(n, k)))
    return np.asarray(v / np.linalg.norm(v, axis=1, keepdims=True), dtype=float)


def hv_cases(points: np.ndarray) -> dict[str, Callable[[], float]]:
    ref = np.full(points.shape[1], 1.1)
    cases: dict[str, Callable[[], float]] = {
        "sweep": lambda: hypervolume(points, reference=ref, use_moocore=False),
        "default": lambda: hypervolume(points, reference=ref),
    }
    moocore, why_moocore = peer("moocore")
    if moocore is not None:
        cases["moocore"] = lambda: float(moocore.hypervolume(points, ref=ref))
    else:
        print(f"  moocore: peer unavailable: {why_moocore}")
    hv_module, why_pymoo = peer("pymoo.indicators.hv")
    if hv_module is not None:
        indicator = hv_module.HV(ref_point=ref)
        cases["pymoo"] = lambda: float(indicator(points))
    else:
        print(f"  pymoo: peer unavailable: {why_pymoo}")
    return cases


def bench_hv(repeats: int, slow: float) -> None:
    print("hypervolume of a non-dominated front, ms per call: min / median over interleaved repeats")
    names = ("sweep", "default", "moocore", "pymoo")
    print(f"{'k':>2} {'points':>7} " + " ".join(f"{n:>22}" for n in names))
    for k in (2, 3):
        for n in (100, 1_000, 10_000):
            points = front(n, k)
            cases = hv_cases(points)
            values, first = {}, {}
            for name, fn in cases.items():  # the untimed warm-up call, also the agreement check
                start = time.perf_counter()
                values[name] = fn()
                first[name] = time.perf_counter() - start
            ours = values["sweep"]
            for name, value in values.items():
                if not np.isclose(value, ours, rtol=1e-12, atol=0):
                    raise SystemExit(f"{name} computes {value!r}, our sweep {ours!r} (k={k}, n={n})")
            timed = {name: fn for name, fn in cases.items() if first[name] <= slow}
            timings = interleaved(timed, repeats=repeats, warmup=False)
            cells = []
            for name in names:
                if name in timings:
                    t = timings[name]
                    cells.append(f"{1e3 * t.min:>10.3g} / {1e3 * t.median:<9.3g}")
                elif name in first:
                    cells.append(f"{'one call ' + format(first[name], '.3g') + ' s':>22}")
                else:
                    cells.append(f"{'unavailable':>22}")
            ratio = ""
            if "moocore" in timings:
                ratio = (
                    f"  sweep/moocore {timings['sweep'].min / timings['moocore'].min:.2f}x, "
                    f"default/moocore {timings['default'].min / timings['moocore'].min:.2f}x (min)"
                )
            print(f"{k:>2} {n:>7} " + " ".join(cells) + ratio)


def bench_study(seeds: int, evals: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import mo_plugin

    from hpobench.contracts.benchmark import BenchmarkSpec
    from hpobench.contracts.budget import Budget
    from hpobench.evaluation.scoring import score_study
    from hpobench.execution.planning import plan_study
    from hpobench.execution.study import run_study
    from hpobench.results.report import write_report

    with tempfile.TemporaryDirectory(prefix="bench-mo-") as tmp:
        mo_plugin.install(Path(tmp) / "plugin")
        out = Path(tmp) / "study"
        plan = plan_study(
            benchmarks=[BenchmarkSpec.parse(b) for b in ("testmo/zdt1", "testmo/dtlz2_fid")],
            methods=["random_search", "optuna"],
            seeds=list(range(seeds)),
            budget=Budget.parse(str(evals)),
        )
        start = time.perf_counter()
        summary = run_study(plan, out=out, jobs=1, progress=False)
        ran = time.perf_counter() - start
        start = time.perf_counter()
        scores = score_study(out)
        scored = time.perf_counter() - start
        start = time.perf_counter()
        write_report(out, formats=["md"])
        reported = time.perf_counter() - start
    runs = len(plan.runs)
    print(
        f"\nmulti-objective study: 2 methods x 2 tasks x {seeds} seeds x {evals} evaluations "
        f"({runs} runs, {len(summary.failed)} failed)"
    )
    print(f"  run_study   {ran:7.2f} s ({1e3 * ran / (runs * evals):.3g} ms per evaluation, one process)")
    print(f"  score_study {scored:7.2f} s (hypervolume regret after every evaluation of every run)")
    print(f"  report      {reported:7.2f} s (Markdown, figures, CSV)")
    means = scores.groupby("method")["normalized_regret"].mean().round(3).to_dict()
    print(f"  mean final hypervolume regret by method: {means}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--slow", type=float, default=20.0, help="seconds above which a peer is not repeated")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--evals", type=int, default=100)
    parser.add_argument("--no-study", action="store_true", help="hypervolume timings only")
    args = parser.parse_args()
    bench_hv(args.repeats, args.slow)
    if not args.no_study:
        bench_study(args.seeds, args.evals)


if __name__ == "__main__":
    main()
