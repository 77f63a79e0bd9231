"""Paper claims as checkable objects: which methods, tasks, budgets, and which comparisons.

A :class:`Claim` names the runs a paper's statement is about (methods with their budgets, which
may differ, e.g. "at a tenth of the compute") and the paired comparisons that make it true
(:class:`~hpobench.evaluation.comparisons.Comparison`: ``BEATS``, or ``NOT_WORSE``/``EQUIVALENT`` within a
stated margin, tested by TOST). :func:`check_claim` runs them through a study (joblib fan-out)
and tests every comparison with :func:`~hpobench.evaluation.comparisons.evaluate_comparison`
over (task, seed).
The runnable files in the repository's ``protocols/`` folder are built on this module.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import DataError, HpobenchError, IncompatibleError
from hpobench.data.datadir import ENV_VAR, resolve_data_dir
from hpobench.data.registry import load_benchmark, task_info
from hpobench.evaluation.comparisons import Comparison, ComparisonTest, Relation, evaluate_comparison
from hpobench.evaluation.scoring import run_scored
from hpobench.execution.planning import StudyPlan, plan_study
from hpobench.execution.runspec import RunSpec

__all__ = [
    "INCUMBENT_RULES",
    "Claim",
    "ClaimResult",
    "Comparison",
    "ComparisonTest",
    "ComputeLimit",
    "Relation",
    "check_claim",
    "evaluate_comparison",
    "main",
    "require_first_fidelity",
]

INCUMBENT_RULES = ("any_fidelity", "max_fidelity")
"""Names of :class:`hpobench.results.regret.Incumbent` rules a claim may score with."""


@dataclass(frozen=True, kw_only=True)
class ComputeLimit:
    """A bound on compute: ``method``'s mean fidelity spent is at most ``max_ratio`` of ``baseline``'s.

    Attributes:
        method: The frugal method.
        baseline: The method it is measured against.
        max_ratio: Largest allowed ratio of mean compute per run.
    """

    method: str
    baseline: str
    max_ratio: float


@dataclass(frozen=True, kw_only=True)
class Claim:
    """A paper's claim, made checkable.

    Attributes:
        name: Short name.
        paper: The paper the claim comes from.
        statement: The claim in words.
        benchmarks: Tasks, ``family/task``.
        budgets: Method name -> its budget (text, e.g. ``"30x"``).
        comparisons: What must hold, every one.
        compute_limits: Bounds on relative compute that must hold too.
        seeds: Seeds of every run.
        alpha: Significance level of each one-sided test.
        column: Compared value (lower is better).
        method_kwargs: Method name -> keyword arguments.
        note: How this check differs from the paper's setting (printed with the result).
        first_fidelity: When set (e.g. ``"epoch"``), the claim is about what one unit of this
            fidelity shows: :func:`check_claim` refuses a task whose lowest fidelity is not one
            integer unit of it (see :func:`require_first_fidelity`).
        incumbent: Incumbent rule of the scores (``any_fidelity`` or ``max_fidelity``, see
            :class:`hpobench.results.regret.Incumbent`). ``max_fidelity`` is the rule of
            HpBandSter's ``Result.get_incumbent_id`` (the smallest loss among runs on the
            maximum budget) and what a user of a method gets; the ``dehb`` package's
            ``inc_score`` is the best value at any fidelity instead. Protocol files take
            ``--incumbent`` to show whether a verdict depends on the rule.

    Raises:
        ValueError: An unknown incumbent rule.
    """

    name: str
    paper: str
    statement: str
    benchmarks: tuple[str, ...]
    budgets: Mapping[str, str]
    comparisons: tuple[Comparison, ...]
    compute_limits: tuple[ComputeLimit, ...] = ()
    seeds: tuple[int, ...] = tuple(range(10))
    alpha: float = 0.05
    column: str = "normalized_regret"
    method_kwargs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    note: str = ""
    first_fidelity: str | None = None
    incumbent: str = "any_fidelity"

    def __post_init__(self) -> None:
        if self.incumbent not in INCUMBENT_RULES:
            raise ValueError(f"incumbent must be one of {', '.join(INCUMBENT_RULES)}, got {self.incumbent!r}")

    def plan(self, *, seeds: Sequence[int] | None = None) -> StudyPlan:
        """The runs of the claim (each method at its own budget)."""
        specs = [BenchmarkSpec.parse(b) for b in self.benchmarks]
        runs: list[RunSpec] = []
        for method, budget in self.budgets.items():
            kwargs = {method: self.method_kwargs[method]} if method in self.method_kwargs else None
            plan = plan_study(
                benchmarks=specs,
                methods=[method],
                seeds=list(seeds if seeds is not None else self.seeds),
                budget=Budget.parse(budget),
                method_kwargs=kwargs,
            )
            runs.extend(plan.runs)
        return StudyPlan(runs=tuple(runs))


@dataclass(frozen=True, kw_only=True)
class ClaimResult:
    """The outcome of :func:`check_claim`.

    Attributes:
        claim: The claim.
        tests: Each comparison's test and whether it held.
        scores: One row per run (:data:`hpobench.evaluation.scoring.SCORE_COLUMNS`).
    """

    claim: Claim
    tests: tuple[ComparisonTest, ...]
    scores: pd.DataFrame

    @property
    def held(self) -> bool:
        """Whether every comparison and every compute limit held."""
        return all(t.held for t in self.tests) and all(ok for _, _, ok in self.compute_checks())

    def compute(self) -> pd.Series:
        """Mean fidelity spent per run (multiples of the maximal fidelity), per method."""
        return self.scores.groupby("method_name", sort=True, observed=True)["fidelity_spent"].mean()

    def compute_checks(self) -> list[tuple[ComputeLimit, float, bool]]:
        """Each compute limit with the measured ratio and whether it held."""
        compute = self.compute()
        out = []
        for limit in self.claim.compute_limits:
            ratio = float(compute[limit.method] / compute[limit.baseline])
            out.append((limit, ratio, ratio <= limit.max_ratio))
        return out

    def report(self) -> str:
        """What was checked, the numbers, and whether the claim held."""
        c = self.claim
        lines = [f"claim: {c.statement}", f"paper: {c.paper}"]
        if c.note:
            lines.append(f"note: {c.note}")
        n_seeds = self.scores["seed"].nunique()
        lines.append(
            f"setting: {len(c.benchmarks)} task(s) x {n_seeds} seed(s); budgets "
            + ", ".join(f"{m} {b}" for m, b in c.budgets.items())
            + f"; incumbent: {c.incumbent.replace('_', ' ')}"
        )
        means = self.scores.groupby("method_name", sort=True, observed=True)[c.column].mean()
        compute = self.compute()
        for method in c.budgets:
            lines.append(
                f"  {method:<20} mean {c.column} {means.get(method, float('nan')):.4f}, "
                f"mean compute {compute.get(method, float('nan')):.2f}x max fidelity"
            )
        for t in self.tests:
            lines.append(t.describe())
            lines.extend(
                f"    {r.benchmark:<40} {r.candidate_mean:.4f} vs {r.reference_mean:.4f} "
                f"(difference {r.mean_difference:+.4f}; worse {r.worse}, better {r.better}, tied {r.tied})"
                for r in t.effect.per_task.itertuples(index=False)
            )
        for limit, ratio, ok in self.compute_checks():
            lines.append(
                f"{'HELD' if ok else 'NOT HELD'}: compute of {limit.method} is {ratio:.3f} of "
                f"{limit.baseline}'s (limit {limit.max_ratio:g})"
            )
        verdict = "the claim HELD" if self.held else "the claim did NOT hold"
        lines.append(f"{verdict} (alpha = {c.alpha:g} per comparison)")
        return "\n".join(lines)


def require_first_fidelity(benchmarks: Sequence[str], *, unit: str, data_dir: Path | None) -> None:
    """Refuse tasks whose lowest fidelity is not one ``unit`` (e.g. one epoch of training).

    A task passes when its fidelity is named ``unit``, is integer, and starts at 1. The name is
    the loader's statement of what the fidelity counts; a loader whose first recorded point is
    something else (TaskSet's first point is step 200 of training, named ``step``) does not pass.

    Args:
        benchmarks: Task names, ``family/task``.
        unit: The unit the claim is about.
        data_dir: Benchmark data directory (the tasks are loaded).

    Raises:
        IncompatibleError: A task without such a first fidelity; the message says what it has.
    """
    for name in benchmarks:
        fidelity = load_benchmark(name, data_dir=data_dir).task.fidelity
        if fidelity is None:
            raise IncompatibleError(f"{name} has no fidelity, so it has no first {unit}")
        if fidelity.name != unit or not fidelity.integer or fidelity.low != 1:
            kind = "integer" if fidelity.integer else "continuous"
            raise IncompatibleError(
                f"{name}: its lowest fidelity is {fidelity.name} = {fidelity.low:g} ({kind}, up to "
                f"{fidelity.high:g}), not one {unit}; the claim is about what one {unit} shows"
            )


def check_claim(
    claim: Claim,
    *,
    data_dir: Path | None = None,
    jobs: int = 1,
    seeds: Sequence[int] | None = None,
    out: Path | None = None,
) -> ClaimResult:
    """Run the claim's study and test each of its comparisons.

    Args:
        claim: The claim.
        data_dir: Benchmark data directory.
        jobs: Worker processes.
        seeds: Seeds to use instead of the claim's.
        out: Study directory to keep (and resume) the runs; a temporary one if ``None``.

    Raises:
        DataError: A task needs the data directory and none is given.
        IncompatibleError: The claim names a first fidelity that a task lacks.
        HpobenchError: A run failed.
    """
    needing = [b for b in claim.benchmarks if task_info(BenchmarkSpec.parse(b)).needs_data]
    if needing and data_dir is None:
        raise DataError(f"{', '.join(needing)} need(s) the data directory: --data-dir DIR or ${ENV_VAR}")
    if claim.first_fidelity is not None:
        require_first_fidelity(claim.benchmarks, unit=claim.first_fidelity, data_dir=data_dir)
    with tempfile.TemporaryDirectory(prefix="hpobench-claim-") as tmp:
        scored = run_scored(
            claim.plan(seeds=seeds),
            out=out or Path(tmp),
            jobs=jobs,
            data_dir=data_dir,
            incumbent=claim.incumbent,
        )
    if scored.summary.failed:
        run_id, error = scored.summary.failed[0]
        raise HpobenchError(f"{len(scored.summary.failed)} run(s) failed, e.g. {run_id}: {error}")
    scores = scored.scores
    tests = tuple(
        evaluate_comparison(c, scores, alpha=claim.alpha, column=claim.column) for c in claim.comparisons
    )
    return ClaimResult(claim=claim, tests=tests, scores=scores)


def main(
    make_claim: Callable[[Path | None], Claim],
    argv: Sequence[str] | None = None,
    *,
    variants: Mapping[str, Callable[[Path | None], Claim]] | None = None,
) -> int:
    """Command line of a protocol file: run the claim, print the report.

    Exit status: 0 when the claim held, 1 when it did not, 2 on bad input (e.g. missing data).

    Args:
        make_claim: Builds the claim for a data directory (some claims adapt their tasks to
            the data present).
        argv: Arguments (default: ``sys.argv[1:]``).
        variants: Other claims of the same file, chosen with ``--variant NAME``.
    """
    parser = argparse.ArgumentParser(description="Check a paper's claim on hpobench's benchmarks.")
    parser.add_argument("--data-dir", default=None, help=f"benchmark data directory (default: ${ENV_VAR})")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (-1: one per usable core)")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the claim's)")
    parser.add_argument("--out", default=None, help="keep the runs in this study directory")
    parser.add_argument(
        "--incumbent",
        choices=INCUMBENT_RULES,
        default=None,
        help="score with this incumbent rule instead of the claim's (does the verdict depend on it?)",
    )
    if variants:
        parser.add_argument("--variant", choices=sorted(variants), default=None, help="check this variant")
    args = parser.parse_args(argv)
    try:
        data_dir = resolve_data_dir(args.data_dir)
        variant = getattr(args, "variant", None)
        claim = (make_claim if variant is None else dict(variants or {})[variant])(data_dir)
        if args.incumbent is not None:
            claim = replace(claim, incumbent=args.incumbent)
        result = check_claim(
            claim,
            data_dir=data_dir,
            jobs=args.jobs,
            seeds=None if args.seeds is None else list(range(args.seeds)),
            out=None if args.out is None else Path(args.out),
        )
    except (HpobenchError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.report())
    return 0 if result.held else 1
