"""What a run is and what it produces: :class:`RunSpec` (all that determines it), :class:`RunOutcome`.

A spec is a frozen value: its :attr:`~RunSpec.run_id` (a stable digest of the spec) names the
result files, and its method and noise seeds are derived from the run seed and the task, so runs
of different methods on one task and seed share their benchmark noise (common random numbers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import pandas as pd

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.seeding import derive_seed
from hpobench.contracts.types import FrozenValue
from hpobench.contracts.values import check_seed
from hpobench.execution.scalarization import Scalarization

__all__ = ["RunOutcome", "RunSpec", "method_label"]


def method_label(name: str, kwargs: Mapping[str, Any]) -> str:
    """Label of a method with its keyword arguments, e.g. ``"hyperband(eta=2)"``."""
    if not kwargs:
        return name
    inner = ",".join(f"{k}={json.dumps(kwargs[k], sort_keys=True)}" for k in sorted(kwargs))
    return f"{name}({inner})"


@dataclass(frozen=True, kw_only=True)
class RunSpec(FrozenValue):
    """Everything that determines a run.

    Attributes:
        benchmark: The task.
        method: Registered method name.
        method_kwargs: Keyword hyperparameters passed to the method's constructor.
        seed: The run's seed; method and benchmark streams are derived from it.
        budget: How much the run may spend.
        workers: Number of simulated parallel workers (see :mod:`hpobench.execution.simulator`).
        scalarization: How a single-objective method combines a multi-objective task's
            objectives (:mod:`hpobench.execution.scalarization`), or ``None``. Recorded in the spec (and
            so in the run id) only when given, and in the label (``tpe [scalarised: ...]``).
    """

    benchmark: BenchmarkSpec
    method: str
    seed: int
    budget: Budget
    method_kwargs: Mapping[str, Any] = field(default_factory=dict)
    workers: int = 1
    scalarization: Scalarization | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "method_kwargs", MappingProxyType(dict(self.method_kwargs)))
        object.__setattr__(self, "seed", check_seed(self.seed))  # the one seed rule, as an int
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")

    __hash__ = None  # type: ignore[assignment]  # holds a mapping

    @property
    def label(self) -> str:
        """The method label (name plus keyword arguments, and the scalarisation if any)."""
        label = method_label(self.method, self.method_kwargs)
        return label if self.scalarization is None else f"{label} [scalarised: {self.scalarization.text}]"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the spec."""
        return {
            "benchmark": self.benchmark.name,
            "method": self.method,
            "method_kwargs": dict(self.method_kwargs),
            "seed": self.seed,
            "budget": str(self.budget),
            "workers": self.workers,
        } | ({} if self.scalarization is None else {"scalarization": self.scalarization.to_dict()})

    @cached_property
    def run_id(self) -> str:
        """A readable, unique, stable identifier (also the result file name); made once per spec."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10]
        return f"{self.benchmark.family}.{self.benchmark.task}.{self.method}.s{self.seed}.{digest}"

    @cached_property
    def method_seed(self) -> int:
        """Seed of the method's generator (same across methods for a task and seed); derived once per spec."""
        return derive_seed(self.seed, "method", self.benchmark.name)

    @cached_property
    def noise_seed(self) -> int:
        """Seed of the benchmark-noise stream (same across methods: common random numbers); derived once."""
        return derive_seed(self.seed, "benchmark", self.benchmark.name)


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    """What a run produced: its result table (also for failed runs) and provenance.

    Attributes:
        frame: One row per evaluation, columns :data:`hpobench.execution.store.COLUMNS`.
        provenance: JSON-ready record (spec, seeds, versions, data checksums, timings, status).
    """

    frame: pd.DataFrame
    provenance: Mapping[str, Any]

    @property
    def failed(self) -> bool:
        """Whether the run stopped with an error."""
        return bool(self.provenance["status"] != "ok")
