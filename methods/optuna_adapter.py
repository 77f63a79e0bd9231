"""Adapter: any Optuna sampler (TPE, CMA-ES, GP, QMC, NSGA-II, random, ...) as an hpobench method.

Optuna is an optional dependency (``pip install 'hpobench[optuna]'``); it is imported when the
adapter is constructed, never when the registry lists methods.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import ConfigSpace as CS

from hpobench.method import Capabilities, Method
from hpobench.methods._pending import PendingTrials
from hpobench.space import to_python
from hpobench.types import Evaluation, Status, Task, Trial

__all__ = ["OptunaSampler", "optuna_distributions"]

_NOT_BY_NAME = frozenset({"BaseSampler", "BaseGASampler", "PartialFixedSampler"})


def _import_optuna() -> Any:
    try:
        optuna = importlib.import_module("optuna")
    except ImportError as exc:
        raise ImportError("the 'optuna' method needs Optuna: pip install 'hpobench[optuna]'") from exc
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def optuna_distributions(space: CS.ConfigurationSpace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Map a ConfigSpace space to Optuna distributions.

    Floats and integers keep their bounds and log scale; categoricals and ordinals become
    categorical distributions over their values (ordinals lose their order); constants are
    returned separately.

    Returns:
        ``(distributions, constants)``: name -> Optuna distribution, name -> constant value.

    Raises:
        ValueError: The space has conditions or forbidden clauses, or an unsupported type.
    """
    optuna = _import_optuna()
    dist = optuna.distributions
    if space.conditions or space.forbidden_clauses:
        raise ValueError("the Optuna adapter does not support conditional or forbidden clauses")
    out: dict[str, Any] = {}
    constants: dict[str, Any] = {}
    for name in space:
        hp = space[name]
        if isinstance(hp, CS.Constant):
            constants[name] = to_python(hp.value)
        elif isinstance(hp, CS.UniformFloatHyperparameter):
            out[name] = dist.FloatDistribution(float(hp.lower), float(hp.upper), log=bool(hp.log))
        elif isinstance(hp, CS.UniformIntegerHyperparameter):
            out[name] = dist.IntDistribution(int(hp.lower), int(hp.upper), log=bool(hp.log))
        elif isinstance(hp, CS.CategoricalHyperparameter):
            out[name] = dist.CategoricalDistribution([to_python(c) for c in hp.choices])
        elif isinstance(hp, CS.OrdinalHyperparameter):
            out[name] = dist.CategoricalDistribution([to_python(c) for c in hp.sequence])
        else:
            raise ValueError(f"cannot map hyperparameter {name!r} of type {type(hp).__name__} to Optuna")
    return out, constants


class OptunaSampler(Method):
    """An Optuna sampler driven through Optuna's ask/tell interface, at the maximal fidelity.

    The sampler class is chosen by name among the samplers exported by ``optuna.samplers``
    (``"TPESampler"``, ``"CmaEsSampler"``, ``"GPSampler"``, ``"RandomSampler"``, ``"QMCSampler"``,
    ``"NSGAIISampler"``, ...); nothing else is imported by name. It is built as
    ``cls(seed=seed % 2**32, **sampler_kwargs)`` (``seed`` only if the class takes one) inside an
    in-memory study whose directions are the task's. Every ask is ``study.ask(distributions)``
    over the mapped space (see :func:`optuna_distributions`); results are told with their
    objective values, and failed or non-finite ones as ``TrialState.FAIL``. Several trials may be
    in flight (Optuna handles running trials itself).

    Pickling keeps the sampler and replays the study's trials into a fresh in-memory study, so a
    pickled adapter continues exactly like the original.

    Args:
        task: The task (single-fidelity use: trials ask for the maximal fidelity).
        seed: Seed of the sampler.
        sampler: Name of a sampler class in ``optuna.samplers``.
        sampler_kwargs: Keyword arguments of the sampler's constructor (not ``seed``).

    Raises:
        ImportError: Optuna is not installed (``pip install 'hpobench[optuna]'``).
        ValueError: Unknown sampler name, or the space cannot be mapped.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_objective=True, candidate_set=True, asynchronous=True
    )
    requires: ClassVar[tuple[str, ...]] = ("optuna",)

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        sampler: str = "TPESampler",
        sampler_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.sampler = sampler
        self.sampler_kwargs = sampler_kwargs
        optuna = _import_optuna()
        allowed = sorted(
            n
            for n in optuna.samplers.__all__
            if n not in _NOT_BY_NAME
            and inspect.isclass(cls := getattr(optuna.samplers, n, None))
            and issubclass(cls, optuna.samplers.BaseSampler)
        )
        if sampler not in allowed:
            raise ValueError(f"sampler must be one of {allowed}, got {sampler!r}")
        kwargs = dict(sampler_kwargs or {})
        if "seed" in kwargs:
            raise ValueError("pass the seed through `seed`, not sampler_kwargs")
        self._distributions, self._constants = optuna_distributions(task.space)
        cls = getattr(optuna.samplers, sampler)
        if "seed" in inspect.signature(cls.__init__).parameters:
            kwargs["seed"] = int(seed) % 2**32
        self._sampler = cls(**kwargs)
        self._study: Any = None  # created at the first ask
        self._pending: PendingTrials[int] = PendingTrials("OptunaSampler")

    def _get_study(self) -> Any:
        if self._study is None:
            optuna = _import_optuna()
            directions = [o.direction.value for o in self.task.objectives]
            self._study = optuna.create_study(sampler=self._sampler, directions=directions)
        return self._study

    def ask(self) -> Trial:
        """Ask the sampler for a configuration at the maximal fidelity (never ``None``)."""
        trial = self._get_study().ask(self._distributions)
        config = dict(self._constants)
        config.update({name: to_python(trial.params[name]) for name in self._distributions})
        return self._pending.add(Trial(config=config), int(trial.number))

    def tell(self, evaluation: Evaluation) -> None:
        """Tell the study the objective values, or ``TrialState.FAIL`` for failed / NaN results.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        optuna = _import_optuna()
        number = self._pending.pop(evaluation.trial)
        values = [evaluation.values.get(o.name, math.nan) for o in self.task.objectives]
        if evaluation.status is not Status.OK or not all(math.isfinite(float(v)) for v in values):
            self._get_study().tell(number, state=optuna.trial.TrialState.FAIL)
        else:
            self._get_study().tell(number, [float(v) for v in values])

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_study"] = None
        state["_trials"] = [] if self._study is None else self._study.get_trials(deepcopy=True)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        trials = state.pop("_trials")
        self.__dict__.update(state)
        if trials:
            self._get_study().add_trials(trials)
