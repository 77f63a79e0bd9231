"""A benchmark view restricted to a fixed set of seeds: separate tuning seeds from test seeds.

:func:`hpobench.evaluation.protocols.held_out_seeds` tunes a method against one such view and
evaluates its incumbent against another with disjoint seeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.types import Config, Evaluation, Reference, Trial
from hpobench.contracts.values import check_seed

__all__ = ["SeedSplitBenchmark"]


class SeedSplitBenchmark(Benchmark):
    """A view of a benchmark that answers every evaluation from a fixed set of seeds.

    ``evaluate(trials, seed=s)`` answers from ``seeds[s % len(seeds)]`` of the wrapped benchmark,
    so a method run against the view only ever sees those seeds (for a table with ``n``
    repeated runs, seeds ``0..n-1`` are the repeats). Everything else is delegated.

    Args:
        benchmark: The wrapped benchmark.
        seeds: The seeds the view may use (non-empty, non-negative).
    """

    def __init__(self, benchmark: Benchmark, *, seeds: Sequence[int]) -> None:
        if not seeds or min(seeds) < 0:
            raise ValueError(f"seeds must be a non-empty sequence of non-negative integers, got {seeds!r}")
        self.benchmark = benchmark
        self.seeds = tuple(int(s) for s in seeds)

    @property
    def task(self) -> Any:
        """The wrapped task."""
        return self.benchmark.task

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> Sequence[Evaluation]:
        """Evaluate with ``seeds[seed % len(seeds)]`` of the wrapped benchmark."""
        return self.benchmark.evaluate(trials, seed=self.seeds[check_seed(seed) % len(self.seeds)])

    def optimum(self) -> Reference:
        """The wrapped benchmark's reference."""
        return self.benchmark.optimum()

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """The wrapped benchmark's noise-free values."""
        return self.benchmark.reference_values(configs)

    def typical_cost(self) -> float | None:
        """The wrapped benchmark's typical cost."""
        return self.benchmark.typical_cost()

    def evaluated_reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """The wrapped benchmark's noise-free values of configurations it evaluated."""
        return self.benchmark.evaluated_reference_values(configs)

    def data_files(self) -> Mapping[str, str]:
        """The wrapped benchmark's data files."""
        return self.benchmark.data_files()
