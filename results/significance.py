"""What the report says about its statistical tests: blocks, power, and their HTML sections.

The report's rank row, ranks over time, critical-difference diagram and paired tests share one
block definition (:class:`hpobench.results.stats.Blocks`); these helpers state it, and flag every
test whose smallest attainable p-value (:mod:`hpobench.contracts.power`) does not reach :data:`ALPHA`, so a
"not significant" that no data could have changed is never read as "no difference".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hpobench.results.html import Section
from hpobench.results.stats import Blocks, FriedmanResult
from hpobench.results.tables import frame_table, to_html

__all__ = ["ALPHA", "friedman_text", "power_notes", "test_sections", "tests_text", "wilcoxon_frame"]

ALPHA = 0.05
"""Significance level of the report's tests (Friedman/Nemenyi and the Holm-corrected Wilcoxon)."""


def wilcoxon_frame(wil: pd.DataFrame) -> pd.DataFrame:
    """The Wilcoxon table as printed: :func:`~hpobench.results.stats.wilcoxon_holm` with titled columns."""
    out = wil.rename(
        columns={
            "p_holm": "p (Holm)",
            "pvalue": "p",
            "min_p": "min p",
            "min_p_holm": "min p (Holm)",
            "can_reach_alpha": "can reach α",
        }
    ).copy()
    out["better"] = out["better"].replace("", "—")
    columns = ["a", "b", "n", "statistic", "p", "p (Holm)", "significant", "better"]
    return out[[*columns, "min p", "min p (Holm)", "can reach α"]]


def power_notes(fr: FriedmanResult | None, wil: pd.DataFrame, blocks: Blocks) -> list[str]:
    """One note per kind of test that could not have rejected at its level on these blocks.

    Args:
        fr: The Friedman test (``None`` when skipped).
        wil: Output of :func:`~hpobench.results.stats.wilcoxon_holm` at :data:`ALPHA` (may be empty).
        blocks: The block definition the tests ran on.
    """
    if blocks is Blocks.TASK:
        hint = "; the default (task, seed) blocks, or more tasks, give the tests power"
    else:
        hint = "; more seeds or tasks give the tests power"
    notes = []
    if fr is not None and not fr.can_reach_alpha:
        notes.append(
            f"the Friedman test cannot reach α = {fr.alpha} on {fr.n_blocks} {blocks.label}: its "
            f"smallest attainable p is {fr.min_pvalue:.3g}{hint}"
        )
    if fr is not None and not fr.can_separate:
        notes.append(
            f"the critical difference ({fr.critical_difference:.3f}) is at least the largest attainable "
            f"rank difference ({fr.max_rank_difference:.3f}) on {fr.n_blocks} {blocks.label}: no "
            f"CD-diagram bar can ever separate two methods{hint}"
        )
    if len(wil) and not wil["can_reach_alpha"].all():
        blind = wil[~wil["can_reach_alpha"]]
        notes.append(
            f"{len(blind)} of {len(wil)} pairwise Wilcoxon tests cannot reach α = {ALPHA} after the "
            f"Holm correction on {int(blind['n'].max())} {blocks.label}: the smallest attainable "
            f"Holm-adjusted p is {blind['min_p_holm'].min():.3g}, so their 'no' says nothing about a "
            f"difference{hint}"
        )
    return notes


def tests_text(blocks: Blocks, *, n_blocks: int, n_complete: int) -> str:
    """The paragraph stating the block definition, what the tests generalise over, and the flags.

    Args:
        blocks: The block definition.
        n_blocks: Blocks in the study.
        n_complete: Blocks where every method has a value (the tests' sample).
    """
    incomplete = f" ({n_complete} of them complete)" if n_complete < n_blocks else ""
    scope = (
        "The tests generalise over (task, seed) instances of this suite, not over new tasks "
        "(blocks 'task' do, with less power)."
        if blocks is Blocks.TASK_SEED
        else "The tests generalise over tasks (n = number of tasks)."
    )
    return (
        f"Blocks: {blocks.description}; {n_blocks} blocks{incomplete}, shared by the rank row, the "
        f"ranks over time, the CD diagram and the Wilcoxon tests. {scope} Each test states its "
        f"smallest attainable p-value (given blocks, ties and correction); one that cannot reach "
        f"α = {ALPHA} is flagged."
    )


def friedman_text(f: FriedmanResult, blocks: Blocks) -> str:
    """One sentence: the Friedman statistic and p-value with its floor, the CD and the largest rank gap."""
    flag = "" if f.can_reach_alpha else " (cannot reach α)"
    floor = f.min_nemenyi_pvalue
    nemenyi_floor = f"{floor:.3g}" if floor > 0 else "< 1e-15"  # the studentized range underflows
    return (
        f"Friedman χ² = {f.statistic:.4g} over {f.n_blocks} {blocks.label}, p = {f.pvalue:.3g} "
        f"(smallest attainable {f.min_pvalue:.3g}{flag}); Nemenyi CD (α = {f.alpha}) = "
        f"{f.critical_difference:.3f}, largest attainable rank difference {f.max_rank_difference:.3f} "
        f"(smallest attainable Nemenyi p {nemenyi_floor})."
    )


def test_sections(
    fr: FriedmanResult | None,
    wil: pd.DataFrame,
    *,
    tests: str,
    blocks: Blocks,
    cd_png: Path | None,
    score: str,
    cd_title: str,
    wilcoxon_title: str,
) -> list[Section]:
    """The HTML sections of the critical-difference diagram and the paired tests on ``score``.

    Args:
        fr: The Friedman result (``None``: no CD section).
        wil: The paired Wilcoxon tests (empty: no section).
        tests: :func:`tests_text` of the blocks.
        blocks: The block definition.
        cd_png: The CD diagram's PNG (needed when ``fr`` is given).
        score: What was compared, for the caption (``"final normalised regret"``).
        cd_title: Title of the CD section.
        wilcoxon_title: Title of the paired tests' section.
    """
    sections = []
    if fr is not None and cd_png is not None:
        sections.append(
            Section(
                title=cd_title,
                text=f"{tests} {friedman_text(fr, blocks)} Methods joined by a bar are not "
                "significantly different (Nemenyi).",
                figures=[(cd_png, f"Critical-difference diagram of {score}.")],
            )
        )
    if len(wil):
        sections.append(
            Section(
                title=wilcoxon_title,
                text="" if fr is not None else tests,
                fragments=[to_html(frame_table(wilcoxon_frame(wil)))],
            )
        )
    return sections
