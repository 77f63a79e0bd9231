"""Per-process caches of loaded tasks, which a long-lived process empties when it moves on.

Loading a task (a table, a curve file, a fitted model) costs milliseconds to seconds, so families
cache what they load and hand the same read-only benchmark to the next runs in the process. A
study's worker keeps to one task at a time (:mod:`hpobench.execution.study` hands out runs grouped
by task), so the tasks it has left only hold memory: one worker that went through the 79 tasks of
``benchmarks/bench_study.py`` grew from 174 to 396 MiB with every cache kept, and stayed at 230 MiB
with them emptied after each task.

:func:`task_cache` is ``functools.lru_cache`` that also registers the cache; families use it for
whatever is specific to one task. :func:`release_task_caches` empties every registered cache.
What many tasks share (a YAHPO scenario's ONNX session, a whole-suite data file) stays in plain
``lru_cache``: reloading it for each task would cost more than it holds. Imports nothing of the
project.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

__all__ = ["release_task_caches", "task_cache"]

T = TypeVar("T")

_CACHES: list[functools._lru_cache_wrapper[object]] = []


def task_cache(*, maxsize: int) -> Callable[[Callable[..., T]], functools._lru_cache_wrapper[T]]:
    """``functools.lru_cache(maxsize=maxsize)``, registered for :func:`release_task_caches`.

    Args:
        maxsize: The most entries kept (least recently used dropped first); at least 1.

    Raises:
        ValueError: ``maxsize`` is below 1 (an unbounded or disabled cache is not a task cache).
    """
    if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
        raise ValueError(f"maxsize must be an integer of at least 1, got {maxsize!r}")

    def wrap(fn: Callable[..., T]) -> functools._lru_cache_wrapper[T]:
        cached = functools.lru_cache(maxsize=maxsize)(fn)
        _CACHES.append(cached)
        return cached

    return wrap


def release_task_caches() -> int:
    """Empty every cache made with :func:`task_cache` in this process; return the entries dropped.

    Objects still referenced elsewhere (a benchmark a caller holds) live on; the next load of a
    released task reads it again. Safe to call at any time, from the thread that runs the tasks.
    """
    dropped = 0
    for cache in _CACHES:
        dropped += cache.cache_info().currsize
        cache.cache_clear()
    return dropped
