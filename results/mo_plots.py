"""Figures of multi-objective studies: found fronts against the reference front, attainment surfaces.

One panel per task, in the objectives' own units (a maximised objective keeps its sign and the
axis reads as it is), the task's reference front in grey and each method in its own colour and
marker (:func:`hpobench.results.plots.method_style`). Tasks with three or more objectives are
drawn as their projection on the first two (the panel title says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from hpobench.results.hypervolume_regret import MOReference
from hpobench.results.plot_style import TICK_SIZE, legend_handles, method_style, panel_titles, pyplot

__all__ = ["plot_attainment", "plot_fronts"]

_REFERENCE = "#555555"


def _grid(benches: list[str], methods: list[str]) -> tuple[Any, Any, dict[str, str]]:
    plt = pyplot()
    cols = min(3, max(len(benches), 1))
    rows = max(int(np.ceil(len(benches) / cols)), 1)
    legend_in = 0.35 + 0.21 * int(np.ceil((len(methods) + 1) / (2 * cols)))
    width, height = 3.6 * cols, 3.0 * rows + legend_in + 0.3
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
    for ax in list(axes.flat)[len(benches) :]:
        ax.axis("off")
    fig.subplots_adjust(
        left=0.75 / width,
        right=1 - 0.15 / width,
        bottom=(legend_in + 0.45) / height,
        top=1 - 0.35 / height,
        wspace=0.35,
        hspace=0.55,
    )
    _, titles = panel_titles(benches)
    handles = [*legend_handles(methods)]
    handles.append(Line2D([], [], color=_REFERENCE, lw=2, label="reference front"))
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=min(len(handles), 2 * cols),
        frameon=False,
        fontsize=TICK_SIZE,
        bbox_to_anchor=(0.5, 0.02 / height),
    )
    return fig, axes, titles


def _reference(ax: Any, ref: MOReference) -> None:
    front = np.asarray(ref.reference.front, dtype=float)[:, :2]
    if len(ref.objectives) > 2:  # a projected front is a cloud, not a curve
        ax.plot(
            front[:, 0],
            front[:, 1],
            linestyle="none",
            marker=".",
            color=_REFERENCE,
            ms=3,
            alpha=0.5,
            zorder=1,
        )
        return
    front = front[np.argsort(front[:, 0], kind="stable")]
    ax.plot(front[:, 0], front[:, 1], color=_REFERENCE, lw=2, alpha=0.6, zorder=1)


def _labels(ax: Any, ref: MOReference, title: str) -> None:
    names = [f"{o.name} ({o.direction.value[:3]})" for o in ref.objectives]
    ax.set_xlabel(names[0], fontsize=TICK_SIZE)
    ax.set_ylabel(names[1], fontsize=TICK_SIZE)
    suffix = f" (projection, {len(names)} obj.)" if len(names) > 2 else ""
    ax.set_title(title + suffix, fontsize=TICK_SIZE)
    ax.tick_params(labelsize=TICK_SIZE - 1)
    ax.grid(alpha=0.3)


def _limits(ax: Any, ref: MOReference) -> None:
    """Axes from the front's ideal point to the reference point (in the objectives' own units)."""
    front = np.asarray(ref.reference.front, dtype=float)[:, :2]
    point = np.asarray(ref.reference.reference_point, dtype=float)[:2]
    ideal = (front * ref.signs[:2]).min(axis=0) * ref.signs[:2]
    for i, setter in enumerate((ax.set_xlim, ax.set_ylim)):
        lo, hi = sorted((ideal[i], point[i]))
        pad = 0.04 * (hi - lo)
        setter(lo - pad, hi + pad)


def _panels(
    frame: pd.DataFrame, references: Mapping[str, MOReference]
) -> tuple[Any, list[tuple[Any, MOReference, pd.DataFrame]]]:
    """A grid with one panel per task of ``frame``, and each panel's axes, reference and rows.

    Each panel has its reference front drawn and its axes labelled and limited.
    """
    benches = sorted(set(frame["benchmark"].astype(str)) & set(references))
    fig, axes, titles = _grid(benches, sorted(frame["method"].astype(str).unique()))
    panels = []
    for ax, bench in zip(axes.flat, benches, strict=False):
        ref = references[bench]
        _reference(ax, ref)
        _limits(ax, ref)
        _labels(ax, ref, titles[bench])
        panels.append((ax, ref, frame[frame["benchmark"] == bench]))
    return fig, panels


def plot_fronts(fronts: pd.DataFrame, references: Mapping[str, MOReference]) -> Any:
    """Per task: every method's found front (the union of its seeds' final fronts, non-dominated).

    Args:
        fronts: :func:`hpobench.results.hypervolume_regret.final_fronts`.
        references: Benchmark -> reference.
    """
    from hpobench.contracts.pareto import pareto_mask

    fig, panels = _panels(fronts, references)
    for ax, ref, rows in panels:
        names = [o.name for o in ref.objectives]
        for method, group in rows.groupby("method", sort=True, observed=True):
            points = group[names].to_numpy(dtype=float)
            points = points[pareto_mask(points * ref.signs)]
            color, marker = method_style(str(method))
            ax.plot(
                points[:, 0], points[:, 1], linestyle="none", marker=marker, color=color, ms=3.5, alpha=0.8
            )
    return fig


def _staircase(corners: np.ndarray, signs: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """The boundary of the region a surface's corners attain, clipped at ``bound`` (own units)."""
    c = corners * signs
    b = bound * signs
    xs = np.repeat(c[:, 0], 2)
    ys = np.empty_like(xs)
    ys[0::2] = np.r_[b[1], c[:-1, 1]]
    ys[1::2] = c[:, 1]
    path = np.vstack([np.c_[xs, ys], [b[0], c[-1, 1]]])
    return np.asarray(path * signs, dtype=float)


def plot_attainment(surfaces: pd.DataFrame, references: Mapping[str, MOReference]) -> Any:
    """Per two-objective task: each method's median attainment surface and its quartile surfaces.

    Args:
        surfaces: :func:`hpobench.results.attainment.attainment_frame` (quantiles 0.25, 0.5, 0.75).
        references: Benchmark -> reference.
    """
    fig, panels = _panels(surfaces, references)
    for ax, ref, rows in panels:
        bound = np.asarray(ref.reference.reference_point, dtype=float)
        for _, group in rows.groupby(["method", "quantile"], sort=True, observed=True):
            corners = group[["x", "y"]].to_numpy(dtype=float)
            if len(corners) == 0:
                continue
            path = _staircase(corners, ref.signs, bound)
            color, _ = method_style(str(group["method"].iloc[0]))
            median = abs(float(group["quantile"].iloc[0]) - 0.5) < 1e-9
            ax.plot(
                path[:, 0], path[:, 1], color=color, lw=1.6 if median else 0.9, ls="-" if median else "--"
            )
    return fig
