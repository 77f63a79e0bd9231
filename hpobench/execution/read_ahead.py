"""Runs read while a study is still running, so that its combined table has little left to read.

A study's combined table (:func:`hpobench.execution.store.write_combined`) checks and reads every
run's files. The process that hands out the runs is idle while its workers run them, so it reads
each run as soon as its worker has answered; at the end, ``write_combined`` takes a run from here
only while its files still have the fingerprint they had when they were read, and reads the
others from disk. The combined table's bytes are the same either way.

A study reads on a thread of its own (:meth:`ReadAhead.submit`, then :meth:`ReadAhead.wait`), not
on the thread that hands out the runs: decoding a run's table takes about a millisecond, and with
many workers their answers come faster than that, so reading inline would keep finished workers
waiting for their next runs. The decoding releases the GIL; the order of the reads is the order
of the submissions (one thread), as it was inline.

Memory stays bounded whatever the study's size: decoded tables are kept only up to
``max_bytes`` in all (a study gives :func:`held_bytes` of its number of workers); beyond that a
run keeps its check, checksum and schema (a few hundred bytes), and ``write_combined`` decodes
its table once more while it streams the combined table.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from hpobench.execution.runfiles import RUNS_DIR, Fingerprint, RunCheck, inspect_run

__all__ = [
    "HELD_BYTES",
    "MAX_HELD_BYTES",
    "AheadRun",
    "ReadAhead",
    "held_bytes",
    "plain_schema",
    "run_fingerprint",
]

HELD_BYTES = 64 << 20
"""Decoded run tables kept in memory for a combined table, at most (bytes), per worker process of
the study (:func:`held_bytes`); also the budget of a combined table written without a read-ahead."""
MAX_HELD_BYTES = 1 << 30
"""The most a study keeps, however many worker processes it has (bytes)."""


def held_bytes(jobs: int) -> int:
    """What a study with ``jobs`` worker processes keeps of its decoded run tables, at most (bytes).

    :data:`HELD_BYTES` per worker, up to :data:`MAX_HELD_BYTES`: a machine that runs many workers
    (each holding its task and its run) has the memory for it, and the tables held are not
    decoded again at the end, after the last run, while the workers are idle. On a 16-core
    machine (the device of issue 17) a 400-run FCNet study of 1,000 evaluations a run (147 MB of
    decoded tables) ended 0.32 s after its last run file with every table held, against 0.39 s
    with 64 MiB.

    Raises:
        ValueError: ``jobs`` is below 1.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    return min(HELD_BYTES * jobs, MAX_HELD_BYTES)


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
        self.max_bytes = max_bytes
        """Decoded tables kept, at most, in bytes."""
        self.held_bytes = 0
        """Bytes of the decoded tables kept."""
        self._pool: ThreadPoolExecutor | None = None
        self._errors: list[Future[None]] = []  # submitted reads that raised

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
        keep = self.held_bytes + table.nbytes <= self.max_bytes
        self.held_bytes += table.nbytes if keep else 0
        self._read[run_id] = (before, AheadRun(check, digest, plain_schema(table), table if keep else None))

    def submit(self, run_id: str) -> None:
        """:meth:`add` ``run_id`` on the read-ahead's own thread, after the runs submitted before it.

        Returns at once. Call :meth:`wait` before :meth:`get` or ``len``.
        """
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hpobench-read-ahead")
        self._pool.submit(self.add, run_id).add_done_callback(self._note)

    def _note(self, read: Future[None]) -> None:
        if not read.cancelled() and read.exception() is not None:
            self._errors.append(read)

    def wait(self, *, cancel: bool = False) -> None:
        """Wait for the submitted reads to end and stop the thread (no-op without submissions).

        Args:
            cancel: Give up the reads (e.g. when the study is interrupted): those not started
                are dropped and errors are not raised; ``write_combined`` reads their runs
                from disk.

        Raises:
            Exception: Without ``cancel``, the first exception a submitted read raised.
        """
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=cancel)
        errors, self._errors = self._errors, []
        if errors and not cancel:
            errors[0].result()  # re-raises the read's exception

    def get(self, run_id: str, fingerprint: Fingerprint) -> AheadRun | None:
        """The run as read, if its files still have ``fingerprint``; else ``None`` (read it again)."""
        entry = self._read.get(run_id)
        if entry is None or entry[0] != fingerprint:
            return None
        return entry[1]
