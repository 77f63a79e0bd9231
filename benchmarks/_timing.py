"""Timing helpers shared by the bench scripts: interleaved repeats, min and median, goal lines.

Every comparison in a bench script is measured in the same process and run: each repeat times
every case once, in turn (interleaved), so all cases see the same machine state; a shared
machine's noise then shows as a spread between min and median instead of as a bias against
whichever case ran during a busy moment. A peer that cannot be imported is reported as
``peer unavailable: <reason>``, never replaced by a remembered number.

Import from a script in this folder with ``from _timing import ...`` (scripts run as
``python benchmarks/NAME.py``, which puts this folder first on ``sys.path``).
"""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

__all__ = ["Timing", "goal_line", "interleaved", "peer", "unavailable"]


@dataclass(frozen=True, kw_only=True)
class Timing:
    """The seconds of each repeat of one case.

    Attributes:
        name: The case.
        seconds: One duration per repeat, in the order measured.
    """

    name: str
    seconds: tuple[float, ...]

    @property
    def min(self) -> float:
        """The fastest repeat (the least disturbed by other processes)."""
        return min(self.seconds)

    @property
    def median(self) -> float:
        """The median repeat."""
        return statistics.median(self.seconds)

    def per(self, n: int, *, scale: float = 1e6) -> str:
        """``min / median`` per unit of ``n`` (microseconds by default), as text."""
        return f"{scale * self.min / n:.3g} / {scale * self.median / n:.3g}"


def interleaved(
    cases: Mapping[str, Callable[[], object]],
    *,
    repeats: int,
    clock: Callable[[], float] = time.perf_counter,
    warmup: bool = True,
) -> dict[str, Timing]:
    """Time every case ``repeats`` times, one call of each case per round, in turn.

    Args:
        cases: Name -> a call to time (its return value is ignored).
        repeats: Rounds; each round calls every case once.
        clock: The clock (``time.perf_counter`` for wall time, ``time.thread_time`` for this
            thread's CPU time).
        warmup: Whether each case is called once, untimed, before the first round.

    Returns:
        Name -> :class:`Timing`, in the order of ``cases``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if warmup:
        for fn in cases.values():
            fn()
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            start = clock()
            fn()
            seconds[name].append(clock() - start)
    return {name: Timing(name=name, seconds=tuple(s)) for name, s in seconds.items()}


def peer(module: str) -> tuple[ModuleType | None, str]:
    """Import a peer's module: ``(module, "")``, or ``(None, reason)`` when it cannot be imported."""
    try:
        return importlib.import_module(module), ""
    except Exception as exc:  # any failure to import makes the peer unavailable, with its reason
        return None, f"{type(exc).__name__}: {exc}".splitlines()[0][:160]


def unavailable(measure: str, reason: str) -> str:
    """The goal line of a measure whose peer could not run here."""
    return f"GOAL {measure}: peer unavailable: {reason}"


def goal_line(measure: str, *, value: str, goal: str, met: bool, peer_text: str = "") -> str:
    """One line per goal row: what was measured, the peer measured in the same run, the goal, MET/MISSES."""
    against = f"; peer {peer_text}" if peer_text else ""
    return f"GOAL {measure}: {value}{against}; goal {goal}: {'MET' if met else 'MISSES'}"
