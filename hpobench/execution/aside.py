"""Setting a run's files aside: damaged ones, and failed ones about to be retried; never deleting.

The study runner (:mod:`hpobench.execution.study`) moves a run's two files
(:mod:`hpobench.execution.runfiles`) out of ``runs/`` before it executes the run again, so what was
there stays readable, with a note saying why.
"""

from __future__ import annotations

import os
import time
from enum import Enum
from pathlib import Path

from hpobench.execution.runfiles import RUNS_DIR, check_run_id

__all__ = ["REASON_FILE", "Aside", "move_aside"]

REASON_FILE = "reason.txt"
"""Name of the note written beside files set aside by :func:`move_aside`."""


class Aside(Enum):
    """Where :func:`move_aside` keeps a run's files (a folder of the study directory)."""

    DAMAGED = "damaged"
    """Files that did not read back intact; the run is executed again."""
    RETRIED = "retried"
    """A failed run's files, kept when the run is executed again."""


def move_aside(out: Path, run_id: str, *, reason: str, into: Aside = Aside.DAMAGED) -> Path | None:
    """Move the files of ``run_id`` out of ``runs/`` into ``OUT/<into>/<run_id>.<n>/``; never delete.

    ``n`` is the first number from 1 whose folder does not exist yet (claimed with an exclusive
    ``mkdir``), so files set aside several times never overwrite each other. The folder gets a
    note :data:`REASON_FILE` first (``reason``, where from, UTC time), then the record, then the
    table, each moved with a rename: interrupted at any point, no file is lost and ``runs/`` holds
    at most a table without record (a MISSING run). Whatever exists of the two files is moved.

    Args:
        out: The study directory.
        run_id: The run.
        reason: Why, for the note (e.g. :attr:`hpobench.execution.runfiles.RunCheck.reason`).
        into: Which folder: damaged files, or a failed run about to be retried.

    Returns:
        The folder that now holds the files, or ``None`` when the run had no file to move.

    Raises:
        ValueError: ``run_id`` is not a plain file name.
    """
    check_run_id(run_id)
    runs = out / RUNS_DIR
    files = [runs / f"{run_id}{suffix}" for suffix in (".json", ".parquet")]
    present = [p for p in files if p.is_file()]
    if not present:
        return None
    parent = out / into.value
    parent.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        dest = parent / f"{run_id}.{n}"
        try:
            dest.mkdir()
            break
        except FileExistsError:
            n += 1
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    note = f"{reason}\n\nmoved from {RUNS_DIR}/ ({', '.join(p.name for p in present)}) at {stamp}\n"
    (dest / REASON_FILE).write_text(note, encoding="utf-8")
    for path in present:
        try:
            os.replace(path, dest / path.name)
        except FileNotFoundError:  # gone since the listing: nothing to keep
            continue
    return dest
