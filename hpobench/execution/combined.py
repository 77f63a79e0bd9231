"""The combined table of a study: its format, and reading it (writing is :mod:`.combined_write`).

``combined/evaluations.parquet`` holds every finished run's rows, grouped by run in run-id
order, in row groups of :data:`ROW_GROUP_ROWS` rows, each page with its CRC (checked on every
read, so a damaged page is an error, never wrong rows); ``combined/runs.json`` indexes it (where
each run's rows are, its table checksum, schema key and provenance record, and the fingerprint
its files had when they were combined) and names the table's token, which the table carries in
its schema metadata, so a table and an index of different writes are never used together, and
carries the digest of its own content, so an index edited or damaged where it still parses is
never used either. The per-run files are the truth: a reader uses a run's rows from here only
while that run's files still have the recorded fingerprint (:meth:`Combined.current`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hpobench.execution.runfiles import Fingerprint, json_digest

__all__ = [
    "COLUMNS",
    "COMBINED_DIR",
    "COMBINED_INDEX",
    "COMBINED_TABLE",
    "COMBINED_VERSION",
    "INDEX_DIGEST_KEY",
    "OBJECTIVE_COLUMNS",
    "ROW_GROUP_ROWS",
    "TOKEN_KEY",
    "Combined",
    "CombinedRun",
    "PreviousRows",
    "read_combined",
]

COMBINED_DIR = "combined"
COMBINED_TABLE = "evaluations.parquet"
COMBINED_INDEX = "runs.json"
COMBINED_VERSION = 3
"""Format of the combined table; 3: the index carries its own digest under :data:`INDEX_DIGEST_KEY`."""
TOKEN_KEY = b"hpobench.combined.token"
INDEX_DIGEST_KEY = "sha256"
"""Key of the index's digest of itself (:func:`~hpobench.execution.runfiles.json_digest`, this key
left out)."""
ROW_GROUP_ROWS = 1 << 16
"""Rows per row group of the combined table (the last one holds the rest): the unit it is
written and copied in, so writing or resuming a study of millions of rows holds one group."""

COLUMNS: dict[str, str] = {
    "run_id": "Identifier of the run (also the file name).",
    "benchmark": "Task name, family/task.",
    "method": "Method label: registry name, plus keyword arguments when given.",
    "seed": "The run's seed.",
    "eval": "0-based index of the evaluation within the run.",
    "config": "The configuration as canonical JSON (sorted keys).",
    "fidelity": "Fidelity of the evaluation (the maximal one for single-fidelity tasks: 1).",
    "tag": "The method's label of the trial.",
    "status": "ok or failed.",
    "value": "Observed value of the primary objective (NaN if failed).",
    "value_max": "Noise-free value of the configuration at the maximal fidelity (what regret uses).",
    "cost": "Simulated cost of the evaluation in seconds.",
    "start": "Simulated time at which the evaluation started.",
    "time": "Simulated time at which it ended (start + cost); rows are in order of this time.",
    "worker": "Index of the simulated worker that ran it.",
    "fidelity_spent": "Cumulative fidelity spent, in multiples of the maximal fidelity.",
    "continued": "Whether the evaluation continued a checkpoint (freeze-thaw); cost is then the extra.",
    "resumed_fidelity": "Fidelity of the checkpoint it continued (NaN when trained from scratch).",
}

OBJECTIVE_COLUMNS: dict[str, str] = {
    "objective_values": "Observed value of every objective, in the task's objective order (NaN if failed).",
    "objective_values_max": "Noise-free value of every objective at the maximal fidelity (what "
    "hypervolume regret uses).",
}
"""List columns that only the tables of multi-objective runs have, after :data:`COLUMNS`; their
provenance records the objectives (``task.objectives``: names and directions) and the task's
Pareto reference (``pareto_reference``)."""


@dataclass(frozen=True, kw_only=True)
class CombinedRun:
    """One run of the combined table.

    Attributes:
        fingerprint: Its files' fingerprint when they were combined (see :func:`run_fingerprints`).
        offset: Its first row in the combined table.
        rows: Its number of rows.
        sha256: The sha256 of its table file.
        schema: Key of its own table's schema in :attr:`Combined.schemas`.
        provenance: Its provenance record.
    """

    fingerprint: Fingerprint
    offset: int
    rows: int
    sha256: str
    schema: str
    provenance: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Combined:
    """The combined table of a study and the runs it holds (see :func:`read_combined`).

    Attributes:
        table: The evaluations of every run in ``runs``, grouped by run in run-id order, with
            the columns of all their tables (a column a run lacks is null in its rows).
        runs: Run id -> where its rows are and what its files looked like.
        unreadable: Run id -> fingerprint of the runs whose files were not finished and intact
            when the table was written (left out; readers read, and report, them themselves).
        schemas: Schema key -> the schema of the runs' own tables (:attr:`CombinedRun.schema`).
    """

    table: pa.Table
    runs: dict[str, CombinedRun]
    unreadable: dict[str, Fingerprint]
    schemas: dict[str, pa.Schema]

    def current(self, run_id: str, fingerprint: Fingerprint | None) -> CombinedRun | None:
        """The run's entry if its files still have ``fingerprint``, else ``None``."""
        entry = self.runs.get(run_id)
        return entry if entry is not None and entry.fingerprint == fingerprint else None

    def covers(self, prints: Mapping[str, Fingerprint | None]) -> bool:
        """Whether this table is up to date for runs with files ``prints`` (:func:`run_fingerprints`).

        Up to date: every run with a table is in it unchanged, or was unreadable and is unchanged,
        and it holds no other run.
        """
        done = {k: v for k, v in prints.items() if v is not None}
        if done.keys() != self.runs.keys() | self.unreadable.keys():
            return False
        return all(self.current(k, v) is not None or self.unreadable.get(k) == v for k, v in done.items())


