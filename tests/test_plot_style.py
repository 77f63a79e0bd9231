"""Report figures read back: axis limits, labels, colours, font sizes and where rank curves start."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from hpobench.results.plots import method_style, plot_curves, plot_ecdf, plot_summary
from hpobench.results.regret import XAxis

X = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
HTML_COLUMN_PX = 1200 - 2 * 16  # results/html.py: body max-width 1200px, padding 16px
DPI = 100  # results/plots.save's default


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    plt.close("all")


def curves(benchmarks: list[str], methods: list[str], *, lo_zero: bool) -> pd.DataFrame:
    rows = []
    for b in benchmarks:
        for k, m in enumerate(methods):
            mean = np.array([1.0, 0.5, 0.2, 0.1, 0.05]) * (k + 1)
            lo = np.zeros_like(mean) if lo_zero else mean / 2
            for x, y, low in zip(X, mean, lo, strict=True):
                rows.append(
                    {"benchmark": b, "method": m, "x": x, "mean": y, "lo": low, "hi": y * 2}
                    | {"median": y, "median_lo": low, "median_hi": y * 2}
                )
    return pd.DataFrame(rows)


def aggregate(methods: list[str], *, lo_zero: bool) -> pd.DataFrame:
    c = curves(["t"], methods, lo_zero=lo_zero)
    return c[["method", "x", "mean", "lo", "hi"]]


def ranks(methods: list[str], *, late: str | None = None) -> pd.DataFrame:
    """Rank curves; ``late`` has no evaluation (n = 0, rank NaN) at the first two grid points."""
    rows = []
    for i, m in enumerate(methods):
        for p, x in enumerate(X):
            missing = m == late and p < 2
            rows.append(
                {
                    "method": m,
                    "position": p,
                    "x": x,
                    "rank": np.nan if missing else float(i + 1),
                    "n": 0 if missing else 4,
                }
            )
    return pd.DataFrame(rows)


def test_log_panels_are_not_stretched_by_a_band_that_touches_zero() -> None:
    fig = plot_curves(curves(["a/t"], ["random_search", "hyperband"], lo_zero=True), XAxis.BUDGET)
    bottom, top = fig.axes[0].get_ylim()
    assert bottom > 0.01  # the smallest curve value is 0.05: the axis stays near it, not at 1e-9
    assert top > 0.1
    summary = plot_summary(
        aggregate(["random_search", "hyperband"], lo_zero=True), ranks(["random_search", "hyperband"]),
        XAxis.BUDGET, relative=False,
    )  # fmt: skip
    assert summary.axes[0].get_ylim()[0] > 0.01


def test_the_relative_time_axis_is_not_labelled_in_seconds() -> None:
    methods = ["random_search", "hyperband"]
    summary = plot_summary(aggregate(methods, lo_zero=False), ranks(methods), XAxis.TIME, relative=True)
    profiles = pd.DataFrame({"method": ["hyperband"] * 3, "x": [0.1, 0.5, 1.0], "fraction": [0.1, 0.4, 0.9]})
    ecdf = plot_ecdf(profiles, XAxis.TIME, relative=True, targets=3)
    for ax in (*summary.axes, *ecdf.axes):
        label = ax.get_xlabel()
        assert "(s)" not in label
        assert "fraction of each task's range" in label


def _line_colours(ax: Any) -> dict[str, str]:
    return {
        line.get_label(): to_hex(line.get_color())
        for line in ax.get_lines()
        if line.get_linestyle() != "None"
    }


def test_a_method_keeps_its_colour_and_marker_whatever_the_other_methods() -> None:
    alone = plot_summary(
        aggregate(["hyperband"], lo_zero=False), ranks(["hyperband"]), XAxis.EVALS, relative=False
    )
    crowd = ["aaa_new_method", "asha", "hyperband"]
    many = plot_summary(aggregate(crowd, lo_zero=False), ranks(crowd), XAxis.EVALS, relative=False)
    assert _line_colours(alone.axes[0])["hyperband"] == _line_colours(many.axes[0])["hyperband"]
    marker = {line.get_label(): line.get_marker() for line in many.axes[0].get_lines()}
    assert marker["hyperband"] == method_style("hyperband")[1]
    shipped = ["random_search", "successive_halving", "hyperband", "tpe", "bohb", "asha", "dehb", "pbt"]
    assert len({method_style(m) for m in shipped}) == len(shipped)
    assert len({method_style(m)[0] for m in shipped}) == len(shipped)  # distinct colours too


def test_a_grid_of_eleven_tasks_has_readable_ticks_and_legend_in_the_html_report() -> None:
    benchmarks = [f"taskset/task_{i:02d}" for i in range(11)]
    methods = ["random_search", "successive_halving", "hyperband", "asha", "bohb", "dehb"]
    fig = plot_curves(curves(benchmarks, methods, lo_zero=False), XAxis.BUDGET)
    width_px = fig.get_figwidth() * DPI
    scale = min(1.0, HTML_COLUMN_PX / width_px)  # the page shrinks a wider image to its column

    def shown_px(points: float) -> float:
        return points / 72 * DPI * scale

    tick = fig.axes[0].get_xticklabels()[0].get_fontsize()
    legend = fig.legends[0].get_texts()[0].get_fontsize()
    assert shown_px(tick) >= 10
    assert shown_px(legend) >= 11


def test_ranks_are_drawn_only_once_every_method_has_an_evaluation() -> None:
    methods = ["random_search", "hyperband"]
    fig = plot_summary(
        aggregate(methods, lo_zero=False), ranks(methods, late="hyperband"), XAxis.EVALS, relative=False
    )
    rank_axis = fig.axes[1]
    starts = {line.get_label(): min(line.get_xdata()) for line in rank_axis.get_lines()}
    assert starts == {"random_search": X[2], "hyperband": X[2]}
    fewer = ranks(methods, late="hyperband")
    fewer.loc[fewer["method"] == "hyperband", "n"] = fewer["n"].clip(upper=3)  # a failed run: 3 blocks
    lines = (
        plot_summary(aggregate(methods, lo_zero=False), fewer, XAxis.EVALS, relative=False)
        .axes[1]
        .get_lines()
    )
    assert {line.get_label(): min(line.get_xdata()) for line in lines} == starts


def test_html_table_cells_do_not_wrap_numbers_and_wide_tables_scroll() -> None:
    import re

    from hpobench.results.html import Section, render_html

    table = "<table><tr><td>synthetic/branin</td><td>5.8845e-05</td></tr></table>"
    page = render_html("t", "i", [Section(title="Reference values", fragments=[table])])
    css = page[page.index("<style>") : page.index("</style>")]
    assert re.search(r"(^|[}\s])td\{[^}]*white-space:nowrap", css)
    assert f'<div class="scroll">{table}</div>' in page
    assert re.search(r"\.scroll\{[^}]*overflow-x:auto", css)


def test_long_task_names_become_titles_that_fit_their_panels() -> None:
    from hpobench.results.plots import TITLE_CHARS

    benchmarks = [
        f"taskset/FixedTextRNNClassification_imdb_patch{p}_{cell}_embed128"
        for p in (32, 128)
        for cell in ("GRU64", "LSTM128", "IRNN64_relu_avg", "VRNN64_tanh_avg")
    ]
    fig = plot_curves(curves(benchmarks, ["random_search"], lo_zero=False), XAxis.BUDGET)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == len(benchmarks)
    assert all(len(t) <= TITLE_CHARS for t in titles)
    assert "patch32_GRU64_embed128" in titles
    assert fig._suptitle.get_text() == "tasks taskset/FixedTextRNNClassification_imdb_…"


def test_both_summary_panels_share_the_x_range() -> None:
    methods = ["random_search", "hyperband"]
    fig = plot_summary(
        aggregate(methods, lo_zero=False), ranks(methods, late="hyperband"), XAxis.EVALS, relative=False
    )
    assert fig.axes[1].get_xlim() == fig.axes[0].get_xlim()
