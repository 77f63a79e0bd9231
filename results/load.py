"""Read a study directory (see :mod:`hpobench.execution.store`) into pandas frames.

Only the columns that reporting needs are kept (the ``config`` JSON is skipped): from the study's
combined table for the runs it holds unchanged, and from the per-run files for the others, each
checked first (:func:`hpobench.execution.store.check_run`: a run whose files do not read back or do not agree
is skipped and reported, never used).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hpobench.contracts.errors import DataError
from hpobench.execution.runfiles import inspect_run
from hpobench.execution.store import (
    COMBINED_DIR,
    OBJECTIVE_COLUMNS,
    RUNS_DIR,
    Combined,
    read_combined,
    run_fingerprints,
    write_combined,
)

__all__ = ["OPTIONAL_COLUMNS", "REPORT_COLUMNS", "StudyResults", "check_objectives", "load_results"]

REPORT_COLUMNS = (
    "run_id",
    "benchmark",
    "method",
    "seed",
    "eval",
    "status",
    "value",
    "value_max",
    "fidelity",
    "fidelity_spent",
    "time",
)
"""Columns of :data:`hpobench.execution.store.COLUMNS` that the report reads."""

OPTIONAL_COLUMNS = tuple(OBJECTIVE_COLUMNS)
"""Columns the report reads where a run's table has them (multi-objective runs): null elsewhere."""


@dataclass(frozen=True, kw_only=True)
class StudyResults:
    """The contents of a study directory.

    Attributes:
        evaluations: All evaluations of all finished runs, long format (one row per evaluation,
            columns :data:`REPORT_COLUMNS`, then those of :data:`OPTIONAL_COLUMNS` that some run
            has), grouped by run in ``run_id`` order. ``run_id``, ``benchmark``, ``method`` and
            ``status`` are categorical (categories in lexical order): a few values repeated over
            millions of rows, at one small integer code per row.
        runs: One row per finished run: run_id, benchmark, method, seed, budget, status, error,
            objective, direction, objectives (the names of every objective, comma-separated),
            ref_best, ref_worst, ref_source, evaluations, and what it was made with: versions
            (its provenance's versions record as sorted JSON text), thread_limit and
            data_verified (``None`` where unrecorded; see :mod:`hpobench.results.provenance`). A
            missing or null reference is NaN here (see :func:`hpobench.results.regret.resolve_references`).
        problems: Human-readable notes about files that could not be read or runs left out.
        provenance: Run id -> provenance record of each multi-objective run (its objectives and
            Pareto reference, see :mod:`hpobench.results.hypervolume_regret`).
    """

    evaluations: pd.DataFrame
    runs: pd.DataFrame
    problems: tuple[str, ...] = ()
    provenance: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _number(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


_STORED = tuple(c for c in REPORT_COLUMNS if c not in ("run_id", "benchmark"))
"""Columns read from the tables; a run's identity (run_id, benchmark) comes from its record."""


def _read_run(runs_dir: Path, run_id: str) -> tuple[dict[str, Any], pa.Table]:
    """A run's record and the report's columns of its table, if its files are finished and intact.

    Raises:
        ValueError: The run is damaged (:func:`hpobench.execution.store.check_run`) or lacks a column.
    """
    check, table, _ = inspect_run(runs_dir, run_id)
    if not check.finished or table is None or check.provenance is None:
        raise ValueError(f"{check.state.value}: {check.reason}")
    missing = [c for c in _STORED if c not in table.column_names]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}")
    return check.provenance, table.select(
        [*_STORED, *(c for c in OPTIONAL_COLUMNS if c in table.column_names)]
    )


def _combined_optional(out: Path) -> list[str]:
    """The optional columns the study's combined table has (none when it has no table)."""
    try:
        names = pq.read_schema(out / COMBINED_DIR / "evaluations.parquet").names
    except Exception:  # missing or damaged: read_combined says so
        return []
    return [c for c in OPTIONAL_COLUMNS if c in names]


