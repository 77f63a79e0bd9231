"""Stand-ins for a study's runs that only wait (importable by the worker processes of bench_dispatch.py).

A run of a task waits ``LOAD`` seconds the first time its worker meets that task (loading the
task's data) and ``RUN`` seconds each time (the run itself); it answers the worker's pid and how
many tasks that worker has loaded so far.
"""

from __future__ import annotations

import os
import time

LOAD = 0.1
RUN = 0.046
_LOADED: set[str] = set()


def run(item: tuple[str, int, float, float]) -> tuple[int, int]:
    """Wait as a run of task ``item[0]`` would (``item[2]``: load seconds, ``item[3]``: run seconds)."""
    task, _, load, seconds = item
    if task not in _LOADED:
        time.sleep(load)
        _LOADED.add(task)
    time.sleep(seconds)
    return os.getpid(), len(_LOADED)
