"""Runs read while a study is still running, so that its combined table has little left to read.

A study's combined table (:func:`hpobench.execution.store.write_combined`) checks and reads every
run's files. The process that hands out the runs is idle while its workers run them, so it reads
each run as soon as its worker has answered (:meth:`ReadAhead.add`); at the end,
``write_combined`` takes a run from here only while its files still have the fingerprint they
had when they were read, and reads the others from disk. The combined table's bytes are the
same either way.
"""

from __future__ import annotations

import os
from pathlib import Path

from hpobench.execution.runfiles import RUNS_DIR, Fingerprint, Inspected, inspect_run

__all__ = ["ReadAhead", "run_fingerprint"]


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
    """

    def __init__(self, out: Path) -> None:
        self._runs = Path(out) / RUNS_DIR
        self._read: dict[str, tuple[Fingerprint, Inspected]] = {}

    def __len__(self) -> int:
        return len(self._read)

    def add(self, run_id: str) -> None:
        """Check and read ``run_id``'s files now (call once its worker has written them).

        Nothing is kept when the files are missing or change while they are read; such a run is
        read again by ``write_combined``.
        """
        before = run_fingerprint(self._runs, run_id)
        if before is None:
            return
        inspected = inspect_run(self._runs, run_id)
        if run_fingerprint(self._runs, run_id) == before:
            self._read[run_id] = (before, inspected)

    def get(self, run_id: str, fingerprint: Fingerprint) -> Inspected | None:
        """The run as read, if its files still have ``fingerprint``; else ``None`` (read it again)."""
        entry = self._read.get(run_id)
        if entry is None or entry[0] != fingerprint:
            return None
        return entry[1]
