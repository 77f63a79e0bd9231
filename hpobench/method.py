"""Old path of :mod:`hpobench.contracts.method`, kept because plugin authors import the contracts from it.

Benchmark and method plugins written before the layered layout (issue 22) import from here; new code
imports :mod:`hpobench.contracts.method`. Re-exports only (layer_rewrite: skip).
"""

from hpobench.contracts.method import *  # noqa: F403  # the old public path, re-exported whole
