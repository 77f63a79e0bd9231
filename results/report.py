"""A short study report: final-regret table (Markdown) and anytime-regret plot (PNG).

``hpobench report OUT`` calls :func:`write_report`; everything is computed from the files of the
study directory, with reference optima taken from the runs' provenance records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hpobench.results.load import StudyResults, load_results
from hpobench.results.regret import XAxis, add_regret, anytime_curves, final_regret

__all__ = ["Report", "final_table", "write_report"]

_FLOOR = 1e-9
"""Smallest regret drawn on the log axis."""


@dataclass(frozen=True, kw_only=True)
class Report:
    """Paths and the rendered Markdown of a written report."""

    markdown: str
    markdown_path: Path
    plot_path: Path


def final_table(with_regret: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard error of the final normalised regret per benchmark x method.

    Returns:
        A frame indexed by benchmark with columns ``(method, "mean" | "se" | "n")``, plus a final
        ``"average rank"`` row (ranks of the mean within each benchmark, 1 = best, ties averaged).
    """
    final = final_regret(with_regret)
    grouped = final.groupby(["benchmark", "method"])["normalized_regret"]
    stats = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    stats["se"] = (stats["sd"] / np.sqrt(stats["n"])).fillna(0.0)
    return stats[["benchmark", "method", "mean", "se", "n"]]


def _markdown(stats: pd.DataFrame, results: StudyResults, axis_note: str) -> str:
    methods = sorted(stats["method"].unique())
    benches = sorted(stats["benchmark"].unique())
    cell = {(r.benchmark, r.method): r for r in stats.itertuples()}
    means = stats.pivot(index="benchmark", columns="method", values="mean")
    ranks = means.rank(axis=1, method="average").mean(axis=0)
    lines = [
        "# hpobench report",
        "",
        "Final normalised regret (mean ± standard error over seeds; 0 = reference optimum, "
        "1 = reference worst). Regret is measured on the incumbent's noise-free value at the "
        "maximal fidelity against the task's reference optimum, so scores do not move when "
        "methods are added.",
        "",
        "| benchmark | " + " | ".join(methods) + " |",
        "|---|" + "---|" * len(methods),
    ]
    for bench in benches:
        row = []
        best = means.loc[bench].min()
        for m in methods:
            r = cell.get((bench, m))
            if r is None:
                row.append("—")
                continue
            text = f"{r.mean:.3g} ± {r.se:.2g} (n={r.n})"
            row.append(f"**{text}**" if r.mean == best else text)
        lines.append(f"| {bench} | " + " | ".join(row) + " |")
    lines.append("| average rank | " + " | ".join(f"{ranks.get(m, np.nan):.2f}" for m in methods) + " |")
    runs = results.runs
    failed = runs[runs["status"] != "ok"]
    lines += ["", f"Runs: {len(runs)} finished, {len(failed)} failed. {axis_note}"]
    sources = runs.drop_duplicates("benchmark")[["benchmark", "ref_best", "ref_worst", "ref_source"]]
    lines += ["", "## Reference values", "", "| benchmark | best | worst | source |", "|---|---|---|---|"]
    lines += [
        f"| {s.benchmark} | {s.ref_best:.6g} | {s.ref_worst:.6g} | {s.ref_source} |"
        for s in sources.itertuples()
    ]
    if len(failed):
        lines += ["", "## Failed runs (excluded from the table)", ""]
        lines += [f"- `{f.run_id}`: {f.error}" for f in failed.itertuples()]
    if results.problems:
        lines += ["", "## Files that could not be read", ""] + [f"- {p}" for p in results.problems]
    return "\n".join(lines) + "\n"


def _plot(curves: pd.DataFrame, path: Path, axis: XAxis) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    benches = sorted(curves["benchmark"].unique())
    cols = min(3, len(benches))
    rows = int(np.ceil(len(benches) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    methods = sorted(curves["method"].unique())
    colors = {m: f"C{i}" for i, m in enumerate(methods)}
    for ax, bench in zip(axes.flat, benches, strict=False):
        for method, c in curves[curves["benchmark"] == bench].groupby("method", sort=True):
            # regret is never negative; exact zeros are drawn at the floor of the log axis
            mean = np.maximum(c["mean"].to_numpy(), _FLOOR)
            se = c["se"].to_numpy()
            lower = np.maximum(mean - se, np.maximum(mean / 10, _FLOOR))
            ax.plot(c["x"], mean, label=method, color=colors[method], drawstyle="steps-post")
            ax.fill_between(
                c["x"], lower, mean + se, color=colors[method], alpha=0.2, step="post", linewidth=0
            )
        ax.set_title(bench, fontsize=10)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(axis.label, fontsize=8)
        ax.set_ylabel("normalised regret", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(benches) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(methods), 5), frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def write_report(out: Path, *, axis: XAxis = XAxis.BUDGET, dest: Path | None = None) -> Report:
    """Write ``report.md`` and ``regret.png`` for the study in ``out``.

    Args:
        out: The study directory.
        axis: The x-axis of the anytime plot.
        dest: Where to write (default ``out/report``).

    Raises:
        DataError: ``out`` holds no finished run.
    """
    results = load_results(out)
    dest = dest or out / "report"
    dest.mkdir(parents=True, exist_ok=True)
    ok_runs = results.runs[results.runs["status"] == "ok"]
    evals = results.evaluations[results.evaluations["run_id"].isin(ok_runs["run_id"])]
    with_regret = add_regret(evals, ok_runs)
    stats = final_table(with_regret)
    plot_path = dest / "regret.png"
    note = f"Anytime plot: mean ± s.e. of normalised regret over {axis.label}: `{plot_path.name}`."
    markdown = _markdown(stats, results, note)
    md_path = dest / "report.md"
    md_path.write_text(markdown, encoding="utf-8")
    if len(with_regret):
        _plot(anytime_curves(with_regret, axis=axis), plot_path, axis)
    return Report(markdown=markdown, markdown_path=md_path, plot_path=plot_path)
