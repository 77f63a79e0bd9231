"""A throwaway third-party plugin with two versions of random search, for regression tests.

``test_lazy_random_search`` ignores half its budget (every second trial repeats the previous
configuration, so it learns nothing from half its evaluations); ``test_same_random_search`` is
random search unchanged, shipped under another name. Both are installed as a real dist-info
(entry points), exactly as an outside package would register a new version of a method.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

MODULE = "hpobench_regressplugins"

SOURCE = """
from __future__ import annotations

from hpobench.methods.random_search import RandomSearch
from hpobench.contracts.types import Trial


class SameRandomSearch(RandomSearch):
    '''Random search, unchanged.'''


class LazyRandomSearch(RandomSearch):
    '''Random search that wastes every second evaluation on a repeat of the previous one.'''

    def __init__(self, task, *, seed, chunk_size=256):
        super().__init__(task, seed=seed, chunk_size=chunk_size)
        self._last = None

    def ask(self):
        if self._last is not None:
            trial, self._last = Trial(config=self._last.config, fidelity=self._last.fidelity), None
            self._pending[id(trial)] = trial
            return trial
        self._last = super().ask()
        return self._last
"""

ENTRY_POINTS = f"""
[hpobench.methods]
test_same_random_search = {MODULE}:SameRandomSearch
test_lazy_random_search = {MODULE}:LazyRandomSearch
"""


def install(dest: Path) -> Path:
    """Write the module and its dist-info into ``dest``, put it on sys.path, refresh the registry."""
    from hpobench.data import registry

    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"{MODULE}.py").write_text(textwrap.dedent(SOURCE))
    info = dest / "hpobench_regressplugins-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hpobench-regressplugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    if str(dest) not in sys.path:
        sys.path.insert(0, str(dest))
    registry.refresh()
    return dest


def uninstall(dest: Path) -> None:
    """Undo :func:`install`."""
    from hpobench.data import registry

    if str(dest) in sys.path:
        sys.path.remove(str(dest))
    sys.modules.pop(MODULE, None)
    registry.refresh()
