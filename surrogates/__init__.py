"""Benchmarks behind the Benchmark contract: synthetic functions, tabular tables, surrogates.

Each family is a :class:`hpobench.contracts.benchmark.BenchmarkFamily` registered through the
``hpobench.benchmarks`` entry-point group in ``pyproject.toml``. Modules here import only the
core (``hpobench.*``), never ``hpobench.methods``.
"""
