"""Figures of the report (matplotlib, Agg backend), each saved as PNG and SVG.

One figure per metric, whatever the number of tasks: a grid of per-task anytime curves, a
summary (normalised regret aggregated over tasks, and average rank over time), the
critical-difference diagram and the ECDF profiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colors as matplotlib_colors
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D

from hpobench.results.regret import XAxis
from hpobench.results.stats import FriedmanResult, cd_cliques

__all__ = ["FLOOR", "plot_cd", "plot_curves", "plot_ecdf", "plot_summary", "save"]

FLOOR = 1e-9
"""Smallest regret drawn on log axes (exact zeros are drawn there)."""


def _pyplot() -> Any:
    """Pyplot on the Agg backend (imported lazily: the metrics never need matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path, *, formats: Sequence[str] = ("png", "svg"), dpi: int = 100) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats`` (no timestamps), then close it."""
    plt = _pyplot()
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


def _log_ticks(ax: Any, *, x: bool = True, y: bool = True) -> None:
    """Log axes with a few plain-text major labels (no mathtext, no minor labels: fast to draw)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    def fmt(v: float, _pos: int) -> str:
        return f"{v:g}"

    for use, axis in ((x, ax.xaxis), (y, ax.yaxis)):
        if use:
            axis.set_major_locator(LogLocator(base=10, numticks=6))
            axis.set_major_formatter(FuncFormatter(fmt))
            axis.set_minor_locator(NullLocator())


def _colors(methods: Sequence[str]) -> dict[str, str]:
    return {m: f"C{i % 10}" for i, m in enumerate(sorted(methods))}


def _legend(fig: Any, ax: Any, methods: int) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(methods, 5), frameon=False, fontsize=8)


