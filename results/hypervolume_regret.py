"""Hypervolume regret and IGD+ of multi-objective runs, as pure functions of frames.

Definitions (every objective first turned into a loss, :func:`hpobench.contracts.pareto.to_minimisation`):

* a task's *scale* maps each objective affinely so that the ideal point of its reference front
  (the best front value of each objective) becomes 0 and its fixed reference point becomes 1;
  both come from the task's :class:`~hpobench.contracts.types.ParetoReference`, so scores do not move when
  a method is added;
* the *found front* after evaluation ``i`` of a run is the set of its evaluations ``0..i`` with
  status ok that no other of them dominates in the **observed** values (at whatever fidelity, the
  convention of the single-objective incumbent), each scored by its configuration's noise-free
  values at the maximal fidelity (``objective_values_max``), as single-objective regret scores the
  incumbent by ``value_max``;
* its *hypervolume regret* is ``(HV(reference front) - HV(found front)) / HV(reference front)``
  on the scaled objectives with reference point ``(1, ..., 1)``: 0 at the reference front, 1 when
  nothing the run found dominates the reference point, negative when the run beats the front;
* its *IGD+* (Ishibuchi et al. 2015) is the mean distance from the scaled reference front to the
  found front, counting only the amounts by which a found point is worse (0 when the found front
  weakly dominates the reference front, infinite before anything was found).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hpobench.contracts.pareto import hypervolume, igd_plus
from hpobench.contracts.types import Direction, Objective, ParetoReference
from hpobench.results.regret import at_max_fidelity

__all__ = [
    "MOReference",
    "add_hv_regret",
    "final_fronts",
    "final_hv_regret",
    "hv_regret_of",
    "mo_references",
]


@dataclass(frozen=True, kw_only=True)
class MOReference:
    """A multi-objective task's objectives and Pareto reference, with the scale they define.

    Attributes:
        objectives: The task's objectives (names and directions), in its order.
        reference: Its Pareto reference, columns in the same order.
    """

    objectives: tuple[Objective, ...]
    reference: ParetoReference

    def __post_init__(self) -> None:
        if tuple(o.name for o in self.objectives) != self.reference.objectives:
            raise ValueError(
                f"the Pareto reference names {self.reference.objectives}, the task "
                f"{tuple(o.name for o in self.objectives)}"
            )
        signs = self.signs
        point = np.asarray(self.reference.reference_point) * signs
        ideal = (np.asarray(self.reference.front) * signs).min(axis=0)
        if not np.all(point > ideal):
            raise ValueError(
                "the reference point must be worse than the front's ideal point in every objective"
            )

    @property
    def signs(self) -> np.ndarray:
        """+1 per minimised objective, -1 per maximised one."""
        return np.array([o.direction.sign for o in self.objectives])

    def scaled(self, values: ArrayLike) -> np.ndarray:
        """Values in the objectives' own units, as losses scaled to ideal 0 and reference point 1."""
        losses = np.asarray(values, dtype=float).reshape(-1, len(self.objectives)) * self.signs
        ideal = (np.asarray(self.reference.front) * self.signs).min(axis=0)
        point = np.asarray(self.reference.reference_point) * self.signs
        return np.asarray((losses - ideal) / (point - ideal), dtype=float)

    @cached_property
    def front(self) -> np.ndarray:
        """The reference front, scaled."""
        return self.scaled(np.asarray(self.reference.front))

    @cached_property
    def front_hypervolume(self) -> float:
        """Hypervolume of the scaled reference front with reference point ``(1, ..., 1)`` (> 0)."""
        return hypervolume(self.front, reference=np.ones(len(self.objectives)))

    @classmethod
    def from_provenance(cls, record: Mapping[str, Any]) -> MOReference:
        """From a run's provenance record (``task.objectives`` and ``pareto_reference``).

        Raises:
            KeyError: The record lacks them (a single-objective run, or an older record).
            ValueError: They do not agree.
        """
        objectives = tuple(
            Objective(name=str(o["name"]), direction=Direction(o["direction"]))
            for o in record["task"]["objectives"]
        )
        ref = record["pareto_reference"]
        return cls(
            objectives=objectives,
            reference=ParetoReference(
                objectives=tuple(ref["objectives"]),
                front=tuple(tuple(row) for row in ref["front"]),
                reference_point=tuple(ref["reference_point"]),
                source=str(ref.get("source", "")),
            ),
        )


