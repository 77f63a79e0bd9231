"""Regression tests of HPO methods against stored reference runs (``hpobench regress``).

The reference store (:mod:`hpobench.evaluation.reference`; shipped as ``hpobench/results/reference/``)
holds the final normalised regret of every shipped method on a small fixed suite
(:mod:`hpobench.evaluation.suites`), :data:`~hpobench.evaluation.suites.REFERENCE_SEEDS` x
:data:`~hpobench.evaluation.suites.REFERENCE_BUDGET`, with its provenance.

:func:`regress` runs a method (a shipped one, a new version of it, or any third-party plugin) on
the same tasks, seeds and budget, pairs its runs with the reference runs of the shipped method of
the same name (or another, ``against=``) by (task, seed), and tests "the candidate is worse" with
a one-sided Wilcoxon signed-rank test (:func:`hpobench.testing.assertions.paired_comparison`).
Since seeds are derived from the run seed and the task (common random numbers), an unchanged
method reproduces its reference exactly and every pair ties.

Regenerate the store with ``hpobench regress --update-reference`` (all shipped methods) or
``hpobench regress --update-reference NAME ...`` (some, keeping the others' rows).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import HpobenchError
from hpobench.data.registry import load_method
from hpobench.evaluation.reference import ReferenceStore, default_reference_dir
from hpobench.evaluation.scoring import run_scored
from hpobench.evaluation.suites import Suite, _check_data, _suite
from hpobench.execution.planning import plan_study
from hpobench.execution.store import readable_records
from hpobench.testing.assertions import PairedComparison, paired_comparison

__all__ = ["RegressionResult", "align_reference", "environment_notes", "format_result", "regress"]


def align_reference(reference: pd.DataFrame, candidate: pd.DataFrame) -> pd.DataFrame:
    """Re-normalise stored runs with the task references of the candidate's runs.

    Stored raw regrets stay comparable as long as a task's optimum is unchanged; the normalising
    range (``worst``) may follow a newer definition, so the stored ``normalized_regret`` is
    recomputed as ``regret / |worst - best|`` with the candidate's ``ref_best``/``ref_worst``.
    Tasks the candidate did not run are dropped.

    Raises:
        HpobenchError: A task's optimum differs from the stored one (regenerate the reference).
    """
    current = candidate.groupby("benchmark", sort=True, observed=True)[["ref_best", "ref_worst"]].first()
    rows = reference[reference["benchmark"].isin(current.index)].copy()
    best = current["ref_best"].reindex(rows["benchmark"]).to_numpy(dtype=float)
    worst = current["ref_worst"].reindex(rows["benchmark"]).to_numpy(dtype=float)
    stored = rows["ref_best"].to_numpy(dtype=float)
    moved = ~np.isclose(stored, best, rtol=1e-9, atol=0.0)
    if moved.any():
        i = int(np.flatnonzero(moved)[0])
        raise HpobenchError(
            f"the reference optimum of {rows['benchmark'].iloc[i]} changed since the reference runs were "
            f"stored ({stored[i]!r}, now {best[i]!r}); regenerate them with --update-reference"
        )
    scale = np.abs(worst - best)
    regret = rows["regret"].to_numpy(dtype=float)
    rows["normalized_regret"] = np.where(scale > 0, regret / np.where(scale > 0, scale, 1.0), np.nan)
    rows["ref_worst"] = worst
    return rows.reset_index(drop=True)


@dataclass(frozen=True, kw_only=True)
class RegressionResult:
    """Outcome of :func:`regress`.

    Attributes:
        method: The candidate's label.
        against: The reference method.
        suite: Suite name.
        alpha: Significance level.
        comparison: The paired test over (task, seed).
        task_tests: The same one-sided test on each task alone (over its seeds), uncorrected and
            descriptive (the verdict is ``comparison``): columns benchmark, n, statistic, pvalue,
            min_pvalue (the smallest p-value attainable with that task's pairs).
        failed: ``(run_id, error)`` of failed candidate runs.
        skipped: Tasks of the suite left out, with the reason.
        hv_tasks: Tasks scored by hypervolume regret (multi-objective), not normalised regret.
        environment: One note when the candidate's runs were made with other package or Python
            versions than the stored reference's record names (:func:`environment_notes`).
    """

    method: str
    against: str
    suite: str
    alpha: float
    comparison: PairedComparison
    task_tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    failed: tuple[tuple[str, str], ...] = ()
    skipped: tuple[str, ...] = field(default=())
    hv_tasks: tuple[str, ...] = field(default=())
    environment: tuple[str, ...] = field(default=())

    @property
    def regression(self) -> bool:
        """Whether the candidate is significantly worse, or some of its runs failed."""
        return bool(self.failed) or self.comparison.significant(self.alpha)


def regress(
    method: str,
    *,
    against: str | None = None,
    suite: str | Suite = "default",
    seeds: Sequence[int] | None = None,
    alpha: float = 0.05,
    margin: float = 0.0,
    method_kwargs: Mapping[str, Any] | None = None,
    store: ReferenceStore | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    jobs: int = 1,
    out: str | os.PathLike[str] | None = None,
) -> RegressionResult:
    """Run ``method`` on a suite and test it against the stored reference runs.

    Args:
        method: Registered method name (shipped or third-party).
        against: Stored reference method to compare with (default: ``method``).
        suite: Suite name (:data:`SUITES`), or a :class:`Suite` of one's own (e.g. of
            multi-objective tasks, scored by hypervolume regret).
        seeds: Seeds, a subset of the stored ones (default: all stored).
        alpha: Significance level of the one-sided test.
        margin: Tolerated worsening of the normalised regret.
        method_kwargs: Keyword arguments of the candidate's constructor.
        store: The reference store (default: the packaged one).
        data_dir: Benchmark data directory.
        jobs: Worker processes.
        out: Study directory to keep (and resume) the candidate's runs; a temporary one if ``None``.

    Raises:
        HpobenchError: Unknown method/suite, no stored reference, seeds outside the stored ones.
        DataError: A task needs the data directory and none is given.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    store = store or ReferenceStore(default_reference_dir())
    against = against or method
    load_method(method)
    chosen = _suite(suite)
    reference = store.select(against, benchmarks=chosen.benchmarks)
    stored_seeds = sorted(int(s) for s in reference["seed"].unique())
    seeds = list(seeds) if seeds is not None else stored_seeds
    missing = sorted(set(seeds) - set(stored_seeds))
    if missing:
        raise HpobenchError(f"no reference runs for seed(s) {missing}; stored seeds: {stored_seeds}")
    budgets = sorted(reference["budget"].astype(str).unique())
    if len(budgets) != 1:
        raise HpobenchError(f"reference runs of {against!r} mix budgets {budgets}")
    present = set(reference["benchmark"].astype(str))
    skipped = [f"{b}: no reference run of {against}" for b in chosen.benchmarks if b not in present]
    specs = [BenchmarkSpec.parse(b) for b in chosen.benchmarks if b in present]
    _check_data(specs, data_dir, chosen.name)
    kwargs = {method: dict(method_kwargs)} if method_kwargs else None
    plan = plan_study(
        benchmarks=specs, methods=[method], seeds=seeds, budget=Budget.parse(budgets[0]), method_kwargs=kwargs
    )
    skipped += [f"{s.benchmark}: {s.reason}" for s in plan.skipped]
    if not plan.runs:
        raise HpobenchError(
            f"{method} cannot run on any task of suite {chosen.name!r}: " + "; ".join(skipped)
        )
    with tempfile.TemporaryDirectory(prefix="hpobench-regress-") as tmp:
        data = None if data_dir is None else Path(data_dir)
        scored = run_scored(plan, out=Path(out or tmp), jobs=jobs, data_dir=data)
        made_with = _run_versions(Path(out or tmp), [r.run_id for r in plan.runs])
    ran = scored.scores
    ref = align_reference(reference[reference["seed"].isin(seeds)], ran)
    comparison = paired_comparison(ran, ref, alternative="greater", margin=margin)
    return RegressionResult(
        method=plan.runs[0].label,
        against=against,
        suite=chosen.name,
        alpha=alpha,
        comparison=comparison,
        task_tests=task_tests(ran, ref, margin=margin),
        failed=scored.summary.failed,
        skipped=tuple(skipped),
        hv_tasks=tuple(sorted(set(ran.loc[ran["metric"] == "hv_regret", "benchmark"].astype(str)))),
        environment=environment_notes(
            (store.record().get("methods") or {}).get(against, {}).get("versions"), made_with, against=against
        ),
    )


