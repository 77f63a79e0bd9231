"""Argument types of the `hpobench` command: seeds, budgets, memory sizes, timeouts, thread counts, ``--set``.

Each raises :class:`argparse.ArgumentTypeError` (or :class:`~hpobench.contracts.errors.HpobenchError`
for ``--set``) with a message that says how to write the value; argparse turns it into the one-line
``hpobench: error: ...``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from typing import Any

from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import HpobenchError


def _parse_seeds(text: str) -> list[int]:
    """Parse ``"0-4"``, ``"0,3,7"`` or a mix such as ``"0-2,10"``."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            if sep and lo and hi and int(lo) > int(hi):
                raise argparse.ArgumentTypeError(
                    f"seed range {part.strip()!r} is reversed: write it low-high, e.g. {int(hi)}-{int(lo)}"
                )
            seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read seeds {text!r}: use e.g. 0-9 or 0,1,5") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"seeds must be non-negative integers, got {text!r}")
    return list(dict.fromkeys(seeds))


def _parse_budget(text: str) -> Budget:
    try:
        return Budget.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parse_timeout(text: str) -> float:
    """Wall-clock seconds per run: a positive number, or 0 for none (``inf`` is none too)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not seconds >= 0.0:  # NaN fails this too
        raise argparse.ArgumentTypeError(
            f"a run's timeout must be a positive number of seconds or 0 (none), got {text!r}"
        )
    return 0.0 if math.isinf(seconds) else seconds


def _parse_threads(text: str) -> int:
    """A positive number of threads per run."""
    try:
        threads = int(text)
    except ValueError:
        threads = 0
    if threads < 1:
        raise argparse.ArgumentTypeError(f"threads per run must be a positive integer, got {text!r}")
    return threads


def _parse_memory(text: str) -> int:
    from hpobench.execution.containment import parse_memory

    try:
        return parse_memory(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parse_set(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Parse ``METHOD.KEY=VALUE`` items (VALUE read as JSON, else as a string)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or not method or not name:
            raise HpobenchError(f"cannot read --set {item!r}: use METHOD.KEY=VALUE, e.g. hyperband.eta=2")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(method, {})[name] = value
    return out
