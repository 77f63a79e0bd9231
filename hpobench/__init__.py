"""hpobench: a pytest-style benchmark suite for hyperparameter-optimization methods.

The core is one subpackage per layer, each importing only the layers below it (the README's
"Layout"; ``tests/test_layers.py`` keeps it true):

* :mod:`hpobench.contracts` — frozen values (Task, Trial, Evaluation, ...), the Benchmark and
  Method contracts, spaces, budgets, seeds, errors, and the pure maths they share
* :mod:`hpobench.data` — the data directory, known datasets, and the registry (plugins by name)
* :mod:`hpobench.execution` — runs, simulated workers, studies, containment, the result store
* :mod:`hpobench.evaluation` — scoring, regression tests, claims and protocols
* :mod:`hpobench.cli` — the ``hpobench`` command; :mod:`hpobench.testing` — compliance checks for
  benchmark and method plugins, and the pytest plugin

This module is the facade: the names below import on first use.

Plugins live in ``hpobench.methods`` (HPO methods), ``hpobench.surrogates`` (benchmarks) and
``hpobench.results`` (reporting).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, BenchmarkSpec, TaskInfo
    from hpobench.contracts.method import Capabilities, Method
    from hpobench.contracts.types import (
        Direction,
        Evaluation,
        Fidelity,
        Objective,
        ParetoReference,
        Reference,
        Status,
        Task,
        Trial,
    )
    from hpobench.surrogates.userbench import function_benchmark, tabular

__version__ = "0.1.0"

# The names below are imported on first use (PEP 562), so that ``import hpobench`` and the
# ``hpobench`` command's start-up import no numpy or ConfigSpace until something needs them.
_LAZY = {
    "Benchmark": "hpobench.contracts.benchmark",
    "BenchmarkFamily": "hpobench.contracts.benchmark",
    "BenchmarkSpec": "hpobench.contracts.benchmark",
    "TaskInfo": "hpobench.contracts.benchmark",
    "Capabilities": "hpobench.contracts.method",
    "Method": "hpobench.contracts.method",
    "Direction": "hpobench.contracts.types",
    "Evaluation": "hpobench.contracts.types",
    "Fidelity": "hpobench.contracts.types",
    "Objective": "hpobench.contracts.types",
    "ParetoReference": "hpobench.contracts.types",
    "Reference": "hpobench.contracts.types",
    "Status": "hpobench.contracts.types",
    "Task": "hpobench.contracts.types",
    "Trial": "hpobench.contracts.types",
    "function_benchmark": "hpobench.surrogates.userbench",
    "tabular": "hpobench.surrogates.userbench",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hpobench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Benchmark",
    "BenchmarkFamily",
    "BenchmarkSpec",
    "Capabilities",
    "Direction",
    "Evaluation",
    "Fidelity",
    "Method",
    "Objective",
    "ParetoReference",
    "Reference",
    "Status",
    "Task",
    "TaskInfo",
    "Trial",
    "__version__",
    "function_benchmark",
    "tabular",
]
