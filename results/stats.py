"""Significance tests over blocks: Friedman with Nemenyi post-hoc, paired Wilcoxon with Holm.

Input everywhere is a *block table*: one row per block, one column per method, values to minimise
(regret). A block is defined once, by :class:`Blocks`, and the report uses that one definition for
the rank row of its final table, the critical-difference diagram and the pairwise tests:

* :attr:`Blocks.TASK_SEED` (the default): one (task, seed) pair. Seeds are paired by design (the
  same seed gives every method the same initial design and benchmark noise on a task), so these are
  matched blocks; the tests then generalise over (task, seed) instances of the suite.
* :attr:`Blocks.TASK`: one task, each method's value averaged over its seeds (Demšar's setting);
  the tests generalise over tasks, but with few tasks they have no power: see :mod:`hpobench.contracts.power`.

Blocks with a missing value are dropped, since these tests need complete blocks. Every test
carries its smallest attainable p-value (given the blocks, the ties and the correction), so a test
that could not have rejected is flagged instead of read as "no difference". Conventions follow
Demšar (2006), "Statistical comparisons of classifiers over multiple data sets", JMLR 7.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd
from scipy import stats

from hpobench.contracts.power import holm_min_adjusted, wilcoxon_min_pvalue

__all__ = [
    "Blocks",
    "FriedmanResult",
    "as_blocks",
    "block_table",
    "cd_cliques",
    "friedman",
    "holm",
    "nemenyi",
    "wilcoxon_holm",
]


class Blocks(str, Enum):
    """What one block of the rank statistics is (the rows of a block table)."""

    TASK_SEED = "task-seed"
    """One (task, seed) pair: the runs of every method on that task with that seed."""
    TASK = "task"
    """One task: each method's value averaged over its seeds on that task."""

    @property
    def label(self) -> str:
        """A short name for captions: ``(task, seed) blocks`` or ``task blocks (seeds averaged)``."""
        return "(task, seed) blocks" if self is Blocks.TASK_SEED else "task blocks (seeds averaged)"

    @property
    def description(self) -> str:
        """One sentence for reports: what a block is and what the tests generalise over."""
        if self is Blocks.TASK_SEED:
            return (
                "one block per (task, seed) pair (seeds are paired by design: the methods share the "
                "initial design and benchmark noise)"
            )
        return "one block per task (each method's final regret averaged over its seeds)"


@dataclass(frozen=True, kw_only=True)
class FriedmanResult:
    """Friedman test and Nemenyi critical difference.

    Attributes:
        statistic: Friedman chi-square statistic (tie-corrected, as ``scipy.stats.friedmanchisquare``).
        pvalue: Its chi-square p-value (k - 1 degrees of freedom).
        average_ranks: Average rank of each method over blocks (1 = best), ascending.
        n_blocks: Number of complete blocks used.
        critical_difference: Nemenyi critical difference of average ranks at ``alpha``.
        alpha: Significance level of the critical difference.
        min_pvalue: Smallest p-value the Friedman test could give on these blocks (every block
            ranking the methods in the same order, with the observed ties).
        max_rank_difference: Largest average-rank difference two methods could have on these
            blocks (one always best, the other always worst, with the observed ties); when it
            does not exceed ``critical_difference``, no pair can be told apart by Nemenyi.
    """

    statistic: float
    pvalue: float
    average_ranks: pd.Series
    n_blocks: int
    critical_difference: float
    alpha: float
    min_pvalue: float
    max_rank_difference: float

    @property
    def can_reach_alpha(self) -> bool:
        """Whether the Friedman test could reject at ``alpha`` on this many blocks."""
        return self.min_pvalue < self.alpha

    @property
    def can_separate(self) -> bool:
        """Whether some outcome on these blocks would put two methods more than the CD apart."""
        return self.max_rank_difference > self.critical_difference

    @property
    def min_nemenyi_pvalue(self) -> float:
        """Smallest Nemenyi p-value a pair could get on these blocks (at the largest rank difference)."""
        k, n = len(self.average_ranks), self.n_blocks
        q = self.max_rank_difference * np.sqrt(2) / np.sqrt(k * (k + 1) / (6.0 * n))
        return float(np.clip(stats.studentized_range.sf(q, k, np.inf), 0.0, 1.0))


