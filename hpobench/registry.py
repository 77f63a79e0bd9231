"""Plugin registry over the ``hpobench.methods`` and ``hpobench.benchmarks`` entry-point groups.

Listing names reads installed package metadata only; a plugin module is imported when, and only
when, its name is asked for. Built-in plugins register through the same entry points as
third-party ones (see ``pyproject.toml``). Nothing is ever imported by scanning folders.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from hpobench.benchmark import Benchmark, BenchmarkFamily, BenchmarkSpec, TaskInfo
from hpobench.datadir import data_verification
from hpobench.errors import HpobenchError, PluginImportError, UnknownNameError
from hpobench.method import Method

METHODS_GROUP = "hpobench.methods"
BENCHMARKS_GROUP = "hpobench.benchmarks"

__all__ = [
    "expand_benchmarks",
    "family_names",
    "load_benchmark",
    "load_family",
    "load_method",
    "method_names",
    "plugin_origin",
    "refresh",
    "task_info",
]


@cache
def _entry_points(group: str) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=group):
        if ep.name in found and found[ep.name].value != ep.value:
            raise HpobenchError(
                f"two plugins register {ep.name!r} in {group}: {found[ep.name].value} and {ep.value}"
            )
        found[ep.name] = ep
    return found


def refresh() -> None:
    """Forget cached entry points and plugins (after installing a plugin at run time)."""
    _entry_points.cache_clear()
    _origin.cache_clear()
    load_method.cache_clear()
    load_family.cache_clear()


def plugin_origin(group: str, name: str) -> dict[str, str | None]:
    """The distribution that registers plugin ``name`` in entry-point ``group``, for provenance.

    Returns:
        ``{"entry_point": "module:object", "distribution": NAME, "version": VERSION}``; the last
        two are ``None`` when the entry point's distribution cannot be told.

    Raises:
        UnknownNameError: No plugin of that name is registered in ``group``.
    """
    eps = _entry_points(group)
    if name not in eps:
        kind = "method" if group == METHODS_GROUP else "benchmark family"
        raise UnknownNameError(kind, name, sorted(eps))
    return dict(_origin(group, name))


@cache
def _origin(group: str, name: str) -> tuple[tuple[str, str | None], ...]:
    """:func:`plugin_origin` of a registered plugin (reading its distribution's metadata takes ~1 ms)."""
    ep = _entry_points(group)[name]
    dist = getattr(ep, "dist", None)
    return (
        ("entry_point", ep.value),
        ("distribution", None if dist is None else str(dist.metadata["Name"])),
        ("version", None if dist is None else str(dist.version)),
    )


def method_names() -> list[str]:
    """Sorted names of registered methods (no plugin is imported)."""
    return sorted(_entry_points(METHODS_GROUP))


def family_names() -> list[str]:
    """Sorted names of registered benchmark families (no plugin is imported)."""
    return sorted(_entry_points(BENCHMARKS_GROUP))


def _load(ep: EntryPoint, group: str) -> object:
    try:
        return ep.load()
    except Exception as exc:  # any failure inside a third-party module's import
        raise PluginImportError(
            f"plugin {ep.name!r} of {group} ({ep.value}) could not be loaded: {type(exc).__name__}: {exc}"
        ) from exc


@cache
def load_method(name: str) -> type[Method]:
    """Import and return the method class registered as ``name``.

    Raises:
        UnknownNameError: No method of that name is registered.
        PluginImportError: The plugin's module fails to import.
        HpobenchError: The entry point does not name a :class:`Method` subclass.
    """
    eps = _entry_points(METHODS_GROUP)
    if name not in eps:
        raise UnknownNameError("method", name, sorted(eps))
    obj = _load(eps[name], METHODS_GROUP)
    if not (isinstance(obj, type) and issubclass(obj, Method)):
        raise HpobenchError(f"method plugin {name!r} ({eps[name].value}) is not a hpobench Method subclass")
    return obj


@cache
def load_family(name: str) -> BenchmarkFamily:
    """Import and return the benchmark family registered as ``name``.

    Raises:
        UnknownNameError: No family of that name is registered.
        PluginImportError: The plugin's module fails to import.
        HpobenchError: The entry point does not name a :class:`BenchmarkFamily` instance.
    """
    eps = _entry_points(BENCHMARKS_GROUP)
    if name not in eps:
        raise UnknownNameError("benchmark family", name, sorted(eps))
    obj = _load(eps[name], BENCHMARKS_GROUP)
    if not isinstance(obj, BenchmarkFamily):
        raise HpobenchError(
            f"benchmark plugin {name!r} ({eps[name].value}) is not a hpobench BenchmarkFamily instance"
        )
    return obj


def task_info(spec: BenchmarkSpec) -> TaskInfo:
    """Describe one task without loading its data.

    Raises:
        UnknownNameError: The family or the task is unknown.
    """
    family = load_family(spec.family)
    infos = {info.name: info for info in family.tasks()}
    if spec.name not in infos:
        raise UnknownNameError("benchmark", spec.name, sorted(infos))
    return infos[spec.name]


def load_benchmark(
    spec: BenchmarkSpec | str, *, data_dir: Path | None = None, verify: bool | None = None
) -> Benchmark:
    """Load the benchmark named by ``spec`` (``"family/task"`` or a spec).

    Every data file the family reads is checked against its pinned sha256 first (see
    :mod:`hpobench.datadir`); the check costs one hash per file and process, later loads of an
    unchanged file reuse it.

    Args:
        spec: ``"family/task"`` or a spec.
        data_dir: The benchmark data directory.
        verify: ``False`` to accept data files that differ from their pins (for people who edit
            data on purpose), ``True`` to check them; ``None`` (default) keeps the current
            setting of :func:`hpobench.datadir.data_verification` (on unless switched off).
            The family's ``load`` runs inside ``data_verification(enabled=verify)``, so plugin
            families that call :func:`hpobench.datadir.verified` honour it without a new argument.

    Raises:
        UnknownNameError: The family or the task is unknown.
        DataError: The task's data is missing or corrupt, or differs from its pinned sha256
            while verification is on.
    """
    if isinstance(spec, str):
        spec = BenchmarkSpec.parse(spec)
    task_info(spec)
    family = load_family(spec.family)
    if verify is None:
        return family.load(spec.task, data_dir=data_dir)
    with data_verification(enabled=verify):
        return family.load(spec.task, data_dir=data_dir)


def expand_benchmarks(patterns: Sequence[str]) -> list[BenchmarkSpec]:
    """Expand family names, ``family/task`` names and shell-style patterns to task specs.

    ``"fcnet"`` selects every FCNet task, ``"synthetic/hartmann*"`` a subset. Order follows the
    patterns, then task order within a family; duplicates are dropped.

    Raises:
        UnknownNameError: A pattern matches no registered family or task.
    """
    out: list[BenchmarkSpec] = []
    for pattern in patterns:
        family_pattern, _, task_pattern = pattern.partition("/")
        families = [f for f in family_names() if fnmatch.fnmatchcase(f, family_pattern)]
        if not families:
            raise UnknownNameError("benchmark family", family_pattern, family_names())
        matched = []
        for family in families:
            for info in load_family(family).tasks():
                if not task_pattern or fnmatch.fnmatchcase(info.name, pattern):
                    matched.append(BenchmarkSpec.parse(info.name))
        if not matched:
            known = [i.name for f in families for i in load_family(f).tasks()]
            raise UnknownNameError("benchmark", pattern, known)
        out.extend(s for s in matched if s not in out)
    return out
