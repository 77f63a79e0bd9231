"""The contracts: the bottom layer, which every other part of hpobench builds on.

It holds the frozen value types (:mod:`.types`, :mod:`.values`), the Benchmark and Method contracts
(:mod:`.benchmark`, :mod:`.method`, :mod:`.batch`), search spaces (:mod:`.space`), budgets
(:mod:`.budget`), seed derivation (:mod:`.seeding`), the error hierarchy (:mod:`.errors`), objective
selection (:mod:`.objectives`), the per-task caches that a study's worker empties when it moves on
(:mod:`.caching`), the cores a process may use (:mod:`.cores`) and the pure maths that methods,
checks and reports share (Pareto dominance and hypervolume in :mod:`.pareto`, the Wilcoxon power
floor in :mod:`.power`). It imports
nothing else of the project (only the standard library, numpy, scipy and ConfigSpace), so a method or
benchmark plugin that imports it pulls in no runner, store or report. ``tests/test_layers.py`` checks it.
"""