def plot_curves(curves: pd.DataFrame, axis: XAxis, *, statistic: str = "mean", shared_x: bool = False) -> Any:
    """Grid of per-task anytime regret: ``statistic`` (mean or median) with its 95 % interval.

    Args:
        curves: Output of :func:`hpobench.results.curves.anytime_curves`.
        axis: The x-axis (for the label).
        statistic: ``"mean"`` (bootstrap band) or ``"median"`` (order-statistic band).
        shared_x: Share the x-axis between panels (same grid on every task).
    """
    plt = _pyplot()
    curves = curves.sort_values("benchmark", kind="stable")
    lo_col, hi_col = ("lo", "hi") if statistic == "mean" else ("median_lo", "median_hi")
    benches = sorted(curves["benchmark"].unique())
    methods = sorted(curves["method"].unique())
    colors = _colors(methods)
    cols = min(5 if len(benches) > 9 else 3, max(len(benches), 1))
    rows = max(int(np.ceil(len(benches) / cols)), 1)
    legend_in = 0.1 + 0.17 * int(np.ceil(len(methods) / 5))  # legend rows of 5 methods
    bottom_in = legend_in + 0.55  # legend, then the x label, then the bottom row's tick labels
    height = 2.6 * rows + bottom_in + 0.3
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, height), squeeze=False)
    xs = curves["x"].to_numpy(dtype=float)
    x_all = (float(np.nanmin(xs[xs > 0], initial=1.0)), float(np.nanmax(xs, initial=1.0)))
    # one line collection and one band collection per panel: hundreds of separate artists
    # (10 methods x 30 tasks) would cost seconds to build and draw
    keys = curves["benchmark"].to_numpy()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    panels = {str(keys[i]): (i, j) for i, j in zip(starts, ends, strict=True)}
    rgba = {m: matplotlib_colors.to_rgba(c) for m, c in colors.items()}
    for ax, bench in zip(axes.flat, benches, strict=False):
        i, j = panels[bench]
        c = curves.iloc[i:j]
        lines, bands, line_colors, band_colors = [], [], [], []
        for method, members in c.groupby("method", sort=True).indices.items():
            x = c["x"].to_numpy()[members]
            xs = np.repeat(x, 2)[1:]
            y, lo, hi = (
                np.repeat(np.maximum(c[col].to_numpy()[members], FLOOR), 2)[:-1]
                for col in (statistic, lo_col, hi_col)
            )
            lines.append(np.column_stack([xs, y]))
            bands.append(np.column_stack([np.r_[xs, xs[::-1]], np.r_[hi, lo[::-1]]]))
            line_colors.append(rgba[str(method)])
            band_colors.append((*rgba[str(method)][:3], 0.18))
        ax.add_collection(PolyCollection(bands, facecolors=band_colors, linewidths=0), autolim=False)
        ax.add_collection(LineCollection(lines, colors=line_colors, linewidths=1.2), autolim=False)
        sub = c[[statistic, lo_col, hi_col]].to_numpy(dtype=float)
        y_lo = max(float(np.nanmin(sub, initial=np.inf)), FLOOR)
        y_hi = max(float(np.nanmax(sub, initial=FLOOR)), FLOOR)
        xv = c["x"].to_numpy(dtype=float)
        x_lo, x_hi = x_all if shared_x else (float(np.nanmin(xv[xv > 0], initial=1.0)), float(np.nanmax(xv)))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(x_lo, x_hi * 1.05 if x_hi > x_lo else x_lo * 10)
        ax.set_ylim(y_lo / 1.5, y_hi * 1.5 if y_hi > y_lo else y_lo * 10)
        # a fixed title position: automatic placement measures every tick label on every draw
        ax.set_title(bench, fontsize=9, y=1.0)
        _log_ticks(ax)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        # the axis labels are the figure's (below); fixed coordinates skip the same measuring
        ax.xaxis.set_label_coords(0.5, 0.0)
        ax.yaxis.set_label_coords(0.0, 0.5)
    for ax in list(axes.flat)[len(benches) :]:
        ax.axis("off")
    fig.supylabel(f"normalised regret ({statistic})", x=0.12 / (3.4 * cols), fontsize=9)
    fig.supxlabel(axis.label, y=(legend_in + 0.05) / height, fontsize=9, va="bottom")
    handles = [Line2D([], [], color=colors[m], lw=1.5, label=m) for m in methods]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=min(len(methods), 5),
        frameon=False,
        fontsize=8,
        bbox_to_anchor=(0.5, 0.02 / height),
    )
    # fixed margins in inches: tight_layout costs seconds on large grids
    fig.subplots_adjust(
        left=0.75 / (3.4 * cols),
        right=1 - 0.1 / (3.4 * cols),
        bottom=bottom_in / height,
        top=1 - 0.3 / height,
        wspace=0.28,
        hspace=0.45 if shared_x else 0.55,
    )
    return fig


def plot_summary(aggregate: pd.DataFrame, ranks: pd.DataFrame, axis: XAxis, *, relative: bool) -> Any:
    """Two panels: normalised regret averaged over tasks (with interval), average rank over time.

    Args:
        aggregate: Columns method, x, mean, lo, hi (over tasks).
        ranks: Output of :func:`hpobench.results.ranks.ranks_over_time`.
        axis: The x-axis.
        relative: Whether x is a fraction of each task's range (simulated time).
    """
    plt = _pyplot()
    methods = sorted(set(aggregate["method"]) | set(ranks["method"]))
    colors = _colors(methods)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for method, c in aggregate.groupby("method", sort=True):
        y = np.maximum(c["mean"].to_numpy(), FLOOR)
        left.plot(c["x"], y, label=method, color=colors[str(method)], drawstyle="steps-post", lw=1.4)
        left.fill_between(
            c["x"],
            np.maximum(c["lo"].to_numpy(), FLOOR),
            np.maximum(c["hi"].to_numpy(), FLOOR),
            color=colors[str(method)],
            alpha=0.18,
            step="post",
            linewidth=0,
        )
    for method, c in ranks.groupby("method", sort=True):
        right.plot(c["x"], c["rank"], label=method, color=colors[str(method)], drawstyle="steps-post", lw=1.4)
    label = f"{axis.label} (fraction of each task's range)" if relative else axis.label
    left.set_yscale("log")
    left.set_ylabel("normalised regret, mean over tasks", fontsize=9)
    left.set_title("Anytime regret over all tasks (95 % bootstrap CI over tasks)", fontsize=10)
    right.set_ylabel("average rank (1 = best)", fontsize=9)
    right.set_title("Average rank over tasks and seeds", fontsize=10)
    right.invert_yaxis()
    for ax in (left, right):
        ax.set_xscale("log")
        _log_ticks(ax, y=ax is left)
        ax.set_xlabel(label, fontsize=9)
        ax.grid(alpha=0.3)
    _legend(fig, left, len(methods))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.22, top=0.92, wspace=0.22)
    return fig


