"""The multi-objective section of the study report (:func:`hpobench.results.report.write_report`).

Written when the study has runs on multi-objective tasks: their score is hypervolume regret
(:mod:`hpobench.results.hypervolume_regret`), analysed with the single-objective machinery (the
anytime curves of :mod:`hpobench.results.curves`, the ranks, the Friedman / Nemenyi and paired
Wilcoxon tests of :mod:`hpobench.results.stats` with hypervolume regret as the score), plus
per-task Pareto-front plots and empirical attainment surfaces (:mod:`hpobench.results.attainment`).
Files, next to the rest of the report: ``mo_regret``, ``mo_fronts``, ``mo_attainment`` and
``mo_cd`` figures; ``mo_final.csv``, ``mo_curves.csv``, ``mo_fronts.csv``, ``mo_attainment.csv``,
``mo_wilcoxon.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from hpobench.results import mo_plots, plots
from hpobench.results.attainment import QUANTILES, attainment_frame
from hpobench.results.curves import anytime_curves, step_matrix
from hpobench.results.html import Section
from hpobench.results.hypervolume_regret import (
    MOReference,
    add_hv_regret,
    final_fronts,
    final_hv_regret,
    mo_references,
)
from hpobench.results.load import StudyResults
from hpobench.results.ranks import final_ranks
from hpobench.results.regret import XAxis
from hpobench.results.significance import (
    ALPHA,
    friedman_text,
    power_notes,
    test_sections,
    tests_text,
    wilcoxon_frame,
)
from hpobench.results.stats import Blocks, FriedmanResult, block_table, friedman, wilcoxon_holm
from hpobench.results.tables import (
    Table,
    final_stats,
    final_table,
    frame_table,
    to_html,
    to_latex,
    to_markdown,
)

__all__ = [
    "MOAnalysis",
    "analyse_mo",
    "mo_figures",
    "mo_html",
    "mo_latex",
    "mo_markdown",
    "split_results",
    "write_mo_csv",
]

_DEFINITION = (
    "Multi-objective tasks are scored by hypervolume regret: (HV(reference front) - HV(found "
    "front)) / HV(reference front), each objective scaled so that the reference front's ideal point "
    "is 0 and the task's fixed reference point is 1 (0 = the reference front, 1 = nothing found "
    "dominates the reference point). The found front is the run's observed non-dominated "
    "evaluations, scored by their noise-free values at the maximal fidelity."
)


@dataclass(frozen=True, kw_only=True)
class MOAnalysis:
    """Every number of the multi-objective section.

    Attributes:
        with_hv: Evaluations of the multi-objective runs with ``hv_regret`` and ``igd_plus``.
        references: Benchmark -> its objectives and Pareto reference.
        curves: Anytime hypervolume regret per task x method (:func:`anytime_curves`).
        final: One row per run: final hypervolume regret and IGD+.
        table: Final hypervolume regret per task x method with the average-rank row.
        igd_table: Final IGD+ per task x method (mean over seeds).
        fronts: The runs' final found fronts.
        attainment: Attainment surfaces of the two-objective tasks.
        friedman: Friedman test on final hypervolume regret (``None`` below 3 methods).
        wilcoxon: Paired Wilcoxon tests, Holm-corrected.
        blocks: The block definition of the ranks and tests.
        n_blocks: Blocks in all; n_complete: those with every method.
        scalarised: Labels of single-objective methods that ran through a declared
            scalarisation (:mod:`hpobench.execution.scalarization`), from the runs' specs.
    """

    with_hv: pd.DataFrame
    references: dict[str, MOReference]
    curves: pd.DataFrame
    final: pd.DataFrame
    table: Table
    igd_table: Table
    fronts: pd.DataFrame
    attainment: pd.DataFrame
    friedman: FriedmanResult | None
    wilcoxon: pd.DataFrame
    blocks: Blocks
    n_blocks: int
    n_complete: int
    scalarised: tuple[str, ...] = ()


def _igd_table(final: pd.DataFrame) -> Table:
    stats = (
        final.groupby(["benchmark", "method"], sort=True, observed=True)["igd_plus"]
        .agg(["mean", "count"])
        .reset_index()
    )
    wide = stats.pivot(index="benchmark", columns="method", values="mean").reset_index()
    table = frame_table(wide)
    return replace(
        table, caption="Final IGD+ to the scaled reference front, mean over seeds (0 = reaches it)."
    )


def analyse_mo(
    results: StudyResults, *, axis: XAxis, points: int, blocks: Blocks, notes: list[str]
) -> MOAnalysis | None:
    """Score the study's ok multi-objective runs; ``None`` when it has none (notes say why not)."""
    runs = results.runs[results.runs["status"] == "ok"]
    references, ref_notes = mo_references(results.provenance, runs)
    notes += ref_notes
    if not references:
        return None
    runs = runs[runs["benchmark"].isin(list(references))]
    evals = results.evaluations[results.evaluations["run_id"].isin(runs["run_id"])]
    evals = evals[evals["run_id"].isin(runs.loc[runs["evaluations"] > 0, "run_id"])]
    if evals.empty:
        notes.append("multi-objective runs without any evaluation: no hypervolume regret to score")
        return None
    with_hv = add_hv_regret(evals, references)
    sm = step_matrix(with_hv, axis=axis, column="hv_regret", points=points)
    curves = anytime_curves(with_hv, matrix=sm)
    final = final_hv_regret(with_hv)
    table = final_table(
        final_stats(with_hv, column="hv_regret"),
        final_ranks(final, column="hv_regret", blocks=blocks),
        blocks=blocks,
    )
    table = replace(
        table,
        caption="Final hypervolume regret, mean ± standard error over seeds (0 = reference front, "
        f"1 = nothing dominates the reference point); best mean per task in bold; last row: average "
        f"rank over {blocks.label}.",
    )
    all_blocks = block_table(final, column="hv_regret", blocks=blocks, complete=False)
    complete = all_blocks.dropna(axis=0, how="any")
    fr = friedman(complete, alpha=ALPHA) if complete.shape[1] >= 3 and len(complete) >= 2 else None
    wil = (
        wilcoxon_holm(complete, alpha=ALPHA)
        if complete.shape[1] >= 2 and len(complete) >= 2
        else pd.DataFrame()
    )
    if fr is None:
        notes.append(
            "multi-objective Friedman test and CD diagram skipped: they need >= 3 methods and >= 2 "
            f"complete blocks, found {complete.shape[1]} and {len(complete)}"
        )
    notes += [f"multi-objective: {n}" for n in power_notes(fr, wil, blocks)]
    below = final[final["hv_regret"] < 0]
    for bench in sorted(below["benchmark"].unique()):
        notes.append(
            f"{bench}: some runs' fronts dominate more than the reference front (hypervolume regret "
            f"down to {below.loc[below['benchmark'] == bench, 'hv_regret'].min():.3g}), so the reference "
            "front is not the Pareto front"
        )
    fronts = final_fronts(evals, references)
    scalarised = {
        str(label)
        for run_id, label in zip(runs["run_id"], runs["method"], strict=True)
        if "scalarization" in (results.provenance.get(run_id, {}).get("spec") or {})
    }
    return MOAnalysis(
        with_hv=with_hv,
        references=references,
        curves=curves,
        final=final,
        table=table,
        igd_table=_igd_table(final),
        fronts=fronts,
        attainment=attainment_frame(fronts, references),
        friedman=fr,
        wilcoxon=wil,
        blocks=blocks,
        n_blocks=len(all_blocks),
        n_complete=len(complete),
        scalarised=tuple(sorted(scalarised)),
    )


