"""One study folder, one writer: an advisory lock held by the process that runs the study.

``OUT/.hpobench.lock`` is locked with ``flock`` for as long as a study runs in ``OUT``, and holds
the owner's pid, host, start time and worker pids as JSON. A second study on the same folder is
refused with a message naming the owner while the owner lives. The kernel releases the lock the
moment its owner dies (SIGKILL included), so a lock left by a dead process is simply taken over;
the previous owner's record is reported. The workers of a dead owner exit on their own within
milliseconds (see :mod:`hpobench.execution.containment`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpobench.contracts.errors import HpobenchError

__all__ = ["LOCK_NAME", "StudyBusyError", "StudyLock", "study_lock"]

LOCK_NAME = ".hpobench.lock"


class StudyBusyError(HpobenchError):
    """Another live process is running a study in the same folder."""


@dataclass(kw_only=True)
class StudyLock:
    """The held lock of one study folder.

    Attributes:
        path: The lock file.
        previous: The record left by an earlier owner that died without releasing its
            folder's lock file cleanly (``None`` when the folder was free or never locked).
    """

    path: Path
    previous: dict[str, Any] | None
    _fd: int = -1
    _record: dict[str, Any] = field(default_factory=dict)

    def set_workers(self, pids: list[int]) -> None:
        """Record the pids of the study's worker processes in the lock file."""
        self._record["workers"] = list(pids)
        self._write()

    def _write(self) -> None:
        # One pwrite over the old record, padded with blanks to at least its length: a SIGKILL
        # between a truncate and a write would leave an empty file, that is, a lock with no owner
        # record; trailing blanks are valid JSON whitespace.
        data = (json.dumps(self._record, sort_keys=True) + "\n").encode()
        old = os.fstat(self._fd).st_size
        os.pwrite(self._fd, data.ljust(old), 0)


def _read(fd: int) -> dict[str, Any] | None:
    try:
        text = os.pread(fd, 1 << 16, 0).decode("utf-8", "replace").strip()
        record = json.loads(text) if text else None
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


@contextlib.contextmanager
def study_lock(out: Path) -> Iterator[StudyLock]:
    """Hold the lock of study folder ``out`` (created if needed) for the duration of the block.

    Raises:
        StudyBusyError: A live process holds the lock.
    """
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read(fd) or {}
            raise StudyBusyError(
                f"study folder {str(out)!r} is in use by process {owner.get('pid', '?')} on "
                f"{owner.get('host', '?')} (since {owner.get('started', '?')}): wait for it to finish "
                "or stop it, then re-run (a lock whose owner died is taken over automatically)"
            ) from None
        lock = StudyLock(path=path, previous=_read(fd), _fd=fd)
        lock._record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": " ".join(sys.argv),
            "workers": [],
        }
        lock._write()
        try:
            yield lock
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # an empty lock file: released cleanly
    finally:
        os.close(fd)  # releases the flock
