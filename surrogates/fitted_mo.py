"""Multi-objective versions of the fitted FCNet surrogates (``fitted_mo``).

``fitted_mo/fcnet.<task>`` answers ``valid_mse`` (minimise) from ``fitted/fcnet.<task>``
(:mod:`hpobench.surrogates.fitted`: same space, ensemble members as seeds, same cost) and
``n_params`` (minimise), the MLP's weights and biases computed from ``n_units_1``/``n_units_2``
(:func:`hpobench.surrogates.fcnet.fcnet_n_params`; exact, the same for every seed). The fitted
TaskSet surrogates are left out: their cost is a fixed time per step, so at the maximal fidelity
it is the same for every configuration and offers no trade-off.

Reference fronts are *estimated* as for YAHPO (:func:`hpobench.surrogates.pareto_fronts.estimate_front`):
20,000 random configurations at seed 0 refined by 8 rounds of local search (Gaussian steps in the
unit cube, log scale where the space is; each categorical value changes with probability 1/d),
stored in ``pareto_fronts.json`` with the model file's sha256 (a different model file is estimated
again at load).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.benchmark import BenchmarkFamily, TaskInfo
from hpobench.contracts.caching import task_cache
from hpobench.contracts.errors import UnknownNameError
from hpobench.contracts.types import (
    Config,
    Direction,
    Evaluation,
    Objective,
    ParetoReference,
    Reference,
    Status,
    Trial,
)
from hpobench.surrogates._surrogate_mo import N_RANDOM, SurrogateMOBenchmark, stored_estimate
from hpobench.surrogates._yahpo_reference import from_unit, to_unit
from hpobench.surrogates.fcnet import DATASETS, fcnet_n_params
from hpobench.surrogates.fitted import FAMILY as FITTED
from hpobench.surrogates.fitted import FittedSurrogate

__all__ = ["FAMILIES", "FAMILY", "FittedMOBenchmark", "FittedMOFamily"]

OBJECTIVES = (
    Objective(name="valid_mse", direction=Direction.MINIMIZE),
    Objective(name="n_params", direction=Direction.MINIMIZE),
)
TASKS = tuple(f"fcnet.{d}" for d in DATASETS)


def _neighbour(
    space: CS.ConfigurationSpace, config: Config, sigma: float, rng: np.random.Generator
) -> Config:
    """A Gaussian step from ``config`` in an unconditional space (see the module docstring)."""
    names = list(space.keys())
    out: dict[str, Any] = {}
    for name in names:
        hp = space[name]
        if isinstance(hp, CS.CategoricalHyperparameter):
            change = rng.random() < 1.0 / len(names)
            out[name] = str(rng.choice(list(hp.choices))) if change else config[name]
        else:
            out[name] = from_unit(hp, to_unit(hp, float(config[name])) + sigma * float(rng.normal()))
    return out


class FittedMOBenchmark(SurrogateMOBenchmark):
    """A fitted FCNet surrogate with the parameter count as a second objective.

    Args:
        base: The fitted surrogate ``fitted/fcnet.<task>``.
        dataset: The FCNet dataset (sets the input dimension).
        pareto: The reference, or ``None`` to estimate it when first asked.
        worst: The median random configuration's value per objective, or ``None`` likewise.
    """

    def __init__(
        self,
        *,
        base: FittedSurrogate,
        dataset: str,
        pareto: ParetoReference | None,
        worst: Mapping[str, float] | None,
    ) -> None:
        self._fitted = base
        self._dataset = dataset
        super().__init__(
            base=base, name=f"fitted_mo/fcnet.{dataset}", objectives=OBJECTIVES, pareto=pareto, worst=worst
        )

    def neighbour(self, config: Config, sigma: float, rng: np.random.Generator) -> Config:
        """A Gaussian step in the unit cube (see the module docstring)."""
        return _neighbour(self._task.space, config, sigma, rng)

    def _n_params(self, configs: Sequence[Config]) -> np.ndarray:
        columns = {k: np.array([c[k] for c in configs], dtype=float) for k in ("n_units_1", "n_units_2")}
        return fcnet_n_params(self._dataset, columns)

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        """Evaluate through the fitted surrogate (member ``seed % members``) and add ``n_params``.

        Raises:
            InvalidConfigError: A configuration is not in the space.
            InvalidFidelityError: A fidelity is given (the task has none).
        """
        evaluations = self._fitted.evaluate(trials, seed=seed)
        params = self._n_params([t.config for t in trials]).tolist() if trials else []
        return [
            Evaluation(
                trial=ev.trial,
                values={
                    "valid_mse": ev.values["valid_mse"],
                    "n_params": p if ev.status is Status.OK else float("nan"),
                },
                cost=ev.cost,
                status=ev.status,
            )
            for ev, p in zip(evaluations, params, strict=True)
        ]

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """Ensemble mean of ``valid_mse`` (as ``fitted``) and ``n_params``, shape ``(n, 2)``."""
        mse = self._fitted.reference_values(configs)
        if not configs:
            return np.empty((0, 2))
        return np.column_stack([mse[:, 0], self._n_params(configs)])

    def optimum(self) -> Reference:
        """``valid_mse`` as ``fitted``; ``n_params``: least on the front, median random configuration."""
        base = self._fitted.optimum()
        pareto, worst = self.estimate()
        least = float(np.min(np.asarray(pareto.front)[:, 1]))
        return Reference(
            best={"valid_mse": base.best["valid_mse"], "n_params": least},
            worst={"valid_mse": base.worst["valid_mse"], "n_params": worst["n_params"]},
            source=f"valid_mse: {base.source}; n_params: least on the front, median of {N_RANDOM} random",
        )


@task_cache(maxsize=8)
def _load(task: str, base: FittedSurrogate) -> FittedMOBenchmark:
    model = next((sha for path, sha in base.data_files().items() if path.endswith(".npz")), None)
    pareto, worst = stored_estimate(f"fitted_mo/{task}", model)
    return FittedMOBenchmark(base=base, dataset=task.split(".", 1)[1], pareto=pareto, worst=worst)


class FittedMOFamily(BenchmarkFamily):
    """The ``fitted_mo`` family (see the module docstring)."""

    name = "fitted_mo"

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe the tasks (static; reads no model)."""
        return tuple(
            TaskInfo(
                name=f"fitted_mo/{t}",
                multi_objective=True,
                multi_fidelity=False,
                needs_data=False,
                tags=frozenset({"continuous", "fcnet", "fitted", "surrogate", "multi-objective"}),
                objectives=OBJECTIVES,
            )
            for t in TASKS
        )

    def _base(self, task: str) -> FittedSurrogate:
        if task not in TASKS:
            raise UnknownNameError("benchmark", f"fitted_mo/{task}", [f"fitted_mo/{t}" for t in TASKS])
        return FITTED.load(task, data_dir=None)

    def load(self, task: str, *, data_dir: Path | None) -> FittedMOBenchmark:
        """Load ``fcnet.<dataset>`` with its stored reference front; ``data_dir`` is unused.

        Raises:
            UnknownNameError: No such task.
            DataError: The model file is missing or corrupt.
        """
        return _load(task, self._base(task))

    def reference_front(self, task: str, *, data_dir: Path | None) -> tuple[ParetoReference, dict[str, Any]]:
        """Estimate ``task``'s front now; also the extras stored with it (``worst``, the model's sha256)."""
        base = self._base(task)
        bench = FittedMOBenchmark(base=base, dataset=task.split(".", 1)[1], pareto=None, worst=None)
        return bench.estimate()[0], bench.stored_extras()


FAMILY = FittedMOFamily()
"""The entry point registered as ``fitted_mo`` in ``hpobench.benchmarks``."""
FAMILIES = (FAMILY,)
"""The families of this module (their fronts are stored in ``pareto_fronts.json``)."""
