"""Process memory settings of the commands that hold a whole study (``run``, ``report``).

glibc serves allocations above its mmap threshold with their own mappings, returned to the
system when freed; but it raises that threshold (up to 32 MiB) each time such a block is freed,
so the tens-of-MB arrays a study's analysis makes and drops one after the other end up in the
heap, which keeps the memory after they are freed. :func:`return_freed_memory` fixes the
threshold at glibc's default (128 KiB), so freed arrays go back to the system and a command's
peak is what it holds at once, not the sum of its stages (measured on a 3M-row study's report:
peak PSS 1.06 -> 0.86 GiB, same wall time; ``benchmarks/bench_study.py``). Elsewhere than glibc
it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["MMAP_THRESHOLD", "return_freed_memory"]

MMAP_THRESHOLD = 128 << 10
"""Bytes from which an allocation gets its own mapping (glibc's default, kept fixed)."""

_M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter number for the mmap threshold (malloc.h)."""


def return_freed_memory() -> bool:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD` for this process.

    Returns:
        Whether the setting took (``False`` off Linux or without glibc).
    """
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
