"""The markers of the hpobench pytest plugin: the ``hpo`` study marker and one marker per task property.

:func:`task_markers` names a task's markers (its family, its tags, ``multifidelity`` and
``multi_objective`` where they apply); :func:`hpo_marker_names` lists every marker the plugin
registers, so that ``--strict-markers`` accepts them. A family whose task list cannot be read
is left out rather than breaking the session. Used only by :mod:`hpobench.testing.pytest_plugin`.
"""

from __future__ import annotations

from pathlib import Path

from hpobench.contracts.benchmark import TaskInfo
from hpobench.contracts.errors import HpobenchError
from hpobench.data import registry

CAPABILITY_MARKERS = {
    "tabular": "tasks answered from tables of recorded training runs",
    "surrogate": "tasks answered by a fitted surrogate model",
    "synthetic": "synthetic test functions",
    "multifidelity": "tasks with a fidelity (epochs, steps, subsets)",
    "candidate_set": "tasks whose space is a finite list of configurations",
    "learning_curves": "tasks with recorded learning curves",
    "multi_objective": "tasks with several objectives (scored by hypervolume regret)",
}


HPO_MARKER = (
    "hpo(methods=(), baselines=(), benchmarks=(), seeds=None, budget=None, method_kwargs=None): "
    "the hpobench study behind a test (hpobench.testing.pytest_plugin)"
)


def _marker_name(tag: str) -> str:
    return tag.replace("multi-fidelity", "multifidelity").replace("-", "_")


def task_markers(info: TaskInfo) -> list[str]:
    """Marker names of a task: its family, its tags, and its capabilities.

    ``multifidelity`` if it has a fidelity, ``multi_objective`` if its family declares it
    multi-objective (:attr:`~hpobench.contracts.benchmark.TaskInfo.multi_objective`).
    """
    names = {info.name.partition("/")[0], *(_marker_name(t) for t in info.tags)}
    if info.multi_fidelity:
        names.add("multifidelity")
    if info.multi_objective:
        names.add("multi_objective")
    return sorted(n for n in names if n.isidentifier())


def all_tasks(data_dir: Path | None = None) -> list[TaskInfo]:
    out: list[TaskInfo] = []
    for family in registry.family_names(data_dir=data_dir):
        try:
            out.extend(registry.load_family(family, data_dir=data_dir).tasks())
        except HpobenchError:  # a broken third-party family must not break every session
            continue
    return out


def hpo_marker_names(data_dir: Path | None = None) -> dict[str, str]:
    """Every marker the plugin registers, with its description (table folders of ``data_dir`` too)."""
    markers = {"hpo": HPO_MARKER.partition(": ")[2], **CAPABILITY_MARKERS}
    for info in all_tasks(data_dir):
        for name in task_markers(info):
            markers.setdefault(name, f"hpobench tasks tagged {name!r}")
    return markers