def hv_regret_of(values: ArrayLike, ref: MOReference) -> float:
    """Hypervolume regret of a set of points given in the objectives' own units (rows with NaN ignored)."""
    scaled = ref.scaled(values)
    scaled = scaled[np.isfinite(scaled).all(axis=1)]
    found = hypervolume(scaled, reference=np.ones(scaled.shape[1])) if len(scaled) else 0.0
    total = ref.front_hypervolume
    return (total - found) / total


def mo_references(
    provenance: Mapping[str, Mapping[str, Any]], runs: pd.DataFrame
) -> tuple[dict[str, MOReference], list[str]]:
    """Each multi-objective task's reference, from its runs' provenance records.

    Args:
        provenance: Run id -> record (:attr:`hpobench.results.load.StudyResults.provenance`).
        runs: The runs to consider (run_id, benchmark).

    Returns:
        Benchmark -> reference (that of its first run in run-id order), and one note per task
        whose runs recorded different references (their scores are then measured against the first).
    """
    out: dict[str, MOReference] = {}
    notes: list[str] = []
    for run_id, bench in sorted(zip(runs["run_id"], runs["benchmark"], strict=True)):
        record = provenance.get(run_id)
        if record is None or "pareto_reference" not in record:
            continue
        ref = MOReference.from_provenance(record)
        if bench not in out:
            out[bench] = ref
        elif out[bench] != ref and not any(n.startswith(f"{bench}:") for n in notes):
            notes.append(
                f"{bench}: its runs recorded different Pareto references; all are scored against that of "
                f"the first run ({out[bench].reference.source})"
            )
    return out, notes


