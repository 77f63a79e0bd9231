"""Read a study directory (see :mod:`hpobench.store`) into pandas frames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hpobench.errors import DataError
from hpobench.store import RUNS_DIR, TMP_PREFIX, read_provenance

__all__ = ["StudyResults", "load_results"]


@dataclass(frozen=True, kw_only=True)
class StudyResults:
    """The contents of a study directory.

    Attributes:
        evaluations: All evaluations of all finished runs, long format (one row per evaluation).
        runs: One row per finished run: run_id, benchmark, method, seed, status, error,
            objective, direction, ref_best, ref_worst, ref_source, evaluations.
        problems: Human-readable notes about files that could not be read.
    """

    evaluations: pd.DataFrame
    runs: pd.DataFrame
    problems: tuple[str, ...] = ()


def load_results(out: Path) -> StudyResults:
    """Load every finished run of a study directory.

    Unreadable files are skipped and reported in :attr:`StudyResults.problems`, so a partial
    or damaged directory still yields a report of what is there.

    Raises:
        DataError: ``out`` holds no finished run at all.
    """
    runs_dir = out / RUNS_DIR
    records = sorted(p for p in runs_dir.glob("*.json") if not p.name.startswith(TMP_PREFIX))
    rows, frames, problems = [], [], []
    for path in records:
        table = path.with_suffix(".parquet")
        try:
            prov = read_provenance(path)
            frame = pd.read_parquet(table)
        except Exception as exc:  # a damaged file must not hide the others
            problems.append(f"skipped {path.stem}: {type(exc).__name__}: {exc}")
            continue
        spec, task, ref = prov.get("spec", {}), prov.get("task", {}), prov.get("reference", {})
        rows.append(
            {
                "run_id": prov["run_id"],
                "benchmark": spec.get("benchmark"),
                "method": frame["method"].iloc[0] if len(frame) else spec.get("method"),
                "seed": spec.get("seed"),
                "budget": spec.get("budget"),
                "status": prov.get("status"),
                "error": prov.get("error", ""),
                "objective": task.get("objective"),
                "direction": task.get("direction"),
                "ref_best": ref.get("best"),
                "ref_worst": ref.get("worst"),
                "ref_source": ref.get("source"),
                "evaluations": len(frame),
            }
        )
        frames.append(frame)
    if not rows:
        where = f"{runs_dir}" if runs_dir.is_dir() else f"{out} (no {RUNS_DIR}/ folder)"
        raise DataError(f"no finished run found in {where}; run `hpobench run --out {out}` first")
    evaluations = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return StudyResults(evaluations=evaluations, runs=pd.DataFrame(rows), problems=tuple(problems))
