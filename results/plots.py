"""Figures of the report (matplotlib, Agg backend), each saved as PNG and SVG.

One figure per metric, whatever the number of tasks: a grid of per-task anytime curves, a
summary (normalised regret aggregated over tasks, and average rank over time), the
critical-difference diagram and the ECDF profiles.

The look they share (method colours and markers, titles, legends, saving) is in
:mod:`hpobench.results.plot_style` (``save``, ``method_style``, ``TICK_SIZE`` and ``TITLE_CHARS``
are re-exported here).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colors as matplotlib_colors
from matplotlib.collections import LineCollection, PolyCollection

from hpobench.results.plot_style import (
    TICK_SIZE,
    TITLE_CHARS,
    curve_markers,
    figure_legend,
    legend_handles,
    log_ticks,
    marker_spacing,
    method_colors,
    method_style,
    panel_titles,
    pyplot,
    save,
)
from hpobench.results.regret import XAxis
from hpobench.results.stats import FriedmanResult, cd_cliques

__all__ = [
    "FLOOR",
    "TICK_SIZE",
    "TITLE_CHARS",
    "method_style",
    "plot_cd",
    "plot_curves",
    "plot_ecdf",
    "plot_summary",
    "save",
]

FLOOR = 1e-9
"""Smallest regret drawn on log axes (exact zeros are drawn there)."""


def _x_label(axis: XAxis, *, relative: bool) -> str:
    """The x label; on a relative axis the unit is a fraction of each task's range, not seconds."""
    if not relative:
        return axis.label
    return f"{axis.label.removesuffix(' (s)')}, as a fraction of each task's range"


def _floor(values: np.ndarray) -> float:
    """Bottom of a log axis: below the smallest positive value drawn, never at ``FLOOR`` for a zero.

    A band that touches zero (its lower end is 0) would otherwise stretch the axis down to
    ``FLOOR`` and squeeze the curves into the top of the panel; such band ends (and exact
    zeros) are drawn at this floor, the bottom edge of the panel.
    """
    positive = values[np.isfinite(values) & (values > 0)]
    return float(positive.min()) / 1.5 if positive.size else FLOOR


def _full_ranks(ranks: pd.DataFrame) -> pd.DataFrame:
    """The rank curves from the first grid point at which every method has all its values.

    Before that, a method with no evaluation yet is left out of a block's ranking, which ranks
    the others among fewer methods and makes the curves meaningless there. A method's "all" is
    the most blocks it ever has a value in (fewer than the others when some of its runs failed).
    """
    if ranks.empty or "n" not in ranks:
        return ranks
    most = ranks.groupby("method", observed=True)["n"].transform("max")
    complete = (ranks["n"] >= most).groupby(ranks["position"], observed=True).all()
    start = complete.index[complete.to_numpy()].min() if complete.any() else None
    return ranks[ranks["position"] >= start] if start is not None else ranks.iloc[0:0]