def _run_scores(
    observed: np.ndarray, at_max: np.ndarray, ok: np.ndarray, ref: MOReference, *, anytime_igd: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Hypervolume regret and IGD+ after each evaluation of one run (see the module docstring).

    The found front is updated per evaluation (a point the front dominates changes nothing; a
    new member evicts the members it dominates), and scored only when it changed. IGD+ is
    computed at every change with ``anytime_igd``, else only after the last evaluation (NaN
    before it).
    """
    n = len(observed)
    regret = np.full(n, np.nan)
    igd = np.full(n, np.nan)
    losses = observed * ref.signs
    scaled_max = ref.scaled(at_max)
    ones = np.ones(observed.shape[1])
    total = ref.front_hypervolume
    members = np.zeros(0, dtype=int)
    current = (math.nan, math.nan)

    def found() -> np.ndarray:
        points = scaled_max[members]
        return np.asarray(points[np.isfinite(points).all(axis=1)], dtype=float)

    def distance(points: np.ndarray) -> float:
        return igd_plus(points, front=ref.front) if len(points) else math.inf

    for i in np.flatnonzero(ok):
        point = losses[i]
        others = losses[members]
        if np.any(np.all(others <= point, axis=1) & np.any(others < point, axis=1)):
            continue
        beaten = np.all(point <= others, axis=1) & np.any(point < others, axis=1)
        members = np.append(members[~beaten], i)
        points = found()
        hv = hypervolume(points, reference=ones) if len(points) else 0.0
        current = ((total - hv) / total, distance(points) if anytime_igd else math.nan)
        regret[i], igd[i] = current
    # carry each change forward to the evaluations after it
    changed = ~np.isnan(regret)
    last = np.maximum.accumulate(np.where(changed, np.arange(n), -1))
    has = last >= 0
    regret = np.where(has, regret[np.maximum(last, 0)], np.nan)
    igd = np.where(has, igd[np.maximum(last, 0)], np.nan)
    if not anytime_igd and n:
        igd[-1] = distance(found()) if has[-1] else math.nan
    return regret, igd


def add_hv_regret(
    evaluations: pd.DataFrame,
    references: Mapping[str, MOReference],
    *,
    anytime_igd: bool = False,
    runs: pd.DataFrame | None = None,
    max_fidelity_only: bool = False,
) -> pd.DataFrame:
    """The evaluations of multi-objective runs, sorted by run and evaluation, with their scores.

    Adds ``n_evals`` (1-based), ``hv_regret`` and ``igd_plus`` of the found front after each
    evaluation (NaN before the first ok one). IGD+ costs a distance matrix to the reference front
    at every change of the found front, so by default it is only computed after each run's last
    evaluation (NaN on its other rows); ``anytime_igd`` computes it after every evaluation. Rows
    of tasks without a reference are dropped.

    Args:
        evaluations: Long format with the columns of :data:`hpobench.results.load.REPORT_COLUMNS`
            and ``objective_values`` / ``objective_values_max``.
        references: Benchmark -> its reference (:func:`mo_references`).
        anytime_igd: Compute IGD+ after every evaluation, not only after each run's last.
        runs: The runs table (``run_id``, ``fidelity_high``); needed with ``max_fidelity_only``.
        max_fidelity_only: Only evaluations at the task's maximal fidelity enter the found front
            (the :attr:`~hpobench.results.regret.Incumbent.MAX_FIDELITY` rule). With an objective
            that grows with the fidelity (training time), a low-fidelity evaluation's observed
            value says nothing of the configuration's cost when trained fully; under this rule a
            run is scored only by the configurations it trained fully. Tasks without a fidelity
            count every evaluation.
    """
    df = evaluations[evaluations["benchmark"].isin(list(references))]
    df = df.sort_values(["run_id", "eval"], kind="stable").reset_index(drop=True)
    regret = np.full(len(df), np.nan)
    igd = np.full(len(df), np.nan)
    benches = df["benchmark"].astype(str).to_numpy()
    highs: dict[Any, float] = {}
    if max_fidelity_only:
        if runs is None:
            raise ValueError("max_fidelity_only needs the runs table (its fidelity_high column)")
        if "fidelity_high" in runs:
            highs = dict(zip(runs["run_id"], runs["fidelity_high"].astype(float), strict=True))
    for rows in df.groupby("run_id", sort=False, observed=True).indices.values():
        ref = references[benches[rows[0]]]
        k = len(ref.objectives)
        observed = _matrix(df["objective_values"].iloc[rows], k)
        at_max = _matrix(df["objective_values_max"].iloc[rows], k)
        ok = (df["status"].iloc[rows] == "ok").to_numpy() & np.isfinite(observed).all(axis=1)
        if max_fidelity_only:
            high = float(highs.get(df["run_id"].iloc[rows[0]], math.nan))
            ok &= at_max_fidelity(df["fidelity"].iloc[rows].to_numpy(dtype=float), high)
        regret[rows], igd[rows] = _run_scores(observed, at_max, ok, ref, anytime_igd=anytime_igd)
    df["n_evals"] = df["eval"].to_numpy() + 1
    df["hv_regret"] = regret
    df["igd_plus"] = igd
    return df


def _matrix(cells: Sequence[Any] | pd.Series, k: int) -> np.ndarray:
    """A list column as an ``(n, k)`` float array (NaN rows where a cell is null)."""
    out = np.full((len(cells), k), np.nan)
    for i, cell in enumerate(cells):
        if cell is not None and len(cell) == k:
            out[i] = np.asarray(cell, dtype=float)
    return out


def final_fronts(evaluations: pd.DataFrame, references: Mapping[str, MOReference]) -> pd.DataFrame:
    """Every run's final found front: one row per point, in the objectives' own units.

    The found front is the run's ok evaluations that no other of them dominates in the observed
    values, each given by its noise-free values at the maximal fidelity (as scored by
    :func:`add_hv_regret`; points without finite values are left out).

    Returns:
        Columns run_id, benchmark, method, seed, then one column per objective name of the
        tasks (NaN where a task lacks that objective); points of a run by ascending first objective.
    """
    from hpobench.contracts.pareto import pareto_mask

    names = list(dict.fromkeys(o.name for ref in references.values() for o in ref.objectives))
    parts = []
    df = evaluations[evaluations["benchmark"].isin(list(references))]
    for run_id, rows in df.groupby("run_id", sort=True, observed=True):
        ref = references[str(rows["benchmark"].iloc[0])]
        k = len(ref.objectives)
        observed = _matrix(rows["objective_values"], k)
        at_max = _matrix(rows["objective_values_max"], k)
        ok = (rows["status"] == "ok").to_numpy() & np.isfinite(observed).all(axis=1)
        if not ok.any():
            continue
        found = at_max[ok][pareto_mask(observed[ok] * ref.signs)]
        found = found[np.isfinite(found).all(axis=1)]
        found = found[np.argsort(found[:, 0], kind="stable")]
        part = pd.DataFrame(found, columns=[o.name for o in ref.objectives])
        part.insert(0, "seed", rows["seed"].iloc[0])
        part.insert(0, "method", rows["method"].iloc[0])
        part.insert(0, "benchmark", rows["benchmark"].iloc[0])
        part.insert(0, "run_id", run_id)
        parts.append(part)
    columns = ["run_id", "benchmark", "method", "seed", *names]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True).reindex(columns=columns)


def final_hv_regret(with_hv: pd.DataFrame) -> pd.DataFrame:
    """One row per run (benchmark, method, seed, hv_regret, igd_plus): its scores after its last one."""
    last = with_hv.groupby("run_id", sort=True, observed=True).tail(1)
    return last[["benchmark", "method", "seed", "hv_regret", "igd_plus"]].reset_index(drop=True)
