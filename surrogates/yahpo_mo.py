"""Multi-objective YAHPO tasks (``yahpo_mo``) over the upstream surrogates' own targets.

Each task ``yahpo_mo/<scenario>-<instance>`` answers from the same ONNX model, space, fidelity and
cost as ``yahpo/<scenario>-<instance>`` (:mod:`hpobench.surrogates.yahpo`), with several of the
model's outputs as objectives; the other outputs are extras:

* ``lcbench`` (8 instances: the 3 of YAHPO's multi-objective suite v1.0 and 5 more):
  ``val_accuracy`` (percent, maximise) vs ``time`` (training seconds up to the epoch, minimise)
  as the MO-ASHA experiments of Schmucker et al. (2021) trade accuracy against time;
* ``rbv2_xgboost`` and ``rbv2_rpart``: ``acc`` (maximise) vs ``timetrain`` vs ``memory``
  (minimise), the suite's accuracy vs memory plus training time. ``rbv2_rpart``: the suite's 3
  instances. ``rbv2_xgboost``: the suite's instance 12 and 16, 41143, 1487; the suite's 28 and 182
  are left out because their surrogate saturates (one configuration predicts ``acc = 1``,
  ``memory = 0`` and the least training time at once: a one-point front, no trade-off to score);
* ``iaml_glmnet`` (its 4 instances): ``mmce`` (minimise) vs ``nf`` (number of features used,
  minimise), exactly the suite's interpretability targets.

Predicted times can be slightly negative; ``time`` and ``timetrain`` are clipped at 0 (as the
cost is). A prediction with a non-finite objective is a FAILED evaluation (NaN values).

Reference fronts are *estimated*, as the single-objective optima of YAHPO tasks are
(:func:`hpobench.surrogates.yahpo.estimate_reference`): the non-dominated set of 20,000 random
configurations at the maximal fidelity (seed 0), refined by 8 rounds of local search (16
Gaussian steps, sigma 0.1 .. 0.01 in the unit cube, from up to 64 front points per round). The
reference point follows :mod:`hpobench.surrogates.pareto_fronts`. Fronts, the median random
configuration (the reference range's ``worst``) and the model's sha256 are stored in
``pareto_fronts.json``; a different model file is estimated again at load (seconds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from hpobench.contracts.benchmark import BenchmarkFamily, TaskInfo
from hpobench.contracts.caching import task_cache
from hpobench.contracts.errors import UnknownNameError
from hpobench.contracts.pareto import to_minimisation
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
from hpobench.surrogates._surrogate_mo import SOURCE, SurrogateMOBenchmark, stored_estimate
from hpobench.surrogates._yahpo_codec import YahpoCodec
from hpobench.surrogates._yahpo_reference import neighbour
from hpobench.surrogates._yahpo_scenarios import SCENARIOS
from hpobench.surrogates.yahpo import YahpoBenchmark, load_yahpo

__all__ = ["FAMILIES", "FAMILY", "TASKS", "YahpoMOBenchmark", "YahpoMOFamily"]

_MAX, _MIN = Direction.MAXIMIZE, Direction.MINIMIZE
_RBV2 = (Objective(name="acc", direction=_MAX), Objective(name="timetrain", direction=_MIN),
         Objective(name="memory", direction=_MIN))  # fmt: skip
OBJECTIVES: Mapping[str, tuple[Objective, ...]] = {
    "lcbench": (Objective(name="val_accuracy", direction=_MAX), Objective(name="time", direction=_MIN)),
    "rbv2_xgboost": _RBV2,
    "rbv2_rpart": _RBV2,
    "iaml_glmnet": (Objective(name="mmce", direction=_MIN), Objective(name="nf", direction=_MIN)),
}
"""The objectives of each scenario's tasks."""
INSTANCES: Mapping[str, tuple[str, ...]] = {
    "lcbench": ("167152", "167185", "189873", "3945", "7593", "34539", "126025", "146212"),
    "rbv2_xgboost": ("12", "16", "41143", "1487"),
    "rbv2_rpart": ("41163", "1476", "40499"),
    "iaml_glmnet": ("40981", "41146", "1489", "1067"),
}
TASKS = tuple(f"{s}-{i}" for s, instances in INSTANCES.items() for i in instances)
"""The task names (without the family prefix)."""
_MAKE = Evaluation._owned
CLIPPED = frozenset({"time", "timetrain"})


