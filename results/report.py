"""The study report: tables, plots and one self-contained HTML page from a results directory.

``hpobench report OUT`` calls :func:`write_report`. Everything is computed from the files of the
study directory, with reference optima taken from the runs' provenance records (the best value
observed stands in, flagged, where a task has none). Outputs, in ``OUT/report/``:

* ``report.md``, ``report.tex``, ``report.html`` (as asked by ``formats``);
* ``regret``, ``summary``, ``cd``, ``ecdf`` figures as PNG and SVG;
* ``final.csv`` (one row per run), ``curves.csv``, ``ranks.csv``, ``wilcoxon.csv``,
  ``speedup.csv``: the numbers behind the figures and tables.

Rooms: the numbers are computed in :mod:`~hpobench.results.report_analysis`, the documents
rendered in :mod:`~hpobench.results.report_sections`, the figures drawn in
:mod:`~hpobench.results.report_figures`, the multi-objective part in
:mod:`~hpobench.results.mo_report`; this module assembles them into the report folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from hpobench.results.load import load_results
from hpobench.results.mo_report import (
    analyse_mo,
    mo_figures,
    split_results,
    write_mo_csv,
)
from hpobench.results.provenance import environment
from hpobench.results.regret import XAxis, resolve_references
from hpobench.results.report_analysis import analyse
from hpobench.results.report_figures import draw_figures
from hpobench.results.report_sections import report_html, report_latex, report_markdown
from hpobench.results.stats import Blocks, as_blocks

__all__ = ["FORMATS", "Report", "write_report"]

FORMATS = ("md", "latex", "html")
"""Documents :func:`write_report` can write."""

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
    notes = list(results.problems) + environment(results.runs)[1]
    single, has_mo = split_results(results)
    analysis = analyse(single, axis, points, notes, block_kind) if len(single.runs) or not has_mo else None
    mo = analyse_mo(results, axis=axis, points=points, blocks=block_kind, notes=notes) if has_mo else None
    runs, _ = resolve_references(single.runs, single.evaluations)
    # scored: the figures and documents read only the analyses and the runs, so the evaluations
    # (3M rows in a 10-seed study) are released before the figures fork a process for the grid
    results = replace(results, evaluations=results.evaluations.iloc[:0])
    del single
    figures: dict[str, Path] = {}
    written: list[Path] = []
    finish: Callable[[], None] | None = None  # waits for the figures (see draw_figures)
    if analysis is not None:
        figures, written, finish = draw_figures(analysis, axis, dest)
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
    markdown = report_markdown(results, analysis, axis, figures, runs, notes, mo)
    documents: dict[str, Path] = {}
    for fmt in sorted(formats, key=lambda f: f == "html"):  # the HTML inlines the figures: last
        path = dest / f"report.{_SUFFIX[fmt]}"
        if fmt == "md":
            text = markdown
        elif fmt == "latex":
            text = report_latex(analysis, mo)
        else:
            if finish is not None:
                finish()
                finish = None
            text = report_html(results, analysis, axis, figures, runs, notes, mo)
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
