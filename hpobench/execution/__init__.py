"""Execution: how runs and studies are carried out, above the contracts and the data layer.

It holds the run loop and its result table (:mod:`.runner`), simulated parallel workers
(:mod:`.simulator`), study planning, fan-out and resume (:mod:`.study`), run containment in worker
processes (:mod:`.containment`, :mod:`.threads`), the study folder's single-writer lock
(:mod:`.studylock`), the result store (:mod:`.store`, :mod:`.runfiles`, :mod:`.aside`,
:mod:`.configtext`, the combined table in :mod:`.combined` and :mod:`.combined_write`,
:mod:`.read_ahead`), the
scalarisation of multi-objective tasks for single-objective methods (:mod:`.scalarization`) and the
study check before a run (:mod:`.preflight`). It may import :mod:`hpobench.contracts` and
:mod:`hpobench.data`; methods and benchmarks reach it only through the registry. Reporting
(``hpobench.results``) reads the store from above. ``tests/test_layers.py`` checks the imports.
"""