class YahpoMOBenchmark(SurrogateMOBenchmark):
    """A YAHPO instance with several of its surrogate's outputs as objectives.

    Args:
        base: The single-objective YAHPO benchmark of the same instance.
        objectives: Outputs of the model to optimise (the first is primary).
        pareto: The reference, or ``None`` to estimate it when first asked.
        worst: The median random configuration's value per objective, or ``None`` likewise.

    Raises:
        ValueError: An objective is not an output of the scenario's model.
    """

    seed_free: ClassVar[bool] = True  # the single-objective model's answers: the seed changes none

    def __init__(
        self,
        *,
        base: YahpoBenchmark,
        objectives: tuple[Objective, ...],
        pareto: ParetoReference | None,
        worst: Mapping[str, float] | None,
    ) -> None:
        outputs = base.scenario.y_names
        unknown = [o.name for o in objectives if o.name not in outputs]
        if unknown:
            raise ValueError(
                f"objectives {unknown} are not outputs of the {base.scenario.name} model {outputs}"
            )
        self._yahpo = base
        self._cols = [outputs.index(o.name) for o in objectives]
        self._clip = [o.name in CLIPPED for o in objectives]
        self._extras = tuple(n for n in outputs if n not in {o.name for o in objectives})
        super().__init__(
            base=base,
            name=f"yahpo_mo/{base.scenario.name}-{base.instance}",
            objectives=objectives,
            pareto=pareto,
            worst=worst,
        )

    def neighbour(self, config: Config, sigma: float, rng: np.random.Generator) -> Config:
        """YAHPO's local-search step (condition-aware, as for the single-objective estimate)."""
        codec = self.codec
        assert isinstance(codec, YahpoCodec)
        return neighbour(codec, config, sigma, rng)

    def _objective_values(self, outputs: np.ndarray) -> np.ndarray:
        values = outputs[:, self._cols]
        return np.where(self._clip, np.maximum(values, 0.0), values)

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        """Evaluate a batch through the single-objective task; ``seed`` does not change answers.

        Raises:
            InvalidConfigError: A configuration is not in the space.
            InvalidFidelityError: A fidelity is outside the task's range.
        """
        names = [o.name for o in self._task.objectives]
        clip = list(zip(names, self._clip, strict=True))
        failed = dict.fromkeys(names, math.nan)
        out = []
        for ev in self._yahpo.evaluate(trials, seed=seed):
            outputs = {**ev.values, **ev.extras}
            row = [max(outputs[n], 0.0) if c else outputs[n] for n, c in clip]
            ok = all(map(math.isfinite, row))
            values = dict(zip(names, row, strict=True)) if ok else dict(failed)
            extras = {n: outputs[n] for n in self._extras}
            out.append(_MAKE(ev.trial, values, ev.cost, Status.OK if ok else Status.FAILED, extras))
        return out

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """The objectives at the maximal fidelity, shape ``(n, n_objectives)``."""
        fidelity = self._task.fidelity
        assert fidelity is not None
        return self._objective_values(self._yahpo.predict(configs, np.full(len(configs), fidelity.high)))

    def optimum(self) -> Reference:
        """Per objective: the best value of the reference front and the median random configuration."""
        pareto, worst = self.estimate()
        loss = to_minimisation(
            np.asarray(pareto.front), directions=[o.direction for o in self._task.objectives]
        )
        best = {
            o.name: o.direction.sign * float(loss[:, j].min()) for j, o in enumerate(self._task.objectives)
        }
        return Reference(
            best=best, worst=worst, source=f"best of the reference front ({SOURCE}); worst = median"
        )


@task_cache(maxsize=64)
def _load(task: str, base: YahpoBenchmark) -> YahpoMOBenchmark:
    model = next((sha for path, sha in base.data_files().items() if path.endswith(".onnx")), None)
    pareto, worst = stored_estimate(f"yahpo_mo/{task}", model)
    return YahpoMOBenchmark(
        base=base, objectives=OBJECTIVES[task.rsplit("-", 1)[0]], pareto=pareto, worst=worst
    )


class YahpoMOFamily(BenchmarkFamily):
    """The ``yahpo_mo`` family (see the module docstring)."""

    name = "yahpo_mo"
    dataset = "yahpo"  # the single-objective family's surrogate models
    requires = ("onnxruntime",)

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe the tasks (static; reads no data)."""
        return tuple(
            TaskInfo(
                name=f"yahpo_mo/{t}",
                multi_objective=True,
                multi_fidelity=True,
                needs_data=True,
                tags=frozenset({"surrogate", "yahpo", "multi-objective", t.rsplit("-", 1)[0]}),
                objectives=OBJECTIVES[t.rsplit("-", 1)[0]],
                conditional=SCENARIOS[t.rsplit("-", 1)[0]].conditional,
            )
            for t in TASKS
        )

    def _base(self, task: str, data_dir: Path | None) -> YahpoBenchmark:
        if task not in TASKS:
            raise UnknownNameError("benchmark", f"yahpo_mo/{task}", [f"yahpo_mo/{t}" for t in TASKS])
        scenario, _, instance = task.rpartition("-")
        return load_yahpo(scenario, instance, data_dir=data_dir)

    def load(self, task: str, *, data_dir: Path | None) -> YahpoMOBenchmark:
        """Load ``<scenario>-<instance>`` with its stored reference front.

        Raises:
            UnknownNameError: No such task.
            DataError: A file is missing or corrupt, or onnxruntime is missing.
        """
        return _load(task, self._base(task, data_dir))

    def reference_front(self, task: str, *, data_dir: Path | None) -> tuple[ParetoReference, dict[str, Any]]:
        """Estimate ``task``'s front now; also the extras stored with it (``worst``, the model's sha256)."""
        base = self._base(task, data_dir)
        bench = YahpoMOBenchmark(
            base=base, objectives=OBJECTIVES[task.rsplit("-", 1)[0]], pareto=None, worst=None
        )
        return bench.estimate()[0], bench.stored_extras()


FAMILY = YahpoMOFamily()
"""The entry point registered as ``yahpo_mo`` in ``hpobench.benchmarks``."""

FAMILIES = (FAMILY,)
"""The families of this module (their fronts are stored in ``pareto_fronts.json``)."""