def _run_versions(out: Path, run_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The versions record of each of ``run_ids`` in the study ``out`` whose record reads."""
    records = (record.get("versions") for _, record in readable_records(out, run_ids))
    return [versions for versions in records if isinstance(versions, dict)]


def environment_notes(
    reference: Mapping[str, Any] | None, candidates: Sequence[Mapping[str, Any]], *, against: str
) -> tuple[str, ...]:
    """One note naming each version the candidate's runs differ on from the stored reference's record.

    Python and the packages a run records (:mod:`hpobench.execution.runner`) are compared where
    the reference names them; the platform text is not (it holds the kernel's build, which
    differs between machines of one kind). A method that uses BLAS, torch or onnxruntime can give
    other last bits under other versions, so a verdict may then reflect them as well as the method.

    Args:
        reference: The stored reference's versions record of the method compared with (``None``
            where it has none).
        candidates: The versions record of each candidate run.
        against: The reference method's name.
    """
    if not isinstance(reference, Mapping) or not candidates:
        return ()
    changes = []
    for key in sorted(set(reference) - {"platform"}, key=str.lower):
        theirs = sorted({str(c.get(key, "unrecorded")) for c in candidates})
        if theirs != [str(reference[key])]:
            changes.append(f"{key} {reference[key]} -> {', '.join(theirs)}")
    if not changes:
        return ()
    return (
        f"the stored reference of {against} was made with other versions than these runs: "
        f"{'; '.join(changes)}; a method that uses BLAS, torch or onnxruntime can give other "
        "results under other versions, so the verdict may reflect them as well as the method",
    )


def task_tests(candidate: pd.DataFrame, reference: pd.DataFrame, *, margin: float = 0.0) -> pd.DataFrame:
    """The one-sided paired test of "candidate worse" on each task alone, over its seeds.

    Args:
        candidate: Score frame of the candidate (one method).
        reference: Score frame of the reference method.
        margin: Tolerated worsening, as in :func:`hpobench.testing.assertions.paired_comparison`.

    Returns:
        One row per task the two frames share, sorted: benchmark, n, statistic, pvalue,
        min_pvalue. The p-values are not corrected for the number of tasks.
    """
    rows = []
    shared = sorted(set(candidate["benchmark"].astype(str)) & set(reference["benchmark"].astype(str)))
    for bench in shared:
        c = paired_comparison(
            candidate[candidate["benchmark"].astype(str) == bench],
            reference[reference["benchmark"].astype(str) == bench],
            alternative="greater",
            margin=margin,
        )
        rows.append(
            {
                "benchmark": bench,
                "n": c.n_pairs,
                "statistic": c.statistic,
                "pvalue": c.pvalue,
                "min_pvalue": c.min_pvalue,
            }
        )
    return pd.DataFrame(rows, columns=["benchmark", "n", "statistic", "pvalue", "min_pvalue"])


def _metric(result: RegressionResult) -> str:
    """What the scores of ``result`` are."""
    if not result.hv_tasks:
        return "final normalised regret"
    shared = set(result.comparison.per_task["benchmark"].astype(str))
    if shared <= set(result.hv_tasks):
        return "final hypervolume regret"
    return "final normalised regret; hypervolume regret on " + ", ".join(result.hv_tasks)


def format_result(result: RegressionResult) -> str:
    """The table ``hpobench regress`` prints: per task (with its own p-value), then the test and the verdict.

    The per-task p-values are the one-sided test on that task's seeds alone, uncorrected; ``min p``
    is the smallest p-value that test could give, marked ``!`` when it cannot reach alpha.
    """
    c = result.comparison
    t = result.task_tests
    names = t["benchmark"].astype(str).tolist() if len(t) else []
    floors = dict(zip(names, t["min_pvalue"].astype(float).tolist() if len(t) else [], strict=True))
    task_p = dict(zip(names, t["pvalue"].astype(float).tolist() if len(t) else [], strict=True))

    def pvalues(p: float, floor: float, *, all_tied: bool) -> str:
        if math.isnan(p):
            return f"{'-':>8} {'-':>9}"
        mark = "!" if floor >= result.alpha and not all_tied else " "
        return f"{p:>8.3g} {floor:>8.3g}{mark}"

    lines = [
        f"regress {result.method} against the stored reference of {result.against} "
        f"(suite {result.suite}, {c.n_pairs} task x seed pairs, {_metric(result)}, lower is better)",
        f"{'task':<62} {'n':>3} {'reference':>10} {'candidate':>10} {'diff':>9} {'worse':>6} "
        f"{'better':>6} {'tied':>5} {'p':>8} {'min p':>9}",
    ]
    all_tied = (c.per_task["tied"] == c.per_task["n"]).tolist()
    for row, tied in zip(c.per_task.itertuples(index=False), all_tied, strict=True):
        bench = str(row.benchmark)
        p, floor = task_p.get(bench, math.nan), floors.get(bench, math.nan)
        lines.append(
            f"{bench:<62} {row.n:>3} {row.reference_mean:>10.4f} {row.candidate_mean:>10.4f} "
            f"{row.mean_difference:>+9.4f} {row.worse:>6} {row.better:>6} {row.tied:>5} "
            f"{pvalues(p, floor, all_tied=bool(tied))}"
        )
    lines.append(
        f"{'all':<62} {c.n_pairs:>3} {c.reference_mean:>10.4f} {c.candidate_mean:>10.4f} "
        f"{c.mean_difference:>+9.4f} {c.n_worse:>6} {c.n_better:>6} {c.n_tied:>5} "
        f"{pvalues(c.pvalue, c.min_pvalue, all_tied=c.n_tied == c.n_pairs)}"
    )
    statistic = "-" if math.isnan(c.statistic) else f"{c.statistic:g}"
    margin = f", margin {c.margin:g}" if c.margin else ""
    lines.append(
        "p: one-sided Wilcoxon signed-rank of H1 'candidate worse' on the task's seeds (uncorrected, "
        "descriptive; the verdict is the test over all pairs); min p: the smallest p-value attainable "
        "with those pairs' ties ('!': a task with differences whose test cannot reach alpha)"
    )
    lines.append(
        f"one-sided Wilcoxon signed-rank (H1: candidate worse{margin}): W+ = {statistic}, "
        f"p = {c.pvalue:.3g}, alpha = {result.alpha:g}; median difference {c.median_difference:+.4f}, "
        f"rank-biserial r = {c.rank_biserial:+.2f}; smallest attainable p = {c.min_pvalue:.3g}"
    )
    lines.extend(f"skipped {s}" for s in result.skipped)
    lines.extend(f"note: {n}" for n in result.environment)
    lines.extend(f"FAILED {run_id}: {error}" for run_id, error in result.failed)
    if result.failed:
        lines.append(f"REGRESSION: {len(result.failed)} run(s) of {result.method} failed")
    elif result.regression:
        lines.append(f"REGRESSION: {result.method} is significantly worse than {result.against}")
    else:
        lines.append(f"ok: no significant regression of {result.method} against {result.against}")
    return "\n".join(lines)
