"""Significance tests over blocks: Friedman with Nemenyi post-hoc, paired Wilcoxon with Holm.

Input everywhere is a *block table*: one row per block (a task, with its seeds averaged, or one
(task, seed) pair), one column per method, values to minimise (regret). Blocks with a missing
value are dropped, since these tests need complete blocks. Conventions follow Demšar (2006),
"Statistical comparisons of classifiers over multiple data sets", JMLR 7.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "FriedmanResult",
    "block_table",
    "cd_cliques",
    "friedman",
    "holm",
    "nemenyi",
    "wilcoxon_holm",
]


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
    """

    statistic: float
    pvalue: float
    average_ranks: pd.Series
    n_blocks: int
    critical_difference: float
    alpha: float


def block_table(
    final: pd.DataFrame, *, column: str = "normalized_regret", blocks: str = "task"
) -> pd.DataFrame:
    """Build a block table from one row per run.

    Args:
        final: Columns benchmark, method, seed and ``column``.
        column: The value compared.
        blocks: ``"task"`` (mean over seeds per task, Demšar's setting) or ``"task-seed"``.

    Returns:
        Blocks x methods, complete blocks only.
    """
    if blocks == "task":
        table = final.pivot_table(index="benchmark", columns="method", values=column, aggfunc="mean")
    elif blocks == "task-seed":
        table = final.pivot_table(index=["benchmark", "seed"], columns="method", values=column)
    else:
        raise ValueError(f"blocks must be 'task' or 'task-seed', got {blocks!r}")
    return table.dropna(axis=0, how="any")


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
    ties = 0.0
    for row in np.sort(data, axis=1):
        _, counts = np.unique(row, return_counts=True)
        ties += float(np.sum(counts**3 - counts))
    correction = 1.0 - ties / (k * (k * k - 1) * n)
    ssbn = float(np.sum(ranks.sum(axis=0) ** 2))
    chi2 = (12.0 / (k * n * (k + 1)) * ssbn - 3 * n * (k + 1)) / correction
    pvalue = float(stats.chi2.sf(chi2, k - 1))
    average = pd.Series(ranks.mean(axis=0), index=table.columns, name="average rank").sort_values()
    q_alpha = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    cd = float(q_alpha * np.sqrt(k * (k + 1) / (6.0 * n)))
    return FriedmanResult(
        statistic=float(chi2),
        pvalue=pvalue,
        average_ranks=average,
        n_blocks=n,
        critical_difference=cd,
        alpha=alpha,
    )


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
        better (the method with the lower median difference, or "" when not significant).
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
            }
        )
    out = pd.DataFrame(rows, columns=["a", "b", "n", "statistic", "pvalue", "median_diff"])
    out["p_holm"] = holm(out["pvalue"].to_numpy()) if len(out) else []
    out["significant"] = out["p_holm"] < alpha
    better = np.where(out["median_diff"] < 0, out["a"], out["b"])
    out["better"] = np.where(out["significant"], better, "")
    return out.drop(columns="median_diff")
