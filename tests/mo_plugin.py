"""A small multi-objective benchmark family with analytic Pareto fronts, for tests (``testmo``).

* ``testmo/zdt1``: ZDT1 (Zitzler, Deb and Thiele 2000) on 4 variables, two minimised objectives
  ``f1`` and ``f2``; Pareto front ``f2 = 1 - sqrt(f1)``, ``f1`` in [0, 1]; reference point (1.1, 6.0).
* ``testmo/dtlz2_fid``: DTLZ2 (Deb et al. 2002) on 4 variables with three objectives, the third
  maximised as ``score = 2 - f3``, and an ``epoch`` fidelity in [1, 8]: at fidelity ``e`` the
  distance term ``g`` is inflated by ``(1 - e / 8)``, so lower fidelities are uniformly worse;
  the Pareto front at the maximal fidelity is the positive octant of the unit sphere; reference
  point (1.1, 1.1, 0.9).
* ``testmo/zdt1_badref``: ZDT1 whose stored reference point does not dominate the front's nadir,
  and ``testmo/zdt1_undeclared``: ZDT1 whose family does not declare its objectives (both for the
  bad-input tests).

:func:`install` registers the family through a real dist-info (entry points), as an outside
package would; the module itself is imported from the tests folder.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, TaskInfo
from hpobench.contracts.errors import UnknownNameError
from hpobench.contracts.types import (
    Config,
    Direction,
    Evaluation,
    Fidelity,
    Objective,
    ParetoReference,
    Reference,
    Task,
    Trial,
)

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE
_VARS = ("x0", "x1", "x2", "x3")


def _space() -> CS.ConfigurationSpace:
    return CS.ConfigurationSpace(dict.fromkeys(_VARS, (0.0, 1.0)))


def zdt1(x: np.ndarray) -> np.ndarray:
    """ZDT1 of rows of ``x`` in [0, 1]^d: shape ``(n, 2)``."""
    f1 = x[:, 0]
    g = 1.0 + 9.0 * x[:, 1:].mean(axis=1)
    return np.c_[f1, g * (1.0 - np.sqrt(f1 / g))]


def dtlz2(x: np.ndarray, *, inflation: np.ndarray | float = 0.0) -> np.ndarray:
    """DTLZ2 (3 objectives, minimised) of rows of ``x``, distance term times ``1 + inflation``."""
    g = np.sum((x[:, 2:] - 0.5) ** 2, axis=1) * (1.0 + inflation) + 0.25 * np.asarray(inflation)
    a, b = x[:, 0] * np.pi / 2, x[:, 1] * np.pi / 2
    r = 1.0 + g
    return np.c_[r * np.cos(a) * np.cos(b), r * np.cos(a) * np.sin(b), r * np.sin(a)]


class _MOBenchmark(Benchmark):
    """One task of the family; values are noise-free, so ``seed`` changes nothing."""

    def __init__(self, name: str) -> None:
        self._name = name
        three = name == "dtlz2_fid"
        self._task = Task(
            name=f"testmo/{name}",
            space=_space(),
            objectives=(
                (Objective(name="f1", direction=MIN), Objective(name="f2", direction=MIN))
                + ((Objective(name="score", direction=MAX),) if three else ())
            ),
            fidelity=Fidelity(name="epoch", low=1, high=8, integer=True) if three else None,
            tags=frozenset({"synthetic", "multi_objective", "test"}),
        )

    @property
    def task(self) -> Task:
        return self._task

    def _values(self, configs: Sequence[Config], fidelity: np.ndarray) -> np.ndarray:
        x = np.array([[float(c[v]) for v in _VARS] for c in configs], dtype=float).reshape(-1, len(_VARS))
        if self._name != "dtlz2_fid":
            return zdt1(x)
        f = dtlz2(x, inflation=1.0 - fidelity / 8.0)
        return np.c_[f[:, 0], f[:, 1], 2.0 - f[:, 2]]

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        from hpobench.contracts.values import check_seed

        check_seed(seed)
        fid = self.check_trials(trials)
        values = self._values([t.config for t in trials], fid)
        names = [o.name for o in self._task.objectives]
        return [
            Evaluation(
                trial=t, values=dict(zip(names, row.tolist(), strict=True)), cost=float(f) / 8.0 + 0.01
            )
            for t, row, f in zip(trials, values, fid, strict=True)
        ]

    def optimum(self) -> Reference:
        if self._name == "dtlz2_fid":
            return Reference(
                best={"f1": 0.0, "f2": 0.0, "score": 2.0},
                worst={"f1": 1.5, "f2": 1.5, "score": 0.5},
                source="analytic",
            )
        return Reference(best={"f1": 0.0, "f2": 0.0}, worst={"f1": 1.0, "f2": 10.0}, source="analytic")

    def pareto_reference(self) -> ParetoReference:
        names = tuple(o.name for o in self._task.objectives)
        if self._name == "dtlz2_fid":
            t = np.linspace(0.0, np.pi / 2, 15)
            a, b = (v.ravel() for v in np.meshgrid(t, t))
            front = np.c_[np.cos(a) * np.cos(b), np.cos(a) * np.sin(b), 2.0 - np.sin(a)]
            point: tuple[float, ...] = (1.1, 1.1, 0.9)
        else:
            f1 = np.linspace(0.0, 1.0, 201)
            front = np.c_[f1, 1.0 - np.sqrt(f1)]
            point = (0.5, 6.0) if self._name == "zdt1_badref" else (1.1, 6.0)
        return ParetoReference(
            objectives=names,
            front=tuple(map(tuple, front.tolist())),
            reference_point=point,
            source="analytic",
        )

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        for c in configs:
            self.codec.validate(c)
        return self._values(configs, np.full(len(configs), 8.0))

    def typical_cost(self) -> float | None:
        return 1.01


TASKS = ("zdt1", "dtlz2_fid", "zdt1_badref", "zdt1_undeclared")


class _Family(BenchmarkFamily):
    name = "testmo"

    def tasks(self) -> tuple[TaskInfo, ...]:
        return tuple(
            TaskInfo(
                name=f"testmo/{t}",
                multi_fidelity=t == "dtlz2_fid",
                needs_data=False,
                tags=frozenset({"synthetic", "test"}),
                continuation=False,
                objectives=() if t == "zdt1_undeclared" else _MOBenchmark(t).task.objectives,
                multi_objective=None if t == "zdt1_undeclared" else True,
            )
            for t in TASKS
        )

    def load(self, task: str, *, data_dir: Path | None) -> Benchmark:
        if task not in TASKS:
            raise UnknownNameError("task", task, list(TASKS))
        return _MOBenchmark(task)


FAMILY = _Family()

ENTRY_POINTS = """
[hpobench.benchmarks]
testmo = mo_plugin:FAMILY
"""


def install(dest: Path) -> Path:
    """Write a dist-info registering the family into ``dest``, put it and this folder on sys.path."""
    from hpobench.data import registry

    dest.mkdir(parents=True, exist_ok=True)
    info = dest / "hpobench_motest-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hpobench-motest\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    for path in (str(dest), str(Path(__file__).resolve().parent)):
        if path not in sys.path:
            sys.path.insert(0, path)
    registry.refresh()
    return dest


def uninstall(dest: Path) -> None:
    """Undo :func:`install` (the tests folder stays on sys.path)."""
    from hpobench.data import registry

    if str(dest) in sys.path:
        sys.path.remove(str(dest))
    registry.refresh()


def pythonpath(dest: Path) -> str:
    """``PYTHONPATH`` for a subprocess that must see the family."""
    return f"{dest}:{Path(__file__).resolve().parent}"
