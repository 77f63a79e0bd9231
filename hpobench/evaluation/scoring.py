"""Run a planned study and score every run by its final normalised regret.

The one step shared by ``hpobench regress``, the pytest plugin and the paper-reproduction
protocols: execute a :class:`~hpobench.execution.planning.StudyPlan` (joblib fan-out, resume) and reduce each
run to one row, so that statistical assertions work on a small frame instead of raw evaluations.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hpobench.execution.planning import StudyPlan
from hpobench.execution.study import StudySummary, run_study

__all__ = ["SCORE_COLUMNS", "ScoredStudy", "run_scored", "score_study"]

SCORE_COLUMNS = (
    "run_id",
    "benchmark",
    "method",
    "method_name",
    "seed",
    "budget",
    "status",
    "error",
    "evaluations",
    "fidelity_spent",
    "regret",
    "normalized_regret",
    "ref_best",
    "ref_worst",
    "metric",
)
"""Columns of a score frame: one row per run. ``metric`` names what ``normalized_regret`` holds:
``"normalized_regret"`` for single-objective tasks, ``"hv_regret"`` for multi-objective ones
(hypervolume regret, :mod:`hpobench.results.hypervolume_regret`; ``regret`` holds it too, with
``ref_best`` 0 and ``ref_worst`` 1, so that it re-normalises to itself)."""


@dataclass(frozen=True, kw_only=True)
class ScoredStudy:
    """What :func:`run_scored` did and the score of every planned run.

    Attributes:
        summary: Executed / resumed / failed counts of :func:`~hpobench.execution.study.run_study`.
        scores: One row per planned run, columns :data:`SCORE_COLUMNS`.
    """

    summary: StudySummary
    scores: pd.DataFrame


def score_study(
    out: Path, *, run_ids: Collection[str] | None = None, incumbent: str = "any_fidelity"
) -> pd.DataFrame:
    """Score the finished runs of a study directory (optionally only ``run_ids``).

    The score of a run is the normalised regret of its final incumbent (see
    :mod:`hpobench.results.regret`), or on a multi-objective task the hypervolume regret of its
    final found front (:mod:`hpobench.results.hypervolume_regret`); ``method`` is the label with
    keyword arguments (``hyperband(eta=2)``) and ``method_name`` the registered name. A failed run
    keeps its row with ``status == "failed"``, its ``error`` and the regret of what it evaluated
    (NaN if nothing).

    ``incumbent`` names the :class:`hpobench.results.regret.Incumbent` rule (``any_fidelity`` or
    ``max_fidelity``).

    Raises:
        DataError: ``out`` holds no finished run.
        ValueError: Unknown ``incumbent`` rule.
    """
    from hpobench.results.hypervolume_regret import add_hv_regret, mo_references
    from hpobench.results.load import load_results
    from hpobench.results.regret import Incumbent, add_regret, resolve_references

    rule = Incumbent(incumbent)

    loaded = load_results(out)
    runs, evaluations = loaded.runs, loaded.evaluations
    if run_ids is not None:
        wanted = set(run_ids)
        runs = runs[runs["run_id"].isin(wanted)].reset_index(drop=True)
        evaluations = evaluations[evaluations["run_id"].isin(wanted)].reset_index(drop=True)
    runs, _ = resolve_references(runs, evaluations)
    scored = add_regret(evaluations, runs, incumbent=rule)
    last = scored.groupby("run_id", sort=True, observed=True).tail(1).set_index("run_id")
    keep = ["benchmark", "method", "seed", "budget", "status", "error", "ref_best", "ref_worst"]
    frame = runs.set_index("run_id")[keep].copy()
    frame["evaluations"] = runs.set_index("run_id")["evaluations"].astype(np.int64)
    for column in ("fidelity_spent", "regret", "normalized_regret"):
        frame[column] = last[column].reindex(frame.index).astype(float)
    frame["metric"] = "normalized_regret"
    references, _ = mo_references(loaded.provenance, runs)
    if references:
        mo = add_hv_regret(
            evaluations, references, runs=runs, max_fidelity_only=rule is Incumbent.MAX_FIDELITY
        )
        mo = mo.groupby("run_id", sort=True, observed=True).tail(1).set_index("run_id")
        rows = runs["run_id"][runs["benchmark"].isin(list(references))].to_numpy()
        hv = mo["hv_regret"].reindex(rows).astype(float).to_numpy()
        frame.loc[rows, ["regret", "normalized_regret"]] = np.c_[hv, hv]
        frame.loc[rows, ["ref_best", "ref_worst"]] = [0.0, 1.0]
        frame.loc[rows, "metric"] = "hv_regret"
    frame["method_name"] = frame["method"].astype(str).str.partition(" [")[0].str.partition("(")[0]
    frame["seed"] = frame["seed"].astype(np.int64)
    frame["error"] = frame["error"].fillna("").astype(str)
    out_frame: pd.DataFrame = frame.reset_index()[list(SCORE_COLUMNS)]
    return out_frame.sort_values(["benchmark", "method", "seed"], kind="stable").reset_index(drop=True)


def run_scored(
    plan: StudyPlan,
    *,
    out: Path,
    jobs: int = 1,
    data_dir: Path | None = None,
    timeout: float | None = None,
    incumbent: str = "any_fidelity",
) -> ScoredStudy:
    """Execute ``plan`` in ``out`` (resuming finished runs) and score its runs.

    Args:
        plan: The runs.
        out: Study directory; runs already finished there are not redone.
        jobs: Worker processes for the joblib fan-out (``-1``: all cores).
        data_dir: Benchmark data directory.
        timeout: Wall-clock limit per run in seconds, or ``None``.
        incumbent: Incumbent rule of the scores (see :func:`score_study`).

    Raises:
        ValueError: The plan has no runs.
    """
    if not plan.runs:
        raise ValueError("the plan has no runs")
    summary = run_study(plan, out=out, jobs=jobs, data_dir=data_dir, timeout=timeout, progress=False)
    return ScoredStudy(
        summary=summary,
        scores=score_study(out, run_ids=[r.run_id for r in plan.runs], incumbent=incumbent),
    )
