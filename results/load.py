"""Read a study directory (see :mod:`hpobench.store`) into pandas frames.

Only the columns that reporting needs are read (the ``config`` JSON is skipped), all tables in one
pyarrow dataset scan; an optional cache folder keeps a consolidated copy for the next report.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from hpobench.errors import DataError
from hpobench.store import RUNS_DIR, TMP_PREFIX, atomic_write_bytes, read_provenance

__all__ = ["REPORT_COLUMNS", "StudyResults", "check_objectives", "load_results"]

REPORT_COLUMNS = (
    "run_id",
    "benchmark",
    "method",
    "seed",
    "eval",
    "status",
    "value",
    "value_max",
    "fidelity_spent",
    "time",
)
"""Columns of :data:`hpobench.store.COLUMNS` that the report reads."""


@dataclass(frozen=True, kw_only=True)
class StudyResults:
    """The contents of a study directory.

    Attributes:
        evaluations: All evaluations of all finished runs, long format (one row per evaluation,
            columns :data:`REPORT_COLUMNS`), grouped by run in ``run_id`` order.
        runs: One row per finished run: run_id, benchmark, method, seed, budget, status, error,
            objective, direction, ref_best, ref_worst, ref_source, evaluations. A missing or null
            reference is NaN here (see :func:`hpobench.results.regret.resolve_references`).
        problems: Human-readable notes about files that could not be read or runs left out.
    """

    evaluations: pd.DataFrame
    runs: pd.DataFrame
    problems: tuple[str, ...] = ()


def _number(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


_STORED = tuple(c for c in REPORT_COLUMNS if c not in ("run_id", "benchmark"))
"""Columns read from the tables; a run's identity (run_id, benchmark) comes from its record."""

_CACHE_VERSION = 1


def _read_one(path: Path) -> pa.Table:
    schema = pq.read_schema(path)
    missing = [c for c in _STORED if c not in schema.names]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}")
    return pq.read_table(path, columns=list(_STORED), use_threads=False)


def _read_tables(paths: list[Path]) -> tuple[list[pa.Table | None], list[str]]:
    """Read all tables in one multi-file scan; on failure, file by file to name the bad ones."""
    try:
        dataset = pads.dataset([str(p) for p in paths], format="parquet")
        table = dataset.to_table(columns=list(_STORED))
        lengths = [f.metadata.num_rows for f in dataset.get_fragments()]
        offsets = np.r_[0, np.cumsum(lengths)]
        if len(lengths) != len(paths) or offsets[-1] != table.num_rows:
            raise ValueError("inconsistent scan")
        return [table.slice(int(offsets[i]), lengths[i]) for i in range(len(paths))], []
    except Exception:  # some file is damaged: find it, keep the others
        tables: list[pa.Table | None] = []
        problems = []
        for path in paths:
            try:
                tables.append(_read_one(path))
            except Exception as exc:
                tables.append(None)
                problems.append(f"skipped {path.stem}: {type(exc).__name__}: {exc}")
        return tables, problems


