"""Old path of :mod:`hpobench.data.registry`, kept because the README documented it for user code.

Scripts and notebooks written before the layered layout (issue 22) import from here; new code
imports :mod:`hpobench.data.registry`. Re-exports only (layer_rewrite: skip).
"""

from hpobench.data.registry import *  # noqa: F403  # the old public path, re-exported whole
