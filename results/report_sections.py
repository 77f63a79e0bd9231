"""The sections of the study report as documents: Markdown, LaTeX tables and the HTML page.

Each function renders an :class:`~hpobench.results.report_analysis.Analysis` (``None`` when
nothing could be scored) and, for studies with multi-objective tasks, the
:class:`~hpobench.results.mo_report.MOAnalysis`, into one document's text; they read no files
and write none (the HTML page inlines the figures, so those must exist when it is rendered).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hpobench.results.html import Section, render_html
from hpobench.results.load import StudyResults
from hpobench.results.mo_report import MOAnalysis, mo_html, mo_latex, mo_markdown
from hpobench.results.provenance import environment
from hpobench.results.regret import XAxis
from hpobench.results.report_analysis import Analysis
from hpobench.results.significance import friedman_text, test_sections, tests_text, wilcoxon_frame
from hpobench.results.speedup import BASELINE
from hpobench.results.tables import frame_table, to_html, to_latex, to_markdown


def _speedup_summary(speed: pd.DataFrame) -> pd.DataFrame:
    """Per method: tasks where the baseline's target was reached, geometric mean and median speed-up."""
    rows = []
    for method, s in speed.groupby("method", sort=True, observed=True):  # methods that have rows
        v = s["speedup"].to_numpy(dtype=float)
        ok = np.isfinite(v) & (v > 0)
        rows.append(
            {
                "method": method,
                "tasks reached": f"{int(ok.sum())}/{len(v)}",
                "geometric mean speed-up": float(np.exp(np.mean(np.log(v[ok])))) if ok.any() else np.nan,
                "median speed-up": float(np.median(np.where(ok, v, 0.0))),
            }
        )
    return pd.DataFrame(rows)


def _reference_frame(runs: pd.DataFrame) -> pd.DataFrame:
    ref = runs.drop_duplicates("benchmark").sort_values("benchmark")
    return pd.DataFrame(
        {
            "benchmark": ref["benchmark"],
            "best": ref["ref_best"].astype(float),
            "worst": ref["ref_worst"].astype(float),
            "source": ref["ref_source"].astype(str),
        }
    )


def report_markdown(
    results: StudyResults,
    a: Analysis | None,
    axis: XAxis,
    figures: dict[str, Path],
    runs: pd.DataFrame,
    notes: list[str],
    mo: MOAnalysis | None = None,
) -> str:
    """The Markdown report: notes, final table, tests, speed-ups, figure list, references, failures.

    Args:
        results: The whole study (run counts, failed runs, unreadable files).
        a: The single-objective analysis, or ``None`` when nothing was scored.
        axis: The x-axis of the anytime figures.
        figures: The PNG of each figure by name (``mo_*`` for the multi-objective ones).
        runs: The single-objective runs with their resolved reference values.
        notes: What the reader must know, listed first.
        mo: The multi-objective analysis, or ``None``.
    """
    lines = [
        "# hpobench report",
        "",
        "Regret is measured on the incumbent's noise-free value at the maximal fidelity against the "
        "task's reference optimum and normalised by the task's reference range (0 = optimum, "
        "1 = reference worst), so scores do not move when methods are added.",
        "",
    ]
    total = results.runs
    n_failed = int((total["status"] != "ok").sum())
    lines += [
        f"Runs: {len(total)} finished, {n_failed} failed; {total['benchmark'].nunique()} task(s), "
        f"{total['method'].nunique()} method(s). X-axis of anytime plots: {axis.label}.",
        "",
        environment(total)[0],
        "",
    ]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    if a is not None:
        tests = tests_text(a.blocks, n_blocks=a.n_blocks, n_complete=a.n_complete)
        lines += ["## Final normalised regret", "", a.table.caption, "", to_markdown(a.table)]
        lines += ["## Statistical tests", "", tests, ""]
        if a.friedman is not None:
            f = a.friedman
            lines += [
                "## Friedman test and Nemenyi critical difference",
                "",
                friedman_text(f, a.blocks),
                "",
                to_markdown(frame_table(f.average_ranks.rename("average rank").reset_index())),
            ]
        if len(a.wilcoxon):
            lines += [
                "## Paired Wilcoxon signed-rank tests (Holm-corrected)",
                "",
                to_markdown(frame_table(wilcoxon_frame(a.wilcoxon))),
            ]
        if len(a.speedup):
            lines += [
                f"## Speed-up over {BASELINE}",
                "",
                f"Expected {axis.value} to reach {BASELINE}'s final mean regret on each task, relative to "
                f"{BASELINE}'s (ERT ratio; > 1 is faster).",
                "",
                to_markdown(frame_table(_speedup_summary(a.speedup))),
            ]
        shown = {k: v for k, v in figures.items() if not k.startswith("mo_")}
        lines += ["## Figures", ""] + [f"- {name}: `{p.name}` (and `.svg`)" for name, p in shown.items()]
        lines.append("")
    if mo is not None:
        lines += mo_markdown(mo, {k: v for k, v in figures.items() if k.startswith("mo_")})
    lines += ["## Reference values", "", to_markdown(frame_table(_reference_frame(runs), floatfmt=".6g"))]
    failed = total[total["status"] != "ok"]
    if len(failed):
        lines += ["## Failed runs (excluded from the tables)", ""]
        lines += [f"- `{f.run_id}`: {f.error}" for f in failed.itertuples()] + [""]
    if results.problems:
        lines += ["## Files that could not be read, and runs left out", ""]
        lines += [f"- {p}" for p in results.problems] + [""]
    return "\n".join(lines).rstrip() + "\n"


