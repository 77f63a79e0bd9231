"""Thread pools of a run: BLAS and OpenMP pinned to the run's share of the cores, and recorded.

A numerical library left alone starts one thread per core in every process: two runs at once on
two cores then run four BLAS threads that fight over the cores, and a run whose matrices are
small spends more time handing work to threads than computing. Each run therefore limits the
thread pools of the libraries loaded in its process (through ``threadpoolctl``) to its share of
the cores while it runs, and the study runner also sets the usual ``*_NUM_THREADS`` variables
in its workers' environment, for libraries that a run loads later and that read them when they
start. The limit is recorded in the run's provenance. Results do not depend on it: the
simulation's values come from the benchmark and the method's seeded generators, and the thread
count of a BLAS call changes only how its work is split.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["ENV_VARS", "available_cores", "pinned_threads", "thread_environ", "thread_share"]

ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
"""Environment variables that numerical libraries read for their thread count when they start."""


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform says, else all)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def thread_share(jobs: int) -> int:
    """Threads per run when ``jobs`` runs share this machine's cores: ``cores // jobs``, at least 1."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    return max(1, available_cores() // jobs)


def thread_environ(limit: int) -> dict[str, str]:
    """The ``*_NUM_THREADS`` variables (:data:`ENV_VARS`) that limit a process to ``limit`` threads."""
    _check(limit)
    return dict.fromkeys(ENV_VARS, str(limit))


def _check(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"a thread limit must be a positive integer, got {limit!r}")


_CONTROLLER: tuple[int, Any] | None = None
"""The process's ``ThreadpoolController`` and the number of modules loaded when it was built."""


def _controller() -> Any:
    """A controller of the thread pools loaded now (rebuilt when modules were imported since)."""
    global _CONTROLLER
    from threadpoolctl import ThreadpoolController

    loaded = len(sys.modules)
    if _CONTROLLER is None or _CONTROLLER[0] != loaded:  # a scan costs ~1 ms; a run reuses it
        _CONTROLLER = (loaded, ThreadpoolController())
    return _CONTROLLER[1]


@contextlib.contextmanager
def pinned_threads(limit: int) -> Iterator[dict[str, Any]]:
    """Limit the BLAS and OpenMP thread pools loaded in this process to ``limit`` threads.

    The previous limits are restored when the block ends. Yields the JSON-ready record of the
    run's provenance: the limit, and each pool as ``{"api", "library", "threads"}`` (the
    threads it was left with).

    Raises:
        ValueError: ``limit`` is not a positive integer.
    """
    _check(limit)
    controller = _controller()
    with controller.limit(limits=limit):
        pools = [
            {"api": info["user_api"], "library": info["internal_api"], "threads": info["num_threads"]}
            for info in controller.info()
        ]
        yield {"limit": limit, "pools": pools}