def _fingerprint(value: Any) -> Fingerprint:
    a, b, c, d = (int(v) for v in value)
    return (a, b, c, d)


def read_combined(out: Path, *, columns: list[str] | None = None) -> Combined | None:
    """Read the combined table of ``out`` (only ``columns``, all by default), or ``None``.

    ``None`` when there is none, it is damaged, from an older format, or its table and index come
    from different writes. Entries are not checked against the run files here: use
    :meth:`Combined.current` with :func:`run_fingerprints` (a run's rows are valid only while its
    files are unchanged).
    """
    folder = out / COMBINED_DIR
    try:
        index = json.loads((folder / COMBINED_INDEX).read_text(encoding="utf-8"))
        if index.get("version") != COMBINED_VERSION:
            return None
        if index.get(INDEX_DIGEST_KEY) != json_digest(index, leave_out=INDEX_DIGEST_KEY):
            return None  # edited or damaged where it still parses: a run's record could be wrong
        source = pq.ParquetFile(folder / COMBINED_TABLE, page_checksum_verification=True)
        meta = source.schema_arrow.metadata or {}
        if meta.get(TOKEN_KEY, b"").decode() != index["token"]:
            return None
        entries = {
            str(run_id): CombinedRun(
                fingerprint=_fingerprint(e["fingerprint"]),
                offset=int(e["offset"]),
                rows=int(e["rows"]),
                sha256=str(e["sha256"]),
                schema=str(e["schema"]),
                provenance=dict(e["provenance"]),
            )
            for run_id, e in index["runs"].items()
        }
        unreadable = {str(k): _fingerprint(f) for k, f in index.get("unreadable", {}).items()}
        schemas = {
            str(k): pa.ipc.read_schema(pa.py_buffer(base64.b64decode(v))) for k, v in index["schemas"].items()
        }
        if source.metadata.num_rows != sum(e.rows for e in entries.values()):
            return None
        if any(e.schema not in schemas for e in entries.values()):
            return None
        table = source.read(columns=columns, use_threads=True)
    except Exception:  # missing, damaged or foreign: the per-run files are the truth
        return None
    return Combined(
        table=table.replace_schema_metadata(None), runs=entries, unreadable=unreadable, schemas=schemas
    )


class PreviousRows:
    """Rows of an existing combined table, read one row group at a time (for copying runs).

    Runs are asked for in the table's order, so the row group last read is kept for the next.

    Args:
        out: The study folder.
    """

    def __init__(self, out: Path) -> None:
        self._file = pq.ParquetFile(out / COMBINED_DIR / COMBINED_TABLE, page_checksum_verification=True)
        meta = self._file.metadata
        self._starts = [0]
        for i in range(meta.num_row_groups):
            self._starts.append(self._starts[-1] + meta.row_group(i).num_rows)
        self._cached: tuple[int, pa.Table] | None = None
        self.schema = self._file.schema_arrow.remove_metadata()
        """The table's schema, without its metadata."""

    def _group(self, index: int) -> pa.Table:
        if self._cached is None or self._cached[0] != index:
            self._cached = (index, self._file.read_row_group(index, use_threads=False))
        return self._cached[1]

    def rows(self, offset: int, count: int) -> pa.Table:
        """Rows ``offset`` to ``offset + count`` (exclusive), schema metadata removed."""
        parts: list[pa.Table] = []
        start, end = offset, offset + count
        for index in range(len(self._starts) - 1):
            lo, hi = self._starts[index], self._starts[index + 1]
            if hi <= start or lo >= end:
                continue
            part = self._group(index)
            parts.append(part.slice(max(start, lo) - lo, min(end, hi) - max(start, lo)))
        if not parts:
            return self.schema.empty_table()
        return pa.concat_tables(parts).replace_schema_metadata(None)

    def close(self) -> None:
        """Release the file."""
        self._cached = None
        self._file.close()
