"""Multi-objective multi-fidelity test functions with known Pareto fronts (``synthetic_mo``).

All objectives are minimised; every space is the unit box ``x0 .. x{d-1} ∈ [0, 1]``:

* ``zdt1``, ``zdt2``, ``zdt3`` (Zitzler, Deb & Thiele 2000; ``d = 6``): ``f1 = x0``,
  ``g = 1 + 9/(d-1) Σ_{i≥1} x_i`` and ``f2 = g·h(f1, g)`` with ``h = 1 - sqrt(f1/g)`` (convex),
  ``1 - (f1/g)²`` (concave) or ``1 - sqrt(f1/g) - (f1/g) sin(10π f1)`` (disconnected). Pareto
  optimal: ``x_i = 0`` for ``i ≥ 1`` (``g = 1``).
* ``dtlz2`` (Deb et al. 2002; 3 objectives, ``d = 7``): ``g = Σ_{i≥2} (x_i - 0.5)²`` and
  ``f = (1 + g)·(cos a cos b, cos a sin b, sin a)`` with ``a = π x0 / 2``, ``b = π x1 / 2``.
  Pareto optimal: ``x_i = 0.5`` for ``i ≥ 2`` (the unit sphere's positive octant).
* ``branin_currin`` (2 objectives, ``d = 2``; the BoTorch test problem): Branin on
  ``(15 x0 - 5, 15 x1)`` and Currin's exponential function of ``x``. No closed-form front.

Fidelity: ``f ∈ [1, 100]`` as in :mod:`hpobench.surrogates.synthetic` (``z = (f - 1) / 99``); each
objective ``k`` gets the smooth bias ``0.25 s_k (1 - z)(1 + sin(π (k + 2) ū + k))`` (``ū`` the mean
coordinate, ``s_k`` the objective's scale: 1, or 10 for Branin), which vanishes at ``f = 100``, so
the fronts hold exactly at the maximal fidelity. Cost: ``30 d · (0.05 + 0.95 z)(1 + 0.2 ū)``
simulated seconds. Noise-free: ``seed`` is validated and otherwise ignored.

Reference fronts (:mod:`hpobench.surrogates.pareto_fronts`): the functions evaluated at Pareto-
optimal configurations, sampled densely (1,001 points for ZDT1/2, 5,001 before removing the
dominated ones for ZDT3, a 41 x 41 grid for DTLZ2), source ``"exact: ..."``; Branin-Currin's is
*estimated*: the non-dominated set of a 501 x 501 grid plus the single objectives' minimisers.
Stored in ``pareto_fronts.json`` (:mod:`hpobench.surrogates.pareto_fronts`) like every other
front, so a change of the platform's math library cannot move them; the tests recompute them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import ConfigSpace as CS
import numpy as np
from scipy.stats import qmc

from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, TaskInfo
from hpobench.contracts.errors import UnknownNameError
from hpobench.contracts.types import (
    Config,
    Direction,
    Evaluation,
    Objective,
    ParetoReference,
    Reference,
    Task,
    Trial,
)
from hpobench.contracts.values import check_seed
from hpobench.surrogates.pareto_fronts import pareto_from_values, stored_pareto
from hpobench.surrogates.synthetic import FIDELITY, fidelity_to_z

__all__ = ["FAMILIES", "FAMILY", "SyntheticMOBenchmark", "SyntheticMOFamily", "compute_pareto"]

TAGS = frozenset({"synthetic", "multi-fidelity", "multi-objective"})
WORST_SAMPLE_LOG2 = 12
FloatArray = np.ndarray


def _zdt(h: Callable[[FloatArray, FloatArray], FloatArray]) -> Callable[[FloatArray], FloatArray]:
    def function(x: FloatArray) -> FloatArray:
        f1 = x[:, 0]
        g = 1.0 + 9.0 / (x.shape[1] - 1) * x[:, 1:].sum(axis=1)
        return np.column_stack([f1, g * h(f1, g)])

    return function


def _dtlz2(x: FloatArray) -> FloatArray:
    g = ((x[:, 2:] - 0.5) ** 2).sum(axis=1)
    a, b = 0.5 * math.pi * x[:, 0], 0.5 * math.pi * x[:, 1]
    return np.asarray(
        (1.0 + g)[:, None] * np.column_stack([np.cos(a) * np.cos(b), np.cos(a) * np.sin(b), np.sin(a)])
    )


def _branin_currin(x: FloatArray) -> FloatArray:
    u, v = 15.0 * x[:, 0] - 5.0, 15.0 * x[:, 1]
    b, c, t = 5.1 / (4.0 * math.pi**2), 5.0 / math.pi, 1.0 / (8.0 * math.pi)
    branin = (v - b * u**2 + c * u - 6.0) ** 2 + 10.0 * (1.0 - t) * np.cos(u) + 10.0
    x0, x1 = x[:, 0], x[:, 1]
    with np.errstate(divide="ignore"):
        factor = 1.0 - np.exp(-0.5 / x1)  # -> 1 as x1 -> 0
    currin = (
        factor * (2300 * x0**3 + 1900 * x0**2 + 2092 * x0 + 60) / (100 * x0**3 + 500 * x0**2 + 4 * x0 + 20)
    )
    return np.column_stack([branin, currin])


def _line(d: int, n: int) -> FloatArray:
    x = np.zeros((n, d))
    x[:, 0] = np.linspace(0.0, 1.0, n)
    return x


def _sphere(d: int, n: int) -> FloatArray:
    a, b = np.meshgrid(np.linspace(0.0, 1.0, n), np.linspace(0.0, 1.0, n), indexing="ij")
    x = np.full((n * n, d), 0.5)
    x[:, 0], x[:, 1] = a.ravel(), b.ravel()
    return x


def _branin_currin_sample(d: int, n: int) -> FloatArray:
    a, b = np.meshgrid(np.linspace(0.0, 1.0, n), np.linspace(0.0, 1.0, n), indexing="ij")
    minimisers = np.array([[-math.pi, 12.275], [math.pi, 2.275], [3 * math.pi, 2.475]])
    minimisers = (minimisers + np.array([5.0, 0.0])) / 15.0
    return np.vstack([np.column_stack([a.ravel(), b.ravel()]), minimisers, [[0.0, 1.0]]])


@dataclass(frozen=True, kw_only=True)
class _Problem:
    """One test problem: its objectives, dimension, formula and Pareto-optimal sample."""

    name: str
    dim: int
    objectives: tuple[str, ...]
    scales: tuple[float, ...]
    function: Callable[[FloatArray], FloatArray]
    sample: Callable[[int, int], FloatArray]
    n_sample: int
    exact: bool


_PROBLEMS = {
    p.name: p
    for p in (
        _Problem(
            name="zdt1", dim=6, objectives=("f1", "f2"), scales=(1.0, 1.0),
            function=_zdt(lambda f1, g: 1.0 - np.sqrt(f1 / g)), sample=_line, n_sample=1001, exact=True,
        ),
        _Problem(
            name="zdt2", dim=6, objectives=("f1", "f2"), scales=(1.0, 1.0),
            function=_zdt(lambda f1, g: 1.0 - (f1 / g) ** 2), sample=_line, n_sample=1001, exact=True,
        ),
        _Problem(
            name="zdt3", dim=6, objectives=("f1", "f2"), scales=(1.0, 1.0),
            function=_zdt(lambda f1, g: 1.0 - np.sqrt(f1 / g) - f1 / g * np.sin(10.0 * math.pi * f1)),
            sample=_line, n_sample=5001, exact=True,
        ),
        _Problem(
            name="dtlz2", dim=7, objectives=("f1", "f2", "f3"), scales=(1.0, 1.0, 1.0),
            function=_dtlz2, sample=_sphere, n_sample=41, exact=True,
        ),
        _Problem(
            name="branin_currin", dim=2, objectives=("branin", "currin"), scales=(10.0, 1.0),
            function=_branin_currin, sample=_branin_currin_sample, n_sample=501, exact=False,
        ),
    )
}  # fmt: skip


def _objectives(problem: _Problem) -> tuple[Objective, ...]:
    return tuple(Objective(name=n, direction=Direction.MINIMIZE) for n in problem.objectives)


def compute_pareto(name: str) -> ParetoReference:
    """Sample ``name``'s front now (see the module docstring; deterministic, well under a second)."""
    problem = _PROBLEMS[name]
    values = problem.function(problem.sample(problem.dim, problem.n_sample))
    if problem.exact:
        source = (
            "exact: the objectives at Pareto-optimal configurations, sampled densely (non-dominated subset)"
        )
    else:
        source = "estimated: non-dominated set of a 501 x 501 grid and the objectives' minimisers"
    return pareto_from_values(values, _objectives(problem), source=source, typical=_median(name).tolist())


