"""Every hpobench name the README mentions exists: the public API the README documents stays importable.

The README names modules (``hpobench.surrogates.optima``), attributes (``hpobench.execution.store.COLUMNS``,
``hpobench.Method``) and imports (``from hpobench.contracts.pareto import hypervolume, to_minimisation``)
in prose and in code blocks. Each dotted name is resolved as the longest importable module prefix
followed by attributes; each ``from M import a, b`` is imported. A module is located with
:func:`importlib.util.find_spec` (not executed: some need an optional extra such as torch); every
attribute is read from the imported module.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")

# dotted names in the README that are not Python names, with the reason
NOT_PYTHON = {
    "hpobench.benchmarks": "the entry-point group of benchmark families (pyproject.toml), not a module",
}

DOTTED = sorted(set(re.findall(r"(?<![\w./-])(hpobench(?:\.\w+)+)", TEXT)) - set(NOT_PYTHON))
FROM_IMPORTS = sorted(
    {
        (module, name.strip().split(" as ")[0])
        for module, names in re.findall(r"^\s*from (hpobench(?:\.\w+)*) import ([\w, ]+)$", TEXT, re.M)
        for name in names.split(",")
        if name.strip()
    }
)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent is not a package
        return False


def test_the_readme_names_enough_to_be_checked() -> None:
    assert len(DOTTED) > 30
    assert len(FROM_IMPORTS) > 5
    assert "hpobench.Method" in DOTTED
    assert "hpobench.BenchmarkFamily" in DOTTED


@pytest.mark.parametrize("dotted", DOTTED)
def test_every_dotted_name_resolves(dotted: str) -> None:
    parts = dotted.split(".")
    cut = max(i for i in range(1, len(parts) + 1) if _is_module(".".join(parts[:i])))
    if cut == len(parts):
        return  # a module
    obj: object = importlib.import_module(".".join(parts[:cut]))
    for attribute in parts[cut:]:
        assert hasattr(obj, attribute), f"{dotted}: {obj!r} has no {attribute!r}"
        obj = getattr(obj, attribute)


@pytest.mark.parametrize(("module", "name"), FROM_IMPORTS)
def test_every_from_import_imports(module: str, name: str) -> None:
    imported = importlib.import_module(module)
    assert hasattr(imported, name) or _is_module(f"{module}.{name}"), f"from {module} import {name}"


def test_the_facade_names_every_public_name() -> None:
    import hpobench

    for name in hpobench.__all__:
        assert getattr(hpobench, name) is not None, name
