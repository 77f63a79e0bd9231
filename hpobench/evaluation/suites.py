"""The fixed task suites of ``hpobench regress`` and the budget and seeds of their reference runs.

A :class:`Suite` is a named set of tasks (:data:`SUITES`: ``smoke`` needs no data, ``default``
needs the benchmark data directory); every reference run has :data:`REFERENCE_BUDGET` and one of
:data:`REFERENCE_SEEDS`. Used by :mod:`hpobench.evaluation.regress` (testing a method) and
:mod:`hpobench.evaluation.reference` (storing the reference runs).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import DataError, HpobenchError
from hpobench.data.registry import task_info

__all__ = ["REFERENCE_BUDGET", "REFERENCE_SEEDS", "SUITES", "Suite"]

REFERENCE_BUDGET = Budget.parse("30x")
"""Budget of every reference run: 30 multiples of the maximal fidelity (30 full evaluations)."""

REFERENCE_SEEDS: tuple[int, ...] = tuple(range(10))
"""Seeds of the reference runs."""


@dataclass(frozen=True, kw_only=True)
class Suite:
    """A named, fixed set of tasks for regression tests.

    Attributes:
        name: Suite name (``--suite``).
        benchmarks: Task names, ``family/task``.
        description: One line for listings.
    """

    name: str
    benchmarks: tuple[str, ...]
    description: str


_SYNTHETIC = ("synthetic/branin", "synthetic/hartmann3", "synthetic/hartmann6")


SUITES: Mapping[str, Suite] = {
    "smoke": Suite(
        name="smoke",
        benchmarks=_SYNTHETIC,
        description="the three embedded multi-fidelity synthetic functions (no data needed)",
    ),
    "default": Suite(
        name="default",
        benchmarks=(
            *_SYNTHETIC,
            "fcnet/protein_structure",
            "fcnet/naval_propulsion",
            "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128",
        ),
        description="synthetic functions, two FCNet tables and one TaskSet learning-curve task",
    ),
}
"""The suites; every one is a subset of the tasks of the reference store."""


def _suite(name: str | Suite) -> Suite:
    if isinstance(name, Suite):
        return name
    if name not in SUITES:
        raise HpobenchError(f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    return SUITES[name]


def _check_data(specs: Sequence[BenchmarkSpec], data_dir: str | os.PathLike[str] | None, suite: str) -> None:
    needing = [s.name for s in specs if task_info(s).needs_data]
    if needing and data_dir is None:
        raise DataError(
            f"suite {suite!r} has tasks that need the benchmark data directory ({', '.join(needing)}): "
            "pass --data-dir DIR or set $HPOBENCH_DATA_DIR, or use --suite smoke"
        )
