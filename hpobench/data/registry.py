"""Plugin registry over the ``hpobench.methods`` and ``hpobench.benchmarks`` entry-point groups.

Listing names reads installed package metadata only; a plugin module is imported when, and only
when, its name is asked for. Built-in plugins register through the same entry points as
third-party ones (see ``pyproject.toml``). Nothing is ever imported by scanning folders.

A user's table folders are families too: every sub-folder ``DATA_DIR/tables/NAME/`` is the family
``NAME`` (:mod:`hpobench.surrogates.user_tables`; data, never code). The functions below that take
``data_dir`` list and resolve them; without ``data_dir`` they look in ``$HPOBENCH_DATA_DIR``.
A folder whose name an installed family already has is refused by both (``DataError``).
"""

from __future__ import annotations

import fnmatch
import importlib
import os
from collections.abc import Sequence
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, BenchmarkSpec, TaskInfo
from hpobench.contracts.errors import DataError, HpobenchError, PluginImportError, UnknownNameError
from hpobench.contracts.method import Method
from hpobench.data.datadir import ENV_VAR, data_verification, resolve_data_dir

METHODS_GROUP = "hpobench.methods"
BENCHMARKS_GROUP = "hpobench.benchmarks"

__all__ = [
    "expand_benchmarks",
    "family_names",
    "installed_family_names",
    "load_benchmark",
    "load_family",
    "load_method",
    "method_names",
    "plugin_origin",
    "refresh",
    "table_folders",
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
    _entry_family.cache_clear()


def plugin_origin(group: str, name: str) -> dict[str, str | None]:
    """The distribution that registers plugin ``name`` in entry-point ``group``, for provenance.

    Returns:
        ``{"entry_point": "module:object", "distribution": NAME, "version": VERSION}``; the last
        two are ``None`` when the entry point's distribution cannot be told.

    Raises:
        UnknownNameError: No plugin of that name is registered in ``group``.
    """
    entry_point, distribution, version = _origin(group, name)
    return {"entry_point": entry_point, "distribution": distribution, "version": version}


@cache
def _origin(group: str, name: str) -> tuple[str, str | None, str | None]:
    """:func:`plugin_origin` as a tuple, read once per process until :func:`refresh`.

    A distribution's metadata file is parsed on every read (about 10 ms per run otherwise).
    """
    eps = _entry_points(group)
    if name not in eps:
        kind = "method" if group == METHODS_GROUP else "benchmark family"
        raise UnknownNameError(kind, name, sorted(eps))
    ep = eps[name]
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ep.value, None, None
    return ep.value, str(dist.metadata["Name"]), str(dist.version)


def method_names() -> list[str]:
    """Sorted names of registered methods (no plugin is imported)."""
    return sorted(_entry_points(METHODS_GROUP))


def table_folders(data_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The user's table folders: family name -> ``DATA_DIR/tables/NAME`` (none without a data dir).

    Args:
        data_dir: The data directory; ``None`` uses ``$HPOBENCH_DATA_DIR`` when it is set.
    """
    raw = data_dir if data_dir is not None else os.environ.get(ENV_VAR) or None
    if raw is None:
        return {}
    root = Path(raw).expanduser() / "tables"
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")}


def installed_family_names() -> list[str]:
    """Sorted names of the families registered through entry points (no table folders)."""
    return sorted(_entry_points(BENCHMARKS_GROUP))


def family_names(*, data_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Sorted names of registered benchmark families and table folders (no plugin is imported)."""
    return sorted(set(_entry_points(BENCHMARKS_GROUP)) | set(table_folders(data_dir)))


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


def load_family(name: str, *, data_dir: str | os.PathLike[str] | None = None) -> BenchmarkFamily:
    """Return the benchmark family ``name``: a registered plugin or a table folder of ``data_dir``.

    Args:
        name: The family name.
        data_dir: The data directory whose ``tables/`` folders are families too (``None``:
            ``$HPOBENCH_DATA_DIR``).

    Raises:
        UnknownNameError: No family of that name is registered.
        PluginImportError: The plugin's module fails to import.
        HpobenchError: The entry point does not name a :class:`BenchmarkFamily` instance.
        DataError: A table folder of that name collides with an installed family.
    """
    folder = table_folders(data_dir).get(name)
    if folder is None:
        return _entry_family(name)
    shipped = sorted(_entry_points(BENCHMARKS_GROUP))
    if name in shipped:
        raise DataError(
            f"{str(folder)!r}: the folder name {name!r} collides with the installed benchmark family "
            f"{name!r}; rename the folder"
        )
    module = importlib.import_module("hpobench.surrogates.user_tables")
    family: BenchmarkFamily = module.TableFolder(name=name, folder=folder, shipped=shipped)
    return family


@cache
def _entry_family(name: str) -> BenchmarkFamily:
    eps = _entry_points(BENCHMARKS_GROUP)
    if name not in eps:
        raise UnknownNameError("benchmark family", name, sorted(eps))
    obj = _load(eps[name], BENCHMARKS_GROUP)
    if not isinstance(obj, BenchmarkFamily):
        raise HpobenchError(
            f"benchmark plugin {name!r} ({eps[name].value}) is not a hpobench BenchmarkFamily instance"
        )
    return obj


def task_info(spec: BenchmarkSpec, *, data_dir: str | os.PathLike[str] | None = None) -> TaskInfo:
    """Describe one task without loading its data (``data_dir`` as in :func:`load_family`).

    Raises:
        UnknownNameError: The family or the task is unknown.
    """
    family = load_family(spec.family, data_dir=data_dir)
    infos = {info.name: info for info in family.tasks()}
    if spec.name not in infos:
        raise UnknownNameError("benchmark", spec.name, sorted(infos))
    return infos[spec.name]


def load_benchmark(
    spec: BenchmarkSpec | str, *, data_dir: str | os.PathLike[str] | None = None, verify: bool | None = None
) -> Benchmark:
    """Load the benchmark named by ``spec`` (``"family/task"`` or a spec).

    Every data file the family reads is checked against its pinned sha256 first (see
    :mod:`hpobench.data.datadir`); the check costs one hash per file and process, later loads of an
    unchanged file reuse it.

    Args:
        spec: ``"family/task"`` or a spec.
        data_dir: The benchmark data directory (``str`` or path; it must exist).
        verify: ``False`` to accept data files that differ from their pins (for people who edit
            data on purpose), ``True`` to check them; ``None`` (default) keeps the current
            setting of :func:`hpobench.data.datadir.data_verification` (on unless switched off).
            The family's ``load`` runs inside ``data_verification(enabled=verify)``, so plugin
            families that call :func:`hpobench.data.datadir.verified` honour it without a new argument.

    Raises:
        UnknownNameError: The family or the task is unknown.
        DataError: The task's data is missing or corrupt, or differs from its pinned sha256
            while verification is on, or ``data_dir`` does not exist.
    """
    if isinstance(spec, str):
        spec = BenchmarkSpec.parse(spec)
    root = None if data_dir is None else resolve_data_dir(data_dir)
    task_info(spec, data_dir=root)
    family = load_family(spec.family, data_dir=root)
    if verify is None:
        return family.load(spec.task, data_dir=root)
    with data_verification(enabled=verify):
        return family.load(spec.task, data_dir=root)


def expand_benchmarks(
    patterns: Sequence[str], *, data_dir: str | os.PathLike[str] | None = None
) -> list[BenchmarkSpec]:
    """Expand family names, ``family/task`` names and shell-style patterns to task specs.

    Table folders of ``data_dir`` (``None``: ``$HPOBENCH_DATA_DIR``) count as families.

    ``"fcnet"`` selects every FCNet task, ``"synthetic/hartmann*"`` a subset. Order follows the
    patterns, then task order within a family; duplicates are dropped.

    Raises:
        UnknownNameError: A pattern matches no registered family or task.
    """
    out: list[BenchmarkSpec] = []
    for pattern in patterns:
        family_pattern, _, task_pattern = pattern.partition("/")
        names = family_names(data_dir=data_dir)
        families = [f for f in names if fnmatch.fnmatchcase(f, family_pattern)]
        if not families:
            raise UnknownNameError("benchmark family", family_pattern, names)
        matched = []
        for family in families:
            for info in load_family(family, data_dir=data_dir).tasks():
                if not task_pattern or fnmatch.fnmatchcase(info.name, pattern):
                    matched.append(BenchmarkSpec.parse(info.name))
        if not matched:
            known = [i.name for f in families for i in load_family(f, data_dir=data_dir).tasks()]
            raise UnknownNameError("benchmark", pattern, known)
        out.extend(s for s in matched if s not in out)
    return out
