"""The look shared by every figure of the report: pyplot on Agg, saving, method styles, titles, legends.

:func:`method_style` fixes each method's colour and marker by its name (the same in every
figure of every report); :func:`panel_titles` shortens task names to fit a panel;
:func:`save` writes a figure as PNG and SVG without timestamps and closes it. Matplotlib is
imported lazily (:func:`pyplot`), so computing metrics never needs it. Used by
:mod:`hpobench.results.plots` and :mod:`hpobench.results.mo_plots`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.lines import Line2D


def pyplot() -> Any:
    """Pyplot on the Agg backend (imported lazily: the metrics never need matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path, *, formats: Sequence[str] = ("png", "svg"), dpi: int = 100) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats`` (no timestamps), then close it."""
    plt = pyplot()
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        meta = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
        # SVG text stays text (selectable, and several times faster than glyph outlines)
        with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "hpobench"}):
            fig.savefig(target, dpi=dpi, metadata=meta)
        written.append(target)
    plt.close(fig)
    return written


def log_ticks(ax: Any, *, x: bool = True, y: bool = True) -> None:
    """Log axes with a few plain-text major labels (no mathtext, no minor labels: fast to draw)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    def fmt(v: float, _pos: int) -> str:
        return f"{v:g}"

    for use, axis in ((x, ax.xaxis), (y, ax.yaxis)):
        if use:
            axis.set_major_locator(LogLocator(base=10, numticks=6))
            axis.set_major_formatter(FuncFormatter(fmt))
            axis.set_minor_locator(NullLocator())


_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#843c39", "#7b4173", "#3182bd",
)  # fmt: skip


_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


_SHIPPED = (
    "random_search", "successive_halving", "hyperband", "tpe", "bohb", "regularized_evolution",
    "gp_bo", "cqr_bo", "cqr_bo_mf", "asha", "pbt", "dehb", "idhb", "one_epoch_topk", "optuna",
    "dehb_package",
)  # fmt: skip
"""The shipped methods in a fixed order: each gets its own colour and marker, whatever the report."""


def method_style(method: str) -> tuple[str, str]:
    """The (colour, marker) of ``method`` in every figure of every report: fixed by its name.

    Shipped methods have distinct styles; any other name gets one picked by the CRC-32 of its
    name (stable across processes and reports, unlike ``hash()``), so a method keeps its colour
    when methods are added to or removed from a study.
    """
    import zlib

    if method in _SHIPPED:
        i = _SHIPPED.index(method)
        return _PALETTE[i % len(_PALETTE)], _MARKERS[i % len(_MARKERS)]
    code = zlib.crc32(method.encode("utf-8"))
    return _PALETTE[code % len(_PALETTE)], _MARKERS[(code // len(_PALETTE)) % len(_MARKERS)]


def method_colors(methods: Sequence[str]) -> dict[str, str]:
    """The colour of each method (:func:`method_style`)."""
    return {m: method_style(m)[0] for m in methods}


TICK_SIZE = 9
"""Font size (points) of tick labels, legends and panel titles in every figure."""


def figure_legend(fig: Any, ax: Any, methods: int) -> None:
    """One legend for the figure, below its panels, from the labelled lines of ``ax``."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(methods, 5), frameon=False, fontsize=TICK_SIZE)


def curve_markers(ax: Any, x: np.ndarray, y: np.ndarray, method: str, *, count: int = 4) -> None:
    """A few markers at evenly spaced points of a curve, so methods differ without colour."""
    if len(x) == 0:
        return
    at = np.unique(np.linspace(0, len(x) - 1, count + 2).round().astype(int)[1:-1])
    color, marker = method_style(method)
    ax.plot(x[at], y[at], linestyle="none", marker=marker, color=color, markersize=4)


def legend_handles(methods: Sequence[str]) -> list[Line2D]:
    """Legend entries (line and marker in the method's style) for ``methods``, in order."""
    return [
        Line2D([], [], color=method_style(m)[0], marker=method_style(m)[1], markersize=5, lw=1.5, label=m)
        for m in methods
    ]


TITLE_CHARS = 34
"""Longest panel title of the task grid, in characters, that fits a panel at ``TICK_SIZE``."""


def panel_titles(benchmarks: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Panel titles short enough for their panel: the tasks' common prefix moves above the grid.

    Returns:
        The prefix cut off (ending at a ``/`` or ``_``; empty when the names fit or share none)
        and each task's title. A title still longer than ``TITLE_CHARS`` keeps its end,
        where task names differ, behind an ellipsis.
    """
    prefix = ""
    if len(benchmarks) > 1 and max(len(b) for b in benchmarks) > TITLE_CHARS:
        first, last = min(benchmarks), max(benchmarks)  # their common prefix is everyone's
        pairs = zip(first, last, strict=False)
        common = first[: next((i for i, (a, b) in enumerate(pairs) if a != b), len(first))]
        cut = max(common.rfind("/"), common.rfind("_")) + 1
        prefix = common[:cut]
    titles = {}
    for b in benchmarks:
        rest = b[len(prefix) :]
        titles[b] = rest if len(rest) <= TITLE_CHARS else "…" + rest[-(TITLE_CHARS - 1) :]
    return prefix, titles


def marker_spacing(points: int) -> int:
    """Marker spacing that puts about five markers on a curve of ``points`` points."""
    return max(points // 5, 1)