def mo_figures(a: MOAnalysis, axis: XAxis, dest: Path) -> tuple[dict[str, Path], list[Path]]:
    """Draw the section's figures into ``dest``; return each PNG by name and every file written."""
    made = {
        "mo_regret": plots.plot_curves(
            a.curves, axis, shared_x=axis is not XAxis.TIME, quantity="hypervolume regret"
        ),
        "mo_fronts": mo_plots.plot_fronts(a.fronts, a.references),
    }
    if len(a.attainment):
        made["mo_attainment"] = mo_plots.plot_attainment(a.attainment, a.references)
    if a.friedman is not None:
        made["mo_cd"] = plots.plot_cd(a.friedman, title=f"Final hypervolume regret, {a.blocks.label}")
    pngs: dict[str, Path] = {}
    written: list[Path] = []
    for name, fig in made.items():
        files = plots.save(fig, dest / f"{name}.png")
        pngs[name] = files[0]
        written += files
    return pngs, written


def write_mo_csv(a: MOAnalysis, dest: Path) -> None:
    """The numbers behind the section's tables and figures."""
    a.final.to_csv(dest / "mo_final.csv", index=False)
    a.curves.to_csv(dest / "mo_curves.csv", index=False)
    a.fronts.to_csv(dest / "mo_fronts.csv", index=False)
    a.attainment.to_csv(dest / "mo_attainment.csv", index=False)
    a.wilcoxon.to_csv(dest / "mo_wilcoxon.csv", index=False)


def _tasks_frame(a: MOAnalysis) -> pd.DataFrame:
    rows = []
    for bench, ref in sorted(a.references.items()):
        rows.append(
            {
                "benchmark": bench,
                "objectives": ", ".join(f"{o.name} ({o.direction.value[:3]})" for o in ref.objectives),
                "reference point": ", ".join(f"{v:.4g}" for v in ref.reference.reference_point),
                "front points": len(ref.reference.front),
                "source": ref.reference.source,
            }
        )
    return pd.DataFrame(rows)


