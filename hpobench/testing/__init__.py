"""Compliance checks shipped with the package, for plugin authors and for our own tests.

* :func:`check_benchmark` — the Benchmark contract (batching, determinism, validation, optimum);
* :func:`check_method` / :func:`method_checks` — the Method contract (proposals in the space,
  seeded determinism also in a fresh process, failed evaluations, pickling, ...).

Run them in your plugin's test suite, e.g.::

    from hpobench.testing import check_method
    check_method(MyMethod, task)

Modules: ``benchmarks`` and ``methods`` (the checks; ``_method_harness`` drives a method for
them), ``assertions``, ``bad_values``, ``pareto_checks``, and the opt-in pytest plugin
``pytest_plugin`` (hooks and fixtures) with ``_plugin_markers``, ``_plugin_options`` and
``_plugin_study``, which only it imports.
"""

from __future__ import annotations

from hpobench.testing.benchmarks import check_benchmark
from hpobench.testing.methods import check_method, method_checks

__all__ = ["check_benchmark", "check_method", "method_checks"]
