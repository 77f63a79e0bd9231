"""Paper claims as checkable objects: which methods, tasks, budgets, and which comparisons.

A :class:`Claim` names the runs a paper's statement is about (methods with their budgets, which
may differ, e.g. "at a tenth of the compute") and the paired comparisons that make it true.
:func:`check_claim` runs them through a study (joblib fan-out) and tests every comparison with
the one-sided paired Wilcoxon test of :mod:`hpobench.testing.assertions` over (task, seed).
The runnable files in the repository's ``protocols/`` folder are built on this module.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pandas as pd

from hpobench.benchmark import BenchmarkSpec
from hpobench.budget import Budget
from hpobench.datadir import ENV_VAR, resolve_data_dir
from hpobench.errors import DataError, HpobenchError
from hpobench.registry import task_info
from hpobench.runner import RunSpec
from hpobench.scoring import run_scored
from hpobench.study import StudyPlan, plan_study
from hpobench.testing.assertions import PairedComparison, paired_comparison, select_method

__all__ = ["Claim", "ClaimResult", "Comparison", "ComputeLimit", "Relation", "check_claim", "main"]


class Relation(Enum):
    """What a comparison asserts about ``method`` relative to ``baseline``."""

    BEATS = "beats"
    """Significantly lower regret (one-sided test rejects)."""
    NOT_WORSE = "not worse than"
    """Not significantly higher regret (one-sided test of "worse" does not reject)."""


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """One paired comparison of a claim.

    Attributes:
        method: The method the claim is about.
        relation: What it must achieve.
        baseline: The method it is compared with.
    """

    method: str
    relation: Relation
    baseline: str

    def __str__(self) -> str:
        return f"{self.method} {self.relation.value} {self.baseline}"


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
        incumbent: Incumbent rule of the scores (``any_fidelity`` or ``max_fidelity``, see
            :class:`hpobench.results.regret.Incumbent`).
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
    incumbent: str = "any_fidelity"

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
        tests: Each comparison with its paired test and whether it held.
        scores: One row per run (:data:`hpobench.scoring.SCORE_COLUMNS`).
    """

    claim: Claim
    tests: tuple[tuple[Comparison, PairedComparison, bool], ...]
    scores: pd.DataFrame

    @property
    def held(self) -> bool:
        """Whether every comparison and every compute limit held."""
        return all(ok for _, _, ok in self.tests) and all(ok for _, _, ok in self.compute_checks())

    def compute(self) -> pd.Series:
        """Mean fidelity spent per run (multiples of the maximal fidelity), per method."""
        return self.scores.groupby("method_name", sort=True)["fidelity_spent"].mean()

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
        means = self.scores.groupby("method_name", sort=True)[c.column].mean()
        compute = self.compute()
        for method in c.budgets:
            lines.append(
                f"  {method:<20} mean {c.column} {means.get(method, float('nan')):.4f}, "
                f"mean compute {compute.get(method, float('nan')):.2f}x max fidelity"
            )
        for comparison, test, ok in self.tests:
            lines.append(
                f"{'HELD' if ok else 'NOT HELD'}: {comparison} — mean {test.candidate_mean:.4f} vs "
                f"{test.reference_mean:.4f} (difference {test.mean_difference:+.4f}, rank-biserial "
                f"r = {test.rank_biserial:+.2f}, better/worse/tied {test.n_better}/{test.n_worse}/"
                f"{test.n_tied} of {test.n_pairs}), one-sided Wilcoxon p = {test.pvalue:.3g}"
            )
        for limit, ratio, ok in self.compute_checks():
            lines.append(
                f"{'HELD' if ok else 'NOT HELD'}: compute of {limit.method} is {ratio:.3f} of "
                f"{limit.baseline}'s (limit {limit.max_ratio:g})"
            )
        verdict = "the claim HELD" if self.held else "the claim did NOT hold"
        lines.append(f"{verdict} (alpha = {c.alpha:g} per comparison)")
        return "\n".join(lines)


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
        HpobenchError: A run failed.
    """
    needing = [b for b in claim.benchmarks if task_info(BenchmarkSpec.parse(b)).needs_data]
    if needing and data_dir is None:
        raise DataError(f"{', '.join(needing)} need(s) the data directory: --data-dir DIR or ${ENV_VAR}")
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
    tests = []
    for comparison in claim.comparisons:
        # methods may run at different budgets on purpose (e.g. "a tenth of the compute")
        a = select_method(scores, comparison.method).drop(columns="budget")
        b = select_method(scores, comparison.baseline).drop(columns="budget")
        if comparison.relation is Relation.BEATS:
            test = paired_comparison(a, b, alternative="less", column=claim.column)
            ok = test.significant(claim.alpha)
        else:
            test = paired_comparison(a, b, alternative="greater", column=claim.column)
            ok = not test.significant(claim.alpha)
        tests.append((comparison, test, ok))
    return ClaimResult(claim=claim, tests=tuple(tests), scores=scores)


def main(make_claim: Callable[[Path | None], Claim], argv: Sequence[str] | None = None) -> int:
    """Command line of a protocol file: run the claim, print the report.

    Exit status: 0 when the claim held, 1 when it did not, 2 on bad input (e.g. missing data).

    Args:
        make_claim: Builds the claim for a data directory (some claims adapt their tasks to
            the data present).
        argv: Arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description="Check a paper's claim on hpobench's benchmarks.")
    parser.add_argument("--data-dir", default=None, help=f"benchmark data directory (default: ${ENV_VAR})")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (-1: all cores)")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default: the claim's)")
    parser.add_argument("--out", default=None, help="keep the runs in this study directory")
    args = parser.parse_args(argv)
    try:
        data_dir = resolve_data_dir(args.data_dir)
        claim = make_claim(data_dir)
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
