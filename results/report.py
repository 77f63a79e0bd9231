"""The study report: tables, plots and one self-contained HTML page from a results directory.

``hpobench report OUT`` calls :func:`write_report`. Everything is computed from the files of the
study directory, with reference optima taken from the runs' provenance records (the best value
observed stands in, flagged, where a task has none). Outputs, in ``OUT/report/``:

* ``report.md``, ``report.tex``, ``report.html`` (as asked by ``formats``);
* ``regret``, ``summary``, ``cd``, ``ecdf`` figures as PNG and SVG;
* ``final.csv`` (one row per run), ``curves.csv``, ``ranks.csv``, ``wilcoxon.csv``,
  ``speedup.csv``: the numbers behind the figures and tables.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hpobench.results import plots
from hpobench.results.curves import anytime_curves, bootstrap_mean_ci, step_matrix
from hpobench.results.html import Section, render_html
from hpobench.results.load import StudyResults, load_results
from hpobench.results.mo_report import (
    MOAnalysis,
    analyse_mo,
    mo_figures,
    mo_html,
    mo_latex,
    mo_markdown,
    split_results,
    write_mo_csv,
)
from hpobench.results.profiles import DEFAULT_TARGETS, ecdf_profiles
from hpobench.results.ranks import final_ranks, ranks_over_time
from hpobench.results.regret import XAxis, add_regret, final_regret, resolve_references
from hpobench.results.significance import (
    ALPHA,
    friedman_text,
    power_notes,
    test_sections,
    tests_text,
    wilcoxon_frame,
)
from hpobench.results.speedup import BASELINE, speedups
from hpobench.results.stats import Blocks, FriedmanResult, as_blocks, block_table, friedman, wilcoxon_holm
from hpobench.results.tables import (
    Table,
    final_stats,
    final_table,
    frame_table,
    to_html,
    to_latex,
    to_markdown,
)

__all__ = ["FORMATS", "Report", "write_report"]

FORMATS = ("md", "latex", "html")
"""Documents :func:`write_report` can write."""

PARALLEL_GRID_FROM = 10
"""Draw the per-task grid in a forked process (in parallel with the other figures) from this many
tasks on; below it, the fork costs more than it saves."""

_SUFFIX = {"md": "md", "latex": "tex", "html": "html"}


@dataclass(frozen=True, kw_only=True)
class Report:
    """What :func:`write_report` wrote.

    Attributes:
        markdown: The Markdown document (also returned when not written to disk).
        markdown_path: ``report.md``.
        plot_path: The per-task anytime regret grid (PNG; of hypervolume regret when the study
            has only multi-objective tasks).
        documents: Paths of the documents written, by format.
        figures: PNG and SVG paths of every figure.
        notes: Warnings about the input (unreadable files, fallbacks, failed runs, skipped tests).
    """

    markdown: str
    markdown_path: Path
    plot_path: Path
    documents: dict[str, Path] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class _Analysis:
    """Every number of the report (pure results, no files)."""

    with_regret: pd.DataFrame
    curves: pd.DataFrame
    aggregate: pd.DataFrame
    ranks: pd.DataFrame
    final: pd.DataFrame
    table: Table
    friedman: FriedmanResult | None
    blocks: Blocks
    n_blocks: int
    n_complete: int
    wilcoxon: pd.DataFrame
    profiles: pd.DataFrame
    speedup: pd.DataFrame
    notes: list[str]


def _aggregate(sm_values: np.ndarray, runs: pd.DataFrame, grid: np.ndarray) -> pd.DataFrame:
    """Per method: mean over tasks of the per-task mean curve, bootstrap interval over tasks."""
    out = []
    for method, rows in runs.groupby("method", sort=True).indices.items():
        per_task = []
        for _, task_rows in runs.iloc[rows].groupby("benchmark").indices.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                per_task.append(np.nanmean(sm_values[np.asarray(rows)[task_rows]], axis=0))
        mat = np.vstack(per_task)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(mat, axis=0)
        lo, hi = bootstrap_mean_ci(mat)
        keep = np.isfinite(mean) & np.r_[True, grid[1:] != grid[:-1]]
        out.append(
            pd.DataFrame(
                {"method": method, "x": grid[keep], "mean": mean[keep], "lo": lo[keep], "hi": hi[keep]}
            )
        )
    return pd.concat(out, ignore_index=True)


def _analyse(
    results: StudyResults, axis: XAxis, points: int, notes: list[str], blocks: Blocks
) -> _Analysis | None:
    """Compute every number of the report; append what the reader must know to ``notes``.

    ``blocks`` is the one block definition of the rank row, the ranks over time, the
    critical-difference diagram and the pairwise tests.

    Returns ``None`` when no successful run has an evaluation (the notes then say why).
    """
    runs = results.runs
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        notes.append(f"{len(failed)} failed run(s) left out (listed at the end)")
    ok_runs = runs[runs["status"] == "ok"]
    evals = results.evaluations[results.evaluations["run_id"].isin(ok_runs["run_id"])]
    empty = ok_runs[ok_runs["evaluations"] == 0]
    if len(empty):
        notes.append(f"{len(empty)} run(s) without any evaluation left out: {', '.join(empty['run_id'])}")
    ok_runs, ref_notes = resolve_references(ok_runs, evals)
    notes += ref_notes
    if evals.empty:
        notes.append("no evaluation of a successful run: nothing to score")
        return None
    with_regret = add_regret(evals, ok_runs)
    if not np.isfinite(with_regret["normalized_regret"]).any():
        notes.append("no task has a usable reference range: no normalised regret to score")
        return None
    notes += _below_reference_notes(with_regret)
    relative = axis is XAxis.TIME
    sm = step_matrix(with_regret, axis=axis, points=points)
    curves = anytime_curves(with_regret, matrix=sm)
    grid = sm.grid[0] / sm.grid[0].max() if relative else sm.grid[0]
    aggregate = _aggregate(sm.values, sm.runs, grid)
    ranks = ranks_over_time(sm, blocks=blocks)
    if relative:
        ranks["x"] = np.tile(grid, ranks["method"].nunique())
    final = final_regret(with_regret)
    stats_frame = final_stats(with_regret)
    table = final_table(stats_frame, final_ranks(final, blocks=blocks), blocks=blocks)
    all_blocks = block_table(final, blocks=blocks, complete=False)
    btable = all_blocks.dropna(axis=0, how="any")
    if len(btable) < len(all_blocks):
        notes.append(
            f"{len(all_blocks) - len(btable)} of {len(all_blocks)} {blocks.label} lack a method: the "
            f"tests use the {len(btable)} complete ones; the rank row ranks every block among the "
            "methods it has"
        )
    fr: FriedmanResult | None = None
    wil = pd.DataFrame()
    if btable.shape[1] >= 2 and len(btable) >= 2:
        wil = wilcoxon_holm(btable, alpha=ALPHA)
    if btable.shape[1] >= 3 and len(btable) >= 2:
        fr = friedman(btable, alpha=ALPHA)
    else:
        notes.append(
            f"Friedman test and CD diagram skipped: they need >= 3 methods and >= 2 complete blocks "
            f"({blocks.value}), found {btable.shape[1]} and {len(btable)}"
        )
    notes += power_notes(fr, wil, blocks)
    profiles = ecdf_profiles(with_regret, axis=axis)
    speed = speedups(with_regret, axis=axis)
    if speed.empty:
        notes.append(f"speed-up table skipped: no run of the baseline {BASELINE!r}")
    return _Analysis(
        with_regret=with_regret,
        curves=curves,
        aggregate=aggregate,
        ranks=ranks,
        final=final,
        table=table,
        friedman=fr,
        blocks=blocks,
        n_blocks=len(all_blocks),
        n_complete=len(btable),
        wilcoxon=wil,
        profiles=profiles,
        speedup=speed,
        notes=notes,
    )


def _below_reference_notes(with_regret: pd.DataFrame) -> list[str]:
    """Name the tasks where some incumbent beats the reference optimum (negative regret)."""
    below = with_regret[with_regret["normalized_regret"] < 0]
    notes = []
    for bench, rows in below.groupby("benchmark", sort=True):
        notes.append(
            f"{bench}: {rows['run_id'].nunique()} run(s) found a value better than the reference "
            f"optimum (normalised regret down to {rows['normalized_regret'].min():.3g}), so the "
            "reference is not the optimum; negative regret is kept in the tables and drawn at the "
            "plots' floor"
        )
    return notes


def _speedup_summary(speed: pd.DataFrame) -> pd.DataFrame:
    """Per method: tasks where the baseline's target was reached, geometric mean and median speed-up."""
    rows = []
    for method, s in speed.groupby("method", sort=True):
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