@cache
def _median(name: str) -> np.ndarray:
    """Per objective, the median over ``2**WORST_SAMPLE_LOG2`` Sobol points (the reference range's worst)."""
    problem = _PROBLEMS[name]
    unit = qmc.Sobol(d=problem.dim, scramble=True, rng=0).random_base2(WORST_SAMPLE_LOG2)
    return np.asarray(np.median(problem.function(unit), axis=0))


@cache
def _reference(name: str) -> Reference:
    problem = _PROBLEMS[name]
    worst = _median(name)
    best = np.min(np.asarray(stored_pareto(f"synthetic_mo/{name}").front), axis=0)
    return Reference(
        best=dict(zip(problem.objectives, best.tolist(), strict=True)),
        worst=dict(zip(problem.objectives, worst.tolist(), strict=True)),
        source="best = minimum over the reference front; worst = median over 2^12 Sobol points",
    )


class SyntheticMOBenchmark(Benchmark):
    """A multi-objective multi-fidelity test function (see the module docstring).

    Args:
        name: ``"zdt1"``, ``"zdt2"``, ``"zdt3"``, ``"dtlz2"`` or ``"branin_currin"``.

    Raises:
        UnknownNameError: No such problem.
    """

    def __init__(self, name: str) -> None:
        if name not in _PROBLEMS:
            raise UnknownNameError(
                "benchmark", f"synthetic_mo/{name}", [f"synthetic_mo/{n}" for n in _PROBLEMS]
            )
        self._problem = _PROBLEMS[name]
        self._names = tuple(f"x{i}" for i in range(self._problem.dim))
        space = CS.ConfigurationSpace()
        space.add([CS.UniformFloatHyperparameter(n, lower=0.0, upper=1.0) for n in self._names])
        self._task = Task(
            name=f"synthetic_mo/{name}",
            space=space,
            objectives=_objectives(self._problem),
            fidelity=FIDELITY,
            candidates=None,
            tags=TAGS,
            continuation=True,
        )

    @property
    def task(self) -> Task:
        """The task: ``x0..x{d-1}`` in ``[0, 1]``, every objective minimised, fidelity [1, 100]."""
        return self._task

    def values(self, x: FloatArray, fidelity: FloatArray) -> FloatArray:
        """Objective values ``(n, k)`` of points ``x`` ``(n, d)`` at fidelities ``(n,)`` (no validation)."""
        x = np.asarray(x, dtype=float)
        y = self._problem.function(x)
        w = 1.0 - fidelity_to_z(np.asarray(fidelity, dtype=float))
        if not np.any(w):
            return np.asarray(y)
        u = x.mean(axis=1)
        k = np.arange(y.shape[1])
        bias = 0.25 * np.asarray(self._problem.scales) * (1.0 + np.sin(math.pi * (k + 2) * u[:, None] + k))
        return np.asarray(y + w[:, None] * bias)

    def _matrix(self, configs: Sequence[Config]) -> FloatArray:
        return np.array([[float(c[n]) for n in self._names] for c in configs], dtype=float).reshape(
            len(configs), len(self._names)
        )

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        """Evaluate a batch in one vectorised pass (noise-free; ``seed`` is only validated)."""
        check_seed(seed)
        fidelity = self.check_trials(trials)
        if not trials:
            return []
        x = self._matrix([t.config for t in trials])
        y = self.values(x, fidelity).tolist()
        cost = (
            30.0 * self._problem.dim * (0.05 + 0.95 * fidelity_to_z(fidelity)) * (1.0 + 0.2 * x.mean(axis=1))
        ).tolist()
        names = self._problem.objectives
        return [
            Evaluation(trial=t, values=dict(zip(names, v, strict=True)), cost=c)
            for t, v, c in zip(trials, y, cost, strict=True)
        ]

    def typical_cost(self) -> float:
        """Cost at the maximal fidelity of the box's centre (``33 d`` seconds)."""
        return 30.0 * self._problem.dim * 1.1

    def optimum(self) -> Reference:
        """Per objective: the front's minimum as ``best``, the median of a Sobol sample as ``worst``."""
        return _reference(self._problem.name)

    def pareto_reference(self) -> ParetoReference:
        """The stored densely sampled front (exact, or estimated for Branin-Currin) and reference point."""
        return stored_pareto(self._task.name)

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """Values at the maximal fidelity, shape ``(len(configs), n_objectives)``."""
        self.codec.validate_all(configs)
        return self.evaluated_reference_values(configs)

    def evaluated_reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """:meth:`reference_values` without validating again."""
        x = self._matrix(configs)
        return self.values(x, np.full(len(configs), FIDELITY.high)).reshape(
            len(configs), len(self._problem.objectives)
        )


