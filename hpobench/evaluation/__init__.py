"""Evaluation protocols: what a set of runs means, above execution and reporting.

It holds study scoring by normalised (hypervolume) regret (:mod:`.scoring`), the regression test of a
method against stored reference runs (:mod:`.regress`), paper claims (:mod:`.claims`), the tuning
protocols (:mod:`.protocols`) and paired comparisons (:mod:`.comparisons`). It may import
:mod:`hpobench.contracts`, :mod:`hpobench.data`, :mod:`hpobench.execution`, the reporting metrics
(``hpobench.results``) and the statistical assertions of :mod:`hpobench.testing.assertions`; only the
interfaces (the CLI, the pytest plugin) import it. ``tests/test_layers.py`` checks the imports.
"""
