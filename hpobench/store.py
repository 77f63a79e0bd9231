"""The result store: one long-format Parquet file per run plus a JSON provenance record.

Layout of a study directory::

    OUT/
      study.json               what was asked for (benchmarks, methods, seeds, budget)
      runs/<run_id>.parquet    one row per evaluation (see :data:`COLUMNS`)
      runs/<run_id>.json       provenance; its presence marks the run as finished

      combined/evaluations.parquet   all runs' tables in one file (derived, see below)
      combined/runs.json             all provenance records, with each run's file fingerprint

Both files are written atomically (temporary file in the same folder, fsync, rename), the
Parquet file first, so a study killed at any moment leaves only whole files, and a run counts as
finished exactly when its JSON record exists. Result tables hold no wall-clock quantity, so the
same run always produces byte-identical Parquet files; timings live in the JSON record.

The per-run files are the truth. ``combined/`` is a derived copy that makes reading a large study
one file read instead of thousands (:func:`write_combined`, called when a study finishes or is
resumed): it names, for every run it holds, the size and modification time of the run's two
files, so a reader uses a run's rows from it only while that run's files are unchanged, and
reads other runs from their own files (:func:`read_combined`). The table carries a token that the
index names, so a table and an index from different writes are never used together.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hpobench._files import temporary_beside

__all__ = [
    "COLUMNS",
    "COMBINED_DIR",
    "RUNS_DIR",
    "Combined",
    "CombinedRun",
    "atomic_write_bytes",
    "finished_run_ids",
    "read_combined",
    "read_provenance",
    "remove_stale_temporaries",
    "run_fingerprints",
    "write_combined",
    "write_run",
]

RUNS_DIR = "runs"
COMBINED_DIR = "combined"
TMP_PREFIX = ".tmp-"
_COMBINED_TABLE = "evaluations.parquet"
_COMBINED_INDEX = "runs.json"
_COMBINED_VERSION = 1
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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either no file or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temporary_beside(path, prefix=TMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def write_run(out: Path, run_id: str, frame: pd.DataFrame, provenance: Mapping[str, Any]) -> None:
    """Store one run: the Parquet table, then the provenance record that marks it finished."""
    runs = out / RUNS_DIR
    atomic_write_bytes(runs / f"{run_id}.parquet", _parquet_bytes(frame))
    text = json.dumps(provenance, indent=1, sort_keys=True, default=str) + "\n"
    atomic_write_bytes(runs / f"{run_id}.json", text.encode("utf-8"))


def finished_run_ids(out: Path) -> set[str]:
    """Return the ids of runs whose provenance record and table both exist."""
    runs = out / RUNS_DIR
    if not runs.is_dir():
        return set()
    done = (p for p in runs.glob("*.json") if not p.name.startswith(TMP_PREFIX))
    return {p.stem for p in done if p.with_suffix(".parquet").is_file()}


def read_provenance(path: Path) -> dict[str, Any]:
    """Read one provenance record."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a provenance record")
    return data


def remove_stale_temporaries(out: Path) -> int:
    """Delete temporary files left by an interrupted study; return how many were removed."""
    stale = [p for folder in (RUNS_DIR, COMBINED_DIR) for p in (out / folder).glob(f"{TMP_PREFIX}*")]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


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


@dataclass(frozen=True, kw_only=True)
class CombinedRun:
    """One run of the combined table.

    Attributes:
        fingerprint: Its files' fingerprint when they were combined (see :func:`run_fingerprints`).
        offset: Its first row in the combined table.
        rows: Its number of rows.
        provenance: Its provenance record.
    """

    fingerprint: Fingerprint
    offset: int
    rows: int
    provenance: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Combined:
    """The combined table of a study and the runs it holds (see :func:`read_combined`).

    Attributes:
        table: The evaluations of every run in ``runs``, grouped by run in run-id order.
        runs: Run id -> where its rows are and what its files looked like.
        unreadable: Run id -> fingerprint of the runs whose files could not be read when the
            table was written (left out; readers read them, and report them, themselves).
    """

    table: pa.Table
    runs: dict[str, CombinedRun]
    unreadable: dict[str, Fingerprint]

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
                provenance=dict(e["provenance"]),
            )
            for run_id, e in index["runs"].items()
        }
        unreadable = {str(k): _fingerprint(f) for k, f in index.get("unreadable", {}).items()}
        if source.metadata.num_rows != sum(e.rows for e in entries.values()):
            return None
        table = source.read(columns=columns, use_threads=True)
    except Exception:  # missing, damaged or foreign: the per-run files are the truth
        return None
    return Combined(table=table.replace_schema_metadata(None), runs=entries, unreadable=unreadable)


def write_combined(out: Path) -> int:
    """Write (or bring up to date) the combined table of every finished run in ``out``.

    Runs whose files are unchanged since the previous combined table are copied from it; the
    others are read from their own files. A run whose files cannot be read is left out (readers
    then read, and report, its files themselves). Both files are written atomically, the table
    first; the index names the table's token, so a reader never pairs a new table with an old
    index or the reverse. Call when a study finishes or is resumed; safe to call at any time.

    Returns:
        The number of runs in the combined table (nothing is written when it is up to date).
    """
    prints = {k: v for k, v in run_fingerprints(out).items() if v is not None}
    previous = read_combined(out, columns=[])  # no column yet: only whether anything changed
    if previous is not None:
        if previous.covers(prints):
            return len(previous.runs)  # already up to date
        previous = read_combined(out)
    parts: list[pa.Table] = []
    index: dict[str, dict[str, Any]] = {}
    unreadable: dict[str, list[int]] = {}
    offset = 0
    runs = out / RUNS_DIR
    for run_id, fingerprint in prints.items():
        entry = previous.current(run_id, fingerprint) if previous is not None else None
        try:
            if previous is not None and entry is not None:
                table, provenance = previous.table.slice(entry.offset, entry.rows), entry.provenance
            else:
                provenance = read_provenance(runs / f"{run_id}.json")
                table = pq.ParquetFile(runs / f"{run_id}.parquet").read(use_threads=False)
        except Exception:  # a damaged run is read (and reported) from its own files
            unreadable[run_id] = list(fingerprint)
            continue
        parts.append(table.replace_schema_metadata(None))
        index[run_id] = {
            "fingerprint": list(fingerprint),
            "offset": offset,
            "rows": table.num_rows,
            "provenance": provenance,
        }
        offset += table.num_rows
    combined = (
        pa.concat_tables(parts, promote_options="permissive") if parts else pa.table({c: [] for c in COLUMNS})
    )
    content = json.dumps([index, unreadable], sort_keys=True, default=str)
    token = hashlib.sha256(content.encode("utf-8")).hexdigest()
    combined = combined.replace_schema_metadata({_TOKEN_KEY: token.encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(combined, sink, compression="zstd")
    folder = out / COMBINED_DIR
    atomic_write_bytes(folder / _COMBINED_TABLE, bytes(sink.getvalue().to_pybytes()))
    record = {"version": _COMBINED_VERSION, "token": token, "runs": index, "unreadable": unreadable}
    atomic_write_bytes(folder / _COMBINED_INDEX, json.dumps(record, default=str).encode("utf-8"))
    return len(index)