def plot_curves(
    curves: pd.DataFrame,
    axis: XAxis,
    *,
    statistic: str = "mean",
    shared_x: bool = False,
    quantity: str = "normalised regret",
) -> Any:
    """Grid of per-task anytime regret: ``statistic`` (mean or median) with its 95 % interval.

    Args:
        curves: Output of :func:`hpobench.results.curves.anytime_curves`.
        axis: The x-axis (for the label).
        statistic: ``"mean"`` (bootstrap band) or ``"median"`` (order-statistic band).
        shared_x: Share the x-axis between panels (same grid on every task).
        quantity: What the curves are, for the y label (e.g. ``"hypervolume regret"``).
    """
    plt = pyplot()
    curves = curves.sort_values("benchmark", kind="stable")
    lo_col, hi_col = ("lo", "hi") if statistic == "mean" else ("median_lo", "median_hi")
    benches = sorted(curves["benchmark"].unique())
    prefix, titles = panel_titles(benches)
    methods = sorted(curves["method"].unique())
    colors = method_colors(methods)
    # at most 4 panels of 3.4 in across: the figure is at most ~1360 px wide, so the HTML
    # report (1200 px column) shows its text at nearly full size
    cols = min(4 if len(benches) > 9 else 3, max(len(benches), 1))
    rows = max(int(np.ceil(len(benches) / cols)), 1)
    legend_in = 0.1 + 0.21 * int(np.ceil(len(methods) / 4))  # legend rows of 4 methods
    bottom_in = legend_in + 0.6  # legend, then the x label, then the bottom row's tick labels
    top_in = 0.6 if prefix else 0.3  # a line above the grid names the tasks' common prefix
    height = 2.6 * rows + bottom_in + top_in
    width = 3.4 * cols
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
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
        sub = c[[statistic, lo_col, hi_col]].to_numpy(dtype=float)
        floor = _floor(sub)
        lines, bands, line_colors, band_colors = [], [], [], []
        for method, members in c.groupby("method", sort=True, observed=True).indices.items():
            x = c["x"].to_numpy()[members]
            xs = np.repeat(x, 2)[1:]
            y, lo, hi = (
                np.repeat(np.maximum(c[col].to_numpy()[members], floor), 2)[:-1]
                for col in (statistic, lo_col, hi_col)
            )
            curve_markers(ax, xs[::2], y[::2], str(method))
            lines.append(np.column_stack([xs, y]))
            bands.append(np.column_stack([np.r_[xs, xs[::-1]], np.r_[hi, lo[::-1]]]))
            line_colors.append(rgba[str(method)])
            band_colors.append((*rgba[str(method)][:3], 0.18))
        ax.add_collection(PolyCollection(bands, facecolors=band_colors, linewidths=0), autolim=False)
        ax.add_collection(LineCollection(lines, colors=line_colors, linewidths=1.2), autolim=False)
        y_lo = floor * 1.5
        y_hi = max(float(np.nanmax(sub, initial=floor)), floor)
        xv = c["x"].to_numpy(dtype=float)
        x_lo, x_hi = x_all if shared_x else (float(np.nanmin(xv[xv > 0], initial=1.0)), float(np.nanmax(xv)))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(x_lo, x_hi * 1.05 if x_hi > x_lo else x_lo * 10)
        ax.set_ylim(y_lo / 1.5, y_hi * 1.5 if y_hi > y_lo else y_lo * 10)
        # a fixed title position: automatic placement measures every tick label on every draw
        ax.set_title(titles[bench], fontsize=TICK_SIZE, y=1.0)
        log_ticks(ax)
        ax.tick_params(labelsize=TICK_SIZE)
        ax.grid(alpha=0.3)
        # the axis labels are the figure's (below); fixed coordinates skip the same measuring
        ax.xaxis.set_label_coords(0.5, 0.0)
        ax.yaxis.set_label_coords(0.0, 0.5)
    for ax in list(axes.flat)[len(benches) :]:
        ax.axis("off")
    if prefix:
        fig.suptitle(f"tasks {prefix}…", y=1 - 0.08 / height, va="top", fontsize=TICK_SIZE + 1)
    fig.supylabel(f"{quantity} ({statistic})", x=0.12 / width, fontsize=TICK_SIZE + 1)
    fig.supxlabel(
        _x_label(axis, relative=False), y=(legend_in + 0.05) / height, fontsize=TICK_SIZE + 1, va="bottom"
    )
    fig.legend(
        handles=legend_handles(methods),
        loc="lower center",
        ncol=min(len(methods), 4),
        frameon=False,
        fontsize=TICK_SIZE + 1,
        bbox_to_anchor=(0.5, 0.02 / height),
    )
    # fixed margins in inches: tight_layout costs seconds on large grids
    fig.subplots_adjust(
        left=0.8 / width,
        right=1 - 0.12 / width,
        bottom=bottom_in / height,
        top=1 - top_in / height,
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
    plt = pyplot()
    methods = sorted(set(aggregate["method"]) | set(ranks["method"]))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    floor = _floor(aggregate[["mean", "lo", "hi"]].to_numpy(dtype=float))
    for method, c in aggregate.groupby("method", sort=True, observed=True):
        y = np.maximum(c["mean"].to_numpy(), floor)
        color, marker = method_style(str(method))
        left.plot(
            c["x"], y, label=method, color=color, drawstyle="steps-post", lw=1.4, marker=marker,
            markevery=marker_spacing(len(y)), markersize=4,
        )  # fmt: skip
        left.fill_between(
            c["x"],
            np.maximum(c["lo"].to_numpy(), floor),
            np.maximum(c["hi"].to_numpy(), floor),
            color=color,
            alpha=0.18,
            step="post",
            linewidth=0,
        )
    for method, c in _full_ranks(ranks).groupby("method", sort=True, observed=True):
        color, marker = method_style(str(method))
        right.plot(
            c["x"], c["rank"], label=method, color=color, drawstyle="steps-post", lw=1.4, marker=marker,
            markevery=marker_spacing(len(c)), markersize=4,
        )  # fmt: skip
    label = _x_label(axis, relative=relative)
    left.set_yscale("log")
    if len(aggregate):
        top = float(np.nanmax(aggregate[["mean", "lo", "hi"]].to_numpy(dtype=float), initial=floor))
        left.set_ylim(floor, max(top, floor) * 1.5)
    right.set_ylim(0.5, len(methods) + 0.5)
    left.set_ylabel("normalised regret, mean over tasks", fontsize=9)
    left.set_title("Anytime regret over all tasks (95 % bootstrap CI over tasks)", fontsize=10)
    right.set_ylabel("average rank (1 = best)", fontsize=9)
    right.set_title("Average rank over tasks and seeds", fontsize=10)
    right.invert_yaxis()
    for ax in (left, right):
        ax.set_xscale("log")
        log_ticks(ax, y=ax is left)
        ax.set_xlabel(label, fontsize=TICK_SIZE)
        ax.tick_params(labelsize=TICK_SIZE)
        ax.grid(alpha=0.3)
    if len(aggregate):  # one x range for both panels: a rank curve that starts late shows it
        right.set_xlim(left.get_xlim())
    figure_legend(fig, left, len(methods))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.22, top=0.92, wspace=0.22)
    return fig


def plot_cd(result: FriedmanResult, *, title: str = "") -> Any:
    """Critical-difference diagram (Demšar 2006), rank 1 (best) on the left.

    Methods whose average ranks differ by less than the Nemenyi critical difference are joined by
    a bar (no significant difference).
    """
    plt = pyplot()
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
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for method, c in profiles.groupby("method", sort=True, observed=True):
        color, marker = method_style(str(method))
        ax.plot(
            c["x"], c["fraction"], label=method, color=color, drawstyle="steps-post", lw=1.4, marker=marker,
            markevery=marker_spacing(len(c)), markersize=4,
        )  # fmt: skip
    ax.set_xscale("log")
    log_ticks(ax, y=False)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(_x_label(axis, relative=relative), fontsize=TICK_SIZE)
    ax.set_ylabel("fraction of (run, target) pairs reached", fontsize=9)
    ax.set_title(f"ECDF over {targets} normalised-regret targets (1 to 1e-8)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=TICK_SIZE, frameon=False, loc="upper left")
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.92)
    return fig
