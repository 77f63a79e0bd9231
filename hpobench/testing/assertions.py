"""Statistical assertions over final regrets: "not worse than the reference", "beats the baseline".

Both work on *score frames*: one row per run with columns ``benchmark``, ``seed``, ``method``
and the compared value (``normalized_regret`` by default; lower is better), as produced by
:func:`hpobench.evaluation.scoring.score_study`, the pytest plugin's ``hpo_results`` fixture or
:func:`hpobench.results.regret.final_regret`. Runs are paired by (task, seed): with the suite's
common random numbers, two methods on the same task and seed see the same benchmark noise, so a
paired test removes most of the between-task variance.

The test is the one-sided Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, zero differences
dropped as in Wilcoxon's original method; a tie is exact equality, which an unchanged method
reproduces), since regret differences are far from normal. A
failed run without any evaluation counts as normalised regret 1 (the task's reference worst).

Example::

    from hpobench.testing.assertions import assert_beats, assert_not_worse

    assert_not_worse(new_scores, reference_scores, alpha=0.01)
    assert_beats("hyperband", "random_search", results=scores)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from hpobench.contracts.power import wilcoxon_min_pvalue

__all__ = ["PairedComparison", "assert_beats", "assert_not_worse", "paired_comparison", "select_method"]

Alternative = Literal["greater", "less"]


@dataclass(frozen=True, kw_only=True)
class PairedComparison:
    """A paired one-sided test of ``candidate - reference`` over (task, seed) pairs.

    Differences are candidate minus reference of a value to minimise, so a positive difference
    means the candidate is worse.

    Attributes:
        candidate: Label of the candidate method.
        reference: Label of the reference method.
        column: The compared value.
        alternative: ``"greater"`` (H1: candidate worse by more than ``margin``) or ``"less"``
            (H1: candidate better by more than ``margin``).
        margin: Margin in the compared unit (see ``alternative``).
        n_pairs: Paired (task, seed) blocks.
        n_worse: Pairs where the candidate is worse (difference > 0).
        n_better: Pairs where the candidate is better.
        n_tied: Pairs with equal values.
        candidate_mean: Mean value of the candidate over the pairs.
        reference_mean: Mean value of the reference over the pairs.
        mean_difference: Mean of candidate - reference.
        median_difference: Median of candidate - reference.
        rank_biserial: Matched-pairs rank-biserial correlation of the shifted differences, in
            [-1, 1]; +1 when every non-tied pair favours the reference.
        statistic: Wilcoxon statistic (sum of ranks of positive differences); NaN when every
            pair is tied.
        pvalue: One-sided p-value (1 when every pair is tied).
        min_pvalue: The smallest p-value the test could give with these pairs (every non-tied
            pair on the side of the alternative; :func:`hpobench.contracts.power.wilcoxon_min_pvalue`):
            when it is not below alpha, "not significant" says nothing.
        per_task: One row per task: n, candidate_mean, reference_mean, mean_difference, worse,
            better, tied.
    """

    candidate: str
    reference: str
    column: str
    alternative: Alternative
    margin: float
    n_pairs: int
    n_worse: int
    n_better: int
    n_tied: int
    candidate_mean: float
    reference_mean: float
    mean_difference: float
    median_difference: float
    rank_biserial: float
    statistic: float
    pvalue: float
    min_pvalue: float
    per_task: pd.DataFrame

    def significant(self, alpha: float) -> bool:
        """Whether the one-sided test rejects at level ``alpha``."""
        return self.pvalue < alpha

    def summary(self) -> str:
        """Multi-line account of the test: effect sizes, p-value and the per-task table."""
        side = "worse" if self.alternative == "greater" else "better"
        margin = f" by more than {self.margin:g}" if self.margin else ""
        lines = [
            f"H1: {self.candidate} is {side} than {self.reference}{margin} on {self.column}; "
            f"one-sided Wilcoxon signed-rank over {self.n_pairs} (task, seed) pairs: "
            f"p = {self.pvalue:.3g}",
            f"effect: mean {self.candidate_mean:.4f} vs {self.reference_mean:.4f} "
            f"(difference {self.mean_difference:+.4f}, median {self.median_difference:+.4f}, "
            f"rank-biserial r = {self.rank_biserial:+.2f}); candidate worse in {self.n_worse}, "
            f"better in {self.n_better}, tied in {self.n_tied} pairs",
            "per task (candidate - reference):",
        ]
        for row in self.per_task.itertuples(index=False):
            lines.append(
                f"  {row.benchmark:<44} n={row.n:<3} {row.candidate_mean:.4f} vs {row.reference_mean:.4f} "
                f"({row.mean_difference:+.4f}; worse {row.worse}, better {row.better}, tied {row.tied})"
            )
        return "\n".join(lines)


def select_method(frame: pd.DataFrame, name: str | None) -> pd.DataFrame:
    """The rows of one method (by label such as ``hyperband(eta=2)`` or registered name).

    Args:
        frame: A score frame.
        name: The method; ``None`` when the frame holds a single method.

    Raises:
        ValueError: No such method, or ``name`` is ``None`` and the frame holds several.
    """
    labels = sorted(frame["method"].astype(str).unique()) if "method" in frame else []
    if name is None:
        if len(labels) > 1:
            raise ValueError(f"the frame holds several methods ({', '.join(labels)}); name the one to use")
        return frame
    mask = frame["method"].astype(str) == name
    if "method_name" in frame and not mask.any():
        mask = frame["method_name"].astype(str) == name
    if not mask.any():
        raise ValueError(f"no runs of method {name!r} (found: {', '.join(labels) or 'none'})")
    chosen = frame[mask]
    if chosen["method"].nunique() > 1:
        found = ", ".join(sorted(chosen["method"].astype(str).unique()))
        raise ValueError(f"{name!r} names several method labels ({found}); use the full label")
    return chosen


def _label(frame: pd.DataFrame) -> str:
    return str(frame["method"].iloc[0]) if "method" in frame and len(frame) else "?"


def _values(frame: pd.DataFrame, column: str, what: str) -> pd.Series:
    for needed in ("benchmark", "seed", column):
        if needed not in frame:
            raise ValueError(f"the {what} frame has no column {needed!r}")
    keyed = frame.set_index(["benchmark", "seed"])[column].astype(float)
    if keyed.index.has_duplicates:
        raise ValueError(f"the {what} frame has several rows for one (task, seed); select one method")
    return keyed.fillna(1.0)


def paired_comparison(
    candidate: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    alternative: Alternative = "greater",
    margin: float = 0.0,
    column: str = "normalized_regret",
) -> PairedComparison:
    """Pair two methods' scores by (task, seed) and run a one-sided Wilcoxon signed-rank test.

    Args:
        candidate: Score frame of one method.
        reference: Score frame of the method it is compared with.
        alternative: ``"greater"``: H1 is ``candidate - reference > margin`` (candidate worse);
            ``"less"``: H1 is ``candidate - reference < -margin`` (candidate better).
        margin: Non-negative margin in the unit of ``column``.
        column: The compared value (lower is better).

    Raises:
        ValueError: Missing columns, several rows per (task, seed), different budgets, no
            common (task, seed) pair, or a bad ``alternative``/``margin``.
    """
    if alternative not in ("greater", "less"):
        raise ValueError(f"alternative must be 'greater' or 'less', got {alternative!r}")
    if not (math.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be finite and non-negative, got {margin!r}")
    if "budget" in candidate and "budget" in reference:
        budgets = {str(b) for b in candidate["budget"]}, {str(b) for b in reference["budget"]}
        if budgets[0] != budgets[1]:
            raise ValueError(
                f"budgets differ: candidate {sorted(budgets[0])}, reference {sorted(budgets[1])}; "
                "runs at different budgets cannot be paired"
            )
    cand = _values(candidate, column, "candidate")
    ref = _values(reference, column, "reference")
    common = cand.index.intersection(ref.index).sort_values()
    if len(common) == 0:
        raise ValueError("the candidate and reference frames share no (task, seed) pair")
    a, b = cand.reindex(common).to_numpy(), ref.reindex(common).to_numpy()
    diff = a - b
    shifted = diff - margin if alternative == "greater" else diff + margin
    nonzero = shifted[shifted != 0]
    if len(nonzero) == 0:
        statistic, pvalue, r = math.nan, 1.0, 0.0
    else:
        test = stats.wilcoxon(nonzero, alternative=alternative, zero_method="wilcox")
        statistic, pvalue = float(test.statistic), float(test.pvalue)
        ranks = stats.rankdata(np.abs(nonzero))
        r = float((ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()) / ranks.sum())
    tasks = common.get_level_values("benchmark")
    per = pd.DataFrame({"benchmark": tasks, "a": a, "b": b, "d": diff})
    per_task = per.groupby("benchmark", sort=True, observed=True).agg(
        n=("d", "size"),
        candidate_mean=("a", "mean"),
        reference_mean=("b", "mean"),
        mean_difference=("d", "mean"),
        worse=("d", lambda d: int((d > 0).sum())),
        better=("d", lambda d: int((d < 0).sum())),
        tied=("d", lambda d: int((d == 0).sum())),
    )
    d = per["d"].to_numpy()
    return PairedComparison(
        candidate=_label(candidate),
        reference=_label(reference),
        column=column,
        alternative=alternative,
        margin=float(margin),
        n_pairs=len(common),
        n_worse=int((d > 0).sum()),
        n_better=int((d < 0).sum()),
        n_tied=int((d == 0).sum()),
        candidate_mean=float(a.mean()),
        reference_mean=float(b.mean()),
        mean_difference=float(diff.mean()),
        median_difference=float(np.median(diff)),
        rank_biserial=r,
        statistic=statistic,
        pvalue=pvalue,
        min_pvalue=wilcoxon_min_pvalue(nonzero, alternative=alternative),
        per_task=per_task.reset_index(),
    )


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


def _failed_runs(frame: pd.DataFrame) -> list[str]:
    if "status" not in frame:
        return []
    bad = frame[frame["status"].astype(str) != "ok"]
    return [f"{r.benchmark} seed {r.seed}: {getattr(r, 'error', '')}" for r in bad.itertuples(index=False)]


def assert_not_worse(
    results: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    alpha: float = 0.05,
    margin: float = 0.0,
    method: str | None = None,
    column: str = "normalized_regret",
) -> PairedComparison:
    """Assert that ``results`` are not significantly worse than ``reference``.

    Fails when the one-sided paired Wilcoxon test of "candidate worse by more than ``margin``"
    rejects at level ``alpha``, or when a candidate run failed. The message gives the p-value,
    the effect size (mean and median difference, rank-biserial correlation, win/loss counts) and
    a per-task table.

    Args:
        results: Score frame of the candidate (one method, or name it with ``method``).
        reference: Score frame of the reference method (one method).
        alpha: Significance level.
        margin: Tolerated worsening in the unit of ``column`` (0: any significant worsening fails).
        method: The candidate's label or name when ``results`` holds several methods.
        column: The compared value (lower is better).

    Returns:
        The comparison, for further checks.

    Raises:
        AssertionError: A significant regression, or failed candidate runs.
        ValueError: Frames that cannot be paired (see :func:`paired_comparison`).
    """
    _check_alpha(alpha)
    candidate = select_method(results, method)
    failed = _failed_runs(candidate)
    if failed:
        shown = "\n  ".join(failed[:10])
        raise AssertionError(f"{len(failed)} run(s) of {_label(candidate)} failed:\n  {shown}")
    comparison = paired_comparison(
        candidate, select_method(reference, None), alternative="greater", margin=margin, column=column
    )
    if comparison.significant(alpha):
        raise AssertionError(
            f"{comparison.candidate} is significantly worse than {comparison.reference} "
            f"(p = {comparison.pvalue:.3g} < alpha = {alpha:g}, "
            f"mean difference {comparison.mean_difference:+.4f})\n{comparison.summary()}"
        )
    return comparison


def assert_beats(
    method: pd.DataFrame | str,
    baseline: pd.DataFrame | str,
    *,
    results: pd.DataFrame | None = None,
    alpha: float = 0.05,
    margin: float = 0.0,
    column: str = "normalized_regret",
) -> PairedComparison:
    """Assert that ``method`` is significantly better than ``baseline``.

    Passes when the one-sided paired Wilcoxon test of "method better by more than ``margin``"
    rejects at level ``alpha``; otherwise the message gives the p-value, effect sizes and a
    per-task table.

    Args:
        method: Score frame of the method, or its label/name in ``results``.
        baseline: Score frame of the baseline, or its label/name in ``results``.
        results: Score frame holding both methods, when they are given by name.
        alpha: Significance level.
        margin: Required improvement in the unit of ``column``.
        column: The compared value (lower is better).

    Returns:
        The comparison.

    Raises:
        AssertionError: The improvement is not significant.
        ValueError: A name without ``results``, or frames that cannot be paired.
    """
    _check_alpha(alpha)

    def resolve(x: pd.DataFrame | str) -> pd.DataFrame:
        if isinstance(x, str):
            if results is None:
                raise ValueError(f"method {x!r} given by name: pass results=<score frame>")
            return select_method(results, x)
        return select_method(x, None)

    comparison = paired_comparison(
        resolve(method), resolve(baseline), alternative="less", margin=margin, column=column
    )
    if not comparison.significant(alpha):
        raise AssertionError(
            f"{comparison.candidate} does not significantly beat {comparison.reference} "
            f"(p = {comparison.pvalue:.3g} >= alpha = {alpha:g}, "
            f"mean difference {comparison.mean_difference:+.4f})\n{comparison.summary()}"
        )
    return comparison
