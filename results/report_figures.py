"""The figures of the single-objective study report, drawn into the report folder as PNG and SVG.

:func:`draw_figures` draws the summary, ECDF and (with a Friedman test) critical-difference
figures at once and the per-task anytime grid, the costly one, in a forked process when there
are enough tasks for that to pay; its ``finish`` callback must be called before the grid's files
are read. The figures show the numbers of an :class:`~hpobench.results.report_analysis.Analysis`.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable
from pathlib import Path

from hpobench.results import plots
from hpobench.results.profiles import DEFAULT_TARGETS
from hpobench.results.regret import XAxis
from hpobench.results.report_analysis import Analysis

PARALLEL_GRID_FROM = 10
"""Draw the per-task grid in a forked process (in parallel with the other figures) from this many
tasks on; below it, the fork costs more than it saves."""


def _grid_figure(a: Analysis, axis: XAxis, dest: Path) -> list[Path]:
    return plots.save(plots.plot_curves(a.curves, axis, shared_x=axis is not XAxis.TIME), dest / "regret.png")


def draw_figures(
    a: Analysis, axis: XAxis, dest: Path
) -> tuple[dict[str, Path], list[Path], Callable[[], None]]:
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
        # the objects made so far go to the collector's permanent generation for the fork: the
        # child's collections then leave them alone instead of writing to every page that holds
        # one, which copied those pages into the child (what Python's gc.freeze documents)
        gc.freeze()
        try:
            child.start()
        finally:
            gc.unfreeze()
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