def _scalarised_text(a: MOAnalysis) -> str:
    if not a.scalarised:
        return ""
    return (
        "Single-objective methods run through a declared scalarisation of the scaled objectives "
        "(they optimise one combined objective; their runs are scored like the others): "
        + "; ".join(a.scalarised)
        + "."
    )


def _attainment_caption() -> str:
    shown = ", ".join(f"{q:.0%}" for q in QUANTILES)
    return (
        f"Empirical attainment surfaces over seeds ({shown}; solid: median, dashed: quartiles) of "
        "each two-objective task, with the reference front in grey."
    )


def mo_markdown(a: MOAnalysis, figures: dict[str, Path]) -> list[str]:
    """The section's Markdown lines."""
    lines = ["## Multi-objective tasks: final hypervolume regret", "", _DEFINITION, ""]
    if a.scalarised:
        lines += [_scalarised_text(a), ""]
    lines += [a.table.caption, "", to_markdown(a.table)]
    lines += [a.igd_table.caption, "", to_markdown(a.igd_table)]
    lines += ["### Statistical tests on final hypervolume regret", ""]
    lines += [tests_text(a.blocks, n_blocks=a.n_blocks, n_complete=a.n_complete), ""]
    if a.friedman is not None:
        ranks = a.friedman.average_ranks.rename("average rank").reset_index()
        lines += [friedman_text(a.friedman, a.blocks), "", to_markdown(frame_table(ranks))]
    if len(a.wilcoxon):
        lines += ["Paired Wilcoxon signed-rank tests (Holm-corrected):", ""]
        lines += [to_markdown(frame_table(wilcoxon_frame(a.wilcoxon)))]
    lines += ["### Multi-objective tasks and references", "", to_markdown(frame_table(_tasks_frame(a)))]
    lines += ["### Multi-objective figures", ""]
    lines += [f"- {name}: `{p.name}` (and `.svg`)" for name, p in figures.items()] + [""]
    return lines


def mo_latex(a: MOAnalysis) -> str:
    """The section's LaTeX tables."""
    parts = [
        to_latex(a.table, label="tab:final-hv-regret"),
        to_latex(a.igd_table, label="tab:final-igd-plus"),
    ]
    if len(a.wilcoxon):
        t = frame_table(
            wilcoxon_frame(a.wilcoxon),
            caption=f"Paired Wilcoxon signed-rank tests on final hypervolume regret over {a.blocks.label}, "
            "Holm-corrected.",
        )
        parts.append(to_latex(t, label="tab:mo-wilcoxon"))
    return "\n".join(parts)


def mo_html(a: MOAnalysis, figures: dict[str, Path]) -> list[Section]:
    """The section's parts of the HTML page."""
    tests = tests_text(a.blocks, n_blocks=a.n_blocks, n_complete=a.n_complete)
    sections = [
        Section(
            title="Multi-objective tasks: final hypervolume regret",
            text=f"{_DEFINITION} {_scalarised_text(a)}".strip(),
            fragments=[to_html(a.table), to_html(a.igd_table)],
        )
    ]
    sections += test_sections(
        a.friedman,
        a.wilcoxon,
        tests=tests,
        blocks=a.blocks,
        cd_png=figures.get("mo_cd"),
        score="final hypervolume regret",
        cd_title="Multi-objective: critical-difference diagram",
        wilcoxon_title="Multi-objective: paired Wilcoxon signed-rank tests (Holm-corrected)",
    )
    sections.append(
        Section(
            title="Multi-objective: anytime hypervolume regret per task",
            figures=[
                (figures["mo_regret"], "Mean hypervolume regret with 95 % bootstrap interval over seeds.")
            ],
        )
    )
    sections.append(
        Section(
            title="Multi-objective: found fronts",
            figures=[
                (
                    figures["mo_fronts"],
                    "Each method's found front (non-dominated union of its seeds' final fronts, noise-free "
                    "values at the maximal fidelity) against the reference front (grey).",
                )
            ],
        )
    )
    if "mo_attainment" in figures:
        sections.append(
            Section(
                title="Multi-objective: empirical attainment surfaces",
                figures=[(figures["mo_attainment"], _attainment_caption())],
            )
        )
    sections.append(
        Section(
            title="Multi-objective tasks and references", fragments=[to_html(frame_table(_tasks_frame(a)))]
        )
    )
    return sections


def split_results(results: StudyResults) -> tuple[StudyResults, bool]:
    """The study without its multi-objective runs, and whether it had any.

    The single-objective part of the report scores what remains; this section the rest.
    """
    mo_ids = set(results.provenance)
    if not mo_ids:
        return results, False
    runs = results.runs[~results.runs["run_id"].isin(mo_ids)].reset_index(drop=True)
    evals = results.evaluations[~results.evaluations["run_id"].isin(mo_ids)].reset_index(drop=True)
    return StudyResults(evaluations=evals, runs=runs, problems=results.problems, provenance={}), True
