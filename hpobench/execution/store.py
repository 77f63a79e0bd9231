"""The result store: one long-format Parquet file per run plus a JSON provenance record.

Layout of a study directory::

    OUT/
      study.json               what was asked for (benchmarks, methods, seeds, budget)
      runs/<run_id>.parquet    one row per evaluation (see :data:`COLUMNS`)
      runs/<run_id>.json       provenance, with the table's sha256 and row count
      damaged/<run_id>.<n>/    files of a run that did not read back intact, and reason.txt
      retried/<run_id>.<n>/    files of a failed run that was executed again, and reason.txt

      combined/evaluations.parquet   all runs' tables in one file (derived, see below)
      combined/runs.json             all provenance records, with each run's file fingerprint

Writing, checking and setting aside one run's files is :mod:`hpobench.execution.runfiles` (re-exported
here): both files are written atomically, the Parquet file first, and a run counts as finished
only when its record and table read back and agree (:func:`check_run`). Result tables hold no
wall-clock quantity, so the same run always produces byte-identical Parquet files; timings live
in the JSON record. Nothing in this module deletes a run file: damaged and retried runs are moved
into their own folders (:func:`move_aside`), which :func:`remove_stale_temporaries` leaves alone.

The per-run files are the truth. ``combined/`` is a derived copy that makes reading a large study
one file read instead of thousands (:func:`write_combined`, called when a study finishes or is
resumed; the format and reading are :mod:`hpobench.execution.combined`, the writing, streamed in
bounded memory, :mod:`hpobench.execution.combined_write`). ``combined/evaluations.parquet`` depends
on the runs' tables only: identical studies give byte-identical files, whether they ran in one go
or were resumed, with any number of jobs (its token is the sha256 of the runs' ids, table
checksums and row counts; each run's rows are the same whether copied from the previous combined
table or read from the run's own file). ``combined/runs.json`` holds the provenance records (with
their timings) and the size and modification time of every run's two files, so it differs between
studies; a reader uses a run's rows from the combined table only while that run's files are
unchanged, and reads other runs from their own files (:func:`read_combined`). The index names
the table's token, so a table and an index of different contents are never used together.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hpobench.execution.aside import Aside, move_aside
from hpobench.execution.combined import (
    COLUMNS,
    COMBINED_DIR,
    OBJECTIVE_COLUMNS,
    Combined,
    CombinedRun,
    read_combined,
)
from hpobench.execution.combined_write import write_combined
from hpobench.execution.runfiles import (
    RUNS_DIR,
    TMP_PREFIX,
    RunCheck,
    RunState,
    atomic_write_bytes,
    check_run,
    finished_run_ids,
    read_provenance,
    run_fingerprints,
    scan_runs,
    write_run,
)

__all__ = [
    "COLUMNS",
    "COMBINED_DIR",
    "OBJECTIVE_COLUMNS",
    "RUNS_DIR",
    "Aside",
    "Combined",
    "CombinedRun",
    "RunCheck",
    "RunState",
    "atomic_write_bytes",
    "check_run",
    "finished_run_ids",
    "move_aside",
    "read_combined",
    "read_provenance",
    "readable_records",
    "remove_stale_temporaries",
    "run_fingerprints",
    "scan_runs",
    "write_combined",
    "write_run",
]


def remove_stale_temporaries(out: Path) -> int:
    """Delete temporary files left by an interrupted study; return how many were removed.

    Only in ``runs/`` and ``combined/``: the folders of set-aside runs are never touched.
    """
    stale = [p for folder in (RUNS_DIR, COMBINED_DIR) for p in (out / folder).glob(f"{TMP_PREFIX}*")]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


def readable_records(out: Path, run_ids: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(run_id, provenance record)`` of each of ``run_ids`` in ``out`` whose record reads, in order.

    Unchecked (see :func:`check_run`): for what a caller reports about runs it has just run; runs
    without a readable record are skipped (a study's summary names failed and damaged ones).
    """
    for run_id in run_ids:
        try:
            yield run_id, read_provenance(out / RUNS_DIR / f"{run_id}.json")
        except (OSError, ValueError):
            continue