def plot_cd(result: FriedmanResult, *, title: str = "") -> Any:
    """Critical-difference diagram (Demšar 2006), rank 1 (best) on the left.

    Methods whose average ranks differ by less than the Nemenyi critical difference are joined by
    a bar (no significant difference).
    """
    plt = _pyplot()
    ranks = result.average_ranks
    k = len(ranks)
    names = list(ranks.index)
    half = (k + 1) // 2
    lines = max(half, k - half, 1)
    height = 1.3 + 0.28 * lines
    fig, ax = plt.subplots(figsize=(9, height))
    ax.axis("off")
    ax.set_ylim(0, height)
    top = height - 0.7  # the rank axis, in inches from the bottom
    ax.hlines(top, 1, k, color="k", lw=1)
    for t in range(1, k + 1):
        ax.vlines(t, top, top + 0.08, color="k", lw=1)
        ax.text(t, top + 0.1, str(t), ha="center", va="bottom", fontsize=8)
    step = (top - 0.45) / lines
    for i, (name, r) in enumerate(zip(names, ranks.to_numpy(), strict=True)):
        left = i < half
        y = top - 0.25 - step * (i if left else k - 1 - i)
        x_text = 0.6 if left else k + 0.4
        ax.plot([r, r, x_text], [top, y, y], color="k", lw=0.8)
        ax.text(
            x_text - 0.05 if left else x_text + 0.05,
            y,
            f"{name} ({r:.2f})",
            ha="right" if left else "left",
            va="center",
            fontsize=8,
        )
    cd = result.critical_difference
    ax.plot([1, 1 + cd], [top + 0.42, top + 0.42], color="C3", lw=2)
    ax.text(1 + cd / 2, top + 0.46, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=8, color="C3")
    pos = dict(zip(names, ranks.to_numpy(), strict=True))
    for g, clique in enumerate(cd_cliques(result)):
        lo, hi = pos[clique[0]], pos[clique[-1]]
        y = top - 0.1 - 0.07 * g
        ax.plot([lo - 0.03, hi + 0.03], [y, y], color="C0", lw=3, solid_capstyle="round")
    ax.set_xlim(0.5 - 0.25 * k, k + 0.5 + 0.25 * k)
    subtitle = f"Friedman χ² = {result.statistic:.3g}, p = {result.pvalue:.2g}, N = {result.n_blocks}"
    ax.set_title(f"{title}\n{subtitle}" if title else subtitle, fontsize=10)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=1 - 0.45 / height)
    return fig


def plot_ecdf(profiles: pd.DataFrame, axis: XAxis, *, relative: bool, targets: int) -> Any:
    """ECDF of (run, target) pairs reached against the x-axis, one line per method."""
    plt = _pyplot()
    methods = sorted(profiles["method"].unique())
    colors = _colors(methods)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for method, c in profiles.groupby("method", sort=True):
        ax.plot(
            c["x"], c["fraction"], label=method, color=colors[str(method)], drawstyle="steps-post", lw=1.4
        )
    ax.set_xscale("log")
    _log_ticks(ax, y=False)
    ax.set_ylim(-0.02, 1.02)
    label = f"{axis.label} (fraction of each task's range)" if relative else axis.label
    ax.set_xlabel(label, fontsize=9)
    ax.set_ylabel("fraction of (run, target) pairs reached", fontsize=9)
    ax.set_title(f"ECDF over {targets} normalised-regret targets (1 to 1e-8)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.92)
    return fig