def as_blocks(blocks: Blocks | str) -> Blocks:
    """``blocks`` as a :class:`Blocks` member (accepts the values ``"task-seed"`` and ``"task"``).

    Raises:
        ValueError: Any other value.
    """
    try:
        return Blocks(blocks)
    except ValueError:
        choices = ", ".join(repr(b.value) for b in Blocks)
        raise ValueError(f"blocks must be one of {choices}, got {blocks!r}") from None


def block_table(
    final: pd.DataFrame,
    *,
    column: str = "normalized_regret",
    blocks: Blocks | str = Blocks.TASK_SEED,
    complete: bool = True,
) -> pd.DataFrame:
    """Build a block table from one row per run.

    Args:
        final: Columns benchmark, method, seed and ``column``.
        column: The value compared.
        blocks: The block definition (:class:`Blocks`): (task, seed) pairs by default, or tasks
            with each method's seeds averaged.
        complete: Keep only blocks where every method has a value (what the tests need); with
            ``False``, a block keeps the methods it has (for average ranks, NaN elsewhere).

    Returns:
        Blocks x methods, sorted by block.

    Raises:
        ValueError: An unknown ``blocks``.
    """
    if as_blocks(blocks) is Blocks.TASK:
        table = final.pivot_table(
            index="benchmark", columns="method", values=column, aggfunc="mean", observed=True
        )
    else:
        table = final.pivot_table(index=["benchmark", "seed"], columns="method", values=column, observed=True)
    return table.dropna(axis=0, how="any") if complete else table


def friedman(table: pd.DataFrame, *, alpha: float = 0.05) -> FriedmanResult:
    """Friedman rank test over the rows of ``table``, with the Nemenyi critical difference.

    The statistic is computed as in ``scipy.stats.friedmanchisquare`` (ranks within blocks, ties
    averaged, tie correction), so both agree on the same table.

    Raises:
        ValueError: Fewer than 2 complete blocks or fewer than 3 methods (the test is undefined).
    """
    table = table.dropna(axis=0, how="any")
    n, k = table.shape
    if k < 3 or n < 2:
        raise ValueError(f"the Friedman test needs >= 3 methods and >= 2 complete blocks, got {k} and {n}")
    data = table.to_numpy(dtype=float)
    ranks = stats.rankdata(data, axis=1, method="average")
    chi2 = _friedman_chi2(data, ranks)
    # the most extreme outcome with the observed ties: every block orders the methods alike
    aligned = np.sort(data, axis=1)
    aligned_ranks = stats.rankdata(aligned, axis=1, method="average")
    extreme = _friedman_chi2(aligned, aligned_ranks)
    average = pd.Series(ranks.mean(axis=0), index=table.columns, name="average rank").sort_values()
    q_alpha = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    cd = float(q_alpha * np.sqrt(k * (k + 1) / (6.0 * n)))
    return FriedmanResult(
        statistic=chi2,
        pvalue=float(stats.chi2.sf(chi2, k - 1)),
        average_ranks=average,
        n_blocks=n,
        critical_difference=cd,
        alpha=alpha,
        min_pvalue=float(stats.chi2.sf(extreme, k - 1)) if np.isfinite(extreme) else 1.0,
        max_rank_difference=float(np.mean(aligned_ranks[:, -1] - aligned_ranks[:, 0])),
    )


