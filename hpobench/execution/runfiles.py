"""One run's two files in a study directory: writing them, checking them, setting them aside.

A run is stored as ``runs/<run_id>.parquet`` (its evaluations) and ``runs/<run_id>.json`` (its
provenance record), written by :func:`write_run` in that order, each atomically. The record
carries, under ``"table"``, the sha256 and the row count of the Parquet file exactly as written
and the sha256 of the record itself (its canonical JSON without the ``"table"`` entry), so a
reader can tell a run's files apart from damaged, edited or mismatched ones without trusting
either: a changed byte in the record that leaves valid JSON (a renamed key, an edited value) is
caught as surely as one in the table.

Lifecycle. The study runner writes runs with :func:`write_run` (in the worker that executed the
run), and on every start or resume calls :func:`scan_runs` over the planned run ids: runs in state
:attr:`RunState.OK` are skipped, :attr:`RunState.DAMAGED` runs are moved into ``OUT/damaged/``
(:func:`hpobench.execution.aside.move_aside`) and executed again, :attr:`RunState.MISSING` runs are
executed, and :attr:`RunState.FAILED` runs are kept or, to retry them, moved into ``OUT/retried/``
first. Nothing here ever deletes a run file.

What counts as finished (:func:`check_run`):

* the record parses as a JSON object whose ``run_id`` is the file's stem;
* the table file's sha256 and row count equal the record's ``"table"`` entry;
* the record's own sha256 equals the one in its ``"table"`` entry (records written before
  record checksums have a ``"table"`` entry of exactly ``sha256`` and ``rows`` and skip this
  check; any other set of keys is damage, so no single changed byte can make a record look old);
* the table decodes as Parquet (pyarrow reads all of it).

Records written before tables had checksums (no ``"table"`` entry) are verified as far as they
can be: the record is an object naming its run, the table decodes, its row count equals the
record's ``evaluations`` count when the record has one, and its ``run_id`` column names this run
only. Such a run is finished with :attr:`RunCheck.verified` ``False``: a truncated, garbled or
swapped file is still caught, a table whose values were altered in place is not.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hpobench.data._files import temporary_beside

__all__ = [
    "RUNS_DIR",
    "TMP_PREFIX",
    "Fingerprint",
    "Inspected",
    "RunCheck",
    "RunState",
    "atomic_file",
    "atomic_write_bytes",
    "check_run",
    "check_run_id",
    "digested_json",
    "finished_run_ids",
    "inspect_run",
    "json_digest",
    "read_provenance",
    "run_fingerprints",
    "scan_runs",
    "write_run",
]

RUNS_DIR = "runs"
TMP_PREFIX = ".tmp-"
TABLE_KEY = "table"
"""Key of the provenance record that holds the table's ``{"sha256": ..., "rows": ...}``."""
_TABLE_ENTRY_KEYS = frozenset({"sha256", "rows", "record"})
"""The keys of a record's ``"table"`` entry; records written before record checksums lack ``record``."""


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` when the block ends without an error.

    Written beside ``path`` under a temporary name, flushed to disk, then renamed over it, so
    readers see either no file (or the old one) or the whole new file; on an error the
    temporary file is removed and ``path`` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temporary_beside(path, prefix=TMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either no file or the whole file."""
    with atomic_file(path) as fh:
        fh.write(data)


def check_run_id(run_id: str) -> None:
    """Refuse (``ValueError``) a run id that is not a plain file name or starts with ``.``."""
    if not run_id or run_id.startswith(".") or "/" in run_id or "\\" in run_id or "\0" in run_id:
        raise ValueError(f"{run_id!r} is not a run id (a plain file name, not starting with '.')")


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A run table's file bytes: zstd, without dictionary encoding.

    A run's file is one row group of a few hundred rows, where Parquet's dictionaries (its
    default, on every column) cost more than they save: zstd already packs the repeated strings.
    Measured on 200 runs of a 79-task study (438 rows on average, 2-core development machine):
    38.8 instead of 42.0 KB a file, encoded in 0.94 instead of 1.18 ms, decoded in 0.59 instead
    of 0.75 ms; the decoded table is the same (types and schema metadata included).
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", use_dictionary=False)
    return bytes(sink.getvalue().to_pybytes())


_CANONICAL: dict[str, Any] = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": True}
"""``json.dumps`` settings of a digested text: sorted keys, no spaces, ASCII."""


def json_digest(record: Mapping[str, Any], *, leave_out: str) -> str:
    """sha256 of a parsed JSON object's canonical text (sorted keys, no spaces, ASCII), one key left out.

    The same for the object as written and as read back, so a file can carry the digest of its
    own content under ``leave_out``.
    """
    body = {key: value for key, value in record.items() if key != leave_out}
    return hashlib.sha256(json.dumps(body, **_CANONICAL).encode("ascii")).hexdigest()


def digested_json(record: Mapping[str, Any], *, key: str) -> bytes:
    """``record`` with ``key`` set to :func:`json_digest` of the rest, as canonical JSON text.

    Each top-level value is encoded once, for the digest and for the file: the file is the
    digest's own text (sorted keys, no spaces, ASCII) with the ``key`` entry in its sorted place,
    so reading it back gives the same digest. Values JSON cannot hold are written as their
    ``str``. Every key of ``record``, at any depth, must be a string, as in an object read from
    JSON (an integer key would read back as a string sorted elsewhere, and the digest would not
    match: readers would then take the file for damaged).
    """
    parts = {k: json.dumps(v, default=str, **_CANONICAL) for k, v in record.items() if k != key}

    def joined() -> str:  # what json.dumps gives for the whole object with these settings
        return "{" + ",".join(f"{json.dumps(k)}:{parts[k]}" for k in sorted(parts)) + "}"

    parts[key] = json.dumps(hashlib.sha256(joined().encode("ascii")).hexdigest())
    return joined().encode("ascii")


def write_run(out: Path, run_id: str, frame: pd.DataFrame, provenance: Mapping[str, Any]) -> None:
    """Store one run: its Parquet table, then the provenance record that marks it finished.

    Both files are written atomically, the table first, so a study killed at any moment leaves
    either the old files, a new table without its record (a run :func:`check_run` calls
    missing), or both new files. The stored record is ``provenance`` with ``run_id`` set and
    ``"table"`` set to the sha256 and row count of the Parquet bytes written and the sha256 of
    the record (any ``"table"`` entry of ``provenance`` is replaced; ``provenance`` itself is not
    modified). Values JSON cannot hold are stored as their ``str``.

    Raises:
        ValueError: ``run_id`` is not a plain file name, or ``provenance`` names another run.
    """
    check_run_id(run_id)
    named = provenance.get("run_id", run_id)
    if named != run_id:
        raise ValueError(f"the provenance record names run {named!r}, not {run_id!r}")
    data = _parquet_bytes(frame)
    # as the record will read back (str for what JSON cannot hold, string keys), so its digest does
    record = json.loads(json.dumps({**provenance, "run_id": run_id}, default=str))
    record[TABLE_KEY] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "rows": len(frame),
        "record": json_digest(record, leave_out=TABLE_KEY),
    }
    runs = out / RUNS_DIR
    atomic_write_bytes(runs / f"{run_id}.parquet", data)
    text = json.dumps(record, indent=1, sort_keys=True) + "\n"
    atomic_write_bytes(runs / f"{run_id}.json", text.encode("utf-8"))


def read_provenance(path: Path) -> dict[str, Any]:
    """Read one provenance record (unchecked: see :func:`check_run` for a run's files)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a provenance record")
    return data


class RunState(Enum):
    """What a run's files in ``runs/`` amount to (see :func:`check_run`)."""

    OK = "ok"
    """Finished and intact; the record's status is ``ok``."""
    FAILED = "failed"
    """Finished and intact; the record's status is not ``ok`` (a recorded failure)."""
    DAMAGED = "damaged"
    """Files exist but do not read back or do not agree; :attr:`RunCheck.reason` says how."""
    MISSING = "missing"
    """No provenance record: never run, or interrupted before its record was written."""


@dataclass(frozen=True, kw_only=True)
class RunCheck:
    """The result of checking one run's files.

    Attributes:
        run_id: The run.
        state: What its files amount to.
        reason: Why it is damaged (DAMAGED), its recorded error (FAILED), what was found
            (MISSING: ``"no files"`` or a table without record); empty when OK.
        rows: The table's row count (finished runs only).
        verified: Whether the table's checksum was compared with the record's (``False`` for
            records written before checksums, and for runs that are not finished).
        provenance: The parsed record (finished runs only).
    """

    run_id: str
    state: RunState
    reason: str = ""
    rows: int | None = None
    verified: bool = False
    provenance: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        """Whether the run is finished and intact (OK or FAILED)."""
        return self.state in (RunState.OK, RunState.FAILED)


class Inspected(NamedTuple):
    """A run's check, with what had to be read for it (for the combined table)."""

    check: RunCheck
    table: pa.Table | None
    sha256: str | None


def _damaged(run_id: str, reason: str) -> Inspected:
    return Inspected(RunCheck(run_id=run_id, state=RunState.DAMAGED, reason=reason), None, None)


def _is_count(value: Any) -> bool:
    return type(value) is int and value >= 0


def inspect_run(runs: Path, run_id: str) -> Inspected:
    """Check the files of ``run_id`` in the folder ``runs`` and keep the decoded table.

    Reads each file once. See :func:`check_run` for the rules; this is its implementation, for
    callers that also need the table (the combined table, the report's reader).
    """
    check_run_id(run_id)
    record_path, table_path = runs / f"{run_id}.json", runs / f"{run_id}.parquet"
    try:
        record_bytes = record_path.read_bytes()
    except FileNotFoundError:
        found = "table without provenance record" if table_path.is_file() else "no files"
        return Inspected(RunCheck(run_id=run_id, state=RunState.MISSING, reason=found), None, None)
    except OSError as exc:
        return _damaged(run_id, f"provenance record unreadable ({exc})")
    try:
        table_bytes = table_path.read_bytes()
    except FileNotFoundError:
        return _damaged(run_id, "provenance record without its table")
    except OSError as exc:
        return _damaged(run_id, f"table unreadable ({exc})")
    try:
        record = json.loads(record_bytes)
    except (ValueError, RecursionError) as exc:
        return _damaged(run_id, f"provenance record is not valid JSON ({exc})")
    if not isinstance(record, dict):
        return _damaged(run_id, f"provenance record is a JSON {type(record).__name__}, not an object")
    if record.get("run_id") != run_id:
        return _damaged(run_id, f"provenance record names run {record.get('run_id')!r}, not {run_id!r}")
    digest = hashlib.sha256(table_bytes).hexdigest()
    stored = record.get(TABLE_KEY)
    expected: Any = record.get("evaluations")  # records written before checksums
    if stored is not None:
        if (
            not (isinstance(stored, dict) and isinstance(stored.get("sha256"), str))
            or not _is_count(stored.get("rows"))
            or not set(stored) <= _TABLE_ENTRY_KEYS  # sha256 and rows are checked present above
            or not isinstance(stored.get("record", ""), str)
        ):
            return _damaged(run_id, f"provenance record's {TABLE_KEY!r} entry is malformed: {stored!r}")
        if "record" in stored and stored["record"] != json_digest(record, leave_out=TABLE_KEY):
            return _damaged(
                run_id, "provenance record checksum mismatch: the record was changed after it was written"
            )
        if stored["sha256"] != digest:
            return _damaged(
                run_id,
                f"table checksum mismatch: the record has sha256 {stored['sha256'][:16]}..., "
                f"the table file {digest[:16]}...",
            )
        expected = stored["rows"]
    elif expected is not None and not _is_count(expected):
        return _damaged(run_id, f"provenance record's evaluation count is not a count: {expected!r}")
    try:
        table = pq.ParquetFile(pa.BufferReader(table_bytes)).read(use_threads=False)
    except Exception as exc:  # pyarrow raises several kinds for bytes that are not Parquet
        return _damaged(run_id, f"table unreadable ({type(exc).__name__}: {exc})")
    if expected is not None and table.num_rows != expected:
        return _damaged(run_id, f"table has {table.num_rows} rows, the provenance record says {expected}")
    if stored is None and "run_id" in table.column_names and table.num_rows:
        others = sorted(str(v) for v in pc.unique(table.column("run_id")).to_pylist() if v != run_id)
        if others:
            return _damaged(run_id, f"table holds rows of run(s) {', '.join(others[:3])}")
    ok = record.get("status") == "ok"
    check = RunCheck(
        run_id=run_id,
        state=RunState.OK if ok else RunState.FAILED,
        reason="" if ok else str(record.get("error") or f"status {record.get('status')!r}"),
        rows=table.num_rows,
        verified=stored is not None,
        provenance=record,
    )
    return Inspected(check, table, digest)


def check_run(out: Path, run_id: str) -> RunCheck:
    """Check whether run ``run_id`` of the study directory ``out`` is finished and intact.

    Finished (OK or FAILED) only if its record parses as a JSON object naming ``run_id``, its
    table decodes, and the table's sha256 and row count equal the record's (see the module
    docstring for records without checksums). A record without its table, or files that do not
    agree, are DAMAGED with the reason; no record (with or without a table) is MISSING.

    Reads both files once and decodes the table; never modifies anything.

    Raises:
        ValueError: ``run_id`` is not a plain file name.
    """
    return inspect_run(out / RUNS_DIR, run_id).check


def _names(runs: Path) -> set[str]:
    try:
        with os.scandir(runs) as entries:
            return {e.name for e in entries if not e.name.startswith(TMP_PREFIX)}
    except (FileNotFoundError, NotADirectoryError):
        return set()


def scan_runs(out: Path, run_ids: Iterable[str] | None = None) -> dict[str, RunCheck]:
    """Check the runs ``run_ids`` of ``out`` (all runs with a file in ``runs/`` when ``None``).

    One directory listing, then :func:`check_run` for each run that has a record (runs without
    one are MISSING without opening anything). Cost: both files of every recorded run are read
    and the tables decoded, about 0.6 ms per run of 100 rows.

    Returns:
        Run id -> its check, in the order of ``run_ids`` (sorted when ``None``), once per id.
    """
    runs = out / RUNS_DIR
    names = _names(runs)
    if run_ids is None:
        run_ids = sorted({n.rsplit(".", 1)[0] for n in names if n.endswith((".json", ".parquet"))})
    checks: dict[str, RunCheck] = {}
    for run_id in run_ids:
        if run_id in checks:
            continue
        if f"{run_id}.json" in names:
            checks[run_id] = inspect_run(runs, run_id).check
        else:
            check_run_id(run_id)
            found = "table without provenance record" if f"{run_id}.parquet" in names else "no files"
            checks[run_id] = RunCheck(run_id=run_id, state=RunState.MISSING, reason=found)
    return checks


Fingerprint = tuple[int, int, int, int]
"""(record size, record mtime_ns, table size, table mtime_ns) of one run's files."""


def run_fingerprints(out: Path) -> dict[str, Fingerprint | None]:
    """Fingerprint every run record in ``out``, by run id, in run-id order (one directory scan).

    A record whose table is missing maps to ``None``. Cheap: one ``stat`` per file, no reads.
    """
    runs = out / RUNS_DIR
    stats: dict[str, os.stat_result] = {}
    try:
        with os.scandir(runs) as entries:
            for entry in entries:
                if not entry.name.startswith(TMP_PREFIX) and entry.name.endswith((".json", ".parquet")):
                    try:
                        stats[entry.name] = entry.stat()
                    except OSError:  # removed since the scan
                        continue
    except (FileNotFoundError, NotADirectoryError):
        return {}
    out_: dict[str, Fingerprint | None] = {}
    for name in sorted(n for n in stats if n.endswith(".json")):
        stem = name[: -len(".json")]
        record, table = stats[name], stats.get(f"{stem}.parquet")
        out_[stem] = (
            None if table is None else (record.st_size, record.st_mtime_ns, table.st_size, table.st_mtime_ns)
        )
    return out_


def finished_run_ids(out: Path) -> set[str]:
    """Return the ids of the finished and intact runs of ``out`` (OK or FAILED, :func:`scan_runs`)."""
    return {run_id for run_id, check in scan_runs(out).items() if check.finished}
