"""Adapter: any Optuna sampler (TPE, CMA-ES, GP, QMC, NSGA-II, random, ...) as an hpobench method.

Optuna is an optional dependency (``pip install 'hpobench[optuna]'``, which brings ``cmaes`` for
``CmaEsSampler``); it is imported when the adapter is constructed, never when the registry lists
methods.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import ConfigSpace as CS

from hpobench.contracts.method import Capabilities, Method, MethodReport
from hpobench.contracts.space import to_python
from hpobench.contracts.types import Evaluation, Status, Task, Trial
from hpobench.methods._pending import PendingTrials

__all__ = ["OptunaSampler", "OptunaSpace", "optuna_distributions"]

_NOT_BY_NAME = frozenset({"BaseSampler", "BaseGASampler", "PartialFixedSampler"})
_INDEPENDENT = re.compile(r"parameter [`'](?P<name>.+?)[`'] in [Tt]rial#\d+ is sampled independently")
"""Optuna's warning (``optuna.samplers._base``) that a parameter fell back to independent sampling."""


def _import_optuna() -> Any:
    try:
        optuna = importlib.import_module("optuna")
    except ImportError as exc:
        raise ImportError("the 'optuna' method needs Optuna: pip install 'hpobench[optuna]'") from exc
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


@dataclass(frozen=True, kw_only=True)
class OptunaSpace:
    """A ConfigSpace space as Optuna distributions, and the way back.

    Attributes:
        distributions: Name -> Optuna distribution, for ``study.ask``.
        constants: Name -> value of the parameters that take one value only (not asked).
        indexed: Name -> the values of a parameter asked as an index (``IntDistribution`` over
            ``0..len-1``): ordinals, whose order is kept, and categoricals of two values, which
            have no order to lose (both orders are mirror images).
    """

    distributions: Mapping[str, Any]
    constants: Mapping[str, Any]
    indexed: Mapping[str, Sequence[Any]]

    def config(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The configuration of an Optuna trial's ``params`` (indices become values)."""
        config = dict(self.constants)
        for name in self.distributions:
            value = params[name]
            values = self.indexed.get(name)
            config[name] = to_python(value if values is None else values[int(value)])
        return config


def optuna_distributions(space: CS.ConfigurationSpace) -> OptunaSpace:
    """Map a ConfigSpace space to Optuna distributions.

    Floats and integers keep their bounds and log scale. Ordinals and two-valued categoricals
    become ``IntDistribution(0, len - 1)`` over the index of their value, so that samplers that
    model numbers jointly (CMA-ES, GP, QMC, multivariate TPE) model them too instead of sampling
    them independently; categoricals of three or more values stay categorical. A parameter with
    a single value (a constant, or a one-element ordinal or categorical) is not asked.

    Raises:
        ValueError: The space has conditions or forbidden clauses, or an unsupported type.
    """
    optuna = _import_optuna()
    dist = optuna.distributions
    if space.conditions or space.forbidden_clauses:
        raise ValueError("the Optuna adapter does not support conditional or forbidden clauses")
    out: dict[str, Any] = {}
    constants: dict[str, Any] = {}
    indexed: dict[str, tuple[Any, ...]] = {}
    for name in space:
        hp = space[name]
        if isinstance(hp, CS.Constant):
            constants[name] = to_python(hp.value)
        elif isinstance(hp, CS.UniformFloatHyperparameter):
            out[name] = dist.FloatDistribution(float(hp.lower), float(hp.upper), log=bool(hp.log))
        elif isinstance(hp, CS.UniformIntegerHyperparameter):
            out[name] = dist.IntDistribution(int(hp.lower), int(hp.upper), log=bool(hp.log))
        elif isinstance(hp, CS.CategoricalHyperparameter | CS.OrdinalHyperparameter):
            ordinal = isinstance(hp, CS.OrdinalHyperparameter)
            grid = hp.sequence if isinstance(hp, CS.OrdinalHyperparameter) else hp.choices
            values = tuple(to_python(c) for c in grid)
            if len(values) == 1:
                constants[name] = values[0]
            elif ordinal or len(values) == 2:
                indexed[name] = values
                out[name] = dist.IntDistribution(0, len(values) - 1)
            else:
                out[name] = dist.CategoricalDistribution(list(values))
        else:
            raise ValueError(f"cannot map hyperparameter {name!r} of type {type(hp).__name__} to Optuna")
    return OptunaSpace(distributions=out, constants=constants, indexed=indexed)


class _IndependentSamplingCounter(logging.Handler):
    """Counts Optuna's "sampled independently" warnings of the current thread, per parameter."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        match = _INDEPENDENT.search(record.getMessage())
        if match is not None:
            self.counts[match["name"]] = self.counts.get(match["name"], 0) + 1


@contextmanager
def _counting_independent_sampling(into: dict[str, int]) -> Iterator[None]:
    """Add the parameters that Optuna reports as sampled independently, while inside, to ``into``."""
    logger = logging.getLogger("optuna")
    handler = _IndependentSamplingCounter()
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        for name, n in handler.counts.items():
            into[name] = into.get(name, 0) + n


class OptunaSampler(Method):
    """An Optuna sampler driven through Optuna's ask/tell interface, at the maximal fidelity.

    The sampler class is chosen by name among the samplers exported by ``optuna.samplers``
    (``"TPESampler"``, ``"CmaEsSampler"``, ``"GPSampler"``, ``"RandomSampler"``, ``"QMCSampler"``,
    ``"NSGAIISampler"``, ...); nothing else is imported by name. It is built as
    ``cls(seed=seed % 2**32, **sampler_kwargs)`` (``seed`` only if the class takes one) inside an
    in-memory study whose directions are the task's. Every ask is ``study.ask(distributions)``
    over the mapped space (see :func:`optuna_distributions`: ordinals are asked as integer
    indices); results are told with their objective values, and failed or non-finite ones as
    ``TrialState.FAIL``. Several trials may be in flight (Optuna handles running trials itself).

    Multi-objective tasks: the study gets one direction per objective, in the task's order, and
    every objective's value is told (a trial with any non-finite value is a failure), so
    Optuna's multi-objective samplers run as such: ``"NSGAIISampler"``, ``"NSGAIIISampler"``,
    ``"TPESampler"`` (MOTPE when the study has several directions), ``"GPSampler"``,
    ``"RandomSampler"`` and ``"QMCSampler"``.

    ``QMCSampler`` is built with ``scramble=True``, so that its sequence depends on the seed
    (unscrambled, every seed gives the same run); ``scramble=False`` is refused.

    Fallbacks: a sampler that cannot model a parameter samples it independently (Optuna logs
    "... is sampled independently ..."), so the run is partly another algorithm than its name
    says. These warnings are counted per parameter during every ask, and :meth:`report` returns
    them (the runner records them in the run's provenance as ``method_report``, the CLI prints
    them).

    Pickling keeps the sampler and replays the study's trials into a fresh in-memory study, so a
    pickled adapter continues exactly like the original.

    Args:
        task: The task (single-fidelity use: trials ask for the maximal fidelity).
        seed: Seed of the sampler.
        sampler: Name of a sampler class in ``optuna.samplers``.
        sampler_kwargs: Keyword arguments of the sampler's constructor (not ``seed``).

    Raises:
        ImportError: Optuna is not installed (``pip install 'hpobench[optuna]'``).
        ValueError: Unknown sampler name, ``seed`` or (``QMCSampler``) ``scramble=False`` in
            ``sampler_kwargs``, or the space cannot be mapped.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_objective=True, candidate_set=True, asynchronous=True, conditional_spaces=False
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
        if sampler == "QMCSampler":
            if kwargs.get("scramble", True) is not True:
                raise ValueError(
                    "QMCSampler needs scramble=True: an unscrambled sequence ignores the seed, "
                    "so every seed of a study would be the same run"
                )
            kwargs["scramble"] = True
        self._space = optuna_distributions(task.space)
        self._independent: dict[str, int] = {}
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
        study = self._get_study()
        with _counting_independent_sampling(self._independent):
            trial = study.ask(self._space.distributions)
        return self._pending.add(Trial(config=self._space.config(trial.params)), int(trial.number))

    def report(self) -> MethodReport:
        """How often the sampler fell back to independent sampling, in total and per parameter.

        ``counts``: ``independent_sampling`` (parameter samples drawn by the fallback) and
        ``independent_sampling[<name>]`` per parameter; one warning when there was any.
        """
        total = sum(self._independent.values())
        counts = {"independent_sampling": total}
        counts.update({f"independent_sampling[{k}]": v for k, v in sorted(self._independent.items())})
        if not total:
            return MethodReport(counts=counts)
        names = ", ".join(sorted(self._independent))
        warning = (
            f"{self.sampler} fell back to independent sampling {total} time(s) "
            f"({len(self._independent)} of {len(self._space.distributions)} parameters: {names}): "
            f"those values were not chosen by {self.sampler}'s own model"
        )
        return MethodReport(warnings=(warning,), counts=counts)

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
