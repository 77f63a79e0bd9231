"""Final-budget tables, rendered as Markdown, LaTeX (booktabs) and HTML.

A table is a plain frame (rows, columns, cell text) plus which cells to emphasise, so the three
renderings always agree.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hpobench.results.curves import bootstrap_mean_ci
from hpobench.results.regret import final_regret
from hpobench.results.stats import Blocks

__all__ = ["Table", "final_stats", "final_table", "frame_table", "to_html", "to_latex", "to_markdown"]


@dataclass(frozen=True, kw_only=True)
class Table:
    """Cell texts with a header, and the cells to print in bold.

    Attributes:
        header: Column titles (the first one titles the row labels).
        rows: One list of cell texts per row, the row label first.
        bold: (row, column) positions, counting the label column as 0.
        caption: One sentence saying what the numbers are.
    """

    header: list[str]
    rows: list[list[str]]
    bold: set[tuple[int, int]] = field(default_factory=set)
    caption: str = ""


def final_stats(with_regret: pd.DataFrame, *, column: str = "normalized_regret") -> pd.DataFrame:
    """Final regret per benchmark x method over seeds.

    Returns:
        Columns benchmark, method, mean, se, lo, hi (95 % bootstrap interval of the mean),
        median, n.
    """
    final = final_regret(with_regret, column=column)
    grouped = final.groupby(["benchmark", "method"], sort=True, observed=True)[column]
    out = grouped.agg(mean="mean", sd="std", median="median", n="count").reset_index()
    out["se"] = (out["sd"] / np.sqrt(out["n"])).fillna(0.0)
    lo = np.full(len(out), np.nan)
    hi = np.full(len(out), np.nan)
    values = [s.to_numpy(dtype=float) for _, s in grouped]
    by_size: dict[int, list[int]] = {}
    for i, v in enumerate(values):
        by_size.setdefault(len(v), []).append(i)
    for idx in by_size.values():  # one bootstrap per group size, all groups side by side
        a, b = bootstrap_mean_ci(np.column_stack([values[i] for i in idx]))
        lo[idx], hi[idx] = a, b
    out["lo"], out["hi"] = lo, hi
    return out[["benchmark", "method", "mean", "se", "lo", "hi", "median", "n"]]


def final_table(stats: pd.DataFrame, ranks: pd.Series, *, blocks: Blocks = Blocks.TASK_SEED) -> Table:
    """Benchmarks x methods of ``mean ± se (n=..)``, best mean per row in bold, average rank last.

    Args:
        stats: Output of :func:`final_stats`.
        ranks: Average rank per method (:func:`hpobench.results.ranks.final_ranks`).
        blocks: The blocks ``ranks`` were computed over, named in the caption.
    """
    methods = sorted(stats["method"].unique())
    cell = {(r.benchmark, r.method): r for r in stats.itertuples()}
    table = Table(
        header=["benchmark", *methods],
        rows=[],
        caption="Final normalised regret, mean ± standard error over seeds (0 = reference optimum, "
        f"1 = reference worst); best mean per task in bold; last row: average rank over "
        f"{blocks.label}.",
    )
    for i, bench in enumerate(sorted(stats["benchmark"].unique())):
        row = [str(bench)]
        present = np.array([cell[(bench, m)].mean for m in methods if (bench, m) in cell], dtype=float)
        best = np.nanmin(present) if np.isfinite(present).any() else np.nan
        for j, m in enumerate(methods, start=1):
            r = cell.get((bench, m))
            if r is None:
                row.append("—")
                continue
            row.append(f"{r.mean:.3g} ± {r.se:.2g} (n={r.n})")
            if r.mean == best:
                table.bold.add((i, j))
        table.rows.append(row)
    rank_row = ["average rank"] + [f"{ranks.get(m, np.nan):.2f}" for m in methods]
    if len(ranks):
        best_rank = ranks.min()
        for j, m in enumerate(methods, start=1):
            if ranks.get(m) == best_rank:
                table.bold.add((len(table.rows), j))
    table.rows.append(rank_row)
    return table


def to_markdown(table: Table) -> str:
    """GitHub-flavoured Markdown, bold cells as ``**text**``."""
    lines = ["| " + " | ".join(table.header) + " |", "|---" * len(table.header) + "|"]
    for i, row in enumerate(table.rows):
        cells = [f"**{c}**" if (i, j) in table.bold else c for j, c in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _latex_text(text: str) -> str:
    out = "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)
    return out.replace("±", r"$\pm$").replace("—", "--")


def to_latex(table: Table, *, label: str = "tab:hpobench") -> str:
    r"""A booktabs ``table`` environment (needs ``\usepackage{booktabs}``), bold as ``\textbf``."""
    spec = "l" + "r" * (len(table.header) - 1)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\small",
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        " & ".join(_latex_text(h) for h in table.header) + r" \\",
        r"\midrule",
    ]
    for i, row in enumerate(table.rows):
        if i == len(table.rows) - 1 and row and row[0] == "average rank":
            lines.append(r"\midrule")
        cells = [
            rf"\textbf{{{_latex_text(c)}}}" if (i, j) in table.bold else _latex_text(c)
            for j, c in enumerate(row)
        ]
        lines.append(" & ".join(cells) + r" \\")
    lines += [
        r"\bottomrule",
        r"\end{tabular}",
        rf"\caption{{{_latex_text(table.caption)}}}",
        rf"\label{{{label}}}",
        r"\end{table}",
    ]
    return "\n".join(lines) + "\n"


def to_html(table: Table) -> str:
    """An HTML ``<table>`` (escaped text, bold as ``<strong>``)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = []
    for i, row in enumerate(table.rows):
        cells = []
        for j, c in enumerate(row):
            text = html.escape(c)
            text = f"<strong>{text}</strong>" if (i, j) in table.bold else text
            cells.append(f"<th>{text}</th>" if j == 0 else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>\n"


def frame_table(frame: pd.DataFrame, *, caption: str = "", floatfmt: str = ".3g") -> Table:
    """A :class:`Table` from any frame (index ignored), numbers formatted with ``floatfmt``."""

    def fmt(v: object) -> str:
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else "no"
        if isinstance(v, (float, np.floating)):
            return "—" if np.isnan(v) else format(float(v), floatfmt)
        return str(v)

    rows = [[fmt(v) for v in rec] for rec in frame.itertuples(index=False)]
    return Table(header=[str(c) for c in frame.columns], rows=rows, caption=caption)
