"""What a study's runs were made with, as the report states it: versions, thread limits, data checks.

Each run's provenance record holds the versions of Python, the platform and the numerical packages
it ran with (``versions``), its BLAS/OpenMP thread limit (``threads.limit``) and whether its data
matched the pinned checksums (``data_verified``); :func:`hpobench.results.load.load_results` keeps
them as the run table's ``versions``, ``thread_limit`` and ``data_verified`` columns. A study
resumed after an upgrade, on another machine or with another ``--threads`` holds runs of several
kinds; results of methods that use BLAS, torch or onnxruntime can differ between them in their last
bits and so in their trajectories. :func:`environment` says what the runs were made with in one
line where they agree, and writes one note per thing they disagree on, with its run counts, for the
report's Notes (a reader sees them first).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = ["environment"]

_FIRST = ("hpobench", "python", "platform")
"""Keys of the versions record shown first, in this order (packages follow by name)."""
_LABELS = {"python": "Python"}


def _versions(text: Any) -> dict[str, str]:
    """A run's versions record from its column text (empty where it has none or it does not read)."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _counted(counts: Counter[Any], shown: Callable[[Any], str] = str) -> str:
    """``"a (3 runs), b (1 run)"``, the most common first (ties by text)."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return ", ".join(f"{shown(value)} ({n} run{'s' if n != 1 else ''})" for value, n in ordered)


def _order(key: str) -> tuple[int, str]:
    """hpobench, Python and the platform first, then the packages by name."""
    return (_FIRST.index(key), "") if key in _FIRST else (len(_FIRST), key.lower())


def _counts(runs: pd.DataFrame, column: str, kind: type) -> Counter[Any]:
    """How many runs have each value of ``column`` (as ``kind``; ``None``: unrecorded, or no column)."""
    values = runs[column].tolist() if column in runs else [None] * len(runs)
    return Counter(None if v is None or (isinstance(v, float) and math.isnan(v)) else kind(v) for v in values)


def _limit(value: Any) -> str:
    return "unrecorded" if value is None else str(value)


def environment(runs: pd.DataFrame) -> tuple[str, list[str]]:
    """The line saying what ``runs`` were made with, and one note per thing on which they disagree.

    Args:
        runs: :attr:`hpobench.results.load.StudyResults.runs` (its ``versions``, ``thread_limit`` and
            ``data_verified`` columns; runs written before they were recorded count as
            "unrecorded").

    Returns:
        ``(line, notes)``: the line names each version every run agrees on (hpobench, Python and
        the platform first), the thread limit and the data check where all agree; each note names a
        version, the thread limit or the data check on which runs differ, with how many runs had
        each value.
    """
    n = len(runs)
    # runs of one study mostly share one versions text: each distinct text is read once
    texts = Counter(runs["versions"].tolist() if "versions" in runs else [None] * n)
    records = [(_versions(text), count) for text, count in texts.items()]
    keys = sorted({k for r, _ in records for k in r}, key=_order)
    agreed: list[str] = []
    notes: list[str] = []
    for key in keys:
        counts: Counter[str | None] = Counter()
        for record, count in records:
            counts[record.get(key)] += count
        if len(counts) == 1:
            agreed.append(f"{_LABELS.get(key, key)} {next(iter(counts))}")
        else:
            what = "on different platforms" if key == "platform" else f"with different {key} versions"
            why = "" if key == "platform" else " (and any code that changed between them)"
            notes.append(
                f"the runs were made {what}: "
                f"{_counted(counts, lambda v: 'unrecorded' if v is None else v)}; methods that use "
                f"BLAS, torch or onnxruntime{why} can give other results, so compare these runs with care"
            )
    limits = _counts(runs, "thread_limit", int)
    parts = ["; ".join(agreed) if agreed else "no versions recorded"]
    if len(limits) == 1:
        only = next(iter(limits))
        threads = f"{only} BLAS/OpenMP thread{'s' if only != 1 else ''} per run"
        parts.append("thread limit unrecorded" if only is None else threads)
    elif limits:  # none at all for no runs
        notes.append(
            f"the runs ran with different BLAS/OpenMP thread limits: {_counted(limits, _limit)}; a "
            "method that uses BLAS or torch can give other last bits, and so another trajectory, at "
            "another limit"
        )
    checked = _counts(runs, "data_verified", bool)
    unverified = checked.get(False, 0)
    if unverified:
        notes.append(
            f"{unverified} of {n} run(s) read benchmark data that was not checked against its pinned "
            "checksums (--no-verify): their tables may not be the published ones"
        )
    elif n and checked.get(True, 0) == n:
        parts.append("data checked against the pinned checksums")
    return "Made with " + "; ".join(parts) + ".", notes
