"""The package's layers (issue 22): every import points down or sideways within a layer, with no cycle.

Every module of the installed package (``hpobench/``, and ``methods/``, ``surrogates/``, ``results/``
installed as ``hpobench.methods`` etc.) is parsed with :mod:`ast`; every ``import`` and ``from ...
import`` of a project module counts, wherever it is written (module level, inside a function, under
``TYPE_CHECKING``): a lazy import is still a dependency. From the bottom:

====  ===========  ==========================================================================
rank  layer        modules
====  ===========  ==========================================================================
0     contracts    ``hpobench.contracts``: values, Benchmark/Method contracts, space, pure maths
1     data         ``hpobench.data``: data directory, manifest, downloads, the registry
2     methods      ``hpobench.methods`` (the contracts only)
2     surrogates   ``hpobench.surrogates`` (the contracts and the data layer)
2     checks       ``hpobench.testing`` apart from its pytest plugin: the compliance checks
3     execution    ``hpobench.execution``: runner, simulator, study, store, containment
4     results      ``hpobench.results``: reporting, reads the store
5     evaluation   ``hpobench.evaluation``: scoring, regress, claims, protocols, comparisons
6     interfaces   ``hpobench.cli``, ``hpobench.__main__``, the pytest plugin (``_plugin_*`` too), its options
7     compat       the old flat paths kept for plugin authors and README readers (re-exports,
                   ``tests/test_old_paths.py``): nothing of the project imports them
====  ===========  ==========================================================================

A module may import a module of a lower rank, or one of its own layer; ``methods``, ``surrogates``
and ``checks`` share a rank but not a layer, so they never import each other. The root package
``hpobench`` (its ``__init__``) is the facade outside the layers: importing any module loads it
anyway, and its own imports are lazy (PEP 562). Plugins reached by name at run time (entry points,
``importlib.import_module``) are not imports and are not counted.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

from test_old_paths import OLD_PATHS

PACKAGES = ("hpobench", "hpobench.methods", "hpobench.surrogates", "hpobench.results")

# (prefix, layer, rank); the longest matching prefix wins
LAYERS = (
    ("hpobench.contracts", "contracts", 0),
    ("hpobench.data", "data", 1),
    ("hpobench.methods", "methods", 2),
    ("hpobench.surrogates", "surrogates", 2),
    ("hpobench.testing", "checks", 2),
    ("hpobench.execution", "execution", 3),
    ("hpobench.results", "results", 4),
    ("hpobench.evaluation", "evaluation", 5),
    ("hpobench.cli", "interfaces", 6),
    ("hpobench.__main__", "interfaces", 6),
    ("hpobench.pytest_options", "interfaces", 6),
    ("hpobench.testing.pytest_plugin", "interfaces", 6),
    ("hpobench.testing._plugin_markers", "interfaces", 6),
    ("hpobench.testing._plugin_options", "interfaces", 6),
    ("hpobench.testing._plugin_study", "interfaces", 6),
    *((f"hpobench.{name}", "compat", 7) for name in OLD_PATHS),
)


def _modules() -> dict[str, Path]:
    """Module name -> file, for the package as installed (editable or not: plugins may sit elsewhere)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        base = Path(importlib.import_module(package).__file__ or "").resolve().parent
        for path in sorted(base.rglob("*.py")):
            parts = [p for p in path.relative_to(base).with_suffix("").parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def layer_of(module: str) -> tuple[str, int]:
    """The layer and rank of a project module (longest prefix of LAYERS)."""
    best = max(
        (entry for entry in LAYERS if module == entry[0] or module.startswith(entry[0] + ".")),
        key=lambda entry: len(entry[0]),
        default=None,
    )
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
    return best[1], best[2]


def _imported(module: str, node: ast.Import | ast.ImportFrom, is_package: bool) -> Iterator[str]:
    """The project modules an import statement names (``from m import x`` names m.x if it is one)."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        if node.level:
            base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        targets = [source] + [f"{source}.{alias.name}" for alias in node.names]
    for target in targets:
        while target not in MODULES and "." in target:  # a name inside a module: the module
            target = target.rsplit(".", 1)[0]
        if target in MODULES and target != "hpobench" and target != module:
            yield target


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (root package left out, see the docstring)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        if module == "hpobench":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = {
            target
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for target in _imported(module, node, path.name == "__init__.py")
        }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


GRAPH = import_graph()


def test_the_package_is_found_and_every_module_has_a_layer() -> None:
    assert len(MODULES) > 100
    for name in ("hpobench.contracts.types", "hpobench.execution.runner", "hpobench.methods.asha"):
        assert name in MODULES
    for module in GRAPH:
        layer_of(module)  # raises for a module outside the map


def test_imports_point_down_or_sideways_within_a_layer() -> None:
    wrong = []
    for module, targets in sorted(GRAPH.items()):
        layer, rank = layer_of(module)
        for target in sorted(targets):
            other, other_rank = layer_of(target)
            if other != layer and other_rank >= rank:
                wrong.append(f"{module} ({layer}, {rank}) imports {target} ({other}, {other_rank})")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


# What the plugin folders may import of the core (DESIGN: methods and surrogates import only the core,
# never each other; results reads the store). Stricter than the ranks, which would let a method
# import the data layer or a report the runner.
NARROW = {
    "methods": ("hpobench.contracts",),
    "checks": ("hpobench.contracts",),
    "surrogates": ("hpobench.contracts", "hpobench.data"),
    "results": ("hpobench.contracts", "hpobench.execution.store", "hpobench.execution.runfiles"),
}


def test_plugins_import_only_the_core_they_are_allowed() -> None:
    wrong = []
    for module, targets in sorted(GRAPH.items()):
        layer, _ = layer_of(module)
        allowed = NARROW.get(layer)
        if allowed is None:
            continue
        for target in sorted(targets):
            own = layer_of(target)[0] == layer
            if not own and not any(target == a or target.startswith(a + ".") for a in allowed):
                wrong.append(f"{module} ({layer}) imports {target}; allowed: {', '.join(allowed)}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    found = cycles(GRAPH)
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(sorted(c)) for c in found)


def test_the_checker_sees_a_lazy_upward_import_and_a_cycle() -> None:
    graph = {
        "hpobench.contracts.a": {"hpobench.execution.runner"},
        "hpobench.execution.runner": {"hpobench.contracts.a"},
    }
    assert cycles(graph) == [frozenset(graph)]
    source = "def f():\n    from hpobench.execution import runner\n"
    tree = ast.parse(source)
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert "hpobench.execution.runner" in set(_imported("hpobench.contracts.types", node, False))
    assert layer_of("hpobench.testing.pytest_plugin") == ("interfaces", 6)
    assert layer_of("hpobench.testing.assertions") == ("checks", 2)


def test_each_layer_package_says_what_it_holds_and_may_import() -> None:
    for package in ("contracts", "data", "execution", "evaluation", "cli"):
        doc = importlib.import_module(f"hpobench.{package}").__doc__
        assert doc is not None, package
        assert len(doc.split()) > 40, package
        assert "import" in doc, package
