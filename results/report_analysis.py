"""Every number of the single-objective study report, computed from loaded results (no files written).

:func:`analyse` turns the single-objective part of a :class:`~hpobench.results.load.StudyResults`
into a frozen :class:`Analysis` (regret, anytime curves, ranks, the final table, Friedman and
Wilcoxon tests, ECDF profiles, speed-ups) and appends to ``notes`` what a reader of the report
must know (failed or empty runs, fallbacks, skipped tests, incumbents that beat the reference).
It is a pure function of its inputs; the documents (:mod:`hpobench.results.report_sections`)
and figures (:mod:`hpobench.results.report_figures`) are drawn from its result.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hpobench.results.curves import anytime_curves, bootstrap_mean_ci, step_matrix
from hpobench.results.load import StudyResults
from hpobench.results.profiles import ecdf_profiles
from hpobench.results.ranks import final_ranks, ranks_over_time
from hpobench.results.regret import XAxis, add_regret, final_regret, resolve_references
from hpobench.results.significance import ALPHA, power_notes
from hpobench.results.speedup import BASELINE, speedups
from hpobench.results.stats import Blocks, FriedmanResult, block_table, friedman, wilcoxon_holm
from hpobench.results.tables import Table, final_stats, final_table


@dataclass(frozen=True, kw_only=True)
class Analysis:
    """Every number of the report (pure results, no files).

    It holds no per-evaluation table: what is drawn and printed is computed here, so the study's
    evaluations (millions of rows) can be released once :func:`analyse` returns.
    """

    curves: pd.DataFrame
    aggregate: pd.DataFrame
    ranks: pd.DataFrame
    final: pd.DataFrame
    table: Table
    friedman: FriedmanResult | None
    blocks: Blocks
    n_blocks: int
    n_complete: int
    wilcoxon: pd.DataFrame
    profiles: pd.DataFrame
    speedup: pd.DataFrame
    notes: list[str]


def _aggregate(sm_values: np.ndarray, runs: pd.DataFrame, grid: np.ndarray) -> pd.DataFrame:
    """Per method: mean over tasks of the per-task mean curve, bootstrap interval over tasks."""
    out = []
    for method, rows in runs.groupby("method", sort=True, observed=True).indices.items():
        per_task = []
        for _, task_rows in runs.iloc[rows].groupby("benchmark", observed=True).indices.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                per_task.append(np.nanmean(sm_values[np.asarray(rows)[task_rows]], axis=0))
        mat = np.vstack(per_task)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(mat, axis=0)
        lo, hi = bootstrap_mean_ci(mat)
        keep = np.isfinite(mean) & np.r_[True, grid[1:] != grid[:-1]]
        out.append(
            pd.DataFrame(
                {"method": method, "x": grid[keep], "mean": mean[keep], "lo": lo[keep], "hi": hi[keep]}
            )
        )
    return pd.concat(out, ignore_index=True)


def analyse(
    results: StudyResults, axis: XAxis, points: int, notes: list[str], blocks: Blocks
) -> Analysis | None:
    """Compute every number of the report; append what the reader must know to ``notes``.

    ``blocks`` is the one block definition of the rank row, the ranks over time, the
    critical-difference diagram and the pairwise tests.

    Returns ``None`` when no successful run has an evaluation (the notes then say why).
    """
    runs = results.runs
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        notes.append(f"{len(failed)} failed run(s) left out (listed at the end)")
    ok_runs = runs[runs["status"] == "ok"]
    keep = results.evaluations["run_id"].isin(ok_runs["run_id"])
    # no copy of the study's evaluations when every run is kept (the usual case): 3M rows of a
    # 10-seed study are 190 MiB of columns
    evals = results.evaluations if bool(keep.all()) else results.evaluations[keep]
    empty = ok_runs[ok_runs["evaluations"] == 0]
    if len(empty):
        notes.append(f"{len(empty)} run(s) without any evaluation left out: {', '.join(empty['run_id'])}")
    ok_runs, ref_notes = resolve_references(ok_runs, evals)
    notes += ref_notes
    if evals.empty:
        notes.append("no evaluation of a successful run: nothing to score")
        return None
    with_regret = add_regret(evals, ok_runs)
    if not np.isfinite(with_regret["normalized_regret"]).any():
        notes.append("no task has a usable reference range: no normalised regret to score")
        return None
    notes += _below_reference_notes(with_regret)
    relative = axis is XAxis.TIME
    sm = step_matrix(with_regret, axis=axis, points=points)
    curves = anytime_curves(with_regret, matrix=sm)
    grid = sm.grid[0] / sm.grid[0].max() if relative else sm.grid[0]
    aggregate = _aggregate(sm.values, sm.runs, grid)
    ranks = ranks_over_time(sm, blocks=blocks)
    if relative:
        ranks["x"] = np.tile(grid, ranks["method"].nunique())
    final = final_regret(with_regret)
    stats_frame = final_stats(with_regret)
    table = final_table(stats_frame, final_ranks(final, blocks=blocks), blocks=blocks)
    all_blocks = block_table(final, blocks=blocks, complete=False)
    btable = all_blocks.dropna(axis=0, how="any")
    if len(btable) < len(all_blocks):
        notes.append(
            f"{len(all_blocks) - len(btable)} of {len(all_blocks)} {blocks.label} lack a method: the "
            f"tests use the {len(btable)} complete ones; the rank row ranks every block among the "
            "methods it has"
        )
    fr: FriedmanResult | None = None
    wil = pd.DataFrame()
    if btable.shape[1] >= 2 and len(btable) >= 2:
        wil = wilcoxon_holm(btable, alpha=ALPHA)
    if btable.shape[1] >= 3 and len(btable) >= 2:
        fr = friedman(btable, alpha=ALPHA)
    else:
        notes.append(
            f"Friedman test and CD diagram skipped: they need >= 3 methods and >= 2 complete blocks "
            f"({blocks.value}), found {btable.shape[1]} and {len(btable)}"
        )
    notes += power_notes(fr, wil, blocks)
    profiles = ecdf_profiles(with_regret, axis=axis)
    speed = speedups(with_regret, axis=axis)
    if speed.empty:
        notes.append(f"speed-up table skipped: no run of the baseline {BASELINE!r}")
    return Analysis(
        curves=curves,
        aggregate=aggregate,
        ranks=ranks,
        final=final,
        table=table,
        friedman=fr,
        blocks=blocks,
        n_blocks=len(all_blocks),
        n_complete=len(btable),
        wilcoxon=wil,
        profiles=profiles,
        speedup=speed,
        notes=notes,
    )


def _below_reference_notes(with_regret: pd.DataFrame) -> list[str]:
    """Name the tasks where some incumbent beats the reference optimum (negative regret)."""
    below = with_regret[with_regret["normalized_regret"] < 0]
    notes = []
    for bench, rows in below.groupby("benchmark", sort=True, observed=True):
        notes.append(
            f"{bench}: {rows['run_id'].nunique()} run(s) found a value better than the reference "
            f"optimum (normalised regret down to {rows['normalized_regret'].min():.3g}), so the "
            "reference is not the optimum; negative regret is kept in the tables and drawn at the "
            "plots' floor"
        )
    return notes
