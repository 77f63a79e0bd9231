"""How many cores this process may use: what ``--jobs -1`` and "one thread per core" count.

``os.cpu_count()`` counts the machine's cores, not the ones a process may run on. A batch job
(SLURM, ``taskset``) is usually held to a few cores by its CPU affinity, and a container (Docker's
``--cpus``, a Kubernetes CPU limit) by a CPU bandwidth quota of its cgroup; both leave
``os.cpu_count()`` at the whole machine's count. Starting one worker per core of a 128-core node
inside a 4-core allocation would run 32 workers on each core, each holding its tasks in memory.

:func:`available_cores` takes the smallest of the three, as joblib's ``cpu_count`` does (the
same files: cgroup v2's ``cpu.max``, else v1's ``cpu.cfs_quota_us`` and ``cpu.cfs_period_us``, at
the cgroup root a container sees), without importing joblib. Imports nothing of the project.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["available_cores", "cgroup_cpu_limit"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
"""Where Linux mounts the cgroup file system (a container sees its own cgroup there)."""


def cgroup_cpu_limit(root: Path | None = None) -> int | None:
    """Cores the cgroup's CPU bandwidth quota allows (rounded up), or ``None`` where there is none.

    Reads ``root / "cpu.max"`` (cgroup v2: ``"<quota> <period>"`` or ``"max <period>"``), else
    ``root / "cpu" / "cpu.cfs_quota_us"`` and ``"cpu.cfs_period_us"`` (cgroup v1: a quota of -1
    means none). Missing or unreadable files, and values that are not positive integers, mean
    no quota.

    Args:
        root: The cgroup file system's mount point (``None``: :data:`CGROUP_ROOT`).
    """
    root = CGROUP_ROOT if root is None else root
    quota = period = None
    try:
        parts = (root / "cpu.max").read_text().split()
        if len(parts) == 2:
            quota, period = parts
    except OSError:
        pass
    if quota is None:
        try:
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        allowed, per = int(quota), int(period or "")
    except ValueError:  # "max": no quota
        return None
    if allowed <= 0 or per <= 0:  # -1: no quota (cgroup v1)
        return None
    return max(1, math.ceil(allowed / per))


def available_cores() -> int:
    """Cores this process may use: the machine's, at most its CPU affinity's and its cgroup's quota.

    Read afresh on each call (a process may change its own affinity); at least 1.
    """
    cores = os.cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        cores = min(cores, len(os.sched_getaffinity(0)))
    quota = cgroup_cpu_limit()
    if quota is not None:
        cores = min(cores, quota)
    return max(1, cores)