def _run_row(run_id: str, prov: dict[str, Any], table: pa.Table) -> dict[str, Any]:
    spec, task = prov.get("spec") or {}, prov.get("task") or {}
    ref = prov.get("reference") or {}
    first = table.column("method")[0].as_py() if table.num_rows else None
    return {
        "run_id": str(prov.get("run_id", run_id)),
        "benchmark": spec.get("benchmark"),
        "method": first if first is not None else spec.get("method"),
        "seed": spec.get("seed"),
        "budget": spec.get("budget"),
        "status": prov.get("status"),
        "error": prov.get("error", ""),
        "objective": task.get("objective"),
        "direction": task.get("direction", "minimize"),
        "objectives": ",".join(str(o.get("name")) for o in task["objectives"])
        if task.get("objectives")
        else task.get("objective"),
        "ref_best": _number(ref.get("best")),
        "ref_worst": _number(ref.get("worst")),
        "ref_source": ref.get("source"),
        "fidelity_high": _number((task.get("fidelity") or {}).get("high")),
        "evaluations": table.num_rows,
        **_environment(prov),
    }


def _environment(prov: dict[str, Any]) -> dict[str, Any]:
    """What the run was made with (:mod:`hpobench.results.provenance`); ``None`` where unrecorded."""
    versions, threads, verified = prov.get("versions"), prov.get("threads"), prov.get("data_verified")
    limit = threads.get("limit") if isinstance(threads, dict) else None
    return {
        "versions": json.dumps(versions, sort_keys=True) if isinstance(versions, dict) else None,
        "thread_limit": limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
        "data_verified": verified if isinstance(verified, bool) else None,
    }


def _categorical(values: pd.Series, *, repeats: np.ndarray | None = None) -> pd.Categorical:
    """``values`` (each repeated ``repeats`` times) as a categorical of lexically ordered categories."""
    codes, uniques = pd.factorize(values, sort=True)
    if repeats is not None:
        codes = np.repeat(codes, repeats)
    return pd.Categorical.from_codes(codes, categories=uniques)


def _concat(parts: list[pa.Table | tuple[int, int]], whole: pa.Table | None) -> pa.Table:
    """Concatenate per-run tables and ``(offset, rows)`` ranges of the combined table ``whole``.

    Adjacent ranges become one slice, so a study read wholly from its combined table is one
    zero-copy slice and not thousands of chunks.
    """
    merged: list[pa.Table | list[int]] = []
    for part in parts:
        last = merged[-1] if merged else None
        if isinstance(part, tuple) and isinstance(last, list) and last[1] == part[0]:
            last[1] += part[1]
        else:
            merged.append([part[0], part[0] + part[1]] if isinstance(part, tuple) else part)
    clean: list[pa.Table] = []
    for m in merged:
        if isinstance(m, list):
            if whole is None:
                raise ValueError("a range of the combined table without the combined table")
            m = whole.slice(m[0], m[1] - m[0])
        clean.append(m.replace_schema_metadata(None))
    if len(clean) == 1:
        return clean[0]
    return pa.concat_tables(clean, promote_options="permissive")