def _friedman_chi2(data: np.ndarray, ranks: np.ndarray) -> float:
    """Tie-corrected Friedman chi-square of a blocks x methods array and its within-block ranks.

    NaN when every block is one tie (the statistic is undefined, as in scipy).
    """
    n, k = data.shape
    ties = 0.0
    for row in np.sort(data, axis=1):
        _, counts = np.unique(row, return_counts=True)
        ties += float(np.sum(counts**3 - counts))
    correction = 1.0 - ties / (k * (k * k - 1) * n)
    ssbn = float(np.sum(ranks.sum(axis=0) ** 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((12.0 / (k * n * (k + 1)) * ssbn - 3 * n * (k + 1)) / correction)


def nemenyi(result: FriedmanResult) -> pd.DataFrame:
    """Pairwise Nemenyi p-values from the average ranks of a Friedman test.

    ``p = P(Q > |R_i - R_j| * sqrt(2) / sqrt(k (k + 1) / (6 N)))`` with ``Q`` the studentized range
    of ``k`` means and infinite degrees of freedom; ``p < alpha`` exactly when the rank difference
    exceeds the critical difference.

    Returns:
        Symmetric methods x methods frame of p-values (1 on the diagonal).
    """
    r = result.average_ranks
    k, n = len(r), result.n_blocks
    se = np.sqrt(k * (k + 1) / (6.0 * n))
    diff = np.abs(r.to_numpy()[:, None] - r.to_numpy()[None, :])
    p = stats.studentized_range.sf(diff * np.sqrt(2) / se, k, np.inf)
    p = np.where(diff == 0, 1.0, np.clip(p, 0.0, 1.0))
    return pd.DataFrame(p, index=r.index, columns=r.index)


def cd_cliques(result: FriedmanResult) -> list[tuple[str, ...]]:
    """Maximal groups of methods, consecutive in rank, whose rank range is within the CD.

    These are the bars of a critical-difference diagram (no significant difference inside).
    """
    names = list(result.average_ranks.index)
    r = result.average_ranks.to_numpy()
    groups: list[tuple[int, int]] = []
    for i in range(len(r)):
        j = i
        while j + 1 < len(r) and r[j + 1] - r[i] <= result.critical_difference:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in groups):
            groups.append((i, j))
    return [tuple(names[a : b + 1]) for a, b in groups]


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1), in input order."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def wilcoxon_holm(table: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Paired two-sided Wilcoxon signed-rank test for every pair of methods, Holm-corrected.

    Each pair uses ``scipy.stats.wilcoxon`` on the blocks where both have a value (zero
    differences handled by scipy's default ``zero_method="wilcox"``).

    Returns:
        One row per pair: a, b, n, statistic, pvalue, p_holm, significant (``p_holm < alpha``),
        better (the method with the lower median difference, or "" when not significant),
        min_p (the smallest p-value the pair's test could give: every non-zero difference of one
        sign, :func:`hpobench.contracts.power.wilcoxon_min_pvalue`), min_p_holm (the smallest Holm-adjusted
        p-value it could reach in this family, :func:`hpobench.contracts.power.holm_min_adjusted`) and
        can_reach_alpha (``min_p_holm < alpha``; ``False`` means no data on these blocks could
        have made the pair significant, so "not significant" says nothing).
    """
    rows = []
    for a, b in itertools.combinations(table.columns, 2):
        pair = table[[a, b]].dropna()
        d = pair[a].to_numpy(dtype=float) - pair[b].to_numpy(dtype=float)
        if len(pair) == 0 or np.all(d == 0):
            stat, p = np.nan, 1.0
        else:
            res = stats.wilcoxon(pair[a], pair[b])
            stat, p = float(res.statistic), float(res.pvalue)
        rows.append(
            {
                "a": a,
                "b": b,
                "n": len(pair),
                "statistic": stat,
                "pvalue": p,
                "median_diff": np.median(d) if len(d) else 0.0,
                "min_p": wilcoxon_min_pvalue(d),
            }
        )
    out = pd.DataFrame(rows, columns=["a", "b", "n", "statistic", "pvalue", "median_diff", "min_p"])
    out["p_holm"] = holm(out["pvalue"].to_numpy()) if len(out) else []
    out["significant"] = out["p_holm"] < alpha
    better = np.where(out["median_diff"] < 0, out["a"], out["b"])
    out["better"] = np.where(out["significant"], better, "")
    out["min_p_holm"] = holm_min_adjusted(out["min_p"].to_numpy()) if len(out) else []
    out["can_reach_alpha"] = out["min_p_holm"] < alpha
    columns = ["a", "b", "n", "statistic", "pvalue", "p_holm", "significant", "better"]
    return out[[*columns, "min_p", "min_p_holm", "can_reach_alpha"]]
