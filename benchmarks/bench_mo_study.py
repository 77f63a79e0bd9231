"""End-to-end time of a multi-objective study: 5 methods x 10 tasks x 5 seeds, run, scored, reported.

The study of issue 18's Measure section, on real tasks: four test functions of ``synthetic_mo``
(ZDT1-3, Branin-Currin), five YAHPO lcbench tasks (the three of YAHPO Gym's multi-objective suite,
167152, 167185, 189873, and 3945, 7593; accuracy against training time, ONNX surrogate) and
``yahpo_mo/iaml_glmnet-1489`` (error against the number of features). Every task has two
objectives, a fidelity and an unconditional space, so every method runs on every task
(``carbs_like`` takes two objectives only, ``nsga2`` no conditional space). Methods:
``random_search``, ``nsga2``, ``mo_asha``, ``mo_hyperband`` and ``carbs_like`` at a budget of
``--budget`` full trainings per run. Stages, each timed on its own (wall seconds,
``time.perf_counter``; the load average at each repeat's start is printed, since other work on a
shared machine moves them several-fold), one worker unless ``--jobs``:

* ``run_study``: every run, with the study directory written (Parquet per run, provenance);
* ``score_study``: hypervolume regret of every run's final found front (``max_fidelity`` rule);
* ``write_report``: the whole report (Markdown, LaTeX, HTML, figures and CSV; the
  multi-objective section's anytime hypervolume regret, fronts and attainment surfaces).

Per stage: wall seconds and what it is per run / per evaluation; the per-method seconds per run
show where the time goes. One measurement of each stage per call (a study is minutes, not
microseconds); ``--repeats`` repeats the whole thing in fresh directories of the same process, so
the first repeat pays the process's start-up (imports, ONNX sessions, tables) and the others
show the steady state: every repeat is printed, then min and median.
Run::

    python benchmarks/bench_mo_study.py --data-dir DATA [--seeds 5] [--budget 20x] [--jobs 1] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.evaluation.scoring import score_study
from hpobench.execution.planning import plan_study
from hpobench.execution.study import run_study
from hpobench.results.load import load_results
from hpobench.results.report import write_report

STAGES = ("run_study", "score_study", "write_report")
METHODS = ("random_search", "nsga2", "mo_asha", "mo_hyperband", "carbs_like")
TASKS = (
    "synthetic_mo/zdt1",
    "synthetic_mo/zdt2",
    "synthetic_mo/zdt3",
    "synthetic_mo/branin_currin",
    "yahpo_mo/lcbench-167152",
    "yahpo_mo/lcbench-167185",
    "yahpo_mo/lcbench-189873",
    "yahpo_mo/lcbench-3945",
    "yahpo_mo/lcbench-7593",
    "yahpo_mo/iaml_glmnet-1489",
)


def once(*, data_dir: Path, seeds: int, budget: str, jobs: int) -> dict[str, float]:
    """Run, score and report the study once in a fresh directory; seconds per stage and counts."""
    plan = plan_study(
        benchmarks=[BenchmarkSpec.parse(t) for t in TASKS],
        methods=list(METHODS),
        seeds=list(range(seeds)),
        budget=Budget.parse(budget),
        data_dir=data_dir,
    )
    if plan.skipped:
        raise SystemExit(f"pairings left out: {plan.skipped}")
    with tempfile.TemporaryDirectory(prefix="bench-mo-study-") as tmp:
        out = Path(tmp) / "study"
        load = os.getloadavg()[0]
        start = time.perf_counter()
        summary = run_study(plan, out=out, jobs=jobs, data_dir=data_dir, progress=False)
        ran = time.perf_counter() - start
        if summary.failed:
            raise SystemExit(f"{len(summary.failed)} run(s) failed: {summary.failed[:3]}")
        start = time.perf_counter()
        scores = score_study(out, incumbent="max_fidelity")
        scored = time.perf_counter() - start
        start = time.perf_counter()
        write_report(out)
        reported = time.perf_counter() - start
        loaded = load_results(out)
        walls = loaded.runs["run_id"].map(lambda r: float(loaded.provenance[r]["wall_seconds"]))
        per_method = walls.groupby(loaded.runs["method"]).mean().to_dict()
        evaluations = int(loaded.runs["evaluations"].sum())
    assert (scores["metric"] == "hv_regret").all()
    return {
        "runs": float(len(plan.runs)),
        "evaluations": float(evaluations),
        "run_study": ran,
        "score_study": scored,
        "write_report": reported,
        "load": load,
        **{f"run[{m}]": float(v) for m, v in per_method.items()},
    }


def main() -> None:
    """Parse the arguments, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("HPOBENCH_DATA_DIR"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", default="20x")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    if args.data_dir is None:
        raise SystemExit("give --data-dir DIR or set $HPOBENCH_DATA_DIR (YAHPO and FCNet tasks)")
    results = [
        once(data_dir=args.data_dir, seeds=args.seeds, budget=args.budget, jobs=args.jobs)
        for _ in range(args.repeats)
    ]
    first = results[0]
    runs, evaluations = int(first["runs"]), int(first["evaluations"])
    print(
        f"multi-objective study: {len(METHODS)} methods x {len(TASKS)} tasks x {args.seeds} seeds, "
        f"budget {args.budget} ({runs} runs, {evaluations} evaluations), jobs {args.jobs}, "
        f"{args.repeats} repeat(s), load average {os.getloadavg()[0]:.1f}"
    )
    total = [r["run_study"] + r["score_study"] + r["write_report"] for r in results]
    print("  seconds per repeat (the first in a fresh process: imports, ONNX sessions, tables loaded)")
    for stage, values in (*((s, [r[s] for r in results]) for s in STAGES), ("end to end", total)):
        low, mid = min(values), statistics.median(values)
        each = " / ".join(f"{v:.2f}" for v in values)
        print(
            f"  {stage:<13} {each:<24} min {low:6.2f} s, median {mid:6.2f} s  "
            f"({1e3 * low / runs:.1f} ms/run, {1e3 * low / evaluations:6.3f} ms per evaluation, at the min)"
        )
    print(
        "  load average (1 min) at the start of each repeat: "
        + " / ".join(f"{r['load']:.1f}" for r in results)
    )
    walls = ", ".join(f"{k[4:-1]} {v:.2f}" for k, v in first.items() if k.startswith("run["))
    print(f"  mean wall seconds per run by method (its provenance, first repeat): {walls}")


if __name__ == "__main__":
    main()
