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
resumed). ``combined/evaluations.parquet`` depends on the runs' tables only: identical studies give
byte-identical files, whether they ran in one go or were resumed, with any number of jobs (its
token is the sha256 of the runs' ids, table checksums and row counts; each run's rows are the same
whether copied from the previous combined table or read from the run's own file).
``combined/runs.json`` holds the provenance records (with their timings) and the size and
modification time of every run's two files, so it differs between studies; a reader uses a run's
rows from the combined table only while that run's files are unchanged, and reads other runs from
their own files (:func:`read_combined`). The index names the table's token, so a table and an
index of different contents are never used together.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hpobench.execution.read_ahead import ReadAhead
from hpobench.execution.runfiles import (
    RUNS_DIR,
    TMP_PREFIX,
    Aside,
    Fingerprint,
    RunCheck,
    RunState,
    atomic_write_bytes,
    check_run,
    finished_run_ids,
    inspect_run,
    move_aside,
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
    "remove_stale_temporaries",
    "run_fingerprints",
    "scan_runs",
    "write_combined",
    "write_run",
]

COMBINED_DIR = "combined"
_COMBINED_TABLE = "evaluations.parquet"
_COMBINED_INDEX = "runs.json"
_COMBINED_VERSION = 2
_TOKEN_KEY = b"hpobench.combined.token"

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


def remove_stale_temporaries(out: Path) -> int:
    """Delete temporary files left by an interrupted study; return how many were removed.

    Only in ``runs/`` and ``combined/``: the folders of set-aside runs are never touched.
    """
    stale = [p for folder in (RUNS_DIR, COMBINED_DIR) for p in (out / folder).glob(f"{TMP_PREFIX}*")]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


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
        index = json.loads((folder / _COMBINED_INDEX).read_text(encoding="utf-8"))
        if index.get("version") != _COMBINED_VERSION:
            return None
        source = pq.ParquetFile(folder / _COMBINED_TABLE)
        meta = source.schema_arrow.metadata or {}
        if meta.get(_TOKEN_KEY, b"").decode() != index["token"]:
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


@dataclass(frozen=True, kw_only=True)
class _Member:
    """A run of the combined table being written: its own table, or its rows in the previous one."""

    run_id: str
    fingerprint: Fingerprint
    sha256: str
    schema: str
    provenance: dict[str, Any]
    table: pa.Table
    copied: bool


def _schema_key(schema: pa.Schema) -> str:
    return hashlib.sha256(schema.serialize().to_pybytes()).hexdigest()[:16]


def _gather(
    out: Path, prints: Mapping[str, Fingerprint], previous: Combined | None, ahead: ReadAhead | None
) -> tuple[list[_Member], dict[str, pa.Schema], dict[str, Fingerprint]]:
    """Every run of ``prints``: copied from ``previous``, taken from ``ahead``, or read.

    A run comes from ``previous`` or ``ahead`` only where its fingerprint is unchanged there;
    the others are checked and read from their files.
    """
    members: list[_Member] = []
    schemas: dict[str, pa.Schema] = {}
    unreadable: dict[str, Fingerprint] = {}
    runs = out / RUNS_DIR
    for run_id, fingerprint in prints.items():
        entry = previous.current(run_id, fingerprint) if previous is not None else None
        if previous is not None and entry is not None:
            schemas[entry.schema] = previous.schemas[entry.schema]
            table = previous.table.slice(entry.offset, entry.rows)
            members.append(
                _Member(
                    run_id=run_id,
                    fingerprint=fingerprint,
                    sha256=entry.sha256,
                    schema=entry.schema,
                    provenance=entry.provenance,
                    table=table,
                    copied=True,
                )
            )
            continue
        read = ahead.get(run_id, fingerprint) if ahead is not None else None
        check, own, digest = read if read is not None else inspect_run(runs, run_id)
        if not check.finished or own is None or digest is None or check.provenance is None:
            unreadable[run_id] = fingerprint  # read (and reported) from its own files by readers
            continue
        own = own.replace_schema_metadata(None)
        schema = pa.schema([f.remove_metadata() for f in own.schema])
        key = _schema_key(schema)
        schemas[key] = schema
        members.append(
            _Member(
                run_id=run_id,
                fingerprint=fingerprint,
                sha256=digest,
                schema=key,
                provenance=check.provenance,
                table=own,
                copied=False,
            )
        )
    return members, schemas, unreadable


def _unified(members: list[_Member], schemas: Mapping[str, pa.Schema]) -> tuple[pa.Schema | None, set[str]]:
    """The schema of the combined table (the runs' schemas unified in run order) and the misfits."""
    target: pa.Schema | None = None
    misfits: set[str] = set()
    for key in dict.fromkeys(m.schema for m in members):
        try:
            target = (
                schemas[key]
                if target is None
                else pa.unify_schemas([target, schemas[key]], promote_options="permissive")
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            misfits.add(key)
    return target, misfits


def _conform(table: pa.Table, target: pa.Schema) -> pa.Table:
    """``table`` with the columns of ``target``, in its order and types (nulls where it has none)."""
    if table.schema.equals(target):
        return table
    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in target
    ]
    return pa.Table.from_arrays(columns, schema=target)


def write_combined(out: Path, *, ahead: ReadAhead | None = None) -> int:
    """Write (or bring up to date) the combined table of every finished run in ``out``.

    Runs whose files are unchanged since the previous combined table are copied from it; the
    others are checked (:func:`check_run`) and read from their own files. A run that is not
    finished and intact, or whose columns cannot be unified with the others', is left out
    (readers then read, and report, its files themselves). The table's columns are those of the
    runs' own tables unified in run order; a run's rows are the same whether copied or read
    (when the previous table's columns differ from the new ones, every run is read from its
    files), so the table's bytes depend only on the runs' tables. Both files are written
    atomically, the table first; the index names the table's token, so a reader never pairs a
    table with an index of other contents. Call when a study finishes or is resumed; safe to call
    at any time.

    Args:
        out: The study folder.
        ahead: Runs already checked and read during the study (:class:`ReadAhead`); each is
            used only while its files keep the fingerprint they had when read.

    Returns:
        The number of runs in the combined table (nothing is written when it is up to date).
    """
    prints = {k: v for k, v in run_fingerprints(out).items() if v is not None}
    previous = read_combined(out, columns=[])  # no column yet: only whether anything changed
    if previous is not None:
        if previous.covers(prints):
            return len(previous.runs)  # already up to date
        previous = read_combined(out)
    members, schemas, unreadable = _gather(out, prints, previous, ahead)
    target, misfits = _unified(members, schemas)
    if previous is not None and any(m.copied for m in members) and previous.table.schema != target:
        members, schemas, unreadable = _gather(out, prints, None, ahead)  # columns changed: every run
        target, misfits = _unified(members, schemas)
    parts: list[pa.Table] = []
    index: dict[str, dict[str, Any]] = {}
    content: list[list[Any]] = []
    offset = 0
    for m in members:
        if m.schema in misfits or target is None:
            unreadable[m.run_id] = m.fingerprint
            continue
        try:
            table = m.table if m.copied else _conform(m.table, target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            unreadable[m.run_id] = m.fingerprint
            continue
        parts.append(table)
        index[m.run_id] = {
            "fingerprint": list(m.fingerprint),
            "offset": offset,
            "rows": table.num_rows,
            "sha256": m.sha256,
            "schema": m.schema,
            "provenance": m.provenance,
        }
        content.append([m.run_id, m.sha256, table.num_rows])
        offset += table.num_rows
    # one chunk per column: the Parquet bytes must not depend on where the rows came from
    combined = pa.concat_tables(parts).combine_chunks() if parts else pa.table({c: [] for c in COLUMNS})
    token = hashlib.sha256(json.dumps([_COMBINED_VERSION, content]).encode("utf-8")).hexdigest()
    combined = combined.replace_schema_metadata({_TOKEN_KEY: token.encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(combined, sink, compression="zstd")
    folder = out / COMBINED_DIR
    atomic_write_bytes(folder / _COMBINED_TABLE, bytes(sink.getvalue().to_pybytes()))
    used = {e["schema"] for e in index.values()}
    record = {
        "version": _COMBINED_VERSION,
        "token": token,
        "runs": index,
        "unreadable": {k: list(v) for k, v in sorted(unreadable.items())},
        "schemas": {k: base64.b64encode(schemas[k].serialize().to_pybytes()).decode() for k in sorted(used)},
    }
    atomic_write_bytes(folder / _COMBINED_INDEX, json.dumps(record, default=str).encode("utf-8"))
    return len(index)
