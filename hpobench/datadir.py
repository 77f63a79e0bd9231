"""Old path of :mod:`hpobench.data.datadir`, kept because the README documented it for user code.

Scripts and notebooks written before the layered layout (issue 22) import from here; new code
imports :mod:`hpobench.data.datadir`. Re-exports only (layer_rewrite: skip).
"""

from hpobench.data.datadir import *  # noqa: F403  # the old public path, re-exported whole