def report_latex(a: Analysis | None, mo: MOAnalysis | None = None) -> str:
    """The LaTeX tables: final regret, the multi-objective tables, Wilcoxon tests and speed-ups."""
    if a is None and mo is None:
        return "% hpobench report: no scored run\n"
    if a is None:
        return mo_latex(mo) if mo is not None else ""
    parts = [to_latex(a.table, label="tab:final-regret")]
    if mo is not None:
        parts.append(mo_latex(mo))
    if len(a.wilcoxon):
        t = frame_table(
            wilcoxon_frame(a.wilcoxon),
            caption=f"Paired Wilcoxon signed-rank tests over {a.blocks.label}, Holm-corrected; min p: "
            "the smallest attainable p-value.",
        )
        parts.append(to_latex(t, label="tab:wilcoxon"))
    if len(a.speedup):
        t = frame_table(_speedup_summary(a.speedup), caption=f"Speed-up over {BASELINE} (ERT ratio).")
        parts.append(to_latex(t, label="tab:speedup"))
    return "\n".join(parts)


def report_html(
    results: StudyResults,
    a: Analysis | None,
    axis: XAxis,
    figures: dict[str, Path],
    runs: pd.DataFrame,
    notes: list[str],
    mo: MOAnalysis | None = None,
) -> str:
    """The self-contained HTML page (it inlines the figures, so they must be drawn first).

    Arguments as for :func:`report_markdown`.
    """
    total = results.runs
    intro = (
        f"{len(total)} finished run(s), {int((total['status'] != 'ok').sum())} failed; "
        f"{total['benchmark'].nunique()} task(s), {total['method'].nunique()} method(s). Regret is "
        "normalised by each task's reference optimum and worst value (0 = optimum), so scores do not "
        f"move when methods are added. Anytime x-axis: {axis.label}. {environment(total)[0]}"
    )
    sections = [Section(title="Notes", notes=notes)] if notes else []
    if a is not None:
        sections.append(
            Section(
                title="Overview",
                figures=[
                    (
                        figures["summary"],
                        "Left: normalised regret averaged over tasks (mean of per-task means, 95 % "
                        f"bootstrap interval over tasks). Right: average rank over {a.blocks.label}.",
                    )
                ],
            )
        )
        sections.append(Section(title="Final normalised regret", fragments=[to_html(a.table)]))
        tests = tests_text(a.blocks, n_blocks=a.n_blocks, n_complete=a.n_complete)
        sections += test_sections(
            a.friedman,
            a.wilcoxon,
            tests=tests,
            blocks=a.blocks,
            cd_png=figures.get("cd"),
            score="final normalised regret",
            cd_title="Statistical tests: critical-difference diagram",
            wilcoxon_title="Paired Wilcoxon signed-rank tests (Holm-corrected)",
        )
        sections.append(
            Section(
                title="Anytime regret per task",
                figures=[
                    (figures["regret"], "Mean normalised regret with 95 % bootstrap interval over seeds.")
                ],
            )
        )
        sections.append(
            Section(
                title="ECDF over targets",
                figures=[(figures["ecdf"], "Fraction of (run, target) pairs reached, COCO style.")],
            )
        )
        if len(a.speedup):
            sections.append(
                Section(
                    title=f"Speed-up over {BASELINE}",
                    text=f"Ratio of expected {axis.value} to reach {BASELINE}'s final mean regret.",
                    fragments=[to_html(frame_table(_speedup_summary(a.speedup)))],
                )
            )
    if mo is not None:
        sections += mo_html(mo, figures)
    sections.append(
        Section(
            title="Reference values",
            fragments=[to_html(frame_table(_reference_frame(runs), floatfmt=".6g"))],
        )
    )
    failed = total[total["status"] != "ok"]
    if len(failed):
        sections.append(
            Section(title="Failed runs", notes=[f"{f.run_id}: {f.error}" for f in failed.itertuples()])
        )
    return render_html("hpobench report", intro, sections)
