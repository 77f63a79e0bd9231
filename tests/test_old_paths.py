"""The old flat module paths that plugin authors and README readers used keep working (issue 22).

Before the layered layout, value types and contracts were imported from ``hpobench.<module>``
(for example the value types and ``load_benchmark``). Those paths stay as re-export modules
(``hpobench/<module>.py``, nothing but a star import); this test checks that each exports every
public name of its new home as the very same object, and stays a re-export. The names are built
at run time so that ``/work/tools/layer_rewrite.py`` leaves them alone.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

# old module -> its layer package now
OLD_PATHS = {
    "types": "contracts",
    "benchmark": "contracts",
    "method": "contracts",
    "space": "contracts",
    "errors": "contracts",
    "values": "contracts",
    "batch": "contracts",
    "seeding": "contracts",
    "pareto": "contracts",
    "registry": "data",
    "datadir": "data",
}


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_old_public_paths_reexport_the_same_objects(old: str) -> None:
    new = importlib.import_module(f"hpobench.{OLD_PATHS[old]}.{old}")
    shim = importlib.import_module(f"hpobench.{old}")
    names = getattr(new, "__all__", None) or [n for n in vars(new) if not n.startswith("_")]
    assert names
    for name in names:
        assert getattr(shim, name) is getattr(new, name), f"hpobench.{old}.{name}"
    assert len(Path(shim.__file__ or "").read_text(encoding="utf-8").splitlines()) < 12  # re-exports only


def test_a_plugin_written_against_the_old_paths_still_imports() -> None:
    old = {name: importlib.import_module(f"hpobench.{name}") for name in ("types", "method", "registry")}
    task_cls, method_cls, load = old["types"].Task, old["method"].Method, old["registry"].load_benchmark
    bench = load("synthetic/branin")
    assert isinstance(bench.task, task_cls)
    assert method_cls.__module__ == "hpobench." + "contracts.method"
