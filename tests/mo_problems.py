"""Small multi-objective test problems with known Pareto fronts, and a sequential ask/tell driver.

Test-only (the shipped multi-objective task families live in the benchmark layer): ZDT1 and ZDT2
(Zitzler, Deb and Thiele 2000) in ``d`` dimensions with an optional fidelity, DTLZ2 with three
objectives (Deb et al. 2002), and Branin-Currin (the two-objective pair of BoTorch's tests).
At fidelity ``b < B`` every objective carries the bias ``0.3 * (1 - b / B) * cos(6 (x1 + x2))``,
so low fidelities rank configurations roughly like the full one. ``benchmarks/bench_mo_methods.py``
imports this module too (it puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.method import Method
from hpobench.contracts.pareto import hypervolume
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Task

Function = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Problem:
    """A vector function on ``[0, 1]^d`` (minimisation), its task and a hypervolume reference point."""

    task: Task
    function: Function
    reference: tuple[float, ...]
    names: tuple[str, ...]

    def values(self, config: Mapping[str, Any], fidelity: float | None) -> np.ndarray:
        """Objective values (minimisation) of ``config`` at ``fidelity`` (``None``: the maximal one)."""
        x = np.array([float(config[n]) for n in self.names])
        out = self.function(x)
        fid = self.task.fidelity
        if fid is not None and fidelity is not None and fidelity < fid.high:
            out = out + 0.3 * (1.0 - fidelity / fid.high) * math.cos(6.0 * (x[0] + x[1]))
        return out


def _zdt(x: np.ndarray, shape: Callable[[float], float]) -> np.ndarray:
    f1 = float(x[0])
    g = 1.0 + 9.0 * float(x[1:].sum()) / (len(x) - 1)
    return np.array([f1, g * shape(f1 / g)])


def zdt1(x: np.ndarray) -> np.ndarray:
    """ZDT1: convex front ``f2 = 1 - sqrt(f1)`` at ``x2.. = 0``."""
    return _zdt(x, lambda r: 1.0 - math.sqrt(r))


def zdt2(x: np.ndarray) -> np.ndarray:
    """ZDT2: concave front ``f2 = 1 - f1**2`` at ``x2.. = 0``."""
    return _zdt(x, lambda r: 1.0 - r * r)


def dtlz2(x: np.ndarray) -> np.ndarray:
    """DTLZ2 with three objectives: the front is the positive unit sphere octant at ``x3.. = 0.5``."""
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = 0.5 * math.pi * x[0], 0.5 * math.pi * x[1]
    return (1.0 + g) * np.array([math.cos(a) * math.cos(b), math.cos(a) * math.sin(b), math.sin(a)])


def branin_currin(x: np.ndarray) -> np.ndarray:
    """Branin (rescaled to ``[0, 1]^2``) and Currin's exponential function, both minimised."""
    u, v = 15.0 * x[0] - 5.0, 15.0 * x[1]
    branin = (v - 5.1 / (4 * math.pi**2) * u * u + 5.0 / math.pi * u - 6.0) ** 2
    branin += 10.0 * (1.0 - 1.0 / (8.0 * math.pi)) * math.cos(u) + 10.0
    x1, x2 = float(x[0]), max(float(x[1]), 1e-9)
    currin = (1.0 - math.exp(-1.0 / (2.0 * x2))) * (2300 * x1**3 + 1900 * x1**2 + 2092 * x1 + 60)
    currin /= 100 * x1**3 + 500 * x1**2 + 4 * x1 + 20
    return np.array([branin, currin])


def make_problem(name: str, *, dim: int = 2, fidelity: bool = False, categorical: bool = False) -> Problem:
    """A :class:`Problem`: ``"zdt1"``/``"zdt2"`` (``dim``), ``"dtlz2"`` (``dim >= 3``), ``"branin_currin"``.

    ``categorical=True`` adds an unused categorical and an integer (mixed-type spaces).
    """
    functions: dict[str, tuple[Function, int, tuple[float, ...]]] = {
        "zdt1": (zdt1, 2, (1.1, 11.0)),
        "zdt2": (zdt2, 2, (1.1, 11.0)),
        "dtlz2": (dtlz2, 3, (2.5, 2.5, 2.5)),
        "branin_currin": (branin_currin, 2, (310.0, 14.0)),
    }
    function, k, reference = functions[name]
    if name == "branin_currin":
        dim = 2
    names = tuple(f"x{i}" for i in range(dim))
    space = CS.ConfigurationSpace()
    space.add([CS.UniformFloatHyperparameter(n, 0.0, 1.0) for n in names])
    if categorical:
        space.add(
            [
                CS.CategoricalHyperparameter("act", ["relu", "tanh", "gelu"]),
                CS.UniformIntegerHyperparameter("units", 8, 64, log=True),
            ]
        )
    objectives = tuple(Objective(name=f"f{j + 1}", direction=Direction.MINIMIZE) for j in range(k))
    task = Task(
        name=f"test/{name}",
        space=space,
        objectives=objectives,
        fidelity=Fidelity(name="epoch", low=1, high=27, integer=True) if fidelity else None,
    )
    return Problem(task=task, function=function, reference=reference, names=names)


def evaluate(problem: Problem, trial: Any) -> Evaluation:
    """The evaluation of ``trial`` (cost: its fidelity as a fraction of the maximal one)."""
    values = problem.values(trial.config, trial.fidelity)
    fid = problem.task.fidelity
    cost = 1.0 if fid is None or trial.fidelity is None else float(trial.fidelity) / fid.high
    names = [o.name for o in problem.task.objectives]
    return Evaluation(trial=trial, values=dict(zip(names, values.tolist(), strict=True)), cost=cost)


def drive(method: Method, problem: Problem, *, budget: float) -> np.ndarray:
    """Run ``method`` sequentially until ``budget`` units of maximal-fidelity cost are spent.

    Returns:
        The objective vectors of the evaluations made at the maximal fidelity, in order.
    """
    spent, out = 0.0, []
    fid = problem.task.fidelity
    while spent < budget - 1e-9:
        trial = method.ask()
        assert trial is not None
        evaluation = evaluate(problem, trial)
        method.tell(evaluation)
        spent += evaluation.cost
        if fid is None or trial.fidelity is None or trial.fidelity == fid.high:
            out.append([evaluation.values[o.name] for o in problem.task.objectives])
    return np.array(out, dtype=float).reshape(-1, len(problem.task.objectives))


def final_hypervolume(method: Method, problem: Problem, *, budget: float) -> float:
    """Hypervolume of the maximal-fidelity evaluations of one run (reference point of the problem)."""
    return hypervolume(drive(method, problem, budget=budget), reference=problem.reference)