def _listing_key(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        for q in (p, p.with_suffix(".parquet")):
            try:
                st = q.stat()
            except OSError:
                h.update(f"{q.name}:missing;".encode())
                continue
            h.update(f"{q.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def _read_cache(cache: Path, key: str) -> StudyResults | None:
    try:
        meta = json.loads((cache / "key.json").read_text(encoding="utf-8"))
        if meta.get("key") != key or meta.get("version") != _CACHE_VERSION:
            return None
        evaluations = pd.read_parquet(cache / "evaluations.parquet")
        runs = pd.read_parquet(cache / "runs.parquet")
    except Exception:  # any damage: rebuild
        return None
    return StudyResults(evaluations=evaluations, runs=runs, problems=tuple(meta.get("problems", [])))


def _write_cache(cache: Path, key: str, results: StudyResults) -> None:
    try:
        cache.mkdir(parents=True, exist_ok=True)
        results.evaluations.to_parquet(cache / "evaluations.parquet", index=False)
        results.runs.to_parquet(cache / "runs.parquet", index=False)
        meta = {"key": key, "version": _CACHE_VERSION, "problems": list(results.problems)}
        atomic_write_bytes(cache / "key.json", json.dumps(meta).encode("utf-8"))
    except Exception:  # a cache that cannot be written only costs time
        return


def load_results(out: Path, *, cache: Path | None = None) -> StudyResults:
    """Load every finished run of a study directory.

    Unreadable files are skipped and reported in :attr:`StudyResults.problems`, so a partial or
    damaged directory still yields a report of what is there. Runs of a task whose objective or
    direction disagrees with the task's other runs are left out the same way
    (:func:`check_objectives`).

    Args:
        out: The study directory.
        cache: Optional folder for a consolidated copy of the tables, reused while the run files
            (names, sizes, modification times) are unchanged.

    Raises:
        DataError: ``out`` holds no finished run at all.
    """
    runs_dir = out / RUNS_DIR
    records = sorted(p for p in runs_dir.glob("*.json") if not p.name.startswith(TMP_PREFIX))
    key = _listing_key(records) if cache is not None else ""
    if cache is not None and records:
        cached = _read_cache(cache, key)
        if cached is not None:
            return cached
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    provenance: list[tuple[Path, dict[str, Any]]] = []
    for path in records:
        if not path.with_suffix(".parquet").is_file():
            problems.append(f"skipped {path.stem}: its table {path.stem}.parquet is missing")
            continue
        try:
            provenance.append((path, read_provenance(path)))
        except Exception as exc:  # a damaged file must not hide the others
            problems.append(f"skipped {path.stem}: {type(exc).__name__}: {exc}")
    tables, bad = _read_tables([p.with_suffix(".parquet") for p, _ in provenance])
    problems += bad
    kept: list[pa.Table] = []
    for (path, prov), table in zip(provenance, tables, strict=True):
        if table is None:
            continue
        spec, task = prov.get("spec") or {}, prov.get("task") or {}
        ref = prov.get("reference") or {}
        first = table.column("method")[0].as_py() if table.num_rows else None
        rows.append(
            {
                "run_id": str(prov.get("run_id", path.stem)),
                "benchmark": spec.get("benchmark"),
                "method": first if first is not None else spec.get("method"),
                "seed": spec.get("seed"),
                "budget": spec.get("budget"),
                "status": prov.get("status"),
                "error": prov.get("error", ""),
                "objective": task.get("objective"),
                "direction": task.get("direction", "minimize"),
                "ref_best": _number(ref.get("best")),
                "ref_worst": _number(ref.get("worst")),
                "ref_source": ref.get("source"),
                "evaluations": table.num_rows,
            }
        )
        kept.append(table)
    if not rows:
        where = f"{runs_dir}" if runs_dir.is_dir() else f"{out} (no {RUNS_DIR}/ folder)"
        raise DataError(f"no finished run found in {where}; run `hpobench run --out {out}` first")
    runs = pd.DataFrame(rows)
    evaluations = pa.concat_tables(kept, promote_options="permissive").to_pandas()
    counts = runs["evaluations"].to_numpy()
    # the run's identity comes from its record, whatever the table says
    for name in ("run_id", "benchmark", "method"):
        evaluations[name] = np.repeat(runs[name].to_numpy(dtype=object), counts)
    evaluations = evaluations[list(REPORT_COLUMNS)]
    runs, notes = check_objectives(runs)
    if notes:
        evaluations = evaluations[evaluations["run_id"].isin(runs["run_id"])].reset_index(drop=True)
    results = StudyResults(evaluations=evaluations, runs=runs, problems=tuple(problems + notes))
    if cache is not None:
        _write_cache(cache, key, results)
    return results


def check_objectives(runs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Keep, per task, only the runs of its most common (objective, direction).

    Mixed objectives on one task cannot be compared; the runs left out are named in the notes.

    Returns:
        The consistent runs and one note per task that had mixed objectives.
    """
    if runs.empty:
        return runs, []
    key = runs["objective"].astype(str) + "/" + runs["direction"].astype(str)
    keep = pd.Series(True, index=runs.index)
    notes = []
    for bench, keys in key.groupby(runs["benchmark"], sort=True):
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
