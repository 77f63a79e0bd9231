"""Runs read while a study is still running, so that its combined table has little left to read.

A study's combined table (:func:`hpobench.execution.store.write_combined`) checks and reads every
run's files. The process that hands out the runs is idle while its workers run them, so it reads
each run as soon as its worker has answered (:meth:`ReadAhead.add`); at the end,
``write_combined`` takes a run from here only while its files still have the fingerprint they
had when they were read, and reads the others from disk. The combined table's bytes are the
same either way.

Memory stays bounded whatever the study's size: decoded tables are kept only up to
``max_bytes`` in all; beyond that a run keeps its check, checksum and schema (a few hundred
bytes), and ``write_combined`` decodes its table once more while it streams the combined table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from hpobench.execution.runfiles import RUNS_DIR, Fingerprint, RunCheck, inspect_run

__all__ = ["HELD_BYTES", "AheadRun", "ReadAhead", "plain_schema", "run_fingerprint"]

HELD_BYTES = 64 << 20
"""Decoded run tables a study keeps in memory for its combined table, at most (bytes)."""


class AheadRun(NamedTuple):
    """A finished, intact run as read: its check, table checksum, schema and (maybe) table."""

    check: RunCheck
    sha256: str
    schema: pa.Schema
    """Its table's schema without metadata (what the combined table's columns are unified from)."""
    table: pa.Table | None
    """Its table without schema metadata; ``None`` where it was over the memory budget."""


def plain_schema(table: pa.Table) -> pa.Schema:
    """``table``'s schema with no metadata on it or its fields."""
    return pa.schema([f.remove_metadata() for f in table.schema])


def run_fingerprint(runs: Path, run_id: str) -> Fingerprint | None:
    """The fingerprint of one run's files in the folder ``runs`` (``None``: a file is missing).

    The same value as :func:`hpobench.execution.runfiles.run_fingerprints` gives for the run.
    """
    try:
        record = os.stat(runs / f"{run_id}.json")
        table = os.stat(runs / f"{run_id}.parquet")
    except OSError:
        return None
    return (record.st_size, record.st_mtime_ns, table.st_size, table.st_mtime_ns)


class ReadAhead:
    """Checked runs of the study folder ``out``, each with the fingerprint its files had when read.

    Args:
        out: The study folder (its runs are in ``out / RUNS_DIR``).
        max_bytes: Decoded tables kept, at most, in bytes (the others are decoded again later).
    """

    def __init__(self, out: Path, *, max_bytes: int = HELD_BYTES) -> None:
        self._runs = Path(out) / RUNS_DIR
        self._read: dict[str, tuple[Fingerprint, AheadRun]] = {}
        self._max = max_bytes
        self.held_bytes = 0
        """Bytes of the decoded tables kept."""

    def __len__(self) -> int:
        return len(self._read)

    def add(self, run_id: str) -> None:
        """Check and read ``run_id``'s files now (call once its worker has written them).

        Nothing is kept when the files are missing, not finished and intact, or change while
        they are read; such a run is read again by ``write_combined``.
        """
        before = run_fingerprint(self._runs, run_id)
        if before is None:
            return
        check, table, digest = inspect_run(self._runs, run_id)
        if not check.finished or table is None or digest is None or check.provenance is None:
            return
        if run_fingerprint(self._runs, run_id) != before:
            return
        table = table.replace_schema_metadata(None)
        keep = self.held_bytes + table.nbytes <= self._max
        self.held_bytes += table.nbytes if keep else 0
        self._read[run_id] = (before, AheadRun(check, digest, plain_schema(table), table if keep else None))

    def get(self, run_id: str, fingerprint: Fingerprint) -> AheadRun | None:
        """The run as read, if its files still have ``fingerprint``; else ``None`` (read it again)."""
        entry = self._read.get(run_id)
        if entry is None or entry[0] != fingerprint:
            return None
        return entry[1]