class SyntheticMOFamily(BenchmarkFamily):
    """The ``synthetic_mo`` family: ZDT1-3, DTLZ2 and Branin-Currin with a continuous fidelity."""

    name = "synthetic_mo"

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe the five tasks (no data needed)."""
        return tuple(
            TaskInfo(
                name=f"synthetic_mo/{p.name}",
                multi_objective=True,
                multi_fidelity=True,
                needs_data=False,
                tags=TAGS,
                continuation=True,
                objectives=_objectives(p),
            )
            for p in _PROBLEMS.values()
        )

    def load(self, task: str, *, data_dir: Path | None) -> SyntheticMOBenchmark:
        """Build ``task``; ``data_dir`` is ignored.

        Raises:
            UnknownNameError: No such task.
        """
        return SyntheticMOBenchmark(task)

    def reference_front(self, task: str, *, data_dir: Path | None) -> tuple[ParetoReference, dict[str, Any]]:
        """Compute ``task``'s reference front now (what ``pareto_fronts.json`` stores; no extras).

        Raises:
            UnknownNameError: No such task.
        """
        if task not in _PROBLEMS:
            raise UnknownNameError(
                "benchmark", f"synthetic_mo/{task}", [f"synthetic_mo/{n}" for n in _PROBLEMS]
            )
        return compute_pareto(task), {}


FAMILY = SyntheticMOFamily()
"""The entry point registered as ``synthetic_mo`` in ``hpobench.benchmarks``."""
FAMILIES = (FAMILY,)
"""The families of this module (their fronts are stored in ``pareto_fronts.json``)."""
