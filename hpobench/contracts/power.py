"""Smallest attainable p-values: whether a rank test can reach its significance level at all.

A rank test on few blocks has a floor under its p-value: the two-sided Wilcoxon signed-rank test on
6 paired differences cannot go below ``2 / 2**6 = 0.031``, so with a Holm correction over 6 pairs
no pair can ever be significant at 0.05, whatever the data. Reporting a "not significant" from such
a test as evidence of "no difference" is a mistake; these functions give the floor, computed with
the *same* test call on the most extreme data that has the observed number of pairs, zeros and ties,
so a test is flagged exactly when no outcome could have rejected.

Used by the report (:mod:`hpobench.results.stats`), ``hpobench regress`` and the statistical
assertions of :mod:`hpobench.testing.assertions`. Imports nothing of the project.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["holm_min_adjusted", "wilcoxon_min_pvalue"]

Alternative = Literal["two-sided", "greater", "less"]


def wilcoxon_min_pvalue(differences: ArrayLike, *, alternative: Alternative = "two-sided") -> float:
    """The smallest p-value ``scipy.stats.wilcoxon(differences, alternative=...)`` could give.

    The signed-rank statistic is most extreme when every non-zero difference has the sign of the
    alternative; the magnitudes (so the ties and zeros, dropped by ``zero_method="wilcox"``) stay
    as observed, and scipy chooses the same method (exact or normal approximation) as for the data.

    Args:
        differences: Paired differences (zeros and infinities allowed, NaN not).
        alternative: As in ``scipy.stats.wilcoxon``; ``"less"`` is most extreme with every
            difference negative, the others with every difference positive.

    Returns:
        The floor of the p-value, in (0, 1]; 1 when no difference is non-zero.

    Raises:
        ValueError: A difference is NaN, or ``alternative`` is unknown.
    """
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    d = np.abs(np.asarray(differences, dtype=float).ravel())
    if np.isnan(d).any():
        raise ValueError("differences must not be NaN (drop incomplete pairs first)")
    if not (d > 0).any():
        return 1.0
    extreme = -d if alternative == "less" else d
    return float(stats.wilcoxon(extreme, alternative=alternative, zero_method="wilcox").pvalue)


def holm_min_adjusted(min_pvalues: ArrayLike) -> np.ndarray:
    """The smallest Holm-adjusted p-value each test of a family could reach.

    Test ``i`` gets its smallest adjusted p-value when it and some other tests are at their own
    floors and ranked before it: with the ``k`` tests of smallest floor ahead, its adjusted value
    is ``max(max_{j<=k} (m - j + 1) p_(j), (m - k) max(p_i, p_(k)))``, minimised over ``k``. With
    equal floors ``p`` (complete blocks, no ties) this is ``m * p``.

    Args:
        min_pvalues: The floor of each test's raw p-value (:func:`wilcoxon_min_pvalue`).

    Returns:
        One floor per test, in input order, capped at 1. A test whose floor is ``>= alpha`` cannot
        be significant at ``alpha`` after the Holm correction, whatever the data.
    """
    p = np.asarray(min_pvalues, dtype=float).ravel()
    m = len(p)
    out = np.ones(m)
    for i in range(m):
        others = np.sort(np.delete(p, i))
        best = np.inf
        ahead_max = 0.0  # max_{j<=k} (m - j + 1) p_(j) over the k tests ahead
        for k in range(m):
            if k:
                ahead_max = max(ahead_max, (m - k + 1) * others[k - 1])
            own = max(p[i], others[k - 1]) if k else p[i]
            best = min(best, max(ahead_max, (m - k) * own))
        out[i] = min(best, 1.0)
    return out
