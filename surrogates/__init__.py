"""Benchmarks behind the Benchmark contract: synthetic functions, tabular tables, surrogates.

Each family is a :class:`hpobench.contracts.benchmark.BenchmarkFamily` registered through the
``hpobench.benchmarks`` entry-point group in ``pyproject.toml``. Modules here import only the
core (``hpobench.*``), never ``hpobench.methods``.

A long module is split into rooms named after it, each a private module holding one
responsibility, and its public names stay importable from it: ``yahpo`` (benchmark, family) with
``_yahpo_scenarios``, ``_yahpo_files``, ``_yahpo_codec``, ``_yahpo_reference``; ``fitted`` with
``_fitted_encoding``, ``_fitted_model``; ``fitting`` with ``_fitting_data``, ``_fitting_train``;
``_dense`` with ``_dense_reference``, ``_dense_arrow`` (also behind ``tabular``); ``synthetic`` with
``_synthetic_functions``; ``_lc_models`` with ``_lc_values``.
"""