def _markdown(
    results: StudyResults,
    a: _Analysis | None,
    axis: XAxis,
    figures: dict[str, Path],
    runs: pd.DataFrame,
    notes: list[str],
    mo: MOAnalysis | None = None,
) -> str:
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


def _latex(a: _Analysis | None, mo: MOAnalysis | None = None) -> str:
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


def _html(
    results: StudyResults,
    a: _Analysis | None,
    axis: XAxis,
    figures: dict[str, Path],
    runs: pd.DataFrame,
    notes: list[str],
    mo: MOAnalysis | None = None,
) -> str:
    total = results.runs
    intro = (
        f"{len(total)} finished run(s), {int((total['status'] != 'ok').sum())} failed; "
        f"{total['benchmark'].nunique()} task(s), {total['method'].nunique()} method(s). Regret is "
        "normalised by each task's reference optimum and worst value (0 = optimum), so scores do not "
        f"move when methods are added. Anytime x-axis: {axis.label}."
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


def _grid_figure(a: _Analysis, axis: XAxis, dest: Path) -> list[Path]:
    return plots.save(plots.plot_curves(a.curves, axis, shared_x=axis is not XAxis.TIME), dest / "regret.png")


def _figures(a: _Analysis, axis: XAxis, dest: Path) -> tuple[dict[str, Path], list[Path], Callable[[], None]]:
    """Draw every figure; the per-task grid (the costly one) in a forked process when it pays.

    Returns the PNG of each figure by name, every file written, and ``finish``: call it (before
    reading the grid's files) to wait for the forked process, or to draw the grid here when there
    was none or it failed. Work done before ``finish`` overlaps with the grid's drawing.
    """
    relative = axis is XAxis.TIME
    child: multiprocessing.process.BaseProcess | None = None
    if (
        a.curves["benchmark"].nunique() >= PARALLEL_GRID_FROM
        and "fork" in multiprocessing.get_all_start_methods()
    ):
        child = multiprocessing.get_context("fork").Process(target=_grid_figure, args=(a, axis, dest))
        child.start()
    made = {
        "summary": plots.plot_summary(a.aggregate, a.ranks, axis, relative=relative),
        "ecdf": plots.plot_ecdf(a.profiles, axis, relative=relative, targets=len(DEFAULT_TARGETS)),
    }
    if a.friedman is not None:
        made["cd"] = plots.plot_cd(a.friedman, title=f"Final normalised regret, {a.blocks.label}")
    pngs: dict[str, Path] = {}
    written: list[Path] = [dest / "regret.png", dest / "regret.svg"]
    for name, fig in made.items():
        files = plots.save(fig, dest / f"{name}.png")
        pngs[name] = files[0]
        written += files
    pngs["regret"] = written[0]

    def finish() -> None:
        if child is not None:
            child.join()
        if child is None or child.exitcode != 0:  # no fork, or the child failed: draw it here
            _grid_figure(a, axis, dest)

    return pngs, written, finish


def write_report(
    out: str | os.PathLike[str],
    *,
    axis: XAxis = XAxis.BUDGET,
    dest: str | os.PathLike[str] | None = None,
    formats: Sequence[str] = FORMATS,
    points: int = 60,
    blocks: Blocks | str = Blocks.TASK_SEED,
) -> Report:
    """Analyse the study in ``out`` and write the report files.

    Args:
        out: The study directory.
        axis: The x-axis of the anytime plots, ranks over time, ECDF and speed-ups.
        dest: Where to write (default ``out/report``).
        formats: Documents to write, among :data:`FORMATS`; figures and CSV files are always written.
        points: Grid points of anytime curves.
        blocks: The one block definition of the rank row, the ranks over time, the
            critical-difference diagram and the paired tests (:class:`~hpobench.results.stats.Blocks`):
            (task, seed) pairs by default, or tasks with seeds averaged (``"task"``).

    Raises:
        DataError: ``out`` holds no finished run.
        ValueError: An unknown format or block definition.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    block_kind = as_blocks(blocks)
    out = Path(out)
    dest = Path(dest) if dest is not None else out / "report"
    dest.mkdir(parents=True, exist_ok=True)
    results = load_results(out, consolidate=True)
    notes = list(results.problems)
    single, has_mo = split_results(results)
    analysis = _analyse(single, axis, points, notes, block_kind) if len(single.runs) or not has_mo else None
    mo = analyse_mo(results, axis=axis, points=points, blocks=block_kind, notes=notes) if has_mo else None
    runs, _ = resolve_references(single.runs, single.evaluations)
    figures: dict[str, Path] = {}
    written: list[Path] = []
    finish: Callable[[], None] | None = None  # waits for the figures (see _figures)
    if analysis is not None:
        figures, written, finish = _figures(analysis, axis, dest)
        analysis.final.to_csv(dest / "final.csv", index=False)
        analysis.curves.to_csv(dest / "curves.csv", index=False)
        analysis.ranks.to_csv(dest / "ranks.csv", index=False)
        analysis.wilcoxon.to_csv(dest / "wilcoxon.csv", index=False)
        analysis.speedup.to_csv(dest / "speedup.csv", index=False)
    if mo is not None:
        mo_pngs, mo_files = mo_figures(mo, axis, dest)
        figures.update(mo_pngs)
        written += mo_files
        write_mo_csv(mo, dest)
    markdown = _markdown(results, analysis, axis, figures, runs, notes, mo)
    documents: dict[str, Path] = {}
    for fmt in sorted(formats, key=lambda f: f == "html"):  # the HTML inlines the figures: last
        path = dest / f"report.{_SUFFIX[fmt]}"
        if fmt == "md":
            text = markdown
        elif fmt == "latex":
            text = _latex(analysis, mo)
        else:
            if finish is not None:
                finish()
                finish = None
            text = _html(results, analysis, axis, figures, runs, notes, mo)
        path.write_text(text, encoding="utf-8")
        documents[fmt] = path
    if finish is not None:
        finish()
    return Report(
        markdown=markdown,
        markdown_path=dest / "report.md",
        plot_path=dest / ("regret.png" if analysis is not None or mo is None else "mo_regret.png"),
        documents=documents,
        figures=written,
        notes=notes,
    )
