"""What ``hpobench list`` shows: benchmark families with task counts and status, and methods.

The status says whether a family can be used now: embedded, its data present in the data
directory (files looked up in the manifest, not hashed), its data missing (and how to fetch it),
or an optional package missing (and the extra that installs it). A method is ready or needs an
extra. Nothing is loaded but the plugin modules; no data file is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpobench.contracts.benchmark import TaskInfo
from hpobench.contracts.errors import HpobenchError, UnknownNameError
from hpobench.contracts.types import Objective
from hpobench.data import registry
from hpobench.data.datadir import ENV_VAR
from hpobench.execution.preflight import install_hint, missing_modules

__all__ = [
    "FamilyRow",
    "MethodRow",
    "families",
    "format_families",
    "format_tasks",
    "methods",
    "objectives_text",
    "to_json",
]

READY = "ready"


@dataclass(frozen=True, kw_only=True)
class FamilyRow:
    """One benchmark family as listed.

    Attributes:
        name: The family name.
        tasks: Its tasks (empty when the plugin is broken).
        status: ``"ready"`` or what is needed first (data, a package), or why it is broken.
    """

    name: str
    tasks: tuple[TaskInfo, ...]
    status: str

    @property
    def fidelity(self) -> str:
        """``multi-fidelity``, ``single-fidelity`` or ``mixed`` over the family's tasks."""
        kinds = {info.multi_fidelity for info in self.tasks}
        if kinds == {True}:
            return "multi-fidelity"
        return "single-fidelity" if kinds == {False} else "mixed"


@dataclass(frozen=True, kw_only=True)
class MethodRow:
    """One method as listed.

    Attributes:
        name: The registered name.
        capabilities: Names of the capabilities it declares true.
        params: Its keyword hyperparameters.
        status: ``"ready"``, the extra it needs, or why it is broken.
    """

    name: str
    capabilities: tuple[str, ...]
    params: tuple[str, ...]
    status: str


def _data_status(dataset_name: str, tasks: tuple[TaskInfo, ...], data_dir: Path | None) -> str:
    if not any(info.needs_data for info in tasks):
        return f"{READY} (embedded)"
    if data_dir is None:
        return f"needs data: --data-dir DIR or ${ENV_VAR}"
    from hpobench.data import datasets

    try:
        dataset = datasets.find_dataset(dataset_name)
    except UnknownNameError:
        return f"{READY}? (data not in the manifest; checked when a task loads)"
    states = datasets.status(dataset, data_dir, verify=False)
    present = sum(state is not datasets.FileState.MISSING for _, state in states)
    if present == len(states):
        return f"{READY} (data present)"
    return f"data missing ({present}/{len(states)} files): hpobench data fetch {dataset.name}"


def families(data_dir: Path | None) -> list[FamilyRow]:
    """Every registered benchmark family with its tasks and status."""
    rows = []
    for name in registry.family_names(data_dir=data_dir):
        try:
            family = registry.load_family(name, data_dir=data_dir)
            tasks = family.tasks()
        except HpobenchError as exc:
            rows.append(FamilyRow(name=name, tasks=(), status=f"broken: {exc}"))
            continue
        missing = missing_modules(family.requires)
        if missing:
            status = "needs " + ", ".join(dict.fromkeys(install_hint(m) for m in missing))
        else:
            status = _data_status(family.dataset or name, tasks, data_dir)
        rows.append(FamilyRow(name=name, tasks=tasks, status=status))
    return rows


def methods() -> list[MethodRow]:
    """Every registered method with its capabilities, hyperparameters and status."""
    rows = []
    for name in registry.method_names():
        try:
            cls = registry.load_method(name)
        except HpobenchError as exc:
            rows.append(MethodRow(name=name, capabilities=(), params=(), status=f"broken: {exc}"))
            continue
        caps = tuple(k for k, v in vars(cls.capabilities).items() if v)
        missing = missing_modules(cls.requires)
        status = "needs " + ", ".join(dict.fromkeys(install_hint(m) for m in missing)) if missing else READY
        rows.append(MethodRow(name=name, capabilities=caps, params=cls.param_names(), status=status))
    return rows


def _method_lines(rows: list[MethodRow]) -> list[str]:
    width = max((len(r.name) for r in rows), default=0)
    lines = ["methods:"]
    for r in rows:
        caps = ", ".join(r.capabilities) or "-"
        params = ", ".join(r.params) or "-"
        lines.append(f"  {r.name:<{width}}  {r.status}; capabilities: {caps}; hyperparameters: {params}")
    return lines


def format_families(family_rows: list[FamilyRow], method_rows: list[MethodRow]) -> str:
    """The default listing: one line per family (task count, fidelity, status), then methods."""
    width = max((len(r.name) for r in family_rows), default=0)
    lines = ["benchmark families (run a family by name, or family/task; hpobench list --tasks for tasks):"]
    for r in family_rows:
        count = f"{len(r.tasks)} task{'s' if len(r.tasks) != 1 else ''}"
        lines.append(f"  {r.name:<{width}}  {count:>10}  {r.fidelity:<15}  {r.status}")
    return "\n".join(lines + _method_lines(method_rows))


def objectives_text(objectives: Sequence[Objective]) -> str:
    """``"loss (min), time (min)"``: each objective's name and direction, in the task's order."""
    return ", ".join(f"{o.name} ({o.direction.value[:3]})" for o in objectives)


def format_tasks(family_rows: list[FamilyRow], method_rows: list[MethodRow]) -> str:
    """The long listing: every task under its family (name, fidelity, tags, objectives), then methods.

    A task's objectives are shown where its family declares them
    (:attr:`~hpobench.contracts.benchmark.TaskInfo.objectives`).
    """
    lines = ["benchmarks (family/task):"]
    for r in family_rows:
        lines.append(f"{r.name} ({len(r.tasks)} tasks, {r.status}):")
        width = max((len(i.name) for i in r.tasks), default=0)
        for info in r.tasks:
            fidelity = "multi-fidelity" if info.multi_fidelity else "single-fidelity"
            line = f"  {info.name:<{width}}  {fidelity:<15}  [{','.join(sorted(info.tags))}]"
            if info.objectives:
                line += f"  objectives: {objectives_text(info.objectives)}"
            lines.append(line)
    return "\n".join(lines + _method_lines(method_rows))


def to_json(family_rows: list[FamilyRow], method_rows: list[MethodRow]) -> dict[str, Any]:
    """The listing as plain data (for ``--json``): families with their tasks, and methods."""
    return {
        "families": [
            {
                "name": r.name,
                "status": r.status,
                "ready": r.status.startswith(READY),
                "fidelity": r.fidelity,
                "tasks": [
                    {
                        "name": i.name,
                        "multi_fidelity": i.multi_fidelity,
                        "needs_data": i.needs_data,
                        "tags": sorted(i.tags),
                        "objectives": [
                            {"name": o.name, "direction": o.direction.value} for o in i.objectives
                        ],
                        "multi_objective": i.multi_objective,
                    }
                    for i in r.tasks
                ],
            }
            for r in family_rows
        ],
        "methods": [
            {
                "name": r.name,
                "status": r.status,
                "ready": r.status == READY,
                "capabilities": list(r.capabilities),
                "hyperparameters": list(r.params),
            }
            for r in method_rows
        ],
    }
