"""Data management and plugin look-up: the layer above the contracts.

It holds where benchmark data lives (:mod:`.datadir`: the data directory, sha256 verification when
data is used), what the known data sets are and how they are fetched and verified
(:mod:`.datasets`, with the pinned manifest in :mod:`._manifest`), atomic file writes
(:mod:`._files`), and the registry (:mod:`.registry`) that resolves method and benchmark-family names
through entry points and loads a task with its verified data. It may import only
:mod:`hpobench.contracts`; benchmark plugins (``hpobench.surrogates``) build on it. The registry
reaches plugins by name at run time (entry points, and the table-folder family by module name),
never by a static import. ``tests/test_layers.py`` checks the imports.
"""
