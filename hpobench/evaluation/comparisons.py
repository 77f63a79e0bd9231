"""Paired comparisons of a claim: superiority, non-inferiority and equivalence (TOST).

A :class:`Comparison` says what ``method`` must achieve against ``baseline`` on a score frame
(one row per run, lower is better); :func:`evaluate_comparison` tests it with the one-sided
paired Wilcoxon signed-rank test of :mod:`hpobench.testing.assertions` over (task, seed):

* ``BEATS``: the test of "method better than baseline (by more than ``margin``)" rejects.
* ``NOT_WORSE``: non-inferiority within the comparison's stated ``margin``: the test of
  H0 ``difference >= margin`` against H1 ``difference < margin`` (the upper half of the two
  one-sided tests, TOST) rejects. A difference that is merely not significant does not make a
  method "not worse": with few pairs or a large spread nothing is significant.
* ``EQUIVALENT``: both halves of TOST reject (``-margin < difference < margin``).

Differences are method minus baseline, per (task, seed). Used by :mod:`hpobench.evaluation.claims`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import pandas as pd

from hpobench.testing.assertions import PairedComparison, paired_comparison, select_method

__all__ = ["Comparison", "ComparisonTest", "Relation", "evaluate_comparison"]


class Relation(Enum):
    """What a comparison asserts about ``method`` relative to ``baseline``."""

    BEATS = "beats"
    """Significantly lower value (the one-sided test of "better by more than margin" rejects)."""
    NOT_WORSE = "not worse than"
    """Non-inferior within ``margin``: the test of H0 ``difference >= margin`` rejects."""
    EQUIVALENT = "equivalent to"
    """Equivalent within ``margin``: both one-sided tests of TOST reject."""


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """One paired comparison of a claim.

    Attributes:
        method: The method the claim is about.
        relation: What it must achieve.
        baseline: The method it is compared with.
        margin: In the unit of the compared value. ``BEATS``: the method must be better by more
            than this (default 0). ``NOT_WORSE`` and ``EQUIVALENT``: the equivalence margin, which
            the claim must state (> 0): differences within it count as "no worse".

    Raises:
        ValueError: A negative or non-finite margin, or a ``NOT_WORSE``/``EQUIVALENT``
            comparison without a positive margin.
    """

    method: str
    relation: Relation
    baseline: str
    margin: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.margin) and self.margin >= 0):
            raise ValueError(f"margin must be finite and non-negative, got {self.margin!r}")
        if self.relation is not Relation.BEATS and self.margin <= 0:
            raise ValueError(
                f"'{self}' needs a stated equivalence margin > 0: without one, 'not worse' could only "
                "mean 'no significant difference', which is not evidence of being no worse"
            )

    def __str__(self) -> str:
        margin = f" (margin {self.margin:g})" if self.margin else ""
        return f"{self.method} {self.relation.value} {self.baseline}{margin}"


@dataclass(frozen=True, kw_only=True)
class ComparisonTest:
    """The outcome of one comparison (:func:`evaluate_comparison`).

    Attributes:
        comparison: The comparison.
        effect: The paired one-sided test of "method better than baseline" without margin: its
            means, differences and better/worse/tied counts describe the effect.
        pvalue: The p-value the decision rests on: the test of "better by more than margin"
            (``BEATS``), of H0 ``difference >= margin`` (``NOT_WORSE``), or the larger of the two
            TOST p-values (``EQUIVALENT``).
        p_upper: TOST's p-value of H0 ``difference >= margin`` (``None`` for ``BEATS``).
        p_lower: TOST's p-value of H0 ``difference <= -margin`` (``None`` for ``BEATS``).
        held: Whether ``pvalue < alpha``.
    """

    comparison: Comparison
    effect: PairedComparison
    pvalue: float
    p_upper: float | None
    p_lower: float | None
    held: bool

    def describe(self) -> str:
        """One line: verdict, effect and p-values."""
        e = self.effect
        line = (
            f"{'HELD' if self.held else 'NOT HELD'}: {self.comparison} — mean {e.candidate_mean:.4f} vs "
            f"{e.reference_mean:.4f} (difference {e.mean_difference:+.4f}, "
            f"median {e.median_difference:+.4f}, "
            f"rank-biserial r = {e.rank_biserial:+.2f}, better/worse/tied {e.n_better}/{e.n_worse}/"
            f"{e.n_tied} of {e.n_pairs})"
        )
        if self.p_upper is None or self.p_lower is None:
            return f"{line}, one-sided Wilcoxon p = {self.pvalue:.3g}"
        m = self.comparison.margin
        return (
            f"{line}, TOST (paired Wilcoxon): p(H0 difference >= {m:g}) = {self.p_upper:.3g}, "
            f"p(H0 difference <= {-m:g}) = {self.p_lower:.3g}"
        )


def _shifted(frame: pd.DataFrame, column: str, by: float) -> pd.DataFrame:
    """``frame`` with ``column`` moved by ``by`` (a failed run's NaN counts as 1, as in the tests)."""
    out = frame.copy()
    out[column] = out[column].astype(float).fillna(1.0) + by
    return out


def evaluate_comparison(
    comparison: Comparison, scores: pd.DataFrame, *, alpha: float, column: str = "normalized_regret"
) -> ComparisonTest:
    """Test one comparison on a score frame (one row per run; lower ``column`` is better).

    Runs are paired by (task, seed); the methods may have run at different budgets. See the
    module docstring for what each relation tests.

    Args:
        comparison: The comparison.
        scores: Rows of both methods (columns ``benchmark``, ``seed``, ``method``, ``column``).
        alpha: Level of each one-sided test, in (0, 1).
        column: The compared value.

    Raises:
        ValueError: A bad ``alpha``, a method without runs, or no common (task, seed) pair.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    # methods may run at different budgets on purpose (e.g. "a tenth of the compute")
    a = select_method(scores, comparison.method).drop(columns="budget", errors="ignore")
    b = select_method(scores, comparison.baseline).drop(columns="budget", errors="ignore")
    effect = paired_comparison(a, b, alternative="less", column=column)
    m = comparison.margin
    if comparison.relation is Relation.BEATS:
        pvalue = paired_comparison(a, b, alternative="less", margin=m, column=column).pvalue
        p_upper = p_lower = None
    else:
        # H1 a - b < m  <=>  (a - m) - b < 0;  H1 a - b > -m  <=>  (a + m) - b > 0
        p_upper = paired_comparison(_shifted(a, column, -m), b, alternative="less", column=column).pvalue
        p_lower = paired_comparison(_shifted(a, column, m), b, alternative="greater", column=column).pvalue
        pvalue = p_upper if comparison.relation is Relation.NOT_WORSE else max(p_upper, p_lower)
    return ComparisonTest(
        comparison=comparison,
        effect=effect,
        pvalue=pvalue,
        p_upper=p_upper,
        p_lower=p_lower,
        held=pvalue < alpha,
    )
