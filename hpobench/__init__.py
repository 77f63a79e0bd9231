"""hpobench: a pytest-style benchmark suite for hyperparameter-optimization methods.

Core contracts live in small modules named after what they hold:

* :mod:`hpobench.types` — frozen values (Task, Trial, Evaluation, Reference, ...)
* :mod:`hpobench.benchmark` — the Benchmark contract and benchmark families
* :mod:`hpobench.method` — the Method contract and declared capabilities
* :mod:`hpobench.registry` — entry-point plugins resolved lazily by name
* :mod:`hpobench.runner` — runs and studies (joblib fan-out, budgets, resume)
* :mod:`hpobench.testing` — compliance checks for benchmark and method plugins

Plugins live in ``hpobench.methods`` (HPO methods), ``hpobench.surrogates`` (benchmarks) and
``hpobench.results`` (reporting).
"""

from __future__ import annotations

from hpobench.benchmark import Benchmark, BenchmarkFamily, BenchmarkSpec, TaskInfo
from hpobench.method import Capabilities, Method
from hpobench.types import Direction, Evaluation, Fidelity, Objective, Reference, Status, Task, Trial
from hpobench.userbench import function_benchmark, tabular

__version__ = "0.1.0"

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
    "Reference",
    "Status",
    "Task",
    "TaskInfo",
    "Trial",
    "__version__",
    "function_benchmark",
    "tabular",
]
