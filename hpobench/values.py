"""Old path of :mod:`hpobench.contracts.values`, kept because plugin authors import the contracts from it.

Benchmark and method plugins written before the layered layout (issue 22) import from here; new code
imports :mod:`hpobench.contracts.values`. Re-exports only (layer_rewrite: skip).
"""

from hpobench.contracts.values import *  # noqa: F403  # the old public path, re-exported whole
