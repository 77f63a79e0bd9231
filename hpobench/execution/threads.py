"""Thread pools of a run: BLAS and OpenMP pinned to one thread by default, and recorded.

A numerical library left alone starts one thread per core in every process. That costs twice:

* **Results.** A multithreaded BLAS or torch call splits its sums between threads, and the order
  of a floating-point sum sets its last bits. A GP-BO run of 100 evaluations on
  ``fcnet/naval_propulsion`` (seed 0) on 2 BLAS threads picked another configuration than on 1
  from its 12th evaluation on, and a DyHPO run (torch) on ``lcbench_own/australian`` differed on
  2 and 4 threads too; on 1 thread each gives the same bits every time. So the result of a run
  would depend on the machine's cores and on ``--jobs``.
* **Speed.** The methods' matrices are small (a GP over at most a few hundred points): handing
  their work to threads costs more than it saves. The same run took 0.39-0.43 s on 1 thread and
  1.0-1.3 s on 2 (2-core machine).

Each run therefore limits the thread pools of the libraries loaded in its process (through
``threadpoolctl``) to ``threads``, 1 unless the caller asks for more, while it runs; the study
runner also sets the usual ``*_NUM_THREADS`` variables in its workers' environment, for libraries
that a run loads later and that read them when they start. The limit is recorded in the run's
provenance. More threads (:func:`thread_share` gives a run its share of the cores) can speed up
methods whose networks are large (ifBO's FT-PFN ran 1.5x faster on 2 threads) and may change the
last bits, and so the trajectory, of methods that use BLAS or torch; a run's provenance says
which limit it ran with.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from hpobench.contracts.cores import available_cores

__all__ = [
    "DEFAULT_THREADS",
    "ENV_VARS",
    "available_cores",
    "local_workers",
    "pinned_threads",
    "thread_environ",
    "thread_share",
]

DEFAULT_THREADS = 1
"""A run's thread limit unless its caller chooses another: the same results on every machine."""

ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
"""Environment variables that numerical libraries read for their thread count when they start."""


def local_workers(jobs: int) -> int:
    """Worker processes of a study with ``jobs`` on this machine: ``jobs``, or one per usable core for -1."""
    return max(1, available_cores() if jobs == -1 else jobs)


def thread_share(jobs: int) -> int:
    """Threads per run when ``jobs`` runs share this machine's cores: ``cores // jobs``, at least 1.

    An explicit choice for ``threads`` (never the default): see the module's note on results.
    """
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