def load_results(
    out: str | os.PathLike[str], *, combined: bool = True, consolidate: bool = False
) -> StudyResults:
    """Load every finished run of a study directory.

    Runs are read from the study's combined table (:func:`hpobench.execution.store.read_combined`) while
    their files are unchanged since it was written, and from their own files otherwise, with
    the same result either way. Runs whose files are not finished and intact
    (:func:`hpobench.execution.store.check_run`) are skipped and reported in
    :attr:`StudyResults.problems`, so a partial or damaged directory still yields a report of
    what is there; so are runs whose record names no benchmark (``spec.benchmark``) or whose
    table and record name no method. Runs of a task whose objective or direction disagrees with
    the task's other runs are left out the same way (:func:`check_objectives`).

    Args:
        out: The study directory.
        combined: Use the combined table where it is current (``False``: per-run files only).
        consolidate: First bring the combined table up to date when some finished run is missing
            from it or changed (:func:`hpobench.execution.store.write_combined`); skipped silently where the
            directory is not writable.

    Raises:
        DataError: ``out`` holds no finished run at all.
    """
    out = Path(out)
    runs_dir = out / RUNS_DIR
    prints = run_fingerprints(out)
    whole: Combined | None = None
    if combined:
        whole = read_combined(out, columns=[*_STORED, *_combined_optional(out)])
        if consolidate and (whole is None or not whole.covers(prints)):
            try:
                write_combined(out)
            except OSError:  # read-only study: reading the run files only costs time
                pass
            else:
                prints = run_fingerprints(out)
                whole = read_combined(out, columns=[*_STORED, *_combined_optional(out)])
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    provenance: dict[str, Mapping[str, Any]] = {}
    parts: list[pa.Table | tuple[int, int]] = []
    for run_id, fp in prints.items():
        if fp is None:
            problems.append(f"skipped {run_id}: its table {run_id}.parquet is missing")
            continue
        entry = whole.current(run_id, fp) if whole is not None else None
        part: pa.Table | tuple[int, int]
        if whole is not None and entry is not None:
            prov, table = entry.provenance, whole.table.slice(entry.offset, entry.rows)
            part = (entry.offset, entry.rows)
        else:
            try:
                prov, table = _read_run(runs_dir, run_id)
            except Exception as exc:  # a damaged run must not hide the others
                problems.append(f"skipped {run_id}: {exc}")
                continue
            part = table
        row = _run_row(run_id, prov, table)
        unnamed = [k for k in ("benchmark", "method") if not isinstance(row[k], str)]
        if unnamed:  # a run of no known task or method cannot be placed in any comparison
            problems.append(f"skipped {run_id}: it names no {' and no '.join(unnamed)}")
            continue
        parts.append(part)
        rows.append(row)
        if (prov.get("task") or {}).get("objectives"):
            provenance[str(prov.get("run_id", run_id))] = prov
    if not rows:
        where = f"{runs_dir}" if runs_dir.is_dir() else f"{out} (no {RUNS_DIR}/ folder)"
        shown = "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
        found = f" ({len(problems)} unreadable: {shown})" if problems else ""
        raise DataError(f"no finished run found in {where}{found}; run `hpobench run --out {out}` first")
    runs = pd.DataFrame(rows)
    table = _concat(parts, whole.table if whole is not None else None)
    optional = [c for c in OPTIONAL_COLUMNS if c in table.column_names]
    evaluations = table.select([*_STORED, *optional]).to_pandas()
    del table, whole  # the frame holds what is needed from here on
    counts = runs["evaluations"].to_numpy()
    # the run's identity comes from its record, whatever the table says; text columns repeat a
    # few values over millions of rows, so they are categorical (lexically ordered categories)
    for name in ("run_id", "benchmark", "method"):
        evaluations[name] = _categorical(runs[name], repeats=counts)
    evaluations["status"] = _categorical(evaluations["status"])
    evaluations = evaluations[[*REPORT_COLUMNS, *optional]]
    runs, notes = check_objectives(runs)
    if notes:
        evaluations = evaluations[evaluations["run_id"].isin(runs["run_id"])].reset_index(drop=True)
    kept = set(runs["run_id"])
    return StudyResults(
        evaluations=evaluations,
        runs=runs,
        problems=tuple(problems + notes),
        provenance={k: v for k, v in provenance.items() if k in kept},
    )


def check_objectives(runs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Keep, per task, only the runs of its most common (objective, direction).

    Mixed objectives on one task cannot be compared; the runs left out are named in the notes.

    Returns:
        The consistent runs and one note per task that had mixed objectives.
    """
    if runs.empty:
        return runs, []
    names = runs["objectives"] if "objectives" in runs else runs["objective"]
    key = names.astype(str) + "/" + runs["direction"].astype(str)
    keep = pd.Series(True, index=runs.index)
    notes = []
    for bench, keys in key.groupby(runs["benchmark"], sort=True, observed=True):
        counts = keys.value_counts()
        if len(counts) > 1:
            main = str(counts.index[0])
            dropped = keys[keys != main]
            keep[dropped.index] = False
            seen = ", ".join(f"{k} ({v} runs)" for k, v in counts.items())
            notes.append(
                f"mixed objectives on {bench}: {seen}; kept {main}, left out "
                + ", ".join(runs.loc[dropped.index, "run_id"])
            )
    return runs[keep].reset_index(drop=True), notes
